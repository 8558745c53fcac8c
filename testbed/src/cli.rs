//! The `netrun-testbed` command line: flags (one place, with their help), turning them into a
//! lab, serving it until SIGINT/SIGTERM, and exit codes (0 stopped by a signal, 2 bad input or a
//! port that cannot be bound).

use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, Result};
use clap::Parser;
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::device::Platform;
use crate::fault::FaultSpec;
use crate::lab::{AddressSpec, LabConfig, PortChoice, Transport};
use crate::labfile::{GroupDefaults, LabFile};
use crate::profile::ProfileName;
use crate::server::Lab;

/// Simulated network devices (Cisco IOS, NX-OS, IOS-XR, Arista EOS, Junos, Cisco ASA, Linux)
/// over real SSH and Telnet, with latency profiles and faults.
///
/// Device i (0-based) is named R<i+1> and listens for SSH on SSH_PORT+i (and for Telnet on
/// TELNET_PORT+i); with an address range or CIDR, device i listens on the range's i-th address,
/// on SSH_PORT (and TELNET_PORT) itself. Credentials: username cisco, password cisco, enable secret cisco. Prints
/// `ready N devices` once every port is bound, then serves until SIGINT or SIGTERM.
#[derive(Debug, Parser)]
#[command(name = "netrun-testbed", version)]
pub struct Args {
    /// Number of devices (R1..RN); not with --lab, which sets its own. With an address range or
    /// CIDR, defaults to one device per address
    #[arg(long, value_name = "N", conflicts_with = "lab")]
    pub devices: Option<usize>,

    /// The first device is device N of a larger lab: named R<N> (then R<N+1>...), with that
    /// device's interface addresses and data, so one container of a lab can play R3; --fault
    /// selectors still count R1 as the first device
    #[arg(long, value_name = "N", default_value_t = 1, conflicts_with = "lab")]
    pub first_device: usize,

    /// Address every device listens on, or one address per device: an IPv4 range
    /// (192.168.100.1-192.168.100.3) or CIDR (10.100.0.0/19, network and broadcast left out),
    /// device i on the i-th address; the addresses must be this host's (or its netns's)
    #[arg(long, value_name = "IP|A-B|NET/LEN", default_value = "127.0.0.1")]
    pub address: AddressSpec,

    /// First SSH port (device i gets PORT+i); 0 picks a free range (see --inventory-out)
    #[arg(long, value_name = "PORT", default_value_t = 10022)]
    pub ssh_port: u16,

    /// First Telnet port (device i gets PORT+i); 0 means no Telnet, `auto` picks a free range.
    /// Without --lab, a Telnet port makes every device speak both SSH and Telnet
    #[arg(long, value_name = "PORT|auto", default_value = "0")]
    pub telnet_port: TelnetPort,

    /// Platform every device plays (a lab file sets it per group): cisco_ios, cisco_nxos,
    /// cisco_xr, arista_eos, juniper_junos, cisco_asa, linux
    #[arg(long, value_name = "NAME", default_value = "cisco_ios")]
    pub platform: Platform,

    /// Latency profile (delays before the banner, on login, per command, per KiB of output)
    #[arg(long, value_enum, default_value = "instant")]
    pub profile: ProfileName,

    /// Seed for latency jitter, fault fractions and per-device data (same seed, same lab)
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Fault KIND (auth-fail, refuse, stall, drop, slow, garbage, huge, drop-config[=LINE],
    /// reset, flood[=SIZE], echo-password, refuse-first[=N]) on SELECTOR devices: a list R3,R7, a range R1-R10 or
    /// a fraction 10% (picked by seed); e.g. drop-config=3:R2, flood=600M:R4; repeatable
    #[arg(long = "fault", value_name = "KIND[=VALUE]:SELECTOR")]
    pub faults: Vec<FaultSpec>,

    /// Offer only old IOS SSH algorithms (diffie-hellman-group14-sha1, ssh-rsa, aes128-ctr,
    /// aes256-ctr, hmac-sha1) on every device (a lab file sets it per group)
    #[arg(long)]
    pub ssh_legacy: bool,

    /// OpenSSH public-key file (`id_ed25519.pub`, `authorized_keys`): its keys may log in as
    /// `cisco` or any username configured on the device; repeatable
    #[arg(long = "authorized-key", value_name = "FILE")]
    pub authorized_keys: Vec<PathBuf>,

    /// Lab file: groups of devices with their own count, profile, transport, legacy flag, faults
    #[arg(long, value_name = "FILE.yaml")]
    pub lab: Option<PathBuf>,

    /// Write the lab's inventory (the book's devices.yaml shape) to FILE once ports are bound
    #[arg(long, value_name = "FILE")]
    pub inventory_out: Option<PathBuf>,

    /// Write the SSH devices' host keys to FILE in OpenSSH's known_hosts format
    /// (`[127.0.0.1]:10022 ssh-ed25519 AAAA...`) once ports are bound
    #[arg(long, value_name = "FILE")]
    pub known_hosts_out: Option<PathBuf>,

    /// Append one line per SSH authentication request to FILE: the device and the method
    /// (`R3 password`), never what was sent
    #[arg(long, value_name = "FILE")]
    pub auth_log: Option<PathBuf>,

    /// Do not offer the SSH `password` method: passwords only through keyboard-interactive, as
    /// devices whose AAA asks that way (a `password` request is refused unchecked)
    #[arg(long)]
    pub no_password_auth: bool,
}

/// `--telnet-port`: off, a base port, or a free range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelnetPort {
    Off,
    Port(PortChoice),
}

impl FromStr for TelnetPort {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(TelnetPort::Port(PortChoice::Auto)),
            _ => match s.parse::<u16>() {
                Ok(0) => Ok(TelnetPort::Off),
                Ok(port) => Ok(TelnetPort::Port(PortChoice::Base(port))),
                Err(_) => Err(format!("expected a port number or `auto`, got `{s}`")),
            },
        }
    }
}

/// Run the `netrun-testbed` command line (`args` starts with the program name) and return its
/// exit code. Serves until SIGINT/SIGTERM.
pub fn run_from_args<I: IntoIterator<Item = String>>(args: I) -> i32 {
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match run(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("netrun-testbed: error: {e:#}");
            2
        }
    }
}

fn run(args: Args) -> Result<()> {
    let config = lab_config(&args)?;
    let devices = config.devices.len();
    // Signals are caught from here on, so one arriving while ports are bound still stops cleanly.
    let signals = SignalWaiter::new()?;
    let lab = Lab::start(config)?;
    if let Some(path) = &args.inventory_out {
        crate::inventory::write(path, &lab.inventory())?;
    }
    if let Some(path) = &args.known_hosts_out {
        std::fs::write(path, known_hosts(&lab))
            .with_context(|| format!("--known-hosts-out {}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "ready {devices} devices").context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    drop(stdout);
    signals.wait();
    lab.stop();
    Ok(())
}

/// The lab's host keys as known_hosts lines, one per device that listens for SSH.
fn known_hosts(lab: &crate::RunningLab) -> String {
    lab.devices()
        .iter()
        .filter(|d| !d.refused)
        .filter_map(|d| match (d.ssh_port, &d.host_key) {
            (Some(22), Some(key)) => Some(format!("{} {key}\n", d.address)),
            (Some(port), Some(key)) => Some(format!("[{}]:{port} {key}\n", d.address)),
            _ => None,
        })
        .collect()
}

/// The lab the flags describe.
pub fn lab_config(args: &Args) -> Result<LabConfig> {
    let mut config = LabConfig::new(0, args.profile);
    config.address = args.address.first();
    config.seed = args.seed;
    config.ssh_port = match args.ssh_port {
        0 => PortChoice::Auto,
        port => PortChoice::Base(port),
    };
    let default_transport = match args.telnet_port {
        TelnetPort::Off => Transport::Ssh,
        TelnetPort::Port(choice) => {
            config.telnet_port = choice;
            Transport::Both
        }
    };
    match &args.lab {
        Some(path) => {
            let defaults = GroupDefaults {
                profile: args.profile,
                transport: default_transport,
                legacy: args.ssh_legacy,
                platform: args.platform,
            };
            LabFile::load(path)?.apply(&mut config, defaults, path)?;
        }
        None => {
            let count = match (args.devices, args.address.capacity()) {
                (Some(count), _) | (None, Some(count)) => count,
                (None, None) => {
                    anyhow::bail!("--devices N is needed (unless --lab or an address range)")
                }
            };
            config = LabConfig {
                devices: LabConfig::new(count, args.profile).devices,
                ..config
            };
            if args.first_device == 0 {
                anyhow::bail!("--first-device counts from 1 (R1)");
            }
            config.first_index = args.first_device - 1;
            for (index, device) in config.devices.iter_mut().enumerate() {
                device.name = format!("R{}", args.first_device + index);
                device.transport = default_transport;
                device.legacy = args.ssh_legacy;
                device.platform = args.platform;
            }
        }
    }
    if config.devices.is_empty() {
        anyhow::bail!("--devices must be at least 1");
    }
    config.device_addresses = args
        .address
        .device_addresses(config.devices.len())
        .map_err(|e| anyhow::anyhow!("--address {e}"))?;
    for path in &args.authorized_keys {
        config
            .authorized_keys
            .load(path)
            .context("--authorized-key")?;
    }
    config.auth_log = args.auth_log.clone();
    config.password_auth = !args.no_password_auth;
    for spec in &args.faults {
        config
            .apply_fault(spec)
            .with_context(|| format!("--fault {}", spec.text))?;
    }
    Ok(config)
}

/// SIGINT and SIGTERM, registered before the lab starts.
struct SignalWaiter {
    runtime: tokio::runtime::Runtime,
    interrupt: Signal,
    terminate: Signal,
}

impl SignalWaiter {
    fn new() -> Result<SignalWaiter> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .context("starting the signal runtime")?;
        let (interrupt, terminate) = runtime.block_on(async {
            Ok::<_, std::io::Error>((
                signal(SignalKind::interrupt())?,
                signal(SignalKind::terminate())?,
            ))
        })?;
        Ok(SignalWaiter {
            runtime,
            interrupt,
            terminate,
        })
    }

    fn wait(mut self) {
        self.runtime.block_on(async {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("netrun-testbed").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_follow_the_contract() {
        let args = parse(&["--devices", "3"]).unwrap();
        let config = lab_config(&args).unwrap();
        assert_eq!(config.address.to_string(), "127.0.0.1");
        assert_eq!(config.ssh_port, PortChoice::Base(10022));
        assert_eq!(config.devices.len(), 3);
        assert!(config.devices.iter().all(|d| d.transport == Transport::Ssh
            && d.profile == ProfileName::Instant
            && !d.legacy));
    }

    #[test]
    fn port_zero_and_auto_pick_free_ranges() {
        let args = parse(&["--devices", "2", "--ssh-port", "0", "--telnet-port", "auto"]).unwrap();
        let config = lab_config(&args).unwrap();
        assert_eq!(config.ssh_port, PortChoice::Auto);
        assert_eq!(config.telnet_port, PortChoice::Auto);
        assert!(config
            .devices
            .iter()
            .all(|d| d.transport == Transport::Both));
    }

    #[test]
    fn faults_and_legacy_reach_the_devices() {
        let args = parse(&[
            "--devices",
            "4",
            "--fault",
            "stall:R2",
            "--fault",
            "auth-fail:R3-R4",
            "--ssh-legacy",
        ])
        .unwrap();
        let config = lab_config(&args).unwrap();
        assert!(config.devices[1].faults.cli.stall);
        assert!(config.devices[2].faults.auth_fail && config.devices[3].faults.auth_fail);
        assert!(!config.devices[0].faults.auth_fail);
        assert!(config.devices.iter().all(|d| d.legacy));
    }

    #[test]
    fn faults_with_values_reach_the_devices() {
        let args = parse(&[
            "--devices",
            "4",
            "--fault",
            "drop-config=3:R1",
            "--fault",
            "flood=600M:R2",
            "--fault",
            "reset:R3",
            "--fault",
            "echo-password:R4",
        ])
        .unwrap();
        let config = lab_config(&args).unwrap();
        assert_eq!(config.devices[0].faults.cli.drop_config, Some(3));
        assert_eq!(
            config.devices[1].faults.cli.flood,
            Some(crate::device::FloodLength::Bytes(600 << 20))
        );
        assert!(config.devices[2].faults.reset);
        assert!(config.devices[3].faults.cli.echo_password);
        let err = parse(&["--devices", "2", "--fault", "flood=lots:R1"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
        assert!(
            err.to_string().contains("--fault") && err.to_string().contains("flood"),
            "{err}"
        );
    }

    #[test]
    fn bad_flags_are_usage_errors_naming_the_flag() {
        let err = parse(&["--devices", "2", "--fault", "melt:R1"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
        assert!(err.to_string().contains("--fault"), "{err}");
        assert!(parse(&["--devices", "2", "--profile", "fast"]).is_err());
        let err = parse(&["--devices", "2", "--platform", "junos"]).unwrap_err();
        assert!(err.to_string().contains("--platform"), "{err}");
        assert!(err.to_string().contains("juniper_junos"), "{err}");
        let args = parse(&["--devices", "2", "--platform", "arista_eos"]).unwrap();
        let config = lab_config(&args).unwrap();
        assert!(config
            .devices
            .iter()
            .all(|d| d.platform == Platform::AristaEos));
        assert!(parse(&["--devices", "2", "--telnet-port", "soon"]).is_err());
        let err = format!("{:#}", lab_config(&parse(&[]).unwrap()).unwrap_err());
        assert!(err.contains("--devices"), "{err}");
        let code = run_from_args(["netrun-testbed", "--devices", "x"].map(String::from));
        assert_eq!(code, 2);
    }

    #[test]
    fn fault_outside_the_lab_names_the_flag() {
        let args = parse(&["--devices", "2", "--fault", "refuse:R9"]).unwrap();
        let err = format!("{:#}", lab_config(&args).unwrap_err());
        assert_eq!(
            err,
            "--fault refuse:R9: device R9 is outside the lab (R1..R2)"
        );
    }

    #[test]
    fn authorized_key_files_are_loaded_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id.pub");
        std::fs::write(
            &key,
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJnH5R4BYPK1oBAOmh0Bj0COs9oBvwQESK8lpSGbMYiR lab@test\n",
        )
        .unwrap();
        let key = key.to_str().unwrap();
        let args = parse(&["--devices", "1", "--authorized-key", key]).unwrap();
        assert!(!lab_config(&args).unwrap().authorized_keys.is_empty());
        assert!(lab_config(&parse(&["--devices", "1"]).unwrap())
            .unwrap()
            .authorized_keys
            .is_empty());
        let args = parse(&["--devices", "1", "--authorized-key", "/nonexistent.pub"]).unwrap();
        let err = format!("{:#}", lab_config(&args).unwrap_err());
        assert!(
            err.starts_with("--authorized-key: /nonexistent.pub: "),
            "{err}"
        );
    }

    #[test]
    fn an_address_range_gives_each_device_its_own_address_on_the_real_ports() {
        let args = parse(&[
            "--address",
            "192.168.100.1-192.168.100.3",
            "--ssh-port",
            "22",
            "--telnet-port",
            "23",
        ])
        .unwrap();
        let config = lab_config(&args).unwrap();
        assert_eq!(config.devices.len(), 3);
        let sockets: Vec<String> = (0..3)
            .flat_map(|i| [config.socket_of(i, 22), config.socket_of(i, 23)])
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            sockets,
            [
                "192.168.100.1:22",
                "192.168.100.1:23",
                "192.168.100.2:22",
                "192.168.100.2:23",
                "192.168.100.3:22",
                "192.168.100.3:23"
            ]
        );
        assert!(config
            .devices
            .iter()
            .all(|d| d.transport == Transport::Both));
        let args = parse(&["--devices", "1", "--first-device", "3"]).unwrap();
        let config = lab_config(&args).unwrap();
        assert_eq!(
            (config.devices[0].name.as_str(), config.first_index),
            ("R3", 2)
        );
    }

    #[test]
    fn a_cidr_takes_its_first_hosts_and_refuses_too_many_devices() {
        let args = parse(&["--address", "10.100.0.0/19", "--devices", "5460"]).unwrap();
        let config = lab_config(&args).unwrap();
        assert_eq!(config.device_addresses.len(), 5460);
        assert_eq!(config.device_addresses[0].to_string(), "10.100.0.1");
        assert_eq!(config.device_addresses[5459].to_string(), "10.100.21.84");
        let args = parse(&["--address", "10.0.0.0/30", "--devices", "3"]).unwrap();
        let err = format!("{:#}", lab_config(&args).unwrap_err());
        assert_eq!(
            err,
            "--address 3 devices need 3 addresses, but --address holds 2"
        );
        // Without --devices: one device per host of the subnet.
        let args = parse(&["--address", "10.0.0.0/29"]).unwrap();
        assert_eq!(lab_config(&args).unwrap().devices.len(), 6);
        for bad in [
            "10.0.0.1/24",
            "10.0.0.0/40",
            "10.0.0.3-10.0.0.1",
            "10.0.0.x-10.0.0.2",
        ] {
            let err = parse(&["--address", bad]).unwrap_err();
            assert!(err.to_string().contains("--address"), "{bad}: {err}");
        }
    }

    #[test]
    fn zero_devices_is_an_error() {
        let args = parse(&["--devices", "0"]).unwrap();
        assert!(lab_config(&args).is_err());
    }

    #[test]
    fn missing_lab_file_is_an_error_naming_it() {
        let args = parse(&["--lab", "/nonexistent/lab.yaml"]).unwrap();
        let err = format!("{:#}", lab_config(&args).unwrap_err());
        assert!(err.starts_with("/nonexistent/lab.yaml: "), "{err}");
    }
}
