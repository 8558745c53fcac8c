//! `--parse textfsm`: each show command's output parsed into records with TextFSM templates,
//! chosen per platform and command by an ntc-templates `index` (`index.rs`), or one
//! `--template FILE` for every command. Where the templates come from is resolved in
//! `settings.rs` (`locate.rs` asks `python3`).
//!
//! Parsing runs in the worker that ran the session, after the dialogue and before its `Outcome`
//! leaves the worker (a thread, a fork worker, an async task), so it scales with the strategy.
//! Templates compile once per process: [`Parser::prepare`] compiles the ones the jobs need
//! before any worker starts (forked workers inherit them), and a cache holds them.
//!
//! A command that is not parsed says why in its own `ParseResult` (no template, a construct
//! the engine does not support, a template's `Error` action); `--parse-strict` makes that fail
//! the host with kind `parse`. The engine is the `textfsm-rs` crate, picked on measured
//! conformance over ntc-templates' own test corpus (README, benches/textfsm_corpus.rs).

mod engine;
pub mod index;
pub mod locate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{anyhow, Result};

use crate::job::{ErrorKind, Failure, Job, Outcome, ParseResult, Task};
pub use engine::parse_with;
use index::Index;

/// Which templates parse a command.
#[derive(Debug)]
pub enum Templates {
    /// An ntc-templates folder: its `index` chooses per platform and command.
    Index { dir: PathBuf, index: Index },
    /// `--template FILE`: this one for every command.
    One(PathBuf),
}

/// The run's parsing: where templates come from, and whether a command not parsed fails its host.
#[derive(Debug)]
pub struct Parser {
    templates: Templates,
    strict: bool,
    /// The index's answer per (platform, command): a scan of its rows runs a regex per row,
    /// once per pair instead of once per host (filled by `prepare`, so fork workers inherit it).
    lookups: Mutex<HashMap<(String, String), Lookup>>,
}

/// The template files for a command, or why there are none.
type Lookup = Result<Vec<PathBuf>, String>;

impl Parser {
    /// A parser over an ntc-templates folder (its `index` read now), or over one template
    /// (compiled now): a bad index or template is an error before any connection.
    pub fn new(templates: Templates, strict: bool) -> Result<Parser> {
        if let Templates::One(file) = &templates {
            engine::compiled(file).map_err(|err| anyhow!("--template {err}"))?;
        }
        Ok(Parser {
            templates,
            strict,
            lookups: Mutex::default(),
        })
    }

    /// An ntc-templates folder as `--templates`, `$NET_TEXTFSM` or the Python package gave it.
    pub fn from_dir(dir: &Path, strict: bool) -> Result<Parser> {
        let index = Index::load(dir)?;
        Parser::new(
            Templates::Index {
                dir: dir.to_path_buf(),
                index,
            },
            strict,
        )
    }

    /// Compile every template the jobs' show commands will use, now, in this process: forked
    /// workers then inherit them, and no session's time includes compiling.
    pub fn prepare(&self, jobs: &[Job]) {
        for job in jobs {
            let Task::Show { commands, .. } = &job.task else {
                continue;
            };
            for command in commands {
                if let Ok(files) = self.templates_for(&job.host.platform, command) {
                    for file in files {
                        let _ = engine::compiled(&file);
                    }
                }
            }
        }
    }

    /// Parse each command the device answered, and with `--parse-strict` fail a host that was
    /// otherwise fine when any of them was not parsed.
    pub fn apply(&self, platform: &str, outcome: &mut Outcome) {
        for command in outcome.commands.iter_mut().filter(|c| c.ok) {
            command.parse = Some(self.parse(platform, &command.command, &command.output));
        }
        if self.strict && outcome.failure.is_none() {
            outcome.failure = not_parsed(outcome);
        }
    }

    /// One command's output on `platform`, parsed.
    pub fn parse(&self, platform: &str, command: &str, output: &str) -> ParseResult {
        match self.templates_for(platform, command) {
            Ok(files) => parse_with(&files, output),
            Err(error) => ParseResult {
                error: Some(error),
                ..ParseResult::default()
            },
        }
    }

    /// The template files for `command` on `platform`, or why there are none.
    fn templates_for(&self, platform: &str, command: &str) -> Lookup {
        let mut lookups = self.lookups.lock().unwrap_or_else(|p| p.into_inner());
        let key = (platform.to_string(), command.to_string());
        lookups
            .entry(key)
            .or_insert_with(|| self.look_up(platform, command))
            .clone()
    }

    fn look_up(&self, platform: &str, command: &str) -> Lookup {
        match &self.templates {
            Templates::One(file) => Ok(vec![file.clone()]),
            Templates::Index { dir, index } => match index.lookup(platform, command) {
                Some(names) => Ok(names.iter().map(|name| dir.join(name)).collect()),
                None => Err(format!(
                    "no template for platform '{platform}' and command '{command}' in {}",
                    index.path().display()
                )),
            },
        }
    }
}

/// `--parse-strict`'s failure: kind `parse`, naming each command not parsed and why.
fn not_parsed(outcome: &Outcome) -> Option<Failure> {
    let reasons: Vec<String> = outcome
        .commands
        .iter()
        .filter_map(|c| {
            let parse = c.parse.as_ref().filter(|p| !p.ok)?;
            let why = parse.error.as_deref().unwrap_or("not parsed");
            Some(format!("`{}` not parsed: {why}", c.command))
        })
        .collect();
    (!reasons.is_empty()).then(|| Failure::new(ErrorKind::Parse, reasons.join("; ")))
}

/// Commands whose output was to be parsed and was not, over all outcomes (the summary's count).
pub fn not_parsed_count(outcomes: &[Outcome]) -> usize {
    outcomes
        .iter()
        .flat_map(|o| &o.commands)
        .filter(|c| c.parse.as_ref().is_some_and(|p| !p.ok))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{CommandResult, Field, Timings, Worker};

    fn dir_with(index: &str, templates: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index"), index).unwrap();
        for (name, text) in templates {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    const CLOCK: &str =
        "Value TIME (\\S+)\nValue ZONE (\\S+)\n\nStart\n  ^\\*?${TIME}\\s+${ZONE} -> Record\n";

    fn outcome(commands: &[(&str, &str)]) -> Outcome {
        Outcome {
            index: 0,
            host_key: None,
            retried: Vec::new(),
            name: "R1".into(),
            host: "127.0.0.1".into(),
            port: 22,
            prompt: "R1#".into(),
            commands: commands
                .iter()
                .map(|(command, output)| CommandResult {
                    command: command.to_string(),
                    prompt: "R1#".into(),
                    output: output.to_string(),
                    output_bytes: None,
                    ok: true,
                    start_us: 0,
                    duration_us: 0,
                    parse: None,
                })
                .collect(),
            config: None,
            failure: None,
            timings: Timings::default(),
            worker: Worker::current(),
        }
    }

    #[test]
    fn each_command_is_parsed_or_says_why_not_and_strict_fails_the_host() {
        let dir = dir_with(
            "Template, Hostname, Platform, Command\n\nclock.textfsm, .*, cisco_ios, sh[[ow]] clo[[ck]]\n",
            &[("clock.textfsm", CLOCK)],
        );
        let parser = Parser::from_dir(dir.path(), false).unwrap();
        let mut done = outcome(&[
            ("sh clock", "*10:52:35.447 UTC Sun Nov 22 2026\n"),
            ("show users", "    Line  User\n"),
        ]);
        parser.apply("cisco_ios", &mut done);
        let clock = done.commands[0].parse.as_ref().unwrap();
        assert!(clock.ok, "{clock:?}");
        assert_eq!(clock.header, ["time", "zone"]);
        assert_eq!(
            clock.rows,
            [vec![
                Field::Text("10:52:35.447".into()),
                Field::Text("UTC".into())
            ]]
        );
        let users = done.commands[1].parse.as_ref().unwrap();
        assert!(!users.ok);
        assert!(users
            .error
            .as_ref()
            .unwrap()
            .starts_with("no template for platform 'cisco_ios' and command 'show users' in "));
        assert!(done.failure.is_none());
        assert_eq!(not_parsed_count(std::slice::from_ref(&done)), 1);

        let strict = Parser::from_dir(dir.path(), true).unwrap();
        let mut done = outcome(&[("show users", "")]);
        strict.apply("cisco_ios", &mut done);
        let failure = done.failure.unwrap();
        assert_eq!(failure.kind, ErrorKind::Parse);
        assert!(failure
            .message
            .starts_with("`show users` not parsed: no template"));
    }

    #[test]
    fn a_template_the_engine_cannot_compile_fails_only_its_commands() {
        let dir = dir_with(
            "Template, Platform, Command\nbroken.textfsm, cisco_ios, sh[[ow]] ver[[sion]]\nclock.textfsm, cisco_ios, sh[[ow]] clo[[ck]]\n",
            &[("broken.textfsm", "Value X\n\nStart\n  ^${X}\n"), ("clock.textfsm", CLOCK)],
        );
        let parser = Parser::from_dir(dir.path(), false).unwrap();
        let mut done = outcome(&[
            ("show version", "R1 uptime is 1 minute\n"),
            ("show clock", "10:00:00.000 UTC\n"),
        ]);
        parser.apply("cisco_ios", &mut done);
        let version = done.commands[0].parse.as_ref().unwrap();
        assert_eq!(version.template, "broken.textfsm");
        assert!(!version.ok);
        assert!(
            version.error.as_ref().unwrap().contains("broken.textfsm"),
            "{version:?}"
        );
        assert!(done.commands[1].parse.as_ref().unwrap().ok);
    }

    #[test]
    fn one_template_for_every_command_is_checked_before_the_run() {
        let dir = dir_with(
            "Template\n",
            &[("clock.textfsm", CLOCK), ("bad.textfsm", "Value X\n")],
        );
        let parser = Parser::new(Templates::One(dir.path().join("clock.textfsm")), false).unwrap();
        let result = parser.parse("linux", "date", "12:00:01 CET\n");
        assert_eq!(result.rows.len(), 1);
        let err = Parser::new(Templates::One(dir.path().join("bad.textfsm")), false).unwrap_err();
        assert!(err.to_string().starts_with("--template "), "{err}");
        assert!(err.to_string().contains("bad.textfsm"), "{err}");
    }
}
