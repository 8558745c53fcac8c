//! The config model of the non-IOS personalities: a hostname, top-level statements and sections
//! (`interface Ethernet1/1` with its indented statements), as text with keywords spelled out.
//! Junos keeps its configuration as `set` statements in the same shape (statements only).
//! Each platform's initial config, interface naming and rendering live here as data.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::super::ident::Ident;
use super::super::platform::Platform;

/// A device's configuration (running, saved, or a session's candidate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VConfig {
    pub hostname: String,
    /// Top-level statements in the order they were added (Junos: `set` statements without
    /// `set`).
    pub globals: Vec<String>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `interface Ethernet1/1`, `vlan 10`.
    pub header: String,
    pub lines: Vec<String>,
}

/// One of a platform's interface kinds: its full name, the short form tables use, and whether
/// it can be created (virtual) or must exist (physical).
pub struct IfKind {
    pub full: &'static str,
    pub short: &'static str,
    pub virtual_: bool,
}

const fn kind(full: &'static str, short: &'static str, virtual_: bool) -> IfKind {
    IfKind {
        full,
        short,
        virtual_,
    }
}

const NXOS_KINDS: &[IfKind] = &[
    kind("Ethernet", "Eth", false),
    kind("loopback", "Lo", true),
    kind("mgmt", "mgmt", false),
    kind("Vlan", "Vlan", true),
    kind("port-channel", "Po", true),
];
const XR_KINDS: &[IfKind] = &[
    kind("GigabitEthernet", "Gi", false),
    kind("Loopback", "Lo", true),
    kind("MgmtEth", "Mg", false),
    kind("Bundle-Ether", "BE", true),
];
const EOS_KINDS: &[IfKind] = &[
    kind("Ethernet", "Et", false),
    kind("Loopback", "Lo", true),
    kind("Management", "Ma", false),
    kind("Vlan", "Vl", true),
    kind("Port-Channel", "Po", true),
];
const ASA_KINDS: &[IfKind] = &[
    kind("GigabitEthernet", "Gi", false),
    kind("Management", "Ma", false),
    kind("Port-channel", "Po", true),
];

/// What a platform's interfaces are called.
pub fn if_kinds(platform: Platform) -> &'static [IfKind] {
    match platform {
        Platform::CiscoNxos => NXOS_KINDS,
        Platform::CiscoXr => XR_KINDS,
        Platform::AristaEos => EOS_KINDS,
        Platform::CiscoAsa => ASA_KINDS,
        _ => &[],
    }
}

/// The canonical name of a typed interface (`eth1/1` → `Ethernet1/1`, `lo 0` → `loopback0`),
/// with whether it can be created.
pub fn canonical_interface(platform: Platform, typed: &str) -> Option<(String, bool)> {
    let typed: String = typed.split_whitespace().collect();
    let split = typed.find(|c: char| c.is_ascii_digit())?;
    let (prefix, number) = typed.split_at(split);
    if prefix.is_empty()
        || !number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '/')
    {
        return None;
    }
    let prefix = prefix.to_ascii_lowercase();
    let mut kinds = if_kinds(platform)
        .iter()
        .filter(|k| k.full.to_ascii_lowercase().starts_with(&prefix));
    let kind = kinds.next()?;
    if kinds.next().is_some() {
        return None;
    }
    Some((format!("{}{number}", kind.full), kind.virtual_))
}

/// The short form of a canonical interface name (`Ethernet1/1` → `Eth1/1`).
pub fn short_interface(platform: Platform, name: &str) -> String {
    for k in if_kinds(platform) {
        if let Some(rest) = name.strip_prefix(k.full) {
            return format!("{}{rest}", k.short);
        }
    }
    name.to_string()
}

/// One interface of the initial config.
struct InitialIf {
    name: String,
    description: Option<&'static str>,
    address: Option<(Ipv4Addr, u8)>,
    shutdown: bool,
}

/// Four front ports (two addressed, two shut), a loopback, and the management port.
fn initial_interfaces(platform: Platform, id: &Ident) -> Vec<InitialIf> {
    let (port, loopback, mgmt): (fn(u32) -> String, &str, &str) = match platform {
        Platform::CiscoNxos => (|p| format!("Ethernet1/{}", p + 1), "loopback0", "mgmt0"),
        Platform::CiscoXr => (
            |p| format!("GigabitEthernet0/0/0/{p}"),
            "Loopback0",
            "MgmtEth0/RP0/CPU0/0",
        ),
        Platform::AristaEos => (|p| format!("Ethernet{}", p + 1), "Loopback0", "Management1"),
        _ => (|p| format!("GigabitEthernet0/{p}"), "", "Management0/0"),
    };
    let mut out: Vec<InitialIf> = (0..4)
        .map(|p| InitialIf {
            name: port(p),
            description: None,
            address: None,
            shutdown: p >= 2,
        })
        .collect();
    out[0].description = Some("uplink to core");
    out[0].address = Some((id.uplink(), 24));
    out[1].description = Some("user LAN");
    out[1].address = Some((id.lan(), 24));
    if !loopback.is_empty() {
        out.push(InitialIf {
            name: loopback.to_string(),
            description: None,
            address: Some((id.loopback(), 32)),
            shutdown: false,
        });
    }
    out.push(InitialIf {
        name: mgmt.to_string(),
        description: None,
        address: None,
        shutdown: false,
    });
    out
}

/// The netmask of a prefix length.
pub fn mask(len: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0))
}

/// The prefix length of a netmask, if it is one.
pub fn mask_len(mask: Ipv4Addr) -> Option<u8> {
    let bits = u32::from(mask);
    (bits.leading_ones() + bits.trailing_zeros() == 32).then(|| bits.leading_ones() as u8)
}

impl VConfig {
    /// The config a device of `platform` boots with.
    pub fn initial(platform: Platform, hostname: &str, username: &str, id: &Ident) -> VConfig {
        if platform == Platform::JuniperJunos {
            return junos_initial(hostname, username, id);
        }
        if platform == Platform::Linux {
            let sections = super::linux::initial_files(hostname)
                .into_iter()
                .map(|(header, lines)| Section { header, lines })
                .collect();
            return VConfig {
                hostname: hostname.to_string(),
                globals: Vec::new(),
                sections,
            };
        }
        let mut cfg = VConfig {
            hostname: hostname.to_string(),
            globals: Vec::new(),
            sections: Vec::new(),
        };
        let syslog = id.syslog();
        cfg.globals = match platform {
            Platform::CiscoNxos => vec![
                "feature ospf".into(),
                "feature interface-vlan".into(),
                "no password strength-check".into(),
                format!("username admin password 5 $5${:016x}  role network-admin", id.mix(7)),
                format!("username {username} password 5 $5${:016x}  role network-admin", id.mix(8)),
                "ip domain-lookup".into(),
                "copp profile strict".into(),
                format!(
                    "snmp-server user {username} network-admin auth md5 0x{:032x} priv 0x{:032x} localizedkey",
                    u128::from(id.mix(9)) << 64 | u128::from(id.mix(10)),
                    u128::from(id.mix(11)) << 64 | u128::from(id.mix(12))
                ),
                "rmon event 1 description FATAL(1) owner PMON@FATAL".into(),
                "rmon event 2 description CRITICAL(2) owner PMON@CRITICAL".into(),
                "rmon event 3 description ERROR(3) owner PMON@ERROR".into(),
                "rmon event 4 description WARNING(4) owner PMON@WARNING".into(),
                "rmon event 5 description INFORMATION(5) owner PMON@INFO".into(),
                format!("logging server {syslog}"),
                "vlan 1".into(),
                "vrf context management".into(),
            ],
            Platform::CiscoXr => vec![format!("logging {syslog}"), "ssh server v2".into()],
            Platform::AristaEos => vec![
                format!("username {username} privilege 15 role network-admin secret sha512 $6$x"),
                format!("logging host {syslog}"),
            ],
            _ => vec![
                format!("logging host inside {syslog}"),
                "ssh 0.0.0.0 0.0.0.0 inside".into(),
            ],
        };
        for (n, i) in initial_interfaces(platform, id).into_iter().enumerate() {
            let mut lines = Vec::new();
            if let Some(d) = i.description {
                lines.push(format!("description {d}"));
            }
            if platform == Platform::CiscoAsa && n < 2 {
                lines.push(format!("nameif {}", ["outside", "inside"][n]));
                lines.push(format!("security-level {}", [0, 100][n]));
            }
            if let Some((a, len)) = i.address {
                lines.push(match platform {
                    Platform::CiscoXr => format!("ipv4 address {a} {}", mask(len)),
                    Platform::CiscoAsa => format!("ip address {a} {}", mask(len)),
                    _ => format!("ip address {a}/{len}"),
                });
            }
            if i.shutdown {
                lines.push("shutdown".into());
            }
            cfg.sections.push(Section {
                header: format!("interface {}", i.name),
                lines,
            });
        }
        cfg
    }

    pub fn section(&self, header: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.header == header)
    }

    pub fn section_mut(&mut self, header: &str) -> &mut Section {
        let at = match self.sections.iter().position(|s| s.header == header) {
            Some(at) => at,
            None => {
                self.sections.push(Section {
                    header: header.to_string(),
                    lines: Vec::new(),
                });
                self.sections.len() - 1
            }
        };
        &mut self.sections[at]
    }

    /// Add a top-level statement, or remove one with `no STATEMENT` (by prefix).
    pub fn apply_global(&mut self, statement: &str) {
        apply_statement(&mut self.globals, statement);
    }

    /// The interfaces, in config order: name, description, address, shut.
    pub fn interfaces(&self) -> impl Iterator<Item = IfView<'_>> {
        self.sections.iter().filter_map(|s| {
            let name = s.header.strip_prefix("interface ")?;
            let mut view = IfView {
                name,
                description: None,
                address: None,
                shutdown: false,
                nameif: None,
            };
            for line in &s.lines {
                let words: Vec<&str> = line.split_whitespace().collect();
                match words.as_slice() {
                    ["description", ..] => view.description = line.get(12..),
                    ["shutdown"] => view.shutdown = true,
                    ["nameif", n] => view.nameif = Some(n),
                    ["ip" | "ipv4", "address", a, m] => {
                        let len = m.parse().ok().and_then(mask_len);
                        view.address = a.parse().ok().zip(len);
                    }
                    ["ip", "address", prefix] => {
                        view.address = prefix
                            .split_once('/')
                            .and_then(|(a, l)| a.parse().ok().zip(l.parse().ok()));
                    }
                    _ => {}
                }
            }
            Some(view)
        })
    }
}

/// An interface as `show` commands see it.
pub struct IfView<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub address: Option<(Ipv4Addr, u8)>,
    pub shutdown: bool,
    pub nameif: Option<&'a str>,
}

/// The words that identify a statement, so a new value replaces the old one: the first word,
/// or two for `ip X` / `ipv4 X`.
fn key(statement: &str) -> String {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let n = match words.first() {
        Some(&"ip" | &"ipv4" | &"ipv6") => 2,
        _ => 1,
    };
    words[..n.min(words.len())].join(" ")
}

/// Statements that hold one value (a new one replaces the old): keyed by [`key`].
const SINGLE_VALUED: &[&str] = &[
    "description",
    "ip address",
    "ipv4 address",
    "nameif",
    "security-level",
    "mtu",
    "name",
    "speed",
];

/// Apply a sub-mode statement to a section's lines.
pub fn apply_sub(lines: &mut Vec<String>, statement: &str) {
    if let Some(rest) = statement.strip_prefix("no ") {
        let k = key(rest);
        if k == "shutdown" {
            lines.retain(|l| l != "shutdown");
        } else if SINGLE_VALUED.contains(&k.as_str()) {
            lines.retain(|l| key(l) != k);
        } else {
            lines.retain(|l| l != rest);
        }
        return;
    }
    let k = key(statement);
    if SINGLE_VALUED.contains(&k.as_str()) {
        if let Some(line) = lines.iter_mut().find(|l| key(l) == k) {
            *line = statement.to_string();
            return;
        }
    }
    if k == "description" {
        // Listed first under its section, as every one of these platforms does.
        lines.insert(0, statement.to_string());
    } else if !lines.iter().any(|l| l == statement) {
        lines.push(statement.to_string());
    }
}

/// Add a statement, or with `no ` remove every statement it prefixes.
fn apply_statement(list: &mut Vec<String>, statement: &str) {
    match statement.strip_prefix("no ") {
        Some(rest) => list.retain(|s| s != rest && !s.starts_with(&format!("{rest} "))),
        None => {
            if !list.iter().any(|s| s == statement) {
                list.push(statement.to_string());
            }
        }
    }
}

fn junos_initial(hostname: &str, username: &str, id: &Ident) -> VConfig {
    let mut globals = vec![
        "version 20.4R3.8".to_string(),
        format!("system host-name {hostname}"),
        format!("system login user {username} class super-user"),
        format!(
            "system login user {username} authentication encrypted-password \"$6${:016x}\"",
            id.mix(0x5A17)
        ),
        "system services ssh".into(),
        "system services netconf ssh".into(),
        format!("system syslog host {} any any", id.syslog()),
    ];
    let ports = [
        ("ge-0/0/0", Some("uplink to core"), Some((id.uplink(), 24))),
        ("ge-0/0/1", Some("user LAN"), Some((id.lan(), 24))),
    ];
    for (name, description, address) in ports {
        if let Some(d) = description {
            globals.push(format!("interfaces {name} description \"{d}\""));
        }
        if let Some((a, len)) = address {
            globals.push(format!(
                "interfaces {name} unit 0 family inet address {a}/{len}"
            ));
        }
    }
    globals.push("interfaces ge-0/0/2 disable".into());
    globals.push("interfaces ge-0/0/3 disable".into());
    globals.push(format!(
        "interfaces lo0 unit 0 family inet address {}/32",
        id.loopback()
    ));
    globals.push("protocols ospf area 0.0.0.0 interface ge-0/0/0.0".into());
    globals.push("protocols ospf area 0.0.0.0 interface lo0.0 passive".into());
    VConfig {
        hostname: hostname.to_string(),
        globals,
        sections: Vec::new(),
    }
}

/// Render a sectioned config: globals, then sections (lines indented by `indent`), with the
/// `separator` line after the globals and each section (NX-OS: a blank line before each).
pub fn render_sections(cfg: &VConfig, indent: &str, separator: Separator, out: &mut String) {
    for g in &cfg.globals {
        let _ = writeln!(out, "{g}");
    }
    if let Separator::After(line) = separator {
        let _ = writeln!(out, "{line}");
    }
    for s in &cfg.sections {
        if separator == Separator::BlankBefore {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", s.header);
        for line in &s.lines {
            let _ = writeln!(out, "{indent}{line}");
        }
        if let Separator::After(line) = separator {
            let _ = writeln!(out, "{line}");
        }
    }
}

/// How a platform separates the parts of its config listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// A line (`!`) after the globals and after each section.
    After(&'static str),
    /// A blank line before each section.
    BlankBefore,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_are_canonical_per_platform() {
        let nx = Platform::CiscoNxos;
        assert_eq!(
            canonical_interface(nx, "eth1/2"),
            Some(("Ethernet1/2".into(), false))
        );
        assert_eq!(
            canonical_interface(nx, "lo 5"),
            Some(("loopback5".into(), true))
        );
        assert_eq!(
            canonical_interface(Platform::CiscoXr, "gi0/0/0/1"),
            Some(("GigabitEthernet0/0/0/1".into(), false))
        );
        assert_eq!(canonical_interface(Platform::AristaEos, "x1"), None);
        assert_eq!(short_interface(nx, "Ethernet1/2"), "Eth1/2");
    }

    #[test]
    fn statements_replace_and_no_removes() {
        let mut lines = vec!["description a".to_string(), "shutdown".to_string()];
        apply_sub(&mut lines, "description b");
        apply_sub(&mut lines, "no shutdown");
        apply_sub(&mut lines, "mtu 9000");
        assert_eq!(lines, ["description b", "mtu 9000"]);
        let mut cfg = VConfig::initial(
            Platform::CiscoNxos,
            "R1",
            "cisco",
            &Ident { index: 0, seed: 1 },
        );
        cfg.apply_global("ntp server 10.0.0.9");
        cfg.apply_global("ntp server 10.0.0.9");
        assert_eq!(
            cfg.globals.iter().filter(|g| g.starts_with("ntp")).count(),
            1
        );
        cfg.apply_global("no ntp server 10.0.0.9");
        assert!(!cfg.globals.iter().any(|g| g.starts_with("ntp")));
        let first = cfg.interfaces().next().unwrap();
        assert_eq!(first.name, "Ethernet1/1");
        assert_eq!(first.address.unwrap().1, 24);
    }
}
