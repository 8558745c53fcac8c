//! Strategies: how jobs are scheduled onto sequential code, OS threads, forked worker processes or
//! tokio tasks. A strategy only schedules: it receives jobs and a `JobRunner` and knows nothing of
//! SSH, Telnet or Cisco. Every strategy returns exactly one `Outcome` per job, sorted by job index.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::job::{EventSink, Job, Outcome, Worker};

/// A boxed future that need not be `Send` (the async strategy runs tasks on one thread).
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// How to run one job, blocking or async. Implemented by the session layer (and by tests).
pub trait JobRunner: Send + Sync + 'static {
    /// Run `job` to completion on the calling thread.
    fn run_blocking(&self, job: &Job, worker: Worker, events: &dyn EventSink) -> Outcome;
    /// Run `job` as a future on the current tokio runtime.
    fn run_async(&self, job: Job, worker: Worker, events: Arc<dyn EventSink>) -> LocalFuture<Outcome>;
}

/// The fan-out strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum StrategyKind {
    /// One host after another on the main thread.
    Sequential,
    /// A pool of OS threads named netrun-worker-K.
    Threads,
    /// Worker processes made with fork(2) before any thread exists.
    Fork,
    /// Tokio tasks on a single-threaded runtime (epoll), at most N in flight.
    Async,
}

/// What a strategy spent, as it saw it from inside (the bench adds the OS's rusage from outside).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunStats {
    /// OS threads this run spawned (worker threads; runtime threads).
    pub threads_spawned: u64,
    /// Processes this run forked.
    pub processes_forked: u64,
    /// Async tasks spawned.
    pub tasks_spawned: u64,
    /// The most sessions in flight at once.
    pub peak_in_flight: u64,
    /// Fork strategy: the workers' resource use as reported by wait4.
    pub workers: Vec<ChildUsage>,
}

/// One reaped child's resource use (from wait4's rusage).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChildUsage {
    pub pid: u32,
    pub user_us: u64,
    pub sys_us: u64,
    pub max_rss_kib: u64,
}

/// The result of a run: one outcome per job in job-index order, and what it cost.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Run {
    pub outcomes: Vec<Outcome>,
    pub stats: RunStats,
}
