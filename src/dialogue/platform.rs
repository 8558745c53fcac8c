//! Platform profiles as data, in the manner of scrapli's platform definitions: prompt patterns per
//! privilege level, how to escalate, paging-off commands, the pager pattern, error strings, login
//! prompts, config mode with its commit (candidate-config platforms) and the save — plus the
//! Netmiko `device_type` and Nornir/NAPALM `platform` names that select a profile and a transport.
//!
//! Nothing here is code about a vendor: the `Dialogue` reads these tables. A profile's regexes
//! are compiled once, when that profile is first asked for.
//!
//! Where the strings come from (never from the testbed, which is built separately):
//! - scrapli's platform definitions (`scrapli/definitions/*.yaml`: prompt patterns per mode,
//!   `failure_indicators`, on-open paging and width commands);
//! - Netmiko's drivers (`netmiko/cisco/cisco_{nxos,xr,asa_ssh}.py`, `arista/arista.py`,
//!   `juniper/juniper.py`, `linux/linux_ssh.py`: the commit markers and questions, the save
//!   commands and their replies, `sudo` escalation, the Junos `[edit]` context lines, the
//!   device_type names in `ssh_dispatcher.py`);
//! - NAPALM's driver names (`ios`, `nxos`, `nxos_ssh`, `iosxr`, `eos`, `junos`) as Nornir's
//!   inventories write them;
//! - vendor CLI references for the replies (`Copy complete.`, `commit complete`, `[OK]`).

use std::sync::OnceLock;

use regex::Regex;

use super::text::is_failed;
use crate::job::TransportKind;

/// One privilege level of a platform's CLI, e.g. `exec` (`R1>`) or `privilege_exec` (`R1#`).
#[derive(Debug)]
pub struct PrivilegeLevel {
    pub name: &'static str,
    /// Matches a whole prompt line of this level (trailing whitespace allowed).
    pub pattern: Regex,
    /// The level this one is reached from, if any.
    pub previous: Option<&'static str>,
    /// Command that moves from `previous` to this level (e.g. `enable`).
    pub escalate: &'static str,
    /// Whether escalating asks for a password (the enable secret).
    pub escalate_auth: EscalateAuth,
    /// Command that moves back to `previous` (e.g. `disable`, `end`).
    pub deescalate: &'static str,
    /// A question leaving this level may ask, answered as given (IOS-XR's uncommitted changes).
    pub leave_question: Option<Question>,
}

/// Whether a move up to a level takes the enable secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscalateAuth {
    /// Never asked (`configure terminal`).
    No,
    /// Always asked (IOS, NX-OS, ASA `enable`): without a secret the move is not tried.
    Required,
    /// Asked only where the device is set up so (EOS `enable`, `sudo -i`): the move is tried,
    /// and a password prompt without a secret fails the host.
    IfAsked,
}

/// A question a device may ask in the middle of a reply, and what netrun answers.
#[derive(Debug)]
pub struct Question {
    /// Matched on the last line received.
    pub pattern: Regex,
    /// Sent with Enter; empty: Enter alone (the default answer).
    pub answer: &'static str,
}

/// How a platform keeps its configuration across a reload.
#[derive(Debug)]
pub enum Save {
    /// A command at the command level, after leaving config mode (IOS `write memory`).
    Command(SaveCommand),
    /// Committing is saving (Junos, IOS-XR): `--save` says so and sends nothing more.
    ByCommit,
    /// Nothing to save (Linux): `--save` says so and sends nothing.
    Nothing,
}

/// A save command and how to read its reply.
#[derive(Debug)]
pub struct SaveCommand {
    pub command: &'static str,
    /// Text the reply contains when the save worked, e.g. `[OK]`.
    pub success: &'static str,
    /// Questions the save may ask (`Destination filename [startup-config]?`,
    /// `Overwrite the previous NVRAM configuration?[confirm]`).
    pub questions: Vec<Question>,
}

/// A candidate configuration's commit (Junos, IOS-XR): the lines change nothing until it.
#[derive(Debug)]
pub struct Commit {
    pub command: &'static str,
    /// Text a commit that worked prints (Junos `commit complete`); `None`: a reply without a
    /// failure line is success (IOS-XR prints nothing).
    pub success: Option<&'static str>,
    /// A line of the reply starting with one of these means the commit failed.
    pub failed_when_contains: &'static [&'static str],
    /// Questions the commit may ask, with netrun's answers.
    pub questions: Vec<Question>,
    /// Throws the uncommitted candidate away, sent after a rejected line or a failed commit so
    /// that no device is left with one (Junos `rollback 0`, IOS-XR `abort`).
    pub discard: &'static str,
}

/// Configuration mode: a privilege level like any other, entered with that level's `escalate`
/// and left with its `deescalate`; the fallback and the commit are its own.
#[derive(Debug)]
pub struct ConfigMode {
    /// Privilege level name of configuration mode.
    pub level: &'static str,
    /// Sent repeatedly when the level's `deescalate` does not bring back the privileged prompt
    /// (some devices reject `end` in sub-modes).
    pub leave_fallback: &'static str,
    /// `Some` on candidate-config platforms: every push ends with it.
    pub commit: Option<Commit>,
    /// What follows the hostname on a config prompt, for `--dry-run` (`(config)#`, `# `).
    pub prompt_example: &'static str,
}

/// A platform's CLI behaviour.
#[derive(Debug)]
pub struct Profile {
    pub name: &'static str,
    /// Privilege levels, lowest first.
    pub privilege_levels: Vec<PrivilegeLevel>,
    /// The level commands run at (after login and escalation).
    pub default_level: &'static str,
    /// Higher levels a login that lands there stays at, rather than being brought down to
    /// `default_level` (Linux's root shell, which `exit` would log out of).
    pub login_may_stay_at: &'static [&'static str],
    /// Captures (group 1) the stable part of a prompt, e.g. the hostname `R1` of `R1(config)#`.
    pub base_prompt: Regex,
    /// What may follow the base prompt on a prompt line, anchored at the start, e.g. `(config)#`.
    pub prompt_suffix: Regex,
    /// A line printed just before the prompt that belongs to it, not to the output (Junos
    /// `[edit interfaces]`, `{master:0}`).
    pub prompt_context: Option<Regex>,
    /// Sent after login to stop paging; replies are discarded.
    pub paging_off: &'static [&'static str],
    /// A pager prompt at the end of the received text, e.g. ` --More-- `; answered with a space.
    pub more_pattern: Option<Regex>,
    /// A command failed when a line of its output starts with one of these.
    pub failed_when_contains: &'static [&'static str],
    /// ... or when a line holds one of these anywhere (Junos `'i' is ambiguous.`).
    pub failed_when_line_contains: &'static [&'static str],
    /// Telnet login prompts (matched on the last line received); the password prompt also
    /// answers an escalation (`Password:`, `[sudo] password for admin:`).
    pub username_prompt: Regex,
    pub password_prompt: Regex,
    /// Text that means the login was rejected.
    pub login_failed: &'static [&'static str],
    /// Text that means escalation (enable, sudo) was rejected.
    pub escalate_failed: &'static [&'static str],
    pub config: ConfigMode,
    pub save: Save,
    /// Shows the configuration (for `--diff`).
    pub show_config: Option<&'static str>,
    /// Lines of `show_config` output that change without a config change (build banners, byte
    /// counts, timestamps); dropped before a diff.
    pub volatile_config_lines: Option<Regex>,
    /// Ends the session; sent without waiting for a reply.
    pub exit_command: &'static str,
    /// A command's reply that ends in one of these (matched on the unfinished last line) stopped
    /// at a question, not a prompt: answered only by the user's `--answer`, else the host fails
    /// at once with kind `question`.
    pub questions: Vec<Regex>,
    /// The CLI frames its text with ANSI escape sequences (Netmiko's `ansi_escape_codes`: bash's
    /// bracketed paste around each prompt, NX-OS and EOS colours): they are cut out of
    /// everything received.
    pub ansi_escapes: bool,
}

impl Profile {
    /// The privilege level whose pattern matches `prompt_line`, if any.
    pub fn level_of(&self, prompt_line: &str) -> Option<&PrivilegeLevel> {
        self.privilege_levels
            .iter()
            .rev()
            .find(|level| level.pattern.is_match(prompt_line))
    }

    /// Whether `output` says the device rejected the command.
    pub fn rejects(&self, output: &str) -> bool {
        is_failed(output, self.failed_when_contains)
            || output.lines().any(|line| {
                self.failed_when_line_contains
                    .iter()
                    .any(|p| line.contains(p))
            })
    }

    /// The level named `name`.
    pub fn level(&self, name: &str) -> Option<&PrivilegeLevel> {
        self.privilege_levels.iter().find(|l| l.name == name)
    }
}

/// What a device_type or platform name selects: a profile and a transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceType {
    pub platform: &'static str,
    pub transport: TransportKind,
}

/// Netmiko device_type names (`ssh_dispatcher.py`: each SSH name also with `_ssh`, and the
/// `_telnet` forms Netmiko has), Nornir/NAPALM platform names and Ansible network_os names, with
/// the profile and transport each selects.
const DEVICE_TYPES: &[(&str, &str, TransportKind)] = &[
    ("cisco_ios", "cisco_ios", TransportKind::Ssh),
    ("cisco_ios_ssh", "cisco_ios", TransportKind::Ssh),
    ("cisco_ios_telnet", "cisco_ios", TransportKind::Telnet),
    ("cisco_xe", "cisco_ios", TransportKind::Ssh),
    ("cisco_xe_ssh", "cisco_ios", TransportKind::Ssh),
    ("cisco_nxos", "cisco_nxos", TransportKind::Ssh),
    ("cisco_nxos_ssh", "cisco_nxos", TransportKind::Ssh),
    ("cisco_nxos_telnet", "cisco_nxos", TransportKind::Telnet),
    ("cisco_xr", "cisco_xr", TransportKind::Ssh),
    ("cisco_xr_ssh", "cisco_xr", TransportKind::Ssh),
    ("cisco_xr_telnet", "cisco_xr", TransportKind::Telnet),
    ("cisco_asa", "cisco_asa", TransportKind::Ssh),
    ("cisco_asa_ssh", "cisco_asa", TransportKind::Ssh),
    ("arista_eos", "arista_eos", TransportKind::Ssh),
    ("arista_eos_ssh", "arista_eos", TransportKind::Ssh),
    ("arista_eos_telnet", "arista_eos", TransportKind::Telnet),
    ("juniper", "juniper_junos", TransportKind::Ssh),
    ("juniper_ssh", "juniper_junos", TransportKind::Ssh),
    ("juniper_junos", "juniper_junos", TransportKind::Ssh),
    ("juniper_junos_ssh", "juniper_junos", TransportKind::Ssh),
    (
        "juniper_junos_telnet",
        "juniper_junos",
        TransportKind::Telnet,
    ),
    ("linux", "linux", TransportKind::Ssh),
    ("linux_ssh", "linux", TransportKind::Ssh),
    // Nornir / NAPALM platform names.
    ("ios", "cisco_ios", TransportKind::Ssh),
    ("iosxe", "cisco_ios", TransportKind::Ssh),
    ("nxos", "cisco_nxos", TransportKind::Ssh),
    ("nxos_ssh", "cisco_nxos", TransportKind::Ssh),
    ("iosxr", "cisco_xr", TransportKind::Ssh),
    ("eos", "arista_eos", TransportKind::Ssh),
    ("junos", "juniper_junos", TransportKind::Ssh),
    ("asa", "cisco_asa", TransportKind::Ssh),
    // Ansible `ansible_network_os` names (the collections' FQCNs; the short forms are above).
    ("cisco.ios.ios", "cisco_ios", TransportKind::Ssh),
    ("cisco.nxos.nxos", "cisco_nxos", TransportKind::Ssh),
    ("cisco.iosxr.iosxr", "cisco_xr", TransportKind::Ssh),
    ("cisco.asa.asa", "cisco_asa", TransportKind::Ssh),
    ("arista.eos.eos", "arista_eos", TransportKind::Ssh),
    (
        "junipernetworks.junos.junos",
        "juniper_junos",
        TransportKind::Ssh,
    ),
];

/// The profile and transport a device_type or platform name selects (case-insensitive, as
/// Nornir users write `IOS` too); `None` for an unknown name.
pub fn lookup_device_type(device_type: &str) -> Option<DeviceType> {
    DEVICE_TYPES
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(device_type))
        .map(|&(_, platform, transport)| DeviceType {
            platform,
            transport,
        })
}

/// Every name `lookup_device_type` accepts, for error messages.
pub fn device_type_names() -> Vec<&'static str> {
    DEVICE_TYPES.iter().map(|(name, _, _)| *name).collect()
}

/// The profile named `platform` (`cisco_ios`, `cisco_nxos`, `cisco_xr`, `cisco_asa`,
/// `arista_eos`, `juniper_junos`, `linux`). Its patterns are compiled on the first call for that
/// name, so a run pays only for the platforms its hosts use.
pub fn profile(platform: &str) -> Option<&'static Profile> {
    PROFILES
        .iter()
        .find(|entry| entry.name == platform)
        .map(|entry| entry.compiled.get_or_init(entry.build))
}

/// Every profile name, for error messages.
pub fn profile_names() -> Vec<&'static str> {
    PROFILES.iter().map(|entry| entry.name).collect()
}

/// A profile's name, the table that builds it, and the built profile once asked for.
struct ProfileEntry {
    name: &'static str,
    build: fn() -> Profile,
    compiled: OnceLock<Profile>,
}

const fn entry(name: &'static str, build: fn() -> Profile) -> ProfileEntry {
    ProfileEntry {
        name,
        build,
        compiled: OnceLock::new(),
    }
}

/// The first four in the order they were added, so the fuzz seeds' profile bytes keep their
/// meaning.
static PROFILES: [ProfileEntry; 7] = [
    entry("cisco_ios", cisco_ios),
    entry("arista_eos", arista_eos),
    entry("juniper_junos", juniper_junos),
    entry("linux", linux),
    entry("cisco_nxos", cisco_nxos),
    entry("cisco_xr", cisco_xr),
    entry("cisco_asa", cisco_asa),
];

/// Compiles a pattern from the tables below; they are constants, so failure is a programming error
/// caught by the unit tests.
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad profile regex {pattern:?}: {e}"))
}

fn question(pattern: &str, answer: &'static str) -> Question {
    Question {
        pattern: re(pattern),
        answer,
    }
}

/// A level at the bottom: logged in at, never moved to.
fn login_level(name: &'static str, pattern: &str) -> PrivilegeLevel {
    PrivilegeLevel {
        name,
        pattern: re(pattern),
        previous: None,
        escalate: "",
        escalate_auth: EscalateAuth::No,
        deescalate: "",
        leave_question: None,
    }
}

/// A level reached from `previous` with `escalate`, left with `deescalate`.
fn level(
    name: &'static str,
    pattern: &str,
    (previous, escalate, escalate_auth): (&'static str, &'static str, EscalateAuth),
    deescalate: &'static str,
) -> PrivilegeLevel {
    PrivilegeLevel {
        name,
        pattern: re(pattern),
        previous: Some(previous),
        escalate,
        escalate_auth,
        deescalate,
        leave_question: None,
    }
}

/// `Username:`, `User Name:`, `login:` at the start of the line, or a Unix `box login:` (a
/// lower-case hostname), but never the start of an SSH shell's `Last login: ...` line.
const USERNAME_PROMPT: &str =
    r"(?i:^\s*(user ?name|login)\s*:\s*$)|^[a-z0-9][a-z0-9_.\-]{0,62} login:\s*$";
const PASSWORD_PROMPT: &str = r"(?i)password\s*:\s*$";
/// IOS-like hostnames (scrapli's `[\w.\-@/:]{1,63}`, ASCII).
const HOST: &str = r"[A-Za-z0-9_.\-@/:]{1,63}";
const CISCO_LIKE_ERRORS: &[&str] = &[
    "% Invalid input",
    "% Incomplete command",
    "% Ambiguous command",
    "% Unknown command",
    "% Invalid command",
    "% Error",
    "%Error",
    "% Bad ",
    "Bad mask",
];
/// Volatile lines of IOS `show running-config`.
const IOS_VOLATILE: &str = r"^(Building configuration\.\.\.|Current configuration :|! Last configuration change at|! NVRAM config last updated at|! No configuration change since last restart|! Time:|ntp clock-period)";

/// The three IOS-style levels (`>`, `#`, `(config…)#`), `enable` taking the secret as `auth`.
fn cisco_levels(host: &str, auth: EscalateAuth) -> Vec<PrivilegeLevel> {
    vec![
        login_level("exec", &format!(r"^{host}>\s*$")),
        level(
            "privilege_exec",
            &format!(r"^{host}#\s*$"),
            ("exec", "enable", auth),
            "disable",
        ),
        level(
            "configuration",
            &format!(r"^{host}\(conf[A-Za-z0-9_.\-@/:+]{{0,63}}\)#\s*$"),
            ("privilege_exec", "configure terminal", EscalateAuth::No),
            "end",
        ),
    ]
}

fn cisco_base_prompt(host: &str) -> Regex {
    re(&format!(
        r"^({host}?)(\(conf[A-Za-z0-9_.\-@/:+]{{0,63}}\))?[>#]\s*$"
    ))
}

fn cisco_prompt_suffix() -> Regex {
    re(r"^(\(conf[A-Za-z0-9_.\-@/:+]{0,63}\))?[>#]\s*$")
}

/// The questions Cisco-style CLIs (IOS, NX-OS, IOS-XR, ASA, EOS) stop at: `Proceed with reload?
/// [confirm]`, `Destination filename [startup-config]?`, `Delete flash:/x? [confirm]`, `Save?
/// [yes/no]:`, NX-OS `Do you want to continue? (y/n) [n]`, IOS-XR `Uncommitted changes found,
/// commit them before exiting(yes/no/cancel)? [cancel]:` (Cisco command references; Netmiko's
/// `save_config`/`send_command_timing` docs quote the same lines).
fn cisco_questions() -> Vec<Regex> {
    vec![
        re(r"\[confirm\]\s*$"),
        re(r"\]\?\s*$"),
        // ASCII classes (`-u`): the questions are ASCII, and Unicode `\w` under `(?i)` made
        // this one pattern ~7 M instructions to compile at every start.
        re(r"(?i-u)[\[(](yes/no|y/n)(/cancel)?[\])]\s*\??\s*(\[\w*\])?\s*:?\s*$"),
    ]
}

/// Junos's questions: `Exit with uncommitted changes? [yes,no] (yes)`, `Reboot the system?
/// [yes,no] (no)` (Junos CLI user guide).
fn junos_questions() -> Vec<Regex> {
    vec![re(r"\[yes,no\]\s*(\(\w+\))?\s*$")]
}

/// A shell's questions: `[y/N]`, `[Y/n]`, `(yes/no)?`, OpenSSH's `(yes/no/[fingerprint])?`.
fn linux_questions() -> Vec<Regex> {
    vec![re(r"(?i)[\[(](yes/no|y/n)[^\n]*[\])]\s*\??\s*:?\s*$")]
}

/// IOS's save questions, answered with Enter (the default).
fn ios_save_questions() -> Vec<Question> {
    vec![question(r"(\[confirm\]|\]\?)\s*$", "")]
}

/// No commit: the lines apply as they are typed.
fn config_mode() -> ConfigMode {
    ConfigMode {
        level: "configuration",
        leave_fallback: "exit",
        commit: None,
        prompt_example: "(config)#",
    }
}

pub(super) fn cisco_ios() -> Profile {
    Profile {
        name: "cisco_ios",
        privilege_levels: cisco_levels(HOST, EscalateAuth::Required),
        default_level: "privilege_exec",
        login_may_stay_at: &[],
        base_prompt: cisco_base_prompt(HOST),
        prompt_suffix: cisco_prompt_suffix(),
        prompt_context: None,
        paging_off: &["terminal length 0", "terminal width 511"],
        more_pattern: Some(re(r"[ \t]*--More--[ \t]*$")),
        failed_when_contains: CISCO_LIKE_ERRORS,
        failed_when_line_contains: &[],
        username_prompt: re(USERNAME_PROMPT),
        password_prompt: re(PASSWORD_PROMPT),
        login_failed: &["% Login invalid", "% Authentication failed"],
        escalate_failed: &["% Access denied", "% Bad secrets", "% No password set"],
        config: config_mode(),
        save: Save::Command(SaveCommand {
            command: "write memory",
            success: "[OK]",
            questions: ios_save_questions(),
        }),
        show_config: Some("show running-config"),
        volatile_config_lines: Some(re(IOS_VOLATILE)),
        exit_command: "exit",
        questions: cisco_questions(),
        ansi_escapes: false,
    }
}

/// NX-OS: scrapli's `cisco_nxos` modes and failure indicators; Netmiko's `CiscoNxosSSH`
/// (`terminal width 511`, `terminal length 0`, save `copy running-config startup-config`,
/// which ends `Copy complete.`).
fn cisco_nxos() -> Profile {
    Profile {
        name: "cisco_nxos",
        privilege_levels: cisco_levels(HOST, EscalateAuth::Required),
        default_level: "privilege_exec",
        login_may_stay_at: &[],
        base_prompt: cisco_base_prompt(HOST),
        prompt_suffix: cisco_prompt_suffix(),
        prompt_context: None,
        paging_off: &["terminal length 0", "terminal width 511"],
        more_pattern: Some(re(r"[ \t]*--More--[ \t]*$")),
        failed_when_contains: &[
            "% Ambiguous command",
            "% Incomplete command",
            // scrapli's `% Invalid input detected`, `% Invalid command at`, `% Invalid
            // parameter` and `% Invalid number at`.
            "% Invalid ",
            "% Permission denied",
            "ERROR: ",
        ],
        failed_when_line_contains: &[],
        username_prompt: re(USERNAME_PROMPT),
        password_prompt: re(PASSWORD_PROMPT),
        login_failed: &["Login incorrect", "% Authentication failed"],
        escalate_failed: &[
            "% Permission denied",
            "% Access denied",
            "Incorrect password",
        ],
        config: config_mode(),
        save: Save::Command(SaveCommand {
            command: "copy running-config startup-config",
            success: "Copy complete",
            questions: Vec::new(),
        }),
        show_config: Some("show running-config"),
        volatile_config_lines: Some(re(
            r"^(!Command: show running-config|!Running configuration last done at:|!Time:|!No configuration change since last restart)",
        )),
        exit_command: "exit",
        questions: cisco_questions(),
        ansi_escapes: true,
    }
}

/// IOS-XR: scrapli's `cisco_iosxr` (logs in at `#`, no `>` level; `RP/0/RSP0/CPU0:name#`);
/// Netmiko's `CiscoXrSSH` for the commit (`Failed to` / `One or more commits have occurred from
/// other` mark a failure; its `Confirm? [y/n]` and `Do you wish to proceed` questions) and for
/// `end` asking `Uncommitted changes found, commit them before exiting(yes/no/cancel)?`,
/// answered `no`. Every show output starts with a timestamp line.
fn cisco_xr() -> Profile {
    let mut configuration = level(
        "configuration",
        &format!(r"^{HOST}\(config[A-Za-z0-9_.\-@/:+]{{0,63}}\)#\s*$"),
        ("privilege_exec", "configure terminal", EscalateAuth::No),
        "end",
    );
    configuration.leave_question = Some(question(
        r"Uncommitted changes found, commit them before exiting\s*\(yes/no/cancel\)\?.*$",
        "no",
    ));
    Profile {
        name: "cisco_xr",
        privilege_levels: vec![
            login_level("privilege_exec", &format!(r"^{HOST}#\s*$")),
            configuration,
        ],
        default_level: "privilege_exec",
        login_may_stay_at: &[],
        base_prompt: re(&format!(
            r"^({HOST}?)(\(config[A-Za-z0-9_.\-@/:+]{{0,63}}\))?#\s*$"
        )),
        prompt_suffix: re(r"^(\(config[A-Za-z0-9_.\-@/:+]{0,63}\))?#\s*$"),
        prompt_context: None,
        paging_off: &["terminal length 0", "terminal width 511"],
        more_pattern: Some(re(r"[ \t]*--More--[ \t]*$")),
        failed_when_contains: &[
            "% Ambiguous command",
            "% Incomplete command",
            "% Invalid input detected",
            "% Failed to commit",
            "% Bad ",
            "% Error",
        ],
        failed_when_line_contains: &[],
        username_prompt: re(USERNAME_PROMPT),
        password_prompt: re(PASSWORD_PROMPT),
        login_failed: &["% Authentication failed", "Login incorrect"],
        escalate_failed: &[],
        config: ConfigMode {
            level: "configuration",
            leave_fallback: "exit",
            commit: Some(Commit {
                command: "commit",
                success: None,
                failed_when_contains: &[
                    "% Failed to",
                    "One or more commits have occurred from other",
                    "% Invalid input detected",
                ],
                questions: vec![
                    question(r"Confirm\?\s*\[y/n\]\s*\[confirm\]\s*$", "y"),
                    question(r"Do you wish to proceed with this commit anyway\?.*$", "no"),
                ],
                discard: "abort",
            }),
            prompt_example: "(config)#",
        },
        save: Save::ByCommit,
        show_config: Some("show running-config"),
        volatile_config_lines: Some(re(
            r"^((Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 0-9]\d \d\d:\d\d:\d\d(\.\d+)? \S+\s*$|Building configuration\.\.\.|!! IOS XR Configuration|!! Last configuration change at)",
        )),
        exit_command: "exit",
        questions: cisco_questions(),
        ansi_escapes: false,
    }
}

/// ASA: Netmiko's `CiscoAsaSSH` (`enable` asks `Password:`, `terminal pager 0`, `write mem`
/// ending `[OK]`); the pager is `<--- More --->`; errors are `ERROR: % Invalid input detected
/// at '^' marker.` and the like.
fn cisco_asa() -> Profile {
    Profile {
        name: "cisco_asa",
        privilege_levels: cisco_levels(HOST, EscalateAuth::Required),
        default_level: "privilege_exec",
        login_may_stay_at: &[],
        base_prompt: cisco_base_prompt(HOST),
        prompt_suffix: cisco_prompt_suffix(),
        prompt_context: None,
        paging_off: &["terminal pager 0"],
        more_pattern: Some(re(r"[ \t]*<--- More --->[ \t]*$")),
        failed_when_contains: &[
            "ERROR: ",
            "% Invalid input",
            "% Incomplete command",
            "% Ambiguous command",
        ],
        failed_when_line_contains: &[],
        username_prompt: re(USERNAME_PROMPT),
        password_prompt: re(PASSWORD_PROMPT),
        login_failed: &["Login invalid", "% Authentication failed"],
        escalate_failed: &["Invalid password", "Access denied", "% Access denied"],
        config: config_mode(),
        save: Save::Command(SaveCommand {
            command: "write memory",
            success: "[OK]",
            questions: ios_save_questions(),
        }),
        show_config: Some("show running-config"),
        volatile_config_lines: Some(re(
            r"^(: Saved|: Written by|: Serial Number:|: Hardware:|Cryptochecksum:|: Call-home)",
        )),
        exit_command: "exit",
        questions: cisco_questions(),
        ansi_escapes: false,
    }
}

/// EOS: scrapli's `arista_eos` (prompts may hold spaces and parentheses; `terminal width
/// 32767`, answered `Width set to 32767 columns.`; `terminal length 0`, answered `Pagination
/// disabled.`); `enable` asks a password only where one is set; `write memory` ends `Copy
/// completed successfully.`
fn arista_eos() -> Profile {
    const EOS_HOST: &str = r"[A-Za-z0-9_.\-@()/: ]{1,63}";
    Profile {
        name: "arista_eos",
        privilege_levels: cisco_levels(EOS_HOST, EscalateAuth::IfAsked),
        default_level: "privilege_exec",
        login_may_stay_at: &[],
        base_prompt: re(
            r"^([A-Za-z0-9_.\-@/: ]{1,63}?)(\(conf[A-Za-z0-9_.\-@/:+]{0,63}\))?[>#]\s*$",
        ),
        prompt_suffix: cisco_prompt_suffix(),
        prompt_context: None,
        paging_off: &["terminal length 0", "terminal width 32767"],
        more_pattern: Some(re(r"[ \t]*--More--[ \t]*$")),
        failed_when_contains: &[
            "% Ambiguous command",
            "% Error",
            "% Incomplete command",
            "% Invalid input",
            "% Cannot commit",
            "% Unavailable command",
            "% Duplicate sequence number",
            "% Unknown command",
        ],
        failed_when_line_contains: &[],
        username_prompt: re(USERNAME_PROMPT),
        password_prompt: re(PASSWORD_PROMPT),
        login_failed: &[
            "% Login invalid",
            "% Authentication failed",
            "Login incorrect",
        ],
        escalate_failed: &[
            "% Access denied",
            "% Bad secrets",
            "% Authentication failed",
        ],
        config: config_mode(),
        save: Save::Command(SaveCommand {
            command: "write memory",
            success: "Copy completed successfully",
            questions: Vec::new(),
        }),
        show_config: Some("show running-config"),
        volatile_config_lines: Some(re(
            r"^(! Command: show running-config|! Time:|! Startup-config last modified at)",
        )),
        exit_command: "exit",
        questions: cisco_questions(),
        ansi_escapes: true,
    }
}

/// Junos: scrapli's `juniper_junos` (`user@host>`, `configure` → `user@host#`, failure
/// indicators, `set cli screen-width 511`, `set cli screen-length 0`, `set cli
/// complete-on-space off`); Netmiko's `JuniperSSH` (`[edit…]`/`{master:0}` context lines before
/// the prompt, `commit` succeeding with `commit complete`, `exit configuration-mode` asking
/// `Exit with uncommitted changes?`); `---(more)---` / `---(more 45%)---` paging.
fn juniper_junos() -> Profile {
    const JUNOS_HOST: &str = r"[A-Za-z0-9_\-@()/:.]{1,63}";
    let mut configuration = level(
        "configuration",
        &format!(r"^{JUNOS_HOST}#\s*$"),
        ("exec", "configure", EscalateAuth::No),
        "exit configuration-mode",
    );
    // Only asked when someone else's changes are pending: ours were committed or rolled back.
    configuration.leave_question = Some(question(
        r"Exit with uncommitted changes\? \[yes,no\].*$",
        "yes",
    ));
    Profile {
        name: "juniper_junos",
        privilege_levels: vec![
            login_level("exec", &format!(r"^{JUNOS_HOST}>\s*$")),
            configuration,
        ],
        default_level: "exec",
        login_may_stay_at: &[],
        base_prompt: re(&format!(r"^({JUNOS_HOST}?)[>#]\s*$")),
        prompt_suffix: re(r"^[>#]\s*$"),
        prompt_context: Some(re(
            r"^\s*(\[edit.*\]|\{(master|backup|line|primary|secondary)[^}]*\})\s*$",
        )),
        paging_off: &[
            "set cli screen-length 0",
            "set cli screen-width 511",
            "set cli complete-on-space off",
        ],
        more_pattern: Some(re(r"[ \t]*---\(more( \d+%)?\)---[ \t]*$")),
        failed_when_contains: &[
            "unknown command",
            "syntax error",
            "No valid completions",
            "missing argument",
            "missing mandatory argument",
            "invalid numeric value",
            "error:",
        ],
        // `'i' is ambiguous.`: the word typed comes first.
        failed_when_line_contains: &["is ambiguous"],
        username_prompt: re(USERNAME_PROMPT),
        password_prompt: re(PASSWORD_PROMPT),
        login_failed: &["Login incorrect"],
        escalate_failed: &[],
        config: ConfigMode {
            level: "configuration",
            leave_fallback: "exit",
            commit: Some(Commit {
                command: "commit",
                success: Some("commit complete"),
                failed_when_contains: &["error:"],
                questions: Vec::new(),
                discard: "rollback 0",
            }),
            prompt_example: "# ",
        },
        save: Save::ByCommit,
        show_config: Some("show configuration"),
        volatile_config_lines: Some(re(r"^## (Last commit:|Last changed:)")),
        exit_command: "exit",
        questions: junos_questions(),
        ansi_escapes: false,
    }
}

/// Linux: Netmiko's `LinuxSSH` (`$` prompt, `#` for root, no paging; privilege by `sudo`,
/// which asks `[sudo] password for USER:`, answered with the secret); a config push runs its
/// lines in a root shell (`sudo -i`), left with `exit`; nothing to save.
fn linux() -> Profile {
    const LINUX_PROMPT: &str = r"[A-Za-z0-9_.\-@()/:~\[\] ]{1,63}";
    Profile {
        name: "linux",
        privilege_levels: vec![
            login_level("exec", &format!(r"^{LINUX_PROMPT}\$\s*$")),
            level(
                "root",
                &format!(r"^{LINUX_PROMPT}#\s*$"),
                ("exec", "sudo -i", EscalateAuth::IfAsked),
                "exit",
            ),
        ],
        default_level: "exec",
        login_may_stay_at: &["root"],
        base_prompt: re(
            r"^([A-Za-z0-9_.\-]{1,63}@[A-Za-z0-9_.\-]{1,63}|[A-Za-z0-9_.\-]{1,63})[^#$]*[#$]\s*$",
        ),
        prompt_suffix: re(r"^[^#$\n]*[#$]\s*$"),
        prompt_context: None,
        paging_off: &[],
        more_pattern: None,
        failed_when_contains: &["-bash: ", "bash: ", "sh: "],
        failed_when_line_contains: &[],
        username_prompt: re(USERNAME_PROMPT),
        password_prompt: re(r"(?i)password( for [^\s:]{1,64})?\s*:\s*$"),
        login_failed: &["Login incorrect", "Permission denied"],
        escalate_failed: &["Sorry, try again", "is not in the sudoers file"],
        config: ConfigMode {
            level: "root",
            leave_fallback: "exit",
            commit: None,
            prompt_example: "# ",
        },
        save: Save::Nothing,
        show_config: None,
        volatile_config_lines: None,
        exit_command: "exit",
        questions: linux_questions(),
        ansi_escapes: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_is_found_under_its_own_name() {
        for name in profile_names() {
            assert_eq!(profile(name).unwrap().name, name);
        }
    }

    #[test]
    fn every_device_type_selects_an_existing_profile() {
        for name in device_type_names() {
            let device_type = lookup_device_type(name).unwrap();
            assert!(profile(device_type.platform).is_some(), "{name}");
        }
        assert_eq!(lookup_device_type("nokia_sros"), None);
    }

    #[test]
    fn netmiko_and_napalm_names_select_the_platforms() {
        let platform = |name: &str| lookup_device_type(name).map(|d| d.platform);
        for (names, expected) in [
            (
                &["cisco_ios", "cisco_xe", "ios", "iosxe", "IOS"][..],
                "cisco_ios",
            ),
            (
                &["cisco_nxos", "cisco_nxos_ssh", "nxos", "nxos_ssh"],
                "cisco_nxos",
            ),
            (&["cisco_xr", "cisco_xr_telnet", "iosxr"], "cisco_xr"),
            (&["cisco_asa", "asa"], "cisco_asa"),
            (&["arista_eos", "arista_eos_telnet", "eos"], "arista_eos"),
            (
                &[
                    "juniper_junos",
                    "juniper",
                    "junos",
                    "junipernetworks.junos.junos",
                ],
                "juniper_junos",
            ),
            (&["linux", "linux_ssh"], "linux"),
        ] {
            for name in names {
                assert_eq!(platform(name), Some(expected), "{name}");
            }
        }
        // Netmiko has no Telnet driver for these.
        for name in ["cisco_asa_telnet", "linux_telnet", "cisco_xe_telnet"] {
            assert_eq!(platform(name), None, "{name}");
        }
    }

    #[test]
    fn telnet_names_select_telnet() {
        for name in [
            "cisco_ios_telnet",
            "cisco_nxos_telnet",
            "cisco_xr_telnet",
            "arista_eos_telnet",
            "juniper_junos_telnet",
        ] {
            assert_eq!(
                lookup_device_type(name).unwrap().transport,
                TransportKind::Telnet,
                "{name}"
            );
        }
        assert_eq!(
            lookup_device_type("cisco_ios").unwrap().transport,
            TransportKind::Ssh
        );
    }

    #[test]
    fn cisco_prompts_map_to_levels() {
        let ios = profile("cisco_ios").unwrap();
        let level_name = |line: &str| ios.level_of(line).map(|l| l.name);
        assert_eq!(level_name("R1>"), Some("exec"));
        assert_eq!(level_name("R1#"), Some("privilege_exec"));
        assert_eq!(level_name("R1(config)#"), Some("configuration"));
        assert_eq!(level_name("R1(config-if)# "), Some("configuration"));
        assert_eq!(level_name("show version"), None);
        assert_eq!(level_name("Router uptime is 3 hours#x"), None);
    }

    /// Prompts as the vendors document them, at the level each is.
    #[test]
    fn each_platforms_prompts_map_to_its_levels() {
        let cases: &[(&str, &str, &str)] = &[
            ("cisco_nxos", "nxos1#", "privilege_exec"),
            ("cisco_nxos", "nxos1(config-if)# ", "configuration"),
            ("cisco_xr", "RP/0/RSP0/CPU0:xr1#", "privilege_exec"),
            ("cisco_xr", "RP/0/RP0/CPU0:xr1(config-if)#", "configuration"),
            ("cisco_asa", "ciscoasa>", "exec"),
            ("cisco_asa", "ciscoasa# ", "privilege_exec"),
            ("cisco_asa", "ciscoasa(config)#", "configuration"),
            ("arista_eos", "leaf1>", "exec"),
            ("arista_eos", "leaf1#", "privilege_exec"),
            ("arista_eos", "leaf1(config-if-Et1)#", "configuration"),
            ("juniper_junos", "admin@vmx1> ", "exec"),
            ("juniper_junos", "admin@vmx1# ", "configuration"),
            ("linux", "admin@box:~$ ", "exec"),
            ("linux", "root@box:~# ", "root"),
        ];
        for (platform, prompt, level) in cases {
            let p = profile(platform).unwrap();
            assert_eq!(
                p.level_of(prompt).map(|l| l.name),
                Some(*level),
                "{platform} {prompt}"
            );
        }
    }

    #[test]
    fn base_prompt_is_the_hostname() {
        let cases: &[(&str, &str, &str)] = &[
            ("cisco_ios", "R1>", "R1"),
            ("cisco_ios", "R1(config-router)#", "R1"),
            (
                "cisco_xr",
                "RP/0/RSP0/CPU0:xr1(config)#",
                "RP/0/RSP0/CPU0:xr1",
            ),
            ("arista_eos", "leaf1(config)#", "leaf1"),
            ("juniper_junos", "admin@vmx1> ", "admin@vmx1"),
            ("linux", "me@box:~$ ", "me@box"),
        ];
        for (platform, line, base) in cases {
            let p = profile(platform).unwrap();
            assert_eq!(&p.base_prompt.captures(line).unwrap()[1], *base, "{line}");
        }
    }

    #[test]
    fn every_profile_compiles_and_has_its_default_level() {
        for name in profile_names() {
            let p = profile(name).unwrap();
            assert!(p.level(p.default_level).is_some(), "{name}");
            assert!(p.level(p.config.level).is_some(), "{name}");
        }
    }

    #[test]
    fn config_mode_is_entered_and_left_by_its_privilege_level() {
        for name in profile_names() {
            let p = profile(name).unwrap();
            let config = p.level(p.config.level).unwrap();
            assert_eq!(config.previous, Some(p.default_level), "{name}");
            assert!(!config.escalate.is_empty(), "{name}");
            assert!(!config.deescalate.is_empty(), "{name}");
        }
    }

    #[test]
    fn candidate_platforms_commit_and_the_others_do_not() {
        let commits = |name: &str| profile(name).unwrap().config.commit.is_some();
        for name in ["juniper_junos", "cisco_xr"] {
            assert!(commits(name), "{name}");
            assert!(
                matches!(profile(name).unwrap().save, Save::ByCommit),
                "{name}"
            );
        }
        for name in [
            "cisco_ios",
            "cisco_nxos",
            "arista_eos",
            "cisco_asa",
            "linux",
        ] {
            assert!(!commits(name), "{name}");
        }
        assert!(matches!(profile("linux").unwrap().save, Save::Nothing));
    }

    #[test]
    fn question_lines_of_each_platform_match_and_prompts_do_not() {
        let asks = |platform: &str, line: &str| {
            profile(platform)
                .unwrap()
                .questions
                .iter()
                .any(|q| q.is_match(line))
        };
        for line in [
            "Destination filename [startup-config]? ",
            "Proceed with reload? [confirm]",
            "System configuration has been modified. Save? [yes/no]: ",
            "Delete filename [test.txt]? ",
            "Do you want to continue? (y/n) [n] ",
        ] {
            assert!(asks("cisco_ios", line), "{line}");
            assert!(asks("cisco_nxos", line), "{line}");
        }
        assert!(asks(
            "cisco_xr",
            "Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:"
        ));
        assert!(asks("juniper_junos", "Reboot the system ? [yes,no] (no) "));
        assert!(asks("linux", "Do you want to continue? [Y/n] "));
        assert!(asks(
            "linux",
            "Are you sure you want to continue connecting (yes/no/[fingerprint])? "
        ));
        for (platform, prompt) in [
            ("cisco_ios", "R1#"),
            ("cisco_ios", "R1(config-if)#"),
            ("juniper_junos", "admin@vmx1> "),
            ("linux", "admin@host:~$ "),
        ] {
            assert!(!asks(platform, prompt), "{prompt}");
        }
    }

    #[test]
    fn cisco_save_questions_match_but_its_success_line_does_not() {
        let ios = profile("cisco_ios").unwrap();
        let Save::Command(save) = &ios.save else {
            panic!("IOS saves with a command");
        };
        let confirm = &save.questions[0].pattern;
        assert!(confirm.is_match("Destination filename [startup-config]? "));
        assert!(confirm.is_match("Overwrite the previous NVRAM configuration?[confirm]"));
        for line in [
            "[OK]",
            "Building configuration...",
            "R1#",
            "[startup-config]",
        ] {
            assert!(!confirm.is_match(line), "{line}");
        }
    }

    #[test]
    fn pager_prompts_of_each_platform() {
        let cases: &[(&str, &str)] = &[
            ("cisco_nxos", " --More-- "),
            ("cisco_asa", "<--- More --->"),
            ("juniper_junos", "---(more)---"),
            ("juniper_junos", "---(more 45%)---"),
            ("arista_eos", " --More-- "),
        ];
        for (platform, pager) in cases {
            let more = profile(platform).unwrap().more_pattern.as_ref().unwrap();
            assert!(more.is_match(pager), "{platform} {pager}");
        }
    }

    #[test]
    fn junos_context_lines_belong_to_the_prompt() {
        let context = profile("juniper_junos")
            .unwrap()
            .prompt_context
            .as_ref()
            .unwrap();
        for line in ["[edit]", "[edit interfaces ge-0/0/0]", "{master:0}"] {
            assert!(context.is_match(line), "{line}");
        }
        assert!(!context.is_match("set system host-name vmx1"));
    }

    #[test]
    fn volatile_lines_of_each_show_config() {
        let cases: &[(&str, &str)] = &[
            ("cisco_ios", "Current configuration : 1234 bytes"),
            ("cisco_nxos", "!Time: Wed Dec  2 04:50:34 2026"),
            ("cisco_xr", "Wed Dec  2 04:50:34.123 UTC"),
            (
                "cisco_xr",
                "!! Last configuration change at Wed Dec  2 04:50:34 2026 by admin",
            ),
            ("cisco_asa", "Cryptochecksum:1a2b3c4d"),
            ("arista_eos", "! Command: show running-config"),
            (
                "juniper_junos",
                "## Last commit: 2026-12-02 04:50:34 UTC by admin",
            ),
        ];
        for (platform, line) in cases {
            let volatile = profile(platform)
                .unwrap()
                .volatile_config_lines
                .as_ref()
                .unwrap();
            assert!(volatile.is_match(line), "{platform} {line}");
            assert!(!volatile.is_match("hostname R1"), "{platform}");
        }
    }
}
