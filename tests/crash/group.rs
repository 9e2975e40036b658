//! Group mock interviews under crashes. Three people run group sessions, one after another,
//! each in a fresh channel, in "everyone answers" or "hot seat" mode: `/group start`, Join,
//! Begin, answers in the thread, Done (button or `done`), Next, votes, panel ratings (the
//! modal), End. What the session looks like is read from the thread, as a person sees it.
//! After every kill, against the stored session and the attempts:
//!
//! - a lobby the bot confirmed is stored, until an End or a last Next was sent; a session the
//!   thread reports closed is not stored any more;
//! - a Join the bot took (the lobby updated, no refusal) is among the stored participants;
//! - every acknowledged answer message is in the stored round or in its author's attempt of
//!   this session;
//! - every answer a "Round N feedback" card reported has its attempt (session, round, person);
//! - a vote or rating the bot confirmed is in the stored review while it is open, and counted
//!   once when it closed (a tally between what was confirmed and what was sent);
//! - nothing doubled: a message in at most one attempt, once.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bar_raiser::interview::group::{GroupSession, Phase};
use bar_raiser::store::{Mode, SledStore, Store, UserKey};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;

use crate::harness::{
    acknowledged, callback_type, may_be_last, poll, reply_text, Checks, Sent, Tags, SENTENCES,
};
use crate::support::discord::FakeDiscord;

const NAMES: [&str; 3] = ["dina", "eli", "fay"];

struct Vote {
    voter: u64,
    round: u32,
    choice: u64,
    interaction: u64,
    /// The votes of the session already confirmed when this one was sent.
    confirmed_at_send: Vec<usize>,
}

fn vote_confirmed(discord: &FakeDiscord, vote: &Vote) -> bool {
    let reply = reply_text(discord, vote.interaction);
    reply.contains("Your vote is in.") || reply.contains("Your vote is changed.")
}

struct Rating {
    rater: u64,
    round: u32,
    score: u8,
    interaction: u64,
}

struct Session {
    channel: u64,
    host: u64,
    hot_seat: bool,
    rounds: u32,
    start: u64,
    lobby: Option<u64>,
    thread: Option<u64>,
    joins: Vec<(u64, u64)>,
    votes: Vec<Vote>,
    ratings: Vec<Rating>,
    /// An End, or a Next that may finish the last round, was sent.
    closing: bool,
    /// Never confirmed and not stored after a kill, or over: nothing more to do in it.
    done: bool,
    /// A Begin or End was sent to this process: the lobby's buttons may vanish any moment.
    lobby_frozen: Option<usize>,
}

/// Where a session is, as its thread shows it.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Lobby,
    Answering {
        round: u32,
        card: u64,
        candidate: Option<u64>,
    },
    Review {
        round: u32,
        card: u64,
        candidate: Option<u64>,
        vote: Option<u64>,
        rate: Option<u64>,
    },
    Closed,
}

pub struct Group {
    guild: u64,
    users: Vec<u64>,
    by_name: HashMap<String, u64>,
    sessions: Vec<Session>,
    sent: Vec<Sent>,
    pub checks: Checks,
    started: usize,
    clicks: usize,
    /// Actions taken per phase seen (lobby, answering, review, closed), for the summary.
    phases: BTreeMap<&'static str, usize>,
}

/// A Join the bot took: answered by updating the lobby (or a silent acknowledgement), not by
/// a private refusal.
fn join_accepted(discord: &FakeDiscord, interaction: u64) -> bool {
    matches!(callback_type(discord, interaction), Some(6 | 7))
}

fn id(action: &str, channel: u64) -> String {
    format!("group:{action}:{channel}")
}

/// Done, Next and End on a round's question card carry that round.
fn round_id(action: &str, channel: u64, round: u32) -> String {
    format!("group:{action}:{channel}:{round}")
}

fn key(user: u64) -> String {
    UserKey::discord(user).0
}

/// The number after `prefix` in `text` ("Round 2/3" → 2 with prefix "Round ").
fn number_after(text: &str, prefix: &str, suffix: &str) -> Option<u32> {
    text.split(prefix).skip(1).find_map(|rest| {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        rest[digits.len()..]
            .starts_with(suffix)
            .then(|| digits.parse().ok())
            .flatten()
    })
}

impl Group {
    pub fn new(discord: &FakeDiscord, guild: u64) -> Self {
        let mut by_name = HashMap::new();
        let users = NAMES
            .iter()
            .map(|name| {
                let user = discord.add_user(name);
                discord.add_member(guild, user, &[]);
                by_name.insert(name.to_string(), user);
                user
            })
            .collect();
        Group {
            guild,
            users,
            by_name,
            sessions: Vec::new(),
            sent: Vec::new(),
            checks: Checks::default(),
            started: 0,
            clicks: 0,
            phases: BTreeMap::new(),
        }
    }

    fn seen(&self, discord: &FakeDiscord, session: &Session) -> Seen {
        let lobby_over = session
            .lobby
            .and_then(|l| discord.message(l))
            .is_some_and(|m| m.all_text().contains("Group mock interview — over"));
        if lobby_over {
            return Seen::Closed;
        }
        let Some(thread) = session.thread else {
            return Seen::Lobby;
        };
        let bot = discord.bot_id();
        let vote_prefix = format!("group:vote:{}:", session.channel);
        let rate_prefix = format!("group:rate:{}:", session.channel);
        let mut seen = Seen::Lobby;
        for m in discord.messages_in(thread) {
            if m.author_id != bot {
                continue;
            }
            let text = m.all_text();
            if text.contains("Scoreboard —")
                || text.contains("That was the last round")
                || text.contains("The host ended the session")
                || text.contains("The host closed the lobby")
            {
                return Seen::Closed;
            }
            if let Some(round) = number_after(&text, "Round ", "/") {
                let candidate = text
                    .split("In the hot seat: **")
                    .nth(1)
                    .and_then(|rest| rest.split("**").next())
                    .and_then(|name| self.by_name.get(name).copied());
                seen = Seen::Answering {
                    round,
                    card: m.id,
                    candidate,
                };
                continue;
            }
            let closed_round = number_after(&text, "Round ", " feedback")
                .or_else(|| number_after(&text, "Round ", " closed"));
            let ids = m.custom_ids();
            let vote = ids.iter().any(|i| i.starts_with(&vote_prefix));
            let rate = ids.iter().any(|i| i.starts_with(&rate_prefix));
            match (&mut seen, closed_round) {
                (
                    Seen::Answering {
                        round,
                        card,
                        candidate,
                    },
                    Some(_),
                ) => {
                    seen = Seen::Review {
                        round: *round,
                        card: *card,
                        candidate: *candidate,
                        vote: None,
                        rate: None,
                    }
                }
                (
                    Seen::Review {
                        vote: v, rate: r, ..
                    },
                    None,
                ) => {
                    if vote {
                        *v = Some(m.id);
                    }
                    if rate {
                        *r = Some(m.id);
                    }
                }
                _ => {}
            }
        }
        seen
    }

    async fn start(&mut self, discord: &FakeDiscord, rng: &mut StdRng) {
        let n = self.sessions.len() + 1;
        let channel = discord.add_text_channel(self.guild, &format!("mock-{n}"));
        let host = self.users[n % self.users.len()];
        let hot_seat = rng.gen_bool(0.4);
        let rounds = rng.gen_range(2..=3u32);
        let mut options = json!({"rounds": rounds, "answer_minutes": 10});
        if hot_seat {
            options["mode"] = json!(1);
        }
        let start = discord.slash_command(host, channel, "group start", options);
        self.started += 1;
        self.sessions.push(Session {
            channel,
            host,
            hot_seat,
            rounds,
            start,
            lobby: None,
            thread: None,
            joins: Vec::new(),
            votes: Vec::new(),
            ratings: Vec::new(),
            closing: false,
            done: false,
            lobby_frozen: None,
        });
        self.learn(discord, Duration::from_secs(4)).await;
    }

    /// Learns the newest session's lobby message and thread from Discord, waiting up to
    /// `timeout` for them.
    async fn learn(&mut self, discord: &FakeDiscord, timeout: Duration) {
        let Some(session) = self.sessions.last_mut() else {
            return;
        };
        let join = id("join", session.channel);
        let channel = session.channel;
        let found = poll(timeout, || {
            let lobby = discord
                .messages_in(channel)
                .into_iter()
                .find(|m| m.custom_ids().contains(&join) || m.all_text().contains("Group mock"))?;
            let thread = discord.threads_of(channel).first().copied()?;
            Some((lobby.id, thread))
        })
        .await;
        if let Some((lobby, thread)) = found {
            session.lobby = Some(lobby);
            session.thread = Some(thread);
        }
    }

    pub async fn act(
        &mut self,
        discord: &FakeDiscord,
        rng: &mut StdRng,
        epoch: usize,
        tags: &mut Tags,
    ) {
        let current = self.sessions.iter().rposition(|s| !s.done);
        let Some(index) = current else {
            return self.start(discord, rng).await;
        };
        if self.sessions[index].thread.is_none() {
            // Started but not seen yet: look again, briefly.
            self.learn(discord, Duration::from_millis(500)).await;
            return;
        }
        let seen = self.seen(discord, &self.sessions[index]);
        let session = &self.sessions[index];
        let (channel, host) = (session.channel, session.host);
        let thread = session.thread.unwrap_or_default();
        let someone = self.users[rng.gen_range(0..self.users.len())];
        let roll = rng.gen_range(0..100);
        let phase = match seen {
            Seen::Lobby => "lobby",
            Seen::Answering { .. } => "answering",
            Seen::Review { .. } => "review",
            Seen::Closed => "closed",
        };
        *self.phases.entry(phase).or_default() += 1;
        match seen {
            Seen::Closed => {
                self.sessions[index].done = true;
                self.start(discord, rng).await;
            }
            Seen::Lobby => {
                let Some(lobby) = session.lobby else {
                    return;
                };
                if session.lobby_frozen == Some(epoch) {
                    return;
                }
                if !discord
                    .message(lobby)
                    .is_some_and(|m| m.custom_ids().contains(&id("join", channel)))
                {
                    // Begun, but the first question never showed: the bot stored the round
                    // and was killed before posting it (it is not posted after a restart).
                    // People can still answer in the thread and type `done`.
                    *self.phases.entry("begun, question not shown").or_default() += 1;
                    if roll < 60 {
                        self.answer(discord, rng, thread, someone, epoch, tags)
                            .await;
                    } else {
                        discord.send_message(thread, someone, "done");
                        if self.sessions[index].rounds <= 2 {
                            self.sessions[index].closing = true;
                        }
                    }
                    return;
                }
                let joined: Vec<u64> = session
                    .joins
                    .iter()
                    .filter(|(_, i)| join_accepted(discord, *i))
                    .map(|(u, _)| *u)
                    .collect();
                let outside: Vec<u64> = self
                    .users
                    .iter()
                    .copied()
                    .filter(|u| *u != host && !joined.contains(u))
                    .collect();
                let action = if roll < 2 {
                    "end"
                } else if outside.is_empty() || roll < 20 {
                    "begin"
                } else {
                    "join"
                };
                let who = match action {
                    "join" => outside[rng.gen_range(0..outside.len())],
                    _ => host,
                };
                let interaction = discord.click_button(who, lobby, &id(action, channel));
                self.clicks += 1;
                let session = &mut self.sessions[index];
                match action {
                    "join" => session.joins.push((who, interaction)),
                    "end" => {
                        session.closing = true;
                        session.lobby_frozen = Some(epoch);
                    }
                    _ => session.lobby_frozen = Some(epoch),
                }
                if rng.gen_bool(0.5) {
                    poll(Duration::from_secs(2), || {
                        callback_type(discord, interaction).map(|_| ())
                    })
                    .await;
                }
            }
            Seen::Answering {
                round,
                card,
                candidate,
            } => {
                let answerer = candidate.unwrap_or(someone);
                if roll < 55 {
                    self.answer(discord, rng, thread, answerer, epoch, tags)
                        .await;
                } else if roll < 70 {
                    discord.click_button(answerer, card, &round_id("done", channel, round));
                    self.clicks += 1;
                } else if roll < 75 {
                    discord.send_message(thread, answerer, "done");
                } else if roll < 97 {
                    discord.click_button(host, card, &round_id("next", channel, round));
                    self.clicks += 1;
                } else {
                    discord.click_button(host, card, &round_id("end", channel, round));
                    self.clicks += 1;
                    self.sessions[index].closing = true;
                }
                // Anything but an answer may close the last round, and with nothing to review
                // that ends the session. The thread may lag a round behind the stored session
                // (a crash after a round was stored but before its question was posted), and
                // the controls act on the current round.
                if roll >= 55 && round + 1 >= self.sessions[index].rounds {
                    self.sessions[index].closing = true;
                }
            }
            Seen::Review {
                round,
                card,
                candidate,
                vote,
                rate,
            } => {
                // The last review ends the session when the host moves on or its window passes
                // (and the thread may lag a round behind, as above).
                if round + 1 >= self.sessions[index].rounds {
                    self.sessions[index].closing = true;
                }
                if roll < 50 {
                    if let Some(menu) = vote {
                        let options = discord
                            .message(menu)
                            .map(|m| {
                                m.components
                                    .iter()
                                    .flat_map(|row| {
                                        row["components"].as_array().cloned().unwrap_or_default()
                                    })
                                    .flat_map(|c| {
                                        c["options"].as_array().cloned().unwrap_or_default()
                                    })
                                    .filter_map(|o| o["value"].as_str().map(str::to_string))
                                    .collect::<Vec<_>>()
                            })
                            .unwrap_or_default();
                        if options.is_empty() {
                            return;
                        }
                        let choice = options[rng.gen_range(0..options.len())].clone();
                        let Some(chosen) = choice
                            .strip_prefix("discord:")
                            .and_then(|c| c.parse::<u64>().ok())
                        else {
                            return;
                        };
                        // Anyone but the one voted for (a vote for yourself is refused).
                        let voters: Vec<u64> = self
                            .users
                            .iter()
                            .copied()
                            .filter(|u| *u != chosen)
                            .collect();
                        let someone = voters[rng.gen_range(0..voters.len())];
                        let interaction = discord.select_menu(
                            someone,
                            menu,
                            &format!("group:vote:{channel}:{round}"),
                            &[&choice],
                        );
                        self.clicks += 1;
                        let votes = &mut self.sessions[index].votes;
                        let confirmed_at_send = votes
                            .iter()
                            .enumerate()
                            .filter(|(_, v)| vote_confirmed(discord, v))
                            .map(|(n, _)| n)
                            .collect();
                        votes.push(Vote {
                            voter: someone,
                            round,
                            choice: chosen,
                            interaction,
                            confirmed_at_send,
                        });
                        if rng.gen_bool(0.5) {
                            poll(Duration::from_secs(2), || {
                                (!reply_text(discord, interaction).is_empty()).then_some(())
                            })
                            .await;
                        }
                        return;
                    }
                    if let (Some(button), Some(candidate)) = (rate, candidate) {
                        let rater = self
                            .users
                            .iter()
                            .copied()
                            .filter(|u| *u != candidate)
                            .nth(rng.gen_range(0..2))
                            .unwrap_or(someone);
                        let open = discord.click_button(
                            rater,
                            button,
                            &format!("group:rate:{channel}:{round}"),
                        );
                        self.clicks += 1;
                        let modal = poll(Duration::from_secs(2), || {
                            callback_type(discord, open).map(|t| t == 9)
                        })
                        .await;
                        if modal != Some(true) {
                            return;
                        }
                        let score = rng.gen_range(1..=5u8);
                        let interaction = discord.submit_modal(
                            rater,
                            &format!("group:ratemodal:{channel}:{round}"),
                            &[
                                ("score", &score.to_string()),
                                ("comment", "Clear story; say more about the result."),
                            ],
                        );
                        self.sessions[index].ratings.push(Rating {
                            rater,
                            round,
                            score,
                            interaction,
                        });
                        if rng.gen_bool(0.5) {
                            poll(Duration::from_secs(2), || {
                                (!reply_text(discord, interaction).is_empty()).then_some(())
                            })
                            .await;
                        }
                        return;
                    }
                }
                let action = if roll >= 98 { "end" } else { "next" };
                discord.click_button(host, card, &round_id(action, channel, round));
                self.clicks += 1;
                if action == "end" {
                    self.sessions[index].closing = true;
                }
            }
        }
    }

    /// 1–3 answer messages by `who` in the session's thread.
    async fn answer(
        &mut self,
        discord: &FakeDiscord,
        rng: &mut StdRng,
        thread: u64,
        who: u64,
        epoch: usize,
        tags: &mut Tags,
    ) {
        for _ in 0..rng.gen_range(1..=3) {
            let tag = tags.next("g", who);
            let text = format!("{} [{tag}]", SENTENCES[rng.gen_range(0..SENTENCES.len())]);
            let message = discord.send_message(thread, who, &text);
            self.sent.push(Sent {
                id: message,
                author: who,
                channel: thread,
                tag,
                epoch,
            });
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..40))).await;
        }
    }

    pub fn check(&mut self, discord: &FakeDiscord, store: &SledStore, when: &str) {
        let acked = acknowledged(discord, &self.sent);
        let bot = discord.bot_id();
        let mut attempts = HashMap::new();
        for &user in &self.users {
            let mine: Vec<_> = store
                .history(&UserKey::discord(user), usize::MAX)
                .expect("read history")
                .into_iter()
                .filter(|a| a.mode == Mode::Group)
                .collect();
            attempts.insert(user, mine);
        }
        for index in 0..self.sessions.len() {
            let seen = self.seen(discord, &self.sessions[index]);
            let session = &mut self.sessions[index];
            if session.done && session.thread.is_none() {
                continue;
            }
            let channel = session.channel;
            let prefix = format!("{when}: group in channel {channel}");
            let checks = &mut self.checks;
            let record = store
                .get_session(&format!("group:{channel}"))
                .expect("read group session");
            let state: Option<GroupSession> = record.as_ref().map(|r| {
                serde_json::from_value(r.state["session"].clone()).expect("group session parse")
            });
            if let Some(r) = &record {
                session.lobby = session.lobby.or(r.state["lobby_message_id"].as_u64());
                session.thread = session.thread.or(r.state["thread_id"].as_u64());
            }
            let confirmed = reply_text(discord, session.start).contains("Lobby open");

            // The session itself.
            if confirmed && !session.closing {
                checks.check(state.is_some(), || {
                    let shown: Vec<String> = session
                        .thread
                        .map(|t| discord.messages_in(t))
                        .unwrap_or_default()
                        .iter()
                        .map(|m| m.all_text().chars().take(60).collect())
                        .collect();
                    format!(
                        "{prefix}: the lobby the bot confirmed is not stored (the thread shows \
                         {seen:?}: {shown:?})"
                    )
                });
            }
            if seen == Seen::Closed {
                checks.check(state.is_none(), || {
                    format!("{prefix}: the thread says the session is over, but it is stored")
                });
            }
            if state.is_none() && (session.closing || !confirmed) {
                session.done = true;
            }

            // Joins.
            if let Some(state) = &state {
                for (user, interaction) in &session.joins {
                    if !join_accepted(discord, *interaction) {
                        continue;
                    }
                    checks.check(state.is_participant(&key(*user)), || {
                        format!("{prefix}: {user}'s join was acknowledged but they are not stored")
                    });
                }
            }

            let session_prefix = format!("group-{channel}-");
            let of_session = |user: u64| -> Vec<&bar_raiser::store::Attempt> {
                attempts
                    .get(&user)
                    .map(|all| {
                        all.iter()
                            .filter(|a| a.id.as_str().starts_with(&session_prefix))
                            .collect()
                    })
                    .unwrap_or_default()
            };

            // Acknowledged answers.
            let Some(thread) = session.thread else {
                continue;
            };
            let round_messages = match state.as_ref().map(|s| &s.phase) {
                Some(Phase::Answering(round)) => round.messages.clone(),
                _ => BTreeMap::new(),
            };
            for sent in acked.values().filter(|s| s.channel == thread) {
                let marker = sent.marker();
                let in_round = round_messages
                    .get(&sent.id)
                    .is_some_and(|c| c.author == key(sent.author) && c.text.contains(&marker));
                let in_attempt = of_session(sent.author)
                    .iter()
                    .any(|a| a.answer.contains(&marker));
                checks.check(in_round || in_attempt, || {
                    let phase = match state.as_ref().map(|s| &s.phase) {
                        Some(Phase::Answering(r)) => format!(
                            "answering round {} (after id {}) holding {:?}",
                            r.number,
                            r.after_id,
                            r.messages.keys().collect::<Vec<_>>()
                        ),
                        Some(Phase::Review(r)) => format!("review of round {}", r.number),
                        Some(Phase::Lobby { .. }) => "lobby".to_string(),
                        None => "not stored".to_string(),
                    };
                    let ids: Vec<&str> = of_session(sent.author)
                        .iter()
                        .map(|a| a.id.as_str())
                        .collect();
                    let shown: Vec<String> = discord
                        .messages_in(thread)
                        .iter()
                        .map(|m| {
                            format!(
                                "{}: {}",
                                m.id,
                                m.all_text().chars().take(40).collect::<String>()
                            )
                        })
                        .collect();
                    format!(
                        "{prefix}: acknowledged answer {} ({}) of {} (sent to process {}) is \
                         neither in the stored round nor in an attempt; the session is {phase}; \
                         their attempts {ids:?}; the thread: {shown:?}",
                        sent.id, sent.tag, sent.author, sent.epoch
                    )
                });
            }

            // Reported rounds: every feedback card has its attempt.
            let mut reported_round = None;
            for m in discord.messages_in(thread) {
                if m.author_id != bot {
                    continue;
                }
                let text = m.all_text();
                if let Some(round) = number_after(&text, "Round ", " feedback") {
                    reported_round = Some(round);
                    continue;
                }
                let Some(round) = reported_round else {
                    continue;
                };
                for embed in &m.embeds {
                    let title = embed["title"].as_str().unwrap_or_default();
                    let Some((name, score)) = title.split_once(" — ") else {
                        continue;
                    };
                    if !score.ends_with("/5") {
                        continue;
                    }
                    let Some(&user) = self.by_name.get(name) else {
                        continue;
                    };
                    let suffix = format!(":{round}:{}", key(user));
                    checks.check(
                        of_session(user)
                            .iter()
                            .any(|a| a.id.as_str().ends_with(&suffix)),
                        || {
                            format!(
                                "{prefix}: round {round} feedback was shown for {name}, but \
                                 there is no attempt {session_prefix}…{suffix}"
                            )
                        },
                    );
                }
            }

            // Nothing doubled.
            for &user in &self.users {
                let mine = of_session(user);
                for sent in self
                    .sent
                    .iter()
                    .filter(|s| s.author == user && s.channel == thread)
                {
                    let marker = sent.marker();
                    let times: usize = mine.iter().map(|a| a.answer.matches(&marker).count()).sum();
                    checks.check(times <= 1, || {
                        format!("{prefix}: answer {marker} is stored {times} times in attempts")
                    });
                }
            }

            // Votes and ratings.
            let Some(state) = &state else {
                continue;
            };
            let (review, closed_before) = match &state.phase {
                Phase::Lobby { .. } => (None, 1),
                Phase::Answering(round) => (None, round.number),
                Phase::Review(review) => (Some(review), review.number),
            };
            // A confirmed vote is in the open review: the vote, or another of the same voter
            // in that round that may have been applied after it.
            let mut ballots: BTreeMap<(u64, u32), Vec<usize>> = BTreeMap::new();
            for (n, vote) in session.votes.iter().enumerate() {
                ballots.entry((vote.voter, vote.round)).or_default().push(n);
            }
            for ((voter, round), indexes) in &ballots {
                let confirmed: Vec<bool> = indexes
                    .iter()
                    .map(|&n| vote_confirmed(discord, &session.votes[n]))
                    .collect();
                let Some(review) = review.filter(|r| r.number == *round) else {
                    continue;
                };
                if !confirmed.contains(&true) {
                    continue;
                }
                let at_send: Vec<Vec<usize>> = indexes
                    .iter()
                    .map(|&n| {
                        let earlier = &session.votes[n].confirmed_at_send;
                        (0..indexes.len())
                            .filter(|&k| earlier.contains(&indexes[k]))
                            .collect()
                    })
                    .collect();
                let allowed: Vec<String> = may_be_last(&confirmed, &at_send)
                    .into_iter()
                    .map(|k| key(session.votes[indexes[k]].choice))
                    .collect();
                let stored = review.votes.get(&key(*voter));
                checks.check(stored.is_some_and(|s| allowed.contains(s)), || {
                    format!(
                        "{prefix}: {voter}'s vote in round {round} was confirmed; the review \
                         holds {stored:?}, not one of {allowed:?}"
                    )
                });
            }
            // Votes of closed reviews are counted once: at least the ballots whose every vote
            // went to that person and one was confirmed, at most the ballots with a vote for them.
            for &user in &self.users {
                let closed = ballots
                    .iter()
                    .filter(|((_, round), _)| *round < closed_before);
                let (mut lower, mut upper) = (0, 0);
                for (_, indexes) in closed {
                    let votes: Vec<&Vote> = indexes.iter().map(|&n| &session.votes[n]).collect();
                    if votes.iter().any(|v| v.choice == user) {
                        upper += 1;
                    }
                    if votes.iter().all(|v| v.choice == user)
                        && votes.iter().any(|v| vote_confirmed(discord, v))
                    {
                        lower += 1;
                    }
                }
                let tally = state.tallies.get(&key(user)).map_or(0, |t| t.votes) as usize;
                checks.check(lower <= tally && tally <= upper, || {
                    format!(
                        "{prefix}: {user} has {tally} votes counted; confirmed {lower}, sent {upper}"
                    )
                });
            }
            let confirmed_rating =
                |r: &Rating| reply_text(discord, r.interaction).contains("Your rating is in.");
            for rating in session.ratings.iter().filter(|r| confirmed_rating(r)) {
                let Some(review) = review.filter(|r| r.number == rating.round) else {
                    continue;
                };
                let stored = review.ratings.get(&key(rating.rater));
                checks.check(stored.is_some_and(|s| s.score == rating.score), || {
                    format!(
                        "{prefix}: {}'s rating {} in round {} was confirmed, the review holds \
                         {stored:?}",
                        rating.rater, rating.score, rating.round
                    )
                });
            }
            if session.hot_seat {
                let closed: Vec<&Rating> = session
                    .ratings
                    .iter()
                    .filter(|r| r.round < closed_before)
                    .collect();
                let lower = closed.iter().filter(|r| confirmed_rating(r)).count();
                let upper: std::collections::BTreeSet<(u64, u32)> =
                    closed.iter().map(|r| (r.rater, r.round)).collect();
                let counted: usize = state.tallies.values().map(|t| t.panel_count as usize).sum();
                checks.check(lower <= counted && counted <= upper.len(), || {
                    format!(
                        "{prefix}: {counted} panel ratings counted; confirmed {lower}, sent {}",
                        upper.len()
                    )
                });
            }
        }
    }

    /// How many answer messages were sent so far, and the newest one.
    pub fn newest_sent(&self) -> (usize, Option<u64>) {
        (self.sent.len(), self.sent.last().map(|s| s.id))
    }

    pub fn messages(&self, discord: &FakeDiscord) -> (usize, usize) {
        (self.sent.len(), acknowledged(discord, &self.sent).len())
    }

    fn rounds_reported(&self, discord: &FakeDiscord) -> usize {
        let bot = discord.bot_id();
        self.sessions
            .iter()
            .filter_map(|s| s.thread)
            .flat_map(|t| discord.messages_in(t))
            .filter(|m| {
                m.author_id == bot && number_after(&m.all_text(), "Round ", " feedback").is_some()
            })
            .count()
    }

    /// Whether any round was reported with feedback.
    pub fn exercised(&self, discord: &FakeDiscord) -> bool {
        self.rounds_reported(discord) > 0
    }

    pub fn summary(&self, discord: &FakeDiscord) -> String {
        let confirmed_votes = self
            .sessions
            .iter()
            .flat_map(|s| &s.votes)
            .filter(|v| vote_confirmed(discord, v))
            .count();
        let confirmed_ratings = self
            .sessions
            .iter()
            .flat_map(|s| &s.ratings)
            .filter(|r| reply_text(discord, r.interaction).contains("Your rating is in."))
            .count();
        let closed = self
            .sessions
            .iter()
            .filter(|s| self.seen(discord, s) == Seen::Closed)
            .count();
        format!(
            "{} sessions started ({closed} seen to the end), actions by phase {:?}, {} clicks, {} \
             rounds reported, {confirmed_votes} votes and {confirmed_ratings} ratings confirmed",
            self.started,
            self.phases,
            self.clicks,
            self.rounds_reported(discord),
        )
    }
}
