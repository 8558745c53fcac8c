//! Latency profiles: how long a simulated device takes to greet, to log a user in, to think about a
//! command and to print its output, with seeded jitter so that runs are reproducible.
//!
//! The numbers are estimates, documented with their sources in testbed/README.md.

use std::time::Duration;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

/// A named latency profile (`--profile`, `profile:` in a lab file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileName {
    /// No delays at all.
    #[default]
    Instant,
    /// A physical router on the local network.
    Lan,
    /// A Cisco IOSv virtual router in CML/GNS3/EVE-NG: slow banner and login, slow commands.
    Iosv,
    /// `lan` behind a 40 ms round trip.
    Wan,
}

impl ProfileName {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileName::Instant => "instant",
            ProfileName::Lan => "lan",
            ProfileName::Iosv => "iosv",
            ProfileName::Wan => "wan",
        }
    }

    /// The delays this profile stands for.
    pub fn delays(self) -> Delays {
        match self {
            ProfileName::Instant => Delays::NONE,
            ProfileName::Lan => LAN,
            ProfileName::Iosv => IOSV,
            ProfileName::Wan => LAN.plus_round_trip(WAN_ROUND_TRIP),
        }
    }
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const LAN: Delays = Delays {
    connect: ms(5),
    auth: ms(10),
    command_min: ms(3),
    command_max: ms(8),
    per_kib: Duration::from_micros(100),
};

const IOSV: Delays = Delays {
    connect: ms(300),
    auth: ms(150),
    command_min: ms(50),
    command_max: ms(250),
    per_kib: ms(2),
};

const WAN_ROUND_TRIP: Duration = ms(40);

/// Relative jitter applied to every fixed delay: each is drawn from `[d·(1-J), d·(1+J)]`.
const JITTER: f64 = 0.2;

/// How many times slower the `slow` fault makes a device.
pub const SLOW_FACTOR: u32 = 10;

/// The delays of one profile (before jitter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delays {
    /// Before the SSH identification string or the Telnet greeting.
    pub connect: Duration,
    /// Before answering an authentication attempt.
    pub auth: Duration,
    /// Per accepted command line (`Out::Think`): drawn uniformly from `command_min..=command_max`.
    pub command_min: Duration,
    pub command_max: Duration,
    /// Per KiB of command output.
    pub per_kib: Duration,
}

impl Delays {
    pub const NONE: Delays = Delays {
        connect: Duration::ZERO,
        auth: Duration::ZERO,
        command_min: Duration::ZERO,
        command_max: Duration::ZERO,
        per_kib: Duration::ZERO,
    };

    /// Every exchange (greeting, authentication, command) costs one more round trip.
    const fn plus_round_trip(self, rtt: Duration) -> Delays {
        Delays {
            connect: self.connect.saturating_add(rtt),
            auth: self.auth.saturating_add(rtt),
            command_min: self.command_min.saturating_add(rtt),
            command_max: self.command_max.saturating_add(rtt),
            per_kib: self.per_kib,
        }
    }

    /// The `slow` fault: ten times the profile's delays; `instant` has none, so a slow device on
    /// `instant` is ten times `lan` (otherwise the fault would be invisible).
    pub fn slowed(self) -> Delays {
        let base = if self == Delays::NONE { LAN } else { self };
        Delays {
            connect: base.connect * SLOW_FACTOR,
            auth: base.auth * SLOW_FACTOR,
            command_min: base.command_min * SLOW_FACTOR,
            command_max: base.command_max * SLOW_FACTOR,
            per_kib: base.per_kib * SLOW_FACTOR,
        }
    }

    pub fn is_none(&self) -> bool {
        *self == Delays::NONE
    }
}

/// The delays one session pays, drawn from a generator seeded by (lab seed, device, session
/// number), so that the same lab run twice with the same seed waits the same way.
#[derive(Debug)]
pub struct Pacer {
    delays: Delays,
    rng: ChaCha8Rng,
}

impl Pacer {
    pub fn new(delays: Delays, lab_seed: u64, device_index: usize, session: u64) -> Pacer {
        let seed = mix(mix(lab_seed, device_index as u64), session);
        Pacer {
            delays,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    pub fn connect(&mut self) -> Duration {
        self.jittered(self.delays.connect)
    }

    pub fn auth(&mut self) -> Duration {
        self.jittered(self.delays.auth)
    }

    pub fn command(&mut self) -> Duration {
        let (lo, hi) = (self.delays.command_min, self.delays.command_max);
        if hi <= lo {
            return self.jittered(lo);
        }
        self.rng.random_range(lo..=hi)
    }

    /// The time `bytes` of output take to come out (no jitter: pacing is a rate).
    pub fn output(&self, bytes: usize) -> Duration {
        self.delays.per_kib.mul_f64(bytes as f64 / 1024.0)
    }

    /// A pacer for a sub-stream (an SSH channel) drawn from this one, so it is seeded too.
    pub fn fork(&mut self) -> Pacer {
        Pacer {
            delays: self.delays,
            rng: ChaCha8Rng::seed_from_u64(self.rng.next_u64()),
        }
    }

    pub fn delays(&self) -> &Delays {
        &self.delays
    }

    fn jittered(&mut self, d: Duration) -> Duration {
        if d.is_zero() {
            return d;
        }
        d.mul_f64(self.rng.random_range(1.0 - JITTER..=1.0 + JITTER))
    }
}

/// SplitMix64-style mixing, so that neighbouring devices and sessions get unrelated streams.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_delays() {
        let draw = |session| {
            let mut p = Pacer::new(ProfileName::Iosv.delays(), 7, 3, session);
            (p.connect(), p.auth(), p.command(), p.command())
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
    }

    #[test]
    fn delays_stay_within_the_profile() {
        let d = ProfileName::Iosv.delays();
        let mut p = Pacer::new(d, 1, 0, 0);
        for _ in 0..1000 {
            let c = p.command();
            assert!(c >= d.command_min && c <= d.command_max, "{c:?}");
            let b = p.connect();
            assert!(
                b >= d.connect.mul_f64(0.8) && b <= d.connect.mul_f64(1.2),
                "{b:?}"
            );
        }
    }

    #[test]
    fn instant_waits_nothing() {
        let mut p = Pacer::new(ProfileName::Instant.delays(), 1, 0, 0);
        assert_eq!(p.connect(), Duration::ZERO);
        assert_eq!(p.command(), Duration::ZERO);
        assert_eq!(p.output(10 << 20), Duration::ZERO);
    }

    #[test]
    fn wan_adds_a_round_trip_per_exchange() {
        let (lan, wan) = (ProfileName::Lan.delays(), ProfileName::Wan.delays());
        assert_eq!(wan.auth, lan.auth + WAN_ROUND_TRIP);
        assert_eq!(wan.command_min, lan.command_min + WAN_ROUND_TRIP);
    }

    #[test]
    fn slow_is_ten_times_and_visible_on_instant() {
        assert_eq!(ProfileName::Iosv.delays().slowed().auth, ms(1500));
        assert_eq!(ProfileName::Instant.delays().slowed().auth, ms(100));
    }

    #[test]
    fn output_pacing_is_per_kib() {
        let p = Pacer::new(ProfileName::Iosv.delays(), 0, 0, 0);
        assert_eq!(p.output(1024), ms(2));
        assert_eq!(p.output(512 * 1024), ms(1024));
    }
}
