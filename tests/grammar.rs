//! The command line's grammar end to end: subcommands with the global options on either side,
//! typos of subcommand names refused before any session (the testbed's auth log stays empty),
//! `--` and `run` sending anything, and the completion scripts and man page.

mod common;

use common::{json, netrun, stderr, stdout, TestLab};

fn strategies() -> impl Iterator<Item = &'static str> {
    netrun::strategies().map(|strategy| strategy.name())
}

/// A lab that logs every SSH authentication request it receives, and that log.
fn logged_lab(devices: usize) -> (TestLab, tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let lab = TestLab::start(devices, &["--auth-log", log.to_str().unwrap()]);
    (lab, dir, log)
}

fn auth_requests(log: &std::path::Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

#[test]
fn typos_of_subcommands_send_nothing_and_exit_2() {
    let (lab, _dir, log) = logged_lab(2);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    for (args, near) in [
        (&["invetory", "-l", "R1"][..], "inventory"),
        (&["confg", "-c", "x"], "config"),
        (&["bnech"], "bench"),
        (&["-s", "threads", "Inventroy"], "inventory"),
        (&["completion", "bash"], "completions"),
    ] {
        let out = netrun(&[&["-i", inventory], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
        let hint = format!("close to the subcommand '{near}'");
        assert!(stderr(&out).contains(&hint), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("netrun -- "), "{}", stderr(&out));
        assert_eq!(auth_requests(&log), "", "{args:?} reached a device");
    }
    // The same words sent on purpose do reach the devices (which reject them as invalid input,
    // a failure of the host, not of the command line), and the log records the sessions.
    for args in [&["--", "confg", "-c", "x"][..], &["run", "invetory"]] {
        let out = netrun(&[&["-i", inventory, "-o", "json"], args].concat());
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let doc = json(&out);
        for host in doc["hosts"].as_array().unwrap() {
            assert_eq!(
                host["commands"][0]["command"],
                args[1..].join(" "),
                "{host}"
            );
        }
    }
    assert!(
        auth_requests(&log).contains("R1 "),
        "{}",
        auth_requests(&log)
    );
}

#[test]
fn config_with_global_options_on_either_side_under_every_strategy() {
    let lab = TestLab::start(3, &[]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    for (k, strategy) in strategies().enumerate() {
        let before = format!("logging 10.7.{k}.1");
        let after = format!("logging 10.7.{k}.2");
        for args in [
            vec!["-i", inventory, "-s", strategy, "config", "-c", &before],
            vec!["config", "-c", &after, "-i", inventory, "-s", strategy],
        ] {
            let out = netrun(&args);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
            assert!(stderr(&out).contains(&format!("strategy {strategy}")));
        }
        let pattern = format!("show running-config | include logging host 10.7.{k}.");
        let out = netrun(&["-i", inventory, "-o", "json", "-c", &pattern]);
        let doc = json(&out);
        for host in doc["hosts"].as_array().unwrap() {
            let running = host["commands"][0]["output"].as_str().unwrap();
            assert!(
                running.contains(&format!("logging host 10.7.{k}.1")),
                "{running}"
            );
            assert!(
                running.contains(&format!("logging host 10.7.{k}.2")),
                "{running}"
            );
        }
    }
    // `inventory` takes its options from either side too.
    let out = netrun(&["-i", inventory, "-l", "R2", "inventory", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let names: Vec<String> = json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["R2"]);
}

#[test]
fn completion_scripts_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let out = netrun(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        for word in ["netrun", "inventory", "config", "bench", "strategy"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    let out = netrun(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH netrun 1"), "{page}");
    assert!(page.contains("completions"), "{page}");
}
