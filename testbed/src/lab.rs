//! What a lab is (the spec, plain data): its devices (platform, profile, transports, legacy SSH,
//! faults), address and ports, the public keys its SSH servers accept, the credentials, and
//! where each device can be reached once it runs. Built from flags (`cli.rs`) or a lab file
//! (`labfile.rs`); served by `server.rs` (`Lab::start`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use russh::keys::ssh_key::public::KeyData;
use russh::keys::PublicKey;
use serde::Deserialize;

use crate::device::Platform;
use crate::fault::{DeviceFaults, FaultError, FaultSpec};
use crate::profile::ProfileName;

/// `--address`: one address for every device, or (IPv4) a range `A-B` or a CIDR `NET/LEN` giving
/// each device its own address: a CIDR's hosts exclude its network and broadcast addresses
/// (below /31), as on a real subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressSpec {
    One(IpAddr),
    /// Hosts `first..first+count` (as u32).
    Hosts {
        first: u32,
        count: u32,
    },
}

impl AddressSpec {
    /// The first `n` hosts of a range or CIDR (empty for one address); an error naming the
    /// count when it holds fewer.
    pub fn device_addresses(&self, n: usize) -> Result<Vec<IpAddr>, String> {
        match *self {
            AddressSpec::One(_) => Ok(Vec::new()),
            AddressSpec::Hosts { first, count } if n <= count as usize => Ok((0..n as u32)
                .map(|i| IpAddr::V4(Ipv4Addr::from(first + i)))
                .collect()),
            AddressSpec::Hosts { count, .. } => Err(format!(
                "{n} devices need {n} addresses, but --address holds {count}"
            )),
        }
    }

    /// How many devices the addresses hold (one address: any number, so `None`).
    pub fn capacity(&self) -> Option<usize> {
        match *self {
            AddressSpec::One(_) => None,
            AddressSpec::Hosts { count, .. } => Some(count as usize),
        }
    }

    /// The address the lab reports as its own: the one, or the first host.
    pub fn first(&self) -> IpAddr {
        match *self {
            AddressSpec::One(ip) => ip,
            AddressSpec::Hosts { first, .. } => IpAddr::V4(Ipv4Addr::from(first)),
        }
    }
}

impl std::str::FromStr for AddressSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v4 = |text: &str| {
            text.trim()
                .parse::<Ipv4Addr>()
                .map(u32::from)
                .map_err(|_| format!("`{text}` is not an IPv4 address (in `{s}`)"))
        };
        if let Some((first, last)) = s.split_once('-') {
            let (first, last) = (v4(first)?, v4(last)?);
            if last < first {
                return Err(format!("`{s}`: the range ends before it starts"));
            }
            return Ok(AddressSpec::Hosts {
                first,
                count: last - first + 1,
            });
        }
        if let Some((net, len)) = s.split_once('/') {
            let net = v4(net)?;
            let len: u32 = match len.parse() {
                Ok(len) if (8..=32).contains(&len) => len,
                _ => return Err(format!("`{s}`: the prefix length must be 8 to 32")),
            };
            let size = 1u64 << (32 - len);
            let mask = !((size - 1) as u32);
            if net & mask != net {
                return Err(format!(
                    "`{s}` has host bits set (the network is {}/{len})",
                    Ipv4Addr::from(net & mask)
                ));
            }
            // A /31 or /32 has no network or broadcast address to leave out (RFC 3021).
            let (first, count) = if size <= 2 {
                (net, size)
            } else {
                (net + 1, size - 2)
            };
            return Ok(AddressSpec::Hosts {
                first,
                count: count as u32,
            });
        }
        s.parse::<IpAddr>()
            .map(AddressSpec::One)
            .map_err(|_| format!("expected an address, a range A-B or a CIDR NET/LEN, got `{s}`"))
    }
}

/// Which servers a device runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Ssh,
    Telnet,
    Both,
}

impl Transport {
    pub fn ssh(self) -> bool {
        matches!(self, Transport::Ssh | Transport::Both)
    }

    pub fn telnet(self) -> bool {
        matches!(self, Transport::Telnet | Transport::Both)
    }
}

/// The first port of a range (device i gets `base + i`), or a free range found at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortChoice {
    Base(u16),
    Auto,
}

/// One device of a lab.
#[derive(Debug, Clone, PartialEq)]
pub struct DevicePlan {
    /// `R1` for the first device.
    pub name: String,
    pub profile: ProfileName,
    pub transport: Transport,
    /// Offer only what an old IOS box offers over SSH.
    pub legacy: bool,
    pub faults: DeviceFaults,
    /// Which vendor's CLI it plays.
    pub platform: Platform,
}

/// Everything needed to start a lab.
#[derive(Debug, Clone, PartialEq)]
pub struct LabConfig {
    /// The address every device listens on (device i on port `base + i`); with
    /// `device_addresses`, the first of those.
    pub address: IpAddr,
    /// One address per device (device i on `device_addresses[i]`, every device on the base port
    /// itself), or empty for the one-address-many-ports lab.
    pub device_addresses: Vec<IpAddr>,
    pub ssh_port: PortChoice,
    pub telnet_port: PortChoice,
    /// Seeds latency jitter, fault fractions and per-device data.
    pub seed: u64,
    /// Where these devices sit in a larger lab: device i plays device `first_index + i` (its
    /// addresses and data), so a container serving one router of three can be the third.
    pub first_index: usize,
    pub devices: Vec<DevicePlan>,
    /// Public keys every device's SSH server accepts (besides passwords).
    pub authorized_keys: AuthorizedKeys,
    /// Where to log every SSH authentication request (`--auth-log`).
    pub auth_log: Option<std::path::PathBuf>,
    /// Whether the SSH devices offer the `password` method; without it (`--no-password-auth`)
    /// a password gets in only through keyboard-interactive, as on devices whose AAA asks so.
    pub password_auth: bool,
}

impl LabConfig {
    /// `count` SSH devices on 127.0.0.1, free ports found automatically, seed 1.
    pub fn new(count: usize, profile: ProfileName) -> LabConfig {
        LabConfig {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            device_addresses: Vec::new(),
            ssh_port: PortChoice::Auto,
            telnet_port: PortChoice::Auto,
            seed: 1,
            first_index: 0,
            devices: (0..count)
                .map(|i| DevicePlan::new(i, profile, Transport::Ssh))
                .collect(),
            authorized_keys: AuthorizedKeys::default(),
            auth_log: None,
            password_auth: true,
        }
    }

    /// Apply `kind:selector` to the devices it selects.
    pub fn apply_fault(&mut self, spec: &FaultSpec) -> Result<(), FaultError> {
        for index in spec.devices(self.devices.len(), self.seed)? {
            self.devices[index].faults.set(spec.fault);
        }
        Ok(())
    }

    /// Where device `index` listens for a transport whose ports start at `base`: its own address
    /// on `base`, or the lab's address on `base + index`.
    pub fn socket_of(&self, index: usize, base: u16) -> SocketAddr {
        match self.device_addresses.get(index) {
            Some(&own) => SocketAddr::new(own, base),
            None => SocketAddr::new(self.address, base + index as u16),
        }
    }

    /// Listening sockets this lab opens (one per device and transport, none for refused devices).
    pub fn listener_count(&self) -> usize {
        self.devices
            .iter()
            .filter(|d| !d.faults.refuse)
            .map(|d| usize::from(d.transport.ssh()) + usize::from(d.transport.telnet()))
            .sum()
    }
}

impl DevicePlan {
    pub fn new(index: usize, profile: ProfileName, transport: Transport) -> DevicePlan {
        DevicePlan {
            name: format!("R{}", index + 1),
            profile,
            transport,
            legacy: false,
            faults: DeviceFaults::default(),
            platform: Platform::CiscoIos,
        }
    }
}

/// Public keys that may log in over SSH, as OpenSSH writes them (`ssh-ed25519 AAAA... comment`,
/// one a line, as in `id_ed25519.pub` or `authorized_keys`). Keys are compared without comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizedKeys(Vec<KeyData>);

/// Why a public-key file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizedKeyError {
    #[error("{path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}:{line}: not an OpenSSH public key (`TYPE BASE64 [COMMENT]`): {error}")]
    Parse {
        path: PathBuf,
        line: usize,
        error: russh::keys::ssh_key::Error,
    },
    #[error("{path}: no public key in the file")]
    Empty { path: PathBuf },
}

impl AuthorizedKeys {
    /// Add the keys in the file at `path`.
    pub fn load(&mut self, path: &Path) -> Result<(), AuthorizedKeyError> {
        let text = std::fs::read_to_string(path).map_err(|error| AuthorizedKeyError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        self.parse(&text, path)
    }

    /// Add the keys in `text` (read from `path`): blank lines and `#` comments are skipped,
    /// every other line must be a key, and there must be at least one.
    pub fn parse(&mut self, text: &str, path: &Path) -> Result<(), AuthorizedKeyError> {
        let before = self.0.len();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = PublicKey::from_openssh(line).map_err(|error| AuthorizedKeyError::Parse {
                path: path.to_path_buf(),
                line: index + 1,
                error,
            })?;
            self.0.push(key.key_data().clone());
        }
        if self.0.len() == before {
            return Err(AuthorizedKeyError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(())
    }

    /// Whether `key` is one of these keys.
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.0.iter().any(|k| k == key.key_data())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a lab could not start.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("ports {base}..{} do not fit below 65536 for {devices} devices", usize::from(*base) + devices)]
    PortRange { base: u16, devices: usize },
    #[error("no free range of {ports} consecutive ports on {address} above {from}")]
    NoFreePorts {
        address: IpAddr,
        ports: usize,
        from: u16,
    },
    #[error(
        "{devices} devices need about {needed} open files ({listeners} listening sockets, one per \
         device and transport, plus {reserve} for sessions and the runtime), but the limit is \
         {limit}; use fewer devices or one transport"
    )]
    TooManyFiles {
        devices: usize,
        listeners: usize,
        reserve: usize,
        needed: u64,
        limit: u64,
    },
    #[error(
        "devices at their own addresses listen on the same port each: give --ssh-port and \
         --telnet-port as numbers, not 0 or `auto`"
    )]
    AutoPortPerAddress,
    #[error("cannot start the lab's runtime: {0}")]
    Thread(std::io::Error),
    #[error("the lab has no devices")]
    Empty,
    #[error("--auth-log {}: {error}", path.display())]
    AuthLog {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
}

/// Credentials every device accepts (the book's).
pub const USERNAME: &str = "cisco";
pub const PASSWORD: &str = "cisco";
pub const ENABLE_SECRET: &str = "cisco";

/// Where one device can be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEndpoint {
    /// `R1`, `R2`, ...
    pub name: String,
    /// The address it listens on.
    pub address: IpAddr,
    /// The SSH port, if the device speaks SSH (refused devices keep their port number: it is
    /// simply not listened on).
    pub ssh_port: Option<u16>,
    /// The Telnet port, if the device speaks Telnet.
    pub telnet_port: Option<u16>,
    /// Offers only the legacy SSH algorithms.
    pub legacy: bool,
    /// Under the `refuse` fault: nothing listens on its ports.
    pub refused: bool,
    /// The SSH host key it shows (`ssh-ed25519 AAAA...`), if it speaks SSH.
    pub host_key: Option<String>,
    /// Which vendor's CLI it plays.
    pub platform: Platform,
}
