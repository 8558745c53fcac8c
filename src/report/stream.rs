//! Results as they arrive: the strategies hand every finished host's outcome to a [`Stream`]
//! (an [`OutcomeSink`]), which writes its block at once — in inventory order, as soon as the
//! host and every host before it are done, or in completion order. [`Stream::finish`] then
//! writes what is left from the final run (the hosts a stop signal cut off) and, for `jsonl`,
//! the summary object, so whatever was written stays valid however the run ended.
//!
//! A jsonl record is `-o json`'s host object plus who wrote it ([`RunId`]: the run id, the
//! shard, the host's place in the whole inventory, when it finished); `--results` writes the
//! same records to a file ([`write_results`]) and `netrun merge` reads them back ([`JsonlLine`]).

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{host_key_line, host_text, JsonHost, Report};
use crate::job::Outcome;
use crate::shard::ShardInfo;
use crate::strategy::{OutcomeSink, RunStats};

/// Who wrote a run's jsonl records: the same for every host of the run.
#[derive(Debug, Clone, Default)]
pub struct RunId {
    /// `$NETRUN_RUN_ID`, else random: the shards of one job can share it.
    pub id: String,
    /// The shard the run was, if any.
    pub shard: Option<ShardInfo>,
    /// When the run began, microseconds since the Unix epoch.
    pub started_at_us: u64,
    /// Each job's place in the filtered inventory of all shards (by job index); a job not
    /// listed is at its own index.
    pub positions: Vec<usize>,
}

impl RunId {
    /// `outcome`'s jsonl record.
    pub fn record<'a>(&'a self, outcome: &'a Outcome) -> JsonlHost<'a> {
        let timings = &outcome.timings;
        JsonlHost {
            host: JsonHost::from(outcome),
            run_id: Cow::Borrowed(&self.id),
            shard: self.shard.as_ref().map(|s| Cow::Owned(s.id.to_string())),
            position: self
                .positions
                .get(outcome.index)
                .copied()
                .unwrap_or(outcome.index),
            finished_at_us: self.started_at_us + timings.start_us + timings.total_us,
        }
    }

    /// The jsonl summary line's object for `report`.
    pub fn summary<'a>(&'a self, report: &Report) -> JsonlSummary<'a> {
        let doc = report.json_run();
        JsonlSummary {
            summary: RunSummary {
                run_id: Cow::Borrowed(&self.id),
                shard: self.shard.as_ref().map(Cow::Borrowed),
                strategy: doc.strategy.into_owned(),
                workers: doc.workers,
                wall_ms: doc.wall_ms,
                ok: doc.ok,
                failed: doc.failed,
                stats: Cow::Owned(doc.stats.into_owned()),
            },
        }
    }
}

/// One host of a jsonl stream or results file: the `-o json` host object, then who wrote it.
#[derive(Debug, Serialize, Deserialize)]
pub struct JsonlHost<'a> {
    #[serde(flatten)]
    pub host: JsonHost<'a>,
    pub run_id: Cow<'a, str>,
    /// `K/N`, or null for a run of every host.
    pub shard: Option<Cow<'a, str>>,
    /// The host's place (0-based) in the filtered inventory of all shards: merge's order.
    pub position: usize,
    /// When the host's last attempt ended, microseconds since the Unix epoch: of two records
    /// of one host, merge keeps the later.
    pub finished_at_us: u64,
}

/// The `jsonl` stream's last line: `-o json`'s document without its hosts.
#[derive(Debug, Serialize, Deserialize)]
pub struct JsonlSummary<'a> {
    pub summary: RunSummary<'a>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RunSummary<'a> {
    pub run_id: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Cow<'a, ShardInfo>>,
    pub strategy: String,
    pub workers: usize,
    pub wall_ms: f64,
    pub ok: usize,
    pub failed: usize,
    pub stats: Cow<'a, RunStats>,
}

/// One line of a jsonl stream, read back.
pub enum JsonlLine {
    Host(Box<JsonlHost<'static>>),
    Summary(RunSummary<'static>),
}

impl JsonlLine {
    /// Read one line: `{"summary": ...}`, else a host record. Not through `serde_json::Value`,
    /// whose objects are sorted: a parsed record keeps its template's field order.
    pub fn parse(line: &str) -> serde_json::Result<JsonlLine> {
        #[derive(Deserialize)]
        struct Probe {
            #[serde(default)]
            summary: Option<serde::de::IgnoredAny>,
        }
        match serde_json::from_str::<Probe>(line)?.summary {
            Some(_) => Ok(JsonlLine::Summary(
                serde_json::from_str::<JsonlSummary>(line)?.summary,
            )),
            None => Ok(JsonlLine::Host(Box::new(serde_json::from_str(line)?))),
        }
    }
}

/// `serialised` as one line.
fn line(serialised: serde_json::Result<Vec<u8>>) -> io::Result<Vec<u8>> {
    serialised
        .map(|mut line| {
            line.push(b'\n');
            line
        })
        .map_err(io::Error::from)
}

/// `--results FILE`: every host of the final run (inventory order), then the summary, written
/// to a temporary file in FILE's folder, synced, and renamed over FILE, so a reader sees the
/// old file or the whole new one, never a part.
pub fn write_results(file: &Path, report: &Report, id: &RunId) -> io::Result<()> {
    let mut bytes = Vec::new();
    for outcome in &report.run.outcomes {
        bytes.extend(line(serde_json::to_vec(&id.record(outcome)))?);
    }
    bytes.extend(line(serde_json::to_vec(&id.summary(report)))?);
    write_atomically(file, &bytes)
}

/// `bytes` to `file` through a synced temporary file in the same folder and a rename.
pub fn write_atomically(file: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".netrun-results.")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(file).map_err(|err| err.error)?;
    // The rename itself is durable once the folder is synced.
    std::fs::File::open(dir)?.sync_all()
}

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
    id: RunId,
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

impl<W: Write> Stream<W> {
    /// A stream of `hosts` hosts; `id` is what each jsonl record says wrote it.
    pub fn new(record: Record, order: Order, hosts: usize, id: RunId, out: W) -> Self {
        Stream {
            record,
            order,
            id,
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
                state.write(record, &self.id, outcome);
            }
        }
        if record == Record::Jsonl {
            state.write_bytes(line(serde_json::to_vec(&self.id.summary(report))));
        }
        match state.error {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

impl<W: Write> State<W> {
    fn write(&mut self, record: Record, id: &RunId, outcome: &Outcome) {
        if let Some(done) = self.written.get_mut(outcome.index) {
            *done = true;
        }
        let bytes = match record {
            Record::Text => Ok(host_text(outcome)),
            Record::HostKey => Ok(host_key_line(outcome).into_bytes()),
            Record::Jsonl => line(serde_json::to_vec(&id.record(outcome))),
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
            Order::Completion => state.write(self.record, &self.id, outcome),
            Order::Inventory => {
                if let Some(slot) = state.held.get_mut(outcome.index) {
                    *slot = Some(outcome.clone());
                }
                let state = &mut *state;
                while let Some(ready) = state.held.get_mut(state.next).and_then(Option::take) {
                    state.write(self.record, &self.id, &ready);
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
            shard: None,
        }
    }

    #[test]
    fn inventory_order_holds_a_host_only_for_the_hosts_before_it() {
        let all = outcomes(3);
        let stream = Stream::new(
            Record::Text,
            Order::Inventory,
            3,
            RunId::default(),
            Vec::new(),
        );
        stream.finished(&all[1]);
        assert!(stream.state.borrow().out.is_empty());
        stream.finished(&all[0]);
        assert_eq!(names(&stream.state.borrow().out), ["r0", "r1"]);
        let run = Run {
            outcomes: all,
            ..Run::default()
        };
        let mut out = Vec::new();
        let stream = Stream::new(
            Record::Text,
            Order::Inventory,
            3,
            RunId::default(),
            &mut out,
        );
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
        let stream = Stream::new(
            Record::Jsonl,
            Order::Completion,
            3,
            RunId::default(),
            &mut out,
        );
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
