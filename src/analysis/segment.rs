//! Cuts chat text into units: sentences, bullet lines and fragments.
//!
//! Rules, chosen for how people type in chat:
//! - A line break always ends a unit, so a sentence broken across two messages is two units.
//! - A bullet line (`- `, `* `, `• `, `1. `, `2) `) is one unit.
//! - Otherwise `.`, `!`, `?` (with closing quotes or brackets) end a sentence when whitespace
//!   follows, even before a lowercase word, except after abbreviations (`e.g.`, `vs.`),
//!   single-letter initials, an ellipsis that runs on in lowercase, or inside a quotation that
//!   goes on. Decimals (3.5), dotted names (React.memo) and URLs have no whitespace after the
//!   dot, so they never split.
//!
//! Units are trimmed of whitespace and never empty; offsets are byte offsets on char boundaries.

/// A unit of the answer: `start..end` is a byte range of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    pub start: usize,
    pub end: usize,
    /// Index of the line the unit is on (0-based).
    pub line: usize,
    /// True for the first unit on its line.
    pub line_start: bool,
    /// True when the line is a bullet item.
    pub bullet: bool,
}

/// Words that end with a period without ending a sentence (compared lowercase, without the
/// final period).
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "eg", "ie", "vs", "v", "etc", "approx", "incl", "cf", "mr", "mrs", "ms", "dr",
    "st", "jr", "sr", "fig", "est", "dept", "inc", "ltd", "co", "corp", "min", "max", "avg", "wk",
    "mo", "hr", "hrs", "sec", "ca", "al", "a.m", "p.m", "u.s", "n.b", "ps", "p.s", "ph.d", "m.s",
    "b.s", "b.a", "m.a", "u.k", "e.u", "govt", "ext", "vol", "ft",
];

/// Splits the whole text into units.
pub fn segment(text: &str) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut line_start = 0usize;
    for (line_no, line) in text.split('\n').enumerate() {
        segment_line(text, line_start, line, line_no, &mut units);
        line_start += line.len() + 1;
    }
    units
}

fn segment_line(text: &str, offset: usize, line: &str, line_no: usize, out: &mut Vec<Unit>) {
    let bullet = is_bullet(line);
    let first_index = out.len();
    let push = |start: usize, end: usize, out: &mut Vec<Unit>| {
        if let Some((s, e)) = trim_range(text, offset + start, offset + end) {
            out.push(Unit {
                start: s,
                end: e,
                line: line_no,
                line_start: out.len() == first_index,
                bullet,
            });
        }
    };
    if bullet {
        push(0, line.len(), out);
        return;
    }
    let quotes = quote_spans(line);
    let bytes = line.as_bytes();
    let mut start = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        let c = bytes[i];
        if !(c == b'.' || c == b'!' || c == b'?') {
            i += 1;
            continue;
        }
        // Run of terminal punctuation, then closing quotes and brackets.
        let mut j = i;
        let mut dots = 0usize;
        while j < bytes.len() && matches!(bytes[j], b'.' | b'!' | b'?') {
            if bytes[j] == b'.' {
                dots += 1;
            }
            j += 1;
        }
        let single_dot = c == b'.' && j == i + 1;
        let run_end = j;
        j = skip_closers(line, j);
        let closed_quote = line
            .get(run_end..j)
            .is_some_and(|closers| closers.contains(['"', '\u{201d}']));
        let next_is_space = match line.get(j..).and_then(|rest| rest.chars().next()) {
            None => true,
            Some(ch) => ch.is_whitespace(),
        };
        if !next_is_space {
            i = j.max(i + 1);
            continue;
        }
        let rest = line.get(j..).unwrap_or("");
        let next = rest.trim_start().chars().next();
        let boundary = match next {
            None => true,
            Some(n) => {
                if single_dot && is_abbreviation(line, i) {
                    // "vs. 96%" and "e.g. career breaks" go on; "etc. Then" ends.
                    is_abbreviation_that_may_end(line, i) && n.is_uppercase()
                } else if closed_quote && n.is_lowercase() {
                    // A quoted sentence inside a longer one: `"Ship it now!" and left.`
                    false
                } else if dots >= 2 {
                    // An ellipsis ends a sentence only when a new one clearly starts.
                    n.is_uppercase() || n.is_ascii_digit()
                } else {
                    true
                }
            }
        };
        let inside_quote = quotes.iter().any(|&(open, close)| open < i && close >= j);
        if boundary && !inside_quote {
            push(start, j, out);
            start = j;
        }
        i = j;
    }
    push(start, line.len(), out);
}

/// Trims whitespace from both ends of `start..end`; `None` when nothing is left.
fn trim_range(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let slice = text.get(start..end)?;
    let lead = slice.len() - slice.trim_start().len();
    let trimmed = slice.trim();
    if trimmed.is_empty() {
        return None;
    }
    Some((start + lead, start + lead + trimmed.len()))
}

fn skip_closers(line: &str, mut j: usize) -> usize {
    while let Some(ch) = line.get(j..).and_then(|r| r.chars().next()) {
        if matches!(
            ch,
            '"' | '\'' | '\u{201d}' | '\u{2019}' | ')' | ']' | '*' | '_'
        ) {
            j += ch.len_utf8();
        } else {
            break;
        }
    }
    j
}

/// The word right before byte `dot` (letters, digits and inner dots), lowercased.
fn word_before(line: &str, dot: usize) -> String {
    let head = line.get(..dot).unwrap_or("");
    let word: String = head
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '.')
        .collect();
    word.chars().rev().collect::<String>().to_lowercase()
}

fn is_abbreviation(line: &str, dot: usize) -> bool {
    let word = word_before(line, dot);
    let word = word.trim_start_matches('.');
    if word.is_empty() {
        return false;
    }
    ABBREVIATIONS.contains(&word)
}

/// Abbreviations that often end a sentence too ("…and so on, etc.").
fn is_abbreviation_that_may_end(line: &str, dot: usize) -> bool {
    matches!(
        word_before(line, dot).as_str(),
        "etc" | "inc" | "ltd" | "co" | "corp" | "al" | "a.m" | "p.m" | "u.s" | "min" | "hrs" | "hr"
    )
}

/// Byte spans `(open, close)` of quotations on one line: straight quotes pair up in order,
/// curly quotes nest. An unpaired quote opens nothing, so a stray `"` cannot swallow the line.
fn quote_spans(line: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut straight_open: Option<usize> = None;
    let mut curly: Vec<usize> = Vec::new();
    for (i, ch) in line.char_indices() {
        match ch {
            '"' => match straight_open.take() {
                Some(open) => spans.push((open, i)),
                None => straight_open = Some(i),
            },
            '\u{201c}' => curly.push(i),
            '\u{201d}' => {
                if let Some(open) = curly.pop() {
                    spans.push((open, i));
                }
            }
            _ => {}
        }
    }
    spans
}

/// True when a line is a list item: `- x`, `* x`, `• x`, `– x`, `1. x`, `2) x`.
pub fn is_bullet(line: &str) -> bool {
    let t = line.trim_start();
    let mut chars = t.chars();
    match chars.next() {
        Some('-' | '*' | '•' | '–' | '—' | '·' | '+' | '▪' | '◦') => {
            // "**Task**" is bold, not a bullet; "-5%" is a number.
            matches!(chars.next(), Some(c) if c.is_whitespace())
        }
        Some(c) if c.is_ascii_digit() => {
            let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
            let rest = t.get(digits..).unwrap_or("");
            digits <= 2 && (rest.starts_with(". ") || rest.starts_with(") ")) && rest.len() > 2
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&str> {
        segment(text)
            .iter()
            .map(|u| text.get(u.start..u.end).unwrap_or("<bad>"))
            .collect()
    }

    #[test]
    fn splits_plain_sentences_and_lowercase_chat() {
        assert_eq!(
            pieces("had to build a dashboard. worked late a few nights. got it done"),
            vec![
                "had to build a dashboard.",
                "worked late a few nights.",
                "got it done"
            ]
        );
    }

    #[test]
    fn decimals_urls_dotted_names_and_abbreviations_do_not_split() {
        let text = "Dwell fell from 3.2 hours, see help.paylio.com/kb/x and React.memo (e.g. lists) at 71% vs. 96% today.";
        assert_eq!(pieces(text), vec![text]);
    }

    #[test]
    fn line_breaks_always_split_and_are_never_inside_a_unit() {
        assert_eq!(
            pieces("so what I did was\ncall the broker\r\n\n  \nthen done"),
            vec!["so what I did was", "call the broker", "then done"]
        );
    }

    #[test]
    fn bullet_lines_are_one_unit_each() {
        assert_eq!(
            pieces("- wrote 12 tests. 3 failed\n* shipped it\n1. done. really"),
            vec![
                "- wrote 12 tests. 3 failed",
                "* shipped it",
                "1. done. really"
            ]
        );
    }

    #[test]
    fn a_quotation_with_several_sentences_is_not_split() {
        let text = "She wrote \"We love it. Ship it now!\" and left. Then I rested.";
        assert_eq!(
            pieces(text),
            vec![
                "She wrote \"We love it. Ship it now!\" and left.",
                "Then I rested."
            ]
        );
    }

    #[test]
    fn degrees_and_single_letters() {
        assert_eq!(
            pieces("I was a Ph.D. student on plan B. Then I left at 5 p.m. on Friday."),
            vec![
                "I was a Ph.D. student on plan B.",
                "Then I left at 5 p.m. on Friday."
            ]
        );
    }

    #[test]
    fn a_stray_quote_does_not_swallow_the_line() {
        assert_eq!(
            pieces("He said \"no. Then I left."),
            vec!["He said \"no.", "Then I left."]
        );
    }

    #[test]
    fn questions_exclamations_and_ellipses() {
        assert_eq!(
            pieces("bullet points ok? sure! so um... i think. It worked..."),
            vec![
                "bullet points ok?",
                "sure!",
                "so um... i think.",
                "It worked..."
            ]
        );
    }

    #[test]
    fn bold_header_closing_stars_stay_with_the_header() {
        assert_eq!(
            pieces("**Result.** We shipped. Done"),
            vec!["**Result.**", "We shipped.", "Done"]
        );
    }

    #[test]
    fn emoji_and_multibyte_text_keep_char_boundaries() {
        let text = "🎉 shipped it. ünïcödé works… yes. 日本語。";
        for u in segment(text) {
            assert!(text.is_char_boundary(u.start) && text.is_char_boundary(u.end));
        }
        assert_eq!(pieces(text).len(), 3);
    }
}
