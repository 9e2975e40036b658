//! What a group session tells its adapter: effects, refusals and the values they carry.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::analysis::{Report, Section};
use crate::interview::record;
use crate::store::{Attempt, AttemptId, Mode, UserKey};

use super::MAX_COMMENT_CHARS;

/// A host-only control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Begin,
    Next,
    End,
}

impl Control {
    fn verb(self) -> &'static str {
        match self {
            Control::Begin => "begin the session",
            Control::Next => "move to the next step",
            Control::End => "end the session",
        }
    }
}

/// Why something a person tried was not done. The text is what they are shown (ephemerally).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotHost { action: Control },
    Full { max: u8 },
    AlreadyIn,
    NotIn,
    RoundInProgress { round: u32 },
    AfterLastRound,
    AlreadyBegun,
    NotBegun,
    NoQuestions,
    NoRoundOpen,
    NotYourTurn,
    VotingClosed,
    NoVotingInHotSeat,
    NoSelfVote,
    NotAnAnswerer,
    RatingClosed,
    NoPanelInEveryoneMode,
    CandidateCannotRate,
    NothingToRate,
    AlreadyRated,
    ScoreOutOfRange { score: u8 },
    EmptyComment,
    CommentTooLong { chars: usize },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotHost { action } => write!(
                f,
                "Only the host (or someone with Manage Messages) can {}.",
                action.verb()
            ),
            Refusal::Full { max } => write!(f, "This group is full: {max} people at most."),
            Refusal::AlreadyIn => f.write_str("You are already in this group."),
            Refusal::NotIn => f.write_str("You are not in this group: click Join first."),
            Refusal::RoundInProgress { round } => write!(
                f,
                "Round {round} is under way. You can join between rounds, once it closes."
            ),
            Refusal::AfterLastRound => {
                f.write_str("The last round is over; start a new group to play.")
            }
            Refusal::AlreadyBegun => f.write_str("The session has already begun."),
            Refusal::NotBegun => f.write_str("The session has not begun yet: click Begin."),
            Refusal::NoQuestions => {
                f.write_str("The question bank has no questions, so the session cannot begin.")
            }
            Refusal::NoRoundOpen => f.write_str("No round is open right now."),
            Refusal::NotYourTurn => {
                f.write_str("It is not your turn: only this round's candidate answers.")
            }
            Refusal::VotingClosed => f.write_str("Voting for that round is closed."),
            Refusal::NoVotingInHotSeat => {
                f.write_str("Hot seat rounds are rated by the panel, not voted on.")
            }
            Refusal::NoSelfVote => f.write_str("You cannot vote for yourself."),
            Refusal::NotAnAnswerer => {
                f.write_str("You can only vote for someone who answered this round.")
            }
            Refusal::RatingClosed => f.write_str("Rating for that round is closed."),
            Refusal::NoPanelInEveryoneMode => f.write_str(
                "Panel ratings are for hot seat rounds; vote for the best answer instead.",
            ),
            Refusal::CandidateCannotRate => {
                f.write_str("The candidate cannot rate their own answer.")
            }
            Refusal::NothingToRate => f.write_str("The candidate gave no answer to rate."),
            Refusal::AlreadyRated => f.write_str("You already rated this answer."),
            Refusal::ScoreOutOfRange { score } => {
                write!(f, "The score must be from 1 to 5, not {score}.")
            }
            Refusal::EmptyComment => f.write_str("Write one comment for the candidate."),
            Refusal::CommentTooLong { chars } => write!(
                f,
                "The comment is {chars} characters long; the limit is {MAX_COMMENT_CHARS}."
            ),
        }
    }
}

/// Why a round closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundEnd {
    AllDone,
    Deadline,
    HostNext,
    /// The host ended the session.
    Ended,
    /// The hot seat candidate left.
    CandidateLeft,
    /// Everyone left.
    Abandoned,
}

/// Why the session is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The last round and its review are over.
    Finished,
    /// The host (or a moderator) ended it.
    Ended,
    /// Ended before it began; nothing to score.
    EndedInLobby,
    /// Everyone left.
    Abandoned,
    /// Nobody clicked Begin in time.
    LobbyExpired,
}

/// Which STAR sections an answer has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarFlags {
    pub situation: bool,
    pub task: bool,
    pub action: bool,
    pub result: bool,
}

impl StarFlags {
    /// The missing sections in STAR order.
    pub fn missing(self) -> Vec<Section> {
        let present = [self.situation, self.task, self.action, self.result];
        Section::STAR
            .into_iter()
            .zip(present)
            .filter(|(_, here)| !here)
            .map(|(section, _)| section)
            .collect()
    }
}

/// A compact feedback card for one participant's answer in one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackItem {
    pub user: String,
    pub score: u8,
    pub star: StarFlags,
    /// "I", "me", "my"…
    pub singular: u32,
    /// "we", "us", "our"…
    pub plural: u32,
    /// Action sentences told only with "we".
    pub we_only_actions: u32,
    pub hypothetical: bool,
    pub quantified_result: bool,
    pub words: u32,
    pub next_step: String,
}

impl FeedbackItem {
    pub fn from_report(user: &str, report: &Report) -> Self {
        Self {
            user: user.to_string(),
            score: report.score.value,
            star: StarFlags {
                situation: report.star.situation,
                task: report.star.task,
                action: report.star.action,
                result: report.star.result,
            },
            singular: count(report.pronouns.singular),
            plural: count(report.pronouns.plural),
            we_only_actions: count(report.ownership.we_only_actions.len()),
            hypothetical: report.hypothetical,
            quantified_result: report.quantified_result,
            words: count(report.length.words),
            next_step: report.next_step.clone(),
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One panelist's rating of a hot seat answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelRating {
    pub rater: String,
    pub score: u8,
    pub comment: String,
}

/// A participant's answer in one round, to store with mode "group" before feedback is shown.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupAttempt {
    /// `<session id>:<round>:<user>`: unique per participant and round, so storing it twice
    /// overwrites instead of doubling.
    pub id: String,
    pub owner: String,
    pub round: u32,
    pub question_id: String,
    pub lps: Vec<String>,
    pub answer: String,
    pub report: Report,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
}

impl GroupAttempt {
    /// The attempt the store keeps: mode "group", made in `guild`.
    pub fn to_attempt(&self, guild: Option<String>) -> Attempt {
        Attempt {
            id: AttemptId::new(self.id.clone()),
            user: UserKey(self.owner.clone()),
            question_id: self.question_id.clone(),
            lps: self.lps.clone(),
            answer: self.answer.clone(),
            summary: record::summary(&self.report),
            mode: Mode::Group,
            guild,
            started_at: self.started_at,
            finished_at: self.finished_at,
        }
    }
}

/// One line of the scoreboard.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub user: String,
    /// Rounds with a recorded answer.
    pub answered: u32,
    /// Mean bot score over those rounds.
    pub average_score: Option<f64>,
    pub votes: u32,
    /// Mean panel score received in the hot seat.
    pub panel_average: Option<f64>,
    pub panel_ratings: u32,
}

/// The end-of-session summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Scoreboard {
    pub rounds_played: u32,
    /// Best first: by average score, then votes, then panel average; people who never answered
    /// last, in name order.
    pub rows: Vec<ScoreRow>,
    /// STAR sections missing from the group's answers, most missed first (only those missed).
    pub most_missed: Vec<(Section, u32)>,
}

/// What the adapter must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Show ephemerally to `user`.
    Refused {
        user: String,
        reason: Refusal,
    },
    /// Update the lobby; `first_round` is the round the newcomer first answers.
    Joined {
        user: String,
        participants: usize,
        first_round: u32,
    },
    Left {
        user: String,
    },
    HostChanged {
        from: String,
        to: String,
    },
    /// Post the question. `candidate` is the one answering in hot seat mode.
    RoundStarted {
        round: u32,
        rounds: u8,
        question_id: String,
        candidate: Option<String>,
        deadline: Timestamp,
    },
    /// A message was collected into `user`'s answer; acknowledge quietly.
    Collected {
        user: String,
        message_id: u64,
        words: usize,
        chars: usize,
    },
    Edited {
        message_id: u64,
    },
    Removed {
        message_id: u64,
    },
    /// Not collected: `user`'s answer would pass the size limit.
    TooLong {
        user: String,
        message_id: u64,
        limit: usize,
        chars_so_far: usize,
    },
    /// `user` is done with this round (`answered`: they have something collected).
    Finished {
        user: String,
        answered: bool,
    },
    /// One minute left.
    Warning {
        round: u32,
        deadline: Timestamp,
    },
    /// Store this attempt (flushed) before anything that follows is shown.
    Record(Box<GroupAttempt>),
    /// Post the round's feedback cards; open the vote when `vote_for` is not empty, or the
    /// panel rating form when `candidate` answered; both close at `review_until`.
    RoundClosed {
        round: u32,
        question_id: String,
        why: RoundEnd,
        feedback: Vec<FeedbackItem>,
        vote_for: Vec<String>,
        candidate: Option<String>,
        review_until: Timestamp,
    },
    Voted {
        voter: String,
        round: u32,
        choice: String,
        replaced: Option<String>,
    },
    Rated {
        rater: String,
        round: u32,
    },
    /// Give the hot seat candidate the panel's comments with the bot's feedback.
    PanelFeedback {
        round: u32,
        candidate: String,
        feedback: Option<FeedbackItem>,
        ratings: Vec<PanelRating>,
    },
    Scoreboard(Scoreboard),
    /// The session is over: drop it from the store, archive the thread.
    Closed(CloseReason),
}
