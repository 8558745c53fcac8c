//! The fork strategy: N worker processes made with fork(2) before any thread exists, fed job
//! numbers on demand over one pipe each and reporting `Event`s and `Outcome`s back over another.
//!
//! The parent hands each worker one job at a time and the next one when its `Outcome` arrives, so
//! a slow host never holds a fixed share of the work. It polls the message pipes, forwards events
//! to the `EventSink`, and reaps every worker with wait4 (collecting its rusage). A worker that
//! dies with a job in flight fails exactly that job with the reason (`killed by signal SIGKILL`,
//! `exited with status 3`); the remaining jobs go to the surviving workers.
//!
//! Wire format, parent → child: a job's position in the job list as a little-endian u32.
//! Child → parent: frames of a little-endian u32 length followed by a JSON `Message`.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Mutex;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::{run_guarded, Batch, ChildUsage, JobRunner, Run, RunStats, Strategy};
use crate::job::{ErrorKind, Event, EventKind, EventSink, Failure, Job, Outcome, Worker};
use crate::os::{self, Forked, Pid, Signal};

/// `workers` processes forked before any thread exists, each fed one job at a time.
pub struct Fork;

impl Strategy for Fork {
    /// Refuses to run when the process has more than one thread: a forked child inherits only
    /// the forking thread, so a lock another thread held at that instant (allocator, stdout, a
    /// runtime's queue) would stay locked forever in the child.
    fn run(&self, batch: Batch) -> anyhow::Result<Run> {
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
        unsafe { run_unchecked(batch.jobs, batch.workers, runner, events) }
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
/// atexit handlers.
pub(crate) unsafe fn run_unchecked(
    jobs: Vec<Job>,
    workers: usize,
    runner: &dyn JobRunner,
    events: &dyn EventSink,
) -> anyhow::Result<Run> {
    // A child inherits unflushed stdio buffers; flush so nothing is written twice.
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    let mut children = Vec::new();
    for _ in 0..workers {
        match spawn_worker(&jobs, runner) {
            Ok(child) => children.push(child),
            // With at least one worker the jobs still all get done.
            Err(err) if !children.is_empty() => eprintln!("netrun: {err:#}"),
            Err(err) => return Err(err),
        }
    }
    Ok(Parent::new(&jobs, children, events).run())
}

/// What a worker process sends its parent.
#[derive(Debug, Serialize, Deserialize)]
enum Message {
    Event(Event),
    Outcome(Outcome),
}

/// The parent's view of one worker process.
struct Child {
    pid: Pid,
    /// Job numbers go here; `None` once closed (the child then exits).
    jobs: Option<File>,
    messages: File,
    /// Bytes of a message frame not yet complete.
    pending: Vec<u8>,
    /// The position of the job this child is running.
    in_flight: Option<usize>,
    /// Why the child is being killed, when the parent killed it.
    fault: Option<String>,
    /// The message pipe is still open (the child has not exited).
    open: bool,
}

/// Fork one worker with its two pipes. In the child, never returns.
fn spawn_worker(jobs: &[Job], runner: &dyn JobRunner) -> anyhow::Result<Child> {
    let (job_rx, job_tx) = os::pipe().context("creating a job pipe")?;
    let (msg_rx, msg_tx) = os::pipe().context("creating a message pipe")?;
    // SAFETY: the caller of `run_unchecked` guarantees fork is safe here (see there). The child
    // branch calls `child_main`, which never returns into the parent's code.
    match unsafe { os::fork() }.context("forking a worker process")? {
        Forked::Child => {
            drop((job_tx, msg_rx));
            child_main(jobs, runner, job_rx, msg_tx)
        }
        Forked::Parent(pid) => Ok(Child {
            pid,
            jobs: Some(File::from(job_tx)),
            messages: File::from(msg_rx),
            pending: Vec::new(),
            in_flight: None,
            fault: None,
            open: true,
        }),
    }
}

/// The worker process: run the jobs the parent sends until it closes the pipe, then exit.
fn child_main(jobs: &[Job], runner: &dyn JobRunner, job_rx: OwnedFd, msg_tx: OwnedFd) -> ! {
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
        let outcome = run_guarded(runner, job, worker, &sink);
        if sink.send(&Message::Outcome(outcome)).is_err() {
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

/// The parent's scheduler: hands out jobs, collects messages, reaps children.
struct Parent<'a> {
    jobs: &'a [Job],
    children: Vec<Child>,
    events: &'a dyn EventSink,
    /// Positions of jobs not yet handed out.
    queue: VecDeque<usize>,
    outcomes: Vec<Option<Outcome>>,
    stats: RunStats,
    /// The last worker death, to explain jobs no worker is left to run.
    last_death: Option<(Pid, String)>,
}

impl<'a> Parent<'a> {
    fn new(jobs: &'a [Job], children: Vec<Child>, events: &'a dyn EventSink) -> Self {
        let stats = RunStats {
            processes_forked: children.len() as u64,
            ..RunStats::default()
        };
        Parent {
            jobs,
            children,
            events,
            queue: (0..jobs.len()).collect(),
            outcomes: jobs.iter().map(|_| None).collect(),
            stats,
            last_death: None,
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
                    Some(Ok(())) => child.in_flight = Some(position),
                    // The child is dying (EPIPE); its EOF will follow. The job goes back.
                    _ => {
                        self.queue.push_front(position);
                        child.jobs = None;
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
            for child in &mut self.children {
                child.jobs = None;
            }
        } else if !self.queue.is_empty() && self.children.iter().all(|c| c.jobs.is_none()) {
            self.fail_queued();
        }
    }

    /// Wait for any message pipe to be readable, then read each readable one once.
    fn wait_and_read(&mut self) -> std::io::Result<()> {
        let open: Vec<usize> = (0..self.children.len())
            .filter(|&i| self.children[i].open)
            .collect();
        let ready = {
            let fds: Vec<_> = open
                .iter()
                .map(|&i| self.children[i].messages.as_fd())
                .collect();
            os::poll_readable(&fds, None)?
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
                self.children[i].pending.extend_from_slice(&chunk[..n]);
                let frames = decode_frames(&mut self.children[i].pending);
                for frame in frames {
                    match frame {
                        Ok(message) => self.accept(i, message),
                        Err(err) => self.kill(i, format!("sent a malformed message ({err})")),
                    }
                }
            }
            Err(err) => self.kill(i, format!("could not be read from ({err})")),
        }
    }

    fn accept(&mut self, i: usize, message: Message) {
        match message {
            Message::Event(event) => self.events.emit(event),
            Message::Outcome(outcome) => match self.children[i].in_flight.take() {
                Some(position) => {
                    self.outcomes[position] = Some(outcome);
                    self.schedule();
                }
                None => self.kill(i, "sent an outcome for no job".to_string()),
            },
        }
    }

    /// Kill a misbehaving child; its EOF and reaping follow through the normal path.
    fn kill(&mut self, i: usize, why: String) {
        let child = &mut self.children[i];
        child.fault.get_or_insert(why);
        child.jobs = None;
        let _ = os::send_signal(child.pid, Signal::SIGKILL);
    }

    /// The child closed its pipe: it has exited. Reap it and account for its job in flight.
    fn reap(&mut self, i: usize) {
        let pid = self.children[i].pid;
        self.children[i].open = false;
        self.children[i].jobs = None;
        let (usage, ended) = reap_child(pid);
        self.stats.workers.push(usage);
        let child = &mut self.children[i];
        let reason = match child.fault.take() {
            Some(fault) => format!("worker pid {pid} {fault}; {ended}"),
            None => format!("worker pid {pid} died: {ended}"),
        };
        if let Some(position) = child.in_flight.take() {
            self.fail(position, pid, reason.clone());
            self.last_death = Some((pid, reason));
        }
        self.schedule();
    }

    /// Kill and reap every child still running; used only when poll itself fails.
    fn abort(&mut self, why: &str) {
        for i in 0..self.children.len() {
            if self.children[i].open {
                self.kill(i, why.to_string());
                self.reap(i);
            }
        }
    }

    fn fail(&mut self, position: usize, pid: Pid, reason: String) {
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
        self.outcomes[position] = Some(Outcome::failed(
            job,
            Failure::new(ErrorKind::Worker, reason),
            worker,
        ));
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
    use crate::strategy::testing::{assert_complete, batch, jobs, Death, EventLog, TestRunner};
    use std::collections::BTreeSet;

    /// Runs the fork strategy inside the (multi-threaded) test harness.
    fn run_in_test(
        jobs: Vec<Job>,
        workers: usize,
        runner: &TestRunner,
        events: &dyn EventSink,
    ) -> Run {
        // SAFETY: the test runner only computes, writes its pipe and exits; see `run_unchecked`.
        unsafe { run_unchecked(jobs, workers, runner, events) }.unwrap()
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
    fn when_every_worker_is_killed_the_rest_fail_with_the_reason() {
        let runner = TestRunner {
            die_on: vec![(0, Death::Kill), (1, Death::Kill)],
            ..TestRunner::new()
        };
        let run = run_in_test(jobs(5), 2, &runner, &crate::job::NoEvents);
        assert_eq!(run.outcomes.len(), 5);
        for o in &run.outcomes {
            let failure = o.failure.as_ref().expect("every job failed");
            assert_eq!(failure.kind, ErrorKind::Worker);
            assert!(
                failure.message.contains("killed by signal SIGKILL"),
                "{failure}"
            );
        }
        assert_eq!(run.stats.workers.len(), 2);
        assert_all_reaped(&run);
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
