//! testbed: simulated network devices (Cisco IOS, NX-OS, IOS-XR, Arista EOS, Junos, Cisco ASA and
//! Linux personalities, see [`Platform`]) over real SSH and Telnet servers, with latency profiles
//! and faults, for running, testing and timing netrun without a lab.
//!
//! Start one from the command line (`netrun-testbed`, see [`cli`]) or in-process:
//!
//! ```no_run
//! use testbed::{Lab, LabConfig, ProfileName};
//! let lab = Lab::start(LabConfig::new(3, ProfileName::Lan)).unwrap();
//! let r1_port = lab.devices()[0].ssh_port;
//! lab.stop();
//! ```

pub mod cli;
pub mod device;
pub mod fault;
mod fdlimit;
pub mod inventory;
pub mod lab;
pub mod labfile;
mod player;
mod ports;
pub mod profile;
mod server;
mod ssh;
pub mod telnet;

pub use device::{Personality, Platform};
pub use fault::{DeviceFaults, Fault, FaultKind, FaultSpec};
pub use inventory::InventoryEntry;
pub use lab::{
    DeviceEndpoint, DevicePlan, LabConfig, LabError, PortChoice, Transport, ENABLE_SECRET,
    PASSWORD, USERNAME,
};
pub use profile::ProfileName;
pub use server::{Lab, RunningLab};
