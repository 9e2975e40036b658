//! Channels, messages, reactions, threads and DMs.

use serde_json::{json, Value};

use super::super::log::Rule;
use super::super::model::{self, channel_type, perms, InteractionKind, Message};
use super::{id, query_param, rules, unknown, Ctx, Echo, Reply};

pub(super) fn create_dm(ctx: &mut Ctx) -> Reply {
    let recipient = ctx.body["recipient_id"]
        .as_str()
        .and_then(id)
        .or_else(|| ctx.body["recipient_id"].as_u64());
    match recipient.filter(|u| ctx.core.world.users.contains_key(u)) {
        Some(user) => {
            let channel = ctx.core.world.dm_channel_with(user);
            Reply::json(200, ctx.core.world.channel_json(channel))
        }
        None => Reply::error(400, 50035, "Invalid Form Body (recipient_id)"),
    }
}

pub(super) fn modify_channel(ctx: &mut Ctx, channel: u64) -> Reply {
    let body = ctx.body.clone();
    let w = &mut ctx.core.world;
    let c = w
        .channels
        .get_mut(&channel)
        .expect("checked by with_channel");
    if let Some(name) = body["name"].as_str() {
        c.name = name.to_string();
    }
    if let Some(v) = body["archived"].as_bool() {
        c.archived = v;
    }
    if let Some(v) = body["locked"].as_bool() {
        c.locked = v;
    }
    if let Some(v) = body["invitable"].as_bool() {
        c.invitable = v;
    }
    if let Some(v) = body["auto_archive_duration"].as_u64() {
        c.auto_archive_duration = v as u32;
    }
    let is_thread = c.is_thread();
    let json = w.channel_json(channel);
    ctx.echoes.push(Echo::Raw(
        if is_thread {
            "THREAD_UPDATE"
        } else {
            "CHANNEL_UPDATE"
        },
        json.clone(),
    ));
    Reply::json(200, json)
}

pub(super) fn delete_channel(ctx: &mut Ctx, channel: u64) -> Reply {
    let w = &mut ctx.core.world;
    let json = w.channel_json(channel);
    if let Some((event, payload)) = w.delete_channel(channel) {
        ctx.echoes.push(Echo::Raw(event, payload));
    }
    Reply::json(200, json)
}

pub(super) fn list_messages(ctx: &mut Ctx, channel: u64) -> Reply {
    let limit = query_param(&ctx.query, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 100);
    let before = query_param(&ctx.query, "before").and_then(|b| b.parse::<u64>().ok());
    let after = query_param(&ctx.query, "after").and_then(|a| a.parse::<u64>().ok());
    let w = &ctx.core.world;
    let mut list: Vec<&Message> = w
        .messages_in(channel)
        .into_iter()
        .filter(|m| {
            before.is_none_or(|b| m.id < b) && after.is_none_or(|a| m.id > a) && m.flags & 64 == 0
        })
        .collect();
    list.reverse();
    list.truncate(limit);
    Reply::json(
        200,
        list.into_iter().map(|m| w.message_json(m, false)).collect(),
    )
}

/// Whether the bot may post in `channel`; Err is Discord's answer.
pub(super) fn can_post(ctx: &mut Ctx, channel: u64) -> Result<(), Reply> {
    let w = &mut ctx.core.world;
    let c = &w.channels[&channel];
    let parent = c.parent_id.unwrap_or(c.id);
    if c.guild_id.is_some_and(|g| w.left_guilds.contains(&g)) {
        return Err(Reply::error(403, 50001, "Missing Access"));
    }
    if w.send_denied.contains(&channel) || w.send_denied.contains(&parent) {
        return Err(Reply::error(403, 50013, "Missing Permissions"));
    }
    if c.kind == channel_type::DM && c.recipient.is_some_and(|u| w.dms_closed.contains(&u)) {
        return Err(Reply::error(
            403,
            50007,
            "Cannot send messages to this user",
        ));
    }
    if c.is_thread() && c.archived {
        if c.locked {
            return Err(Reply::error(400, 50083, "Thread is archived"));
        }
        // Sending unarchives an unlocked thread.
        if let Some(c) = w.channels.get_mut(&channel) {
            c.archived = false;
        }
    }
    Ok(())
}

/// A new message authored by the bot (REST or interaction response). Validates, records leaks.
pub(super) fn new_bot_message(
    ctx: &mut Ctx,
    channel: u64,
    body: &Value,
    prefix: &str,
    interaction: Option<u64>,
    extra_flags: u64,
) -> Result<u64, Reply> {
    ctx.validate_message(body, prefix)?;
    let has_files = !ctx.files.is_empty();
    let empty = body["content"].as_str().is_none_or(str::is_empty)
        && body["embeds"].as_array().is_none_or(Vec::is_empty)
        && body["components"].as_array().is_none_or(Vec::is_empty)
        && body["sticker_ids"].as_array().is_none_or(Vec::is_empty)
        && body["poll"].is_null()
        && !has_files;
    if empty && extra_flags & 128 == 0 {
        ctx.violation(
            Rule::EmptyMessage,
            50006,
            "message has no content, embeds, components or files",
        );
        return Err(Reply::error(400, 50006, "Cannot send an empty message"));
    }
    ctx.check_leaks(body, body.get("allowed_mentions"), prefix);
    let attachments = ctx.files_as_attachments();
    let w = &mut ctx.core.world;
    let id = w.ids.next();
    let guild_id = w.channels.get(&channel).and_then(|c| c.guild_id);
    let reference = body["message_reference"]["message_id"]
        .as_str()
        .and_then(|m| m.parse().ok());
    let kind = match (
        interaction.map(|i| w.interactions.get(&i).map(|i| i.kind)),
        reference,
    ) {
        (Some(Some(InteractionKind::Command)), _) => 20,
        (_, Some(_)) => 19,
        _ => 0,
    };
    w.insert_message(
        id,
        Message {
            id,
            channel_id: channel,
            guild_id,
            author_id: w.bot_id,
            content: body["content"].as_str().unwrap_or_default().to_string(),
            embeds: body["embeds"].as_array().cloned().unwrap_or_default(),
            components: body["components"].as_array().cloned().unwrap_or_default(),
            attachments,
            flags: (body["flags"].as_u64().unwrap_or(0) & (4 | 64 | 4096)) | extra_flags,
            edited_at: None,
            deleted: false,
            reactions: Vec::new(),
            webhook_id: interaction.map(|_| w.app_id),
            interaction_id: interaction,
            reference,
            allowed_mentions: body.get("allowed_mentions").cloned(),
            thread_id: None,
            kind,
        },
    );
    if let Some(c) = w.channels.get_mut(&channel) {
        c.last_message_id = Some(id);
        c.message_count += 1;
    }
    Ok(id)
}

/// Applies an edit body to a message the bot authored.
pub(super) fn edit_bot_message(
    ctx: &mut Ctx,
    message: u64,
    body: &Value,
    prefix: &str,
) -> Result<(), Reply> {
    ctx.validate_message(body, prefix)?;
    let stored = ctx
        .core
        .world
        .messages
        .get(&message)
        .and_then(|m| m.allowed_mentions.clone());
    let allowed = body.get("allowed_mentions").cloned().or(stored);
    ctx.check_leaks(body, allowed.as_ref(), prefix);
    let new_files = ctx.files_as_attachments();
    let w = &mut ctx.core.world;
    let Some(m) = w.messages.get_mut(&message) else {
        return Err(Reply::error(404, 10008, "Unknown Message"));
    };
    if let Some(content) = body.get("content") {
        m.content = content.as_str().unwrap_or_default().to_string();
    }
    if let Some(embeds) = body.get("embeds") {
        m.embeds = embeds.as_array().cloned().unwrap_or_default();
    }
    if let Some(components) = body.get("components") {
        m.components = components.as_array().cloned().unwrap_or_default();
    }
    if let Some(flags) = body["flags"].as_u64() {
        m.flags = (m.flags & 64) | (flags & 4);
    }
    if let Some(a) = body.get("allowed_mentions") {
        m.allowed_mentions = Some(a.clone());
    }
    if let Some(keep) = body["attachments"].as_array() {
        let keep: Vec<String> = keep
            .iter()
            .filter_map(|a| a["id"].as_str().map(str::to_string))
            .collect();
        m.attachments.retain(|a| keep.contains(&a.id.to_string()));
    }
    m.attachments.extend(new_files);
    m.flags &= !128;
    m.edited_at = Some(model::iso_time(model::now_unix_ms()));
    Ok(())
}

pub(super) fn post_message(ctx: &mut Ctx, channel: u64) -> Reply {
    if let Err(reply) = can_post(ctx, channel) {
        return reply;
    }
    let body = ctx.body.clone();
    match new_bot_message(ctx, channel, &body, "", None, 0) {
        Ok(id) => {
            let guild = ctx.core.world.messages[&id].guild_id;
            ctx.echoes.push(Echo::Message("MESSAGE_CREATE", id, guild));
            let m = &ctx.core.world.messages[&id];
            Reply::json(200, ctx.core.world.message_json(m, false))
        }
        Err(reply) => reply,
    }
}

pub(super) fn one_message(ctx: &mut Ctx, channel: u64, message: &str) -> Reply {
    let Some(mid) = id(message).filter(|m| {
        ctx.core
            .world
            .messages
            .get(m)
            .is_some_and(|m| m.channel_id == channel && !m.deleted)
    }) else {
        return Reply::error(404, 10008, "Unknown Message");
    };
    let method = ctx.method.clone();
    let w = &ctx.core.world;
    let m = &w.messages[&mid];
    match method.as_str() {
        "GET" => Reply::json(200, w.message_json(m, false)),
        "PATCH" => {
            if m.author_id != w.bot_id {
                return Reply::error(403, 50005, "Cannot edit a message authored by another user");
            }
            let body = ctx.body.clone();
            if let Err(reply) = edit_bot_message(ctx, mid, &body, "") {
                return reply;
            }
            let m = &ctx.core.world.messages[&mid];
            ctx.echoes
                .push(Echo::Message("MESSAGE_UPDATE", mid, m.guild_id));
            Reply::json(200, ctx.core.world.message_json(m, false))
        }
        "DELETE" => {
            if m.author_id != w.bot_id {
                let Some(guild) = m.guild_id else {
                    return Reply::error(403, 50003, "Cannot execute action on a DM channel");
                };
                let allowed = w
                    .guilds
                    .get(&guild)
                    .is_some_and(|g| g.permissions_of(w.bot_id) & perms::MANAGE_MESSAGES != 0);
                if !allowed {
                    return Reply::error(403, 50013, "Missing Permissions");
                }
            }
            let guild = m.guild_id;
            if let Some(m) = ctx.core.world.messages.get_mut(&mid) {
                m.deleted = true;
            }
            ctx.echoes.push(Echo::Message("MESSAGE_DELETE", mid, guild));
            Reply::no_content()
        }
        _ => unknown(ctx),
    }
}

pub(super) fn reaction(
    ctx: &mut Ctx,
    channel: u64,
    message: &str,
    emoji: &str,
    who: &str,
) -> Reply {
    let Some(mid) = id(message).filter(|m| {
        ctx.core
            .world
            .messages
            .get(m)
            .is_some_and(|m| m.channel_id == channel && !m.deleted)
    }) else {
        return Reply::error(404, 10008, "Unknown Message");
    };
    let bot = ctx.core.world.bot_id;
    let user = if who == "@me" { Some(bot) } else { id(who) };
    let Some(user) = user else {
        return unknown(ctx);
    };
    let method = ctx.method.clone();
    let m = ctx.core.world.messages.get_mut(&mid).expect("checked");
    match method.as_str() {
        "PUT" if user == bot => {
            if !m.reactions.iter().any(|(e, u)| e == emoji && *u == user) {
                m.reactions.push((emoji.to_string(), user));
            }
            Reply::no_content()
        }
        "DELETE" => {
            m.reactions.retain(|(e, u)| !(e == emoji && *u == user));
            Reply::no_content()
        }
        _ => unknown(ctx),
    }
}

pub(super) fn clear_reactions(
    ctx: &mut Ctx,
    channel: u64,
    message: &str,
    emoji: Option<&str>,
) -> Reply {
    let Some(m) = id(message)
        .and_then(|m| ctx.core.world.messages.get_mut(&m))
        .filter(|m| m.channel_id == channel && !m.deleted)
    else {
        return Reply::error(404, 10008, "Unknown Message");
    };
    m.reactions
        .retain(|(e, _)| emoji.is_some_and(|only| only != e));
    Reply::no_content()
}

pub(super) fn create_thread(ctx: &mut Ctx, parent: u64, from_message: Option<&str>) -> Reply {
    let body = ctx.body.clone();
    let w = &mut ctx.core.world;
    let p = &w.channels[&parent];
    if p.kind != channel_type::GUILD_TEXT {
        return Reply::error(400, 50024, "Cannot execute action on this channel type");
    }
    let guild = p.guild_id;
    let name = body["name"].as_str().unwrap_or_default().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        let len = name.chars().count();
        return ctx.form_error(vec![rules::FieldError {
            path: "name".into(),
            message: format!("Must be between 1 and 100 in length (got {len})."),
        }]);
    }
    let kind = match from_message {
        Some(_) => channel_type::PUBLIC_THREAD,
        None => body["type"]
            .as_u64()
            .map_or(channel_type::PRIVATE_THREAD, |t| t as u8),
    };
    let bits = w.bot_permissions_in(parent);
    let needed = match kind {
        channel_type::PRIVATE_THREAD => perms::CREATE_PRIVATE_THREADS,
        channel_type::PUBLIC_THREAD => perms::CREATE_PUBLIC_THREADS,
        _ => return Reply::error(400, 50035, "Invalid Form Body (type)"),
    };
    if bits & needed == 0 {
        return Reply::error(403, 50013, "Missing Permissions");
    }
    let thread_id = match from_message {
        Some(message) => {
            let Some(mid) = id(message).filter(|m| {
                w.messages
                    .get(m)
                    .is_some_and(|m| m.channel_id == parent && !m.deleted)
            }) else {
                return Reply::error(404, 10008, "Unknown Message");
            };
            if w.messages[&mid].thread_id.is_some() {
                return Reply::error(
                    400,
                    160004,
                    "A thread has already been created for this message",
                );
            }
            if let Some(m) = w.messages.get_mut(&mid) {
                m.thread_id = Some(mid);
            }
            // Discord gives a thread started from a message the message's id.
            mid
        }
        None => w.ids.next(),
    };
    let mut thread = model::Channel {
        id: thread_id,
        kind,
        guild_id: guild,
        name,
        parent_id: Some(parent),
        owner_id: Some(w.bot_id),
        recipient: None,
        archived: false,
        locked: false,
        invitable: body["invitable"].as_bool().unwrap_or(true),
        auto_archive_duration: body["auto_archive_duration"].as_u64().unwrap_or(1440) as u32,
        thread_members: Default::default(),
        last_message_id: None,
        message_count: 0,
        deleted: false,
    };
    thread.thread_members.insert(w.bot_id);
    w.channels.insert(thread_id, thread);
    let json = w.channel_json(thread_id);
    let mut event = json.clone();
    event["newly_created"] = json!(true);
    ctx.echoes.push(Echo::Raw("THREAD_CREATE", event));
    Reply::json(201, json)
}

pub(super) fn thread_member(ctx: &mut Ctx, thread: u64, who: &str) -> Reply {
    let bot = ctx.core.world.bot_id;
    let user = if who == "@me" { Some(bot) } else { id(who) };
    let Some(user) = user.filter(|u| ctx.core.world.users.contains_key(u)) else {
        return Reply::error(404, 10013, "Unknown User");
    };
    let method = ctx.method.clone();
    let c = ctx.core.world.channels.get_mut(&thread).expect("checked");
    if !c.is_thread() {
        return Reply::error(400, 50024, "Cannot execute action on this channel type");
    }
    match method.as_str() {
        "PUT" => {
            c.thread_members.insert(user);
            Reply::no_content()
        }
        "DELETE" => {
            c.thread_members.remove(&user);
            Reply::no_content()
        }
        "GET" => Reply::json(200, model::World::thread_member_json(thread, user)),
        _ => unknown(ctx),
    }
}
