//! Live feedback while a run is under way: the book-style event log (`-v`) and the progress bar.
//! Both are `EventSink`s; under the fork strategy they run in the parent, fed from the workers'
//! pipes, so they never exist in a forked child.

use std::io::Write;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use time::{OffsetDateTime, UtcOffset};

use crate::job::{Event, EventKind, EventSink};

/// Writes one line per event on stderr, as the book's logging does:
/// `netrun-worker-2 ===> 10:52:35.447216 Connection: 127.0.0.1:10022`.
pub struct EventLog {
    names: Vec<String>,
    offset: UtcOffset,
    out: Mutex<Box<dyn Write + Send>>,
}

impl EventLog {
    /// `names[i]` is job i's host name. `offset` is the local UTC offset, read once at start-up
    /// (reading it later, with threads running, is refused by the `time` crate).
    pub fn new(names: Vec<String>, offset: UtcOffset, out: Box<dyn Write + Send>) -> Self {
        EventLog {
            names,
            offset,
            out: Mutex::new(out),
        }
    }

    pub fn line(&self, event: &Event) -> String {
        let name = self
            .names
            .get(event.index)
            .map(String::as_str)
            .unwrap_or("?");
        let (arrow, what) = match &event.kind {
            EventKind::Connecting { addr } => ("===>", format!("Connection: {addr}")),
            EventKind::LoggedIn { prompt } => ("<===", format!("Logged in: {name} {prompt}")),
            EventKind::Sent { command } => ("===>", format!("Sent: {name}: {command}")),
            EventKind::Received { command } => ("<===", format!("Output: {name}: {command}")),
            EventKind::Finished { ok: true } => ("<===", format!("Received: {name}")),
            EventKind::Finished { ok: false } => ("<===", format!("Failed: {name}")),
        };
        format!(
            "{} {arrow} {} {what}",
            event.worker.label(),
            clock(event.at_us, self.offset)
        )
    }
}

impl EventSink for EventLog {
    fn emit(&self, event: Event) {
        let line = self.line(&event);
        if let Ok(mut out) = self.out.lock() {
            // A closed stderr must not fail the run; the results still go to stdout.
            let _ = writeln!(out, "{line}");
        }
    }
}

/// `HH:MM:SS.ffffff` in local time, as the book's log lines show it.
fn clock(at_us: u64, offset: UtcOffset) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_us) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset);
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

/// A progress bar on stderr, advanced by each finished host.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn new(hosts: usize) -> Self {
        let bar = ProgressBar::with_draw_target(Some(hosts as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} hosts  {msg}  {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Progress { bar }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `out`, with the progress bar (when there is one) lifted off the terminal while each write
/// happens, so results streaming to stdout never land in the middle of the bar.
pub struct AroundProgress<W> {
    pub progress: Option<std::sync::Arc<Progress>>,
    pub out: W,
}

impl<W: Write> Write for AroundProgress<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &self.progress {
            Some(progress) => progress.bar.suspend(|| self.out.write(buf)),
            None => self.out.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &self.progress {
            Some(progress) => progress.bar.suspend(|| self.out.flush()),
            None => self.out.flush(),
        }
    }
}

impl EventSink for Progress {
    fn emit(&self, event: Event) {
        if let EventKind::Finished { ok } = event.kind {
            self.bar.inc(1);
            if !ok {
                self.bar.set_message("some failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Worker;

    #[test]
    fn log_lines_look_like_the_books() {
        let log = EventLog::new(vec!["R1".into()], UtcOffset::UTC, Box::new(std::io::sink()));
        let worker = Worker {
            thread: "netrun-worker-2".into(),
            pid: 42,
            task: None,
            forked: false,
        };
        // 2026-11-22 10:52:35.447216 UTC
        let at_us = 1_795_344_755_447_216;
        let connect = Event {
            worker: worker.clone(),
            at_us,
            index: 0,
            kind: EventKind::Connecting {
                addr: "127.0.0.1:10022".into(),
            },
        };
        assert_eq!(
            log.line(&connect),
            "netrun-worker-2 ===> 10:52:35.447216 Connection: 127.0.0.1:10022"
        );
        let done = Event {
            worker: Worker {
                forked: true,
                ..worker
            },
            at_us,
            index: 0,
            kind: EventKind::Finished { ok: true },
        };
        assert_eq!(log.line(&done), "pid-42 <=== 10:52:35.447216 Received: R1");
    }
}
