//! Signals and fork supervision end to end: the real netrun binary with a real `--lab`, real
//! signals (SIGINT, SIGTERM, SIGKILL, SIGSTOP), under every strategy where it applies. Each run
//! gets a temporary directory of its own as `TMPDIR`: the processes it leaves behind are found by
//! that variable in /proc/PID/environ (workers and the lab inherit it; their parent chain is gone
//! once netrun has died), and whatever temporary file it leaves is found in that directory.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const NETRUN: &str = env!("CARGO_BIN_EXE_netrun");

/// The most any run here may take; every wait is bounded by it.
const LIMIT: Duration = Duration::from_secs(90);

/// A netrun run in progress: its process, its private TMPDIR, and its stderr lines as they come.
struct Run {
    child: Child,
    tmp: tempfile::TempDir,
    stderr: Receiver<String>,
    seen: Vec<String>,
}

impl Run {
    /// Start netrun with `args` (with `-v` among them the test can see hosts finish).
    fn start(args: &[&str]) -> Run {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = Command::new(NETRUN)
            .args(args)
            .env("TMPDIR", tmp.path())
            // Keys this run records go to a throwaway home (see common::netrun_in).
            .env("HOME", tmp.path())
            .env_remove("NETRUN_PASSWORD")
            .env_remove("NETRUN_SECRET")
            .env_remove("NETRUN_INVENTORY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, stderr) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Run {
            child,
            tmp,
            stderr,
            seen: Vec::new(),
        }
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// Wait until `count` stderr lines contain `needle`.
    fn wait_for_lines(&mut self, needle: &str, count: usize) {
        let deadline = Instant::now() + LIMIT;
        while self.seen.iter().filter(|l| l.contains(needle)).count() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("no {count} lines with {needle:?} in time: {:#?}", self.seen),
            }
        }
    }

    /// The worker processes netrun has forked (its children that are not the lab), once there
    /// are `count` of them.
    fn workers(&self, count: usize) -> Vec<Pid> {
        wait_until(|| {
            let workers = children_of(self.pid())
                .into_iter()
                .filter(|pid| !command_line(*pid).contains("__testbed"))
                .collect::<Vec<_>>();
            (workers.len() >= count).then_some(workers)
        })
    }

    /// Wait for netrun to exit: its status code, stdout and the rest of stderr.
    fn finish(mut self) -> Finished {
        let mut stdout = String::new();
        let mut pipe = self.child.stdout.take().unwrap();
        let pid = self.pid();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = pipe.read_to_string(&mut stdout);
            let _ = tx.send(stdout);
        });
        let stdout = rx.recv_timeout(LIMIT).unwrap_or_else(|_| {
            let _ = kill(pid, Signal::SIGKILL);
            panic!("netrun ran longer than {LIMIT:?}");
        });
        let status = self.child.wait().unwrap();
        self.seen.extend(self.stderr.try_iter());
        Finished {
            code: status.code(),
            stdout,
            stderr: self.seen.join("\n"),
            tmp: self.tmp,
        }
    }
}

struct Finished {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    tmp: tempfile::TempDir,
}

impl Finished {
    /// Nothing of this run is left: no process with its TMPDIR (bounded wait), no file in it.
    fn assert_nothing_left(&self) {
        self.assert_no_process_left();
        let left: Vec<_> = std::fs::read_dir(self.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(left.is_empty(), "temporary files left behind: {left:?}");
    }

    fn assert_no_process_left(&self) {
        wait_until(|| {
            processes_with_tmpdir(self.tmp.path())
                .is_empty()
                .then_some(())
        });
    }

    /// The text report's block for host `name`.
    fn host_block(&self, name: &str) -> &str {
        let start = self
            .stdout
            .find(&format!("{name}#"))
            .or_else(|| self.stdout.find(&format!("{name} (")))
            .unwrap_or_else(|| panic!("{name} missing from stdout:\n{}", self.stdout));
        let rest = &self.stdout[start..];
        &rest[..rest.find("\n\n").unwrap_or(rest.len())]
    }
}

/// Poll `check` every 20 ms until it gives a value; panics after [`LIMIT`].
fn wait_until<T>(mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "condition not met within {LIMIT:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every pid in /proc.
fn pids() -> Vec<Pid> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .map(Pid::from_raw)
        .collect()
}

/// The live (not zombie) children of `parent`, from /proc/PID/stat.
fn children_of(parent: Pid) -> BTreeSet<Pid> {
    pids()
        .into_iter()
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // The command name is in parentheses and may hold spaces: fields follow the last ')'.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map_or("", |(_, rest)| rest)
                .split_whitespace()
                .collect();
            fields.first() != Some(&"Z")
                && fields.get(1) == Some(&parent.as_raw().to_string().as_str())
        })
        .collect()
}

fn command_line(pid: Pid) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .unwrap_or_default()
}

/// Processes whose environment holds `TMPDIR=dir` (a zombie's environment reads empty).
fn processes_with_tmpdir(dir: &Path) -> Vec<(Pid, String)> {
    let needle = format!("TMPDIR={}", dir.display());
    pids()
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                environ
                    .split(|&b| b == 0)
                    .any(|var| var == needle.as_bytes())
            })
        })
        .map(|pid| (pid, command_line(pid)))
        .collect()
}

/// A lab of 4 where R1 and R2 answer at once and R3 and R4 stall after login; `-v` logs each
/// host's end.
const STALLING_LAB: [&str; 7] = [
    "-v",
    "--lab",
    "4",
    "--lab-fault",
    "stall:R3-R4",
    "--timeout",
    "20",
];

fn strategies() -> impl Iterator<Item = &'static str> {
    netrun::strategies().map(|strategy| strategy.name())
}

#[test]
fn sigint_mid_run_prints_finished_hosts_exits_130_and_leaves_nothing() {
    // Every strategy, and async again on two runtime threads.
    let runs = strategies()
        .map(|strategy| (strategy, &[][..]))
        .chain([("async", &["--threads", "2"][..])]);
    for (strategy, extra) in runs {
        // R3's session is in flight when the signal comes, and its idle timeout (20 s) is longer
        // than this test's bound: every strategy must end it within the stop grace.
        let mut args = STALLING_LAB.to_vec();
        args.extend(["-s", strategy, "-w", "4"]);
        args.extend(extra);
        args.extend(["show", "clock"]);
        let mut run = Run::start(&args);
        run.wait_for_lines("Received: R", 2);
        let started = Instant::now();
        kill(run.pid(), Signal::SIGINT).unwrap();
        let done = run.finish();
        assert_eq!(done.code, Some(130), "{strategy}: {}", done.stderr);
        assert!(started.elapsed() < Duration::from_secs(15), "{strategy}");
        for finished in ["R1", "R2"] {
            let block = done.host_block(finished);
            assert!(
                block.starts_with(&format!("{finished}#show clock")),
                "{strategy}: {block}"
            );
        }
        for unfinished in ["R3", "R4"] {
            let block = done.host_block(unfinished);
            assert!(
                block.contains("failed (interrupted)"),
                "{strategy}: {block}"
            );
            assert!(
                block.contains("interrupted by SIGINT"),
                "{strategy}: {block}"
            );
        }
        assert!(
            done.stderr.contains("4 hosts, 2 ok, 2 failed"),
            "{strategy}: the summary: {}",
            done.stderr
        );
        done.assert_nothing_left();
    }
}

#[test]
fn sigterm_exits_143_with_every_host_in_the_json_report() {
    for strategy in ["fork", "async"] {
        let mut args = STALLING_LAB.to_vec();
        args.extend(["-s", strategy, "-w", "4", "-o", "json", "show", "clock"]);
        let mut run = Run::start(&args);
        run.wait_for_lines("Received: R", 2);
        kill(run.pid(), Signal::SIGTERM).unwrap();
        let done = run.finish();
        assert_eq!(done.code, Some(143), "{strategy}: {}", done.stderr);
        let doc: serde_json::Value = serde_json::from_str(&done.stdout).unwrap();
        let hosts = doc["hosts"].as_array().expect("a hosts list");
        let seen: Vec<(&str, bool, &str)> = hosts
            .iter()
            .map(|h| {
                (
                    h["name"].as_str().unwrap(),
                    h["ok"].as_bool().unwrap(),
                    h["error"]["kind"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("R1", true, ""),
                ("R2", true, ""),
                ("R3", false, "interrupted"),
                ("R4", false, "interrupted")
            ],
            "{strategy}: {}",
            done.stdout
        );
        done.assert_nothing_left();
    }
}

#[test]
fn save_files_are_written_for_the_finished_hosts_only() {
    let save = tempfile::tempdir().unwrap();
    let mut args = STALLING_LAB.to_vec();
    let dir = save.path().to_str().unwrap();
    args.extend(["-s", "threads", "-w", "4", "--save", dir, "show", "clock"]);
    let mut run = Run::start(&args);
    run.wait_for_lines("Received: R", 2);
    kill(run.pid(), Signal::SIGINT).unwrap();
    let done = run.finish();
    assert_eq!(done.code, Some(130), "{}", done.stderr);
    let mut saved: Vec<String> = std::fs::read_dir(save.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    saved.sort();
    assert_eq!(saved, ["R1.txt", "R2.txt"]);
    done.assert_nothing_left();
}

#[test]
fn sigint_still_writes_the_results_file_whole() {
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("shard.jsonl");
    let mut args = STALLING_LAB.to_vec();
    let file = results.to_str().unwrap();
    args.extend([
        "-s",
        "threads",
        "-w",
        "4",
        "--results",
        file,
        "show",
        "clock",
    ]);
    let mut run = Run::start(&args);
    run.wait_for_lines("Received: R", 2);
    kill(run.pid(), Signal::SIGINT).unwrap();
    let done = run.finish();
    assert_eq!(done.code, Some(130), "{}", done.stderr);
    let text = std::fs::read_to_string(&results).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen: Vec<(&str, &str)> = lines[..4]
        .iter()
        .map(|h| {
            let kind = h["error"]["kind"].as_str().unwrap_or("ok");
            (h["name"].as_str().unwrap(), kind)
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("R1", "ok"),
            ("R2", "ok"),
            ("R3", "interrupted"),
            ("R4", "interrupted")
        ]
    );
    assert_eq!(lines[4]["summary"]["failed"], 2);
    assert_eq!(lines.len(), 5);
    // The temporary file was renamed into place: only the results file is in its folder.
    let files: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
    done.assert_nothing_left();
}

#[test]
fn sigkill_of_netrun_leaves_no_lab_and_no_worker() {
    let mut args = STALLING_LAB.to_vec();
    args.extend(["-s", "fork", "-w", "4", "show", "clock"]);
    let mut run = Run::start(&args);
    run.wait_for_lines("Received: R", 2);
    assert!(
        processes_with_tmpdir(run.tmp.path())
            .iter()
            .any(|(_, cmd)| cmd.contains("__testbed")),
        "the lab runs"
    );
    kill(run.pid(), Signal::SIGKILL).unwrap();
    let done = run.finish();
    assert_eq!(done.code, None, "killed");
    done.assert_no_process_left();
}

#[test]
fn a_stopped_fork_worker_is_killed_within_its_bound_and_fails_only_its_host() {
    // R1 stalls after login, so its worker (the first forked, which gets R1) is surely busy
    // with it when it is stopped.
    let run = Run::start(&[
        "--lab",
        "4",
        "--lab-profile",
        "iosv",
        "--lab-fault",
        "stall:R1",
        "--timeout",
        "2",
        "-s",
        "fork",
        "-w",
        "2",
        "-o",
        "json",
        "show",
        "clock",
    ]);
    let first = *run.workers(2).iter().min().unwrap();
    kill(first, Signal::SIGSTOP).unwrap();
    let stopped_at = Instant::now();
    let done = run.finish();
    // The bound for one command at a 2 s timeout: 10 operations plus 2 s of slack.
    assert!(
        stopped_at.elapsed() < Duration::from_secs(22 + 5),
        "{}",
        done.stderr
    );
    assert_eq!(done.code, Some(1), "{}", done.stderr);
    let doc: serde_json::Value = serde_json::from_str(&done.stdout).unwrap();
    let hosts = doc["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 4);
    assert_eq!(hosts[0]["error"]["kind"], "worker", "{}", done.stdout);
    let message = hosts[0]["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("worker pid {first} stopped responding for ")),
        "{message}"
    );
    assert!(message.ends_with(" s; killed"), "{message}");
    for host in &hosts[1..] {
        assert_eq!(host["ok"], true, "{host}");
    }
    done.assert_nothing_left();
}

#[test]
fn killed_fork_workers_are_replaced_and_the_remaining_hosts_all_run() {
    // R1 and R2 stall, so both first workers are busy with them when they are killed.
    let run = Run::start(&[
        "--lab",
        "6",
        "--lab-profile",
        "iosv",
        "--lab-fault",
        "stall:R1-R2",
        "--timeout",
        "3",
        "-s",
        "fork",
        "-w",
        "2",
        "-o",
        "json",
        "show",
        "clock",
    ]);
    let workers = run.workers(2);
    for worker in &workers {
        kill(*worker, Signal::SIGKILL).unwrap();
    }
    let done = run.finish();
    assert_eq!(done.code, Some(1), "{}", done.stderr);
    let doc: serde_json::Value = serde_json::from_str(&done.stdout).unwrap();
    let hosts = doc["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 6);
    for host in &hosts[..2] {
        assert_eq!(host["error"]["kind"], "worker", "{host}");
        let message = host["error"]["message"].as_str().unwrap();
        assert!(
            message.ends_with("died: killed by signal SIGKILL"),
            "{message}"
        );
    }
    for host in &hosts[2..] {
        assert_eq!(host["ok"], true, "{host}");
    }
    done.assert_nothing_left();
}

#[test]
fn sigint_stops_the_bench_its_measured_child_and_its_lab() {
    let run = Run::start(&[
        "bench",
        "--lab",
        "4",
        "--lab-fault",
        "stall:R3-R4",
        "--timeout",
        "20",
        "--runs",
        "1",
        "--strategies",
        "threads",
    ]);
    // A measured child is running (the bench's children other than its lab).
    run.workers(1);
    kill(run.pid(), Signal::SIGINT).unwrap();
    let started = Instant::now();
    let done = run.finish();
    assert_eq!(done.code, Some(130), "{}", done.stderr);
    assert!(
        done.stderr.contains("interrupted by SIGINT"),
        "{}",
        done.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    done.assert_nothing_left();
}

#[test]
fn a_second_signal_exits_at_once_and_leaves_nothing() {
    let mut args = STALLING_LAB.to_vec();
    args.extend(["-s", "fork", "-w", "4", "show", "clock"]);
    let mut run = Run::start(&args);
    run.wait_for_lines("Received: R", 2);
    kill(run.pid(), Signal::SIGINT).unwrap();
    // Two SIGINTs pending at once are one: send the second once the first was delivered.
    wait_until(|| (!sigint_pending(run.pid())).then_some(()));
    kill(run.pid(), Signal::SIGINT).unwrap();
    let started = Instant::now();
    let done = run.finish();
    assert_eq!(done.code, Some(130), "{}", done.stderr);
    assert!(
        started.elapsed() < stop_grace(),
        "did not wait for the grace"
    );
    done.assert_nothing_left();
}

/// Whether a SIGINT is pending for `pid` (its process-wide or main thread's pending set).
fn sigint_pending(pid: Pid) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .filter(|l| l.starts_with("SigPnd:") || l.starts_with("ShdPnd:"))
        .filter_map(|l| u64::from_str_radix(l.split_whitespace().nth(1)?, 16).ok())
        .any(|set| set & (1 << (Signal::SIGINT as u32 - 1)) != 0)
}

/// The grace a first signal gives the sessions in flight (`strategy::stop::GRACE`).
fn stop_grace() -> Duration {
    Duration::from_secs(2)
}
