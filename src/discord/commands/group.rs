//! `/group start`: a group mock interview in this channel.

use super::super::data::{no_pings, Context, Error};
use super::super::group;
use super::super::reply;
use super::LpChoice;
use crate::interview::group::{GroupMode, Requested, Settings, MAX_ANSWER_MINUTES, MAX_ROUNDS};
use crate::quota::Action;

/// Group mock interviews for study groups.
#[poise::command(slash_command, guild_only, subcommands("start"), subcommand_required)]
pub async fn group(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum ModeChoice {
    #[name = "everyone answers each question"]
    Everyone,
    #[name = "hot seat: one candidate per round, the rest are the panel"]
    HotSeat,
}

/// Open a lobby here; people join, the host begins. Rounds run in a thread.
#[poise::command(slash_command, guild_only)]
pub async fn start(
    ctx: Context<'_>,
    #[description = "Number of questions (1–10)"]
    #[min = 1]
    #[max = 10]
    rounds: Option<u8>,
    #[description = "Leadership Principle to focus on"] lp: Option<LpChoice>,
    #[description = "How the rounds run"] mode: Option<ModeChoice>,
    #[description = "Minutes to answer each question (1–30)"]
    #[min = 1]
    #[max = 30]
    answer_minutes: Option<u32>,
) -> Result<(), Error> {
    ctx.data()
        .cooldown(ctx.author().id.get(), Action::GroupStart)?;
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let requested = Requested {
        rounds,
        lp: lp.map(|l| l.name().to_string()),
        mode: mode.map(|m| match m {
            ModeChoice::Everyone => GroupMode::Everyone,
            ModeChoice::HotSeat => GroupMode::HotSeat,
        }),
        answer_minutes,
    };
    let settings = Settings::resolve(&requested, &data.config.group, &data.bank).map_err(|e| {
        Error::user(format!(
            "Can't start the group: {e}. Rounds 1–{MAX_ROUNDS}, answer minutes 1–{MAX_ANSWER_MINUTES}."
        ))
    })?;
    let http = ctx.serenity_context().http.clone();
    let thread = group::open(
        data,
        &http,
        ctx.guild_id().map(|g| g.get()),
        ctx.channel_id().get(),
        ctx.author(),
        settings,
    )
    .await?;
    reply::send(
        ctx,
        poise::CreateReply::default()
            .content(format!(
                "Lobby open, and you are the host. The session runs in <#{thread}>; press \
                 **Begin** when everyone has joined."
            ))
            .ephemeral(true)
            .allowed_mentions(no_pings()),
    )
    .await?;
    Ok(())
}
