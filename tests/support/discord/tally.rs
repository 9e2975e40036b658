//! The cross-suite tally: every emulator, when dropped, appends one line to a file in cargo's
//! per-target temp dir, so `.ci/run` can total the 400s and mention leaks of every test in every
//! suite (also of a test that failed, or never called `assert_clean`).
//!
//! Line format (tab-separated): `suite test calls bad_requests leaks deliberate`, where
//! `bad_requests` counts calls answered 400 by a Discord rule (injected faults excepted), `leaks`
//! counts unintended mention leaks and `deliberate` is 1 for emulator self-tests that break the
//! rules on purpose (see [`FakeDiscord::breaks_rules_on_purpose`]).

use std::io::Write;
use std::path::PathBuf;

use super::{Core, FakeDiscord};

/// The file name under `CARGO_TARGET_TMPDIR` (`target/tmp`); `.ci/run` reads and clears it.
pub const FILE_NAME: &str = "emulator-tally.tsv";

/// Where the tally goes: only integration tests have `CARGO_TARGET_TMPDIR` (the load example,
/// which shares this support code, records nothing).
pub fn path() -> Option<PathBuf> {
    option_env!("CARGO_TARGET_TMPDIR").map(|dir| PathBuf::from(dir).join(FILE_NAME))
}

impl FakeDiscord {
    /// For tests of the emulator itself that send bad requests or pings on purpose: their line
    /// in the tally is marked, so it does not count against the bot.
    pub fn breaks_rules_on_purpose(&self) {
        self.shared.core().deliberate = true;
    }
}

/// Appends this emulator's line. Errors are printed, never raised: a test's outcome must not
/// depend on the tally file.
pub(super) fn record(core: &Core) {
    let Some(path) = path() else {
        return;
    };
    let leaks = core.leaks.iter().filter(|l| !l.explicitly_allowed).count();
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("?");
    if core.bad_requests > 0 && !core.deliberate {
        // Named here, since a test that never looks would otherwise only show a count.
        for call in core.calls.iter().filter(|c| c.status == 400) {
            eprintln!("emulator: {test}: 400 for {}", call.summary());
        }
    }
    let line = format!(
        "{}\t{}\t{}\t{}\t{}\t{}\n",
        env!("CARGO_CRATE_NAME"),
        test,
        core.calls_total,
        core.bad_requests,
        leaks,
        u8::from(core.deliberate)
    );
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        // One write per line: appends from parallel tests do not interleave.
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(err) = written {
        eprintln!(
            "emulator: cannot append to the tally {}: {err}",
            path.display()
        );
    }
}
