//! Signals beyond the labels: hypothetical answers, quantities in the result, and specifics
//! (named tools, timelines, metrics).

use std::sync::OnceLock;

use serde::Serialize;

use super::label::tokenize;
use super::lexicon;
use super::Section;

/// Phrases that announce an answer about what the speaker would do, not what they did.
const HYPOTHETICAL_OPENERS: &[&str] = &[
    "how i'd approach",
    "how i would approach",
    "here's what i'd",
    "here's what i would",
    "here's how i'd",
    "here's how i would",
    "what i would do",
    "what i'd do",
    "say i was",
    "say i'm",
    "let's say i",
    "imagine i",
    "if i were",
    "if i was in",
    "if i had the chance",
    "if i ever",
    "don't have an example",
    "don't think i have",
    "don't have a perfect",
    "don't have a good",
    "haven't really had",
    "haven't had a situation",
    "never had a situation",
    "usually i'd",
    "usually i would",
    "typically i'd",
    "typically i would",
    "generally i'd",
    "normally i'd",
    "in that situation i'd",
    "in that situation i would",
    "i would probably",
    "i'd probably",
];

/// Markers of a lesson or a counterfactual about a real story: "next time I'd…".
const LESSON_MARKERS: &[&str] = &[
    "next time",
    "in hindsight",
    "looking back",
    "would have",
    "would've",
    "i'd have",
    "differently",
    "lesson",
    "learned",
    "if i did it again",
    "if i had to do it again",
    "going forward",
    "in the future",
];

/// Phrase lists split into words once.
struct PhraseLists {
    openers: Vec<Vec<&'static str>>,
    lessons: Vec<Vec<&'static str>>,
}

fn phrase_lists() -> &'static PhraseLists {
    static LISTS: OnceLock<PhraseLists> = OnceLock::new();
    LISTS.get_or_init(|| {
        let split = |list: &[&'static str]| -> Vec<Vec<&'static str>> {
            list.iter().map(|p| p.split(' ').collect()).collect()
        };
        PhraseLists {
            openers: split(HYPOTHETICAL_OPENERS),
            lessons: split(LESSON_MARKERS),
        }
    })
}

/// True when `words` occur as consecutive tokens.
fn contains_words(tokens: &[String], words: &[&str]) -> bool {
    let Some((&first, rest)) = words.split_first() else {
        return false;
    };
    tokens.iter().enumerate().any(|(at, t)| {
        t == first
            && tokens
                .get(at + 1..at + 1 + rest.len())
                .is_some_and(|window| window.iter().zip(rest).all(|(t, p)| t == p))
    })
}

fn contains_any(tokens: &[String], phrases: &[Vec<&str>]) -> bool {
    phrases.iter().any(|words| contains_words(tokens, words))
}

#[cfg(test)]
fn contains_phrase(tokens: &[String], phrase: &str) -> bool {
    let words: Vec<&str> = phrase.split(' ').collect();
    contains_words(tokens, &words)
}

/// Does this sentence describe a would-do step ("I would…", "I'd ask…", "we'd avoid…")?
fn is_would_sentence(tokens: &[String], lesson: bool) -> bool {
    if lesson {
        return false;
    }
    for (k, t) in tokens.iter().enumerate() {
        let next = tokens.get(k + 1).map_or("", String::as_str);
        let would = match t.as_str() {
            "i'd" | "we'd" => !is_past_participle(next),
            "i" | "we" => next == "would",
            _ => false,
        };
        if would {
            // "I told my GM I'd take it on" reports a past promise, not a plan.
            let reported = tokens[..k].iter().any(|w| {
                matches!(
                    w.as_str(),
                    "told"
                        | "said"
                        | "promised"
                        | "agreed"
                        | "thought"
                        | "figured"
                        | "knew"
                        | "decided"
                        | "felt"
                        | "that"
                )
            });
            if !reported {
                return true;
            }
        }
    }
    false
}

fn is_past_participle(word: &str) -> bool {
    word.ends_with("ed")
        || matches!(
            word,
            "been"
                | "had"
                | "done"
                | "gone"
                | "made"
                | "built"
                | "told"
                | "sent"
                | "written"
                | "seen"
                | "taken"
                | "given"
                | "run"
                | "become"
                | "got"
                | "gotten"
                | "found"
                | "left"
                | "kept"
                | "spent"
                | "put"
                | "set"
                | "already"
                | "never"
                | "just"
        )
}

/// True when the answer is about what the speaker would do rather than what they did.
/// `sentences` are the units with their labels, in order.
pub fn is_hypothetical(sentences: &[(&str, Section)]) -> bool {
    let mut would = 0usize;
    let mut past_actions = 0usize;
    for &(text, section) in sentences {
        let tokens = tokenize(text);
        let lists = phrase_lists();
        let lesson = contains_any(&tokens, &lists.lessons);
        if !lesson && contains_any(&tokens, &lists.openers) {
            return true;
        }
        if section == Section::Other {
            continue;
        }
        if is_would_sentence(&tokens, lesson) {
            would += 1;
        } else if section == Section::Action {
            past_actions += 1;
        }
    }
    would >= 2 && would > past_actions
}

/// True when the text carries a number, percentage, money, time or count.
pub fn has_quantity(text: &str) -> bool {
    if text.chars().any(|c| c.is_ascii_digit()) {
        return true;
    }
    let tokens = tokenize(text);
    tokens.iter().enumerate().any(|(k, t)| {
        lexicon::NUMBER_WORDS_SET.contains(t.as_str())
            || (t == "half" && k > 0 && matches!(tokens[k - 1].as_str(), "by" | "in"))
    })
}

/// Named tools, timelines and metrics found anywhere in the answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Specificity {
    /// Technologies, tools and other proper names ("Python", "Crashlytics", "React.memo").
    pub named_tools: Vec<String>,
    /// Time expressions ("two sprints", "by Friday", "Q3").
    pub timelines: Vec<String>,
    /// Numbers with what they measure ("35%", "$4k", "120,000 units").
    pub metrics: Vec<String>,
}

impl Specificity {
    /// How many kinds of specifics (0–3) the answer has.
    pub fn kinds(&self) -> usize {
        [&self.named_tools, &self.timelines, &self.metrics]
            .iter()
            .filter(|v| !v.is_empty())
            .count()
    }
}

const MAX_ITEMS: usize = 12;

fn push_unique(list: &mut Vec<String>, item: String) {
    if list.len() < MAX_ITEMS && !list.iter().any(|x| x.eq_ignore_ascii_case(&item)) {
        list.push(item);
    }
}

/// Raw words of the text with their punctuation trimmed (case kept).
fn raw_words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace().map(|w| {
        w.trim_matches(|c: char| !(c.is_alphanumeric() || matches!(c, '%' | '$' | '€' | '£' | '+')))
    })
}

/// Finds named tools, timelines and metrics.
pub fn specificity(text: &str) -> Specificity {
    let mut spec = Specificity::default();
    let words: Vec<&str> = raw_words(text).filter(|w| !w.is_empty()).collect();
    for (k, &word) in words.iter().enumerate() {
        let lower = word.to_lowercase();
        let next = words.get(k + 1).copied().unwrap_or("");
        let next_lower = next.to_lowercase();
        let has_digit = word.chars().any(|c| c.is_ascii_digit());

        let known_tech =
            lexicon::TECH_SET.contains(lower.as_str()) && (lower != "go" || word == "Go");
        if known_tech || is_named_tool(word) {
            push_unique(&mut spec.named_tools, word.to_string());
        }

        if lexicon::CALENDAR_SET.contains(lower.as_str()) {
            push_unique(&mut spec.timelines, word.to_string());
        } else if (has_digit
            || lexicon::NUMBER_WORDS_SET.contains(lower.as_str())
            || matches!(
                lower.as_str(),
                "next" | "last" | "that" | "this" | "per" | "every" | "each" | "few"
            ))
            && lexicon::TIME_UNITS_SET.contains(next_lower.as_str())
        {
            push_unique(&mut spec.timelines, format!("{word} {next}"));
        } else if has_digit
            && word.len() == 4
            && word.starts_with("20")
            && word.chars().all(|c| c.is_ascii_digit())
        {
            push_unique(&mut spec.timelines, word.to_string());
        }

        if has_digit
            && (word.contains('%')
                || word.starts_with(['$', '€', '£'])
                || next_lower == "%"
                || next_lower == "percent")
        {
            push_unique(&mut spec.metrics, word.to_string());
        } else if has_digit
            && !lexicon::TIME_UNITS_SET.contains(next_lower.as_str())
            && next.len() > 2
            && next.chars().all(char::is_alphabetic)
        {
            push_unique(&mut spec.metrics, format!("{word} {next}"));
        }
    }
    spec
}

/// CamelCase, dotted code names and all-caps acronyms look like named tools.
fn is_named_tool(word: &str) -> bool {
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 2 || word.len() > 40 {
        return false;
    }
    let dotted = word.contains('.')
        && word
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric()))
        && word.chars().any(|c| c.is_uppercase());
    let inner_caps = word.chars().skip(1).any(|c| c.is_uppercase())
        && word.chars().any(|c| c.is_lowercase())
        && word.chars().all(|c| c.is_alphanumeric());
    let acronym = letters >= 3
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !matches!(
            word,
            "WE" | "US" | "OK" | "CEO" | "VP" | "PM" | "ASAP" | "LOL" | "BEFORE" | "NOT" | "AND"
        );
    dotted || inner_caps || acronym
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hyp(sentences: &[(&str, Section)]) -> bool {
        is_hypothetical(sentences)
    }

    #[test]
    fn would_answers_are_hypothetical() {
        assert!(hyp(&[
            (
                "I would start by interviewing ten customers.",
                Section::Action
            ),
            ("Then I'd build a prototype.", Section::Action),
            ("That would cut costs.", Section::Result),
        ]));
        assert!(hyp(&[(
            "Say I was working on a delivery app.",
            Section::Situation
        )]));
        assert!(hyp(&[(
            "usually I'd just ask the team first",
            Section::Action
        )]));
    }

    #[test]
    fn a_lesson_at_the_end_is_not_hypothetical() {
        assert!(!hyp(&[
            ("I rebuilt the template.", Section::Action),
            ("I called both carriers.", Section::Action),
            ("Next time I'd loop in legal earlier.", Section::Result),
            ("In hindsight I would have asked sooner.", Section::Result),
        ]));
    }

    #[test]
    fn past_perfect_and_reported_promises_are_not_would() {
        assert!(!hyp(&[
            (
                "I'd promised her a callback within the hour.",
                Section::Task
            ),
            ("I told my GM I'd take it on.", Section::Task),
            ("I'd built the renderer 6 months earlier.", Section::Action),
        ]));
    }

    #[test]
    fn phrases_match_whole_consecutive_tokens() {
        let tokens = tokenize("So next time I'd ask first");
        assert!(contains_phrase(&tokens, "next time"));
        assert!(contains_phrase(&tokens, "i'd ask first"));
        assert!(!contains_phrase(&tokens, "time next"));
        assert!(!contains_phrase(&tokens, "first thing"));
    }

    #[test]
    fn quantities_include_digits_and_number_words_but_not_vague_half() {
        assert!(has_quantity("dwell dropped to 50 minutes"));
        assert!(has_quantity("tickets fell by half"));
        assert!(has_quantity("it saved two days a week"));
        assert!(!has_quantity("demo went fine, feed was half done"));
        assert!(!has_quantity("things are much better now"));
    }

    #[test]
    fn specifics_are_found() {
        let s = specificity("I wrote a Python script in 2 weeks with React.memo; churn fell 35% and $4k a month, by Friday.");
        assert!(s.named_tools.iter().any(|t| t == "Python"));
        assert!(s.named_tools.iter().any(|t| t == "React.memo"));
        assert!(s.timelines.iter().any(|t| t == "2 weeks"));
        assert!(s.timelines.iter().any(|t| t == "Friday"));
        assert!(s.metrics.iter().any(|t| t == "35%"));
        assert!(s.metrics.iter().any(|t| t == "$4k"));
        assert_eq!(s.kinds(), 3);
    }
}
