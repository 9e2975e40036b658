//! Store costs on a real sled database in a temp dir, and whether they stay flat as the number
//! of OTHER users grows.
//!
//! `cargo bench --bench store` measures, for stores holding 1,000 and 100,000 other users:
//! recording a finished attempt (flushed), collecting one message (flushed), and reading a
//! user's history and stats with 10, 1,000 and 10,000 attempts. At the end it prints the ratio
//! 100,000-others / 1,000-others for each, from its own medians.
//! `STORE_BENCH_OTHERS=1000,20000` changes the populations (e.g. for a quick run).

use std::hint::black_box;
use std::time::{Duration, Instant};

use bar_raiser::store::{
    stats, Attempt, AttemptId, AttemptSummary, CollectedMessage, Mode, SessionRecord, SledOptions,
    SledStore, StarPresence, Store, UserKey,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

const OWN_SIZES: [usize; 3] = [10, 1_000, 10_000];

fn populations() -> Vec<usize> {
    std::env::var("STORE_BENCH_OTHERS")
        .ok()
        .map(|text| {
            text.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .filter(|list: &Vec<usize>| !list.is_empty())
        .unwrap_or_else(|| vec![1_000, 100_000])
}

fn base() -> Timestamp {
    "2024-01-01T00:00:00Z".parse().expect("constant timestamp")
}

const ANSWER: &str = "In my last role our nightly billing job kept failing. I owned the fix: I \
    traced the failures to a race in the retry logic, rewrote it with idempotent writes, and \
    added an alert. Failures dropped from 12 a week to zero and support tickets fell by 30%.";

fn attempt(user: &UserKey, n: usize) -> Attempt {
    let at = base() + SignedDuration::from_secs(60 * n as i64);
    Attempt {
        id: AttemptId::new(format!("a{n}")),
        user: user.clone(),
        question_id: "ownership-1".into(),
        lps: vec!["ownership".into(), "dive-deep".into()],
        answer: ANSWER.into(),
        summary: AttemptSummary {
            score: (n % 5 + 1) as u8,
            star: StarPresence {
                situation: true,
                task: !n.is_multiple_of(3),
                action: true,
                result: !n.is_multiple_of(4),
            },
            missing: vec![],
            singular: 6,
            plural: 1,
            hypothetical: false,
            quantified_result: true,
            words: 48,
        },
        mode: Mode::Solo,
        guild: None,
        started_at: at,
        finished_at: at,
    }
}

/// An in-progress solo session record as the bot stores it: about 1.5 kB of JSON.
fn in_progress_session(user: &UserKey) -> SessionRecord {
    let messages: serde_json::Map<String, serde_json::Value> = (0..5)
        .map(|n| (format!("{}", 1_000 + n), serde_json::json!(ANSWER)))
        .collect();
    SessionRecord {
        key: "solo:discord:writer".into(),
        owner: user.clone(),
        participants: Vec::new(),
        state: serde_json::json!({
            "session": {"question_id": "ownership-1", "phase": "Answering", "messages": messages},
            "channel_id": 1,
            "thread": true,
        }),
        updated_at: base(),
    }
}

fn owner(own: usize) -> UserKey {
    UserKey::local(&format!("measured-{own}"))
}

/// A store with `others` users of 3 attempts each, plus one measured user per own size.
/// Bulk-loaded without per-write flushes, then reopened with the normal (flushing) options.
fn populated(others: usize) -> (tempfile::TempDir, SledStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store");
    let bulk = SledOptions {
        flush_every_write: false,
        ..SledOptions::default()
    };
    let store = SledStore::open_with(&path, &bulk).expect("open");
    // Other users are interleaved alphabetically around the measured ones.
    for u in 0..others {
        let user = UserKey::discord(u as u64 * 7919);
        for n in 0..3 {
            store.record_attempt(&attempt(&user, n)).expect("record");
        }
    }
    for own in OWN_SIZES {
        let user = owner(own);
        for n in 0..own {
            store.record_attempt(&attempt(&user, n)).expect("record");
        }
    }
    store.close().expect("close");
    let store = SledStore::open(&path).expect("reopen");
    (dir, store)
}

fn all_lps() -> Vec<String> {
    ["ownership", "dive-deep", "customer-obsession", "frugality"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Median of `rounds` timed runs of `f` (for the ratio summary; criterion's figures are the
/// detailed ones).
fn median(rounds: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn bench_store(c: &mut Criterion) {
    let populations = populations();
    let mut summary: Vec<(String, usize, Duration)> = Vec::new();
    let tz = TimeZone::UTC;
    let now = base() + SignedDuration::from_hours(24 * 30);

    for &others in &populations {
        let (_dir, store) = populated(others);
        let writer = UserKey::local("writer");
        let mut next = 0usize;

        let mut group = c.benchmark_group(format!("store/others={others}"));
        group.sample_size(20);
        group.measurement_time(Duration::from_secs(3));
        group.warm_up_time(Duration::from_secs(1));

        group.bench_function("record_attempt_flushed", |b| {
            b.iter(|| {
                next += 1;
                store
                    .record_attempt(&attempt(&writer, next))
                    .expect("record");
            })
        });
        let mut message_id = 0u64;
        group.bench_function("collect_message_flushed", |b| {
            b.iter(|| {
                message_id += 1;
                let message = CollectedMessage {
                    message_id,
                    author: writer.clone(),
                    text: "and then I rewrote the retry logic".into(),
                    at: base(),
                };
                store
                    .upsert_message("solo:writer", &message)
                    .expect("collect");
            })
        });
        // What the Discord adapter does per collected message: the whole in-progress session
        // (here with 5 answer messages) stored and flushed.
        let session = in_progress_session(&writer);
        group.bench_function("persist_session_flushed", |b| {
            b.iter(|| store.put_session(&session).expect("persist"))
        });
        for own in OWN_SIZES {
            let user = owner(own);
            group.bench_with_input(BenchmarkId::new("history_10", own), &user, |b, user| {
                b.iter(|| black_box(store.history(user, 10).expect("history")))
            });
            group.bench_with_input(BenchmarkId::new("stats_all", own), &user, |b, user| {
                b.iter(|| {
                    let attempts = store.history(user, usize::MAX).expect("history");
                    black_box(stats::compute(&attempts, &all_lps(), now, &tz))
                })
            });
        }
        group.finish();

        let rounds = 31;
        summary.push((
            "persist_session_flushed".into(),
            others,
            median(rounds, || store.put_session(&session).expect("persist")),
        ));
        summary.push((
            "record_attempt_flushed".into(),
            others,
            median(rounds, || {
                next += 1;
                store
                    .record_attempt(&attempt(&writer, next))
                    .expect("record");
            }),
        ));
        for own in OWN_SIZES {
            let user = owner(own);
            summary.push((
                format!("history_10/own={own}"),
                others,
                median(rounds, || {
                    black_box(store.history(&user, 10).expect("history"));
                }),
            ));
            summary.push((
                format!("stats_all/own={own}"),
                others,
                median(if own > 1_000 { 7 } else { rounds }, || {
                    let attempts = store.history(&user, usize::MAX).expect("history");
                    black_box(stats::compute(&attempts, &all_lps(), now, &tz));
                }),
            ));
        }
        if let Ok(bytes) = store.size_on_disk() {
            let attempts = others * 3 + OWN_SIZES.iter().sum::<usize>() + next;
            println!(
                "store/others={others}: {bytes} bytes on disk, {:.0} bytes per stored attempt",
                bytes as f64 / attempts as f64
            );
        }
    }

    if let (Some(&small), Some(&large)) = (populations.first(), populations.last()) {
        if small != large {
            println!("\nflatness: median at {large} other users / median at {small} other users");
            let names: Vec<&String> = summary
                .iter()
                .filter(|(_, others, _)| *others == small)
                .map(|(name, _, _)| name)
                .collect();
            for name in names {
                let at = |pop: usize| {
                    summary
                        .iter()
                        .find(|(n, others, _)| n == name && *others == pop)
                        .map(|(_, _, d)| *d)
                };
                if let (Some(a), Some(b)) = (at(small), at(large)) {
                    println!(
                        "  {name:<28} {a:>10.2?} -> {b:>10.2?}  ratio {:.2}",
                        b.as_secs_f64() / a.as_secs_f64().max(1e-12)
                    );
                }
            }
        }
    }
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotting backend needs system fonts, which a server may not have.
    config = Criterion::default().without_plots();
    targets = bench_store
}
criterion_main!(benches);
