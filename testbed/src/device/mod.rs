//! The simulated device: a Cisco-IOS-like CLI as a sans-IO state machine.
//!
//! `Device` is the state one simulated router keeps for the life of the testbed process (hostname,
//! running and startup config, interfaces). `CliSession` is one login session on it: it takes the
//! bytes a client typed and returns what the device prints, tagged so the server layer can apply
//! latency (a `Think` before a command's output, output paced per KiB) and faults (`Close`,
//! `Stall`). The SSH and Telnet servers only move these bytes; no socket or clock is used here.

use std::sync::{Arc, Mutex};

/// Faults that change what the CLI itself does (the server layer handles refuse, auth-fail, slow).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CliFaults {
    /// Log in, then never show a prompt.
    pub stall: bool,
    /// Close the connection in the middle of a command's output.
    pub drop: bool,
    /// Put non-UTF-8 bytes inside command output.
    pub garbage: bool,
    /// `show tech-support` prints about 10 MB.
    pub huge: bool,
}

/// What identifies a device and seeds its generated data.
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    /// 0-based position in the lab.
    pub index: usize,
    /// Initial hostname, `R1` for index 0.
    pub hostname: String,
    /// Seed for per-device generated data (addresses, serial numbers, uptime).
    pub seed: u64,
    pub username: String,
    pub password: String,
    pub enable_secret: String,
    pub faults: CliFaults,
}

/// One simulated router's persistent state, shared by all its sessions.
#[derive(Debug)]
pub struct Device {
    pub spec: DeviceSpec,
    state: Mutex<DeviceState>,
}

#[derive(Debug, Default)]
struct DeviceState {}

impl Device {
    pub fn new(spec: DeviceSpec) -> Arc<Device> {
        Arc::new(Device {
            spec,
            state: Mutex::new(DeviceState::default()),
        })
    }

    /// Check a username/password pair (the configured `username` lines count too).
    pub fn check_login(&self, _username: &str, _password: &str) -> bool {
        let _state = self.state.lock();
        todo!("device model")
    }
}

/// How a session starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStart {
    /// The transport already authenticated (SSH): print the banner and the user-exec prompt.
    Authenticated,
    /// Telnet: ask `Username:` / `Password:` first.
    Login,
}

/// A piece of what the device prints, tagged for the server layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Echo of typed characters (sent at once, no latency).
    Echo(Vec<u8>),
    /// A command line was accepted: the server waits the profile's per-command delay here.
    Think,
    /// Command output, prompts, banners (the server paces it per KiB).
    Text(Vec<u8>),
    /// Close the connection now (logout, exit, drop fault, too many failed logins).
    Close,
    /// Stop responding for good (stall fault); keep the connection open.
    Stall,
}

/// One CLI session (one SSH shell or one Telnet connection).
#[derive(Debug)]
pub struct CliSession {
    device: Arc<Device>,
}

impl CliSession {
    /// A new session and what the device prints first (banner + prompt, or `Username: `).
    pub fn new(device: Arc<Device>, _start: SessionStart) -> (CliSession, Vec<Out>) {
        (CliSession { device }, Vec::new())
    }

    /// Feed typed bytes (Telnet option bytes already removed); returns what the device prints.
    pub fn input(&mut self, _bytes: &[u8]) -> Vec<Out> {
        let _ = &self.device;
        todo!("device model")
    }

    /// The SSH `exec` request: run one command in privileged mode, no echo, no paging.
    /// Returns the output and the exit status.
    pub fn exec(device: &Arc<Device>, _command: &str) -> (Vec<Out>, u32) {
        let _ = device;
        todo!("device model")
    }
}
