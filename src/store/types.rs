//! Plain data kept by the store. No behaviour beyond small helpers: the store persists these,
//! the core computes with them.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::clock::timestamp_text;

/// Who an item belongs to, namespaced by surface: `discord:123456`, `local:alice`.
///
/// Any string is accepted; keys are length-prefixed on disk, so no byte is reserved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserKey(pub String);

impl UserKey {
    /// A Discord user, by snowflake.
    pub fn discord(user_id: u64) -> Self {
        Self(format!("discord:{user_id}"))
    }

    /// A terminal user, by local name.
    pub fn local(name: &str) -> Self {
        Self(format!("local:{name}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Identifies an attempt within its user's history. Chosen by the caller, so that a re-analysed
/// answer (the daily post's "one attempt per user per day, updated") overwrites rather than adds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttemptId(pub String);

impl AttemptId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AttemptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the answer was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The terminal practice loop.
    Practice,
    /// A one-to-one interview with the bot.
    Solo,
    /// A group session in a server.
    Group,
    /// An answer to a server's daily question.
    Daily,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Practice => "practice",
            Mode::Solo => "solo",
            Mode::Group => "group",
            Mode::Daily => "daily",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which STAR sections the analyzer found in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StarPresence {
    pub situation: bool,
    pub task: bool,
    pub action: bool,
    pub result: bool,
}

impl StarPresence {
    /// The section names, in STAR order, paired with their presence.
    pub fn sections(&self) -> [(&'static str, bool); 4] {
        [
            ("situation", self.situation),
            ("task", self.task),
            ("action", self.action),
            ("result", self.result),
        ]
    }

    /// Names of the sections that are absent, in STAR order.
    pub fn missing(&self) -> Vec<&'static str> {
        self.sections()
            .into_iter()
            .filter(|(_, present)| !present)
            .map(|(name, _)| name)
            .collect()
    }
}

/// What is kept of the analyzer's report: enough for history and stats, not the whole report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AttemptSummary {
    /// Overall score, 1 to 5.
    pub score: u8,
    /// STAR sections found. Stats count missing sections from these flags.
    pub star: StarPresence,
    /// Gaps the report named, as the analyzer words them (for display; may go beyond STAR).
    pub missing: Vec<String>,
    /// "I", "me", "my" … counted by the corpus rules.
    pub singular: u32,
    /// "we", "us", "our" … counted by the corpus rules.
    pub plural: u32,
    pub hypothetical: bool,
    pub quantified_result: bool,
    pub words: u32,
}

/// One answered question, as stored in a user's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub id: AttemptId,
    pub user: UserKey,
    pub question_id: String,
    /// The Leadership Principles the question is aligned with (bank ids).
    pub lps: Vec<String>,
    pub answer: String,
    pub summary: AttemptSummary,
    pub mode: Mode,
    /// The server the attempt was made in, when there was one.
    pub guild: Option<String>,
    #[serde(with = "timestamp_text")]
    pub started_at: Timestamp,
    /// History is ordered by this instant, newest first.
    #[serde(with = "timestamp_text")]
    pub finished_at: Timestamp,
}

/// An interview in progress, kept so a restart resumes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Unique name chosen by the interview module, e.g. `solo:discord:123`.
    pub key: String,
    pub owner: UserKey,
    /// Other people taking part (group sessions). `forget_user` of any of them ends the session.
    #[serde(default)]
    pub participants: Vec<UserKey>,
    /// Opaque to the store: the interview module owns this shape.
    pub state: serde_json::Value,
    #[serde(with = "timestamp_text")]
    pub updated_at: Timestamp,
}

impl SessionRecord {
    /// Everyone the session is indexed under: the owner, then participants, without repeats.
    pub fn members(&self) -> Vec<&UserKey> {
        let mut members = vec![&self.owner];
        for participant in &self.participants {
            if !members.contains(&participant) {
                members.push(participant);
            }
        }
        members
    }
}

/// One chat message collected as (part of) an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectedMessage {
    /// The platform's id. Discord snowflakes sort by creation time, so this orders the answer.
    pub message_id: u64,
    pub author: UserKey,
    pub text: String,
    #[serde(with = "timestamp_text")]
    pub at: Timestamp,
}

/// What `upsert_message` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageUpsert {
    /// First time this message id was seen in the session.
    Inserted,
    /// The id was known and its text (an edit) replaced the old one.
    Updated,
    /// The id was known with the same author and text: a replayed event, nothing written.
    Unchanged,
}

impl MessageUpsert {
    pub fn is_new(self) -> bool {
        self == MessageUpsert::Inserted
    }
}

/// What `forget_user` removed, so the caller can tell the user (and end sessions it holds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForgetReport {
    pub attempts: usize,
    /// Keys of the sessions deleted (owned by the user or with the user taking part).
    pub sessions: Vec<String>,
    /// Collected messages deleted, in those sessions and anywhere else the user wrote.
    pub messages: usize,
    pub user_settings: bool,
    pub markers: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_sections_follow_star_order() {
        let star = StarPresence {
            situation: true,
            task: false,
            action: true,
            result: false,
        };
        assert_eq!(star.missing(), vec!["task", "result"]);
    }

    #[test]
    fn attempt_round_trips_through_json_with_exact_timestamps() {
        let at: Timestamp = "2024-03-10T01:59:59.123456789Z".parse().unwrap();
        let attempt = Attempt {
            id: AttemptId::new("a1"),
            user: UserKey::discord(42),
            question_id: "q".into(),
            lps: vec!["ownership".into()],
            answer: "I did it".into(),
            summary: AttemptSummary::default(),
            mode: Mode::Daily,
            guild: Some("7".into()),
            started_at: at,
            finished_at: at,
        };
        let text = serde_json::to_string(&attempt).unwrap();
        assert!(
            text.contains("\"2024-03-10T01:59:59.123456789Z\""),
            "{text}"
        );
        assert!(text.contains("\"mode\":\"daily\""), "{text}");
        let back: Attempt = serde_json::from_str(&text).unwrap();
        assert_eq!(back, attempt);
    }

    #[test]
    fn session_members_lists_owner_first_without_repeats() {
        let session = SessionRecord {
            key: "group:1".into(),
            owner: UserKey::local("a"),
            participants: vec![UserKey::local("b"), UserKey::local("a")],
            state: serde_json::Value::Null,
            updated_at: Timestamp::UNIX_EPOCH,
        };
        let members: Vec<&str> = session.members().iter().map(|u| u.as_str()).collect();
        assert_eq!(members, vec!["local:a", "local:b"]);
    }
}
