//! `netrun bench` end to end: the real binary starts a tiny lab, runs every strategy as its own
//! measured child, and prints JSON whose structure (not timings) is checked here; and the
//! asyncssh external script, checked against netrun's own outputs (a client we did not write).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use common::{netrun_in, stderr, TestLab, NETRUN};

/// A whole tiny bench takes seconds; this only stops a hung one.
const DEADLINE: Duration = Duration::from_secs(300);

/// Run `netrun bench ARGS` (2 instant devices, 1 run, JSON, every session bounded by --timeout),
/// killed if it outlives `DEADLINE`.
fn bench(extra: &[&str]) -> (Output, Value) {
    let lab = ["--lab", "2", "--lab-profile", "instant"];
    bench_in(None, &[&lab, extra].concat(), &[])
}

/// Run `netrun bench --runs 1 --timeout 10 -o json ARGS` in `dir` with `env`, killed if it
/// outlives `DEADLINE`: its output and its JSON document.
fn bench_in(dir: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> (Output, Value) {
    let common = ["bench", "--runs", "1", "--timeout", "10", "-o", "json"];
    let output = netrun_in(dir, &[&common, args].concat(), env, DEADLINE);
    let doc = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "bench printed no JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, doc)
}

fn cells(doc: &Value) -> &Vec<Value> {
    doc["cells"].as_array().expect("cells")
}

fn netrun_cells(doc: &Value) -> Vec<&Value> {
    cells(doc)
        .iter()
        .filter(|c| c["kind"] == "netrun")
        .collect()
}

fn positive(v: &Value) -> bool {
    v.as_f64().is_some_and(|n| n > 0.0)
}

/// Every strategy appears once, in the strategy table's order, with one worker per host (one for
/// a strategy `-w` does not change: sequential).
fn assert_every_strategy(doc: &Value) {
    let strategies: Vec<&str> = netrun_cells(doc)
        .iter()
        .map(|c| c["strategy"].as_str().unwrap())
        .collect();
    let table: Vec<&str> = netrun::strategies().map(|s| s.name()).collect();
    assert_eq!(strategies, table);
    for (cell, strategy) in netrun_cells(doc).iter().zip(netrun::strategies()) {
        let expected = if strategy.takes_workers() { 2 } else { 1 };
        assert_eq!(cell["workers"], expected, "{}", cell["name"]);
    }
}

/// The cell of the strategy named `name`.
fn strategy_cell<'a>(doc: &'a Value, name: &str) -> &'a Value {
    netrun_cells(doc)
        .into_iter()
        .find(|c| c["strategy"] == name)
        .unwrap_or_else(|| panic!("no {name} cell"))
}

/// The OS's numbers are there and positive for every run, warm-up included.
fn assert_measured(cell: &Value) {
    let name = &cell["name"];
    let runs = cell["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{name}: --runs 1");
    for run in runs.iter().chain([&cell["warmup"]]) {
        let usage = &run["usage"];
        assert!(positive(&usage["wall_ms"]), "{name}: {usage}");
        assert!(positive(&usage["max_rss_kib"]), "{name}: {usage}");
        assert!(usage["user_ms"].as_f64().unwrap() >= 0.0, "{name}: {usage}");
        assert!(usage["sys_ms"].as_f64().unwrap() >= 0.0, "{name}: {usage}");
        assert!(usage["nvcsw"].as_u64().is_some(), "{name}: {usage}");
        assert!(usage["nivcsw"].as_u64().is_some(), "{name}: {usage}");
    }
    let summary = &cell["summary"];
    assert!(positive(&summary["wall_ms"]["median"]), "{name}: {summary}");
}

#[test]
fn a_tiny_bench_measures_every_strategy() {
    let (out, doc) = bench(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(doc["hosts"], 2);
    assert_eq!(doc["command"], "show ip interface brief");
    assert_eq!(doc["failed_cells"], 0);
    assert_every_strategy(&doc);
    for cell in netrun_cells(&doc) {
        let name = &cell["name"];
        assert_measured(cell);
        let inside = &cell["runs"][0]["inside"];
        assert_eq!(inside["ok"], 2, "{name}: {inside}");
        assert_eq!(inside["failed"], 0, "{name}: {inside}");
        assert!(positive(&inside["peak_in_flight"]), "{name}: {inside}");
        let summary = &cell["summary"];
        assert_eq!(summary["failed"], false, "{name}");
        assert_eq!(summary["sessions"], 2, "{name}");
        assert_eq!(summary["status"], "ok 2/2", "{name}");
        assert!(positive(&summary["ratio_to_sequential"]), "{name}");
    }
    let fork = strategy_cell(&doc, "fork");
    assert_eq!(fork["runs"][0]["inside"]["processes_forked"], 2);
    assert!(positive(&fork["runs"][0]["inside"]["workers_rss_sum_kib"]));
    let comparison = &doc["comparison"];
    // "Property", then the book's three models: processes, threads, coroutines.
    assert_eq!(comparison["columns"].as_array().unwrap().len(), 4);
    assert!(!comparison["rows"].as_array().unwrap().is_empty());
}

#[test]
fn an_external_command_gets_its_own_row_and_the_plot_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("bench.svg");
    let (out, doc) = bench(&[
        "--external",
        "true-ish=test -f \"$NETRUN_BENCH_INVENTORY\"",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_every_strategy(&doc);
    let external: Vec<&Value> = cells(&doc)
        .iter()
        .filter(|c| c["kind"] == "external")
        .collect();
    assert_eq!(external.len(), 1);
    let external = external[0];
    assert_eq!(external["name"], "true-ish");
    assert_measured(external);
    assert_eq!(external["runs"][0]["usage"]["exit"], "exit 0");
    assert_eq!(external["runs"][0]["inside"], Value::Null);
    assert_eq!(external["summary"]["inside"], Value::Null);
    assert_eq!(external["summary"]["failed"], false);

    let svg = std::fs::read_to_string(&svg).expect("the plot was written");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    // One wall-time bar per cell (opacity marks the kind of bar), one timeline per strategy.
    let strategies = netrun::strategies();
    assert_eq!(svg.matches("opacity=\"0.8\"").count(), strategies.len() + 1);
    for strategy in strategies {
        let title = if strategy.takes_workers() {
            format!("{} ×2:", strategy.name())
        } else {
            format!("{}:", strategy.name())
        };
        assert!(svg.contains(&title), "no timeline {title}");
    }
}

#[test]
fn failed_sessions_are_counted_and_the_cell_is_marked() {
    let (out, doc) = bench(&["--lab-fault", "auth-fail:R2"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_every_strategy(&doc);
    assert_eq!(doc["failed_cells"], netrun::strategies().len());
    for cell in netrun_cells(&doc) {
        let name = &cell["name"];
        assert_measured(cell);
        let inside = &cell["runs"][0]["inside"];
        assert_eq!(
            (&inside["ok"], &inside["failed"]),
            (&1.into(), &1.into()),
            "{name}"
        );
        let summary = &cell["summary"];
        assert_eq!(summary["failed"], true, "{name}");
        assert_eq!(summary["failed_sessions"], 1, "{name}");
        assert_eq!(summary["status"], "FAILED 1/2", "{name}");
        assert_eq!(summary["ratio_to_sequential"], Value::Null, "{name}");
    }
}

#[test]
fn an_unreadable_inventory_stops_the_bench_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    let out = Command::new(NETRUN)
        .args(["bench", "--runs", "1", "-i"])
        .arg(&missing)
        .stdin(Stdio::null())
        .output()
        .expect("run netrun bench");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no table without hosts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.yaml"), "{stderr}");
}

/// Every netrun cell's single run had `ok` sessions ok and `failed` failed.
fn assert_sessions(doc: &Value, ok: usize, failed: usize) {
    for cell in netrun_cells(doc) {
        let inside = &cell["runs"][0]["inside"];
        assert_eq!(inside["ok"], ok, "{}: {inside}", cell["name"]);
        assert_eq!(inside["failed"], failed, "{}: {inside}", cell["name"]);
    }
}

#[test]
fn ssh_legacy_reaches_every_measured_run() {
    let lab = TestLab::start(3, &["--ssh-legacy"]);
    let inventory = lab.inventory_without_ssh_legacy("modern.yaml");
    let inventory = inventory.to_str().unwrap();
    let strategies = ["--strategies", "threads,async"];

    let (out, doc) = bench_in(
        None,
        &[&["-i", inventory, "--ssh-legacy"], &strategies[..]].concat(),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(doc["hosts"], 3);
    assert_eq!(doc["failed_cells"], 0);
    assert_eq!(netrun_cells(&doc).len(), 2);
    assert_sessions(&doc, 3, 0);

    // Without the flag the same lab refuses every session: the flag is what made the difference.
    let (out, doc) = bench_in(None, &[&["-i", inventory], &strategies[..]].concat(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_sessions(&doc, 0, 3);
}

#[test]
fn show_and_bench_read_the_default_inventory_when_the_variable_is_empty() {
    let lab = TestLab::start(2, &[]);
    let cwd = tempfile::tempdir().unwrap();
    std::fs::create_dir(cwd.path().join("inventory")).unwrap();
    std::fs::copy(lab.inventory(), cwd.path().join("inventory/devices.yaml")).unwrap();
    let empty = [("NETRUN_INVENTORY", "")];

    let show = netrun_in(
        Some(cwd.path()),
        &["-o", "json", "--timeout", "10", "show", "version"],
        &empty,
        DEADLINE,
    );
    assert_eq!(show.status.code(), Some(0), "{}", stderr(&show));
    assert_eq!(common::json(&show)["ok"], 2);

    let (out, doc) = bench_in(Some(cwd.path()), &["--strategies", "sequential"], &empty);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(doc["hosts"], 2);
    assert_eq!(doc["target"], "inventory inventory/devices.yaml");
    assert_sessions(&doc, 2, 0);
}

/// The per-session table's numbers are in every netrun cell's summary and runs: percentiles of
/// connect, auth and total over the ok sessions, CPU per session, netrun's own peak RSS (the
/// child's VmHWM, reported in its JSON), and the lab's CPU when the bench started the lab.
#[test]
fn each_cell_reports_per_session_percentiles_and_cost() {
    let (out, doc) = bench(&["--strategies", "threads,fork"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for cell in netrun_cells(&doc) {
        let name = &cell["name"];
        let summary = &cell["summary"];
        let times = &summary["session_times"];
        assert_eq!(times["sessions"], 2, "{name}: {times}");
        for phase in ["connect_ms", "auth_ms", "total_ms"] {
            let p = &times[phase];
            let (p50, p95, p99) = (p["p50"].as_f64(), p["p95"].as_f64(), p["p99"].as_f64());
            assert!(p50 <= p95 && p95 <= p99, "{name} {phase}: {p}");
        }
        assert!(positive(&times["total_ms"]["p50"]), "{name}: {times}");
        let cost = &summary["cost"];
        assert!(positive(&cost["cpu_ms_per_session"]), "{name}: {cost}");
        let own = cell["runs"][0]["inside"]["peak_rss_kib"].as_u64();
        assert!(own.is_some_and(|kib| kib > 0), "{name}: no own peak RSS");
        assert!(positive(&cost["rss_kib"]["median"]), "{name}: {cost}");
        assert!(
            positive(&cost["rss_kib_per_1000_sessions"]),
            "{name}: {cost}"
        );
        assert!(
            cost["lab_cpu_ms_per_session"].as_f64().is_some(),
            "{name}: {cost}"
        );
        assert!(cell["runs"][0]["lab_cpu_ms"].as_f64().is_some(), "{name}");
    }
    // fork: netrun's memory is the parent's own peak plus each worker's.
    let fork = strategy_cell(&doc, "fork");
    let inside = &fork["runs"][0]["inside"];
    let sum =
        inside["peak_rss_kib"].as_u64().unwrap() + inside["workers_rss_sum_kib"].as_u64().unwrap();
    assert_eq!(
        fork["summary"]["cost"]["rss_kib"]["median"].as_f64(),
        Some(sum as f64)
    );
}

/// The Python venv with asyncssh (.ci/run makes it: $NETRUN_INVENTORY_VENV), or `None` outside
/// CI when there is none.
fn asyncssh_python() -> Option<PathBuf> {
    let venv = std::env::var_os("NETRUN_INVENTORY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/netrun-inventory-venv"));
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import asyncssh, yaml"])
        .output()
        .is_ok_and(|out| out.status.success());
    if ready {
        return Some(python);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but there is no venv with asyncssh at {} (.ci/run makes it)",
        venv.display()
    );
    eprintln!(
        "skipped: no venv with asyncssh at {} (see .ci/run)",
        venv.display()
    );
    None
}

const ASYNCSSH_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/external/asyncssh_dialogue.py"
);

/// The asyncssh script's JSON lines: (name, ok, output) per device, in inventory order.
fn script_outputs(out: &Output) -> Vec<(String, bool, String)> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            (
                v["name"].as_str().unwrap().to_string(),
                v["ok"].as_bool().unwrap(),
                v["output"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The asyncssh script (enable, paging off, the command, read to the prompt) and netrun, on the
/// same lab and command, return the same output for every host; through `netrun bench
/// --external` the script reads the bench's command from $NETRUN_BENCH_COMMAND.
#[test]
fn the_asyncssh_script_matches_netruns_outputs_host_by_host() {
    let Some(python) = asyncssh_python() else {
        return;
    };
    let lab = TestLab::start(4, &[]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    let command = "show ip interface brief";
    let netrun = netrun_in(
        None,
        &["-i", inventory, "-o", "json", "--timeout", "10", command],
        &[],
        DEADLINE,
    );
    assert_eq!(netrun.status.code(), Some(0), "{}", stderr(&netrun));
    let expected: Vec<(String, bool, String)> = common::outputs(&common::json(&netrun))
        .into_iter()
        .map(|(name, ok, _, outputs)| (name, ok, outputs.concat()))
        .collect();
    assert_eq!(expected.len(), 4);
    assert!(expected
        .iter()
        .all(|(_, ok, output)| *ok && output.contains("Interface")));

    let script = Command::new(&python)
        .arg(ASYNCSSH_SCRIPT)
        .args(["2", "--timeout", "10", "-c", command])
        .env("NETRUN_BENCH_INVENTORY", inventory)
        .stdin(Stdio::null())
        .output()
        .expect("run the asyncssh script");
    assert_eq!(script.status.code(), Some(0), "{}", stderr(&script));
    assert_eq!(script_outputs(&script), expected);

    let external = format!(
        "asyncssh={} {ASYNCSSH_SCRIPT} 2 --timeout 10",
        python.display()
    );
    let (out, doc) = bench_in(
        None,
        &[
            "-i",
            inventory,
            "--strategies",
            "async",
            "--external",
            &external,
            "show",
            "clock",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let cell = cells(&doc)
        .iter()
        .find(|c| c["name"] == "asyncssh")
        .expect("an asyncssh cell");
    assert_eq!(cell["runs"][0]["usage"]["exit"], "exit 0", "{cell}");
    assert!(
        positive(&cell["summary"]["cost"]["cpu_ms_per_session"]),
        "{cell}"
    );
}
