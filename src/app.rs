//! The edge: turns parsed arguments into a run (inventory → jobs → strategy → report) and maps
//! every error to an exit status: 0 all hosts ok, 1 some host failed, 2 nothing was run (usage,
//! inventory or set-up error), 128 + N when signal N (SIGINT 130, SIGTERM 143) stopped the run.
//!
//! SIGINT and SIGTERM are caught before the flags are resolved (so before a `--lab` starts): the
//! strategy then winds down, and this module still prints every finished host, writes their
//! `--save` files and the summary, and returns, so the lab and its temporary inventory are
//! removed on the way out.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, Context};
use time::UtcOffset;

use crate::cli::{
    BenchArgs, Cli, ConfigArgs, ExecArgs, InventoryArgs, KnownHostsArgs, OutputFormat, ShowArgs,
    Sub, TargetArgs,
};
use crate::config::{self, LineSource};
use crate::hostkeys::KnownHosts;
use crate::inventory;
use crate::job::{ConfigPlan, ErrorKind, EventSink, Host, Job, NoEvents, Outcome, Task};
use crate::os::{self, StopSource};
use crate::parse::{locate, Parser};
use crate::preflight;
use crate::report::events::{AroundProgress, EventLog, Progress};
use crate::report::stream::{self as results, Record, RunId, Stream};
use crate::report::{self, Report};
use crate::session::SessionRunner;
use crate::settings::{self, Output, Target};
use crate::shard::ShardInfo;
use crate::strategy::{self, NoOutcomes, OutcomeSink, StrategyKind};

/// Exit statuses.
pub const EXIT_OK: u8 = 0;
pub const EXIT_SOME_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// Run the parsed command line. `offset` is the local UTC offset, read before any thread exists.
pub fn run(cli: Cli, offset: UtcOffset) -> ExitCode {
    // Before any thread, so every thread and child starts with it. Refused or unreadable, the
    // limit stays as it was; `fit_open_files` then works with what is in force.
    let _ = os::raise_open_files_limit();
    let result = match cli.subcommand {
        Some(Sub::Testbed { args }) => {
            let code =
                testbed::cli::run_from_args(std::iter::once("netrun-testbed".into()).chain(args));
            return ExitCode::from(u8::try_from(code).unwrap_or(EXIT_USAGE));
        }
        Some(Sub::Inventory(args)) => list_inventory(&args),
        Some(Sub::Bench(args)) => preflight_bench(&args)
            .and_then(|()| stop_source())
            .and_then(|stop| bench(&args, stop)),
        Some(Sub::Config(args)) => stop_source().and_then(|stop| run_config(&args, offset, stop)),
        Some(Sub::KnownHosts(args)) => {
            stop_source().and_then(|stop| scan_host_keys(&args, offset, stop))
        }
        Some(Sub::Run(args)) => stop_source().and_then(|stop| run_show(&args, offset, stop)),
        Some(Sub::Merge(args)) => crate::merge::run(&args),
        Some(Sub::Completions { shell }) => completions(shell),
        Some(Sub::Man) => man_page(),
        None => stop_source().and_then(|stop| run_show(&cli.show, offset, stop)),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("netrun: {err:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// `netrun completions SHELL`: the shell's completion script, from clap's definitions.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<u8> {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "netrun", &mut script);
    print_all(&script)
}

/// `netrun man`: the man page in roff, from clap's definitions.
fn man_page() -> anyhow::Result<u8> {
    use clap::CommandFactory;
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    print_all(&page)
}

/// Write `bytes` to stdout; a reader that stops early (`| head`) is not an error.
fn print_all(bytes: &[u8]) -> anyhow::Result<u8> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(EXIT_OK),
    }
}

/// `netrun bench`; a stop signal ends it with 128 + the signal's number.
fn bench(args: &BenchArgs, stop: &'static StopSource) -> anyhow::Result<u8> {
    let result = crate::bench::run(args, stop);
    match (stop.signal(), result) {
        (Some(signal), Err(err)) => {
            eprintln!("netrun: bench: {err:#}");
            Ok(exit_status_for(signal))
        }
        (_, result) => result,
    }
}

/// SIGINT and SIGTERM, caught from here on.
fn stop_source() -> anyhow::Result<&'static StopSource> {
    os::catch_stop_signals().context("catching SIGINT and SIGTERM")
}

/// Resolve the target flags the one way every subcommand does, asking on the terminal.
fn resolve(args: &TargetArgs, output: Output) -> anyhow::Result<Target> {
    settings::resolve(args, output, &settings::process_env, &settings::terminal)
}

/// `resolve` for a run of sessions, after refusing a `--threads` the strategy does not take.
fn resolve_exec(args: &TargetArgs, exec: &ExecArgs) -> anyhow::Result<Target> {
    exec.threads()?;
    resolve(args, output_of(exec))
}

/// The output a run of sessions was asked for.
fn output_of(exec: &ExecArgs) -> Output {
    Output {
        format: exec.output,
        verbose: exec.verbose,
    }
}

fn run_show(args: &ShowArgs, offset: UtcOffset, stop: &'static StopSource) -> anyhow::Result<u8> {
    let mut commands = args.command_list();
    let mut answers = args.answers_per_command();
    if let Some(file) = &args.file {
        for entry in crate::commands::read(file)? {
            commands.push(entry.command);
            answers.push(entry.answers);
        }
    }
    if commands.is_empty() {
        return Err(anyhow!(
            "no command given: say what to run, e.g. `netrun show version` or `netrun -c 'show clock'`"
        ));
    }
    if let Some(dir) = &args.save {
        preflight::writable_dir("--save", dir)?;
    }
    let parser = settings::parser(&args.parse, &settings::process_env, &locate::ask_python)?;
    preflight_exec(&args.exec)?;
    let target = resolve_exec(&args.target, &args.exec)?;
    let jobs = jobs_for(target.hosts, || Task::Show {
        commands: commands.clone(),
        answers: answers.clone(),
    });
    execute(
        jobs,
        &args.exec,
        Reporting {
            output: target.setting.output,
            save_dir: args.save.as_deref(),
            host_keys_only: false,
            shard: target.shard,
            positions: target.positions,
        },
        target.known_hosts,
        parser,
        offset,
        stop,
    )
}

/// `netrun known-hosts`: every host's SSH key fetched in one fan-out (key exchange only, no
/// login), checked and recorded under the resolved policy.
fn scan_host_keys(
    args: &KnownHostsArgs,
    offset: UtcOffset,
    stop: &'static StopSource,
) -> anyhow::Result<u8> {
    preflight_exec(&args.exec)?;
    let target = resolve_exec(&args.target, &args.exec)?;
    let jobs = jobs_for(target.hosts, || Task::HostKeyScan);
    execute(
        jobs,
        &args.exec,
        Reporting {
            output: target.setting.output,
            save_dir: None,
            host_keys_only: true,
            shard: target.shard,
            positions: target.positions,
        },
        target.known_hosts,
        None,
        offset,
        stop,
    )
}

/// `netrun config`: render every host's lines first (a template error stops the run before any
/// connection), then push them — or, with `--dry-run`, print them and connect to nothing.
fn run_config(
    args: &ConfigArgs,
    offset: UtcOffset,
    stop: &'static StopSource,
) -> anyhow::Result<u8> {
    let source = match (&args.file, &args.template) {
        (Some(file), _) => LineSource::File(file.clone()),
        (None, Some(template)) => LineSource::Template(template.clone()),
        (None, None) => LineSource::Lines(args.lines.clone()),
    };
    preflight_config(args)?;
    let target = resolve_exec(&args.target, &args.exec)?;
    let lines = config::lines_per_host(&source, &target.hosts)?;
    if args.dry_run {
        let mut stdout = std::io::stdout().lock();
        for (host, lines) in target.hosts.iter().zip(&lines) {
            stdout.write_all(config::dry_run_text(host, lines).as_bytes())?;
        }
        eprintln!("dry run: {} hosts, nothing was sent", target.hosts.len());
        return Ok(EXIT_OK);
    }
    let jobs: Vec<Job> = target
        .hosts
        .into_iter()
        .zip(lines)
        .enumerate()
        .map(|(index, (host, lines))| Job {
            index,
            host,
            task: Task::Config(ConfigPlan {
                lines,
                continue_on_error: args.continue_on_error,
                save: args.save,
                diff: args.diff,
            }),
        })
        .collect();
    execute(
        jobs,
        &args.exec,
        Reporting {
            output: target.setting.output,
            save_dir: args.save_dir.as_deref(),
            host_keys_only: false,
            shard: target.shard,
            positions: target.positions,
        },
        target.known_hosts,
        None,
        offset,
        stop,
    )
}

/// One job per host, in inventory order, each doing `task`.
fn jobs_for(hosts: Vec<Host>, task: impl Fn() -> Task) -> Vec<Job> {
    hosts
        .into_iter()
        .enumerate()
        .map(|(index, host)| Job {
            index,
            host,
            task: task(),
        })
        .collect()
}

/// `netrun config`'s pre-flight: the line file or template reads, and the `--save-dir` takes
/// files (unless `--dry-run`, which writes none), all before the inventory or any device.
fn preflight_config(args: &ConfigArgs) -> anyhow::Result<()> {
    if args.dry_run && args.diff {
        return Err(anyhow!(
            "--dry-run connects to nothing, so it cannot read the running-config that --diff \
             compares: use --dry-run to see the lines each device would get, or --diff on a \
             real push to see what changed"
        ));
    }
    if let Some(file) = &args.file {
        preflight::readable_file("--file", file)?;
    }
    if let Some(template) = &args.template {
        preflight::readable_file("--template", template)?;
    }
    match &args.save_dir {
        Some(dir) if !args.dry_run => preflight::writable_dir("--save-dir", dir)?,
        _ => {}
    }
    match args.dry_run {
        false => preflight_exec(&args.exec),
        true => Ok(()),
    }
}

/// The pre-flight of every run of sessions, for the run options naming files: the
/// `--session-log` folder takes files and `--failed-out` can be written.
fn preflight_exec(exec: &ExecArgs) -> anyhow::Result<()> {
    if let Some(dir) = &exec.session_log {
        preflight::writable_dir("--session-log", dir)?;
    }
    if let Some(file) = &exec.results {
        preflight::writable_file("--results", file)?;
    }
    match &exec.failed_out {
        Some(file) => preflight::writable_file("--failed-out", file),
        None => Ok(()),
    }
}

/// The variable giving a run's id, so the shards of one job share it.
pub const RUN_ID_VAR: &str = "NETRUN_RUN_ID";

/// `$NETRUN_RUN_ID`, else 16 random hex digits (from /dev/urandom).
fn run_id() -> anyhow::Result<String> {
    if let Some(id) = std::env::var(RUN_ID_VAR).ok().filter(|id| !id.is_empty()) {
        return Ok(id);
    }
    let mut bytes = [0u8; 8];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)
        .context("reading /dev/urandom for the run id")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `--failed-out`: the names of the hosts that did not succeed (interrupted ones included, so a
/// re-run with `-l @FILE` completes the run), one a line.
pub(crate) fn write_failed_names(file: &Path, outcomes: &[Outcome]) -> anyhow::Result<()> {
    let names: String = outcomes
        .iter()
        .filter(|o| o.failure.is_some())
        .map(|o| format!("{}\n", o.name))
        .collect();
    std::fs::write(file, names).with_context(|| format!("--failed-out {}", file.display()))
}

/// `netrun bench`'s pre-flight: the `--plot` file can be written, before any lab or child runs.
fn preflight_bench(args: &BenchArgs) -> anyhow::Result<()> {
    match &args.plot {
        Some(plot) => preflight::writable_file("--plot", plot),
        None => Ok(()),
    }
}

/// How a run's results are reported.
struct Reporting<'a> {
    output: Output,
    save_dir: Option<&'a Path>,
    /// `netrun known-hosts`: the text report is one line per host key.
    host_keys_only: bool,
    /// The shard the hosts are (`settings::Target::shard`), and their places before it.
    shard: Option<ShardInfo>,
    positions: Vec<usize>,
}

/// Run `jobs` under the chosen strategy (each worker parsing its outputs when `parser` is given)
/// and report as `reporting` says. Shared by every
/// subcommand that talks to devices.
fn execute(
    jobs: Vec<Job>,
    exec: &ExecArgs,
    reporting: Reporting,
    known_hosts: Arc<KnownHosts>,
    parser: Option<Parser>,
    offset: UtcOffset,
    stop: &'static StopSource,
) -> anyhow::Result<u8> {
    let Reporting {
        output,
        save_dir,
        host_keys_only,
        shard,
        positions,
    } = reporting;
    let id = RunId {
        id: run_id()?,
        shard,
        started_at_us: crate::job::now_us(),
        positions,
    };
    let workers = fit_workers(exec, jobs.len());
    let threads = exec.threads()?;
    let names: Vec<String> = jobs.iter().map(|j| j.host.name.clone()).collect();
    let progress = (!output.verbose && std::io::stderr().is_terminal())
        .then(|| Arc::new(Progress::new(jobs.len())));
    let events: Arc<dyn EventSink> = match (&progress, output.verbose) {
        (_, true) => Arc::new(EventLog::new(names, offset, Box::new(std::io::stderr()))),
        (Some(progress), false) => progress.clone(),
        (None, false) => Arc::new(NoEvents),
    };
    if let Some(parser) = &parser {
        parser.prepare(&jobs);
    }
    let parsing = parser.is_some();
    let record = match output.format {
        OutputFormat::Text if host_keys_only => Some(Record::HostKey),
        OutputFormat::Text => Some(Record::Text),
        OutputFormat::Jsonl => Some(Record::Jsonl),
        OutputFormat::Json => None,
    };
    // Text and jsonl are written host by host as the strategy hands outcomes back; json is one
    // document, written at the end.
    let stream = record.map(|record| {
        let out = AroundProgress {
            progress: progress.clone(),
            out: std::io::stdout(),
        };
        Stream::new(record, exec.order, jobs.len(), id.clone(), out)
    });
    let started = Instant::now();
    let runner = Arc::new(
        SessionRunner::new(started, known_hosts, parser.map(Arc::new))
            .with_profiles_of(&jobs)
            .with_session_log(exec.session_log.clone()),
    );
    let sink: &dyn OutcomeSink = match &stream {
        Some(stream) => stream,
        None => &NoOutcomes,
    };
    let run = strategy::run(
        exec.strategy,
        jobs,
        workers,
        threads,
        runner,
        events,
        sink,
        stop,
    )?;
    let wall = started.elapsed();
    if let Some(progress) = progress {
        progress.finish();
    }
    let report = Report {
        run: &run,
        strategy: exec.strategy,
        workers,
        wall,
        parsing,
        shard: id.shard.as_ref(),
    };
    let written = match stream {
        Some(stream) => stream.finish(&report),
        None => {
            // Buffered: a JSON report of thousands of hosts (more with parsed records) is
            // hundreds of thousands of lines, each a write(2) otherwise.
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            report.write_json(&mut stdout).and_then(|()| stdout.flush())
        }
    };
    // A reader that stops early (`| head`) is not an error of the run.
    match written {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => return Err(err.into()),
        _ => {}
    }
    if let Some(dir) = save_dir {
        report::save_per_host(dir, &finished(&run.outcomes))
            .with_context(|| format!("saving results to {}", dir.display()))?;
    }
    if let Some(file) = &exec.failed_out {
        write_failed_names(file, &run.outcomes)?;
    }
    if let Some(file) = &exec.results {
        results::write_results(file, &report, &id)
            .with_context(|| format!("--results {}", file.display()))?;
    }
    eprintln!("{}", report.summary());
    if let Some(signal) = stop.signal() {
        let unfinished = run.outcomes.len() - finished(&run.outcomes).len();
        eprintln!(
            "netrun: interrupted by {}: {unfinished} of {} hosts did not finish",
            signal.as_str(),
            run.outcomes.len()
        );
        return Ok(exit_status_for(signal));
    }
    Ok(if report.failed() == 0 {
        EXIT_OK
    } else {
        EXIT_SOME_FAILED
    })
}

/// The workers for `hosts` hosts: `-w` (or a fixed default) fitted under the open-files limit,
/// or a strategy's default fan-out fitted, silently, to the open-files limit and memory.
fn fit_workers(exec: &ExecArgs, hosts: usize) -> usize {
    let wanted = exec.workers_for(hosts);
    match exec.workers.is_none() && exec.strategy.fans_out() {
        true => exec.strategy.fan_out_within(
            wanted,
            os::open_files_limit().ok(),
            os::mem_available().ok(),
        ),
        false => fit_open_files(exec.strategy, wanted),
    }
}

/// `workers` lowered, with a warning on stderr saying why, when their descriptors would not fit
/// under the open-files limit (already raised to the hard limit): hosts then wait for a worker
/// instead of failing with EMFILE.
fn fit_open_files(strategy: StrategyKind, workers: usize) -> usize {
    let Ok(limit) = os::open_files_limit() else {
        return workers;
    };
    let fit = strategy.workers_within(workers, limit);
    if fit < workers {
        eprintln!(
            "netrun: warning: {workers} workers under {strategy} need about {} open files, but \
             the open-files limit (RLIMIT_NOFILE) is {limit}, even raised to its hard limit; \
             running {fit} workers (raise the hard limit with `ulimit -Hn` to run more)",
            strategy.fds_needed(workers)
        );
    }
    fit
}

/// The outcomes of hosts that finished (were not cut off by a stop signal).
fn finished(outcomes: &[Outcome]) -> Vec<Outcome> {
    outcomes
        .iter()
        .filter(|o| o.failure.as_ref().map(|f| f.kind) != Some(ErrorKind::Interrupted))
        .cloned()
        .collect()
}

/// The shell's convention for a run ended by `signal`: 128 + its number.
fn exit_status_for(signal: os::Signal) -> u8 {
    u8::try_from(128 + signal as i32).unwrap_or(u8::MAX)
}

fn list_inventory(args: &InventoryArgs) -> anyhow::Result<u8> {
    let output = Output {
        format: args.output,
        verbose: false,
    };
    let target = resolve(&args.target, output)?;
    if let Some(shard) = &target.shard {
        eprintln!("{}", shard.describe());
    }
    let mut stdout = std::io::stdout().lock();
    match target.setting.output.format {
        OutputFormat::Json => {
            // Secrets are listed as whether they are set: serialising a `Host` itself would
            // give each `Secret` as `***`, which tells a person nothing. Template data is shown
            // with secret-looking keys masked; the text table shows no data at all.
            let hosts: Vec<serde_json::Value> = target.hosts.iter().map(public_view).collect();
            serde_json::to_writer_pretty(&mut stdout, &hosts)?;
            writeln!(stdout)?;
        }
        OutputFormat::Jsonl => {
            for host in &target.hosts {
                serde_json::to_writer(&mut stdout, &public_view(host))?;
                writeln!(stdout)?;
            }
        }
        OutputFormat::Text => {
            writeln!(
                stdout,
                "{:<20} {:<24} {:>5}  {:<9} {:<14} {:<12} groups",
                "name", "host", "port", "transport", "platform", "username"
            )?;
            for h in &target.hosts {
                let platform = match &h.platform_error {
                    Some(_) => format!("{} (unknown)", h.platform),
                    None => h.platform.clone(),
                };
                writeln!(
                    stdout,
                    "{:<20} {:<24} {:>5}  {:<9} {:<14} {:<12} {}",
                    h.name,
                    h.host,
                    h.port,
                    format!("{:?}", h.transport).to_lowercase(),
                    platform,
                    h.username,
                    h.groups.join(",")
                )?;
            }
        }
    }
    // A host netrun cannot talk to is listed, marked, and said why; it would fail a run.
    let unknown: Vec<&Host> = target
        .hosts
        .iter()
        .filter(|h| h.platform_error.is_some())
        .collect();
    for h in &unknown {
        eprintln!(
            "netrun: {}: {}",
            h.name,
            h.platform_error.as_deref().unwrap_or_default()
        );
    }
    Ok(if unknown.is_empty() {
        EXIT_OK
    } else {
        EXIT_SOME_FAILED
    })
}

/// A host without its secrets.
fn public_view(h: &Host) -> serde_json::Value {
    serde_json::json!({
        "name": h.name,
        "host": h.host,
        "port": h.port,
        "transport": h.transport,
        "platform": h.platform,
        "platform_error": h.platform_error,
        "username": h.username,
        "has_password": !h.password.is_empty(),
        "has_secret": h.secret.is_some(),
        "timeout_s": h.timeout.as_secs_f64(),
        "ssh_legacy": h.ssh_legacy,
        "host_key_policy": h.host_keys.policy().name(),
        "known_hosts": h.host_keys.files,
        "key_file": h.key_file,
        "groups": h.groups,
        "data": inventory::masked_data(&h.data),
        "jump": h.reach.jump.iter().map(|hop| hop.describe()).collect::<Vec<_>>(),
        // A ProxyCommand may carry credentials of its own (sshpass -p ...): not shown.
        "has_proxy_command": h.reach.proxy_command.is_some(),
    })
}
