//! Transcripts of the non-IOS personalities through the session API: bytes in, output out.

use std::sync::Arc;

use super::super::{CliFaults, CliSession, Device, DeviceSpec, Out, Platform, SessionStart};

fn device(platform: Platform) -> Arc<Device> {
    Device::new(DeviceSpec {
        index: 0,
        hostname: "R1".into(),
        seed: 1,
        username: "cisco".into(),
        password: "cisco".into(),
        enable_secret: "cisco".into(),
        faults: CliFaults::default(),
        platform,
    })
}

fn printed(outs: &[Out]) -> String {
    let mut bytes = Vec::new();
    for out in outs {
        if let Out::Echo(b) | Out::Text(b) = out {
            bytes.extend_from_slice(b);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn login(device: &Arc<Device>) -> (CliSession, String) {
    let (s, first) = CliSession::new(Arc::clone(device), SessionStart::Authenticated);
    (s, printed(&first))
}

/// What a line typed in one go prints after its echo.
fn run(s: &mut CliSession, line: &str) -> String {
    let out = printed(&s.input(format!("{line}\r").as_bytes()));
    let echo = format!("{line}\r\n");
    assert!(out.starts_with(&echo), "echo of {line:?}: {out:?}");
    out[echo.len()..].to_string()
}

#[test]
fn nxos_shows_in_config_mode_and_leaves_sub_modes_for_global_commands() {
    let d = device(Platform::CiscoNxos);
    let (mut s, first) = login(&d);
    assert!(first.ends_with("R1#"), "{first:?}");
    run(&mut s, "configure terminal");
    assert!(run(&mut s, "interface eth1/2").ends_with("R1(config-if)#"));
    let shown = run(&mut s, "show running-config | include hostname");
    assert_eq!(shown, "hostname R1\r\nR1(config-if)#");
    assert!(run(&mut s, "vlan 10").ends_with("R1(config-vlan)#"));
    assert!(run(&mut s, "hostname N9K-1").ends_with("N9K-1(config)#"));
    assert_eq!(
        run(&mut s, "interface ethernet9/9"),
        format!(
            "{}^\r\n% Invalid command at '^' marker.\r\nN9K-1(config)#",
            " ".repeat(24)
        )
    );
}

#[test]
fn xr_end_asks_and_cancel_stays_in_config() {
    let d = device(Platform::CiscoXr);
    let (mut s, _) = login(&d);
    run(&mut s, "configure");
    run(&mut s, "hostname XR9");
    let asked = run(&mut s, "end");
    assert!(asked.ends_with("(yes/no/cancel)? [cancel]:"), "{asked:?}");
    assert!(run(&mut s, "").ends_with("RP/0/RSP0/CPU0:R1(config)#"));
    assert!(run(&mut s, "commit").ends_with("RP/0/RSP0/CPU0:XR9(config)#"));
    assert!(run(&mut s, "end").ends_with("RP/0/RSP0/CPU0:XR9#"));
    run(&mut s, "configure");
    run(&mut s, "logging 10.3.3.3");
    let asked = printed(&s.input(b"\x1a"));
    assert!(
        asked.starts_with("^Z\r\n") && asked.ends_with("[cancel]:"),
        "{asked:?}"
    );
    assert!(printed(&s.input(b"no\r")).ends_with("RP/0/RSP0/CPU0:XR9#"));
}

#[test]
fn junos_exit_with_changes_asks_and_a_new_session_is_told() {
    let d = device(Platform::JuniperJunos);
    let (mut s, first) = login(&d);
    assert!(first.starts_with("--- JUNOS 20.4R3.8") && first.ends_with("cisco@R1> "));
    run(&mut s, "configure");
    assert_eq!(
        run(&mut s, "set system ntp server 10.1.2.3"),
        "\r\n[edit]\r\ncisco@R1# "
    );
    let asked = run(&mut s, "exit");
    assert!(
        asked.ends_with("Exit with uncommitted changes? [yes,no] (yes) "),
        "{asked:?}"
    );
    assert!(run(&mut s, "no").ends_with("[edit]\r\ncisco@R1# "));
    assert!(run(&mut s, "exit").ends_with("(yes) "));
    assert!(run(&mut s, "yes").ends_with("Exiting configuration mode\r\ncisco@R1> "));
    let (mut other, _) = login(&d);
    let entered = run(&mut other, "configure");
    assert!(entered.contains("The configuration has been changed but not committed"));
    assert!(run(&mut other, "show | compare").contains("[edit system ntp]\r\n+   server 10.1.2.3;"));
    run(&mut other, "rollback 0");
    assert_eq!(
        run(&mut other, "show | compare"),
        "\r\n[edit]\r\ncisco@R1# "
    );
}

#[test]
fn asa_refuses_three_bad_enable_passwords() {
    let d = device(Platform::CiscoAsa);
    let (mut s, first) = login(&d);
    assert!(first.ends_with("R1>"));
    assert_eq!(run(&mut s, "enable"), "Password: ");
    assert_eq!(
        printed(&s.input(b"x\r")),
        "\r\nInvalid password\r\nPassword: "
    );
    assert_eq!(
        printed(&s.input(b"y\r")),
        "\r\nInvalid password\r\nPassword: "
    );
    assert_eq!(
        printed(&s.input(b"z\r")),
        "\r\nInvalid password\r\nAccess denied.\r\nR1>"
    );
    run(&mut s, "enable");
    assert_eq!(printed(&s.input(b"cisco\r")), "\r\nR1#");
    assert!(run(&mut s, "show curpriv").contains("Current Mode/s : P_PRIV"));
}

#[test]
fn eos_and_linux_levels() {
    let d = device(Platform::AristaEos);
    let (mut s, _) = login(&d);
    assert!(run(&mut s, "show privilege").starts_with("Current privilege level is 1"));
    assert_eq!(run(&mut s, "configure"), "% Invalid input\r\nR1>");
    assert_eq!(run(&mut s, "enable"), "R1#");
    let d = device(Platform::Linux);
    let (mut s, first) = login(&d);
    assert!(first.starts_with("Linux 6.1.0-18-amd64") && first.ends_with("cisco@R1:~$ "));
    assert_eq!(run(&mut s, "sudo -s"), "[sudo] password for cisco: ");
    assert_eq!(
        printed(&s.input(b"wrong\r")),
        "\r\nSorry, try again.\r\n[sudo] password for cisco: "
    );
    assert_eq!(printed(&s.input(b"cisco\r")), "\r\nroot@R1:~# ");
    assert_eq!(run(&mut s, "whoami"), "root\r\nroot@R1:~# ");
}

/// The line discipline is shared: a Junos config session typed one byte at a time prints what
/// the same lines typed whole print.
#[test]
fn byte_at_a_time_input_prints_the_same() {
    let typed = b"set cli screen-length 0\rconfigure\rset system host-name J2\rcommit check\rcommit\rexit\rshow configuration | display set | match host\r";
    let whole = {
        let (mut s, _) = login(&device(Platform::JuniperJunos));
        printed(&s.input(typed))
    };
    let split = {
        let (mut s, _) = login(&device(Platform::JuniperJunos));
        let mut out = String::new();
        for b in typed {
            out.push_str(&printed(&s.input(&[*b])));
        }
        out
    };
    assert_eq!(whole, split);
    assert!(
        whole.contains("configuration check succeeds") && whole.contains("set system host-name J2")
    );
}
