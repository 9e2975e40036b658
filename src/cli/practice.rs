//! `bar-raiser practice`: a mock interview in the terminal.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use bar_raiser::clock::SystemClock;
use bar_raiser::interview::solo::next_question;
use bar_raiser::terminal::practice::Practice;

use super::common;

#[derive(Debug, clap::Args)]
pub struct PracticeArgs {
    /// Practise this Leadership Principle (name, id or alias).
    #[arg(long, value_name = "NAME")]
    lp: Option<String>,
    /// Practise this question (see `bar-raiser questions list`).
    #[arg(long, value_name = "ID", conflicts_with = "lp")]
    question: Option<String>,
}

pub fn run(config: Option<&Path>, args: PracticeArgs) -> anyhow::Result<ExitCode> {
    let config = common::config(config)?;
    let bank = common::bank(&config)?;
    let question_id = match (&args.question, &args.lp) {
        (Some(id), _) => bank.question(id).map(|q| q.id.clone()).with_context(|| {
            format!("unknown question id {id:?}; see `bar-raiser questions list`")
        })?,
        (None, lp) => {
            let lp_id = match lp {
                Some(name) => Some(bank.principle(name).map(|p| p.id.clone()).with_context(
                    || {
                        let names: Vec<&str> =
                            bank.principles().iter().map(|p| p.name.as_str()).collect();
                        format!(
                            "unknown Leadership Principle {name:?}; one of: {}",
                            names.join(", ")
                        )
                    },
                )?),
                None => None,
            };
            next_question(&bank, lp_id.as_deref(), &[], &mut rand::thread_rng())
                .map(|q| q.id.clone())
                .context("the question bank has no question for that choice")?
        }
    };
    let store = common::store(&config)?;
    let practice = Practice {
        bank: &bank,
        store: &store,
        clock: &SystemClock,
        config: &config.interview,
        user: common::local_user(),
    };
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    practice.run(&question_id, &mut stdin.lock(), &mut stdout.lock())?;
    Ok(ExitCode::SUCCESS)
}
