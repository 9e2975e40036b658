//! Bank tests: each problem kind is located by file, line and field; the real bank is complete.

use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::*;

/// A question table that passes every check, with `{id}` substituted.
fn good_question(id: &str) -> String {
    format!(
        r#"[[question]]
id = "{id}"
text = "Tell me about a time you did something."
lps = ["Ownership"]
tests = "Whether you did it."
tips = ["Say I."]
follow_ups = ["What did you do?"]
"#
    )
}

/// Writes `files` into a fresh temporary directory.
fn bank_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write bank file");
    }
    dir
}

/// The problems of a directory that must fail to load.
fn problems_of(dir: &Path) -> Vec<Problem> {
    match Bank::load_dir(dir) {
        Err(BankError::Invalid { problems }) => problems,
        Err(other) => panic!("expected problems, got {other}"),
        Ok(bank) => panic!(
            "expected problems, loaded {} questions",
            bank.questions().len()
        ),
    }
}

fn file_in(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

#[test]
fn syntax_error_names_file_and_line() {
    let text = format!(
        "{}\n[[question]]\nid = \"broken\ntext = \"x\"\n",
        good_question("fine")
    );
    let dir = bank_dir(&[("bad.toml", &text)]);
    let problems = problems_of(dir.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    let problem = &problems[0];
    assert_eq!(problem.file, file_in(dir.path(), "bad.toml"));
    assert_eq!(problem.line, 10);
    assert!(matches!(problem.kind, ProblemKind::Syntax { .. }));
    assert!(problem
        .to_string()
        .starts_with(&format!("{}:10: TOML syntax error:", problem.file)));
}

#[test]
fn unknown_principle_is_located_and_gets_a_suggestion() {
    let text = good_question("own-broke-prod").replace("\"Ownership\"", "\"Ownershipp\"");
    let text = format!("# comment\n\n{text}");
    let dir = bank_dir(&[("ownership.toml", &text)]);
    let problems = problems_of(dir.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 6);
    assert_eq!(problems[0].field.as_deref(), Some("lps"));
    assert_eq!(
        problems[0].to_string(),
        format!(
            "{}:6: question \"own-broke-prod\": field \"lps\": unknown Leadership Principle \
             \"Ownershipp\" (did you mean \"Ownership\"?)",
            file_in(dir.path(), "ownership.toml")
        )
    );
}

#[test]
fn unknown_principle_far_from_any_name_gets_no_suggestion() {
    let text = good_question("q").replace("\"Ownership\"", "\"Quantum Synergy\"");
    let dir = bank_dir(&[("a.toml", &text)]);
    let problems = problems_of(dir.path());
    assert_eq!(
        problems[0].kind,
        ProblemKind::UnknownPrinciple {
            name: "Quantum Synergy".into(),
            suggestion: None
        }
    );
}

#[test]
fn duplicate_id_names_both_places() {
    let second = format!("\n\n{}", good_question("same-id"));
    let dir = bank_dir(&[("a.toml", &good_question("same-id")), ("b.toml", &second)]);
    let problems = problems_of(dir.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].file, file_in(dir.path(), "b.toml"));
    assert_eq!(problems[0].line, 4);
    assert_eq!(
        problems[0].kind,
        ProblemKind::DuplicateId {
            id: "same-id".into(),
            first_file: file_in(dir.path(), "a.toml"),
            first_line: 2,
        }
    );
    let message = problems[0].to_string();
    assert!(message.contains("a.toml:2"), "{message}");
    assert!(message.contains("b.toml:4"), "{message}");
}

#[test]
fn empty_text_and_empty_tests_are_reported_at_their_lines() {
    let text = good_question("q")
        .replace(
            "text = \"Tell me about a time you did something.\"",
            "text = \"  \"",
        )
        .replace("tests = \"Whether you did it.\"", "tests = \"\"");
    let dir = bank_dir(&[("a.toml", &text)]);
    let problems = problems_of(dir.path());
    let located: Vec<_> = problems
        .iter()
        .map(|p| (p.line, p.field.clone().unwrap_or_default(), p.kind.clone()))
        .collect();
    assert_eq!(
        located,
        vec![
            (3, "text".to_string(), ProblemKind::Empty),
            (5, "tests".to_string(), ProblemKind::Empty),
        ]
    );
}

#[test]
fn missing_field_is_reported_at_the_question_header() {
    let text = format!(
        "{}\n{}",
        good_question("first"),
        good_question("second").replace("tests = \"Whether you did it.\"\n", "")
    );
    let dir = bank_dir(&[("a.toml", &text)]);
    let problems = problems_of(dir.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 9);
    assert_eq!(problems[0].field.as_deref(), Some("tests"));
    assert_eq!(problems[0].kind, ProblemKind::Missing);
    assert_eq!(
        problems[0].subject,
        Subject::Question(EntryName::Id("second".into()))
    );
}

#[test]
fn follow_ups_must_number_one_to_three() {
    let four = good_question("four").replace(
        "follow_ups = [\"What did you do?\"]",
        "follow_ups = [\"a?\", \"b?\", \"c?\", \"d?\"]",
    );
    let none =
        good_question("none").replace("follow_ups = [\"What did you do?\"]", "follow_ups = []");
    let dir = bank_dir(&[("a.toml", &format!("{four}\n{none}"))]);
    let problems = problems_of(dir.path());
    let kinds: Vec<_> = problems.iter().map(|p| (p.line, p.kind.clone())).collect();
    assert_eq!(
        kinds,
        vec![
            (
                7,
                ProblemKind::TooManyFollowUps {
                    count: 4,
                    max: MAX_FOLLOW_UPS
                }
            ),
            (15, ProblemKind::NoEntries),
        ]
    );
}

#[test]
fn bad_id_characters_are_rejected() {
    for bad in [
        "Has Spaces",
        "UPPER",
        "9starts-with-digit",
        "trailing-",
        "double--hyphen",
    ] {
        let dir = bank_dir(&[("a.toml", &good_question(bad))]);
        let problems = problems_of(dir.path());
        assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
        assert_eq!(problems[0].line, 2, "{bad}");
        assert_eq!(problems[0].field.as_deref(), Some("id"));
        assert!(
            matches!(&problems[0].kind, ProblemKind::BadId { id, .. } if id == bad),
            "{bad}: {:?}",
            problems[0].kind
        );
        assert_eq!(
            problems[0].subject,
            Subject::Question(EntryName::Position(1))
        );
    }
}

#[test]
fn unknown_keys_and_wrong_types_are_reported() {
    let text = good_question("q")
        .replace("tips = [\"Say I.\"]", "tip = [\"Say I.\"]")
        .replace("tests = \"Whether you did it.\"", "tests = 3");
    let text = format!("title = \"my bank\"\n{text}");
    let dir = bank_dir(&[("a.toml", &text)]);
    let problems = problems_of(dir.path());
    let messages: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let file = file_in(dir.path(), "a.toml");
    assert!(
        messages.contains(&format!("{file}:1: field \"title\": unknown key")),
        "{messages:#?}"
    );
    assert!(
        messages.contains(&format!(
            "{file}:7: question \"q\": field \"tip\": unknown key (did you mean \"tips\"?)"
        )),
        "{messages:#?}"
    );
    assert!(
        messages.contains(&format!(
            "{file}:6: question \"q\": field \"tests\": expected a string"
        )),
        "{messages:#?}"
    );
    assert!(
        messages.contains(&format!(
            "{file}:2: question \"q\": field \"tips\": missing (required)"
        )),
        "{messages:#?}"
    );
}

#[test]
fn every_problem_of_a_directory_is_collected() {
    let dir = bank_dir(&[
        ("a.toml", "not toml at all ="),
        ("b.toml", &good_question("Bad Id")),
        (
            "c.toml",
            &good_question("c").replace("\"Ownership\"", "\"Ownrship\""),
        ),
        ("notes.txt", "ignored, not a bank file"),
    ]);
    let problems = problems_of(dir.path());
    let files: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(
        files,
        vec![
            file_in(dir.path(), "a.toml"),
            file_in(dir.path(), "b.toml"),
            file_in(dir.path(), "c.toml")
        ]
    );
}

#[test]
fn a_question_only_bank_uses_the_builtin_principles() {
    let text = good_question("community-one").replace("\"Ownership\"", "\"disagree and commit\"");
    let dir = bank_dir(&[("community.toml", &text)]);
    let bank = Bank::load_dir(dir.path()).expect("loads");
    assert_eq!(bank.principles().len(), 16);
    let question = bank.question("community-one").expect("question");
    assert_eq!(question.lps, vec!["have-backbone-disagree-and-commit"]);
    assert_eq!(question.source, None);
    assert_eq!(bank.thin_principles().len(), 16);
}

#[test]
fn principles_must_not_share_names() {
    let text = r#"[[principle]]
id = "one"
name = "First"
meaning = "m"

[[principle]]
id = "two"
name = "Second"
meaning = "m"
aliases = ["first"]
"#;
    let dir = bank_dir(&[("p.toml", text)]);
    let problems = problems_of(dir.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 10);
    assert_eq!(problems[0].field.as_deref(), Some("aliases"));
    assert_eq!(
        problems[0].kind,
        ProblemKind::DuplicatePrincipleName {
            name: "first".into(),
            other: "one".into()
        }
    );
}

#[test]
fn unreadable_or_empty_directories_are_errors_naming_the_path() {
    let missing = Path::new("/nonexistent/bank/dir");
    let err = Bank::load_dir(missing).expect_err("missing dir");
    assert!(
        err.to_string()
            .starts_with("/nonexistent/bank/dir: cannot read"),
        "{err}"
    );
    let empty = bank_dir(&[("readme.md", "no toml here")]);
    let err = Bank::load_dir(empty.path()).expect_err("no toml");
    assert!(matches!(err, BankError::NoFiles { .. }), "{err}");
}

// ---------------------------------------------------------------- the real bank

fn repo_questions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("questions")
}

/// The canonical names, as in the corpus tools' `LPS`.
const LPS: [&str; 16] = [
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

/// Seed question number → id. Ids are referred to by stored history: never change one.
const SEED_IDS: [(usize, &str); 29] = [
    (1, "co-simplify-for-customers"),
    (2, "co-above-and-beyond"),
    (3, "dr-vague-requirements"),
    (4, "hs-compromise-quality"),
    (5, "own-improve-team-process"),
    (6, "own-broke-production"),
    (7, "own-led-technical-project"),
    (8, "bfa-took-lead-on-issues"),
    (9, "dr-strict-deadline"),
    (10, "dr-tight-deadlines-met"),
    (11, "dr-high-impact-project"),
    (12, "hs-track-impact"),
    (13, "own-outside-core-role"),
    (14, "own-outside-core-role-again"),
    (15, "dr-missed-deadline"),
    (16, "own-long-term-decision"),
    (17, "own-owned-mistake"),
    (18, "own-short-vs-long-term"),
    (19, "co-unpopular-customer-decision"),
    (20, "co-customer-feedback-change"),
    (21, "co-anticipated-need"),
    (22, "co-failed-customer-expectations"),
    (23, "dr-overcame-obstacles"),
    (24, "dr-competing-demands"),
    (25, "dr-project-at-risk"),
    (26, "bfa-incomplete-information"),
    (27, "bfa-calculated-risk"),
    (28, "bfa-acted-without-approval"),
    (29, "bfa-analysis-paralysis"),
];

#[test]
fn the_real_bank_has_the_sixteen_principles_in_canonical_order() {
    let bank = Bank::load_dir(&repo_questions_dir()).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = bank.principles().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, LPS);
    for p in bank.principles() {
        assert!(load::is_valid_id(&p.id), "{}", p.id);
        assert!(!p.meaning.is_empty());
        assert_eq!(bank.principle(&p.name).map(|f| &f.id), Some(&p.id));
        assert_eq!(bank.principle(&p.id).map(|f| &f.id), Some(&p.id));
    }
}

#[test]
fn the_real_bank_covers_every_principle_at_least_three_times() {
    let bank = Bank::load_dir(&repo_questions_dir()).unwrap_or_else(|e| panic!("{e}"));
    for (principle, count) in bank.counts() {
        assert!(
            count >= MIN_QUESTIONS_PER_PRINCIPLE,
            "{} has only {count} questions",
            principle.name
        );
    }
    assert!(bank.thin_principles().is_empty());
    for question in bank.questions() {
        assert!(question.tips.len() >= 2, "{} needs 2+ tips", question.id);
        assert!(!question.follow_ups.is_empty());
    }
}

#[test]
fn the_real_bank_holds_every_seed_question_under_its_stable_id() {
    let bank = Bank::load_dir(&repo_questions_dir()).unwrap_or_else(|e| panic!("{e}"));
    let seeds: Vec<&Question> = bank
        .questions()
        .iter()
        .filter(|q| q.source.as_deref() == Some("seed"))
        .collect();
    assert_eq!(seeds.len(), 29);
    for (_, id) in SEED_IDS {
        assert!(bank.question(id).is_some(), "seed question {id} is missing");
    }
    let Some(json) = seed_json() else {
        eprintln!("questions-seed.json not found; compared ids only");
        return;
    };
    let entries = json.as_array().expect("seed json is an array");
    assert_eq!(entries.len(), 29);
    for entry in entries {
        let number = entry["number"].as_u64().expect("number") as usize;
        let (_, id) = SEED_IDS
            .iter()
            .find(|(n, _)| *n == number)
            .expect("every seed number has an id");
        let question = bank.question(id).expect("seed question");
        assert_eq!(question.text, entry["question"].as_str().expect("question"));
        assert_eq!(question.tests, entry["testing"].as_str().expect("testing"));
        let tips: Vec<&str> = entry["tips"]
            .as_array()
            .expect("tips")
            .iter()
            .filter_map(|t| t.as_str())
            .collect();
        assert_eq!(question.tips, tips, "{id}");
        let lps: Vec<&str> = entry["lp"]
            .as_array()
            .expect("lp")
            .iter()
            .filter_map(|lp| bank.principle(lp.as_str()?).map(|p| p.id.as_str()))
            .collect();
        assert_eq!(question.lps, lps, "{id}");
    }
}

/// The corpus sits next to the repository; a worktree is one level deeper.
fn seed_json() -> Option<serde_json::Value> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("../shared/corpus/questions-seed.json"),
        manifest.join("../../shared/corpus/questions-seed.json"),
    ];
    let path = candidates.iter().find(|p| p.exists())?;
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

#[test]
fn builtin_is_the_questions_directory() {
    let mut on_disk: Vec<String> = std::fs::read_dir(repo_questions_dir())
        .expect("questions dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = BUILTIN_FILES.iter().map(|(n, _)| n.to_string()).collect();
    embedded.sort();
    assert_eq!(
        embedded, on_disk,
        "list every questions/*.toml in BUILTIN_FILES"
    );

    let builtin = Bank::builtin();
    let loaded = Bank::load_dir(&repo_questions_dir()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(builtin.principles(), loaded.principles());
    assert_eq!(builtin.questions(), loaded.questions());
}

#[test]
fn principle_lookup_ignores_case_punctuation_and_accepts_aliases() {
    let bank = Bank::builtin();
    let id = |name: &str| bank.principle(name).map(|p| p.id.clone());
    assert_eq!(id("are right a lot").as_deref(), Some("are-right-a-lot"));
    assert_eq!(id("ARE-RIGHT-A-LOT").as_deref(), Some("are-right-a-lot"));
    assert_eq!(
        id("Disagree and Commit").as_deref(),
        Some("have-backbone-disagree-and-commit")
    );
    assert_eq!(
        id("insist on highest standards").as_deref(),
        Some("insist-on-the-highest-standards")
    );
    assert_eq!(
        id("earths best employer").as_deref(),
        Some("strive-to-be-earths-best-employer")
    );
    assert_eq!(id("Ownershipp"), None);
    assert_eq!(bank.suggest_principle("Ownershipp"), Some("Ownership"));
}

#[test]
fn pick_respects_the_principle_and_the_exclusions() {
    let bank = Bank::builtin();
    let mut rng = StdRng::seed_from_u64(7);
    let standards = "insist-on-the-highest-standards";
    let ids: Vec<&str> = bank
        .questions_for(standards)
        .iter()
        .map(|q| q.id.as_str())
        .collect();
    assert!(ids.len() >= 2);
    for _ in 0..20 {
        let q = bank
            .pick(Some("Highest Standards"), &[], &mut rng)
            .expect("a question");
        assert!(q.lps.iter().any(|lp| lp == standards));
    }
    let (last, others) = ids.split_last().expect("non-empty");
    for _ in 0..20 {
        let q = bank
            .pick(Some(standards), others, &mut rng)
            .expect("one left");
        assert_eq!(q.id, *last);
    }
    assert!(bank.pick(Some(standards), &ids, &mut rng).is_none());
    assert!(bank
        .pick(Some("no such principle"), &[], &mut rng)
        .is_none());
    let all: Vec<&str> = bank.questions().iter().map(|q| q.id.as_str()).collect();
    assert!(bank.pick(None, &all, &mut rng).is_none());
    assert!(bank.pick(None, &all[1..], &mut rng).is_some());
}

#[test]
fn hints_carry_the_question_text_and_its_own_follow_ups() {
    let bank = Bank::builtin();
    let question = bank
        .question("own-broke-production")
        .expect("seed question");
    let hints = question.hints();
    assert_eq!(
        hints.text,
        "Tell me about a time you broke production or were on-call when it broke. What steps did you take?"
    );
    assert_eq!(hints.follow_ups, question.follow_ups.as_slice());
    assert_eq!(hints.follow_ups.len(), 3);
}

/// Ids of the questions we wrote. History refers to them: one may be added, never renamed.
const WRITTEN_IDS: [&str; 36] = [
    "inv-simplified-accepted-complexity",
    "inv-most-innovative-work",
    "inv-misunderstood-idea",
    "arl-call-without-clear-data",
    "arl-were-wrong",
    "arl-sought-opposing-view",
    "lbc-learned-fast",
    "lbc-curiosity-paid-off",
    "lbc-recent-learning-applied",
    "hdb-mentored-someone",
    "hdb-hiring-decision",
    "hdb-difficult-feedback",
    "hs-raised-team-bar",
    "hs-unsatisfied-with-own-work",
    "hs-fixed-recurring-problem",
    "tb-bold-direction",
    "tb-bigger-opportunity",
    "tb-ambitious-goal-doubted",
    "fru-more-with-less",
    "fru-reduced-cost",
    "fru-chose-not-to-spend",
    "et-rebuilt-trust",
    "et-admitted-mistake",
    "et-difficult-colleague",
    "dd-root-cause-others-missed",
    "dd-numbers-vs-story",
    "dd-small-detail-mattered",
    "bb-disagreed-with-manager",
    "bb-disagree-and-commit",
    "bb-held-position-under-pressure",
    "ebe-better-place-to-work",
    "ebe-gave-overlooked-a-voice",
    "ebe-supported-struggling-colleague",
    "ssr-wider-impact",
    "ssr-raised-risk-to-users",
    "ssr-reduced-footprint",
];

#[test]
fn published_ids_never_disappear() {
    let bank = Bank::builtin();
    for id in WRITTEN_IDS.iter().chain(SEED_IDS.iter().map(|(_, id)| id)) {
        assert!(
            bank.question(id).is_some(),
            "question id {id} was removed or renamed"
        );
    }
    let written = bank
        .questions()
        .iter()
        .filter(|q| q.source.as_deref() == Some("bar-raiser"))
        .count();
    assert_eq!(
        written,
        WRITTEN_IDS.len(),
        "add new written ids to WRITTEN_IDS"
    );
}

mod never_panics {
    use proptest::prelude::*;

    use super::super::Bank;

    const VALID: &str = include_str!("../../questions/think-big.toml");

    proptest! {
        #[test]
        fn on_arbitrary_text(text in "\\PC{0,400}") {
            let _ = Bank::from_sources(&[("any.toml", &text)]);
        }

        #[test]
        fn on_a_damaged_bank_file(cut in 0usize..VALID.len(), insert in "[\\[\\]=\"\\n a-z,#]{0,8}") {
            let mut text = VALID.as_bytes()[..cut].to_vec();
            text.extend_from_slice(insert.as_bytes());
            text.extend_from_slice(&VALID.as_bytes()[cut..]);
            let text = String::from_utf8_lossy(&text);
            if let Err(super::super::BankError::Invalid { problems }) =
                Bank::from_sources(&[("any.toml", &text)])
            {
                let lines = text.lines().count().max(1);
                for problem in problems {
                    prop_assert!(problem.line >= 1 && problem.line <= lines + 1, "{problem}");
                }
            }
        }
    }
}
