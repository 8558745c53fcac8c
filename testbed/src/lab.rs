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
    pub address: IpAddr,
    pub ssh_port: PortChoice,
    pub telnet_port: PortChoice,
    /// Seeds latency jitter, fault fractions and per-device data.
    pub seed: u64,
    pub devices: Vec<DevicePlan>,
    /// Public keys every device's SSH server accepts (besides passwords).
    pub authorized_keys: AuthorizedKeys,
    /// Where to log every SSH authentication request (`--auth-log`).
    pub auth_log: Option<std::path::PathBuf>,
}

impl LabConfig {
    /// `count` SSH devices on 127.0.0.1, free ports found automatically, seed 1.
    pub fn new(count: usize, profile: ProfileName) -> LabConfig {
        LabConfig {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ssh_port: PortChoice::Auto,
            telnet_port: PortChoice::Auto,
            seed: 1,
            devices: (0..count)
                .map(|i| DevicePlan::new(i, profile, Transport::Ssh))
                .collect(),
            authorized_keys: AuthorizedKeys::default(),
            auth_log: None,
        }
    }

    /// Apply `kind:selector` to the devices it selects.
    pub fn apply_fault(&mut self, spec: &FaultSpec) -> Result<(), FaultError> {
        for index in spec.devices(self.devices.len(), self.seed)? {
            self.devices[index].faults.set(spec.fault);
        }
        Ok(())
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
