//! `netrun bench`: time the strategies against a lab the way the book does, measured by the OS.
//!
//! The lab starts once. Each cell (strategy × workers, or an `--external` command) runs as its own
//! child process — netrun re-executing itself with `-o json` — one warm-up round first, then
//! `--runs` rounds interleaved across cells (A B C A B C ...), so a slow spell of the machine hits
//! every cell alike. Each child is measured from outside with wait4's rusage (`measure`) and read
//! from inside through its JSON (`inside`); `stats` summarises, `table` renders, `plot` draws.
//!
//! SIGINT/SIGTERM stop the bench: the child being measured is killed and reaped, and the error
//! unwinds through `run`, which drops the lab (stopped, its temporary inventory removed).

pub mod inside;
pub mod measure;
pub mod plot;
pub mod stats;
pub mod table;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use crate::cli::{BenchArgs, BenchFormat};
use crate::inventory;
use crate::job::Limits;
use crate::os::{self, Pid, StopSource};
use crate::settings::{self, Credentials, HostKeySetting, Output, RunSetting};
use crate::ssh_config;
use crate::strategy::StrategyKind;

pub use inside::Inside;
pub use measure::Usage;
pub use stats::Summary;

/// The command timed when none is given (the book's).
pub const DEFAULT_COMMAND: &str = "show ip interface brief";

/// How long one measured child may run when no `--timeout` bounds its sessions.
const CHILD_DEADLINE: Duration = Duration::from_secs(600);

/// Slack added to a `--timeout`-derived deadline (process start, lab inventory, JSON output).
const DEADLINE_SLACK: Duration = Duration::from_secs(60);

/// What a cell runs.
#[derive(Debug, Clone, PartialEq)]
pub enum CellKind {
    /// `netrun -s STRATEGY -w WORKERS [--threads THREADS] -o json`.
    Netrun {
        strategy: StrategyKind,
        workers: usize,
        /// The OS threads an async cell runs on (1 for every other strategy).
        threads: usize,
    },
    /// `sh -c COMMAND`, with `$NETRUN_BENCH_INVENTORY` set.
    External { name: String, command: String },
}

impl CellKind {
    /// The row label: `sequential` (a strategy `-w` does not change), `threads ×20`,
    /// `async ×500 on 2 threads`, or the external command's name.
    pub fn label(&self) -> String {
        match self {
            CellKind::Netrun {
                strategy,
                workers,
                threads,
            } if strategy.takes_workers() && *threads > 1 => {
                format!("{} ×{workers} on {threads} threads", strategy.name())
            }
            CellKind::Netrun {
                strategy, workers, ..
            } if strategy.takes_workers() => {
                format!("{} ×{workers}", strategy.name())
            }
            CellKind::Netrun { strategy, .. } => strategy.name().to_string(),
            CellKind::External { name, .. } => name.clone(),
        }
    }

    pub fn strategy(&self) -> Option<StrategyKind> {
        match self {
            CellKind::Netrun { strategy, .. } => Some(*strategy),
            CellKind::External { .. } => None,
        }
    }
}

/// One measured run of a cell.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub usage: Usage,
    /// netrun's own report; `None` for external commands and for runs that printed none.
    pub inside: Option<Inside>,
    /// Why a netrun run has no report (e.g. its JSON did not parse).
    pub problem: Option<String>,
    /// The CPU the bench's own `--lab` testbed used during this run (ms; ticks of 10 ms), when
    /// the bench started one.
    pub lab_cpu_ms: Option<f64>,
}

/// A cell and its runs.
#[derive(Debug, Clone)]
pub struct Cell {
    pub kind: CellKind,
    pub warmup: Option<RunRecord>,
    pub runs: Vec<RunRecord>,
}

/// Everything a renderer needs: the setting, the cells and their summaries.
pub struct Bench {
    pub command: String,
    /// What was measured against: `lab of 20 iosv devices` or `inventory PATH`.
    pub target: String,
    pub hosts: usize,
    pub runs: u32,
    pub cells: Vec<Cell>,
    pub summaries: Vec<Summary>,
}

impl Bench {
    /// Summarise `cells` (ratios against the sequential cell when it succeeded).
    pub fn new(
        command: String,
        target: String,
        hosts: usize,
        runs: u32,
        cells: Vec<Cell>,
    ) -> Bench {
        let baseline = stats::sequential_baseline(&cells, hosts);
        let summaries = cells
            .iter()
            .map(|c| stats::summarise(c, hosts, baseline))
            .collect();
        Bench {
            command,
            target,
            hosts,
            runs,
            cells,
            summaries,
        }
    }

    pub fn any_failed(&self) -> bool {
        self.summaries.iter().any(|s| s.failed)
    }
}

/// Run `netrun bench`. Exit status 0 when every cell succeeded, 1 when some cell failed.
pub fn run(args: &BenchArgs, stop: &'static StopSource) -> Result<u8> {
    let command = if args.words.is_empty() {
        DEFAULT_COMMAND.to_string()
    } else {
        args.words.join(" ")
    };
    let externals = args
        .external
        .iter()
        .map(|e| parse_external(e))
        .collect::<Result<Vec<_>>>()?;
    check_unique_names(&externals)?;
    let exe = std::env::current_exe().context("finding netrun's own executable")?;
    // Resolved here exactly as `netrun show` resolves it; the measured runs print JSON quietly.
    let target = settings::resolve(
        &args.target,
        Output::JSON,
        &settings::process_env,
        &settings::terminal,
    )?;
    let hosts = target.hosts.len();
    if hosts == 0 {
        bail!("no host to time: the inventory (after --limit) is empty");
    }
    let mut kinds = plan_cells(&args.strategies, &args.workers, &args.threads, hosts);
    kinds.extend(
        externals
            .into_iter()
            .map(|(name, command)| CellKind::External { name, command }),
    );
    let children = Children {
        exe,
        setting: target.setting.clone(),
        command: command.clone(),
        hosts,
        lab: target.lab_pid(),
        stop,
    };
    let cells = run_interleaved(&children, kinds, args.runs)?;
    let description = target.describe();
    drop(target);
    let bench = Bench::new(command, description, hosts, args.runs, cells);
    let mut stdout = std::io::stdout().lock();
    match args.output {
        BenchFormat::Text => table::write_text(&bench, &mut stdout)?,
        BenchFormat::Json => table::write_json(&bench, &mut stdout)?,
        BenchFormat::Csv => table::write_csv(&bench, &mut stdout)?,
    }
    stdout.flush()?;
    if let Some(path) = &args.plot {
        plot::write_svg(&bench, path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(u8::from(bench.any_failed()))
}

/// Parse `--external NAME=CMD`.
pub fn parse_external(spec: &str) -> Result<(String, String)> {
    let (name, command) = spec.split_once('=').ok_or_else(|| {
        anyhow!("--external {spec:?}: expected NAME=CMD, e.g. netmiko='python3 bench.py'")
    })?;
    let (name, command) = (name.trim(), command.trim());
    if name.is_empty() || command.is_empty() {
        bail!("--external {spec:?}: both NAME and CMD must be non-empty");
    }
    Ok((name.to_string(), command.to_string()))
}

fn check_unique_names(externals: &[(String, String)]) -> Result<()> {
    for (i, (name, _)) in externals.iter().enumerate() {
        if externals[..i].iter().any(|(other, _)| other == name) {
            bail!("--external name {name:?} is given twice");
        }
    }
    Ok(())
}

/// The cells for `strategies` × `workers`: a strategy `-w` does not change (sequential) once with
/// its one worker, each other strategy once per worker count, capped at the number of hosts
/// (netrun caps it the same way), and a strategy that spreads over threads once more per
/// `threads` count; duplicates dropped. No `--workers` means one worker per host.
pub fn plan_cells(
    strategies: &[StrategyKind],
    workers: &[u32],
    threads: &[u32],
    hosts: usize,
) -> Vec<CellKind> {
    let counts: Vec<usize> = if workers.is_empty() {
        vec![hosts.max(1)]
    } else {
        workers
            .iter()
            .map(|&w| (w as usize).min(hosts).max(1))
            .collect()
    };
    let mut cells = Vec::new();
    for &strategy in strategies {
        let per_strategy: &[usize] = if strategy.takes_workers() {
            &counts
        } else {
            &[1]
        };
        let per_threads: Vec<usize> = match strategy.spreads_over_threads() {
            true => threads.iter().map(|&t| t as usize).collect(),
            false => vec![1],
        };
        for &workers in per_strategy {
            for &threads in &per_threads {
                let cell = CellKind::Netrun {
                    strategy,
                    workers,
                    threads,
                };
                if !cells.contains(&cell) {
                    cells.push(cell);
                }
            }
        }
    }
    cells
}

/// What every child of one bench shares: netrun's own executable, the run setting each child is
/// given, the command timed and the number of hosts.
struct Children {
    exe: PathBuf,
    setting: RunSetting,
    command: String,
    hosts: usize,
    /// The testbed child when the bench started the lab: its CPU is read around each run.
    lab: Option<Pid>,
    /// Fires on SIGINT/SIGTERM: the child being measured is killed and the bench ends.
    stop: &'static StopSource,
}

impl Children {
    fn child(&self, kind: &CellKind) -> Command {
        let mut cmd = match kind {
            CellKind::Netrun {
                strategy,
                workers,
                threads,
            } => self.netrun(*strategy, *workers, *threads),
            CellKind::External { command, .. } => {
                let mut cmd = Command::new("sh");
                cmd.arg("-c").arg(command);
                cmd.env("NETRUN_BENCH_INVENTORY", &self.setting.inventory);
                cmd.env("NETRUN_BENCH_COMMAND", &self.command);
                pass_credentials(&mut cmd, &self.setting.credentials);
                cmd
            }
        };
        cmd.stderr(Stdio::null());
        cmd
    }

    /// `netrun -i INVENTORY -s STRATEGY -w WORKERS ... -c COMMAND`, given the whole run setting.
    /// Every field is named (no `..`), so a setting that is not forwarded fails to compile.
    fn netrun(&self, strategy: StrategyKind, workers: usize, threads: usize) -> Command {
        let RunSetting {
            inventory,
            limit,
            credentials,
            ssh_legacy,
            timeout,
            limits:
                Limits {
                    max_output,
                    command_timeout,
                    retries,
                    retry_delay,
                },
            host_keys:
                HostKeySetting {
                    policy,
                    known_hosts,
                },
            ssh: ssh_config::Setting { choice, jump },
            output: Output { format, verbose },
            shard,
        } = &self.setting;
        let mut cmd = Command::new(&self.exe);
        cmd.arg("-i").arg(inventory);
        cmd.args(["-s", strategy.name(), "-w", &workers.to_string()]);
        if threads > 1 {
            cmd.args(["--threads", &threads.to_string()]);
        }
        cmd.args(["-o", format.name()]);
        if *verbose {
            cmd.arg("--verbose");
        }
        for pattern in limit {
            cmd.args(["-l", pattern]);
        }
        if let Some(timeout) = timeout {
            cmd.args(["--timeout", &timeout.as_secs_f64().to_string()]);
        }
        if *ssh_legacy {
            cmd.arg("--ssh-legacy");
        }
        if !jump.is_empty() {
            let hops: Vec<String> = jump.iter().map(|hop| hop.describe()).collect();
            cmd.args(["--jump", &hops.join(",")]);
        }
        match choice {
            ssh_config::Choice::User => {}
            ssh_config::Choice::File(file) => {
                cmd.arg("--ssh-config").arg(file);
            }
            ssh_config::Choice::Nothing => {
                cmd.arg("--no-ssh-config");
            }
        }
        if *max_output != Limits::default().max_output {
            cmd.args(["--max-output", &max_output.to_string()]);
        }
        if let Some(limit) = command_timeout {
            cmd.args(["--command-timeout", &limit.as_secs_f64().to_string()]);
        }
        if *retries > 0 {
            cmd.args(["--retries", &retries.to_string()]);
            cmd.args(["--retry-delay", &retry_delay.as_secs_f64().to_string()]);
        }
        if let Some(policy) = policy {
            cmd.args(["--host-key-policy", policy.name()]);
        }
        for file in known_hosts {
            cmd.arg("--known-hosts").arg(file);
        }
        if let Some(shard) = shard {
            // As a flag: the child then ignores the environment's index, as this process did.
            cmd.args(["--shard", &shard.id.to_string()]);
            cmd.args(["--shard-rule", shard.rule.name()]);
            cmd.args(["--shard-by", &shard.unit.flag_value()]);
        }
        pass_credentials(&mut cmd, credentials);
        cmd.args(["-c", &self.command]);
        cmd
    }

    /// A bound on one child's run time: with `--timeout T`, every operation (connect, login,
    /// each command) of every session one worker runs in turn, plus slack; else ten minutes.
    fn deadline(&self, kind: &CellKind) -> Duration {
        let Some(timeout) = self.setting.timeout else {
            return CHILD_DEADLINE;
        };
        let workers = match kind {
            CellKind::Netrun { workers, .. } => (*workers).max(1),
            CellKind::External { .. } => 1,
        };
        let rounds = u32::try_from(self.hosts.div_ceil(workers)).unwrap_or(u32::MAX);
        DEADLINE_SLACK.saturating_add(timeout.saturating_mul(3).saturating_mul(rounds))
    }

    fn measure(&self, kind: &CellKind) -> Result<RunRecord> {
        let lab_cpu = || self.lab.and_then(|pid| os::process_cpu(pid).ok());
        let lab_before = lab_cpu();
        let measured = measure::measure(&mut self.child(kind), self.deadline(kind), self.stop)
            .with_context(|| format!("running the {} cell", kind.label()))?;
        let lab_cpu_ms = match (lab_before, lab_cpu()) {
            (Some(before), Some(after)) => Some(after.saturating_sub(before).as_secs_f64() * 1e3),
            _ => None,
        };
        let (inside, problem) = match kind {
            CellKind::External { .. } => (None, None),
            CellKind::Netrun { .. } => match Inside::parse(&measured.stdout) {
                Ok(inside) => (Some(inside), None),
                Err(err) => (
                    None,
                    Some(format!(
                        "no JSON report ({}): {err}",
                        measured.usage.exit.describe()
                    )),
                ),
            },
        };
        Ok(RunRecord {
            usage: measured.usage,
            inside,
            problem,
            lab_cpu_ms,
        })
    }
}

/// The secrets typed for this bench, to a child through its environment, never its argv: the
/// inventory layer gives them to the hosts that lack them, as the prompt did in the parent.
fn pass_credentials(cmd: &mut Command, credentials: &Credentials) {
    let Credentials {
        password,
        key_passphrase,
    } = credentials;
    if let Some(password) = password {
        cmd.env(inventory::PASSWORD_VAR, password.expose());
    }
    if let Some(passphrase) = key_passphrase {
        cmd.env(inventory::KEY_PASSPHRASE_VAR, passphrase.expose());
    }
}

/// One warm-up round, then `runs` measured rounds, each round running every cell once in order.
fn run_interleaved(children: &Children, kinds: Vec<CellKind>, runs: u32) -> Result<Vec<Cell>> {
    let mut cells: Vec<Cell> = kinds
        .into_iter()
        .map(|kind| Cell {
            kind,
            warmup: None,
            runs: Vec::new(),
        })
        .collect();
    let show_progress = std::io::stderr().is_terminal();
    for round in 0..=runs {
        for cell in &mut cells {
            let record = children.measure(&cell.kind)?;
            if show_progress {
                let what = match round {
                    0 => "warm-up".to_string(),
                    n => format!("run {n}/{runs}"),
                };
                eprintln!(
                    "bench: {:<16} {what:<10} {:>9.3} s  {}",
                    cell.kind.label(),
                    record.usage.wall_ms / 1000.0,
                    record.usage.exit.describe()
                );
            }
            if round == 0 {
                cell.warmup = Some(record);
            } else {
                cell.runs.push(record);
            }
        }
    }
    Ok(cells)
}

/// Synthetic cells and runs for the renderers' and statistics' unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::inside::HostBars;
    use super::measure::Exit;
    use super::*;

    /// A run of `wall_ms` with `ok` and `failed` sessions, two threads' worth of everything.
    pub fn run(wall_ms: f64, ok: usize, failed: usize) -> RunRecord {
        let timeline = (0..ok + failed)
            .map(|i| HostBars {
                name: format!("R{}", i + 1),
                ok: i < ok,
                start_ms: i as f64,
                connect_ms: 1.0 + i as f64,
                auth_ms: 5.0,
                commands: vec![(1.0, 2.0)],
                total_ms: 10.0,
                worker: format!("netrun-worker-{}", i % 2),
            })
            .collect();
        RunRecord {
            usage: Usage {
                wall_ms,
                user_ms: wall_ms / 10.0,
                sys_ms: wall_ms / 20.0,
                max_rss_kib: 8000,
                nvcsw: 40,
                nivcsw: 4,
                exit: Exit::Code(if failed > 0 { 1 } else { 0 }),
            },
            inside: Some(Inside {
                workers: 2,
                wall_ms: wall_ms * 0.9,
                ok,
                failed,
                threads_spawned: 2,
                processes_forked: 0,
                tasks_spawned: 0,
                peak_in_flight: 2,
                peak_rss_kib: Some(6000),
                timeline,
                ..Inside::default()
            }),
            problem: None,
            lab_cpu_ms: Some(wall_ms / 40.0),
        }
    }

    /// The strategy named `name`.
    pub fn strategy(name: &str) -> StrategyKind {
        name.parse().unwrap()
    }

    pub fn netrun_cell(strategy: StrategyKind, workers: usize, runs: &[RunRecord]) -> Cell {
        Cell {
            kind: CellKind::Netrun {
                strategy,
                workers,
                threads: 1,
            },
            warmup: runs.first().cloned(),
            runs: runs.to_vec(),
        }
    }

    /// An external command's cell with one run that exited with `code`.
    pub fn external(name: &str, code: i32) -> Cell {
        let mut record = run(500.0, 0, 0);
        record.inside = None;
        record.usage.exit = Exit::Code(code);
        Cell {
            kind: CellKind::External {
                name: name.to_string(),
                command: "python3 bench.py".to_string(),
            },
            warmup: None,
            runs: vec![record],
        }
    }

    /// A bench of all four strategies (2 hosts, 2 runs) and one external command.
    pub fn bench() -> Bench {
        let cells = vec![
            netrun_cell(
                strategy("sequential"),
                1,
                &[run(1000.0, 2, 0), run(1100.0, 2, 0)],
            ),
            netrun_cell(
                strategy("threads"),
                2,
                &[run(500.0, 2, 0), run(600.0, 2, 0)],
            ),
            netrun_cell(strategy("fork"), 2, &[run(700.0, 1, 1), run(650.0, 2, 0)]),
            netrun_cell(strategy("async"), 2, &[run(450.0, 2, 0), run(480.0, 2, 0)]),
            external("netmiko, threads", 0),
        ];
        Bench::new(
            DEFAULT_COMMAND.to_string(),
            "a lab of 2 instant devices".to_string(),
            2,
            2,
            cells,
        )
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Sub};
    use crate::job::{Host, Secret};

    #[test]
    fn external_is_name_equals_command() {
        assert_eq!(
            parse_external("netmiko=python3 bench.py -w 20").unwrap(),
            ("netmiko".to_string(), "python3 bench.py -w 20".to_string())
        );
        // Only the first `=` splits: the command may contain more.
        assert_eq!(
            parse_external("env=FOO=1 true").unwrap(),
            ("env".to_string(), "FOO=1 true".to_string())
        );
        assert!(parse_external("no-equals-sign").is_err());
        assert!(parse_external("=true").is_err());
        assert!(parse_external("name=").is_err());
    }

    #[test]
    fn external_names_are_unique() {
        let twice = vec![
            ("a".to_string(), "true".to_string()),
            ("a".to_string(), "false".to_string()),
        ];
        assert!(check_unique_names(&twice).is_err());
        assert!(check_unique_names(&twice[..1]).is_ok());
    }

    #[test]
    fn sequential_once_others_per_worker_count_capped_at_hosts() {
        let strategies = ["sequential", "threads", "async"].map(test_support::strategy);
        let cells = plan_cells(&strategies, &[1, 5, 50, 100], &[1], 20);
        let labels: Vec<String> = cells.iter().map(CellKind::label).collect();
        assert_eq!(
            labels,
            [
                "sequential",
                "threads ×1",
                "threads ×5",
                "threads ×20",
                "async ×1",
                "async ×5",
                "async ×20"
            ]
        );
    }

    #[test]
    fn default_workers_are_one_per_host() {
        let strategies = ["sequential", "threads", "fork", "async"].map(test_support::strategy);
        let cells = plan_cells(&strategies, &[], &[1], 20);
        assert_eq!(cells.len(), 4);
        assert_eq!(
            cells[2],
            CellKind::Netrun {
                strategy: test_support::strategy("fork"),
                workers: 20,
                threads: 1,
            }
        );
    }

    #[test]
    fn threads_multiply_only_the_cells_of_strategies_that_spread_over_threads() {
        let strategies = ["sequential", "threads", "async"].map(test_support::strategy);
        let cells = plan_cells(&strategies, &[5, 50], &[1, 2], 20);
        let labels: Vec<String> = cells.iter().map(CellKind::label).collect();
        assert_eq!(
            labels,
            [
                "sequential",
                "threads ×5",
                "threads ×20",
                "async ×5",
                "async ×5 on 2 threads",
                "async ×20",
                "async ×20 on 2 threads"
            ]
        );
    }

    /// Children of a bench of `hosts` hosts against `inventory`, with `setting`'s other fields.
    fn children(inventory: &str, hosts: usize, setting: RunSetting) -> Children {
        Children {
            exe: PathBuf::from("/usr/bin/netrun"),
            setting: RunSetting {
                inventory: PathBuf::from(inventory),
                ..setting
            },
            command: DEFAULT_COMMAND.to_string(),
            hosts,
            lab: None,
            stop: Box::leak(Box::new(StopSource::new().unwrap())),
        }
    }

    fn quiet_setting() -> RunSetting {
        RunSetting {
            inventory: PathBuf::new(),
            limit: Vec::new(),
            credentials: Credentials::default(),
            ssh_legacy: false,
            timeout: None,
            limits: Limits::default(),
            host_keys: HostKeySetting::default(),
            ssh: ssh_config::Setting::default(),
            output: Output::JSON,
            shard: None,
        }
    }

    fn argv(cmd: &Command) -> Vec<String> {
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    fn env_of(cmd: &Command, name: &str) -> Option<String> {
        cmd.get_envs()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()))
    }

    #[test]
    fn netrun_children_get_json_and_the_command_in_argv_but_no_password() {
        let children = children(
            "/tmp/lab/devices.yaml",
            20,
            RunSetting {
                limit: vec!["R1*".to_string()],
                timeout: Some(Duration::from_secs_f64(2.5)),
                limits: Limits::default(),
                credentials: Credentials {
                    password: Some(Secret::new("s3cret")),
                    key_passphrase: None,
                },
                ..quiet_setting()
            },
        );
        let kind = CellKind::Netrun {
            strategy: test_support::strategy("fork"),
            workers: 5,
            threads: 1,
        };
        let cmd = children.child(&kind);
        assert_eq!(
            argv(&cmd),
            [
                "-i",
                "/tmp/lab/devices.yaml",
                "-s",
                "fork",
                "-w",
                "5",
                "-o",
                "json",
                "-l",
                "R1*",
                "--timeout",
                "2.5",
                "-c",
                "show ip interface brief"
            ]
        );
        assert_eq!(env_of(&cmd, "NETRUN_PASSWORD").as_deref(), Some("s3cret"));
        // 20 hosts on 5 workers: 4 sessions each, 3 operations of 2.5 s, plus slack.
        assert_eq!(children.deadline(&kind), Duration::from_secs(60 + 30));
    }

    /// What a host was resolved to, secrets in clear, for comparing two resolutions.
    fn resolved(hosts: &[Host]) -> Vec<(String, String, Option<String>, bool, Duration)> {
        hosts
            .iter()
            .map(|h| {
                (
                    h.name.clone(),
                    h.password.expose().to_string(),
                    h.key_passphrase.as_ref().map(|p| p.expose().to_string()),
                    h.ssh_legacy,
                    h.timeout,
                )
            })
            .collect()
    }

    #[test]
    fn a_child_resolves_the_same_hosts_as_the_bench_with_no_secret_in_argv() {
        let dir = tempfile::tempdir().unwrap();
        let inventory = settings::test_support::inventory(dir.path());
        let flags = [
            "netrun",
            "bench",
            "-i",
            inventory.to_str().unwrap(),
            "-l",
            "R*",
            "--timeout",
            "2.5",
            "--ssh-legacy",
            "--ask-pass",
            "--ask-key-pass",
        ];
        let Some(Sub::Bench(args)) = Cli::try_parse_from(flags).unwrap().subcommand else {
            panic!("not a bench");
        };
        let typed = |prompt: &str| -> std::io::Result<String> {
            Ok(format!("typed {}", prompt.trim_end_matches(": ")))
        };
        // No netrun variable; a HOME whose known_hosts does not exist.
        let no_env = |name: &str| (name == "HOME").then(|| "/nonexistent-home".to_string());
        let parent = settings::resolve(&args.target, Output::JSON, &no_env, &typed).unwrap();
        let children = Children {
            exe: PathBuf::from("/usr/bin/netrun"),
            setting: parent.setting.clone(),
            command: DEFAULT_COMMAND.to_string(),
            hosts: parent.hosts.len(),
            lab: None,
            stop: Box::leak(Box::new(StopSource::new().unwrap())),
        };
        let cmd = children.child(&CellKind::Netrun {
            strategy: "async".parse().unwrap(),
            workers: 2,
            threads: 2,
        });
        let args = argv(&cmd);
        assert!(
            !args.iter().any(|a| a.contains("typed")),
            "a secret in argv: {args:?}"
        );

        let child = Cli::try_parse_from(std::iter::once("netrun".to_string()).chain(args)).unwrap();
        assert!(child.subcommand.is_none());
        assert_eq!(
            child.show.exec.strategy,
            "async".parse::<StrategyKind>().unwrap()
        );
        assert_eq!(child.show.exec.workers, Some(2));
        assert_eq!(child.show.exec.threads().unwrap(), 2);
        assert_eq!(child.show.command_list(), [DEFAULT_COMMAND]);
        // The child inherits HOME; here it is one whose known_hosts does not exist.
        let child_env = |name: &str| match name {
            "HOME" => Some("/nonexistent-home".to_string()),
            _ => env_of(&cmd, name),
        };
        let never_asked = |prompt: &str| -> std::io::Result<String> {
            Err(std::io::Error::other(format!("the child asked {prompt:?}")))
        };
        let output = Output {
            format: child.show.exec.output,
            verbose: child.show.exec.verbose,
        };
        let child =
            settings::resolve(&child.show.target, output, &child_env, &never_asked).unwrap();
        assert_eq!(
            resolved(&child.hosts),
            [
                (
                    "R1".to_string(),
                    "typed Password".to_string(),
                    Some("typed Key passphrase".to_string()),
                    true,
                    Duration::from_secs_f64(2.5)
                ),
                (
                    "R2".to_string(),
                    "own".to_string(),
                    None,
                    true,
                    Duration::from_secs_f64(2.5)
                ),
            ]
        );
        assert_eq!(resolved(&child.hosts), resolved(&parent.hosts));
        assert_eq!(
            child.setting,
            RunSetting {
                credentials: Credentials::default(),
                ..parent.setting
            }
        );
    }

    #[test]
    fn external_children_run_under_sh_with_the_inventory_in_the_environment() {
        let children = children(
            "/tmp/lab/devices.yaml",
            2,
            RunSetting {
                credentials: Credentials {
                    password: Some(Secret::new("pw")),
                    key_passphrase: Some(Secret::new("kp")),
                },
                ..quiet_setting()
            },
        );
        let kind = CellKind::External {
            name: "probe".to_string(),
            command: "test -f \"$NETRUN_BENCH_INVENTORY\"".to_string(),
        };
        let cmd = children.child(&kind);
        assert_eq!(cmd.get_program(), "sh");
        assert!(cmd.get_envs().any(|(k, _)| k == "NETRUN_BENCH_INVENTORY"));
        assert_eq!(env_of(&cmd, "NETRUN_PASSWORD").as_deref(), Some("pw"));
        assert_eq!(env_of(&cmd, "NETRUN_KEY_PASSPHRASE").as_deref(), Some("kp"));
        assert_eq!(children.deadline(&kind), CHILD_DEADLINE);
    }

    #[test]
    fn an_external_cell_is_measured_by_wait4() {
        let children = Children {
            exe: PathBuf::from("/nonexistent"),
            ..children("/tmp/netrun-bench-unit.yaml", 1, quiet_setting())
        };
        let kind = CellKind::External {
            name: "probe".to_string(),
            command: "test \"$NETRUN_BENCH_INVENTORY\" = /tmp/netrun-bench-unit.yaml".to_string(),
        };
        let cells = run_interleaved(&children, vec![kind], 2).unwrap();
        assert!(cells[0].warmup.is_some());
        assert_eq!(cells[0].runs.len(), 2);
        assert!(cells[0].runs.iter().all(|r| r.usage.exit.success()));
        assert!(cells[0].runs.iter().all(|r| r.inside.is_none()));
    }
}
