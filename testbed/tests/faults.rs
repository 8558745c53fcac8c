//! Each `--fault KIND[=VALUE]:SELECTOR` over real SSH (and Telnet or a raw TCP client where the
//! fault is about them), with a healthy device in the same lab as a control.

mod common;

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::Duration;

use common::{
    last_prompt, normalize, ssh_cli, ssh_login, Expect, InventoryEntry, ReadError, SshError,
    SshShell, Telnet, TestLab, Wire, PASSWORD, SECRET, USERNAME,
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

/// The config lines the drop-config tests push: `logging host 192.0.2.1` .. `.5`.
fn push_lines() -> Vec<String> {
    (1..=5)
        .map(|n| format!("logging host 192.0.2.{n}"))
        .collect()
}

/// `show running-config` from a new session: what the device really holds.
fn running_config(entry: &InventoryEntry) -> String {
    let mut cli = ssh_cli(entry);
    cli.enable(SECRET);
    cli.cmd("terminal length 0");
    cli.cmd("show running-config")
}

/// Read until the device closes the session (prompts along the way do not stop it).
fn read_to_close<W: Wire>(cli: &mut Expect<W>) -> Vec<u8> {
    let prompt = cli.prompt().clone();
    let mut got = Vec::new();
    for _ in 0..100 {
        match cli.read_until(&prompt, Duration::from_secs(20)) {
            Ok(more) => got.extend_from_slice(&more),
            Err(ReadError::Closed { got: more, .. }) => {
                got.extend_from_slice(&more);
                return got;
            }
            Err(e @ ReadError::Timeout { .. }) => panic!("device did not close: {e:?}"),
        }
    }
    panic!(
        "device kept prompting without closing: {:?}",
        normalize(&got)
    );
}

#[test]
fn drop_config_cuts_a_push_after_applying_line_n() {
    let lab = TestLab::start(&["--devices", "3", "--fault", "drop-config=3:R1-R2"]);
    let lines = push_lines();

    // Line by line, as a careful client pushes: lines 1 and 2 are answered; line 3 is echoed
    // and then the connection closes before its prompt.
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    assert_eq!(
        last_prompt(&cli.transcript("configure terminal")),
        "R1(config)#"
    );
    for line in &lines[..2] {
        assert_eq!(last_prompt(&cli.transcript(line)), "R1(config)#", "{line}");
    }
    cli.send_line(&lines[2]);
    match cli.read_prompt() {
        Err(ReadError::Closed { got, .. }) => {
            assert_eq!(
                normalize(&got),
                format!("{}\n", lines[2]),
                "echo, then nothing"
            )
        }
        other => panic!("drop-config=3 must close after line 3's echo, got {other:?}"),
    }
    let config = running_config(lab.ssh("R1"));
    for line in &lines[..3] {
        assert!(config.contains(line), "{line} was applied: {config}");
    }
    for line in &lines[3..] {
        assert!(!config.contains(line), "{line} was never run: {config}");
    }

    // Typed ahead in one write, as a fast client pushes: the same cut, line 4 never runs.
    let mut cli = ssh_cli(lab.ssh("R2"));
    cli.enable(SECRET);
    cli.transcript("configure terminal");
    cli.send_raw(format!("{}\nend\n", lines.join("\n")).as_bytes());
    let transcript = normalize(&read_to_close(&mut cli));
    assert!(
        transcript.ends_with(&format!("R2(config)#{}\n", lines[2])),
        "{transcript:?}"
    );
    assert!(!transcript.contains(&lines[3]), "{transcript:?}");
    let config = running_config(lab.ssh("R2"));
    assert!(
        config.contains(&lines[2]) && !config.contains(&lines[3]),
        "{config}"
    );

    // The healthy device takes the whole push.
    let mut cli = ssh_cli(lab.ssh("R3"));
    cli.enable(SECRET);
    cli.transcript("configure terminal");
    for line in &lines {
        assert_eq!(last_prompt(&cli.transcript(line)), "R3(config)#", "{line}");
    }
    assert_eq!(last_prompt(&cli.transcript("end")), "R3#");
    let config = running_config(lab.ssh("R3"));
    assert!(lines.iter().all(|line| config.contains(line)), "{config}");
}

#[test]
fn drop_keeps_its_meaning_during_config_pushes() {
    let lab = TestLab::start(&["--devices", "1", "--fault", "drop:R1"]);
    let mut cli = ssh_cli(lab.ssh("R1"));
    cli.enable(SECRET);
    cli.transcript("configure terminal");
    for line in push_lines() {
        assert_eq!(last_prompt(&cli.transcript(&line)), "R1(config)#", "{line}");
    }
    assert_eq!(last_prompt(&cli.transcript("end")), "R1#");
}

/// Connect to `entry` and read: the error the reset fault gives, from whichever call saw it.
fn connect_and_read(entry: &InventoryEntry) -> std::io::Error {
    // A non-blocking connect (what connect_timeout does) may already see the reset when it
    // checks the socket's error; otherwise the first read does.
    let mut stream = match TcpStream::connect_timeout(&entry.addr(), Duration::from_secs(5)) {
        Ok(stream) => stream,
        Err(e) => return e,
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let mut buf = [0u8; 256];
    match stream.read(&mut buf) {
        Err(e) => {
            // The reset ends the connection: what follows is end of stream.
            assert_eq!(stream.read(&mut buf).ok(), Some(0), "after the reset");
            e
        }
        Ok(n) => panic!(
            "port {}: read {n} bytes ({:?}) instead of a reset",
            entry.port,
            String::from_utf8_lossy(&buf[..n])
        ),
    }
}

#[test]
fn reset_accepts_then_resets_every_connection() {
    let lab = TestLab::start(&[
        "--devices",
        "2",
        "--telnet-port",
        "auto",
        "--fault",
        "reset:R1",
    ]);
    for entry in [lab.ssh("R1").clone(), lab.telnet("R1")] {
        for attempt in 0..20 {
            let error = connect_and_read(&entry);
            assert_eq!(
                error.kind(),
                ErrorKind::ConnectionReset,
                "port {} try {attempt}: want ECONNRESET (never a refusal, EOF or data), got {error}",
                entry.port
            );
        }
    }
    match ssh_login(lab.ssh("R1").port, USERNAME, PASSWORD) {
        Err(_) => {}
        Ok(_) => panic!("an SSH login through a reset must fail"),
    }
    ssh_login(lab.ssh("R2").port, USERNAME, PASSWORD).expect("R2 has no fault");
}

#[test]
fn refuse_first_resets_only_the_first_connections() {
    let lab = TestLab::start(&[
        "--devices",
        "1",
        "--telnet-port",
        "auto",
        "--fault",
        "refuse-first=2:R1",
    ]);
    // SSH and Telnet count together: one reset on each port, then both serve.
    for entry in [lab.ssh("R1").clone(), lab.telnet("R1")] {
        let error = connect_and_read(&entry);
        assert_eq!(
            error.kind(),
            ErrorKind::ConnectionReset,
            "port {}",
            entry.port
        );
    }
    ssh_login(lab.ssh("R1").port, USERNAME, PASSWORD).expect("the third connection is served");
}

/// Log in over Telnet up to the point where the prompt would come, without waiting for it.
fn telnet_login(entry: &InventoryEntry) -> Expect<Telnet> {
    let telnet = Telnet::connect(entry.addr()).expect("telnet connect");
    let mut cli = Expect::new(telnet, &entry.name, "\r\n");
    let username = Regex::new(r"[Uu]sername: ?\z").expect("regex");
    let password = Regex::new(r"[Pp]assword: ?\z").expect("regex");
    cli.read_until(&username, Duration::from_secs(20))
        .expect("Username: prompt");
    cli.send_line(&entry.username);
    cli.read_until(&password, Duration::from_secs(20))
        .expect("Password: prompt");
    cli.send_line(&entry.password);
    cli
}

/// Read exactly `n` bytes (or fewer if the peer closes first) within 60 s.
fn read_bytes(wire: &mut impl Wire, n: usize) -> Vec<u8> {
    let mut got = Vec::with_capacity(n);
    let mut buf = vec![0u8; 64 * 1024];
    while got.len() < n {
        let want = (n - got.len()).min(buf.len());
        match wire.recv(&mut buf[..want], Duration::from_secs(60)) {
            Ok(0) => break,
            Ok(k) => got.extend_from_slice(&buf[..k]),
            Err(e) => panic!("read failed after {} bytes: {e}", got.len()),
        }
    }
    got
}

/// What a flood may contain: no line end, no prompt character, nothing but the pattern.
fn assert_flood(bytes: &[u8]) {
    assert!(
        bytes.iter().all(|b| b.is_ascii_alphanumeric()),
        "flood must be newline- and prompt-free: {:?}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
    );
}

/// Kernel's count of the process's resident memory, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .expect("VmRSS in /proc status")
}

#[test]
fn flood_streams_newline_free_bytes_after_login() {
    let lab = TestLab::start(&[
        "--devices",
        "2",
        "--telnet-port",
        "auto",
        "--fault",
        "flood:R1",
    ]);
    // Telnet: the password's line end, then flood instead of the prompt.
    let mut cli = telnet_login(&lab.telnet("R1"));
    let first = read_bytes(&mut cli.wire, 2);
    assert_eq!(first, b"\r\n");
    let flood = read_bytes(&mut cli.wire, 8 << 20);
    assert_eq!(flood.len(), 8 << 20, "the flood goes on");
    assert_flood(&flood);
    drop(cli);

    // SSH shell: flood from the first byte.
    let session = ssh_login(lab.ssh("R1").port, USERNAME, PASSWORD).expect("flood logs in");
    let mut shell = SshShell::open(session).expect("shell");
    let flood = read_bytes(&mut shell, 2 << 20);
    assert_eq!(flood.len(), 2 << 20);
    assert_flood(&flood);
    drop(shell);

    ssh_cli(lab.ssh("R2"));
}

#[test]
fn a_sized_flood_sends_exactly_that_many_bytes_then_closes() {
    let lab = TestLab::start(&[
        "--devices",
        "1",
        "--telnet-port",
        "auto",
        "--fault",
        "flood=1M:R1",
    ]);
    let mut cli = telnet_login(&lab.telnet("R1"));
    let got = read_bytes(&mut cli.wire, 4 << 20);
    assert_eq!(
        got.len(),
        2 + (1 << 20),
        "line end, then 1 MiB, then end of stream"
    );
    assert_flood(&got[2..]);

    let session = ssh_login(lab.ssh("R1").port, USERNAME, PASSWORD).expect("flood logs in");
    let mut shell = SshShell::open(session).expect("shell");
    let got = read_bytes(&mut shell, 4 << 20);
    assert_eq!(got.len(), 1 << 20);
    assert_flood(&got);
}

#[test]
fn flooding_a_client_that_does_not_read_keeps_the_server_small() {
    let lab = TestLab::start(&[
        "--devices",
        "2",
        "--telnet-port",
        "auto",
        "--fault",
        "flood:R1-R2",
    ]);
    let before = rss_kib(lab.pid());
    // Two clients that never read, one per transport, while a third reads 64 MiB: the time
    // that takes is time the server spends trying to flood the first two. Buffering what they
    // do not read would grow the server by about as much as the third one reads.
    let idle_ssh =
        SshShell::open(ssh_login(lab.ssh("R1").port, USERNAME, PASSWORD).expect("login"))
            .expect("shell");
    let idle_telnet = telnet_login(&lab.telnet("R1"));
    let mut reader = telnet_login(&lab.telnet("R2"));
    let read = read_bytes(&mut reader.wire, 64 << 20);
    assert_eq!(read.len(), 64 << 20, "the reading client gets its flood");
    drop(read);
    let after = rss_kib(lab.pid());
    assert!(
        after < before + 32 * 1024,
        "testbed grew from {before} KiB to {after} KiB while flooding"
    );
    drop((idle_ssh, idle_telnet));
}

#[test]
fn echo_password_echoes_what_is_typed_at_password_prompts() {
    let lab = TestLab::start(&[
        "--devices",
        "2",
        "--telnet-port",
        "auto",
        "--fault",
        "echo-password:R1",
    ]);
    // The Telnet login: what follows `Password:` starts with the password itself.
    let mut cli = telnet_login(&lab.telnet("R1"));
    let after_password = cli.expect_prompt();
    assert_eq!(after_password, format!("{PASSWORD}\nR1>"));
    // `enable` over Telnet.
    cli.send_line("enable");
    let password = Regex::new(r"[Pp]assword: ?\z").expect("regex");
    cli.read_until(&password, Duration::from_secs(20))
        .expect("enable asks a password");
    cli.send_line(SECRET);
    assert_eq!(cli.expect_prompt(), format!("{SECRET}\nR1#"));

    // `enable` over SSH, with a secret of its own so the echo cannot be anything else.
    let mut ssh = ssh_cli(lab.ssh("R1"));
    ssh.enable(SECRET);
    ssh.transcript("configure terminal");
    ssh.transcript("enable secret Ech0-Secr3t");
    ssh.transcript("end");
    ssh.transcript("disable");
    ssh.send_line("enable");
    ssh.read_until(&password, Duration::from_secs(20))
        .expect("enable asks a password");
    ssh.send_line("Ech0-Secr3t");
    assert_eq!(ssh.expect_prompt(), "Ech0-Secr3t\nR1#");

    // The healthy device echoes nothing at Password:.
    let mut quiet = telnet_login(&lab.telnet("R2"));
    assert_eq!(quiet.expect_prompt(), "\nR2>");
}
