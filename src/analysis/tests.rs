//! Whole-pipeline tests drawn from chat habits, plus a property test that no input panics.

use proptest::prelude::*;

use super::*;

fn report(text: &str) -> Report {
    match analyze(text, None) {
        Ok(r) => r,
        Err(e) => panic!("analysis failed: {e}"),
    }
}

#[test]
fn empty_and_whitespace_answers_are_refused() {
    assert_eq!(analyze("", None), Err(AnalysisError::Empty));
    assert_eq!(analyze(" \n\t\r\n ", None), Err(AnalysisError::Empty));
}

#[test]
fn answers_over_the_limit_are_refused_with_the_limit_stated() {
    let long = "é".repeat(MAX_ANSWER_CHARS + 1);
    let err = analyze(&long, None).err();
    assert_eq!(
        err,
        Some(AnalysisError::TooLong {
            limit: MAX_ANSWER_CHARS,
            chars: MAX_ANSWER_CHARS + 1
        })
    );
    let message = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("20000"), "{message}");
    // Exactly at the limit (in characters, not bytes) is accepted.
    assert!(analyze(&"é".repeat(MAX_ANSWER_CHARS), None).is_ok());
}

#[test]
fn offsets_are_bytes_and_chars_into_the_input() {
    let text = "Situation: café crashed 🎉. I fixed it.\n";
    let r = report(text);
    assert_eq!(r.sentences.len(), 2);
    let second = &r.sentences[1];
    assert_eq!(&text[second.start..second.end], "I fixed it.");
    let chars: Vec<char> = text.chars().collect();
    let by_chars: String = chars[second.char_start..second.char_end].iter().collect();
    assert_eq!(by_chars, "I fixed it.");
    assert!(
        second.char_start < second.start,
        "multibyte chars before it"
    );
}

#[test]
fn we_only_actions_are_flagged_but_we_in_the_situation_is_fine() {
    let we = report(
        "We were a team of five on a payments app.\nWe went through the crash logs.\nWe rewrote the retry logic.\nCrashes fell by 40%.",
    );
    assert!(we.ownership.flagged);
    assert_eq!(we.ownership.we_only_actions.len(), 2);
    assert_eq!(
        we.follow_up,
        "What did you personally do, as opposed to the team?"
    );

    let me = report(
        "We were a team of five on a payments app.\nI went through the crash logs.\nI rewrote the retry logic.\nCrashes fell by 40%.",
    );
    assert!(!me.ownership.flagged);
}

#[test]
fn hypothetical_answers_are_flagged_and_capped() {
    let r = report(
        "I don't think I have an example, so here's what I'd do. I would talk to the customers first. Then I'd build a prototype. That would cut costs a lot.",
    );
    assert!(r.hypothetical);
    assert!(r.score.value <= 2);
    assert!(r.follow_up.starts_with("Tell me about a time you actually"));
}

#[test]
fn missing_result_drives_the_follow_up() {
    let r = report(
        "I was a data analyst at an insurer. My manager asked me to speed up the close. I rewrote the matching logic in SQL. Then I documented it for the team.",
    );
    assert!(!r.star.result);
    assert!(r.missing.contains(&Section::Result));
    assert!(r.follow_up.contains("in numbers"));
}

#[test]
fn complete_answers_use_the_questions_own_follow_up() {
    let text = "I was the on-call SRE for a retailer during a flash sale, and errors jumped to 8%.\n\
        I had to decide whether to roll back a config change without knowing it was the cause.\n\
        I checked the rollback was safe, posted in the incident channel and rolled it back.\n\
        Errors dropped under 0.5% within four minutes and we saved about six hours of checkout errors.";
    let follow_ups = vec!["What data did you have when you decided?".to_string()];
    let hints = QuestionHints {
        text: "Tell me about a time you acted quickly.",
        follow_ups: &follow_ups,
    };
    let r = analyze(text, Some(&hints)).map_err(|e| e.to_string());
    let r = r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.missing, Vec::<Section>::new(), "{:#?}", r.sentences);
    assert!(r.quantified_result);
    assert_eq!(r.follow_up, "What data did you have when you decided?");
}

#[test]
fn evidence_quotes_the_first_sentence_of_each_section() {
    let r = report(
        "S: I ran a shop.\nT: I had to cut costs.\nA: I renegotiated rent.\nR: Costs fell 10%.",
    );
    let evidence: Vec<Option<&str>> = r.sections.iter().map(|p| p.evidence.as_deref()).collect();
    assert_eq!(
        evidence,
        vec![
            Some("S: I ran a shop."),
            Some("T: I had to cut costs."),
            Some("A: I renegotiated rent."),
            Some("R: Costs fell 10%.")
        ]
    );
    assert!(r.sentences.iter().all(|s| s.labeled));
}

#[test]
fn contract_json_has_the_stable_fields() {
    let r = report("I was an analyst.\nI built a model.\nChurn fell 2%.");
    let json = r.contract_json();
    for key in [
        "sentences",
        "star",
        "pronouns",
        "hypothetical",
        "quantified_result",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["sentences"][1]["start"], 18);
    assert_eq!(json["sentences"][1]["section"], "action");
    assert_eq!(json["pronouns"]["singular"], 2);
    assert_eq!(json["star"]["result"], true);
}

#[test]
fn length_is_estimated_at_150_words_a_minute() {
    let r = report(&"word ".repeat(300));
    assert_eq!(r.length.words, 300);
    assert_eq!(r.length.speaking_seconds, 120);
    assert_eq!(r.length.verdict, LengthVerdict::Ok);
    assert_eq!(report("too short").length.verdict, LengthVerdict::TooShort);
}

#[test]
fn odd_inputs_do_not_panic() {
    for text in [
        "🎉🎉🎉",
        "\u{0}\u{1}\u{7f}",
        "...",
        "\"",
        "**",
        "- ",
        "S:",
        "a.b.c.d.e.f",
        &"x".repeat(20_000),
        &"I. ".repeat(5000),
        "\r\r\r",
        "“unclosed. quote. here",
    ] {
        if let Ok(r) = analyze(text, None) {
            for s in &r.sentences {
                assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics_and_offsets_are_sound(text in "\\PC{0,300}|[a-zA-Z .!?\"“”'’:*\\-\n0-9%$]{0,300}") {
        if let Ok(r) = analyze(&text, None) {
            let mut last_end = 0usize;
            for s in &r.sentences {
                prop_assert!(s.start < s.end);
                prop_assert!(s.start >= last_end);
                prop_assert!(text.is_char_boundary(s.start));
                prop_assert!(text.is_char_boundary(s.end));
                let piece = &text[s.start..s.end];
                prop_assert!(!piece.contains('\n'));
                prop_assert_eq!(piece, s.text.as_str());
                prop_assert_eq!(text[..s.start].chars().count(), s.char_start);
                prop_assert_eq!(text[..s.end].chars().count(), s.char_end);
                last_end = s.end;
            }
            let non_ws_outside: usize = {
                let mut covered = vec![false; text.len()];
                for s in &r.sentences {
                    for b in covered.iter_mut().take(s.end).skip(s.start) {
                        *b = true;
                    }
                }
                text.char_indices().filter(|(i, c)| !c.is_whitespace() && !covered[*i]).count()
            };
            prop_assert_eq!(non_ws_outside, 0);
        }
    }
}

#[test]
fn an_outcome_told_as_a_quiet_spell_is_a_measured_result() {
    let text = "I was the data engineer and our nightly ETL failed twice a week.\n\
                I wrote a retry with backoff and moved the job an hour earlier.\n\
                after that we went 3 months without a single failed run";
    let r = report(text);
    let last = r.sentences.last().map(|s| s.section);
    assert_eq!(last, Some(Section::Result), "{:?}", r.sentences);
    assert!(r.quantified_result);
}
