//! Pure, deterministic analysis of a behavioral-interview answer.
//!
//! The input is the answer as typed (several chat messages joined with `"\n"`). The output is a
//! [`Report`]: the sentences with their STAR labels, which sections are present, "I" vs "we",
//! hypothetical and quantified-result flags, specificity, length, a 1–5 score with reasons, the
//! most important next step and one bar-raiser follow-up question.
//!
//! No I/O, no clock, no randomness: the same text always gives the same report, and no input
//! (arbitrary Unicode, control characters, 20,000 characters of one word) can make it panic.
//!
//! The pipeline: [`segment`] cuts the text into units, [`header`] reads explicit labels such as
//! `"**Task:**"`, [`label`] infers the rest, [`pronouns`] counts first-person pronouns by the
//! corpus rules, [`signals`] finds hypotheticals, numbers and specifics, and [`coach`] turns it
//! all into a score and advice.

mod coach;
mod header;
mod label;
mod lexicon;
mod pronouns;
mod segment;
mod signals;

use serde::Serialize;

pub use coach::{LengthVerdict, Score};
pub use pronouns::{count_pronouns, PronounCounts};
pub use signals::Specificity;

/// The longest answer accepted, in characters (Unicode scalar values). Stated in the error.
pub const MAX_ANSWER_CHARS: usize = 20_000;

/// Speaking pace used to estimate how long an answer takes to say.
pub const WORDS_PER_MINUTE: u32 = 150;

/// A STAR section, or `Other` for filler and meta talk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Situation,
    Task,
    Action,
    Result,
    Other,
}

impl Section {
    /// The four STAR sections in interview order.
    pub const STAR: [Section; 4] = [
        Section::Situation,
        Section::Task,
        Section::Action,
        Section::Result,
    ];

    /// The lowercase name used in JSON and in the terminal.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Situation => "situation",
            Section::Task => "task",
            Section::Action => "action",
            Section::Result => "result",
            Section::Other => "other",
        }
    }

    /// The capitalised name shown to people: feedback cards, reports, the group scoreboard.
    pub fn title(self) -> &'static str {
        match self {
            Section::Situation => "Situation",
            Section::Task => "Task",
            Section::Action => "Action",
            Section::Result => "Result",
            Section::Other => "Other",
        }
    }

    fn star_index(self) -> Option<usize> {
        match self {
            Section::Situation => Some(0),
            Section::Task => Some(1),
            Section::Action => Some(2),
            Section::Result => Some(3),
            Section::Other => None,
        }
    }
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the analyzer knows about the question being answered (the bank provides it).
#[derive(Debug, Clone, Copy)]
pub struct QuestionHints<'a> {
    pub text: &'a str,
    pub follow_ups: &'a [String],
}

/// Why an answer could not be analyzed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalysisError {
    #[error("the answer is empty: write what happened, what you did and how it turned out")]
    Empty,
    #[error("the answer is {chars} characters long; the limit is {limit} characters")]
    TooLong { limit: usize, chars: usize },
}

/// One unit of the answer (a sentence, a bullet line or a fragment) with its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sentence {
    /// Byte offset of the first character in the input.
    pub start: usize,
    /// Byte offset just past the last character.
    pub end: usize,
    /// Character (Unicode scalar) offset of the first character.
    pub char_start: usize,
    /// Character offset just past the last character.
    pub char_end: usize,
    pub section: Section,
    /// True when an explicit header ("Task:", "**Result**", "S -") set the label.
    pub labeled: bool,
    pub text: String,
}

/// Whether a STAR section is there, with the sentence that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionPresence {
    pub section: Section,
    pub present: bool,
    /// The first sentence of that section, quoted as evidence.
    pub evidence: Option<String>,
}

/// The four presence flags of the stable JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Star {
    pub situation: bool,
    pub task: bool,
    pub action: bool,
    pub result: bool,
}

/// "I" vs "we" where it matters: actions told only with "we".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ownership {
    /// Action sentences that say "we" (or "our", "us") and never "I".
    pub we_only_actions: Vec<String>,
    /// Action sentences in total.
    pub action_sentences: usize,
    /// True when at least half of the actions are told with "we" only.
    pub flagged: bool,
}

/// Words and estimated speaking time against the 2–3 minute target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Length {
    pub words: usize,
    pub speaking_seconds: u32,
    pub verdict: LengthVerdict,
}

/// Everything the analyzer found in one answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub sentences: Vec<Sentence>,
    pub sections: Vec<SectionPresence>,
    pub star: Star,
    pub missing: Vec<Section>,
    pub pronouns: PronounCounts,
    pub ownership: Ownership,
    pub hypothetical: bool,
    pub quantified_result: bool,
    pub specificity: Specificity,
    pub length: Length,
    pub score: Score,
    pub next_step: String,
    pub follow_up: String,
}

impl Report {
    /// The stable `--json` object. Field names and meanings here are a contract: answers are
    /// scored through it, so only add fields, never rename or drop them.
    pub fn contract_json(&self) -> serde_json::Value {
        let sentences: Vec<serde_json::Value> = self
            .sentences
            .iter()
            .map(|s| {
                serde_json::json!({
                    "start": s.start,
                    "end": s.end,
                    "char_start": s.char_start,
                    "char_end": s.char_end,
                    "section": s.section,
                    "labeled": s.labeled,
                })
            })
            .collect();
        let evidence: serde_json::Map<String, serde_json::Value> = self
            .sections
            .iter()
            .map(|p| {
                (
                    p.section.as_str().to_string(),
                    serde_json::json!(p.evidence),
                )
            })
            .collect();
        serde_json::json!({
            "sentences": sentences,
            "star": self.star,
            "missing": self.missing,
            "evidence": evidence,
            "pronouns": self.pronouns,
            "ownership": self.ownership,
            "hypothetical": self.hypothetical,
            "quantified_result": self.quantified_result,
            "specificity": self.specificity,
            "length": self.length,
            "score": self.score.value,
            "score_reasons": self.score.reasons,
            "next_step": self.next_step,
            "follow_up": self.follow_up,
        })
    }
}

/// Analyzes one answer. `question` lets the follow-up come from the question's own prompts.
pub fn analyze(text: &str, question: Option<&QuestionHints>) -> Result<Report, AnalysisError> {
    let chars = text.chars().count();
    if chars > MAX_ANSWER_CHARS {
        return Err(AnalysisError::TooLong {
            limit: MAX_ANSWER_CHARS,
            chars,
        });
    }
    if text.trim().is_empty() {
        return Err(AnalysisError::Empty);
    }

    let units = segment::segment(text);
    let labels = label::label_units(text, &units);
    let sentences = build_sentences(text, &units, &labels);

    let sections: Vec<SectionPresence> = Section::STAR
        .iter()
        .map(|&section| {
            let evidence = sentences
                .iter()
                .find(|s| s.section == section)
                .map(|s| s.text.clone());
            SectionPresence {
                section,
                present: evidence.is_some(),
                evidence,
            }
        })
        .collect();
    let present = |i: usize| sections.get(i).is_some_and(|p| p.present);
    let star = Star {
        situation: present(0),
        task: present(1),
        action: present(2),
        result: present(3),
    };
    let missing: Vec<Section> = sections
        .iter()
        .filter(|p| !p.present)
        .map(|p| p.section)
        .collect();

    let pronouns = count_pronouns(text);
    let ownership = ownership(&sentences);
    let texts: Vec<(&str, Section)> = sentences
        .iter()
        .map(|s| (s.text.as_str(), s.section))
        .collect();
    let hypothetical = signals::is_hypothetical(&texts);
    let quantified_result = sentences
        .iter()
        .filter(|s| s.section == Section::Result)
        .any(|s| signals::has_quantity(&s.text));
    let specificity = signals::specificity(text);
    let length = coach::length(text);

    let facts = coach::Facts {
        star,
        ownership: &ownership,
        hypothetical,
        quantified_result,
        specificity: &specificity,
        length,
    };
    let score = coach::score(&facts);
    let next_step = coach::next_step(&facts);
    let follow_up = coach::follow_up(&facts, question);

    Ok(Report {
        sentences,
        sections,
        star,
        missing,
        pronouns,
        ownership,
        hypothetical,
        quantified_result,
        specificity,
        length,
        score,
        next_step,
        follow_up,
    })
}

fn build_sentences(text: &str, units: &[segment::Unit], labels: &[label::Label]) -> Vec<Sentence> {
    // Character offsets are computed in one forward pass over the text.
    let mut sentences = Vec::with_capacity(units.len());
    let mut byte_pos = 0usize;
    let mut char_pos = 0usize;
    let mut advance = |to: usize| -> usize {
        let from = byte_pos.min(to);
        char_pos += text.get(from..to).map_or(0, |s| s.chars().count());
        byte_pos = to.max(byte_pos);
        char_pos
    };
    for (unit, label) in units.iter().zip(labels) {
        let char_start = advance(unit.start);
        let char_end = advance(unit.end);
        sentences.push(Sentence {
            start: unit.start,
            end: unit.end,
            char_start,
            char_end,
            section: label.section,
            labeled: label.from_header,
            text: text.get(unit.start..unit.end).unwrap_or("").to_string(),
        });
    }
    sentences
}

fn ownership(sentences: &[Sentence]) -> Ownership {
    let actions: Vec<&Sentence> = sentences
        .iter()
        .filter(|s| s.section == Section::Action)
        .collect();
    let we_only_actions: Vec<String> = actions
        .iter()
        .filter(|s| {
            let c = count_pronouns(&s.text);
            c.plural > 0 && c.singular == 0
        })
        .map(|s| s.text.clone())
        .collect();
    let flagged = !we_only_actions.is_empty() && we_only_actions.len() * 2 >= actions.len();
    Ownership {
        action_sentences: actions.len(),
        flagged,
        we_only_actions,
    }
}

#[cfg(test)]
mod tests;
