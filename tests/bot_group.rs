//! End-to-end: group mock interviews with the real bot against the loopback Discord.

mod support;

use std::sync::Arc;

use bar_raiser::clock::ManualClock;
use bar_raiser::store::{Store, UserKey};
use jiff::SignedDuration;
use serde_json::json;
use support::bot::{open_store, start_instant, TestBot};
use support::discord::{FakeDiscord, Fault, MessageView};

struct World {
    discord: FakeDiscord,
    channel: u64,
    users: Vec<u64>,
    data: tempfile::TempDir,
    clock: Arc<ManualClock>,
}

async fn world(people: &[&str]) -> World {
    let discord = FakeDiscord::start().await;
    let guild = discord.add_guild("Study Group");
    let channel = discord.add_text_channel(guild, "mock-interviews");
    let users = people
        .iter()
        .map(|name| {
            let id = discord.add_user(name);
            discord.add_member(guild, id, &[]);
            id
        })
        .collect();
    World {
        discord,
        channel,
        users,
        data: tempfile::tempdir().expect("temp dir"),
        clock: Arc::new(ManualClock::new(start_instant())),
    }
}

/// `/group start` by the first user; returns (lobby message, thread id).
async fn open_lobby(w: &World, options: serde_json::Value) -> (MessageView, u64) {
    let host = w.users[0];
    let interaction = w
        .discord
        .slash_command(host, w.channel, "group start", options);
    w.discord.wait_for_interaction_response(interaction).await;
    let join = format!("group:join:{}", w.channel);
    let lobby = w
        .discord
        .wait_for_message(w.channel, |m| m.custom_ids().contains(&join))
        .await;
    let thread = w
        .discord
        .wait_until("the session thread", |d| {
            d.threads_of(w.channel).first().copied()
        })
        .await;
    (lobby, thread)
}

/// The second user joins the lobby; returns once the lobby shows two people.
async fn join_second(w: &World, lobby: &MessageView) {
    w.discord
        .click_button(w.users[1], lobby.id, &id("join", w.channel));
    w.discord
        .wait_until("two in the lobby", |d| {
            d.message(lobby.id)
                .filter(|m| m.all_text().contains("(2/8)"))
        })
        .await;
}

fn id(action: &str, channel: u64) -> String {
    format!("group:{action}:{channel}")
}

/// Done, Next and End on a round's question card carry that round.
fn round_id(action: &str, channel: u64, round: u32) -> String {
    format!("group:{action}:{channel}:{round}")
}

async fn wait_round(w: &World, thread: u64, round: u32) -> MessageView {
    let title = format!("Round {round}/");
    w.discord
        .wait_for_message(thread, |m| m.all_text().contains(&title))
        .await
}

async fn wait_text(w: &World, channel: u64, text: &str) -> MessageView {
    w.discord
        .wait_for_message(channel, |m| m.all_text().contains(text))
        .await
}

/// Waits until each of these messages got the bot's ✅ (the last of a burst is acknowledged
/// within a second), so later clicks are not processed before them.
async fn wait_acknowledged(w: &World, messages: &[u64]) {
    w.discord
        .wait_until("the answers acknowledged", |d| {
            messages
                .iter()
                .all(|id| d.message(*id).is_some_and(|m| !m.reactions.is_empty()))
                .then_some(())
        })
        .await;
}

const ANSWERS: [[&str; 2]; 3] = [
    [
        "Last year I owned the checkout service at a retailer and payments failed 3% of the time.",
        "I added retries and an alert myself, and failures fell to 0.4% within two weeks.",
    ],
    [
        "At my bootcamp our team project had no tests and the demo was in five days.",
        "I wrote 40 tests over a weekend and we demoed with zero crashes.",
    ],
    [
        "My manager asked me to cut our cloud bill before the budget review in March.",
        "I found idle clusters, shut them down, and the bill dropped by $12,000 a month.",
    ],
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_people_two_rounds_votes_scoreboard_and_history() {
    let w = world(&["hana", "ivan", "jo"]).await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let (lobby, thread) = open_lobby(&w, json!({"rounds": 2})).await;
    let (host, b, c) = (w.users[0], w.users[1], w.users[2]);

    let joins = [
        w.discord.click_button(b, lobby.id, &id("join", w.channel)),
        w.discord.click_button(c, lobby.id, &id("join", w.channel)),
    ];
    w.discord
        .wait_until("the lobby lists three people", |d| {
            d.message(lobby.id)
                .filter(|m| m.all_text().contains("Who is in (3/8)"))
        })
        .await;
    // Each join is answered by updating the lobby in the click's response (an interaction
    // callback, exempt from the global REST limit), not by a paced edit of the message.
    for join in joins {
        let response = w.discord.wait_for_interaction_response(join).await;
        assert_eq!(response.callback_type(), Some(7), "{}", response.summary());
    }
    let lobby_edits = w.discord.calls_matching(|c| {
        c.method == "PATCH" && c.path.ends_with(&format!("/messages/{}", lobby.id))
    });
    assert!(lobby_edits.is_empty(), "{lobby_edits:#?}");

    // A non-host cannot begin.
    let refused = w.discord.click_button(b, lobby.id, &id("begin", w.channel));
    let response = w.discord.wait_for_interaction_response(refused).await;
    assert!(
        response.body.to_string().contains("Only the host"),
        "{}",
        response.body
    );

    w.discord
        .click_button(host, lobby.id, &id("begin", w.channel));
    for round in 1..=2u32 {
        let question = wait_round(&w, thread, round).await;
        // Interleaved answers from all three.
        let mut sent = Vec::new();
        for part in 0..2 {
            for (who, answer) in [host, b, c].iter().zip(ANSWERS.iter()) {
                sent.push(w.discord.send_message(thread, *who, answer[part]));
            }
        }
        wait_acknowledged(&w, &sent[3..]).await;
        for who in [host, b] {
            w.discord
                .click_button(who, question.id, &round_id("done", w.channel, round));
        }
        w.discord.send_message(thread, c, "done");
        wait_text(&w, thread, &format!("Round {round} feedback")).await;
        let vote = w
            .discord
            .wait_for_message(thread, |m| {
                m.custom_ids()
                    .contains(&format!("group:vote:{}:{round}", w.channel))
            })
            .await;
        let vote_id = format!("group:vote:{}:{round}", w.channel);
        // No voting for yourself.
        let own = w
            .discord
            .select_menu(b, vote.id, &vote_id, &[&UserKey::discord(b).0]);
        let response = w.discord.wait_for_interaction_response(own).await;
        assert!(response
            .body
            .to_string()
            .contains("cannot vote for yourself"));
        for voter in [b, host] {
            let voted = w
                .discord
                .select_menu(voter, vote.id, &vote_id, &[&UserKey::discord(c).0]);
            let response = w.discord.wait_for_interaction_response(voted).await;
            assert!(response.body.to_string().contains("Your vote is in"));
        }
        if round == 1 {
            // The review window passes on the clock; round 2 starts by itself.
            w.clock.advance(SignedDuration::from_mins(3));
        } else {
            w.discord
                .click_button(host, question.id, &round_id("next", w.channel, round));
        }
    }
    let board = wait_text(&w, thread, "Scoreboard — 2 round(s)").await;
    let text = board.all_text();
    assert!(text.contains("jo**: average"), "{text}");
    assert!(
        text.contains("4 votes"),
        "jo got two votes per round: {text}"
    );
    w.discord
        .wait_until("the thread archived", |d| {
            d.channel(thread)
                .filter(|c| c["thread_metadata"]["archived"] == true)
        })
        .await;
    w.discord.assert_clean();
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    for user in [host, b, c] {
        let history = store.history(&UserKey::discord(user), 10).unwrap();
        assert_eq!(history.len(), 2, "one attempt per round for {user}");
        assert!(history.iter().all(|a| a.mode.to_string() == "group"));
    }
    assert!(store.list_sessions().unwrap().is_empty(), "session closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_seat_panel_ratings_reach_the_candidate() {
    let w = world(&["kai", "lea", "max"]).await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let (lobby, thread) = open_lobby(&w, json!({"rounds": 1, "mode": 1})).await;
    let (host, b, c) = (w.users[0], w.users[1], w.users[2]);
    w.discord.click_button(b, lobby.id, &id("join", w.channel));
    w.discord.click_button(c, lobby.id, &id("join", w.channel));
    w.discord
        .wait_until("three in the lobby", |d| {
            d.message(lobby.id)
                .filter(|m| m.all_text().contains("(3/8)"))
        })
        .await;
    w.discord
        .click_button(host, lobby.id, &id("begin", w.channel));
    let question = wait_round(&w, thread, 1).await;
    let text = question.all_text();
    assert!(text.contains("In the hot seat: **kai**"), "{text}");

    // Only the candidate's messages count; the panel's chat is ignored for scoring.
    w.discord.send_message(thread, b, "good luck!");
    let sent: Vec<u64> = ANSWERS[0]
        .iter()
        .map(|line| w.discord.send_message(thread, host, line))
        .collect();
    wait_acknowledged(&w, &sent).await;
    w.discord
        .click_button(host, question.id, &round_id("next", w.channel, 1));
    wait_text(&w, thread, "Round 1 feedback").await;
    let rate = w
        .discord
        .wait_for_message(thread, |m| {
            m.custom_ids()
                .contains(&format!("group:rate:{}:1", w.channel))
        })
        .await;
    let rate_id = format!("group:rate:{}:1", w.channel);
    let modal_id = format!("group:ratemodal:{}:1", w.channel);
    for (panelist, score, comment) in [(b, "4", "Clear numbers."), (c, "9", "Great")] {
        let open = w.discord.click_button(panelist, rate.id, &rate_id);
        w.discord.wait_for_interaction_response(open).await;
        let submit = w.discord.submit_modal(
            panelist,
            &modal_id,
            &[("score", score), ("comment", comment)],
        );
        let response = w.discord.wait_for_interaction_response(submit).await;
        let body = response.body.to_string();
        if score == "9" {
            assert!(body.contains("from 1 to 5"), "{body}");
        } else {
            assert!(body.contains("Your rating is in"), "{body}");
        }
    }
    // The review window ends on the clock: the candidate gets the panel's comments.
    w.clock.advance(SignedDuration::from_mins(3));
    let panel = wait_text(&w, thread, "Panel feedback for kai").await;
    assert!(panel.all_text().contains("Clear numbers."));
    wait_text(&w, thread, "Scoreboard").await;
    w.discord.assert_clean();
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    assert_eq!(store.history(&UserKey::discord(host), 5).unwrap().len(), 1);
    assert!(
        store.history(&UserKey::discord(b), 5).unwrap().is_empty(),
        "panel chat is not an answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_round_keeps_the_answers_and_the_timer_closes_the_round() {
    let w = world(&["nia", "oli"]).await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let (lobby, thread) = open_lobby(&w, json!({"rounds": 1, "answer_minutes": 5})).await;
    let (host, b) = (w.users[0], w.users[1]);
    join_second(&w, &lobby).await;
    // A non-host cannot end it.
    let refused = w.discord.click_button(b, lobby.id, &id("end", w.channel));
    let response = w.discord.wait_for_interaction_response(refused).await;
    assert!(response.body.to_string().contains("Only the host"));

    w.discord
        .click_button(host, lobby.id, &id("begin", w.channel));
    wait_round(&w, thread, 1).await;
    let first = w.discord.send_message(thread, host, ANSWERS[0][0]);
    w.discord
        .wait_until("the answer acknowledged", |d| {
            d.message(first).filter(|m| !m.reactions.is_empty())
        })
        .await;
    bot.stop().await;

    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let sent = [
        w.discord.send_message(thread, host, ANSWERS[0][1]),
        w.discord.send_message(thread, b, ANSWERS[1][0]),
    ];
    wait_acknowledged(&w, &sent).await;
    // The warning, then the deadline closes the round.
    w.clock.advance(SignedDuration::from_mins(4));
    wait_text(&w, thread, "One minute left in round 1").await;
    w.clock.advance(SignedDuration::from_mins(2));
    wait_text(&w, thread, "Round 1 feedback").await;
    w.discord.assert_clean();
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let history = store.history(&UserKey::discord(host), 5).unwrap();
    assert_eq!(history.len(), 1);
    assert!(
        history[0].answer.contains(ANSWERS[0][0]),
        "kept across the restart"
    );
    assert!(history[0].answer.contains(ANSWERS[0][1]));
}

/// The question of a round is stored before it is posted: when the post never happens (here
/// it fails; in a crash the bot dies first), the bot posts it when it starts again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_stored_but_never_posted_is_posted_after_a_restart() {
    let w = world(&["pia", "quinn"]).await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let (lobby, thread) = open_lobby(&w, json!({"rounds": 2})).await;
    let (host, b) = (w.users[0], w.users[1]);
    join_second(&w, &lobby).await;
    // Every message post fails while round 1 starts.
    w.discord
        .inject_fault("POST", "/channels/{id}/messages", 1000, Fault::Status(500));
    let begin = w
        .discord
        .click_button(host, lobby.id, &id("begin", w.channel));
    w.discord.wait_for_interaction_response(begin).await;
    let thread_posts = format!("/channels/{thread}/messages");
    w.discord
        .wait_until("the question post refused", |d| {
            d.calls_matching(|c| c.method == "POST" && c.path == thread_posts && c.status == 500)
                .first()
                .cloned()
        })
        .await;
    bot.stop().await;
    assert!(
        !w.discord
            .messages_in(thread)
            .iter()
            .any(|m| m.all_text().contains("Round 1/")),
        "the question was not shown before the restart"
    );
    w.discord.clear_faults();

    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let question = wait_round(&w, thread, 1).await;
    let done = format!("group:done:{}:1", w.channel);
    assert!(question.custom_ids().contains(&done), "{question:?}");
    // The round goes on from the re-posted card.
    let sent = w.discord.send_message(thread, b, ANSWERS[1][0]);
    wait_acknowledged(&w, &[sent]).await;
    w.discord.click_button(b, question.id, &done);
    w.discord.click_button(host, question.id, &done);
    wait_text(&w, thread, "Round 1 feedback").await;
    bot.stop().await;
}

/// Done, Next and End carry their round: a click on an older round's card is refused and the
/// round under way goes on untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_from_an_older_round_is_refused() {
    let w = world(&["rae", "sol"]).await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let (lobby, thread) = open_lobby(&w, json!({"rounds": 2})).await;
    let (host, b) = (w.users[0], w.users[1]);
    join_second(&w, &lobby).await;
    w.discord
        .click_button(host, lobby.id, &id("begin", w.channel));
    let first = wait_round(&w, thread, 1).await;
    let next_1 = format!("group:next:{}:1", w.channel);
    assert!(first.custom_ids().contains(&next_1), "{first:?}");
    // Next closes round 1, Next again starts round 2.
    let close = w.discord.click_button(host, first.id, &next_1);
    w.discord.wait_for_interaction_response(close).await;
    wait_text(&w, thread, "Round 1 closed").await;
    let start = w.discord.click_button(host, first.id, &next_1);
    w.discord.wait_for_interaction_response(start).await;
    let second = wait_round(&w, thread, 2).await;

    let sent = w.discord.send_message(thread, b, ANSWERS[2][0]);
    wait_acknowledged(&w, &[sent]).await;
    // The host presses Next on round 1's card while round 2 runs.
    for action in ["next", "end", "done"] {
        let stale =
            w.discord
                .click_button(host, first.id, &format!("group:{action}:{}:1", w.channel));
        let response = w.discord.wait_for_interaction_response(stale).await;
        let body = response.body.to_string();
        assert!(
            body.contains("That button is from round 1; round 2 is under way"),
            "{body}"
        );
        assert_eq!(response.body["data"]["flags"], json!(64), "{body}");
    }
    // Round 2 still collects: its answer makes its feedback.
    let done_2 = format!("group:done:{}:2", w.channel);
    w.discord.click_button(b, second.id, &done_2);
    w.discord.click_button(host, second.id, &done_2);
    let feedback = wait_text(&w, thread, "Round 2 feedback").await;
    assert!(!w
        .discord
        .messages_in(thread)
        .iter()
        .any(|m| m.all_text().contains("Round 2 closed: nobody answered")));
    assert!(feedback.id > second.id);
    let cards = wait_text(&w, thread, "sol —").await;
    assert!(cards.all_text().contains("sol —"), "{}", cards.all_text());
    bot.stop().await;
}
