//! bar-raiser: a mock interviewer for behavioral interviews built on Amazon's 16 Leadership
//! Principles.
//!
//! Functional core, imperative shell. The core modules know nothing of Discord, tokio, sled or
//! the terminal; adapters translate events in and effects out, and time comes from a [`Clock`].
//!
//! Module map:
//!
//! | module | what it holds |
//! |---|---|
//! | [`bank`] | the question bank: Leadership Principles and questions loaded and validated from `questions/*.toml` |
//! | [`analysis`] | pure text analysis of an answer: sentences, STAR labels, "I" vs "we", hypotheticals, specificity, score, follow-up |
//! | [`interview`] | interview session state machines (solo, group): events in, effects out |
//! | [`daily`] | the daily question post: next post time in a server's timezone, rotation, streaks |
//! | [`store`] | the `Store` trait with a sled implementation and an in-memory one for tests |
//! | [`quota`] | per-person cooldowns on commands that start work, caps on open group sessions |
//! | [`config`] | `config/bar-raiser.toml` plus environment overrides, validated |
//! | [`clock`] | the injected clock: system time in production, a manual clock in tests |
//! | [`terminal`] | the terminal adapter: practice mode and human-readable reports |
//! | [`discord`] | the serenity/poise adapter: commands, collection, rendering to embeds |

pub mod analysis;
pub mod bank;
pub mod clock;
pub mod config;
pub mod daily;
pub mod discord;
pub mod interview;
pub mod quota;
pub mod store;
pub mod terminal;

pub use clock::Clock;
