//! Persistence: the [`Store`] trait, a sled implementation ([`SledStore`]) and an in-memory one
//! ([`MemoryStore`]) for tests of other modules, plus stats derived from attempts ([`stats`]).
//!
//! The trait speaks in plain data ([`Attempt`], [`SessionRecord`], [`CollectedMessage`], JSON
//! settings); it knows nothing of Discord or tokio. Methods are synchronous: the bot calls them
//! from `spawn_blocking` where latency matters.
//!
//! Durability contract: every method that changes something has flushed it to disk before it
//! returns `Ok`, so a caller may report success (an attempt saved, a message collected, a daily
//! post marker, a server setting) as soon as it gets `Ok`.
//!
//! Cost contract: a user's reads (history, count, their sessions) are prefix scans over keys that
//! start with that user, so their cost does not grow with the number of other users.

mod error;
mod keys;
mod memory;
mod sled_files;
mod sled_store;
pub mod stats;
mod types;

pub use error::{StoreError, StoreResult};
pub use memory::MemoryStore;
pub use sled_files::SCHEMA_VERSION;
pub use sled_store::{SledOptions, SledStore};
pub use types::{
    Attempt, AttemptId, AttemptSummary, CollectedMessage, ForgetReport, MessageUpsert, Mode,
    SessionRecord, StarPresence, UserKey,
};

/// Everything the product keeps. Object safe: hold it as `Arc<dyn Store>`.
pub trait Store: Send + Sync {
    // --- attempts -------------------------------------------------------------------------

    /// Stores a finished attempt, replacing any attempt of the same user with the same id
    /// (so "one attempt per user per day, updated" is a re-record with the same id).
    fn record_attempt(&self, attempt: &Attempt) -> StoreResult<()>;

    /// One attempt by id.
    fn get_attempt(&self, user: &UserKey, id: &AttemptId) -> StoreResult<Option<Attempt>>;

    /// The user's attempts, newest `finished_at` first (ties: id ascending), at most `limit`.
    fn history(&self, user: &UserKey, limit: usize) -> StoreResult<Vec<Attempt>>;

    /// How many attempts the user has.
    fn attempt_count(&self, user: &UserKey) -> StoreResult<usize>;

    // --- in-flight sessions ---------------------------------------------------------------

    /// Creates or replaces the session under `session.key`.
    fn put_session(&self, session: &SessionRecord) -> StoreResult<()>;

    fn get_session(&self, key: &str) -> StoreResult<Option<SessionRecord>>;

    /// Deletes the session and every message collected for it. Returns whether it existed.
    fn delete_session(&self, key: &str) -> StoreResult<bool>;

    /// Every session in progress, by key.
    fn list_sessions(&self) -> StoreResult<Vec<SessionRecord>>;

    /// Hands every session whose key starts with `key_prefix` to `visit`, in key order, one at
    /// a time: resuming ten thousand sessions at startup never holds them all in memory.
    fn for_each_session(
        &self,
        key_prefix: &str,
        visit: &mut dyn FnMut(SessionRecord),
    ) -> StoreResult<()>;

    /// Sessions the user owns or takes part in, by key.
    fn sessions_of(&self, user: &UserKey) -> StoreResult<Vec<SessionRecord>>;

    /// Adds or edits a collected message, keyed by its message id within the session, so a
    /// replayed event changes nothing ([`MessageUpsert::Unchanged`]).
    fn upsert_message(
        &self,
        session_key: &str,
        message: &CollectedMessage,
    ) -> StoreResult<MessageUpsert>;

    /// Removes a collected message (deleted in chat). Returns whether it was there.
    fn remove_message(&self, session_key: &str, message_id: u64) -> StoreResult<bool>;

    /// The session's collected messages, ordered by message id.
    fn messages(&self, session_key: &str) -> StoreResult<Vec<CollectedMessage>>;

    // --- settings and markers -------------------------------------------------------------

    fn put_user_settings(&self, user: &UserKey, settings: &serde_json::Value) -> StoreResult<()>;
    fn user_settings(&self, user: &UserKey) -> StoreResult<Option<serde_json::Value>>;
    fn delete_user_settings(&self, user: &UserKey) -> StoreResult<bool>;

    fn put_guild_settings(&self, guild: &str, settings: &serde_json::Value) -> StoreResult<()>;
    fn guild_settings(&self, guild: &str) -> StoreResult<Option<serde_json::Value>>;
    fn delete_guild_settings(&self, guild: &str) -> StoreResult<bool>;
    /// Every server's settings, by guild id (the daily scheduler loads them at startup).
    fn list_guild_settings(&self) -> StoreResult<Vec<(String, serde_json::Value)>>;

    /// Sets a marker (e.g. namespace `daily-post`, key `<guild>:<date>`). Markers set this way
    /// must not contain user ids; use [`Store::put_user_marker`] for anything about a user.
    fn put_marker(&self, namespace: &str, key: &str, value: &serde_json::Value) -> StoreResult<()>;

    /// Sets a marker that belongs to a user (e.g. daily participation): `forget_user` removes it.
    fn put_user_marker(
        &self,
        owner: &UserKey,
        namespace: &str,
        key: &str,
        value: &serde_json::Value,
    ) -> StoreResult<()>;

    /// Sets the marker only if it is absent, atomically. Returns whether this call set it, so
    /// exactly one of several racing callers "claims" e.g. today's post.
    fn claim_marker(
        &self,
        namespace: &str,
        key: &str,
        value: &serde_json::Value,
    ) -> StoreResult<bool>;

    fn get_marker(&self, namespace: &str, key: &str) -> StoreResult<Option<serde_json::Value>>;

    /// Returns whether the marker existed.
    fn delete_marker(&self, namespace: &str, key: &str) -> StoreResult<bool>;

    /// Markers of a namespace whose key starts with `key_prefix`, by key.
    fn list_markers(
        &self,
        namespace: &str,
        key_prefix: &str,
    ) -> StoreResult<Vec<(String, serde_json::Value)>>;

    // --- privacy --------------------------------------------------------------------------

    /// Everything kept about the user, as one JSON document (`/export`).
    fn export_user(&self, user: &UserKey) -> StoreResult<serde_json::Value>;

    /// Removes every trace of the user from every tree: attempts, sessions they own or take
    /// part in (with all their messages), messages they wrote anywhere, their settings and
    /// markers, and every index entry pointing at them.
    fn forget_user(&self, user: &UserKey) -> StoreResult<ForgetReport>;

    /// Whether `needle` occurs in any key or value of any tree. Scans everything: for tests and
    /// for verifying a `/forget`, not for serving requests.
    fn contains_bytes(&self, needle: &[u8]) -> StoreResult<bool>;

    // --- lifecycle ------------------------------------------------------------------------

    /// Writes everything buffered to disk (every mutating method already does this).
    fn flush(&self) -> StoreResult<()>;
}

/// The export document's format version, so importers can tell what they read.
pub const EXPORT_FORMAT: u32 = 1;

/// Assembles the `/export` document; shared by both implementations so they cannot drift.
///
/// Only the user's own data goes in: sessions they own (the opaque state is left out when other
/// people take part, since it may hold theirs) and the messages they wrote, wherever they wrote
/// them; never other people's messages.
pub(crate) fn export_document(
    user: &UserKey,
    attempts: Vec<Attempt>,
    owned_sessions: Vec<SessionRecord>,
    messages: Vec<(String, CollectedMessage)>,
    settings: Option<serde_json::Value>,
    markers: Vec<(String, String, serde_json::Value)>,
) -> serde_json::Value {
    use serde_json::json;
    json!({
        "format": EXPORT_FORMAT,
        "user": user,
        "attempts": attempts,
        "sessions": owned_sessions
            .into_iter()
            .map(|session| {
                let shared = session.participants.iter().any(|p| p != user);
                json!({
                    "key": session.key,
                    "state": if shared { serde_json::Value::Null } else { session.state },
                    "updated_at": session.updated_at.to_string(),
                })
            })
            .collect::<Vec<_>>(),
        "messages": messages
            .into_iter()
            .map(|(session_key, message)| json!({ "session": session_key, "message": message }))
            .collect::<Vec<_>>(),
        "settings": settings,
        "markers": markers
            .into_iter()
            .map(|(namespace, key, value)| json!({ "namespace": namespace, "key": key, "value": value }))
            .collect::<Vec<_>>(),
    })
}
