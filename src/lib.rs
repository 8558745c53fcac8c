//! netrun: run CLI sessions on many network devices at once, over SSH and Telnet, under a
//! selectable fan-out strategy (sequential, threads, fork, async).

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod dialogue;
pub mod inventory;
pub mod job;
pub mod lab;
pub(crate) mod os;
pub mod report;
pub mod session;
pub mod settings;
pub mod strategy;
pub mod transport;
