//! The device CLI over real Telnet: a TcpStream plus this test's own option handling (accept the
//! server's ECHO and SGA, refuse everything else), `Username:`/`Password:` login, enable, show
//! and configuration.

mod common;

use std::time::Duration;

use common::{last_prompt, telnet_cli, Expect, Telnet, TestLab, SECRET, USERNAME};
use regex::bytes::Regex;

const OPT_ECHO: u8 = 1;
const OPT_SGA: u8 = 3;

#[test]
fn telnet_login_enable_show_and_configure() {
    let lab = TestLab::start(&["--devices", "2", "--telnet-port", "auto"]);
    let mut cli = telnet_cli(&lab.telnet("R2"));
    assert!(
        cli.wire.server_will(OPT_ECHO),
        "server must offer WILL ECHO: {:?}",
        cli.wire.negotiated
    );
    assert!(
        cli.wire.server_will(OPT_SGA),
        "server must offer WILL SGA: {:?}",
        cli.wire.negotiated
    );
    let t = cli.transcript("");
    assert_eq!(last_prompt(&t), "R2>");
    let t = cli.enable(SECRET);
    assert_eq!(last_prompt(&t), "R2#");
    cli.cmd("terminal length 0");
    let version = cli.cmd("show version");
    assert!(version.contains("Cisco IOS"), "{version:?}");
    let brief = cli.cmd("sh ip int br");
    assert!(brief.contains("Interface"), "{brief:?}");

    let t = cli.transcript("conf t");
    assert_eq!(last_prompt(&t), "R2(config)#");
    let out = cli.cmd("logging 10.7.7.7");
    assert!(!out.contains('%'), "{out:?}");
    let t = cli.transcript("end");
    assert_eq!(last_prompt(&t), "R2#");
    let wr = cli.cmd("write memory");
    assert!(wr.contains("[OK]"), "{wr:?}");
    drop(cli);

    // The SSH side of the same device sees the change: state is per device, not per transport.
    let mut ssh = common::ssh_cli(lab.ssh("R2"));
    ssh.enable(SECRET);
    let logging = ssh.cmd("show startup-config | include logging");
    assert!(logging.contains("10.7.7.7"), "{logging:?}");
}

#[test]
fn telnet_echoes_typed_characters() {
    let lab = TestLab::start(&["--devices", "1", "--telnet-port", "auto"]);
    let mut cli = telnet_cli(&lab.telnet("R1"));
    let t = cli.transcript("show clock");
    assert!(
        t.starts_with("show clock\n"),
        "typed line must be echoed: {t:?}"
    );
}

#[test]
fn telnet_wrong_password_does_not_log_in() {
    let lab = TestLab::start(&["--devices", "1", "--telnet-port", "auto"]);
    let entry = lab.telnet("R1");
    let mut cli = Expect::new(
        Telnet::connect(entry.addr()).expect("connect"),
        "R1",
        "\r\n",
    );
    let username = Regex::new(r"[Uu]sername: ?\z").unwrap();
    let password = Regex::new(r"[Pp]assword: ?\z").unwrap();
    cli.read_until(&username, Duration::from_secs(20))
        .expect("Username:");
    cli.send_line(USERNAME);
    cli.read_until(&password, Duration::from_secs(20))
        .expect("Password:");
    cli.send_line("wrong");
    let again_or_closed = Regex::new(r"[Uu]sername: ?\z").unwrap();
    let got = match cli.read_until(&again_or_closed, Duration::from_secs(20)) {
        Ok(got) => got,
        Err(common::ReadError::Closed { got, .. }) => got,
        Err(e) => panic!("no answer to a wrong password: {e:?}"),
    };
    let text = common::normalize(&got);
    assert!(!text.contains("R1>"), "wrong password logged in: {text:?}");
    assert!(
        text.contains('%'),
        "wrong password must print an error: {text:?}"
    );
}
