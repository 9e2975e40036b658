//! Proves the loopback Discord with the real serenity client and poise: a tiny bot defined here
//! connects, registers a command, answers it, replies to messages, survives a forced disconnect,
//! and breaks each enforced rule once on purpose.

mod support;

use std::time::Duration;

use poise::serenity_prelude as serenity;
use serde_json::json;
use support::discord::{FakeDiscord, Ping, Rule};

type Error = Box<dyn std::error::Error + Send + Sync>;
type Context<'a> = poise::Context<'a, (), Error>;

/// Replies "pong" (allowed_mentions none, set framework-wide).
#[poise::command(slash_command)]
async fn ping(ctx: Context<'_>) -> Result<(), Error> {
    ctx.say("pong").await?;
    Ok(())
}

/// Replies only after a pause: used to show a late acknowledgement is rejected.
#[poise::command(slash_command)]
async fn slow(ctx: Context<'_>) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    ctx.say("finally").await?;
    Ok(())
}

/// Reacts to user messages: `echo N` → "echoed N"; `big` → an embed description of 4,097
/// characters;
/// `everyone` → "@everyone" with no allowed_mentions; `quiet everyone` → the same with
/// allowed_mentions none.
async fn on_event(
    framework: poise::FrameworkContext<'_, (), Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    let serenity::FullEvent::Message { new_message } = event else {
        return Ok(());
    };
    if new_message.author.bot {
        return Ok(());
    }
    let http = &framework.serenity_context.http;
    let channel = new_message.channel_id;
    let none = serenity::CreateAllowedMentions::new();
    let content = new_message.content.as_str();
    let reply = if let Some(n) = content.strip_prefix("echo ") {
        serenity::CreateMessage::new()
            .content(format!("echoed {n}"))
            .allowed_mentions(none)
    } else if content == "big" {
        // serenity itself refuses content over 2,000 characters before sending; an embed
        // description over 4,096 characters gets through to Discord and is refused there.
        let embed = serenity::CreateEmbed::new().description("x".repeat(4097));
        serenity::CreateMessage::new()
            .embed(embed)
            .allowed_mentions(none)
    } else if content == "everyone" {
        serenity::CreateMessage::new().content("@everyone look at this")
    } else if content == "quiet everyone" {
        serenity::CreateMessage::new()
            .content("@everyone look at this")
            .allowed_mentions(none)
    } else {
        return Ok(());
    };
    // Errors (the oversized message) are the point of some cases; the emulator records them.
    let _ = channel.send_message(http, reply).await;
    Ok(())
}

/// Starts the tiny poise bot against the emulator, exactly as the real bot is wired.
async fn start_bot(discord: &FakeDiscord) -> tokio::task::JoinHandle<()> {
    let http = serenity::HttpBuilder::new(discord.token())
        .proxy(discord.api_base())
        .ratelimiter_disabled(true)
        .build();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![ping(), slow()],
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            allowed_mentions: Some(serenity::CreateAllowedMentions::new()),
            ..Default::default()
        })
        .setup(|ctx, _ready, framework| {
            Box::pin(async move {
                poise::builtins::register_globally(ctx, &framework.options().commands).await?;
                Ok(())
            })
        })
        .build();
    let intents = serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::DIRECT_MESSAGES
        | serenity::GatewayIntents::MESSAGE_CONTENT;
    let mut client = serenity::ClientBuilder::new_with_http(http, intents)
        .framework(framework)
        .await
        .expect("build the client");
    tokio::spawn(async move {
        if let Err(e) = client.start().await {
            eprintln!("bot stopped: {e}");
        }
    })
}

#[tokio::test]
async fn a_real_poise_bot_runs_against_the_emulator() {
    let discord = FakeDiscord::start().await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    discord.add_member(guild, alice, &[]);
    let bot = start_bot(&discord).await;

    discord.wait_ready().await;
    assert_eq!(discord.identify_count(), 1);
    let registered = discord
        .wait_for_call(|c| c.is("PUT", "/applications/{id}/commands"))
        .await;
    assert_eq!(registered.status, 200);
    let ping_command = discord.command("ping").expect("/ping registered");
    assert!(ping_command["id"].as_str().is_some_and(|id| !id.is_empty()));

    // The slash command is acknowledged with a message, in time.
    let interaction = discord.slash_command(alice, channel, "ping", json!({}));
    let ack = discord.wait_for_interaction_response(interaction).await;
    assert_eq!(ack.status, 204, "{}", ack.summary());
    assert_eq!(ack.callback_type(), Some(4));
    assert_eq!(ack.content(), Some("pong"));
    let answered = discord
        .interaction(interaction)
        .expect("interaction recorded");
    let original = discord
        .message(answered.original_message_id.expect("original message"))
        .expect("stored");
    assert_eq!(original.content, "pong");
    assert_eq!(original.channel_id, channel);

    // A user message gets a reply in the channel.
    discord.send_message(channel, alice, "echo 1");
    let reply = discord
        .wait_for_message(channel, |m| m.content == "echoed 1")
        .await;
    assert_eq!(reply.author_id, discord.bot_id());

    // A forced disconnect: the next message is sent while the bot is away and arrives once.
    discord.disconnect();
    discord.send_message(channel, alice, "echo 2");
    discord
        .wait_for_message(channel, |m| m.content == "echoed 2")
        .await;
    assert_eq!(
        discord.resume_count(),
        1,
        "the bot resumed instead of identifying again"
    );
    assert_eq!(discord.identify_count(), 1);
    discord.send_message(channel, alice, "echo 3");
    discord
        .wait_for_message(channel, |m| m.content == "echoed 3")
        .await;
    let twos = discord
        .messages_in(channel)
        .into_iter()
        .filter(|m| m.content == "echoed 2")
        .count();
    assert_eq!(twos, 1, "the replayed message was handled exactly once");

    // A late acknowledgement is refused with 10062 and recorded.
    let late = discord.slash_command(alice, channel, "slow", json!({}));
    discord.age_interaction(late, Duration::from_secs(3));
    let refused = discord.wait_for_interaction_response(late).await;
    assert_eq!(refused.status, 404);
    assert_eq!(refused.response["code"], 10062);
    assert!(discord
        .violations()
        .iter()
        .any(|v| v.rule == Rule::LateAck && v.code == 10062));

    // An oversized message is refused with 50035 and recorded.
    discord.send_message(channel, alice, "big");
    let big = discord
        .wait_for_call(|c| c.is("POST", "/channels/{id}/messages") && c.status == 400)
        .await;
    assert_eq!(big.response["code"], 50035);
    let errors = &big.response["errors"]["embeds"]["0"]["description"]["_errors"];
    assert!(errors.is_array(), "{}", big.response);
    assert!(discord
        .violations()
        .iter()
        .any(|v| v.rule == Rule::InvalidFormBody && v.call_index == big.index));

    // @everyone without allowed_mentions leaks; with allowed_mentions none it does not.
    discord.send_message(channel, alice, "everyone");
    let loud = discord
        .wait_for_call(|c| {
            c.content() == Some("@everyone look at this")
                && c.body.get("allowed_mentions").is_none()
        })
        .await;
    discord.send_message(channel, alice, "quiet everyone");
    let quiet = discord
        .wait_for_call(|c| {
            c.content() == Some("@everyone look at this")
                && c.body.get("allowed_mentions").is_some()
        })
        .await;
    let leaks = discord.mention_leaks();
    assert!(leaks
        .iter()
        .any(|l| l.call_index == loud.index && l.ping == Ping::Everyone && l.field == "content"));
    assert!(
        !leaks.iter().any(|l| l.call_index == quiet.index),
        "allowed_mentions none must not leak: {leaks:?}"
    );

    assert!(
        discord.unknown_routes().is_empty(),
        "{:?}",
        discord.unknown_routes()
    );
    assert!(
        discord.emulator_errors().is_empty(),
        "{:?}",
        discord.emulator_errors()
    );
    bot.abort();
}
