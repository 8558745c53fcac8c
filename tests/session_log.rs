//! `--session-log DIR` end to end: the real netrun binary against a real testbed over Telnet
//! (where the login password itself goes through the session), with devices that echo what is
//! typed at `Password:`, and one that stalls after login. Under every strategy each host gets
//! `DIR/<name>.log` with the raw session — the show output, the stalled host's last words — and
//! the password never appears in any of them.

mod common;

use std::path::{Path, PathBuf};

use common::{json, netrun, stderr, TestLab};
use serde_norway::{Mapping, Value};

/// The login every device is given for this test (configured on the devices first).
const USERNAME: &str = "ops";
const PASSWORD: &str = "Pa55-W0rd-42";

/// The lab's login on the device that stalls (which never took the `ops` account).
const LAB_PASSWORD: &str = "cisco";

/// The lab's inventory over Telnet, logging in as `ops` but on R3: path returned.
fn telnet_inventory(lab: &TestLab) -> PathBuf {
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let mut devices: Vec<Mapping> = serde_norway::from_str(&text).unwrap();
    for device in &mut devices {
        device.insert("transport".into(), "telnet".into());
        if device["name"].as_str() != Some("R3") {
            device.insert("username".into(), Value::from(USERNAME));
            device.insert("password".into(), Value::from(PASSWORD));
        }
    }
    let path = lab.dir().join("telnet.yaml");
    std::fs::write(&path, serde_norway::to_string(&devices).unwrap()).unwrap();
    path
}

fn log_of(dir: &Path, name: &str) -> String {
    let path = dir.join(format!("{name}.log"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn every_host_gets_its_raw_session_and_never_the_password() {
    let lab = TestLab::start(
        3,
        &[
            "--telnet-port",
            "auto",
            "--fault",
            "echo-password:R1-R3",
            "--fault",
            "stall:R3",
        ],
    );
    let account = format!("username {USERNAME} password {PASSWORD}");
    let out = netrun(&[
        "config",
        "-i",
        lab.inventory().to_str().unwrap(),
        "-c",
        &account,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out)); // R3 stalls
    let inventory = telnet_inventory(&lab);
    for strategy in netrun::strategies().map(|s| s.name()) {
        let dir = lab.dir().join(format!("logs-{strategy}"));
        let out = netrun(&[
            "-i",
            inventory.to_str().unwrap(),
            "-s",
            strategy,
            "-o",
            "json",
            "--timeout",
            "3",
            "--session-log",
            dir.to_str().unwrap(),
            "show",
            "clock",
        ]);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        for host in &doc["hosts"].as_array().unwrap()[..2] {
            let name = host["name"].as_str().unwrap();
            assert_eq!(host["ok"], true, "{strategy}: {host}");
            let log = log_of(&dir, name);
            assert!(log.contains("Username:"), "{strategy} {name}: {log}");
            assert!(log.contains(&format!("{name}#show clock")), "{log}");
            let output = host["commands"][0]["output"].as_str().unwrap();
            let first = output.lines().next().unwrap();
            assert!(
                !first.is_empty() && log.contains(first),
                "{first:?} not in {log}"
            );
            // The echo at `Password:` and the password netrun typed are both masked.
            assert!(log.contains("***"), "{strategy} {name}: {log}");
            assert!(!log.contains(PASSWORD), "{strategy} {name}: {log}");
        }
        // The stalled host's log ends with what it last saw: logged in, no prompt.
        let stalled = log_of(&dir, "R3");
        assert_eq!(doc["hosts"][2]["error"]["kind"], "timeout", "{strategy}");
        assert!(stalled.contains("Password:"), "{strategy}: {stalled}");
        assert!(!stalled.contains("show clock"), "{strategy}: {stalled}");
        assert!(stalled.contains("Password: ***"), "{strategy}: {stalled}");
        assert!(!stalled.contains(LAB_PASSWORD), "{strategy}: {stalled}");
    }
}

#[test]
fn a_session_log_folder_that_cannot_be_made_stops_the_run_before_any_device() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let lab = TestLab::start(2, &["--auth-log", log.to_str().unwrap()]);
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let inventory = lab.inventory();
    for strategy in netrun::strategies().map(|s| s.name()) {
        let out = netrun(&[
            "-i",
            inventory.to_str().unwrap(),
            "-s",
            strategy,
            "--session-log",
            file.to_str().unwrap(),
            "show",
            "clock",
        ]);
        assert_eq!(out.status.code(), Some(2), "{strategy}: {}", stderr(&out));
        assert!(stderr(&out).contains("--session-log"), "{}", stderr(&out));
        assert_eq!(std::fs::read_to_string(&log).unwrap_or_default(), "");
    }
}
