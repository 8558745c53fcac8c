//! Shared helpers for netrun's integration tests: a testbed child process on loopback (stopped on
//! drop) and a way to run the real `netrun` binary against it.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const NETRUN: &str = env!("CARGO_BIN_EXE_netrun");

/// The largest max RSS of this process's reaped children, KiB.
pub fn children_max_rss_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a full rusage into the pointer it is given, which points to a
    // zeroed, properly aligned rusage that lives for the call.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: getrusage succeeded, so the value is initialised (it was zeroed before anyway).
    unsafe { usage.assume_init() }.ru_maxrss
}

/// A testbed serving simulated devices on free loopback ports, killed and reaped on drop.
pub struct TestLab {
    child: Child,
    dir: tempfile::TempDir,
}

impl TestLab {
    /// Start `devices` devices with the `instant` profile plus `extra` testbed flags.
    pub fn start(devices: usize, extra: &[&str]) -> TestLab {
        let count = devices.to_string();
        TestLab::launch(devices, &[&["--devices", &count], extra].concat())
    }

    /// Start the lab file `lab` (which defines `devices` devices) plus `extra` testbed flags.
    pub fn start_lab(lab: &Path, devices: usize, extra: &[&str]) -> TestLab {
        let lab = lab.to_str().unwrap();
        TestLab::launch(devices, &[&["--lab", lab], extra].concat())
    }

    fn launch(devices: usize, args: &[&str]) -> TestLab {
        let dir = tempfile::tempdir().unwrap();
        let inventory = dir.path().join("devices.yaml");
        // Free ports, unless the test names its own (a lab restarted on the same ports).
        let ports: &[&str] = match args.contains(&"--ssh-port") {
            true => &[],
            false => &["--ssh-port", "0"],
        };
        let mut child = Command::new(NETRUN)
            .arg("__testbed")
            .args(["--profile", "instant"])
            .args(ports)
            .arg("--inventory-out")
            .arg(&inventory)
            .args(args)
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("start the testbed");
        let stdout = child.stdout.take().unwrap();
        let expected = format!("ready {devices} devices");
        let started = Instant::now();
        let mut ready = false;
        for line in BufReader::new(stdout).lines().take(100) {
            if line.unwrap().trim() == expected {
                ready = true;
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "testbed too slow"
            );
        }
        let lab = TestLab { child, dir };
        assert!(ready, "the testbed never printed `{expected}`");
        lab
    }

    pub fn inventory(&self) -> PathBuf {
        self.dir.path().join("devices.yaml")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The lab's inventory saved as `name`, without its per-host `ssh_legacy: true`: only the
    /// `--ssh-legacy` flag then makes netrun offer legacy algorithms to legacy devices.
    pub fn inventory_without_ssh_legacy(&self, name: &str) -> PathBuf {
        let text = std::fs::read_to_string(self.inventory()).unwrap();
        let kept: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("ssh_legacy:"))
            .map(|line| format!("{line}\n"))
            .collect();
        assert_ne!(kept, text, "the lab has no legacy device");
        let path = self.dir().join(name);
        std::fs::write(&path, kept).unwrap();
        path
    }
}

impl Drop for TestLab {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The variables that shard a run or name its results' run id.
pub const SHARD_VARS: [&str; 6] = [
    "JOB_COMPLETION_INDEX",
    "NETRUN_SHARDS",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "NETRUN_RUN_ID",
];

/// Run netrun with `args`, a clean environment for secrets, and a bounded run time.
pub fn netrun(args: &[&str]) -> Output {
    netrun_env(args, &[])
}

pub fn netrun_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    netrun_in(None, args, env, Duration::from_secs(120))
}

/// Run netrun with `args` in `dir` (else the test's working directory), a clean environment for
/// secrets and the inventory plus `env`, killed if it outlives `limit`. `HOME` is a fresh empty
/// directory for each run, so the default host key policy (accept-new into
/// `~/.ssh/known_hosts`) records this run's testbed keys there, and never in the real home,
/// where a later testbed on the same ports, with another key, would fail as `hostkey`.
pub fn netrun_in(
    dir: Option<&Path>,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(NETRUN);
    cmd.env("HOME", home.path());
    cmd.args(args)
        .env_remove("NETRUN_PASSWORD")
        .env_remove("NETRUN_SECRET")
        .env_remove("NETRUN_KEY_PASSPHRASE")
        .env_remove("NETRUN_INVENTORY")
        .stdin(Stdio::null());
    // A test run inside a Kubernetes Job or a Slurm array must not shard netrun by accident.
    for var in SHARD_VARS {
        cmd.env_remove(var);
    }
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_bounded(child, limit)
}

/// Wait for `child`'s output, killing it if it outlives `limit`.
fn wait_bounded(child: Child, limit: Duration) -> Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            panic!("netrun ran longer than {limit:?}");
        }
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Parse netrun's JSON output.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "netrun's stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

/// Per host: (name, ok, prompt, command outputs).
pub fn outputs(doc: &serde_json::Value) -> Vec<(String, bool, String, Vec<String>)> {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let commands = h["commands"].as_array().unwrap();
            (
                h["name"].as_str().unwrap().to_string(),
                h["ok"].as_bool().unwrap(),
                h["prompt"].as_str().unwrap().to_string(),
                commands
                    .iter()
                    .map(|c| c["output"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// Per host: (name, error kind or "ok").
pub fn error_kinds(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_string(),
                h["error"]["kind"].as_str().unwrap_or("ok").to_string(),
            )
        })
        .collect()
}

/// An ed25519 key pair made by OpenSSH's `ssh-keygen` at `path` (and `path.pub`), locked with
/// `passphrase` (empty: none).
pub fn ssh_keygen(path: &Path, passphrase: &str) {
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-C",
            "netrun-test",
            "-N",
            passphrase,
            "-f",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .expect("run ssh-keygen");
    assert!(status.success(), "ssh-keygen failed");
}

/// Each host as `(name, ok, error kind, commands and outputs, config lines and replies)`: what
/// must be equal between runs (timings, ports and workers aside).
pub fn comparable(doc: &serde_json::Value) -> Vec<serde_json::Value> {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let commands: Vec<serde_json::Value> = h["commands"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| serde_json::json!([c["command"], c["prompt"], c["ok"], c["output"]]))
                .collect();
            let config = match &h["config"] {
                serde_json::Value::Null => serde_json::Value::Null,
                c => {
                    let lines: Vec<serde_json::Value> = c["lines"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|l| serde_json::json!([l["line"], l["prompt"], l["ok"], l["reply"]]))
                        .collect();
                    serde_json::json!([
                        lines,
                        c["applied"],
                        c["skipped"],
                        c["save"],
                        c["final_prompt"]
                    ])
                }
            };
            serde_json::json!([
                h["name"],
                h["ok"],
                h["error"]["kind"],
                h["prompt"],
                commands,
                config
            ])
        })
        .collect()
}
