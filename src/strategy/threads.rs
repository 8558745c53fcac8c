//! The threads strategy: a pool of N OS threads named `netrun-worker-K` that pull jobs from a
//! shared counter on demand, so a slow host never holds a fixed share of the work.
//!
//! The calling thread collects the outcomes: each worker sends its outcome on a channel and
//! writes a byte to a wake pipe, and the caller polls that pipe together with the stop source.
//! On a stop signal workers take no new job; the caller waits up to `stop::GRACE` for the
//! sessions in flight, reports the rest as interrupted and leaves the threads still in a session
//! behind (they end with the process, which exits after the report).

use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use anyhow::Context;

use super::{
    run_guarded, sorted, stop, Batch, InFlight, JobRunner, OutcomeSink, Run, RunStats, Strategy,
};
use crate::job::{EventSink, Job, Outcome, Worker};
use crate::os::{self, StopSource};

/// `workers` threads, each taking the next job until none is left or the run stops.
pub struct Threads;

impl Strategy for Threads {
    fn run(&self, batch: Batch<'_>) -> anyhow::Result<Run> {
        let (wake_rx, wake_tx) = os::pipe().context("creating the workers' wake pipe")?;
        let (outcome_tx, outcome_rx) = mpsc::channel();
        let pool = Arc::new(Pool {
            jobs: batch.jobs,
            next: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
            in_flight: InFlight::default(),
            runner: batch.runner,
            events: batch.events,
            stop: batch.stop,
            wake: Mutex::new(File::from(wake_tx)),
        });
        let handles = spawn_workers(&pool, batch.workers, &outcome_tx)?;
        drop(outcome_tx);
        let outcomes = collect(&pool, &outcome_rx, &File::from(wake_rx), batch.outcomes)?;
        let threads_spawned = handles.len() as u64;
        // A worker still in a session after a stop is left to end with the process.
        for handle in handles {
            if handle.is_finished() || !stop::requested(pool.stop) {
                let _ = handle.join();
            }
        }
        Ok(Run {
            outcomes,
            stats: RunStats {
                threads_spawned,
                peak_in_flight: pool.in_flight.peak(),
                ..RunStats::default()
            },
        })
    }
}

/// Start up to `workers` threads; at least one, or an error.
fn spawn_workers(
    pool: &Arc<Pool>,
    workers: usize,
    outcomes: &Sender<Outcome>,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let mut handles = Vec::with_capacity(workers);
    for k in 1..=workers {
        let name = format!("netrun-worker-{k}");
        let (pool, outcomes) = (pool.clone(), outcomes.clone());
        match thread::Builder::new()
            .name(name.clone())
            .spawn(move || pool.work(&outcomes))
        {
            Ok(handle) => handles.push(handle),
            // With at least one worker running the jobs still all get done.
            Err(err) if !handles.is_empty() => eprintln!("netrun: could not start {name}: {err}"),
            Err(err) => return Err(err).with_context(|| format!("starting {name}")),
        }
    }
    Ok(handles)
}

/// Gather one outcome per job, or, after a stop, those that finish within the grace; the rest
/// are interrupted. At most one wait per outcome, plus the waits of the grace.
fn collect(
    pool: &Pool,
    outcomes: &Receiver<Outcome>,
    wake: &File,
    sink: &dyn OutcomeSink,
) -> anyhow::Result<Vec<Outcome>> {
    let mut done: Vec<Option<Outcome>> = pool.jobs.iter().map(|_| None).collect();
    let mut received = 0;
    let mut grace_ends: Option<Instant> = None;
    loop {
        while let Ok(outcome) = outcomes.try_recv() {
            let index = outcome.index;
            if let Some(slot) = done.get_mut(index) {
                sink.finished(&outcome);
                *slot = Some(outcome);
                received += 1;
            }
        }
        if stop::requested(pool.stop) && grace_ends.is_none() {
            grace_ends = Some(Instant::now() + stop::GRACE);
        }
        let all_in = match grace_ends {
            None => received == pool.jobs.len(),
            Some(_) => received >= pool.started.load(Ordering::SeqCst),
        };
        if all_in || grace_ends.is_some_and(|end| Instant::now() >= end) {
            break;
        }
        let ready = os::poll_readable(&[wake.as_fd(), pool.stop.watch()], grace_ends)
            .context("waiting for the worker threads")?;
        if ready[0] {
            drain(wake)?;
        }
    }
    let signal = pool.stop.signal();
    let outcomes = done
        .into_iter()
        .zip(&pool.jobs)
        .map(|(outcome, job)| {
            outcome.unwrap_or_else(|| stop::interrupted(job, signal, Worker::current()))
        })
        .collect();
    Ok(sorted(outcomes))
}

/// Empty the wake pipe (it was readable, so the one read does not block).
fn drain(mut wake: &File) -> anyhow::Result<()> {
    let mut buf = [0u8; 4096];
    os::read(&mut wake, &mut buf).context("reading the wake pipe")?;
    Ok(())
}

/// What every worker thread shares.
struct Pool {
    jobs: Vec<Job>,
    next: AtomicUsize,
    /// Jobs a worker began (taken before any stop was seen).
    started: AtomicUsize,
    in_flight: InFlight,
    runner: Arc<dyn JobRunner>,
    events: Arc<dyn EventSink>,
    stop: &'static StopSource,
    /// Written once per outcome, so the collecting thread can poll it with the stop source.
    wake: Mutex<File>,
}

impl Pool {
    /// Take jobs until none are left or a stop arrives; at most one pass over the job list.
    fn work(&self, outcomes: &Sender<Outcome>) {
        let worker = Worker::current();
        while let Some(job) = self.jobs.get(self.next.fetch_add(1, Ordering::SeqCst)) {
            if stop::requested(self.stop) {
                return;
            }
            self.started.fetch_add(1, Ordering::SeqCst);
            let outcome = {
                let _in_flight = self.in_flight.enter();
                run_guarded(
                    self.runner.as_ref(),
                    job,
                    worker.clone(),
                    self.events.as_ref(),
                    Some(self.stop),
                )
            };
            if outcomes.send(outcome).is_err() {
                return;
            }
            if let Ok(mut wake) = self.wake.lock() {
                let _ = wake.write_all(b"!");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::NoEvents;
    use crate::strategy::testing::{
        assert_complete, assert_interrupted_after, batch, jobs, stop_source, TestRunner,
    };
    use crate::strategy::NoOutcomes;
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
        let stop = stop_source();
        let run = crate::strategy::run(
            threads,
            jobs(2),
            8,
            1,
            runner,
            Arc::new(NoEvents),
            &NoOutcomes,
            stop,
        )
        .unwrap();
        assert_complete(&run.outcomes, 2);
        assert_eq!(run.stats.threads_spawned, 2);
    }

    #[test]
    fn a_panicking_runner_fails_only_its_job() {
        struct Panics;
        impl JobRunner for Panics {
            fn run_blocking(
                &self,
                job: &Job,
                worker: Worker,
                events: &dyn EventSink,
                stop: Option<&'static StopSource>,
            ) -> Outcome {
                assert_ne!(job.index, 1, "boom on job 1");
                TestRunner::new().run_blocking(job, worker, events, stop)
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

    #[test]
    fn a_stop_lets_the_jobs_in_flight_finish_and_starts_no_other() {
        let stop = stop_source();
        let runner = TestRunner {
            stop_on: Some((3, stop)),
            ..TestRunner::new()
        };
        let mut batch = batch(40, 1, runner);
        batch.stop = stop;
        let run = Threads.run(batch).unwrap();
        assert_interrupted_after(&run.outcomes, 40, 4);
    }
}
