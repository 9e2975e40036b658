//! `/interview start|done|hint|skip|cancel`: the solo mock interview.

use poise::serenity_prelude as serenity;

use super::super::data::{no_pings, Context, Error};
use super::super::pace;
use super::super::render;
use super::super::reply;
use super::super::solo::{self, Origin, SoloState};
use super::LpChoice;
use crate::interview::solo::{next_question, Event, SoloSession};
use crate::quota::Action;
use crate::store::UserKey;

/// A mock interview: I ask a Leadership Principle question and coach your answer.
#[poise::command(
    slash_command,
    subcommands("start", "done", "hint", "skip", "cancel"),
    subcommand_required
)]
pub async fn interview(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

async fn autocomplete_question(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    // Whitespace alone is an empty field: list the first questions.
    let partial = partial.trim().to_lowercase();
    let choices = ctx
        .data()
        .bank
        .questions()
        .iter()
        .filter(|q| {
            partial.is_empty()
                || q.id.to_lowercase().contains(&partial)
                || q.text.to_lowercase().contains(&partial)
        })
        .take(25)
        .map(|q| {
            let label = super::super::limits::truncate(&format!("{} — {}", q.id, q.text), 100);
            serenity::AutocompleteChoice::new(label, q.id.clone())
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Start a mock interview (in a private thread, or right here in a DM).
#[poise::command(slash_command)]
pub async fn start(
    ctx: Context<'_>,
    #[description = "Leadership Principle to practise"] lp: Option<LpChoice>,
    #[description = "A specific question id"]
    #[autocomplete = "autocomplete_question"]
    #[max_length = 100]
    question: Option<String>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let user = ctx.author().id.get();

    if let Some(channel) = data.solo.open_channel(user).await {
        return Err(already_open(channel));
    }
    // After the check above: pointing to the open interview helps more than a wait.
    data.cooldown(user, Action::InterviewStart)?;

    let lp_id = match lp {
        Some(choice) => Some(
            data.bank
                .principle(choice.name())
                .map(|p| p.id.clone())
                .ok_or_else(|| Error::user(format!("No questions for {} yet.", choice.name())))?,
        ),
        None => None,
    };
    let chosen = match question.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(id) => data.bank.question(id).ok_or_else(|| {
            Error::user(format!(
                "I don't know a question with the id `{}`. Pick one from the list as you type.",
                super::super::limits::truncate(id, 60)
            ))
        })?,
        None => {
            let mut rng = rand::thread_rng();
            next_question(&data.bank, lp_id.as_deref(), &[], &mut rng)
                .ok_or_else(|| Error::user("There are no questions for that choice yet."))?
        }
    };

    let http = ctx.serenity_context().http.clone();
    // New work: its calls wait behind people already in an interview (see `pace.rs`).
    let (channel_id, thread, note) = pace::opening(place_for(ctx)).await?;
    let now = data.clock.now();
    let session = SoloSession::start(
        format!("solo-{user}-{}", now.as_millisecond()),
        UserKey::discord(user).0,
        chosen.id.clone(),
        now,
    );
    let state = SoloState {
        session,
        channel_id,
        guild_id: ctx.guild_id().map(|g| g.get()),
        thread,
        lp: lp_id,
        content_warned: false,
        start_id: ctx.id(),
        last_done_id: 0,
        refused: Default::default(),
        settled_until: 0,
    };
    // A second start may have raced this one through thread creation: one wins.
    let claimed = data
        .solo
        .begin(user, channel_id)
        .await
        .map_err(already_open)?;
    let generation = claimed.generation();
    // Stored before the question is shown: from here on nothing typed is lost.
    if let Err(err) = solo::persist(&*data.store, user, &state, now) {
        claimed.abandon(&data.solo, user);
        return Err(err);
    }
    claimed.open(&state, &data.config.interview);

    let intro = format!("<@{user}>, here is your question.");
    let card = render::question_card(&data.bank, chosen, &intro);
    if let Err(err) = pace::opening(solo::send_cards(
        &http,
        &data.outbound,
        channel_id,
        vec![card],
        solo::controls(user, true),
    ))
    .await
    {
        // Without the question there is no interview: undo it so the next start is clean.
        data.solo.end(&*data.store, user, generation).await?;
        if cannot_message_user(&err) {
            return Err(Error::user(
                "I can't open a thread in this channel and your DMs are closed to me. Ask an \
                 admin to let me create threads here, or allow DMs from server members.",
            ));
        }
        return Err(err.into());
    }

    let here = if Some(channel_id) == Some(ctx.channel_id().get()) {
        "Your interview is right here.".to_string()
    } else {
        format!("Your interview is ready in <#{channel_id}>.")
    };
    reply::send(
        ctx,
        poise::CreateReply::default()
            .content(format!("{here}{note}"))
            .ephemeral(true)
            .allowed_mentions(no_pings()),
    )
    .await?;
    Ok(())
}

fn already_open(channel: u64) -> Error {
    Error::user(format!(
        "You already have an interview open in <#{channel}>. Answer it and press Done, or use \
         `/interview cancel` first."
    ))
}

/// Discord's "Cannot send messages to this user" (50007): the person's DMs are closed to the bot.
fn cannot_message_user(err: &serenity::Error) -> bool {
    matches!(
        err,
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response))
            if response.error.code == 50007
    )
}

/// Where a new interview goes: a private thread, else a public thread, else a DM; in a DM,
/// right there. Returns the channel, whether it is a thread, and a note for the person.
async fn place_for(ctx: Context<'_>) -> Result<(u64, bool, String), Error> {
    let http = &ctx.serenity_context().http;
    let pace = &ctx.data().outbound;
    let here = ctx.channel_id();
    if ctx.guild_id().is_none() {
        return Ok((here.get(), false, String::new()));
    }
    let name = super::super::limits::truncate(
        &format!("Interview — {}", ctx.author().name),
        super::super::limits::THREAD_NAME_CHARS,
    );
    let private = serenity::CreateThread::new(name.clone())
        .kind(serenity::ChannelType::PrivateThread)
        .invitable(false)
        .auto_archive_duration(serenity::AutoArchiveDuration::OneDay);
    match pace.open_thread(http, here, private).await {
        Ok(thread) => {
            pace.add_to_thread(http, thread.id, ctx.author().id).await?;
            return Ok((thread.id.get(), true, String::new()));
        }
        Err(err) => tracing::info!("private thread not possible here: {err}"),
    }
    let public = serenity::CreateThread::new(name)
        .kind(serenity::ChannelType::PublicThread)
        .auto_archive_duration(serenity::AutoArchiveDuration::OneDay);
    match pace.open_thread(http, here, public).await {
        Ok(thread) => {
            return Ok((
                thread.id.get(),
                true,
                "\nI could not open a private thread here, so this one is public: others in \
                 the channel can read it. Use a DM with me for privacy."
                    .to_string(),
            ))
        }
        Err(err) => tracing::info!("public thread not possible here: {err}"),
    }
    let dm = pace.open_dm(http, ctx.author().id).await.map_err(|_| {
        Error::user(
            "I can't open a thread in this channel and your DMs are closed to me. Ask an admin \
             to let me create threads here, or allow DMs from server members.",
        )
    })?;
    Ok((
        dm.id.get(),
        false,
        "\nI can't open threads in this channel, so the interview is in your DMs.".to_string(),
    ))
}

async fn forward(ctx: Context<'_>, event: Event, done_text: &str) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let http = ctx.serenity_context().http.clone();
    let user = ctx.author().id.get();
    if event == Event::Done {
        solo::collect_missed(data, &http, user, ctx.id()).await;
    }
    match solo::drive(data, &http, user, event, Origin::Owner).await? {
        solo::Driven::NoSession => Err(Error::user(
            "You have no interview open. Start one with `/interview start`.",
        )),
        solo::Driven::Applied => {
            reply::send(
                ctx,
                poise::CreateReply::default()
                    .content(done_text)
                    .ephemeral(true)
                    .allowed_mentions(no_pings()),
            )
            .await?;
            Ok(())
        }
    }
}

/// Finish your answer and get feedback.
#[poise::command(slash_command)]
pub async fn done(ctx: Context<'_>) -> Result<(), Error> {
    forward(
        ctx,
        Event::Done,
        "Done: the feedback is in your interview thread.",
    )
    .await
}

/// Show what the question is really testing.
#[poise::command(slash_command)]
pub async fn hint(ctx: Context<'_>) -> Result<(), Error> {
    forward(ctx, Event::Hint, "The hint is in your interview thread.").await
}

/// Get a different question (your answer so far is dropped).
#[poise::command(slash_command)]
pub async fn skip(ctx: Context<'_>) -> Result<(), Error> {
    let user = ctx.author().id.get();
    let event = skip_event(ctx.data(), user).await?;
    forward(ctx, event, "A new question is in your interview thread.").await
}

/// Stop your interview.
#[poise::command(slash_command)]
pub async fn cancel(ctx: Context<'_>) -> Result<(), Error> {
    forward(ctx, Event::Cancel, "Interview stopped.").await
}

/// The `Skip` event for a user's session: a question not used in it yet, same LP focus.
pub async fn skip_event(data: &super::super::Data, user: u64) -> Result<Event, Error> {
    let Some(state) = solo::current(data, user).await? else {
        return Err(Error::user("You have no interview open."));
    };
    let mut used: Vec<&str> = state.session.skipped.iter().map(String::as_str).collect();
    used.push(&state.session.question_id);
    let mut rng = rand::thread_rng();
    let next = next_question(&data.bank, state.lp.as_deref(), &used, &mut rng)
        .filter(|q| q.id != state.session.question_id)
        .ok_or_else(|| Error::user("There is no other question to switch to."))?;
    Ok(Event::Skip {
        question_id: next.id.clone(),
    })
}
