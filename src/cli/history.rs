//! `bar-raiser history` and `bar-raiser stats` (being built).

use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {}

#[derive(Debug, clap::Args)]
pub struct StatsArgs {}

pub fn run_history(_config: Option<&Path>, _args: HistoryArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`history` is not built yet")
}

pub fn run_stats(_config: Option<&Path>, _args: StatsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`stats` is not built yet")
}
