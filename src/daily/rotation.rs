//! Which question a server gets each day: every eligible question once, in a random order,
//! before any repeats; then a new random order. Stored per server (serde) between posts.

use std::collections::HashSet;

use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// A server's place in its question rotation.
///
/// `order[..position]` were asked in the current cycle; `order[position..]` are still to come
/// in that cycle (some may have stopped being eligible, and are skipped). The eligible set is
/// passed in on every draw, so questions added to the bank, removed from it, or a changed LP
/// focus take effect on the next post without losing the cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    order: Vec<String>,
    position: usize,
    last_asked: Option<String>,
}

impl Rotation {
    pub fn new() -> Self {
        Self::default()
    }

    /// The question asked most recently, if any.
    pub fn last_asked(&self) -> Option<&str> {
        self.last_asked.as_deref()
    }

    /// How many questions were asked in the current cycle.
    pub fn asked_this_cycle(&self) -> usize {
        self.position.min(self.order.len())
    }

    /// Draws the next question id from `eligible` (ids; duplicates are ignored).
    ///
    /// Never repeats a question within a cycle; a cycle ends when every eligible question has
    /// been asked in it. The next cycle is a fresh random order that does not open with the
    /// question that closed the previous one (when there is more than one to choose from).
    /// Questions that become eligible mid-cycle join the rest of the current cycle at a random
    /// place. `None` only when nothing is eligible.
    pub fn next_question<R: Rng + ?Sized>(
        &mut self,
        eligible: &[&str],
        rng: &mut R,
    ) -> Option<String> {
        let eligible = unique(eligible);
        if eligible.is_empty() {
            return None;
        }
        // A stored rotation with a position past its order is read as "cycle finished".
        self.position = self.position.min(self.order.len());
        self.add_newcomers(&eligible, rng);

        let wanted: HashSet<&str> = eligible.iter().copied().collect();
        let next_in_cycle = self.order[self.position..]
            .iter()
            .position(|id| wanted.contains(id.as_str()))
            .map(|offset| self.position + offset);
        let index = match next_in_cycle {
            Some(index) => index,
            None => {
                self.start_cycle(&eligible, rng);
                0
            }
        };
        self.order.swap(self.position, index);
        let question = self.order.get(self.position)?.clone();
        self.position += 1;
        self.last_asked = Some(question.clone());
        Some(question)
    }

    /// Takes back a drawn question that was never posted (the channel was gone, the bot
    /// lacked permission, Discord failed): it is no longer counted as asked and is the next
    /// question to come, so a skipped day does not use up its place in the rotation. Giving
    /// back a question twice, or one not drawn, only moves it to the front of what is to come.
    pub fn give_back(&mut self, question: &str) {
        self.position = self.position.min(self.order.len());
        match self.order.iter().position(|id| id == question) {
            Some(index) if index < self.position => {
                // Out of the asked part, keeping the others' order; it is then next.
                self.order[index..self.position].rotate_left(1);
                self.position -= 1;
            }
            Some(index) => {
                let id = self.order.remove(index);
                self.order.insert(self.position, id);
            }
            None => self.order.insert(self.position, question.to_string()),
        }
        if self.last_asked.as_deref() == Some(question) {
            // The one asked before it in this cycle. When it opened the cycle, the question
            // that closed the previous one is not kept; the given-back one is drawn next anyway.
            self.last_asked = self
                .position
                .checked_sub(1)
                .and_then(|i| self.order.get(i))
                .cloned();
        }
    }

    /// Puts eligible ids this cycle has never seen somewhere among the ones still to come.
    fn add_newcomers<R: Rng + ?Sized>(&mut self, eligible: &[&str], rng: &mut R) {
        let known: HashSet<&str> = self.order.iter().map(String::as_str).collect();
        let newcomers: Vec<String> = eligible
            .iter()
            .filter(|id| !known.contains(**id))
            .map(|id| id.to_string())
            .collect();
        for id in newcomers {
            let at = rng.gen_range(self.position..=self.order.len());
            self.order.insert(at, id);
        }
    }

    fn start_cycle<R: Rng + ?Sized>(&mut self, eligible: &[&str], rng: &mut R) {
        self.order = eligible.iter().map(|id| id.to_string()).collect();
        self.order.shuffle(rng);
        self.position = 0;
        let opens_with_last = self.order.first().map(String::as_str) == self.last_asked.as_deref();
        if opens_with_last && self.order.len() > 1 {
            let other = rng.gen_range(1..self.order.len());
            self.order.swap(0, other);
        }
    }
}

fn unique<'a>(ids: &[&'a str]) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

#[cfg(test)]
mod tests;
