//! What every state of the dialogue works on: the profile and plan, the bytes received since the
//! last prompt, the prompt and privilege level the device is at, the clock and its deadline, the
//! bytes and events queued for the driver, and the results gathered so far.
//!
//! The clock lives here so that sending and stamping cannot drift apart: every send restarts the
//! operation deadline from the `now` the driver last gave.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::mask::Mask;
use super::platform::{PrivilegeLevel, Profile};
use super::received::Received;
use super::reply::Pending;
use super::text::clean_output_bytes;
use super::{Clock, DialogueEvent, Plan, Results};

pub(super) struct Context {
    pub(super) profile: &'static Profile,
    pub(super) plan: Plan,
    pub(super) received: Received,
    /// The prompt currently shown, e.g. `R1#`.
    pub(super) prompt: String,
    /// The privilege level of `prompt` (empty before the first prompt).
    pub(super) level: &'static str,
    /// The level commands run at: where the login ended.
    pub(super) command_level: &'static str,
    /// Stable part of the prompt (the hostname), learned at the first prompt.
    base_prompt: Option<String>,
    pub(super) results: Results,
    /// The last show command's result, until the next echo confirms where its output ends.
    pub(super) pending: Option<Pending>,
    epoch: Instant,
    now: Instant,
    timeout: Duration,
    command_timeout: Option<Duration>,
    /// When the device must have said something: the idle timeout after the last send or byte.
    idle_deadline: Instant,
    /// When the command in flight must be done, however busily the device talks.
    command_deadline: Option<Instant>,
    /// Bytes for the driver to write, oldest first.
    outbox: VecDeque<Vec<u8>>,
    events: VecDeque<DialogueEvent>,
}

impl Context {
    pub(super) fn new(profile: &'static Profile, plan: Plan, clock: Clock) -> Context {
        let results = Results {
            config: plan.config.as_ref().map(|_| Box::default()),
            ..Results::default()
        };
        let mut secrets = plan.secrets.clone();
        secrets.extend(plan.login.as_ref().map(|(_, password)| password.clone()));
        secrets.extend(plan.enable_secret.clone());
        Context {
            profile,
            plan,
            received: Received::new(Mask::new(&secrets), profile.ansi_escapes),
            prompt: String::new(),
            level: "",
            command_level: profile.default_level,
            base_prompt: None,
            results,
            pending: None,
            epoch: clock.epoch,
            now: clock.now,
            timeout: clock.timeout,
            command_timeout: clock.command_timeout,
            idle_deadline: clock.now + clock.timeout,
            command_deadline: None,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    // ---- clock ----

    /// The driver's latest `now`.
    pub(super) fn set_now(&mut self, now: Instant) {
        self.now = now;
    }

    pub(super) fn now(&self) -> Instant {
        self.now
    }

    /// The earlier of the idle and the command deadline.
    pub(super) fn deadline(&self) -> Instant {
        self.command_deadline
            .map_or(self.idle_deadline, |d| d.min(self.idle_deadline))
    }

    /// Whether the command deadline (not the idle one) is what passed at `now`.
    pub(super) fn command_time_is_up(&self) -> bool {
        self.command_deadline.is_some_and(|d| self.now >= d)
    }

    pub(super) fn command_timeout(&self) -> Option<Duration> {
        self.command_timeout
    }

    /// Bytes came: the device is not idle.
    pub(super) fn heard_from_device(&mut self) {
        self.idle_deadline = self.now + self.timeout;
    }

    /// End the wait at most `grace` from now, whatever comes (waiting for the device to close
    /// after the exit is not the device's operation to time).
    pub(super) fn wait_at_most(&mut self, grace: Duration) {
        let end = self.now + grace;
        self.idle_deadline = self.idle_deadline.min(end);
        self.command_deadline = Some(self.command_deadline.map_or(end, |d| d.min(end)));
    }

    /// Microseconds from the run's start to `at`, for `start_us`.
    pub(super) fn since_epoch(&self, at: Instant) -> u64 {
        micros(at.saturating_duration_since(self.epoch))
    }

    // ---- to the driver ----

    /// Queue `line` and Enter: a new command, so the idle and command deadlines restart.
    pub(super) fn send_line(&mut self, line: &str) {
        self.command_deadline = self.command_timeout.map(|limit| self.now + limit);
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.send(bytes);
    }

    /// Queue `bytes`; the idle deadline restarts.
    pub(super) fn send(&mut self, bytes: Vec<u8>) {
        self.idle_deadline = self.now + self.timeout;
        self.outbox.push_back(bytes);
    }

    pub(super) fn event(&mut self, event: DialogueEvent) {
        self.events.push_back(event);
    }

    pub(super) fn take_transmit(&mut self) -> Option<Vec<u8>> {
        self.outbox.pop_front()
    }

    pub(super) fn has_transmit(&self) -> bool {
        !self.outbox.is_empty()
    }

    pub(super) fn take_event(&mut self) -> Option<DialogueEvent> {
        self.events.pop_front()
    }

    // ---- the device's prompt ----

    /// If the received text now ends in a pager prompt, cut it out and answer it with a space.
    /// Returns whether it did (the new bytes are then the pager's, not an answer).
    pub(super) fn answer_pager(&mut self) -> bool {
        let answered = self
            .profile
            .more_pattern
            .as_ref()
            .is_some_and(|pager| self.received.cut_pager_prompt(pager));
        if answered {
            self.send(b" ".to_vec());
        }
        answered
    }

    /// Where the last line starts, its prompt text and level, when that line (starting at or
    /// after `not_before`) is this device's prompt. `base` says which stable parts count.
    pub(super) fn prompt_line_at_tail(
        &self,
        not_before: usize,
        base: Base,
    ) -> Option<(usize, String, &'static PrivilegeLevel)> {
        let (start, line) = self.received.last_line()?;
        if start < not_before {
            return None;
        }
        let line = line.trim_start();
        let level = self.profile.level_of(line)?;
        let any_base = match base {
            Base::Learned => false,
            Base::NewInConfig => level.name == self.profile.config.level,
            Base::Any => true,
        };
        if let (Some(base), false) = (&self.base_prompt, any_base) {
            let rest = line.strip_prefix(base.as_str())?;
            if !self.profile.prompt_suffix.is_match(rest) {
                return None;
            }
        }
        Some((start, line.trim_end().to_string(), level))
    }

    /// Where the output before the prompt line at `prompt_start` ends: before the lines just
    /// above the prompt that belong to it (the profile's `prompt_context`, Junos `[edit]`), not
    /// before `output_start`.
    pub(super) fn output_end(&self, output_start: usize, prompt_start: usize) -> usize {
        let Some(context) = &self.profile.prompt_context else {
            return prompt_start;
        };
        let bytes = self.received.bytes();
        let mut end = prompt_start;
        // Junos prints one context line ({master:0} and [edit] at most stack two).
        for _ in 0..2 {
            if end <= output_start {
                break;
            }
            let line_start = bytes[output_start..end - 1]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(output_start, |p| output_start + p + 1);
            let line = String::from_utf8_lossy(&bytes[line_start..end]);
            if !context.is_match(line.trim_end_matches(['\r', '\n'])) {
                break;
            }
            end = line_start;
        }
        end
    }

    /// Remember the stable part (hostname) of `prompt`.
    pub(super) fn learn_base_prompt(&mut self, prompt: &str) {
        if let Some(base) = self.profile.base_prompt.captures(prompt) {
            self.base_prompt = Some(base[1].to_string());
        }
    }

    /// A prompt was seen at the tail: the device is now at `level`, and what was received up to
    /// it is consumed.
    pub(super) fn reached_prompt(&mut self, prompt: String, level: &'static PrivilegeLevel) {
        self.received.clear();
        self.prompt = prompt;
        self.level = level.name;
    }

    /// `text` (something netrun typed) with the host's secrets masked, for reports and events.
    pub(super) fn masked(&self, text: &str) -> String {
        self.received.mask().text(text)
    }

    /// Raw command output as text, secrets masked, with its bytes beside it when they are not
    /// valid UTF-8 (so nothing the device sent is lost).
    pub(super) fn output_of(&self, raw: &[u8]) -> (String, Option<Vec<u8>>) {
        let bytes = clean_output_bytes(&self.received.mask().bytes(raw));
        match String::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(err) => {
                let bytes = err.into_bytes();
                (String::from_utf8_lossy(&bytes).into_owned(), Some(bytes))
            }
        }
    }

    /// `awaited` with the last bytes seen, for failure messages, e.g.
    /// `no prompt after 'show version' (last received: "...")`.
    pub(super) fn with_last_received(&self, awaited: &str) -> String {
        let recent = self.received.recent_printable();
        if recent.is_empty() {
            format!("{awaited} (nothing received)")
        } else {
            format!("{awaited} (last received: \"{recent}\")")
        }
    }
}

/// Which prompts count at the tail: only with the stable part learned, or with any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Base {
    Learned,
    /// A config-level prompt with any base (a config line may rename the device).
    NewInConfig,
    /// Any base (a privilege move may change the prompt: `admin@box$` → `root@box#`).
    Any,
}

pub(super) fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
