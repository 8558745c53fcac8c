//! The command interpreters of the non-IOS personalities. The session (`session.rs`) keeps the
//! line discipline, password prompts, the pager and the faults; a [`Shell`] turns each typed
//! line into an [`Action`] and says what the prompt is. `cisco_like` serves NX-OS, IOS-XR, EOS
//! and ASA from per-platform tables; `junos` and `linux` have grammars of their own.

mod cisco_like;
mod junos;
mod linux;
pub mod model;
mod show;
#[cfg(test)]
mod tests;

use super::platform::Platform;
use super::Device;
use model::VConfig;

/// A non-IOS device's persistent configuration: what runs and what a reload would load.
#[derive(Debug, Clone)]
pub struct VendorState {
    pub running: VConfig,
    pub saved: VConfig,
    /// Junos: the shared candidate configuration, when it differs from the running one.
    pub candidate: Option<VConfig>,
}

/// Privilege: user exec (`>`, `$`) or privileged (`#`, root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    User,
    Privileged,
}

/// What a typed line produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Text (with `\n` line ends), then the prompt.
    Output(String),
    /// An error message, then the prompt (an exec request's status is 1).
    Error(String),
    /// Command output: through the faults and the pager, then the prompt.
    Show(String),
    /// Ask for a password (not echoed); the answer goes to [`Shell::secret`].
    Secret(String),
    /// Ask a question (echoed); the answer goes to [`Shell::answer`].
    Question(String),
    /// Set the lines per page (0: no paging), then print the text and the prompt.
    Length(usize, String),
    Close,
}

/// Which question an answer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// IOS-XR `end`/`exit` with uncommitted changes.
    Uncommitted,
    /// ASA `copy running-config startup-config`: the source file name.
    CopySource,
    /// Junos `exit` with uncommitted changes.
    ExitUncommitted,
}

/// One session's state on a non-IOS device.
#[derive(Debug)]
pub struct Shell {
    pub platform: Platform,
    pub level: Level,
    /// In config mode: `Some(None)` at the top, `Some(Some(header))` in a section.
    config: Option<Option<String>>,
    /// IOS-XR: the session's candidate configuration while in config mode.
    candidate: Option<VConfig>,
    pending: Option<Pending>,
    tries: u8,
    /// Linux: the login user (root after `sudo -i`).
    user: String,
    /// Linux: the login user before `sudo` (for `[sudo] password for USER:`).
    login_user: String,
    /// Junos: the session's last commit failed on these messages.
    failed_commit: Option<String>,
}

impl Shell {
    pub fn new(platform: Platform, user: &str) -> Shell {
        let level = match platform {
            Platform::CiscoNxos | Platform::CiscoXr | Platform::JuniperJunos => Level::Privileged,
            _ => Level::User,
        };
        Shell {
            platform,
            level,
            config: None,
            candidate: None,
            pending: None,
            tries: 0,
            user: user.to_string(),
            login_user: user.to_string(),
            failed_commit: None,
        }
    }

    /// For an SSH exec request: privileged from the start, as IOS runs exec commands; on Linux
    /// a command runs as the login user, as sshd runs it.
    pub fn privileged(mut self) -> Shell {
        if self.platform != Platform::Linux {
            self.level = Level::Privileged;
        }
        self
    }

    pub fn in_config(&self) -> bool {
        self.config.is_some()
    }

    /// In config mode on NX-OS, IOS-XR, EOS or ASA, where Ctrl-Z means `end`.
    pub fn takes_ctrl_z(&self) -> bool {
        self.in_config() && !matches!(self.platform, Platform::JuniperJunos | Platform::Linux)
    }

    /// Run one typed line; `prompt_len` is where the line starts on the terminal (carets).
    pub fn run(&mut self, device: &Device, line: &str, prompt_len: usize) -> Action {
        match self.platform {
            Platform::JuniperJunos => junos::run(self, device, line, prompt_len),
            Platform::Linux => linux::run(self, device, line),
            _ => cisco_like::run(self, device, line, prompt_len),
        }
    }

    /// The password typed at a [`Action::Secret`] prompt.
    pub fn secret(&mut self, device: &Device, secret: &str) -> Action {
        match self.platform {
            Platform::Linux => linux::secret(self, device, secret),
            _ => cisco_like::secret(self, device, secret),
        }
    }

    /// The line typed at a [`Action::Question`].
    pub fn answer(&mut self, device: &Device, answer: &str) -> Action {
        match self.platform {
            Platform::JuniperJunos => junos::answer(self, answer),
            _ => cisco_like::answer(self, device, answer),
        }
    }

    /// What an empty line prints before the prompt (Junos repeats the hierarchy level).
    pub fn empty_line(&self) -> &'static str {
        match (self.platform, &self.config) {
            (Platform::JuniperJunos, Some(_)) => "\n[edit]\n",
            _ => "",
        }
    }

    /// The prompt for the current mode.
    pub fn prompt(&self, hostname: &str) -> String {
        match self.platform {
            Platform::JuniperJunos => junos::prompt(self, hostname),
            Platform::Linux => linux::prompt(self, hostname),
            _ => cisco_like::prompt(self, hostname),
        }
    }
}
