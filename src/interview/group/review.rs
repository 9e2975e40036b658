//! Between rounds: best-answer votes (everyone mode), panel ratings (hot seat), and at the end
//! the scoreboard.

use std::cmp::Ordering;

use crate::analysis::Section;

use super::{
    CloseReason, Context, Effect, GroupMode, GroupSession, PanelRating, Phase, Refusal, ScoreRow,
    Scoreboard, MAX_COMMENT_CHARS,
};

impl GroupSession {
    pub(super) fn vote(
        mut self,
        voter: String,
        round: u32,
        choice: String,
        fx: &mut Vec<Effect>,
    ) -> Self {
        let refusal = match &self.phase {
            _ if self.settings.mode == GroupMode::HotSeat => Some(Refusal::NoVotingInHotSeat),
            Phase::Review(review) if review.number == round => {
                if !self.is_participant(&voter) {
                    Some(Refusal::NotIn)
                } else if voter == choice {
                    Some(Refusal::NoSelfVote)
                } else if !review.answerers.contains(&choice) {
                    Some(Refusal::NotAnAnswerer)
                } else {
                    None
                }
            }
            _ => Some(Refusal::VotingClosed),
        };
        if let Some(reason) = refusal {
            fx.push(Effect::Refused {
                user: voter,
                reason,
            });
            return self;
        }
        if let Phase::Review(review) = &mut self.phase {
            let replaced = review.votes.insert(voter.clone(), choice.clone());
            fx.push(Effect::Voted {
                voter,
                round,
                choice,
                replaced,
            });
        }
        self
    }

    pub(super) fn rate(
        mut self,
        rater: String,
        round: u32,
        score: u8,
        comment: String,
        fx: &mut Vec<Effect>,
    ) -> Self {
        let comment = comment.trim().to_string();
        let chars = comment.chars().count();
        let refusal = match &self.phase {
            _ if self.settings.mode == GroupMode::Everyone => Some(Refusal::NoPanelInEveryoneMode),
            Phase::Review(review) if review.number == round => {
                let candidate = review.candidate.as_deref();
                if !self.is_participant(&rater) {
                    Some(Refusal::NotIn)
                } else if candidate == Some(rater.as_str()) {
                    Some(Refusal::CandidateCannotRate)
                } else if !candidate.is_some_and(|c| review.answerers.iter().any(|a| a == c)) {
                    Some(Refusal::NothingToRate)
                } else if review.ratings.contains_key(&rater) {
                    Some(Refusal::AlreadyRated)
                } else if !(1..=5).contains(&score) {
                    Some(Refusal::ScoreOutOfRange { score })
                } else if comment.is_empty() {
                    Some(Refusal::EmptyComment)
                } else if chars > MAX_COMMENT_CHARS {
                    Some(Refusal::CommentTooLong { chars })
                } else {
                    None
                }
            }
            _ => Some(Refusal::RatingClosed),
        };
        if let Some(reason) = refusal {
            fx.push(Effect::Refused {
                user: rater,
                reason,
            });
            return self;
        }
        if let Phase::Review(review) = &mut self.phase {
            review.ratings.insert(
                rater.clone(),
                PanelRating {
                    rater: rater.clone(),
                    score,
                    comment,
                },
            );
            fx.push(Effect::Rated { rater, round });
        }
        self
    }

    /// Closes the review window: votes and ratings count, the candidate gets the panel's
    /// comments. Leaves the phase as it is; the caller moves on.
    pub(super) fn settle_review(&mut self, fx: &mut Vec<Effect>) {
        let Phase::Review(review) = &mut self.phase else {
            return;
        };
        for choice in std::mem::take(&mut review.votes).into_values() {
            let tally = self.tallies.entry(choice).or_default();
            tally.votes = tally.votes.saturating_add(1);
        }
        let ratings: Vec<PanelRating> = std::mem::take(&mut review.ratings).into_values().collect();
        if let Some(candidate) = review.candidate.clone() {
            if review.answerers.contains(&candidate) {
                let tally = self.tallies.entry(candidate.clone()).or_default();
                for r in &ratings {
                    tally.panel_sum = tally.panel_sum.saturating_add(u32::from(r.score));
                    tally.panel_count = tally.panel_count.saturating_add(1);
                }
                fx.push(Effect::PanelFeedback {
                    round: review.number,
                    candidate,
                    feedback: review.candidate_feedback.take(),
                    ratings,
                });
            }
        }
    }

    /// The review window is over (host `Next` or its deadline): the next round, or the end.
    pub(super) fn after_review(mut self, ctx: &Context, fx: &mut Vec<Effect>) -> Option<Self> {
        if !matches!(self.phase, Phase::Review(_)) {
            return Some(self);
        }
        if self.rounds_left() > 0 {
            if let Some(question_id) = self.pick_question(ctx.bank) {
                self.settle_review(fx);
                return Some(self.begin_round(question_id, ctx, fx));
            }
        }
        self.settle_review(fx);
        fx.push(Effect::Scoreboard(self.scoreboard()));
        fx.push(Effect::Closed(CloseReason::Finished));
        None
    }

    /// The figures so far (votes of an open review count once it is settled).
    pub fn scoreboard(&self) -> Scoreboard {
        let mut rows: Vec<ScoreRow> = self
            .tallies
            .iter()
            .map(|(user, t)| ScoreRow {
                user: user.clone(),
                answered: t.answered,
                average_score: mean(t.score_sum, t.answered),
                votes: t.votes,
                panel_average: mean(t.panel_sum, t.panel_count),
                panel_ratings: t.panel_count,
            })
            .collect();
        rows.sort_by(|a, b| {
            desc(a.average_score, b.average_score)
                .then(b.votes.cmp(&a.votes))
                .then(desc(a.panel_average, b.panel_average))
                .then(a.user.cmp(&b.user))
        });
        let m = self.missed;
        let mut most_missed: Vec<(Section, u32)> = Section::STAR
            .into_iter()
            .zip([m.situation, m.task, m.action, m.result])
            .filter(|(_, n)| *n > 0)
            .collect();
        // Stable: ties stay in STAR order.
        most_missed.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
        Scoreboard {
            rounds_played: self.round_number(),
            rows,
            most_missed,
        }
    }
}

fn mean(sum: u32, count: u32) -> Option<f64> {
    (count > 0).then(|| f64::from(sum) / f64::from(count))
}

/// Higher first; `None` last.
fn desc(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}
