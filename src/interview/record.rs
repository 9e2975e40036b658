//! Turning an analysed answer into the attempt the store keeps.

use crate::analysis::Report;
use crate::store::{Attempt, AttemptId, AttemptSummary, Mode, StarPresence, UserKey};

use super::solo::AttemptDraft;

/// The part of a report that history and stats need.
pub fn summary(report: &Report) -> AttemptSummary {
    AttemptSummary {
        score: report.score.value,
        star: StarPresence {
            situation: report.star.situation,
            task: report.star.task,
            action: report.star.action,
            result: report.star.result,
        },
        missing: report
            .missing
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        singular: count(report.pronouns.singular),
        plural: count(report.pronouns.plural),
        hypothetical: report.hypothetical,
        quantified_result: report.quantified_result,
        words: count(report.length.words),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The attempt to store for a draft made in `mode`.
pub fn attempt(draft: &AttemptDraft, mode: Mode, guild: Option<String>) -> Attempt {
    Attempt {
        id: AttemptId::new(draft.id.clone()),
        user: UserKey(draft.owner.clone()),
        question_id: draft.question_id.clone(),
        lps: draft.lps.clone(),
        answer: draft.answer.clone(),
        summary: summary(&draft.report),
        mode,
        guild,
        started_at: draft.started_at,
        finished_at: draft.finished_at,
    }
}
