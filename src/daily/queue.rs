//! One due-queue for every server's daily post, so the bot runs a single scheduler task: it
//! sleeps until [`DueQueue::next_wake`], takes what [`DueQueue::pop_due`] hands out, and is
//! woken early when a server's settings change (after an [`DueQueue::upsert`]). Ten thousand
//! servers cost ten thousand small entries in two maps, not ten thousand timers.

use std::collections::{BTreeSet, HashMap};

use jiff::civil::Date;
use jiff::Timestamp;

use super::schedule::{next_due, DailySchedule};

/// A server (guild) id.
pub type GuildId = u64;

#[derive(Debug, Clone)]
struct Armed {
    schedule: DailySchedule,
    /// The last local date posted (or claimed by `pop_due`) for this server.
    last_posted: Option<Date>,
    due_at: Timestamp,
}

/// Every enabled server's next post, ordered by the instant it is due.
#[derive(Debug, Default)]
pub struct DueQueue {
    /// (due instant, guild): the first element is the next wake-up.
    order: BTreeSet<(Timestamp, GuildId)>,
    armed: HashMap<GuildId, Armed>,
}

impl DueQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces) a server's schedule and arms its next post from `now`, given the last
    /// local date it posted. A disabled schedule is simply not armed.
    pub fn upsert(
        &mut self,
        guild: GuildId,
        schedule: DailySchedule,
        now: Timestamp,
        last_posted: Option<Date>,
    ) {
        self.remove(guild);
        if let Some((_, due_at)) = next_due(now, &schedule, last_posted) {
            self.order.insert((due_at, guild));
            self.armed.insert(
                guild,
                Armed {
                    schedule,
                    last_posted,
                    due_at,
                },
            );
        }
    }

    /// Forgets a server (`/daily off`, or the bot left it). Returns whether it was armed.
    pub fn remove(&mut self, guild: GuildId) -> bool {
        match self.armed.remove(&guild) {
            Some(entry) => {
                self.order.remove(&(entry.due_at, guild));
                true
            }
            None => false,
        }
    }

    /// Records a post made outside the schedule (`/daily now`) so the scheduled one for that
    /// date does not go out again. Returns false when the server is not armed.
    pub fn mark_posted(&mut self, guild: GuildId, date: Date, now: Timestamp) -> bool {
        let Some(entry) = self.armed.get(&guild) else {
            return false;
        };
        let last_posted = entry.last_posted.max(Some(date));
        let schedule = entry.schedule.clone();
        self.upsert(guild, schedule, now, last_posted);
        true
    }

    /// When the scheduler should wake next; `None` when no server has a post armed.
    pub fn next_wake(&self) -> Option<Timestamp> {
        self.order.first().map(|(due_at, _)| *due_at)
    }

    /// The instant a server's next post is due, for `/daily show`.
    pub fn due_at(&self, guild: GuildId) -> Option<Timestamp> {
        self.armed.get(&guild).map(|entry| entry.due_at)
    }

    pub fn len(&self) -> usize {
        self.armed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.armed.is_empty()
    }

    /// Takes every post due at `now`, earliest first, as (guild, local date to post), and
    /// re-arms each server for its next date. Handing a date out claims it: the caller posts
    /// and stores the marker; if the post fails it is skipped for that day, not retried.
    ///
    /// If the scheduler woke late (the machine slept through a day), only today's post is
    /// handed out, never older days; an entry whose date was missed and whose today's time is
    /// still ahead is quietly re-armed for today.
    pub fn pop_due(&mut self, now: Timestamp) -> Vec<(GuildId, Date)> {
        let mut due = Vec::new();
        while let Some(&(due_at, guild)) = self.order.first() {
            if due_at > now {
                break;
            }
            self.order.pop_first();
            let Some(entry) = self.armed.remove(&guild) else {
                continue;
            };
            match next_due(now, &entry.schedule, entry.last_posted) {
                Some((date, at)) if at <= now => {
                    due.push((guild, date));
                    self.upsert(guild, entry.schedule, now, Some(date));
                }
                _ => self.upsert(guild, entry.schedule, now, entry.last_posted),
            }
        }
        due
    }
}

#[cfg(test)]
mod tests;
