//! One budget for every REST call the bot makes that counts toward Discord's global rate limit:
//! Discord allows 50 a second in total, and the bot keeps under that by itself, even where
//! serenity's ratelimiter is off (a loopback Discord, an API proxy). Interaction endpoints (the
//! callback and the interaction-token webhook: followups, the original response) are exempt
//! and do not take a slot; see `rest.rs`, the one place the budgeted calls are made.
//!
//! Two guards hold the rate: slots on an evenly spaced schedule, and a hard cap of
//! [`CALLS_PER_SECOND`] grants in any sliding second, so tasks that wake late together (a busy
//! machine stalls timers) cannot burst.
//!
//! Three lanes share the budget, in this order of precedence:
//! - replies to people in a conversation with the bot (feedback, follow-up questions, closing
//!   words, daily posts) wait for the next evenly spaced slot, first come first served, so
//!   nothing a person waits for is ever dropped;
//! - acknowledgements of collected messages (the ✅ reaction) only use slots no reply wants.
//!   While replies take the whole budget they wait, coalesced to the newest message per person,
//!   and go out as soon as there is room;
//! - openings of new work (a new interview's thread and first question: calls made inside
//!   [`opening`]) take the spare slots acknowledgements leave. When more people want the bot than
//!   the budget carries, those already in an interview are answered first and newcomers wait
//!   their turn (their command is acknowledged at once; interaction callbacks are exempt), instead
//!   of everyone waiting on everyone.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use poise::serenity_prelude as serenity;
use tokio::time::Instant;

/// Calls per second the bot allows itself: Discord's global limit is 50 and counts calls as they
/// arrive, not as the bot grants them. Between the grant and the arrival a call waits for a core,
/// a connection and the network, so grants from two neighbouring seconds can land in one: with
/// 45 granted per sliding second the loopback Discord saw 54 arrive in one second under full
/// load. 40 leaves room for that bunching.
pub const CALLS_PER_SECOND: u32 = 40;

/// A message waiting for its acknowledgement.
#[derive(Clone)]
struct PendingAck {
    http: Arc<serenity::Http>,
    channel: u64,
    message: u64,
}

tokio::task_local! {
    /// Set while a task makes the calls of new work: its slots come from the opening lane.
    static OPENING: ();
}

/// Runs `work` with its budgeted calls in the opening lane (see the module docs): for calls that
/// start something new rather than answer someone already waiting.
pub async fn opening<F: std::future::Future>(work: F) -> F::Output {
    OPENING.scope((), work).await
}

fn in_opening() -> bool {
    OPENING.try_with(|_| ()).is_ok()
}

#[derive(Default)]
struct AckQueue {
    /// Users in the order their first pending acknowledgement arrived.
    order: VecDeque<u64>,
    /// The newest message per user.
    newest: HashMap<u64, PendingAck>,
}

/// The shared outbound budget.
pub struct Outbound {
    interval: Duration,
    /// The next free slot on the steady schedule.
    next_slot: Mutex<Instant>,
    /// When the calls of the last second were let through, oldest first (at most `cap`).
    granted: Mutex<VecDeque<Instant>>,
    cap: usize,
    /// Calls let through since start: the tests compare it with what Discord saw.
    total: std::sync::atomic::AtomicU64,
    acks: Mutex<AckQueue>,
    /// Calls of new work waiting for a spare slot, oldest first.
    openings: Mutex<VecDeque<tokio::sync::oneshot::Sender<()>>>,
    /// Wakes the spare-slot lanes (acknowledgements and openings).
    acks_waiting: tokio::sync::Notify,
}

impl Outbound {
    pub fn new(calls_per_second: u32) -> Self {
        Self {
            interval: Duration::from_secs(1) / calls_per_second.max(1),
            next_slot: Mutex::new(Instant::now()),
            granted: Mutex::new(VecDeque::new()),
            cap: calls_per_second.max(1) as usize,
            total: std::sync::atomic::AtomicU64::new(0),
            acks: Mutex::new(AckQueue::default()),
            openings: Mutex::new(VecDeque::new()),
            acks_waiting: tokio::sync::Notify::new(),
        }
    }

    /// Waits for this call's slot: a reply's, or inside [`opening`] an opening's. Call once per
    /// REST call, right before making it (the helpers in `rest.rs` do).
    pub async fn reply(&self) {
        if in_opening() {
            return self.opening_slot().await;
        }
        let slot = self.reserve(Instant::now());
        tokio::time::sleep_until(slot).await;
        while let Err(wait) = self.grant(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }

    /// How many calls the budget has let through (replies and acknowledgements).
    pub fn granted_total(&self) -> u64 {
        self.total.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Lets one call through at `now` if fewer than `cap` went in the last second; otherwise
    /// says how long until the oldest of them leaves the window.
    fn grant(&self, now: Instant) -> Result<(), Duration> {
        let mut granted = self.granted.lock().unwrap_or_else(|e| e.into_inner());
        let second = Duration::from_secs(1);
        while granted
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= second)
        {
            granted.pop_front();
        }
        if granted.len() >= self.cap {
            let oldest = granted.front().copied().unwrap_or(now);
            return Err((oldest + second)
                .saturating_duration_since(now)
                .max(Duration::from_millis(1)));
        }
        granted.push_back(now);
        self.total
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Books the next slot at or after `now`.
    fn reserve(&self, now: Instant) -> Instant {
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        let slot = (*next).max(now);
        *next = slot + self.interval;
        slot
    }

    /// Takes a slot at `now` only when no reply is waiting for one; otherwise says how long
    /// until the schedule is free.
    fn spare_slot(&self, now: Instant) -> Result<(), Duration> {
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        if *next <= now {
            self.grant(now)?;
            *next = now + self.interval;
            Ok(())
        } else {
            Err(*next - now)
        }
    }

    /// Reacts ✅ to `message` now if the budget has room, else queues it; a newer message of the
    /// same user replaces a queued one.
    pub fn acknowledge(&self, http: &Arc<serenity::Http>, user: u64, channel: u64, message: u64) {
        let mut queue = self.acks.lock().unwrap_or_else(|e| e.into_inner());
        let pending = PendingAck {
            http: http.clone(),
            channel,
            message,
        };
        // Room in the budget and nobody ahead: react at once.
        if queue.order.is_empty() && self.spare_slot(Instant::now()).is_ok() {
            drop(queue);
            tokio::spawn(react(pending));
            return;
        }
        match queue.newest.get(&user) {
            None => {
                queue.newest.insert(user, pending);
                queue.order.push_back(user);
            }
            // An older message's ✅ arriving late must not replace the newer one's: the
            // newer ✅ covers both.
            Some(queued) if queued.channel == channel && queued.message > message => {}
            Some(_) => {
                queue.newest.insert(user, pending);
            }
        }
        drop(queue);
        self.acks_waiting.notify_one();
    }

    /// Waits for a spare slot left by replies and acknowledgements (granted by
    /// [`Outbound::run_acknowledgements`], which hands them out oldest first).
    async fn opening_slot(&self) {
        let (granted, wait) = tokio::sync::oneshot::channel();
        {
            let mut openings = self.openings.lock().unwrap_or_else(|e| e.into_inner());
            // Nobody ahead and room in the budget: go at once.
            if openings.is_empty() && !self.acks_queued() && self.spare_slot(Instant::now()).is_ok()
            {
                return;
            }
            openings.push_back(granted);
        }
        self.acks_waiting.notify_one();
        // The sender only goes away with the budget itself (the bot is stopping): go ahead.
        let _ = wait.await;
    }

    fn acks_queued(&self) -> bool {
        !self
            .acks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .order
            .is_empty()
    }

    /// Whether anything waits for a spare slot.
    fn spare_wanted(&self) -> bool {
        self.acks_queued()
            || self
                .openings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|waiter| !waiter.is_closed())
    }

    /// Gives a granted spare slot to the oldest opening still waiting; false when none is.
    fn hand_to_opening(&self) -> bool {
        let mut openings = self.openings.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(waiter) = openings.pop_front() {
            if waiter.send(()).is_ok() {
                return true;
            }
        }
        false
    }

    fn next_ack(&self) -> Option<PendingAck> {
        let mut queue = self.acks.lock().unwrap_or_else(|e| e.into_inner());
        let user = queue.order.pop_front()?;
        queue.newest.remove(&user)
    }

    /// Hands out spare slots until the bot stops: to queued acknowledgements first, then to
    /// openings of new work.
    pub async fn run_acknowledgements(self: Arc<Self>) {
        loop {
            self.acks_waiting.notified().await;
            while self.spare_wanted() {
                while let Err(wait) = self.spare_slot(Instant::now()) {
                    tokio::time::sleep(wait.max(self.interval)).await;
                }
                if let Some(ack) = self.next_ack() {
                    tokio::spawn(react(ack));
                } else if !self.hand_to_opening() {
                    // Its waiter left meanwhile: the slot goes unused, the budget is not exceeded.
                    tracing::trace!("a spare slot found nobody waiting");
                }
            }
        }
    }
}

/// Sends an acknowledgement whose slot was granted (see `rest.rs`).
async fn react(ack: PendingAck) {
    let result = super::rest::granted::react(&ack.http, ack.channel, ack.message).await;
    if let Err(err) = result {
        tracing::debug!(ack.channel, ack.message, "could not react: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_get_evenly_spaced_slots() {
        let pace = Outbound::new(50);
        let t0 = Instant::now();
        let slots: Vec<Duration> = (0..4).map(|_| pace.reserve(t0) - t0).collect();
        let ms = Duration::from_millis;
        assert_eq!(slots, vec![ms(0), ms(20), ms(40), ms(60)]);
        // After a quiet spell the next reply goes at once.
        assert_eq!(pace.reserve(t0 + ms(500)), t0 + ms(500));
    }

    #[test]
    fn acknowledgements_only_take_slots_no_reply_booked() {
        let pace = Outbound::new(50);
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        for _ in 0..3 {
            pace.reserve(t0);
        }
        // Replies hold the schedule until t0 + 60 ms.
        assert_eq!(pace.spare_slot(t0 + ms(25)), Err(ms(35)));
        assert_eq!(pace.spare_slot(t0 + ms(60)), Ok(()));
        // The acknowledgement took that slot: the next reply waits behind it.
        assert_eq!(pace.reserve(t0 + ms(60)), t0 + ms(80));
    }

    #[test]
    fn no_second_holds_more_than_the_cap_even_when_timers_fire_late() {
        let pace = Outbound::new(45);
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // 200 calls book their slots; then the machine stalls for 3 s, so all slots booked
        // for those 3 s fall due at the same instant and their tasks ask to go together.
        let slots: Vec<Instant> = (0..200).map(|_| pace.reserve(t0)).collect();
        let late = t0 + Duration::from_secs(3);
        let due = slots.iter().filter(|s| **s <= late).count();
        assert!(due > 100, "{due} slots fell due during the stall");
        let results: Vec<Result<(), Duration>> = (0..due).map(|_| pace.grant(late)).collect();
        let through = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(through, 45, "only the cap goes in that second");
        // The others wait until the first of those leaves the window.
        assert_eq!(results.last(), Some(&Err(Duration::from_secs(1))));
        assert_eq!(pace.grant(late + ms(999)), Err(ms(1)));
        assert_eq!(pace.grant(late + Duration::from_secs(1)), Ok(()));
        // Spare slots for acknowledgements obey the cap too.
        let full = Outbound::new(2);
        full.grant(t0).expect("first");
        full.grant(t0).expect("second");
        assert!(
            full.spare_slot(t0).is_err(),
            "no spare slot while the second is full"
        );
        assert_eq!(full.granted_total(), 2);
    }

    /// Calls go to a closed local port: nothing leaves the machine.
    fn offline_http() -> Arc<serenity::Http> {
        Arc::new(
            serenity::HttpBuilder::new("test")
                .proxy("http://127.0.0.1:9")
                .ratelimiter_disabled(true)
                .build(),
        )
    }

    /// Virtual time (tokio's paused clock): the instants below are exact, not measured.
    #[tokio::test(start_paused = true)]
    async fn openings_take_only_slots_replies_and_acknowledgements_leave() {
        let pace = Arc::new(Outbound::new(50));
        tokio::spawn(pace.clone().run_acknowledgements());
        let ms = Duration::from_millis;
        let t0 = Instant::now();
        // Replies hold the schedule until t0 + 100 ms; a ✅ is queued behind them.
        for _ in 0..5 {
            pace.reserve(t0);
        }
        pace.acknowledge(&offline_http(), 1, 10, 100);
        let opening = tokio::spawn({
            let pace = pace.clone();
            async move {
                opening(pace.reply()).await;
                let acks_left = !pace.acks.lock().expect("lock").order.is_empty();
                (Instant::now(), acks_left)
            }
        });
        // A reply asked for after the opening still goes first.
        tokio::time::sleep(ms(1)).await;
        pace.reply().await;
        let reply_at = Instant::now() - t0;
        let (opened_at, acks_left) = opening.await.expect("the opening finishes");
        assert_eq!(
            reply_at,
            ms(100),
            "the reply takes the next slot of the schedule"
        );
        assert!(!acks_left, "the queued ✅ went before the opening");
        assert_eq!(
            opened_at - t0,
            ms(140),
            "after the reply (100 ms) and the ✅ (120 ms)"
        );
        assert_eq!(pace.granted_total(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn an_opening_goes_at_once_when_nothing_waits() {
        let pace = Outbound::new(50);
        let t0 = Instant::now();
        opening(pace.reply()).await;
        assert_eq!(Instant::now(), t0);
        assert_eq!(pace.granted_total(), 1);
        // Without the opening lane the same call is an ordinary reply.
        pace.reply().await;
        assert_eq!(pace.granted_total(), 2);
    }

    #[test]
    fn acknowledgements_coalesce_to_the_newest_message_per_person() {
        let pace = Outbound::new(50);
        // Replies hold the budget for the next minute, so acknowledgements queue.
        pace.reserve(Instant::now() + Duration::from_secs(60));
        let http = Arc::new(serenity::Http::new("token"));
        pace.acknowledge(&http, 1, 10, 100);
        pace.acknowledge(&http, 2, 20, 200);
        pace.acknowledge(&http, 1, 10, 101);
        // A late acknowledgement of an older message does not replace the newer one.
        pace.acknowledge(&http, 1, 10, 99);
        let first = pace.next_ack().expect("person 1 queued first");
        assert_eq!((first.channel, first.message), (10, 101), "newest wins");
        let second = pace.next_ack().expect("person 2");
        assert_eq!((second.channel, second.message), (20, 200));
        assert!(pace.next_ack().is_none());
    }
}
