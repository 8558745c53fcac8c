//! The async strategy: tokio tasks on a current-thread runtime with a `LocalSet` — one OS thread
//! and epoll, like Python's asyncio — with at most N sessions in flight. A stop signal wakes the
//! runtime through the stop source's descriptor: no task is spawned after it, tasks in flight get
//! the grace, and the rest are cancelled at their next await.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use anyhow::Context;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::Semaphore;
use tokio::task::{JoinSet, LocalSet};

use super::{
    panic_failure, sorted, stop, Batch, InFlight, JobRunner, OutcomeSink, Run, RunStats, Strategy,
};
use crate::job::{EventSink, Failure, Job, Outcome, Worker};
use crate::os::StopSource;

/// One tokio task per job on a current-thread runtime, at most `workers` in flight at once.
pub struct Async;

impl Strategy for Async {
    fn run(&self, batch: Batch<'_>) -> anyhow::Result<Run> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the tokio runtime")?;
        let in_flight = Rc::new(InFlight::default());
        let tasks = batch.jobs.len() as u64;
        let outcomes = LocalSet::new().block_on(&runtime, run_all(batch, in_flight.clone()))?;
        Ok(Run {
            outcomes: sorted(outcomes),
            stats: RunStats {
                tasks_spawned: tasks,
                peak_in_flight: in_flight.peak(),
                ..RunStats::default()
            },
        })
    }
}

/// Spawn one local task per job, each waiting for one of `batch.workers` permits, and collect
/// them all; or, once the stop source fires, spawn no more, give the tasks in flight
/// `stop::GRACE`, cancel the rest (at their next await) and report them as interrupted.
async fn run_all(batch: Batch<'_>, in_flight: Rc<InFlight>) -> anyhow::Result<Vec<Outcome>> {
    let Batch {
        jobs,
        workers: limit,
        runner,
        events,
        outcomes,
        stop,
    } = batch;
    let mut tasks = Tasks::new(jobs.len(), outcomes);
    {
        let all = tasks.spawn_and_join(&jobs, limit, &runner, &events, &in_flight, stop);
        tokio::pin!(all);
        tokio::select! {
            biased;
            () = stopped(stop) => {}
            finished = &mut all => finished?,
        }
    }
    if stop::requested(stop) {
        // Tasks already done wait in the set; the ones in flight get the grace.
        let _ = tokio::time::timeout(stop::GRACE, tasks.join_all(&jobs)).await;
        tasks.set.abort_all();
    }
    let signal = stop.signal();
    Ok(tasks
        .done
        .into_iter()
        .zip(&jobs)
        .map(|(outcome, job)| {
            outcome.unwrap_or_else(|| stop::interrupted(job, signal, Worker::current()))
        })
        .collect())
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

/// The spawned tasks, which job each is, and the outcomes gathered so far.
struct Tasks<'a> {
    set: JoinSet<Outcome>,
    jobs_of: HashMap<tokio::task::Id, usize>,
    done: Vec<Option<Outcome>>,
    /// Told of each outcome as it is joined.
    sink: &'a dyn OutcomeSink,
}

impl<'a> Tasks<'a> {
    fn new(jobs: usize, sink: &'a dyn OutcomeSink) -> Self {
        Tasks {
            set: JoinSet::new(),
            jobs_of: HashMap::new(),
            done: (0..jobs).map(|_| None).collect(),
            sink,
        }
    }

    /// Spawn a task per job as permits allow (at most `limit` alive at once), then join them;
    /// return without joining once `stop` has fired.
    async fn spawn_and_join(
        &mut self,
        jobs: &[Job],
        limit: usize,
        runner: &Arc<dyn JobRunner>,
        events: &Arc<dyn EventSink>,
        in_flight: &Rc<InFlight>,
        stop: &'static StopSource,
    ) -> anyhow::Result<()> {
        let permits = Arc::new(Semaphore::new(limit));
        for (position, job) in jobs.iter().enumerate() {
            // Waiting for a permit before spawning keeps at most `limit` tasks alive at once;
            // tasks that finish meanwhile are joined, so their outcomes arrive as they finish.
            let permit = loop {
                tokio::select! {
                    biased;
                    permit = permits.clone().acquire_owned() => {
                        break permit.context("the session limit semaphore closed")?;
                    }
                    Some(joined) = self.set.join_next_with_id() => self.record(joined, jobs),
                }
            };
            if stop::requested(stop) {
                return Ok(());
            }
            let (job, runner, events, in_flight) = (
                job.clone(),
                runner.clone(),
                events.clone(),
                in_flight.clone(),
            );
            let handle = self.set.spawn_local(async move {
                let _permit = permit;
                let _in_flight = in_flight.enter();
                runner.run_async(job, task_worker(), events).await
            });
            self.jobs_of.insert(handle.id(), position);
        }
        self.join_all(jobs).await;
        Ok(())
    }

    /// Wait for every spawned task, recording its outcome.
    async fn join_all(&mut self, jobs: &[Job]) {
        while let Some(joined) = self.set.join_next_with_id().await {
            self.record(joined, jobs);
        }
    }

    /// Record a joined task's outcome and pass it on (a panic fails only its job).
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
                    Err(err) => {
                        Failure::new(crate::job::ErrorKind::Worker, format!("task ended: {err}"))
                    }
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
        if let Some(&position) = self.jobs_of.get(&id) {
            self.sink.finished(&outcome);
            self.done[position] = Some(outcome);
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
}
