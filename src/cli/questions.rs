//! `bar-raiser questions list|validate`: browse the question bank and check a bank directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use bar_raiser::bank::{Bank, Validation, MIN_QUESTIONS_PER_PRINCIPLE};
use bar_raiser::config::{Config, ProcessEnv};

#[derive(Debug, clap::Subcommand)]
pub enum QuestionsCommand {
    /// List the questions: id, Leadership Principles and text.
    List {
        /// Only questions for this Leadership Principle (name, id or alias).
        #[arg(long, value_name = "NAME")]
        lp: Option<String>,
        /// Bank directory (default: the config's `questions_dir` when it exists, else the built-in bank).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Check a bank directory: print every problem and the questions per principle.
    /// Exits 1 when the bank is invalid.
    Validate {
        /// Bank directory (default: the config's `questions_dir` when it exists, else the built-in bank).
        dir: Option<PathBuf>,
    },
}

pub fn run(config: Option<&Path>, cmd: QuestionsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        QuestionsCommand::List { lp, dir } => {
            let bank = match bank_dir(config, dir)? {
                Some(dir) => Bank::load_dir(&dir)
                    .with_context(|| format!("cannot load the question bank {}", dir.display()))?,
                None => Bank::builtin(),
            };
            print!("{}", list(&bank, lp.as_deref())?);
            Ok(ExitCode::SUCCESS)
        }
        QuestionsCommand::Validate { dir } => validate(bank_dir(config, dir)?.as_deref()),
    }
}

/// The directory to read: the one given, else the config's `questions_dir` (default
/// `questions`) when it exists, else none: the built-in bank.
fn bank_dir(config: Option<&Path>, given: Option<PathBuf>) -> anyhow::Result<Option<PathBuf>> {
    if given.is_some() {
        return Ok(given);
    }
    let config = Config::load(config, &ProcessEnv)?;
    Ok(config
        .questions_dir
        .is_dir()
        .then_some(config.questions_dir))
}

fn list(bank: &Bank, lp: Option<&str>) -> anyhow::Result<String> {
    let questions = match lp {
        Some(name) => {
            let principle = bank
                .principle(name)
                .ok_or_else(|| unknown_principle(bank, name))?;
            bank.questions_for(&principle.id)
        }
        None => bank.questions().iter().collect(),
    };
    let mut out = String::new();
    for question in &questions {
        let names: Vec<&str> = question
            .lps
            .iter()
            .map(|id| bank.principle(id).map_or(id.as_str(), |p| p.name.as_str()))
            .collect();
        let _ = writeln!(out, "{}  [{}]", question.id, names.join(" / "));
        let _ = writeln!(out, "    {}", question.text);
    }
    let _ = writeln!(
        out,
        "{} question{}",
        questions.len(),
        if questions.len() == 1 { "" } else { "s" }
    );
    Ok(out)
}

fn unknown_principle(bank: &Bank, name: &str) -> anyhow::Error {
    let mut message = format!("unknown Leadership Principle {name:?}");
    if let Some(suggestion) = bank.suggest_principle(name) {
        let _ = write!(message, " (did you mean {suggestion:?}?)");
    }
    message.push_str(". Valid names:");
    for principle in bank.principles() {
        let _ = write!(message, "\n  {} ({})", principle.name, principle.id);
    }
    anyhow::anyhow!(message)
}

fn validate(dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (validation, shown) = match dir {
        Some(dir) => (
            Bank::validate_dir(dir)
                .with_context(|| format!("cannot validate the question bank {}", dir.display()))?,
            dir.display().to_string(),
        ),
        None => (
            Validation {
                bank: Bank::builtin(),
                problems: Vec::new(),
            },
            "the built-in bank".to_string(),
        ),
    };
    for problem in &validation.problems {
        println!("error: {problem}");
    }
    let bank = &validation.bank;
    let problems = validation.problems.len();
    // With problems, the counts cover only the valid questions: warnings would mislead.
    let thin = if problems == 0 {
        bank.thin_principles()
    } else {
        Vec::new()
    };
    for (principle, count) in thin {
        println!(
            "warning: {} has {count} question{} (at least {MIN_QUESTIONS_PER_PRINCIPLE} recommended)",
            principle.name,
            if count == 1 { "" } else { "s" }
        );
    }
    println!();
    println!("Questions per Leadership Principle:");
    let width = bank
        .principles()
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0);
    for (principle, count) in bank.counts() {
        println!("  {:<width$}  {count:>3}", principle.name);
    }
    if problems == 0 {
        println!(
            "{shown}: OK, {} principles, {} questions",
            bank.principles().len(),
            bank.questions().len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{shown}: INVALID, {problems} problem{} ({} valid questions)",
            if problems == 1 { "" } else { "s" },
            bank.questions().len()
        );
        Ok(ExitCode::from(1))
    }
}
