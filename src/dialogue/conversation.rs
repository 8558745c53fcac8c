//! The `Dialogue` state machine: a list of steps (log in, reach the command level, turn paging
//! off, run each command, push config lines, save, exit) worked through one reply at a time.
//!
//! Each step sends at most one line and then waits for something at the END of what was received:
//! a login prompt, a password prompt or a device prompt. Nothing is sent speculatively, so a prompt
//! at the tail always answers the last thing sent; commands additionally sync on their echo so
//! output that merely looks like a prompt earlier in the stream never ends a command.
//!
//! A config push is planned up front as: (read the running-config), reach the config level, one
//! step per line, (save, where the platform saves inside config mode), reach the command level
//! again, (save), (read the running-config). A rejected line drops the remaining line and save
//! steps unless the plan says to go on; leaving config mode is never dropped.

use std::collections::VecDeque;

use super::platform::{PrivilegeLevel, Profile};
use super::received::{find, Received};
use super::text::{clean_output, drop_volatile_lines, is_failed};
use super::{
    Action, ConfigLineResult, ConfigPlan, ConfigResult, DialogueEvent, Plan, Results, SaveResult,
};
use crate::job::{CommandResult, ErrorKind, Failure};

/// How many level changes one step may try before giving up: `end`, then `exit` up to 8 times
/// (config sub-modes nest a few deep; a device that still shows a config prompt after that is
/// not going to leave).
const MAX_LEVEL_MOVES: usize = 9;
/// How many questions one save may ask (`Destination filename [startup-config]?`, `[confirm]`).
const MAX_SAVE_QUESTIONS: usize = 3;

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
    /// Run the profile's save command (or record that it has none).
    Save,
    /// Send the exit command and finish without waiting.
    Exit,
}

/// Why a command is sent, which decides what becomes of its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Set-up (paging off): the reply is read and dropped.
    Setup,
    /// Command number `n` of the plan: its result is reported.
    Show(usize),
    /// Config line number `n` of the plan: accepted or rejected.
    ConfigLine(usize),
    /// The running-config read for a diff.
    ReadConfig(Snapshot),
    /// The save command: its questions are answered and its reply checked.
    Save,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Snapshot {
    Before,
    After,
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
        /// A save question is answered only on a line starting here or later (after the last
        /// answer), so one question is never answered twice.
        question_after: usize,
        questions: usize,
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
        if let Some(config) = &plan.config {
            steps.extend(config_steps(profile, config));
        }
        steps.push_back(Step::Exit);
        let results = Results {
            config: plan.config.as_ref().map(|_| Box::default()),
            ..Results::default()
        };
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
            results,
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
            Step::Command { text, purpose } => self.start_command(text, purpose),
            Step::Save => match &self.profile.save {
                Some(save) => self.start_command(save.command.to_string(), Purpose::Save),
                None => {
                    let result = SaveResult {
                        command: String::new(),
                        reply: format!("the {} profile has no save command", self.profile.name),
                        ok: false,
                    };
                    self.record_save(result);
                }
            },
            Step::Exit => {
                if let Some(config) = &mut self.results.config {
                    config.final_prompt = self.prompt.clone();
                }
                self.send_line(self.profile.exit_command);
                self.state = State::Done;
            }
        }
    }

    fn start_command(&mut self, text: String, purpose: Purpose) {
        self.send_line(&text);
        match purpose {
            Purpose::Show(index) => self.event(DialogueEvent::CommandSent {
                index,
                command: text.clone(),
            }),
            Purpose::ConfigLine(index) => self.event(DialogueEvent::ConfigLineSent {
                index,
                line: text.clone(),
            }),
            Purpose::Setup | Purpose::ReadConfig(_) | Purpose::Save => {}
        }
        self.awaiting = Awaiting::Reply {
            command: text,
            purpose,
            echo_end: None,
            echo_scan: 0,
            question_after: 0,
            questions: 0,
        };
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
            self.learn_base_prompt(&prompt);
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
        if !last_sent.is_empty() && self.rejected_escalation(level) {
            return self.fail(self.escalation_refused(last_sent, &prompt));
        }
        self.reached_prompt(prompt, level);
    }

    /// The failure for an escalation the device answered with the same level's prompt: `Auth`
    /// for a password-protected level (`enable` with no password set), `Command` otherwise
    /// (`configure terminal` not allowed), quoting the device.
    fn escalation_refused(&self, sent: &str, prompt: &str) -> Failure {
        let up = self
            .profile
            .privilege_levels
            .iter()
            .find(|l| l.previous == Some(self.level));
        if up.is_some_and(|l| l.escalate_auth) {
            return self.escalation_rejected();
        }
        let reply = self
            .received
            .find_line_near_end(self.profile.failed_when_contains);
        Failure::new(
            ErrorKind::Command,
            format!(
                "'{sent}' was rejected at '{prompt}': {}",
                reply.as_deref().unwrap_or("the prompt did not change")
            ),
        )
    }

    /// After a command meant to go up a level (`enable`, `configure terminal`), the prompt is
    /// back at the level it was sent from: sending it again would not help.
    fn rejected_escalation(&self, now: &PrivilegeLevel) -> bool {
        let levels = &self.profile.privilege_levels;
        let position = |name: &str| levels.iter().position(|l| l.name == name);
        let (here, target) = (position(self.level), position(self.level_target()));
        matches!((here, target), (Some(h), Some(t)) if h < t) && now.name == self.level
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
            ..
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
        if purpose == Purpose::Save && self.answer_save_question(echo_end) {
            return;
        }
        // A config line may rename the device (`hostname R2`): its next prompt is then a config
        // prompt with a new base, learned from it.
        let new_base_allowed = matches!(purpose, Purpose::ConfigLine(_));
        let Some((prompt_start, prompt, level)) =
            self.prompt_line_at_tail(echo_end, new_base_allowed)
        else {
            return;
        };
        let output = clean_output(&self.received.bytes()[echo_end..prompt_start]);
        self.finish_reply(purpose, command, output);
        if new_base_allowed {
            self.learn_base_prompt(&prompt);
        }
        self.awaiting = Awaiting::Nothing;
        self.reached_prompt(prompt, level);
    }

    /// Report a command's output as its purpose says; `self.prompt` is still the prompt it was
    /// sent at.
    fn finish_reply(&mut self, purpose: Purpose, command: String, output: String) {
        let ok = !is_failed(&output, self.profile.failed_when_contains);
        match purpose {
            Purpose::Setup => {}
            Purpose::Show(index) => {
                let result = CommandResult {
                    ok,
                    command,
                    prompt: self.prompt.clone(),
                    output,
                    start_us: 0,
                    duration_us: 0,
                };
                self.event(DialogueEvent::CommandDone {
                    index,
                    result: result.clone(),
                });
                self.results.commands.push(result);
            }
            Purpose::ConfigLine(index) => {
                let result = ConfigLineResult {
                    line: command,
                    prompt: self.prompt.clone(),
                    reply: output,
                    ok,
                    duration_us: 0,
                };
                self.record_config_line(index, result);
            }
            Purpose::ReadConfig(snapshot) => {
                let text = drop_volatile_lines(&output, self.profile.volatile_config_lines);
                let config = self.config_results();
                match snapshot {
                    Snapshot::Before => config.before = Some(text),
                    Snapshot::After => config.after = Some(text),
                }
            }
            Purpose::Save => {
                let success = self.profile.save.as_ref().map_or("", |s| s.success);
                let result = SaveResult {
                    ok: ok && output.contains(success),
                    command,
                    reply: output,
                };
                self.record_save(result);
            }
        }
    }

    fn record_config_line(&mut self, index: usize, result: ConfigLineResult) {
        self.event(DialogueEvent::ConfigLineDone {
            index,
            result: result.clone(),
        });
        let rejected = !result.ok;
        let config = self.config_results();
        config.lines.push(result);
        if !rejected || config.failed_line.is_some() {
            return;
        }
        config.failed_line = Some(index);
        let go_on = self
            .plan
            .config
            .as_ref()
            .is_some_and(|c| c.continue_on_error);
        if !go_on {
            self.stop_pushing();
        }
    }

    /// After a rejected line: drop the lines not yet sent and the save; leaving config mode and
    /// the after-read stay.
    fn stop_pushing(&mut self) {
        let mut skipped = Vec::new();
        self.steps.retain(|step| match step {
            Step::Command {
                text,
                purpose: Purpose::ConfigLine(_),
            } => {
                skipped.push(text.clone());
                false
            }
            Step::Save => false,
            _ => true,
        });
        self.config_results().skipped = skipped;
    }

    fn record_save(&mut self, result: SaveResult) {
        self.event(DialogueEvent::Saved {
            result: result.clone(),
        });
        self.config_results().save = Some(result);
    }

    fn config_results(&mut self) -> &mut ConfigResult {
        self.results.config.get_or_insert_with(Box::default)
    }

    /// If the save asks a question (a new last line after the echo matching the profile's
    /// `confirm`), answer it with Enter (the default). Returns whether it answered.
    fn answer_save_question(&mut self, echo_end: usize) -> bool {
        let Awaiting::Reply {
            question_after,
            questions,
            ..
        } = self.awaiting
        else {
            return false;
        };
        let Some(confirm) = self.profile.save.as_ref().and_then(|s| s.confirm.as_ref()) else {
            return false;
        };
        let Some((start, line)) = self.received.last_line() else {
            return false;
        };
        let asked = start >= echo_end.max(question_after) && confirm.is_match(&line);
        if !asked || questions >= MAX_SAVE_QUESTIONS {
            return false;
        }
        let answered_at = self.received.bytes().len();
        self.send_line("");
        if let Awaiting::Reply {
            question_after,
            questions,
            ..
        } = &mut self.awaiting
        {
            *question_after = answered_at;
            *questions += 1;
        }
        true
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
        self.prompt_line_at_tail(not_before, false)
            .map(|(_, prompt, level)| (prompt, level))
    }

    /// Like `prompt_at_tail`, with where the prompt line starts. With `new_base_allowed`, a
    /// config-level prompt counts whatever its base (the hostname may just have changed).
    fn prompt_line_at_tail(
        &self,
        not_before: usize,
        new_base_allowed: bool,
    ) -> Option<(usize, String, &'static PrivilegeLevel)> {
        let (start, line) = self.received.last_line()?;
        if start < not_before {
            return None;
        }
        let line = line.trim_start();
        let level = self.profile.level_of(line)?;
        let any_base = new_base_allowed && level.name == self.profile.config.level;
        if let (Some(base), false) = (&self.base_prompt, any_base) {
            let rest = line.strip_prefix(base.as_str())?;
            if !self.profile.prompt_suffix.is_match(rest) {
                return None;
            }
        }
        Some((start, line.trim_end().to_string(), level))
    }

    /// Remember the stable part (hostname) of `prompt`.
    fn learn_base_prompt(&mut self, prompt: &str) {
        if let Some(base) = self.profile.base_prompt.captures(prompt) {
            self.base_prompt = Some(base[1].to_string());
        }
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
                echo_end,
                purpose,
                ..
            } => {
                let what = match purpose {
                    Purpose::ConfigLine(_) => "config line ",
                    _ => "",
                };
                match echo_end {
                    None => format!("no echo of {what}'{command}'"),
                    Some(_) => format!("no prompt after {what}'{command}'"),
                }
            }
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

/// The steps of a config push, between the commands and the exit.
fn config_steps(profile: &Profile, config: &ConfigPlan) -> Vec<Step> {
    let read = |snapshot| {
        profile.show_config.map(|text| Step::Command {
            text: text.to_string(),
            purpose: Purpose::ReadConfig(snapshot),
        })
    };
    let save_in_config_mode = profile
        .save
        .as_ref()
        .is_some_and(|s| s.level == profile.config.level);
    let save = |in_config_mode: bool| (config.save && in_config_mode).then_some(Step::Save);
    let mut steps = Vec::with_capacity(config.lines.len() + 6);
    steps.extend(config.diff.then(|| read(Snapshot::Before)).flatten());
    steps.push(Step::ReachLevel {
        level: profile.config.level,
        announce_login: false,
    });
    steps.extend(
        config
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| Step::Command {
                text: line.trim_end().to_string(),
                purpose: Purpose::ConfigLine(i),
            }),
    );
    steps.extend(save(save_in_config_mode));
    steps.push(Step::ReachLevel {
        level: profile.default_level,
        announce_login: false,
    });
    steps.extend(save(!save_in_config_mode));
    steps.extend(config.diff.then(|| read(Snapshot::After)).flatten());
    steps
}
