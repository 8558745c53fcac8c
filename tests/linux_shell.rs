//! The `linux` profile against a shell netrun did not write: OpenSSH's sshd (in inetd mode, one
//! per connection this test accepts on loopback) running a real bash for the user running the
//! test. bash ≥ 5.1 frames every prompt with bracketed-paste escapes (`ESC[?2004h`), which
//! netrun must cut out to see the prompt at all.

mod common;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use common::{json, netrun, stderr};

const SSHD: &str = "/usr/sbin/sshd";
/// The most connections one test opens (a run per strategy, and a push).
const MAX_CONNECTIONS: usize = 16;

/// sshd with a bash login for this user, on a loopback port; stopped (and its children killed)
/// on drop.
struct RealShell {
    dir: tempfile::TempDir,
    port: u16,
    stop: Arc<AtomicBool>,
    accepter: Option<JoinHandle<()>>,
    sessions: Arc<Mutex<Vec<Child>>>,
}

impl RealShell {
    fn start() -> RealShell {
        RealShell::start_with("")
    }

    /// As `start`, with `extra` lines appended to sshd's configuration.
    fn start_with(extra: &str) -> RealShell {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: install openssh-server (.ci/run does)"
        );
        let dir = tempfile::tempdir().unwrap();
        for key in ["host_key", "client_key"] {
            common::ssh_keygen(&dir.path().join(key), "");
        }
        std::fs::copy(
            dir.path().join("client_key.pub"),
            dir.path().join("authorized_keys"),
        )
        .unwrap();
        let path = |name: &str| dir.path().join(name).display().to_string();
        let config = format!(
            "HostKey {}\nAuthorizedKeysFile {}\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\n\
             StrictModes no\nPidFile none\nLogLevel ERROR\n\
             ForceCommand /bin/bash --norc --noprofile -i\n{extra}",
            path("host_key"),
            path("authorized_keys"),
        );
        std::fs::write(dir.path().join("sshd_config"), config).unwrap();
        if running_as_root() {
            // sshd's privilege separation directory, which a booted Debian creates.
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let sessions = Arc::new(Mutex::new(Vec::new()));
        let accepter = {
            let (stop, sessions, config) = (stop.clone(), sessions.clone(), path("sshd_config"));
            std::thread::spawn(move || accept(&listener, &stop, &sessions, &config))
        };
        RealShell {
            dir,
            port,
            stop,
            accepter: Some(accepter),
            sessions,
        }
    }

    /// An inventory of one linux host: this shell, logged into by key as this user.
    fn inventory(&self) -> String {
        let path = self.dir.path().join("devices.yaml");
        let mut file = std::fs::File::create(&path).unwrap();
        write!(
            file,
            "- name: box\n  device_type: linux\n  host: 127.0.0.1\n  port: {}\n  username: {}\n  \
             key_file: {}\n",
            self.port,
            user(),
            self.dir.path().join("client_key").display()
        )
        .unwrap();
        path.display().to_string()
    }
}

/// Serve each connection with its own `sshd -i`, until told to stop.
fn accept(listener: &TcpListener, stop: &AtomicBool, sessions: &Mutex<Vec<Child>>, config: &str) {
    for _ in 0..MAX_CONNECTIONS {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let input = OwnedFd::from(stream.try_clone().unwrap());
        let output = OwnedFd::from(stream);
        let child = Command::new(SSHD)
            .args(["-i", "-f", config])
            .stdin(Stdio::from(input))
            .stdout(Stdio::from(output))
            .stderr(Stdio::null())
            .spawn()
            .expect("start sshd -i");
        sessions.lock().unwrap().push(child);
    }
}

impl Drop for RealShell {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accepter if it is still waiting for a connection.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accepter) = self.accepter.take() {
            let _ = accepter.join();
        }
        for mut child in self.sessions.lock().unwrap().drain(..) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn running_as_root() -> bool {
    id("-u") == "0"
}

fn user() -> String {
    id("-un")
}

/// `id FLAG`'s answer.
fn id(flag: &str) -> String {
    let out = Command::new("id").arg(flag).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_real_bash_over_sshd_runs_commands_under_every_strategy() {
    let shell = RealShell::start();
    let inventory = shell.inventory();
    for strategy in netrun::strategies().map(|s| s.name()) {
        let out = netrun(&[
            "-i",
            &inventory,
            "-s",
            strategy,
            "-o",
            "json",
            "-c",
            "echo hello",
            "-c",
            "uname -s",
            "-c",
            "nosuchcmd",
        ]);
        // The unknown command fails the host; the others answered.
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        let host = &doc["hosts"][0];
        let prompt = host["prompt"].as_str().unwrap();
        assert!(
            prompt.starts_with("bash-") && (prompt.ends_with('#') || prompt.ends_with('$')),
            "{strategy}: bash's --norc prompt, without its escapes: {prompt:?}"
        );
        let commands = host["commands"].as_array().unwrap();
        let seen: Vec<(&str, bool)> = commands
            .iter()
            .map(|c| (c["output"].as_str().unwrap(), c["ok"].as_bool().unwrap()))
            .collect();
        assert_eq!(
            seen,
            [
                ("hello", true),
                ("Linux", true),
                ("bash: nosuchcmd: command not found", false)
            ],
            "{strategy}"
        );
        assert_eq!(host["error"]["kind"], "command", "{strategy}");
    }
}

#[test]
fn a_push_to_a_real_bash_runs_its_lines_and_has_nothing_to_save() {
    let shell = RealShell::start();
    let inventory = shell.inventory();
    let out = netrun(&[
        "config", "-i", &inventory, "-o", "json", "-c", "cd /", "-c", "pwd", "--save",
    ]);
    let doc = json(&out);
    let host = &doc["hosts"][0];
    if !running_as_root() {
        // A push runs in a root shell: `sudo -i`, which this test does not set up for a user.
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let message = host["error"]["message"].as_str().unwrap();
        assert!(message.contains("sudo"), "{message}");
        return;
    }
    // Root logged in at `#`: no sudo, and the push stays in the login shell.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config = &host["config"];
    assert_eq!(config["applied"], serde_json::json!(["cd /", "pwd"]));
    assert_eq!(config["lines"][1]["reply"], "/");
    assert_eq!(config["save"]["ok"], true);
    assert_eq!(
        config["save"]["reply"],
        "nothing to save: linux keeps no configuration to save"
    );
    assert!(config["final_prompt"].as_str().unwrap().ends_with('#'));
}

/// netrun sends the pty request and the shell request together (libssh2 patch 11) and takes the
/// pty's reply first: sshd told to refuse a pty (`PermitTTY no`) answers it with a failure and
/// the shell with a success, and the host must fail on the pty, at once, under both drivers.
#[test]
fn a_refused_pty_fails_the_host_while_opening_the_shell() {
    let shell = RealShell::start_with("PermitTTY no\n");
    let inventory = shell.inventory();
    for strategy in ["sequential", "async"] {
        let out = netrun(&[
            "-i",
            &inventory,
            "-s",
            strategy,
            "-o",
            "json",
            "--timeout",
            "20",
            "-c",
            "echo hi",
        ]);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        let error = &doc["hosts"][0]["error"];
        assert_eq!(error["kind"], "protocol", "{strategy}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("opening the SSH shell") && message.contains("request-pty"),
            "{strategy}: {message}"
        );
    }
}
