//! What a lab is: its devices (profile, transports, legacy SSH, faults), address and ports, the
//! public keys its SSH servers accept, built from flags or from a lab file (`--lab FILE.yaml`), and
//! `Lab::start` to serve it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use russh::keys::ssh_key::public::KeyData;
use russh::keys::PublicKey;
use serde::Deserialize;

use crate::device::Platform;
use crate::fault::{DeviceFaults, Fault, FaultError, FaultSpec};
use crate::profile::ProfileName;
use crate::server::{self, RunningLab};

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
}

/// Starts labs in this process.
pub struct Lab;

impl Lab {
    /// Bind every listener and serve on a background runtime thread (2 worker threads) until the
    /// returned lab is stopped or dropped.
    pub fn start(config: LabConfig) -> anyhow::Result<RunningLab> {
        if config.devices.is_empty() {
            return Err(LabError::Empty.into());
        }
        Ok(server::start(config)?)
    }
}

/// A lab file (`--lab FILE.yaml`): groups of devices, numbered R1.. in file order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabFile {
    pub groups: Vec<GroupSpec>,
    /// Lab-wide faults, as with `--fault`: `stall:R3`, `drop:10%`.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// Public-key files (relative to the lab file) whose keys may log in, as with
    /// `--authorized-key`.
    #[serde(default)]
    pub authorized_keys: Vec<PathBuf>,
}

/// A group of identical devices in a lab file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub count: usize,
    /// Defaults to `--profile`.
    pub profile: Option<ProfileName>,
    /// Defaults to `ssh` (`both` when `--telnet-port` is given).
    pub transport: Option<Transport>,
    /// Defaults to `--ssh-legacy`.
    pub legacy: Option<bool>,
    /// Netmiko device_type of the personality (`cisco_nxos`, `juniper_junos`...); defaults to
    /// `--platform`.
    pub platform: Option<Platform>,
    /// Faults every device of the group has (`stall`, `drop-config=3`, `flood=1M`).
    #[serde(default)]
    pub faults: Vec<Fault>,
}

/// Why a lab file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum LabFileError {
    #[error("{path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {error}")]
    Parse {
        path: PathBuf,
        error: serde_norway::Error,
    },
    #[error("{path}: group {group} has count 0")]
    EmptyGroup { path: PathBuf, group: usize },
    #[error("{path}: fault `{fault}`: {error}")]
    Fault {
        path: PathBuf,
        fault: String,
        error: FaultError,
    },
    #[error("{path}: authorized_keys: {error}")]
    AuthorizedKey {
        path: PathBuf,
        error: AuthorizedKeyError,
    },
}

/// Defaults a lab file's groups fall back on.
#[derive(Debug, Clone, Copy)]
pub struct GroupDefaults {
    pub profile: ProfileName,
    pub transport: Transport,
    pub legacy: bool,
    pub platform: Platform,
}

impl LabFile {
    pub fn load(path: &Path) -> Result<LabFile, LabFileError> {
        let text = std::fs::read_to_string(path).map_err(|error| LabFileError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        LabFile::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<LabFile, LabFileError> {
        let file: LabFile = serde_norway::from_str(text).map_err(|error| LabFileError::Parse {
            path: path.to_path_buf(),
            error,
        })?;
        if let Some(group) = file.groups.iter().position(|g| g.count == 0) {
            return Err(LabFileError::EmptyGroup {
                path: path.to_path_buf(),
                group: group + 1,
            });
        }
        Ok(file)
    }

    /// The devices of this file (its lab-wide faults, its authorized keys) written into `config`.
    pub fn apply(
        &self,
        config: &mut LabConfig,
        defaults: GroupDefaults,
        path: &Path,
    ) -> Result<(), LabFileError> {
        config.devices.clear();
        for group in &self.groups {
            for _ in 0..group.count {
                let mut plan = DevicePlan::new(
                    config.devices.len(),
                    group.profile.unwrap_or(defaults.profile),
                    group.transport.unwrap_or(defaults.transport),
                );
                plan.legacy = group.legacy.unwrap_or(defaults.legacy);
                plan.platform = group.platform.unwrap_or(defaults.platform);
                for fault in &group.faults {
                    plan.faults.set(*fault);
                }
                config.devices.push(plan);
            }
        }
        for spec in &self.faults {
            config
                .apply_fault(spec)
                .map_err(|error| LabFileError::Fault {
                    path: path.to_path_buf(),
                    fault: spec.text.clone(),
                    error,
                })?;
        }
        let folder = path.parent().unwrap_or(Path::new(""));
        for keys in &self.authorized_keys {
            config
                .authorized_keys
                .load(&folder.join(keys))
                .map_err(|error| LabFileError::AuthorizedKey {
                    path: path.to_path_buf(),
                    error,
                })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: GroupDefaults = GroupDefaults {
        profile: ProfileName::Lan,
        transport: Transport::Ssh,
        legacy: false,
        platform: Platform::CiscoIos,
    };

    fn lab(yaml: &str) -> Result<LabConfig, LabFileError> {
        let path = Path::new("lab.yaml");
        let file = LabFile::parse(yaml, path)?;
        let mut config = LabConfig::new(0, ProfileName::Instant);
        file.apply(&mut config, DEFAULTS, path)?;
        Ok(config)
    }

    #[test]
    fn groups_become_numbered_devices() {
        let config = lab("groups:\n  - count: 2\n    profile: iosv\n  - count: 1\n    transport: telnet\n    legacy: true\n    faults: [stall, slow]\nfaults: [\"drop:R1\"]\n").unwrap();
        let names: Vec<_> = config.devices.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["R1", "R2", "R3"]);
        assert_eq!(config.devices[0].profile, ProfileName::Iosv);
        assert!(config.devices[0].faults.cli.drop);
        assert_eq!(config.devices[2].profile, ProfileName::Lan);
        assert_eq!(config.devices[2].transport, Transport::Telnet);
        assert!(
            config.devices[2].legacy
                && config.devices[2].faults.cli.stall
                && config.devices[2].faults.slow
        );
        assert_eq!(config.listener_count(), 3);
    }

    #[test]
    fn group_faults_take_values() {
        let config =
            lab("groups:\n  - count: 1\n    faults: [\"drop-config=2\", \"flood=1K\", reset]\n")
                .unwrap();
        let faults = config.devices[0].faults;
        assert_eq!(faults.cli.drop_config, Some(2));
        assert_eq!(
            faults.cli.flood,
            Some(crate::device::FloodLength::Bytes(1024))
        );
        assert!(faults.reset);
        let err = lab("groups:\n  - count: 1\n    faults: [\"stall=2\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("takes no value") && err.contains("line 3"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let err = lab("groups:\n  - count: 2\n    profil: iosv\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("lab.yaml: "), "{err}");
        assert!(err.contains("line 3"), "{err}");
        let err = lab("groups:\n  - count: 1\n    faults: [melt]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("melt") && err.contains("line 3"), "{err}");
    }

    #[test]
    fn groups_choose_their_platform_and_unknown_names_list_the_known_ones() {
        let config =
            lab("groups:\n  - count: 1\n  - count: 2\n    platform: juniper_junos\n").unwrap();
        let platforms: Vec<Platform> = config.devices.iter().map(|d| d.platform).collect();
        assert_eq!(
            platforms,
            [
                Platform::CiscoIos,
                Platform::JuniperJunos,
                Platform::JuniperJunos
            ]
        );
        let err = lab("groups:\n  - count: 1\n    platform: nxos\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("lab.yaml: ") && err.contains("line 3"),
            "{err}"
        );
        assert!(err.contains("nxos") && err.contains("cisco_nxos"), "{err}");
        let multivendor = lab(include_str!("../labs/multivendor.yaml")).unwrap();
        let platforms: Vec<Platform> = multivendor.devices.iter().map(|d| d.platform).collect();
        assert_eq!(platforms, Platform::ALL);
    }

    #[test]
    fn lab_wide_faults_are_checked_against_the_lab() {
        let err = lab("groups:\n  - count: 2\nfaults: [\"stall:R5\"]\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "lab.yaml: fault `stall:R5`: device R5 is outside the lab (R1..R2)"
        );
    }

    #[test]
    fn example_labs_load() {
        let book = lab(include_str!("../labs/book.yaml")).unwrap();
        assert_eq!(book.devices.len(), 3);
        assert!(book.devices.iter().all(|d| d.profile == ProfileName::Iosv));
        let mixed = lab(include_str!("../labs/mixed.yaml")).unwrap();
        assert_eq!(mixed.devices.len(), 21);
        assert!(mixed.devices[12].legacy && mixed.devices[16].transport == Transport::Telnet);
        assert!(mixed.devices[6].faults.refuse && mixed.devices[20].faults.slow);
    }

    #[test]
    fn empty_groups_are_refused() {
        let err = lab("groups:\n  - count: 0\n").unwrap_err().to_string();
        assert_eq!(err, "lab.yaml: group 1 has count 0");
    }

    const ED25519: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJnH5R4BYPK1oBAOmh0Bj0COs9oBvwQESK8lpSGbMYiR lab@test";
    const RSA: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCoLPzdhChypaAUd2vHn+ekNIJxGe46eFT+IHq5M/K/5SteUhaedEeaw+WOwMqb6s1cpZsUTWHXIJ7uKZwYzXOYCZeL9Nzh6zKg+vtGPvGNMCdQUetqlupNlrdCtdE8uElWEOYfIRIKa0kK6PKkwa4LOPlMPT3bi9sbG+V8ld9D3CQQEYO0UwvKdh01hGwJhCrPtfsh31Nij4LA+/rl28+OEfay9ubx1Qd6YKQC5POEo2nSMpyIW5u4Z6YgGavdKSkhn4spv4inoKCg7gY++ZCNQnqw//W9YdukdrK1CQm441KSCxaSf6JU+N7ux2DTjqq1dWHB71NvwAXwvQa7k2lR old@test";

    fn public_key(line: &str) -> PublicKey {
        PublicKey::from_openssh(line).unwrap()
    }

    #[test]
    fn authorized_keys_parse_ed25519_and_rsa_lines_ignoring_comments() {
        let mut keys = AuthorizedKeys::default();
        let text = format!("# lab keys\n\n{ED25519}\n  {RSA}  \n");
        keys.parse(&text, Path::new("keys.pub")).unwrap();
        assert!(keys.contains(&public_key(ED25519)));
        assert!(keys.contains(&public_key(RSA)));
        // The comment is not part of the key.
        let renamed = ED25519.replace("lab@test", "someone@else");
        assert!(keys.contains(&public_key(&renamed)));
        assert!(!AuthorizedKeys::default().contains(&public_key(ED25519)));
    }

    #[test]
    fn bad_key_files_are_errors_naming_file_and_line() {
        let mut keys = AuthorizedKeys::default();
        // The key's type does not match its data.
        let broken = ED25519.replace("ssh-ed25519", "ssh-rsa");
        let err = keys
            .parse(&format!("{RSA}\n{broken}\n"), Path::new("k.pub"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("k.pub:2: not an OpenSSH public key"),
            "{err}"
        );
        let err = keys
            .parse("-----BEGIN OPENSSH PRIVATE KEY-----\n", Path::new("id"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("id:1: "), "{err}");
        let err = keys.parse("# nothing\n\n", Path::new("e.pub")).unwrap_err();
        assert_eq!(err.to_string(), "e.pub: no public key in the file");
        let err = keys.load(Path::new("/nonexistent/id.pub")).unwrap_err();
        assert!(
            err.to_string().starts_with("/nonexistent/id.pub: "),
            "{err}"
        );
    }

    #[test]
    fn lab_files_name_key_files_relative_to_themselves() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("id.pub"), format!("{ED25519}\n")).unwrap();
        let path = dir.path().join("lab.yaml");
        let file =
            LabFile::parse("groups:\n  - count: 1\nauthorized_keys: [id.pub]\n", &path).unwrap();
        let mut config = LabConfig::new(0, ProfileName::Instant);
        file.apply(&mut config, DEFAULTS, &path).unwrap();
        assert!(config.authorized_keys.contains(&public_key(ED25519)));
        let file = LabFile::parse(
            "groups:\n  - count: 1\nauthorized_keys: [missing.pub]\n",
            &path,
        )
        .unwrap();
        let err = file.apply(&mut config, DEFAULTS, &path).unwrap_err();
        assert!(err.to_string().contains("authorized_keys: "), "{err}");
    }

    #[test]
    fn refused_devices_open_no_listener() {
        let mut config = LabConfig::new(4, ProfileName::Instant);
        config
            .apply_fault(&"refuse:R2-R3".parse().unwrap())
            .unwrap();
        assert_eq!(config.listener_count(), 2);
    }
}
