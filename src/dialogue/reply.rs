//! A command's reply: first its echo (so output that merely looks like a prompt, before the
//! command was even echoed, never ends it), then the device's prompt at the end of what was
//! received, with a save's or a commit's questions answered on the way; then what the reply means, by the
//! command's purpose, stamped with when it was sent and answered.
//!
//! A line of output equal to the prompt that ends exactly at a read boundary looks like the
//! prompt. So every reply stays `Pending` until the next echo (a command's, a level move's, the
//! exit's, or the close) confirms where it ends: bytes between the prompt match and the next echo
//! line are the rest of that reply, never the next command's. A show result or a running-config
//! read is held and completed by them; a config line or save has been judged already (the push
//! went on from it), so bytes after its prompt fail the host, naming it.

use std::collections::VecDeque;
use std::time::Instant;

use super::config;
use super::context::{micros, Base, Context};
use super::machine::{Awaiting, Next};
use super::plan::{Purpose, Snapshot, Step};
use super::platform::{Question, Save};
use super::received::{find, Received};
use super::{DialogueEvent, SaveResult};
use crate::job::{CommandResult, ConfigLineResult, ErrorKind, Failure};

/// How many questions one save or commit may ask (`Destination filename [startup-config]?`,
/// `[confirm]`).
const MAX_QUESTIONS: usize = 3;

/// A command on its way: what was sent, why, at which prompt and when.
pub(super) struct Sent {
    /// As typed (what the echo is matched against).
    command: String,
    /// As reported: `command` with the host's secrets masked (a config line may hold one, e.g.
    /// `snmp-server community S3cret`).
    shown: String,
    purpose: Purpose,
    prompt: String,
    at: Instant,
}

impl Sent {
    /// The config line's index and text, when this is a config line.
    fn config_line(&self) -> Option<(usize, String)> {
        match self.purpose {
            Purpose::ConfigLine(index) => Some((index, self.shown.clone())),
            _ => None,
        }
    }

    /// `'show version'`, or `config line 'logging 10.5.5.5'`, for failure messages.
    fn describe(&self) -> String {
        match self.purpose {
            Purpose::ConfigLine(_) => format!("config line '{}'", self.shown),
            _ => format!("'{}'", self.shown),
        }
    }
}

/// Waiting for the echo of the command sent.
pub(super) struct AwaitEcho {
    sent: Sent,
    /// Where to resume looking for the echo.
    scan_from: usize,
}

impl AwaitEcho {
    /// Send `command` and wait for its echo.
    pub(super) fn start(cx: &mut Context, command: String, purpose: Purpose) -> Next {
        cx.send_line(&command);
        let shown = cx.masked(&command);
        match purpose {
            Purpose::Show(index) => cx.event(DialogueEvent::CommandSent {
                index,
                command: shown.clone(),
            }),
            Purpose::ConfigLine(index) => cx.event(DialogueEvent::ConfigLineSent {
                index,
                line: shown.clone(),
            }),
            Purpose::Setup
            | Purpose::ReadConfig(_)
            | Purpose::Save
            | Purpose::Commit
            | Purpose::Discard => {}
        }
        let sent = Sent {
            command,
            shown,
            purpose,
            prompt: cx.prompt.clone(),
            at: cx.now(),
        };
        Next::Wait(Awaiting::Echo(AwaitEcho { sent, scan_from: 0 }))
    }

    pub(super) fn on_input(self, cx: &mut Context) -> Result<Next, Failure> {
        match find_echo(&cx.received, &self.sent.command, self.scan_from) {
            Ok(Echo {
                line_start,
                output_start,
            }) => {
                settle_pending(cx, line_start)?;
                AwaitPrompt {
                    sent: self.sent,
                    output_start,
                    question_after: 0,
                    questions: 0,
                }
                .on_input(cx)
            }
            Err(scan_from) => Ok(Next::Wait(Awaiting::Echo(AwaitEcho { scan_from, ..self }))),
        }
    }

    pub(super) fn awaited(&self) -> String {
        format!("no echo of {}", self.sent.describe())
    }

    pub(super) fn config_line(&self) -> Option<(usize, String)> {
        self.sent.config_line()
    }
}

/// Echo seen: waiting for the prompt that ends the reply.
pub(super) struct AwaitPrompt {
    sent: Sent,
    /// Where the output starts (after the echo line).
    output_start: usize,
    /// A question is answered only on a line starting here or later (after the last answer),
    /// so one question is never answered twice.
    question_after: usize,
    questions: usize,
}

impl AwaitPrompt {
    pub(super) fn on_input(self, cx: &mut Context) -> Result<Next, Failure> {
        let answer = match self.question_asked(cx) {
            Some(answer) => Some(answer.to_string()),
            None => self.user_answer(cx),
        };
        if let Some(answer) = answer {
            let answered_at = cx.received.bytes().len();
            cx.send_line(&answer);
            return Ok(Next::Wait(Awaiting::Prompt(AwaitPrompt {
                question_after: answered_at,
                questions: self.questions + 1,
                ..self
            })));
        }
        if let Some(question) = self.unanswered_question(cx) {
            return Err(Failure::new(
                ErrorKind::Question,
                format!(
                    "{} stopped at a question: {:?}; nothing was answered (answer it with \
                     --answer 'REGEX=REPLY' after its -c, or `answers:` in a commands file)",
                    self.sent.describe(),
                    question.trim()
                ),
            ));
        }
        // A config line may rename the device (`hostname R2`), and so may a commit (`set system
        // host-name`): the next prompt is then a config prompt with a new base, learned from it.
        let renames = matches!(self.sent.purpose, Purpose::ConfigLine(_) | Purpose::Commit);
        let base = if renames {
            Base::NewInConfig
        } else {
            Base::Learned
        };
        let Some((prompt_start, prompt, level)) = cx.prompt_line_at_tail(self.output_start, base)
        else {
            return Ok(Next::Wait(Awaiting::Prompt(self)));
        };
        let output_end = cx.output_end(self.output_start, prompt_start);
        let reply = cx.received.bytes()[self.output_start..].to_vec();
        if renames {
            cx.learn_base_prompt(&prompt);
        }
        cx.reached_prompt(prompt, level);
        Ok(Next::Replied(Answer {
            sent: self.sent,
            output_len: output_end - self.output_start,
            reply,
            at: cx.now(),
        }))
    }

    pub(super) fn awaited(&self) -> String {
        format!("no prompt after {}", self.sent.describe())
    }

    pub(super) fn config_line(&self) -> Option<(usize, String)> {
        self.sent.config_line()
    }

    /// The reply outgrew `--max-output`: a show command keeps the output that fit, marked
    /// failed.
    pub(super) fn keep_what_fit(&self, cx: &mut Context) {
        let Purpose::Show(index) = self.sent.purpose else {
            return;
        };
        let bytes = cx.received.bytes();
        let (output, output_bytes) = cx.output_of(&bytes[self.output_start.min(bytes.len())..]);
        let result = CommandResult {
            ok: false,
            command: self.sent.shown.clone(),
            prompt: self.sent.prompt.clone(),
            output,
            output_bytes,
            start_us: cx.since_epoch(self.sent.at),
            duration_us: micros(cx.now().saturating_duration_since(self.sent.at)),
            parse: None,
        };
        cx.event(DialogueEvent::CommandDone {
            index,
            result: result.clone(),
        });
        cx.results.commands.push(result);
    }

    /// The unfinished last line, when it is new: after the echo and after the last answer.
    fn new_last_line(&self, cx: &Context) -> Option<String> {
        let (start, line) = cx.received.last_line()?;
        (start >= self.output_start.max(self.question_after)).then_some(line)
    }

    /// The user's next answer to this show command, when the new last line matches it (answers
    /// are given in order, each used once).
    fn user_answer(&self, cx: &Context) -> Option<String> {
        let Purpose::Show(index) = self.sent.purpose else {
            return None;
        };
        let answer = cx.plan.answers.get(index)?.get(self.questions)?;
        let line = self.new_last_line(cx)?;
        answer.prompt.is_match(&line).then(|| answer.reply.clone())
    }

    /// The question a show command's reply stopped at (the profile's question patterns on the
    /// new last line), masked for quoting; only the user answers those.
    fn unanswered_question(&self, cx: &Context) -> Option<String> {
        if !matches!(self.sent.purpose, Purpose::Show(_)) {
            return None;
        }
        let line = self.new_last_line(cx)?;
        cx.profile
            .questions
            .iter()
            .any(|q| q.is_match(&line))
            .then(|| cx.masked(&line))
    }

    /// The answer, when the save or commit asks a question: a new last line after the echo
    /// (and after the last answer) matching one of its questions.
    fn question_asked(&self, cx: &Context) -> Option<&'static str> {
        if self.questions >= MAX_QUESTIONS {
            return None;
        }
        let questions: &[Question] = match (self.sent.purpose, &cx.profile.save) {
            (Purpose::Save, Save::Command(save)) => &save.questions,
            (Purpose::Commit, _) => cx
                .profile
                .config
                .commit
                .as_ref()
                .map_or(&[], |c| &c.questions),
            _ => return None,
        };
        let line = self.new_last_line(cx)?;
        questions
            .iter()
            .find(|q| q.pattern.is_match(&line))
            .map(|q| q.answer)
    }
}

/// A command's complete reply.
pub(super) struct Answer {
    sent: Sent,
    /// The raw bytes after the echo, up to and including the prompt line.
    reply: Vec<u8>,
    /// Where the prompt line starts in `reply`: the output is what comes before.
    output_len: usize,
    /// When the prompt ending it was seen.
    at: Instant,
}

/// The last reply, until the next echo (or the close) confirms where it ended.
pub(super) enum Pending {
    /// A show command's result: bytes before the next echo are the rest of its output.
    Show(Box<PendingShow>),
    /// A running-config read for `--diff`, completed likewise.
    Snapshot {
        snapshot: Snapshot,
        /// The raw reply, the line taken for the prompt included.
        reply: Vec<u8>,
        output_len: usize,
    },
    /// A config line or save, recorded already: bytes before the next echo fail the host.
    Judged { described: String },
}

/// A show command's result held until the next echo confirms where its output ends.
pub(super) struct PendingShow {
    index: usize,
    result: CommandResult,
    /// The raw reply, the line taken for the prompt included: if output follows, that line was
    /// output too.
    reply: Vec<u8>,
    sent_at: Instant,
}

impl Answer {
    /// Put the reply where its purpose says, stamped; a rejected config line may end the push,
    /// which drops steps.
    pub(super) fn record(self, cx: &mut Context, steps: &mut VecDeque<Step>) {
        let (output, output_bytes) = cx.output_of(&self.reply[..self.output_len]);
        let ok = !cx.profile.rejects(&output);
        let duration_us = micros(self.at.saturating_duration_since(self.sent.at));
        let described = self.sent.describe();
        let Sent {
            shown: command,
            purpose,
            prompt,
            at,
            ..
        } = self.sent;
        match purpose {
            Purpose::Setup => {}
            Purpose::Show(index) => {
                let result = CommandResult {
                    ok,
                    command,
                    prompt,
                    output,
                    output_bytes,
                    start_us: cx.since_epoch(at),
                    duration_us,
                    parse: None,
                };
                cx.pending = Some(Pending::Show(Box::new(PendingShow {
                    index,
                    result,
                    reply: self.reply,
                    sent_at: at,
                })));
            }
            Purpose::ConfigLine(index) => {
                let result = ConfigLineResult {
                    line: command,
                    prompt,
                    reply: output,
                    ok,
                    duration_us,
                };
                config::record_line(cx, steps, index, result);
                cx.pending = Some(Pending::Judged { described });
            }
            Purpose::ReadConfig(snapshot) => {
                cx.pending = Some(Pending::Snapshot {
                    snapshot,
                    reply: self.reply,
                    output_len: self.output_len,
                });
            }
            Purpose::Save => {
                let success = match &cx.profile.save {
                    Save::Command(save) => save.success,
                    Save::ByCommit | Save::Nothing => "",
                };
                let result = SaveResult {
                    ok: ok && output.contains(success),
                    command,
                    reply: output,
                };
                config::record_save(cx, result);
                cx.pending = Some(Pending::Judged { described });
            }
            Purpose::Commit => {
                config::record_commit(cx, steps, command, output);
                cx.pending = Some(Pending::Judged { described });
            }
            Purpose::Discard => {
                let result = SaveResult {
                    ok,
                    command,
                    reply: output,
                };
                config::record_discard(cx, result);
            }
        }
    }
}

/// Settle the reply held for confirmation: the received bytes before `end` (where the next echo
/// line starts, or the close) are the rest of it when they hold anything but line ends. A show
/// result or a running-config read takes them in; a config line or save, already judged, fails
/// the host instead of being judged on half its reply.
pub(super) fn settle_pending(cx: &mut Context, end: usize) -> Result<(), Failure> {
    let Some(pending) = cx.pending.take() else {
        return Ok(());
    };
    let rest = &cx.received.bytes()[..end.min(cx.received.bytes().len())];
    let rest = rest
        .iter()
        .any(|b| !b.is_ascii_whitespace() && *b != 0)
        .then(|| rest.to_vec());
    match (pending, rest) {
        (Pending::Show(show), rest) => settle_show(cx, *show, rest.as_deref()),
        (
            Pending::Snapshot {
                snapshot,
                reply,
                output_len,
            },
            rest,
        ) => {
            let output = match rest {
                Some(rest) => cx.output_of(&[reply.as_slice(), &rest].concat()).0,
                None => cx.output_of(&reply[..output_len]).0,
            };
            config::record_snapshot(cx, snapshot, &output);
        }
        (Pending::Judged { described }, Some(rest)) => {
            return Err(Failure::new(
                ErrorKind::Protocol,
                format!(
                    "output after the prompt that ended {described} (its reply held a line like \
                     the prompt, so it was judged on part of it): \"{}\"",
                    quote(&cx.output_of(&rest).0)
                ),
            ));
        }
        (Pending::Judged { .. }, None) => {}
    }
    Ok(())
}

/// Record a held show result, completed by `rest` (bytes that followed the prompt match).
fn settle_show(cx: &mut Context, show: PendingShow, rest: Option<&[u8]>) {
    let PendingShow {
        index,
        mut result,
        mut reply,
        sent_at,
    } = show;
    if let Some(rest) = rest {
        reply.extend_from_slice(rest);
        (result.output, result.output_bytes) = cx.output_of(&reply);
        result.ok = !cx.profile.rejects(&result.output);
        result.duration_us = micros(cx.now().saturating_duration_since(sent_at));
    }
    cx.event(DialogueEvent::CommandDone {
        index,
        result: result.clone(),
    });
    cx.results.commands.push(result);
}

/// At most 120 characters of `text`, line ends escaped, for a failure message.
fn quote(text: &str) -> String {
    text.chars()
        .take(120)
        .collect::<String>()
        .escape_debug()
        .to_string()
}

/// Where a command's echo was found in the received bytes.
pub(super) struct Echo {
    /// Where the line holding the echo starts (after the prompt's line end, if any).
    pub(super) line_start: usize,
    /// Where the output starts: just after the echo line.
    pub(super) output_start: usize,
}

/// The line echoing `command`, searched from `scan_from`. `Err` gives where to resume the
/// search when more bytes arrive.
pub(super) fn find_echo(
    received: &Received,
    command: &str,
    scan_from: usize,
) -> Result<Echo, usize> {
    let echo = command.lines().next().unwrap_or("").as_bytes();
    let bytes = received.bytes();
    let Some(at) = find(&bytes[scan_from..], echo).map(|p| scan_from + p) else {
        return Err(bytes.len().saturating_sub(echo.len()));
    };
    let line_start = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    match bytes[at + echo.len()..].iter().position(|&b| b == b'\n') {
        Some(nl) => Ok(Echo {
            line_start,
            output_start: at + echo.len() + nl + 1,
        }),
        None => Err(at),
    }
}
