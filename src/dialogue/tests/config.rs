//! Canned-transcript tests of config pushes, in the bytes the testbed's IOS device prints: the
//! `configure terminal` banner, echoed lines, sub-mode prompts, `% Invalid input` with its caret
//! line, `Building configuration...` / `[OK]` and the save questions.

use super::*;
use crate::dialogue::platform::{Question, Save, SaveCommand};

const ENTER_CONFIG: &str =
    "configure terminal\r\nEnter configuration commands, one per line.  End with CNTL/Z.\r\nR1(config)#";
const SAVED: &str = "write memory\r\nBuilding configuration...\r\n[OK]\r\nR1#";

fn push(lines: &[&str]) -> ConfigPlan {
    ConfigPlan {
        lines: lines.iter().map(|l| l.to_string()).collect(),
        ..ConfigPlan::default()
    }
}

fn plan_for(config: ConfigPlan) -> Plan {
    Plan {
        config: Some(config),
        ..plan(&[], None)
    }
}

/// Logged in at `R1#`, paging off, then `configure terminal` accepted.
fn in_config() -> Script {
    privileged().then("configure terminal\n", ENTER_CONFIG)
}

fn typed(line: &str) -> String {
    format!("{line}\n")
}

/// An accepted line: its echo, then the next prompt.
fn accepted(line: &str, next_prompt: &str) -> String {
    format!("{line}\r\n{next_prompt}")
}

/// The testbed's parse error: the caret under byte `at` of the line typed after `prompt`.
fn invalid(line: &str, prompt: &str, at: usize) -> String {
    let caret = " ".repeat(prompt.len() + at);
    format!("{line}\r\n{caret}^\r\n% Invalid input detected at '^' marker.\r\n\r\n{prompt}")
}

fn config(run: &Run) -> &ConfigResult {
    results(run).config.as_ref().expect("config results")
}

fn sent_lines(run: &Run) -> Vec<String> {
    run.sent.iter().map(|s| lossy(s)).collect()
}

/// Twenty lines, in and out of an interface sub-mode, each answered at its own prompt.
fn twenty_lines() -> (Vec<String>, Script) {
    let mut lines = vec![
        "logging 10.5.5.5".to_string(),
        "interface GigabitEthernet0/1".to_string(),
        " description uplink to core".to_string(),
        " ip address 10.1.1.1 255.255.255.0".to_string(),
        " no shutdown".to_string(),
        "exit".to_string(),
    ];
    lines.extend((1..=14).map(|n| format!("logging host 10.6.6.{n}")));
    let mut script = in_config();
    for line in &lines {
        let next = if line.starts_with("interface") || line.starts_with(' ') {
            "R1(config-if)#"
        } else {
            "R1(config)#"
        };
        script = script.then(&typed(line), accepted(line, next));
    }
    let script = script.then("end\n", "end\r\nR1#").then("exit\n", "");
    (lines, script)
}

#[test]
fn twenty_lines_are_applied_with_the_prompt_each_was_sent_at() {
    let (lines, script) = twenty_lines();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let run = pump("cisco_ios", plan_for(push(&refs)), &script, whole);
    let config = config(&run);
    assert_eq!(config.lines.len(), 20);
    assert_eq!(config.applied().collect::<Vec<_>>(), refs);
    assert_eq!(config.failed_line, None);
    assert!(config.skipped.is_empty());
    assert_eq!(config.save, None);
    assert_eq!(config.failure(), None);
    assert_eq!(config.lines[0].prompt, "R1(config)#");
    assert_eq!(config.lines[2].prompt, "R1(config-if)#");
    assert_eq!(config.lines[6].prompt, "R1(config)#");
    assert!(config.lines.iter().all(|l| l.reply.is_empty()));
    assert_eq!(results(&run).prompt, "R1#");

    let sent = run
        .events
        .iter()
        .filter(|e| matches!(e, DialogueEvent::ConfigLineSent { .. }));
    assert_eq!(sent.count(), 20);
    let done: Vec<&ConfigLineResult> = run
        .events
        .iter()
        .filter_map(|e| match e {
            DialogueEvent::ConfigLineDone { result, .. } => Some(result),
            _ => None,
        })
        .collect();
    assert_eq!(done, config.lines.iter().collect::<Vec<_>>());
    assert_eq!(
        run.events[1],
        DialogueEvent::ConfigLineSent {
            index: 0,
            line: "logging 10.5.5.5".into()
        }
    );
}

#[test]
fn an_invalid_line_stops_the_push_but_config_mode_is_still_left() {
    let script = in_config()
        .then(
            "logging 10.5.5.5\n",
            accepted("logging 10.5.5.5", "R1(config)#"),
        )
        .then(
            "interface GigabitEthernet0/1\n",
            accepted("interface GigabitEthernet0/1", "R1(config-if)#"),
        )
        .then(
            " descripton uplink\n",
            invalid(" descripton uplink", "R1(config-if)#", 1),
        )
        .then("end\n", "end\r\nR1#")
        .then("exit\n", "");
    let lines = [
        "logging 10.5.5.5",
        "interface GigabitEthernet0/1",
        " descripton uplink",
        " no shutdown",
        "logging host 10.6.6.6",
    ];
    let config_plan = ConfigPlan {
        save: true,
        ..push(&lines)
    };
    for chunking in [whole as fn(usize) -> usize, |_| 1] {
        let run = pump(
            "cisco_ios",
            plan_for(config_plan.clone()),
            &script,
            chunking,
        );
        let config = config(&run);
        assert_eq!(config.failed_line, Some(2));
        assert_eq!(config.final_prompt, "R1#");
        assert_eq!(
            config.applied().collect::<Vec<_>>(),
            ["logging 10.5.5.5", "interface GigabitEthernet0/1"]
        );
        let failed = &config.lines[2];
        assert!(!failed.ok);
        assert_eq!(failed.prompt, "R1(config-if)#");
        assert_eq!(
            failed.reply,
            format!(
                "{}^\n% Invalid input detected at '^' marker.",
                " ".repeat(15)
            )
        );
        assert_eq!(config.skipped, [" no shutdown", "logging host 10.6.6.6"]);
        assert_eq!(config.save, None, "a stopped push is not saved");
        assert_eq!(
            config.failure(),
            Some(Failure::new(
                ErrorKind::Command,
                "config line 3 ' descripton uplink' rejected: % Invalid input detected at '^' marker."
            ))
        );
        assert_eq!(sent_lines(&run)[6..], ["end\n", "exit\n"]);
        assert_eq!(results(&run).prompt, "R1#");
    }
}

#[test]
fn continue_on_error_sends_every_line_and_still_saves() {
    let script = in_config()
        .then("logging bogus\n", invalid("logging bogus", "R1(config)#", 8))
        .then(
            "logging 10.5.5.5\n",
            accepted("logging 10.5.5.5", "R1(config)#"),
        )
        .then(
            "ip domain\n",
            "ip domain\r\n% Incomplete command.\r\n\r\nR1(config)#",
        )
        .then(
            "interface Loopback0\n",
            accepted("interface Loopback0", "R1(config-if)#"),
        )
        .then(
            " ip address 1.1.1.1 255.0.255.0\n",
            " ip address 1.1.1.1 255.0.255.0\r\nBad mask 0xFF00FF00 for address 1.1.1.1\r\nR1(config-if)#",
        )
        .then("end\n", "end\r\nR1#")
        .then("write memory\n", SAVED)
        .then("exit\n", "");
    let lines = [
        "logging bogus",
        "logging 10.5.5.5",
        "ip domain",
        "interface Loopback0",
        " ip address 1.1.1.1 255.0.255.0",
    ];
    let config_plan = ConfigPlan {
        continue_on_error: true,
        save: true,
        ..push(&lines)
    };
    let run = pump("cisco_ios", plan_for(config_plan), &script, whole);
    let config = config(&run);
    let ok: Vec<bool> = config.lines.iter().map(|l| l.ok).collect();
    assert_eq!(ok, [false, true, false, true, false]);
    assert_eq!(config.failed_line, Some(0));
    assert!(config.skipped.is_empty());
    assert_eq!(config.lines[2].reply, "% Incomplete command.");
    assert_eq!(
        config.lines[4].reply,
        "Bad mask 0xFF00FF00 for address 1.1.1.1"
    );
    assert!(config.save.as_ref().unwrap().ok);
    assert_eq!(
        config.failure().unwrap().message,
        "config line 1 'logging bogus' rejected: % Invalid input detected at '^' marker."
    );
}

#[test]
fn end_rejected_in_a_sub_mode_falls_back_to_exit() {
    let end_rejected = format!(
        "end\r\n{}^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1(config-router)#",
        " ".repeat(18)
    );
    let script = in_config()
        .then(
            "router ospf 1\n",
            accepted("router ospf 1", "R1(config-router)#"),
        )
        .then(
            " network 10.0.0.0 0.255.255.255 area 0\n",
            accepted(
                " network 10.0.0.0 0.255.255.255 area 0",
                "R1(config-router)#",
            ),
        )
        .then("end\n", end_rejected)
        .then("exit\n", "exit\r\nR1(config)#")
        .then("exit\n", "exit\r\nR1#")
        .then("exit\n", "");
    let lines = ["router ospf 1", " network 10.0.0.0 0.255.255.255 area 0"];
    for chunking in [whole as fn(usize) -> usize, |_| 1] {
        let run = pump("cisco_ios", plan_for(push(&lines)), &script, chunking);
        assert_eq!(config(&run).applied().count(), 2);
        assert_eq!(config(&run).final_prompt, "R1#");
        assert_eq!(
            sent_lines(&run)[5..],
            ["end\n", "exit\n", "exit\n", "exit\n"]
        );
    }
}

#[test]
fn a_device_that_never_leaves_config_mode_fails_after_eight_exits() {
    let mut script = in_config()
        .then(
            "line vty 0 4\n",
            accepted("line vty 0 4", "R1(config-line)#"),
        )
        .then("end\n", "end\r\n% Not allowed here\r\nR1(config-line)#");
    for _ in 0..8 {
        script = script.then("exit\n", "exit\r\nR1(config-line)#");
    }
    let run = pump(
        "cisco_ios",
        plan_for(push(&["line vty 0 4"])),
        &script,
        whole,
    );
    assert_eq!(
        failure_of(&run),
        (
            ErrorKind::Protocol,
            "could not reach the privilege_exec level from prompt 'R1(config-line)#'"
        )
    );
}

#[test]
fn a_hostname_change_mid_push_is_followed() {
    let script = in_config()
        .then(
            "hostname EDGE-2\n",
            accepted("hostname EDGE-2", "EDGE-2(config)#"),
        )
        .then(
            "logging 10.5.5.5\n",
            accepted("logging 10.5.5.5", "EDGE-2(config)#"),
        )
        .then("end\n", "end\r\nEDGE-2#")
        .then("write memory\n", SAVED.replace("R1#", "EDGE-2#"))
        .then("exit\n", "");
    let config_plan = ConfigPlan {
        save: true,
        ..push(&["hostname EDGE-2", "logging 10.5.5.5"])
    };
    for chunking in [whole as fn(usize) -> usize, |_| 1] {
        let run = pump(
            "cisco_ios",
            plan_for(config_plan.clone()),
            &script,
            chunking,
        );
        let config = config(&run);
        assert_eq!(config.lines[0].prompt, "R1(config)#");
        assert_eq!(config.lines[1].prompt, "EDGE-2(config)#");
        assert!(config.save.as_ref().unwrap().ok);
    }
}

#[test]
fn save_success_and_failure_are_read_from_the_reply() {
    let saved = in_config()
        .then(
            "logging 10.5.5.5\n",
            accepted("logging 10.5.5.5", "R1(config)#"),
        )
        .then("end\n", "end\r\nR1#")
        .then("write memory\n", SAVED)
        .then("exit\n", "");
    let config_plan = ConfigPlan {
        save: true,
        ..push(&["logging 10.5.5.5"])
    };
    let run = pump("cisco_ios", plan_for(config_plan.clone()), &saved, whole);
    let save = config(&run).save.clone().unwrap();
    let expected = SaveResult {
        command: "write memory".into(),
        reply: "Building configuration...\n[OK]".into(),
        ok: true,
    };
    assert_eq!(save, expected);
    assert!(run
        .events
        .contains(&DialogueEvent::Saved { result: expected }));
    assert_eq!(config(&run).failure(), None);

    let nvram_busy = in_config()
        .then("logging 10.5.5.5\n", accepted("logging 10.5.5.5", "R1(config)#"))
        .then("end\n", "end\r\nR1#")
        .then(
            "write memory\n",
            "write memory\r\nBuilding configuration...\r\n%Error writing nvram (Device or resource busy)\r\n\r\nR1#",
        )
        .then("exit\n", "");
    let run = pump("cisco_ios", plan_for(config_plan), &nvram_busy, whole);
    let config = config(&run);
    assert!(!config.save.as_ref().unwrap().ok);
    assert_eq!(config.failed_line, None);
    assert_eq!(
        config.failure(),
        Some(Failure::new(
            ErrorKind::Command,
            "'write memory' failed: Building configuration... %Error writing nvram (Device or resource busy)"
        ))
    );
}

#[test]
fn save_questions_are_answered_with_enter() {
    let confirm = in_config()
        .then(
            "logging 10.5.5.5\n",
            accepted("logging 10.5.5.5", "R1(config)#"),
        )
        .then("end\n", "end\r\nR1#")
        .then(
            "write memory\n",
            "write memory\r\nOverwrite the previous NVRAM configuration?[confirm]",
        )
        .then("\n", "\r\nBuilding configuration...\r\n[OK]\r\nR1#")
        .then("exit\n", "");
    let config_plan = ConfigPlan {
        save: true,
        ..push(&["logging 10.5.5.5"])
    };
    let reference = pump("cisco_ios", plan_for(config_plan.clone()), &confirm, whole);
    assert!(config(&reference).save.as_ref().unwrap().ok);
    assert_eq!(
        pump("cisco_ios", plan_for(config_plan.clone()), &confirm, |_| 1),
        reference
    );

    // A platform whose save is `copy running-config startup-config`, as the testbed answers it.
    let copy_run_start = Box::leak(Box::new(Profile {
        save: Save::Command(SaveCommand {
            command: "copy running-config startup-config",
            success: "[OK]",
            questions: vec![Question {
                pattern: regex::Regex::new(r"(\[confirm\]|\]\?)\s*$").unwrap(),
                answer: "",
            }],
        }),
        ..platform::cisco_ios()
    }));
    let destination = in_config()
        .then(
            "logging 10.5.5.5\n",
            accepted("logging 10.5.5.5", "R1(config)#"),
        )
        .then("end\n", "end\r\nR1#")
        .then(
            "copy running-config startup-config\n",
            "copy running-config startup-config\r\nDestination filename [startup-config]? ",
        )
        .then("\n", "\r\nBuilding configuration...\r\n[OK]\r\nR1#")
        .then("exit\n", "");
    let reference = pump_profile(
        copy_run_start,
        plan_for(config_plan.clone()),
        &destination,
        whole,
    );
    let save = config(&reference).save.clone().unwrap();
    assert!(save.ok);
    assert_eq!(
        save.reply,
        "Destination filename [startup-config]? \nBuilding configuration...\n[OK]"
    );
    for seed in 0..50 {
        let run = pump_profile(
            copy_run_start,
            plan_for(config_plan.clone()),
            &destination,
            random_chunks(seed),
        );
        assert_eq!(run, reference, "seed {seed}");
    }
}

fn running_config(extra: &str) -> String {
    let body = format!("!\r\nhostname R1\r\n!\r\n{extra}!\r\nend\r\n");
    format!(
        "show running-config\r\nBuilding configuration...\r\n\r\nCurrent configuration : {} bytes\r\n{body}\r\nR1#",
        body.len()
    )
}

/// Everything at once: a diff, a sub-mode, a rejected line passed over, a save with a question.
fn full_push() -> (Plan, Script) {
    let script = privileged()
        .then("show clock\n", "show clock\r\n*10:52:35.447 UTC Fri Mar 1 2024\r\nR1#")
        .then("show running-config\n", running_config(""))
        .then("configure terminal\n", ENTER_CONFIG)
        .then("logging 10.5.5.5\n", accepted("logging 10.5.5.5", "R1(config)#"))
        .then("logging bogus\n", invalid("logging bogus", "R1(config)#", 8))
        .then(
            "interface GigabitEthernet0/1\n",
            accepted("interface GigabitEthernet0/1", "R1(config-if)#"),
        )
        .then(
            " description uplink\n",
            accepted(" description uplink", "R1(config-if)#"),
        )
        .then("end\n", "end\r\nR1#")
        .then(
            "write memory\n",
            "write memory\r\nOverwrite the previous NVRAM configuration?[confirm]",
        )
        .then("\n", "\r\nBuilding configuration...\r\n[OK]\r\nR1#")
        .then(
            "show running-config\n",
            running_config(
                "interface GigabitEthernet0/1\r\n description uplink\r\n!\r\nlogging host 10.5.5.5\r\n",
            ),
        )
        .then("exit\n", "");
    let plan = Plan {
        commands: vec!["show clock".into()],
        config: Some(ConfigPlan {
            continue_on_error: true,
            save: true,
            diff: true,
            ..push(&[
                "logging 10.5.5.5",
                "logging bogus",
                "interface GigabitEthernet0/1",
                " description uplink",
            ])
        }),
        ..plan(&[], None)
    };
    (plan, script)
}

#[test]
fn diff_reads_the_running_config_before_and_after_without_volatile_lines() {
    let (plan, script) = full_push();
    let run = pump("cisco_ios", plan, &script, whole);
    let results = results(&run);
    assert_eq!(
        results.commands[0].output,
        "*10:52:35.447 UTC Fri Mar 1 2024"
    );
    let config = results.config.as_ref().unwrap();
    assert_eq!(config.before.as_deref(), Some("!\nhostname R1\n!\n!\nend"));
    assert_eq!(
        config.after.as_deref(),
        Some("!\nhostname R1\n!\ninterface GigabitEthernet0/1\n description uplink\n!\nlogging host 10.5.5.5\n!\nend")
    );
    assert_eq!(config.failed_line, Some(1));
    assert!(config.save.as_ref().unwrap().ok);
}

#[test]
fn every_chunking_gives_the_same_push() {
    let (plan, script) = full_push();
    let reference = pump("cisco_ios", plan.clone(), &script, whole);
    assert_eq!(pump("cisco_ios", plan.clone(), &script, |_| 1), reference);
    for seed in 0..200 {
        let run = pump("cisco_ios", plan.clone(), &script, random_chunks(seed));
        assert_eq!(run, reference, "seed {seed}");
    }
}

#[test]
fn telnet_login_then_a_push() {
    let script = Script::new("\r\nUser Access Verification\r\n\r\nUsername: ")
        .then("admin\n", "admin\r\nPassword: ")
        .then("letmein\n", "\r\nR1>")
        .then("enable\n", "enable\r\nPassword: ")
        .then("s3cret\n", "\r\nR1#")
        .then("terminal length 0\n", "terminal length 0\r\nR1#")
        .then("terminal width 511\n", "terminal width 511\r\nR1#")
        .then("configure terminal\n", ENTER_CONFIG)
        .then(
            "logging 10.5.5.5\n",
            accepted("logging 10.5.5.5", "R1(config)#"),
        )
        .then("end\n", "end\r\nR1#")
        .then("exit\n", "");
    let plan = Plan {
        commands: Vec::new(),
        config: Some(push(&["logging 10.5.5.5"])),
        ..telnet_plan("letmein")
    };
    let reference = pump("cisco_ios", plan.clone(), &script, whole);
    assert_eq!(
        config(&reference).applied().collect::<Vec<_>>(),
        ["logging 10.5.5.5"]
    );
    assert_eq!(pump("cisco_ios", plan, &script, |_| 1), reference);
}

#[test]
fn a_silent_or_closed_device_mid_push_says_which_line() {
    let stalls = in_config().then("banner motd ^C\n", "banner motd ^C\r\nEnter TEXT message.");
    let run = pump(
        "cisco_ios",
        plan_for(push(&["banner motd ^C"])),
        &stalls,
        whole,
    );
    let End::Stalled(stalled) = &run.end else {
        panic!("expected a stall, got {:?}", run.end);
    };
    assert_eq!(stalled.kind, ErrorKind::Timeout);
    assert!(
        stalled
            .message
            .starts_with("no prompt after config line 'banner motd ^C' (last received: "),
        "{stalled}"
    );

    let closes = in_config()
        .then("logging 10.5.5.5\n", "logging 10.5.5.5\r\n")
        .closing();
    let run = pump(
        "cisco_ios",
        plan_for(push(&["logging 10.5.5.5"])),
        &closes,
        whole,
    );
    let failure = failure(&run);
    assert_eq!(failure.kind, ErrorKind::Closed);
    assert!(
        failure
            .message
            .starts_with("connection closed: no prompt after config line 'logging 10.5.5.5'"),
        "{failure}"
    );
}

#[test]
fn configure_terminal_rejected_fails_with_the_device_message() {
    let script = privileged().then(
        "configure terminal\n",
        format!(
            "configure terminal\r\n{}^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1#",
            " ".repeat(3)
        ),
    );
    let run = pump(
        "cisco_ios",
        plan_for(push(&["logging 10.5.5.5"])),
        &script,
        whole,
    );
    assert_eq!(
        failure_of(&run),
        (
            ErrorKind::Command,
            "'configure terminal' was rejected at 'R1#': % Invalid input detected at '^' marker."
        )
    );
}

#[test]
fn a_push_cut_off_reports_applied_in_flight_and_skipped_lines() {
    let lines = ["logging 10.5.5.1", "logging 10.5.5.2", "logging 10.5.5.3"];
    // The second line is echoed (the device applied it), then the connection closes.
    let script = in_config()
        .then(&typed(lines[0]), accepted(lines[0], "R1(config)#"))
        .then(&typed(lines[1]), format!("{}\r\n", lines[1]))
        .closing();
    for chunking in [whole as fn(usize) -> usize, |_| 1] {
        let run = pump("cisco_ios", plan_for(push(&lines)), &script, chunking);
        assert_eq!(failure_of(&run).0, ErrorKind::Closed);
    }
    let mut dialogue = Dialogue::new(
        profile("cisco_ios").unwrap(),
        plan_for(push(&lines)),
        clock(start()),
    );
    feed_script(&mut dialogue, &script);
    let ended = dialogue.finish();
    assert_eq!(ended.failure.map(|f| f.kind), Some(ErrorKind::Closed));
    let config = ended.results.config.expect("config results");
    let applied: Vec<&str> = config.applied().collect();
    assert_eq!(applied, [lines[0]]);
    assert_eq!(config.in_flight, [lines[1]]);
    assert_eq!(config.failed_line, Some(1));
    assert_eq!(config.skipped, [lines[2]]);
}

/// Run `script` to its end against `dialogue`, delivering each reply whole.
fn feed_script(dialogue: &mut Dialogue, script: &Script) {
    let now = start();
    dialogue.handle_input(now, &script.greeting);
    let mut replies = script.exchanges.iter();
    while let Some(sent) = dialogue.poll_transmit() {
        let (expect, reply) = replies.next().expect("a scripted reply");
        assert_eq!(lossy(&sent), lossy(expect));
        dialogue.handle_input(now, reply);
    }
    dialogue.handle_eof(now);
}

#[test]
fn a_secret_in_a_typed_line_reaches_the_device_and_is_masked_in_every_report() {
    let lines = [
        "snmp-server community S3cret RO",
        "username ops secret S3cret",
        "ntp authentication-key 1 md5 S3cret",
    ];
    // The first line is applied, the second echoed when the connection closes, the third never
    // sent.
    let script = in_config()
        .then(&typed(lines[0]), accepted(lines[0], "R1(config)#"))
        .then(&typed(lines[1]), format!("{}\r\n", lines[1]))
        .closing();
    let plan = Plan {
        secrets: vec![Secret::new("S3cret")],
        ..plan_for(push(&lines))
    };
    for chunking in [whole as fn(usize) -> usize, |_| 1] {
        let run = pump("cisco_ios", plan.clone(), &script, chunking);
        assert!(
            sent_lines(&run).contains(&typed(lines[1])),
            "the device gets it"
        );
        let reported = format!("{:?} {:?}", run.events, failure_of(&run));
        assert!(!reported.contains("S3cret"), "{reported}");
        assert!(
            run.events.iter().any(|e| matches!(e,
                DialogueEvent::ConfigLineSent { line, .. } if line == "username ops secret ***")),
            "{:?}",
            run.events
        );
    }
    let mut dialogue = Dialogue::new(profile("cisco_ios").unwrap(), plan, clock(start()));
    feed_script(&mut dialogue, &script);
    let config = dialogue.finish().results.config.expect("config results");
    let applied: Vec<&str> = config.applied().collect();
    assert_eq!(applied, ["snmp-server community *** RO"]);
    assert_eq!(config.in_flight, ["username ops secret ***"]);
    assert_eq!(config.skipped, ["ntp authentication-key 1 md5 ***"]);
}
