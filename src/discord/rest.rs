//! Every REST call of the adapter that is not an interaction response, and the interaction
//! followups. One file, so the rule is easy to keep: each call bound to Discord's global rate
//! limit takes a slot of the budget ([`Outbound`], `pace.rs`) right before it goes out, retried
//! attempts included. A test below fails when code elsewhere in `src/discord` calls serenity's
//! channel, message, thread, reaction or DM endpoints directly.
//!
//! Exempt, and so not paced: Discord's rate-limit documentation (Global Rate Limit) says
//! "Interaction endpoints are not bound to the bot's Global Rate Limit", and its list of
//! interaction endpoints (Receiving and Responding → Endpoints) is the callback
//! (`POST /interactions/{id}/{token}/callback`) and the interaction-token webhook: followups
//! (`POST /webhooks/{application.id}/{interaction.token}`) and the original response or a
//! followup got, edited or deleted under it. Callbacks are made where the interaction is
//! handled; followups go through [`followup`] here. Both go out at once: a person who clicked
//! waits on no queue.

use poise::serenity_prelude as serenity;

use super::pace::Outbound;
use super::retry;

impl Outbound {
    /// Makes one budgeted call in its slot. For calls without a helper below.
    pub async fn paced<T, Fut>(&self, call: impl FnOnce() -> Fut) -> T
    where
        Fut: std::future::Future<Output = T>,
    {
        self.reply().await;
        call().await
    }

    /// Posts a message, again (in a new slot) when Discord did not process it.
    pub async fn post(
        &self,
        http: &serenity::Http,
        channel: u64,
        message: serenity::CreateMessage,
    ) -> Result<serenity::Message, serenity::Error> {
        let what = format!("a message to channel {channel}");
        retry::posting(&what, || {
            let message = message.clone();
            async move {
                self.reply().await;
                serenity::ChannelId::new(channel)
                    .send_message(http, message)
                    .await
            }
        })
        .await
    }

    /// Edits a message the bot posted (idempotent, so retried like a post).
    pub async fn edit(
        &self,
        http: &serenity::Http,
        channel: u64,
        message: u64,
        edit: serenity::EditMessage,
    ) -> Result<serenity::Message, serenity::Error> {
        retry::idempotent("editing a message", || {
            let edit = edit.clone();
            async move {
                self.reply().await;
                serenity::ChannelId::new(channel)
                    .edit_message(http, serenity::MessageId::new(message), edit)
                    .await
            }
        })
        .await
    }

    /// Opens a thread in `channel` (not retried: a second thread would be a duplicate).
    pub async fn open_thread(
        &self,
        http: &serenity::Http,
        channel: serenity::ChannelId,
        thread: serenity::CreateThread<'_>,
    ) -> Result<serenity::GuildChannel, serenity::Error> {
        self.reply().await;
        channel.create_thread(http, thread).await
    }

    /// Opens the thread of a message (not retried; Discord refuses a second one anyway).
    pub async fn open_thread_from(
        &self,
        http: &serenity::Http,
        channel: serenity::ChannelId,
        message: u64,
        thread: serenity::CreateThread<'_>,
    ) -> Result<serenity::GuildChannel, serenity::Error> {
        self.reply().await;
        channel
            .create_thread_from_message(http, serenity::MessageId::new(message), thread)
            .await
    }

    /// Changes a thread (archives it).
    pub async fn update_thread(
        &self,
        http: &serenity::Http,
        thread: u64,
        edit: serenity::EditThread<'_>,
    ) -> Result<serenity::GuildChannel, serenity::Error> {
        self.reply().await;
        serenity::ChannelId::new(thread)
            .edit_thread(http, edit)
            .await
    }

    /// Adds a person to a thread (idempotent, so retried).
    pub async fn add_to_thread(
        &self,
        http: &serenity::Http,
        thread: serenity::ChannelId,
        user: serenity::UserId,
    ) -> Result<(), serenity::Error> {
        retry::idempotent("adding the user to their thread", || async move {
            self.reply().await;
            thread.add_thread_member(http, user).await
        })
        .await
    }

    /// Opens (or finds) the DM channel with a person.
    pub async fn open_dm(
        &self,
        http: &serenity::Http,
        user: serenity::UserId,
    ) -> Result<serenity::PrivateChannel, serenity::Error> {
        self.reply().await;
        user.create_dm_channel(http).await
    }

    /// Reads one page of a channel's messages.
    pub async fn read(
        &self,
        http: &serenity::Http,
        channel: serenity::ChannelId,
        page: serenity::GetMessages,
    ) -> Result<Vec<serenity::Message>, serenity::Error> {
        self.reply().await;
        channel.messages(http, page).await
    }
}

/// Calls whose slot the budget already granted (acknowledgements in spare slots, `pace.rs`).
pub(super) mod granted {
    use poise::serenity_prelude as serenity;

    /// The ✅ on a collected message.
    pub async fn react(
        http: &serenity::Http,
        channel: u64,
        message: u64,
    ) -> Result<(), serenity::Error> {
        serenity::ChannelId::new(channel)
            .create_reaction(
                http,
                serenity::MessageId::new(message),
                serenity::ReactionType::Unicode("✅".to_string()),
            )
            .await
    }
}

/// Sends a followup of the interaction with this token: exempt from the global limit (see the
/// top of this file), so it goes out at once. Repeated only when rate limited (see `retry.rs`).
pub async fn followup(
    http: &serenity::Http,
    token: &str,
    message: serenity::CreateInteractionResponseFollowup,
) -> Result<serenity::Message, serenity::Error> {
    retry::creating("an interaction followup", || {
        let message = message.clone();
        async move {
            http.create_followup_message(token, &message, Vec::new())
                .await
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// serenity calls that count toward the global limit, as they appear in code with the
    /// whitespace taken out. Interaction responses and followups are not here: they are exempt.
    const GLOBAL_LIMIT_CALLS: &[&str] = &[
        ".send_message(",
        ".send_files(",
        ".edit_message(",
        ".delete_message(",
        ".create_thread(",
        ".create_thread_from_message(",
        ".edit_thread(",
        ".add_thread_member(",
        ".remove_thread_member(",
        ".create_dm_channel(",
        ".direct_message(",
        ".create_reaction(",
        ".delete_reaction(",
        ".react(",
        ".broadcast_typing(",
        ".pin(",
        ".messages(http",
        ".message(http",
        ".say(http",
        ".to_channel(",
        "http.get_",
        "http.create_",
        "http.edit_",
        "http.delete_",
        "http.send_",
        "http.add_",
        "http.remove_",
        "http.pin_",
        "http.unpin_",
        "http().get_",
        "http().create_",
        "http().edit_",
    ];

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).expect("src/discord is readable");
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Fails when adapter code makes a global-limit call itself instead of through the
    /// budgeted helpers above (which this file holds, so it is the one place not checked).
    #[test]
    fn every_global_limit_call_is_made_here_in_a_budget_slot() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/discord");
        let mut files = Vec::new();
        sources(&root, &mut files);
        assert!(files.len() > 10, "found the adapter's files: {files:?}");
        let mut bypasses = Vec::new();
        for file in files {
            if file.ends_with("rest.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("readable source");
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n")
                .split_whitespace()
                .collect();
            for call in GLOBAL_LIMIT_CALLS {
                if code.contains(call) {
                    bypasses.push(format!("{}: {call}", file.display()));
                }
            }
        }
        assert!(
            bypasses.is_empty(),
            "REST calls bound to Discord's global limit made outside src/discord/rest.rs \
             (use the budgeted helpers there): {bypasses:#?}"
        );
    }

    #[test]
    fn the_check_sees_a_direct_call() {
        let code: String = "serenity::ChannelId::new(1)\n    .send_message(\n  http, m)"
            .split_whitespace()
            .collect();
        assert!(GLOBAL_LIMIT_CALLS.iter().any(|c| code.contains(c)));
    }
}
