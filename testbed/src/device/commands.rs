//! Exec-mode grammars (user `>` and privileged `#`) and the `|` filter grammar.

use std::sync::OnceLock;

use super::grammar::Grammar;

/// Exec-mode commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecCmd {
    Enable,
    Disable,
    /// `exit`, `logout`, `quit`.
    Logout,
    ConfigureTerminal,
    Show(Show),
    TerminalLength,
    TerminalWidth,
    TerminalMonitor,
    WriteMemory,
    CopyRunStart,
    /// `reload`: asks to save a modified config, then `[confirm]`.
    Reload,
    /// `delete FILE`: asks for the file name, then `[confirm]`.
    Delete,
    /// `clear counters`: `[confirm]`.
    ClearCounters,
    /// A real IOS command the testbed does not simulate; it exists so that prefixes are as
    /// ambiguous as on IOS (`s` matches `show`, `ssh`, `setup`...). Running it is invalid input.
    NotSimulated,
}

/// `show` commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Version,
    Clock,
    IpInterfaceBrief,
    Interfaces,
    InterfacesDescription,
    RunningConfig,
    StartupConfig,
    Arp,
    IpRoute,
    TechSupport,
    Privilege,
}

/// Filters after `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterCmd {
    Include,
    Exclude,
    Section,
    Begin,
    Count,
    NotSimulated,
}

const USER_SHOWS: [(&str, ExecCmd); 11] = [
    ("show version", ExecCmd::Show(Show::Version)),
    ("show clock", ExecCmd::Show(Show::Clock)),
    (
        "show ip interface brief",
        ExecCmd::Show(Show::IpInterfaceBrief),
    ),
    ("show ip route", ExecCmd::Show(Show::IpRoute)),
    ("show ip arp", ExecCmd::Show(Show::Arp)),
    ("show arp", ExecCmd::Show(Show::Arp)),
    ("show interfaces", ExecCmd::Show(Show::Interfaces)),
    ("show interfaces IFNAME", ExecCmd::Show(Show::Interfaces)),
    (
        "show interfaces description",
        ExecCmd::Show(Show::InterfacesDescription),
    ),
    ("show privilege", ExecCmd::Show(Show::Privilege)),
    ("show users", ExecCmd::NotSimulated),
];

const USER_COMMANDS: [(&str, ExecCmd); 17] = [
    ("enable", ExecCmd::Enable),
    ("disable", ExecCmd::Disable),
    ("exit", ExecCmd::Logout),
    ("logout", ExecCmd::Logout),
    ("quit", ExecCmd::Logout),
    ("terminal length <0-512>", ExecCmd::TerminalLength),
    ("terminal width <0-512>", ExecCmd::TerminalWidth),
    ("terminal monitor", ExecCmd::TerminalMonitor),
    ("terminal no monitor", ExecCmd::TerminalMonitor),
    ("connect", ExecCmd::NotSimulated),
    ("disconnect", ExecCmd::NotSimulated),
    ("ping", ExecCmd::NotSimulated),
    ("ssh", ExecCmd::NotSimulated),
    ("systat", ExecCmd::NotSimulated),
    ("telnet", ExecCmd::NotSimulated),
    ("traceroute", ExecCmd::NotSimulated),
    ("terminal history", ExecCmd::NotSimulated),
];

const PRIVILEGED_ONLY: [(&str, ExecCmd); 19] = [
    ("configure terminal", ExecCmd::ConfigureTerminal),
    ("show running-config", ExecCmd::Show(Show::RunningConfig)),
    ("show startup-config", ExecCmd::Show(Show::StartupConfig)),
    ("show tech-support", ExecCmd::Show(Show::TechSupport)),
    ("write", ExecCmd::WriteMemory),
    ("write memory", ExecCmd::WriteMemory),
    ("write terminal", ExecCmd::Show(Show::RunningConfig)),
    ("copy running-config startup-config", ExecCmd::CopyRunStart),
    ("clear", ExecCmd::NotSimulated),
    ("clock", ExecCmd::NotSimulated),
    ("debug", ExecCmd::NotSimulated),
    ("dir", ExecCmd::NotSimulated),
    ("reload", ExecCmd::Reload),
    ("delete WORD", ExecCmd::Delete),
    ("delete", ExecCmd::NotSimulated),
    ("clear counters", ExecCmd::ClearCounters),
    ("send", ExecCmd::NotSimulated),
    ("setup", ExecCmd::NotSimulated),
    ("undebug", ExecCmd::NotSimulated),
];

/// The user-exec (`R1>`) grammar.
pub fn user_grammar() -> &'static Grammar<ExecCmd> {
    static G: OnceLock<Grammar<ExecCmd>> = OnceLock::new();
    G.get_or_init(|| Grammar::new(&[&USER_COMMANDS[..], &USER_SHOWS[..]].concat()))
}

/// The privileged-exec (`R1#`) grammar.
pub fn privileged_grammar() -> &'static Grammar<ExecCmd> {
    static G: OnceLock<Grammar<ExecCmd>> = OnceLock::new();
    G.get_or_init(|| {
        Grammar::new(&[&USER_COMMANDS[..], &USER_SHOWS[..], &PRIVILEGED_ONLY[..]].concat())
    })
}

/// The grammar of what follows `|`.
pub fn filter_grammar() -> &'static Grammar<FilterCmd> {
    static G: OnceLock<Grammar<FilterCmd>> = OnceLock::new();
    G.get_or_init(|| {
        Grammar::new(&[
            ("include LINE", FilterCmd::Include),
            ("exclude LINE", FilterCmd::Exclude),
            ("section LINE", FilterCmd::Section),
            ("begin LINE", FilterCmd::Begin),
            ("count", FilterCmd::Count),
            ("count LINE", FilterCmd::Count),
            ("append", FilterCmd::NotSimulated),
            ("format", FilterCmd::NotSimulated),
            ("redirect", FilterCmd::NotSimulated),
            ("tee", FilterCmd::NotSimulated),
        ])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::grammar::ParseError;

    #[test]
    fn common_abbreviations_resolve() {
        let g = privileged_grammar();
        let cmd = |line: &str| g.parse(line).map(|p| p.command);
        assert_eq!(
            cmd("sh ip int br"),
            Ok(ExecCmd::Show(Show::IpInterfaceBrief))
        );
        assert_eq!(cmd("conf t"), Ok(ExecCmd::ConfigureTerminal));
        assert_eq!(cmd("term len 0"), Ok(ExecCmd::TerminalLength));
        assert_eq!(cmd("wr"), Ok(ExecCmd::WriteMemory));
        assert_eq!(cmd("copy run start"), Ok(ExecCmd::CopyRunStart));
        assert_eq!(
            cmd("sh int des"),
            Ok(ExecCmd::Show(Show::InterfacesDescription))
        );
        assert_eq!(cmd("sh int gi0/0"), Ok(ExecCmd::Show(Show::Interfaces)));
        assert_eq!(cmd("s"), Err(ParseError::Ambiguous));
        assert_eq!(cmd("co"), Err(ParseError::Ambiguous));
        assert_eq!(cmd("te"), Err(ParseError::Ambiguous));
        assert_eq!(
            user_grammar().parse("show run").map(|p| p.command),
            Err(ParseError::Invalid(5))
        );
        let f = filter_grammar();
        assert_eq!(f.parse("s ^router ospf").unwrap().words[1], "^router ospf");
        assert_eq!(f.parse("i").map(|p| p.command), Err(ParseError::Incomplete));
    }
}
