//! Results as they arrive: the strategies hand every finished host's outcome to a [`Stream`]
//! (an [`OutcomeSink`]), which writes its block at once — in inventory order, as soon as the
//! host and every host before it are done, or in completion order. [`Stream::finish`] then
//! writes what is left from the final run (the hosts a stop signal cut off) and, for `jsonl`,
//! the summary object, so whatever was written stays valid however the run ended.

use std::cell::RefCell;
use std::io::{self, Write};

use serde::Serialize;

use super::{host_key_line, host_text, JsonHost, Report};
use crate::job::Outcome;
use crate::strategy::OutcomeSink;

/// What one host's record looks like on a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// The book's text block (`R1#show version`, the output).
    Text,
    /// `netrun known-hosts`: one line per host key.
    HostKey,
    /// One JSON object per line.
    Jsonl,
}

/// The order hosts are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Order {
    /// Inventory order: a host waits only for the hosts before it
    Inventory,
    /// The order hosts finish in
    Completion,
}

/// Writes each host's record once, as soon as `order` allows.
pub struct Stream<W: Write> {
    record: Record,
    order: Order,
    state: RefCell<State<W>>,
}

struct State<W> {
    out: W,
    /// Outcomes held back until the hosts before them are done (inventory order).
    held: Vec<Option<Outcome>>,
    written: Vec<bool>,
    /// The first host not yet written, in inventory order.
    next: usize,
    /// The first write error (a closed pipe ends writing quietly).
    error: Option<io::Error>,
    closed: bool,
}

/// The `jsonl` stream's last line: `-o json`'s document without its hosts.
#[derive(Serialize)]
struct Summary<'a> {
    summary: RunSummary<'a>,
}

#[derive(Serialize)]
struct RunSummary<'a> {
    strategy: &'a str,
    workers: usize,
    wall_ms: f64,
    ok: usize,
    failed: usize,
    stats: &'a crate::strategy::RunStats,
}

impl<W: Write> Stream<W> {
    pub fn new(record: Record, order: Order, hosts: usize, out: W) -> Self {
        Stream {
            record,
            order,
            state: RefCell::new(State {
                out,
                held: (0..hosts).map(|_| None).collect(),
                written: vec![false; hosts],
                next: 0,
                error: None,
                closed: false,
            }),
        }
    }

    /// Write every host not written yet (in inventory order), then the `jsonl` summary.
    pub fn finish(self, report: &Report) -> io::Result<()> {
        let record = self.record;
        let mut state = self.state.into_inner();
        for outcome in &report.run.outcomes {
            if !state.written.get(outcome.index).copied().unwrap_or(true) {
                state.write(record, outcome);
            }
        }
        if record == Record::Jsonl {
            let doc = report.json_run();
            let summary = RunSummary {
                strategy: &doc.strategy,
                workers: doc.workers,
                wall_ms: doc.wall_ms,
                ok: doc.ok,
                failed: doc.failed,
                stats: &doc.stats,
            };
            let line = serde_json::to_vec(&Summary { summary }).map_err(io::Error::from);
            state.write_bytes(line.map(|mut l| {
                l.push(b'\n');
                l
            }));
        }
        match state.error {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

impl<W: Write> State<W> {
    fn write(&mut self, record: Record, outcome: &Outcome) {
        if let Some(done) = self.written.get_mut(outcome.index) {
            *done = true;
        }
        let bytes = match record {
            Record::Text => Ok(host_text(outcome)),
            Record::HostKey => Ok(host_key_line(outcome).into_bytes()),
            Record::Jsonl => serde_json::to_vec(&JsonHost::from(outcome))
                .map(|mut line| {
                    line.push(b'\n');
                    line
                })
                .map_err(io::Error::from),
        };
        self.write_bytes(bytes);
    }

    /// Write and flush one record: a reader sees it now, not when a buffer fills.
    fn write_bytes(&mut self, bytes: io::Result<Vec<u8>>) {
        if self.closed {
            return;
        }
        let written = bytes.and_then(|b| self.out.write_all(&b).and_then(|()| self.out.flush()));
        if let Err(err) = written {
            self.closed = true;
            // A reader that stops early (`| head`) is not an error of the run.
            if err.kind() != io::ErrorKind::BrokenPipe {
                self.error = Some(err);
            }
        }
    }
}

impl<W: Write> OutcomeSink for Stream<W> {
    fn finished(&self, outcome: &Outcome) {
        let mut state = self.state.borrow_mut();
        match self.order {
            Order::Completion => state.write(self.record, outcome),
            Order::Inventory => {
                if let Some(slot) = state.held.get_mut(outcome.index) {
                    *slot = Some(outcome.clone());
                }
                let state = &mut *state;
                while let Some(ready) = state.held.get_mut(state.next).and_then(Option::take) {
                    state.write(self.record, &ready);
                    state.next += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{ErrorKind, Failure, Worker};
    use crate::strategy::testing::jobs;
    use crate::strategy::{Run, StrategyKind};
    use std::time::Duration;

    fn outcomes(count: usize) -> Vec<Outcome> {
        jobs(count)
            .iter()
            .map(|job| {
                let failure = Failure::new(ErrorKind::Connect, "refused");
                Outcome::failed(job, failure, Worker::current())
            })
            .collect()
    }

    fn names(text: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(text)
            .lines()
            .filter_map(|l| l.split(' ').next().filter(|n| !n.is_empty()))
            .map(str::to_owned)
            .collect()
    }

    fn report(run: &Run) -> Report<'_> {
        Report {
            run,
            strategy: "threads".parse::<StrategyKind>().unwrap(),
            workers: 2,
            wall: Duration::from_millis(5),
            parsing: false,
        }
    }

    #[test]
    fn inventory_order_holds_a_host_only_for_the_hosts_before_it() {
        let all = outcomes(3);
        let stream = Stream::new(Record::Text, Order::Inventory, 3, Vec::new());
        stream.finished(&all[1]);
        assert!(stream.state.borrow().out.is_empty());
        stream.finished(&all[0]);
        assert_eq!(names(&stream.state.borrow().out), ["r0", "r1"]);
        let run = Run {
            outcomes: all,
            ..Run::default()
        };
        let mut out = Vec::new();
        let stream = Stream::new(Record::Text, Order::Inventory, 3, &mut out);
        stream.finished(&run.outcomes[2]);
        stream.finish(&report(&run)).unwrap();
        assert_eq!(names(&out), ["r0", "r1", "r2"]);
    }

    #[test]
    fn completion_order_and_jsonl_end_with_the_summary() {
        let run = Run {
            outcomes: outcomes(3),
            ..Run::default()
        };
        let mut out = Vec::new();
        let stream = Stream::new(Record::Jsonl, Order::Completion, 3, &mut out);
        stream.finished(&run.outcomes[2]);
        stream.finished(&run.outcomes[0]);
        stream.finish(&report(&run)).unwrap();
        let lines: Vec<serde_json::Value> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        let order: Vec<&str> = lines[..3]
            .iter()
            .map(|l| l["name"].as_str().unwrap())
            .collect();
        assert_eq!(order, ["r2", "r0", "r1"]);
        assert_eq!(lines[3]["summary"]["failed"], 3);
        assert_eq!(lines.len(), 4);
    }
}
