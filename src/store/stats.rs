//! Statistics derived from a user's attempts. Pure: same attempts, same instant, same timezone →
//! same numbers. Nothing is stored, so stats can never disagree with history.

use std::collections::{BTreeSet, HashMap};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::types::Attempt;

/// How often one STAR section was missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionCount {
    pub section: &'static str,
    pub missing: usize,
}

/// One Leadership Principle's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct LpStats {
    pub lp: String,
    pub attempts: usize,
    pub average_score: f64,
    pub last_practised: Timestamp,
    /// Sections missing at least once in this LP's attempts, most often first (ties in STAR
    /// order).
    pub most_missing: Vec<SectionCount>,
}

/// A user's figures across all attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub total_attempts: usize,
    /// Mean score of all attempts; `None` without attempts.
    pub overall_average: Option<f64>,
    /// LPs with at least one attempt: in the order of the LP list given, then any LP not in that
    /// list (e.g. removed from the bank since) by name.
    pub per_lp: Vec<LpStats>,
    /// LPs from the given list with no attempt, in list order.
    pub never_practised: Vec<String>,
    /// Sections missing at least once across all attempts, most often first.
    pub most_missing: Vec<SectionCount>,
    /// Consecutive days with an attempt, ending today or yesterday (see [`day_streak`]).
    pub streak_days: u32,
    pub last_practised: Option<Timestamp>,
}

/// Computes the stats of `attempts` (any order) for the LPs in `all_lps`, with days counted in
/// `tz` and "today" being the day of `now` there.
pub fn compute(attempts: &[Attempt], all_lps: &[String], now: Timestamp, tz: &TimeZone) -> Stats {
    let mut by_lp: HashMap<&str, Vec<&Attempt>> = HashMap::new();
    for attempt in attempts {
        for lp in &attempt.lps {
            by_lp.entry(lp.as_str()).or_default().push(attempt);
        }
    }

    let mut per_lp = Vec::new();
    let mut never_practised = Vec::new();
    for lp in all_lps {
        match by_lp.remove(lp.as_str()) {
            Some(list) => per_lp.push(lp_stats(lp, &list)),
            None => never_practised.push(lp.clone()),
        }
    }
    let mut unknown: Vec<(&str, Vec<&Attempt>)> = by_lp.into_iter().collect();
    unknown.sort_by(|a, b| a.0.cmp(b.0));
    per_lp.extend(unknown.iter().map(|(lp, list)| lp_stats(lp, list)));

    let all: Vec<&Attempt> = attempts.iter().collect();
    Stats {
        total_attempts: attempts.len(),
        overall_average: average_score(&all),
        per_lp,
        never_practised,
        most_missing: missing_sections(&all),
        streak_days: day_streak(attempts.iter().map(|a| a.finished_at), now, tz),
        last_practised: attempts.iter().map(|a| a.finished_at).max(),
    }
}

/// Consecutive calendar days (in `tz`) with at least one of `instants`, counting back from
/// today, or from yesterday when there is none yet today (a streak is not broken until the day
/// is over). Instants after `now` are ignored.
pub fn day_streak(
    instants: impl IntoIterator<Item = Timestamp>,
    now: Timestamp,
    tz: &TimeZone,
) -> u32 {
    let day_of = |at: Timestamp| -> Date { tz.to_datetime(at).date() };
    let days: BTreeSet<Date> = instants
        .into_iter()
        .filter(|at| *at <= now)
        .map(day_of)
        .collect();
    let today = day_of(now);
    let mut day = if days.contains(&today) {
        today
    } else {
        match today.yesterday() {
            Ok(yesterday) if days.contains(&yesterday) => yesterday,
            _ => return 0,
        }
    };
    let mut streak = 0;
    while days.contains(&day) {
        streak += 1;
        match day.yesterday() {
            Ok(previous) => day = previous,
            Err(_) => break,
        }
    }
    streak
}

fn lp_stats(lp: &str, attempts: &[&Attempt]) -> LpStats {
    LpStats {
        lp: lp.to_string(),
        attempts: attempts.len(),
        average_score: average_score(attempts).unwrap_or(0.0),
        last_practised: attempts
            .iter()
            .map(|a| a.finished_at)
            .max()
            .unwrap_or(Timestamp::UNIX_EPOCH),
        most_missing: missing_sections(attempts),
    }
}

fn average_score(attempts: &[&Attempt]) -> Option<f64> {
    if attempts.is_empty() {
        return None;
    }
    let total: f64 = attempts.iter().map(|a| f64::from(a.summary.score)).sum();
    Some(total / attempts.len() as f64)
}

fn missing_sections(attempts: &[&Attempt]) -> Vec<SectionCount> {
    let mut counts: Vec<SectionCount> = ["situation", "task", "action", "result"]
        .into_iter()
        .map(|section| SectionCount {
            section,
            missing: 0,
        })
        .collect();
    for attempt in attempts {
        for (count, (_, present)) in counts.iter_mut().zip(attempt.summary.star.sections()) {
            if !present {
                count.missing += 1;
            }
        }
    }
    counts.retain(|c| c.missing > 0);
    // Stable sort keeps STAR order among equal counts.
    counts.sort_by_key(|c| std::cmp::Reverse(c.missing));
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AttemptId, AttemptSummary, Mode, StarPresence, UserKey};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn attempt(id: &str, lps: &[&str], score: u8, star: StarPresence, finished: &str) -> Attempt {
        Attempt {
            id: AttemptId::new(id),
            user: UserKey::local("alice"),
            question_id: format!("q-{id}"),
            lps: lps.iter().map(|s| s.to_string()).collect(),
            answer: String::new(),
            summary: AttemptSummary {
                score,
                star,
                ..AttemptSummary::default()
            },
            mode: Mode::Practice,
            guild: None,
            started_at: at(finished),
            finished_at: at(finished),
        }
    }

    const FULL: StarPresence = StarPresence {
        situation: true,
        task: true,
        action: true,
        result: true,
    };
    const NO_RESULT: StarPresence = StarPresence {
        situation: true,
        task: true,
        action: true,
        result: false,
    };
    const NO_TASK_NO_RESULT: StarPresence = StarPresence {
        situation: true,
        task: false,
        action: true,
        result: false,
    };

    fn lps(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn per_lp_figures_never_practised_and_missing_sections() {
        let attempts = vec![
            attempt("1", &["ownership"], 2, NO_RESULT, "2024-05-01T10:00:00Z"),
            attempt(
                "2",
                &["ownership", "bias-for-action"],
                4,
                FULL,
                "2024-05-03T10:00:00Z",
            ),
            attempt(
                "3",
                &["bias-for-action"],
                3,
                NO_TASK_NO_RESULT,
                "2024-05-02T10:00:00Z",
            ),
        ];
        let all = lps(&[
            "customer-obsession",
            "ownership",
            "bias-for-action",
            "frugality",
        ]);
        let stats = compute(&attempts, &all, at("2024-05-03T12:00:00Z"), &TimeZone::UTC);

        assert_eq!(stats.total_attempts, 3);
        assert_eq!(stats.overall_average, Some(3.0));
        assert_eq!(
            stats.never_practised,
            lps(&["customer-obsession", "frugality"])
        );
        let names: Vec<&str> = stats.per_lp.iter().map(|s| s.lp.as_str()).collect();
        assert_eq!(names, vec!["ownership", "bias-for-action"]);

        let ownership = &stats.per_lp[0];
        assert_eq!(ownership.attempts, 2);
        assert_eq!(ownership.average_score, 3.0);
        assert_eq!(ownership.last_practised, at("2024-05-03T10:00:00Z"));
        assert_eq!(
            ownership.most_missing,
            vec![SectionCount {
                section: "result",
                missing: 1
            }]
        );

        let bias = &stats.per_lp[1];
        assert_eq!(bias.attempts, 2);
        assert_eq!(bias.average_score, 3.5);
        assert_eq!(bias.last_practised, at("2024-05-03T10:00:00Z"));

        // result missing twice, task once.
        assert_eq!(
            stats.most_missing,
            vec![
                SectionCount {
                    section: "result",
                    missing: 2
                },
                SectionCount {
                    section: "task",
                    missing: 1
                }
            ]
        );
        assert_eq!(stats.last_practised, Some(at("2024-05-03T10:00:00Z")));
        assert_eq!(stats.streak_days, 3);
    }

    #[test]
    fn lps_outside_the_list_are_still_reported_after_known_ones() {
        let attempts = vec![
            attempt("1", &["retired-lp"], 5, FULL, "2024-05-01T10:00:00Z"),
            attempt("2", &["ownership"], 1, FULL, "2024-05-01T11:00:00Z"),
        ];
        let stats = compute(
            &attempts,
            &lps(&["ownership"]),
            at("2024-05-01T12:00:00Z"),
            &TimeZone::UTC,
        );
        let names: Vec<&str> = stats.per_lp.iter().map(|s| s.lp.as_str()).collect();
        assert_eq!(names, vec!["ownership", "retired-lp"]);
        assert!(stats.never_practised.is_empty());
    }

    #[test]
    fn no_attempts_means_no_average_no_streak_and_every_lp_unpractised() {
        let all = lps(&["ownership", "frugality"]);
        let stats = compute(&[], &all, at("2024-05-01T12:00:00Z"), &TimeZone::UTC);
        assert_eq!(stats.overall_average, None);
        assert_eq!(stats.streak_days, 0);
        assert_eq!(stats.never_practised, all);
        assert!(stats.per_lp.is_empty() && stats.most_missing.is_empty());
    }

    #[test]
    fn streak_counts_back_from_yesterday_until_a_gap() {
        let days = [
            "2024-05-01T09:00:00Z",
            // gap on 05-02
            "2024-05-03T09:00:00Z",
            "2024-05-04T09:00:00Z",
            "2024-05-04T18:00:00Z",
            "2024-05-05T23:00:00Z",
        ];
        let instants: Vec<Timestamp> = days.iter().map(|d| at(d)).collect();
        // Nothing yet on 05-06: the streak still stands, from yesterday.
        assert_eq!(
            day_streak(instants.clone(), at("2024-05-06T08:00:00Z"), &TimeZone::UTC),
            3
        );
        // Two days without: broken.
        assert_eq!(
            day_streak(instants.clone(), at("2024-05-07T08:00:00Z"), &TimeZone::UTC),
            0
        );
        // Attempts in the future of `now` do not count.
        assert_eq!(
            day_streak(instants, at("2024-05-04T08:00:00Z"), &TimeZone::UTC),
            1
        );
    }

    #[test]
    fn streak_days_follow_the_timezone_not_utc() {
        // The same three instants make different days in different zones.
        let instants = vec![
            at("2024-05-01T23:30:00Z"), // Berlin: May 2, 01:30
            at("2024-05-03T21:30:00Z"), // Berlin: May 3, 23:30
            at("2024-05-04T00:30:00Z"), // Berlin: May 4, 02:30
        ];
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let now = at("2024-05-04T12:00:00Z");
        // Berlin days: May 2, 3, 4 → 3 in a row.
        assert_eq!(day_streak(instants.clone(), now, &berlin), 3);
        // UTC days: May 1, 3, 4 → the gap on May 2 limits it to 2.
        assert_eq!(day_streak(instants.clone(), now, &TimeZone::UTC), 2);
        // Los Angeles (UTC-7): May 1, May 3 (14:30), May 3 (17:30) → today (May 4) has nothing,
        // yesterday (May 3) does, May 2 does not → 1.
        let los_angeles = TimeZone::get("America/Los_Angeles").unwrap();
        assert_eq!(day_streak(instants, now, &los_angeles), 1);
    }
}
