//! `show` command output, generated on demand from the device's identity and config, and the
//! output filters (`| include`, `| exclude`, `| section`, `| begin`, `| count`). Text here uses
//! `\n`; the session converts to the terminal's `\r\n`.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use regex::Regex;

use super::config::{Config, Interface};
use super::ident::Ident;
use super::ifname::IfKind;

/// About how much `show tech-support` prints with the `huge` fault.
pub const HUGE_TECH_SUPPORT_BYTES: usize = 10 * 1024 * 1024;

/// What a `show` command reads: the device identity, its running config and the clock tick.
pub struct View<'a> {
    pub id: Ident,
    pub running: &'a Config,
    pub ticks: u32,
}

impl View<'_> {
    pub fn version(&self) -> String {
        let physical = self
            .running
            .interfaces
            .iter()
            .filter(|i| i.name.kind.is_physical())
            .count();
        format!(
            "Cisco IOS Software, IOSv Software (VIOS-ADVENTERPRISEK9-M), Version 15.9(3)M6, RELEASE SOFTWARE (fc1)\n\
             Technical Support: http://www.cisco.com/techsupport\n\
             Copyright (c) 1986-2022 by Cisco Systems, Inc.\n\
             Compiled Wed 15-Jun-22 12:03 by prod_rel_team\n\
             \n\
             \n\
             ROM: Bootstrap program is IOSv\n\
             \n\
             {host} uptime is {uptime}\n\
             System returned to ROM by reload\n\
             System image file is \"flash0:/vios-adventerprisek9-m\"\n\
             Last reload reason: Unknown reason\n\
             \n\
             \n\
             \n\
             This product contains cryptographic features and is subject to United\n\
             States and local country laws governing import, export, transfer and\n\
             use. Delivery of Cisco cryptographic products does not imply\n\
             third-party authority to import, export, distribute or use encryption.\n\
             Importers, exporters, distributors and users are responsible for\n\
             compliance with U.S. and local country laws. By using this product you\n\
             agree to comply with applicable laws and regulations. If you are unable\n\
             to comply with U.S. and local laws, return this product immediately.\n\
             \n\
             A summary of U.S. laws governing Cisco cryptographic products may be found at:\n\
             http://www.cisco.com/wwl/export/crypto/tool/stqrg.html\n\
             \n\
             If you require further assistance please contact us by sending email to\n\
             export@cisco.com.\n\
             \n\
             Cisco IOSv (revision 1.0) with  with 460137K/62464K bytes of memory.\n\
             Processor board ID {serial}\n\
             {physical} Gigabit Ethernet interfaces\n\
             DRAM configuration is 72 bits wide with parity disabled.\n\
             256K bytes of non-volatile configuration memory.\n\
             2097152K bytes of ATA System CompactFlash 0 (Read/Write)\n\
             0K bytes of ATA CompactFlash 1 (Read/Write)\n\
             0K bytes of ATA CompactFlash 2 (Read/Write)\n\
             10080K bytes of ATA CompactFlash 3 (Read/Write)\n\
             \n\
             \n\
             \n\
             Configuration register is 0x2102\n",
            host = self.running.hostname,
            uptime = self.id.uptime(),
            serial = self.id.serial(),
        )
    }

    pub fn clock(&self) -> String {
        format!("{}\n", self.id.clock(self.ticks))
    }

    pub fn ip_interface_brief(&self) -> String {
        let mut s = format!(
            "{:<27}{:<16}{:<4}{:<7}{:<22}{}\n",
            "Interface", "IP-Address", "OK?", "Method", "Status", "Protocol"
        );
        for i in &self.running.interfaces {
            let (address, method) = match (i.address, i.manual) {
                (Some((a, _)), false) => (a.to_string(), "NVRAM"),
                (Some((a, _)), true) => (a.to_string(), "manual"),
                (None, _) => ("unassigned".to_string(), "unset"),
            };
            let (status, protocol) = link_state(i);
            let _ = writeln!(
                s,
                "{:<27}{:<16}{:<4}{:<7}{:<22}{:<8}",
                i.name.to_string(),
                address,
                "YES",
                method,
                status,
                protocol
            );
        }
        s
    }

    pub fn interfaces_description(&self) -> String {
        let mut s = format!(
            "{:<31}{:<15}{:<9}{}\n",
            "Interface", "Status", "Protocol", "Description"
        );
        for i in &self.running.interfaces {
            let (status, protocol) = link_state(i);
            let status = if i.shutdown { "admin down" } else { status };
            let line = format!(
                "{:<31}{:<15}{:<9}{}",
                i.name.short(),
                status,
                protocol,
                i.description.as_deref().unwrap_or("")
            );
            let _ = writeln!(s, "{}", line.trim_end());
        }
        s
    }

    /// `show interfaces [NAME]`.
    pub fn interfaces(&self, only: Option<&str>) -> String {
        let mut s = String::new();
        for i in &self.running.interfaces {
            if only.is_some_and(|name| name != i.name.to_string()) {
                continue;
            }
            self.interface_detail(&mut s, i);
        }
        s
    }

    fn interface_detail(&self, s: &mut String, i: &Interface) {
        let (status, protocol) = link_state(i);
        let _ = writeln!(s, "{} is {status}, line protocol is {protocol} ", i.name);
        let physical = i.name.kind.is_physical();
        if physical {
            let mac = self.id.mac(&i.name);
            let _ = writeln!(s, "  Hardware is iGbE, address is {mac} (bia {mac})");
        } else {
            let _ = writeln!(s, "  Hardware is {:?}", i.name.kind);
        }
        if let Some(d) = &i.description {
            let _ = writeln!(s, "  Description: {d}");
        }
        if let Some((a, m)) = i.address {
            let _ = writeln!(
                s,
                "  Internet address is {a}/{}",
                u32::from(m).leading_ones()
            );
        }
        if physical {
            s.push_str(
                "  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec, \n\
                 \x20    reliability 255/255, txload 1/255, rxload 1/255\n\
                 \x20 Encapsulation ARPA, loopback not set\n\
                 \x20 Keepalive set (10 sec)\n\
                 \x20 Auto Duplex, Auto Speed, link type is auto, media type is RJ45\n\
                 \x20 output flow-control is unsupported, input flow-control is unsupported\n\
                 \x20 ARP type: ARPA, ARP Timeout 04:00:00\n",
            );
        } else {
            s.push_str(
                "  MTU 1514 bytes, BW 8000000 Kbit/sec, DLY 5000 usec, \n\
                 \x20    reliability 255/255, txload 1/255, rxload 1/255\n\
                 \x20 Encapsulation LOOPBACK, loopback not set\n\
                 \x20 Keepalive set (10 sec)\n",
            );
        }
        let m = self
            .id
            .mix(0x1F00 + u64::from(i.name.port) + ((i.name.kind as u64) << 8));
        let (pin, pout) = if i.shutdown {
            (0, 0)
        } else {
            (m % 900_000 + 1000, (m >> 20) % 600_000 + 1000)
        };
        let _ = write!(
            s,
            "  Last input 00:00:0{}, output 00:00:0{}, output hang never\n\
             \x20 Last clearing of \"show interface\" counters never\n\
             \x20 Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: 0\n\
             \x20 5 minute input rate {} bits/sec, {} packets/sec\n\
             \x20 5 minute output rate {} bits/sec, {} packets/sec\n\
             \x20    {pin} packets input, {} bytes, 0 no buffer\n\
             \x20    0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored\n\
             \x20    {pout} packets output, {} bytes, 0 underruns\n\
             \x20    0 output errors, 0 collisions, 1 interface resets\n",
            m % 10,
            (m >> 8) % 10,
            (pin % 97) * 1000,
            pin % 7,
            (pout % 89) * 1000,
            pout % 5,
            pin * 93,
            pout * 87,
        );
    }

    pub fn running_config(&self) -> String {
        let body = self.running.render(&self.id);
        format!(
            "Building configuration...\n\nCurrent configuration : {} bytes\n{body}",
            body.len()
        )
    }

    pub fn startup_config(&self, startup: &Config) -> String {
        let body = startup.render(&self.id);
        format!("Using {} out of 262144 bytes\n{body}", body.len())
    }

    fn addressed_up(&self) -> impl Iterator<Item = (&Interface, Ipv4Addr, Ipv4Addr)> {
        self.running
            .interfaces
            .iter()
            .filter_map(|i| match i.address {
                Some((a, m)) if !i.shutdown => Some((i, a, m)),
                _ => None,
            })
    }

    pub fn arp(&self) -> String {
        let mut s = String::from(
            "Protocol  Address          Age (min)  Hardware Addr   Type   Interface\n",
        );
        let mut n = 0;
        for (i, address, mask) in self.addressed_up() {
            if !i.name.kind.is_physical() {
                continue;
            }
            let net = u32::from(address) & u32::from(mask);
            let mut entries = vec![(address, "-".to_string(), self.id.mac(&i.name))];
            for host in [2u32, 254] {
                let neighbour = Ipv4Addr::from(net | (host & !u32::from(mask)));
                if neighbour != address {
                    n += 1;
                    let age = self.id.mix(0xA9E + n) % 240;
                    entries.push((neighbour, age.to_string(), self.id.neighbour_mac(n)));
                }
            }
            entries.sort();
            for (ip, age, mac) in entries {
                let _ = writeln!(
                    s,
                    "{:<10}{:<17}{:>8}   {:<16}{:<7}{}",
                    "Internet",
                    ip.to_string(),
                    age,
                    mac,
                    "ARPA",
                    i.name
                );
            }
        }
        s
    }

    pub fn ip_route(&self) -> String {
        let mut s = String::from(ROUTE_CODES);
        let mut routes: Vec<Route> = Vec::new();
        for (i, address, mask) in self.addressed_up() {
            let len = u32::from(mask).leading_ones() as u8;
            let net = Ipv4Addr::from(u32::from(address) & u32::from(mask));
            let via = format!("is directly connected, {}", i.name);
            routes.push(Route::new("C", net, len, via.clone()));
            if len < 32 {
                routes.push(Route::new("L", address, 32, via));
            }
        }
        let uplink = self
            .running
            .interfaces
            .first()
            .filter(|i| !i.shutdown && i.name.kind == IfKind::GigabitEthernet)
            .and_then(|i| i.address.map(|(a, m)| (i, a, m)));
        let gateway = uplink.map(|(i, a, m)| {
            let net = u32::from(a) & u32::from(m);
            (i, Ipv4Addr::from(net | 2), Ipv4Addr::from(net | 254))
        });
        if let (Some((i, peer, _)), false) = (gateway, self.running.ospf.is_empty()) {
            for k in 1..=2u64 {
                let neighbour = Ident {
                    index: self.id.index + k as usize,
                    seed: self.id.seed,
                };
                let age = self.id.mix(0x0A6E + k);
                let via = format!(
                    "[110/{}] via {peer}, {:02}:{:02}:{:02}, {}",
                    1 + k,
                    age % 24,
                    (age >> 8) % 60,
                    (age >> 16) % 60,
                    i.name
                );
                routes.push(Route::new("O", neighbour.loopback(), 32, via));
            }
        }
        match gateway {
            Some((_, _, gw)) => {
                let _ = writeln!(s, "Gateway of last resort is {gw} to network 0.0.0.0\n");
                let _ = writeln!(s, "S*    0.0.0.0/0 [1/0] via {gw}");
            }
            None => s.push_str("Gateway of last resort is not set\n\n"),
        }
        routes.sort_by_key(|r| (u32::from(r.prefix), r.len));
        render_route_groups(&mut s, &routes);
        s
    }

    /// A few KB normally; about [`HUGE_TECH_SUPPORT_BYTES`] with the `huge` fault.
    pub fn tech_support(&self, huge: bool) -> String {
        let sections: [(&str, String); 7] = [
            ("show clock", self.clock()),
            ("show version", self.version()),
            ("show running-config", self.running_config()),
            ("show interfaces", self.interfaces(None)),
            ("show ip interface brief", self.ip_interface_brief()),
            ("show ip route", self.ip_route()),
            ("show arp", self.arp()),
        ];
        let mut s = String::with_capacity(if huge {
            HUGE_TECH_SUPPORT_BYTES + 4096
        } else {
            16 * 1024
        });
        for (title, body) in sections {
            let _ = write!(
                s,
                "\n------------------ {title} ------------------\n\n{body}\n"
            );
        }
        if huge {
            s.push_str("\n------------------ show logging ------------------\n\n");
            let mut n: u64 = 0;
            while s.len() < HUGE_TECH_SUPPORT_BYTES {
                let _ = writeln!(
                    s,
                    "*Mar  4 {:02}:{:02}:{:02}.{:03}: %LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet0/{}, changed state to {}",
                    n / 3600 % 24,
                    n / 60 % 60,
                    n % 60,
                    n % 1000,
                    n % 4,
                    if n.is_multiple_of(2) { "down" } else { "up" }
                );
                n += 1;
            }
        }
        s
    }
}

fn link_state(i: &Interface) -> (&'static str, &'static str) {
    match (i.shutdown, i.name.kind) {
        (true, _) => ("administratively down", "down"),
        (false, IfKind::Tunnel) => ("up", "down"),
        (false, _) => ("up", "up"),
    }
}

const ROUTE_CODES: &str = "\
Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP
       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area 
       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2
       E1 - OSPF external type 1, E2 - OSPF external type 2
       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2
       ia - IS-IS inter area, * - candidate default, U - per-user static route
       o - ODR, P - periodic downloaded static route, H - NHRP, l - LISP
       a - application route
       + - replicated route, % - next hop override, p - overrides from PfR

";

struct Route {
    code: &'static str,
    prefix: Ipv4Addr,
    len: u8,
    detail: String,
}

impl Route {
    fn new(code: &'static str, prefix: Ipv4Addr, len: u8, detail: String) -> Route {
        Route {
            code,
            prefix,
            len,
            detail,
        }
    }

    /// The classful network a route is listed under.
    fn major(&self) -> (Ipv4Addr, u8) {
        let bits = u32::from(self.prefix);
        let len = match bits >> 24 {
            0..=127 => 8,
            128..=191 => 16,
            _ => 24,
        };
        (Ipv4Addr::from(bits & (u32::MAX << (32 - len))), len)
    }
}

/// Routes under their classful headers, as IOS lists them.
fn render_route_groups(s: &mut String, routes: &[Route]) {
    let mut start = 0;
    while start < routes.len() {
        let major = routes[start].major();
        let end = start
            + routes[start..]
                .iter()
                .take_while(|r| r.major() == major)
                .count();
        let group = &routes[start..end];
        let mut masks: Vec<u8> = group.iter().map(|r| r.len).collect();
        masks.sort_unstable();
        masks.dedup();
        let _ = if masks.len() == 1 {
            writeln!(
                s,
                "      {}/{} is subnetted, {} subnets",
                major.0,
                masks[0],
                group.len()
            )
        } else {
            writeln!(
                s,
                "      {}/{} is variably subnetted, {} subnets, {} masks",
                major.0,
                major.1,
                group.len(),
                masks.len()
            )
        };
        for r in group {
            let _ = writeln!(s, "{:<9}{}/{} {}", r.code, r.prefix, r.len, r.detail);
        }
        start = end;
    }
}

/// An output filter after `|`.
#[derive(Debug, Clone)]
pub enum Filter {
    Include(Regex),
    Exclude(Regex),
    Section(Regex),
    Begin(Regex),
    Count(Option<Regex>),
}

impl Filter {
    pub fn apply(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len().min(64 * 1024));
        let mut keep = |line: &str| {
            out.push_str(line);
            out.push('\n');
        };
        match self {
            Filter::Include(re) => text.lines().filter(|l| re.is_match(l)).for_each(keep),
            Filter::Exclude(re) => text.lines().filter(|l| !re.is_match(l)).for_each(keep),
            Filter::Begin(re) => text.lines().skip_while(|l| !re.is_match(l)).for_each(keep),
            Filter::Section(re) => {
                for section in sections(text) {
                    if section.iter().any(|l| re.is_match(l)) {
                        section.into_iter().for_each(&mut keep);
                    }
                }
            }
            Filter::Count(re) => {
                let n = text
                    .lines()
                    .filter(|l| re.as_ref().is_none_or(|re| re.is_match(l)))
                    .count();
                keep(&format!("Number of lines which match regexp = {n}"));
            }
        }
        out
    }
}

/// Top-level lines with the indented lines under them.
fn sections(text: &str) -> Vec<Vec<&str>> {
    let mut all: Vec<Vec<&str>> = Vec::new();
    for line in text.lines() {
        match all.last_mut() {
            Some(current) if line.starts_with(' ') => current.push(line),
            _ => all.push(vec![line]),
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{CliFaults, DeviceSpec};

    fn view_of(cfg: &Config) -> View<'_> {
        View {
            id: Ident { index: 0, seed: 3 },
            running: cfg,
            ticks: 0,
        }
    }

    fn config() -> Config {
        Config::initial(&DeviceSpec {
            index: 0,
            hostname: "R1".into(),
            seed: 3,
            username: "cisco".into(),
            password: "cisco".into(),
            enable_secret: "cisco".into(),
            faults: CliFaults::default(),
            platform: crate::device::Platform::CiscoIos,
        })
    }

    #[test]
    fn ip_interface_brief_columns() {
        let cfg = config();
        let text = view_of(&cfg).ip_interface_brief();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Interface                  IP-Address      OK? Method Status                Protocol"
        );
        assert_eq!(
            lines[1],
            "GigabitEthernet0/0         10.0.0.1        YES NVRAM  up                    up      "
        );
        assert_eq!(
            lines[3],
            "GigabitEthernet0/2         unassigned      YES unset  administratively down down    "
        );
        assert_eq!(lines.len(), 6);
    }

    #[test]
    fn ip_route_lists_connected_local_ospf_and_default() {
        let cfg = config();
        let text = view_of(&cfg).ip_route();
        assert!(text.starts_with("Codes: L - local"));
        assert!(text.contains("Gateway of last resort is 10.0.0.254 to network 0.0.0.0\n\nS*    0.0.0.0/0 [1/0] via 10.0.0.254\n"));
        assert!(text.contains("      10.0.0.0/8 is variably subnetted, 5 subnets, 2 masks\n"));
        assert!(text.contains("C        10.0.0.0/24 is directly connected, GigabitEthernet0/0\n"));
        assert!(text.contains("L        10.0.0.1/32 is directly connected, GigabitEthernet0/0\n"));
        assert!(text.contains("O        10.255.0.2/32 [110/2] via 10.0.0.2, "));
        assert!(text.contains("      172.16.0.0/16 is variably subnetted, 2 subnets, 2 masks\n"));
    }

    #[test]
    fn filters_select_lines() {
        let text = "router ospf 1\n network 10.0.0.0 0.0.0.255 area 0\n!\ninterface Lo0\n ip address 1.1.1.1 255.255.255.255\n!\n";
        let re = |r: &str| Regex::new(r).unwrap();
        assert_eq!(
            Filter::Section(re("^router ospf")).apply(text),
            "router ospf 1\n network 10.0.0.0 0.0.0.255 area 0\n"
        );
        assert_eq!(
            Filter::Include(re("ip")).apply(text),
            " ip address 1.1.1.1 255.255.255.255\n"
        );
        assert_eq!(
            Filter::Exclude(re("!|^ ")).apply(text),
            "router ospf 1\ninterface Lo0\n"
        );
        assert_eq!(
            Filter::Begin(re("^interface")).apply(text),
            "interface Lo0\n ip address 1.1.1.1 255.255.255.255\n!\n"
        );
        assert_eq!(
            Filter::Count(Some(re("^!"))).apply(text),
            "Number of lines which match regexp = 2\n"
        );
    }

    #[test]
    fn tech_support_sizes() {
        let cfg = config();
        let normal = view_of(&cfg).tech_support(false);
        assert!((2_000..64_000).contains(&normal.len()), "{}", normal.len());
        let huge = view_of(&cfg).tech_support(true);
        assert!(
            huge.len() >= HUGE_TECH_SUPPORT_BYTES && huge.len() < HUGE_TECH_SUPPORT_BYTES + 1024
        );
    }

    #[test]
    fn version_and_running_config_headers() {
        let cfg = config();
        let v = view_of(&cfg).version();
        assert!(v.starts_with("Cisco IOS Software,"));
        assert!(v.contains("\nR1 uptime is "));
        assert!(v.contains("\nProcessor board ID 9"));
        assert!(v.ends_with("Configuration register is 0x2102\n"));
        let run = view_of(&cfg).running_config();
        let body = cfg.render(&Ident { index: 0, seed: 3 });
        assert!(run.starts_with(&format!(
            "Building configuration...\n\nCurrent configuration : {} bytes\n!\nversion 15.9\n",
            body.len()
        )));
    }
}
