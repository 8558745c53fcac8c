//! `netrun merge FILES...`: the jsonl results of the shards of one run (`--results`, or `-o
//! jsonl` on stdout) read back into `Outcome`s and reported as one run would have been: the same
//! renderers (text, json, jsonl, `--failed-out`, the summary) over the merged hosts.
//!
//! A host found more than once (a retried shard) keeps its latest attempt: the greatest
//! `finished_at_us`, a later file (then a later line) on a tie. With `-i` (and `-l`), the
//! inventory says which hosts to expect and their order; one no file has is reported failed with
//! kind `missing`. Without `-i`, hosts are in their `position` order (their place in the
//! inventory every shard was cut from). A line that is not a record, or a file without its
//! summary line (a run that never finished writing it), is exit 2 naming FILE:LINE.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use base64ct::Encoding;

use crate::app::{write_failed_names, EXIT_OK, EXIT_SOME_FAILED};
use crate::cli::{MergeArgs, OutputFormat};
use crate::inventory;
use crate::job::{
    CommandResult, ConfigLineResult, ConfigResult, ErrorKind, Failure, Field, Outcome, ParseResult,
    Timings,
};
use crate::preflight;
use crate::report::stream::{self as results, JsonlHost, JsonlLine, JsonlSummary, RunSummary};
use crate::report::{host_text, JsonConfig, JsonHost, Report};
use crate::strategy::{Run, RunStats, StrategyKind};

/// `netrun merge`: exit 0 when every host is ok, 1 when one failed or is missing; bad input is
/// an error (exit 2).
pub fn run(args: &MergeArgs) -> Result<u8> {
    if let Some(file) = &args.failed_out {
        preflight::writable_file("--failed-out", file)?;
    }
    if let Some(file) = &args.results {
        preflight::writable_file("--results", file)?;
    }
    let read = read_all(&args.files)?;
    let expected = match &args.inventory {
        Some(path) => Some(expected_hosts(path, &args.limit)?),
        None => None,
    };
    let merged = merge(read, expected.as_deref());
    let report = Report {
        run: &merged.run,
        strategy: merged.strategy,
        workers: merged.workers,
        wall: merged.wall,
        parsing: merged.parsing,
        shard: None,
    };
    let jsonl = || jsonl_bytes(&merged, &report);
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = match args.output {
        OutputFormat::Text => merged
            .run
            .outcomes
            .iter()
            .try_for_each(|o| stdout.write_all(&host_text(o))),
        OutputFormat::Json => report.write_json(&mut stdout),
        OutputFormat::Jsonl => jsonl().and_then(|bytes| stdout.write_all(&bytes)),
    };
    match written.and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => return Err(err.into()),
        _ => {}
    }
    if let Some(file) = &args.failed_out {
        write_failed_names(file, &merged.run.outcomes)?;
    }
    if let Some(file) = &args.results {
        jsonl()
            .and_then(|bytes| results::write_atomically(file, &bytes))
            .with_context(|| format!("--results {}", file.display()))?;
    }
    eprintln!("{}", report.summary());
    eprintln!(
        "netrun: merged {} files: {} hosts, {} older attempts dropped, {} missing{}",
        args.files.len(),
        merged.run.outcomes.len(),
        merged.dropped,
        merged.missing,
        match merged.unexpected {
            0 => String::new(),
            n => format!(", {n} hosts not in the inventory left out"),
        }
    );
    Ok(match report.failed() {
        0 => EXIT_OK,
        _ => EXIT_SOME_FAILED,
    })
}

/// A host's record as read, and where: a later one of the same host replaces it.
struct Found {
    record: JsonlHost<'static>,
    /// (file, line), both 0-based: the tie-breaker between equal finish times.
    at: (usize, usize),
}

/// What the files held.
struct Read {
    hosts: HashMap<String, Found>,
    summaries: Vec<RunSummary<'static>>,
    /// Each summary's strategy.
    strategies: Vec<StrategyKind>,
    /// Records replaced by a later attempt of their host.
    dropped: usize,
}

/// Read every file: each line a host record or a summary, and one summary per file.
fn read_all(files: &[PathBuf]) -> Result<Read> {
    let mut read = Read {
        hosts: HashMap::new(),
        summaries: Vec::new(),
        strategies: Vec::new(),
        dropped: 0,
    };
    for (file_at, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("{}: cannot read it", file.display()))?;
        let mut summaries = 0;
        for (line_at, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let parsed = JsonlLine::parse(line).map_err(|err| {
                anyhow!(
                    "{}:{}: not a netrun jsonl record: {err}",
                    file.display(),
                    line_at + 1
                )
            })?;
            match parsed {
                JsonlLine::Summary(summary) => {
                    summaries += 1;
                    let strategy = summary.strategy.parse().map_err(|err| {
                        anyhow!("{}:{}: strategy: {err}", file.display(), line_at + 1)
                    })?;
                    read.strategies.push(strategy);
                    read.summaries.push(summary);
                }
                JsonlLine::Host(record) => read.keep(Found {
                    record: *record,
                    at: (file_at, line_at),
                }),
            }
        }
        if summaries == 0 {
            return Err(anyhow!(
                "{}:{}: no summary line: the run that wrote it did not finish (or this is not \
                 a netrun results file)",
                file.display(),
                text.lines().count()
            ));
        }
    }
    Ok(read)
}

impl Read {
    /// Keep `found` unless its host already has a later attempt.
    fn keep(&mut self, found: Found) {
        let name = found.record.host.name.to_string();
        let order = |f: &Found| (f.record.finished_at_us, f.at);
        if let Some(kept) = self.hosts.get(&name) {
            self.dropped += 1;
            if order(kept) > order(&found) {
                return;
            }
        }
        self.hosts.insert(name, found);
    }
}

/// A host the inventory lists.
struct Expected {
    name: String,
    host: String,
    port: u16,
}

/// The hosts of `path` that `limit` selects, in inventory order.
fn expected_hosts(path: &Path, limit: &[String]) -> Result<Vec<Expected>> {
    let loaded = inventory::load(path, &crate::settings::process_env)?;
    let hosts = inventory::filter(loaded.hosts, limit)?;
    Ok(hosts
        .into_iter()
        .map(|h| Expected {
            name: h.name,
            host: h.host,
            port: h.port,
        })
        .collect())
}

/// The merged run, with what the report needs beside the outcomes.
struct Merged {
    run: Run,
    /// Each outcome's record as read (`None` for a missing host), for the jsonl output.
    records: Vec<Option<JsonlHost<'static>>>,
    strategy: StrategyKind,
    workers: usize,
    wall: Duration,
    parsing: bool,
    run_id: String,
    dropped: usize,
    missing: usize,
    /// Hosts in the files that the inventory does not expect (left out).
    unexpected: usize,
}

/// The outcomes in order (the inventory's, else the records' positions), a missing expected host
/// as failed, and the shards' summaries added up: workers summed, the wall time the longest
/// shard's, the strategy the first file's.
fn merge(read: Read, expected: Option<&[Expected]>) -> Merged {
    let Read {
        mut hosts,
        summaries,
        strategies,
        dropped,
    } = read;
    let mut missing = 0;
    // Each host in order: its record, or (a missing expected host) `Err` with what is known.
    let placed: Vec<Result<JsonlHost<'static>, &Expected>> = match expected {
        Some(expected) => expected
            .iter()
            .map(|e| match hosts.remove(&e.name) {
                Some(found) => Ok(found.record),
                None => {
                    missing += 1;
                    Err(e)
                }
            })
            .collect(),
        None => {
            let mut found: Vec<Found> = hosts.drain().map(|(_, found)| found).collect();
            found.sort_by(|a, b| {
                (a.record.position, &a.record.host.name)
                    .cmp(&(b.record.position, &b.record.host.name))
            });
            found.into_iter().map(|f| Ok(f.record)).collect()
        }
    };
    let unexpected = hosts.len();
    let outcomes: Vec<Outcome> = placed
        .iter()
        .enumerate()
        .map(|(index, placed)| match placed {
            Ok(record) => outcome(index, &record.host),
            Err(e) => missing_outcome(index, e),
        })
        .collect();
    let parsing = outcomes
        .iter()
        .any(|o| o.commands.iter().any(|c| c.parse.is_some()));
    // Every file has a summary, and there is at least one file.
    let strategy = strategies[0];
    let mut ids: Vec<&str> = summaries.iter().map(|s| s.run_id.as_ref()).collect();
    ids.sort_unstable();
    ids.dedup();
    let run_id = ids.join(",");
    Merged {
        run: Run {
            outcomes,
            stats: summed(&summaries),
        },
        records: placed.into_iter().map(Result::ok).collect(),
        strategy,
        workers: summaries.iter().map(|s| s.workers).sum(),
        wall: Duration::from_secs_f64(
            summaries.iter().map(|s| s.wall_ms).fold(0.0, f64::max) / 1000.0,
        ),
        parsing,
        run_id,
        dropped,
        missing,
        unexpected,
    }
}

/// The shards' counters added up (the peak in flight: the sum of the shards' peaks).
fn summed(summaries: &[RunSummary]) -> RunStats {
    let mut stats = RunStats::default();
    for s in summaries {
        stats.threads_spawned += s.stats.threads_spawned;
        stats.processes_forked += s.stats.processes_forked;
        stats.tasks_spawned += s.stats.tasks_spawned;
        stats.peak_in_flight += s.stats.peak_in_flight;
        stats.workers.extend(s.stats.workers.iter().cloned());
    }
    stats
}

/// The merged run as jsonl: each host's record as its shard wrote it (rendered again from the
/// outcome), a missing host under the merged run id, then the summary.
fn jsonl_bytes(merged: &Merged, report: &Report) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for (index, (outcome, record)) in merged.run.outcomes.iter().zip(&merged.records).enumerate() {
        let line = JsonlHost {
            host: JsonHost::from(outcome),
            run_id: record
                .as_ref()
                .map_or(Cow::Borrowed(merged.run_id.as_str()), |r| {
                    Cow::Borrowed(&r.run_id)
                }),
            shard: record
                .as_ref()
                .and_then(|r| r.shard.as_deref())
                .map(Cow::Borrowed),
            position: index,
            finished_at_us: record.as_ref().map_or(0, |r| r.finished_at_us),
        };
        serde_json::to_writer(&mut bytes, &line)?;
        bytes.push(b'\n');
    }
    let doc = report.json_run();
    let summary = JsonlSummary {
        summary: RunSummary {
            run_id: Cow::Borrowed(&merged.run_id),
            shard: None,
            strategy: doc.strategy.into_owned(),
            workers: doc.workers,
            wall_ms: doc.wall_ms,
            ok: doc.ok,
            failed: doc.failed,
            stats: doc.stats,
        },
    };
    serde_json::to_writer(&mut bytes, &summary)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// An expected host no file has.
fn missing_outcome(index: usize, expected: &Expected) -> Outcome {
    Outcome {
        index,
        name: expected.name.clone(),
        host: expected.host.clone(),
        port: expected.port,
        prompt: String::new(),
        commands: Vec::new(),
        config: None,
        failure: Some(Failure::new(
            ErrorKind::Missing,
            "no results file has this host: its shard did not run or did not finish, or its \
             file was not given to merge",
        )),
        host_key: None,
        timings: Timings::default(),
        worker: crate::job::Worker {
            thread: String::new(),
            pid: 0,
            task: None,
            forked: false,
        },
        retried: Vec::new(),
    }
}

/// Milliseconds as written by the report, back to microseconds.
fn us(ms: f64) -> u64 {
    (ms * 1000.0).round() as u64
}

/// A host's record back into the `Outcome` it was rendered from.
fn outcome(index: usize, h: &JsonHost) -> Outcome {
    Outcome {
        index,
        name: h.name.to_string(),
        host: h.host.to_string(),
        port: h.port,
        prompt: h.prompt.to_string(),
        commands: h
            .commands
            .iter()
            .map(|c| CommandResult {
                command: c.command.to_string(),
                prompt: c.prompt.to_string(),
                output: c.output.to_string(),
                output_bytes: c
                    .output_base64
                    .as_deref()
                    .and_then(|b| base64ct::Base64::decode_vec(b).ok()),
                ok: c.ok,
                start_us: us(c.start_ms),
                duration_us: us(c.duration_ms),
                parse: c.parse.as_ref().map(|p| ParseResult {
                    template: p.template.to_string(),
                    ok: p.ok,
                    error: p.error.as_deref().map(str::to_string),
                    header: p.fields.to_vec(),
                    rows: c
                        .parsed
                        .iter()
                        .flatten()
                        .map(|record| record.0.iter().map(|(_, f)| f.clone()).collect())
                        .collect::<Vec<Vec<Field>>>(),
                }),
            })
            .collect(),
        config: h.config.as_ref().map(|c| Box::new(config(c))),
        failure: h.error.as_deref().cloned(),
        host_key: h.host_key.as_deref().cloned(),
        timings: Timings {
            start_us: us(h.start_ms),
            connect_us: us(h.connect_ms),
            auth_us: us(h.auth_ms),
            total_us: us(h.total_ms),
        },
        worker: h.worker.clone().into_owned(),
        retried: h.retried.iter().map(|f| f.clone().into_owned()).collect(),
    }
}

/// A config push's record back into its `ConfigResult`.
fn config(c: &JsonConfig) -> ConfigResult {
    ConfigResult {
        lines: c
            .lines
            .iter()
            .map(|l| ConfigLineResult {
                line: l.line.to_string(),
                prompt: l.prompt.to_string(),
                reply: l.reply.to_string(),
                ok: l.ok,
                duration_us: us(l.duration_ms),
            })
            .collect(),
        failed_line: c.failed_line.map(|line| line.saturating_sub(1)),
        skipped: c.skipped.to_vec(),
        in_flight: c.in_flight.to_vec(),
        commit: c.commit.as_deref().cloned(),
        discard: c.discard.as_deref().cloned(),
        save: c.save.as_deref().cloned(),
        before: c.before.as_deref().map(str::to_string),
        after: c.after.as_deref().map(str::to_string),
        final_prompt: c.final_prompt.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostkeys::{HostKeySeen, HostKeyStatus};
    use crate::job::{SaveResult, Worker};
    use crate::report::stream::RunId;

    /// A host with everything a record carries: raw bytes, parsed records (one command with
    /// none), a config push with its diff, commit, save and unsent lines, a retry, a host key.
    fn rich() -> Outcome {
        let command = |name: &str, output: &str| CommandResult {
            command: name.into(),
            prompt: "R1>".into(),
            output: output.into(),
            output_bytes: None,
            ok: true,
            start_us: 1_234,
            duration_us: 5_678,
            parse: None,
        };
        let mut raw = command("show raw", "ok \u{fffd} done");
        raw.output_bytes = Some(b"ok \xff done".to_vec());
        let mut parsed = command("show clock", "*10:52:35.447 UTC");
        parsed.parse = Some(ParseResult {
            template: "clock.textfsm".into(),
            ok: true,
            error: None,
            header: vec!["time".into(), "tags".into()],
            rows: vec![vec![
                Field::Text("10:52".into()),
                Field::List(vec!["a".into(), "b".into()]),
            ]],
        });
        let mut empty = command("show users", "");
        empty.parse = Some(ParseResult {
            template: "users.textfsm".into(),
            ok: true,
            error: None,
            header: vec!["user".into()],
            rows: Vec::new(),
        });
        Outcome {
            index: 0,
            name: "R1".into(),
            host: "127.0.0.1".into(),
            port: 10022,
            prompt: "R1#".into(),
            commands: vec![raw, parsed, empty],
            config: Some(Box::new(ConfigResult {
                lines: vec![ConfigLineResult {
                    line: "logging 10.5.5.5".into(),
                    prompt: "R1(config)#".into(),
                    reply: String::new(),
                    ok: true,
                    duration_us: 700,
                }],
                failed_line: Some(0),
                skipped: vec!["ntp server 10.0.0.1".into()],
                in_flight: vec!["ntp server 10.0.0.2".into()],
                commit: Some(SaveResult {
                    command: "commit".into(),
                    reply: "ok".into(),
                    ok: true,
                }),
                discard: None,
                save: Some(SaveResult {
                    command: "write memory".into(),
                    reply: "[OK]".into(),
                    ok: true,
                }),
                before: Some("hostname R1\n".into()),
                after: Some("hostname R1\nlogging 10.5.5.5\n".into()),
                final_prompt: "R1#".into(),
            })),
            failure: Some(Failure::new(ErrorKind::Command, "rejected")),
            host_key: Some(HostKeySeen {
                key_type: "ssh-ed25519".into(),
                fingerprint: "SHA256:abc".into(),
                status: HostKeyStatus::Recorded,
            }),
            timings: Timings {
                start_us: 10,
                connect_us: 1_001,
                auth_us: 20_002,
                total_us: 30_003,
            },
            worker: Worker::current(),
            retried: vec![Failure::new(ErrorKind::Connect, "refused")],
        }
    }

    #[test]
    fn a_record_read_back_renders_as_the_outcome_it_was_written_from() {
        let original = rich();
        let id = RunId {
            id: "job".into(),
            ..RunId::default()
        };
        let line = serde_json::to_string(&id.record(&original)).unwrap();
        let JsonlLine::Host(record) = JsonlLine::parse(&line).unwrap() else {
            panic!("a host record read as a summary: {line}");
        };
        let back = outcome(0, &record.host);
        assert_eq!(host_text(&back), host_text(&original));
        assert_eq!(
            serde_json::to_value(JsonHost::from(&back)).unwrap(),
            serde_json::to_value(JsonHost::from(&original)).unwrap()
        );
        assert_eq!(back.timings, original.timings);
        assert_eq!(back.commands, original.commands);
        assert_eq!(back.config, original.config);
    }

    fn found(name: &str, finished_at_us: u64, at: (usize, usize), run_id: &str) -> Found {
        let mut o = rich();
        o.name = name.into();
        let id = RunId {
            id: run_id.into(),
            started_at_us: finished_at_us,
            ..RunId::default()
        };
        let line = serde_json::to_string(&id.record(&o)).unwrap();
        let JsonlLine::Host(record) = JsonlLine::parse(&line).unwrap() else {
            panic!("not a host");
        };
        Found {
            record: *record,
            at,
        }
    }

    #[test]
    fn the_latest_attempt_wins_then_the_later_file() {
        let mut read = Read {
            hosts: HashMap::new(),
            summaries: Vec::new(),
            strategies: Vec::new(),
            dropped: 0,
        };
        read.keep(found("R1", 2_000, (1, 0), "late"));
        read.keep(found("R1", 1_000, (2, 0), "early"));
        read.keep(found("R2", 1_000, (0, 0), "first file"));
        read.keep(found("R2", 1_000, (1, 3), "second file"));
        assert_eq!(read.dropped, 2);
        assert_eq!(read.hosts["R1"].record.run_id, "late");
        assert_eq!(read.hosts["R2"].record.run_id, "second file");
    }
}
