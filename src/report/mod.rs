//! Rendering of results: the book-style text report, JSON, per-host files, the summary line, and
//! the live event log / progress bar. Results are data; nothing here talks to a device.

pub mod events;
pub mod stream;

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::hostkeys::{HostKeySeen, HostKeyStatus};
use crate::job::{ConfigResult, Failure, Field, Outcome, ParseResult, SaveResult, Worker};
use crate::shard::ShardInfo;
use crate::strategy::{Run, RunStats, StrategyKind};

/// A finished run as the reports see it.
pub struct Report<'a> {
    pub run: &'a Run,
    pub strategy: StrategyKind,
    pub workers: usize,
    pub wall: Duration,
    /// `--parse` was given: the summary counts the commands not parsed.
    pub parsing: bool,
    /// The shard this run was (`--shard` or the environment), named by the summary.
    pub shard: Option<&'a ShardInfo>,
}

impl Report<'_> {
    pub fn failed(&self) -> usize {
        self.run.outcomes.iter().filter(|o| !o.ok()).count()
    }

    /// The one-line summary for stderr: hosts, ok, failed, wall time, strategy and workers, and
    /// how many hosts' keys were not checked (`--host-key-policy off`).
    pub fn summary(&self) -> String {
        let hosts = self.run.outcomes.len();
        let failed = self.failed();
        let unchecked = self
            .run
            .outcomes
            .iter()
            .filter(|o| o.host_key.as_ref().map(|k| k.status) == Some(HostKeyStatus::Unchecked))
            .count();
        let unchecked = match unchecked {
            0 => String::new(),
            n => format!("; host keys NOT checked for {n} hosts (host key policy off)"),
        };
        let shard = match self.shard {
            Some(shard) => format!("{}; ", shard.describe()),
            None => String::new(),
        };
        let summary = format!(
            "{shard}{hosts} hosts, {} ok, {failed} failed in {:.3} s (strategy {}, {} workers){unchecked}",
            hosts - failed,
            self.wall.as_secs_f64(),
            self.strategy.name(),
            self.workers
        );
        match crate::parse::not_parsed_count(&self.run.outcomes) {
            0 if !self.parsing => summary,
            1 => format!("{summary}, 1 command not parsed"),
            n => format!("{summary}, {n} commands not parsed"),
        }
    }

    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &self.json_run())?;
        writeln!(out)
    }

    /// The run as netrun's JSON document.
    pub fn json_run(&self) -> JsonRun<'_> {
        JsonRun {
            strategy: Cow::Borrowed(self.strategy.name()),
            workers: self.workers,
            wall_ms: ms(self.wall.as_micros() as u64),
            ok: self.run.outcomes.len() - self.failed(),
            failed: self.failed(),
            hosts: self.run.outcomes.iter().map(JsonHost::from).collect(),
            stats: Cow::Borrowed(&self.run.stats),
            shard: self.shard.map(Cow::Borrowed),
            peak_rss_kib: crate::os::own_peak_rss_kib().ok(),
        }
    }
}

/// One host of `netrun known-hosts`' report: its key and what was done with it, or why not.
pub fn host_key_line(o: &Outcome) -> String {
    let address = crate::transport::address(&o.host, o.port);
    match (&o.failure, &o.host_key) {
        (Some(failure), _) => format!("{} {address} failed ({failure})\n", o.name),
        (None, Some(key)) => format!(
            "{} {address} {} {} {}\n",
            o.name,
            key.status.as_str(),
            key.key_type,
            key.fingerprint
        ),
        (None, None) => format!("{} {address} no host key\n", o.name),
    }
}

/// One host in the book's format: a line per failed earlier attempt (`--retries`), then `R1#show
/// version`, the output, a blank line; a failure line (`R3 failed (auth): ...`) when the host
/// failed. Bytes, not text: an output that is not valid
/// UTF-8 is written as the device sent it.
pub fn host_text(outcome: &Outcome) -> Vec<u8> {
    let mut text = Vec::new();
    // Attempts before this one (`--retries`), each one line.
    for (n, Failure { kind, message }) in outcome.retried.iter().enumerate() {
        let line = format!(
            "{} ({}:{}) attempt {} failed ({kind}): {message}; trying again\n",
            outcome.name,
            outcome.host,
            outcome.port,
            n + 1
        );
        text.extend_from_slice(line.as_bytes());
    }
    for command in &outcome.commands {
        text.extend_from_slice(command.prompt.as_bytes());
        text.extend_from_slice(command.command.as_bytes());
        text.push(b'\n');
        let output = command
            .output_bytes
            .as_deref()
            .unwrap_or(command.output.as_bytes());
        text.extend_from_slice(output);
        if !output.is_empty() && !output.ends_with(b"\n") {
            text.push(b'\n');
        }
        text.push(b'\n');
        if let Some(parse) = &command.parse {
            text.extend_from_slice(parsed_text(parse).as_bytes());
        }
    }
    if let Some(config) = &outcome.config {
        text.extend_from_slice(config_text(outcome, config).as_bytes());
    }
    if let Some(Failure { kind, message }) = &outcome.failure {
        let line = format!(
            "{} ({}:{}) failed ({kind}): {message}\n\n",
            outcome.name, outcome.host, outcome.port
        );
        text.extend_from_slice(line.as_bytes());
    }
    text
}

/// A command's records as a compact table under a `parsed with TEMPLATE: N records` line, or
/// `not parsed: WHY`; then a blank line.
fn parsed_text(parse: &ParseResult) -> String {
    let Some(error) = &parse.error else {
        let count = parse.rows.len();
        let noun = if count == 1 { "record" } else { "records" };
        let mut text = format!("parsed with {}: {count} {noun}\n", parse.template);
        text.push_str(&table(&parse.header, &parse.rows));
        text.push('\n');
        return text;
    };
    format!("not parsed: {error}\n\n")
}

/// `header` and `rows` in columns two spaces apart (lists comma-separated), no trailing blanks.
fn table(header: &[String], rows: &[Vec<Field>]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|field| match field {
                    Field::Text(text) => text.clone(),
                    Field::List(items) => items.join(","),
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            cells
                .iter()
                .map(|row| row[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for line in std::iter::once(header.to_vec()).chain(cells) {
        let padded: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(padded.join("  ").trim_end());
        text.push('\n');
    }
    text
}

/// A config push as the device echoed it: `R1(config)#logging 10.5.5.5`, each reply, the save,
/// lines not sent, and the diff when one was read.
/// A config push as the device echoed it: `R1(config)#logging 10.5.5.5`, each reply, the
/// commit and the discard, the save, lines not sent, and the diff when one was read.
fn config_text(outcome: &Outcome, config: &ConfigResult) -> String {
    let mut text = String::new();
    for line in &config.lines {
        text.push_str(&format!("{}{}\n", line.prompt, line.line));
        push_block(&mut text, &line.reply);
    }
    let config_prompt = config.lines.last().map_or("", |l| l.prompt.as_str());
    for step in [&config.commit, &config.discard].into_iter().flatten() {
        text.push_str(&format!("{config_prompt}{}\n", step.command));
        push_block(&mut text, &step.reply);
    }
    match &config.save {
        // Nothing was sent: the platform saves by committing, or has nothing to save.
        Some(save) if save.command.is_empty() || config.commit.is_some() => {
            text.push_str(&format!("({})\n", save.reply));
        }
        Some(save) => {
            text.push_str(&format!("{}{}\n", outcome.prompt, save.command));
            push_block(&mut text, &save.reply);
        }
        None => {}
    }
    for line in &config.in_flight {
        text.push_str(&format!("(sent, no reply) {line}\n"));
    }
    for line in &config.skipped {
        text.push_str(&format!("(not sent) {line}\n"));
    }
    if let (Some(before), Some(after)) = (&config.before, &config.after) {
        match crate::config::config_diff(&outcome.name, before, after) {
            diff if diff.is_empty() => text.push_str("(running-config unchanged)\n"),
            diff => text.push_str(&diff),
        }
    }
    text.push('\n');
    text
}

/// `block` as lines ending in a newline (nothing for an empty block).
fn push_block(text: &mut String, block: &str) {
    if !block.is_empty() {
        text.push_str(block);
        if !block.ends_with('\n') {
            text.push('\n');
        }
    }
}

/// Write DIR/<name>.txt for every host, each atomically (temp file + rename).
pub fn save_per_host(dir: &Path, outcomes: &[Outcome]) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for outcome in outcomes {
        let file_name = format!("{}.txt", safe_file_name(&outcome.name));
        let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, host_text(outcome))?;
        std::fs::rename(&tmp, dir.join(file_name))?;
    }
    Ok(())
}

/// A host name as a file name: path separators and other awkward bytes become `_`.
pub(crate) fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match cleaned.trim_start_matches('.') {
        "" => "_".to_string(),
        rest => rest.to_string(),
    }
}

/// `bytes` in standard base64 (RFC 4648, with padding).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// netrun's JSON report (`-o json`): written by [`Report::write_json`] and read back by the
/// bench, one set of types for both, so the reader cannot drift from the writer. Text borrows
/// from the run when written and is owned when read ([`JsonRun::parse`]).
#[derive(Debug, Serialize, Deserialize)]
pub struct JsonRun<'a> {
    pub strategy: Cow<'a, str>,
    pub workers: usize,
    pub wall_ms: f64,
    pub ok: usize,
    pub failed: usize,
    pub hosts: Vec<JsonHost<'a>>,
    pub stats: Cow<'a, RunStats>,
    /// The shard the run was: `{"id": {"index": 3, "count": 4}, "source": "kubernetes", "of":
    /// 100, "hosts": 25}`; absent for a run of every host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Cow<'a, ShardInfo>>,
    /// netrun's own peak RSS in KiB (VmHWM when the report was written): this process only,
    /// never a `--lab` child or fork workers (those are in `stats.workers`); absent when the
    /// kernel did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_kib: Option<u64>,
}

impl JsonRun<'static> {
    /// Read a `netrun -o json` document.
    pub fn parse(json: &[u8]) -> serde_json::Result<JsonRun<'static>> {
        serde_json::from_slice(json)
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct JsonHost<'a> {
    pub name: Cow<'a, str>,
    pub host: Cow<'a, str>,
    pub port: u16,
    pub ok: bool,
    pub error: Option<Cow<'a, Failure>>,
    pub prompt: Cow<'a, str>,
    pub commands: Vec<JsonCommand<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<JsonConfig<'a>>,
    /// The SSH host key the device showed: type, SHA256 fingerprint, and `known`, `recorded` or
    /// `unchecked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<Cow<'a, HostKeySeen>>,
    pub start_ms: f64,
    pub connect_ms: f64,
    pub auth_ms: f64,
    pub total_ms: f64,
    pub worker: Cow<'a, Worker>,
    /// The failures of the attempts before this one (`--retries`), oldest first; absent when
    /// the first attempt was the only one. The attempts made are its length plus one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retried: Vec<Cow<'a, Failure>>,
}

/// A config push: every line sent with the device's reply, the 1-based line that failed, what was
/// not sent, the save, and the diff.
#[derive(Debug, Serialize, Deserialize)]
pub struct JsonConfig<'a> {
    pub applied: Vec<Cow<'a, str>>,
    pub failed_line: Option<usize>,
    pub lines: Vec<JsonConfigLine<'a>>,
    pub skipped: Cow<'a, [String]>,
    /// The line sent without its reply seen when the session broke (it may have been applied).
    #[serde(default)]
    pub in_flight: Cow<'a, [String]>,
    /// The commit (Junos, IOS-XR) as the device answered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<Cow<'a, SaveResult>>,
    /// What discarded the candidate after a rejected line or a failed commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discard: Option<Cow<'a, SaveResult>>,
    pub save: Option<Cow<'a, SaveResult>>,
    pub final_prompt: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// `--diff`: the running-config before and after (volatile lines removed), that the diff
    /// was taken between; absent without `--diff`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Cow<'a, str>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct JsonConfigLine<'a> {
    pub line: Cow<'a, str>,
    pub prompt: Cow<'a, str>,
    pub ok: bool,
    pub reply: Cow<'a, str>,
    pub duration_ms: f64,
}

impl<'a> JsonConfig<'a> {
    fn new(name: &str, c: &'a ConfigResult) -> Self {
        JsonConfig {
            applied: c.applied().map(Cow::Borrowed).collect(),
            failed_line: c.failed_line.map(|i| i + 1),
            lines: c
                .lines
                .iter()
                .map(|l| JsonConfigLine {
                    line: Cow::Borrowed(&l.line),
                    prompt: Cow::Borrowed(&l.prompt),
                    ok: l.ok,
                    reply: Cow::Borrowed(&l.reply),
                    duration_ms: ms(l.duration_us),
                })
                .collect(),
            skipped: Cow::Borrowed(&c.skipped),
            in_flight: Cow::Borrowed(&c.in_flight),
            commit: c.commit.as_ref().map(Cow::Borrowed),
            discard: c.discard.as_ref().map(Cow::Borrowed),
            save: c.save.as_ref().map(Cow::Borrowed),
            final_prompt: Cow::Borrowed(&c.final_prompt),
            diff: match (&c.before, &c.after) {
                (Some(before), Some(after)) => {
                    Some(crate::config::config_diff(name, before, after))
                }
                _ => None,
            },
            before: c.before.as_deref().map(Cow::Borrowed),
            after: c.after.as_deref().map(Cow::Borrowed),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct JsonCommand<'a> {
    pub command: Cow<'a, str>,
    /// The prompt the command was sent at (`R1#`).
    #[serde(default)]
    pub prompt: Cow<'a, str>,
    pub ok: bool,
    pub start_ms: f64,
    pub duration_ms: f64,
    /// The output as text (invalid UTF-8 as U+FFFD).
    pub output: Cow<'a, str>,
    /// The output's bytes in base64, only when they are not valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_base64: Option<String>,
    /// `--parse`: the records, one object per record with the template's field names
    /// (lower-case), in the template's order; `[]` when the output was not parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parsed: Option<Vec<Record>>,
    /// `--parse`: which template, whether it parsed, and why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse: Option<JsonParse<'a>>,
}

/// How a command's output was parsed.
#[derive(Debug, Serialize, Deserialize)]
pub struct JsonParse<'a> {
    pub template: Cow<'a, str>,
    pub ok: bool,
    pub error: Option<Cow<'a, str>>,
    /// The template's field names in order (the records' keys; also when there are none).
    #[serde(default)]
    pub fields: Cow<'a, [String]>,
}

/// One parsed record: its fields in the template's order (a JSON object keeps them so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record(pub Vec<(String, Field)>);

impl Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, field) in &self.0 {
            map.serialize_entry(name, field)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = Record;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a parsed record (an object of text or lists of text)")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Record, M::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    fields.push(entry);
                }
                Ok(Record(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// The records of `parse`, each field named by its header.
fn records(parse: &ParseResult) -> Vec<Record> {
    parse
        .rows
        .iter()
        .map(|row| {
            Record(
                parse
                    .header
                    .iter()
                    .cloned()
                    .zip(row.iter().cloned())
                    .collect(),
            )
        })
        .collect()
}

impl<'a> From<&'a Outcome> for JsonHost<'a> {
    fn from(o: &'a Outcome) -> Self {
        JsonHost {
            name: Cow::Borrowed(&o.name),
            host: Cow::Borrowed(&o.host),
            port: o.port,
            ok: o.ok(),
            error: o.failure.as_ref().map(Cow::Borrowed),
            prompt: Cow::Borrowed(&o.prompt),
            commands: o
                .commands
                .iter()
                .map(|c| JsonCommand {
                    command: Cow::Borrowed(&c.command),
                    prompt: Cow::Borrowed(&c.prompt),
                    ok: c.ok,
                    start_ms: ms(c.start_us),
                    duration_ms: ms(c.duration_us),
                    output: Cow::Borrowed(&c.output),
                    output_base64: c.output_bytes.as_deref().map(base64),
                    parsed: c.parse.as_ref().map(records),
                    parse: c.parse.as_ref().map(|p| JsonParse {
                        template: Cow::Borrowed(&p.template),
                        ok: p.ok,
                        error: p.error.as_deref().map(Cow::Borrowed),
                        fields: Cow::Borrowed(&p.header),
                    }),
                })
                .collect(),
            config: o.config.as_ref().map(|c| JsonConfig::new(&o.name, c)),
            host_key: o.host_key.as_ref().map(Cow::Borrowed),
            start_ms: ms(o.timings.start_us),
            connect_ms: ms(o.timings.connect_us),
            auth_ms: ms(o.timings.auth_us),
            total_ms: ms(o.timings.total_us),
            worker: Cow::Borrowed(&o.worker),
            retried: o.retried.iter().map(Cow::Borrowed).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{CommandResult, ErrorKind, Timings};

    fn outcome(name: &str, failure: Option<Failure>) -> Outcome {
        Outcome {
            index: 0,
            name: name.into(),
            host: "127.0.0.1".into(),
            port: 10022,
            prompt: format!("{name}#"),
            commands: vec![CommandResult {
                command: "show clock".into(),
                prompt: format!("{name}#"),
                output: "*10:52:35.447 UTC Sun Nov 22 2026".into(),
                ok: true,
                output_bytes: None,
                start_us: 2000,
                duration_us: 1500,
                parse: None,
            }],
            config: None,
            failure,
            host_key: None,
            timings: Timings::default(),
            worker: Worker::current(),
            retried: Vec::new(),
        }
    }

    fn two_workers(run: &Run, strategy: StrategyKind, wall: Duration) -> Report<'_> {
        Report {
            run,
            strategy,
            workers: 2,
            wall,
            parsing: false,
            shard: None,
        }
    }

    fn json(report: &Report) -> Vec<u8> {
        let mut written = Vec::new();
        report.write_json(&mut written).unwrap();
        written
    }

    #[test]
    fn text_is_the_books_format() {
        assert_eq!(
            host_text(&outcome("R1", None)),
            b"R1#show clock\n*10:52:35.447 UTC Sun Nov 22 2026\n\n"
        );
        let failed = outcome("R2", Some(Failure::new(ErrorKind::Auth, "denied")));
        assert!(host_text(&failed).ends_with(b"R2 (127.0.0.1:10022) failed (auth): denied\n\n"));
    }

    #[test]
    fn raw_bytes_are_written_as_sent_and_carried_in_json_as_base64() {
        let mut garbled = outcome("R1", None);
        garbled.commands[0].output = "ok \u{fffd}\u{fffd} done".into();
        garbled.commands[0].output_bytes = Some(b"ok \xff\xfe done".to_vec());
        assert_eq!(host_text(&garbled), b"R1#show clock\nok \xff\xfe done\n\n");
        let json = JsonHost::from(&garbled);
        assert_eq!(json.commands[0].output, "ok \u{fffd}\u{fffd} done");
        assert_eq!(
            json.commands[0].output_base64.as_deref(),
            Some("b2sg//4gZG9uZQ==")
        );
        let plain = outcome("R2", None);
        let clean = JsonHost::from(&plain);
        assert_eq!(clean.commands[0].output_base64, None);
        let text = serde_json::to_string(&clean).unwrap();
        assert!(!text.contains("output_base64"), "{text}");
        for (bytes, encoded) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
        ] {
            assert_eq!(base64(bytes), encoded);
        }
    }

    #[test]
    fn json_has_one_object_per_host() {
        let run = Run {
            outcomes: vec![
                outcome("R1", None),
                outcome("R2", Some(Failure::new(ErrorKind::Timeout, "no prompt"))),
            ],
            stats: RunStats::default(),
        };
        let report = two_workers(
            &run,
            "threads".parse().unwrap(),
            Duration::from_millis(1234),
        );
        let doc: serde_json::Value = serde_json::from_slice(&json(&report)).unwrap();
        assert_eq!(doc["hosts"].as_array().unwrap().len(), 2);
        assert_eq!(doc["failed"], 1);
        assert_eq!(doc["hosts"][1]["error"]["kind"], "timeout");
        assert_eq!(doc["hosts"][0]["commands"][0]["duration_ms"], 1.5);
        assert_eq!(
            report.summary(),
            "2 hosts, 1 ok, 1 failed in 1.234 s (strategy threads, 2 workers)"
        );
    }

    #[test]
    fn the_json_reads_back_as_it_was_written() {
        let mut pushed = outcome("R1", None);
        pushed.config = Some(Box::new(ConfigResult {
            lines: vec![crate::job::ConfigLineResult {
                line: "logging 10.5.5.5".into(),
                prompt: "R1(config)#".into(),
                reply: String::new(),
                ok: true,
                duration_us: 700,
            }],
            failed_line: None,
            skipped: vec!["ntp server 10.0.0.1".into()],
            in_flight: vec!["ntp server 10.0.0.2".into()],
            commit: None,
            discard: None,
            save: Some(SaveResult {
                command: "write memory".into(),
                reply: "[OK]".into(),
                ok: true,
            }),
            before: Some("hostname R1\n".into()),
            after: Some("hostname R1\nlogging 10.5.5.5\n".into()),
            final_prompt: "R1#".into(),
        }));
        let failed = outcome("R2", Some(Failure::new(ErrorKind::Auth, "denied")));
        let run = Run {
            outcomes: vec![pushed, failed],
            stats: RunStats {
                processes_forked: 2,
                ..RunStats::default()
            },
        };
        let written = json(&two_workers(
            &run,
            "fork".parse().unwrap(),
            Duration::from_millis(20),
        ));
        let doc = JsonRun::parse(&written).unwrap();
        assert_eq!(doc.strategy, "fork");
        assert_eq!(doc.hosts[0].commands[0].duration_ms, 1.5);
        assert_eq!(
            doc.hosts[1].error.as_deref(),
            run.outcomes[1].failure.as_ref()
        );
        let config = doc.hosts[0].config.as_ref().unwrap();
        assert_eq!(config.applied, ["logging 10.5.5.5"]);
        assert_eq!(*config.in_flight, ["ntp server 10.0.0.2".to_string()]);
        assert!(config.diff.as_ref().unwrap().contains("+logging 10.5.5.5"));
        let mut rewritten = serde_json::to_vec_pretty(&doc).unwrap();
        rewritten.push(b'\n');
        assert_eq!(
            String::from_utf8(rewritten).unwrap(),
            String::from_utf8(written).unwrap()
        );
    }

    #[test]
    fn parsed_records_keep_the_templates_field_order_in_json_and_text() {
        let mut parsed = outcome("R1", None);
        let text = |s: &str| Field::Text(s.to_string());
        parsed.commands[0].parse = Some(ParseResult {
            template: "cisco_ios_show_clock.textfsm".into(),
            ok: true,
            error: None,
            header: vec!["time".into(), "zone".into(), "tags".into()],
            rows: vec![vec![
                text("10:52:35.447"),
                text("UTC"),
                Field::List(vec!["a".into(), "b".into()]),
            ]],
        });
        let mut failed = outcome("R2", None);
        failed.commands[0].parse = Some(ParseResult {
            error: Some("no template for platform 'x'".into()),
            ..ParseResult::default()
        });
        let run = Run {
            outcomes: vec![parsed, failed],
            stats: RunStats::default(),
        };
        let report = Report {
            parsing: true,
            ..two_workers(&run, "threads".parse().unwrap(), Duration::from_millis(5))
        };
        let written = json(&report);
        let line = String::from_utf8(written.clone()).unwrap();
        let time = line.find("\"time\"").unwrap();
        assert!(time < line.find("\"zone\"").unwrap() && time < line.find("\"tags\"").unwrap());
        let doc: serde_json::Value = serde_json::from_slice(&written).unwrap();
        let first = &doc["hosts"][0]["commands"][0];
        assert_eq!(
            first["parsed"],
            serde_json::json!([{"time": "10:52:35.447", "zone": "UTC", "tags": ["a", "b"]}])
        );
        assert_eq!(
            first["parse"],
            serde_json::json!({
                "template": "cisco_ios_show_clock.textfsm",
                "ok": true,
                "error": null,
                "fields": ["time", "zone", "tags"]
            })
        );
        let second = &doc["hosts"][1]["commands"][0];
        assert_eq!(second["parsed"], serde_json::json!([]));
        assert_eq!(second["parse"]["error"], "no template for platform 'x'");
        let back = JsonRun::parse(&written).unwrap();
        let records = back.hosts[0].commands[0].parsed.as_ref().unwrap();
        assert_eq!(records[0].0[0], ("time".to_string(), text("10:52:35.447")));
        assert!(report.summary().ends_with(", 1 command not parsed"));
        assert_eq!(
            String::from_utf8(host_text(&run.outcomes[0])).unwrap(),
            "R1#show clock\n*10:52:35.447 UTC Sun Nov 22 2026\n\n\
             parsed with cisco_ios_show_clock.textfsm: 1 record\n\
             time          zone  tags\n\
             10:52:35.447  UTC   a,b\n\n"
        );
        assert!(String::from_utf8(host_text(&run.outcomes[1]))
            .unwrap()
            .ends_with("\nnot parsed: no template for platform 'x'\n\n"));
    }

    #[test]
    fn saved_files_are_named_safely() {
        let dir = tempfile::tempdir().unwrap();
        let mut odd = outcome("../etc/R1", None);
        odd.index = 1;
        save_per_host(dir.path(), &[outcome("R1", None), odd]).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, vec!["R1.txt", "_etc_R1.txt"]);
        let text = std::fs::read_to_string(dir.path().join("R1.txt")).unwrap();
        assert!(text.starts_with("R1#show clock\n"));
    }
}
