//! `max_output`: a device that talks past it fails the host with kind `output-limit`, the
//! command keeping the output that fit, and the dialogue's buffers never grow past it.

use super::*;

fn capped(commands: &[&str], max_output: usize) -> Plan {
    Plan {
        max_output,
        answers: Vec::new(),
        ..plan(commands, None)
    }
}

fn flood(bytes: usize) -> String {
    "abcdefghijklmnopqrstuvwxyz0123456789"
        .chars()
        .cycle()
        .take(bytes)
        .collect()
}

#[test]
fn an_output_past_the_cap_fails_the_host_keeping_what_fit() {
    let script = Script::new("R1#")
        .then("terminal length 0\n", "terminal length 0\r\nR1#")
        .then("terminal width 511\n", "terminal width 511\r\nR1#")
        .then("show tech\n", format!("show tech\r\n{}", flood(100_000)));
    for seed in 0..5 {
        let run = pump(
            "cisco_ios",
            capped(&["show tech"], 4096),
            &script,
            random_chunks(seed),
        );
        let End::Failed(failure) = &run.end else {
            panic!("expected a failure, got {:?}", run.end);
        };
        assert_eq!(failure.kind, ErrorKind::OutputLimit, "{failure}");
        assert!(
            failure.message.starts_with(
                "no prompt after 'show tech' within the first 4096 bytes (--max-output)"
            ),
            "{failure}"
        );
        let kept = run.events.iter().find_map(|e| match e {
            DialogueEvent::CommandDone { result, .. } => Some(result),
            _ => None,
        });
        let kept = kept.expect("the output that fit is kept");
        assert!(!kept.ok);
        assert!(kept.output.starts_with("abcdefghij"), "{}", kept.output);
        assert!(kept.output.len() <= 4096 && kept.output.len() > 4000);
    }
}

#[test]
fn a_flood_before_any_prompt_fails_the_login() {
    let script = Script::new(&flood(1 << 20));
    let run = pump("cisco_ios", capped(&[], 64 << 10), &script, |_| 16 << 10);
    let (kind, message) = failure_of(&run);
    assert_eq!(kind, ErrorKind::OutputLimit);
    assert!(
        message.starts_with("no prompt after login within the first 65536 bytes (--max-output)"),
        "{message}"
    );
}
