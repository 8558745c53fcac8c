//! Benchmark: how fast one testbed process accepts SSH logins, and what each session costs it.
//!
//! Starts `netrun-testbed --profile instant` on loopback, then runs sessions (connect, key
//! exchange, password auth, pty + shell, first prompt, `terminal length 0`, `show version`, exit)
//! one after another and then from several threads at once. Reports logins per second and the
//! testbed's CPU time per session (user + system, and each), read from `/proc/<pid>/stat` before
//! and after: what the lab itself adds to a client's measurement on a shared machine.
//!
//! `cargo bench -p testbed --bench logins`; tune with `TESTBED_BENCH_SESSIONS` (default 2000),
//! `TESTBED_BENCH_THREADS` (default 8) and `TESTBED_BENCH_DEVICES` (default 50).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{ssh_login, Expect, SshShell, TestLab, PASSWORD, USERNAME};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time the process has used so far, user and system, from `/proc/<pid>/stat`.
#[derive(Clone, Copy)]
struct Cpu {
    user: Duration,
    system: Duration,
}

impl Cpu {
    fn of(pid: u32) -> Cpu {
        let stat =
            std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15
        // overall.
        let after_comm = &stat[stat.rfind(')').expect("comm field") + 2..];
        let fields: Vec<&str> = after_comm.split_whitespace().collect();
        // SAFETY: sysconf only reads a configuration value.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let per_second = u64::try_from(per_second)
            .ok()
            .filter(|&t| t > 0)
            .unwrap_or(100);
        let ticks = |field: &str| {
            Duration::from_secs_f64(
                field.parse::<u64>().expect("CPU ticks") as f64 / per_second as f64,
            )
        };
        Cpu {
            user: ticks(fields[11]),
            system: ticks(fields[12]),
        }
    }

    fn since(self, before: Cpu) -> Cpu {
        Cpu {
            user: self.user.saturating_sub(before.user),
            system: self.system.saturating_sub(before.system),
        }
    }
}

/// One full session against the device listening on `port`.
fn one_session(port: u16, hostname: &str) {
    let session = ssh_login(port, USERNAME, PASSWORD)
        .unwrap_or_else(|e| panic!("login to {hostname} (port {port}): {e}"));
    let shell = SshShell::open(session).unwrap_or_else(|e| panic!("shell on {hostname}: {e}"));
    let mut cli = Expect::new(shell, hostname, "\n");
    cli.expect_prompt();
    cli.cmd("terminal length 0");
    let version = cli.cmd("show version");
    assert!(
        version.contains("Cisco IOS"),
        "unexpected show version: {version:?}"
    );
    cli.send_line("exit");
}

struct Measured {
    sessions: usize,
    wall: Duration,
    server_cpu: Cpu,
}

impl Measured {
    /// Milliseconds of `d` per session.
    fn per_session(&self, d: Duration) -> f64 {
        d.as_secs_f64() * 1000.0 / self.sessions as f64
    }
}

fn measure(lab: &TestLab, sessions: usize, threads: usize) -> Measured {
    let targets: Vec<(u16, String)> = lab
        .inventory
        .iter()
        .filter(|e| !e.is_telnet())
        .map(|e| (e.port, e.name.clone()))
        .collect();
    let next = AtomicUsize::new(0);
    let cpu_before = Cpu::of(lab.pid());
    let started = Instant::now();
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= sessions {
                    break;
                }
                let (port, name) = &targets[i % targets.len()];
                one_session(*port, name);
            });
        }
    });
    let wall = started.elapsed();
    Measured {
        sessions,
        wall,
        server_cpu: Cpu::of(lab.pid()).since(cpu_before),
    }
}

fn main() {
    let sessions = env_number("TESTBED_BENCH_SESSIONS", 2000).max(1);
    let threads = env_number("TESTBED_BENCH_THREADS", 8).max(1);
    let devices = env_number("TESTBED_BENCH_DEVICES", 50).max(1).to_string();
    let lab = TestLab::start(&["--devices", &devices, "--profile", "instant"]);
    // Warm up: first connections pay one-off costs (page faults, lazy allocations).
    measure(&lab, threads.min(sessions), threads);

    println!(
        "testbed logins: {devices} devices, profile instant, {sessions} sessions per run \
         (connect, kex, password, pty+shell, prompt, term len 0, show version, exit)"
    );
    println!(
        "{:<12} {:>8} {:>8} {:>10} {:>26} {:>8} {:>8}",
        "clients", "sessions", "wall s", "logins/s", "testbed CPU/session ms", "user", "sys"
    );
    for clients in [1, threads] {
        let m = measure(&lab, sessions, clients);
        let cpu = m.server_cpu;
        println!(
            "{:<12} {:>8} {:>8.2} {:>10.1} {:>26.3} {:>8.3} {:>8.3}",
            format!("{clients} thread{}", if clients == 1 { "" } else { "s" }),
            m.sessions,
            m.wall.as_secs_f64(),
            m.sessions as f64 / m.wall.as_secs_f64(),
            m.per_session(cpu.user + cpu.system),
            m.per_session(cpu.user),
            m.per_session(cpu.system),
        );
    }
}
