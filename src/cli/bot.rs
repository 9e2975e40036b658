//! `bar-raiser bot`: runs the Discord bot until Ctrl-C or SIGTERM.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bar_raiser::clock::SystemClock;
use bar_raiser::config::{ProcessEnv, ENV_API_BASE};
use bar_raiser::discord::{self, BotOptions};

use super::common;

#[derive(Debug, clap::Args)]
pub struct BotArgs {}

pub fn run(config: Option<&Path>, _args: BotArgs) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,serenity=warn".into()),
        )
        .init();
    let config = common::config(config)?;
    let token = config.discord_token(&ProcessEnv)?;
    let bank = Arc::new(common::bank(&config)?);
    let store = Arc::new(common::store(&config)?);
    let api_base = std::env::var(ENV_API_BASE).ok().filter(|b| !b.is_empty());
    let options = BotOptions {
        config,
        token,
        api_base,
        store,
        bank,
        clock: Arc::new(SystemClock),
        tick_every: Duration::from_secs(30),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(discord::run(options, shutdown_signal()))?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
