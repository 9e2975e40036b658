//! What the bot shows, built as plain [`Card`]s that fit Discord's embed limits by construction,
//! then turned into serenity builders at the edge.

use poise::serenity_prelude as serenity;

use super::limits::{self, truncate};
use crate::analysis::{LengthVerdict, Report};
use crate::bank::{Bank, Question};

/// Embed colours: neutral for questions, by score for feedback.
const QUESTION_COLOUR: u32 = 0x3B82F6;

/// An embed as plain data, so limits can be checked and tested without Discord.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Card {
    pub title: String,
    pub description: String,
    pub fields: Vec<(String, String)>,
    pub footer: Option<String>,
    pub colour: u32,
}

impl Card {
    fn chars(&self) -> usize {
        self.title.chars().count()
            + self.description.chars().count()
            + self
                .fields
                .iter()
                .map(|(n, v)| n.chars().count() + v.chars().count())
                .sum::<usize>()
            + self.footer.as_deref().map_or(0, |f| f.chars().count())
    }

    /// Trims every part to its own limit.
    fn clamp(mut self) -> Self {
        self.title = truncate(&self.title, limits::EMBED_TITLE_CHARS);
        self.description = truncate(&self.description, limits::EMBED_DESCRIPTION_CHARS);
        self.fields
            .truncate(limits::EMBEDS_PER_MESSAGE.max(limits::EMBED_FIELDS));
        self.fields.truncate(limits::EMBED_FIELDS);
        for (name, value) in &mut self.fields {
            *name = truncate(non_empty(name), limits::EMBED_FIELD_NAME_CHARS);
            *value = truncate(non_empty(value), limits::EMBED_FIELD_VALUE_CHARS);
        }
        self.footer = self
            .footer
            .map(|f| truncate(&f, limits::EMBED_FOOTER_CHARS));
        self
    }

    pub fn to_embed(&self) -> serenity::CreateEmbed {
        let mut embed = serenity::CreateEmbed::new()
            .title(&self.title)
            .colour(self.colour);
        if !self.description.is_empty() {
            embed = embed.description(&self.description);
        }
        for (name, value) in &self.fields {
            embed = embed.field(name, value, false);
        }
        if let Some(footer) = &self.footer {
            embed = embed.footer(serenity::CreateEmbedFooter::new(footer));
        }
        embed
    }
}

fn non_empty(text: &str) -> &str {
    if text.trim().is_empty() {
        "\u{200b}"
    } else {
        text
    }
}

/// Groups cards into messages: each card clamped to its limits, each message at most 10 embeds
/// and 6000 characters in total. A card too big on its own has its description shortened.
pub fn pack(cards: Vec<Card>) -> Vec<Vec<Card>> {
    let mut messages: Vec<Vec<Card>> = Vec::new();
    let mut current: Vec<Card> = Vec::new();
    let mut current_chars = 0;
    for card in cards {
        let mut card = card.clamp();
        let over = card.chars().saturating_sub(limits::EMBED_TOTAL_CHARS);
        if over > 0 {
            let keep = card.description.chars().count().saturating_sub(over);
            card.description = truncate(&card.description, keep);
            while card.chars() > limits::EMBED_TOTAL_CHARS && !card.fields.is_empty() {
                card.fields.pop();
            }
        }
        let size = card.chars();
        if !current.is_empty()
            && (current.len() == limits::EMBEDS_PER_MESSAGE
                || current_chars + size > limits::EMBED_TOTAL_CHARS)
        {
            messages.push(std::mem::take(&mut current));
            current_chars = 0;
        }
        current_chars += size;
        current.push(card);
    }
    if !current.is_empty() {
        messages.push(current);
    }
    messages
}

/// The embeds of each message to send for `cards` (see [`pack`]).
pub fn embeds_per_message(cards: Vec<Card>) -> Vec<Vec<serenity::CreateEmbed>> {
    pack(cards)
        .iter()
        .map(|cards| cards.iter().map(Card::to_embed).collect())
        .collect()
}

/// The question card posted when an interview starts or a question is skipped.
pub fn question_card(bank: &Bank, question: &Question, intro: &str) -> Card {
    Card {
        title: truncate(&question.text, limits::EMBED_TITLE_CHARS),
        description: format!(
            "{intro}\n\nAnswer in as many messages as you like. When you are finished, press \
             **Done** or send a message that is just `done`.\nTip: use the STAR structure \
             (Situation, Task, Action, Result), say \"I\" for what you did, and aim for 2–3 \
             minutes of speech."
        ),
        fields: vec![(
            "Leadership Principle".into(),
            bank.principle_names(question),
        )],
        footer: Some(format!("question id: {}", question.id)),
        colour: QUESTION_COLOUR,
    }
}

/// The hint: what the question really tests and the tips, never the model answer.
pub fn hint_card(question: &Question) -> Card {
    let tips: Vec<String> = question.tips.iter().map(|t| format!("• {t}")).collect();
    Card {
        title: "Hint".into(),
        description: format!("**What they are really testing:** {}", question.tests),
        fields: if tips.is_empty() {
            Vec::new()
        } else {
            vec![("Tips".into(), tips.join("\n"))]
        },
        footer: None,
        colour: QUESTION_COLOUR,
    }
}

fn score_colour(score: u8) -> u32 {
    match score {
        0..=2 => 0xEF4444,
        3 => 0xF59E0B,
        _ => 0x22C55E,
    }
}

/// ✅ or ❌: the checklist mark on feedback cards.
pub(crate) fn tick(ok: bool) -> &'static str {
    if ok {
        "✅"
    } else {
        "❌"
    }
}

/// The full feedback on an answer: STAR checklist with evidence, I vs we, numbers, hypothetical,
/// specificity, length, score with reasons, the next step; then what the question tests.
pub fn feedback_cards(report: &Report, question: Option<&Question>) -> Vec<Card> {
    let mut star_lines = Vec::new();
    for presence in &report.sections {
        let line = match (&presence.evidence, presence.present) {
            (Some(evidence), true) => format!(
                "{} **{}** — “{}”",
                tick(true),
                presence.section.title(),
                truncate(evidence, 160)
            ),
            _ => format!("{} **{}** — missing", tick(false), presence.section.title()),
        };
        star_lines.push(line);
    }

    let mut ownership = format!(
        "\"I\": {} · \"we\": {}",
        report.pronouns.singular, report.pronouns.plural
    );
    if report.ownership.we_only_actions.is_empty() {
        ownership.push_str("\nYour actions are told in the first person. Good.");
    } else {
        ownership.push_str("\nActions told only with \"we\" — say what *you* did:");
        for sentence in report.ownership.we_only_actions.iter().take(4) {
            ownership.push_str(&format!("\n• “{}”", truncate(sentence, 180)));
        }
    }

    let length = &report.length;
    let verdict = match length.verdict {
        LengthVerdict::TooShort => "too short for 2–3 minutes",
        LengthVerdict::Ok => "within the 2–3 minute target",
        LengthVerdict::TooLong => "longer than 3 minutes: tighten it",
    };
    let minutes = length.speaking_seconds / 60;
    let seconds = length.speaking_seconds % 60;

    let specificity = serde_json::to_value(&report.specificity)
        .ok()
        .map(|v| describe_specificity(&v))
        .unwrap_or_default();

    let reasons: Vec<String> = report
        .score
        .reasons
        .iter()
        .map(|r| format!("• {r}"))
        .collect();

    let mut main = Card {
        title: format!("Feedback — score {}/5", report.score.value),
        description: format!(
            "{}\n\n**Next step:** {}",
            reasons.join("\n"),
            report.next_step
        ),
        fields: vec![
            ("STAR checklist".into(), star_lines.join("\n")),
            ("\"I\" vs \"we\"".into(), ownership),
            (
                "Result in numbers".into(),
                if report.quantified_result {
                    "✅ Your result carries a number.".into()
                } else {
                    "❌ No number in the result: what changed, by how much?".into()
                },
            ),
            (
                "Real story".into(),
                if report.hypothetical {
                    "❌ This sounds hypothetical (\"I would…\"). Interviewers want a time you \
                     actually did it."
                        .into()
                } else {
                    "✅ A real example, not a hypothetical.".into()
                },
            ),
            ("Specificity".into(), specificity),
            (
                "Length".into(),
                format!(
                    "{} words ≈ {minutes}:{seconds:02} spoken — {verdict}",
                    length.words
                ),
            ),
        ],
        footer: None,
        colour: score_colour(report.score.value),
    };
    if let Some(q) = question {
        main.footer = Some(format!("question id: {}", q.id));
    }
    let mut cards = vec![main];
    if let Some(q) = question {
        cards.push(hint_card(q));
        cards[1].title = "What this question is really testing".into();
    }
    cards
}

/// Specificity as a short line, from the analyzer's own field names.
fn describe_specificity(value: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    if let Some(map) = value.as_object() {
        for (key, item) in map {
            match item {
                serde_json::Value::Array(list) if !list.is_empty() => {
                    let items: Vec<String> = list
                        .iter()
                        .take(5)
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .collect();
                    parts.push(format!("{}: {}", key.replace('_', " "), items.join(", ")));
                }
                serde_json::Value::Array(_) => {
                    parts.push(format!("{}: none", key.replace('_', " ")))
                }
                serde_json::Value::Bool(b) => {
                    parts.push(format!("{} {}", tick(*b), key.replace('_', " ")))
                }
                serde_json::Value::Number(n) => {
                    parts.push(format!("{}: {n}", key.replace('_', " ")))
                }
                _ => {}
            }
        }
    }
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join("\n")
    }
}

/// The follow-up question card.
pub fn follow_up_card(follow_up: &str, number: usize) -> Card {
    Card {
        title: format!("Bar-raiser follow-up {number}"),
        description: format!(
            "{follow_up}\n\nAnswer the same way, then press **Done** again: I will analyse \
             your whole answer once more. Press **Cancel** to stop here (your attempt is saved)."
        ),
        fields: Vec::new(),
        footer: None,
        colour: QUESTION_COLOUR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_keeps_each_message_within_limits() {
        let big = Card {
            title: "t".repeat(400),
            description: "d".repeat(5000),
            fields: (0..30)
                .map(|i| (format!("field {i}"), "v".repeat(1500)))
                .collect(),
            footer: Some("f".repeat(3000)),
            colour: 0,
        };
        let messages = pack(vec![big.clone(), big.clone(), big]);
        assert!(!messages.is_empty());
        for message in &messages {
            assert!(message.len() <= limits::EMBEDS_PER_MESSAGE);
            let total: usize = message.iter().map(Card::chars).sum();
            assert!(total <= limits::EMBED_TOTAL_CHARS, "{total}");
            for card in message {
                assert!(card.title.chars().count() <= limits::EMBED_TITLE_CHARS);
                assert!(card.description.chars().count() <= limits::EMBED_DESCRIPTION_CHARS);
                assert!(card.fields.len() <= limits::EMBED_FIELDS);
                for (n, v) in &card.fields {
                    assert!(n.chars().count() <= limits::EMBED_FIELD_NAME_CHARS);
                    assert!(v.chars().count() <= limits::EMBED_FIELD_VALUE_CHARS);
                }
            }
        }
    }

    #[test]
    fn feedback_for_a_long_answer_fits() {
        let sentence = "We deployed the new pipeline @everyone and cut costs. ";
        let answer = sentence.repeat(300);
        let report = crate::analysis::analyze(&answer, None).expect("analyses");
        let bank = Bank::builtin();
        let question = bank.questions().first();
        let messages = pack(feedback_cards(&report, question));
        for message in messages {
            let total: usize = message.iter().map(Card::chars).sum();
            assert!(total <= limits::EMBED_TOTAL_CHARS);
        }
    }
}
