//! Which questions a server's rotation draws from: the whole bank, or the questions of its LP
//! focus.

use crate::bank::Bank;

/// The question ids a server's daily post may use today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligible<'b> {
    pub ids: Vec<&'b str>,
    /// True when the server's LP focus matched no principle with questions (the bank changed
    /// since `/daily set`), so the whole bank is used instead; `/daily show` can say so.
    pub focus_ignored: bool,
}

/// The eligible question ids for an optional LP focus (id, name or alias). A focus that no
/// longer matches falls back to the whole bank, so a server never goes without its post.
pub fn eligible_questions<'b>(bank: &'b Bank, lp_focus: Option<&str>) -> Eligible<'b> {
    let whole_bank = || bank.questions().iter().map(|q| q.id.as_str()).collect();
    let Some(focus) = lp_focus else {
        return Eligible {
            ids: whole_bank(),
            focus_ignored: false,
        };
    };
    let focused: Vec<&str> = bank
        .principle(focus)
        .map(|principle| {
            bank.questions_for(&principle.id)
                .into_iter()
                .map(|q| q.id.as_str())
                .collect()
        })
        .unwrap_or_default();
    if focused.is_empty() {
        Eligible {
            ids: whole_bank(),
            focus_ignored: true,
        }
    } else {
        Eligible {
            ids: focused,
            focus_ignored: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_focus_means_the_whole_bank() {
        let bank = Bank::builtin();
        let eligible = eligible_questions(&bank, None);
        assert_eq!(eligible.ids.len(), bank.questions().len());
        assert!(!eligible.focus_ignored);
    }

    #[test]
    fn a_focus_narrows_to_that_principles_questions() {
        let bank = Bank::builtin();
        let ownership = bank.principle("Ownership").unwrap();
        let eligible = eligible_questions(&bank, Some("ownership"));
        assert!(!eligible.focus_ignored);
        assert!(!eligible.ids.is_empty());
        assert!(eligible.ids.len() < bank.questions().len());
        for id in &eligible.ids {
            let question = bank.question(id).unwrap();
            assert!(question.lps.contains(&ownership.id), "{id}");
        }
    }

    #[test]
    fn an_unknown_focus_falls_back_to_the_whole_bank_and_says_so() {
        let bank = Bank::builtin();
        let eligible = eligible_questions(&bank, Some("Frugality of Time Travel"));
        assert!(eligible.focus_ignored);
        assert_eq!(eligible.ids.len(), bank.questions().len());
    }
}
