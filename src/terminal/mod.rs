//! The terminal adapter: practice mode and human-readable reports.

pub mod practice;
pub mod report;
