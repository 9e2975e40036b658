//! What several commands share: loading the config, the bank and the store.

use std::path::Path;

use anyhow::Context as _;
use bar_raiser::bank::Bank;
use bar_raiser::config::{Config, ProcessEnv};
use bar_raiser::store::SledStore;

pub fn config(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(Config::load(path, &ProcessEnv)?)
}

/// The configured question folder when it exists, else the built-in bank.
pub fn bank(config: &Config) -> anyhow::Result<Bank> {
    let dir = &config.questions_dir;
    if dir.is_dir() {
        Bank::load_dir(dir)
            .with_context(|| format!("cannot load the question bank {}", dir.display()))
    } else {
        Ok(Bank::builtin())
    }
}

pub fn store(config: &Config) -> anyhow::Result<SledStore> {
    Ok(SledStore::open(&config.data_dir)?)
}

/// The local user's key for terminal commands: `$USER`, else "me".
pub fn local_user() -> bar_raiser::store::UserKey {
    let name = std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "me".to_string());
    bar_raiser::store::UserKey::local(&name)
}
