//! Inventory loading time: a Nornir SimpleInventory folder with groups (two levels) and data, and
//! the same hosts as the book's devices.yaml list, written to a temporary folder and loaded with
//! `netrun::load_inventory`. A benchmark, not a test: run with
//! `cargo bench --bench inventory_load` (100k hosts, and 25k/50k to show the growth), or give
//! host counts and runs: `cargo bench --bench inventory_load -- 20000 40000 --runs 1`. Wall time
//! and this process's CPU time are both shown: on a busy machine the CPU time is the steadier.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeVal;

/// Host counts when none are given.
const DEFAULT_SIZES: &[usize] = &[25_000, 50_000, 100_000];
/// Each case is loaded this many times unless `--runs` says otherwise; the best run is reported.
const RUNS: usize = 3;
/// Sites (groups each host is in), each in one of `REGIONS` region groups.
const SITES: usize = 200;
const REGIONS: usize = 10;

/// A private address for host `i`, unique up to 16M hosts.
fn address(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff)
}

fn nornir_hosts(count: usize) -> String {
    let mut text = String::with_capacity(count * 160);
    for i in 0..count {
        let role = if i % 4 == 0 { "core" } else { "edge" };
        writeln!(
            text,
            "r{i:06}:\n  hostname: {}\n  groups: [site-{}, {role}]\n  data:\n    \
             loopback: 172.16.{}.{}\n    serial: FTX{i:08}\n    vlans: [10, 20, {}]",
            address(i),
            i % SITES,
            (i >> 8) & 0xff,
            i & 0xff,
            100 + i % 50
        )
        .expect("writing to a String");
    }
    text
}

fn nornir_groups() -> String {
    let mut text = String::from("core:\n  data: {role: core}\nedge:\n  data: {role: edge}\n");
    for region in 0..REGIONS {
        writeln!(
            text,
            "region-{region}:\n  username: admin\n  platform: ios\n  data:\n    \
             ntp_server: 10.255.{region}.1\n    syslog: 10.255.{region}.2"
        )
        .expect("writing to a String");
    }
    for site in 0..SITES {
        writeln!(
            text,
            "site-{site}:\n  groups: [region-{}]\n  data:\n    site: dc{site}\n    \
             snmp_location: rack {site}",
            site % REGIONS
        )
        .expect("writing to a String");
    }
    text
}

const NORNIR_DEFAULTS: &str = "password: cisco\nsecret: cisco\ntimeout: 10\ndata:\n  domain: lab\n";

/// The same hosts, settings and data as one devices.yaml list (groups are only names there).
fn book_list(count: usize) -> String {
    let mut text = String::with_capacity(count * 220);
    for i in 0..count {
        let role = if i % 4 == 0 { "core" } else { "edge" };
        writeln!(
            text,
            "- name: r{i:06}\n  device_type: cisco_ios\n  host: {}\n  username: admin\n  \
             password: cisco\n  secret: cisco\n  timeout: 10\n  groups: [site-{}, {role}]\n  \
             data:\n    loopback: 172.16.{}.{}\n    serial: FTX{i:08}\n    vlans: [10, 20, {}]\n    \
             site: dc{}\n    role: {role}",
            address(i),
            i % SITES,
            (i >> 8) & 0xff,
            i & 0xff,
            100 + i % 50,
            i % SITES
        )
        .expect("writing to a String");
    }
    text
}

fn write(path: &Path, text: &str) -> u64 {
    std::fs::write(path, text).expect("writing the generated inventory");
    text.len() as u64
}

/// The CPU time this process has used (user and system), which, unlike the wall clock, does not
/// count the time other processes had the CPU.
fn cpu_time() -> Duration {
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage(RUSAGE_SELF)");
    let micros = |t: TimeVal| Duration::from_micros((t.tv_sec() * 1_000_000 + t.tv_usec()) as u64);
    micros(usage.user_time()) + micros(usage.system_time())
}

/// Best wall and CPU time to load `path` over `runs`, checking it yields `count` hosts and no
/// warning.
fn best_load(path: &Path, count: usize, runs: usize) -> (Duration, Duration) {
    let no_env = |_: &str| None;
    let times: Vec<(Duration, Duration)> = (0..runs)
        .map(|_| {
            let (started, cpu_before) = (Instant::now(), cpu_time());
            let loaded =
                netrun::load_inventory(path, &no_env).expect("the generated inventory loads");
            let times = (started.elapsed(), cpu_time() - cpu_before);
            assert_eq!(loaded.hosts.len(), count);
            assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
            times
        })
        .collect();
    let best = |pick: fn(&(Duration, Duration)) -> Duration| {
        times.iter().map(pick).min().expect("runs > 0")
    };
    (best(|t| t.0), best(|t| t.1))
}

/// The host counts given as arguments, else `DEFAULT_SIZES`; and the runs per case
/// (`--runs N`, else `RUNS`).
fn sizes_and_runs() -> (Vec<usize>, usize) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs = args
        .iter()
        .position(|arg| arg == "--runs")
        .and_then(|i| args.get(i + 1)?.parse().ok());
    let sizes: Vec<usize> = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || args[i - 1] != "--runs")
        .filter_map(|(_, arg)| arg.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        DEFAULT_SIZES.to_vec()
    } else {
        sizes
    };
    (sizes, runs.unwrap_or(RUNS).max(1))
}

fn main() {
    let (sizes, runs) = sizes_and_runs();
    let dir = tempfile::tempdir().expect("a temporary folder");
    println!(
        "{:<8} {:>8} {:>6} {:>8} {:>8} {:>10}",
        "format", "hosts", "MB", "wall s", "CPU s", "CPU µs/host"
    );
    for count in sizes {
        let nornir = dir.path().join(format!("nornir-{count}"));
        std::fs::create_dir(&nornir).expect("a folder for the Nornir inventory");
        let bytes = write(&nornir.join("hosts.yaml"), &nornir_hosts(count))
            + write(&nornir.join("groups.yaml"), &nornir_groups())
            + write(&nornir.join("defaults.yaml"), NORNIR_DEFAULTS);
        let book = dir.path().join(format!("devices-{count}.yaml"));
        let book_bytes = write(&book, &book_list(count));
        for (format, path, bytes) in [("nornir", &nornir, bytes), ("list", &book, book_bytes)] {
            let (wall, cpu) = best_load(path, count, runs);
            println!(
                "{format:<8} {count:>8} {:>6.1} {:>8.3} {:>8.3} {:>10.1}",
                bytes as f64 / 1e6,
                wall.as_secs_f64(),
                cpu.as_secs_f64(),
                cpu.as_secs_f64() * 1e6 / count as f64
            );
        }
    }
}
