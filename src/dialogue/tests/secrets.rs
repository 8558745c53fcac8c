//! Secrets never quoted back: a device echoing what is typed at `Password:` (Telnet login,
//! enable), or quoting a secret in its output, gets `***` in every output, failure message and
//! last-received quote, however the bytes are split.

use super::*;

const PASSWORD: &str = "Tel-Pa55-QQQ";
const ENABLE: &str = "En-Secr3t-77";
const COMMUNITY: &str = "c0mmun1ty-Z";

fn echoing_plan() -> Plan {
    Plan {
        login: Some(("admin".to_string(), Secret::new(PASSWORD))),
        secrets: vec![Secret::new(COMMUNITY)],
        ..plan(&["show running-config | include snmp"], Some(ENABLE))
    }
}

/// A device that echoes both passwords, quotes a secret in its output, then goes quiet.
fn echoing_device() -> Script {
    Script::new("Username: ")
        .then("admin\n", "admin\r\nPassword: ")
        .then(&format!("{PASSWORD}\n"), format!("{PASSWORD}\r\nR1>"))
        .then("enable\n", "enable\r\nPassword: ")
        .then(&format!("{ENABLE}\n"), format!("{ENABLE}\r\nR1#"))
        .then("terminal length 0\n", "terminal length 0\r\nR1#")
        .then("terminal width 511\n", "terminal width 511\r\nR1#")
        .then(
            "show running-config | include snmp\n",
            format!(
                "show running-config | include snmp\r\nsnmp-server community {COMMUNITY} RO\r\n\
                 enable secret {ENABLE}\r\nR1#"
            ),
        )
        .then("exit\n", format!("exit\r\nPassword: {PASSWORD}"))
}

fn assert_no_secret(text: &str, context: &str) {
    for secret in [PASSWORD, ENABLE, COMMUNITY] {
        assert!(!text.contains(secret), "{context}: {text}");
    }
}

#[test]
fn echoed_and_quoted_secrets_are_masked_in_outputs_and_events() {
    let script = echoing_device();
    for split in 1..script.greeting.len() + 200 {
        let mut first = true;
        let chunks = move |len: usize| {
            let n = if first { split.min(len) } else { len.min(7) };
            first = false;
            n
        };
        let run = pump("cisco_ios", echoing_plan(), &script, chunks);
        let output = &results(&run).commands[0].output;
        assert_eq!(
            output, "snmp-server community *** RO\nenable secret ***",
            "split {split}"
        );
        assert_no_secret(&format!("{:?}", run.events), "events");
    }
}

#[test]
fn a_secret_split_across_two_reads_is_masked_in_the_failure() {
    let script = Script::new("Username: ")
        .then("admin\n", "admin\r\nPassword: ")
        .then(&format!("{PASSWORD}\n"), format!("{PASSWORD}\r\n"));
    // Every split of the echoed password: the device then goes quiet.
    for piece in 1..8 {
        let run = pump("cisco_ios", echoing_plan(), &script, |len| len.min(piece));
        let End::Stalled(failure) = &run.end else {
            panic!("expected a timeout, got {:?}", run.end);
        };
        assert_eq!(failure.kind, ErrorKind::Timeout);
        assert_no_secret(&failure.message, "failure");
        assert!(
            failure.message.ends_with("Password: ***\\r\\n\")"),
            "{failure}"
        );
    }
    // The enable secret echoed, then a close.
    let enable = Script::new("R1>")
        .then("enable\n", "enable\r\nPassword: ")
        .then(
            &format!("{ENABLE}\n"),
            format!("{ENABLE}\r\n% Access denied\r\n"),
        )
        .closing();
    let run = pump("cisco_ios", plan(&[], Some(ENABLE)), &enable, |_| 3);
    let End::Failed(failure) = &run.end else {
        panic!("expected a failure, got {:?}", run.end);
    };
    assert_no_secret(&failure.message, "enable failure");
    assert!(failure.message.contains("***"), "{failure}");
}
