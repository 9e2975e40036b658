//! How much one person, host or server may start at once, as pure rules: per-person cooldowns
//! on commands that start work, and caps on open group sessions. No tokio, no Discord: the
//! adapter passes the instant (from the injected clock) and the open sessions in, and shows
//! the refusal's text.

mod caps;
mod cooldown;

pub use caps::{CapLimits, CapRefusal, OpenGroup, OpenGroups};
pub use cooldown::{Action, CooldownSettings, Cooldowns, Wait};
