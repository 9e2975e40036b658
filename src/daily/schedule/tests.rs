use super::*;

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

fn schedule(time: &str, zone: &str) -> DailySchedule {
    DailySchedule {
        channel_id: 42,
        time: parse_time(time).unwrap(),
        timezone: parse_timezone(zone).unwrap(),
        lp: None,
        role_id: None,
        enabled: true,
    }
}

/// The wall-clock reading of `at` in the schedule's zone, e.g. "2026-03-29T03:00:00".
fn wall(at: Timestamp, schedule: &DailySchedule) -> String {
    schedule
        .timezone
        .time_zone()
        .to_datetime(at)
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

#[test]
fn parse_time_accepts_24_hour_clock() {
    let time = parse_time("07:30").unwrap();
    assert_eq!((time.hour(), time.minute()), (7, 30));
    assert_eq!(parse_time("7:05").unwrap().to_string(), "07:05");
    assert_eq!(parse_time(" 23:59 ").unwrap().to_string(), "23:59");
    assert_eq!(parse_time("00:00").unwrap().to_string(), "00:00");
}

#[test]
fn parse_time_refuses_other_shapes_with_the_reason() {
    for bad in [
        "7.30", "0730", "7pm", "", ":30", "07:3", "07:300", "+7:30", "07:30:00",
    ] {
        assert_eq!(
            parse_time(bad),
            Err(ScheduleError::TimeFormat {
                given: bad.trim().to_string()
            }),
            "{bad:?}"
        );
    }
    let err = parse_time("25:00").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid time \"25:00\": the hour must be 00 to 23"
    );
    let err = parse_time("07:60").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid time \"07:60\": the minute must be 00 to 59"
    );
    assert!(parse_time("7.30")
        .unwrap_err()
        .to_string()
        .contains("use 24-hour HH:MM, for example 07:30"));
}

#[test]
fn parse_timezone_knows_iana_names_and_explains_unknown_ones() {
    assert_eq!(
        parse_timezone("Europe/Berlin").unwrap().name(),
        "Europe/Berlin"
    );
    assert_eq!(
        parse_timezone("Asia/Kolkata").unwrap().name(),
        "Asia/Kolkata"
    );
    let err = parse_timezone("Europe/Berln").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown timezone \"Europe/Berln\": use an IANA name such as Europe/Berlin or America/New_York"
    );
    for bad in [
        "",
        "CEST+2",
        "/etc/passwd",
        "../../etc/localtime",
        "Mars/Olympus",
    ] {
        assert!(
            matches!(
                parse_timezone(bad),
                Err(ScheduleError::UnknownTimezone { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn schedule_round_trips_through_json_and_refuses_bad_stored_values() {
    let mut original = schedule("07:30", "Europe/Berlin");
    original.lp = Some("Ownership".to_string());
    original.role_id = Some(7);
    let json = serde_json::to_string(&original).unwrap();
    assert!(json.contains("\"time\":\"07:30\""), "{json}");
    assert!(json.contains("\"timezone\":\"Europe/Berlin\""), "{json}");
    let back: DailySchedule = serde_json::from_str(&json).unwrap();
    assert_eq!(back, original);

    let bad_zone = json.replace("Europe/Berlin", "Europe/Berln");
    let err = serde_json::from_str::<DailySchedule>(&bad_zone).unwrap_err();
    assert!(err.to_string().contains("unknown timezone"), "{err}");
    let bad_time = json.replace("07:30", "7.30");
    let err = serde_json::from_str::<DailySchedule>(&bad_time).unwrap_err();
    assert!(err.to_string().contains("invalid time"), "{err}");
}

#[test]
fn next_post_on_an_ordinary_day_is_today_then_tomorrow() {
    let s = schedule("07:30", "Europe/Berlin");
    // 05:00 UTC in November is 06:00 in Berlin (CET, +01).
    let next = next_post_after(ts("2026-11-10T05:00:00Z"), &s);
    assert_eq!(next, ts("2026-11-10T06:30:00Z"));
    let after = next_post_after(ts("2026-11-10T07:00:00Z"), &s);
    assert_eq!(after, ts("2026-11-11T06:30:00Z"));
}

#[test]
fn a_post_time_exactly_at_now_is_due_now_and_the_next_one_is_tomorrow() {
    let s = schedule("07:30", "Asia/Kolkata");
    let now = ts("2026-06-01T02:00:00Z"); // 07:30 IST (+05:30)
    assert_eq!(wall(now, &s), "2026-06-01T07:30:00");
    assert_eq!(due_post(now, &s, None), Some(date("2026-06-01")));
    assert_eq!(next_post_after(now, &s), ts("2026-06-02T02:00:00Z"));
    // One nanosecond before, nothing is due and the next post is exactly then.
    let just_before = ts("2026-06-01T01:59:59.999999999Z");
    assert_eq!(due_post(just_before, &s, None), None);
    assert_eq!(next_post_after(just_before, &s), now);
}

#[test]
fn kolkata_has_a_half_hour_offset_and_no_dst() {
    let s = schedule("00:15", "Asia/Kolkata");
    // 00:15 IST is 18:45 UTC the day before, all year round.
    for (now, expected) in [
        ("2026-01-10T12:00:00Z", "2026-01-10T18:45:00Z"),
        ("2026-07-10T12:00:00Z", "2026-07-10T18:45:00Z"),
        ("2026-07-10T19:00:00Z", "2026-07-11T18:45:00Z"),
    ] {
        assert_eq!(next_post_after(ts(now), &s), ts(expected), "{now}");
    }
    assert_eq!(
        local_date(ts("2026-07-10T18:45:00Z"), &s.timezone),
        date("2026-07-11")
    );
}

#[test]
fn berlin_spring_forward_posts_a_missing_time_at_the_end_of_the_gap() {
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00 UTC, so 02:30 does not exist.
    let s = schedule("02:30", "Europe/Berlin");
    let next = next_post_after(ts("2026-03-28T23:00:00Z"), &s);
    assert_eq!(next, ts("2026-03-29T01:00:00Z"));
    assert_eq!(wall(next, &s), "2026-03-29T03:00:00");
    // The day after, 02:30 exists again (CEST, +02).
    let following = next_post_after(next, &s);
    assert_eq!(following, ts("2026-03-30T00:30:00Z"));
    // The day before, 02:30 CET (+01).
    assert_eq!(
        next_post_after(ts("2026-03-27T23:00:00Z"), &s),
        ts("2026-03-28T01:30:00Z")
    );
}

#[test]
fn berlin_spring_forward_shifts_an_ordinary_time_by_the_offset_only() {
    let s = schedule("07:30", "Europe/Berlin");
    assert_eq!(
        next_post_after(ts("2026-03-28T07:00:00Z"), &s),
        ts("2026-03-29T05:30:00Z")
    );
    assert_eq!(
        next_post_after(ts("2026-03-27T07:00:00Z"), &s),
        ts("2026-03-28T06:30:00Z")
    );
}

#[test]
fn berlin_fall_back_posts_a_repeated_time_once_at_the_earlier_instant() {
    // 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00 UTC; 02:30 happens twice
    // (00:30 UTC and 01:30 UTC).
    let s = schedule("02:30", "Europe/Berlin");
    let first = next_post_after(ts("2026-10-24T23:00:00Z"), &s);
    assert_eq!(first, ts("2026-10-25T00:30:00Z"));
    // Between the two readings of 02:30 the next post is tomorrow's, not the second reading.
    let between = ts("2026-10-25T01:00:00Z");
    assert_eq!(next_post_after(first, &s), ts("2026-10-26T01:30:00Z"));
    assert_eq!(next_post_after(between, &s), ts("2026-10-26T01:30:00Z"));
    let posted = Some(date("2026-10-25"));
    assert_eq!(due_post(ts("2026-10-25T01:30:00Z"), &s, posted), None);
    assert_eq!(due_post(ts("2026-10-25T01:45:00Z"), &s, posted), None);
}

#[test]
fn new_york_spring_forward_and_fall_back() {
    // 2026-03-08: 02:00 EST -> 03:00 EDT at 07:00 UTC.
    let s = schedule("02:30", "America/New_York");
    let spring = next_post_after(ts("2026-03-08T05:00:00Z"), &s);
    assert_eq!(spring, ts("2026-03-08T07:00:00Z"));
    assert_eq!(wall(spring, &s), "2026-03-08T03:00:00");

    // 2026-11-01: 02:00 EDT -> 01:00 EST at 06:00 UTC; 01:30 happens at 05:30 and 06:30 UTC.
    let s = schedule("01:30", "America/New_York");
    let fall = next_post_after(ts("2026-11-01T04:00:00Z"), &s);
    assert_eq!(fall, ts("2026-11-01T05:30:00Z"));
    assert_eq!(
        next_post_after(ts("2026-11-01T06:00:00Z"), &s),
        ts("2026-11-02T06:30:00Z")
    );
    assert_eq!(
        due_post(ts("2026-11-01T06:30:00Z"), &s, Some(date("2026-11-01"))),
        None
    );
}

#[test]
fn sydney_changes_clocks_the_other_way_round() {
    // Southern hemisphere: DST ends 2026-04-05 (03:00 AEDT -> 02:00 AEST at 16:00 UTC on the
    // 4th) and starts 2026-10-04 (02:00 AEST -> 03:00 AEDT at 16:00 UTC on the 3rd).
    let s = schedule("02:30", "Australia/Sydney");
    let fall = next_post_after(ts("2026-04-04T12:00:00Z"), &s);
    assert_eq!(fall, ts("2026-04-04T15:30:00Z")); // 02:30 AEDT, the earlier reading
    assert_eq!(next_post_after(fall, &s), ts("2026-04-05T16:30:00Z"));

    let spring = next_post_after(ts("2026-10-03T12:00:00Z"), &s);
    assert_eq!(spring, ts("2026-10-03T16:00:00Z"));
    assert_eq!(wall(spring, &s), "2026-10-04T03:00:00");
    assert_eq!(next_post_after(spring, &s), ts("2026-10-04T15:30:00Z"));
}

/// Following the schedule from post to post for a whole year posts every local date exactly
/// once, in several zones and at times that fall into DST gaps and folds.
#[test]
fn a_year_of_posts_covers_every_local_date_once() {
    let cases = [
        ("02:30", "Europe/Berlin"),
        ("01:30", "America/New_York"),
        ("02:30", "America/New_York"),
        ("02:30", "Australia/Sydney"),
        ("00:00", "Asia/Kolkata"),
        ("23:59", "Pacific/Auckland"),
        ("00:30", "America/Santiago"),
    ];
    for (time, zone) in cases {
        let s = schedule(time, zone);
        let mut now = ts("2025-12-31T12:00:00Z");
        let mut expected = local_date(now, &s.timezone);
        if post_instant(expected, s.time, &s.timezone) <= now {
            expected = expected.tomorrow().unwrap();
        }
        for _ in 0..400 {
            let next = next_post_after(now, &s);
            assert!(next > now, "{zone} {time}: went backwards at {now}");
            assert!(
                next.duration_since(now) <= jiff::SignedDuration::from_hours(25),
                "{zone} {time}: skipped a day after {now}"
            );
            assert_eq!(
                local_date(next, &s.timezone),
                expected,
                "{zone} {time}: at {now}"
            );
            assert_eq!(
                next_due(now, &s, Some(expected.yesterday().unwrap())).map(|d| d.1),
                Some(next)
            );
            now = next;
            expected = expected.tomorrow().unwrap();
        }
    }
}

#[test]
fn catch_up_after_downtime_posts_today_once_and_never_older_days() {
    let s = schedule("09:00", "Europe/Berlin");
    // Last post was three days ago; the bot was down through yesterday's and today's times.
    let now = ts("2026-05-20T14:00:00Z"); // 16:00 CEST
    let last = Some(date("2026-05-17"));
    assert_eq!(due_post(now, &s, last), Some(date("2026-05-20")));
    // Once today's is stored as posted, nothing more is owed today, and tomorrow's is next.
    let posted = Some(date("2026-05-20"));
    assert_eq!(due_post(now, &s, posted), None);
    assert_eq!(
        next_due(now, &s, posted),
        Some((date("2026-05-21"), ts("2026-05-21T07:00:00Z")))
    );
    // Never posted before: today's time has passed, so today is owed.
    assert_eq!(due_post(now, &s, None), Some(date("2026-05-20")));
    // Restarting before today's time: nothing owed yet, even though yesterday was missed.
    let early = ts("2026-05-20T05:00:00Z");
    assert_eq!(due_post(early, &s, Some(date("2026-05-18"))), None);
    assert_eq!(
        next_due(early, &s, Some(date("2026-05-18"))),
        Some((date("2026-05-20"), ts("2026-05-20T07:00:00Z")))
    );
}

#[test]
fn a_disabled_schedule_owes_nothing() {
    let mut s = schedule("09:00", "Europe/Berlin");
    s.enabled = false;
    let now = ts("2026-05-20T14:00:00Z");
    assert_eq!(due_post(now, &s, None), None);
    assert_eq!(next_due(now, &s, None), None);
}

#[test]
fn daily_now_posts_once_per_local_day() {
    let zone = parse_timezone("Asia/Tokyo").unwrap();
    // 16:00 UTC is already the next day (01:00) in Tokyo.
    let now = ts("2026-05-20T16:00:00Z");
    assert_eq!(
        post_now(now, &zone, None),
        PostNow::Post(date("2026-05-21"))
    );
    assert_eq!(
        post_now(now, &zone, Some(date("2026-05-20"))),
        PostNow::Post(date("2026-05-21"))
    );
    assert_eq!(
        post_now(now, &zone, Some(date("2026-05-21"))),
        PostNow::AlreadyPosted(date("2026-05-21"))
    );
    assert!(posted_today(now, &zone, Some(date("2026-05-21"))));
    assert!(!posted_today(now, &zone, Some(date("2026-05-20"))));
    // After `/daily now`, the scheduled post later that day is not owed again.
    let s = DailySchedule {
        timezone: zone,
        ..schedule("09:00", "UTC")
    };
    let later = ts("2026-05-21T03:00:00Z"); // 12:00 in Tokyo
    assert_eq!(due_post(later, &s, Some(date("2026-05-21"))), None);
}

#[test]
fn timezone_names_are_stored_as_the_database_spells_them() {
    assert_eq!(
        parse_timezone("europe/berlin").unwrap().name(),
        "Europe/Berlin"
    );
    assert_eq!(
        parse_timezone(" America/New_York ").unwrap().name(),
        "America/New_York"
    );
}
