//! Rendering of results: the book-style text report, JSON, per-host files, the summary line, and
//! the live event log / progress bar. Results are data; nothing here talks to a device.

pub mod events;

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::job::{ConfigResult, Failure, Outcome, SaveResult, Worker};
use crate::strategy::{Run, RunStats, StrategyKind};

/// A finished run as the reports see it.
pub struct Report<'a> {
    pub run: &'a Run,
    pub strategy: StrategyKind,
    pub workers: usize,
    pub wall: Duration,
}

impl Report<'_> {
    pub fn failed(&self) -> usize {
        self.run.outcomes.iter().filter(|o| !o.ok()).count()
    }

    /// The one-line summary for stderr: hosts, ok, failed, wall time, strategy and workers.
    pub fn summary(&self) -> String {
        let hosts = self.run.outcomes.len();
        let failed = self.failed();
        format!(
            "{hosts} hosts, {} ok, {failed} failed in {:.3} s (strategy {}, {} workers)",
            hosts - failed,
            self.wall.as_secs_f64(),
            self.strategy.name(),
            self.workers
        )
    }

    /// The book's format per host, in inventory order.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        for outcome in &self.run.outcomes {
            out.write_all(host_text(outcome).as_bytes())?;
        }
        Ok(())
    }

    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let doc = JsonRun {
            strategy: self.strategy.name(),
            workers: self.workers,
            wall_ms: ms(self.wall.as_micros() as u64),
            ok: self.run.outcomes.len() - self.failed(),
            failed: self.failed(),
            hosts: self.run.outcomes.iter().map(JsonHost::from).collect(),
            stats: &self.run.stats,
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}

/// One host in the book's format: `R1#show version`, the output, a blank line; a failure line
/// (`R3 failed (auth): ...`) when the host failed.
pub fn host_text(outcome: &Outcome) -> String {
    let mut text = String::new();
    for command in &outcome.commands {
        text.push_str(&command.prompt);
        text.push_str(&command.command);
        text.push('\n');
        text.push_str(&command.output);
        if !command.output.is_empty() && !command.output.ends_with('\n') {
            text.push('\n');
        }
        text.push('\n');
    }
    if let Some(config) = &outcome.config {
        text.push_str(&config_text(outcome, config));
    }
    if let Some(Failure { kind, message }) = &outcome.failure {
        text.push_str(&format!(
            "{} ({}:{}) failed ({kind}): {message}\n\n",
            outcome.name, outcome.host, outcome.port
        ));
    }
    text
}

/// A config push as the device echoed it: `R1(config)#logging 10.5.5.5`, each reply, the save,
/// lines not sent, and the diff when one was read.
fn config_text(outcome: &Outcome, config: &ConfigResult) -> String {
    let mut text = String::new();
    for line in &config.lines {
        text.push_str(&format!("{}{}\n", line.prompt, line.line));
        push_block(&mut text, &line.reply);
    }
    if let Some(save) = &config.save {
        text.push_str(&format!("{}{}\n", outcome.prompt, save.command));
        push_block(&mut text, &save.reply);
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
fn safe_file_name(name: &str) -> String {
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

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[derive(Serialize)]
struct JsonRun<'a> {
    strategy: &'static str,
    workers: usize,
    wall_ms: f64,
    ok: usize,
    failed: usize,
    hosts: Vec<JsonHost<'a>>,
    stats: &'a RunStats,
}

#[derive(Serialize)]
struct JsonHost<'a> {
    name: &'a str,
    host: &'a str,
    port: u16,
    ok: bool,
    error: Option<&'a Failure>,
    prompt: &'a str,
    commands: Vec<JsonCommand<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<JsonConfig<'a>>,
    start_ms: f64,
    connect_ms: f64,
    auth_ms: f64,
    total_ms: f64,
    worker: &'a Worker,
}

/// A config push: every line sent with the device's reply, the 1-based line that failed, what was
/// not sent, the save, and the diff.
#[derive(Serialize)]
struct JsonConfig<'a> {
    applied: Vec<&'a str>,
    failed_line: Option<usize>,
    lines: Vec<JsonConfigLine<'a>>,
    skipped: &'a [String],
    save: Option<&'a SaveResult>,
    final_prompt: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
}

#[derive(Serialize)]
struct JsonConfigLine<'a> {
    line: &'a str,
    prompt: &'a str,
    ok: bool,
    reply: &'a str,
    duration_ms: f64,
}

impl<'a> JsonConfig<'a> {
    fn new(name: &str, c: &'a ConfigResult) -> Self {
        JsonConfig {
            applied: c.applied().collect(),
            failed_line: c.failed_line.map(|i| i + 1),
            lines: c
                .lines
                .iter()
                .map(|l| JsonConfigLine {
                    line: &l.line,
                    prompt: &l.prompt,
                    ok: l.ok,
                    reply: &l.reply,
                    duration_ms: ms(l.duration_us),
                })
                .collect(),
            skipped: &c.skipped,
            save: c.save.as_ref(),
            final_prompt: &c.final_prompt,
            diff: match (&c.before, &c.after) {
                (Some(before), Some(after)) => {
                    Some(crate::config::config_diff(name, before, after))
                }
                _ => None,
            },
        }
    }
}

#[derive(Serialize)]
struct JsonCommand<'a> {
    command: &'a str,
    ok: bool,
    start_ms: f64,
    duration_ms: f64,
    output: &'a str,
}

impl<'a> From<&'a Outcome> for JsonHost<'a> {
    fn from(o: &'a Outcome) -> Self {
        JsonHost {
            name: &o.name,
            host: &o.host,
            port: o.port,
            ok: o.ok(),
            error: o.failure.as_ref(),
            prompt: &o.prompt,
            commands: o
                .commands
                .iter()
                .map(|c| JsonCommand {
                    command: &c.command,
                    ok: c.ok,
                    start_ms: ms(c.start_us),
                    duration_ms: ms(c.duration_us),
                    output: &c.output,
                })
                .collect(),
            config: o.config.as_ref().map(|c| JsonConfig::new(&o.name, c)),
            start_ms: ms(o.timings.start_us),
            connect_ms: ms(o.timings.connect_us),
            auth_ms: ms(o.timings.auth_us),
            total_ms: ms(o.timings.total_us),
            worker: &o.worker,
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
                start_us: 2000,
                duration_us: 1500,
            }],
            config: None,
            failure,
            timings: Timings::default(),
            worker: Worker::current(),
        }
    }

    #[test]
    fn text_is_the_books_format() {
        assert_eq!(
            host_text(&outcome("R1", None)),
            "R1#show clock\n*10:52:35.447 UTC Sun Nov 22 2026\n\n"
        );
        let failed = outcome("R2", Some(Failure::new(ErrorKind::Auth, "denied")));
        assert!(host_text(&failed).ends_with("R2 (127.0.0.1:10022) failed (auth): denied\n\n"));
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
        let report = Report {
            run: &run,
            strategy: "threads".parse().unwrap(),
            workers: 2,
            wall: Duration::from_millis(1234),
        };
        let mut buf = Vec::new();
        report.write_json(&mut buf).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&buf).unwrap();
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
