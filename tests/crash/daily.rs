//! The daily question under crashes. Admins of fresh servers run `/daily set` (post time 00:00,
//! so the scheduler posts at once; the timezone moves between UTC+14 and UTC−11, which changes
//! the local date and so the day owed), `/daily now` and `/daily off`; members answer in the
//! post's thread and press `Get feedback`. After every kill:
//!
//! - settings: the server's stored daily settings are what the last confirmed `/daily set` or
//!   `/daily off` made them (or what a later, unconfirmed one made them);
//! - posts: at most one post per server and day in the channel; every post in the channel has
//!   its day's marker claimed (pending) or pointing at it (posted), never none or "skipped";
//!   a post `/daily now` confirmed (its link) is recorded as posted with that message; a
//!   recorded thread exists;
//! - answers: every acknowledged answer message is in the day's stored answers;
//! - feedback: every `Get feedback` the bot answered with feedback has its attempt (one per
//!   member and day) holding every answer acknowledged before the click; nothing doubled.

use std::collections::BTreeMap;
use std::time::Duration;

use bar_raiser::daily::{answers_session, attempt_id, post_key, DailySettings, PostMarker};
use bar_raiser::store::{Mode, SledStore, Store, UserKey};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;

use crate::harness::{acknowledged, may_be_last, poll, reply_text, Checks, Sent, Tags, SENTENCES};
use crate::support::discord::{perms, FakeDiscord};

/// Timezones far apart, so switching between them changes "today" for the server.
const ZONES: &[&str] = &["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Setting {
    Set { zone: &'static str },
    Off,
}

impl Setting {
    fn confirmed_by(self, reply: &str) -> bool {
        match self {
            Setting::Set { .. } => reply.contains("Daily question set"),
            Setting::Off => reply.contains("Daily question turned off"),
        }
    }

    fn matches(self, stored: &DailySettings) -> bool {
        match self {
            Setting::Set { zone } => {
                stored.schedule.enabled && stored.schedule.timezone.name() == zone
            }
            Setting::Off => !stored.schedule.enabled,
        }
    }
}

struct Click {
    interaction: u64,
    user: u64,
    date: String,
    /// Answer markers of the clicker in that day's thread acknowledged before the click.
    acked_before: Vec<String>,
}

struct Server {
    guild: u64,
    channel: u64,
    admin: u64,
    members: Vec<u64>,
    /// (interaction, command, the earlier commands confirmed when it was sent)
    settings: Vec<(u64, Setting, Vec<usize>)>,
    nows: Vec<u64>,
    clicks: Vec<Click>,
}

pub struct Daily {
    servers: Vec<Server>,
    sent: Vec<Sent>,
    pub checks: Checks,
    pub commands: usize,
    pub clicks: usize,
}

/// A daily post in the channel: (message id, the local date on its button).
fn posts(discord: &FakeDiscord, server: &Server) -> Vec<(u64, String)> {
    let prefix = format!("daily:feedback:{}:", server.guild);
    let bot = discord.bot_id();
    discord
        .messages_in(server.channel)
        .into_iter()
        .filter(|m| m.author_id == bot)
        .filter_map(|m| {
            let date = m
                .custom_ids()
                .iter()
                .find_map(|id| id.strip_prefix(&prefix).map(str::to_string))?;
            Some((m.id, date))
        })
        .collect()
}

/// The message id in a `https://discord.com/channels/<guild>/<channel>/<message>` link.
fn linked_message(text: &str) -> Option<u64> {
    let rest = text.split("https://discord.com/channels/").nth(1)?;
    let path: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '/')
        .collect();
    path.split('/').nth(2)?.parse().ok()
}

impl Daily {
    pub fn new() -> Self {
        Daily {
            servers: Vec::new(),
            sent: Vec::new(),
            checks: Checks::default(),
            commands: 0,
            clicks: 0,
        }
    }

    fn add_server(&mut self, discord: &FakeDiscord) {
        let n = self.servers.len() + 1;
        let guild = discord.add_guild(&format!("Daily Club {n}"));
        let channel = discord.add_text_channel(guild, "daily-question");
        let admins = discord.add_role(guild, "Admins", perms::MANAGE_GUILD);
        let admin = discord.add_user(&format!("daily{n}-admin"));
        discord.add_member(guild, admin, &[admins]);
        let members = (0..2)
            .map(|i| {
                let user = discord.add_user(&format!("daily{n}-member{i}"));
                discord.add_member(guild, user, &[]);
                user
            })
            .collect();
        self.servers.push(Server {
            guild,
            channel,
            admin,
            members,
            settings: Vec::new(),
            nows: Vec::new(),
            clicks: Vec::new(),
        });
    }

    async fn setting(&mut self, discord: &FakeDiscord, rng: &mut StdRng, setting: Setting) {
        let Some(server) = self.servers.last_mut() else {
            return;
        };
        let interaction = match setting {
            Setting::Set { zone } => discord.slash_command(
                server.admin,
                server.channel,
                "daily set",
                json!({"channel": server.channel.to_string(), "time": "00:00", "timezone": zone}),
            ),
            Setting::Off => {
                discord.slash_command(server.admin, server.channel, "daily off", json!({}))
            }
        };
        let confirmed_at_send = server
            .settings
            .iter()
            .enumerate()
            .filter(|(_, (i, s, _))| s.confirmed_by(&reply_text(discord, *i)))
            .map(|(n, _)| n)
            .collect();
        server
            .settings
            .push((interaction, setting, confirmed_at_send));
        self.commands += 1;
        if rng.gen_bool(0.6) {
            poll(Duration::from_secs(3), || {
                setting
                    .confirmed_by(&reply_text(discord, interaction))
                    .then_some(())
            })
            .await;
        }
    }

    pub async fn act(
        &mut self,
        discord: &FakeDiscord,
        rng: &mut StdRng,
        epoch: usize,
        tags: &mut Tags,
    ) {
        let fresh = match self.servers.last() {
            None => true,
            Some(server) => posts(discord, server).len() >= 2 && rng.gen_bool(0.15),
        };
        if fresh {
            self.add_server(discord);
        }
        let zone = ZONES[rng.gen_range(0..ZONES.len())];
        let Some(server) = self.servers.last() else {
            return;
        };
        let configured = server
            .settings
            .iter()
            .any(|(i, s, _)| s.confirmed_by(&reply_text(discord, *i)));
        if !configured {
            return self.setting(discord, rng, Setting::Set { zone }).await;
        }
        let posted = posts(discord, server);
        let roll = rng.gen_range(0..100);
        // The newest post whose thread is open.
        let open = posted
            .iter()
            .rev()
            .find(|(post, _)| discord.channel(*post).is_some())
            .cloned();
        match (roll, open) {
            (0..=39, Some((thread, _))) => {
                let member = server.members[rng.gen_range(0..server.members.len())];
                for _ in 0..rng.gen_range(1..=2) {
                    let tag = tags.next("d", member);
                    let text = format!("{} [{tag}]", SENTENCES[rng.gen_range(0..SENTENCES.len())]);
                    let id = discord.send_message(thread, member, &text);
                    self.sent.push(Sent {
                        id,
                        author: member,
                        channel: thread,
                        tag,
                        epoch,
                    });
                    tokio::time::sleep(Duration::from_millis(rng.gen_range(0..40))).await;
                }
            }
            (40..=59, Some((thread, date))) => {
                let member = server.members[rng.gen_range(0..server.members.len())];
                let acked_before = acknowledged(discord, &self.sent)
                    .values()
                    .filter(|s| s.author == member && s.channel == thread)
                    .map(|s| s.marker())
                    .collect();
                let interaction = discord.click_button(
                    member,
                    thread,
                    &format!("daily:feedback:{}:{date}", server.guild),
                );
                self.clicks += 1;
                let server = self.servers.last_mut().expect("a server");
                server.clicks.push(Click {
                    interaction,
                    user: member,
                    date,
                    acked_before,
                });
                if rng.gen_bool(0.5) {
                    poll(Duration::from_secs(3), || {
                        (!reply_text(discord, interaction).is_empty()).then_some(())
                    })
                    .await;
                }
            }
            (60..=74, _) => {
                let interaction =
                    discord.slash_command(server.admin, server.channel, "daily now", json!({}));
                self.commands += 1;
                self.servers
                    .last_mut()
                    .expect("a server")
                    .nows
                    .push(interaction);
                if rng.gen_bool(0.5) {
                    poll(Duration::from_secs(3), || {
                        linked_message(&reply_text(discord, interaction)).map(|_| ())
                    })
                    .await;
                }
            }
            (75..=89, _) => self.setting(discord, rng, Setting::Set { zone }).await,
            (90..=94, _) => self.setting(discord, rng, Setting::Off).await,
            _ => self.add_server(discord),
        }
    }

    pub fn check(&mut self, discord: &FakeDiscord, store: &SledStore, when: &str) {
        let acked = acknowledged(discord, &self.sent);
        for server in &self.servers {
            let prefix = format!("{when}: daily, server {}", server.guild);
            let checks = &mut self.checks;

            // Settings: what a command made them that may have been applied last (none was
            // confirmed after it was sent).
            let stored: Option<DailySettings> = store
                .guild_settings(&server.guild.to_string())
                .expect("read settings")
                .and_then(|doc| doc.get("daily").cloned())
                .map(|daily| serde_json::from_value(daily).expect("daily settings parse"));
            let confirmed: Vec<bool> = server
                .settings
                .iter()
                .map(|(i, s, _)| s.confirmed_by(&reply_text(discord, *i)))
                .collect();
            let at_send: Vec<Vec<usize>> =
                server.settings.iter().map(|(_, _, c)| c.clone()).collect();
            let acceptable: Vec<Setting> = may_be_last(&confirmed, &at_send)
                .into_iter()
                .map(|n| server.settings[n].1)
                .collect();
            if stored.is_some() || confirmed.contains(&true) {
                checks.check(
                    stored
                        .as_ref()
                        .is_some_and(|st| acceptable.iter().any(|s| s.matches(st))),
                    || {
                        format!(
                            "{prefix}: stored settings {:?} are none of {acceptable:?}, the \
                             commands that may have been applied last (sent: {:?})",
                            stored
                                .as_ref()
                                .map(|s| (s.schedule.timezone.name(), s.schedule.enabled)),
                            server
                                .settings
                                .iter()
                                .zip(&confirmed)
                                .map(|((_, s, at), ok)| format!(
                                    "{s:?} confirmed {ok}, after {at:?}"
                                ))
                                .collect::<Vec<_>>()
                        )
                    },
                );
            }

            // Posts: one per day, each claimed or recorded with its own message.
            let posted = posts(discord, server);
            let mut per_day: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
            for (message, date) in &posted {
                per_day.entry(date).or_default().push(*message);
            }
            for (date, messages) in &per_day {
                checks.check(messages.len() == 1, || {
                    format!(
                        "{prefix}: the question of {date} was posted {} times: {messages:?}",
                        messages.len()
                    )
                });
            }
            let marker_of = |date: &str| -> Option<PostMarker> {
                let date = date.parse().expect("a post's date");
                store
                    .get_marker(
                        bar_raiser::daily::POST_MARKERS,
                        &post_key(server.guild, date),
                    )
                    .expect("read marker")
                    .map(|v| serde_json::from_value(v).expect("post marker parse"))
            };
            for (message, date) in &posted {
                let marker = marker_of(date);
                let fine = match &marker {
                    Some(PostMarker::Pending { .. }) => true,
                    Some(PostMarker::Posted {
                        message_id,
                        thread_id,
                        ..
                    }) => {
                        message_id == message
                            && thread_id.is_none_or(|t| discord.channel(t).is_some())
                    }
                    _ => false,
                };
                checks.check(fine, || {
                    format!("{prefix}: the post {message} of {date} is out, but its marker is {marker:?}")
                });
            }
            for &interaction in &server.nows {
                let reply = reply_text(discord, interaction);
                let Some(message) = linked_message(&reply) else {
                    continue;
                };
                let date = posted.iter().find(|(m, _)| *m == message).map(|(_, d)| d);
                let recorded = date.and_then(|d| marker_of(d));
                checks.check(
                    matches!(recorded, Some(PostMarker::Posted { message_id, .. }) if message_id == message),
                    || {
                        format!(
                            "{prefix}: /daily now confirmed post {message} ({date:?}) but the \
                             marker is {recorded:?}"
                        )
                    },
                );
            }

            // Answers and feedback of each member.
            for &member in &server.members {
                let attempts: Vec<_> = store
                    .history(&UserKey::discord(member), usize::MAX)
                    .expect("read history")
                    .into_iter()
                    .filter(|a| a.mode == Mode::Daily)
                    .collect();
                for (thread, date) in &posted {
                    let day = date.parse().expect("a post's date");
                    let collected = store
                        .messages(&answers_session(server.guild, day))
                        .expect("read answers");
                    for sent in acked
                        .values()
                        .filter(|s| s.author == member && s.channel == *thread)
                    {
                        let marker = sent.marker();
                        checks.check(
                            collected
                                .iter()
                                .any(|c| c.message_id == sent.id && c.text.contains(&marker)),
                            || {
                                format!(
                                    "{prefix}: acknowledged answer {} ({}) is not in the answers \
                                     of {date}",
                                    sent.id, sent.tag
                                )
                            },
                        );
                    }
                    let id = attempt_id(server.guild, day);
                    let of_day: Vec<_> = attempts.iter().filter(|a| a.id.as_str() == id).collect();
                    checks.check(of_day.len() <= 1, || {
                        format!(
                            "{prefix}: member {member} has {} attempts for {date}",
                            of_day.len()
                        )
                    });
                    for attempt in &of_day {
                        for sent in self.sent.iter().filter(|s| s.channel == *thread) {
                            let marker = sent.marker();
                            let times = attempt.answer.matches(&marker).count();
                            checks.check(times <= 1, || {
                                format!(
                                    "{prefix}: answer {marker} is {times} times in attempt {id}"
                                )
                            });
                        }
                    }
                }
                for click in server.clicks.iter().filter(|c| c.user == member) {
                    if !reply_text(discord, click.interaction).contains("Feedback on your answer") {
                        continue;
                    }
                    let day = click.date.parse().expect("a click's date");
                    let id = attempt_id(server.guild, day);
                    let attempt = attempts.iter().find(|a| a.id.as_str() == id);
                    checks.check(attempt.is_some(), || {
                        format!(
                            "{prefix}: member {member} was shown feedback for {} but has no \
                             attempt {id}",
                            click.date
                        )
                    });
                    for marker in &click.acked_before {
                        checks.check(attempt.is_some_and(|a| a.answer.contains(marker)), || {
                            format!(
                                "{prefix}: answer {marker}, acknowledged before the feedback \
                                 click, is not in attempt {id}"
                            )
                        });
                    }
                }
            }
        }
    }

    pub fn servers(&self) -> usize {
        self.servers.len()
    }

    /// (posts in all channels, days with a post)
    pub fn posts(&self, discord: &FakeDiscord) -> usize {
        self.servers.iter().map(|s| posts(discord, s).len()).sum()
    }

    /// How many answer messages were sent so far, and the newest one.
    pub fn newest_sent(&self) -> (usize, Option<u64>) {
        (self.sent.len(), self.sent.last().map(|s| s.id))
    }

    pub fn messages(&self, discord: &FakeDiscord) -> (usize, usize) {
        (self.sent.len(), acknowledged(discord, &self.sent).len())
    }

    pub fn feedback_shown(&self, discord: &FakeDiscord) -> usize {
        self.servers
            .iter()
            .flat_map(|s| s.clicks.iter())
            .filter(|c| reply_text(discord, c.interaction).contains("Feedback on your answer"))
            .count()
    }
}
