//! The device CLI over real SSH (libssh2 via the `ssh2` crate): login, enable, paging,
//! abbreviations, error messages, configuration state across sessions, and the `exec` request.

mod common;

use std::io::Read;
use std::time::Duration;

use common::{last_prompt, ssh_cli, ssh_login, Expect, TestLab, PASSWORD, SECRET, USERNAME};
use regex::bytes::Regex;

const MORE: &str = " --More-- ";

fn more_or_prompt(hostname: &str) -> Regex {
    Regex::new(&format!(
        r"(?: --More-- ?\z)|(?:(?:\A|[\r\n\x08]){}(?:\([a-z-]+\))?[>#] ?\z)",
        regex::escape(hostname)
    ))
    .expect("regex")
}

#[test]
fn login_lands_in_user_exec_and_enable_reaches_privileged() {
    let lab = TestLab::start(&["--devices", "2"]);
    let mut cli = ssh_cli(lab.ssh("R2"));
    let first = cli.transcript("");
    assert_eq!(last_prompt(&first), "R2>");
    let after = cli.enable(SECRET);
    assert_eq!(last_prompt(&after), "R2#");
    let after = cli.transcript("disable");
    assert_eq!(last_prompt(&after), "R2>");
}

#[test]
fn enable_with_a_bad_secret_stays_in_user_exec() {
    let lab = TestLab::start(&["--devices", "1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.send_line("enable");
    let password_or_prompt = Regex::new(r"(?:[Pp]assword: ?\z)|(?:[\r\n]R1[>#] ?\z)").unwrap();
    let mut seen = String::new();
    // IOS asks up to three times, then prints `% Bad secrets` and returns to user exec.
    for _ in 0..4 {
        let got = cli
            .read_until(&password_or_prompt, Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("enable dialogue stopped: {e:?}"));
        seen.push_str(&common::normalize(&got));
        if !seen.trim_end().ends_with(':') {
            break;
        }
        cli.send_line("not-the-secret");
    }
    assert!(
        seen.trim_end().ends_with("R1>"),
        "bad secret must leave the session in user exec, got {seen:?}"
    );
    assert!(
        seen.contains('%'),
        "bad secret must print an error, got {seen:?}"
    );
}

#[test]
fn output_pages_at_more_until_terminal_length_0() {
    let lab = TestLab::start(&["--devices", "1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    let stop = more_or_prompt("R1");

    // q stops the listing and returns to the prompt.
    cli.send_line("show running-config");
    let page = cli
        .read_until(&stop, Duration::from_secs(20))
        .expect("first page");
    let page = common::normalize(&page);
    assert!(
        page.ends_with(MORE) || page.ends_with(MORE.trim_end()),
        "no --More-- after a page: {page:?}"
    );
    cli.send_raw(b"q");
    let prompt = cli.prompt().clone();
    let rest = common::normalize(
        &cli.read_until(&prompt, Duration::from_secs(20))
            .expect("prompt after q"),
    );
    assert!(!rest.contains("--More--"), "q must stop paging: {rest:?}");

    // enter shows one more line; space a whole page; paging through reaches the end of the config.
    cli.send_line("show running-config");
    cli.read_until(&stop, Duration::from_secs(20))
        .expect("first page");
    cli.send_raw(b"\r");
    let one = common::normalize(
        &cli.read_until(&stop, Duration::from_secs(20))
            .expect("one line"),
    );
    let lines_after_enter = one
        .trim_end_matches(MORE)
        .trim_end_matches(MORE.trim_end())
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    assert!(
        lines_after_enter <= 2,
        "enter at --More-- must show one line, got {one:?}"
    );
    let mut paged = String::new();
    let mut finished = false;
    for _ in 0..500 {
        cli.send_raw(b" ");
        let got = common::normalize(
            &cli.read_until(&stop, Duration::from_secs(20))
                .expect("next page"),
        );
        paged.push_str(&got);
        if !got.trim_end().ends_with("--More--") {
            finished = true;
            break;
        }
    }
    assert!(
        finished,
        "space never reached the end of show running-config"
    );
    assert!(
        paged
            .lines()
            .any(|l| l.trim_matches(|c: char| c == '\x08' || c.is_whitespace()) == "end"),
        "paged listing must end with `end`: {paged:?}"
    );
    assert!(last_prompt(&paged) == "R1#");

    // terminal length 0: the whole listing at once.
    let out = cli.cmd("terminal length 0");
    assert!(!out.contains('%'), "terminal length 0 rejected: {out:?}");
    let full = cli.cmd("show running-config");
    assert!(
        !full.contains("--More--"),
        "paging still on after terminal length 0"
    );
    assert!(
        full.lines().count() > 24,
        "running-config must be longer than a page to test paging"
    );
    assert!(
        full.contains("hostname R1"),
        "running-config lacks hostname: {full}"
    );
    assert!(
        full.trim_end().ends_with("end"),
        "running-config must end with `end`: {full}"
    );
    let out = cli.cmd("terminal width 511");
    assert!(!out.contains('%'), "terminal width rejected: {out:?}");
}

#[test]
fn abbreviations_resolve_by_unique_prefix() {
    let lab = TestLab::start(&["--devices", "1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    let out = cli.cmd("term len 0");
    assert!(!out.contains('%'), "`term len 0`: {out:?}");
    let brief = cli.cmd("sh ip int br");
    assert!(
        brief.contains("Interface") && brief.contains("IP-Address") && brief.contains("Protocol"),
        "`sh ip int br` is not show ip interface brief: {brief}"
    );
    assert_eq!(brief, cli.cmd("show ip interface brief"));
    let ver = cli.cmd("sh ver");
    assert!(ver.contains("Cisco IOS"), "`sh ver`: {ver}");
    let t = cli.transcript("conf t");
    assert_eq!(last_prompt(&t), "R1(config)#");
    let t = cli.transcript("int gi0/1");
    assert_eq!(last_prompt(&t), "R1(config-if)#");
    let t = cli.transcript("end");
    assert_eq!(last_prompt(&t), "R1#");
    let wr = cli.cmd("wr");
    assert!(
        wr.contains("Building configuration...") && wr.contains("[OK]"),
        "`wr`: {wr:?}"
    );
}

/// The column of the caret line's `^`, given the transcript of an invalid line.
fn caret_column(transcript: &str) -> usize {
    let caret_line = transcript
        .lines()
        .find(|l| l.trim() == "^")
        .unwrap_or_else(|| panic!("no caret line in {transcript:?}"));
    caret_line.find('^').expect("caret")
}

#[test]
fn invalid_input_marks_the_offending_word_with_a_caret() {
    let lab = TestLab::start(&["--devices", "1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    let cases = [
        ("R1#", "show foo", "foo"),
        ("R1#", "shw version", "shw"),
        ("R1#", "show ip interface brief banana", "banana"),
    ];
    for (prompt, line, bad) in cases {
        let t = cli.transcript(line);
        assert!(
            t.contains("% Invalid input detected at '^' marker."),
            "`{line}`: {t:?}"
        );
        let want = prompt.len() + line.find(bad).unwrap();
        assert_eq!(
            caret_column(&t),
            want,
            "caret for `{line}` not under `{bad}`: {t:?}"
        );
    }
    cli.transcript("configure terminal");
    let t = cli.transcript("interfaze gi0/1");
    assert!(
        t.contains("% Invalid input detected at '^' marker."),
        "{t:?}"
    );
    assert_eq!(caret_column(&t), "R1(config)#".len(), "{t:?}");
    assert_eq!(last_prompt(&t), "R1(config)#");
}

#[test]
fn ambiguous_and_incomplete_commands_are_reported() {
    let lab = TestLab::start(&["--devices", "1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    // `co`: configure or copy; `show i`: interfaces or ip.
    for line in ["co", "show i"] {
        let out = cli.cmd(line);
        assert!(
            out.contains(&format!("% Ambiguous command:  \"{line}\"")),
            "`{line}`: {out:?}"
        );
    }
    let out = cli.cmd("show");
    assert!(out.contains("% Incomplete command."), "`show`: {out:?}");
    cli.transcript("conf t");
    let out = cli.cmd("hostname");
    assert!(out.contains("% Incomplete command."), "`hostname`: {out:?}");
    let out = cli.cmd("interface");
    assert!(
        out.contains("% Incomplete command."),
        "`interface`: {out:?}"
    );
}

#[test]
fn configuration_is_seen_by_a_later_session_and_saved_by_write_memory() {
    let lab = TestLab::start(&["--devices", "2"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    cli.cmd("terminal length 0");
    let t = cli.transcript("configure terminal");
    assert_eq!(last_prompt(&t), "R1(config)#");
    for line in [
        "logging 10.5.5.5",
        "interface GigabitEthernet0/1",
        "description uplink to core",
        "exit",
        "router ospf 1",
        "network 10.0.0.0 0.255.255.255 area 0",
    ] {
        let out = cli.cmd(line);
        assert!(!out.contains('%'), "`{line}` rejected: {out:?}");
    }
    let t = cli.transcript("end");
    assert_eq!(last_prompt(&t), "R1#");
    let startup = cli.cmd("show startup-config | include logging");
    assert!(
        !startup.contains("10.5.5.5"),
        "unsaved change already in startup-config"
    );
    drop(cli);

    let mut later = ssh_cli(lab.ssh("R1"));
    later.enable(SECRET);
    later.cmd("terminal length 0");
    let logging = later.cmd("show running-config | include logging");
    assert!(
        logging
            .lines()
            .any(|l| l.starts_with("logging") && l.contains("10.5.5.5")),
        "a later session must see `logging 10.5.5.5`: {logging:?}"
    );
    let ospf = later.cmd("sh run | s ^router ospf");
    assert!(
        ospf.contains("router ospf 1") && ospf.contains("network 10.0.0.0 0.255.255.255 area 0"),
        "`sh run | s ^router ospf`: {ospf:?}"
    );
    let desc = later.cmd("show interfaces description");
    assert!(
        desc.contains("uplink to core"),
        "show interfaces description: {desc}"
    );

    let saved = later.cmd("write memory");
    assert!(
        saved.contains("Building configuration...") && saved.contains("[OK]"),
        "{saved:?}"
    );
    let startup = later.cmd("show startup-config | include logging");
    assert!(
        startup.contains("10.5.5.5"),
        "write memory did not update startup-config: {startup:?}"
    );

    let other = ssh_cli(lab.ssh("R2"));
    let mut other = other;
    other.enable(SECRET);
    other.cmd("terminal length 0");
    let r2 = other.cmd("show running-config | include logging");
    assert!(
        !r2.contains("10.5.5.5"),
        "R2 must not see R1's configuration: {r2:?}"
    );
}

#[test]
fn copy_running_config_startup_config_saves() {
    let lab = TestLab::start(&["--devices", "1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    cli.transcript("conf t");
    cli.cmd("logging 10.6.6.6");
    cli.transcript("end");
    cli.send_line("copy running-config startup-config");
    let confirm_or_prompt = Regex::new(r"(?:\]\? ?\z)|(?:[\r\n]R1# ?\z)").expect("regex");
    let mut out = common::normalize(
        &cli.read_until(&confirm_or_prompt, Duration::from_secs(20))
            .expect("copy answered"),
    );
    if out.trim_end().ends_with("]?") {
        out.push_str(&cli.transcript(""));
    }
    assert!(
        out.contains("Building configuration...") && out.contains("[OK]"),
        "{out:?}"
    );
    let startup = cli.cmd("show startup-config | include logging");
    assert!(startup.contains("10.6.6.6"), "{startup:?}");
}

#[test]
fn hostname_changes_the_prompt_now_and_in_later_sessions() {
    let lab = TestLab::start(&["--devices", "1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    cli.transcript("conf t");
    cli.set_hostname("CORE-1");
    let t = cli.transcript("hostname CORE-1");
    assert_eq!(last_prompt(&t), "CORE-1(config)#");
    let t = cli.transcript("end");
    assert_eq!(last_prompt(&t), "CORE-1#");
    drop(cli);

    let entry = lab.ssh("R1");
    let session = ssh_login(entry.port, USERNAME, PASSWORD).expect("login after rename");
    let mut later = Expect::new(
        common::SshShell::open(session).expect("shell"),
        "CORE-1",
        "\n",
    );
    let t = later.expect_prompt();
    assert_eq!(last_prompt(&t), "CORE-1>");
}

#[test]
fn filters_include_exclude_begin() {
    let lab = TestLab::start(&["--devices", "1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    cli.cmd("terminal length 0");
    let inc = cli.cmd("show running-config | include interface");
    assert!(
        !inc.is_empty() && inc.lines().all(|l| l.contains("interface")),
        "{inc:?}"
    );
    let route = cli.cmd("show ip route");
    let ex = cli.cmd("sh ip route | ex -");
    assert!(ex.lines().all(|l| !l.contains('-')), "{ex:?}");
    assert!(
        route.contains('-') && ex.len() < route.len(),
        "`| ex -` must drop lines: {route:?}"
    );
    let begin = cli.cmd("show running-config | begin interface");
    assert!(begin.starts_with("interface"), "{begin:?}");
    for show in ["show clock", "show arp", "show interfaces description"] {
        let out = cli.cmd(show);
        assert!(
            !out.trim().is_empty() && !out.contains('%'),
            "`{show}`: {out:?}"
        );
    }
}

#[test]
fn exec_request_runs_one_command() {
    let lab = TestLab::start(&["--devices", "1"]);
    let entry = lab.ssh("R1");
    let session = ssh_login(entry.port, USERNAME, PASSWORD).expect("login");
    let mut channel = session.channel_session().expect("channel");
    channel.exec("show version").expect("exec");
    let mut out = String::new();
    channel.read_to_string(&mut out).expect("read exec output");
    channel.wait_close().expect("close");
    assert!(out.contains("Cisco IOS"), "exec show version: {out:?}");
    assert_eq!(channel.exit_status().expect("exit status"), 0);

    let mut channel = session.channel_session().expect("channel");
    channel.exec("show running-config").expect("exec");
    let mut out = String::new();
    channel.read_to_string(&mut out).expect("read exec output");
    channel.wait_close().expect("close");
    assert!(!out.contains("--More--"), "exec output must not page");
    assert!(out.contains("hostname R1"), "{out:?}");
}

#[test]
fn wrong_password_is_rejected() {
    let lab = TestLab::start(&["--devices", "1"]);
    let entry = lab.ssh("R1");
    match ssh_login(entry.port, USERNAME, "wrong") {
        Err(common::SshError::Ssh(_)) => {}
        Err(other) => panic!("wrong password must fail in SSH auth, failed with {other}"),
        Ok(_) => panic!("wrong password accepted"),
    }
    ssh_login(entry.port, USERNAME, PASSWORD).expect("right password");
}

#[test]
fn shutdown_no_forms_ctrl_z_and_logout() {
    let lab = TestLab::start(&["--devices", "1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    cli.cmd("terminal length 0");
    cli.transcript("conf t");
    for line in [
        "logging 10.5.5.5",
        "interface GigabitEthernet0/2",
        "shutdown",
    ] {
        let out = cli.cmd(line);
        assert!(!out.contains('%'), "`{line}` rejected: {out:?}");
    }
    // Ctrl-Z leaves configuration mode from any depth.
    cli.send_raw(b"\x1a");
    let t = cli.expect_prompt();
    assert_eq!(last_prompt(&t), "R1#", "{t:?}");
    let brief = cli.cmd("show ip interface brief | include GigabitEthernet0/2");
    assert!(brief.contains("administratively down"), "{brief:?}");

    cli.transcript("configure terminal");
    cli.cmd("no logging 10.5.5.5");
    cli.cmd("interface GigabitEthernet0/2");
    cli.cmd("no shutdown");
    let t = cli.transcript("end");
    assert_eq!(last_prompt(&t), "R1#");
    let logging = cli.cmd("show running-config | include logging");
    assert!(
        !logging.contains("10.5.5.5"),
        "`no logging` kept it: {logging:?}"
    );
    let brief = cli.cmd("show ip interface brief | include GigabitEthernet0/2");
    assert!(!brief.contains("administratively down"), "{brief:?}");

    cli.send_line("logout");
    match cli.read_prompt() {
        Err(common::ReadError::Closed { .. }) => {}
        other => panic!("logout must end the session, got {other:?}"),
    }
}
