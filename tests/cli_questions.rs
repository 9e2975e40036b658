//! `bar-raiser questions list|validate`, run as a user runs them.

use std::path::Path;
use std::process::{Command, Output};

const LP_NAMES: [&str; 16] = [
    "Customer Obsession",
    "Ownership",
    "Invent and Simplify",
    "Are Right, A Lot",
    "Learn and Be Curious",
    "Hire and Develop the Best",
    "Insist on the Highest Standards",
    "Think Big",
    "Bias for Action",
    "Frugality",
    "Earn Trust",
    "Dive Deep",
    "Have Backbone; Disagree and Commit",
    "Deliver Results",
    "Strive to be Earth's Best Employer",
    "Success and Scale Bring Broad Responsibility",
];

/// Runs the binary in `cwd` with no config from the environment.
fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bar-raiser"))
        .args(args)
        .current_dir(cwd)
        .env_remove("BAR_RAISER_CONFIG")
        .env_remove("BAR_RAISER_DATA")
        .output()
        .expect("run bar-raiser")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The id lines of a listing (`id  [LP / LP]`), and the count its last line states.
fn listing(text: &str) -> (Vec<&str>, usize) {
    let ids: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("  ["))
        .filter(|line| !line.starts_with(' '))
        .collect();
    let count = text
        .lines()
        .last()
        .and_then(|line| line.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a final count line");
    (ids, count)
}

fn question(id: &str, lp: &str) -> String {
    format!(
        "[[question]]\nid = \"{id}\"\ntext = \"Tell me about {id}.\"\nlps = [\"{lp}\"]\n\
         tests = \"t\"\ntips = [\"tip\"]\nfollow_ups = [\"Why?\"]\n"
    )
}

#[test]
fn list_shows_every_question_with_its_principles() {
    let output = run(repo(), &["questions", "list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let (ids, count) = listing(&text);
    assert_eq!(ids.len(), count);
    assert!(count >= 29 + 34, "{count} questions");
    assert!(
        text.contains(
            "co-simplify-for-customers  [Customer Obsession]\n    \
             Tell me about a time you made something simple for customers.\n"
        ),
        "{text}"
    );
    assert!(text.contains("dr-vague-requirements  [Deliver Results / Bias for Action]"));
}

#[test]
fn list_filters_by_principle_name_alias_or_id() {
    for spelling in ["are right a lot", "Are Right, A Lot", "are-right-a-lot"] {
        let output = run(repo(), &["questions", "list", "--lp", spelling]);
        assert!(output.status.success(), "{}", stderr(&output));
        let text = stdout(&output);
        let (ids, count) = listing(&text);
        assert_eq!(ids.len(), count);
        assert!(count >= 3, "{spelling}: {text}");
        for line in ids {
            assert!(line.contains("Are Right, A Lot"), "{spelling}: {line}");
        }
    }
}

#[test]
fn list_with_an_unknown_principle_lists_the_valid_names() {
    let output = run(repo(), &["questions", "list", "--lp", "Ownershipp"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("unknown Leadership Principle \"Ownershipp\" (did you mean \"Ownership\"?)"),
        "{err}"
    );
    for name in LP_NAMES {
        assert!(err.contains(name), "{name} missing from: {err}");
    }
    assert!(stdout(&output).is_empty());
}

#[test]
fn validate_the_repository_bank() {
    let output = run(repo(), &["questions", "validate", "questions"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(!text.contains("error:"), "{text}");
    assert!(!text.contains("warning:"), "{text}");
    for name in LP_NAMES {
        let line = text
            .lines()
            .find(|line| line.trim_start().starts_with(name) && !line.contains(':'))
            .unwrap_or_else(|| panic!("no count line for {name}: {text}"));
        let count: usize = line
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok())
            .expect("a count");
        assert!(count >= 3, "{line}");
    }
    assert!(text.contains("questions: OK, 16 principles"), "{text}");
}

#[test]
fn validate_without_a_questions_dir_checks_the_builtin_bank() {
    let empty = tempfile::tempdir().expect("tempdir");
    let output = run(empty.path(), &["questions", "validate"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("the built-in bank: OK, 16 principles"));

    let listed = run(empty.path(), &["questions", "list", "--lp", "frugality"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(listing(&stdout(&listed)).1 >= 3);
}

#[test]
fn validate_a_bad_bank_names_file_line_and_field_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = question("fine-one", "Ownership");
    let typo = question("typo", "Frugalty");
    std::fs::write(dir.path().join("a.toml"), format!("{good}\n{typo}")).expect("write");
    std::fs::write(dir.path().join("b.toml"), question("fine-one", "Dive Deep")).expect("write");
    std::fs::write(dir.path().join("c.toml"), "[[question]\nid = 1\n").expect("write");

    let output = run(dir.path(), &["questions", "validate", "."]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 3, "{text}");
    assert_eq!(
        errors[0],
        "error: ./a.toml:12: question \"typo\": field \"lps\": unknown Leadership Principle \
         \"Frugalty\" (did you mean \"Frugality\"?)"
    );
    assert_eq!(
        errors[1],
        "error: ./b.toml:2: question \"fine-one\": field \"id\": duplicate id \"fine-one\" \
         (first defined at ./a.toml:2)"
    );
    assert!(
        errors[2].starts_with("error: ./c.toml:1: TOML syntax error:"),
        "{}",
        errors[2]
    );
    assert!(
        text.contains(".: INVALID, 3 problems (1 valid questions)"),
        "{text}"
    );
}

#[test]
fn a_small_community_bank_is_valid_with_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bank = format!(
        "{}\n{}",
        question("community-deep-one", "dive deep"),
        question("community-deep-two", "Dive Deep")
    );
    std::fs::write(dir.path().join("community.toml"), bank).expect("write");
    let path = dir.path().to_str().expect("utf-8 temp path");

    let output = run(repo(), &["questions", "validate", path]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(
        text.contains("warning: Dive Deep has 2 questions (at least 3 recommended)"),
        "{text}"
    );
    assert!(text.contains("OK, 16 principles, 2 questions"), "{text}");

    let listed = run(repo(), &["questions", "list", "--dir", path]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let listed_text = stdout(&listed);
    let (ids, count) = listing(&listed_text);
    assert_eq!(count, 2);
    assert_eq!(ids[0], "community-deep-one  [Dive Deep]");
}

#[test]
fn a_missing_directory_is_an_error_naming_it() {
    let output = run(repo(), &["questions", "validate", "/nonexistent/bank"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("/nonexistent/bank: cannot read"),
        "{}",
        stderr(&output)
    );
    let listed = run(repo(), &["questions", "list", "--dir", "/nonexistent/bank"]);
    assert_eq!(listed.status.code(), Some(1));
    assert!(stderr(&listed).contains("/nonexistent/bank"));
}
