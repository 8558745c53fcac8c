//! The sequential strategy: one host after another on the calling thread — the baseline every
//! other strategy is measured against.

use super::{run_guarded, sorted, Run, RunStats};
use crate::job::{EventSink, Job, Worker};
use crate::strategy::JobRunner;

/// Run every job in order on the calling thread.
pub fn run(jobs: Vec<Job>, runner: &dyn JobRunner, events: &dyn EventSink) -> Run {
    let outcomes = jobs
        .iter()
        .map(|job| run_guarded(runner, job, Worker::current(), events))
        .collect();
    Run {
        outcomes: sorted(outcomes),
        stats: RunStats {
            peak_in_flight: u64::from(!jobs.is_empty()),
            ..RunStats::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::testing::{assert_complete, jobs, TestRunner};

    #[test]
    fn runs_every_job_in_order_on_the_calling_thread() {
        let run = run(jobs(5), &TestRunner::new(), &crate::job::NoEvents);
        assert_complete(&run.outcomes, 5);
        let here = Worker::current();
        assert!(run.outcomes.iter().all(|o| o.worker == here));
        assert_eq!(run.stats.peak_in_flight, 1);
    }
}
