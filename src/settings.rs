//! The run setting: the raw target flags (`cli::TargetArgs`) resolved once into what a run of
//! sessions is given, the way ripgrep turns its LowArgs into HiArgs. show, config, inventory and
//! bench all resolve through [`resolve`], so they cannot drift apart: it validates the flags,
//! starts the `--lab`, loads and filters the inventory, applies `--timeout` and `--ssh-legacy` to
//! every host, then ssh_config and `-J` (`ssh_config::apply`), and asks for the `--ask-pass`/`--ask-key-pass` secrets at most once each.
//!
//! The result is a [`Target`]: the hosts, and the [`RunSetting`] they were resolved with, which
//! the bench forwards to its measured children so that each child resolves the same hosts.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};

use crate::cli::{OutputFormat, ParseArgs, ParseEngine, TargetArgs};
use crate::hostkeys::{HostKeyPolicy, KnownHosts};
use crate::inventory::{self, Env, Inventory};
use crate::job::{Host, Limits, Secret};
use crate::lab::Lab;
use crate::parse::locate::{self, AskPython};
use crate::parse::{Parser, Templates};
use crate::shard::{Shard, ShardId, ShardInfo, ShardSource, ShardUnit};
use crate::ssh_config;

/// Asks a person for a secret (no echo) with the given prompt; injected so tests need no tty.
pub type Ask<'a> = &'a dyn Fn(&str) -> io::Result<String>;

/// Everything a run of sessions is given, resolved from the flags. A child netrun given this
/// setting (see the bench) resolves the same hosts as the process that resolved it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSetting {
    /// The inventory file or folder the hosts come from (with `--lab`, the lab's own).
    pub inventory: PathBuf,
    /// `--limit` patterns, a union; empty for every host.
    pub limit: Vec<String>,
    /// The secrets a person typed for this run.
    pub credentials: Credentials,
    /// Offer the legacy SSH algorithms to every host (`--ssh-legacy`).
    pub ssh_legacy: bool,
    /// Every host's per-operation deadline (`--timeout`); `None` keeps the inventory's.
    pub timeout: Option<Duration>,
    /// Every host's `--max-output` and `--command-timeout`.
    pub limits: Limits,
    /// `--host-key-policy` and `--known-hosts` (with `--lab`: strict, and the lab's own file).
    pub host_keys: HostKeySetting,
    /// Which ssh_config to read, and `-J`'s jump hosts.
    pub ssh: ssh_config::Setting,
    pub output: Output,
    /// `--shard` (or the environment's index): only this shard's hosts.
    pub shard: Option<Shard>,
}

/// The host key flags of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostKeySetting {
    /// `--host-key-policy`: overrides every host's; `None` keeps the inventory's.
    pub policy: Option<HostKeyPolicy>,
    /// `--known-hosts`: every host's files, for hosts the inventory gives none; empty for
    /// `~/.ssh/known_hosts`.
    pub known_hosts: Vec<PathBuf>,
}

/// Secrets typed at a prompt (`--ask-pass`, `--ask-key-pass`); `None` when nothing was asked,
/// because the flag was not given or every host already had the secret.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Credentials {
    /// Given to every host without a login password.
    pub password: Option<Secret>,
    /// Given to every host with a `key_file` and no `key_passphrase`.
    pub key_passphrase: Option<Secret>,
}

/// What a run prints on stdout, and whether it logs every event on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    pub format: OutputFormat,
    pub verbose: bool,
}

impl Output {
    /// A run that is read by a program: one JSON document on stdout, no event log.
    pub const JSON: Output = Output {
        format: OutputFormat::Json,
        verbose: false,
    };
}

/// The resolved hosts, the setting they were resolved with, and where they came from.
pub struct Target {
    pub setting: RunSetting,
    /// In inventory order, after `--limit`, with the setting applied.
    pub hosts: Vec<Host>,
    /// The hosts' known_hosts files, read (for hosts whose keys are checked).
    pub known_hosts: Arc<KnownHosts>,
    /// The shard these hosts are, and of how many hosts.
    pub shard: Option<ShardInfo>,
    /// Each host's place in the filtered inventory before the shard was taken.
    pub positions: Vec<usize>,
    origin: Origin,
}

/// Where a target's hosts come from.
enum Origin {
    /// An inventory the user named (or the default one).
    Inventory,
    /// A lab started for this run; stopped when the target is dropped.
    Lab {
        devices: usize,
        profile: String,
        lab: Lab,
    },
}

impl Target {
    /// What the run talks to, for a person: `a lab of 20 iosv devices` or `inventory PATH`.
    pub fn describe(&self) -> String {
        match &self.origin {
            Origin::Lab {
                devices, profile, ..
            } => format!("a lab of {devices} {profile} devices"),
            Origin::Inventory => format!("inventory {}", self.setting.inventory.display()),
        }
    }

    /// The testbed child's pid when this run started a `--lab`.
    pub fn lab_pid(&self) -> Option<crate::os::Pid> {
        match &self.origin {
            Origin::Lab { lab, .. } => Some(lab.pid()),
            Origin::Inventory => None,
        }
    }
}

/// The process environment, as the inventory layer looks variables up.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Ask on the terminal, without echo.
pub fn terminal(prompt: &str) -> io::Result<String> {
    rpassword::prompt_password(prompt)
}

/// Resolve the target flags into the hosts to run on. Names every flag (no `..`), so a new one
/// that is not resolved here fails to compile. Inventory warnings go to stderr.
pub fn resolve(args: &TargetArgs, output: Output, env: Env, ask: Ask) -> Result<Target> {
    let TargetArgs {
        inventory,
        limit,
        lab,
        lab_profile,
        lab_fault,
        timeout,
        command_timeout,
        max_output,
        retries,
        retry_delay,
        ask_pass,
        ask_key_pass,
        ssh_legacy,
        host_key_policy,
        known_hosts,
        jump,
        ssh_config,
        no_ssh_config,
        shard,
        shards,
        shard_rule,
        shard_by,
    } = args;
    let shard = shard_of(
        &ShardFlags {
            shard: shard.as_deref(),
            shards: shards.as_deref(),
            rule: *shard_rule,
            by: shard_by,
        },
        env,
    )?;
    // A lab's devices are this machine's own: a `Host *` in ~/.ssh/config is not about them.
    let no_ssh_config = *no_ssh_config || (lab.is_some() && ssh_config.is_none());
    let ssh = ssh_setting(jump.as_deref(), ssh_config.as_deref(), no_ssh_config)?;
    let timeout = timeout
        .map(|s| positive_seconds(s, "--timeout"))
        .transpose()?;
    let limits = Limits {
        max_output: size(max_output)?,
        command_timeout: command_timeout
            .map(|s| positive_seconds(s, "--command-timeout"))
            .transpose()?,
        retries: *retries,
        retry_delay: Duration::try_from_secs_f64(*retry_delay)
            .map_err(|_| anyhow!("--retry-delay must be zero or a positive number of seconds"))?,
    };
    let mut host_keys = HostKeySetting {
        policy: *host_key_policy,
        known_hosts: known_hosts.clone(),
    };
    let (inventory, origin) = match lab {
        Some(devices) => {
            let (inventory, origin, lab_keys) = start_lab(*devices, lab_profile, lab_fault)?;
            // The lab is ours: checked against the keys it reported, never ~/.ssh/known_hosts.
            host_keys = HostKeySetting {
                policy: host_keys.policy.or(Some(HostKeyPolicy::Strict)),
                known_hosts: vec![lab_keys],
            };
            (inventory, origin)
        }
        None => match inventory {
            Some(path) => (path.clone(), Origin::Inventory),
            None => (default_inventory(env)?, Origin::Inventory),
        },
    };
    let hosts = load_hosts(&inventory, limit, env)?;
    let (mut hosts, positions, shard_info) = match &shard {
        Some(shard) => {
            let selected = shard.select(hosts);
            (selected.hosts, selected.positions, Some(selected.info))
        }
        None => {
            let positions = (0..hosts.len()).collect();
            (hosts, positions, None)
        }
    };
    for host in &mut hosts {
        if let Some(timeout) = timeout {
            host.timeout = timeout;
        }
        host.ssh_legacy |= *ssh_legacy;
        host.limits = limits;
    }
    crate::ssh_config::apply(&mut hosts, &ssh, env)?;
    let known_hosts = apply_host_keys(&host_keys, &mut hosts, env)?;
    let credentials = Credentials {
        password: ask_once(*ask_pass, &PASSWORD, &mut hosts, ask)?,
        key_passphrase: ask_once(*ask_key_pass, &KEY_PASSPHRASE, &mut hosts, ask)?,
    };
    let setting = RunSetting {
        inventory,
        limit: limit.clone(),
        credentials,
        ssh_legacy: *ssh_legacy,
        timeout,
        limits,
        host_keys,
        ssh,
        output,
        shard,
    };
    Ok(Target {
        setting,
        hosts,
        known_hosts: Arc::new(known_hosts),
        shard: shard_info,
        positions,
        origin,
    })
}

/// The shard flags, as given.
pub struct ShardFlags<'a> {
    pub shard: Option<&'a str>,
    pub shards: Option<&'a str>,
    pub rule: crate::shard::ShardRule,
    pub by: &'a str,
}

/// Kubernetes' Indexed Job index (0-based).
pub const K8S_INDEX_VAR: &str = "JOB_COMPLETION_INDEX";
/// The number of shards for an index from the environment, when no `--shards` is given.
pub const SHARDS_VAR: &str = "NETRUN_SHARDS";
pub const SLURM_ID_VAR: &str = "SLURM_ARRAY_TASK_ID";
pub const SLURM_COUNT_VAR: &str = "SLURM_ARRAY_TASK_COUNT";
pub const SLURM_MIN_VAR: &str = "SLURM_ARRAY_TASK_MIN";

/// The run's shard, from `--shard K/N`, else from the environment: `JOB_COMPLETION_INDEX` I
/// (0-based) is shard I+1 of `--shards`/`$NETRUN_SHARDS`; `SLURM_ARRAY_TASK_ID` is shard
/// ID − `SLURM_ARRAY_TASK_MIN` (default 0) + 1 of `SLURM_ARRAY_TASK_COUNT` (else of
/// `--shards`/`$NETRUN_SHARDS`). `None` when nothing asks for a shard. Every inconsistency is an
/// error naming the flag or variable.
pub fn shard_of(flags: &ShardFlags, env: Env) -> Result<Option<Shard>> {
    let unit = ShardUnit::parse(flags.by)?;
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let id = match flags.shard {
        Some(text) => Some((ShardId::parse(text)?, ShardSource::Flag)),
        None => {
            let count = match flags.shards {
                Some(text) => Some(shard_count(text, "--shards")?),
                None => var(SHARDS_VAR)
                    .map(|text| shard_count(&text, &format!("${SHARDS_VAR}")))
                    .transpose()?,
            };
            let count_from = match flags.shards {
                Some(_) => "--shards".to_string(),
                None => format!("${SHARDS_VAR}"),
            };
            match (var(K8S_INDEX_VAR), var(SLURM_ID_VAR)) {
                (Some(_), Some(_)) => {
                    return Err(anyhow!(
                        "both ${K8S_INDEX_VAR} and ${SLURM_ID_VAR} are set, so the shard is \
                         ambiguous: give --shard K/N"
                    ))
                }
                (Some(index), None) => {
                    let what = format!("${K8S_INDEX_VAR}");
                    let index = number(&index, &what)?;
                    let count = count.ok_or_else(|| {
                        anyhow!(
                            "${K8S_INDEX_VAR}={index} gives the shard's index but not how many \
                             shards there are: give --shards N or set ${SHARDS_VAR} (the Job's \
                             completions)"
                        )
                    })?;
                    let id = ShardId::new(index + 1, count, &format!("{what}={index} (0-based)"))
                        .map_err(|e| anyhow!("{e}; {count_from} is {count}"))?;
                    Some((id, ShardSource::Kubernetes))
                }
                (None, Some(task)) => Some((
                    slurm_shard(&task, count, &count_from, env)?,
                    ShardSource::Slurm,
                )),
                (None, None) => match (flags.shards, count) {
                    (Some(_), _) => {
                        return Err(anyhow!(
                            "--shards gives the number of shards, but neither ${K8S_INDEX_VAR} \
                             nor ${SLURM_ID_VAR} says which one this is: give --shard K/N"
                        ))
                    }
                    _ => None,
                },
            }
        }
    };
    Ok(id.map(|(id, source)| Shard {
        id,
        source,
        rule: flags.rule,
        unit,
    }))
}

/// A Slurm array task's shard: ID − MIN + 1 of COUNT (or of `count` when COUNT is not set).
fn slurm_shard(task: &str, count: Option<usize>, count_from: &str, env: Env) -> Result<ShardId> {
    let task = number(task, &format!("${SLURM_ID_VAR}"))?;
    let min = match env(SLURM_MIN_VAR).filter(|v| !v.trim().is_empty()) {
        Some(text) => number(&text, &format!("${SLURM_MIN_VAR}"))?,
        None => 0,
    };
    let (count, count_from) = match env(SLURM_COUNT_VAR).filter(|v| !v.trim().is_empty()) {
        Some(text) => {
            let slurm = shard_count(&text, &format!("${SLURM_COUNT_VAR}"))?;
            if let Some(given) = count.filter(|&given| given != slurm) {
                return Err(anyhow!(
                    "${SLURM_COUNT_VAR}={slurm} but {count_from} is {given}: the array's size \
                     is the number of shards"
                ));
            }
            (slurm, format!("${SLURM_COUNT_VAR}"))
        }
        None => (
            count.ok_or_else(|| {
                anyhow!(
                    "${SLURM_ID_VAR}={task} gives the shard's index but ${SLURM_COUNT_VAR} is \
                     not set: give --shards N or set ${SHARDS_VAR}"
                )
            })?,
            count_from.to_string(),
        ),
    };
    let index = task
        .checked_sub(min)
        .ok_or_else(|| anyhow!("${SLURM_ID_VAR}={task} is below ${SLURM_MIN_VAR}={min}"))?;
    ShardId::new(
        index + 1,
        count,
        &format!("${SLURM_ID_VAR}={task} (with ${SLURM_MIN_VAR}={min})"),
    )
    .map_err(|e| anyhow!("{e}; {count_from} is {count}"))
}

/// A number of shards from `what` (a flag or variable): at least 1.
fn shard_count(text: &str, what: &str) -> Result<usize> {
    match number(text, what)? {
        0 => Err(anyhow!(
            "{what} must be at least 1 (the number of shards), not 0"
        )),
        count => Ok(count),
    }
}

/// A whole number from `what` (a flag or variable).
fn number(text: &str, what: &str) -> Result<usize> {
    text.trim()
        .parse()
        .map_err(|_| anyhow!("{what} must be a whole number, not '{text}'"))
}

/// Give every host its host key policy and files, and read the files of the hosts whose keys
/// are checked (a malformed line is an error here, before any connection).
fn apply_host_keys(setting: &HostKeySetting, hosts: &mut [Host], env: Env) -> Result<KnownHosts> {
    let default_files = match setting.known_hosts.is_empty() {
        false => setting.known_hosts.clone(),
        true => match env("HOME").filter(|home| !home.is_empty()) {
            Some(home) => vec![Path::new(&home).join(".ssh").join("known_hosts")],
            None => Vec::new(),
        },
    };
    for host in hosts.iter_mut() {
        // The flag, else the inventory's (or ssh_config's), else accept-new.
        host.host_keys.policy = Some(setting.policy.unwrap_or(host.host_keys.policy()));
        if host.host_keys.files.is_empty() {
            host.host_keys.files = default_files.clone();
        }
    }
    let checked = || {
        hosts.iter().filter(|h| {
            h.transport == crate::job::TransportKind::Ssh
                && h.host_keys.policy() != HostKeyPolicy::Off
        })
    };
    if let Some(host) = checked().find(|h| h.host_keys.files.is_empty()) {
        return Err(anyhow!(
            "no known_hosts file for {}: $HOME is not set; give --known-hosts FILE",
            host.name
        ));
    }
    let files = checked().flat_map(|h| h.host_keys.files.iter().map(PathBuf::as_path));
    KnownHosts::load(files).context("reading known_hosts")
}

/// `-J`, `--ssh-config`, `--no-ssh-config`.
fn ssh_setting(
    jump: Option<&str>,
    file: Option<&Path>,
    nothing: bool,
) -> Result<ssh_config::Setting> {
    let jump = match jump {
        Some(hops) => hops
            .split(',')
            .map(|hop| ssh_config::parse_jump(hop).map_err(|err| anyhow!("--jump: {err}")))
            .collect::<Result<_>>()?,
        None => Vec::new(),
    };
    let choice = match (file, nothing) {
        (Some(file), _) => ssh_config::Choice::File(file.to_path_buf()),
        (None, true) => ssh_config::Choice::Nothing,
        (None, false) => ssh_config::Choice::User,
    };
    Ok(ssh_config::Setting { choice, jump })
}

/// The run's parsing from `--parse`, `--templates`, `--template` and `--parse-strict`: `None`
/// without `--parse`. The templates folder's index, or the one template, is read now, so a bad
/// one stops the run before any connection.
pub fn parser(args: &ParseArgs, env: Env, python: AskPython) -> Result<Option<Parser>> {
    let ParseArgs {
        parse,
        templates,
        template,
        parse_strict,
    } = args;
    let Some(ParseEngine::Textfsm) = parse else {
        return Ok(None);
    };
    let parser = match template {
        Some(file) => Parser::new(Templates::One(file.clone()), *parse_strict)?,
        None => {
            let dir = locate::templates_dir(templates.as_ref(), env, python)?;
            Parser::from_dir(&dir, *parse_strict)?
        }
    };
    Ok(Some(parser))
}

/// `--max-output SIZE`: bytes, or a number with K/M/G (KiB/MiB/GiB, powers of 1024; a
/// trailing `B` is allowed), at least one byte.
fn size(text: &str) -> Result<usize> {
    let bad = || anyhow!("--max-output must be a size such as 65536, 64K or 256MiB, not '{text}'");
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => return Err(bad()),
    };
    let number: usize = number.parse().map_err(|_| bad())?;
    number
        .checked_mul(1 << shift)
        .filter(|&bytes| bytes > 0)
        .ok_or_else(bad)
}

/// `FLAG SECONDS` as a duration: a positive number a duration can hold.
/// The inventory when `-i` names none: `$NETRUN_INVENTORY`, else `./inventory/devices.yaml`; a
/// missing one says how to give one.
fn default_inventory(env: Env) -> Result<PathBuf> {
    let path = inventory::default_path(env);
    if path.exists() {
        return Ok(path);
    }
    let from_env = env(inventory::INVENTORY_VAR).is_some_and(|p| !p.is_empty());
    Err(match from_env {
        true => anyhow!(
            "${} names the inventory {}, which does not exist: fix the variable, or give one \
             with -i PATH",
            inventory::INVENTORY_VAR,
            path.display()
        ),
        false => anyhow!(
            "no inventory: -i was not given, $NETRUN_INVENTORY is not set, and the default {} \
             does not exist here; give one with -i PATH (a devices.yaml list, an Ansible \
             inventory, a .netmiko.yml or a Nornir folder), set $NETRUN_INVENTORY, or try \
             --lab N for a simulated lab",
            path.display()
        ),
    })
}

fn positive_seconds(seconds: f64, flag: &str) -> Result<Duration> {
    match Duration::try_from_secs_f64(seconds) {
        Ok(timeout) if seconds > 0.0 => Ok(timeout),
        _ => Err(anyhow!("{flag} must be a positive number of seconds")),
    }
}

/// Start `--lab N`: its inventory path, the lab kept alive as the origin, and the known_hosts
/// file of the keys it reported.
fn start_lab(
    devices: usize,
    profile: &str,
    faults: &[String],
) -> Result<(PathBuf, Origin, PathBuf)> {
    if devices == 0 {
        return Err(anyhow!("--lab needs at least one device"));
    }
    let faults: Vec<String> = faults
        .iter()
        .flat_map(|f| ["--fault".to_string(), f.clone()])
        .collect();
    let lab = Lab::start(devices, profile, &faults)?;
    let (inventory, known_hosts) = (lab.inventory(), lab.known_hosts());
    let origin = Origin::Lab {
        devices,
        profile: profile.to_string(),
        lab,
    };
    Ok((inventory, origin, known_hosts))
}

/// Load the inventory at `path`, print its warnings, keep the hosts `limit` selects.
fn load_hosts(path: &Path, limit: &[String], env: Env) -> Result<Vec<Host>> {
    let Inventory {
        hosts, warnings, ..
    } = inventory::load(path, env)?;
    for warning in &warnings {
        eprintln!("netrun: warning: {warning}");
    }
    Ok(inventory::filter(hosts, limit)?)
}

/// A secret a flag asks for: the prompt, which hosts lack it, and how they get it.
struct Question {
    prompt: &'static str,
    what: &'static str,
    lacks: fn(&Host) -> bool,
    give: fn(&mut [Host], &Secret),
}

/// `--ask-pass`: the login password of hosts without one.
const PASSWORD: Question = Question {
    prompt: "Password: ",
    what: "the password",
    lacks: |host| host.password.is_empty(),
    give: |hosts, password| {
        inventory::fill_missing_password(hosts, password);
    },
};

/// `--ask-key-pass`: the passphrase of hosts with a key file and no passphrase.
const KEY_PASSPHRASE: Question = Question {
    prompt: "Key passphrase: ",
    what: "the key passphrase",
    lacks: inventory::needs_key_passphrase,
    give: inventory::fill_missing_key_passphrase,
};

/// Ask `question` once when the flag asked for it and some host lacks the secret, and give the
/// answer to those hosts; `None` when nothing was asked.
fn ask_once(
    flag: bool,
    question: &Question,
    hosts: &mut [Host],
    ask: Ask,
) -> Result<Option<Secret>> {
    if !flag || !hosts.iter().any(question.lacks) {
        return Ok(None);
    }
    let answer = ask(question.prompt).with_context(|| format!("reading {}", question.what))?;
    let secret = Secret::new(answer);
    (question.give)(hosts, &secret);
    Ok(Some(secret))
}

/// An inventory for the unit tests of resolution and of what the bench forwards.
#[cfg(test)]
pub(crate) mod test_support {
    use std::path::{Path, PathBuf};

    /// `dir/devices.yaml`: R1 has a key file and no password, R2 its own password, S1 nothing.
    pub fn inventory(dir: &Path) -> PathBuf {
        let file = dir.join("devices.yaml");
        std::fs::write(
            &file,
            "- {name: R1, host: 127.0.0.1, port: 10022, key_file: /keys/id}\n\
             - {name: R2, host: 127.0.0.1, port: 10023, password: own}\n\
             - {name: S1, host: 127.0.0.1, port: 10024}\n",
        )
        .unwrap();
        file
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use clap::Parser;

    use super::test_support::inventory;
    use super::*;
    use crate::cli::Cli;

    /// The target flags of `netrun FLAGS show clock`.
    fn flags(flags: &[&str]) -> TargetArgs {
        let argv = [&["netrun"], flags, &["show", "clock"]].concat();
        Cli::try_parse_from(argv).unwrap().show.target
    }

    /// No netrun variable set; a HOME (whose known_hosts does not exist) so keys can be checked.
    fn no_env(name: &str) -> Option<String> {
        (name == "HOME").then(|| "/nonexistent-home".to_string())
    }

    fn never_asked(prompt: &str) -> io::Result<String> {
        Err(io::Error::other(format!("asked {prompt:?}")))
    }

    #[test]
    fn the_flags_apply_to_every_selected_host() {
        let dir = tempfile::tempdir().unwrap();
        let file = inventory(dir.path());
        let path = file.to_str().unwrap();
        let args = flags(&["-i", path, "-l", "R*", "--timeout", "2.5", "--ssh-legacy"]);
        let target = resolve(&args, Output::JSON, &no_env, &never_asked).unwrap();
        let names: Vec<&str> = target.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["R1", "R2"]);
        for host in &target.hosts {
            assert_eq!(host.timeout, Duration::from_millis(2500));
            assert!(host.ssh_legacy);
        }
        assert_eq!(
            target.setting,
            RunSetting {
                inventory: file.clone(),
                limit: vec!["R*".to_string()],
                credentials: Credentials::default(),
                ssh_legacy: true,
                timeout: Some(Duration::from_millis(2500)),
                limits: Limits::default(),
                host_keys: HostKeySetting::default(),
                ssh: ssh_config::Setting::default(),
                output: Output::JSON,
                shard: None,
            }
        );
        assert_eq!(target.describe(), format!("inventory {path}"));
    }

    #[test]
    fn each_secret_is_asked_once_and_only_when_a_host_lacks_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = inventory(dir.path());
        let args = flags(&["-i", file.to_str().unwrap(), "--ask-pass", "--ask-key-pass"]);
        let asked = RefCell::new(Vec::new());
        let ask = |prompt: &str| -> io::Result<String> {
            asked.borrow_mut().push(prompt.to_string());
            Ok(format!("typed {}", asked.borrow().len()))
        };
        let target = resolve(&args, Output::JSON, &no_env, &ask).unwrap();
        assert_eq!(*asked.borrow(), ["Password: ", "Key passphrase: "]);
        let passwords: Vec<&str> = target.hosts.iter().map(|h| h.password.expose()).collect();
        assert_eq!(passwords, ["typed 1", "own", "typed 1"]);
        assert_eq!(
            target.hosts[0].key_passphrase.as_ref().map(Secret::expose),
            Some("typed 2")
        );
        assert_eq!(
            target.setting.credentials,
            Credentials {
                password: Some(Secret::new("typed 1")),
                key_passphrase: Some(Secret::new("typed 2")),
            }
        );

        // The environment already gives both: nothing to ask, nothing typed to forward.
        let env = |name: &str| match name {
            inventory::PASSWORD_VAR => Some("from env".to_string()),
            inventory::KEY_PASSPHRASE_VAR => Some("key from env".to_string()),
            _ => no_env(name),
        };
        let target = resolve(&args, Output::JSON, &env, &never_asked).unwrap();
        assert_eq!(target.setting.credentials, Credentials::default());
        assert_eq!(target.hosts[2].password.expose(), "from env");
    }

    #[test]
    fn an_empty_inventory_variable_means_the_default_inventory() {
        let empty = |name: &str| match name {
            inventory::INVENTORY_VAR => Some(String::new()),
            _ => no_env(name),
        };
        let target = resolve(&flags(&[]), Output::JSON, &empty, &never_asked).unwrap();
        assert_eq!(
            target.setting.inventory,
            Path::new("inventory").join("devices.yaml")
        );
        assert_eq!(target.hosts.len(), 3);
    }

    #[test]
    fn bad_timeouts_and_empty_labs_stop_before_anything_starts() {
        for timeout in ["0", "-1", "NaN", "inf", "1e300"] {
            let flag = format!("--timeout={timeout}");
            let args = flags(&["-i", "/nonexistent.yaml", &flag]);
            let err = resolve(&args, Output::JSON, &no_env, &never_asked)
                .err()
                .unwrap();
            assert_eq!(
                err.to_string(),
                "--timeout must be a positive number of seconds",
                "--timeout {timeout}"
            );
        }
        let err = resolve(&flags(&["--lab", "0"]), Output::JSON, &no_env, &never_asked)
            .err()
            .unwrap();
        assert_eq!(err.to_string(), "--lab needs at least one device");
    }

    #[test]
    fn host_key_policy_and_files_reach_every_host() {
        let dir = tempfile::tempdir().unwrap();
        let file = inventory(dir.path());
        let path = file.to_str().unwrap();
        let home = |name: &str| (name == "HOME").then(|| "/home/op".to_string());
        let target = resolve(&flags(&["-i", path]), Output::JSON, &home, &never_asked).unwrap();
        for host in &target.hosts {
            assert_eq!(host.host_keys.policy(), HostKeyPolicy::AcceptNew);
            assert_eq!(
                host.host_keys.files,
                [PathBuf::from("/home/op/.ssh/known_hosts")]
            );
        }
        let kh = dir.path().join("kh");
        let args = flags(&[
            "-i",
            path,
            "--host-key-policy",
            "strict",
            "--known-hosts",
            kh.to_str().unwrap(),
        ]);
        let target = resolve(&args, Output::JSON, &no_env, &never_asked).unwrap();
        assert!(target
            .hosts
            .iter()
            .all(|h| h.host_keys.policy() == HostKeyPolicy::Strict
                && h.host_keys.files == [kh.clone()]));
        assert_eq!(target.setting.host_keys.policy, Some(HostKeyPolicy::Strict));
        // No HOME and no --known-hosts: nowhere to check keys.
        let nothing = |_: &str| None;
        let err = resolve(&flags(&["-i", path]), Output::JSON, &nothing, &never_asked)
            .err()
            .unwrap();
        assert!(err.to_string().contains("give --known-hosts FILE"), "{err}");
        // A malformed known_hosts stops the run, naming the file and line.
        std::fs::write(&kh, "r1 ssh-ed25519\n").unwrap();
        let err = resolve(&args, Output::JSON, &no_env, &never_asked)
            .err()
            .unwrap();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "reading known_hosts: {}:1: key: missing after `ssh-ed25519`",
                kh.display()
            )
        );
    }

    #[test]
    fn output_limits_and_command_timeouts_are_resolved_and_checked() {
        assert_eq!(size("256MiB").unwrap(), 256 << 20);
        assert_eq!(size("1G").unwrap(), 1 << 30);
        assert_eq!(size("64k").unwrap(), 64 << 10);
        assert_eq!(size("4096").unwrap(), 4096);
        assert_eq!(size("10 MB").unwrap(), 10 << 20);
        for bad in ["", "0", "1T", "-5", "1.5M", "M", "99999999999999999999G"] {
            assert!(size(bad).is_err(), "{bad:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let file = inventory(dir.path());
        let path = file.to_str().unwrap();
        let args = flags(&["-i", path, "--max-output", "1M", "--command-timeout", "30"]);
        let target = resolve(&args, Output::JSON, &no_env, &never_asked).unwrap();
        let limits = Limits {
            max_output: 1 << 20,
            command_timeout: Some(Duration::from_secs(30)),
            ..Limits::default()
        };
        assert!(target.hosts.iter().all(|h| h.limits == limits));
        assert_eq!(target.setting.limits, limits);
        let defaults = resolve(&flags(&["-i", path]), Output::JSON, &no_env, &never_asked);
        assert_eq!(defaults.unwrap().setting.limits, Limits::default());
        let args = flags(&["-i", path, "--command-timeout", "0"]);
        let err = resolve(&args, Output::JSON, &no_env, &never_asked)
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "--command-timeout must be a positive number of seconds"
        );
    }
}
