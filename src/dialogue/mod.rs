//! The sans-IO device conversation: prompts, login, enable, paging, commands and config pushes.
//!
//! A `Dialogue` never touches a socket, a clock or a runtime, in the shape of quinn-proto's
//! `Connection`: time is an input (every `handle_*` call is told `now`), and the driver asks it
//! what to write and when to wake. A driver (blocking or async, SSH or Telnet) pumps it:
//!
//! ```text
//! let mut dialogue = Dialogue::new(profile, plan, Clock { epoch, now, timeout });
//! loop {
//!     while let Some(event) = dialogue.poll_event() { note it (-v log, progress) }
//!     let Some(deadline) = dialogue.poll_timeout() else { break };   // over, all written
//!     if let Some(bytes) = dialogue.poll_transmit() { write bytes before deadline; continue }
//!     wait for bytes until deadline, then one of
//!         dialogue.handle_input(now, &bytes) | handle_eof(now) | handle_timeout(now)
//! }
//! let Ended { results, failure } = dialogue.finish();
//! ```
//!
//! The dialogue owns the conversation's clock: the host's timeout is an idle timeout (each send
//! and each byte received restarts it), an optional command timeout bounds each command from its
//! send, `handle_timeout` past either fails the host with kind `timeout`, saying what was
//! awaited and the last ≤200 bytes seen, and each command and config line is stamped with the
//! `now`s at which it was sent and answered. Results are held once, here, until `finish`. What it
//! buffers is bounded by the plan's `max_output` (kind `output-limit` past it).
//!
//! Inside, each thing awaited is its own state type (rustls' style): the first prompt and login
//! (`login`), a privilege level (`level`), a command's echo and then its prompt (`reply`). A
//! state's handlers consume it and return the next state, so a call in the wrong state cannot be
//! written. The steps to work through (log in, reach the command level, paging off, commands, a
//! config push, exit) are planned up front (`plan`, `config`); nothing is ever sent
//! speculatively, and each command syncs on its own echo before looking for the prompt at the end
//! of what was received. A prompt at the end is only a candidate: a show command's output ends
//! where the next command's echo line begins (after the exit: its echo or the close, `close`),
//! so an output line that looks like the prompt and ends a read never cuts it short.
//!
//! Platform behaviour (prompt patterns, privilege levels, paging commands, error strings) is data:
//! see `platform`, which also maps Netmiko `device_type` names to a profile and a transport
//! (`lookup_device_type`).
//!
//! A rejected config line or a failed save does not fail the dialogue: it still leaves config mode
//! and reports everything in `Results::config`; the driver turns `ConfigResult::failure` into the
//! host's failure.

mod ansi;
mod close;
mod config;
mod context;
mod level;
mod login;
mod machine;
pub(crate) mod mask;
mod plan;
pub mod platform;
mod received;
mod reply;
#[cfg(test)]
mod tests;
mod text;

use std::time::{Duration, Instant};

use crate::job::{CommandResult, Failure, Secret, UserAnswer};
pub use crate::job::{ConfigLineResult, ConfigPlan, ConfigResult, SaveResult};
pub use machine::Dialogue;
#[cfg(test)]
pub use machine::Status;
pub use platform::Profile;

/// What the dialogue has to do on the device.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Credentials to answer `Username:`/`Password:` prompts (Telnet). `None` when the transport
    /// already authenticated (SSH).
    pub login: Option<(String, Secret)>,
    /// Enable secret; escalate to privileged exec when given or when the prompt is unprivileged.
    pub enable_secret: Option<Secret>,
    /// Exec-mode commands, in order (run before any config push).
    pub commands: Vec<String>,
    /// A config push, after the commands.
    pub config: Option<ConfigPlan>,
    /// Every other secret of the host (key passphrase, secret-looking inventory data): with the
    /// login password and the enable secret, replaced by `***` in everything the dialogue keeps
    /// or reports, whatever the device echoes.
    pub secrets: Vec<Secret>,
    /// The most bytes kept for one reply (or before a prompt): past it the host fails with kind
    /// `output-limit`, and every buffer of the dialogue stays within a small multiple of it.
    pub max_output: usize,
    /// The user's answers to the questions of command i, in order (`answers[i]`; none past the
    /// end). A question without one fails the host with kind `question`.
    pub answers: Vec<Vec<UserAnswer>>,
}

/// The dialogue's time frame: where its stamps count from, when it starts, how long each
/// operation may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// The run's start: each command's `start_us` counts from here, so a timeline can place
    /// every host's commands on one axis.
    pub epoch: Instant,
    /// When the dialogue starts (the channel is open): the first prompt is awaited from here.
    pub now: Instant,
    /// How long the device may stay silent: every send and every byte received restarts it.
    pub timeout: Duration,
    /// The most one command (from its send to its prompt) may take in total; `None`: no bound
    /// but the idle `timeout`.
    pub command_timeout: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogueEvent {
    /// Logged in: the first prompt (after enable if it was needed), e.g. `R1#`.
    LoggedIn { prompt: String },
    /// Command number `index` of the plan was sent.
    CommandSent { index: usize, command: String },
    /// Command number `index` completed (its start and duration stamped).
    CommandDone { index: usize, result: CommandResult },
    /// Config line number `index` of the plan was sent.
    ConfigLineSent { index: usize, line: String },
    /// Config line number `index` was answered (its duration stamped).
    ConfigLineDone {
        index: usize,
        result: ConfigLineResult,
    },
    /// The save command was answered (`result.ok` says whether it worked).
    Saved { result: SaveResult },
}

/// What a dialogue gathered: everything when it is done, what was done before the end when it
/// failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Results {
    /// The privileged (or final) prompt, e.g. `R1#`; empty when the login never got there.
    pub prompt: String,
    /// When that prompt was seen: the end of the login.
    pub logged_in_at: Option<Instant>,
    pub commands: Vec<CommandResult>,
    /// `Some` when the plan had a config push.
    pub config: Option<Box<ConfigResult>>,
}

/// How a dialogue ended: its results, and why the host failed when it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub results: Results,
    /// `None` when the dialogue finished its plan (a rejected command or config line is in the
    /// results, not here).
    pub failure: Option<Failure>,
}
