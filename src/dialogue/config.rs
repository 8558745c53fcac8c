//! A config push: its steps, planned up front, and what its replies do to the results.
//!
//! The push is: (read the configuration), reach the config level, one step per line, (commit,
//! where config mode holds a candidate), reach the command level again, (save), (read the
//! configuration). A rejected line drops the remaining line, commit and save steps unless the
//! plan says to go on; a failed commit drops the save. On a candidate platform either then
//! throws the candidate away (`rollback 0`, `abort`) so no device is left with uncommitted
//! changes. Leaving config mode is never dropped.

use std::collections::VecDeque;

use super::context::Context;
use super::plan::{Level, Purpose, Snapshot, Step};
use super::platform::{Profile, Save};
use super::text::{drop_volatile_lines, is_failed};
use super::{ConfigLineResult, ConfigPlan, ConfigResult, DialogueEvent, SaveResult};

/// The steps of a config push, between the commands and the exit.
pub(super) fn steps(profile: &Profile, config: &ConfigPlan) -> Vec<Step> {
    let read = |snapshot| {
        profile.show_config.map(|text| Step::Command {
            text: text.to_string(),
            purpose: Purpose::ReadConfig(snapshot),
        })
    };
    let mut steps = Vec::with_capacity(config.lines.len() + 6);
    steps.extend(config.diff.then(|| read(Snapshot::Before)).flatten());
    steps.push(Step::ReachLevel(Level::Config));
    steps.extend(
        config
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| Step::Command {
                text: line.trim_end().to_string(),
                purpose: Purpose::ConfigLine(i),
            }),
    );
    steps.extend(profile.config.commit.as_ref().map(|_| Step::Commit));
    steps.push(Step::ReachLevel(Level::Command));
    steps.extend(config.save.then_some(Step::Save));
    steps.extend(config.diff.then(|| read(Snapshot::After)).flatten());
    steps
}

/// Config line `index` was answered; the first rejected line ends the push unless the plan
/// goes on after errors.
pub(super) fn record_line(
    cx: &mut Context,
    steps: &mut VecDeque<Step>,
    index: usize,
    result: ConfigLineResult,
) {
    cx.event(DialogueEvent::ConfigLineDone {
        index,
        result: result.clone(),
    });
    let rejected = !result.ok;
    let go_on = cx.plan.config.as_ref().is_some_and(|c| c.continue_on_error);
    let config = results(cx);
    config.lines.push(result);
    if !rejected || config.failed_line.is_some() {
        return;
    }
    config.failed_line = Some(index);
    if !go_on {
        let skipped = stop_pushing(cx, steps);
        results(cx).skipped = skipped;
        discard_candidate(cx, steps);
    }
}

/// The commit was answered: it worked when no line of `reply` says it failed and the success
/// text (if the platform prints one) is there; a failed one drops the save and discards.
pub(super) fn record_commit(
    cx: &mut Context,
    steps: &mut VecDeque<Step>,
    command: String,
    reply: String,
) {
    let Some(commit) = &cx.profile.config.commit else {
        return;
    };
    let failed = is_failed(&reply, commit.failed_when_contains) || cx.profile.rejects(&reply);
    let ok = !failed && commit.success.is_none_or(|text| reply.contains(text));
    results(cx).commit = Some(SaveResult { command, reply, ok });
    if !ok {
        steps.retain(|step| *step != Step::Save);
        discard_candidate(cx, steps);
    }
}

/// What discarding the candidate answered.
pub(super) fn record_discard(cx: &mut Context, result: SaveResult) {
    results(cx).discard = Some(result);
}

/// On a candidate platform, throw the candidate away next (still in config mode).
fn discard_candidate(cx: &Context, steps: &mut VecDeque<Step>) {
    if let Some(commit) = &cx.profile.config.commit {
        steps.push_front(Step::Command {
            text: commit.discard.to_string(),
            purpose: Purpose::Discard,
        });
    }
}

/// The session broke while `in_flight` (a config line's index and text, if one was awaiting its
/// reply): it is recorded as in flight and the failed line, and the lines never sent as skipped.
pub(super) fn cut_off(
    cx: &mut Context,
    steps: &mut VecDeque<Step>,
    in_flight: Option<(usize, String)>,
) {
    if cx.results.config.is_none() {
        return;
    }
    let never_sent = stop_pushing(cx, steps);
    let config = results(cx);
    if let Some((index, line)) = in_flight {
        config.failed_line.get_or_insert(index);
        config.in_flight.push(line);
    }
    config.skipped.extend(never_sent);
}

/// After a rejected line: drop the lines not yet sent (returned, secrets masked), the commit and
/// the save; leaving config mode and the after-read stay.
fn stop_pushing(cx: &Context, steps: &mut VecDeque<Step>) -> Vec<String> {
    let mut skipped = Vec::new();
    steps.retain(|step| match step {
        Step::Command {
            text,
            purpose: Purpose::ConfigLine(_),
        } => {
            skipped.push(cx.masked(text));
            false
        }
        Step::Save | Step::Commit => false,
        _ => true,
    });
    skipped
}

/// The running-config as read before or after the push, without its volatile lines.
pub(super) fn record_snapshot(cx: &mut Context, snapshot: Snapshot, output: &str) {
    let text = drop_volatile_lines(output, cx.profile.volatile_config_lines.as_ref());
    let config = results(cx);
    match snapshot {
        Snapshot::Before => config.before = Some(text),
        Snapshot::After => config.after = Some(text),
    }
}

/// The save as the device answered it (or the profile's lack of a save command).
pub(super) fn record_save(cx: &mut Context, result: SaveResult) {
    cx.event(DialogueEvent::Saved {
        result: result.clone(),
    });
    results(cx).save = Some(result);
}

/// The save step on a platform that keeps its configuration without a save command: recorded
/// as what it is, nothing sent (the step is only reached after a commit that worked).
pub(super) fn save_without_command(cx: &mut Context) {
    let name = cx.profile.name;
    let (command, reply) = match (&cx.profile.save, &cx.profile.config.commit) {
        (Save::ByCommit, Some(commit)) => (
            commit.command.to_string(),
            format!("nothing more to save: {name} saves by committing, and the commit worked"),
        ),
        _ => (
            String::new(),
            format!("nothing to save: {name} keeps no configuration to save"),
        ),
    };
    record_save(
        cx,
        SaveResult {
            command,
            reply,
            ok: true,
        },
    );
}

/// The push's results (present whenever the plan has a push).
fn results(cx: &mut Context) -> &mut ConfigResult {
    cx.results.config.get_or_insert_with(Box::default)
}
