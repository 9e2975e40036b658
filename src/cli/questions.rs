//! `bar-raiser questions list|validate` (being built).

use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum QuestionsCommand {
    /// List the questions.
    List,
}

pub fn run(_config: Option<&Path>, _cmd: QuestionsCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`questions` is not built yet")
}
