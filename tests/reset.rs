//! A device that accepts the connection, then resets it (the testbed's `reset` fault): one kind,
//! `closed`, for every host over SSH and Telnet under every strategy, whichever call (connect,
//! the first read, the first write) met the reset first. It is not `connect` (the device
//! accepted) and not `protocol` (nothing malformed arrived; nothing arrived at all).

mod common;

use std::path::PathBuf;

use common::{json, netrun, stderr, TestLab};
use serde_norway::Mapping;

const DEVICES: usize = 12;
/// Runs per strategy and transport: the step that meets the reset first is chance.
const ROUNDS: usize = 3;

/// The lab's inventory with every device reached over Telnet.
fn telnet_inventory(lab: &TestLab) -> PathBuf {
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let mut devices: Vec<Mapping> = serde_norway::from_str(&text).unwrap();
    for device in &mut devices {
        let port = device.remove("telnet_port").expect("the lab speaks Telnet");
        device.insert("port".into(), port);
        device.insert("transport".into(), "telnet".into());
    }
    let path = lab.dir().join("telnet.yaml");
    std::fs::write(&path, serde_norway::to_string(&devices).unwrap()).unwrap();
    path
}

#[test]
fn a_reset_after_accept_is_closed_over_ssh_and_telnet_under_every_strategy() {
    let lab = TestLab::start(DEVICES, &["--telnet-port", "auto", "--fault", "reset:100%"]);
    let inventories = [("ssh", lab.inventory()), ("telnet", telnet_inventory(&lab))];
    for strategy in netrun::strategies().map(|s| s.name()) {
        for (transport, inventory) in &inventories {
            for round in 0..ROUNDS {
                let what = format!("{transport} under {strategy}, round {round}");
                let out = netrun(&[
                    "-i",
                    inventory.to_str().unwrap(),
                    "-s",
                    strategy,
                    "-w",
                    "4",
                    "-o",
                    "json",
                    "show",
                    "clock",
                ]);
                assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
                let doc = json(&out);
                let hosts = doc["hosts"].as_array().unwrap();
                assert_eq!(hosts.len(), DEVICES, "{what}");
                for host in hosts {
                    let error = &host["error"];
                    assert_eq!(error["kind"], "closed", "{what}: {host}");
                    let message = error["message"].as_str().unwrap();
                    assert!(
                        message.contains("by the device during")
                            || message.starts_with("connection closed"),
                        "{what}: {message}"
                    );
                }
            }
        }
    }
}
