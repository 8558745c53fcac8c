//! Telnet end to end: a testbed whose devices speak both SSH and Telnet, the real netrun binary
//! reaching them over Telnet under all four strategies, and the same outputs as over SSH.

mod common;

use std::path::{Path, PathBuf};

use common::{error_kinds, json, netrun, outputs, stderr, TestLab};
use serde_norway::{Mapping, Value};

const STRATEGIES: [&str; 4] = ["sequential", "threads", "fork", "async"];

/// The lab's inventory with every device reached over Telnet (its `telnet_port`), and
/// `passwords` overriding some devices' password: written next to the lab's, path returned.
fn telnet_inventory(lab: &TestLab, passwords: &[(&str, &str)]) -> PathBuf {
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let mut devices: Vec<Mapping> = serde_norway::from_str(&text).unwrap();
    for device in &mut devices {
        assert!(device.contains_key("telnet_port"), "{device:?}");
        device.insert("transport".into(), "telnet".into());
        let name = device["name"].as_str().unwrap().to_string();
        if let Some((_, password)) = passwords.iter().find(|(n, _)| *n == name) {
            device.insert("password".into(), Value::from(*password));
        }
    }
    let path = lab.dir().join("telnet.yaml");
    std::fs::write(&path, serde_norway::to_string(&devices).unwrap()).unwrap();
    path
}

/// Run `netrun -s strategy -o json` with `args` on `inventory`; the parsed report and exit code.
fn run_json(inventory: &Path, strategy: &str, args: &[&str]) -> (serde_json::Value, Option<i32>) {
    let mut argv = vec![
        "-i",
        inventory.to_str().unwrap(),
        "-s",
        strategy,
        "-o",
        "json",
    ];
    argv.extend_from_slice(args);
    let out = netrun(&argv);
    (json(&out), out.status.code())
}

#[test]
fn every_strategy_shows_over_telnet_what_ssh_shows() {
    let lab = TestLab::start(8, &["--telnet-port", "auto"]);
    let telnet = telnet_inventory(&lab, &[]);
    let commands = ["-c", "show version", "-c", "show ip interface brief"];
    let (ssh, code) = run_json(&lab.inventory(), "sequential", &commands);
    assert_eq!(code, Some(0), "{ssh}");
    let ssh_hosts = outputs(&ssh);
    for strategy in STRATEGIES {
        let (doc, code) = run_json(&telnet, strategy, &commands);
        assert_eq!(code, Some(0), "{strategy}: {doc}");
        assert_eq!(doc["ok"], 8, "{strategy}");
        let ssh_ports = ssh["hosts"].as_array().unwrap().iter().map(|h| &h["port"]);
        for (host, ssh_port) in doc["hosts"].as_array().unwrap().iter().zip(ssh_ports) {
            assert_ne!(&host["port"], ssh_port, "{strategy}: reached over Telnet");
            // Timings are split at the TCP connect; the Telnet login is the auth phase.
            assert!(host["connect_ms"].as_f64().unwrap() > 0.0, "{host}");
            assert!(host["auth_ms"].as_f64().unwrap() > 0.0, "{host}");
        }
        assert_eq!(
            outputs(&doc),
            ssh_hosts,
            "{strategy}: Telnet differs from SSH"
        );
    }
    assert!(
        ssh_hosts[0].3[0].contains("Cisco IOS Software"),
        "{ssh_hosts:?}"
    );
}

#[test]
fn a_bad_password_is_auth_and_a_stall_is_timeout_over_telnet() {
    let lab = TestLab::start(4, &["--telnet-port", "auto", "--fault", "stall:R3"]);
    let telnet = telnet_inventory(&lab, &[("R2", "not-the-password")]);
    let expected: Vec<(String, String)> = [
        ("R1", "ok"),
        ("R2", "auth"),
        ("R3", "timeout"),
        ("R4", "ok"),
    ]
    .iter()
    .map(|(n, k)| (n.to_string(), k.to_string()))
    .collect();
    for strategy in STRATEGIES {
        let (doc, code) = run_json(&telnet, strategy, &["--timeout", "2", "show", "clock"]);
        assert_eq!(code, Some(1), "{strategy}: {doc}");
        assert_eq!(error_kinds(&doc), expected, "{strategy}: {doc}");
        let rejected = doc["hosts"][1]["error"]["message"].as_str().unwrap();
        assert!(!rejected.contains("not-the-password"), "{rejected}");
    }
}

#[test]
fn cisco_ios_telnet_entries_from_a_telnet_only_lab_work() {
    let dir = tempfile::tempdir().unwrap();
    let lab_file = dir.path().join("lab.yaml");
    std::fs::write(&lab_file, "groups:\n  - count: 3\n    transport: telnet\n").unwrap();
    let lab = TestLab::start_lab(&lab_file, 3, &[]);
    let inventory = std::fs::read_to_string(lab.inventory()).unwrap();
    assert_eq!(
        inventory.matches("device_type: cisco_ios_telnet").count(),
        3,
        "{inventory}"
    );
    let out = netrun(&[
        "-i",
        lab.inventory().to_str().unwrap(),
        "-s",
        "async",
        "show",
        "clock",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = common::stdout(&out);
    let headers: Vec<&str> = text.lines().filter(|l| l.contains("#show clock")).collect();
    assert_eq!(headers, ["R1#show clock", "R2#show clock", "R3#show clock"]);
}

#[test]
fn config_pushes_over_telnet_under_every_strategy_then_save() {
    let lab = TestLab::start(4, &["--telnet-port", "auto"]);
    let telnet = telnet_inventory(&lab, &[]);
    let telnet = telnet.to_str().unwrap();
    for (k, strategy) in STRATEGIES.iter().enumerate() {
        let lines: Vec<String> = (1..=5).map(|i| format!("logging 10.20{k}.0.{i}")).collect();
        let mut args = vec!["config", "-i", telnet, "-s", strategy, "-o", "json"];
        for line in &lines {
            args.extend(["-c", line.as_str()]);
        }
        if k == 3 {
            args.push("--save");
        }
        let out = netrun(&args);
        assert_eq!(out.status.code(), Some(0), "{strategy}: {}", stderr(&out));
        for host in json(&out)["hosts"].as_array().unwrap() {
            let name = host["name"].as_str().unwrap();
            assert_eq!(host["config"]["applied"].as_array().unwrap().len(), 5);
            assert_eq!(host["config"]["final_prompt"], format!("{name}#"));
        }
    }
    // Read back over SSH, in new sessions: every push is running, and saved by the last one.
    let inventory = lab.inventory();
    for which in ["running", "startup"] {
        let command = format!("show {which}-config | include logging host 10.20");
        let (doc, code) = run_json(&inventory, "threads", &["-c", &command]);
        assert_eq!(code, Some(0), "{doc}");
        for (name, _, _, outputs) in outputs(&doc) {
            assert_eq!(outputs[0].lines().count(), 20, "{name}: {outputs:?}");
        }
    }
}
