//! Re-runs: `--retries` against a device that resets its first connection (testbed fault
//! `refuse-first`), never once a command was sent; `--failed-out` then `-l @FILE` re-running
//! exactly the failed hosts; and every `--limit` form (exclusion, intersection, data) on an
//! inventory with groups and data. Real netrun against the real testbed.

mod common;

use common::{json, netrun, stderr, TestLab};

/// Every strategy netrun has.
fn strategies() -> impl Iterator<Item = &'static str> {
    netrun::strategies().map(|strategy| strategy.name())
}

/// Host names of a JSON report, in order.
fn names(doc: &serde_json::Value) -> Vec<String> {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect()
}

fn host<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == name)
        .unwrap()
}

#[test]
fn retries_get_past_a_reset_first_connection_under_every_strategy() {
    for strategy in strategies() {
        let lab = TestLab::start(3, &["--fault", "refuse-first:R2"]);
        let inventory = lab.inventory();
        let out = netrun(&[
            "-i",
            inventory.to_str().unwrap(),
            "-s",
            strategy,
            "-o",
            "json",
            "--retries",
            "2",
            "--retry-delay",
            "0",
            "-c",
            "show clock",
        ]);
        assert_eq!(out.status.code(), Some(0), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        let r2 = host(&doc, "R2");
        let retried = r2["retried"].as_array().expect("R2's earlier attempt");
        assert_eq!(retried.len(), 1, "{strategy}: {r2}");
        assert_eq!(retried[0]["kind"], "closed", "{strategy}: {r2}");
        assert_eq!(r2["ok"], true);
        assert!(host(&doc, "R1").get("retried").is_none(), "{strategy}");
    }
}

#[test]
fn without_retries_the_reset_fails_the_host_and_the_text_shows_each_attempt() {
    let lab = TestLab::start(2, &["--fault", "refuse-first=2:R1"]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    let out = netrun(&["-i", inventory, "-o", "json", "-c", "show clock"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(host(&json(&out), "R1")["error"]["kind"], "closed");
    // One reset is left: a retry meets it, the next attempt gets through.
    let out = netrun(&[
        "-i",
        inventory,
        "-l",
        "R1",
        "--retries",
        "1",
        "--retry-delay",
        "0",
        "-c",
        "show clock",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("R1 (127.0.0.1:") && text.contains("attempt 1 failed (closed)"),
        "{text}"
    );
}

#[test]
fn a_failure_after_a_command_was_sent_is_never_retried() {
    // `drop` closes the connection in the middle of the first long output: the command was sent.
    let lab = TestLab::start(2, &["--fault", "drop:R1"]);
    for strategy in strategies() {
        let out = netrun(&[
            "-i",
            lab.inventory().to_str().unwrap(),
            "-s",
            strategy,
            "-o",
            "json",
            "--retries",
            "3",
            "--retry-delay",
            "0",
            "-c",
            "show version",
        ]);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let r1 = host(&json(&out), "R1").clone();
        assert_eq!(r1["error"]["kind"], "closed", "{strategy}: {r1}");
        assert!(
            r1.get("retried").is_none(),
            "{strategy}: retried after a command: {r1}"
        );
    }
}

#[test]
fn failed_out_then_at_file_reruns_exactly_the_failed_hosts() {
    let lab = TestLab::start(4, &["--fault", "refuse-first:R2,R4"]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let failed = dir.path().join("failed.txt");
    let failed = failed.to_str().unwrap();
    let out = netrun(&["-i", inventory, "--failed-out", failed, "-c", "show clock"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(failed).unwrap(), "R2\nR4\n");
    let at = format!("@{failed}");
    let out = netrun(&[
        "-i",
        inventory,
        "-o",
        "json",
        "-l",
        &at,
        "--failed-out",
        failed,
        "-c",
        "show clock",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(names(&json(&out)), ["R2", "R4"]);
    // Nothing failed: the file is empty, and naming it selects nothing (exit 2, no session).
    assert_eq!(std::fs::read_to_string(failed).unwrap(), "");
    let out = netrun(&["-i", inventory, "-l", &at, "-c", "show clock"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("names no host"), "{}", stderr(&out));
}

#[test]
fn every_limit_form_selects_as_documented() {
    let lab = TestLab::start(4, &[]);
    // The lab's inventory, with groups and data added per host.
    let extra = [
        ("R1", "[core, lab]", "ams"),
        ("R2", "[core]", "fra"),
        ("R3", "[edge, lab]", "ams"),
        ("R4", "[edge]", "lon"),
    ];
    let mut text = String::new();
    for line in std::fs::read_to_string(lab.inventory()).unwrap().lines() {
        text.push_str(line);
        text.push('\n');
        if let Some(name) = line.strip_prefix("- name: ") {
            let (_, groups, site) = extra.iter().find(|(n, _, _)| *n == name).unwrap();
            text.push_str(&format!("  groups: {groups}\n  data: {{site: {site}}}\n"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("devices.yaml");
    std::fs::write(&inventory, text).unwrap();
    let inventory = inventory.to_str().unwrap();
    let run = |limits: &[&str]| {
        let mut args = vec!["-i", inventory, "-o", "json", "-c", "show clock"];
        for limit in limits {
            args.extend(["-l", limit]);
        }
        let out = netrun(&args);
        assert_eq!(out.status.code(), Some(0), "{limits:?}: {}", stderr(&out));
        names(&json(&out))
    };
    assert_eq!(run(&["!R1"]), ["R2", "R3", "R4"]);
    assert_eq!(run(&["!group:lab"]), ["R2", "R4"]);
    assert_eq!(run(&["group:core&R1*"]), ["R1"]);
    assert_eq!(run(&["group:edge&!group:lab"]), ["R4"]);
    assert_eq!(run(&["site=ams"]), ["R1", "R3"]);
    assert_eq!(run(&["group:core", "site=lon", "!R2"]), ["R1", "R4"]);
    for bad in [
        "!R9",
        "site=nyc",
        "group:core&group:nope",
        "group:core&group:edge",
    ] {
        let out = netrun(&["-i", inventory, "-l", bad, "-c", "show clock"]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr(&out).contains("--limit"), "{bad}: {}", stderr(&out));
    }
}
