//! End-to-end: the real bot against the loopback Discord, around a solo interview — a restart
//! mid-answer, a gateway disconnect with replayed events, idle reminder and expiry, where the
//! interview goes when threads are not allowed, Message Content missing, and a person's own data
//! (`/stats`, `/export`, `/forget`).

mod support;

use bar_raiser::store::{Store, UserKey};
use jiff::SignedDuration;
use serde_json::json;
use support::bot::{open_store, TestBot};
use support::solo::{
    answer, answer_with_form, assert_all_clean, feedback_count, reply_text, solo_id,
    start_interview, wait_feedback, wait_question, wait_reacted, world, ACTION, RESULT, SITUATION,
    TASK,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_answer_loses_nothing() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;
    let situation = w.discord.send_message(thread, w.alice, SITUATION);
    wait_reacted(&w.discord, situation).await;
    bot.stop().await;

    // Written while the bot is away: Discord does not deliver it to the next gateway session.
    let task = w.discord.send_message(thread, w.alice, TASK);
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    w.discord.wait_ready().await;
    bot.wait_session(w.alice, "the message sent while away collected", |s| {
        s.is_some_and(|s| s["session"]["messages"].get(task.to_string()).is_some())
    })
    .await;
    answer(&bot, &w, w.alice, thread, ACTION).await;
    assert_eq!(bot.collected(w.alice), [SITUATION, TASK, ACTION]);
    // The buttons of the question asked before the restart still work.
    w.discord
        .click_button(w.alice, question.id, &solo_id("done", w.alice));
    let text = wait_feedback(&w.discord, thread, 0).await.all_text();
    assert!(text.contains("✅ **Situation**"), "{text}");
    assert!(text.contains("✅ **Task**"), "{text}");
    assert!(text.contains("❌ **Result** — missing"), "{text}");
    assert_all_clean(&w.discord);
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let history = store
        .history(&UserKey::discord(w.alice), 10)
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].answer,
        [SITUATION, TASK, ACTION].join("\n"),
        "every message, once, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_resume_that_replays_messages_doubles_nothing() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;
    answer(&bot, &w, w.alice, thread, SITUATION).await;

    // The connection drops; a message sent meanwhile is delivered on RESUME.
    w.discord.disconnect();
    let task = w.discord.send_message(thread, w.alice, TASK);
    w.discord.wait_connected().await;
    assert!(w.discord.resume_count() >= 1, "the bot resumed");
    bot.wait_session(w.alice, "the missed message collected", |s| {
        s.is_some_and(|s| s["session"]["messages"].get(task.to_string()).is_some())
    })
    .await;
    answer(&bot, &w, w.alice, thread, ACTION).await;
    // Discord delivers events again (a resume that replays too much): the message missed during
    // the disconnect, and the latest ones.
    let task_seq = w
        .discord
        .seq_of("MESSAGE_CREATE", task)
        .expect("the missed message was dispatched");
    w.discord.replay_seq(task_seq);
    w.discord.replay_last(3);
    answer(&bot, &w, w.alice, thread, RESULT).await;
    w.discord.replay_last(2);
    assert_eq!(
        bot.collected(w.alice),
        [SITUATION, TASK, ACTION, RESULT],
        "each message once"
    );

    let done = w.discord.send_message(thread, w.alice, "done");
    wait_feedback(&w.discord, thread, 0).await;
    let follow_up = w
        .discord
        .wait_for_message(thread, |m| m.all_text().contains("Bar-raiser follow-up 1"))
        .await;
    // The "done" message is replayed too: it must not end the interview or analyse again.
    let done_seq = w
        .discord
        .seq_of("MESSAGE_CREATE", done)
        .expect("done was dispatched");
    w.discord.replay_seq(done_seq);
    let extra = "I also wrote the postmortem and I ran the review with 30 engineers.";
    answer(&bot, &w, w.alice, thread, extra).await;
    assert!(
        bot.session(w.alice).is_some(),
        "the session is still open after the replay"
    );
    assert_eq!(feedback_count(&w.discord, thread), 1, "no second analysis");
    w.discord
        .click_button(w.alice, follow_up.id, &solo_id("done", w.alice));
    wait_feedback(&w.discord, thread, 1).await;
    w.discord
        .wait_for_message(thread, |m| m.all_text().contains("Bar-raiser follow-up 2"))
        .await;
    assert_eq!(
        feedback_count(&w.discord, thread),
        2,
        "one analysis per Done"
    );
    assert!(bot.session(w.alice).is_some(), "still open for follow-up 2");
    assert_all_clean(&w.discord);
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let history = store
        .history(&UserKey::discord(w.alice), 10)
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].answer,
        [SITUATION, TASK, ACTION, RESULT, extra].join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_are_reminded_then_expire_and_are_stored() {
    let w = world().await;
    let bob = w.member("bob");
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;
    answer(&bot, &w, w.alice, thread, SITUATION).await;
    answer(&bot, &w, w.alice, thread, ACTION).await;
    let bob_thread = start_interview(&w.discord, bob, w.channel, json!({}))
        .await
        .channel_id;

    // Defaults: a reminder after 10 idle minutes, expiry after 30.
    bot.clock.advance(SignedDuration::from_mins(11));
    let reminder = w
        .discord
        .wait_for_message(thread, |m| m.content.contains("Still there?"))
        .await;
    assert!(
        reminder.content.contains("10 minutes"),
        "{}",
        reminder.content
    );
    w.discord
        .wait_for_message(bob_thread, |m| m.content.contains("Still there?"))
        .await;
    bot.wait_session(w.alice, "the reminder noted", |s| {
        s.is_some_and(|s| s["session"]["reminded"] == true)
    })
    .await;
    // One reminder per quiet spell, however many checks run.
    let reminders = |d: &support::discord::FakeDiscord| {
        d.messages_in(thread)
            .iter()
            .filter(|m| m.content.contains("Still there?"))
            .count()
    };
    assert_eq!(reminders(&w.discord), 1);

    bot.clock.advance(SignedDuration::from_mins(20));
    let feedback = wait_feedback(&w.discord, thread, 0).await.all_text();
    assert!(feedback.contains("✅ **Action**"), "{feedback}");
    w.discord
        .wait_for_message(thread, |m| {
            m.content.contains("idle for too long, so I analysed")
        })
        .await;
    w.discord
        .wait_for_message(bob_thread, |m| m.content.contains("Nothing was stored"))
        .await;
    for t in [thread, bob_thread] {
        w.discord
            .wait_until("the thread archived", |d| {
                d.channel(t)
                    .filter(|c| c["thread_metadata"]["archived"] == true)
            })
            .await;
    }
    bot.wait_session(w.alice, "alice's session gone", |s| s.is_none())
        .await;
    bot.wait_session(bob, "bob's session gone", |s| s.is_none())
        .await;
    assert_eq!(reminders(&w.discord), 1);
    assert_eq!(feedback_count(&w.discord, bob_thread), 0);
    assert!(
        !w.discord
            .messages_in(thread)
            .iter()
            .any(|m| m.all_text().contains("Bar-raiser follow-up")),
        "an expired interview asks no follow-up"
    );
    assert_all_clean(&w.discord);
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let alice = store
        .history(&UserKey::discord(w.alice), 10)
        .expect("history");
    assert_eq!(alice.len(), 1);
    assert_eq!(alice[0].answer, [SITUATION, ACTION].join("\n"));
    assert!(store
        .history(&UserKey::discord(bob), 10)
        .expect("history")
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_private_threads_a_public_one_and_without_threads_a_dm() {
    let w = world().await;
    let bob = w.member("bob");
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;

    w.discord.set_private_threads_allowed(false);
    let start = w
        .discord
        .slash_command(w.alice, w.channel, "interview start", json!({}));
    let question = wait_question(&w.discord, w.alice).await;
    let thread = w.discord.channel(question.channel_id).expect("a channel");
    assert_eq!(thread["type"], 11, "a public thread: {thread}");
    assert_eq!(thread["parent_id"], json!(w.channel.to_string()));
    let reply = reply_text(&w.discord, start).await;
    assert!(reply.is_ephemeral());
    assert!(reply.content.contains("public"), "{}", reply.content);

    w.discord.set_public_threads_allowed(false);
    let start = w
        .discord
        .slash_command(bob, w.channel, "interview start", json!({}));
    let question = wait_question(&w.discord, bob).await;
    assert_eq!(
        question.channel_id,
        w.discord.dm_channel(bob),
        "the interview moved to a DM"
    );
    let reply = reply_text(&w.discord, start).await;
    assert!(reply.is_ephemeral());
    assert!(reply.content.contains("DM"), "{}", reply.content);
    assert_eq!(
        w.discord.threads_of(w.channel).len(),
        1,
        "only alice's thread"
    );

    // The DM interview works like any other.
    answer(&bot, &w, bob, question.channel_id, SITUATION).await;
    w.discord.send_message(question.channel_id, bob, "done");
    wait_feedback(&w.discord, question.channel_id, 0).await;

    // No threads and DMs closed: told why, and nothing is left open.
    let carol = w.member("carol");
    w.discord.set_dms_closed(carol, true);
    let start = w
        .discord
        .slash_command(carol, w.channel, "interview start", json!({}));
    let reply = reply_text(&w.discord, start).await;
    assert!(reply.is_ephemeral());
    assert!(
        reply.content.contains("DMs are closed"),
        "{}",
        reply.content
    );
    bot.wait_session(carol, "no session left open", |s| s.is_none())
        .await;
    w.discord.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_message_content_the_person_is_pointed_to_the_form_once() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;

    // What Discord delivers in a server when the Message Content intent is off: empty content.
    let first = w.discord.send_message(thread, w.alice, "");
    let notice = w
        .discord
        .wait_for_message(thread, |m| m.content.contains("Answer"))
        .await;
    assert!(notice.content.contains("DM"), "{}", notice.content);
    bot.wait_session(w.alice, "the notice remembered", |s| {
        s.is_some_and(|s| s["content_warned"] == true)
    })
    .await;
    w.discord.send_message(thread, w.alice, "");
    // The form still works, and it is the only thing collected.
    answer_with_form(
        &w.discord,
        w.alice,
        question.id,
        &[
            ("situation", SITUATION),
            ("action", ACTION),
            ("result", RESULT),
        ],
    )
    .await;
    let feedback = wait_feedback(&w.discord, thread, 0).await.all_text();
    assert!(feedback.contains("✅ **Result**"), "{feedback}");
    let notices = w
        .discord
        .messages_in(thread)
        .into_iter()
        .filter(|m| m.author_id == w.discord.bot_id() && m.content == notice.content)
        .count();
    assert_eq!(notices, 1, "told once");
    assert!(
        w.discord
            .message(first)
            .is_some_and(|m| m.reactions.is_empty()),
        "an empty message is not acknowledged as collected"
    );
    assert_all_clean(&w.discord);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_is_a_private_chart_and_export_holds_only_my_data() {
    let w = world().await;
    let bob = w.member("bob");
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    const BOB_TEXT: &str = "In 2024 I ran the Leeds warehouse night shift when the scanners \
        failed, and I borrowed forty scanners so we shipped 98% of orders on time.";
    for (user, text) in [(w.alice, SITUATION), (bob, BOB_TEXT)] {
        let question = start_interview(&w.discord, user, w.channel, json!({})).await;
        answer_with_form(
            &w.discord,
            user,
            question.id,
            &[("situation", text), ("result", RESULT)],
        )
        .await;
        wait_feedback(&w.discord, question.channel_id, 0).await;
    }

    let stats = w
        .discord
        .slash_command(w.alice, w.channel, "stats", json!({}));
    let reply = reply_text(&w.discord, stats).await;
    assert!(reply.is_ephemeral(), "{reply:?}");
    assert!(reply.content.contains("1 attempt"), "{}", reply.content);
    let chart = reply
        .attachments
        .iter()
        .find(|a| a.filename.ends_with(".png"))
        .unwrap_or_else(|| panic!("a PNG chart: {reply:?}"));
    assert!(chart.bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG bytes");

    let export = w
        .discord
        .slash_command(w.alice, w.channel, "export", json!({}));
    let reply = reply_text(&w.discord, export).await;
    assert!(reply.is_ephemeral(), "{reply:?}");
    let file = reply
        .attachments
        .iter()
        .find(|a| a.filename.ends_with(".json"))
        .unwrap_or_else(|| panic!("a JSON file: {reply:?}"));
    let document: serde_json::Value =
        serde_json::from_slice(&file.bytes).expect("the export is JSON");
    let text = document.to_string();
    assert!(
        text.contains("Last spring I was the on-call engineer"),
        "{text}"
    );
    assert!(!text.contains("Leeds"), "nothing of bob's: {text}");
    assert!(
        !text.contains(&bob.to_string()),
        "not even bob's id: {text}"
    );
    assert_all_clean(&w.discord);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_leaves_no_trace_and_history_is_empty() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    answer_with_form(
        &w.discord,
        w.alice,
        question.id,
        &[("situation", SITUATION), ("action", ACTION)],
    )
    .await;
    wait_feedback(&w.discord, question.channel_id, 0).await;

    let history = w
        .discord
        .slash_command(w.alice, w.channel, "history", json!({}));
    let reply = reply_text(&w.discord, history).await;
    assert!(
        reply.content.contains("last 1 attempts"),
        "{}",
        reply.content
    );

    let forget = w
        .discord
        .slash_command(w.alice, w.channel, "forget", json!({}));
    let prompt = reply_text(&w.discord, forget).await;
    assert!(prompt.is_ephemeral());
    let confirm = prompt
        .custom_ids()
        .into_iter()
        .find(|id| id.starts_with("forget:confirm:"))
        .unwrap_or_else(|| panic!("a confirm button: {prompt:?}"));
    let click = w.discord.click_button(w.alice, prompt.id, &confirm);
    let callback = w.discord.wait_for_interaction_response(click).await;
    assert!(callback.succeeded(), "{}", callback.summary());
    assert!(
        callback.content().unwrap_or_default().contains("deleted"),
        "{}",
        callback.summary()
    );
    bot.wait_session(w.alice, "the open interview gone", |s| s.is_none())
        .await;

    let history = w
        .discord
        .slash_command(w.alice, w.channel, "history", json!({}));
    let reply = reply_text(&w.discord, history).await;
    assert!(
        reply.content.contains("No attempts yet"),
        "{}",
        reply.content
    );
    assert_all_clean(&w.discord);
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    assert!(
        !store
            .contains_bytes(w.alice.to_string().as_bytes())
            .expect("scan"),
        "the store still mentions alice's id"
    );
    assert!(!store
        .contains_bytes(b"on-call engineer for the payments")
        .expect("scan"));
}
