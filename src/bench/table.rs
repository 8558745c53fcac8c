//! Rendering a bench: the text tables (times like `time`, resources, per-session times and cost,
//! then the book's processes / threads / coroutines comparison filled with this run's numbers),
//! JSON with every run, and CSV with one row per run.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::stats::{InsideSummary, Percentiles, SessionTimes, Spread, Summary};
use super::{Bench, Cell, CellKind, RunRecord};
use crate::strategy::{self, StrategyKind};

/// How one strategy's column of the book's comparison table reads, for the rows where execution
/// models differ: a strategy's row in the strategy table fills this in.
pub struct ComparisonColumn {
    /// The book's name for the model: `Processes`.
    pub title: &'static str,
    /// Where the column stands, left to right (the book's order: processes, threads, coroutines).
    pub position: u8,
    pub scheduler: fn(&Summary, &InsideSummary) -> String,
    pub memory: fn(&Summary, &InsideSummary) -> String,
    pub kernel_presence: fn(&Summary, &InsideSummary) -> String,
}

/// The text report.
pub fn write_text(bench: &Bench, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "netrun bench: `{}` on {} hosts ({})",
        bench.command, bench.hosts, bench.target
    )?;
    writeln!(
        out,
        "{} measured run{} per cell after 1 warm-up, interleaved; each run a child process \
         measured by wait4(2); median [min–max]\n",
        bench.runs,
        if bench.runs == 1 { "" } else { "s" }
    )?;
    out.write_all(grid(&time_rows(bench)).as_bytes())?;
    writeln!(out)?;
    out.write_all(grid(&resource_rows(bench)).as_bytes())?;
    writeln!(
        out,
        "\nPer session: ok sessions of every measured run, ms p50 / p95 / p99; CPU = user+sys \
         (wait4) per session, RSS = the tool's own peak (netrun's VmHWM + fork workers'), \
         testbed = the --lab child's CPU"
    )?;
    out.write_all(grid(&session_rows(bench)).as_bytes())?;
    let comparison = comparison_rows(bench);
    if comparison.len() > 1 {
        writeln!(
            out,
            "\nProcesses vs threads vs coroutines, measured (the book's table, this run's numbers)"
        )?;
        out.write_all(grid(&comparison).as_bytes())?;
    }
    let notes = problems(bench);
    if !notes.is_empty() {
        writeln!(out)?;
        for note in notes {
            writeln!(out, "{note}")?;
        }
    }
    Ok(())
}

fn time_rows(bench: &Bench) -> Vec<Vec<String>> {
    let mut rows = vec![strings(&[
        "cell", "real s", "user s", "sys s", "vs seq", "sessions",
    ])];
    for (cell, s) in bench.cells.iter().zip(&bench.summaries) {
        rows.push(vec![
            cell.kind.label(),
            seconds(&s.wall_ms),
            seconds(&s.user_ms),
            seconds(&s.sys_ms),
            s.ratio_to_sequential.map_or("-".to_string(), ratio),
            s.status.clone(),
        ]);
    }
    rows
}

fn resource_rows(bench: &Bench) -> Vec<Vec<String>> {
    let mut rows = vec![strings(&[
        "cell",
        "max RSS",
        "ctx switches vol/invol",
        "per session",
        "OS tasks created",
        "peak in flight",
        "fork workers RSS Σ/max",
        "fork workers CPU Σ/max",
    ])];
    for (cell, s) in bench.cells.iter().zip(&bench.summaries) {
        let inside = s.inside.as_ref();
        let forked = inside.filter(|i| i.processes_forked > 0.0);
        rows.push(vec![
            cell.kind.label(),
            mib(s.max_rss_kib.median),
            format!("{:.0} / {:.0}", s.nvcsw.median, s.nivcsw.median),
            per_session(s, bench.hosts),
            inside.map_or("-".to_string(), tasks_created),
            inside.map_or("-".to_string(), |i| count(i.peak_in_flight)),
            forked.map_or("-".to_string(), |i| {
                format!(
                    "{} / {}",
                    mib(i.workers_rss_sum_kib.median),
                    mib(i.workers_rss_max_kib.median)
                )
            }),
            forked.map_or("-".to_string(), |i| {
                format!(
                    "{:.0} / {:.0} ms",
                    i.workers_cpu_sum_ms.median, i.workers_cpu_max_ms.median
                )
            }),
        ]);
    }
    rows
}

fn session_rows(bench: &Bench) -> Vec<Vec<String>> {
    let mut rows = vec![strings(&[
        "cell",
        "connect",
        "auth",
        "total",
        "CPU/session",
        "RSS",
        "RSS/1k sessions",
        "testbed CPU/session",
        "testbed share",
    ])];
    for (cell, s) in bench.cells.iter().zip(&bench.summaries) {
        let times = s.session_times.as_ref();
        let column = |pick: fn(&SessionTimes) -> &Percentiles| {
            times.map_or("-".to_string(), |t| percentiles(pick(t)))
        };
        let cost = &s.cost;
        rows.push(vec![
            cell.kind.label(),
            column(|t| &t.connect_ms),
            column(|t| &t.auth_ms),
            column(|t| &t.total_ms),
            format!("{:.2} ms", cost.cpu_ms_per_session),
            cost.rss_kib.map_or("-".to_string(), |r| mib(r.median)),
            cost.rss_kib_per_1000_sessions.map_or("-".to_string(), mib),
            cost.lab_cpu_ms_per_session
                .map_or("-".to_string(), |ms| format!("{ms:.2} ms")),
            cost.lab_share
                .map_or("-".to_string(), |share| format!("{:.0}%", share * 100.0)),
        ]);
    }
    rows
}

/// `12.3 / 20.1 / 31.0`: p50 / p95 / p99 in ms.
fn percentiles(p: &Percentiles) -> String {
    format!("{} / {} / {}", millis(p.p50), millis(p.p95), millis(p.p99))
}

/// A time in ms with three significant digits, at least one decimal below 100 ms.
fn millis(ms: f64) -> String {
    match ms {
        ms if ms < 10.0 => format!("{ms:.2}"),
        ms if ms < 100.0 => format!("{ms:.1}"),
        ms => format!("{ms:.0}"),
    }
}

/// The book's table, one column per model, from the cell with the most workers of each.
fn comparison_rows(bench: &Bench) -> Vec<Vec<String>> {
    let mut models: Vec<(StrategyKind, &ComparisonColumn)> = strategy::all()
        .filter_map(|kind| Some((kind, kind.comparison()?)))
        .collect();
    models.sort_by_key(|(_, column)| column.position);
    let picked: Vec<(&ComparisonColumn, String, &Summary, &InsideSummary)> = models
        .into_iter()
        .filter_map(|(strategy, column)| {
            let (cell, summary) = representative(bench, strategy)?;
            let inside = summary.inside.as_ref()?;
            Some((
                column,
                format!("{}: {}", column.title, cell.kind.label()),
                summary,
                inside,
            ))
        })
        .collect();
    let mut rows = vec![std::iter::once("Property".to_string())
        .chain(picked.iter().map(|p| p.1.clone()))
        .collect::<Vec<_>>()];
    if picked.is_empty() {
        return rows;
    }
    type CellText<'a> = &'a dyn Fn(&ComparisonColumn, &Summary, &InsideSummary) -> String;
    let row = |name: &str, value: CellText| {
        std::iter::once(name.to_string())
            .chain(picked.iter().map(|(c, _, s, i)| value(c, s, i)))
            .collect::<Vec<_>>()
    };
    rows.push(row("Scheduler", &|c, s, i| (c.scheduler)(s, i)));
    rows.push(row("Memory", &|c, s, i| (c.memory)(s, i)));
    rows.push(row("Switching cost", &|_, s, _| {
        format!(
            "{} ctx switches/session ({:.0} vol + {:.0} invol)",
            per_session(s, bench.hosts),
            s.nvcsw.median,
            s.nivcsw.median
        )
    }));
    rows.push(row("Kernel presence", &|c, s, i| (c.kernel_presence)(s, i)));
    rows.push(row("CPU user+sys", &|_, s, _| {
        let total = s.user_ms.median + s.sys_ms.median;
        format!(
            "{:.3} s ({:.1} ms/session)",
            total / 1000.0,
            total / bench.hosts.max(1) as f64
        )
    }));
    rows.push(row("This I/O-bound run", &|_, s, _| {
        let wall = format!("{:.3} s wall", s.wall_ms.median / 1000.0);
        match (s.failed, s.ratio_to_sequential) {
            (true, _) => format!("{wall}, {}", s.status),
            (false, Some(r)) => {
                format!("{wall}, {}× sequential ({:.1}× faster)", ratio(r), 1.0 / r)
            }
            (false, None) => wall,
        }
    }));
    rows
}

/// The cell of `strategy` with the most workers, and its summary.
fn representative(bench: &Bench, strategy: StrategyKind) -> Option<(&Cell, &Summary)> {
    bench
        .cells
        .iter()
        .zip(&bench.summaries)
        .filter(|(c, _)| c.kind.strategy() == Some(strategy))
        .max_by_key(|(c, _)| match c.kind {
            CellKind::Netrun { workers, .. } => workers,
            CellKind::External { .. } => 0,
        })
}

fn problems(bench: &Bench) -> Vec<String> {
    let mut notes = Vec::new();
    for cell in &bench.cells {
        if let Some(problem) = cell.runs.iter().find_map(|r| r.problem.as_ref()) {
            notes.push(format!("{}: {problem}", cell.kind.label()));
        }
    }
    notes
}

/// What a run created besides its main thread.
fn tasks_created(i: &InsideSummary) -> String {
    let mut parts = Vec::new();
    if i.processes_forked > 0.0 {
        parts.push(format!("{} processes", count(i.processes_forked)));
    }
    if i.threads_spawned > 0.0 || i.tasks_spawned > 0.0 {
        parts.push(format!("{} threads", count(i.threads_spawned)));
    }
    if i.tasks_spawned > 0.0 {
        parts.push(format!("{} tasks", count(i.tasks_spawned)));
    }
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join(" + ")
    }
}

/// A ratio to sequential: three decimals, so that 0.058 and 0.063 differ.
fn ratio(r: f64) -> String {
    format!("{r:.3}")
}

fn per_session(s: &Summary, hosts: usize) -> String {
    format!(
        "{:.1}",
        (s.nvcsw.median + s.nivcsw.median) / hosts.max(1) as f64
    )
}

fn seconds(s: &Spread) -> String {
    format!(
        "{:.3} [{:.3}–{:.3}]",
        s.median / 1000.0,
        s.min / 1000.0,
        s.max / 1000.0
    )
}

pub(crate) fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

/// A median count: whole when it is whole (an even number of runs can give a half).
pub(crate) fn count(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n:.1}")
    }
}

/// `1 thread`, `3 threads`.
pub(crate) fn plural(n: f64, word: &str) -> String {
    if n == 1.0 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", count(n))
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Rows as left-aligned columns two spaces apart, the first row underlined.
fn grid(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |row: &[String]| {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(s, &w)| format!("{s}{}", " ".repeat(w - s.chars().count())))
            .collect();
        format!("{}\n", cells.join("  ").trim_end())
    };
    let mut text = String::new();
    for (i, row) in rows.iter().enumerate() {
        text.push_str(&line(row));
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
            text.push_str(&line(&rule));
        }
    }
    text
}

/// Every cell with every run (warm-up included, marked) and its summary, and the comparison.
pub fn write_json(bench: &Bench, out: &mut dyn Write) -> io::Result<()> {
    let cells: Vec<Value> = bench
        .cells
        .iter()
        .zip(&bench.summaries)
        .map(|(cell, summary)| {
            let (kind, strategy, workers, threads, command) = match &cell.kind {
                CellKind::Netrun {
                    strategy,
                    workers,
                    threads,
                } => (
                    "netrun",
                    Some(strategy.name()),
                    Some(*workers),
                    Some(*threads),
                    None,
                ),
                CellKind::External { command, .. } => {
                    ("external", None, None, None, Some(command.as_str()))
                }
            };
            json!({
                "name": cell.kind.label(),
                "kind": kind,
                "strategy": strategy,
                "workers": workers,
                "runtime_threads": threads,
                "command": command,
                "warmup": cell.warmup.as_ref().map(run_json),
                "runs": cell.runs.iter().map(run_json).collect::<Vec<_>>(),
                "summary": summary,
            })
        })
        .collect();
    let comparison = comparison_rows(bench);
    let doc = json!({
        "command": bench.command,
        "target": bench.target,
        "hosts": bench.hosts,
        "runs": bench.runs,
        "warmup_runs": 1,
        "failed_cells": bench.summaries.iter().filter(|s| s.failed).count(),
        "cells": cells,
        "comparison": {
            "columns": comparison.first(),
            "rows": comparison.get(1..).unwrap_or_default(),
        },
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn run_json(run: &RunRecord) -> Value {
    json!({
        "usage": run.usage,
        "inside": run.inside,
        "problem": run.problem,
        "lab_cpu_ms": run.lab_cpu_ms,
    })
}

/// The CSV columns, one row per measured run.
pub const CSV_HEADER: &str = "cell,kind,strategy,workers,run,wall_ms,user_ms,sys_ms,max_rss_kib,\
nvcsw,nivcsw,exit,sessions_ok,sessions_failed,threads_spawned,processes_forked,tasks_spawned,\
peak_in_flight,workers_rss_sum_kib,workers_rss_max_kib,workers_cpu_sum_ms,peak_rss_kib,lab_cpu_ms,\
connect_p50_ms,connect_p95_ms,connect_p99_ms,auth_p50_ms,auth_p95_ms,auth_p99_ms,total_p50_ms,\
total_p95_ms,total_p99_ms,runtime_threads";

/// One row per measured run (the warm-up is left out), RFC 4180 quoting.
pub fn write_csv(bench: &Bench, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for cell in &bench.cells {
        let (kind, strategy, workers, threads) = match &cell.kind {
            CellKind::Netrun {
                strategy,
                workers,
                threads,
            } => (
                "netrun",
                strategy.name().to_string(),
                workers.to_string(),
                threads.to_string(),
            ),
            CellKind::External { .. } => ("external", String::new(), String::new(), String::new()),
        };
        for (n, run) in cell.runs.iter().enumerate() {
            let u = &run.usage;
            let inside = run.inside.as_ref().map_or(vec![String::new(); 9], |i| {
                vec![
                    i.ok.to_string(),
                    i.failed.to_string(),
                    i.threads_spawned.to_string(),
                    i.processes_forked.to_string(),
                    i.tasks_spawned.to_string(),
                    i.peak_in_flight.to_string(),
                    i.workers_rss_sum_kib.to_string(),
                    i.workers_rss_max_kib.to_string(),
                    format!("{:.3}", i.workers_cpu_sum_ms),
                ]
            });
            let fields: Vec<String> = [
                cell.kind.label(),
                kind.to_string(),
                strategy.clone(),
                workers.clone(),
                (n + 1).to_string(),
                format!("{:.3}", u.wall_ms),
                format!("{:.3}", u.user_ms),
                format!("{:.3}", u.sys_ms),
                u.max_rss_kib.to_string(),
                u.nvcsw.to_string(),
                u.nivcsw.to_string(),
                u.exit.describe(),
            ]
            .into_iter()
            .chain(inside)
            .chain(cost_fields(run))
            .chain([threads.clone()])
            .collect();
            let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            writeln!(out, "{}", quoted.join(","))?;
        }
    }
    Ok(())
}

/// A run's own peak RSS, the lab's CPU and the run's per-session percentiles (empty when unknown).
fn cost_fields(run: &RunRecord) -> Vec<String> {
    let optional = |value: Option<String>| value.unwrap_or_default();
    let peak = run.inside.as_ref().and_then(|i| i.peak_rss_kib);
    let mut fields = vec![
        optional(peak.map(|kib| kib.to_string())),
        optional(run.lab_cpu_ms.map(|ms| format!("{ms:.3}"))),
    ];
    let times = SessionTimes::of(std::slice::from_ref(run));
    for pick in [
        |t: &SessionTimes| t.connect_ms,
        |t: &SessionTimes| t.auth_ms,
        |t: &SessionTimes| t.total_ms,
    ] {
        let p = times.as_ref().map(pick);
        for value in [p.map(|p| p.p50), p.map(|p| p.p95), p.map(|p| p.p99)] {
            fields.push(optional(value.map(|ms| format!("{ms:.3}"))));
        }
    }
    fields
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::test_support::bench;

    fn text() -> String {
        let mut buf = Vec::new();
        write_text(&bench(), &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn line_of<'a>(text: &'a str, start: &str) -> &'a str {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starting with {start:?} in\n{text}"))
    }

    #[test]
    fn text_shows_median_and_range_like_time_and_the_ratio() {
        let text = text();
        let threads = line_of(&text, "threads ×2");
        // Runs of 500 and 600 ms: median 0.550, range 0.500–0.600, against sequential 1.050.
        assert!(threads.contains("0.550 [0.500–0.600]"), "{threads}");
        assert!(
            threads.contains(&format!("{:.2}", 550.0 / 1050.0)),
            "{threads}"
        );
        assert!(threads.contains("ok 4/4"), "{threads}");
        assert!(line_of(&text, "sequential").contains("1.000"));
    }

    #[test]
    fn a_failed_cell_is_marked_and_gets_no_ratio() {
        let text = text();
        let fork = line_of(&text, "fork ×2");
        assert!(fork.contains("FAILED 1/4"), "{fork}");
        assert!(fork.contains(" -  "), "no ratio for a failed cell: {fork}");
    }

    #[test]
    fn text_ends_with_the_books_table_in_numbers() {
        let text = text();
        let header = line_of(&text, "Property");
        assert!(header.contains("Processes: fork ×2"));
        assert!(header.contains("Threads: threads ×2"));
        assert!(header.contains("Coroutines (async): async ×2"));
        for row in [
            "Scheduler",
            "Memory",
            "Switching cost",
            "Kernel presence",
            "CPU user+sys",
            "This I/O-bound run",
        ] {
            line_of(&text, row);
        }
        assert!(line_of(&text, "Switching cost").contains("22.0 ctx switches/session"));
        assert!(line_of(&text, "This I/O-bound run").contains("FAILED 1/4"));
    }

    #[test]
    fn external_rows_have_no_inside_numbers() {
        let text = text();
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("netmiko, threads"))
            .collect();
        assert_eq!(rows.len(), 3, "one row in each table");
        assert!(rows[0].ends_with("ok"));
        assert!(rows[1].contains(" -  "));
        assert!(rows[2].starts_with("netmiko, threads  -  "), "{}", rows[2]);
    }

    #[test]
    fn json_has_every_cell_every_run_and_the_summary() {
        let mut buf = Vec::new();
        write_json(&bench(), &mut buf).unwrap();
        let doc: Value = serde_json::from_slice(&buf).unwrap();
        let cells = doc["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 5);
        assert_eq!(cells[1]["strategy"], "threads");
        assert_eq!(cells[1]["runs"].as_array().unwrap().len(), 2);
        assert_eq!(cells[1]["runs"][0]["usage"]["wall_ms"], 500.0);
        assert_eq!(cells[1]["runs"][0]["usage"]["exit"], "exit 0");
        assert_eq!(cells[1]["runs"][0]["inside"]["ok"], 2);
        assert_eq!(cells[1]["summary"]["wall_ms"]["median"], 550.0);
        assert_eq!(cells[2]["summary"]["failed"], true);
        assert_eq!(cells[2]["summary"]["ratio_to_sequential"], Value::Null);
        assert_eq!(cells[4]["kind"], "external");
        assert_eq!(cells[4]["runs"][0]["inside"], Value::Null);
        assert_eq!(doc["failed_cells"], 1);
        assert_eq!(doc["comparison"]["rows"].as_array().unwrap().len(), 6);
    }

    #[test]
    fn csv_has_one_row_per_run_and_quotes_commas() {
        let mut buf = Vec::new();
        write_csv(&bench(), &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(lines.len(), 1 + 2 * 4 + 1);
        let columns = CSV_HEADER.split(',').count();
        assert!(lines[1].starts_with("sequential,netrun,sequential,1,1,1000.000,"));
        assert_eq!(lines[1].split(',').count(), columns);
        assert!(lines[9].starts_with("\"netmiko, threads\",external,,,1,"));
    }

    #[test]
    fn the_session_table_has_percentiles_and_cost_per_cell() {
        let text = text();
        let table = text
            .split("Per session:")
            .nth(1)
            .expect("a per-session table");
        // async ×2: runs of 450 and 480 ms, 2 ok sessions each, connect 1 and 2 ms, total 10 ms.
        let row = line_of(table.trim_start_matches(|c| c != '\n'), "async ×2");
        assert!(row.contains("1.00 / 2.00 / 2.00"), "{row}");
        assert!(row.contains("10.0 / 10.0 / 10.0"), "{row}");
        // CPU: (465/10 + 465/20) ms over 2 sessions; RSS 6000 KiB own, ×500 per 1,000 sessions.
        assert!(row.contains("34.88 ms"), "{row}");
        assert!(row.contains("5.9 MiB  2929.7 MiB"), "{row}");
        // The testbed: 465/40 ms per run over 2 sessions; its share of 11.6 + 69.8 ms.
        assert!(row.contains("5.81 ms"), "{row}");
        assert!(row.contains("14%"), "{row}");
        let external = line_of(table.trim_start_matches(|c| c != '\n'), "netmiko, threads");
        assert!(external.starts_with("netmiko, threads  -"), "{external}");
    }

    #[test]
    fn counts_read_naturally() {
        assert_eq!(plural(1.0, "thread"), "1 thread");
        assert_eq!(plural(3.0, "thread"), "3 threads");
        assert_eq!(count(2.5), "2.5");
        assert_eq!(ratio(550.0 / 1050.0), "0.524");
    }

    #[test]
    fn grid_aligns_columns() {
        let rows = vec![strings(&["a", "bb"]), strings(&["ccc", "d"])];
        assert_eq!(grid(&rows), "a    bb\n---  --\nccc  d\n");
    }
}
