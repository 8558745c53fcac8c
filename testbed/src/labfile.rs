//! Lab files (`--lab FILE.yaml`): groups of devices (count, platform, profile, transport, legacy
//! flag, faults), lab-wide faults and authorized-key files, checked with file and line, and
//! written into a [`LabConfig`].

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::device::Platform;
use crate::fault::{Fault, FaultError, FaultSpec};
use crate::lab::{AuthorizedKeyError, DevicePlan, LabConfig, Transport};
use crate::profile::ProfileName;

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
    use crate::lab::AuthorizedKeys;
    use russh::keys::PublicKey;

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
