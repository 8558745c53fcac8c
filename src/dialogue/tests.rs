//! Canned-transcript tests of the `Dialogue`: a scripted cisco_ios-like device answers each line
//! the dialogue sends, and its bytes are fed back in chunks of every size.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::*;
use crate::dialogue::platform::profile;
use crate::job::ErrorKind;

mod boundary;
mod clock;
mod config;
mod limits;
mod platforms;
mod questions;
mod secrets;

/// A scripted device: what it prints first, then for each line it expects, what it replies.
struct Script {
    greeting: Vec<u8>,
    exchanges: Vec<(Vec<u8>, Vec<u8>)>,
    /// After the last scripted byte: close the connection (true) or stall (false).
    close_at_end: bool,
}

impl Script {
    fn new(greeting: &str) -> Self {
        Script {
            greeting: greeting.as_bytes().to_vec(),
            exchanges: Vec::new(),
            close_at_end: false,
        }
    }

    fn then(mut self, expect: &str, reply: impl AsRef<[u8]>) -> Self {
        self.exchanges
            .push((expect.as_bytes().to_vec(), reply.as_ref().to_vec()));
        self
    }

    fn closing(mut self) -> Self {
        self.close_at_end = true;
        self
    }
}

#[derive(Debug, PartialEq)]
enum End {
    Done(Results),
    Failed(Failure),
    /// The device went quiet: the failure at the dialogue's deadline.
    Stalled(Failure),
}

#[derive(Debug, PartialEq)]
struct Run {
    end: End,
    sent: Vec<Vec<u8>>,
    events: Vec<DialogueEvent>,
}

/// The host's timeout in the scripted runs.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long the scripted device takes to answer each line it is sent.
const ANSWER_TIME: Duration = Duration::from_millis(10);

/// One instant for every scripted run, so runs of one script compare equal, stamps included.
fn start() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// The clock of a dialogue started at `now`, in a run that began at `start()`.
fn clock(now: Instant) -> Clock {
    Clock {
        epoch: start(),
        now,
        timeout: TIMEOUT,
        command_timeout: None,
    }
}

/// Pump a dialogue against `script`, delivering the device's bytes in chunks of `chunk(len)`.
fn pump(platform: &str, plan: Plan, script: &Script, chunk: impl FnMut(usize) -> usize) -> Run {
    pump_profile(profile(platform).unwrap(), plan, script, chunk)
}

/// The pump's clock moves only when the device answers (`ANSWER_TIME` after each line it is
/// sent), so every chunking of a script gives the same stamps.
fn pump_profile(
    profile: &'static Profile,
    plan: Plan,
    script: &Script,
    mut chunk: impl FnMut(usize) -> usize,
) -> Run {
    // The session starts 1 s into the run.
    let mut now = start() + Duration::from_secs(1);
    let mut dialogue = Dialogue::new(profile, plan, clock(now));
    let mut inbox: VecDeque<u8> = script.greeting.iter().copied().collect();
    let mut exchanges = script.exchanges.iter();
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    let mut stalled = false;
    for _ in 0..50_000_000 {
        events.extend(std::iter::from_fn(|| dialogue.poll_event()));
        if let Some(bytes) = dialogue.poll_transmit() {
            let (expect, reply) = exchanges
                .next()
                .unwrap_or_else(|| panic!("unscripted send {:?}", lossy(&bytes)));
            assert_eq!(lossy(&bytes), lossy(expect), "sent");
            inbox.extend(reply);
            sent.push(bytes);
            now += ANSWER_TIME;
            continue;
        }
        match dialogue.status() {
            Status::Running => {}
            Status::Done => {
                assert!(exchanges.next().is_none(), "script not finished");
                let ended = dialogue.finish();
                assert_eq!(ended.failure, None);
                let end = End::Done(ended.results);
                return Run { end, sent, events };
            }
            Status::Failed => {
                let failure = dialogue.finish().failure.expect("a failure");
                let end = if stalled {
                    End::Stalled(failure)
                } else {
                    End::Failed(failure)
                };
                return Run { end, sent, events };
            }
        }
        if !inbox.is_empty() {
            let n = chunk(inbox.len()).clamp(1, inbox.len());
            let bytes: Vec<u8> = inbox.drain(..n).collect();
            dialogue.handle_input(now, &bytes);
        } else if script.close_at_end {
            dialogue.handle_eof(now);
        } else {
            let deadline = dialogue
                .poll_timeout()
                .expect("a running dialogue has a deadline");
            dialogue.handle_timeout(deadline);
            stalled = true;
        }
    }
    panic!("dialogue did not finish");
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn whole(len: usize) -> usize {
    len
}

/// A small deterministic generator for random chunk sizes.
fn random_chunks(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |len| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        1 + (state >> 33) as usize % len.clamp(1, 40)
    }
}

fn plan(commands: &[&str], secret: Option<&str>) -> Plan {
    Plan {
        login: None,
        enable_secret: secret.map(Secret::new),
        commands: commands.iter().map(|c| c.to_string()).collect(),
        config: None,
        secrets: Vec::new(),
        max_output: crate::job::DEFAULT_MAX_OUTPUT,
        answers: Vec::new(),
    }
}

fn results(run: &Run) -> &Results {
    match &run.end {
        End::Done(results) => results,
        other => panic!("expected Done, got {other:?}"),
    }
}

fn failure(run: &Run) -> &Failure {
    match &run.end {
        End::Failed(failure) => failure,
        other => panic!("expected Failed, got {other:?}"),
    }
}

const SHOW_VERSION: &str =
    "Cisco IOS Software, IOSv Software (VIOS-ADVENTERPRISEK9-M), Version 15.9(3)M2\r\n\
Technical Support: http://www.cisco.com/techsupport\r\n\
\r\n\
ROM: Bootstrap program is IOSv\r\n\
Router# is how an unnamed router prompts; this line must not end the output\r\n\
R1 uptime is 3 hours, 12 minutes\r\n\
Configuration register is 0x2102\r\n\
\r\n";

/// Login at `R1>`, enable with a secret, paging off, then the given command exchanges.
fn ios_session() -> Script {
    Script::new("\r\n**************************\r\n* R1: netrun testbed lab *\r\n**************************\r\n\r\nR1>")
        .then("enable\n", "enable\r\nPassword: ")
        .then("s3cret\n", "\r\nR1#")
        .then("terminal length 0\n", "terminal length 0\r\nR1#")
        .then("terminal width 511\n", "terminal width 511\r\nR1#")
}

fn show_version_and_clock() -> Script {
    ios_session()
        .then(
            "show version\n",
            format!("show version\r\n{SHOW_VERSION}R1#"),
        )
        .then(
            "show clock\n",
            "show clock\r\n*10:52:35.447 UTC Fri Mar 1 2024\r\nR1#",
        )
        .then("exit\n", "")
}

#[test]
fn login_enable_and_commands_with_echo() {
    let run = pump(
        "cisco_ios",
        plan(&["show version", "show clock"], Some("s3cret")),
        &show_version_and_clock(),
        whole,
    );
    let results = results(&run);
    assert_eq!(results.prompt, "R1#");
    assert_eq!(results.commands.len(), 2);
    let version = &results.commands[0];
    assert_eq!(version.command, "show version");
    assert_eq!(version.prompt, "R1#");
    assert!(version.ok);
    assert!(version.output.starts_with("Cisco IOS Software, IOSv"));
    assert!(version.output.ends_with("Configuration register is 0x2102"));
    assert!(version.output.contains("\nRouter# is how"));
    assert!(!version.output.contains('\r'));
    assert_eq!(
        results.commands[1].output,
        "*10:52:35.447 UTC Fri Mar 1 2024"
    );
    assert_eq!(
        run.events[0],
        DialogueEvent::LoggedIn {
            prompt: "R1#".into()
        }
    );
    assert_eq!(
        run.events[1],
        DialogueEvent::CommandSent {
            index: 0,
            command: "show version".into()
        }
    );
    // A show result is confirmed by the next command's echo, so it comes after that send.
    assert!(matches!(
        &run.events[2],
        DialogueEvent::CommandSent { index: 1, .. }
    ));
    assert!(matches!(
        &run.events[3],
        DialogueEvent::CommandDone { index: 0, result } if result == version
    ));
    assert_eq!(run.events.len(), 5);
    assert_eq!(run.sent.last().unwrap(), b"exit\n");
}

#[test]
fn every_chunking_gives_the_same_run() {
    let script = show_version_and_clock();
    let plan = plan(&["show version", "show clock"], Some("s3cret"));
    let reference = pump("cisco_ios", plan.clone(), &script, whole);
    assert_eq!(
        pump("cisco_ios", plan.clone(), &script, |_| 1),
        reference,
        "byte at a time"
    );
    for seed in 0..200 {
        let run = pump("cisco_ios", plan.clone(), &script, random_chunks(seed));
        assert_eq!(run, reference, "seed {seed}");
    }
}

#[test]
fn already_privileged_skips_enable() {
    let script = Script::new("R1#")
        .then("terminal length 0\n", "terminal length 0\r\nR1#")
        .then("terminal width 511\n", "terminal width 511\r\nR1#")
        .then("exit\n", "");
    let run = pump("cisco_ios", plan(&[], Some("s3cret")), &script, whole);
    assert_eq!(results(&run).prompt, "R1#");
}

#[test]
fn unprivileged_prompt_without_secret_fails_auth() {
    let run = pump(
        "cisco_ios",
        plan(&["show version"], None),
        &Script::new("R1>"),
        whole,
    );
    let failure = failure(&run);
    assert_eq!(failure.kind, ErrorKind::Auth);
    assert!(
        failure.message.contains("'R1>' is unprivileged"),
        "{failure}"
    );
    assert!(failure.message.contains("no enable secret"), "{failure}");
    assert!(run.sent.is_empty());
}

#[test]
fn rejected_enable_secret_fails_auth() {
    let denied = Script::new("R1>")
        .then("enable\n", "enable\r\nPassword: ")
        .then("wrong\n", "\r\n% Access denied\r\n\r\nR1>");
    let asked_again = Script::new("R1>")
        .then("enable\n", "enable\r\nPassword: ")
        .then("wrong\n", "\r\nPassword: ");
    for chunking in [whole as fn(usize) -> usize, |_| 1] {
        let run = pump("cisco_ios", plan(&[], Some("wrong")), &denied, chunking);
        let failure = failure(&run);
        assert_eq!(failure.kind, ErrorKind::Auth);
        assert_eq!(failure.message, "enable secret rejected: % Access denied");

        let run = pump(
            "cisco_ios",
            plan(&[], Some("wrong")),
            &asked_again,
            chunking,
        );
        assert_eq!(
            failure_of(&run),
            (ErrorKind::Auth, "enable secret rejected")
        );
    }
}

#[test]
fn enable_answered_without_a_password_prompt_is_not_retried() {
    let script = Script::new("R1>").then("enable\n", "enable\r\n% No password set\r\nR1>");
    let run = pump("cisco_ios", plan(&[], Some("s3cret")), &script, |_| 1);
    assert_eq!(
        failure_of(&run),
        (ErrorKind::Auth, "enable secret rejected: % No password set")
    );
}

fn failure_of(run: &Run) -> (ErrorKind, &str) {
    let failure = failure(run);
    (failure.kind, failure.message.as_str())
}

fn telnet_plan(password: &str) -> Plan {
    Plan {
        login: Some(("admin".to_string(), Secret::new(password))),
        ..plan(&["show clock"], Some("s3cret"))
    }
}

#[test]
fn telnet_login_then_the_usual_dialogue() {
    let script = Script::new("\r\nUser Access Verification\r\n\r\nUsername: ")
        .then("admin\n", "admin\r\nPassword: ")
        .then("letmein\n", "\r\nR1>")
        .then("enable\n", "enable\r\nPassword: ")
        .then("s3cret\n", "\r\nR1#")
        .then("terminal length 0\n", "terminal length 0\r\nR1#")
        .then("terminal width 511\n", "terminal width 511\r\nR1#")
        .then(
            "show clock\n",
            "show clock\r\n*10:52:35.447 UTC Fri Mar 1 2024\r\nR1#",
        )
        .then("exit\n", "");
    let reference = pump("cisco_ios", telnet_plan("letmein"), &script, whole);
    assert_eq!(
        results(&reference).commands[0].output,
        "*10:52:35.447 UTC Fri Mar 1 2024"
    );
    assert_eq!(
        pump("cisco_ios", telnet_plan("letmein"), &script, |_| 1),
        reference
    );
}

#[test]
fn telnet_login_rejected_fails_auth() {
    let invalid = Script::new("Username: ")
        .then("admin\n", "admin\r\nPassword: ")
        .then("nope\n", "\r\n% Login invalid\r\n\r\nUsername: ");
    for chunking in [whole as fn(usize) -> usize, |_| 1] {
        let run = pump("cisco_ios", telnet_plan("nope"), &invalid, chunking);
        assert_eq!(
            failure_of(&run),
            (ErrorKind::Auth, "login rejected: % Login invalid")
        );
    }
    let asked_again = Script::new("Username: ")
        .then("admin\n", "admin\r\nPassword: ")
        .then("nope\n", "\r\nUsername: ");
    let run = pump("cisco_ios", telnet_plan("nope"), &asked_again, whole);
    assert_eq!(
        failure_of(&run),
        (
            ErrorKind::Auth,
            "login rejected: the device asked for the Username again"
        )
    );
    let closed = Script::new("Password: ")
        .then("nope\n", "\r\n% Authentication failed\r\n")
        .closing();
    let run = pump("cisco_ios", telnet_plan("nope"), &closed, whole);
    assert_eq!(
        failure_of(&run),
        (ErrorKind::Auth, "login rejected: % Authentication failed")
    );
}

#[test]
fn login_prompt_without_credentials_fails_auth() {
    let run = pump(
        "cisco_ios",
        plan(&[], None),
        &Script::new("Username: "),
        whole,
    );
    assert_eq!(failure(&run).kind, ErrorKind::Auth);
}

const ERASE: &str =
    "\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08";

/// A device that ignores `terminal length 0` and pages `show running-config`.
fn paging_device() -> Script {
    Script::new("R1#")
        .then("terminal length 0\n", "terminal length 0\r\nR1#")
        .then("terminal width 511\n", "terminal width 511\r\nR1#")
        .then(
            "show running-config\n",
            "show running-config\r\nBuilding configuration...\r\n\r\nhostname R1\r\n --More-- ",
        )
        .then(
            " ",
            format!("{ERASE}interface GigabitEthernet0/0\r\n description uplink\r\n --More-- "),
        )
        .then(
            " ",
            format!("{ERASE} ip address 10.0.0.1 255.255.255.0\r\nend\r\n\r\nR1#"),
        )
        .then("exit\n", "")
}

#[test]
fn pager_prompts_are_answered_and_cut_out() {
    let reference = pump(
        "cisco_ios",
        plan(&["show running-config"], None),
        &paging_device(),
        whole,
    );
    let output = &results(&reference).commands[0].output;
    assert_eq!(
        output,
        "Building configuration...\n\nhostname R1\ninterface GigabitEthernet0/0\n description uplink\n ip address 10.0.0.1 255.255.255.0\nend"
    );
    for seed in 0..100 {
        let run = pump(
            "cisco_ios",
            plan(&["show running-config"], None),
            &paging_device(),
            random_chunks(seed),
        );
        assert_eq!(run, reference, "seed {seed}");
    }
    let bytewise = pump(
        "cisco_ios",
        plan(&["show running-config"], None),
        &paging_device(),
        |_| 1,
    );
    assert_eq!(bytewise, reference);
}

fn privileged() -> Script {
    Script::new("R1#")
        .then("terminal length 0\n", "terminal length 0\r\nR1#")
        .then("terminal width 511\n", "terminal width 511\r\nR1#")
}

#[test]
fn rejected_commands_are_marked_failed_and_the_next_ones_still_run() {
    let script = privileged()
        .then(
            "show foo\n",
            "show foo\r\n     ^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1#",
        )
        .then("show\n", "show\r\n% Incomplete command.\r\n\r\nR1#")
        .then("sh c\n", "sh c\r\n% Ambiguous command:  \"sh c\"\r\nR1#")
        .then(
            "show clock\n",
            "show clock\r\n*10:52:35.447 UTC Fri Mar 1 2024\r\nR1#",
        )
        .then("exit\n", "");
    let commands = ["show foo", "show", "sh c", "show clock"];
    let run = pump("cisco_ios", plan(&commands, None), &script, whole);
    let results = &results(&run).commands;
    let ok: Vec<bool> = results.iter().map(|r| r.ok).collect();
    assert_eq!(ok, [false, false, false, true]);
    assert_eq!(
        results[0].output,
        "     ^\n% Invalid input detected at '^' marker."
    );
    assert_eq!(results[1].output, "% Incomplete command.");
    assert_eq!(results[2].output, "% Ambiguous command:  \"sh c\"");
}

#[test]
fn eof_mid_command_fails_closed_with_what_was_awaited() {
    let script = privileged()
        .then(
            "show version\n",
            "show version\r\nCisco IOS Software, IOSv\r\n",
        )
        .closing();
    let run = pump("cisco_ios", plan(&["show version"], None), &script, whole);
    let failure = failure(&run);
    assert_eq!(failure.kind, ErrorKind::Closed);
    assert!(
        failure
            .message
            .starts_with("connection closed: no prompt after 'show version'"),
        "{failure}"
    );
    assert!(
        failure.message.contains("Cisco IOS Software, IOSv\\r\\n"),
        "{failure}"
    );
}

#[test]
fn timeout_says_what_was_awaited_and_quotes_at_most_200_chars() {
    let long_output = format!("show tech-support\r\n{}last words", "x".repeat(1000));
    let script = privileged().then("show tech-support\n", long_output);
    let run = pump(
        "cisco_ios",
        plan(&["show tech-support"], None),
        &script,
        random_chunks(7),
    );
    let End::Stalled(failure) = &run.end else {
        panic!("expected a stall, got {:?}", run.end);
    };
    assert_eq!(failure.kind, ErrorKind::Timeout);
    let quoted = failure
        .message
        .strip_prefix("no prompt after 'show tech-support' (last received: \"")
        .and_then(|rest| rest.strip_suffix("\")"))
        .unwrap_or_else(|| panic!("unexpected message {failure}"));
    assert!(quoted.ends_with("xxlast words"));
    assert_eq!(quoted.chars().count(), 200);

    let silent = pump("cisco_ios", plan(&[], None), &Script::new(""), whole);
    assert_eq!(
        silent.end,
        End::Stalled(Failure::new(
            ErrorKind::Timeout,
            "no prompt after login (nothing received)"
        ))
    );
}

#[test]
fn huge_output_in_16k_chunks() {
    let line = "GigabitEthernet0/1 is up, line protocol is up, 1000 packets input, 64000 bytes\r\n";
    let lines = 10 * 1024 * 1024 / line.len();
    let mut reply = String::with_capacity(lines * line.len() + 64);
    reply.push_str("show tech-support\r\n");
    for _ in 0..lines {
        reply.push_str(line);
    }
    reply.push_str("R1#");
    let script = privileged()
        .then("show tech-support\n", reply)
        .then("exit\n", "");
    let run = pump(
        "cisco_ios",
        plan(&["show tech-support"], None),
        &script,
        |_| 16 * 1024,
    );
    let output = &results(&run).commands[0].output;
    // Each line loses its `\r`; the last loses its `\n` too.
    assert_eq!(output.len(), lines * (line.len() - 1) - 1);
}

#[test]
fn garbage_bytes_become_replacement_characters() {
    let mut reply = b"show version\r\nbad \xff\xfe\xc3 bytes\x00 here\r\n".to_vec();
    reply.extend_from_slice(b"R1#");
    let script = privileged()
        .then("show version\n", reply)
        .then("exit\n", "");
    for chunking in [whole as fn(usize) -> usize, |_| 1] {
        let run = pump(
            "cisco_ios",
            plan(&["show version"], None),
            &script,
            chunking,
        );
        let result = &results(&run).commands[0];
        assert!(result.ok);
        assert_eq!(result.output, "bad \u{fffd}\u{fffd}\u{fffd} bytes\0 here");
        // The bytes themselves are kept beside the text.
        assert_eq!(
            result.output_bytes.as_deref(),
            Some(&b"bad \xff\xfe\xc3 bytes\x00 here"[..])
        );
    }
}

#[test]
fn config_mode_at_login_is_left_first() {
    let script = Script::new("R1(config)#")
        .then("end\n", "end\r\nR1#")
        .then("terminal length 0\n", "terminal length 0\r\nR1#")
        .then("terminal width 511\n", "terminal width 511\r\nR1#")
        .then("exit\n", "");
    let run = pump("cisco_ios", plan(&[], None), &script, |_| 1);
    assert_eq!(results(&run).prompt, "R1#");
}

#[test]
fn junos_profile_needs_no_enable() {
    let script = Script::new("\r\n--- JUNOS 21.2R1.10 Kernel 64-bit\r\nadmin@vmx1> ")
        .then(
            "set cli screen-length 0\n",
            "set cli screen-length 0 \r\nScreen length set to 0\r\n\r\nadmin@vmx1> ",
        )
        .then(
            "set cli screen-width 511\n",
            "set cli screen-width 511 \r\nScreen width set to 511\r\n\r\nadmin@vmx1> ",
        )
        .then(
            "set cli complete-on-space off\n",
            "set cli complete-on-space off \r\nDisabling complete-on-space\r\n\r\nadmin@vmx1> ",
        )
        .then(
            "show foo\n",
            "show foo \r\n       ^\r\nsyntax error, expecting <command>.\r\n\r\nadmin@vmx1> ",
        )
        .then("exit\n", "");
    let run = pump("juniper_junos", plan(&["show foo"], None), &script, |_| 1);
    let results = results(&run);
    assert_eq!(results.prompt, "admin@vmx1>");
    assert!(!results.commands[0].ok);
}
