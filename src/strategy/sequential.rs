//! The sequential strategy: one host after another on the calling thread — the baseline every
//! other strategy is measured against. On a stop signal no further host is started, and the
//! current session (given the stop source) ends itself after the stop grace.

use super::{run_guarded, sorted, stop, Batch, Run, RunStats, Strategy};
use crate::job::Worker;

/// Every job in order on the calling thread; its one worker is that thread.
pub struct Sequential;

impl Strategy for Sequential {
    fn run(&self, batch: Batch<'_>) -> anyhow::Result<Run> {
        let (runner, events) = (batch.runner.as_ref(), batch.events.as_ref());
        let outcomes = batch
            .jobs
            .iter()
            .map(|job| match stop::requested(batch.stop) {
                false => {
                    let outcome =
                        run_guarded(runner, job, Worker::current(), events, Some(batch.stop));
                    batch.outcomes.finished(&outcome);
                    outcome
                }
                true => stop::interrupted(job, batch.stop.signal(), Worker::current()),
            })
            .collect();
        Ok(Run {
            outcomes: sorted(outcomes),
            stats: RunStats {
                peak_in_flight: 1,
                ..RunStats::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::testing::{
        assert_complete, assert_interrupted_after, batch, stop_source, TestRunner,
    };

    #[test]
    fn runs_every_job_in_order_on_the_calling_thread() {
        let run = Sequential.run(batch(5, 1, TestRunner::new())).unwrap();
        assert_complete(&run.outcomes, 5);
        let here = Worker::current();
        assert!(run.outcomes.iter().all(|o| o.worker == here));
        assert_eq!(run.stats.peak_in_flight, 1);
    }

    #[test]
    fn a_stop_finishes_the_current_host_and_starts_no_other() {
        let stop = stop_source();
        let runner = TestRunner {
            stop_on: Some((2, stop)),
            ..TestRunner::new()
        };
        let mut batch = batch(5, 1, runner);
        batch.stop = stop;
        let run = Sequential.run(batch).unwrap();
        assert_interrupted_after(&run.outcomes, 5, 3);
        let failure = run.outcomes[4].failure.as_ref().unwrap();
        assert!(
            failure.message.contains("interrupted by SIGINT"),
            "{failure}"
        );
    }
}
