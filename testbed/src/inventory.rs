//! `--inventory-out`: the lab written as the book's devices.yaml (a list of netmiko-style maps),
//! one entry per device: the platform's Netmiko device_type when the device speaks SSH (plus
//! `telnet_port` when it speaks Telnet too), its `_telnet` form when it speaks only Telnet. Refused devices are listed too (they are
//! meant to fail).

use std::path::Path;

use serde::Serialize;

use crate::lab::{DeviceEndpoint, ENABLE_SECRET, PASSWORD, USERNAME};

/// One device as netmiko's `ConnectHandler(**entry)` (plus `name`) expects it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryEntry {
    pub name: String,
    pub device_type: String,
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub secret: String,
    /// Present (true) only for devices offering the legacy SSH algorithms.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ssh_legacy: bool,
    /// The device's Telnet port when it speaks both SSH (the entry's `port`) and Telnet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telnet_port: Option<u16>,
}

/// The entries for a lab's devices, in device order.
pub fn entries(devices: &[DeviceEndpoint]) -> Vec<InventoryEntry> {
    devices
        .iter()
        .filter_map(|d| {
            let p = d.platform.personality();
            let (device_type, port, legacy, telnet_port) = match (d.ssh_port, d.telnet_port) {
                (Some(port), telnet) => (p.name, port, d.legacy, telnet),
                (None, Some(port)) => (p.telnet_name, port, false, None),
                (None, None) => return None,
            };
            Some(InventoryEntry {
                name: d.name.clone(),
                device_type: device_type.to_string(),
                host: d.address.to_string(),
                port,
                username: USERNAME.to_string(),
                password: PASSWORD.to_string(),
                secret: ENABLE_SECRET.to_string(),
                ssh_legacy: legacy,
                telnet_port,
            })
        })
        .collect()
}

/// Write `entries` as YAML to `path`.
pub fn write(path: &Path, entries: &[InventoryEntry]) -> anyhow::Result<()> {
    use anyhow::Context;
    let yaml = serde_norway::to_string(entries).context("serialising the inventory")?;
    std::fs::write(path, yaml).with_context(|| format!("writing the inventory {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Platform;

    fn endpoint(name: &str, ssh: Option<u16>, telnet: Option<u16>, legacy: bool) -> DeviceEndpoint {
        DeviceEndpoint {
            name: name.into(),
            address: "127.0.0.1".parse().unwrap(),
            ssh_port: ssh,
            telnet_port: telnet,
            legacy,
            refused: false,
            host_key: None,
            platform: Platform::CiscoIos,
        }
    }

    #[test]
    fn one_entry_per_device_in_the_books_shape() {
        let devices = [
            endpoint("R1", Some(10022), None, false),
            endpoint("R2", Some(10023), Some(20023), true),
            endpoint("R3", None, Some(20024), false),
        ];
        let yaml = serde_norway::to_string(&entries(&devices)).unwrap();
        assert_eq!(
            yaml,
            "- name: R1\n  device_type: cisco_ios\n  host: 127.0.0.1\n  port: 10022\n  username: cisco\n  password: cisco\n  secret: cisco\n\
             - name: R2\n  device_type: cisco_ios\n  host: 127.0.0.1\n  port: 10023\n  username: cisco\n  password: cisco\n  secret: cisco\n  ssh_legacy: true\n  telnet_port: 20023\n\
             - name: R3\n  device_type: cisco_ios_telnet\n  host: 127.0.0.1\n  port: 20024\n  username: cisco\n  password: cisco\n  secret: cisco\n"
        );
    }
}
