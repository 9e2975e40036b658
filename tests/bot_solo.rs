//! End-to-end: the real bot (serenity + poise) against the loopback Discord, solo interviews —
//! answering in a thread or a DM, the modal, edits and deletes, mentions, the size limit, other
//! people's buttons, a second start and two people at once. Restarts, the gateway, idle expiry,
//! fallbacks and personal data are in `bot_solo_lifecycle.rs`.

mod support;

use bar_raiser::store::{Store, UserKey};
use serde_json::json;
use support::bot::{open_store, TestBot};
use support::solo::{
    answer, assert_all_clean, feedback_count, long_message, reply_text, solo_id, start_interview,
    wait_feedback, wait_reacted, world, ACTION, RESULT, SITUATION, TASK,
};

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
    // Collected messages are acknowledged: one at once, the rest of the burst coalesced into a
    // trailing reaction on the newest. serenity handles each event in its own task, so which
    // message of a burst arrives first is not fixed; the newest is always acknowledged.
    w.discord
        .wait_until("a reaction on the newest message and one more", |d| {
            let reacted = ids
                .iter()
                .filter(|id| d.message(**id).is_some_and(|m| !m.reactions.is_empty()))
                .count();
            let newest = d.message(ids[2]).is_some_and(|m| !m.reactions.is_empty());
            (newest && reacted >= 2).then_some(())
        })
        .await;
    bot.wait_session(w.alice, "three messages collected", |s| {
        s.is_some_and(|s| s["session"]["messages"].as_object().map(|m| m.len()) == Some(3))
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
        follow_up.custom_ids().contains(&solo_id("done", w.alice)),
        "the follow-up has a Done button"
    );
    assert_eq!(
        follow_up.id, feedback.id,
        "feedback and follow-up share one message: one call of the REST budget, not two"
    );

    // The follow-up answer adds the result; Done again re-analyses the whole answer.
    let result = w.discord.send_message(thread, w.alice, RESULT);
    wait_reacted(&w.discord, result).await;
    let done = w
        .discord
        .click_button(w.alice, follow_up.id, &solo_id("done", w.alice));
    let second = wait_feedback(&w.discord, thread, 1).await;
    let text = second.all_text();
    assert!(text.contains("✅ **Result**"), "{text}");
    let follow_up_2 = w
        .discord
        .wait_for_message(thread, |m| m.all_text().contains("Bar-raiser follow-up 2"))
        .await;
    assert_eq!(follow_up_2.id, second.id, "one followup carries both");
    // A typed "done" is answered in the channel; the Done click by followups of the click
    // (exempt from the global REST limit), visible to everyone in the thread.
    assert_eq!(feedback.interaction_id, None);
    for reply in [&second, &follow_up_2] {
        assert_eq!(reply.interaction_id, Some(done), "{}", reply.all_text());
        assert_eq!(reply.flags & 64, 0, "not ephemeral");
    }

    // Cancel after the second follow-up: the attempt stays saved and the thread is archived.
    let cancel = w
        .discord
        .click_button(w.alice, follow_up_2.id, &solo_id("cancel", w.alice));
    let closing = w
        .discord
        .wait_for_message(thread, |m| m.content.contains("Your attempt is saved"))
        .await;
    assert_eq!(closing.interaction_id, Some(cancel));
    w.discord
        .wait_until("the thread archived", |d| {
            d.channel(thread)
                .filter(|c| c["thread_metadata"]["archived"] == true)
        })
        .await;
    assert_all_clean(&w.discord);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_done_right_behind_the_answer_still_gets_all_of_it() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;

    // A pasted burst: serenity handles each event in its own task, so "done" may be handled
    // before the messages in front of it.
    for text in [SITUATION, TASK, ACTION, RESULT, "done"] {
        w.discord.send_message(thread, w.alice, text);
    }
    let text = wait_feedback(&w.discord, thread, 0).await.all_text();
    for section in ["Situation", "Task", "Action", "Result"] {
        assert!(text.contains(&format!("✅ **{section}**")), "{text}");
    }
    w.discord
        .wait_for_message(thread, |m| m.all_text().contains("Bar-raiser follow-up 1"))
        .await;
    assert_eq!(feedback_count(&w.discord, thread), 1);
    assert_all_clean(&w.discord);
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let history = store
        .history(&UserKey::discord(w.alice), 10)
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].answer,
        [SITUATION, TASK, ACTION, RESULT].join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_interview_in_a_dm_runs_right_there() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let dm = w.discord.dm_channel(w.alice);

    let start = w
        .discord
        .slash_command(w.alice, dm, "interview start", json!({}));
    let question = support::solo::wait_question(&w.discord, w.alice).await;
    assert_eq!(question.channel_id, dm, "the question is asked in the DM");
    let reply = reply_text(&w.discord, start).await;
    assert!(reply.is_ephemeral(), "{reply:?}");
    assert!(reply.content.contains("right here"), "{}", reply.content);
    assert!(
        w.discord.threads_of(w.channel).is_empty(),
        "no thread anywhere"
    );

    for text in [SITUATION, TASK, ACTION] {
        answer(&bot, &w, w.alice, dm, text).await;
    }
    w.discord.send_message(dm, w.alice, "Done.");
    let feedback = wait_feedback(&w.discord, dm, 0).await;
    let text = feedback.all_text();
    assert!(text.contains("❌ **Result** — missing"), "{text}");
    assert!(text.contains("✅ **Situation**"), "{text}");
    w.discord
        .wait_for_message(dm, |m| m.all_text().contains("Bar-raiser follow-up 1"))
        .await;
    assert_all_clean(&w.discord);
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let history = store
        .history(&UserKey::discord(w.alice), 10)
        .expect("history");
    assert_eq!(history.len(), 1);
    assert!(history[0].answer.contains(ACTION));
    assert_eq!(history[0].guild, None, "a DM attempt belongs to no server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_form_takes_all_four_star_sections() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;

    let click = w
        .discord
        .click_button(w.alice, question.id, &solo_id("answer", w.alice));
    let callback = w.discord.wait_for_interaction_response(click).await;
    assert_eq!(callback.callback_type(), Some(9), "a modal opens");
    let modal = &callback.body["data"];
    let inputs: Vec<serde_json::Value> = modal["components"]
        .as_array()
        .expect("modal rows")
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .collect();
    let names: Vec<&str> = inputs
        .iter()
        .filter_map(|i| i["custom_id"].as_str())
        .collect();
    assert_eq!(names, ["situation", "task", "action", "result"]);
    for input in &inputs {
        let max = input["max_length"].as_u64().expect("a max length");
        assert!(max <= 4000, "{input}");
    }

    let submit = w.discord.submit_modal(
        w.alice,
        &solo_id("modal", w.alice),
        &[
            ("situation", SITUATION),
            ("task", TASK),
            ("action", ACTION),
            ("result", RESULT),
        ],
    );
    let feedback = wait_feedback(&w.discord, thread, 0).await;
    assert_eq!(
        feedback.interaction_id,
        Some(submit),
        "the feedback is a followup of the form"
    );
    let text = feedback.all_text();
    for section in ["Situation", "Task", "Action", "Result"] {
        assert!(text.contains(&format!("✅ **{section}**")), "{text}");
    }
    assert!(text.contains("✅ Your result carries a number."), "{text}");
    assert_all_clean(&w.discord);
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let history = store
        .history(&UserKey::discord(w.alice), 10)
        .expect("history");
    assert_eq!(history.len(), 1);
    assert!(history[0].answer.contains(RESULT));
    assert!(history[0].summary.missing.is_empty(), "{:?}", history[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_updates_the_answer_and_a_deleted_message_leaves_it() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;
    const ASIDE: &str = "Unrelated aside: the office coffee machine broke that week too.";

    let mut ids = Vec::new();
    for text in [SITUATION, TASK, ACTION, ASIDE] {
        ids.push(answer(&bot, &w, w.alice, thread, text).await);
    }
    let edited = format!("{ACTION} As a result, checkout errors fell from 8% to 0.2% in an hour.");
    w.discord.edit_message(ids[2], &edited);
    w.discord.delete_message(ids[3]);
    bot.wait_session(w.alice, "the edit applied and the aside gone", |s| {
        s.is_some_and(|s| {
            let messages = &s["session"]["messages"];
            messages[ids[2].to_string()] == edited.as_str()
                && messages.get(ids[3].to_string()).is_none()
        })
    })
    .await;

    w.discord
        .click_button(w.alice, question.id, &solo_id("done", w.alice));
    let feedback = wait_feedback(&w.discord, thread, 0).await;
    let text = feedback.all_text();
    assert!(text.contains("✅ **Result**"), "{text}");
    assert!(text.contains("✅ Your result carries a number."), "{text}");
    assert!(!text.contains("coffee machine"), "{text}");
    assert_all_clean(&w.discord);
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let history = store
        .history(&UserKey::discord(w.alice), 10)
        .expect("history");
    assert_eq!(history.len(), 1);
    let answer = &history[0].answer;
    assert!(answer.contains(&edited), "{answer}");
    assert!(!answer.contains(ASIDE), "{answer}");
    assert!(
        answer.contains(SITUATION) && answer.contains(TASK),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_and_role_mentions_are_quoted_back_without_pinging() {
    let w = world().await;
    let role = w.discord.add_role(w.guild, "engineers", 0);
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;

    let situation = format!(
        "Last spring I was the on-call engineer for payments when @everyone and <@&{role}> got \
         paged because checkout errors spiked to 8% after a config push."
    );
    for text in [situation.as_str(), TASK, ACTION, RESULT] {
        answer(&bot, &w, w.alice, thread, text).await;
    }
    w.discord.send_message(thread, w.alice, "done");
    let feedback = wait_feedback(&w.discord, thread, 0).await;
    let text = feedback.all_text();
    assert!(text.contains("@everyone"), "the evidence quotes it: {text}");
    assert!(text.contains(&format!("<@&{role}>")), "{text}");
    assert!(
        w.discord.unintended_mention_leaks().is_empty(),
        "{:?}",
        w.discord.mention_leaks()
    );
    assert_all_clean(&w.discord);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_long_messages_stop_at_the_size_limit_and_the_feedback_still_fits() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;

    // 10 messages of 1,900 characters and their line breaks make 19,009 characters; the 11th
    // and 12th would pass 20,000.
    let mut sent = Vec::new();
    for index in 0..12 {
        let text = long_message(index, 1900);
        assert_eq!(text.chars().count(), 1900);
        let id = w.discord.send_message(thread, w.alice, &text);
        if index < 10 {
            bot.wait_session(w.alice, "the long message collected", |s| {
                s.is_some_and(|s| s["session"]["messages"].get(id.to_string()).is_some())
            })
            .await;
        } else {
            w.discord
                .wait_until("a refusal for each message past the limit", |d| {
                    let refusals = d
                        .messages_in(thread)
                        .into_iter()
                        .filter(|m| m.content.contains("was not added"))
                        .count();
                    (refusals == index - 9).then_some(())
                })
                .await;
        }
        sent.push((id, text));
    }
    let refusals: Vec<String> = w
        .discord
        .messages_in(thread)
        .into_iter()
        .filter(|m| m.content.contains("was not added"))
        .map(|m| m.content)
        .collect();
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    for refusal in &refusals {
        assert!(
            refusal.contains("20000") || refusal.contains("20,000"),
            "the limit is stated: {refusal}"
        );
    }
    assert_eq!(bot.collected(w.alice).len(), 10);

    w.discord
        .click_button(w.alice, question.id, &solo_id("done", w.alice));
    let feedback = wait_feedback(&w.discord, thread, 0).await;
    assert!(feedback.all_text().contains("Length"), "{feedback:?}");
    w.discord
        .wait_for_message(thread, |m| m.all_text().contains("Bar-raiser follow-up 1"))
        .await;
    let refusals_after_done = w
        .discord
        .messages_in(thread)
        .iter()
        .filter(|m| m.content.contains("was not added"))
        .count();
    assert_eq!(refusals_after_done, 2, "a refused message is refused once");
    assert_all_clean(&w.discord);
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let history = store
        .history(&UserKey::discord(w.alice), 10)
        .expect("history");
    assert_eq!(history.len(), 1);
    let answer = &history[0].answer;
    assert_eq!(answer.chars().count(), 19_009);
    assert!(answer.contains(&sent[9].1) && !answer.contains(&sent[10].1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_on_someone_elses_interview_is_refused_privately() {
    let w = world().await;
    let bob = w.member("bob");
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;
    answer(&bot, &w, w.alice, thread, SITUATION).await;
    let before = bot.session(w.alice).expect("a session");

    for action in ["done", "cancel", "skip", "hint"] {
        let click = w
            .discord
            .click_button(bob, question.id, &solo_id(action, w.alice));
        let callback = w.discord.wait_for_interaction_response(click).await;
        assert_eq!(callback.callback_type(), Some(4), "{}", callback.summary());
        assert_eq!(callback.body["data"]["flags"], 64, "ephemeral");
        let content = callback.content().unwrap_or_default();
        assert!(content.contains("someone else"), "{content}");
    }
    assert_eq!(
        bot.session(w.alice),
        Some(before),
        "the session is untouched"
    );
    assert_eq!(feedback_count(&w.discord, thread), 0);
    assert!(
        !w.discord
            .messages_in(thread)
            .iter()
            .any(|m| m.all_text().contains("Hint")),
        "no hint was shown"
    );

    // Alice's own click still works.
    w.discord
        .click_button(w.alice, question.id, &solo_id("done", w.alice));
    wait_feedback(&w.discord, thread, 0).await;
    assert_all_clean(&w.discord);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_says_where_the_open_interview_is() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let thread = question.channel_id;
    let threads = w.discord.threads_of(w.channel);

    let second = w
        .discord
        .slash_command(w.alice, w.channel, "interview start", json!({}));
    let reply = reply_text(&w.discord, second).await;
    assert!(reply.is_ephemeral(), "{reply:?}");
    assert!(
        reply.content.contains(&format!("<#{thread}>")),
        "it points to the open thread: {}",
        reply.content
    );
    assert_eq!(w.discord.threads_of(w.channel), threads, "no new thread");
    assert_eq!(
        bot.session(w.alice).expect("the session")["channel_id"],
        json!(thread),
        "the open interview stays where it was"
    );
    assert_all_clean(&w.discord);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_interview_at_once_without_crosstalk() {
    let w = world().await;
    let bob = w.member("bob");
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let alice_question = start_interview(&w.discord, w.alice, w.channel, json!({})).await;
    let bob_question = start_interview(&w.discord, bob, w.channel, json!({})).await;
    let (alice_thread, bob_thread) = (alice_question.channel_id, bob_question.channel_id);
    assert_ne!(alice_thread, bob_thread);
    assert!(!w.discord.thread_members(alice_thread).contains(&bob));
    assert!(!w.discord.thread_members(bob_thread).contains(&w.alice));

    const BOB_SITUATION: &str = "In 2024 I ran the warehouse night shift in Leeds when our \
        scanner fleet failed during the peak week.";
    const BOB_ACTION: &str = "I borrowed forty scanners from the day shift and I retrained \
        twelve pickers on paper lists in one hour.";
    let turns = [
        (w.alice, alice_thread, SITUATION),
        (bob, bob_thread, BOB_SITUATION),
        (w.alice, alice_thread, ACTION),
        (bob, bob_thread, BOB_ACTION),
        (w.alice, alice_thread, RESULT),
    ];
    for (user, thread, text) in turns {
        answer(&bot, &w, user, thread, text).await;
    }
    // Bob speaking in the practice channel is not part of any answer.
    w.discord
        .send_message(w.channel, bob, "Anyone up for a group session later?");
    w.discord.send_message(alice_thread, w.alice, "done");
    w.discord.send_message(bob_thread, bob, "done");
    let alice_feedback = wait_feedback(&w.discord, alice_thread, 0).await.all_text();
    let bob_feedback = wait_feedback(&w.discord, bob_thread, 0).await.all_text();
    assert!(alice_feedback.contains("✅ **Result**"), "{alice_feedback}");
    assert!(!alice_feedback.contains("scanner"), "{alice_feedback}");
    assert!(bob_feedback.contains("scanner"), "{bob_feedback}");
    assert!(!bob_feedback.contains("Redis"), "{bob_feedback}");
    assert_eq!(feedback_count(&w.discord, alice_thread), 1);
    assert_eq!(feedback_count(&w.discord, bob_thread), 1);
    assert_all_clean(&w.discord);
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let alice = store
        .history(&UserKey::discord(w.alice), 10)
        .expect("history");
    let bob = store.history(&UserKey::discord(bob), 10).expect("history");
    assert_eq!((alice.len(), bob.len()), (1, 1));
    assert!(alice[0].answer.contains(RESULT) && !alice[0].answer.contains("scanner"));
    assert!(bob[0].answer.contains(BOB_ACTION) && !bob[0].answer.contains("Redis"));
    assert!(!bob[0].answer.contains("group session"));
}
