//! Renders an analysis [`Report`] for a person reading a terminal: plain text, no colours, so it
//! reads the same in a pipe, a log or a screen reader.

use std::fmt::Write;

use crate::analysis::{LengthVerdict, Report};

const QUOTE_CHARS: usize = 90;

/// The report as text, ending with a newline.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, report);
    out
}

fn write_report(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "Score: {}/5", r.score.value)?;
    for reason in &r.score.reasons {
        writeln!(out, "  - {reason}")?;
    }
    writeln!(out)?;
    writeln!(out, "STAR")?;
    for presence in &r.sections {
        let name = presence.section.title();
        match &presence.evidence {
            Some(quote) => writeln!(out, "  [x] {name:<9} \"{}\"", shorten(quote))?,
            None => writeln!(out, "  [ ] {name:<9} missing")?,
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "I vs we: {} \"I\"-type, {} \"we\"-type pronouns",
        r.pronouns.singular, r.pronouns.plural
    )?;
    if r.ownership.flagged {
        writeln!(
            out,
            "  Actions told only with \"we\" ({} of {}):",
            r.ownership.we_only_actions.len(),
            r.ownership.action_sentences
        )?;
        for s in &r.ownership.we_only_actions {
            writeln!(out, "    \"{}\"", shorten(s))?;
        }
    }
    if r.hypothetical {
        writeln!(
            out,
            "Hypothetical: yes, it says what you would do, not what you did"
        )?;
    }
    writeln!(
        out,
        "Result measured: {}",
        if r.quantified_result { "yes" } else { "no" }
    )?;
    let spec = &r.specificity;
    writeln!(
        out,
        "Specifics: tools {}, timelines {}, metrics {}",
        list(&spec.named_tools),
        list(&spec.timelines),
        list(&spec.metrics)
    )?;
    let verdict = match r.length.verdict {
        LengthVerdict::TooShort => "too short",
        LengthVerdict::Ok => "on target",
        LengthVerdict::TooLong => "too long",
    };
    writeln!(
        out,
        "Length: {} words, about {}:{:02} spoken ({verdict}; target 2–3 minutes)",
        r.length.words,
        r.length.speaking_seconds / 60,
        r.length.speaking_seconds % 60
    )?;
    writeln!(out)?;
    writeln!(out, "Sentences")?;
    for s in &r.sentences {
        writeln!(out, "  {:<9} {}", s.section.as_str(), shorten(&s.text))?;
    }
    writeln!(out)?;
    writeln!(out, "Next step: {}", r.next_step)?;
    writeln!(out, "Follow-up: {}", r.follow_up)?;
    Ok(())
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// At most `QUOTE_CHARS` characters, cut on a char boundary, control characters made visible.
fn shorten(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= QUOTE_CHARS {
        clean
    } else {
        let mut cut: String = clean.chars().take(QUOTE_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;

    #[test]
    fn renders_score_sections_and_follow_up() {
        let report = analyze(
            "I was an analyst at a bank.\nWe rebuilt the report.\nWe also automated it.",
            None,
        );
        let text = render(&report.unwrap_or_else(|e| panic!("{e}")));
        assert!(text.starts_with("Score: "));
        assert!(text.contains("[ ] Result    missing"), "{text}");
        assert!(text.contains("Actions told only with \"we\""), "{text}");
        assert!(text.contains("Follow-up: "));
    }

    #[test]
    fn long_quotes_are_shortened_on_char_boundaries() {
        let s = shorten(&"é".repeat(200));
        assert_eq!(s.chars().count(), QUOTE_CHARS);
        assert!(s.ends_with('…'));
    }
}
