//! Junos: `user@host> ` operational mode, `configure` → `[edit]` + `user@host# `, `set` and
//! `delete` on a candidate, `commit` (`commit complete`), `commit check`, `rollback 0`, the
//! mandatory-statement check a commit runs, `show configuration` as a hierarchy or
//! `| display set`, and the `set cli` commands Netmiko and scrapli send.

use std::sync::OnceLock;

use super::super::grammar::{Grammar, ParseError, Parsed};
use super::super::ident::Ident;
use super::super::show::Filter;
use super::super::Device;
use super::model::VConfig;
use super::show::junos_timestamp;
use super::{Action, Pending, Shell, VendorState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum J {
    Configure,
    Exit,
    ScreenLength,
    ScreenWidth,
    CompleteOnSpace,
    ShowVersion,
    ShowInterfacesTerse,
    ShowUptime,
    ShowConfiguration,
    NotSimulated,
    Set,
    Delete,
    Commit,
    CommitCheck,
    CommitAndQuit,
    Rollback,
    ShowCandidate,
    Run,
    Top,
}

const OPERATIONAL: &[(&str, J)] = &[
    ("configure", J::Configure),
    ("configure private", J::Configure),
    ("configure exclusive", J::Configure),
    ("exit", J::Exit),
    ("quit", J::Exit),
    ("set cli screen-length <0-100000>", J::ScreenLength),
    ("set cli screen-width <0-1024>", J::ScreenWidth),
    ("set cli complete-on-space off", J::CompleteOnSpace),
    ("set cli complete-on-space on", J::CompleteOnSpace),
    ("show version", J::ShowVersion),
    ("show interfaces terse", J::ShowInterfacesTerse),
    ("show system uptime", J::ShowUptime),
    ("show configuration", J::ShowConfiguration),
    ("show route", J::NotSimulated),
    ("show chassis", J::NotSimulated),
    ("ping", J::NotSimulated),
    ("request", J::NotSimulated),
    ("file", J::NotSimulated),
];

/// The statements `set` accepts (the hierarchy paths the testbed models).
const STATEMENTS: &[&str] = &[
    "system host-name WORD",
    "system ntp server A.B.C.D",
    "system syslog host A.B.C.D any any",
    "system login user WORD class WORD",
    "system login user WORD authentication encrypted-password WORD",
    "system services WORD",
    "system services netconf ssh",
    "interfaces WORD description LINE",
    "interfaces WORD disable",
    "interfaces WORD unit <0-16385> description LINE",
    "interfaces WORD unit <0-16385> family inet address A.B.C.D/M",
    "protocols ospf area WORD interface WORD",
    "protocols ospf area WORD interface WORD passive",
    "routing-options static route A.B.C.D/M next-hop A.B.C.D",
    "snmp community WORD authorization read-only",
    "vlans WORD vlan-id <1-4094>",
];

const CONFIGURATION: &[(&str, J)] = &[
    ("delete LINE", J::Delete),
    ("delete", J::Delete),
    ("commit", J::Commit),
    ("commit check", J::CommitCheck),
    ("commit and-quit", J::CommitAndQuit),
    ("commit comment LINE", J::Commit),
    ("rollback", J::Rollback),
    ("rollback <0-49>", J::Rollback),
    ("show", J::ShowCandidate),
    ("run LINE", J::Run),
    ("exit", J::Exit),
    ("exit configuration-mode", J::Exit),
    ("quit", J::Exit),
    ("top", J::Top),
    ("edit", J::NotSimulated),
    ("load", J::NotSimulated),
    ("status", J::NotSimulated),
];

fn operational() -> &'static Grammar<J> {
    static G: OnceLock<Grammar<J>> = OnceLock::new();
    G.get_or_init(|| Grammar::new(OPERATIONAL))
}

fn configuration() -> &'static Grammar<J> {
    static G: OnceLock<Grammar<J>> = OnceLock::new();
    static PATTERNS: OnceLock<Vec<String>> = OnceLock::new();
    G.get_or_init(|| {
        let sets = PATTERNS.get_or_init(|| STATEMENTS.iter().map(|s| format!("set {s}")).collect());
        let mut p: Vec<(&'static str, J)> = sets.iter().map(|s| (s.as_str(), J::Set)).collect();
        p.extend_from_slice(CONFIGURATION);
        Grammar::new(&p)
    })
}

pub fn prompt(shell: &Shell, hostname: &str) -> String {
    let user = &shell.user;
    match shell.config {
        Some(_) => format!("{user}@{hostname}# "),
        None => format!("{user}@{hostname}> "),
    }
}

pub fn run(shell: &mut Shell, device: &Device, line: &str, prompt_len: usize) -> Action {
    let (command, pipes) = match line.find('|') {
        Some(at) => (&line[..at], Some(&line[at + 1..])),
        None => (line, None),
    };
    let configuring = shell.config.is_some();
    let grammar = if configuring {
        configuration()
    } else {
        operational()
    };
    let parsed = match grammar.parse(command) {
        Ok(p) if p.command == J::NotSimulated => Err(ParseError::Invalid(p.offsets[0])),
        other => other,
    };
    let action = match parsed {
        Ok(p) => execute(shell, device, &p, prompt_len),
        Err(e) => Action::Error(syntax_error(e, line, prompt_len, configuring)),
    };
    let action = match (action, pipes) {
        (Action::Show(text), Some(pipes)) => match apply_pipes(&text, pipes, shell, device) {
            Ok(text) => Action::Show(text),
            Err(at) => Action::Error(syntax_error(
                ParseError::Invalid(at),
                line,
                prompt_len + line.len() - pipes.len(),
                configuring,
            )),
        },
        (action, _) => action,
    };
    // In configuration mode every reply ends with the hierarchy level.
    match (shell.config.is_some(), action) {
        (true, Action::Output(t)) => Action::Output(format!("{t}\n[edit]\n")),
        (true, Action::Error(t)) => Action::Error(format!("{t}\n[edit]\n")),
        (true, Action::Show(t)) => Action::Show(format!("{t}\n[edit]\n")),
        (_, action) => action,
    }
}

fn syntax_error(e: ParseError, line: &str, column: usize, configuring: bool) -> String {
    match e {
        ParseError::Invalid(0) if !configuring => {
            format!("{}^\nunknown command.\n", " ".repeat(column))
        }
        ParseError::Invalid(at) if !configuring => format!(
            "{}^\nsyntax error, expecting <command>.\n",
            " ".repeat(column + at)
        ),
        ParseError::Invalid(at) => format!("{}^\nsyntax error.\n", " ".repeat(column + at)),
        ParseError::Ambiguous => format!("\n'{}' is ambiguous.\n", line.trim()),
        ParseError::Incomplete => format!(
            "{}^\nsyntax error, expecting <statement> or <identifier>.\n",
            " ".repeat(column + line.trim_end().len())
        ),
    }
}

fn execute(shell: &mut Shell, device: &Device, p: &Parsed<J>, prompt_len: usize) -> Action {
    let w = &p.words;
    match p.command {
        J::Configure => {
            shell.config = Some(None);
            let pending = uncommitted(device);
            Action::Output(if pending {
                "Entering configuration mode\nThe configuration has been changed but not committed\n"
                    .into()
            } else {
                "Entering configuration mode\n".into()
            })
        }
        // The candidate is shared and outlives the session, as on Junos: leaving with
        // uncommitted changes asks first and keeps them.
        J::Exit if shell.config.is_some() && uncommitted(device) => {
            shell.pending = Some(Pending::ExitUncommitted);
            Action::Question(
                "The configuration has been changed but not committed\n\
                 Exit with uncommitted changes? [yes,no] (yes) "
                    .into(),
            )
        }
        J::Exit if shell.config.is_some() => {
            shell.config = None;
            Action::Output("Exiting configuration mode\n".into())
        }
        J::Exit => Action::Close,
        J::ScreenLength => Action::Length(
            w[3].parse().unwrap_or(0),
            format!("Screen length set to {}\n", w[3]),
        ),
        J::ScreenWidth => Action::Output(format!("Screen width set to {}\n", w[3])),
        J::CompleteOnSpace => Action::Output(if w[3] == "off" {
            "Disabling complete-on-space\n".into()
        } else {
            "Enabling complete-on-space\n".into()
        }),
        J::ShowVersion => Action::Show(version(device)),
        J::ShowInterfacesTerse => Action::Show(device.with_vendor(|s, _| terse(&s.running))),
        J::ShowUptime => {
            let id = device.ident();
            let ticks = device.with_vendor(|_, ticks| ticks);
            Action::Show(uptime(&id, ticks))
        }
        J::ShowConfiguration => Action::Show(device.with_vendor(|s, _| hierarchy(&s.running))),
        J::ShowCandidate => Action::Show(candidate(shell, device, hierarchy)),
        J::NotSimulated => Action::Error(syntax_error(
            ParseError::Invalid(p.offsets[0]),
            "",
            prompt_len,
            shell.config.is_some(),
        )),
        J::Set => {
            let statement = quote_description(&w[1..]);
            edit_candidate(device, |c| set(c, &statement));
            Action::Output(String::new())
        }
        J::Delete => {
            let path = w.get(1).cloned().unwrap_or_default();
            let removed = edit_candidate(device, |c| {
                let before = c.globals.len();
                c.globals.retain(|s| {
                    !(path.is_empty() || *s == path || s.starts_with(&format!("{path} ")))
                });
                before - c.globals.len()
            });
            Action::Output(if removed == 0 {
                "warning: statement not found\n".into()
            } else {
                String::new()
            })
        }
        J::Commit | J::CommitCheck | J::CommitAndQuit => commit(shell, device, p.command),
        J::Rollback => {
            device.with_vendor_mut(|s| s.candidate = None);
            Action::Output("load complete\n".into())
        }
        J::Run => {
            let saved = shell.config.take();
            let action = run(shell, device, &w[1], prompt_len + p.offsets[1]);
            shell.config = saved;
            action
        }
        J::Top => Action::Output(String::new()),
    }
}

/// `set interfaces ge-0/0/1 description user LAN` is stored as Junos shows it, quoted.
fn quote_description(words: &[String]) -> String {
    match words.iter().position(|w| w == "description") {
        Some(at) if at + 1 < words.len() => {
            let text = words[at + 1..].join(" ");
            let text = text.trim_matches('"');
            format!("{} description \"{text}\"", words[..at].join(" "))
        }
        _ => words.join(" "),
    }
}

/// Add a statement; a statement naming the same leaf with another value replaces it.
fn set(cfg: &mut VConfig, statement: &str) {
    let leaf = leaf_path(statement);
    if let Some(leaf) = leaf {
        cfg.globals
            .retain(|s| leaf_path(s).as_deref() != Some(leaf.as_str()));
    }
    if !cfg.globals.iter().any(|s| s == statement) {
        cfg.globals.push(statement.to_string());
    }
    if let Some(name) = statement.strip_prefix("system host-name ") {
        cfg.hostname = name.to_string();
    }
}

/// For single-valued leaves (host-name, description, class, vlan-id), the path before the
/// value.
fn leaf_path(statement: &str) -> Option<String> {
    for leaf in [" host-name ", " description ", " class ", " vlan-id "] {
        if let Some(at) = statement.find(leaf) {
            return Some(statement[..at + leaf.len()].to_string());
        }
    }
    None
}

fn commit(shell: &mut Shell, device: &Device, how: J) -> Action {
    let c = device.with_vendor(|s, _| s.candidate.clone().unwrap_or_else(|| s.running.clone()));
    if let Some(problem) = missing_class(&c) {
        let summary = if how == J::CommitCheck {
            "error: configuration check-out failed: (missing mandatory statements)"
        } else {
            "error: commit failed: (missing mandatory statements)"
        };
        return Action::Error(format!("{problem}{summary}\n"));
    }
    if how == J::CommitCheck {
        return Action::Output("configuration check succeeds\n".into());
    }
    device.with_vendor_mut(|s| {
        s.running = c.clone();
        s.saved = c;
        s.candidate = None;
    });
    if how == J::CommitAndQuit {
        shell.config = None;
        return Action::Output("commit complete\nExiting configuration mode\n".into());
    }
    Action::Output("commit complete\n".into())
}

/// A login user without a class fails the commit, as on Junos.
fn missing_class(cfg: &VConfig) -> Option<String> {
    for s in &cfg.globals {
        let Some(rest) = s.strip_prefix("system login user ") else {
            continue;
        };
        let user = rest.split_whitespace().next().unwrap_or_default();
        let prefix = format!("system login user {user} class ");
        if !cfg.globals.iter().any(|g| g.starts_with(&prefix)) {
            return Some(format!(
                "[edit system login user {user}]\n  'class'\n    Missing mandatory statement: 'class'\n"
            ));
        }
    }
    None
}

/// Render the candidate in configuration mode, else the running configuration.
fn candidate(shell: &Shell, device: &Device, render: fn(&VConfig) -> String) -> String {
    device.with_vendor(|s, _| match (&shell.config, &s.candidate) {
        (Some(_), Some(c)) => render(c),
        _ => render(&s.running),
    })
}

/// Whether the shared candidate holds changes not committed.
fn uncommitted(device: &Device) -> bool {
    device.with_vendor(|s, _| s.candidate.as_ref().is_some_and(|c| *c != s.running))
}

/// Change the shared candidate (made from the running configuration on first change).
fn edit_candidate<R>(device: &Device, f: impl FnOnce(&mut VConfig) -> R) -> R {
    device.with_vendor_mut(|s| {
        let running = &s.running;
        f(s.candidate.get_or_insert_with(|| running.clone()))
    })
}

/// `show | compare`: statements added (`+`) and removed (`-`), under the hierarchy level of
/// their parent.
fn compare(s: &VendorState) -> String {
    let Some(c) = &s.candidate else {
        return String::new();
    };
    let mut out = String::new();
    let mut line = |sign: char, statement: &str| {
        let words = split_quoted(statement);
        let (parent, leaf) = words.split_at(words.len().saturating_sub(2).min(words.len() - 1));
        out.push_str(&format!(
            "[edit {}]\n{sign}   {};\n",
            parent.join(" "),
            leaf.join(" ")
        ));
    };
    for g in c.globals.iter().filter(|g| !s.running.globals.contains(g)) {
        line('+', g);
    }
    for g in s.running.globals.iter().filter(|g| !c.globals.contains(g)) {
        line('-', g);
    }
    out
}

pub fn answer(shell: &mut Shell, answer: &str) -> Action {
    let answer = answer.trim();
    match shell.pending.take() {
        Some(Pending::ExitUncommitted) if answer.is_empty() || answer == "yes" => {
            shell.config = None;
            Action::Output("Exiting configuration mode\n".into())
        }
        _ => Action::Output("\n[edit]\n".into()),
    }
}

/// `| display set`, `| compare`, `| match`, `| except`, `| count`, `| no-more`; Err: the byte (from the
/// pipes' start) of a word that is not one.
fn apply_pipes(text: &str, pipes: &str, shell: &Shell, device: &Device) -> Result<String, usize> {
    let mut text = text.to_string();
    let mut offset = 0;
    for pipe in pipes.split('|') {
        let words: Vec<&str> = pipe.split_whitespace().collect();
        let lead = pipe.len() - pipe.trim_start().len();
        let regex = |arg: Option<&&str>| {
            arg.and_then(|r| regex::Regex::new(r.trim_matches('"')).ok())
                .ok_or(offset + lead)
        };
        text = match words.as_slice() {
            // Applies to what was shown: the candidate in config mode, else the running.
            ["display", "set"] => candidate(shell, device, set_form),
            ["compare"] => device.with_vendor(|s, _| compare(s)),
            ["match", ..] => Filter::Include(regex(words.get(1))?).apply(&text),
            ["except", ..] => Filter::Exclude(regex(words.get(1))?).apply(&text),
            ["count"] => format!("Count: {} lines\n", text.lines().count()),
            ["no-more"] => text,
            _ => return Err(offset + lead),
        };
        offset += pipe.len() + 1;
    }
    Ok(text)
}

/// `show configuration | display set`.
fn set_form(cfg: &VConfig) -> String {
    cfg.globals
        .iter()
        .filter(|s| !s.starts_with("version "))
        .map(|s| format!("set {s}\n"))
        .collect()
}

fn version(device: &Device) -> String {
    let host = device.hostname();
    format!(
        "Hostname: {host}\nModel: vmx\nJunos: 20.4R3.8\nJUNOS OS Kernel 64-bit  [20211013.5a5ff3a_builder_stable_11]\n\
         JUNOS OS libs [20211013.5a5ff3a_builder_stable_11]\nJUNOS OS runtime [20211013.5a5ff3a_builder_stable_11]\n\
         JUNOS Packet Forwarding Engine Simulation Package [20.4R3.8]\nJUNOS Routing Software Suite [20.4R3.8]\n\
         JUNOS Crypto Software Suite [20.4R3.8]\nJUNOS Online Documentation [20.4R3.8]\n\
         JUNOS py-base-i386 [20.4R3.8]\nSerial Number: VM{}\n",
        device.ident().serial()
    )
}

/// `show interfaces terse`.
fn terse(cfg: &VConfig) -> String {
    let mut s = format!(
        "{:<24}{:<6}{:<5}{:<6}{:<23}{}\n",
        "Interface", "Admin", "Link", "Proto", "Local", "Remote"
    );
    let mut names: Vec<&str> = Vec::new();
    for g in &cfg.globals {
        if let Some(rest) = g.strip_prefix("interfaces ") {
            let name = rest.split_whitespace().next().unwrap_or_default();
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    for name in names {
        let disabled = cfg
            .globals
            .iter()
            .any(|g| *g == format!("interfaces {name} disable"));
        let (admin, link) = if disabled {
            ("down", "down")
        } else {
            ("up", "up")
        };
        let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{name:<24}{admin:<6}{link}\n"));
        let unit = format!("interfaces {name} unit 0 family inet address ");
        for g in cfg.globals.iter().filter(|g| g.starts_with(&unit)) {
            let address = &g[unit.len()..];
            let _ = std::fmt::Write::write_fmt(
                &mut s,
                format_args!(
                    "{:<24}{admin:<6}{link:<5}inet  {address}\n",
                    format!("{name}.0")
                ),
            );
        }
    }
    s
}

/// Keywords followed by an identifier or value: they and the next word are one node.
const TAKES_ARGUMENT: &[&str] = &[
    "unit",
    "user",
    "area",
    "interface",
    "host",
    "server",
    "route",
    "community",
    "host-name",
    "description",
    "class",
    "encrypted-password",
    "address",
    "next-hop",
    "vlan-id",
    "version",
    "any",
    "authorization",
];

/// The configuration as Junos shows it: braces, four-space indentation, `;` after leaves.
fn hierarchy(cfg: &VConfig) -> String {
    #[derive(Default)]
    struct Node {
        name: String,
        children: Vec<Node>,
    }
    let mut root = Node::default();
    for statement in &cfg.globals {
        let words = split_quoted(statement);
        let mut groups = Vec::new();
        let mut i = 0;
        while i < words.len() {
            if TAKES_ARGUMENT.contains(&words[i].as_str()) && i + 1 < words.len() {
                groups.push(format!("{} {}", words[i], words[i + 1]));
                i += 2;
            } else {
                groups.push(words[i].clone());
                i += 1;
            }
        }
        let mut node = &mut root;
        for g in groups {
            let at = match node.children.iter().position(|c| c.name == g) {
                Some(at) => at,
                None => {
                    node.children.push(Node {
                        name: g,
                        children: Vec::new(),
                    });
                    node.children.len() - 1
                }
            };
            node = &mut node.children[at];
        }
    }
    fn render(node: &Node, depth: usize, out: &mut String) {
        for c in &node.children {
            let pad = "    ".repeat(depth);
            if c.children.is_empty() {
                out.push_str(&format!("{pad}{};\n", c.name));
            } else {
                out.push_str(&format!("{pad}{} {{\n", c.name));
                render(c, depth + 1, out);
                out.push_str(&format!("{pad}}}\n"));
            }
        }
    }
    let mut out = String::new();
    render(&root, 0, &mut out);
    out
}

/// Words of a statement, a `"quoted text"` being one word (quotes kept).
fn split_quoted(statement: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in statement.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ' ' if !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `show system uptime` in Junos's layout (ntc-templates' juniper_junos/show_system_uptime
/// fixtures): ISO timestamps, each past one with how long ago, and the BSD uptime line. The
/// device booted, started its protocols and was last configured at its first clock reading.
fn uptime(id: &Ident, ticks: u32) -> String {
    let (now, boot) = (junos_timestamp(id, ticks), junos_timestamp(id, 0));
    // The clock advances 1.337 s per command run (`Ident::clock`).
    let up = u64::from(ticks) * 1337 / 1000;
    let ago = format!("{:02}:{:02}:{:02} ago", up / 3600, up / 60 % 60, up % 60);
    let hour = now.split(' ').nth(1).unwrap_or("00:00:00");
    let (h, m) = (hour[..2].parse::<u32>().unwrap_or(0), &hour[3..5]);
    let (h12, half) = (
        if h % 12 == 0 { 12 } else { h % 12 },
        if h < 12 { "AM" } else { "PM" },
    );
    format!(
        "Current time: {now}\nTime Source:  LOCAL CLOCK\nSystem booted: {boot} ({ago})\n\
         Protocols started: {boot} ({ago})\nLast configured: {boot} ({ago}) by cisco\n\
         {h12:>2}:{m}{half}  up {} mins, 1 user, load averages: 0.04, 0.04, 0.01\n",
        up / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::ident::Ident;

    #[test]
    fn hierarchy_renders_braces_and_leaves() {
        let cfg = super::super::model::VConfig::initial(
            crate::device::platform::Platform::JuniperJunos,
            "R1",
            "cisco",
            &Ident { index: 0, seed: 1 },
        );
        let text = hierarchy(&cfg);
        assert!(
            text.starts_with("version 20.4R3.8;\nsystem {\n    host-name R1;\n"),
            "{text}"
        );
        assert!(text.contains(
            "    ge-0/0/0 {\n        description \"uplink to core\";\n        unit 0 {\n            family {\n                inet {\n                    address 10.0.0.1/24;\n"
        ), "{text}");
    }

    #[test]
    fn a_user_without_class_fails_the_commit() {
        let mut cfg = VConfig {
            hostname: "R1".into(),
            globals: Vec::new(),
            sections: Vec::new(),
        };
        set(
            &mut cfg,
            "system login user bob authentication encrypted-password x",
        );
        assert!(missing_class(&cfg)
            .unwrap()
            .contains("Missing mandatory statement: 'class'"));
        set(&mut cfg, "system login user bob class read-only");
        assert_eq!(missing_class(&cfg), None);
        set(&mut cfg, "system host-name R9");
        set(&mut cfg, "system host-name R10");
        assert_eq!(cfg.hostname, "R10");
        assert_eq!(
            cfg.globals
                .iter()
                .filter(|g| g.contains("host-name"))
                .count(),
            1
        );
    }
}
