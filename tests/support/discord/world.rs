//! Test-side world building: users, guilds, roles, members, channels, threads, DMs, and the
//! switches that make Discord refuse things (thread permissions, closed DMs, lost permissions).

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use super::model::{self, channel_type, perms, Channel, Guild, Member, Role, User, World};
use super::FakeDiscord;

impl FakeDiscord {
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
        let deleted = self.shared.core().world.delete_channel(channel);
        let (event, payload) =
            deleted.unwrap_or_else(|| panic!("delete_channel: unknown channel {channel}"));
        self.dispatch_if_connected(event, payload);
    }

    /// The bot is removed from `guild` (kicked, or the server deleted): GUILD_DELETE without
    /// `unavailable`, as Discord sends it; the guild is left out of later READYs and posting in
    /// its channels answers 403 50001. `guild_outage` sends the outage form
    /// (`unavailable: true`) instead.
    pub fn remove_bot_from_guild(&self, guild: u64) {
        {
            let mut core = self.shared.core();
            assert!(
                core.world.guilds.contains_key(&guild),
                "remove_bot_from_guild: unknown guild {guild}"
            );
            core.world.left_guilds.insert(guild);
        }
        self.dispatch_if_connected("GUILD_DELETE", serde_json::json!({"id": guild.to_string()}));
    }

    /// A guild outage: GUILD_DELETE with `unavailable: true` (the bot is still a member).
    pub fn guild_outage(&self, guild: u64) {
        self.dispatch_if_connected(
            "GUILD_DELETE",
            serde_json::json!({"id": guild.to_string(), "unavailable": true}),
        );
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
}

pub(crate) fn new_channel(id: u64, kind: u8, guild_id: Option<u64>, name: &str) -> Channel {
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
