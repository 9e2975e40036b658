//! Test-side actions of users: messages, slash commands, autocomplete, button clicks, select
//! menus and modal submits, each built as a complete gateway dispatch.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::model::{self, intents, Interaction, InteractionKind, Message, World};
use super::{gateway, FakeDiscord};

/// (custom_id, component type) of every component in a list of action rows.
pub fn component_ids(rows: &[Value]) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for row in rows {
        for c in row["components"].as_array().into_iter().flatten() {
            if let Some(id) = c["custom_id"].as_str() {
                out.push((id.to_string(), c["type"].as_u64().unwrap_or(0)));
            }
        }
    }
    out
}

impl FakeDiscord {
    /// A user posts `content` in `channel` (MESSAGE_CREATE). Returns the message id.
    pub fn send_message(&self, channel: u64, user: u64, content: &str) -> u64 {
        let id = self.prepare_message(channel, user, content, None);
        self.deliver_message(id);
        id
    }

    /// Like `send_message`, as a reply to `reference`.
    pub fn send_message_replying(
        &self,
        channel: u64,
        user: u64,
        content: &str,
        reference: Option<u64>,
    ) -> u64 {
        let id = self.prepare_message(channel, user, content, reference);
        self.deliver_message(id);
        id
    }

    /// Sends MESSAGE_CREATE for a message made with `prepare_message`, carrying its current
    /// state (call it after `edit_message` to deliver an edit before its create).
    pub fn deliver_message(&self, message: u64) {
        self.dispatch_message_event("MESSAGE_CREATE", message, self.guild_of_message(message));
    }

    fn guild_of_message(&self, message: u64) -> Option<u64> {
        self.shared
            .core()
            .world
            .messages
            .get(&message)
            .and_then(|m| m.guild_id)
    }

    /// Puts a user's message in the world without dispatching it yet (see `deliver_message`).
    pub fn prepare_message(
        &self,
        channel: u64,
        user: u64,
        content: &str,
        reference: Option<u64>,
    ) -> u64 {
        {
            let mut core = self.shared.core();
            let w = &mut core.world;
            let c = w
                .channels
                .get(&channel)
                .unwrap_or_else(|| panic!("send_message: unknown channel {channel}"));
            let guild = c.guild_id;
            if c.is_thread() {
                // Posting in a thread joins it (and unarchives it, as Discord does).
                let c = w.channels.get_mut(&channel).expect("channel exists");
                c.thread_members.insert(user);
                c.archived = false;
            }
            let id = w.ids.next();
            w.insert_message(
                id,
                Message {
                    id,
                    channel_id: channel,
                    guild_id: guild,
                    author_id: user,
                    content: content.to_string(),
                    embeds: Vec::new(),
                    components: Vec::new(),
                    attachments: Vec::new(),
                    flags: 0,
                    edited_at: None,
                    deleted: false,
                    reactions: Vec::new(),
                    webhook_id: None,
                    interaction_id: None,
                    reference,
                    allowed_mentions: None,
                    thread_id: None,
                    kind: if reference.is_some() { 19 } else { 0 },
                },
            );
            if let Some(c) = w.channels.get_mut(&channel) {
                c.last_message_id = Some(id);
                c.message_count += 1;
            }
            id
        }
    }

    /// The author edits a message (MESSAGE_UPDATE with the full message).
    pub fn edit_message(&self, message: u64, content: &str) {
        let guild = self.edit_message_held(message, content);
        self.dispatch_message_event("MESSAGE_UPDATE", message, guild);
    }

    /// The author edits a message, but its MESSAGE_UPDATE is still on its way: reads already
    /// show the new content; `deliver_edit` sends the event. Returns the message's guild.
    pub fn edit_message_held(&self, message: u64, content: &str) -> Option<u64> {
        let mut core = self.shared.core();
        let m = core
            .world
            .messages
            .get_mut(&message)
            .unwrap_or_else(|| panic!("edit_message: unknown message {message}"));
        m.content = content.to_string();
        m.edited_at = Some(model::iso_time(model::now_unix_ms()));
        m.guild_id
    }

    /// Sends the MESSAGE_UPDATE of an edit made with `edit_message_held`.
    pub fn deliver_edit(&self, message: u64) {
        self.dispatch_message_event("MESSAGE_UPDATE", message, self.guild_of_message(message));
    }

    /// The author deletes a message (MESSAGE_DELETE).
    pub fn delete_message(&self, message: u64) {
        let guild = {
            let mut core = self.shared.core();
            let m = core
                .world
                .messages
                .get_mut(&message)
                .unwrap_or_else(|| panic!("delete_message: unknown message {message}"));
            m.deleted = true;
            m.guild_id
        };
        self.dispatch_message_event("MESSAGE_DELETE", message, guild);
    }

    /// Dispatches a message event if the bot's intents cover it, redacting content without
    /// MESSAGE_CONTENT, as Discord does.
    pub(crate) fn dispatch_message_event(&self, event: &str, message: u64, guild: Option<u64>) {
        if let Err(e) = dispatch_message_event(&self.shared, event, message, guild) {
            panic!("emulator: cannot dispatch {event}: {e}\n{}", self.report());
        }
    }

    /// A user runs a slash command. `command` is the name with its subcommand path
    /// ("interview start"); `options` is `{"name": value, ...}` or Discord's option array.
    /// Returns the interaction id.
    pub fn slash_command(&self, user: u64, channel: u64, command: &str, options: Value) -> u64 {
        self.command_interaction(user, channel, command, options, None)
    }

    /// A user types in an option with autocomplete; `focused` names that option.
    pub fn autocomplete(
        &self,
        user: u64,
        channel: u64,
        command: &str,
        options: Value,
        focused: &str,
    ) -> u64 {
        self.command_interaction(user, channel, command, options, Some(focused))
    }

    fn command_interaction(
        &self,
        user: u64,
        channel: u64,
        command: &str,
        options: Value,
        focused: Option<&str>,
    ) -> u64 {
        let payload = {
            let mut core = self.shared.core();
            let w = &mut core.world;
            let guild = w
                .channels
                .get(&channel)
                .unwrap_or_else(|| panic!("slash_command: unknown channel {channel}"))
                .guild_id;
            let mut path = command.split_whitespace();
            let name = path
                .next()
                .unwrap_or_else(|| panic!("slash_command: empty command name"));
            let registered = w
                .commands
                .iter()
                .filter(|c| c.name == name && (c.guild_id.is_none() || c.guild_id == guild))
                .max_by_key(|c| c.guild_id.is_some())
                .cloned()
                .unwrap_or_else(|| {
                    let names: Vec<_> = w
                        .commands
                        .iter()
                        .map(|c| (c.name.clone(), c.guild_id))
                        .collect();
                    panic!(
                        "slash_command: the bot never registered /{name} for this channel; \
                         registered: {names:?}"
                    )
                });
            let mut definition = registered.json.clone();
            let mut chain: Vec<(String, u64)> = Vec::new();
            for sub in path {
                let found = definition["options"]
                    .as_array()
                    .and_then(|o| {
                        o.iter()
                            .find(|o| o["name"] == sub && matches!(o["type"].as_u64(), Some(1 | 2)))
                    })
                    .cloned()
                    .unwrap_or_else(|| {
                        panic!("slash_command: /{command}: no subcommand {sub:?} in {definition}")
                    });
                chain.push((sub.to_string(), found["type"].as_u64().unwrap_or(1)));
                definition = found;
            }
            let mut leaf = typed_options(&definition, options, command);
            if let Some(focused) = focused {
                let option = leaf
                    .iter_mut()
                    .find(|o| o["name"] == focused)
                    .unwrap_or_else(|| {
                        panic!("autocomplete: option {focused:?} not given in the options")
                    });
                option["focused"] = json!(true);
                if !option["value"].is_string() {
                    option["value"] = json!(option["value"].to_string());
                }
            }
            let resolved = resolve_options(w, &leaf, guild);
            let mut nested = Value::Array(leaf);
            for (sub, kind) in chain.into_iter().rev() {
                nested = json!([{"name": sub, "type": kind, "options": nested}]);
            }
            let mut data = json!({
                "id": registered.id.to_string(),
                "name": name,
                "type": 1,
                "options": nested,
                "resolved": resolved,
            });
            if let Some(g) = registered.guild_id {
                data["guild_id"] = json!(g.to_string());
            }
            let kind = if focused.is_some() {
                InteractionKind::Autocomplete
            } else {
                InteractionKind::Command
            };
            new_interaction(w, kind, user, channel, guild, None, data)
        };
        self.dispatch_interaction(payload)
    }

    /// A user clicks the button `custom_id` on `message`.
    pub fn click_button(&self, user: u64, message: u64, custom_id: &str) -> u64 {
        self.component_interaction(user, message, custom_id, None)
    }

    /// A user picks `values` in the select menu `custom_id` on `message`.
    pub fn select_menu(&self, user: u64, message: u64, custom_id: &str, values: &[&str]) -> u64 {
        self.component_interaction(user, message, custom_id, Some(values))
    }

    fn component_interaction(
        &self,
        user: u64,
        message: u64,
        custom_id: &str,
        values: Option<&[&str]>,
    ) -> u64 {
        let payload = {
            let mut core = self.shared.core();
            let w = &mut core.world;
            let m = w
                .messages
                .get(&message)
                .unwrap_or_else(|| panic!("click: unknown message {message}"))
                .clone();
            assert!(!m.deleted, "click: message {message} was deleted");
            let ids = component_ids(&m.components);
            let component = m
                .components
                .iter()
                .flat_map(|row| row["components"].as_array().into_iter().flatten())
                .find(|c| c["custom_id"] == custom_id)
                .cloned()
                .unwrap_or(Value::Null);
            assert!(
                component["disabled"] != json!(true),
                "click: component {custom_id:?} on message {message} is disabled; \
                 Discord would not send this interaction"
            );
            if let (Some(values), Some(options)) = (values, component["options"].as_array()) {
                for v in values {
                    assert!(
                        options.iter().any(|o| o["value"] == *v),
                        "select_menu: {v:?} is not an option of {custom_id:?}: {options:?}"
                    );
                }
                let min = component["min_values"].as_u64().unwrap_or(1) as usize;
                let max = component["max_values"].as_u64().unwrap_or(1) as usize;
                assert!(
                    (min..=max).contains(&values.len()),
                    "select_menu: {} values picked in {custom_id:?}, allowed {min}..={max}",
                    values.len()
                );
            }
            let found = ids.iter().find(|(id, _)| id == custom_id).cloned();
            let (_, component_type) = found.unwrap_or_else(|| {
                panic!(
                    "click: message {message} has no component with custom_id {custom_id:?}; \
                     it has {ids:?}"
                )
            });
            match (values.is_some(), component_type) {
                (false, 2) | (true, 3..=8) => {}
                (false, t) => {
                    panic!("click_button: component {custom_id:?} is of type {t}, not a button")
                }
                (true, t) => {
                    panic!("select_menu: component {custom_id:?} is of type {t}, not a select menu")
                }
            }
            let mut data = json!({"custom_id": custom_id, "component_type": component_type});
            if let Some(values) = values {
                data["values"] = json!(values);
            }
            let message_json = w.message_json(&m, false);
            new_interaction(
                w,
                InteractionKind::Component,
                user,
                m.channel_id,
                m.guild_id,
                Some((m.id, message_json)),
                data,
            )
        };
        self.dispatch_interaction(payload)
    }

    /// A user submits the modal `custom_id` the bot opened for them (callback type 9), with
    /// `(text input custom_id, value)` pairs; inputs not given are submitted empty.
    pub fn submit_modal(&self, user: u64, custom_id: &str, fields: &[(&str, &str)]) -> u64 {
        let payload = {
            let mut core = self.shared.core();
            let w = &mut core.world;
            let opener = w
                .interactions
                .values()
                .filter(|i| {
                    i.user_id == user
                        && i.ack.map(|(t, _)| t) == Some(9)
                        && i.ack_data
                            .as_ref()
                            .is_some_and(|d| d["custom_id"] == custom_id)
                })
                .max_by_key(|i| i.id)
                .cloned()
                .unwrap_or_else(|| {
                    panic!("submit_modal: no modal {custom_id:?} was opened for user {user}")
                });
            let modal = opener.ack_data.clone().unwrap_or(Value::Null);
            let inputs = component_ids(
                modal["components"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or(&[]),
            );
            for (name, _) in fields {
                assert!(
                    inputs.iter().any(|(id, _)| id == name),
                    "submit_modal: modal {custom_id:?} has no input {name:?}; it has {inputs:?}"
                );
            }
            let rows: Vec<Value> = inputs
                .iter()
                .map(|(id, _)| {
                    let value = fields.iter().find(|(n, _)| n == id).map_or("", |(_, v)| *v);
                    json!({"type": 1, "components": [{"type": 4, "custom_id": id, "value": value}]})
                })
                .collect();
            let data = json!({"custom_id": custom_id, "components": rows});
            let message = opener
                .message_id
                .and_then(|id| w.messages.get(&id).cloned())
                .map(|m| (m.id, w.message_json(&m, false)));
            new_interaction(
                w,
                InteractionKind::ModalSubmit,
                user,
                opener.channel_id,
                opener.guild_id,
                message,
                data,
            )
        };
        self.dispatch_interaction(payload)
    }

    /// A click on `message` carrying any `custom_id` (a button's, or a select menu's with
    /// `values`), whether or not the message shows that component: what reaches a bot from a
    /// message sent by an older version of it, or from a tampered client. Bad-input tests only;
    /// `click_button` checks the component is there.
    pub fn click_forged(
        &self,
        user: u64,
        message: u64,
        custom_id: &str,
        values: Option<&[&str]>,
    ) -> u64 {
        let payload = {
            let mut core = self.shared.core();
            let w = &mut core.world;
            let m = w
                .messages
                .get(&message)
                .unwrap_or_else(|| panic!("click_forged: unknown message {message}"))
                .clone();
            let mut data = json!({"custom_id": custom_id, "component_type": 2});
            if let Some(values) = values {
                data["component_type"] = json!(3);
                data["values"] = json!(values);
            }
            let message_json = w.message_json(&m, false);
            new_interaction(
                w,
                InteractionKind::Component,
                user,
                m.channel_id,
                m.guild_id,
                Some((m.id, message_json)),
                data,
            )
        };
        self.dispatch_interaction(payload)
    }

    /// A modal submit with any `custom_id` and inputs, as from a form opened on `message`
    /// (no modal needs to have been opened): a form left open across a restart or an older
    /// version of the bot. Bad-input tests only; `submit_modal` checks the modal was opened.
    pub fn submit_forged_modal(
        &self,
        user: u64,
        message: u64,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> u64 {
        let payload = {
            let mut core = self.shared.core();
            let w = &mut core.world;
            let m = w
                .messages
                .get(&message)
                .unwrap_or_else(|| panic!("submit_forged_modal: unknown message {message}"))
                .clone();
            let rows: Vec<Value> = fields
                .iter()
                .map(|(id, value)| {
                    json!({"type": 1, "components": [{"type": 4, "custom_id": id, "value": value}]})
                })
                .collect();
            let data = json!({"custom_id": custom_id, "components": rows});
            let message_json = w.message_json(&m, false);
            new_interaction(
                w,
                InteractionKind::ModalSubmit,
                user,
                m.channel_id,
                m.guild_id,
                Some((m.id, message_json)),
                data,
            )
        };
        self.dispatch_interaction(payload)
    }

    fn dispatch_interaction(&self, (id, payload): (u64, Value)) -> u64 {
        if let Err(e) = self.try_dispatch("INTERACTION_CREATE", payload, Some(id)) {
            panic!(
                "emulator: cannot dispatch INTERACTION_CREATE: {e}\n{}",
                self.report()
            );
        }
        id
    }
}

/// Options in Discord's array form with `type` filled in from the registered definition.
fn typed_options(definition: &Value, options: Value, command: &str) -> Vec<Value> {
    let given: Vec<Value> = match options {
        Value::Null => Vec::new(),
        Value::Object(map) => map
            .into_iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect(),
        Value::Array(items) => items,
        other => panic!("slash_command: options must be an object or an array, got {other}"),
    };
    given
        .into_iter()
        .map(|mut o| {
            let name = o["name"].as_str().unwrap_or_default().to_string();
            let def = definition["options"]
                .as_array()
                .and_then(|defs| defs.iter().find(|d| d["name"] == name.as_str()))
                .unwrap_or_else(|| {
                    panic!(
                        "slash_command: /{command} has no option {name:?}; \
                         definition: {definition}"
                    )
                });
            if o.get("type").is_none() {
                o["type"] = def["type"].clone();
            }
            // Ids travel as strings.
            if matches!(o["type"].as_u64(), Some(6..=9 | 11)) {
                if let Some(n) = o["value"].as_u64() {
                    o["value"] = json!(n.to_string());
                }
            }
            o
        })
        .collect()
}

/// `resolved` for user, channel, role and mentionable options.
fn resolve_options(w: &World, options: &[Value], guild: Option<u64>) -> Value {
    let mut users = Map::new();
    let mut members = Map::new();
    let mut channels = Map::new();
    let mut roles = Map::new();
    for o in options {
        let Some(id) = o["value"].as_str().and_then(|v| v.parse::<u64>().ok()) else {
            continue;
        };
        match o["type"].as_u64() {
            Some(6) | Some(9) if w.users.contains_key(&id) => {
                users.insert(id.to_string(), w.user_json(id));
                if let Some(g) = guild {
                    let mut m = w.member_json(g, id, true);
                    if let Some(m) = m.as_object_mut() {
                        m.remove("user");
                    }
                    members.insert(id.to_string(), m);
                }
            }
            Some(7) => {
                channels.insert(id.to_string(), w.partial_channel_json(id));
            }
            Some(8) | Some(9) => {
                if let Some(r) = guild
                    .and_then(|g| w.guilds.get(&g))
                    .and_then(|g| g.roles.iter().find(|r| r.id == id))
                {
                    roles.insert(id.to_string(), World::role_json(r));
                }
            }
            _ => {}
        }
    }
    json!({
        "users": users,
        "members": members,
        "channels": channels,
        "roles": roles,
        "messages": {},
        "attachments": {},
    })
}

/// Registers the interaction in the world and builds its INTERACTION_CREATE payload.
fn new_interaction(
    w: &mut World,
    kind: InteractionKind,
    user: u64,
    channel: u64,
    guild: Option<u64>,
    message: Option<(u64, Value)>,
    data: Value,
) -> (u64, Value) {
    let id = w.ids.next();
    let token = format!("emulator-interaction-token-{id}");
    let mut payload = json!({
        "id": id.to_string(),
        "application_id": w.app_id.to_string(),
        "type": model::interaction_type_number(kind),
        "data": data,
        "channel": w.partial_channel_json(channel),
        "channel_id": channel.to_string(),
        "token": token,
        "version": 1,
        "app_permissions": w.bot_permissions_in(channel).to_string(),
        "locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": model::integration_owners(guild, user),
        "context": if guild.is_some() { 0 } else { 1 },
        "attachment_size_limit": 10_485_760,
    });
    match guild {
        Some(g) => {
            payload["guild_id"] = json!(g.to_string());
            payload["guild_locale"] = json!("en-US");
            payload["member"] = w.member_json(g, user, true);
        }
        None => payload["user"] = w.user_json(user),
    }
    let message_id = message.as_ref().map(|(id, _)| *id);
    if let Some((_, m)) = message {
        payload["message"] = m;
    }
    w.interactions.insert(
        id,
        Interaction {
            id,
            token: token.clone(),
            kind,
            user_id: user,
            channel_id: channel,
            guild_id: guild,
            message_id,
            opener_id: None,
            dispatched_at: Instant::now(),
            aged_by: Duration::ZERO,
            ack: None,
            ack_data: None,
            original_message_id: None,
            followup_ids: Vec::new(),
        },
    );
    w.interaction_by_token.insert(token, id);
    (id, payload)
}

/// Sends MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE for a message in the world, following
/// the bot's intents.
pub(crate) fn dispatch_message_event(
    shared: &std::sync::Arc<super::Shared>,
    event: &str,
    message: u64,
    guild: Option<u64>,
) -> Result<(), String> {
    let bot_intents = shared.gateway().intents;
    let needed = if guild.is_some() {
        intents::GUILD_MESSAGES
    } else {
        intents::DIRECT_MESSAGES
    };
    if bot_intents & needed == 0 {
        shared.gateway().record_dropped(event, Some(message));
        return Ok(());
    }
    let payload = {
        let core = shared.core();
        let w = &core.world;
        let Some(m) = w.messages.get(&message) else {
            return Err(format!("unknown message {message}"));
        };
        if event == "MESSAGE_DELETE" {
            let mut d = json!({"id": m.id.to_string(), "channel_id": m.channel_id.to_string()});
            if let Some(g) = m.guild_id {
                d["guild_id"] = json!(g.to_string());
            }
            d
        } else {
            let mentions_bot = super::rules::mentioned_user_ids(&m.content).contains(&w.bot_id);
            let redact = bot_intents & intents::MESSAGE_CONTENT == 0
                && guild.is_some()
                && m.author_id != w.bot_id
                && !mentions_bot;
            w.message_json(m, redact)
        }
    };
    gateway::try_dispatch(shared, event, payload, Some(message)).map(|_| ())
}
