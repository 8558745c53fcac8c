//! The `Dialogue` state machine: a list of steps (log in, reach the command level, turn paging
//! off, run each command, exit) worked through one reply at a time.
//!
//! Each step sends at most one line and then waits for something at the END of what was received:
//! a login prompt, a password prompt or a device prompt. Nothing is sent speculatively, so a prompt
//! at the tail always answers the last thing sent; commands additionally sync on their echo so
//! output that merely looks like a prompt earlier in the stream never ends a command.

use std::collections::VecDeque;

use super::platform::{PrivilegeLevel, Profile};
use super::received::{find, Received};
use super::text::{clean_output, is_failed};
use super::{Action, DialogueEvent, Plan, Results};
use crate::job::{CommandResult, ErrorKind, Failure};

/// How many level changes one step may try before giving up (e.g. `end` then `exit` × n).
const MAX_LEVEL_MOVES: usize = 6;

/// One step of the conversation, planned up front.
#[derive(Debug, Clone)]
enum Step {
    /// Wait for the first prompt, answering Telnet login prompts on the way.
    Login,
    /// Escalate or de-escalate until the prompt is at this privilege level.
    ReachLevel {
        level: &'static str,
        announce_login: bool,
    },
    /// Send a command and read its output up to the next prompt.
    Command { text: String, purpose: Purpose },
    /// Send the exit command and finish without waiting.
    Exit,
}

/// Why a command is sent, which decides what becomes of its output.
#[derive(Debug, Clone, Copy)]
enum Purpose {
    /// Set-up (paging off): the reply is read and dropped.
    Setup,
    /// Command number `n` of the plan: its result is reported.
    Show(usize),
}

/// What the current step is waiting for.
#[derive(Debug)]
enum Awaiting {
    /// The current step has not started (or the previous one just finished).
    Nothing,
    FirstPrompt {
        username_sent: bool,
        password_sent: bool,
    },
    Level {
        target: &'static str,
        announce_login: bool,
        last_sent: &'static str,
        password_sent: bool,
        moves: usize,
    },
    Reply {
        command: String,
        purpose: Purpose,
        /// Where the output starts (after the echo line), once the echo was seen.
        echo_end: Option<usize>,
        /// Where to resume looking for the echo.
        echo_scan: usize,
    },
}

#[derive(Debug)]
enum State {
    Running,
    Done,
    Failed(Failure),
}

/// A sans-IO conversation with one device; see the module docs of `dialogue` for the pump loop.
#[derive(Debug)]
pub struct Dialogue {
    profile: &'static Profile,
    plan: Plan,
    steps: VecDeque<Step>,
    awaiting: Awaiting,
    received: Received,
    pending: VecDeque<Action>,
    state: State,
    /// Stable part of the prompt (the hostname), learned at the first prompt.
    base_prompt: Option<String>,
    /// The prompt currently shown, e.g. `R1#`.
    prompt: String,
    level: &'static str,
    results: Results,
}

impl Dialogue {
    pub fn new(profile: &'static Profile, plan: Plan) -> Dialogue {
        let mut steps = VecDeque::from([
            Step::Login,
            Step::ReachLevel {
                level: profile.default_level,
                announce_login: true,
            },
        ]);
        steps.extend(profile.paging_off.iter().map(|c| Step::Command {
            text: c.to_string(),
            purpose: Purpose::Setup,
        }));
        steps.extend(
            plan.commands
                .iter()
                .enumerate()
                .map(|(i, c)| Step::Command {
                    text: c.trim_end().to_string(),
                    purpose: Purpose::Show(i),
                }),
        );
        steps.push_back(Step::Exit);
        Dialogue {
            profile,
            plan,
            steps,
            awaiting: Awaiting::Nothing,
            received: Received::default(),
            pending: VecDeque::new(),
            state: State::Running,
            base_prompt: None,
            prompt: String::new(),
            level: "",
            results: Results::default(),
        }
    }

    /// What the driver must do next.
    pub fn poll_action(&mut self) -> Action {
        loop {
            if let Some(action) = self.pending.pop_front() {
                return action;
            }
            match &self.state {
                State::Done => return Action::Done,
                State::Failed(failure) => return Action::Failed(failure.clone()),
                State::Running => {}
            }
            if !matches!(self.awaiting, Awaiting::Nothing) {
                return Action::Receive;
            }
            self.start_next_step();
        }
    }

    /// Bytes from the device, split anywhere.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if !matches!(self.state, State::Running) {
            return;
        }
        self.received.push(bytes);
        if let Some(pager) = &self.profile.more_pattern {
            if self.received.cut_pager_prompt(pager) {
                self.pending.push_back(Action::Send(b" ".to_vec()));
                return;
            }
        }
        match self.awaiting {
            Awaiting::Nothing => {}
            Awaiting::FirstPrompt { .. } => self.progress_login(),
            Awaiting::Level { .. } => self.progress_level(),
            Awaiting::Reply { .. } => self.progress_reply(),
        }
    }

    /// The device closed the connection.
    pub fn handle_eof(&mut self) {
        if !matches!(self.state, State::Running) {
            return;
        }
        let failure = match self.login_rejection() {
            Some(message) => Failure::new(ErrorKind::Auth, message),
            None => Failure::new(
                ErrorKind::Closed,
                format!("connection closed: {}", self.awaited_with_context()),
            ),
        };
        self.fail(failure);
    }

    /// The failure for an expired deadline: what was awaited and the last bytes seen.
    pub fn timeout_failure(&self) -> Failure {
        Failure::new(ErrorKind::Timeout, self.awaited_with_context())
    }

    pub fn into_results(self) -> Results {
        self.results
    }

    fn start_next_step(&mut self) {
        let Some(step) = self.steps.pop_front() else {
            self.state = State::Done;
            return;
        };
        match step {
            Step::Login => {
                self.awaiting = Awaiting::FirstPrompt {
                    username_sent: false,
                    password_sent: false,
                }
            }
            Step::ReachLevel {
                level,
                announce_login,
            } => self.start_reach_level(level, announce_login),
            Step::Command { text, purpose } => {
                self.send_line(&text);
                if let Purpose::Show(index) = purpose {
                    self.event(DialogueEvent::CommandSent {
                        index,
                        command: text.clone(),
                    });
                }
                self.awaiting = Awaiting::Reply {
                    command: text,
                    purpose,
                    echo_end: None,
                    echo_scan: 0,
                };
            }
            Step::Exit => {
                self.send_line(self.profile.exit_command);
                self.state = State::Done;
            }
        }
    }

    fn start_reach_level(&mut self, target: &'static str, announce_login: bool) {
        self.awaiting = Awaiting::Level {
            target,
            announce_login,
            last_sent: "",
            password_sent: false,
            moves: 0,
        };
        self.move_towards_level();
    }

    // ---- login ----

    fn progress_login(&mut self) {
        let Awaiting::FirstPrompt {
            username_sent,
            password_sent,
        } = self.awaiting
        else {
            return;
        };
        if let Some(message) = self.login_rejection() {
            return self.fail(Failure::new(ErrorKind::Auth, message));
        }
        let Some((_, line)) = self.received.last_line() else {
            return;
        };
        if self.profile.username_prompt.is_match(&line) {
            self.answer_login_prompt(username_sent, "Username", |(user, _)| user.clone());
            if let Awaiting::FirstPrompt { username_sent, .. } = &mut self.awaiting {
                *username_sent = true;
            }
        } else if self.profile.password_prompt.is_match(&line) {
            self.answer_login_prompt(password_sent, "Password", |(_, pass)| {
                pass.expose().to_string()
            });
            if let Awaiting::FirstPrompt { password_sent, .. } = &mut self.awaiting {
                *password_sent = true;
            }
        } else if let Some(level) = self.profile.level_of(line.trim_start()) {
            let prompt = line.trim().to_string();
            self.base_prompt = self
                .profile
                .base_prompt
                .captures(&prompt)
                .map(|c| c[1].to_string());
            self.reached_prompt(prompt, level);
        }
    }

    /// Answer a `Username:`/`Password:` prompt from the plan's credentials, once.
    fn answer_login_prompt(
        &mut self,
        already_answered: bool,
        what: &str,
        value: impl Fn(&(String, crate::job::Secret)) -> String,
    ) {
        if already_answered {
            return self.fail(Failure::new(
                ErrorKind::Auth,
                format!("login rejected: the device asked for the {what} again"),
            ));
        }
        let Some(login) = &self.plan.login else {
            return self.fail(Failure::new(
                ErrorKind::Auth,
                format!("the device asks for a {what} but the session has no login credentials"),
            ));
        };
        let answer = value(login);
        self.received.clear();
        self.send_line(&answer);
    }

    /// The device's rejection line, if it rejected the login credentials we sent.
    fn login_rejection(&self) -> Option<String> {
        match self.awaiting {
            Awaiting::FirstPrompt {
                username_sent,
                password_sent,
            } if username_sent || password_sent => self
                .received
                .find_line_near_end(self.profile.login_failed)
                .map(|line| format!("login rejected: {line}")),
            _ => None,
        }
    }

    // ---- privilege levels ----

    fn progress_level(&mut self) {
        let Awaiting::Level {
            password_sent,
            last_sent,
            ..
        } = self.awaiting
        else {
            return;
        };
        if let Some((_, line)) = self.received.last_line() {
            if self.profile.password_prompt.is_match(&line) {
                return self.answer_escalation_password(password_sent, last_sent);
            }
        }
        let Some((prompt, level)) = self.prompt_at_tail(0) else {
            return;
        };
        if password_sent && level.name != self.level_target() {
            return self.fail(self.escalation_rejected());
        }
        self.reached_prompt(prompt, level);
    }

    fn answer_escalation_password(&mut self, password_sent: bool, last_sent: &str) {
        if password_sent {
            return self.fail(self.escalation_rejected());
        }
        let Some(secret) = &self.plan.enable_secret else {
            return self.fail(Failure::new(
                ErrorKind::Auth,
                format!("'{last_sent}' asks for a password but no enable secret was given"),
            ));
        };
        let secret = secret.expose().to_string();
        self.received.clear();
        self.send_line(&secret);
        if let Awaiting::Level { password_sent, .. } = &mut self.awaiting {
            *password_sent = true;
        }
    }

    fn escalation_rejected(&self) -> Failure {
        let message = match self
            .received
            .find_line_near_end(self.profile.escalate_failed)
        {
            Some(line) => format!("enable secret rejected: {line}"),
            None => "enable secret rejected".to_string(),
        };
        Failure::new(ErrorKind::Auth, message)
    }

    fn level_target(&self) -> &'static str {
        match self.awaiting {
            Awaiting::Level { target, .. } => target,
            _ => self.level,
        }
    }

    /// At `self.level`, heading for the awaited target: finish the step or send the next move.
    fn move_towards_level(&mut self) {
        let Awaiting::Level {
            target,
            announce_login,
            moves,
            ..
        } = self.awaiting
        else {
            return;
        };
        if self.level == target {
            if announce_login {
                self.results.prompt = self.prompt.clone();
                self.event(DialogueEvent::LoggedIn {
                    prompt: self.prompt.clone(),
                });
            }
            self.awaiting = Awaiting::Nothing;
            return;
        }
        if moves >= MAX_LEVEL_MOVES {
            return self.fail(Failure::new(
                ErrorKind::Protocol,
                format!(
                    "could not reach the {target} level from prompt '{}'",
                    self.prompt
                ),
            ));
        }
        let command = match self.next_move(target, moves) {
            Ok(command) => command,
            Err(failure) => return self.fail(failure),
        };
        self.send_line(command);
        if let Awaiting::Level {
            last_sent,
            password_sent,
            moves,
            ..
        } = &mut self.awaiting
        {
            *last_sent = command;
            *password_sent = false;
            *moves += 1;
        }
    }

    /// The command that moves one level from the current level towards `target`.
    fn next_move(&self, target: &str, moves: usize) -> Result<&'static str, Failure> {
        let levels = &self.profile.privilege_levels;
        let position = |name: &str| levels.iter().position(|l| l.name == name);
        let (Some(here), Some(there)) = (position(self.level), position(target)) else {
            return Err(Failure::new(
                ErrorKind::Protocol,
                format!(
                    "no privilege level '{target}' in profile {}",
                    self.profile.name
                ),
            ));
        };
        if here > there {
            let current = &levels[here];
            let leave_config = current.name == self.profile.config.level && moves > 0;
            return Ok(if leave_config {
                self.profile.config.leave_fallback
            } else {
                current.deescalate
            });
        }
        let up = levels
            .iter()
            .find(|l| l.previous == Some(self.level))
            .filter(|l| !l.escalate.is_empty());
        match up {
            Some(level) if level.escalate_auth && self.plan.enable_secret.is_none() => {
                Err(Failure::new(
                    ErrorKind::Auth,
                    format!(
                        "prompt '{}' is unprivileged and no enable secret was given",
                        self.prompt
                    ),
                ))
            }
            Some(level) => Ok(level.escalate),
            None => Err(Failure::new(
                ErrorKind::Protocol,
                format!(
                    "no way up from prompt '{}' in profile {}",
                    self.prompt, self.profile.name
                ),
            )),
        }
    }

    /// A prompt was seen at the tail: note it and let the current step go on.
    fn reached_prompt(&mut self, prompt: String, level: &'static PrivilegeLevel) {
        self.received.clear();
        self.prompt = prompt;
        self.level = level.name;
        match self.awaiting {
            Awaiting::FirstPrompt { .. } => self.awaiting = Awaiting::Nothing,
            Awaiting::Level { .. } => self.move_towards_level(),
            Awaiting::Reply { .. } | Awaiting::Nothing => {}
        }
    }

    // ---- commands ----

    fn progress_reply(&mut self) {
        let Awaiting::Reply {
            ref command,
            echo_end,
            echo_scan,
            purpose,
        } = self.awaiting
        else {
            return;
        };
        let command = command.clone();
        let echo_end = match echo_end {
            Some(end) => end,
            None => match self.find_echo(&command, echo_scan) {
                Ok(end) => end,
                Err(scan) => {
                    if let Awaiting::Reply { echo_scan, .. } = &mut self.awaiting {
                        *echo_scan = scan;
                    }
                    return;
                }
            },
        };
        if let Awaiting::Reply { echo_end: e, .. } = &mut self.awaiting {
            *e = Some(echo_end);
        }
        let Some((prompt_start, prompt, level)) = self.prompt_line_at_tail(echo_end) else {
            return;
        };
        let output = clean_output(&self.received.bytes()[echo_end..prompt_start]);
        if let Purpose::Show(index) = purpose {
            let result = CommandResult {
                ok: !is_failed(&output, self.profile.failed_when_contains),
                command,
                prompt: self.prompt.clone(),
                output,
                duration_us: 0,
            };
            self.event(DialogueEvent::CommandDone {
                index,
                result: result.clone(),
            });
            self.results.commands.push(result);
        }
        self.awaiting = Awaiting::Nothing;
        self.reached_prompt(prompt, level);
    }

    /// Where the output starts: just after the line echoing `command`. `Err` gives where to
    /// resume the search when more bytes arrive.
    fn find_echo(&self, command: &str, scan_from: usize) -> Result<usize, usize> {
        let echo = command.lines().next().unwrap_or("").as_bytes();
        let bytes = self.received.bytes();
        let Some(at) = find(&bytes[scan_from..], echo).map(|p| scan_from + p) else {
            return Err(bytes.len().saturating_sub(echo.len()));
        };
        match bytes[at + echo.len()..].iter().position(|&b| b == b'\n') {
            Some(nl) => Ok(at + echo.len() + nl + 1),
            None => Err(at),
        }
    }

    /// The prompt text and level when the last line (starting at or after `not_before`) is this
    /// device's prompt.
    fn prompt_at_tail(&self, not_before: usize) -> Option<(String, &'static PrivilegeLevel)> {
        self.prompt_line_at_tail(not_before)
            .map(|(_, prompt, level)| (prompt, level))
    }

    fn prompt_line_at_tail(
        &self,
        not_before: usize,
    ) -> Option<(usize, String, &'static PrivilegeLevel)> {
        let (start, line) = self.received.last_line()?;
        if start < not_before {
            return None;
        }
        let line = line.trim_start();
        let level = self.profile.level_of(line)?;
        if let Some(base) = &self.base_prompt {
            let rest = line.strip_prefix(base.as_str())?;
            if !self.profile.prompt_suffix.is_match(rest) {
                return None;
            }
        }
        Some((start, line.trim_end().to_string(), level))
    }

    // ---- plumbing ----

    fn send_line(&mut self, line: &str) {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.pending.push_back(Action::Send(bytes));
    }

    fn event(&mut self, event: DialogueEvent) {
        self.pending.push_back(Action::Event(event));
    }

    fn fail(&mut self, failure: Failure) {
        self.received.clear();
        self.state = State::Failed(failure);
    }

    /// What the current step waits for, e.g. `no prompt after 'show version'`.
    fn awaited(&self) -> String {
        match &self.awaiting {
            Awaiting::Nothing => "nothing pending".to_string(),
            Awaiting::FirstPrompt {
                password_sent: true,
                ..
            } => "no prompt after sending the login password".to_string(),
            Awaiting::FirstPrompt {
                username_sent: true,
                ..
            } => "no password prompt after sending the username".to_string(),
            Awaiting::FirstPrompt { .. } => "no prompt after login".to_string(),
            Awaiting::Level {
                password_sent: true,
                last_sent,
                ..
            } => format!("no prompt after the password for '{last_sent}'"),
            Awaiting::Level { last_sent, .. } => format!("no prompt after '{last_sent}'"),
            Awaiting::Reply {
                command,
                echo_end: None,
                ..
            } => format!("no echo of '{command}'"),
            Awaiting::Reply { command, .. } => format!("no prompt after '{command}'"),
        }
    }

    fn awaited_with_context(&self) -> String {
        let recent = self.received.recent_printable();
        if recent.is_empty() {
            format!("{} (nothing received)", self.awaited())
        } else {
            format!("{} (last received: \"{recent}\")", self.awaited())
        }
    }
}
