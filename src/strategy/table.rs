//! The one table of strategies. Each row says everything netrun says and does about one
//! strategy: the name users type and reports print, its `--help` line, how many workers it runs,
//! how the bench's plot colours it and its column in the book's comparison table, and the
//! `Strategy` that schedules it. The CLI's value parser and help, the reports, the bench's table
//! and plot, and the tests that run every strategy all read this table; adding a strategy is its
//! own file plus one row here.

use std::fmt;
use std::str::FromStr;

use super::fork::Fork;
use super::sequential::Sequential;
use super::threads::Threads;
use super::tokio::Async;
use super::Strategy;
use crate::bench::stats::{InsideSummary, Summary};
use crate::bench::table::{count, mib, plural, ComparisonColumn};

/// Every strategy, in the order `--help`, `bench` and its plot list them. The first row is the
/// baseline the bench compares every other strategy with.
static TABLE: [StrategyKind; 4] = [
    StrategyKind(&Row {
        name: "sequential",
        help: "One host after another on the main thread",
        workers: Workers::One,
        fds_per_worker: 1, // the session's socket
        spreads_over_threads: false,
        plot_colour: (120, 120, 120),
        comparison: None,
        strategy: &Sequential,
    }),
    StrategyKind(&Row {
        name: "threads",
        help: "A pool of OS threads named netrun-worker-K",
        workers: Workers::Choosable {
            default: 50,
            counts: "thread pool size",
        },
        fds_per_worker: 1, // each session's socket
        spreads_over_threads: false,
        plot_colour: (31, 119, 180),
        comparison: Some(ComparisonColumn {
            title: "Threads",
            position: 1,
            scheduler: |_, i| format!("kernel (CFS): {} threads", count(i.threads_spawned)),
            memory: one_address_space,
            kernel_presence: |_, i| {
                format!(
                    "{} kernel tasks (main + {} threads)",
                    count(1.0 + i.threads_spawned),
                    count(i.threads_spawned)
                )
            },
        }),
        strategy: &Threads,
    }),
    StrategyKind(&Row {
        name: "fork",
        help: "Worker processes made with fork(2) before any thread exists",
        workers: Workers::Choosable {
            default: 20,
            counts: "worker processes",
        },
        fds_per_worker: 2, // the parent's two pipe ends per worker (the socket is the child's)
        spreads_over_threads: false,
        plot_colour: (214, 39, 40),
        comparison: Some(ComparisonColumn {
            title: "Processes",
            position: 0,
            scheduler: |_, i| format!("kernel (CFS): {} processes", count(i.processes_forked)),
            memory: |_, i| {
                format!(
                    "workers Σ {} (each ≤ {}), own address spaces",
                    mib(i.workers_rss_sum_kib.median),
                    mib(i.workers_rss_max_kib.median)
                )
            },
            kernel_presence: |_, i| {
                format!(
                    "{} kernel tasks (1 + {} forked)",
                    count(1.0 + i.processes_forked + i.threads_spawned),
                    count(i.processes_forked)
                )
            },
        }),
        strategy: &Fork,
    }),
    StrategyKind(&Row {
        name: "async",
        help: "Tokio tasks on a single-threaded runtime (epoll), at most N in flight; \
               --threads T runs T such runtimes, one per OS thread",
        workers: Workers::FanOut {
            counts: "async limit",
        },
        fds_per_worker: 1, // each session's socket
        spreads_over_threads: true,
        plot_colour: (44, 160, 44),
        comparison: Some(ComparisonColumn {
            title: "Coroutines (async)",
            position: 2,
            // The runtimes run on the main thread, or on the --threads they spawned (the main
            // thread then only collects outcomes).
            scheduler: |_, i| {
                format!(
                    "tokio on {}: {} tasks",
                    plural(i.threads_spawned.max(1.0), "thread"),
                    count(i.tasks_spawned)
                )
            },
            memory: one_address_space,
            kernel_presence: |_, i| {
                format!(
                    "{} + {} tasks the kernel never sees",
                    plural(1.0 + i.threads_spawned, "kernel task"),
                    count(i.tasks_spawned)
                )
            },
        }),
        strategy: &Async,
    }),
];

/// The memory cell of a strategy whose sessions share the process's address space.
fn one_address_space(s: &Summary, _: &InsideSummary) -> String {
    format!("{} max RSS, one address space", mib(s.max_rss_kib.median))
}

/// Descriptors a run keeps for what is not a worker's: stdio, the `--lab` child's pipe, the
/// async runtime's epoll and wakers, the inventory and template files, a fork while it is made
/// (two more pipe ends), and room to spare.
pub const RESERVED_FDS: u64 = 64;

/// How many workers a strategy runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    /// Always one, whatever `-w` says.
    One,
    /// `-w N`, else `default`; `counts` says what N is, for `--help` ("thread pool size").
    Choosable {
        default: usize,
        counts: &'static str,
    },
    /// `-w N`, else every host at once as far as the open-files limit and memory allow
    /// ([`StrategyKind::fan_out_within`]).
    FanOut { counts: &'static str },
}

/// What one session in flight is budgeted in memory when the default fan-out is fitted to the
/// memory available: netrun's own measured footprint per session (the pages of libssh2's mapped
/// session it touches, OpenSSL's contexts, the dialogue, the task), about 37 KiB, with room for
/// a show command's output of tens of KB. `--max-output` (256 MiB by default) is a ceiling that
/// fails one host, not a size each host reaches, so it is not reserved per session.
pub const SESSION_MEMORY_BUDGET: u64 = 128 << 10;

/// The share of `MemAvailable` the default fan-out may plan to use; the rest is left to the
/// machine (a lab on the same host, page cache, outputs larger than the budget).
pub const MEMORY_SHARE_DIVISOR: u64 = 2;

/// One row of the table.
struct Row {
    name: &'static str,
    help: &'static str,
    workers: Workers,
    /// Descriptors netrun's own process holds for each worker while it runs, so that the
    /// workers can be fitted under the open-files limit.
    fds_per_worker: u64,
    /// Whether `--threads` spreads it over several OS threads (async's runtimes).
    spreads_over_threads: bool,
    plot_colour: (u8, u8, u8),
    /// The strategy's column in the bench's comparison table; none for the baseline.
    comparison: Option<ComparisonColumn>,
    strategy: &'static dyn Strategy,
}

/// A strategy: a row of the table. Parsed from and printed as its name (`-s fork`,
/// `"strategy": "fork"`).
#[derive(Clone, Copy)]
pub struct StrategyKind(&'static Row);

/// Every strategy, in table order.
pub fn all() -> impl ExactSizeIterator<Item = StrategyKind> + Clone {
    TABLE.iter().copied()
}

/// The strategy the bench compares every other with (`ratio_to_sequential`).
pub fn baseline() -> StrategyKind {
    TABLE[0]
}

impl StrategyKind {
    /// What users type and reports print: `fork`.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The `--help` line.
    pub fn help(self) -> &'static str {
        self.0.help
    }

    pub fn workers(self) -> Workers {
        self.0.workers
    }

    /// Whether `-w` changes how many workers it runs.
    pub fn takes_workers(self) -> bool {
        !matches!(self.0.workers, Workers::One)
    }

    /// Whether its default is every host at once, fitted to the machine.
    pub fn fans_out(self) -> bool {
        matches!(self.0.workers, Workers::FanOut { .. })
    }

    /// Whether `--threads` applies to it.
    pub fn spreads_over_threads(self) -> bool {
        self.0.spreads_over_threads
    }

    /// The workers for `hosts` hosts: `requested` if this strategy takes it, else the default
    /// (every host, for a fan-out); never more than there are hosts, at least one.
    pub fn workers_for(self, requested: Option<usize>, hosts: usize) -> usize {
        let wanted = match self.0.workers {
            Workers::One => 1,
            Workers::Choosable { default, .. } => requested.unwrap_or(default),
            Workers::FanOut { .. } => requested.unwrap_or(hosts),
        };
        wanted.min(hosts).max(1)
    }

    /// The default fan-out of `wanted` sessions fitted to the machine: as many as fit with their
    /// descriptors under `open_files` ([`Self::workers_within`]) and, each budgeted
    /// [`SESSION_MEMORY_BUDGET`], in `1 / MEMORY_SHARE_DIVISOR` of `mem_available` bytes (when
    /// it is known); at least one.
    pub fn fan_out_within(
        self,
        wanted: usize,
        open_files: Option<u64>,
        mem_available: Option<u64>,
    ) -> usize {
        let by_files = open_files.map_or(wanted, |limit| self.workers_within(wanted, limit));
        let by_memory = mem_available.map_or(usize::MAX, |bytes| {
            let sessions = bytes / MEMORY_SHARE_DIVISOR / SESSION_MEMORY_BUDGET;
            usize::try_from(sessions).unwrap_or(usize::MAX)
        });
        by_files.min(by_memory).max(1)
    }

    /// At most `wanted` workers, as many as fit with their descriptors under `open_files` (the
    /// soft RLIMIT_NOFILE) beside the [`RESERVED_FDS`]; at least one.
    pub fn workers_within(self, wanted: usize, open_files: u64) -> usize {
        let room = open_files.saturating_sub(RESERVED_FDS) / self.0.fds_per_worker;
        wanted
            .min(usize::try_from(room).unwrap_or(usize::MAX))
            .max(1)
    }

    /// The descriptors `workers` workers need, reserve included: what the limit must allow.
    pub fn fds_needed(self, workers: usize) -> u64 {
        RESERVED_FDS + self.0.fds_per_worker * workers as u64
    }

    pub(crate) fn plot_colour(self) -> (u8, u8, u8) {
        self.0.plot_colour
    }

    pub(crate) fn comparison(self) -> Option<&'static ComparisonColumn> {
        self.0.comparison.as_ref()
    }

    pub(crate) fn strategy(self) -> &'static dyn Strategy {
        self.0.strategy
    }
}

impl PartialEq for StrategyKind {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for StrategyKind {}

impl fmt::Debug for StrategyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StrategyKind").field(&self.name()).finish()
    }
}

impl fmt::Display for StrategyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStrategy(String);

impl fmt::Display for UnknownStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = all().map(StrategyKind::name).collect();
        write!(
            f,
            "unknown strategy `{}` (one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownStrategy {}

impl FromStr for StrategyKind {
    type Err = UnknownStrategy;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        all()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| UnknownStrategy(name.to_string()))
    }
}

impl clap::ValueEnum for StrategyKind {
    fn value_variants<'a>() -> &'a [Self] {
        &TABLE
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.help()))
    }
}

impl serde::Serialize for StrategyKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for StrategyKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str) -> StrategyKind {
        name.parse().unwrap()
    }

    #[test]
    fn names_and_default_workers_are_the_ones_users_know() {
        for (name, default, takes_workers) in [
            ("sequential", 1, false),
            ("threads", 50, true),
            ("fork", 20, true),
            ("async", 5460, true),
        ] {
            let k = kind(name);
            assert_eq!(
                (k.workers_for(None, 5460), k.takes_workers()),
                (default, takes_workers),
                "{name}"
            );
        }
        let spread: Vec<&str> = all()
            .filter(|k| k.spreads_over_threads())
            .map(StrategyKind::name)
            .collect();
        assert_eq!(spread, ["async"]);
        let names: Vec<&str> = all().map(StrategyKind::name).collect();
        assert_eq!(names[..4], ["sequential", "threads", "fork", "async"]);
    }

    #[test]
    fn names_are_unique_and_parse_back() {
        for k in all() {
            assert_eq!(kind(k.name()), k);
            assert_eq!(all().filter(|other| other.name() == k.name()).count(), 1);
        }
        let err = "tokio".parse::<StrategyKind>().unwrap_err().to_string();
        assert!(
            err.starts_with("unknown strategy `tokio` (one of: sequential, threads, fork, async"),
            "{err}"
        );
    }

    #[test]
    fn the_baseline_runs_one_worker_and_has_no_comparison_column() {
        let baseline = baseline();
        assert_eq!(baseline.name(), "sequential");
        assert!(!baseline.takes_workers());
        assert!(baseline.comparison().is_none());
    }

    #[test]
    fn comparison_columns_have_distinct_positions() {
        let mut positions: Vec<u8> = all()
            .filter_map(|k| k.comparison().map(|c| c.position))
            .collect();
        let before = positions.len();
        positions.sort_unstable();
        positions.dedup();
        assert_eq!(positions.len(), before);
    }

    #[test]
    fn workers_are_requested_or_default_capped_at_hosts() {
        assert_eq!(kind("threads").workers_for(None, 500), 50);
        assert_eq!(kind("threads").workers_for(None, 3), 3);
        assert_eq!(kind("fork").workers_for(Some(4), 10), 4);
        assert_eq!(kind("async").workers_for(None, 0), 1);
        assert_eq!(kind("async").workers_for(None, 5460), 5460);
        assert_eq!(kind("async").workers_for(Some(100), 5460), 100);
        assert_eq!(kind("sequential").workers_for(Some(8), 500), 1);
    }

    #[test]
    fn workers_fit_under_the_open_files_limit() {
        assert_eq!(kind("async").workers_within(2000, 20_000), 2000);
        assert_eq!(kind("async").workers_within(2000, 1024), 1024 - 64);
        assert_eq!(kind("threads").workers_within(2000, 256), 192);
        assert_eq!(kind("fork").workers_within(2000, 256), 96);
        assert_eq!(kind("fork").workers_within(20, 10), 1, "at least one");
        for k in all() {
            let fit = k.workers_within(5000, 1024);
            assert!(k.fds_needed(fit) <= 1024, "{k}");
            assert!(
                k.fds_needed(fit + 1) > 1024,
                "{k}: one more would still fit"
            );
        }
    }

    #[test]
    fn the_default_fan_out_fits_open_files_and_memory() {
        let fan_out = kind("async");
        assert!(fan_out.fans_out());
        assert!(!kind("threads").fans_out());
        let plenty = Some(64 << 30);
        assert_eq!(fan_out.fan_out_within(5460, Some(20_000), plenty), 5460);
        assert_eq!(fan_out.fan_out_within(5460, Some(1024), plenty), 1024 - 64);
        // 1 GiB available: half of it in 128 KiB budgets.
        assert_eq!(
            fan_out.fan_out_within(5460, Some(20_000), Some(1 << 30)),
            4096
        );
        assert_eq!(fan_out.fan_out_within(5460, None, None), 5460);
        assert_eq!(
            fan_out.fan_out_within(5460, Some(10), Some(0)),
            1,
            "at least one"
        );
    }

    #[test]
    fn serialises_as_its_name() {
        let json = serde_json::to_string(&kind("fork")).unwrap();
        assert_eq!(json, "\"fork\"");
        let back: StrategyKind = serde_json::from_str(&json).unwrap();
        assert_eq!(back, kind("fork"));
        assert!(serde_json::from_str::<StrategyKind>("\"tokio\"").is_err());
    }
}
