//! Interview sessions as pure state machines: events in, effects out. The terminal and the
//! Discord adapter drive the same machines, so both behave the same.

pub mod group;
pub mod record;
pub mod solo;
