//! Old devices and keys end to end: the real netrun binary against a real testbed on loopback.
//! Legacy SSH algorithms are negotiated only when asked for (flag or inventory), and logins work
//! with a key file (plain and passphrase-protected) and with an SSH agent, under every strategy
//! (blocking libssh2 for sequential/threads/fork, async-ssh2-lite for async).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{json, netrun, netrun_env, stderr, TestLab};

/// Every strategy netrun has: a new row of the strategy table is tested here without a change.
fn strategies() -> impl Iterator<Item = &'static str> {
    netrun::strategies().map(|strategy| strategy.name())
}

/// An empty `SSH_AUTH_SOCK` means "no agent": runs that must not use the developer's agent.
const NO_AGENT: (&str, &str) = ("SSH_AUTH_SOCK", "");

/// `show version` on every host of `inventory` under `strategy`, JSON out: (exit code, report).
fn show_version(
    inventory: &Path,
    strategy: &str,
    flags: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, serde_json::Value) {
    let inventory = inventory.to_str().unwrap();
    let args = [
        &["-i", inventory, "-s", strategy, "-o", "json"],
        flags,
        &["-c", "show version"],
    ]
    .concat();
    let out = netrun_env(&args, env);
    let doc = json(&out);
    assert!(
        !stderr(&out).contains("BEGIN OPENSSH"),
        "key material on stderr"
    );
    (out.status.code(), doc)
}

/// Every host logs in and shows its version, under every strategy.
fn assert_every_strategy_logs_in(
    inventory: &Path,
    hosts: usize,
    flags: &[&str],
    env: &[(&str, &str)],
) {
    for strategy in strategies() {
        let (code, doc) = show_version(inventory, strategy, flags, env);
        assert_eq!(code, Some(0), "{strategy}: {doc}");
        assert_eq!(doc["ok"], hosts, "{strategy}: {doc}");
        for host in doc["hosts"].as_array().unwrap() {
            let output = host["commands"][0]["output"].as_str().unwrap();
            assert!(output.contains("Cisco IOS Software"), "{strategy}: {host}");
        }
    }
}

/// Every host fails with error `kind`, under every strategy, and netrun exits 1.
fn assert_every_strategy_fails(inventory: &Path, kind: &str, flags: &[&str], env: &[(&str, &str)]) {
    for strategy in strategies() {
        let (code, doc) = show_version(inventory, strategy, flags, env);
        assert_eq!(code, Some(1), "{strategy}: {doc}");
        assert_eq!(doc["ok"], 0, "{strategy}: {doc}");
        for host in doc["hosts"].as_array().unwrap() {
            assert_eq!(host["error"]["kind"], kind, "{strategy}: {host}");
        }
    }
}

/// The lab's inventory, saved as `name`, with the keys in `drop` removed from every host and the
/// `key: value` lines in `add` added to every host.
fn rewrite_inventory(lab: &TestLab, name: &str, drop: &[&str], add: &[String]) -> PathBuf {
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let mut rewritten = String::new();
    for line in text.lines() {
        let key = line.trim_start_matches("- ").trim_start();
        let key = key.split(':').next().unwrap_or_default();
        if drop.contains(&key) {
            continue;
        }
        rewritten.push_str(line);
        rewritten.push('\n');
        if key == "username" {
            for extra in add {
                rewritten.push_str(&format!("  {extra}\n"));
            }
        }
    }
    let path = lab.dir().join(name);
    std::fs::write(&path, rewritten).unwrap();
    path
}

/// A new ed25519 key pair `dir/name` (and `dir/name.pub`), protected by `passphrase` if not empty.
fn keygen(dir: &Path, name: &str, passphrase: &str) -> PathBuf {
    let key = dir.join(name);
    common::ssh_keygen(&key, passphrase);
    key
}

fn public(key: &Path) -> String {
    format!("{}.pub", key.display())
}

fn key_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn legacy_devices_need_legacy_algorithms() {
    let lab = TestLab::start(2, &["--ssh-legacy"]);
    // The testbed's inventory marks its legacy devices `ssh_legacy: true`.
    let per_host = lab.inventory();
    assert!(std::fs::read_to_string(&per_host)
        .unwrap()
        .contains("ssh_legacy: true"));
    assert_every_strategy_logs_in(&per_host, 2, &[], &[NO_AGENT]);

    let modern = rewrite_inventory(&lab, "modern.yaml", &["ssh_legacy"], &[]);
    assert_every_strategy_logs_in(&modern, 2, &["--ssh-legacy"], &[NO_AGENT]);
    // A modern client must not negotiate SHA-1 key exchange or ssh-rsa host keys.
    assert_every_strategy_fails(&modern, "protocol", &[], &[NO_AGENT]);
}

#[test]
fn key_files_log_in_without_a_password() {
    let keys = key_dir();
    let key = keygen(keys.path(), "id", "");
    let locked = keygen(keys.path(), "locked", "lab passphrase");
    let lab = TestLab::start(
        2,
        &[
            "--authorized-key",
            &public(&key),
            "--authorized-key",
            &public(&locked),
        ],
    );

    let plain = rewrite_inventory(
        &lab,
        "key.yaml",
        &["password"],
        &[format!("key_file: {}", key.display())],
    );
    assert_every_strategy_logs_in(&plain, 2, &[], &[NO_AGENT]);

    let with_passphrase = rewrite_inventory(
        &lab,
        "locked.yaml",
        &["password"],
        &[
            format!("key_file: {}", locked.display()),
            "key_passphrase: ${NETRUN_TEST_KEYPASS}".to_string(),
        ],
    );
    let passphrase = [NO_AGENT, ("NETRUN_TEST_KEYPASS", "lab passphrase")];
    assert_every_strategy_logs_in(&with_passphrase, 2, &[], &passphrase);
    let wrong_passphrase = [NO_AGENT, ("NETRUN_TEST_KEYPASS", "not it")];
    let (code, doc) = show_version(&with_passphrase, "sequential", &[], &wrong_passphrase);
    assert_eq!(code, Some(1), "{doc}");
    assert!(
        !doc.to_string().contains("not it"),
        "passphrase in the report: {doc}"
    );
}

#[test]
fn a_key_the_device_does_not_know_is_an_auth_failure() {
    let keys = key_dir();
    let known = keygen(keys.path(), "known", "");
    let stranger = keygen(keys.path(), "stranger", "");
    let lab = TestLab::start(2, &["--authorized-key", &public(&known)]);
    let inventory = rewrite_inventory(
        &lab,
        "stranger.yaml",
        &["password"],
        &[format!("key_file: {}", stranger.display())],
    );
    assert_every_strategy_fails(&inventory, "auth", &[], &[NO_AGENT]);

    // With its password too, the host falls back to the password after the key is refused.
    let fallback = rewrite_inventory(
        &lab,
        "fallback.yaml",
        &[],
        &[format!("key_file: {}", stranger.display())],
    );
    assert_every_strategy_logs_in(&fallback, 2, &[], &[NO_AGENT]);
}

#[test]
fn the_auth_fail_fault_rejects_keys_too() {
    let keys = key_dir();
    let key = keygen(keys.path(), "id", "");
    let lab = TestLab::start(
        2,
        &["--authorized-key", &public(&key), "--fault", "auth-fail:R2"],
    );
    let inventory = rewrite_inventory(
        &lab,
        "key.yaml",
        &["password"],
        &[format!("key_file: {}", key.display())],
    );
    let (code, doc) = show_version(&inventory, "sequential", &[], &[NO_AGENT]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["hosts"][0]["ok"], true, "{doc}");
    assert_eq!(doc["hosts"][1]["error"]["kind"], "auth", "{doc}");
}

#[test]
fn keys_log_in_users_configured_on_the_device() {
    let keys = key_dir();
    let key = keygen(keys.path(), "id", "");
    let lab = TestLab::start(1, &["--authorized-key", &public(&key)]);
    let with_password = lab.inventory();
    let out = netrun(&[
        "config",
        "-i",
        with_password.to_str().unwrap(),
        "-c",
        "username admin privilege 15 secret s3cr3t",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let admin = rewrite_inventory(&lab, "admin.yaml", &["password", "username"], &[]);
    let admin_text = std::fs::read_to_string(&admin).unwrap().replace(
        "  device_type:",
        &format!(
            "  username: admin\n  key_file: {}\n  device_type:",
            key.display()
        ),
    );
    std::fs::write(&admin, admin_text).unwrap();
    assert_every_strategy_logs_in(&admin, 1, &[], &[NO_AGENT]);

    let nobody = std::fs::read_to_string(&admin)
        .unwrap()
        .replace("username: admin", "username: nobody");
    std::fs::write(&admin, nobody).unwrap();
    let (code, doc) = show_version(&admin, "sequential", &[], &[NO_AGENT]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["hosts"][0]["error"]["kind"], "auth", "{doc}");
}

/// An ssh-agent on its own socket, started in the foreground as a child; killed on drop.
struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent");
        let mut agent = Agent { child, socket };
        // It prints its environment once the socket listens (EOF if it died: no hang).
        let mut line = String::new();
        BufReader::new(agent.child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("SSH_AUTH_SOCK="),
            "ssh-agent said {line:?}"
        );
        agent
    }

    fn add(&self, key: &Path) {
        let status = Command::new("ssh-add")
            .arg("-q")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .stdin(Stdio::null())
            .status()
            .expect("run ssh-add");
        assert!(status.success(), "ssh-add failed");
    }

    fn env(&self) -> (&'static str, &str) {
        ("SSH_AUTH_SOCK", self.socket.to_str().unwrap())
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_ssh_agent_logs_in_without_password_or_key_file() {
    let keys = key_dir();
    let key = keygen(keys.path(), "id", "");
    let stranger = keygen(keys.path(), "stranger", "");
    let lab = TestLab::start(2, &["--authorized-key", &public(&key)]);
    let agent = Agent::start(keys.path());
    // The first identity is refused: netrun goes on to the next one.
    agent.add(&stranger);
    agent.add(&key);
    let inventory = rewrite_inventory(&lab, "agent.yaml", &["password"], &[]);
    assert_every_strategy_logs_in(&inventory, 2, &[], &[agent.env()]);
    // Without the agent the host has nothing to log in with.
    assert_every_strategy_fails(&inventory, "auth", &[], &[NO_AGENT]);
}

#[test]
fn a_dead_agent_socket_falls_back_to_the_password() {
    let keys = key_dir();
    let key = keygen(keys.path(), "id", "");
    let lab = TestLab::start(1, &["--authorized-key", &public(&key)]);
    let missing = keys.path().join("no-agent.sock");
    let env = [("SSH_AUTH_SOCK", missing.to_str().unwrap())];
    assert_every_strategy_logs_in(&lab.inventory(), 1, &[], &env);
}

/// Each device's SSH authentication requests in the lab's `--auth-log`, in order.
fn requests_by_device(log: &Path) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut requests = std::collections::BTreeMap::<String, Vec<String>>::new();
    for line in std::fs::read_to_string(log).unwrap_or_default().lines() {
        let (device, method) = line.split_once(' ').unwrap();
        requests
            .entry(device.to_string())
            .or_default()
            .push(method.to_string());
    }
    requests
}

/// `methods` for each of R1..R`devices`.
fn expected(devices: usize, methods: &[&str]) -> std::collections::BTreeMap<String, Vec<String>> {
    (1..=devices)
        .map(|i| {
            let methods = methods.iter().map(|m| m.to_string()).collect();
            (format!("R{i}"), methods)
        })
        .collect()
}

/// Every device got the password, refused, then the "none" request for the list, then
/// keyboard-interactive (its request and the answer to its prompt).
fn assert_password_then_keyboard_interactive(log: &Path, strategy: &str) {
    for (device, methods) in requests_by_device(log) {
        assert_eq!(methods[..2], ["password", "none"], "{strategy}: {device}");
        assert!(
            methods.len() > 2 && methods[2..].iter().all(|m| m == "keyboard-interactive"),
            "{strategy}: {device}: {methods:?}"
        );
    }
}

#[test]
fn a_password_is_sent_at_once_without_asking_for_the_methods_first() {
    // With nothing but a password, netrun sends it first, as Paramiko does: no "none" request
    // before it, one round trip fewer per login. A wrong one is refused, and then the method
    // list is asked for and keyboard-interactive tried, as before.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let lab = TestLab::start(2, &["--auth-log", log.to_str().unwrap()]);
    let wrong = rewrite_inventory(
        &lab,
        "wrong.yaml",
        &["password"],
        &["password: wrong".into()],
    );
    for strategy in strategies() {
        std::fs::write(&log, "").unwrap();
        let (code, doc) = show_version(&lab.inventory(), strategy, &[], &[NO_AGENT]);
        assert_eq!(code, Some(0), "{strategy}: {doc}");
        assert_eq!(
            requests_by_device(&log),
            expected(2, &["password"]),
            "{strategy}"
        );

        std::fs::write(&log, "").unwrap();
        let (code, doc) = show_version(&wrong, strategy, &[], &[NO_AGENT]);
        assert_eq!(code, Some(1), "{strategy}: {doc}");
        for host in doc["hosts"].as_array().unwrap() {
            assert_eq!(host["error"]["kind"], "auth", "{strategy}: {host}");
            let message = host["error"]["message"].as_str().unwrap();
            assert!(
                message.ends_with("(tried password, keyboard-interactive)"),
                "{strategy}: {message}"
            );
        }
        assert_password_then_keyboard_interactive(&log, strategy);
    }
}

#[test]
fn a_device_without_the_password_method_is_logged_in_through_keyboard_interactive() {
    // Some AAA setups take passwords only through keyboard-interactive: the password method is
    // refused unchecked, netrun asks for the list and answers the prompt.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let lab = TestLab::start(
        2,
        &["--no-password-auth", "--auth-log", log.to_str().unwrap()],
    );
    for strategy in strategies() {
        std::fs::write(&log, "").unwrap();
        let (code, doc) = show_version(&lab.inventory(), strategy, &[], &[NO_AGENT]);
        assert_eq!(code, Some(0), "{strategy}: {doc}");
        assert_password_then_keyboard_interactive(&log, strategy);
    }
}
