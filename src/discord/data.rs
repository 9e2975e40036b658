//! Shared state and the error type of the Discord adapter.

use std::sync::Arc;

use poise::serenity_prelude as serenity;

use super::daily::DailyState;
use super::group::GroupRegistry;
use super::open_sessions::SoloRegistry;
use super::pace::{Outbound, CALLS_PER_SECOND};
use super::receiving::Receiving;
use super::throttle::Throttle;
use crate::bank::Bank;
use crate::clock::Clock;
use crate::config::Config;
use crate::quota::{Action, Cooldowns};
use crate::store::Store;

/// What every command and event handler can reach.
pub struct Data {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub bank: Arc<Bank>,
    pub clock: Arc<dyn Clock>,
    pub solo: SoloRegistry,
    pub group: GroupRegistry,
    pub acks: Throttle,
    /// Answer messages being stored; a ✅ waits for the older ones (see `receiving.rs`).
    pub receiving: Arc<Receiving>,
    pub daily: DailyState,
    /// The REST budget every call outside interaction callbacks goes through.
    pub outbound: Arc<Outbound>,
    /// When each person last used each work-starting command.
    pub cooldowns: std::sync::Mutex<Cooldowns>,
}

impl Data {
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        bank: Arc<Bank>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            bank,
            clock,
            solo: SoloRegistry::default(),
            group: GroupRegistry::default(),
            acks: Throttle::new(std::time::Duration::from_secs(1)),
            receiving: Arc::default(),
            daily: DailyState::default(),
            outbound: Arc::new(Outbound::new(CALLS_PER_SECOND)),
            cooldowns: std::sync::Mutex::new(Cooldowns::new(config.cooldowns.settings())),
            config,
        }
    }

    /// Lets `user` use `action` now, or refuses with how long to wait (a user error, shown
    /// ephemerally). Time comes from the injected clock.
    pub fn cooldown(&self, user: u64, action: Action) -> Result<(), Error> {
        let now = self.clock.now();
        self.cooldowns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .try_start(user, action, now)
            .map_err(|wait| Error::user(wait.to_string()))
    }
}

/// Errors of commands and handlers. `User` errors are shown to the person; the rest are logged
/// and the person gets a short apology.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    User(String),
    #[error("Discord: {0}")]
    Discord(Box<serenity::Error>),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<serenity::Error> for Error {
    fn from(err: serenity::Error) -> Self {
        Error::Discord(Box::new(err))
    }
}

impl Error {
    pub fn user(message: impl Into<String>) -> Self {
        Error::User(message.into())
    }
}

pub type Context<'a> = poise::Context<'a, Arc<Data>, Error>;

/// Nothing the bot sends may ping anyone: user text is quoted back verbatim.
pub fn no_pings() -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new()
        .everyone(false)
        .all_users(false)
        .all_roles(false)
        .replied_user(false)
}

/// One place that turns failures into replies: user errors verbatim, the rest logged. Every
/// way a command can fail before or while it runs gets an ephemeral answer, so nobody is left
/// with "The application did not respond".
pub async fn on_error(error: poise::FrameworkError<'_, Arc<Data>, Error>) {
    use poise::FrameworkError as E;
    let (ctx, text) = match error {
        E::Command { error, ctx, .. } => (ctx, failure_text(ctx, &error)),
        E::CommandCheckFailed { error, ctx, .. } => {
            let text = match &error {
                Some(error) => failure_text(ctx, error),
                None => "You can't use this command here.".to_string(),
            };
            (ctx, text)
        }
        E::CommandStructureMismatch {
            ctx, description, ..
        } => {
            tracing::warn!(command = %ctx.command().qualified_name, description, "options do not fit");
            let text = format!(
                "I could not read the options of `/{}` ({description}). {}",
                ctx.command().qualified_name,
                super::options::OUTDATED
            );
            (poise::Context::Application(ctx), text)
        }
        E::ArgumentParse {
            ctx, input, error, ..
        } => {
            let text = match input {
                Some(input) => format!(
                    "I could not read `{}`: {error}.",
                    super::limits::truncate(&input, 100)
                ),
                None => format!("I could not read the options: {error}."),
            };
            (ctx, text)
        }
        E::GuildOnly { ctx, .. } => (
            ctx,
            format!(
                "`/{}` works in a server, not in DMs.",
                ctx.command().qualified_name
            ),
        ),
        E::CommandPanic { ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, "command panicked");
            (ctx, SORRY.to_string())
        }
        other => {
            if let Err(err) = poise::builtins::on_error(other).await {
                tracing::error!("error while handling an error: {err}");
            }
            return;
        }
    };
    let reply = poise::CreateReply::default()
        .content(super::limits::truncate(&text, super::limits::MESSAGE_CHARS))
        .ephemeral(true)
        .allowed_mentions(no_pings());
    if let Err(err) = super::reply::send(ctx, reply).await {
        tracing::warn!("could not send the error reply: {err}");
    }
}

const SORRY: &str = "Something went wrong on my side and I could not finish that. Your answers \
    so far are safe; please try again in a moment.";

/// A user error verbatim; anything else is logged and the person gets a short apology.
fn failure_text(ctx: Context<'_>, error: &Error) -> String {
    match error {
        Error::User(message) => message.clone(),
        other => {
            tracing::error!(command = %ctx.command().qualified_name, "{other}");
            SORRY.to_string()
        }
    }
}
