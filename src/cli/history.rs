//! `bar-raiser history` and `bar-raiser stats`: the same data the bot shows, in a terminal.

use std::path::Path;
use std::process::ExitCode;

use bar_raiser::store::{stats, Store};

use super::common;

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// How many attempts to show.
    #[arg(long, short = 'n', default_value_t = 10)]
    count: usize,
}

#[derive(Debug, clap::Args)]
pub struct StatsArgs {}

pub fn run_history(config: Option<&Path>, args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let config = common::config(config)?;
    let bank = common::bank(&config)?;
    let store = common::store(&config)?;
    let attempts = store.history(&common::local_user(), args.count)?;
    if attempts.is_empty() {
        println!("No attempts yet. Start one with `bar-raiser practice`.");
        return Ok(ExitCode::SUCCESS);
    }
    for attempt in attempts {
        let question = bank
            .question(&attempt.question_id)
            .map_or(attempt.question_id.as_str(), |q| q.text.as_str());
        let missing = attempt.summary.star.missing();
        println!(
            "{}  {}/5  {:<8}  {}",
            attempt.finished_at.strftime("%Y-%m-%d %H:%M"),
            attempt.summary.score,
            attempt.mode.to_string(),
            question
        );
        if !missing.is_empty() {
            println!("    missing: {}", missing.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_stats(config: Option<&Path>, _args: StatsArgs) -> anyhow::Result<ExitCode> {
    let config = common::config(config)?;
    let bank = common::bank(&config)?;
    let store = common::store(&config)?;
    let attempts = store.history(&common::local_user(), usize::MAX)?;
    let all: Vec<String> = bank.principles().iter().map(|p| p.id.clone()).collect();
    let tz = jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC);
    let figures = stats::compute(&attempts, &all, jiff::Timestamp::now(), &tz);
    let name = |id: &str| {
        bank.principle(id)
            .map_or(id.to_string(), |p| p.name.clone())
    };
    println!(
        "{} attempts{}; streak {} day(s)",
        figures.total_attempts,
        figures
            .overall_average
            .map(|a| format!(", average {a:.1}/5"))
            .unwrap_or_default(),
        figures.streak_days
    );
    for lp in &figures.per_lp {
        println!(
            "  {:<46} {:>3} attempt(s)  average {:.1}  last {}",
            name(&lp.lp),
            lp.attempts,
            lp.average_score,
            lp.last_practised.strftime("%Y-%m-%d")
        );
    }
    if let Some(most) = figures.most_missing.first() {
        println!("Most often missing: {} ({}x)", most.section, most.missing);
    }
    if !figures.never_practised.is_empty() {
        let names: Vec<String> = figures.never_practised.iter().map(|id| name(id)).collect();
        println!("Never practised: {}", names.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}
