//! Commands that stop at a question (`copy running-config startup-config`, `reload`): without an
//! answer the host fails at once with kind `question`, quoting it, and nothing is answered; with
//! `--answer` (or `answers:` in a commands file) the command completes. Real netrun against the
//! real testbed, whose IOS asks the questions IOS asks.

mod common;

use common::{json, netrun, stderr, TestLab};

const COPY: &str = "copy running-config startup-config";

/// The one failure of each host as (kind, message).
fn failures(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["error"]["kind"].as_str().unwrap_or("none").to_string(),
                h["error"]["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Each host's output of `command` (a new session).
fn read(inventory: &str, command: &str) -> Vec<String> {
    let out = netrun(&["-i", inventory, "-o", "json", "-c", command]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out)["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["commands"][0]["output"].as_str().unwrap().to_string())
        .collect()
}

fn push(inventory: &str, line: &str) {
    let out = netrun(&["config", "-i", inventory, "-c", line]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn an_unanswered_question_fails_as_question_under_every_strategy_and_nothing_is_saved() {
    let lab = TestLab::start(3, &[]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    push(inventory, "logging 10.7.7.1");
    for strategy in netrun::strategies().map(|s| s.name()) {
        // An idle timeout far beyond the run: a `question` is known at once, not waited out.
        let out = netrun(&[
            "-i",
            inventory,
            "-s",
            strategy,
            "-o",
            "json",
            "--timeout",
            "600",
            "-c",
            COPY,
        ]);
        assert_eq!(out.status.code(), Some(1), "{strategy}: {}", stderr(&out));
        for (kind, message) in failures(&json(&out)) {
            assert_eq!(kind, "question", "{strategy}: {message}");
            assert!(
                message.contains("\"Destination filename [startup-config]?\"")
                    && message.contains(COPY),
                "{strategy}: {message}"
            );
        }
    }
    for startup in read(
        inventory,
        "show startup-config | include logging host 10.7.7.1",
    ) {
        assert_eq!(startup, "", "an unanswered copy saved something");
    }
}

#[test]
fn an_answered_copy_saves_and_the_startup_config_shows_it() {
    let lab = TestLab::start(2, &[]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    push(inventory, "logging 10.7.7.2");
    let out = netrun(&[
        "-i",
        inventory,
        "-o",
        "json",
        "-c",
        COPY,
        "--answer",
        "Destination filename=",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    for host in doc["hosts"].as_array().unwrap() {
        let output = host["commands"][0]["output"].as_str().unwrap();
        assert!(output.contains("[OK]"), "{output}");
    }
    for startup in read(
        inventory,
        "show startup-config | include logging host 10.7.7.2",
    ) {
        assert_eq!(startup.trim(), "logging host 10.7.7.2");
    }
}

#[test]
fn reload_is_never_confirmed_unless_answered() {
    let lab = TestLab::start(2, &[]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    push(inventory, "logging 10.7.7.3");
    // The modified config makes IOS ask to save first; answering only that leaves `[confirm]`
    // unanswered, and the device is not reloaded.
    for answers in [&[][..], &["--answer", "Save\\?=no"][..]] {
        let mut args = vec!["-i", inventory, "-o", "json", "-c", "reload"];
        args.extend(answers);
        let out = netrun(&args);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        for (kind, message) in failures(&json(&out)) {
            assert_eq!(kind, "question", "{message}");
            let asked = match answers.is_empty() {
                true => "Save? [yes/no]:",
                false => "Proceed with reload? [confirm]",
            };
            assert!(message.contains(asked), "{message}");
        }
    }
    // Not reloaded: the unsaved line is still running.
    for running in read(
        inventory,
        "show running-config | include logging host 10.7.7.3",
    ) {
        assert_eq!(running.trim(), "logging host 10.7.7.3");
    }
}

#[test]
fn a_commands_file_carries_the_answers() {
    let lab = TestLab::start(2, &[]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    push(inventory, "logging 10.7.7.4");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cmds.yaml");
    std::fs::write(
        &file,
        format!(
            "- show clock\n\
             - command: {COPY}\n  \
               answers:\n    \
                 - {{prompt: 'Destination filename \\[', reply: ''}}\n\
             - show startup-config | include logging host 10.7.7.4\n"
        ),
    )
    .unwrap();
    let out = netrun(&["-i", inventory, "-o", "json", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for host in json(&out)["hosts"].as_array().unwrap() {
        assert_eq!(host["commands"].as_array().unwrap().len(), 3);
        assert_eq!(
            host["commands"][2]["output"].as_str().unwrap().trim(),
            "logging host 10.7.7.4"
        );
    }
}

#[test]
fn bad_answers_and_commands_files_exit_2_before_any_connection() {
    // No lab at all: an inventory whose one host listens nowhere; exit 2 means nothing ran.
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("devices.yaml");
    std::fs::write(&inventory, "- name: R1\n  host: 127.0.0.1\n  port: 1\n  platform: cisco_ios\n  username: u\n  password: p\n").unwrap();
    let inventory = inventory.to_str().unwrap();
    let out = netrun(&["-i", inventory, "--answer", "x=", "-c", "reload"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("follows no command"),
        "{}",
        stderr(&out)
    );
    let out = netrun(&["-i", inventory, "-c", "reload", "--answer", "(x="]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a valid regex"),
        "{}",
        stderr(&out)
    );
    let file = dir.path().join("cmds.yaml");
    std::fs::write(&file, "- command: reload\n  answers:\n    - promt: x\n").unwrap();
    let out = netrun(&["-i", inventory, "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("cmds.yaml") && err.contains("line 3") && err.contains("promt"),
        "{err}"
    );
}
