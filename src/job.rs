//! Jobs and Outcomes: the plain data that flows from the inventory, through a strategy, to a report.
//!
//! Everything here is serde-serialisable because an `Outcome` (and the `Event`s that describe its
//! progress) cross the fork strategy's pipes. Nothing here knows about sockets or schedulers.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How netrun reaches a device's CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    Ssh,
    Telnet,
}

impl TransportKind {
    pub fn default_port(self) -> u16 {
        match self {
            TransportKind::Ssh => 22,
            TransportKind::Telnet => 23,
        }
    }
}

/// A secret string that never shows itself: Debug, Display and Serialize all give `***`, so a
/// password cannot leak into logs, JSON or a pipe by accident. (Deserialize reads the real value:
/// the fork strategy's workers get their jobs that way.) The text is wiped from memory when the
/// last copy is dropped (`zeroize`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(zeroize::Zeroizing<String>);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("***")
    }
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(zeroize::Zeroizing::new(value.into()))
    }
    /// The clear text, for the one place that must send it to a device.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// One device of the resolved inventory, with everything needed to open a session to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Host {
    /// Unique name (the inventory's `name`, else its host address).
    pub name: String,
    /// Address or DNS name to connect to.
    pub host: String,
    pub port: u16,
    pub transport: TransportKind,
    /// Platform profile name, e.g. `cisco_ios` (Netmiko's `cisco_ios_telnet` maps to `cisco_ios`
    /// with `transport: Telnet`).
    pub platform: String,
    /// Why `platform` is not one netrun knows (the inventory's file, line and field, the known
    /// names, the nearest one): the host fails alone with kind `platform`, never connected to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_error: Option<String>,
    pub username: String,
    pub password: Secret,
    /// Enable secret; `None` when the inventory gives none.
    pub secret: Option<Secret>,
    /// Per-operation deadline (connect, authenticate), and how long a device may stay silent
    /// while a command is running (an idle timeout: every byte received restarts it).
    pub timeout: Duration,
    /// What each command may take: its total time and its output size (run-wide flags, not
    /// inventory keys: not serialised).
    #[serde(skip)]
    pub limits: Limits,
    /// Offer old algorithms (diffie-hellman-group14-sha1, ssh-rsa, hmac-sha1) to this host.
    pub ssh_legacy: bool,
    /// Private key file for public-key authentication.
    pub key_file: Option<String>,
    /// Passphrase of `key_file`.
    pub key_passphrase: Option<Secret>,
    /// How its SSH host key is checked: the policy and the known_hosts files.
    pub host_keys: crate::hostkeys::HostKeyCheck,
    /// Groups the host belongs to (Nornir inventories), for `--limit group:NAME`.
    pub groups: Vec<String>,
    /// Free-form data (Nornir `data`, extra keys of the book's format) for templates.
    pub data: BTreeMap<String, serde_json::Value>,
    /// How the SSH socket is reached (directly, through jump hosts, or a ProxyCommand) and what
    /// ssh_config said for this host.
    pub reach: Reach,
}

/// How a host's SSH socket is obtained, and the ssh_config values that concern it. The
/// inventory fills it; `ssh_config::apply` then fills what the inventory left unsaid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reach {
    /// Jump hosts, the first one reached first; empty for a direct TCP connect.
    pub jump: Vec<JumpHost>,
    /// An OpenSSH ProxyCommand (`%h %p %r %n %%` not yet expanded) whose stdio carries the SSH
    /// session; never set together with `jump`.
    pub proxy_command: Option<String>,
    /// The TCP connect's bound (ssh_config `ConnectTimeout`); `None`: the host's timeout.
    pub connect_timeout: Option<Duration>,
    /// The host's own ssh_config file (`ssh_config_file:`, as Netmiko's); `None`: the run's.
    pub ssh_config_file: Option<String>,
    /// ssh_config `StrictHostKeyChecking`, as written, for the host-key policy.
    pub strict_host_key_checking: Option<String>,
    /// ssh_config `UserKnownHostsFile` (its files, `~` expanded), for the host-key policy.
    pub user_known_hosts_files: Vec<String>,
    /// Settings the inventory gave itself, which ssh_config must not override.
    pub given: Given,
}

/// Which of a host's settings its inventory gave (the others are netrun's defaults).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Given {
    pub port: bool,
    pub username: bool,
    pub key_file: bool,
    /// `jump_host` or `proxy_command`.
    pub route: bool,
}

/// One jump host (bastion): where it is and, where it differs from the device's, how to log in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JumpHost {
    pub host: String,
    /// `None`: 22, unless ssh_config says.
    pub port: Option<u16>,
    /// `None`: the device's username.
    pub username: Option<String>,
    /// `None`: the device's password.
    pub password: Option<Secret>,
    /// `None`: the device's key file.
    pub key_file: Option<String>,
}

impl JumpHost {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(22)
    }

    /// `[user@]host[:port]`, as `-J` takes it and messages show it (never a secret).
    pub fn describe(&self) -> String {
        let address = match self.port {
            Some(port) => crate::transport::address(&self.host, port),
            None => self.host.clone(),
        };
        match &self.username {
            Some(user) => format!("{user}@{address}"),
            None => address,
        }
    }
}

impl Host {
    /// Every secret text this host carries, to mask wherever a device might echo it: the
    /// password, enable secret and key passphrase, and the string data values under
    /// secret-looking keys (`inventory::secret_data_values`). Non-empty, each once, longest first, so that masking
    /// them in this order never leaves the tail of a longer secret that contains a shorter one.
    pub fn secret_values(&self) -> Vec<String> {
        let secrets = [
            Some(&self.password),
            self.secret.as_ref(),
            self.key_passphrase.as_ref(),
        ];
        let mut values: Vec<String> = secrets
            .into_iter()
            .flatten()
            .chain(
                self.reach
                    .jump
                    .iter()
                    .filter_map(|jump| jump.password.as_ref()),
            )
            .map(|secret| secret.expose().to_string())
            .chain(crate::inventory::secret_data_values(&self.data))
            .filter(|value| !value.is_empty())
            .collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        values
    }
}

/// The default `--max-output`: 256 MiB per command.
pub const DEFAULT_MAX_OUTPUT: usize = 256 << 20;

/// Bounds on each command of a session (`--command-timeout`, `--max-output`), and how often a
/// session that failed before login is tried again (`--retries`, `--retry-delay`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes a device may send for one command (or before any prompt); past it the
    /// host fails with kind `output-limit`, keeping what fit.
    pub max_output: usize,
    /// The most one command may take in total, however busily the device talks; `None`: no
    /// bound but the idle timeout.
    pub command_timeout: Option<Duration>,
    /// More attempts for a host whose connect, handshake or login failed with `connect`,
    /// `timeout` or `closed` (nothing but the login was sent); 0: one attempt.
    pub retries: u32,
    /// The pause before each further attempt.
    pub retry_delay: Duration,
}

/// `--retry-delay`'s default.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(1);

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_output: DEFAULT_MAX_OUTPUT,
            command_timeout: None,
            retries: 0,
            retry_delay: DEFAULT_RETRY_DELAY,
        }
    }
}

/// What to do on a device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Task {
    /// Run show (exec-mode) commands, in order; `answers[i]` answers command i's questions, in
    /// order (shorter than `commands` when the last commands have none).
    Show {
        commands: Vec<String>,
        answers: Vec<Vec<UserAnswer>>,
    },
    /// Push configuration lines.
    Config(ConfigPlan),
    /// Only fetch and check the SSH host key (`netrun known-hosts`): no login.
    HostKeyScan,
}

/// The user's answer to a question a command asks (`--answer 'REGEX=REPLY'`, `answers:` in a
/// commands file): when the last line received matches `prompt`, `reply` is sent with Enter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAnswer {
    /// Searched in the question line.
    pub prompt: QuestionPattern,
    /// Empty: Enter alone (the default answer).
    pub reply: String,
}

/// A regex compiled once when the flags are read; it crosses the fork pipe as its source.
#[derive(Debug, Clone)]
pub struct QuestionPattern(regex::Regex);

impl QuestionPattern {
    pub fn new(pattern: &str) -> Result<QuestionPattern, regex::Error> {
        regex::Regex::new(pattern).map(QuestionPattern)
    }

    pub fn is_match(&self, line: &str) -> bool {
        self.0.is_match(line)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for QuestionPattern {
    fn eq(&self, other: &QuestionPattern) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for QuestionPattern {}

impl Serialize for QuestionPattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for QuestionPattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pattern = String::deserialize(deserializer)?;
        QuestionPattern::new(&pattern).map_err(serde::de::Error::custom)
    }
}

/// A config push: lines sent in configuration mode, then optionally saved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigPlan {
    /// Configuration lines, in order, as typed at the config prompt.
    pub lines: Vec<String>,
    /// Go on sending after a rejected line (default: stop at the first one, and do not save).
    pub continue_on_error: bool,
    /// Run the profile's save command and check its reply.
    pub save: bool,
    /// Read the running-config (the profile's show-config command) before and after.
    pub diff: bool,
}

/// One unit of work for a strategy: a host, what to do there, and its position in the inventory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// Position in the inventory; reports are sorted by it.
    pub index: usize,
    pub host: Host,
    pub task: Task,
}

/// Why a host failed. Stable names: they appear in JSON output and tests match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// TCP connection refused, unreachable or name resolution failed.
    Connect,
    /// SSH handshake or Telnet negotiation failed.
    Protocol,
    /// The device rejected the credentials (login or enable).
    Auth,
    /// An operation did not complete before its deadline.
    Timeout,
    /// The device closed the connection before the dialogue finished.
    Closed,
    /// A command was rejected by the device (`% Invalid input ...`).
    Command,
    /// The worker running this host died (fork strategy: the child process exited or was killed,
    /// or stopped responding and was killed by the parent).
    Worker,
    /// This machine, not the device, ran out of something (no file descriptor left for a
    /// socket: EMFILE/ENFILE); the message names the limit.
    Local,
    /// The run was interrupted (SIGINT/SIGTERM) before this host finished.
    Interrupted,
    /// The device sent more than `--max-output` bytes for one command (or before a prompt).
    #[serde(rename = "output-limit")]
    OutputLimit,
    /// The device's SSH host key is not the known one (changed, revoked, or unknown under the
    /// strict policy): the host failed before any authentication.
    #[serde(rename = "hostkey")]
    HostKey,
    /// The host's platform (device_type) is not one netrun knows: it is not connected to; the
    /// message names the inventory's file and line, the known names and the nearest one.
    Platform,
    /// `--parse-strict`: a command's output was not parsed (no template, or the template failed).
    Parse,
    /// A command stopped at a question (`[confirm]`, `Destination filename [startup-config]?`)
    /// that no `--answer` answers: nothing was answered; the message quotes the question.
    Question,
    /// `netrun merge -i`: the inventory lists the host but no results file has it (its shard
    /// did not run, or its file was not given).
    Missing,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Auth => "auth",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Closed => "closed",
            ErrorKind::Command => "command",
            ErrorKind::Worker => "worker",
            ErrorKind::Local => "local",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::OutputLimit => "output-limit",
            ErrorKind::HostKey => "hostkey",
            ErrorKind::Platform => "platform",
            ErrorKind::Parse => "parse",
            ErrorKind::Question => "question",
            ErrorKind::Missing => "missing",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A host's failure: its kind and a message for a person (device text is kept, trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: ErrorKind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// The result of one command on one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResult {
    pub command: String,
    /// The prompt the command was sent at, e.g. `R1#` (for the book-style header).
    pub prompt: String,
    /// Output with the echo and the trailing prompt removed, `\n` line ends (invalid UTF-8 as
    /// U+FFFD: the bytes are in `output_bytes` then).
    pub output: String,
    /// The output's bytes, only when they are not valid UTF-8, so text and `--save` files keep
    /// them as the device sent them and JSON carries them without loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_bytes: Option<Vec<u8>>,
    /// False when the device rejected the command (its message is in `output`).
    pub ok: bool,
    /// When the command was sent, microseconds since the run began (stamped by the dialogue from
    /// the `now` it was given).
    pub start_us: u64,
    /// From sending the command to seeing the prompt again, microseconds (stamped likewise).
    pub duration_us: u64,
    /// The output parsed into records (`--parse textfsm`), filled in by the worker that ran the
    /// session; `None` when no parsing was asked for or the device rejected the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse: Option<ParseResult>,
}

/// One command's output as TextFSM parsed it: the template(s) used, and the records, or why
/// there are none. A failure here never hides: it is reported per command and counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseResult {
    /// The template file(s) used (several joined by `:`, as the index lists them); empty when
    /// no template was found.
    pub template: String,
    pub ok: bool,
    pub error: Option<String>,
    /// The records' field names, lower-case (as Netmiko and ntc_templates return them), in the
    /// template's order.
    pub header: Vec<String>,
    /// One row per record, one field per header name.
    pub rows: Vec<Vec<Field>>,
}

/// A record's field: text, or a list for a TextFSM `List` value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Field {
    Text(String),
    List(Vec<String>),
}

/// What a config push did on one device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigResult {
    /// The lines sent, in plan order (`lines[i]` is plan line `i`).
    pub lines: Vec<ConfigLineResult>,
    /// Index of the first line the device rejected, or of the line in flight when the session
    /// broke.
    pub failed_line: Option<usize>,
    /// Lines never sent: an earlier one was rejected, or the session broke before them.
    pub skipped: Vec<String>,
    /// The line sent without its reply seen when the session broke (the device may or may not
    /// have applied it): at most one.
    #[serde(default)]
    pub in_flight: Vec<String>,
    /// The commit, on platforms whose config mode holds a candidate (Junos, IOS-XR): every push
    /// not stopped by a rejected line ends with one; `ok` false fails the host.
    #[serde(default)]
    pub commit: Option<SaveResult>,
    /// What threw the uncommitted candidate away after a rejected line or a failed commit
    /// (`rollback 0`, `abort`), so that no device is left with uncommitted changes.
    #[serde(default)]
    pub discard: Option<SaveResult>,
    /// `Some` when a save was asked for and attempted (or, where the platform has nothing to
    /// run, what it does instead: `command` empty or the commit, `reply` saying so).
    pub save: Option<SaveResult>,
    /// The running-config before and after the push (`diff`), with the profile's volatile lines
    /// (`Building configuration...`, `Current configuration : N bytes`, change timestamps)
    /// removed, so the two differ only where the configuration does. `None` when no diff was
    /// asked for, the profile has no show-config command, or the session ended before.
    pub before: Option<String>,
    pub after: Option<String>,
    /// The prompt the session ended at, e.g. `R1#`: config mode was left when it is not a
    /// config prompt. Empty when the session broke before the end.
    pub final_prompt: String,
}

impl ConfigResult {
    /// The lines the device accepted.
    pub fn applied(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().filter(|l| l.ok).map(|l| l.line.as_str())
    }

    /// The host's failure, if a line was rejected, the commit or the save failed: kind
    /// `Command`, naming the line (1-based, as a person counts) or the command and quoting the
    /// device's message, and saying how the candidate was discarded when it was.
    pub fn failure(&self) -> Option<Failure> {
        let discarded = match &self.discard {
            Some(discard) => format!(" (candidate discarded with '{}')", discard.command),
            None => String::new(),
        };
        if let Some(index) = self.failed_line {
            let line = &self.lines[index];
            return Some(Failure::new(
                ErrorKind::Command,
                format!(
                    "config line {} '{}' rejected: {}{discarded}",
                    index + 1,
                    line.line,
                    device_message(&line.reply)
                ),
            ));
        }
        if let Some(commit) = self.commit.as_ref().filter(|c| !c.ok) {
            return Some(Failure::new(
                ErrorKind::Command,
                format!(
                    "'{}' failed: {}{discarded}",
                    commit.command,
                    device_message(&commit.reply)
                ),
            ));
        }
        let save = self.save.as_ref().filter(|s| !s.ok)?;
        Some(Failure::new(
            ErrorKind::Command,
            format!("'{}' failed: {}", save.command, device_message(&save.reply)),
        ))
    }
}

/// The device's words in a reply: its lines without the caret marker line, joined.
fn device_message(reply: &str) -> String {
    let words: Vec<&str> = reply
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "^")
        .collect();
    if words.is_empty() {
        "no reply".to_string()
    } else {
        words.join(" ")
    }
}

/// One config line as the device answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigLineResult {
    pub line: String,
    /// The prompt the line was sent at, e.g. `R1(config)#` (for `R1(config)#logging 10.5.5.5`).
    pub prompt: String,
    /// What the device printed between the echo and the next prompt (usually nothing).
    pub reply: String,
    /// False when the reply matched one of the profile's error patterns.
    pub ok: bool,
    /// From sending the line to seeing the next prompt, microseconds (stamped by the dialogue).
    pub duration_us: u64,
}

/// The save command as the device answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveResult {
    pub command: String,
    /// The reply, confirmation questions included.
    pub reply: String,
    /// True when the reply has the profile's success text and no error pattern.
    pub ok: bool,
}

/// Who ran a job: the thread, process and (async) task. Shown in `-v` logs and JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worker {
    /// Thread name (`main`, `netrun-worker-3`).
    pub thread: String,
    pub pid: u32,
    /// Tokio task id under the async strategy.
    pub task: Option<u64>,
    /// True in a worker process made by the fork strategy: logs then name the pid.
    pub forked: bool,
}

impl Worker {
    /// The current thread and process, with no task.
    pub fn current() -> Self {
        Worker {
            thread: std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_string(),
            pid: std::process::id(),
            task: None,
            forked: false,
        }
    }

    /// The label the book's log lines start with: thread name, `pid-N` for fork workers, `task-N`
    /// for async tasks.
    pub fn label(&self) -> String {
        match (self.task, self.forked) {
            (Some(id), _) => format!("task-{id}"),
            (None, true) => format!("pid-{}", self.pid),
            (None, false) => self.thread.clone(),
        }
    }
}

/// Per-phase durations of a session, microseconds. Start offsets are from the run's start, so a
/// timeline can place every host's bars on one axis.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    /// When the session started, microseconds since the run began.
    pub start_us: u64,
    /// TCP connect.
    pub connect_us: u64,
    /// SSH handshake + authentication, or Telnet login, up to the first prompt.
    pub auth_us: u64,
    /// Whole session, connect to disconnect.
    pub total_us: u64,
}

/// Everything netrun learned from one host. Exactly one per job, whatever the strategy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub index: usize,
    pub name: String,
    pub host: String,
    pub port: u16,
    /// The prompt seen after login, e.g. `R1#`; empty if never reached.
    pub prompt: String,
    pub commands: Vec<CommandResult>,
    /// What a config push did; `None` for show jobs and hosts that never got that far.
    pub config: Option<Box<ConfigResult>>,
    /// `None` when every step succeeded.
    pub failure: Option<Failure>,
    /// The SSH host key the device showed and what the check made of it; `None` for Telnet and
    /// hosts that never got that far.
    #[serde(default)]
    pub host_key: Option<crate::hostkeys::HostKeySeen>,
    pub timings: Timings,
    pub worker: Worker,
    /// The failures of earlier attempts (`--retries`), oldest first; empty when the first
    /// attempt is this outcome.
    #[serde(default)]
    pub retried: Vec<Failure>,
}

impl Outcome {
    /// This outcome, after the failed attempts `retried`.
    pub fn retried(self, retried: Vec<Failure>) -> Outcome {
        Outcome { retried, ..self }
    }

    /// An outcome for a job that produced nothing (e.g. its worker died), failed with `failure`.
    pub fn failed(job: &Job, failure: Failure, worker: Worker) -> Self {
        Outcome {
            index: job.index,
            name: job.host.name.clone(),
            host: job.host.host.clone(),
            port: job.host.port,
            prompt: String::new(),
            commands: Vec::new(),
            config: None,
            failure: Some(failure),
            host_key: None,
            timings: Timings::default(),
            worker,
            retried: Vec::new(),
        }
    }

    pub fn ok(&self) -> bool {
        self.failure.is_none()
    }
}

/// What happened during a session, for `-v` logs and the progress bar. Crosses fork pipes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub worker: Worker,
    /// Wall-clock time, microseconds since the Unix epoch (the book's logs print local time).
    pub at_us: u64,
    pub index: usize,
    pub kind: EventKind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum EventKind {
    /// Opening the connection to `addr` (`host:port`).
    Connecting { addr: String },
    /// Logged in, first prompt seen.
    LoggedIn { prompt: String },
    /// A command was sent.
    Sent { command: String },
    /// A command's output was received up to the prompt.
    Received { command: String },
    /// The host is finished (ok or not).
    Finished { ok: bool },
}

/// Receives events as they happen. Implementations must be cheap and never block for long.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: Event);
}

/// A sink that drops everything.
pub struct NoEvents;

impl EventSink for NoEvents {
    fn emit(&self, _event: Event) {}
}

/// Microseconds since the Unix epoch, for event stamps.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fork strategy sends jobs to its workers as JSON: a secret must arrive whole there,
    /// while everything that serialises it for a person shows `***`.
    #[test]
    fn a_secret_is_hidden_when_shown_and_read_back_whole() {
        let secret = Secret::new("s3cret");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"***\"");
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
        let read: Secret = serde_json::from_str("\"s3cret\"").unwrap();
        assert_eq!(read, secret);
        assert_eq!(read.expose(), "s3cret");
        assert!(Secret::default().is_empty());
    }
}
