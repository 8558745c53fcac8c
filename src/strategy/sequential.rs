//! The sequential strategy: one host after another on the calling thread — the baseline every
//! other strategy is measured against.

use super::{run_guarded, sorted, Batch, Run, RunStats, Strategy};
use crate::job::Worker;

/// Every job in order on the calling thread; its one worker is that thread.
pub struct Sequential;

impl Strategy for Sequential {
    fn run(&self, batch: Batch) -> anyhow::Result<Run> {
        let (runner, events) = (batch.runner.as_ref(), batch.events.as_ref());
        let outcomes = batch
            .jobs
            .iter()
            .map(|job| run_guarded(runner, job, Worker::current(), events))
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
    use crate::strategy::testing::{assert_complete, batch, TestRunner};

    #[test]
    fn runs_every_job_in_order_on_the_calling_thread() {
        let run = Sequential.run(batch(5, 1, TestRunner::new())).unwrap();
        assert_complete(&run.outcomes, 5);
        let here = Worker::current();
        assert!(run.outcomes.iter().all(|o| o.worker == here));
        assert_eq!(run.stats.peak_in_flight, 1);
    }
}
