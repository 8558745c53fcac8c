//! The sans-IO device conversation: prompts, login, enable, paging, commands and config pushes.
//!
//! A `Dialogue` never touches a socket, a clock or a runtime. A driver (blocking or async, SSH or
//! Telnet) pumps it:
//!
//! ```text
//! loop {
//!     match dialogue.poll_action() {
//!         Action::Send(bytes) => write bytes; the operation deadline restarts,
//!         Action::Receive => read with the deadline; dialogue.handle_input(&bytes) or handle_eof(),
//!         Action::Event(e) => note it (timings, -v log),
//!         Action::Done => stop: the dialogue succeeded; results via dialogue.into_results(),
//!         Action::Failed(f) => stop: the host failed with f,
//!     }
//! }
//! ```
//! On a deadline expiry the driver fails the host with `dialogue.timeout_failure()`, which says
//! what was awaited and the last ≤200 bytes seen.
//!
//! Platform behaviour (prompt patterns, privilege levels, paging commands, error strings) is data:
//! see `platform`, which also maps Netmiko `device_type` names to a profile and a transport
//! (`lookup_device_type`). The conversation itself (steps: log in, reach the command level, paging
//! off, commands, then for a config push: read the running-config, enter config mode, each line,
//! leave config mode, save, read it again; exit) is in `conversation`; nothing is ever sent
//! speculatively, and each command syncs on its own echo before looking for the prompt at the end
//! of what was received.
//!
//! A rejected config line or a failed save does not fail the dialogue: it still leaves config mode
//! and reports everything in `Results::config`; the driver turns `ConfigResult::failure` into the
//! host's failure.

mod conversation;
pub mod platform;
mod received;
#[cfg(test)]
mod tests;
mod text;

use crate::job::{CommandResult, Failure, Secret};
pub use crate::job::{ConfigLineResult, ConfigPlan, ConfigResult, SaveResult};
pub use conversation::Dialogue;
pub use platform::{device_type_names, lookup_device_type, profile, DeviceType, Profile};

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
}

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write these bytes to the device; the driver restarts the operation deadline.
    Send(Vec<u8>),
    /// Read more bytes and pass them to `handle_input` (or call `handle_eof`).
    Receive,
    /// Something happened that the driver may time or log.
    Event(DialogueEvent),
    /// The dialogue finished; take the results with `into_results`.
    Done,
    /// The host failed; the driver closes the connection.
    Failed(Failure),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogueEvent {
    /// Logged in: the first prompt (after enable if it was needed), e.g. `R1#`.
    LoggedIn { prompt: String },
    /// Command number `index` of the plan was sent.
    CommandSent { index: usize, command: String },
    /// Command number `index` completed; `duration_us` is 0 — the driver fills it.
    CommandDone { index: usize, result: CommandResult },
    /// Config line number `index` of the plan was sent.
    ConfigLineSent { index: usize, line: String },
    /// Config line number `index` was answered; `duration_us` is 0 — the driver fills it.
    ConfigLineDone {
        index: usize,
        result: ConfigLineResult,
    },
    /// The save command was answered (`result.ok` says whether it worked).
    Saved { result: SaveResult },
}

/// The results of a finished dialogue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Results {
    /// The privileged (or final) prompt, e.g. `R1#`.
    pub prompt: String,
    pub commands: Vec<CommandResult>,
    /// `Some` when the plan had a config push.
    pub config: Option<Box<ConfigResult>>,
}
