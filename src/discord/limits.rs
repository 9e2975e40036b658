//! Discord's size limits, respected by construction: text is trimmed or split here, so nothing
//! the bot sends can be rejected for its size.

/// Characters in a message's content.
pub const MESSAGE_CHARS: usize = 2000;
pub const EMBED_TITLE_CHARS: usize = 256;
pub const EMBED_DESCRIPTION_CHARS: usize = 4096;
pub const EMBED_FIELDS: usize = 25;
pub const EMBED_FIELD_NAME_CHARS: usize = 256;
pub const EMBED_FIELD_VALUE_CHARS: usize = 1024;
pub const EMBED_FOOTER_CHARS: usize = 2048;
/// All text of all embeds in one message together.
pub const EMBED_TOTAL_CHARS: usize = 6000;
pub const EMBEDS_PER_MESSAGE: usize = 10;
pub const MODAL_INPUT_CHARS: usize = 4000;
pub const THREAD_NAME_CHARS: usize = 100;

/// `text` cut to at most `max` characters (Unicode scalar values, as Discord counts), ending in
/// an ellipsis when it was cut. Never splits a character.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Splits `text` into chunks of at most `max` characters, preferring line breaks, then spaces,
/// so a long reply becomes several messages instead of being rejected.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut chunks = Vec::new();
    let mut rest = text;
    while rest.chars().count() > max {
        let hard_end = rest
            .char_indices()
            .nth(max)
            .map_or(rest.len(), |(index, _)| index);
        let window = &rest[..hard_end];
        let cut = window
            .rfind('\n')
            .filter(|&i| i > 0)
            .or_else(|| window.rfind(' ').filter(|&i| i > 0))
            .unwrap_or(hard_end);
        chunks.push(rest[..cut].trim_end().to_string());
        rest = rest[cut..].trim_start_matches(['\n', ' ']);
    }
    if !rest.trim().is_empty() || chunks.is_empty() {
        chunks.push(rest.to_string());
    }
    chunks.retain(|c| !c.is_empty());
    chunks
}

/// Makes a quote of user text harmless in Discord markdown-free contexts: mentions are already
/// neutralised by allowed_mentions, so this only keeps the text within a limit.
pub fn quote(text: &str, max: usize) -> String {
    let body = truncate(text.trim(), max.saturating_sub(2));
    format!("> {}", body.replace('\n', "\n> "))
        .chars()
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn truncate_keeps_short_text_and_marks_cuts() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("ééééé", 3).chars().count(), 3);
    }

    #[test]
    fn split_prefers_line_breaks() {
        let text = format!("{}\n{}", "a".repeat(1500), "b".repeat(1500));
        let parts = split(&text, MESSAGE_CHARS);
        assert_eq!(parts, vec!["a".repeat(1500), "b".repeat(1500)]);
    }

    proptest! {
        #[test]
        fn split_never_exceeds_and_keeps_every_non_space_char(text in "\\PC{0,5000}", max in 1usize..2500) {
            let parts = split(&text, max);
            for p in &parts {
                prop_assert!(p.chars().count() <= max);
            }
            let kept: String = parts.concat().chars().filter(|c| !c.is_whitespace()).collect();
            let original: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            prop_assert_eq!(kept, original);
        }

        #[test]
        fn truncate_never_exceeds(text in "\\PC{0,300}", max in 0usize..300) {
            prop_assert!(truncate(&text, max).chars().count() <= max);
        }
    }
}
