//! The simulated device: a vendor CLI (IOS, or a personality from `vendor/`) as a sans-IO state
//! machine.
//!
//! `Device` is the state one simulated router keeps for the life of the testbed process (hostname,
//! running and startup config, interfaces). `CliSession` is one login session on it: it takes the
//! bytes a client typed and returns what the device prints, tagged so the server layer can apply
//! latency (a `Think` before a command's output, output paced per KiB) and faults (`Close`,
//! `Stall`, `Flood`). The SSH and Telnet servers only move these bytes; no socket or clock is used
//! here.
//!
//! Submodules: `platform` (what differs per vendor, as data: the `Personality`), `session`
//! (line discipline, modes, paging, faults, the IOS interpreter), `grammar` (abbreviation
//! matching and parse errors), `commands` (IOS exec grammars), `config` (IOS config model and
//! config-mode grammars), `show` (generated IOS `show` output and `|` filters), `vendor` (the
//! NX-OS, IOS-XR, EOS, ASA, Junos and Linux interpreters, their config model and show output),
//! `ident` (per-device generated facts), `ifname` (IOS interface names).

mod commands;
mod config;
mod grammar;
mod ident;
mod ifname;
pub mod platform;
mod session;
mod show;
mod vendor;

use std::sync::{Arc, Mutex, MutexGuard};

pub use platform::{Personality, Platform};
pub use session::{CliSession, MORE_ERASE, MORE_PROMPT};
pub use show::HUGE_TECH_SUPPORT_BYTES;

use config::Config;
use ident::Ident;
use vendor::model::VConfig;
use vendor::VendorState;

/// Faults that change what the CLI itself does (the server layer handles refuse, auth-fail, slow).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CliFaults {
    /// Log in, then never show a prompt.
    pub stall: bool,
    /// Close the connection in the middle of a command's output.
    pub drop: bool,
    /// Close the connection right after running the session's Nth (1-based) non-blank
    /// config-mode line: the line is applied and echoed, its prompt is never sent.
    pub drop_config: Option<u32>,
    /// Put non-UTF-8 bytes inside command output.
    pub garbage: bool,
    /// `show tech-support` prints about 10 MB.
    pub huge: bool,
    /// After login, stream newline-free bytes instead of the prompt.
    pub flood: Option<FloodLength>,
    /// Echo what is typed at the Telnet login's and `enable`'s `Password:` prompts, as some
    /// terminal servers do.
    pub echo_password: bool,
}

/// How much the flood fault streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloodLength {
    /// Until the client closes the session.
    UntilClosed,
    /// This many bytes, then the session closes.
    Bytes(u64),
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
    /// Which vendor's CLI the device plays.
    pub platform: Platform,
}

/// One simulated router's persistent state, shared by all its sessions.
#[derive(Debug)]
pub struct Device {
    pub spec: DeviceSpec,
    state: Mutex<DeviceState>,
}

/// Config is materialised only once something changes it, so an idle device holds two `None`s
/// and a counter; `None` means "the initial config derived from the spec".
#[derive(Debug, Default)]
struct DeviceState {
    running: Option<Box<Config>>,
    startup: Option<Box<Config>>,
    /// Non-IOS platforms: their config, made on first use.
    vendor: Option<Box<VendorState>>,
    /// Commands run so far; advances `show clock`.
    ticks: u32,
    /// `delete flash0:/backup.cfg` has run (the one file a device has to delete).
    backup_deleted: bool,
}

impl Device {
    pub fn new(spec: DeviceSpec) -> Arc<Device> {
        Arc::new(Device {
            spec,
            state: Mutex::new(DeviceState::default()),
        })
    }

    /// Check a username/password pair (on IOS the configured `username` lines count too).
    pub fn check_login(&self, username: &str, password: &str) -> bool {
        if self.spec.platform != Platform::CiscoIos {
            return username == self.spec.username && password == self.spec.password;
        }
        self.with_running(|cfg| cfg.check_login(username, password))
    }

    /// The current hostname (what the prompt shows).
    pub fn hostname(&self) -> String {
        if self.spec.platform != Platform::CiscoIos {
            return self.with_vendor(|s, _| s.running.hostname.clone());
        }
        let state = self.lock();
        match &state.running {
            Some(cfg) => cfg.hostname.clone(),
            None => self.spec.hostname.clone(),
        }
    }

    fn ident(&self) -> Ident {
        Ident {
            index: self.spec.index,
            seed: self.spec.seed,
        }
    }

    /// A panic in one session must not take the device away from the others.
    fn lock(&self) -> MutexGuard<'_, DeviceState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_running<R>(&self, f: impl FnOnce(&Config) -> R) -> R {
        let state = self.lock();
        match &state.running {
            Some(cfg) => f(cfg),
            None => f(&Config::initial(&self.spec)),
        }
    }

    /// Read the running config, the startup config and the clock tick together.
    fn with_configs<R>(&self, f: impl FnOnce(&Config, &Config, u32) -> R) -> R {
        let state = self.lock();
        let fallback = (state.running.is_none() || state.startup.is_none())
            .then(|| Config::initial(&self.spec));
        let running = state.running.as_deref().or(fallback.as_ref());
        let startup = state.startup.as_deref().or(fallback.as_ref());
        let missing = "the initial config stands in for an empty slot";
        f(
            running.expect(missing),
            startup.expect(missing),
            state.ticks,
        )
    }

    fn with_running_mut<R>(&self, f: impl FnOnce(&mut Config) -> R) -> R {
        let mut state = self.lock();
        let cfg = state
            .running
            .get_or_insert_with(|| Box::new(Config::initial(&self.spec)));
        f(cfg)
    }

    /// Read a non-IOS device's config and the clock tick.
    fn with_vendor<R>(&self, f: impl FnOnce(&VendorState, u32) -> R) -> R {
        let mut state = self.lock();
        let ticks = state.ticks;
        f(self.vendor_state(&mut state), ticks)
    }

    fn with_vendor_mut<R>(&self, f: impl FnOnce(&mut VendorState) -> R) -> R {
        let mut state = self.lock();
        f(self.vendor_state(&mut state))
    }

    fn vendor_state<'s>(&self, state: &'s mut DeviceState) -> &'s mut VendorState {
        state.vendor.get_or_insert_with(|| {
            let initial = VConfig::initial(
                self.spec.platform,
                &self.spec.hostname,
                &self.spec.username,
                &self.ident(),
            );
            Box::new(VendorState {
                running: initial.clone(),
                saved: initial,
                candidate: None,
            })
        })
    }

    /// `write memory`: startup-config becomes a copy of running-config.
    fn save(&self) {
        let mut state = self.lock();
        state.startup = state.running.clone();
    }

    /// `reload`: the running config is what the startup config holds.
    fn reload(&self) {
        let mut state = self.lock();
        state.running = state.startup.clone();
    }

    /// Whether the running config differs from the saved one (`reload` asks to save).
    fn modified(&self) -> bool {
        self.with_configs(|running, startup, _| running != startup)
    }

    /// `delete FILE`: true if the file existed (only `backup.cfg`, once).
    fn delete_file(&self, name: &str) -> bool {
        let mut state = self.lock();
        let exists = name.trim_start_matches("flash0:").trim_start_matches('/') == "backup.cfg"
            && !state.backup_deleted;
        state.backup_deleted |= exists;
        exists
    }

    /// Count one command (moves `show clock` on).
    fn tick(&self) {
        let mut state = self.lock();
        state.ticks = state.ticks.wrapping_add(1);
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
    /// Stream newline-free bytes, unpaced (flood fault), then close.
    Flood(FloodLength),
}

#[cfg(test)]
mod tests;
