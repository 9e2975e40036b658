//! Property tests on hostile input, beyond the analyzer's own: text built from control
//! characters, right-to-left and combining marks, emoji, huge single words, markdown and code
//! fences, only whitespace, up to 20,000 characters; and config files that are arbitrary bytes
//! or a valid config cut anywhere. Nothing may panic; offsets stay on char boundaries inside
//! the input; STAR presence agrees with the sentence labels; config errors name the file.

use std::path::Path;

use bar_raiser::analysis::{analyze, AnalysisError, Report, Section, MAX_ANSWER_CHARS};
use bar_raiser::config::Config;
use proptest::prelude::*;

/// Pieces people (and copy-paste) produce, glued together at random.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("I led the migration. ".to_string()),
        Just("We shipped it in 3 weeks and cut costs by 40%. ".to_string()),
        Just("**Situation:** ".to_string()),
        Just("- Task: ".to_string()),
        Just("```rust\nfn main() {}\n```\n".to_string()),
        Just("> quoted. ".to_string()),
        Just("\u{202E}גדלתי את הצוות\u{202C}. ".to_string()), // RTL override + Hebrew
        Just("مرحبا بالعالم. ".to_string()),
        Just("e\u{301}\u{301}\u{301}\u{20DD} ".to_string()), // stacked combining marks
        Just("👩‍👩‍👧‍👦🎉🔥 ".to_string()),
        Just("\u{0}\u{7}\u{1b}[31m\u{7f}".to_string()),
        Just("\r\n\t \u{a0}\u{2028}\u{3000}".to_string()),
        Just("I. ".to_string()),
        Just("@everyone <@&123> ".to_string()),
        "[a-z]{1,2000}".prop_map(|w| format!("{w} ")), // a huge single word
        "\\PC{0,80}",
        "\\p{Cc}{0,20}",
        "\\s{0,40}",
    ]
}

fn answer() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..40).prop_map(|parts| parts.concat())
}

fn check_report(text: &str, report: &Report) -> Result<(), TestCaseError> {
    let mut last_end = 0;
    for s in &report.sentences {
        prop_assert!(s.start < s.end && s.end <= text.len(), "{s:?}");
        prop_assert!(s.start >= last_end, "sentences overlap or go back: {s:?}");
        prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        prop_assert_eq!(&text[s.start..s.end], s.text.as_str());
        prop_assert_eq!(text[..s.start].chars().count(), s.char_start);
        prop_assert_eq!(text[..s.end].chars().count(), s.char_end);
        last_end = s.end;
    }
    for presence in &report.sections {
        let labelled: Vec<&str> = report
            .sentences
            .iter()
            .filter(|s| s.section == presence.section)
            .map(|s| s.text.as_str())
            .collect();
        prop_assert_eq!(
            presence.present,
            !labelled.is_empty(),
            "{:?} presence disagrees with the labels",
            presence.section
        );
        if let Some(evidence) = &presence.evidence {
            prop_assert!(
                labelled
                    .iter()
                    .any(|s| s.contains(evidence.trim()) || evidence.contains(s.trim())),
                "evidence {evidence:?} is not a {:?} sentence",
                presence.section
            );
        }
        let missing = report.missing.contains(&presence.section);
        if presence.section != Section::Other {
            prop_assert_eq!(missing, !presence.present, "{:?}", presence.section);
        }
    }
    let star = report.star;
    for (section, flag) in [
        (Section::Situation, star.situation),
        (Section::Task, star.task),
        (Section::Action, star.action),
        (Section::Result, star.result),
    ] {
        prop_assert_eq!(
            flag,
            report.sentences.iter().any(|s| s.section == section),
            "star flag for {:?}",
            section
        );
    }
    prop_assert!(report.score.value <= 5);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0xBAD_1A9),
        ..ProptestConfig::default()
    })]

    #[test]
    fn hostile_answers_never_panic_and_reports_are_consistent(text in answer()) {
        match analyze(&text, None) {
            Ok(report) => check_report(&text, &report)?,
            Err(AnalysisError::Empty) => prop_assert!(!text.chars().any(char::is_alphanumeric), "refused as empty: {text:?}"),
            Err(AnalysisError::TooLong { .. }) => prop_assert!(text.chars().count() > MAX_ANSWER_CHARS),
        }
    }

    #[test]
    fn arbitrary_config_text_is_an_error_naming_the_file_never_a_panic(text in "\\PC{0,400}") {
        if let Err(err) = Config::parse(&text, Path::new("conf/bar-raiser.toml")) {
            prop_assert!(err.to_string().contains("conf/bar-raiser.toml"), "{}", err);
        }
    }

    #[test]
    fn a_config_cut_anywhere_is_an_error_naming_the_file_never_a_panic(cut in 0usize..2000) {
        let full = std::fs::read_to_string("config/bar-raiser.toml").expect("the shipped config");
        let mut end = cut.min(full.len());
        while !full.is_char_boundary(end) {
            end -= 1;
        }
        if let Err(err) = Config::parse(&full[..end], Path::new("config/bar-raiser.toml")) {
            let text = err.to_string();
            prop_assert!(text.contains("config/bar-raiser.toml"), "{}", text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 12,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x20_000),
        ..ProptestConfig::default()
    })]

    /// Inputs around the 20,000-character limit: analysed with sound offsets, or refused with
    /// the limit, never a panic.
    #[test]
    fn twenty_thousand_characters_are_analysed_or_refused_cleanly(
        parts in prop::collection::vec(piece(), 1..8),
        target in 19_000usize..21_000,
    ) {
        let seed = parts.concat();
        prop_assume!(!seed.is_empty());
        let text: String = seed.chars().cycle().take(target).collect();
        match analyze(&text, None) {
            Ok(report) => {
                prop_assert!(text.chars().count() <= MAX_ANSWER_CHARS);
                check_report(&text, &report)?;
            }
            Err(AnalysisError::TooLong { limit, chars }) => {
                prop_assert_eq!(limit, MAX_ANSWER_CHARS);
                prop_assert!(chars > limit);
            }
            Err(AnalysisError::Empty) => prop_assert!(!text.chars().any(char::is_alphanumeric)),
        }
    }
}
