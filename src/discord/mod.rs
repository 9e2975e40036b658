//! The Discord adapter: serenity + poise. It only translates: Discord events become interview
//! events, and the core's effects become REST calls. The interview logic lives in
//! [`crate::interview`], so the terminal and the bot behave the same.
//!
//! | file | what |
//! |---|---|
//! | `data.rs` | the shared [`Data`], the [`Error`] type and poise's `Context` |
//! | `commands/` | one file per slash command group |
//! | `daily/` | the daily question: one scheduler for every server, posts, answers, streaks |
//! | `solo.rs` | solo interviews: routing messages and clicks, carrying out effects |
//! | `open_sessions.rs` | which solo interviews are open, compactly (their state stays stored) |
//! | `group.rs` | group mock interviews: lobby, rounds in a thread, votes, ratings, scoreboard |
//! | `render.rs` | feedback, questions and hints as embeds that fit Discord's limits |
//! | `limits.rs` | Discord's size limits, trimming and splitting |
//! | `options.rs` | slash command options checked against their registration |
//! | `throttle.rs` | per-session acknowledgement throttle (rate limits hold under load) |
//! | `pace.rs` | the global REST budget: replies paced, acknowledgements in spare slots |
//! | `retry.rs` | what is sent again when Discord did not take it, and why |
//! | `reply.rs` | slash command replies: the deferred response edited (retried), follow-ups |
//! | `rest.rs` | every REST call bound to the global limit (each in a budget slot), and followups |
//! | `chart.rs` | the `/stats` chart image |

mod chart;
mod commands;
mod daily;
mod data;
mod events;
mod group;
pub mod limits;
mod open_sessions;
mod options;
mod pace;
mod receiving;
mod render;
mod reply;
mod rest;
mod retry;
mod solo;
mod throttle;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;

pub use data::{Context, Data, Error};

use crate::bank::Bank;
use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;

/// Everything the bot needs, built by the binary (or a test) and handed in.
pub struct BotOptions {
    pub config: Config,
    pub token: String,
    /// Another Discord API base URL (`DISCORD_API_BASE`), e.g. a loopback emulator in tests.
    pub api_base: Option<String>,
    pub store: Arc<dyn Store>,
    pub bank: Arc<Bank>,
    pub clock: Arc<dyn Clock>,
    /// How often idle sessions and due daily posts are checked against the clock.
    pub tick_every: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("could not connect to Discord: {0}")]
    Client(#[source] serenity::Error),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("daily question: {0}")]
    Daily(String),
}

/// The feedback on an answer as the bot sends it: one list of embeds per Discord message, packed
/// to fit the embed limits. Public so the benchmarks can measure rendering; the bot itself
/// renders through its solo adapter.
pub fn feedback_messages(
    report: &crate::analysis::Report,
    question: Option<&crate::bank::Question>,
) -> Vec<Vec<serenity::CreateEmbed>> {
    render::embeds_per_message(render::feedback_cards(report, question))
}

/// The gateway intents the bot needs. MESSAGE_CONTENT is privileged: without it, answers typed
/// in servers arrive empty and users are pointed to the Answer form or a DM.
pub fn intents() -> serenity::GatewayIntents {
    serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::DIRECT_MESSAGES
        | serenity::GatewayIntents::MESSAGE_CONTENT
}

/// Runs the bot until `shutdown` completes or the connection fails for good. On the way out the
/// shards are closed and the store is flushed.
pub async fn run(
    options: BotOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), BotError> {
    let BotOptions {
        config,
        token,
        api_base,
        store,
        bank,
        clock,
        tick_every,
    } = options;

    let mut http = serenity::HttpBuilder::new(&token);
    if let Some(base) = &api_base {
        // The ratelimiter ignores the proxy, so it must be off for a loopback Discord.
        http = http
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    let http = http.build();

    let data = Arc::new(Data::new(config.clone(), store.clone(), bank, clock));
    let open = data.solo.load_from_store(&*store, &config.interview)?;
    tracing::info!(open, "solo interviews resumed");
    let armed = daily::load(&data).map_err(|e| BotError::Daily(e.to_string()))?;
    tracing::info!(armed, "daily posts scheduled");
    data.group.load_from_store(&*store)?;

    let dev_guild = config.discord.dev_guild_id;
    let setup_data = data.clone();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            on_error: |error| Box::pin(data::on_error(error)),
            command_check: Some(|ctx| Box::pin(options::check(ctx))),
            event_handler: |framework, event| Box::pin(events::handle(framework, event)),
            allowed_mentions: Some(data::no_pings()),
            initialize_owners: false,
            ..Default::default()
        })
        .setup(move |ctx, _ready, framework| {
            Box::pin(async move {
                let commands = &framework.options().commands;
                // Registration counts toward the global limit like any call.
                let pace = &setup_data.outbound;
                match dev_guild {
                    Some(guild) => {
                        pace.paced(|| {
                            poise::builtins::register_in_guild(ctx, commands, guild.into())
                        })
                        .await?
                    }
                    None => {
                        pace.paced(|| poise::builtins::register_globally(ctx, commands))
                            .await?
                    }
                }
                tracing::info!("commands registered; bot ready");
                Ok(setup_data)
            })
        })
        .build();

    let mut client = serenity::ClientBuilder::new_with_http(http, intents())
        .framework(framework)
        .await
        .map_err(BotError::Client)?;

    let ticker = tokio::spawn(solo::idle_ticker(
        data.clone(),
        client.http.clone(),
        tick_every,
    ));
    let scheduler = tokio::spawn(daily::scheduler(
        data.clone(),
        client.http.clone(),
        tick_every,
    ));
    let group_ticker = tokio::spawn(group::ticker(data.clone(), client.http.clone(), tick_every));
    let acknowledgements = tokio::spawn(data.outbound.clone().run_acknowledgements());
    let shard_manager = client.shard_manager.clone();
    let result = tokio::select! {
        result = client.start() => result.map_err(BotError::Client),
        () = shutdown => {
            tracing::info!("shutting down");
            shard_manager.shutdown_all().await;
            Ok(())
        }
    };
    ticker.abort();
    scheduler.abort();
    group_ticker.abort();
    acknowledgements.abort();
    store.flush()?;
    result
}
