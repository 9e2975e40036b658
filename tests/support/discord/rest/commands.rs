//! Application command registration: overwrite (PUT), create (POST), edit (PATCH), read, delete.

use serde_json::{json, Value};

use super::super::model;
use super::{id, unknown, Ctx, Reply};

/// Global and guild command registration: PUT (overwrite), POST (upsert one), GET, DELETE.
pub(super) fn commands(
    ctx: &mut Ctx,
    app: &str,
    guild: Option<&str>,
    command: Option<&str>,
) -> Reply {
    let w = &mut ctx.core.world;
    if id(app) != Some(w.app_id) {
        return Reply::error(403, 50001, "Missing Access (wrong application id)");
    }
    let guild_id = match guild {
        Some(g) => match id(g).filter(|g| w.guilds.contains_key(g)) {
            Some(g) => Some(g),
            None => return Reply::error(404, 10004, "Unknown Guild"),
        },
        None => None,
    };
    let method = ctx.method.clone();
    match (method.as_str(), command) {
        ("GET", None) => Reply::json(
            200,
            w.commands
                .iter()
                .filter(|c| c.guild_id == guild_id)
                .map(|c| c.json.clone())
                .collect(),
        ),
        ("PUT", None) => {
            let Some(list) = ctx.body.as_array().cloned() else {
                return Reply::error(
                    400,
                    50035,
                    "Invalid Form Body (expected an array of commands)",
                );
            };
            let mut kept = Vec::new();
            for def in list {
                kept.push(store_command(w, guild_id, def));
            }
            w.commands
                .retain(|c| c.guild_id != guild_id || kept.contains(&c.id));
            Reply::json(
                200,
                w.commands
                    .iter()
                    .filter(|c| c.guild_id == guild_id)
                    .map(|c| c.json.clone())
                    .collect(),
            )
        }
        ("POST", None) => {
            let def = ctx.body.clone();
            let cid = store_command(w, guild_id, def);
            let json = w
                .commands
                .iter()
                .find(|c| c.id == cid)
                .map(|c| c.json.clone())
                .unwrap_or_default();
            Reply::json(201, json)
        }
        ("GET", Some(cid)) => match w.commands.iter().find(|c| Some(c.id) == id(cid)) {
            Some(c) => Reply::json(200, c.json.clone()),
            None => Reply::error(404, 10063, "Unknown application command"),
        },
        ("PATCH", Some(cid)) => {
            let Some(existing) = w.commands.iter().find(|c| Some(c.id) == id(cid)).cloned() else {
                return Reply::error(404, 10063, "Unknown application command");
            };
            let mut def = existing.json.clone();
            if let (Some(target), Some(changes)) = (def.as_object_mut(), ctx.body.as_object()) {
                for (k, v) in changes {
                    target.insert(k.clone(), v.clone());
                }
            }
            store_command(w, guild_id, def);
            let json = w
                .commands
                .iter()
                .find(|c| c.id == existing.id)
                .map(|c| c.json.clone())
                .unwrap_or_default();
            Reply::json(200, json)
        }
        ("DELETE", Some(cid)) => {
            w.commands.retain(|c| Some(c.id) != id(cid));
            Reply::no_content()
        }
        _ => unknown(ctx),
    }
}

pub(super) fn store_command(w: &mut model::World, guild_id: Option<u64>, mut def: Value) -> u64 {
    let name = def["name"].as_str().unwrap_or_default().to_string();
    let kind = def["type"].as_u64().unwrap_or(1);
    let existing = w
        .commands
        .iter()
        .position(|c| c.guild_id == guild_id && c.name == name);
    let cid = existing
        .map(|i| w.commands[i].id)
        .unwrap_or_else(|| w.ids.next());
    def["id"] = json!(cid.to_string());
    def["application_id"] = json!(w.app_id.to_string());
    def["version"] = json!(w.ids.next().to_string());
    def["type"] = json!(kind);
    if def.get("description").is_none() {
        def["description"] = json!("");
    }
    if def.get("default_member_permissions").is_none() {
        def["default_member_permissions"] = Value::Null;
    }
    if def.get("nsfw").is_none() {
        def["nsfw"] = json!(false);
    }
    if let Some(g) = guild_id {
        def["guild_id"] = json!(g.to_string());
    }
    let stored = model::RegisteredCommand {
        id: cid,
        guild_id,
        name,
        json: def,
    };
    match existing {
        Some(i) => w.commands[i] = stored,
        None => w.commands.push(stored),
    }
    cid
}
