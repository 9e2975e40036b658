//! The `bar-raiser` binary: parses arguments and hands off to one module per command.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("bar-raiser: {err:#}");
            ExitCode::from(1)
        }
    }
}
