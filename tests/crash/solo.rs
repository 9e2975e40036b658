//! Solo interviews under crashes. Three people start interviews, answer in bursts, edit, and
//! finish with the Done button or a `done` message. After every kill:
//!
//! - every acknowledged answer message is in that person's open session or in the attempt of
//!   that interview;
//! - every interview the bot showed feedback for (in the channel or as the Done click's
//!   interaction response, both land in the interview channel) has its attempt in history;
//! - nothing is doubled: a message is in at most one attempt, once; one attempt per interview.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use bar_raiser::store::{Mode, SledStore, Store, UserKey};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;

use crate::harness::{acknowledged, poll, Checks, Sent, Tags, SENTENCES};
use crate::support::discord::FakeDiscord;

struct Person {
    id: u64,
    /// The channel of their open interview, as the store said after the last kill (or as
    /// learned since).
    open: Option<u64>,
    /// Every channel an interview of theirs lived in.
    channels: BTreeSet<u64>,
}

pub struct Solo {
    home: u64,
    people: Vec<Person>,
    sent: Vec<Sent>,
    pub checks: Checks,
    pub starts: usize,
    pub feedbacks_awaited: usize,
}

/// Feedback messages the bot posted in `channel`, oldest first (message ids).
fn feedback_ids(discord: &FakeDiscord, channel: u64) -> Vec<u64> {
    let bot = discord.bot_id();
    discord
        .messages_in(channel)
        .into_iter()
        .filter(|m| m.author_id == bot && m.all_text().contains("Feedback — score"))
        .map(|m| m.id)
        .collect()
}

/// The newest message in `channel` carrying `person`'s Done button.
fn done_button_message(discord: &FakeDiscord, channel: u64, person: u64) -> Option<u64> {
    let done_id = format!("solo:done:{person}");
    discord
        .messages_in(channel)
        .into_iter()
        .rev()
        .find(|m| m.custom_ids().contains(&done_id))
        .map(|m| m.id)
}

impl Solo {
    pub fn new(discord: &FakeDiscord, guild: u64) -> Self {
        let home = discord.add_text_channel(guild, "practice");
        let people = ["alice", "bob", "carol"]
            .iter()
            .map(|name| {
                let id = discord.add_user(name);
                discord.add_member(guild, id, &[]);
                Person {
                    id,
                    open: None,
                    channels: BTreeSet::new(),
                }
            })
            .collect();
        Solo {
            home,
            people,
            sent: Vec::new(),
            checks: Checks::default(),
            starts: 0,
            feedbacks_awaited: 0,
        }
    }

    /// `/interview start`; learns the interview channel from the question message or from
    /// "you already have an interview open in <#id>". None when the bot did not answer in time.
    async fn start_interview(&self, discord: &FakeDiscord, person: u64) -> Option<u64> {
        let done_id = format!("solo:done:{person}");
        let mark = discord.mark();
        let interaction = discord.slash_command(person, self.home, "interview start", json!({}));
        poll(Duration::from_secs(6), || {
            let from_question = discord
                .calls_since(mark)
                .into_iter()
                .filter(|c| {
                    c.method == "POST" && c.route == "/channels/{id}/messages" && c.succeeded()
                })
                .find(|c| c.body.to_string().contains(&done_id))
                .and_then(|c| c.id_after("channels"));
            if from_question.is_some() {
                return from_question;
            }
            discord.replies_to(interaction).into_iter().find_map(|m| {
                let rest = m.content.split("<#").nth(1)?;
                rest.split('>').next()?.parse::<u64>().ok()
            })
        })
        .await
    }

    pub async fn act(
        &mut self,
        discord: &FakeDiscord,
        rng: &mut StdRng,
        epoch: usize,
        tags: &mut Tags,
    ) {
        let who = rng.gen_range(0..self.people.len());
        let person = self.people[who].id;
        let Some(channel) = self.people[who].open else {
            self.starts += 1;
            if let Some(channel) = self.start_interview(discord, person).await {
                self.people[who].open = Some(channel);
                self.people[who].channels.insert(channel);
            }
            return;
        };
        let roll = rng.gen_range(0..100);
        if roll < 60 {
            for _ in 0..rng.gen_range(1..=3) {
                let tag = tags.next("s", person);
                let text = format!("{} [{tag}]", SENTENCES[rng.gen_range(0..SENTENCES.len())]);
                let id = discord.send_message(channel, person, &text);
                self.sent.push(Sent {
                    id,
                    author: person,
                    channel,
                    tag,
                    epoch,
                });
                tokio::time::sleep(Duration::from_millis(rng.gen_range(0..40))).await;
            }
        } else if roll < 70 {
            let mine: Vec<&Sent> = self
                .sent
                .iter()
                .filter(|s| s.author == person && s.channel == channel)
                .collect();
            if !mine.is_empty() {
                let sent = mine[rng.gen_range(0..mine.len())];
                let text = format!(
                    "{} (edited) [{}]",
                    SENTENCES[rng.gen_range(0..SENTENCES.len())],
                    sent.tag
                );
                discord.edit_message(sent.id, &text);
            }
        } else {
            let before = feedback_ids(discord, channel).len();
            match done_button_message(discord, channel, person) {
                Some(message) if rng.gen_bool(0.4) => {
                    discord.click_button(person, message, &format!("solo:done:{person}"));
                }
                _ => {
                    discord.send_message(channel, person, "done");
                }
            }
            if rng.gen_bool(0.5) {
                let got = poll(Duration::from_secs(4), || {
                    (feedback_ids(discord, channel).len() > before).then_some(())
                })
                .await;
                if got.is_some() {
                    self.feedbacks_awaited += 1;
                }
            }
        }
    }

    /// Checks the invariant for everyone against the store of the dead bot, and refreshes each
    /// person's view of their open interview.
    pub fn check(&mut self, discord: &FakeDiscord, store: &SledStore, when: &str) {
        let acked = acknowledged(discord, &self.sent);
        for person in self.people.iter_mut() {
            let user = UserKey::discord(person.id);
            let session = store
                .get_session(&format!("solo:discord:{}", person.id))
                .expect("read session");
            let attempts: Vec<_> = store
                .history(&user, usize::MAX)
                .expect("read history")
                .into_iter()
                .filter(|a| a.mode == Mode::Solo)
                .collect();
            let open_channel = session
                .as_ref()
                .and_then(|s| s.state["channel_id"].as_u64());
            let open_messages: BTreeMap<u64, String> = session
                .as_ref()
                .and_then(|s| s.state["session"]["messages"].as_object().cloned())
                .map(|m| {
                    m.into_iter()
                        .filter_map(|(k, v)| Some((k.parse().ok()?, v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            let prefix = format!("{when}: solo, user {}", person.id);
            let checks = &mut self.checks;

            // Acknowledged messages (and what their coalesced acknowledgement covers).
            for sent in acked.values().filter(|s| s.author == person.id) {
                let marker = sent.marker();
                let in_session = open_channel == Some(sent.channel)
                    && open_messages
                        .get(&sent.id)
                        .is_some_and(|text| text.contains(&marker));
                let in_attempt = attempts.iter().any(|a| a.answer.contains(&marker));
                checks.check(in_session || in_attempt, || {
                    format!(
                        "{prefix}: acknowledged message {} ({}) in channel {} is neither in the \
                         open session (channel {open_channel:?}) nor in any of {} attempts",
                        sent.id,
                        sent.tag,
                        sent.channel,
                        attempts.len()
                    )
                });
            }

            // Reported feedback → the attempt holding that interview's answer is in history.
            for &channel in &person.channels {
                let feedback = feedback_ids(discord, channel);
                let Some(&last) = feedback.last() else {
                    continue;
                };
                let markers: Vec<String> = self
                    .sent
                    .iter()
                    .filter(|s| s.author == person.id && s.channel == channel)
                    .map(Sent::marker)
                    .collect();
                let stored = attempts
                    .iter()
                    .any(|a| markers.iter().any(|t| a.answer.contains(t)));
                checks.check(stored, || {
                    format!(
                        "{prefix}: feedback was shown in channel {channel} (message {last}) but \
                         no attempt holds its answer"
                    )
                });
            }

            // Nothing doubled: each message at most once in all attempts, each attempt from
            // one interview channel, no attempt that holds none of this person's messages.
            let channel_of: HashMap<String, u64> = self
                .sent
                .iter()
                .filter(|s| s.author == person.id)
                .map(|s| (s.marker(), s.channel))
                .collect();
            for marker in channel_of.keys() {
                let total: usize = attempts
                    .iter()
                    .map(|a| a.answer.matches(marker).count())
                    .sum();
                checks.check(total <= 1, || {
                    format!("{prefix}: message {marker} is stored {total} times in attempts")
                });
            }
            let mut channels_with_attempt = BTreeSet::new();
            for attempt in &attempts {
                let channels: BTreeSet<u64> = channel_of
                    .iter()
                    .filter(|(marker, _)| attempt.answer.contains(marker.as_str()))
                    .map(|(_, channel)| *channel)
                    .collect();
                let one_interview = match channels.iter().next() {
                    Some(&channel) if channels.len() == 1 => channels_with_attempt.insert(channel),
                    _ => false,
                };
                checks.check(one_interview, || {
                    format!(
                        "{prefix}: attempt {} holds messages of interviews in channels \
                         {channels:?}, or of an interview that already has an attempt",
                        attempt.id
                    )
                });
            }
            person.open = open_channel;
            if let Some(channel) = open_channel {
                person.channels.insert(channel);
            }
        }
    }

    /// Answer messages sent and how many of them the bot acknowledged.
    /// How many answer messages were sent so far, and the newest one.
    pub fn newest_sent(&self) -> (usize, Option<u64>) {
        (self.sent.len(), self.sent.last().map(|s| s.id))
    }

    pub fn messages(&self, discord: &FakeDiscord) -> (usize, usize) {
        (self.sent.len(), acknowledged(discord, &self.sent).len())
    }

    /// Feedback messages shown in all interview channels.
    pub fn feedback_shown(&self, discord: &FakeDiscord) -> usize {
        self.people
            .iter()
            .flat_map(|p| p.channels.iter())
            .map(|c| feedback_ids(discord, *c).len())
            .sum()
    }
}
