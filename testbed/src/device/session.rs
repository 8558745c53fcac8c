//! One CLI session: the line discipline (echo, editing, CR/LF pairing), the login and enable
//! dialogues, the mode a session is in, running command lines, `--More--` paging, and the CLI
//! faults (stall, drop, drop-config, garbage, flood, echo-password).

use std::sync::Arc;

use regex::Regex;

use super::commands::{filter_grammar, privileged_grammar, user_grammar, ExecCmd, FilterCmd, Show};
use super::config::{global_grammar, submode_grammar, Applied, CfgCmd, Submode};
use super::grammar::{ParseError, Parsed};
use super::platform::{Personality, Platform};
use super::show::{Filter, View};
use super::vendor::{Action, Shell};
use super::{Device, Out, SessionStart};

/// What an IOS page ends with while more output is waiting (each platform's is in its
/// [`Personality`]).
pub const MORE_PROMPT: &[u8] = super::platform::IOS.more_prompt;
/// What IOS prints after a key at the `--More--` prompt to wipe it: nine backspaces, nine
/// spaces, nine backspaces (the leading blank of ` --More-- ` stays, as on IOS).
pub const MORE_ERASE: &[u8] = super::platform::IOS.more_erase;

/// Longest command line kept (IOS ignores more); bounds memory per session.
const MAX_LINE: usize = 4096;
/// Failed logins (Telnet) and enable attempts allowed before giving up, as on IOS.
const MAX_TRIES: u8 = 3;
/// The `drop` fault fires on the first `show` output longer than this many lines.
const DROP_MIN_LINES: usize = 5;
/// Bytes the `garbage` fault puts in the middle of every third output line.
const GARBAGE: &[u8] = b"\xff\xfe\x80";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    User,
    Privileged,
    Config,
    Sub(Submode),
}

/// What the next line typed answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Username,
    LoginPassword,
    Command,
    EnablePassword,
    CopyDestination,
    /// An IOS question (`reload`, `delete`, `clear counters`).
    Question(Question),
    /// `banner motd` text lines until the delimiter.
    Banner(char),
    /// A non-IOS shell asked for a password (`enable`, `sudo`).
    VendorSecret,
    /// A non-IOS shell asked a question.
    VendorAnswer,
}

/// The questions IOS's interactive commands ask (the text is in [`Question::text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Question {
    /// `System configuration has been modified. Save? [yes/no]: `
    ReloadSave,
    /// `Proceed with reload? [confirm]`
    ReloadConfirm,
    /// `Delete filename [NAME]? `
    DeleteName,
    /// `Delete flash0:/NAME? [confirm]`
    DeleteConfirm,
    /// `Clear "show interface" counters on all interfaces [confirm]`
    ClearCounters,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Char(u8),
    Enter,
    Erase,
    Interrupt,
    Suspend,
}

/// What a command line produced.
enum Reply {
    /// Text (with `\n` line ends), then the prompt.
    Output(String),
    /// An error message, then the prompt.
    Error(String),
    /// `show` output: subject to faults and paging, then the prompt.
    Show(String),
    /// A question whose answer is the next line (no prompt).
    Ask(String),
    Close,
}

/// Output waiting behind ` --More-- `.
#[derive(Debug)]
struct Pager {
    text: Vec<u8>,
    pos: usize,
}

/// One CLI session (one SSH shell or one Telnet connection).
#[derive(Debug)]
pub struct CliSession {
    device: Arc<Device>,
    mode: Mode,
    stage: Stage,
    line: String,
    /// The last byte was CR: a following LF or NUL belongs to the same Enter.
    after_cr: bool,
    /// `terminal length`; 0 means no paging.
    length: usize,
    pager: Option<Pager>,
    tries: u8,
    login_user: String,
    /// An SSH exec request: no prompt, caret columns from the command's start.
    exec_channel: bool,
    /// Closed or stalled: nothing more is printed.
    finished: bool,
    /// The drop fault has fired.
    dropped: bool,
    /// Non-blank lines run in config mode so far (the drop-config fault counts them).
    config_lines: u32,
    /// The last command printed an error (exec exit status).
    failed: bool,
    /// The file `delete` asks about; the `banner motd` text typed so far.
    pending_text: String,
    /// The interpreter of a non-IOS platform (IOS is this file's own).
    shell: Option<Shell>,
    out: Vec<Out>,
}

impl CliSession {
    /// A new session and what the device prints first (banner + prompt, or `Username: `).
    pub fn new(device: Arc<Device>, start: SessionStart) -> (CliSession, Vec<Out>) {
        let mut s = CliSession::bare(device, false);
        match start {
            SessionStart::Authenticated => {
                s.text(s.personality().banner.as_bytes());
                s.logged_in();
            }
            SessionStart::Login => {
                s.stage = Stage::Username;
                s.text(s.personality().telnet_login.as_bytes());
            }
        }
        let out = std::mem::take(&mut s.out);
        (s, out)
    }

    fn bare(device: Arc<Device>, exec_channel: bool) -> CliSession {
        let platform = device.spec.platform;
        let shell =
            (platform != Platform::CiscoIos).then(|| Shell::new(platform, &device.spec.username));
        let length = platform.personality().default_length;
        CliSession {
            device,
            mode: Mode::User,
            stage: Stage::Command,
            line: String::new(),
            after_cr: false,
            length: if exec_channel { 0 } else { length },
            pager: None,
            tries: 0,
            login_user: String::new(),
            exec_channel,
            finished: false,
            dropped: false,
            config_lines: 0,
            failed: false,
            pending_text: String::new(),
            shell,
            out: Vec::new(),
        }
    }

    fn personality(&self) -> &'static Personality {
        self.device.spec.platform.personality()
    }

    /// Feed typed bytes (Telnet option bytes already removed); returns what the device prints.
    pub fn input(&mut self, bytes: &[u8]) -> Vec<Out> {
        for &b in bytes {
            if self.finished {
                break;
            }
            let after_cr = std::mem::take(&mut self.after_cr);
            let key = match b {
                b'\n' | 0 if after_cr => continue,
                b'\r' => {
                    self.after_cr = true;
                    Key::Enter
                }
                b'\n' => Key::Enter,
                0x08 | 0x7f => Key::Erase,
                0x03 => Key::Interrupt,
                0x1a => Key::Suspend,
                0x20..=0x7e => Key::Char(b),
                _ => continue,
            };
            self.key(key);
        }
        std::mem::take(&mut self.out)
    }

    /// The SSH `exec` request: run one command in privileged mode, no echo, no paging.
    /// Returns the output and the exit status.
    pub fn exec(device: &Arc<Device>, command: &str) -> (Vec<Out>, u32) {
        if device.spec.faults.stall {
            return (vec![Out::Stall], 0);
        }
        if let Some(length) = device.spec.faults.flood {
            return (vec![Out::Flood(length)], 0);
        }
        let mut s = CliSession::bare(Arc::clone(device), true);
        s.mode = Mode::Privileged;
        s.shell = s.shell.take().map(Shell::privileged);
        s.run(command);
        if s.stage == Stage::CopyDestination {
            s.key(Key::Enter);
        }
        (std::mem::take(&mut s.out), u32::from(s.failed))
    }

    fn key(&mut self, key: Key) {
        if self.pager.is_some() {
            return self.pager_key(key);
        }
        match self.stage {
            Stage::Command => self.command_key(key),
            Stage::Username => self.username_key(key),
            Stage::LoginPassword | Stage::EnablePassword | Stage::VendorSecret => {
                self.secret_key(key)
            }
            Stage::CopyDestination => self.copy_key(key),
            Stage::VendorAnswer => self.answer_key(key),
            Stage::Question(q) => self.question_key(q, key),
            Stage::Banner(delimiter) => self.banner_key(delimiter, key),
        }
    }

    /// Editing shared by the echoed stages; returns the line when Enter completes it.
    fn edit(&mut self, key: Key) -> Option<String> {
        match key {
            Key::Char(c) if self.line.len() < MAX_LINE => {
                self.line.push(char::from(c));
                self.echo(&[c]);
            }
            Key::Erase if self.line.pop().is_some() => self.echo(b"\x08 \x08"),
            Key::Enter => {
                self.echo(b"\r\n");
                return Some(std::mem::take(&mut self.line));
            }
            _ => {}
        }
        None
    }

    fn command_key(&mut self, key: Key) {
        match key {
            Key::Interrupt => {
                self.line.clear();
                self.echo(b"^C\r\n");
                self.prompt();
            }
            // Ctrl-Z ends config mode on the IOS-like platforms too (IOS-XR asks first).
            Key::Suspend if self.shell.as_ref().is_some_and(Shell::takes_ctrl_z) => {
                self.line.clear();
                self.echo(b"^Z\r\n");
                self.out.push(Out::Think);
                let prompt_len = self.prompt_string().len();
                self.run_vendor("end", prompt_len);
            }
            Key::Suspend if matches!(self.mode, Mode::Config | Mode::Sub(_)) => {
                self.line.clear();
                self.echo(b"^Z\r\n");
                self.mode = Mode::Privileged;
                self.prompt();
            }
            _ => {
                if let Some(line) = self.edit(key) {
                    self.run(&line);
                }
            }
        }
    }

    fn username_key(&mut self, key: Key) {
        if let Some(user) = self.edit(key) {
            let user = user.trim();
            if user.is_empty() {
                self.text(b"Username: ");
            } else {
                self.login_user = user.to_string();
                self.stage = Stage::LoginPassword;
                self.text(b"Password: ");
            }
        }
    }

    /// Password prompts: nothing is echoed, not even the Enter, unless the echo-password fault
    /// makes the device echo the characters as a careless terminal server does.
    fn secret_key(&mut self, key: Key) {
        let echoes = self.device.spec.faults.echo_password;
        match key {
            Key::Char(c) if self.line.len() < MAX_LINE => {
                self.line.push(char::from(c));
                if echoes {
                    self.echo(&[c]);
                }
            }
            Key::Erase => {
                let erased = self.line.pop().is_some();
                if erased && echoes {
                    self.echo(b"\x08 \x08");
                }
            }
            Key::Enter => {
                let secret = std::mem::take(&mut self.line);
                self.text(b"\r\n");
                match self.stage {
                    Stage::LoginPassword => self.login_answer(&secret),
                    Stage::VendorSecret => self.vendor_secret(&secret),
                    _ => self.enable_answer(&secret),
                }
            }
            Key::Interrupt if matches!(self.stage, Stage::EnablePassword | Stage::VendorSecret) => {
                self.line.clear();
                self.stage = Stage::Command;
                self.text(b"\r\n");
                self.prompt();
            }
            _ => {}
        }
    }

    fn login_answer(&mut self, password: &str) {
        if self.device.check_login(&self.login_user, password) {
            self.tries = 0;
            self.logged_in();
            return;
        }
        self.tries += 1;
        let p = self.personality();
        self.text(p.login_failed.as_bytes());
        if self.tries >= MAX_TRIES {
            self.close();
        } else {
            self.stage = Stage::Username;
            // Asked again without the greeting: the greeting's last line, after a blank line.
            let ask = p.telnet_login.rsplit("\r\n").next().unwrap_or_default();
            self.text(format!("\r\n{ask}").as_bytes());
        }
    }

    fn logged_in(&mut self) {
        self.stage = Stage::Command;
        self.mode = Mode::User;
        let faults = self.device.spec.faults;
        if faults.stall {
            self.finished = true;
            self.out.push(Out::Stall);
        } else if let Some(length) = faults.flood {
            self.finished = true;
            self.out.push(Out::Flood(length));
        } else {
            self.prompt();
        }
    }

    fn enable_answer(&mut self, secret: &str) {
        let expected = self.device.with_running(|cfg| cfg.enable_secret.clone());
        if secret == expected {
            self.stage = Stage::Command;
            self.mode = Mode::Privileged;
            self.prompt();
            return;
        }
        self.tries += 1;
        if self.tries >= MAX_TRIES {
            self.stage = Stage::Command;
            self.failed = true;
            self.text(b"% Bad secrets\r\n\r\n");
            self.prompt();
        } else {
            self.text(b"Password: ");
        }
    }

    fn copy_key(&mut self, key: Key) {
        if key == Key::Interrupt {
            self.line.clear();
            self.stage = Stage::Command;
            self.echo(b"^C\r\n");
            return self.prompt();
        }
        let Some(answer) = self.edit(key) else { return };
        self.stage = Stage::Command;
        self.out.push(Out::Think);
        let answer = answer.trim();
        let reply = if answer.is_empty() || answer == "startup-config" {
            self.device.save();
            Reply::Output("Building configuration...\n[OK]\n".into())
        } else {
            Reply::Error(format!(
                "%Error opening nvram:/{answer} (Permission denied)\n"
            ))
        };
        self.finish(reply);
    }

    /// Run one typed line in the current mode.
    fn run(&mut self, line: &str) {
        self.failed = false;
        if line.trim().is_empty() {
            if let Some(context) = self.shell.as_ref().map(Shell::empty_line) {
                self.text(&crlf(context));
            }
            return self.prompt();
        }
        self.out.push(Out::Think);
        self.device.tick();
        let prompt_len = self.prompt_string().len();
        if self.shell.is_some() {
            return self.run_vendor(line, prompt_len);
        }
        let reply = match self.mode {
            Mode::User | Mode::Privileged => self.run_exec(line, 0, prompt_len),
            Mode::Config | Mode::Sub(_) => {
                let reply = self.run_config(line, prompt_len);
                if self.drops_after_config_line() {
                    return self.close();
                }
                reply
            }
        };
        self.finish(reply);
    }

    fn ask(&mut self, question: Question) -> Reply {
        self.stage = Stage::Question(question);
        Reply::Ask(match question {
            Question::ReloadSave => {
                "System configuration has been modified. Save? [yes/no]: ".into()
            }
            Question::ReloadConfirm => "Proceed with reload? [confirm]".into(),
            Question::DeleteName => format!("Delete filename [{}]? ", self.pending_text),
            Question::DeleteConfirm => format!("Delete flash0:/{}? [confirm]", self.pending_text),
            Question::ClearCounters => {
                "Clear \"show interface\" counters on all interfaces [confirm]".into()
            }
        })
    }

    /// The answer to an IOS question: `[confirm]` takes Enter or `y`, anything else cancels.
    fn question_key(&mut self, question: Question, key: Key) {
        if key == Key::Interrupt {
            self.line.clear();
            self.stage = Stage::Command;
            self.echo(b"^C\r\n");
            return self.prompt();
        }
        let Some(answer) = self.edit(key) else { return };
        self.stage = Stage::Command;
        self.out.push(Out::Think);
        let answer = answer.trim().to_ascii_lowercase();
        let confirmed = answer.is_empty() || answer.starts_with('y');
        let reply = match question {
            Question::ReloadSave if answer.starts_with('y') => {
                self.device.save();
                self.text(b"Building configuration...\r\n[OK]\r\n");
                self.ask(Question::ReloadConfirm)
            }
            Question::ReloadSave if answer.starts_with('n') => self.ask(Question::ReloadConfirm),
            Question::ReloadSave => Reply::Error("% Please answer 'yes' or 'no'.\n".into()),
            Question::ReloadConfirm if confirmed => {
                let user = self.device.spec.username.clone();
                self.text(
                    format!(
                        "\r\n\r\n%SYS-5-RELOAD: Reload requested by {user} on vty0. \
                         Reload Reason: Reload Command.\r\n"
                    )
                    .as_bytes(),
                );
                self.device.reload();
                Reply::Close
            }
            Question::DeleteName => {
                if !answer.is_empty() {
                    self.pending_text = answer;
                }
                self.ask(Question::DeleteConfirm)
            }
            Question::DeleteConfirm if confirmed => {
                let name = std::mem::take(&mut self.pending_text);
                if self.device.delete_file(&name) {
                    Reply::Output(String::new())
                } else {
                    Reply::Error(format!(
                        "%Error deleting flash0:/{name} (No such file or directory)\n"
                    ))
                }
            }
            Question::ClearCounters | Question::ReloadConfirm | Question::DeleteConfirm => {
                Reply::Output(String::new())
            }
        };
        self.finish(reply);
    }

    /// `banner motd` lines: collected until one holds the delimiter.
    fn banner_key(&mut self, delimiter: char, key: Key) {
        let Some(line) = self.edit(key) else { return };
        match line.find(delimiter) {
            Some(end) => {
                self.pending_text.push_str(&line[..end]);
                let text = std::mem::take(&mut self.pending_text);
                self.device.with_running_mut(|cfg| cfg.set_motd(text));
                self.stage = Stage::Command;
                self.prompt();
            }
            None => {
                self.pending_text.push_str(&line);
                self.pending_text.push('\n');
            }
        }
    }

    /// A line for a non-IOS shell.
    fn run_vendor(&mut self, line: &str, prompt_len: usize) {
        let Some(shell) = self.shell.as_mut() else {
            return;
        };
        let in_config = shell.in_config();
        let action = shell.run(&self.device, line, prompt_len);
        if in_config && self.drops_after_config_line() {
            return self.close();
        }
        self.act(action);
    }

    fn vendor_secret(&mut self, secret: &str) {
        self.stage = Stage::Command;
        let Some(shell) = self.shell.as_mut() else {
            return;
        };
        let action = shell.secret(&self.device, secret);
        self.act(action);
    }

    fn answer_key(&mut self, key: Key) {
        if key == Key::Interrupt {
            self.line.clear();
            self.stage = Stage::Command;
            self.echo(b"^C\r\n");
            return self.prompt();
        }
        let Some(answer) = self.edit(key) else { return };
        self.stage = Stage::Command;
        self.out.push(Out::Think);
        let Some(shell) = self.shell.as_mut() else {
            return;
        };
        let action = shell.answer(&self.device, &answer);
        self.act(action);
    }

    /// Print what a non-IOS shell's line produced.
    fn act(&mut self, action: Action) {
        let reply = match action {
            Action::Output(text) => Reply::Output(text),
            Action::Error(text) => Reply::Error(text),
            Action::Show(text) => Reply::Show(text),
            Action::Secret(prompt) => {
                self.stage = Stage::VendorSecret;
                return self.text(prompt.as_bytes());
            }
            Action::Question(question) => {
                self.stage = Stage::VendorAnswer;
                return self.text(question.as_bytes());
            }
            Action::Length(length, text) => {
                if !self.exec_channel {
                    self.length = length;
                }
                Reply::Output(text)
            }
            Action::Close => Reply::Close,
        };
        self.finish(reply);
    }

    /// Count a config-mode line just run; true if the drop-config fault closes the session
    /// here, after the line took effect and before its reply (so a client has sent a line it
    /// never sees answered).
    fn drops_after_config_line(&mut self) -> bool {
        self.config_lines = self.config_lines.saturating_add(1);
        self.device.spec.faults.drop_config == Some(self.config_lines)
    }

    /// Run an exec command that starts at byte `base` of the typed line.
    fn run_exec(&mut self, line: &str, base: usize, prompt_len: usize) -> Reply {
        let privileged = self.mode != Mode::User;
        let grammar = if privileged {
            privileged_grammar()
        } else {
            user_grammar()
        };
        let (command_text, filter_text) = match line.find('|') {
            Some(at) => (&line[..at], Some((at + 1, &line[at + 1..]))),
            None => (line, None),
        };
        let error = |e: ParseError, at: usize| parse_error(e, line, prompt_len + base + at);
        let parsed = match grammar.parse(command_text) {
            Ok(p) if p.command == ExecCmd::NotSimulated => {
                return error(ParseError::Invalid(p.offsets[0]), 0)
            }
            Ok(p) => p,
            Err(e) => return error(e, 0),
        };
        let filter = match filter_text {
            None => None,
            Some((at, _)) if !matches!(parsed.command, ExecCmd::Show(_)) => {
                return error(ParseError::Invalid(at - 1), 0)
            }
            Some((at, text)) => match parse_filter(text) {
                Ok(filter) => Some(filter),
                Err(e) => return error(e, at),
            },
        };
        self.exec_command(&parsed, filter)
    }

    fn exec_command(&mut self, p: &Parsed<ExecCmd>, filter: Option<Filter>) -> Reply {
        match p.command {
            ExecCmd::Enable if self.mode == Mode::User => {
                self.stage = Stage::EnablePassword;
                self.tries = 0;
                Reply::Ask("Password: ".into())
            }
            ExecCmd::Enable | ExecCmd::TerminalWidth | ExecCmd::TerminalMonitor => {
                Reply::Output(String::new())
            }
            ExecCmd::Disable => {
                self.mode = Mode::User;
                Reply::Output(String::new())
            }
            ExecCmd::Logout => Reply::Close,
            ExecCmd::ConfigureTerminal => {
                self.mode = Mode::Config;
                Reply::Output(
                    "Enter configuration commands, one per line.  End with CNTL/Z.\n".into(),
                )
            }
            ExecCmd::TerminalLength => {
                self.length = p.words[2]
                    .parse()
                    .unwrap_or(self.personality().default_length);
                Reply::Output(String::new())
            }
            ExecCmd::WriteMemory => {
                self.device.save();
                Reply::Output("Building configuration...\n[OK]\n".into())
            }
            ExecCmd::Reload if self.device.modified() => self.ask(Question::ReloadSave),
            ExecCmd::Reload => self.ask(Question::ReloadConfirm),
            ExecCmd::Delete => {
                self.pending_text = p.words[1].trim_start_matches("flash0:/").to_string();
                self.ask(Question::DeleteName)
            }
            ExecCmd::ClearCounters => self.ask(Question::ClearCounters),
            ExecCmd::CopyRunStart => {
                self.stage = Stage::CopyDestination;
                Reply::Ask("Destination filename [startup-config]? ".into())
            }
            ExecCmd::Show(what) => {
                let text = self.show(what, p);
                Reply::Show(match filter {
                    Some(f) => f.apply(&text),
                    None => text,
                })
            }
            ExecCmd::NotSimulated => Reply::Error(String::new()),
        }
    }

    fn show(&self, what: Show, p: &Parsed<ExecCmd>) -> String {
        let huge = self.device.spec.faults.huge;
        let id = self.device.ident();
        self.device.with_configs(|running, startup, ticks| {
            let view = View { id, running, ticks };
            match what {
                Show::Version => view.version(),
                Show::Clock => view.clock(),
                Show::IpInterfaceBrief => view.ip_interface_brief(),
                Show::Interfaces => view.interfaces(p.words.get(2).map(String::as_str)),
                Show::InterfacesDescription => view.interfaces_description(),
                Show::RunningConfig => view.running_config(),
                Show::StartupConfig => view.startup_config(startup),
                Show::Arp => view.arp(),
                Show::IpRoute => view.ip_route(),
                Show::TechSupport => view.tech_support(huge),
                Show::Privilege => {
                    let level = if self.mode == Mode::User { 1 } else { 15 };
                    format!("Current privilege level is {level}\n")
                }
            }
        })
    }

    fn run_config(&mut self, line: &str, prompt_len: usize) -> Reply {
        // IOS takes `!` comment lines in config mode (config files are full of them).
        if line.trim_start().starts_with('!') {
            return Reply::Output(String::new());
        }
        let parsed = match self.mode {
            Mode::Sub(m) => match submode_grammar(&m).parse(line) {
                Ok(p) => Ok((p, Some(m))),
                // IOS takes a global command in a sub-mode and leaves the sub-mode for it.
                Err(e) => global_grammar()
                    .parse(line)
                    .map(|p| (p, None))
                    .map_err(|global| further(e, global)),
            },
            _ => global_grammar().parse(line).map(|p| (p, None)),
        };
        let (p, submode) = match parsed {
            Ok(ok) => ok,
            Err(e) => return parse_error(e, line, prompt_len),
        };
        match p.command {
            CfgCmd::Exit => {
                self.mode = match self.mode {
                    Mode::Sub(_) => Mode::Config,
                    _ => Mode::Privileged,
                };
                return Reply::Output(String::new());
            }
            CfgCmd::End => {
                self.mode = Mode::Privileged;
                return Reply::Output(String::new());
            }
            CfgCmd::Do => {
                let mode = std::mem::replace(&mut self.mode, Mode::Privileged);
                let reply = self.run_exec(&p.words[1], p.offsets[1], prompt_len);
                self.mode = mode;
                return reply;
            }
            _ => {}
        }
        let applied = self.device.with_running_mut(|cfg| match submode {
            Some(m) => cfg.apply_submode(m, &p),
            None => cfg.apply_global(&p),
        });
        if submode.is_none() {
            self.mode = Mode::Config;
        }
        match applied {
            Applied::Done => Reply::Output(String::new()),
            Applied::Enter(m) => {
                self.mode = Mode::Sub(m);
                Reply::Output(String::new())
            }
            Applied::InvalidWord(i) => parse_error(
                ParseError::Invalid(p.offsets.get(i).copied().unwrap_or(0)),
                line,
                prompt_len,
            ),
            Applied::Message(m) => Reply::Error(format!("{m}\n")),
            Applied::Banner(delimiter, first) => {
                self.stage = Stage::Banner(delimiter);
                self.pending_text = if first.is_empty() {
                    String::new()
                } else {
                    format!("{first}\n")
                };
                Reply::Ask(format!(
                    "Enter TEXT message.  End with the character '{delimiter}'.\r\n"
                ))
            }
        }
    }

    /// Print a reply and what follows it (prompt, page, close).
    fn finish(&mut self, reply: Reply) {
        match reply {
            Reply::Output(text) => {
                self.text(&crlf(&text));
                self.prompt();
            }
            Reply::Error(text) => {
                self.failed = true;
                self.text(&crlf(&text));
                self.prompt();
            }
            Reply::Ask(question) => self.text(question.as_bytes()),
            Reply::Close => self.close(),
            Reply::Show(text) => self.show_output(crlf(&text)),
        }
    }

    /// Show output, through the drop and garbage faults and the pager.
    fn show_output(&mut self, mut bytes: Vec<u8>) {
        let faults = self.device.spec.faults;
        if faults.garbage {
            bytes = with_garbage(&bytes);
        }
        let lines = bytes.iter().filter(|&&b| b == b'\n').count();
        if faults.drop && !self.dropped && lines > DROP_MIN_LINES {
            self.dropped = true;
            let cut = after_lines(&bytes, 0, lines / 2);
            self.text(&bytes[..cut]);
            return self.close();
        }
        if self.length == 0 || lines < self.length {
            self.text(&bytes);
            return self.prompt();
        }
        self.pager = Some(Pager {
            text: bytes,
            pos: 0,
        });
        self.page(self.length - 1);
    }

    /// Print the next `lines` lines, then ` --More-- ` or, at the end, the prompt.
    fn page(&mut self, lines: usize) {
        let Some(pager) = self.pager.as_mut() else {
            return;
        };
        let end = after_lines(&pager.text, pager.pos, lines);
        let chunk = pager.text[pager.pos..end].to_vec();
        pager.pos = end;
        let done = end >= pager.text.len();
        self.text(&chunk);
        if done {
            self.pager = None;
            self.prompt();
        } else {
            self.text(self.personality().more_prompt);
        }
    }

    /// Space: next page; Enter: next line; anything else: stop.
    fn pager_key(&mut self, key: Key) {
        self.text(self.personality().more_erase);
        match key {
            Key::Char(b' ') => self.page(self.length.saturating_sub(1).max(1)),
            Key::Enter => self.page(1),
            _ => {
                self.pager = None;
                self.prompt();
            }
        }
    }

    fn prompt_string(&self) -> String {
        if self.exec_channel {
            return String::new();
        }
        if let Some(shell) = &self.shell {
            return shell.prompt(&self.device.hostname());
        }
        let suffix = match self.mode {
            Mode::User => ">",
            Mode::Privileged => "#",
            Mode::Config => "(config)#",
            Mode::Sub(Submode::Interface(_)) => "(config-if)#",
            Mode::Sub(Submode::Router(_)) => "(config-router)#",
            Mode::Sub(Submode::Line(_)) => "(config-line)#",
            Mode::Sub(Submode::Vlan(_)) => "(config-vlan)#",
        };
        format!("{}{suffix}", self.device.hostname())
    }

    fn prompt(&mut self) {
        let prompt = self.prompt_string();
        self.text(prompt.as_bytes());
    }

    fn close(&mut self) {
        self.finished = true;
        self.pager = None;
        self.out.push(Out::Close);
    }

    fn echo(&mut self, bytes: &[u8]) {
        if self.exec_channel {
            return;
        }
        match self.out.last_mut() {
            Some(Out::Echo(e)) => e.extend_from_slice(bytes),
            _ => self.out.push(Out::Echo(bytes.to_vec())),
        }
    }

    fn text(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self.out.last_mut() {
            Some(Out::Text(t)) => t.extend_from_slice(bytes),
            _ => self.out.push(Out::Text(bytes.to_vec())),
        }
    }
}

/// The error IOS prints for a line that did not parse; `column` is where the caret goes.
fn parse_error(e: ParseError, line: &str, column: usize) -> Reply {
    Reply::Error(match e {
        ParseError::Invalid(at) => format!(
            "{}^\n% Invalid input detected at '^' marker.\n\n",
            " ".repeat(column + at)
        ),
        ParseError::Ambiguous => format!("% Ambiguous command:  \"{}\"\n", line.trim()),
        ParseError::Incomplete => "% Incomplete command.\n\n".to_string(),
    })
}

/// Of two failed parses of the same line, the one that got further.
fn further(submode: ParseError, global: ParseError) -> ParseError {
    match (&submode, &global) {
        (ParseError::Invalid(a), ParseError::Invalid(b)) if b > a => global,
        (ParseError::Invalid(0), _) => global,
        _ => submode,
    }
}

/// Parse what follows `|`; error offsets are relative to `text`.
pub(super) fn parse_filter(text: &str) -> Result<Filter, ParseError> {
    let p = filter_grammar().parse(text)?;
    let pattern = p.words.get(1).map(|r| (r, p.offsets[1]));
    let regex = match pattern {
        Some((r, at)) => Some(Regex::new(r).map_err(|_| ParseError::Invalid(at))?),
        None => None,
    };
    let required = || regex.clone().ok_or(ParseError::Incomplete);
    Ok(match p.command {
        FilterCmd::Include => Filter::Include(required()?),
        FilterCmd::Exclude => Filter::Exclude(required()?),
        FilterCmd::Section => Filter::Section(required()?),
        FilterCmd::Begin => Filter::Begin(required()?),
        FilterCmd::Count => Filter::Count(regex),
        FilterCmd::NotSimulated => return Err(ParseError::Invalid(p.offsets[0])),
    })
}

fn crlf(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32);
    for piece in text.split_inclusive('\n') {
        match piece.strip_suffix('\n') {
            Some(line) => {
                out.extend_from_slice(line.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            None => out.extend_from_slice(piece.as_bytes()),
        }
    }
    out
}

/// Byte position just after `lines` more line ends from `from` (or the end).
fn after_lines(bytes: &[u8], from: usize, lines: usize) -> usize {
    let mut pos = from;
    for _ in 0..lines {
        match bytes[pos..].iter().position(|&b| b == b'\n') {
            Some(at) => pos += at + 1,
            None => return bytes.len(),
        }
    }
    pos
}

/// Every third line (2nd, 5th, ...) with at least two characters gets [`GARBAGE`] in its middle.
fn with_garbage(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16);
    for (n, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let content = line.len()
            - line
                .iter()
                .rev()
                .take_while(|b| b"\r\n".contains(b))
                .count();
        if n % 3 == 1 && content >= 2 {
            out.extend_from_slice(&line[..content / 2]);
            out.extend_from_slice(GARBAGE);
            out.extend_from_slice(&line[content / 2..]);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}
