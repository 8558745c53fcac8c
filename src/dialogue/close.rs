//! After the exit: the reply still held for confirmation (see `reply`) ends where the exit's
//! echo line begins, or at the close. The wait is short and fails the host only for output after
//! a judged reply (a save's): the plan is done, and a device that neither echoes nor closes keeps
//! the output as it was seen.

use std::time::Duration;

use super::context::Context;
use super::machine::{Awaiting, Next};
use super::reply::{find_echo, settle_pending};
use crate::job::Failure;

/// The most the dialogue waits for the exit's echo or the close.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Waiting for the exit's echo (or the close) to confirm the last command's end.
pub(super) struct AwaitClose {
    /// Where to resume looking for the echo.
    scan_from: usize,
}

impl AwaitClose {
    /// The exit was sent: finish at once unless a reply awaits confirmation.
    pub(super) fn start(cx: &mut Context) -> Next {
        if cx.pending.is_none() {
            return Next::Finished;
        }
        cx.wait_at_most(EXIT_GRACE);
        Next::Wait(Awaiting::Close(AwaitClose { scan_from: 0 }))
    }

    pub(super) fn on_input(self, cx: &mut Context) -> Result<Next, Failure> {
        match find_echo(&cx.received, cx.profile.exit_command, self.scan_from) {
            Ok(echo) => settle_pending(cx, echo.line_start).map(|()| Next::Finished),
            Err(scan_from) => Ok(Next::Wait(Awaiting::Close(AwaitClose { scan_from }))),
        }
    }

    /// The close (or the end of the grace, or a broken connection) ends the wait: what came
    /// before it, but a last line that is the prompt or the exit's unfinished echo, completes
    /// the last output.
    pub(super) fn on_end(self, cx: &mut Context) -> Result<Next, Failure> {
        let at_prompt_or_exit = |(start, line): (usize, String)| {
            let line = line.trim();
            (line.contains(cx.profile.exit_command) || cx.profile.level_of(line).is_some())
                .then_some(start)
        };
        let end = cx
            .received
            .last_line()
            .and_then(at_prompt_or_exit)
            .unwrap_or(cx.received.bytes().len());
        settle_pending(cx, end).map(|()| Next::Finished)
    }

    pub(super) fn awaited(&self) -> String {
        "no close after the exit".to_string()
    }
}
