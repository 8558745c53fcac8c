//! The `Dialogue` itself: its driver-facing calls (quinn-proto's shape), the state it is in, and
//! the walk through the planned steps.
//!
//! The state is either one thing awaited (`Awaiting`: one type per thing, each consuming itself
//! on input and returning where that leads) or the end. Between two inputs the dialogue is never
//! "between steps": a step that needs no reply (a level already reached, a save the platform
//! lacks) is passed straight through to the next one that does.

use std::collections::VecDeque;
use std::time::Instant;

use super::close::AwaitClose;
use super::context::Context;
use super::level::ReachLevel;
use super::login::AwaitLogin;
use super::plan::{self, Purpose, Step};
use super::platform::Save;
use super::reply::{settle_pending, Answer, AwaitEcho, AwaitPrompt};
use super::{config, Clock, DialogueEvent, Ended, Plan, Profile};
use crate::job::{ErrorKind, Failure};

/// A sans-IO conversation with one device; see the module docs of `dialogue` for the pump loop.
pub struct Dialogue {
    cx: Context,
    /// The steps not started yet.
    steps: VecDeque<Step>,
    state: State,
}

/// Where a dialogue stands (the tests ask; drivers follow `poll_timeout` and `finish`).
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the device.
    Running,
    /// The plan is done (its last bytes may still be queued).
    Done,
    /// The host failed; `finish` says why.
    Failed,
}

enum State {
    Awaiting(Awaiting),
    Done,
    Failed(Failure),
}

/// The thing the dialogue waits for, one type per thing.
pub(super) enum Awaiting {
    /// The first prompt (Telnet: after the login).
    Login(AwaitLogin),
    /// The prompt after a move towards a privilege level.
    Level(ReachLevel),
    /// The echo of a command sent.
    Echo(AwaitEcho),
    /// The prompt that ends a command's reply.
    Prompt(AwaitPrompt),
    /// After the exit: its echo or the close, confirming the last command's end.
    Close(AwaitClose),
}

/// Where handling input, or starting a step, leads.
pub(super) enum Next {
    /// Still waiting, now for this.
    Wait(Awaiting),
    /// The step is complete: on to the next.
    StepDone,
    /// A command was answered: record it, then on to the next step.
    Replied(Answer),
    /// The exit was sent: the plan is done.
    Finished,
}

impl Dialogue {
    /// A dialogue about to await the first prompt of a just-opened channel.
    pub fn new(profile: &'static Profile, plan: Plan, clock: Clock) -> Dialogue {
        let mut steps = plan::steps(profile, &plan);
        let mut cx = Context::new(profile, plan, clock);
        let state = advance(&mut cx, &mut steps, Ok(Next::StepDone));
        Dialogue { cx, steps, state }
    }

    /// Bytes from the device, split anywhere, received at `now`: they restart the idle
    /// deadline. Past the plan's `max_output` bytes without a prompt the host fails with kind
    /// `output-limit`, keeping what fit.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.step(now, |awaiting, cx| {
            cx.heard_from_device();
            if !cx.received.push_within(bytes, cx.plan.max_output) {
                return awaiting.on_overflow(cx);
            }
            if cx.answer_pager() {
                return Ok(Next::Wait(awaiting));
            }
            awaiting.on_input(cx)
        });
    }

    /// The device closed the connection at `now`.
    pub fn handle_eof(&mut self, now: Instant) {
        self.step(now, |awaiting, cx| awaiting.on_eof(cx));
    }

    /// The driver woke at `now` with no input. At or past `poll_timeout()` the host fails with
    /// kind `timeout`, saying what was awaited and what was last received; before it (a wake
    /// that came early) nothing changes.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now < self.cx.deadline() {
            return;
        }
        self.step(now, |awaiting, cx| awaiting.on_timeout(cx));
    }

    /// The transport failed at `now` in a way that is neither a close nor a timeout: the host
    /// fails with `failure`.
    pub fn handle_error(&mut self, now: Instant, failure: Failure) {
        self.step(now, |awaiting, cx| match awaiting {
            // The plan is done: a connection broken after the exit is its close.
            Awaiting::Close(close) => close.on_end(cx),
            _ => Err(failure),
        });
    }

    /// The next bytes to write to the device.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.cx.take_transmit()
    }

    /// When the driver must call `handle_timeout` if nothing came: the deadline of the operation
    /// in flight (it restarts at each send), which also bounds writing the queued bytes. `None`
    /// once the dialogue is over and everything queued was taken.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let pending = matches!(self.state, State::Awaiting(_)) || self.cx.has_transmit();
        pending.then(|| self.cx.deadline())
    }

    /// The next thing that happened, for the driver to log or time.
    pub fn poll_event(&mut self) -> Option<DialogueEvent> {
        self.cx.take_event()
    }

    #[cfg(test)]
    pub fn status(&self) -> Status {
        match self.state {
            State::Awaiting(_) => Status::Running,
            State::Done => Status::Done,
            State::Failed(_) => Status::Failed,
        }
    }

    /// The results and, for a failed host, why it failed (the results then hold what was done
    /// before). A dialogue finished while still running fails with what it was waiting for.
    pub fn finish(self) -> Ended {
        let failure = match self.state {
            State::Done => None,
            State::Failed(failure) => Some(failure),
            State::Awaiting(awaiting) => Some(Failure::new(
                ErrorKind::Protocol,
                format!(
                    "dialogue stopped before its end: {}",
                    self.cx.with_last_received(&awaiting.awaited())
                ),
            )),
        };
        Ended {
            results: self.cx.results,
            failure,
        }
    }

    /// Set the clock to `now`, then let the awaited state `handle` what happened.
    fn step(
        &mut self,
        now: Instant,
        handle: impl FnOnce(Awaiting, &mut Context) -> Result<Next, Failure>,
    ) {
        self.cx.set_now(now);
        // The state is moved out to be consumed; `Done` holds its place only until the line
        // below puts the next state back.
        self.state = match std::mem::replace(&mut self.state, State::Done) {
            State::Awaiting(awaiting) => {
                let in_flight = awaiting.config_line_in_flight();
                let next = handle(awaiting, &mut self.cx);
                if next.is_err() {
                    config::cut_off(&mut self.cx, &mut self.steps, in_flight);
                }
                advance(&mut self.cx, &mut self.steps, next)
            }
            // After the end nothing is awaited: bytes after the exit are the device's goodbye, a
            // close or a timeout then changes nothing, and a failed host stays failed as it was.
            ended => ended,
        };
    }
}

/// Follow `next` through the plan until something is awaited or the dialogue ends.
fn advance(cx: &mut Context, steps: &mut VecDeque<Step>, mut next: Result<Next, Failure>) -> State {
    // Each round starts one step of the plan, so this ends within the plan's length.
    loop {
        match next {
            Err(failure) => {
                // Nothing before byte 0 can be stray, so this only records what was held.
                let _ = settle_pending(cx, 0);
                cx.received.clear();
                return State::Failed(failure);
            }
            Ok(Next::Wait(awaiting)) => return State::Awaiting(awaiting),
            Ok(Next::Finished) => return State::Done,
            Ok(Next::Replied(answer)) => answer.record(cx, steps),
            Ok(Next::StepDone) => {}
        }
        next = match steps.pop_front() {
            Some(step) => start(cx, step),
            None => Ok(Next::Finished),
        };
    }
}

/// Begin `step`: send what it sends and say what it awaits.
fn start(cx: &mut Context, step: Step) -> Result<Next, Failure> {
    match step {
        Step::Login => Ok(AwaitLogin::start()),
        Step::ReachLevel(level) => ReachLevel::start(cx, level),
        Step::Command { text, purpose } => Ok(AwaitEcho::start(cx, text, purpose)),
        Step::Commit => match &cx.profile.config.commit {
            Some(commit) => Ok(AwaitEcho::start(
                cx,
                commit.command.to_string(),
                Purpose::Commit,
            )),
            None => Ok(Next::StepDone),
        },
        Step::Save => match &cx.profile.save {
            Save::Command(save) => Ok(AwaitEcho::start(
                cx,
                save.command.to_string(),
                Purpose::Save,
            )),
            Save::ByCommit | Save::Nothing => {
                config::save_without_command(cx);
                Ok(Next::StepDone)
            }
        },
        Step::Exit => {
            if let Some(config) = &mut cx.results.config {
                config.final_prompt = cx.prompt.clone();
            }
            cx.send_line(cx.profile.exit_command);
            Ok(AwaitClose::start(cx))
        }
    }
}

impl Awaiting {
    fn on_input(self, cx: &mut Context) -> Result<Next, Failure> {
        match self {
            Awaiting::Login(login) => login.on_input(cx),
            Awaiting::Level(level) => level.on_input(cx),
            Awaiting::Echo(echo) => echo.on_input(cx),
            Awaiting::Prompt(prompt) => prompt.on_input(cx),
            Awaiting::Close(close) => close.on_input(cx),
        }
    }

    /// A close while waiting fails the host (a login rejection, else with what was awaited),
    /// except after the exit, where it is awaited.
    fn on_eof(self, cx: &mut Context) -> Result<Next, Failure> {
        let rejection = match &self {
            Awaiting::Close(_) => None,
            Awaiting::Login(login) => login.on_eof(cx),
            Awaiting::Level(_) | Awaiting::Echo(_) | Awaiting::Prompt(_) => None,
        };
        match self {
            Awaiting::Close(close) => close.on_end(cx),
            other => Err(rejection.unwrap_or_else(|| {
                Failure::new(
                    ErrorKind::Closed,
                    format!(
                        "connection closed: {}",
                        cx.with_last_received(&other.awaited())
                    ),
                )
            })),
        }
    }

    /// Past the deadline the host fails with what was awaited (and, when it was the command
    /// timeout that passed, saying so), except after the exit.
    fn on_timeout(self, cx: &mut Context) -> Result<Next, Failure> {
        if let Awaiting::Close(close) = self {
            return close.on_end(cx);
        }
        let mut awaited = self.awaited();
        if let (true, Some(limit)) = (cx.command_time_is_up(), cx.command_timeout()) {
            awaited = format!(
                "{awaited} within the command timeout of {} s",
                limit.as_secs_f64()
            );
        }
        Err(Failure::new(
            ErrorKind::Timeout,
            cx.with_last_received(&awaited),
        ))
    }

    /// The device sent more than `max_output` bytes without the prompt awaited: the host fails,
    /// a command's output keeping what fit; after the exit it is only the end of the wait.
    fn on_overflow(self, cx: &mut Context) -> Result<Next, Failure> {
        match &self {
            Awaiting::Close(_) => {}
            Awaiting::Prompt(prompt) => prompt.keep_what_fit(cx),
            Awaiting::Login(_) | Awaiting::Level(_) | Awaiting::Echo(_) => {}
        }
        if let Awaiting::Close(close) = self {
            return close.on_end(cx);
        }
        let awaited = format!(
            "{} within the first {} bytes (--max-output)",
            self.awaited(),
            cx.plan.max_output
        );
        Err(Failure::new(
            ErrorKind::OutputLimit,
            cx.with_last_received(&awaited),
        ))
    }

    /// The config line (index, text) sent and awaiting its reply, if that is what is awaited.
    fn config_line_in_flight(&self) -> Option<(usize, String)> {
        match self {
            Awaiting::Echo(echo) => echo.config_line(),
            Awaiting::Prompt(prompt) => prompt.config_line(),
            Awaiting::Login(_) | Awaiting::Level(_) | Awaiting::Close(_) => None,
        }
    }

    /// What is awaited, e.g. `no prompt after 'show version'`.
    fn awaited(&self) -> String {
        match self {
            Awaiting::Login(login) => login.awaited().to_string(),
            Awaiting::Level(level) => level.awaited(),
            Awaiting::Echo(echo) => echo.awaited(),
            Awaiting::Prompt(prompt) => prompt.awaited(),
            Awaiting::Close(close) => close.awaited(),
        }
    }
}
