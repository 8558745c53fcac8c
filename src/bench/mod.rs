//! `netrun bench`: time the strategies against a lab the way the book does, measured by the OS.
//!
//! The lab starts once. Each cell (strategy × workers, or an `--external` command) runs as its own
//! child process — netrun re-executing itself with `-o json` — one warm-up round first, then
//! `--runs` rounds interleaved across cells (A B C A B C ...), so a slow spell of the machine hits
//! every cell alike. Each child is measured from outside with wait4's rusage (`measure`) and read
//! from inside through its JSON (`inside`); `stats` summarises, `table` renders, `plot` draws.

pub mod inside;
pub mod measure;
pub mod plot;
pub mod stats;
pub mod table;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use crate::cli::{BenchArgs, BenchFormat};
use crate::lab::Lab;
use crate::strategy::StrategyKind;

pub use inside::Inside;
pub use measure::Usage;
pub use stats::{Spread, Summary};

/// The command timed when none is given (the book's).
pub const DEFAULT_COMMAND: &str = "show ip interface brief";

/// How long one measured child may run when no `--timeout` bounds its sessions.
const CHILD_DEADLINE: Duration = Duration::from_secs(600);

/// Slack added to a `--timeout`-derived deadline (process start, lab inventory, JSON output).
const DEADLINE_SLACK: Duration = Duration::from_secs(60);

/// What a cell runs.
#[derive(Debug, Clone, PartialEq)]
pub enum CellKind {
    /// `netrun -s STRATEGY -w WORKERS -o json`.
    Netrun {
        strategy: StrategyKind,
        workers: usize,
    },
    /// `sh -c COMMAND`, with `$NETRUN_BENCH_INVENTORY` set.
    External { name: String, command: String },
}

impl CellKind {
    /// The row label: `sequential` (a strategy `-w` does not change), `threads ×20`, or the
    /// external command's name.
    pub fn label(&self) -> String {
        match self {
            CellKind::Netrun { strategy, workers } if strategy.takes_workers() => {
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
pub fn run(args: &BenchArgs) -> Result<u8> {
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
    if let Some(seconds) = args.target.timeout {
        if !(seconds.is_finite() && seconds > 0.0) {
            bail!("--timeout must be a positive number of seconds");
        }
    }
    let password = if args.target.ask_pass {
        Some(rpassword::prompt_password("Password: ").context("reading the password")?)
    } else {
        None
    };
    let exe = std::env::current_exe().context("finding netrun's own executable")?;
    let lab = start_lab(args)?;
    let (inventory, target) = match (&lab, &args.target.inventory) {
        (Some(lab), _) => (
            lab.inventory(),
            format!(
                "a lab of {} {} devices",
                args.target.lab.unwrap_or(0),
                args.target.lab_profile
            ),
        ),
        (None, Some(path)) => (path.clone(), format!("inventory {}", path.display())),
        (None, None) => {
            let path = default_inventory();
            let target = format!("inventory {}", path.display());
            (path, target)
        }
    };
    let hosts = count_hosts(&exe, &inventory, &args.target.limit)?;
    if hosts == 0 {
        bail!("no host to time: the inventory (after --limit) is empty");
    }
    let mut kinds = plan_cells(&args.strategies, &args.workers, hosts);
    kinds.extend(
        externals
            .into_iter()
            .map(|(name, command)| CellKind::External { name, command }),
    );
    let setting = Setting {
        exe,
        inventory,
        limit: args.target.limit.clone(),
        timeout: args.target.timeout,
        password,
        command: command.clone(),
        hosts,
    };
    let cells = run_interleaved(&setting, kinds, args.runs)?;
    drop(lab);
    let bench = Bench::new(command, target, hosts, args.runs, cells);
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
/// (netrun caps it the same way), duplicates dropped. No `--workers` means one worker per host.
pub fn plan_cells(strategies: &[StrategyKind], workers: &[u32], hosts: usize) -> Vec<CellKind> {
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
        for &workers in per_strategy {
            let cell = CellKind::Netrun { strategy, workers };
            if !cells.contains(&cell) {
                cells.push(cell);
            }
        }
    }
    cells
}

fn start_lab(args: &BenchArgs) -> Result<Option<Lab>> {
    match args.target.lab {
        None => Ok(None),
        Some(0) => bail!("--lab needs at least one device"),
        Some(devices) => {
            let faults: Vec<String> = args
                .target
                .lab_fault
                .iter()
                .flat_map(|f| ["--fault".to_string(), f.clone()])
                .collect();
            Ok(Some(Lab::start(
                devices,
                &args.target.lab_profile,
                &faults,
            )?))
        }
    }
}

/// netrun's default inventory: `$NETRUN_INVENTORY`, else `./inventory/devices.yaml`.
fn default_inventory() -> PathBuf {
    std::env::var_os("NETRUN_INVENTORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("inventory/devices.yaml"))
}

/// How many hosts one run talks to: `netrun inventory -o json` (with the same `--limit`) in a
/// child, so the bench resolves hosts exactly as the measured runs will. Its stderr is the
/// user's, so an inventory error reads as it would from `netrun` itself.
fn count_hosts(exe: &Path, inventory: &Path, limit: &[String]) -> Result<usize> {
    let mut cmd = Command::new(exe);
    cmd.arg("inventory").arg("-i").arg(inventory);
    for pattern in limit {
        cmd.args(["-l", pattern]);
    }
    cmd.args(["-o", "json"]).stderr(Stdio::inherit());
    let measured = measure::measure(&mut cmd, Duration::from_secs(60))
        .context("listing the inventory (netrun inventory)")?;
    if !measured.usage.exit.success() {
        bail!(
            "`netrun inventory -i {}` failed ({})",
            inventory.display(),
            measured.usage.exit.describe()
        );
    }
    let hosts: Vec<serde_json::Value> =
        serde_json::from_slice(&measured.stdout).context("reading `netrun inventory -o json`")?;
    Ok(hosts.len())
}

/// What every child of one bench shares.
struct Setting {
    exe: PathBuf,
    inventory: PathBuf,
    limit: Vec<String>,
    timeout: Option<f64>,
    password: Option<String>,
    command: String,
    hosts: usize,
}

impl Setting {
    fn child(&self, kind: &CellKind) -> Command {
        let mut cmd = match kind {
            CellKind::Netrun { strategy, workers } => {
                let mut cmd = Command::new(&self.exe);
                cmd.arg("-i").arg(&self.inventory);
                cmd.args(["-s", strategy.name(), "-w", &workers.to_string()]);
                cmd.args(["-o", "json"]);
                for pattern in &self.limit {
                    cmd.args(["-l", pattern]);
                }
                if let Some(seconds) = self.timeout {
                    cmd.args(["--timeout", &seconds.to_string()]);
                }
                cmd.args(["-c", &self.command]);
                cmd
            }
            CellKind::External { command, .. } => {
                let mut cmd = Command::new("sh");
                cmd.arg("-c").arg(command);
                cmd.env("NETRUN_BENCH_INVENTORY", &self.inventory);
                cmd
            }
        };
        // The password reaches the children through the environment, never argv.
        if let Some(password) = &self.password {
            cmd.env("NETRUN_PASSWORD", password);
        }
        cmd.stderr(Stdio::null());
        cmd
    }

    /// A bound on one child's run time: with `--timeout T`, every operation (connect, login,
    /// each command) of every session one worker runs in turn, plus slack; else ten minutes.
    fn deadline(&self, kind: &CellKind) -> Duration {
        let Some(seconds) = self.timeout else {
            return CHILD_DEADLINE;
        };
        let workers = match kind {
            CellKind::Netrun { workers, .. } => (*workers).max(1),
            CellKind::External { .. } => 1,
        };
        let rounds = self.hosts.div_ceil(workers) as f64;
        DEADLINE_SLACK + Duration::from_secs_f64(seconds * 3.0 * rounds)
    }

    fn measure(&self, kind: &CellKind) -> Result<RunRecord> {
        let measured = measure::measure(&mut self.child(kind), self.deadline(kind))
            .with_context(|| format!("running the {} cell", kind.label()))?;
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
        })
    }
}

/// One warm-up round, then `runs` measured rounds, each round running every cell once in order.
fn run_interleaved(setting: &Setting, kinds: Vec<CellKind>, runs: u32) -> Result<Vec<Cell>> {
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
            let record = setting.measure(&cell.kind)?;
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
                connect_ms: 1.0,
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
                timeline,
                ..Inside::default()
            }),
            problem: None,
        }
    }

    /// The strategy named `name`.
    pub fn strategy(name: &str) -> StrategyKind {
        name.parse().unwrap()
    }

    pub fn netrun_cell(strategy: StrategyKind, workers: usize, runs: &[RunRecord]) -> Cell {
        Cell {
            kind: CellKind::Netrun { strategy, workers },
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
    use super::*;

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
        let cells = plan_cells(&strategies, &[1, 5, 50, 100], 20);
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
        let cells = plan_cells(&strategies, &[], 20);
        assert_eq!(cells.len(), 4);
        assert_eq!(
            cells[2],
            CellKind::Netrun {
                strategy: test_support::strategy("fork"),
                workers: 20
            }
        );
    }

    #[test]
    fn netrun_children_get_json_and_the_command_in_argv_but_no_password() {
        let setting = Setting {
            exe: PathBuf::from("/usr/bin/netrun"),
            inventory: PathBuf::from("/tmp/lab/devices.yaml"),
            limit: vec!["R1*".to_string()],
            timeout: Some(2.5),
            password: Some("s3cret".to_string()),
            command: DEFAULT_COMMAND.to_string(),
            hosts: 20,
        };
        let kind = CellKind::Netrun {
            strategy: test_support::strategy("fork"),
            workers: 5,
        };
        let cmd = setting.child(&kind);
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
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
        assert!(cmd
            .get_envs()
            .any(|(k, v)| k == "NETRUN_PASSWORD" && v.is_some_and(|v| v == "s3cret")));
        // 20 hosts on 5 workers: 4 sessions each, 3 operations of 2.5 s, plus slack.
        assert_eq!(setting.deadline(&kind), Duration::from_secs(60 + 30));
    }

    #[test]
    fn external_children_run_under_sh_with_the_inventory_in_the_environment() {
        let setting = Setting {
            exe: PathBuf::from("/usr/bin/netrun"),
            inventory: PathBuf::from("/tmp/lab/devices.yaml"),
            limit: Vec::new(),
            timeout: None,
            password: None,
            command: DEFAULT_COMMAND.to_string(),
            hosts: 2,
        };
        let kind = CellKind::External {
            name: "probe".to_string(),
            command: "test -f \"$NETRUN_BENCH_INVENTORY\"".to_string(),
        };
        let cmd = setting.child(&kind);
        assert_eq!(cmd.get_program(), "sh");
        assert!(cmd.get_envs().any(|(k, _)| k == "NETRUN_BENCH_INVENTORY"));
        assert_eq!(setting.deadline(&kind), CHILD_DEADLINE);
    }

    #[test]
    fn an_external_cell_is_measured_by_wait4() {
        let setting = Setting {
            exe: PathBuf::from("/nonexistent"),
            inventory: PathBuf::from("/tmp/netrun-bench-unit.yaml"),
            limit: Vec::new(),
            timeout: None,
            password: None,
            command: DEFAULT_COMMAND.to_string(),
            hosts: 1,
        };
        let kind = CellKind::External {
            name: "probe".to_string(),
            command: "test \"$NETRUN_BENCH_INVENTORY\" = /tmp/netrun-bench-unit.yaml".to_string(),
        };
        let cells = run_interleaved(&setting, vec![kind], 2).unwrap();
        assert!(cells[0].warmup.is_some());
        assert_eq!(cells[0].runs.len(), 2);
        assert!(cells[0].runs.iter().all(|r| r.usage.exit.success()));
        assert!(cells[0].runs.iter().all(|r| r.inside.is_none()));
    }
}
