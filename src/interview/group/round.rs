//! A round: its question, who answers, collecting messages per author, and closing it with one
//! analysed, recorded attempt per participant who answered.

use std::collections::{BTreeMap, BTreeSet};

use jiff::SignedDuration;
use rand::SeedableRng;

use crate::analysis::{self, MAX_ANSWER_CHARS};
use crate::bank::{Bank, Question};
use crate::interview::solo::is_done_command;

use super::{
    later, Collected, Context, Effect, FeedbackItem, GroupAttempt, GroupMode, GroupSession, Phase,
    Refusal, Review, Round, RoundEnd, REVIEW_MINUTES,
};

impl Round {
    /// `user`'s answer so far: their messages in order, joined with newlines.
    pub fn answer_of(&self, user: &str) -> String {
        let parts: Vec<&str> = self
            .messages
            .values()
            .filter(|m| m.author == user)
            .map(|m| m.text.as_str())
            .collect();
        parts.join("\n")
    }

    /// Characters in `user`'s answer so far (the size limit counts characters).
    pub fn chars_of(&self, user: &str) -> usize {
        let mut texts = 0;
        let mut count: usize = 0;
        for m in self.messages.values().filter(|m| m.author == user) {
            texts += m.text.chars().count();
            count += 1;
        }
        texts + count.saturating_sub(1)
    }

    fn words_of(&self, user: &str) -> usize {
        self.messages
            .values()
            .filter(|m| m.author == user)
            .map(|m| m.text.split_whitespace().count())
            .sum()
    }

    /// Authors with something collected, in the order of their first message.
    pub fn authors(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut authors = Vec::new();
        for m in self.messages.values() {
            if seen.insert(m.author.as_str()) {
                authors.push(m.author.clone());
            }
        }
        authors
    }
}

impl GroupSession {
    /// A question for the next round: the LP focus first, never one asked in this session;
    /// once the focus is used up, other principles; repeats only when the bank is exhausted.
    pub(super) fn pick_question(&self, bank: &Bank) -> Option<String> {
        let round = u64::try_from(self.asked.len()).unwrap_or(u64::MAX);
        let mut rng = rand::rngs::StdRng::seed_from_u64(self.seed.wrapping_add(round));
        let used: Vec<&str> = self.asked.iter().map(String::as_str).collect();
        let lp = self.settings.lp.as_deref();
        let picked = bank
            .pick(lp, &used, &mut rng)
            .or_else(|| bank.pick(None, &used, &mut rng))
            .or_else(|| bank.pick(lp, &[], &mut rng))
            .or_else(|| bank.pick(None, &[], &mut rng));
        picked.map(|q| q.id.clone())
    }

    /// The hot seat candidate for the next round: whoever sat least, earliest joined first.
    fn next_candidate(&self) -> Option<String> {
        self.participants
            .iter()
            .enumerate()
            .min_by_key(|(at, p)| (self.tallies.get(*p).map_or(0, |t| t.seats), *at))
            .map(|(_, p)| p.clone())
    }

    pub(super) fn begin_round(
        mut self,
        question_id: String,
        ctx: &Context,
        fx: &mut Vec<Effect>,
    ) -> Self {
        self.asked.push(question_id.clone());
        let number = self.round_number();
        let candidate = match self.settings.mode {
            GroupMode::Everyone => None,
            GroupMode::HotSeat => self.next_candidate(),
        };
        if let Some(c) = &candidate {
            let tally = self.tallies.entry(c.clone()).or_default();
            tally.seats = tally.seats.saturating_add(1);
        }
        let length = SignedDuration::from_secs(i64::from(self.settings.answer_minutes) * 60);
        let mut round = Round {
            number,
            question_id: question_id.clone(),
            candidate: candidate.clone(),
            started_at: ctx.now,
            deadline: later(ctx.now, length),
            warning_due: false,
            messages: BTreeMap::new(),
            removed: BTreeSet::new(),
            after_id: self.max_message_id,
            done: BTreeSet::new(),
        };
        round.warning_due = round.warning_at().is_some();
        fx.push(Effect::RoundStarted {
            round: number,
            rounds: self.settings.rounds,
            question_id,
            candidate,
            deadline: round.deadline,
        });
        self.phase = Phase::Answering(round);
        self
    }

    /// Who answers in the open round: every participant, or the candidate if still here.
    fn answerers(&self, round: &Round) -> Vec<String> {
        match (&self.settings.mode, &round.candidate) {
            (GroupMode::HotSeat, Some(c)) => self
                .participants
                .iter()
                .filter(|p| *p == c)
                .cloned()
                .collect(),
            _ => self.participants.clone(),
        }
    }

    fn is_answerer(&self, round: &Round, user: &str) -> bool {
        self.is_participant(user)
            && match self.settings.mode {
                GroupMode::Everyone => true,
                GroupMode::HotSeat => round.candidate.as_deref() == Some(user),
            }
    }

    pub(super) fn message(
        mut self,
        user: String,
        id: u64,
        text: String,
        ctx: &Context,
        fx: &mut Vec<Effect>,
    ) -> Option<Self> {
        self.max_message_id = self.max_message_id.max(id);
        let Phase::Answering(round) = &self.phase else {
            // Chat in the lobby or between rounds is not an answer.
            return Some(self);
        };
        if !self.is_answerer(round, &user) {
            // Panel chat, bystanders: ignored for scoring, left alone.
            return Some(self);
        }
        if id <= round.after_id || round.messages.contains_key(&id) || round.removed.contains(&id) {
            return Some(self);
        }
        if is_done_command(&text) {
            return self.done(user, false, ctx, fx);
        }
        if text.trim().is_empty() {
            return Some(self);
        }
        let Phase::Answering(round) = &mut self.phase else {
            return Some(self);
        };
        let chars_so_far = round.chars_of(&user);
        let added = text.chars().count() + usize::from(has_any(round, &user));
        if chars_so_far + added > MAX_ANSWER_CHARS {
            fx.push(Effect::TooLong {
                user,
                message_id: id,
                limit: MAX_ANSWER_CHARS,
                chars_so_far,
            });
            return Some(self);
        }
        round.messages.insert(
            id,
            Collected {
                author: user.clone(),
                text,
            },
        );
        fx.push(Effect::Collected {
            words: round.words_of(&user),
            chars: round.chars_of(&user),
            user,
            message_id: id,
        });
        Some(self)
    }

    pub(super) fn edit(mut self, id: u64, text: String, fx: &mut Vec<Effect>) -> Self {
        let Phase::Answering(round) = &mut self.phase else {
            return self;
        };
        let Some(old) = round.messages.get(&id) else {
            return self;
        };
        if old.text == text {
            return self;
        }
        let author = old.author.clone();
        let chars_so_far = round.chars_of(&author) - old.text.chars().count();
        if text.trim().is_empty() {
            round.messages.remove(&id);
            round.removed.insert(id);
            fx.push(Effect::Removed { message_id: id });
            return self;
        }
        if chars_so_far + text.chars().count() > MAX_ANSWER_CHARS {
            fx.push(Effect::TooLong {
                user: author,
                message_id: id,
                limit: MAX_ANSWER_CHARS,
                chars_so_far,
            });
            return self;
        }
        round.messages.insert(id, Collected { author, text });
        fx.push(Effect::Edited { message_id: id });
        self
    }

    pub(super) fn delete(mut self, id: u64, fx: &mut Vec<Effect>) -> Self {
        if let Phase::Answering(round) = &mut self.phase {
            if round.messages.remove(&id).is_some() {
                round.removed.insert(id);
                fx.push(Effect::Removed { message_id: id });
            }
        }
        self
    }

    /// `user` is done. `clicked`: the button (refusals are shown) rather than a typed "done".
    pub(super) fn done(
        mut self,
        user: String,
        clicked: bool,
        ctx: &Context,
        fx: &mut Vec<Effect>,
    ) -> Option<Self> {
        let refusal = match &self.phase {
            _ if !self.is_participant(&user) => Some(Refusal::NotIn),
            Phase::Answering(round) if !self.is_answerer(round, &user) => {
                Some(Refusal::NotYourTurn)
            }
            Phase::Answering(_) => None,
            _ => Some(Refusal::NoRoundOpen),
        };
        if let Some(reason) = refusal {
            if clicked {
                fx.push(Effect::Refused { user, reason });
            }
            return Some(self);
        }
        let Phase::Answering(round) = &mut self.phase else {
            return Some(self);
        };
        if round.done.insert(user.clone()) {
            let answered = has_any(round, &user);
            fx.push(Effect::Finished { user, answered });
        }
        Some(self.close_if_all_done(ctx, fx))
    }

    /// Closes the open round when every answerer still here is done (or, in hot seat, the
    /// candidate left).
    pub(super) fn close_if_all_done(self, ctx: &Context, fx: &mut Vec<Effect>) -> Self {
        let Phase::Answering(round) = &self.phase else {
            return self;
        };
        let answerers = self.answerers(round);
        if answerers.is_empty() {
            let why = match self.settings.mode {
                GroupMode::HotSeat => RoundEnd::CandidateLeft,
                GroupMode::Everyone => RoundEnd::Abandoned,
            };
            return self.close_round(why, ctx, fx);
        }
        if answerers.iter().all(|a| round.done.contains(a)) {
            return self.close_round(RoundEnd::AllDone, ctx, fx);
        }
        self
    }

    /// Closes the open round: analyses and records each answer (records first), then the
    /// feedback cards, and opens the review window.
    pub(super) fn close_round(
        mut self,
        why: RoundEnd,
        ctx: &Context,
        fx: &mut Vec<Effect>,
    ) -> Self {
        let Phase::Answering(round) = &self.phase else {
            return self;
        };
        let round = round.clone();
        let question = ctx.bank.question(&round.question_id);
        let hints = question.map(Question::hints);
        let mut feedback = Vec::new();
        let mut answerers = Vec::new();
        for author in round.authors() {
            let answer = round.answer_of(&author);
            // Collection keeps answers non-empty and within the limit; an error means there
            // is nothing to analyse, so nothing is stored.
            let Ok(report) = analysis::analyze(&answer, hints.as_ref()) else {
                continue;
            };
            let item = FeedbackItem::from_report(&author, &report);
            let tally = self.tallies.entry(author.clone()).or_default();
            tally.answered = tally.answered.saturating_add(1);
            tally.score_sum = tally.score_sum.saturating_add(u32::from(item.score));
            let missing = item.star;
            self.missed.situation = self
                .missed
                .situation
                .saturating_add(u32::from(!missing.situation));
            self.missed.task = self.missed.task.saturating_add(u32::from(!missing.task));
            self.missed.action = self
                .missed
                .action
                .saturating_add(u32::from(!missing.action));
            self.missed.result = self
                .missed
                .result
                .saturating_add(u32::from(!missing.result));
            fx.push(Effect::Record(Box::new(GroupAttempt {
                id: format!("{}:{}:{}", self.id, round.number, author),
                owner: author.clone(),
                round: round.number,
                question_id: round.question_id.clone(),
                lps: question.map(|q| q.lps.clone()).unwrap_or_default(),
                answer,
                report,
                started_at: round.started_at,
                finished_at: ctx.now,
            })));
            feedback.push(item);
            answerers.push(author);
        }
        let candidate_feedback = round
            .candidate
            .as_ref()
            .and_then(|c| feedback.iter().find(|f| f.user == *c).cloned());
        let vote_for = match self.settings.mode {
            GroupMode::Everyone => answerers.clone(),
            GroupMode::HotSeat => Vec::new(),
        };
        let review_until = later(
            ctx.now,
            SignedDuration::from_secs(REVIEW_MINUTES.saturating_mul(60)),
        );
        fx.push(Effect::RoundClosed {
            round: round.number,
            question_id: round.question_id.clone(),
            why,
            feedback,
            vote_for,
            candidate: round.candidate.clone(),
            review_until,
        });
        self.phase = Phase::Review(Review {
            number: round.number,
            question_id: round.question_id,
            candidate: round.candidate,
            answerers,
            votes: BTreeMap::new(),
            ratings: BTreeMap::new(),
            candidate_feedback,
            ends_at: review_until,
        });
        self
    }
}

fn has_any(round: &Round, user: &str) -> bool {
    round.messages.values().any(|m| m.author == user)
}
