//! Load run: the real bot, as a child process (`target/release/bar-raiser bot`), against the
//! loopback Discord emulator from `tests/support`, driven by many simulated people at once.
//!
//! ```text
//! cargo build --release && cargo run --release --example load -- \
//!     [--users 1000] [--rate 200] [--open-sessions 10000] [--json PATH]
//! ```
//!
//! Three phases:
//! 1. memory and startup: the bot starts on an empty store and on one holding
//!    `--open-sessions` in-progress solo interviews (it loads them all at startup); the
//!    difference of resident memory, divided by the count, is the memory per open session;
//! 2. the run: `--users` people each go through a whole solo interview in a private thread
//!    (`/interview start`, 3–6 answer messages, `done`, 1–2 messages answering the follow-up,
//!    the Done button, then Cancel on the second follow-up), and `--groups` group sessions
//!    (lobby, joins, rounds with answers, Done, votes or panel ratings, Next, scoreboard; see
//!    `load_support/group.rs`), all interleaved, with gateway events sent at most `--rate` a
//!    second;
//! 3. the figures: dispatch → the bot's first REST call for it (from the emulator's clock),
//!    acknowledgements within 3 s, errors, REST calls per second, peak memory, store size.
//!
//! 4. daily: `--daily-servers` servers each run `/daily set` for the same minute; every post's
//!    delay after that minute and the REST rate meanwhile.
//!
//! The bot runs in its own process so its memory is its own; the emulator and the driver share
//! this one (and, on the development machine, the same 2 cores as the bot).

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "load_support/group.rs"]
mod group;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bar_raiser::bank::Bank;
use bar_raiser::config::InterviewConfig;
use bar_raiser::interview::solo::{Context as CoreContext, Event, SoloSession};
use bar_raiser::store::{SessionRecord, SledOptions, SledStore, Store, UserKey};
use clap::Parser;
use serde_json::{json, Value};
use support::discord::{FakeDiscord, Options, RecordedCall};

#[derive(Debug, Parser)]
#[command(about = "Load run of the bar-raiser bot against the loopback Discord")]
struct Args {
    /// People each running one whole solo interview.
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// Gateway events sent per second, at most.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Group sessions of 4 people and 2 rounds, driven among the solo people at the same
    /// event rate (every other one hot seat).
    #[arg(long, default_value_t = 50)]
    groups: usize,
    /// Servers with a daily post due in the same minute (0: skip).
    #[arg(long, default_value_t = 1000)]
    daily_servers: usize,
    /// In-progress sessions stored before startup, for memory per open session (0: skip).
    #[arg(long, default_value_t = 10_000)]
    open_sessions: usize,
    /// Skip the interview run (memory and startup only).
    #[arg(long)]
    no_run: bool,
    /// Write the results here as JSON as well.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The bot binary (default: target/release/bar-raiser, built first when run by cargo).
    #[arg(long)]
    bot: Option<PathBuf>,
    /// Give up on a person who waited this long for the bot.
    #[arg(long, default_value_t = 600)]
    wait_secs: u64,
}

const PEOPLE_PER_SERVER: usize = 100;

fn main() -> Result<(), String> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> Result<(), String> {
    let bot = bot_binary(&args)?;
    let mut report = Report::default();
    report.put("machine", machine());
    report.put(
        "command",
        json!(std::env::args().collect::<Vec<_>>().join(" ")),
    );

    // Phase 1: startup and memory, empty store vs. open sessions.
    let empty = startup_probe(&bot, 0).await?;
    report.put("startup_empty", empty.json());
    if args.open_sessions > 0 {
        let full = startup_probe(&bot, args.open_sessions).await?;
        let per_session =
            (full.rss_kb as f64 - empty.rss_kb as f64) * 1024.0 / args.open_sessions as f64;
        report.put("startup_with_open_sessions", full.json());
        report.put("open_sessions", json!(args.open_sessions));
        report.put("rss_bytes_per_open_session", json!(per_session.round()));
    }

    // Phase 2: the interview run.
    if !args.no_run {
        let figures = interview_run(&bot, &args).await?;
        report.put("run", figures);
    }
    if args.daily_servers > 0 {
        let figures = daily_run(&bot, args.daily_servers).await?;
        report.put("daily", figures);
    }

    report.put("load_average_at_end", json!(load_average()));
    print_table(&report.0);
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&Value::Object(report.0.clone()))
            .map_err(|e| format!("json: {e}"))?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("\nJSON written to {}", path.display());
    }
    Ok(())
}

#[derive(Default)]
struct Report(serde_json::Map<String, Value>);

impl Report {
    fn put(&mut self, key: &str, value: Value) {
        self.0.insert(key.to_string(), value);
    }
}

// ----- the bot process -------------------------------------------------------------------------

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bot binary; when run by cargo, `cargo build --release --bin bar-raiser` first so the
/// binary matches the sources.
fn bot_binary(args: &Args) -> Result<PathBuf, String> {
    if let Some(path) = &args.bot {
        return Ok(path.clone());
    }
    if let Ok(cargo) = std::env::var("CARGO") {
        let status = Command::new(cargo)
            .args(["build", "--release", "--quiet", "--bin", "bar-raiser"])
            .current_dir(manifest_dir())
            .status()
            .map_err(|e| format!("cargo build: {e}"))?;
        if !status.success() {
            return Err("cargo build --release --bin bar-raiser failed".into());
        }
    }
    let path = manifest_dir().join("target/release/bar-raiser");
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: run `cargo build --release` first",
            path.display()
        ))
    }
}

struct BotProcess {
    child: Child,
    spawned: Instant,
    log: Arc<Mutex<Vec<String>>>,
}

impl BotProcess {
    fn spawn(bin: &Path, discord: &FakeDiscord, data_dir: &Path) -> Result<Self, String> {
        let spawned = Instant::now();
        let mut child = Command::new(bin)
            .arg("bot")
            .current_dir(manifest_dir())
            .env("DISCORD_TOKEN", discord.token())
            .env("DISCORD_API_BASE", discord.api_base())
            .env("BAR_RAISER_DATA", data_dir)
            .env("RUST_LOG", "warn,serenity=error,poise=error")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(mut log) = log.lock() {
                        log.push(line);
                    }
                }
            });
        }
        Ok(Self {
            child,
            spawned,
            log,
        })
    }

    /// (VmRSS, VmHWM) in kB.
    fn memory_kb(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Log lines at WARN or ERROR.
    fn problems(&self) -> Vec<String> {
        self.log
            .lock()
            .map(|log| {
                log.iter()
                    .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// SIGTERM (graceful: shards closed, store flushed), then wait.
    async fn stop(mut self) -> Result<(), String> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..200 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        Err("the bot did not stop within 10 s of SIGTERM".into())
    }
}

async fn wait_registered(discord: &FakeDiscord) -> RecordedCall {
    discord
        .wait_for_call(|c| c.method == "PUT" && c.path.ends_with("/commands"))
        .await
}

fn emulator_options() -> Options {
    Options {
        wait_timeout: Duration::from_secs(120),
        // The bot's payloads are still checked; skipping serenity's parse of every dispatch
        // keeps the driver's CPU for the bot (both share 2 cores).
        validate_dispatches: false,
        resume_history: 100_000,
        ..Options::default()
    }
}

// ----- phase 1: startup and memory --------------------------------------------------------------

struct Startup {
    sessions: usize,
    ready_ms: f64,
    registered_ms: f64,
    rss_kb: u64,
    hwm_kb: u64,
}

impl Startup {
    fn json(&self) -> Value {
        json!({
            "stored_sessions": self.sessions,
            "ms_to_ready_dispatched": round1(self.ready_ms),
            "ms_to_ready_handled": round1(self.registered_ms),
            "rss_kb": self.rss_kb,
            "peak_rss_kb": self.hwm_kb,
        })
    }
}

async fn startup_probe(bot: &Path, sessions: usize) -> Result<Startup, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    if sessions > 0 {
        store_open_sessions(dir.path(), sessions)?;
    }
    let discord = FakeDiscord::start_with(emulator_options()).await;
    let guild = discord.add_guild("Memory");
    discord.add_text_channel(guild, "practice");
    let process = BotProcess::spawn(bot, &discord, dir.path())?;
    let registered = wait_registered(&discord).await;
    let ready_at = discord
        .dispatches()
        .iter()
        .find(|d| d.event == "READY")
        .map(|d| d.at)
        .unwrap_or(registered.at);
    // Let allocations settle (the session load, the first heartbeat).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (rss_kb, hwm_kb) = process.memory_kb();
    let spawned = process.spawned;
    process.stop().await?;
    Ok(Startup {
        sessions,
        ready_ms: ms(ready_at.saturating_duration_since(spawned)),
        registered_ms: ms(registered.at.saturating_duration_since(spawned)),
        rss_kb,
        hwm_kb,
    })
}

/// Writes `count` in-progress solo sessions (3 answer messages each), as the bot stores them.
fn store_open_sessions(dir: &Path, count: usize) -> Result<(), String> {
    let options = SledOptions {
        flush_every_write: false,
        ..SledOptions::default()
    };
    let store = SledStore::open_with(dir, &options).map_err(|e| e.to_string())?;
    let bank = Bank::builtin();
    let config = InterviewConfig::default();
    let now = jiff::Timestamp::now();
    let ctx = CoreContext {
        bank: &bank,
        config: &config,
        now,
    };
    let questions = bank.questions();
    for n in 0..count {
        let user = 5_000_000_000 + n as u64;
        let question = questions[n % questions.len()].id.clone();
        let mut session = SoloSession::start(
            format!("solo-{user}-{}", now.as_millisecond()),
            UserKey::discord(user).0,
            question,
            now,
        );
        for (k, line) in ANSWER_LINES.iter().take(3).enumerate() {
            let event = Event::Message {
                id: user * 10 + k as u64,
                text: (*line).to_string(),
            };
            session = session
                .apply(event, &ctx)
                .session
                .ok_or("a message closed the session")?;
        }
        let state = json!({
            "session": serde_json::to_value(&session).map_err(|e| e.to_string())?,
            "channel_id": 7_000_000_000u64 + n as u64,
            "guild_id": 1u64,
            "thread": true,
            "lp": null,
            "content_warned": false,
        });
        store
            .put_session(&SessionRecord {
                key: format!("solo:discord:{user}"),
                owner: UserKey::discord(user),
                participants: Vec::new(),
                state,
                updated_at: now,
            })
            .map_err(|e| e.to_string())?;
    }
    store.close().map_err(|e| e.to_string())
}

// ----- phase 2: the interview run --------------------------------------------------------------

const ANSWER_LINES: [&str; 8] = [
    "ok so last year I ran support for a payroll product and refunds were taking two weeks",
    "my goal was to get refunds under three days before the holiday peak",
    "I rewrote the refund runbook and I automated the bank file upload with Python",
    "I also paired with the finance lead every morning to clear the exceptions queue",
    "refund time fell from 14 days to 2 days and complaints dropped by 40%",
    "we kept the process after the peak and it now handles 3x the volume",
    "the hardest part was convincing finance, so I showed them a week of data first",
    "I would do the data part earlier next time, I lost a week on it",
];

/// Spaces events evenly at `rate` a second across all simulated people.
struct EventGate {
    interval: Duration,
    next: Mutex<tokio::time::Instant>,
}

impl EventGate {
    fn new(rate: u32) -> Self {
        Self {
            interval: Duration::from_secs(1) / rate.max(1),
            next: Mutex::new(tokio::time::Instant::now()),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// What the driver learns from the bot's calls: each person's thread, the messages carrying
/// their interview buttons, and whose thread was archived.
#[derive(Default)]
struct Index {
    thread_of: HashMap<u64, u64>,
    user_of_thread: HashMap<u64, u64>,
    cards: HashMap<u64, Vec<u64>>,
    closed: HashSet<u64>,
    group: group::GroupIndex,
}

impl Index {
    fn learn(&mut self, call: &RecordedCall) {
        self.group.learn(call);
        if !call.succeeded() {
            return;
        }
        if call.method == "PUT" && call.route == "/channels/{id}/thread-members/{id}" {
            if let (Some(thread), Some(user)) =
                (call.id_after("channels"), call.id_after("thread-members"))
            {
                self.thread_of.insert(user, thread);
                self.user_of_thread.insert(thread, user);
            }
        } else if call.method == "POST"
            && (call.route == "/channels/{id}/messages" || call.route.starts_with("/webhooks/"))
        {
            // A card with Done buttons: a channel message, or a followup of a Done click.
            let Some(owner) = done_button_owner(&call.body) else {
                return;
            };
            if let Some(id) = call.response["id"].as_str().and_then(|s| s.parse().ok()) {
                self.cards.entry(owner).or_default().push(id);
            }
        } else if call.method == "PATCH"
            && call.route == "/channels/{id}"
            && call.body["archived"] == json!(true)
        {
            if let Some(user) = call
                .id_after("channels")
                .and_then(|t| self.user_of_thread.get(&t))
            {
                self.closed.insert(*user);
            }
        }
    }
}

/// The owner named by a `solo:done:<owner>` button in a message body.
fn done_button_owner(body: &Value) -> Option<u64> {
    body["components"].as_array()?.iter().find_map(|row| {
        row["components"].as_array()?.iter().find_map(|c| {
            c["custom_id"]
                .as_str()?
                .strip_prefix("solo:done:")?
                .parse()
                .ok()
        })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `/interview start` (an interaction).
    Start,
    /// An answer message.
    Answer,
    /// A message that is just "done".
    DoneMessage,
    /// A button click (an interaction).
    Click,
    /// `/group start` (an interaction).
    GroupStart,
    /// A group button: Join, Begin, Done, Next (an interaction).
    GroupClick,
    /// A best-answer vote in a group's select menu (an interaction).
    GroupVote,
    /// The panel's "Rate the answer" button, answered with the rating form (an interaction).
    GroupRateOpen,
    /// The rating form submitted (an interaction).
    GroupRateSubmit,
    /// An answer message in a group thread.
    GroupAnswer,
}

const KINDS: [Kind; 10] = [
    Kind::Start,
    Kind::Answer,
    Kind::DoneMessage,
    Kind::Click,
    Kind::GroupStart,
    Kind::GroupClick,
    Kind::GroupVote,
    Kind::GroupRateOpen,
    Kind::GroupRateSubmit,
    Kind::GroupAnswer,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Start => "slash command",
            Kind::Answer => "answer message",
            Kind::DoneMessage => "\"done\" message",
            Kind::Click => "button click",
            Kind::GroupStart => "group: slash command",
            Kind::GroupClick => "group: button click",
            Kind::GroupVote => "group: vote (select menu)",
            Kind::GroupRateOpen => "group: rating button (answered with a form)",
            Kind::GroupRateSubmit => "group: rating form submitted",
            Kind::GroupAnswer => "group: answer message",
        }
    }

    /// Interactions: the first REST call for them is their callback.
    fn is_interaction(self) -> bool {
        !matches!(self, Kind::Answer | Kind::DoneMessage | Kind::GroupAnswer)
    }

    fn is_group(self) -> bool {
        matches!(
            self,
            Kind::GroupStart
                | Kind::GroupClick
                | Kind::GroupVote
                | Kind::GroupRateOpen
                | Kind::GroupRateSubmit
                | Kind::GroupAnswer
        )
    }

    /// Answer messages: the first REST call for them is the ✅ reaction.
    fn is_answer(self) -> bool {
        matches!(self, Kind::Answer | Kind::GroupAnswer)
    }
}

#[derive(Debug, Clone, Copy)]
struct Sent {
    kind: Kind,
    id: u64,
    channel: u64,
    /// Who caused it.
    user: u64,
}

struct Driver {
    discord: Arc<FakeDiscord>,
    gate: EventGate,
    index: Mutex<Index>,
    sent: Mutex<Vec<Sent>>,
    wait: Duration,
    /// Group answerers who pressed Done before the ✅ on their last answer came.
    done_before_ack: std::sync::atomic::AtomicUsize,
}

impl Driver {
    fn record(&self, kind: Kind, id: u64, channel: u64, user: u64) {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(Sent {
                kind,
                id,
                channel,
                user,
            });
        }
    }

    async fn wait_for<T>(
        &self,
        what: &str,
        check: impl Fn(&Index) -> Option<T>,
    ) -> Result<T, String> {
        self.wait_up_to(self.wait, check)
            .await
            .ok_or_else(|| format!("gave up waiting for {what}"))
    }

    /// Polls what the driver learnt until `check` finds something or `patience` runs out.
    async fn wait_up_to<T>(
        &self,
        patience: Duration,
        check: impl Fn(&Index) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(found) = self.index.lock().ok().and_then(|ix| check(&ix)) {
                return Some(found);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One person's whole interview.
    async fn person(&self, user: u64, channel: u64, seed: u64) -> Result<(), String> {
        let d = &self.discord;
        self.gate.wait().await;
        let id = d.slash_command(user, channel, "interview start", json!({}));
        self.record(Kind::Start, id, channel, user);
        let thread = self
            .wait_for("the interview thread", |ix| {
                ix.thread_of.get(&user).copied()
            })
            .await?;
        self.wait_for("the question", |ix| ix.cards.get(&user).map(|_| ()))
            .await?;
        let answers = 3 + (seed % 4) as usize;
        for k in 0..answers {
            self.gate.wait().await;
            let line = ANSWER_LINES[(seed as usize + k) % ANSWER_LINES.len()];
            let id = d.send_message(thread, user, line);
            self.record(Kind::Answer, id, thread, user);
        }
        self.gate.wait().await;
        let id = d.send_message(thread, user, "done");
        self.record(Kind::DoneMessage, id, thread, user);
        let follow_up = self
            .wait_for("the first follow-up", |ix| {
                ix.cards.get(&user).and_then(|c| c.get(1).copied())
            })
            .await?;
        for k in 0..1 + (seed % 2) as usize {
            self.gate.wait().await;
            let line = ANSWER_LINES[(seed as usize + 5 + k) % ANSWER_LINES.len()];
            let id = d.send_message(thread, user, line);
            self.record(Kind::Answer, id, thread, user);
        }
        self.gate.wait().await;
        let id = d.click_button(user, follow_up, &format!("solo:done:{user}"));
        self.record(Kind::Click, id, thread, user);
        let second = self
            .wait_for("the second follow-up", |ix| {
                ix.cards.get(&user).and_then(|c| c.get(2).copied())
            })
            .await?;
        self.gate.wait().await;
        let id = d.click_button(user, second, &format!("solo:cancel:{user}"));
        self.record(Kind::Click, id, thread, user);
        self.wait_for("the thread to be archived", |ix| {
            ix.closed.contains(&user).then_some(())
        })
        .await
    }
}

/// Whose driver task it is.
#[derive(Debug, Clone, Copy)]
enum Who {
    Person,
    Group,
}

type Task = tokio::task::JoinHandle<Result<(), String>>;

fn spawn_group(driver: &Arc<Driver>, group: &group::Group, n: usize) -> (Who, Task) {
    let driver = driver.clone();
    let group = group.clone();
    let task = tokio::spawn(async move { driver.group(&group, n as u64 * 5 + 1).await });
    (Who::Group, task)
}

/// `count` study groups, each in its own server and channel; the odd ones run hot seat.
fn add_groups(discord: &FakeDiscord, count: usize) -> Vec<group::Group> {
    (0..count)
        .map(|g| {
            let guild = discord.add_guild(&format!("Study Group {g}"));
            let channel = discord.add_text_channel(guild, "mock-interviews");
            let members = (0..group::PEOPLE_PER_GROUP)
                .map(|k| {
                    let name = format!("g{g}-p{k}");
                    let user = discord.add_user(&name);
                    discord.add_member(guild, user, &[]);
                    (user, name)
                })
                .collect();
            group::Group {
                channel,
                members,
                hot_seat: g % 2 == 1,
            }
        })
        .collect()
}

async fn interview_run(bot: &Path, args: &Args) -> Result<Value, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let discord = Arc::new(FakeDiscord::start_with(emulator_options()).await);
    let servers = args.users.div_ceil(PEOPLE_PER_SERVER).max(1);
    let mut people = Vec::with_capacity(args.users);
    for s in 0..servers {
        let guild = discord.add_guild(&format!("Career Club {s}"));
        let channel = discord.add_text_channel(guild, "practice");
        for p in 0..PEOPLE_PER_SERVER.min(args.users - people.len()) {
            let user = discord.add_user(&format!("person-{s}-{p}"));
            discord.add_member(guild, user, &[]);
            people.push((user, channel));
        }
    }
    let groups = add_groups(&discord, args.groups);
    let process = BotProcess::spawn(bot, &discord, dir.path())?;
    wait_registered(&discord).await;
    let calls_before = discord.mark();

    let driver = Arc::new(Driver {
        discord: discord.clone(),
        gate: EventGate::new(args.rate),
        index: Mutex::new(Index::default()),
        sent: Mutex::new(Vec::new()),
        wait: Duration::from_secs(args.wait_secs),
        done_before_ack: std::sync::atomic::AtomicUsize::new(0),
    });
    let stop_watching = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let driver = driver.clone();
        let stop = stop_watching.clone();
        tokio::spawn(async move {
            let mut cursor = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let calls = driver.discord.calls_since(cursor);
                cursor += calls.len();
                if let Ok(mut index) = driver.index.lock() {
                    for call in &calls {
                        index.learn(call);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    let load_at_start = load_average();
    let started = Instant::now();
    let mut peak_rss_kb = 0;
    // Groups are spread evenly among the people, so both share the event rate throughout.
    let group_every = (people.len() / groups.len().max(1)).max(1);
    let mut tasks = Vec::with_capacity(people.len() + groups.len());
    let mut next_group = groups.iter().enumerate().peekable();
    for (n, &(user, channel)) in people.iter().enumerate() {
        if n % group_every == 0 {
            if let Some((g, group)) = next_group.next() {
                tasks.push(spawn_group(&driver, group, g));
            }
        }
        let driver = driver.clone();
        let task =
            tokio::spawn(async move { driver.person(user, channel, n as u64 * 7 + 3).await });
        tasks.push((Who::Person, task));
    }
    for (g, group) in next_group {
        tasks.push(spawn_group(&driver, group, g));
    }
    let mut failures = Vec::new();
    let mut group_failures = Vec::new();
    let mut group_seconds = Vec::new();
    let mut pending = tasks;
    while !pending.is_empty() {
        tokio::time::sleep(Duration::from_millis(500)).await;
        peak_rss_kb = peak_rss_kb.max(process.memory_kb().0);
        let mut still = Vec::new();
        for (who, task) in pending {
            if task.is_finished() {
                let result = match task.await {
                    Ok(result) => result,
                    Err(e) => Err(format!("driver task: {e}")),
                };
                match (who, result) {
                    (Who::Person, Ok(())) => {}
                    (Who::Person, Err(e)) => failures.push(e),
                    (Who::Group, Ok(())) => group_seconds.push(started.elapsed().as_secs_f64()),
                    (Who::Group, Err(e)) => group_failures.push(e),
                }
            } else {
                still.push((who, task));
            }
        }
        pending = still;
    }
    let elapsed = started.elapsed();
    let load_at_end = load_average();
    // Let trailing acknowledgements go out before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop_watching.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = watcher.await;
    let (_, hwm_kb) = process.memory_kb();
    let problems = process.problems();
    process.stop().await?;

    // Durable results: every finished person has an attempt in the store.
    let store = SledStore::open(dir.path()).map_err(|e| e.to_string())?;
    let mut attempts = 0;
    for &(user, _) in &people {
        attempts += store
            .history(&UserKey::discord(user), usize::MAX)
            .map_err(|e| e.to_string())?
            .len();
    }
    let mut group_attempts = 0;
    let mut groups_fully_stored = 0;
    for group in &groups {
        let mut stored = 0;
        for (user, _) in &group.members {
            stored += store
                .history(&UserKey::discord(*user), usize::MAX)
                .map_err(|e| e.to_string())?
                .iter()
                .filter(|a| a.mode.to_string() == "group")
                .count();
        }
        group_attempts += stored;
        if stored == group.expected_attempts() {
            groups_fully_stored += 1;
        }
    }
    let open_sessions_left = store.list_sessions().map_err(|e| e.to_string())?.len();
    let store_bytes = store.size_on_disk().map_err(|e| e.to_string())?;
    drop(store);

    let sent = driver.sent.lock().map(|s| s.clone()).unwrap_or_default();
    let calls = discord.calls_since(calls_before);
    let latency = latencies(&discord, &sent, &calls);
    let interactions: Vec<u64> = sent
        .iter()
        .filter(|s| s.kind.is_interaction())
        .map(|s| s.id)
        .collect();
    let acked_in_time = interactions
        .iter()
        .filter(|id| {
            discord
                .interaction(**id)
                .and_then(|i| i.ack_latency())
                .is_some_and(|l| l <= Duration::from_secs(3))
        })
        .count();
    let failed_calls: Vec<String> = calls
        .iter()
        .filter(|c| !c.succeeded())
        .map(|c| format!("{} {} -> {}", c.method, c.route, c.status))
        .collect();
    // Discord exempts interaction endpoints (callbacks, followups, original responses) from its
    // global limit: "Interaction endpoints are not bound to the bot's Global Rate Limit" (its
    // rate-limit documentation). They are counted apart.
    let rest_calls = calls.iter().filter(|c| c.bound_to_global_limit).count();
    let exempt_calls = calls.len() - rest_calls;
    // Where the budget goes: the calls bound to the global limit per method and route.
    let mut by_route = std::collections::BTreeMap::<String, usize>::new();
    for call in calls.iter().filter(|c| c.bound_to_global_limit) {
        *by_route
            .entry(format!("{} {}", call.method, call.route))
            .or_default() += 1;
    }
    let rest_span = calls
        .iter()
        .filter(|c| c.bound_to_global_limit)
        .map(|c| c.at)
        .fold(None::<(Instant, Instant)>, |acc, at| match acc {
            None => Some((at, at)),
            Some((a, b)) => Some((a.min(at), b.max(at))),
        })
        .map_or(0.0, |(a, b)| (b - a).as_secs_f64());
    let dispatch_span = sent_span(&discord, &sent);

    Ok(json!({
        "users": args.users,
        "servers": servers,
        "rate_asked_events_per_s": args.rate,
        "events_sent": sent.len(),
        "events_per_s_sustained": round1(sent.len() as f64 / dispatch_span.max(1e-9)),
        "seconds_sending_events": round1(dispatch_span),
        "seconds_until_all_finished": round1(elapsed.as_secs_f64()),
        "people_finished": args.users - failures.len(),
        "people_failed": failures.len(),
        "failures_sample": failures.iter().take(5).collect::<Vec<_>>(),
        "groups": {
            "sessions": groups.len(),
            "people_per_session": group::PEOPLE_PER_GROUP,
            "rounds_per_session": group::ROUNDS,
            "hot_seat_sessions": groups.iter().filter(|g| g.hot_seat).count(),
            "sessions_completed": group_seconds.len(),
            "sessions_failed": group_failures.len(),
            "failures_sample": group_failures.iter().take(5).collect::<Vec<_>>(),
            "attempts_stored": group_attempts,
            "attempts_expected": groups.iter().map(group::Group::expected_attempts).sum::<usize>(),
            "sessions_with_every_attempt_stored": groups_fully_stored,
            "events_sent": sent.iter().filter(|s| s.kind.is_group()).count(),
            "done_pressed_before_the_answer_was_acknowledged": driver
                .done_before_ack
                .load(std::sync::atomic::Ordering::Relaxed),
            "seconds_until_last_completed": round1(group_seconds.iter().copied().fold(0.0, f64::max)),
        },
        "latency_ms": latency,
        "interactions": interactions.len(),
        "interactions_acked_within_3s": acked_in_time,
        "interactions_acked_within_3s_pct": round1(100.0 * acked_in_time as f64 / interactions.len().max(1) as f64),
        "rest_calls_not_exempt": rest_calls,
        "rest_calls_not_exempt_by_route": by_route,
        "rest_calls_per_s_average": round1(rest_calls as f64 / rest_span.max(1e-9)),
        "max_rest_calls_in_any_1s": discord.max_calls_per_second(),
        "interaction_endpoint_calls_exempt": exempt_calls,
        "max_exempt_calls_in_any_1s": discord.max_exempt_calls_per_second(),
        "errors": {
            "violations": discord.violations().len(),
            "unknown_routes": discord.unknown_routes().len(),
            "emulator_errors": discord.emulator_errors().len(),
            "failed_calls": failed_calls.len(),
            "failed_calls_sample": failed_calls.iter().take(5).collect::<Vec<_>>(),
            "bot_warn_or_error_lines": problems.len(),
            "bot_log_sample": problems.iter().take(5).collect::<Vec<_>>(),
        },
        "peak_rss_kb": hwm_kb.max(peak_rss_kb),
        "load_average_at_start_of_run": load_at_start,
        "load_average_at_end_of_run": load_at_end,
        "attempts_stored": attempts,
        "sessions_left_open": open_sessions_left,
        "store_bytes_on_disk": store_bytes,
        "store_bytes_per_attempt": (store_bytes as f64 / attempts.max(1) as f64).round(),
    }))
}

/// Seconds from the first to the last dispatch the driver caused.
fn sent_span(discord: &FakeDiscord, sent: &[Sent]) -> f64 {
    let ids: HashSet<u64> = sent.iter().map(|s| s.id).collect();
    let times: Vec<Instant> = discord
        .dispatches()
        .iter()
        .filter(|d| d.id.is_some_and(|id| ids.contains(&id)))
        .map(|d| d.at)
        .collect();
    match (times.iter().min(), times.iter().max()) {
        (Some(a), Some(b)) => (*b - *a).as_secs_f64(),
        _ => 0.0,
    }
}

/// Dispatch → the bot's first REST call for it (the issue's definition), per kind of event,
/// for all interactions, and overall:
/// - interactions (slash commands, buttons, select menus, modal submits) → their callback;
/// - answer messages → the ✅ reaction on that message. The ✅ is deliberately coalesced: at
///   most one per person per second (a trailing one on the newest message of a burst), and only
///   in slots of the 40/s REST budget no reply wants. A message whose ✅ went to a newer message
///   has no call of its own; those are counted apart, and a second figure measures every answer
///   message to the first ✅ on it or a newer message of that channel;
/// - "done" messages → the first call in their channel after the dispatch (reading the channel
///   for messages the done overtook, else the feedback itself), and apart from that the delay to
///   the feedback post;
/// - and where the waiting goes when the budget is full: `/interview start` → its "ready" reply,
///   sent after the thread is open and the question posted (calls of the opening lane, which
///   wait behind people already in an interview).
fn latencies(discord: &FakeDiscord, sent: &[Sent], calls: &[RecordedCall]) -> Value {
    let dispatched: HashMap<u64, Instant> = discord
        .dispatches()
        .iter()
        .filter_map(|d| Some((d.id?, d.at)))
        .collect();
    let author: HashMap<u64, u64> = sent
        .iter()
        .filter(|s| s.kind.is_answer())
        .map(|s| (s.id, s.user))
        .collect();
    let mut callback: HashMap<u64, Instant> = HashMap::new();
    let mut reaction: HashMap<u64, Instant> = HashMap::new();
    // Per channel, in call order: reactions (message id, time), posts and any call at all.
    let mut reactions_in: HashMap<u64, Vec<(u64, Instant)>> = HashMap::new();
    let mut posts: HashMap<u64, Vec<Instant>> = HashMap::new();
    let mut reads_or_posts: HashMap<u64, Vec<Instant>> = HashMap::new();
    // The first followup per interaction token (`/webhooks/{app}/{token}`).
    let mut followups: HashMap<&str, Instant> = HashMap::new();
    // The first edit of the original response per token (a deferred command's reply).
    let mut edited_originals: HashMap<&str, Instant> = HashMap::new();
    for c in calls {
        if c.method == "POST" && c.route.starts_with("/webhooks/") {
            if let Some(token) = c.path.split('/').nth(3) {
                followups.entry(token).or_insert(c.at);
            }
        } else if c.method == "PATCH" && c.route.starts_with("/webhooks/") {
            if let Some(token) = c.path.split('/').nth(3) {
                edited_originals.entry(token).or_insert(c.at);
            }
        } else if c.path.starts_with("/interactions/") {
            if let Some(id) = c.id_after("interactions") {
                callback.entry(id).or_insert(c.at);
            }
        } else if c.route.contains("/reactions/") {
            if let (Some(id), Some(channel)) = (c.id_after("messages"), c.id_after("channels")) {
                reaction.entry(id).or_insert(c.at);
                reactions_in.entry(channel).or_default().push((id, c.at));
            }
        } else if c.route == "/channels/{id}/messages" {
            if let Some(channel) = c.id_after("channels") {
                reads_or_posts.entry(channel).or_default().push(c.at);
                if c.method == "POST" {
                    posts.entry(channel).or_default().push(c.at);
                }
            }
        }
    }
    let first_at_or_after = |times: Option<&Vec<Instant>>, at: Instant| {
        times.and_then(|times| times.iter().filter(|t| **t >= at).min().copied())
    };
    let mut by_kind: HashMap<Kind, Vec<f64>> = HashMap::new();
    let mut covering: Vec<f64> = Vec::new();
    let mut done_to_feedback: Vec<f64> = Vec::new();
    let mut click_to_followup: Vec<f64> = Vec::new();
    let mut start_to_ready: Vec<f64> = Vec::new();
    let mut coalesced = 0usize;
    let mut never_acknowledged = 0usize;
    let mut unanswered = 0usize;
    for s in sent {
        let Some(&at) = dispatched.get(&s.id) else {
            unanswered += 1;
            continue;
        };
        let since = |t: Instant| ms(t.saturating_duration_since(at));
        let token = || discord.interaction(s.id).map(|i| i.token);
        if s.kind == Kind::Click {
            if let Some(t) = token().and_then(|token| followups.get(token.as_str()).copied()) {
                click_to_followup.push(since(t));
            }
        }
        if s.kind == Kind::Start {
            let ready = token().and_then(|token| {
                let token = token.as_str();
                edited_originals
                    .get(token)
                    .or_else(|| followups.get(token))
                    .copied()
            });
            if let Some(t) = ready {
                start_to_ready.push(since(t));
            }
        }
        let first = if s.kind.is_interaction() {
            callback.get(&s.id).copied()
        } else if s.kind.is_answer() {
            let covered = reactions_in.get(&s.channel).and_then(|list| {
                list.iter()
                    .filter(|(id, t)| *id >= s.id && *t >= at && author.get(id) == Some(&s.user))
                    .map(|(_, t)| *t)
                    .min()
            });
            match covered {
                Some(t) => covering.push(since(t)),
                None => never_acknowledged += 1,
            }
            reaction.get(&s.id).copied()
        } else {
            if let Some(t) = first_at_or_after(posts.get(&s.channel), at) {
                done_to_feedback.push(since(t));
            }
            first_at_or_after(reads_or_posts.get(&s.channel), at)
        };
        match first {
            Some(t) => by_kind.entry(s.kind).or_default().push(since(t)),
            None if s.kind.is_answer() => coalesced += 1,
            None => unanswered += 1,
        }
    }
    let mut all: Vec<f64> = by_kind.values().flatten().copied().collect();
    let mut interactions: Vec<f64> = by_kind
        .iter()
        .filter(|(kind, _)| kind.is_interaction())
        .flat_map(|(_, values)| values.iter().copied())
        .collect();
    let mut out = serde_json::Map::new();
    out.insert("all".into(), percentiles(&mut all));
    out.insert(
        "interactions (every kind, solo and group)".into(),
        percentiles(&mut interactions),
    );
    for kind in KINDS {
        let mut values = by_kind.remove(&kind).unwrap_or_default();
        out.insert(kind.name().into(), percentiles(&mut values));
    }
    out.insert(
        "answer message → ✅ on it or a newer one (solo and group)".into(),
        percentiles(&mut covering),
    );
    out.insert(
        "\"done\" message → its feedback posted".into(),
        percentiles(&mut done_to_feedback),
    );
    out.insert(
        "solo button click → its first followup (Done: the feedback)".into(),
        percentiles(&mut click_to_followup),
    );
    out.insert(
        "/interview start → \"ready\" reply (thread opened, question posted)".into(),
        percentiles(&mut start_to_ready),
    );
    out.insert(
        "answer messages acknowledged by a later reaction".into(),
        json!(coalesced),
    );
    out.insert(
        "answer messages never acknowledged".into(),
        json!(never_acknowledged),
    );
    out.insert("events without any call".into(), json!(unanswered));
    Value::Object(out)
}

fn percentiles(values: &mut [f64]) -> Value {
    if values.is_empty() {
        return json!({"n": 0});
    }
    values.sort_by(f64::total_cmp);
    let at = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
    json!({
        "n": values.len(),
        "p50": round1(at(0.50)),
        "p95": round1(at(0.95)),
        "p99": round1(at(0.99)),
        "max": round1(values[values.len() - 1]),
    })
}

// ----- phase 3: daily posts due in the same minute ---------------------------------------------

/// `servers` servers each set a daily question for the same minute (UTC); measures how long
/// after that minute each post went out and the REST rate meanwhile.
async fn daily_run(bot: &Path, servers: usize) -> Result<Value, String> {
    use support::discord::perms;
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let discord = FakeDiscord::start_with(emulator_options()).await;
    let mut places = Vec::with_capacity(servers);
    for s in 0..servers {
        let guild = discord.add_guild(&format!("Daily {s}"));
        let channel = discord.add_text_channel(guild, "daily");
        let admins = discord.add_role(guild, "Admins", perms::MANAGE_GUILD);
        let admin = discord.add_user(&format!("admin-{s}"));
        discord.add_member(guild, admin, &[admins]);
        places.push((channel, admin));
    }
    let process = BotProcess::spawn(bot, &discord, dir.path())?;
    wait_registered(&discord).await;
    // The minute after next, so every /daily set is answered before it.
    let now = jiff::Timestamp::now();
    let due =
        jiff::Timestamp::from_second((now.as_second() / 60 + 2) * 60).map_err(|e| e.to_string())?;
    let due_text = due.strftime("%H:%M").to_string();
    let due_in = Duration::from_millis(
        u64::try_from(due.as_millisecond() - now.as_millisecond()).unwrap_or(0),
    );
    let due_at = Instant::now() + due_in;
    let gate = EventGate::new(200);
    for &(channel, admin) in &places {
        gate.wait().await;
        discord.slash_command(
            admin,
            channel,
            "daily set",
            json!({"channel": channel.to_string(), "time": due_text, "timezone": "UTC"}),
        );
    }
    let channels: HashSet<u64> = places.iter().map(|(c, _)| *c).collect();
    let posted = |d: &FakeDiscord| {
        d.calls_matching(|c| {
            c.method == "POST"
                && c.route == "/channels/{id}/messages"
                && c.succeeded()
                && c.id_after("channels")
                    .is_some_and(|ch| channels.contains(&ch))
        })
    };
    let deadline = due_at + Duration::from_secs(180);
    let mut posts = posted(&discord);
    while posts.len() < servers && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        posts = posted(&discord);
    }
    // Threads of the last posts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let delays: Vec<f64> = posts
        .iter()
        .map(|c| c.at.saturating_duration_since(due_at).as_secs_f64())
        .collect();
    let late = delays.iter().filter(|d| **d > 60.0).count();
    let last = delays.iter().copied().fold(0.0, f64::max);
    let window_max = discord.max_calls_in_window(Duration::from_secs(1), |c| {
        c.bound_to_global_limit && c.at >= due_at
    });
    let problems = process.problems();
    process.stop().await?;
    Ok(json!({
        "servers": servers,
        "due_utc": due_text,
        "posts_out": posts.len(),
        "posts_later_than_60s": late,
        "seconds_due_to_last_post": round1(last),
        "max_rest_calls_in_any_1s_after_due": window_max,
        "max_rest_calls_in_any_1s_whole_run": discord.max_calls_per_second(),
        "violations": discord.violations().len(),
        "bot_warn_or_error_lines": problems.len(),
        "bot_log_sample": problems.iter().take(3).collect::<Vec<_>>(),
    }))
}

// ----- output -----------------------------------------------------------------------------------

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn machine() -> Value {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                })
        })
        .unwrap_or(0);
    json!({
        "cores": cores,
        "memory_mb": mem_kb / 1024,
        "load_average_at_start": load_average(),
        "shared": "the bot, the emulator and the driver run on these same cores",
    })
}

/// The 1, 5 and 15-minute load averages, as `uptime` shows them.
fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    load.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Prints every leaf of the report as `path  value`.
fn print_table(report: &serde_json::Map<String, Value>) {
    fn walk(prefix: &str, value: &Value, rows: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&path, v, rows);
                }
            }
            Value::String(s) => rows.push((prefix.to_string(), s.clone())),
            other => rows.push((prefix.to_string(), other.to_string())),
        }
    }
    let mut rows = Vec::new();
    walk("", &Value::Object(report.clone()), &mut rows);
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    println!("\n{:width$}  value", "figure");
    println!("{}  {}", "-".repeat(width), "-".repeat(20));
    for (k, v) in rows {
        println!("{k:width$}  {v}");
    }
}
