//! Sending again what Discord did not take. Under a loopback Discord serenity's ratelimiter is
//! off, so a 429 reaches the bot and handling it is the bot's job; in production serenity's
//! ratelimiter already waits out `retry_after` and resends rate-limited calls itself, and what
//! reaches this module is the rest.
//!
//! What is retried depends on what a repeat could do:
//! - a call that creates something (a channel message, an interaction follow-up) is repeated
//!   on 429 (Discord guarantees it was not processed) and, for channel messages, on 502–504
//!   (the request did not reach Discord's backend). A 500 may have created it already, so it
//!   is not repeated: a doubled feedback is worse than a failure the person is told about.
//!   Interaction follow-ups are repeated on 429 only: they go through the interaction webhook,
//!   where a gateway error says nothing about whether the message was made.
//! - a call that sets something to a given state (editing an interaction's original response,
//!   adding a member to a thread) does the same however often it runs, so it is also repeated
//!   on 500 and 502–504.
//!
//! serenity's error keeps the status and Discord's error code but not the `retry_after` of a
//! 429 (neither the header nor the body field), so here a 429 is answered with the fixed pauses
//! below (0.5 s, then 1.5 s). In production serenity's ratelimiter reads `retry_after`, waits
//! it out and resends the call before any error reaches this module.

use std::time::Duration;

use poise::serenity_prelude as serenity;

/// Attempts in total, and the pause before the second and third.
const ATTEMPTS: usize = 3;
const PAUSES: [Duration; 2] = [Duration::from_millis(500), Duration::from_millis(1500)];

fn status(err: &serenity::Error) -> Option<u16> {
    match err {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            Some(response.status_code.as_u16())
        }
        _ => None,
    }
}

/// 429 or 502–504: Discord did not carry the call out.
fn not_processed(err: &serenity::Error) -> bool {
    matches!(status(err), Some(429 | 502 | 503 | 504))
}

/// Worth repeating a call that sets a state: anything transient, including a 500.
fn transient(err: &serenity::Error) -> bool {
    matches!(status(err), Some(429 | 500 | 502 | 503 | 504))
}

fn rate_limited(err: &serenity::Error) -> bool {
    status(err) == Some(429)
}

/// Runs `call` until it succeeds, fails in a way `retry_on` does not accept, or runs out of
/// attempts.
async fn with_retries<T, F, Fut>(
    what: &str,
    retry_on: fn(&serenity::Error) -> bool,
    mut call: F,
) -> Result<T, serenity::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, serenity::Error>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(err) if attempt + 1 < ATTEMPTS && retry_on(&err) => {
                tracing::info!(attempt, "{what}: Discord did not take it ({err}); retrying");
                tokio::time::sleep(PAUSES[attempt.min(PAUSES.len() - 1)]).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Whether Discord may have carried out a call that failed: a 5xx other than 502–504, or no
/// answer at all (the request may have arrived). A 4xx, 429 or 502–504 means it was not done.
pub fn maybe_processed(err: &serenity::Error) -> bool {
    match err {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code.as_u16();
            status >= 500 && !matches!(status, 502..=504)
        }
        serenity::Error::Http(serenity::HttpError::Request(_)) => true,
        // Refused before anything was sent (a model or builder error).
        _ => false,
    }
}

/// Runs a call that posts a channel message again when Discord did not process it: 429 or
/// 502–504. Each attempt is a call of its own: a budgeted `call` takes its slot inside (see
/// `rest.rs`).
pub async fn posting<T, F, Fut>(what: &str, call: F) -> Result<T, serenity::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, serenity::Error>>,
{
    with_retries(what, not_processed, call).await
}

/// Runs an idempotent call (one that does the same thing however often it runs, such as adding
/// a member to a thread or editing an interaction's original response) again when it failed
/// in a transient way: 429, 500, 502–504. Any other status is returned at once.
pub async fn idempotent<T, F, Fut>(what: &str, call: F) -> Result<T, serenity::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, serenity::Error>>,
{
    with_retries(what, transient, call).await
}

/// Runs a call that creates something Discord cannot tell apart from a repeat (an interaction
/// follow-up) again only when it was rate limited, which guarantees it was not processed.
pub async fn creating<T, F, Fut>(what: &str, call: F) -> Result<T, serenity::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, serenity::Error>>,
{
    with_retries(what, rate_limited, call).await
}
