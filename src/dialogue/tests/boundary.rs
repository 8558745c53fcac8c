//! Prompt boundaries: a line of output equal to the prompt, ending exactly where a read ends,
//! looks like the prompt. Whatever the split, each command keeps all its output and the next
//! command gets none of it, on every platform profile (the last command's end is confirmed by
//! the exit's echo).

use super::*;
use crate::dialogue::platform::profile_names;

/// A prompt at each profile's default level.
fn prompt_of(platform: &str) -> &'static str {
    match platform {
        "cisco_ios" | "cisco_nxos" | "cisco_asa" | "arista_eos" => "R1#",
        "cisco_xr" => "RP/0/RSP0/CPU0:R1#",
        "juniper_junos" => "admin@R1>",
        "linux" => "admin@r1:~$ ",
        other => panic!("no test prompt for profile {other}: add one"),
    }
}

/// Logged in, paging off, then two commands whose outputs each hold a line equal to the prompt.
fn fake_prompt_script(platform: &str) -> Script {
    let prompt = prompt_of(platform);
    let mut script = Script::new(prompt);
    for command in profile(platform).unwrap().paging_off {
        script = script.then(&format!("{command}\n"), format!("{command}\r\n{prompt}"));
    }
    script
        .then(
            "show first\n",
            format!("show first\r\nline one\r\n{prompt}\r\nline two\r\n{prompt}"),
        )
        .then(
            "show second\n",
            format!("show second\r\nline three\r\n{prompt}\r\nline four\r\n{prompt}"),
        )
        .then("exit\n", "exit\r\n")
}

/// Deliver the device's bytes in two reads, the first `split` bytes long.
fn split_at(split: usize) -> impl FnMut(usize) -> usize {
    let mut delivered = 0;
    move |len| {
        let n = if delivered < split {
            (split - delivered).min(len)
        } else {
            len
        };
        delivered += n;
        n
    }
}

fn stream_len(script: &Script) -> usize {
    script.greeting.len() + script.exchanges.iter().map(|(_, r)| r.len()).sum::<usize>()
}

#[test]
fn a_fake_prompt_line_at_any_read_boundary_stays_in_its_command() {
    for platform in profile_names() {
        let prompt = prompt_of(platform);
        assert!(profile(platform).unwrap().level_of(prompt).is_some());
        let script = fake_prompt_script(platform);
        let plan = plan(&["show first", "show second"], None);
        for split in 1..stream_len(&script) {
            let run = pump(platform, plan.clone(), &script, split_at(split));
            let commands = &results(&run).commands;
            let outputs: Vec<&str> = commands.iter().map(|c| c.output.as_str()).collect();
            assert_eq!(
                outputs,
                [
                    format!("line one\n{prompt}\nline two"),
                    format!("line three\n{prompt}\nline four")
                ],
                "{platform}, split at {split}"
            );
            assert!(commands.iter().all(|c| c.ok), "{platform} {split}");
        }
    }
}

#[test]
fn the_last_command_is_completed_by_the_close_when_the_exit_is_not_echoed() {
    let script = Script::new("R1#")
        .then("terminal length 0\n", "terminal length 0\r\nR1#")
        .then("terminal width 511\n", "terminal width 511\r\nR1#")
        .then("show clock\n", "show clock\r\n10:52\r\nR1#\r\nUTC\r\nR1#")
        .then("exit\n", "")
        .closing();
    let plan = plan(&["show clock"], None);
    for split in 1..stream_len(&script) {
        let run = pump("cisco_ios", plan.clone(), &script, split_at(split));
        assert_eq!(
            results(&run).commands[0].output,
            "10:52\nR1#\nUTC",
            "split at {split}"
        );
    }
}

#[test]
fn a_device_that_neither_echoes_the_exit_nor_closes_keeps_its_output() {
    let script = Script::new("R1#")
        .then("terminal length 0\n", "terminal length 0\r\nR1#")
        .then("terminal width 511\n", "terminal width 511\r\nR1#")
        .then("show clock\n", "show clock\r\n10:52\r\nR1#")
        .then("exit\n", "");
    let run = pump("cisco_ios", plan(&["show clock"], None), &script, whole);
    assert_eq!(results(&run).commands[0].output, "10:52");
}

const ENTER_CONFIG: &str =
    "configure terminal\r\nEnter configuration commands, one per line.  End with CNTL/Z.\r\nR1(config)#";

fn push_plan(lines: &[&str], diff: bool) -> Plan {
    Plan {
        config: Some(ConfigPlan {
            lines: lines.iter().map(|l| l.to_string()).collect(),
            diff,
            ..ConfigPlan::default()
        }),
        ..plan(&[], None)
    }
}

#[test]
fn a_config_line_whose_reply_looks_cut_at_a_prompt_is_rejected_or_fails_loudly() {
    // The device rejects the line after printing a line equal to the config prompt: split just
    // after that line, the prompt seems to end an empty (accepted) reply.
    let script = privileged()
        .then("configure terminal\n", ENTER_CONFIG)
        .then(
            "logging bogus\n",
            "logging bogus\r\nR1(config)#\r\n% Invalid input detected at '^' marker.\r\n\r\nR1(config)#",
        )
        .then("end\n", "end\r\nR1#")
        .then("exit\n", "exit\r\n");
    let plan = push_plan(&["logging bogus"], false);
    let (mut rejected, mut loud) = (0, 0);
    for split in 1..stream_len(&script) {
        let run = pump("cisco_ios", plan.clone(), &script, split_at(split));
        match &run.end {
            End::Done(results) => {
                let config = results.config.as_ref().expect("config results");
                assert_eq!(config.failed_line, Some(0), "split at {split}");
                assert!(!config.lines[0].ok, "split at {split}");
                rejected += 1;
            }
            _ => {
                let (kind, message) = failure_of(&run);
                assert_eq!(kind, ErrorKind::Protocol, "split at {split}: {message}");
                assert!(
                    message.contains("config line 'logging bogus'")
                        && message.contains("% Invalid input"),
                    "split at {split}: {message}"
                );
                loud += 1;
            }
        }
    }
    assert!(rejected > 0 && loud > 0, "{rejected} rejected, {loud} loud");
}

#[test]
fn a_running_config_read_with_a_prompt_like_line_is_kept_whole_at_any_split() {
    let config =
        "Building configuration...\r\n!\r\nhostname R1\r\nR1#\r\nlogging host 10.0.0.1\r\nend\r\n";
    let script = privileged()
        .then(
            "show running-config\n",
            format!("show running-config\r\n{config}R1#"),
        )
        .then("configure terminal\n", ENTER_CONFIG)
        .then("logging 10.5.5.5\n", "logging 10.5.5.5\r\nR1(config)#")
        .then("end\n", "end\r\nR1#")
        .then(
            "show running-config\n",
            format!("show running-config\r\n{config}R1#"),
        )
        .then("exit\n", "exit\r\n");
    let plan = push_plan(&["logging 10.5.5.5"], true);
    let expected = "!\nhostname R1\nR1#\nlogging host 10.0.0.1\nend";
    for split in 1..stream_len(&script) {
        let run = pump("cisco_ios", plan.clone(), &script, split_at(split));
        let config = results(&run).config.as_ref().expect("config results");
        assert_eq!(config.before.as_deref(), Some(expected), "split at {split}");
        assert_eq!(config.after.as_deref(), Some(expected), "split at {split}");
    }
}
