//! Votes, the review window, the scoreboard and restarts.

use super::*;

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
