//! `bar-raiser practice`, `history` and `stats` end to end: the binary run with piped input and a
//! real sled store in a temp dir.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(data: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bar-raiser"))
        .args(args)
        .env("BAR_RAISER_DATA", data)
        .env("USER", "tester")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("input written");
    child.wait_with_output().expect("the binary finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const ANSWER: &str = "Last year I led support for a payroll product and refunds took two weeks.
My goal was to get refunds under three days before the holiday peak.

I rewrote the refund runbook and I automated the bank file upload with Python.
done
Refund time fell from 14 days to 2 days and complaints dropped by 40%.
done
";

#[test]
fn practice_then_history_and_stats_show_the_attempt() {
    let data = tempfile::tempdir().unwrap();
    let question = "co-simplify-for-customers";
    let out = run(data.path(), &["practice", "--question", question], ANSWER);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("made something simple for customers"),
        "{stdout}"
    );
    // The first feedback misses the result and asks a follow-up; the second has it.
    let first = stdout
        .find("[ ] Result")
        .expect("first feedback lacks a result");
    let follow = stdout
        .find("Bar-raiser follow-up")
        .expect("a follow-up is asked");
    let second = stdout
        .rfind("[x] Result")
        .expect("second feedback has the result");
    assert!(first < follow && follow < second, "{stdout}");
    assert!(stdout.contains("words"), "live word count: {stdout}");

    let history = run(data.path(), &["history"], "");
    let listed = text(&history.stdout);
    assert!(history.status.success(), "{}", text(&history.stderr));
    assert_eq!(
        listed.matches("practice").count(),
        1,
        "one attempt, updated after the follow-up: {listed}"
    );
    assert!(!listed.contains("missing: result"), "{listed}");

    let stats = run(data.path(), &["stats"], "");
    let figures = text(&stats.stdout);
    assert!(figures.starts_with("1 attempts"), "{figures}");
    assert!(figures.contains("Customer Obsession"), "{figures}");
    assert!(figures.contains("Never practised:"), "{figures}");
}

#[test]
fn practice_cancelled_stores_nothing() {
    let data = tempfile::tempdir().unwrap();
    let out = run(
        data.path(),
        &["practice", "--lp", "ownership"],
        "I was on call once.\n/cancel\n",
    );
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("nothing was saved"));
    let history = run(data.path(), &["history"], "");
    assert!(text(&history.stdout).contains("No attempts yet"));
}

#[test]
fn unknown_lp_and_question_are_clear_errors() {
    let data = tempfile::tempdir().unwrap();
    let out = run(data.path(), &["practice", "--lp", "Ownershipp"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown Leadership Principle"));
    let out = run(data.path(), &["practice", "--question", "nope"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown question id"));
}
