//! Host keys against the real testbed, under every strategy: a first run records every key in
//! OpenSSH's format (OpenSSH's own ssh-keygen and ssh read the file netrun wrote), a changed key
//! fails its hosts as `hostkey` before any authentication request (the testbed's own log of
//! authentication requests shows none), `strict` with an empty known_hosts fails every host
//! before authentication, 50 hosts recorded at once by two runs (threads and fork) leave 50
//! well-formed lines, and lines hashed by `ssh-keygen -H`, `@revoked` and `@cert-authority`
//! lines are honoured.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{error_kinds, json, netrun, stderr, TestLab};

/// Every strategy's name, from netrun's own table.
fn strategies() -> Vec<&'static str> {
    netrun::strategies().map(|s| s.name()).collect()
}

/// A lab of `devices` that also writes its host keys (known_hosts format) and logs every SSH
/// authentication request it receives, plus `extra` testbed flags.
struct KeyLab {
    lab: TestLab,
    /// Holds `reported` (the keys) and `auth.log`.
    dir: tempfile::TempDir,
}

impl KeyLab {
    fn start(devices: usize, extra: &[&str]) -> KeyLab {
        let dir = tempfile::tempdir().unwrap();
        let reported = dir.path().join("reported");
        let log = dir.path().join("auth.log");
        let lab = TestLab::start(
            devices,
            &[
                &[
                    "--known-hosts-out",
                    reported.to_str().unwrap(),
                    "--auth-log",
                    log.to_str().unwrap(),
                ],
                extra,
            ]
            .concat(),
        );
        KeyLab { lab, dir }
    }

    /// The authentication requests the lab's devices received.
    fn auth_requests(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("auth.log"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn inventory(&self) -> PathBuf {
        self.lab.inventory()
    }

    /// The known_hosts lines the testbed reported for its devices.
    fn reported(&self) -> BTreeSet<String> {
        lines(&self.dir.path().join("reported"))
    }

    /// The SSH ports of the lab's devices, in device order.
    fn ports(&self) -> Vec<u16> {
        std::fs::read_to_string(self.inventory())
            .unwrap()
            .lines()
            .filter_map(|l| l.trim().strip_prefix("port: "))
            .map(|p| p.parse().unwrap())
            .collect()
    }
}

/// A file's lines, as a set.
fn lines(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Each host's host key status in a JSON report (`none` when it has no host key entry).
fn key_statuses(doc: &serde_json::Value) -> Vec<String> {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            h["host_key"]["status"]
                .as_str()
                .unwrap_or("none")
                .to_string()
        })
        .collect()
}

/// `ssh-keygen -F NAME -f FILE`: OpenSSH's own lookup.
fn ssh_keygen_finds(name: &str, file: &Path) -> bool {
    let out = Command::new("timeout")
        .args(["30", "ssh-keygen", "-F", name, "-f"])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains(name)
}

/// OpenSSH's `ssh` runs `show clock` on 127.0.0.1:`port` with StrictHostKeyChecking=yes and
/// `known_hosts` as its only known_hosts file (the password through SSH_ASKPASS).
fn openssh_exec(port: u16, known_hosts: &Path, dir: &Path) -> Output {
    let askpass = dir.join("askpass.sh");
    std::fs::write(&askpass, "#!/bin/sh\necho cisco\n").unwrap();
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&askpass, executable).unwrap();
    let known = format!("UserKnownHostsFile={}", known_hosts.display());
    Command::new("timeout")
        .args(["60", "ssh", "-F", "/dev/null", "-o", &known])
        .args(["-o", "GlobalKnownHostsFile=/dev/null"])
        .args(["-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10"])
        .args([
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "NumberOfPasswordPrompts=1",
        ])
        .args(["-p", &port.to_string(), "cisco@127.0.0.1", "show clock"])
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env("DISPLAY", "none")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_first_run_records_every_key_the_way_openssh_reads_it() {
    for strategy in strategies() {
        let lab = KeyLab::start(4, &[]);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        let inventory = lab.inventory();
        let args = [
            "-i",
            inventory.to_str().unwrap(),
            "--known-hosts",
            file.to_str().unwrap(),
            "-s",
            strategy,
            "-o",
            "json",
            "show",
            "clock",
        ];
        let out = netrun(&args);
        assert_eq!(out.status.code(), Some(0), "{strategy}: {}", stderr(&out));
        assert_eq!(key_statuses(&json(&out)), ["recorded"; 4], "{strategy}");
        // What netrun wrote is exactly what the testbed says its keys are.
        assert_eq!(lines(&file), lab.reported(), "{strategy}");
        for port in lab.ports() {
            let name = format!("[127.0.0.1]:{port}");
            assert!(ssh_keygen_finds(&name, &file), "{strategy}: {name}");
        }
        let ssh = openssh_exec(lab.ports()[0], &file, dir.path());
        assert!(
            ssh.status.success() && String::from_utf8_lossy(&ssh.stdout).contains("UTC"),
            "{strategy}: OpenSSH refused netrun's known_hosts: {}",
            String::from_utf8_lossy(&ssh.stderr)
        );
        // A second run finds them all and adds nothing.
        let again = netrun(&args);
        assert_eq!(
            again.status.code(),
            Some(0),
            "{strategy}: {}",
            stderr(&again)
        );
        assert_eq!(key_statuses(&json(&again)), ["known"; 4], "{strategy}");
        assert_eq!(lines(&file).len(), 4, "{strategy}");
    }
}

/// `text`'s device names prefixed with `prefix` (so two labs' inventories can be joined).
fn renamed(text: &str, prefix: &str) -> String {
    text.replace("- name: R", &format!("- name: {prefix}R"))
}

#[test]
fn a_changed_key_fails_its_hosts_before_any_authentication() {
    for strategy in strategies() {
        let steady = KeyLab::start(2, &[]);
        let first = KeyLab::start(2, &[]);
        let ports = first.ports();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        let inventory = dir.path().join("devices.yaml");
        let both = |changing: &KeyLab| {
            let text = std::fs::read_to_string(changing.inventory()).unwrap()
                + &renamed(&std::fs::read_to_string(steady.inventory()).unwrap(), "S");
            std::fs::write(&inventory, text).unwrap();
        };
        both(&first);
        let args = [
            "-i",
            inventory.to_str().unwrap(),
            "--known-hosts",
            file.to_str().unwrap(),
            "-s",
            strategy,
            "-o",
            "json",
            "show",
            "clock",
        ];
        let out = netrun(&args);
        assert_eq!(out.status.code(), Some(0), "{strategy}: {}", stderr(&out));
        let recorded = lines(&file);
        assert_eq!(recorded.len(), 4, "{strategy}");

        // The same devices on the same ports, with a new host key (a fresh one per start).
        drop(first);
        let base = ports[0].to_string();
        let changed = KeyLab::start(2, &["--ssh-port", &base]);
        assert_eq!(changed.ports(), ports, "{strategy}");
        assert!(changed.reported().is_disjoint(&recorded), "{strategy}");
        both(&changed);
        let out = netrun(&args);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        let kinds: Vec<String> = error_kinds(&doc).into_iter().map(|(_, k)| k).collect();
        assert_eq!(kinds, ["hostkey", "hostkey", "ok", "ok"], "{strategy}");
        for (index, host) in doc["hosts"].as_array().unwrap()[..2].iter().enumerate() {
            let message = host["error"]["message"].as_str().unwrap();
            let name = format!("[127.0.0.1]:{}", ports[index]);
            assert!(
                message.contains(&format!("host key for {name} has changed")),
                "{message}"
            );
            assert!(
                message.contains(&format!("{}:", file.display())),
                "{message}"
            );
            assert_eq!(message.matches("SHA256:").count(), 2, "{message}");
            assert!(message.ends_with("nothing was sent to it"), "{message}");
        }
        // Not one authentication request reached the devices with the new key.
        let requests = changed.auth_requests();
        assert!(requests.is_empty(), "{strategy}: {requests:?}");
        // The file is untouched: the old keys stay, nothing was added.
        assert_eq!(lines(&file), recorded, "{strategy}");
    }
}

#[test]
fn strict_with_an_empty_known_hosts_fails_every_host_before_authentication() {
    for strategy in strategies() {
        let lab = KeyLab::start(3, &[]);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        std::fs::write(&file, "").unwrap();
        let inventory = lab.inventory();
        let out = netrun(&[
            "-i",
            inventory.to_str().unwrap(),
            "--known-hosts",
            file.to_str().unwrap(),
            "--host-key-policy",
            "strict",
            "-s",
            strategy,
            "-o",
            "json",
            "show",
            "clock",
        ]);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        let kinds: Vec<String> = error_kinds(&doc).into_iter().map(|(_, k)| k).collect();
        assert_eq!(kinds, ["hostkey"; 3], "{strategy}");
        let message = doc["hosts"][0]["error"]["message"].as_str().unwrap();
        assert!(message.contains("the policy is strict"), "{message}");
        assert!(message.contains(&file.display().to_string()), "{message}");
        let requests = lab.auth_requests();
        assert!(requests.is_empty(), "{strategy}: {requests:?}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "", "{strategy}");
    }
}

#[test]
fn ssh_configs_strict_checking_and_known_hosts_file_apply_where_the_inventory_is_silent() {
    let lab = KeyLab::start(2, &[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config_known_hosts");
    std::fs::write(&file, "").unwrap();
    let config = dir.path().join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host *\n  StrictHostKeyChecking yes\n  UserKnownHostsFile {}\n",
            file.display()
        ),
    )
    .unwrap();
    let inventory = lab.inventory();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "-i",
            inventory.to_str().unwrap(),
            "--ssh-config",
            config.to_str().unwrap(),
            "-o",
            "json",
        ];
        args.extend(extra);
        args.extend(["show", "clock"]);
        netrun(&args)
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    let kinds: Vec<String> = error_kinds(&doc).into_iter().map(|(_, k)| k).collect();
    assert_eq!(kinds, ["hostkey"; 2]);
    let message = doc["hosts"][0]["error"]["message"].as_str().unwrap();
    assert!(message.contains(&file.display().to_string()), "{message}");
    assert!(lab.auth_requests().is_empty());
    // The flag still wins over ssh_config: accept-new records into ssh_config's file.
    let out = run(&["--host-key-policy", "accept-new"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&file).len(), 2);
}

#[test]
fn fifty_hosts_recorded_at_once_by_threads_and_fork_leave_fifty_well_formed_lines() {
    let lab = KeyLab::start(50, &[]);
    let dir = tempfile::tempdir().unwrap();
    // In a folder that does not exist yet, as ~/.ssh on a first run: every writer may race to
    // create it.
    let file = dir.path().join(".ssh").join("known_hosts");
    let inventory = lab.inventory();
    // Two runs at once on the same file: 50 threads in one process, 50 fork workers in another.
    let runs: Vec<_> = ["threads", "fork"]
        .into_iter()
        .map(|strategy| {
            let (inventory, file) = (inventory.clone(), file.clone());
            std::thread::spawn(move || {
                netrun(&[
                    "-i",
                    inventory.to_str().unwrap(),
                    "--known-hosts",
                    file.to_str().unwrap(),
                    "-s",
                    strategy,
                    "-w",
                    "50",
                    "-o",
                    "json",
                    "show",
                    "clock",
                ])
            })
        })
        .collect();
    for run in runs {
        let out = run.join().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let statuses = key_statuses(&json(&out));
        assert!(
            statuses.iter().all(|s| s == "recorded" || s == "known"),
            "{statuses:?}"
        );
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.ends_with('\n'));
    let written: Vec<&str> = text.lines().collect();
    assert_eq!(written.len(), 50, "{text}");
    // Each line parses back: `[127.0.0.1]:PORT ssh-ed25519 BASE64`, one per device, and is the
    // line the testbed reported for that device.
    let names: BTreeSet<&str> = written
        .iter()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields.len(), 3, "{line}");
            assert_eq!(fields[1], "ssh-ed25519", "{line}");
            fields[0]
        })
        .collect();
    let expected: BTreeSet<String> = lab
        .ports()
        .iter()
        .map(|p| format!("[127.0.0.1]:{p}"))
        .collect();
    assert_eq!(names, expected.iter().map(String::as_str).collect());
    assert_eq!(lines(&file), lab.reported());
}

#[test]
fn known_hosts_scans_without_logging_in_and_the_inventory_can_ask_for_strict() {
    let lab = KeyLab::start(3, &[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known_hosts");
    // R2 asks for strict in the inventory; the others keep the default.
    let text = std::fs::read_to_string(lab.inventory())
        .unwrap()
        .replace("- name: R2\n", "- name: R2\n  host_key_policy: strict\n");
    let inventory = dir.path().join("devices.yaml");
    std::fs::write(&inventory, text).unwrap();
    let scan = |strategy: &str| {
        netrun(&[
            "known-hosts",
            "-i",
            inventory.to_str().unwrap(),
            "--known-hosts",
            file.to_str().unwrap(),
            "-s",
            strategy,
        ])
    };
    let out = scan("async");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = common::stdout(&out);
    let rows: Vec<&str> = report.lines().collect();
    assert_eq!(rows.len(), 3, "{report}");
    assert!(
        rows[0].starts_with("R1 127.0.0.1:") && rows[0].contains(" recorded ssh-ed25519 SHA256:")
    );
    assert!(
        rows[1].starts_with("R2 127.0.0.1:") && rows[1].contains("failed (hostkey"),
        "{report}"
    );
    assert!(
        rows[2].contains(" recorded ssh-ed25519 SHA256:"),
        "{report}"
    );
    assert_eq!(lines(&file).len(), 2);
    // A scan authenticates nowhere.
    assert!(lab.auth_requests().is_empty());
    let again = scan("fork");
    assert_eq!(
        common::stdout(&again).matches(" known ssh-ed25519").count(),
        2
    );

    // `off` must be asked for, and the summary says the keys were not checked.
    let out = netrun(&[
        "-i",
        inventory.to_str().unwrap(),
        "--known-hosts",
        file.to_str().unwrap(),
        "--host-key-policy",
        "off",
        "show",
        "clock",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("host keys NOT checked for 3 hosts"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_lab_is_checked_strictly_against_the_keys_it_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::netrun_in(
        Some(dir.path()),
        &["--lab", "3", "-o", "json", "show", "clock"],
        &[],
        std::time::Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(key_statuses(&json(&out)), ["known"; 3]);
}

#[test]
fn a_malformed_known_hosts_stops_the_run_naming_file_line_and_field() {
    let lab = KeyLab::start(1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known_hosts");
    std::fs::write(&file, "# mine\n[127.0.0.1]:1 ssh-ed25519 AAAA%%%\n").unwrap();
    let inventory = lab.inventory();
    let out = netrun(&[
        "-i",
        inventory.to_str().unwrap(),
        "--known-hosts",
        file.to_str().unwrap(),
        "show",
        "clock",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "netrun: reading known_hosts: {}:2: key: is not base64 (a key such as AAAAC3Nza...)",
            file.display()
        )
    );
    assert!(lab.auth_requests().is_empty());
}

#[test]
fn hashed_revoked_and_cert_authority_lines_as_openssh_writes_them() {
    let lab = KeyLab::start(2, &[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known_hosts");
    let inventory = lab.inventory();
    let run = || {
        netrun(&[
            "-i",
            inventory.to_str().unwrap(),
            "--known-hosts",
            file.to_str().unwrap(),
            "-s",
            "threads",
            "-o",
            "json",
            "show",
            "clock",
        ])
    };
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let requests = lab.auth_requests().len();
    // OpenSSH hashes the names netrun wrote; netrun still knows every host.
    let hashed = Command::new("timeout")
        .args(["30", "ssh-keygen", "-H", "-f"])
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(hashed.status.success());
    assert!(
        lines(&file).iter().all(|l| l.starts_with("|1|")),
        "{:?}",
        lines(&file)
    );
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(key_statuses(&json(&out)), ["known"; 2]);
    assert_eq!(lines(&file).len(), 2);

    // The lab's key revoked for every host: both fail, before authentication.
    let key = lab
        .reported()
        .iter()
        .next()
        .unwrap()
        .split_once(' ')
        .unwrap()
        .1
        .to_string();
    std::fs::write(&file, format!("@revoked * {key}\n")).unwrap();
    let before = lab.auth_requests().len();
    assert!(before > requests);
    let out = run();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    let message = doc["hosts"][0]["error"]["message"].as_str().unwrap();
    assert_eq!(doc["hosts"][0]["error"]["kind"], "hostkey");
    assert!(message.contains("is revoked (@revoked at"), "{message}");
    // Only a certificate authority for the hosts: netrun says it cannot check certificates.
    std::fs::write(&file, format!("@cert-authority [127.0.0.1]:* {key}\n")).unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    let message = doc["hosts"][1]["error"]["message"].as_str().unwrap();
    assert_eq!(doc["hosts"][1]["error"]["kind"], "hostkey");
    assert!(message.contains("@cert-authority"), "{message}");
    assert!(message.contains("does not support"), "{message}");
    assert_eq!(
        lab.auth_requests().len(),
        before,
        "no attempt after a refusal"
    );
    assert_eq!(lines(&file).len(), 1, "nothing recorded next to a CA line");
}
