//! Daily streaks: consecutive local days with an answer to the daily question, counted in the
//! server's timezone (an answer at 23:30 UTC is already "tomorrow" in Tokyo).

use std::collections::BTreeSet;

use jiff::civil::Date;
use jiff::Timestamp;

use super::schedule::{local_date, Zone};

/// The local dates (in `zone`) of the given answer instants, sorted, without duplicates.
pub fn answer_dates<I>(answered_at: I, zone: &Zone) -> Vec<Date>
where
    I: IntoIterator<Item = Timestamp>,
{
    let dates: BTreeSet<Date> = answered_at
        .into_iter()
        .map(|at| local_date(at, zone))
        .collect();
    dates.into_iter().collect()
}

/// The current streak: how many consecutive days with an answer end today, or end yesterday
/// (today's question may simply not be answered yet). Order and duplicates in
/// `dates_answered` do not matter; dates after `today` are ignored.
pub fn streak(dates_answered: &[Date], today: Date) -> u32 {
    let days: BTreeSet<Date> = dates_answered
        .iter()
        .copied()
        .filter(|day| *day <= today)
        .collect();
    let start = if days.contains(&today) {
        Some(today)
    } else {
        today.yesterday().ok().filter(|day| days.contains(day))
    };
    let mut count: u32 = 0;
    let mut day = start;
    while let Some(current) = day.filter(|d| days.contains(d)) {
        count = count.saturating_add(1);
        day = current.yesterday().ok();
    }
    count
}

/// The longest run of consecutive days with an answer, ever.
pub fn longest_streak(dates_answered: &[Date]) -> u32 {
    let days: BTreeSet<Date> = dates_answered.iter().copied().collect();
    let mut best: u32 = 0;
    let mut run: u32 = 0;
    let mut previous: Option<Date> = None;
    for day in days {
        let follows = previous.and_then(|p| p.tomorrow().ok()) == Some(day);
        run = if follows { run.saturating_add(1) } else { 1 };
        best = best.max(run);
        previous = Some(day);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daily::schedule::parse_timezone;

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn dates(texts: &[&str]) -> Vec<Date> {
        texts.iter().map(|t| date(t)).collect()
    }

    #[test]
    fn no_answers_no_streak() {
        assert_eq!(streak(&[], date("2026-05-20")), 0);
        assert_eq!(longest_streak(&[]), 0);
    }

    #[test]
    fn a_streak_ends_today_or_yesterday() {
        let answered = dates(&["2026-05-17", "2026-05-18", "2026-05-19"]);
        assert_eq!(streak(&answered, date("2026-05-19")), 3);
        // Today not answered yet: the streak still stands.
        assert_eq!(streak(&answered, date("2026-05-20")), 3);
        // A whole day missed: it is broken.
        assert_eq!(streak(&answered, date("2026-05-21")), 0);
    }

    #[test]
    fn gaps_duplicates_order_and_future_dates() {
        let answered = dates(&[
            "2026-05-20",
            "2026-05-12",
            "2026-05-19",
            "2026-05-20",
            "2026-05-18",
            "2026-05-16",
            "2026-05-25",
        ]);
        assert_eq!(streak(&answered, date("2026-05-20")), 3);
        assert_eq!(longest_streak(&answered), 3);
    }

    #[test]
    fn streaks_cross_month_and_year_ends() {
        let answered = dates(&["2025-12-30", "2025-12-31", "2026-01-01", "2026-01-02"]);
        assert_eq!(streak(&answered, date("2026-01-02")), 4);
        let leap = dates(&["2028-02-28", "2028-02-29", "2028-03-01"]);
        assert_eq!(streak(&leap, date("2028-03-01")), 3);
    }

    #[test]
    fn an_answer_late_in_the_utc_day_counts_for_the_next_day_in_tokyo() {
        let tokyo = parse_timezone("Asia/Tokyo").unwrap();
        let utc = parse_timezone("UTC").unwrap();
        // Answers at 23:30 UTC on the 18th and 19th, and 10:00 UTC on the 19th.
        let answered_at: Vec<Timestamp> = [
            "2026-05-18T23:30:00Z",
            "2026-05-19T10:00:00Z",
            "2026-05-19T23:30:00Z",
        ]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
        // In Tokyo (+09): 08:30 on the 19th, 19:00 on the 19th, 08:30 on the 20th.
        let in_tokyo = answer_dates(answered_at.iter().copied(), &tokyo);
        assert_eq!(in_tokyo, dates(&["2026-05-19", "2026-05-20"]));
        assert_eq!(streak(&in_tokyo, date("2026-05-20")), 2);
        assert_eq!(streak(&in_tokyo, date("2026-05-21")), 2);
        assert_eq!(streak(&in_tokyo, date("2026-05-22")), 0);
        // In UTC the same answers fall on the 18th and 19th; on the 21st that streak is over.
        let in_utc = answer_dates(answered_at.iter().copied(), &utc);
        assert_eq!(in_utc, dates(&["2026-05-18", "2026-05-19"]));
        assert_eq!(streak(&in_utc, date("2026-05-21")), 0);
        assert_eq!(streak(&in_utc, date("2026-05-20")), 2);
    }
}
