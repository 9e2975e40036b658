//! Messages being received: taken when a person's message event arrives, before anything is
//! stored, and released when its handling ends. serenity handles every gateway event in its own
//! task, so a newer message can be stored and acknowledged while an older one of the same burst
//! is still being written; the ✅ on the newest message tells the person the whole burst is
//! collected, so it waits until no older message of theirs in that channel is still in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// Messages in flight per (channel, user).
#[derive(Default)]
pub struct Receiving {
    in_flight: Mutex<HashMap<(u64, u64), Vec<u64>>>,
    released: Notify,
}

/// Marks one message as in flight until dropped.
#[must_use = "the message counts as in flight only while the receipt lives"]
pub struct Receipt {
    owner: Arc<Receiving>,
    key: (u64, u64),
    message: u64,
}

impl Receiving {
    fn lock(&self) -> MutexGuard<'_, HashMap<(u64, u64), Vec<u64>>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks `message` by `user` in `channel` as in flight; call it before the first await.
    pub fn enter(self: &Arc<Self>, channel: u64, user: u64, message: u64) -> Receipt {
        self.lock()
            .entry((channel, user))
            .or_default()
            .push(message);
        Receipt {
            owner: self.clone(),
            key: (channel, user),
            message,
        }
    }

    /// Whether a message of `user` in `channel` older than `message` is still in flight.
    pub fn earlier_in_flight(&self, channel: u64, user: u64, message: u64) -> bool {
        self.lock()
            .get(&(channel, user))
            .is_some_and(|messages| messages.iter().any(|&m| m < message))
    }

    /// Waits until no message of `user` in `channel` older than `message` is in flight.
    pub async fn wait_for_earlier(&self, channel: u64, user: u64, message: u64) {
        loop {
            let released = self.released.notified();
            let mut released = std::pin::pin!(released);
            // Registered before the check, so a release in between is not missed.
            released.as_mut().enable();
            if !self.earlier_in_flight(channel, user, message) {
                return;
            }
            released.await;
        }
    }
}

impl Drop for Receipt {
    fn drop(&mut self) {
        let mut in_flight = self.owner.lock();
        if let Some(messages) = in_flight.get_mut(&self.key) {
            if let Some(at) = messages.iter().position(|&m| m == self.message) {
                messages.swap_remove(at);
            }
            if messages.is_empty() {
                in_flight.remove(&self.key);
            }
        }
        drop(in_flight);
        self.owner.released.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::{Context, Poll};

    fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        let waker = futures_util::task::noop_waker();
        future.poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn only_older_messages_of_the_same_person_and_channel_hold_an_acknowledgement() {
        let receiving = Arc::new(Receiving::default());
        let older = receiving.enter(10, 1, 100);
        assert!(receiving.earlier_in_flight(10, 1, 101));
        assert!(!receiving.earlier_in_flight(10, 1, 100), "not itself");
        assert!(!receiving.earlier_in_flight(10, 1, 99), "not newer ones");
        assert!(
            !receiving.earlier_in_flight(10, 2, 101),
            "not another person"
        );
        assert!(
            !receiving.earlier_in_flight(11, 1, 101),
            "not another channel"
        );
        drop(older);
        assert!(!receiving.earlier_in_flight(10, 1, 101));
    }

    #[test]
    fn a_replayed_message_stays_in_flight_until_both_copies_are_done() {
        let receiving = Arc::new(Receiving::default());
        let first = receiving.enter(10, 1, 100);
        let replay = receiving.enter(10, 1, 100);
        drop(first);
        assert!(receiving.earlier_in_flight(10, 1, 101));
        drop(replay);
        assert!(!receiving.earlier_in_flight(10, 1, 101));
    }

    #[test]
    fn waiting_ends_only_when_every_older_message_is_released() {
        let receiving = Arc::new(Receiving::default());
        let oldest = receiving.enter(10, 1, 100);
        let older = receiving.enter(10, 1, 101);
        let newer_elsewhere = receiving.enter(10, 2, 50);
        let mut wait = std::pin::pin!(receiving.wait_for_earlier(10, 1, 102));
        assert!(poll_once(wait.as_mut()).is_pending());
        drop(newer_elsewhere);
        assert!(poll_once(wait.as_mut()).is_pending());
        drop(oldest);
        assert!(poll_once(wait.as_mut()).is_pending());
        drop(older);
        assert!(poll_once(wait.as_mut()).is_ready());
    }
}
