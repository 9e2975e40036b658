//! Posting a message again when Discord says it did not take it. Under a loopback Discord the
//! ratelimiter is off, so a 429 reaches the bot and handling it is the bot's job.
//!
//! Only answers that mean "not processed" are retried: 429 (rate limited) and 502/503/504 (the
//! request did not reach Discord's backend). A 500 may have created the message already, so it
//! is not retried: a doubled feedback is worse than a failure the person is told about.

use std::time::Duration;

use poise::serenity_prelude as serenity;

/// Attempts in total, and the pause before the second and third.
const ATTEMPTS: usize = 3;
const PAUSES: [Duration; 2] = [Duration::from_millis(500), Duration::from_millis(1500)];

fn not_processed(err: &serenity::Error) -> bool {
    match err {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            matches!(response.status_code.as_u16(), 429 | 502 | 503 | 504)
        }
        _ => false,
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

/// Sends `message` to `channel`, retrying what Discord did not process.
pub async fn send_message(
    http: &serenity::Http,
    channel: u64,
    message: serenity::CreateMessage,
) -> Result<serenity::Message, serenity::Error> {
    let mut attempt = 0;
    loop {
        match serenity::ChannelId::new(channel)
            .send_message(http, message.clone())
            .await
        {
            Err(err) if attempt + 1 < ATTEMPTS && not_processed(&err) => {
                tracing::info!(
                    channel,
                    attempt,
                    "Discord did not take a message, retrying: {err}"
                );
                tokio::time::sleep(PAUSES[attempt.min(PAUSES.len() - 1)]).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// Runs an idempotent call (one that does the same thing however often it runs, such as adding
/// a member to a thread) again when Discord did not process it. Any status but 429/502–504 is
/// returned at once.
pub async fn idempotent<T, F, Fut>(what: &str, mut call: F) -> Result<T, serenity::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, serenity::Error>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(err) if attempt + 1 < ATTEMPTS && not_processed(&err) => {
                tracing::info!(
                    attempt,
                    "{what}: Discord did not process it ({err}); retrying"
                );
                tokio::time::sleep(PAUSES[attempt.min(PAUSES.len() - 1)]).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}
