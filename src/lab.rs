//! `--lab N`: a testbed of N simulated devices in a child process (netrun re-executing itself as
//! `netrun __testbed ...`), started before any session and stopped when the run ends.
//!
//! The child is made with fork+exec by `std::process::Command` and read on the calling thread, so
//! starting a lab creates no thread in netrun: the fork strategy can still fork afterwards. It
//! runs in its own process group, so a Ctrl-C on the terminal reaches only netrun, which closes
//! its sessions before it stops the lab; and it dies with netrun even when netrun is killed with
//! SIGKILL (`os::spawn_tied`: the main thread starts it, and lives as long as the process).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::os::{self, Pid, PidFd, Signal};

/// The file in the lab's directory where the testbed writes its devices' host keys.
const KNOWN_HOSTS: &str = "known_hosts";

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
        let mut command = Command::new(exe);
        os::spawn_tied(&mut command, os::Group::Own);
        let child = command
            .arg("__testbed")
            .args(["--devices", &devices.to_string()])
            .args(["--profile", profile])
            .args(["--ssh-port", "0"])
            .arg("--inventory-out")
            .arg(&inventory)
            .arg("--known-hosts-out")
            .arg(dir.path().join(KNOWN_HOSTS))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the lab (netrun __testbed)")?;
        // A second Ctrl-C ends netrun at once, with no destructor: it removes these itself.
        let known_hosts = dir.path().join(KNOWN_HOSTS);
        os::remove_on_second_signal(&[&inventory, &known_hosts, dir.path()]);
        let mut lab = Lab { child, dir };
        lab.wait_ready(devices)?;
        Ok(lab)
    }

    /// The inventory the testbed wrote, in the book's devices.yaml shape.
    pub fn inventory(&self) -> PathBuf {
        self.dir.path().join("devices.yaml")
    }

    /// The testbed child's pid, for reading what it costs (/proc/PID/stat) while it serves.
    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// The lab's host keys as the testbed reported them, a known_hosts file: the lab is checked
    /// against these (strict), and nothing is written to the user's own known_hosts.
    pub fn known_hosts(&self) -> PathBuf {
        self.dir.path().join(KNOWN_HOSTS)
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
        // The directory goes with `self.dir` right after this.
        os::keep_on_second_signal();
    }
}

/// SIGTERM, then wait up to a grace period for the exit (polling a pidfd, no sleep loop); SIGKILL
/// if it has not exited by then, or when there is no pidfd to tell. Always reaps.
fn stop_child(child: &mut Child) {
    let pid = Pid::from_raw(child.id() as i32);
    let grace = Duration::from_secs(5);
    // The child is unreaped until `wait` below, so its pid cannot name another process.
    if os::send_signal(pid, Signal::SIGTERM).is_ok()
        && !PidFd::open(pid)
            .is_ok_and(|fd| fd.exits_before(Instant::now() + grace).unwrap_or(false))
    {
        let _ = child.kill();
    }
    let _ = child.wait();
}
