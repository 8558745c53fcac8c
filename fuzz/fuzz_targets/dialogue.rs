//! Fuzz the sans-IO `Dialogue` with arbitrary device bytes: a real platform profile and a real
//! plan (login, enable, commands, a config push), arbitrary chunks, closes and wake-ups at
//! arbitrary `now`s, pumped the way `session.rs` pumps it, then `finish()`.
//!
//! Input: `[profile][plan flags]` then records `[op][len][len bytes]`. `op & 3`: 0 and 1 feed the
//! bytes, 2 wakes the dialogue at `now` (early or late), 3 closes (even `len`) or wakes it at its
//! own deadline (odd `len`). Before each record the clock moves on by `(op >> 2) * 50` ms.
//!
//! Checked, besides no panic and no hang (libFuzzer's `-timeout`): one call queues at most a few
//! sends; a wake at the deadline ends the dialogue; outputs are bounded by the bytes received;
//! stamps lie within the `now`s given; a dialogue that finished without failure has every result
//! of its plan.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use netrun::fuzzing::{profile, profile_names, Clock, ConfigPlan, Dialogue, Plan, Secret};

/// Sends one call may queue: a pager's space, or a step's line and the next step's.
const SENDS_PER_CALL: usize = 4;
/// Lossy UTF-8: one invalid byte becomes U+FFFD, three bytes.
const TEXT_PER_BYTE: usize = 3;

fuzz_target!(|input: &[u8]| {
    let [profile_byte, flags, records @ ..] = input else {
        return;
    };
    let names = profile_names();
    let profile = profile(names[usize::from(*profile_byte) % names.len()]).expect("a profile");
    let plan = plan(*flags);
    let planned_commands = plan.commands.len();
    let planned_config = plan.config.is_some();

    let epoch = Instant::now();
    let start = epoch + Duration::from_secs(1);
    let timeout = Duration::from_millis(if flags & 0x40 != 0 { 1_000 } else { 10_000 });
    let mut dialogue = Dialogue::new(
        profile,
        plan,
        Clock {
            epoch,
            now: start,
            timeout,
            command_timeout: (flags & (1 << 7) != 0).then_some(timeout * 2),
        },
    );
    let mut now = start;
    let mut received = 0;
    drain(&mut dialogue);

    let mut rest = records;
    while let [op, len, tail @ ..] = rest {
        let Some(deadline) = dialogue.poll_timeout() else {
            break;
        };
        let (bytes, tail) = tail.split_at(usize::from(*len).min(tail.len()));
        rest = tail;
        now += Duration::from_millis(u64::from(op >> 2) * 50);
        match op & 3 {
            0 | 1 => {
                received += bytes.len();
                dialogue.handle_input(now, bytes);
            }
            2 => dialogue.handle_timeout(now),
            _ if len % 2 == 0 => dialogue.handle_eof(now),
            _ => {
                now = now.max(deadline);
                dialogue.handle_timeout(now);
                drain(&mut dialogue);
                assert_eq!(
                    dialogue.poll_timeout(),
                    None,
                    "a wake at the deadline ends it"
                );
            }
        }
        drain(&mut dialogue);
    }

    let ended = dialogue.finish();
    let results = &ended.results;
    assert!(results.commands.len() <= planned_commands);
    if ended.failure.is_none() {
        assert_eq!(
            results.commands.len(),
            planned_commands,
            "done but a command is missing"
        );
        assert_eq!(results.config.is_some(), planned_config);
    }
    let output: usize = results.commands.iter().map(|c| c.output.len()).sum();
    assert!(output <= TEXT_PER_BYTE * received);
    let first_us = micros(start - epoch);
    let last_us = micros(now - epoch);
    for command in &results.commands {
        assert!(command.start_us >= first_us);
        assert!(command.start_us + command.duration_us <= last_us);
    }
});

/// Take what the dialogue queued, as a driver does after every call.
fn drain(dialogue: &mut Dialogue) {
    while dialogue.poll_event().is_some() {}
    let sends = std::iter::from_fn(|| dialogue.poll_transmit()).count();
    assert!(sends <= SENDS_PER_CALL, "{sends} sends queued by one call");
}

/// The plan `flags` choose: bit 0 a Telnet login, bit 1 an enable secret, bit 2 a config push,
/// bits 3 to 5 its continue-on-error, save and diff; bit 6 (also the short idle timeout) a
/// 4 KiB output limit. Bit 7 adds a command timeout of twice the idle one (see the clock).
fn plan(flags: u8) -> Plan {
    let bit = |n: u8| flags & (1 << n) != 0;
    Plan {
        login: bit(0).then(|| ("admin".to_string(), Secret::new("s3cret"))),
        enable_secret: bit(1).then(|| Secret::new("en4ble")),
        commands: vec!["show version".to_string(), "show clock".to_string()],
        config: bit(2).then(|| ConfigPlan {
            lines: vec!["interface Loopback0".to_string(), "hostname R9".to_string()],
            continue_on_error: bit(3),
            save: bit(4),
            diff: bit(5),
        }),
        secrets: vec![Secret::new("s3cret"), Secret::new("en4ble")],
        // Small enough that long inputs reach the output limit too.
        max_output: if bit(6) { 4096 } else { 1 << 20 },
        answers: Vec::new(),
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
