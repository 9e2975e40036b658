//! Shared pieces of the solo-interview end-to-end tests: a small world (a server with a practice
//! channel and a member), the four parts of a good answer, and waits for what the bot shows.

use std::sync::Arc;

use bar_raiser::clock::ManualClock;

use super::bot::{start_instant, TestBot};
use super::discord::{FakeDiscord, MessageView, Options};

pub const SITUATION: &str = "Last spring I was the on-call engineer for the payments API at a \
    mid-size fintech, and checkout errors spiked to 8% right after a config push.";
pub const TASK: &str =
    "My job was to find the cause and get checkout healthy again before the evening peak.";
pub const ACTION: &str = "I rolled back the config, traced the spike to a missing timeout on a \
    Redis client, and I wrote a fix with a regression test that I shipped the same afternoon.";
pub const RESULT: &str = "Checkout errors dropped from 8% to 0.2% within an hour and we lost no \
    orders at the evening peak.";

pub struct World {
    pub discord: FakeDiscord,
    pub guild: u64,
    pub channel: u64,
    pub alice: u64,
    pub data: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
}

pub async fn world() -> World {
    world_with(Options::default()).await
}

/// The same world on an emulator started with `options`.
pub async fn world_with(options: Options) -> World {
    let discord = FakeDiscord::start_with(options).await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    discord.add_member(guild, alice, &[]);
    World {
        discord,
        guild,
        channel,
        alice,
        data: tempfile::tempdir().expect("temp dir"),
        clock: Arc::new(ManualClock::new(start_instant())),
    }
}

/// A world with alice and the bot already running in it, for the fault suites, which start the
/// bot once and stop it by value (so the fields are plain, for partial moves).
pub struct Running {
    pub discord: FakeDiscord,
    pub alice: u64,
    pub channel: u64,
    pub data: tempfile::TempDir,
    pub bot: TestBot,
}

pub async fn running(options: Options) -> Running {
    let World {
        discord,
        channel,
        alice,
        data,
        clock,
        ..
    } = world_with(options).await;
    let bot = TestBot::start(&discord, data.path(), clock).await;
    Running {
        discord,
        alice,
        channel,
        data,
        bot,
    }
}

impl World {
    /// Another member of the server.
    pub fn member(&self, name: &str) -> u64 {
        let user = self.discord.add_user(name);
        self.discord.add_member(self.guild, user, &[]);
        user
    }
}

/// A custom id of the solo controls, e.g. `solo_id("done", alice)`.
pub fn solo_id(action: &str, user: u64) -> String {
    format!("solo:{action}:{user}")
}

/// `/interview start` by `user` in `channel`; returns the question message.
pub async fn start_interview(
    discord: &FakeDiscord,
    user: u64,
    channel: u64,
    options: serde_json::Value,
) -> MessageView {
    let interaction = discord.slash_command(user, channel, "interview start", options);
    discord.wait_for_interaction_response(interaction).await;
    wait_question(discord, user).await
}

/// The newest question message (one with `user`'s Done and Skip buttons) in any channel.
pub async fn wait_question(discord: &FakeDiscord, user: u64) -> MessageView {
    let skip = solo_id("skip", user);
    discord
        .wait_until("the question message with the interview buttons", |d| {
            d.calls_matching(|c| c.method == "POST" && c.route == "/channels/{id}/messages")
                .iter()
                .rev()
                .find_map(|c| {
                    let channel = c.path.split('/').nth(2)?.parse::<u64>().ok()?;
                    d.messages_in(channel)
                        .into_iter()
                        .find(|m| m.custom_ids().contains(&skip))
                })
        })
        .await
}

/// The `nth` (from 0) feedback message (the embed titled "Feedback — score N/5") in `channel`.
pub async fn wait_feedback(discord: &FakeDiscord, channel: u64, nth: usize) -> MessageView {
    discord
        .wait_until("feedback in the interview channel", |d| {
            d.messages_in(channel)
                .into_iter()
                .filter(|m| m.all_text().contains("Feedback — score"))
                .nth(nth)
        })
        .await
}

/// Feedback messages in `channel` so far.
pub fn feedback_count(discord: &FakeDiscord, channel: u64) -> usize {
    discord
        .messages_in(channel)
        .iter()
        .filter(|m| m.all_text().contains("Feedback — score"))
        .count()
}

/// Sends `text` as `user` in `channel` and waits until the bot stored it in the session; returns
/// the message id.
pub async fn answer(bot: &TestBot, w: &World, user: u64, channel: u64, text: &str) -> u64 {
    let id = w.discord.send_message(channel, user, text);
    bot.wait_session(user, "the message collected", |s| {
        s.is_some_and(|s| s["session"]["messages"].get(id.to_string()).is_some())
    })
    .await;
    id
}

/// Waits until the bot reacted to `message` (its quiet acknowledgement of a collected message).
pub async fn wait_reacted(discord: &FakeDiscord, message: u64) {
    discord
        .wait_until("a reaction on the collected message", |d| {
            d.message(message)
                .filter(|m| !m.reactions.is_empty())
                .map(|_| ())
        })
        .await
}

/// The text of an interaction's first visible reply (ephemeral or not).
pub async fn reply_text(discord: &FakeDiscord, interaction: u64) -> MessageView {
    discord.wait_for_reply(interaction).await
}

/// A realistic answer message of exactly `chars` characters (sentences from a real story).
pub fn long_message(index: usize, chars: usize) -> String {
    let sentences = [
        "I led the migration of our billing service to a new database over six weeks.",
        "I wrote the cutover plan, ran three rehearsals and fixed two data bugs myself.",
        "Our team moved 40 million rows with zero downtime and cut query latency by 35%.",
        "I met the finance lead every Monday so the invoices never slipped a single day.",
    ];
    let mut text = format!("Part {index}. ");
    let mut i = 0;
    while text.chars().count() < chars {
        text.push_str(sentences[i % sentences.len()]);
        text.push(' ');
        i += 1;
    }
    text.chars().take(chars).collect()
}

/// Clicks `Answer` on `question`, waits for the modal, and submits `fields`.
pub async fn answer_with_form(
    discord: &FakeDiscord,
    user: u64,
    question: u64,
    fields: &[(&str, &str)],
) {
    let click = discord.click_button(user, question, &solo_id("answer", user));
    let callback = discord.wait_for_interaction_response(click).await;
    assert_eq!(
        callback.callback_type(),
        Some(9),
        "Answer opens a modal: {}",
        callback.summary()
    );
    discord.submit_modal(user, &solo_id("modal", user), fields);
}

/// `assert_clean()`, and every REST call the bot made succeeded (a failed call is a wasted one
/// at best: a reaction on a message that is not there, a reply that never arrived).
pub fn assert_all_clean(discord: &FakeDiscord) {
    discord.assert_clean();
    let failed: Vec<String> = discord
        .calls_matching(|c| !c.succeeded())
        .iter()
        .map(|c| c.summary())
        .collect();
    assert!(failed.is_empty(), "failed REST calls: {failed:#?}");
}
