//! The daily question post, as pure functions of their inputs: when each server's post is due
//! (in its own timezone, across daylight-saving changes), one due-queue for every server instead
//! of a timer each, the question rotation without repeats, streaks, pacing of bulk posts, and
//! the text of the post within Discord's limits.
//!
//! No tokio, no Discord, no store: the bot's scheduler task feeds `now` in and acts on what
//! comes out. The intended shell, one task for every server:
//!
//! 1. On startup, [`DueQueue::upsert`] each stored [`DailySchedule`] with its last posted date
//!    (a server whose time passed while the bot was down is due at once, for today only).
//! 2. Sleep until [`DueQueue::next_wake`], or until a settings change (`/daily set`, `/daily
//!    off`: upsert or remove, then wake the task).
//! 3. [`DueQueue::pop_due`] hands out (guild, local date) pairs, already re-armed for the next
//!    day. For each, in order: wait for [`Pacer::next_slot`], draw the question with
//!    [`Rotation::next_question`] over [`eligible_questions`], build [`post_text`], post, and
//!    store the date as posted together with the rotation (flushed) before it counts as done.
//! 4. `/daily now` uses [`post_now`]; on a post, [`DueQueue::mark_posted`] keeps the scheduled
//!    one for the same date from going out.

mod eligible;
mod pacer;
mod post;
mod queue;
mod record;
mod rotation;
mod schedule;
mod streak;

pub use eligible::{eligible_questions, Eligible};
pub use pacer::{Pacer, DAILY_POST_CALLS_PER_SECOND, DISCORD_GLOBAL_CALLS_PER_SECOND};
pub use post::{
    char_len, post_text, role_mention, truncate, PostInput, PostText, EMBED_DESCRIPTION_MAX,
    EMBED_FOOTER_MAX, EMBED_TITLE_MAX, EMBED_TOTAL_MAX, THREAD_NAME_MAX,
};
pub use queue::{DueQueue, GuildId};
pub use record::{
    answer_key, answer_prefix, answers_session, attempt_id, feedback_button_id, parse_attempt_id,
    parse_feedback_button_id, post_key, streak_in, zone_suggestions, DailySettings, PostMarker,
    Problem, ThreadRef, ANSWER_MARKERS, POST_MARKERS, SETTINGS_KEY, THREAD_MARKERS,
};
pub use rotation::Rotation;
pub use schedule::{
    due_post, local_date, next_due, next_post_after, parse_time, parse_timezone, post_instant,
    post_now, posted_today, DailySchedule, LocalTime, PostNow, ScheduleError, Zone,
};
pub use streak::{answer_dates, longest_streak, streak};
