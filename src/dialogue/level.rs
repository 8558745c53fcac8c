//! Reaching a privilege level, one move at a time, as the profile's levels say (scrapli's
//! privilege levels: pattern, escalate, deescalate): `enable` and its secret going up, `end` (or
//! `exit`, repeated, where a sub-mode rejects `end`) coming down. Each move is sent only after
//! the previous one was answered by a prompt; a prompt that did not move is a refusal, quoted.
//! A question on the way down (IOS-XR's `Uncommitted changes found ...?`) is answered as the
//! level says, once per move.
//!
//! A move may change the prompt's stable part (`admin@box$` → `root@box#` after `sudo -i`), so
//! the prompt after a move is taken whatever its base, and the base is learned from it.

use super::context::{Base, Context};
use super::machine::{Awaiting, Next};
use super::plan::Level;
use super::platform::{EscalateAuth, PrivilegeLevel};
use super::reply::{find_echo, settle_pending};
use super::DialogueEvent;
use crate::job::{ErrorKind, Failure};

/// How many level changes one step may try before giving up: `end`, then `exit` up to 8 times
/// (config sub-modes nest a few deep; a device that still shows a config prompt after that is
/// not going to leave).
const MAX_LEVEL_MOVES: usize = 9;

/// Waiting for the prompt after a move towards `target`.
pub(super) struct ReachLevel {
    target: &'static str,
    /// Reaching `target` ends the login (`DialogueEvent::LoggedIn`).
    announce_login: bool,
    /// The move awaiting its answer.
    last_sent: &'static str,
    /// The enable secret was sent for `last_sent`.
    password_sent: bool,
    /// The leaving question was answered for `last_sent`.
    question_answered: bool,
    moves: usize,
}

impl ReachLevel {
    /// Head for `level` from the current prompt: done at once when it is already there.
    pub(super) fn start(cx: &mut Context, level: Level) -> Result<Next, Failure> {
        let target = match level {
            Level::Login => login_level(cx),
            Level::Command => cx.command_level,
            Level::Config => cx.profile.config.level,
        };
        ReachLevel {
            target,
            announce_login: level == Level::Login,
            last_sent: "",
            password_sent: false,
            question_answered: false,
            moves: 0,
        }
        .move_towards(cx)
    }

    pub(super) fn on_input(self, cx: &mut Context) -> Result<Next, Failure> {
        // The reply before this move (a config line's, a running-config read's) ends where the
        // move's echo begins.
        if cx.pending.is_some() && !self.last_sent.is_empty() {
            if let Ok(echo) = find_echo(&cx.received, self.last_sent, 0) {
                settle_pending(cx, echo.line_start)?;
            }
        }
        let Some((_, last_line)) = cx.received.last_line() else {
            return Ok(self.wait());
        };
        if cx.profile.password_prompt.is_match(&last_line) {
            return self.answer_password(cx);
        }
        if let Some(answer) = self.leave_question(cx, &last_line) {
            cx.received.clear();
            cx.send_line(answer);
            return Ok(ReachLevel {
                question_answered: true,
                ..self
            }
            .wait());
        }
        let Some((_, prompt, level)) = cx.prompt_line_at_tail(0, Base::Any) else {
            return Ok(self.wait());
        };
        if self.password_sent && level.name != self.target {
            return Err(escalation_rejected(cx));
        }
        if self.refused(cx, level) {
            return Err(escalation_refused(cx, self.last_sent, &prompt));
        }
        cx.learn_base_prompt(&prompt);
        cx.reached_prompt(prompt, level);
        self.move_towards(cx)
    }

    /// The answer to the question the level being left asks on `line`, unless it was answered
    /// for this move already.
    fn leave_question(&self, cx: &Context, line: &str) -> Option<&'static str> {
        if self.question_answered || self.last_sent.is_empty() {
            return None;
        }
        let question = cx.profile.level(cx.level)?.leave_question.as_ref()?;
        question.pattern.is_match(line).then_some(question.answer)
    }

    pub(super) fn awaited(&self) -> String {
        if self.password_sent {
            format!("no prompt after the password for '{}'", self.last_sent)
        } else {
            format!("no prompt after '{}'", self.last_sent)
        }
    }

    /// At `cx.level`: finish the step, or send the next move.
    fn move_towards(self, cx: &mut Context) -> Result<Next, Failure> {
        if cx.level == self.target {
            if self.announce_login {
                cx.command_level = cx.level;
                cx.results.prompt = cx.prompt.clone();
                cx.results.logged_in_at = Some(cx.now());
                cx.event(DialogueEvent::LoggedIn {
                    prompt: cx.prompt.clone(),
                });
            }
            return Ok(Next::StepDone);
        }
        if self.moves >= MAX_LEVEL_MOVES {
            return Err(Failure::new(
                ErrorKind::Protocol,
                format!(
                    "could not reach the {} level from prompt '{}'",
                    self.target, cx.prompt
                ),
            ));
        }
        let command = next_move(cx, self.target, self.moves)?;
        cx.send_line(command);
        Ok(ReachLevel {
            last_sent: command,
            password_sent: false,
            question_answered: false,
            moves: self.moves + 1,
            ..self
        }
        .wait())
    }

    fn answer_password(self, cx: &mut Context) -> Result<Next, Failure> {
        if self.password_sent {
            return Err(escalation_rejected(cx));
        }
        let Some(secret) = &cx.plan.enable_secret else {
            return Err(Failure::new(
                ErrorKind::Auth,
                format!(
                    "'{}' asks for a password but no enable secret was given",
                    self.last_sent
                ),
            ));
        };
        let secret = secret.expose().to_string();
        cx.received.clear();
        cx.send_line(&secret);
        Ok(ReachLevel {
            password_sent: true,
            ..self
        }
        .wait())
    }

    /// A move meant to go up a level (`enable`, `configure terminal`) was answered with the
    /// prompt of the level it was sent from: sending it again would not help.
    fn refused(&self, cx: &Context, now: &PrivilegeLevel) -> bool {
        let position = |name: &str| position(cx, name);
        let going_up = matches!(
            (position(cx.level), position(self.target)),
            (Some(here), Some(target)) if here < target
        );
        !self.last_sent.is_empty() && going_up && now.name == cx.level
    }

    fn wait(self) -> Next {
        Next::Wait(Awaiting::Level(self))
    }
}

/// Where the login heads: the default level, unless the first prompt is at a level the profile
/// lets a login stay at.
fn login_level(cx: &Context) -> &'static str {
    let profile = cx.profile;
    if profile.login_may_stay_at.contains(&cx.level) {
        cx.level
    } else {
        profile.default_level
    }
}

/// Where level `name` sits in the profile's list, lowest first.
fn position(cx: &Context, name: &str) -> Option<usize> {
    cx.profile
        .privilege_levels
        .iter()
        .position(|l| l.name == name)
}

/// The command that moves one level from `cx.level` towards `target`; `moves` already made.
fn next_move(cx: &Context, target: &str, moves: usize) -> Result<&'static str, Failure> {
    let levels = &cx.profile.privilege_levels;
    let (Some(here), Some(there)) = (position(cx, cx.level), position(cx, target)) else {
        return Err(Failure::new(
            ErrorKind::Protocol,
            format!(
                "no privilege level '{target}' in profile {}",
                cx.profile.name
            ),
        ));
    };
    if here > there {
        let current = &levels[here];
        let leave_config = current.name == cx.profile.config.level && moves > 0;
        return Ok(if leave_config {
            cx.profile.config.leave_fallback
        } else {
            current.deescalate
        });
    }
    let up = levels
        .iter()
        .find(|l| l.previous == Some(cx.level))
        .filter(|l| !l.escalate.is_empty());
    match up {
        Some(level)
            if level.escalate_auth == EscalateAuth::Required && cx.plan.enable_secret.is_none() =>
        {
            Err(Failure::new(
                ErrorKind::Auth,
                format!(
                    "prompt '{}' is unprivileged and no enable secret was given",
                    cx.prompt
                ),
            ))
        }
        Some(level) => Ok(level.escalate),
        None => Err(Failure::new(
            ErrorKind::Protocol,
            format!(
                "no way up from prompt '{}' in profile {}",
                cx.prompt, cx.profile.name
            ),
        )),
    }
}

/// The failure for an escalation the device answered with the same level's prompt: `Auth`
/// for a level that takes a password (`enable` with no password set, `sudo` refused), `Command`
/// otherwise
/// (`configure terminal` not allowed), quoting the device.
fn escalation_refused(cx: &Context, sent: &str, prompt: &str) -> Failure {
    let up = cx
        .profile
        .privilege_levels
        .iter()
        .find(|l| l.previous == Some(cx.level));
    if up.is_some_and(|l| l.escalate_auth != EscalateAuth::No) {
        return escalation_rejected(cx);
    }
    let reply = cx
        .received
        .find_line_near_end(cx.profile.failed_when_contains);
    Failure::new(
        ErrorKind::Command,
        format!(
            "'{sent}' was rejected at '{prompt}': {}",
            reply.as_deref().unwrap_or("the prompt did not change")
        ),
    )
}

fn escalation_rejected(cx: &Context) -> Failure {
    let message = match cx.received.find_line_near_end(cx.profile.escalate_failed) {
        Some(line) => format!("enable secret rejected: {line}"),
        None => "enable secret rejected".to_string(),
    };
    Failure::new(ErrorKind::Auth, message)
}
