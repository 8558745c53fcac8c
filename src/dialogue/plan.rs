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
    ReachLevel(Level),
    /// Send a command and read its reply up to the next prompt.
    Command { text: String, purpose: Purpose },
    /// Commit the candidate configuration (platforms whose config mode commits).
    Commit,
    /// Run the profile's save command (or record how the platform keeps its configuration).
    Save,
    /// Send the exit command and finish without waiting.
    Exit,
}

/// The privilege level a `ReachLevel` step heads for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// The end of the login: the profile's default level, or one it lets a login stay at
    /// (Linux's root shell is kept, never left with `exit`). Reaching it is announced
    /// (`DialogueEvent::LoggedIn`) and makes it the command level.
    Login,
    /// The command level, where the login ended (after a config push).
    Command,
    /// The profile's config mode.
    Config,
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
    /// The commit: its questions are answered and its reply checked; a failure discards.
    Commit,
    /// Throwing the uncommitted candidate away (`rollback 0`, `abort`).
    Discard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Snapshot {
    Before,
    After,
}

/// Every step of `plan` on a device with `profile`, in order; `Exit` is always last.
pub(super) fn steps(profile: &Profile, plan: &Plan) -> VecDeque<Step> {
    let mut steps = VecDeque::from([Step::Login, Step::ReachLevel(Level::Login)]);
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
