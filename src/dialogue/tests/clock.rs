//! Tests where time passes: the dialogue is driven by hand with explicit `now`s, to check its
//! deadline (set at the start, restarted by each send and only by a send), the failure when the
//! deadline passes, the stamps on its results, and what it does when called after its end.

use super::*;

const MS: Duration = Duration::from_millis(1);

fn ios(plan: Plan, now: Instant) -> Dialogue {
    Dialogue::new(profile("cisco_ios").unwrap(), plan, clock(now))
}

/// Feed `bytes` at `at`; what the dialogue sends in answer.
fn feed(dialogue: &mut Dialogue, at: Instant, bytes: &str) -> String {
    dialogue.handle_input(at, bytes.as_bytes());
    std::iter::from_fn(|| dialogue.poll_transmit())
        .map(|sent| lossy(&sent))
        .collect()
}

/// A dialogue logged in at `R1#` at `at`, paging off answered at once, `show clock` just sent.
fn sent_show_clock(at: Instant) -> Dialogue {
    let mut dialogue = ios(plan(&["show clock"], None), at);
    assert_eq!(feed(&mut dialogue, at, "R1#"), "terminal length 0\n");
    let width = feed(&mut dialogue, at, "terminal length 0\r\nR1#");
    assert_eq!(width, "terminal width 511\n");
    let show = feed(&mut dialogue, at, "terminal width 511\r\nR1#");
    assert_eq!(show, "show clock\n");
    dialogue
}

#[test]
fn a_deadline_passes_with_no_io_at_all() {
    let t0 = start() + Duration::from_secs(1);
    let mut dialogue = ios(plan(&["show version"], None), t0);
    assert_eq!(dialogue.poll_transmit(), None);
    assert_eq!(dialogue.poll_timeout(), Some(t0 + TIMEOUT));
    // A wake before the deadline changes nothing.
    dialogue.handle_timeout(t0 + TIMEOUT - MS);
    assert_eq!(dialogue.status(), Status::Running);
    dialogue.handle_timeout(t0 + TIMEOUT);
    assert_eq!(dialogue.status(), Status::Failed);
    assert_eq!(dialogue.poll_timeout(), None);
    assert_eq!(
        dialogue.finish().failure,
        Some(Failure::new(
            ErrorKind::Timeout,
            "no prompt after login (nothing received)"
        ))
    );
}

#[test]
fn a_deadline_failure_names_what_was_awaited_and_what_was_last_seen() {
    let t0 = start() + Duration::from_secs(1);
    let mut banner = ios(plan(&[], None), t0);
    assert_eq!(feed(&mut banner, t0 + MS, "\r\n* lab *\r\n"), "");
    // The timeout is an idle one: it counts from the last byte.
    banner.handle_timeout(t0 + MS + TIMEOUT - MS);
    assert_eq!(banner.status(), Status::Running);
    banner.handle_timeout(t0 + MS + TIMEOUT);
    assert_eq!(
        banner.finish().failure,
        Some(Failure::new(
            ErrorKind::Timeout,
            "no prompt after login (last received: \"\\r\\n* lab *\\r\\n\")"
        ))
    );

    let mut command = sent_show_clock(t0);
    assert_eq!(feed(&mut command, t0 + MS, "show clock\r\n*10:52"), "");
    command.handle_timeout(t0 + MS + TIMEOUT);
    let failure = command.finish().failure.unwrap();
    assert_eq!(failure.kind, ErrorKind::Timeout);
    assert!(
        failure
            .message
            .starts_with("no prompt after 'show clock' (last received: \""),
        "{failure}"
    );
    assert!(
        failure.message.ends_with("show clock\\r\\n*10:52\")"),
        "{failure}"
    );
}

#[test]
fn a_send_and_every_byte_received_restart_the_idle_deadline() {
    let t0 = start() + Duration::from_secs(1);
    let mut dialogue = ios(plan(&[], None), t0);
    let sent_at = t0 + 3000 * MS;
    assert_eq!(feed(&mut dialogue, sent_at, "R1#"), "terminal length 0\n");
    assert_eq!(dialogue.poll_timeout(), Some(sent_at + TIMEOUT));
    // Part of the echo, later: the device is not idle, so the deadline moves with it.
    let heard_at = sent_at + 2000 * MS;
    assert_eq!(feed(&mut dialogue, heard_at, "termi"), "");
    assert_eq!(dialogue.poll_timeout(), Some(heard_at + TIMEOUT));
    // Past the deadline of the send but not the one of the last byte.
    dialogue.handle_timeout(sent_at + TIMEOUT);
    assert_eq!(dialogue.status(), Status::Running);
    dialogue.handle_timeout(heard_at + TIMEOUT);
    assert_eq!(
        dialogue.finish().failure,
        Some(Failure::new(
            ErrorKind::Timeout,
            "no echo of 'terminal length 0' (last received: \"R1#termi\")"
        ))
    );
}

#[test]
fn a_device_streaming_slowly_is_never_idle_but_a_command_timeout_bounds_it() {
    let t0 = start() + Duration::from_secs(1);
    let mut streaming = sent_show_clock(t0);
    feed(&mut streaming, t0, "show clock\r\n");
    // A line every 90% of the timeout, for ten timeouts: still running.
    let mut now = t0;
    for _ in 0..11 {
        now += TIMEOUT * 9 / 10;
        streaming.handle_timeout(now);
        feed(&mut streaming, now, "a line of a long output\r\n");
    }
    assert_eq!(streaming.status(), Status::Running);
    assert_eq!(feed(&mut streaming, now, "R1#"), "exit\n");
    feed(&mut streaming, now, "exit\r\n");
    let ended = streaming.finish();
    assert_eq!(ended.failure, None);
    assert_eq!(ended.results.commands[0].output.lines().count(), 11);

    // With a command timeout of 1.5 timeouts, the same stream fails at its end.
    let clock = Clock {
        command_timeout: Some(TIMEOUT * 3 / 2),
        ..clock(t0)
    };
    let mut bounded = Dialogue::new(
        profile("cisco_ios").unwrap(),
        plan(&["show clock"], None),
        clock,
    );
    feed(&mut bounded, t0, "R1#");
    feed(&mut bounded, t0, "terminal length 0\r\nR1#");
    let sent_at = t0 + MS;
    assert_eq!(
        feed(&mut bounded, sent_at, "terminal width 511\r\nR1#"),
        "show clock\n"
    );
    feed(&mut bounded, sent_at, "show clock\r\n");
    let command_deadline = sent_at + TIMEOUT * 3 / 2;
    feed(&mut bounded, sent_at + TIMEOUT * 9 / 10, "a line\r\n");
    assert_eq!(bounded.poll_timeout(), Some(command_deadline));
    bounded.handle_timeout(command_deadline - MS);
    assert_eq!(bounded.status(), Status::Running);
    bounded.handle_timeout(command_deadline);
    let failure = bounded.finish().failure.unwrap();
    assert_eq!(failure.kind, ErrorKind::Timeout);
    assert!(
        failure.message.starts_with(
            "no prompt after 'show clock' within the command timeout of 15 s (last received:"
        ),
        "{failure}"
    );
}

#[test]
fn a_pager_answer_is_a_send_and_restarts_the_deadline() {
    let t0 = start() + Duration::from_secs(1);
    let mut dialogue = sent_show_clock(t0);
    let paged_at = t0 + 4000 * MS;
    let answer = feed(&mut dialogue, paged_at, "show clock\r\n*10:52 --More-- ");
    assert_eq!(answer, " ");
    assert_eq!(dialogue.poll_timeout(), Some(paged_at + TIMEOUT));
}

#[test]
fn commands_and_config_lines_are_stamped_from_the_given_nows() {
    // The session starts 2 s into the run.
    let t0 = start() + 2000 * MS;
    let config = ConfigPlan {
        lines: vec!["logging 10.5.5.5".into()],
        ..ConfigPlan::default()
    };
    let plan = Plan {
        config: Some(config),
        ..plan(&["show clock"], None)
    };
    let mut dialogue = ios(plan, t0);
    let logged_in_at = t0 + 5 * MS;
    assert_eq!(
        feed(&mut dialogue, logged_in_at, "R1#"),
        "terminal length 0\n"
    );
    let width = feed(&mut dialogue, t0 + 10 * MS, "terminal length 0\r\nR1#");
    assert_eq!(width, "terminal width 511\n");
    let show_sent = t0 + 20 * MS;
    let show = feed(&mut dialogue, show_sent, "terminal width 511\r\nR1#");
    assert_eq!(show, "show clock\n");
    // Answered 250 ms after it was sent, in two parts.
    assert_eq!(
        feed(&mut dialogue, show_sent + 100 * MS, "show clock\r\n"),
        ""
    );
    let clock_reply = "*10:52:35.447 UTC Fri Mar 1 2024\r\nR1#";
    let configure = feed(&mut dialogue, show_sent + 250 * MS, clock_reply);
    assert_eq!(configure, "configure terminal\n");
    let line_sent = t0 + 300 * MS;
    let entered =
        "configure terminal\r\nEnter configuration commands, one per line.\r\nR1(config)#";
    assert_eq!(
        feed(&mut dialogue, line_sent, entered),
        "logging 10.5.5.5\n"
    );
    let end = feed(
        &mut dialogue,
        line_sent + 40 * MS,
        "logging 10.5.5.5\r\nR1(config)#",
    );
    assert_eq!(end, "end\n");
    assert_eq!(feed(&mut dialogue, t0 + 400 * MS, "end\r\nR1#"), "exit\n");
    assert_eq!(dialogue.status(), Status::Done);

    let events: Vec<DialogueEvent> = std::iter::from_fn(|| dialogue.poll_event()).collect();
    let ended = dialogue.finish();
    assert_eq!(ended.failure, None);
    let results = ended.results;
    assert_eq!(results.logged_in_at, Some(logged_in_at));
    let show_clock = &results.commands[0];
    assert_eq!(show_clock.start_us, 2_020_000);
    assert_eq!(show_clock.duration_us, 250_000);
    assert_eq!(show_clock.output, "*10:52:35.447 UTC Fri Mar 1 2024");
    let line = &results.config.as_ref().unwrap().lines[0];
    assert_eq!(line.duration_us, 40_000);
    // The events carry the same stamped results.
    assert!(events.contains(&DialogueEvent::CommandDone {
        index: 0,
        result: show_clock.clone()
    }));
    assert!(events.contains(&DialogueEvent::ConfigLineDone {
        index: 0,
        result: line.clone()
    }));
}

#[test]
fn the_exit_is_bounded_by_the_deadline_until_it_is_taken() {
    let t0 = start() + Duration::from_secs(1);
    let mut dialogue = ios(plan(&[], None), t0);
    feed(&mut dialogue, t0, "R1#");
    feed(&mut dialogue, t0, "terminal length 0\r\nR1#");
    let done_at = t0 + 7 * MS;
    dialogue.handle_input(done_at, b"terminal width 511\r\nR1#");
    assert_eq!(dialogue.status(), Status::Done);
    assert_eq!(dialogue.poll_timeout(), Some(done_at + TIMEOUT));
    assert_eq!(dialogue.poll_transmit(), Some(b"exit\n".to_vec()));
    assert_eq!(dialogue.poll_timeout(), None);
}

/// A dialogue that ran `show clock` to its end.
fn finished_show_clock(t0: Instant) -> Dialogue {
    let mut dialogue = sent_show_clock(t0);
    let reply = "show clock\r\n*10:52:35.447 UTC Fri Mar 1 2024\r\nR1#";
    assert_eq!(feed(&mut dialogue, t0 + MS, reply), "exit\n");
    // The exit's echo confirms where the output of `show clock` ends.
    assert_eq!(dialogue.status(), Status::Running);
    assert_eq!(feed(&mut dialogue, t0 + MS, "exit\r\n"), "");
    assert_eq!(dialogue.status(), Status::Done);
    dialogue
}

#[test]
fn after_the_end_input_a_close_and_a_timeout_change_nothing() {
    let t0 = start() + Duration::from_secs(1);
    let reference = finished_show_clock(t0).finish();
    let mut dialogue = finished_show_clock(t0);
    let events = std::iter::from_fn(|| dialogue.poll_event()).count();
    assert_eq!(events, 3, "logged in, sent, done");
    assert_eq!(feed(&mut dialogue, t0 + 2 * MS, "R1#\r\nbye"), "");
    dialogue.handle_eof(t0 + 3 * MS);
    dialogue.handle_timeout(t0 + 10 * TIMEOUT);
    assert_eq!(dialogue.status(), Status::Done);
    assert_eq!(dialogue.poll_event(), None);
    assert_eq!(dialogue.finish(), reference);

    let mut failed = ios(plan(&[], None), t0);
    failed.handle_eof(t0 + MS);
    let failure = Some(Failure::new(
        ErrorKind::Closed,
        "connection closed: no prompt after login (nothing received)",
    ));
    feed(&mut failed, t0 + 2 * MS, "R1#");
    failed.handle_timeout(t0 + 10 * TIMEOUT);
    assert_eq!(failed.status(), Status::Failed);
    assert_eq!(failed.finish().failure, failure);
}

#[test]
fn finishing_a_running_dialogue_is_an_explicit_failure() {
    let t0 = start() + Duration::from_secs(1);
    let ended = sent_show_clock(t0).finish();
    assert_eq!(
        ended.failure,
        Some(Failure::new(
            ErrorKind::Protocol,
            "dialogue stopped before its end: no echo of 'show clock' (last received: \"R1#terminal length 0\\r\\nR1#terminal width 511\\r\\nR1#\")"
        ))
    );
    assert_eq!(ended.results.prompt, "R1#");
}

#[test]
fn a_transport_error_fails_the_host_with_it() {
    let t0 = start() + Duration::from_secs(1);
    let mut dialogue = sent_show_clock(t0);
    let lost = Failure::new(ErrorKind::Protocol, "reading from the channel: bad packet");
    dialogue.handle_error(t0 + MS, lost.clone());
    assert_eq!(dialogue.status(), Status::Failed);
    assert_eq!(dialogue.finish().failure, Some(lost));
}
