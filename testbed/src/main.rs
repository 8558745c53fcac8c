//! `netrun-testbed`: serve a lab of simulated devices (see `testbed::cli`).

fn main() {
    std::process::exit(testbed::cli::run_from_args(std::env::args()));
}
