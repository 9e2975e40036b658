//! Group sessions of the load run, driven like people in a study group would: the host runs
//! `/group start` in a channel, the others press Join, the host presses Begin; each round the
//! answerers type 2–3 messages in the session thread and press Done; then everyone votes for the
//! best answer (everyone mode) or the panel rates the candidate through the rating form (hot
//! seat); the host presses Next; after the last round the scoreboard is posted and the thread
//! archived. Even-numbered groups run in everyone mode, odd ones in hot seat.
//!
//! Like the solo people, a group waits only for what a person would see before acting (the
//! lobby, the round question, the ✅ on their last message, the vote menu, the rating form),
//! learned from the bot's REST calls.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

use super::support::discord::RecordedCall;
use super::{Driver, Kind, ANSWER_LINES};

/// People in one group, the host included.
pub const PEOPLE_PER_GROUP: usize = 4;
/// Questions per group session.
pub const ROUNDS: u32 = 2;
/// How long a person waits for the ✅ on their last answer before pressing Done anyway.
const ACK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// One group: its channel and members (the first is the host), and whether it runs hot seat.
#[derive(Debug, Clone)]
pub struct Group {
    pub channel: u64,
    pub members: Vec<(u64, String)>,
    pub hot_seat: bool,
}

impl Group {
    /// Attempts the store must hold for this group when it completes: every member each round
    /// in everyone mode, the candidate of each round in hot seat.
    pub fn expected_attempts(&self) -> usize {
        if self.hot_seat {
            ROUNDS as usize
        } else {
            ROUNDS as usize * self.members.len()
        }
    }
}

/// A round's question card: its message (with Done/Next/End) and the hot-seat candidate's name.
#[derive(Debug, Clone)]
struct RoundCard {
    message: u64,
    candidate: Option<String>,
}

/// What the driver learns about groups from the bot's calls.
#[derive(Default)]
pub struct GroupIndex {
    lobby: HashMap<u64, u64>,
    thread: HashMap<u64, u64>,
    channel_of_thread: HashMap<u64, u64>,
    round_cards: HashMap<(u64, u32), RoundCard>,
    vote_menus: HashMap<(u64, u32), u64>,
    rate_buttons: HashMap<(u64, u32), u64>,
    scoreboards: HashSet<u64>,
    archived: HashSet<u64>,
    /// Messages that got the bot's ✅.
    reacted: HashSet<u64>,
    /// Interactions the bot answered (any callback).
    answered: HashSet<u64>,
}

impl GroupIndex {
    pub fn learn(&mut self, call: &RecordedCall) {
        if !call.succeeded() {
            return;
        }
        if call.path.starts_with("/interactions/") {
            if let Some(id) = call.id_after("interactions") {
                self.answered.insert(id);
            }
        } else if call.route.contains("/reactions/") {
            if let Some(id) = call.id_after("messages") {
                self.reacted.insert(id);
            }
        } else if call.is("POST", "/channels/{id}/messages/{id}/threads") {
            let (Some(channel), Some(thread)) = (call.id_after("channels"), response_id(call))
            else {
                return;
            };
            if self
                .lobby
                .values()
                .any(|lobby| Some(*lobby) == call.id_after("messages"))
            {
                self.thread.insert(channel, thread);
                self.channel_of_thread.insert(thread, channel);
            }
        } else if call.is("POST", "/channels/{id}/messages") {
            self.learn_post(call);
        } else if call.is("PATCH", "/channels/{id}") && call.body["archived"] == json!(true) {
            if let Some(channel) = call
                .id_after("channels")
                .and_then(|t| self.channel_of_thread.get(&t))
            {
                self.archived.insert(*channel);
            }
        }
    }

    fn learn_post(&mut self, call: &RecordedCall) {
        let Some(id) = response_id(call) else {
            return;
        };
        for custom_id in custom_ids(&call.body) {
            let mut parts = custom_id.split(':');
            if parts.next() != Some("group") {
                continue;
            }
            let action = parts.next().unwrap_or("");
            let Some(channel) = parts.next().and_then(|c| c.parse::<u64>().ok()) else {
                continue;
            };
            let round = parts.next().and_then(|r| r.parse::<u32>().ok());
            match (action, round) {
                ("join", _) => {
                    self.lobby.insert(channel, id);
                }
                ("done", _) => {
                    let embed = &call.body["embeds"][0];
                    let Some(round) = embed["title"]
                        .as_str()
                        .and_then(|t| t.strip_prefix("Round "))
                        .and_then(|t| t.split('/').next())
                        .and_then(|n| n.parse().ok())
                    else {
                        continue;
                    };
                    let candidate = embed["description"]
                        .as_str()
                        .and_then(|d| d.split("In the hot seat: **").nth(1))
                        .and_then(|rest| rest.split("**").next())
                        .map(str::to_string);
                    self.round_cards.insert(
                        (channel, round),
                        RoundCard {
                            message: id,
                            candidate,
                        },
                    );
                }
                ("vote", Some(round)) => {
                    self.vote_menus.insert((channel, round), id);
                }
                ("rate", Some(round)) => {
                    self.rate_buttons.insert((channel, round), id);
                }
                _ => {}
            }
        }
        let scoreboard = call.body["embeds"].as_array().is_some_and(|embeds| {
            embeds.iter().any(|e| {
                e["title"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Scoreboard"))
            })
        });
        if scoreboard {
            if let Some(channel) = call
                .id_after("channels")
                .and_then(|t| self.channel_of_thread.get(&t))
            {
                self.scoreboards.insert(*channel);
            }
        }
    }
}

fn response_id(call: &RecordedCall) -> Option<u64> {
    call.response["id"].as_str().and_then(|s| s.parse().ok())
}

/// Every custom id in a message body's components.
fn custom_ids(body: &Value) -> Vec<String> {
    body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().into_iter().flatten())
        .filter_map(|c| c["custom_id"].as_str().map(str::to_string))
        .collect()
}

impl Driver {
    /// Waits until the bot answered the interaction `id`.
    async fn answered(&self, what: &str, id: u64) -> Result<(), String> {
        self.wait_for(what, |ix| ix.group.answered.contains(&id).then_some(()))
            .await
    }

    /// One whole group session.
    pub async fn group(&self, group: &Group, seed: u64) -> Result<(), String> {
        let d = &self.discord;
        let channel = group.channel;
        let Some(&(host, _)) = group.members.first() else {
            return Err("a group without members".into());
        };
        let id = |action: &str| format!("group:{action}:{channel}");
        // Done and Next on a round's card carry that round.
        let round_id = |action: &str, round: u32| format!("group:{action}:{channel}:{round}");

        self.gate.wait().await;
        let mode = u64::from(group.hot_seat);
        let options = json!({"rounds": ROUNDS, "mode": mode, "answer_minutes": 30});
        let start = d.slash_command(host, channel, "group start", options);
        self.record(Kind::GroupStart, start, channel, host);
        let (lobby, thread) = self
            .wait_for("the group lobby and its thread", |ix| {
                Some((
                    *ix.group.lobby.get(&channel)?,
                    *ix.group.thread.get(&channel)?,
                ))
            })
            .await?;
        let mut joins = Vec::new();
        for &(user, _) in &group.members[1..] {
            self.gate.wait().await;
            let click = d.click_button(user, lobby, &id("join"));
            self.record(Kind::GroupClick, click, channel, user);
            joins.push(click);
        }
        for click in joins {
            self.answered("the answer to a Join", click).await?;
        }
        self.gate.wait().await;
        let begin = d.click_button(host, lobby, &id("begin"));
        self.record(Kind::GroupClick, begin, channel, host);

        for round in 1..=ROUNDS {
            let card = self
                .wait_for("a round's question", |ix| {
                    ix.group.round_cards.get(&(channel, round)).cloned()
                })
                .await?;
            let answerers: Vec<u64> = match &card.candidate {
                Some(name) => {
                    let candidate = group
                        .members
                        .iter()
                        .find(|(_, n)| n == name)
                        .map(|(u, _)| *u)
                        .ok_or_else(|| format!("unknown hot-seat candidate {name}"))?;
                    vec![candidate]
                }
                None => group.members.iter().map(|(u, _)| *u).collect(),
            };
            // Interleaved answers, 2–3 messages each.
            let parts = 2 + (seed + u64::from(round)) as usize % 2;
            let mut last = HashMap::new();
            for part in 0..parts {
                for (k, &user) in answerers.iter().enumerate() {
                    self.gate.wait().await;
                    let line = ANSWER_LINES[(seed as usize + k + part * 3) % ANSWER_LINES.len()];
                    let message = d.send_message(thread, user, line);
                    self.record(Kind::GroupAnswer, message, thread, user);
                    last.insert(user, message);
                }
            }
            // A person presses Done once they saw the ✅ on their last message, or after
            // waiting a while for it: under load the ✅ only gets REST slots no reply wants.
            for message in last.values() {
                let seen = self
                    .wait_up_to(ACK_PATIENCE, |ix| {
                        ix.group.reacted.contains(message).then_some(())
                    })
                    .await;
                if seen.is_none() {
                    self.done_before_ack
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            for &user in &answerers {
                self.gate.wait().await;
                let done = d.click_button(user, card.message, &round_id("done", round));
                self.record(Kind::GroupClick, done, channel, user);
            }
            if group.hot_seat {
                self.rate(group, round, &answerers).await?;
            } else {
                self.vote(group, round).await?;
            }
            let moved_on = |ix: &super::Index| {
                ix.group.round_cards.contains_key(&(channel, round + 1))
                    || ix.group.scoreboards.contains(&channel)
            };
            // The review window may have ended by itself under load; Next would then close the
            // following round early.
            if !self.index.lock().map(|ix| moved_on(&ix)).unwrap_or(false) {
                self.gate.wait().await;
                let next = d.click_button(host, card.message, &round_id("next", round));
                self.record(Kind::GroupClick, next, channel, host);
            }
        }
        self.wait_for("the scoreboard and the archived thread", |ix| {
            (ix.group.scoreboards.contains(&channel) && ix.group.archived.contains(&channel))
                .then_some(())
        })
        .await
    }

    /// Everyone votes for the next person in the list.
    async fn vote(&self, group: &Group, round: u32) -> Result<(), String> {
        let channel = group.channel;
        let menu = self
            .wait_for("the vote menu", |ix| {
                ix.group.vote_menus.get(&(channel, round)).copied()
            })
            .await?;
        let custom_id = format!("group:vote:{channel}:{round}");
        let mut votes = Vec::new();
        for (k, &(voter, _)) in group.members.iter().enumerate() {
            let (choice, _) = &group.members[(k + 1) % group.members.len()];
            let choice = format!("discord:{choice}");
            self.gate.wait().await;
            let vote = self
                .discord
                .select_menu(voter, menu, &custom_id, &[choice.as_str()]);
            self.record(Kind::GroupVote, vote, channel, voter);
            votes.push(vote);
        }
        for vote in votes {
            self.answered("the answer to a vote", vote).await?;
        }
        Ok(())
    }

    /// The panel (everyone but the candidate) rates the answer through the form.
    async fn rate(&self, group: &Group, round: u32, answerers: &[u64]) -> Result<(), String> {
        let channel = group.channel;
        let button = self
            .wait_for("the rating button", |ix| {
                ix.group.rate_buttons.get(&(channel, round)).copied()
            })
            .await?;
        let rate_id = format!("group:rate:{channel}:{round}");
        let form_id = format!("group:ratemodal:{channel}:{round}");
        let panel = group
            .members
            .iter()
            .map(|(u, _)| *u)
            .filter(|u| !answerers.contains(u));
        for (k, panelist) in panel.enumerate() {
            self.gate.wait().await;
            let open = self.discord.click_button(panelist, button, &rate_id);
            self.record(Kind::GroupRateOpen, open, channel, panelist);
            self.answered("the rating form", open).await?;
            self.gate.wait().await;
            let score = (3 + k % 3).to_string();
            let submit = self.discord.submit_modal(
                panelist,
                &form_id,
                &[
                    ("score", &score),
                    ("comment", "Clear numbers; say more about your part."),
                ],
            );
            self.record(Kind::GroupRateSubmit, submit, channel, panelist);
            self.answered("the answer to a rating", submit).await?;
        }
        Ok(())
    }
}
