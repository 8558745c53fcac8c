//! Secrets never quoted back: devices that echo what is typed at `Password:` (the testbed's
//! `echo-password` fault), over Telnet and at `enable`, never get the password or the enable
//! secret quoted in failure messages, JSON, text or `--save` files, under every strategy.

mod common;

use std::path::{Path, PathBuf};

use common::{error_kinds, json, netrun, stderr, stdout, TestLab};
use serde_norway::{Mapping, Value};

/// The lab's password (every device's) and a wrong enable secret given to R2.
const PASSWORD: &str = "cisco";
const WRONG_SECRET: &str = "Wr0ng-En4ble-9";

/// The lab's inventory over Telnet, R2 with a wrong enable secret: path returned.
fn telnet_inventory(lab: &TestLab) -> PathBuf {
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let mut devices: Vec<Mapping> = serde_norway::from_str(&text).unwrap();
    for device in &mut devices {
        assert_eq!(device["password"].as_str(), Some(PASSWORD));
        device.insert("transport".into(), "telnet".into());
        if device["name"].as_str() == Some("R2") {
            device.insert("secret".into(), Value::from(WRONG_SECRET));
        }
    }
    let path = lab.dir().join("telnet.yaml");
    std::fs::write(&path, serde_norway::to_string(&devices).unwrap()).unwrap();
    path
}

/// Everything in `dir`'s files, concatenated.
fn files_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        text.push_str(&String::from_utf8_lossy(&bytes));
    }
    text
}

fn assert_not_quoted(text: &str, what: &str) {
    for quoted in [
        format!("Password: {PASSWORD}"),
        format!("Password: \\\"{PASSWORD}"),
        WRONG_SECRET.to_string(),
    ] {
        assert!(!text.contains(&quoted), "{what} quotes {quoted:?}: {text}");
    }
}

#[test]
fn echoed_passwords_and_secrets_are_never_quoted_back() {
    let lab = TestLab::start(
        3,
        &[
            "--telnet-port",
            "auto",
            "--fault",
            "echo-password:R1-R3",
            "--fault",
            "stall:R1",
        ],
    );
    let inventory = telnet_inventory(&lab);
    for strategy in netrun::strategies().map(|s| s.name()) {
        let save_dir = lab.dir().join(format!("saved-{strategy}"));
        for format in ["json", "text"] {
            let out = netrun(&[
                "-i",
                inventory.to_str().unwrap(),
                "-s",
                strategy,
                "-o",
                format,
                "--timeout",
                "1",
                "--save-dir",
                save_dir.to_str().unwrap(),
                "show",
                "clock",
            ]);
            assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
            assert_not_quoted(&stdout(&out), "stdout");
            assert_not_quoted(&stderr(&out), "stderr");
            if format == "json" {
                let doc = json(&out);
                let kinds = error_kinds(&doc);
                let expected = [("R1", "timeout"), ("R2", "auth"), ("R3", "ok")]
                    .map(|(name, kind)| (name.to_string(), kind.to_string()));
                assert_eq!(kinds, expected, "{strategy}");
                let stalled = doc["hosts"][0]["error"]["message"].as_str().unwrap();
                assert!(stalled.contains("Password: ***"), "{strategy}: {stalled}");
            }
        }
        assert_not_quoted(&files_text(&save_dir), "--save files");
    }
}

/// A secret-looking data key of every device, used in a config template.
const COMMUNITY: &str = "C0mm-Str1ng-77";

#[test]
fn a_secret_typed_in_config_lines_reaches_the_device_and_no_report() {
    let lab = TestLab::start(2, &[]);
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let mut devices: Vec<Mapping> = serde_norway::from_str(&text).unwrap();
    for device in &mut devices {
        device.insert("snmp_community".into(), Value::from(COMMUNITY));
    }
    let inventory = lab.dir().join("community.yaml");
    std::fs::write(&inventory, serde_norway::to_string(&devices).unwrap()).unwrap();
    let template = lab.dir().join("snmp.j2");
    std::fs::write(&template, "username ops password {{ snmp_community }}\n").unwrap();
    let save = lab.dir().join("saved");
    let inventory = inventory.to_str().unwrap();
    for strategy in netrun::strategies().map(|s| s.name()) {
        let out = netrun(&[
            "config",
            "-i",
            inventory,
            "-s",
            strategy,
            "-v",
            "-o",
            "json",
            "--diff",
            "--save-dir",
            save.to_str().unwrap(),
            "-t",
            template.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{strategy}: {}", stderr(&out));
        let reported = format!("{}{}{}", stdout(&out), stderr(&out), files_text(&save));
        assert!(!reported.contains(COMMUNITY), "{strategy}: {reported}");
        assert!(
            stdout(&out).contains("username ops password ***"),
            "{strategy}: {}",
            stdout(&out)
        );
        let dry = netrun(&[
            "config",
            "-i",
            inventory,
            "--dry-run",
            "-t",
            template.to_str().unwrap(),
        ]);
        assert!(!stdout(&dry).contains(COMMUNITY), "{}", stdout(&dry));
    }
    // The device got the real string: its running-config, read in a new session by an
    // inventory without the community (so nothing masks it).
    let check = netrun(&[
        "-i",
        lab.inventory().to_str().unwrap(),
        "-o",
        "json",
        "show",
        "running-config",
    ]);
    assert!(
        stdout(&check).contains(&format!("username ops password 0 {COMMUNITY}")),
        "{}",
        stdout(&check)
    );
}
