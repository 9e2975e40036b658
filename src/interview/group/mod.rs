//! The group mock interview: a host opens a lobby in a channel, people join, and the session runs
//! a number of rounds. In *everyone* mode each participant answers every question (several
//! messages each, interleaved) and then votes for the best answer; in *hot seat* mode one
//! candidate per round answers and the others are the panel, who rate the answer. The end is a
//! scoreboard.
//!
//! A pure state machine, shaped like the solo one: adapters turn what happens into [`Event`]s,
//! call [`GroupSession::apply`], persist the returned session, and carry out the [`Effect`]s in
//! order. Records come before anything shown, so nobody is told about an attempt that is not
//! stored. Deadlines are stored as timestamps: after a restart the adapter reloads the session,
//! re-arms its timer from [`GroupSession::next_deadline`] and sends a [`Event::Tick`].
//!
//! The rules where the issue is silent:
//! - Joining is allowed in the lobby and between rounds (the next round counts the newcomer);
//!   during a round and after the last round it is refused with the reason.
//! - `Next` during a round closes it; between rounds it starts the next round (or ends the
//!   session after the last one). Between rounds is a review window ([`REVIEW_MINUTES`]) for
//!   votes and panel ratings; when it passes the next round starts on its own.
//! - `Done` only signals "do not wait for me": messages sent after it still count until the
//!   round closes, so nothing typed is lost.
//! - The one-minute warning is skipped when a round is one minute long, and when the first tick
//!   after a restart is already past the deadline (the round simply closes).
//! - A lobby nobody begins expires after [`LOBBY_MINUTES`], freeing the channel.
//! - Questions are picked by the machine from a seed stored in the session (deterministic in
//!   tests): the LP focus first, never a question already asked, other principles once the
//!   focus is used up.
//! - The hot seat goes to whoever has sat least, earliest joined first; if the candidate leaves,
//!   the round closes at once with their answer so far.
//! - Votes may go to anyone who answered the round, even if they left since; a voter must still
//!   be in the group. A panel rating needs a comment (at most [`MAX_COMMENT_CHARS`]) and cannot
//!   be changed; the candidate gets all comments when the review window closes.
//! - Edits and deletes count until the round closes; after that the stored attempt stands.
//! - A replayed message from before the round began (ids at or below [`Round::after_id`]) is
//!   not an answer to it.

mod review;
mod round;
mod settings;
mod types;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::bank::Bank;
use crate::clock::timestamp_text;

pub use settings::{GroupMode, Requested, Settings, SettingsError, MAX_ANSWER_MINUTES, MAX_ROUNDS};
pub use types::{
    CloseReason, Control, Effect, FeedbackItem, GroupAttempt, PanelRating, Refusal, RoundEnd,
    ScoreRow, Scoreboard, StarFlags,
};

/// Minutes between rounds for votes and panel ratings before the next round starts by itself.
pub const REVIEW_MINUTES: i64 = 2;
/// Minutes a lobby waits for `Begin` before it closes.
pub const LOBBY_MINUTES: i64 = 30;
/// How long before the deadline the warning comes.
pub const WARNING_SECONDS: i64 = 60;
/// The longest panel comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;

/// The registry key of the group running in a channel: one running group per channel.
pub fn channel_key(channel: &str) -> String {
    format!("group:{channel}")
}

/// One collected message of the current round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collected {
    pub author: String,
    pub text: String,
}

/// The round being answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// 1-based.
    pub number: u32,
    pub question_id: String,
    /// The one person answering in hot seat mode.
    pub candidate: Option<String>,
    #[serde(with = "timestamp_text")]
    pub started_at: Timestamp,
    #[serde(with = "timestamp_text")]
    pub deadline: Timestamp,
    /// Whether the one-minute warning is still to come (false once sent or when not wanted).
    pub warning_due: bool,
    /// Collected messages by message id (ids grow with time, so this is the answer order).
    /// Keyed by id so a replayed message changes nothing.
    pub messages: BTreeMap<u64, Collected>,
    /// Ids deleted this round, so a replay of their creation does not bring them back.
    pub removed: BTreeSet<u64>,
    /// Ids up to this one were seen before the round began: a replay of such a message
    /// (say after a gateway resume) is not an answer to this round.
    #[serde(default)]
    pub after_id: u64,
    /// Participants who said they are done.
    pub done: BTreeSet<String>,
}

/// The window after a round closed: votes (everyone mode) or panel ratings (hot seat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub number: u32,
    pub question_id: String,
    pub candidate: Option<String>,
    /// Who answered this round, in the order of their first message.
    pub answerers: Vec<String>,
    /// Voter → the participant voted for.
    pub votes: BTreeMap<String, String>,
    /// Panelist → rating.
    pub ratings: BTreeMap<String, PanelRating>,
    /// The bot's feedback for the hot seat candidate, repeated with the panel's comments.
    pub candidate_feedback: Option<FeedbackItem>,
    #[serde(with = "timestamp_text")]
    pub ends_at: Timestamp,
}

/// Where the session is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Lobby {
        #[serde(with = "timestamp_text")]
        expires_at: Timestamp,
    },
    Answering(Round),
    Review(Review),
}

/// What the scoreboard needs of each person who ever took part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Rounds with a recorded answer.
    pub answered: u32,
    pub score_sum: u32,
    pub votes: u32,
    pub panel_sum: u32,
    pub panel_count: u32,
    /// Rounds spent in the hot seat (drives the rotation).
    pub seats: u32,
}

/// How often each STAR section was missing from recorded answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissedCounts {
    pub situation: u32,
    pub task: u32,
    pub action: u32,
    pub result: u32,
}

/// One group session. Serializable so it survives restarts as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSession {
    /// Unique id; attempt ids are derived from it.
    pub id: String,
    /// The channel it runs in (see [`channel_key`]).
    pub channel: String,
    pub settings: Settings,
    /// Always one of `participants` while the session is open.
    pub host: String,
    /// Current participants in join order.
    pub participants: Vec<String>,
    /// Seeds question picks, so a session is reproducible.
    pub seed: u64,
    /// Question ids asked, one per round started.
    pub asked: Vec<String>,
    pub phase: Phase,
    /// Everyone who ever took part, with their figures.
    pub tallies: BTreeMap<String, Tally>,
    pub missed: MissedCounts,
    /// The highest message id seen in the thread so far (see [`Round::after_id`]).
    #[serde(default)]
    pub max_message_id: u64,
}

/// Something that happened to a group session. Users are store user keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Join {
        user: String,
    },
    Leave {
        user: String,
    },
    /// `can_manage`: the adapter found the user has Manage Messages in the channel.
    Begin {
        user: String,
        can_manage: bool,
    },
    Next {
        user: String,
        can_manage: bool,
    },
    End {
        user: String,
        can_manage: bool,
    },
    /// A message in the session's thread. Ids are unique; a repeated id is ignored.
    Message {
        user: String,
        id: u64,
        text: String,
    },
    Edit {
        id: u64,
        text: String,
    },
    Delete {
        id: u64,
    },
    /// The `Done` button.
    Done {
        user: String,
    },
    /// Best-answer vote for `round` (everyone mode).
    Vote {
        voter: String,
        round: u32,
        choice: String,
    },
    /// A panel rating for `round` (hot seat mode).
    Rate {
        rater: String,
        round: u32,
        score: u8,
        comment: String,
    },
    /// Time passed; checks the deadlines.
    Tick,
}

/// What `apply` needs besides the session and the event.
pub struct Context<'a> {
    pub bank: &'a Bank,
    pub now: Timestamp,
}

/// The result of applying one event: the session to persist (`None` once closed) and effects.
#[derive(Debug)]
pub struct Step {
    pub session: Option<GroupSession>,
    pub effects: Vec<Effect>,
}

impl GroupSession {
    /// A new lobby in `channel` with `host` in it.
    pub fn start(
        id: String,
        channel: String,
        host: String,
        settings: Settings,
        seed: u64,
        now: Timestamp,
    ) -> Self {
        let mut tallies = BTreeMap::new();
        tallies.insert(host.clone(), Tally::default());
        Self {
            id,
            channel,
            settings,
            participants: vec![host.clone()],
            host,
            seed,
            asked: Vec::new(),
            phase: Phase::Lobby {
                expires_at: later(now, minutes(LOBBY_MINUTES)),
            },
            tallies,
            missed: MissedCounts::default(),
            max_message_id: 0,
        }
    }

    /// This session's registry key.
    pub fn key(&self) -> String {
        channel_key(&self.channel)
    }

    /// Everyone who ever took part (for indexing the stored session under each of them).
    pub fn everyone(&self) -> Vec<&str> {
        self.tallies.keys().map(String::as_str).collect()
    }

    /// When the adapter should send the next [`Event::Tick`].
    pub fn next_deadline(&self) -> Timestamp {
        match &self.phase {
            Phase::Lobby { expires_at } => *expires_at,
            Phase::Answering(round) => match round.warning_at() {
                Some(at) if round.warning_due => at,
                _ => round.deadline,
            },
            Phase::Review(review) => review.ends_at,
        }
    }

    pub fn is_participant(&self, user: &str) -> bool {
        self.participants.iter().any(|p| p == user)
    }

    /// Applies one event. Never panics; an event that makes no sense now is refused (when a
    /// person is waiting for an answer) or yields no effect.
    pub fn apply(self, event: Event, ctx: &Context) -> Step {
        let mut fx = Vec::new();
        let session = match event {
            Event::Join { user } => self.join(user, &mut fx),
            Event::Leave { user } => self.leave(user, ctx, &mut fx),
            Event::Begin { user, can_manage } => {
                self.control(Control::Begin, user, can_manage, ctx, &mut fx)
            }
            Event::Next { user, can_manage } => {
                self.control(Control::Next, user, can_manage, ctx, &mut fx)
            }
            Event::End { user, can_manage } => {
                self.control(Control::End, user, can_manage, ctx, &mut fx)
            }
            Event::Message { user, id, text } => self.message(user, id, text, ctx, &mut fx),
            Event::Edit { id, text } => Some(self.edit(id, text, &mut fx)),
            Event::Delete { id } => Some(self.delete(id, &mut fx)),
            Event::Done { user } => self.done(user, true, ctx, &mut fx),
            Event::Vote {
                voter,
                round,
                choice,
            } => Some(self.vote(voter, round, choice, &mut fx)),
            Event::Rate {
                rater,
                round,
                score,
                comment,
            } => Some(self.rate(rater, round, score, comment, &mut fx)),
            Event::Tick => self.tick(ctx, &mut fx),
        };
        Step {
            session,
            effects: fx,
        }
    }

    fn join(mut self, user: String, fx: &mut Vec<Effect>) -> Option<Self> {
        let refusal = if self.is_participant(&user) {
            Some(Refusal::AlreadyIn)
        } else if let Phase::Answering(round) = &self.phase {
            Some(Refusal::RoundInProgress {
                round: round.number,
            })
        } else if matches!(self.phase, Phase::Review(_)) && self.rounds_left() == 0 {
            Some(Refusal::AfterLastRound)
        } else if self.participants.len() >= usize::from(self.settings.max_participants) {
            Some(Refusal::Full {
                max: self.settings.max_participants,
            })
        } else {
            None
        };
        if let Some(reason) = refusal {
            fx.push(Effect::Refused { user, reason });
            return Some(self);
        }
        self.participants.push(user.clone());
        self.tallies.entry(user.clone()).or_default();
        let first_round = match &self.phase {
            Phase::Lobby { .. } => 1,
            _ => self.round_number() + 1,
        };
        fx.push(Effect::Joined {
            user,
            participants: self.participants.len(),
            first_round,
        });
        Some(self)
    }

    fn leave(mut self, user: String, ctx: &Context, fx: &mut Vec<Effect>) -> Option<Self> {
        let Some(at) = self.participants.iter().position(|p| *p == user) else {
            fx.push(Effect::Refused {
                user,
                reason: Refusal::NotIn,
            });
            return Some(self);
        };
        self.participants.remove(at);
        fx.push(Effect::Left { user: user.clone() });
        if self.participants.is_empty() {
            if matches!(self.phase, Phase::Lobby { .. }) {
                fx.push(Effect::Closed(CloseReason::Abandoned));
                return None;
            }
            return self.end_session(RoundEnd::Abandoned, CloseReason::Abandoned, ctx, fx);
        }
        if self.host == user {
            if let Some(next) = self.participants.first() {
                self.host = next.clone();
                fx.push(Effect::HostChanged {
                    from: user,
                    to: next.clone(),
                });
            }
        }
        Some(self.close_if_all_done(ctx, fx))
    }

    fn control(
        self,
        action: Control,
        user: String,
        can_manage: bool,
        ctx: &Context,
        fx: &mut Vec<Effect>,
    ) -> Option<Self> {
        if user != self.host && !can_manage {
            fx.push(Effect::Refused {
                user,
                reason: Refusal::NotHost { action },
            });
            return Some(self);
        }
        match (action, &self.phase) {
            (Control::Begin, Phase::Lobby { .. }) => {
                let Some(question_id) = self.pick_question(ctx.bank) else {
                    fx.push(Effect::Refused {
                        user,
                        reason: Refusal::NoQuestions,
                    });
                    return Some(self);
                };
                Some(self.begin_round(question_id, ctx, fx))
            }
            (Control::Begin, _) => {
                fx.push(Effect::Refused {
                    user,
                    reason: Refusal::AlreadyBegun,
                });
                Some(self)
            }
            (Control::Next, Phase::Lobby { .. }) => {
                fx.push(Effect::Refused {
                    user,
                    reason: Refusal::NotBegun,
                });
                Some(self)
            }
            (Control::Next, Phase::Answering(_)) => {
                Some(self.close_round(RoundEnd::HostNext, ctx, fx))
            }
            (Control::Next, Phase::Review(_)) => self.after_review(ctx, fx),
            (Control::End, Phase::Lobby { .. }) => {
                fx.push(Effect::Closed(CloseReason::EndedInLobby));
                None
            }
            (Control::End, _) => self.end_session(RoundEnd::Ended, CloseReason::Ended, ctx, fx),
        }
    }

    fn tick(mut self, ctx: &Context, fx: &mut Vec<Effect>) -> Option<Self> {
        match &mut self.phase {
            Phase::Lobby { expires_at } => {
                if ctx.now >= *expires_at {
                    fx.push(Effect::Closed(CloseReason::LobbyExpired));
                    return None;
                }
                Some(self)
            }
            Phase::Answering(round) => {
                if ctx.now >= round.deadline {
                    return Some(self.close_round(RoundEnd::Deadline, ctx, fx));
                }
                if round.warning_due && round.warning_at().is_some_and(|at| ctx.now >= at) {
                    round.warning_due = false;
                    fx.push(Effect::Warning {
                        round: round.number,
                        deadline: round.deadline,
                    });
                }
                Some(self)
            }
            Phase::Review(review) => {
                if ctx.now >= review.ends_at {
                    return self.after_review(ctx, fx);
                }
                Some(self)
            }
        }
    }

    /// The number of the round started last (0 before the first).
    pub fn round_number(&self) -> u32 {
        u32::try_from(self.asked.len()).unwrap_or(u32::MAX)
    }

    /// Rounds not started yet.
    pub fn rounds_left(&self) -> usize {
        usize::from(self.settings.rounds).saturating_sub(self.asked.len())
    }

    /// Ends the session from any phase but the lobby: closes an open round (recording what was
    /// answered), settles the review, then the scoreboard.
    fn end_session(
        self,
        why: RoundEnd,
        reason: CloseReason,
        ctx: &Context,
        fx: &mut Vec<Effect>,
    ) -> Option<Self> {
        let mut session = self;
        if matches!(session.phase, Phase::Answering(_)) {
            session = session.close_round(why, ctx, fx);
        }
        session.settle_review(fx);
        fx.push(Effect::Scoreboard(session.scoreboard()));
        fx.push(Effect::Closed(reason));
        None
    }
}

impl Round {
    /// When the one-minute warning is due; `None` for rounds of a minute or less.
    pub fn warning_at(&self) -> Option<Timestamp> {
        let at = self
            .deadline
            .checked_sub(SignedDuration::from_secs(WARNING_SECONDS))
            .ok()?;
        (at > self.started_at).then_some(at)
    }
}

/// `at + by`, saturating at the end of representable time instead of panicking.
fn later(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap_or(Timestamp::MAX)
}

fn minutes(m: i64) -> SignedDuration {
    SignedDuration::from_secs(m.saturating_mul(60))
}
