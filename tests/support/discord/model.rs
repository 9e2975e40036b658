//! The emulator's in-memory world (users, guilds, channels, messages, commands, interactions) and
//! the builders that render it as Discord v10 JSON.
//!
//! Every payload here is complete: serenity drops a gateway dispatch whose payload misses a
//! required field, so the smoke tests deserialize each kind with serenity's own model types.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// Milliseconds between the Unix epoch and Discord's epoch (2015-01-01).
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// Permission bits used by the emulator (Discord's numbering).
pub mod perms {
    pub const CREATE_INSTANT_INVITE: u64 = 1 << 0;
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const MANAGE_CHANNELS: u64 = 1 << 4;
    pub const MANAGE_GUILD: u64 = 1 << 5;
    pub const ADD_REACTIONS: u64 = 1 << 6;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const MANAGE_MESSAGES: u64 = 1 << 13;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const MENTION_EVERYONE: u64 = 1 << 17;
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    pub const MANAGE_THREADS: u64 = 1 << 34;
    pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
    pub const CREATE_PRIVATE_THREADS: u64 = 1 << 36;
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
    /// Every bit Discord defines today (used for owners and administrators).
    pub const ALL: u64 = (1 << 51) - 1;
    /// What a plain member gets from @everyone unless a test says otherwise.
    pub const MEMBER_DEFAULT: u64 = CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | CREATE_PRIVATE_THREADS
        | SEND_MESSAGES_IN_THREADS;
    /// What the bot was invited with (the README's invite URL).
    pub const BOT_DEFAULT: u64 = MEMBER_DEFAULT | MANAGE_THREADS;
}

/// Gateway intent bits the emulator honours when dispatching.
pub mod intents {
    pub const GUILDS: u64 = 1 << 0;
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    pub const DIRECT_MESSAGES: u64 = 1 << 12;
    pub const MESSAGE_CONTENT: u64 = 1 << 15;
}

/// Channel types (Discord's numbering).
pub mod channel_type {
    pub const GUILD_TEXT: u8 = 0;
    pub const DM: u8 = 1;
    pub const PUBLIC_THREAD: u8 = 11;
    pub const PRIVATE_THREAD: u8 = 12;
}

/// Makes snowflakes that increase with wall time and never repeat.
#[derive(Debug, Default)]
pub struct Snowflakes {
    last: u64,
}

impl Snowflakes {
    pub fn next(&mut self) -> u64 {
        let ms = now_unix_ms().saturating_sub(DISCORD_EPOCH_MS);
        let candidate = ms << 22;
        self.last = if candidate > self.last {
            candidate
        } else {
            self.last + 1
        };
        self.last
    }
}

pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// RFC 3339 time of a snowflake, as Discord writes `timestamp` fields.
pub fn snowflake_time(id: u64) -> String {
    iso_time((id >> 22) + DISCORD_EPOCH_MS)
}

pub fn iso_time(unix_ms: u64) -> String {
    jiff::Timestamp::from_millisecond(unix_ms as i64)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "2015-01-01T00:00:00Z".to_string())
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub bot: bool,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
    pub position: u16,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: u64,
    pub roles: Vec<u64>,
    pub nick: Option<String>,
    pub joined_at: String,
}

#[derive(Debug, Clone)]
pub struct Guild {
    pub id: u64,
    pub name: String,
    pub owner_id: u64,
    /// The @everyone role has the guild's id; it is always first.
    pub roles: Vec<Role>,
    pub members: BTreeMap<u64, Member>,
    pub joined_at: String,
}

impl Guild {
    /// Discord's base permission computation (no channel overwrites).
    pub fn permissions_of(&self, user_id: u64) -> u64 {
        if user_id == self.owner_id {
            return perms::ALL;
        }
        let everyone = self
            .roles
            .iter()
            .find(|r| r.id == self.id)
            .map_or(0, |r| r.permissions);
        let member_bits = self.members.get(&user_id).map_or(0, |m| {
            self.roles
                .iter()
                .filter(|r| m.roles.contains(&r.id))
                .fold(0, |acc, r| acc | r.permissions)
        });
        let bits = everyone | member_bits;
        if bits & perms::ADMINISTRATOR != 0 {
            perms::ALL
        } else {
            bits
        }
    }
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: u64,
    pub kind: u8,
    pub guild_id: Option<u64>,
    pub name: String,
    pub parent_id: Option<u64>,
    pub owner_id: Option<u64>,
    /// DM channels: the other user.
    pub recipient: Option<u64>,
    pub archived: bool,
    pub locked: bool,
    pub invitable: bool,
    pub auto_archive_duration: u32,
    pub thread_members: BTreeSet<u64>,
    pub last_message_id: Option<u64>,
    /// Messages ever sent here (threads report it; counted, not scanned, for load runs).
    pub message_count: u32,
    pub deleted: bool,
}

impl Channel {
    pub fn is_thread(&self) -> bool {
        matches!(
            self.kind,
            channel_type::PUBLIC_THREAD | channel_type::PRIVATE_THREAD
        )
    }
}

/// A file uploaded with a message (multipart body).
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub id: u64,
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub id: u64,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    pub author_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub attachments: Vec<Attachment>,
    pub flags: u64,
    pub edited_at: Option<String>,
    pub deleted: bool,
    /// (emoji, user id), in the order they were added.
    pub reactions: Vec<(String, u64)>,
    /// Set on messages sent through an interaction response or followup.
    pub webhook_id: Option<u64>,
    pub interaction_id: Option<u64>,
    /// The message this one replies to.
    pub reference: Option<u64>,
    /// The allowed_mentions object the sender used (None when absent).
    pub allowed_mentions: Option<Value>,
    /// The thread started from this message.
    pub thread_id: Option<u64>,
    /// Discord's message type (0 default, 19 reply, 20 chat input command).
    pub kind: u8,
}

/// What kind of interaction was dispatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InteractionKind {
    Command,
    Component,
    Autocomplete,
    ModalSubmit,
}

#[derive(Debug, Clone)]
pub struct Interaction {
    pub id: u64,
    pub token: String,
    pub kind: InteractionKind,
    pub user_id: u64,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    /// The message a component sits on.
    pub message_id: Option<u64>,
    /// For a modal submit: the interaction that opened the modal.
    pub opener_id: Option<u64>,
    pub dispatched_at: Instant,
    /// Extra age a test added (to test deadlines without sleeping).
    pub aged_by: Duration,
    /// (callback type, when).
    pub ack: Option<(u8, Instant)>,
    /// The callback's data (content, embeds, modal, choices...).
    pub ack_data: Option<Value>,
    pub original_message_id: Option<u64>,
    pub followup_ids: Vec<u64>,
}

impl Interaction {
    pub fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.dispatched_at) + self.aged_by
    }
}

/// A registered application command, as the bot sent it plus the id the emulator assigned.
#[derive(Debug, Clone)]
pub struct RegisteredCommand {
    pub id: u64,
    /// None for global commands.
    pub guild_id: Option<u64>,
    pub name: String,
    /// The full command object as stored (with `id`, `application_id`, `version`).
    pub json: Value,
}

/// The whole in-memory Discord.
#[derive(Debug)]
pub struct World {
    pub ids: Snowflakes,
    pub app_id: u64,
    pub bot_id: u64,
    pub users: BTreeMap<u64, User>,
    pub guilds: BTreeMap<u64, Guild>,
    pub channels: BTreeMap<u64, Channel>,
    pub messages: BTreeMap<u64, Message>,
    /// Message ids per channel, oldest first.
    pub by_channel: HashMap<u64, Vec<u64>>,
    pub commands: Vec<RegisteredCommand>,
    pub interactions: HashMap<u64, Interaction>,
    pub interaction_by_token: HashMap<String, u64>,
    /// Whether the bot may create private threads (type 12).
    pub private_threads_allowed: bool,
    /// Whether the bot may create public threads.
    pub public_threads_allowed: bool,
    /// Users who closed their DMs: sending to their DM channel fails with 50007.
    pub dms_closed: BTreeSet<u64>,
    /// Channels where the bot lost Send Messages (posting → 403 50013).
    pub send_denied: BTreeSet<u64>,
    /// Guilds the bot was removed from: not in READY, their channels answer 403 50001.
    pub left_guilds: BTreeSet<u64>,
}

impl World {
    pub fn new() -> Self {
        let mut ids = Snowflakes::default();
        let app_id = ids.next();
        let mut users = BTreeMap::new();
        users.insert(
            app_id,
            User {
                id: app_id,
                name: "bar-raiser".into(),
                bot: true,
            },
        );
        World {
            ids,
            app_id,
            bot_id: app_id,
            users,
            guilds: BTreeMap::new(),
            channels: BTreeMap::new(),
            messages: BTreeMap::new(),
            by_channel: HashMap::new(),
            commands: Vec::new(),
            interactions: HashMap::new(),
            interaction_by_token: HashMap::new(),
            private_threads_allowed: true,
            public_threads_allowed: true,
            dms_closed: BTreeSet::new(),
            send_denied: BTreeSet::new(),
            left_guilds: BTreeSet::new(),
        }
    }

    pub fn user_json(&self, id: u64) -> Value {
        match self.users.get(&id) {
            Some(u) => json!({
                "id": u.id.to_string(),
                "username": u.name,
                "global_name": u.name,
                "discriminator": "0",
                "avatar": null,
                "bot": u.bot,
                "public_flags": 0,
                "flags": 0,
            }),
            None => json!({
                "id": id.to_string(),
                "username": format!("unknown-{id}"),
                "global_name": null,
                "discriminator": "0",
                "avatar": null,
                "bot": false,
                "public_flags": 0,
            }),
        }
    }

    pub fn role_json(role: &Role) -> Value {
        json!({
            "id": role.id.to_string(),
            "name": role.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
            "hoist": false,
            "icon": null,
            "unicode_emoji": null,
            "position": role.position,
            "permissions": role.permissions.to_string(),
            "managed": false,
            "mentionable": true,
            "flags": 0,
        })
    }

    /// A guild member with its user; `with_permissions` adds the computed permissions as
    /// interactions carry them.
    pub fn member_json(&self, guild_id: u64, user_id: u64, with_permissions: bool) -> Value {
        let guild = self.guilds.get(&guild_id);
        let member = guild.and_then(|g| g.members.get(&user_id));
        let mut value = json!({
            "user": self.user_json(user_id),
            "nick": member.and_then(|m| m.nick.clone()),
            "avatar": null,
            "banner": null,
            "roles": member.map_or(Vec::new(), |m| m.roles.iter().map(|r| r.to_string()).collect()),
            "joined_at": member.map_or_else(|| iso_time(now_unix_ms()), |m| m.joined_at.clone()),
            "premium_since": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
            "communication_disabled_until": null,
            "guild_id": guild_id.to_string(),
        });
        if with_permissions {
            let bits = guild.map_or(0, |g| g.permissions_of(user_id));
            value["permissions"] = json!(bits.to_string());
        }
        value
    }

    pub fn channel_json(&self, id: u64) -> Value {
        let Some(c) = self.channels.get(&id) else {
            return json!({"id": id.to_string(), "type": 0, "name": "unknown"});
        };
        if c.kind == channel_type::DM {
            return json!({
                "id": c.id.to_string(),
                "type": 1,
                "last_message_id": c.last_message_id.map(|m| m.to_string()),
                "recipients": [self.user_json(c.recipient.unwrap_or(0))],
                "flags": 0,
            });
        }
        let mut value = json!({
            "id": c.id.to_string(),
            "type": c.kind,
            "guild_id": c.guild_id.map(|g| g.to_string()),
            "name": c.name,
            "position": 0,
            "permission_overwrites": [],
            "topic": null,
            "nsfw": false,
            "last_message_id": c.last_message_id.map(|m| m.to_string()),
            "rate_limit_per_user": 0,
            "parent_id": c.parent_id.map(|p| p.to_string()),
            "flags": 0,
        });
        if c.is_thread() {
            value["owner_id"] = json!(c.owner_id.map(|o| o.to_string()));
            value["message_count"] = json!(c.message_count);
            value["member_count"] = json!(c.thread_members.len().min(50));
            value["total_message_sent"] = json!(c.message_count);
            value["thread_metadata"] = json!({
                "archived": c.archived,
                "auto_archive_duration": c.auto_archive_duration,
                "archive_timestamp": snowflake_time(c.id),
                "locked": c.locked,
                "invitable": c.invitable,
                "create_timestamp": snowflake_time(c.id),
            });
        }
        value
    }

    /// Marks a channel deleted; returns the dispatch Discord sends for it.
    pub fn delete_channel(&mut self, id: u64) -> Option<(&'static str, Value)> {
        let json = self.channel_json(id);
        let c = self.channels.get_mut(&id)?;
        c.deleted = true;
        Some(if c.is_thread() {
            let d = json!({
                "id": c.id.to_string(),
                "guild_id": c.guild_id.map(|g| g.to_string()),
                "parent_id": c.parent_id.map(|p| p.to_string()),
                "type": c.kind,
            });
            ("THREAD_DELETE", d)
        } else {
            ("CHANNEL_DELETE", json)
        })
    }

    /// A thread member object.
    pub fn thread_member_json(thread: u64, user: u64) -> Value {
        json!({
            "id": thread.to_string(),
            "user_id": user.to_string(),
            "join_timestamp": snowflake_time(thread),
            "flags": 0,
        })
    }

    /// A partial channel as interactions carry it.
    pub fn partial_channel_json(&self, id: u64) -> Value {
        let c = self.channels.get(&id);
        let mut value = json!({
            "id": id.to_string(),
            "type": c.map_or(0, |c| c.kind),
            "flags": 0,
            "permissions": self.bot_permissions_in(id).to_string(),
        });
        if let Some(c) = c {
            if c.kind != channel_type::DM {
                value["name"] = json!(c.name);
                value["guild_id"] = json!(c.guild_id.map(|g| g.to_string()));
            }
            if let Some(parent) = c.parent_id {
                value["parent_id"] = json!(parent.to_string());
            }
            if c.is_thread() {
                value["thread_metadata"] = self.channel_json(id)["thread_metadata"].clone();
            }
        }
        value
    }

    /// The guild as GUILD_CREATE carries it (complete, with members, channels and threads).
    pub fn guild_create_json(&self, guild_id: u64) -> Value {
        let mut value = self.guild_json(guild_id);
        let Some(g) = self.guilds.get(&guild_id) else {
            return value;
        };
        let (threads, channels): (Vec<&Channel>, Vec<&Channel>) = self
            .channels
            .values()
            .filter(|c| c.guild_id == Some(guild_id) && !c.deleted)
            .partition(|c| c.is_thread());
        value["joined_at"] = json!(g.joined_at);
        value["large"] = json!(false);
        value["unavailable"] = json!(false);
        value["member_count"] = json!(g.members.len());
        value["voice_states"] = json!([]);
        value["members"] = g
            .members
            .keys()
            .map(|u| self.member_json(guild_id, *u, false))
            .collect::<Value>();
        value["channels"] = channels
            .iter()
            .map(|c| self.channel_json(c.id))
            .collect::<Value>();
        value["threads"] = threads
            .iter()
            .filter(|t| !t.archived)
            .map(|c| self.channel_json(c.id))
            .collect::<Value>();
        value["presences"] = json!([]);
        value["stage_instances"] = json!([]);
        value["guild_scheduled_events"] = json!([]);
        value["soundboard_sounds"] = json!([]);
        value
    }

    /// The guild as REST `GET /guilds/{id}` returns it.
    pub fn guild_json(&self, guild_id: u64) -> Value {
        let Some(g) = self.guilds.get(&guild_id) else {
            return json!({"id": guild_id.to_string()});
        };
        json!({
            "id": g.id.to_string(),
            "name": g.name,
            "icon": null,
            "icon_hash": null,
            "splash": null,
            "discovery_splash": null,
            "owner_id": g.owner_id.to_string(),
            "afk_channel_id": null,
            "afk_timeout": 300,
            "widget_enabled": false,
            "widget_channel_id": null,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": g.roles.iter().map(Self::role_json).collect::<Vec<_>>(),
            "emojis": [],
            "features": [],
            "mfa_level": 0,
            "application_id": null,
            "system_channel_id": null,
            "system_channel_flags": 0,
            "rules_channel_id": null,
            "max_presences": null,
            "max_members": 500000,
            "vanity_url_code": null,
            "description": null,
            "banner": null,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": null,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "approximate_member_count": null,
            "approximate_presence_count": null,
            "nsfw_level": 0,
            "stickers": [],
            "premium_progress_bar_enabled": false,
            "safety_alerts_channel_id": null,
            "incidents_data": null,
        })
    }

    pub fn message_json(&self, message: &Message, redact_content: bool) -> Value {
        let author = self.user_json(message.author_id);
        let mentions: Vec<Value> = super::rules::mentioned_user_ids(&message.content)
            .into_iter()
            .map(|id| self.user_json(id))
            .collect();
        let mention_roles: Vec<String> = super::rules::mentioned_role_ids(&message.content)
            .into_iter()
            .map(|id| id.to_string())
            .collect();
        let (content, embeds, attachments, components) = if redact_content {
            (String::new(), Vec::new(), Vec::new(), Vec::new())
        } else {
            (
                message.content.clone(),
                message.embeds.clone(),
                message
                    .attachments
                    .iter()
                    .map(|a| attachment_json(message.channel_id, a))
                    .collect(),
                message.components.clone(),
            )
        };
        let mut reactions: Vec<Value> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (emoji, _) in &message.reactions {
            if seen.contains(&emoji.as_str()) {
                continue;
            }
            seen.push(emoji);
            let users: Vec<u64> = message
                .reactions
                .iter()
                .filter(|(e, _)| e == emoji)
                .map(|(_, u)| *u)
                .collect();
            reactions.push(json!({
                "count": users.len(),
                "count_details": {"burst": 0, "normal": users.len()},
                "me": users.contains(&self.bot_id),
                "me_burst": false,
                "emoji": emoji_json(emoji),
                "burst_colors": [],
            }));
        }
        let mentions_everyone =
            message.content.contains("@everyone") || message.content.contains("@here");
        let mut value = json!({
            "id": message.id.to_string(),
            "channel_id": message.channel_id.to_string(),
            "author": author,
            "content": content,
            "timestamp": snowflake_time(message.id),
            "edited_timestamp": message.edited_at,
            "tts": false,
            "mention_everyone": mentions_everyone,
            "mentions": mentions,
            "mention_roles": mention_roles,
            "attachments": attachments,
            "embeds": embeds,
            "reactions": reactions,
            "pinned": false,
            "type": message.kind,
            "flags": message.flags,
            "components": components,
            "webhook_id": message.webhook_id.map(|w| w.to_string()),
            "application_id": message.webhook_id.map(|w| w.to_string()),
        });
        if let Some(guild_id) = message.guild_id {
            value["guild_id"] = json!(guild_id.to_string());
            let mut member = self.member_json(guild_id, message.author_id, false);
            if let Some(m) = member.as_object_mut() {
                m.remove("user");
                m.remove("guild_id");
            }
            value["member"] = member;
        }
        if let Some(reference) = message.reference {
            value["message_reference"] = json!({
                "type": 0,
                "message_id": reference.to_string(),
                "channel_id": message.channel_id.to_string(),
                "guild_id": message.guild_id.map(|g| g.to_string()),
            });
        }
        if let Some(thread_id) = message.thread_id {
            if self.channels.contains_key(&thread_id) {
                value["thread"] = self.channel_json(thread_id);
            }
        }
        if let Some(metadata) = message
            .interaction_id
            .and_then(|i| self.interaction_metadata_json(i))
        {
            value["interaction_metadata"] = metadata;
        }
        value
    }

    /// `interaction_metadata` of a message sent in response to an interaction.
    pub fn interaction_metadata_json(&self, interaction: u64) -> Option<Value> {
        let i = self.interactions.get(&interaction)?;
        let mut value = json!({
            "id": i.id.to_string(),
            "type": interaction_type_number(i.kind),
            "user": self.user_json(i.user_id),
            "authorizing_integration_owners": integration_owners(i.guild_id, i.user_id),
            "original_response_message_id": i.original_message_id.map(|m| m.to_string()),
        });
        if let Some(m) = i.message_id {
            value["interacted_message_id"] = json!(m.to_string());
        }
        if i.kind == InteractionKind::ModalSubmit {
            value["triggering_interaction_metadata"] = i
                .opener_id
                .and_then(|o| self.interaction_metadata_json(o))?;
        }
        Some(value)
    }

    /// Messages of a channel that were not deleted, oldest first.
    pub fn messages_in(&self, channel_id: u64) -> Vec<&Message> {
        self.by_channel
            .get(&channel_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.messages.get(id))
            .filter(|m| !m.deleted)
            .collect()
    }

    /// Stores a new message and indexes it by channel (ids increase, so the index stays sorted).
    pub fn insert_message(&mut self, id: u64, message: Message) {
        self.by_channel
            .entry(message.channel_id)
            .or_default()
            .push(id);
        self.messages.insert(id, message);
    }

    /// The bot's permissions in a channel (threads inherit from their guild).
    pub fn bot_permissions_in(&self, channel_id: u64) -> u64 {
        let Some(channel) = self.channels.get(&channel_id) else {
            return 0;
        };
        let Some(guild_id) = channel.guild_id else {
            return perms::VIEW_CHANNEL
                | perms::SEND_MESSAGES
                | perms::EMBED_LINKS
                | perms::ATTACH_FILES
                | perms::READ_MESSAGE_HISTORY
                | perms::ADD_REACTIONS;
        };
        let mut bits = self
            .guilds
            .get(&guild_id)
            .map_or(0, |g| g.permissions_of(self.bot_id));
        if !self.private_threads_allowed {
            bits &= !perms::CREATE_PRIVATE_THREADS;
        }
        if !self.public_threads_allowed {
            bits &= !perms::CREATE_PUBLIC_THREADS;
        }
        bits
    }

    pub fn application_json(&self) -> Value {
        json!({
            "id": self.app_id.to_string(),
            "name": "bar-raiser",
            "icon": null,
            "description": "mock interviews",
            "rpc_origins": [],
            "bot_public": true,
            "bot_require_code_grant": false,
            "bot": self.user_json(self.bot_id),
            "terms_of_service_url": null,
            "privacy_policy_url": null,
            "owner": self.user_json(self.bot_id),
            "verify_key": "00",
            "team": null,
            "guild_id": null,
            "primary_sku_id": null,
            "slug": null,
            "cover_image": null,
            "flags": 0,
            "approximate_guild_count": self.guilds.len(),
            "redirect_uris": [],
            "interactions_endpoint_url": null,
            "role_connections_verification_url": null,
            "tags": [],
            "install_params": null,
            "integration_types_config": {},
            "custom_install_url": null,
        })
    }
}

pub fn attachment_json(channel_id: u64, a: &Attachment) -> Value {
    let url = format!(
        "https://cdn.discordapp.com/attachments/{channel_id}/{}/{}",
        a.id, a.filename
    );
    json!({
        "id": a.id.to_string(),
        "filename": a.filename,
        "description": null,
        "content_type": a.content_type,
        "size": a.bytes.len(),
        "url": url,
        "proxy_url": url,
        "height": null,
        "width": null,
    })
}

/// A reaction emoji: unicode, or `name:id` for a custom one.
pub fn emoji_json(emoji: &str) -> Value {
    match emoji.split_once(':') {
        Some((name, id)) if id.chars().all(|c| c.is_ascii_digit()) => {
            json!({"id": id, "name": name, "animated": false})
        }
        _ => json!({"id": null, "name": emoji}),
    }
}

pub fn interaction_type_number(kind: InteractionKind) -> u8 {
    match kind {
        InteractionKind::Command => 2,
        InteractionKind::Component => 3,
        InteractionKind::Autocomplete => 4,
        InteractionKind::ModalSubmit => 5,
    }
}

/// `authorizing_integration_owners`: installed in the guild (key "0") or for the user ("1").
pub fn integration_owners(guild_id: Option<u64>, user_id: u64) -> Value {
    match guild_id {
        Some(g) => json!({"0": g.to_string()}),
        None => json!({"1": user_id.to_string()}),
    }
}
