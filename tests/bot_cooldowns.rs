//! End-to-end: per-person cooldowns on the commands that start work, and the caps on open group
//! sessions, with the real bot against the loopback Discord and a manual clock.

mod support;

use std::sync::Arc;

use bar_raiser::clock::ManualClock;
use bar_raiser::config::Config;
use jiff::SignedDuration;
use serde_json::json;
use support::bot::{start_instant, test_config, TestBot};
use support::discord::{FakeDiscord, MessageView};

struct World {
    discord: FakeDiscord,
    guild: u64,
    channel: u64,
    alice: u64,
    bob: u64,
    clock: Arc<ManualClock>,
    _data: tempfile::TempDir,
    bot: TestBot,
}

async fn world(change: impl FnOnce(&mut Config)) -> World {
    let discord = FakeDiscord::start().await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    let bob = discord.add_user("bob");
    for user in [alice, bob] {
        discord.add_member(guild, user, &[]);
    }
    let data = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(start_instant()));
    let mut config = test_config(data.path());
    change(&mut config);
    let bot = TestBot::start_with(&discord, config, clock.clone()).await;
    World {
        discord,
        guild,
        channel,
        alice,
        bob,
        clock,
        _data: data,
        bot,
    }
}

/// Runs a slash command and returns the bot's reply to it.
async fn command(w: &World, user: u64, channel: u64, name: &str) -> MessageView {
    let interaction = w.discord.slash_command(user, channel, name, json!({}));
    w.discord.wait_for_reply(interaction).await
}

fn is_cooldown(reply: &MessageView) -> bool {
    reply.content.contains("Please try again in")
}

/// The solo question messages `user` has been sent so far.
fn questions_for(discord: &FakeDiscord, user: u64) -> usize {
    let done = format!("solo:done:{user}");
    discord
        .all_messages()
        .iter()
        .filter(|m| m.custom_ids().contains(&done))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_interview_start_waits_out_the_cooldown_and_nobody_else_waits() {
    let w = world(|c| c.cooldowns.interview_start_seconds = 5).await;

    let first = command(&w, w.alice, w.channel, "interview start").await;
    assert!(!is_cooldown(&first), "{}", first.content);
    let cancelled = command(&w, w.alice, w.channel, "interview cancel").await;
    assert!(
        cancelled.content.contains("stopped"),
        "{}",
        cancelled.content
    );

    // Two seconds later: refused, ephemeral, saying how long to wait; nothing was started.
    w.clock.advance(SignedDuration::from_secs(2));
    let refused = command(&w, w.alice, w.channel, "interview start").await;
    assert!(is_cooldown(&refused), "{}", refused.content);
    assert!(refused.is_ephemeral());
    assert!(
        refused.content.contains("`/interview start`") && refused.content.contains("in 3 s"),
        "{}",
        refused.content
    );
    let until = start_instant().as_second() + 5;
    assert!(
        refused.content.contains(&format!("<t:{until}:R>")),
        "{}",
        refused.content
    );
    assert_eq!(questions_for(&w.discord, w.alice), 1);
    assert!(w.bot.session(w.alice).is_none(), "no interview was opened");

    // Bob, at the same moment, is not held up by Alice's cooldown.
    let bob = command(&w, w.bob, w.channel, "interview start").await;
    assert!(!is_cooldown(&bob), "{}", bob.content);
    w.discord
        .wait_until("Bob's question", |d| {
            (questions_for(d, w.bob) == 1).then_some(())
        })
        .await;

    // Once the cooldown has passed, Alice starts again.
    w.clock.advance(SignedDuration::from_secs(3));
    let again = command(&w, w.alice, w.channel, "interview start").await;
    assert!(!is_cooldown(&again), "{}", again.content);
    w.discord
        .wait_until("Alice's second question", |d| {
            (questions_for(d, w.alice) == 2).then_some(())
        })
        .await;
    w.discord.assert_clean();
    w.bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_and_export_have_their_own_cooldowns_per_person() {
    let w = world(|c| {
        c.cooldowns.stats_seconds = 10;
        c.cooldowns.export_seconds = 30;
    })
    .await;
    let stats = command(&w, w.alice, w.channel, "stats").await;
    assert!(stats.content.contains("Your stats"), "{}", stats.content);
    let charts = |d: &FakeDiscord| {
        d.all_messages()
            .iter()
            .filter(|m| m.attachments.iter().any(|a| a.filename == "stats.png"))
            .count()
    };
    assert_eq!(charts(&w.discord), 1);

    let refused = command(&w, w.alice, w.channel, "stats").await;
    assert!(is_cooldown(&refused), "{}", refused.content);
    assert!(refused.content.contains("in 10 s"), "{}", refused.content);
    assert_eq!(charts(&w.discord), 1, "no second chart was drawn");

    // Another command of hers, and the same command of someone else, are not held up.
    let export = command(&w, w.alice, w.channel, "export").await;
    assert!(
        export.content.contains("all your data"),
        "{}",
        export.content
    );
    let bob = command(&w, w.bob, w.channel, "stats").await;
    assert!(bob.content.contains("Your stats"), "{}", bob.content);

    w.clock.advance(SignedDuration::from_secs(10));
    let again = command(&w, w.alice, w.channel, "stats").await;
    assert!(again.content.contains("Your stats"), "{}", again.content);
    let export = command(&w, w.alice, w.channel, "export").await;
    assert!(
        is_cooldown(&export),
        "export waits 30 s: {}",
        export.content
    );
    assert!(export.content.contains("in 20 s"), "{}", export.content);
    w.discord.assert_clean();
    w.bot.stop().await;
}

/// `/group start` in `channel` by `host`; the bot's reply.
async fn group_start(w: &World, host: u64, channel: u64) -> MessageView {
    command(w, host, channel, "group start").await
}

fn lobby_in(discord: &FakeDiscord, channel: u64) -> Option<MessageView> {
    let join = format!("group:join:{channel}");
    discord
        .messages_in(channel)
        .into_iter()
        .find(|m| m.custom_ids().contains(&join))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_groups_are_capped_per_server_per_host_and_per_person() {
    let w = world(|c| {
        c.cooldowns.group_start_seconds = 0;
        c.group.max_open_per_server = 2;
        c.group.max_open_per_host = 1;
        c.group.max_joined_per_person = 1;
    })
    .await;
    let second = w.discord.add_text_channel(w.guild, "second");
    let third = w.discord.add_text_channel(w.guild, "third");
    let carol = w.discord.add_user("carol");
    let dave = w.discord.add_user("dave");
    for user in [carol, dave] {
        w.discord.add_member(w.guild, user, &[]);
    }

    let opened = group_start(&w, w.alice, w.channel).await;
    assert!(opened.content.contains("Lobby open"), "{}", opened.content);
    let lobby = lobby_in(&w.discord, w.channel).expect("the first lobby");

    // Alice hosts one already.
    let refused = group_start(&w, w.alice, second).await;
    assert!(refused.is_ephemeral());
    assert!(
        refused.content.contains("already hosting 1 group session"),
        "{}",
        refused.content
    );
    assert!(lobby_in(&w.discord, second).is_none());

    // Bob opens the second one in the server; Carol would be the third.
    let opened = group_start(&w, w.bob, second).await;
    assert!(opened.content.contains("Lobby open"), "{}", opened.content);
    let second_lobby = lobby_in(&w.discord, second).expect("the second lobby");
    let refused = group_start(&w, carol, third).await;
    assert!(
        refused
            .content
            .contains("already has 2 group sessions running"),
        "{}",
        refused.content
    );
    assert!(lobby_in(&w.discord, third).is_none());

    // Dave joins Alice's group; joining Bob's too is over his cap, and says so.
    let join = w
        .discord
        .click_button(dave, lobby.id, &format!("group:join:{}", w.channel));
    w.discord.wait_for_interaction_response(join).await;
    w.discord
        .wait_until("Dave in Alice's lobby", |d| {
            d.message(lobby.id)
                .filter(|m| m.all_text().contains("dave"))
                .map(|_| ())
        })
        .await;
    let join = w
        .discord
        .click_button(dave, second_lobby.id, &format!("group:join:{second}"));
    let refused = w.discord.wait_for_reply(join).await;
    assert!(refused.is_ephemeral());
    assert!(
        refused.content.contains("already in 1 group session"),
        "{}",
        refused.content
    );
    assert!(!w
        .discord
        .message(second_lobby.id)
        .expect("the second lobby")
        .all_text()
        .contains("dave"));

    // Alice ends her group: the server has room again and Dave is free.
    let end = w
        .discord
        .click_button(w.alice, lobby.id, &format!("group:end:{}", w.channel));
    w.discord.wait_for_interaction_response(end).await;
    w.discord
        .wait_until("Alice's lobby closed", |d| {
            d.message(lobby.id)
                .filter(|m| m.components.is_empty())
                .map(|_| ())
        })
        .await;
    let opened = group_start(&w, carol, third).await;
    assert!(opened.content.contains("Lobby open"), "{}", opened.content);
    let join = w
        .discord
        .click_button(dave, second_lobby.id, &format!("group:join:{second}"));
    w.discord.wait_for_interaction_response(join).await;
    w.discord
        .wait_until("Dave in Bob's lobby", |d| {
            d.message(second_lobby.id)
                .filter(|m| m.all_text().contains("dave"))
                .map(|_| ())
        })
        .await;
    w.discord.assert_clean();
    w.bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_start_has_a_cooldown_of_its_own() {
    let w = world(|c| c.cooldowns.group_start_seconds = 10).await;
    let second = w.discord.add_text_channel(w.guild, "second");
    let opened = group_start(&w, w.alice, w.channel).await;
    assert!(opened.content.contains("Lobby open"), "{}", opened.content);
    let lobby = lobby_in(&w.discord, w.channel).expect("the lobby");
    let end = w
        .discord
        .click_button(w.alice, lobby.id, &format!("group:end:{}", w.channel));
    w.discord.wait_for_interaction_response(end).await;
    w.discord
        .wait_until("the lobby closed", |d| {
            d.message(lobby.id)
                .filter(|m| m.components.is_empty())
                .map(|_| ())
        })
        .await;
    let refused = group_start(&w, w.alice, second).await;
    assert!(is_cooldown(&refused), "{}", refused.content);
    assert!(
        refused.content.contains("`/group start`"),
        "{}",
        refused.content
    );
    let bob = group_start(&w, w.bob, second).await;
    assert!(bob.content.contains("Lobby open"), "{}", bob.content);
    w.discord.assert_clean();
    w.bot.stop().await;
}
