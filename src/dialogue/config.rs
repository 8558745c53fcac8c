//! A config push: its steps, planned up front, and what its replies do to the results.
//!
//! The push is: (read the running-config), reach the config level, one step per line, (save,
//! where the platform saves inside config mode), reach the command level again, (save), (read the
//! running-config). A rejected line drops the remaining line and save steps unless the plan says
//! to go on; leaving config mode is never dropped.

use std::collections::VecDeque;

use super::context::Context;
use super::plan::{Purpose, Snapshot, Step};
use super::platform::Profile;
use super::text::drop_volatile_lines;
use super::{ConfigLineResult, ConfigPlan, ConfigResult, DialogueEvent, SaveResult};

/// The steps of a config push, between the commands and the exit.
pub(super) fn steps(profile: &Profile, config: &ConfigPlan) -> Vec<Step> {
    let read = |snapshot| {
        profile.show_config.map(|text| Step::Command {
            text: text.to_string(),
            purpose: Purpose::ReadConfig(snapshot),
        })
    };
    let save_in_config_mode = profile
        .save
        .as_ref()
        .is_some_and(|s| s.level == profile.config.level);
    let save = |in_config_mode: bool| (config.save && in_config_mode).then_some(Step::Save);
    let mut steps = Vec::with_capacity(config.lines.len() + 6);
    steps.extend(config.diff.then(|| read(Snapshot::Before)).flatten());
    steps.push(Step::ReachLevel {
        level: profile.config.level,
        announce_login: false,
    });
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
    steps.extend(save(save_in_config_mode));
    steps.push(Step::ReachLevel {
        level: profile.default_level,
        announce_login: false,
    });
    steps.extend(save(!save_in_config_mode));
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

/// After a rejected line: drop the lines not yet sent (returned, secrets masked) and the save;
/// leaving config mode and the after-read stay.
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
        Step::Save => false,
        _ => true,
    });
    skipped
}

/// The running-config as read before or after the push, without its volatile lines.
pub(super) fn record_snapshot(cx: &mut Context, snapshot: Snapshot, output: &str) {
    let text = drop_volatile_lines(output, cx.profile.volatile_config_lines);
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

/// The save step on a platform that has no save command: recorded as a failed save.
pub(super) fn no_save_command(cx: &mut Context) {
    let result = SaveResult {
        command: String::new(),
        reply: format!("the {} profile has no save command", cx.profile.name),
        ok: false,
    };
    record_save(cx, result);
}

/// The push's results (present whenever the plan has a push).
fn results(cx: &mut Context) -> &mut ConfigResult {
    cx.results.config.get_or_insert_with(Box::default)
}
