//! Matching names the way people type them: "are right a lot", "Are Right, A Lot" and
//! "are-right-a-lot" are the same principle, and a near miss gets a "did you mean".

/// The comparison key of a name: lowercase words, apostrophes dropped ("Earth's" = "Earths"),
/// every other non-alphanumeric character a word break, "&" read as "and".
pub fn normalize(name: &str) -> String {
    let mut spaced = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '\'' | '\u{2019}' => {}
            '&' => spaced.push_str(" and "),
            c if c.is_alphanumeric() => spaced.extend(c.to_lowercase()),
            _ => spaced.push(' '),
        }
    }
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Edit distance (insertions, deletions, substitutions) between two strings, by characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The candidate closest to `input`, when it is close enough to be a plausible typo.
/// Candidates are `(key, what to suggest)`; keys are compared after [`normalize`].
pub fn closest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<&'a str> {
    let input = normalize(input);
    if input.is_empty() {
        return None;
    }
    let budget = (input.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|(key, shown)| (edit_distance(&input, &normalize(key)), shown))
        .filter(|(distance, _)| *distance <= budget)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, shown)| shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_ignores_case_punctuation_and_apostrophes() {
        assert_eq!(normalize("Are Right, A Lot"), "are right a lot");
        assert_eq!(normalize("are-right-a-lot"), "are right a lot");
        assert_eq!(
            normalize("Have Backbone; Disagree and Commit"),
            "have backbone disagree and commit"
        );
        assert_eq!(normalize("Earth\u{2019}s Best"), "earths best");
        assert_eq!(normalize("Invent & Simplify"), "invent and simplify");
        assert_eq!(normalize("  ;; "), "");
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("ownership", "ownership"), 0);
        assert_eq!(edit_distance("ownershipp", "ownership"), 1);
        assert_eq!(edit_distance("frugalty", "frugality"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn closest_suggests_near_misses_only() {
        let candidates = [("Ownership", "Ownership"), ("Dive Deep", "Dive Deep")];
        assert_eq!(closest("Ownershipp", candidates), Some("Ownership"));
        assert_eq!(closest("dive dep", candidates), Some("Dive Deep"));
        assert_eq!(closest("Quantum Leap", candidates), None);
        assert_eq!(closest("", candidates), None);
    }
}
