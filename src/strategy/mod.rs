//! Strategies: how jobs are scheduled onto sequential code, OS threads, forked worker processes or
//! tokio tasks. A strategy only schedules: it receives jobs and a `JobRunner` and knows nothing of
//! SSH, Telnet or Cisco. Every strategy returns exactly one `Outcome` per job, sorted by job index.
//!
//! Each strategy is one file implementing [`Strategy`] plus one row of the table in `table`
//! ([`all`] lists them), which is all the rest of netrun knows about it. Every strategy watches
//! its batch's stop source and winds down the one way `stop` describes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::job::{EventSink, Job, Outcome, Worker};
use crate::os::StopSource;

pub mod fork;
pub mod sequential;
pub mod stop;
pub mod table;
pub mod threads;
pub mod tokio;

pub use table::{all, baseline, StrategyKind, Workers};

/// A boxed future that need not be `Send` (the async strategy keeps each task on the thread
/// that spawned it).
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// How to run one job, blocking or async. Implemented by the session layer (and by tests).
pub trait JobRunner: Send + Sync + 'static {
    /// Run `job` to completion on the calling thread. With `stop`, a session in flight when it
    /// fires gets the stop grace to finish, then is closed and its host `interrupted`.
    fn run_blocking(
        &self,
        job: &Job,
        worker: Worker,
        events: &dyn EventSink,
        stop: Option<&'static StopSource>,
    ) -> Outcome;
    /// Run `job` as a future on the current tokio runtime.
    fn run_async(
        &self,
        job: Job,
        worker: Worker,
        events: Arc<dyn EventSink>,
    ) -> LocalFuture<Outcome>;
}

/// Receives each job's outcome as soon as the strategy's collecting side has it, in completion
/// order, on the thread that called [`run`]. Hosts cut off by a stop signal are not passed: they
/// only appear in the final [`Run`].
pub trait OutcomeSink {
    fn finished(&self, outcome: &Outcome);
}

/// A sink that ignores every outcome (the final `Run` has them all).
pub struct NoOutcomes;

impl OutcomeSink for NoOutcomes {
    fn finished(&self, _outcome: &Outcome) {}
}

/// One way of scheduling jobs: a file of this module and a row of its table.
pub trait Strategy: Sync {
    /// Run every job of `batch` with at most `batch.workers` sessions at once, and return exactly
    /// one `Outcome` per job, in job-index order.
    fn run(&self, batch: Batch<'_>) -> anyhow::Result<Run>;
}

/// What a strategy is given to run. Only [`run`] makes one (and this module's unit tests), so a
/// strategy can count on at least one job and `workers` in `1..=jobs.len()`.
pub struct Batch<'a> {
    jobs: Vec<Job>,
    workers: usize,
    /// OS threads the async strategy spreads its runtimes over (`--threads`, at least 1); the
    /// other strategies are never given more than one.
    threads: usize,
    runner: Arc<dyn JobRunner>,
    events: Arc<dyn EventSink>,
    /// Told of each outcome as it arrives.
    outcomes: &'a dyn OutcomeSink,
    /// Fires on SIGINT/SIGTERM: start nothing more, wind down within `stop::GRACE`.
    stop: &'static StopSource,
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

/// Run `jobs` under `kind` with at most `workers` sessions at once (clamped to 1..=jobs), on
/// `threads` OS threads where the strategy spreads itself over several (async: `--threads`),
/// telling `outcomes` of each as it finishes, winding down early when `stop` fires.
#[allow(clippy::too_many_arguments)]
pub fn run(
    kind: StrategyKind,
    jobs: Vec<Job>,
    workers: usize,
    threads: usize,
    runner: Arc<dyn JobRunner>,
    events: Arc<dyn EventSink>,
    outcomes: &dyn OutcomeSink,
    stop: &'static StopSource,
) -> anyhow::Result<Run> {
    if jobs.is_empty() {
        return Ok(Run::default());
    }
    let workers = workers.clamp(1, jobs.len());
    kind.strategy().run(Batch {
        jobs,
        workers,
        threads: threads.max(1),
        runner,
        events,
        outcomes,
        stop,
    })
}

/// Run one job on the calling thread, turning a panic in the runner into that job's failure so
/// every job still yields exactly one `Outcome` (and a forked child never unwinds into the
/// parent's code).
fn run_guarded(
    runner: &dyn JobRunner,
    job: &Job,
    worker: Worker,
    events: &dyn EventSink,
    stop: Option<&'static StopSource>,
) -> Outcome {
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runner.run_blocking(job, worker.clone(), events, stop)
    }));
    attempt.unwrap_or_else(|panic| Outcome::failed(job, panic_failure(panic.as_ref()), worker))
}

/// A failure describing a panic payload.
fn panic_failure(panic: &(dyn std::any::Any + Send)) -> crate::job::Failure {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    crate::job::Failure::new(
        crate::job::ErrorKind::Worker,
        format!("worker panicked: {message}"),
    )
}

/// Counts sessions in flight and remembers the peak. `enter` returns a guard that leaves on drop.
#[derive(Default)]
pub(crate) struct InFlight {
    now: std::sync::atomic::AtomicU64,
    peak: std::sync::atomic::AtomicU64,
}

impl InFlight {
    pub(crate) fn enter(&self) -> InFlightGuard<'_> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.peak.fetch_max(now, SeqCst);
        InFlightGuard(self)
    }

    pub(crate) fn peak(&self) -> u64 {
        self.peak.load(std::sync::atomic::Ordering::SeqCst)
    }
}

pub(crate) struct InFlightGuard<'a>(&'a InFlight);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Outcomes in job-index order.
fn sorted(mut outcomes: Vec<Outcome>) -> Vec<Outcome> {
    outcomes.sort_by_key(|o| o.index);
    outcomes
}

/// A `JobRunner` for the strategies' unit tests: no network, a short bounded computation, and
/// an `Outcome` that records who ran the job. `die_on` makes the runner exit the (forked) worker
/// process on that job, to test how a dying child is reported.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::job::{CommandResult, Host, Secret, Task, TransportKind};
    use std::time::Duration;

    /// How a test runner should fail on one job.
    #[derive(Clone, Copy)]
    pub enum Death {
        Exit(i32),
        Kill,
        /// SIGSTOP: the worker hangs until someone kills it.
        Stop,
    }

    pub struct TestRunner {
        pub die_on: Vec<(usize, Death)>,
        pub in_flight: InFlightProbe,
        /// Trigger this stop source (as SIGINT would) when running this job; the job finishes.
        pub stop_on: Option<(usize, &'static StopSource)>,
    }

    /// Lets the async test see how many jobs ran at once, from inside the runner.
    #[derive(Default, Clone)]
    pub struct InFlightProbe(pub Arc<InFlight>);

    impl TestRunner {
        pub fn new() -> Self {
            TestRunner {
                die_on: Vec::new(),
                in_flight: InFlightProbe::default(),
                stop_on: None,
            }
        }

        fn maybe_stop(&self, job: &Job) {
            if let Some((_, stop)) = self.stop_on.filter(|(i, _)| *i == job.index) {
                stop.trigger(crate::os::Signal::SIGINT);
            }
        }

        fn outcome(job: &Job, worker: Worker) -> Outcome {
            // A bounded computation so jobs overlap a little without sleeping.
            let checksum = (0..20_000u64).fold(job.index as u64, |acc, x| {
                acc.wrapping_mul(31).wrapping_add(x)
            });
            Outcome {
                index: job.index,
                name: job.host.name.clone(),
                host: job.host.host.clone(),
                port: job.host.port,
                prompt: format!("{}#", job.host.name),
                commands: vec![CommandResult {
                    command: "show checksum".into(),
                    prompt: format!("{}#", job.host.name),
                    output: checksum.to_string(),
                    ok: true,
                    output_bytes: None,
                    start_us: 0,
                    duration_us: 0,
                    parse: None,
                }],
                config: None,
                failure: None,
                host_key: None,
                timings: Default::default(),
                worker,
                retried: Vec::new(),
            }
        }
    }

    impl JobRunner for TestRunner {
        fn run_blocking(
            &self,
            job: &Job,
            worker: Worker,
            events: &dyn EventSink,
            _stop: Option<&'static StopSource>,
        ) -> Outcome {
            if let Some((_, death)) = self.die_on.iter().find(|(i, _)| *i == job.index) {
                // Only ever reached in a forked test child: ending it at once, without running
                // destructors, is the point of the test.
                match death {
                    Death::Exit(code) => crate::os::exit_now(*code),
                    Death::Kill => {
                        let _ = nix::sys::signal::raise(crate::os::Signal::SIGKILL);
                    }
                    Death::Stop => {
                        let _ = nix::sys::signal::raise(crate::os::Signal::SIGSTOP);
                    }
                }
            }
            self.maybe_stop(job);
            events.emit(crate::job::Event {
                worker: worker.clone(),
                at_us: crate::job::now_us(),
                index: job.index,
                kind: crate::job::EventKind::Finished { ok: true },
            });
            Self::outcome(job, worker)
        }

        fn run_async(
            &self,
            job: Job,
            worker: Worker,
            _events: Arc<dyn EventSink>,
        ) -> LocalFuture<Outcome> {
            let probe = self.in_flight.clone();
            self.maybe_stop(&job);
            Box::pin(async move {
                let _guard = probe.0.enter();
                // Yield a few times so other tasks get to start while this one is in flight.
                for _ in 0..3 {
                    ::tokio::task::yield_now().await;
                }
                Self::outcome(&job, worker)
            })
        }
    }

    /// A batch of `count` jobs for `runner`, at most `workers` at once, reporting no events,
    /// with a stop source of its own that no signal feeds.
    pub fn batch(count: usize, workers: usize, runner: impl JobRunner) -> Batch<'static> {
        Batch {
            jobs: jobs(count),
            workers,
            threads: 1,
            runner: Arc::new(runner),
            events: Arc::new(crate::job::NoEvents),
            outcomes: &NoOutcomes,
            stop: stop_source(),
        }
    }

    /// A stop source for one test (leaked, as the real one is).
    pub fn stop_source() -> &'static StopSource {
        Box::leak(Box::new(StopSource::new().unwrap()))
    }

    /// `count` jobs for hosts r0..rN.
    pub fn jobs(count: usize) -> Vec<Job> {
        (0..count)
            .map(|index| Job {
                index,
                host: Host {
                    name: format!("r{index}"),
                    host: "127.0.0.1".into(),
                    port: 1,
                    transport: TransportKind::Ssh,
                    platform: "cisco_ios".into(),
                    platform_error: None,
                    username: "u".into(),
                    password: Secret::new("p"),
                    secret: None,
                    timeout: Duration::from_secs(1),
                    limits: crate::job::Limits::default(),
                    ssh_legacy: false,
                    key_file: None,
                    key_passphrase: None,
                    host_keys: Default::default(),
                    groups: Vec::new(),
                    data: Default::default(),
                    reach: Default::default(),
                },
                task: Task::Show {
                    commands: vec!["show checksum".into()],
                    answers: Vec::new(),
                },
            })
            .collect()
    }

    /// Collects events, for tests that check forwarding.
    #[derive(Default)]
    pub struct EventLog(pub std::sync::Mutex<Vec<crate::job::Event>>);

    impl EventSink for EventLog {
        fn emit(&self, event: crate::job::Event) {
            self.0.lock().unwrap().push(event);
        }
    }

    /// Asserts one outcome per job, in index order: jobs `..finished` ok, the rest interrupted.
    pub fn assert_interrupted_after(outcomes: &[Outcome], count: usize, finished: usize) {
        let indices: Vec<usize> = outcomes.iter().map(|o| o.index).collect();
        assert_eq!(indices, (0..count).collect::<Vec<_>>());
        for o in outcomes {
            match o.index < finished {
                true => assert!(o.ok(), "{o:?}"),
                false => assert_eq!(
                    o.failure.as_ref().map(|f| f.kind),
                    Some(crate::job::ErrorKind::Interrupted),
                    "{o:?}"
                ),
            }
        }
    }

    /// Asserts one outcome per job, in index order, all ok.
    pub fn assert_complete(outcomes: &[Outcome], count: usize) {
        let indices: Vec<usize> = outcomes.iter().map(|o| o.index).collect();
        assert_eq!(indices, (0..count).collect::<Vec<_>>());
        for o in outcomes {
            assert!(o.ok(), "{o:?}");
            assert_eq!(o.name, format!("r{}", o.index));
        }
    }
}
