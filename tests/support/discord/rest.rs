//! REST v10: routing, recording, fault injection, and the handlers for the endpoints the bot
//! uses. Everything a handler does happens under one lock, so the call log, the world and the
//! rule checks always agree; gateway echoes are sent after the lock is released.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::log::{Fault, MentionLeak, RecordedCall, Rule, Violation};
use super::model::{self, channel_type, perms, Attachment, InteractionKind, Message};
use super::{events, gateway, multipart, rules, Core, Shared};

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(gateway::upgrade))
        .fallback(handle)
        .layer(DefaultBodyLimit::max(64 << 20))
        .with_state(shared)
}

/// What a handler answers.
struct Reply {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body,
            headers: Vec::new(),
        }
    }

    fn no_content() -> Self {
        Reply {
            status: 204,
            body: Value::Null,
            headers: Vec::new(),
        }
    }

    fn error(status: u16, code: u32, message: &str) -> Self {
        Reply::json(status, json!({"message": message, "code": code}))
    }
}

/// A gateway dispatch to send once the lock is released.
enum Echo {
    Message(&'static str, u64, Option<u64>),
    Raw(&'static str, Value),
}

/// One call being handled.
struct Ctx<'a> {
    core: &'a mut Core,
    index: usize,
    method: String,
    path: String,
    query: String,
    body: Value,
    files: Vec<Attachment>,
    echoes: Vec<Echo>,
    ws_url: String,
}

impl Ctx<'_> {
    fn violation(&mut self, rule: Rule, code: u32, detail: impl Into<String>) {
        let detail = detail.into();
        eprintln!(
            "emulator: VIOLATION {rule:?} (code {code}) at {} {}: {detail}",
            self.method, self.path
        );
        self.core.violations.push(Violation {
            rule,
            code,
            detail,
            call_index: self.index,
            method: self.method.clone(),
            path: self.path.clone(),
        });
    }

    /// Checks message limits; a breach is a violation answered with 400 50035.
    fn validate_message(&mut self, body: &Value, prefix: &str) -> Result<(), Reply> {
        let errors = rules::validate_message(body);
        if errors.is_empty() {
            return Ok(());
        }
        let errors: Vec<rules::FieldError> = errors
            .into_iter()
            .map(|e| rules::FieldError {
                path: format!("{prefix}{}", e.path),
                message: e.message,
            })
            .collect();
        Err(self.form_error(errors))
    }

    fn form_error(&mut self, errors: Vec<rules::FieldError>) -> Reply {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        self.violation(Rule::InvalidFormBody, 50035, detail);
        let mut nested = Value::Object(Map::new());
        for e in &errors {
            let mut node = &mut nested;
            for key in e.path.split('.') {
                if !node.get(key).is_some_and(Value::is_object) {
                    node[key] = json!({});
                }
                node = &mut node[key];
            }
            node["_errors"] = json!([{"code": "BASE_TYPE_MAX_LENGTH", "message": e.message}]);
        }
        Reply::json(
            400,
            json!({"message": "Invalid Form Body", "code": 50035, "errors": nested}),
        )
    }

    /// Records every mention in `body` that `allowed` does not forbid.
    fn check_leaks(&mut self, body: &Value, allowed: Option<&Value>, prefix: &str) {
        for (field, text) in rules::texts_of(body) {
            for ping in rules::pings_in(&text) {
                let (pings, explicit) = rules::ping_allowed(allowed, &ping);
                if pings {
                    eprintln!(
                        "emulator: MENTION LEAK {ping:?} in {prefix}{field} at {} {}",
                        self.method, self.path
                    );
                    self.core.leaks.push(MentionLeak {
                        call_index: self.index,
                        method: self.method.clone(),
                        path: self.path.clone(),
                        field: format!("{prefix}{field}"),
                        ping,
                        explicitly_allowed: explicit,
                    });
                }
            }
        }
    }

    fn files_as_attachments(&mut self) -> Vec<Attachment> {
        let files = std::mem::take(&mut self.files);
        files
            .into_iter()
            .map(|mut f| {
                f.id = self.core.world.ids.next();
                f
            })
            .collect()
    }
}

fn id(segment: &str) -> Option<u64> {
    segment.parse().ok()
}

/// `/channels/123/messages` → `/channels/{id}/messages`; tokens and emoji are named too.
pub fn route_template(path: &str) -> String {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut out = Vec::with_capacity(segments.len());
    for (i, s) in segments.iter().enumerate() {
        let previous = i.checked_sub(1).map(|p| segments[p]);
        let before_previous = i.checked_sub(2).map(|p| segments[p]);
        let templated = if matches!(before_previous, Some("interactions" | "webhooks")) {
            "{token}".to_string()
        } else if previous == Some("reactions") {
            "{emoji}".to_string()
        } else if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
            "{id}".to_string()
        } else {
            s.to_string()
        };
        out.push(templated);
    }
    format!("/{}", out.join("/"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        kv.split_once('=')
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
    })
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let at = Instant::now();
    let method = method.as_str().to_string();
    let full_path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let path = full_path
        .strip_prefix("/api/v10")
        .unwrap_or(&full_path)
        .to_string();
    let route = route_template(&path);
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();

    // Body: JSON, or multipart with payload_json and files.
    let mut body_error = None;
    let (body, files) = match multipart::boundary(&content_type) {
        Some(boundary) => match multipart::parse(&raw, &boundary) {
            Ok(parts) => {
                let mut body = Value::Null;
                let mut files = Vec::new();
                for p in parts {
                    if p.name == "payload_json" {
                        match serde_json::from_slice(&p.bytes) {
                            Ok(v) => body = v,
                            Err(e) => body_error = Some(format!("payload_json is not JSON: {e}")),
                        }
                    } else if let Some(filename) = p.filename {
                        files.push(Attachment {
                            id: 0,
                            filename,
                            content_type: p.content_type,
                            bytes: p.bytes,
                        });
                    }
                }
                (body, files)
            }
            Err(e) => {
                body_error = Some(e);
                (Value::Null, Vec::new())
            }
        },
        None if raw.is_empty() => (Value::Null, Vec::new()),
        None => match serde_json::from_slice(&raw) {
            Ok(v) => (v, Vec::new()),
            Err(e) => {
                body_error = Some(format!("body is not JSON: {e}"));
                (Value::Null, Vec::new())
            }
        },
    };
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.strip_prefix("Bot ").unwrap_or(v) == shared.token);

    // Faults: take the first matching rule; then the optional global rate limit.
    let fault = {
        let mut core = shared.core();
        let injected = core
            .faults
            .iter_mut()
            .find(|f| f.matches(&method, &route))
            .map(|f| {
                f.remaining -= 1;
                f.fault.clone()
            });
        injected.or_else(|| over_global_limit(&core, &path, at))
    };
    if let Some(Fault::Delay(delay)) = &fault {
        tokio::time::sleep(*delay).await;
    }

    let (reply, echoes) = {
        let mut core = shared.core();
        let index = core.calls_base + core.calls.len();
        let mut ctx = Ctx {
            core: &mut core,
            index,
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            body: body.clone(),
            files: files.clone(),
            echoes: Vec::new(),
            ws_url: format!("ws://{}", shared.addr),
        };
        let reply = match (&fault, body_error) {
            (Some(Fault::Status(status)), _) => {
                Reply::error(*status, 0, &format!("{status}: injected fault"))
            }
            (
                Some(Fault::RateLimited {
                    retry_after,
                    global,
                }),
                _,
            ) => Reply {
                status: 429,
                body: json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": global, "code": 0}),
                headers: vec![
                    ("retry-after", format!("{}", retry_after.ceil() as u64)),
                    ("x-ratelimit-global", global.to_string()),
                    (
                        "x-ratelimit-scope",
                        if *global {
                            "global".into()
                        } else {
                            "user".into()
                        },
                    ),
                ],
            },
            (_, Some(e)) => {
                ctx.core
                    .emulator_errors
                    .push(format!("{method} {path}: {e}"));
                Reply::error(400, 50109, "The request body contains invalid JSON.")
            }
            _ if !full_path.starts_with("/api/v10/") => unknown(&mut ctx),
            _ if !authorized
                && !path.starts_with("/interactions/")
                && !path.starts_with("/webhooks/")
                && path != "/gateway" =>
            {
                Reply::error(401, 0, "401: Unauthorized")
            }
            _ => dispatch_route(&mut ctx),
        };
        let echoes = std::mem::take(&mut ctx.echoes);
        let keep = core.options.record_bodies;
        core.calls.push(RecordedCall {
            index,
            method,
            path,
            route,
            query,
            body: if keep { body } else { Value::Null },
            files: if keep { files } else { Vec::new() },
            status: reply.status,
            response: if keep {
                reply.body.clone()
            } else {
                Value::Null
            },
            at,
            since_start: at.duration_since(shared.started),
        });
        (reply, echoes)
    };
    shared.bump();

    let echo_enabled = shared.core().options.echo_bot_messages;
    for echo in echoes {
        let result = match echo {
            Echo::Message(event, message, guild) if echo_enabled => {
                events::dispatch_message_event(&shared, event, message, guild)
            }
            Echo::Message(..) => Ok(()),
            Echo::Raw(event, payload) => {
                if shared.gateway().ready() {
                    gateway::try_dispatch(&shared, event, payload, None).map(|_| ())
                } else {
                    Ok(())
                }
            }
        };
        if let Err(e) = result {
            if !e.contains("no gateway session") {
                shared.core().emulator_errors.push(e);
            }
        }
    }

    let mut response = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in &reply.headers {
        response = response.header(*name, value);
    }
    let built = if reply.status == 204 {
        response.body(Body::empty())
    } else {
        response
            .header("content-type", "application/json")
            .body(Body::from(reply.body.to_string()))
    };
    built.unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Discord's global limit: too many calls in the last second (callbacks are exempt) → 429.
fn over_global_limit(core: &Core, path: &str, now: Instant) -> Option<Fault> {
    let limit = core.options.global_rate_limit?;
    if path.starts_with("/interactions/") {
        return None;
    }
    let second = std::time::Duration::from_secs(1);
    let recent: Vec<Instant> = core
        .calls
        .iter()
        .rev()
        .take_while(|c| now.saturating_duration_since(c.at) < second)
        .filter(|c| !c.path.starts_with("/interactions/") && c.status != 429)
        .map(|c| c.at)
        .collect();
    if recent.len() < limit {
        return None;
    }
    let oldest = recent.last().copied().unwrap_or(now);
    let retry_after = second
        .saturating_sub(now.saturating_duration_since(oldest))
        .as_secs_f64();
    Some(Fault::RateLimited {
        retry_after: (retry_after * 1000.0).ceil() / 1000.0,
        global: true,
    })
}

fn unknown(ctx: &mut Ctx) -> Reply {
    let line = format!("{} {}", ctx.method, ctx.path);
    eprintln!("emulator: UNKNOWN ROUTE {line} (body {})", ctx.body);
    ctx.core.unknown_routes.push(line.clone());
    Reply::json(
        404,
        json!({"message": format!("404: Not Found (emulator has no route for {line})"), "code": 0}),
    )
}

fn dispatch_route(ctx: &mut Ctx) -> Reply {
    let path = ctx.path.clone();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = ctx.method.clone();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => Reply::json(200, json!({"url": ctx.ws_url})),
        ("GET", ["gateway", "bot"]) => Reply::json(
            200,
            json!({
                "url": ctx.ws_url,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
            }),
        ),
        ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]) => {
            Reply::json(200, ctx.core.world.application_json())
        }
        ("GET", ["users", "@me"]) => {
            let mut user = ctx.core.world.user_json(ctx.core.world.bot_id);
            user["verified"] = json!(true);
            user["mfa_enabled"] = json!(false);
            Reply::json(200, user)
        }
        ("GET", ["users", user]) => match id(user).filter(|u| ctx.core.world.users.contains_key(u))
        {
            Some(u) => Reply::json(200, ctx.core.world.user_json(u)),
            None => Reply::error(404, 10013, "Unknown User"),
        },
        ("POST", ["users", "@me", "channels"]) => create_dm(ctx),
        (_, ["applications", app, "commands"]) => commands(ctx, app, None, None),
        (_, ["applications", app, "commands", command]) => commands(ctx, app, None, Some(command)),
        (_, ["applications", app, "guilds", guild, "commands"]) => {
            commands(ctx, app, Some(guild), None)
        }
        (_, ["applications", app, "guilds", guild, "commands", command]) => {
            commands(ctx, app, Some(guild), Some(command))
        }
        ("GET", ["channels", channel]) => with_channel(ctx, channel, |ctx, c| {
            Reply::json(200, ctx.core.world.channel_json(c))
        }),
        ("PATCH", ["channels", channel]) => with_channel(ctx, channel, modify_channel),
        ("DELETE", ["channels", channel]) => with_channel(ctx, channel, delete_channel),
        ("GET", ["channels", channel, "messages"]) => with_channel(ctx, channel, list_messages),
        ("POST", ["channels", channel, "messages"]) => with_channel(ctx, channel, post_message),
        (_, ["channels", channel, "messages", message]) => {
            let message = message.to_string();
            with_channel(ctx, channel, move |ctx, c| one_message(ctx, c, &message))
        }
        ("DELETE", ["channels", channel, "messages", message, "reactions", rest @ ..])
            if rest.len() <= 1 =>
        {
            let (message, emoji) = (message.to_string(), rest.first().map(|e| percent_decode(e)));
            with_channel(ctx, channel, move |ctx, c| {
                clear_reactions(ctx, c, &message, emoji.as_deref())
            })
        }
        (_, ["channels", channel, "messages", message, "reactions", emoji, who]) => {
            let (message, emoji, who) =
                (message.to_string(), percent_decode(emoji), who.to_string());
            with_channel(ctx, channel, move |ctx, c| {
                reaction(ctx, c, &message, &emoji, &who)
            })
        }
        ("POST", ["channels", channel, "messages", message, "threads"]) => {
            let message = message.to_string();
            with_channel(ctx, channel, move |ctx, c| {
                create_thread(ctx, c, Some(&message))
            })
        }
        ("POST", ["channels", channel, "threads"]) => {
            with_channel(ctx, channel, |ctx, c| create_thread(ctx, c, None))
        }
        ("GET", ["channels", channel, "thread-members"]) => with_channel(ctx, channel, |ctx, c| {
            let members: Vec<Value> = ctx.core.world.channels[&c]
                .thread_members
                .iter()
                .map(|u| json!({"id": c.to_string(), "user_id": u.to_string(), "join_timestamp": model::snowflake_time(c), "flags": 0}))
                .collect();
            Reply::json(200, Value::Array(members))
        }),
        (_, ["channels", channel, "thread-members", who]) => {
            let who = who.to_string();
            with_channel(ctx, channel, move |ctx, c| thread_member(ctx, c, &who))
        }
        ("POST", ["channels", channel, "typing"]) => {
            with_channel(ctx, channel, |_, _| Reply::no_content())
        }
        ("GET", ["guilds", guild]) => with_guild(ctx, guild, |ctx, g| {
            Reply::json(200, ctx.core.world.guild_json(g))
        }),
        ("GET", ["guilds", guild, "channels"]) => with_guild(ctx, guild, |ctx, g| {
            let w = &ctx.core.world;
            let list: Vec<Value> = w
                .channels
                .values()
                .filter(|c| c.guild_id == Some(g) && !c.is_thread() && !c.deleted)
                .map(|c| w.channel_json(c.id))
                .collect();
            Reply::json(200, Value::Array(list))
        }),
        ("GET", ["guilds", guild, "roles"]) => with_guild(ctx, guild, |ctx, g| {
            Reply::json(
                200,
                ctx.core.world.guilds[&g]
                    .roles
                    .iter()
                    .map(model::World::role_json)
                    .collect(),
            )
        }),
        ("GET", ["guilds", guild, "threads", "active"]) => with_guild(ctx, guild, |ctx, g| {
            let w = &ctx.core.world;
            let threads: Vec<Value> = w
                .channels
                .values()
                .filter(|c| c.guild_id == Some(g) && c.is_thread() && !c.archived && !c.deleted)
                .map(|c| w.channel_json(c.id))
                .collect();
            Reply::json(200, json!({"threads": threads, "members": []}))
        }),
        ("GET", ["guilds", guild, "members", user]) => {
            let user = user.to_string();
            with_guild(ctx, guild, move |ctx, g| {
                match id(&user).filter(|u| ctx.core.world.guilds[&g].members.contains_key(u)) {
                    Some(u) => Reply::json(200, ctx.core.world.member_json(g, u, false)),
                    None => Reply::error(404, 10007, "Unknown Member"),
                }
            })
        }
        ("POST", ["interactions", interaction, token, "callback"]) => {
            callback(ctx, interaction, token)
        }
        (_, ["webhooks", app, token]) => webhook(ctx, app, token, None),
        (_, ["webhooks", app, token, "messages", message]) => {
            webhook(ctx, app, token, Some(message))
        }
        _ => unknown(ctx),
    }
}

fn with_channel(ctx: &mut Ctx, channel: &str, f: impl FnOnce(&mut Ctx, u64) -> Reply) -> Reply {
    match id(channel).filter(|c| ctx.core.world.channels.get(c).is_some_and(|c| !c.deleted)) {
        Some(c) => f(ctx, c),
        None => Reply::error(404, 10003, "Unknown Channel"),
    }
}

fn with_guild(ctx: &mut Ctx, guild: &str, f: impl FnOnce(&mut Ctx, u64) -> Reply) -> Reply {
    match id(guild).filter(|g| ctx.core.world.guilds.contains_key(g)) {
        Some(g) => f(ctx, g),
        None => Reply::error(404, 10004, "Unknown Guild"),
    }
}

fn create_dm(ctx: &mut Ctx) -> Reply {
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

/// Global and guild command registration: PUT (overwrite), POST (upsert one), GET, DELETE.
fn commands(ctx: &mut Ctx, app: &str, guild: Option<&str>, command: Option<&str>) -> Reply {
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

fn store_command(w: &mut model::World, guild_id: Option<u64>, mut def: Value) -> u64 {
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

fn modify_channel(ctx: &mut Ctx, channel: u64) -> Reply {
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

fn delete_channel(ctx: &mut Ctx, channel: u64) -> Reply {
    let w = &mut ctx.core.world;
    let json = w.channel_json(channel);
    let c = w
        .channels
        .get_mut(&channel)
        .expect("checked by with_channel");
    c.deleted = true;
    if c.is_thread() {
        let d = json!({"id": c.id.to_string(), "guild_id": c.guild_id.map(|g| g.to_string()), "parent_id": c.parent_id.map(|p| p.to_string()), "type": c.kind});
        ctx.echoes.push(Echo::Raw("THREAD_DELETE", d));
    } else {
        ctx.echoes.push(Echo::Raw("CHANNEL_DELETE", json.clone()));
    }
    Reply::json(200, json)
}

fn list_messages(ctx: &mut Ctx, channel: u64) -> Reply {
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
fn can_post(ctx: &mut Ctx, channel: u64) -> Result<(), Reply> {
    let w = &mut ctx.core.world;
    let c = &w.channels[&channel];
    let parent = c.parent_id.unwrap_or(c.id);
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
fn new_bot_message(
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
fn edit_bot_message(ctx: &mut Ctx, message: u64, body: &Value, prefix: &str) -> Result<(), Reply> {
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

fn post_message(ctx: &mut Ctx, channel: u64) -> Reply {
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

fn one_message(ctx: &mut Ctx, channel: u64, message: &str) -> Reply {
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

fn reaction(ctx: &mut Ctx, channel: u64, message: &str, emoji: &str, who: &str) -> Reply {
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

fn clear_reactions(ctx: &mut Ctx, channel: u64, message: &str, emoji: Option<&str>) -> Reply {
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

fn create_thread(ctx: &mut Ctx, parent: u64, from_message: Option<&str>) -> Reply {
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

fn thread_member(ctx: &mut Ctx, thread: u64, who: &str) -> Reply {
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
        "GET" => Reply::json(
            200,
            json!({"id": thread.to_string(), "user_id": user.to_string(), "join_timestamp": model::snowflake_time(thread), "flags": 0}),
        ),
        _ => unknown(ctx),
    }
}

/// `POST /interactions/{id}/{token}/callback`: the 3-second ack and everything it may carry.
fn callback(ctx: &mut Ctx, interaction: &str, token: &str) -> Reply {
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
            json!({"message": "Invalid Form Body", "code": 50035, "errors": {"type": {"_errors": [{"code": "INTERACTION_RESPONSE_TYPE_INVALID", "message": "Invalid interaction response type"}]}}}),
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
fn webhook(ctx: &mut Ctx, app: &str, token: &str, message: Option<&str>) -> Reply {
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
