//! Which solo interviews are open, kept compact: ten thousand idle interviews must not hold
//! their collected answers in memory. Each open session is a slot holding what routing and the
//! idle ticker need ([`Open`]); its full state stays in the store and is loaded under the slot's
//! lock for each event (one sled read and a JSON decode, tens of µs beside the flushed write
//! that follows).
//!
//! A slot is removed when its session closes. A person may start a new interview right as the
//! old one closes, so every opening of a slot gets a new generation and a removal names the
//! generation it ends: a late removal of an old session never removes a newer one.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::solo::{session_key, SoloState, SESSION_KEY_PREFIX};
use crate::config::InterviewConfig;
use crate::store::{Store, StoreResult};

/// What memory keeps of an open solo session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    /// Which opening of the person's slot this is.
    generation: u64,
    pub channel_id: u64,
    /// The `/interview start` interaction id: messages with smaller ids are older than it.
    pub start_id: u64,
    /// The channel was read up to this id for messages a Done overtook. Kept here (and stored
    /// with the next change of the session) so a Done does not cost an extra flushed write.
    pub settled_until: u64,
    /// Before this instant an idle tick cannot change the session, so it is not loaded.
    next_tick_at: Timestamp,
}

impl Open {
    fn new(generation: u64, state: &SoloState, config: &InterviewConfig) -> Self {
        Self {
            generation,
            channel_id: state.channel_id,
            start_id: state.start_id,
            settled_until: state.settled_until,
            next_tick_at: state.session.next_tick_at(config),
        }
    }

    /// Whether an idle tick at `now` can change the session.
    pub fn tick_due(&self, now: Timestamp) -> bool {
        now >= self.next_tick_at
    }
}

pub type Slot = Arc<Mutex<Option<Open>>>;

struct Entry {
    slot: Slot,
    /// The generation of the session this slot holds; 0 while a start is claiming it.
    generation: u64,
    channel_id: u64,
}

#[derive(Default)]
struct Index {
    by_user: HashMap<u64, Entry>,
    /// (channel, user) of every open session: an edit or a delete finds its session at once.
    by_channel: BTreeSet<(u64, u64)>,
}

/// Open solo sessions by Discord user id. Each session has its own lock, so one person's
/// events are applied in order while others proceed in parallel.
#[derive(Default)]
pub struct SoloRegistry {
    index: std::sync::Mutex<Index>,
    generations: AtomicU64,
    /// The newest collected message per user awaiting a trailing acknowledgement.
    pub(super) pending_ack: std::sync::Mutex<HashMap<u64, (u64, u64)>>,
}

/// A slot locked for a new session by [`SoloRegistry::begin`].
pub struct Claimed {
    guard: OwnedMutexGuard<Option<Open>>,
    generation: u64,
}

impl Claimed {
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Marks the session open; call it once the session is stored.
    pub fn open(mut self, state: &SoloState, config: &InterviewConfig) {
        *self.guard = Some(Open::new(self.generation, state, config));
    }

    /// Gives the slot up: the session could not be stored.
    pub fn abandon(self, registry: &SoloRegistry, user: u64) {
        registry.release(user, self.generation);
    }
}

impl SoloRegistry {
    /// Indexes every stored solo session, one at a time, so a restart resumes them.
    /// Returns how many were indexed.
    pub fn load_from_store(
        &self,
        store: &dyn Store,
        config: &InterviewConfig,
    ) -> StoreResult<usize> {
        let mut loaded = 0;
        store.for_each_session(SESSION_KEY_PREFIX, &mut |record| {
            let Some(user) = record
                .key
                .strip_prefix(SESSION_KEY_PREFIX)
                .and_then(|u| u.parse::<u64>().ok())
            else {
                return;
            };
            match serde_json::from_value::<SoloState>(record.state) {
                Ok(state) => {
                    let generation = self.next_generation();
                    let open = Open::new(generation, &state, config);
                    let mut index = self.lock();
                    index.by_channel.insert((open.channel_id, user));
                    index.by_user.insert(
                        user,
                        Entry {
                            slot: Arc::new(Mutex::new(Some(open))),
                            generation,
                            channel_id: state.channel_id,
                        },
                    );
                    loaded += 1;
                }
                Err(err) => {
                    tracing::error!(key = %record.key, "unreadable session kept as is: {err}")
                }
            }
        })?;
        Ok(loaded)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_generation(&self) -> u64 {
        self.generations.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn existing(&self, user: u64) -> Option<Slot> {
        self.lock().by_user.get(&user).map(|e| e.slot.clone())
    }

    pub fn users(&self) -> Vec<u64> {
        self.lock().by_user.keys().copied().collect()
    }

    /// Number of slots: open sessions, plus any being started or closed right now.
    pub fn len(&self) -> usize {
        self.lock().by_user.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The channel of the user's open session.
    pub async fn open_channel(&self, user: u64) -> Option<u64> {
        let slot = self.existing(user)?;
        let guard = slot.lock().await;
        guard.as_ref().map(|open| open.channel_id)
    }

    /// The users with a session open in `channel` (normally one), with their slots.
    pub fn in_channel(&self, channel: u64) -> Vec<(u64, Slot)> {
        let index = self.lock();
        index
            .by_channel
            .range((channel, 0)..=(channel, u64::MAX))
            .filter_map(|&(_, user)| index.by_user.get(&user).map(|e| (user, e.slot.clone())))
            .collect()
    }

    /// Locks `user`'s slot for a new session in `channel` and claims it with a new generation.
    /// `Err` holds the channel of the session already open.
    pub async fn begin(&self, user: u64, channel: u64) -> Result<Claimed, u64> {
        loop {
            let slot = self
                .lock()
                .by_user
                .entry(user)
                .or_insert_with(|| Entry {
                    slot: Slot::default(),
                    generation: 0,
                    channel_id: 0,
                })
                .slot
                .clone();
            let guard = slot.clone().lock_owned().await;
            if let Some(open) = guard.as_ref() {
                return Err(open.channel_id);
            }
            // The slot may have been removed while this waited for its lock (its session
            // closed); then a fresh one is made.
            let mut index = self.lock();
            let Index {
                by_user,
                by_channel,
            } = &mut *index;
            let Some(entry) = by_user.get_mut(&user) else {
                continue;
            };
            if !Arc::ptr_eq(&entry.slot, &slot) {
                continue;
            }
            let generation = self.next_generation();
            by_channel.remove(&(entry.channel_id, user));
            by_channel.insert((channel, user));
            entry.generation = generation;
            entry.channel_id = channel;
            return Ok(Claimed { guard, generation });
        }
    }

    /// Removes the user's slot if it still holds `generation`. Returns whether it did.
    pub fn release(&self, user: u64, generation: u64) -> bool {
        let mut index = self.lock();
        let Some(entry) = index.by_user.get(&user) else {
            return false;
        };
        if entry.generation != generation {
            return false;
        }
        let channel = entry.channel_id;
        index.by_user.remove(&user);
        index.by_channel.remove(&(channel, user));
        true
    }

    /// Closes the session held in a locked slot and removes the slot.
    pub fn close(&self, user: u64, slot: &mut Option<Open>) {
        if let Some(open) = slot.take() {
            self.release(user, open.generation);
        }
    }

    /// Brings a locked slot up to date after an event: the session's new state, or `None`
    /// when it closed (then the slot is removed).
    pub fn settle(
        &self,
        user: u64,
        slot: &mut Option<Open>,
        next: Option<&SoloState>,
        config: &InterviewConfig,
    ) {
        match (next, slot.as_mut()) {
            (Some(state), Some(open)) => {
                open.next_tick_at = state.session.next_tick_at(config);
                open.settled_until = open.settled_until.max(state.settled_until);
            }
            (Some(_), None) => {}
            (None, _) => self.close(user, slot),
        }
    }

    /// Ends the session of `generation` if it is still the open one (a start that could not
    /// show its question), deleting it from the store too.
    pub async fn end(&self, store: &dyn Store, user: u64, generation: u64) -> StoreResult<()> {
        let Some(slot) = self.existing(user) else {
            return Ok(());
        };
        let mut guard = slot.lock().await;
        if guard.as_ref().is_some_and(|o| o.generation == generation) {
            store.delete_session(&session_key(user))?;
            self.close(user, &mut guard);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interview::solo::SoloSession;

    fn state(channel: u64) -> SoloState {
        let now: Timestamp = "2026-11-29T10:00:00Z".parse().unwrap();
        SoloState {
            session: SoloSession::start("s".into(), "discord:1".into(), "q".into(), now),
            channel_id: channel,
            guild_id: None,
            thread: true,
            lp: None,
            content_warned: false,
            start_id: 5,
            last_done_id: 0,
            refused: Default::default(),
            settled_until: 0,
        }
    }

    async fn open(registry: &SoloRegistry, user: u64, channel: u64) -> u64 {
        let claimed = registry
            .begin(user, channel)
            .await
            .expect("nothing open yet");
        let generation = claimed.generation();
        claimed.open(&state(channel), &InterviewConfig::default());
        generation
    }

    fn assert_empty(registry: &SoloRegistry, channel: u64) {
        assert!(registry.is_empty(), "a closed session left its slot");
        assert!(registry.users().is_empty());
        assert!(registry.in_channel(channel).is_empty());
    }

    #[tokio::test]
    async fn a_session_that_closes_leaves_no_slot() {
        let registry = SoloRegistry::default();
        let config = InterviewConfig::default();
        for round in 0..3 {
            let channel = 100 + round;
            open(&registry, 7, channel).await;
            assert_eq!(registry.len(), 1);
            assert_eq!(registry.open_channel(7).await, Some(channel));
            let slot = registry.existing(7).unwrap();
            let mut guard = slot.lock().await;
            // An event that keeps the session open keeps the slot...
            registry.settle(7, &mut guard, Some(&state(channel)), &config);
            assert_eq!(registry.len(), 1);
            // ...and the one that closes it removes it.
            registry.settle(7, &mut guard, None, &config);
            drop(guard);
            assert_empty(&registry, channel);
        }
    }

    #[tokio::test]
    async fn a_second_start_is_refused_while_one_is_open() {
        let registry = SoloRegistry::default();
        open(&registry, 7, 100).await;
        assert_eq!(registry.begin(7, 200).await.err(), Some(100));
        assert_eq!(registry.in_channel(100).len(), 1);
        assert!(registry.in_channel(200).is_empty());
    }

    /// The close of the old session is late: a new start claimed the same slot in between.
    /// Removing by generation leaves the new session alone; a plain remove would drop it.
    #[tokio::test]
    async fn a_late_close_never_removes_a_newer_session() {
        let registry = SoloRegistry::default();
        let old = open(&registry, 7, 100).await;
        let slot = registry.existing(7).unwrap();
        let closed = slot.lock().await.take();
        assert!(closed.is_some());
        let new = open(&registry, 7, 200).await;
        assert_ne!(old, new);

        assert!(
            !registry.release(7, old),
            "the old close removed the new session"
        );
        assert_eq!(registry.open_channel(7).await, Some(200));
        assert_eq!(registry.in_channel(200).len(), 1);
        assert!(registry.in_channel(100).is_empty());

        let mut guard = slot.lock().await;
        registry.close(7, &mut guard);
        drop(guard);
        assert_empty(&registry, 200);
    }

    /// A start waiting for the slot while the old session closes gets a fresh slot, and the
    /// session it opens is found and ticked.
    #[tokio::test]
    async fn a_start_racing_a_close_opens_a_live_session() {
        let registry = Arc::new(SoloRegistry::default());
        open(&registry, 7, 100).await;
        let old_slot = registry.existing(7).unwrap();
        let mut closing = old_slot.lock().await;
        let starter = {
            let registry = registry.clone();
            tokio::spawn(async move { open(&registry, 7, 200).await })
        };
        // Let the start reach the lock the close holds.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        registry.close(7, &mut closing);
        drop(closing);
        starter.await.unwrap();
        assert_eq!(registry.len(), 1);
        assert_eq!(registry.open_channel(7).await, Some(200));
        let (user, _) = registry.in_channel(200).pop().unwrap();
        assert_eq!(user, 7);
    }

    #[tokio::test]
    async fn an_open_session_is_due_for_a_tick_only_at_its_reminder_time() {
        let registry = SoloRegistry::default();
        open(&registry, 7, 100).await;
        let slot = registry.existing(7).unwrap();
        let guard = slot.lock().await;
        let open = guard.as_ref().unwrap();
        let started = state(100).session.last_activity;
        let reminder = jiff::SignedDuration::from_mins(10);
        assert!(!open.tick_due(started + reminder - jiff::SignedDuration::from_secs(1)));
        assert!(open.tick_due(started + reminder));
    }
}
