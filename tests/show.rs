//! `netrun show ...` end to end: the real binary, a real testbed on loopback, every strategy.

mod common;

use common::{error_kinds, json, netrun, outputs, stderr, stdout, TestLab};

/// Every strategy netrun has: a new row of the strategy table is tested here without a change.
fn strategies() -> impl Iterator<Item = &'static str> {
    netrun::strategies().map(|strategy| strategy.name())
}

#[test]
fn every_strategy_gives_the_same_outcomes_for_20_devices() {
    let lab = TestLab::start(20, &[]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    let mut seen = Vec::new();
    for strategy in strategies() {
        let out = netrun(&[
            "-i",
            inventory,
            "-s",
            strategy,
            "-w",
            "5",
            "-o",
            "json",
            "-c",
            "show version",
            "-c",
            "show ip interface brief",
        ]);
        assert_eq!(out.status.code(), Some(0), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        assert_eq!(doc["strategy"], strategy);
        assert_eq!(doc["ok"], 20);
        let hosts = outputs(&doc);
        assert_eq!(hosts.len(), 20);
        for (i, (name, ok, _prompt, commands)) in hosts.iter().enumerate() {
            assert_eq!(name, &format!("R{}", i + 1), "inventory order");
            assert!(ok);
            assert!(
                commands[0].contains("Cisco IOS Software"),
                "{name}: {commands:?}"
            );
            assert!(commands[1].contains("Interface"), "{name}: {commands:?}");
            assert!(!commands[1].contains("--More--"));
        }
        seen.push((strategy, hosts));
    }
    for (strategy, hosts) in &seen[1..] {
        assert_eq!(hosts, &seen[0].1, "{strategy} differs from sequential");
    }
}

#[test]
fn text_output_is_the_books_format_in_inventory_order() {
    let lab = TestLab::start(3, &[]);
    let out = netrun(&[
        "-i",
        lab.inventory().to_str().unwrap(),
        "--strategy",
        "threads",
        "show",
        "clock",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let headers: Vec<&str> = text.lines().filter(|l| l.contains("#show clock")).collect();
    assert_eq!(
        headers,
        vec!["R1#show clock", "R2#show clock", "R3#show clock"]
    );
    assert!(
        stderr(&out).contains("3 hosts, 3 ok, 0 failed in"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("(strategy threads, 3 workers)"));
}

#[test]
fn failing_devices_fail_alone_with_their_error_kind() {
    let lab = TestLab::start(
        6,
        &[
            "--fault",
            "auth-fail:R2",
            "--fault",
            "refuse:R4",
            "--fault",
            "stall:R6",
        ],
    );
    for strategy in strategies() {
        let out = netrun(&[
            "-i",
            lab.inventory().to_str().unwrap(),
            "-s",
            strategy,
            "--timeout",
            "2",
            "-o",
            "json",
            "show",
            "version",
        ]);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        let kinds = error_kinds(&doc);
        let expected: Vec<(String, String)> = [
            ("R1", "ok"),
            ("R2", "auth"),
            ("R3", "ok"),
            ("R4", "connect"),
            ("R5", "ok"),
            ("R6", "timeout"),
        ]
        .iter()
        .map(|(n, k)| (n.to_string(), k.to_string()))
        .collect();
        assert_eq!(kinds, expected, "{strategy}");
        let stall = &doc["hosts"][5]["error"]["message"];
        assert!(stall.as_str().unwrap().len() < 400, "{stall}");
    }
}

#[test]
fn rejected_commands_are_marked_and_the_device_message_kept() {
    let lab = TestLab::start(2, &[]);
    let out = netrun(&[
        "-i",
        lab.inventory().to_str().unwrap(),
        "-o",
        "json",
        "-c",
        "show clock",
        "-c",
        "show flux capacitor",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    for host in doc["hosts"].as_array().unwrap() {
        assert_eq!(host["error"]["kind"], "command");
        assert_eq!(host["commands"][0]["ok"], true);
        assert_eq!(host["commands"][1]["ok"], false);
        let output = host["commands"][1]["output"].as_str().unwrap();
        assert!(output.contains("% Invalid input detected at '^' marker."));
    }
}

#[test]
fn verbose_logs_like_the_book_and_save_writes_one_file_per_host() {
    let lab = TestLab::start(2, &[]);
    let dir = tempfile::tempdir().unwrap();
    let out = netrun(&[
        "-i",
        lab.inventory().to_str().unwrap(),
        "-s",
        "threads",
        "-v",
        "--save",
        dir.path().to_str().unwrap(),
        "show",
        "clock",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = stderr(&out);
    let connection = regex::Regex::new(
        r"(?m)^netrun-worker-[12] ===> \d\d:\d\d:\d\d\.\d{6} Connection: 127\.0\.0\.1:\d+$",
    )
    .unwrap();
    assert_eq!(connection.find_iter(&log).count(), 2, "{log}");
    let received =
        regex::Regex::new(r"(?m)^netrun-worker-[12] <=== \d\d:\d\d:\d\d\.\d{6} Received: R[12]$")
            .unwrap();
    assert_eq!(received.find_iter(&log).count(), 2, "{log}");
    for name in ["R1", "R2"] {
        let saved = std::fs::read_to_string(dir.path().join(format!("{name}.txt"))).unwrap();
        assert!(
            saved.starts_with(&format!("{name}#show clock\n")),
            "{saved}"
        );
    }
    assert!(!log.contains("cisco"), "no secrets in logs: {log}");
}

#[test]
fn fork_and_async_logs_name_pids_and_tasks() {
    let lab = TestLab::start(2, &[]);
    let inventory = lab.inventory();
    let out = netrun(&[
        "-i",
        inventory.to_str().unwrap(),
        "-s",
        "fork",
        "-v",
        "show",
        "clock",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        regex::Regex::new(r"(?m)^pid-\d+ ===> .* Connection: ")
            .unwrap()
            .is_match(&stderr(&out)),
        "{}",
        stderr(&out)
    );
    let out = netrun(&[
        "-i",
        inventory.to_str().unwrap(),
        "-s",
        "async",
        "-v",
        "show",
        "clock",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        regex::Regex::new(r"(?m)^task-\d+ ===> .* Connection: ")
            .unwrap()
            .is_match(&stderr(&out)),
        "{}",
        stderr(&out)
    );
}

#[test]
fn embedded_lab_runs_the_main_job() {
    let out = netrun(&[
        "--lab",
        "4",
        "--lab-profile",
        "instant",
        "-s",
        "async",
        "show",
        "version",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for name in ["R1", "R2", "R3", "R4"] {
        assert!(text.contains(&format!("{name}#show version\n")), "{text}");
    }
}
