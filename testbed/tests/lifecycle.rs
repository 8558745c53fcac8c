//! The process contract: the ready line, the inventory it writes, automatic ports outside the
//! kernel's ephemeral range, SIGTERM exits 0, a port in use exits 2 with a clear message.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::{run_testbed_to_exit, TestLab};

#[test]
fn ready_line_and_inventory_follow_the_contract() {
    let lab = TestLab::start(&["--devices", "3", "--telnet-port", "auto"]);
    assert_eq!(lab.ready_line, "ready 3 devices");
    let ssh: Vec<_> = lab.inventory.iter().filter(|e| !e.is_telnet()).collect();
    assert_eq!(ssh.len(), 3, "{}", lab.inventory_text);
    let telnet: Vec<_> = ["R1", "R2", "R3"].map(|name| lab.telnet(name)).into();
    for (i, entry) in ssh.iter().enumerate() {
        assert_eq!(entry.name, format!("R{}", i + 1));
        assert_eq!(entry.device_type, "cisco_ios");
        assert_eq!(entry.host, "127.0.0.1");
        assert_eq!(
            entry.port,
            ssh[0].port + i as u16,
            "device i listens on ssh-port + i"
        );
        assert_eq!(
            (
                entry.username.as_str(),
                entry.password.as_str(),
                entry.secret.as_str()
            ),
            ("cisco", "cisco", "cisco")
        );
        assert!(!entry.ssh_legacy);
    }
    for (i, entry) in telnet.iter().enumerate() {
        assert_eq!(entry.name, format!("R{}", i + 1));
        assert_eq!(
            entry.port,
            telnet[0].port + i as u16,
            "device i listens on telnet-port + i"
        );
    }
}

/// The kernel's ephemeral port range, read here independently of the testbed.
fn ephemeral_range() -> (u16, u16) {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .expect("Linux publishes ip_local_port_range");
    let ports: Vec<u16> = text
        .split_whitespace()
        .map(|p| p.parse().expect("a port number"))
        .collect();
    (ports[0], ports[1])
}

#[test]
fn automatic_ports_lie_outside_the_ephemeral_range() {
    let (low, high) = ephemeral_range();
    for _ in 0..3 {
        let lab = TestLab::start(&["--devices", "50", "--telnet-port", "auto"]);
        let ports: Vec<u16> = lab
            .inventory
            .iter()
            .flat_map(|e| [Some(e.port), e.telnet_port])
            .flatten()
            .collect();
        assert_eq!(ports.len(), 100, "{}", lab.inventory_text);
        for port in ports {
            assert!(
                port < low || port > high,
                "port {port} is inside the ephemeral range {low}-{high}"
            );
        }
    }
}

#[test]
fn sigterm_exits_zero() {
    let lab = TestLab::start(&["--devices", "2"]);
    let status = lab.terminate();
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM: {status:?}"
    );
}

#[test]
fn a_port_in_use_is_a_clear_error_with_exit_2() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = taken.local_addr().expect("addr").port().to_string();
    let out = run_testbed_to_exit(
        &[
            "--devices",
            "1",
            "--address",
            "127.0.0.1",
            "--ssh-port",
            &port,
        ],
        Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains(&port), "error must name the port: {stderr}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("ready"),
        "must not report ready"
    );
}

#[test]
fn lab_files_shipped_in_testbed_labs_start() {
    let labs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("labs");
    let mut started = 0;
    for entry in std::fs::read_dir(&labs)
        .expect("testbed/labs exists")
        .take(20)
    {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let path = path.to_string_lossy().into_owned();
            let lab = TestLab::start(&["--lab", &path]);
            assert!(!lab.inventory.is_empty(), "{path}: empty inventory");
            started += 1;
        }
    }
    assert!(started > 0, "no lab files in {labs:?}");
}
