use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::daily::schedule::{
    due_post, local_date, next_post_after, parse_time, parse_timezone, DailySchedule,
};

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

fn schedule(time: &str, zone: &str) -> DailySchedule {
    DailySchedule {
        channel_id: 1,
        time: parse_time(time).unwrap(),
        timezone: parse_timezone(zone).unwrap(),
        lp: None,
        role_id: None,
        enabled: true,
    }
}

const ZONES: [&str; 8] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "UTC",
    "America/Los_Angeles",
    "Pacific/Auckland",
];

fn random_schedule(rng: &mut StdRng) -> DailySchedule {
    let time = format!("{:02}:{:02}", rng.gen_range(0..24), rng.gen_range(0..60));
    schedule(&time, ZONES[rng.gen_range(0..ZONES.len())])
}

#[test]
fn an_empty_queue_never_wakes() {
    let mut queue = DueQueue::new();
    assert_eq!(queue.next_wake(), None);
    assert!(queue.pop_due(ts("2026-05-20T12:00:00Z")).is_empty());
    assert!(queue.is_empty());
}

#[test]
fn pops_in_due_order_and_rearms_for_the_next_day() {
    let mut queue = DueQueue::new();
    let now = ts("2026-05-20T00:00:00Z");
    queue.upsert(1, schedule("09:00", "Europe/Berlin"), now, None); // 07:00Z
    queue.upsert(2, schedule("07:30", "Asia/Kolkata"), now, None); // 02:00Z
    queue.upsert(3, schedule("08:00", "UTC"), now, None); // 08:00Z
    assert_eq!(queue.next_wake(), Some(ts("2026-05-20T02:00:00Z")));

    assert!(queue.pop_due(ts("2026-05-20T01:59:59Z")).is_empty());
    let due = queue.pop_due(ts("2026-05-20T07:00:00Z"));
    assert_eq!(due, vec![(2, date("2026-05-20")), (1, date("2026-05-20"))]);
    assert_eq!(queue.next_wake(), Some(ts("2026-05-20T08:00:00Z")));
    assert_eq!(queue.due_at(1), Some(ts("2026-05-21T07:00:00Z")));
    assert_eq!(queue.due_at(2), Some(ts("2026-05-21T02:00:00Z")));
    // Popping again at the same instant hands out nothing twice.
    assert!(queue.pop_due(ts("2026-05-20T07:00:00Z")).is_empty());
    assert_eq!(queue.len(), 3);
}

#[test]
fn upsert_replaces_and_remove_forgets() {
    let mut queue = DueQueue::new();
    let now = ts("2026-05-20T00:00:00Z");
    queue.upsert(7, schedule("09:00", "UTC"), now, None);
    queue.upsert(7, schedule("10:00", "UTC"), now, None);
    assert_eq!(queue.len(), 1);
    assert_eq!(queue.next_wake(), Some(ts("2026-05-20T10:00:00Z")));
    let mut off = schedule("06:00", "UTC");
    off.enabled = false;
    queue.upsert(7, off, now, None);
    assert!(queue.is_empty());
    assert_eq!(queue.next_wake(), None);
    queue.upsert(7, schedule("09:00", "UTC"), now, None);
    assert!(queue.remove(7));
    assert!(!queue.remove(7));
    assert!(queue.pop_due(ts("2026-05-21T00:00:00Z")).is_empty());
}

#[test]
fn startup_after_the_time_posts_today_once() {
    let mut queue = DueQueue::new();
    let now = ts("2026-05-20T14:00:00Z");
    // Down since the post two days ago: owed today only.
    queue.upsert(1, schedule("09:00", "UTC"), now, Some(date("2026-05-18")));
    // Already posted today before the restart: nothing owed.
    queue.upsert(2, schedule("09:00", "UTC"), now, Some(date("2026-05-20")));
    assert_eq!(queue.next_wake(), Some(ts("2026-05-20T09:00:00Z")));
    assert_eq!(queue.pop_due(now), vec![(1, date("2026-05-20"))]);
    assert!(queue.pop_due(now).is_empty());
    assert_eq!(queue.due_at(2), Some(ts("2026-05-21T09:00:00Z")));
}

#[test]
fn daily_now_stops_the_scheduled_post_for_that_day() {
    let mut queue = DueQueue::new();
    let now = ts("2026-05-20T06:00:00Z");
    queue.upsert(1, schedule("09:00", "UTC"), now, None);
    assert!(queue.mark_posted(1, date("2026-05-20"), now));
    assert!(queue.pop_due(ts("2026-05-20T09:00:00Z")).is_empty());
    assert_eq!(queue.next_wake(), Some(ts("2026-05-21T09:00:00Z")));
    assert!(!queue.mark_posted(99, date("2026-05-20"), now));
}

#[test]
fn waking_days_late_hands_out_today_only() {
    let mut queue = DueQueue::new();
    let now = ts("2026-05-20T00:00:00Z");
    queue.upsert(1, schedule("09:00", "UTC"), now, None);
    queue.upsert(2, schedule("20:00", "UTC"), now, None);
    // The machine slept until the 23rd at noon: guild 1 is owed the 23rd; guild 2's 23rd
    // post is still ahead, and its missed days are not posted.
    let late = ts("2026-05-23T12:00:00Z");
    assert_eq!(queue.pop_due(late), vec![(1, date("2026-05-23"))]);
    assert_eq!(queue.due_at(2), Some(ts("2026-05-23T20:00:00Z")));
    assert_eq!(queue.next_wake(), Some(ts("2026-05-23T20:00:00Z")));
}

/// Thousands of servers in many zones, driven the way the scheduler task drives the queue
/// (sleep to the next wake, pop, repeat) for ten days across the Berlin/New York autumn
/// changes: every server posts every local date exactly once, at the instant the schedule
/// says, in due order, with settings changes along the way.
#[test]
fn thousands_of_guilds_post_once_per_local_day() {
    let mut rng = StdRng::seed_from_u64(5);
    let start = ts("2026-10-22T00:00:00Z");
    let mut queue = DueQueue::new();
    let mut schedules: HashMap<GuildId, DailySchedule> = HashMap::new();
    for guild in 0..3_000 {
        let s = random_schedule(&mut rng);
        queue.upsert(
            guild,
            s.clone(),
            start,
            Some(local_date(start, &s.timezone)),
        );
        schedules.insert(guild, s);
    }
    assert_eq!(queue.len(), 3_000);

    let mut posted: HashMap<GuildId, Vec<Date>> = HashMap::new();
    let mut wakes = 0;
    let end = ts("2026-11-02T00:00:00Z");
    while let Some(wake) = queue.next_wake() {
        if wake >= end {
            break;
        }
        wakes += 1;
        let due = queue.pop_due(wake);
        assert!(!due.is_empty(), "woke at {wake} for nothing");
        for (guild, day) in due {
            let s = &schedules[&guild];
            // Handed out exactly at its instant, for the local date of that instant.
            assert_eq!(local_date(wake, &s.timezone), day, "guild {guild}");
            let previous = posted.get(&guild).and_then(|days| days.last().copied());
            assert_eq!(due_post(wake, s, previous), Some(day), "guild {guild}");
            assert_eq!(queue.due_at(guild), Some(next_post_after(wake, s)));
            posted.entry(guild).or_default().push(day);
        }
        // Some admins move their post time mid-run; the queue follows at once.
        if wakes % 500 == 0 {
            let guild = rng.gen_range(0..3_000);
            let zone = schedules[&guild].timezone.name().to_string();
            let time = format!("{:02}:{:02}", rng.gen_range(0..24), rng.gen_range(0..60));
            let s = schedule(&time, &zone);
            let last = posted.get(&guild).and_then(|days| days.last().copied());
            queue.upsert(guild, s.clone(), wake, last);
            schedules.insert(guild, s);
        }
    }
    for (guild, days) in &posted {
        for pair in days.windows(2) {
            assert_eq!(
                pair[0].tomorrow().unwrap(),
                pair[1],
                "guild {guild}: {days:?}"
            );
        }
    }
    let total: usize = posted.values().map(Vec::len).sum();
    // Ten days of posts each, give or take the first/last day by zone and settings changes.
    assert!(total >= 3_000 * 9, "only {total} posts");
    assert!(posted.len() == 3_000);
}

#[test]
fn pop_due_returns_many_guilds_due_at_once_in_order() {
    let mut queue = DueQueue::new();
    let now = ts("2026-05-20T00:00:00Z");
    for guild in (0..2_000).rev() {
        let minute = guild % 60;
        queue.upsert(
            guild,
            schedule(&format!("09:{minute:02}"), "UTC"),
            now,
            None,
        );
    }
    let due = queue.pop_due(ts("2026-05-20T10:00:00Z"));
    assert_eq!(due.len(), 2_000);
    let instants: Vec<Timestamp> = due
        .iter()
        .map(|(guild, _)| ts(&format!("2026-05-20T09:{:02}:00Z", guild % 60)))
        .collect();
    assert!(instants.windows(2).all(|w| w[0] <= w[1]));
    assert!(due.iter().all(|(_, day)| *day == date("2026-05-20")));
    assert_eq!(queue.next_wake(), Some(ts("2026-05-21T09:00:00Z")));
}
