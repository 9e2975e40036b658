//! Starts the real bar-raiser bot in-process against a [`FakeDiscord`], with a sled store in a
//! directory the test owns and a manual clock the test moves.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bar_raiser::bank::Bank;
use bar_raiser::clock::ManualClock;
use bar_raiser::config::Config;
use bar_raiser::discord::{self, BotOptions};
use bar_raiser::store::{SledStore, Store};

use super::discord::FakeDiscord;

/// A running bot. `stop()` shuts it down gracefully and waits until the store is released.
pub struct TestBot {
    pub clock: Arc<ManualClock>,
    pub data_dir: PathBuf,
    /// The store the bot runs on, to watch a session's state while it runs (released by
    /// `stop()`/`kill()`, which consume the bot).
    pub store: Arc<SledStore>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// How long a test waits for something the bot stores: as long as the emulator waits for a
/// call (its default `wait_timeout`), since every write is a flushed one and a fresh CI
/// machine's disk, shared with parallel test binaries, can take seconds over a few of them.
pub const STORED_WITHIN: Duration = Duration::from_secs(30);

/// How long a graceful stop may take (shards closed, store flushed) before the test fails
/// saying so, instead of failing later on a store still locked by the bot.
const STOPPED_WITHIN: Duration = Duration::from_secs(60);

/// 2026-11-29 10:00 UTC, the instant every test starts at.
pub fn start_instant() -> jiff::Timestamp {
    "2026-11-29T10:00:00Z".parse().expect("valid instant")
}

/// The config the tests run with: defaults, the data dir given, registration in one guild.
pub fn test_config(data_dir: &Path) -> Config {
    Config {
        data_dir: data_dir.to_path_buf(),
        ..Config::default()
    }
}

impl TestBot {
    /// Starts the bot and waits until it has identified and registered its commands.
    pub async fn start(discord: &FakeDiscord, data_dir: &Path, clock: Arc<ManualClock>) -> Self {
        Self::start_with(discord, test_config(data_dir), clock).await
    }

    pub async fn start_with(
        discord: &FakeDiscord,
        config: Config,
        clock: Arc<ManualClock>,
    ) -> Self {
        let data_dir = config.data_dir.clone();
        let store = open_store(&data_dir).await;
        let options = BotOptions {
            config,
            token: discord.token(),
            api_base: Some(discord.api_base()),
            store: store.clone(),
            bank: Arc::new(Bank::builtin()),
            clock: clock.clone(),
            tick_every: Duration::from_millis(100),
        };
        // Counted before the bot starts: it may register before this task looks again.
        let registrations = |d: &FakeDiscord| {
            d.calls_matching(|c| c.method == "PUT" && c.path.ends_with("/commands"))
                .len()
        };
        let before = registrations(discord);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(err) = discord::run(options, shutdown).await {
                eprintln!("bot stopped with an error: {err}");
            }
        });
        discord
            .wait_until("the bot registered its commands", |d| {
                (registrations(d) > before).then_some(())
            })
            .await;
        TestBot {
            clock,
            data_dir,
            store,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// The stored state of `user`'s solo session (None when there is none).
    pub fn session(&self, user: u64) -> Option<serde_json::Value> {
        self.store
            .get_session(&format!("solo:discord:{user}"))
            .expect("read the session")
            .map(|record| record.state)
    }

    /// The texts collected in `user`'s stored session, in order.
    pub fn collected(&self, user: u64) -> Vec<String> {
        self.session(user)
            .and_then(|state| state["session"]["messages"].as_object().cloned())
            .map(|messages| {
                let mut by_id: Vec<(u64, String)> = messages
                    .iter()
                    .map(|(id, text)| {
                        (
                            id.parse().expect("message ids are numbers"),
                            text.as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                by_id.sort();
                by_id.into_iter().map(|(_, text)| text).collect()
            })
            .unwrap_or_default()
    }

    /// Waits until `check` holds for `user`'s stored session state (None: no session). The bot
    /// persists before it replies, so this is the point where an event has been applied.
    pub async fn wait_session(
        &self,
        user: u64,
        what: &str,
        check: impl Fn(Option<&serde_json::Value>) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + STORED_WITHIN;
        loop {
            let state = self.session(user);
            if check(state.as_ref()) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for the stored session: {what}; it is {state:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Graceful stop: shards closed, store flushed and released.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let stopped = tokio::time::timeout(STOPPED_WITHIN, task).await;
            assert!(
                stopped.is_ok(),
                "the bot did not stop within {STOPPED_WITHIN:?} of the shutdown signal"
            );
        }
    }

    /// Like a crash: the task is aborted without a graceful shutdown.
    pub async fn kill(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

/// Opens the sled store, retrying while a previous bot in this process still releases it.
pub async fn open_store(dir: &Path) -> Arc<SledStore> {
    let mut last_error = None;
    for _ in 0..100 {
        match SledStore::open(dir) {
            Ok(store) => return Arc::new(store),
            Err(err) => last_error = Some(err),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot open the store at {}: {last_error:?}", dir.display());
}
