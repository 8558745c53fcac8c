//! Stopping a run early (SIGINT/SIGTERM): what every strategy shares when its batch's
//! [`StopSource`](crate::os::StopSource) fires. No new session starts; sessions in flight get
//! [`GRACE`] to finish (and close politely); every job that did not finish is reported as
//! `interrupted`, so the run still yields one `Outcome` per job and the report prints every
//! finished host.

use std::time::Duration;

use crate::job::{ErrorKind, Failure, Job, Outcome, Worker};
use crate::os::{Signal, StopSource};

/// How long sessions in flight may take to finish once a stop signal arrived.
pub const GRACE: Duration = Duration::from_secs(2);

/// Whether `stop` has fired.
pub fn requested(stop: &StopSource) -> bool {
    stop.signal().is_some()
}

/// The outcome of `job` when the run stopped before it finished.
pub fn interrupted(job: &Job, signal: Option<Signal>, worker: Worker) -> Outcome {
    Outcome::failed(job, interrupted_failure(signal), worker)
}

/// Why a host did not finish when the run was stopped by `signal`.
pub fn interrupted_failure(signal: Option<Signal>) -> Failure {
    let by = signal.map_or("a stop signal", Signal::as_str);
    Failure::new(
        ErrorKind::Interrupted,
        format!("the run was interrupted by {by} before this host finished"),
    )
}
