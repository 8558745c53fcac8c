//! Faults: parsing `KIND:SELECTOR` (`--fault`, lab files), resolving selectors to devices (a
//! fraction is picked by seed) and the per-device set of faults the servers and the CLI apply.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::device::CliFaults;
use crate::profile::mix;

/// What goes wrong on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// Every login is rejected.
    AuthFail,
    /// The device's ports are not listened on: connections are refused.
    Refuse,
    /// Logs in, then never shows a prompt.
    Stall,
    /// Closes the connection in the middle of command output.
    Drop,
    /// Ten times the profile's delays.
    Slow,
    /// Non-UTF-8 bytes inside command output.
    Garbage,
    /// `show tech-support` prints about 10 MB.
    Huge,
}

impl FaultKind {
    pub const ALL: [FaultKind; 7] = [
        FaultKind::AuthFail,
        FaultKind::Refuse,
        FaultKind::Stall,
        FaultKind::Drop,
        FaultKind::Slow,
        FaultKind::Garbage,
        FaultKind::Huge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::AuthFail => "auth-fail",
            FaultKind::Refuse => "refuse",
            FaultKind::Stall => "stall",
            FaultKind::Drop => "drop",
            FaultKind::Slow => "slow",
            FaultKind::Garbage => "garbage",
            FaultKind::Huge => "huge",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FaultKind {
    type Err = FaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| FaultError::UnknownKind(s.to_string()))
    }
}

/// Why a fault specification is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error("expected KIND:SELECTOR (e.g. stall:R3,R7 or drop:10%), got `{0}`")]
    Shape(String),
    #[error("unknown fault kind `{0}` (expected one of auth-fail, refuse, stall, drop, slow, garbage, huge)")]
    UnknownKind(String),
    #[error("bad device selector `{0}` (expected a list R3,R7, a range R1-R10 or a fraction 10%)")]
    Selector(String),
    #[error("device R{index} is outside the lab (R1..R{devices})")]
    OutOfRange { index: usize, devices: usize },
}

/// Which devices a fault applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    /// Device numbers as written (1-based), from lists and ranges: `R3,R7`, `R1-R10`, `R1-R3,R9`.
    Devices(Vec<usize>),
    /// A percentage of the lab, picked by seed.
    Fraction(f64),
}

impl FromStr for Selector {
    type Err = FaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || FaultError::Selector(s.to_string());
        if let Some(percent) = s.strip_suffix('%') {
            let p: f64 = percent.trim().parse().map_err(|_| bad())?;
            if !(0.0..=100.0).contains(&p) {
                return Err(bad());
            }
            return Ok(Selector::Fraction(p));
        }
        let mut devices = Vec::new();
        for part in s.split(',').map(str::trim) {
            match part.split_once('-') {
                Some((from, to)) => {
                    let (from, to) = (
                        device_number(from).ok_or_else(bad)?,
                        device_number(to).ok_or_else(bad)?,
                    );
                    if from > to {
                        return Err(bad());
                    }
                    devices.extend(from..=to);
                }
                None => devices.push(device_number(part).ok_or_else(bad)?),
            }
        }
        Ok(Selector::Devices(devices))
    }
}

/// `R12` (or `r12`) → 12; device numbers start at 1.
fn device_number(s: &str) -> Option<usize> {
    let digits = s.trim().strip_prefix(['R', 'r'])?;
    digits.parse().ok().filter(|&n| n >= 1)
}

impl Selector {
    /// The 0-based indices of the selected devices in a lab of `devices`.
    pub fn resolve(&self, devices: usize, seed: u64) -> Result<BTreeSet<usize>, FaultError> {
        match self {
            Selector::Devices(numbers) => numbers
                .iter()
                .map(|&n| {
                    if n <= devices {
                        Ok(n - 1)
                    } else {
                        Err(FaultError::OutOfRange { index: n, devices })
                    }
                })
                .collect(),
            Selector::Fraction(percent) => {
                let count = ((devices as f64) * percent / 100.0).round() as usize;
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                Ok(
                    rand::seq::index::sample(&mut rng, devices, count.min(devices))
                        .into_iter()
                        .collect(),
                )
            }
        }
    }
}

/// One `KIND:SELECTOR`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    pub kind: FaultKind,
    pub selector: Selector,
    /// As written, for error messages.
    pub text: String,
}

impl FromStr for FaultSpec {
    type Err = FaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, selector) = s
            .split_once(':')
            .ok_or_else(|| FaultError::Shape(s.to_string()))?;
        Ok(FaultSpec {
            kind: kind.trim().parse()?,
            selector: selector.trim().parse()?,
            text: s.to_string(),
        })
    }
}

impl FaultSpec {
    /// The devices this fault hits; a fraction is drawn from the lab seed and the fault kind, so
    /// `stall:10%` and `drop:10%` pick different devices, the same ones on every run.
    pub fn devices(&self, devices: usize, lab_seed: u64) -> Result<BTreeSet<usize>, FaultError> {
        let salt = self.kind as u64 + 1;
        self.selector.resolve(devices, mix(lab_seed, salt))
    }
}

/// Lab files write faults as text (`stall`, `drop:10%`); they parse like the flag.
fn deserialize_parsed<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromStr<Err = FaultError>,
{
    let text = <String as serde::Deserialize>::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}

impl<'de> serde::Deserialize<'de> for FaultKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_parsed(deserializer)
    }
}

impl<'de> serde::Deserialize<'de> for FaultSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_parsed(deserializer)
    }
}

/// All the faults of one device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceFaults {
    pub auth_fail: bool,
    pub refuse: bool,
    pub slow: bool,
    /// The faults the device's CLI plays itself.
    pub cli: CliFaults,
}

impl DeviceFaults {
    pub fn set(&mut self, kind: FaultKind) {
        match kind {
            FaultKind::AuthFail => self.auth_fail = true,
            FaultKind::Refuse => self.refuse = true,
            FaultKind::Slow => self.slow = true,
            FaultKind::Stall => self.cli.stall = true,
            FaultKind::Drop => self.cli.drop = true,
            FaultKind::Garbage => self.cli.garbage = true,
            FaultKind::Huge => self.cli.huge = true,
        }
    }

    pub fn kinds(&self) -> Vec<FaultKind> {
        FaultKind::ALL
            .into_iter()
            .filter(|k| self.has(*k))
            .collect()
    }

    pub fn has(&self, kind: FaultKind) -> bool {
        match kind {
            FaultKind::AuthFail => self.auth_fail,
            FaultKind::Refuse => self.refuse,
            FaultKind::Slow => self.slow,
            FaultKind::Stall => self.cli.stall,
            FaultKind::Drop => self.cli.drop,
            FaultKind::Garbage => self.cli.garbage,
            FaultKind::Huge => self.cli.huge,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[usize]) -> BTreeSet<usize> {
        v.iter().copied().collect()
    }

    #[test]
    fn parses_lists_ranges_and_mixes() {
        let spec: FaultSpec = "stall:R3,R7".parse().unwrap();
        assert_eq!(spec.kind, FaultKind::Stall);
        assert_eq!(spec.devices(10, 0).unwrap(), set(&[2, 6]));
        let spec: FaultSpec = "auth-fail:R1-R4,r9".parse().unwrap();
        assert_eq!(spec.devices(10, 0).unwrap(), set(&[0, 1, 2, 3, 8]));
    }

    #[test]
    fn every_kind_round_trips() {
        for kind in FaultKind::ALL {
            assert_eq!(kind.as_str().parse::<FaultKind>().unwrap(), kind);
        }
    }

    #[test]
    fn fraction_is_seeded_and_sized() {
        let spec: FaultSpec = "drop:10%".parse().unwrap();
        let a = spec.devices(200, 42).unwrap();
        assert_eq!(a.len(), 20);
        assert_eq!(a, spec.devices(200, 42).unwrap());
        assert_ne!(a, spec.devices(200, 43).unwrap());
        let other: FaultSpec = "stall:10%".parse().unwrap();
        assert_ne!(a, other.devices(200, 42).unwrap());
    }

    #[test]
    fn rejects_bad_specs() {
        assert_eq!(
            "melt:R1".parse::<FaultSpec>(),
            Err(FaultError::UnknownKind("melt".into()))
        );
        assert_eq!(
            "stall".parse::<FaultSpec>(),
            Err(FaultError::Shape("stall".into()))
        );
        for bad in [
            "stall:X3",
            "stall:R0",
            "stall:R5-R2",
            "stall:150%",
            "stall:",
        ] {
            assert!(
                matches!(bad.parse::<FaultSpec>(), Err(FaultError::Selector(_))),
                "{bad}"
            );
        }
        let spec: FaultSpec = "refuse:R11".parse().unwrap();
        assert_eq!(
            spec.devices(10, 0),
            Err(FaultError::OutOfRange {
                index: 11,
                devices: 10
            })
        );
    }

    #[test]
    fn device_faults_map_cli_kinds() {
        let mut f = DeviceFaults::default();
        f.set(FaultKind::Huge);
        f.set(FaultKind::Refuse);
        assert!(f.cli.huge && f.refuse && !f.cli.stall);
        assert_eq!(f.kinds(), vec![FaultKind::Refuse, FaultKind::Huge]);
    }
}
