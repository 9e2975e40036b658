//! Solo interviews on Discord: where each session lives (thread or DM), routing messages and
//! clicks to the core state machine, and carrying out its effects.
//!
//! Order matters for durability: an attempt is recorded and the session persisted (both
//! flushed) before anything is said to the person; only then are the REST calls made. A failed
//! reply never loses state, and a replayed event is a no-op because messages are keyed by id.

use std::sync::Arc;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serde::{Deserialize, Serialize};

use super::data::{no_pings, Data, Error};
use super::limits;
use super::open_sessions::Open;
use super::pace::Outbound;
use super::render::{self, Card};
use super::throttle::Gate;
use crate::interview::record;
use crate::interview::solo::{
    is_done_command, CloseReason, Context as CoreContext, Effect, Event, SoloSession,
};
use crate::store::{Mode, SessionRecord, Store, UserKey};

/// Where a session lives and what the adapter remembers beside the core session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoloState {
    pub session: SoloSession,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    /// True when the channel is a thread the bot opened (archived at the end).
    pub thread: bool,
    /// LP focus, so `Skip` stays on it.
    pub lp: Option<String>,
    /// Whether the person was told that message content cannot be read here.
    #[serde(default)]
    pub content_warned: bool,
    /// The id of the `/interview start` interaction. Snowflakes grow with time, so a message
    /// with a smaller id was written before this interview (a replayed old event) and is ignored.
    #[serde(default)]
    pub start_id: u64,
    /// The id of the latest "done" message acted on. A gateway resume can deliver a message
    /// again; a "done" at or below this id was handled already and must not finish twice.
    #[serde(default)]
    pub last_done_id: u64,
    /// Messages refused for the size limit: a replay or a re-read of the channel does not offer
    /// them again (nor repeat the refusal).
    #[serde(default)]
    pub refused: std::collections::BTreeSet<u64>,
    /// The channel was read up to this id for messages a Done overtook (see [`collect_missed`]).
    #[serde(default)]
    pub settled_until: u64,
}

/// Sessions are stored under this prefix followed by the Discord user id.
pub const SESSION_KEY_PREFIX: &str = "solo:discord:";

pub fn session_key(user: u64) -> String {
    format!("{SESSION_KEY_PREFIX}{user}")
}

/// The stored state of an open session, with what memory knows better (see [`Open`]).
/// `None` when the store has no such session.
pub fn load(store: &dyn Store, user: u64, open: &Open) -> Result<Option<SoloState>, Error> {
    let Some(record) = store.get_session(&session_key(user))? else {
        return Ok(None);
    };
    let mut state: SoloState = serde_json::from_value(record.state).map_err(|e| {
        Error::Internal(format!("session {} cannot be read: {e}", session_key(user)))
    })?;
    state.settled_until = state.settled_until.max(open.settled_until);
    Ok(Some(state))
}

/// The full state of the user's open session, if any.
pub async fn current(data: &Data, user: u64) -> Result<Option<SoloState>, Error> {
    let Some(slot) = data.solo.existing(user) else {
        return Ok(None);
    };
    let guard = slot.lock().await;
    match guard.as_ref() {
        Some(open) => load(&*data.store, user, open),
        None => Ok(None),
    }
}

/// The user whose session lives in `channel` and has collected `message`, if any.
pub async fn owner_of_message(data: &Data, channel: u64, message: u64) -> Option<u64> {
    for (user, slot) in data.solo.in_channel(channel) {
        let guard = slot.lock().await;
        let Some(open) = guard.as_ref().filter(|o| o.channel_id == channel) else {
            continue;
        };
        match load(&*data.store, user, open) {
            Ok(Some(state)) if state.session.messages.contains_key(&message) => return Some(user),
            Ok(_) => {}
            Err(err) => tracing::warn!(user, channel, "could not read a session: {err}"),
        }
    }
    None
}

/// The result of driving a session with one event.
#[derive(Debug, PartialEq, Eq)]
pub enum Driven {
    /// The user has no open session (or the message was elsewhere).
    NoSession,
    Applied,
}

/// Where an event came from, so a message outside the session's channel is not collected.
pub enum Origin {
    Channel(u64),
    /// A click or command by the owner: valid wherever it happens.
    Owner,
    /// The owner's Answer form. Valid anywhere, and there is no message to react to.
    Form,
}

/// Where the replies to an event go.
#[derive(Debug, Clone, Copy)]
pub enum Replies<'a> {
    /// Messages in the session's channel, each in a slot of the REST budget.
    Channel,
    /// Followups of the interaction (a click on the controls, the Answer form) that caused the
    /// event, already acknowledged: exempt from Discord's global limit, so they go out at once
    /// instead of queueing behind everyone else's replies. Followups appear in the channel the
    /// interaction came from; from any other channel than the session's, replies go there.
    Followup { token: &'a str, channel: u64 },
}

/// Applies `event` to `user`'s session: records attempts, persists the session (flushed), then
/// carries out the visible effects in the session's channel.
pub async fn drive(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    user: u64,
    event: Event,
    origin: Origin,
) -> Result<Driven, Error> {
    drive_answering(data, http, user, event, origin, Replies::Channel).await
}

/// [`drive`], with the replies sent as `replies` says.
pub async fn drive_answering(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    user: u64,
    event: Event,
    origin: Origin,
    replies: Replies<'_>,
) -> Result<Driven, Error> {
    let Some(slot) = data.solo.existing(user) else {
        return Ok(Driven::NoSession);
    };
    let mut guard = slot.lock().await;
    let Some(open) = guard.as_ref() else {
        return Ok(Driven::NoSession);
    };
    if let Origin::Channel(channel) = origin {
        if channel != open.channel_id {
            return Ok(Driven::NoSession);
        }
    }
    let now = data.clock.now();
    if matches!(event, Event::Tick) && !open.tick_due(now) {
        return Ok(Driven::Applied);
    }
    let Some(state) = load(&*data.store, user, open)? else {
        // Gone from the store (deleted elsewhere): nothing is open any more.
        data.solo.close(user, &mut guard);
        return Ok(Driven::NoSession);
    };
    if let Event::Message { id, .. } = &event {
        if state.refused.contains(id) {
            return Ok(Driven::Applied);
        }
    }
    let ctx = CoreContext {
        bank: &data.bank,
        config: &data.config.interview,
        now,
    };
    let step = state.session.clone().apply(event, &ctx);

    // Durable first: attempts, then the session itself.
    for effect in &step.effects {
        if let Effect::Record(draft) = effect {
            let guild = state.guild_id.map(|g| g.to_string());
            let attempt = record::attempt(draft, Mode::Solo, guild);
            data.store.record_attempt(&attempt)?;
        }
    }
    let next = step.session.map(|session| {
        let mut next = SoloState {
            session,
            ..state.clone()
        };
        for effect in &step.effects {
            if let Effect::TooLong { message_id, .. } = effect {
                if !next.session.messages.contains_key(message_id) {
                    next.refused.insert(*message_id);
                }
            }
        }
        next
    });
    match &next {
        Some(next_state) if *next_state != state => {
            persist(&*data.store, user, next_state, ctx.now)?;
        }
        Some(_) => {}
        None => {
            data.store.delete_session(&session_key(user))?;
        }
    }
    data.solo
        .settle(user, &mut guard, next.as_ref(), &data.config.interview);
    drop(guard);

    let react = !matches!(origin, Origin::Form);
    let out = Out {
        http,
        pace: &data.outbound,
        channel: state.channel_id,
        followup: match replies {
            Replies::Followup { token, channel } if channel == state.channel_id => Some(token),
            _ => None,
        },
    };
    perform(data, &out, user, &state, step.effects, react).await;
    Ok(Driven::Applied)
}

/// Before a Done, reads the interview's channel for the owner's messages written before it
/// that have not been collected, or whose edit has not been applied: serenity handles each
/// gateway event in its own task, so a Done can overtake the last messages of a burst, and an
/// edit that overtook its own message waits a moment before it is applied. Snowflake ids order
/// them; `before` is the id of the Done itself (its message, click or command). A failed read
/// only means this check is skipped.
pub async fn collect_missed(data: &Arc<Data>, http: &Arc<serenity::Http>, user: u64, before: u64) {
    let Some(slot) = data.solo.existing(user) else {
        return;
    };
    let (channel, mut after) = {
        let mut guard = slot.lock().await;
        let Some(open) = guard.as_mut() else {
            return;
        };
        let after = open.start_id.max(open.settled_until);
        open.settled_until = open.settled_until.max(before);
        (open.channel_id, after)
    };
    const PAGE: u8 = 100;
    // Discord ids are never 0: a session stored before `start_id` existed has nothing to go by.
    while after != 0 && after < before {
        let page = data
            .outbound
            .read(
                http,
                serenity::ChannelId::new(channel),
                serenity::GetMessages::new()
                    .after(serenity::MessageId::new(after))
                    .limit(PAGE),
            )
            .await;
        let mut page = match page {
            Ok(page) => page,
            Err(err) => {
                tracing::warn!(user, channel, "could not read the interview channel: {err}");
                return;
            }
        };
        page.sort_by_key(|m| m.id);
        // What the session already holds decides each message's event: one store read a page,
        // not one per message and event.
        let known: std::collections::BTreeMap<u64, Option<String>> = match current(data, user).await
        {
            Ok(Some(state)) => state
                .session
                .messages
                .into_iter()
                .map(|(id, text)| (id, Some(text)))
                .chain(state.refused.into_iter().map(|id| (id, None)))
                .collect(),
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(user, channel, "could not load the interview: {err}");
                return;
            }
        };
        for message in &page {
            let id = message.id.get();
            after = after.max(id);
            if id >= before || message.author.id.get() != user || is_done_command(&message.content)
            {
                continue;
            }
            // What Discord shows now: collected if it was missed, its text brought up to date
            // if it was collected before an edit. Empty content means it cannot be read (no
            // Message Content intent), which must not erase what was.
            if message.content.trim().is_empty() {
                continue;
            }
            let text = message.content.clone();
            let event = match known.get(&id) {
                None => Event::Message { id, text },
                Some(Some(stored)) if *stored == text => continue,
                Some(_) => Event::Edit { id, text },
            };
            if let Err(err) = drive(data, http, user, event, Origin::Channel(channel)).await {
                tracing::warn!(user, channel, "could not collect a missed message: {err}");
            }
        }
        if page.len() < usize::from(PAGE) {
            break;
        }
    }
}

/// Stores the session (flushed by the store).
pub fn persist(
    store: &dyn Store,
    user: u64,
    state: &SoloState,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let value = serde_json::to_value(state)
        .map_err(|e| Error::Internal(format!("session cannot be serialised: {e}")))?;
    store.put_session(&SessionRecord {
        key: session_key(user),
        owner: UserKey::discord(user),
        participants: Vec::new(),
        state: value,
        updated_at: now,
    })?;
    Ok(())
}

/// The buttons under a question or a follow-up.
pub fn controls(user: u64, with_skip: bool) -> Vec<serenity::CreateActionRow> {
    let id = |action: &str| format!("solo:{action}:{user}");
    let mut buttons = vec![
        serenity::CreateButton::new(id("done"))
            .label("Done")
            .style(serenity::ButtonStyle::Success),
        serenity::CreateButton::new(id("answer"))
            .label("Answer")
            .style(serenity::ButtonStyle::Primary),
        serenity::CreateButton::new(id("hint"))
            .label("Hint")
            .style(serenity::ButtonStyle::Secondary),
    ];
    if with_skip {
        buttons.push(
            serenity::CreateButton::new(id("skip"))
                .label("Skip")
                .style(serenity::ButtonStyle::Secondary),
        );
    }
    buttons.push(
        serenity::CreateButton::new(id("cancel"))
            .label("Cancel")
            .style(serenity::ButtonStyle::Danger),
    );
    vec![serenity::CreateActionRow::Buttons(buttons)]
}

/// Sends cards as one or more messages, the last one carrying `components`.
pub async fn send_cards(
    http: &serenity::Http,
    pace: &Outbound,
    channel: u64,
    cards: Vec<Card>,
    components: Vec<serenity::CreateActionRow>,
) -> Result<(), serenity::Error> {
    for (embeds, last_components) in packed(cards, components) {
        let mut message = serenity::CreateMessage::new()
            .embeds(embeds)
            .allowed_mentions(no_pings());
        if let Some(components) = last_components {
            message = message.components(components);
        }
        pace.post(http, channel, message).await?;
    }
    Ok(())
}

/// Cards as the embeds of each message to send, with `components` on the last one (when there
/// are any).
fn packed(
    cards: Vec<Card>,
    components: Vec<serenity::CreateActionRow>,
) -> Vec<(
    Vec<serenity::CreateEmbed>,
    Option<Vec<serenity::CreateActionRow>>,
)> {
    let messages = render::embeds_per_message(cards);
    let count = messages.len();
    let mut components = (!components.is_empty()).then_some(components);
    messages
        .into_iter()
        .enumerate()
        .map(|(index, embeds)| {
            let last = if index + 1 == count {
                components.take()
            } else {
                None
            };
            (embeds, last)
        })
        .collect()
}

/// Where one event's replies go: the session's channel (paced), or followups of the interaction
/// that caused it (exempt, at once).
struct Out<'a> {
    http: &'a Arc<serenity::Http>,
    pace: &'a Outbound,
    channel: u64,
    followup: Option<&'a str>,
}

impl Out<'_> {
    async fn cards(
        &self,
        cards: Vec<Card>,
        components: Vec<serenity::CreateActionRow>,
    ) -> Result<(), serenity::Error> {
        let Some(token) = self.followup else {
            return send_cards(self.http, self.pace, self.channel, cards, components).await;
        };
        for (embeds, last_components) in packed(cards, components) {
            let mut message = serenity::CreateInteractionResponseFollowup::new()
                .embeds(embeds)
                .allowed_mentions(no_pings());
            if let Some(components) = last_components {
                message = message.components(components);
            }
            super::rest::followup(self.http, token, message).await?;
        }
        Ok(())
    }

    async fn say(&self, text: &str) -> Result<(), serenity::Error> {
        let Some(token) = self.followup else {
            return say(self.http, self.pace, self.channel, text).await;
        };
        for part in limits::split(text, limits::MESSAGE_CHARS) {
            let message = serenity::CreateInteractionResponseFollowup::new()
                .content(part)
                .allowed_mentions(no_pings());
            super::rest::followup(self.http, token, message).await?;
        }
        Ok(())
    }
}

/// Sends plain text, split to fit.
pub async fn say(
    http: &serenity::Http,
    pace: &Outbound,
    channel: u64,
    text: &str,
) -> Result<(), serenity::Error> {
    for part in limits::split(text, limits::MESSAGE_CHARS) {
        pace.post(
            http,
            channel,
            serenity::CreateMessage::new()
                .content(part)
                .allowed_mentions(no_pings()),
        )
        .await?;
    }
    Ok(())
}

async fn perform(
    data: &Arc<Data>,
    out: &Out<'_>,
    user: u64,
    before: &SoloState,
    effects: Vec<Effect>,
    react: bool,
) {
    let channel = before.channel_id;
    let http = out.http;
    for effect in effects {
        let result = match effect {
            Effect::Collected { message_id, .. } => {
                if react {
                    acknowledge(data, http, user, channel, message_id);
                }
                Ok(())
            }
            Effect::Removed { message_id } => {
                forget_pending(data, user, message_id);
                Ok(())
            }
            Effect::Edited { .. } | Effect::Record(_) => Ok(()),
            Effect::TooLong {
                limit,
                chars_so_far,
                ..
            } => {
                out.say(&format!(
                    "That message was not added: your answer would go past the limit of \
                         {limit} characters (it has {chars_so_far} so far). Press **Done** for \
                         feedback on what you have, or shorten an earlier message."
                ))
                .await
            }
            Effect::NothingToAnalyse => {
                out.say(
                    "I have nothing to analyse yet: type your answer here (as many messages as \
                     you like) or use the **Answer** button, then press **Done**.",
                )
                .await
            }
            Effect::Feedback { report, follow_up } => {
                let question = data.bank.question(&before.session.question_id);
                // The feedback and the follow-up question go together, in as few messages as
                // Discord's embed limits allow: each message is a call of the REST budget.
                let mut cards = render::feedback_cards(&report, question);
                let components = match follow_up {
                    Some(follow_up) => {
                        let number = before.session.follow_ups.len() + 1;
                        cards.push(render::follow_up_card(&follow_up, number));
                        controls(user, false)
                    }
                    None => vec![],
                };
                let result = out.cards(cards, components).await;
                if result.is_err() {
                    // The attempt is stored; say so, so the person does not think it lost.
                    let notice = "I could not post all of your feedback here (Discord \
                                      refused the message). Your answer and its analysis are \
                                      saved: see `/history`.";
                    let told = match out.say(notice).await {
                        Ok(()) => true,
                        // A refused followup: try the channel itself.
                        Err(_) if out.followup.is_some() => {
                            say(http, out.pace, channel, notice).await.is_ok()
                        }
                        Err(_) => false,
                    };
                    if told {
                        tracing::warn!(user, channel, "feedback not delivered; told the person");
                    }
                }
                result
            }
            Effect::Hint { question_id } => match data.bank.question(&question_id) {
                Some(question) => out.cards(vec![render::hint_card(question)], vec![]).await,
                None => out.say("This question has no hint.").await,
            },
            Effect::Ask { question_id } => match data.bank.question(&question_id) {
                Some(question) => {
                    let card =
                        render::question_card(&data.bank, question, "Here is a new question.");
                    out.cards(vec![card], controls(user, true)).await
                }
                None => out.say("That question is no longer in the bank.").await,
            },
            Effect::Reminder { idle_minutes } => {
                out.say(&format!(
                    "Still there? It has been {idle_minutes} minutes. Your answer so far is \
                         saved; add to it or press **Done** for feedback."
                ))
                .await
            }
            Effect::Closed(reason) => close(out, before, reason).await,
        };
        if let Err(err) = result {
            // The session and any attempt are already stored; only this reply was lost.
            tracing::warn!(user, channel, "could not deliver a reply: {err}");
        }
    }
}

async fn close(
    out: &Out<'_>,
    state: &SoloState,
    reason: CloseReason,
) -> Result<(), serenity::Error> {
    let saved = state.session.attempt_recorded;
    let text = match reason {
        CloseReason::Cancelled if saved => {
            "Interview ended. Your attempt is saved: see `/history` and `/stats`."
        }
        CloseReason::Cancelled => "Interview cancelled. Nothing was stored.",
        CloseReason::Finished => {
            "Interview finished and saved. See `/history` and `/stats`; `/interview start` for another."
        }
        CloseReason::Expired => {
            "This interview was idle for too long, so I analysed and saved what you had."
        }
        CloseReason::ExpiredEmpty => {
            "This interview was idle for too long with no answer, so I closed it. Nothing was stored."
        }
    };
    out.say(text).await?;
    if state.thread {
        out.pace
            .update_thread(
                out.http,
                state.channel_id,
                serenity::EditThread::new().archived(true),
            )
            .await?;
    }
    Ok(())
}

/// Reacts to a collected message at once, or once per second per person when they type fast
/// (the newest message of a burst gets the trailing reaction). The reaction itself goes out in
/// a slot of the REST budget no reply needs (see `pace.rs`). The ✅ tells the person that this
/// message and their earlier ones are collected, so it waits while an older message of theirs
/// in the channel is still being stored (see `receiving.rs`).
pub fn acknowledge(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    user: u64,
    channel: u64,
    message: u64,
) {
    if !data.receiving.earlier_in_flight(channel, user, message) {
        gate_acknowledgement(data, http, user, channel, message);
        return;
    }
    let http = http.clone();
    let data = data.clone();
    tokio::spawn(async move {
        data.receiving
            .wait_for_earlier(channel, user, message)
            .await;
        gate_acknowledgement(&data, &http, user, channel, message);
    });
}

fn gate_acknowledgement(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    user: u64,
    channel: u64,
    message: u64,
) {
    let now = Instant::now();
    match data.acks.gate(user, now) {
        Gate::Now => data.outbound.acknowledge(http, user, channel, message),
        Gate::Later(delay) => {
            set_pending(data, user, channel, message);
            let http = http.clone();
            let data = data.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                // The newest pending message may have become newer than a message still
                // being stored meanwhile: wait for that one, then take the newest again.
                loop {
                    match take_pending(&data, user) {
                        Pending::Ready(Some((channel, message))) => {
                            data.outbound.acknowledge(&http, user, channel, message);
                            break;
                        }
                        Pending::Ready(None) => break,
                        Pending::Held { channel, message } => {
                            data.receiving
                                .wait_for_earlier(channel, user, message)
                                .await;
                        }
                    }
                }
            });
        }
        Gate::Covered => set_pending(data, user, channel, message),
    }
}

/// Remembers the message the trailing acknowledgement goes to: the newest one. serenity handles
/// each event in its own task, so messages of a burst can arrive here out of order.
fn set_pending(data: &Data, user: u64, channel: u64, message: u64) {
    let mut pending = data
        .solo
        .pending_ack
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let pending_is_newer = pending
        .get(&user)
        .is_some_and(|&(c, m)| c == channel && m > message);
    if !pending_is_newer {
        pending.insert(user, (channel, message));
    }
}

/// A deleted message is not acknowledged later (Discord would answer 404 Unknown Message).
fn forget_pending(data: &Data, user: u64, message: u64) {
    let mut pending = data
        .solo
        .pending_ack
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if pending.get(&user).is_some_and(|&(_, m)| m == message) {
        pending.remove(&user);
    }
}

/// What the trailing acknowledgement may do now.
enum Pending {
    /// Send it to this message (none: nothing is pending); the throttle window is closed.
    Ready(Option<(u64, u64)>),
    /// The pending message has an older one still being stored; it stays pending.
    Held { channel: u64, message: u64 },
}

/// Takes the newest message awaiting acknowledgement and closes the throttle window, unless an
/// older message of the person in that channel is still being stored. Checked under the
/// pending lock, so a newer message set pending meanwhile is checked too.
fn take_pending(data: &Data, user: u64) -> Pending {
    let mut pending = data
        .solo
        .pending_ack
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(&(channel, message)) = pending.get(&user) {
        if data.receiving.earlier_in_flight(channel, user, message) {
            return Pending::Held { channel, message };
        }
    }
    data.acks.trailing_done(user, Instant::now());
    Pending::Ready(pending.remove(&user))
}

/// Checks idle sessions every `every`: reminders, then expiry (analysed and stored).
pub async fn idle_ticker(data: Arc<Data>, http: Arc<serenity::Http>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        for user in data.solo.users() {
            if let Err(err) = drive(&data, &http, user, Event::Tick, Origin::Owner).await {
                tracing::warn!(user, "idle check failed: {err}");
            }
        }
    }
}

#[cfg(test)]
mod acknowledgement_tests {
    use super::*;
    use crate::bank::Bank;
    use crate::clock::SystemClock;
    use crate::config::Config;
    use crate::store::SledStore;

    fn data(dir: &std::path::Path) -> Arc<Data> {
        let store = SledStore::open(dir).expect("temp store");
        Arc::new(Data::new(
            Config::default(),
            Arc::new(store),
            Arc::new(Bank::builtin()),
            Arc::new(SystemClock),
        ))
    }

    /// REST calls go to a closed local port: nothing leaves the machine.
    fn offline_http() -> Arc<serenity::Http> {
        Arc::new(
            serenity::HttpBuilder::new("test")
                .proxy("http://127.0.0.1:9")
                .build(),
        )
    }

    /// Lets spawned tasks run until `done` holds or `within` has passed (so a broken bot fails
    /// the test).
    async fn settle_within(within: Duration, done: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if done() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        done()
    }

    /// The ✅ that must NOT go out: a short look is enough (a wrong one comes at once).
    async fn settle_until(done: impl Fn() -> bool) -> bool {
        settle_within(Duration::from_secs(1), done).await
    }

    /// The ✅ that must go out: waited for generously, since a slow machine (CPU starved by
    /// parallel test binaries, a slow disk under the store) can take seconds.
    async fn eventually(done: impl Fn() -> bool) -> bool {
        settle_within(Duration::from_secs(20), done).await
    }

    #[tokio::test]
    async fn the_check_on_a_newer_message_waits_until_the_older_one_is_stored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = data(dir.path());
        let http = offline_http();
        tokio::spawn(data.outbound.clone().run_acknowledgements());
        let (user, channel) = (7, 70);
        // The older message arrived and is still being stored; the newer one is stored first.
        let older = data.receiving.enter(channel, user, 100);
        acknowledge(&data, &http, user, channel, 101);
        tokio::task::yield_now().await;
        assert!(
            !settle_until(|| data.outbound.granted_total() > 0).await,
            "the ✅ went out while an older message was still being stored"
        );
        // Another person is not held up by it.
        acknowledge(&data, &http, 8, channel, 102);
        assert!(eventually(|| data.outbound.granted_total() == 1).await);
        drop(older);
        assert!(
            eventually(|| data.outbound.granted_total() == 2).await,
            "the ✅ did not go out once the older message was stored"
        );
    }

    #[tokio::test]
    async fn the_trailing_check_of_a_burst_waits_for_an_older_message_too() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = data(dir.path());
        let http = offline_http();
        tokio::spawn(data.outbound.clone().run_acknowledgements());
        let (user, channel) = (7, 70);
        acknowledge(&data, &http, user, channel, 100);
        assert!(eventually(|| data.outbound.granted_total() == 1).await);
        // Within the throttle window: 102 is pending for the trailing ✅; 101 arrives late and
        // is still being stored when the window ends.
        let late = data.receiving.enter(channel, user, 101);
        acknowledge(&data, &http, user, channel, 102);
        assert!(
            !settle_until(|| data.outbound.granted_total() > 1).await,
            "the trailing ✅ went out while an older message was still being stored"
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(
            data.outbound.granted_total(),
            1,
            "the trailing ✅ went out while an older message was still being stored"
        );
        drop(late);
        assert!(
            eventually(|| data.outbound.granted_total() == 2).await,
            "the trailing ✅ did not go out once the older message was stored"
        );
    }
}
