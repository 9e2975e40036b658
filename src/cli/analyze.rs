//! `bar-raiser analyze` (being built).

use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {}

pub fn run(_config: Option<&Path>, _args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`analyze` is not built yet")
}
