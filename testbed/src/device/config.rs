//! The configuration model: what `configure terminal` changes (hostname, interfaces, OSPF,
//! logging, users, lines), the initial config derived from the device's identity, the config-mode
//! grammars, applying a parsed config line, and rendering the config as IOS prints it.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::OnceLock;

use super::grammar::{Grammar, Parsed};
use super::ident::Ident;
use super::ifname::{IfKind, IfName};
use super::DeviceSpec;

/// One router's configuration (running or startup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub hostname: String,
    pub domain_name: Option<String>,
    /// `service X` lines, without the `service` keyword.
    pub services: Vec<String>,
    pub enable_secret: String,
    pub users: Vec<User>,
    /// Kept in IOS's listing order.
    pub interfaces: Vec<Interface>,
    pub ospf: Vec<Ospf>,
    pub logging_hosts: Vec<String>,
    pub lines: Vec<Line>,
    /// One-line global statements kept as typed (keywords spelled out): `ntp server`,
    /// `logging buffered`, `snmp-server community`, `ip route`, `access-list`, `clock
    /// timezone`; rendered where IOS lists them (see [`PLACES`]).
    pub statements: Vec<String>,
    pub vlans: Vec<Vlan>,
    /// `banner motd`: the text between the delimiters.
    pub motd: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vlan {
    pub id: u16,
    pub name: Option<String>,
}

/// Where a kept statement goes in the listing: after the boot markers, after `no aaa
/// new-model`, after `ip ssh`, after the logging hosts, after the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Boot,
    Aaa,
    Http,
    Logging,
    Lines,
}

/// Kept statements by their first words, and where IOS lists them; one value per key for the
/// single-valued ones (a new `logging buffered` replaces the old).
const PLACES: &[(&str, Place, bool)] = &[
    ("logging buffered", Place::Boot, true),
    ("clock timezone", Place::Aaa, true),
    ("ip route", Place::Http, false),
    ("access-list", Place::Logging, false),
    ("snmp-server community", Place::Logging, false),
    ("ntp server", Place::Lines, false),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub privilege: u8,
    /// `secret` (shown hashed) rather than `password` (shown as typed).
    pub secret: bool,
    /// Encryption type as typed (`0` when plain text was given).
    pub kind: u8,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub name: IfName,
    pub description: Option<String>,
    pub address: Option<(Ipv4Addr, Ipv4Addr)>,
    pub shutdown: bool,
    /// Configured in a session (`manual`) rather than loaded at boot (`NVRAM`).
    pub manual: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ospf {
    pub process: u16,
    pub router_id: Option<Ipv4Addr>,
    pub networks: Vec<(Ipv4Addr, Ipv4Addr, String)>,
    pub passive: Vec<IfName>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LineKind {
    Con,
    Aux,
    Vty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineId {
    pub kind: LineKind,
    pub first: u8,
    pub last: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: LineId,
    /// `login` or `login local`.
    pub login: Option<&'static str>,
    pub transport: Option<String>,
    pub exec_timeout: Option<(u32, u32)>,
    pub password: Option<String>,
}

/// Which config sub-mode a session is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submode {
    Interface(IfName),
    Router(u16),
    Line(LineId),
    Vlan(u16),
}

/// Config-mode commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CfgCmd {
    Hostname,
    NoHostname,
    Interface,
    NoInterface,
    RouterOspf,
    NoRouterOspf,
    Logging,
    NoLogging,
    Username,
    NoUsername,
    Line,
    DomainName,
    NoDomainName,
    Service,
    NoService,
    EnableSecret,
    Description,
    NoDescription,
    IpAddress,
    NoIpAddress,
    Shutdown,
    NoShutdown,
    Network,
    NoNetwork,
    RouterId,
    NoRouterId,
    Passive,
    NoPassive,
    Login,
    NoLogin,
    Transport,
    ExecTimeout,
    Password,
    NoPassword,
    /// A one-line statement kept as typed (see [`PLACES`]).
    Statement,
    NoStatement,
    Vlan,
    NoVlan,
    VlanName,
    NoVlanName,
    /// `banner motd` with its delimiter: the text on the same line, or the next lines.
    BannerMotd,
    NoBannerMotd,
    /// `do LINE`: run an exec command from config mode.
    Do,
    Exit,
    End,
}

/// What applying a config line did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Stay in the current mode.
    Done,
    /// Enter a sub-mode.
    Enter(Submode),
    /// The word at this index of the parsed line is not acceptable here.
    InvalidWord(usize),
    /// A message IOS prints for a well-formed but refused command.
    Message(String),
    /// `banner motd` without its closing delimiter: the text so far; the next lines are the
    /// banner until the delimiter.
    Banner(char, String),
}

const COMMON: [(&str, CfgCmd); 3] = [
    ("do LINE", CfgCmd::Do),
    ("exit", CfgCmd::Exit),
    ("end", CfgCmd::End),
];

/// The global configuration mode grammar.
pub fn global_grammar() -> &'static Grammar<CfgCmd> {
    static G: OnceLock<Grammar<CfgCmd>> = OnceLock::new();
    G.get_or_init(|| {
        use CfgCmd::*;
        let mut p = vec![
            ("hostname WORD", Hostname),
            ("no hostname", NoHostname),
            ("no hostname WORD", NoHostname),
            ("interface IFNAME", Interface),
            ("no interface IFNAME", NoInterface),
            ("router ospf <1-65535>", RouterOspf),
            ("no router ospf <1-65535>", NoRouterOspf),
            ("logging WORD", Logging),
            ("logging host WORD", Logging),
            ("no logging WORD", NoLogging),
            ("no logging host WORD", NoLogging),
            ("username WORD password LINE", Username),
            ("username WORD secret LINE", Username),
            ("username WORD privilege <0-15> password LINE", Username),
            ("username WORD privilege <0-15> secret LINE", Username),
            ("no username WORD", NoUsername),
            ("line vty <0-15>", Line),
            ("line vty <0-15> <0-15>", Line),
            ("line console <0-0>", Line),
            ("line aux <0-0>", Line),
            ("ip domain-name WORD", DomainName),
            ("ip domain name WORD", DomainName),
            ("no ip domain-name", NoDomainName),
            ("no ip domain-name WORD", NoDomainName),
            ("no ip domain name", NoDomainName),
            ("no ip domain name WORD", NoDomainName),
            ("service LINE", Service),
            ("no service LINE", NoService),
            ("enable secret LINE", EnableSecret),
            ("ntp server A.B.C.D", Statement),
            ("no ntp server A.B.C.D", NoStatement),
            ("logging buffered", Statement),
            ("logging buffered <4096-2147483647>", Statement),
            ("no logging buffered", NoStatement),
            ("snmp-server community WORD", Statement),
            ("snmp-server community WORD ro", Statement),
            ("snmp-server community WORD rw", Statement),
            ("no snmp-server community WORD", NoStatement),
            ("ip route A.B.C.D A.B.C.D A.B.C.D", Statement),
            ("ip route A.B.C.D A.B.C.D IFNAME", Statement),
            ("no ip route A.B.C.D A.B.C.D A.B.C.D", NoStatement),
            ("access-list <1-199> permit LINE", Statement),
            ("access-list <1-199> deny LINE", Statement),
            ("no access-list <1-199>", NoStatement),
            ("clock timezone WORD WORD", Statement),
            ("clock timezone WORD WORD WORD", Statement),
            ("no clock timezone", NoStatement),
            ("vlan <1-4094>", Vlan),
            ("no vlan <1-4094>", NoVlan),
            ("banner motd LINE", BannerMotd),
            ("no banner motd", NoBannerMotd),
        ];
        p.extend(COMMON);
        Grammar::new(&p)
    })
}

/// The grammar of a config sub-mode.
pub fn submode_grammar(mode: &Submode) -> &'static Grammar<CfgCmd> {
    use CfgCmd::*;
    static IF: OnceLock<Grammar<CfgCmd>> = OnceLock::new();
    static ROUTER: OnceLock<Grammar<CfgCmd>> = OnceLock::new();
    static LINE: OnceLock<Grammar<CfgCmd>> = OnceLock::new();
    static VLAN: OnceLock<Grammar<CfgCmd>> = OnceLock::new();
    let build = |p: &[(&'static str, CfgCmd)]| {
        let mut p = p.to_vec();
        p.extend(COMMON);
        Grammar::new(&p)
    };
    match mode {
        Submode::Interface(_) => IF.get_or_init(|| {
            build(&[
                ("description LINE", Description),
                ("no description", NoDescription),
                ("no description LINE", NoDescription),
                ("ip address A.B.C.D A.B.C.D", IpAddress),
                ("no ip address", NoIpAddress),
                ("no ip address A.B.C.D A.B.C.D", NoIpAddress),
                ("shutdown", Shutdown),
                ("no shutdown", NoShutdown),
            ])
        }),
        Submode::Router(_) => ROUTER.get_or_init(|| {
            build(&[
                ("network A.B.C.D A.B.C.D area <0-4294967295>", Network),
                ("network A.B.C.D A.B.C.D area A.B.C.D", Network),
                ("no network A.B.C.D A.B.C.D area <0-4294967295>", NoNetwork),
                ("no network A.B.C.D A.B.C.D area A.B.C.D", NoNetwork),
                ("router-id A.B.C.D", RouterId),
                ("no router-id", NoRouterId),
                ("passive-interface IFNAME", Passive),
                ("no passive-interface IFNAME", NoPassive),
            ])
        }),
        Submode::Line(_) => LINE.get_or_init(|| {
            build(&[
                ("login", Login),
                ("login local", Login),
                ("no login", NoLogin),
                ("transport input all", Transport),
                ("transport input none", Transport),
                ("transport input ssh", Transport),
                ("transport input telnet", Transport),
                ("transport input ssh telnet", Transport),
                ("transport input telnet ssh", Transport),
                ("exec-timeout <0-35791>", ExecTimeout),
                ("exec-timeout <0-35791> <0-2147483>", ExecTimeout),
                ("password LINE", Password),
                ("no password", NoPassword),
            ])
        }),
        Submode::Vlan(_) => {
            VLAN.get_or_init(|| build(&[("name WORD", VlanName), ("no name", NoVlanName)]))
        }
    }
}

impl Config {
    /// The config a device boots with: the spec's hostname and credentials, four Gigabit ports
    /// (two addressed, two shut), Loopback0, OSPF over the uplink and loopback, one syslog host.
    pub fn initial(spec: &DeviceSpec) -> Config {
        let id = Ident {
            index: spec.index,
            seed: spec.seed,
        };
        let mut interfaces: Vec<Interface> = (0..4)
            .map(|port| Interface {
                name: IfName::physical(port),
                description: None,
                address: None,
                shutdown: port >= 2,
                manual: false,
            })
            .collect();
        interfaces[0].address = Some((id.uplink(), Ipv4Addr::new(255, 255, 255, 0)));
        interfaces[0].description = Some("uplink to core".into());
        interfaces[1].address = Some((id.lan(), Ipv4Addr::new(255, 255, 255, 0)));
        interfaces[1].description = Some("user LAN".into());
        interfaces.push(Interface {
            name: IfName::virtual_(IfKind::Loopback, 0),
            description: None,
            address: Some((id.loopback(), Ipv4Addr::new(255, 255, 255, 255))),
            shutdown: false,
            manual: false,
        });
        let uplink_net = u32::from(id.uplink()) & 0xffff_ff00;
        Config {
            hostname: spec.hostname.clone(),
            domain_name: Some("lab.local".into()),
            services: vec![
                "timestamps debug datetime msec".into(),
                "timestamps log datetime msec".into(),
            ],
            enable_secret: spec.enable_secret.clone(),
            users: vec![User {
                name: spec.username.clone(),
                privilege: 1,
                secret: true,
                kind: 0,
                value: spec.password.clone(),
            }],
            interfaces,
            ospf: vec![Ospf {
                process: 1,
                router_id: Some(id.loopback()),
                networks: vec![
                    (
                        Ipv4Addr::from(uplink_net),
                        Ipv4Addr::new(0, 0, 0, 255),
                        "0".into(),
                    ),
                    (id.loopback(), Ipv4Addr::new(0, 0, 0, 0), "0".into()),
                ],
                passive: Vec::new(),
            }],
            logging_hosts: vec![id.syslog().to_string()],
            lines: vec![
                Line::new(LineKind::Con, 0, 0),
                Line::new(LineKind::Aux, 0, 0),
                Line {
                    login: Some("local"),
                    transport: Some("ssh telnet".into()),
                    ..Line::new(LineKind::Vty, 0, 4)
                },
            ],
            statements: Vec::new(),
            vlans: Vec::new(),
            motd: None,
        }
    }

    /// Whether `username`/`password` may log in (a plain-text `password` or `secret` matches).
    pub fn check_login(&self, username: &str, password: &str) -> bool {
        self.users
            .iter()
            .any(|u| u.name == username && u.kind == 0 && u.value == password)
    }

    pub fn interface(&self, name: &IfName) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == *name)
    }

    fn interface_mut(&mut self, name: IfName) -> &mut Interface {
        let at = match self.interfaces.binary_search_by(|i| i.name.cmp(&name)) {
            Ok(at) => at,
            Err(at) => {
                self.interfaces.insert(
                    at,
                    Interface {
                        name,
                        description: None,
                        address: None,
                        shutdown: false,
                        manual: true,
                    },
                );
                at
            }
        };
        &mut self.interfaces[at]
    }

    fn ospf_mut(&mut self, process: u16) -> &mut Ospf {
        let at = match self.ospf.binary_search_by_key(&process, |o| o.process) {
            Ok(at) => at,
            Err(at) => {
                self.ospf.insert(
                    at,
                    Ospf {
                        process,
                        router_id: None,
                        networks: Vec::new(),
                        passive: Vec::new(),
                    },
                );
                at
            }
        };
        &mut self.ospf[at]
    }

    fn line_mut(&mut self, id: LineId) -> &mut Line {
        let at = match self.lines.iter().position(|l| l.id == id) {
            Some(at) => at,
            None => {
                self.lines.push(Line::new(id.kind, id.first, id.last));
                self.lines.sort_by_key(|l| (l.id.kind, l.id.first));
                self.lines.iter().position(|l| l.id == id).unwrap_or(0)
            }
        };
        &mut self.lines[at]
    }

    /// Apply a parsed global-config line.
    pub fn apply_global(&mut self, p: &Parsed<CfgCmd>) -> Applied {
        let w = &p.words;
        match p.command {
            CfgCmd::Hostname => {
                let valid = w[1].len() <= 63
                    && w[1].starts_with(|c: char| c.is_ascii_alphabetic())
                    && w[1]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
                if !valid {
                    return Applied::InvalidWord(1);
                }
                self.hostname = w[1].clone();
            }
            CfgCmd::NoHostname => self.hostname = "Router".into(),
            CfgCmd::Interface => {
                let Some(name) = IfName::parse(&w[1]) else {
                    return Applied::InvalidWord(1);
                };
                if name.kind.is_physical() && self.interface(&name).is_none() {
                    return Applied::InvalidWord(1);
                }
                self.interface_mut(name);
                return Applied::Enter(Submode::Interface(name));
            }
            CfgCmd::NoInterface => {
                let name = IfName::parse(&w[2]);
                match name {
                    Some(n) if !n.kind.is_physical() => self.interfaces.retain(|i| i.name != n),
                    _ => return Applied::InvalidWord(2),
                }
            }
            CfgCmd::RouterOspf => {
                let process = w[2].parse().unwrap_or(1);
                self.ospf_mut(process);
                return Applied::Enter(Submode::Router(process));
            }
            CfgCmd::NoRouterOspf => {
                let process: u16 = w[3].parse().unwrap_or(1);
                self.ospf.retain(|o| o.process != process);
            }
            CfgCmd::Logging => {
                let host = w.last().cloned().unwrap_or_default();
                if !self.logging_hosts.contains(&host) {
                    self.logging_hosts.push(host);
                }
            }
            CfgCmd::NoLogging => {
                let host = w.last().cloned().unwrap_or_default();
                self.logging_hosts.retain(|h| *h != host);
            }
            CfgCmd::Username => return self.apply_username(w),
            CfgCmd::NoUsername => self.users.retain(|u| u.name != w[2]),
            CfgCmd::Line => {
                let kind = match w[1].as_str() {
                    "vty" => LineKind::Vty,
                    "aux" => LineKind::Aux,
                    _ => LineKind::Con,
                };
                let first: u8 = w[2].parse().unwrap_or(0);
                let last: u8 = w.get(3).and_then(|l| l.parse().ok()).unwrap_or(first);
                if last < first {
                    return Applied::InvalidWord(3);
                }
                let id = LineId { kind, first, last };
                self.line_mut(id);
                return Applied::Enter(Submode::Line(id));
            }
            CfgCmd::DomainName => self.domain_name = w.last().cloned(),
            CfgCmd::NoDomainName => self.domain_name = None,
            CfgCmd::Service => {
                if !self.services.contains(&w[1]) {
                    self.services.push(w[1].clone());
                }
            }
            CfgCmd::NoService => self.services.retain(|s| *s != w[2]),
            CfgCmd::EnableSecret => match split_typed_secret(&w[2]) {
                Some((0, value)) => self.enable_secret = value,
                _ => return Applied::InvalidWord(2),
            },
            CfgCmd::Statement => return self.keep_statement(w),
            CfgCmd::NoStatement => {
                let what = w[1..].join(" ");
                self.statements
                    .retain(|s| *s != what && !s.starts_with(&format!("{what} ")));
            }
            CfgCmd::Vlan => {
                let id: u16 = w[1].parse().unwrap_or(1);
                if let Err(at) = self.vlans.binary_search_by_key(&id, |v| v.id) {
                    self.vlans.insert(at, Vlan { id, name: None });
                }
                return Applied::Enter(Submode::Vlan(id));
            }
            CfgCmd::NoVlan => {
                let id: u16 = w[2].parse().unwrap_or(1);
                self.vlans.retain(|v| v.id != id);
            }
            CfgCmd::BannerMotd => return self.banner(&w[2]),
            CfgCmd::NoBannerMotd => self.motd = None,
            _ => return Applied::InvalidWord(0),
        }
        Applied::Done
    }

    /// Keep a one-line statement; a single-valued one replaces its old value.
    fn keep_statement(&mut self, w: &[String]) -> Applied {
        if w[0] == "clock" && w[3].parse::<i8>().is_err() {
            return Applied::InvalidWord(3);
        }
        let mut text = w.join(" ");
        // The grammar matches keywords in lower case; IOS lists the access modes upper case.
        if text.starts_with("snmp-server ") && (text.ends_with(" ro") || text.ends_with(" rw")) {
            let at = text.len() - 2;
            text.replace_range(at.., &text[at..].to_ascii_uppercase());
        }
        if let Some((key, _, true)) = PLACES.iter().find(|(k, _, _)| text.starts_with(k)) {
            self.statements.retain(|s| !s.starts_with(key));
        }
        if !self.statements.contains(&text) {
            self.statements.push(text);
        }
        Applied::Done
    }

    /// `banner motd ^text^` on one line; `banner motd ^` alone asks for the text on the
    /// following lines (the session collects them: [`Applied::Banner`]).
    fn banner(&mut self, rest: &str) -> Applied {
        let mut chars = rest.chars();
        let Some(delimiter) = chars.next() else {
            return Applied::InvalidWord(2);
        };
        let body = chars.as_str();
        match body.find(delimiter) {
            Some(end) => {
                self.motd = Some(body[..end].to_string());
                Applied::Done
            }
            None => Applied::Banner(delimiter, body.to_string()),
        }
    }

    /// The multi-line banner's text, once its closing delimiter was typed.
    pub fn set_motd(&mut self, text: String) {
        self.motd = Some(text);
    }

    fn apply_username(&mut self, w: &[String]) -> Applied {
        let (privilege, secret_at) = if w[2] == "privilege" {
            (w[3].parse().unwrap_or(1), 4)
        } else {
            (1, 2)
        };
        let Some((kind, value)) = split_typed_secret(&w[secret_at + 1]) else {
            return Applied::InvalidWord(secret_at + 1);
        };
        let user = User {
            name: w[1].clone(),
            privilege,
            secret: w[secret_at] == "secret",
            kind,
            value,
        };
        match self.users.iter_mut().find(|u| u.name == user.name) {
            Some(existing) => *existing = user,
            None => self.users.push(user),
        }
        Applied::Done
    }

    /// Apply a parsed sub-mode line in `mode`.
    pub fn apply_submode(&mut self, mode: Submode, p: &Parsed<CfgCmd>) -> Applied {
        match mode {
            Submode::Interface(name) => self.apply_interface(name, p),
            Submode::Router(process) => self.apply_router(process, p),
            Submode::Line(id) => self.apply_line(id, p),
            Submode::Vlan(id) => self.apply_vlan(id, p),
        }
    }

    fn apply_vlan(&mut self, id: u16, p: &Parsed<CfgCmd>) -> Applied {
        let Some(vlan) = self.vlans.iter_mut().find(|v| v.id == id) else {
            return Applied::InvalidWord(0);
        };
        match p.command {
            CfgCmd::VlanName => vlan.name = Some(p.words[1].clone()),
            CfgCmd::NoVlanName => vlan.name = None,
            _ => return Applied::InvalidWord(0),
        }
        Applied::Done
    }

    /// The kept statements listed at `place`, in [`PLACES`] order, then as typed.
    fn render_statements(&self, s: &mut String, place: Place) {
        for (key, _, _) in PLACES.iter().filter(|(_, p, _)| *p == place) {
            for text in self.statements.iter().filter(|t| t.starts_with(key)) {
                let _ = writeln!(s, "{text}");
            }
        }
    }

    fn apply_interface(&mut self, name: IfName, p: &Parsed<CfgCmd>) -> Applied {
        let w = &p.words;
        let iface = self.interface_mut(name);
        match p.command {
            CfgCmd::Description => iface.description = Some(w[1].clone()),
            CfgCmd::NoDescription => iface.description = None,
            CfgCmd::IpAddress => {
                let address: Ipv4Addr = w[2].parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
                let mask: Ipv4Addr = w[3].parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
                let bits = u32::from(mask);
                if bits.leading_ones() + bits.trailing_zeros() != 32 || bits == 0 {
                    return Applied::Message(format!("Bad mask 0x{bits:X} for address {address}"));
                }
                iface.address = Some((address, mask));
                iface.manual = true;
            }
            CfgCmd::NoIpAddress => iface.address = None,
            CfgCmd::Shutdown => iface.shutdown = true,
            CfgCmd::NoShutdown => iface.shutdown = false,
            _ => return Applied::InvalidWord(0),
        }
        Applied::Done
    }

    fn apply_router(&mut self, process: u16, p: &Parsed<CfgCmd>) -> Applied {
        let w = &p.words;
        let ospf = self.ospf_mut(process);
        let network = |at: usize| {
            (
                w[at].parse().unwrap_or(Ipv4Addr::UNSPECIFIED),
                w[at + 1].parse().unwrap_or(Ipv4Addr::UNSPECIFIED),
                w[at + 3].clone(),
            )
        };
        match p.command {
            CfgCmd::Network => {
                let n = network(1);
                if !ospf.networks.contains(&n) {
                    ospf.networks.push(n);
                }
            }
            CfgCmd::NoNetwork => {
                let n = network(2);
                ospf.networks.retain(|x| *x != n);
            }
            CfgCmd::RouterId => ospf.router_id = w[1].parse().ok(),
            CfgCmd::NoRouterId => ospf.router_id = None,
            CfgCmd::Passive | CfgCmd::NoPassive => {
                let Some(name) = IfName::parse(w.last().map_or("", |s| s.as_str())) else {
                    return Applied::InvalidWord(w.len() - 1);
                };
                ospf.passive.retain(|n| *n != name);
                if p.command == CfgCmd::Passive {
                    ospf.passive.push(name);
                }
            }
            _ => return Applied::InvalidWord(0),
        }
        Applied::Done
    }

    fn apply_line(&mut self, id: LineId, p: &Parsed<CfgCmd>) -> Applied {
        let w = &p.words;
        let line = self.line_mut(id);
        match p.command {
            CfgCmd::Login => line.login = Some(if w.len() > 1 { "local" } else { "" }),
            CfgCmd::NoLogin => line.login = None,
            CfgCmd::Transport => line.transport = Some(w[2..].join(" ")),
            CfgCmd::ExecTimeout => {
                let minutes = w[1].parse().unwrap_or(10);
                let seconds = w.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
                line.exec_timeout = Some((minutes, seconds));
            }
            CfgCmd::Password => line.password = Some(w[1].clone()),
            CfgCmd::NoPassword => line.password = None,
            _ => return Applied::InvalidWord(0),
        }
        Applied::Done
    }

    /// The config text from `version` to `end`, lines ending in `\n`, as IOS prints it.
    pub fn render(&self, id: &Ident) -> String {
        let mut s = String::with_capacity(2048);
        s.push_str("!\nversion 15.9\n");
        for service in &self.services {
            let _ = writeln!(s, "service {service}");
        }
        if !self.services.iter().any(|x| x == "password-encryption") {
            s.push_str("no service password-encryption\n");
        }
        let _ = write!(
            s,
            "!\nhostname {}\n!\nboot-start-marker\nboot-end-marker\n!\n!\n",
            self.hostname
        );
        self.render_statements(&mut s, Place::Boot);
        let _ = write!(
            s,
            "enable secret 5 {}\n!\nno aaa new-model\n",
            id.md5_crypt_like(&self.enable_secret)
        );
        self.render_statements(&mut s, Place::Aaa);
        s.push_str("!\n!\n!\n");
        if let Some(domain) = &self.domain_name {
            let _ = writeln!(s, "ip domain name {domain}");
        }
        s.push_str("ip cef\nno ipv6 cef\n!\nmultilink bundle-name authenticated\n!\n");
        for user in &self.users {
            self.render_user(&mut s, id, user);
        }
        s.push_str("!\nredundancy\n!\n");
        for vlan in &self.vlans {
            let _ = writeln!(s, "vlan {}", vlan.id);
            if let Some(name) = &vlan.name {
                let _ = writeln!(s, " name {name}");
            }
            s.push_str("!\n");
        }
        for iface in &self.interfaces {
            render_interface(&mut s, iface);
        }
        for ospf in &self.ospf {
            render_ospf(&mut s, ospf);
        }
        s.push_str("ip forward-protocol nd\n!\nno ip http server\nno ip http secure-server\n");
        s.push_str("ip ssh version 2\n");
        self.render_statements(&mut s, Place::Http);
        s.push_str("!\n");
        for host in &self.logging_hosts {
            let _ = writeln!(s, "logging host {host}");
        }
        self.render_statements(&mut s, Place::Logging);
        s.push_str("!\ncontrol-plane\n!\n");
        if let Some(motd) = &self.motd {
            let _ = writeln!(s, "banner motd ^C{motd}^C");
        }
        for line in &self.lines {
            render_line(&mut s, line);
        }
        s.push_str("!\n");
        self.render_statements(&mut s, Place::Lines);
        s.push_str("!\nend\n");
        s
    }

    fn render_user(&self, s: &mut String, id: &Ident, user: &User) {
        let _ = write!(s, "username {}", user.name);
        if user.privilege != 1 {
            let _ = write!(s, " privilege {}", user.privilege);
        }
        let _ = match (user.secret, user.kind) {
            (true, 0) => writeln!(s, " secret 5 {}", id.md5_crypt_like(&user.value)),
            (false, 0) => writeln!(s, " password 0 {}", user.value),
            (true, kind) => writeln!(s, " secret {kind} {}", user.value),
            (false, kind) => writeln!(s, " password {kind} {}", user.value),
        };
    }
}

impl Line {
    fn new(kind: LineKind, first: u8, last: u8) -> Line {
        Line {
            id: LineId { kind, first, last },
            login: None,
            transport: None,
            exec_timeout: None,
            password: None,
        }
    }
}

/// `cisco`, `0 cisco` or `5 $1$...`: the encryption type and the value.
fn split_typed_secret(text: &str) -> Option<(u8, String)> {
    match text.split_once(' ') {
        Some((kind, value)) if kind.len() == 1 && kind.as_bytes()[0].is_ascii_digit() => {
            let value = value.trim();
            (!value.is_empty() && !value.contains(' '))
                .then(|| (kind.parse().unwrap_or(0), value.to_string()))
        }
        Some(_) => None,
        None => Some((0, text.to_string())),
    }
}

fn render_interface(s: &mut String, iface: &Interface) {
    let _ = writeln!(s, "interface {}", iface.name);
    if let Some(d) = &iface.description {
        let _ = writeln!(s, " description {d}");
    }
    match iface.address {
        Some((a, m)) => {
            let _ = writeln!(s, " ip address {a} {m}");
        }
        None => s.push_str(" no ip address\n"),
    }
    if iface.shutdown {
        s.push_str(" shutdown\n");
    }
    if iface.name.kind.is_physical() {
        s.push_str(" duplex auto\n speed auto\n media-type rj45\n");
    }
    s.push_str("!\n");
}

fn render_ospf(s: &mut String, ospf: &Ospf) {
    let _ = writeln!(s, "router ospf {}", ospf.process);
    if let Some(id) = ospf.router_id {
        let _ = writeln!(s, " router-id {id}");
    }
    for name in &ospf.passive {
        let _ = writeln!(s, " passive-interface {name}");
    }
    for (net, wildcard, area) in &ospf.networks {
        let _ = writeln!(s, " network {net} {wildcard} area {area}");
    }
    s.push_str("!\n");
}

fn render_line(s: &mut String, line: &Line) {
    let id = line.id;
    let _ = match id.kind {
        LineKind::Con => writeln!(s, "line con {}", id.first),
        LineKind::Aux => writeln!(s, "line aux {}", id.first),
        LineKind::Vty if id.first == id.last => writeln!(s, "line vty {}", id.first),
        LineKind::Vty => writeln!(s, "line vty {} {}", id.first, id.last),
    };
    if let Some((m, sec)) = line.exec_timeout {
        let _ = writeln!(s, " exec-timeout {m} {sec}");
    }
    if let Some(p) = &line.password {
        let _ = writeln!(s, " password {p}");
    }
    match line.login {
        Some("local") => s.push_str(" login local\n"),
        Some(_) => s.push_str(" login\n"),
        None => {}
    }
    if let Some(t) = &line.transport {
        let _ = writeln!(s, " transport input {t}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::CliFaults;

    fn spec() -> DeviceSpec {
        DeviceSpec {
            index: 0,
            hostname: "R1".into(),
            seed: 7,
            username: "cisco".into(),
            password: "cisco".into(),
            enable_secret: "cisco".into(),
            faults: CliFaults::default(),
            platform: crate::device::Platform::CiscoIos,
        }
    }

    fn apply(cfg: &mut Config, mode: Option<Submode>, line: &str) -> Applied {
        match mode {
            None => cfg.apply_global(&global_grammar().parse(line).unwrap()),
            Some(m) => cfg.apply_submode(m, &submode_grammar(&m).parse(line).unwrap()),
        }
    }

    #[test]
    fn initial_config_renders_like_ios() {
        let cfg = Config::initial(&spec());
        let text = cfg.render(&Ident { index: 0, seed: 7 });
        assert!(text.contains("\nhostname R1\n"));
        assert!(text.contains(
            "interface GigabitEthernet0/0\n description uplink to core\n ip address 10.0.0.1 255.255.255.0\n"
        ));
        assert!(text.contains(
            "router ospf 1\n router-id 10.255.0.1\n network 10.0.0.0 0.0.0.255 area 0\n"
        ));
        assert!(text.contains("line vty 0 4\n login local\n transport input ssh telnet\n"));
        assert!(text.ends_with("end\n"));
        assert!(!text.contains("secret 5 cisco"));
    }

    #[test]
    fn users_can_be_added_and_removed() {
        let mut cfg = Config::initial(&spec());
        assert!(cfg.check_login("cisco", "cisco"));
        assert_eq!(
            apply(&mut cfg, None, "username admin privilege 15 secret s3cr3t"),
            Applied::Done
        );
        assert!(cfg.check_login("admin", "s3cr3t"));
        assert_eq!(
            apply(&mut cfg, None, "username bob password 0 pw"),
            Applied::Done
        );
        assert!(cfg.check_login("bob", "pw"));
        assert_eq!(
            apply(&mut cfg, None, "username bob password 0 two words"),
            Applied::InvalidWord(3)
        );
        assert_eq!(apply(&mut cfg, None, "no username admin"), Applied::Done);
        assert!(!cfg.check_login("admin", "s3cr3t"));
    }

    #[test]
    fn interfaces_are_created_in_ios_order_and_validated() {
        let mut cfg = Config::initial(&spec());
        let lo5 = IfName::virtual_(IfKind::Loopback, 5);
        assert_eq!(
            apply(&mut cfg, None, "int lo5"),
            Applied::Enter(Submode::Interface(lo5))
        );
        assert_eq!(apply(&mut cfg, None, "int gi0/9"), Applied::InvalidWord(1));
        assert_eq!(
            apply(&mut cfg, None, "no int gi0/1"),
            Applied::InvalidWord(2)
        );
        let m = Some(Submode::Interface(lo5));
        assert_eq!(
            apply(&mut cfg, m, "ip addr 1.1.1.1 255.255.255.255"),
            Applied::Done
        );
        assert_eq!(
            apply(&mut cfg, m, "ip addr 1.1.1.1 255.0.255.0"),
            Applied::Message("Bad mask 0xFF00FF00 for address 1.1.1.1".into())
        );
        let names: Vec<String> = cfg.interfaces.iter().map(|i| i.name.short()).collect();
        assert_eq!(names, ["Gi0/0", "Gi0/1", "Gi0/2", "Gi0/3", "Lo0", "Lo5"]);
        assert_eq!(
            apply(&mut cfg, None, "no interface Loopback5"),
            Applied::Done
        );
        assert!(cfg.interface(&lo5).is_none());
    }

    #[test]
    fn ospf_logging_lines_and_services() {
        let mut cfg = Config::initial(&spec());
        assert_eq!(
            apply(&mut cfg, None, "router ospf 10"),
            Applied::Enter(Submode::Router(10))
        );
        let r = Some(Submode::Router(10));
        assert_eq!(
            apply(&mut cfg, r, "net 192.168.1.0 0.0.0.255 a 0"),
            Applied::Done
        );
        assert_eq!(apply(&mut cfg, None, "logging 10.9.9.9"), Applied::Done);
        assert_eq!(
            apply(&mut cfg, None, "logging host 10.9.9.9"),
            Applied::Done
        );
        assert_eq!(
            apply(&mut cfg, None, "service password-encryption"),
            Applied::Done
        );
        assert_eq!(
            apply(&mut cfg, None, "line vty 5 15"),
            Applied::Enter(Submode::Line(LineId {
                kind: LineKind::Vty,
                first: 5,
                last: 15
            }))
        );
        let text = cfg.render(&Ident { index: 0, seed: 7 });
        assert!(text.contains("router ospf 10\n network 192.168.1.0 0.0.0.255 area 0\n"));
        assert_eq!(text.matches("logging host 10.9.9.9").count(), 1);
        assert!(text.contains("service password-encryption\n"));
        assert!(!text.contains("no service password-encryption"));
        assert!(text
            .contains("line vty 0 4\n login local\n transport input ssh telnet\nline vty 5 15\n"));
        assert_eq!(
            apply(&mut cfg, r, "no net 192.168.1.0 0.0.0.255 area 0"),
            Applied::Done
        );
        assert!(!cfg
            .render(&Ident { index: 0, seed: 7 })
            .contains("192.168.1.0"));
    }
}
