//! Crash test: the real `bar-raiser bot` binary, pointed at the loopback Discord, is killed with
//! SIGKILL at seeded random points while people run solo interviews, group mock interviews and
//! the daily question, then restarted. After every kill the store the dead process left is
//! opened and each flow checks its invariant (see `solo.rs`, `group.rs`, `daily.rs`): what the
//! bot had acknowledged, reported or confirmed is there, and nothing is doubled. A last run ends
//! with SIGTERM: a clean exit that loses nothing either.
//!
//! Each run between kills makes 1–5 actions, each in a flow picked at random; the kill "lands
//! during" the flow of the last action. It comes 0–300 ms after that action, or, when the
//! action sent answer messages, sometimes the instant the newest of them is acknowledged. The
//! seed is printed (a fresh one each run); `CRASH_SEED=<n>` replays a run's choices (the kill
//! instants follow the machine's timing), `CRASH_KILLS=<n>` changes the number of kills.

#![cfg(unix)]

#[path = "../support/mod.rs"]
mod support;

mod daily;
mod group;
mod harness;
mod solo;

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::discord::{FakeDiscord, Options};

use harness::{has_bot_ack, kill, open_store, poll, start_bot, terminate, Tags};

/// Each flow's (answer messages sent, newest one).
fn newest_sent(
    solo: &solo::Solo,
    group: &group::Group,
    daily: &daily::Daily,
) -> [(usize, Option<u64>); 3] {
    [solo.newest_sent(), group.newest_sent(), daily.newest_sent()]
}

const FLOWS: [&str; 3] = ["solo", "group", "daily"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_and_doubles_nothing() {
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    let target_kills: usize = std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    eprintln!("crash test: seed {seed} (CRASH_SEED={seed} replays it), {target_kills} kills");
    let mut rng = StdRng::seed_from_u64(seed);

    let discord = FakeDiscord::start_with(Options {
        wait_timeout: Duration::from_secs(30),
        ..Options::default()
    })
    .await;
    let guild = discord.add_guild("Career Club");
    let mut solo = solo::Solo::new(&discord, guild);
    let mut group = group::Group::new(&discord, guild);
    let mut daily = daily::Daily::new();

    let work = tempfile::tempdir().expect("work dir");
    let data = work.path().join("data");
    let log = work.path().join("bot.log");
    let mut tags = Tags::default();
    let mut kills_during = [0usize; 3];
    let mut actions = [0usize; 3];
    let mut ack_kills = 0usize;
    let started = std::time::Instant::now();

    let check_all =
        |solo: &mut solo::Solo, group: &mut group::Group, daily: &mut daily::Daily, when: &str| {
            let store = open_store(&data);
            solo.check(&discord, &store, when);
            group.check(&discord, &store, when);
            daily.check(&discord, &store, when);
        };

    for epoch in 0..target_kills {
        let child = start_bot(&discord, work.path(), &data, &log).await;
        let mut last = 0;
        let mut burst = None;
        for _ in 0..rng.gen_range(1..=5) {
            let before = newest_sent(&solo, &group, &daily);
            // Group sessions take the most steps, so they get a larger share.
            let flow = match rng.gen_range(0..10) {
                0..=2 => 0,
                3..=6 => 1,
                _ => 2,
            };
            match flow {
                0 => solo.act(&discord, &mut rng, epoch, &mut tags).await,
                1 => group.act(&discord, &mut rng, epoch, &mut tags).await,
                _ => daily.act(&discord, &mut rng, epoch, &mut tags).await,
            }
            actions[flow] += 1;
            last = flow;
            let after = newest_sent(&solo, &group, &daily);
            burst = (after[flow].0 > before[flow].0)
                .then_some(after[flow].1)
                .flatten();
        }
        match burst {
            // The sharpest moment: the instant the newest answer is acknowledged (an
            // acknowledgement vouches for the earlier messages of its burst too).
            Some(message) if rng.gen_bool(0.4) => {
                ack_kills += 1;
                poll(Duration::from_secs(2), || {
                    has_bot_ack(&discord, message).then_some(())
                })
                .await;
            }
            _ => tokio::time::sleep(Duration::from_millis(rng.gen_range(0..300))).await,
        }
        kill(child);
        kills_during[last] += 1;
        check_all(
            &mut solo,
            &mut group,
            &mut daily,
            &format!("after kill {} (during {})", epoch + 1, FLOWS[last]),
        );
    }

    let child = start_bot(&discord, work.path(), &data, &log).await;
    let exit = terminate(child).await;
    assert!(
        exit.is_some_and(|status| status.success()),
        "the graceful stop (SIGTERM) ended with {exit:?}"
    );
    check_all(&mut solo, &mut group, &mut daily, "after SIGTERM");

    let (solo_sent, solo_acked) = solo.messages(&discord);
    let (group_sent, group_acked) = group.messages(&discord);
    let (daily_sent, daily_acked) = daily.messages(&discord);
    eprintln!(
        "crash test: seed {seed}, {target_kills} kills in {:.0} s; kills during solo {}, group {}, \
         daily {} ({ack_kills} of them the instant an answer was acknowledged); actions solo {}, \
         group {}, daily {}",
        started.elapsed().as_secs_f64(),
        kills_during[0],
        kills_during[1],
        kills_during[2],
        actions[0],
        actions[1],
        actions[2],
    );
    eprintln!(
        "  solo: {} checks, {} failures; {} starts, {solo_sent} answer messages, {solo_acked} \
         acknowledged, {} feedback messages",
        solo.checks.made,
        solo.checks.failures.len(),
        solo.starts,
        solo.feedback_shown(&discord),
    );
    eprintln!(
        "  group: {} checks, {} failures; {}",
        group.checks.made,
        group.checks.failures.len(),
        group.summary(&discord)
    );
    eprintln!("  group messages: {group_sent} answer messages, {group_acked} acknowledged");
    eprintln!(
        "  daily: {} checks, {} failures; {} servers, {} commands, {} posts, {daily_sent} answer \
         messages, {daily_acked} acknowledged, {} clicks, {} feedback replies",
        daily.checks.made,
        daily.checks.failures.len(),
        daily.servers(),
        daily.commands,
        daily.posts(&discord),
        daily.clicks,
        daily.feedback_shown(&discord),
    );

    // The same broken fact is found again after every later kill: report it once, with the
    // first check that found it and how many checks did.
    let mut distinct: Vec<(String, &str, usize)> = Vec::new();
    for failure in solo
        .checks
        .failures
        .iter()
        .chain(&group.checks.failures)
        .chain(&daily.checks.failures)
    {
        let (when, what) = failure.split_once(": ").unwrap_or(("", failure));
        match distinct.iter_mut().find(|(w, _, _)| w == what) {
            Some((_, _, count)) => *count += 1,
            None => distinct.push((what.to_string(), when, 1)),
        }
    }
    assert!(
        distinct.is_empty(),
        "seed {seed}: {} distinct invariant failures:\n{}\nbot log:\n{}",
        distinct.len(),
        distinct
            .iter()
            .map(|(what, when, count)| format!("- {what}\n  (first {when}, {count} checks)"))
            .collect::<Vec<_>>()
            .join("\n"),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(
        solo_acked > 0 && solo.feedback_shown(&discord) > 0,
        "the run exercised no solo interview"
    );
    assert!(
        group.exercised(&discord),
        "the run exercised no group round"
    );
    assert!(
        daily.posts(&discord) > 0 && daily_acked > 0,
        "the run exercised no daily post"
    );
    discord.assert_clean();
}
