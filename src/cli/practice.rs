//! `bar-raiser practice` (being built).

use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct PracticeArgs {}

pub fn run(_config: Option<&Path>, _args: PracticeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`practice` is not built yet")
}
