//! Host keys: the policy a host is checked under, and the check itself, made by both SSH drivers
//! right after the key exchange and before any authentication, so a device whose key is not the
//! one known never sees a username, a password or a key signature.
//!
//! - `known_hosts.rs`: OpenSSH's known_hosts format, sans-IO (parse, match, the line to append);
//! - `store.rs`: the run's known_hosts files in memory, and the locked appender.
//!
//! Policies (OpenSSH's `StrictHostKeyChecking`): `strict` (yes) fails a host whose key is not
//! known; `accept-new` (the default, OpenSSH's trust on first use) records an unknown host's key
//! and fails a host whose key differs from the known one; `off` checks nothing, and must be asked
//! for. A `@revoked` key fails under both checking policies; a host named only by a
//! `@cert-authority` line fails, since netrun cannot check host certificates.

pub mod known_hosts;
pub mod store;

use std::path::PathBuf;

use base64ct::{Base64Unpadded, Encoding};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::job::ErrorKind;
use crate::transport::TransportError;
pub use store::KnownHosts;
use store::{Found, Recorded};

/// How a host's key is checked (`--host-key-policy`, `host_key_policy:`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    /// Only keys already in known_hosts are accepted
    Strict,
    /// Unknown hosts' keys are recorded (trust on first use); a changed key fails the host
    #[default]
    AcceptNew,
    /// Nothing is checked (say so only for a lab you own)
    Off,
}

impl HostKeyPolicy {
    pub fn name(self) -> &'static str {
        match self {
            HostKeyPolicy::Strict => "strict",
            HostKeyPolicy::AcceptNew => "accept-new",
            HostKeyPolicy::Off => "off",
        }
    }

    /// The policy named `name` (the inventory's spelling, the flag's values).
    pub fn parse(name: &str) -> Option<HostKeyPolicy> {
        [
            HostKeyPolicy::Strict,
            HostKeyPolicy::AcceptNew,
            HostKeyPolicy::Off,
        ]
        .into_iter()
        .find(|policy| policy.name() == name)
    }
}

/// How one host's key is checked: the policy and the known_hosts files, in lookup order; new keys
/// go to the first. This is what ssh_config's `StrictHostKeyChecking` and `UserKnownHostsFile`
/// set per host, where the inventory did not: `policy` is `None` when the inventory gives none
/// (then `--host-key-policy`, else accept-new, applies), and an empty `files` means the run's
/// default (`--known-hosts`, else `~/.ssh/known_hosts`), filled in when the run is resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKeyCheck {
    pub policy: Option<HostKeyPolicy>,
    pub files: Vec<PathBuf>,
}

impl HostKeyCheck {
    /// The policy in force: the one set, else accept-new.
    pub fn policy(&self) -> HostKeyPolicy {
        self.policy.unwrap_or_default()
    }
}

/// The key a host showed, and what the check made of it (reported per host).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKeySeen {
    /// `ssh-ed25519`, `ssh-rsa`, ...
    pub key_type: String,
    /// `SHA256:` and the unpadded base64 of the key blob's SHA-256, as ssh-keygen prints it.
    pub fingerprint: String,
    pub status: HostKeyStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostKeyStatus {
    /// The key was already known.
    Known,
    /// The key was new and was recorded (accept-new).
    Recorded,
    /// Not checked (policy off).
    Unchecked,
}

impl HostKeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HostKeyStatus::Known => "known",
            HostKeyStatus::Recorded => "recorded",
            HostKeyStatus::Unchecked => "unchecked",
        }
    }
}

/// `SHA256:...` of a key blob, as `ssh-keygen -l` prints it.
pub fn fingerprint(key: &[u8]) -> String {
    format!(
        "SHA256:{}",
        Base64Unpadded::encode_string(&sha2::Sha256::digest(key))
    )
}

/// `ssh-ed25519 SHA256:...`.
fn describe(key: &[u8]) -> String {
    format!(
        "{} {}",
        known_hosts::blob_type(key).unwrap_or("unknown-type"),
        fingerprint(key)
    )
}

/// Check the key `key` that `host:port` showed under `check`, recording it if the policy says
/// so. An error fails the host (kind `hostkey`, or `local` for a file that cannot be read or
/// written) before anything is sent to it.
pub fn verify(
    store: &KnownHosts,
    check: &HostKeyCheck,
    host: &str,
    port: u16,
    key: &[u8],
) -> Result<HostKeySeen, TransportError> {
    let seen = |status| HostKeySeen {
        key_type: known_hosts::blob_type(key)
            .unwrap_or("unknown-type")
            .to_string(),
        fingerprint: fingerprint(key),
        status,
    };
    if check.policy() == HostKeyPolicy::Off {
        return Ok(seen(HostKeyStatus::Unchecked));
    }
    let name = known_hosts::host_name(host, port);
    let local = |err: store::StoreError| {
        TransportError::new(ErrorKind::Local, format!("known_hosts: {err}"))
    };
    let found = store.find(&check.files, &name, key).map_err(local)?;
    let found = match (found, check.policy()) {
        (Found::Unknown, HostKeyPolicy::AcceptNew) => {
            match store.record(&check.files, &name, key).map_err(local)? {
                Recorded::Appended => return Ok(seen(HostKeyStatus::Recorded)),
                Recorded::Meanwhile(found) => found,
            }
        }
        (found, _) => found,
    };
    match found {
        Found::Known(_) => Ok(seen(HostKeyStatus::Known)),
        refused => Err(refusal(refused, check, &name, key)),
    }
}

/// The `hostkey` failure for a key that is not accepted.
fn refusal(found: Found, check: &HostKeyCheck, name: &str, key: &[u8]) -> TransportError {
    let offered = describe(key);
    let message = match found {
        Found::Changed(place, stored) => format!(
            "host key for {name} has changed: the device offered {offered}, but {place} holds {} \
             (someone may be impersonating the device; if its key really changed, remove the old \
             line: ssh-keygen -R '{name}' -f {})",
            describe(&stored),
            place.path.display()
        ),
        Found::Revoked(place) => {
            format!("host key {offered} of {name} is revoked (@revoked at {place})")
        }
        Found::CertAuthority(place) => format!(
            "{name} is to be checked by a host certificate (@cert-authority at {place}), which \
             netrun does not support; it offered {offered}: add that key to known_hosts if it \
             is the device's"
        ),
        Found::Known(_) | Found::Unknown => {
            let files: Vec<String> = check
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect();
            format!(
                "no host key for {name} is known in {} and the policy is strict; the device \
                 offered {offered} (record it with `netrun known-hosts` once you trust it)",
                files.join(", ")
            )
        }
    };
    TransportError::new(
        ErrorKind::HostKey,
        format!("{message}; nothing was sent to it"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_ssh_keygens() {
        // `ssh-keygen -lf` of this key prints SHA256:n6AqnFKY+6YSPqKHghiKguBJe83ou/DBh1iVG6q9ByY.
        let key = base64ct::Base64::decode_vec(
            "AAAAC3NzaC1lZDI1NTE5AAAAIJnH5R4BYPK1oBAOmh0Bj0COs9oBvwQESK8lpSGbMYiR",
        )
        .unwrap();
        assert_eq!(
            fingerprint(&key),
            "SHA256:n6AqnFKY+6YSPqKHghiKguBJe83ou/DBh1iVG6q9ByY"
        );
    }

    #[test]
    fn policies_are_named_as_the_flag_says() {
        for policy in [
            HostKeyPolicy::Strict,
            HostKeyPolicy::AcceptNew,
            HostKeyPolicy::Off,
        ] {
            assert_eq!(HostKeyPolicy::parse(policy.name()), Some(policy));
            let value = clap::ValueEnum::to_possible_value(&policy).unwrap();
            assert_eq!(value.get_name(), policy.name());
        }
        assert_eq!(HostKeyPolicy::parse("yes"), None);
        assert_eq!(HostKeyPolicy::default(), HostKeyPolicy::AcceptNew);
    }

    #[test]
    fn changed_and_strict_refusals_name_files_lines_and_both_fingerprints() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        let old = base64ct::Base64::decode_vec(
            "AAAAC3NzaC1lZDI1NTE5AAAAIJnH5R4BYPK1oBAOmh0Bj0COs9oBvwQESK8lpSGbMYiR",
        )
        .unwrap();
        let new = base64ct::Base64::decode_vec(
            "AAAAC3NzaC1lZDI1NTE5AAAAIIrQPWdn78pUZXchduwr6Z9P0aRX9lVG/mdAVfriWmPu",
        )
        .unwrap();
        let check = HostKeyCheck {
            policy: Some(HostKeyPolicy::AcceptNew),
            files: vec![path.clone()],
        };
        let store = KnownHosts::default();
        let first = verify(&store, &check, "127.0.0.1", 20022, &old).unwrap();
        assert_eq!(first.status, HostKeyStatus::Recorded);
        assert_eq!(
            verify(&store, &check, "127.0.0.1", 20022, &old)
                .unwrap()
                .status,
            HostKeyStatus::Known
        );
        let err = verify(&store, &check, "127.0.0.1", 20022, &new).unwrap_err();
        assert_eq!(err.kind, ErrorKind::HostKey);
        assert!(
            err.message.contains(&format!("{}:1 holds", path.display())),
            "{err}"
        );
        assert!(err.message.contains(&fingerprint(&old)), "{err}");
        assert!(err.message.contains(&fingerprint(&new)), "{err}");
        let strict = HostKeyCheck {
            policy: Some(HostKeyPolicy::Strict),
            ..check.clone()
        };
        let err = verify(&store, &strict, "127.0.0.1", 20023, &new).unwrap_err();
        assert_eq!(err.kind, ErrorKind::HostKey);
        assert!(err.message.contains("the policy is strict"), "{err}");
        let off = HostKeyCheck {
            policy: Some(HostKeyPolicy::Off),
            ..check
        };
        let seen = verify(&store, &off, "127.0.0.1", 20022, &new).unwrap();
        assert_eq!(seen.status, HostKeyStatus::Unchecked);
    }
}
