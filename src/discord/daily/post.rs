//! One day's post for one server, restart-safe.
//!
//! The steps, each flushed before the next:
//! 1. the rotation is advanced and stored with the settings;
//! 2. the day's marker is claimed as `pending` (with the question and channel);
//! 3. the message is sent (embed, optional role mention, `Get feedback` button);
//! 4. the answer thread is recorded (its id is the message's) and opened from the message;
//! 5. the marker becomes `posted`.
//!
//! A crash between 2 and 5 leaves a `pending` marker. The next run does not post blindly: it
//! first looks for the day's message among the channel's recent messages (by the button's
//! custom id, which only the bot can set) and adopts it, opening the thread if that was
//! missing; only when no such message exists is the question posted. So a restart never
//! double-posts, and a post that was claimed but never sent still goes out once.

use std::num::NonZeroU64;

use jiff::civil::Date;
use poise::serenity_prelude as serenity;

use super::super::data::{no_pings, Data, Error};
use super::{read_marker, read_settings, write_settings};
use crate::daily::{
    answer_prefix, eligible_questions, feedback_button_id, post_key, post_text, role_mention,
    DailySettings, GuildId, PostInput, PostMarker, Problem, ThreadRef, ANSWER_MARKERS,
    POST_MARKERS, THREAD_MARKERS,
};

/// The embed colour of the daily question.
const POST_COLOUR: u32 = 0x3B82F6;
/// How many recent channel messages are searched for a post whose outcome was not recorded.
const RECOVERY_SEARCH: u8 = 50;

/// Why a post is being made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The schedule: only when enabled, and a skipped day stays skipped.
    Schedule,
    /// `/daily now`: also when the schedule is off, and it retries a skipped day.
    Now,
}

/// What happened to a day's post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostOutcome {
    Posted {
        channel: u64,
        message: u64,
        thread: Option<u64>,
    },
    AlreadyPosted {
        channel: u64,
        message: u64,
    },
    /// The schedule already skipped this day for this reason.
    AlreadySkipped {
        reason: String,
    },
    /// The post could not go out; the reason is stored for `/daily show`.
    Failed {
        reason: String,
    },
    NotConfigured,
    /// The schedule was turned off after the post fell due.
    Off,
    /// The bank has no question to ask.
    NothingEligible,
    /// Another process claimed the day first.
    ClaimedElsewhere,
}

fn channel_id(id: u64) -> Option<serenity::ChannelId> {
    NonZeroU64::new(id).map(serenity::ChannelId::from)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::Internal(format!("cannot serialise: {e}")))
}

/// Posts the question of `date` for `guild`, once. Serialised per server, so the schedule and
/// `/daily now` never both post.
pub async fn post_day(
    data: &Data,
    http: &serenity::Http,
    guild: GuildId,
    date: Date,
    trigger: Trigger,
) -> Result<PostOutcome, Error> {
    let server_lock = data.daily.guild_lock(guild);
    let _serialised = server_lock.lock().await;
    let store = &*data.store;
    let Some(mut settings) = read_settings(store, guild)? else {
        return Ok(PostOutcome::NotConfigured);
    };
    if trigger == Trigger::Schedule && !settings.schedule.enabled {
        return Ok(PostOutcome::Off);
    }
    let now = data.clock.now();
    let key = post_key(guild, date);
    let channel = settings.schedule.channel_id;

    let question_id = match read_marker(store, guild, date)? {
        Some(PostMarker::Posted {
            channel_id,
            message_id,
            ..
        }) => {
            return Ok(PostOutcome::AlreadyPosted {
                channel: channel_id,
                message: message_id,
            })
        }
        Some(PostMarker::Skipped { reason, .. }) if trigger == Trigger::Schedule => {
            return Ok(PostOutcome::AlreadySkipped { reason });
        }
        Some(PostMarker::Pending {
            question_id,
            channel_id,
            ..
        }) => {
            // Claimed by an earlier run that stopped before recording the outcome.
            if let Some((message, thread_open)) =
                find_existing_post(data, http, channel_id, guild, date).await
            {
                tracing::info!(guild, %date, message, "adopting a daily post sent before a restart");
                let thread_name = post_text_for(data, guild, &settings, date, &question_id)
                    .map(|text| text.thread_name);
                let posted = Posted {
                    guild,
                    date,
                    question_id,
                    channel: channel_id,
                    message,
                    thread_name,
                    thread_open,
                };
                return finish(data, http, &mut settings, posted).await;
            }
            question_id
        }
        earlier => {
            let Some(question_id) = draw(data, &mut settings) else {
                return Ok(PostOutcome::NothingEligible);
            };
            write_settings(store, guild, &settings)?;
            let pending = to_json(&PostMarker::Pending {
                question_id: question_id.clone(),
                channel_id: channel,
                claimed_at: now,
            })?;
            if earlier.is_none() {
                if !store.claim_marker(POST_MARKERS, &key, &pending)? {
                    return Ok(PostOutcome::ClaimedElsewhere);
                }
            } else {
                store.put_marker(POST_MARKERS, &key, &pending)?;
            }
            question_id
        }
    };

    let Some(text) = post_text_for(data, guild, &settings, date, &question_id) else {
        // Not given back: a question gone from the bank is never drawn again anyway.
        let reason = format!("the question `{question_id}` is no longer in the question bank");
        return skip(data, guild, date, trigger, &mut settings, reason);
    };
    let Some(target) = channel_id(channel) else {
        settings.rotation.give_back(&question_id);
        return skip(
            data,
            guild,
            date,
            trigger,
            &mut settings,
            "no channel is set".into(),
        );
    };
    let message = match data
        .outbound
        .post(
            http,
            target.get(),
            build_post(guild, date, &settings, &text),
        )
        .await
    {
        Ok(message) => message.id.get(),
        Err(err) => {
            // Never posted, so it stays the next question of the rotation. A 500 may have
            // created the message, so there the question counts as asked.
            if !super::super::retry::maybe_processed(&err) {
                settings.rotation.give_back(&question_id);
            }
            let reason = failure_reason(&err, channel);
            return skip(data, guild, date, trigger, &mut settings, reason);
        }
    };
    let posted = Posted {
        guild,
        date,
        question_id,
        channel,
        message,
        thread_name: Some(text.thread_name),
        thread_open: false,
    };
    finish(data, http, &mut settings, posted).await
}

/// A post message that is out, waiting for its thread and marker.
struct Posted {
    guild: GuildId,
    date: Date,
    question_id: String,
    channel: u64,
    message: u64,
    thread_name: Option<String>,
    /// The message already has its thread (an adopted post): asking for another would be
    /// refused with a 400.
    thread_open: bool,
}

/// Records the answer thread, opens it from the message (unless it exists), and marks the
/// day as posted.
async fn finish(
    data: &Data,
    http: &serenity::Http,
    settings: &mut DailySettings,
    posted: Posted,
) -> Result<PostOutcome, Error> {
    let store = &*data.store;
    let now = data.clock.now();
    let Posted {
        guild,
        date,
        question_id,
        channel,
        message,
        thread_name,
        thread_open,
    } = posted;
    // A thread started from a message has the message's id: recorded before it exists, so an
    // answer typed the instant it opens is already collected.
    let reference = ThreadRef {
        guild,
        date,
        question_id: question_id.clone(),
        message_id: message,
        posted_at: now,
    };
    store.put_marker(THREAD_MARKERS, &message.to_string(), &to_json(&reference)?)?;
    data.daily.remember_thread(message, reference);

    let name = thread_name.unwrap_or_else(|| format!("Answers · {date}"));
    let builder = serenity::CreateThread::new(name)
        .kind(serenity::ChannelType::PublicThread)
        .auto_archive_duration(serenity::AutoArchiveDuration::OneDay);
    // Both calls of a post count against the bot's REST budget, shared with everything else.
    let thread_problem = match channel_id(channel) {
        Some(_) if thread_open => None,
        Some(target) => match data
            .outbound
            .open_thread_from(http, target, message, builder)
            .await
        {
            Ok(_) => None,
            Err(err) if discord_code(&err) == Some(THREAD_ALREADY_CREATED) => None,
            Err(err) => Some(format!(
                "the question was posted but its answer thread could not be opened: {}",
                failure_reason(&err, channel)
            )),
        },
        None => Some("no channel is set".to_string()),
    };
    let thread = thread_problem.is_none().then_some(message);
    let marker = to_json(&PostMarker::Posted {
        question_id,
        channel_id: channel,
        message_id: message,
        thread_id: thread,
        posted_at: now,
    })?;
    store.put_marker(POST_MARKERS, &post_key(guild, date), &marker)?;
    let problem = thread_problem.map(|reason| {
        tracing::warn!(guild, %date, "{reason}");
        Problem {
            date,
            reason,
            at: now,
        }
    });
    if settings.last_problem != problem {
        settings.last_problem = problem;
        write_settings(store, guild, settings)?;
    }
    data.daily.mark_posted(guild, date, now);
    Ok(PostOutcome::Posted {
        channel,
        message,
        thread,
    })
}

/// A post that could not go out: the reason is logged and kept for `/daily show`, with the
/// rotation as the caller left it (the question given back when it was never posted). A scheduled
/// post marks the day skipped (not retried until `/daily now`); a failed `/daily now` gives the
/// claim back instead, so the scheduled post of the day still tries.
fn skip(
    data: &Data,
    guild: GuildId,
    date: Date,
    trigger: Trigger,
    settings: &mut DailySettings,
    reason: String,
) -> Result<PostOutcome, Error> {
    let now = data.clock.now();
    let key = post_key(guild, date);
    tracing::warn!(guild, %date, ?trigger, "daily post not made: {reason}");
    // Settings (the rotation with the question given back) first: once the day shows as
    // skipped, the rotation already says what comes next.
    settings.last_problem = Some(Problem {
        date,
        reason: reason.clone(),
        at: now,
    });
    write_settings(&*data.store, guild, settings)?;
    match trigger {
        Trigger::Schedule => {
            let marker = to_json(&PostMarker::Skipped {
                reason: reason.clone(),
                at: now,
            })?;
            data.store.put_marker(POST_MARKERS, &key, &marker)?;
        }
        Trigger::Now => {
            data.store.delete_marker(POST_MARKERS, &key)?;
        }
    }
    Ok(PostOutcome::Failed { reason })
}

/// The next question of the server's rotation (advanced in `settings`, not yet stored).
fn draw(data: &Data, settings: &mut DailySettings) -> Option<String> {
    let eligible = eligible_questions(&data.bank, settings.schedule.lp.as_deref());
    let mut rng = rand::thread_rng();
    settings.rotation.next_question(&eligible.ids, &mut rng)
}

/// The post's text for a question (`None` when the bank no longer has it).
fn post_text_for(
    data: &Data,
    guild: GuildId,
    settings: &DailySettings,
    date: Date,
    question_id: &str,
) -> Option<crate::daily::PostText> {
    let bank = &data.bank;
    let question = bank.question(question_id)?;
    let principles: Vec<&str> = question
        .lps
        .iter()
        .filter_map(|id| bank.principle(id))
        .map(|p| p.name.as_str())
        .collect();
    let yesterday_answers = yesterday_answers(data, guild, date);
    Some(post_text(&PostInput {
        date,
        question: &question.text,
        principles: &principles,
        tests: &question.tests,
        yesterday_answers,
        timezone: settings.schedule.timezone.name(),
    }))
}

/// How many members answered yesterday's question, when yesterday had a post.
fn yesterday_answers(data: &Data, guild: GuildId, date: Date) -> Option<u32> {
    let yesterday = date.yesterday().ok()?;
    match read_marker(&*data.store, guild, yesterday) {
        Ok(Some(PostMarker::Posted { .. })) => {}
        _ => return None,
    }
    let answers = data
        .store
        .list_markers(ANSWER_MARKERS, &answer_prefix(guild, yesterday))
        .ok()?;
    Some(u32::try_from(answers.len()).unwrap_or(u32::MAX))
}

/// The message: the question embed, the button, and the role mention when one is configured,
/// which is then the only mention allowed.
fn build_post(
    guild: GuildId,
    date: Date,
    settings: &DailySettings,
    text: &crate::daily::PostText,
) -> serenity::CreateMessage {
    let embed = serenity::CreateEmbed::new()
        .title(&text.title)
        .description(&text.description)
        .footer(serenity::CreateEmbedFooter::new(&text.footer))
        .colour(POST_COLOUR);
    let button = serenity::CreateButton::new(feedback_button_id(guild, date))
        .label("Get feedback")
        .style(serenity::ButtonStyle::Primary);
    let message = serenity::CreateMessage::new()
        .embed(embed)
        .components(vec![serenity::CreateActionRow::Buttons(vec![button])]);
    match settings.schedule.role_id.and_then(NonZeroU64::new) {
        Some(role) => message
            .content(role_mention(role.get()))
            .allowed_mentions(no_pings().roles(vec![serenity::RoleId::from(role)])),
        None => message.allowed_mentions(no_pings()),
    }
}

/// The day's post among the channel's recent messages, found by its button's custom id, and
/// whether its answer thread is open already (Discord sends a message's thread with it).
async fn find_existing_post(
    data: &Data,
    http: &serenity::Http,
    channel: u64,
    guild: GuildId,
    date: Date,
) -> Option<(u64, bool)> {
    let wanted = feedback_button_id(guild, date);
    let recent = data
        .outbound
        .read(
            http,
            channel_id(channel)?,
            serenity::GetMessages::new().limit(RECOVERY_SEARCH),
        )
        .await
        .map_err(|err| tracing::warn!(guild, channel, "cannot look for an earlier post: {err}"))
        .ok()?;
    recent
        .iter()
        .find(|message| {
            message.components.iter().any(|row| {
                row.components.iter().any(|component| match component {
                    serenity::ActionRowComponent::Button(button) => matches!(
                        &button.data,
                        serenity::ButtonKind::NonLink { custom_id, .. } if *custom_id == wanted
                    ),
                    _ => false,
                })
            })
        })
        .map(|message| (message.id.get(), message.thread.is_some()))
}

/// Discord: "A thread has already been created for this message".
const THREAD_ALREADY_CREATED: isize = 160_004;

fn discord_code(err: &serenity::Error) -> Option<isize> {
    match err {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            Some(response.error.code)
        }
        _ => None,
    }
}

/// Why a REST call about the daily channel failed, in words an admin can act on.
fn failure_reason(err: &serenity::Error, channel: u64) -> String {
    match err {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            match response.error.code {
                10003 => format!("the channel <#{channel}> no longer exists (was it deleted?)"),
                50001 | 50013 => format!(
                    "I lack permission in <#{channel}>: I need View Channel, Send Messages, \
                     Embed Links and Create Public Threads there"
                ),
                code => format!(
                    "Discord refused it ({} {code}: {})",
                    response.status_code.as_u16(),
                    response.error.message
                ),
            }
        }
        other => format!("Discord could not be reached: {other}"),
    }
}
