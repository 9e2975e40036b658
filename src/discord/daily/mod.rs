//! The daily question on Discord: one scheduler task for every server, the post (embed, role
//! mention, `Get feedback` button, answer thread), and the settings and markers behind it.
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | [`DailyState`], settings I/O, the scheduler task |
//! | `post.rs` | one day's post for one server: claim, send, thread, markers, recovery |
//! | `answers.rs` | answers collected from the threads, `Get feedback`, streaks |
//!
//! The pure rules (when a post is due, rotation, post text, streaks) are in [`crate::daily`];
//! this module only moves data between them, the store and Discord.

mod answers;
mod post;

pub use answers::{on_delete, on_edit, on_feedback, on_message, streak_line};
pub use post::{post_day, PostOutcome, Trigger};

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use poise::serenity_prelude as serenity;

use super::data::{Data, Error};
use crate::daily::{
    local_date, post_key, DailySettings, DueQueue, GuildId, Pacer, PostMarker, ThreadRef,
    POST_MARKERS, SETTINGS_KEY,
};
use crate::store::Store;

/// REST calls one post costs: the message, then the thread started from it.
pub const CALLS_PER_POST: u32 = 2;

/// The daily post's shared state: the one due-queue for every server, the scheduler's wake-up,
/// a lock per server so a scheduled post and `/daily now` never race, and the known answer
/// threads.
#[derive(Default)]
pub struct DailyState {
    queue: Mutex<DueQueue>,
    wake: tokio::sync::Notify,
    guild_locks: Mutex<HashMap<GuildId, Arc<tokio::sync::Mutex<()>>>>,
    /// Channel id → its answer thread, or `None` when the channel is known not to be one.
    threads: Mutex<HashMap<u64, Option<ThreadRef>>>,
    /// Answer threads read back from Discord since startup (what was written while away).
    caught_up: Mutex<HashSet<u64>>,
    /// Servers where a member's answer arrived empty: the Message Content intent is off.
    blind: Mutex<HashSet<GuildId>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl DailyState {
    /// Arms (or re-arms) a server's schedule and wakes the scheduler so it sees the change.
    pub fn arm(
        &self,
        guild: GuildId,
        settings: &DailySettings,
        now: Timestamp,
        last: Option<Date>,
    ) {
        lock(&self.queue).upsert(guild, settings.schedule.clone(), now, last);
        self.wake.notify_one();
    }

    /// Takes a server off the schedule (`/daily off`).
    pub fn disarm(&self, guild: GuildId) {
        lock(&self.queue).remove(guild);
        self.wake.notify_one();
    }

    /// Keeps the scheduled post for `date` from going out after a `/daily now` post.
    pub fn mark_posted(&self, guild: GuildId, date: Date, now: Timestamp) {
        lock(&self.queue).mark_posted(guild, date, now);
    }

    /// When the server's next post is due, if it is armed.
    pub fn due_at(&self, guild: GuildId) -> Option<Timestamp> {
        lock(&self.queue).due_at(guild)
    }

    /// How many servers have a post armed.
    pub fn armed(&self) -> usize {
        lock(&self.queue).len()
    }

    fn guild_lock(&self, guild: GuildId) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.guild_locks).entry(guild).or_default().clone()
    }

    /// Holds the server's posts off while an admin's change of its settings is read, written
    /// and confirmed: a post reads the settings before it goes out and writes them back after
    /// (rotation, last problem), so without this a confirmed change could be undone by it.
    pub async fn settings_change(&self, guild: GuildId) -> tokio::sync::OwnedMutexGuard<()> {
        self.guild_lock(guild).lock_owned().await
    }

    fn remember_thread(&self, thread: u64, reference: ThreadRef) {
        lock(&self.threads).insert(thread, Some(reference));
    }

    fn cached_thread(&self, channel: u64) -> Option<Option<ThreadRef>> {
        lock(&self.threads).get(&channel).cloned()
    }

    fn cache_thread(&self, channel: u64, reference: Option<ThreadRef>) {
        lock(&self.threads).insert(channel, reference);
    }

    fn set_blind(&self, guild: GuildId) {
        lock(&self.blind).insert(guild);
    }

    fn is_blind(&self, guild: GuildId) -> bool {
        lock(&self.blind).contains(&guild)
    }

    fn is_caught_up(&self, thread: u64) -> bool {
        lock(&self.caught_up).contains(&thread)
    }

    fn set_caught_up(&self, thread: u64) {
        lock(&self.caught_up).insert(thread);
    }
}

/// A server's daily record, if it has one. A record that cannot be read is an error naming
/// the server, never a silent reset.
pub fn read_settings(store: &dyn Store, guild: GuildId) -> Result<Option<DailySettings>, Error> {
    let Some(document) = store.guild_settings(&guild.to_string())? else {
        return Ok(None);
    };
    let Some(daily) = document.get(SETTINGS_KEY) else {
        return Ok(None);
    };
    serde_json::from_value(daily.clone())
        .map(Some)
        .map_err(|e| {
            Error::Internal(format!(
                "the daily settings of server {guild} cannot be read: {e}"
            ))
        })
}

/// Stores a server's daily record (flushed), keeping any other keys of its settings document.
pub fn write_settings(
    store: &dyn Store,
    guild: GuildId,
    settings: &DailySettings,
) -> Result<(), Error> {
    let key = guild.to_string();
    let mut document = store
        .guild_settings(&key)?
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| serde_json::json!({}));
    let value = serde_json::to_value(settings)
        .map_err(|e| Error::Internal(format!("daily settings cannot be serialised: {e}")))?;
    if let Some(map) = document.as_object_mut() {
        map.insert(SETTINGS_KEY.to_string(), value);
    }
    store.put_guild_settings(&key, &document)?;
    Ok(())
}

/// The day's post marker of a server, if any.
pub fn read_marker(
    store: &dyn Store,
    guild: GuildId,
    date: Date,
) -> Result<Option<PostMarker>, Error> {
    let Some(value) = store.get_marker(POST_MARKERS, &post_key(guild, date))? else {
        return Ok(None);
    };
    serde_json::from_value(value).map(Some).map_err(|e| {
        Error::Internal(format!(
            "the daily post marker {} cannot be read: {e}",
            post_key(guild, date)
        ))
    })
}

/// The last date a server's post is settled for, as far as "today" matters: today when
/// today's post went out or was skipped, else nothing (a pending or absent marker means today
/// is still owed).
pub fn settled_today(
    store: &dyn Store,
    guild: GuildId,
    settings: &DailySettings,
    now: Timestamp,
) -> Result<Option<Date>, Error> {
    let today = local_date(now, &settings.schedule.timezone);
    Ok(read_marker(store, guild, today)?
        .filter(PostMarker::is_settled)
        .map(|_| today))
}

/// The bot was removed from `guild` (GUILD_DELETE, not an outage): its daily post stops at
/// once and stays off after a restart; its settings and rotation are kept (see
/// [`DailySettings::bot_removed`]). Serialised with the server's posts, so one in flight sees
/// the schedule off.
pub async fn on_guild_removed(data: &Data, guild: GuildId) -> Result<(), Error> {
    data.daily.disarm(guild);
    let server_lock = data.daily.guild_lock(guild);
    let _serialised = server_lock.lock().await;
    let Some(mut settings) = read_settings(&*data.store, guild)? else {
        return Ok(());
    };
    if settings.bot_removed(data.clock.now()) {
        write_settings(&*data.store, guild, &settings)?;
        tracing::info!(guild, "removed from the server: daily question turned off");
    }
    Ok(())
}

/// Arms every enabled server from the store, once at startup. A server whose time passed today
/// while the bot was down is due at once (today only). A record that cannot be read is logged
/// and skipped: the other servers still post.
pub fn load(data: &Data) -> Result<usize, Error> {
    let now = data.clock.now();
    for (key, _) in data.store.list_guild_settings()? {
        let Ok(guild) = key.parse::<GuildId>() else {
            continue;
        };
        let settings = match read_settings(&*data.store, guild) {
            Ok(Some(settings)) => settings,
            Ok(None) => continue,
            Err(err) => {
                tracing::error!(guild, "daily post not scheduled: {err}");
                continue;
            }
        };
        if !settings.schedule.enabled {
            continue;
        }
        match settled_today(&*data.store, guild, &settings, now) {
            Ok(last) => lock(&data.daily.queue).upsert(guild, settings.schedule, now, last),
            Err(err) => tracing::error!(guild, "daily post not scheduled: {err}"),
        }
    }
    Ok(data.daily.armed())
}

/// The one scheduler task for every server. It takes what is due from the queue, paces the
/// posts under Discord's global rate limit, and otherwise sleeps until the next post is due, a
/// settings change wakes it, or `tick_every` passes (the injected clock may be moved by
/// something else, as in tests, so the queue is re-checked at least that often).
pub async fn scheduler(data: Arc<Data>, http: Arc<serenity::Http>, tick_every: Duration) {
    let calls = NonZeroU32::new(CALLS_PER_POST).unwrap_or(NonZeroU32::MIN);
    let mut pacer = Pacer::for_daily_posts(calls);
    // Pacing is about Discord's real seconds, whatever the injected clock says.
    let started = Instant::now();
    let real_now = || {
        let elapsed = SignedDuration::try_from(started.elapsed()).unwrap_or(SignedDuration::MAX);
        Timestamp::UNIX_EPOCH
            .saturating_add(elapsed)
            .unwrap_or(Timestamp::MAX)
    };
    loop {
        let due = lock(&data.daily.queue).pop_due(data.clock.now());
        for (guild, date) in due {
            let now = real_now();
            let slot = pacer.next_slot(now);
            let wait = slot.duration_since(now);
            if wait.is_positive() {
                tokio::time::sleep(wait.unsigned_abs()).await;
            }
            let (data, http) = (data.clone(), http.clone());
            tokio::spawn(async move {
                if let Err(err) = post_day(&data, &http, guild, date, Trigger::Schedule).await {
                    tracing::error!(guild, %date, "daily post failed: {err}");
                }
            });
        }
        let next = lock(&data.daily.queue).next_wake();
        let until_due = next.map_or(tick_every, |at| {
            let left = at.duration_since(data.clock.now());
            if left.is_positive() {
                left.unsigned_abs().min(tick_every)
            } else {
                Duration::ZERO
            }
        });
        tokio::select! {
            () = data.daily.wake.notified() => {}
            () = tokio::time::sleep(until_due) => {}
        }
    }
}
