//! Explicit STAR headers at the start of a unit: "Situation:", "S -", "S:", "**Task**",
//! "**Situation:**", "ACTION —", "T: ", "## Result", "Outcome:", "What I did:".

use super::Section;

/// Header words (lowercase, single spaces) and the section each names.
const HEADER_WORDS: &[(&str, Section)] = &[
    ("situation", Section::Situation),
    ("the situation", Section::Situation),
    ("sit", Section::Situation),
    ("context", Section::Situation),
    ("background", Section::Situation),
    ("backstory", Section::Situation),
    ("setting", Section::Situation),
    ("problem", Section::Situation),
    ("the problem", Section::Situation),
    ("challenge", Section::Situation),
    ("the challenge", Section::Situation),
    ("task", Section::Task),
    ("the task", Section::Task),
    ("my task", Section::Task),
    ("tasks", Section::Task),
    ("goal", Section::Task),
    ("my goal", Section::Task),
    ("the goal", Section::Task),
    ("objective", Section::Task),
    ("responsibility", Section::Task),
    ("my responsibility", Section::Task),
    ("assignment", Section::Task),
    ("mission", Section::Task),
    ("action", Section::Action),
    ("actions", Section::Action),
    ("act", Section::Action),
    ("my actions", Section::Action),
    ("what i did", Section::Action),
    ("approach", Section::Action),
    ("my approach", Section::Action),
    ("steps", Section::Action),
    ("result", Section::Result),
    ("results", Section::Result),
    ("res", Section::Result),
    ("the result", Section::Result),
    ("end result", Section::Result),
    ("outcome", Section::Result),
    ("outcomes", Section::Result),
    ("the outcome", Section::Result),
    ("impact", Section::Result),
    ("lesson", Section::Result),
    ("lessons", Section::Result),
    ("lessons learned", Section::Result),
    ("learnings", Section::Result),
    ("takeaway", Section::Result),
    ("takeaways", Section::Result),
    ("what i learned", Section::Result),
];

fn letter_section(c: char) -> Option<Section> {
    match c.to_ascii_uppercase() {
        'S' => Some(Section::Situation),
        'T' => Some(Section::Task),
        'A' => Some(Section::Action),
        'R' => Some(Section::Result),
        _ => None,
    }
}

/// The section an explicit header at the start of `unit` names, if any.
pub fn header_section(unit: &str) -> Option<Section> {
    parse_header(unit).map(|(section, _)| section)
}

/// True when the unit is a header and nothing else ("**Action**", "Result:").
pub fn is_header_only(unit: &str) -> bool {
    parse_header(unit).is_some_and(|(_, only)| only)
}

fn nothing_after_separator(after: &str) -> bool {
    after
        .trim_matches(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '*' | '_' | ']' | ')' | '`' | '#' | ':' | '-' | '–' | '—' | '|' | '>' | '.'
                )
        })
        .is_empty()
}

/// The header's section and whether the unit holds nothing but the header.
fn parse_header(unit: &str) -> Option<(Section, bool)> {
    let mut rest = strip_bullet(unit.trim_start());
    let before = rest.len();
    rest = rest.trim_start_matches(|c: char| {
        matches!(c, '*' | '_' | '#' | '>' | '[' | '(' | '`') || c.is_whitespace()
    });
    let decorated = rest.len() < before;

    // Up to three words of ASCII letters separated by single spaces.
    let mut word_ends = Vec::with_capacity(3);
    let mut pos = 0usize;
    for _ in 0..3 {
        let word_len = rest
            .get(pos..)
            .unwrap_or("")
            .bytes()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        if word_len == 0 {
            break;
        }
        pos += word_len;
        word_ends.push(pos);
        if rest.get(pos..pos + 1) == Some(" ") {
            pos += 1;
        } else {
            break;
        }
    }
    for &end in word_ends.iter().rev() {
        let phrase = rest.get(..end).unwrap_or("");
        let after = rest.get(end..).unwrap_or("");
        if phrase.len() == 1 {
            let c = phrase.chars().next().unwrap_or(' ');
            if let Some(section) = letter_section(c) {
                if letter_separator(after, c.is_ascii_uppercase(), decorated) {
                    return Some((section, nothing_after_separator(after)));
                }
            }
            continue;
        }
        let lower = phrase.to_ascii_lowercase();
        if let Some(&(_, section)) = HEADER_WORDS.iter().find(|(w, _)| *w == lower) {
            if word_separator(after, decorated) {
                return Some((section, nothing_after_separator(after)));
            }
        }
    }
    None
}

fn strip_bullet(s: &str) -> &str {
    let mut chars = s.chars();
    match chars.next() {
        Some('-' | '•' | '–' | '·' | '+') if chars.next().is_some_and(char::is_whitespace) => {
            s.get(1..).map_or(s, |r| r.trim_start())
        }
        Some('*') if s.get(1..2) == Some(" ") => s.get(1..).map_or(s, |r| r.trim_start()),
        _ => s,
    }
}

/// After a header word: optional closing decoration, then a separator or the end of the unit.
fn word_separator(after: &str, decorated: bool) -> bool {
    let closed = after.trim_start_matches(['*', '_', ']', ')', '`', '#']);
    let had_closing = closed.len() < after.len();
    let t = closed.trim_start();
    if t.is_empty() {
        return true;
    }
    let mut chars = t.chars();
    match chars.next() {
        Some(':' | '|' | '>') => true,
        Some('-' | '–' | '—') => chars
            .next()
            .is_none_or(|c| c.is_whitespace() || c == '-' || c == '>'),
        Some('.') => decorated && had_closing,
        _ => decorated && had_closing && closed.starts_with(char::is_whitespace),
    }
}

/// After a single letter: a real separator, and an uppercase letter unless it is a colon.
fn letter_separator(after: &str, uppercase: bool, decorated: bool) -> bool {
    let closed = after.trim_start_matches(['*', '_', ']', '`']);
    let had_closing = closed.len() < after.len();
    let t = closed.trim_start();
    let mut chars = t.chars();
    match chars.next() {
        Some(':') => true,
        Some(')') => uppercase,
        Some('-' | '–' | '—' | '|') => {
            uppercase && chars.next().is_none_or(|c| c.is_whitespace())
        }
        None => uppercase && decorated && had_closing,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_header_spellings_are_read() {
        let cases = [
            ("Situation: At Pixis, things broke.", Section::Situation),
            ("S - I was a TA", Section::Situation),
            ("S: I was a TA", Section::Situation),
            ("**Task** fix it", Section::Task),
            ("**Situation:** I was an ML engineer", Section::Situation),
            ("ACTION — I rebuilt it", Section::Action),
            ("T: The professor was away", Section::Task),
            ("## Result", Section::Result),
            ("Outcome: churn fell", Section::Result),
            ("What I did: called them", Section::Action),
            ("- R: 180 of 240 students used it", Section::Result),
            ("*Action*: wrote tests", Section::Action),
            ("__Result__ shipped", Section::Result),
            ("Result", Section::Result),
            ("A) I called the broker", Section::Action),
            ("Lessons learned: ask early", Section::Result),
            ("r: shipped on friday", Section::Result),
        ];
        for (text, want) in cases {
            assert_eq!(header_section(text), Some(want), "{text}");
        }
    }

    #[test]
    fn header_only_units_are_told_apart() {
        assert!(is_header_only("**Action**"));
        assert!(is_header_only("Result:"));
        assert!(is_header_only("## Situation"));
        assert!(is_header_only("T -"));
        assert!(!is_header_only("Result: we shipped"));
        assert!(!is_header_only("I shipped"));
    }

    #[test]
    fn ordinary_sentences_are_not_headers() {
        for text in [
            "Situation was bad, so I left.",
            "Results-driven people like me",
            "A few months after I took over",
            "I - was there",
            "Short version: I rolled it back",
            "a - b testing",
            "Sure, good question.",
            "Task force meeting ran late",
            "S3 bucket costs doubled",
            "so context: I was a manager",
        ] {
            assert_eq!(header_section(text), None, "{text}");
        }
    }
}
