//! Shared test support: `TestLab` starts a real `netrun-testbed` process on loopback and stops
//! it on drop; `Expect` sends lines and reads to a prompt with a deadline over an SSH channel or a
//! Telnet stream (with the minimal option handling a real Telnet client needs).
//!
//! Each test binary uses a subset of these helpers.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use regex::bytes::Regex;
use serde::Deserialize;

/// The book's credentials, which every testbed device uses.
pub const USERNAME: &str = "cisco";
pub const PASSWORD: &str = "cisco";
pub const SECRET: &str = "cisco";

/// How long a testbed may take to print `ready N devices`.
pub const READY_WITHIN: Duration = Duration::from_secs(30);
/// How long one command may take to come back to a prompt.
pub const COMMAND_WITHIN: Duration = Duration::from_secs(20);

/// One entry of the inventory the testbed writes with `--inventory-out`.
#[derive(Debug, Clone, Deserialize)]
pub struct InventoryEntry {
    pub name: String,
    pub device_type: String,
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub secret: String,
    #[serde(default)]
    pub ssh_legacy: bool,
    /// A device serving both SSH and Telnet has one entry with this extra port.
    #[serde(default)]
    pub telnet_port: Option<u16>,
}

impl InventoryEntry {
    pub fn addr(&self) -> SocketAddr {
        format!("{}:{}", self.host, self.port)
            .parse()
            .expect("inventory host:port is a socket address")
    }

    pub fn is_telnet(&self) -> bool {
        self.device_type.ends_with("_telnet")
    }
}

/// A running `netrun-testbed` child process; killed and reaped on drop.
pub struct TestLab {
    child: Option<Child>,
    pid: u32,
    pub inventory: Vec<InventoryEntry>,
    pub inventory_text: String,
    pub ready_line: String,
    stdout_closed: mpsc::Receiver<()>,
    stderr: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl TestLab {
    /// Start a testbed with `args`, adding `--address 127.0.0.1 --ssh-port 0 --inventory-out FILE`
    /// (and `--profile instant` unless `args` names a profile or a lab); wait for the ready line.
    pub fn start(args: &[&str]) -> TestLab {
        let dir = tempfile::tempdir().expect("temp dir");
        let inventory_path = dir.path().join("inventory.yaml");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_netrun-testbed"));
        cmd.args([
            "--address",
            "127.0.0.1",
            "--ssh-port",
            "0",
            "--inventory-out",
        ])
        .arg(&inventory_path)
        .args(args);
        if !args.contains(&"--profile") && !args.contains(&"--lab") {
            cmd.args(["--profile", "instant"]);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn netrun-testbed");
        let pid = child.id();
        let stderr = collect_stderr(&mut child);
        let (lines, stdout_closed) = forward_stdout_lines(&mut child);
        let mut lab = TestLab {
            child: Some(child),
            pid,
            inventory: Vec::new(),
            inventory_text: String::new(),
            ready_line: String::new(),
            stdout_closed,
            stderr,
            _dir: dir,
        };
        lab.ready_line = match lines.recv_timeout(READY_WITHIN) {
            Ok(line) => line,
            Err(e) => panic!(
                "testbed {args:?} printed no ready line within {READY_WITHIN:?} ({e}); stderr:\n{}",
                lab.stderr()
            ),
        };
        assert!(
            lab.ready_line.starts_with("ready "),
            "first stdout line of testbed {args:?} is {:?}, want `ready N devices`; stderr:\n{}",
            lab.ready_line,
            lab.stderr()
        );
        lab.inventory_text = std::fs::read_to_string(&inventory_path)
            .unwrap_or_else(|e| panic!("testbed wrote no inventory at {inventory_path:?}: {e}"));
        lab.inventory = serde_norway::from_str(&lab.inventory_text).unwrap_or_else(|e| {
            panic!(
                "inventory is not a list of devices: {e}\n{}",
                lab.inventory_text
            )
        });
        lab
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// What the testbed printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The SSH inventory entry of device `name` (`R1`..).
    pub fn ssh(&self, name: &str) -> &InventoryEntry {
        self.inventory
            .iter()
            .find(|e| e.name == name && !e.is_telnet())
            .unwrap_or_else(|| {
                panic!(
                    "no ssh entry for {name} in inventory:\n{}",
                    self.inventory_text
                )
            })
    }

    /// The Telnet side of device `name`: its `cisco_ios_telnet` entry, or its SSH entry's
    /// `telnet_port` as a Telnet entry.
    pub fn telnet(&self, name: &str) -> InventoryEntry {
        let named = |e: &&InventoryEntry| e.name == name;
        if let Some(entry) = self.inventory.iter().filter(named).find(|e| e.is_telnet()) {
            return entry.clone();
        }
        let entry = self
            .inventory
            .iter()
            .filter(named)
            .find(|e| e.telnet_port.is_some())
            .unwrap_or_else(|| {
                panic!(
                    "no telnet port for {name} in inventory:\n{}",
                    self.inventory_text
                )
            });
        InventoryEntry {
            device_type: "cisco_ios_telnet".into(),
            port: entry.telnet_port.expect("filtered on telnet_port"),
            telnet_port: None,
            ..entry.clone()
        }
    }

    /// Send SIGTERM and wait (bounded) for the process to exit; returns its exit status.
    pub fn terminate(mut self) -> ExitStatus {
        signal(self.pid, libc::SIGTERM);
        // stdout closes when the process exits; waiting on it keeps this bounded without polling.
        let closed = self.stdout_closed.recv_timeout(Duration::from_secs(15));
        if closed.is_err() {
            signal(self.pid, libc::SIGKILL);
        }
        let status = self
            .child
            .take()
            .expect("child present until terminate")
            .wait()
            .expect("wait for testbed");
        assert!(
            closed.is_ok(),
            "testbed did not exit within 15 s of SIGTERM"
        );
        status
    }
}

impl Drop for TestLab {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(pid).expect("pid fits pid_t");
    // SAFETY: kill(2) takes plain integers; `pid` is our own unreaped child, so it cannot have
    // been recycled for another process.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Forward each stdout line over a channel (so the pipe never fills); the second receiver gets a
/// message when stdout closes (the process exited).
fn forward_stdout_lines(child: &mut Child) -> (mpsc::Receiver<String>, mpsc::Receiver<()>) {
    let stdout = child.stdout.take().expect("piped stdout");
    let (line_tx, line_rx) = mpsc::channel();
    let (closed_tx, closed_rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = line_tx.send(line);
        }
        let _ = closed_tx.send(());
    });
    (line_rx, closed_rx)
}

fn collect_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    let mut stderr = child.stderr.take().expect("piped stderr");
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut s) = sink.lock() {
                s.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
    text
}

/// Run the testbed binary with `args` to completion (bounded by `within`, then killed).
pub fn run_testbed_to_exit(args: &[&str], within: Duration) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_netrun-testbed"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn netrun-testbed");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(within) {
        Ok(output) => output.expect("wait for testbed"),
        Err(_) => {
            signal(pid, libc::SIGKILL);
            let output = rx.recv().expect("waiter thread").expect("wait for testbed");
            panic!(
                "testbed {args:?} still running after {within:?}; stdout: {} stderr: {}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

/// A byte pipe to a device's CLI: an SSH shell channel or a Telnet connection.
pub trait Wire {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Read some bytes, waiting at most `timeout`; `Ok(0)` means the peer closed.
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;
}

/// Why an SSH connection failed: at the TCP level or in the SSH protocol.
#[derive(Debug)]
pub enum SshError {
    Connect(io::Error),
    Ssh(ssh2::Error),
}

impl From<ssh2::Error> for SshError {
    fn from(e: ssh2::Error) -> SshError {
        SshError::Ssh(e)
    }
}

impl std::fmt::Display for SshError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SshError::Connect(e) => write!(f, "connect: {e}"),
            SshError::Ssh(e) => write!(f, "ssh: {e}"),
        }
    }
}

/// Connect, handshake and log in over SSH with a password.
pub fn ssh_login(port: u16, username: &str, password: &str) -> Result<ssh2::Session, SshError> {
    let session = ssh_handshake(port, |_| Ok(()))?;
    session.userauth_password(username, password)?;
    Ok(session)
}

/// Connect and handshake over SSH; `prefs` may restrict the algorithms before the handshake.
pub fn ssh_handshake(
    port: u16,
    prefs: impl FnOnce(&ssh2::Session) -> Result<(), ssh2::Error>,
) -> Result<ssh2::Session, SshError> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let tcp =
        TcpStream::connect_timeout(&addr, Duration::from_secs(10)).map_err(SshError::Connect)?;
    // Without it, Nagle's algorithm holds the client's small key-exchange packets for the
    // server's delayed ACK: tens of milliseconds per login on loopback.
    tcp.set_nodelay(true).map_err(SshError::Connect)?;
    let mut session = ssh2::Session::new()?;
    session.set_timeout(20_000);
    prefs(&session)?;
    session.set_tcp_stream(tcp);
    session.handshake()?;
    Ok(session)
}

/// An interactive SSH shell (pty + shell), the way Netmiko and scrapli open one.
pub struct SshShell {
    pub session: ssh2::Session,
    pub channel: ssh2::Channel,
}

impl SshShell {
    pub fn open(session: ssh2::Session) -> Result<SshShell, ssh2::Error> {
        let mut channel = session.channel_session()?;
        channel.request_pty("vt100", None, Some((80, 24, 0, 0)))?;
        channel.shell()?;
        Ok(SshShell { session, channel })
    }
}

impl Wire for SshShell {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.session.set_timeout(10_000);
        self.channel.write_all(bytes)?;
        self.channel.flush()
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        let ms = u32::try_from(timeout.as_millis())
            .unwrap_or(u32::MAX)
            .max(1);
        self.session.set_timeout(ms);
        self.channel.read(buf)
    }
}

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;
const OPT_ECHO: u8 = 1;
const OPT_SGA: u8 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TelnetState {
    Data,
    Iac,
    Verb(u8),
    Sub,
    SubIac,
}

/// A Telnet client connection: strips IAC sequences, accepts the server's ECHO and SGA, refuses
/// every other option, and records what it was offered.
pub struct Telnet {
    stream: TcpStream,
    state: TelnetState,
    /// (verb, option) pairs the server sent, in order.
    pub negotiated: Vec<(u8, u8)>,
}

impl Telnet {
    pub fn connect(addr: SocketAddr) -> io::Result<Telnet> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
        stream.set_write_timeout(Some(Duration::from_secs(10)))?;
        Ok(Telnet {
            stream,
            state: TelnetState::Data,
            negotiated: Vec::new(),
        })
    }

    pub fn server_will(&self, option: u8) -> bool {
        self.negotiated.contains(&(WILL, option))
    }

    /// Remove option bytes from `raw` in place (keeping state across reads); returns data length
    /// and the replies to send.
    fn strip(&mut self, raw: &mut [u8]) -> (usize, Vec<u8>) {
        let mut out = 0;
        let mut replies = Vec::new();
        for i in 0..raw.len() {
            let b = raw[i];
            self.state = match (self.state, b) {
                (TelnetState::Data, IAC) => TelnetState::Iac,
                (TelnetState::Data, _) => {
                    raw[out] = b;
                    out += 1;
                    TelnetState::Data
                }
                (TelnetState::Iac, IAC) => {
                    raw[out] = IAC;
                    out += 1;
                    TelnetState::Data
                }
                (TelnetState::Iac, WILL | WONT | DO | DONT) => TelnetState::Verb(b),
                (TelnetState::Iac, SB) => TelnetState::Sub,
                (TelnetState::Iac, _) => TelnetState::Data,
                (TelnetState::Verb(verb), option) => {
                    self.negotiated.push((verb, option));
                    if let Some(reply) = reply_to(verb, option) {
                        replies.extend_from_slice(&[IAC, reply, option]);
                    }
                    TelnetState::Data
                }
                (TelnetState::Sub, IAC) => TelnetState::SubIac,
                (TelnetState::Sub, _) => TelnetState::Sub,
                (TelnetState::SubIac, SE) => TelnetState::Data,
                (TelnetState::SubIac, _) => TelnetState::Sub,
            };
        }
        (out, replies)
    }
}

/// The client's answer to an option request: accept the server echoing and suppressing go-ahead,
/// refuse everything else; acknowledgements of refusals need no answer.
fn reply_to(verb: u8, option: u8) -> Option<u8> {
    match (verb, option) {
        (WILL, OPT_ECHO | OPT_SGA) => Some(DO),
        (WILL, _) => Some(DONT),
        (DO, _) => Some(WONT),
        _ => None,
    }
}

impl Wire for Telnet {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        let deadline = Instant::now() + timeout;
        // A read may carry only option bytes; read again until data, EOF or the deadline.
        for _ in 0..1000 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.stream.set_read_timeout(Some(left))?;
            let n = self.stream.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let (data, replies) = self.strip(&mut buf[..n]);
            if !replies.is_empty() {
                self.stream.write_all(&replies)?;
            }
            if data > 0 {
                return Ok(data);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "telnet read timed out",
        ))
    }
}

/// Why a read stopped before its pattern appeared; `got` is everything read meanwhile.
pub enum ReadError {
    Timeout { got: Vec<u8> },
    Closed { got: Vec<u8>, reason: String },
}

impl ReadError {
    pub fn got(&self) -> &[u8] {
        match self {
            ReadError::Timeout { got } | ReadError::Closed { got, .. } => got,
        }
    }
}

/// Shows the reason and the last 2,000 bytes read as text (a byte list would be unreadable).
impl std::fmt::Debug for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let got = self.got();
        let tail = String::from_utf8_lossy(&got[got.len().saturating_sub(2000)..]);
        match self {
            ReadError::Timeout { .. } => {
                write!(f, "timed out after {} bytes, ending {tail:?}", got.len())
            }
            ReadError::Closed { reason, .. } => {
                write!(
                    f,
                    "closed ({reason}) after {} bytes, ending {tail:?}",
                    got.len()
                )
            }
        }
    }
}

/// Only this many trailing bytes are searched for a prompt, so multi-megabyte output stays linear.
const TAIL: usize = 1024;

/// Line-oriented conversation over a `Wire`: send a line, read until a pattern, with deadlines.
pub struct Expect<W: Wire> {
    pub wire: W,
    hostname: String,
    prompt: Regex,
    /// Line ending sent after each line.
    pub newline: &'static str,
}

/// A pattern matching `HOST>`, `HOST#` or `HOST(config...)#` at the end of the text read, at the
/// start of a line or right after the backspaces that erase a ` --More-- `.
pub fn prompt_regex(hostname: &str) -> Regex {
    Regex::new(&format!(
        r"(?:\A|[\r\n\x08]){}(?:\([a-z-]+\))?[>#] ?\z",
        regex::escape(hostname)
    ))
    .expect("prompt regex")
}

impl<W: Wire> Expect<W> {
    pub fn new(wire: W, hostname: &str, newline: &'static str) -> Expect<W> {
        Expect {
            wire,
            hostname: hostname.to_string(),
            prompt: prompt_regex(hostname),
            newline,
        }
    }

    /// The device was renamed: expect its new prompt from now on.
    pub fn set_hostname(&mut self, hostname: &str) {
        self.hostname = hostname.to_string();
        self.prompt = prompt_regex(hostname);
    }

    pub fn prompt(&self) -> &Regex {
        &self.prompt
    }

    /// Expect another platform's prompt from now on (`cisco@R5> `, `RP/0/RSP0/CPU0:R3#`).
    pub fn set_prompt(&mut self, prompt: Regex) {
        self.prompt = prompt;
    }

    pub fn send_line(&mut self, line: &str) {
        let bytes = format!("{line}{}", self.newline);
        self.wire.send(bytes.as_bytes()).expect("send line");
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.wire.send(bytes).expect("send bytes");
    }

    /// Read until `pattern` matches the end of what was read, the peer closes, or `within` passes.
    pub fn read_until(&mut self, pattern: &Regex, within: Duration) -> Result<Vec<u8>, ReadError> {
        let deadline = Instant::now() + within;
        let mut got = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        // Bounded by the deadline; the count only guards against a peer trickling single bytes.
        for _ in 0..10_000_000 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ReadError::Timeout { got });
            }
            match self.wire.recv(&mut buf, left) {
                Ok(0) => {
                    return Err(ReadError::Closed {
                        got,
                        reason: "end of stream".into(),
                    })
                }
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                    ) =>
                {
                    return Err(ReadError::Timeout { got })
                }
                Err(e) => {
                    return Err(ReadError::Closed {
                        got,
                        reason: e.to_string(),
                    })
                }
            }
            if pattern.is_match(&got[got.len().saturating_sub(TAIL)..]) {
                return Ok(got);
            }
        }
        Err(ReadError::Timeout { got })
    }

    /// Read until the device prompt.
    pub fn read_prompt(&mut self) -> Result<Vec<u8>, ReadError> {
        let prompt = self.prompt.clone();
        self.read_until(&prompt, COMMAND_WITHIN)
    }

    /// Read until the device prompt or panic with what was read.
    pub fn expect_prompt(&mut self) -> String {
        match self.read_prompt() {
            Ok(got) => normalize(&got),
            Err(e) => panic!("no `{}` prompt: {e:?}", self.hostname),
        }
    }

    /// Send `line`, read to the prompt; returns everything read (echo, output, prompt), with
    /// `\r\n` turned into `\n`.
    pub fn transcript(&mut self, line: &str) -> String {
        self.send_line(line);
        match self.read_prompt() {
            Ok(got) => normalize(&got),
            Err(e) => panic!(
                "`{line}` did not return to the `{}` prompt: {e:?}",
                self.hostname
            ),
        }
    }

    /// Send `line`, read to the prompt; returns the output only (no echo line, no prompt).
    pub fn cmd(&mut self, line: &str) -> String {
        output_of(&self.transcript(line))
    }

    /// `enable` with `secret`; returns the transcript after the password.
    pub fn enable(&mut self, secret: &str) -> String {
        self.send_line("enable");
        let password = Regex::new(r"[Pp]assword: ?\z").expect("regex");
        if let Err(e) = self.read_until(&password, COMMAND_WITHIN) {
            panic!("`enable` asked no password: {e:?}");
        }
        self.transcript(secret)
    }
}

/// The prompt at the end of a transcript (e.g. `R1(config)#`), without erased `--More--`.
pub fn last_prompt(text: &str) -> &str {
    let line = text.rsplit('\n').next().unwrap_or(text);
    line.rsplit('\x08').next().unwrap_or(line).trim()
}

/// `\r\n` and stray `\r` to `\n`, lossily decoded.
pub fn normalize(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

/// Drop the echoed command line (the first line) and the prompt (the last line).
pub fn output_of(transcript: &str) -> String {
    let body = transcript.split_once('\n').map_or("", |(_, rest)| rest);
    match body.rsplit_once('\n') {
        Some((output, _prompt)) => output.to_string(),
        None => String::new(),
    }
}

/// Log in over SSH to `entry`, open a shell and read to the first prompt.
pub fn ssh_cli(entry: &InventoryEntry) -> Expect<SshShell> {
    let session = ssh_login(entry.port, &entry.username, &entry.password)
        .unwrap_or_else(|e| panic!("ssh login to {} port {}: {e}", entry.name, entry.port));
    let shell =
        SshShell::open(session).unwrap_or_else(|e| panic!("ssh shell on {}: {e}", entry.name));
    let mut cli = Expect::new(shell, &entry.name, "\n");
    cli.expect_prompt();
    cli
}

/// Log in over Telnet (`Username:` / `Password:`) to `entry` and read to the first prompt.
pub fn telnet_cli(entry: &InventoryEntry) -> Expect<Telnet> {
    let telnet = Telnet::connect(entry.addr())
        .unwrap_or_else(|e| panic!("telnet connect to {} {}: {e}", entry.name, entry.addr()));
    let mut cli = Expect::new(telnet, &entry.name, "\r\n");
    let username = Regex::new(r"[Uu]sername: ?\z").expect("regex");
    let password = Regex::new(r"[Pp]assword: ?\z").expect("regex");
    if let Err(e) = cli.read_until(&username, COMMAND_WITHIN) {
        panic!("no Username: prompt: {e:?}");
    }
    cli.send_line(&entry.username);
    if let Err(e) = cli.read_until(&password, COMMAND_WITHIN) {
        panic!("no Password: prompt: {e:?}");
    }
    cli.send_line(&entry.password);
    cli.expect_prompt();
    cli
}
