//! Interface names: parsing the abbreviations IOS accepts (`gi0/1`, `Lo0`, `tu 5`), canonical
//! spelling, short forms for `show` tables, and the order IOS lists interfaces in.

use std::fmt;

/// The interface types a simulated router has, in the order IOS lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IfKind {
    GigabitEthernet,
    Loopback,
    Tunnel,
}

impl IfKind {
    const ALL: [IfKind; 3] = [IfKind::GigabitEthernet, IfKind::Loopback, IfKind::Tunnel];

    fn name(self) -> &'static str {
        match self {
            IfKind::GigabitEthernet => "GigabitEthernet",
            IfKind::Loopback => "Loopback",
            IfKind::Tunnel => "Tunnel",
        }
    }

    fn short(self) -> &'static str {
        match self {
            IfKind::GigabitEthernet => "Gi",
            IfKind::Loopback => "Lo",
            IfKind::Tunnel => "Tu",
        }
    }

    /// Physical interfaces have a slot (`0/1`); virtual ones a single number and can be created.
    pub fn is_physical(self) -> bool {
        self == IfKind::GigabitEthernet
    }
}

/// A canonical interface name: kind plus number (`slot/port` for physical ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfName {
    pub kind: IfKind,
    pub slot: u16,
    pub port: u32,
}

impl IfName {
    pub fn physical(port: u32) -> IfName {
        IfName {
            kind: IfKind::GigabitEthernet,
            slot: 0,
            port,
        }
    }

    pub fn virtual_(kind: IfKind, number: u32) -> IfName {
        IfName {
            kind,
            slot: 0,
            port: number,
        }
    }

    /// Parse `GigabitEthernet0/1`, `gi0/1`, `g0/1`, `Loopback0`, `lo0` (any unique prefix of the
    /// type, any case, then the number).
    pub fn parse(text: &str) -> Option<IfName> {
        let split = text.find(|c: char| c.is_ascii_digit())?;
        let (prefix, number) = text.split_at(split);
        if prefix.is_empty() {
            return None;
        }
        let prefix = prefix.to_ascii_lowercase();
        let mut kinds = IfKind::ALL
            .into_iter()
            .filter(|k| k.name().to_ascii_lowercase().starts_with(&prefix));
        let kind = kinds.next()?;
        if kinds.next().is_some() {
            return None;
        }
        if kind.is_physical() {
            let (slot, port) = number.split_once('/')?;
            Some(IfName {
                kind,
                slot: slot.parse().ok()?,
                port: port.parse().ok()?,
            })
        } else {
            Some(IfName::virtual_(kind, number.parse().ok()?))
        }
    }

    /// The short form used in `show` tables and routes (`Gi0/1`, `Lo0`).
    pub fn short(&self) -> String {
        self.with_prefix(self.kind.short())
    }

    fn with_prefix(&self, prefix: &str) -> String {
        if self.kind.is_physical() {
            format!("{prefix}{}/{}", self.slot, self.port)
        } else {
            format!("{prefix}{}", self.port)
        }
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.with_prefix(self.kind.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_abbreviations() {
        for text in ["GigabitEthernet0/1", "gi0/1", "G0/1", "gigabitethernet0/1"] {
            assert_eq!(IfName::parse(text), Some(IfName::physical(1)), "{text}");
        }
        let lo = IfName::virtual_(IfKind::Loopback, 0);
        assert_eq!(IfName::parse("lo0"), Some(lo));
        assert_eq!(IfName::parse("Loopback0").unwrap().to_string(), "Loopback0");
        assert_eq!(IfName::parse("tu5").unwrap().short(), "Tu5");
        assert_eq!(IfName::parse("gi0"), None);
        assert_eq!(IfName::parse("x0/1"), None);
        assert_eq!(IfName::parse("0/1"), None);
    }
}
