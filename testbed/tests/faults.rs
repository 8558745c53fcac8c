//! Each `--fault KIND:SELECTOR` over real SSH, with a healthy device in the same lab as a control.

mod common;

use std::io::ErrorKind;
use std::net::TcpStream;
use std::time::Duration;

use common::{
    ssh_cli, ssh_login, Expect, ReadError, SshError, SshShell, TestLab, PASSWORD, SECRET, USERNAME,
};
use regex::bytes::Regex;

#[test]
fn auth_fail_rejects_the_right_password() {
    let lab = TestLab::start(&["--devices", "3", "--fault", "auth-fail:R2"]);
    match ssh_login(lab.ssh("R2").port, USERNAME, PASSWORD) {
        Err(SshError::Ssh(_)) => {}
        Err(other) => panic!("auth-fail must fail in SSH authentication, failed with {other}"),
        Ok(_) => panic!("auth-fail device accepted the login"),
    }
    ssh_login(lab.ssh("R1").port, USERNAME, PASSWORD).expect("R1 has no fault");
    ssh_login(lab.ssh("R3").port, USERNAME, PASSWORD).expect("R3 has no fault");
}

#[test]
fn refuse_closes_the_port() {
    let lab = TestLab::start(&["--devices", "3", "--fault", "refuse:R2-R3"]);
    for name in ["R2", "R3"] {
        let entry = lab.ssh(name);
        match TcpStream::connect_timeout(&entry.addr(), Duration::from_secs(5)) {
            Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{name}: {e}"),
            Ok(_) => panic!("{name} has the refuse fault but accepted a connection"),
        }
    }
    ssh_login(lab.ssh("R1").port, USERNAME, PASSWORD).expect("R1 has no fault");
}

#[test]
fn stall_logs_in_but_never_prompts() {
    let lab = TestLab::start(&["--devices", "2", "--fault", "stall:R1"]);
    let entry = lab.ssh("R1");
    let session = ssh_login(entry.port, USERNAME, PASSWORD).expect("stalled device still logs in");
    let mut cli = Expect::new(SshShell::open(session).expect("shell"), "R1", "\n");
    let prompt = cli.prompt().clone();
    match cli.read_until(&prompt, Duration::from_secs(3)) {
        Err(ReadError::Timeout { .. }) => {}
        other => panic!("stalled device must show no prompt, got {other:?}"),
    }
    cli.send_line("");
    match cli.read_until(&prompt, Duration::from_secs(2)) {
        Err(ReadError::Timeout { .. }) => {}
        other => panic!("stalled device must not answer input, got {other:?}"),
    }
    ssh_cli(lab.ssh("R2"));
}

#[test]
fn drop_closes_the_connection_in_the_middle_of_output() {
    let lab = TestLab::start(&["--devices", "2", "--fault", "drop:R1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    cli.send_line("show running-config");
    let more_or_prompt = Regex::new(r"(?: --More-- ?\z)|(?:[\r\n\x08]R1[>#] ?\z)").expect("regex");
    let mut output = Vec::new();
    let mut closed = false;
    for _ in 0..200 {
        match cli.read_until(&more_or_prompt, Duration::from_secs(20)) {
            Ok(got) => {
                output.extend_from_slice(&got);
                if !common::normalize(&got).trim_end().ends_with("--More--") {
                    break;
                }
                cli.send_raw(b" ");
            }
            Err(ReadError::Closed { got, .. }) => {
                output.extend_from_slice(&got);
                closed = true;
                break;
            }
            Err(e @ ReadError::Timeout { .. }) => {
                panic!("drop device hung instead of closing: {e:?}")
            }
        }
    }
    let text = common::normalize(&output);
    assert!(closed, "drop device finished show running-config: {text:?}");
    assert!(
        text.trim_start().len() > "show running-config".len(),
        "connection must close in the middle of output, not before it: {text:?}"
    );
    let clock = ssh_cli(lab.ssh("R2")).cmd("show clock");
    assert!(!clock.trim().is_empty(), "R2 has no fault: {clock:?}");
}

#[test]
fn slow_device_still_completes() {
    let lab = TestLab::start(&["--devices", "2", "--profile", "lan", "--fault", "slow:R1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    cli.cmd("terminal length 0");
    let out = cli.cmd("show version");
    assert!(out.contains("Cisco IOS"), "{out:?}");
}

#[test]
fn garbage_puts_non_utf8_bytes_in_output() {
    let lab = TestLab::start(&["--devices", "2", "--fault", "garbage:R1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    cli.cmd("terminal length 0");
    let mut raw = Vec::new();
    for command in [
        "show version",
        "show ip interface brief",
        "show running-config",
    ] {
        cli.send_line(command);
        let prompt = cli.prompt().clone();
        match cli.read_until(&prompt, Duration::from_secs(20)) {
            Ok(got) => raw.extend_from_slice(&got),
            Err(e) => panic!("`{command}` on garbage device: {e:?}"),
        }
    }
    assert!(
        std::str::from_utf8(&raw).is_err(),
        "garbage device printed only valid UTF-8"
    );
    let mut clean = ssh_cli(lab.ssh("R2"));
    clean.cmd("terminal length 0");
    clean.send_line("show version");
    let got = clean.read_prompt().expect("R2 show version");
    assert!(
        std::str::from_utf8(&got).is_ok(),
        "healthy device printed non-UTF-8"
    );
}

#[test]
fn huge_show_tech_support_is_about_ten_megabytes() {
    let lab = TestLab::start(&["--devices", "1", "--fault", "huge:R1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    cli.cmd("terminal length 0");
    cli.send_line("show tech-support");
    let prompt = cli.prompt().clone();
    let got = cli
        .read_until(&prompt, Duration::from_secs(180))
        .unwrap_or_else(|e| {
            panic!(
                "show tech-support: {:?} after {} bytes",
                matches!(e, ReadError::Timeout { .. }),
                e.got().len()
            )
        });
    assert!(
        got.len() >= 9_000_000,
        "show tech-support printed {} bytes",
        got.len()
    );
}

/// Names of the devices whose SSH port refuses connections.
fn refused(lab: &TestLab) -> Vec<String> {
    lab.inventory
        .iter()
        .filter(|e| !e.is_telnet())
        .filter(|e| {
            matches!(
                TcpStream::connect_timeout(&e.addr(), Duration::from_secs(5)),
                Err(err) if err.kind() == ErrorKind::ConnectionRefused
            )
        })
        .map(|e| e.name.clone())
        .collect()
}

#[test]
fn fraction_selector_picks_that_share_reproducibly_by_seed() {
    let args = ["--devices", "10", "--seed", "7", "--fault", "refuse:30%"];
    let first = refused(&TestLab::start(&args));
    assert_eq!(first.len(), 3, "30% of 10 devices, got {first:?}");
    let second = refused(&TestLab::start(&args));
    assert_eq!(first, second, "same seed must pick the same devices");
}
