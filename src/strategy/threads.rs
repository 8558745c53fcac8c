//! The threads strategy: a pool of N OS threads named `netrun-worker-K` that pull jobs from a
//! shared counter on demand, so a slow host never holds a fixed share of the work.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

use anyhow::{anyhow, Context};

use super::{run_guarded, sorted, Batch, InFlight, JobRunner, Run, RunStats, Strategy};
use crate::job::{EventSink, Job, Outcome, Worker};

/// `workers` threads, each taking the next job until none is left.
pub struct Threads;

impl Strategy for Threads {
    fn run(&self, batch: Batch) -> anyhow::Result<Run> {
        let next = AtomicUsize::new(0);
        let in_flight = InFlight::default();
        let outcomes = Mutex::new(Vec::with_capacity(batch.jobs.len()));
        let pool = Pool {
            jobs: &batch.jobs,
            next: &next,
            in_flight: &in_flight,
            outcomes: &outcomes,
            runner: batch.runner.as_ref(),
            events: batch.events.as_ref(),
        };
        let spawned = thread::scope(|scope| {
            let mut spawned = 0u64;
            for k in 1..=batch.workers {
                let name = format!("netrun-worker-{k}");
                match thread::Builder::new()
                    .name(name.clone())
                    .spawn_scoped(scope, || pool.work())
                {
                    Ok(_) => spawned += 1,
                    // With at least one worker running the jobs still all get done.
                    Err(err) if spawned > 0 => eprintln!("netrun: could not start {name}: {err}"),
                    Err(err) => return Err(err).with_context(|| format!("starting {name}")),
                }
            }
            Ok(spawned)
        })?;
        let outcomes = outcomes
            .into_inner()
            .map_err(|_| anyhow!("a worker thread panicked while storing an outcome"))?;
        Ok(Run {
            outcomes: sorted(outcomes),
            stats: RunStats {
                threads_spawned: spawned,
                peak_in_flight: in_flight.peak(),
                ..RunStats::default()
            },
        })
    }
}

/// What every worker thread shares.
struct Pool<'a> {
    jobs: &'a [Job],
    next: &'a AtomicUsize,
    in_flight: &'a InFlight,
    outcomes: &'a Mutex<Vec<Outcome>>,
    runner: &'a dyn JobRunner,
    events: &'a dyn EventSink,
}

impl Pool<'_> {
    /// Take jobs until none are left; at most one pass over the job list.
    fn work(&self) {
        let worker = Worker::current();
        while let Some(job) = self.jobs.get(self.next.fetch_add(1, Ordering::Relaxed)) {
            let outcome = {
                let _in_flight = self.in_flight.enter();
                run_guarded(self.runner, job, worker.clone(), self.events)
            };
            if let Ok(mut outcomes) = self.outcomes.lock() {
                outcomes.push(outcome);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::NoEvents;
    use crate::strategy::testing::{assert_complete, batch, jobs, TestRunner};
    use std::collections::BTreeSet;
    use std::sync::Arc;

    #[test]
    fn every_job_runs_once_on_named_worker_threads() {
        let run = Threads.run(batch(40, 4, TestRunner::new())).unwrap();
        assert_complete(&run.outcomes, 40);
        let names: BTreeSet<&str> = run
            .outcomes
            .iter()
            .map(|o| o.worker.thread.as_str())
            .collect();
        let allowed: BTreeSet<String> = (1..=4).map(|k| format!("netrun-worker-{k}")).collect();
        assert!(names.iter().all(|n| allowed.contains(*n)), "{names:?}");
        assert_eq!(run.stats.threads_spawned, 4);
        assert!((1..=4).contains(&run.stats.peak_in_flight));
    }

    #[test]
    fn never_more_threads_than_jobs() {
        let threads = "threads".parse().unwrap();
        let runner = Arc::new(TestRunner::new());
        let run = crate::strategy::run(threads, jobs(2), 8, runner, Arc::new(NoEvents)).unwrap();
        assert_complete(&run.outcomes, 2);
        assert_eq!(run.stats.threads_spawned, 2);
    }

    #[test]
    fn a_panicking_runner_fails_only_its_job() {
        struct Panics;
        impl JobRunner for Panics {
            fn run_blocking(&self, job: &Job, worker: Worker, events: &dyn EventSink) -> Outcome {
                assert_ne!(job.index, 1, "boom on job 1");
                TestRunner::new().run_blocking(job, worker, events)
            }
            fn run_async(
                &self,
                job: Job,
                worker: Worker,
                events: Arc<dyn EventSink>,
            ) -> crate::strategy::LocalFuture<Outcome> {
                TestRunner::new().run_async(job, worker, events)
            }
        }
        let run = Threads.run(batch(3, 2, Panics)).unwrap();
        let failed: Vec<usize> = run
            .outcomes
            .iter()
            .filter(|o| !o.ok())
            .map(|o| o.index)
            .collect();
        assert_eq!(failed, vec![1]);
        let failure = run.outcomes[1].failure.as_ref().unwrap();
        assert_eq!(failure.kind, crate::job::ErrorKind::Worker);
        assert!(failure.message.contains("boom on job 1"), "{failure}");
    }
}
