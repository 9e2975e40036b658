//! STAR labels for every unit.
//!
//! 1. Explicit headers set the label of their unit and carry it to the following units until the
//!    next header (filler in between is still recognised as filler).
//! 2. Filler and meta talk ("Sure, good question.", "let me back up") becomes `other`.
//! 3. Every other unit gets a score per section from what it says: cue phrases (weighted,
//!    stronger in the opening clause), who acts and with what kind of verb ("I was…" sets the
//!    scene, "I needed to…" is a task, "I rebuilt…" an action, "churn dropped…" a result), and a
//!    mild prior from its position.
//! 4. A best path through the answer (Viterbi) picks the labels, with transitions that prefer the
//!    S→T→A→R order but allow a result first, a task after an action and a reaction between
//!    actions. Content decides; order only breaks near-ties.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::header::{header_section, is_header_only};
use super::lexicon;
use super::segment::Unit;
use super::Section;

/// The label of one unit and whether a header gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub section: Section,
    pub from_header: bool,
}

const S: usize = 0;
const T: usize = 1;
const A: usize = 2;
const R: usize = 3;
const SECTIONS: [Section; 4] = [
    Section::Situation,
    Section::Task,
    Section::Action,
    Section::Result,
];

/// Labels the units of `text`; one label per unit, in order.
pub fn label_units(text: &str, units: &[Unit]) -> Vec<Label> {
    let n = units.len();
    let mut labels = Vec::with_capacity(n);
    // None = to be inferred; Some(i) = fixed to STAR index i (header or carried header).
    let mut fixed: Vec<Option<usize>> = Vec::with_capacity(n);
    let mut emissions: Vec<[f32; 4]> = Vec::with_capacity(n);
    let mut path_units: Vec<usize> = Vec::with_capacity(n);
    // A header carries to the rest of its line (paragraph or message); a header alone on its
    // line ("**Action**") carries to the following lines until the next header.
    let mut carried: Option<usize> = None;
    let mut carry_line = 0usize;
    let mut carry_across_lines = false;
    for (i, unit) in units.iter().enumerate() {
        let raw = text.get(unit.start..unit.end).unwrap_or("");
        let header = header_section(raw).and_then(|s| s.star_index());
        if header.is_none() && unit.line != carry_line && !carry_across_lines {
            carried = None;
        }
        let position = if n > 1 {
            i as f32 / (n - 1) as f32
        } else {
            0.5
        };
        match header {
            Some(h) => {
                carried = Some(h);
                carry_line = unit.line;
                carry_across_lines = is_header_only(raw);
                labels.push(Label {
                    section: SECTIONS[h],
                    from_header: true,
                });
                fixed.push(Some(h));
                emissions.push([0.0; 4]);
                path_units.push(i);
            }
            None => {
                let tokens = tokenize(content_after_markers(raw));
                labels.push(Label {
                    section: Section::Other,
                    from_header: false,
                });
                fixed.push(carried);
                let cues = cue_scores(&tokens);
                emissions.push(emission(&tokens, &cues, position));
                // Inside a labeled section only clear filler leaves the section.
                let filler = match carried {
                    Some(_) => is_strong_filler(&tokens, &cues),
                    None => is_filler(&tokens, &cues),
                };
                if !filler {
                    path_units.push(i);
                }
            }
        }
    }
    let sticky: Vec<bool> = path_units
        .iter()
        .enumerate()
        .map(|(k, &unit)| {
            k > 0
                && path_units
                    .get(k - 1)
                    .and_then(|&prev| units.get(prev))
                    .and_then(|prev| text.get(prev.start..prev.end))
                    .is_some_and(ends_mid_sentence)
                && units
                    .get(unit)
                    .is_some_and(|u| !u.line_start || starts_lowercase(text, u))
        })
        .collect();
    let best = viterbi(&path_units, &fixed, &emissions, &sticky);
    for (&unit, &state) in path_units.iter().zip(&best) {
        if let (Some(label), Some(&section)) = (labels.get_mut(unit), SECTIONS.get(state)) {
            label.section = section;
        }
    }
    labels
}

/// Transition scores between consecutive STAR units (from row, to column).
const TRANSITION: [[f32; 4]; 4] = [
    // to:  S     T     A     R
    [0.0, 0.0, -0.3, -1.5],  // from S
    [-0.8, -0.2, 0.0, -1.2], // from T
    [-2.0, -1.0, 0.0, 0.0],  // from A
    [-1.2, -1.5, -0.8, 0.0], // from R
];
const START: [f32; 4] = [0.5, -0.3, -1.0, -1.0];

/// A unit that stops mid-sentence ("so what I did was") is continued by the next one.
fn ends_mid_sentence(unit: &str) -> bool {
    let trimmed = unit.trim_end();
    if trimmed.ends_with(['.', '!', '?', ':', ')', '"', '\u{201d}']) {
        return false;
    }
    let last = trimmed
        .rsplit(|c: char| !c.is_alphanumeric() && c != '\'')
        .next()
        .unwrap_or("")
        .to_lowercase();
    matches!(
        last.as_str(),
        "was"
            | "were"
            | "is"
            | "to"
            | "and"
            | "that"
            | "the"
            | "a"
            | "an"
            | "of"
            | "with"
            | "by"
            | "for"
            | "but"
            | "so"
            | "because"
            | "which"
            | "then"
            | "did"
            | "i"
            | "we"
            | "my"
            | "our"
            | "like"
            | "or"
            | "into"
            | "from"
            | "at"
            | "on"
            | "in"
    )
}

fn starts_lowercase(text: &str, unit: &Unit) -> bool {
    text.get(unit.start..unit.end)
        .and_then(|t| t.chars().find(|c| c.is_alphanumeric()))
        .is_some_and(|c| c.is_lowercase())
}

/// Cost of changing label inside one sentence broken across two messages.
const BROKEN_SENTENCE_CHANGE: f32 = -3.0;

fn viterbi(
    path: &[usize],
    fixed: &[Option<usize>],
    emissions: &[[f32; 4]],
    sticky: &[bool],
) -> Vec<usize> {
    if path.is_empty() {
        return Vec::new();
    }
    let allowed = |unit: usize, state: usize| match fixed.get(unit).copied().flatten() {
        Some(f) => f == state,
        None => true,
    };
    let emit = |unit: usize, state: usize| -> f32 {
        if !allowed(unit, state) {
            return f32::NEG_INFINITY;
        }
        emissions.get(unit).map_or(0.0, |e| e[state])
    };
    let mut score = [f32::NEG_INFINITY; 4];
    let first = path[0];
    for (s, slot) in score.iter_mut().enumerate() {
        *slot = START[s] + emit(first, s);
    }
    let mut back: Vec<[usize; 4]> = Vec::with_capacity(path.len());
    back.push([0; 4]);
    for (k, &unit) in path.iter().enumerate().skip(1) {
        let continues = sticky.get(k).copied().unwrap_or(false);
        let mut next = [f32::NEG_INFINITY; 4];
        let mut from = [0usize; 4];
        for to in 0..4 {
            let e = emit(unit, to);
            for (prev, &prev_score) in score.iter().enumerate() {
                let change = if continues && prev != to {
                    BROKEN_SENTENCE_CHANGE
                } else {
                    0.0
                };
                let candidate = prev_score + TRANSITION[prev][to] + change + e;
                if candidate > next[to] {
                    next[to] = candidate;
                    from[to] = prev;
                }
            }
        }
        score = next;
        back.push(from);
    }
    let mut state = (0..4)
        .max_by(|&a, &b| score[a].total_cmp(&score[b]).then(b.cmp(&a)))
        .unwrap_or(0);
    let mut out = vec![0usize; path.len()];
    for k in (0..path.len()).rev() {
        out[k] = state;
        state = back[k][state];
    }
    out
}

/// The unit without its bullet marker and leading decoration.
fn content_after_markers(raw: &str) -> &str {
    let t = raw.trim_start();
    let t = if super::segment::is_bullet(t) {
        t.trim_start_matches(|c: char| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    '-' | '*' | '•' | '–' | '—' | '·' | '+' | '▪' | '◦' | '.' | ')'
                )
        })
    } else {
        t
    };
    t.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '*' | '_' | '>' | '#'))
}

/// Lowercase word tokens: letters, digits, inner apostrophes (curly ones made straight) and
/// inner hyphens. `%` and `$` become tokens of their own.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let joiner = matches!(c, '\'' | '\u{2019}' | '-');
        if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
        } else if joiner && !current.is_empty() && chars.peek().is_some_and(|n| n.is_alphanumeric())
        {
            current.push(if c == '-' { '-' } else { '\'' });
        } else {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            if c == '%' || c == '$' {
                tokens.push(c.to_string());
            }
        }
        if current.len() > 64 {
            // A giant "word" carries no meaning; keep the work bounded.
            tokens.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

struct Cue {
    tokens: Vec<&'static str>,
    at_start: bool,
    at_end: bool,
    weight: f32,
    /// 0..=3 for S, T, A, R; 4 for other.
    class: usize,
}

struct CueIndex {
    by_first: HashMap<&'static str, Vec<Cue>>,
    wildcard_first: Vec<Cue>,
}

fn cue_index() -> &'static CueIndex {
    static INDEX: OnceLock<CueIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = CueIndex {
            by_first: HashMap::new(),
            wildcard_first: Vec::new(),
        };
        let tables: [(&[(&str, f32)], usize); 5] = [
            (lexicon::SITUATION, S),
            (lexicon::TASK, T),
            (lexicon::ACTION, A),
            (lexicon::RESULT, R),
            (lexicon::OTHER, 4),
        ];
        for (table, class) in tables {
            for &(phrase, weight) in table {
                let at_start = phrase.starts_with('^');
                let at_end = phrase.ends_with('$');
                let body = phrase.trim_start_matches('^').trim_end_matches('$');
                let tokens: Vec<&'static str> = body.split(' ').filter(|t| !t.is_empty()).collect();
                let Some(&first) = tokens.first() else {
                    continue;
                };
                let cue = Cue {
                    tokens,
                    at_start,
                    at_end,
                    weight,
                    class,
                };
                if first.ends_with('*') {
                    index.wildcard_first.push(cue);
                } else {
                    index.by_first.entry(first).or_default().push(cue);
                }
            }
        }
        index
    })
}

fn token_matches(pattern: &str, token: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => token.starts_with(prefix),
        None => pattern == token,
    }
}

fn cue_matches(cue: &Cue, tokens: &[String], at: usize) -> bool {
    if cue.at_start && at != 0 {
        return false;
    }
    let end = at + cue.tokens.len();
    if end > tokens.len() || (cue.at_end && end != tokens.len()) {
        return false;
    }
    cue.tokens
        .iter()
        .zip(&tokens[at..end])
        .all(|(p, t)| token_matches(p, t))
}

/// Sum of cue weights per class (S, T, A, R, other). Cues in the opening clause count fully;
/// later ones count less for S/T/A, since a main clause usually leads.
fn cue_scores(tokens: &[String]) -> [f32; 5] {
    let index = cue_index();
    let mut scores = [0.0f32; 5];
    for at in 0..tokens.len() {
        let candidates = index
            .by_first
            .get(tokens[at].as_str())
            .into_iter()
            .flatten()
            .chain(index.wildcard_first.iter());
        for cue in candidates {
            if cue_matches(cue, tokens, at) {
                let damp = match cue.class {
                    S | A if at >= 6 => 0.8,
                    T if at >= 6 => 0.6,
                    _ => 1.0,
                };
                scores[cue.class] += cue.weight * damp;
            }
        }
    }
    scores
}

fn in_list(list: &[&str], word: &str) -> bool {
    list.contains(&word)
}

fn is_past_verb(word: &str) -> bool {
    (word.len() > 4 && word.ends_with("ed") && !lexicon::NOT_ACTION_ED_SET.contains(word))
        || lexicon::IRREGULAR_PAST_SET.contains(word)
}

fn is_participle(word: &str) -> bool {
    word.ends_with("ed")
        || word.ends_with("en")
        || in_list(
            &[
                "been", "had", "done", "gone", "made", "built", "told", "sent", "run", "come",
                "become", "got", "found", "left", "kept", "put", "set", "said", "seen", "spent",
            ],
            word,
        )
}

fn skip_filler_words(tokens: &[String], mut i: usize) -> usize {
    while i < tokens.len() && lexicon::SKIPPABLE_SET.contains(tokens[i].as_str()) {
        i += 1;
    }
    i
}

/// Scores from who acts and how: the subject of the opening clause and its verb, plus any
/// later "so I…" / "but I…" clause, which often carries the point of the sentence.
fn opener_scores(tokens: &[String]) -> [f32; 4] {
    let mut scores = clause_scores(tokens, 0, true);
    for k in 1..tokens.len().saturating_sub(1) {
        if matches!(tokens[k].as_str(), "so" | "but")
            && matches!(tokens[k + 1].as_str(), "i" | "we" | "i'd" | "we'd")
        {
            let later = clause_scores(tokens, k + 1, false);
            for (index, (s, l)) in scores.iter_mut().zip(later).enumerate() {
                // "…, so I decided to…" usually states the task the story is about.
                *s += if index == T { 1.2 * l } else { 0.8 * l };
            }
        }
    }
    scores
}

/// Someone else's reaction in a later clause: "…and the client picked it", "…so she signed".
fn reaction_score(tokens: &[String]) -> f32 {
    let actor_at = |k: usize| -> Option<usize> {
        let t = tokens.get(k)?.as_str();
        match t {
            "she" | "he" | "they" | "everyone" | "everybody" | "leadership" | "management" => {
                Some(k + 1)
            }
            "the" | "my" | "our" | "her" | "his" | "their" => {
                let noun = tokens.get(k + 1)?.as_str();
                (!matches!(noun, "i" | "we")).then_some(k + 2)
            }
            _ => None,
        }
    };
    for k in 1..tokens.len() {
        if !matches!(tokens[k - 1].as_str(), "and" | "so") {
            continue;
        }
        if let Some(v) = actor_at(k) {
            if tokens
                .get(v)
                .is_some_and(|verb| is_past_verb(verb) && verb != "had")
            {
                return 1.2;
            }
        }
    }
    0.0
}

/// Scores for the clause starting at `start`. An opening clause may begin with a short lead-in
/// ("For the theming, I built…", "After a few weeks I stopped…"): its subject is the first
/// "I"/"we" within the first few words.
fn clause_scores(tokens: &[String], start: usize, opening: bool) -> [f32; 4] {
    let mut scores = [0.0f32; 4];
    let mut i = skip_filler_words(tokens, start);
    let Some(lead) = tokens.get(i).map(String::as_str) else {
        return scores;
    };
    let is_subject = |t: &str| matches!(t, "i" | "we" | "i'd" | "we'd");
    if opening && lexicon::LEAD_INS_SET.contains(lead) {
        if let Some(offset) = tokens
            .iter()
            .skip(i)
            .take(7)
            .position(|t| is_subject(t.as_str()))
        {
            i += offset;
        }
    }
    let Some(first) = tokens.get(i).map(String::as_str) else {
        return scores;
    };
    if matches!(first, "i" | "we") {
        let k = skip_filler_words(tokens, i + 1);
        let verb = tokens.get(k).map_or("", String::as_str);
        let next = tokens.get(k + 1).map_or("", String::as_str);
        let singular = first == "i";
        if verb == "would" {
            scores[A] += 2.0;
        } else if singular
            && (in_list(lexicon::TASK_VERBS, verb) || (verb == "had" && next == "to"))
        {
            scores[T] += 2.0;
        } else if in_list(lexicon::STATIVE_VERBS, verb) {
            scores[S] += if singular { 1.5 } else { 1.2 };
        } else if in_list(lexicon::FINDING_VERBS, verb) {
            // A finding is analysis (action) mid-story, or how the problem surfaced early on.
            scores[A] += 0.8;
            scores[S] += 0.8;
        } else if is_past_verb(verb) {
            scores[A] += if singular { 2.5 } else { 2.0 };
        } else {
            scores[A] += 0.5;
        }
        return scores;
    }
    if matches!(first, "i'd" | "we'd") {
        let k = skip_filler_words(tokens, i + 1);
        let verb = tokens.get(k).map_or("", String::as_str);
        if is_participle(verb) {
            scores[S] += 1.0;
        } else {
            scores[A] += 2.0;
        }
        return scores;
    }
    if !opening {
        return scores;
    }
    if (first == "had" && tokens.get(i + 1).is_some_and(|t| t == "to"))
        || in_list(lexicon::TASK_VERBS, first)
    {
        // A dropped subject: "had to build a dashboard", "needed to learn Figma".
        scores[T] += 3.2;
        return scores;
    }
    if is_past_verb(first) && !matches!(first, "was" | "were" | "had") {
        // A dropped subject, as in chat and bullets: "wrote 12 test cases".
        scores[A] += 2.0;
        return scores;
    }
    // Someone or something else is the subject: find its verb.
    for word in tokens.iter().skip(i + 1).take(6).map(String::as_str) {
        if in_list(&["was", "were", "had", "is", "are", "has", "have"], word) {
            scores[S] += 0.6;
            break;
        }
        if is_past_verb(word) {
            // Another person's step after the speaker's one is usually a reaction.
            scores[R] += 0.8;
            scores[S] += 0.3;
            break;
        }
    }
    scores
}

fn emission(tokens: &[String], cues: &[f32; 5], position: f32) -> [f32; 4] {
    let opener = opener_scores(tokens);
    let numbers = tokens
        .iter()
        .filter(|t| t.chars().any(|c| c.is_ascii_digit()) || lexicon::NUMBER_WORDS_SET.contains(t))
        .count();
    let has_number = numbers > 0 || tokens.iter().any(|t| t == "%");
    let mut e = [0.0f32; 4];
    for k in 0..4 {
        e[k] = cues[k] + opener[k];
    }
    if has_number {
        e[R] += 0.4;
    }
    if numbers >= 2 {
        // Several figures in one sentence are usually a before/after or a tally.
        e[R] += 0.5;
    }
    e[R] += reaction_score(tokens);
    // Priors: a task needs a reason to be there; the scene comes early, results late.
    // Tasks come before the actions they frame; one at the very end is rarely a task.
    e[T] -= 0.8 + (position - 0.7).max(0.0) * 3.0;
    e[S] += 1.2 * (1.0 - position) * (1.0 - position);
    e[R] += 1.0 * position * position;
    e[A] += 0.3;
    e
}

/// Filler that is unmistakable even inside a labeled section ("So yeah, that's the story.").
fn is_strong_filler(tokens: &[String], cues: &[f32; 5]) -> bool {
    let content = cues[S].max(cues[T]).max(cues[A]).max(cues[R]);
    tokens.is_empty() || (cues[4] >= 3.0 && content < 1.5)
}

/// Filler and meta talk: strong meta cues, or a short opener with nothing in it.
fn is_filler(tokens: &[String], cues: &[f32; 5]) -> bool {
    if tokens.is_empty() {
        return true;
    }
    let content = cues[S].max(cues[T]).max(cues[A]).max(cues[R]);
    let other = cues[4];
    let short = tokens.len() <= 6;
    let interjection = tokens
        .first()
        .is_some_and(|t| lexicon::INTERJECTIONS_SET.contains(t.as_str()));
    let has_number = tokens.iter().any(|t| t.chars().any(|c| c.is_ascii_digit()));
    if has_number && other < 3.0 {
        return false;
    }
    if interjection && tokens.len() <= 3 {
        return true;
    }
    if other >= 3.0 && other >= content {
        return true;
    }
    if other >= 2.0 && short && content < 2.0 {
        return true;
    }
    interjection && short && content < 1.0 && other >= 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> Vec<(String, Section)> {
        let units = super::super::segment::segment(text);
        let labels = label_units(text, &units);
        units
            .iter()
            .zip(labels)
            .map(|(u, l)| {
                (
                    text.get(u.start..u.end).unwrap_or("").to_string(),
                    l.section,
                )
            })
            .collect()
    }

    #[test]
    fn headers_carry_to_following_sentences() {
        let got = labels("Situation: We ran a shop. It was busy.\nTask: I had to fix it. Quickly.");
        let sections: Vec<Section> = got.iter().map(|(_, s)| *s).collect();
        assert_eq!(
            sections,
            vec![
                Section::Situation,
                Section::Situation,
                Section::Task,
                Section::Task
            ]
        );
    }

    #[test]
    fn a_header_with_text_carries_only_within_its_line() {
        let got = labels(
            "Situation: I was a TA. The server was down.\nI rebuilt the grader in a notebook.\nResult: 180 students used it.",
        );
        let sections: Vec<Section> = got.iter().map(|(_, s)| *s).collect();
        assert_eq!(
            sections,
            vec![
                Section::Situation,
                Section::Situation,
                Section::Action,
                Section::Result
            ]
        );
    }

    #[test]
    fn a_header_alone_on_its_line_carries_to_the_next_lines() {
        let got = labels(
            "**Action**\n- called the broker\n- the sofa is here now\n**Result**\nShe was happy.",
        );
        let sections: Vec<Section> = got.iter().map(|(_, s)| *s).collect();
        assert_eq!(
            sections,
            vec![
                Section::Action,
                Section::Action,
                Section::Action,
                Section::Result,
                Section::Result
            ]
        );
    }

    #[test]
    fn a_sentence_broken_across_messages_keeps_one_label() {
        let got = labels(
            "I was a coordinator at a distributor.\nI split the order across two warehouses.\nthe last thing I did was\ncall the receiving manager so their dock was ready\nAll 3,000 kits arrived in 41 hours.",
        );
        assert_eq!(got[2].1, Section::Action);
        assert_eq!(got[3].1, Section::Action);
        assert_eq!(got[4].1, Section::Result);
    }

    #[test]
    fn filler_is_other() {
        let got = labels("Sure, good question.\nI was a support agent at a bank.\nlet me back up\nI rebuilt the queue.\nSo yeah, that's the story.");
        assert_eq!(got[0].1, Section::Other);
        assert_eq!(got[2].1, Section::Other);
        assert_eq!(got[4].1, Section::Other);
        assert_eq!(got[3].1, Section::Action);
    }

    #[test]
    fn unlabeled_prose_is_inferred_from_content() {
        let got = labels(
            "I was a data analyst at an insurer. My manager asked me to shrink the month-end close. \
             I rewrote the matching logic in SQL. The close went from two days to three hours.",
        );
        let sections: Vec<Section> = got.iter().map(|(_, s)| *s).collect();
        assert_eq!(
            sections,
            vec![
                Section::Situation,
                Section::Task,
                Section::Action,
                Section::Result
            ]
        );
    }

    #[test]
    fn a_result_can_come_first_and_lessons_are_results() {
        let got = labels(
            "The end result was that crashes dropped by 80%.\nSo the backstory is, I was an SRE at a retailer.\n\
             I built a repro app and escalated it.\nThe lesson for me was to test the claim myself.",
        );
        assert_eq!(got[0].1, Section::Result);
        assert_eq!(got[1].1, Section::Situation);
        assert_eq!(got[2].1, Section::Action);
        assert_eq!(got[3].1, Section::Result);
    }

    #[test]
    fn tokenizer_keeps_contractions_and_hyphens() {
        assert_eq!(
            tokenize("I’d take it—5% of five-star, ok?"),
            vec!["i'd", "take", "it", "5", "%", "of", "five-star", "ok"]
        );
    }
}
