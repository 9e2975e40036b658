//! Hot seat rounds: rotation, the candidate alone answers, panel ratings.

use super::*;

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
