//! A show command that stops at a question: failed at once with kind `question` (never waited
//! out), unless the user's answers, used in order, match it.

use super::*;
use crate::job::{QuestionPattern, UserAnswer};

const COPY: &str = "copy running-config startup-config";

fn answer(prompt: &str, reply: &str) -> UserAnswer {
    UserAnswer {
        prompt: QuestionPattern::new(prompt).unwrap(),
        reply: reply.to_string(),
    }
}

fn asks_destination() -> Script {
    privileged().then(
        "copy running-config startup-config\n",
        "copy running-config startup-config\r\nDestination filename [startup-config]? ",
    )
}

#[test]
fn an_unanswered_question_fails_at_once_quoting_it() {
    for chunking in [whole as fn(usize) -> usize, |_| 1] {
        let run = pump(
            "cisco_ios",
            plan(&[COPY], None),
            &asks_destination(),
            chunking,
        );
        let End::Failed(failure) = &run.end else {
            panic!("not failed at once: {:?}", run.end);
        };
        assert_eq!(failure.kind, ErrorKind::Question, "{failure}");
        assert!(
            failure
                .message
                .contains("\"Destination filename [startup-config]?\""),
            "{failure}"
        );
    }
}

#[test]
fn answers_are_used_in_order_and_a_question_past_them_fails() {
    let script = asks_destination()
        .then("\n", "\r\nBuilding configuration...\r\n[OK]\r\nR1#")
        .then("exit\n", "");
    let answered = Plan {
        answers: vec![vec![answer("Destination filename", "")]],
        ..plan(&[COPY], None)
    };
    for chunking in [whole as fn(usize) -> usize, |_| 1] {
        let run = pump("cisco_ios", answered.clone(), &script, chunking);
        assert!(results(&run).commands[0].output.contains("[OK]"));
    }
    // `reload` asks twice; one answer leaves `[confirm]` unanswered.
    let reload = privileged()
        .then(
            "reload\n",
            "reload\r\nSystem configuration has been modified. Save? [yes/no]: ",
        )
        .then("no\n", "no\r\nProceed with reload? [confirm]");
    let one_answer = Plan {
        answers: vec![vec![answer(r"Save\?", "no")]],
        ..plan(&["reload"], None)
    };
    let run = pump("cisco_ios", one_answer, &reload, whole);
    let End::Failed(failure) = &run.end else {
        panic!("not failed at once: {:?}", run.end);
    };
    assert_eq!(failure.kind, ErrorKind::Question);
    assert!(
        failure.message.contains("Proceed with reload? [confirm]"),
        "{failure}"
    );
}
