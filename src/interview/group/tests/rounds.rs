//! Everyone-mode rounds: collection per author, edits, done, timers, joining and leaving.

use super::*;

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
