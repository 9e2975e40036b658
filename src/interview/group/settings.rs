//! A group's settings: what `/group start` asked for, filled in from the config and checked.

use serde::{Deserialize, Serialize};

use crate::bank::Bank;
use crate::config::GroupConfig;

/// Most rounds in one session (the config allows the same range for its default).
pub const MAX_ROUNDS: u8 = 10;
/// Longest answer time per round, in minutes.
pub const MAX_ANSWER_MINUTES: u32 = 30;

/// Who answers in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupMode {
    /// Everyone answers every question, then votes for the best answer.
    Everyone,
    /// One candidate per round in rotation; the others rate the answer.
    HotSeat,
}

impl GroupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupMode::Everyone => "everyone",
            GroupMode::HotSeat => "hot seat",
        }
    }
}

/// What `/group start` was given; `None` takes the config's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requested {
    pub rounds: Option<u8>,
    /// A principle id, name or alias.
    pub lp: Option<String>,
    pub mode: Option<GroupMode>,
    pub answer_minutes: Option<u32>,
}

/// The settings a session runs with, fixed at start (a config change does not alter it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub rounds: u8,
    /// The principle id questions are drawn from, when focused.
    pub lp: Option<String>,
    pub mode: GroupMode,
    pub answer_minutes: u32,
    pub max_participants: u8,
}

/// Why the requested settings cannot be used. Each message names the option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("rounds must be between 1 and {MAX_ROUNDS}, not {0}")]
    Rounds(u8),
    #[error("answer_minutes must be between 1 and {MAX_ANSWER_MINUTES}, not {0}")]
    AnswerMinutes(u32),
    #[error(
        "lp: no Leadership Principle is called \"{input}\"{}",
        did_you_mean(suggestion)
    )]
    UnknownLp {
        input: String,
        suggestion: Option<String>,
    },
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_deref()
        .map(|name| format!(" (did you mean \"{name}\"?)"))
        .unwrap_or_default()
}

impl Settings {
    /// Fills in defaults from `config` and checks every option.
    pub fn resolve(
        requested: &Requested,
        config: &GroupConfig,
        bank: &Bank,
    ) -> Result<Settings, SettingsError> {
        let rounds = requested.rounds.unwrap_or(config.default_rounds);
        if !(1..=MAX_ROUNDS).contains(&rounds) {
            return Err(SettingsError::Rounds(rounds));
        }
        let answer_minutes = requested.answer_minutes.unwrap_or(config.answer_minutes);
        if !(1..=MAX_ANSWER_MINUTES).contains(&answer_minutes) {
            return Err(SettingsError::AnswerMinutes(answer_minutes));
        }
        let lp = match requested.lp.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(input) => match bank.principle(input) {
                Some(principle) => Some(principle.id.clone()),
                None => {
                    return Err(SettingsError::UnknownLp {
                        input: input.to_string(),
                        suggestion: bank.suggest_principle(input).map(str::to_string),
                    })
                }
            },
        };
        Ok(Settings {
            rounds,
            lp,
            mode: requested.mode.unwrap_or(GroupMode::Everyone),
            answer_minutes,
            // The config is validated to 2..=25; keep a group possible even if it was not.
            max_participants: config.max_participants.max(1),
        })
    }
}
