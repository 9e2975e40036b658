//! Turns what the analyzer found into advice: a 1–5 score with reasons, the one most important
//! next step, and one bar-raiser follow-up question aimed at the biggest gap.

use serde::Serialize;

use super::signals::Specificity;
use super::{Length, Ownership, QuestionHints, Star, WORDS_PER_MINUTE};

/// The 2–3 minute speaking target, in seconds.
pub const TARGET_SECONDS: (u32, u32) = (120, 180);

/// Length against the 2–3 minute target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthVerdict {
    TooShort,
    Ok,
    TooLong,
}

/// An overall score from 1 to 5 and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    pub value: u8,
    pub reasons: Vec<String>,
}

/// The findings the advice is derived from.
pub struct Facts<'a> {
    pub star: Star,
    pub ownership: &'a Ownership,
    pub hypothetical: bool,
    pub quantified_result: bool,
    pub specificity: &'a Specificity,
    pub length: Length,
}

/// Words (whitespace-separated pieces with a letter or digit) and speaking time.
pub fn length(text: &str) -> Length {
    let words = text
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count();
    let seconds = (words as u64 * 60).div_ceil(u64::from(WORDS_PER_MINUTE));
    let speaking_seconds = u32::try_from(seconds).unwrap_or(u32::MAX);
    let verdict = if speaking_seconds < TARGET_SECONDS.0 {
        LengthVerdict::TooShort
    } else if speaking_seconds > TARGET_SECONDS.1 {
        LengthVerdict::TooLong
    } else {
        LengthVerdict::Ok
    };
    Length {
        words,
        speaking_seconds,
        verdict,
    }
}

/// Scores the answer: start from 5 and take off for each gap, hypotheticals capped at 2.
pub fn score(f: &Facts) -> Score {
    let mut points: i32 = 5;
    let mut reasons = Vec::new();
    if f.hypothetical {
        reasons.push(
            "It describes what you would do, not what you did: interviewers score hypotheticals low."
                .to_string(),
        );
    }
    if !f.star.action {
        points -= 2;
        reasons.push("No actions: the interviewer can't see what you did.".to_string());
    }
    if !f.star.result {
        points -= 2;
        reasons.push("No result: the story stops before how it turned out.".to_string());
    } else if !f.quantified_result {
        points -= 1;
        reasons.push("The result has no number (%, money, time saved, counts).".to_string());
    } else {
        reasons.push("The result is measured.".to_string());
    }
    if !f.star.situation {
        points -= 1;
        reasons.push("No situation: set the scene in a sentence or two.".to_string());
    }
    if !f.star.task {
        points -= 1;
        reasons.push("No task: say what you were responsible for or aiming at.".to_string());
    }
    if f.ownership.flagged {
        points -= 1;
        reasons.push(format!(
            "{} of {} actions are told with \"we\" only: the interviewer can't tell what you did.",
            f.ownership.we_only_actions.len(),
            f.ownership.action_sentences
        ));
    }
    if f.specificity.kinds() == 0 {
        points -= 1;
        reasons.push("No specifics: name the tools, timelines and metrics.".to_string());
    }
    match f.length.verdict {
        LengthVerdict::TooShort if f.length.speaking_seconds < 60 => {
            points -= 1;
            reasons.push(format!(
                "About {} seconds spoken: far below the 2–3 minute target.",
                f.length.speaking_seconds
            ));
        }
        LengthVerdict::TooShort => reasons.push(format!(
            "About {} seconds spoken: a little short of the 2–3 minute target.",
            f.length.speaking_seconds
        )),
        LengthVerdict::TooLong => {
            points -= 1;
            reasons.push(format!(
                "About {} seconds spoken: over the 2–3 minute target, tighten it.",
                f.length.speaking_seconds
            ));
        }
        LengthVerdict::Ok => reasons.push("Right length for 2–3 minutes.".to_string()),
    }
    if f.hypothetical {
        points = points.min(2);
    }
    Score {
        value: u8::try_from(points.clamp(1, 5)).unwrap_or(1),
        reasons,
    }
}

/// The gaps in priority order; the first one is the biggest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    Hypothetical,
    NoAction,
    WeActions,
    NoResult,
    UnmeasuredResult,
    NoTask,
    NoSituation,
    TooShort,
    TooLong,
}

fn biggest_gap(f: &Facts) -> Option<Gap> {
    if f.hypothetical {
        Some(Gap::Hypothetical)
    } else if !f.star.action {
        Some(Gap::NoAction)
    } else if f.ownership.flagged {
        Some(Gap::WeActions)
    } else if !f.star.result {
        Some(Gap::NoResult)
    } else if !f.quantified_result {
        Some(Gap::UnmeasuredResult)
    } else if !f.star.task {
        Some(Gap::NoTask)
    } else if !f.star.situation {
        Some(Gap::NoSituation)
    } else if f.length.speaking_seconds < 60 {
        Some(Gap::TooShort)
    } else if f.length.verdict == LengthVerdict::TooLong {
        Some(Gap::TooLong)
    } else {
        None
    }
}

/// The single most important thing to change.
pub fn next_step(f: &Facts) -> String {
    match biggest_gap(f) {
        Some(Gap::Hypothetical) => "Swap the hypothetical for a real story: pick a time you actually did this and tell what happened.",
        Some(Gap::NoAction) => "Add what you did, step by step, starting each step with \"I\".",
        Some(Gap::WeActions) => "Retell the actions with \"I\": say which steps were yours and what you decided.",
        Some(Gap::NoResult) => "Finish the story: say how it turned out, with a number if you have one.",
        Some(Gap::UnmeasuredResult) => "Put a number on the result: %, money, time saved, or a count.",
        Some(Gap::NoTask) => "Say what you were responsible for or aiming at before the actions.",
        Some(Gap::NoSituation) => "Open with one or two sentences of context: where, when, what was at stake.",
        Some(Gap::TooShort) => "Expand it to 2–3 minutes: more on your actions and the reasoning behind them.",
        Some(Gap::TooLong) => "Cut it to 2–3 minutes: trim the background and keep your actions and results.",
        None => "Keep this one: practise saying it aloud in 2–3 minutes and prepare for the follow-ups.",
    }
    .to_string()
}

/// One bar-raiser follow-up aimed at the biggest gap, or the question's own follow-up when the
/// answer is complete.
pub fn follow_up(f: &Facts, question: Option<&QuestionHints>) -> String {
    let own = question.and_then(|q| q.follow_ups.iter().find(|s| !s.trim().is_empty()));
    match biggest_gap(f) {
        Some(Gap::Hypothetical) => {
            "Tell me about a time you actually faced this. What did you do?".to_string()
        }
        Some(Gap::NoAction) => "What exactly did you do, step by step?".to_string(),
        Some(Gap::WeActions) => "What did you personally do, as opposed to the team?".to_string(),
        Some(Gap::NoResult) => "How did it turn out? What changed, in numbers?".to_string(),
        Some(Gap::UnmeasuredResult) => {
            "What changed, in numbers? How did you measure it?".to_string()
        }
        Some(Gap::NoTask) => "What were you responsible for, and what was the goal?".to_string(),
        Some(Gap::NoSituation) => {
            "Set the scene: where was this, and what was at stake?".to_string()
        }
        Some(Gap::TooShort) | Some(Gap::TooLong) | None => match own {
            Some(q) => q.trim().to_string(),
            None => "What would you do differently if you faced it again?".to_string(),
        },
    }
}
