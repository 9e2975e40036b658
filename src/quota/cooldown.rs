//! Per-person cooldowns: after a person uses a command that starts work (an interview, a
//! group, a chart, an export, a daily post), the same command is refused for them until the
//! cooldown has passed. Other people, and the person's other commands, are not affected.

use std::collections::HashMap;
use std::fmt;

use jiff::{SignedDuration, Timestamp};

/// A command that starts work, each with its own cooldown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    InterviewStart,
    GroupStart,
    Stats,
    Export,
    DailyNow,
}

impl Action {
    /// The command as a person types it.
    pub fn command(self) -> &'static str {
        match self {
            Action::InterviewStart => "/interview start",
            Action::GroupStart => "/group start",
            Action::Stats => "/stats",
            Action::Export => "/export",
            Action::DailyNow => "/daily now",
        }
    }
}

/// Seconds each command is refused for after a use; 0 turns its cooldown off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CooldownSettings {
    pub interview_start: u32,
    pub group_start: u32,
    pub stats: u32,
    pub export: u32,
    pub daily_now: u32,
}

impl CooldownSettings {
    /// No cooldown anywhere.
    pub const OFF: CooldownSettings = CooldownSettings {
        interview_start: 0,
        group_start: 0,
        stats: 0,
        export: 0,
        daily_now: 0,
    };

    pub fn seconds(&self, action: Action) -> u32 {
        match action {
            Action::InterviewStart => self.interview_start,
            Action::GroupStart => self.group_start,
            Action::Stats => self.stats,
            Action::Export => self.export,
            Action::DailyNow => self.daily_now,
        }
    }

    fn longest(&self) -> u32 {
        [
            self.interview_start,
            self.group_start,
            self.stats,
            self.export,
            self.daily_now,
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }
}

/// A refusal: the command may be used again at `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub action: Action,
    pub until: Timestamp,
    /// Whole seconds left, rounded up (at least 1).
    pub seconds: i64,
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "You used `{}` a moment ago. Please try again in {} s (<t:{}:R>).",
            self.action.command(),
            self.seconds,
            self.until.as_second() + i64::from(self.until.subsec_nanosecond() > 0),
        )
    }
}

/// Entries kept before expired ones are swept, so the map stays the size of the people active
/// within the longest cooldown.
const SWEEP_AT: usize = 1024;

/// When each person last started each command.
#[derive(Debug, Clone)]
pub struct Cooldowns {
    settings: CooldownSettings,
    last: HashMap<(u64, Action), Timestamp>,
    sweep_at: usize,
}

impl Cooldowns {
    pub fn new(settings: CooldownSettings) -> Self {
        Self {
            settings,
            last: HashMap::new(),
            sweep_at: SWEEP_AT,
        }
    }

    /// Lets `user` start `action` at `now` (and starts its cooldown), or says how long to wait.
    /// A refused try does not extend the wait.
    pub fn try_start(&mut self, user: u64, action: Action, now: Timestamp) -> Result<(), Wait> {
        let seconds = self.settings.seconds(action);
        if seconds == 0 {
            return Ok(());
        }
        let cooldown = SignedDuration::from_secs(i64::from(seconds));
        if let Some(last) = self.last.get(&(user, action)) {
            let until = last.saturating_add(cooldown).unwrap_or(Timestamp::MAX);
            // A clock that went backwards counts as "just used": the wait is capped at the
            // cooldown, so nobody is locked out for longer.
            let left = until.duration_since(now).min(cooldown);
            if left.is_positive() {
                let nanos = left.as_nanos();
                let seconds = nanos.div_euclid(1_000_000_000)
                    + i128::from(nanos.rem_euclid(1_000_000_000) > 0);
                return Err(Wait {
                    action,
                    until: now.saturating_add(left).unwrap_or(until),
                    seconds: i64::try_from(seconds).unwrap_or(i64::MAX).max(1),
                });
            }
        }
        self.last.insert((user, action), now);
        if self.last.len() >= self.sweep_at {
            self.sweep(now);
        }
        Ok(())
    }

    /// Forgets cooldowns that have run out.
    fn sweep(&mut self, now: Timestamp) {
        let longest = SignedDuration::from_secs(i64::from(self.settings.longest()));
        self.last
            .retain(|_, last| now.duration_since(*last) < longest && *last <= now);
        // Next sweep when the live entries have doubled, so sweeping stays amortised O(1).
        self.sweep_at = (self.last.len() * 2).max(SWEEP_AT);
    }

    /// How many (person, command) cooldowns are remembered.
    pub fn len(&self) -> usize {
        self.last.len()
    }

    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    fn settings() -> CooldownSettings {
        CooldownSettings {
            interview_start: 5,
            group_start: 30,
            stats: 10,
            export: 60,
            daily_now: 0,
        }
    }

    #[test]
    fn a_second_use_within_the_cooldown_is_refused_with_the_time_left() {
        let mut cooldowns = Cooldowns::new(settings());
        assert_eq!(cooldowns.try_start(1, Action::Stats, at(0)), Ok(()));
        let wait = cooldowns
            .try_start(1, Action::Stats, at(4))
            .expect_err("within 10 s");
        assert_eq!(wait.seconds, 6);
        assert_eq!(wait.until, at(10));
        assert_eq!(wait.action, Action::Stats);
        let text = wait.to_string();
        assert!(text.contains("`/stats`"), "{text}");
        assert!(text.contains("try again in 6 s"), "{text}");
        assert!(
            text.contains(&format!("<t:{}:R>", at(10).as_second())),
            "{text}"
        );
        // The refused try did not restart the cooldown: free again at 10 s exactly.
        assert!(cooldowns.try_start(1, Action::Stats, at(9)).is_err());
        assert_eq!(cooldowns.try_start(1, Action::Stats, at(10)), Ok(()));
    }

    #[test]
    fn fractions_of_a_second_round_up() {
        let mut cooldowns = Cooldowns::new(settings());
        cooldowns
            .try_start(1, Action::InterviewStart, at(0))
            .unwrap();
        let almost = at(4).checked_add(SignedDuration::from_millis(900)).unwrap();
        let wait = cooldowns
            .try_start(1, Action::InterviewStart, almost)
            .unwrap_err();
        assert_eq!(wait.seconds, 1, "100 ms left is shown as 1 s, never 0");
        let early = at(0).checked_add(SignedDuration::from_millis(1)).unwrap();
        let wait = cooldowns
            .try_start(1, Action::InterviewStart, early)
            .unwrap_err();
        assert_eq!(wait.seconds, 5);
    }

    #[test]
    fn other_people_and_other_commands_are_not_affected() {
        let mut cooldowns = Cooldowns::new(settings());
        cooldowns
            .try_start(1, Action::InterviewStart, at(0))
            .unwrap();
        assert_eq!(
            cooldowns.try_start(2, Action::InterviewStart, at(1)),
            Ok(())
        );
        assert_eq!(cooldowns.try_start(1, Action::Stats, at(1)), Ok(()));
        assert_eq!(cooldowns.try_start(1, Action::GroupStart, at(1)), Ok(()));
        assert!(cooldowns
            .try_start(1, Action::InterviewStart, at(1))
            .is_err());
        assert!(cooldowns
            .try_start(2, Action::InterviewStart, at(2))
            .is_err());
    }

    #[test]
    fn zero_seconds_means_no_cooldown_and_nothing_is_remembered() {
        let mut cooldowns = Cooldowns::new(settings());
        for second in 0..5 {
            assert_eq!(cooldowns.try_start(1, Action::DailyNow, at(second)), Ok(()));
        }
        assert!(cooldowns.is_empty());
        let mut off = Cooldowns::new(CooldownSettings::OFF);
        assert_eq!(off.try_start(1, Action::Export, at(0)), Ok(()));
        assert_eq!(off.try_start(1, Action::Export, at(0)), Ok(()));
    }

    #[test]
    fn a_clock_that_goes_back_never_locks_anyone_out_for_longer_than_the_cooldown() {
        let mut cooldowns = Cooldowns::new(settings());
        cooldowns
            .try_start(1, Action::InterviewStart, at(100))
            .unwrap();
        let wait = cooldowns
            .try_start(1, Action::InterviewStart, at(0))
            .unwrap_err();
        assert_eq!(wait.seconds, 5);
        assert_eq!(wait.until, at(5));
    }

    #[test]
    fn expired_entries_are_swept_so_memory_follows_active_people() {
        let mut cooldowns = Cooldowns::new(settings());
        for user in 0..5_000 {
            // Each person once, a second apart: only the last minute's people stay (export: 60 s).
            cooldowns
                .try_start(user, Action::Export, at(i64::try_from(user).unwrap()))
                .unwrap();
        }
        assert!(cooldowns.len() <= 2 * SWEEP_AT, "{}", cooldowns.len());
        // Someone within the cooldown is still refused after the sweeps.
        assert!(cooldowns
            .try_start(4_999, Action::Export, at(5_000))
            .is_err());
    }
}
