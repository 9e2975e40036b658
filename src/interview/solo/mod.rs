//! The solo interview: one person, one question, an answer collected over many messages, feedback,
//! then up to two bar-raiser follow-ups that are answered the same way.
//!
//! A pure state machine. Adapters (terminal, Discord) turn what happens into [`Event`]s, call
//! [`SoloSession::apply`], persist the returned session, and carry out the [`Effect`]s in order.
//! Because effects list the attempt to record *before* the feedback to show, an adapter that
//! follows them never tells a person "done" about something it has not stored.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::analysis::{self, Report, MAX_ANSWER_CHARS};
use crate::bank::{Bank, Question};
use crate::config::InterviewConfig;

/// Where the session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Collecting the first answer.
    Answering,
    /// Feedback was given and a follow-up question asked; collecting its answer.
    FollowUp,
}

/// One solo interview in progress. Serializable so it survives restarts as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoloSession {
    /// Unique id; the stored attempt uses it too, so re-analysis after a follow-up updates the
    /// same attempt instead of adding one.
    pub id: String,
    /// The person the session belongs to (a store user key).
    pub owner: String,
    pub question_id: String,
    /// Questions skipped in this session, so `Skip` does not offer them again.
    pub skipped: Vec<String>,
    pub started_at: Timestamp,
    pub last_activity: Timestamp,
    /// Whether the idle reminder for the current quiet spell was sent.
    pub reminded: bool,
    /// Collected messages by message id. Keyed by id so a replayed event changes nothing, and
    /// ordered by id because ids grow with time.
    pub messages: BTreeMap<u64, String>,
    /// Follow-up questions asked so far, in order.
    pub follow_ups: Vec<String>,
    pub phase: Phase,
    /// Whether an attempt was already recorded (then later analyses update it).
    pub attempt_recorded: bool,
    /// The last message id collected before the latest follow-up was asked; later ids answer it.
    #[serde(default)]
    pub follow_up_mark: Option<u64>,
}

/// Something that happened to a session.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A message from the owner. Ids must be unique per session; a repeated id is ignored.
    Message {
        id: u64,
        text: String,
    },
    /// The owner edited a collected message.
    Edit {
        id: u64,
        text: String,
    },
    /// The owner deleted a collected message.
    Delete {
        id: u64,
    },
    /// The owner says the answer is complete.
    Done,
    Hint,
    /// A new question in the same session; the adapter picks it with [`next_question`].
    Skip {
        question_id: String,
    },
    Cancel,
    /// Time passed; checks idle reminders and expiry.
    Tick,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The owner cancelled.
    Cancelled,
    /// All follow-ups were answered, or the owner finished after feedback.
    Finished,
    /// Idle too long; the answer so far was analysed and stored.
    Expired,
    /// Idle too long with nothing answered; nothing stored.
    ExpiredEmpty,
}

/// A finished (or re-analysed) answer to store. The adapter maps it to the store's attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptDraft {
    /// Same as the session id: recording again updates the stored attempt.
    pub id: String,
    pub owner: String,
    pub question_id: String,
    pub lps: Vec<String>,
    pub answer: String,
    pub report: Report,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
}

/// What the adapter must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A message was collected; acknowledge quietly.
    Collected {
        message_id: u64,
        words: usize,
        chars: usize,
    },
    /// An edit changed the collected answer.
    Edited { message_id: u64 },
    /// A deleted message left the answer.
    Removed { message_id: u64 },
    /// The message was not collected because the answer would exceed the size limit.
    TooLong {
        message_id: u64,
        limit: usize,
        chars_so_far: usize,
    },
    /// `Done` with nothing collected yet.
    NothingToAnalyse,
    /// Store this attempt (flushed) before showing the feedback that follows.
    Record(Box<AttemptDraft>),
    /// Show the feedback. `follow_up` is the question to answer next, if any.
    Feedback {
        report: Box<Report>,
        follow_up: Option<String>,
    },
    /// Show what the question really tests (never the model answer).
    Hint { question_id: String },
    /// Show this new question (after `Skip`).
    Ask { question_id: String },
    /// Remind the owner the interview is waiting.
    Reminder { idle_minutes: u32 },
    /// The session is over; drop it from the store.
    Closed(CloseReason),
}

/// The result of applying one event: the session to persist (`None` once closed) and effects.
#[derive(Debug)]
pub struct Step {
    pub session: Option<SoloSession>,
    pub effects: Vec<Effect>,
}

/// What `apply` needs besides the session and the event.
pub struct Context<'a> {
    pub bank: &'a Bank,
    pub config: &'a InterviewConfig,
    pub now: Timestamp,
}

/// Whether a message is the word "done" and nothing else (any case, trailing punctuation).
pub fn is_done_command(text: &str) -> bool {
    let word = text.trim().trim_end_matches(['.', '!']).trim();
    word.eq_ignore_ascii_case("done")
}

/// Picks the next question for a session: same LP focus when given, never one already used here.
pub fn next_question<'b>(
    bank: &'b Bank,
    lp: Option<&str>,
    used: &[&str],
    rng: &mut impl rand::Rng,
) -> Option<&'b Question> {
    // Once every question of the focus was used, repeats are better than no question.
    bank.pick(lp, used, rng).or_else(|| bank.pick(lp, &[], rng))
}

impl SoloSession {
    /// A new session on `question_id`, started now.
    pub fn start(id: String, owner: String, question_id: String, now: Timestamp) -> Self {
        Self {
            id,
            owner,
            question_id,
            skipped: Vec::new(),
            started_at: now,
            last_activity: now,
            reminded: false,
            messages: BTreeMap::new(),
            follow_ups: Vec::new(),
            phase: Phase::Answering,
            attempt_recorded: false,
            follow_up_mark: None,
        }
    }

    /// The answer so far: collected messages in order, joined with newlines.
    pub fn answer(&self) -> String {
        let parts: Vec<&str> = self.messages.values().map(String::as_str).collect();
        parts.join("\n")
    }

    /// Characters collected so far (the size limit counts characters).
    pub fn answer_chars(&self) -> usize {
        let texts: usize = self.messages.values().map(|t| t.chars().count()).sum();
        texts + self.messages.len().saturating_sub(1)
    }

    pub fn answer_words(&self) -> usize {
        self.messages
            .values()
            .map(|t| t.split_whitespace().count())
            .sum()
    }

    /// Applies one event. Never panics; an event that makes no sense now yields no effect.
    pub fn apply(mut self, event: Event, ctx: &Context) -> Step {
        let mut effects = Vec::new();
        match event {
            Event::Message { id, text } => {
                if self.messages.contains_key(&id) || text.trim().is_empty() {
                    return self.keep(effects);
                }
                let chars_so_far = self.answer_chars();
                let added = text.chars().count() + usize::from(!self.messages.is_empty());
                if chars_so_far + added > MAX_ANSWER_CHARS {
                    effects.push(Effect::TooLong {
                        message_id: id,
                        limit: MAX_ANSWER_CHARS,
                        chars_so_far,
                    });
                    return self.keep(effects);
                }
                self.messages.insert(id, text);
                self.touch(ctx.now);
                effects.push(Effect::Collected {
                    message_id: id,
                    words: self.answer_words(),
                    chars: self.answer_chars(),
                });
            }
            Event::Edit { id, text } => {
                let Some(old) = self.messages.get(&id) else {
                    return self.keep(effects);
                };
                if *old == text {
                    return self.keep(effects);
                }
                let chars_so_far = self.answer_chars() - old.chars().count();
                if chars_so_far + text.chars().count() > MAX_ANSWER_CHARS {
                    effects.push(Effect::TooLong {
                        message_id: id,
                        limit: MAX_ANSWER_CHARS,
                        chars_so_far,
                    });
                    return self.keep(effects);
                }
                if text.trim().is_empty() {
                    self.messages.remove(&id);
                    effects.push(Effect::Removed { message_id: id });
                } else {
                    self.messages.insert(id, text);
                    effects.push(Effect::Edited { message_id: id });
                }
                self.touch(ctx.now);
            }
            Event::Delete { id } => {
                if self.messages.remove(&id).is_some() {
                    effects.push(Effect::Removed { message_id: id });
                }
            }
            Event::Done => return self.finish_answer(ctx, false),
            Event::Hint => effects.push(Effect::Hint {
                question_id: self.question_id.clone(),
            }),
            Event::Skip { question_id } => {
                if self.phase != Phase::Answering || question_id == self.question_id {
                    return self.keep(effects);
                }
                self.skipped
                    .push(std::mem::replace(&mut self.question_id, question_id));
                self.messages.clear();
                self.touch(ctx.now);
                effects.push(Effect::Ask {
                    question_id: self.question_id.clone(),
                });
            }
            Event::Cancel => {
                effects.push(Effect::Closed(CloseReason::Cancelled));
                return Step {
                    session: None,
                    effects,
                };
            }
            Event::Tick => return self.tick(ctx),
        }
        self.keep(effects)
    }

    /// The earliest time a [`Event::Tick`] can change this session (a reminder or expiry).
    /// Before it a tick is a no-op, so an adapter holding many idle sessions only has to tick
    /// the ones whose time has come.
    pub fn next_tick_at(&self, config: &InterviewConfig) -> Timestamp {
        let timeout = minutes(config.idle_timeout_minutes);
        let wait = if self.reminded {
            timeout
        } else {
            timeout.min(minutes(config.idle_reminder_minutes))
        };
        self.last_activity
            .saturating_add(wait)
            .unwrap_or(Timestamp::MAX)
    }

    fn tick(mut self, ctx: &Context) -> Step {
        let idle = ctx.now.duration_since(self.last_activity);
        let timeout = minutes(ctx.config.idle_timeout_minutes);
        if idle >= timeout {
            if self.messages.is_empty() && !self.attempt_recorded {
                return Step {
                    session: None,
                    effects: vec![Effect::Closed(CloseReason::ExpiredEmpty)],
                };
            }
            if self.phase == Phase::FollowUp && !self.has_new_follow_up_answer() {
                // The attempt is stored already; nothing new to analyse.
                return Step {
                    session: None,
                    effects: vec![Effect::Closed(CloseReason::Expired)],
                };
            }
            return self.finish_answer(ctx, true);
        }
        let mut effects = Vec::new();
        if !self.reminded && idle >= minutes(ctx.config.idle_reminder_minutes) {
            self.reminded = true;
            effects.push(Effect::Reminder {
                idle_minutes: ctx.config.idle_reminder_minutes,
            });
        }
        self.keep(effects)
    }

    /// Analyse the answer so far, record it, show feedback, and ask a follow-up if any remain.
    /// `expired` closes the session instead of asking more.
    fn finish_answer(mut self, ctx: &Context, expired: bool) -> Step {
        if self.messages.is_empty() {
            return self.keep(vec![Effect::NothingToAnalyse]);
        }
        if self.phase == Phase::FollowUp && !self.has_new_follow_up_answer() {
            // Done without answering the follow-up: the attempt is stored, so this ends it.
            return Step {
                session: None,
                effects: vec![Effect::Closed(CloseReason::Finished)],
            };
        }
        let question = ctx.bank.question(&self.question_id);
        let answer = self.answer();
        let report = match analysis::analyze(&answer, question.map(Question::hints).as_ref()) {
            Ok(report) => report,
            // The collector keeps the answer within the limit and non-empty, so this is only
            // reachable through whitespace-only messages; treat it as nothing to analyse.
            Err(_) => return self.keep(vec![Effect::NothingToAnalyse]),
        };
        let draft = AttemptDraft {
            id: self.id.clone(),
            owner: self.owner.clone(),
            question_id: self.question_id.clone(),
            lps: question.map(|q| q.lps.clone()).unwrap_or_default(),
            answer,
            report: report.clone(),
            started_at: self.started_at,
            finished_at: ctx.now,
        };
        self.attempt_recorded = true;
        let more = !expired && self.follow_ups.len() < usize::from(ctx.config.max_follow_ups);
        let follow_up = more.then(|| report.follow_up.clone());
        let mut effects = vec![
            Effect::Record(Box::new(draft)),
            Effect::Feedback {
                report: Box::new(report),
                follow_up: follow_up.clone(),
            },
        ];
        match follow_up {
            Some(question) => {
                self.follow_ups.push(question);
                self.follow_up_mark = self.messages.keys().next_back().copied();
                self.phase = Phase::FollowUp;
                self.touch(ctx.now);
                self.keep(effects)
            }
            None => {
                effects.push(Effect::Closed(if expired {
                    CloseReason::Expired
                } else {
                    CloseReason::Finished
                }));
                Step {
                    session: None,
                    effects,
                }
            }
        }
    }

    fn has_new_follow_up_answer(&self) -> bool {
        match self.follow_up_mark {
            Some(mark) => self
                .messages
                .keys()
                .next_back()
                .is_some_and(|&id| id > mark),
            None => !self.messages.is_empty(),
        }
    }

    fn touch(&mut self, now: Timestamp) {
        self.last_activity = now;
        self.reminded = false;
    }

    fn keep(self, effects: Vec<Effect>) -> Step {
        Step {
            session: Some(self),
            effects,
        }
    }
}

fn minutes(m: u32) -> SignedDuration {
    SignedDuration::from_secs(i64::from(m) * 60)
}

#[cfg(test)]
mod tests;
