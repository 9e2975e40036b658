//! The store's behaviour, run against both implementations (so they cannot drift), plus what
//! only a real sled database in a temp dir can show: reopening, locking, damage, permissions.

use std::path::Path;

use bar_raiser::store::{
    Attempt, AttemptId, AttemptSummary, CollectedMessage, MemoryStore, MessageUpsert, Mode,
    SessionRecord, SledStore, StarPresence, Store, StoreError, UserKey,
};
use jiff::Timestamp;
use serde_json::json;

fn at(text: &str) -> Timestamp {
    text.parse().expect("test timestamp")
}

fn alice() -> UserKey {
    UserKey::local("alice-7f3a")
}

fn bob() -> UserKey {
    UserKey::local("bob-91c2")
}

fn attempt(user: &UserKey, id: &str, finished: &str, answer: &str) -> Attempt {
    Attempt {
        id: AttemptId::new(id),
        user: user.clone(),
        question_id: format!("question-{id}"),
        lps: vec!["ownership".into()],
        answer: answer.into(),
        summary: AttemptSummary {
            score: 3,
            star: StarPresence {
                situation: true,
                task: true,
                action: true,
                result: false,
            },
            missing: vec!["result".into()],
            singular: 4,
            plural: 1,
            hypothetical: false,
            quantified_result: false,
            words: 120,
        },
        mode: Mode::Solo,
        guild: Some("guild-1".into()),
        started_at: at(finished),
        finished_at: at(finished),
    }
}

fn message(id: u64, author: &UserKey, text: &str) -> CollectedMessage {
    CollectedMessage {
        message_id: id,
        author: author.clone(),
        text: text.into(),
        at: at("2024-05-01T10:00:00Z"),
    }
}

fn session(key: &str, owner: &UserKey, participants: &[&UserKey]) -> SessionRecord {
    SessionRecord {
        key: key.into(),
        owner: owner.clone(),
        participants: participants.iter().map(|u| (*u).clone()).collect(),
        state: json!({ "phase": "answering", "question": "q1" }),
        updated_at: at("2024-05-01T10:00:00Z"),
    }
}

fn ids(attempts: &[Attempt]) -> Vec<&str> {
    attempts.iter().map(|a| a.id.as_str()).collect()
}

/// Behaviour every `Store` must have. Each function gets a fresh, empty store.
mod behaviour {
    use super::*;

    pub fn history_is_newest_first_limited_and_counted(store: &dyn Store) {
        let user = alice();
        store
            .record_attempt(&attempt(&user, "b", "2024-05-02T10:00:00Z", "two"))
            .unwrap();
        store
            .record_attempt(&attempt(&user, "a", "2024-05-01T10:00:00Z", "one"))
            .unwrap();
        store
            .record_attempt(&attempt(&user, "c", "2024-05-03T10:00:00Z", "three"))
            .unwrap();
        // Same instant as "b": ties go by id.
        store
            .record_attempt(&attempt(&user, "b2", "2024-05-02T10:00:00Z", "two too"))
            .unwrap();

        assert_eq!(
            ids(&store.history(&user, 10).unwrap()),
            vec!["c", "b", "b2", "a"]
        );
        assert_eq!(ids(&store.history(&user, 2).unwrap()), vec!["c", "b"]);
        assert!(store.history(&user, 0).unwrap().is_empty());
        assert_eq!(store.attempt_count(&user).unwrap(), 4);
        let got = store
            .get_attempt(&user, &AttemptId::new("a"))
            .unwrap()
            .unwrap();
        assert_eq!(got, attempt(&user, "a", "2024-05-01T10:00:00Z", "one"));
        assert_eq!(
            store.get_attempt(&user, &AttemptId::new("zz")).unwrap(),
            None
        );
    }

    pub fn recording_the_same_id_updates_in_place(store: &dyn Store) {
        let user = alice();
        store
            .record_attempt(&attempt(
                &user,
                "daily:g1:2024-05-01",
                "2024-05-01T09:00:00Z",
                "first",
            ))
            .unwrap();
        store
            .record_attempt(&attempt(&user, "other", "2024-05-01T10:00:00Z", "other"))
            .unwrap();
        // Re-analysed later with more text: same id, later finish.
        let updated = attempt(
            &user,
            "daily:g1:2024-05-01",
            "2024-05-01T11:00:00Z",
            "first and more",
        );
        store.record_attempt(&updated).unwrap();

        assert_eq!(store.attempt_count(&user).unwrap(), 2);
        let history = store.history(&user, 10).unwrap();
        assert_eq!(ids(&history), vec!["daily:g1:2024-05-01", "other"]);
        assert_eq!(history[0].answer, "first and more");
        assert_eq!(
            store.get_attempt(&user, &updated.id).unwrap().as_ref(),
            Some(&updated)
        );
    }

    pub fn users_do_not_see_each_other(store: &dyn Store) {
        // "local:al" is a prefix of "local:alice…": it must still be a different user.
        let al = UserKey::local("al");
        store
            .record_attempt(&attempt(&alice(), "x", "2024-05-01T10:00:00Z", "alice's"))
            .unwrap();
        store
            .record_attempt(&attempt(&al, "y", "2024-05-01T11:00:00Z", "al's"))
            .unwrap();
        assert_eq!(ids(&store.history(&alice(), 10).unwrap()), vec!["x"]);
        assert_eq!(ids(&store.history(&al, 10).unwrap()), vec!["y"]);
        assert_eq!(store.attempt_count(&bob()).unwrap(), 0);
        assert!(store.history(&bob(), 10).unwrap().is_empty());
    }

    pub fn messages_are_idempotent_by_id_and_ordered(store: &dyn Store) {
        let key = "solo:local:alice-7f3a";
        let user = alice();
        assert_eq!(
            store
                .upsert_message(key, &message(30, &user, "third"))
                .unwrap(),
            MessageUpsert::Inserted
        );
        assert_eq!(
            store
                .upsert_message(key, &message(10, &user, "first"))
                .unwrap(),
            MessageUpsert::Inserted
        );
        assert_eq!(
            store
                .upsert_message(key, &message(20, &user, "second"))
                .unwrap(),
            MessageUpsert::Inserted
        );
        // A replayed event: nothing changes, nothing doubles.
        let replay = store
            .upsert_message(key, &message(10, &user, "first"))
            .unwrap();
        assert_eq!(replay, MessageUpsert::Unchanged);
        assert!(!replay.is_new());
        // An edit replaces the text.
        assert_eq!(
            store
                .upsert_message(key, &message(20, &user, "second, edited"))
                .unwrap(),
            MessageUpsert::Updated
        );
        let texts: Vec<String> = store
            .messages(key)
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .collect();
        assert_eq!(texts, vec!["first", "second, edited", "third"]);

        // A delete removes it; deleting again or an unknown id says so.
        assert!(store.remove_message(key, 30).unwrap());
        assert!(!store.remove_message(key, 30).unwrap());
        assert!(!store.remove_message("no-such-session", 1).unwrap());
        let ids: Vec<u64> = store
            .messages(key)
            .unwrap()
            .iter()
            .map(|m| m.message_id)
            .collect();
        assert_eq!(ids, vec![10, 20]);
        // Another session's messages are separate.
        assert!(store.messages("solo:local:bob-91c2").unwrap().is_empty());
    }

    pub fn sessions_put_get_list_and_delete_with_their_messages(store: &dyn Store) {
        let solo = session("solo:a", &alice(), &[]);
        let group = session("group:chan-1", &bob(), &[&alice()]);
        store.put_session(&solo).unwrap();
        store.put_session(&group).unwrap();
        store
            .upsert_message("solo:a", &message(1, &alice(), "hi"))
            .unwrap();

        assert_eq!(store.get_session("solo:a").unwrap(), Some(solo.clone()));
        assert_eq!(store.get_session("nope").unwrap(), None);
        let keys: Vec<String> = store
            .list_sessions()
            .unwrap()
            .into_iter()
            .map(|s| s.key)
            .collect();
        assert_eq!(keys, vec!["group:chan-1", "solo:a"]);
        let of_alice: Vec<String> = store
            .sessions_of(&alice())
            .unwrap()
            .into_iter()
            .map(|s| s.key)
            .collect();
        assert_eq!(of_alice, vec!["group:chan-1", "solo:a"]);

        // Alice leaves the group: it is no longer hers.
        let mut without_alice = group.clone();
        without_alice.participants.clear();
        without_alice.state = json!({ "phase": "round 2" });
        store.put_session(&without_alice).unwrap();
        let of_alice: Vec<String> = store
            .sessions_of(&alice())
            .unwrap()
            .into_iter()
            .map(|s| s.key)
            .collect();
        assert_eq!(of_alice, vec!["solo:a"]);
        assert_eq!(
            store.get_session("group:chan-1").unwrap().unwrap().state,
            json!({ "phase": "round 2" })
        );

        assert!(store.delete_session("solo:a").unwrap());
        assert!(!store.delete_session("solo:a").unwrap());
        assert!(store.messages("solo:a").unwrap().is_empty());
        assert!(store.sessions_of(&alice()).unwrap().is_empty());
        assert_eq!(store.list_sessions().unwrap().len(), 1);
    }

    pub fn sessions_are_visited_by_key_prefix(store: &dyn Store) {
        for key in ["solo:b", "group:chan-1", "solo:a", "solo", "solx:c"] {
            store.put_session(&session(key, &alice(), &[])).unwrap();
        }
        let visited = |prefix: &str| {
            let mut keys = Vec::new();
            store
                .for_each_session(prefix, &mut |record| keys.push(record.key))
                .unwrap();
            keys
        };
        assert_eq!(visited("solo:"), vec!["solo:a", "solo:b"]);
        assert_eq!(visited("group:"), vec!["group:chan-1"]);
        assert_eq!(visited("nothing:"), Vec::<String>::new());
        assert_eq!(visited("").len(), 5);
        // What is visited is the stored record, not just its key.
        let mut records = Vec::new();
        store
            .for_each_session("solo:a", &mut |record| records.push(record))
            .unwrap();
        assert_eq!(records, vec![session("solo:a", &alice(), &[])]);
    }

    pub fn settings_round_trip(store: &dyn Store) {
        let value = json!({ "timezone": "Europe/Berlin", "lps": ["ownership"] });
        store.put_user_settings(&alice(), &value).unwrap();
        assert_eq!(store.user_settings(&alice()).unwrap(), Some(value.clone()));
        assert_eq!(store.user_settings(&bob()).unwrap(), None);
        assert!(store.delete_user_settings(&alice()).unwrap());
        assert!(!store.delete_user_settings(&alice()).unwrap());
        assert_eq!(store.user_settings(&alice()).unwrap(), None);

        store
            .put_guild_settings("g2", &json!({ "time": "09:00" }))
            .unwrap();
        store
            .put_guild_settings("g1", &json!({ "time": "08:00" }))
            .unwrap();
        store
            .put_guild_settings("g1", &json!({ "time": "08:30" }))
            .unwrap();
        assert_eq!(
            store.guild_settings("g1").unwrap(),
            Some(json!({ "time": "08:30" }))
        );
        assert_eq!(
            store.list_guild_settings().unwrap(),
            vec![
                ("g1".to_string(), json!({ "time": "08:30" })),
                ("g2".to_string(), json!({ "time": "09:00" }))
            ]
        );
        assert!(store.delete_guild_settings("g2").unwrap());
        assert_eq!(store.guild_settings("g2").unwrap(), None);
        assert_eq!(store.list_guild_settings().unwrap().len(), 1);
    }

    pub fn markers_set_list_claim_and_delete(store: &dyn Store) {
        store
            .put_marker("daily-post", "g1:2024-05-01", &json!({ "message": 5 }))
            .unwrap();
        store
            .put_marker("daily-post", "g1:2024-05-02", &json!({ "message": 6 }))
            .unwrap();
        store
            .put_marker("daily-post", "g2:2024-05-01", &json!({ "message": 7 }))
            .unwrap();
        store
            .put_marker("rotation", "g1", &json!(["q1", "q2"]))
            .unwrap();

        assert_eq!(
            store.get_marker("daily-post", "g1:2024-05-02").unwrap(),
            Some(json!({ "message": 6 }))
        );
        assert_eq!(
            store.get_marker("daily-post", "g3:2024-05-01").unwrap(),
            None
        );
        let g1: Vec<String> = store
            .list_markers("daily-post", "g1:")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(g1, vec!["g1:2024-05-01", "g1:2024-05-02"]);
        assert_eq!(store.list_markers("rotation", "").unwrap().len(), 1);

        // Claim: only the first caller gets it; the value is not overwritten.
        assert!(store
            .claim_marker("claim", "g1:2024-05-03", &json!("first"))
            .unwrap());
        assert!(!store
            .claim_marker("claim", "g1:2024-05-03", &json!("second"))
            .unwrap());
        assert_eq!(
            store.get_marker("claim", "g1:2024-05-03").unwrap(),
            Some(json!("first"))
        );

        // A user marker lists like any other.
        store
            .put_user_marker(&alice(), "daily-answer", "g1:2024-05-01:a", &json!(true))
            .unwrap();
        assert_eq!(
            store
                .list_markers("daily-answer", "g1:2024-05-01:")
                .unwrap(),
            vec![("g1:2024-05-01:a".to_string(), json!(true))]
        );
        assert!(store.delete_marker("daily-post", "g2:2024-05-01").unwrap());
        assert!(!store.delete_marker("daily-post", "g2:2024-05-01").unwrap());
        assert_eq!(
            store.get_marker("daily-post", "g2:2024-05-01").unwrap(),
            None
        );
    }

    /// Alice and Bob both have data, including a group session both wrote in.
    fn two_users(store: &dyn Store) {
        store
            .record_attempt(&attempt(
                &alice(),
                "a1",
                "2024-05-01T10:00:00Z",
                "ALICE-STORY",
            ))
            .unwrap();
        store
            .record_attempt(&attempt(&bob(), "b1", "2024-05-01T11:00:00Z", "BOB-STORY"))
            .unwrap();
        store
            .put_session(&session("solo:local:alice-7f3a", &alice(), &[]))
            .unwrap();
        store
            .upsert_message(
                "solo:local:alice-7f3a",
                &message(1, &alice(), "ALICE-SOLO-MSG"),
            )
            .unwrap();
        store
            .put_session(&session("solo:bob", &bob(), &[]))
            .unwrap();
        store
            .upsert_message("solo:bob", &message(2, &bob(), "BOB-SOLO-MSG"))
            .unwrap();
        store
            .put_session(&session("group:chan-9", &bob(), &[&alice()]))
            .unwrap();
        store
            .upsert_message("group:chan-9", &message(3, &alice(), "ALICE-GROUP-MSG"))
            .unwrap();
        store
            .upsert_message("group:chan-9", &message(4, &bob(), "BOB-GROUP-MSG"))
            .unwrap();
        // A message Alice wrote in a session with no record (e.g. a daily thread).
        store
            .upsert_message(
                "daily:g1:2024-05-01",
                &message(5, &alice(), "ALICE-DAILY-MSG"),
            )
            .unwrap();
        store
            .put_user_settings(&alice(), &json!({ "tz": "ALICE-TZ" }))
            .unwrap();
        store
            .put_user_settings(&bob(), &json!({ "tz": "BOB-TZ" }))
            .unwrap();
        store
            .put_user_marker(
                &alice(),
                "daily-answer",
                "g1:2024-05-01:local:alice-7f3a",
                &json!("ALICE-MARK"),
            )
            .unwrap();
        store
            .put_user_marker(
                &bob(),
                "daily-answer",
                "g1:2024-05-01:local:bob-91c2",
                &json!("BOB-MARK"),
            )
            .unwrap();
        store
            .put_guild_settings("g1", &json!({ "time": "09:00" }))
            .unwrap();
    }

    pub fn export_holds_all_of_the_users_data_and_nothing_else(store: &dyn Store) {
        two_users(store);
        let export = store.export_user(&alice()).unwrap();
        let text = export.to_string();
        for mine in [
            "ALICE-STORY",
            "ALICE-SOLO-MSG",
            "ALICE-GROUP-MSG",
            "ALICE-DAILY-MSG",
            "ALICE-TZ",
            "ALICE-MARK",
        ] {
            assert!(text.contains(mine), "export lacks {mine}: {text}");
        }
        for theirs in ["bob", "BOB"] {
            assert!(!text.contains(theirs), "export leaks {theirs}: {text}");
        }
        assert_eq!(export["user"], json!("local:alice-7f3a"));
        assert_eq!(export["attempts"].as_array().map(Vec::len), Some(1));
        assert_eq!(export["sessions"].as_array().map(Vec::len), Some(1));
        assert_eq!(export["messages"].as_array().map(Vec::len), Some(3));
    }

    pub fn forget_leaves_no_trace_and_keeps_others(store: &dyn Store) {
        two_users(store);
        assert!(store.contains_bytes(b"alice-7f3a").unwrap());
        let report = store.forget_user(&alice()).unwrap();

        assert!(
            !store.contains_bytes(b"alice-7f3a").unwrap(),
            "a trace of the user is left after forget"
        );
        for text in [
            "ALICE-STORY",
            "ALICE-SOLO-MSG",
            "ALICE-GROUP-MSG",
            "ALICE-DAILY-MSG",
            "ALICE-TZ",
            "ALICE-MARK",
        ] {
            assert!(
                !store.contains_bytes(text.as_bytes()).unwrap(),
                "{text} survived"
            );
        }
        assert_eq!(report.attempts, 1);
        let mut sessions = report.sessions.clone();
        sessions.sort();
        assert_eq!(sessions, vec!["group:chan-9", "solo:local:alice-7f3a"]);
        // Alice's solo + group message, Bob's group message (the session ended), the daily one.
        assert_eq!(report.messages, 4);
        assert!(report.user_settings);
        assert_eq!(report.markers, 1);

        // Bob keeps what is his alone.
        assert_eq!(ids(&store.history(&bob(), 10).unwrap()), vec!["b1"]);
        assert_eq!(store.messages("solo:bob").unwrap().len(), 1);
        assert!(store.get_session("solo:bob").unwrap().is_some());
        assert_eq!(
            store.user_settings(&bob()).unwrap(),
            Some(json!({ "tz": "BOB-TZ" }))
        );
        assert!(store.contains_bytes(b"BOB-MARK").unwrap());
        assert_eq!(
            store.guild_settings("g1").unwrap(),
            Some(json!({ "time": "09:00" }))
        );
        assert_eq!(store.attempt_count(&alice()).unwrap(), 0);
        assert_eq!(store.export_user(&alice()).unwrap()["attempts"], json!([]));

        // Forgetting twice is harmless.
        let again = store.forget_user(&alice()).unwrap();
        assert_eq!(again.attempts + again.messages + again.markers, 0);
        assert!(again.sessions.is_empty());
    }
}

/// Generates one `#[test]` per behaviour for a store built by `$make` (which returns the store
/// and whatever must live as long as it).
macro_rules! behaviour_suite {
    ($suite:ident, $make:expr) => {
        mod $suite {
            use super::*;

            behaviour_suite!(@tests $make;
                history_is_newest_first_limited_and_counted,
                recording_the_same_id_updates_in_place,
                users_do_not_see_each_other,
                messages_are_idempotent_by_id_and_ordered,
                sessions_put_get_list_and_delete_with_their_messages,
                sessions_are_visited_by_key_prefix,
                settings_round_trip,
                markers_set_list_claim_and_delete,
                export_holds_all_of_the_users_data_and_nothing_else,
                forget_leaves_no_trace_and_keeps_others,
            );
        }
    };
    (@tests $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                let (store, _keep) = $make;
                behaviour::$name(&*store);
            }
        )+
    };
}

fn memory_store() -> (Box<dyn Store>, ()) {
    (Box::new(MemoryStore::new()), ())
}

fn sled_store() -> (Box<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path().join("store")).unwrap();
    (Box::new(store), dir)
}

behaviour_suite!(on_memory, memory_store());
behaviour_suite!(on_sled, sled_store());

// --- sled only ------------------------------------------------------------------------------

fn store_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("store");
    (dir, path)
}

#[test]
fn everything_survives_a_reopen() {
    let (_dir, path) = store_dir();
    {
        let store = SledStore::open(&path).unwrap();
        store
            .record_attempt(&attempt(&alice(), "a1", "2024-05-01T10:00:00Z", "kept"))
            .unwrap();
        store
            .record_attempt(&attempt(&alice(), "a2", "2024-05-02T10:00:00Z", "kept too"))
            .unwrap();
        store
            .put_session(&session("solo:a", &alice(), &[]))
            .unwrap();
        store
            .upsert_message("solo:a", &message(7, &alice(), "m7"))
            .unwrap();
        store
            .upsert_message("solo:a", &message(3, &alice(), "m3"))
            .unwrap();
        store
            .put_guild_settings("g1", &json!({ "time": "09:00" }))
            .unwrap();
        store
            .put_marker("daily-post", "g1:2024-05-01", &json!(1))
            .unwrap();
        store.close().unwrap();
    }
    let store = SledStore::open(&path).unwrap();
    assert_eq!(ids(&store.history(&alice(), 10).unwrap()), vec!["a2", "a1"]);
    assert_eq!(
        store.list_sessions().unwrap(),
        vec![session("solo:a", &alice(), &[])]
    );
    let texts: Vec<String> = store
        .messages("solo:a")
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, vec!["m3", "m7"]);
    // Replayed after the restart: still no duplicate.
    assert_eq!(
        store
            .upsert_message("solo:a", &message(7, &alice(), "m7"))
            .unwrap(),
        MessageUpsert::Unchanged
    );
    assert_eq!(
        store.guild_settings("g1").unwrap(),
        Some(json!({ "time": "09:00" }))
    );
    assert_eq!(
        store.get_marker("daily-post", "g1:2024-05-01").unwrap(),
        Some(json!(1))
    );
    assert!(!store
        .claim_marker("daily-post", "g1:2024-05-01", &json!(2))
        .unwrap());
}

#[test]
fn a_second_open_while_the_first_is_open_is_refused_as_locked() {
    let (_dir, path) = store_dir();
    let first = SledStore::open(&path).unwrap();
    let err = SledStore::open(&path).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Locked { .. }), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("is another bar-raiser running?"), "{text}");
    // The first one still works.
    first.put_guild_settings("g", &json!(1)).unwrap();
}

#[test]
fn reopening_right_after_a_drop_is_not_mistaken_for_another_process() {
    let (_dir, path) = store_dir();
    for round in 0..10u64 {
        let store = SledStore::open(&path).unwrap();
        store
            .upsert_message("solo:r", &message(round, &alice(), "again"))
            .unwrap();
        drop(store);
    }
    let store = SledStore::open(&path).unwrap();
    assert_eq!(store.messages("solo:r").unwrap().len(), 10);
}

fn assert_corrupt_naming(path: &Path, result: Result<SledStore, StoreError>) {
    let err = result.expect_err("a damaged store must not open");
    let text = err.to_string();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
}

#[test]
fn garbage_files_give_a_clear_error_not_a_panic() {
    let (_dir, path) = store_dir();
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("conf"), b"\x00\xffnot a config\n\n").unwrap();
    std::fs::write(path.join("db"), vec![0xAB; 4096]).unwrap();
    assert_corrupt_naming(&path, SledStore::open(&path));
}

#[test]
fn a_database_whose_data_was_lost_is_refused_not_recreated_empty() {
    for damage in ["truncate", "garbage"] {
        let (_dir, path) = store_dir();
        {
            let store = SledStore::open(&path).unwrap();
            store
                .record_attempt(&attempt(&alice(), "a1", "2024-05-01T10:00:00Z", "precious"))
                .unwrap();
        }
        let db = path.join("db");
        let len = std::fs::metadata(&db).unwrap().len();
        match damage {
            "truncate" => std::fs::OpenOptions::new()
                .write(true)
                .open(&db)
                .unwrap()
                .set_len(len / 3)
                .unwrap(),
            _ => std::fs::write(&db, vec![0xAB; len as usize]).unwrap(),
        }
        // Snapshots would let sled rebuild from stale state; remove them like a lost disk would.
        for entry in std::fs::read_dir(&path).unwrap() {
            let file = entry.unwrap().path();
            if file
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("snap."))
            {
                std::fs::remove_file(file).unwrap();
            }
        }
        match SledStore::open(&path) {
            // Either sled notices, or it opens what it can; then the data must still be there.
            Ok(store) => assert_eq!(
                store.attempt_count(&alice()).unwrap(),
                1,
                "{damage}: opened without the stored attempt"
            ),
            Err(err) => {
                let text = err.to_string();
                assert!(
                    matches!(err, StoreError::Corrupt { .. }),
                    "{damage}: {text}"
                );
                assert!(text.contains(&path.display().to_string()), "{text}");
            }
        }
    }
}

/// Raw sled open for tests, waiting out the lock a just-dropped store releases late.
fn raw_sled_open(path: &Path) -> sled::Db {
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

#[test]
fn a_newer_schema_version_is_refused() {
    let (_dir, path) = store_dir();
    drop(SledStore::open(&path).unwrap());
    {
        let db = raw_sled_open(&path);
        db.insert(b"bar-raiser/schema-version", &99u32.to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let err = SledStore::open(&path).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, StoreError::UnsupportedSchema { .. }),
        "{text}"
    );
    assert!(
        text.contains("99") && text.contains(&path.display().to_string()),
        "{text}"
    );
}

#[test]
fn a_file_where_the_directory_should_be_is_a_clear_error() {
    let (dir, _) = store_dir();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = SledStore::open(&file).unwrap_err();
    assert!(matches!(err, StoreError::BadPath { .. }), "{err}");
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[cfg(unix)]
#[test]
fn files_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = store_dir();
    let store = SledStore::open(&path).unwrap();
    store
        .record_attempt(&attempt(&alice(), "a1", "2024-05-01T10:00:00Z", "private"))
        .unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o700);
    assert_eq!(mode(path.parent().unwrap()), 0o700, "created parents too");
    for entry in std::fs::read_dir(&path).unwrap() {
        let file = entry.unwrap().path();
        let m = mode(&file);
        assert_eq!(m & 0o077, 0, "{} is mode {m:o}", file.display());
    }
}

#[cfg(unix)]
#[test]
fn only_the_stores_own_files_are_restricted_in_a_shared_folder() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = store_dir();
    std::fs::create_dir_all(&path).unwrap();
    let foreign = path.join("notes.txt");
    std::fs::write(&foreign, b"mine").unwrap();
    std::fs::set_permissions(&foreign, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = SledStore::open(&path).unwrap();
    store.put_guild_settings("g", &json!(1)).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&foreign),
        0o644,
        "a file that is not the store's was changed"
    );
    for name in ["conf", "db", "bar-raiser-store"] {
        assert_eq!(mode(&path.join(name)) & 0o077, 0, "{name}");
    }
}

#[test]
fn forget_leaves_no_trace_after_a_reopen_either() {
    let (_dir, path) = store_dir();
    {
        let store = SledStore::open(&path).unwrap();
        store
            .record_attempt(&attempt(&alice(), "a1", "2024-05-01T10:00:00Z", "gone"))
            .unwrap();
        store
            .put_session(&session("solo:x", &alice(), &[]))
            .unwrap();
        store
            .upsert_message("solo:x", &message(1, &alice(), "gone too"))
            .unwrap();
        store.forget_user(&alice()).unwrap();
    }
    let store = SledStore::open(&path).unwrap();
    assert!(!store.contains_bytes(b"alice-7f3a").unwrap());
    assert!(store.list_sessions().unwrap().is_empty());
}

#[test]
fn the_store_is_usable_as_a_shared_trait_object_across_threads() {
    let (_dir, path) = store_dir();
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(SledStore::open(&path).unwrap());
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..25u64 {
                    let id = t * 100 + i;
                    store
                        .upsert_message("group:busy", &message(id, &UserKey::discord(t), "x"))
                        .unwrap();
                    // Every message is replayed once, concurrently with the others.
                    store
                        .upsert_message("group:busy", &message(id, &UserKey::discord(t), "x"))
                        .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(store.messages("group:busy").unwrap().len(), 100);
}

/// A full disk, simulated by lowering this process's file-size limit (RLIMIT_FSIZE) in a child
/// process so no other test is affected: writes past the limit fail as they would on a full
/// disk. Failed writes must be errors (no panic), and every write that returned `Ok` must still
/// be there when the store is reopened with room again.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod full_disk {
    use super::*;

    const CHILD_ENV: &str = "BAR_RAISER_FULL_DISK_CHILD";
    const SIGXFSZ: i32 = 25;
    const SIG_IGN: usize = 1;
    const RLIMIT_FSIZE: i32 = 1;

    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
        fn setrlimit(resource: i32, limit: *const [u64; 2]) -> i32;
    }

    fn limit_file_size(bytes: u64) {
        let limit = [bytes, u64::MAX];
        // SAFETY: plain libc calls with valid arguments; ignoring SIGXFSZ makes an oversized
        // write fail with EFBIG instead of killing the process.
        let rc = unsafe {
            signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &limit)
        };
        assert_eq!(rc, 0, "setrlimit failed");
    }

    /// Runs in the child: writes until the "disk" is full, prints the ids that were confirmed.
    #[test]
    fn child_writes_until_the_disk_is_full() {
        let Ok(path) = std::env::var(CHILD_ENV) else {
            return; // only meaningful when started by the parent test below
        };
        let path = std::path::PathBuf::from(path);
        let store = SledStore::open(&path).unwrap();
        let user = alice();
        let mut confirmed = Vec::new();
        for n in 0..5 {
            let id = format!("before-{n}");
            store
                .record_attempt(&attempt(&user, &id, "2024-05-01T10:00:00Z", "kept"))
                .unwrap();
            confirmed.push(id);
        }
        let db_len = std::fs::metadata(path.join("db")).unwrap().len();
        limit_file_size(db_len);
        let big = "x".repeat(20_000);
        let mut first_error = None;
        for n in 0..2_000 {
            let id = format!("during-{n}");
            match store.record_attempt(&attempt(&user, &id, "2024-05-02T10:00:00Z", &big)) {
                Ok(()) => confirmed.push(id),
                Err(e) => {
                    first_error = Some(e);
                    break;
                }
            }
        }
        limit_file_size(u64::MAX);
        let error = first_error.expect("the file-size limit never produced an error");
        println!("ERROR {error}");
        println!("CONFIRMED {}", confirmed.join(","));
    }

    #[test]
    fn a_full_disk_is_an_error_and_loses_nothing_confirmed() {
        if std::env::var(CHILD_ENV).is_ok() {
            return;
        }
        let (_dir, path) = store_dir();
        drop(SledStore::open(&path).unwrap());
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "full_disk::child_writes_until_the_disk_is_full",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
        let error = stdout
            .lines()
            .find_map(|l| l.split_once("ERROR ").map(|(_, e)| e))
            .unwrap_or_else(|| panic!("no error reported:\n{stdout}"));
        assert!(error.contains(&path.display().to_string()), "{error}");
        let confirmed: Vec<&str> = stdout
            .lines()
            .find_map(|l| l.split_once("CONFIRMED ").map(|(_, c)| c))
            .unwrap_or_else(|| panic!("no confirmations:\n{stdout}"))
            .split(',')
            .collect();
        assert!(confirmed.len() >= 5, "{confirmed:?}");

        let store = SledStore::open(&path).unwrap();
        let stored: Vec<String> = store
            .history(&alice(), usize::MAX)
            .unwrap()
            .into_iter()
            .map(|a| a.id.0)
            .collect();
        for id in confirmed {
            assert!(
                stored.iter().any(|s| s == id),
                "confirmed attempt {id} was lost"
            );
        }
    }
}

/// SIGKILL at arbitrary points: every write that returned `Ok` (and was reported on stdout by
/// the child) is there after a restart, nothing is doubled, and the killed process leaves no
/// lock behind.
#[cfg(unix)]
mod killed {
    use super::*;
    use std::io::{BufRead, BufReader};

    const CHILD_ENV: &str = "BAR_RAISER_KILL_CHILD";

    #[test]
    fn child_writes_forever() {
        let Ok(spec) = std::env::var(CHILD_ENV) else {
            return; // only meaningful when started by the parent test below
        };
        let (path, round) = spec.split_once('|').unwrap();
        let store = SledStore::open(path).unwrap();
        let user = alice();
        for n in 0u64.. {
            let id = format!("r{round}-{n}");
            store
                .record_attempt(&attempt(&user, &id, "2024-05-01T10:00:00Z", "answer"))
                .unwrap();
            println!("ATTEMPT {id}");
            let message_id = round.parse::<u64>().unwrap() * 1_000_000 + n;
            store
                .upsert_message("solo:kill", &message(message_id, &user, "m"))
                .unwrap();
            println!("MESSAGE {message_id}");
        }
    }

    #[test]
    fn confirmed_writes_survive_sigkill() {
        if std::env::var(CHILD_ENV).is_ok() {
            return;
        }
        let (_dir, path) = store_dir();
        let mut attempts = Vec::new();
        let mut messages = Vec::new();
        for round in 0..6u64 {
            let mut child = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "killed::child_writes_forever", "--nocapture"])
                .env(CHILD_ENV, format!("{}|{round}", path.display()))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let stdout = child.stdout.take().unwrap();
            // Kill after a different number of confirmations each round.
            let kill_after = 3 + round as usize * 7;
            let mut seen = 0;
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                if let Some((_, id)) = line.split_once("ATTEMPT ") {
                    attempts.push(id.to_string());
                } else if let Some((_, id)) = line.split_once("MESSAGE ") {
                    messages.push(id.parse::<u64>().unwrap());
                } else {
                    continue;
                }
                seen += 1;
                if seen >= kill_after {
                    break;
                }
            }
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        }
        assert!(attempts.len() >= 6 && messages.len() >= 6);

        let store = SledStore::open(&path).unwrap();
        for id in &attempts {
            assert!(
                store
                    .get_attempt(&alice(), &AttemptId::new(id.as_str()))
                    .unwrap()
                    .is_some(),
                "confirmed attempt {id} lost"
            );
        }
        let stored: Vec<u64> = store
            .messages("solo:kill")
            .unwrap()
            .iter()
            .map(|m| m.message_id)
            .collect();
        for id in &messages {
            assert!(stored.contains(id), "confirmed message {id} lost");
        }
        let mut unique = stored.clone();
        unique.dedup();
        assert_eq!(unique, stored, "a message is doubled");
        assert_eq!(
            store.attempt_count(&alice()).unwrap(),
            store.history(&alice(), usize::MAX).unwrap().len()
        );
    }
}
