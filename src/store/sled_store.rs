//! The sled adapter: the [`Store`] trait over sled 0.34 trees laid out as in [`super::keys`].
//!
//! Writes that touch several trees run in one sled transaction, then the database is flushed
//! before the method returns, so what a caller reports as done survives a crash.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use sled::Tree;

use super::error::{StoreError, StoreResult};
use super::keys;
use super::sled_files::{
    self, check_integrity, open_error, panic_text, prepare_directory, restrict_file_permissions,
};
use super::types::{
    Attempt, AttemptId, CollectedMessage, ForgetReport, MessageUpsert, SessionRecord, UserKey,
};
use super::{export_document, Store};

/// Tuning knobs for the sled database.
#[derive(Debug, Clone)]
pub struct SledOptions {
    /// Page cache size. sled's own default (1 GiB) is far more than a small host should give.
    pub cache_capacity_bytes: u64,
    /// Flush after every write (the durability contract of [`Store`]). Only bulk loads that
    /// flush once at the end (imports, benchmark setup) should turn this off.
    pub flush_every_write: bool,
    /// How long `open` keeps retrying while the database is locked. sled releases its lock
    /// from background threads shortly after a store is dropped, so a restart within the same
    /// process would otherwise see its own previous instance as "another bar-raiser".
    pub lock_wait: std::time::Duration,
}

impl Default for SledOptions {
    fn default() -> Self {
        Self {
            cache_capacity_bytes: 32 * 1024 * 1024,
            flush_every_write: true,
            lock_wait: std::time::Duration::from_secs(3),
        }
    }
}

/// The tree names, in the order of [`Trees::all`] (used to index a whole-store transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TreeId {
    Attempts,
    AttemptIds,
    Sessions,
    SessionMembers,
    Messages,
    MessagesByAuthor,
    UserSettings,
    GuildSettings,
    Markers,
    MarkersByOwner,
}

impl TreeId {
    const ALL: [TreeId; 10] = [
        TreeId::Attempts,
        TreeId::AttemptIds,
        TreeId::Sessions,
        TreeId::SessionMembers,
        TreeId::Messages,
        TreeId::MessagesByAuthor,
        TreeId::UserSettings,
        TreeId::GuildSettings,
        TreeId::Markers,
        TreeId::MarkersByOwner,
    ];

    fn name(self) -> &'static str {
        match self {
            TreeId::Attempts => "attempts",
            TreeId::AttemptIds => "attempt_ids",
            TreeId::Sessions => "sessions",
            TreeId::SessionMembers => "session_members",
            TreeId::Messages => "messages",
            TreeId::MessagesByAuthor => "messages_by_author",
            TreeId::UserSettings => "user_settings",
            TreeId::GuildSettings => "guild_settings",
            TreeId::Markers => "markers",
            TreeId::MarkersByOwner => "markers_by_owner",
        }
    }
}

struct Trees {
    all: Vec<Tree>,
}

impl Trees {
    fn get(&self, id: TreeId) -> &Tree {
        // `all` is built from TreeId::ALL in order, so every id has its slot.
        &self.all[id as usize]
    }
}

/// A marker's stored form: the owner travels with the value so an overwrite or delete can
/// clean the owner index.
#[derive(Serialize, Deserialize)]
struct MarkerEnvelope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<UserKey>,
    value: serde_json::Value,
}

/// An author-index key, the session it points into, and the message (absent if the index is stale).
type AuthoredMessage = (Vec<u8>, String, Option<CollectedMessage>);

/// The sled-backed store. Cheap to share behind an `Arc`; sled handles concurrency.
pub struct SledStore {
    path: PathBuf,
    db: sled::Db,
    trees: Trees,
    flush_every_write: bool,
    /// Set by `close` so that drop does not seal twice.
    sealed: bool,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SledStore {
    /// Opens (creating when absent) the store in directory `path`, with default options.
    ///
    /// The directory is created owner-only (0700 on unix) and the database files are made
    /// owner-only too. Use a directory dedicated to the store (e.g. `data/store`).
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        Self::open_with(path, &SledOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, options: &SledOptions) -> StoreResult<Self> {
        let path = path.as_ref().to_path_buf();
        prepare_directory(&path)?;
        let config = sled::Config::new()
            .path(&path)
            .cache_capacity(options.cache_capacity_bytes);
        let started = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(10);
        let db = loop {
            // sled may panic on some damaged files instead of returning an error; a damaged
            // file is input, so it gets an error, not a crash.
            let opened = catch_unwind(AssertUnwindSafe(|| config.open())).map_err(|panic| {
                StoreError::Corrupt {
                    path: path.clone(),
                    detail: format!(
                        "the database engine failed reading it ({})",
                        panic_text(&panic)
                    ),
                }
            })?;
            match opened.map_err(|e| open_error(&path, e)) {
                Ok(db) => break db,
                Err(StoreError::Locked { .. }) if started.elapsed() < options.lock_wait => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(std::time::Duration::from_millis(200));
                }
                Err(e) => return Err(e),
            }
        };
        restrict_file_permissions(&path)?;
        check_integrity(&path, &db)?;
        let mut all = Vec::with_capacity(TreeId::ALL.len());
        for id in TreeId::ALL {
            let tree = db.open_tree(id.name()).map_err(|e| StoreError::Backend {
                path: path.clone(),
                action: "opening a tree",
                detail: format!("{}: {e}", id.name()),
            })?;
            all.push(tree);
        }
        Ok(Self {
            path,
            db,
            trees: Trees { all },
            flush_every_write: options.flush_every_write,
            sealed: false,
        })
    }

    /// The directory holding the database.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes the database occupies on disk (for the load report).
    pub fn size_on_disk(&self) -> StoreResult<u64> {
        self.db
            .size_on_disk()
            .map_err(|e| self.sled_error("measuring the size on disk", e))
    }

    /// Flushes and seals the store (see [`sled_files`]). Dropping does the same but can only log
    /// a failure.
    pub fn close(mut self) -> StoreResult<()> {
        self.sealed = true;
        sled_files::seal(&self.path, &self.db)
    }

    /// Called after every write: flushes, unless bulk loading.
    fn written(&self) -> StoreResult<()> {
        if self.flush_every_write {
            self.flush()
        } else {
            Ok(())
        }
    }

    fn tree(&self, id: TreeId) -> &Tree {
        self.trees.get(id)
    }

    fn sled_error(&self, action: &'static str, error: sled::Error) -> StoreError {
        classify(&self.path, action, error)
    }

    fn tx_error(&self, action: &'static str, error: TransactionError<StoreError>) -> StoreError {
        match error {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => self.sled_error(action, e),
        }
    }

    fn decode<T: DeserializeOwned>(
        &self,
        tree: TreeId,
        key: &[u8],
        bytes: &[u8],
    ) -> StoreResult<T> {
        decode(&self.path, tree, key, bytes)
    }

    fn encode<T: Serialize>(&self, value: &T) -> StoreResult<Vec<u8>> {
        serde_json::to_vec(value).map_err(|e| StoreError::Backend {
            path: self.path.clone(),
            action: "encoding a value",
            detail: e.to_string(),
        })
    }

    fn get_raw(&self, tree: TreeId, key: &[u8]) -> StoreResult<Option<sled::IVec>> {
        self.tree(tree)
            .get(key)
            .map_err(|e| self.sled_error("reading", e))
    }

    fn put_raw(&self, tree: TreeId, key: &[u8], value: Vec<u8>) -> StoreResult<()> {
        self.tree(tree)
            .insert(key, value)
            .map_err(|e| self.sled_error("writing", e))?;
        self.written()
    }

    fn remove_raw(&self, tree: TreeId, key: &[u8]) -> StoreResult<bool> {
        let old = self
            .tree(tree)
            .remove(key)
            .map_err(|e| self.sled_error("deleting", e))?;
        if old.is_some() {
            self.written()?;
        }
        Ok(old.is_some())
    }

    /// Every (key, value) under `prefix`, in key order.
    fn scan(&self, tree: TreeId, prefix: &[u8]) -> StoreResult<Vec<(sled::IVec, sled::IVec)>> {
        self.tree(tree)
            .scan_prefix(prefix)
            .map(|entry| entry.map_err(|e| self.sled_error("scanning", e)))
            .collect()
    }

    /// Removes all `removals` in one transaction across every tree, then flushes.
    fn remove_all(&self, action: &'static str, removals: &[(TreeId, Vec<u8>)]) -> StoreResult<()> {
        if removals.is_empty() {
            return Ok(());
        }
        self.trees
            .all
            .as_slice()
            .transaction(|trees| {
                for (tree, key) in removals {
                    if let Some(tree) = trees.get(*tree as usize) {
                        tree.remove(key.as_slice())?;
                    }
                }
                Ok(())
            })
            .map_err(|e| self.tx_error(action, e))?;
        self.written()
    }

    fn session_messages(&self, session_key: &str) -> StoreResult<Vec<(Vec<u8>, CollectedMessage)>> {
        self.scan(TreeId::Messages, &keys::session_prefix(session_key))?
            .into_iter()
            .map(|(key, value)| {
                let message = self.decode(TreeId::Messages, &key, &value)?;
                Ok((key.to_vec(), message))
            })
            .collect()
    }

    /// Removals that delete a session, its member index and its messages with their index.
    fn session_removals(
        &self,
        session: &SessionRecord,
        removals: &mut Vec<(TreeId, Vec<u8>)>,
        message_keys: &mut HashSet<Vec<u8>>,
    ) -> StoreResult<()> {
        removals.push((TreeId::Sessions, session.key.as_bytes().to_vec()));
        for member in session.members() {
            removals.push((
                TreeId::SessionMembers,
                keys::session_member_key(member, &session.key),
            ));
        }
        for (key, message) in self.session_messages(&session.key)? {
            removals.push((
                TreeId::MessagesByAuthor,
                keys::message_author_key(&message.author, &session.key, message.message_id),
            ));
            removals.push((TreeId::Messages, key.clone()));
            message_keys.insert(key);
        }
        Ok(())
    }

    /// (session key, message) for every message the user wrote, from the author index.
    fn messages_by(&self, user: &UserKey) -> StoreResult<Vec<AuthoredMessage>> {
        let prefix = keys::user_prefix(user);
        let mut out = Vec::new();
        for (index_key, _) in self.scan(TreeId::MessagesByAuthor, &prefix)? {
            let rest = index_key.get(prefix.len()..).unwrap_or_default();
            let Some((session_key, message_id)) = keys::split_message_key(rest) else {
                continue;
            };
            let key = keys::message_key(&session_key, message_id);
            let message = match self.get_raw(TreeId::Messages, &key)? {
                Some(bytes) => Some(self.decode(TreeId::Messages, &key, &bytes)?),
                None => None,
            };
            out.push((index_key.to_vec(), session_key, message));
        }
        Ok(out)
    }

    fn put_marker_inner(
        &self,
        owner: Option<&UserKey>,
        namespace: &str,
        key: &str,
        value: &serde_json::Value,
    ) -> StoreResult<()> {
        let marker_key = keys::marker_key(namespace, key);
        let envelope = self.encode(&MarkerEnvelope {
            owner: owner.cloned(),
            value: value.clone(),
        })?;
        let owner_key = owner.map(|o| {
            let mut k = keys::user_prefix(o);
            k.extend_from_slice(&marker_key);
            k
        });
        let path = self.path.clone();
        (
            self.tree(TreeId::Markers),
            self.tree(TreeId::MarkersByOwner),
        )
            .transaction(|(markers, by_owner)| {
                let old = markers.insert(marker_key.as_slice(), envelope.as_slice())?;
                if let Some(old_owner) = old_owner(&path, &marker_key, old.as_deref()) {
                    if Some(&old_owner) != owner {
                        let mut k = keys::user_prefix(&old_owner);
                        k.extend_from_slice(&marker_key);
                        by_owner.remove(k)?;
                    }
                }
                if let Some(owner_key) = &owner_key {
                    by_owner.insert(owner_key.as_slice(), &[] as &[u8])?;
                }
                Ok(())
            })
            .map_err(|e| self.tx_error("writing a marker", e))?;
        self.written()
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
        if self.sealed {
            return;
        }
        if let Err(e) = sled_files::seal(&self.path, &self.db) {
            tracing::warn!(path = %self.path.display(), error = %e, "closing the store cleanly failed");
        }
    }
}

impl Store for SledStore {
    fn record_attempt(&self, attempt: &Attempt) -> StoreResult<()> {
        let primary = keys::attempt_key(&attempt.user, attempt.finished_at, &attempt.id);
        let index = keys::attempt_id_key(&attempt.user, &attempt.id);
        let value = self.encode(attempt)?;
        (self.tree(TreeId::Attempts), self.tree(TreeId::AttemptIds))
            .transaction(|(attempts, ids)| {
                if let Some(old) = ids.insert(index.as_slice(), primary.as_slice())? {
                    if old.as_ref() != primary.as_slice() {
                        attempts.remove(old)?;
                    }
                }
                attempts.insert(primary.as_slice(), value.as_slice())?;
                Ok(())
            })
            .map_err(|e| self.tx_error("recording an attempt", e))?;
        self.written()
    }

    fn get_attempt(&self, user: &UserKey, id: &AttemptId) -> StoreResult<Option<Attempt>> {
        let Some(primary) = self.get_raw(TreeId::AttemptIds, &keys::attempt_id_key(user, id))?
        else {
            return Ok(None);
        };
        match self.get_raw(TreeId::Attempts, &primary)? {
            Some(bytes) => Ok(Some(self.decode(TreeId::Attempts, &primary, &bytes)?)),
            None => Ok(None),
        }
    }

    fn history(&self, user: &UserKey, limit: usize) -> StoreResult<Vec<Attempt>> {
        self.tree(TreeId::Attempts)
            .scan_prefix(keys::user_prefix(user))
            .take(limit)
            .map(|entry| {
                let (key, value) = entry.map_err(|e| self.sled_error("reading history", e))?;
                self.decode(TreeId::Attempts, &key, &value)
            })
            .collect()
    }

    fn attempt_count(&self, user: &UserKey) -> StoreResult<usize> {
        let mut count = 0;
        for entry in self
            .tree(TreeId::AttemptIds)
            .scan_prefix(keys::user_prefix(user))
            .keys()
        {
            entry.map_err(|e| self.sled_error("counting attempts", e))?;
            count += 1;
        }
        Ok(count)
    }

    fn put_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let value = self.encode(session)?;
        let new_members: Vec<Vec<u8>> = session
            .members()
            .into_iter()
            .map(|m| keys::session_member_key(m, &session.key))
            .collect();
        (
            self.tree(TreeId::Sessions),
            self.tree(TreeId::SessionMembers),
        )
            .transaction(|(sessions, members)| {
                let old = sessions.insert(session.key.as_bytes(), value.as_slice())?;
                // An undecodable old record leaves stale index entries; `sessions_of` filters
                // those by membership, so they are harmless.
                if let Some(old) =
                    old.and_then(|b| serde_json::from_slice::<SessionRecord>(&b).ok())
                {
                    for member in old.members() {
                        let k = keys::session_member_key(member, &session.key);
                        if !new_members.contains(&k) {
                            members.remove(k)?;
                        }
                    }
                }
                for k in &new_members {
                    members.insert(k.as_slice(), &[] as &[u8])?;
                }
                Ok(())
            })
            .map_err(|e| self.tx_error("saving a session", e))?;
        self.written()
    }

    fn get_session(&self, key: &str) -> StoreResult<Option<SessionRecord>> {
        match self.get_raw(TreeId::Sessions, key.as_bytes())? {
            Some(bytes) => Ok(Some(self.decode(
                TreeId::Sessions,
                key.as_bytes(),
                &bytes,
            )?)),
            None => Ok(None),
        }
    }

    fn delete_session(&self, key: &str) -> StoreResult<bool> {
        let record = self.get_session(key)?;
        let mut removals = Vec::new();
        let mut message_keys = HashSet::new();
        match &record {
            Some(session) => self.session_removals(session, &mut removals, &mut message_keys)?,
            None => {
                // No record, but messages may have been collected under the key.
                for (k, message) in self.session_messages(key)? {
                    removals.push((
                        TreeId::MessagesByAuthor,
                        keys::message_author_key(&message.author, key, message.message_id),
                    ));
                    removals.push((TreeId::Messages, k));
                }
            }
        }
        let existed = record.is_some() || !removals.is_empty();
        self.remove_all("deleting a session", &removals)?;
        Ok(existed)
    }

    fn list_sessions(&self) -> StoreResult<Vec<SessionRecord>> {
        self.tree(TreeId::Sessions)
            .iter()
            .map(|entry| {
                let (key, value) = entry.map_err(|e| self.sled_error("listing sessions", e))?;
                self.decode(TreeId::Sessions, &key, &value)
            })
            .collect()
    }

    fn for_each_session(
        &self,
        key_prefix: &str,
        visit: &mut dyn FnMut(SessionRecord),
    ) -> StoreResult<()> {
        for entry in self
            .tree(TreeId::Sessions)
            .scan_prefix(key_prefix.as_bytes())
        {
            let (key, value) = entry.map_err(|e| self.sled_error("listing sessions", e))?;
            visit(self.decode(TreeId::Sessions, &key, &value)?);
        }
        Ok(())
    }

    fn sessions_of(&self, user: &UserKey) -> StoreResult<Vec<SessionRecord>> {
        let prefix = keys::user_prefix(user);
        let mut out = Vec::new();
        for (index_key, _) in self.scan(TreeId::SessionMembers, &prefix)? {
            let session_key = index_key.get(prefix.len()..).unwrap_or_default();
            let Ok(session_key) = std::str::from_utf8(session_key) else {
                continue;
            };
            if let Some(session) = self.get_session(session_key)? {
                if session.members().contains(&user) {
                    out.push(session);
                }
            }
        }
        Ok(out)
    }

    fn upsert_message(
        &self,
        session_key: &str,
        message: &CollectedMessage,
    ) -> StoreResult<MessageUpsert> {
        let key = keys::message_key(session_key, message.message_id);
        let author_key = keys::message_author_key(&message.author, session_key, message.message_id);
        let value = self.encode(message)?;
        let path = self.path.clone();
        let outcome = (
            self.tree(TreeId::Messages),
            self.tree(TreeId::MessagesByAuthor),
        )
            .transaction(|(messages, by_author)| {
                let old = messages.get(key.as_slice())?;
                let old: Option<CollectedMessage> = match old {
                    Some(bytes) => Some(
                        decode(&path, TreeId::Messages, &key, &bytes)
                            .map_err(ConflictableTransactionError::Abort)?,
                    ),
                    None => None,
                };
                if let Some(old) = &old {
                    if old.author == message.author && old.text == message.text {
                        return Ok(MessageUpsert::Unchanged);
                    }
                    if old.author != message.author {
                        by_author.remove(keys::message_author_key(
                            &old.author,
                            session_key,
                            old.message_id,
                        ))?;
                    }
                }
                messages.insert(key.as_slice(), value.as_slice())?;
                by_author.insert(author_key.as_slice(), &[] as &[u8])?;
                Ok(if old.is_some() {
                    MessageUpsert::Updated
                } else {
                    MessageUpsert::Inserted
                })
            })
            .map_err(|e| self.tx_error("collecting a message", e))?;
        if outcome != MessageUpsert::Unchanged {
            self.written()?;
        }
        Ok(outcome)
    }

    fn remove_message(&self, session_key: &str, message_id: u64) -> StoreResult<bool> {
        let key = keys::message_key(session_key, message_id);
        let removed = (
            self.tree(TreeId::Messages),
            self.tree(TreeId::MessagesByAuthor),
        )
            .transaction(|(messages, by_author)| {
                let Some(old) = messages.remove(key.as_slice())? else {
                    return Ok(false);
                };
                if let Ok(old) = serde_json::from_slice::<CollectedMessage>(&old) {
                    by_author.remove(keys::message_author_key(
                        &old.author,
                        session_key,
                        message_id,
                    ))?;
                }
                Ok(true)
            })
            .map_err(|e| self.tx_error("removing a message", e))?;
        if removed {
            self.written()?;
        }
        Ok(removed)
    }

    fn messages(&self, session_key: &str) -> StoreResult<Vec<CollectedMessage>> {
        Ok(self
            .session_messages(session_key)?
            .into_iter()
            .map(|(_, message)| message)
            .collect())
    }

    fn put_user_settings(&self, user: &UserKey, settings: &serde_json::Value) -> StoreResult<()> {
        let value = self.encode(settings)?;
        self.put_raw(TreeId::UserSettings, &keys::user_prefix(user), value)
    }

    fn user_settings(&self, user: &UserKey) -> StoreResult<Option<serde_json::Value>> {
        let key = keys::user_prefix(user);
        match self.get_raw(TreeId::UserSettings, &key)? {
            Some(bytes) => Ok(Some(self.decode(TreeId::UserSettings, &key, &bytes)?)),
            None => Ok(None),
        }
    }

    fn delete_user_settings(&self, user: &UserKey) -> StoreResult<bool> {
        self.remove_raw(TreeId::UserSettings, &keys::user_prefix(user))
    }

    fn put_guild_settings(&self, guild: &str, settings: &serde_json::Value) -> StoreResult<()> {
        let value = self.encode(settings)?;
        self.put_raw(TreeId::GuildSettings, guild.as_bytes(), value)
    }

    fn guild_settings(&self, guild: &str) -> StoreResult<Option<serde_json::Value>> {
        match self.get_raw(TreeId::GuildSettings, guild.as_bytes())? {
            Some(bytes) => Ok(Some(self.decode(
                TreeId::GuildSettings,
                guild.as_bytes(),
                &bytes,
            )?)),
            None => Ok(None),
        }
    }

    fn delete_guild_settings(&self, guild: &str) -> StoreResult<bool> {
        self.remove_raw(TreeId::GuildSettings, guild.as_bytes())
    }

    fn list_guild_settings(&self) -> StoreResult<Vec<(String, serde_json::Value)>> {
        self.tree(TreeId::GuildSettings)
            .iter()
            .map(|entry| {
                let (key, value) =
                    entry.map_err(|e| self.sled_error("listing server settings", e))?;
                let guild = String::from_utf8_lossy(&key).into_owned();
                Ok((guild, self.decode(TreeId::GuildSettings, &key, &value)?))
            })
            .collect()
    }

    fn put_marker(&self, namespace: &str, key: &str, value: &serde_json::Value) -> StoreResult<()> {
        self.put_marker_inner(None, namespace, key, value)
    }

    fn put_user_marker(
        &self,
        owner: &UserKey,
        namespace: &str,
        key: &str,
        value: &serde_json::Value,
    ) -> StoreResult<()> {
        self.put_marker_inner(Some(owner), namespace, key, value)
    }

    fn claim_marker(
        &self,
        namespace: &str,
        key: &str,
        value: &serde_json::Value,
    ) -> StoreResult<bool> {
        let envelope = self.encode(&MarkerEnvelope {
            owner: None,
            value: value.clone(),
        })?;
        let swapped = self
            .tree(TreeId::Markers)
            .compare_and_swap(
                keys::marker_key(namespace, key),
                None as Option<&[u8]>,
                Some(envelope),
            )
            .map_err(|e| self.sled_error("claiming a marker", e))?;
        if swapped.is_ok() {
            self.written()?;
        }
        Ok(swapped.is_ok())
    }

    fn get_marker(&self, namespace: &str, key: &str) -> StoreResult<Option<serde_json::Value>> {
        let marker_key = keys::marker_key(namespace, key);
        match self.get_raw(TreeId::Markers, &marker_key)? {
            Some(bytes) => {
                let envelope: MarkerEnvelope = self.decode(TreeId::Markers, &marker_key, &bytes)?;
                Ok(Some(envelope.value))
            }
            None => Ok(None),
        }
    }

    fn delete_marker(&self, namespace: &str, key: &str) -> StoreResult<bool> {
        let marker_key = keys::marker_key(namespace, key);
        let path = self.path.clone();
        let removed = (
            self.tree(TreeId::Markers),
            self.tree(TreeId::MarkersByOwner),
        )
            .transaction(|(markers, by_owner)| {
                let old = markers.remove(marker_key.as_slice())?;
                if let Some(owner) = old_owner(&path, &marker_key, old.as_deref()) {
                    let mut k = keys::user_prefix(&owner);
                    k.extend_from_slice(&marker_key);
                    by_owner.remove(k)?;
                }
                Ok(old.is_some())
            })
            .map_err(|e| self.tx_error("deleting a marker", e))?;
        if removed {
            self.written()?;
        }
        Ok(removed)
    }

    fn list_markers(
        &self,
        namespace: &str,
        key_prefix: &str,
    ) -> StoreResult<Vec<(String, serde_json::Value)>> {
        self.scan(TreeId::Markers, &keys::marker_key(namespace, key_prefix))?
            .into_iter()
            .map(|(key, value)| {
                let envelope: MarkerEnvelope = self.decode(TreeId::Markers, &key, &value)?;
                let (_, marker) = keys::split_marker_key(&key).unwrap_or_default();
                Ok((marker, envelope.value))
            })
            .collect()
    }

    fn export_user(&self, user: &UserKey) -> StoreResult<serde_json::Value> {
        let attempts = self.history(user, usize::MAX)?;
        let owned: Vec<SessionRecord> = self
            .sessions_of(user)?
            .into_iter()
            .filter(|s| &s.owner == user)
            .collect();
        let messages = self
            .messages_by(user)?
            .into_iter()
            .filter_map(|(_, session, message)| message.map(|m| (session, m)))
            .collect();
        let settings = self.user_settings(user)?;
        let prefix = keys::user_prefix(user);
        let mut markers = Vec::new();
        for (index_key, _) in self.scan(TreeId::MarkersByOwner, &prefix)? {
            let marker_key = index_key.get(prefix.len()..).unwrap_or_default();
            let Some((namespace, key)) = keys::split_marker_key(marker_key) else {
                continue;
            };
            if let Some(bytes) = self.get_raw(TreeId::Markers, marker_key)? {
                let envelope: MarkerEnvelope = self.decode(TreeId::Markers, marker_key, &bytes)?;
                markers.push((namespace, key, envelope.value));
            }
        }
        Ok(export_document(
            user, attempts, owned, messages, settings, markers,
        ))
    }

    fn forget_user(&self, user: &UserKey) -> StoreResult<ForgetReport> {
        let prefix = keys::user_prefix(user);
        let mut report = ForgetReport::default();
        let mut removals: Vec<(TreeId, Vec<u8>)> = Vec::new();
        let mut message_keys: HashSet<Vec<u8>> = HashSet::new();

        for (index_key, primary) in self.scan(TreeId::AttemptIds, &prefix)? {
            removals.push((TreeId::Attempts, primary.to_vec()));
            removals.push((TreeId::AttemptIds, index_key.to_vec()));
            report.attempts += 1;
        }
        // Sweep the attempts tree too, in case an index entry was lost.
        for (key, _) in self.scan(TreeId::Attempts, &prefix)? {
            removals.push((TreeId::Attempts, key.to_vec()));
        }

        for session in self.sessions_of(user)? {
            self.session_removals(&session, &mut removals, &mut message_keys)?;
            report.sessions.push(session.key);
        }
        for (index_key, _) in self.scan(TreeId::SessionMembers, &prefix)? {
            removals.push((TreeId::SessionMembers, index_key.to_vec()));
        }

        for (index_key, session_key, message) in self.messages_by(user)? {
            removals.push((TreeId::MessagesByAuthor, index_key));
            if let Some(message) = message {
                let key = keys::message_key(&session_key, message.message_id);
                removals.push((TreeId::Messages, key.clone()));
                message_keys.insert(key);
            }
        }
        report.messages = message_keys.len();

        if self.get_raw(TreeId::UserSettings, &prefix)?.is_some() {
            removals.push((TreeId::UserSettings, prefix.clone()));
            report.user_settings = true;
        }

        for (index_key, _) in self.scan(TreeId::MarkersByOwner, &prefix)? {
            if let Some(marker_key) = index_key.get(prefix.len()..) {
                removals.push((TreeId::Markers, marker_key.to_vec()));
            }
            removals.push((TreeId::MarkersByOwner, index_key.to_vec()));
            report.markers += 1;
        }

        self.remove_all("forgetting a user", &removals)?;
        Ok(report)
    }

    fn contains_bytes(&self, needle: &[u8]) -> StoreResult<bool> {
        if needle.is_empty() {
            return Ok(true);
        }
        let has = |haystack: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
        for name in self.db.tree_names() {
            if has(&name) {
                return Ok(true);
            }
            let tree = self
                .db
                .open_tree(&name)
                .map_err(|e| self.sled_error("scanning the store", e))?;
            for entry in tree.iter() {
                let (key, value) = entry.map_err(|e| self.sled_error("scanning the store", e))?;
                if has(&key) || has(&value) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    fn flush(&self) -> StoreResult<()> {
        self.db
            .flush()
            .map(|_| ())
            .map_err(|e| self.sled_error("flushing to disk", e))
    }
}

fn decode<T: DeserializeOwned>(
    path: &Path,
    tree: TreeId,
    key: &[u8],
    bytes: &[u8],
) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Decode {
        path: path.to_path_buf(),
        tree: tree.name(),
        key: keys::display_key(key),
        detail: e.to_string(),
    })
}

/// The owner recorded in a marker's old value, if it had one and it can be read.
fn old_owner(path: &Path, key: &[u8], old: Option<&[u8]>) -> Option<UserKey> {
    let envelope: MarkerEnvelope = decode(path, TreeId::Markers, key, old?).ok()?;
    envelope.owner
}

pub(super) fn classify(path: &Path, action: &'static str, error: sled::Error) -> StoreError {
    match error {
        sled::Error::Io(source) => StoreError::Io {
            path: path.to_path_buf(),
            action,
            source,
        },
        sled::Error::Corruption { at, .. } => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: match at {
                Some(at) => format!("corruption detected at {at:?} while {action}"),
                None => format!("corruption detected while {action}"),
            },
        },
        other => StoreError::Backend {
            path: path.to_path_buf(),
            action,
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_ids_index_their_own_slot() {
        for (index, id) in TreeId::ALL.iter().enumerate() {
            assert_eq!(*id as usize, index, "{}", id.name());
        }
    }

    /// Raw sled open for tests, waiting out the lock a just-dropped store releases late.
    fn raw_open(path: &Path) -> sled::Db {
        let started = std::time::Instant::now();
        loop {
            match sled::open(path) {
                Ok(db) => return db,
                Err(e) if started.elapsed() > std::time::Duration::from_secs(3) => {
                    panic!("cannot open {}: {e}", path.display())
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
    }

    /// Writes a raw schema value, as another version would have.
    pub(crate) fn overwrite_schema(path: &Path, raw: &[u8]) {
        let db = raw_open(path);
        db.insert(sled_files::SCHEMA_KEY, raw).unwrap();
        db.flush().unwrap();
    }

    #[test]
    fn a_newer_schema_is_refused_naming_both_versions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        drop(SledStore::open(&path).unwrap());
        overwrite_schema(&path, &7u32.to_be_bytes());
        let err = SledStore::open(&path).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, StoreError::UnsupportedSchema { .. }),
            "{text}"
        );
        assert!(text.contains("schema version 7"), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
    }

    #[test]
    fn a_sled_database_without_our_schema_is_not_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other");
        {
            let db = sled::open(&path).unwrap();
            db.open_tree("theirs").unwrap().insert(b"k", b"v").unwrap();
            db.flush().unwrap();
        }
        let err = SledStore::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::NotABarRaiserStore { .. }),
            "{err}"
        );
    }
}
