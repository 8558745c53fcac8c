//! The fork strategy: N worker processes made with fork(2) before any thread exists, fed job
//! numbers on demand over one pipe each and reporting `Event`s and `Outcome`s back over another.
//!
//! The parent hands each worker one job at a time and the next one when its `Outcome` arrives, so
//! a slow host never holds a fixed share of the work. It polls the message pipes and the stop
//! source, forwards events to the `EventSink`, and reaps every worker with wait4 (collecting its
//! rusage). It supervises its workers:
//! - each job in flight has a deadline, [`supervision_bound`] after it was handed out; a worker
//!   that overruns it (stuck, or stopped with `kill -STOP`) is killed with SIGKILL and only its
//!   host fails (`worker pid N stopped responding for X s; killed`);
//! - a worker that dies fails exactly its job in flight with the reason (`killed by signal
//!   SIGKILL`, `exited with status 3`) and is replaced by a new fork while jobs remain (the
//!   parent still has one thread), so the untried hosts still run;
//! - on a stop signal it hands out nothing more (queued jobs are interrupted), closes the job
//!   pipes so idle workers exit, gives the jobs in flight `stop::GRACE`, then kills their workers
//!   and reports those hosts as interrupted.
//!
//! Workers ignore SIGINT and SIGTERM (a terminal's Ctrl-C reaches the whole process group; the
//! parent decides) and are killed by the kernel if the parent dies (`PR_SET_PDEATHSIG`: the
//! parent's only thread forked them, so "the forking thread exits" means "the parent exits").
//!
//! Wire format, parent → child: a job's position in the job list as a little-endian u32.
//! Child → parent: frames of a little-endian u32 length followed by a JSON `Message`.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::{
    run_guarded, stop, Batch, ChildUsage, JobRunner, OutcomeSink, Run, RunStats, Strategy,
};
use crate::job::{ErrorKind, Event, EventKind, EventSink, Failure, Job, Outcome, Task, Worker};
use crate::os::{self, Forked, Pid, Signal, StopSource};

/// Operations every session has besides its commands or config lines, each bounded by the host's
/// timeout: TCP connect, SSH handshake and authentication (or the Telnet login), the first
/// prompt, reaching the command level (enable and its secret), paging off (up to three commands:
/// Junos), and the polite close. A count for every platform, so that the parent never looks
/// profiles up (nor compiles them) while it hands out jobs.
const SESSION_OPERATIONS: u32 = 9;

/// Operations a retried attempt can wait on: TCP connect, SSH handshake and authentication (or
/// the Telnet login), the first prompt, reaching the command level.
const RETRIED_OPERATIONS: u32 = 4;

/// Slack on top of a job's operation timeouts before its worker counts as stuck: process
/// scheduling, serialising the outcome, a loaded machine.
const SUPERVISION_SLACK: Duration = Duration::from_secs(2);

/// The longest a worker may take over `job` before the parent kills it: the host's timeout once
/// per operation the job can wait on (the dialogue restarts that deadline at every send) plus
/// [`SUPERVISION_SLACK`]. An honest session fails with `timeout` well before this.
pub fn supervision_bound(job: &Job) -> Duration {
    let work = match &job.task {
        // Each command, and each answer it is given.
        Task::Show { commands, answers } => {
            commands.len() + answers.iter().map(Vec::len).sum::<usize>()
        }
        // Entering and leaving config mode, each line, the commit and the discard after a
        // failed one (Junos, IOS-XR), the save, the two configuration reads.
        Task::Config(plan) => {
            plan.lines.len() + 4 + usize::from(plan.save) + 2 * usize::from(plan.diff)
        }
        Task::HostKeyScan => 0,
    };
    let operations = SESSION_OPERATIONS.saturating_add(u32::try_from(work).unwrap_or(u32::MAX));
    // A retried attempt failed before login: at most its connect, handshake and login again,
    // after the pause.
    let limits = &job.host.limits;
    let retry = job
        .host
        .timeout
        .checked_mul(RETRIED_OPERATIONS)
        .and_then(|attempt| attempt.checked_add(limits.retry_delay))
        .and_then(|attempt| attempt.checked_mul(limits.retries));
    job.host
        .timeout
        .checked_mul(operations)
        .and_then(|bound| bound.checked_add(retry?))
        .and_then(|bound| bound.checked_add(SUPERVISION_SLACK))
        .unwrap_or(Duration::MAX)
}

/// `workers` processes forked before any thread exists, each fed one job at a time.
pub struct Fork;

impl Strategy for Fork {
    /// Refuses to run when the process has more than one thread: a forked child inherits only
    /// the forking thread, so a lock another thread held at that instant (allocator, stdout, a
    /// runtime's queue) would stay locked forever in the child.
    fn run(&self, batch: Batch<'_>) -> anyhow::Result<Run> {
        let threads = os::thread_count().context("counting this process's threads before fork")?;
        if threads > 1 {
            bail!(
                "the fork strategy must fork its workers before any thread exists, but this \
                 process already has {threads} threads; start no runtime, progress or logger \
                 thread before it"
            );
        }
        let (runner, events) = (batch.runner.as_ref(), batch.events.as_ref());
        // SAFETY: the process has exactly one thread (checked above), and only this thread could
        // start another before the forks, so no lock can be held by another thread at a fork.
        unsafe {
            run_unchecked(
                batch.jobs,
                batch.workers,
                runner,
                events,
                batch.outcomes,
                batch.stop,
            )
        }
    }
}

/// `Fork::run` without the single-thread check.
///
/// # Safety
/// The caller guarantees that a forked child can run `runner` safely: either the process is
/// single-threaded, or (unit tests only, where the test harness always has several threads) the
/// runner does nothing that needs a lock another thread may hold at fork time. The child itself
/// uses only its two pipes, the heap (glibc's malloc re-initialises its locks in a forked child)
/// and serde_json, and leaves with `os::exit_now`, so it never runs the parent's destructors or
/// atexit handlers. The guarantee holds for the whole run: the parent forks replacements for dead
/// workers and starts no thread.
pub(crate) unsafe fn run_unchecked(
    jobs: Vec<Job>,
    workers: usize,
    runner: &dyn JobRunner,
    events: &dyn EventSink,
    outcomes: &dyn OutcomeSink,
    stop: &'static StopSource,
) -> anyhow::Result<Run> {
    let mut children = Vec::new();
    for _ in 0..workers {
        match spawn_worker(&jobs, runner) {
            Ok(child) => children.push(child),
            // With at least one worker the jobs still all get done.
            Err(err) if !children.is_empty() => eprintln!("netrun: {err:#}"),
            Err(err) => return Err(err),
        }
    }
    let mut parent = Parent::new(&jobs, runner, events, outcomes, stop);
    parent.stats.processes_forked = children.len() as u64;
    parent.children = children;
    Ok(parent.run())
}

/// What a worker process sends its parent.
#[derive(Debug, Serialize, Deserialize)]
enum Message {
    Event(Event),
    /// Boxed: an outcome is several times the size of an event.
    Outcome(Box<Outcome>),
}

/// Why the parent killed a worker.
#[derive(Debug, Clone)]
enum Fault {
    /// It broke the protocol (a malformed message, an outcome for no job, an unreadable pipe).
    Misbehaved(String),
    /// Its job in flight overran [`supervision_bound`]; it was last heard from this long ago.
    Unresponsive(Duration),
    /// The run stopped and the grace for its job in flight ran out.
    Interrupted,
}

/// The parent's view of one worker process.
struct Child {
    pid: Pid,
    /// Job numbers go here; `None` once closed (the child then exits).
    jobs: Option<File>,
    messages: File,
    /// Bytes of a message frame not yet complete.
    pending: Vec<u8>,
    /// The position of the job this child is running, and when it must be done.
    in_flight: Option<(usize, Instant)>,
    /// When the child last sent anything.
    last_heard: Instant,
    /// Once its job pipe is closed with no job in flight: when it must have exited (a stopped
    /// worker would otherwise keep the parent waiting for its EOF forever).
    exit_due: Option<Instant>,
    /// Why the child is being killed, when the parent killed it.
    fault: Option<Fault>,
    /// The message pipe is still open (the child has not exited).
    open: bool,
}

impl Child {
    /// Close the job pipe: the child exits once its job in flight, if any, is done.
    fn close_jobs(&mut self) {
        self.jobs = None;
        if self.in_flight.is_none() {
            self.exit_due
                .get_or_insert(Instant::now() + SUPERVISION_SLACK);
        }
    }

    /// When the parent must act on this child without hearing from it: its job's deadline, or
    /// its exit's; none once it is being killed or has exited.
    fn due(&self) -> Option<Instant> {
        if !self.open || self.fault.is_some() {
            return None;
        }
        self.in_flight.map(|(_, due)| due).or(self.exit_due)
    }
}

/// Fork one worker with its two pipes. In the child, never returns.
fn spawn_worker(jobs: &[Job], runner: &dyn JobRunner) -> anyhow::Result<Child> {
    // A child inherits unflushed stdio buffers; flush so nothing is written twice.
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    let (job_rx, job_tx) = os::pipe().context("creating a job pipe")?;
    let (msg_rx, msg_tx) = os::pipe().context("creating a message pipe")?;
    let parent = Pid::this();
    // SAFETY: the caller of `run_unchecked` guarantees fork is safe here (see there). The child
    // branch calls `child_main`, which never returns into the parent's code.
    match unsafe { os::fork() }.context("forking a worker process")? {
        Forked::Child => {
            drop((job_tx, msg_rx));
            child_main(jobs, runner, job_rx, msg_tx, parent)
        }
        Forked::Parent(pid) => Ok(Child {
            pid,
            jobs: Some(File::from(job_tx)),
            messages: File::from(msg_rx),
            pending: Vec::new(),
            in_flight: None,
            last_heard: Instant::now(),
            exit_due: None,
            fault: None,
            open: true,
        }),
    }
}

/// The worker process: run the jobs the parent sends until it closes the pipe, then exit.
fn child_main(
    jobs: &[Job],
    runner: &dyn JobRunner,
    job_rx: OwnedFd,
    msg_tx: OwnedFd,
    parent: Pid,
) -> ! {
    // First, before the inherited stop pipe is closed below: the parent decides when a worker
    // stops, and a worker must not outlive it.
    if os::ignore_stop_signals().is_err() || os::die_with_parent(parent).is_err() {
        os::exit_now(3);
    }
    // The child inherits every descriptor of the parent, including the other workers' pipe ends;
    // holding them would keep those pipes open and stop the other workers seeing EOF.
    // SAFETY: this forked child never returns into the parent's code, so the objects that own the
    // closed descriptors (the other workers' pipes, the parent's files) are never used or dropped
    // here; it keeps only its own two pipes.
    unsafe { os::close_fds_except(&[job_rx.as_raw_fd(), msg_tx.as_raw_fd()]) };
    let code = serve(jobs, runner, File::from(job_rx), File::from(msg_tx));
    // Destructors and atexit handlers belong to the parent (its buffers, its lab, its terminal).
    os::exit_now(code)
}

/// The child's loop; returns its exit status. At most one pass over the job list: the parent
/// sends each job once.
fn serve(jobs: &[Job], runner: &dyn JobRunner, mut job_rx: File, msg_tx: File) -> i32 {
    let sink = PipeSink(Mutex::new(msg_tx));
    for _ in 0..jobs.len() {
        let mut word = [0u8; 4];
        match job_rx.read_exact(&mut word) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => return 0,
            Err(_) => return 1,
        }
        let Some(job) = jobs.get(u32::from_le_bytes(word) as usize) else {
            return 2;
        };
        let worker = Worker {
            forked: true,
            ..Worker::current()
        };
        // No stop source here: this worker closed its descriptors, and the parent decides (it
        // kills a worker still busy after the grace).
        let outcome = run_guarded(runner, job, worker, &sink, None);
        if sink.send(&Message::Outcome(Box::new(outcome))).is_err() {
            return 1;
        }
    }
    0
}

/// Sends events from a worker process to its parent.
struct PipeSink(Mutex<File>);

impl PipeSink {
    fn send(&self, message: &Message) -> std::io::Result<()> {
        let frame = encode(message)?;
        let mut pipe = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("message pipe lock poisoned"))?;
        pipe.write_all(&frame)
    }
}

impl EventSink for PipeSink {
    fn emit(&self, event: Event) {
        // A parent that stopped listening will show as a failed write of the Outcome.
        let _ = self.send(&Message::Event(event));
    }
}

fn encode(message: &Message) -> std::io::Result<Vec<u8>> {
    let body = serde_json::to_vec(message)?;
    let len = u32::try_from(body.len()).map_err(std::io::Error::other)?;
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}

/// Take every complete frame off the front of `buffer`.
fn decode_frames(buffer: &mut Vec<u8>) -> Vec<serde_json::Result<Message>> {
    let mut messages = Vec::new();
    let mut start = 0;
    while let Some(header) = buffer.get(start..start + 4) {
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let Some(body) = buffer.get(start + 4..start + 4 + len) else {
            break;
        };
        messages.push(serde_json::from_slice(body));
        start += 4 + len;
    }
    buffer.drain(..start);
    messages
}

/// The parent's scheduler: hands out jobs, collects messages, supervises and reaps children.
struct Parent<'a> {
    jobs: &'a [Job],
    runner: &'a dyn JobRunner,
    children: Vec<Child>,
    events: &'a dyn EventSink,
    /// Told of each outcome as it arrives (not of interrupted hosts).
    sink: &'a dyn OutcomeSink,
    stop: &'static StopSource,
    /// Positions of jobs not yet handed out.
    queue: VecDeque<usize>,
    outcomes: Vec<Option<Outcome>>,
    stats: RunStats,
    /// The last worker death, to explain jobs no worker is left to run.
    last_death: Option<(Pid, String)>,
    /// Replacement workers forked so far; at most one per job, so a worker that dies at once
    /// every time cannot make the parent fork forever.
    replacements: usize,
    /// Once a stop arrived: when the grace for the jobs in flight ends.
    grace_ends: Option<Instant>,
}

impl<'a> Parent<'a> {
    fn new(
        jobs: &'a [Job],
        runner: &'a dyn JobRunner,
        events: &'a dyn EventSink,
        sink: &'a dyn OutcomeSink,
        stop: &'static StopSource,
    ) -> Self {
        Parent {
            jobs,
            runner,
            children: Vec::new(),
            events,
            sink,
            stop,
            queue: (0..jobs.len()).collect(),
            outcomes: jobs.iter().map(|_| None).collect(),
            stats: RunStats::default(),
            last_death: None,
            replacements: 0,
            grace_ends: None,
        }
    }

    /// Schedule and listen until every child has exited and been reaped.
    fn run(mut self) -> Run {
        self.schedule();
        while self.children.iter().any(|c| c.open) {
            if let Err(err) = self.wait_and_read() {
                self.abort(&format!(
                    "the parent stopped listening to its workers: {err}"
                ));
            }
            self.check_stop();
            self.kill_overdue();
        }
        self.finish()
    }

    /// Hand a job to every idle child; close the job pipes when nothing is left to do.
    fn schedule(&mut self) {
        for child in &mut self.children {
            while child.in_flight.is_none() && child.jobs.is_some() {
                let Some(position) = self.queue.pop_front() else {
                    break;
                };
                let word = (position as u32).to_le_bytes();
                match child.jobs.as_mut().map(|pipe| pipe.write_all(&word)) {
                    Some(Ok(())) => {
                        let due = Instant::now() + supervision_bound(&self.jobs[position]);
                        child.in_flight = Some((position, due));
                        child.last_heard = Instant::now();
                    }
                    // The child is dying (EPIPE); its EOF will follow. The job goes back.
                    _ => {
                        self.queue.push_front(position);
                        child.close_jobs();
                    }
                }
            }
        }
        let in_flight = self
            .children
            .iter()
            .filter(|c| c.in_flight.is_some())
            .count() as u64;
        self.stats.peak_in_flight = self.stats.peak_in_flight.max(in_flight);
        if self.queue.is_empty() && in_flight == 0 {
            for child in self.children.iter_mut().filter(|c| c.jobs.is_some()) {
                child.close_jobs();
            }
        } else if !self.queue.is_empty() && self.children.iter().all(|c| c.jobs.is_none()) {
            self.fail_queued();
        }
    }

    /// The first time the stop source is seen fired: interrupt the queue, let idle workers exit
    /// and start the grace for the jobs in flight.
    fn check_stop(&mut self) {
        if self.grace_ends.is_some() || !stop::requested(self.stop) {
            return;
        }
        self.grace_ends = Some(Instant::now() + stop::GRACE);
        let signal = self.stop.signal();
        while let Some(position) = self.queue.pop_front() {
            let job = &self.jobs[position];
            self.outcomes[position] = Some(stop::interrupted(job, signal, Worker::current()));
        }
        for child in self.children.iter_mut().filter(|c| c.jobs.is_some()) {
            child.close_jobs();
        }
    }

    /// Kill every worker whose job overran its deadline or that did not exit when told to, or,
    /// once the grace is over, every worker still running a job.
    fn kill_overdue(&mut self) {
        let now = Instant::now();
        let grace_over = self.grace_ends.is_some_and(|end| now >= end);
        for i in 0..self.children.len() {
            let child = &self.children[i];
            let Some(due) = child.due() else {
                continue;
            };
            if grace_over && child.in_flight.is_some() {
                self.kill(i, Fault::Interrupted);
            } else if now >= due {
                let silent = now.saturating_duration_since(child.last_heard);
                self.kill(i, Fault::Unresponsive(silent));
            }
        }
    }

    /// The next instant the parent must act without a message: the earliest deadline of a
    /// worker not yet killed, or the end of the grace while a job is in flight.
    fn next_deadline(&self) -> Option<Instant> {
        let due = self.children.iter().filter_map(Child::due).min();
        let busy = self
            .children
            .iter()
            .any(|c| c.due().is_some() && c.in_flight.is_some());
        let grace = self.grace_ends.filter(|_| busy);
        due.into_iter().chain(grace).min()
    }

    /// Wait for any message pipe (or the stop source) to be readable or a deadline to pass, then
    /// read each readable pipe once.
    fn wait_and_read(&mut self) -> std::io::Result<()> {
        let open: Vec<usize> = (0..self.children.len())
            .filter(|&i| self.children[i].open)
            .collect();
        let deadline = self.next_deadline();
        let watch_stop = self.grace_ends.is_none();
        let ready = {
            let mut fds: Vec<_> = open
                .iter()
                .map(|&i| self.children[i].messages.as_fd())
                .collect();
            if watch_stop {
                fds.push(self.stop.watch());
            }
            os::poll_readable(&fds, deadline)?
        };
        for (i, _) in open.into_iter().zip(ready).filter(|(_, ready)| *ready) {
            self.read_from(i);
        }
        Ok(())
    }

    /// Read what child `i` sent; on EOF reap it.
    fn read_from(&mut self, i: usize) {
        let mut chunk = [0u8; 64 * 1024];
        match os::read(&mut self.children[i].messages, &mut chunk) {
            Ok(0) => self.reap(i),
            Ok(n) => {
                self.children[i].last_heard = Instant::now();
                self.children[i].pending.extend_from_slice(&chunk[..n]);
                let frames = decode_frames(&mut self.children[i].pending);
                for frame in frames {
                    match frame {
                        Ok(message) => self.accept(i, message),
                        Err(err) => self.kill(
                            i,
                            Fault::Misbehaved(format!("sent a malformed message ({err})")),
                        ),
                    }
                }
            }
            Err(err) => self.kill(
                i,
                Fault::Misbehaved(format!("could not be read from ({err})")),
            ),
        }
    }

    fn accept(&mut self, i: usize, message: Message) {
        match message {
            Message::Event(event) => self.events.emit(event),
            Message::Outcome(outcome) => match self.children[i].in_flight.take() {
                Some((position, _)) => {
                    self.sink.finished(&outcome);
                    self.outcomes[position] = Some(*outcome);
                    if self.children[i].jobs.is_none() {
                        self.children[i].close_jobs();
                    }
                    self.schedule();
                }
                None => self.kill(i, Fault::Misbehaved("sent an outcome for no job".into())),
            },
        }
    }

    /// Kill a child; its EOF and reaping follow through the normal path (a stopped child dies
    /// of SIGKILL too).
    fn kill(&mut self, i: usize, fault: Fault) {
        let child = &mut self.children[i];
        child.fault.get_or_insert(fault);
        child.close_jobs();
        let _ = os::send_signal(child.pid, Signal::SIGKILL);
    }

    /// The child closed its pipe: it has exited. Reap it, account for its job in flight, and
    /// fork a replacement if jobs are still queued.
    fn reap(&mut self, i: usize) {
        let pid = self.children[i].pid;
        self.children[i].open = false;
        self.children[i].jobs = None;
        let (usage, ended) = reap_child(pid);
        self.stats.workers.push(usage);
        let child = &mut self.children[i];
        let fault = child.fault.take();
        if let Some((position, _)) = child.in_flight.take() {
            let (kind, reason) = match fault {
                Some(Fault::Misbehaved(why)) => (
                    ErrorKind::Worker,
                    format!("worker pid {pid} {why}; {ended}"),
                ),
                Some(Fault::Unresponsive(silent)) => (
                    ErrorKind::Worker,
                    format!(
                        "worker pid {pid} stopped responding for {:.1} s; killed",
                        silent.as_secs_f64()
                    ),
                ),
                Some(Fault::Interrupted) => {
                    let job = &self.jobs[position];
                    let mut outcome = stop::interrupted(job, self.stop.signal(), Worker::current());
                    if let Some(failure) = &mut outcome.failure {
                        failure
                            .message
                            .push_str(&format!(" (worker pid {pid} killed after the grace)"));
                    }
                    self.outcomes[position] = Some(outcome);
                    self.schedule();
                    return;
                }
                None => (ErrorKind::Worker, format!("worker pid {pid} died: {ended}")),
            };
            self.fail(position, pid, kind, reason.clone());
            self.last_death = Some((pid, reason));
        }
        self.replace_worker();
        self.schedule();
    }

    /// Fork a new worker for the queued jobs, unless the run is stopping, nothing is queued, or
    /// the replacement budget is spent.
    fn replace_worker(&mut self) {
        if self.queue.is_empty()
            || self.grace_ends.is_some()
            || self.replacements >= self.jobs.len()
        {
            return;
        }
        self.replacements += 1;
        match spawn_worker(self.jobs, self.runner) {
            Ok(child) => {
                self.children.push(child);
                self.stats.processes_forked += 1;
            }
            Err(err) => eprintln!("netrun: replacing a dead worker: {err:#}"),
        }
    }

    /// Kill and reap every child still running; used only when poll itself fails.
    fn abort(&mut self, why: &str) {
        self.queue.clear();
        for i in 0..self.children.len() {
            if self.children[i].open {
                self.kill(i, Fault::Misbehaved(why.to_string()));
                self.reap(i);
            }
        }
    }

    fn fail(&mut self, position: usize, pid: Pid, kind: ErrorKind, reason: String) {
        let job = &self.jobs[position];
        let worker = Worker {
            pid: pid.as_raw() as u32,
            forked: true,
            ..Worker::current()
        };
        self.events.emit(Event {
            worker: worker.clone(),
            at_us: crate::job::now_us(),
            index: job.index,
            kind: EventKind::Finished { ok: false },
        });
        let outcome = Outcome::failed(job, Failure::new(kind, reason), worker);
        self.sink.finished(&outcome);
        self.outcomes[position] = Some(outcome);
    }

    /// No worker is left to take the queued jobs: fail them with the last death's reason.
    fn fail_queued(&mut self) {
        let (pid, reason) = self
            .last_death
            .clone()
            .unwrap_or((Pid::this(), "no worker process left".to_string()));
        while let Some(position) = self.queue.pop_front() {
            self.fail(
                position,
                pid,
                ErrorKind::Worker,
                format!("{reason}; no worker left to run this host"),
            );
        }
    }

    fn finish(mut self) -> Run {
        self.fail_queued();
        let outcomes = self
            .outcomes
            .into_iter()
            .zip(self.jobs)
            .map(|(outcome, job)| {
                outcome.unwrap_or_else(|| {
                    let failure = Failure::new(ErrorKind::Worker, "no worker reported this host");
                    Outcome::failed(job, failure, Worker::current())
                })
            })
            .collect();
        Run {
            outcomes: super::sorted(outcomes),
            stats: self.stats,
        }
    }
}

/// Reap `pid` (blocking: it has already closed its pipe, so it is exiting): its resource use and
/// how it ended.
fn reap_child(pid: Pid) -> (ChildUsage, String) {
    let usage_of = |usage: os::ResourceUsage| ChildUsage {
        pid: pid.as_raw() as u32,
        user_us: usage.user.as_micros() as u64,
        sys_us: usage.system.as_micros() as u64,
        max_rss_kib: usage.max_rss_kib,
    };
    match os::reap(pid) {
        Ok(reaped) => (usage_of(reaped.usage), reaped.ended.to_string()),
        Err(err) => (
            usage_of(os::ResourceUsage::default()),
            format!("could not be reaped: {err}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::testing::{
        assert_complete, batch, jobs, stop_source, Death, EventLog, TestRunner,
    };
    use crate::strategy::NoOutcomes;
    use std::collections::BTreeSet;

    /// Runs the fork strategy inside the (multi-threaded) test harness.
    fn run_in_test(
        jobs: Vec<Job>,
        workers: usize,
        runner: &TestRunner,
        events: &dyn EventSink,
    ) -> Run {
        // SAFETY: the test runner only computes, writes its pipe and exits; see `run_unchecked`.
        unsafe { run_unchecked(jobs, workers, runner, events, &NoOutcomes, stop_source()) }.unwrap()
    }

    fn assert_all_reaped(run: &Run) {
        for usage in &run.stats.workers {
            let pid = Pid::from_raw(usage.pid as i32);
            assert_eq!(
                nix::sys::wait::waitpid(pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG)),
                Err(nix::errno::Errno::ECHILD),
                "worker {pid} was not reaped"
            );
        }
    }

    #[test]
    fn refuses_to_fork_once_threads_exist() {
        // The test harness runs this test on its own thread, so the process has several.
        let err = Fork.run(batch(2, 2, TestRunner::new())).unwrap_err();
        assert!(
            err.to_string().contains("before any thread exists"),
            "{err}"
        );
    }

    #[test]
    fn every_job_runs_once_in_distinct_reaped_workers() {
        let events = EventLog::default();
        let run = run_in_test(jobs(12), 3, &TestRunner::new(), &events);
        assert_complete(&run.outcomes, 12);
        let me = std::process::id();
        let pids: BTreeSet<u32> = run.outcomes.iter().map(|o| o.worker.pid).collect();
        assert!(!pids.contains(&me));
        assert!(run.outcomes.iter().all(|o| o.worker.forked));
        assert_eq!(run.stats.processes_forked, 3);
        let reaped: BTreeSet<u32> = run.stats.workers.iter().map(|u| u.pid).collect();
        assert_eq!(reaped.len(), 3, "three distinct workers reaped");
        assert!(pids.is_subset(&reaped));
        assert!(!reaped.contains(&me));
        assert_all_reaped(&run);
        // Events crossed the pipe: one Finished per job, stamped by the worker that ran it.
        let events = events.0.into_inner().unwrap();
        let mut seen: Vec<usize> = events.iter().map(|e| e.index).collect();
        seen.sort();
        assert_eq!(seen, (0..12).collect::<Vec<_>>());
        assert!(events.iter().all(|e| reaped.contains(&e.worker.pid)));
    }

    #[test]
    fn a_worker_that_exits_fails_only_its_job() {
        let runner = TestRunner {
            die_on: vec![(4, Death::Exit(3))],
            ..TestRunner::new()
        };
        let run = run_in_test(jobs(10), 3, &runner, &crate::job::NoEvents);
        assert_eq!(run.outcomes.len(), 10);
        for o in &run.outcomes {
            if o.index == 4 {
                let failure = o.failure.as_ref().expect("job 4 failed");
                assert_eq!(failure.kind, ErrorKind::Worker);
                assert!(
                    failure.message.ends_with("died: exited with status 3"),
                    "{failure}"
                );
                assert!(failure
                    .message
                    .contains(&format!("worker pid {}", o.worker.pid)));
            } else {
                assert!(o.ok(), "{o:?}");
            }
        }
        assert_all_reaped(&run);
    }

    #[test]
    fn killed_workers_fail_only_their_jobs_and_are_replaced() {
        let runner = TestRunner {
            die_on: vec![(0, Death::Kill), (1, Death::Kill)],
            ..TestRunner::new()
        };
        let run = run_in_test(jobs(5), 2, &runner, &crate::job::NoEvents);
        assert_eq!(run.outcomes.len(), 5);
        for o in &run.outcomes {
            if o.index < 2 {
                let failure = o.failure.as_ref().expect("jobs 0 and 1 failed");
                assert_eq!(failure.kind, ErrorKind::Worker);
                assert!(
                    failure.message.contains("killed by signal SIGKILL"),
                    "{failure}"
                );
            } else {
                assert!(o.ok(), "the untried hosts ran on replacements: {o:?}");
            }
        }
        // Both first jobs kill their workers, so jobs 2-4 are still queued when the first death
        // is reaped and it is replaced; the second death is replaced only if that replacement
        // has not already taken the rest of the queue (a worker is replaced only while hosts
        // remain): two workers and one or two replacements, every one of them reaped.
        let forked = run.stats.processes_forked;
        assert!(
            (3..=4).contains(&forked),
            "two workers and one or two replacements, not {forked}"
        );
        assert_eq!(run.stats.workers.len() as u64, forked);
        assert_all_reaped(&run);
    }

    #[test]
    fn a_stopped_worker_is_killed_at_its_deadline_and_fails_only_its_job() {
        let runner = TestRunner {
            die_on: vec![(1, Death::Stop)],
            ..TestRunner::new()
        };
        let mut jobs = jobs(4);
        for job in &mut jobs {
            job.host.timeout = Duration::from_millis(50);
        }
        let bound = supervision_bound(&jobs[1]);
        let started = Instant::now();
        let run = run_in_test(jobs, 2, &runner, &crate::job::NoEvents);
        assert!(started.elapsed() >= bound, "killed before its deadline");
        assert!(started.elapsed() < bound + Duration::from_secs(5));
        for o in &run.outcomes {
            if o.index == 1 {
                let failure = o.failure.as_ref().expect("job 1 failed");
                assert_eq!(failure.kind, ErrorKind::Worker);
                assert!(
                    failure.message.contains("stopped responding for"),
                    "{failure}"
                );
                assert!(failure.message.ends_with("s; killed"), "{failure}");
            } else {
                assert!(o.ok(), "{o:?}");
            }
        }
        assert_all_reaped(&run);
    }

    #[test]
    fn the_bound_is_the_timeout_per_operation_plus_slack() {
        let mut job = jobs(1).remove(0);
        job.host.timeout = Duration::from_secs(3);
        assert_eq!(
            supervision_bound(&job),
            Duration::from_secs(3 * (SESSION_OPERATIONS as u64 + 1)) + SUPERVISION_SLACK
        );
        job.host.timeout = Duration::MAX;
        assert_eq!(supervision_bound(&job), Duration::MAX);
    }

    #[test]
    fn frames_split_anywhere_decode_whole() {
        let message = Message::Event(Event {
            worker: Worker::current(),
            at_us: 1,
            index: 7,
            kind: EventKind::Sent {
                command: "show version".into(),
            },
        });
        let frame = encode(&message).unwrap();
        let mut buffer = frame[..5].to_vec();
        assert!(decode_frames(&mut buffer).is_empty());
        buffer.extend_from_slice(&frame[5..]);
        buffer.extend_from_slice(&frame);
        let decoded = decode_frames(&mut buffer);
        assert_eq!(decoded.len(), 2);
        assert!(buffer.is_empty());
        assert!(matches!(&decoded[0], Ok(Message::Event(e)) if e.index == 7));
    }
}
