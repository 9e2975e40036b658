//! What the daily post keeps in the store, and the names it keeps it under: a server's settings
//! with its rotation, the day's post marker (pending → posted, or skipped with the reason), the
//! attempt id of a member's answer to one day's question, and the ids of the post's button.
//!
//! Plain data and pure functions; the bot's shell reads and writes these through the `Store`.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::queue::GuildId;
use super::rotation::Rotation;
use super::schedule::DailySchedule;

/// Marker namespace of the day's post: key `<guild>:<date>` (no user ids).
pub const POST_MARKERS: &str = "daily-post";
/// Marker namespace of the answer threads: key `<thread id>`, value the [`ThreadRef`].
pub const THREAD_MARKERS: &str = "daily-thread";
/// User-owned marker namespace of participation: key `<guild>:<date>:<user>`; `/forget`
/// removes these with everything else of the user.
pub const ANSWER_MARKERS: &str = "daily-answer";

/// Key of the whole daily record inside a server's settings document, so other features can
/// keep their own keys beside it.
pub const SETTINGS_KEY: &str = "daily";

/// A server's daily-post record, stored (flushed) under [`SETTINGS_KEY`] of its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySettings {
    pub schedule: DailySchedule,
    /// Which questions were asked in the current cycle.
    #[serde(default)]
    pub rotation: Rotation,
    /// The most recent post that could not go out, for `/daily show`; cleared by a success.
    #[serde(default)]
    pub last_problem: Option<Problem>,
}

impl DailySettings {
    /// The bot was removed from the server: the schedule is turned off (so nothing is posted,
    /// now or after a restart) and the reason is kept for `/daily show` should the bot be
    /// invited back. The rotation and everything else are kept: a removal is often a mistake
    /// that is undone, and `/daily set` then picks up where the server left off. Members'
    /// own answers are theirs, removed only by their `/forget`. Returns whether it was on.
    pub fn bot_removed(&mut self, now: Timestamp) -> bool {
        let was_on = self.schedule.enabled;
        self.schedule.enabled = false;
        if was_on {
            self.last_problem = Some(Problem {
                date: super::schedule::local_date(now, &self.schedule.timezone),
                reason: "I was removed from this server, so the daily question was turned off; \
                         `/daily set` turns it back on"
                    .to_string(),
                at: now,
            });
        }
        was_on
    }
}

/// Why a day's post did not go out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub date: Date,
    pub reason: String,
    pub at: Timestamp,
}

/// The day's post marker for one server. Claimed as `Pending` (flushed) before anything is sent,
/// so a restart can tell "never started" (no marker) from "started, outcome unknown" (pending:
/// look for the message in the channel before posting again) from "done".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum PostMarker {
    /// The post was claimed with this question; the message may or may not have been sent.
    Pending {
        question_id: String,
        channel_id: u64,
        claimed_at: Timestamp,
    },
    /// The message is out (and its thread, when `thread_id` is set).
    Posted {
        question_id: String,
        channel_id: u64,
        message_id: u64,
        thread_id: Option<u64>,
        posted_at: Timestamp,
    },
    /// The post could not go out that day; not retried by the schedule.
    Skipped { reason: String, at: Timestamp },
}

impl PostMarker {
    /// Whether the day is settled: posted or skipped, never to be posted by the schedule again.
    pub fn is_settled(&self) -> bool {
        !matches!(self, PostMarker::Pending { .. })
    }
}

/// Which server and day an answer thread belongs to, stored under [`THREAD_MARKERS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadRef {
    pub guild: GuildId,
    pub date: Date,
    pub question_id: String,
    /// The post message (its `Get feedback` button).
    pub message_id: u64,
    pub posted_at: Timestamp,
}

/// Key of a server's post marker for `date`.
pub fn post_key(guild: GuildId, date: Date) -> String {
    format!("{guild}:{date}")
}

/// The store's message-collection key of one day's answer thread.
pub fn answers_session(guild: GuildId, date: Date) -> String {
    format!("daily:{guild}:{date}")
}

/// Key of a member's participation marker for one day.
pub fn answer_key(guild: GuildId, date: Date, user: u64) -> String {
    format!("{}{user}", answer_prefix(guild, date))
}

/// Prefix of every participation marker of one day (to count them).
pub fn answer_prefix(guild: GuildId, date: Date) -> String {
    format!("{guild}:{date}:")
}

/// The id of a member's attempt at one day's question: one attempt per user per day, so a
/// second `Get feedback` replaces the first.
pub fn attempt_id(guild: GuildId, date: Date) -> String {
    format!("daily:{guild}:{date}")
}

/// The server and day of a daily attempt id; `None` for any other id.
pub fn parse_attempt_id(id: &str) -> Option<(GuildId, Date)> {
    let rest = id.strip_prefix("daily:")?;
    let (guild, date) = rest.split_once(':')?;
    Some((guild.parse().ok()?, date.parse().ok()?))
}

/// The custom id of a post's `Get feedback` button.
pub fn feedback_button_id(guild: GuildId, date: Date) -> String {
    format!("daily:feedback:{guild}:{date}")
}

/// The server and day of a `Get feedback` button; `None` for any other custom id.
pub fn parse_feedback_button_id(custom_id: &str) -> Option<(GuildId, Date)> {
    let rest = custom_id.strip_prefix("daily:feedback:")?;
    let (guild, date) = rest.split_once(':')?;
    Some((guild.parse().ok()?, date.parse().ok()?))
}

/// A member's current daily streak in one server: consecutive days (by the question's date)
/// with an answer, ending today or yesterday. `attempt_ids` are all the member's attempt ids;
/// those of other servers or other modes are ignored.
pub fn streak_in(attempt_ids: &[&str], guild: GuildId, today: Date) -> u32 {
    let dates: Vec<Date> = attempt_ids
        .iter()
        .filter_map(|id| parse_attempt_id(id))
        .filter(|(g, _)| *g == guild)
        .map(|(_, date)| date)
        .collect();
    super::streak::streak(&dates, today)
}

/// IANA zone names for an autocomplete list: those containing every word of `partial` (case
/// and `_`/space insensitive), the ones starting with it first, at most `limit`.
pub fn zone_suggestions(partial: &str, limit: usize) -> Vec<String> {
    let normalise = |text: &str| text.to_lowercase().replace('_', " ");
    let wanted = normalise(partial.trim());
    let words: Vec<&str> = wanted.split([' ', '/']).filter(|w| !w.is_empty()).collect();
    let mut matches: Vec<(bool, String)> = jiff::tz::db()
        .available()
        .map(|name| name.as_str().to_string())
        .filter(|name| {
            let plain = normalise(name);
            words.iter().all(|word| plain.contains(word))
        })
        .map(|name| {
            let starts = normalise(&name).starts_with(&wanted);
            (!starts, name)
        })
        .collect();
    matches.sort();
    matches
        .into_iter()
        .take(limit)
        .map(|(_, name)| name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn ids_round_trip_and_foreign_ids_are_refused() {
        let d = date("2026-11-29");
        assert_eq!(attempt_id(7, d), "daily:7:2026-11-29");
        assert_eq!(parse_attempt_id(&attempt_id(7, d)), Some((7, d)));
        assert_eq!(parse_attempt_id("solo-1-2"), None);
        assert_eq!(parse_attempt_id("daily:x:2026-11-29"), None);
        assert_eq!(parse_attempt_id("daily:7:2026-13-01"), None);
        let button = feedback_button_id(7, d);
        assert!(button.len() <= 100, "Discord's custom id limit");
        assert_eq!(parse_feedback_button_id(&button), Some((7, d)));
        assert_eq!(parse_feedback_button_id("solo:done:7"), None);
        assert!(answer_key(7, d, 42).starts_with(&answer_prefix(7, d)));
        // A guild whose id starts like another's never shares a prefix with it.
        assert!(!answer_key(71, d, 42).starts_with(&answer_prefix(7, d)));
    }

    #[test]
    fn removal_turns_the_schedule_off_with_the_reason_and_keeps_the_rotation() {
        let schedule = DailySchedule {
            channel_id: 5,
            time: crate::daily::parse_time("09:00").unwrap(),
            timezone: crate::daily::parse_timezone("Pacific/Auckland").unwrap(),
            lp: None,
            role_id: None,
            enabled: true,
        };
        let mut rotation = Rotation::new();
        let mut rng = rand::rngs::mock::StepRng::new(0, 1);
        rotation.next_question(&["a", "b"], &mut rng);
        let mut settings = DailySettings {
            schedule,
            rotation: rotation.clone(),
            last_problem: None,
        };
        // 20:00 UTC on the 29th is already the 30th in Auckland.
        let at: Timestamp = "2026-11-29T20:00:00Z".parse().unwrap();
        assert!(settings.bot_removed(at));
        assert!(!settings.schedule.enabled);
        assert_eq!(settings.rotation, rotation);
        let problem = settings.last_problem.clone().expect("the reason is kept");
        assert_eq!(problem.date, date("2026-11-30"));
        assert!(problem.reason.contains("removed from this server"));
        // A second removal event (replayed) changes nothing.
        let later = at + jiff::SignedDuration::from_hours(1);
        assert!(!settings.bot_removed(later));
        assert_eq!(settings.last_problem, Some(problem));
    }

    #[test]
    fn markers_serialise_with_their_state() {
        let at: Timestamp = "2026-11-29T09:00:00Z".parse().unwrap();
        let pending = PostMarker::Pending {
            question_id: "q".into(),
            channel_id: 5,
            claimed_at: at,
        };
        let json = serde_json::to_value(&pending).unwrap();
        assert_eq!(json["state"], "pending");
        assert_eq!(serde_json::from_value::<PostMarker>(json).unwrap(), pending);
        assert!(!pending.is_settled());
        assert!(PostMarker::Skipped {
            reason: "gone".into(),
            at
        }
        .is_settled());
    }

    #[test]
    fn streak_counts_only_this_servers_daily_attempts_by_question_date() {
        let ids = [
            "daily:7:2026-11-27",
            "daily:7:2026-11-28",
            "daily:8:2026-11-29",
            "solo-7-123",
            "daily:7:2026-11-25",
        ];
        assert_eq!(streak_in(&ids, 7, date("2026-11-29")), 2);
        assert_eq!(streak_in(&ids, 7, date("2026-11-28")), 2);
        assert_eq!(streak_in(&ids, 7, date("2026-11-30")), 0);
        assert_eq!(streak_in(&ids, 8, date("2026-11-29")), 1);
        assert_eq!(streak_in(&ids, 9, date("2026-11-29")), 0);
    }

    #[test]
    fn zone_suggestions_match_words_and_rank_prefixes_first() {
        let berlin = zone_suggestions("berl", 25);
        assert_eq!(berlin.first().map(String::as_str), Some("Europe/Berlin"));
        let new_york = zone_suggestions("new york", 25);
        assert!(new_york.contains(&"America/New_York".to_string()));
        let europe = zone_suggestions("Europe/", 5);
        assert_eq!(europe.len(), 5);
        assert!(europe.iter().all(|z| z.starts_with("Europe/")));
        assert!(zone_suggestions("no such zone anywhere", 25).is_empty());
        // Every suggestion is a zone the settings accept.
        for name in zone_suggestions("", 25) {
            assert!(super::super::parse_timezone(&name).is_ok(), "{name}");
        }
    }
}
