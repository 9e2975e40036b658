//! Every transition of the group machine, including the awkward ones.

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

// ---- lobby ----

#[test]
fn the_starter_is_host_and_in_the_lobby() {
    let h = everyone(2);
    assert_eq!(h.s().host, "alice");
    assert_eq!(h.s().participants, vec!["alice"]);
    assert_eq!(h.s().key(), "group:chan");
    assert!(matches!(h.s().phase, Phase::Lobby { .. }));
}

#[test]
fn joining_a_full_group_is_refused_with_the_limit() {
    let mut h = Harness::new(settings(GroupMode::Everyone, 1, 5, 3)).joined(&["bob", "carol"]);
    assert_eq!(
        h.apply(join("dave")),
        refused("dave", Refusal::Full { max: 3 })
    );
    assert_eq!(h.s().participants, vec!["alice", "bob", "carol"]);
    assert_eq!(
        Refusal::Full { max: 3 }.to_string(),
        "This group is full: 3 people at most."
    );
    // A place frees up when someone leaves.
    assert_eq!(
        h.apply(leave("bob")),
        vec![Effect::Left { user: "bob".into() }]
    );
    assert!(matches!(
        h.apply(join("dave")).as_slice(),
        [Effect::Joined {
            participants: 3,
            ..
        }]
    ));
}

#[test]
fn joining_twice_and_leaving_when_not_in_are_refused() {
    let mut h = everyone(1).joined(&["bob"]);
    assert_eq!(h.apply(join("bob")), refused("bob", Refusal::AlreadyIn));
    assert_eq!(h.apply(leave("zed")), refused("zed", Refusal::NotIn));
    assert_eq!(h.s().participants, vec!["alice", "bob"]);
}

#[test]
fn only_the_host_or_a_manager_can_begin() {
    let mut h = everyone(1).joined(&["bob"]);
    assert_eq!(
        h.apply(begin("bob", false)),
        refused(
            "bob",
            Refusal::NotHost {
                action: Control::Begin
            }
        )
    );
    assert!(matches!(h.s().phase, Phase::Lobby { .. }));
    // Someone with Manage Messages may, even if not in the group.
    let fx = h.apply(begin("mod", true));
    assert!(
        matches!(fx.as_slice(), [Effect::RoundStarted { round: 1, .. }]),
        "{fx:?}"
    );
}

#[test]
fn next_before_begin_and_begin_twice_are_refused() {
    let mut h = everyone(2);
    assert_eq!(
        h.apply(next("alice", false)),
        refused("alice", Refusal::NotBegun)
    );
    let mut h = h.begun();
    assert_eq!(
        h.apply(begin("alice", false)),
        refused("alice", Refusal::AlreadyBegun)
    );
}

#[test]
fn ending_in_the_lobby_closes_without_a_scoreboard() {
    let mut h = everyone(2).joined(&["bob"]);
    assert_eq!(
        h.apply(end("bob", false)),
        refused(
            "bob",
            Refusal::NotHost {
                action: Control::End
            }
        )
    );
    assert_eq!(
        h.apply(end("alice", false)),
        vec![Effect::Closed(CloseReason::EndedInLobby)]
    );
    assert!(h.session.is_none());
}

#[test]
fn an_idle_lobby_expires() {
    let mut h = everyone(2);
    assert_eq!(
        h.s().next_deadline(),
        t0() + SignedDuration::from_mins(LOBBY_MINUTES)
    );
    h.at(LOBBY_MINUTES * 60 - 1);
    assert!(h.apply(Event::Tick).is_empty());
    h.at(LOBBY_MINUTES * 60);
    assert_eq!(
        h.apply(Event::Tick),
        vec![Effect::Closed(CloseReason::LobbyExpired)]
    );
}

#[test]
fn the_last_one_leaving_the_lobby_closes_it() {
    let mut h = everyone(2);
    assert_eq!(
        h.apply(leave("alice")),
        vec![
            Effect::Left {
                user: "alice".into()
            },
            Effect::Closed(CloseReason::Abandoned)
        ]
    );
    assert!(h.session.is_none());
}

// ---- everyone mode rounds ----

#[test]
fn begin_posts_a_question_with_a_stored_deadline() {
    let mut h = everyone(2);
    let fx = h.apply(begin("alice", false));
    let Some(Effect::RoundStarted {
        round,
        rounds,
        question_id,
        candidate,
        deadline,
    }) = fx.first()
    else {
        panic!("{fx:?}")
    };
    assert_eq!((*round, *rounds, candidate), (1, 2, &None));
    assert!(h.bank.question(question_id).is_some());
    assert_eq!(*deadline, t0() + SignedDuration::from_mins(5));
    assert_eq!(h.round().deadline, *deadline);
    assert_eq!(h.s().asked, vec![question_id.clone()]);
}

#[test]
fn interleaved_messages_are_collected_per_author_and_recorded_before_feedback() {
    let mut h = everyone(2).joined(&["bob", "carol"]).begun();
    let lines: Vec<&str> = STRONG.lines().collect();
    let fx = h.apply(msg("alice", 10, lines[0]));
    assert_eq!(
        fx,
        vec![Effect::Collected {
            user: "alice".into(),
            message_id: 10,
            words: lines[0].split_whitespace().count(),
            chars: lines[0].chars().count(),
        }]
    );
    h.apply(msg("bob", 11, WEAK));
    h.apply(msg("alice", 12, lines[1]));
    h.apply(msg("carol", 13, "I led the migration myself."));
    h.apply(msg("alice", 14, lines[2]));
    h.apply(msg("alice", 15, lines[3]));
    assert_eq!(h.round().answer_of("alice"), STRONG);
    assert_eq!(h.round().answer_of("bob"), WEAK);

    assert_eq!(
        h.apply(done("alice")),
        vec![Effect::Finished {
            user: "alice".into(),
            answered: true
        }]
    );
    // A typed "done" counts like the button and is not part of the answer.
    assert_eq!(
        h.apply(msg("bob", 16, "Done.")),
        vec![Effect::Finished {
            user: "bob".into(),
            answered: true
        }]
    );
    assert_eq!(h.round().answer_of("bob"), WEAK);
    let fx = h.apply(done("carol"));
    // Records come first, then the cards.
    let first_card = fx
        .iter()
        .position(|e| matches!(e, Effect::RoundClosed { .. }))
        .unwrap();
    assert_eq!(fx.len(), first_card + 1);
    assert!(fx[..first_card]
        .iter()
        .skip(1)
        .all(|e| matches!(e, Effect::Record(_))));
    let recs = records(&fx);
    let owners: Vec<&str> = recs.iter().map(|r| r.owner.as_str()).collect();
    assert_eq!(owners, vec!["alice", "bob", "carol"]);
    assert_eq!(recs[0].answer, STRONG);
    assert_eq!(recs[1].answer, WEAK);
    assert_eq!(recs[0].id, "g1:1:alice");
    assert_eq!(recs[0].round, 1);
    assert_eq!(recs[0].question_id, h.s().asked[0]);
    assert!(!recs[0].lps.is_empty());
    let stored = recs[1].to_attempt(Some("guild-1".into()));
    assert_eq!(stored.mode, crate::store::Mode::Group);
    assert_eq!(
        (stored.user.0.as_str(), stored.answer.as_str()),
        ("bob", WEAK)
    );
    assert_eq!(stored.summary.score, recs[1].report.score.value);
    assert_eq!(stored.id.as_str(), "g1:1:bob");
    let (why, cards, vote_for) = round_closed(&fx);
    assert_eq!(why, RoundEnd::AllDone);
    let q = &h.s().asked[0];
    let weak = report_for(&h.bank, q, WEAK);
    assert_eq!(
        cards[0],
        FeedbackItem::from_report("alice", &report_for(&h.bank, q, STRONG))
    );
    assert_eq!(cards[1], FeedbackItem::from_report("bob", &weak));
    assert_eq!(cards[1].star.missing(), weak.missing);
    assert!(cards[0].star.missing().is_empty());
    assert!(cards[0].score > cards[1].score);
    assert!(cards[1].plural >= 2 && cards[1].singular == 0);
    assert_eq!(vote_for, vec!["alice", "bob", "carol"]);
    assert!(matches!(h.s().phase, Phase::Review(_)));
}

#[test]
fn messages_outside_a_round_or_from_strangers_are_not_collected() {
    let mut h = everyone(1).joined(&["bob"]);
    assert!(h.apply(msg("alice", 1, "hello all")).is_empty());
    let mut h = h.begun();
    assert!(h.apply(msg("zed", 2, "I am watching")).is_empty());
    assert!(h.apply(msg("alice", 3, "   ")).is_empty());
    assert!(h.round().messages.is_empty());
}

#[test]
fn a_replayed_message_changes_nothing_even_after_a_delete() {
    let mut h = everyone(1).joined(&["bob"]).begun();
    assert_eq!(h.apply(msg("bob", 5, "I fixed it.")).len(), 1);
    let before = h.s().clone();
    assert!(h.apply(msg("bob", 5, "I fixed it.")).is_empty());
    assert_eq!(h.s(), &before);
    assert_eq!(
        h.apply(Event::Delete { id: 5 }),
        vec![Effect::Removed { message_id: 5 }]
    );
    assert!(h.apply(msg("bob", 5, "I fixed it.")).is_empty());
    assert!(h.round().messages.is_empty());
    assert!(h.apply(Event::Delete { id: 5 }).is_empty());
}

#[test]
fn edits_and_deletes_change_what_is_recorded() {
    let mut h = everyone(1).joined(&["bob"]).begun();
    h.apply(msg("alice", 1, "I draft."));
    h.apply(msg("alice", 2, "I cut costs."));
    h.apply(msg("bob", 3, "We shipped."));
    h.apply(msg("bob", 4, "I reviewed."));
    assert_eq!(
        h.apply(Event::Edit {
            id: 1,
            text: "I rebuilt the pipeline.".into()
        }),
        vec![Effect::Edited { message_id: 1 }]
    );
    // Same text again: nothing to do.
    assert!(h
        .apply(Event::Edit {
            id: 1,
            text: "I rebuilt the pipeline.".into()
        })
        .is_empty());
    assert_eq!(
        h.apply(Event::Delete { id: 3 }),
        vec![Effect::Removed { message_id: 3 }]
    );
    // An edit that empties a message removes it.
    assert_eq!(
        h.apply(Event::Edit {
            id: 2,
            text: " ".into()
        }),
        vec![Effect::Removed { message_id: 2 }]
    );
    // Edits of unknown messages are ignored.
    assert!(h
        .apply(Event::Edit {
            id: 99,
            text: "x".into()
        })
        .is_empty());
    let fx = h.apply(next("alice", false));
    let recs = records(&fx);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].answer, "I rebuilt the pipeline.");
    assert_eq!(recs[1].answer, "I reviewed.");
}

#[test]
fn an_answer_past_the_size_limit_is_refused_and_not_collected() {
    let mut h = everyone(1).begun();
    let big = "word ".repeat(3_999);
    assert!(matches!(
        h.apply(msg("alice", 1, &big)).as_slice(),
        [Effect::Collected { .. }]
    ));
    let fx = h.apply(msg("alice", 2, "this one is too much to add"));
    assert_eq!(
        fx,
        vec![Effect::TooLong {
            user: "alice".into(),
            message_id: 2,
            limit: crate::analysis::MAX_ANSWER_CHARS,
            chars_so_far: big.chars().count(),
        }]
    );
    assert_eq!(h.round().messages.len(), 1);
}

#[test]
fn nobody_answering_closes_the_round_and_stores_nothing() {
    let mut h = everyone(2).joined(&["bob"]).begun();
    assert_eq!(
        h.apply(done("alice")),
        vec![Effect::Finished {
            user: "alice".into(),
            answered: false
        }]
    );
    let fx = h.apply(next("alice", false));
    assert!(records(&fx).is_empty());
    let (why, cards, vote_for) = round_closed(&fx);
    assert_eq!(why, RoundEnd::HostNext);
    assert!(cards.is_empty() && vote_for.is_empty());
    assert_eq!(h.s().tallies.get("alice").unwrap().answered, 0);
}

#[test]
fn only_the_host_or_a_manager_can_move_on_or_end_mid_round() {
    let mut h = everyone(2).joined(&["bob"]).begun();
    h.apply(msg("bob", 1, WEAK));
    assert_eq!(
        h.apply(next("bob", false)),
        refused(
            "bob",
            Refusal::NotHost {
                action: Control::Next
            }
        )
    );
    assert_eq!(
        h.apply(end("bob", false)),
        refused(
            "bob",
            Refusal::NotHost {
                action: Control::End
            }
        )
    );
    assert!(matches!(h.s().phase, Phase::Answering(_)));
    // A moderator ends it: the answer so far is stored, then the scoreboard.
    let fx = h.apply(end("mod", true));
    assert_eq!(records(&fx).len(), 1);
    assert_eq!(round_closed(&fx).0, RoundEnd::Ended);
    let board = scoreboard(&fx);
    assert_eq!(board.rounds_played, 1);
    assert_eq!(fx.last(), Some(&Effect::Closed(CloseReason::Ended)));
    assert!(h.session.is_none());
}

#[test]
fn all_done_closes_early_but_one_not_done_keeps_it_open() {
    let mut h = everyone(1).joined(&["bob", "carol"]).begun();
    h.apply(msg("bob", 1, WEAK));
    h.apply(done("bob"));
    h.apply(done("alice"));
    assert!(matches!(h.s().phase, Phase::Answering(_)));
    // Done twice is idempotent.
    assert!(h.apply(done("alice")).is_empty());
    // Messages after Done still count until the round closes.
    h.apply(msg("bob", 2, "I also wrote the tests."));
    let fx = h.apply(done("carol"));
    assert_eq!(round_closed(&fx).0, RoundEnd::AllDone);
    assert_eq!(
        records(&fx)[0].answer,
        format!("{WEAK}\nI also wrote the tests.")
    );
}

#[test]
fn done_outside_a_round_or_by_a_stranger_is_refused() {
    let mut h = everyone(1).joined(&["bob"]);
    assert_eq!(h.apply(done("bob")), refused("bob", Refusal::NoRoundOpen));
    let mut h = h.begun();
    assert_eq!(h.apply(done("zed")), refused("zed", Refusal::NotIn));
    // A stranger typing "done" is just chat.
    assert!(h.apply(msg("zed", 3, "done")).is_empty());
}

#[test]
fn the_warning_comes_once_then_the_round_closes_at_the_deadline() {
    let mut h = Harness::new(settings(GroupMode::Everyone, 2, 3, 8))
        .joined(&["bob"])
        .begun();
    h.apply(msg("bob", 1, WEAK));
    let deadline = t0() + SignedDuration::from_mins(3);
    let warn_at = deadline - SignedDuration::from_secs(WARNING_SECONDS);
    assert_eq!(h.s().next_deadline(), warn_at);
    h.at(60);
    assert!(h.apply(Event::Tick).is_empty());
    h.at(120);
    assert_eq!(
        h.apply(Event::Tick),
        vec![Effect::Warning { round: 1, deadline }]
    );
    assert_eq!(h.s().next_deadline(), deadline);
    h.at(150);
    assert!(h.apply(Event::Tick).is_empty(), "the warning comes once");
    h.at(180);
    let fx = h.apply(Event::Tick);
    assert_eq!(round_closed(&fx).0, RoundEnd::Deadline);
    assert_eq!(records(&fx).len(), 1);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Warning { .. })));
    assert_eq!(
        h.s().next_deadline(),
        deadline + SignedDuration::from_mins(REVIEW_MINUTES)
    );
}

#[test]
fn a_one_minute_round_has_no_warning_and_a_late_tick_just_closes() {
    let h = Harness::new(settings(GroupMode::Everyone, 1, 1, 8)).begun();
    assert!(!h.round().warning_due);
    assert_eq!(h.s().next_deadline(), t0() + SignedDuration::from_mins(1));
    let mut h = Harness::new(settings(GroupMode::Everyone, 1, 5, 8)).begun();
    h.at(3600);
    let fx = h.apply(Event::Tick);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Warning { .. })));
    assert_eq!(round_closed(&fx).0, RoundEnd::Deadline);
}

// ---- joining and leaving after Begin ----

#[test]
fn joining_is_refused_during_a_round_and_allowed_between_rounds() {
    let mut h = everyone(2).joined(&["bob"]).begun();
    assert_eq!(
        h.apply(join("carol")),
        refused("carol", Refusal::RoundInProgress { round: 1 })
    );
    assert_eq!(
        Refusal::RoundInProgress { round: 1 }.to_string(),
        "Round 1 is under way. You can join between rounds, once it closes."
    );
    h.apply(next("alice", false));
    assert_eq!(
        h.apply(join("carol")),
        vec![Effect::Joined {
            user: "carol".into(),
            participants: 3,
            first_round: 2
        }]
    );
    h.apply(next("alice", false));
    // Carol answers round 2 like everyone else.
    assert!(matches!(
        h.apply(msg("carol", 7, WEAK)).as_slice(),
        [Effect::Collected { .. }]
    ));
    h.apply(next("alice", false));
    // After the last round there is nothing to join.
    assert_eq!(
        h.apply(join("dave")),
        refused("dave", Refusal::AfterLastRound)
    );
}

#[test]
fn leaving_mid_round_keeps_the_answer_so_far() {
    let mut h = everyone(1).joined(&["bob", "carol"]).begun();
    h.apply(msg("bob", 1, WEAK));
    assert_eq!(
        h.apply(leave("bob")),
        vec![Effect::Left { user: "bob".into() }]
    );
    assert_eq!(h.round().answer_of("bob"), WEAK);
    // Bob's messages no longer come in once he has left.
    assert!(h.apply(msg("bob", 2, "more")).is_empty());
    h.apply(done("alice"));
    let fx = h.apply(done("carol"));
    let recs = records(&fx);
    assert_eq!(recs.len(), 1);
    assert_eq!(
        (recs[0].owner.as_str(), recs[0].answer.as_str()),
        ("bob", WEAK)
    );
    // He can be voted for: his answer is on screen.
    assert_eq!(round_closed(&fx).2, vec!["bob"]);
}

#[test]
fn the_last_remaining_leaving_closes_the_round_when_the_rest_are_done() {
    let mut h = everyone(1).joined(&["bob"]).begun();
    h.apply(done("alice"));
    let fx = h.apply(leave("bob"));
    assert_eq!(round_closed(&fx).0, RoundEnd::AllDone);
}

#[test]
fn the_host_leaving_passes_host_to_the_next_participant() {
    let mut h = everyone(2).joined(&["bob", "carol"]).begun();
    assert_eq!(
        h.apply(leave("alice")),
        vec![
            Effect::Left {
                user: "alice".into()
            },
            Effect::HostChanged {
                from: "alice".into(),
                to: "bob".into()
            }
        ]
    );
    assert_eq!(h.s().host, "bob");
    assert_eq!(
        h.apply(next("alice", false)),
        refused(
            "alice",
            Refusal::NotHost {
                action: Control::Next
            }
        )
    );
    assert_eq!(
        round_closed(&h.apply(next("bob", false))).0,
        RoundEnd::HostNext
    );
}

#[test]
fn the_last_participant_leaving_mid_round_stores_their_answer_and_ends() {
    let mut h = everyone(3).begun();
    h.apply(msg("alice", 1, STRONG));
    let fx = h.apply(leave("alice"));
    assert_eq!(records(&fx).len(), 1);
    assert_eq!(round_closed(&fx).0, RoundEnd::Abandoned);
    assert_eq!(scoreboard(&fx).rows[0].answered, 1);
    assert_eq!(fx.last(), Some(&Effect::Closed(CloseReason::Abandoned)));
    assert!(h.session.is_none());
}

// ---- votes ----

#[test]
fn votes_one_per_voter_no_self_only_answerers_and_a_change_replaces() {
    let mut h = everyone(2).joined(&["bob", "carol", "dave"]).begun();
    h.apply(msg("alice", 1, STRONG));
    h.apply(msg("bob", 2, WEAK));
    h.apply(next("alice", false));
    assert_eq!(
        h.apply(vote("alice", 1, "alice")),
        refused("alice", Refusal::NoSelfVote)
    );
    assert_eq!(
        h.apply(vote("alice", 1, "carol")),
        refused("alice", Refusal::NotAnAnswerer)
    );
    assert_eq!(
        h.apply(vote("zed", 1, "alice")),
        refused("zed", Refusal::NotIn)
    );
    assert_eq!(
        h.apply(vote("carol", 2, "alice")),
        refused("carol", Refusal::VotingClosed)
    );
    assert_eq!(
        h.apply(vote("carol", 1, "bob")),
        vec![Effect::Voted {
            voter: "carol".into(),
            round: 1,
            choice: "bob".into(),
            replaced: None
        }]
    );
    assert_eq!(
        h.apply(vote("carol", 1, "alice")),
        vec![Effect::Voted {
            voter: "carol".into(),
            round: 1,
            choice: "alice".into(),
            replaced: Some("bob".into())
        }]
    );
    h.apply(vote("bob", 1, "alice"));
    h.apply(vote("dave", 1, "bob"));
    assert_eq!(
        h.apply(rate("dave", 1, 4, "ok")),
        refused("dave", Refusal::NoPanelInEveryoneMode)
    );
    h.apply(next("alice", false));
    // Round 1's vote is closed once round 2 began.
    assert_eq!(
        h.apply(vote("dave", 1, "alice")),
        refused("dave", Refusal::VotingClosed)
    );
    let fx = h.apply(end("alice", false));
    let board = scoreboard(&fx);
    let votes = |u: &str| board.rows.iter().find(|r| r.user == u).unwrap().votes;
    assert_eq!((votes("alice"), votes("bob"), votes("carol")), (2, 1, 0));
}

// ---- hot seat ----

#[test]
fn hot_seat_rotates_and_counts_only_the_candidates_messages() {
    let mut h = hot_seat(3).joined(&["bob", "carol"]);
    let fx = h.apply(begin("alice", false));
    assert!(matches!(&fx[0], Effect::RoundStarted { candidate: Some(c), .. } if c == "alice"));
    assert!(matches!(
        h.apply(msg("alice", 1, STRONG)).as_slice(),
        [Effect::Collected { .. }]
    ));
    // The panel chats: ignored for scoring, nothing to show.
    assert!(h.apply(msg("bob", 2, "Nice one, I like it")).is_empty());
    assert!(h.apply(msg("carol", 3, "done")).is_empty());
    assert_eq!(h.apply(done("bob")), refused("bob", Refusal::NotYourTurn));
    assert_eq!(h.round().messages.len(), 1);
    let fx = h.apply(done("alice"));
    let recs = records(&fx);
    assert_eq!(recs.len(), 1);
    assert_eq!(
        (recs[0].owner.as_str(), recs[0].answer.as_str()),
        ("alice", STRONG)
    );
    let (why, cards, vote_for) = round_closed(&fx);
    assert_eq!(why, RoundEnd::AllDone);
    assert_eq!(cards.len(), 1);
    assert!(vote_for.is_empty());
    assert_eq!(
        h.apply(vote("bob", 1, "alice")),
        refused("bob", Refusal::NoVotingInHotSeat)
    );

    let fx = h.apply(next("alice", false));
    assert!(
        matches!(fx.last(), Some(Effect::RoundStarted { candidate: Some(c), .. }) if c == "bob")
    );
    h.apply(next("alice", false));
    let fx = h.apply(next("alice", false));
    assert!(
        matches!(fx.last(), Some(Effect::RoundStarted { candidate: Some(c), round: 3, .. }) if c == "carol")
    );
}

#[test]
fn panel_ratings_are_validated_and_delivered_with_the_bot_feedback() {
    let mut h = hot_seat(2).joined(&["bob", "carol"]).begun();
    h.apply(msg("alice", 1, STRONG));
    assert_eq!(
        h.apply(rate("bob", 1, 4, "good")),
        refused("bob", Refusal::RatingClosed)
    );
    h.apply(done("alice"));
    assert_eq!(
        h.apply(rate("alice", 1, 5, "I was great")),
        refused("alice", Refusal::CandidateCannotRate)
    );
    assert_eq!(
        h.apply(rate("bob", 1, 0, "x")),
        refused("bob", Refusal::ScoreOutOfRange { score: 0 })
    );
    assert_eq!(
        h.apply(rate("bob", 1, 6, "x")),
        refused("bob", Refusal::ScoreOutOfRange { score: 6 })
    );
    assert_eq!(
        h.apply(rate("bob", 1, 4, "   ")),
        refused("bob", Refusal::EmptyComment)
    );
    let long = "x".repeat(MAX_COMMENT_CHARS + 1);
    assert_eq!(
        h.apply(rate("bob", 1, 4, &long)),
        refused(
            "bob",
            Refusal::CommentTooLong {
                chars: MAX_COMMENT_CHARS + 1
            }
        )
    );
    assert_eq!(
        h.apply(rate("zed", 1, 4, "hi")),
        refused("zed", Refusal::NotIn)
    );
    assert_eq!(
        h.apply(rate("bob", 1, 4, " Clear result. ")),
        vec![Effect::Rated {
            rater: "bob".into(),
            round: 1
        }]
    );
    assert_eq!(
        h.apply(rate("bob", 1, 2, "again")),
        refused("bob", Refusal::AlreadyRated)
    );
    h.apply(rate("carol", 1, 3, "More on the task."));
    let fx = h.apply(next("alice", false));
    let expected_card = FeedbackItem::from_report("alice", &analyze(STRONG, None).unwrap());
    let Some(Effect::PanelFeedback {
        round,
        candidate,
        feedback,
        ratings,
    }) = fx.first()
    else {
        panic!("{fx:?}")
    };
    assert_eq!((*round, candidate.as_str()), (1, "alice"));
    assert_eq!(
        feedback.as_ref().map(|f| (&f.user, f.star)),
        Some((&expected_card.user, expected_card.star))
    );
    assert_eq!(
        ratings,
        &vec![
            PanelRating {
                rater: "bob".into(),
                score: 4,
                comment: "Clear result.".into()
            },
            PanelRating {
                rater: "carol".into(),
                score: 3,
                comment: "More on the task.".into()
            },
        ]
    );
    assert!(matches!(
        fx.last(),
        Some(Effect::RoundStarted { round: 2, .. })
    ));
    // Rating round 1 after round 2 began is closed.
    assert_eq!(
        h.apply(rate("carol", 1, 5, "late")),
        refused("carol", Refusal::RatingClosed)
    );
    let board = scoreboard(&h.apply(end("alice", false)));
    let alice = board.rows.iter().find(|r| r.user == "alice").unwrap();
    assert_eq!(alice.panel_average, Some(3.5));
    assert_eq!(alice.panel_ratings, 2);
}

#[test]
fn a_silent_candidate_cannot_be_rated() {
    let mut h = hot_seat(1).joined(&["bob"]).begun();
    h.apply(done("alice"));
    assert_eq!(
        h.apply(rate("bob", 1, 3, "?")),
        refused("bob", Refusal::NothingToRate)
    );
    // No comments to deliver for a candidate who did not answer.
    let fx = h.apply(next("alice", false));
    assert!(!fx.iter().any(|e| matches!(e, Effect::PanelFeedback { .. })));
}

#[test]
fn the_candidate_leaving_closes_the_round_with_their_answer() {
    let mut h = hot_seat(2).joined(&["bob", "carol"]).begun();
    h.apply(msg("alice", 1, WEAK));
    let fx = h.apply(leave("alice"));
    assert!(matches!(fx[1], Effect::HostChanged { .. }));
    assert_eq!(records(&fx)[0].answer, WEAK);
    assert_eq!(round_closed(&fx).0, RoundEnd::CandidateLeft);
    // The next seat goes to someone still here.
    let fx = h.apply(next("bob", false));
    assert!(
        matches!(fx.last(), Some(Effect::RoundStarted { candidate: Some(c), .. }) if c == "bob")
    );
}

// ---- rounds, review, scoreboard ----

#[test]
fn the_review_window_starts_the_next_round_on_its_own_and_the_last_one_finishes() {
    let mut h = everyone(2).joined(&["bob"]).begun();
    h.apply(next("alice", false));
    let review_ends = t0() + SignedDuration::from_mins(REVIEW_MINUTES);
    assert_eq!(h.s().next_deadline(), review_ends);
    h.at(REVIEW_MINUTES * 60);
    let fx = h.apply(Event::Tick);
    assert!(
        matches!(fx.as_slice(), [Effect::RoundStarted { round: 2, .. }]),
        "{fx:?}"
    );
    assert_ne!(h.s().asked[0], h.s().asked[1]);
    h.apply(next("alice", false));
    h.at(REVIEW_MINUTES * 120);
    let fx = h.apply(Event::Tick);
    assert_eq!(scoreboard(&fx).rounds_played, 2);
    assert_eq!(fx.last(), Some(&Effect::Closed(CloseReason::Finished)));
    assert!(h.session.is_none());
}

#[test]
fn questions_never_repeat_within_a_session_and_follow_the_lp_focus() {
    let mut s = settings(GroupMode::Everyone, 10, 5, 8);
    s.lp = Some("ownership".into());
    let mut h = Harness::new(s).begun();
    for _ in 0..9 {
        h.apply(next("alice", false));
        h.apply(next("alice", false));
    }
    let asked = &h.s().asked;
    assert_eq!(asked.len(), 10);
    let unique: std::collections::BTreeSet<&String> = asked.iter().collect();
    assert_eq!(unique.len(), 10);
    let focused = h.bank.questions_for("ownership").len().min(10);
    for id in &asked[..focused] {
        let q = h.bank.question(id).unwrap();
        assert!(q.lps.iter().any(|lp| lp == "ownership"), "{id}");
    }
}

#[test]
fn the_scoreboard_averages_scores_counts_votes_and_ranks_missed_sections() {
    let mut h = everyone(2).joined(&["bob", "carol"]).begun();
    h.apply(msg("alice", 1, STRONG));
    h.apply(msg("bob", 2, WEAK));
    let round1 = h.apply(next("alice", false));
    h.apply(vote("bob", 1, "alice"));
    h.apply(vote("carol", 1, "alice"));
    h.apply(vote("alice", 1, "bob"));
    h.apply(next("alice", false));
    h.apply(msg("alice", 3, WEAK));
    h.apply(msg("bob", 4, WEAK));
    let round2 = h.apply(next("alice", false));
    h.apply(vote("carol", 2, "bob"));
    let fx = h.apply(next("alice", false));
    assert_eq!(fx.last(), Some(&Effect::Closed(CloseReason::Finished)));
    let board = scoreboard(&fx);
    let recorded: Vec<&GroupAttempt> = records(&round1)
        .into_iter()
        .chain(records(&round2))
        .collect();
    assert_eq!(recorded.len(), 4);
    let mean_of = |user: &str| {
        let scores: Vec<f64> = recorded
            .iter()
            .filter(|r| r.owner == user)
            .map(|r| f64::from(r.report.score.value))
            .collect();
        scores.iter().sum::<f64>() / scores.len() as f64
    };
    let row = |u: &str| board.rows.iter().find(|r| r.user == u).unwrap().clone();
    assert_eq!(board.rounds_played, 2);
    assert_eq!(row("alice").average_score, Some(mean_of("alice")));
    assert_eq!((row("alice").answered, row("alice").votes), (2, 2));
    assert_eq!(row("bob").average_score, Some(mean_of("bob")));
    assert_eq!((row("bob").answered, row("bob").votes), (2, 2));
    assert_eq!(
        (row("carol").average_score, row("carol").answered),
        (None, 0)
    );
    // Alice answered STRONG once, so she ranks above Bob; Carol never answered: last.
    let users: Vec<&str> = board.rows.iter().map(|r| r.user.as_str()).collect();
    assert_eq!(users, vec!["alice", "bob", "carol"]);
    // The missed sections are those of the four recorded answers, most missed first.
    let mut expected: Vec<(Section, u32)> = Section::STAR
        .into_iter()
        .map(|section| {
            let n = recorded
                .iter()
                .filter(|r| r.report.missing.contains(&section))
                .count();
            (section, n as u32)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    expected.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    assert_eq!(board.most_missed, expected);
    // WEAK was answered three times and misses at least one section each time.
    assert!(
        board.most_missed.first().is_some_and(|(_, n)| *n == 3),
        "{:?}",
        board.most_missed
    );
}

#[test]
fn a_mid_round_session_survives_a_restart_and_a_tick_closes_it() {
    let mut h = Harness::new(settings(GroupMode::Everyone, 2, 3, 8))
        .joined(&["bob"])
        .begun();
    h.apply(msg("alice", 1, STRONG));
    h.apply(msg("bob", 2, WEAK));
    h.apply(msg("bob", 3, "I also wrote the runbook."));
    h.apply(done("alice"));
    h.at(125);
    h.apply(Event::Tick); // the warning
    let text = serde_json::to_string(h.s()).unwrap();
    let restored: GroupSession = serde_json::from_str(&text).unwrap();
    assert_eq!(&restored, h.s());
    // The adapter re-arms from the stored deadline, wakes late, and ticks.
    assert_eq!(
        restored.next_deadline(),
        t0() + SignedDuration::from_mins(3)
    );
    h.session = Some(restored);
    h.at(600);
    let fx = h.apply(Event::Tick);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Warning { .. })),
        "warned once already"
    );
    let recs = records(&fx);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1].answer, format!("{WEAK}\nI also wrote the runbook."));
    assert_eq!(recs[0].finished_at, h.now);
    assert_eq!(round_closed(&fx).0, RoundEnd::Deadline);
    // And the round after the restart goes on normally.
    let again = serde_json::to_string(h.s()).unwrap();
    let restored: GroupSession = serde_json::from_str(&again).unwrap();
    assert_eq!(&restored, h.s());
}

// ---- settings ----

#[test]
fn settings_take_config_defaults_and_name_bad_options() {
    let bank = Bank::builtin();
    let config = GroupConfig {
        max_participants: 8,
        default_rounds: 3,
        answer_minutes: 4,
    };
    let s = Settings::resolve(&Requested::default(), &config, &bank).unwrap();
    assert_eq!(s, settings(GroupMode::Everyone, 3, 4, 8));
    let s = Settings::resolve(
        &Requested {
            lp: Some("Disagree and Commit".into()),
            mode: Some(GroupMode::HotSeat),
            ..Requested::default()
        },
        &config,
        &bank,
    )
    .unwrap();
    assert_eq!(s.lp.as_deref(), Some("have-backbone-disagree-and-commit"));
    assert_eq!(s.mode, GroupMode::HotSeat);
    let bad = |r: Requested| Settings::resolve(&r, &config, &bank).unwrap_err();
    assert_eq!(
        bad(Requested {
            rounds: Some(0),
            ..Requested::default()
        }),
        SettingsError::Rounds(0)
    );
    assert_eq!(
        bad(Requested {
            answer_minutes: Some(31),
            ..Requested::default()
        })
        .to_string(),
        "answer_minutes must be between 1 and 30, not 31"
    );
    let err = bad(Requested {
        lp: Some("Customer Obsesion".into()),
        ..Requested::default()
    });
    assert!(
        err.to_string()
            .contains("did you mean \"Customer Obsession\""),
        "{err}"
    );
}

#[test]
fn a_replay_of_an_earlier_rounds_message_is_not_an_answer_to_the_next() {
    let mut h = everyone(2).joined(&["bob"]).begun();
    h.apply(msg("bob", 40, WEAK));
    h.apply(next("alice", false));
    // Chat between rounds moves the mark too.
    h.apply(msg("alice", 45, "good luck all"));
    h.apply(next("alice", false));
    assert!(h.apply(msg("bob", 40, WEAK)).is_empty());
    assert!(h.apply(msg("alice", 45, "good luck all")).is_empty());
    assert!(matches!(
        h.apply(msg("bob", 46, WEAK)).as_slice(),
        [Effect::Collected { .. }]
    ));
    // The mark survives a restart.
    let restored: GroupSession =
        serde_json::from_str(&serde_json::to_string(h.s()).unwrap()).unwrap();
    assert_eq!(&restored, h.s());
}
