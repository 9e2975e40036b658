//! REST faults on the calls a solo interview makes: 429 (per route and global) and 502 on the
//! feedback are retried and the feedback arrives once; a 500 (maybe processed, so not retried)
//! leaves the attempt stored and the person told; slow answers on message posts and reactions
//! do not make the bot miss interaction deadlines. No call breaks a Discord rule.

mod support;

use std::time::Duration;

use bar_raiser::store::{Store, UserKey};
use serde_json::json;
use support::bot::open_store;
use support::discord::{FakeDiscord, Fault, Options};
use support::solo::{running, Running};

const ANSWER: [&str; 3] = [
    "Last spring I was the on-call engineer for the payments API when checkout errors hit 8%.",
    "I rolled back the config and traced the spike to a missing Redis client timeout.",
    "Checkout errors fell from 8% to 0.2% within an hour and we lost no orders.",
];

const POST_MESSAGE: &str = "/channels/{id}/messages";

/// Starts an interview and answers it; returns the thread.
async fn answered(w: &Running) -> u64 {
    let interaction = w
        .discord
        .slash_command(w.alice, w.channel, "interview start", json!({}));
    w.discord.wait_for_reply(interaction).await;
    let done = format!("solo:done:{}", w.alice);
    let thread = w
        .discord
        .wait_until("the question in a thread", |d| {
            d.threads_of(w.channel).into_iter().find(|t| {
                d.messages_in(*t)
                    .iter()
                    .any(|m| m.custom_ids().contains(&done))
            })
        })
        .await;
    let mut last = 0;
    for part in ANSWER {
        last = w.discord.send_message(thread, w.alice, part);
    }
    let bot = w.discord.bot_id();
    w.discord
        .wait_until("the last message acknowledged", |d| {
            d.message(last)
                .filter(|m| m.reactions.iter().any(|(_, by)| *by == bot))
        })
        .await;
    thread
}

fn feedback_count(discord: &FakeDiscord, thread: u64) -> usize {
    discord
        .messages_in(thread)
        .iter()
        .filter(|m| m.all_text().contains("Feedback — score"))
        .count()
}

async fn attempts(w: Running) -> usize {
    w.discord.assert_clean();
    w.bot.stop().await;
    let store = open_store(w.data.path()).await;
    store
        .attempt_count(&UserKey::discord(w.alice))
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_bad_gateways_on_the_feedback_are_retried_and_it_arrives_once() {
    let w = running(Options::default()).await;
    let thread = answered(&w).await;
    for fault in [
        Fault::RateLimited {
            retry_after: 0.3,
            global: false,
        },
        Fault::Status(502),
    ] {
        let before = feedback_count(&w.discord, thread);
        let mark = w.discord.mark();
        w.discord
            .inject_fault("POST", POST_MESSAGE, 1, fault.clone());
        w.discord.send_message(thread, w.alice, ANSWER[2]);
        w.discord.send_message(thread, w.alice, "done");
        w.discord
            .wait_until("the feedback after the fault", |d| {
                (feedback_count(d, thread) > before).then_some(())
            })
            .await;
        let refused = w
            .discord
            .calls()
            .iter()
            .skip(mark)
            .filter(|c| c.route == POST_MESSAGE && !c.succeeded())
            .count();
        assert_eq!(refused, 1, "{fault:?}: the fault was hit once");
        // Give a doubled post the time to show up; there must be exactly one more feedback.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(feedback_count(&w.discord, thread), before + 1, "{fault:?}");
    }
    assert_eq!(attempts(w).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_on_the_feedback_keeps_the_attempt_and_tells_the_person() {
    let w = running(Options::default()).await;
    let thread = answered(&w).await;
    w.discord
        .inject_fault("POST", POST_MESSAGE, 1, Fault::Status(500));
    w.discord.send_message(thread, w.alice, "done");
    w.discord
        .wait_for_message(thread, |m| {
            m.content.contains("could not post all of your feedback")
        })
        .await;
    // The session moved on (follow-up phase) and still works: answer it and get feedback.
    w.discord
        .send_message(thread, w.alice, "I also wrote the postmortem myself.");
    w.discord.send_message(thread, w.alice, "done");
    w.discord
        .wait_until("feedback after the failed one", |d| {
            (feedback_count(d, thread) >= 1).then_some(())
        })
        .await;
    assert_eq!(attempts(w).await, 1, "the attempt was stored once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_posts_and_rate_limited_reactions_do_not_break_deadlines_or_lose_answers() {
    let w = running(Options::default()).await;
    // Every message post takes 1.5 s; reactions are rate limited (global) a few times.
    w.discord.inject_fault(
        "POST",
        POST_MESSAGE,
        20,
        Fault::Delay(Duration::from_millis(1500)),
    );
    w.discord.inject_fault(
        "PUT",
        "/channels/{id}/messages/{id}/reactions/{emoji}/@me",
        3,
        Fault::RateLimited {
            retry_after: 0.5,
            global: true,
        },
    );
    let thread = {
        let interaction = w
            .discord
            .slash_command(w.alice, w.channel, "interview start", json!({}));
        w.discord.wait_for_reply(interaction).await;
        let done = format!("solo:done:{}", w.alice);
        w.discord
            .wait_until("the question in a thread", |d| {
                d.threads_of(w.channel).into_iter().find(|t| {
                    d.messages_in(*t)
                        .iter()
                        .any(|m| m.custom_ids().contains(&done))
                })
            })
            .await
    };
    for part in ANSWER {
        w.discord.send_message(thread, w.alice, part);
    }
    let question = w
        .discord
        .wait_for_message(thread, |m| {
            m.custom_ids().contains(&format!("solo:done:{}", w.alice))
        })
        .await;
    let click = w
        .discord
        .click_button(w.alice, question.id, &format!("solo:done:{}", w.alice));
    w.discord.wait_for_interaction_response(click).await;
    w.discord
        .wait_until("the feedback despite slow posts", |d| {
            (feedback_count(d, thread) >= 1).then_some(())
        })
        .await;
    let ack = w.discord.interaction(click).and_then(|i| i.ack_latency());
    eprintln!("slow REST: Done click acknowledged after {ack:?}");
    w.discord.clear_faults();
    assert_eq!(attempts(w).await, 1);
}

/// Adding the person to their new private thread is rate limited once: the bot retries it (the
/// call is idempotent) and the interview starts as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_thread_member_add_is_retried_and_the_interview_starts() {
    let w = running(Options::default()).await;
    let route = "/channels/{id}/thread-members/{id}";
    w.discord.inject_fault(
        "PUT",
        route,
        1,
        Fault::RateLimited {
            retry_after: 0.3,
            global: false,
        },
    );
    let thread = answered(&w).await;
    assert!(w.discord.thread_members(thread).contains(&w.alice));
    let tries = w
        .discord
        .calls()
        .iter()
        .filter(|c| c.method == "PUT" && c.route == route)
        .count();
    assert_eq!(tries, 2, "one refused, one retried");
    w.discord.assert_clean();
    w.bot.stop().await;
}
