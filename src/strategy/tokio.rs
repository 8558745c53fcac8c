//! The async strategy: tokio tasks on a current-thread runtime with a `LocalSet` — one OS thread
//! and epoll, like Python's asyncio — with at most N sessions in flight.

use std::rc::Rc;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Semaphore;
use tokio::task::LocalSet;

use super::{panic_failure, sorted, Batch, InFlight, Run, RunStats, Strategy};
use crate::job::{Failure, Outcome, Worker};

/// One tokio task per job on a current-thread runtime, at most `workers` in flight at once.
pub struct Async;

impl Strategy for Async {
    fn run(&self, batch: Batch) -> anyhow::Result<Run> {
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
/// them all.
async fn run_all(batch: Batch, in_flight: Rc<InFlight>) -> anyhow::Result<Vec<Outcome>> {
    let Batch {
        jobs,
        workers: limit,
        runner,
        events,
    } = batch;
    let permits = Arc::new(Semaphore::new(limit));
    let mut handles = Vec::with_capacity(jobs.len());
    for job in &jobs {
        // Waiting for a permit before spawning keeps at most `limit` tasks alive at once.
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .context("the session limit semaphore closed")?;
        let (job, runner, events, in_flight) = (
            job.clone(),
            runner.clone(),
            events.clone(),
            in_flight.clone(),
        );
        handles.push(tokio::task::spawn_local(async move {
            let _permit = permit;
            let _in_flight = in_flight.enter();
            runner.run_async(job, task_worker(), events).await
        }));
    }
    let mut outcomes = Vec::with_capacity(jobs.len());
    for (job, handle) in jobs.iter().zip(handles) {
        outcomes.push(match handle.await {
            Ok(outcome) => outcome,
            Err(err) if err.is_panic() => Outcome::failed(
                job,
                panic_failure(err.into_panic().as_ref()),
                Worker::current(),
            ),
            Err(err) => Outcome::failed(
                job,
                Failure::new(crate::job::ErrorKind::Worker, format!("task ended: {err}")),
                Worker::current(),
            ),
        });
    }
    Ok(outcomes)
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
    use crate::strategy::testing::{assert_complete, batch, TestRunner};
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
}
