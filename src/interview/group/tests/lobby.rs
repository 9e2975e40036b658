//! The lobby: joining, leaving, who may begin, expiry, and the settings.

use super::*;

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

#[test]
fn settings_take_config_defaults_and_name_bad_options() {
    let bank = Bank::builtin();
    let config = GroupConfig {
        max_participants: 8,
        default_rounds: 3,
        answer_minutes: 4,
        ..GroupConfig::default()
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
