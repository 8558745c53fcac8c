//! Statistics over a cell's measured runs: median and min–max of every number, sessions ok and
//! failed, whether the cell failed, and its ratio to the sequential cell.

use serde::Serialize;

use super::{Cell, CellKind, RunRecord};
use crate::strategy;

/// Median and range of a set of runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// `None` for no values; the median of an even count is the mean of the two middle values.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len().is_multiple_of(2) {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        } else {
            sorted[mid]
        };
        Some(Spread {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        })
    }

    fn over(runs: &[RunRecord], value: impl Fn(&RunRecord) -> f64) -> Spread {
        let values: Vec<f64> = runs.iter().map(value).collect();
        Spread::of(&values).unwrap_or(Spread {
            median: 0.0,
            min: 0.0,
            max: 0.0,
        })
    }
}

/// Medians of what netrun reported from inside, over the runs that produced a report.
#[derive(Debug, Clone, Serialize)]
pub struct InsideSummary {
    pub workers: f64,
    pub threads_spawned: f64,
    pub processes_forked: f64,
    pub tasks_spawned: f64,
    pub peak_in_flight: f64,
    pub workers_rss_sum_kib: Spread,
    pub workers_rss_max_kib: Spread,
    pub workers_cpu_sum_ms: Spread,
    pub workers_cpu_max_ms: Spread,
}

/// A cell's summary over its measured runs (the warm-up is not counted).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub wall_ms: Spread,
    pub user_ms: Spread,
    pub sys_ms: Spread,
    pub max_rss_kib: Spread,
    pub nvcsw: Spread,
    pub nivcsw: Spread,
    /// `None` for an external command (netrun's inside view is not available).
    pub inside: Option<InsideSummary>,
    /// Sessions over all measured runs (netrun cells; 0 for external commands).
    pub sessions: usize,
    pub failed_sessions: usize,
    /// Measured runs that did not exit with status 0.
    pub failed_runs: usize,
    /// Some session failed or some run did not exit 0: the times are not comparable.
    pub failed: bool,
    /// Median wall over the sequential cell's median wall; only when both cells succeeded.
    pub ratio_to_sequential: Option<f64>,
    /// `ok 60/60`, `FAILED 3/20`, `ok`, `FAILED exit 1`.
    pub status: String,
}

/// Summarise `cell`; `hosts` is how many sessions one run opens (runs that produced no report
/// count them all as failed); `sequential_ms` is the sequential cell's median wall when it
/// succeeded.
pub fn summarise(cell: &Cell, hosts: usize, sequential_ms: Option<f64>) -> Summary {
    let runs = &cell.runs;
    let is_netrun = matches!(cell.kind, CellKind::Netrun { .. });
    let sessions: usize = runs
        .iter()
        .map(|r| r.inside.as_ref().map_or(hosts, |i| i.sessions()))
        .sum();
    let failed_sessions: usize = runs
        .iter()
        .map(|r| r.inside.as_ref().map_or(hosts, |i| i.failed))
        .sum();
    let failed_runs = runs.iter().filter(|r| !r.usage.exit.success()).count();
    let failed = failed_runs > 0 || (is_netrun && failed_sessions > 0) || runs.is_empty();
    let wall_ms = Spread::over(runs, |r| r.usage.wall_ms);
    let status = match (failed, is_netrun) {
        (false, true) => format!("ok {}/{}", sessions - failed_sessions, sessions),
        (false, false) => "ok".to_string(),
        (true, true) if failed_sessions > 0 => format!("FAILED {failed_sessions}/{sessions}"),
        (true, _) => match runs.iter().find(|r| !r.usage.exit.success()) {
            Some(run) => format!("FAILED {}", run.usage.exit.describe()),
            None => "FAILED".to_string(),
        },
    };
    Summary {
        wall_ms,
        user_ms: Spread::over(runs, |r| r.usage.user_ms),
        sys_ms: Spread::over(runs, |r| r.usage.sys_ms),
        max_rss_kib: Spread::over(runs, |r| r.usage.max_rss_kib as f64),
        nvcsw: Spread::over(runs, |r| r.usage.nvcsw as f64),
        nivcsw: Spread::over(runs, |r| r.usage.nivcsw as f64),
        inside: if is_netrun {
            inside_summary(runs)
        } else {
            None
        },
        sessions: if is_netrun { sessions } else { 0 },
        failed_sessions: if is_netrun { failed_sessions } else { 0 },
        failed_runs,
        failed,
        ratio_to_sequential: ratio(failed, wall_ms.median, sequential_ms),
        status,
    }
}

/// The ratio of a cell's median to the sequential median, never for a failed cell (its time is
/// that of a run that did less work) nor against a zero or failed sequential baseline.
pub fn ratio(failed: bool, median_ms: f64, sequential_ms: Option<f64>) -> Option<f64> {
    match sequential_ms {
        Some(base) if !failed && base > 0.0 => Some(median_ms / base),
        _ => None,
    }
}

fn inside_summary(runs: &[RunRecord]) -> Option<InsideSummary> {
    let reported: Vec<&RunRecord> = runs.iter().filter(|r| r.inside.is_some()).collect();
    if reported.is_empty() {
        return None;
    }
    let spread = |value: &dyn Fn(&super::Inside) -> f64| {
        let values: Vec<f64> = reported
            .iter()
            .filter_map(|r| r.inside.as_ref().map(value))
            .collect();
        Spread::of(&values).expect("at least one run reported")
    };
    Some(InsideSummary {
        workers: spread(&|i| i.workers as f64).median,
        threads_spawned: spread(&|i| i.threads_spawned as f64).median,
        processes_forked: spread(&|i| i.processes_forked as f64).median,
        tasks_spawned: spread(&|i| i.tasks_spawned as f64).median,
        peak_in_flight: spread(&|i| i.peak_in_flight as f64).median,
        workers_rss_sum_kib: spread(&|i| i.workers_rss_sum_kib as f64),
        workers_rss_max_kib: spread(&|i| i.workers_rss_max_kib as f64),
        workers_cpu_sum_ms: spread(&|i| i.workers_cpu_sum_ms),
        workers_cpu_max_ms: spread(&|i| i.workers_cpu_max_ms),
    })
}

/// The sequential cell's median wall (the strategy table's baseline), if there is a sequential
/// cell and it succeeded.
pub fn sequential_baseline(cells: &[Cell], hosts: usize) -> Option<f64> {
    cells
        .iter()
        .find(|c| c.kind.strategy() == Some(strategy::baseline()))
        .map(|c| summarise(c, hosts, None))
        .filter(|s| !s.failed)
        .map(|s| s.wall_ms.median)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::test_support::{external, netrun_cell, run, strategy};

    #[test]
    fn median_of_odd_and_even_counts() {
        let odd = Spread::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((odd.median, odd.min, odd.max), (2.0, 1.0, 3.0));
        let even = Spread::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((even.median, even.min, even.max), (2.5, 1.0, 4.0));
        let one = Spread::of(&[7.0]).unwrap();
        assert_eq!((one.median, one.min, one.max), (7.0, 7.0, 7.0));
        assert_eq!(Spread::of(&[]), None);
    }

    #[test]
    fn a_successful_cell_is_compared_with_sequential() {
        let seq = netrun_cell(
            strategy("sequential"),
            1,
            &[run(1000.0, 2, 0), run(1200.0, 2, 0)],
        );
        let threads = netrun_cell(
            strategy("threads"),
            2,
            &[run(300.0, 2, 0), run(200.0, 2, 0)],
        );
        let cells = [seq, threads];
        let base = sequential_baseline(&cells, 2);
        assert_eq!(base, Some(1100.0));
        let s = summarise(&cells[1], 2, base);
        assert!(!s.failed);
        assert_eq!(s.status, "ok 4/4");
        assert_eq!(s.wall_ms.median, 250.0);
        assert_eq!(s.ratio_to_sequential, Some(250.0 / 1100.0));
        assert_eq!(s.inside.unwrap().threads_spawned, 2.0);
    }

    #[test]
    fn a_cell_with_failed_sessions_is_marked_and_not_compared() {
        let fork = netrun_cell(strategy("fork"), 20, &[run(100.0, 17, 3)]);
        let s = summarise(&fork, 20, Some(1000.0));
        assert!(s.failed);
        assert_eq!(s.status, "FAILED 3/20");
        assert_eq!(s.ratio_to_sequential, None);
    }

    #[test]
    fn a_failed_sequential_cell_is_no_baseline() {
        let seq = netrun_cell(strategy("sequential"), 1, &[run(1000.0, 1, 1)]);
        assert_eq!(sequential_baseline(&[seq], 2), None);
        assert_eq!(ratio(false, 10.0, None), None);
        assert_eq!(ratio(false, 10.0, Some(0.0)), None);
    }

    #[test]
    fn a_run_without_a_report_counts_every_session_as_failed() {
        let mut crashed = run(50.0, 0, 0);
        crashed.inside = None;
        crashed.usage.exit = crate::bench::measure::Exit::Code(2);
        let cell = netrun_cell(strategy("async"), 5, &[run(40.0, 5, 0), crashed]);
        let s = summarise(&cell, 5, Some(100.0));
        assert_eq!(s.status, "FAILED 5/10");
        assert_eq!(s.failed_runs, 1);
    }

    #[test]
    fn an_external_command_fails_by_its_exit_status() {
        let ok = summarise(&external("netmiko", 0), 3, Some(1000.0));
        assert_eq!(ok.status, "ok");
        assert!(ok.inside.is_none());
        assert!(ok.ratio_to_sequential.is_some());
        let failed = summarise(&external("netmiko", 1), 3, Some(1000.0));
        assert_eq!(failed.status, "FAILED exit 1");
        assert_eq!(failed.ratio_to_sequential, None);
    }
}
