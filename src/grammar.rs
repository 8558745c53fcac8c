//! How netrun reads its command line before clap does: `netrun [global options] SUBCOMMAND ...`
//! with the options on either side, and command words that cannot be netrun's own.
//!
//! The first word that is not an option (nor an option's value) decides: a subcommand's name
//! (or alias) is that subcommand, moved to the front so clap sees it there; `--` makes the rest
//! command words (`netrun run`); anything else is the command to send, unless it is a small
//! edit away from a subcommand's name (`invetory`, `confg`, `bnech`), which is refused with a
//! hint before anything else happens. The option table comes from clap's own definitions.

use std::ffi::OsString;

use clap::error::ErrorKind;
use clap::{Command, CommandFactory, FromArgMatches};

use crate::cli::{Cli, Sub};

/// Parse `args` (the program name first) the way the binary does.
pub fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let mut command = Cli::command();
    command.build();
    let arranged = arrange(&command, args.into_iter().map(Into::into).collect());
    let matches = command.try_get_matches_from_mut(arranged)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|err| err.with_cmd(&command))?;
    // clap's derive keeps each flag's values, not how they interleave: each `--answer` is given
    // to its command from the matches.
    match &mut cli.subcommand {
        None => {
            if let Some(first) = cli.show.words.first() {
                refuse_near_subcommand(&mut command, first)?;
            }
            cli.show.attach_answers(&matches)?;
        }
        Some(Sub::Run(show)) => {
            if let Some(run) = matches.subcommand_matches("run") {
                show.attach_answers(run)?;
            }
        }
        Some(_) => {}
    }
    Ok(cli)
}

/// `args` with a subcommand named after the global options moved to the front, and `--`
/// before any command word turned into `run --`.
fn arrange(command: &Command, mut args: Vec<OsString>) -> Vec<OsString> {
    let Some(at) = first_word(command, &args) else {
        return args;
    };
    let word = args[at].to_str().map(str::to_owned);
    match word.as_deref() {
        Some("--") => args.insert(1, "run".into()),
        Some(name) if subcommand_names(command).any(|n| n == name) => {
            let name = args.remove(at);
            args.insert(1, name);
        }
        _ => {}
    }
    args
}

/// The position of the first argument after the program name that is neither an option nor an
/// option's value.
fn first_word(command: &Command, args: &[OsString]) -> Option<usize> {
    let mut at = 1;
    while let Some(arg) = args.get(at) {
        let text = arg.to_string_lossy();
        at += 1;
        if text == "--" || text == "-" || !text.starts_with('-') {
            return Some(at - 1);
        }
        if let Some(long) = text.strip_prefix("--") {
            if !long.contains('=') && long_takes_value(command, long) {
                at += 1;
            }
            continue;
        }
        // A cluster of short flags: the first one taking a value takes the rest of the
        // cluster, or the next argument when the cluster ends with it.
        let shorts: Vec<char> = text.chars().skip(1).collect();
        if let Some(k) = shorts.iter().position(|&c| short_takes_value(command, c)) {
            if k + 1 == shorts.len() {
                at += 1;
            }
        }
    }
    None
}

fn long_takes_value(command: &Command, name: &str) -> bool {
    command.get_arguments().any(|arg| {
        arg.get_action().takes_values()
            && arg
                .get_long_and_visible_aliases()
                .is_some_and(|names| names.contains(&name))
    })
}

fn short_takes_value(command: &Command, name: char) -> bool {
    command
        .get_arguments()
        .any(|arg| arg.get_action().takes_values() && arg.get_short() == Some(name))
}

/// Every name a visible subcommand answers to.
fn subcommand_names(command: &Command) -> impl Iterator<Item = &str> {
    command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .flat_map(|sub| std::iter::once(sub.get_name()).chain(sub.get_visible_aliases()))
}

/// Refuse a first command word a typo away from a subcommand's name: on a production network
/// `netrun invetory -l R1` must not reach every device as a command.
fn refuse_near_subcommand(command: &mut Command, word: &str) -> Result<(), clap::Error> {
    let typed = word.to_lowercase();
    let near = subcommand_names(command)
        .find(|name| edit_distance(&typed, name) <= tolerance(name))
        .map(str::to_owned);
    match near {
        None => Ok(()),
        Some(name) => Err(command.error(
            ErrorKind::InvalidSubcommand,
            format!(
                "'{word}' is close to the subcommand '{name}', so nothing was sent to any \
                 device\n\n  tip: for the subcommand: netrun {name} ...\n  tip: to send \
                 '{word}' to the devices as a command: netrun -- {word} ..."
            ),
        )),
    }
}

/// How many edits still count as a typo of `name`: one for short names (`run`, `man`, `merge`),
/// where two would catch real device commands (`rm`; `more flash:x` is two from `merge`), two
/// otherwise.
fn tolerance(name: &str) -> usize {
    match name.chars().count() {
        0..=5 => 1,
        _ => 2,
    }
}

/// The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
/// two neighbours (`bnech` is one swap from `bench`) each count one.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * width + j] = match (i, j) {
                (0, j) => j,
                (i, 0) => i,
                (i, j) => {
                    let cost = usize::from(a[i - 1] != b[j - 1]);
                    let mut best = (d[(i - 1) * width + j] + 1)
                        .min(d[i * width + j - 1] + 1)
                        .min(d[(i - 1) * width + j - 1] + cost);
                    if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                        best = best.min(d[(i - 2) * width + j - 2] + 1);
                    }
                    best
                }
            };
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Sub;

    fn parse_words(args: &[&str]) -> Result<Cli, clap::Error> {
        parse(std::iter::once("netrun").chain(args.iter().copied()))
    }

    #[test]
    fn options_before_a_subcommand_are_its_options() {
        let cli =
            parse_words(&["-i", "lab.yaml", "-s", "fork", "config", "-c", "logging x"]).unwrap();
        match cli.subcommand {
            Some(Sub::Config(args)) => {
                assert_eq!(args.exec.strategy.name(), "fork");
                assert_eq!(args.lines, ["logging x"]);
                assert_eq!(args.target.inventory, Some("lab.yaml".into()));
            }
            other => panic!("expected config, got {other:?}"),
        }
        let cli = parse_words(&["--timeout=3", "-lR1", "bench", "--runs", "1"]).unwrap();
        assert!(matches!(cli.subcommand, Some(Sub::Bench(ref b)) if b.target.limit == ["R1"]));
        let cli = parse_words(&["-l", "R1", "inventory"]).unwrap();
        match cli.subcommand {
            Some(Sub::Inventory(args)) => assert_eq!(args.target.limit, ["R1"]),
            other => panic!("expected inventory, got {other:?}"),
        }
    }

    #[test]
    fn more_is_a_device_command_and_merge_a_subcommand() {
        let cli = parse_words(&["more", "system:running-config"]).unwrap();
        assert!(cli.subcommand.is_none());
        assert_eq!(cli.show.command_list(), ["more system:running-config"]);
        assert!(matches!(
            parse_words(&["merge", "a.jsonl"]).unwrap().subcommand,
            Some(Sub::Merge(_))
        ));
        let err = parse_words(&["mrege", "a.jsonl"]).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidSubcommand);
    }

    #[test]
    fn a_value_that_names_a_subcommand_stays_a_value() {
        let cli = parse_words(&["-l", "config", "show", "clock"]).unwrap();
        assert!(cli.subcommand.is_none());
        assert_eq!(cli.show.target.limit, ["config"]);
        assert_eq!(cli.show.command_list(), ["show clock"]);
    }

    #[test]
    fn command_words_are_unchanged() {
        for args in [
            &["show", "version"][..],
            &["--strategy", "threads", "show", "version"],
        ] {
            let cli = parse_words(args).unwrap();
            assert!(cli.subcommand.is_none());
            assert_eq!(cli.show.command_list(), ["show version"]);
        }
    }

    #[test]
    fn typos_of_subcommands_are_refused() {
        for args in [
            &["invetory", "-l", "R1"][..],
            &["confg", "-c", "x"],
            &["bnech"],
            &["-s", "fork", "Inventroy"],
            &["completion", "bash"],
        ] {
            let err = parse_words(args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} was sent"));
            assert_eq!(err.kind(), ErrorKind::InvalidSubcommand, "{args:?}");
            assert_eq!(err.exit_code(), 2);
        }
    }

    #[test]
    fn dashes_and_run_send_anything() {
        for args in [
            &["--", "invetory", "-l", "R1"][..],
            &["run", "invetory", "-l", "R1"],
        ] {
            let cli = parse_words(args).unwrap();
            match cli.subcommand {
                Some(Sub::Run(show)) => assert_eq!(show.command_list(), ["invetory -l R1"]),
                other => panic!("expected run for {args:?}, got {other:?}"),
            }
        }
        let cli = parse_words(&["-s", "fork", "--", "config"]).unwrap();
        match cli.subcommand {
            Some(Sub::Run(show)) => {
                assert_eq!(show.exec.strategy.name(), "fork");
                assert_eq!(show.command_list(), ["config"]);
            }
            other => panic!("expected run, got {other:?}"),
        }
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("bnech", "bench"), 1);
        assert_eq!(edit_distance("invetory", "inventory"), 1);
        assert_eq!(edit_distance("rm", "run"), 2);
        assert_eq!(edit_distance("", "man"), 3);
        assert_eq!(edit_distance("configure", "config"), 3);
    }
}
