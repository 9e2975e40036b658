//! Analyzer throughput: the whole labeled corpus, a ~350-word and a ~600-word answer, and one
//! answer repeated 1×, 4× and 16× (to show growth is linear). Throughput is in bytes, so
//! criterion reports MB/s; the `analyzer_answers` group counts answers, for answers/second.
//!
//! `cargo bench --bench analyzer` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use bar_raiser::analysis::analyze;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// A chat-style answer of about 120 words, used to build the longer inputs.
const BASE: &str = "ok so context: I was the on-call SRE for an online retailer during a flash sale in Europe.\n\
Around 1:40am the checkout error rate jumped to 8% and the dashboards didn't point to anything obvious.\n\
I had to decide whether to roll back a config change without knowing for sure it was the cause.\n\
- checked the rollback was safe and reversible (see runbook.example.com/rollback)\n\
- posted in the incident channel and rolled it back, e.g. via the deploy tool vs. a manual edit\n\
Errors dropped back under 0.5% within four minutes, and we saved about six hours of checkout errors.\n\
The config team added a canary step after that, so those changes now go to 5% of traffic first.\n";

fn corpus_answers() -> Vec<String> {
    let mut dirs = Vec::new();
    if let Ok(dir) = std::env::var("BAR_RAISER_CORPUS") {
        dirs.push(PathBuf::from(dir));
    }
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    dirs.push(PathBuf::from("/work/shared/corpus"));
    for dir in dirs {
        let mut answers = Vec::new();
        for file in ["seed-answers.jsonl", "dev-answers.jsonl"] {
            let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
                continue;
            };
            for line in text.lines() {
                let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                let messages: Vec<&str> = record["messages"]
                    .as_array()
                    .map(|m| m.iter().filter_map(|s| s.as_str()).collect())
                    .unwrap_or_default();
                answers.push(messages.join("\n"));
            }
        }
        if !answers.is_empty() {
            return answers;
        }
    }
    eprintln!("corpus not found (set BAR_RAISER_CORPUS); benchmarking generated answers instead");
    (1..=59).map(|k| BASE.repeat(1 + k % 3)).collect()
}

/// About `words` words of answer built from the base answer.
fn answer_of(words: usize) -> String {
    let mut text = String::new();
    while text.split_whitespace().count() < words {
        text.push_str(BASE);
    }
    text
}

fn bench(c: &mut Criterion) {
    let corpus = corpus_answers();
    let corpus_bytes: usize = corpus.iter().map(String::len).sum();
    let mut group = c.benchmark_group("analyzer");
    group.throughput(Throughput::Bytes(corpus_bytes as u64));
    group.bench_function(format!("corpus_{}_answers", corpus.len()), |b| {
        b.iter(|| {
            for answer in &corpus {
                let _ = black_box(analyze(black_box(answer), None));
            }
        })
    });
    for words in [350usize, 600] {
        let text = answer_of(words);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("answer_words", words), &text, |b, t| {
            b.iter(|| black_box(analyze(black_box(t), None)))
        });
    }
    for times in [1usize, 4, 16] {
        let text = BASE.repeat(times);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("repeat", times), &text, |b, t| {
            b.iter(|| black_box(analyze(black_box(t), None)))
        });
    }
    group.finish();

    // The same inputs counted in answers, so criterion reports answers/second.
    let mut group = c.benchmark_group("analyzer_answers");
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function(format!("corpus_{}_answers", corpus.len()), |b| {
        b.iter(|| {
            for answer in &corpus {
                let _ = black_box(analyze(black_box(answer), None));
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    for words in [350usize, 600] {
        let text = answer_of(words);
        group.bench_with_input(BenchmarkId::new("answer_words", words), &text, |b, t| {
            b.iter(|| black_box(analyze(black_box(t), None)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: they need system fonts that build machines often lack.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
