//! Show commands from a YAML commands file (`netrun -f cmds.yaml`), each with the answers to the
//! questions it may ask:
//!
//! ```yaml
//! - show version
//! - command: copy running-config startup-config
//!   answers:
//!     - prompt: Destination filename
//!       reply: ""
//! ```
//!
//! Read before the inventory or any connection; an error names the file, line and field.

use std::fmt;
use std::path::Path;

use anyhow::Context;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::job::{QuestionPattern, UserAnswer};

/// One command of the file and its answers, in order.
#[derive(Debug, PartialEq, Eq)]
pub struct FileCommand {
    pub command: String,
    pub answers: Vec<UserAnswer>,
}

/// The commands in `path`, in order.
pub fn read(path: &Path) -> anyhow::Result<Vec<FileCommand>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--file {}: cannot read it", path.display()))?;
    parse(&text).map_err(|e| anyhow::anyhow!("--file {}: {e}", path.display()))
}

fn parse(text: &str) -> Result<Vec<FileCommand>, String> {
    let entries: Vec<Entry> = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    if entries.is_empty() {
        return Err("it lists no command".to_string());
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(i, Entry(entry))| match entry.command.trim() {
            "" => Err(format!("command {}: `command` is empty", i + 1)),
            _ => Ok(FileCommand {
                command: entry.command,
                answers: entry
                    .answers
                    .into_iter()
                    .map(|a| UserAnswer {
                        prompt: a.prompt,
                        reply: a.reply,
                    })
                    .collect(),
            }),
        })
        .collect()
}

/// A list item: a plain string, or a map with `command` and `answers`.
struct Entry(Full);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Full {
    command: String,
    #[serde(default)]
    answers: Vec<AnswerEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerEntry {
    prompt: QuestionPattern,
    #[serde(default)]
    reply: String,
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Entry, D::Error> {
        deserializer.deserialize_any(EntryVisitor)
    }
}

/// Takes either form while keeping the YAML reader's positions in its errors (an untagged
/// enum would say only "did not match any variant").
struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a command string or a map with `command` and `answers`")
    }

    fn visit_str<E: de::Error>(self, command: &str) -> Result<Entry, E> {
        Ok(Entry(Full {
            command: command.to_string(),
            answers: Vec::new(),
        }))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Entry, A::Error> {
        Full::deserialize(de::value::MapAccessDeserializer::new(map)).map(Entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_maps_with_answers() {
        let commands = parse(
            "- show version\n\
             - command: copy running-config startup-config\n  \
               answers:\n    \
                 - prompt: Destination filename\n    \
                 - {prompt: 'Overwrite', reply: y}\n",
        )
        .unwrap();
        assert_eq!(commands.len(), 2);
        assert_eq!(commands[0].command, "show version");
        assert!(commands[0].answers.is_empty());
        let answers = &commands[1].answers;
        assert_eq!(answers[0].prompt.as_str(), "Destination filename");
        assert_eq!(answers[0].reply, "");
        assert_eq!(answers[1].reply, "y");
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let err =
            parse("- show clock\n- command: reload\n  answers:\n    - promt: x\n").unwrap_err();
        assert!(err.contains("unknown field `promt`"), "{err}");
        assert!(err.contains("line 4"), "{err}");
        let err = parse("- command: reload\n  answers:\n    - prompt: '(x'\n").unwrap_err();
        assert!(err.contains("regex") && err.contains("line 3"), "{err}");
        assert_eq!(parse("[]").unwrap_err(), "it lists no command");
        assert!(parse("- command: ' '\n").unwrap_err().contains("command 1"));
    }
}
