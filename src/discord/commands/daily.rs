//! `/daily set|show|off|now`: a server's daily question, for admins (Manage Server). The
//! command is hidden from other members by its default permissions, and every subcommand also
//! checks the invoker's permissions at run time, since server admins can override visibility.

use jiff::civil::Date;
use jiff::Timestamp;
use poise::serenity_prelude as serenity;

use super::super::daily::{self as bot_daily, PostOutcome, Trigger};
use super::super::data::{no_pings, Context, Error};
use super::super::limits;
use super::super::reply;
use super::LpChoice;
use crate::daily::{
    eligible_questions, local_date, parse_time, parse_timezone, zone_suggestions, DailySchedule,
    DailySettings, GuildId, PostMarker, Zone,
};
use crate::quota::Action;

/// The daily question: one LP question a day in a channel, with a thread for answers.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("set", "show", "off", "now"),
    subcommand_required
)]
pub async fn daily(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

fn ephemeral(text: impl Into<String>) -> poise::CreateReply {
    poise::CreateReply::default()
        .content(limits::truncate(&text.into(), limits::MESSAGE_CHARS))
        .ephemeral(true)
        .allowed_mentions(no_pings())
}

/// The server, when the invoker may manage it (Manage Server or Administrator, as Discord
/// computed their permissions in this channel for the interaction).
fn require_admin(ctx: Context<'_>) -> Result<GuildId, Error> {
    let guild = ctx
        .guild_id()
        .ok_or_else(|| Error::user("`/daily` works in a server, not in DMs."))?;
    let permissions = match ctx {
        poise::Context::Application(app) => app
            .interaction
            .member
            .as_ref()
            .and_then(|member| member.permissions),
        poise::Context::Prefix(_) => None,
    };
    if permissions.is_some_and(|p| p.manage_guild() || p.administrator()) {
        Ok(guild.get())
    } else {
        Err(Error::user(
            "Only server admins (the Manage Server permission) can set up the daily question. \
             Ask one of them; you can answer the daily question in its thread.",
        ))
    }
}

async fn autocomplete_zone(
    _ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let choices = zone_suggestions(partial, 25)
        .into_iter()
        .map(|name| serenity::AutocompleteChoice::new(name.clone(), name))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Set up the daily question: where, when (in your timezone), on what, and whom to ping.
#[poise::command(slash_command, guild_only)]
pub async fn set(
    ctx: Context<'_>,
    #[description = "Channel for the daily question"]
    #[channel_types("Text")]
    channel: serenity::ChannelId,
    #[description = "Time of day, 24-hour HH:MM, e.g. 09:00"]
    #[max_length = 20]
    time: String,
    #[description = "IANA timezone, e.g. Europe/Berlin or America/New_York"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 100]
    timezone: String,
    #[description = "Only questions on this Leadership Principle"] lp: Option<LpChoice>,
    #[description = "Role to mention in each post (the only ping I ever send)"] role: Option<
        serenity::RoleId,
    >,
) -> Result<(), Error> {
    let guild = require_admin(ctx)?;
    let time = parse_time(&time).map_err(|e| Error::user(format!("`time`: {e}.")))?;
    let zone = parse_timezone(&timezone).map_err(|e| Error::user(format!("`timezone`: {e}.")))?;
    if role.is_some_and(|r| r.get() == guild) {
        return Err(Error::user(
            "`role`: @everyone cannot be mentioned by the daily question; pick a role members \
             join to be reminded, or leave it out.",
        ));
    }
    check_channel(ctx, channel)?;
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let _no_post_meanwhile = data.daily.settings_change(guild).await;
    let store = &*data.store;
    let previous = bot_daily::read_settings(store, guild)?;
    let settings = DailySettings {
        schedule: DailySchedule {
            channel_id: channel.get(),
            time,
            timezone: zone,
            lp: lp.map(|choice| choice.name().to_string()),
            role_id: role.map(|r| r.get()),
            enabled: true,
        },
        rotation: previous
            .as_ref()
            .map(|p| p.rotation.clone())
            .unwrap_or_default(),
        last_problem: previous.and_then(|p| p.last_problem),
    };
    // Stored (flushed) before anything is confirmed.
    bot_daily::write_settings(store, guild, &settings)?;
    let now = data.clock.now();
    let settled = bot_daily::settled_today(store, guild, &settings, now)?;
    data.daily.arm(guild, &settings, now, settled);

    let schedule = &settings.schedule;
    let mut lines = vec![format!(
        "Daily question set: every day at **{}** ({}) in <#{}>.",
        schedule.time, schedule.timezone, schedule.channel_id
    )];
    if let Some(lp) = &schedule.lp {
        lines.push(format!("Questions on **{lp}** only."));
    }
    if let Some(role) = schedule.role_id {
        lines.push(format!("Each post mentions <@&{role}>."));
    }
    if let Some(at) = data.daily.due_at(guild) {
        lines.push(format!("Next post: {}.", when(at, &schedule.timezone)));
    }
    lines.push(
        "I need View Channel, Send Messages, Embed Links and Create Public Threads there. \
         `/daily now` posts today's question right away."
            .to_string(),
    );
    reply::send(ctx, ephemeral(lines.join("\n"))).await?;
    Ok(())
}

/// The channel must be a text channel of this server (as the gateway told the bot about it): an
/// id from elsewhere, or of a channel deleted since, is refused now rather than failing each
/// day. (A role Discord cannot resolve is refused by the options check.)
fn check_channel(ctx: Context<'_>, channel: serenity::ChannelId) -> Result<(), Error> {
    let Some(guild) = ctx.guild() else {
        // Not known yet (the server's data has not arrived): the daily post reports problems.
        return Ok(());
    };
    let text_channel = guild.channels.get(&channel).is_some_and(|c| {
        matches!(
            c.kind,
            serenity::ChannelType::Text | serenity::ChannelType::News
        )
    });
    if !text_channel {
        return Err(Error::user(format!(
            "`channel`: <#{channel}> is not a text channel of this server that I can see. Pick \
             one from the list, and check I have View Channel there."
        )));
    }
    Ok(())
}

/// A moment as the server's local date and time, plus Discord's relative timestamp.
fn when(at: Timestamp, zone: &Zone) -> String {
    let local = zone.time_zone().to_datetime(at);
    format!(
        "{} ({}, <t:{}:R>)",
        local.strftime("%A %-d %B %Y at %H:%M"),
        zone,
        at.as_second()
    )
}

fn message_link(guild: GuildId, channel: u64, message: u64) -> String {
    format!("https://discord.com/channels/{guild}/{channel}/{message}")
}

/// Show this server's daily question settings, the next post and any problem.
#[poise::command(slash_command, guild_only)]
pub async fn show(ctx: Context<'_>) -> Result<(), Error> {
    let guild = require_admin(ctx)?;
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let store = &*data.store;
    let Some(settings) = bot_daily::read_settings(store, guild)? else {
        reply::send(
            ctx,
            ephemeral("No daily question here yet. Set one up with `/daily set`."),
        )
        .await?;
        return Ok(());
    };
    let schedule = &settings.schedule;
    let now = data.clock.now();
    let today = local_date(now, &schedule.timezone);
    let mut lines = vec![format!(
        "**Daily question** — {}",
        if schedule.enabled {
            "on"
        } else {
            "off (`/daily set` turns it on)"
        }
    )];
    lines.push(format!(
        "Channel <#{}> · {} ({})",
        schedule.channel_id, schedule.time, schedule.timezone
    ));
    let eligible = eligible_questions(&data.bank, schedule.lp.as_deref());
    match &schedule.lp {
        Some(lp) if eligible.focus_ignored => lines.push(format!(
            "Focus: {lp} — no questions match it any more, so the whole bank is used"
        )),
        Some(lp) => lines.push(format!("Focus: {lp}")),
        None => lines.push("Focus: every Leadership Principle".to_string()),
    }
    if let Some(role) = schedule.role_id {
        lines.push(format!("Mentions <@&{role}>"));
    }
    lines.push(format!(
        "Rotation: {} of {} questions asked in this cycle",
        settings.rotation.asked_this_cycle().min(eligible.ids.len()),
        eligible.ids.len()
    ));
    lines.push(today_line(
        guild,
        today,
        bot_daily::read_marker(store, guild, today)?,
    ));
    if schedule.enabled {
        if let Some(at) = data.daily.due_at(guild) {
            lines.push(format!("Next post: {}", when(at, &schedule.timezone)));
        }
    }
    if let Some(problem) = &settings.last_problem {
        lines.push(format!(
            "⚠️ Last problem ({}): {}",
            problem.date, problem.reason
        ));
    }
    reply::send(ctx, ephemeral(lines.join("\n"))).await?;
    Ok(())
}

fn today_line(guild: GuildId, today: Date, marker: Option<PostMarker>) -> String {
    match marker {
        Some(PostMarker::Posted {
            channel_id,
            message_id,
            ..
        }) => format!(
            "Today ({today}): posted — {}",
            message_link(guild, channel_id, message_id)
        ),
        Some(PostMarker::Skipped { reason, .. }) => {
            format!("Today ({today}): skipped — {reason}")
        }
        Some(PostMarker::Pending { .. }) => format!("Today ({today}): being posted"),
        None => format!("Today ({today}): not posted yet"),
    }
}

/// Turn the daily question off (settings are kept).
#[poise::command(slash_command, guild_only)]
pub async fn off(ctx: Context<'_>) -> Result<(), Error> {
    let guild = require_admin(ctx)?;
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let _no_post_meanwhile = data.daily.settings_change(guild).await;
    let store = &*data.store;
    let Some(mut settings) = bot_daily::read_settings(store, guild)? else {
        reply::send(
            ctx,
            ephemeral("There is no daily question here to turn off."),
        )
        .await?;
        return Ok(());
    };
    settings.schedule.enabled = false;
    bot_daily::write_settings(store, guild, &settings)?;
    data.daily.disarm(guild);
    reply::send(
        ctx,
        ephemeral(
            "Daily question turned off. `/daily set` turns it back on; `/daily now` still posts \
         one on request.",
        ),
    )
    .await?;
    Ok(())
}

/// Post today's question right now (once a day).
#[poise::command(slash_command, guild_only)]
pub async fn now(ctx: Context<'_>) -> Result<(), Error> {
    let guild = require_admin(ctx)?;
    ctx.data()
        .cooldown(ctx.author().id.get(), Action::DailyNow)?;
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let store = &*data.store;
    let Some(settings) = bot_daily::read_settings(store, guild)? else {
        return Err(Error::user(
            "Set up the daily question first with `/daily set`.",
        ));
    };
    let now = data.clock.now();
    // Posted already: answered with the link. Skipped: retried, since an admin asked.
    let today = local_date(now, &settings.schedule.timezone);
    let http = ctx.serenity_context().http.clone();
    let text = match bot_daily::post_day(data, &http, guild, today, Trigger::Now).await? {
        PostOutcome::Posted {
            channel, message, ..
        } => format!(
            "Posted today's question: {}",
            message_link(guild, channel, message)
        ),
        PostOutcome::AlreadyPosted { channel, message } => format!(
            "Today's question is already out: {}",
            message_link(guild, channel, message)
        ),
        PostOutcome::Failed { reason } | PostOutcome::AlreadySkipped { reason } => {
            format!("I could not post today's question: {reason}.")
        }
        PostOutcome::NothingEligible => "There is no question to ask.".to_string(),
        PostOutcome::NotConfigured | PostOutcome::Off => {
            "Set up the daily question first with `/daily set`.".to_string()
        }
        PostOutcome::ClaimedElsewhere => "Today's question is being posted.".to_string(),
    };
    reply::send(ctx, ephemeral(text)).await?;
    Ok(())
}
