//! `--lab N`: a testbed of N simulated devices in a child process (netrun re-executing itself as
//! `netrun __testbed ...`), started before any session and stopped when the run ends.
//!
//! The child is made with fork+exec by `std::process::Command` and read on the calling thread, so
//! starting a lab creates no thread in netrun: the fork strategy can still fork afterwards.

use std::io::{BufRead, BufReader};
use std::os::fd::{AsFd, FromRawFd};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// How long a lab may take to bind its ports (5,460 devices take about a second here).
const READY_DEADLINE: Duration = Duration::from_secs(60);

/// A running lab; stopped (SIGTERM, then reaped) on drop.
pub struct Lab {
    child: Child,
    dir: tempfile::TempDir,
}

impl Lab {
    /// Start `devices` simulated devices with latency `profile` on free loopback ports.
    /// `extra` is passed to the testbed as is (e.g. `--fault auth-fail:R3`).
    pub fn start(devices: usize, profile: &str, extra: &[String]) -> Result<Lab> {
        let exe = std::env::current_exe().context("finding netrun's own executable")?;
        let dir = tempfile::tempdir().context("creating a directory for the lab inventory")?;
        let inventory = dir.path().join("devices.yaml");
        let child = Command::new(exe)
            .arg("__testbed")
            .args(["--devices", &devices.to_string()])
            .args(["--profile", profile])
            .args(["--ssh-port", "0"])
            .arg("--inventory-out")
            .arg(&inventory)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the lab (netrun __testbed)")?;
        let mut lab = Lab { child, dir };
        lab.wait_ready(devices)?;
        Ok(lab)
    }

    /// The inventory the testbed wrote, in the book's devices.yaml shape.
    pub fn inventory(&self) -> PathBuf {
        self.dir.path().join("devices.yaml")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_ready(&mut self, devices: usize) -> Result<()> {
        let stdout = self.child.stdout.take().context("lab stdout")?;
        let started = Instant::now();
        let expected = format!("ready {devices} devices");
        // The child's stdout closes if it exits, so this loop ends either way; the deadline is
        // checked between lines as a second bound.
        for line in BufReader::new(stdout).lines() {
            let line = line.context("reading the lab's output")?;
            if line.trim() == expected {
                return Ok(());
            }
            if started.elapsed() > READY_DEADLINE {
                break;
            }
        }
        let status = self.child.try_wait().ok().flatten();
        bail!(
            "the lab did not become ready (expected `{expected}` within {} s){}",
            READY_DEADLINE.as_secs(),
            status
                .map(|s| format!("; it exited with {s}"))
                .unwrap_or_default()
        )
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}

/// SIGTERM, then wait up to a grace period for the exit (polling a pidfd, no sleep loop); SIGKILL
/// if it has not exited by then. Always reaps.
fn stop_child(child: &mut Child) {
    let pid = child.id() as libc::pid_t;
    if nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .is_ok()
        && !exits_within(pid, Duration::from_secs(5))
    {
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// Whether process `pid` (our unreaped child) exits within `grace`.
fn exits_within(pid: libc::pid_t, grace: Duration) -> bool {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1; no memory is shared.
    // The pid cannot be recycled before we reap it, since it is our child and unreaped.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return false;
    }
    // SAFETY: fd was just returned by pidfd_open and is owned by nothing else.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) };
    let mut fds = [nix::poll::PollFd::new(
        fd.as_fd(),
        nix::poll::PollFlags::POLLIN,
    )];
    let timeout = nix::poll::PollTimeout::try_from(grace.as_millis() as i32)
        .unwrap_or(nix::poll::PollTimeout::MAX);
    matches!(nix::poll::poll(&mut fds, timeout), Ok(n) if n > 0)
}
