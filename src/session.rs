//! The session driver: one `Job` in, one `Outcome` out. It connects a transport (the socket
//! comes from `transport::reach`: TCP, a jump host or a ProxyCommand), opens the
//! channel, then moves bytes between the channel and the sans-IO `Dialogue`, waking when the
//! dialogue says (`poll_timeout`), and times the phases before it (connect, login).
//!
//! The blocking and async drivers share `Session` — the job, the timings, the events, what to do
//! next (`Session::next_io`) and how an I/O result feeds the dialogue (`feed_sent`,
//! `feed_received`) — and differ only in their I/O calls. The dialogue owns the conversation's
//! clock: it sets each operation's deadline (the host's `timeout` as an idle timeout, restarted
//! at each send and each byte received, and `--command-timeout` per command), fails the host
//! when it passes, and stamps each command itself. The driver bounds only what comes
//! before the dialogue (TCP connect, SSH handshake and authentication) and the close after it.
//! Nothing here sleeps: it reads until the device's prompt.

use std::os::fd::BorrowedFd;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::dialogue::{platform, Clock, Dialogue, DialogueEvent, Ended, Plan, Profile, Results};
use crate::hostkeys::{HostKeySeen, KnownHosts};
use crate::job::{
    now_us, CommandResult, ConfigResult, ErrorKind, Event, EventKind, EventSink, Failure, Job,
    Outcome, Secret, Task, Timings, TransportKind, Worker,
};
use crate::os::StopSource;
use crate::parse::Parser;
use crate::session_log::SessionLog;
use crate::strategy::{stop, JobRunner, LocalFuture};
use crate::transport::ssh::SshHandshake;
use crate::transport::ssh_async::AsyncSshHandshake;
use crate::transport::telnet::{AsyncTelnetShell, TelnetShell};
use crate::transport::{address, reach, AsyncChannel, Channel, Received, TransportError};

/// Bytes read per receive. An async session holds its buffer while it waits, so this is part of
/// the memory of every session in flight (README, "Memory per session in flight"); a larger
/// reply takes more reads, which libssh2 serves from what it has already decrypted.
const READ_CHUNK: usize = 4 * 1024;
/// The most a polite close (SSH channel close + disconnect) may take.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// The most of a device's error message quoted in a failure.
const MESSAGE_LIMIT: usize = 200;

/// Runs jobs as real sessions. Start offsets in `Timings` are measured from `epoch`; SSH host
/// keys are checked against `known_hosts` (read before any fork, so workers inherit it).
pub struct SessionRunner {
    epoch: Instant,
    known_hosts: Arc<KnownHosts>,
    /// `--parse`: outputs are parsed here, in the worker that ran the session.
    parser: Option<Arc<Parser>>,
    /// `--session-log DIR`: each host's session written to DIR/<name>.log.
    session_log: Option<PathBuf>,
}

impl SessionRunner {
    pub fn new(epoch: Instant, known_hosts: Arc<KnownHosts>, parser: Option<Arc<Parser>>) -> Self {
        SessionRunner {
            epoch,
            known_hosts,
            parser,
            session_log: None,
        }
    }

    /// Compiles the patterns of the profiles `jobs` use, and only those: forked workers then
    /// inherit them instead of each compiling its own copy, and no host's timings include the
    /// work.
    pub fn with_profiles_of(self, jobs: &[Job]) -> Self {
        for job in jobs {
            let _ = platform::profile(&job.host.platform);
        }
        self
    }

    /// Also log every host's session, raw and masked, to `dir/<name>.log`.
    pub fn with_session_log(mut self, dir: Option<PathBuf>) -> Self {
        self.session_log = dir;
        self
    }

    /// The host's session log, created now; a file that cannot be created is said on stderr and
    /// the session runs without one.
    fn open_log(&self, job: &Job) -> Option<SessionLog> {
        let dir = self.session_log.as_deref()?;
        SessionLog::create(dir, &job.host)
            .inspect_err(|err| {
                eprintln!(
                    "netrun: warning: {}: no session log in {}: {err}",
                    job.host.name,
                    dir.display()
                );
            })
            .ok()
    }
}

impl JobRunner for SessionRunner {
    fn run_blocking(
        &self,
        job: &Job,
        worker: Worker,
        events: &dyn EventSink,
        stop: Option<&'static StopSource>,
    ) -> Outcome {
        let mut retried = Vec::new();
        let mut log = self.open_log(job);
        loop {
            let mut session = Session::new(job, worker.clone(), events, self.epoch);
            session.log = log.take();
            let ended = drive_blocking(&mut session, &self.known_hosts, Winding::new(stop))
                .unwrap_or_else(not_started);
            match retry(job, &ended, retried.len()) {
                Some(failure) if pause_blocking(job.host.limits.retry_delay, stop) => {
                    // One log per host: the next attempt goes on writing it.
                    log = session.log.take();
                    retried.push(failure);
                }
                _ => {
                    return session
                        .finish(ended, self.parser.as_deref())
                        .retried(retried)
                }
            }
        }
    }

    fn run_async(
        &self,
        job: Job,
        worker: Worker,
        events: Arc<dyn EventSink>,
    ) -> LocalFuture<Outcome> {
        let epoch = self.epoch;
        let known_hosts = self.known_hosts.clone();
        let parser = self.parser.clone();
        let log = self.open_log(&job);
        Box::pin(async move {
            let mut retried = Vec::new();
            let mut log = log;
            loop {
                let mut session = Session::new(&job, worker.clone(), events.as_ref(), epoch);
                session.log = log.take();
                let ended = drive_async(&mut session, &known_hosts)
                    .await
                    .unwrap_or_else(not_started);
                match retry(&job, &ended, retried.len()) {
                    // A stop cancels the task at this await (the async strategy's way).
                    Some(failure) => {
                        tokio::time::sleep(job.host.limits.retry_delay).await;
                        log = session.log.take();
                        retried.push(failure);
                    }
                    None => return session.finish(ended, parser.as_deref()).retried(retried),
                }
            }
        })
    }
}

/// The failure to retry, when `ended` failed before login (nothing but the login was sent) with
/// `connect`, `timeout` or `closed`, and `--retries` allows another attempt after `done`.
fn retry(job: &Job, ended: &Ended, done: usize) -> Option<Failure> {
    let failure = ended.failure.as_ref()?;
    let retryable = matches!(
        failure.kind,
        ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Closed
    );
    let before_login = ended.results.logged_in_at.is_none();
    let allowed = done < usize::try_from(job.host.limits.retries).unwrap_or(usize::MAX);
    (retryable && before_login && allowed).then(|| failure.clone())
}

/// The pause before another attempt; `false` when a stop signal came (no attempt then).
fn pause_blocking(delay: Duration, stop: Option<&'static StopSource>) -> bool {
    match stop {
        Some(stop) if stop::requested(stop) => false,
        Some(stop) => {
            // Readable means the signal came; an error means the wait cannot watch for it, and
            // then no further attempt is the safe side.
            matches!(
                crate::os::readable_before(stop.watch(), Instant::now() + delay),
                Ok(false)
            )
        }
        None => {
            std::thread::sleep(delay);
            true
        }
    }
}

/// Connect and open the channel, blocking, then pump the dialogue over it. `Err` is a failure
/// before the dialogue began. A host key scan ends after the SSH key exchange.
fn drive_blocking(
    session: &mut Session,
    known_hosts: &KnownHosts,
    winding: Winding,
) -> Result<Ended, Failure> {
    let profile = session.profile()?;
    let host = &session.job.host;
    session.connecting();
    Ok(match host.transport {
        TransportKind::Ssh => {
            // The carrier (a jump host's tunnel, a ProxyCommand) outlives the shell on it.
            let (socket, mut carrier) =
                reach::connect(host, known_hosts, session.setup_deadline())?;
            session.connected();
            let (handshake, seen) =
                SshHandshake::new(socket, host, known_hosts, session.setup_deadline())
                    .map_err(|err| carrier.explain(err))?;
            session.host_key = Some(seen);
            if session.scan_only() {
                handshake.disconnect(session.close_deadline());
                return Ok(scanned());
            }
            let shell = handshake
                .open_shell(host, session.setup_deadline())
                .map_err(|err| carrier.explain(err))?;
            pump_blocking(session, profile, shell, winding)
        }
        TransportKind::Telnet if session.scan_only() => return Err(no_host_key()),
        TransportKind::Telnet => {
            let (socket, _carrier) = reach::connect(host, known_hosts, session.setup_deadline())?;
            session.connected();
            pump_blocking(session, profile, TelnetShell::new(socket), winding)
        }
    })
}

/// A scan that reached the host key: nothing else to do.
fn scanned() -> Ended {
    Ended {
        results: Results::default(),
        failure: None,
    }
}

/// Telnet has no host key to scan.
fn no_host_key() -> Failure {
    Failure::new(
        ErrorKind::Protocol,
        "Telnet has no host key: nothing to record (only SSH devices have one)",
    )
}

/// Run a dialogue over an open channel until it ends, then close the channel.
fn pump_blocking(
    session: &mut Session,
    profile: &'static Profile,
    mut shell: impl Channel,
    mut winding: Winding,
) -> Ended {
    let mut dialogue = session.dialogue(profile);
    let mut buffer = vec![0u8; READ_CHUNK];
    // Each wait ends by the dialogue's deadline, which only a send or input restarts; the dialogue
    // sends only in answer to input, and holds at most `--max-output` bytes of it per reply, so
    // the loop ends (a device that never stops talking fails with `output-limit`).
    loop {
        match session.next_io(&mut dialogue) {
            Io::Send { bytes, deadline } => {
                let capped = winding.cap(deadline);
                match shell.send(&bytes, capped) {
                    Err(err) if winding.ended(&err, capped, deadline) => winding.end(&mut dialogue),
                    sent => {
                        session.record(&bytes, &sent);
                        feed_sent(&mut dialogue, sent, deadline);
                    }
                }
            }
            Io::Receive { deadline } => {
                let capped = winding.cap(deadline);
                match shell.recv(&mut buffer, capped, winding.wake()) {
                    Ok(Received::Woken) => winding.begin(Instant::now()),
                    Err(err) if winding.ended(&err, capped, deadline) => winding.end(&mut dialogue),
                    received => {
                        session.record_received(&received, &buffer);
                        feed_received(&mut dialogue, received, &buffer, deadline);
                    }
                }
            }
            Io::Finished => break,
        }
    }
    shell.close(session.close_deadline());
    dialogue.finish()
}

/// How a blocking session meets a stop signal: its waits also watch the stop source, and once it
/// fired the session goes on for the stop grace (its work may finish), then ends `interrupted`
/// and closes politely. (Async tasks are cancelled by their strategy instead; fork workers are
/// killed by their parent.)
struct Winding {
    source: Option<&'static StopSource>,
    /// When the grace ends, from the moment this session saw the stop.
    grace_ends: Option<Instant>,
}

impl Winding {
    fn new(source: Option<&'static StopSource>) -> Self {
        let mut winding = Winding {
            source,
            grace_ends: None,
        };
        if source.is_some_and(stop::requested) {
            winding.begin(Instant::now());
        }
        winding
    }

    /// The descriptor a wait should also watch: the stop source's, until the stop is seen (it
    /// stays readable afterwards, so watching it then would only spin).
    fn wake(&self) -> Option<BorrowedFd<'static>> {
        self.source
            .filter(|_| self.grace_ends.is_none())
            .map(StopSource::watch)
    }

    fn begin(&mut self, now: Instant) {
        self.grace_ends.get_or_insert(now + stop::GRACE);
    }

    /// `deadline`, or the grace's end if that comes first.
    fn cap(&self, deadline: Instant) -> Instant {
        self.grace_ends.map_or(deadline, |ends| ends.min(deadline))
    }

    /// Whether `err`, from a wait given `capped` instead of the dialogue's `deadline`, means the
    /// grace ran out (rather than the dialogue's own timeout).
    fn ended(&self, err: &TransportError, capped: Instant, deadline: Instant) -> bool {
        err.kind == ErrorKind::Timeout && capped < deadline
    }

    /// End the dialogue: the grace is over.
    fn end(&self, dialogue: &mut Dialogue) {
        let signal = self.source.and_then(StopSource::signal);
        dialogue.handle_error(Instant::now(), stop::interrupted_failure(signal));
    }
}

/// `drive_blocking` with awaits.
async fn drive_async(
    session: &mut Session<'_>,
    known_hosts: &KnownHosts,
) -> Result<Ended, Failure> {
    let profile = session.profile()?;
    let host = &session.job.host;
    session.connecting();
    Ok(match host.transport {
        TransportKind::Ssh => {
            let (socket, mut carrier) =
                reach::connect_async(host, known_hosts, session.setup_deadline()).await?;
            session.connected();
            let opened =
                match AsyncSshHandshake::new(socket, host, known_hosts, session.setup_deadline())
                    .await
                {
                    Ok((handshake, seen)) => {
                        session.host_key = Some(seen);
                        if session.scan_only() {
                            handshake.disconnect(session.close_deadline()).await;
                            carrier.finish().await;
                            return Ok(scanned());
                        }
                        handshake.open_shell(host, session.setup_deadline()).await
                    }
                    Err(err) => Err(err),
                };
            let shell = match opened {
                Ok(shell) => shell,
                Err(err) => {
                    let err = carrier.explain(err).await;
                    // A device that failed says nothing about its bastion: keep that.
                    carrier.finish().await;
                    return Err(err.into());
                }
            };
            let ended = pump_async(session, profile, shell).await;
            carrier.finish().await;
            ended
        }
        TransportKind::Telnet if session.scan_only() => return Err(no_host_key()),
        TransportKind::Telnet => {
            let (socket, carrier) =
                reach::connect_async(host, known_hosts, session.setup_deadline()).await?;
            session.connected();
            let ended = pump_async(session, profile, AsyncTelnetShell::new(socket)).await;
            carrier.finish().await;
            ended
        }
    })
}

/// `pump_blocking` with awaits.
async fn pump_async(
    session: &mut Session<'_>,
    profile: &'static Profile,
    mut shell: impl AsyncChannel,
) -> Ended {
    let mut dialogue = session.dialogue(profile);
    let mut buffer = vec![0u8; READ_CHUNK];
    loop {
        match session.next_io(&mut dialogue) {
            Io::Send { bytes, deadline } => {
                let sent = shell.send(&bytes, deadline).await;
                session.record(&bytes, &sent);
                feed_sent(&mut dialogue, sent, deadline);
            }
            Io::Receive { deadline } => {
                let received = shell.recv(&mut buffer, deadline).await;
                session.record_received(&received, &buffer);
                feed_received(&mut dialogue, received, &buffer, deadline);
            }
            Io::Finished => break,
        }
    }
    shell.close(session.close_deadline()).await;
    dialogue.finish()
}

/// The I/O a driver does next for the dialogue.
enum Io {
    /// Write `bytes` before `deadline`.
    Send { bytes: Vec<u8>, deadline: Instant },
    /// Wait for bytes until `deadline`.
    Receive { deadline: Instant },
    /// The dialogue is over and everything it queued was written.
    Finished,
}

/// Feed a send's result to the dialogue.
fn feed_sent(dialogue: &mut Dialogue, sent: Result<(), TransportError>, deadline: Instant) {
    if let Err(err) = sent {
        feed_error(dialogue, err, deadline);
    }
}

/// Feed a receive's result to the dialogue; `buffer` holds what was received.
fn feed_received(
    dialogue: &mut Dialogue,
    received: Result<Received, TransportError>,
    buffer: &[u8],
    deadline: Instant,
) {
    match received {
        Ok(Received::Data(n)) => dialogue.handle_input(Instant::now(), &buffer[..n]),
        Ok(Received::Eof) => dialogue.handle_eof(Instant::now()),
        // Only a blocking wait given a wake descriptor wakes, and its driver handles that.
        Ok(Received::Woken) => {}
        Err(err) => feed_error(dialogue, err, deadline),
    }
}

/// A lost connection is the device closing it and a timeout is the dialogue's deadline passing,
/// so the failure says what was awaited and last seen; anything else fails the host as it is.
fn feed_error(dialogue: &mut Dialogue, err: TransportError, deadline: Instant) {
    let now = Instant::now();
    match err.kind {
        ErrorKind::Closed => dialogue.handle_eof(now),
        // The transport gave up at the deadline it was given; libssh2 counts whole milliseconds,
        // so it may wake a little before it.
        ErrorKind::Timeout => dialogue.handle_timeout(now.max(deadline)),
        _ => dialogue.handle_error(now, err.into()),
    }
}

/// The end of a session that failed before its dialogue began.
fn not_started(failure: Failure) -> Ended {
    Ended {
        results: Results::default(),
        failure: Some(failure),
    }
}

/// Everything about one session except its I/O: the job, the phase timings, the events.
struct Session<'a> {
    job: &'a Job,
    worker: Worker,
    events: &'a dyn EventSink,
    epoch: Instant,
    started: Instant,
    /// When the TCP connect began.
    connecting_at: Instant,
    connected: Option<Instant>,
    timings: Timings,
    /// The host key the device showed and what the check made of it (SSH only).
    host_key: Option<HostKeySeen>,
    /// `--session-log`: this host's log file.
    log: Option<SessionLog>,
}

impl<'a> Session<'a> {
    fn new(job: &'a Job, worker: Worker, events: &'a dyn EventSink, epoch: Instant) -> Self {
        let started = Instant::now();
        Session {
            job,
            worker,
            events,
            epoch,
            started,
            connecting_at: started,
            connected: None,
            host_key: None,
            log: None,
            timings: Timings {
                start_us: micros(started.saturating_duration_since(epoch)),
                ..Timings::default()
            },
        }
    }

    /// The dialogue profile of this job's platform; a platform the inventory did not know
    /// fails the host with kind `platform`, before any connection.
    fn profile(&self) -> Result<&'static Profile, Failure> {
        let platform = &self.job.host.platform;
        if let Some(error) = &self.job.host.platform_error {
            return Err(Failure::new(ErrorKind::Platform, error.clone()));
        }
        platform::profile(platform).ok_or_else(|| {
            Failure::new(
                ErrorKind::Protocol,
                format!("no dialogue profile for platform '{platform}'"),
            )
        })
    }

    /// Whether the job only fetches the host key (`netrun known-hosts`).
    fn scan_only(&self) -> bool {
        matches!(self.job.task, Task::HostKeyScan)
    }

    /// The dialogue for this job's task, starting now (the channel is open).
    fn dialogue(&self, profile: &'static Profile) -> Dialogue {
        let host = &self.job.host;
        let (commands, answers, config) = match &self.job.task {
            Task::Show { commands, answers } => (commands.clone(), answers.clone(), None),
            Task::Config(plan) => (Vec::new(), Vec::new(), Some(plan.clone())),
            Task::HostKeyScan => (Vec::new(), Vec::new(), None),
        };
        let login = match host.transport {
            TransportKind::Ssh => None,
            TransportKind::Telnet => Some((host.username.clone(), host.password.clone())),
        };
        let plan = Plan {
            login,
            enable_secret: host.secret.clone(),
            commands,
            config,
            secrets: host.secret_values().into_iter().map(Secret::new).collect(),
            max_output: host.limits.max_output,
            answers,
        };
        let clock = Clock {
            epoch: self.epoch,
            now: Instant::now(),
            timeout: host.timeout,
            command_timeout: host.limits.command_timeout,
        };
        Dialogue::new(profile, plan, clock)
    }

    /// Log bytes sent to the device, once they were.
    fn record(&mut self, bytes: &[u8], sent: &Result<(), TransportError>) {
        if let (Some(log), Ok(())) = (&mut self.log, sent) {
            log.record(bytes);
        }
    }

    /// Log bytes the device sent.
    fn record_received(&mut self, received: &Result<Received, TransportError>, buffer: &[u8]) {
        if let (Some(log), Ok(Received::Data(n))) = (&mut self.log, received) {
            log.record(&buffer[..*n]);
        }
    }

    /// The deadline of a step before the dialogue (TCP connect, SSH handshake and login).
    fn setup_deadline(&self) -> Instant {
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

    /// What the driver does next for `dialogue`, after passing its events on.
    fn next_io(&self, dialogue: &mut Dialogue) -> Io {
        while let Some(event) = dialogue.poll_event() {
            self.note(event);
        }
        let Some(deadline) = dialogue.poll_timeout() else {
            return Io::Finished;
        };
        match dialogue.poll_transmit() {
            Some(bytes) => Io::Send { bytes, deadline },
            None => Io::Receive { deadline },
        }
    }

    /// A dialogue event as the `-v` log and the progress bar see it.
    fn note(&self, event: DialogueEvent) {
        let kind = match event {
            DialogueEvent::LoggedIn { prompt } => EventKind::LoggedIn { prompt },
            DialogueEvent::CommandSent { command, .. } => EventKind::Sent { command },
            DialogueEvent::ConfigLineSent { line, .. } => EventKind::Sent { command: line },
            DialogueEvent::CommandDone { result, .. } => EventKind::Received {
                command: result.command,
            },
            DialogueEvent::ConfigLineDone { result, .. } => EventKind::Received {
                command: result.line,
            },
            DialogueEvent::Saved { result } => EventKind::Received {
                command: result.command,
            },
        };
        self.emit(kind);
    }

    fn emit(&self, kind: EventKind) {
        self.events.emit(Event {
            worker: self.worker.clone(),
            at_us: now_us(),
            index: self.job.index,
            kind,
        });
    }

    /// The host's `Outcome`, its outputs parsed when `parser` is given; a command the device
    /// rejected fails the host with `Command`.
    fn finish(mut self, ended: Ended, parser: Option<&Parser>) -> Outcome {
        if let Some(log) = &mut self.log {
            log.finish();
        }
        let Ended { results, failure } = ended;
        let login_started = self.connected.unwrap_or(self.started);
        let auth_us = results
            .logged_in_at
            .map_or(0, |at| micros(at.saturating_duration_since(login_started)));
        let (config, failure) = match failure {
            None => {
                let failure = rejected_commands(&results.commands)
                    .or_else(|| results.config.as_ref().and_then(|c| c.failure()));
                (results.config, failure)
            }
            // What was applied before the session broke still matters to the operator.
            Some(failure) => {
                let config = matches!(self.job.task, Task::Config(_)).then(|| {
                    let pushed = results.config.map(|c| *c).unwrap_or_default();
                    Box::new(ConfigResult {
                        lines: pushed.lines,
                        failed_line: pushed.failed_line,
                        skipped: pushed.skipped,
                        in_flight: pushed.in_flight,
                        ..ConfigResult::default()
                    })
                });
                (config, Some(failure))
            }
        };
        let host = &self.job.host;
        let mut outcome = Outcome {
            index: self.job.index,
            name: host.name.clone(),
            host: host.host.clone(),
            port: host.port,
            prompt: results.prompt,
            commands: results.commands,
            config,
            failure,
            host_key: self.host_key.clone(),
            timings: Timings {
                auth_us,
                total_us: micros(self.started.elapsed()),
                ..self.timings.clone()
            },
            worker: self.worker.clone(),
            retried: Vec::new(),
        };
        if let Some(parser) = parser {
            parser.apply(&host.platform, &mut outcome);
        }
        self.emit(EventKind::Finished { ok: outcome.ok() });
        outcome
    }
}

/// `Command` failure naming each rejected command and the device's message, if any.
fn rejected_commands(commands: &[CommandResult]) -> Option<Failure> {
    let rejected: Vec<String> = commands
        .iter()
        .filter(|c| !c.ok)
        .map(|c| {
            // The device's `% ...` line, else its first line past the `^` marker line (Junos
            // `syntax error.`, ASA `ERROR: % Invalid input ...`).
            let mut lines = c
                .output
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && *l != "^");
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

fn micros(duration: Duration) -> u64 {
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
            output_bytes: None,
            start_us: 0,
            duration_us: 0,
            parse: None,
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
    fn rejected_commands_quote_the_words_after_a_caret_without_a_percent_line() {
        let commands = [
            command(
                "show configuration system",
                "                             ^\nsyntax error, expecting <command>.\n",
                false,
            ),
            command(
                "show bogus",
                "     ^\nERROR: % Invalid input detected at '^' marker.\n",
                false,
            ),
        ];
        assert_eq!(
            rejected_commands(&commands).unwrap().message,
            "`show configuration system` failed: syntax error, expecting <command>.; \
             `show bogus` failed: ERROR: % Invalid input detected at '^' marker."
        );
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
        let outcome = SessionRunner::new(Instant::now(), Default::default(), None).run_blocking(
            &job,
            Worker::current(),
            &events,
            None,
        );
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

    /// A Telnet device on loopback that prints a banner and then says nothing until the client
    /// closes (bounded by a 10 s read timeout).
    fn quiet_telnet_device() -> (u16, std::thread::JoinHandle<()>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            stream.write_all(b"\r\n* lab *\r\n").unwrap();
            let mut sink = [0u8; 64];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        });
        (port, server)
    }

    fn quiet_telnet_job(port: u16) -> Job {
        let mut job = jobs(1).remove(0);
        job.host.transport = TransportKind::Telnet;
        job.host.port = port;
        job.host.timeout = Duration::from_millis(300);
        job
    }

    /// The host's failure after waiting for the dialogue's deadline.
    fn assert_timed_out_waiting_for_login(outcome: &Outcome) {
        assert_eq!(
            outcome.failure,
            Some(Failure::new(
                ErrorKind::Timeout,
                "no prompt after login (last received: \"\\r\\n* lab *\\r\\n\")"
            ))
        );
        assert!(outcome.timings.total_us >= 300_000, "{:?}", outcome.timings);
    }

    #[test]
    fn both_drivers_wake_at_the_dialogues_deadline() {
        let (port, server) = quiet_telnet_device();
        let runner = SessionRunner::new(Instant::now(), Default::default(), None);
        let job = quiet_telnet_job(port);
        let outcome = runner.run_blocking(&job, Worker::current(), &crate::job::NoEvents, None);
        assert_timed_out_waiting_for_login(&outcome);
        server.join().unwrap();

        let (port, server) = quiet_telnet_device();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let events: Arc<dyn EventSink> = Arc::new(crate::job::NoEvents);
        let outcome =
            runtime.block_on(runner.run_async(quiet_telnet_job(port), Worker::current(), events));
        assert_timed_out_waiting_for_login(&outcome);
        server.join().unwrap();
    }

    /// A quiet Telnet device that triggers `stop` once its banner is out, while the session waits
    /// for a login prompt that never comes.
    fn stopping_telnet_device(stop: &'static StopSource) -> (u16, std::thread::JoinHandle<()>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            stream.write_all(b"\r\n* lab *\r\n").unwrap();
            stop.trigger(crate::os::Signal::SIGINT);
            let mut sink = [0u8; 64];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        });
        (port, server)
    }

    #[test]
    fn a_blocking_session_in_flight_ends_interrupted_after_the_stop_grace() {
        // The host's idle timeout is a minute: only the stop can end this session, and it must
        // keep what it had and say why it ended.
        let runner = SessionRunner::new(Instant::now(), Default::default(), None);
        let woken: &'static StopSource = Box::leak(Box::new(StopSource::new().unwrap()));
        let already: &'static StopSource = Box::leak(Box::new(StopSource::new().unwrap()));
        already.trigger(crate::os::Signal::SIGTERM);
        for (stop, by) in [(woken, "SIGINT"), (already, "SIGTERM")] {
            let (port, server) = stopping_telnet_device(stop);
            let mut job = quiet_telnet_job(port);
            job.host.timeout = Duration::from_secs(60);
            let outcome =
                runner.run_blocking(&job, Worker::current(), &crate::job::NoEvents, Some(stop));
            let failure = outcome.failure.unwrap();
            assert_eq!(failure.kind, ErrorKind::Interrupted, "{failure}");
            assert!(
                failure.message.contains(&format!("interrupted by {by}")),
                "{failure}"
            );
            server.join().unwrap();
        }
    }

    #[test]
    fn a_silent_server_times_out_in_the_handshake() {
        // Accepts the connection and never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut job = jobs(1).remove(0);
        job.host.port = listener.local_addr().unwrap().port();
        job.host.timeout = Duration::from_millis(300);
        let outcome = SessionRunner::new(Instant::now(), Default::default(), None).run_blocking(
            &job,
            Worker::current(),
            &crate::job::NoEvents,
            None,
        );
        let failure = outcome.failure.unwrap();
        assert_eq!(failure.kind, ErrorKind::Timeout, "{failure}");
        assert!(failure.message.contains("handshake"), "{failure}");
        drop(listener);
    }
}
