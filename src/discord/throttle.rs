//! A leading-edge throttle per key: the first event in a window acts at once, later ones in the
//! same window are coalesced into one trailing action. Keeps acknowledgements within Discord's
//! rate limits when someone types many messages quickly.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What to do with an event now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Act now.
    Now,
    /// A trailing action is due after this delay; schedule it.
    Later(Duration),
    /// A trailing action is already scheduled; it will cover this event.
    Covered,
}

pub struct Throttle {
    window: Duration,
    state: Mutex<HashMap<u64, Slot>>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    last: Instant,
    trailing_scheduled: bool,
}

impl Throttle {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            state: Mutex::new(HashMap::new()),
        }
    }

    pub fn gate(&self, key: u64, now: Instant) -> Gate {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // Forget stale keys now and then so the map stays small.
        if state.len() > 10_000 {
            let window = self.window;
            state.retain(|_, slot| now.duration_since(slot.last) < window);
        }
        match state.get_mut(&key) {
            Some(slot) if now.duration_since(slot.last) < self.window => {
                if slot.trailing_scheduled {
                    Gate::Covered
                } else {
                    slot.trailing_scheduled = true;
                    Gate::Later(self.window - now.duration_since(slot.last))
                }
            }
            _ => {
                state.insert(
                    key,
                    Slot {
                        last: now,
                        trailing_scheduled: false,
                    },
                );
                Gate::Now
            }
        }
    }

    /// The trailing action ran at `now`.
    pub fn trailing_done(&self, key: u64, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.insert(
            key,
            Slot {
                last: now,
                trailing_scheduled: false,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_acts_then_one_trailing_covers_the_burst() {
        let throttle = Throttle::new(Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(throttle.gate(7, t0), Gate::Now);
        assert_eq!(
            throttle.gate(7, t0 + Duration::from_millis(200)),
            Gate::Later(Duration::from_millis(800))
        );
        assert_eq!(
            throttle.gate(7, t0 + Duration::from_millis(300)),
            Gate::Covered
        );
        // Another key is independent.
        assert_eq!(throttle.gate(8, t0), Gate::Now);
        throttle.trailing_done(7, t0 + Duration::from_secs(1));
        assert_eq!(
            throttle.gate(7, t0 + Duration::from_millis(2500)),
            Gate::Now
        );
    }
}
