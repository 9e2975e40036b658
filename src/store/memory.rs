//! An in-memory [`Store`] for unit tests of other modules. Same behaviour as the sled store
//! (the shared suite in `tests/store_sled.rs` runs against both), nothing on disk.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::error::StoreResult;
use super::types::{
    Attempt, AttemptId, CollectedMessage, ForgetReport, MessageUpsert, SessionRecord, UserKey,
};
use super::{export_document, Store};

#[derive(Debug, Default)]
struct Marker {
    owner: Option<UserKey>,
    value: serde_json::Value,
}

#[derive(Debug, Default)]
struct State {
    attempts: HashMap<UserKey, HashMap<AttemptId, Attempt>>,
    sessions: BTreeMap<String, SessionRecord>,
    messages: BTreeMap<String, BTreeMap<u64, CollectedMessage>>,
    user_settings: HashMap<UserKey, serde_json::Value>,
    guild_settings: BTreeMap<String, serde_json::Value>,
    markers: BTreeMap<(String, String), Marker>,
}

/// The in-memory store. Everything is lost when it is dropped.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep serving it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Newest `finished_at` first, ties by id: the same order as the sled key layout.
fn sorted_history(attempts: Option<&HashMap<AttemptId, Attempt>>) -> Vec<Attempt> {
    let mut all: Vec<Attempt> = attempts
        .map(|by_id| by_id.values().cloned().collect())
        .unwrap_or_default();
    all.sort_by(|a, b| {
        b.finished_at
            .cmp(&a.finished_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    all
}

impl Store for MemoryStore {
    fn record_attempt(&self, attempt: &Attempt) -> StoreResult<()> {
        self.state()
            .attempts
            .entry(attempt.user.clone())
            .or_default()
            .insert(attempt.id.clone(), attempt.clone());
        Ok(())
    }

    fn get_attempt(&self, user: &UserKey, id: &AttemptId) -> StoreResult<Option<Attempt>> {
        Ok(self
            .state()
            .attempts
            .get(user)
            .and_then(|by_id| by_id.get(id))
            .cloned())
    }

    fn history(&self, user: &UserKey, limit: usize) -> StoreResult<Vec<Attempt>> {
        let mut all = sorted_history(self.state().attempts.get(user));
        all.truncate(limit);
        Ok(all)
    }

    fn attempt_count(&self, user: &UserKey) -> StoreResult<usize> {
        Ok(self.state().attempts.get(user).map_or(0, HashMap::len))
    }

    fn put_session(&self, session: &SessionRecord) -> StoreResult<()> {
        self.state()
            .sessions
            .insert(session.key.clone(), session.clone());
        Ok(())
    }

    fn get_session(&self, key: &str) -> StoreResult<Option<SessionRecord>> {
        Ok(self.state().sessions.get(key).cloned())
    }

    fn delete_session(&self, key: &str) -> StoreResult<bool> {
        let mut state = self.state();
        let record = state.sessions.remove(key).is_some();
        let messages = state
            .messages
            .remove(key)
            .is_some_and(|messages| !messages.is_empty());
        Ok(record || messages)
    }

    fn list_sessions(&self) -> StoreResult<Vec<SessionRecord>> {
        Ok(self.state().sessions.values().cloned().collect())
    }

    fn for_each_session(
        &self,
        key_prefix: &str,
        visit: &mut dyn FnMut(SessionRecord),
    ) -> StoreResult<()> {
        let matching: Vec<SessionRecord> = self
            .state()
            .sessions
            .range(key_prefix.to_string()..)
            .take_while(|(key, _)| key.starts_with(key_prefix))
            .map(|(_, session)| session.clone())
            .collect();
        matching.into_iter().for_each(visit);
        Ok(())
    }

    fn sessions_of(&self, user: &UserKey) -> StoreResult<Vec<SessionRecord>> {
        Ok(self
            .state()
            .sessions
            .values()
            .filter(|s| s.members().contains(&user))
            .cloned()
            .collect())
    }

    fn upsert_message(
        &self,
        session_key: &str,
        message: &CollectedMessage,
    ) -> StoreResult<MessageUpsert> {
        let mut state = self.state();
        let messages = state.messages.entry(session_key.to_string()).or_default();
        let outcome = match messages.get(&message.message_id) {
            Some(old) if old.author == message.author && old.text == message.text => {
                return Ok(MessageUpsert::Unchanged)
            }
            Some(_) => MessageUpsert::Updated,
            None => MessageUpsert::Inserted,
        };
        messages.insert(message.message_id, message.clone());
        Ok(outcome)
    }

    fn remove_message(&self, session_key: &str, message_id: u64) -> StoreResult<bool> {
        let mut state = self.state();
        let Some(messages) = state.messages.get_mut(session_key) else {
            return Ok(false);
        };
        let removed = messages.remove(&message_id).is_some();
        if messages.is_empty() {
            state.messages.remove(session_key);
        }
        Ok(removed)
    }

    fn messages(&self, session_key: &str) -> StoreResult<Vec<CollectedMessage>> {
        Ok(self
            .state()
            .messages
            .get(session_key)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default())
    }

    fn put_user_settings(&self, user: &UserKey, settings: &serde_json::Value) -> StoreResult<()> {
        self.state()
            .user_settings
            .insert(user.clone(), settings.clone());
        Ok(())
    }

    fn user_settings(&self, user: &UserKey) -> StoreResult<Option<serde_json::Value>> {
        Ok(self.state().user_settings.get(user).cloned())
    }

    fn delete_user_settings(&self, user: &UserKey) -> StoreResult<bool> {
        Ok(self.state().user_settings.remove(user).is_some())
    }

    fn put_guild_settings(&self, guild: &str, settings: &serde_json::Value) -> StoreResult<()> {
        self.state()
            .guild_settings
            .insert(guild.to_string(), settings.clone());
        Ok(())
    }

    fn guild_settings(&self, guild: &str) -> StoreResult<Option<serde_json::Value>> {
        Ok(self.state().guild_settings.get(guild).cloned())
    }

    fn delete_guild_settings(&self, guild: &str) -> StoreResult<bool> {
        Ok(self.state().guild_settings.remove(guild).is_some())
    }

    fn list_guild_settings(&self) -> StoreResult<Vec<(String, serde_json::Value)>> {
        Ok(self
            .state()
            .guild_settings
            .iter()
            .map(|(guild, value)| (guild.clone(), value.clone()))
            .collect())
    }

    fn put_marker(&self, namespace: &str, key: &str, value: &serde_json::Value) -> StoreResult<()> {
        self.state().markers.insert(
            (namespace.to_string(), key.to_string()),
            Marker {
                owner: None,
                value: value.clone(),
            },
        );
        Ok(())
    }

    fn put_user_marker(
        &self,
        owner: &UserKey,
        namespace: &str,
        key: &str,
        value: &serde_json::Value,
    ) -> StoreResult<()> {
        self.state().markers.insert(
            (namespace.to_string(), key.to_string()),
            Marker {
                owner: Some(owner.clone()),
                value: value.clone(),
            },
        );
        Ok(())
    }

    fn claim_marker(
        &self,
        namespace: &str,
        key: &str,
        value: &serde_json::Value,
    ) -> StoreResult<bool> {
        let mut state = self.state();
        let slot = (namespace.to_string(), key.to_string());
        if state.markers.contains_key(&slot) {
            return Ok(false);
        }
        state.markers.insert(
            slot,
            Marker {
                owner: None,
                value: value.clone(),
            },
        );
        Ok(true)
    }

    fn get_marker(&self, namespace: &str, key: &str) -> StoreResult<Option<serde_json::Value>> {
        Ok(self
            .state()
            .markers
            .get(&(namespace.to_string(), key.to_string()))
            .map(|m| m.value.clone()))
    }

    fn delete_marker(&self, namespace: &str, key: &str) -> StoreResult<bool> {
        Ok(self
            .state()
            .markers
            .remove(&(namespace.to_string(), key.to_string()))
            .is_some())
    }

    fn list_markers(
        &self,
        namespace: &str,
        key_prefix: &str,
    ) -> StoreResult<Vec<(String, serde_json::Value)>> {
        Ok(self
            .state()
            .markers
            .iter()
            .filter(|((ns, key), _)| ns == namespace && key.starts_with(key_prefix))
            .map(|((_, key), marker)| (key.clone(), marker.value.clone()))
            .collect())
    }

    fn export_user(&self, user: &UserKey) -> StoreResult<serde_json::Value> {
        let state = self.state();
        let attempts = sorted_history(state.attempts.get(user));
        let owned = state
            .sessions
            .values()
            .filter(|s| &s.owner == user)
            .cloned()
            .collect();
        let messages = state
            .messages
            .iter()
            .flat_map(|(session, messages)| {
                messages
                    .values()
                    .filter(|m| &m.author == user)
                    .map(|m| (session.clone(), m.clone()))
            })
            .collect();
        let settings = state.user_settings.get(user).cloned();
        let markers = state
            .markers
            .iter()
            .filter(|(_, m)| m.owner.as_ref() == Some(user))
            .map(|((ns, key), m)| (ns.clone(), key.clone(), m.value.clone()))
            .collect();
        Ok(export_document(
            user, attempts, owned, messages, settings, markers,
        ))
    }

    fn forget_user(&self, user: &UserKey) -> StoreResult<ForgetReport> {
        let mut state = self.state();
        let mut report = ForgetReport {
            attempts: state.attempts.remove(user).map_or(0, |a| a.len()),
            ..ForgetReport::default()
        };
        let doomed: Vec<String> = state
            .sessions
            .values()
            .filter(|s| s.members().contains(&user))
            .map(|s| s.key.clone())
            .collect();
        for key in &doomed {
            state.sessions.remove(key);
            report.messages += state.messages.remove(key).map_or(0, |m| m.len());
        }
        report.sessions = doomed;
        for messages in state.messages.values_mut() {
            let before = messages.len();
            messages.retain(|_, m| &m.author != user);
            report.messages += before - messages.len();
        }
        state.messages.retain(|_, messages| !messages.is_empty());
        report.user_settings = state.user_settings.remove(user).is_some();
        let before = state.markers.len();
        state.markers.retain(|_, m| m.owner.as_ref() != Some(user));
        report.markers = before - state.markers.len();
        Ok(report)
    }

    fn contains_bytes(&self, needle: &[u8]) -> StoreResult<bool> {
        let state = self.state();
        let has = |text: &str| {
            needle.is_empty()
                || text
                    .as_bytes()
                    .windows(needle.len())
                    .any(|window| window == needle)
        };
        let json = |value: &serde_json::Value| has(&value.to_string());
        let attempt_hit = state.attempts.iter().any(|(user, by_id)| {
            has(&user.0)
                || by_id
                    .values()
                    .any(|a| serde_json::to_value(a).map(|v| json(&v)).unwrap_or(true))
        });
        let session_hit = state
            .sessions
            .values()
            .any(|s| serde_json::to_value(s).map(|v| json(&v)).unwrap_or(true));
        let message_hit = state.messages.iter().any(|(key, messages)| {
            has(key)
                || messages
                    .values()
                    .any(|m| serde_json::to_value(m).map(|v| json(&v)).unwrap_or(true))
        });
        let settings_hit = state
            .user_settings
            .iter()
            .any(|(user, value)| has(&user.0) || json(value))
            || state
                .guild_settings
                .iter()
                .any(|(guild, value)| has(guild) || json(value));
        let marker_hit = state.markers.iter().any(|((ns, key), m)| {
            has(ns) || has(key) || json(&m.value) || m.owner.as_ref().is_some_and(|o| has(&o.0))
        });
        Ok(attempt_hit || session_hit || message_hit || settings_hit || marker_hit)
    }

    fn flush(&self) -> StoreResult<()> {
        Ok(())
    }
}
