//! REST faults on interaction replies: a deferred command's reply is an edit of its original
//! response, retried on 429, 500 and 502–504 (an edit is idempotent) and delivered once; a
//! follow-up (a new message) is retried on 429 only, so a 502 never risks a double; a reply that
//! cannot be delivered is owned up to in a short follow-up.

mod support;

use serde_json::json;
use support::discord::{FakeDiscord, Fault, MessageView, Options};
use support::solo::{running, Running};

const EDIT_ORIGINAL: &str = "/webhooks/{id}/{token}/messages/@original";
const FOLLOWUP: &str = "/webhooks/{id}/{token}";

fn calls(discord: &FakeDiscord, mark: usize, method: &str, route: &str) -> (usize, usize) {
    let matching: Vec<_> = discord
        .calls()
        .into_iter()
        .skip(mark)
        .filter(|c| c.method == method && c.route == route)
        .collect();
    let refused = matching.iter().filter(|c| !c.succeeded()).count();
    (matching.len(), refused)
}

/// Every reply to the interaction that has some text.
fn replies(discord: &FakeDiscord, interaction: u64) -> Vec<MessageView> {
    discord
        .replies_to(interaction)
        .into_iter()
        .filter(|m| !m.content.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_reply_is_an_edit_retried_through_502_and_500_and_arrives_once() {
    let w = running(Options::default()).await;
    let mark = w.discord.mark();
    w.discord
        .inject_fault("PATCH", EDIT_ORIGINAL, 1, Fault::Status(502));
    w.discord
        .inject_fault("PATCH", EDIT_ORIGINAL, 1, Fault::Status(500));
    let interaction = w
        .discord
        .slash_command(w.alice, w.channel, "stats", json!({}));
    let reply = w.discord.wait_for_reply(interaction).await;
    assert!(reply.content.contains("Your stats"), "{}", reply.content);
    assert!(reply.is_ephemeral());
    assert!(
        reply.attachments.iter().any(|a| a.filename == "stats.png"),
        "the chart came with the retried edit"
    );
    assert_eq!(
        calls(&w.discord, mark, "PATCH", EDIT_ORIGINAL),
        (3, 2),
        "two refused edits, one that went through"
    );
    assert_eq!(
        calls(&w.discord, mark, "POST", FOLLOWUP).0,
        0,
        "no follow-up"
    );
    assert_eq!(replies(&w.discord, interaction).len(), 1);
    w.discord.assert_clean();
    w.bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_cannot_be_delivered_is_owned_up_to() {
    let w = running(Options::default()).await;
    let mark = w.discord.mark();
    w.discord
        .inject_fault("PATCH", EDIT_ORIGINAL, 3, Fault::Status(500));
    let interaction = w
        .discord
        .slash_command(w.alice, w.channel, "history", json!({}));
    let note = w
        .discord
        .wait_until("the note that the reply was not delivered", |d| {
            replies(d, interaction)
                .into_iter()
                .find(|m| m.content.contains("Discord did not take my reply"))
        })
        .await;
    assert!(note.is_ephemeral());
    // Owned up to, that is the end of it: no further edit of the original response (it would
    // bring an apology saying the command could not finish, which is not true).
    let more = w
        .discord
        .try_wait_until(std::time::Duration::from_millis(500), |d| {
            (calls(d, mark, "PATCH", EDIT_ORIGINAL).0 > 3 || replies(d, interaction).len() > 1)
                .then_some(())
        })
        .await;
    assert!(
        more.is_none(),
        "after the note: {:?}",
        replies(&w.discord, interaction)
            .iter()
            .map(|m| m.content.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(calls(&w.discord, mark, "PATCH", EDIT_ORIGINAL), (3, 3));
    w.discord.assert_clean();
    w.bot.stop().await;
}

/// Starts an interview, cancels it, then presses Done on its question: the press is
/// acknowledged and the bot says, in a follow-up, that the interview is over.
async fn press_done_on_an_ended_interview(w: &Running) -> u64 {
    let interaction = w
        .discord
        .slash_command(w.alice, w.channel, "interview start", json!({}));
    w.discord.wait_for_reply(interaction).await;
    let done = format!("solo:done:{}", w.alice);
    let question = w
        .discord
        .wait_for_message_anywhere(|m| m.custom_ids().contains(&done))
        .await;
    let cancel = w
        .discord
        .slash_command(w.alice, w.channel, "interview cancel", json!({}));
    w.discord.wait_for_reply(cancel).await;
    w.discord.click_button(w.alice, question.id, &done)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_follow_up_is_sent_again_once() {
    let w = running(Options::default()).await;
    w.discord.inject_fault(
        "POST",
        FOLLOWUP,
        1,
        Fault::RateLimited {
            retry_after: 0.3,
            global: false,
        },
    );
    let mark = w.discord.mark();
    let click = press_done_on_an_ended_interview(&w).await;
    let over = w.discord.wait_for_reply(click).await;
    assert!(
        over.content.contains("This interview is over"),
        "{}",
        over.content
    );
    assert_eq!(calls(&w.discord, mark, "POST", FOLLOWUP), (2, 1));
    assert_eq!(replies(&w.discord, click).len(), 1, "shown once");
    w.discord.assert_clean();
    w.bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_that_got_a_502_is_not_sent_twice() {
    let w = running(Options::default()).await;
    w.discord
        .inject_fault("POST", FOLLOWUP, 1, Fault::Status(502));
    let mark = w.discord.mark();
    let click = press_done_on_an_ended_interview(&w).await;
    w.discord.wait_for_interaction_response(click).await;
    // The follow-up was tried once; a repeat could show the message twice, so there is none.
    w.discord
        .wait_until("the follow-up tried", |d| {
            (calls(d, mark, "POST", FOLLOWUP).0 >= 1).then_some(())
        })
        .await;
    // Once the bot is stopped no late retry can come: exactly the one refused call.
    w.bot.stop().await;
    assert_eq!(calls(&w.discord, mark, "POST", FOLLOWUP), (1, 1));
    assert!(replies(&w.discord, click).is_empty());
}
