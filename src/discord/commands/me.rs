//! `/history`, `/stats`, `/export`, `/forget`: a person's own data. Replies are ephemeral.

use poise::serenity_prelude as serenity;

use super::super::chart;
use super::super::data::{no_pings, Context, Data, Error};
use super::super::limits::{self, truncate};
use super::super::reply;
use crate::quota::Action;
use crate::store::{stats, UserKey};

fn ephemeral(text: impl Into<String>) -> poise::CreateReply {
    poise::CreateReply::default()
        .content(truncate(&text.into(), limits::MESSAGE_CHARS))
        .ephemeral(true)
        .allowed_mentions(no_pings())
}

/// Your recent practice attempts, newest first.
#[poise::command(slash_command)]
pub async fn history(
    ctx: Context<'_>,
    #[description = "How many attempts to show (1–25, default 10)"]
    #[min = 1]
    #[max = 25]
    count: Option<u8>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let user = UserKey::discord(ctx.author().id.get());
    let count = usize::from(count.unwrap_or(10).clamp(1, 25));
    let attempts = data.store.history(&user, count)?;
    if attempts.is_empty() {
        reply::send(
            ctx,
            ephemeral("No attempts yet. Start one with `/interview start`."),
        )
        .await?;
        return Ok(());
    }
    let mut lines = vec![format!("**Your last {} attempts**", attempts.len())];
    for attempt in &attempts {
        let question = data
            .bank
            .question(&attempt.question_id)
            .map_or(attempt.question_id.as_str(), |q| q.text.as_str());
        let missing = attempt.summary.star.missing();
        let gaps = if missing.is_empty() {
            "full STAR".to_string()
        } else {
            format!("missing {}", missing.join(", "))
        };
        lines.push(format!(
            "• {} · **{}/5** · {} · {} — {}",
            attempt.finished_at.strftime("%Y-%m-%d"),
            attempt.summary.score,
            attempt.mode,
            gaps,
            truncate(question, 90)
        ));
    }
    reply::send(ctx, ephemeral(lines.join("\n"))).await?;
    Ok(())
}

/// Your progress per Leadership Principle, with a chart.
#[poise::command(slash_command)]
pub async fn stats(ctx: Context<'_>) -> Result<(), Error> {
    ctx.data().cooldown(ctx.author().id.get(), Action::Stats)?;
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let user = UserKey::discord(ctx.author().id.get());
    let attempts = data.store.history(&user, usize::MAX)?;
    let all: Vec<String> = data
        .bank
        .principles()
        .iter()
        .map(|p| p.id.clone())
        .collect();
    let figures = stats::compute(&attempts, &all, data.clock.now(), &jiff::tz::TimeZone::UTC);
    let name = |id: &str| {
        data.bank
            .principle(id)
            .map_or(id.to_string(), |p| p.name.clone())
    };
    let mut lines = vec![format!(
        "**Your stats** — {} attempts{}, streak {} day{}",
        figures.total_attempts,
        figures
            .overall_average
            .map(|a| format!(", average {a:.1}/5"))
            .unwrap_or_default(),
        figures.streak_days,
        if figures.streak_days == 1 { "" } else { "s" },
    )];
    let guild = ctx.guild_id().map(|g| g.get());
    if let Some(line) = super::super::daily::streak_line(data, guild, &attempts) {
        lines.push(line);
    }
    for lp in &figures.per_lp {
        lines.push(format!(
            "• {}: {} attempt{}, average {:.1}, last {}",
            name(&lp.lp),
            lp.attempts,
            if lp.attempts == 1 { "" } else { "s" },
            lp.average_score,
            lp.last_practised.strftime("%Y-%m-%d"),
        ));
    }
    if let Some(most) = figures.most_missing.first() {
        lines.push(format!(
            "Most often missing: **{}** ({} time{})",
            most.section,
            most.missing,
            if most.missing == 1 { "" } else { "s" }
        ));
    }
    if !figures.never_practised.is_empty() {
        let names: Vec<String> = figures.never_practised.iter().map(|id| name(id)).collect();
        lines.push(format!("Never practised: {}", names.join(", ")));
    }
    let mut reply = ephemeral(lines.join("\n"));
    match chart::stats_png(&figures, &data.bank) {
        Ok(png) => reply = reply.attachment(serenity::CreateAttachment::bytes(png, "stats.png")),
        Err(err) => tracing::warn!("{err}"),
    }
    reply::send(ctx, reply).await?;
    Ok(())
}

/// Everything bar-raiser keeps about you, as a JSON file.
#[poise::command(slash_command)]
pub async fn export(ctx: Context<'_>) -> Result<(), Error> {
    ctx.data().cooldown(ctx.author().id.get(), Action::Export)?;
    ctx.defer_ephemeral().await?;
    let user = UserKey::discord(ctx.author().id.get());
    let document = ctx.data().store.export_user(&user)?;
    let bytes = serde_json::to_vec_pretty(&document)
        .map_err(|e| Error::Internal(format!("export cannot be serialised: {e}")))?;
    reply::send(
        ctx,
        ephemeral("Here is all your data.").attachment(serenity::CreateAttachment::bytes(
            bytes,
            "bar-raiser-export.json",
        )),
    )
    .await?;
    Ok(())
}

/// Delete all your data (history, open interviews, settings). Asks to confirm.
#[poise::command(slash_command)]
pub async fn forget(ctx: Context<'_>) -> Result<(), Error> {
    let author = ctx.author().id.get();
    let buttons = vec![serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(format!("forget:confirm:{author}:{}", ctx.id()))
            .label("Delete everything")
            .style(serenity::ButtonStyle::Danger),
        serenity::CreateButton::new(format!("forget:keep:{author}:{}", ctx.id()))
            .label("Keep my data")
            .style(serenity::ButtonStyle::Secondary),
    ])];
    // The click is answered by `forget_click`, without a collector: a click that comes at
    // once, or after a restart, is never lost.
    reply::send(
        ctx,
        ephemeral(
            "This deletes **all** your attempts, open interviews and settings. It cannot be \
             undone. Download them first with `/export` if you want a copy.",
        )
        .components(buttons),
    )
    .await?;
    Ok(())
}

/// A click on the `/forget` prompt (`forget:<confirm|keep>:<user>:<prompt id>`).
pub async fn forget_click(
    data: &Data,
    http: &serenity::Http,
    press: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    let mut parts = press.data.custom_id.split(':');
    let action = parts.nth(1).unwrap_or_default();
    let owner = parts.next().and_then(|id| id.parse::<u64>().ok());
    let refusal = match owner {
        _ if !matches!(action, "confirm" | "keep") => Some("This button is no longer active."),
        None => Some("This button is no longer active."),
        Some(owner) if owner != press.user.id.get() => {
            Some("Only the person who asked can answer this.")
        }
        Some(_) => None,
    };
    if let Some(refusal) = refusal {
        // A new ephemeral message: the message the click came from is left as it is.
        press
            .create_response(
                http,
                serenity::CreateInteractionResponse::Message(
                    serenity::CreateInteractionResponseMessage::new()
                        .content(refusal)
                        .ephemeral(true)
                        .allowed_mentions(no_pings()),
                ),
            )
            .await?;
        return Ok(());
    }
    let text = match owner {
        Some(owner) if action == "confirm" => {
            // Closed under the session's lock, so no event in flight writes it back.
            let slot = data.solo.existing(owner);
            let mut guard = match &slot {
                Some(slot) => Some(slot.lock().await),
                None => None,
            };
            if let Some(guard) = guard.as_mut() {
                data.solo.close(owner, guard);
            }
            data.store.forget_user(&UserKey::discord(owner))?;
            drop(guard);
            "Done: everything bar-raiser kept about you is deleted.".to_string()
        }
        _ => "Nothing was deleted.".to_string(),
    };
    press
        .create_response(
            http,
            serenity::CreateInteractionResponse::UpdateMessage(
                serenity::CreateInteractionResponseMessage::new()
                    .content(text)
                    .components(vec![])
                    .allowed_mentions(no_pings()),
            ),
        )
        .await?;
    Ok(())
}
