//! Answers to the daily question: messages collected from the answer threads (idempotent by
//! message id, edits and deletes followed), the `Get feedback` button that coaches the
//! clicker's own answer privately and stores one attempt per member per day, and streaks.

use std::sync::Arc;

use jiff::civil::Date;
use poise::serenity_prelude as serenity;

use super::super::data::{no_pings, Data, Error};
use super::super::limits;
use super::super::render::{self, Card};
use super::super::retry;
use super::super::solo;
use super::{read_marker, read_settings};
use crate::analysis::{self, MAX_ANSWER_CHARS};
use crate::daily::{
    answer_key, answers_session, attempt_id, local_date, streak_in, GuildId, PostMarker, ThreadRef,
    ANSWER_MARKERS, THREAD_MARKERS,
};
use crate::interview::record;
use crate::store::{Attempt, AttemptId, CollectedMessage, MessageUpsert, Mode, UserKey};

/// The answer thread `channel` is, if it is one. Looked up in the store once per channel, then
/// remembered (also when it is not a thread, so ordinary chat costs one lookup per channel).
fn thread_ref(data: &Data, channel: u64) -> Result<Option<ThreadRef>, Error> {
    if let Some(known) = data.daily.cached_thread(channel) {
        return Ok(known);
    }
    let reference = match data
        .store
        .get_marker(THREAD_MARKERS, &channel.to_string())?
    {
        Some(value) => match serde_json::from_value::<ThreadRef>(value) {
            Ok(reference) => Some(reference),
            Err(err) => {
                tracing::error!(channel, "unreadable daily thread record ignored: {err}");
                None
            }
        },
        None => None,
    };
    data.daily.cache_thread(channel, reference.clone());
    Ok(reference)
}

/// Collects a member's message in an answer thread and acknowledges it with a reaction (at
/// once, or coalesced when they type fast). Returns whether the channel is one (the message is
/// then handled here and nowhere else).
pub async fn on_message(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    message: &serenity::Message,
) -> Result<bool, Error> {
    let Some(thread) = thread_ref(data, message.channel_id.get())? else {
        return Ok(false);
    };
    // Empty content from a person in a server means the Message Content intent is off.
    if !message.author.bot && message.content.is_empty() && message.attachments.is_empty() {
        data.daily.set_blind(thread.guild);
    }
    let session = answers_session(thread.guild, thread.date);
    if collect(data, &session, message)?.is_some_and(MessageUpsert::is_new) {
        let (user, channel) = (message.author.id.get(), message.channel_id.get());
        solo::acknowledge(data, http, user, channel, message.id.get());
    }
    Ok(true)
}

/// Stores a member's message of an answer thread (bots and empty messages are left out).
fn collect(
    data: &Data,
    session: &str,
    message: &serenity::Message,
) -> Result<Option<MessageUpsert>, Error> {
    if message.author.bot || message.content.trim().is_empty() {
        return Ok(None);
    }
    let collected = CollectedMessage {
        message_id: message.id.get(),
        author: UserKey::discord(message.author.id.get()),
        text: message.content.clone(),
        at: data.clock.now(),
    };
    Ok(Some(data.store.upsert_message(session, &collected)?))
}

/// Messages per page when a thread is read back, and the most pages read.
const CATCH_UP_PAGE: u8 = 100;
const CATCH_UP_PAGES: usize = 50;

/// Reads an answer thread back from Discord once per run, before its first feedback: what
/// was written, edited or deleted while the bot was away (Discord does not replay it) is
/// collected like any message. A thread started from a message has that message's id, and
/// every message in it is newer, so the thread is read forward from its own id.
async fn catch_up(
    data: &Data,
    http: &serenity::Http,
    thread: u64,
    session: &str,
) -> Result<(), Error> {
    let Some(channel) = std::num::NonZeroU64::new(thread).map(serenity::ChannelId::from) else {
        return Ok(());
    };
    if data.daily.is_caught_up(thread) {
        return Ok(());
    }
    let mut after = thread;
    let mut seen = std::collections::HashSet::new();
    let mut complete = false;
    for _ in 0..CATCH_UP_PAGES {
        let request = serenity::GetMessages::new()
            .after(serenity::MessageId::new(after))
            .limit(CATCH_UP_PAGE);
        let mut page = data.outbound.read(http, channel, request).await?;
        page.sort_by_key(|m| m.id);
        for message in &page {
            after = after.max(message.id.get());
            seen.insert(message.id.get());
            collect(data, session, message)?;
        }
        if page.len() < usize::from(CATCH_UP_PAGE) {
            complete = true;
            break;
        }
    }
    // Deleted while away: collected, older than the newest message read, and no longer there.
    // Anything newer may have arrived live after the read, so it stays.
    if let (true, Some(&newest)) = (complete, seen.iter().max()) {
        for stored in data.store.messages(session)? {
            if stored.message_id < newest && !seen.contains(&stored.message_id) {
                data.store.remove_message(session, stored.message_id)?;
            }
        }
    }
    data.daily.set_caught_up(thread);
    Ok(())
}

/// Follows an edit in an answer thread. Returns whether the channel is one.
pub async fn on_edit(
    data: &Data,
    channel: u64,
    message: u64,
    author: Option<&serenity::User>,
    text: &str,
) -> Result<bool, Error> {
    let Some(thread) = thread_ref(data, channel)? else {
        return Ok(false);
    };
    let session = answers_session(thread.guild, thread.date);
    let author = match author {
        Some(user) if user.bot => return Ok(true),
        Some(user) => UserKey::discord(user.id.get()),
        // Edits usually carry the author; without it, keep the one collected before.
        None => match data
            .store
            .messages(&session)?
            .into_iter()
            .find(|m| m.message_id == message)
        {
            Some(known) => known.author,
            None => return Ok(true),
        },
    };
    if text.trim().is_empty() {
        data.store.remove_message(&session, message)?;
        return Ok(true);
    }
    let collected = CollectedMessage {
        message_id: message,
        author,
        text: text.to_string(),
        at: data.clock.now(),
    };
    data.store.upsert_message(&session, &collected)?;
    Ok(true)
}

/// Follows a deletion in an answer thread. Returns whether the channel is one.
pub async fn on_delete(data: &Data, channel: u64, message: u64) -> Result<bool, Error> {
    let Some(thread) = thread_ref(data, channel)? else {
        return Ok(false);
    };
    data.store
        .remove_message(&answers_session(thread.guild, thread.date), message)?;
    Ok(true)
}

/// `Get feedback`: analyses the clicker's own messages in that day's thread, stores (or
/// updates) their attempt for the day, and answers privately with the full feedback.
pub async fn on_feedback(
    data: &Data,
    http: &serenity::Http,
    press: &serenity::ComponentInteraction,
    guild: GuildId,
    date: Date,
) -> Result<(), Error> {
    // Analysis and flushed writes can take a moment: acknowledge first.
    press.defer_ephemeral(http).await?;
    if let Ok(Some(PostMarker::Posted {
        thread_id: Some(thread),
        ..
    })) = read_marker(&*data.store, guild, date)
    {
        if let Err(err) = catch_up(data, http, thread, &answers_session(guild, date)).await {
            tracing::warn!(
                guild,
                thread,
                "could not read the answer thread back: {err}"
            );
        }
    }
    let reply = match feedback(data, press.user.id.get(), guild, date) {
        Ok(reply) => reply,
        Err(Error::User(text)) => Reply::text(text),
        Err(other) => {
            tracing::error!(guild, %date, "daily feedback failed: {other}");
            Reply::text(
                "Something went wrong on my side and I could not analyse your answer. Your \
                 messages in the thread are safe; please press **Get feedback** again in a \
                 moment.",
            )
        }
    };
    reply.send(http, press).await
}

/// What the clicker is shown: a line of text and, after an analysis, the feedback cards.
struct Reply {
    text: String,
    cards: Vec<Card>,
}

impl Reply {
    fn text(text: impl Into<String>) -> Self {
        Reply {
            text: text.into(),
            cards: Vec::new(),
        }
    }

    /// The first message replaces the deferred "thinking" response (an idempotent edit,
    /// retried on transient failures); the rest are followups (new messages, retried only when
    /// rate limited). A followup that still fails is owned up to in the first message.
    async fn send(
        self,
        http: &serenity::Http,
        press: &serenity::ComponentInteraction,
    ) -> Result<(), Error> {
        let text = limits::truncate(&self.text, limits::MESSAGE_CHARS);
        let mut messages = render::embeds_per_message(self.cards).into_iter();
        let first = serenity::EditInteractionResponse::new()
            .content(text.clone())
            .embeds(messages.next().unwrap_or_default())
            .allowed_mentions(no_pings());
        retry::idempotent("the daily feedback", || {
            press.edit_response(http, first.clone())
        })
        .await?;
        for embeds in messages {
            let followup = serenity::CreateInteractionResponseFollowup::new()
                .embeds(embeds)
                .ephemeral(true)
                .allowed_mentions(no_pings());
            let sent = retry::creating("the daily feedback, continued", || {
                press.create_followup(http, followup.clone())
            })
            .await;
            if let Err(err) = sent {
                let note = limits::truncate(
                    &format!(
                        "{text}\n\n⚠️ Discord did not take the rest of your feedback. Your \
                         answer and its analysis are saved; press **Get feedback** again to \
                         see all of it."
                    ),
                    limits::MESSAGE_CHARS,
                );
                let edit = serenity::EditInteractionResponse::new()
                    .content(note)
                    .allowed_mentions(no_pings());
                if let Err(again) = retry::idempotent("the undelivered-feedback note", || {
                    press.edit_response(http, edit.clone())
                })
                .await
                {
                    tracing::warn!("could not tell the person about the lost feedback: {again}");
                }
                return Err(err.into());
            }
        }
        Ok(())
    }
}

fn feedback(data: &Data, user: u64, guild: GuildId, date: Date) -> Result<Reply, Error> {
    let store = &*data.store;
    let (question_id, thread, posted_at) = match read_marker(store, guild, date)? {
        Some(PostMarker::Posted {
            question_id,
            thread_id,
            posted_at,
            ..
        }) => (question_id, thread_id, posted_at),
        _ => return Err(Error::user("This daily question is no longer open.")),
    };
    let owner = UserKey::discord(user);
    let mine: Vec<CollectedMessage> = store
        .messages(&answers_session(guild, date))?
        .into_iter()
        .filter(|m| m.author == owner)
        .collect();
    let where_to = thread.map_or("the thread under the question".to_string(), |t| {
        format!("<#{t}>")
    });
    if mine.is_empty() && data.daily.is_blind(guild) {
        return Err(Error::user(
            "I can't read messages in this server (the Message Content permission is off for \
             me), so I can't see answers typed in the thread. Ask a server admin to turn on \
             the bot's Message Content intent; meanwhile `/interview start` in a DM with me \
             coaches any answer.",
        ));
    }
    if mine.is_empty() {
        return Err(Error::user(format!(
            "You have not answered yet. Write your answer in {where_to} (one message or \
             several), then press **Get feedback** again."
        )));
    }
    let answer = mine
        .iter()
        .map(|m| m.text.trim())
        .collect::<Vec<_>>()
        .join("\n");
    let chars = answer.chars().count();
    if chars > MAX_ANSWER_CHARS {
        return Err(Error::user(format!(
            "Your answer in {where_to} is {chars} characters; the limit is {MAX_ANSWER_CHARS}. \
             Shorten or delete a message there, then press **Get feedback** again."
        )));
    }
    let question = data.bank.question(&question_id);
    let report = analysis::analyze(&answer, question.map(|q| q.hints()).as_ref())
        .map_err(|e| Error::user(format!("I could not analyse your answer: {e}.")))?;

    let id = AttemptId::new(attempt_id(guild, date));
    let now = data.clock.now();
    let attempt = Attempt {
        id: id.clone(),
        user: owner.clone(),
        question_id: question_id.clone(),
        lps: question.map(|q| q.lps.clone()).unwrap_or_default(),
        answer,
        summary: record::summary(&report),
        mode: Mode::Daily,
        guild: Some(guild.to_string()),
        started_at: posted_at,
        finished_at: now,
    };
    // Stored (flushed) before the person is told anything.
    store.record_attempt(&attempt)?;
    store.put_user_marker(
        &owner,
        ANSWER_MARKERS,
        &answer_key(guild, date, user),
        &serde_json::json!({ "at": now.to_string() }),
    )?;

    let streak = streak_of(data, guild, &store.history(&owner, usize::MAX)?)?;
    let count = mine.len();
    let text = format!(
        "Feedback on your answer to the daily question of {date} ({count} message{}). It is \
         saved in your history; add to your answer and press **Get feedback** again to \
         re-analyse it. Daily streak: **{streak} day{}**.",
        if count == 1 { "" } else { "s" },
        if streak == 1 { "" } else { "s" },
    );
    Ok(Reply {
        text,
        cards: render::feedback_cards(&report, question),
    })
}

/// A member's current daily streak in a server, counted in the server's timezone, from all
/// their attempts.
fn streak_of(data: &Data, guild: GuildId, attempts: &[Attempt]) -> Result<u32, Error> {
    let Some(settings) = read_settings(&*data.store, guild)? else {
        return Ok(0);
    };
    let today = local_date(data.clock.now(), &settings.schedule.timezone);
    let ids: Vec<&str> = attempts.iter().map(|a| a.id.as_str()).collect();
    Ok(streak_in(&ids, guild, today))
}

/// The `/stats` line about the daily question: the streak in this server, or (in a DM) the
/// best current streak across servers. `None` when the person never answered a daily question.
pub fn streak_line(data: &Data, guild: Option<GuildId>, attempts: &[Attempt]) -> Option<String> {
    let daily: Vec<&Attempt> = attempts.iter().filter(|a| a.mode == Mode::Daily).collect();
    if daily.is_empty() {
        return None;
    }
    let streak_for = |guild: GuildId| {
        streak_of(data, guild, attempts).unwrap_or_else(|err| {
            tracing::warn!(guild, "daily streak unavailable: {err}");
            0
        })
    };
    let days = match guild {
        Some(guild) => streak_for(guild),
        None => daily
            .iter()
            .filter_map(|a| a.guild.as_deref().and_then(|g| g.parse().ok()))
            .map(streak_for)
            .max()
            .unwrap_or(0),
    };
    let place = if guild.is_some() {
        " in this server"
    } else {
        ""
    };
    Some(format!(
        "Daily question streak{place}: **{days} day{}** ({} daily answer{} in all)",
        if days == 1 { "" } else { "s" },
        daily.len(),
        if daily.len() == 1 { "" } else { "s" },
    ))
}
