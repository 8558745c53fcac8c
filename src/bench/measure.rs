//! Running one child process and measuring it from outside, the way `time` does: wall clock
//! around spawn → reap, and the kernel's accounting from `wait4(2)`'s rusage.
//!
//! Children are made with fork+exec (`os::spawn_tied`) so that their max RSS is their own, not
//! the bench's, and so that they die with the bench even if it is killed with SIGKILL. A stop
//! signal (SIGINT/SIGTERM) to the bench kills the child being measured at once and reaps it.
//! Linux's wait4 rusage covers the child *and its descendants that it waited
//! for*: the CPU time of the fork strategy's reaped workers is in the parent's user/sys, their
//! context switches are counted, and max RSS is the largest of the parent and those workers (not
//! their sum).

use std::io;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::os::{self, Ended, Pid, PidFd, StopSource};

/// How a measured child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this status.
    Code(i32),
    /// A signal ended it (not ours).
    Signal(i32),
    /// It was still running at its deadline, and was killed.
    Deadline,
}

impl Exit {
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }

    pub fn describe(self) -> String {
        match self {
            Exit::Code(code) => format!("exit {code}"),
            Exit::Signal(signal) => format!("signal {signal}"),
            Exit::Deadline => "killed at deadline".to_string(),
        }
    }
}

impl Serialize for Exit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.describe())
    }
}

/// What the OS says one child cost.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    pub wall_ms: f64,
    pub user_ms: f64,
    pub sys_ms: f64,
    pub max_rss_kib: u64,
    /// Voluntary context switches (the child blocked, e.g. waiting for a socket).
    pub nvcsw: u64,
    /// Involuntary context switches (the scheduler preempted it).
    pub nivcsw: u64,
    pub exit: Exit,
}

/// A measured run: the usage and everything the child wrote on stdout.
pub struct Measured {
    pub usage: Usage,
    pub stdout: Vec<u8>,
}

/// Spawn `command` (stdin null, stdout piped; stderr as the caller set it), read its stdout to the
/// end, reap it with wait4 and return what it cost. A child still running at `deadline` is killed
/// (SIGKILL) and reaped; it is always reaped. When `stop` fires first the child is killed and
/// reaped likewise, and the result is an `Interrupted` error.
pub fn measure(
    command: &mut Command,
    deadline: Duration,
    stop: &StopSource,
) -> io::Result<Measured> {
    command.stdin(Stdio::null()).stdout(Stdio::piped());
    // At exec, Linux charges the *old* address space's high-water RSS to the new program's
    // ru_maxrss: after a vfork-style spawn that is the bench's own address space (tens of MiB of
    // mapped binary), after a fork only the copy of its anonymous pages (well under a MiB here).
    os::spawn_tied(command, os::Group::Same);
    let started = Instant::now();
    let mut child = command.spawn()?;
    let pid = Pid::from_raw(child.id() as i32);
    let stop_at = started + deadline;
    let mut stdout = Vec::new();
    let read = match child.stdout.take() {
        Some(pipe) => read_until(pipe, stop_at, stop, &mut stdout),
        None => Ok(true),
    };
    let finished = matches!(read, Ok(true)) && exits_before(pid, stop_at);
    if !finished {
        // The pid is still ours (unreaped), so the signal cannot hit another process.
        let _ = child.kill();
    }
    // std's `Child` is never waited on, so this reaps exactly our child.
    let reaped = os::reap(pid)?;
    let wall = started.elapsed();
    read?;
    if let Some(signal) = stop.signal() {
        return Err(io::Error::new(
            io::ErrorKind::Interrupted,
            format!("interrupted by {}", signal.as_str()),
        ));
    }
    let exit = match (finished, reaped.ended) {
        (false, _) => Exit::Deadline,
        (true, Ended::Exited(code)) => Exit::Code(code),
        (true, Ended::Killed(signal)) => Exit::Signal(signal),
    };
    let usage = reaped.usage;
    Ok(Measured {
        usage: Usage {
            wall_ms: wall.as_secs_f64() * 1000.0,
            user_ms: millis(usage.user),
            sys_ms: millis(usage.system),
            max_rss_kib: usage.max_rss_kib,
            nvcsw: usage.voluntary_switches,
            nivcsw: usage.involuntary_switches,
            exit,
        },
        stdout,
    })
}

fn millis(duration: Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

/// Read `pipe` into `out` until end of file (true), or until `stop_at` or a stop signal (false).
/// Each pass either reads bytes, sees the end, or times out or stops.
fn read_until(
    mut pipe: std::process::ChildStdout,
    stop_at: Instant,
    stop: &StopSource,
    out: &mut Vec<u8>,
) -> io::Result<bool> {
    let mut buf = [0u8; 64 * 1024];
    loop {
        let ready = os::poll_readable(&[pipe.as_fd(), stop.watch()], Some(stop_at))?;
        if ready[1] || !ready[0] {
            return Ok(false);
        }
        match os::read(&mut pipe, &mut buf)? {
            0 => return Ok(true),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Whether our unreaped child `pid` exits before `stop_at` (it closed stdout, so it is usually
/// exiting already). Without pidfds (old kernels) the closed stdout is the best sign there is.
fn exits_before(pid: Pid, stop_at: Instant) -> bool {
    PidFd::open(pid).map_or(true, |fd| fd.exits_before(stop_at).unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `measure` with a stop source no signal feeds.
    fn measure_now(command: &mut Command, deadline: Duration) -> io::Result<Measured> {
        measure(command, deadline, &StopSource::new().unwrap())
    }

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    #[test]
    fn measures_a_child_and_keeps_its_stdout() {
        let m = measure_now(&mut sh("echo hello; exit 3"), Duration::from_secs(30)).unwrap();
        assert_eq!(m.stdout, b"hello\n");
        assert_eq!(m.usage.exit, Exit::Code(3));
        assert!(m.usage.wall_ms > 0.0);
        assert!(
            m.usage.max_rss_kib > 0,
            "the kernel reports the child's peak RSS"
        );
    }

    #[test]
    fn counts_the_cpu_of_waited_for_descendants() {
        // A busy grandchild that sh waits for: its CPU time lands in sh's rusage.
        let m = measure_now(
            &mut sh("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done & wait"),
            Duration::from_secs(60),
        )
        .unwrap();
        assert!(m.usage.exit.success());
        assert!(m.usage.user_ms + m.usage.sys_ms > 0.0);
    }

    #[test]
    fn max_rss_is_not_charged_for_the_parents_mapped_files() {
        // Keep 64 MiB of a file resident in this process (file-backed pages, like a big
        // binary's): a child measured by `measure` must not inherit them as its max RSS, as it
        // would after a vfork-style spawn.
        use std::io::Write;
        use std::os::fd::AsRawFd;
        const LEN: usize = 64 << 20;
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&vec![1u8; LEN]).unwrap();
        // SAFETY: a fresh private read-only mapping of a file we own, LEN bytes long; it is only
        // read through `pages` below and unmapped before the file is dropped.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                LEN,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_POPULATE,
                file.as_raw_fd(),
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        // SAFETY: `base` maps LEN readable bytes (checked above) that nothing writes.
        let pages = unsafe { std::slice::from_raw_parts(base as *const u8, LEN) };
        let resident: usize = pages.iter().step_by(4096).map(|&b| b as usize).sum();
        let m = measure_now(&mut sh("exit 0"), Duration::from_secs(30)).unwrap();
        // SAFETY: unmapping exactly the mapping made above; `pages` is not used after this.
        unsafe { libc::munmap(base, LEN) };
        assert_eq!(resident, LEN / 4096);
        assert!(
            m.usage.max_rss_kib < 32 * 1024,
            "{} KiB",
            m.usage.max_rss_kib
        );
    }

    #[test]
    fn kills_a_child_at_its_deadline_and_reaps_it() {
        let m = measure_now(&mut sh("exec sleep 30"), Duration::from_millis(200)).unwrap();
        assert_eq!(m.usage.exit, Exit::Deadline);
        assert_eq!(m.usage.exit.describe(), "killed at deadline");
    }

    #[test]
    fn a_missing_program_is_an_error() {
        let err = measure_now(
            &mut Command::new("/nonexistent/netrun-bench-test"),
            Duration::from_secs(5),
        );
        assert!(err.is_err());
    }

    #[test]
    fn a_stop_kills_and_reaps_the_child_and_says_so() {
        let stop = StopSource::new().unwrap();
        stop.trigger(crate::os::Signal::SIGINT);
        let started = Instant::now();
        let err = measure(&mut sh("exec sleep 30"), Duration::from_secs(60), &stop)
            .err()
            .expect("interrupted");
        assert_eq!(err.kind(), io::ErrorKind::Interrupted);
        assert_eq!(err.to_string(), "interrupted by SIGINT");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
