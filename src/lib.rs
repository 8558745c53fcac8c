//! netrun: run CLI sessions on many network devices at once, over SSH and Telnet, under a
//! selectable fan-out strategy (sequential, threads, fork, async).
//!
//! The crate is a binary first: every module is private to it. The public API is deliberate and
//! small, and it is what the crate's own binary, integration tests and benchmarks need:
//! - [`Cli`] and [`run`]: the command line and the whole program behind it (`src/main.rs`);
//! - [`strategies`] and [`StrategyKind`]: the table of fan-out strategies, so tests iterate every
//!   strategy there is;
//! - [`telnet`]: the sans-IO Telnet client codec and its protocol constants (its benchmark);
//! - [`load_inventory`]: reading an inventory file or folder (its benchmark and fuzz target);
//! - [`textfsm`]: `--parse textfsm`'s parser (its corpus benchmark);
//! - [`fuzzing`]: the sans-IO dialogue, for the cargo-fuzz targets in
//!   `fuzz/` and nothing else.

mod app;
mod bench;
mod cli;
mod commands;
mod config;
mod dialogue;
mod grammar;
mod hostkeys;
mod inventory;
mod job;
mod lab;
mod merge;
mod os;
mod parse;
mod preflight;
mod report;
mod session;
mod session_log;
mod settings;
mod shard;
mod ssh_config;
mod strategy;
mod transport;

pub use app::run;
pub use cli::Cli;
pub use grammar::parse as parse_args;
pub use inventory::{load as load_inventory, Inventory, InventoryError};
pub use strategy::{all as strategies, StrategyKind};

/// The sans-IO Telnet client codec (RFC 854/855) and the protocol bytes it speaks.
pub mod telnet {
    pub use crate::transport::telnet::codec;
    pub use crate::transport::telnet::TelnetCodec;
}

/// TextFSM parsing as `--parse textfsm` does it (an ntc-templates folder's index, the engine,
/// the records), for the corpus benchmark (`benches/textfsm_corpus.rs`).
pub mod textfsm {
    pub use crate::job::{Field, ParseResult};
    pub use crate::parse::Parser;
}

/// What the cargo-fuzz targets in `fuzz/` drive besides the Telnet codec: the sans-IO
/// `Dialogue` with the real platform profiles (the inventory loader is [`load_inventory`]). Only the fuzz targets
/// use it; it is public because they are a separate crate.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::dialogue::platform::{profile, profile_names};
    pub use crate::dialogue::{Clock, ConfigPlan, Dialogue, Ended, Plan, Profile};
    pub use crate::job::Secret;
}
