//! Command-line definitions (clap derive), and nothing else: every flag and its help text live here.

use std::path::PathBuf;
use std::sync::LazyLock;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::job::{QuestionPattern, UserAnswer};
use crate::strategy::{self, StrategyKind, Workers};

/// Run CLI sessions on many network devices at once, over SSH and Telnet.
///
/// A first word that is a subcommand's name is that subcommand, wherever the options stand
/// (`netrun -s fork config -c ...`); one a typo away from a name is refused. Anything else is
/// the command to send; `netrun -- WORDS` or `netrun run WORDS` sends any words.
///
/// Examples:
///   netrun --strategy threads show version
///   netrun -i inventory/nornir -l 'group:core' -c 'show clock' -c 'show ip int br'
///   netrun --lab 20 --strategy async show ip interface brief
///   netrun -i lab.yaml -s threads config -c 'logging 10.7.7.7'
///   netrun inventory
#[derive(Debug, Parser)]
#[command(
    name = "netrun",
    version,
    verbatim_doc_comment,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub subcommand: Option<Sub>,

    #[command(flatten)]
    pub show: ShowArgs,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// List the resolved hosts of the inventory (never their secrets).
    Inventory(InventoryArgs),
    /// Push config lines to every host: config mode, per-line error detection, optional save.
    Config(ConfigArgs),
    /// Time the strategies against a lab, the way the book does, measured by the OS.
    Bench(BenchArgs),
    /// Fetch every SSH host's key in one fan-out (no login) and record new ones in known_hosts;
    /// report each as recorded, known or failed (changed, revoked, unreachable)
    #[command(name = "known-hosts", visible_alias = "keyscan")]
    KnownHosts(KnownHostsArgs),
    /// Send the command words to every host, whatever they are (as `netrun -- WORDS`).
    Run(ShowArgs),
    /// Merge the --results files of sharded runs into the report one run would have printed:
    /// the latest attempt of each host wins; with -i, every expected host must be there
    Merge(MergeArgs),
    /// Print a shell completion script: netrun completions bash > /etc/bash_completion.d/netrun
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print netrun's man page (roff): netrun man > netrun.1; man ./netrun.1
    Man,
    /// Internal: serve a simulated lab (the `netrun-testbed` CLI); used by --lab.
    #[command(name = "__testbed", hide = true)]
    Testbed {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Which devices to talk to.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Inventory: the book's devices.yaml list, an Ansible INI or YAML file, a .netmiko.yml, a
    /// Nornir config.yaml or folder [default: $NETRUN_INVENTORY, else ./inventory/devices.yaml]
    #[arg(short, long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,

    /// Only these hosts, as Ansible's --limit: names, globs (R1*), group:NAME, KEY=VALUE (data),
    /// @FILE (names, one a line), !PATTERN (exclude), A&B (both); repeatable, a union
    #[arg(short, long, value_name = "PATTERN")]
    pub limit: Vec<String>,

    /// Start a testbed of N simulated devices in a child process, run against it, stop it
    #[arg(long, value_name = "N", conflicts_with = "inventory")]
    pub lab: Option<usize>,

    /// The testbed latency profile for --lab: instant, lan, iosv or wan
    #[arg(long, value_name = "NAME", default_value = "lan", requires = "lab")]
    pub lab_profile: String,

    /// Inject a testbed fault into the --lab: KIND:SELECTOR, e.g. auth-fail:R3, stall:10%; repeatable
    #[arg(long, value_name = "KIND:SELECTOR", requires = "lab")]
    pub lab_fault: Vec<String>,

    /// Idle timeout in seconds: the most connect, login or a device's silence may take; every
    /// byte a device sends restarts it, so a long output still streaming is never cut off;
    /// overrides the inventory's
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,

    /// The most one command may take in total, in seconds, however busily the device talks
    /// (default: no total, only --timeout's idle bound)
    #[arg(long, value_name = "SECONDS")]
    pub command_timeout: Option<f64>,

    /// The most output one command may produce (bytes, or with K/M/G, KiB/MiB/GiB: powers of
    /// 1024); past it the host fails with kind output-limit, keeping what fit
    #[arg(long, value_name = "SIZE", default_value = "256MiB")]
    pub max_output: String,

    /// Try a host again, up to N more times, when it fails to connect, times out or is closed
    /// before login; never once a command or config line was sent
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,

    /// Seconds between a failed attempt and the next one (--retries)
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub retry_delay: f64,

    /// Prompt for the login password (no echo) for hosts whose inventory gives none
    #[arg(long)]
    pub ask_pass: bool,

    /// Prompt for the key passphrase (no echo) for hosts with a key_file and no key_passphrase
    /// (nor $NETRUN_KEY_PASSPHRASE)
    #[arg(long)]
    pub ask_key_pass: bool,

    /// Offer old SSH algorithms (diffie-hellman-group14-sha1, ssh-rsa, hmac-sha1) to every host,
    /// as old IOS 12.x/15.x images need; per host, set `ssh_legacy: true` in the inventory instead
    #[arg(long)]
    pub ssh_legacy: bool,

    /// How SSH host keys are checked: accept-new records unknown hosts' keys and fails a host
    /// whose key changed; strict fails unknown hosts too; off checks nothing. Overrides the
    /// inventory's host_key_policy [default: the inventory's, else accept-new; with --lab,
    /// strict against the keys the lab reports]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub host_key_policy: Option<crate::hostkeys::HostKeyPolicy>,

    /// known_hosts file to check keys against and record new ones in; repeatable (looked up in
    /// order, new keys go to the first) [default: ~/.ssh/known_hosts]
    #[arg(long, value_name = "FILE", conflicts_with = "lab")]
    pub known_hosts: Vec<PathBuf>,
    /// Reach every SSH host through these jump hosts, as `ssh -J`: USER@HOST:PORT, a comma
    /// between hops (the first is reached first); overrides the inventory's jump_host,
    /// proxy_command and ssh_config's ProxyJump/ProxyCommand
    #[arg(short = 'J', long, value_name = "[USER@]HOST[:PORT][,...]")]
    pub jump: Option<String>,

    /// Read this ssh_config instead of ~/.ssh/config (a host's ssh_config_file: still wins)
    #[arg(long, value_name = "FILE", conflicts_with = "no_ssh_config")]
    pub ssh_config: Option<PathBuf>,

    /// Read no ssh_config (a host's own ssh_config_file: is still read)
    #[arg(long)]
    pub no_ssh_config: bool,

    /// Run only shard K of N (1-based) of the hosts --limit selected, so N netrun processes
    /// split one inventory; overrides $JOB_COMPLETION_INDEX and $SLURM_ARRAY_TASK_ID. See
    /// --shard-rule and the README's "Sharding across machines"
    #[arg(long, value_name = "K/N", conflicts_with = "shards")]
    pub shard: Option<String>,

    /// The number of shards N when the shard's index comes from the environment:
    /// $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job, 0-based: index I runs shard I+1), or
    /// $SLURM_ARRAY_TASK_ID without $SLURM_ARRAY_TASK_COUNT [default: $NETRUN_SHARDS]
    #[arg(long, value_name = "N")]
    pub shards: Option<String>,

    /// How hosts are placed on shards: hash (rendezvous hashing of the name, FNV-1a 64: a host
    /// keeps its shard as the inventory grows, and N → N+1 moves about 1/(N+1) of the hosts)
    /// or round-robin (sorted names dealt in turn: exact balance, but a new name shifts others)
    #[arg(long, value_enum, value_name = "RULE", default_value = "hash")]
    pub shard_rule: crate::shard::ShardRule,

    /// What is placed on a shard: name (each host), or group:PREFIX (a host's first group
    /// starting with PREFIX, e.g. group:site- keeps a site behind one bastion together; hosts
    /// with no such group are placed by name); `group` alone is a host's first group
    #[arg(long, value_name = "name|group:PREFIX", default_value = "name")]
    pub shard_by: String,
}

/// How to fan out and how to report.
#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    /// Fan-out strategy
    #[arg(short, long, value_enum, default_value = "threads")]
    pub strategy: StrategyKind,

    // The help text names each strategy's workers and default, from the strategy table.
    #[arg(short, long, value_name = "N", help = workers_help(), value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub workers: Option<u32>,

    /// Async only: run the async strategy on N OS threads, each its own single-threaded tokio
    /// runtime taking jobs from one shared queue (a session's future stays on the thread that
    /// started it, so one runtime per thread rather than a work-stealing pool); `-w` stays the
    /// total in flight, split evenly between them [default: 1, the strategy comparison's one
    /// thread]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=MAX_THREADS))]
    pub threads: Option<u32>,

    /// Output format on stdout
    #[arg(short, long, value_enum, default_value = "text")]
    pub output: OutputFormat,

    /// The order text and jsonl results are written in, each as soon as it may be
    #[arg(long, value_enum, default_value = "inventory")]
    pub order: crate::report::stream::Order,

    /// Write each host's session to DIR/<name>.log as it goes: the raw bytes both ways, with
    /// passwords, secrets and key passphrases shown as ***
    #[arg(long, value_name = "DIR")]
    pub session_log: Option<PathBuf>,

    /// Log every event on stderr, the book's way: `netrun-worker-2 ===> 10:52:35.447216 Connection: ...`
    #[arg(short, long)]
    pub verbose: bool,

    /// Write the names of the hosts that failed or were interrupted to FILE, one a line (empty
    /// when none did); `-l @FILE` runs exactly those again
    #[arg(long, value_name = "FILE")]
    pub failed_out: Option<PathBuf>,

    /// Also write the run as JSON Lines to FILE (the records of -o jsonl: one host a line with
    /// the run id and shard, then the summary), atomically at the end (a stop signal included),
    /// for `netrun merge`; the run id is $NETRUN_RUN_ID, else random
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
}

/// `netrun [OPTIONS] <COMMAND WORDS>...`: run show commands on every host.
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub exec: ExecArgs,

    #[command(flatten)]
    pub parse: ParseArgs,

    /// Also write one file per device, DIR/<name>.txt
    #[arg(long, value_name = "DIR", visible_alias = "save-dir")]
    pub save: Option<PathBuf>,

    /// A command to run; repeatable, run in order (after the command words, if any)
    #[arg(short, long = "command", value_name = "CMD")]
    pub commands: Vec<String>,

    /// Answer a question the -c before it stops at (the command words, before any -c): the
    /// question line matching REGEX gets REPLY and Enter (an empty REPLY is Enter alone, the
    /// default); repeatable, used in order. REGEX ends at the first `=` (`\=` for a literal
    /// one). Without one, a question fails the host at once with kind question
    #[arg(long = "answer", value_name = "REGEX=REPLY", value_parser = parse_answer)]
    pub answers: Vec<UserAnswer>,

    /// Which command (in `command_list` order) each of `answers` belongs to: from where each
    /// stood on the command line (`grammar::parse`).
    #[arg(skip)]
    pub answer_owners: Vec<usize>,

    /// A YAML commands file, run after the -c commands: a list of commands, each a string or
    /// `{command: ..., answers: [{prompt: REGEX, reply: ...}]}`
    #[arg(short = 'f', long = "file", value_name = "FILE.yaml")]
    pub file: Option<PathBuf>,

    /// The command to run, as words: netrun show ip interface brief
    #[arg(value_name = "COMMAND WORDS", trailing_var_arg = true)]
    pub words: Vec<String>,
}

/// Structured output: each command's output parsed into records.
#[derive(Debug, Clone, Args)]
pub struct ParseArgs {
    /// Parse each command's output into records: textfsm (the ntc-templates index picks the
    /// template per platform and command; abbreviations such as `sh ip int br` work)
    #[arg(short, long, value_enum, value_name = "ENGINE")]
    pub parse: Option<ParseEngine>,

    /// The ntc-templates folder (its index and templates)
    /// [default: $NET_TEXTFSM, else the templates of python3's ntc_templates package]
    #[arg(
        long,
        value_name = "DIR",
        requires = "parse",
        conflicts_with = "template"
    )]
    pub templates: Option<PathBuf>,

    /// One TextFSM template for every command (a custom template), instead of the index
    #[arg(long, value_name = "FILE", requires = "parse")]
    pub template: Option<PathBuf>,

    /// A command whose output is not parsed (no template, or the template failed) fails its
    /// host with kind parse
    #[arg(long, requires = "parse")]
    pub parse_strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ParseEngine {
    /// TextFSM templates (ntc-templates)
    Textfsm,
}

#[derive(Debug, Clone, Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Output format on stdout
    #[arg(short, long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}

/// `netrun merge FILES...`: the results files of the shards of one run, as one run.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Results files (--results, or -o jsonl's stdout) of the shards
    #[arg(value_name = "FILES", required = true)]
    pub files: Vec<PathBuf>,

    /// The inventory the shards ran: every host it lists (after -l) must be in the files, and
    /// one that is not counts as failed with kind missing; also gives the order hosts are shown in
    #[arg(short, long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,

    /// With -i: only these hosts are expected (as the shards' --limit)
    #[arg(short, long, value_name = "PATTERN", requires = "inventory")]
    pub limit: Vec<String>,

    /// Output format on stdout
    #[arg(short, long, value_enum, default_value = "text")]
    pub output: OutputFormat,

    /// Write the names of the hosts that failed, were interrupted or are missing to FILE
    #[arg(long, value_name = "FILE")]
    pub failed_out: Option<PathBuf>,

    /// Write the merged run as one results file (JSON Lines), atomically
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
}

/// `netrun known-hosts`: a host key scan of the inventory.
#[derive(Debug, Clone, Args)]
pub struct KnownHostsArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub exec: ExecArgs,
}

/// `netrun config`: lines from `-c`, a file or a per-host Jinja template.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["lines", "file", "template"])))]
pub struct ConfigArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub exec: ExecArgs,

    /// A config line; repeatable, sent in order
    #[arg(short = 'c', long = "line", value_name = "LINE")]
    pub lines: Vec<String>,

    /// A file of config lines, one per line (`!` comments and blank lines skipped)
    #[arg(short, long, value_name = "FILE", conflicts_with = "lines")]
    pub file: Option<PathBuf>,

    /// A Jinja template rendered per host with its inventory data (name, host, port, platform,
    /// groups, data and data's keys); a missing variable is an error before any connection
    #[arg(short, long, value_name = "TEMPLATE.j2", conflicts_with_all = ["lines", "file"])]
    pub template: Option<PathBuf>,

    /// Save the configuration afterwards (the platform's save command, e.g. `write memory`)
    #[arg(long)]
    pub save: bool,

    /// Print what each device would get and connect to nothing (not with --diff, which needs
    /// the device's running-config)
    #[arg(long)]
    pub dry_run: bool,

    /// Read the running-config before and after, and print a unified diff per device
    #[arg(long)]
    pub diff: bool,

    /// Keep sending after a line the device rejects (default: stop sending to that device)
    #[arg(long)]
    pub continue_on_error: bool,

    /// Also write one file per device, DIR/<name>.txt
    #[arg(long, value_name = "DIR")]
    pub save_dir: Option<PathBuf>,
}

/// `netrun bench`: each cell (strategy × workers) runs as its own child process, measured with
/// wait4's rusage.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Strategies to compare, comma-separated
    #[arg(long, value_enum, value_delimiter = ',', default_value = every_strategy())]
    pub strategies: Vec<StrategyKind>,

    /// Worker counts to sweep, comma-separated (like the book's thread-count experiment)
    /// [default: one per host]
    #[arg(long, value_delimiter = ',', value_name = "LIST", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub workers: Vec<u32>,

    /// OS threads to sweep for strategies that spread over threads (`-s async --threads N`),
    /// comma-separated: each such cell runs once per count (e.g. 1,2)
    #[arg(long, value_delimiter = ',', value_name = "LIST", default_value = "1", value_parser = clap::value_parser!(u32).range(1..=MAX_THREADS as i64))]
    pub threads: Vec<u32>,

    /// Measured runs per cell, interleaved across cells (A B C A B C ...), after one warm-up run
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub runs: u32,

    /// Also time another command the same way, e.g. a Netmiko script on the same lab:
    /// NAME=CMD (run with `sh -c`; $NETRUN_BENCH_INVENTORY names the lab's inventory)
    #[arg(long, value_name = "NAME=CMD")]
    pub external: Vec<String>,

    /// Write an SVG: wall time per cell, and a timeline per strategy
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,

    /// Output format on stdout
    #[arg(short, long, value_enum, default_value = "text")]
    pub output: BenchFormat,

    /// The command to time [default: show ip interface brief]
    #[arg(value_name = "COMMAND WORDS", trailing_var_arg = true)]
    pub words: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    Text,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The book's format: `R1#show version`, then the output
    Text,
    /// One JSON document with one object per host
    Json,
    /// One JSON object per line: a host as it finishes, then `{"summary": ...}`
    Jsonl,
}

impl OutputFormat {
    /// The value `--output` takes for this format.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Text => "text",
            OutputFormat::Json => "json",
            OutputFormat::Jsonl => "jsonl",
        }
    }
}

/// The most `--threads` takes: far more than any machine netrun runs on has cores.
const MAX_THREADS: i64 = 1024;

impl ExecArgs {
    /// The OS threads the strategy runs on: `--threads`, refused (before anything is done) for a
    /// strategy it does not apply to.
    pub fn threads(&self) -> anyhow::Result<usize> {
        match self.threads {
            None => Ok(1),
            Some(n) if self.strategy.spreads_over_threads() => Ok(n as usize),
            Some(_) => {
                let spread: Vec<String> = strategy::all()
                    .filter(|k| k.spreads_over_threads())
                    .map(|k| format!("-s {k}"))
                    .collect();
                anyhow::bail!(
                    "--threads applies to {} only; -s {} runs {}",
                    spread.join(", "),
                    self.strategy,
                    match self.strategy.workers() {
                        Workers::One => "on one thread",
                        _ => "its workers as -w says",
                    }
                )
            }
        }
    }

    /// The worker count for `hosts` hosts: the flag, else the strategy's default, capped at the
    /// number of hosts (at least 1); always 1 for a strategy the flag does not change.
    pub fn workers_for(&self, hosts: usize) -> usize {
        self.strategy
            .workers_for(self.workers.map(|n| n as usize), hosts)
    }
}

/// `--workers`' help: what N counts under each strategy it changes, and their defaults.
fn workers_help() -> &'static str {
    static HELP: LazyLock<String> = LazyLock::new(|| {
        let choosable: Vec<(&str, String, &str)> = strategy::all()
            .filter_map(|kind| match kind.workers() {
                Workers::One => None,
                Workers::Choosable { default, counts } => {
                    Some((kind.name(), default.to_string(), counts))
                }
                Workers::FanOut { counts } => Some((
                    kind.name(),
                    "every host at once, at most (open files − 64) and \
                     MemAvailable / 2 / 128 KiB"
                        .to_string(),
                    counts,
                )),
            })
            .collect();
        let counts: Vec<&str> = choosable.iter().map(|c| c.2).collect();
        let counts = match counts.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => counts.concat(),
        };
        let defaults: Vec<String> = choosable
            .iter()
            .map(|(name, default, _)| format!("{name} {default}"))
            .collect();
        format!(
            "Concurrent sessions: {counts} [default: {}, capped at the number of hosts]",
            defaults.join(", ")
        )
    });
    &HELP
}

/// `--strategies`' default: every strategy, comma-separated.
fn every_strategy() -> &'static str {
    static NAMES: LazyLock<String> = LazyLock::new(|| {
        let names: Vec<&str> = strategy::all().map(StrategyKind::name).collect();
        names.join(",")
    });
    &NAMES
}

impl ShowArgs {
    /// The commands to run: the words joined into one command, then each `-c`.
    pub fn command_list(&self) -> Vec<String> {
        let mut commands = Vec::new();
        if !self.words.is_empty() {
            commands.push(self.words.join(" "));
        }
        commands.extend(self.commands.iter().cloned());
        commands
    }

    /// Each `--answer` given to the `-c` that stands before it on the command line, or to the
    /// command words when no `-c` does; an answer with neither is a usage error.
    pub(crate) fn attach_answers(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        let commands: Vec<usize> = matches
            .indices_of("commands")
            .map_or_else(Vec::new, Iterator::collect);
        let words = usize::from(!self.words.is_empty());
        let mut owners = Vec::new();
        for (answer, at) in self.answers.iter().zip(
            matches
                .indices_of("answers")
                .map_or_else(Vec::new, Iterator::collect),
        ) {
            let before = commands.iter().filter(|&&c| c < at).count();
            if before == 0 && words == 0 {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!(
                        "--answer '{}=...' follows no command: give it after the -c it answers\n",
                        answer.prompt.as_str()
                    ),
                ));
            }
            owners.push((before + words).saturating_sub(1));
        }
        self.answer_owners = owners;
        Ok(())
    }

    /// The answers per command of `command_list`, in order.
    pub fn answers_per_command(&self) -> Vec<Vec<UserAnswer>> {
        let mut per_command = vec![Vec::new(); self.command_list().len()];
        for (answer, &owner) in self.answers.iter().zip(&self.answer_owners) {
            per_command[owner].push(answer.clone());
        }
        per_command
    }
}

/// `REGEX=REPLY`: the regex ends at the first `=` not escaped as `\=`.
fn parse_answer(text: &str) -> Result<UserAnswer, String> {
    let bytes = text.as_bytes();
    let split = (0..bytes.len())
        .find(|&i| bytes[i] == b'=' && (i == 0 || bytes[i - 1] != b'\\'))
        .ok_or_else(|| "expected REGEX=REPLY (an empty REPLY sends Enter)".to_string())?;
    let (pattern, reply) = (&text[..split], &text[split + 1..]);
    if pattern.is_empty() {
        return Err("the question's REGEX before `=` is empty".to_string());
    }
    let prompt = QuestionPattern::new(&pattern.replace("\\=", "="))
        .map_err(|e| format!("not a valid regex: {e}"))?;
    Ok(UserAnswer {
        prompt,
        reply: reply.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("netrun").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn command_words_and_flags() {
        let cli = parse(&["--strategy", "fork", "-w", "4", "show", "ip", "int", "br"]);
        assert!(cli.subcommand.is_none());
        assert_eq!(cli.show.exec.strategy.name(), "fork");
        assert_eq!(cli.show.command_list(), vec!["show ip int br"]);
        assert_eq!(cli.show.exec.workers_for(10), 4);
    }

    #[test]
    fn words_take_everything_after_them_like_ssh() {
        // `sh ip route | ex -` must reach the device as typed, so flags go before the words.
        let cli = parse(&[
            "-c",
            "show clock",
            "sh",
            "ip",
            "route",
            "|",
            "ex",
            "-",
            "-v",
        ]);
        assert_eq!(
            cli.show.command_list(),
            vec!["sh ip route | ex - -v", "show clock"]
        );
        assert!(!cli.show.exec.verbose);
    }

    #[test]
    fn repeated_commands_keep_their_order() {
        let cli = parse(&["-c", "show clock", "-c", "show users"]);
        assert_eq!(cli.show.command_list(), vec!["show clock", "show users"]);
    }

    #[test]
    fn inventory_subcommand() {
        let cli = parse(&["inventory", "-l", "R1"]);
        match cli.subcommand {
            Some(Sub::Inventory(args)) => assert_eq!(args.target.limit, vec!["R1"]),
            other => panic!("expected the inventory subcommand, got {other:?}"),
        }
    }

    #[test]
    fn default_workers_are_capped_by_hosts() {
        let cli = parse(&["show", "clock"]);
        assert_eq!(cli.show.exec.strategy.name(), "threads");
        assert_eq!(cli.show.exec.workers_for(3), 3);
        assert_eq!(cli.show.exec.workers_for(500), 50);
        let cli = parse(&["-s", "sequential", "-w", "8", "show", "clock"]);
        assert_eq!(cli.show.exec.workers_for(500), 1);
        let cli = parse(&["-s", "async", "show", "clock"]);
        assert_eq!(cli.show.exec.workers_for(5460), 5460);
    }

    #[test]
    fn threads_apply_to_async_only_and_are_bounded() {
        let cli = parse(&["-s", "async", "--threads", "2", "show", "clock"]);
        assert_eq!(cli.show.exec.threads().unwrap(), 2);
        assert_eq!(parse(&["show", "clock"]).show.exec.threads().unwrap(), 1);
        let cli = parse(&["-s", "threads", "--threads", "2", "show", "clock"]);
        let err = cli.show.exec.threads().unwrap_err().to_string();
        assert_eq!(
            err,
            "--threads applies to -s async only; -s threads runs its workers as -w says"
        );
        for absurd in ["0", "1025", "-1", "many"] {
            let args = [
                "netrun",
                "-s",
                "async",
                "--threads",
                absurd,
                "show",
                "clock",
            ];
            assert!(Cli::try_parse_from(args).is_err(), "{absurd}");
        }
    }

    #[test]
    fn config_needs_exactly_one_source() {
        let cli = parse(&[
            "config",
            "-c",
            "logging 10.5.5.5",
            "-c",
            "ntp server 10.0.0.1",
            "--save",
        ]);
        match cli.subcommand {
            Some(Sub::Config(args)) => {
                assert_eq!(args.lines, vec!["logging 10.5.5.5", "ntp server 10.0.0.1"]);
                assert!(args.save && !args.dry_run);
            }
            other => panic!("expected config, got {other:?}"),
        }
        assert!(Cli::try_parse_from(["netrun", "config", "--save"]).is_err());
        assert!(Cli::try_parse_from(["netrun", "config", "-c", "x", "-f", "lines.txt"]).is_err());
    }

    #[test]
    fn bench_lists() {
        let cli = parse(&[
            "bench",
            "--lab",
            "20",
            "--strategies",
            "threads,async",
            "--workers",
            "1,5,10",
            "--runs",
            "2",
        ]);
        match cli.subcommand {
            Some(Sub::Bench(args)) => {
                let names: Vec<&str> = args.strategies.iter().map(|s| s.name()).collect();
                assert_eq!(names, ["threads", "async"]);
                assert_eq!(args.workers, vec![1, 5, 10]);
                assert_eq!(args.runs, 2);
                assert_eq!(args.target.lab, Some(20));
                assert!(args.words.is_empty());
            }
            other => panic!("expected bench, got {other:?}"),
        }
    }

    #[test]
    fn output_format_names_are_the_flag_values() {
        for format in OutputFormat::value_variants() {
            let value = format.to_possible_value().unwrap();
            assert_eq!(format.name(), value.get_name());
        }
    }

    #[test]
    fn host_key_flags() {
        let cli = parse(&[
            "--host-key-policy",
            "strict",
            "--known-hosts",
            "/tmp/kh",
            "show",
            "clock",
        ]);
        assert_eq!(
            cli.show.target.host_key_policy,
            Some(crate::hostkeys::HostKeyPolicy::Strict)
        );
        assert_eq!(cli.show.target.known_hosts, [PathBuf::from("/tmp/kh")]);
        assert_eq!(parse(&["show", "clock"]).show.target.host_key_policy, None);
        match parse(&["keyscan", "-s", "fork"]).subcommand {
            Some(Sub::KnownHosts(args)) => assert_eq!(args.exec.strategy.name(), "fork"),
            other => panic!("expected known-hosts, got {other:?}"),
        }
        assert!(Cli::try_parse_from(["netrun", "--host-key-policy", "yes", "show"]).is_err());
    }

    #[test]
    fn lab_conflicts_with_inventory() {
        let err = Cli::try_parse_from(["netrun", "--lab", "3", "-i", "x.yaml", "show", "clock"]);
        assert!(err.is_err());
    }
}
