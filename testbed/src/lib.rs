//! testbed: simulated network devices (a Cisco-IOS-like CLI) over real SSH and Telnet servers, with
//! latency profiles and faults, for running, testing and timing netrun without a lab.

pub mod device;
