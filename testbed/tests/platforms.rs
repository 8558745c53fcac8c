//! Every personality over real SSH (libssh2 via the `ssh2` crate) against labs/multivendor.yaml:
//! its prompts, its pager, a rejected line with the vendor's error text, commit or save, and the
//! change read back by a new session; and the SSH identification and inventory device_type.

mod common;

use std::time::Duration;

use common::{normalize, ssh_login, Expect, InventoryEntry, SshShell, TestLab};
use regex::bytes::Regex;

fn lab() -> TestLab {
    TestLab::start(&["--lab", "labs/multivendor.yaml", "--profile", "instant"])
}

/// A shell on `entry` expecting prompts that match `prompt` (anchored at the end).
fn shell(entry: &InventoryEntry, prompt: &str) -> Expect<SshShell> {
    let session = ssh_login(entry.port, &entry.username, &entry.password)
        .unwrap_or_else(|e| panic!("ssh login to {}: {e}", entry.name));
    let shell = SshShell::open(session).unwrap_or_else(|e| panic!("shell on {}: {e}", entry.name));
    let mut cli = Expect::new(shell, &entry.name, "\n");
    // A prompt starts a line, or follows the erase of a pager prompt (backspaces, NX-OS `ESC [K`).
    cli.set_prompt(Regex::new(&format!(r"(?:\A|[\r\n\x08]|\x1b\[K){prompt}\z")).expect("prompt"));
    cli.expect_prompt();
    cli
}

/// Send `line`, read until `pattern`; the text read.
fn until(cli: &mut Expect<SshShell>, line: &str, pattern: &str) -> String {
    cli.send_line(line);
    let re = Regex::new(pattern).expect("pattern");
    match cli.read_until(&re, Duration::from_secs(20)) {
        Ok(got) => normalize(&got),
        Err(e) => panic!("`{line}`: no {pattern:?}: {e:?}"),
    }
}

#[test]
fn inventory_names_each_platform_and_ssh_identifies_as_the_vendor() {
    let lab = lab();
    let types: Vec<&str> = lab
        .inventory
        .iter()
        .map(|e| e.device_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "cisco_ios",
            "cisco_nxos",
            "cisco_xr",
            "arista_eos",
            "juniper_junos",
            "cisco_asa",
            "linux"
        ]
    );
    let banner = |name: &str| {
        let session = ssh_login(lab.ssh(name).port, "cisco", "cisco").expect("login");
        session.banner().unwrap_or_default().to_string()
    };
    assert_eq!(banner("R1"), "SSH-2.0-Cisco-1.25");
    assert_eq!(banner("R3"), "SSH-2.0-Cisco-2.0");
    assert!(banner("R7").starts_with("SSH-2.0-OpenSSH_9.2p1 Debian"));
}

#[test]
fn nxos_pages_rejects_and_saves() {
    let lab = lab();
    let entry = lab.ssh("R2");
    let mut cli = shell(entry, r"R2(?:\([a-z-]+\))?# ?");
    let page = until(
        &mut cli,
        "show running-config",
        r"\x1b\[7m--More--\x1b\[m\z",
    );
    assert!(page.contains("!Command: show running-config"), "{page}");
    cli.send_raw(b"q");
    cli.expect_prompt();
    let out = cli.transcript("show ip interface bogus");
    // The caret sits under `bogus`: after the prompt `R2#` and `show ip interface `.
    assert!(
        out.contains(&format!(
            "\n{}^\n% Invalid command at '^' marker.",
            " ".repeat(3 + 18)
        )),
        "{out:?}"
    );
    cli.transcript("terminal length 0");
    cli.transcript("configure terminal");
    cli.transcript("interface Ethernet1/4");
    cli.transcript("description from the rust test");
    assert!(cli.transcript("end").ends_with("R2#"));
    let saved = cli.transcript("copy running-config startup-config");
    assert!(saved.contains("Copy complete."), "{saved}");
    let mut again = shell(entry, r"R2(?:\([a-z-]+\))?# ?");
    again.transcript("terminal length 0");
    let startup = again.transcript("show startup-config");
    assert!(
        startup.contains("interface Ethernet1/4\n  description from the rust test"),
        "{startup}"
    );
}

#[test]
fn xr_stamps_shows_asks_about_uncommitted_changes_and_commits() {
    let lab = lab();
    let entry = lab.ssh("R3");
    let prompt = r"RP/0/RSP0/CPU0:R3(?:\([a-z-]+\))?#";
    let mut cli = shell(entry, prompt);
    cli.transcript("terminal length 0");
    let version = cli.cmd("show version");
    let stamp =
        regex::Regex::new(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d{3} UTC")
            .unwrap();
    assert!(stamp.is_match(&version), "{version:?}");
    cli.transcript("configure");
    cli.transcript("logging 10.66.0.1");
    let shown = cli.cmd("show configuration");
    assert!(shown.contains("logging 10.66.0.1"), "{shown}");
    let question = until(&mut cli, "end", r"\(yes/no/cancel\)\? \[cancel\]:\z");
    assert!(question.contains("Uncommitted changes found, commit them before exiting"));
    assert!(cli.transcript("no").ends_with("RP/0/RSP0/CPU0:R3#"));
    assert!(!cli.cmd("show running-config").contains("10.66.0.1"));
    cli.transcript("configure");
    cli.transcript("logging 10.66.0.2");
    cli.transcript("commit");
    cli.transcript("end");
    let mut again = shell(entry, prompt);
    again.transcript("terminal length 0");
    assert!(again
        .cmd("show running-config")
        .contains("logging 10.66.0.2"));
}

#[test]
fn eos_enables_without_a_password_and_answers_like_eos() {
    let lab = lab();
    let entry = lab.ssh("R4");
    let mut cli = shell(entry, r"R4(?:\([a-zA-Z0-9/-]+\))?[>#]");
    assert!(cli.transcript("enable").ends_with("R4#"));
    assert!(cli
        .transcript("terminal length 0")
        .contains("Pagination disabled."));
    assert!(cli
        .transcript("terminal width 511")
        .contains("Width set to 511 columns."));
    assert!(cli.transcript("show bogus").contains("\n% Invalid input\n"));
    cli.transcript("configure");
    assert!(cli
        .transcript("interface Ethernet2")
        .ends_with("R4(config-if-Et2)#"));
    cli.transcript("description eos rust test");
    cli.transcript("end");
    assert!(cli
        .transcript("write memory")
        .contains("Copy completed successfully."));
    let mut again = shell(entry, r"R4(?:\([a-zA-Z0-9/-]+\))?[>#]");
    again.transcript("enable");
    again.transcript("terminal length 0");
    assert!(again
        .cmd("show startup-config")
        .contains("interface Ethernet2\n   description eos rust test"));
}

#[test]
fn junos_pages_commits_fails_a_commit_check_and_rolls_back() {
    let lab = lab();
    let entry = lab.ssh("R5");
    let prompt = r"cisco@R5[>#] ";
    let mut cli = shell(entry, prompt);
    let page = until(&mut cli, "show configuration", r"---\(more\)---\z");
    assert!(page.contains("system {\n    host-name R5;"), "{page}");
    cli.send_raw(b"q");
    cli.expect_prompt();
    assert!(cli
        .transcript("set cli screen-length 0")
        .contains("Screen length set to 0"));
    let bad = cli.transcript("show bogus");
    assert!(
        bad.contains(&format!(
            "\n{}^\nsyntax error, expecting <command>.",
            " ".repeat(10 + 5)
        )),
        "{bad:?}"
    );
    assert!(cli
        .transcript("configure")
        .contains("Entering configuration mode\n\n[edit]\ncisco@R5# "));
    let bad = cli.transcript("set system bogus");
    assert!(bad.contains("syntax error."), "{bad}");
    cli.transcript("set system login user ghost authentication encrypted-password x");
    let check = cli.transcript("commit check");
    assert!(
        check.contains(
            "Missing mandatory statement: 'class'\nerror: configuration check-out failed"
        ),
        "{check}"
    );
    assert!(cli.transcript("rollback 0").contains("load complete"));
    cli.transcript("set system ntp server 10.55.0.1");
    assert!(cli.cmd("show | compare").contains("+   server 10.55.0.1;"));
    assert!(cli.transcript("commit").contains("commit complete"));
    cli.transcript("exit");
    let mut again = shell(entry, prompt);
    again.transcript("set cli screen-length 0");
    let set = again.cmd("show configuration | display set");
    assert!(set.contains("set system ntp server 10.55.0.1"), "{set}");
    assert!(!set.contains("ghost"), "{set}");
}

#[test]
fn asa_enable_asks_a_password_pages_and_writes_memory() {
    let lab = lab();
    let entry = lab.ssh("R6");
    let prompt = r"R6(?:\([a-z-]+\))?[>#] ?";
    let mut cli = shell(entry, prompt);
    cli.enable(&entry.secret);
    let page = until(&mut cli, "show running-config", r"<--- More --->\z");
    assert!(page.contains("ASA Version 9.16(2)"), "{page}");
    cli.send_raw(b"q");
    cli.expect_prompt();
    cli.transcript("terminal pager 0");
    let bad = cli.transcript("show interface ip bogus");
    assert!(
        bad.contains("ERROR: % Invalid input detected at '^' marker."),
        "{bad}"
    );
    cli.transcript("configure terminal");
    cli.transcript("logging host inside 10.44.0.1");
    cli.transcript("end");
    assert!(cli.transcript("write memory").contains("[OK]"));
    let mut again = shell(entry, prompt);
    again.enable(&entry.secret);
    again.transcript("terminal pager 0");
    assert!(again
        .cmd("show startup-config")
        .contains("logging host inside 10.44.0.1"));
}

#[test]
fn linux_sudo_asks_the_users_password_and_root_changes_stay() {
    let lab = lab();
    let entry = lab.ssh("R7");
    let prompt = r"(?:cisco|root)@R7:~[$#] ";
    let mut cli = shell(entry, prompt);
    let denied = cli.transcript("echo hi > /etc/motd");
    assert!(
        denied.contains("-bash: /etc/motd: Permission denied"),
        "{denied}"
    );
    assert!(cli
        .transcript("nonsense")
        .contains("-bash: nonsense: command not found"));
    let asked = until(&mut cli, "sudo -i", r"\[sudo\] password for cisco: \z");
    assert!(asked.ends_with("[sudo] password for cisco: "));
    assert!(cli.transcript(&entry.password).ends_with("root@R7:~# "));
    cli.transcript("echo managed by the rust test > /etc/motd");
    assert!(cli.transcript("exit").ends_with("cisco@R7:~$ "));
    let mut again = shell(entry, prompt);
    assert_eq!(again.cmd("cat /etc/motd"), "managed by the rust test");
}

#[test]
fn telnet_logins_greet_as_the_platform_does() {
    let lab = TestLab::start(&[
        "--lab",
        "labs/multivendor.yaml",
        "--profile",
        "instant",
        "--telnet-port",
        "auto",
    ]);
    let password = Regex::new(r"Password: ?\z").expect("password");
    for (name, login, prompt) in [
        ("R5", r"\(ttyp0\)\r\n\r\nlogin: \z", r"cisco@R5> "),
        ("R7", r"login: \z", r"cisco@R7:~\$ "),
        (
            "R3",
            r"User Access Verification\r\n\r\nUsername: \z",
            r"RP/0/RSP0/CPU0:R3#",
        ),
    ] {
        let entry = lab.telnet(name);
        let telnet = common::Telnet::connect(entry.addr()).expect("telnet connect");
        let mut cli = Expect::new(telnet, name, "\r\n");
        cli.set_prompt(Regex::new(&format!(r"[\r\n]{prompt}\z")).expect("prompt"));
        let greeting = Regex::new(login).expect("login");
        if let Err(e) = cli.read_until(&greeting, Duration::from_secs(20)) {
            panic!("{name}: no login prompt: {e:?}");
        }
        cli.send_line(&entry.username);
        if let Err(e) = cli.read_until(&password, Duration::from_secs(20)) {
            panic!("{name}: no password prompt: {e:?}");
        }
        cli.send_line(&entry.password);
        cli.expect_prompt();
        let version = cli.cmd(if name == "R7" {
            "uname -a"
        } else {
            "show version"
        });
        assert!(
            version.contains("Junos:")
                || version.contains("GNU/Linux")
                || version.contains("IOS XR"),
            "{name}: {version}"
        );
    }
}

#[test]
fn exec_requests_run_one_command_in_the_platforms_cli() {
    use std::io::Read;
    let lab = lab();
    for (name, command, expected) in [
        ("R2", "show version", "Cisco Nexus Operating System"),
        (
            "R5",
            "show configuration | display set",
            "set system host-name R5",
        ),
        ("R7", "hostname", "R7\r\n"),
    ] {
        let session = ssh_login(lab.ssh(name).port, "cisco", "cisco").expect("login");
        let mut channel = session.channel_session().expect("channel");
        channel.exec(command).expect("exec");
        let mut out = String::new();
        channel.read_to_string(&mut out).expect("read");
        channel.wait_close().expect("close");
        assert!(out.contains(expected), "{name} `{command}`: {out:?}");
        assert_eq!(channel.exit_status().expect("status"), 0, "{name}");
    }
}
