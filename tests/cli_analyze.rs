//! `bar-raiser analyze` end to end: the real binary, real files and stdin.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    finish(
        Command::new(env!("CARGO_BIN_EXE_bar-raiser")).args(args),
        stdin,
    )
}

/// Starts `command` with `stdin` piped in and collects its output.
fn finish(command: &mut Command, stdin: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bar-raiser");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).expect("write stdin");
    }
    child.wait_with_output().expect("wait for bar-raiser")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const ANSWER: &str = "Sure, good question.\nI was a QA lead at a hospital scheduling app.\n\
My call was whether to sign off on the release.\n\
I wrote 12 test cases around the DST boundary and 3 failed.\n\
We shipped two days later and zero appointments were missed.\n";

#[test]
fn json_from_a_file_has_byte_offsets_into_the_input_as_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("answer.txt");
    std::fs::write(&path, ANSWER).expect("write answer");
    let out = run(
        &["analyze", path.to_str().expect("utf-8 path"), "--json"],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "one JSON object on one line");
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");

    let sentences = json["sentences"].as_array().expect("sentences");
    assert_eq!(sentences.len(), 5);
    let expected = ["other", "situation", "task", "action", "result"];
    for (s, want) in sentences.iter().zip(expected) {
        let start = s["start"].as_u64().expect("start") as usize;
        let end = s["end"].as_u64().expect("end") as usize;
        assert!(end <= ANSWER.len());
        assert!(!ANSWER[start..end].contains('\n'));
        assert_eq!(s["section"], want, "{}", &ANSWER[start..end]);
    }
    assert_eq!(sentences[1]["start"], 21);
    assert_eq!(json["star"]["situation"], true);
    assert_eq!(json["star"]["result"], true);
    assert_eq!(json["pronouns"]["singular"], 3);
    assert_eq!(json["pronouns"]["plural"], 1);
    assert_eq!(json["hypothetical"], false);
    assert_eq!(json["quantified_result"], true);
}

#[test]
fn stdin_is_read_with_no_file_or_a_dash() {
    for args in [&["analyze", "--json"][..], &["analyze", "-", "--json"][..]] {
        let out = run(
            args,
            "We had an outage.\nI rolled it back.\nErrors fell 90%.".as_bytes(),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
        assert_eq!(json["sentences"].as_array().map(Vec::len), Some(3));
    }
}

#[test]
fn human_report_names_the_gaps_and_asks_one_follow_up() {
    let out = run(
        &["analyze"],
        b"We rebuilt the pipeline.\nWe also added tests.\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Score: "), "{text}");
    assert!(text.contains("[ ] Result    missing"), "{text}");
    assert_eq!(text.matches("Follow-up: ").count(), 1);
}

#[test]
fn empty_input_exits_2_with_a_message() {
    let out = run(&["analyze"], b"  \n\t\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("empty"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[test]
fn invalid_utf8_exits_2_with_a_message() {
    let out = run(&["analyze"], b"I fixed it \xff\xfe then");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not valid UTF-8"), "{}", stderr(&out));
    assert!(stderr(&out).contains("offset 11"), "{}", stderr(&out));
}

#[test]
fn too_long_input_exits_2_and_states_the_limit() {
    let out = run(&["analyze", "--json"], "a".repeat(20_001).as_bytes());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("20000 characters") && err.contains("20001"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_an_error_naming_the_path() {
    let out = run(&["analyze", "/nonexistent/answer.txt"], b"");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("/nonexistent/answer.txt"),
        "{}",
        stderr(&out)
    );
}

fn run_in(dir: &std::path::Path, args: &[&str], stdin: &[u8]) -> Output {
    finish(
        Command::new(env!("CARGO_BIN_EXE_bar-raiser"))
            .args(args)
            .current_dir(dir)
            .env_remove("BAR_RAISER_CONFIG"),
        stdin,
    )
}

const COMPLETE: &str = "I was the on-call SRE for an online retailer during a flash sale.\n\
I had to decide whether to roll back a config change without knowing it was the cause.\n\
I checked the rollback was safe, posted in the incident channel and rolled it back.\n\
Errors dropped under 0.5% within four minutes.\n";

#[test]
fn question_flag_uses_the_banks_own_follow_up_for_a_complete_answer() {
    let bank = bar_raiser::bank::Bank::builtin();
    let question = bank
        .questions()
        .first()
        .expect("the built-in bank has questions");
    let want = question
        .follow_ups
        .first()
        .expect("questions have follow-ups");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_in(
        dir.path(),
        &["analyze", "--json", "--question", &question.id],
        COMPLETE.as_bytes(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["missing"], serde_json::json!([]), "{json}");
    assert_eq!(json["follow_up"].as_str(), Some(want.trim()));
}

#[test]
fn an_unknown_question_id_exits_2_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_in(
        dir.path(),
        &["analyze", "--question", "no-such-question"],
        COMPLETE.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no-such-question"),
        "{}",
        stderr(&out)
    );
}
