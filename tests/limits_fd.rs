//! The open-files limit: netrun raises its soft RLIMIT_NOFILE to the hard limit at start, and
//! lowers the worker count, with a warning, when the hard limit is too low for it. A run never
//! fails hosts for this machine's descriptor shortage.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{error_kinds, json, stderr, TestLab, NETRUN};

/// Run netrun with `args` under the open-files limit `soft:hard`, killed after `limit`.
fn netrun_with_nofile(soft: u64, hard: u64, args: &[&str], limit: Duration) -> Output {
    // A fresh home: the keys this run records go there (see common::netrun_in).
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(NETRUN);
    cmd.args(args)
        .env("HOME", home.path())
        .env_remove("NETRUN_PASSWORD")
        .env_remove("NETRUN_SECRET")
        .env_remove("NETRUN_INVENTORY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: the hook runs in the forked child before exec; setrlimit is async-signal-safe and
    // the hook neither allocates nor takes a lock.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, soft, hard)
                .map_err(std::io::Error::from)
        });
    }
    let child = cmd.spawn().expect("start netrun");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            panic!("netrun ran longer than {limit:?}");
        }
    }
}

fn assert_every_host_ok(out: &Output, hosts: usize, what: &str) {
    assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(out));
    let kinds = error_kinds(&json(out));
    assert_eq!(kinds.len(), hosts, "{what}");
    let failed: Vec<_> = kinds.iter().filter(|(_, kind)| kind != "ok").collect();
    assert!(
        failed.is_empty(),
        "{what}: {} failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
}

#[test]
fn a_soft_limit_of_1024_is_raised_so_2000_sessions_at_once_all_succeed() {
    let hosts = 2000;
    let lab = TestLab::start(hosts, &[]);
    let inventory = lab.inventory();
    let args = [
        "-i",
        inventory.to_str().unwrap(),
        "-s",
        "async",
        "-w",
        "2000",
        // 2,000 SSH handshakes at once on a small shared machine take tens of seconds.
        "--timeout",
        "120",
        "-o",
        "json",
        "show",
        "clock",
    ];
    let out = netrun_with_nofile(1024, 20_000, &args, Duration::from_secs(240));
    assert_every_host_ok(&out, hosts, "soft 1024, hard 20000");
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    assert!(stderr(&out).contains("2000 workers"), "{}", stderr(&out));
}

#[test]
fn a_hard_limit_too_low_lowers_the_workers_with_a_warning_under_every_strategy() {
    let hosts = 300;
    let lab = TestLab::start(hosts, &[]);
    let inventory = lab.inventory();
    for strategy in netrun::strategies().filter(|s| s.takes_workers()) {
        let name = strategy.name();
        let args = [
            "-i",
            inventory.to_str().unwrap(),
            "-s",
            name,
            "-w",
            "300",
            "-o",
            "json",
            "show",
            "clock",
        ];
        let out = netrun_with_nofile(256, 256, &args, Duration::from_secs(240));
        assert_every_host_ok(&out, hosts, name);
        let err = stderr(&out);
        assert!(
            err.contains("warning: 300 workers under")
                && err.contains("open-files limit (RLIMIT_NOFILE) is 256"),
            "{name}: {err}"
        );
        let expected = strategy.workers_within(300, 256);
        assert!(expected < 300);
        assert!(
            err.contains(&format!("({name}, {expected} workers)"))
                || err.contains(&format!("(strategy {name}, {expected} workers)")),
            "{name}: {err}"
        );
    }
}
