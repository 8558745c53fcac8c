//! `show` output of the non-IOS personalities, generated from the device's identity and config
//! in the layouts of real devices' captured output (ntc-templates' tests/ fixtures; see
//! testbed/README.md). Text uses `\n`.

use std::fmt::Write as _;

use super::super::ident::Ident;
use super::super::platform::Platform;
use super::model::{render_sections, short_interface, IfView, Separator, VConfig};

/// What a `show` reads.
pub struct VView<'a> {
    pub platform: Platform,
    pub id: Ident,
    pub cfg: &'a VConfig,
    pub ticks: u32,
}

/// `Wed Mar 14 12:31:28.607 UTC 2024` (EOS/Junos clocks, NX-OS config headers).
pub fn timestamp(id: &Ident, ticks: u32) -> String {
    // ident's clock is `*HH:MM:SS.mmm UTC Www Mmm D YYYY`.
    let clock = id.clock(ticks);
    let words: Vec<&str> = clock.trim_start_matches('*').split(' ').collect();
    match words.as_slice() {
        [time, zone, day, month, date, year] => {
            format!("{day} {month} {date:>2} {time} {zone} {year}")
        }
        _ => clock,
    }
}

/// `2021-08-31 08:48:11 UTC`: Junos's clock, as in `show system uptime` (ntc-templates'
/// juniper_junos/show_system_uptime fixtures).
pub fn junos_timestamp(id: &Ident, ticks: u32) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let clock = id.clock(ticks);
    let words: Vec<&str> = clock.trim_start_matches('*').split(' ').collect();
    match words.as_slice() {
        [time, zone, _day, month, date, year] => {
            let month = MONTHS.iter().position(|m| m == month).map_or(1, |m| m + 1);
            let seconds = time.split('.').next().unwrap_or(time);
            format!("{year}-{month:02}-{:0>2} {seconds} {zone}", date)
        }
        _ => clock,
    }
}

/// `Wed Mar 14 12:31:28.607 UTC`: the line IOS-XR prints before every show output, without a
/// year (as in every one of ntc-templates' `tests/cisco_xr/*.raw` captures that has it).
pub fn xr_show_stamp(id: &Ident, ticks: u32) -> String {
    let stamp = timestamp(id, ticks);
    match stamp.rsplit_once(' ') {
        Some((without_year, _)) => without_year.to_string(),
        None => stamp,
    }
}

impl VView<'_> {
    fn uptime_days(&self) -> (u64, u64, u64) {
        let minutes = 5 + self.id.mix(0x0917) % (20 * 7 * 24 * 60);
        (minutes / 1440, minutes / 60 % 24, minutes % 60)
    }

    pub fn version(&self) -> String {
        let host = &self.cfg.hostname;
        let serial = self.id.serial();
        let (d, h, m) = self.uptime_days();
        match self.platform {
            Platform::CiscoNxos => format!(
                "Cisco Nexus Operating System (NX-OS) Software\n\
                 TAC support: http://www.cisco.com/tac\n\
                 Copyright (C) 2002-2021, Cisco and/or its affiliates.\n\
                 All rights reserved.\n\
                 \n\
                 Software\n\
                 \x20 BIOS: version \n\
                 \x20NXOS: version 9.3(8)\n\
                 \x20 BIOS compile time:  \n\
                 \x20 NXOS image file is: bootflash:///nxos.9.3.8.bin\n\
                 \x20 NXOS compile time:  8/18/2021 16:00:00 [08/19/2021 00:18:33]\n\
                 \n\
                 \n\
                 Hardware\n\
                 \x20 cisco Nexus9000 C9300v Chassis \n\
                 \x20 Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz with 16409064 kB of memory.\n\
                 \x20 Processor Board ID {serial}\n\
                 \n\
                 \x20 Device name: {host}\n\
                 \x20 bootflash:    4287040 kB\n\
                 Kernel uptime is {d} day(s), {h} hour(s), {m} minute(s), 12 second(s)\n\
                 \n\
                 Last reset \n\
                 \x20 Reason: Unknown\n\
                 \x20 System version: \n\
                 \x20 Service: \n\
                 \n\
                 plugin\n\
                 \x20 Core Plugin, Ethernet Plugin\n\
                 \n\
                 Active Package(s):\n"
            ),
            Platform::CiscoXr => format!(
                "\nCisco IOS XR Software, Version 7.3.2\n\
                 Copyright (c) 2013-2021 by Cisco Systems, Inc.\n\
                 \n\
                 Build Information:\n\
                 \x20Built By     : ingunawa\n\
                 \x20Built On     : Wed Oct 13 20:00:00 PDT 2021\n\
                 \x20Built Host   : iox-ucs-017\n\
                 \x20Workspace    : /auto/srcarchive17/prod/7.3.2/xrv9k/ws\n\
                 \x20Version      : 7.3.2\n\
                 \x20Location     : /opt/cisco/XR/packages/\n\
                 \x20Label        : 7.3.2\n\
                 \n\
                 cisco IOS-XRv 9000 () processor\n\
                 System uptime is {} weeks, {} days, {h} hours, {m} minutes\n\
                 \n",
                d / 7,
                d % 7
            ),
            Platform::AristaEos => format!(
                "Arista vEOS-lab\n\
                 Hardware version: \n\
                 Serial number:       {serial}\n\
                 Hardware MAC address:  {mac}\n\
                 System MAC address:  {mac}\n\
                 \n\
                 Software image version: 4.27.0F\n\
                 Architecture:           x86_64\n\
                 Internal build version: 4.27.0F-24305004.4270F\n\
                 Internal build ID:      5e4e3f9c-9d39-4a4d-9a3f-5c2b1f00c0de\n\
                 Image format version:   1.0\n\
                 Image optimization:     None\n\
                 \n\
                 Uptime:                 {d} days, {h} hours and {m} minutes\n\
                 Total memory:           4002360 kB\n\
                 Free memory:            2623352 kB\n\
                 \n",
                mac = eos_mac(&self.id),
            ),
            _ => {
                let mut s = format!(
                    "\nCisco Adaptive Security Appliance Software Version 9.16(2) \n\
                     SSP Operating System Version 2.10(1.162)\n\
                     Device Manager Version 7.16(1)\n\
                     \n\
                     Compiled on Fri 06-Aug-21 14:00 GMT by builders\n\
                     System image file is \"boot:/asa9162-smp-k8.bin\"\n\
                     Config file at boot was \"startup-config\"\n\
                     \n\
                     {host} up {d} days {h} hours\n\
                     \n\
                     Hardware:   ASAv, 2048 MB RAM, CPU Xeon E5 series 2600 MHz,\n\
                     Model Id:   ASAv10\n\
                     Internal ATA Compact Flash, 8192MB\n\
                     Slot 1: ATA Compact Flash, 8192MB\n\
                     BIOS Flash Firmware Hub @ 0x0, 0KB\n\
                     \n\
                     \n"
                );
                for (n, i) in self.cfg.interfaces().enumerate() {
                    let _ = writeln!(
                        s,
                        " {n}: Ext: {:<20}: address is {}, irq 11",
                        i.name,
                        self.id.neighbour_mac(0x100 + n as u64)
                    );
                }
                let _ = write!(
                    s,
                    "\nLicense mode: Smart Licensing\n\
                     ASAv Platform License State: Unlicensed\n\
                     \n\
                     Serial Number: {serial}\n\
                     Configuration last modified by enable_15 at 10:00:00.000 UTC Mon Jan 1 2024\n"
                );
                s
            }
        }
    }

    pub fn clock(&self) -> String {
        match self.platform {
            Platform::AristaEos => {
                let ts = timestamp(&self.id, self.ticks);
                let mut words: Vec<&str> = ts.split(' ').collect();
                // `Mon Jan 14 18:42:49 2013`, then the zone on a line of its own.
                words.retain(|w| *w != "UTC");
                let time = words
                    .get(3)
                    .map_or("", |t| t.split('.').next().unwrap_or(t));
                format!(
                    "{} {} {} {time} {}\nTimezone: UTC\nClock source: local\n",
                    words.first().unwrap_or(&""),
                    words.get(1).unwrap_or(&""),
                    words.get(2).unwrap_or(&""),
                    words.get(4).unwrap_or(&"")
                )
            }
            Platform::CiscoXr => format!("{}\n", timestamp(&self.id, self.ticks)),
            _ => format!("{}\n", self.id.clock(self.ticks).trim_start_matches('*')),
        }
    }

    /// NX-OS `show ip interface brief`.
    pub fn nxos_ip_brief(&self) -> String {
        let mut s = String::from(
            "IP Interface Status for VRF \"default\"(1)\nInterface            IP Address      Interface Status\n",
        );
        for i in self.cfg.interfaces().filter(|i| i.name != "mgmt0") {
            let Some((a, _)) = i.address else { continue };
            let status = if i.shutdown {
                "protocol-down/link-down/admin-down"
            } else {
                "protocol-up/link-up/admin-up"
            };
            let name = short_interface(self.platform, i.name);
            let _ = writeln!(s, "{name:<21}{:<16}{status}", a.to_string());
        }
        s
    }

    /// NX-OS `show interface brief`.
    pub fn nxos_interface_brief(&self) -> String {
        let mut s = String::from(
            "\n--------------------------------------------------------------------------------\n\
             Ethernet      VLAN    Type Mode   Status  Reason                 Speed     Port\n\
             Interface                                                                    Ch #\n\
             --------------------------------------------------------------------------------\n",
        );
        for i in self
            .cfg
            .interfaces()
            .filter(|i| i.name.starts_with("Ethernet"))
        {
            let (status, reason) = if i.shutdown {
                ("down", "Administratively down")
            } else {
                ("up", "none")
            };
            let mode = if i.address.is_some() {
                "routed"
            } else {
                "access"
            };
            let vlan = if i.address.is_some() { "--" } else { "1" };
            let name = short_interface(self.platform, i.name);
            let _ = writeln!(
                s,
                "{name:<14}{vlan:<8}eth  {mode:<7}{status:<8}{reason:<23}1000(D)   --"
            );
        }
        s
    }

    /// IOS-XR `show ipv4 interface brief`.
    pub fn xr_ip_brief(&self) -> String {
        let mut s = format!(
            "\n{:<31}{:<16}{:<16}{:<9}{}\n",
            "Interface", "IP-Address", "Status", "Protocol", "Vrf-Name"
        );
        for i in self.cfg.interfaces() {
            let (status, protocol) = if i.shutdown {
                ("Shutdown", "Down")
            } else {
                ("Up", "Up")
            };
            let _ = writeln!(
                s,
                "{:<31}{:<16}{status:<16}{protocol:<9}default ",
                i.name,
                address_or_unassigned(&i)
            );
        }
        s
    }

    /// EOS `show ip interface brief`.
    pub fn eos_ip_brief(&self) -> String {
        let mut s = String::from(
            "                                                                              Address\n\
             Interface         IP Address            Status       Protocol           MTU    Owner  \n\
             ----------------- --------------------- ------------ -------------- ---------- -------\n",
        );
        for i in self.cfg.interfaces() {
            let address = match i.address {
                Some((a, len)) => format!("{a}/{len}"),
                None => "unassigned".into(),
            };
            let (status, protocol) = if i.shutdown {
                ("admin down", "down")
            } else {
                ("up", "up")
            };
            let mtu = if i.name.starts_with("Loopback") {
                65535
            } else {
                1500
            };
            let _ = writeln!(
                s,
                "{:<18}{address:<22}{status:<13}{protocol:<15}{mtu:>10}",
                i.name
            );
        }
        s
    }

    /// EOS `show interfaces status`.
    pub fn eos_interfaces_status(&self) -> String {
        let mut s = String::from(
            "Port       Name        Status       Vlan     Duplex Speed  Type            Flags Encapsulation\n",
        );
        for i in self
            .cfg
            .interfaces()
            .filter(|i| i.name.starts_with("Ethernet"))
        {
            let status = if i.shutdown { "disabled" } else { "connected" };
            let vlan = if i.address.is_some() { "routed" } else { "1" };
            let name = short_interface(self.platform, i.name);
            let description: String = i.description.unwrap_or("").chars().take(11).collect();
            let _ = writeln!(
                s,
                "{name:<11}{description:<12}{status:<13}{vlan:<9}full   1G     EbraTestPhyPort"
            );
        }
        s
    }

    /// ASA `show interface ip brief`.
    pub fn asa_ip_brief(&self) -> String {
        let mut s = format!(
            "{:<27}{:<16}{:<4}{:<7}{:<22}{}\n",
            "Interface", "IP-Address", "OK?", "Method", "Status", "Protocol"
        );
        for i in self.cfg.interfaces() {
            let (method, status, protocol) = match (i.address.is_some(), i.shutdown) {
                (_, true) => ("unset", "administratively down", "down"),
                (true, false) => ("CONFIG", "up", "up"),
                (false, false) => ("unset", "up", "up"),
            };
            let _ = writeln!(
                s,
                "{:<27}{:<16}YES {method:<7}{status:<22}{protocol}",
                i.name,
                address_or_unassigned(&i)
            );
        }
        s
    }

    /// The running (or saved) config in the platform's layout.
    pub fn config(&self, title: &str) -> String {
        let host = &self.cfg.hostname;
        let mut s = String::new();
        match self.platform {
            Platform::CiscoNxos => {
                let _ = write!(
                    s,
                    "\n!Command: show {title}\n!Running configuration last done at: {}\n!Time: {}\n\n\
                     version 9.3(8) Bios:version  \nhostname {host}\n",
                    timestamp(&self.id, 0),
                    timestamp(&self.id, self.ticks)
                );
                render_sections(self.cfg, "  ", Separator::BlankBefore, &mut s);
                s.push_str("line console\nline vty\nboot nxos bootflash:/nxos.9.3.8.bin \n");
            }
            Platform::CiscoXr => {
                let _ = write!(
                    s,
                    "Building configuration...\n!! IOS XR Configuration 7.3.2\n\
                     !! Last configuration change at {} by cisco\n!\nhostname {host}\n",
                    timestamp(&self.id, 0)
                );
                render_sections(self.cfg, " ", Separator::After("!"), &mut s);
                s.push_str("end\n");
            }
            Platform::AristaEos => {
                let _ = write!(
                    s,
                    "! Command: show {title}\n! device: {host} (vEOS-lab, EOS-4.27.0F)\n!\n\
                     ! boot system flash:/vEOS-lab.swi\n!\nno aaa root\n!\nhostname {host}\n"
                );
                render_sections(self.cfg, "   ", Separator::After("!"), &mut s);
                s.push_str("end\n");
            }
            _ => {
                let _ = write!(
                    s,
                    ": Saved\n\n: \n: Serial Number: {}\n: Hardware:   ASAv, 2048 MB RAM, CPU Xeon E5 series 2600 MHz\n:\n\
                     ASA Version 9.16(2) \n!\nhostname {host}\nenable password ***** pbkdf2\n",
                    self.id.serial()
                );
                render_sections(self.cfg, " ", Separator::After("!"), &mut s);
                s.push_str(": end\n");
            }
        }
        s
    }
}

fn address_or_unassigned(i: &IfView<'_>) -> String {
    i.address
        .map_or_else(|| "unassigned".to_string(), |(a, _)| a.to_string())
}

/// EOS prints MACs dotted like IOS.
fn eos_mac(id: &Ident) -> String {
    let m = id.mix(0xE05);
    format!("5000.00{:02x}.{:04x}", (m >> 16) & 0xff, m & 0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xr_show_stamp_looks_like_the_real_one() {
        let ts = xr_show_stamp(&Ident { index: 0, seed: 1 }, 0);
        let re =
            regex::Regex::new(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d{3} UTC$")
                .unwrap();
        assert!(re.is_match(&ts), "{ts}");
    }

    #[test]
    fn tables_differ_per_device() {
        let a = VConfig::initial(
            Platform::CiscoNxos,
            "N1",
            "cisco",
            &Ident { index: 0, seed: 1 },
        );
        let b = VConfig::initial(
            Platform::CiscoNxos,
            "N2",
            "cisco",
            &Ident { index: 1, seed: 1 },
        );
        let view = |cfg, index| VView {
            platform: Platform::CiscoNxos,
            id: Ident { index, seed: 1 },
            cfg,
            ticks: 0,
        };
        assert_ne!(view(&a, 0).nxos_ip_brief(), view(&b, 1).nxos_ip_brief());
        assert_ne!(view(&a, 0).version(), view(&b, 1).version());
        assert!(view(&a, 0).version().contains("Device name: N1"));
    }
}
