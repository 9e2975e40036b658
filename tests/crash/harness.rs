//! The process side of the crash campaign: the real `bar-raiser bot` binary started against the
//! loopback Discord, SIGKILLed, its store opened after death; plus what every flow shares (the
//! messages people sent, the ✅ acknowledgement and what it covers, polling, the figures).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bar_raiser::store::SledStore;

use crate::support::discord::FakeDiscord;

/// Sentences of a real story; each answer message is one of them plus a unique tag.
pub const SENTENCES: &[&str] = &[
    "Last spring I was the on-call engineer for the payments API and checkout errors spiked to 8%.",
    "My job was to find the cause and get checkout healthy before the evening peak.",
    "I rolled back the config and traced the spike to a missing timeout on a Redis client.",
    "I wrote a fix with a regression test and shipped it the same afternoon.",
    "Checkout errors dropped from 8% to 0.2% within an hour and we lost no orders.",
    "I told the support team what had happened and what I had changed.",
];

/// One answer message a person sent, as the test remembers it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: u64,
    pub author: u64,
    pub channel: u64,
    /// Unique text in the message (`[tag]`), to find it in stored answers.
    pub tag: String,
    /// Which bot process was running when it was sent.
    pub epoch: usize,
}

impl Sent {
    pub fn marker(&self) -> String {
        format!("[{}]", self.tag)
    }
}

/// Unique tags for answer messages across the whole run.
#[derive(Default)]
pub struct Tags {
    next: usize,
}

impl Tags {
    pub fn next(&mut self, flow: &str, user: u64) -> String {
        self.next += 1;
        format!("{flow}{}m{}", user % 1000, self.next)
    }
}

/// Invariant checks made and broken, for one flow.
#[derive(Default)]
pub struct Checks {
    pub made: usize,
    pub failures: Vec<String>,
}

impl Checks {
    pub fn check(&mut self, holds: bool, what: impl FnOnce() -> String) {
        self.made += 1;
        if !holds {
            self.failures.push(what());
        }
    }
}

/// Whether the bot reacted ✅ to `message` (its acknowledgement that it collected it).
pub fn has_bot_ack(discord: &FakeDiscord, message: u64) -> bool {
    let bot = discord.bot_id();
    discord.message(message).is_some_and(|m| {
        m.reactions
            .iter()
            .any(|(emoji, by)| emoji == "✅" && *by == bot)
    })
}

/// The messages an acknowledgement vouches for: each acknowledged message, and the earlier
/// messages of the same author in the same channel sent to the same process (the reaction of
/// a burst is coalesced onto its newest message).
pub fn acknowledged<'a>(discord: &FakeDiscord, sent: &'a [Sent]) -> BTreeMap<u64, &'a Sent> {
    let mut covered = BTreeMap::new();
    for acked in sent.iter().filter(|s| has_bot_ack(discord, s.id)) {
        for earlier in sent.iter().filter(|s| {
            s.author == acked.author
                && s.channel == acked.channel
                && s.epoch == acked.epoch
                && s.id <= acked.id
        }) {
            covered.insert(earlier.id, earlier);
        }
    }
    covered
}

/// The visible text of every reply to an interaction (original response and followups).
pub fn reply_text(discord: &FakeDiscord, interaction: u64) -> String {
    discord
        .replies_to(interaction)
        .iter()
        .map(|m| m.all_text())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The callback type the bot answered an interaction with, if it did.
pub fn callback_type(discord: &FakeDiscord, interaction: u64) -> Option<u8> {
    discord.interaction(interaction).and_then(|i| i.ack_type)
}

/// Polls `check` every 10 ms until it returns Some or `timeout` passes. Unlike the emulator's
/// waits this never panics: a bot about to be killed may well never answer.
pub async fn poll<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn bot_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_bar-raiser"))
}

/// Starts `bar-raiser bot` in an empty working directory (no config file: the defaults), with
/// its store in `data` and its log appended to `log`.
fn spawn_bot(discord: &FakeDiscord, work: &Path, data: &Path, log: &Path) -> Child {
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("bot log file");
    Command::new(bot_binary())
        .arg("bot")
        .current_dir(work)
        .env("DISCORD_TOKEN", discord.token())
        .env("DISCORD_API_BASE", discord.api_base())
        .env("BAR_RAISER_DATA", data)
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .expect("spawn bar-raiser bot")
}

fn registrations(discord: &FakeDiscord) -> usize {
    discord
        .calls_matching(|c| c.method == "PUT" && c.path.ends_with("/commands") && c.succeeded())
        .len()
}

/// Starts the binary and waits until it has identified and registered its commands.
pub async fn start_bot(discord: &FakeDiscord, work: &Path, data: &Path, log: &Path) -> Child {
    let before = registrations(discord);
    let mut child = spawn_bot(discord, work, data, log);
    let ready = poll(Duration::from_secs(60), || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the bot exited during startup ({status}); its log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        (registrations(discord) > before).then_some(())
    })
    .await;
    assert!(
        ready.is_some(),
        "the bot did not register its commands within 60 s; its log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    child
}

pub fn kill(mut child: Child) {
    child.kill().expect("SIGKILL the bot");
    child.wait().expect("reap the bot");
}

/// A graceful stop: SIGTERM, then the exit status (None when it did not stop within 60 s, in
/// which case it is killed; generous, since the stop flushes the store on a possibly slow disk).
pub async fn terminate(mut child: Child) -> Option<std::process::ExitStatus> {
    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("send SIGTERM");
    assert!(status.success(), "kill -TERM {pid} failed");
    let exit = poll(Duration::from_secs(60), || child.try_wait().ok().flatten()).await;
    if exit.is_none() {
        kill(child);
    }
    exit
}

/// Opens the store the dead bot left, retrying briefly while the kernel releases its lock.
pub fn open_store(data: &Path) -> SledStore {
    let mut last = None;
    for _ in 0..100 {
        match SledStore::open(data) {
            Ok(store) => return store,
            Err(err) => last = Some(err),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the store after a kill does not open: {last:?}");
}

/// Which of several commands to the same thing (a server's daily settings, one person's vote
/// in one round) may have been applied last. Discord does not order interactions, and the bot
/// handles them concurrently, so sending order alone says nothing; but a command sent after
/// another was confirmed was applied after it. `confirmed[i]`: command i was confirmed;
/// `confirmed_at_send[i]`: the commands already confirmed when command i was sent.
pub fn may_be_last(confirmed: &[bool], confirmed_at_send: &[Vec<usize>]) -> Vec<usize> {
    (0..confirmed.len())
        .filter(|&x| {
            !(0..confirmed.len()).any(|y| confirmed[y] && confirmed_at_send[y].contains(&x))
        })
        .collect()
}
