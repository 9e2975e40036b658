//! Command-line surface: raw arguments parsed into validated ones, one file per command.

mod analyze;
mod bot;
mod common;
mod history;
mod practice;
mod questions;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A mock interviewer for behavioral interviews (Amazon Leadership Principles).
#[derive(Debug, Parser)]
#[command(name = "bar-raiser", version, about)]
pub struct Args {
    /// Config file (default: config/bar-raiser.toml when it exists).
    #[arg(long, global = true, env = "BAR_RAISER_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Discord bot.
    Bot(bot::BotArgs),
    /// Practice an interview in the terminal.
    Practice(practice::PracticeArgs),
    /// Coach one answer read from a file or stdin.
    Analyze(analyze::AnalyzeArgs),
    /// List or validate the question bank.
    #[command(subcommand)]
    Questions(questions::QuestionsCommand),
    /// Show your past attempts, newest first.
    History(history::HistoryArgs),
    /// Show per-Leadership-Principle statistics.
    Stats(history::StatsArgs),
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Bot(a) => bot::run(args.config.as_deref(), a),
        Command::Practice(a) => practice::run(args.config.as_deref(), a),
        Command::Analyze(a) => analyze::run(args.config.as_deref(), a),
        Command::Questions(a) => questions::run(args.config.as_deref(), a),
        Command::History(a) => history::run_history(args.config.as_deref(), a),
        Command::Stats(a) => history::run_stats(args.config.as_deref(), a),
    }
}
