//! End-to-end: the real bot (serenity + poise) against the loopback Discord, solo interviews.

mod support;

use std::sync::Arc;

use bar_raiser::clock::ManualClock;
use bar_raiser::store::{Store, UserKey};
use serde_json::json;
use support::bot::{open_store, start_instant, TestBot};
use support::discord::{FakeDiscord, MessageView};

const SITUATION: &str = "Last spring I was the on-call engineer for the payments API at a \
    mid-size fintech, and checkout errors spiked to 8% right after a config push.";
const TASK: &str =
    "My job was to find the cause and get checkout healthy again before the evening peak.";
const ACTION: &str = "I rolled back the config, traced the spike to a missing timeout on a \
    Redis client, and I wrote a fix with a regression test that I shipped the same afternoon.";
const RESULT: &str = "Checkout errors dropped from 8% to 0.2% within an hour and we lost no \
    orders at the evening peak.";

struct World {
    discord: FakeDiscord,
    channel: u64,
    alice: u64,
    data: tempfile::TempDir,
    clock: Arc<ManualClock>,
}

async fn world() -> World {
    let discord = FakeDiscord::start().await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    discord.add_member(guild, alice, &[]);
    World {
        discord,
        channel,
        alice,
        data: tempfile::tempdir().expect("temp dir"),
        clock: Arc::new(ManualClock::new(start_instant())),
    }
}

/// `/interview start` by `user` in `channel`; returns the question message.
async fn start_interview(
    discord: &FakeDiscord,
    user: u64,
    channel: u64,
    options: serde_json::Value,
) -> MessageView {
    let interaction = discord.slash_command(user, channel, "interview start", options);
    discord.wait_for_interaction_response(interaction).await;
    let done = format!("solo:done:{user}");
    discord
        .wait_until("the question message with a Done button", |d| {
            d.calls_matching(|c| c.method == "POST" && c.route == "/channels/{id}/messages")
                .iter()
                .rev()
                .find_map(|c| {
                    let channel = c.path.split('/').nth(2)?.parse::<u64>().ok()?;
                    d.messages_in(channel)
                        .into_iter()
                        .find(|m| m.custom_ids().contains(&done))
                })
        })
        .await
}

/// Waits for a feedback message (the embed titled "Feedback — score N/5") after `after` messages.
async fn wait_feedback(discord: &FakeDiscord, channel: u64, nth: usize) -> MessageView {
    discord
        .wait_until("feedback in the interview channel", |d| {
            d.messages_in(channel)
                .into_iter()
                .filter(|m| m.all_text().contains("Feedback — score"))
                .nth(nth)
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_interview_in_a_private_thread_with_a_follow_up_rescored() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;

    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;
    assert_ne!(thread, w.channel, "the interview opens in a thread");
    let thread_info = w.discord.channel(thread).expect("thread exists");
    assert_eq!(thread_info["type"], 12, "a private thread: {thread_info}");
    assert!(w.discord.thread_members(thread).contains(&w.alice));

    // Three messages, no result.
    let ids: Vec<u64> = [SITUATION, TASK, ACTION]
        .iter()
        .map(|text| w.discord.send_message(thread, w.alice, text))
        .collect();
    // Each collected message is acknowledged (the first at once, the rest coalesced).
    w.discord
        .wait_until("a reaction on the first and the last message", |d| {
            let reacted = |id: u64| d.message(id).is_some_and(|m| !m.reactions.is_empty());
            (reacted(ids[0]) && reacted(ids[2])).then_some(())
        })
        .await;

    w.discord.send_message(thread, w.alice, "done");
    let feedback = wait_feedback(&w.discord, thread, 0).await;
    let text = feedback.all_text();
    assert!(text.contains("❌ **Result** — missing"), "{text}");
    assert!(text.contains("✅ **Action**"), "{text}");
    let follow_up = w
        .discord
        .wait_for_message(thread, |m| m.all_text().contains("Bar-raiser follow-up 1"))
        .await;
    assert!(
        follow_up
            .custom_ids()
            .contains(&format!("solo:done:{}", w.alice)),
        "the follow-up has a Done button"
    );

    // The follow-up answer adds the result; Done again re-analyses the whole answer.
    w.discord.send_message(thread, w.alice, RESULT);
    w.discord
        .click_button(w.alice, follow_up.id, &format!("solo:done:{}", w.alice));
    let second = wait_feedback(&w.discord, thread, 1).await;
    let text = second.all_text();
    assert!(text.contains("✅ **Result**"), "{text}");
    let follow_up_2 = w
        .discord
        .wait_for_message(thread, |m| m.all_text().contains("Bar-raiser follow-up 2"))
        .await;

    // Cancel after the second follow-up: the attempt stays saved and the thread is archived.
    w.discord
        .click_button(w.alice, follow_up_2.id, &format!("solo:cancel:{}", w.alice));
    w.discord
        .wait_for_message(thread, |m| m.content.contains("Your attempt is saved"))
        .await;
    w.discord
        .wait_until("the thread archived", |d| {
            d.channel(thread)
                .filter(|c| c["thread_metadata"]["archived"] == true)
        })
        .await;
    w.discord.assert_clean();
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let history = store
        .history(&UserKey::discord(w.alice), 10)
        .expect("history");
    assert_eq!(history.len(), 1, "one attempt, updated by the re-analysis");
    let attempt = &history[0];
    assert!(
        attempt.summary.star.result,
        "the stored attempt has the result"
    );
    assert!(attempt.answer.contains(SITUATION) && attempt.answer.contains(RESULT));
    assert_eq!(attempt.mode.to_string(), "solo");
}
