//! `netrun config` end to end: the real binary pushing to a real testbed under every strategy,
//! and the results read back in new sessions.

mod common;

use std::net::TcpListener;

use common::{json, netrun, stderr, stdout, TestLab};

/// Every strategy netrun has: a new row of the strategy table is tested here without a change.
fn strategies() -> impl Iterator<Item = &'static str> {
    netrun::strategies().map(|strategy| strategy.name())
}

/// `show running-config | include PATTERN` (or startup) on every host, in a new session.
fn read_back(inventory: &str, which: &str, pattern: &str) -> Vec<String> {
    let command = format!("show {which}-config | include {pattern}");
    let out = netrun(&["-i", inventory, "-o", "json", "-c", &command]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out)["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["commands"][0]["output"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn twenty_lines_to_twenty_devices_under_every_strategy_then_save() {
    let lab = TestLab::start(20, &[]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    let pushes = strategies().count();
    for (k, strategy) in strategies().enumerate() {
        let lines: Vec<String> = (1..=20)
            .map(|i| format!("logging 10.10{k}.0.{i}"))
            .collect();
        let mut args = vec!["config", "-i", inventory, "-s", strategy, "-o", "json"];
        for line in &lines {
            args.extend(["-c", line.as_str()]);
        }
        let save = k == pushes - 1;
        if save {
            args.push("--save");
        }
        let out = netrun(&args);
        assert_eq!(out.status.code(), Some(0), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        assert_eq!(doc["ok"], 20, "{strategy}");
        for host in doc["hosts"].as_array().unwrap() {
            assert_eq!(host["config"]["applied"].as_array().unwrap().len(), 20);
            assert_eq!(
                host["config"]["final_prompt"],
                format!("{}#", host["name"].as_str().unwrap())
            );
            if save {
                assert_eq!(host["config"]["save"]["ok"], true, "{host}");
            }
        }
        for running in read_back(inventory, "running", &format!("logging host 10.10{k}.0.")) {
            assert_eq!(running.lines().count(), 20, "{strategy}: {running}");
        }
    }
    // Only the last push saved, and it saved the running-config: every push's 20 lines.
    for startup in read_back(inventory, "startup", "logging host 10.10") {
        assert_eq!(startup.lines().count(), 20 * pushes, "{startup}");
    }
}

#[test]
fn an_invalid_line_stops_only_the_devices_it_is_sent_to() {
    let lab = TestLab::start(6, &[]);
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("push.j2");
    std::fs::write(
        &template,
        "logging 10.9.9.9\n{% if name in ['R2', 'R5'] %}logginx 10.9.9.10\n{% endif %}logging 10.9.9.11\n",
    )
    .unwrap();
    for strategy in strategies() {
        let out = netrun(&[
            "config",
            "-i",
            lab.inventory().to_str().unwrap(),
            "-s",
            strategy,
            "-o",
            "json",
            "-t",
            template.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        for host in json(&out)["hosts"].as_array().unwrap() {
            let name = host["name"].as_str().unwrap();
            let config = &host["config"];
            assert_eq!(
                config["final_prompt"],
                format!("{name}#"),
                "left config mode"
            );
            if name == "R2" || name == "R5" {
                assert_eq!(host["ok"], false);
                assert_eq!(host["error"]["kind"], "command");
                let message = host["error"]["message"].as_str().unwrap();
                assert!(
                    message.contains("config line 2 'logginx 10.9.9.10'"),
                    "{message}"
                );
                assert!(message.contains("% Invalid input detected at '^' marker."));
                assert_eq!(config["failed_line"], 2);
                assert_eq!(config["skipped"][0], "logging 10.9.9.11");
            } else {
                assert_eq!(host["ok"], true, "{host}");
                assert_eq!(config["applied"].as_array().unwrap().len(), 2);
            }
        }
    }
    let pushed = read_back(
        lab.inventory().to_str().unwrap(),
        "running",
        "logging host 10.9.9.11",
    );
    let has_last_line: Vec<bool> = pushed.iter().map(|o| !o.is_empty()).collect();
    assert_eq!(has_last_line, [true, false, true, true, false, true]);
}

#[test]
fn text_output_is_what_the_device_echoed() {
    let lab = TestLab::start(2, &[]);
    let out = netrun(&[
        "config",
        "-i",
        lab.inventory().to_str().unwrap(),
        "-c",
        "interface Loopback7",
        "-c",
        "description uplink",
        "--save",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for name in ["R1", "R2"] {
        let expected = format!(
            "{name}(config)#interface Loopback7\n{name}(config-if)#description uplink\n{name}#write memory\nBuilding configuration...\n[OK]\n"
        );
        assert!(text.contains(&expected), "{text}");
    }
}

#[test]
fn diff_shows_exactly_the_changed_lines() {
    let lab = TestLab::start(2, &[]);
    let out = netrun(&[
        "config",
        "-i",
        lab.inventory().to_str().unwrap(),
        "--diff",
        "-o",
        "json",
        "-c",
        "logging 10.7.7.7",
        "-c",
        "interface Loopback8",
        "-c",
        "description diffed",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for host in json(&out)["hosts"].as_array().unwrap() {
        let diff = host["config"]["diff"].as_str().unwrap();
        let changed: Vec<&str> = diff
            .lines()
            .filter(|l| !l.starts_with("+++") && !l.starts_with("---"))
            .filter(|l| l.starts_with('+') || l.starts_with('-'))
            .collect();
        assert_eq!(
            changed,
            [
                "+interface Loopback8",
                "+ description diffed",
                "+ no ip address",
                "+!",
                "+logging host 10.7.7.7"
            ],
            "{diff}"
        );
    }
}

#[test]
fn templates_render_per_host_values_from_the_inventory() {
    let lab = TestLab::start(3, &[]);
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("desc.j2");
    std::fs::write(
        &template,
        "interface Loopback1\n description {{ name }} at port {{ port }}\n",
    )
    .unwrap();
    let out = netrun(&[
        "config",
        "-i",
        lab.inventory().to_str().unwrap(),
        "-t",
        template.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let inventory = lab.inventory();
    let described = read_back(inventory.to_str().unwrap(), "running", "description R");
    for (i, line) in described.iter().enumerate() {
        assert!(
            line.starts_with(&format!(" description R{} at port ", i + 1)),
            "{line}"
        );
    }
}

#[test]
fn a_missing_template_variable_fails_before_any_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("devices.yaml");
    std::fs::write(
        &inventory,
        format!("- device_type: cisco_ios\n  host: 127.0.0.1\n  port: {port}\n  username: u\n  password: p\n  name: R1\n"),
    )
    .unwrap();
    let template = dir.path().join("bad.j2");
    std::fs::write(&template, "logging {{ syslog_server }}\n").unwrap();
    let out = netrun(&[
        "config",
        "-i",
        inventory.to_str().unwrap(),
        "-t",
        template.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{}:1:", template.display())),
        "{}",
        stderr(&out)
    );
    assert!(
        listener.accept().is_err(),
        "netrun connected despite the template error"
    );

    // --dry-run renders and prints, and opens no socket either.
    let out = netrun(&[
        "config",
        "-i",
        inventory.to_str().unwrap(),
        "--dry-run",
        "-c",
        "logging 10.5.5.5",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("R1 (127.0.0.1:{port}): 1 lines\nR1(config)#logging 10.5.5.5\n\n")
    );
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "--dry-run connected"
    );
}
