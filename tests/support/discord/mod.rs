//! A loopback Discord for end-to-end tests: REST v10 under `/api/v10` and a Gateway v10
//! websocket, both served on one 127.0.0.1 port chosen by the OS, holding an in-memory world.
//! The real serenity client and poise framework run against it.
//!
//! # Starting
//! ```ignore
//! let discord = FakeDiscord::start().await;            // or start_with(Options { .. })
//! let guild = discord.add_guild("Career Club");
//! let channel = discord.add_text_channel(guild, "practice");
//! let alice = discord.add_user("alice");
//! discord.add_member(guild, alice, &[]);
//! // The bot, pointed at the emulator (the ratelimiter must be off, or the proxy is ignored):
//! let http = HttpBuilder::new(discord.token())
//!     .proxy(discord.api_base())
//!     .ratelimiter_disabled(true)
//!     .build();
//! let client = ClientBuilder::new_with_http(http, intents).framework(framework).await?;
//! discord.wait_ready().await;                         // identified, READY + GUILD_CREATEs sent
//! ```
//! `api_base()` is `http://127.0.0.1:PORT` (serenity swaps it for `https://discord.com` and keeps
//! `/api/v10`); `GET /api/v10/gateway` answers `ws://127.0.0.1:PORT`. The bot user's id is
//! `bot_id()` (also the application id, `app_id()`).
//!
//! # World builders (sync; ids are u64 snowflakes that increase with time)
//! `add_user(name)`, `add_guild(name)` (the bot is a member; a separate owner user is created,
//! see `guild_owner`), `add_role(guild, name, permission_bits)` (bits in [`perms`]),
//! `set_everyone_permissions(guild, bits)`, `add_member(guild, user, &roles)`,
//! `add_text_channel(guild, name)`, `add_thread(parent, name, private, owner)`,
//! `dm_channel(user)` (the bot's DM with that user, created if needed). Guilds and channels
//! added after READY are dispatched (GUILD_CREATE / CHANNEL_CREATE).
//! Switches: `set_private_threads_allowed(bool)` (type-12 thread creation → 403 50013),
//! `set_public_threads_allowed(bool)`, `set_dms_closed(user, bool)` (sending → 403 50007),
//! `set_send_allowed(channel, bool)` (posting there or in its threads → 403 50013),
//! `delete_channel(id)` (CHANNEL_DELETE / THREAD_DELETE; later calls → 404 10003),
//! `remove_bot_from_guild(guild)` (GUILD_DELETE without `unavailable`; posting there → 403
//! 50001; left out of later READYs), `guild_outage(guild)` (GUILD_DELETE, `unavailable: true`),
//! `age_interaction(id, by)` (deadlines without sleeping). `command_visible_to(user, guild,
//! name)` says whether `default_member_permissions` would show the command to that user.
//!
//! # Driving the bot (gateway dispatches; sync, return the new id)
//! `send_message(channel, user, content)`, `edit_message(id, content)`, `delete_message(id)`,
//! `edit_message_held(id, content)` + `deliver_edit(id)` (an edit whose event comes late),
//! `slash_command(user, channel, "interview start", options)` where options is either
//! `json!({"lp": "ownership"})` or Discord's array form; option types are filled in from the
//! command the bot registered (unknown commands/options panic), `autocomplete(user, channel,
//! "interview start", options, "question")`, `click_button(user, message_id, custom_id)`,
//! `select_menu(user, message_id, custom_id, &values)`, `submit_modal(user, custom_id, &[(input
//! custom_id, value)])` (the modal must have been opened for that user), `dispatch(event, d)` raw.
//! `prepare_message(..)` + `deliver_message(id)` split a message's creation from its
//! MESSAGE_CREATE, so an edit can arrive before its create.
//! Every dispatch is checked against serenity's own `GatewayEvent` deserializer first (a payload
//! serenity would drop as `Event::Unknown` panics). Message dispatches follow the bot's intents:
//! without MESSAGE_CONTENT the content/embeds/attachments arrive empty (except DMs and messages
//! mentioning the bot); without GUILD_MESSAGES / DIRECT_MESSAGES nothing is delivered.
//! Messages the bot creates, edits or deletes are echoed as dispatches, as Discord does
//! (`Options::echo_bot_messages`), and thread creation dispatches THREAD_CREATE.
//!
//! # Waiting (async; panic after `Options::wait_timeout` with the call log)
//! `wait_ready()`, `wait_for_call(|c| ..) -> RecordedCall`, `wait_for_calls(n, |c| ..)`,
//! `wait_for_call_after(mark(), |c| ..)` (only calls after a point),
//! `wait_for_interaction_response(id) -> RecordedCall` (the first callback, accepted or not),
//! `wait_for_reply(interaction) -> MessageView` (original response with content, deferred ones
//! once edited, or a followup),
//! `wait_for_message(channel, |m| ..)`, `wait_for_message_anywhere(|m| ..)`, `wait_connected()`,
//! `wait_until(what, |d| ..)`, `try_wait_until(timeout, |d| ..) -> Option` (no panic).
//! A wait re-checks on every emulator change and every 20 ms (a check may read the bot's store).
//!
//! # Inspecting
//! `calls()`, `calls_since(mark)`, `calls_matching(|c| ..)`, `messages_in(channel)`, `all_messages()`, `message(id)`,
//! `channel(id)`, `threads_of(parent)`, `thread_members(thread)`, `interaction(id)`,
//! `replies_to(interaction)`, `registered_commands()` / `command(name)`, `violations()`,
//! `mention_leaks()` / `unintended_mention_leaks()`, `unknown_routes()`, `dispatches()`,
//! `identify_count()`, `resume_count()`, `assert_clean()` (no violations, no unintended leaks,
//! no unknown routes, no emulator errors). Long runs (load): `forget_calls()` drops the log
//! (indices keep counting), `Options::record_bodies = false` keeps only method, path, status and
//! time, `Options::validate_dispatches = false` skips the serenity check, and the gateway keeps
//! `Options::resume_history` dispatches per session and only the 8 newest sessions.
//!
//! # Rules enforced (each breach is in `violations()` and answered as Discord does)
//! Ack later than 3 s (`Options::ack_deadline`, or `age_interaction`) → 404 10062; second ack →
//! 400 40060; followups/edits after 15 minutes → 401 50027; content > 2000, embed title > 256,
//! description > 4096, > 25 fields, field name > 256 / value > 1024, > 6000 embed chars, > 10
//! embeds, > 5 action rows, custom_id > 100, modal text input max_length/value > 4000 → 400 50035;
//! empty message → 400 50006. Mentions (@everyone, @here, `<@id>`, `<@!id>`, `<@&id>`) in content
//! or embeds not forbidden by allowed_mentions are recorded as leaks (the message is accepted).
//! Unknown routes answer 404 and are printed and listed in `unknown_routes()`.
//!
//! Two things the emulator cannot see: serenity refuses content over 2,000 characters, more
//! than 10 embeds and a single embed over 6,000 characters on the client side (an `Err` with
//! `ModelError`, no REST call), and poise's default `FrameworkOptions::allowed_mentions` lets user
//! pings through (`all_users(true)`), so a bot must set it to none itself.
//!
//! Rates: `max_calls_per_second()` (interaction callbacks excepted) and `max_calls_in_window`
//! measure the bot's pace; `Options::global_rate_limit = Some(50)` makes the emulator answer 429
//! (global) beyond it, as Discord does. `interaction(id).ack_latency()` gives dispatch→ack time.
//!
//! # Faults and gateway controls
//! `inject_fault(method, route, n, Fault::Status(500) | Fault::RateLimited{..} | Fault::Delay(..))`
//! (`route` as in [`RecordedCall::route`], "*" for any), `clear_faults()`.
//! `disconnect()` (close 4000: the bot resumes and missed events are replayed),
//! `reconnect_request()` (op 7), `invalid_session(resumable)` (op 9), `replay_last(n)` (resend the
//! last n dispatches with their sequence numbers), `pause_heartbeat_acks()` /
//! `resume_heartbeat_acks()`, `replay_seq(seq)` with `seq_of(event, id)`, `is_connected()`,
//! `wait_connected()`, `shutdown()`. serenity waits 5 s between IDENTIFYs, so op 9 and unanswered
//! heartbeats (use a short `Options::heartbeat_interval`) take that long to recover.

mod events;
mod gateway;
mod inspect;
pub mod log;
pub mod model;
mod multipart;
mod rest;
pub mod rules;
pub mod tally;
mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;

#[allow(unused_imports)]
pub use log::{DispatchRecord, Fault, FaultRule, MentionLeak, RecordedCall, Rule, Violation};
#[allow(unused_imports)]
pub use model::{channel_type, intents, perms, Attachment, InteractionKind};
#[allow(unused_imports)]
pub use rules::Ping;

use model::World;

/// Settings a test can choose at start.
#[derive(Debug, Clone)]
pub struct Options {
    /// Heartbeat interval announced in HELLO.
    pub heartbeat_interval: Duration,
    /// How long after dispatch an interaction may be acknowledged (Discord: 3 s).
    pub ack_deadline: Duration,
    /// How long an interaction token accepts followups and edits (Discord: 15 min).
    pub token_lifetime: Duration,
    /// How long the `wait_*` helpers wait before failing the test.
    pub wait_timeout: Duration,
    /// Dispatch MESSAGE_CREATE/UPDATE/DELETE for the bot's own messages, as Discord does.
    pub echo_bot_messages: bool,
    /// Answer 429 (global) when the bot makes more than this many calls in one second,
    /// interaction callbacks excepted, as Discord does. None: count only (see
    /// `max_calls_per_second`).
    pub global_rate_limit: Option<usize>,
    /// Keep request and response bodies in the call log (off for load runs: only method, path,
    /// status and time are kept; rules are still checked).
    pub record_bodies: bool,
    /// Check every dispatch with serenity's deserializer before sending it.
    pub validate_dispatches: bool,
    /// How many past dispatches a session keeps for RESUME.
    pub resume_history: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            heartbeat_interval: Duration::from_millis(41_250),
            ack_deadline: Duration::from_secs(3),
            token_lifetime: Duration::from_secs(15 * 60),
            wait_timeout: Duration::from_secs(30),
            echo_bot_messages: true,
            global_rate_limit: None,
            record_bodies: true,
            validate_dispatches: true,
            resume_history: 10_000,
        }
    }
}

/// A snapshot of one message in the emulator's world.
#[derive(Debug, Clone)]
pub struct MessageView {
    pub id: u64,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    pub author_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub attachments: Vec<Attachment>,
    pub flags: u64,
    pub edited: bool,
    pub deleted: bool,
    /// (emoji, user id) in the order added.
    pub reactions: Vec<(String, u64)>,
    /// The interaction this message answers (original response or followup).
    pub interaction_id: Option<u64>,
    pub allowed_mentions: Option<Value>,
    pub thread_id: Option<u64>,
}

impl MessageView {
    fn of(m: &model::Message) -> Self {
        MessageView {
            id: m.id,
            channel_id: m.channel_id,
            guild_id: m.guild_id,
            author_id: m.author_id,
            content: m.content.clone(),
            embeds: m.embeds.clone(),
            components: m.components.clone(),
            attachments: m.attachments.clone(),
            flags: m.flags,
            edited: m.edited_at.is_some(),
            deleted: m.deleted,
            reactions: m.reactions.clone(),
            interaction_id: m.interaction_id,
            allowed_mentions: m.allowed_mentions.clone(),
            thread_id: m.thread_id,
        }
    }

    pub fn is_ephemeral(&self) -> bool {
        self.flags & 64 != 0
    }

    /// Content plus every embed text, for assertions that do not care where text sits.
    pub fn all_text(&self) -> String {
        let mut out = self.content.clone();
        for e in &self.embeds {
            for (_, t) in rules::texts_of(&serde_json::json!({ "embeds": [e] })) {
                out.push('\n');
                out.push_str(&t);
            }
        }
        out
    }

    /// Custom ids of every component on the message.
    pub fn custom_ids(&self) -> Vec<String> {
        events::component_ids(&self.components)
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }
}

/// A snapshot of one interaction.
#[derive(Debug, Clone)]
pub struct InteractionView {
    pub id: u64,
    pub token: String,
    pub kind: InteractionKind,
    pub user_id: u64,
    pub channel_id: u64,
    /// The accepted callback type, if any.
    pub ack_type: Option<u8>,
    pub ack_data: Option<Value>,
    pub original_message_id: Option<u64>,
    pub followup_ids: Vec<u64>,
    pub dispatched_at: Instant,
    pub acked_at: Option<Instant>,
}

impl InteractionView {
    /// Time from dispatch to the accepted callback.
    pub fn ack_latency(&self) -> Option<Duration> {
        self.acked_at
            .map(|a| a.saturating_duration_since(self.dispatched_at))
    }
}

/// Everything REST handlers and test helpers share, behind one lock.
pub(crate) struct Core {
    pub world: World,
    pub calls: Vec<RecordedCall>,
    /// Calls dropped by `forget_calls` (indices keep counting from here).
    pub calls_base: usize,
    pub violations: Vec<Violation>,
    pub leaks: Vec<MentionLeak>,
    pub unknown_routes: Vec<String>,
    pub emulator_errors: Vec<String>,
    pub faults: Vec<FaultRule>,
    pub options: Options,
    /// Every REST call answered, also those `forget_calls` dropped (for the tally).
    pub calls_total: usize,
    /// Calls answered 400 by a Discord rule (injected faults excepted), for the tally.
    pub bad_requests: usize,
    /// Set by `breaks_rules_on_purpose`: this test provokes 400s or leaks to test the emulator.
    pub deliberate: bool,
}

pub(crate) struct Shared {
    pub core: Mutex<Core>,
    pub gateway: Mutex<gateway::GatewayState>,
    /// Bumped on every change; waiters re-check their condition.
    pub version: watch::Sender<u64>,
    pub token: String,
    pub addr: SocketAddr,
    pub started: Instant,
}

impl Shared {
    pub fn core(&self) -> MutexGuard<'_, Core> {
        self.core
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn gateway(&self) -> MutexGuard<'_, gateway::GatewayState> {
        self.gateway
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn bump(&self) {
        self.version.send_modify(|v| *v += 1);
    }
}

/// The running emulator. Dropping it stops the server.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.server.abort();
        tally::record(&self.shared.core());
    }
}

impl FakeDiscord {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("emulator: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("emulator: local address");
        let world = World::new();
        let token = format!(
            "{}.RmFrZQ.emulator-token-{}",
            base64(&world.app_id.to_string()),
            world.app_id
        );
        let (version, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            core: Mutex::new(Core {
                world,
                calls: Vec::new(),
                calls_base: 0,
                violations: Vec::new(),
                leaks: Vec::new(),
                unknown_routes: Vec::new(),
                emulator_errors: Vec::new(),
                faults: Vec::new(),
                options,
                calls_total: 0,
                bad_requests: 0,
                deliberate: false,
            }),
            gateway: Mutex::new(gateway::GatewayState::default()),
            version,
            token,
            addr,
            started: Instant::now(),
        });
        let app = rest::router(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            // Like Discord's own edge, small frames and responses go out at once: with Nagle's
            // algorithm on, a dispatch written while the previous one is unacknowledged waits
            // for the bot's delayed ACK (40 ms on Linux), which the load run measured as bot
            // latency.
            if let Err(e) = axum::serve(listener, app).tcp_nodelay(true).await {
                eprintln!("emulator: server stopped: {e}");
            }
        });
        FakeDiscord { shared, server }
    }

    /// `http://127.0.0.1:PORT`: give it to `HttpBuilder::proxy`.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// `ws://127.0.0.1:PORT`, what `GET /gateway` answers.
    pub fn gateway_url(&self) -> String {
        format!("ws://{}", self.shared.addr)
    }

    /// The bot token the emulator accepts (REST `Authorization: Bot …` and IDENTIFY).
    pub fn token(&self) -> String {
        self.shared.token.clone()
    }

    pub fn bot_id(&self) -> u64 {
        self.shared.core().world.bot_id
    }

    pub fn app_id(&self) -> u64 {
        self.shared.core().world.app_id
    }

    /// Stops the server and closes the bot's gateway connection.
    pub fn shutdown(&self) {
        self.shared
            .gateway()
            .close_current(1001, "emulator shutting down");
        self.server.abort();
    }

    pub fn set_options(&self, change: impl FnOnce(&mut Options)) {
        change(&mut self.shared.core().options);
    }

    pub fn options(&self) -> Options {
        self.shared.core().options.clone()
    }
}

/// Standard base64 (with padding), for a realistic-looking token.
fn base64(input: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = input.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
