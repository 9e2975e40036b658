//! Gateway v10 over a plain websocket: HELLO, IDENTIFY → READY (+ GUILD_CREATE per guild),
//! heartbeats, RESUME with replay of missed dispatches, and the controls tests use to break the
//! connection the way Discord does.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use super::log::DispatchRecord;
use super::{FakeDiscord, Shared};

pub enum Outbound {
    Text(String),
    Close(u16, String),
}

struct Conn {
    id: u64,
    tx: UnboundedSender<Outbound>,
}

struct Session {
    /// Order of creation, to forget the oldest sessions first.
    number: u64,
    seq: u64,
    /// (seq, frame) of past dispatches, for RESUME.
    history: VecDeque<(u64, String)>,
    conn: Option<Conn>,
}

#[derive(Default)]
pub struct GatewayState {
    sessions: HashMap<String, Session>,
    current: Option<String>,
    next_conn: u64,
    pub identifies: usize,
    pub resumes: usize,
    pub acks_paused: bool,
    pub intents: u64,
    pub dispatch_log: Vec<DispatchRecord>,
    /// Session ids handed out, so each is unique.
    session_counter: u64,
}

impl GatewayState {
    /// The bot identified and READY was sent on a session that is still valid.
    pub fn ready(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|id| self.sessions.contains_key(id))
    }

    fn current_session(&mut self) -> Option<&mut Session> {
        let id = self.current.clone()?;
        self.sessions.get_mut(&id)
    }

    fn send_raw(&mut self, frame: Outbound) -> bool {
        let Some(session) = self.current_session() else {
            return false;
        };
        match &session.conn {
            Some(conn) => conn.tx.send(frame).is_ok(),
            None => false,
        }
    }

    /// Closes the current connection (the session survives, so the bot can resume).
    pub fn close_current(&mut self, code: u16, reason: &str) -> bool {
        let Some(session) = self.current_session() else {
            return false;
        };
        match session.conn.take() {
            Some(conn) => conn
                .tx
                .send(Outbound::Close(code, reason.to_string()))
                .is_ok(),
            None => false,
        }
    }

    /// Appends a dispatch to the current session and sends it if connected. None without a
    /// session (the bot never identified, or its session was invalidated).
    pub fn push_dispatch(
        &mut self,
        event: &str,
        d: &Value,
        id: Option<u64>,
        history_cap: usize,
    ) -> Option<u64> {
        let session = self.current_session()?;
        session.seq += 1;
        let seq = session.seq;
        let frame = json!({"op": 0, "s": seq, "t": event, "d": d}).to_string();
        if let Some(conn) = &session.conn {
            if conn.tx.send(Outbound::Text(frame.clone())).is_err() {
                session.conn = None;
            }
        }
        session.history.push_back((seq, frame));
        while session.history.len() > history_cap.max(1) {
            session.history.pop_front();
        }
        self.dispatch_log.push(DispatchRecord {
            seq,
            event: event.to_string(),
            id,
            at: Instant::now(),
            delivered: true,
        });
        Some(seq)
    }

    /// Keeps the newest sessions only: bots killed without closing (crash tests) would otherwise
    /// leave their replay histories behind forever.
    fn forget_old_sessions(&mut self) {
        const KEPT: usize = 8;
        if self.sessions.len() < KEPT {
            return;
        }
        let mut numbers: Vec<u64> = self.sessions.values().map(|s| s.number).collect();
        numbers.sort_unstable();
        let cutoff = numbers[numbers.len() - (KEPT - 1)];
        let current = self.current.clone();
        self.sessions
            .retain(|id, s| s.number >= cutoff || Some(id) == current.as_ref());
    }

    pub fn record_dropped(&mut self, event: &str, id: Option<u64>) {
        self.dispatch_log.push(DispatchRecord {
            seq: 0,
            event: event.to_string(),
            id,
            at: Instant::now(),
            delivered: false,
        });
    }
}

pub async fn upgrade(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| connection(shared, socket))
}

async fn connection(shared: Arc<Shared>, socket: WebSocket) {
    let (tx, mut rx) = unbounded_channel::<Outbound>();
    let conn_id = {
        let mut gw = shared.gateway();
        gw.next_conn += 1;
        gw.next_conn
    };
    let interval = shared.core().options.heartbeat_interval.as_millis() as u64;
    let (mut sink, mut stream) = socket.split();
    let hello = json!({"op": 10, "s": null, "t": null, "d": {"heartbeat_interval": interval}});
    if sink.send(WsMessage::Text(hello.to_string())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(WsMessage::Text(text))) => handle_frame(&shared, conn_id, &tx, &text),
                Some(Ok(WsMessage::Binary(bytes))) => {
                    handle_frame(&shared, conn_id, &tx, &String::from_utf8_lossy(&bytes))
                }
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            outgoing = rx.recv() => match outgoing {
                Some(Outbound::Text(frame)) => {
                    if sink.send(WsMessage::Text(frame)).await.is_err() {
                        break;
                    }
                }
                Some(Outbound::Close(code, reason)) => {
                    let frame = CloseFrame { code, reason: reason.into() };
                    let _ = sink.send(WsMessage::Close(Some(frame))).await;
                    break;
                }
                None => break,
            },
        }
    }
    // Detach this connection from its session unless a newer one took over.
    let mut gw = shared.gateway();
    for session in gw.sessions.values_mut() {
        if session.conn.as_ref().is_some_and(|c| c.id == conn_id) {
            session.conn = None;
        }
    }
    drop(gw);
    shared.bump();
}

fn handle_frame(shared: &Arc<Shared>, conn_id: u64, tx: &UnboundedSender<Outbound>, text: &str) {
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        shared.core().emulator_errors.push(format!(
            "gateway: the bot sent a frame that is not JSON: {text}"
        ));
        let _ = tx.send(Outbound::Close(
            4002,
            "Error while decoding payload.".into(),
        ));
        return;
    };
    match frame["op"].as_u64() {
        Some(1) if !shared.gateway().acks_paused => {
            let _ = tx.send(Outbound::Text(
                json!({"op": 11, "s": null, "t": null, "d": null}).to_string(),
            ));
        }
        Some(2) => identify(shared, conn_id, tx, &frame["d"]),
        Some(6) => resume(shared, conn_id, tx, &frame["d"]),
        // Presence updates, member requests, voice: accepted and ignored.
        _ => {}
    }
}

fn token_matches(shared: &Shared, sent: &Value) -> bool {
    let sent = sent.as_str().unwrap_or("");
    sent.strip_prefix("Bot ").unwrap_or(sent) == shared.token
}

fn identify(shared: &Arc<Shared>, conn_id: u64, tx: &UnboundedSender<Outbound>, d: &Value) {
    if !token_matches(shared, &d["token"]) {
        let _ = tx.send(Outbound::Close(4004, "Authentication failed.".into()));
        return;
    }
    let (ready_user, app_id, guild_ids, guild_payloads, history_cap, addr) = {
        let core = shared.core();
        let w = &core.world;
        let guild_ids: Vec<u64> = w
            .guilds
            .keys()
            .copied()
            .filter(|g| !w.left_guilds.contains(g))
            .collect();
        let payloads: Vec<(u64, Value)> = guild_ids
            .iter()
            .map(|g| (*g, w.guild_create_json(*g)))
            .collect();
        let mut user = w.user_json(w.bot_id);
        user["verified"] = json!(true);
        user["mfa_enabled"] = json!(false);
        (
            user,
            w.app_id,
            guild_ids,
            payloads,
            core.options.resume_history,
            shared.addr,
        )
    };
    let mut gw = shared.gateway();
    gw.forget_old_sessions();
    gw.session_counter += 1;
    let session_id = format!("emulator-session-{}-{}", gw.session_counter, conn_id);
    let number = gw.session_counter;
    gw.sessions.insert(
        session_id.clone(),
        Session {
            number,
            seq: 0,
            history: VecDeque::new(),
            conn: Some(Conn {
                id: conn_id,
                tx: tx.clone(),
            }),
        },
    );
    gw.current = Some(session_id.clone());
    gw.identifies += 1;
    gw.intents = d["intents"].as_u64().unwrap_or(0);
    let ready = json!({
        "v": 10,
        "user": ready_user,
        "guilds": guild_ids
            .iter()
            .map(|g| json!({"id": g.to_string(), "unavailable": true}))
            .collect::<Vec<_>>(),
        "session_id": session_id,
        "resume_gateway_url": format!("ws://{addr}"),
        "shard": [0, 1],
        "application": {"id": app_id.to_string(), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "_trace": ["emulator"],
    });
    gw.push_dispatch("READY", &ready, None, history_cap);
    for (id, payload) in guild_payloads {
        gw.push_dispatch("GUILD_CREATE", &payload, Some(id), history_cap);
    }
    drop(gw);
    shared.bump();
}

fn resume(shared: &Arc<Shared>, conn_id: u64, tx: &UnboundedSender<Outbound>, d: &Value) {
    if !token_matches(shared, &d["token"]) {
        let _ = tx.send(Outbound::Close(4004, "Authentication failed.".into()));
        return;
    }
    let history_cap = shared.core().options.resume_history;
    let session_id = d["session_id"].as_str().unwrap_or("").to_string();
    let last_seen = d["seq"].as_u64().unwrap_or(0);
    let mut gw = shared.gateway();
    let resumable = gw.sessions.get(&session_id).is_some_and(|s| {
        // Everything after last_seen must still be in the history.
        s.history
            .front()
            .is_none_or(|(first, _)| *first <= last_seen + 1)
    });
    if !resumable {
        let _ = tx.send(Outbound::Text(
            json!({"op": 9, "s": null, "t": null, "d": false}).to_string(),
        ));
        return;
    }
    gw.current = Some(session_id.clone());
    gw.resumes += 1;
    if let Some(session) = gw.sessions.get_mut(&session_id) {
        session.conn = Some(Conn {
            id: conn_id,
            tx: tx.clone(),
        });
        for (seq, frame) in &session.history {
            if *seq > last_seen {
                let _ = tx.send(Outbound::Text(frame.clone()));
            }
        }
    }
    gw.push_dispatch(
        "RESUMED",
        &json!({"_trace": ["emulator"]}),
        None,
        history_cap,
    );
    drop(gw);
    shared.bump();
}

/// Checks a dispatch with serenity's own deserializer; Err says what serenity rejects.
pub fn check_with_serenity(event: &str, d: &Value) -> Result<(), String> {
    use serenity::model::event::{Event, GatewayEvent};
    let frame = json!({"op": 0, "s": 1, "t": event, "d": d});
    let parsed =
        serde_json::from_value::<GatewayEvent>(frame).map_err(|e| format!("{event}: {e}"))?;
    match parsed {
        GatewayEvent::Dispatch(_, Event::Unknown(_)) => Err(format!(
            "serenity would drop {event} as Event::Unknown: {}",
            typed_error(event, d).unwrap_or_else(|| "unknown event name".into())
        )),
        _ => Ok(()),
    }
}

/// The precise deserialization error for the known event kinds.
fn typed_error(event: &str, d: &Value) -> Option<String> {
    use serenity::model::prelude::*;
    fn err<T: serde::de::DeserializeOwned>(d: &Value) -> Option<String> {
        serde_json::from_value::<T>(d.clone())
            .err()
            .map(|e| e.to_string())
    }
    match event {
        "READY" => err::<Ready>(d),
        "GUILD_CREATE" => err::<Guild>(d),
        "GUILD_DELETE" => err::<UnavailableGuild>(d),
        "MESSAGE_CREATE" => err::<Message>(d),
        "MESSAGE_UPDATE" => err::<MessageUpdateEvent>(d),
        "MESSAGE_DELETE" => err::<MessageDeleteEvent>(d),
        "INTERACTION_CREATE" => err::<Interaction>(d),
        "THREAD_CREATE" | "THREAD_UPDATE" | "CHANNEL_CREATE" | "CHANNEL_UPDATE" => {
            err::<GuildChannel>(d)
        }
        "THREAD_DELETE" => err::<PartialGuildChannel>(d),
        _ => None,
    }
}

impl FakeDiscord {
    /// Sends a raw dispatch; panics if serenity could not parse it or the bot has no session.
    /// Returns the sequence number.
    pub fn dispatch(&self, event: &str, d: Value) -> u64 {
        match self.try_dispatch(event, d, None) {
            Ok(seq) => seq,
            Err(e) => panic!("emulator: cannot dispatch {event}: {e}\n{}", self.report()),
        }
    }

    pub(crate) fn try_dispatch(
        &self,
        event: &str,
        d: Value,
        id: Option<u64>,
    ) -> Result<u64, String> {
        try_dispatch(&self.shared, event, d, id)
    }

    pub(crate) fn dispatch_if_connected(&self, event: &str, d: Value) {
        if self.shared.gateway().ready() {
            if let Err(e) = self.try_dispatch(event, d, None) {
                self.shared.core().emulator_errors.push(e);
            }
        }
    }

    /// Closes the bot's websocket with code 4000: serenity reconnects and RESUMEs, and the
    /// dispatches it missed are replayed.
    pub fn disconnect(&self) {
        assert!(
            self.shared.gateway().close_current(4000, "Unknown error."),
            "emulator: disconnect(): the bot is not connected"
        );
    }

    /// Sends op 7 RECONNECT: the bot should reconnect and RESUME.
    pub fn reconnect_request(&self) {
        let mut gw = self.shared.gateway();
        let sent = gw.send_raw(Outbound::Text(
            json!({"op": 7, "s": null, "t": null, "d": null}).to_string(),
        ));
        assert!(
            sent,
            "emulator: reconnect_request(): the bot is not connected"
        );
        // Further dispatches wait for the resume.
        if let Some(session) = gw.current_session() {
            session.conn = None;
        }
    }

    /// Sends op 9 INVALID SESSION. Not resumable: the session is dropped and the bot must
    /// IDENTIFY again (serenity waits a few seconds before re-identifying).
    pub fn invalid_session(&self, resumable: bool) {
        let mut gw = self.shared.gateway();
        let sent = gw.send_raw(Outbound::Text(
            json!({"op": 9, "s": null, "t": null, "d": resumable}).to_string(),
        ));
        assert!(
            sent,
            "emulator: invalid_session(): the bot is not connected"
        );
        if !resumable {
            if let Some(id) = gw.current.take() {
                gw.sessions.remove(&id);
            }
        }
    }

    /// Sends the last `n` dispatches again, with their original sequence numbers (a duplicate
    /// delivery, as after a resume that replays too much).
    pub fn replay_last(&self, n: usize) {
        let mut gw = self.shared.gateway();
        let frames: Vec<String> = gw
            .current_session()
            .map(|s| {
                s.history
                    .iter()
                    .rev()
                    .take(n)
                    .rev()
                    .map(|(_, f)| f.clone())
                    .collect()
            })
            .unwrap_or_default();
        for frame in frames {
            gw.send_raw(Outbound::Text(frame));
        }
    }

    /// Sends the dispatch with sequence number `seq` again (see `dispatches()` to find it).
    pub fn replay_seq(&self, seq: u64) {
        let mut gw = self.shared.gateway();
        let frame = gw.current_session().and_then(|s| {
            s.history
                .iter()
                .find(|(s, _)| *s == seq)
                .map(|(_, f)| f.clone())
        });
        let frame = frame.unwrap_or_else(|| {
            panic!("emulator: replay_seq({seq}): no such dispatch in this session")
        });
        gw.send_raw(Outbound::Text(frame));
    }

    /// The sequence number of the latest delivered dispatch `event` carrying `id`.
    pub fn seq_of(&self, event: &str, id: u64) -> Option<u64> {
        let gw = self.shared.gateway();
        gw.dispatch_log
            .iter()
            .rev()
            .find(|d| d.delivered && d.event == event && d.id == Some(id))
            .map(|d| d.seq)
    }

    /// Stops answering heartbeats (serenity then gives up on the connection and reconnects).
    pub fn pause_heartbeat_acks(&self) {
        self.shared.gateway().acks_paused = true;
    }

    pub fn resume_heartbeat_acks(&self) {
        self.shared.gateway().acks_paused = false;
    }

    /// Whether the bot currently has an open gateway connection.
    pub fn is_connected(&self) -> bool {
        let mut gw = self.shared.gateway();
        gw.current_session().is_some_and(|s| s.conn.is_some())
    }

    /// Waits until the bot is connected again after a disconnect (resumed or re-identified).
    pub async fn wait_connected(&self) {
        self.wait_until("the bot to reconnect to the gateway", |d| {
            d.is_connected().then_some(())
        })
        .await
    }
}

pub(crate) fn try_dispatch(
    shared: &Arc<Shared>,
    event: &str,
    d: Value,
    id: Option<u64>,
) -> Result<u64, String> {
    let (validate, cap) = {
        let core = shared.core();
        (
            core.options.validate_dispatches,
            core.options.resume_history,
        )
    };
    if validate {
        if let Err(e) = check_with_serenity(event, &d) {
            shared.core().emulator_errors.push(e.clone());
            return Err(e);
        }
    }
    let seq = shared
        .gateway()
        .push_dispatch(event, &d, id, cap)
        .ok_or_else(|| "the bot has no gateway session (call wait_ready() first)".to_string())?;
    shared.bump();
    Ok(seq)
}
