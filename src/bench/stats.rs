//! Statistics over a cell's measured runs: median and min–max of every number, sessions ok and
//! failed, whether the cell failed, and its ratio to the sequential cell; per session, the
//! percentiles of connect, auth and total time, and what a session cost (CPU, RSS, the lab's CPU).

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

/// The 50th, 95th and 99th percentiles of a set of times (ms), nearest rank.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

impl Percentiles {
    /// `None` for no values. Nearest rank: the smallest value with at least p% of the values at
    /// or below it, so every percentile is a time that was measured.
    pub fn of(values: &[f64]) -> Option<Percentiles> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
            sorted[rank.clamp(1, sorted.len()) - 1]
        };
        Some(Percentiles {
            p50: rank(50.0),
            p95: rank(95.0),
            p99: rank(99.0),
        })
    }
}

/// Per-session times of a cell: the sessions that succeeded, over every measured run (a failed
/// session's times end where it failed, so they are left out).
#[derive(Debug, Clone, Serialize)]
pub struct SessionTimes {
    pub sessions: usize,
    pub connect_ms: Percentiles,
    pub auth_ms: Percentiles,
    pub total_ms: Percentiles,
}

impl SessionTimes {
    pub fn of(runs: &[RunRecord]) -> Option<SessionTimes> {
        let hosts: Vec<&super::inside::HostBars> = runs
            .iter()
            .filter_map(|r| r.inside.as_ref())
            .flat_map(|i| i.timeline.iter().filter(|h| h.ok))
            .collect();
        let of = |value: fn(&super::inside::HostBars) -> f64| {
            Percentiles::of(&hosts.iter().map(|h| value(h)).collect::<Vec<_>>())
        };
        Some(SessionTimes {
            sessions: hosts.len(),
            connect_ms: of(|h| h.connect_ms)?,
            auth_ms: of(|h| h.auth_ms)?,
            total_ms: of(|h| h.total_ms)?,
        })
    }
}

/// What one session cost, medians over the measured runs.
#[derive(Debug, Clone, Serialize)]
pub struct SessionCost {
    /// The cell's user + sys (wait4: the child and the descendants it reaped, such as fork
    /// workers or a Python pool's processes) over the sessions of one run.
    pub cpu_ms_per_session: f64,
    /// The tool's own memory: for netrun its reported peak (VmHWM) plus fork workers' peaks;
    /// for an external command wait4's max RSS (the largest of its processes). KiB.
    pub rss_kib: Option<Spread>,
    /// `rss_kib`'s median per 1,000 sessions of one run.
    pub rss_kib_per_1000_sessions: Option<f64>,
    /// The bench's `--lab` testbed's CPU during a run, per session (ms).
    pub lab_cpu_ms_per_session: Option<f64>,
    /// The testbed's part of the CPU the run cost on this machine, 0..1.
    pub lab_share: Option<f64>,
}

impl SessionCost {
    fn of(runs: &[RunRecord], is_netrun: bool, hosts: usize) -> SessionCost {
        let per_session = |total: f64| total / hosts.max(1) as f64;
        let cpu = Spread::over(runs, |r| r.usage.user_ms + r.usage.sys_ms).median;
        let rss: Vec<f64> = runs
            .iter()
            .filter_map(|r| match (is_netrun, &r.inside) {
                (true, Some(inside)) => inside.netrun_rss_kib(),
                (true, None) => None,
                (false, _) => Some(r.usage.max_rss_kib),
            })
            .map(|kib| kib as f64)
            .collect();
        let rss_kib = Spread::of(&rss);
        let lab: Vec<f64> = runs.iter().filter_map(|r| r.lab_cpu_ms).collect();
        let lab_cpu = Spread::of(&lab).map(|s| s.median);
        SessionCost {
            cpu_ms_per_session: per_session(cpu),
            rss_kib,
            rss_kib_per_1000_sessions: rss_kib.map(|s| per_session(s.median) * 1000.0),
            lab_cpu_ms_per_session: lab_cpu.map(per_session),
            lab_share: lab_cpu
                .filter(|lab| lab + cpu > 0.0)
                .map(|lab| lab / (lab + cpu)),
        }
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
    /// Per-session connect, auth and total percentiles; netrun cells whose runs reported hosts.
    pub session_times: Option<SessionTimes>,
    pub cost: SessionCost,
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
        session_times: SessionTimes::of(runs),
        cost: SessionCost::of(runs, is_netrun, hosts),
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
    fn percentiles_are_measured_values_by_nearest_rank() {
        let hundred: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let p = Percentiles::of(&hundred).unwrap();
        assert_eq!((p.p50, p.p95, p.p99), (50.0, 95.0, 99.0));
        let three = Percentiles::of(&[30.0, 10.0, 20.0]).unwrap();
        assert_eq!((three.p50, three.p95, three.p99), (20.0, 30.0, 30.0));
        assert_eq!(Percentiles::of(&[]), None);
    }

    #[test]
    fn session_times_pool_the_ok_sessions_of_every_run() {
        // Two runs of 2 ok + 1 failed sessions; the test runs' connect times are 1 + i ms.
        let cell = netrun_cell(strategy("async"), 3, &[run(40.0, 2, 1), run(50.0, 2, 1)]);
        let s = summarise(&cell, 3, None);
        let times = s.session_times.unwrap();
        assert_eq!(times.sessions, 4);
        assert_eq!(
            (times.connect_ms.p50, times.connect_ms.p99),
            (1.0, 2.0),
            "the failed third session (3 ms) is left out"
        );
        assert_eq!(times.total_ms.p95, 10.0);
        assert!(summarise(&external("netmiko", 0), 3, None)
            .session_times
            .is_none());
    }

    #[test]
    fn cost_per_session_uses_netruns_own_rss_and_the_labs_cpu() {
        // run(): user wall/10 + sys wall/20, own peak 6000 KiB, lab CPU wall/40, 8000 KiB wait4.
        let cell = netrun_cell(strategy("threads"), 4, &[run(400.0, 4, 0)]);
        let cost = summarise(&cell, 4, None).cost;
        assert_eq!(cost.cpu_ms_per_session, 60.0 / 4.0);
        assert_eq!(cost.rss_kib.unwrap().median, 6000.0);
        assert_eq!(cost.rss_kib_per_1000_sessions, Some(6000.0 / 4.0 * 1000.0));
        assert_eq!(cost.lab_cpu_ms_per_session, Some(10.0 / 4.0));
        assert_eq!(cost.lab_share, Some(10.0 / 70.0));
        let mut forked = run(400.0, 4, 0);
        forked.inside.as_mut().unwrap().workers_rss_sum_kib = 4000;
        let fork = netrun_cell(strategy("fork"), 4, &[forked]);
        assert_eq!(
            summarise(&fork, 4, None).cost.rss_kib.unwrap().median,
            10_000.0
        );
        // An external command has no report: its max RSS is wait4's.
        let cost = summarise(&external("netmiko", 0), 4, None).cost;
        assert_eq!(cost.rss_kib.unwrap().median, 8000.0);
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
