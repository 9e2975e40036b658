//! `bar-raiser analyze [FILE|-] [--question ID] [--json]`: coach one answer read from a file or
//! stdin. Bad input (empty, not UTF-8, over the size limit) is reported on stderr with exit code 2.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bar_raiser::analysis::{analyze, AnalysisError, MAX_ANSWER_CHARS};
use bar_raiser::bank::Bank;
use bar_raiser::config::{Config, ProcessEnv};

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// The answer file; `-` or nothing reads stdin.
    pub file: Option<PathBuf>,
    /// The id of the question being answered (its follow-ups shape the follow-up question).
    #[arg(long)]
    pub question: Option<String>,
    /// Print one JSON object instead of the human-readable report.
    #[arg(long)]
    pub json: bool,
}

/// Exit code for input the analyzer refuses (empty, not UTF-8, too long).
const BAD_INPUT: u8 = 2;

pub fn run(config: Option<&Path>, args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let (bytes, source) = read_input(args.file.as_deref())?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            eprintln!(
                "bar-raiser: {source} is not valid UTF-8 (first bad byte at offset {at}); save it as UTF-8 text"
            );
            return Ok(ExitCode::from(BAD_INPUT));
        }
    };

    let bank = match &args.question {
        Some(_) => Some(load_bank(config)?),
        None => None,
    };
    let hints = match (&args.question, &bank) {
        (Some(id), Some(bank)) => match bank.question(id) {
            Some(question) => Some(question.hints()),
            None => {
                eprintln!(
                    "bar-raiser: no question with id `{id}` in the question bank; `bar-raiser questions list` shows the ids"
                );
                return Ok(ExitCode::from(BAD_INPUT));
            }
        },
        _ => None,
    };

    let report = match analyze(&text, hints.as_ref()) {
        Ok(report) => report,
        Err(AnalysisError::Empty) => {
            eprintln!("bar-raiser: {source} is empty: there is no answer to analyze");
            return Ok(ExitCode::from(BAD_INPUT));
        }
        Err(AnalysisError::TooLong { limit, chars }) => {
            eprintln!(
                "bar-raiser: {source} is {chars} characters long; answers are limited to {limit} characters (about 20 minutes of speech)"
            );
            return Ok(ExitCode::from(BAD_INPUT));
        }
    };
    debug_assert!(text.chars().count() <= MAX_ANSWER_CHARS);

    let output = if args.json {
        let mut json = serde_json::to_string(&report.contract_json())
            .context("could not encode the report as JSON")?;
        json.push('\n');
        json
    } else {
        bar_raiser::terminal::report::render(&report)
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // The reader went away (`| head`): nothing left to tell it.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write the report to stdout")?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the whole input as bytes and names where it came from for messages.
fn read_input(file: Option<&Path>) -> anyhow::Result<(Vec<u8>, String)> {
    match file {
        None => read_stdin(),
        Some(p) if p == Path::new("-") => read_stdin(),
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read the answer file {}", path.display()))?;
            Ok((bytes, format!("the answer file {}", path.display())))
        }
    }
}

fn read_stdin() -> anyhow::Result<(Vec<u8>, String)> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .context("cannot read the answer from stdin")?;
    Ok((bytes, "the answer on stdin".to_string()))
}

/// The question bank: the config's `questions_dir` when it exists, else the built-in bank.
fn load_bank(config: Option<&Path>) -> anyhow::Result<Bank> {
    let config = Config::load(config, &ProcessEnv)?;
    if config.questions_dir.is_dir() {
        Bank::load_dir(&config.questions_dir).with_context(|| {
            format!(
                "cannot load the question bank {}",
                config.questions_dir.display()
            )
        })
    } else {
        Ok(Bank::builtin())
    }
}
