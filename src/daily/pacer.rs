//! Pacing for bulk work such as a thousand servers' daily posts falling due in the same minute.
//!
//! Discord allows about 50 REST calls a second in total, and the bot must stay under that even
//! where serenity's own ratelimiter is switched off. The [`Pacer`] hands out send slots: the
//! caller sleeps until the slot, then sends. It is a leaky bucket (the "virtual scheduling"
//! form of GCRA): a steady rate with an optional burst, and no timers of its own.

use std::num::NonZeroU32;

use jiff::{SignedDuration, Timestamp};

/// Discord's global REST limit, in calls per second.
pub const DISCORD_GLOBAL_CALLS_PER_SECOND: u32 = 50;

/// The share of that limit daily posts may use, leaving room for everything else the bot does
/// (interaction callbacks are exempt from the global limit; follow-ups and edits are not).
pub const DAILY_POST_CALLS_PER_SECOND: u32 = 40;

/// Hands out evenly spaced send slots.
#[derive(Debug, Clone)]
pub struct Pacer {
    /// Time between two slots at the steady rate.
    interval: SignedDuration,
    /// How far ahead of the steady schedule a slot may be given (burst - 1 intervals).
    tolerance: SignedDuration,
    /// When the next slot is due on the steady schedule; `None` before the first slot.
    theoretical_next: Option<Timestamp>,
}

impl Pacer {
    /// A pacer for `per_second` sends a second, allowing `burst` sends at once after a quiet
    /// spell. A burst of 1 spaces every send by exactly one interval.
    pub fn new(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        let interval =
            SignedDuration::from_secs(1) / i32::try_from(per_second.get()).unwrap_or(i32::MAX);
        Self::with_interval(interval, burst)
    }

    /// A pacer for sends that each cost `calls_per_send` REST calls, within a budget of
    /// `calls_per_second`: the interval is `calls_per_send / calls_per_second` seconds, with
    /// no burst, so any one-second window holds at most `calls_per_second + calls_per_send`
    /// calls and, for the defaults, never more than Discord's 50.
    pub fn for_rest_budget(calls_per_second: NonZeroU32, calls_per_send: NonZeroU32) -> Self {
        let nanos =
            1_000_000_000_i64 * i64::from(calls_per_send.get()) / i64::from(calls_per_second.get());
        Self::with_interval(SignedDuration::from_nanos(nanos), NonZeroU32::MIN)
    }

    /// The pacer the daily scheduler uses: [`DAILY_POST_CALLS_PER_SECOND`] for posts that each
    /// cost `calls_per_post` REST calls (a message and its thread: 2).
    pub fn for_daily_posts(calls_per_post: NonZeroU32) -> Self {
        let budget = NonZeroU32::new(DAILY_POST_CALLS_PER_SECOND).unwrap_or(NonZeroU32::MIN);
        Self::for_rest_budget(budget, calls_per_post)
    }

    fn with_interval(interval: SignedDuration, burst: NonZeroU32) -> Self {
        let interval = interval.max(SignedDuration::from_nanos(1));
        let extra = i32::try_from(burst.get() - 1).unwrap_or(i32::MAX);
        Self {
            interval,
            tolerance: interval.saturating_mul(extra),
            theoretical_next: None,
        }
    }

    /// The time between slots at the steady rate.
    pub fn interval(&self) -> SignedDuration {
        self.interval
    }

    /// Reserves the next slot at or after `now` and returns it. Each call takes one slot, so
    /// call it once per send, in the order the sends should go out.
    pub fn next_slot(&mut self, now: Timestamp) -> Timestamp {
        let steady = self.theoretical_next.map_or(now, |next| next.max(now));
        let earliest = steady.saturating_sub(self.tolerance).unwrap_or(steady);
        let slot = earliest.max(now);
        self.theoretical_next = Some(
            steady
                .saturating_add(self.interval)
                .unwrap_or(Timestamp::MAX),
        );
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn slots_are_spaced_at_the_rate() {
        let mut pacer = Pacer::new(nz(10), nz(1));
        let now = ts("2026-05-20T09:00:00Z");
        let slots: Vec<Timestamp> = (0..5).map(|_| pacer.next_slot(now)).collect();
        let expected: Vec<Timestamp> = (0..5)
            .map(|i| now + SignedDuration::from_millis(100 * i))
            .collect();
        assert_eq!(slots, expected);
    }

    #[test]
    fn a_quiet_spell_does_not_bank_more_than_the_burst() {
        let mut pacer = Pacer::new(nz(10), nz(3));
        let start = ts("2026-05-20T09:00:00Z");
        pacer.next_slot(start);
        let later = start + SignedDuration::from_secs(60);
        let slots: Vec<Timestamp> = (0..5).map(|_| pacer.next_slot(later)).collect();
        let ms = |n| later + SignedDuration::from_millis(n);
        assert_eq!(slots, vec![later, later, later, ms(100), ms(200)]);
    }

    #[test]
    fn slots_never_go_before_now() {
        let mut pacer = Pacer::new(nz(2), nz(1));
        let start = ts("2026-05-20T09:00:00Z");
        assert_eq!(pacer.next_slot(start), start);
        let late = start + SignedDuration::from_secs(10);
        assert_eq!(pacer.next_slot(late), late);
        assert_eq!(
            pacer.next_slot(late),
            late + SignedDuration::from_millis(500)
        );
    }

    /// A thousand posts due in the same minute, each costing 2 or 3 calls, stay within
    /// Discord's 50 calls in every one-second window; with 2 calls a post they are all out
    /// within the load target of 60 seconds.
    #[test]
    fn a_thousand_daily_posts_stay_under_the_global_limit() {
        for calls_per_post in [2u32, 3] {
            let mut pacer = Pacer::for_daily_posts(nz(calls_per_post));
            let due = ts("2026-05-20T09:00:00Z");
            let slots: Vec<Timestamp> = (0..1_000).map(|_| pacer.next_slot(due)).collect();
            assert!(slots.windows(2).all(|w| w[0] < w[1]));
            let one_second = SignedDuration::from_secs(1);
            let mut busiest = 0;
            for (i, start) in slots.iter().enumerate() {
                let in_window = slots[i..]
                    .iter()
                    .take_while(|slot| slot.duration_since(*start) < one_second)
                    .count();
                busiest = busiest.max(in_window);
            }
            let calls = busiest as u32 * calls_per_post;
            assert!(
                calls <= DISCORD_GLOBAL_CALLS_PER_SECOND,
                "{calls} calls in one second"
            );
            let last = slots[slots.len() - 1].duration_since(due);
            let expected_span = pacer.interval() * 999;
            assert_eq!(last, expected_span);
            if calls_per_post == 2 {
                assert!(last < SignedDuration::from_secs(60), "{last:?}");
            }
        }
    }
}
