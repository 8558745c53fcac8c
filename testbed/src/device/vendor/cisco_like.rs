//! NX-OS, IOS-XR, EOS and ASA: IOS-shaped CLIs (`>`/`#`, `configure terminal`, sub-modes,
//! `end`) that differ in tables: where a session starts, how `enable` behaves, the paging and
//! width commands and their replies, the command set, how config is committed or saved, and the
//! error texts (in `platform.rs`).

use std::sync::OnceLock;

use super::super::grammar::{Grammar, ParseError, Parsed};
use super::super::platform::Platform;
use super::super::session::parse_filter;
use super::super::Device;
use super::model::{apply_sub, canonical_interface, short_interface, VConfig};
use super::show::{xr_show_stamp, VView};
use super::{Action, Level, Pending, Shell};

/// What a parsed line does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum V {
    Enable,
    Disable,
    Logout,
    Configure,
    TermLength,
    TermPager,
    TermWidth,
    Show(S),
    CopyRunStart,
    WriteMemory,
    /// A real command the testbed does not simulate (keeps prefixes as ambiguous as real).
    NotSimulated,
    Hostname,
    Interface,
    NoInterface,
    /// Enters a section named by the line (`vlan 10`, `router ospf 1`).
    Section,
    /// A top-level statement kept as typed (keywords spelled out).
    Global,
    /// A statement inside a section.
    Sub,
    /// Accepted and ignored (ASA's config-mode `terminal width`).
    Ignored,
    Commit,
    Abort,
    Exit,
    End,
    Do,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum S {
    Version,
    Clock,
    IpBrief,
    InterfaceBrief,
    InterfacesStatus,
    Running,
    Startup,
    /// IOS-XR in config mode: the uncommitted changes.
    Configuration,
    ConfigurationFailed,
    CurPriv,
    Privilege,
}

type Patterns = &'static [(&'static str, V)];

/// What differs between the four.
struct Dialect {
    exec: Patterns,
    privileged: Patterns,
    global: Patterns,
    interface: Patterns,
    section: Patterns,
    /// Config changes go to a candidate that `commit` applies (IOS-XR).
    commits: bool,
    /// The banner `configure terminal` prints.
    configure_banner: &'static str,
}

const EXEC_COMMON: Patterns = &[
    ("exit", V::Logout),
    ("logout", V::Logout),
    ("show version", V::Show(S::Version)),
    ("show clock", V::Show(S::Clock)),
    ("ping", V::NotSimulated),
    ("traceroute", V::NotSimulated),
    ("ssh", V::NotSimulated),
    ("telnet", V::NotSimulated),
];

const CONFIG_COMMON: Patterns = &[
    ("hostname WORD", V::Hostname),
    ("interface LINE", V::Interface),
    ("no interface LINE", V::NoInterface),
    ("ntp server A.B.C.D", V::Global),
    ("no ntp server A.B.C.D", V::Global),
    ("do LINE", V::Do),
    ("exit", V::Exit),
    ("end", V::End),
];

const IF_COMMON: Patterns = &[
    ("description LINE", V::Sub),
    ("no description", V::Sub),
    ("shutdown", V::Sub),
    ("no shutdown", V::Sub),
    ("mtu <576-9216>", V::Sub),
    ("no mtu", V::Sub),
    ("exit", V::Exit),
    ("end", V::End),
    ("do LINE", V::Do),
];

const SECTION_COMMON: Patterns = &[
    ("name WORD", V::Sub),
    ("no name", V::Sub),
    ("exit", V::Exit),
    ("end", V::End),
    ("do LINE", V::Do),
];

static NXOS: Dialect = Dialect {
    exec: &[
        ("terminal length <0-511>", V::TermLength),
        ("terminal width <24-511>", V::TermWidth),
        ("show ip interface brief", V::Show(S::IpBrief)),
        ("show interface brief", V::Show(S::InterfaceBrief)),
        ("show hostname", V::NotSimulated),
        ("show interface", V::NotSimulated),
        ("configure terminal", V::Configure),
        ("configure", V::Configure),
        ("show running-config", V::Show(S::Running)),
        ("show startup-config", V::Show(S::Startup)),
        ("copy running-config startup-config", V::CopyRunStart),
        ("clear", V::NotSimulated),
        ("reload", V::NotSimulated),
    ],
    privileged: &[],
    global: &[
        ("feature WORD", V::Global),
        ("no feature WORD", V::Global),
        ("logging server A.B.C.D", V::Global),
        ("no logging server A.B.C.D", V::Global),
        ("ip route A.B.C.D/M A.B.C.D", V::Global),
        ("no ip route A.B.C.D/M A.B.C.D", V::Global),
        ("username WORD password LINE", V::Global),
        ("vlan <1-4094>", V::Section),
        ("no vlan <1-4094>", V::Global),
    ],
    interface: &[
        ("ip address A.B.C.D/M", V::Sub),
        ("no ip address", V::Sub),
        ("switchport", V::Sub),
        ("no switchport", V::Sub),
    ],
    section: &[],
    commits: false,
    configure_banner: "Enter configuration commands, one per line. End with CNTL/Z.\n",
};

static XR: Dialect = Dialect {
    exec: &[
        ("terminal length <0-512>", V::TermLength),
        ("terminal width <0-512>", V::TermWidth),
        ("show ipv4 interface brief", V::Show(S::IpBrief)),
        ("show ip interface brief", V::Show(S::IpBrief)),
        ("show interfaces", V::NotSimulated),
        ("configure terminal", V::Configure),
        ("configure", V::Configure),
        ("show running-config", V::Show(S::Running)),
        ("show configuration failed", V::Show(S::ConfigurationFailed)),
        ("admin", V::NotSimulated),
        ("clear", V::NotSimulated),
        ("reload", V::NotSimulated),
    ],
    privileged: &[],
    global: &[
        ("logging A.B.C.D", V::Global),
        ("no logging A.B.C.D", V::Global),
        ("domain name WORD", V::Global),
        ("no domain name", V::Global),
        ("router ospf WORD", V::Section),
        ("no router ospf WORD", V::Global),
        ("commit", V::Commit),
        ("abort", V::Abort),
        ("show configuration", V::Show(S::Configuration)),
        ("show running-config", V::Show(S::Running)),
    ],
    interface: &[
        ("ipv4 address A.B.C.D A.B.C.D", V::Sub),
        ("no ipv4 address", V::Sub),
        ("commit", V::Commit),
    ],
    section: &[("router-id A.B.C.D", V::Sub), ("commit", V::Commit)],
    commits: true,
    configure_banner: "",
};

static EOS: Dialect = Dialect {
    exec: &[
        ("enable", V::Enable),
        ("terminal length <0-32767>", V::TermLength),
        ("terminal width <10-32767>", V::TermWidth),
        ("show ip interface brief", V::Show(S::IpBrief)),
        ("show interfaces status", V::Show(S::InterfacesStatus)),
        ("show privilege", V::Show(S::Privilege)),
        ("show interfaces", V::NotSimulated),
    ],
    privileged: &[
        ("disable", V::Disable),
        ("configure terminal", V::Configure),
        ("configure", V::Configure),
        ("show running-config", V::Show(S::Running)),
        ("show startup-config", V::Show(S::Startup)),
        ("copy running-config startup-config", V::CopyRunStart),
        ("write memory", V::WriteMemory),
        ("write", V::WriteMemory),
        ("clear", V::NotSimulated),
        ("reload", V::NotSimulated),
    ],
    global: &[
        ("logging host A.B.C.D", V::Global),
        ("no logging host A.B.C.D", V::Global),
        ("ip route A.B.C.D/M A.B.C.D", V::Global),
        ("no ip route A.B.C.D/M A.B.C.D", V::Global),
        ("username WORD secret LINE", V::Global),
        ("vlan <1-4094>", V::Section),
        ("no vlan <1-4094>", V::Global),
        ("show running-config", V::Show(S::Running)),
    ],
    interface: &[
        ("ip address A.B.C.D/M", V::Sub),
        ("no ip address", V::Sub),
        ("switchport", V::Sub),
        ("no switchport", V::Sub),
    ],
    section: &[],
    commits: false,
    configure_banner: "",
};

static ASA: Dialect = Dialect {
    exec: &[
        ("enable", V::Enable),
        ("terminal pager <0-2147483647>", V::TermPager),
        ("terminal pager lines <0-2147483647>", V::TermPager),
        ("show interface ip brief", V::Show(S::IpBrief)),
        ("show curpriv", V::Show(S::CurPriv)),
        ("show interface", V::NotSimulated),
    ],
    privileged: &[
        ("disable", V::Disable),
        ("configure terminal", V::Configure),
        ("show running-config", V::Show(S::Running)),
        ("show startup-config", V::Show(S::Startup)),
        ("copy running-config startup-config", V::CopyRunStart),
        ("write memory", V::WriteMemory),
        ("write", V::WriteMemory),
        ("clear", V::NotSimulated),
        ("reload", V::NotSimulated),
    ],
    global: &[
        ("terminal width <24-511>", V::Ignored),
        ("logging host WORD A.B.C.D", V::Global),
        ("no logging host WORD A.B.C.D", V::Global),
        ("route WORD A.B.C.D A.B.C.D A.B.C.D", V::Global),
        ("no route WORD A.B.C.D A.B.C.D A.B.C.D", V::Global),
        ("show running-config", V::Show(S::Running)),
        ("show curpriv", V::Show(S::CurPriv)),
    ],
    interface: &[
        ("ip address A.B.C.D A.B.C.D", V::Sub),
        ("no ip address", V::Sub),
        ("nameif WORD", V::Sub),
        ("no nameif", V::Sub),
        ("security-level <0-100>", V::Sub),
    ],
    section: &[],
    commits: false,
    configure_banner: "",
};

fn dialect(platform: Platform) -> &'static Dialect {
    match platform {
        Platform::CiscoNxos => &NXOS,
        Platform::CiscoXr => &XR,
        Platform::AristaEos => &EOS,
        _ => &ASA,
    }
}

/// Which grammar a line is parsed with.
#[derive(Clone, Copy)]
enum Which {
    User,
    Privileged,
    Global,
    Interface,
    Section,
}

fn grammar(platform: Platform, which: Which) -> &'static Grammar<V> {
    const N: usize = 5;
    static GRAMMARS: [[OnceLock<Grammar<V>>; N]; 4] = [const { [const { OnceLock::new() }; N] }; 4];
    let d = dialect(platform);
    let row = match platform {
        Platform::CiscoNxos => 0,
        Platform::CiscoXr => 1,
        Platform::AristaEos => 2,
        _ => 3,
    };
    let (col, parts): (usize, Vec<Patterns>) = match which {
        Which::User => (0, vec![EXEC_COMMON, d.exec]),
        Which::Privileged => (1, vec![EXEC_COMMON, d.exec, d.privileged]),
        Which::Global => (2, vec![CONFIG_COMMON, d.global]),
        Which::Interface => (3, vec![IF_COMMON, d.interface]),
        Which::Section => (4, vec![SECTION_COMMON, d.section]),
    };
    GRAMMARS[row][col].get_or_init(|| Grammar::new(&parts.concat()))
}

pub fn prompt(shell: &Shell, hostname: &str) -> String {
    let host = match shell.platform {
        Platform::CiscoXr => format!("RP/0/RSP0/CPU0:{hostname}"),
        _ => hostname.to_string(),
    };
    let mode = match &shell.config {
        None => {
            return format!(
                "{host}{}",
                if shell.level == Level::User { ">" } else { "#" }
            )
        }
        Some(None) => "config".to_string(),
        Some(Some(header)) => submode_name(shell.platform, header),
    };
    format!("{host}({mode})#")
}

/// `config-if`; EOS names the interface or VLAN (`config-if-Et1`, `config-vlan-10`).
fn submode_name(platform: Platform, header: &str) -> String {
    let (kind, arg) = header.split_once(' ').unwrap_or((header, ""));
    let kind = match kind {
        "interface" => "if",
        "router" => "ospf",
        other => other,
    };
    match platform {
        Platform::AristaEos if kind == "if" => {
            format!("config-if-{}", short_interface(platform, arg))
        }
        Platform::AristaEos => format!("config-{kind}-{arg}"),
        _ => format!("config-{kind}"),
    }
}

pub fn run(shell: &mut Shell, device: &Device, line: &str, prompt_len: usize) -> Action {
    let p = device.spec.platform.personality();
    let (command, filter) = match line.find('|') {
        Some(at) => (&line[..at], Some((at + 1, &line[at + 1..]))),
        None => (line, None),
    };
    let which = match &shell.config {
        None if shell.level == Level::User => Which::User,
        None => Which::Privileged,
        Some(None) => Which::Global,
        Some(Some(h)) if h.starts_with("interface ") => Which::Interface,
        Some(Some(_)) => Which::Section,
    };
    let parsed = match grammar(shell.platform, which).parse(command) {
        // In a sub-mode a global command leaves the sub-mode for it, as on IOS.
        Err(e) if matches!(which, Which::Interface | Which::Section) => {
            match grammar(shell.platform, Which::Global).parse(command) {
                Ok(global) => {
                    shell.config = Some(None);
                    Ok(global)
                }
                Err(_) => show_in_config(shell.platform, command).ok_or(e),
            }
        }
        Err(e) if matches!(which, Which::Global) => {
            show_in_config(shell.platform, command).ok_or(e)
        }
        other => other,
    };
    let parsed = match parsed {
        Ok(parsed) if parsed.command == V::NotSimulated => {
            return Action::Error(p.invalid(prompt_len + parsed.offsets[0]))
        }
        Ok(parsed) => parsed,
        Err(e) => return parse_error(shell, e, line, prompt_len),
    };
    let filter = match filter {
        None => None,
        Some((at, _)) if !matches!(parsed.command, V::Show(_)) => {
            return Action::Error(p.invalid(prompt_len + at - 1))
        }
        Some((at, text)) => match parse_filter(text) {
            Ok(f) => Some(f),
            Err(e) => return parse_error(shell, e, line, prompt_len + at),
        },
    };
    match execute(shell, device, &parsed, prompt_len) {
        Action::Show(text) => Action::Show(match filter {
            Some(f) => f.apply(&text),
            None => text,
        }),
        other => other,
    }
}

/// These four run `show` commands in config mode too (no `do` needed).
fn show_in_config(platform: Platform, command: &str) -> Option<Parsed<V>> {
    grammar(platform, Which::Privileged)
        .parse(command)
        .ok()
        .filter(|p| matches!(p.command, V::Show(_)))
}

fn parse_error(shell: &Shell, e: ParseError, line: &str, column: usize) -> Action {
    let p = shell.platform.personality();
    Action::Error(match e {
        ParseError::Invalid(at) => p.invalid(column + at),
        ParseError::Ambiguous => p.ambiguous(line),
        ParseError::Incomplete => p.incomplete(),
    })
}

fn execute(shell: &mut Shell, device: &Device, p: &Parsed<V>, prompt_len: usize) -> Action {
    let platform = shell.platform;
    let w = &p.words;
    let statement = w.join(" ");
    match p.command {
        V::Enable if shell.level == Level::User => {
            if platform == Platform::CiscoAsa {
                shell.tries = 0;
                return Action::Secret("Password: ".into());
            }
            shell.level = Level::Privileged;
            Action::Output(String::new())
        }
        V::Enable | V::Ignored => Action::Output(String::new()),
        V::Disable => {
            shell.level = Level::User;
            Action::Output(String::new())
        }
        V::Logout => Action::Close,
        V::Configure => {
            shell.config = Some(None);
            if dialect(platform).commits {
                shell.candidate = Some(device.with_vendor(|s, _| s.running.clone()));
            }
            Action::Output(dialect(platform).configure_banner.to_string())
        }
        V::TermLength | V::TermPager => {
            let n = w.last().and_then(|n| n.parse().ok()).unwrap_or(0);
            let reply = match platform {
                Platform::AristaEos if n == 0 => "Pagination disabled.\n",
                _ => "",
            };
            Action::Length(n, reply.to_string())
        }
        V::TermWidth => Action::Output(match platform {
            Platform::AristaEos => format!("Width set to {} columns.\n", w[2]),
            _ => String::new(),
        }),
        V::Show(what) => show(shell, device, what),
        V::CopyRunStart if platform == Platform::CiscoAsa => {
            shell.pending = Some(Pending::CopySource);
            Action::Question("Source filename [running-config]? ".into())
        }
        V::CopyRunStart | V::WriteMemory => save(device, platform),
        V::NotSimulated => Action::Error(platform.personality().invalid(prompt_len)),
        V::Hostname => {
            edit(shell, device, |cfg| cfg.hostname = w[1].clone());
            Action::Output(String::new())
        }
        V::Interface => {
            let typed = &w[1];
            match canonical_interface(platform, typed) {
                Some((name, creatable))
                    if creatable
                        || view_config(shell, device, |cfg| {
                            cfg.section(&format!("interface {name}")).is_some()
                        }) =>
                {
                    let header = format!("interface {name}");
                    edit(shell, device, |cfg| {
                        cfg.section_mut(&header);
                    });
                    shell.config = Some(Some(header));
                    Action::Output(String::new())
                }
                _ => Action::Error(platform.personality().invalid(prompt_len + p.offsets[1])),
            }
        }
        V::NoInterface => match canonical_interface(platform, &w[2]) {
            Some((name, true)) => {
                let header = format!("interface {name}");
                edit(shell, device, |cfg| {
                    cfg.sections.retain(|s| s.header != header)
                });
                Action::Output(String::new())
            }
            _ => Action::Error(platform.personality().invalid(prompt_len + p.offsets[2])),
        },
        V::Section => {
            edit(shell, device, |cfg| {
                cfg.section_mut(&statement);
            });
            shell.config = Some(Some(statement));
            Action::Output(String::new())
        }
        V::Global => {
            edit(shell, device, |cfg| match statement.strip_prefix("no ") {
                // `no vlan 10` removes the section.
                Some(rest) if cfg.section(rest).is_some() => {
                    cfg.sections.retain(|s| s.header != rest)
                }
                _ => cfg.apply_global(&statement),
            });
            Action::Output(String::new())
        }
        V::Sub => {
            let Some(Some(header)) = shell.config.clone() else {
                return Action::Output(String::new());
            };
            edit(shell, device, |cfg| {
                apply_sub(&mut cfg.section_mut(&header).lines, &statement)
            });
            Action::Output(String::new())
        }
        V::Commit => commit(shell, device),
        V::Abort => {
            shell.candidate = None;
            shell.config = None;
            Action::Output(String::new())
        }
        V::Exit => match shell.config {
            Some(Some(_)) => {
                shell.config = Some(None);
                Action::Output(String::new())
            }
            _ => leave_config(shell, device),
        },
        V::End => leave_config(shell, device),
        V::Do => {
            let saved = shell.config.take();
            let action = run(shell, device, &w[1], prompt_len + p.offsets[1]);
            if shell.config.is_none() {
                shell.config = saved;
            }
            action
        }
    }
}

/// Leave config mode; IOS-XR first asks about uncommitted changes.
fn leave_config(shell: &mut Shell, device: &Device) -> Action {
    if shell.platform == Platform::CiscoXr && has_uncommitted(shell, device) {
        shell.pending = Some(Pending::Uncommitted);
        return Action::Question(
            "Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:"
                .into(),
        );
    }
    shell.config = None;
    shell.candidate = None;
    Action::Output(String::new())
}

fn has_uncommitted(shell: &Shell, device: &Device) -> bool {
    let Some(candidate) = &shell.candidate else {
        return false;
    };
    device.with_vendor(|s, _| s.running != *candidate)
}

/// IOS-XR `commit`: the candidate becomes the running config unless an address is used twice.
fn commit(shell: &mut Shell, device: &Device) -> Action {
    let Some(candidate) = shell.candidate.clone() else {
        return Action::Output(String::new());
    };
    if let Some(problem) = duplicate_address(&candidate) {
        shell.failed_commit = Some(problem);
        return Action::Error(
            "\n% Failed to commit one or more configuration items during a pseudo-atomic operation. \
             All changes made have been reverted. Please issue 'show configuration failed \
             [inheritance]' from this session to view the errors\n"
                .into(),
        );
    }
    shell.failed_commit = None;
    device.with_vendor_mut(|s| {
        s.running = candidate.clone();
        s.saved = candidate;
    });
    Action::Output(String::new())
}

/// The first IPv4 address configured on two interfaces, described as XR does.
fn duplicate_address(cfg: &VConfig) -> Option<String> {
    let all: Vec<_> = cfg
        .interfaces()
        .filter_map(|i| Some((i.name, i.address?.0)))
        .collect();
    for (n, (name, address)) in all.iter().enumerate() {
        if let Some((other, _)) = all[..n].iter().find(|(_, a)| a == address) {
            return Some(format!(
                "interface {name}\n ipv4 address {address}\n!!% Address {address} is already \
                 configured on interface {other}\n"
            ));
        }
    }
    None
}

pub fn answer(shell: &mut Shell, device: &Device, answer: &str) -> Action {
    let answer = answer.trim().to_ascii_lowercase();
    match shell.pending.take() {
        Some(Pending::Uncommitted) => match answer.as_str() {
            "yes" | "y" => match commit(shell, device) {
                Action::Output(_) => {
                    shell.config = None;
                    shell.candidate = None;
                    Action::Output(String::new())
                }
                failed => failed,
            },
            "no" | "n" => {
                shell.config = None;
                shell.candidate = None;
                Action::Output(String::new())
            }
            _ => Action::Output(String::new()),
        },
        Some(Pending::CopySource) if answer.is_empty() || answer == "running-config" => {
            save(device, shell.platform)
        }
        Some(Pending::CopySource) => Action::Error(format!(
            "%Error opening disk0:/{answer} (No such file or directory)\n"
        )),
        _ => Action::Output(String::new()),
    }
}

pub fn secret(shell: &mut Shell, device: &Device, secret: &str) -> Action {
    if secret == device.spec.enable_secret {
        shell.level = Level::Privileged;
        shell.tries = 0;
        return Action::Output(String::new());
    }
    // ASA asks three times, then gives up.
    shell.tries += 1;
    if shell.tries >= 3 {
        shell.tries = 0;
        return Action::Error("Invalid password\nAccess denied.\n".into());
    }
    Action::Secret("Invalid password\r\nPassword: ".into())
}

/// The save command's reply; the running config becomes the one a reload loads.
fn save(device: &Device, platform: Platform) -> Action {
    device.with_vendor_mut(|s| s.saved = s.running.clone());
    Action::Output(
        match platform {
            Platform::CiscoNxos => {
                "[########################################] 100%\nCopy complete, now saving to disk (please wait)...\nCopy complete.\n"
            }
            Platform::AristaEos => "Copy completed successfully.\n",
            _ => {
                "Building configuration...\nCryptochecksum: 5e2b9a1c 0f3d7e44 9b1a6c2d 7f80e513 \n\n\
                 3417 bytes copied in 0.150 secs\n[OK]\n"
            }
        }
        .to_string(),
    )
}

/// Change the config this session edits: IOS-XR's candidate, else the running config.
fn edit(shell: &mut Shell, device: &Device, f: impl FnOnce(&mut VConfig)) {
    match shell.candidate.as_mut() {
        Some(candidate) => f(candidate),
        None => device.with_vendor_mut(|s| f(&mut s.running)),
    }
}

fn view_config<R>(shell: &Shell, device: &Device, f: impl FnOnce(&VConfig) -> R) -> R {
    match shell.candidate.as_ref() {
        Some(candidate) => f(candidate),
        None => device.with_vendor(|s, _| f(&s.running)),
    }
}

fn show(shell: &Shell, device: &Device, what: S) -> Action {
    let platform = shell.platform;
    let id = device.ident();
    let (text, ticks) = device.with_vendor(|state, ticks| {
        let view = |cfg| VView {
            platform,
            id,
            cfg,
            ticks,
        };
        let running = view(&state.running);
        let text = match what {
            S::Version => running.version(),
            S::Clock => running.clock(),
            S::IpBrief => match platform {
                Platform::CiscoNxos => running.nxos_ip_brief(),
                Platform::CiscoXr => running.xr_ip_brief(),
                Platform::AristaEos => running.eos_ip_brief(),
                _ => running.asa_ip_brief(),
            },
            S::InterfaceBrief => running.nxos_interface_brief(),
            S::InterfacesStatus => running.eos_interfaces_status(),
            S::Running => running.config("running-config"),
            S::Startup => view(&state.saved).config("startup-config"),
            S::Configuration => uncommitted(shell, &state.running),
            S::ConfigurationFailed => shell
                .failed_commit
                .clone()
                .map(|p| {
                    format!(
                        "!! SEMANTIC ERRORS: This configuration was rejected by \n\
                         !! the system due to semantic errors. The individual \n\
                         !! errors with each failed configuration command can be \n\
                         !! found below.\n\n\n{p}\nend\n"
                    )
                })
                .unwrap_or_default(),
            S::CurPriv => {
                let (user, level, mode) = match (&shell.config, shell.level) {
                    (Some(_), _) => ("enable_15", 15, "P_CONF"),
                    (None, Level::Privileged) => ("enable_15", 15, "P_PRIV"),
                    (None, Level::User) => (device.spec.username.as_str(), 1, "P_UNPR"),
                };
                format!(
                    "Username : {user}\nCurrent privilege level : {level}\nCurrent Mode/s : {mode}\n"
                )
            }
            S::Privilege => format!(
                "Current privilege level is {}\n",
                if shell.level == Level::User { 1 } else { 15 }
            ),
        };
        (text, ticks)
    });
    // IOS-XR stamps every show with the time it ran.
    if platform == Platform::CiscoXr {
        return Action::Show(format!("{}\n{text}", xr_show_stamp(&id, ticks)));
    }
    Action::Show(text)
}

/// IOS-XR `show configuration`: the candidate's statements the running config lacks.
fn uncommitted(shell: &Shell, running: &VConfig) -> String {
    let Some(candidate) = &shell.candidate else {
        return "Building configuration...\n!! IOS XR Configuration 7.3.2\nend\n".into();
    };
    let mut s = String::from("Building configuration...\n!! IOS XR Configuration 7.3.2\n");
    if candidate.hostname != running.hostname {
        s.push_str(&format!("hostname {}\n", candidate.hostname));
    }
    for g in candidate
        .globals
        .iter()
        .filter(|g| !running.globals.contains(g))
    {
        s.push_str(&format!("{g}\n"));
    }
    for section in &candidate.sections {
        let old = running.section(&section.header);
        let new: Vec<&String> = section
            .lines
            .iter()
            .filter(|l| old.is_none_or(|o| !o.lines.contains(l)))
            .collect();
        if new.is_empty() && old.is_some() {
            continue;
        }
        s.push_str(&format!("{}\n", section.header));
        for l in new {
            s.push_str(&format!(" {l}\n"));
        }
        s.push_str("!\n");
    }
    s.push_str("end\n");
    s
}
