//! Random event sequences (joins, leaves, messages, edits, deletes, done, next, end, ticks,
//! votes, ratings, restarts, clicks by the wrong user) against the invariants of a group session.

use std::collections::{BTreeMap, BTreeSet};

use jiff::SignedDuration;
use proptest::prelude::*;

use super::tests::{settings, t0, STRONG, WEAK};
use super::*;

const USERS: [&str; 6] = ["u0", "u1", "u2", "u3", "u4", "u5"];
const TEXTS: [&str; 8] = [
    STRONG,
    WEAK,
    "I measured it: 30% faster.",
    "done",
    "Done!",
    "   ",
    "",
    "We did it together, honestly.",
];

#[derive(Debug, Clone)]
enum Op {
    Join(usize),
    Leave(usize),
    Begin(usize, bool),
    Next(usize, bool),
    End(usize, bool),
    /// `fresh`: a new id above every id so far; otherwise a replay of an earlier id.
    Message(usize, bool, u64, usize),
    Edit(u64, usize),
    Delete(u64),
    Done(usize),
    Vote(usize, u32, usize),
    Rate(usize, u32, u8, usize),
    Tick(i64),
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0..USERS.len();
    let text = 0..TEXTS.len();
    prop_oneof![
        3 => user.clone().prop_map(Op::Join),
        1 => user.clone().prop_map(Op::Leave),
        2 => (user.clone(), any::<bool>()).prop_map(|(u, m)| Op::Begin(u, m)),
        2 => (user.clone(), any::<bool>()).prop_map(|(u, m)| Op::Next(u, m)),
        1 => (user.clone(), prop::bool::weighted(0.2)).prop_map(|(u, m)| Op::End(u, m)),
        8 => (user.clone(), prop::bool::weighted(0.8), 0..40u64, text.clone())
            .prop_map(|(u, f, id, t)| Op::Message(u, f, id, t)),
        2 => (0..40u64, text.clone()).prop_map(|(id, t)| Op::Edit(id, t)),
        1 => (0..40u64).prop_map(Op::Delete),
        2 => user.clone().prop_map(Op::Done),
        2 => (user.clone(), 0..4u32, user.clone()).prop_map(|(v, r, c)| Op::Vote(v, r, c)),
        2 => (user, 0..4u32, 0..7u8, text).prop_map(|(u, r, s, t)| Op::Rate(u, r, s, t)),
        2 => (0..200i64).prop_map(Op::Tick),
        1 => Just(Op::Restart),
    ]
}

/// The collected messages as the adapter saw them acknowledged: (round, id) → (author, text).
type Acked = BTreeMap<(u32, u64), (String, String)>;

fn actor(event: &Event) -> Option<&str> {
    match event {
        Event::Join { user }
        | Event::Leave { user }
        | Event::Begin { user, .. }
        | Event::Next { user, .. }
        | Event::End { user, .. }
        | Event::Message { user, .. }
        | Event::Done { user } => Some(user),
        Event::Vote { voter, .. } => Some(voter),
        Event::Rate { rater, .. } => Some(rater),
        Event::Edit { .. } | Event::Delete { .. } | Event::Tick => None,
    }
}

fn check_open(s: &GroupSession) -> Result<(), TestCaseError> {
    prop_assert!(
        s.is_participant(&s.host),
        "host {} not in {:?}",
        s.host,
        s.participants
    );
    let unique: BTreeSet<&String> = s.participants.iter().collect();
    prop_assert_eq!(unique.len(), s.participants.len());
    prop_assert!(s.participants.len() <= usize::from(s.settings.max_participants));
    prop_assert!(s.asked.len() <= usize::from(s.settings.rounds));
    for p in &s.participants {
        prop_assert!(s.tallies.contains_key(p));
    }
    match &s.phase {
        Phase::Lobby { .. } => prop_assert!(s.asked.is_empty()),
        Phase::Answering(round) => {
            prop_assert_eq!(round.number, s.round_number());
            prop_assert!(round.started_at < round.deadline);
            for m in round.messages.values() {
                prop_assert!(!m.text.trim().is_empty());
                if let Some(c) = &round.candidate {
                    prop_assert_eq!(&m.author, c);
                }
            }
        }
        Phase::Review(review) => {
            prop_assert_eq!(review.number, s.round_number());
            for (voter, choice) in &review.votes {
                prop_assert!(voter != choice);
                prop_assert!(review.answerers.contains(choice));
            }
            for r in review.ratings.values() {
                prop_assert!((1..=5).contains(&r.score));
                prop_assert!(Some(&r.rater) != review.candidate.as_ref());
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_invariants(
        hot_seat in any::<bool>(),
        rounds in 1u8..4,
        answer_minutes in 1u32..4,
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mode = if hot_seat { GroupMode::HotSeat } else { GroupMode::Everyone };
        let bank = Bank::builtin();
        let mut now = t0();
        let mut session = Some(GroupSession::start(
            "g".into(),
            "c".into(),
            "u0".into(),
            settings(mode, rounds, answer_minutes, 4),
            3,
            now,
        ));
        let mut acked: Acked = BTreeMap::new();
        let mut recorded: BTreeSet<(u32, String)> = BTreeSet::new();
        let mut ids: BTreeSet<String> = BTreeSet::new();
        let mut warned: BTreeSet<u32> = BTreeSet::new();
        let mut next_id = 100u64;

        for op in ops {
            let Some(s) = session.take() else { break };
            let event = match op {
                Op::Join(u) => Event::Join { user: USERS[u].into() },
                Op::Leave(u) => Event::Leave { user: USERS[u].into() },
                Op::Begin(u, m) => Event::Begin { user: USERS[u].into(), can_manage: m },
                Op::Next(u, m) => Event::Next { user: USERS[u].into(), can_manage: m },
                Op::End(u, m) => Event::End { user: USERS[u].into(), can_manage: m },
                Op::Message(u, fresh, id, t) => {
                    let id = if fresh { next_id += 1; next_id } else { 100 + id };
                    Event::Message { user: USERS[u].into(), id, text: TEXTS[t].into() }
                }
                Op::Edit(id, t) => Event::Edit { id: 100 + id, text: TEXTS[t].into() },
                Op::Delete(id) => Event::Delete { id: 100 + id },
                Op::Done(u) => Event::Done { user: USERS[u].into() },
                Op::Vote(v, r, c) => Event::Vote { voter: USERS[v].into(), round: r, choice: USERS[c].into() },
                Op::Rate(u, r, score, t) => Event::Rate { rater: USERS[u].into(), round: r, score, comment: TEXTS[t].into() },
                Op::Tick(secs) => {
                    now += SignedDuration::from_secs(secs);
                    Event::Tick
                }
                Op::Restart => {
                    let text = serde_json::to_string(&s).unwrap();
                    let restored: GroupSession = serde_json::from_str(&text).unwrap();
                    prop_assert_eq!(&restored, &s);
                    session = Some(restored);
                    continue;
                }
            };
            let round_before = match &s.phase {
                Phase::Answering(r) => Some(r.number),
                _ => None,
            };
            let who = actor(&event).map(str::to_string);
            let step = s.apply(event.clone(), &Context { bank: &bank, now });

            let mut closed_rounds = Vec::new();
            for (i, effect) in step.effects.iter().enumerate() {
                match effect {
                    Effect::Refused { user, .. } => {
                        prop_assert_eq!(Some(user), who.as_ref(), "refusals go to the actor");
                    }
                    Effect::Collected { user, message_id, .. } => {
                        let Event::Message { text, .. } = &event else {
                            return Err(TestCaseError::fail("Collected without a message"));
                        };
                        let round = round_before.expect("collected outside a round");
                        prop_assert!(acked.insert((round, *message_id), (user.clone(), text.clone())).is_none());
                    }
                    Effect::Edited { message_id } => {
                        let Event::Edit { text, .. } = &event else {
                            return Err(TestCaseError::fail("Edited without an edit"));
                        };
                        let round = round_before.expect("edited outside a round");
                        let entry = acked.get_mut(&(round, *message_id));
                        prop_assert!(entry.is_some());
                        if let Some(entry) = entry {
                            entry.1 = text.clone();
                        }
                    }
                    Effect::Removed { message_id } => {
                        let round = round_before.expect("removed outside a round");
                        prop_assert!(acked.remove(&(round, *message_id)).is_some());
                    }
                    Effect::Warning { round, .. } => {
                        prop_assert!(warned.insert(*round), "warning twice for round {}", round);
                    }
                    Effect::Record(a) => {
                        prop_assert!(recorded.insert((a.round, a.owner.clone())), "recorded twice: {:?}", (a.round, &a.owner));
                        prop_assert!(ids.insert(a.id.clone()));
                        let parts: Vec<&str> = acked
                            .range((a.round, 0)..=(a.round, u64::MAX))
                            .filter(|(_, (author, _))| *author == a.owner)
                            .map(|(_, (_, text))| text.as_str())
                            .collect();
                        prop_assert_eq!(&a.answer, &parts.join("\n"), "answer = acknowledged messages in order");
                        prop_assert!(
                            step.effects[i..].iter().any(|e| matches!(e, Effect::RoundClosed { .. })),
                            "a record comes before its round's feedback"
                        );
                    }
                    Effect::RoundClosed { round, feedback, .. } => {
                        closed_rounds.push(*round);
                        // Everyone with an acknowledged message this round was recorded.
                        let answered: BTreeSet<&String> = acked
                            .range((*round, 0)..=(*round, u64::MAX))
                            .map(|(_, (author, _))| author)
                            .collect();
                        let stored: BTreeSet<&String> = recorded
                            .iter()
                            .filter(|(r, _)| r == round)
                            .map(|(_, u)| u)
                            .collect();
                        prop_assert_eq!(&answered, &stored, "nothing acknowledged is lost");
                        prop_assert_eq!(feedback.len(), stored.len());
                    }
                    Effect::Closed(_) => {
                        prop_assert_eq!(i + 1, step.effects.len(), "Closed comes last");
                    }
                    _ => {}
                }
            }
            prop_assert!(closed_rounds.len() <= 1);
            let closed = matches!(step.effects.last(), Some(Effect::Closed(_)));
            prop_assert_eq!(closed, step.session.is_none());
            if let Some(s) = &step.session {
                check_open(s)?;
            }
            session = step.session;
        }
    }
}
