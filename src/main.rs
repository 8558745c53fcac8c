//! The netrun binary: parse the command line and hand over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Read the local offset now: the `time` crate refuses once threads exist.
    let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let cli = netrun::Cli::parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    netrun::run(cli, offset)
}
