//! Results as they arrive, end to end: the real netrun binary against a real testbed whose last
//! host stalls (logs in, never shows a prompt). The test reads netrun's stdout while it still
//! runs: the first hosts' results must be there before netrun has finished, under every
//! strategy, as text blocks and as jsonl lines; a SIGINT then adds the stalled host as
//! `interrupted` and, for jsonl, the summary.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::{TestLab, NETRUN};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// A liveness bound on every wait; far below the idle timeout netrun is given, so a result that
/// only came when the stalled host timed out is never mistaken for one that streamed.
const LIMIT: Duration = Duration::from_secs(60);
/// netrun's idle timeout: the stalled host would hold a non-streaming run this long.
const TIMEOUT: &str = "600";

/// netrun running, its stdout lines as they come; killed on drop.
struct Running {
    child: Child,
    lines: Receiver<String>,
    _home: tempfile::TempDir,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let home = tempfile::tempdir().unwrap();
        let mut child = Command::new(NETRUN)
            .args(args)
            .env("HOME", home.path())
            .env_remove("NETRUN_PASSWORD")
            .env_remove("NETRUN_INVENTORY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let pipe = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            _home: home,
        }
    }

    /// The next stdout line, within the liveness bound.
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(LIMIT)
            .unwrap_or_else(|_| panic!("no line on netrun's stdout within {LIMIT:?}"))
    }

    /// Read lines until one satisfies `wanted`; every line read, in order.
    fn read_until(&self, wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let mut seen = Vec::new();
        for _ in 0..10_000 {
            let line = self.next_line();
            let done = wanted(&line);
            seen.push(line);
            if done {
                return seen;
            }
        }
        panic!("no wanted line in 10000: {seen:#?}")
    }

    fn still_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// SIGINT, then the rest of stdout and the exit status.
    fn interrupt(mut self) -> (Vec<String>, Option<i32>) {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGINT).unwrap();
        let mut rest = Vec::new();
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => rest.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("netrun did not end: {rest:#?}"),
            }
        }
        let status = self.child.wait().unwrap();
        (rest, status.code())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn strategies() -> impl Iterator<Item = &'static str> {
    netrun::strategies().map(|strategy| strategy.name())
}

#[test]
fn text_blocks_of_finished_hosts_arrive_while_the_last_host_stalls() {
    let lab = TestLab::start(3, &["--fault", "stall:R3"]);
    let inventory = lab.inventory();
    for strategy in strategies() {
        for order in ["inventory", "completion"] {
            let mut run = Running::start(&[
                "-i",
                inventory.to_str().unwrap(),
                "-s",
                strategy,
                "--order",
                order,
                "--timeout",
                TIMEOUT,
                "show",
                "clock",
            ]);
            // Both finished hosts' blocks (a block ends with a blank line), in either order.
            let mut seen = run.read_until(|l| l.ends_with("#show clock"));
            seen.extend(run.read_until(|l| l.ends_with("#show clock")));
            seen.extend(run.read_until(str::is_empty));
            assert!(run.still_running(), "{strategy}: netrun ended early");
            let mut headers: Vec<&str> = seen
                .iter()
                .map(String::as_str)
                .filter(|l| l.ends_with("#show clock"))
                .collect();
            if order == "completion" {
                headers.sort();
            }
            assert_eq!(
                headers,
                ["R1#show clock", "R2#show clock"],
                "{strategy} {order}"
            );
            assert!(!seen.iter().any(|l| l.starts_with("R3")), "{seen:#?}");
            let (rest, code) = run.interrupt();
            assert_eq!(code, Some(130), "{strategy}: {rest:#?}");
            let r3 = rest.iter().find(|l| l.starts_with("R3 ("));
            assert!(
                r3.is_some_and(|l| l.contains("failed (interrupted)")),
                "{strategy}: {rest:#?}"
            );
            assert!(!rest.iter().any(|l| l.starts_with("R1#")), "{rest:#?}");
        }
    }
}

#[test]
fn jsonl_lines_arrive_one_by_one_then_the_summary() {
    let lab = TestLab::start(3, &["--fault", "stall:R3"]);
    let inventory = lab.inventory();
    for strategy in strategies() {
        let mut run = Running::start(&[
            "-i",
            inventory.to_str().unwrap(),
            "-s",
            strategy,
            "-o",
            "jsonl",
            "--timeout",
            TIMEOUT,
            "show",
            "clock",
        ]);
        for expected in ["R1", "R2"] {
            let line: serde_json::Value = serde_json::from_str(&run.next_line()).unwrap();
            assert_eq!(line["name"], expected, "{strategy}: {line}");
            assert_eq!(line["ok"], true, "{strategy}: {line}");
            assert!(run.still_running(), "{strategy}: netrun ended early");
        }
        let (rest, code) = run.interrupt();
        assert_eq!(code, Some(130), "{strategy}: {rest:#?}");
        let rest: Vec<serde_json::Value> = rest
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rest.len(), 2, "{strategy}: {rest:#?}");
        assert_eq!(rest[0]["name"], "R3");
        assert_eq!(rest[0]["error"]["kind"], "interrupted", "{}", rest[0]);
        let summary = &rest[1]["summary"];
        assert_eq!(summary["ok"], 2, "{summary}");
        assert_eq!(summary["failed"], 1, "{summary}");
        assert_eq!(summary["strategy"], strategy);
        assert!(summary.get("hosts").is_none(), "{summary}");
        assert_eq!(
            summary["stats"]["peak_in_flight"].as_u64().map(|n| n > 0),
            Some(true)
        );
    }
}

#[test]
fn completion_order_is_not_held_by_a_stalled_first_host() {
    let lab = TestLab::start(3, &["--fault", "stall:R1"]);
    let inventory = lab.inventory();
    // Sequential runs R1 first and waits for it: only the concurrent strategies can show this.
    for strategy in strategies().filter(|s| *s != "sequential") {
        let mut run = Running::start(&[
            "-i",
            inventory.to_str().unwrap(),
            "-s",
            strategy,
            "--order",
            "completion",
            "-o",
            "jsonl",
            "--timeout",
            TIMEOUT,
            "show",
            "clock",
        ]);
        let mut names: Vec<String> = (0..2)
            .map(|_| {
                let line: serde_json::Value = serde_json::from_str(&run.next_line()).unwrap();
                line["name"].as_str().unwrap().to_string()
            })
            .collect();
        names.sort();
        assert_eq!(names, ["R2", "R3"], "{strategy}");
        assert!(run.still_running(), "{strategy}: netrun ended early");
        let (rest, code) = run.interrupt();
        assert_eq!(code, Some(130), "{strategy}: {rest:#?}");
        let first: serde_json::Value = serde_json::from_str(&rest[0]).unwrap();
        assert_eq!(first["name"], "R1", "{strategy}: {rest:#?}");
        assert_eq!(first["error"]["kind"], "interrupted", "{first}");
    }
}
