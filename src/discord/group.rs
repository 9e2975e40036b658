//! Group mock interviews on Discord: a lobby message with buttons in a text channel, a public
//! thread for the session, rounds posted there, compact feedback cards, votes and panel
//! ratings, a scoreboard. The rules live in [`crate::interview::group`]; this file translates.
//!
//! As in solo: attempts are recorded and the session persisted (flushed) before anything is
//! shown, and deadlines are stored so a restart re-arms them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serde::{Deserialize, Serialize};

use super::data::{no_pings, Data, Error};
use super::limits::{self, truncate};
use super::pace::Outbound;
use super::render::{tick, Card};
use super::solo::{say, send_cards};
use crate::interview::group::{
    channel_key, CloseReason, Context as CoreContext, Effect, Event, FeedbackItem, GroupSession,
    PanelRating, Scoreboard,
};
use crate::quota::{CapLimits, CapRefusal, OpenGroup, OpenGroups};
use crate::store::{SessionRecord, Store, StoreResult, UserKey};

const COLOUR: u32 = 0x8B5CF6;

/// A group session and where it lives on Discord.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupState {
    pub session: GroupSession,
    pub guild_id: Option<u64>,
    /// The text channel with the lobby message.
    pub channel_id: u64,
    pub lobby_message_id: u64,
    /// The public thread the rounds run in.
    pub thread_id: u64,
    /// Display names by user key, for lobby lists, votes and the scoreboard.
    #[serde(default)]
    pub names: BTreeMap<String, String>,
    /// Round posts saved with the state that called for them and not yet known to be shown:
    /// cleared after a successful post, re-posted when the bot starts (see [`resume_unshown`]).
    /// A crash between the post and the clearing shows a post twice, never zero times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unshown: Vec<Unshown>,
}

/// A round post the members must see for the session to go on: the question with its
/// buttons, or the closing cards with the vote menu / rating button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Unshown {
    Question {
        round: u32,
        rounds: u8,
        question_id: String,
        candidate: Option<String>,
        deadline: jiff::Timestamp,
    },
    Closing {
        round: u32,
        feedback: Vec<FeedbackItem>,
        vote_for: Vec<String>,
        candidate: Option<String>,
    },
    Panel {
        round: u32,
        candidate: String,
        feedback: Option<FeedbackItem>,
        ratings: Vec<PanelRating>,
    },
}

impl Unshown {
    fn of(effect: &Effect) -> Option<Self> {
        match effect {
            Effect::RoundStarted {
                round,
                rounds,
                question_id,
                candidate,
                deadline,
            } => Some(Self::Question {
                round: *round,
                rounds: *rounds,
                question_id: question_id.clone(),
                candidate: candidate.clone(),
                deadline: *deadline,
            }),
            Effect::RoundClosed {
                round,
                feedback,
                vote_for,
                candidate,
                ..
            } => Some(Self::Closing {
                round: *round,
                feedback: feedback.clone(),
                vote_for: vote_for.clone(),
                candidate: candidate.clone(),
            }),
            Effect::PanelFeedback {
                round,
                candidate,
                feedback,
                ratings,
            } => Some(Self::Panel {
                round: *round,
                candidate: candidate.clone(),
                feedback: feedback.clone(),
                ratings: ratings.clone(),
            }),
            _ => None,
        }
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<GroupState>>>;

/// Running groups by text channel, and their threads.
#[derive(Default)]
pub struct GroupRegistry {
    by_channel: std::sync::Mutex<HashMap<u64, Slot>>,
    by_thread: std::sync::Mutex<HashMap<u64, u64>>,
    /// Who hosts and is in each open group, for the caps (kept beside the slots, so counting
    /// never waits on a session's lock).
    open: std::sync::Mutex<OpenGroups>,
    /// One turn at a time for the clicks of a group, from applying one to answering it: the
    /// lobby is shown in click responses, and two joins answered out of order would leave the
    /// older list showing.
    click_turns: std::sync::Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
}

impl GroupRegistry {
    pub fn load_from_store(&self, store: &dyn Store) -> StoreResult<()> {
        // Every group key is `channel_key(<channel>)`: the empty channel gives their prefix.
        store.for_each_session(
            &channel_key(""),
            &mut |record| match serde_json::from_value::<GroupState>(record.state) {
                Ok(state) => self.insert(state),
                Err(err) => {
                    tracing::error!(key = %record.key, "unreadable group kept as is: {err}")
                }
            },
        )
    }

    fn insert(&self, state: GroupState) {
        let (channel, thread) = (state.channel_id, state.thread_id);
        self.refresh(&state);
        lock(&self.by_thread).insert(thread, channel);
        lock(&self.by_channel).insert(channel, Arc::new(tokio::sync::Mutex::new(Some(state))));
    }

    pub fn by_channel(&self, channel: u64) -> Option<Slot> {
        lock(&self.by_channel).get(&channel).cloned()
    }

    pub fn channel_of_thread(&self, thread: u64) -> Option<u64> {
        lock(&self.by_thread).get(&thread).copied()
    }

    fn channels(&self) -> Vec<u64> {
        lock(&self.by_channel).keys().copied().collect()
    }

    fn remove(&self, channel: u64, thread: u64) {
        lock(&self.by_channel).remove(&channel);
        lock(&self.by_thread).remove(&thread);
        lock(&self.open).remove(channel);
        lock(&self.click_turns).remove(&channel);
    }

    /// Counts a group about to open against the caps (see [`OpenGroups::reserve`]).
    fn reserve(&self, channel: u64, group: OpenGroup, limits: &CapLimits) -> Result<(), Error> {
        lock(&self.open)
            .reserve(channel, group, limits)
            .map_err(|refusal| Error::user(refusal.to_string()))
    }

    /// Whether `user` may join the group in `channel` under the caps; counts them in it.
    pub fn reserve_join(
        &self,
        channel: u64,
        user: &str,
        limits: &CapLimits,
    ) -> Result<(), CapRefusal> {
        lock(&self.open).reserve_join(channel, user, limits)
    }

    /// Records who is in a group now, for the caps.
    fn refresh(&self, state: &GroupState) {
        lock(&self.open).update(state.channel_id, open_group(state));
    }

    /// The turn clicks on the group in `channel` wait for (see `click_turns`), while a group
    /// runs there.
    pub fn click_turn(&self, channel: u64) -> Option<Arc<tokio::sync::Mutex<()>>> {
        self.by_channel(channel)?;
        Some(lock(&self.click_turns).entry(channel).or_default().clone())
    }

    /// The round the group in `channel` is at (0 in the lobby), while one runs there.
    pub async fn round_of(&self, channel: u64) -> Option<u32> {
        let slot = self.by_channel(channel)?;
        let guard = slot.lock().await;
        guard.as_ref().map(|state| state.session.round_number())
    }

    /// Number of running groups.
    pub fn len(&self) -> usize {
        lock(&self.by_channel).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn open_group(state: &GroupState) -> OpenGroup {
    OpenGroup {
        server: state.guild_id,
        host: state.session.host.clone(),
        participants: state.session.participants.clone(),
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn user_key(id: u64) -> String {
    UserKey::discord(id).0
}

fn user_id(key: &str) -> Option<u64> {
    key.strip_prefix("discord:")?.parse().ok()
}

fn store_key(channel: u64) -> String {
    channel_key(&channel.to_string())
}

fn persist(store: &dyn Store, state: &GroupState, now: jiff::Timestamp) -> Result<(), Error> {
    let value = serde_json::to_value(state)
        .map_err(|e| Error::Internal(format!("group cannot be serialised: {e}")))?;
    let participants = state
        .session
        .everyone()
        .into_iter()
        .map(|u| UserKey(u.to_string()))
        .collect();
    store.put_session(&SessionRecord {
        key: store_key(state.channel_id),
        owner: UserKey(state.session.host.clone()),
        participants,
        state: value,
        updated_at: now,
    })?;
    Ok(())
}

/// Opens a group in `channel`: the lobby message, its thread, the stored session.
pub async fn open(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    guild: Option<u64>,
    channel: u64,
    host: &serenity::User,
    settings: crate::interview::group::Settings,
) -> Result<u64, Error> {
    if let Some(slot) = data.group.by_channel(channel) {
        if let Some(open) = slot.lock().await.as_ref() {
            return Err(Error::user(format!(
                "A group is already running in this channel: <#{}>. One at a time per channel.",
                open.thread_id
            )));
        }
    }
    let now = data.clock.now();
    let host_key = user_key(host.id.get());
    let session = GroupSession::start(
        format!("group-{channel}-{}", now.as_millisecond()),
        channel.to_string(),
        host_key.clone(),
        settings,
        now.as_millisecond().unsigned_abs(),
        now,
    );
    let mut names = BTreeMap::new();
    names.insert(host_key, display_name(host));
    let mut state = GroupState {
        session,
        guild_id: guild,
        channel_id: channel,
        lobby_message_id: 0,
        thread_id: 0,
        names,
        unshown: Vec::new(),
    };
    // The slot is registered and held while the lobby is posted, so a click on Join that
    // arrives before the thread exists waits for it instead of finding no group.
    let slot: Slot = Arc::new(tokio::sync::Mutex::new(None));
    let mut guard = slot.clone().lock_owned().await;
    {
        let mut channels = lock(&data.group.by_channel);
        if channels.contains_key(&channel) {
            return Err(Error::user(
                "A group is already starting in this channel. One at a time per channel.",
            ));
        }
        // Counted from here, before anything is posted, so starts at the same moment elsewhere
        // see it.
        data.group
            .reserve(channel, open_group(&state), &data.config.group.caps())?;
        channels.insert(channel, slot);
    }
    match post_lobby(data, http, &mut state, now).await {
        Ok(()) => {
            lock(&data.group.by_thread).insert(state.thread_id, channel);
            let thread = state.thread_id;
            *guard = Some(state);
            Ok(thread)
        }
        Err(err) => {
            lock(&data.group.by_channel).remove(&channel);
            lock(&data.group.open).remove(channel);
            Err(err)
        }
    }
}

/// Posts the lobby and opens its thread, then stores the session.
async fn post_lobby(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    state: &mut GroupState,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let channel = state.channel_id;
    let lobby = data
        .outbound
        .post(
            http,
            channel,
            serenity::CreateMessage::new()
                .embed(lobby_card(data, state).to_embed())
                .components(lobby_buttons(channel, true))
                .allowed_mentions(no_pings()),
        )
        .await?;
    let thread_name = truncate(
        &format!(
            "Group mock interview — {}",
            now.strftime("%Y-%m-%d %H:%M UTC")
        ),
        limits::THREAD_NAME_CHARS,
    );
    let thread = data
        .outbound
        .open_thread_from(
            http,
            serenity::ChannelId::new(channel),
            lobby.id.get(),
            serenity::CreateThread::new(thread_name)
                .auto_archive_duration(serenity::AutoArchiveDuration::OneDay),
        )
        .await?;
    state.lobby_message_id = lobby.id.get();
    state.thread_id = thread.id.get();
    persist(&*data.store, state, now)?;
    Ok(())
}

fn display_name(user: &serenity::User) -> String {
    truncate(user.global_name.as_deref().unwrap_or(&user.name), 40)
}

fn name_of(state: &GroupState, key: &str) -> String {
    state
        .names
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.trim_start_matches("discord:").to_string())
}

fn lobby_card(data: &Data, state: &GroupState) -> Card {
    let s = &state.session.settings;
    let focus =
        s.lp.as_deref()
            .and_then(|id| data.bank.principle(id))
            .map_or("any Leadership Principle".to_string(), |p| p.name.clone());
    let people: Vec<String> = state
        .session
        .participants
        .iter()
        .map(|p| {
            let name = name_of(state, p);
            if *p == state.session.host {
                format!("• {name} (host)")
            } else {
                format!("• {name}")
            }
        })
        .collect();
    Card {
        title: "Group mock interview".into(),
        description: format!(
            "{} question{} · {} · mode **{}** · {} minute{} to answer\nAnswers go in the thread \
             below. Join, then the host presses **Begin**.",
            s.rounds,
            if s.rounds == 1 { "" } else { "s" },
            focus,
            s.mode.as_str(),
            s.answer_minutes,
            if s.answer_minutes == 1 { "" } else { "s" },
        ),
        fields: vec![(
            format!("Who is in ({}/{})", people.len(), s.max_participants),
            people.join("\n"),
        )],
        footer: None,
        colour: COLOUR,
    }
}

fn button(id: String, label: &str, style: serenity::ButtonStyle) -> serenity::CreateButton {
    serenity::CreateButton::new(id).label(label).style(style)
}

fn lobby_buttons(channel: u64, open: bool) -> Vec<serenity::CreateActionRow> {
    if !open {
        return Vec::new();
    }
    let id = |a: &str| format!("group:{a}:{channel}");
    vec![serenity::CreateActionRow::Buttons(vec![
        button(id("join"), "Join", serenity::ButtonStyle::Success),
        button(id("leave"), "Leave", serenity::ButtonStyle::Secondary),
        button(id("begin"), "Begin", serenity::ButtonStyle::Primary),
        button(id("end"), "End", serenity::ButtonStyle::Danger),
    ])]
}

/// The round is in the ids, so a click on an older round's card is refused, not applied to
/// the round under way.
fn round_buttons(channel: u64, round: u32) -> Vec<serenity::CreateActionRow> {
    let id = |a: &str| format!("group:{a}:{channel}:{round}");
    vec![serenity::CreateActionRow::Buttons(vec![
        button(id("done"), "Done", serenity::ButtonStyle::Success),
        button(id("next"), "Next", serenity::ButtonStyle::Primary),
        button(id("end"), "End", serenity::ButtonStyle::Danger),
    ])]
}

/// Who pressed or typed.
pub struct Actor {
    pub id: u64,
    pub name: String,
}

/// What applying an event means for the person who caused it.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Refusals meant for the actor, to show ephemerally.
    pub refusals: Vec<String>,
    /// Short confirmations for the actor (vote or rating recorded).
    pub confirmations: Vec<String>,
}

/// An event applied and made durable; its posts are still to be made.
pub struct Applied {
    state: GroupState,
    effects: Vec<Effect>,
    pub outcome: Outcome,
    /// The lobby message already shows this event (the click on it was answered with an
    /// UpdateMessage), so no edit of it is made.
    lobby_shown: bool,
}

impl Applied {
    /// The lobby message as this event leaves it, when the event changed it and the click was
    /// on that message: the click's UpdateMessage response shows it at once (an interaction
    /// callback, exempt from the global REST limit) instead of a paced edit. Marks the lobby
    /// as shown, so [`carry_out`] does not edit it again.
    pub fn take_lobby_update(
        &mut self,
        data: &Data,
        clicked_message: u64,
    ) -> Option<serenity::CreateInteractionResponseMessage> {
        if clicked_message != self.state.lobby_message_id || self.state.lobby_message_id == 0 {
            return None;
        }
        let mut view = None;
        for effect in &self.effects {
            match effect {
                Effect::Joined { .. } | Effect::Left { .. } | Effect::HostChanged { .. } => {
                    view = Some((lobby_card(data, &self.state), true))
                }
                Effect::RoundStarted { round: 1, .. } => {
                    view = Some((lobby_card(data, &self.state), false))
                }
                Effect::Closed(reason) => {
                    view = Some((closed_lobby_card(closing_text(*reason)), false))
                }
                _ => {}
            }
        }
        let (card, open) = view?;
        self.lobby_shown = true;
        Some(
            serenity::CreateInteractionResponseMessage::new()
                .embed(card.to_embed())
                .components(lobby_buttons(self.state.channel_id, open))
                .allowed_mentions(no_pings()),
        )
    }
}

/// Applies `event` to the group in `channel` and makes it durable: attempts recorded, session
/// persisted (both flushed). `None` when no group runs there.
pub async fn apply(
    data: &Arc<Data>,
    channel: u64,
    event: Event,
    actor: Option<&Actor>,
) -> Result<Option<Applied>, Error> {
    let Some(slot) = data.group.by_channel(channel) else {
        return Ok(None);
    };
    let mut guard = slot.lock().await;
    let Some(state) = guard.clone() else {
        return Ok(None);
    };
    let ctx = CoreContext {
        bank: &data.bank,
        now: data.clock.now(),
    };
    let step = state.session.clone().apply(event, &ctx);
    for effect in &step.effects {
        if let Effect::Record(attempt) = effect {
            let guild = state.guild_id.map(|g| g.to_string());
            data.store.record_attempt(&attempt.to_attempt(guild))?;
        }
    }
    let mut next = step.session.map(|session| GroupState {
        session,
        ..state.clone()
    });
    // Names of the group's own people only: a stranger's refused click leaves no trace here.
    if let (Some(actor), Some(next)) = (actor, next.as_mut()) {
        let key = user_key(actor.id);
        if next.session.host == key || next.session.is_participant(&key) {
            next.names.entry(key).or_insert_with(|| actor.name.clone());
        }
    }
    // The round posts are saved with the state that calls for them (see `GroupState::unshown`).
    if let Some(next) = next.as_mut() {
        for unshown in step.effects.iter().filter_map(Unshown::of) {
            if matches!(unshown, Unshown::Question { .. }) {
                // An older round's question is no use any more.
                next.unshown
                    .retain(|u| !matches!(u, Unshown::Question { .. }));
            }
            next.unshown.push(unshown);
        }
    }
    match &next {
        Some(next_state) if Some(next_state) != guard.as_ref() => {
            persist(&*data.store, next_state, ctx.now)?;
            data.group.refresh(next_state);
        }
        // Unchanged, but a refused join may have been counted in by `reserve_join`.
        Some(next_state) => data.group.refresh(next_state),
        None => {
            data.store.delete_session(&store_key(channel))?;
            data.group.remove(channel, state.thread_id);
        }
    }
    let shown = next.clone().unwrap_or(state);
    *guard = next;

    let actor_key = actor.map(|a| user_key(a.id));
    let mut outcome = Outcome::default();
    for effect in &step.effects {
        match effect {
            Effect::Refused { user, reason } if actor_key.as_deref() == Some(user.as_str()) => {
                outcome.refusals.push(reason.to_string())
            }
            Effect::Voted {
                voter, replaced, ..
            } if actor_key.as_deref() == Some(voter.as_str()) => {
                outcome.confirmations.push(if replaced.is_some() {
                    "Your vote is changed.".to_string()
                } else {
                    "Your vote is in.".to_string()
                })
            }
            Effect::Rated { rater, .. } if actor_key.as_deref() == Some(rater.as_str()) => {
                outcome.confirmations.push("Your rating is in.".to_string())
            }
            _ => {}
        }
    }
    Ok(Some(Applied {
        state: shown,
        effects: step.effects,
        outcome,
        lobby_shown: false,
    }))
}

/// Makes the posts an applied event calls for. A failed post is logged; state is already safe.
/// A round post that fails stays in `unshown`, to be made again when the bot starts.
pub async fn carry_out(data: &Arc<Data>, http: &Arc<serenity::Http>, applied: Applied) {
    let mut shown = Vec::new();
    for effect in applied.effects {
        let unshown = Unshown::of(&effect);
        match perform(data, http, &applied.state, effect, applied.lobby_shown).await {
            Ok(()) => shown.extend(unshown),
            Err(err) => tracing::warn!(
                channel = applied.state.channel_id,
                "could not deliver a group post: {err}"
            ),
        }
    }
    mark_shown(data, applied.state.channel_id, &shown).await;
}

/// Drops posts made from the stored `unshown` list of the group in `channel`.
async fn mark_shown(data: &Data, channel: u64, shown: &[Unshown]) {
    if shown.is_empty() {
        return;
    }
    let Some(slot) = data.group.by_channel(channel) else {
        return;
    };
    let mut guard = slot.lock().await;
    let Some(state) = guard.as_mut() else {
        return;
    };
    let before = state.unshown.len();
    state.unshown.retain(|u| !shown.contains(u));
    if state.unshown.len() == before {
        return;
    }
    if let Err(err) = persist(&*data.store, state, data.clock.now()) {
        // Only costs a repeated post after a restart.
        tracing::warn!(
            channel,
            "could not store that a group post was shown: {err}"
        );
    }
}

/// At start: makes the round posts that were stored but never shown (the bot stopped between
/// saving a round and posting it), so members see the question and its buttons, or the
/// closing cards, instead of a silent thread. A question is only posted while its round runs.
pub async fn resume_unshown(data: &Arc<Data>, http: &Arc<serenity::Http>) {
    for channel in data.group.channels() {
        let Some(slot) = data.group.by_channel(channel) else {
            continue;
        };
        let Some(state) = slot.lock().await.clone() else {
            continue;
        };
        let mut shown = Vec::new();
        for unshown in &state.unshown {
            let result = match unshown.clone() {
                Unshown::Question {
                    round,
                    rounds,
                    question_id,
                    candidate,
                    deadline,
                } => {
                    let running = round == state.session.round_number()
                        && matches!(
                            state.session.phase,
                            crate::interview::group::Phase::Answering(_)
                        );
                    if !running {
                        shown.push(unshown.clone());
                        continue;
                    }
                    let effect = Effect::RoundStarted {
                        round,
                        rounds,
                        question_id,
                        candidate,
                        deadline,
                    };
                    perform(data, http, &state, effect, false).await
                }
                Unshown::Closing {
                    round,
                    feedback,
                    vote_for,
                    candidate,
                } => round_closed(data, http, &state, round, feedback, vote_for, candidate).await,
                Unshown::Panel {
                    round,
                    candidate,
                    feedback,
                    ratings,
                } => {
                    panel_feedback(
                        http,
                        &data.outbound,
                        &state,
                        round,
                        &candidate,
                        feedback,
                        &ratings,
                    )
                    .await
                }
            };
            match result {
                Ok(()) => shown.push(unshown.clone()),
                Err(err) => tracing::warn!(channel, "could not re-post a group round: {err}"),
            }
        }
        mark_shown(data, channel, &shown).await;
    }
}

/// Apply, then post: for events nobody waits on (messages, timers).
pub async fn drive(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    channel: u64,
    event: Event,
    actor: Option<&Actor>,
) -> Result<bool, Error> {
    match apply(data, channel, event, actor).await? {
        Some(applied) => {
            carry_out(data, http, applied).await;
            Ok(true)
        }
        None => Ok(false),
    }
}

async fn perform(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    state: &GroupState,
    effect: Effect,
    lobby_shown: bool,
) -> Result<(), serenity::Error> {
    let thread = state.thread_id;
    let pace = &*data.outbound;
    // Lobby edits, unless the click that caused them already showed them.
    let refresh_lobby = |open: bool| async move {
        if lobby_shown {
            Ok(())
        } else {
            update_lobby(data, http, state, open).await
        }
    };
    match effect {
        // Shown to the actor by the caller (see `Outcome`).
        Effect::Refused { .. } | Effect::Voted { .. } | Effect::Rated { .. } => {}
        Effect::Joined { .. } | Effect::Left { .. } => refresh_lobby(true).await?,
        Effect::HostChanged { from, to } => {
            refresh_lobby(true).await?;
            say(
                http,
                pace,
                thread,
                &format!(
                    "{} left; {} is the host now.",
                    name_of(state, &from),
                    name_of(state, &to)
                ),
            )
            .await?;
        }
        Effect::RoundStarted {
            round,
            rounds,
            question_id,
            candidate,
            deadline,
        } => {
            if round == 1 {
                refresh_lobby(false).await?;
            }
            let Some(question) = data.bank.question(&question_id) else {
                return say(
                    http,
                    pace,
                    thread,
                    "This round's question is no longer in the bank.",
                )
                .await;
            };
            let who = match &candidate {
                Some(c) => format!(
                    "In the hot seat: **{}**. Everyone else is the panel.",
                    name_of(state, c)
                ),
                None => {
                    "Everyone answers in this thread, in as many messages as you like.".to_string()
                }
            };
            let minutes = deadline
                .duration_since(data.clock.now())
                .as_secs()
                .max(0)
                .div_euclid(60)
                .max(1);
            let card = Card {
                title: truncate(&format!("Round {round}/{rounds}: {}", question.text), 256),
                description: format!(
                    "{who}\nPress **Done** (or send `done`) when you are finished. About \
                     {minutes} minute{} to answer.",
                    if minutes == 1 { "" } else { "s" }
                ),
                fields: vec![(
                    "Leadership Principle".into(),
                    data.bank.principle_names(question),
                )],
                footer: Some(format!("question id: {}", question.id)),
                colour: COLOUR,
            };
            send_cards(
                http,
                pace,
                thread,
                vec![card],
                round_buttons(state.channel_id, round),
            )
            .await?;
        }
        Effect::Collected {
            user, message_id, ..
        } => {
            if let Some(id) = user_id(&user) {
                super::solo::acknowledge(data, http, id, thread, message_id);
            }
        }
        Effect::TooLong {
            user,
            limit,
            chars_so_far,
            ..
        } => {
            say(
                http,
                pace,
                thread,
                &format!(
                    "{}: that message was not added — your answer would pass {limit} \
                     characters (it has {chars_so_far}).",
                    name_of(state, &user)
                ),
            )
            .await?;
        }
        Effect::Finished { .. } | Effect::Edited { .. } | Effect::Removed { .. } => {}
        Effect::Warning { round, .. } => {
            say(
                http,
                pace,
                thread,
                &format!("One minute left in round {round}."),
            )
            .await?;
        }
        Effect::Record(_) => {}
        Effect::RoundClosed {
            round,
            feedback,
            vote_for,
            candidate,
            ..
        } => round_closed(data, http, state, round, feedback, vote_for, candidate).await?,
        Effect::PanelFeedback {
            round,
            candidate,
            feedback,
            ratings,
        } => panel_feedback(http, pace, state, round, &candidate, feedback, &ratings).await?,
        Effect::Scoreboard(board) => {
            send_cards(
                http,
                pace,
                thread,
                vec![scoreboard_card(state, &board)],
                vec![],
            )
            .await?;
        }
        Effect::Closed(reason) => {
            let text = closing_text(reason);
            say(http, pace, thread, text).await?;
            if !lobby_shown {
                close_lobby(http, pace, state, text).await?;
            }
            pace.update_thread(http, thread, serenity::EditThread::new().archived(true))
                .await?;
        }
    }
    Ok(())
}

async fn update_lobby(
    data: &Data,
    http: &serenity::Http,
    state: &GroupState,
    open: bool,
) -> Result<(), serenity::Error> {
    data.outbound
        .edit(
            http,
            state.channel_id,
            state.lobby_message_id,
            serenity::EditMessage::new()
                .embed(lobby_card(data, state).to_embed())
                .components(lobby_buttons(state.channel_id, open))
                .allowed_mentions(no_pings()),
        )
        .await?;
    Ok(())
}

fn closing_text(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Finished => "That was the last round. Thanks for practising!",
        CloseReason::Ended => "The host ended the session.",
        CloseReason::EndedInLobby => "The host closed the lobby.",
        CloseReason::Abandoned => "Everyone left, so the session is over.",
        CloseReason::LobbyExpired => "Nobody began the session, so the lobby closed.",
    }
}

fn closed_lobby_card(text: &str) -> Card {
    Card {
        title: "Group mock interview — over".into(),
        description: text.to_string(),
        fields: Vec::new(),
        footer: None,
        colour: COLOUR,
    }
}

async fn close_lobby(
    http: &serenity::Http,
    pace: &Outbound,
    state: &GroupState,
    text: &str,
) -> Result<(), serenity::Error> {
    let card = closed_lobby_card(text);
    pace.edit(
        http,
        state.channel_id,
        state.lobby_message_id,
        serenity::EditMessage::new()
            .embed(card.to_embed())
            .components(vec![])
            .allowed_mentions(no_pings()),
    )
    .await?;
    Ok(())
}

/// One compact card per participant: five fit well within a message's limits.
pub fn feedback_card(name: &str, item: &FeedbackItem) -> Card {
    let star = format!(
        "{} S · {} T · {} A · {} R",
        tick(item.star.situation),
        tick(item.star.task),
        tick(item.star.action),
        tick(item.star.result)
    );
    let mut lines = vec![
        star,
        format!(
            "\"I\" {} · \"we\" {}{}",
            item.singular,
            item.plural,
            if item.we_only_actions > 0 {
                format!(" · {} action(s) only with \"we\"", item.we_only_actions)
            } else {
                String::new()
            }
        ),
    ];
    if item.hypothetical {
        lines.push("⚠️ sounds hypothetical".into());
    }
    if !item.quantified_result {
        lines.push("No number in the result".into());
    }
    lines.push(format!("**Next step:** {}", truncate(&item.next_step, 300)));
    Card {
        title: truncate(&format!("{name} — {}/5", item.score), 256),
        description: lines.join("\n"),
        fields: Vec::new(),
        footer: None,
        colour: COLOUR,
    }
}

async fn round_closed(
    data: &Data,
    http: &serenity::Http,
    state: &GroupState,
    round: u32,
    feedback: Vec<FeedbackItem>,
    vote_for: Vec<String>,
    candidate: Option<String>,
) -> Result<(), serenity::Error> {
    let thread = state.thread_id;
    let pace = &*data.outbound;
    if feedback.is_empty() {
        say(
            http,
            pace,
            thread,
            &format!("Round {round} closed: nobody answered, so nothing was stored."),
        )
        .await?;
    } else {
        let cards = feedback
            .iter()
            .map(|item| feedback_card(&name_of(state, &item.user), item))
            .collect();
        say(http, pace, thread, &format!("**Round {round} feedback**")).await?;
        send_cards(http, pace, thread, cards, vec![]).await?;
    }
    let channel = state.channel_id;
    if !vote_for.is_empty() {
        let options = vote_for
            .iter()
            .take(25)
            .map(|u| {
                serenity::CreateSelectMenuOption::new(truncate(&name_of(state, u), 100), u.clone())
            })
            .collect();
        let menu = serenity::CreateSelectMenu::new(
            format!("group:vote:{channel}:{round}"),
            serenity::CreateSelectMenuKind::String { options },
        )
        .placeholder("Vote for the best answer (not yourself)");
        pace.post(
            http,
            thread,
            serenity::CreateMessage::new()
                .content(format!("Vote for the best answer of round {round}."))
                .components(vec![serenity::CreateActionRow::SelectMenu(menu)])
                .allowed_mentions(no_pings()),
        )
        .await?;
    }
    let answered = |user: &String| feedback.iter().any(|item| item.user == *user);
    if let Some(candidate) = candidate.filter(answered) {
        let rate = button(
            format!("group:rate:{channel}:{round}"),
            "Rate the answer",
            serenity::ButtonStyle::Primary,
        );
        pace.post(
            http,
            thread,
            serenity::CreateMessage::new()
                .content(format!(
                    "Panel: rate {}'s answer (a score from 1 to 5 and one comment).",
                    name_of(state, &candidate)
                ))
                .components(vec![serenity::CreateActionRow::Buttons(vec![rate])])
                .allowed_mentions(no_pings()),
        )
        .await?;
    }
    Ok(())
}

async fn panel_feedback(
    http: &serenity::Http,
    pace: &Outbound,
    state: &GroupState,
    round: u32,
    candidate: &str,
    feedback: Option<FeedbackItem>,
    ratings: &[PanelRating],
) -> Result<(), serenity::Error> {
    let name = name_of(state, candidate);
    let mut cards = Vec::new();
    if let Some(item) = &feedback {
        cards.push(feedback_card(&name, item));
    }
    let comments: Vec<String> = ratings
        .iter()
        .map(|r| {
            format!(
                "**{}/5** from {}: {}",
                r.score,
                name_of(state, &r.rater),
                truncate(&r.comment, 300)
            )
        })
        .collect();
    cards.push(Card {
        title: truncate(&format!("Panel feedback for {name} — round {round}"), 256),
        description: if comments.is_empty() {
            "Nobody on the panel rated this answer.".into()
        } else {
            comments.join("\n")
        },
        fields: Vec::new(),
        footer: None,
        colour: COLOUR,
    });
    send_cards(http, pace, state.thread_id, cards, vec![]).await
}

fn scoreboard_card(state: &GroupState, board: &Scoreboard) -> Card {
    let mut rows: Vec<String> = board
        .rows
        .iter()
        .map(|row| {
            let average = row
                .average_score
                .map_or("—".to_string(), |a| format!("{a:.1}"));
            let panel = row
                .panel_average
                .map(|p| format!(" · panel {p:.1} ({})", row.panel_ratings))
                .unwrap_or_default();
            format!(
                "• **{}**: average {average} over {} answer{} · {} vote{}{panel}",
                name_of(state, &row.user),
                row.answered,
                if row.answered == 1 { "" } else { "s" },
                row.votes,
                if row.votes == 1 { "" } else { "s" },
            )
        })
        .collect();
    if rows.is_empty() {
        rows.push("Nobody answered.".into());
    }
    let missed: Vec<String> = board
        .most_missed
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(section, n)| format!("{} ({n})", section.title()))
        .collect();
    Card {
        title: format!("Scoreboard — {} round(s)", board.rounds_played),
        description: rows.join("\n"),
        fields: vec![(
            "Sections the group missed most".into(),
            if missed.is_empty() {
                "none".into()
            } else {
                missed.join(", ")
            },
        )],
        footer: Some("Every answer is in each person's /history and /stats.".into()),
        colour: COLOUR,
    }
}

/// Re-checks every group's deadline; after a restart this re-arms timers from stored state.
pub async fn ticker(data: Arc<Data>, http: Arc<serenity::Http>, every: Duration) {
    resume_unshown(&data, &http).await;
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let now = data.clock.now();
        for channel in data.group.channels() {
            let due = match data.group.by_channel(channel) {
                Some(slot) => slot
                    .lock()
                    .await
                    .as_ref()
                    .is_some_and(|s| now >= s.session.next_deadline()),
                None => false,
            };
            if due {
                if let Err(err) = drive(&data, &http, channel, Event::Tick, None).await {
                    tracing::warn!(channel, "group timer failed: {err}");
                }
            }
        }
    }
}
