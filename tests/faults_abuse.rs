//! Abuse: one person spamming 1,000 messages into their interview must not slow others down.
//! The figures (another person's reply latency with and without the spam) are printed, not
//! asserted; the test asserts that everyone is still answered, acknowledgements are coalesced
//! and no Discord rule is broken.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bar_raiser::clock::ManualClock;
use serde_json::json;
use support::bot::{start_instant, TestBot};
use support::discord::{FakeDiscord, Options};

async fn history_latency(discord: &FakeDiscord, user: u64, channel: u64) -> Duration {
    let sent = Instant::now();
    let interaction = discord.slash_command(user, channel, "history", json!({}));
    discord.wait_for_reply(interaction).await;
    sent.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spammer_does_not_starve_others() {
    let discord = FakeDiscord::start_with(Options {
        wait_timeout: Duration::from_secs(60),
        ..Options::default()
    })
    .await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    let mallory = discord.add_user("mallory");
    discord.add_member(guild, alice, &[]);
    discord.add_member(guild, mallory, &[]);
    let data = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(start_instant()));
    let bot = TestBot::start(&discord, data.path(), clock).await;

    let quiet: Vec<Duration> = {
        let mut v = Vec::new();
        for _ in 0..5 {
            v.push(history_latency(&discord, alice, channel).await);
        }
        v
    };

    let start = discord.slash_command(mallory, channel, "interview start", json!({}));
    discord.wait_for_reply(start).await;
    let done = format!("solo:done:{mallory}");
    let thread = discord
        .wait_until("mallory's thread", |d| {
            d.threads_of(channel).into_iter().find(|t| {
                d.messages_in(*t)
                    .iter()
                    .any(|m| m.custom_ids().contains(&done))
            })
        })
        .await;
    let mut noisy = Vec::new();
    for i in 0..1000 {
        discord.send_message(thread, mallory, &format!("spam {i} I did a thing."));
        if i % 200 == 100 {
            noisy.push(history_latency(&discord, alice, channel).await);
        }
    }
    noisy.push(history_latency(&discord, alice, channel).await);
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (mut quiet, mut noisy) = (quiet, noisy);
    eprintln!(
        "spam: alice's /history reply, median {:?} quiet vs {:?} during 1,000 spam messages (max {:?})",
        median(&mut quiet),
        median(&mut noisy),
        noisy.iter().max().copied().unwrap_or_default()
    );
    let reactions = discord
        .calls_matching(|c| c.method == "PUT" && c.path.contains("/reactions/"))
        .len();
    eprintln!(
        "spam: {reactions} reactions for 1,000 messages; max {} REST calls in a second",
        discord.max_calls_per_second()
    );
    assert!(
        reactions < 1000,
        "acknowledgements are coalesced under spam"
    );
    discord.assert_clean();
    bot.stop().await;
}
