//! Interaction callbacks (the 3-second ack) and the interaction webhook (followups, original
//! response).

use std::time::Instant;

use serde_json::json;

use super::super::log::Rule;
use super::super::model::InteractionKind;
use super::channels::{edit_bot_message, new_bot_message};
use super::{id, rules, unknown, Ctx, Echo, Reply};

/// `POST /interactions/{id}/{token}/callback`: the 3-second ack and everything it may carry.
pub(super) fn callback(ctx: &mut Ctx, interaction: &str, token: &str) -> Reply {
    let now = Instant::now();
    let deadline = ctx.core.options.ack_deadline;
    let Some(i) = id(interaction)
        .and_then(|i| ctx.core.world.interactions.get(&i))
        .filter(|i| i.token == token)
        .cloned()
    else {
        ctx.violation(
            Rule::UnknownInteraction,
            10062,
            "callback for an interaction the emulator never dispatched",
        );
        return Reply::error(404, 10062, "Unknown interaction");
    };
    if let Some((kind, _)) = i.ack {
        ctx.violation(
            Rule::DoubleAck,
            40060,
            format!("interaction {} already acknowledged with type {kind}", i.id),
        );
        return Reply::error(400, 40060, "Interaction has already been acknowledged.");
    }
    let age = i.age(now);
    if age > deadline {
        ctx.violation(
            Rule::LateAck,
            10062,
            format!("acknowledged {age:?} after dispatch (deadline {deadline:?})"),
        );
        return Reply::error(404, 10062, "Unknown interaction");
    }
    let body = ctx.body.clone();
    let kind = body["type"].as_u64().unwrap_or(0) as u8;
    let data = body["data"].clone();
    let from_message = i.message_id.is_some();
    let allowed = match i.kind {
        InteractionKind::Command => matches!(kind, 4 | 5 | 9),
        InteractionKind::Component => matches!(kind, 4 | 5 | 6 | 7 | 9),
        InteractionKind::ModalSubmit => {
            matches!(kind, 4 | 5) || (from_message && matches!(kind, 6 | 7))
        }
        InteractionKind::Autocomplete => kind == 8,
    };
    if !allowed {
        ctx.violation(
            Rule::InvalidCallbackType,
            50035,
            format!(
                "callback type {kind} is not valid for a {:?} interaction",
                i.kind
            ),
        );
        return Reply::json(
            400,
            json!({
                "message": "Invalid Form Body",
                "code": 50035,
                "errors": {"type": {"_errors": [{
                    "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                    "message": "Invalid interaction response type",
                }]}},
            }),
        );
    }
    let mut original = None;
    match kind {
        4 | 5 => {
            let extra = if kind == 5 { 128 } else { 0 };
            // Interaction responses need no channel permission, so no can_post here.
            let ephemeral = data["flags"].as_u64().unwrap_or(0) & 64;
            let message_body = if kind == 5 {
                json!({"flags": data["flags"].as_u64().unwrap_or(0)})
            } else {
                data.clone()
            };
            match new_bot_message(ctx, i.channel_id, &message_body, "data.", Some(i.id), extra) {
                Ok(mid) => {
                    original = Some(mid);
                    if ephemeral == 0 {
                        ctx.echoes
                            .push(Echo::Message("MESSAGE_CREATE", mid, i.guild_id));
                    }
                }
                Err(reply) => return reply,
            }
        }
        6 => original = i.message_id,
        7 => {
            let Some(mid) = i.message_id else {
                return Reply::error(400, 50035, "Invalid Form Body (no message to update)");
            };
            if let Err(reply) = edit_bot_message(ctx, mid, &data, "data.") {
                return reply;
            }
            original = Some(mid);
            if ctx
                .core
                .world
                .messages
                .get(&mid)
                .is_some_and(|m| m.flags & 64 == 0)
            {
                ctx.echoes
                    .push(Echo::Message("MESSAGE_UPDATE", mid, i.guild_id));
            }
        }
        8 => {
            let errors = rules::validate_choices(&data);
            if !errors.is_empty() {
                return ctx.form_error(errors);
            }
        }
        9 => {
            let errors = rules::validate_modal(&data);
            if !errors.is_empty() {
                return ctx.form_error(errors);
            }
        }
        _ => unreachable!("checked above"),
    }
    if let Some(stored) = ctx.core.world.interactions.get_mut(&i.id) {
        stored.ack = Some((kind, now));
        stored.ack_data = Some(data);
        stored.original_message_id = original;
    }
    Reply::no_content()
}

/// Followups and original-response edits through the interaction webhook.
pub(super) fn webhook(ctx: &mut Ctx, app: &str, token: &str, message: Option<&str>) -> Reply {
    let now = Instant::now();
    let lifetime = ctx.core.options.token_lifetime;
    if id(app) != Some(ctx.core.world.app_id) {
        return Reply::error(404, 10015, "Unknown Webhook");
    }
    let Some(i) = ctx
        .core
        .world
        .interaction_by_token
        .get(token)
        .and_then(|i| ctx.core.world.interactions.get(i))
        .cloned()
    else {
        return Reply::error(404, 10015, "Unknown Webhook");
    };
    if i.age(now) > lifetime {
        ctx.violation(
            Rule::ExpiredToken,
            50027,
            format!("interaction token used {:?} after dispatch", i.age(now)),
        );
        return Reply::error(401, 50027, "Invalid Webhook Token");
    }
    if i.ack.is_none() {
        ctx.violation(
            Rule::WebhookBeforeAck,
            10015,
            "followup or original-response call before the interaction was acknowledged",
        );
        return Reply::error(404, 10015, "Unknown Webhook");
    }
    let method = ctx.method.clone();
    let body = ctx.body.clone();
    match (method.as_str(), message) {
        ("POST", None) => {
            let ephemeral = body["flags"].as_u64().unwrap_or(0) & 64;
            match new_bot_message(ctx, i.channel_id, &body, "", Some(i.id), 0) {
                Ok(mid) => {
                    if let Some(stored) = ctx.core.world.interactions.get_mut(&i.id) {
                        stored.followup_ids.push(mid);
                    }
                    if ephemeral == 0 {
                        ctx.echoes
                            .push(Echo::Message("MESSAGE_CREATE", mid, i.guild_id));
                    }
                    let m = &ctx.core.world.messages[&mid];
                    Reply::json(200, ctx.core.world.message_json(m, false))
                }
                Err(reply) => reply,
            }
        }
        (_, Some(target)) => {
            let mid = if target == "@original" {
                i.original_message_id
            } else {
                id(target)
                    .filter(|m| i.followup_ids.contains(m) || i.original_message_id == Some(*m))
            };
            let Some(mid) =
                mid.filter(|m| ctx.core.world.messages.get(m).is_some_and(|m| !m.deleted))
            else {
                return Reply::error(404, 10008, "Unknown Message");
            };
            match method.as_str() {
                "GET" => Reply::json(
                    200,
                    ctx.core
                        .world
                        .message_json(&ctx.core.world.messages[&mid], false),
                ),
                "PATCH" => {
                    if let Err(reply) = edit_bot_message(ctx, mid, &body, "") {
                        return reply;
                    }
                    let m = &ctx.core.world.messages[&mid];
                    if m.flags & 64 == 0 {
                        ctx.echoes
                            .push(Echo::Message("MESSAGE_UPDATE", mid, m.guild_id));
                    }
                    Reply::json(200, ctx.core.world.message_json(m, false))
                }
                "DELETE" => {
                    let m = ctx.core.world.messages.get_mut(&mid).expect("checked");
                    m.deleted = true;
                    let (ephemeral, guild) = (m.flags & 64 != 0, m.guild_id);
                    if !ephemeral {
                        ctx.echoes.push(Echo::Message("MESSAGE_DELETE", mid, guild));
                    }
                    Reply::no_content()
                }
                _ => unknown(ctx),
            }
        }
        _ => unknown(ctx),
    }
}
