//! Proves the loopback Discord with the real serenity client and poise: a tiny bot defined here
//! connects, registers a command, answers it, replies to messages, survives a forced disconnect,
//! and breaks each enforced rule once on purpose.

mod support;

const ALL_INTENTS: u64 = (1 << 0) | (1 << 9) | (1 << 12) | (1 << 15);

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
    start_bot_with_intents(discord, ALL_INTENTS).await
}

async fn start_bot_with_intents(
    discord: &FakeDiscord,
    intents: u64,
) -> tokio::task::JoinHandle<()> {
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
    let intents = serenity::GatewayIntents::from_bits_truncate(intents);
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
    // Sends an oversized message and pings on purpose, to see them refused and recorded.
    discord.breaks_rules_on_purpose();
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
    assert!(answered
        .ack_latency()
        .is_some_and(|l| l <= Duration::from_secs(3)));
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

/// A bare gateway client (tokio-tungstenite) that reads raw frames, so each dispatch can be
/// parsed with serenity's own types, while REST goes through serenity's `Http`.
struct RawGateway {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl RawGateway {
    async fn identify(discord: &FakeDiscord, intents: u64) -> Self {
        use futures_util::SinkExt;
        let url = format!("{}/?v=10", discord.gateway_url());
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect to the gateway");
        let mut gateway = RawGateway { ws };
        let hello = gateway.frame().await;
        assert_eq!(hello["op"], 10, "{hello}");
        assert!(hello["d"]["heartbeat_interval"].as_u64().is_some());
        let identify = json!({"op": 2, "d": {"token": discord.token(), "intents": intents, "properties": {"os": "linux", "browser": "test", "device": "test"}, "compress": true, "large_threshold": 250, "shard": [0, 1]}});
        gateway
            .ws
            .send(tokio_tungstenite::tungstenite::Message::Text(
                identify.to_string(),
            ))
            .await
            .expect("send identify");
        gateway
    }

    async fn frame(&mut self) -> serde_json::Value {
        use futures_util::StreamExt;
        loop {
            // As long as the emulator's own waits: a starved machine can be slow to send.
            let next = tokio::time::timeout(Duration::from_secs(30), self.ws.next()).await;
            let message = next
                .expect("a gateway frame within 30 s")
                .expect("open socket")
                .expect("frame");
            if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
                return serde_json::from_str(&text).expect("gateway frames are JSON");
            }
        }
    }

    async fn interaction(&mut self) -> serenity::Interaction {
        match self.expect("INTERACTION_CREATE").await {
            serenity::Event::InteractionCreate(created) => created.interaction,
            other => panic!("not an interaction: {other:?}"),
        }
    }

    /// Reads until the dispatch `name`; every dispatch on the way must parse as a known event.
    async fn expect(&mut self, name: &str) -> serenity::Event {
        loop {
            let frame = self.frame().await;
            if frame["op"] != 0 {
                continue;
            }
            let t = frame["t"].as_str().unwrap_or_default().to_string();
            let parsed: serenity::GatewayEvent = serde_json::from_value(frame.clone())
                .unwrap_or_else(|e| panic!("serenity cannot parse {t}: {e}\n{frame}"));
            let serenity::GatewayEvent::Dispatch(_, event) = parsed else {
                panic!("not a dispatch: {frame}")
            };
            assert!(
                event.name().is_some(),
                "serenity would drop {t} as Unknown: {frame}"
            );
            if t == name {
                return event;
            }
        }
    }
}

fn rest_client(discord: &FakeDiscord) -> serenity::Http {
    let http = serenity::HttpBuilder::new(discord.token())
        .proxy(discord.api_base())
        .ratelimiter_disabled(true)
        .build();
    http.set_application_id(serenity::ApplicationId::new(discord.app_id()));
    http
}

fn error_code(result: Result<impl std::fmt::Debug, serenity::Error>) -> (u16, isize) {
    match result {
        Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(e))) => {
            (e.status_code.as_u16(), e.error.code)
        }
        other => panic!("expected a Discord error response, got {other:?}"),
    }
}

fn interview_command() -> serenity::CreateCommand {
    use serenity::{CommandOptionType as Kind, CreateCommandOption as Opt};
    serenity::CreateCommand::new("interview")
        .description("Mock interview")
        .add_option(
            Opt::new(Kind::SubCommand, "start", "Start one")
                .add_sub_option(
                    Opt::new(Kind::String, "lp", "Leadership Principle").set_autocomplete(true),
                )
                .add_sub_option(Opt::new(Kind::Integer, "count", "How many"))
                .add_sub_option(Opt::new(Kind::User, "peer", "Someone to invite")),
        )
}

#[tokio::test]
async fn every_payload_and_response_parses_with_serenity_models() {
    let discord = FakeDiscord::start().await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    let bob = discord.add_user("bob");
    discord.add_member(guild, alice, &[]);
    discord.add_member(guild, bob, &[]);
    let http = rest_client(&discord);
    let mut gateway = RawGateway::identify(&discord, ALL_INTENTS).await;

    let serenity::Event::Ready(ready) = gateway.expect("READY").await else {
        unreachable!()
    };
    assert_eq!(ready.ready.user.id.get(), discord.bot_id());
    assert_eq!(ready.ready.application.id.get(), discord.app_id());
    let serenity::Event::GuildCreate(created) = gateway.expect("GUILD_CREATE").await else {
        unreachable!()
    };
    assert!(created
        .guild
        .channels
        .contains_key(&serenity::ChannelId::new(channel)));
    assert!(created
        .guild
        .members
        .contains_key(&serenity::UserId::new(alice)));
    assert!(
        created
            .guild
            .roles
            .contains_key(&serenity::RoleId::new(guild)),
        "@everyone role"
    );

    // Command registration answers serenity's Command model, with ids.
    let commands = serenity::Command::set_global_commands(&http, vec![interview_command()])
        .await
        .expect("register");
    assert_eq!(commands.len(), 1);
    assert_eq!(
        discord.command("interview").expect("stored")["id"],
        commands[0].id.to_string()
    );

    // MESSAGE_CREATE / UPDATE / DELETE.
    let said = discord.send_message(channel, alice, "I led the migration");
    let serenity::Event::MessageCreate(m) = gateway.expect("MESSAGE_CREATE").await else {
        unreachable!()
    };
    assert_eq!(
        (m.message.id.get(), m.message.content.as_str()),
        (said, "I led the migration")
    );
    assert_eq!(m.message.guild_id, Some(serenity::GuildId::new(guild)));
    discord.edit_message(said, "I led the database migration");
    let serenity::Event::MessageUpdate(u) = gateway.expect("MESSAGE_UPDATE").await else {
        unreachable!()
    };
    assert_eq!(u.content.as_deref(), Some("I led the database migration"));
    discord.delete_message(said);
    let serenity::Event::MessageDelete(d) = gateway.expect("MESSAGE_DELETE").await else {
        unreachable!()
    };
    assert_eq!(d.message_id.get(), said);

    // A slash command with a subcommand; option types come from the registration.
    let id = discord.slash_command(
        alice,
        channel,
        "interview start",
        json!({"lp": "Ownership", "count": 3, "peer": bob}),
    );
    let serenity::Interaction::Command(command) = gateway.interaction().await else {
        panic!("not a command interaction")
    };
    assert_eq!(command.id.get(), id);
    assert_eq!(command.user.id.get(), alice);
    assert_eq!(command.data.name, "interview");
    let options = command.data.options();
    let serenity::ResolvedValue::SubCommand(sub) = &options[0].value else {
        panic!("subcommand expected: {options:?}")
    };
    assert_eq!(options[0].name, "start");
    assert!(
        sub.iter()
            .any(|o| o.name == "lp"
                && matches!(o.value, serenity::ResolvedValue::String("Ownership")))
    );
    assert!(sub
        .iter()
        .any(|o| o.name == "count" && matches!(o.value, serenity::ResolvedValue::Integer(3))));
    assert!(sub.iter().any(|o| o.name == "peer"
        && matches!(o.value, serenity::ResolvedValue::User(u, _) if u.id.get() == bob)));

    // Respond with a message carrying a button; followups and original edits answer Messages.
    let none = serenity::CreateAllowedMentions::new();
    let button = serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new("answer").label("Answer")
    ]);
    let reply = serenity::CreateInteractionResponseMessage::new()
        .content("Tell me about a time…")
        .components(vec![button])
        .allowed_mentions(none.clone());
    command
        .create_response(&http, serenity::CreateInteractionResponse::Message(reply))
        .await
        .expect("callback");
    gateway.expect("MESSAGE_CREATE").await;
    let followup = command
        .create_followup(
            &http,
            serenity::CreateInteractionResponseFollowup::new()
                .content("only you see this")
                .ephemeral(true)
                .allowed_mentions(none.clone()),
        )
        .await
        .expect("followup");
    assert!(followup
        .flags
        .is_some_and(|f| f.contains(serenity::MessageFlags::EPHEMERAL)));
    let edited = command
        .edit_response(
            &http,
            serenity::EditInteractionResponse::new().content("Tell me about a time you failed"),
        )
        .await
        .expect("edit original");
    assert_eq!(edited.content, "Tell me about a time you failed");
    let original = command.get_response(&http).await.expect("get original");
    assert_eq!(original.id, edited.id);

    // Button → modal → submit.
    let click = discord.click_button(alice, original.id.get(), "answer");
    let serenity::Interaction::Component(component) = gateway.interaction().await else {
        panic!("not a component interaction")
    };
    assert_eq!(
        (component.id.get(), component.data.custom_id.as_str()),
        (click, "answer")
    );
    assert_eq!(component.message.id, original.id);
    let inputs = ["situation", "task", "action", "result"].map(|name| {
        serenity::CreateActionRow::InputText(
            serenity::CreateInputText::new(serenity::InputTextStyle::Paragraph, name, name)
                .max_length(4000),
        )
    });
    let modal = serenity::CreateModal::new("star-form", "Your answer").components(inputs.to_vec());
    component
        .create_response(&http, serenity::CreateInteractionResponse::Modal(modal))
        .await
        .expect("open modal");
    let submitted = discord.submit_modal(
        alice,
        "star-form",
        &[
            ("situation", "Our deploys failed weekly."),
            ("action", "I wrote the runbook."),
        ],
    );
    let serenity::Interaction::Modal(modal) = gateway.interaction().await else {
        panic!("not a modal submit")
    };
    assert_eq!(modal.id.get(), submitted);
    assert_eq!(modal.data.custom_id, "star-form");
    let values: Vec<(String, String)> = modal
        .data
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .filter_map(|c| match c {
            serenity::ActionRowComponent::InputText(t) => {
                Some((t.custom_id.clone(), t.value.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(values.len(), 4);
    assert!(values.contains(&("action".into(), "I wrote the runbook.".into())));
    assert!(values.contains(&("task".into(), String::new())));
    modal
        .create_response(
            &http,
            serenity::CreateInteractionResponse::Defer(
                serenity::CreateInteractionResponseMessage::new().ephemeral(true),
            ),
        )
        .await
        .expect("defer");
    let export = br#"{"attempts": []}"#.to_vec();
    let filled = serenity::EditInteractionResponse::new()
        .content("Feedback: …")
        .new_attachment(serenity::CreateAttachment::bytes(
            export.clone(),
            "export.json",
        ));
    let feedback = modal
        .edit_response(&http, filled)
        .await
        .expect("fill the deferred reply");
    assert_eq!(feedback.attachments[0].filename, "export.json");
    let reply = discord.wait_for_reply(submitted).await;
    assert!(reply.is_ephemeral());
    assert_eq!(
        (reply.content.as_str(), reply.attachments[0].bytes.clone()),
        ("Feedback: …", export)
    );

    // Autocomplete.
    let typed = discord.autocomplete(
        alice,
        channel,
        "interview start",
        json!({"lp": "own"}),
        "lp",
    );
    let serenity::Interaction::Autocomplete(auto) = gateway.interaction().await else {
        panic!("not an autocomplete")
    };
    assert_eq!(auto.id.get(), typed);
    assert_eq!(
        auto.data.autocomplete().map(|a| (a.name, a.value)),
        Some(("lp", "own"))
    );
    let choices =
        serenity::CreateAutocompleteResponse::new().add_string_choice("Ownership", "ownership");
    auto.create_response(
        &http,
        serenity::CreateInteractionResponse::Autocomplete(choices),
    )
    .await
    .expect("choices");

    // A select menu on a channel message.
    let menu = serenity::CreateSelectMenu::new(
        "vote",
        serenity::CreateSelectMenuKind::String {
            options: vec![
                serenity::CreateSelectMenuOption::new("alice", "alice"),
                serenity::CreateSelectMenuOption::new("bob", "bob"),
            ],
        },
    );
    let ballot = serenity::ChannelId::new(channel)
        .send_message(
            &http,
            serenity::CreateMessage::new()
                .content("Best answer?")
                .components(vec![serenity::CreateActionRow::SelectMenu(menu)])
                .allowed_mentions(none.clone()),
        )
        .await
        .expect("post ballot");
    gateway.expect("MESSAGE_CREATE").await;
    discord.select_menu(bob, ballot.id.get(), "vote", &["alice"]);
    let serenity::Interaction::Component(vote) = gateway.interaction().await else {
        panic!("not a select")
    };
    assert!(
        matches!(&vote.data.kind, serenity::ComponentInteractionDataKind::StringSelect { values } if values == &["alice".to_string()])
    );
    vote.create_response(&http, serenity::CreateInteractionResponse::Acknowledge)
        .await
        .expect("deferred update");

    // Threads: from a message (public, same id as the message), private, archive, members.
    let channel_id = serenity::ChannelId::new(channel);
    let public = channel_id
        .create_thread_from_message(&http, ballot.id, serenity::CreateThread::new("votes"))
        .await
        .expect("public thread");
    assert_eq!(
        (public.id.get(), public.kind),
        (ballot.id.get(), serenity::ChannelType::PublicThread)
    );
    let serenity::Event::ThreadCreate(t) = gateway.expect("THREAD_CREATE").await else {
        unreachable!()
    };
    assert_eq!(t.thread.id, public.id);
    let private = channel_id
        .create_thread(
            &http,
            serenity::CreateThread::new("alice's interview")
                .kind(serenity::ChannelType::PrivateThread)
                .invitable(false),
        )
        .await
        .expect("private thread");
    assert_eq!(private.kind, serenity::ChannelType::PrivateThread);
    private
        .id
        .add_thread_member(&http, serenity::UserId::new(alice))
        .await
        .expect("add member");
    private.id.join_thread(&http).await.expect("join");
    assert!(discord.thread_members(private.id.get()).contains(&alice));
    let archived = private
        .id
        .edit_thread(&http, serenity::EditThread::new().archived(true))
        .await
        .expect("archive");
    assert!(archived.thread_metadata.is_some_and(|m| m.archived));
    let serenity::Event::ThreadUpdate(_) = gateway.expect("THREAD_UPDATE").await else {
        unreachable!()
    };
    discord.set_private_threads_allowed(false);
    let refused = channel_id
        .create_thread(
            &http,
            serenity::CreateThread::new("nope").kind(serenity::ChannelType::PrivateThread),
        )
        .await;
    assert_eq!(error_code(refused), (403, 50013));
    assert_eq!(discord.threads_of(channel).len(), 2);

    // DM with a file: multipart is parsed, file bytes kept.
    let dm = serenity::UserId::new(alice)
        .create_dm_channel(&http)
        .await
        .expect("open DM");
    assert_eq!(dm.id.get(), discord.dm_channel(alice));
    let png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3];
    let sent = dm
        .id
        .send_message(
            &http,
            serenity::CreateMessage::new()
                .content("your chart")
                .add_file(serenity::CreateAttachment::bytes(png.clone(), "chart.png"))
                .allowed_mentions(none.clone()),
        )
        .await
        .expect("send file");
    assert_eq!(sent.attachments[0].filename, "chart.png");
    let call = discord
        .calls_matching(|c| c.files.iter().any(|f| f.filename == "chart.png"))
        .pop()
        .expect("multipart call");
    assert_eq!(call.files[0].bytes, png);
    assert_eq!(call.content(), Some("your chart"));
    assert_eq!(
        discord.message(sent.id.get()).expect("stored").attachments[0].bytes,
        png
    );

    // Reactions, reads.
    sent.react(&http, '✅').await.expect("react");
    assert_eq!(
        discord.message(sent.id.get()).expect("stored").reactions,
        vec![("✅".to_string(), discord.bot_id())]
    );
    let serenity::Channel::Guild(_) = http.get_channel(channel_id).await.expect("get channel")
    else {
        panic!("guild channel")
    };
    let member = http
        .get_member(serenity::GuildId::new(guild), serenity::UserId::new(alice))
        .await
        .expect("get member");
    assert_eq!(member.user.id.get(), alice);
    http.get_guild(serenity::GuildId::new(guild))
        .await
        .expect("get guild");
    let history = channel_id
        .messages(&http, serenity::GetMessages::new().limit(10))
        .await
        .expect("history");
    assert!(history.iter().any(|m| m.id == ballot.id));
    http.get_current_application_info()
        .await
        .expect("application info");

    discord.assert_clean();
}

#[tokio::test]
async fn discord_rules_are_enforced_and_recorded() {
    let discord = FakeDiscord::start().await;
    // Sends an oversized message and pings on purpose, to see them refused and recorded.
    discord.breaks_rules_on_purpose();
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    discord.add_member(guild, alice, &[]);
    let role = discord.add_role(guild, "daily", 0);
    let http = rest_client(&discord);
    let _gateway = RawGateway::identify(&discord, ALL_INTENTS).await;
    discord.wait_ready().await;
    serenity::Command::set_global_commands(&http, vec![interview_command()])
        .await
        .expect("register");
    let none = serenity::CreateAllowedMentions::new();
    let reply = |text: &str| {
        serenity::CreateInteractionResponse::Message(
            serenity::CreateInteractionResponseMessage::new()
                .content(text)
                .allowed_mentions(serenity::CreateAllowedMentions::new()),
        )
    };
    let fetch = |id: u64| {
        let view = discord.interaction(id).expect("dispatched");
        (serenity::InteractionId::new(view.id), view.token)
    };

    // Followup before the ack, then a double ack.
    let first = discord.slash_command(alice, channel, "interview start", json!({}));
    let (id, token) = fetch(first);
    let early = http
        .create_followup_message(
            &token,
            &serenity::CreateInteractionResponseFollowup::new()
                .content("early")
                .allowed_mentions(none.clone()),
            vec![],
        )
        .await;
    assert_eq!(error_code(early), (404, 10015));
    http.create_interaction_response(id, &token, &reply("ok"), vec![])
        .await
        .expect("first ack");
    let again = http
        .create_interaction_response(id, &token, &reply("again"), vec![])
        .await;
    assert_eq!(error_code(again), (400, 40060));

    // Late ack and expired token (aged instead of waiting).
    let late = discord.slash_command(alice, channel, "interview start", json!({}));
    discord.age_interaction(late, Duration::from_millis(3001));
    let (id, token) = fetch(late);
    assert_eq!(
        error_code(
            http.create_interaction_response(id, &token, &reply("late"), vec![])
                .await
        ),
        (404, 10062)
    );
    let old = discord.slash_command(alice, channel, "interview start", json!({}));
    let (id, token) = fetch(old);
    http.create_interaction_response(id, &token, &reply("ok"), vec![])
        .await
        .expect("ack");
    discord.age_interaction(old, Duration::from_secs(15 * 60 + 1));
    let expired = http
        .create_followup_message(
            &token,
            &serenity::CreateInteractionResponseFollowup::new()
                .content("too late")
                .allowed_mentions(none.clone()),
            vec![],
        )
        .await;
    assert_eq!(error_code(expired), (401, 50027));

    // A callback type the interaction kind does not accept (autocomplete choices to a command).
    let wrong = discord.slash_command(alice, channel, "interview start", json!({}));
    let (id, token) = fetch(wrong);
    let choices = serenity::CreateInteractionResponse::Autocomplete(
        serenity::CreateAutocompleteResponse::new(),
    );
    assert_eq!(
        error_code(
            http.create_interaction_response(id, &token, &choices, vec![])
                .await
        )
        .0,
        400
    );

    // Limits serenity does not check itself reach Discord and get 50035 with the field path.
    let channel_id = serenity::ChannelId::new(channel);
    let send = |message: serenity::CreateMessage| {
        channel_id.send_message(
            &http,
            message.allowed_mentions(serenity::CreateAllowedMentions::new()),
        )
    };
    let embed = serenity::CreateEmbed::new;
    let too_many_fields = (0..26).fold(embed(), |e, i| e.field(format!("f{i}"), "v", false));
    let long_title = embed().title("t".repeat(257));
    let long_value = embed().field("name", "v".repeat(1025), false);
    let two_big = vec![
        embed().description("a".repeat(3500)),
        embed().description("b".repeat(3500)),
    ];
    let six_rows: Vec<_> = (0..6)
        .map(|i| {
            serenity::CreateActionRow::Buttons(vec![
                serenity::CreateButton::new(format!("b{i}")).label("x")
            ])
        })
        .collect();
    let long_id = vec![serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new("c".repeat(101)).label("x"),
    ])];
    for (case, message, path) in [
        (
            "26 fields",
            serenity::CreateMessage::new().embed(too_many_fields),
            "embeds.0.fields",
        ),
        (
            "title 257",
            serenity::CreateMessage::new().embed(long_title),
            "embeds.0.title",
        ),
        (
            "field value 1025",
            serenity::CreateMessage::new().embed(long_value),
            "embeds.0.fields.0.value",
        ),
        (
            "7000 chars over two embeds",
            serenity::CreateMessage::new().embeds(two_big),
            "embeds",
        ),
        (
            "6 action rows",
            serenity::CreateMessage::new()
                .content("x")
                .components(six_rows),
            "components",
        ),
        (
            "custom_id 101",
            serenity::CreateMessage::new()
                .content("x")
                .components(long_id),
            "components.0.components.0.custom_id",
        ),
    ] {
        let before = discord.violations().len();
        assert_eq!(error_code(send(message).await), (400, 50035), "{case}");
        let added = discord.violations();
        assert_eq!(added.len(), before + 1, "{case}");
        assert!(
            added[before].detail.starts_with(path),
            "{case}: {}",
            added[before].detail
        );
    }
    assert_eq!(
        error_code(send(serenity::CreateMessage::new()).await),
        (400, 50006),
        "empty message"
    );

    // A modal whose text input allows more than 4000 characters.
    let opener = discord.slash_command(alice, channel, "interview start", json!({}));
    let (id, token) = fetch(opener);
    let input =
        serenity::CreateInputText::new(serenity::InputTextStyle::Paragraph, "Answer", "answer")
            .max_length(4001);
    let modal = serenity::CreateModal::new("form", "Answer")
        .components(vec![serenity::CreateActionRow::InputText(input)]);
    let refused = http
        .create_interaction_response(
            id,
            &token,
            &serenity::CreateInteractionResponse::Modal(modal),
            vec![],
        )
        .await;
    assert_eq!(error_code(refused), (400, 50035));

    let rules: Vec<Rule> = discord.violations().iter().map(|v| v.rule).collect();
    for rule in [
        Rule::WebhookBeforeAck,
        Rule::DoubleAck,
        Rule::LateAck,
        Rule::ExpiredToken,
        Rule::InvalidCallbackType,
        Rule::InvalidFormBody,
        Rule::EmptyMessage,
    ] {
        assert!(rules.contains(&rule), "{rule:?} not recorded: {rules:?}");
    }

    // Mentions: what pings is a leak unless allowed_mentions forbids it.
    let before = discord.mention_leaks().len();
    let raw = |content: String| {
        channel_id.send_message(&http, serenity::CreateMessage::new().content(content))
    };
    raw(format!("hi <@{alice}> and <@!{alice}>"))
        .await
        .expect("sent");
    raw(format!("<@&{role}> new question")).await.expect("sent");
    channel_id
        .send_message(
            &http,
            serenity::CreateMessage::new().embed(embed().description("@here answer")),
        )
        .await
        .expect("sent");
    let leaks = discord.mention_leaks()[before..].to_vec();
    let pings: Vec<(Ping, &str)> = leaks
        .iter()
        .map(|l| (l.ping.clone(), l.field.as_str()))
        .collect();
    assert_eq!(
        pings,
        vec![
            (Ping::User(alice), "content"),
            (Ping::Role(role), "content"),
            (Ping::Here, "embeds.0.description")
        ]
    );
    assert!(leaks.iter().all(|l| !l.explicitly_allowed));

    let before = discord.mention_leaks().len();
    let deliberate =
        serenity::CreateAllowedMentions::new().roles(vec![serenity::RoleId::new(role)]);
    channel_id
        .send_message(
            &http,
            serenity::CreateMessage::new()
                .content(format!("<@&{role}> today's question"))
                .allowed_mentions(deliberate),
        )
        .await
        .expect("sent");
    let quiet = channel_id
        .send_message(
            &http,
            serenity::CreateMessage::new()
                .content(format!("@everyone <@{alice}> <@&{role}>"))
                .allowed_mentions(none.clone()),
        )
        .await
        .expect("sent");
    // An edit keeps the message's allowed_mentions when it does not repeat them.
    channel_id
        .edit_message(
            &http,
            quiet.id,
            serenity::EditMessage::new().content("@everyone again"),
        )
        .await
        .expect("edited");
    let leaks = discord.mention_leaks()[before..].to_vec();
    assert_eq!(leaks.len(), 1, "{leaks:?}");
    assert!(leaks[0].explicitly_allowed && leaks[0].ping == Ping::Role(role));
    assert!(discord.unintended_mention_leaks().len() >= 3);
}

#[tokio::test]
async fn rest_faults_are_injected_on_request() {
    use support::discord::Fault;
    let discord = FakeDiscord::start().await;
    let guild = discord.add_guild("Career Club");
    let channel = serenity::ChannelId::new(discord.add_text_channel(guild, "practice"));
    let http = rest_client(&discord);
    let message = || {
        serenity::CreateMessage::new()
            .content("hello")
            .allowed_mentions(serenity::CreateAllowedMentions::new())
    };
    let route = "/channels/{id}/messages";

    discord.inject_fault("POST", route, 2, Fault::Status(500));
    assert_eq!(
        error_code(channel.send_message(&http, message()).await).0,
        500
    );
    assert_eq!(
        error_code(channel.send_message(&http, message()).await).0,
        500
    );
    channel
        .send_message(&http, message())
        .await
        .expect("the third call goes through");

    discord.inject_fault("*", route, 1, Fault::Status(502));
    assert_eq!(
        error_code(channel.send_message(&http, message()).await).0,
        502
    );

    discord.inject_fault(
        "POST",
        route,
        1,
        Fault::RateLimited {
            retry_after: 1.5,
            global: true,
        },
    );
    assert_eq!(
        error_code(channel.send_message(&http, message()).await).0,
        429
    );
    let limited = discord
        .calls()
        .into_iter()
        .rev()
        .find(|c| c.status == 429)
        .expect("429 recorded");
    assert_eq!(limited.response["retry_after"], 1.5);
    assert_eq!(limited.response["global"], true);

    discord.inject_fault("POST", route, 1, Fault::Delay(Duration::from_millis(50)));
    channel
        .send_message(&http, message())
        .await
        .expect("a slow call still succeeds");

    // Faulted calls change nothing: only the third call and the delayed one created messages.
    assert_eq!(discord.messages_in(channel.get()).len(), 2);

    // Long runs: forget the log, keep counting; or keep only method, path, status and time.
    let mark = discord.mark();
    discord.forget_calls();
    assert!(discord.calls().is_empty());
    assert_eq!(discord.mark(), mark);
    discord.set_options(|o| o.record_bodies = false);
    channel.send_message(&http, message()).await.expect("sent");
    let lean = discord
        .wait_for_call_after(mark, |c| c.is("POST", route))
        .await;
    assert_eq!((lean.index, lean.status), (mark, 200));
    assert!(lean.body.is_null() && lean.response.is_null());
    assert!(discord.unknown_routes().is_empty());
}

fn count(discord: &FakeDiscord, channel: u64, content: &str) -> usize {
    discord
        .messages_in(channel)
        .iter()
        .filter(|m| m.content == content)
        .count()
}

#[tokio::test]
async fn the_bot_resumes_after_op7_and_sees_replayed_events_twice() {
    let discord = FakeDiscord::start().await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    let bot = start_bot(&discord).await;
    discord.wait_ready().await;

    discord.reconnect_request();
    discord.send_message(channel, alice, "echo a");
    discord
        .wait_for_message(channel, |m| m.content == "echoed a")
        .await;
    assert_eq!((discord.resume_count(), discord.identify_count()), (1, 1));

    // A duplicate delivery reaches the bot: this tiny bot is not idempotent, so it answers twice.
    let b = discord.send_message(channel, alice, "echo b");
    discord
        .wait_for_message(channel, |m| m.content == "echoed b")
        .await;
    discord.replay_seq(discord.seq_of("MESSAGE_CREATE", b).expect("dispatched"));
    discord
        .wait_until("the replayed message to be answered again", |d| {
            (count(d, channel, "echoed b") == 2).then_some(())
        })
        .await;

    // The bot's own messages are echoed back as dispatches, as Discord does.
    let own = discord
        .messages_in(channel)
        .into_iter()
        .find(|m| m.content == "echoed a")
        .expect("reply");
    assert!(discord.seq_of("MESSAGE_CREATE", own.id).is_some());
    discord.assert_clean();
    bot.abort();
}

#[tokio::test]
async fn the_bot_identifies_again_after_invalid_session_and_missing_heartbeat_acks() {
    // A short heartbeat so that unanswered ones are noticed quickly (serenity gives up after one).
    let discord = FakeDiscord::start_with(support::discord::Options {
        heartbeat_interval: Duration::from_millis(1000),
        wait_timeout: Duration::from_secs(40),
        ..Default::default()
    })
    .await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    let bot = start_bot(&discord).await;
    discord.wait_ready().await;

    let before = discord.identify_count();
    discord.invalid_session(false);
    discord
        .wait_until("a new IDENTIFY after op 9", |d| {
            (d.identify_count() > before && d.is_connected()).then_some(())
        })
        .await;
    discord.send_message(channel, alice, "echo c");
    discord
        .wait_for_message(channel, |m| m.content == "echoed c")
        .await;

    let before = discord.identify_count();
    discord.pause_heartbeat_acks();
    discord
        .wait_until("a new IDENTIFY after unanswered heartbeats", |d| {
            (d.identify_count() > before).then_some(())
        })
        .await;
    discord.resume_heartbeat_acks();
    discord.wait_connected().await;
    discord.send_message(channel, alice, "echo d");
    discord
        .wait_for_message(channel, |m| m.content == "echoed d")
        .await;
    assert_eq!(count(&discord, channel, "echoed d"), 1);
    discord.assert_clean();
    bot.abort();
}

#[tokio::test]
async fn without_message_content_the_bot_gets_empty_guild_messages() {
    use support::discord::intents;
    let discord = FakeDiscord::start().await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    let bot = start_bot_with_intents(
        &discord,
        intents::GUILDS | intents::GUILD_MESSAGES | intents::DIRECT_MESSAGES,
    )
    .await;
    discord.wait_ready().await;
    assert_eq!(discord.bot_intents() & intents::MESSAGE_CONTENT, 0);

    // In a guild the content is withheld, so the bot cannot react to "echo 1"...
    discord.send_message(channel, alice, "echo 1");
    // ...while in a DM it arrives.
    let dm = discord.dm_channel(alice);
    discord.send_message(dm, alice, "echo 2");
    discord
        .wait_for_message(dm, |m| m.content == "echoed 2")
        .await;
    discord.send_message(channel, alice, "echo 3");
    discord.send_message(dm, alice, "echo 4");
    discord
        .wait_for_message(dm, |m| m.content == "echoed 4")
        .await;
    let answered_in_guild = discord
        .try_wait_until(Duration::from_millis(300), |d| {
            (count(d, channel, "echoed 1") + count(d, channel, "echoed 3") > 0).then_some(())
        })
        .await;
    assert!(
        answered_in_guild.is_none(),
        "guild content must arrive empty"
    );
    bot.abort();
}

#[tokio::test]
async fn the_global_rate_limit_answers_429_and_rates_are_measured() {
    let limit = 5;
    let discord = FakeDiscord::start_with(support::discord::Options {
        global_rate_limit: Some(limit),
        ..Default::default()
    })
    .await;
    let guild = discord.add_guild("Career Club");
    let channel = serenity::ChannelId::new(discord.add_text_channel(guild, "practice"));
    let http = rest_client(&discord);
    let mut limited = None;
    // Sends until refused: on a starved machine a burst may need more calls than usual to put
    // more than `limit` into one second, so the bound is a deadline, not a number of calls.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::time::Instant::now() < deadline {
        let sent = channel
            .send_message(
                &http,
                serenity::CreateMessage::new()
                    .content("hi")
                    .allowed_mentions(serenity::CreateAllowedMentions::new()),
            )
            .await;
        if sent.is_err() {
            limited = Some(error_code(sent));
            break;
        }
    }
    assert_eq!(
        limited.map(|(status, _)| status),
        Some(429),
        "a burst must meet the global limit"
    );
    let answer = discord
        .calls()
        .into_iter()
        .find(|c| c.status == 429)
        .expect("recorded");
    assert_eq!(answer.response["global"], true);
    assert!(
        answer.response["retry_after"]
            .as_f64()
            .is_some_and(|r| r > 0.0 && r <= 1.0),
        "{}",
        answer.response
    );
    let accepted = discord.max_calls_in_window(Duration::from_secs(1), |c| c.status == 200);
    assert!(
        accepted <= limit,
        "{accepted} calls accepted within one second"
    );
    assert!(
        discord.max_calls_per_second() > limit,
        "the refused call is counted too"
    );
}

#[tokio::test]
async fn world_controls_answer_as_discord_does() {
    let discord = FakeDiscord::start().await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let doomed = discord.add_text_channel(guild, "old-daily");
    let alice = discord.add_user("alice");
    let admin = discord.add_user("admin");
    let managers = discord.add_role(guild, "managers", support::discord::perms::MANAGE_GUILD);
    discord.add_member(guild, alice, &[]);
    discord.add_member(guild, admin, &[managers]);
    let http = rest_client(&discord);
    let mut gateway = RawGateway::identify(&discord, ALL_INTENTS).await;
    gateway.expect("GUILD_CREATE").await;
    let none = serenity::CreateAllowedMentions::new;
    let daily = {
        use serenity::{CommandOptionType as Kind, CreateCommandOption as Opt};
        serenity::CreateCommand::new("daily")
            .description("Daily question")
            .default_member_permissions(serenity::Permissions::MANAGE_GUILD)
            .add_option(
                Opt::new(Kind::SubCommand, "set", "Configure")
                    .add_sub_option(Opt::new(Kind::Channel, "channel", "Where").required(true))
                    .add_sub_option(Opt::new(Kind::String, "time", "HH:MM").required(true))
                    .add_sub_option(Opt::new(Kind::Role, "role", "Who to ping")),
            )
    };
    serenity::Command::set_global_commands(&http, vec![interview_command(), daily])
        .await
        .expect("register");
    assert!(!discord.command_visible_to(alice, guild, "daily"));
    assert!(discord.command_visible_to(admin, guild, "daily"));
    assert!(discord.command_visible_to(discord.guild_owner(guild), guild, "daily"));
    assert!(discord.command_visible_to(alice, guild, "interview"));

    // Channel and role options arrive resolved.
    let set = discord.slash_command(
        admin,
        channel,
        "daily set",
        json!({"channel": channel, "time": "09:30", "role": managers}),
    );
    let serenity::Interaction::Command(command) = gateway.interaction().await else {
        panic!("not a command")
    };
    assert_eq!(command.id.get(), set);
    let serenity::ResolvedValue::SubCommand(sub) = &command.data.options()[0].value else {
        panic!("subcommand expected")
    };
    assert!(sub.iter().any(|o| matches!(o.value,
        serenity::ResolvedValue::Channel(c) if c.id.get() == channel)));
    assert!(sub.iter().any(|o| matches!(o.value,
        serenity::ResolvedValue::Role(r) if r.id.get() == managers)));
    let perms = command
        .member
        .as_ref()
        .and_then(|m| m.permissions)
        .expect("member permissions");
    assert!(perms.manage_guild());

    // Lost permission, then a deleted channel.
    let post = |c: u64| {
        serenity::ChannelId::new(c).send_message(
            &http,
            serenity::CreateMessage::new()
                .content("today's question")
                .allowed_mentions(none()),
        )
    };
    discord.set_send_allowed(channel, false);
    assert_eq!(error_code(post(channel).await), (403, 50013));
    discord.set_send_allowed(channel, true);
    let posted = post(channel).await.expect("allowed again");
    discord.delete_channel(doomed);
    let serenity::Event::ChannelDelete(deleted) = gateway.expect("CHANNEL_DELETE").await else {
        unreachable!()
    };
    assert_eq!(deleted.channel.id.get(), doomed);
    assert_eq!(error_code(post(doomed).await), (404, 10003));

    // An edit delivered before its create.
    let early = discord.prepare_message(channel, alice, "first draft", None);
    discord.edit_message(early, "final answer");
    let serenity::Event::MessageUpdate(update) = gateway.expect("MESSAGE_UPDATE").await else {
        unreachable!()
    };
    assert_eq!(update.id.get(), early);
    discord.deliver_message(early);
    let serenity::Event::MessageCreate(create) = gateway.expect("MESSAGE_CREATE").await else {
        unreachable!()
    };
    assert_eq!(
        (create.message.id.get(), create.message.content.as_str()),
        (early, "final answer")
    );

    // A deferred reply counts as a reply once it is filled in.
    let asked = discord.slash_command(alice, channel, "interview start", json!({}));
    let view = discord.interaction(asked).expect("dispatched");
    let (id, token) = (serenity::InteractionId::new(asked), view.token);
    let defer = serenity::CreateInteractionResponse::Defer(
        serenity::CreateInteractionResponseMessage::new(),
    );
    http.create_interaction_response(id, &token, &defer, vec![])
        .await
        .expect("defer");
    assert!(
        discord.replies_to(asked)[0].content.is_empty(),
        "deferred: still loading"
    );
    let fill = serenity::EditInteractionResponse::new()
        .content("Here is your question")
        .allowed_mentions(none());
    http.edit_original_interaction_response(&token, &fill, vec![])
        .await
        .expect("edit");
    assert_eq!(
        discord.wait_for_reply(asked).await.content,
        "Here is your question"
    );

    // Reactions cleared; a command edited in place keeps its id.
    let message = serenity::ChannelId::new(channel)
        .message(&http, posted.id)
        .await
        .expect("get message");
    message.react(&http, '👍').await.expect("react");
    message
        .delete_reactions(&http)
        .await
        .expect("clear reactions");
    assert!(discord
        .message(posted.id.get())
        .expect("stored")
        .reactions
        .is_empty());
    let before = discord.command("daily").expect("registered")["id"].clone();
    let command_id =
        serenity::CommandId::new(before.as_str().and_then(|s| s.parse().ok()).expect("id"));
    serenity::Command::edit_global_command(
        &http,
        command_id,
        serenity::CreateCommand::new("daily").description("Daily LP question"),
    )
    .await
    .expect("edit command");
    let after = discord.command("daily").expect("still registered");
    assert_eq!(
        (after["id"].clone(), after["description"].as_str()),
        (before, Some("Daily LP question"))
    );
    discord.assert_clean();
}

#[tokio::test]
async fn resume_replays_what_was_missed_in_order_and_unknown_sessions_are_invalid() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message as Ws;
    let discord = FakeDiscord::start().await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    let mut first = RawGateway::identify(&discord, ALL_INTENTS).await;
    let ready = loop {
        let frame = first.frame().await;
        if frame["t"] == "READY" {
            break frame;
        }
    };
    let session = ready["d"]["session_id"]
        .as_str()
        .expect("session id")
        .to_string();
    first.expect("GUILD_CREATE").await;
    let seen = discord.send_message(channel, alice, "seen");
    first.expect("MESSAGE_CREATE").await;
    let last_seq = discord.seq_of("MESSAGE_CREATE", seen).expect("seq");

    // Closed with 4000 (resumable); two messages are sent while the bot is away.
    discord.disconnect();
    let closed = loop {
        if let Some(Ok(Ws::Close(frame))) = futures_util::StreamExt::next(&mut first.ws).await {
            break frame;
        }
    };
    assert_eq!(closed.map(|f| u16::from(f.code)), Some(4000));
    let missed = [
        discord.send_message(channel, alice, "missed 1"),
        discord.send_message(channel, alice, "missed 2"),
    ];

    let url = format!("{}/?v=10", discord.gateway_url());
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("reconnect");
    let mut second = RawGateway { ws };
    assert_eq!(second.frame().await["op"], 10);
    let resume =
        json!({"op": 6, "d": {"token": discord.token(), "session_id": session, "seq": last_seq}});
    second
        .ws
        .send(Ws::Text(resume.to_string()))
        .await
        .expect("send resume");
    let mut replayed = Vec::new();
    let resumed_seq = loop {
        let frame = second.frame().await;
        match frame["t"].as_str() {
            Some("MESSAGE_CREATE") => replayed.push((
                frame["s"].as_u64(),
                frame["d"]["id"].as_str().map(str::to_string),
            )),
            Some("RESUMED") => break frame["s"].as_u64(),
            _ => panic!("unexpected frame while resuming: {frame}"),
        }
    };
    let expected: Vec<_> = missed
        .iter()
        .enumerate()
        .map(|(i, id)| (Some(last_seq + 1 + i as u64), Some(id.to_string())))
        .collect();
    assert_eq!(
        replayed, expected,
        "exactly the missed dispatches, in order"
    );
    assert_eq!(resumed_seq, Some(last_seq + 3));
    assert_eq!(discord.resume_count(), 1);

    // A session the gateway does not know cannot be resumed: op 9, not resumable.
    let answer = try_resume(&discord, "nope").await;
    assert_eq!(
        (answer["op"].clone(), answer["d"].clone()),
        (json!(9), json!(false))
    );
}

#[test]
fn mentions_and_limits_are_recognised_precisely() {
    use support::discord::rules::{mentioned_role_ids, pings_in, validate_message};
    assert_eq!(
        pings_in("hi <@12> <@!12> <@&34> @here"),
        vec![Ping::Here, Ping::User(12), Ping::Role(34)]
    );
    assert!(pings_in("<@abc> <@> <@&> email@everyone.example").contains(&Ping::Everyone));
    assert_eq!(pings_in("<@abc> <@> <@&> <#56> plain text"), vec![]);
    assert_eq!(mentioned_role_ids("<@&1><@&1><@&2>"), vec![1, 2]);
    // Characters, not bytes: 2,000 emoji fit, 2,001 do not.
    assert!(validate_message(&json!({"content": "é".repeat(2000)})).is_empty());
    let over = validate_message(&json!({"content": "😀".repeat(2001)}));
    assert_eq!(over.len(), 1);
    assert_eq!(over[0].path, "content");
    let fields: Vec<_> = (0..25)
        .map(|i| json!({"name": format!("n{i}"), "value": "v"}))
        .collect();
    assert!(validate_message(&json!({"embeds": [{"title": "t", "fields": fields}]})).is_empty());
}

#[tokio::test]
async fn only_the_newest_sessions_are_kept_for_resuming() {
    let discord = FakeDiscord::start().await;
    let mut sessions = Vec::new();
    for _ in 0..9 {
        let mut gateway = RawGateway::identify(&discord, ALL_INTENTS).await;
        let ready = loop {
            let frame = gateway.frame().await;
            if frame["t"] == "READY" {
                break frame;
            }
        };
        sessions.push(ready["d"]["session_id"].as_str().expect("id").to_string());
    }
    let oldest = try_resume(&discord, &sessions[0]).await;
    assert_eq!(
        (oldest["op"].clone(), oldest["d"].clone()),
        (json!(9), json!(false))
    );
    let newest = try_resume(&discord, &sessions[8]).await;
    assert_eq!(newest["t"], "RESUMED", "{newest}");
    assert_eq!(discord.identify_count(), 9);
}

/// Opens a new gateway connection and tries to RESUME `session`; returns the first answer.
async fn try_resume(discord: &FakeDiscord, session: &str) -> serde_json::Value {
    use futures_util::SinkExt;
    let url = format!("{}/?v=10", discord.gateway_url());
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let mut gateway = RawGateway { ws };
    gateway.frame().await;
    let d = json!({"token": discord.token(), "session_id": session, "seq": 1});
    let frame = tokio_tungstenite::tungstenite::Message::Text(json!({"op": 6, "d": d}).to_string());
    gateway.ws.send(frame).await.expect("send resume");
    gateway.frame().await
}

#[tokio::test]
#[should_panic(expected = "is disabled")]
async fn clicking_a_disabled_button_is_impossible() {
    let discord = FakeDiscord::start().await;
    let guild = discord.add_guild("Career Club");
    let channel = discord.add_text_channel(guild, "practice");
    let alice = discord.add_user("alice");
    let http = rest_client(&discord);
    let _gateway = RawGateway::identify(&discord, ALL_INTENTS).await;
    discord.wait_ready().await;
    let button = serenity::CreateButton::new("join")
        .label("Join")
        .disabled(true);
    let lobby = serenity::ChannelId::new(channel)
        .send_message(
            &http,
            serenity::CreateMessage::new()
                .content("Lobby (started)")
                .components(vec![serenity::CreateActionRow::Buttons(vec![button])])
                .allowed_mentions(serenity::CreateAllowedMentions::new()),
        )
        .await
        .expect("post lobby");
    discord.click_button(alice, lobby.id.get(), "join");
}
