//! REST v10: routing, recording, fault injection and Discord's answers, with the handlers in
//! `channels` (channels, messages, reactions, threads, DMs), `commands` (registration) and
//! `interactions` (callbacks and the interaction webhook). Everything a handler does happens
//! under one lock, so the call log, the world and the rule checks always agree; gateway echoes
//! are sent after the lock is released.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

mod channels;
mod commands;
mod interactions;

use super::log::{Fault, MentionLeak, RecordedCall, Rule, Violation};
use super::model::{self, Attachment};
use super::{events, gateway, multipart, rules, Core, Shared};
use channels::{
    clear_reactions, create_dm, create_thread, delete_channel, list_messages, modify_channel,
    one_message, post_message, reaction, thread_member,
};
use commands::commands;
use interactions::{callback, webhook};

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
                body: json!({
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": global,
                    "code": 0,
                }),
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
        core.calls_total += 1;
        if reply.status == 400 && !matches!(fault, Some(Fault::Status(_))) {
            core.bad_requests += 1;
        }
        let bound_to_global_limit = !interaction_endpoint(&path, core.world.app_id);
        core.calls.push(RecordedCall {
            bound_to_global_limit,
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

/// Whether `path` is one of Discord's interaction endpoints, which its rate-limit documentation
/// (Global Rate Limit) exempts: "Interaction endpoints are not bound to the bot's Global Rate
/// Limit". They are (Receiving and Responding → Endpoints) the callback,
/// `/interactions/{id}/{token}/callback`, and the interaction-token webhook,
/// `/webhooks/{application.id}/{interaction.token}[/messages/...]`: followups and the original
/// response.
pub(crate) fn interaction_endpoint(path: &str, app_id: u64) -> bool {
    let mut segments = path.trim_start_matches('/').split('/');
    match segments.next() {
        Some("interactions") => true,
        Some("webhooks") => segments.next() == Some(app_id.to_string().as_str()),
        _ => false,
    }
}

/// Discord's global limit: too many calls in the last second (interaction endpoints are
/// exempt) → 429.
fn over_global_limit(core: &Core, path: &str, now: Instant) -> Option<Fault> {
    let limit = core.options.global_rate_limit?;
    if interaction_endpoint(path, core.world.app_id) {
        return None;
    }
    let second = std::time::Duration::from_secs(1);
    let recent: Vec<Instant> = core
        .calls
        .iter()
        .rev()
        .take_while(|c| now.saturating_duration_since(c.at) < second)
        .filter(|c| c.bound_to_global_limit && c.status != 429)
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
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
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
                .map(|u| model::World::thread_member_json(c, *u))
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
