//! Per-device generated facts (addresses, MACs, serial number, uptime, clock), derived on demand
//! from the device's index and seed so an idle device stores none of them.

use std::net::Ipv4Addr;

use super::ifname::IfName;

/// The inputs every generated value is derived from.
#[derive(Debug, Clone, Copy)]
pub struct Ident {
    pub index: usize,
    pub seed: u64,
}

/// 2024-01-01T00:00:00Z: generated clocks fall within the year after it.
const CLOCK_EPOCH: u64 = 1_704_067_200;

impl Ident {
    /// A well-mixed value for key `k` (splitmix64 of seed, index and key).
    pub fn mix(&self, k: u64) -> u64 {
        let mut z = self.seed
            ^ (self.index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ k.wrapping_mul(0xD1B5_4A32_D192_ED03);
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn octets(&self) -> (u8, u8) {
        (((self.index / 250) % 256) as u8, (self.index % 250) as u8)
    }

    /// GigabitEthernet0/0: `10.<i/250>.<i%250>.1/24`.
    pub fn uplink(&self) -> Ipv4Addr {
        let (a, b) = self.octets();
        Ipv4Addr::new(10, a, b, 1)
    }

    /// GigabitEthernet0/1: `172.<16+(i/250)%16>.<i%250>.1/24`.
    pub fn lan(&self) -> Ipv4Addr {
        let (a, b) = self.octets();
        Ipv4Addr::new(172, 16 + a % 16, b, 1)
    }

    /// Loopback0 (also the OSPF router id): `10.255.<i/250>.<i%250+1>/32`.
    pub fn loopback(&self) -> Ipv4Addr {
        let (a, b) = self.octets();
        Ipv4Addr::new(10, 255, a, b + 1)
    }

    /// The syslog server of the initial config.
    pub fn syslog(&self) -> Ipv4Addr {
        let (a, b) = self.octets();
        Ipv4Addr::new(10, a, b, 254)
    }

    /// A MAC address in the KVM range IOSv uses, in IOS's dotted form.
    pub fn mac(&self, name: &IfName) -> String {
        let m = self.mix(0x3AC0 + u64::from(name.port) + ((name.kind as u64) << 8));
        format!(
            "5254.00{:02x}.{:04x}",
            (m >> 16) & 0xff,
            (m & 0xffff) as u16 & 0xfffe
        )
    }

    /// A neighbour's MAC (for `show arp`).
    pub fn neighbour_mac(&self, n: u64) -> String {
        let m = self.mix(0xA4B0 + n);
        format!("5254.00{:02x}.{:04x}", (m >> 16) & 0xff, m & 0xffff)
    }

    /// `Processor board ID`: 9 then 10 upper-case letters and digits.
    pub fn serial(&self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
        let mut m = self.mix(0x5E41);
        let mut serial = String::from("9");
        for _ in 0..10 {
            serial.push(ALPHABET[(m % ALPHABET.len() as u64) as usize] as char);
            m /= ALPHABET.len() as u64;
        }
        serial
    }

    /// `R1 uptime is 1 week, 2 days, 3 hours, 4 minutes` (the part after `is`).
    pub fn uptime(&self) -> String {
        let minutes = 5 + self.mix(0x0917) % (20 * 7 * 24 * 60);
        let parts = [
            (minutes / (7 * 24 * 60), "week"),
            (minutes / (24 * 60) % 7, "day"),
            (minutes / 60 % 24, "hour"),
            (minutes % 60, "minute"),
        ];
        let words: Vec<String> = parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, unit)| format!("{n} {unit}{}", if *n == 1 { "" } else { "s" }))
            .collect();
        words.join(", ")
    }

    /// `show clock`: a fixed per-device start time advanced by `ticks` (one per command run).
    pub fn clock(&self, ticks: u32) -> String {
        let start = self.mix(0xC10C);
        let millis = start % 1000 + u64::from(ticks) * 1337;
        let secs = CLOCK_EPOCH + (start / 1000) % (365 * 86_400) + millis / 1000;
        format!("*{}", civil_time(secs, millis % 1000))
    }

    /// A pseudo hash for `secret 5` lines: stable for a given text, never the text itself.
    pub fn md5_crypt_like(&self, text: &str) -> String {
        const ALPHABET: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut h = text.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
        });
        let mut out = String::from("$1$");
        for i in 0..26 {
            if i == 4 {
                out.push('$');
                h = self.mix(h);
            }
            out.push(ALPHABET[(h % 64) as usize] as char);
            h = h.rotate_right(6) ^ (i as u64).wrapping_mul(0x9E37_79B9);
        }
        out
    }
}

/// `HH:MM:SS.mmm UTC Www Mmm D YYYY` for a Unix time (days-to-civil after Howard Hinnant).
fn civil_time(secs: u64, millis: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{:02}:{:02}:{:02}.{:03} UTC {} {} {} {}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        millis,
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time_matches_known_dates() {
        assert_eq!(civil_time(0, 0), "00:00:00.000 UTC Thu Jan 1 1970");
        assert_eq!(
            civil_time(1_709_560_496, 7),
            "13:54:56.007 UTC Mon Mar 4 2024"
        );
    }

    #[test]
    fn values_are_deterministic_and_per_device() {
        let a = Ident { index: 0, seed: 1 };
        let b = Ident {
            index: 251,
            seed: 1,
        };
        assert_eq!(a.uplink().to_string(), "10.0.0.1");
        assert_eq!(b.uplink().to_string(), "10.1.1.1");
        assert_eq!(a.serial(), Ident { index: 0, seed: 1 }.serial());
        assert_ne!(a.serial(), b.serial());
        assert_eq!(a.serial().len(), 11);
        assert!(!a.md5_crypt_like("cisco").contains("cisco"));
        assert_ne!(a.clock(0), a.clock(1));
    }
}
