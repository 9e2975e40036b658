//! A server's daily-post settings and the pure calendar rules behind them: when the next post
//! is due, which local date is "today", and whether a post is owed right now.
//!
//! Everything here takes `now` as an argument; nothing reads the wall clock.

use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Why a time of day or a timezone given by an admin (or read back from the store) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("invalid time {given:?}: use 24-hour HH:MM, for example 07:30 or 18:05")]
    TimeFormat { given: String },
    #[error("invalid time {given:?}: the hour must be 00 to 23")]
    HourOutOfRange { given: String },
    #[error("invalid time {given:?}: the minute must be 00 to 59")]
    MinuteOutOfRange { given: String },
    #[error(
        "unknown timezone {given:?}: use an IANA name such as Europe/Berlin or America/New_York"
    )]
    UnknownTimezone { given: String },
}

/// A time of day, to the minute, as an admin types it (`HH:MM`, 24-hour clock).
///
/// Stored as the same `HH:MM` string, so a settings record stays readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalTime(Time);

impl LocalTime {
    pub fn hour(self) -> u8 {
        // A validated Time's hour is 0..=23, so the conversion cannot fail.
        u8::try_from(self.0.hour()).unwrap_or(0)
    }

    pub fn minute(self) -> u8 {
        u8::try_from(self.0.minute()).unwrap_or(0)
    }

    /// The civil time, for date arithmetic.
    pub fn civil(self) -> Time {
        self.0
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

impl From<LocalTime> for String {
    fn from(time: LocalTime) -> String {
        time.to_string()
    }
}

impl TryFrom<String> for LocalTime {
    type Error = ScheduleError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        parse_time(&text)
    }
}

impl std::str::FromStr for LocalTime {
    type Err = ScheduleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_time(text)
    }
}

/// Parses `HH:MM` on a 24-hour clock. One-digit hours (`7:30`) are accepted because people
/// type them; anything else (`7.30`, `7pm`, `25:00`, `07:60`) is refused with the reason.
pub fn parse_time(text: &str) -> Result<LocalTime, ScheduleError> {
    let given = text.trim();
    let format_error = || ScheduleError::TimeFormat {
        given: given.to_string(),
    };
    let (hour_text, minute_text) = given.split_once(':').ok_or_else(format_error)?;
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(hour_text)
        || !all_digits(minute_text)
        || hour_text.len() > 2
        || minute_text.len() != 2
    {
        return Err(format_error());
    }
    let hour: i8 = hour_text.parse().map_err(|_| format_error())?;
    let minute: i8 = minute_text.parse().map_err(|_| format_error())?;
    if hour > 23 {
        return Err(ScheduleError::HourOutOfRange {
            given: given.to_string(),
        });
    }
    if minute > 59 {
        return Err(ScheduleError::MinuteOutOfRange {
            given: given.to_string(),
        });
    }
    Time::new(hour, minute, 0, 0)
        .map(LocalTime)
        .map_err(|_| format_error())
}

/// An IANA timezone that is known to exist, kept together with its name.
///
/// Serialized as the bare name (`"Europe/Berlin"`); deserializing an unknown name fails, so a
/// schedule read back from the store always has a usable zone.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// The IANA name as the tz database spells it (`europe/berlin` becomes `Europe/Berlin`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Zone").field(&self.name).finish()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl From<Zone> for String {
    fn from(zone: Zone) -> String {
        zone.name
    }
}

impl TryFrom<String> for Zone {
    type Error = ScheduleError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        parse_timezone(&text)
    }
}

/// Looks up an IANA timezone name in the bundled tz database.
pub fn parse_timezone(text: &str) -> Result<Zone, ScheduleError> {
    let given = text.trim();
    let unknown = || ScheduleError::UnknownTimezone {
        given: given.to_string(),
    };
    // Only names: jiff would also accept nothing else here, but an empty or path-like string
    // should never reach the database lookup.
    if given.is_empty() || given.starts_with('/') || given.contains("..") {
        return Err(unknown());
    }
    let tz = TimeZone::get(given).map_err(|_| unknown())?;
    let name = tz.iana_name().unwrap_or(given).to_string();
    Ok(Zone { name, tz })
}

/// One server's daily-post settings, as `/daily set` stores them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySchedule {
    pub channel_id: u64,
    pub time: LocalTime,
    pub timezone: Zone,
    /// An optional Leadership Principle focus (its name or id, as the bank knows it).
    pub lp: Option<String>,
    /// The role to mention in the post: the only mention the bot ever allows.
    pub role_id: Option<u64>,
    pub enabled: bool,
}

/// The local calendar date of `ts` in `zone`: "today" for a server.
pub fn local_date(ts: Timestamp, zone: &Zone) -> Date {
    zone.tz.to_datetime(ts).date()
}

/// The instant of the post for the local `date`.
///
/// Daylight-saving changes: when the time does not exist that day (clocks spring forward over
/// it), the post goes out at the first instant after the gap (02:30 in a 02:00→03:00 gap posts
/// at 03:00); when the time happens twice (clocks fall back), it posts at the earlier one only.
pub fn post_instant(date: Date, time: LocalTime, zone: &Zone) -> Timestamp {
    let wall = date.to_datetime(time.civil());
    let ambiguous = zone.tz.to_ambiguous_timestamp(wall);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { offset } => {
            offset.to_timestamp(wall).unwrap_or_else(|_| saturate(wall))
        }
        AmbiguousOffset::Fold { before, .. } => {
            before.to_timestamp(wall).unwrap_or_else(|_| saturate(wall))
        }
        AmbiguousOffset::Gap { before, after } => gap_end(&zone.tz, wall, before, after),
    }
}

/// The transition instant that ends the gap `wall` falls in (the first valid local time after
/// it). Read as the wall time with the later offset, `wall` lies before the transition; the
/// next transition from there is the one that opened the gap.
fn gap_end(
    tz: &TimeZone,
    wall: DateTime,
    before: jiff::tz::Offset,
    after: jiff::tz::Offset,
) -> Timestamp {
    let lower = after.to_timestamp(wall).unwrap_or_else(|_| saturate(wall));
    let upper = before.to_timestamp(wall).unwrap_or_else(|_| saturate(wall));
    match tz.following(lower).next() {
        Some(transition) if transition.timestamp() <= upper => transition.timestamp(),
        // Not reachable with real tz data; the later reading is still after the gap started.
        _ => upper,
    }
}

/// Jiff's range ends in the year 9999; a post computed past it is "never".
fn saturate(wall: DateTime) -> Timestamp {
    if wall.date().year() < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    }
}

fn next_day(date: Date) -> Option<Date> {
    date.tomorrow().ok()
}

/// The first post instant strictly after `now`, ignoring whether anything was posted.
///
/// At exactly the post time, today's post is due (see [`due_post`]) and this returns
/// tomorrow's. Past the end of jiff's range this returns [`Timestamp::MAX`] ("never").
pub fn next_post_after(now: Timestamp, schedule: &DailySchedule) -> Timestamp {
    let today = local_date(now, &schedule.timezone);
    let todays = post_instant(today, schedule.time, &schedule.timezone);
    if todays > now {
        return todays;
    }
    match next_day(today) {
        Some(tomorrow) => post_instant(tomorrow, schedule.time, &schedule.timezone),
        None => Timestamp::MAX,
    }
}

/// The next post this server is owed: its local date and the instant it becomes due.
///
/// Only today or later is ever owed: after downtime the bot catches up on today's post once,
/// never on days further back. The date already posted (`last_posted`) is never owed again,
/// which is what makes `/daily now` and restarts safe against double posts. `None` when the
/// schedule is off (or the calendar has run out).
pub fn next_due(
    now: Timestamp,
    schedule: &DailySchedule,
    last_posted: Option<Date>,
) -> Option<(Date, Timestamp)> {
    if !schedule.enabled {
        return None;
    }
    let today = local_date(now, &schedule.timezone);
    let date = match last_posted {
        Some(posted) if posted >= today => next_day(posted)?,
        _ => today,
    };
    Some((date, post_instant(date, schedule.time, &schedule.timezone)))
}

/// The local date to post for right now, if any: today's, when today's time has been reached
/// and today was not posted yet. `None` otherwise (including when the schedule is off).
pub fn due_post(
    now: Timestamp,
    schedule: &DailySchedule,
    last_posted: Option<Date>,
) -> Option<Date> {
    next_due(now, schedule, last_posted)
        .filter(|(_, due_at)| *due_at <= now)
        .map(|(date, _)| date)
}

/// Whether today's question (in the server's timezone) has already been posted. `/daily now`
/// posts only when this is false, then stores today as the last posted date, so the scheduled
/// post later that day does not go out again.
pub fn posted_today(now: Timestamp, zone: &Zone, last_posted: Option<Date>) -> bool {
    last_posted.is_some_and(|posted| posted >= local_date(now, zone))
}

/// What `/daily now` should do at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostNow {
    /// Post the question for this local date, then store it as posted.
    Post(Date),
    /// Today's question is already out; say so instead of posting again.
    AlreadyPosted(Date),
}

/// `/daily now`: post today's question immediately, once. Works whether or not the schedule is
/// enabled (an admin may want a one-off post).
pub fn post_now(now: Timestamp, zone: &Zone, last_posted: Option<Date>) -> PostNow {
    let today = local_date(now, zone);
    if posted_today(now, zone, last_posted) {
        PostNow::AlreadyPosted(today)
    } else {
        PostNow::Post(today)
    }
}

#[cfg(test)]
mod tests;
