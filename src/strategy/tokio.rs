//! The async strategy: tokio tasks on current-thread runtimes, each with a `LocalSet` — by
//! default one runtime on the calling thread (one OS thread and epoll, like Python's asyncio) —
//! with at most N sessions in flight in all.
//!
//! With `--threads T` (T > 1) it runs T OS threads (`netrun-async-K`), each its own current-thread
//! runtime and `LocalSet`, pulling job numbers from one shared queue as their own share of the
//! `-w` limit frees up (shares differ by at most one and add up to `-w`), and sending each
//! outcome back to the calling thread, which tells the `OutcomeSink`. One runtime per thread
//! rather than tokio's multi-threaded scheduler because a session's future is not `Send`
//! (libssh2 handles behind `Rc`, the bastion pools in `transport::jump` are per thread) and stays
//! on the thread that started it; the shared queue still balances slow and fast hosts.
//!
//! A stop signal wakes every runtime through the stop source's descriptor: no task is spawned
//! after it, tasks in flight get the grace, and the rest are cancelled at their next await.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use anyhow::Context;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::Semaphore;
use tokio::task::{JoinSet, LocalSet};

use super::{
    panic_failure, sorted, stop, Batch, InFlight, JobRunner, OutcomeSink, Run, RunStats, Strategy,
};
use crate::job::{ErrorKind, EventSink, Failure, Job, Outcome, Worker};
use crate::os::StopSource;

/// One tokio task per job on `batch.threads` current-thread runtimes, at most `workers` in
/// flight at once in all.
pub struct Async;

impl Strategy for Async {
    fn run(&self, batch: Batch<'_>) -> anyhow::Result<Run> {
        let threads = batch.threads.min(batch.workers);
        let tasks = batch.jobs.len() as u64;
        let in_flight = Arc::new(InFlight::default());
        let (outcomes, threads_spawned) = match threads {
            1 => (on_this_thread(batch, &in_flight)?, 0),
            _ => (on_threads(batch, threads, &in_flight)?, threads as u64),
        };
        Ok(Run {
            outcomes: sorted(outcomes),
            stats: RunStats {
                threads_spawned,
                tasks_spawned: tasks,
                peak_in_flight: in_flight.peak(),
                ..RunStats::default()
            },
        })
    }
}

/// What every runtime shares: the jobs, who runs them, and the queue of job numbers.
struct Shared {
    jobs: Vec<Job>,
    runner: Arc<dyn JobRunner>,
    events: Arc<dyn EventSink>,
    stop: &'static StopSource,
    in_flight: Arc<InFlight>,
    queue: Queue,
}

impl Shared {
    /// What `batch`'s runtimes share, with its total session limit and its sink.
    fn of<'a>(batch: Batch<'a>, in_flight: &Arc<InFlight>) -> (Shared, usize, &'a dyn OutcomeSink) {
        let Batch {
            jobs,
            workers,
            runner,
            events,
            outcomes,
            stop,
            ..
        } = batch;
        let shared = Shared {
            queue: Queue::new(jobs.len()),
            jobs,
            runner,
            events,
            stop,
            in_flight: in_flight.clone(),
        };
        (shared, workers, outcomes)
    }
}

/// The job numbers not yet taken, handed out in order to whichever runtime asks first.
struct Queue {
    next: AtomicUsize,
    len: usize,
}

impl Queue {
    fn new(len: usize) -> Self {
        Queue {
            next: AtomicUsize::new(0),
            len,
        }
    }

    fn take(&self) -> Option<usize> {
        let position = self.next.fetch_add(1, Ordering::Relaxed);
        (position < self.len).then_some(position)
    }
}

/// The default: one runtime on the calling thread, which tells the sink of each outcome as it
/// joins it.
fn on_this_thread(batch: Batch<'_>, in_flight: &Arc<InFlight>) -> anyhow::Result<Vec<Outcome>> {
    let (shared, workers, sink) = Shared::of(batch, in_flight);
    let stop = shared.stop;
    let mut done: Vec<Option<Outcome>> = (0..shared.jobs.len()).map(|_| None).collect();
    let mut deliver = |position: usize, outcome: Outcome| {
        sink.finished(&outcome);
        done[position] = Some(outcome);
    };
    runtime()?.block_on(LocalSet::new().run_until(run_share(&shared, workers, &mut deliver)))?;
    Ok(fill_missing(done, &shared.jobs, stop))
}

/// `threads` runtimes on their own OS threads sharing `batch.workers` between them; outcomes
/// come back over a channel to the calling thread, which tells the sink.
fn on_threads(
    batch: Batch<'_>,
    threads: usize,
    in_flight: &Arc<InFlight>,
) -> anyhow::Result<Vec<Outcome>> {
    let (shared, workers, sink) = Shared::of(batch, in_flight);
    let stop = shared.stop;
    let shared = Arc::new(shared);
    let (sender, received) = mpsc::channel::<(usize, Outcome)>();
    let mut handles = Vec::with_capacity(threads);
    for (k, share) in shares(workers, threads).into_iter().enumerate() {
        let (shared, sender) = (shared.clone(), sender.clone());
        let handle = std::thread::Builder::new()
            .name(format!("netrun-async-{}", k + 1))
            .spawn(move || run_thread(&shared, share, &sender))
            .context("starting an async runtime thread")?;
        handles.push(handle);
    }
    drop(sender);
    let mut done: Vec<Option<Outcome>> = (0..shared.jobs.len()).map(|_| None).collect();
    // Ends once every runtime thread has ended (and dropped its sender).
    for (position, outcome) in received {
        sink.finished(&outcome);
        done[position] = Some(outcome);
    }
    let mut failed = Vec::new();
    for handle in handles {
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => failed.push(format!("{err:#}")),
            Err(panic) => failed.push(panic_failure(panic.as_ref()).message),
        }
    }
    if let Some(first) = failed.first() {
        if !stop::requested(stop) {
            // A runtime that could not start or panicked fails the jobs it never ran.
            let failure = Failure::new(ErrorKind::Worker, format!("async runtime ended: {first}"));
            for (slot, job) in done.iter_mut().zip(&shared.jobs) {
                if slot.is_none() {
                    let outcome = Outcome::failed(job, failure.clone(), Worker::current());
                    sink.finished(&outcome);
                    *slot = Some(outcome);
                }
            }
        }
    }
    Ok(fill_missing(done, &shared.jobs, stop))
}

/// One runtime thread: its own runtime and `LocalSet`, running jobs from the shared queue with
/// at most `share` in flight, each outcome sent to the calling thread.
fn run_thread(
    shared: &Shared,
    share: usize,
    sender: &mpsc::Sender<(usize, Outcome)>,
) -> anyhow::Result<()> {
    let mut deliver = |position: usize, outcome: Outcome| {
        // The calling thread only stops receiving once every sender is gone.
        let _ = sender.send((position, outcome));
    };
    runtime()?.block_on(LocalSet::new().run_until(run_share(shared, share, &mut deliver)))
}

/// `workers` split into `threads` shares that differ by at most one and add up to `workers`.
fn shares(workers: usize, threads: usize) -> Vec<usize> {
    (0..threads)
        .map(|k| workers / threads + usize::from(k < workers % threads))
        .collect()
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")
}

/// Each job's outcome, or `interrupted` for the jobs a stop cut off.
fn fill_missing(
    done: Vec<Option<Outcome>>,
    jobs: &[Job],
    stop: &'static StopSource,
) -> Vec<Outcome> {
    let signal = stop.signal();
    done.into_iter()
        .zip(jobs)
        .map(|(outcome, job)| {
            outcome.unwrap_or_else(|| stop::interrupted(job, signal, Worker::current()))
        })
        .collect()
}

/// On the current runtime: spawn one local task per job taken from the queue, each waiting for
/// one of `limit` permits, and deliver each outcome as it is joined; or, once the stop source
/// fires, spawn no more, give the tasks in flight `stop::GRACE` and cancel the rest (at their
/// next await), which are not delivered.
async fn run_share(
    shared: &Shared,
    limit: usize,
    deliver: &mut dyn FnMut(usize, Outcome),
) -> anyhow::Result<()> {
    let mut tasks = Tasks::new(deliver);
    {
        let all = tasks.spawn_and_join(shared, limit);
        tokio::pin!(all);
        tokio::select! {
            biased;
            () = stopped(shared.stop) => {}
            finished = &mut all => finished?,
        }
    }
    if stop::requested(shared.stop) {
        // Tasks already done wait in the set; the ones in flight get the grace.
        let _ = tokio::time::timeout(stop::GRACE, tasks.join_all(&shared.jobs)).await;
        tasks.set.abort_all();
    }
    Ok(())
}

/// Resolves once the stop source has fired. If its descriptor cannot be watched, never: the
/// spawning loop still checks the source before each task.
async fn stopped(stop: &'static StopSource) {
    // SAFETY: the descriptor belongs to a `'static` stop source, so it stays open and names the
    // same pipe for as long as this `AsyncFd` lives (and `BorrowedFd` always returns it).
    let watch = unsafe { AsyncFd::register_with_interest(stop.watch(), Interest::READABLE) };
    if let Ok(watch) = watch {
        if watch.readable().await.is_ok() {
            return;
        }
    }
    std::future::pending().await
}

/// The spawned tasks of one runtime and which job each is.
struct Tasks<'d> {
    set: JoinSet<Outcome>,
    jobs_of: HashMap<tokio::task::Id, usize>,
    /// Told of each outcome as it is joined.
    deliver: &'d mut dyn FnMut(usize, Outcome),
}

impl<'d> Tasks<'d> {
    fn new(deliver: &'d mut dyn FnMut(usize, Outcome)) -> Self {
        Tasks {
            set: JoinSet::new(),
            jobs_of: HashMap::new(),
            deliver,
        }
    }

    /// Spawn a task per job taken from the queue as permits allow (at most `limit` alive at
    /// once), then join them; return without joining once the stop source has fired.
    async fn spawn_and_join(&mut self, shared: &Shared, limit: usize) -> anyhow::Result<()> {
        let permits = Arc::new(Semaphore::new(limit));
        loop {
            // Waiting for a permit before taking a job keeps at most `limit` tasks alive at
            // once, and leaves the job to another runtime that has room first; tasks that finish
            // meanwhile are joined, so their outcomes arrive as they finish.
            let permit = loop {
                tokio::select! {
                    biased;
                    permit = permits.clone().acquire_owned() => {
                        break permit.context("the session limit semaphore closed")?;
                    }
                    Some(joined) = self.set.join_next_with_id() => self.record(joined, &shared.jobs),
                }
            };
            if stop::requested(shared.stop) {
                return Ok(());
            }
            let Some(position) = shared.queue.take() else {
                break;
            };
            let (job, runner, events, in_flight) = (
                shared.jobs[position].clone(),
                shared.runner.clone(),
                shared.events.clone(),
                shared.in_flight.clone(),
            );
            let handle = self.set.spawn_local(async move {
                let _permit = permit;
                let _in_flight = in_flight.enter();
                runner.run_async(job, task_worker(), events).await
            });
            self.jobs_of.insert(handle.id(), position);
        }
        self.join_all(&shared.jobs).await;
        Ok(())
    }

    /// Wait for every spawned task, recording its outcome.
    async fn join_all(&mut self, jobs: &[Job]) {
        while let Some(joined) = self.set.join_next_with_id().await {
            self.record(joined, jobs);
        }
    }

    /// Deliver a joined task's outcome (a panic fails only its job).
    fn record(
        &mut self,
        joined: Result<(tokio::task::Id, Outcome), tokio::task::JoinError>,
        jobs: &[Job],
    ) {
        let (id, outcome) = match joined {
            Ok((id, outcome)) => (id, outcome),
            Err(err) => {
                let id = err.id();
                let failure = match err.try_into_panic() {
                    Ok(panic) => panic_failure(panic.as_ref()),
                    Err(err) => Failure::new(ErrorKind::Worker, format!("task ended: {err}")),
                };
                let Some(&position) = self.jobs_of.get(&id) else {
                    return;
                };
                (
                    id,
                    Outcome::failed(&jobs[position], failure, Worker::current()),
                )
            }
        };
        if let Some(position) = self.jobs_of.remove(&id) {
            (self.deliver)(position, outcome);
        }
    }
}

/// The current thread and process, and the running tokio task's id.
fn task_worker() -> Worker {
    Worker {
        task: tokio::task::try_id().and_then(|id| id.to_string().parse().ok()),
        ..Worker::current()
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::testing::{
        assert_complete, assert_interrupted_after, batch, stop_source, TestRunner,
    };
    use std::collections::BTreeSet;

    #[test]
    fn every_job_runs_once_as_its_own_task_within_the_limit() {
        let runner = TestRunner::new();
        let probe = runner.in_flight.clone();
        let run = Async.run(batch(30, 4, runner)).unwrap();
        assert_complete(&run.outcomes, 30);
        let tasks: BTreeSet<u64> = run.outcomes.iter().filter_map(|o| o.worker.task).collect();
        assert_eq!(tasks.len(), 30, "each job has its own task id");
        assert!(run
            .outcomes
            .iter()
            .all(|o| o.worker.pid == std::process::id()));
        assert_eq!(run.stats.tasks_spawned, 30);
        // The runner yields while in flight, so the limit is actually reached — and never passed.
        assert_eq!(probe.0.peak(), 4);
        assert_eq!(run.stats.peak_in_flight, 4);
    }

    #[test]
    fn a_limit_of_one_runs_one_at_a_time() {
        let runner = TestRunner::new();
        let probe = runner.in_flight.clone();
        let run = Async.run(batch(5, 1, runner)).unwrap();
        assert_complete(&run.outcomes, 5);
        assert_eq!(probe.0.peak(), 1);
    }

    #[test]
    fn a_stop_spawns_no_more_tasks() {
        let stop = stop_source();
        let runner = TestRunner {
            stop_on: Some((2, stop)),
            ..TestRunner::new()
        };
        let mut batch = batch(30, 1, runner);
        batch.stop = stop;
        let run = Async.run(batch).unwrap();
        assert_interrupted_after(&run.outcomes, 30, 3);
    }

    #[test]
    fn shares_of_the_limit_differ_by_at_most_one_and_add_up() {
        assert_eq!(shares(10, 3), [4, 3, 3]);
        assert_eq!(shares(4, 2), [2, 2]);
        assert_eq!(shares(5460, 2), [2730, 2730]);
    }

    #[test]
    fn several_runtimes_run_every_job_once_within_the_total_limit() {
        let runner = TestRunner::new();
        let probe = runner.in_flight.clone();
        let mut batch = batch(40, 5, runner);
        batch.threads = 3;
        let run = Async.run(batch).unwrap();
        assert_complete(&run.outcomes, 40);
        let tasks: BTreeSet<u64> = run.outcomes.iter().filter_map(|o| o.worker.task).collect();
        assert_eq!(tasks.len(), 40, "each job has its own task id");
        assert!(run
            .outcomes
            .iter()
            .all(|o| o.worker.thread.starts_with("netrun-async-")));
        assert_eq!(run.stats.threads_spawned, 3);
        assert_eq!(run.stats.tasks_spawned, 40);
        assert!(
            probe.0.peak() <= 5,
            "at most -w in flight across the runtimes"
        );
    }

    #[test]
    fn never_more_runtimes_than_workers() {
        let mut batch = batch(10, 2, TestRunner::new());
        batch.threads = 8;
        let run = Async.run(batch).unwrap();
        assert_complete(&run.outcomes, 10);
        assert_eq!(run.stats.threads_spawned, 2);
    }

    #[test]
    fn a_stop_reaches_every_runtime() {
        // Fired before the run: no runtime may take a job. (Fired by a job mid-run, how many jobs
        // the other runtime finishes first depends on how the two threads are scheduled.)
        let stop = stop_source();
        stop.trigger(crate::os::Signal::SIGINT);
        let mut batch = batch(30, 4, TestRunner::new());
        batch.stop = stop;
        batch.threads = 2;
        let run = Async.run(batch).unwrap();
        let indices: Vec<usize> = run.outcomes.iter().map(|o| o.index).collect();
        assert_eq!(indices, (0..30).collect::<Vec<_>>());
        assert!(run.outcomes.iter().all(|o| {
            o.failure.as_ref().map(|f| f.kind) == Some(crate::job::ErrorKind::Interrupted)
        }));
    }
}
