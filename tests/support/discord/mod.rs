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
//! let http = HttpBuilder::new(discord.token()).proxy(discord.api_base()).ratelimiter_disabled(true).build();
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
//! `age_interaction(id, by)` (deadlines without sleeping). `command_visible_to(user, guild,
//! name)` says whether `default_member_permissions` would show the command to that user.
//!
//! # Driving the bot (gateway dispatches; sync, return the new id)
//! `send_message(channel, user, content)`, `edit_message(id, content)`, `delete_message(id)`,
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
//! `wait_for_call_after(mark(), |c| ..)` (only calls after a point), `wait_for_interaction_response(id)
//! -> RecordedCall` (the first callback, accepted or not), `wait_for_reply(interaction) ->
//! MessageView` (original response with content, deferred ones once edited, or a followup),
//! `wait_for_message(channel, |m| ..)`, `wait_for_message_anywhere(|m| ..)`, `wait_connected()`,
//! `wait_until(what, |d| ..)`.
//!
//! # Inspecting
//! `calls()`, `calls_matching(|c| ..)`, `messages_in(channel)`, `all_messages()`, `message(id)`,
//! `channel(id)`, `threads_of(parent)`, `thread_members(thread)`, `interaction(id)`,
//! `replies_to(interaction)`, `registered_commands()` / `command(name)`, `violations()`,
//! `mention_leaks()` / `unintended_mention_leaks()`, `unknown_routes()`, `dispatches()`,
//! `identify_count()`, `resume_count()`, `assert_clean()` (no violations, no unintended leaks,
//! no unknown routes, no emulator errors).
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
pub mod log;
pub mod model;
mod multipart;
mod rest;
pub mod rules;

use std::collections::BTreeSet;
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

use model::{Channel, Guild, Member, Role, User, World};

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
            wait_timeout: Duration::from_secs(15),
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
            }),
            gateway: Mutex::new(gateway::GatewayState::default()),
            version,
            token,
            addr,
            started: Instant::now(),
        });
        let app = rest::router(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
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

    // ----- world builders -------------------------------------------------------------------

    pub fn add_user(&self, name: &str) -> u64 {
        let mut core = self.shared.core();
        let id = core.world.ids.next();
        core.world.users.insert(
            id,
            User {
                id,
                name: name.to_string(),
                bot: false,
            },
        );
        id
    }

    /// A guild the bot is in, with an @everyone role granting [`perms::MEMBER_DEFAULT`] and a
    /// separate owner user.
    pub fn add_guild(&self, name: &str) -> u64 {
        let (guild_id, payload) = {
            let mut core = self.shared.core();
            let w = &mut core.world;
            let id = w.ids.next();
            let owner = w.ids.next();
            w.users.insert(
                owner,
                User {
                    id: owner,
                    name: format!("{name}-owner"),
                    bot: false,
                },
            );
            let joined_at = model::iso_time(model::now_unix_ms());
            let mut guild = Guild {
                id,
                name: name.to_string(),
                owner_id: owner,
                roles: vec![Role {
                    id,
                    name: "@everyone".into(),
                    permissions: perms::MEMBER_DEFAULT,
                    position: 0,
                }],
                members: Default::default(),
                joined_at: joined_at.clone(),
            };
            let bot_role = w.ids.next();
            guild.roles.push(Role {
                id: bot_role,
                name: "bar-raiser".into(),
                permissions: perms::BOT_DEFAULT,
                position: 1,
            });
            for (user, roles) in [(owner, vec![]), (w.bot_id, vec![bot_role])] {
                guild.members.insert(
                    user,
                    Member {
                        user_id: user,
                        roles,
                        nick: None,
                        joined_at: joined_at.clone(),
                    },
                );
            }
            w.guilds.insert(id, guild);
            (id, w.guild_create_json(id))
        };
        self.dispatch_if_connected("GUILD_CREATE", payload);
        guild_id
    }

    pub fn guild_owner(&self, guild: u64) -> u64 {
        self.shared
            .core()
            .world
            .guilds
            .get(&guild)
            .map(|g| g.owner_id)
            .expect("unknown guild")
    }

    pub fn add_role(&self, guild: u64, name: &str, permissions: u64) -> u64 {
        let mut core = self.shared.core();
        let id = core.world.ids.next();
        let g = core
            .world
            .guilds
            .get_mut(&guild)
            .expect("add_role: unknown guild");
        let position = g.roles.len() as u16;
        g.roles.push(Role {
            id,
            name: name.to_string(),
            permissions,
            position,
        });
        id
    }

    pub fn set_everyone_permissions(&self, guild: u64, permissions: u64) {
        let mut core = self.shared.core();
        let g = core.world.guilds.get_mut(&guild).expect("unknown guild");
        if let Some(r) = g.roles.iter_mut().find(|r| r.id == guild) {
            r.permissions = permissions;
        }
    }

    pub fn add_member(&self, guild: u64, user: u64, roles: &[u64]) {
        let mut core = self.shared.core();
        let g = core
            .world
            .guilds
            .get_mut(&guild)
            .expect("add_member: unknown guild");
        g.members.insert(
            user,
            Member {
                user_id: user,
                roles: roles.to_vec(),
                nick: None,
                joined_at: model::iso_time(model::now_unix_ms()),
            },
        );
    }

    pub fn add_text_channel(&self, guild: u64, name: &str) -> u64 {
        let (id, payload) = {
            let mut core = self.shared.core();
            let w = &mut core.world;
            assert!(
                w.guilds.contains_key(&guild),
                "add_text_channel: unknown guild {guild}"
            );
            let id = w.ids.next();
            w.channels.insert(
                id,
                new_channel(id, channel_type::GUILD_TEXT, Some(guild), name),
            );
            (id, w.channel_json(id))
        };
        self.dispatch_if_connected("CHANNEL_CREATE", payload);
        id
    }

    /// A thread that already exists (the bot did not create it).
    pub fn add_thread(&self, parent: u64, name: &str, private: bool, owner: u64) -> u64 {
        let (id, payload) = {
            let mut core = self.shared.core();
            let w = &mut core.world;
            let guild = w
                .channels
                .get(&parent)
                .and_then(|c| c.guild_id)
                .expect("add_thread: parent must be a guild channel");
            let id = w.ids.next();
            let kind = if private {
                channel_type::PRIVATE_THREAD
            } else {
                channel_type::PUBLIC_THREAD
            };
            let mut c = new_channel(id, kind, Some(guild), name);
            c.parent_id = Some(parent);
            c.owner_id = Some(owner);
            c.thread_members.insert(owner);
            w.channels.insert(id, c);
            let mut payload = w.channel_json(id);
            payload["newly_created"] = Value::Bool(true);
            (id, payload)
        };
        self.dispatch_if_connected("THREAD_CREATE", payload);
        id
    }

    /// The bot's DM channel with `user` (created on first use).
    pub fn dm_channel(&self, user: u64) -> u64 {
        self.shared.core().world.dm_channel_with(user)
    }

    pub fn set_private_threads_allowed(&self, allowed: bool) {
        self.shared.core().world.private_threads_allowed = allowed;
    }

    pub fn set_public_threads_allowed(&self, allowed: bool) {
        self.shared.core().world.public_threads_allowed = allowed;
    }

    /// The bot loses (or regains) Send Messages in `channel` and its threads: posting answers
    /// 403 50013.
    pub fn set_send_allowed(&self, channel: u64, allowed: bool) {
        let mut core = self.shared.core();
        if allowed {
            core.world.send_denied.remove(&channel);
        } else {
            core.world.send_denied.insert(channel);
        }
    }

    /// Someone deletes a channel or thread (CHANNEL_DELETE / THREAD_DELETE); REST calls on it
    /// then answer 404 10003.
    pub fn delete_channel(&self, channel: u64) {
        let (event, payload) = {
            let mut core = self.shared.core();
            let w = &mut core.world;
            let json = w.channel_json(channel);
            let c = w
                .channels
                .get_mut(&channel)
                .unwrap_or_else(|| panic!("delete_channel: unknown channel {channel}"));
            c.deleted = true;
            if c.is_thread() {
                let d = serde_json::json!({
                    "id": c.id.to_string(),
                    "guild_id": c.guild_id.map(|g| g.to_string()),
                    "parent_id": c.parent_id.map(|p| p.to_string()),
                    "type": c.kind,
                });
                ("THREAD_DELETE", d)
            } else {
                ("CHANNEL_DELETE", json)
            }
        };
        self.dispatch_if_connected(event, payload);
    }

    /// Whether `user` would see the command `name` in `guild`: its `default_member_permissions`
    /// are within the user's permissions (Discord hides it otherwise; the emulator still lets a
    /// test dispatch it, to exercise the bot's own run-time check).
    pub fn command_visible_to(&self, user: u64, guild: u64, name: &str) -> bool {
        let core = self.shared.core();
        let w = &core.world;
        let Some(command) = w
            .commands
            .iter()
            .filter(|c| c.name == name && (c.guild_id.is_none() || c.guild_id == Some(guild)))
            .max_by_key(|c| c.guild_id.is_some())
        else {
            return false;
        };
        let required = command.json["default_member_permissions"]
            .as_str()
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0);
        let has = w.guilds.get(&guild).map_or(0, |g| g.permissions_of(user));
        has & required == required
    }

    pub fn set_dms_closed(&self, user: u64, closed: bool) {
        let mut core = self.shared.core();
        if closed {
            core.world.dms_closed.insert(user);
        } else {
            core.world.dms_closed.remove(&user);
        }
    }

    /// Makes an interaction look `by` older, to test the ack deadline and token expiry without
    /// sleeping.
    pub fn age_interaction(&self, interaction: u64, by: Duration) {
        let mut core = self.shared.core();
        if let Some(i) = core.world.interactions.get_mut(&interaction) {
            i.aged_by += by;
        }
    }

    // ----- inspection -----------------------------------------------------------------------

    /// The current length of the call log: pass it to `wait_for_call_after` to wait only for
    /// calls made after this point.
    pub fn mark(&self) -> usize {
        let core = self.shared.core();
        core.calls_base + core.calls.len()
    }

    /// The interaction's original response and followups that still exist, oldest first.
    pub fn replies_to(&self, interaction: u64) -> Vec<MessageView> {
        let core = self.shared.core();
        let w = &core.world;
        let Some(i) = w.interactions.get(&interaction) else {
            return Vec::new();
        };
        i.original_message_id
            .into_iter()
            .chain(i.followup_ids.iter().copied())
            .filter_map(|id| w.messages.get(&id))
            .filter(|m| !m.deleted && m.interaction_id == Some(interaction))
            .map(MessageView::of)
            .collect()
    }

    /// Drops the recorded calls (violations and leaks stay); for long load runs. Indices and
    /// `mark()` keep counting.
    pub fn forget_calls(&self) {
        let mut core = self.shared.core();
        core.calls_base += core.calls.len();
        core.calls.clear();
    }

    pub fn calls(&self) -> Vec<RecordedCall> {
        self.shared.core().calls.clone()
    }

    pub fn calls_matching(&self, pred: impl Fn(&RecordedCall) -> bool) -> Vec<RecordedCall> {
        self.shared
            .core()
            .calls
            .iter()
            .filter(|c| pred(c))
            .cloned()
            .collect()
    }

    /// The most calls matching `pred` within any `window` (sliding).
    pub fn max_calls_in_window(
        &self,
        window: Duration,
        pred: impl Fn(&RecordedCall) -> bool,
    ) -> usize {
        let core = self.shared.core();
        let times: Vec<Instant> = core
            .calls
            .iter()
            .filter(|c| pred(c))
            .map(|c| c.at)
            .collect();
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end].duration_since(times[start]) >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    /// The most REST calls in any one second, interaction callbacks excepted (Discord's global
    /// limit is 50).
    pub fn max_calls_per_second(&self) -> usize {
        self.max_calls_in_window(Duration::from_secs(1), |c| {
            !c.path.starts_with("/interactions/")
        })
    }

    pub fn violations(&self) -> Vec<Violation> {
        self.shared.core().violations.clone()
    }

    pub fn mention_leaks(&self) -> Vec<MentionLeak> {
        self.shared.core().leaks.clone()
    }

    /// Leaks that allowed_mentions did not name explicitly.
    pub fn unintended_mention_leaks(&self) -> Vec<MentionLeak> {
        self.mention_leaks()
            .into_iter()
            .filter(|l| !l.explicitly_allowed)
            .collect()
    }

    pub fn unknown_routes(&self) -> Vec<String> {
        self.shared.core().unknown_routes.clone()
    }

    /// Problems in the emulator itself (a payload serenity would not parse...).
    pub fn emulator_errors(&self) -> Vec<String> {
        self.shared.core().emulator_errors.clone()
    }

    pub fn dispatches(&self) -> Vec<DispatchRecord> {
        self.shared.gateway().dispatch_log.clone()
    }

    pub fn identify_count(&self) -> usize {
        self.shared.gateway().identifies
    }

    pub fn resume_count(&self) -> usize {
        self.shared.gateway().resumes
    }

    /// The intents the bot identified with (0 before IDENTIFY).
    pub fn bot_intents(&self) -> u64 {
        self.shared.gateway().intents
    }

    /// Commands the bot registered (global and per guild), with the ids the emulator gave them.
    pub fn registered_commands(&self) -> Vec<Value> {
        self.shared
            .core()
            .world
            .commands
            .iter()
            .map(|c| c.json.clone())
            .collect()
    }

    pub fn command(&self, name: &str) -> Option<Value> {
        self.shared
            .core()
            .world
            .commands
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.json.clone())
    }

    pub fn messages_in(&self, channel: u64) -> Vec<MessageView> {
        self.shared
            .core()
            .world
            .messages_in(channel)
            .into_iter()
            .map(MessageView::of)
            .collect()
    }

    /// Every message in every channel (not deleted), oldest first.
    pub fn all_messages(&self) -> Vec<MessageView> {
        let core = self.shared.core();
        core.world
            .messages
            .values()
            .filter(|m| !m.deleted)
            .map(MessageView::of)
            .collect()
    }

    /// A message, also when deleted.
    pub fn message(&self, id: u64) -> Option<MessageView> {
        self.shared
            .core()
            .world
            .messages
            .get(&id)
            .map(MessageView::of)
    }

    /// A channel's JSON as `GET /channels/{id}` answers it.
    pub fn channel(&self, id: u64) -> Option<Value> {
        let core = self.shared.core();
        core.world
            .channels
            .contains_key(&id)
            .then(|| core.world.channel_json(id))
    }

    /// Threads under `parent`, oldest first.
    pub fn threads_of(&self, parent: u64) -> Vec<u64> {
        let core = self.shared.core();
        core.world
            .channels
            .values()
            .filter(|c| c.parent_id == Some(parent) && !c.deleted)
            .map(|c| c.id)
            .collect()
    }

    pub fn thread_members(&self, thread: u64) -> BTreeSet<u64> {
        self.shared
            .core()
            .world
            .channels
            .get(&thread)
            .map(|c| c.thread_members.clone())
            .unwrap_or_default()
    }

    pub fn interaction(&self, id: u64) -> Option<InteractionView> {
        self.shared
            .core()
            .world
            .interactions
            .get(&id)
            .map(|i| InteractionView {
                id: i.id,
                token: i.token.clone(),
                kind: i.kind,
                user_id: i.user_id,
                channel_id: i.channel_id,
                ack_type: i.ack.map(|(t, _)| t),
                ack_data: i.ack_data.clone(),
                original_message_id: i.original_message_id,
                followup_ids: i.followup_ids.clone(),
                dispatched_at: i.dispatched_at,
                acked_at: i.ack.map(|(_, at)| at),
            })
    }

    /// Panics (with the call log) if any rule was broken, any unintended mention leaked, any
    /// route was unknown or the emulator hit an internal problem.
    pub fn assert_clean(&self) {
        let core = self.shared.core();
        let leaks: Vec<_> = core
            .leaks
            .iter()
            .filter(|l| !l.explicitly_allowed)
            .collect();
        if core.violations.is_empty()
            && leaks.is_empty()
            && core.unknown_routes.is_empty()
            && core.emulator_errors.is_empty()
        {
            return;
        }
        let report = report(&core);
        drop(core);
        panic!("emulator: the bot broke Discord's rules\n{report}");
    }

    /// The call log, violations and leaks as text (what failing waits print).
    pub fn report(&self) -> String {
        report(&self.shared.core())
    }

    // ----- faults ---------------------------------------------------------------------------

    /// Apply `fault` to the next `times` calls matching `method` and `route` ("*" = any).
    pub fn inject_fault(&self, method: &str, route: &str, times: usize, fault: Fault) {
        self.shared.core().faults.push(FaultRule {
            method: method.to_string(),
            route: route.to_string(),
            remaining: times,
            fault,
        });
    }

    pub fn clear_faults(&self) {
        self.shared.core().faults.clear();
    }

    // ----- waiting --------------------------------------------------------------------------

    /// Waits until `check` returns Some; panics with `what` and the call log after the timeout.
    pub async fn wait_until<T>(
        &self,
        what: &str,
        mut check: impl FnMut(&FakeDiscord) -> Option<T>,
    ) -> T {
        let timeout = self.shared.core().options.wait_timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.shared.version.subscribe();
        loop {
            rx.borrow_and_update();
            if let Some(found) = check(self) {
                return found;
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                if let Some(found) = check(self) {
                    return found;
                }
                panic!(
                    "emulator: timed out after {timeout:?} waiting for {what}; the bot never did it.\n{}",
                    self.report()
                );
            }
        }
    }

    /// The bot identified and READY was sent on the current session.
    pub async fn wait_ready(&self) {
        self.wait_until("the bot to IDENTIFY and receive READY", |d| {
            d.shared.gateway().ready().then_some(())
        })
        .await
    }

    /// The first call (in log order) matching `pred`, waiting for it if needed.
    pub async fn wait_for_call(&self, pred: impl Fn(&RecordedCall) -> bool) -> RecordedCall {
        self.wait_until("a REST call matching the predicate", |d| {
            d.shared.core().calls.iter().find(|c| pred(c)).cloned()
        })
        .await
    }

    /// The first call at or after log position `from` matching `pred` (use `calls().len()` taken
    /// before an action to wait only for calls caused by it).
    pub async fn wait_for_call_after(
        &self,
        from: usize,
        pred: impl Fn(&RecordedCall) -> bool,
    ) -> RecordedCall {
        self.wait_until("a new REST call matching the predicate", |d| {
            d.shared
                .core()
                .calls
                .iter()
                .skip_while(|c| c.index < from)
                .find(|c| pred(c))
                .cloned()
        })
        .await
    }

    /// Waits until `n` calls match, returns them.
    pub async fn wait_for_calls(
        &self,
        n: usize,
        pred: impl Fn(&RecordedCall) -> bool,
    ) -> Vec<RecordedCall> {
        self.wait_until(&format!("{n} REST calls matching the predicate"), |d| {
            let found: Vec<_> = d
                .shared
                .core()
                .calls
                .iter()
                .filter(|c| pred(c))
                .cloned()
                .collect();
            (found.len() >= n).then_some(found)
        })
        .await
    }

    /// The callback that acknowledged `interaction` (status 204), or the first rejected one.
    pub async fn wait_for_interaction_response(&self, interaction: u64) -> RecordedCall {
        let prefix = format!("/interactions/{interaction}/");
        self.wait_until(&format!("a callback for interaction {interaction}"), |d| {
            d.shared
                .core()
                .calls
                .iter()
                .find(|c| {
                    c.method == "POST"
                        && c.path.starts_with(&prefix)
                        && c.path.ends_with("/callback")
                })
                .cloned()
        })
        .await
    }

    /// The interaction's first visible reply: the original response once it has content or
    /// embeds (a deferred reply counts once edited), or else a followup.
    pub async fn wait_for_reply(&self, interaction: u64) -> MessageView {
        self.wait_until(&format!("a reply to interaction {interaction}"), |d| {
            d.replies_to(interaction).into_iter().find(|m| {
                m.flags & 128 == 0
                    && (!m.content.is_empty() || !m.embeds.is_empty() || !m.attachments.is_empty())
            })
        })
        .await
    }

    /// The first message in any channel (not deleted) matching `pred`, e.g. the question the
    /// bot posted in a thread it just created.
    pub async fn wait_for_message_anywhere(
        &self,
        pred: impl Fn(&MessageView) -> bool,
    ) -> MessageView {
        self.wait_until("a message anywhere matching the predicate", |d| {
            let core = d.shared.core();
            core.world
                .messages
                .values()
                .filter(|m| !m.deleted)
                .map(MessageView::of)
                .find(|m| pred(m))
        })
        .await
    }

    /// The first message in `channel` (not deleted) matching `pred`.
    pub async fn wait_for_message(
        &self,
        channel: u64,
        pred: impl Fn(&MessageView) -> bool,
    ) -> MessageView {
        self.wait_until(
            &format!("a message in channel {channel} matching the predicate"),
            |d| d.messages_in(channel).into_iter().find(|m| pred(m)),
        )
        .await
    }
}

fn new_channel(id: u64, kind: u8, guild_id: Option<u64>, name: &str) -> Channel {
    Channel {
        id,
        kind,
        guild_id,
        name: name.to_string(),
        parent_id: None,
        owner_id: None,
        recipient: None,
        archived: false,
        locked: false,
        invitable: true,
        auto_archive_duration: 1440,
        thread_members: BTreeSet::new(),
        last_message_id: None,
        message_count: 0,
        deleted: false,
    }
}

impl World {
    pub(crate) fn dm_channel_with(&mut self, user: u64) -> u64 {
        if let Some(c) = self
            .channels
            .values()
            .find(|c| c.kind == channel_type::DM && c.recipient == Some(user))
        {
            return c.id;
        }
        let id = self.ids.next();
        let mut c = new_channel(id, channel_type::DM, None, "");
        c.recipient = Some(user);
        self.channels.insert(id, c);
        id
    }
}

fn report(core: &Core) -> String {
    let mut out = String::new();
    let skip = core.calls.len().saturating_sub(60);
    out.push_str(&format!(
        "REST calls ({} total, last {} shown):\n",
        core.calls.len(),
        core.calls.len() - skip
    ));
    for c in core.calls.iter().skip(skip) {
        out.push_str("  ");
        out.push_str(&c.summary());
        out.push('\n');
    }
    if !core.violations.is_empty() {
        out.push_str("Violations:\n");
        for v in &core.violations {
            out.push_str(&format!(
                "  {:?} (code {}) at #{} {} {}: {}\n",
                v.rule, v.code, v.call_index, v.method, v.path, v.detail
            ));
        }
    }
    if !core.leaks.is_empty() {
        out.push_str("Mention leaks:\n");
        for l in &core.leaks {
            out.push_str(&format!(
                "  {:?} in {} at #{} {} {}{}\n",
                l.ping,
                l.field,
                l.call_index,
                l.method,
                l.path,
                if l.explicitly_allowed {
                    " (explicitly allowed)"
                } else {
                    ""
                }
            ));
        }
    }
    if !core.unknown_routes.is_empty() {
        out.push_str(&format!("Unknown routes: {:?}\n", core.unknown_routes));
    }
    if !core.emulator_errors.is_empty() {
        out.push_str(&format!("Emulator errors: {:?}\n", core.emulator_errors));
    }
    out
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
