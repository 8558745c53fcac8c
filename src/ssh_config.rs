//! OpenSSH's client configuration (ssh_config(5)), read the way `ssh` reads it: `Host` patterns
//! (`*`, `?`, `!negation`), `Match all|host|originalhost|user|localuser`, `Include` (globs,
//! relative to `~/.ssh`), `Keyword value` or `Keyword=value`, and for every keyword the first
//! value that applies wins. Then [`apply`] fills what a host's inventory left unsaid: inventory
//! values win over ssh_config, ssh_config over netrun's defaults.
//!
//! Written here rather than taken from a crate because netrun needs each value's file and line
//! (a bad value exits 2 naming them), nested `Include` scoping and OpenSSH's first-value rule;
//! keywords netrun does not use are skipped unread, as a valid config has many.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::hostkeys::HostKeyPolicy;
use crate::inventory::Env;
use crate::job::{Host, JumpHost, TransportKind};

/// Which ssh_config a run reads (`--ssh-config FILE`, `--no-ssh-config`, else `~/.ssh/config`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Choice {
    /// `~/.ssh/config` when it exists.
    #[default]
    User,
    /// This file, which must exist.
    File(PathBuf),
    /// None at all (`--no-ssh-config`); a host's own `ssh_config_file:` still counts.
    Nothing,
}

/// A problem in an ssh_config file, at `file:line` (line 0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SshConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for SshConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file.display(), self.message),
            line => write!(f, "{}:{line}: {}", self.file.display(), self.message),
        }
    }
}

/// How deep `Include` may nest (OpenSSH's READCONF_MAX_DEPTH).
const MAX_INCLUDE_DEPTH: usize = 16;

/// A parsed ssh_config: every option line, in the order `ssh` reads them, each with the
/// conditions (`Host`/`Match` blocks, its own and those of the files that included it) under
/// which it applies.
#[derive(Debug, Default)]
pub struct SshConfig {
    options: Vec<OptionLine>,
}

#[derive(Debug)]
struct OptionLine {
    /// Lower-case keyword.
    keyword: String,
    args: Vec<String>,
    /// The line after the keyword, unsplit (ProxyCommand takes it verbatim).
    rest: String,
    when: Vec<Condition>,
    file: PathBuf,
    line: usize,
}

#[derive(Debug, Clone)]
enum Condition {
    /// `Host` patterns (whitespace-separated).
    Host(Vec<String>),
    /// `Match` criteria, all of which must hold.
    Match(Vec<Criterion>),
}

#[derive(Debug, Clone)]
struct Criterion {
    negated: bool,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    All,
    /// The host name after `HostName` (`host`), or as given (`originalhost`).
    Host {
        original: bool,
        patterns: String,
    },
    User(String),
    LocalUser(String),
}

/// What a host is matched as.
pub struct Target<'a> {
    /// The name as written in the inventory (`ssh NAME`).
    pub original: &'a str,
    /// The remote user.
    pub user: &'a str,
    pub local_user: &'a str,
}

impl SshConfig {
    /// Read `file` and what it includes. `home` resolves `~` and relative includes.
    pub fn read(file: &Path, home: &Path) -> Result<SshConfig, SshConfigError> {
        let mut config = SshConfig::default();
        config.read_file(file, home, &[], 0)?;
        Ok(config)
    }

    fn read_file(
        &mut self,
        file: &Path,
        home: &Path,
        outer: &[Condition],
        depth: usize,
    ) -> Result<(), SshConfigError> {
        let text = std::fs::read_to_string(file).map_err(|err| SshConfigError {
            file: file.to_path_buf(),
            line: 0,
            message: format!("cannot read the ssh_config: {err}"),
        })?;
        let mut block: Option<Condition> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let error = |message: String| SshConfigError {
                file: file.to_path_buf(),
                line,
                message,
            };
            let Some((keyword, args, rest)) = split_line(raw).map_err(error)? else {
                continue;
            };
            let when = || {
                let mut when = outer.to_vec();
                when.extend(block.clone());
                when
            };
            match keyword.as_str() {
                "host" => {
                    if args.is_empty() {
                        return Err(error("Host needs at least one pattern".into()));
                    }
                    block = Some(Condition::Host(args));
                }
                "match" => block = Some(Condition::Match(criteria(&args).map_err(error)?)),
                "include" => {
                    if depth >= MAX_INCLUDE_DEPTH {
                        return Err(error(format!(
                            "Include nested more than {MAX_INCLUDE_DEPTH} deep"
                        )));
                    }
                    let scope = when();
                    for pattern in &args {
                        for included in include_paths(pattern, home).map_err(error)? {
                            self.read_file(&included, home, &scope, depth + 1)?;
                        }
                    }
                }
                _ => {
                    check_value(&keyword, &args, &rest).map_err(error)?;
                    self.options.push(OptionLine {
                        keyword,
                        args,
                        rest,
                        when: when(),
                        file: file.to_path_buf(),
                        line,
                    });
                }
            }
        }
        Ok(())
    }

    /// The options that apply to `target`, first value of each keyword (as `ssh -G`).
    pub fn lookup(&self, target: &Target) -> Resolved {
        let mut resolved = Resolved::default();
        for option in &self.options {
            // `Match host` sees the name after a HostName already found, as in OpenSSH.
            let hostname = match &resolved.hostname {
                Some(hostname) => hostname.replace("%h", target.original),
                None => target.original.to_string(),
            };
            if option
                .when
                .iter()
                .all(|condition| condition.holds(target, &hostname))
            {
                resolved.offer(option);
            }
        }
        resolved
    }
}

impl Condition {
    fn holds(&self, target: &Target, hostname: &str) -> bool {
        match self {
            Condition::Host(patterns) => {
                matches_list(patterns.iter().map(String::as_str), target.original)
            }
            Condition::Match(criteria) => criteria.iter().all(|criterion| {
                let result = match &criterion.test {
                    Test::All => true,
                    Test::Host { original, patterns } => {
                        let name = if *original { target.original } else { hostname };
                        matches_list(patterns.split(','), name)
                    }
                    Test::User(patterns) => matches_list(patterns.split(','), target.user),
                    Test::LocalUser(patterns) => {
                        matches_list(patterns.split(','), target.local_user)
                    }
                };
                result != criterion.negated
            }),
        }
    }
}

/// What ssh_config says for one host: the keywords netrun uses, each with where it was written.
#[derive(Debug, Default)]
pub struct Resolved {
    pub hostname: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity_file: Option<String>,
    /// ProxyJump or ProxyCommand, whichever came first (`none` included: it ends the search).
    pub route: Option<(Route, Place)>,
    pub connect_timeout: Option<Duration>,
    pub strict_host_key_checking: Option<String>,
    pub user_known_hosts_files: Option<Vec<String>>,
}

/// Where a value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    pub line: usize,
}

impl Place {
    fn error(&self, message: impl Into<String>) -> SshConfigError {
        SshConfigError {
            file: self.file.clone(),
            line: self.line,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `ProxyJump` hops as written (`[user@]host[:port]`).
    Jump(Vec<String>),
    /// `ProxyCommand`, tokens unexpanded.
    Command(String),
    /// `none`: connect directly.
    Direct,
}

impl Resolved {
    fn offer(&mut self, option: &OptionLine) {
        let first = || option.args[0].clone();
        match option.keyword.as_str() {
            "hostname" => set(&mut self.hostname, first),
            "port" => set(&mut self.port, || first().parse().unwrap_or(22)),
            "user" => set(&mut self.user, first),
            "identityfile" => set(&mut self.identity_file, first),
            "proxyjump" | "proxycommand" => set(&mut self.route, || {
                let route = if first().eq_ignore_ascii_case("none") {
                    Route::Direct
                } else if option.keyword == "proxyjump" {
                    Route::Jump(first().split(',').map(str::to_string).collect())
                } else {
                    Route::Command(option.rest.clone())
                };
                let place = Place {
                    file: option.file.clone(),
                    line: option.line,
                };
                (route, place)
            }),
            "connecttimeout" => set(&mut self.connect_timeout, || {
                Duration::from_secs(first().parse().unwrap_or(0))
            }),
            "stricthostkeychecking" => set(&mut self.strict_host_key_checking, first),
            "userknownhostsfile" => set(&mut self.user_known_hosts_files, || option.args.clone()),
            _ => {}
        }
    }
}

fn set<T>(slot: &mut Option<T>, value: impl FnOnce() -> T) {
    if slot.is_none() {
        *slot = Some(value());
    }
}

/// The values netrun reads must be well formed; a bad one fails here, naming its line.
fn check_value(keyword: &str, args: &[String], rest: &str) -> Result<(), String> {
    let used = matches!(
        keyword,
        "hostname"
            | "port"
            | "user"
            | "identityfile"
            | "proxyjump"
            | "proxycommand"
            | "connecttimeout"
            | "stricthostkeychecking"
            | "userknownhostsfile"
    );
    if !used {
        return Ok(());
    }
    let Some(first) = args.first() else {
        return Err(format!("{keyword}: missing argument"));
    };
    match keyword {
        "port" => match first.parse::<u16>() {
            Ok(port) if port != 0 => Ok(()),
            _ => Err(format!("Port: {first:?} is not a port number (1-65535)")),
        },
        "connecttimeout" => match first.parse::<u64>() {
            Ok(seconds) if seconds > 0 => Ok(()),
            _ => Err(format!(
                "ConnectTimeout: {first:?} is not a positive number of seconds"
            )),
        },
        "proxyjump" if !first.eq_ignore_ascii_case("none") => first
            .split(',')
            .try_for_each(|hop| parse_jump(hop).map(drop))
            .map_err(|err| format!("ProxyJump: {err}")),
        "proxycommand" if !first.eq_ignore_ascii_case("none") => {
            crate::transport::proxy::check(rest).map_err(|err| format!("ProxyCommand: {err}"))
        }
        "stricthostkeychecking" => match first.to_ascii_lowercase().as_str() {
            "yes" | "no" | "ask" | "accept-new" | "off" => Ok(()),
            _ => Err(format!(
                "StrictHostKeyChecking: {first:?} is not yes, no, ask, accept-new or off"
            )),
        },
        _ => Ok(()),
    }
}

/// `Keyword args...` or `Keyword=args...`, `#` comments, double-quoted arguments; `None` for
/// a blank or comment line. The keyword comes back lower-case, with its arguments and the
/// text after it.
fn split_line(raw: &str) -> Result<Option<(String, Vec<String>, String)>, String> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let keyword_end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let keyword = line[..keyword_end].to_ascii_lowercase();
    let mut rest = line[keyword_end..].trim_start();
    if let Some(after) = rest.strip_prefix('=') {
        rest = after.trim_start();
    }
    let mut args = Vec::new();
    let mut chars = rest.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '#' {
            break;
        }
        let mut arg = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some(c) => arg.push(c),
                    None => return Err(format!("{keyword}: unterminated quote")),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                arg.push(c);
                chars.next();
            }
        }
        args.push(arg);
    }
    Ok(Some((keyword, args, rest.to_string())))
}

/// `Match` arguments: `all`, `host`, `originalhost`, `user`, `localuser`, each may be `!`negated.
fn criteria(args: &[String]) -> Result<Vec<Criterion>, String> {
    let mut criteria = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let (negated, name) = match word.strip_prefix('!') {
            Some(name) => (true, name),
            None => (false, word.as_str()),
        };
        let mut value = || {
            words
                .next()
                .cloned()
                .ok_or_else(|| format!("Match {name}: missing argument"))
        };
        let test = match name.to_ascii_lowercase().as_str() {
            "all" => Test::All,
            "host" => Test::Host {
                original: false,
                patterns: value()?,
            },
            "originalhost" => Test::Host {
                original: true,
                patterns: value()?,
            },
            "user" => Test::User(value()?),
            "localuser" => Test::LocalUser(value()?),
            other => {
                return Err(format!(
                    "Match {other}: netrun understands Match all, host, originalhost, user \
                     and localuser"
                ))
            }
        };
        criteria.push(Criterion { negated, test });
    }
    if criteria.is_empty() {
        return Err("Match needs a criterion (e.g. `Match all`)".into());
    }
    Ok(criteria)
}

/// The files an `Include` names: `~` expanded, relative paths under `~/.ssh`, globs sorted.
fn include_paths(pattern: &str, home: &Path) -> Result<Vec<PathBuf>, String> {
    let expanded = expand_home(pattern, home);
    let path = Path::new(&expanded);
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        home.join(".ssh").join(path)
    };
    let full = full.to_string_lossy().into_owned();
    let mut paths: Vec<PathBuf> = glob::glob(&full)
        .map_err(|err| format!("Include {pattern:?}: {err}"))?
        .filter_map(Result::ok)
        .collect();
    paths.sort();
    Ok(paths)
}

/// `~/x` → `HOME/x`.
pub fn expand_home(path: &str, home: &Path) -> String {
    match path.strip_prefix("~/") {
        Some(rest) => home.join(rest).to_string_lossy().into_owned(),
        None if path == "~" => home.to_string_lossy().into_owned(),
        None => path.to_string(),
    }
}

/// Whether `name` matches a pattern list: no negated pattern matches, and a plain one does.
fn matches_list<'p>(patterns: impl IntoIterator<Item = &'p str>, name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let mut matched = false;
    for pattern in patterns {
        let pattern = pattern.to_ascii_lowercase();
        match pattern.strip_prefix('!') {
            Some(negated) if glob_match(negated.as_bytes(), name.as_bytes()) => return false,
            Some(_) => {}
            None => matched |= glob_match(pattern.as_bytes(), name.as_bytes()),
        }
    }
    matched
}

/// `*` (any run) and `?` (one character), iteratively with one backtrack point: linear space,
/// at most pattern × name steps.
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// A jump host as `-J` and `ProxyJump` write it: `[user@]host[:port]`, IPv6 in brackets.
pub fn parse_jump(text: &str) -> Result<JumpHost, String> {
    let text = text.trim();
    let (user, address) = match text.rsplit_once('@') {
        Some((user, address)) if !user.is_empty() => (Some(user.to_string()), address),
        Some(_) => return Err(format!("{text:?}: empty user name before '@'")),
        None => (None, text),
    };
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{text:?}: unclosed '['"))?;
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err(format!("{text:?}: expected ':PORT' after ']'")),
        };
        (host, port)
    } else {
        match address.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (address, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{text:?}: no host"));
    }
    let port = port
        .map(|port| match port.parse::<u16>() {
            Ok(port) if port != 0 => Ok(port),
            _ => Err(format!("{text:?}: {port:?} is not a port number (1-65535)")),
        })
        .transpose()?;
    Ok(JumpHost {
        host: host.to_string(),
        port,
        username: user,
        password: None,
        key_file: None,
    })
}

/// The run's ssh_config settings: which file, and `-J` (replacing every host's route).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Setting {
    pub choice: Choice,
    pub jump: Vec<JumpHost>,
}

/// Fill every SSH host's unsaid settings from its ssh_config (its own `ssh_config_file:`, else
/// the run's), give it `-J`'s jump hosts, and resolve its jump hosts' own names. Each file is
/// read once.
pub fn apply(hosts: &mut [Host], setting: &Setting, env: Env) -> Result<(), SshConfigError> {
    let home = PathBuf::from(env("HOME").unwrap_or_else(|| "/".into()));
    let local_user = env("USER").unwrap_or_default();
    let run_file = match &setting.choice {
        Choice::User => Some(home.join(".ssh/config")).filter(|file| file.exists()),
        Choice::File(file) => Some(file.clone()),
        Choice::Nothing => None,
    };
    let mut read: HashMap<PathBuf, SshConfig> = HashMap::new();
    for host in hosts.iter_mut() {
        if !setting.jump.is_empty() {
            host.reach.jump = setting.jump.clone();
            host.reach.proxy_command = None;
            host.reach.given.route = true;
        }
        let file = match &host.reach.ssh_config_file {
            Some(own) => Some(PathBuf::from(expand_home(own, &home))),
            None => run_file.clone(),
        };
        let Some(file) = file else { continue };
        let config = read_once(&mut read, &file, &home)?;
        if host.transport == TransportKind::Ssh {
            fill(host, config, &home, &local_user)?;
        } else {
            // ssh_config is about SSH: a Telnet host keeps its inventory's settings, and only
            // the jump hosts that carry it are looked up.
            for jump in &mut host.reach.jump {
                fill_jump(jump, config, &home, &local_user);
            }
        }
    }
    Ok(())
}

/// The config in `file`, read the first time it is asked for.
fn read_once<'m>(
    read: &'m mut HashMap<PathBuf, SshConfig>,
    file: &Path,
    home: &Path,
) -> Result<&'m SshConfig, SshConfigError> {
    if !read.contains_key(file) {
        let config = SshConfig::read(file, home)?;
        read.insert(file.to_path_buf(), config);
    }
    Ok(&read[file])
}

/// One host's settings from `config`, where its inventory gave none.
fn fill(
    host: &mut Host,
    config: &SshConfig,
    home: &Path,
    local_user: &str,
) -> Result<(), SshConfigError> {
    let found = config.lookup(&Target {
        original: &host.host,
        user: &host.username,
        local_user,
    });
    let given = host.reach.given;
    if let Some(hostname) = found.hostname {
        host.host = hostname.replace("%h", &host.host);
    }
    if let (false, Some(port)) = (given.port, found.port) {
        host.port = port;
    }
    if let (false, Some(user)) = (given.username, found.user) {
        host.username = user;
    }
    if let (false, Some(key)) = (given.key_file, found.identity_file) {
        host.key_file = Some(expand_identity(&key, home, &host.host, &host.username));
    }
    if let (false, Some((route, place))) = (given.route, found.route) {
        match route {
            Route::Jump(hops) => {
                host.reach.jump = hops
                    .iter()
                    .map(|hop| parse_jump(hop).map_err(|err| place.error(err)))
                    .collect::<Result<_, _>>()?;
            }
            Route::Command(command) => host.reach.proxy_command = Some(command),
            Route::Direct => {}
        }
    }
    host.reach.connect_timeout = host.reach.connect_timeout.or(found.connect_timeout);
    host.reach.strict_host_key_checking = found.strict_host_key_checking;
    host.reach.user_known_hosts_files = found
        .user_known_hosts_files
        .unwrap_or_default()
        .iter()
        .map(|file| expand_home(file, home))
        .collect();
    fill_host_keys(host);
    for jump in &mut host.reach.jump {
        fill_jump(jump, config, home, local_user);
    }
    Ok(())
}

/// A jump host's own HostName, Port, User and IdentityFile, as `ssh -J` looks them up.
fn fill_jump(jump: &mut JumpHost, config: &SshConfig, home: &Path, local_user: &str) {
    let found = config.lookup(&Target {
        original: &jump.host,
        user: jump.username.as_deref().unwrap_or_default(),
        local_user,
    });
    if let Some(hostname) = found.hostname {
        jump.host = hostname.replace("%h", &jump.host);
    }
    jump.port = jump.port.or(found.port);
    jump.username = jump.username.take().or(found.user);
    if jump.key_file.is_none() {
        jump.key_file = found.identity_file.map(|key| {
            let user = jump.username.clone().unwrap_or_default();
            expand_identity(&key, home, &jump.host, &user)
        });
    }
}

/// IdentityFile's `~` and tokens: `%d` home, `%h` host, `%r` remote user, `%%`.
fn expand_identity(path: &str, home: &Path, host: &str, user: &str) -> String {
    let mut out = String::new();
    let mut chars = expand_home(path, home)
        .chars()
        .collect::<Vec<_>>()
        .into_iter();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str(&home.to_string_lossy()),
            Some('h') => out.push_str(host),
            Some('r') => out.push_str(user),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out.replace("%%", "%")
}

/// ssh_config's StrictHostKeyChecking and UserKnownHostsFile, where the inventory set no host
/// key policy or files: `yes` and `ask` (no one to ask) are strict, `accept-new` records unknown
/// keys, `no` and `off` check nothing.
fn fill_host_keys(host: &mut Host) {
    if host.host_keys.policy.is_none() {
        host.host_keys.policy = match host.reach.strict_host_key_checking.as_deref() {
            Some(value) => match value.to_ascii_lowercase().as_str() {
                "yes" | "ask" => Some(HostKeyPolicy::Strict),
                "accept-new" => Some(HostKeyPolicy::AcceptNew),
                "no" | "off" => Some(HostKeyPolicy::Off),
                _ => None,
            },
            None => None,
        };
    }
    if host.host_keys.files.is_empty() {
        host.host_keys.files = host
            .reach
            .user_known_hosts_files
            .iter()
            .filter(|file| !file.eq_ignore_ascii_case("none"))
            .map(PathBuf::from)
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, text: &str) -> SshConfig {
        let file = dir.join("config");
        std::fs::write(&file, text).unwrap();
        SshConfig::read(&file, dir).unwrap()
    }

    fn target(name: &str) -> Target<'_> {
        Target {
            original: name,
            user: "admin",
            local_user: "me",
        }
    }

    #[test]
    fn first_value_wins_and_patterns_negate() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(
            dir.path(),
            "# comment\nHost r1 !r2 core-?\n  Port=2201\n  User ops\nHost r* \"quoted\"\n  \
             Port 2299\n  HostName %h.lab\n  ProxyJump jump@bastion:2222,second\nHost *\n  \
             ConnectTimeout 7\n  StrictHostKeyChecking accept-new\n  \
             UserKnownHostsFile ~/.ssh/a ~/.ssh/b\n",
        );
        let r1 = config.lookup(&target("r1"));
        assert_eq!(r1.port, Some(2201));
        assert_eq!(r1.user.as_deref(), Some("ops"));
        assert_eq!(r1.hostname.as_deref(), Some("%h.lab"));
        assert_eq!(r1.connect_timeout, Some(Duration::from_secs(7)));
        assert_eq!(
            r1.route.unwrap().0,
            Route::Jump(vec!["jump@bastion:2222".into(), "second".into()])
        );
        let r2 = config.lookup(&target("R2"));
        assert_eq!(r2.port, Some(2299), "!r2 excludes the first block");
        assert_eq!(r2.user, None);
        assert_eq!(config.lookup(&target("core-1")).port, Some(2201));
        assert_eq!(config.lookup(&target("core-12")).port, None);
        let other = config.lookup(&target("sw9"));
        assert_eq!(
            other.strict_host_key_checking.as_deref(),
            Some("accept-new")
        );
        assert_eq!(
            other.user_known_hosts_files,
            Some(vec!["~/.ssh/a".into(), "~/.ssh/b".into()])
        );
    }

    #[test]
    fn match_criteria_and_includes_keep_their_scope() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".ssh/conf.d")).unwrap();
        std::fs::write(
            dir.path().join(".ssh/conf.d/10-lab"),
            "Port 3000\nHost x\n  User from-include\n",
        )
        .unwrap();
        let config = config(
            dir.path(),
            "Match host r1,r3 !user guest\n  ProxyCommand ssh -W %h:%p gw\nHost lab-*\n  \
             Include conf.d/*\nHost sw*\n  HostName %h.mgmt\nMatch host *.mgmt\n  Port 2022\n\
             Match originalhost *.mgmt\n  Port 2023\nMatch all\n  User everyone\n",
        );
        // `Match host` sees the HostName found before it; `originalhost` the name as given.
        assert_eq!(config.lookup(&target("sw1")).port, Some(2022));
        let r1 = config.lookup(&target("r1"));
        assert_eq!(
            r1.route.unwrap().0,
            Route::Command("ssh -W %h:%p gw".into())
        );
        let guest = config.lookup(&Target {
            user: "guest",
            ..target("r1")
        });
        assert!(guest.route.is_none());
        assert_eq!(config.lookup(&target("lab-1")).port, Some(3000));
        // The included file's `Host x` holds only for x, and only inside `Host lab-*`.
        assert_eq!(
            config.lookup(&target("lab-1")).user.as_deref(),
            Some("everyone")
        );
        assert_eq!(config.lookup(&target("r9")).port, None);
    }

    #[test]
    fn bad_values_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        for (text, line, says) in [
            ("Host a\n  Port 0\n", 2, "Port"),
            ("Host a\n\n  ConnectTimeout soon\n", 3, "ConnectTimeout"),
            ("Match exec true\n", 1, "Match exec"),
            ("Host\n", 1, "Host needs"),
            ("ProxyJump a:x\n", 1, "ProxyJump"),
            ("ProxyCommand nc %z\n", 1, "ProxyCommand"),
            ("User \"open\n", 1, "unterminated"),
        ] {
            std::fs::write(&file, text).unwrap();
            let err = SshConfig::read(&file, dir.path()).unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
            let shown = err.to_string();
            assert!(
                shown.starts_with(&format!("{}:{line}: ", file.display())),
                "{shown}"
            );
            assert!(shown.contains(says), "{shown}");
        }
    }

    #[test]
    fn jump_specs_read_like_openssh() {
        let jump = parse_jump("ops@10.0.0.1:2222").unwrap();
        assert_eq!(
            (jump.username.as_deref(), jump.host.as_str(), jump.port),
            (Some("ops"), "10.0.0.1", Some(2222))
        );
        let bare = parse_jump("bastion").unwrap();
        assert_eq!((bare.username, bare.port), (None, None));
        let v6 = parse_jump("[::1]:22").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", Some(22)));
        for bad in ["@h", "h:0", "[::1", "h:port", ""] {
            assert!(parse_jump(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn glob_patterns() {
        assert!(glob_match(b"*", b"anything"));
        assert!(glob_match(b"r?-*.lab", b"r1-core.lab"));
        assert!(!glob_match(b"r?", b"r10"));
        assert!(glob_match(b"*a*b*", b"xxaxxbxx"));
        assert!(!glob_match(b"*a*b", b"xxaxxbxx"));
    }

    #[test]
    fn identity_tokens_expand() {
        let home = Path::new("/home/me");
        assert_eq!(
            expand_identity("~/.ssh/%h_%r", home, "r1", "ops"),
            "/home/me/.ssh/r1_ops"
        );
        assert_eq!(expand_identity("%d/k%%", home, "r1", "ops"), "/home/me/k%");
    }
}

#[cfg(test)]
mod apply_tests {
    use super::*;
    use crate::job::Given;

    fn device(name: &str) -> Host {
        let mut host = crate::strategy::testing::jobs(1).remove(0).host;
        host.name = name.into();
        host.host = name.into();
        host.port = 22;
        host.username = String::new();
        host
    }

    fn env_for(home: &Path) -> impl Fn(&str) -> Option<String> + '_ {
        move |name| match name {
            "HOME" => Some(home.display().to_string()),
            _ => None,
        }
    }

    const CONFIG: &str = "\
Host r1
  HostName 10.0.0.1
  Port 2201
  User ops
  IdentityFile ~/.ssh/r1
  ProxyJump gw
  ConnectTimeout 3
  StrictHostKeyChecking yes
  UserKnownHostsFile ~/.ssh/lab_hosts
Host gw
  HostName 192.0.2.1
  Port 2222
  User jump
Host *
  ProxyCommand ssh -W %h:%p other
";

    #[test]
    fn ssh_config_fills_what_the_inventory_left_unsaid() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path();
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        std::fs::write(home.join(".ssh/config"), CONFIG).unwrap();
        let mut hosts = vec![device("r1"), device("r1"), device("r2")];
        // The second r1's inventory gave its port, user, key and route itself.
        hosts[1].port = 3000;
        hosts[1].username = "mine".into();
        hosts[1].key_file = Some("/keys/mine".into());
        hosts[1].reach.given = Given {
            port: true,
            username: true,
            key_file: true,
            route: true,
        };
        apply(&mut hosts, &Setting::default(), &env_for(home)).unwrap();
        let r1 = &hosts[0];
        assert_eq!((r1.host.as_str(), r1.port), ("10.0.0.1", 2201));
        assert_eq!(r1.username, "ops");
        let key = home.join(".ssh/r1").display().to_string();
        assert_eq!(r1.key_file.as_deref(), Some(key.as_str()));
        assert_eq!(r1.reach.connect_timeout, Some(Duration::from_secs(3)));
        assert_eq!(r1.reach.strict_host_key_checking.as_deref(), Some("yes"));
        let known = home.join(".ssh/lab_hosts").display().to_string();
        assert_eq!(r1.reach.user_known_hosts_files, [known]);
        // The jump host's own HostName, Port and User, as `ssh -J gw` would use.
        let hop = &r1.reach.jump[0];
        assert_eq!(hop.describe(), "jump@192.0.2.1:2222");
        assert_eq!(r1.reach.proxy_command, None, "ProxyJump came first");

        let own = &hosts[1];
        assert_eq!((own.host.as_str(), own.port), ("10.0.0.1", 3000));
        assert_eq!(own.username, "mine");
        assert_eq!(own.key_file.as_deref(), Some("/keys/mine"));
        assert!(own.reach.jump.is_empty() && own.reach.proxy_command.is_none());

        let r2 = &hosts[2];
        assert_eq!(
            r2.reach.proxy_command.as_deref(),
            Some("ssh -W %h:%p other")
        );
        assert_eq!(r2.port, 22);
    }

    #[test]
    fn the_run_chooses_the_file_a_host_may_name_its_own_and_j_overrides_routes() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path();
        let run_file = home.join("run_config");
        std::fs::write(&run_file, "Host *\n  Port 2001\n").unwrap();
        let own_file = home.join("own_config");
        std::fs::write(&own_file, "Host *\n  Port 2002\n").unwrap();
        let mut hosts = vec![device("a"), device("b")];
        hosts[1].reach.ssh_config_file = Some(own_file.display().to_string());
        let jump = vec![parse_jump("ops@gw:2222").unwrap()];
        let setting = Setting {
            choice: Choice::File(run_file.clone()),
            jump: jump.clone(),
        };
        apply(&mut hosts, &setting, &env_for(home)).unwrap();
        assert_eq!((hosts[0].port, hosts[1].port), (2001, 2002));
        assert!(hosts.iter().all(|host| host.reach.jump == jump));

        let mut hosts = vec![device("a"), device("b")];
        hosts[1].reach.ssh_config_file = Some(own_file.display().to_string());
        let nothing = Setting {
            choice: Choice::Nothing,
            jump: Vec::new(),
        };
        apply(&mut hosts, &nothing, &env_for(home)).unwrap();
        assert_eq!((hosts[0].port, hosts[1].port), (22, 2002));

        let missing = Setting {
            choice: Choice::File(home.join("absent")),
            jump: Vec::new(),
        };
        let err = apply(&mut [device("a")], &missing, &env_for(home)).unwrap_err();
        assert!(err.to_string().contains("absent: cannot read"), "{err}");
        // No ~/.ssh/config: nothing to read, nothing wrong.
        apply(&mut [device("a")], &Setting::default(), &env_for(home)).unwrap();
    }

    #[test]
    fn telnet_hosts_take_jump_hosts_but_not_ssh_config() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, "Host *\n  Port 2001\n  User ops\n").unwrap();
        let mut telnet = device("t1");
        telnet.transport = TransportKind::Telnet;
        telnet.port = 23;
        let setting = Setting {
            choice: Choice::File(file),
            jump: vec![parse_jump("gw").unwrap()],
        };
        let mut hosts = [telnet];
        apply(&mut hosts, &setting, &env_for(dir.path())).unwrap();
        assert_eq!((hosts[0].port, hosts[0].username.as_str()), (23, ""));
        assert_eq!(hosts[0].reach.jump[0].describe(), "ops@gw:2001");
    }
}
