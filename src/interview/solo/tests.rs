use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use super::*;

fn t0() -> Timestamp {
    "2026-11-29T10:00:00Z".parse().unwrap()
}

struct Fixture {
    bank: Bank,
    config: InterviewConfig,
}

impl Fixture {
    fn new() -> Self {
        Self {
            bank: Bank::builtin(),
            config: InterviewConfig::default(),
        }
    }

    fn ctx(&self, minutes_later: i64) -> Context<'_> {
        Context {
            bank: &self.bank,
            config: &self.config,
            now: t0() + SignedDuration::from_mins(minutes_later),
        }
    }

    fn session(&self) -> SoloSession {
        let question = self.bank.questions()[0].id.clone();
        SoloSession::start("s1".into(), "local:ann".into(), question, t0())
    }
}

fn message(id: u64, text: &str) -> Event {
    Event::Message {
        id,
        text: text.into(),
    }
}

const S: &str = "Last year I ran support for a payroll product and refunds were taking two weeks.";
const T: &str = "My goal was to get refunds under three days before the holiday peak.";
const A: &str = "I rewrote the refund runbook and I automated the bank file upload with Python.";
const R: &str = "Refund time fell from 14 days to 2 days and complaints dropped by 40%.";

#[test]
fn messages_are_collected_once_in_id_order() {
    let f = Fixture::new();
    let s = f.session();
    let s = s.apply(message(20, T), &f.ctx(1)).session.unwrap();
    let s = s.apply(message(10, S), &f.ctx(2)).session.unwrap();
    // A replayed event changes nothing and says nothing.
    let step = s.clone().apply(message(10, S), &f.ctx(3));
    assert!(step.effects.is_empty());
    assert_eq!(step.session.as_ref(), Some(&s));
    assert_eq!(s.answer(), format!("{S}\n{T}"));
}

#[test]
fn done_records_before_feedback_and_asks_a_follow_up() {
    let f = Fixture::new();
    let mut s = f.session();
    for (id, text) in [(1, S), (2, T), (3, A)] {
        s = s.apply(message(id, text), &f.ctx(1)).session.unwrap();
    }
    let step = s.apply(Event::Done, &f.ctx(2));
    assert!(
        matches!(step.effects[0], Effect::Record(_)),
        "{:?}",
        step.effects
    );
    let Effect::Feedback { report, follow_up } = &step.effects[1] else {
        panic!("feedback second: {:?}", step.effects)
    };
    assert!(!report.star.result, "no result in S/T/A");
    assert!(follow_up.is_some());
    let s = step.session.expect("waits for the follow-up answer");
    assert_eq!(s.phase, Phase::FollowUp);
    assert!(s.attempt_recorded);

    // Done again without a follow-up answer ends the interview; nothing recorded twice.
    let step = s.clone().apply(Event::Done, &f.ctx(3));
    assert_eq!(step.effects, vec![Effect::Closed(CloseReason::Finished)]);
    assert!(step.session.is_none());

    // With a follow-up answer, the whole answer is analysed again under the same id.
    let s = s.apply(message(4, R), &f.ctx(3)).session.unwrap();
    let step = s.apply(Event::Done, &f.ctx(4));
    let Effect::Record(draft) = &step.effects[0] else {
        panic!("{:?}", step.effects)
    };
    assert_eq!(draft.id, "s1");
    assert!(draft.report.star.result);
    assert!(draft.answer.ends_with(R));
}

#[test]
fn follow_ups_stop_at_the_configured_maximum() {
    let mut f = Fixture::new();
    f.config.max_follow_ups = 1;
    let s = f.session().apply(message(1, S), &f.ctx(0)).session.unwrap();
    let s = s.apply(Event::Done, &f.ctx(1)).session.unwrap();
    let s = s.apply(message(2, A), &f.ctx(2)).session.unwrap();
    let step = s.apply(Event::Done, &f.ctx(3));
    assert!(step.session.is_none());
    assert_eq!(
        step.effects.last(),
        Some(&Effect::Closed(CloseReason::Finished))
    );
    let Some(Effect::Feedback { follow_up, .. }) = step.effects.get(1) else {
        panic!("{:?}", step.effects)
    };
    assert!(follow_up.is_none());
}

#[test]
fn done_with_nothing_collected_says_so_and_keeps_the_session() {
    let f = Fixture::new();
    let step = f.session().apply(Event::Done, &f.ctx(0));
    assert_eq!(step.effects, vec![Effect::NothingToAnalyse]);
    assert!(step.session.is_some());
}

#[test]
fn edits_replace_and_deletes_remove() {
    let f = Fixture::new();
    let s = f.session().apply(message(1, S), &f.ctx(0)).session.unwrap();
    let s = s.apply(message(2, T), &f.ctx(0)).session.unwrap();
    let edit = Event::Edit {
        id: 2,
        text: R.into(),
    };
    let s = s.apply(edit, &f.ctx(1)).session.unwrap();
    assert_eq!(s.answer(), format!("{S}\n{R}"));
    let s = s.apply(Event::Delete { id: 1 }, &f.ctx(1)).session.unwrap();
    assert_eq!(s.answer(), R);
    // An edit of an unknown message is ignored.
    let step = s.clone().apply(
        Event::Edit {
            id: 99,
            text: "x".into(),
        },
        &f.ctx(1),
    );
    assert!(step.effects.is_empty());
}

#[test]
fn the_size_limit_refuses_a_message_and_says_the_limit() {
    let f = Fixture::new();
    let big = "a".repeat(MAX_ANSWER_CHARS - 10);
    let s = f
        .session()
        .apply(message(1, &big), &f.ctx(0))
        .session
        .unwrap();
    let step = s.apply(message(2, "this pushes it over the limit"), &f.ctx(0));
    assert!(matches!(
        step.effects[0],
        Effect::TooLong {
            limit: MAX_ANSWER_CHARS,
            ..
        }
    ));
    assert_eq!(step.session.unwrap().messages.len(), 1);
}

#[test]
fn idle_reminds_once_then_expires_and_stores() {
    let f = Fixture::new();
    let s = f.session().apply(message(1, S), &f.ctx(0)).session.unwrap();
    let step = s.apply(Event::Tick, &f.ctx(5));
    assert!(step.effects.is_empty());
    let step = step.session.unwrap().apply(Event::Tick, &f.ctx(10));
    assert_eq!(step.effects, vec![Effect::Reminder { idle_minutes: 10 }]);
    let step = step.session.unwrap().apply(Event::Tick, &f.ctx(11));
    assert!(step.effects.is_empty(), "reminded once");
    let step = step.session.unwrap().apply(Event::Tick, &f.ctx(30));
    assert!(step.session.is_none());
    assert!(matches!(step.effects[0], Effect::Record(_)));
    assert_eq!(
        step.effects.last(),
        Some(&Effect::Closed(CloseReason::Expired))
    );
}

/// Ticks before `next_tick_at` change nothing; the tick at it does something (a reminder or
/// expiry). The Discord adapter relies on both to skip idle sessions without loading them.
#[test]
fn next_tick_at_is_exactly_when_a_tick_first_matters() {
    let f = Fixture::new();
    let just_before = |at: Timestamp| at - SignedDuration::from_secs(1);
    let ctx_at = |now: Timestamp| Context {
        bank: &f.bank,
        config: &f.config,
        now,
    };
    let s = f.session().apply(message(1, S), &f.ctx(3)).session.unwrap();
    let first = s.next_tick_at(&f.config);
    assert_eq!(first, t0() + SignedDuration::from_mins(3 + 10));
    let quiet = s.clone().apply(Event::Tick, &ctx_at(just_before(first)));
    assert!(quiet.effects.is_empty());
    assert_eq!(quiet.session.as_ref(), Some(&s));

    let reminded = s.apply(Event::Tick, &ctx_at(first));
    assert_eq!(
        reminded.effects,
        vec![Effect::Reminder { idle_minutes: 10 }]
    );
    let s = reminded.session.unwrap();
    let second = s.next_tick_at(&f.config);
    assert_eq!(second, t0() + SignedDuration::from_mins(3 + 30));
    let quiet = s.clone().apply(Event::Tick, &ctx_at(just_before(second)));
    assert!(quiet.effects.is_empty());
    assert_eq!(quiet.session.as_ref(), Some(&s));
    let expired = s.apply(Event::Tick, &ctx_at(second));
    assert!(expired.session.is_none());
}

#[test]
fn an_empty_session_expires_without_storing() {
    let f = Fixture::new();
    let step = f.session().apply(Event::Tick, &f.ctx(30));
    assert_eq!(
        step.effects,
        vec![Effect::Closed(CloseReason::ExpiredEmpty)]
    );
}

#[test]
fn skip_changes_the_question_and_drops_the_answer() {
    let f = Fixture::new();
    let other = f.bank.questions()[1].id.clone();
    let s = f.session().apply(message(1, S), &f.ctx(0)).session.unwrap();
    let step = s.apply(
        Event::Skip {
            question_id: other.clone(),
        },
        &f.ctx(1),
    );
    assert_eq!(
        step.effects,
        vec![Effect::Ask {
            question_id: other.clone()
        }]
    );
    let s = step.session.unwrap();
    assert_eq!(s.question_id, other);
    assert!(s.messages.is_empty());
    assert_eq!(s.skipped.len(), 1);
}

#[test]
fn done_command_spellings() {
    for yes in ["done", "Done", " DONE. ", "done!"] {
        assert!(is_done_command(yes), "{yes}");
    }
    for no in ["done with that", "I'm done", "", "don"] {
        assert!(!is_done_command(no), "{no}");
    }
}

#[test]
fn a_session_survives_serde_as_is() {
    let f = Fixture::new();
    let s = f.session().apply(message(7, S), &f.ctx(0)).session.unwrap();
    let json = serde_json::to_value(&s).unwrap();
    let back: SoloSession = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);
}

#[derive(Debug, Clone)]
enum Op {
    Message(u64, String),
    Edit(u64, String),
    Delete(u64),
    Done,
    Hint,
    Tick(i64),
    Cancel,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u64..12, "\\PC{0,80}").prop_map(|(i, t)| Op::Message(i, t)),
        1 => (0u64..12, "\\PC{0,80}").prop_map(|(i, t)| Op::Edit(i, t)),
        1 => (0u64..12).prop_map(Op::Delete),
        1 => Just(Op::Done),
        1 => Just(Op::Hint),
        1 => (0i64..40).prop_map(Op::Tick),
        1 => Just(Op::Cancel),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Random event sequences: the answer always equals the collected messages in id order,
    /// an attempt is recorded at most once per Done, and a closed session stays closed.
    #[test]
    fn invariants_hold_for_random_event_sequences(ops in prop::collection::vec(op(), 0..40)) {
        let f = Fixture::new();
        let mut session = Some(f.session());
        let mut model: std::collections::BTreeMap<u64, String> = Default::default();
        let mut minutes = 0;
        for op in ops {
            let Some(s) = session.take() else { break };
            let event = match &op {
                Op::Message(i, t) => Event::Message { id: *i, text: t.clone() },
                Op::Edit(i, t) => Event::Edit { id: *i, text: t.clone() },
                Op::Delete(i) => Event::Delete { id: *i },
                Op::Done => Event::Done,
                Op::Hint => Event::Hint,
                Op::Tick(m) => { minutes += m; Event::Tick }
                Op::Cancel => Event::Cancel,
            };
            let step = s.apply(event, &f.ctx(minutes));
            let records = step.effects.iter().filter(|e| matches!(e, Effect::Record(_))).count();
            prop_assert!(records <= 1);
            match &op {
                Op::Message(i, t) if !t.trim().is_empty() => { model.entry(*i).or_insert_with(|| t.clone()); }
                Op::Edit(i, t) if model.contains_key(i) => {
                    if t.trim().is_empty() { model.remove(i); } else { model.insert(*i, t.clone()); }
                }
                Op::Delete(i) => { model.remove(i); }
                _ => {}
            }
            if let Some(next) = &step.session {
                let expected: Vec<&str> = model.values().map(String::as_str).collect();
                prop_assert_eq!(next.answer(), expected.join("\n"));
            }
            session = step.session;
        }
    }
}
