//! SSH over libssh2 (the `ssh2` crate), blocking: handshake, authentication, a pty and a shell,
//! on any socket (TCP, or a socketpair end that a jump host or ProxyCommand carries: `reach`). Also what the async transport (`ssh_async`) shares with it, so the two differ only
//! in their I/O calls: the algorithm lists, the choice and order of authentication methods (key
//! file, SSH agent, password, keyboard-interactive), how an attempt is judged, the pty shape and
//! the classification of libssh2 errors.
//!
//! Key material and passphrases stay inside libssh2 and the agent: nothing here prints them.
//!
//! The host key is checked (`hostkeys::verify`) right after the key exchange and before any
//! authentication request, so a device that fails the check is sent nothing but the key
//! exchange. The host key algorithms of keys already known for the host are asked for first,
//! as OpenSSH orders them, so a device with several keys shows the one on record.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::path::Path;
use std::time::Instant;

use ssh2::{BlockDirections, ErrorCode, MethodType, Session};

use super::{closed_by_device, time_left, Channel, Received, TransportError};
use crate::hostkeys::{self, known_hosts, HostKeySeen, KnownHosts};
use crate::job::{ErrorKind, Host};
use crate::os::{self, SocketWait};

/// Key exchange for modern hosts, most preferred first.
pub const KEX_MODERN: &[&str] = &[
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
];
/// SHA-1 key exchange, offered after the modern list only to `ssh_legacy` hosts (old IOS).
pub const KEX_LEGACY: &[&str] = &[
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group1-sha1",
];
pub const HOSTKEY_MODERN: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
];
pub const HOSTKEY_LEGACY: &[&str] = &["ssh-rsa"];
pub const CIPHERS_MODERN: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
];
pub const CIPHERS_LEGACY: &[&str] = &["aes256-cbc", "aes192-cbc", "aes128-cbc", "3des-cbc"];
pub const MACS_MODERN: &[&str] = &[
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
];
pub const MACS_LEGACY: &[&str] = &["hmac-sha1", "hmac-sha1-96"];

/// The terminal asked for: vt100, 511 columns (so devices do not wrap long lines), 24 rows.
pub const PTY_TERM: &str = "vt100";
pub const PTY_SIZE: (u32, u32, u32, u32) = (511, 24, 0, 0);

/// libssh2 error codes netrun tells apart (`LIBSSH2_ERROR_*`).
const ERROR_SOCKET_SEND: i32 = -7;
const ERROR_TIMEOUT: i32 = -9;
const ERROR_SOCKET_DISCONNECT: i32 = -13;
const ERROR_AUTHENTICATION_FAILED: i32 = -18;
const ERROR_CHANNEL_FAILURE: i32 = -21;
const ERROR_PUBLICKEY_UNVERIFIED: i32 = -19;
const ERROR_SOCKET_RECV: i32 = -43;

/// `method_pref` calls for a host: each method type with its comma-separated preference list.
/// `known_types` are the key types known_hosts holds for the host: their algorithms go first.
pub fn algorithm_preferences(legacy: bool, known_types: &[String]) -> Vec<(MethodType, String)> {
    let names = |modern: &[&'static str], old: &[&'static str]| {
        let mut names = modern.to_vec();
        if legacy {
            names.extend_from_slice(old);
        }
        names
    };
    let mut hostkey = names(HOSTKEY_MODERN, HOSTKEY_LEGACY);
    // A stable sort: known types first, each group in netrun's own order.
    hostkey.sort_by_key(|algorithm| !known_types.iter().any(|t| key_type_of(algorithm) == t));
    let (kex, hostkey) = (names(KEX_MODERN, KEX_LEGACY).join(","), hostkey.join(","));
    let list = |modern: &[&'static str], old: &[&'static str]| names(modern, old).join(",");
    let (ciphers, macs) = (
        list(CIPHERS_MODERN, CIPHERS_LEGACY),
        list(MACS_MODERN, MACS_LEGACY),
    );
    vec![
        (MethodType::Kex, kex),
        (MethodType::HostKey, hostkey),
        (MethodType::CryptCs, ciphers.clone()),
        (MethodType::CryptSc, ciphers),
        (MethodType::MacCs, macs.clone()),
        (MethodType::MacSc, macs),
    ]
}

/// The key type a host key algorithm signs with: RSA keys are `ssh-rsa` whatever the hash.
fn key_type_of(algorithm: &str) -> &str {
    match algorithm {
        "rsa-sha2-512" | "rsa-sha2-256" => "ssh-rsa",
        other => other,
    }
}

/// The host key algorithms to offer `host`, and the `method_pref` calls that offer them.
pub fn preferences_for(host: &Host, known: &KnownHosts) -> Vec<(MethodType, String)> {
    let known_types = match host.host_keys.policy() {
        hostkeys::HostKeyPolicy::Off => Vec::new(),
        _ => known.known_types(
            &host.host_keys.files,
            &known_hosts::host_name(&host.host, host.port),
        ),
    };
    algorithm_preferences(host.ssh_legacy, &known_types)
}

/// Let libssh2 put packets that can go together in one TCP segment (netrun's libssh2 patch 11,
/// `vendor/libssh2-sys/PATCHES.md`): the pty request with the shell request, one round trip for
/// both as OpenSSH's client sends them (a refused pty still fails the shell), and the first
/// NEWKEYS with the service request after it.
pub fn pipeline(session: &Session) {
    let mut raw = session.raw();
    // SAFETY: `raw` is this session's own `LIBSSH2_SESSION`, locked by the guard for the call;
    // setting a known flag only stores it in the struct.
    unsafe { libssh2_sys::libssh2_session_flag(&mut *raw, libssh2_sys::LIBSSH2_FLAG_PIPELINE, 1) };
}

/// Check the host key a finished key exchange showed (`session.host_key()`'s blob).
pub fn check_host_key(
    shown: Option<&[u8]>,
    host: &Host,
    known: &KnownHosts,
) -> Result<HostKeySeen, TransportError> {
    let key = shown.ok_or_else(|| {
        TransportError::new(
            ErrorKind::Protocol,
            "SSH handshake: the server showed no host key",
        )
    })?;
    hostkeys::verify(known, &host.host_keys, &host.host, host.port, key)
}

/// An authentication method netrun can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// `userauth_pubkey_file` with the host's `key_file`.
    PublicKey,
    /// Each identity the SSH agent at `SSH_AUTH_SOCK` holds, in the agent's order.
    Agent,
    Password,
    /// Every prompt answered with the password (servers that only offer this for passwords).
    KeyboardInteractive,
}

impl AuthMethod {
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::PublicKey => "publickey",
            AuthMethod::Agent => "agent",
            AuthMethod::Password => "password",
            AuthMethod::KeyboardInteractive => "keyboard-interactive",
        }
    }

    /// The SSH method name the server lists it under.
    fn ssh_name(self) -> &'static str {
        match self {
            AuthMethod::Agent => AuthMethod::PublicKey.name(),
            method => method.name(),
        }
    }
}

/// Whether an SSH agent is there to ask: `SSH_AUTH_SOCK` is set and not empty (libssh2 reads the
/// same variable when it connects).
pub fn agent_available() -> bool {
    std::env::var_os("SSH_AUTH_SOCK").is_some_and(|socket| !socket.is_empty())
}

/// The methods to try, in order, given what the server offers (`publickey,password,...`) and
/// whether an SSH agent is available. Netmiko's order: the host's key file, then the agent, then
/// the password, then keyboard-interactive answered with the password. Password methods are
/// skipped when the host has no password (a key-only host must not count failed logins).
pub fn auth_methods_to_try(host: &Host, offered: &str, agent: bool) -> Vec<AuthMethod> {
    let offers = |name: &str| offered.split(',').any(|m| m.trim() == name);
    let password = !host.password.is_empty();
    [
        (AuthMethod::PublicKey, host.key_file.is_some()),
        (AuthMethod::Agent, agent),
        (AuthMethod::Password, password),
        (AuthMethod::KeyboardInteractive, password),
    ]
    .into_iter()
    .filter(|(method, usable)| *usable && offers(method.ssh_name()))
    .map(|(method, _)| method)
    .collect()
}

/// The method to send before asking the server which it offers, when the host has nothing but a
/// password: that password. Asking first (the "none" request) costs a round trip before every
/// login, and most devices take passwords; one that does not (keyboard-interactive only) refuses
/// the method without checking it, and the list it then offers is asked for as usual. Paramiko,
/// and so Netmiko, log in the same way. With a key file or an agent the server's list decides.
pub fn password_first(host: &Host, agent: bool) -> Option<AuthMethod> {
    (host.key_file.is_none() && !agent && !host.password.is_empty()).then_some(AuthMethod::Password)
}

/// What the server offers, after `guessed` (if any), left to try.
pub fn methods_after(
    host: &Host,
    offered: &str,
    agent: bool,
    guessed: Option<AuthMethod>,
) -> Result<Vec<AuthMethod>, TransportError> {
    let methods = auth_methods_to_try(host, offered, agent);
    if methods.is_empty() {
        return Err(no_usable_method(host, offered, agent));
    }
    Ok(methods
        .into_iter()
        .filter(|m| Some(*m) != guessed)
        .collect())
}

/// The error when netrun has no credentials of a kind the server accepts.
pub fn no_usable_method(host: &Host, offered: &str, agent: bool) -> TransportError {
    let have: Vec<&str> = [
        ("a key file", host.key_file.is_some()),
        ("an SSH agent", agent),
        ("a password", !host.password.is_empty()),
    ]
    .into_iter()
    .filter_map(|(what, present)| present.then_some(what))
    .collect();
    let have = if have.is_empty() {
        "no key file, SSH agent or password".to_string()
    } else {
        have.join(", ")
    };
    TransportError::new(
        ErrorKind::Auth,
        format!(
            "no way to log in as '{}' that the server accepts (it offers {offered}; netrun has {have})",
            host.username
        ),
    )
}

/// What one login attempt (one method, or one of the agent's identities) came to.
#[derive(Debug)]
pub enum LoginAttempt {
    LoggedIn,
    Rejected,
    Failed(ssh2::Error),
}

/// Judge an attempt from libssh2's answer and whether the session is now authenticated (a
/// method can succeed only partially, e.g. when the server wants a second factor).
pub fn judge(result: Result<(), ssh2::Error>, authenticated: bool) -> LoginAttempt {
    match result {
        Ok(()) if authenticated => LoginAttempt::LoggedIn,
        Ok(()) => LoginAttempt::Rejected,
        Err(err) if is_rejection(&err) => LoginAttempt::Rejected,
        Err(err) => LoginAttempt::Failed(err),
    }
}

/// Whether an attempt with `method` logged in, from libssh2's answer and the session state; a
/// rejection is added to `rejected_so_far`, a failure is the host's error.
pub fn settle(
    answer: Result<(), ssh2::Error>,
    authenticated: bool,
    host: &Host,
    method: AuthMethod,
    rejected_so_far: &mut Vec<AuthMethod>,
) -> Result<bool, TransportError> {
    match judge(answer, authenticated) {
        LoginAttempt::LoggedIn => Ok(true),
        LoginAttempt::Rejected => {
            rejected_so_far.push(method);
            Ok(false)
        }
        LoginAttempt::Failed(err) => Err(failed_attempt(&err, host, rejected_so_far)),
    }
}

/// The error for an attempt that failed (rather than being rejected) after the methods
/// `rejected_before` were rejected.
pub fn failed_attempt(
    err: &ssh2::Error,
    host: &Host,
    rejected_before: &[AuthMethod],
) -> TransportError {
    // Servers often hang up after a rejected attempt: that is still a rejection.
    if !rejected_before.is_empty() && is_disconnect(err) {
        rejected(host, rejected_before)
    } else {
        classify(err, Phase::Auth)
    }
}

/// The agent's verdict when none of its identities logged in (or it could not be used: a stale
/// `SSH_AUTH_SOCK` moves on to the next method, as OpenSSH does).
pub fn agent_rejected() -> ssh2::Error {
    ssh2::Error::new(
        ErrorCode::Session(ERROR_AUTHENTICATION_FAILED),
        "no SSH agent identity was accepted",
    )
}

/// The error when every method tried was rejected.
pub fn rejected(host: &Host, tried: &[AuthMethod]) -> TransportError {
    let tried: Vec<&str> = tried.iter().map(|m| m.name()).collect();
    TransportError::new(
        ErrorKind::Auth,
        format!(
            "authentication failed for user '{}' (tried {})",
            host.username,
            tried.join(", ")
        ),
    )
}

/// Answers every keyboard-interactive prompt with the password.
pub struct PasswordPrompter<'a>(pub &'a str);

impl ssh2::KeyboardInteractivePrompt for PasswordPrompter<'_> {
    fn prompt<'b>(
        &mut self,
        _username: &str,
        _instructions: &str,
        prompts: &[ssh2::Prompt<'b>],
    ) -> Vec<String> {
        prompts.iter().map(|_| self.0.to_string()).collect()
    }
}

/// Which step of the session an error happened in; decides its `ErrorKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Handshake,
    Auth,
    Shell,
    Io,
}

impl Phase {
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Handshake => "SSH handshake",
            Phase::Auth => "SSH authentication",
            Phase::Shell => "opening the SSH shell",
            Phase::Io => "SSH session",
        }
    }
}

/// The libssh2 error code, if the error came from libssh2.
fn session_code(err: &ssh2::Error) -> Option<i32> {
    match err.code() {
        ErrorCode::Session(code) => Some(code),
        ErrorCode::SFTP(_) => None,
    }
}

/// True when a server refused to open a channel (for direct-tcpip: it could not reach the
/// address), as opposed to the connection failing.
pub fn is_channel_refused(err: &ssh2::Error) -> bool {
    session_code(err) == Some(ERROR_CHANNEL_FAILURE)
}

/// True when the server rejected credentials (as opposed to the connection failing).
pub fn is_rejection(err: &ssh2::Error) -> bool {
    matches!(
        session_code(err),
        Some(ERROR_AUTHENTICATION_FAILED | ERROR_PUBLICKEY_UNVERIFIED)
    )
}

/// True when the connection itself went away.
pub fn is_disconnect(err: &ssh2::Error) -> bool {
    matches!(
        session_code(err),
        Some(ERROR_SOCKET_DISCONNECT | ERROR_SOCKET_RECV | ERROR_SOCKET_SEND)
    )
}

/// Classify a libssh2 error met during `phase`.
pub fn classify(err: &ssh2::Error, phase: Phase) -> TransportError {
    let what = phase.describe();
    let kind = if session_code(err) == Some(ERROR_TIMEOUT) {
        return TransportError::timeout(what);
    } else if is_rejection(err) {
        ErrorKind::Auth
    } else if is_disconnect(err) {
        // Even mid-handshake: a socket error there is the device's reset, not bad protocol.
        return closed_by_device(what, format!("libssh2: {}", err.message()));
    } else if phase == Phase::Handshake {
        ErrorKind::Protocol
    } else if is_disconnect(err) || phase == Phase::Io {
        ErrorKind::Closed
    } else {
        ErrorKind::Protocol
    };
    TransportError::new(kind, format!("{what}: {}", err.message()))
}

/// A logged-in SSH shell on a pty.
pub struct SshShell {
    session: Session,
    channel: ssh2::Channel,
}

/// A session whose key exchange is done and whose host key passed the check; nothing else was
/// sent yet.
pub struct SshHandshake {
    session: Session,
}

impl SshHandshake {
    /// Key exchange on `stream` and the host key check, before `deadline`.
    pub fn new(
        stream: impl AsRawFd + 'static,
        host: &Host,
        known: &KnownHosts,
        deadline: Instant,
    ) -> Result<(SshHandshake, HostKeySeen), TransportError> {
        let mut session = Session::new().map_err(|e| classify(&e, Phase::Handshake))?;
        pipeline(&session);
        for (method, preferences) in preferences_for(host, known) {
            session
                .method_pref(method, &preferences)
                .map_err(|e| classify(&e, Phase::Handshake))?;
        }
        session.set_tcp_stream(stream);
        arm(&session, deadline, Phase::Handshake)?;
        session
            .handshake()
            .map_err(|e| classify(&e, Phase::Handshake))?;
        let seen = check_host_key(session.host_key().map(|(key, _)| key), host, known)?;
        Ok((SshHandshake { session }, seen))
    }

    /// Disconnect without logging in (a host key scan), before `deadline`.
    pub fn disconnect(self, deadline: Instant) {
        if arm(&self.session, deadline, Phase::Io).is_ok() {
            let _ = self.session.disconnect(None, DISCONNECT_REASON, None);
        }
    }

    /// Authenticate and start a shell, before `deadline`.
    pub fn open_shell(self, host: &Host, deadline: Instant) -> Result<SshShell, TransportError> {
        let SshHandshake { session } = self;
        authenticate(&session, host, deadline)?;
        arm(&session, deadline, Phase::Shell)?;
        let shell = |session: &Session| {
            let mut channel = session.channel_session()?;
            channel.request_pty(PTY_TERM, None, Some(PTY_SIZE))?;
            channel.shell()?;
            Ok(channel)
        };
        let channel = shell(&session).map_err(|e: ssh2::Error| classify(&e, Phase::Shell))?;
        Ok(SshShell { session, channel })
    }
}

/// Handshake, check the host key and authenticate on `stream` before `deadline`: a jump host's
/// logged-in session, which will carry direct-tcpip channels.
pub fn login(
    stream: impl AsRawFd + 'static,
    host: &Host,
    known: &KnownHosts,
    deadline: Instant,
) -> Result<Session, TransportError> {
    let (SshHandshake { session }, _seen) = SshHandshake::new(stream, host, known, deadline)?;
    authenticate(&session, host, deadline)?;
    Ok(session)
}

/// Set libssh2's timeout for the next blocking call to the time left before `deadline`.
pub fn arm(session: &Session, deadline: Instant, phase: Phase) -> Result<(), TransportError> {
    let left = time_left(deadline, phase.describe())?;
    // 0 means "no timeout" to libssh2, so round up to at least 1 ms.
    let ms = u32::try_from(left.as_millis()).unwrap_or(u32::MAX).max(1);
    session.set_timeout(ms);
    Ok(())
}

fn authenticate(session: &Session, host: &Host, deadline: Instant) -> Result<(), TransportError> {
    let agent = agent_available();
    let guessed = password_first(host, agent);
    let mut rejected_so_far = Vec::new();
    if let Some(method) = guessed {
        if logs_in(session, host, deadline, method, &mut rejected_so_far)? {
            return Ok(());
        }
    }
    arm(session, deadline, Phase::Auth)?;
    let offered = match session.auth_methods(&host.username) {
        Ok(offered) => offered.to_string(),
        // The "none" method succeeded: nothing to do.
        Err(_) if session.authenticated() => return Ok(()),
        Err(err) => return Err(failed_attempt(&err, host, &rejected_so_far)),
    };
    for method in methods_after(host, &offered, agent, guessed)? {
        if logs_in(session, host, deadline, method, &mut rejected_so_far)? {
            return Ok(());
        }
    }
    Err(rejected(host, &rejected_so_far))
}

/// Whether `method` logged in; a rejection is added to `rejected_so_far`.
fn logs_in(
    session: &Session,
    host: &Host,
    deadline: Instant,
    method: AuthMethod,
    rejected_so_far: &mut Vec<AuthMethod>,
) -> Result<bool, TransportError> {
    arm(session, deadline, Phase::Auth)?;
    let answer = try_method(session, host, method);
    settle(
        answer,
        session.authenticated(),
        host,
        method,
        rejected_so_far,
    )
}

/// One login attempt with `method`.
fn try_method(session: &Session, host: &Host, method: AuthMethod) -> Result<(), ssh2::Error> {
    let password = host.password.expose();
    match method {
        AuthMethod::PublicKey => session.userauth_pubkey_file(
            &host.username,
            None,
            Path::new(host.key_file.as_deref().unwrap_or_default()),
            host.key_passphrase.as_ref().map(|p| p.expose()),
        ),
        AuthMethod::Agent => agent_login(session, &host.username),
        AuthMethod::Password => session.userauth_password(&host.username, password),
        AuthMethod::KeyboardInteractive => {
            session.userauth_keyboard_interactive(&host.username, &mut PasswordPrompter(password))
        }
    }
}

/// Offer the agent's identities one by one until the server accepts one.
fn agent_login(session: &Session, username: &str) -> Result<(), ssh2::Error> {
    let mut agent = session.agent()?;
    if agent
        .connect()
        .and_then(|()| agent.list_identities())
        .is_err()
    {
        return Err(agent_rejected());
    }
    for identity in agent.identities()? {
        let result = agent.userauth(username, &identity);
        match judge(result, session.authenticated()) {
            LoginAttempt::LoggedIn => return Ok(()),
            LoginAttempt::Rejected => {}
            LoginAttempt::Failed(err) => return Err(err),
        }
    }
    Err(agent_rejected())
}

impl SshShell {
    /// A blocking read until data, EOF or `deadline`.
    fn recv_blocking(
        &mut self,
        buffer: &mut [u8],
        deadline: Instant,
    ) -> Result<Received, TransportError> {
        // libssh2 may return 0 bytes without EOF (e.g. after a window adjust); read again until
        // data, EOF or the deadline.
        loop {
            arm(&self.session, deadline, Phase::Io)?;
            match self.channel.read(buffer) {
                Ok(0) if self.channel.eof() => return Ok(Received::Eof),
                Ok(0) => {}
                Ok(n) => return Ok(Received::Data(n)),
                Err(err) => return Err(io_error(&err)),
            }
        }
    }

    /// `recv_blocking` that also ends when `wake` is readable. libssh2 may hold decrypted data
    /// the socket no longer shows, so each round first reads without blocking, and only an empty
    /// read waits on the socket (in the direction libssh2 is blocked on) beside `wake`.
    fn recv_or_wake(
        &mut self,
        buffer: &mut [u8],
        deadline: Instant,
        wake: BorrowedFd<'_>,
    ) -> Result<Received, TransportError> {
        loop {
            self.session.set_blocking(false);
            let read = self.channel.read(buffer);
            self.session.set_blocking(true);
            match read {
                Ok(0) if self.channel.eof() => return Ok(Received::Eof),
                Ok(n) if n > 0 => return Ok(Received::Data(n)),
                Ok(_) => {}
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(err) => return Err(io_error(&err)),
            }
            time_left(deadline, Phase::Io.describe())?;
            let directions = self.session.block_directions();
            let read = matches!(directions, BlockDirections::Inbound | BlockDirections::Both);
            let write = matches!(
                directions,
                BlockDirections::Outbound | BlockDirections::Both
            );
            // SAFETY: the session owns its socket until it is dropped, and the borrow ends with
            // this statement, while `self.session` is alive.
            let socket = unsafe { BorrowedFd::borrow_raw(self.session.as_raw_fd()) };
            let waited = os::wait_socket(socket, read || !write, write, wake, deadline)
                .map_err(|err| io_error(&err))?;
            match waited {
                SocketWait::Ready => {}
                SocketWait::Woken => return Ok(Received::Woken),
                SocketWait::TimedOut => return Err(TransportError::timeout(Phase::Io.describe())),
            }
        }
    }
}

impl Channel for SshShell {
    fn send(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), TransportError> {
        arm(&self.session, deadline, Phase::Io)?;
        // No `flush`: libssh2 sends as it writes, and its channel flush (libssh2_channel_flush_ex)
        // *discards* the device's output already received and not yet read.
        self.channel.write_all(bytes).map_err(|err| io_error(&err))
    }

    fn recv(
        &mut self,
        buffer: &mut [u8],
        deadline: Instant,
        wake: Option<BorrowedFd<'_>>,
    ) -> Result<Received, TransportError> {
        match wake {
            None => self.recv_blocking(buffer, deadline),
            Some(wake) => self.recv_or_wake(buffer, deadline, wake),
        }
    }

    fn close(&mut self, deadline: Instant) {
        if arm(&self.session, deadline, Phase::Io).is_ok() {
            // SAFETY: the session owns its socket until it is dropped, after this function.
            let socket = unsafe { BorrowedFd::borrow_raw(self.session.as_raw_fd()) };
            // EOF, CLOSE and DISCONNECT in one segment: one write and one wake-up for the
            // device instead of three.
            os::cork(socket, true);
            let _ = self.channel.close();
            let _ = self.session.disconnect(None, DISCONNECT_REASON, None);
            os::cork(socket, false);
        }
    }
}

/// What netrun tells a device when it disconnects.
pub const DISCONNECT_REASON: &str = "netrun: session done";

/// Classify an I/O error on an open session (ssh2 maps LIBSSH2_ERROR_TIMEOUT to `TimedOut`).
pub fn io_error(err: &std::io::Error) -> TransportError {
    match err.kind() {
        std::io::ErrorKind::TimedOut => TransportError::timeout(Phase::Io.describe()),
        _ => TransportError::new(
            ErrorKind::Closed,
            format!("{}: {err}", Phase::Io.describe()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Secret, TransportKind};
    use std::time::Duration;

    fn host(key_file: Option<&str>) -> Host {
        Host {
            name: "r1".into(),
            host: "127.0.0.1".into(),
            port: 22,
            transport: TransportKind::Ssh,
            platform: "cisco_ios".into(),
            platform_error: None,
            username: "admin".into(),
            password: Secret::new("pw"),
            secret: None,
            timeout: Duration::from_secs(5),
            limits: crate::job::Limits::default(),
            ssh_legacy: false,
            key_file: key_file.map(String::from),
            key_passphrase: None,
            host_keys: Default::default(),
            groups: Vec::new(),
            data: Default::default(),
            reach: Default::default(),
        }
    }

    #[test]
    fn every_listed_algorithm_is_built_into_libssh2() {
        let session = Session::new().unwrap();
        let lists: [(MethodType, &[&[&str]]); 4] = [
            (MethodType::Kex, &[KEX_MODERN, KEX_LEGACY]),
            (MethodType::HostKey, &[HOSTKEY_MODERN, HOSTKEY_LEGACY]),
            (MethodType::CryptCs, &[CIPHERS_MODERN, CIPHERS_LEGACY]),
            (MethodType::MacCs, &[MACS_MODERN, MACS_LEGACY]),
        ];
        for (method, names) in lists {
            let supported = session.supported_algs(method).unwrap();
            for name in names.iter().flat_map(|list| list.iter()) {
                // 3des-cbc is compiled out of some OpenSSL builds; everything else must be there.
                if *name != "3des-cbc" {
                    assert!(
                        supported.contains(name),
                        "{name} is not built into libssh2: {supported:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn legacy_algorithms_only_for_legacy_hosts() {
        let modern = algorithm_preferences(false, &[]);
        let legacy = algorithm_preferences(true, &[]);
        let joined = |prefs: &[(MethodType, String)]| {
            prefs
                .iter()
                .map(|(_, l)| l.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        assert!(!joined(&modern).contains("sha1"));
        assert!(!joined(&modern).split(',').any(|n| n == "ssh-rsa"));
        assert!(joined(&legacy).contains("diffie-hellman-group14-sha1"));
        assert!(joined(&legacy).split(',').any(|n| n == "ssh-rsa"));
        assert!(joined(&legacy).split(',').any(|n| n == "hmac-sha1"));
        // libssh2 accepts every list (it rejects a list with no method it knows).
        let session = Session::new().unwrap();
        for (method, list) in modern.iter().chain(&legacy) {
            session.method_pref(*method, list).unwrap();
        }
    }

    #[test]
    fn known_key_types_are_asked_for_first() {
        let hostkey = |legacy, known: &[&str]| {
            let known: Vec<String> = known.iter().map(|t| t.to_string()).collect();
            algorithm_preferences(legacy, &known)
                .into_iter()
                .find(|(method, _)| matches!(method, MethodType::HostKey))
                .unwrap()
                .1
        };
        assert_eq!(hostkey(false, &[]), HOSTKEY_MODERN.join(","));
        assert_eq!(
            hostkey(true, &["ssh-rsa"]),
            "rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-ed25519,ecdsa-sha2-nistp256,\
             ecdsa-sha2-nistp384,ecdsa-sha2-nistp521"
        );
        assert!(hostkey(false, &["ecdsa-sha2-nistp384"])
            .starts_with("ecdsa-sha2-nistp384,ssh-ed25519,"));
    }

    #[test]
    fn auth_tries_key_file_then_agent_then_password_then_keyboard_interactive() {
        let all = "publickey,password,keyboard-interactive";
        assert_eq!(
            auth_methods_to_try(&host(Some("/k")), all, true),
            vec![
                AuthMethod::PublicKey,
                AuthMethod::Agent,
                AuthMethod::Password,
                AuthMethod::KeyboardInteractive
            ]
        );
        assert_eq!(
            auth_methods_to_try(&host(Some("/k")), all, false),
            vec![
                AuthMethod::PublicKey,
                AuthMethod::Password,
                AuthMethod::KeyboardInteractive
            ]
        );
        assert_eq!(
            auth_methods_to_try(&host(None), all, false),
            vec![AuthMethod::Password, AuthMethod::KeyboardInteractive]
        );
        assert_eq!(
            auth_methods_to_try(&host(None), "publickey,keyboard-interactive", false),
            vec![AuthMethod::KeyboardInteractive]
        );
        // The agent signs with public keys: a server without `publickey` gets none of it.
        assert_eq!(
            auth_methods_to_try(&host(None), "password", true),
            vec![AuthMethod::Password]
        );
        assert!(auth_methods_to_try(&host(None), "publickey", false).is_empty());
        let err = no_usable_method(&host(None), "publickey", false);
        assert_eq!(err.kind, ErrorKind::Auth);
        assert!(err.message.contains("netrun has a password"), "{err}");
    }

    #[test]
    fn a_host_without_password_uses_only_keys() {
        let keyless = Host {
            password: Secret::new(""),
            ..host(Some("/k"))
        };
        let all = "publickey,password,keyboard-interactive";
        assert_eq!(
            auth_methods_to_try(&keyless, all, true),
            vec![AuthMethod::PublicKey, AuthMethod::Agent]
        );
        let nothing = Host {
            key_file: None,
            ..keyless
        };
        assert!(auth_methods_to_try(&nothing, all, false).is_empty());
        let err = no_usable_method(&nothing, all, false);
        assert!(
            err.message
                .contains("netrun has no key file, SSH agent or password"),
            "{err}"
        );
    }

    #[test]
    fn only_a_password_host_sends_its_password_before_asking_for_the_methods() {
        assert_eq!(
            password_first(&host(None), false),
            Some(AuthMethod::Password)
        );
        assert_eq!(password_first(&host(Some("/k")), false), None);
        assert_eq!(password_first(&host(None), true), None);
        let keyless = Host {
            password: Secret::new(""),
            ..host(None)
        };
        assert_eq!(password_first(&keyless, false), None);
    }

    #[test]
    fn after_a_guess_the_offer_decides_and_the_guess_is_not_sent_again() {
        let guess = Some(AuthMethod::Password);
        let all = "publickey,password,keyboard-interactive";
        assert_eq!(
            methods_after(&host(None), all, false, guess).unwrap(),
            vec![AuthMethod::KeyboardInteractive]
        );
        assert_eq!(
            methods_after(&host(None), "keyboard-interactive", false, guess).unwrap(),
            vec![AuthMethod::KeyboardInteractive]
        );
        // Nothing netrun has fits the offer: that is the error, not "tried password".
        let err = methods_after(&host(None), "publickey", false, guess).unwrap_err();
        assert!(err.message.contains("it offers publickey"), "{err}");
        assert_eq!(
            methods_after(&host(Some("/k")), all, false, None).unwrap(),
            auth_methods_to_try(&host(Some("/k")), all, false)
        );
    }

    #[test]
    fn attempts_are_judged_by_libssh2s_answer_and_the_session_state() {
        let err = |code| ssh2::Error::new(ErrorCode::Session(code), "x");
        assert!(matches!(judge(Ok(()), true), LoginAttempt::LoggedIn));
        // Partial success (the server wants more): not logged in yet.
        assert!(matches!(judge(Ok(()), false), LoginAttempt::Rejected));
        for code in [ERROR_AUTHENTICATION_FAILED, ERROR_PUBLICKEY_UNVERIFIED] {
            assert!(matches!(
                judge(Err(err(code)), false),
                LoginAttempt::Rejected
            ));
        }
        assert!(matches!(
            judge(Err(agent_rejected()), false),
            LoginAttempt::Rejected
        ));
        let hangup = err(ERROR_SOCKET_DISCONNECT);
        assert!(matches!(
            judge(Err(err(ERROR_SOCKET_DISCONNECT)), false),
            LoginAttempt::Failed(_)
        ));
        let after_one = failed_attempt(&hangup, &host(None), &[AuthMethod::Agent]);
        assert_eq!(after_one.kind, ErrorKind::Auth);
        assert!(after_one.message.contains("tried agent)"), "{after_one}");
        let at_once = failed_attempt(&hangup, &host(None), &[]);
        assert_eq!(at_once.kind, ErrorKind::Closed);
    }

    #[test]
    fn keyboard_interactive_answers_every_prompt_with_the_password() {
        use ssh2::KeyboardInteractivePrompt;
        let prompts = [
            ssh2::Prompt {
                text: "Password: ".into(),
                echo: false,
            },
            ssh2::Prompt {
                text: "Again: ".into(),
                echo: false,
            },
        ];
        assert_eq!(
            PasswordPrompter("pw").prompt("admin", "", &prompts),
            vec!["pw", "pw"]
        );
    }

    #[test]
    fn libssh2_errors_map_to_error_kinds() {
        let err = |code| ssh2::Error::new(ErrorCode::Session(code), "x");
        assert_eq!(
            classify(&err(ERROR_TIMEOUT), Phase::Io).kind,
            ErrorKind::Timeout
        );
        assert_eq!(
            classify(&err(-5), Phase::Handshake).kind,
            ErrorKind::Protocol
        );
        assert_eq!(
            classify(&err(ERROR_AUTHENTICATION_FAILED), Phase::Auth).kind,
            ErrorKind::Auth
        );
        assert_eq!(
            classify(&err(ERROR_SOCKET_DISCONNECT), Phase::Shell).kind,
            ErrorKind::Closed
        );
        // A reset met while the banners are exchanged: the device closed, no protocol broke.
        for code in [
            ERROR_SOCKET_RECV,
            ERROR_SOCKET_SEND,
            ERROR_SOCKET_DISCONNECT,
        ] {
            let lost = classify(&err(code), Phase::Handshake);
            assert_eq!(lost.kind, ErrorKind::Closed, "{lost}");
            assert!(lost.message.contains("by the device during SSH handshake"));
        }
    }

    #[test]
    fn a_refused_port_is_a_connect_failure() {
        // Bind then drop a listener: the port is (almost certainly) closed right after.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let host = Host { port, ..host(None) };
        let err = crate::transport::tcp_connect(&host, Instant::now() + Duration::from_secs(5))
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Connect, "{err}");
    }
}
