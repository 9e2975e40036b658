//! Test support shared by the integration tests (and the load example, which includes this file
//! with `#[path = "../tests/support/mod.rs"] mod support;`). Each test binary uses a subset, so
//! unused items are expected here.
#![allow(dead_code)]

pub mod bot;
pub mod discord;
pub mod solo;
