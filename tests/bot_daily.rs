//! End-to-end: the daily question against the loopback Discord, with the manual clock. The bot
//! re-checks the clock every 100 ms; the tests move the clock and wait for what Discord sees.

mod support;

use std::sync::Arc;
use std::time::Duration;

use bar_raiser::clock::ManualClock;
use bar_raiser::config::Config;
use bar_raiser::daily::{parse_time, DailySettings, POST_MARKERS};
use bar_raiser::store::{Mode, Store, UserKey};
use jiff::Timestamp;
use serde_json::json;
use support::bot::{open_store, start_instant, TestBot, STORED_WITHIN};
use support::discord::{perms, FakeDiscord, Fault, MessageView};

const SITUATION: &str = "Last spring I was the on-call engineer for the payments API at a \
    mid-size fintech, and checkout errors spiked to 8% right after a config push.";
const TASK: &str =
    "My job was to find the cause and get checkout healthy again before the evening peak.";
const ACTION: &str = "I rolled back the config, traced the spike to a missing timeout on a \
    Redis client, and I wrote a fix with a regression test that I shipped the same afternoon.";
const RESULT: &str = "Checkout errors dropped from 8% to 0.2% within an hour and we lost no \
    orders at the evening peak.";
const BOB_ANSWER: &str = "We were asked to launch a new onboarding flow. We planned it as a \
    team and we shipped it on time, and we were happy with how it went.";

/// The time the tests set: 12:00 in Berlin, which is 11:00 UTC in November.
const BERLIN_NOON_UTC: &str = "2026-11-29T11:00:00Z";

struct Server {
    guild: u64,
    channel: u64,
    admin: u64,
    role: u64,
}

struct World {
    discord: FakeDiscord,
    main: Server,
    alice: u64,
    bob: u64,
    carol: u64,
    data: tempfile::TempDir,
    clock: Arc<ManualClock>,
}

fn server(discord: &FakeDiscord, name: &str) -> Server {
    let guild = discord.add_guild(name);
    let channel = discord.add_text_channel(guild, "daily-question");
    let admins = discord.add_role(guild, "Admins", perms::MANAGE_GUILD);
    let admin = discord.add_user(&format!("{name}-admin"));
    discord.add_member(guild, admin, &[admins]);
    let role = discord.add_role(guild, "Daily pings", 0);
    Server {
        guild,
        channel,
        admin,
        role,
    }
}

async fn world() -> World {
    let discord = FakeDiscord::start().await;
    let main = server(&discord, "Career Club");
    let mut members = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let user = discord.add_user(name);
        discord.add_member(main.guild, user, &[]);
        members.push(user);
    }
    World {
        discord,
        main,
        alice: members[0],
        bob: members[1],
        carol: members[2],
        data: tempfile::tempdir().expect("temp dir"),
        clock: Arc::new(ManualClock::new(start_instant())),
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("valid instant")
}

/// Runs a slash command and returns the text of its first visible reply (ephemeral asserted).
async fn command(
    discord: &FakeDiscord,
    user: u64,
    channel: u64,
    name: &str,
    options: serde_json::Value,
) -> String {
    let interaction = discord.slash_command(user, channel, name, options);
    let reply = discord.wait_for_reply(interaction).await;
    assert!(reply.is_ephemeral(), "/{name} replies privately: {reply:?}");
    reply.all_text()
}

/// `/daily set` by the server's admin at 12:00 Berlin time, with the role to mention.
async fn set_daily(discord: &FakeDiscord, server: &Server) -> String {
    command(
        discord,
        server.admin,
        server.channel,
        "daily set",
        json!({
            "channel": server.channel.to_string(),
            "time": "12:00",
            "timezone": "Europe/Berlin",
            "role": server.role.to_string(),
        }),
    )
    .await
}

fn button_id(guild: u64, date: &str) -> String {
    format!("daily:feedback:{guild}:{date}")
}

/// The day's posts in the channel (messages carrying that day's button).
fn posts_for(discord: &FakeDiscord, server: &Server, date: &str) -> Vec<MessageView> {
    let wanted = button_id(server.guild, date);
    discord
        .messages_in(server.channel)
        .into_iter()
        .filter(|m| m.custom_ids().contains(&wanted))
        .collect()
}

/// Every daily post in the channel.
fn all_posts(discord: &FakeDiscord, server: &Server) -> Vec<MessageView> {
    let prefix = format!("daily:feedback:{}:", server.guild);
    discord
        .messages_in(server.channel)
        .into_iter()
        .filter(|m| m.custom_ids().iter().any(|id| id.starts_with(&prefix)))
        .collect()
}

async fn wait_post(discord: &FakeDiscord, server: &Server, date: &str) -> MessageView {
    discord
        .wait_until(&format!("the daily post of {date}"), |d| {
            posts_for(d, server, date).into_iter().next()
        })
        .await
}

/// Waits until the post's thread exists and returns its id.
async fn wait_thread(discord: &FakeDiscord, post: &MessageView) -> u64 {
    discord
        .wait_until("the answer thread", |d| {
            d.message(post.id).and_then(|m| m.thread_id)
        })
        .await
}

/// Sends an answer message in the thread and waits until the bot acknowledged it.
async fn answer(discord: &FakeDiscord, thread: u64, user: u64, text: &str) -> u64 {
    let id = discord.send_message(thread, user, text);
    discord
        .wait_until("the answer acknowledged with a reaction", |d| {
            d.message(id).filter(|m| !m.reactions.is_empty())
        })
        .await;
    id
}

/// Presses `Get feedback` and returns the whole private reply (all its messages' text).
async fn get_feedback(discord: &FakeDiscord, user: u64, post: &MessageView, date: &str) -> String {
    let guild = post.guild_id.expect("a guild post");
    let interaction = discord.click_button(user, post.id, &button_id(guild, date));
    let first = discord.wait_for_reply(interaction).await;
    assert!(first.is_ephemeral(), "feedback is private: {first:?}");
    let replies = discord.replies_to(interaction);
    assert!(replies.iter().all(MessageView::is_ephemeral));
    replies
        .iter()
        .map(MessageView::all_text)
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_set_it_up_it_posts_once_with_a_thread_and_members_get_their_own_feedback() {
    let w = world().await;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let main = &w.main;

    // Registered for Manage Server, server-only, with the channel limited to text channels.
    let registered = w.discord.command("daily").expect("/daily registered");
    assert_eq!(
        registered["default_member_permissions"], "32",
        "{registered}"
    );
    let set_options = registered["options"]
        .as_array()
        .and_then(|subs| subs.iter().find(|s| s["name"] == "set"))
        .map(|set| set["options"].clone())
        .expect("/daily set");
    let channel_option = set_options
        .as_array()
        .and_then(|options| options.iter().find(|o| o["name"] == "channel"))
        .expect("channel option");
    assert_eq!(
        channel_option["channel_types"],
        json!([0]),
        "{channel_option}"
    );

    // Hidden from plain members by default permissions, and refused at run time anyway.
    assert!(!w.discord.command_visible_to(w.alice, main.guild, "daily"));
    assert!(w
        .discord
        .command_visible_to(main.admin, main.guild, "daily"));
    let refused = command(
        &w.discord,
        w.alice,
        main.channel,
        "daily set",
        json!({"channel": main.channel.to_string(), "time": "09:00", "timezone": "UTC"}),
    )
    .await;
    assert!(refused.contains("Only server admins"), "{refused}");
    let shown = command(
        &w.discord,
        main.admin,
        main.channel,
        "daily show",
        json!({}),
    )
    .await;
    assert!(shown.contains("No daily question here yet"), "{shown}");

    // Friendly errors naming the option, with an example.
    let bad_time = command(
        &w.discord,
        main.admin,
        main.channel,
        "daily set",
        json!({"channel": main.channel.to_string(), "time": "7pm", "timezone": "Europe/Berlin"}),
    )
    .await;
    assert!(
        bad_time.contains("`time`") && bad_time.contains("07:30"),
        "{bad_time}"
    );
    let bad_zone = command(
        &w.discord,
        main.admin,
        main.channel,
        "daily set",
        json!({"channel": main.channel.to_string(), "time": "12:00", "timezone": "Mars/Olympus"}),
    )
    .await;
    assert!(
        bad_zone.contains("`timezone`") && bad_zone.contains("Europe/Berlin"),
        "{bad_zone}"
    );

    // Timezones are suggested as the admin types.
    let typed = w.discord.autocomplete(
        main.admin,
        main.channel,
        "daily set",
        json!({"timezone": "berl"}),
        "timezone",
    );
    let suggestions = w.discord.wait_for_interaction_response(typed).await;
    let choices = suggestions.body["data"]["choices"].clone();
    assert_eq!(choices[0]["value"], "Europe/Berlin", "{choices}");

    let confirmed = set_daily(&w.discord, main).await;
    assert!(confirmed.contains("Daily question set"), "{confirmed}");
    assert!(
        confirmed.contains("Next post: Sunday 29 November 2026 at 12:00 (Europe/Berlin"),
        "{confirmed}"
    );
    let shown = command(
        &w.discord,
        main.admin,
        main.channel,
        "daily show",
        json!({}),
    )
    .await;
    assert!(shown.contains("not posted yet"), "{shown}");
    assert!(
        all_posts(&w.discord, main).is_empty(),
        "nothing before the time"
    );

    // Past 12:00 in Berlin: one post, the role mention the only allowed ping, a dated thread.
    w.clock
        .set(at(BERLIN_NOON_UTC) + jiff::SignedDuration::from_secs(30));
    let post = wait_post(&w.discord, main, "2026-11-29").await;
    assert_eq!(post.content, format!("<@&{}>", main.role));
    let allowed = post.allowed_mentions.clone().expect("allowed_mentions set");
    assert_eq!(
        allowed["roles"],
        json!([main.role.to_string()]),
        "{allowed}"
    );
    assert_eq!(allowed["parse"], json!([]), "{allowed}");
    let text = post.all_text();
    assert!(
        text.contains("Daily question · Sunday 29 November 2026"),
        "{text}"
    );
    assert!(text.contains("**What it tests:**"), "{text}");
    let thread = wait_thread(&w.discord, &post).await;
    let thread_info = w.discord.channel(thread).expect("thread exists");
    assert_eq!(thread_info["name"], "Answers · 2026-11-29");
    assert_eq!(thread_info["parent_id"], main.channel.to_string());

    // Two members answer; each gets feedback on their own answer only.
    answer(&w.discord, thread, w.alice, &format!("{SITUATION} {TASK}")).await;
    answer(&w.discord, thread, w.alice, ACTION).await;
    answer(&w.discord, thread, w.bob, BOB_ANSWER).await;

    let alice_feedback = get_feedback(&w.discord, w.alice, &post, "2026-11-29").await;
    assert!(alice_feedback.contains("(2 messages)"), "{alice_feedback}");
    assert!(
        alice_feedback.contains("Feedback — score"),
        "{alice_feedback}"
    );
    assert!(
        alice_feedback.contains("❌ **Result** — missing"),
        "{alice_feedback}"
    );
    assert!(alice_feedback.contains("✅ **Action**"), "{alice_feedback}");
    assert!(
        alice_feedback.contains("Daily streak: **1 day**"),
        "{alice_feedback}"
    );
    let bob_feedback = get_feedback(&w.discord, w.bob, &post, "2026-11-29").await;
    assert!(bob_feedback.contains("(1 message)"), "{bob_feedback}");
    assert!(bob_feedback.contains("\"I\": 0"), "{bob_feedback}");
    assert!(!bob_feedback.contains("Redis"), "{bob_feedback}");

    // No answer yet: a friendly hint pointing at the thread.
    let carol = get_feedback(&w.discord, w.carol, &post, "2026-11-29").await;
    assert!(carol.contains("You have not answered yet"), "{carol}");
    assert!(carol.contains(&format!("<#{thread}>")), "{carol}");
    // An answer that arrives empty (Message Content intent off) gets the reason instead.
    w.discord.send_message(thread, w.carol, "");
    let blind = feedback_until(&w.discord, w.carol, &post, "2026-11-29", "Message Content").await;
    assert!(blind.contains("can't read messages"), "{blind}");

    // Alice adds her result; the re-click analyses the whole answer again.
    answer(&w.discord, thread, w.alice, RESULT).await;
    let again = get_feedback(&w.discord, w.alice, &post, "2026-11-29").await;
    assert!(again.contains("(3 messages)"), "{again}");
    assert!(again.contains("✅ **Result**"), "{again}");

    let stats = command(&w.discord, w.alice, main.channel, "stats", json!({})).await;
    assert!(
        stats.contains("Daily question streak in this server: **1 day**"),
        "{stats}"
    );

    assert_eq!(all_posts(&w.discord, main).len(), 1, "posted once");
    w.discord.assert_clean();
    assert!(w.discord.unintended_mention_leaks().is_empty());
    for leak in w.discord.mention_leaks() {
        assert_eq!(
            leak.ping,
            support::discord::Ping::Role(main.role),
            "{leak:?}"
        );
    }
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let daily_id = format!("daily:{}:2026-11-29", main.guild);
    let alice = store
        .history(&UserKey::discord(w.alice), 10)
        .expect("history");
    assert_eq!(
        alice.len(),
        1,
        "one attempt per day, updated by the re-click"
    );
    assert_eq!(alice[0].id.as_str(), daily_id);
    assert_eq!(alice[0].mode, Mode::Daily);
    assert_eq!(
        alice[0].guild.as_deref(),
        Some(main.guild.to_string().as_str())
    );
    assert!(alice[0].answer.contains(SITUATION) && alice[0].answer.contains(RESULT));
    assert!(alice[0].summary.star.result);
    assert!(!alice[0].answer.contains(BOB_ANSWER));
    let bob = store
        .history(&UserKey::discord(w.bob), 10)
        .expect("history");
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].mode, Mode::Daily);
    assert_eq!(bob[0].answer, BOB_ANSWER);
    assert!(store
        .history(&UserKey::discord(w.carol), 10)
        .expect("history")
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_never_double_post_and_a_missed_time_posts_once_for_today_only() {
    let w = world().await;
    let main = &w.main;

    // Set up, then the bot is down over today's time: it posts once on startup.
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    set_daily(&w.discord, main).await;
    bot.stop().await;
    w.clock.set(at("2026-11-29T15:00:00Z"));
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let first = wait_post(&w.discord, main, "2026-11-29").await;
    let thread = wait_thread(&w.discord, &first).await;
    let opening = answer(&w.discord, thread, w.alice, SITUATION).await;
    answer(&w.discord, thread, w.alice, "a line I will take back").await;
    bot.stop().await;

    // While the bot is away Alice writes, edits and deletes: Discord replays none of it.
    w.discord
        .send_message(thread, w.alice, &format!("{ACTION} {RESULT}"));
    w.discord
        .edit_message(opening, &format!("{SITUATION} {TASK}"));
    let taken_back = w
        .discord
        .messages_in(thread)
        .into_iter()
        .find(|m| m.content == "a line I will take back")
        .expect("the message to delete");
    w.discord.delete_message(taken_back.id);

    // Restarted after today's post: nothing new today; tomorrow's post still comes.
    w.clock.set(at("2026-11-29T18:00:00Z"));
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let caught_up = get_feedback(&w.discord, w.alice, &first, "2026-11-29").await;
    assert!(caught_up.contains("(2 messages)"), "{caught_up}");
    assert!(caught_up.contains("✅ **Task**"), "the edit: {caught_up}");
    assert!(
        caught_up.contains("✅ **Result**"),
        "the new message: {caught_up}"
    );
    let shown = command(
        &w.discord,
        main.admin,
        main.channel,
        "daily show",
        json!({}),
    )
    .await;
    assert!(shown.contains("Today (2026-11-29): posted"), "{shown}");
    w.clock.set(at("2026-11-30T11:00:30Z"));
    let second = wait_post(&w.discord, main, "2026-11-30").await;
    wait_thread(&w.discord, &second).await;
    assert_eq!(posts_for(&w.discord, main, "2026-11-29").len(), 1);
    assert!(second
        .all_text()
        .contains("1 member answered yesterday's question."));
    assert_ne!(
        first.embeds[0]["description"], second.embeds[0]["description"],
        "the rotation does not repeat a question"
    );
    bot.stop().await;

    // Down for three days: one post on startup, for today, none for the days missed.
    w.clock.set(at("2026-12-03T15:00:00Z"));
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let after_gap = wait_post(&w.discord, main, "2026-12-03").await;
    // No post yesterday, so no participation count is claimed.
    assert!(!after_gap.all_text().contains("yesterday"));
    w.clock.set(at("2026-12-04T11:00:30Z"));
    wait_post(&w.discord, main, "2026-12-04").await;
    for missed in ["2026-12-01", "2026-12-02"] {
        assert!(posts_for(&w.discord, main, missed).is_empty(), "{missed}");
    }
    for date in ["2026-11-29", "2026-11-30", "2026-12-03", "2026-12-04"] {
        assert_eq!(posts_for(&w.discord, main, date).len(), 1, "{date}");
    }
    assert_eq!(all_posts(&w.discord, main).len(), 4);
    w.discord.assert_clean();
    bot.stop().await;
}

/// The marker as a crash between "claimed" and "recorded as posted" leaves it.
fn pending_marker(question_id: &str, channel: u64, claimed_at: &str) -> serde_json::Value {
    json!({
        "state": "pending",
        "question_id": question_id,
        "channel_id": channel,
        "claimed_at": claimed_at,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_claim_and_record_neither_repeats_nor_loses_the_post() {
    let w = world().await;
    let main = &w.main;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    set_daily(&w.discord, main).await;
    w.clock
        .set(at(BERLIN_NOON_UTC) + jiff::SignedDuration::from_secs(30));
    let post = wait_post(&w.discord, main, "2026-11-29").await;
    let thread = wait_thread(&w.discord, &post).await;
    bot.stop().await;

    // The store as a crash right after sending leaves it: the message went out, the marker
    // still says pending. (The harness stops the bot gracefully; the state is what matters.)
    let today_key = format!("{}:2026-11-29", main.guild);
    {
        let store = open_store(w.data.path()).await;
        let posted = store
            .get_marker("daily-post", &today_key)
            .expect("read")
            .expect("marker");
        assert_eq!(posted["state"], "posted", "{posted}");
        let question = posted["question_id"].as_str().expect("question id");
        let pending = pending_marker(question, main.channel, "2026-11-29T11:00:30Z");
        store
            .put_marker("daily-post", &today_key, &pending)
            .expect("write");
    }
    w.clock.set(at("2026-11-29T15:00:00Z"));
    let searched = w.discord.mark();
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    // The bot looks for its message before posting, finds it, and adopts it.
    w.discord
        .wait_for_call_after(searched, |c| {
            c.method == "GET"
                && c.path
                    .contains(&format!("/channels/{}/messages", main.channel))
        })
        .await;
    show_until(&w.discord, main, main.channel, "Today (2026-11-29): posted").await;
    assert_eq!(posts_for(&w.discord, main, "2026-11-29").len(), 1);
    // Answers in the adopted post's thread still get feedback.
    answer(
        &w.discord,
        thread,
        w.alice,
        &format!("{SITUATION} {ACTION} {RESULT}"),
    )
    .await;
    let feedback = get_feedback(&w.discord, w.alice, &post, "2026-11-29").await;
    assert!(feedback.contains("(1 message)"), "{feedback}");
    bot.stop().await;

    // Claimed but never sent: the claimed question goes out once, on startup.
    let bank = bar_raiser::bank::Bank::builtin();
    let claimed = bank.questions().last().expect("a question");
    {
        let store = open_store(w.data.path()).await;
        let key = format!("{}:2026-11-30", main.guild);
        let pending = pending_marker(&claimed.id, main.channel, "2026-11-30T11:00:00Z");
        store
            .put_marker("daily-post", &key, &pending)
            .expect("write");
    }
    w.clock.set(at("2026-11-30T13:00:00Z"));
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    let recovered = wait_post(&w.discord, main, "2026-11-30").await;
    wait_thread(&w.discord, &recovered).await;
    let text = recovered.all_text();
    let opening: String = claimed.text.chars().take(60).collect();
    assert!(text.contains(&opening), "the claimed question: {text}");
    assert_eq!(posts_for(&w.discord, main, "2026-11-30").len(), 1);
    assert_eq!(all_posts(&w.discord, main).len(), 2);
    w.discord.assert_clean();
    bot.stop().await;
}

/// How long a test looks again for something the bot records right after Discord answered it:
/// generous, because each record is a flushed write, and a fresh CI machine's disk can take
/// hundreds of milliseconds per flush.
const RECORDED_WITHIN: Duration = Duration::from_secs(20);

/// Runs `/daily show` until its reply contains `needle` (the bot records a skip right after
/// Discord's answer, so the first look may come a moment early).
async fn show_until(discord: &FakeDiscord, server: &Server, channel: u64, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + RECORDED_WITHIN;
    loop {
        let last = command(discord, server.admin, channel, "daily show", json!({})).await;
        if last.contains(needle) {
            return last;
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "/daily show never said {needle:?} within {RECORDED_WITHIN:?}; last reply: {last}"
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_channel_or_lost_permission_skips_that_server_only_and_show_says_why() {
    let w = world().await;
    let main = &w.main;
    let healthy = server(&w.discord, "Study Group");
    let muted = server(&w.discord, "Night Owls");
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    for server in [main, &healthy, &muted] {
        set_daily(&w.discord, server).await;
    }
    let admin_room = w.discord.add_text_channel(main.guild, "admins");
    w.discord.delete_channel(main.channel);
    w.discord.set_send_allowed(muted.channel, false);

    // A failed `/daily now` before the time says why and leaves the scheduled post to try.
    let early = command(
        &w.discord,
        muted.admin,
        muted.channel,
        "daily now",
        json!({}),
    )
    .await;
    assert!(
        early.contains("I could not post today's question"),
        "{early}"
    );
    assert!(early.contains("I lack permission"), "{early}");
    let muted_posts = format!("/channels/{}/messages", muted.channel);
    let refused = |c: &support::discord::RecordedCall| {
        c.method == "POST" && c.path == muted_posts && c.status == 403
    };
    assert_eq!(w.discord.calls_matching(refused).len(), 1);

    w.clock
        .set(at(BERLIN_NOON_UTC) + jiff::SignedDuration::from_secs(30));
    let post = wait_post(&w.discord, &healthy, "2026-11-29").await;
    wait_thread(&w.discord, &post).await;

    let gone = show_until(&w.discord, main, admin_room, "skipped").await;
    assert!(gone.contains("no longer exists"), "{gone}");
    assert!(gone.contains("Last problem (2026-11-29)"), "{gone}");
    let denied = show_until(&w.discord, &muted, muted.channel, "skipped").await;
    assert!(denied.contains("I lack permission"), "{denied}");
    assert_eq!(
        w.discord.calls_matching(refused).len(),
        2,
        "the schedule tried after the failed /daily now"
    );
    assert!(all_posts(&w.discord, &muted).is_empty());

    // Permission back: `/daily now` posts the skipped day once, on request.
    w.discord.set_send_allowed(muted.channel, true);
    let now = command(
        &w.discord,
        muted.admin,
        muted.channel,
        "daily now",
        json!({}),
    )
    .await;
    assert!(now.contains("Posted today's question"), "{now}");
    // Past the admin's `/daily now` cooldown (config `cooldowns.daily_now_seconds`).
    w.clock.advance(jiff::SignedDuration::from_secs(
        Config::default().cooldowns.daily_now_seconds.into(),
    ));
    let again = command(
        &w.discord,
        muted.admin,
        muted.channel,
        "daily now",
        json!({}),
    )
    .await;
    assert!(again.contains("already out"), "{again}");
    let fixed = show_until(
        &w.discord,
        &muted,
        muted.channel,
        "Today (2026-11-29): posted",
    )
    .await;
    assert!(
        !fixed.contains("Last problem"),
        "a success clears it: {fixed}"
    );
    assert_eq!(posts_for(&w.discord, &muted, "2026-11-29").len(), 1);

    // The next day both working servers post on schedule, once each.
    w.clock.set(at("2026-11-30T11:00:30Z"));
    wait_post(&w.discord, &healthy, "2026-11-30").await;
    wait_post(&w.discord, &muted, "2026-11-30").await;
    assert_eq!(all_posts(&w.discord, &healthy).len(), 2);
    assert_eq!(all_posts(&w.discord, &muted).len(), 2);
    assert!(w.discord.unintended_mention_leaks().is_empty());
    bot.stop().await;
}

/// Presses `Get feedback` until the reply contains `needle`: an edit or a deletion reaches the
/// bot as its own event, so the first press may come a moment before it is applied.
async fn feedback_until(
    discord: &FakeDiscord,
    user: u64,
    post: &MessageView,
    date: &str,
    needle: &str,
) -> String {
    let deadline = tokio::time::Instant::now() + RECORDED_WITHIN;
    loop {
        let last = get_feedback(discord, user, post, date).await;
        if last.contains(needle) {
            return last;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("the feedback never said {needle:?} within {RECORDED_WITHIN:?}; last: {last}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_and_deletions_in_the_thread_are_followed_and_forget_erases_the_daily_traces() {
    let w = world().await;
    let main = &w.main;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    set_daily(&w.discord, main).await;
    w.clock
        .set(at(BERLIN_NOON_UTC) + jiff::SignedDuration::from_secs(30));
    let post = wait_post(&w.discord, main, "2026-11-29").await;
    let thread = wait_thread(&w.discord, &post).await;
    let date = "2026-11-29";

    let opening = answer(&w.discord, thread, w.alice, &format!("{SITUATION} {TASK}")).await;
    let action = answer(&w.discord, thread, w.alice, ACTION).await;
    answer(&w.discord, thread, w.bob, BOB_ANSWER).await;
    let first = get_feedback(&w.discord, w.alice, &post, date).await;
    assert!(first.contains("❌ **Result** — missing"), "{first}");

    // An edit adds the result; a deletion takes the opening away.
    w.discord
        .edit_message(action, &format!("{ACTION} {RESULT}"));
    let edited = feedback_until(&w.discord, w.alice, &post, date, "✅ **Result**").await;
    assert!(edited.contains("(2 messages)"), "{edited}");
    w.discord.delete_message(opening);
    let deleted = feedback_until(&w.discord, w.alice, &post, date, "(1 message)").await;
    assert!(deleted.contains("✅ **Result**"), "{deleted}");
    get_feedback(&w.discord, w.bob, &post, date).await;

    // The next day's post counts yesterday's participants.
    w.clock.set(at("2026-11-30T11:00:30Z"));
    let next = wait_post(&w.discord, main, "2026-11-30").await;
    let text = next.all_text();
    assert!(
        text.contains("2 members answered yesterday's question."),
        "{text}"
    );
    w.discord.assert_clean();
    bot.stop().await;

    let store = open_store(w.data.path()).await;
    let alice = UserKey::discord(w.alice);
    let attempt = store
        .history(&alice, 10)
        .expect("history")
        .pop()
        .expect("alice's attempt");
    assert!(
        !attempt.answer.contains(SITUATION),
        "the deleted message left the answer"
    );
    assert!(attempt.answer.contains(RESULT), "the edit is in the answer");

    // `/forget` (the store's part): her messages, attempt and participation are gone, Bob's stay.
    store.forget_user(&alice).expect("forget");
    assert!(!store.contains_bytes(RESULT.as_bytes()).expect("scan"));
    assert!(!store
        .contains_bytes(w.alice.to_string().as_bytes())
        .expect("scan"));
    let session = format!("daily:{}:{date}", main.guild);
    let left: Vec<String> = store
        .messages(&session)
        .expect("messages")
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(left, vec![BOB_ANSWER.to_string()]);
    let participants = store
        .list_markers("daily-answer", &format!("{}:{date}:", main.guild))
        .expect("markers");
    let keys: Vec<String> = participants.into_iter().map(|(key, _)| key).collect();
    assert_eq!(keys, vec![format!("{}:{date}:{}", main.guild, w.bob)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_servers_due_at_once_are_paced_under_discords_global_limit() {
    use bar_raiser::daily::{parse_time, parse_timezone, DailySchedule, DailySettings};
    use support::discord::Options;

    const SERVERS: usize = 60;
    let discord = FakeDiscord::start_with(Options {
        global_rate_limit: Some(50),
        ..Options::default()
    })
    .await;
    let data = tempfile::tempdir().expect("temp dir");
    let servers: Vec<Server> = (0..SERVERS)
        .map(|i| server(&discord, &format!("Server {i}")))
        .collect();
    // Configured while the bot was down, all due at the same minute.
    {
        let store = open_store(data.path()).await;
        for s in &servers {
            let settings = DailySettings {
                schedule: DailySchedule {
                    channel_id: s.channel,
                    time: parse_time("12:00").expect("time"),
                    timezone: parse_timezone("Europe/Berlin").expect("zone"),
                    lp: None,
                    role_id: None,
                    enabled: true,
                },
                rotation: Default::default(),
                last_problem: None,
            };
            let document = json!({ "daily": settings });
            store
                .put_guild_settings(&s.guild.to_string(), &document)
                .expect("settings");
        }
    }
    let clock = Arc::new(ManualClock::new(at("2026-11-29T11:00:30Z")));
    let bot = TestBot::start(&discord, data.path(), clock).await;
    discord
        .wait_until("every server's post with its thread", |d| {
            let done = servers
                .iter()
                .filter(|s| {
                    posts_for(d, s, "2026-11-29")
                        .first()
                        .is_some_and(|p| p.thread_id.is_some())
                })
                .count();
            (done == SERVERS).then_some(())
        })
        .await;
    for s in &servers {
        assert_eq!(posts_for(&discord, s, "2026-11-29").len(), 1);
    }
    let busiest = discord.max_calls_per_second();
    println!("{SERVERS} posts due at once: busiest second {busiest} REST calls");
    assert!(busiest <= 50, "{busiest} calls in one second");
    assert!(
        discord.calls_matching(|c| c.status == 429).is_empty(),
        "no call was rate limited"
    );
    discord.assert_clean();
    bot.stop().await;
}

/// The question the server's rotation will post next, from the stored settings.
fn next_in_rotation(store: &dyn Store, guild: u64) -> (String, u64) {
    let settings = store
        .guild_settings(&guild.to_string())
        .expect("read settings")
        .expect("the server has settings");
    let rotation = &settings["daily"]["rotation"];
    let position = rotation["position"].as_u64().unwrap_or(0);
    let next = rotation["order"]
        .get(usize::try_from(position).expect("small"))
        .and_then(|id| id.as_str())
        .expect("a question still to come in the cycle")
        .to_string();
    (next, position)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skipped_day_keeps_its_question_for_the_next_post() {
    let w = world().await;
    let main = &w.main;
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    set_daily(&w.discord, main).await;
    w.discord.set_send_allowed(main.channel, false);
    w.clock
        .set(at(BERLIN_NOON_UTC) + jiff::SignedDuration::from_secs(30));
    let skipped = show_until(&w.discord, main, main.channel, "skipped").await;
    assert!(skipped.contains("I lack permission"), "{skipped}");
    // Nothing was posted, so nothing counts as asked: the drawn question is still next.
    let (kept, asked) = next_in_rotation(&*bot.store, main.guild);
    assert_eq!(asked, 0, "a skipped day uses up no question");

    // Permission back: the next day's post asks exactly that question.
    w.discord.set_send_allowed(main.channel, true);
    w.clock
        .set(at(BERLIN_NOON_UTC) + jiff::SignedDuration::from_hours(24));
    let post = wait_post(&w.discord, main, "2026-11-30").await;
    let bank = bar_raiser::bank::Bank::builtin();
    let question = bank.question(&kept).expect("a bank question");
    assert!(
        post.all_text().contains(&question.text),
        "the skipped day's question `{kept}` is posted next: {}",
        post.all_text()
    );
    let (_, asked) = next_in_rotation(&*bot.store, main.guild);
    assert_eq!(asked, 1);
    w.discord.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_from_a_server_its_daily_stops_and_stays_off_after_a_restart() {
    let w = world().await;
    let main = &w.main;
    let other = server(&w.discord, "Study Group");
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    for server in [main, &other] {
        set_daily(&w.discord, server).await;
    }
    // The other server only has an outage: nothing about it changes.
    w.discord.guild_outage(other.guild);
    w.discord.remove_bot_from_guild(main.guild);
    let enabled = |store: &dyn Store, guild: u64| {
        store
            .guild_settings(&guild.to_string())
            .expect("read settings")
            .and_then(|s| s["daily"]["schedule"]["enabled"].as_bool())
    };
    let deadline = std::time::Instant::now() + STORED_WITHIN;
    while enabled(&*bot.store, main.guild) != Some(false) {
        assert!(
            std::time::Instant::now() < deadline,
            "never turned off within {STORED_WITHIN:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(enabled(&*bot.store, other.guild), Some(true));
    let posts_to_main = |d: &FakeDiscord| {
        let path = format!("/channels/{}/messages", main.channel);
        d.calls_matching(|c| c.method == "POST" && c.path == path)
            .len()
    };

    // Two days pass: the other server posts each day, the removed one is not even tried.
    for (day, date) in [(0, "2026-11-29"), (1, "2026-11-30")] {
        w.clock.set(
            at(BERLIN_NOON_UTC)
                + jiff::SignedDuration::from_hours(24 * day)
                + jiff::SignedDuration::from_secs(30),
        );
        wait_post(&w.discord, &other, date).await;
    }
    assert_eq!(posts_to_main(&w.discord), 0);
    bot.stop().await;

    // After a restart it stays off, and the reason is kept with the settings.
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    w.clock.set(
        at(BERLIN_NOON_UTC)
            + jiff::SignedDuration::from_hours(48)
            + jiff::SignedDuration::from_secs(30),
    );
    wait_post(&w.discord, &other, "2026-12-01").await;
    assert_eq!(posts_to_main(&w.discord), 0);
    let settings = bot
        .store
        .guild_settings(&main.guild.to_string())
        .expect("read")
        .expect("the settings are kept");
    assert!(
        settings["daily"]["last_problem"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("removed from this server")),
        "{settings}"
    );
    w.discord.assert_clean();
    bot.stop().await;
}

/// A `/daily set` confirmed while a post is going out stays stored: the post does not write
/// back the settings it read before the change (found by the crash campaign, `tests/crash/`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settings_change_confirmed_while_a_post_goes_out_is_not_undone_by_it() {
    let w = world().await;
    let main = &w.main;
    // 10:00 in Berlin: the 12:00 post is not due, only `/daily now` posts.
    w.clock.set(at("2026-11-29T09:00:00Z"));
    let bot = TestBot::start(&w.discord, w.data.path(), w.clock.clone()).await;
    set_daily(&w.discord, main).await;

    // A post that fails leaves its problem in the settings, so the next post that goes out
    // writes the settings again to clear it.
    w.discord.set_send_allowed(main.channel, false);
    let failed = command(&w.discord, main.admin, main.channel, "daily now", json!({})).await;
    assert!(failed.contains("I could not post"), "{failed}");
    w.discord.set_send_allowed(main.channel, true);
    w.clock.advance(jiff::SignedDuration::from_mins(1));

    // That post is slow to go out; meanwhile the admin moves the time to 18:30.
    w.discord.inject_fault(
        "POST",
        "/channels/{id}/messages",
        1,
        Fault::Delay(std::time::Duration::from_secs(2)),
    );
    let posting = w
        .discord
        .slash_command(main.admin, main.channel, "daily now", json!({}));
    let key = format!("{}:2026-11-29", main.guild);
    w.discord
        .wait_until("the post claimed", |_| {
            bot.store
                .get_marker(POST_MARKERS, &key)
                .ok()
                .flatten()
                .filter(|m| m["state"] == "pending")
        })
        .await;
    let moved = command(
        &w.discord,
        main.admin,
        main.channel,
        "daily set",
        json!({
            "channel": main.channel.to_string(),
            "time": "18:30",
            "timezone": "Europe/Berlin",
        }),
    )
    .await;
    assert!(moved.contains("Daily question set"), "{moved}");
    let posted = w.discord.wait_for_reply(posting).await.all_text();
    assert!(posted.contains("Posted today's question"), "{posted}");

    let stored: DailySettings = bot
        .store
        .guild_settings(&main.guild.to_string())
        .expect("read settings")
        .and_then(|document| document.get("daily").cloned())
        .map(|daily| serde_json::from_value(daily).expect("daily settings"))
        .expect("settings stored");
    assert_eq!(
        stored.schedule.time,
        parse_time("18:30").expect("a time"),
        "the confirmed change was undone: {stored:?}"
    );
    assert!(stored.last_problem.is_none(), "{stored:?}");
    w.discord.assert_clean();
    bot.stop().await;
}
