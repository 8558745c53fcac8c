//! Faults: parsing `KIND[=VALUE]:SELECTOR` (`--fault`, lab files), resolving selectors to devices
//! (a fraction is picked by seed) and the per-device set of faults the servers and the CLI apply.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::device::{CliFaults, FloodLength};
use crate::profile::mix;

/// What goes wrong on a device, by name. New kinds go at the end: a kind's position seeds the
/// devices a fraction picks, so appending keeps every existing `KIND:10%` on the same devices.
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
    /// Closes the connection right after the Nth config-mode line, before its prompt.
    DropConfig,
    /// Accepts the TCP connection and resets it at once.
    Reset,
    /// After login, streams bytes without a line end or a prompt.
    Flood,
    /// Echoes what is typed at `Password:` prompts.
    EchoPassword,
    /// Resets its first N accepted connections (default 1), then serves: a device coming up.
    RefuseFirst,
}

impl FaultKind {
    pub const ALL: [FaultKind; 12] = [
        FaultKind::AuthFail,
        FaultKind::Refuse,
        FaultKind::Stall,
        FaultKind::Drop,
        FaultKind::Slow,
        FaultKind::Garbage,
        FaultKind::Huge,
        FaultKind::DropConfig,
        FaultKind::Reset,
        FaultKind::Flood,
        FaultKind::EchoPassword,
        FaultKind::RefuseFirst,
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
            FaultKind::DropConfig => "drop-config",
            FaultKind::Reset => "reset",
            FaultKind::Flood => "flood",
            FaultKind::EchoPassword => "echo-password",
            FaultKind::RefuseFirst => "refuse-first",
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

/// A fault with its value, as written before the selector (`stall`, `drop-config=3`,
/// `flood=600M`) and in a lab file's group `faults:`; each variant means what its
/// [`FaultKind`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    AuthFail,
    Refuse,
    Stall,
    Drop,
    Slow,
    Garbage,
    Huge,
    /// Close after the session's `after_line`-th (1-based) non-blank config-mode line.
    DropConfig {
        after_line: u32,
    },
    Reset,
    Flood(FloodLength),
    EchoPassword,
    /// Reset the first `connections` accepted connections (SSH and Telnet counted together).
    RefuseFirst {
        connections: u32,
    },
}

impl Fault {
    pub fn kind(self) -> FaultKind {
        match self {
            Fault::AuthFail => FaultKind::AuthFail,
            Fault::Refuse => FaultKind::Refuse,
            Fault::Stall => FaultKind::Stall,
            Fault::Drop => FaultKind::Drop,
            Fault::Slow => FaultKind::Slow,
            Fault::Garbage => FaultKind::Garbage,
            Fault::Huge => FaultKind::Huge,
            Fault::DropConfig { .. } => FaultKind::DropConfig,
            Fault::Reset => FaultKind::Reset,
            Fault::Flood(_) => FaultKind::Flood,
            Fault::EchoPassword => FaultKind::EchoPassword,
            Fault::RefuseFirst { .. } => FaultKind::RefuseFirst,
        }
    }

    /// The fault `kind` with `value` (what follows `=`, if anything). `drop-config` defaults to
    /// line 1 and `flood` to no limit; kinds without a value refuse one.
    fn with_value(kind: FaultKind, value: Option<&str>) -> Result<Fault, FaultError> {
        let bad = |expected: &'static str| FaultError::Value {
            kind,
            value: value.unwrap_or_default().to_string(),
            expected,
        };
        Ok(match (kind, value) {
            (FaultKind::DropConfig, None) => Fault::DropConfig { after_line: 1 },
            (FaultKind::DropConfig, Some(v)) => Fault::DropConfig {
                after_line: v
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| bad(LINE_VALUE))?,
            },
            (FaultKind::RefuseFirst, None) => Fault::RefuseFirst { connections: 1 },
            (FaultKind::RefuseFirst, Some(v)) => Fault::RefuseFirst {
                connections: v
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| bad(COUNT_VALUE))?,
            },
            (FaultKind::Flood, None) => Fault::Flood(FloodLength::UntilClosed),
            (FaultKind::Flood, Some(v)) => Fault::Flood(FloodLength::Bytes(
                parse_size(v).ok_or_else(|| bad(SIZE_VALUE))?,
            )),
            (_, Some(_)) => return Err(bad(NO_VALUE)),
            (FaultKind::AuthFail, None) => Fault::AuthFail,
            (FaultKind::Refuse, None) => Fault::Refuse,
            (FaultKind::Stall, None) => Fault::Stall,
            (FaultKind::Drop, None) => Fault::Drop,
            (FaultKind::Slow, None) => Fault::Slow,
            (FaultKind::Garbage, None) => Fault::Garbage,
            (FaultKind::Huge, None) => Fault::Huge,
            (FaultKind::Reset, None) => Fault::Reset,
            (FaultKind::EchoPassword, None) => Fault::EchoPassword,
        })
    }
}

const LINE_VALUE: &str = "a config line number from 1, e.g. drop-config=3";
const SIZE_VALUE: &str =
    "a byte count from 1 with an optional K, M or G (powers of 1024), e.g. flood=600M";
const NO_VALUE: &str = "no value";
const COUNT_VALUE: &str = "a connection count from 1, e.g. refuse-first=2";

/// Size suffixes the flood fault's value takes, as powers of two.
const SIZE_UNITS: [(&str, u32); 7] = [
    ("KiB", 10),
    ("MiB", 20),
    ("GiB", 30),
    ("K", 10),
    ("k", 10),
    ("M", 20),
    ("G", 30),
];

/// `600M` → 600 × 2^20: digits, then optionally `K`, `M` or `G` (or `KiB`, `MiB`, `GiB`).
fn parse_size(text: &str) -> Option<u64> {
    let (digits, shift) = SIZE_UNITS
        .iter()
        .find_map(|&(unit, shift)| text.strip_suffix(unit).map(|d| (d, shift)))
        .unwrap_or((text, 0));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    n.checked_mul(1 << shift).filter(|&bytes| bytes >= 1)
}

impl FromStr for Fault {
    type Err = FaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, value) = match s.split_once('=') {
            Some((kind, value)) => (kind, Some(value.trim())),
            None => (s, None),
        };
        Fault::with_value(kind.trim().parse()?, value)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().as_str())?;
        match self {
            Fault::DropConfig { after_line } => write!(f, "={after_line}"),
            Fault::Flood(FloodLength::Bytes(bytes)) => write!(f, "={bytes}"),
            Fault::RefuseFirst { connections } => write!(f, "={connections}"),
            _ => Ok(()),
        }
    }
}

/// Why a fault specification is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error("expected KIND[=VALUE]:SELECTOR (e.g. stall:R3,R7, drop:10% or drop-config=3:R2), got `{0}`")]
    Shape(String),
    #[error(
        "unknown fault kind `{0}` (expected one of auth-fail, refuse, stall, drop, slow, \
         garbage, huge, drop-config, reset, flood, echo-password, refuse-first)"
    )]
    UnknownKind(String),
    #[error("fault `{kind}` takes {expected}, got `{value}`")]
    Value {
        kind: FaultKind,
        value: String,
        expected: &'static str,
    },
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

/// One `KIND[=VALUE]:SELECTOR`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    pub fault: Fault,
    pub selector: Selector,
    /// As written, for error messages.
    pub text: String,
}

impl FromStr for FaultSpec {
    type Err = FaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (fault, selector) = s
            .split_once(':')
            .ok_or_else(|| FaultError::Shape(s.to_string()))?;
        Ok(FaultSpec {
            fault: fault.trim().parse()?,
            selector: selector.trim().parse()?,
            text: s.to_string(),
        })
    }
}

impl FaultSpec {
    /// The devices this fault hits; a fraction is drawn from the lab seed and the fault kind
    /// (not its value), so `stall:10%` and `drop:10%` pick different devices, the same ones on
    /// every run.
    pub fn devices(&self, devices: usize, lab_seed: u64) -> Result<BTreeSet<usize>, FaultError> {
        let salt = self.fault.kind() as u64 + 1;
        self.selector.resolve(devices, mix(lab_seed, salt))
    }
}

/// Lab files write faults as text (`stall`, `flood=1M`, `drop:10%`); they parse like the flag.
fn deserialize_parsed<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromStr<Err = FaultError>,
{
    let text = <String as serde::Deserialize>::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}

impl<'de> serde::Deserialize<'de> for Fault {
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
    /// Accepted connections are reset (the server layer plays it on both transports).
    pub reset: bool,
    /// So many first accepted connections are reset (`refuse-first`), 0: none.
    pub refuse_first: u32,
    /// The faults the device's CLI plays itself.
    pub cli: CliFaults,
}

impl DeviceFaults {
    /// Give the device `fault`; a kind set twice keeps the later value.
    pub fn set(&mut self, fault: Fault) {
        match fault {
            Fault::AuthFail => self.auth_fail = true,
            Fault::Refuse => self.refuse = true,
            Fault::Slow => self.slow = true,
            Fault::Reset => self.reset = true,
            Fault::RefuseFirst { connections } => self.refuse_first = connections,
            Fault::Stall => self.cli.stall = true,
            Fault::Drop => self.cli.drop = true,
            Fault::DropConfig { after_line } => self.cli.drop_config = Some(after_line),
            Fault::Garbage => self.cli.garbage = true,
            Fault::Huge => self.cli.huge = true,
            Fault::Flood(length) => self.cli.flood = Some(length),
            Fault::EchoPassword => self.cli.echo_password = true,
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
            FaultKind::DropConfig => self.cli.drop_config.is_some(),
            FaultKind::Reset => self.reset,
            FaultKind::Flood => self.cli.flood.is_some(),
            FaultKind::EchoPassword => self.cli.echo_password,
            FaultKind::RefuseFirst => self.refuse_first > 0,
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
        assert_eq!(spec.fault, Fault::Stall);
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
        f.set(Fault::Huge);
        f.set(Fault::Refuse);
        assert!(f.cli.huge && f.refuse && !f.cli.stall);
        assert_eq!(f.kinds(), vec![FaultKind::Refuse, FaultKind::Huge]);
    }

    #[test]
    fn device_faults_carry_values() {
        let mut f = DeviceFaults::default();
        f.set(Fault::DropConfig { after_line: 3 });
        f.set(Fault::Flood(FloodLength::Bytes(10)));
        f.set(Fault::Reset);
        f.set(Fault::EchoPassword);
        assert_eq!(f.cli.drop_config, Some(3));
        assert_eq!(f.cli.flood, Some(FloodLength::Bytes(10)));
        assert!(f.reset && f.cli.echo_password && !f.cli.drop);
        assert_eq!(
            f.kinds(),
            vec![
                FaultKind::DropConfig,
                FaultKind::Reset,
                FaultKind::Flood,
                FaultKind::EchoPassword
            ]
        );
        f.set(Fault::DropConfig { after_line: 5 });
        assert_eq!(f.cli.drop_config, Some(5), "the later value wins");
    }

    #[test]
    fn values_follow_the_kind() {
        let spec: FaultSpec = "drop-config=3:R2".parse().unwrap();
        assert_eq!(spec.fault, Fault::DropConfig { after_line: 3 });
        assert_eq!(spec.devices(4, 0).unwrap(), set(&[1]));
        let parse = |s: &str| s.parse::<Fault>();
        assert_eq!(
            parse("drop-config"),
            Ok(Fault::DropConfig { after_line: 1 })
        );
        assert_eq!(parse("drop"), Ok(Fault::Drop), "drop keeps its meaning");
        assert_eq!(parse("flood"), Ok(Fault::Flood(FloodLength::UntilClosed)));
        for (text, bytes) in [
            ("flood=4096", 4096),
            ("flood=64K", 64 << 10),
            ("flood=600M", 600 << 20),
            ("flood=600MiB", 600 << 20),
            ("flood=2G", 2 << 30),
        ] {
            assert_eq!(
                parse(text),
                Ok(Fault::Flood(FloodLength::Bytes(bytes))),
                "{text}"
            );
        }
        assert_eq!(parse("reset"), Ok(Fault::Reset));
        assert_eq!(parse("echo-password"), Ok(Fault::EchoPassword));
        assert_eq!(
            parse("refuse-first"),
            Ok(Fault::RefuseFirst { connections: 1 })
        );
        assert_eq!(
            parse("refuse-first=3"),
            Ok(Fault::RefuseFirst { connections: 3 })
        );
        assert!(parse("refuse-first=0").is_err());
        for fault in [
            Fault::RefuseFirst { connections: 2 },
            Fault::DropConfig { after_line: 7 },
            Fault::Flood(FloodLength::Bytes(123)),
            Fault::Flood(FloodLength::UntilClosed),
            Fault::Stall,
        ] {
            assert_eq!(parse(&fault.to_string()), Ok(fault));
        }
    }

    #[test]
    fn bad_values_name_the_kind_and_what_it_takes() {
        for bad in [
            "drop-config=0",
            "drop-config=x",
            "drop-config=",
            "flood=0",
            "flood=M",
            "flood=12Q",
            "flood=-5",
            "flood=99999999999G",
            "stall=3",
            "reset=1",
        ] {
            assert!(
                matches!(bad.parse::<Fault>(), Err(FaultError::Value { .. })),
                "{bad}"
            );
        }
        let err = "drop-config=zero:R1".parse::<FaultSpec>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "fault `drop-config` takes a config line number from 1, e.g. drop-config=3, got `zero`"
        );
        let err = "echo-password=yes:R1".parse::<FaultSpec>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "fault `echo-password` takes no value, got `yes`"
        );
    }

    #[test]
    fn the_original_kinds_keep_their_seed_salts() {
        // A kind's position salts its fraction picks; the kinds from before drop-config keep
        // theirs, so `drop:10%` still picks the devices it picked before.
        let original = [
            FaultKind::AuthFail,
            FaultKind::Refuse,
            FaultKind::Stall,
            FaultKind::Drop,
            FaultKind::Slow,
            FaultKind::Garbage,
            FaultKind::Huge,
        ];
        for (position, kind) in original.into_iter().enumerate() {
            assert_eq!(kind as usize, position, "{kind}");
        }
    }
}
