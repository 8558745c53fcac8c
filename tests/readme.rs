//! The README's examples run as written: every `netrun ... --lab ...` line of its code blocks
//! (self-contained: netrun starts and stops the lab), and the "Your own devices" walk-through —
//! its inventory and template files written as shown (the inventory's ports moved to this
//! test's free ones), its commands run against a real testbed with the environment it exports.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{netrun_in, stderr, stdout, TestLab};

const README: &str = include_str!("../README.md");

/// A fenced code block and the `<!-- readme-test: ... -->` marker just before it, if any.
struct Block {
    marker: Option<String>,
    lines: Vec<String>,
}

fn blocks() -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut marker = None;
    let mut open: Option<Vec<String>> = None;
    for line in README.lines() {
        match open.as_mut() {
            Some(lines) if line.trim_start().starts_with("```") => {
                blocks.push(Block {
                    marker: marker.take(),
                    lines: std::mem::take(lines),
                });
                open = None;
            }
            Some(lines) => lines.push(line.to_string()),
            None if line.trim_start().starts_with("```") => open = Some(Vec::new()),
            None => {
                if let Some(m) = line
                    .trim()
                    .strip_prefix("<!-- readme-test:")
                    .and_then(|m| m.strip_suffix("-->"))
                {
                    marker = Some(m.trim().to_string());
                } else if !line.trim().is_empty() {
                    marker = None;
                }
            }
        }
    }
    blocks
}

/// A command line split as sh splits it (quotes, backslashes), and its `# comment`.
fn shell_words(line: &str) -> (Vec<String>, String) {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            '#' if word.is_none() => return (words, chars.collect()),
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    (words, String::new())
}

/// Run one README command line (`netrun ...`) in `dir`; a line whose comment says it fails
/// must exit 1, every other one 0.
fn run_line(dir: &Path, line: &str, env: &[(String, String)]) {
    let (words, comment) = shell_words(line);
    assert_eq!(words[0], "netrun", "{line}");
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = netrun_in(Some(dir), &args, &env, Duration::from_secs(300));
    let expected = if comment.contains("fails") { 1 } else { 0 };
    assert_eq!(
        out.status.code(),
        Some(expected),
        "README: `{line}`\nstdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
}

/// The environment of the `--parse textfsm` examples: ntc-templates from python3, as on a user's
/// machine, here the venv `.ci/run` makes (`NETRUN_TEST_VENV`) first on PATH. Without it they
/// are skipped, saying so, except under `CI=true`, where that is a failure.
fn parse_env() -> Option<Vec<(String, String)>> {
    let venv = std::env::var("NETRUN_TEST_VENV")
        .ok()
        .filter(|v| !v.is_empty());
    let Some(venv) = venv else {
        let why = "NETRUN_TEST_VENV is not set: the README's --parse examples need ntc-templates";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("SKIPPED: {why}");
        return None;
    };
    let path = std::env::var("PATH").unwrap_or_default();
    Some(vec![("PATH".to_string(), format!("{venv}/bin:{path}"))])
}

#[test]
fn every_lab_example_runs_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for block in blocks() {
        for line in &block.lines {
            let line = line.trim().trim_start_matches("$ ");
            if !(line.starts_with("netrun ") && line.contains(" --lab ")) {
                continue;
            }
            if line.contains("textfsm") {
                match parse_env() {
                    Some(env) => run_line(dir.path(), line, &env),
                    None => continue,
                }
            } else {
                run_line(dir.path(), line, &[]);
            }
            ran += 1;
        }
    }
    assert!(ran >= 5, "only {ran} lab examples found in the README");
}

#[test]
fn the_own_devices_walk_through_runs_against_the_testbed() {
    let lab = TestLab::start(2, &[]);
    let lab_inventory = std::fs::read_to_string(lab.inventory()).unwrap();
    let ports: Vec<&str> = lab_inventory
        .lines()
        .filter_map(|l| l.trim().strip_prefix("port: "))
        .collect();
    assert_eq!(ports.len(), 2, "{lab_inventory}");
    let dir = tempfile::tempdir().unwrap();
    let blocks = blocks();
    // Every file first: the page shows the template after the commands that use it.
    for block in &blocks {
        if let Some(name) = block
            .marker
            .as_deref()
            .and_then(|m| m.strip_prefix("file "))
        {
            let text = block.lines.join("\n") + "\n";
            let text = text
                .replace("port: 10022", &format!("port: {}", ports[0]))
                .replace("port: 10023", &format!("port: {}", ports[1]));
            std::fs::write(dir.path().join(name), text).unwrap();
        }
    }
    let mut env = Vec::new();
    let mut ran = 0;
    for block in &blocks {
        if block.marker.as_deref() != Some("run against the testbed") {
            continue;
        }
        for line in &block.lines {
            if let Some(exports) = line.strip_prefix("export ") {
                for pair in shell_words(exports).0 {
                    let (k, v) = pair.split_once('=').unwrap();
                    env.push((k.to_string(), v.to_string()));
                }
            } else if line.starts_with("netrun ") {
                run_line(dir.path(), line, &env);
                ran += 1;
            }
        }
    }
    assert!(
        ran >= 5,
        "only {ran} walk-through commands found in the README"
    );
}

#[test]
fn shell_words_split_like_sh() {
    assert_eq!(
        shell_words(r#"netrun -l '!R1' -c "a b" x\ y  # fails here"#),
        (
            vec!["netrun", "-l", "!R1", "-c", "a b", "x y"]
                .into_iter()
                .map(String::from)
                .collect(),
            " fails here".to_string()
        )
    );
}
