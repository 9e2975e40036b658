//! First-person pronoun counts by the corpus rules.
//!
//! A token is a run of ASCII letters and apostrophes (`'` or `’`), compared case-insensitively
//! with its outer apostrophes trimmed. So chat `i` counts, `I’m` counts like `I'm`, and `let's`
//! is plural. Capital `US` is the country or unit and does not count; every other `us` does.

use serde::Serialize;

/// Counts of singular (`I`, `me`, `my`, …) and plural (`we`, `us`, `our`, …) tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PronounCounts {
    pub singular: usize,
    pub plural: usize,
}

const SINGULAR: [&str; 9] = [
    "i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll",
];
const PLURAL: [&str; 10] = [
    "we",
    "us",
    "our",
    "ours",
    "ourselves",
    "we're",
    "we've",
    "we'd",
    "we'll",
    "let's",
];

/// Which kind of first-person pronoun a token is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    Singular,
    Plural,
}

/// Classifies one raw token (letters and apostrophes).
pub fn classify_token(raw: &str) -> Option<Person> {
    let token = raw.trim_matches(|c| c == '\'' || c == '\u{2019}');
    if token.is_empty() || token.len() > 9 || token == "US" {
        return None;
    }
    let mut lower = String::with_capacity(token.len());
    for c in token.chars() {
        lower.push(if c == '\u{2019}' {
            '\''
        } else {
            c.to_ascii_lowercase()
        });
    }
    if SINGULAR.contains(&lower.as_str()) {
        Some(Person::Singular)
    } else if PLURAL.contains(&lower.as_str()) {
        Some(Person::Plural)
    } else {
        None
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '\'' || c == '\u{2019}'
}

/// Counts first-person pronouns in the whole text, quoted speech and filler included.
pub fn count_pronouns(text: &str) -> PronounCounts {
    let mut counts = PronounCounts::default();
    for token in text.split(|c: char| !is_token_char(c)) {
        match classify_token(token) {
            Some(Person::Singular) => counts.singular += 1,
            Some(Person::Plural) => counts.plural += 1,
            None => {}
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(text: &str) -> (usize, usize) {
        let c = count_pronouns(text);
        (c.singular, c.plural)
    }

    #[test]
    fn contractions_count_once_with_either_apostrophe() {
        assert_eq!(counts("I'm sure I’ve said I'd go and I’ll"), (4, 0));
        assert_eq!(counts("we’d we're we've we'll"), (0, 4));
    }

    #[test]
    fn lowercase_i_counts_in_chat() {
        assert_eq!(counts("i said so and i lost 3-2 lol"), (2, 0));
    }

    #[test]
    fn capital_us_is_a_country_but_other_spellings_are_pronouns() {
        assert_eq!(counts("we ship in the US and it was on us"), (0, 2));
        assert_eq!(counts("our US region, Us, uS"), (0, 3));
    }

    #[test]
    fn lets_is_plural_and_capital_we_counts() {
        assert_eq!(counts("like let's review this now, WE did it"), (0, 2));
    }

    #[test]
    fn quoted_speech_counts_and_other_words_do_not() {
        assert_eq!(
            counts("the \"we're looking into it\" email; you, they, team, mine"),
            (1, 1)
        );
    }

    #[test]
    fn digits_and_non_ascii_letters_separate_tokens() {
        // "i2" splits into "i" and nothing; "naïve" splits into "na" and "ve".
        assert_eq!(counts("i2 naïve me’"), (2, 0));
    }
}
