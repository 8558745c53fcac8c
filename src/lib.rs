//! netrun: run CLI sessions on many network devices at once, over SSH and Telnet, under a
//! selectable fan-out strategy (sequential, threads, fork, async).

pub mod cli;
pub mod dialogue;
pub mod job;
pub mod lab;
pub mod report;
pub mod strategy;
