//! The terminal adapter: practice mode (being built) and human-readable reports.

pub mod report;
