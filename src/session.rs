//! The session driver: one `Job` in, one `Outcome` out. It connects a transport, pumps the sans-IO
//! `Dialogue` over it, times each phase and reports `Event`s.
//!
//! The blocking and async drivers share `Conversation` — the plan, the timings, the events and
//! how an I/O result feeds the dialogue — and differ only in their I/O calls. Every receive waits
//! against the operation deadline (the host's `timeout`), which restarts at each send; an expired
//! deadline fails the host with `Dialogue::timeout_failure` (what was awaited, what was last seen).
//! Nothing here sleeps: it reads until the device's prompt.

use std::sync::Arc;
use std::time::Instant;

use crate::dialogue::{platform, Action, Dialogue, DialogueEvent, Plan, Results};
use crate::job::{
    now_us, CommandResult, ConfigLineResult, ConfigResult, ErrorKind, Event, EventKind, EventSink,
    Failure, Job, Outcome, Task, Timings, TransportKind, Worker,
};
use crate::strategy::{JobRunner, LocalFuture};
use crate::transport::ssh::SshShell;
use crate::transport::ssh_async::AsyncSshShell;
use crate::transport::telnet::{AsyncTelnetShell, TelnetShell};
use crate::transport::{
    address, tcp_connect, tcp_connect_async, AsyncChannel, Channel, Received, TransportError,
};

/// Bytes read per receive.
const READ_CHUNK: usize = 16 * 1024;
/// The most a polite close (SSH channel close + disconnect) may take.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);
/// The most of a device's error message quoted in a failure.
const MESSAGE_LIMIT: usize = 200;

/// Runs jobs as real sessions. Start offsets in `Timings` are measured from `epoch`.
pub struct SessionRunner {
    epoch: Instant,
}

impl SessionRunner {
    pub fn new(epoch: Instant) -> Self {
        // Compile the platform profiles' patterns now: forked workers then inherit them instead
        // of each compiling its own copy, and no host's timings include the work.
        let _ = platform::profile_names();
        SessionRunner { epoch }
    }
}

impl JobRunner for SessionRunner {
    fn run_blocking(&self, job: &Job, worker: Worker, events: &dyn EventSink) -> Outcome {
        let mut conversation = Conversation::new(job, worker, events, self.epoch);
        let result = drive_blocking(&mut conversation);
        conversation.finish(result)
    }

    fn run_async(
        &self,
        job: Job,
        worker: Worker,
        events: Arc<dyn EventSink>,
    ) -> LocalFuture<Outcome> {
        let epoch = self.epoch;
        Box::pin(async move {
            let mut conversation = Conversation::new(&job, worker, events.as_ref(), epoch);
            let result = drive_async(&mut conversation).await;
            conversation.finish(result)
        })
    }
}

/// Connect, log in and pump the dialogue, blocking.
fn drive_blocking(conversation: &mut Conversation) -> Result<Results, Failure> {
    let dialogue = conversation.dialogue()?;
    let host = &conversation.job.host;
    conversation.connecting();
    let stream = tcp_connect(host, conversation.deadline())?;
    conversation.connected();
    match host.transport {
        TransportKind::Ssh => {
            let shell = SshShell::open(stream, host, conversation.deadline())?;
            pump_blocking(conversation, dialogue, shell)
        }
        TransportKind::Telnet => pump_blocking(conversation, dialogue, TelnetShell::new(stream)),
    }
}

/// Pump `dialogue` over an open channel until it finishes, then close the channel.
fn pump_blocking(
    conversation: &mut Conversation,
    mut dialogue: Dialogue,
    mut shell: impl Channel,
) -> Result<Results, Failure> {
    let finished = converse_blocking(conversation, &mut dialogue, &mut shell);
    shell.close(conversation.close_deadline());
    finished.map(|()| dialogue.into_results())
}

/// Move bytes between the dialogue and the channel until the dialogue is done or failed.
fn converse_blocking(
    conversation: &mut Conversation,
    dialogue: &mut Dialogue,
    shell: &mut impl Channel,
) -> Result<(), Failure> {
    let mut buffer = vec![0u8; READ_CHUNK];
    let mut deadline = conversation.deadline();
    // Each receive waits against a deadline that only a send restarts, and the dialogue sends
    // only in answer to input, so the loop is bounded in time.
    loop {
        match conversation.next(dialogue) {
            Next::Send(bytes) => {
                deadline = conversation.deadline();
                let sent = shell.send(&bytes, deadline);
                conversation.sent(dialogue, sent)?;
            }
            Next::Receive => {
                let received = shell.recv(&mut buffer, deadline);
                conversation.received(dialogue, received, &buffer)?;
            }
            Next::Done => return Ok(()),
            Next::Failed(failure) => return Err(failure),
        }
    }
}

/// `drive_blocking` with awaits.
async fn drive_async(conversation: &mut Conversation<'_>) -> Result<Results, Failure> {
    let dialogue = conversation.dialogue()?;
    let host = &conversation.job.host;
    conversation.connecting();
    let stream = tcp_connect_async(host, conversation.deadline()).await?;
    conversation.connected();
    match host.transport {
        TransportKind::Ssh => {
            let shell = AsyncSshShell::open(stream, host, conversation.deadline()).await?;
            pump_async(conversation, dialogue, shell).await
        }
        TransportKind::Telnet => {
            pump_async(conversation, dialogue, AsyncTelnetShell::new(stream)).await
        }
    }
}

/// `pump_blocking` with awaits.
async fn pump_async(
    conversation: &mut Conversation<'_>,
    mut dialogue: Dialogue,
    mut shell: impl AsyncChannel,
) -> Result<Results, Failure> {
    let finished = converse_async(conversation, &mut dialogue, &mut shell).await;
    shell.close(conversation.close_deadline()).await;
    finished.map(|()| dialogue.into_results())
}

/// `converse_blocking` with awaits.
async fn converse_async(
    conversation: &mut Conversation<'_>,
    dialogue: &mut Dialogue,
    shell: &mut impl AsyncChannel,
) -> Result<(), Failure> {
    let mut buffer = vec![0u8; READ_CHUNK];
    let mut deadline = conversation.deadline();
    loop {
        match conversation.next(dialogue) {
            Next::Send(bytes) => {
                deadline = conversation.deadline();
                let sent = shell.send(&bytes, deadline).await;
                conversation.sent(dialogue, sent)?;
            }
            Next::Receive => {
                let received = shell.recv(&mut buffer, deadline).await;
                conversation.received(dialogue, received, &buffer)?;
            }
            Next::Done => return Ok(()),
            Next::Failed(failure) => return Err(failure),
        }
    }
}

/// What a driver does next (the dialogue's `Action`s minus the events, which `Conversation`
/// handles itself).
enum Next {
    Send(Vec<u8>),
    Receive,
    Done,
    Failed(Failure),
}

/// Everything about one session except its I/O: plan, timings, events, the outcome.
struct Conversation<'a> {
    job: &'a Job,
    worker: Worker,
    events: &'a dyn EventSink,
    started: Instant,
    /// When the TCP connect began.
    connecting_at: Instant,
    connected: Option<Instant>,
    timings: Timings,
    /// The prompt seen at login, kept for a host that fails later.
    prompt: String,
    /// When the command in flight was sent.
    sent_at: Option<Instant>,
    /// Commands completed so far, durations filled in.
    done: Vec<CommandResult>,
    /// Config lines answered so far, durations filled in.
    config_done: Vec<ConfigLineResult>,
}

impl<'a> Conversation<'a> {
    fn new(job: &'a Job, worker: Worker, events: &'a dyn EventSink, epoch: Instant) -> Self {
        let started = Instant::now();
        Conversation {
            job,
            worker,
            events,
            started,
            connecting_at: started,
            connected: None,
            timings: Timings {
                start_us: micros(started.saturating_duration_since(epoch)),
                ..Timings::default()
            },
            prompt: String::new(),
            sent_at: None,
            done: Vec::new(),
            config_done: Vec::new(),
        }
    }

    /// The dialogue for this job's platform and task.
    fn dialogue(&self) -> Result<Dialogue, Failure> {
        let host = &self.job.host;
        let profile = platform::profile(&host.platform).ok_or_else(|| {
            Failure::new(
                ErrorKind::Protocol,
                format!("no dialogue profile for platform '{}'", host.platform),
            )
        })?;
        let (commands, config) = match &self.job.task {
            Task::Show { commands } => (commands.clone(), None),
            Task::Config(plan) => (Vec::new(), Some(plan.clone())),
        };
        let login = match host.transport {
            TransportKind::Ssh => None,
            TransportKind::Telnet => Some((host.username.clone(), host.password.clone())),
        };
        Ok(Dialogue::new(
            profile,
            Plan {
                login,
                enable_secret: host.secret.clone(),
                commands,
                config,
            },
        ))
    }

    /// A fresh operation deadline.
    fn deadline(&self) -> Instant {
        Instant::now() + self.job.host.timeout
    }

    /// How long closing the session may take: a short grace, never more than the host's timeout.
    fn close_deadline(&self) -> Instant {
        Instant::now() + self.job.host.timeout.min(CLOSE_GRACE)
    }

    /// Announce the connection.
    fn connecting(&mut self) {
        self.connecting_at = Instant::now();
        let host = &self.job.host;
        self.emit(EventKind::Connecting {
            addr: address(&host.host, host.port),
        });
    }

    fn connected(&mut self) {
        let now = Instant::now();
        self.timings.connect_us = micros(now - self.connecting_at);
        self.connected = Some(now);
    }

    /// The dialogue's next action, noting its events on the way.
    fn next(&mut self, dialogue: &mut Dialogue) -> Next {
        loop {
            match dialogue.poll_action() {
                Action::Event(event) => self.note(event),
                Action::Send(bytes) => return Next::Send(bytes),
                Action::Receive => return Next::Receive,
                Action::Done => return Next::Done,
                Action::Failed(failure) => return Next::Failed(failure),
            }
        }
    }

    fn note(&mut self, event: DialogueEvent) {
        match event {
            DialogueEvent::LoggedIn { prompt } => {
                let since = self.connected.unwrap_or(self.started);
                self.timings.auth_us = micros(since.elapsed());
                self.prompt = prompt.clone();
                self.emit(EventKind::LoggedIn { prompt });
            }
            DialogueEvent::CommandSent { command, .. } => {
                self.sent_at = Some(Instant::now());
                self.emit(EventKind::Sent { command });
            }
            DialogueEvent::CommandDone { mut result, .. } => {
                if let Some(sent_at) = self.sent_at.take() {
                    result.start_us = self.timings.start_us + micros(sent_at - self.started);
                    result.duration_us = micros(sent_at.elapsed());
                }
                self.emit(EventKind::Received {
                    command: result.command.clone(),
                });
                self.done.push(result);
            }
            DialogueEvent::ConfigLineSent { line, .. } => {
                self.sent_at = Some(Instant::now());
                self.emit(EventKind::Sent { command: line });
            }
            DialogueEvent::ConfigLineDone { mut result, .. } => {
                result.duration_us = self.sent_at.take().map_or(0, |t| micros(t.elapsed()));
                self.emit(EventKind::Received {
                    command: result.line.clone(),
                });
                self.config_done.push(result);
            }
            DialogueEvent::Saved { result } => self.emit(EventKind::Received {
                command: result.command,
            }),
        }
    }

    /// The result of a send: a timeout is reported as what the dialogue was waiting for, a lost
    /// connection as the device closing it (so the failure says what was last seen).
    fn sent(
        &self,
        dialogue: &mut Dialogue,
        sent: Result<(), TransportError>,
    ) -> Result<(), Failure> {
        match sent {
            Err(err) if err.kind == ErrorKind::Closed => dialogue.handle_eof(),
            other => other.map_err(|err| io_failure(dialogue, err))?,
        }
        Ok(())
    }

    /// Feed a receive's result to the dialogue.
    fn received(
        &self,
        dialogue: &mut Dialogue,
        received: Result<Received, TransportError>,
        buffer: &[u8],
    ) -> Result<(), Failure> {
        match received {
            Ok(Received::Data(n)) => dialogue.handle_input(&buffer[..n]),
            Ok(Received::Eof) => dialogue.handle_eof(),
            Err(err) if err.kind == ErrorKind::Closed => dialogue.handle_eof(),
            Err(err) => return Err(io_failure(dialogue, err)),
        }
        Ok(())
    }

    fn emit(&self, kind: EventKind) {
        self.events.emit(Event {
            worker: self.worker.clone(),
            at_us: now_us(),
            index: self.job.index,
            kind,
        });
    }

    /// The host's `Outcome`; a command the device rejected fails the host with `Command`.
    fn finish(self, result: Result<Results, Failure>) -> Outcome {
        let (prompt, commands, config, failure) = match result {
            Ok(Results {
                prompt,
                mut commands,
                mut config,
            }) => {
                for (command, timed) in commands.iter_mut().zip(&self.done) {
                    command.start_us = timed.start_us;
                    command.duration_us = timed.duration_us;
                }
                if let Some(config) = &mut config {
                    for (line, timed) in config.lines.iter_mut().zip(&self.config_done) {
                        line.duration_us = timed.duration_us;
                    }
                }
                let failure = rejected_commands(&commands)
                    .or_else(|| config.as_ref().and_then(|c| c.failure()));
                (prompt, commands, config, failure)
            }
            Err(failure) => {
                // What was applied before the session broke still matters to the operator.
                let config = matches!(self.job.task, Task::Config(_)).then(|| {
                    Box::new(ConfigResult {
                        lines: self.config_done.clone(),
                        ..ConfigResult::default()
                    })
                });
                (
                    self.prompt.clone(),
                    self.done.clone(),
                    config,
                    Some(failure),
                )
            }
        };
        self.emit(EventKind::Finished {
            ok: failure.is_none(),
        });
        let host = &self.job.host;
        Outcome {
            index: self.job.index,
            name: host.name.clone(),
            host: host.host.clone(),
            port: host.port,
            prompt,
            commands,
            config,
            failure,
            timings: Timings {
                total_us: micros(self.started.elapsed()),
                ..self.timings.clone()
            },
            worker: self.worker.clone(),
        }
    }
}

/// A transport error during the dialogue; a timeout says what the dialogue awaited.
fn io_failure(dialogue: &Dialogue, err: TransportError) -> Failure {
    match err.kind {
        ErrorKind::Timeout => dialogue.timeout_failure(),
        _ => err.into(),
    }
}

/// `Command` failure naming each rejected command and the device's message, if any.
fn rejected_commands(commands: &[CommandResult]) -> Option<Failure> {
    let rejected: Vec<String> = commands
        .iter()
        .filter(|c| !c.ok)
        .map(|c| {
            // The device's `% ...` line, else its first line (the `^` marker line comes first).
            let mut lines = c.output.lines().map(str::trim).filter(|l| !l.is_empty());
            let message = lines
                .clone()
                .find(|l| l.starts_with('%'))
                .or_else(|| lines.next())
                .unwrap_or("");
            format!(
                "`{}` failed: {}",
                c.command,
                truncate(message, MESSAGE_LIMIT)
            )
        })
        .collect();
    (!rejected.is_empty()).then(|| Failure::new(ErrorKind::Command, rejected.join("; ")))
}

/// At most `limit` bytes of `text`, cut on a character boundary.
fn truncate(text: &str, limit: usize) -> &str {
    let end = (0..=limit.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    &text[..end]
}

fn micros(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::testing::{jobs, EventLog};

    fn command(command: &str, output: &str, ok: bool) -> CommandResult {
        CommandResult {
            command: command.into(),
            prompt: "R1#".into(),
            output: output.into(),
            ok,
            start_us: 0,
            duration_us: 0,
        }
    }

    #[test]
    fn rejected_commands_name_the_command_and_the_device_message() {
        let commands = [
            command("show version", "Cisco IOS", true),
            command(
                "show foo",
                "        ^\n% Invalid input detected at '^' marker.\n",
                false,
            ),
        ];
        let failure = rejected_commands(&commands).unwrap();
        assert_eq!(failure.kind, ErrorKind::Command);
        assert_eq!(
            failure.message,
            "`show foo` failed: % Invalid input detected at '^' marker."
        );
        assert!(rejected_commands(&commands[..1]).is_none());
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("abc", 10), "abc");
    }

    #[test]
    fn a_refused_host_fails_with_connect_and_reports_its_events() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut job = jobs(1).remove(0);
        job.host.port = port;
        let events = EventLog::default();
        let outcome =
            SessionRunner::new(Instant::now()).run_blocking(&job, Worker::current(), &events);
        assert_eq!(
            outcome.failure.as_ref().map(|f| f.kind),
            Some(ErrorKind::Connect)
        );
        let kinds: Vec<String> = events
            .0
            .into_inner()
            .unwrap()
            .iter()
            .map(|e| format!("{:?}", e.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                format!("Connecting {{ addr: \"127.0.0.1:{port}\" }}"),
                "Finished { ok: false }".to_string()
            ]
        );
    }

    #[test]
    fn a_silent_server_times_out_in_the_handshake() {
        // Accepts the connection and never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut job = jobs(1).remove(0);
        job.host.port = listener.local_addr().unwrap().port();
        job.host.timeout = std::time::Duration::from_millis(300);
        let outcome = SessionRunner::new(Instant::now()).run_blocking(
            &job,
            Worker::current(),
            &crate::job::NoEvents,
        );
        let failure = outcome.failure.unwrap();
        assert_eq!(failure.kind, ErrorKind::Timeout, "{failure}");
        assert!(failure.message.contains("handshake"), "{failure}");
        drop(listener);
    }
}
