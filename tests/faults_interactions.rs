//! Bad input through Discord's interactions: every slash command and option at its extremes
//! (empty, whitespace, over the registered length, numbers out of range, choices that do not
//! exist, channels and roles that are not there), component custom ids the bot never made or
//! no longer serves, forms for interviews that are over, and autocomplete with extreme input.
//!
//! Each must get a clear ephemeral answer that says what was wrong; afterwards the bot still
//! works, other people's state is untouched and Discord saw no broken rule. Cases are counted
//! and the counts printed.

mod support;

use std::collections::BTreeSet;

use bar_raiser::config::CooldownConfig;
use bar_raiser::store::{Store, UserKey};
use jiff::SignedDuration;
use serde_json::{json, Value};
use support::bot::{test_config, TestBot};
use support::discord::{perms, FakeDiscord, MessageView};
use support::solo::{
    answer, assert_all_clean, solo_id, start_interview, wait_feedback, wait_question, world, World,
    ACTION, SITUATION,
};

/// What is wrong with the answer to `interaction` (None: it came, it is ephemeral and says
/// each of `needles`). No answer within the emulator's wait is a problem too: the person would
/// see "The application did not respond". (The emulator refuses an acknowledgement later than
/// Discord's 3 s, so waiting the whole `wait_timeout` for the reply loosens nothing: it only
/// gives a CPU-starved machine the time to deliver what was acknowledged in time.)
async fn answer_problem(
    discord: &FakeDiscord,
    interaction: u64,
    needles: &[&str],
) -> Option<String> {
    let wait = discord.options().wait_timeout;
    let reply = discord
        .try_wait_until(wait, |d| {
            d.replies_to(interaction).into_iter().find(|m| {
                m.flags & 128 == 0
                    && (!m.content.is_empty() || !m.embeds.is_empty() || !m.attachments.is_empty())
            })
        })
        .await;
    let Some(reply) = reply else {
        return Some("no answer at all".to_string());
    };
    let text = reply.all_text();
    if !reply.is_ephemeral() {
        return Some(format!("a public answer: {text:?}"));
    }
    needles
        .iter()
        .find(|needle| !text.contains(**needle))
        .map(|needle| format!("the answer does not say {needle:?}; it says {text:?}"))
}

/// Collects the cases whose answer is wrong, so one run lists them all.
#[derive(Default)]
struct Tally {
    tried: usize,
    failures: Vec<String>,
}

impl Tally {
    async fn check(
        &mut self,
        discord: &FakeDiscord,
        interaction: u64,
        what: &str,
        needles: &[&str],
    ) {
        self.tried += 1;
        if let Some(problem) = answer_problem(discord, interaction, needles).await {
            self.failures.push(format!("{what}: {problem}"));
        }
    }

    /// Prints the figures and fails with every wrong case.
    fn assert_all_answered(&self, suite: &str) {
        eprintln!(
            "faults_interactions: {suite}: {} cases tried, {} failed",
            self.tried,
            self.failures.len()
        );
        assert!(
            self.failures.is_empty(),
            "{suite}: {} of {} cases did not get a clear private answer:\n{}",
            self.failures.len(),
            self.tried,
            self.failures.join("\n")
        );
    }
}

/// The bot on `w`'s store, without per-person cooldowns: these cases run the same commands in
/// quick succession on purpose (cooldowns have their own suite, and a refused option does not
/// count towards one).
async fn start_bot(w: &World) -> TestBot {
    let mut config = test_config(w.data.path());
    config.cooldowns = CooldownConfig {
        interview_start_seconds: 0,
        group_start_seconds: 0,
        stats_seconds: 0,
        export_seconds: 0,
        daily_now_seconds: 0,
    };
    TestBot::start_with(&w.discord, config, w.clock.clone()).await
}

/// Everything a bystander has: their stored data, and their open interview.
fn snapshot(bot: &TestBot, user: u64) -> (Value, Option<Value>) {
    let export = bot
        .store
        .export_user(&UserKey::discord(user))
        .expect("export");
    (
        serde_json::to_value(export).expect("export as JSON"),
        bot.session(user),
    )
}

/// (command path, option) pairs each registered command has; `""` for a command without
/// options.
fn registered_options(discord: &FakeDiscord) -> BTreeSet<(String, String)> {
    fn walk(path: &str, node: &Value, out: &mut BTreeSet<(String, String)>) {
        let options = node["options"].as_array().cloned().unwrap_or_default();
        let subcommands: Vec<&Value> = options
            .iter()
            .filter(|o| matches!(o["type"].as_u64(), Some(1 | 2)))
            .collect();
        if !subcommands.is_empty() {
            for sub in subcommands {
                let name = sub["name"].as_str().unwrap_or_default();
                walk(&format!("{path} {name}"), sub, out);
            }
            return;
        }
        if options.is_empty() {
            out.insert((path.to_string(), String::new()));
        }
        for option in options {
            let name = option["name"].as_str().unwrap_or_default().to_string();
            out.insert((path.to_string(), name));
        }
    }
    let mut out = BTreeSet::new();
    for command in discord.registered_commands() {
        let name = command["name"].as_str().unwrap_or_default().to_string();
        walk(&name, &command, &mut out);
    }
    out
}

/// At most `max` characters of `text`, for case names.
fn shorten(text: &str, max: usize) -> String {
    let mut short: String = text.chars().take(max).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// A slash command case: who, where, what, and what the answer must say.
struct Case {
    user: u64,
    channel: u64,
    command: &'static str,
    options: Value,
    needles: Vec<&'static str>,
}

fn case(
    user: u64,
    channel: u64,
    command: &'static str,
    options: Value,
    needles: &[&'static str],
) -> Case {
    Case {
        user,
        channel,
        command,
        options,
        needles: needles.to_vec(),
    }
}

/// The option names a case exercises (array or object form).
fn option_names(options: &Value) -> Vec<String> {
    match options {
        Value::Object(map) => map.keys().cloned().collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|o| o["name"].as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

struct Server {
    admin: u64,
    mallory: u64,
    dm: u64,
    other_channel: u64,
    other_role: u64,
    deleted_channel: u64,
    role: u64,
}

fn server(w: &World) -> Server {
    let d = &w.discord;
    let admins = d.add_role(w.guild, "Admins", perms::MANAGE_GUILD);
    let role = d.add_role(w.guild, "Daily pings", 0);
    let admin = d.add_user("admin");
    d.add_member(w.guild, admin, &[admins]);
    let mallory = w.member("mallory");
    let elsewhere = d.add_guild("Elsewhere");
    let other_channel = d.add_text_channel(elsewhere, "general");
    let other_role = d.add_role(elsewhere, "theirs", 0);
    let deleted_channel = d.add_text_channel(w.guild, "old");
    Server {
        admin,
        mallory,
        dm: d.dm_channel(mallory),
        other_channel,
        other_role,
        deleted_channel,
        role,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_slash_command_and_option_at_its_extremes_gets_a_clear_private_answer() {
    let w = world().await;
    let s = server(&w);
    let d = &w.discord;
    let bot = start_bot(&w).await;
    d.delete_channel(s.deleted_channel);

    // A bystander in the middle of an interview.
    let question = start_interview(d, w.alice, w.channel, json!({})).await;
    answer(&bot, &w, w.alice, question.channel_id, SITUATION).await;
    let before = snapshot(&bot, w.alice);

    let (m, c, a) = (s.mallory, w.channel, s.admin);
    let long = |n: usize| "x".repeat(n);
    let daily_set = |extra: Value| {
        let mut options = json!({
            "channel": c.to_string(),
            "time": "09:00",
            "timezone": "Europe/Berlin",
        });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            options[k] = v;
        }
        options
    };
    let no_question = ["I don't know a question with the id"];
    let no_session = ["You have no interview open"];
    let count_range = ["`count` must be a whole number from 1 to 25"];
    let rounds_range = ["`rounds` must be a whole number from 1 to 10"];
    let minutes_range = ["`answer_minutes` must be a whole number from 1 to 30"];
    let not_a_choice = ["not one of the choices"];
    let outdated = ["older version of this command"];
    let mut cases = vec![
        // /interview start
        case(
            m,
            c,
            "interview start",
            json!({"question": long(6000)}),
            &["`question` can be at most 100 characters long; yours has 6000"],
        ),
        case(
            m,
            c,
            "interview start",
            json!({"question": long(101)}),
            &["`question` can be at most 100"],
        ),
        case(
            m,
            c,
            "interview start",
            json!({"question": long(100)}),
            &no_question,
        ),
        case(
            m,
            c,
            "interview start",
            json!({"question": "no-such-question"}),
            &["`no-such-question`"],
        ),
        case(
            m,
            c,
            "interview start",
            json!({"question": "Ownership"}),
            &no_question,
        ),
        case(
            m,
            c,
            "interview start",
            json!({"question": "@everyone <@1> <@&1> `code`"}),
            &no_question,
        ),
        case(
            m,
            c,
            "interview start",
            json!({"question": "\u{202e}\u{0301}\u{0000}🧨"}),
            &no_question,
        ),
        case(m, c, "interview start", json!({"lp": 16}), &not_a_choice),
        case(m, c, "interview start", json!({"lp": -1}), &not_a_choice),
        case(
            m,
            c,
            "interview start",
            json!({"lp": i64::MAX}),
            &not_a_choice,
        ),
        case(
            m,
            c,
            "interview start",
            json!([{"name": "lp", "type": 3, "value": "Frugality"}]),
            &["`lp`", outdated[0]],
        ),
        case(
            m,
            c,
            "interview start",
            json!({"lp": 1, "question": "nope"}),
            &no_question,
        ),
        // /interview done|hint|skip|cancel without an interview
        case(m, c, "interview done", json!({}), &no_session),
        case(m, c, "interview hint", json!({}), &no_session),
        case(m, c, "interview skip", json!({}), &no_session),
        case(m, c, "interview cancel", json!({}), &no_session),
        case(m, s.dm, "interview done", json!({}), &no_session),
        // /history
        case(m, c, "history", json!({"count": 0}), &count_range),
        case(m, c, "history", json!({"count": -1}), &count_range),
        case(m, c, "history", json!({"count": 26}), &count_range),
        case(m, c, "history", json!({"count": 256}), &count_range),
        case(m, c, "history", json!({"count": i64::MAX}), &count_range),
        case(m, c, "history", json!({"count": i64::MIN}), &count_range),
        case(
            m,
            c,
            "history",
            json!([{"name": "count", "type": 3, "value": "ten"}]),
            &["`count`", outdated[0]],
        ),
        case(m, c, "history", json!({"count": 25}), &["No attempts yet"]),
        // /group start
        case(m, c, "group start", json!({"rounds": 0}), &rounds_range),
        case(m, c, "group start", json!({"rounds": 11}), &rounds_range),
        case(m, c, "group start", json!({"rounds": 256}), &rounds_range),
        case(m, c, "group start", json!({"rounds": -5}), &rounds_range),
        case(
            m,
            c,
            "group start",
            json!({"answer_minutes": 0}),
            &minutes_range,
        ),
        case(
            m,
            c,
            "group start",
            json!({"answer_minutes": 31}),
            &minutes_range,
        ),
        case(
            m,
            c,
            "group start",
            json!({"answer_minutes": 4_294_967_296_i64}),
            &minutes_range,
        ),
        case(
            m,
            c,
            "group start",
            json!({"answer_minutes": -1}),
            &minutes_range,
        ),
        case(m, c, "group start", json!({"mode": 2}), &not_a_choice),
        case(m, c, "group start", json!({"mode": -1}), &not_a_choice),
        case(m, c, "group start", json!({"lp": 99}), &not_a_choice),
        case(
            m,
            s.dm,
            "group start",
            json!({}),
            &["`/group start` works in a server, not in DMs"],
        ),
        // /daily, by a plain member and in a DM
        case(
            m,
            c,
            "daily set",
            daily_set(json!({})),
            &["Only server admins"],
        ),
        case(m, c, "daily show", json!({}), &["Only server admins"]),
        case(m, c, "daily off", json!({}), &["Only server admins"]),
        case(m, c, "daily now", json!({}), &["Only server admins"]),
        case(
            m,
            s.dm,
            "daily show",
            json!({}),
            &["works in a server, not in DMs"],
        ),
        // /daily by an admin, before anything is set up
        case(
            a,
            c,
            "daily show",
            json!({}),
            &["No daily question here yet"],
        ),
        case(
            a,
            c,
            "daily off",
            json!({}),
            &["There is no daily question here to turn off"],
        ),
        case(
            a,
            c,
            "daily now",
            json!({}),
            &["Set up the daily question first"],
        ),
        // /daily set: time
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"time": ""})),
            &["`time`"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"time": "   "})),
            &["`time`"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"time": "25:00"})),
            &["`time`"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"time": "9am<@1>"})),
            &["`time`"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"time": long(20)})),
            &["`time`"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"time": long(21)})),
            &["`time` can be at most 20 characters long; yours has 21"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"time": long(6000)})),
            &["`time` can be at most 20"],
        ),
        // timezone
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"timezone": ""})),
            &["`timezone`"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"timezone": " "})),
            &["`timezone`"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"timezone": "Mars/Olympus_Mons"})),
            &["`timezone`"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"timezone": "../../etc/passwd"})),
            &["`timezone`"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"timezone": long(100)})),
            &["`timezone`"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"timezone": long(6000)})),
            &["`timezone` can be at most 100"],
        ),
        // channel
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"channel": "1234"})),
            &["`channel`", "not a text channel of this server"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"channel": s.other_channel.to_string()})),
            &["`channel`", "not a text channel of this server"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"channel": s.deleted_channel.to_string()})),
            &["`channel`", "not a text channel of this server"],
        ),
        // role and lp
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"role": "1234"})),
            &["`role`", "can't find that"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"role": s.other_role.to_string()})),
            &["`role`", "can't find that"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"role": w.guild.to_string()})),
            &["`role`", "@everyone"],
        ),
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"lp": 16})),
            &not_a_choice,
        ),
        // Commands without options, also in a DM: normal private answers.
        case(m, c, "stats", json!({}), &["Your stats"]),
        case(m, s.dm, "stats", json!({}), &["Your stats"]),
        case(m, c, "export", json!({}), &["Here is all your data"]),
        case(m, s.dm, "export", json!({}), &["Here is all your data"]),
        case(m, c, "forget", json!({}), &["It cannot be undone"]),
        case(m, c, "help", json!({}), &["bar-raiser"]),
        case(m, s.dm, "help", json!({}), &["bar-raiser"]),
        // A valid role and settings last: the admin's set-up works after all of the above.
        case(
            a,
            c,
            "daily set",
            daily_set(json!({"role": s.role.to_string(), "lp": 0})),
            &["Daily question set"],
        ),
    ];
    // Whitespace or an empty question id means "none": an interview starts, and a second start
    // is refused while it is open.
    cases.push(case(
        m,
        c,
        "interview start",
        json!({"question": "   "}),
        &["Your interview is ready"],
    ));
    cases.push(case(
        m,
        c,
        "interview start",
        json!({"question": ""}),
        &["You already have an interview open"],
    ));
    cases.push(case(
        m,
        c,
        "interview cancel",
        json!({}),
        &["Interview stopped"],
    ));

    let mut covered = BTreeSet::new();
    let mut tally = Tally::default();
    for (i, case) in cases.iter().enumerate() {
        let what = format!(
            "case {i}: /{} {}",
            case.command,
            shorten(&case.options.to_string(), 120)
        );
        let interaction =
            d.slash_command(case.user, case.channel, case.command, case.options.clone());
        tally.check(d, interaction, &what, &case.needles).await;
        let names = option_names(&case.options);
        if names.is_empty() {
            covered.insert((case.command.to_string(), String::new()));
        }
        for name in names {
            covered.insert((case.command.to_string(), name));
        }
    }

    tally.assert_all_answered("slash commands");
    let registered = registered_options(d);
    let missing: Vec<_> = registered.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "every registered command and option is tried; not covered: {missing:?}"
    );

    // Nobody else's state changed, and nothing was set up by the refused cases.
    assert_eq!(
        snapshot(&bot, w.alice),
        before,
        "alice's data and interview are untouched"
    );
    let settings_sets = d
        .calls_matching(|c| {
            c.content()
                .is_some_and(|t| t.contains("Daily question set"))
        })
        .len();
    assert_eq!(settings_sets, 1, "only the valid /daily set was confirmed");

    // The bot still works: alice finishes her interview and gets feedback.
    answer(&bot, &w, w.alice, question.channel_id, ACTION).await;
    let done = d.click_button(w.alice, question.id, &solo_id("done", w.alice));
    d.wait_for_interaction_response(done).await;
    wait_feedback(d, question.channel_id, 0).await;

    eprintln!(
        "faults_interactions: the slash command cases cover all {} registered (command, \
         option) pairs",
        registered.len()
    );
    assert_all_clean(d);
    bot.stop().await;
}

/// Every stored session but `except`'s, and the stored data of `people`: what must not change
/// when someone else sends bad input.
fn others_state(bot: &TestBot, people: &[u64], except: u64) -> Vec<Value> {
    let mut state: Vec<Value> = bot
        .store
        .list_sessions()
        .expect("sessions")
        .into_iter()
        .filter(|record| !record.key.contains(&except.to_string()))
        .map(|record| json!({"key": record.key, "state": record.state}))
        .collect();
    for person in people {
        state.push(snapshot(bot, *person).0);
    }
    state
}

/// A forged click: custom id, select values (None: a button), what the answer must say.
type Click<'a> = (String, Option<Vec<&'a str>>, Vec<&'a str>);
/// A forged form: custom id, inputs, what the answer must say.
type Form<'a> = (String, Vec<(&'a str, &'a str)>, Vec<&'a str>);

/// `/group start` by `host`; returns the lobby message.
async fn open_lobby(discord: &FakeDiscord, host: u64, channel: u64) -> MessageView {
    let start = discord.slash_command(host, channel, "group start", json!({"rounds": 1}));
    discord.wait_for_interaction_response(start).await;
    let join = format!("group:join:{channel}");
    discord
        .wait_for_message(channel, |m| m.custom_ids().contains(&join))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_foreign_and_malformed_component_ids_get_a_clear_private_answer() {
    let w = world().await;
    let d = &w.discord;
    let bob = w.member("bob");
    let mallory = w.member("mallory");
    let bot = start_bot(&w).await;
    let question = start_interview(d, w.alice, w.channel, json!({})).await;
    answer(&bot, &w, w.alice, question.channel_id, SITUATION).await;
    let lobby = open_lobby(d, bob, w.channel).await;
    d.wait_until("bob's group stored", |_| {
        bot.store
            .list_sessions()
            .expect("sessions")
            .iter()
            .any(|r| r.key.starts_with("group:"))
            .then_some(())
    })
    .await;
    let before = others_state(&bot, &[w.alice, bob], mallory);

    let (m, a, ch, g) = (mallory, w.alice, w.channel, w.guild);
    let inactive = ["This button is no longer active."];
    let over = ["This interview is over. Start a new one with `/interview start`."];
    let not_yours = ["This interview belongs to someone else."];
    let group_over = ["This group session is over."];
    let daily_closed = ["This daily question is no longer open."];
    let owned = |s: &str| {
        s.replace("{m}", &m.to_string())
            .replace("{a}", &a.to_string())
    };
    let mut clicks: Vec<Click> = Vec::new();
    let mut click =
        |id: String, needles: &[&'static str]| clicks.push((id, None, needles.to_vec()));
    for garbage in [
        String::new(),
        "garbage".to_string(),
        "x".repeat(100),
        "🧨".repeat(25),
        "solo".into(),
        "solo:".into(),
        "solo:done".into(),
        "solo:done:".into(),
        "solo:done:abc".into(),
        "solo:done:-1".into(),
        "solo:done:99999999999999999999999".into(),
        owned("solo:explode:{m}"),
        owned("solo:modal:{m}"),
        owned(":solo:done:{m}"),
        owned("solo:done:{m}:junk"),
        "forget".into(),
        "forget:".into(),
        "forget:confirm".into(),
        "forget:confirm:abc".into(),
        owned("forget:explode:{m}:1"),
        "daily:feedback:".into(),
        "daily:feedback:abc:2026-11-29".into(),
        format!("daily:feedback:{g}:2026-13-45"),
        format!("daily:feedback:{g}:tomorrow"),
        "group:".into(),
        "group:join".into(),
        "group:join:abc".into(),
        format!("group:explode:{ch}"),
        format!("group:vote:{ch}"),
        format!("group:vote:{ch}:abc"),
        format!("group:rate:{ch}"),
        format!("group:join:{ch}:1:2"),
    ] {
        click(garbage, &inactive);
    }
    // Mallory's own ids, with no interview open.
    for action in ["done", "hint", "cancel", "answer"] {
        click(owned(&format!("solo:{action}:{{m}}")), &over);
    }
    click(owned("solo:skip:{m}"), &["You have no interview open."]);
    // Alice's real ids, clicked by mallory.
    for action in ["done", "hint", "skip", "cancel", "answer"] {
        click(owned(&format!("solo:{action}:{{a}}")), &not_yours);
    }
    click(
        owned("forget:confirm:{a}:1"),
        &["Only the person who asked can answer this."],
    );
    click(
        owned("forget:keep:{a}:1"),
        &["Only the person who asked can answer this."],
    );
    // Daily posts that never were.
    click(format!("daily:feedback:{g}:2026-11-29"), &daily_closed);
    click("daily:feedback:1:1999-01-01".into(), &daily_closed);
    // Groups that are not there, and bob's group driven by someone who is not its host.
    click("group:join:12345".into(), &group_over);
    click("group:rate:12345:1".into(), &group_over);
    click(format!("group:begin:{ch}"), &["Only the host"]);
    click(format!("group:end:{ch}"), &["Only the host"]);
    click(format!("group:next:{ch}"), &["Only the host"]);
    click(format!("group:done:{ch}"), &["You are not in this group"]);
    clicks.push((
        "group:vote:12345:1".into(),
        Some(vec!["x"]),
        group_over.to_vec(),
    ));
    clicks.push((
        format!("group:vote:{ch}:1"),
        Some(vec!["x"]),
        vec!["Voting for that round is closed."],
    ));

    let mut tally = Tally::default();
    for (id, values, needles) in &clicks {
        let interaction = d.click_forged(m, lobby.id, id, values.as_deref());
        let what = format!("click {:?}", shorten(id, 60));
        tally.check(d, interaction, &what, needles).await;
    }
    // Alice's real buttons on her own question, clicked by mallory.
    for action in ["done", "answer"] {
        let interaction = d.click_button(m, question.id, &solo_id(action, a));
        tally
            .check(
                d,
                interaction,
                &format!("mallory clicks alice's {action}"),
                &not_yours,
            )
            .await;
    }

    // Forms: made-up ids, someone else's, and mallory's own with no interview open.
    let huge = "y".repeat(4000);
    let modals: Vec<Form> = vec![
        (
            "garbage".into(),
            vec![("situation", "x")],
            vec!["This form is no longer active."],
        ),
        (
            String::new(),
            vec![],
            vec!["This form is no longer active."],
        ),
        (
            owned("solo:modal:{a}"),
            vec![("situation", SITUATION)],
            not_yours.to_vec(),
        ),
        (
            owned("solo:modal:{m}"),
            vec![("situation", SITUATION)],
            vec!["This interview is over, so your form was not collected"],
        ),
        (
            owned("solo:modal:{m}"),
            vec![("situation", "   "), ("result", "")],
            vec!["The form was empty"],
        ),
        (owned("solo:modal:{m}"), vec![], vec!["The form was empty"]),
        (
            owned("solo:modal:{m}"),
            vec![("unknown", &huge)],
            vec!["This interview is over"],
        ),
        (
            "group:ratemodal:12345:1".into(),
            vec![("score", "5"), ("comment", "ok")],
            group_over.to_vec(),
        ),
        (
            format!("group:ratemodal:{ch}"),
            vec![("score", "5")],
            vec!["This form is no longer active."],
        ),
        (
            format!("group:ratemodal:{ch}:1"),
            vec![("score", "abc"), ("comment", "ok")],
            vec!["The score must be a number from 1 to 5"],
        ),
        (
            format!("group:ratemodal:{ch}:1"),
            vec![("score", ""), ("comment", "")],
            vec!["The score must be a number from 1 to 5"],
        ),
        (
            format!("group:ratemodal:{ch}:1"),
            vec![("score", "9"), ("comment", "ok")],
            vec![""],
        ),
    ];
    for (id, fields, needles) in &modals {
        let interaction = d.submit_forged_modal(m, lobby.id, id, fields);
        let what = format!("form {:?}", shorten(id, 60));
        tally.check(d, interaction, &what, needles).await;
    }
    tally.assert_all_answered("component and form ids");

    assert_eq!(
        others_state(&bot, &[w.alice, bob], mallory),
        before,
        "nobody else's interview, group or data changed"
    );
    assert!(bot.session(mallory).is_none(), "mallory has no interview");

    // The bot still works: alice joins bob's lobby, and alice finishes her interview.
    let join = d.click_button(a, lobby.id, &format!("group:join:{ch}"));
    assert!(d.wait_for_interaction_response(join).await.succeeded());
    answer(&bot, &w, a, question.channel_id, ACTION).await;
    let done = d.click_button(a, question.id, &solo_id("done", a));
    d.wait_for_interaction_response(done).await;
    wait_feedback(d, question.channel_id, 0).await;
    assert_all_clean(d);
    bot.stop().await;
}

/// Clicks each of the solo buttons `actions` on `message` as `user` (forged: the bot may have
/// taken them off the message; an open client still shows them) and checks the answers.
async fn click_all(
    tally: &mut Tally,
    discord: &FakeDiscord,
    user: u64,
    message: u64,
    actions: &[&str],
    when: &str,
) {
    for action in actions {
        let needles: &[&str] = if *action == "skip" {
            &["You have no interview open."]
        } else {
            &["This interview is over. Start a new one with `/interview start`."]
        };
        let interaction = discord.click_forged(user, message, &solo_id(action, user), None);
        tally
            .check(discord, interaction, &format!("{when}: {action}"), needles)
            .await;
    }
}

/// `/interview start` by `user`, once its question is up (the reply comes after the question
/// is posted, so an older question is never taken for it).
async fn start_fresh(discord: &FakeDiscord, user: u64, channel: u64) -> MessageView {
    let start = discord.slash_command(user, channel, "interview start", json!({}));
    let reply = discord.wait_for_reply(start).await;
    assert!(
        reply.content.contains("Your interview is ready"),
        "{}",
        reply.content
    );
    wait_question(discord, user).await
}

const ALL_BUTTONS: [&str; 5] = ["done", "hint", "skip", "cancel", "answer"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_and_forms_of_interviews_that_are_over_get_a_clear_private_answer() {
    let w = world().await;
    let d = &w.discord;
    let bob = w.member("bob");
    let mut bot = start_bot(&w).await;
    let mut tally = Tally::default();
    let a = w.alice;

    // Cancelled while the Answer form was open: the form's text comes back, nothing is lost.
    let cancelled = start_fresh(d, a, w.channel).await;
    let open = d.click_button(a, cancelled.id, &solo_id("answer", a));
    assert_eq!(
        d.wait_for_interaction_response(open).await.callback_type(),
        Some(9)
    );
    let cancel = d.slash_command(a, w.channel, "interview cancel", json!({}));
    tally
        .check(d, cancel, "cancel", &["Interview stopped"])
        .await;
    let submit = d.submit_modal(
        a,
        &solo_id("modal", a),
        &[("situation", SITUATION), ("action", ACTION)],
    );
    tally
        .check(
            d,
            submit,
            "form after cancel",
            &["This interview is over, so your form was not collected"],
        )
        .await;
    let handed_back = d
        .replies_to(submit)
        .into_iter()
        .flat_map(|m| m.attachments)
        .find(|f| f.filename == "my-answer.txt")
        .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
        .unwrap_or_default();
    assert!(
        handed_back.contains(SITUATION) && handed_back.contains(ACTION),
        "the form's text is handed back: {handed_back:?}"
    );
    click_all(&mut tally, d, a, cancelled.id, &ALL_BUTTONS, "after cancel").await;

    // Expired after 30 idle minutes (analysed and stored).
    let expired = start_fresh(d, a, w.channel).await;
    answer(&bot, &w, a, expired.channel_id, SITUATION).await;
    w.clock.advance(SignedDuration::from_mins(31));
    bot.wait_session(a, "alice's interview expired", |s| s.is_none())
        .await;
    click_all(&mut tally, d, a, expired.id, &ALL_BUTTONS, "after expiry").await;

    // From here on bob is in the middle of an interview, which nothing below may touch.
    let bob_question = start_fresh(d, bob, w.channel).await;
    answer(&bot, &w, bob, bob_question.channel_id, SITUATION).await;
    let bob_before = snapshot(&bot, bob);

    // Forgotten.
    let forgotten = start_fresh(d, a, w.channel).await;
    let forget = d.slash_command(a, w.channel, "forget", json!({}));
    let prompt = d.wait_for_reply(forget).await;
    let confirm = prompt
        .custom_ids()
        .into_iter()
        .find(|id| id.starts_with("forget:confirm:"))
        .expect("a confirm button");
    let confirmed = d.click_button(a, prompt.id, &confirm);
    d.wait_for_interaction_response(confirmed).await;
    bot.wait_session(a, "alice's interview forgotten", |s| s.is_none())
        .await;
    click_all(&mut tally, d, a, forgotten.id, &ALL_BUTTONS, "after forget").await;
    let form = d.submit_forged_modal(
        a,
        forgotten.id,
        &solo_id("modal", a),
        &[("result", "It worked.")],
    );
    tally
        .check(d, form, "form after forget", &["This interview is over"])
        .await;
    // The old prompt again (a second device still shows it): nothing left to delete, no harm.
    let again = d.click_forged(a, prompt.id, &confirm, None);
    assert!(d.wait_for_interaction_response(again).await.succeeded());

    // Across restarts: a live interview's buttons still work; a cancelled one's are over.
    let restarted = start_fresh(d, a, w.channel).await;
    bot.stop().await;
    bot = start_bot(&w).await;
    let hint = d.click_button(a, restarted.id, &solo_id("hint", a));
    d.wait_for_interaction_response(hint).await;
    d.wait_for_message(restarted.channel_id, |m| {
        m.all_text().contains("really testing")
    })
    .await;
    let cancel = d.slash_command(a, w.channel, "interview cancel", json!({}));
    tally
        .check(d, cancel, "cancel after restart", &["Interview stopped"])
        .await;
    bot.stop().await;
    bot = start_bot(&w).await;
    click_all(
        &mut tally,
        d,
        a,
        restarted.id,
        &ALL_BUTTONS,
        "cancelled before a restart",
    )
    .await;

    // A group that ended: its lobby's buttons and forms.
    let lobby = open_lobby(d, bob, w.channel).await;
    let end = d.click_button(bob, lobby.id, &format!("group:end:{}", w.channel));
    d.wait_for_interaction_response(end).await;
    d.wait_until("the group ended", |d| {
        d.message(lobby.id).filter(|m| {
            !m.custom_ids()
                .contains(&format!("group:join:{}", w.channel))
        })
    })
    .await;
    for action in ["join", "leave", "begin", "end", "next", "done"] {
        let id = format!("group:{action}:{}", w.channel);
        let interaction = d.click_forged(a, lobby.id, &id, None);
        tally
            .check(
                d,
                interaction,
                &format!("ended group: {action}"),
                &["This group session is over."],
            )
            .await;
    }
    let rate = d.click_forged(a, lobby.id, &format!("group:rate:{}:1", w.channel), None);
    tally
        .check(
            d,
            rate,
            "ended group: rate",
            &["This group session is over."],
        )
        .await;
    let rating = d.submit_forged_modal(
        a,
        lobby.id,
        &format!("group:ratemodal:{}:1", w.channel),
        &[("score", "4"), ("comment", "Clear result.")],
    );
    tally
        .check(
            d,
            rating,
            "ended group: rating form",
            &["This group session is over."],
        )
        .await;

    tally.assert_all_answered("interviews and groups that are over");
    assert_eq!(
        snapshot(&bot, bob),
        bob_before,
        "bob's interview is untouched"
    );

    // The bot still works: alice starts again and gets feedback through the form.
    let fresh = start_fresh(d, a, w.channel).await;
    let open = d.click_button(a, fresh.id, &solo_id("answer", a));
    d.wait_for_interaction_response(open).await;
    d.submit_modal(
        a,
        &solo_id("modal", a),
        &[("situation", SITUATION), ("action", ACTION)],
    );
    wait_feedback(d, fresh.channel_id, 0).await;
    assert_all_clean(d);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autocomplete_with_extreme_input_answers_within_discords_limits() {
    let w = world().await;
    let d = &w.discord;
    let mallory = w.member("mallory");
    let bot = start_bot(&w).await;

    let partials: Vec<String> = vec![
        String::new(),
        " ".into(),
        "   \t ".into(),
        "x".repeat(100),
        "x".repeat(6000),
        "🧨".repeat(50),
        "\u{202e}gnirts".into(),
        "e\u{301}\u{301}\u{301}".into(),
        "\u{0}\u{1b}[31m".into(),
        "%_*.?[]()^$\\".into(),
        "@everyone <@1>".into(),
        "ownership".into(),
        "Berlin".into(),
    ];
    let fields = [
        ("interview start", "question", json!({})),
        (
            "daily set",
            "timezone",
            json!({"channel": w.channel.to_string(), "time": "09:00"}),
        ),
    ];
    let mut tried = 0;
    for (command, option, others) in &fields {
        for partial in &partials {
            let mut options = others.clone();
            options[*option] = json!(partial);
            let interaction = d.autocomplete(mallory, w.channel, command, options, option);
            let callback = d.wait_for_interaction_response(interaction).await;
            tried += 1;
            let what = format!("/{command} {option}={:?}", shorten(partial, 30));
            assert!(callback.succeeded(), "{what}: {}", callback.summary());
            assert_eq!(
                callback.callback_type(),
                Some(8),
                "{what}: {}",
                callback.summary()
            );
            let choices = callback.body["data"]["choices"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(choices.len() <= 25, "{what}: {} choices", choices.len());
            if partial.trim().is_empty() {
                assert!(
                    !choices.is_empty(),
                    "{what}: an empty field lists suggestions"
                );
            }
            if partial.chars().count() > 100 {
                assert!(choices.is_empty(), "{what}: nothing matches: {choices:?}");
            }
        }
    }
    let suggested = |command: &str, option: &str, partial: &str, others: Value| {
        let mut options = others;
        options[option] = json!(partial);
        d.autocomplete(mallory, w.channel, command, options, option)
    };
    let berlin = suggested(
        "daily set",
        "timezone",
        "berlin",
        json!({"channel": w.channel.to_string(), "time": "09:00"}),
    );
    let callback = d.wait_for_interaction_response(berlin).await;
    assert!(
        callback.body.to_string().contains("Europe/Berlin"),
        "{}",
        callback.summary()
    );
    eprintln!("faults_interactions: autocomplete: {tried} extreme inputs answered within limits");

    // Still working: a normal command.
    let help = d.slash_command(mallory, w.channel, "help", json!({}));
    let mut tally = Tally::default();
    tally.check(d, help, "help", &["bar-raiser"]).await;
    tally.assert_all_answered("after autocomplete");
    assert_all_clean(d);
    bot.stop().await;
}
