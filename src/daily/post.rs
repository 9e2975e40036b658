//! The words of the daily post, built as plain strings that fit Discord's limits by
//! construction: every piece has a budget, and text over its budget is cut at a character
//! boundary (never inside an emoji or accented letter) and ends with an ellipsis.

use jiff::civil::Date;
use unicode_segmentation::UnicodeSegmentation;

/// Discord: an embed title holds at most 256 characters.
pub const EMBED_TITLE_MAX: usize = 256;
/// Discord: an embed description holds at most 4096 characters.
pub const EMBED_DESCRIPTION_MAX: usize = 4096;
/// Discord: an embed footer holds at most 2048 characters.
pub const EMBED_FOOTER_MAX: usize = 2048;
/// Discord: all text in one embed together holds at most 6000 characters.
pub const EMBED_TOTAL_MAX: usize = 6000;
/// Discord: a thread name holds 1 to 100 characters.
pub const THREAD_NAME_MAX: usize = 100;

/// Budgets inside the description, so the question is never crowded out by a long "what it
/// tests" and the whole stays under [`EMBED_DESCRIPTION_MAX`].
const QUESTION_MAX: usize = 2000;
const PRINCIPLES_MAX: usize = 300;
const TESTS_MAX: usize = 1200;
const FOOTER_BUDGET: usize = 200;

/// What goes into one day's post.
#[derive(Debug, Clone, Copy)]
pub struct PostInput<'a> {
    /// The server's local date the post is for.
    pub date: Date,
    pub question: &'a str,
    /// The names of the Leadership Principles the question is about.
    pub principles: &'a [&'a str],
    /// What the question really tests, from the bank.
    pub tests: &'a str,
    /// How many members answered yesterday's question, when known.
    pub yesterday_answers: Option<u32>,
    /// The server's IANA timezone name, so members know which "day" their streak counts in.
    pub timezone: &'a str,
}

/// The text pieces of the post's embed and its answer thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostText {
    pub title: String,
    pub description: String,
    pub footer: String,
    pub thread_name: String,
}

impl PostText {
    /// Characters Discord counts towards the embed's 6000 total.
    pub fn embed_chars(&self) -> usize {
        char_len(&self.title) + char_len(&self.description) + char_len(&self.footer)
    }
}

/// Builds the post. Every field is within its Discord limit whatever the input's size.
pub fn post_text(input: &PostInput<'_>) -> PostText {
    let title = truncate(
        &format!("Daily question · {}", input.date.strftime("%A %-d %B %Y")),
        EMBED_TITLE_MAX,
    );

    let mut description = truncate(input.question.trim(), QUESTION_MAX);
    if !input.principles.is_empty() {
        let label = if input.principles.len() == 1 {
            "Leadership Principle"
        } else {
            "Leadership Principles"
        };
        let names = truncate(&input.principles.join(", "), PRINCIPLES_MAX);
        description.push_str(&format!("\n\n**{label}:** {names}"));
    }
    let tests = input.tests.trim();
    if !tests.is_empty() {
        description.push_str(&format!(
            "\n**What it tests:** {}",
            truncate(tests, TESTS_MAX)
        ));
    }
    description.push_str(
        "\n\nAnswer in the thread below, in one message or several, then press **Get feedback** \
         for private coaching.",
    );
    if let Some(count) = input.yesterday_answers {
        description.push_str("\n\n");
        description.push_str(&participation(count));
    }
    // The budgets above already keep this under the limit; the cut is a second guarantee.
    let description = truncate(&description, EMBED_DESCRIPTION_MAX);

    let footer = truncate(
        &format!("Streaks count by the day in {}.", input.timezone.trim()),
        FOOTER_BUDGET,
    );
    let thread_name = truncate(&format!("Answers · {}", input.date), THREAD_NAME_MAX);

    PostText {
        title,
        description,
        footer,
        thread_name,
    }
}

/// The message content that pings the configured role: the only mention the bot allows.
pub fn role_mention(role_id: u64) -> String {
    format!("<@&{role_id}>")
}

fn participation(count: u32) -> String {
    match count {
        0 => "Nobody answered yesterday's question. Be the first today!".to_string(),
        1 => "1 member answered yesterday's question.".to_string(),
        n => format!("{n} members answered yesterday's question."),
    }
}

/// Characters as Discord counts them (Unicode scalar values).
pub fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to at most `max` characters, ending with "…" when cut. Cuts fall between
/// grapheme clusters, so no emoji or combined letter is split, and on a word boundary when one
/// is near enough.
pub fn truncate(text: &str, max: usize) -> String {
    if char_len(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let budget = max - 1; // room for the ellipsis
    let mut out = String::new();
    let mut used = 0;
    let mut cut_mid_word = false;
    // Byte length of `out` at the last whitespace, with the characters kept up to there.
    let mut last_space: Option<(usize, usize)> = None;
    for grapheme in text.graphemes(true) {
        let is_space = grapheme.chars().all(char::is_whitespace);
        let len = char_len(grapheme);
        if used + len > budget {
            cut_mid_word = !is_space;
            break;
        }
        if is_space {
            last_space = Some((out.len(), used));
        }
        out.push_str(grapheme);
        used += len;
    }
    // Prefer ending on a whole word, unless that would throw away more than half the room.
    if let Some((at, kept)) = last_space.filter(|_| cut_mid_word) {
        if kept * 2 >= budget {
            out.truncate(at);
        }
    }
    let kept = out.trim_end().len();
    out.truncate(kept);
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(question: &'a str, principles: &'a [&'a str], tests: &'a str) -> PostInput<'a> {
        PostInput {
            date: "2026-11-29".parse().unwrap(),
            question,
            principles,
            tests,
            yesterday_answers: Some(12),
            timezone: "Europe/Berlin",
        }
    }

    #[test]
    fn an_ordinary_post_has_every_piece() {
        let post = post_text(&input(
            "Tell me about a time you took ownership of a problem outside your area.",
            &["Ownership"],
            "Whether you act like an owner beyond your job title.",
        ));
        assert_eq!(post.title, "Daily question · Sunday 29 November 2026");
        assert!(post
            .description
            .starts_with("Tell me about a time you took ownership"));
        assert!(post
            .description
            .contains("**Leadership Principle:** Ownership\n**What it tests:** Whether you act"));
        assert!(post
            .description
            .ends_with("12 members answered yesterday's question."));
        assert_eq!(post.thread_name, "Answers · 2026-11-29");
        assert_eq!(post.footer, "Streaks count by the day in Europe/Berlin.");
        assert!(!post.description.contains('…'));
    }

    #[test]
    fn participation_wording_and_absence() {
        let mut base = input("Q?", &["Ownership", "Bias for Action"], "");
        base.yesterday_answers = Some(1);
        let post = post_text(&base);
        assert!(post
            .description
            .contains("**Leadership Principles:** Ownership, Bias for Action"));
        assert!(!post.description.contains("What it tests"));
        assert!(post
            .description
            .ends_with("1 member answered yesterday's question."));
        base.yesterday_answers = Some(0);
        assert!(post_text(&base)
            .description
            .contains("Nobody answered yesterday's"));
        base.yesterday_answers = None;
        assert!(!post_text(&base).description.contains("yesterday"));
    }

    #[test]
    fn huge_inputs_stay_within_discord_limits() {
        let question = "Describe a decision. ".repeat(400);
        let tests = "🧑‍💻 judgement ".repeat(900);
        let names: Vec<String> = (0..200).map(|i| format!("Principle {i}")).collect();
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let long_zone = "Zone/".repeat(200);
        let mut big = input(&question, &name_refs, &tests);
        big.timezone = &long_zone;
        big.yesterday_answers = Some(u32::MAX);
        let post = post_text(&big);
        assert!(char_len(&post.title) <= EMBED_TITLE_MAX);
        assert!(char_len(&post.description) <= EMBED_DESCRIPTION_MAX);
        assert!(char_len(&post.footer) <= EMBED_FOOTER_MAX);
        assert!(post.embed_chars() <= EMBED_TOTAL_MAX);
        assert!((1..=THREAD_NAME_MAX).contains(&char_len(&post.thread_name)));
        // The question was cut, visibly, and the rest of the post is still there.
        assert!(
            post.description
                .contains("a decision.…\n\n**Leadership Principles:**"),
            "{}",
            &post.description[1900..2100]
        );
        assert!(post.description.contains("**What it tests:**"));
        assert!(post.description.contains("Get feedback"));
        assert!(post.description.contains("4294967295 members answered"));
        // No emoji was split: every cut piece ends in whole graphemes.
        let joiners = post.description.matches('\u{200d}').count();
        assert_eq!(joiners, post.description.matches("🧑‍💻").count());
        // The budgets leave the final safety cut unused: the closing line survived whole.
        assert!(post.description.ends_with("answered yesterday's question."));
    }

    #[test]
    fn truncate_cuts_between_graphemes_and_marks_the_cut() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("exactly10!", 10), "exactly10!");
        assert_eq!(truncate("hello world", 8), "hello…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate("abcdefghij", 4), "abc…");
        assert_eq!(truncate("a bcdefghij", 6), "a bcd…");
        // "é" written as e + combining accent is one grapheme of two characters.
        let accented = "cafe\u{301} au lait";
        let cut = truncate(accented, 5);
        assert_eq!(cut, "caf…");
        assert!(char_len(&cut) <= 5);
        let family = "👨‍👩‍👧 family";
        let cut = truncate(family, 4);
        assert_eq!(cut, "…");
        for max in 0..40 {
            let cut = truncate(&"🧑‍💻 ".repeat(10), max);
            assert!(char_len(&cut) <= max);
            assert_eq!(cut.matches('\u{200d}').count(), cut.matches("🧑‍💻").count());
        }
    }

    #[test]
    fn role_mentions_use_role_syntax() {
        assert_eq!(role_mention(123), "<@&123>");
    }
}
