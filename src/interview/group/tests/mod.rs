//! Every transition of the group machine, including the awkward ones. This file holds the
//! harness; the tests are grouped by part of the session.

mod hot_seat;
mod lobby;
mod rounds;
mod scoreboard;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::analysis::{analyze, Section};
use crate::config::GroupConfig;

pub(super) const STRONG: &str = "Last year our checkout service was failing during peak sales.\n\
I was responsible for fixing the payment retries before Black Friday.\n\
I rewrote the retry logic and I added alerts on the error rate.\n\
As a result, failed payments dropped by 40% and we saved $200k that quarter.";
pub(super) const WEAK: &str = "We worked on a project together and we shipped it.";

pub(super) fn t0() -> Timestamp {
    "2026-01-05T10:00:00Z".parse().unwrap()
}

pub(super) fn settings(mode: GroupMode, rounds: u8, answer_minutes: u32, max: u8) -> Settings {
    Settings {
        rounds,
        lp: None,
        mode,
        answer_minutes,
        max_participants: max,
    }
}

/// A session with a bank and a clock, applying events and keeping the result.
pub(super) struct Harness {
    pub bank: Bank,
    pub now: Timestamp,
    pub session: Option<GroupSession>,
}

impl Harness {
    pub fn new(settings: Settings) -> Self {
        let now = t0();
        Self {
            bank: Bank::builtin(),
            now,
            session: Some(GroupSession::start(
                "g1".into(),
                "chan".into(),
                "alice".into(),
                settings,
                7,
                now,
            )),
        }
    }

    pub fn apply(&mut self, event: Event) -> Vec<Effect> {
        let session = self.session.take().expect("the session is open");
        let step = session.apply(
            event,
            &Context {
                bank: &self.bank,
                now: self.now,
            },
        );
        self.session = step.session;
        step.effects
    }

    pub fn s(&self) -> &GroupSession {
        self.session.as_ref().expect("the session is open")
    }

    fn at(&mut self, seconds: i64) {
        self.now = t0() + SignedDuration::from_secs(seconds);
    }

    fn round(&self) -> &Round {
        match &self.s().phase {
            Phase::Answering(round) => round,
            other => panic!("not answering: {other:?}"),
        }
    }

    fn joined(mut self, users: &[&str]) -> Self {
        for u in users {
            let fx = self.apply(join(u));
            assert!(matches!(fx.as_slice(), [Effect::Joined { .. }]), "{fx:?}");
        }
        self
    }

    fn begun(mut self) -> Self {
        let fx = self.apply(begin("alice", false));
        assert!(
            matches!(fx.as_slice(), [Effect::RoundStarted { .. }]),
            "{fx:?}"
        );
        self
    }
}

pub(super) fn join(u: &str) -> Event {
    Event::Join { user: u.into() }
}
pub(super) fn leave(u: &str) -> Event {
    Event::Leave { user: u.into() }
}
pub(super) fn begin(u: &str, can_manage: bool) -> Event {
    Event::Begin {
        user: u.into(),
        can_manage,
    }
}
pub(super) fn next(u: &str, can_manage: bool) -> Event {
    Event::Next {
        user: u.into(),
        can_manage,
    }
}
pub(super) fn end(u: &str, can_manage: bool) -> Event {
    Event::End {
        user: u.into(),
        can_manage,
    }
}
pub(super) fn msg(u: &str, id: u64, text: &str) -> Event {
    Event::Message {
        user: u.into(),
        id,
        text: text.into(),
    }
}
pub(super) fn done(u: &str) -> Event {
    Event::Done { user: u.into() }
}
fn vote(voter: &str, round: u32, choice: &str) -> Event {
    Event::Vote {
        voter: voter.into(),
        round,
        choice: choice.into(),
    }
}
fn rate(rater: &str, round: u32, score: u8, comment: &str) -> Event {
    Event::Rate {
        rater: rater.into(),
        round,
        score,
        comment: comment.into(),
    }
}

fn refused(user: &str, reason: Refusal) -> Vec<Effect> {
    vec![Effect::Refused {
        user: user.into(),
        reason,
    }]
}

fn records(fx: &[Effect]) -> Vec<&GroupAttempt> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Record(a) => Some(a.as_ref()),
            _ => None,
        })
        .collect()
}

fn round_closed(fx: &[Effect]) -> (RoundEnd, Vec<FeedbackItem>, Vec<String>) {
    fx.iter()
        .find_map(|e| match e {
            Effect::RoundClosed {
                why,
                feedback,
                vote_for,
                ..
            } => Some((*why, feedback.clone(), vote_for.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no RoundClosed in {fx:?}"))
}

fn scoreboard(fx: &[Effect]) -> Scoreboard {
    fx.iter()
        .find_map(|e| match e {
            Effect::Scoreboard(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Scoreboard in {fx:?}"))
}

fn everyone(rounds: u8) -> Harness {
    Harness::new(settings(GroupMode::Everyone, rounds, 5, 8))
}

fn hot_seat(rounds: u8) -> Harness {
    Harness::new(settings(GroupMode::HotSeat, rounds, 5, 8))
}

/// The report the machine should produce for `text` answering `question_id`.
fn report_for(bank: &Bank, question_id: &str, text: &str) -> crate::analysis::Report {
    let hints = bank.question(question_id).map(|q| q.hints());
    analyze(text, hints.as_ref()).unwrap()
}
