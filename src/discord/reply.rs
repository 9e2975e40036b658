//! Replies to slash commands, delivered despite Discord's hiccups.
//!
//! A command that deferred has an empty "thinking" response; its first reply is an edit of
//! that original response, which is idempotent, so it is retried on 429, 500 and 502–504 (see
//! [`super::retry`]). Any later reply is a follow-up, a new message each time, retried on 429
//! only. When a reply cannot be delivered after all, the person is told with a short follow-up
//! when Discord lets that through; the work the command did (a stored interview, an export) is
//! already safe either way.

use std::sync::atomic::Ordering;

use poise::serenity_prelude as serenity;

use super::data::{no_pings, Context, Error};
use super::retry;

/// Invocation data: the deferred original response now shows a reply.
struct OriginalFilled;

/// Sends `reply` for the command in `ctx` (see the module comment).
pub async fn send(ctx: Context<'_>, reply: poise::CreateReply) -> Result<(), Error> {
    let poise::Context::Application(app) = ctx else {
        ctx.send(reply).await?;
        return Ok(());
    };
    let deferred = app.has_sent_initial_response.load(Ordering::SeqCst);
    let filled = ctx.invocation_data::<OriginalFilled>().await.is_some();
    if !deferred || filled {
        // The initial response (a callback not yet made) or a follow-up: repeated only when
        // rate limited, so nothing can show twice.
        retry::creating("a command's reply", || async {
            ctx.send(reply.clone()).await.map(|_| ())
        })
        .await?;
        return Ok(());
    }
    let http = &ctx.serenity_context().http;
    let edit = ctx
        .reply_builder(reply)
        .to_slash_initial_response_edit(serenity::EditInteractionResponse::new());
    let edited = retry::idempotent("a command's reply", || {
        app.interaction.edit_response(http, edit.clone())
    })
    .await;
    match edited {
        Ok(_) => {
            ctx.set_invocation_data(OriginalFilled).await;
            Ok(())
        }
        // Owned up to: the command's work is done and the person knows the reply is missing.
        // Passing the error on would have the error handler edit the original response once
        // more, with an apology saying the command could not finish, which is not true.
        Err(err) if tell_undelivered(ctx).await => {
            tracing::warn!("a command's reply was not delivered (the person was told): {err}");
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}

/// A short follow-up saying the reply did not get through, if Discord takes that at least.
/// Returns whether it did.
async fn tell_undelivered(ctx: Context<'_>) -> bool {
    let note = poise::CreateReply::default()
        .content(
            "Discord did not take my reply just now, so you may not see what you asked for. \
             Nothing is lost: run the command again in a moment to see it.",
        )
        .ephemeral(true)
        .allowed_mentions(no_pings());
    let sent = retry::creating("the undelivered-reply note", || async {
        ctx.send(note.clone()).await.map(|_| ())
    })
    .await;
    if let Err(err) = &sent {
        tracing::warn!("could not tell the person their reply was not delivered: {err}");
    }
    sent.is_ok()
}
