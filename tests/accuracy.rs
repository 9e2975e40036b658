//! Scores the analyzer against labeled answers, the way the corpus README's "Checking an
//! analyzer" describes, and prints every figure (`cargo test --test accuracy -- --nocapture`).
//!
//! Sets: the corpus seed answers, the same with the "Situation: " prefixes stripped, the seed
//! with every STAR prefix stripped (the hardest view of the seed), the dev answers (the check,
//! with floors that fail the test) and our own chat-style answers in tests/data.
//!
//! The corpus is found at `$BAR_RAISER_CORPUS`, `<crate>/../shared/corpus` or
//! `/work/shared/corpus`. Set `BAR_RAISER_ACCURACY_VERBOSE=1` to print every mislabeled sentence.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bar_raiser::analysis::{analyze, Report};
use serde::Deserialize;

const LABELS: [&str; 5] = ["situation", "task", "action", "result", "other"];
const SECTIONS: [&str; 4] = ["situation", "task", "action", "result"];

#[derive(Debug, Clone, Deserialize)]
struct Record {
    id: String,
    messages: Vec<String>,
    sentences: Vec<GoldSentence>,
    expected: Expected,
}

#[derive(Debug, Clone, Deserialize)]
struct GoldSentence {
    text: String,
    label: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Expected {
    present: BTreeMap<String, bool>,
    singular: usize,
    plural: usize,
    hypothetical: bool,
    quantified_result: bool,
}

fn corpus_dir() -> PathBuf {
    let mut candidates = Vec::new();
    if let Ok(dir) = std::env::var("BAR_RAISER_CORPUS") {
        candidates.push(PathBuf::from(dir));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    candidates.push(PathBuf::from("/work/shared/corpus"));
    for dir in &candidates {
        if dir.join("dev-answers.jsonl").is_file() {
            return dir.clone();
        }
    }
    panic!(
        "labeled corpus not found: set BAR_RAISER_CORPUS to the folder holding dev-answers.jsonl \
         (looked in {candidates:?})"
    );
}

fn load(path: &Path) -> Vec<Record> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: bad record: {e}", path.display(), n + 1))
        })
        .collect()
}

/// Strips a header prefix from the first message and the first sentence of each section.
fn strip_prefixes(records: &[Record], prefixes: &[&str]) -> Vec<Record> {
    records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            for m in &mut r.messages {
                for p in prefixes {
                    if let Some(rest) = m.strip_prefix(p) {
                        *m = rest.to_string();
                    }
                }
            }
            for s in &mut r.sentences {
                for p in prefixes {
                    if let Some(rest) = s.text.strip_prefix(p) {
                        s.text = rest.to_string();
                    }
                }
            }
            r
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    answers: usize,
    sentences: usize,
    sentence_correct: usize,
    /// confusion[gold][predicted]
    confusion: [[usize; 5]; 5],
    present_correct: usize,
    missing_tp: usize,
    missing_fp: usize,
    missing_fn: usize,
    pronoun_exact: usize,
    hypothetical_correct: usize,
    quantified_correct: usize,
    errors: Vec<String>,
}

fn label_index(label: &str) -> usize {
    LABELS.iter().position(|l| *l == label).unwrap_or(4)
}

/// The analyzer's label for each gold sentence: the segment with the largest overlap.
fn predicted_labels(input: &str, report: &Report, gold: &[GoldSentence], id: &str) -> Vec<usize> {
    let mut from = 0usize;
    let mut out = Vec::with_capacity(gold.len());
    for g in gold {
        let start = input
            .get(from..)
            .and_then(|rest| rest.find(&g.text))
            .map(|i| i + from)
            .unwrap_or_else(|| panic!("{id}: gold sentence not found in input: {:?}", g.text));
        let end = start + g.text.len();
        from = end;
        let best = report
            .sentences
            .iter()
            .map(|s| (s.end.min(end).saturating_sub(s.start.max(start)), s))
            .filter(|(overlap, _)| *overlap > 0)
            .max_by_key(|(overlap, s)| (*overlap, std::cmp::Reverse(s.start)));
        out.push(best.map_or(4, |(_, s)| label_index(s.section.as_str())));
    }
    out
}

fn score(records: &[Record]) -> Tally {
    let mut t = Tally::default();
    for r in records {
        let input = r.messages.join("\n");
        let report =
            analyze(&input, None).unwrap_or_else(|e| panic!("{}: analysis failed: {e}", r.id));
        // The JSON contract is what outside scorers read; score through it.
        let json = report.contract_json();
        t.answers += 1;

        let predicted = predicted_labels(&input, &report, &r.sentences, &r.id);
        for (g, &p) in r.sentences.iter().zip(&predicted) {
            let gi = label_index(&g.label);
            t.sentences += 1;
            t.confusion[gi][p] += 1;
            if gi == p {
                t.sentence_correct += 1;
            } else {
                t.errors.push(format!(
                    "{} gold={} got={}: {}",
                    r.id, g.label, LABELS[p], g.text
                ));
            }
        }

        for section in SECTIONS {
            let gold = r.expected.present.get(section).copied().unwrap_or(false);
            let got = json["star"][section].as_bool().unwrap_or(false);
            if gold == got {
                t.present_correct += 1;
            }
            match (!gold, !got) {
                (true, true) => t.missing_tp += 1,
                (false, true) => t.missing_fp += 1,
                (true, false) => t.missing_fn += 1,
                (false, false) => {}
            }
            if gold != got {
                t.errors
                    .push(format!("{} present[{section}] gold={gold} got={got}", r.id));
            }
        }
        let singular = json["pronouns"]["singular"].as_u64().unwrap_or(u64::MAX);
        let plural = json["pronouns"]["plural"].as_u64().unwrap_or(u64::MAX);
        if singular == r.expected.singular as u64 && plural == r.expected.plural as u64 {
            t.pronoun_exact += 1;
        } else {
            t.errors.push(format!(
                "{} pronouns gold={}/{} got={singular}/{plural}",
                r.id, r.expected.singular, r.expected.plural
            ));
        }
        let hypothetical = json["hypothetical"].as_bool().unwrap_or(false);
        if hypothetical == r.expected.hypothetical {
            t.hypothetical_correct += 1;
        } else {
            t.errors.push(format!(
                "{} hypothetical gold={} got={hypothetical}",
                r.id, r.expected.hypothetical
            ));
        }
        let quantified = json["quantified_result"].as_bool().unwrap_or(false);
        if quantified == r.expected.quantified_result {
            t.quantified_correct += 1;
        } else {
            t.errors.push(format!(
                "{} quantified_result gold={} got={quantified}",
                r.id, r.expected.quantified_result
            ));
        }
    }
    t
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

impl Tally {
    fn sentence_accuracy(&self) -> f64 {
        ratio(self.sentence_correct, self.sentences)
    }
    fn missing_f1(&self) -> f64 {
        let tp = self.missing_tp as f64;
        let denom = 2.0 * tp + self.missing_fp as f64 + self.missing_fn as f64;
        if denom == 0.0 {
            1.0
        } else {
            2.0 * tp / denom
        }
    }
    fn pronoun_exact(&self) -> f64 {
        ratio(self.pronoun_exact, self.answers)
    }

    fn print(&self, name: &str) {
        println!(
            "\n=== {name}: {} answers, {} sentences ===",
            self.answers, self.sentences
        );
        println!(
            "sentence-label accuracy   {:.3} ({}/{})",
            self.sentence_accuracy(),
            self.sentence_correct,
            self.sentences
        );
        println!(
            "section presence accuracy {:.3} ({}/{})",
            ratio(self.present_correct, self.answers * 4),
            self.present_correct,
            self.answers * 4
        );
        println!(
            "missing-section F1        {:.3} (tp {} fp {} fn {})",
            self.missing_f1(),
            self.missing_tp,
            self.missing_fp,
            self.missing_fn
        );
        println!(
            "pronoun exact match       {:.3} ({}/{})",
            self.pronoun_exact(),
            self.pronoun_exact,
            self.answers
        );
        println!(
            "hypothetical accuracy     {:.3}",
            ratio(self.hypothetical_correct, self.answers)
        );
        println!(
            "quantified accuracy       {:.3}",
            ratio(self.quantified_correct, self.answers)
        );
        println!("label      precision recall  f1     support");
        for (k, label) in LABELS.iter().enumerate() {
            let tp = self.confusion[k][k];
            let predicted: usize = (0..5).map(|g| self.confusion[g][k]).sum();
            let support: usize = self.confusion[k].iter().sum();
            let p = ratio(tp, predicted);
            let r = ratio(tp, support);
            let f1 = if p + r == 0.0 {
                0.0
            } else {
                2.0 * p * r / (p + r)
            };
            println!("{label:<10} {p:.3}     {r:.3}   {f1:.3}  {support}");
        }
        println!("confusion (rows gold, columns predicted: sit task act res oth)");
        for (k, label) in LABELS.iter().enumerate() {
            let row: Vec<String> = self.confusion[k]
                .iter()
                .map(|c| format!("{c:>4}"))
                .collect();
            println!("{label:<10} {}", row.join(""));
        }
        if std::env::var_os("BAR_RAISER_ACCURACY_VERBOSE").is_some() {
            for e in &self.errors {
                println!("  ! {e}");
            }
        }
    }
}

#[test]
fn analyzer_accuracy_on_labeled_answers() {
    let dir = corpus_dir();
    let seed = load(&dir.join("seed-answers.jsonl"));
    let dev = load(&dir.join("dev-answers.jsonl"));
    let own = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/own-answers.jsonl"));
    assert!(
        seed.len() >= 29 && dev.len() >= 30,
        "corpus looks truncated"
    );
    assert!(own.len() >= 15, "own answers missing");

    let seed_tally = score(&seed);
    seed_tally.print("seed");
    let seed_no_situation = score(&strip_prefixes(&seed, &["Situation: "]));
    seed_no_situation.print("seed, \"Situation: \" prefixes stripped");
    let seed_bare = score(&strip_prefixes(
        &seed,
        &["Situation: ", "Task: ", "Action: ", "Result: "],
    ));
    seed_bare.print("seed, all STAR prefixes stripped");
    let own_tally = score(&own);
    own_tally.print("own chat-style answers (tests/data)");
    let dev_tally = score(&dev);
    dev_tally.print("dev");

    // Floors on the dev answers (the check set) and on the labeled seed.
    assert!(
        dev_tally.sentence_accuracy() >= 0.80,
        "dev sentence accuracy {:.3} < 0.80",
        dev_tally.sentence_accuracy()
    );
    assert!(
        dev_tally.missing_f1() >= 0.75,
        "dev missing-section F1 {:.3} < 0.75",
        dev_tally.missing_f1()
    );
    assert!(
        dev_tally.pronoun_exact() >= 0.97,
        "dev pronoun exact {:.3} < 0.97",
        dev_tally.pronoun_exact()
    );
    assert!(
        seed_tally.sentence_accuracy() >= 0.99,
        "labeled seed accuracy {:.3}: headers are not being read",
        seed_tally.sentence_accuracy()
    );
    // Regression guards on our own sets, well below today's figures.
    assert!(
        seed_no_situation.sentence_accuracy() >= 0.95,
        "seed without \"Situation: \" accuracy {:.3} < 0.95",
        seed_no_situation.sentence_accuracy()
    );
    assert!(
        own_tally.sentence_accuracy() >= 0.90,
        "own answers accuracy {:.3} < 0.90",
        own_tally.sentence_accuracy()
    );
    assert!(
        own_tally.missing_f1() >= 0.75,
        "own answers missing-section F1 {:.3} < 0.75",
        own_tally.missing_f1()
    );
    assert_eq!(seed_tally.pronoun_exact(), 1.0, "seed pronoun counts");
    assert_eq!(own_tally.pronoun_exact(), 1.0, "own-answer pronoun counts");
}
