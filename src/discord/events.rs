//! Gateway events that are not slash commands: answer messages (create, edit, delete), button
//! clicks and modal submits of solo interviews, and answers in daily-question threads.

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;

use super::commands::{forget_click, skip_event};
use super::daily;
use super::data::{no_pings, Data, Error};
use super::group::{self, Actor};
use super::limits;
use super::solo::{self, Driven, Origin, Replies};
use crate::interview::group::Event as GroupEvent;
use crate::interview::solo::{is_done_command, Event};

/// serenity hands every gateway event to its own task, so an edit sent right after its message
/// can overtake the create and be dropped as an edit of nothing. An edit of a message not
/// collected yet waits this long first, so the create is applied. (A Done that overtakes
/// messages is handled by [`solo::collect_missed`].)
const SETTLE: Duration = Duration::from_millis(250);

pub async fn handle(
    framework: poise::FrameworkContext<'_, Arc<Data>, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    let data = framework.user_data;
    let http = &framework.serenity_context.http;
    match event {
        serenity::FullEvent::Ready { data_about_bot } => {
            tracing::info!(user = %data_about_bot.user.name, "connected to Discord");
            // A new gateway session does not replay what was sent while the bot was away.
            catch_up(data, http).await;
        }
        serenity::FullEvent::Message { new_message } => {
            // In flight from before the first await until handled: a ✅ on a newer message of
            // this person here waits until this one is stored (see `receiving.rs`).
            let _receipt = (!new_message.author.bot).then(|| {
                data.receiving.enter(
                    new_message.channel_id.get(),
                    new_message.author.id.get(),
                    new_message.id.get(),
                )
            });
            on_message(data, http, new_message).await?;
        }
        serenity::FullEvent::MessageUpdate { event, .. } => {
            let Some(text) = event.content.clone() else {
                return Ok(());
            };
            let channel = event.channel_id.get();
            let message = event.id.get();
            if daily::on_edit(data, channel, message, event.author.as_ref(), &text).await? {
                return Ok(());
            }
            if solo::owner_of_message(data, channel, message)
                .await
                .is_none()
            {
                // Not collected (yet): its create may still be on the way.
                tokio::time::sleep(SETTLE).await;
            }
            if let Some(group_channel) = data.group.channel_of_thread(channel) {
                let edit = GroupEvent::Edit { id: message, text };
                group::drive(data, http, group_channel, edit, None).await?;
                return Ok(());
            }
            let owner = match &event.author {
                Some(author) => Some(author.id.get()),
                None => solo::owner_of_message(data, channel, message).await,
            };
            if let Some(user) = owner {
                let edit = Event::Edit { id: message, text };
                solo::drive(data, http, user, edit, Origin::Channel(channel)).await?;
            }
        }
        serenity::FullEvent::MessageDelete {
            channel_id,
            deleted_message_id,
            ..
        } => {
            let (channel, message) = (channel_id.get(), deleted_message_id.get());
            if daily::on_delete(data, channel, message).await? {
                return Ok(());
            }
            if let Some(group_channel) = data.group.channel_of_thread(channel) {
                let delete = GroupEvent::Delete { id: message };
                group::drive(data, http, group_channel, delete, None).await?;
                return Ok(());
            }
            if let Some(user) = solo::owner_of_message(data, channel, message).await {
                let delete = Event::Delete { id: message };
                solo::drive(data, http, user, delete, Origin::Channel(channel)).await?;
            }
        }
        // `unavailable` set means an outage, and the server comes back; absent or false means
        // the bot was removed (kicked, or the server was deleted).
        serenity::FullEvent::GuildDelete { incomplete, .. } if !incomplete.unavailable => {
            daily::on_guild_removed(data, incomplete.id.get()).await?;
        }
        serenity::FullEvent::InteractionCreate { interaction } => match interaction {
            serenity::Interaction::Component(press) => on_component(data, http, press).await?,
            serenity::Interaction::Modal(submit) => on_modal(data, http, submit).await?,
            _ => {}
        },
        _ => {}
    }
    Ok(())
}

async fn on_message(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    message: &serenity::Message,
) -> Result<(), Error> {
    if message.author.bot || daily::on_message(data, http, message).await? {
        return Ok(());
    }
    let user = message.author.id.get();
    let channel = message.channel_id.get();
    if let Some(group_channel) = data.group.channel_of_thread(channel) {
        let actor = Actor {
            id: user,
            name: message
                .author
                .global_name
                .clone()
                .unwrap_or(message.author.name.clone()),
        };
        let event = GroupEvent::Message {
            user: group::user_key(user),
            id: message.id.get(),
            text: message.content.clone(),
        };
        group::drive(data, http, group_channel, event, Some(&actor)).await?;
        return Ok(());
    }
    let Some(slot) = data.solo.existing(user) else {
        return Ok(());
    };
    let id = message.id.get();
    let done = is_done_command(&message.content);
    let warn = {
        let guard = slot.lock().await;
        let Some(open) = guard.as_ref() else {
            return Ok(());
        };
        if open.channel_id != channel || id <= open.start_id {
            return Ok(());
        }
        // Empty content from a person in a server means the Message Content intent is off.
        let blind = message.content.is_empty()
            && message.attachments.is_empty()
            && message.guild_id.is_some();
        if !done && !blind {
            // An answer message: `drive` below loads and stores the session.
            false
        } else {
            let Some(mut state) = solo::load(&*data.store, user, open)? else {
                return Ok(());
            };
            if done {
                // Answer messages are keyed by id, so replays are no-ops; a "done" is not
                // collected, so remember it here, or a replayed one would end the follow-up or
                // analyse again.
                if id <= state.last_done_id {
                    return Ok(());
                }
                state.last_done_id = id;
                solo::persist(&*data.store, user, &state, data.clock.now())?;
            }
            if blind && !state.content_warned {
                state.content_warned = true;
                solo::persist(&*data.store, user, &state, data.clock.now())?;
                true
            } else {
                if blind {
                    return Ok(());
                }
                false
            }
        }
    };
    if warn {
        solo::say(
            http,
            &data.outbound,
            channel,
            "I can't read messages in this server (the Message Content permission is off for \
             me), so nothing you type here reaches me. Use the **Answer** button for a form, \
             or start the interview in a DM with me. Nothing you typed is lost on your side.",
        )
        .await?;
        return Ok(());
    }
    let event = if done {
        solo::collect_missed(data, http, user, id).await;
        Event::Done
    } else {
        Event::Message {
            id,
            text: message.content.clone(),
        }
    };
    solo::drive(data, http, user, event, Origin::Channel(channel)).await?;
    Ok(())
}

/// Collects what people wrote in their open interviews while the bot was away (a restart, or
/// a gateway session that had to start afresh): each session's channel is read from the newest
/// message it knows, and every message goes the usual way, so nothing is collected twice.
async fn catch_up(data: &Arc<Data>, http: &Arc<serenity::Http>) {
    for user in data.solo.users() {
        let Some(slot) = data.solo.existing(user) else {
            continue;
        };
        let (channel, after) = {
            let guard = slot.lock().await;
            let Some(open) = guard.as_ref() else {
                continue;
            };
            let state = match solo::load(&*data.store, user, open) {
                Ok(Some(state)) => state,
                Ok(None) => continue,
                Err(err) => {
                    tracing::warn!(user, "could not read a session to catch up: {err}");
                    continue;
                }
            };
            let newest = state.session.messages.keys().next_back().copied();
            let after = newest
                .unwrap_or(0)
                .max(state.start_id)
                .max(state.last_done_id);
            (state.channel_id, after)
        };
        if let Err(err) = catch_up_channel(data, http, channel, after).await {
            tracing::warn!(user, channel, "could not read what was missed: {err}");
        }
    }
}

async fn catch_up_channel(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    channel: u64,
    mut after: u64,
) -> Result<(), Error> {
    const PAGE: u8 = 100;
    // Discord ids are never 0; a session stored before `start_id` existed has nothing to go by.
    while after != 0 {
        let mut page = data
            .outbound
            .read(
                http,
                serenity::ChannelId::new(channel),
                serenity::GetMessages::new()
                    .after(serenity::MessageId::new(after))
                    .limit(PAGE),
            )
            .await?;
        page.sort_by_key(|m| m.id);
        for message in &page {
            after = after.max(message.id.get());
            on_message(data, http, message).await?;
        }
        if page.len() < usize::from(PAGE) {
            break;
        }
    }
    Ok(())
}

/// Parses `solo:<action>:<owner>`.
fn parse_solo_id(custom_id: &str) -> Option<(&str, u64)> {
    let mut parts = custom_id.splitn(3, ':');
    if parts.next()? != "solo" {
        return None;
    }
    let action = parts.next()?;
    let owner = parts.next()?.parse().ok()?;
    Some((action, owner))
}

async fn reply_ephemeral(
    http: &serenity::Http,
    interaction: &serenity::ComponentInteraction,
    text: &str,
) -> Result<(), Error> {
    interaction
        .create_response(
            http,
            serenity::CreateInteractionResponse::Message(
                serenity::CreateInteractionResponseMessage::new()
                    .content(limits::truncate(text, limits::MESSAGE_CHARS))
                    .ephemeral(true)
                    .allowed_mentions(no_pings()),
            ),
        )
        .await?;
    Ok(())
}

async fn on_component(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    press: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    let custom_id = press.data.custom_id.as_str();
    if custom_id.starts_with("forget:") {
        return forget_click(data, http, press).await;
    }
    if let Some((guild, date)) = crate::daily::parse_feedback_button_id(custom_id) {
        return daily::on_feedback(data, http, press, guild, date).await;
    }
    if custom_id.starts_with("group:") {
        return on_group_component(data, http, press).await;
    }
    let Some((action, owner)) = parse_solo_id(custom_id) else {
        return reply_ephemeral(http, press, "This button is no longer active.").await;
    };
    let user = press.user.id.get();
    if user != owner {
        return reply_ephemeral(
            http,
            press,
            "This interview belongs to someone else. Start your own with `/interview start`.",
        )
        .await;
    }
    if action == "answer" {
        if !has_session(data, owner).await {
            return reply_ephemeral(http, press, SESSION_OVER).await;
        }
        return open_answer_form(http, press, owner).await;
    }
    let event = match action {
        "done" => Event::Done,
        "hint" => Event::Hint,
        "cancel" => Event::Cancel,
        "skip" => match skip_event(data, owner).await {
            Ok(event) => event,
            Err(Error::User(text)) => return reply_ephemeral(http, press, &text).await,
            Err(other) => return Err(other),
        },
        _ => return reply_ephemeral(http, press, "This button is no longer active.").await,
    };
    // Acknowledge first: reading the channel back waits for a slot of the REST budget, so the
    // work below may take longer than the deadline. The replies are followups of this click:
    // exempt from the global limit, they reach the person at once.
    press
        .create_response(http, serenity::CreateInteractionResponse::Acknowledge)
        .await?;
    if event == Event::Done {
        solo::collect_missed(data, http, owner, press.id.get()).await;
    }
    let replies = Replies::Followup {
        token: &press.token,
        channel: press.channel_id.get(),
    };
    if solo::drive_answering(data, http, owner, event, Origin::Owner, replies).await?
        == Driven::NoSession
    {
        let over = serenity::CreateInteractionResponseFollowup::new()
            .content(SESSION_OVER)
            .ephemeral(true)
            .allowed_mentions(no_pings());
        super::retry::creating("the interview-over note", || {
            press.create_followup(http, over.clone())
        })
        .await?;
    }
    Ok(())
}

const SESSION_OVER: &str = "This interview is over. Start a new one with `/interview start`.";

/// Whether `user` has an open solo interview.
async fn has_session(data: &Data, user: u64) -> bool {
    match data.solo.existing(user) {
        Some(slot) => slot.lock().await.is_some(),
        None => false,
    }
}

const STAR_BOXES: [(&str, &str); 4] = [
    ("situation", "Situation"),
    ("task", "Task"),
    ("action", "Action"),
    ("result", "Result"),
];

async fn open_answer_form(
    http: &serenity::Http,
    press: &serenity::ComponentInteraction,
    owner: u64,
) -> Result<(), Error> {
    let rows = STAR_BOXES
        .iter()
        .map(|(id, label)| {
            serenity::CreateActionRow::InputText(
                serenity::CreateInputText::new(serenity::InputTextStyle::Paragraph, *label, *id)
                    .required(false)
                    .max_length(limits::MODAL_INPUT_CHARS as u16),
            )
        })
        .collect();
    let modal = serenity::CreateModal::new(format!("solo:modal:{owner}"), "Your STAR answer")
        .components(rows);
    press
        .create_response(http, serenity::CreateInteractionResponse::Modal(modal))
        .await?;
    Ok(())
}

async fn on_modal(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    submit: &serenity::ModalInteraction,
) -> Result<(), Error> {
    if submit.data.custom_id.starts_with("group:") {
        return on_group_rating(data, http, submit).await;
    }
    let refuse = |text: &str| {
        submit.create_response(
            http,
            serenity::CreateInteractionResponse::Message(
                serenity::CreateInteractionResponseMessage::new()
                    .content(limits::truncate(text, limits::MESSAGE_CHARS))
                    .ephemeral(true)
                    .allowed_mentions(no_pings()),
            ),
        )
    };
    let Some(("modal", owner)) = parse_solo_id(&submit.data.custom_id) else {
        refuse("This form is no longer active.").await?;
        return Ok(());
    };
    if submit.user.id.get() != owner {
        refuse("This interview belongs to someone else. Start your own with `/interview start`.")
            .await?;
        return Ok(());
    }
    let mut parts = Vec::new();
    for row in &submit.data.components {
        for component in &row.components {
            if let serenity::ActionRowComponent::InputText(input) = component {
                let value = input.value.as_deref().unwrap_or("").trim();
                if value.is_empty() {
                    continue;
                }
                let label = STAR_BOXES
                    .iter()
                    .find(|(id, _)| *id == input.custom_id)
                    .map_or("Answer", |(_, label)| label);
                parts.push(format!("{label}: {value}"));
            }
        }
    }
    if parts.is_empty() {
        refuse(
            "The form was empty, so nothing was collected. Write at least one of Situation, \
             Task, Action and Result.",
        )
        .await?;
        return Ok(());
    }
    submit
        .create_response(http, serenity::CreateInteractionResponse::Acknowledge)
        .await?;
    let text = parts.join("\n");
    // The interaction id is a unique snowflake: a replayed submit is collected once.
    let message = Event::Message {
        id: submit.id.get(),
        text: text.clone(),
    };
    let replies = Replies::Followup {
        token: &submit.token,
        channel: submit.channel_id.get(),
    };
    match solo::drive_answering(data, http, owner, message, Origin::Form, replies).await? {
        Driven::Applied => {
            solo::drive_answering(data, http, owner, Event::Done, Origin::Form, replies).await?;
        }
        Driven::NoSession => {
            // The interview ended while the form was open: hand the text back, nothing is lost.
            submit
                .create_followup(
                    http,
                    serenity::CreateInteractionResponseFollowup::new()
                        .content(
                            "This interview is over, so your form was not collected. Your text \
                             is attached so nothing is lost; start a new interview with \
                             `/interview start`.",
                        )
                        .add_file(serenity::CreateAttachment::bytes(
                            text.into_bytes(),
                            "my-answer.txt",
                        ))
                        .ephemeral(true)
                        .allowed_mentions(no_pings()),
                )
                .await?;
        }
    }
    Ok(())
}

const GROUP_OVER: &str = "This group session is over.";

/// `group:<action>:<channel>[:<round>]`.
fn parse_group_id(custom_id: &str) -> Option<(&str, u64, Option<u32>)> {
    let mut parts = custom_id.split(':');
    if parts.next()? != "group" {
        return None;
    }
    let action = parts.next()?;
    let channel = parts.next()?.parse().ok()?;
    let round = match parts.next() {
        Some(r) => Some(r.parse().ok()?),
        None => None,
    };
    // Anything after the round is not an id the bot made.
    if parts.next().is_some() {
        return None;
    }
    Some((action, channel, round))
}

fn actor_of(user: &serenity::User) -> Actor {
    Actor {
        id: user.id.get(),
        name: user
            .global_name
            .clone()
            .unwrap_or_else(|| user.name.clone()),
    }
}

/// Whether the member may manage messages in the channel (Discord computes it per channel).
fn can_manage(member: Option<&serenity::Member>) -> bool {
    member
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.manage_messages() || p.administrator())
}

async fn on_group_component(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    press: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    let Some((action, channel, round)) = parse_group_id(&press.data.custom_id) else {
        return reply_ephemeral(http, press, "This button is no longer active.").await;
    };
    let actor = actor_of(&press.user);
    let user = group::user_key(actor.id);
    let manage = can_manage(press.member.as_ref());
    let event = match (action, round) {
        ("join", _) => {
            let caps = data.config.group.caps();
            if let Err(refusal) = data.group.reserve_join(channel, &user, &caps) {
                return reply_ephemeral(http, press, &refusal.to_string()).await;
            }
            GroupEvent::Join { user }
        }
        ("leave", _) => GroupEvent::Leave { user },
        ("begin", _) => GroupEvent::Begin {
            user,
            can_manage: manage,
        },
        ("next", _) => GroupEvent::Next {
            user,
            can_manage: manage,
        },
        ("end", _) => GroupEvent::End {
            user,
            can_manage: manage,
        },
        ("done", _) => GroupEvent::Done { user },
        ("vote", Some(round)) => {
            let serenity::ComponentInteractionDataKind::StringSelect { values } = &press.data.kind
            else {
                return reply_ephemeral(http, press, "Pick someone from the list.").await;
            };
            let Some(choice) = values.first() else {
                return reply_ephemeral(http, press, "Pick someone from the list.").await;
            };
            GroupEvent::Vote {
                voter: user,
                round,
                choice: choice.clone(),
            }
        }
        ("rate", Some(round)) => {
            let running = match data.group.by_channel(channel) {
                Some(slot) => slot.lock().await.is_some(),
                None => false,
            };
            if !running {
                return reply_ephemeral(http, press, GROUP_OVER).await;
            }
            return open_rating_form(http, press, channel, round).await;
        }
        _ => return reply_ephemeral(http, press, "This button is no longer active.").await,
    };
    let turn = match data.group.click_turn(channel) {
        Some(turn) => Some(turn.lock_owned().await),
        None => None,
    };
    // Done, Next and End on a round card carry its round: one from an older round must not
    // act on the round under way. Ids without a round (issued before) are taken as they are.
    if let (Some(clicked), "done" | "next" | "end") = (round, action) {
        match data.group.round_of(channel).await {
            None => return reply_ephemeral(http, press, GROUP_OVER).await,
            Some(current) if current != clicked => {
                return reply_ephemeral(
                    http,
                    press,
                    &format!("That button is from round {clicked}; round {current} is under way."),
                )
                .await;
            }
            Some(_) => {}
        }
    }
    let Some(mut applied) = group::apply(data, channel, event, Some(&actor)).await? else {
        return reply_ephemeral(http, press, GROUP_OVER).await;
    };
    let mut notes = applied.outcome.refusals.clone();
    notes.extend(applied.outcome.confirmations.iter().cloned());
    // A click on the lobby that changed it (join, leave, begin, end) is answered by updating
    // the lobby message in the response itself: exempt from the global limit, so at once.
    if let Some(lobby) = applied.take_lobby_update(data, press.message.id.get()) {
        press
            .create_response(
                http,
                serenity::CreateInteractionResponse::UpdateMessage(lobby),
            )
            .await?;
        if !notes.is_empty() {
            press
                .create_followup(
                    http,
                    serenity::CreateInteractionResponseFollowup::new()
                        .content(limits::truncate(&notes.join("\n"), limits::MESSAGE_CHARS))
                        .ephemeral(true)
                        .allowed_mentions(no_pings()),
                )
                .await?;
        }
    } else if notes.is_empty() {
        press
            .create_response(http, serenity::CreateInteractionResponse::Acknowledge)
            .await?;
    } else {
        reply_ephemeral(http, press, &notes.join("\n")).await?;
    }
    drop(turn);
    group::carry_out(data, http, applied).await;
    Ok(())
}

async fn open_rating_form(
    http: &serenity::Http,
    press: &serenity::ComponentInteraction,
    channel: u64,
    round: u32,
) -> Result<(), Error> {
    let rows = vec![
        serenity::CreateActionRow::InputText(
            serenity::CreateInputText::new(serenity::InputTextStyle::Short, "Score (1–5)", "score")
                .min_length(1)
                .max_length(1)
                .required(true),
        ),
        serenity::CreateActionRow::InputText(
            serenity::CreateInputText::new(
                serenity::InputTextStyle::Paragraph,
                "One comment for the candidate",
                "comment",
            )
            .max_length(crate::interview::group::MAX_COMMENT_CHARS as u16)
            .required(true),
        ),
    ];
    let modal = serenity::CreateModal::new(
        format!("group:ratemodal:{channel}:{round}"),
        "Rate the answer",
    )
    .components(rows);
    press
        .create_response(http, serenity::CreateInteractionResponse::Modal(modal))
        .await?;
    Ok(())
}

async fn on_group_rating(
    data: &Arc<Data>,
    http: &Arc<serenity::Http>,
    submit: &serenity::ModalInteraction,
) -> Result<(), Error> {
    let reply = |text: String| {
        serenity::CreateInteractionResponse::Message(
            serenity::CreateInteractionResponseMessage::new()
                .content(limits::truncate(&text, limits::MESSAGE_CHARS))
                .ephemeral(true)
                .allowed_mentions(no_pings()),
        )
    };
    let Some(("ratemodal", channel, Some(round))) = parse_group_id(&submit.data.custom_id) else {
        submit
            .create_response(http, reply("This form is no longer active.".into()))
            .await?;
        return Ok(());
    };
    let mut score_text = String::new();
    let mut comment = String::new();
    for row in &submit.data.components {
        for component in &row.components {
            if let serenity::ActionRowComponent::InputText(input) = component {
                let value = input.value.clone().unwrap_or_default();
                match input.custom_id.as_str() {
                    "score" => score_text = value,
                    "comment" => comment = value,
                    _ => {}
                }
            }
        }
    }
    let Ok(score) = score_text.trim().parse::<u8>() else {
        submit
            .create_response(
                http,
                reply(format!(
                    "The score must be a number from 1 to 5, not \"{}\".",
                    limits::truncate(score_text.trim(), 20)
                )),
            )
            .await?;
        return Ok(());
    };
    let actor = actor_of(&submit.user);
    let event = GroupEvent::Rate {
        rater: group::user_key(actor.id),
        round,
        score,
        comment,
    };
    let Some(applied) = group::apply(data, channel, event, Some(&actor)).await? else {
        submit
            .create_response(http, reply(GROUP_OVER.into()))
            .await?;
        return Ok(());
    };
    let mut notes = applied.outcome.refusals.clone();
    notes.extend(applied.outcome.confirmations.iter().cloned());
    let text = if notes.is_empty() {
        "Thanks.".to_string()
    } else {
        notes.join("\n")
    };
    submit.create_response(http, reply(text)).await?;
    group::carry_out(data, http, applied).await;
    Ok(())
}
