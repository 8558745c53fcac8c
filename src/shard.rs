//! Sharding: which hosts of the filtered inventory shard K of N runs, so that N netrun processes
//! (a Kubernetes Indexed Job, a Slurm array, GNU parallel) split one inventory between them.
//! Pure data: the flags and the environment are read into a [`Shard`] by `settings.rs`.
//!
//! The unit placed on a shard is the host's name, or with `--shard-by group:PREFIX` its first
//! group starting with PREFIX (hosts with none are placed by name), so a site behind one bastion
//! stays on one shard. Two rules:
//!
//! - `hash` (the default), rendezvous (highest random weight) hashing: the unit goes to the shard
//!   `s` in 1..=N with the highest `weight(unit, s)`, where `weight` is FNV-1a 64 over the unit's
//!   UTF-8 bytes, a 0 byte and `s` as 8 little-endian bytes, followed by splitmix64's finaliser.
//!   A host's shard depends on its own name and N only: adding or removing other hosts never
//!   moves it, and going from N to N+1 shards moves only the hosts the new shard wins (about
//!   1/(N+1) of them), never one between old shards. The balance is statistical, not exact.
//! - `round-robin`: the distinct units sorted by name, the i-th (0-based) on shard i mod N + 1.
//!   Exact balance (of units), but adding a name shifts the ones after it.

use std::fmt;

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};

use crate::job::Host;

/// Shard `index` of `count`, both 1-based (`1 <= index <= count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardId {
    pub index: usize,
    pub count: usize,
}

impl ShardId {
    /// A checked shard: `what` names the flag or variable the numbers came from.
    pub fn new(index: usize, count: usize, what: &str) -> Result<ShardId> {
        if count == 0 {
            bail!("{what}: the number of shards must be at least 1");
        }
        if index == 0 || index > count {
            bail!("{what}: shard {index} of {count} does not exist (shards are 1..={count})");
        }
        Ok(ShardId { index, count })
    }

    /// `--shard K/N`.
    pub fn parse(text: &str) -> Result<ShardId> {
        let bad = || anyhow!("--shard must be K/N with 1 <= K <= N (e.g. 2/4), not '{text}'");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        ShardId::new(k, n, "--shard")
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Where the shard came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShardSource {
    /// `--shard K/N`.
    Flag,
    /// `JOB_COMPLETION_INDEX` (a Kubernetes Indexed Job).
    Kubernetes,
    /// `SLURM_ARRAY_TASK_ID` (a Slurm job array).
    Slurm,
}

impl ShardSource {
    pub fn name(self) -> &'static str {
        match self {
            ShardSource::Flag => "flag",
            ShardSource::Kubernetes => "kubernetes",
            ShardSource::Slurm => "slurm",
        }
    }
}

/// The placement rule (`--shard-rule`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ShardRule {
    /// Rendezvous hashing of the name: a host stays on its shard as the inventory grows
    #[default]
    Hash,
    /// Sorted names dealt in turn: exact balance, but a new name shifts the ones after it
    RoundRobin,
}

impl ShardRule {
    /// The value `--shard-rule` takes for this rule.
    pub fn name(self) -> &'static str {
        match self {
            ShardRule::Hash => "hash",
            ShardRule::RoundRobin => "round-robin",
        }
    }
}

/// What is placed on a shard (`--shard-by`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ShardUnit {
    /// Each host by its name.
    #[default]
    Name,
    /// A host's first group starting with the prefix (`group:PREFIX`); by name without one.
    Group(String),
}

impl ShardUnit {
    /// `--shard-by name | group | group:PREFIX`.
    pub fn parse(text: &str) -> Result<ShardUnit> {
        match text {
            "name" => Ok(ShardUnit::Name),
            "group" => Ok(ShardUnit::Group(String::new())),
            _ => match text.strip_prefix("group:") {
                Some(prefix) => Ok(ShardUnit::Group(prefix.to_string())),
                None => Err(anyhow!(
                    "--shard-by must be name, group or group:PREFIX, not '{text}'"
                )),
            },
        }
    }

    /// The value `--shard-by` takes for this unit.
    pub fn flag_value(&self) -> String {
        match self {
            ShardUnit::Name => "name".to_string(),
            ShardUnit::Group(prefix) => format!("group:{prefix}"),
        }
    }

    /// The key `host` is placed by.
    fn key<'h>(&self, host: &'h Host) -> &'h str {
        match self {
            ShardUnit::Name => &host.name,
            ShardUnit::Group(prefix) => host
                .groups
                .iter()
                .find(|g| g.starts_with(prefix.as_str()))
                .map_or(&host.name, String::as_str),
        }
    }
}

/// A resolved shard: which one, where it came from, and how hosts are placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    pub id: ShardId,
    pub source: ShardSource,
    pub rule: ShardRule,
    pub unit: ShardUnit,
}

/// What a sharded run ran: for the summary and the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub id: ShardId,
    pub source: ShardSource,
    /// Hosts of the filtered inventory (all shards together).
    pub of: usize,
    /// Hosts on this shard.
    pub hosts: usize,
}

impl ShardInfo {
    /// `shard 3/4 (kubernetes): 25 of 100 hosts`.
    pub fn describe(&self) -> String {
        format!(
            "shard {} ({}): {} of {} hosts",
            self.id,
            self.source.name(),
            self.hosts,
            self.of
        )
    }
}

impl Shard {
    /// The 1-based shard of each of `hosts`, in their order.
    pub fn assign(&self, hosts: &[Host]) -> Vec<usize> {
        let keys: Vec<&str> = hosts.iter().map(|h| self.unit.key(h)).collect();
        assign_keys(&keys, self.id.count, self.rule)
    }

    /// The hosts of this shard, in inventory order, with their places in `hosts`.
    pub fn select(&self, hosts: Vec<Host>) -> Selected {
        let of = hosts.len();
        let shards = self.assign(&hosts);
        let (positions, hosts): (Vec<usize>, Vec<Host>) = hosts
            .into_iter()
            .enumerate()
            .zip(shards)
            .filter(|(_, shard)| *shard == self.id.index)
            .map(|(placed, _)| placed)
            .unzip();
        let info = ShardInfo {
            id: self.id,
            source: self.source,
            of,
            hosts: hosts.len(),
        };
        Selected {
            hosts,
            positions,
            info,
        }
    }
}

/// A shard's hosts.
pub struct Selected {
    pub hosts: Vec<Host>,
    /// Each host's place in the inventory the shard was taken from.
    pub positions: Vec<usize>,
    pub info: ShardInfo,
}

/// The 1-based shard of each key among `count` shards under `rule`.
fn assign_keys(keys: &[&str], count: usize, rule: ShardRule) -> Vec<usize> {
    match rule {
        ShardRule::Hash => keys.iter().map(|key| rendezvous(key, count)).collect(),
        ShardRule::RoundRobin => {
            let mut units: Vec<&str> = keys.to_vec();
            units.sort_unstable();
            units.dedup();
            keys.iter()
                .map(|key| units.binary_search(key).map_or(1, |i| i % count + 1))
                .collect()
        }
    }
}

/// The shard in 1..=count whose weight for `key` is highest (the lowest shard on a tie).
fn rendezvous(key: &str, count: usize) -> usize {
    (1..=count)
        .max_by_key(|&shard| (weight(key, shard as u64), std::cmp::Reverse(shard)))
        .unwrap_or(1)
}

/// FNV-1a 64 of `key`, a 0 byte and `shard` (8 bytes, little-endian), then splitmix64's
/// finaliser (FNV alone mixes its last bytes poorly). Fixed here, so shards never change between
/// netrun versions or machines.
fn weight(key: &str, shard: u64) -> u64 {
    let bytes = key.bytes().chain([0]).chain(shard.to_le_bytes());
    splitmix64(fnv1a(bytes))
}

/// FNV-1a, 64 bits.
fn fnv1a(bytes: impl Iterator<Item = u8>) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// splitmix64's output for the state `x`: the golden-ratio step, then its finaliser.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| format!("R{i}")).collect()
    }

    fn shards(names: &[String], count: usize, rule: ShardRule) -> Vec<usize> {
        let keys: Vec<&str> = names.iter().map(String::as_str).collect();
        assign_keys(&keys, count, rule)
    }

    #[test]
    fn shards_are_disjoint_and_cover_the_inventory() {
        let hosts = names(0..100);
        for rule in [ShardRule::Hash, ShardRule::RoundRobin] {
            for count in 1..=5 {
                let assigned = shards(&hosts, count, rule);
                // One shard per host, each in 1..=count: disjoint, and their union is every host.
                assert_eq!(assigned.len(), hosts.len());
                assert!(assigned.iter().all(|s| (1..=count).contains(s)), "{rule:?}");
                let sizes: Vec<usize> = (1..=count)
                    .map(|s| assigned.iter().filter(|&&a| a == s).count())
                    .collect();
                assert_eq!(sizes.iter().sum::<usize>(), 100);
                match rule {
                    // Exact balance: sizes differ by at most one.
                    ShardRule::RoundRobin => {
                        let (min, max) = (sizes.iter().min(), sizes.iter().max());
                        assert!(max.unwrap() - min.unwrap() <= 1, "{sizes:?}");
                    }
                    // Every shard gets hosts, none more than twice its share.
                    ShardRule::Hash => assert!(
                        sizes.iter().all(|&n| n > 0 && n <= 2 * 100 / count),
                        "{count}: {sizes:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn adding_hosts_moves_no_old_host_under_the_hash_rule() {
        let old = names(0..100);
        let grown = names(0..120);
        for count in 1..=5 {
            let before = shards(&old, count, ShardRule::Hash);
            let after = shards(&grown, count, ShardRule::Hash);
            assert_eq!(before, after[..100], "{count} shards");
        }
    }

    #[test]
    fn one_more_shard_moves_only_the_hosts_it_wins_about_one_in_n_plus_one() {
        let hosts = names(0..100);
        for count in 1..=5 {
            let before = shards(&hosts, count, ShardRule::Hash);
            let after = shards(&hosts, count + 1, ShardRule::Hash);
            let moved: Vec<usize> = (0..100).filter(|&i| before[i] != after[i]).collect();
            // Every host that moved went to the new shard; none moved between old shards.
            assert!(moved.iter().all(|&i| after[i] == count + 1), "{count}");
            // The documented bound: at most twice the expected share 100/(N+1).
            assert!(
                moved.len() <= 2 * 100 / (count + 1),
                "{count} → {}: {} moved",
                count + 1,
                moved.len()
            );
            assert!(!moved.is_empty());
        }
    }

    #[test]
    fn round_robin_deals_sorted_names() {
        let hosts: Vec<String> = ["c", "a", "b", "d"].map(String::from).to_vec();
        assert_eq!(shards(&hosts, 2, ShardRule::RoundRobin), [1, 1, 2, 2]);
    }

    #[test]
    fn the_hash_is_the_documented_one() {
        // The published test vectors of FNV-1a 64 and of splitmix64 (state 0's first output):
        // the rule is these two functions, so shards never change between versions.
        assert_eq!(fnv1a("".bytes()), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a".bytes()), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("foobar".bytes()), 0x8594_4171_f739_67e8);
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rendezvous("R1", 1), 1);
    }

    fn host(name: &str, groups: &[&str]) -> Host {
        Host {
            name: name.to_string(),
            host: "127.0.0.1".to_string(),
            port: 22,
            transport: crate::job::TransportKind::Ssh,
            platform: "cisco_ios".to_string(),
            platform_error: None,
            username: String::new(),
            password: crate::job::Secret::default(),
            secret: None,
            timeout: std::time::Duration::from_secs(1),
            limits: crate::job::Limits::default(),
            ssh_legacy: false,
            key_file: None,
            key_passphrase: None,
            host_keys: Default::default(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            data: Default::default(),
            reach: Default::default(),
        }
    }

    #[test]
    fn shard_by_group_keeps_a_group_on_one_shard() {
        let hosts: Vec<Host> = (0..60)
            .map(|i| {
                let site = format!("site{}", i % 6);
                host(&format!("R{i}"), &["core", &site])
            })
            .chain([host("lone", &["core"])])
            .collect();
        for rule in [ShardRule::Hash, ShardRule::RoundRobin] {
            let shard = Shard {
                id: ShardId::new(1, 3, "test").unwrap(),
                source: ShardSource::Flag,
                rule,
                unit: ShardUnit::parse("group:site").unwrap(),
            };
            let assigned = shard.assign(&hosts);
            for site in 0..6 {
                let of_site: Vec<usize> = (0..60)
                    .filter(|i| i % 6 == site)
                    .map(|i| assigned[i])
                    .collect();
                assert!(
                    of_site.iter().all(|&s| s == of_site[0]),
                    "{rule:?} site{site}"
                );
            }
            // No group matches: placed by its name.
            assert_eq!(shard.unit.key(&hosts[60]), "lone");
            assert_eq!(shard.unit.key(&hosts[7]), "site1");
        }
    }

    #[test]
    fn bad_shards_name_what_they_came_from() {
        assert_eq!(
            ShardId::parse("2/4").unwrap(),
            ShardId { index: 2, count: 4 }
        );
        for bad in ["0/4", "5/4", "1/0", "x/4", "2", "2/4/1", "-1/4", ""] {
            let err = ShardId::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("--shard"), "{bad}: {err}");
        }
        assert!(ShardUnit::parse("site").is_err());
        assert_eq!(
            ShardUnit::parse("group").unwrap(),
            ShardUnit::Group(String::new())
        );
    }
}
