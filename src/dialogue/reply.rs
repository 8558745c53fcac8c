//! A command's reply: first its echo (so output that merely looks like a prompt, before the
//! command was even echoed, never ends it), then the device's prompt at the end of what was
//! received, with a save's questions answered on the way; then what the reply means, by the
//! command's purpose, stamped with when it was sent and answered.
//!
//! A line of output equal to the prompt that ends exactly at a read boundary looks like the
//! prompt. So a show command's result is held (`PendingShow`) until the next echo (or the exit's
//! echo, or the close) confirms where its output ends: bytes between the prompt match and the
//! next echo line are the rest of that output, never the next command's.

use std::collections::VecDeque;
use std::time::Instant;

use super::config;
use super::context::{micros, Context};
use super::machine::{Awaiting, Next};
use super::plan::{Purpose, Step};
use super::received::{find, Received};
use super::text::is_failed;
use super::{DialogueEvent, SaveResult};
use crate::job::{CommandResult, ConfigLineResult};

/// How many questions one save may ask (`Destination filename [startup-config]?`, `[confirm]`).
const MAX_SAVE_QUESTIONS: usize = 3;

/// A command on its way: what was sent, why, at which prompt and when.
pub(super) struct Sent {
    command: String,
    purpose: Purpose,
    prompt: String,
    at: Instant,
}

impl Sent {
    /// The config line's index and text, when this is a config line.
    fn config_line(&self) -> Option<(usize, String)> {
        match self.purpose {
            Purpose::ConfigLine(index) => Some((index, self.command.clone())),
            _ => None,
        }
    }

    /// `'show version'`, or `config line 'logging 10.5.5.5'`, for failure messages.
    fn describe(&self) -> String {
        match self.purpose {
            Purpose::ConfigLine(_) => format!("config line '{}'", self.command),
            _ => format!("'{}'", self.command),
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
        match purpose {
            Purpose::Show(index) => cx.event(DialogueEvent::CommandSent {
                index,
                command: command.clone(),
            }),
            Purpose::ConfigLine(index) => cx.event(DialogueEvent::ConfigLineSent {
                index,
                line: command.clone(),
            }),
            Purpose::Setup | Purpose::ReadConfig(_) | Purpose::Save => {}
        }
        let sent = Sent {
            command,
            purpose,
            prompt: cx.prompt.clone(),
            at: cx.now(),
        };
        Next::Wait(Awaiting::Echo(AwaitEcho { sent, scan_from: 0 }))
    }

    pub(super) fn on_input(self, cx: &mut Context) -> Next {
        match find_echo(&cx.received, &self.sent.command, self.scan_from) {
            Ok(Echo {
                line_start,
                output_start,
            }) => {
                settle_pending_show(cx, line_start);
                AwaitPrompt {
                    sent: self.sent,
                    output_start,
                    question_after: 0,
                    questions: 0,
                }
                .on_input(cx)
            }
            Err(scan_from) => Next::Wait(Awaiting::Echo(AwaitEcho { scan_from, ..self })),
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
    /// A save question is answered only on a line starting here or later (after the last
    /// answer), so one question is never answered twice.
    question_after: usize,
    questions: usize,
}

impl AwaitPrompt {
    pub(super) fn on_input(self, cx: &mut Context) -> Next {
        if self.save_question_asked(cx) {
            let answered_at = cx.received.bytes().len();
            cx.send_line("");
            return Next::Wait(Awaiting::Prompt(AwaitPrompt {
                question_after: answered_at,
                questions: self.questions + 1,
                ..self
            }));
        }
        // A config line may rename the device (`hostname R2`): its next prompt is then a config
        // prompt with a new base, learned from it.
        let new_base_allowed = matches!(self.sent.purpose, Purpose::ConfigLine(_));
        let Some((prompt_start, prompt, level)) =
            cx.prompt_line_at_tail(self.output_start, new_base_allowed)
        else {
            return Next::Wait(Awaiting::Prompt(self));
        };
        let reply = cx.received.bytes()[self.output_start..].to_vec();
        if new_base_allowed {
            cx.learn_base_prompt(&prompt);
        }
        cx.reached_prompt(prompt, level);
        Next::Replied(Answer {
            sent: self.sent,
            output_len: prompt_start - self.output_start,
            reply,
            at: cx.now(),
        })
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
            command: self.sent.command.clone(),
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

    /// The save asks a question: a new last line after the echo (and after the last answer)
    /// matching the profile's `confirm`, answered with Enter (the default).
    fn save_question_asked(&self, cx: &Context) -> bool {
        if self.sent.purpose != Purpose::Save || self.questions >= MAX_SAVE_QUESTIONS {
            return false;
        }
        let Some(confirm) = cx.profile.save.as_ref().and_then(|s| s.confirm.as_ref()) else {
            return false;
        };
        cx.received.last_line().is_some_and(|(start, line)| {
            start >= self.output_start.max(self.question_after) && confirm.is_match(&line)
        })
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
        let ok = !is_failed(&output, cx.profile.failed_when_contains);
        let duration_us = micros(self.at.saturating_duration_since(self.sent.at));
        let Sent {
            command,
            purpose,
            prompt,
            at,
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
                cx.pending_show = Some(PendingShow {
                    index,
                    result,
                    reply: self.reply,
                    sent_at: at,
                });
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
            }
            Purpose::ReadConfig(snapshot) => config::record_snapshot(cx, snapshot, &output),
            Purpose::Save => {
                let success = cx.profile.save.as_ref().map_or("", |s| s.success);
                let result = SaveResult {
                    ok: ok && output.contains(success),
                    command,
                    reply: output,
                };
                config::record_save(cx, result);
            }
        }
    }
}

/// Record the show command held for confirmation: the received bytes before `end` (where the
/// next echo line starts, or the close) are the rest of its output when they hold anything but
/// line ends, and it then ends at `cx.now()`.
pub(super) fn settle_pending_show(cx: &mut Context, end: usize) {
    let Some(PendingShow {
        index,
        mut result,
        mut reply,
        sent_at,
    }) = cx.pending_show.take()
    else {
        return;
    };
    let rest = &cx.received.bytes()[..end];
    if rest.iter().any(|b| !b.is_ascii_whitespace() && *b != 0) {
        reply.extend_from_slice(rest);
        (result.output, result.output_bytes) = cx.output_of(&reply);
        result.ok = !is_failed(&result.output, cx.profile.failed_when_contains);
        result.duration_us = micros(cx.now().saturating_duration_since(sent_at));
    }
    cx.event(DialogueEvent::CommandDone {
        index,
        result: result.clone(),
    });
    cx.results.commands.push(result);
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
