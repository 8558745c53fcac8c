//! The conversation planned up front: log in, reach the command level, turn paging off, run each
//! command, push the config (see `config`), exit. Each step sends at most one line and then waits
//! for one thing at the END of what was received, so a prompt at the tail always answers the last
//! thing sent.

use std::collections::VecDeque;

use super::platform::Profile;
use super::Plan;

/// One step of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// Wait for the first prompt, answering Telnet login prompts on the way.
    Login,
    /// Escalate or de-escalate until the prompt is at this privilege level.
    ReachLevel {
        level: &'static str,
        /// Reaching it ends the login (`DialogueEvent::LoggedIn`).
        announce_login: bool,
    },
    /// Send a command and read its reply up to the next prompt.
    Command { text: String, purpose: Purpose },
    /// Run the profile's save command (or record that it has none).
    Save,
    /// Send the exit command and finish without waiting.
    Exit,
}

/// Why a command is sent, which decides what becomes of its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// Set-up (paging off): the reply is read and dropped.
    Setup,
    /// Command number `n` of the plan: its result is reported.
    Show(usize),
    /// Config line number `n` of the plan: accepted or rejected.
    ConfigLine(usize),
    /// The running-config read for a diff.
    ReadConfig(Snapshot),
    /// The save command: its questions are answered and its reply checked.
    Save,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Snapshot {
    Before,
    After,
}

/// Every step of `plan` on a device with `profile`, in order; `Exit` is always last.
pub(super) fn steps(profile: &Profile, plan: &Plan) -> VecDeque<Step> {
    let mut steps = VecDeque::from([
        Step::Login,
        Step::ReachLevel {
            level: profile.default_level,
            announce_login: true,
        },
    ]);
    steps.extend(profile.paging_off.iter().map(|c| Step::Command {
        text: c.to_string(),
        purpose: Purpose::Setup,
    }));
    steps.extend(
        plan.commands
            .iter()
            .enumerate()
            .map(|(i, c)| Step::Command {
                text: c.trim_end().to_string(),
                purpose: Purpose::Show(i),
            }),
    );
    if let Some(config) = &plan.config {
        steps.extend(super::config::steps(profile, config));
    }
    steps.push_back(Step::Exit);
    steps
}
