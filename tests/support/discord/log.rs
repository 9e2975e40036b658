//! What the emulator records for tests to inspect: every REST call, every broken Discord rule,
//! every mention that would have pinged, every gateway dispatch, and the faults tests inject.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::model::Attachment;
use super::rules::Ping;

/// One REST call the bot made, with what the emulator answered.
#[derive(Debug, Clone)]
pub struct RecordedCall {
    /// Position in the call log (0-based).
    pub index: usize,
    pub method: String,
    /// Path after `/api/v10`, without the query, e.g. `/channels/123/messages`.
    pub path: String,
    /// The path with ids and tokens replaced: `/channels/{id}/messages`,
    /// `/interactions/{id}/{token}/callback`, `/channels/{id}/messages/{id}/reactions/{emoji}/@me`.
    pub route: String,
    /// The raw query string (may be empty).
    pub query: String,
    /// The JSON body (for multipart bodies: the `payload_json` part); Null when there was none.
    pub body: Value,
    /// Files of a multipart body.
    pub files: Vec<Attachment>,
    /// The status the emulator answered.
    pub status: u16,
    /// The JSON the emulator answered (Null for 204).
    pub response: Value,
    pub at: Instant,
    /// Time since the emulator started.
    pub since_start: Duration,
    /// Counts toward Discord's global limit of 50 calls a second: everything but the
    /// interaction endpoints (the callback and the interaction-token webhook), which Discord's
    /// rate-limit documentation exempts.
    pub bound_to_global_limit: bool,
}

impl RecordedCall {
    /// `method` and `route` match, e.g. `c.is("POST", "/channels/{id}/messages")`.
    pub fn is(&self, method: &str, route: &str) -> bool {
        self.method == method && self.route == route
    }

    /// The id in the path right after `segment`, e.g. `c.id_after("channels")`.
    pub fn id_after(&self, segment: &str) -> Option<u64> {
        let mut parts = self.path.split('/');
        while let Some(p) = parts.next() {
            if p == segment {
                return parts.next().and_then(|id| id.parse().ok());
            }
        }
        None
    }

    /// The message content the call sent: `content` at the top level or under `data` (callbacks).
    pub fn content(&self) -> Option<&str> {
        self.body["content"]
            .as_str()
            .or_else(|| self.body["data"]["content"].as_str())
    }

    /// The interaction callback type, for `POST /interactions/{id}/{token}/callback`.
    pub fn callback_type(&self) -> Option<u64> {
        self.body["type"].as_u64()
    }

    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// One line for logs: `#12 POST /channels/1/messages -> 200 {"content":"hi"}`.
    pub fn summary(&self) -> String {
        let mut body = self.body.to_string();
        if body.len() > 300 {
            let cut = (0..=300)
                .rev()
                .find(|i| body.is_char_boundary(*i))
                .unwrap_or(0);
            body.truncate(cut);
            body.push('…');
        }
        let files = if self.files.is_empty() {
            String::new()
        } else {
            format!(
                " files={:?}",
                self.files
                    .iter()
                    .map(|f| f.filename.as_str())
                    .collect::<Vec<_>>()
            )
        };
        let answer = if self.status >= 400 {
            format!(" => {}", self.response)
        } else {
            String::new()
        };
        format!(
            "#{} {} {}{} -> {} {}{}{}",
            self.index,
            self.method,
            self.path,
            if self.query.is_empty() {
                String::new()
            } else {
                format!("?{}", self.query)
            },
            self.status,
            body,
            files,
            answer
        )
    }
}

/// Which Discord rule a call broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Interaction callback later than the ack deadline (3 s) → 404 10062.
    LateAck,
    /// A second callback for the same interaction → 400 40060.
    DoubleAck,
    /// Callback for an interaction id/token the emulator never dispatched → 404 10062.
    UnknownInteraction,
    /// A callback type that this interaction kind does not accept → 400 50035.
    InvalidCallbackType,
    /// Content, embed, component or modal limits → 400 50035.
    InvalidFormBody,
    /// A message with no content, embeds, components or files → 400 50006.
    EmptyMessage,
    /// Followup/original edit after the 15-minute token lifetime → 401 50027.
    ExpiredToken,
    /// Followup or original-message call before the interaction was acknowledged → 404.
    WebhookBeforeAck,
}

/// A broken rule with the call that broke it.
#[derive(Debug, Clone)]
pub struct Violation {
    pub rule: Rule,
    /// The Discord error code answered.
    pub code: u32,
    pub detail: String,
    pub call_index: usize,
    pub method: String,
    pub path: String,
}

/// A mention in something the bot sent that Discord would have turned into a notification.
#[derive(Debug, Clone)]
pub struct MentionLeak {
    pub call_index: usize,
    pub method: String,
    pub path: String,
    /// Where in the body: `content`, `embeds.0.description`, `data.content`...
    pub field: String,
    pub ping: Ping,
    /// True when allowed_mentions named this user/role id explicitly (a deliberate ping, such as
    /// the daily post's configured role); false when it slipped through a default or a `parse`.
    pub explicitly_allowed: bool,
}

/// A gateway dispatch the emulator sent (or dropped because the bot lacked the intent).
#[derive(Debug, Clone)]
pub struct DispatchRecord {
    pub seq: u64,
    pub event: String,
    /// The main id of the payload (message id, interaction id, guild id...).
    pub id: Option<u64>,
    pub at: Instant,
    /// False when the bot's intents did not cover the event (Discord would not send it).
    pub delivered: bool,
}

/// What an injected fault does to a matching call.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status (500, 502, 503...) and a JSON error body.
    Status(u16),
    /// Answer 429 with `retry_after` seconds, global or per route.
    RateLimited { retry_after: f64, global: bool },
    /// Wait this long, then handle the call normally.
    Delay(Duration),
}

/// Apply `fault` to the next `remaining` calls matching `method` and `route` ("*" matches any).
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub method: String,
    pub route: String,
    pub remaining: usize,
    pub fault: Fault,
}

impl FaultRule {
    pub fn matches(&self, method: &str, route: &str) -> bool {
        self.remaining > 0
            && (self.method == "*" || self.method == method)
            && (self.route == "*" || self.route == route)
    }
}
