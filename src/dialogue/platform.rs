//! Platform profiles as data, in the manner of scrapli's platform definitions: prompt patterns per
//! privilege level, how to escalate, paging-off commands, the `--More--` pattern, error strings,
//! login prompts, config mode and save commands — plus the Netmiko `device_type` names that select
//! a profile and a transport.
//!
//! Nothing here is code about a vendor: the `Dialogue` reads these tables. Regexes are compiled
//! once, on first use.

use std::sync::LazyLock;

use regex::Regex;

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
    /// Escalating asks for a password (the enable secret).
    pub escalate_auth: bool,
    /// Command that moves back to `previous` (e.g. `disable`, `end`).
    pub deescalate: &'static str,
}

/// How a platform saves its configuration.
#[derive(Debug)]
pub struct SaveCommand {
    pub command: &'static str,
    /// Text the reply contains when the save worked, e.g. `[OK]`.
    pub success: &'static str,
    /// A question the save may ask, answered with Enter (the default), e.g.
    /// `Destination filename [startup-config]?` or `Overwrite the previous NVRAM
    /// configuration?[confirm]`; matched on the last line received.
    pub confirm: Option<Regex>,
    /// Privilege level the command runs at: `privilege_exec` (IOS `write memory`, after leaving
    /// config mode) or the config level (Junos `commit`, before leaving it).
    pub level: &'static str,
}

/// Configuration mode: a privilege level like any other, entered with that level's `escalate`
/// and left with its `deescalate`; only the fallback is its own.
#[derive(Debug)]
pub struct ConfigMode {
    /// Privilege level name of configuration mode.
    pub level: &'static str,
    /// Sent repeatedly when the level's `deescalate` does not bring back the privileged prompt
    /// (some devices reject `end` in sub-modes).
    pub leave_fallback: &'static str,
}

/// A platform's CLI behaviour.
#[derive(Debug)]
pub struct Profile {
    pub name: &'static str,
    /// Privilege levels, lowest first.
    pub privilege_levels: Vec<PrivilegeLevel>,
    /// The level commands run at (after login and escalation).
    pub default_level: &'static str,
    /// Captures (group 1) the stable part of a prompt, e.g. the hostname `R1` of `R1(config)#`.
    pub base_prompt: Regex,
    /// What may follow the base prompt on a prompt line, anchored at the start, e.g. `(config)#`.
    pub prompt_suffix: Regex,
    /// Sent after login to stop paging; replies are discarded.
    pub paging_off: &'static [&'static str],
    /// A pager prompt at the end of the received text, e.g. ` --More-- `; answered with a space.
    pub more_pattern: Option<Regex>,
    /// A command failed when a line of its output starts with one of these.
    pub failed_when_contains: &'static [&'static str],
    /// Telnet login prompts (matched on the last line received).
    pub username_prompt: Regex,
    pub password_prompt: Regex,
    /// Text that means the login was rejected.
    pub login_failed: &'static [&'static str],
    /// Text that means escalation (enable) was rejected.
    pub escalate_failed: &'static [&'static str],
    pub config: ConfigMode,
    pub save: Option<SaveCommand>,
    /// Shows the running configuration (for `--diff`).
    pub show_config: Option<&'static str>,
    /// Lines of `show_config` output that change without a config change (build banners, byte
    /// counts, timestamps), by prefix; dropped before a diff.
    pub volatile_config_lines: &'static [&'static str],
    /// Ends the session; sent without waiting for a reply.
    pub exit_command: &'static str,
}

impl Profile {
    /// The privilege level whose pattern matches `prompt_line`, if any.
    pub fn level_of(&self, prompt_line: &str) -> Option<&PrivilegeLevel> {
        self.privilege_levels
            .iter()
            .rev()
            .find(|level| level.pattern.is_match(prompt_line))
    }

    #[cfg(test)]
    pub fn level(&self, name: &str) -> Option<&PrivilegeLevel> {
        self.privilege_levels.iter().find(|l| l.name == name)
    }
}

/// What a Netmiko `device_type` selects: a profile and a transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceType {
    pub platform: &'static str,
    pub transport: TransportKind,
}

/// Netmiko device_type names netrun understands, with the profile and transport each selects.
const DEVICE_TYPES: &[(&str, &str, TransportKind)] = &[
    ("cisco_ios", "cisco_ios", TransportKind::Ssh),
    ("cisco_ios_ssh", "cisco_ios", TransportKind::Ssh),
    ("cisco_ios_telnet", "cisco_ios", TransportKind::Telnet),
    ("cisco_xe", "cisco_ios", TransportKind::Ssh),
    ("arista_eos", "arista_eos", TransportKind::Ssh),
    ("arista_eos_ssh", "arista_eos", TransportKind::Ssh),
    ("arista_eos_telnet", "arista_eos", TransportKind::Telnet),
    ("juniper_junos", "juniper_junos", TransportKind::Ssh),
    ("juniper", "juniper_junos", TransportKind::Ssh),
    (
        "juniper_junos_telnet",
        "juniper_junos",
        TransportKind::Telnet,
    ),
    ("linux", "linux", TransportKind::Ssh),
    ("linux_ssh", "linux", TransportKind::Ssh),
];

/// The profile and transport a Netmiko `device_type` selects; `None` for an unknown name.
pub fn lookup_device_type(device_type: &str) -> Option<DeviceType> {
    DEVICE_TYPES
        .iter()
        .find(|(name, _, _)| *name == device_type)
        .map(|&(_, platform, transport)| DeviceType {
            platform,
            transport,
        })
}

/// Every device_type name `lookup_device_type` accepts, for error messages.
pub fn device_type_names() -> Vec<&'static str> {
    DEVICE_TYPES.iter().map(|(name, _, _)| *name).collect()
}

/// The profile named `platform` (`cisco_ios`, `arista_eos`, `juniper_junos`, `linux`).
pub fn profile(platform: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.name == platform)
}

/// Every profile name, for error messages.
pub fn profile_names() -> Vec<&'static str> {
    PROFILES.iter().map(|p| p.name).collect()
}

static PROFILES: LazyLock<Vec<Profile>> =
    LazyLock::new(|| vec![cisco_ios(), arista_eos(), juniper_junos(), linux()]);

/// Compiles a pattern from the tables below; they are constants, so failure is a programming error
/// caught by the unit tests.
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad profile regex {pattern:?}: {e}"))
}

fn level(
    name: &'static str,
    pattern: &str,
    previous: Option<&'static str>,
    escalate: &'static str,
    escalate_auth: bool,
    deescalate: &'static str,
) -> PrivilegeLevel {
    PrivilegeLevel {
        name,
        pattern: re(pattern),
        previous,
        escalate,
        escalate_auth,
        deescalate,
    }
}

const USERNAME_PROMPT: &str = r"(?i)(user ?name|login)\s*:\s*$";
const PASSWORD_PROMPT: &str = r"(?i)password\s*:\s*$";
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
/// Volatile lines of IOS/EOS `show running-config`.
const CISCO_LIKE_VOLATILE: &[&str] = &[
    "Building configuration...",
    "Current configuration :",
    "! Last configuration change at",
    "! NVRAM config last updated at",
    "! No configuration change since last restart",
    "! Time:",
    "ntp clock-period",
];

pub(super) fn cisco_ios() -> Profile {
    Profile {
        name: "cisco_ios",
        privilege_levels: vec![
            level(
                "exec",
                r"^[A-Za-z0-9_.\-@/:]{1,63}>\s*$",
                None,
                "",
                false,
                "",
            ),
            level(
                "privilege_exec",
                r"^[A-Za-z0-9_.\-@/:]{1,63}#\s*$",
                Some("exec"),
                "enable",
                true,
                "disable",
            ),
            level(
                "configuration",
                r"^[A-Za-z0-9_.\-@/:]{1,63}\(conf[A-Za-z0-9_.\-@/:+]{0,32}\)#\s*$",
                Some("privilege_exec"),
                "configure terminal",
                false,
                "end",
            ),
        ],
        default_level: "privilege_exec",
        base_prompt: re(
            r"^([A-Za-z0-9_.\-@/:]{1,63}?)(\(conf[A-Za-z0-9_.\-@/:+]{0,32}\))?[>#]\s*$",
        ),
        prompt_suffix: re(r"^(\(conf[A-Za-z0-9_.\-@/:+]{0,32}\))?[>#]\s*$"),
        paging_off: &["terminal length 0", "terminal width 511"],
        more_pattern: Some(re(r"[ \t]*--More--[ \t]*$")),
        failed_when_contains: CISCO_LIKE_ERRORS,
        username_prompt: re(USERNAME_PROMPT),
        password_prompt: re(PASSWORD_PROMPT),
        login_failed: &["% Login invalid", "% Authentication failed"],
        escalate_failed: &["% Access denied", "% Bad secrets", "% No password set"],
        config: ConfigMode {
            level: "configuration",
            leave_fallback: "exit",
        },
        save: Some(SaveCommand {
            command: "write memory",
            success: "[OK]",
            confirm: Some(re(r"(\[confirm\]|\]\?)\s*$")),
            level: "privilege_exec",
        }),
        show_config: Some("show running-config"),
        volatile_config_lines: CISCO_LIKE_VOLATILE,
        exit_command: "exit",
    }
}

fn arista_eos() -> Profile {
    Profile {
        name: "arista_eos",
        privilege_levels: vec![
            level(
                "exec",
                r"^[A-Za-z0-9_.\-@()/: ]{1,63}>\s*$",
                None,
                "",
                false,
                "",
            ),
            level(
                "privilege_exec",
                r"^[A-Za-z0-9_.\-@()/: ]{1,63}#\s*$",
                Some("exec"),
                "enable",
                true,
                "disable",
            ),
            level(
                "configuration",
                r"^[A-Za-z0-9_.\-@()/: ]{1,63}\(config[A-Za-z0-9_.\-@/:+]{0,63}\)#\s*$",
                Some("privilege_exec"),
                "configure terminal",
                false,
                "end",
            ),
        ],
        default_level: "privilege_exec",
        base_prompt: re(
            r"^([A-Za-z0-9_.\-@/: ]{1,63}?)(\(config[A-Za-z0-9_.\-@/:+]{0,63}\))?[>#]\s*$",
        ),
        prompt_suffix: re(r"^(\(config[A-Za-z0-9_.\-@/:+]{0,63}\))?[>#]\s*$"),
        paging_off: &["terminal length 0", "terminal width 32767"],
        more_pattern: Some(re(r"[ \t]*--More--[ \t]*$")),
        failed_when_contains: &[
            "% Invalid input",
            "% Incomplete command",
            "% Ambiguous command",
            "% Unknown command",
            "% Error",
            "% Cannot commit",
            "% Unavailable command",
        ],
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
        config: ConfigMode {
            level: "configuration",
            leave_fallback: "exit",
        },
        save: Some(SaveCommand {
            command: "copy running-config startup-config",
            success: "Copy completed successfully",
            confirm: None,
            level: "privilege_exec",
        }),
        show_config: Some("show running-config"),
        volatile_config_lines: CISCO_LIKE_VOLATILE,
        exit_command: "exit",
    }
}

fn juniper_junos() -> Profile {
    Profile {
        name: "juniper_junos",
        privilege_levels: vec![
            level(
                "exec",
                r"^[A-Za-z0-9_\-@()/:.]{1,63}>\s*$",
                None,
                "",
                false,
                "",
            ),
            level(
                "configuration",
                r"^[A-Za-z0-9_\-@()/:.]{1,63}#\s*$",
                Some("exec"),
                "configure",
                false,
                "exit configuration-mode",
            ),
        ],
        default_level: "exec",
        base_prompt: re(r"^([A-Za-z0-9_\-@()/:.]{1,63}?)[>#]\s*$"),
        prompt_suffix: re(r"^[>#]\s*$"),
        paging_off: &[
            "set cli screen-length 0",
            "set cli screen-width 511",
            "set cli complete-on-space off",
        ],
        more_pattern: Some(re(r"[ \t]*---\(more( \d+%)?\)---[ \t]*$")),
        failed_when_contains: &[
            "unknown command",
            "syntax error",
            "is ambiguous",
            "No valid completions",
            "missing argument",
            "error:",
        ],
        username_prompt: re(USERNAME_PROMPT),
        password_prompt: re(PASSWORD_PROMPT),
        login_failed: &["Login incorrect"],
        escalate_failed: &[],
        config: ConfigMode {
            level: "configuration",
            leave_fallback: "exit",
        },
        save: Some(SaveCommand {
            command: "commit",
            success: "commit complete",
            confirm: None,
            level: "configuration",
        }),
        show_config: Some("show configuration"),
        volatile_config_lines: &["## Last commit:", "## Last changed:"],
        exit_command: "exit",
    }
}

fn linux() -> Profile {
    Profile {
        name: "linux",
        privilege_levels: vec![level(
            "exec",
            r"^[A-Za-z0-9_.\-@()/:~\[\] ]{1,63}[#$]\s*$",
            None,
            "",
            false,
            "",
        )],
        default_level: "exec",
        base_prompt: re(
            r"^([A-Za-z0-9_.\-]{1,63}@[A-Za-z0-9_.\-]{1,63}|[A-Za-z0-9_.\-]{1,63})[^#$]*[#$]\s*$",
        ),
        prompt_suffix: re(r"^[^#$\n]*[#$]\s*$"),
        paging_off: &[],
        more_pattern: None,
        failed_when_contains: &["-bash: ", "bash: ", "sh: "],
        username_prompt: re(USERNAME_PROMPT),
        password_prompt: re(PASSWORD_PROMPT),
        login_failed: &["Login incorrect", "Permission denied"],
        escalate_failed: &[],
        config: ConfigMode {
            level: "exec",
            leave_fallback: "",
        },
        save: None,
        show_config: None,
        volatile_config_lines: &[],
        exit_command: "exit",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_device_type_selects_an_existing_profile() {
        for name in device_type_names() {
            let device_type = lookup_device_type(name).unwrap();
            assert!(profile(device_type.platform).is_some(), "{name}");
        }
        assert_eq!(lookup_device_type("nokia_sros"), None);
    }

    #[test]
    fn telnet_names_select_telnet() {
        let telnet = lookup_device_type("cisco_ios_telnet").unwrap();
        assert_eq!(telnet.platform, "cisco_ios");
        assert_eq!(telnet.transport, TransportKind::Telnet);
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

    #[test]
    fn base_prompt_is_the_hostname() {
        let ios = profile("cisco_ios").unwrap();
        for line in ["R1>", "R1#", "R1(config-router)#"] {
            let base = ios.base_prompt.captures(line).unwrap();
            assert_eq!(&base[1], "R1", "{line}");
        }
        let junos = profile("juniper_junos").unwrap();
        assert_eq!(
            &junos.base_prompt.captures("admin@vmx1> ").unwrap()[1],
            "admin@vmx1"
        );
        let linux = profile("linux").unwrap();
        assert_eq!(
            &linux.base_prompt.captures("me@box:~$ ").unwrap()[1],
            "me@box"
        );
    }

    #[test]
    fn every_profile_compiles_and_has_its_default_level() {
        for name in profile_names() {
            let p = profile(name).unwrap();
            assert!(p.level(p.default_level).is_some(), "{name}");
            assert!(p.level(p.config.level).is_some(), "{name}");
            if let Some(save) = &p.save {
                assert!(p.level(save.level).is_some(), "{name}");
            }
        }
    }

    #[test]
    fn config_mode_is_entered_and_left_by_its_privilege_level() {
        for name in profile_names() {
            let p = profile(name).unwrap();
            if p.config.level == p.default_level {
                continue;
            }
            let config = p.level(p.config.level).unwrap();
            assert_eq!(config.previous, Some(p.default_level), "{name}");
            assert!(!config.escalate.is_empty(), "{name}");
            assert!(!config.deescalate.is_empty(), "{name}");
        }
    }

    #[test]
    fn cisco_save_questions_match_but_its_success_line_does_not() {
        let ios = profile("cisco_ios").unwrap();
        let confirm = ios.save.as_ref().unwrap().confirm.as_ref().unwrap();
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
}
