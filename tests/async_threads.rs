//! `-s async --threads N`: the async strategy on N runtimes, one per OS thread, against a real
//! lab; and async's default workers, every host at once as far as the machine allows.

mod common;

use common::{json, netrun, outputs, stderr, TestLab};

#[test]
fn every_thread_count_gives_the_same_outcomes() {
    let lab = TestLab::start(24, &[]);
    let inventory = lab.inventory();
    let run = |threads: &str| {
        let out = netrun(&[
            "-i",
            inventory.to_str().unwrap(),
            "-s",
            "async",
            "--threads",
            threads,
            "-w",
            "6",
            "-o",
            "json",
            "show",
            "ip",
            "interface",
            "brief",
        ]);
        assert_eq!(out.status.code(), Some(0), "{threads}: {}", stderr(&out));
        json(&out)
    };
    let one = run("1");
    assert_eq!(one["stats"]["threads_spawned"], 0);
    let expected = outputs(&one);
    assert_eq!(expected.len(), 24);
    assert!(expected
        .iter()
        .all(|(_, ok, _, out)| *ok && !out[0].is_empty()));
    for threads in ["2", "3"] {
        let doc = run(threads);
        assert_eq!(outputs(&doc), expected, "--threads {threads}");
        assert_eq!(
            doc["stats"]["threads_spawned"],
            threads.parse::<u64>().unwrap()
        );
        assert_eq!(doc["stats"]["tasks_spawned"], 24);
        assert!(doc["stats"]["peak_in_flight"].as_u64().unwrap() <= 6);
        let names: std::collections::BTreeSet<&str> = doc["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["worker"]["thread"].as_str().unwrap())
            .collect();
        assert!(
            names.iter().all(|n| n.starts_with("netrun-async-")),
            "{names:?}"
        );
    }
}

#[test]
fn threads_under_another_strategy_or_out_of_range_exit_2_before_connecting() {
    for (args, says) in [
        (
            vec!["-s", "threads", "--threads", "2"],
            "--threads applies to -s async only",
        ),
        (vec!["-s", "async", "--threads", "0"], "--threads"),
        (vec!["-s", "async", "--threads", "100000"], "--threads"),
    ] {
        // No such inventory: a run that got past the flags would fail on it instead.
        let mut all = args.clone();
        all.extend(["-i", "/nonexistent/devices.yaml", "show", "clock"]);
        let out = netrun(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("nonexistent"), "{args:?}: {err}");
    }
}

#[test]
fn async_without_w_runs_every_host_at_once() {
    // More hosts than the old fixed default of 500.
    let hosts = 600;
    let lab = TestLab::start(hosts, &[]);
    let inventory = lab.inventory();
    let out = netrun(&[
        "-i",
        inventory.to_str().unwrap(),
        "-s",
        "async",
        "--timeout",
        "120",
        "-o",
        "json",
        "show",
        "clock",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["workers"], hosts);
    assert_eq!(doc["stats"]["peak_in_flight"], hosts);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}
