//! `bar-raiser bot` (being built).

use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct BotArgs {}

pub fn run(_config: Option<&Path>, _args: BotArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bot` is not built yet")
}
