//! The session core on the hot path of the bot: applying one collected message to an open solo
//! session (cloned first, as the Discord adapter does), encoding the session for the store,
//! finishing an answer (`Done`: analysis and the attempt draft), and building the feedback
//! embeds the bot sends.
//!
//! `cargo bench --bench session` (add `-- --quick` for a short run).

use std::hint::black_box;

use bar_raiser::analysis::analyze;
use bar_raiser::bank::Bank;
use bar_raiser::config::InterviewConfig;
use bar_raiser::discord::feedback_messages;
use bar_raiser::interview::solo::{Context, Event, SoloSession};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use jiff::Timestamp;

const LINES: [&str; 6] = [
    "Last year I ran support for a payroll product and refunds were taking two weeks.",
    "My goal was to get refunds under three days before the holiday peak.",
    "I rewrote the refund runbook and I automated the bank file upload with Python.",
    "I also paired with the finance lead every morning to clear the exceptions queue.",
    "Refund time fell from 14 days to 2 days and complaints dropped by 40%.",
    "We kept the process after the peak and it now handles 3x the volume.",
];

fn start() -> Timestamp {
    "2026-11-29T10:00:00Z".parse().expect("constant timestamp")
}

/// An open session holding `collected` answer messages.
fn session_with(bank: &Bank, ctx: &Context, collected: usize) -> SoloSession {
    let question = bank.questions()[0].id.clone();
    let mut session = SoloSession::start("s1".into(), "discord:1".into(), question, start());
    for n in 0..collected {
        let event = Event::Message {
            id: n as u64 + 1,
            text: LINES[n % LINES.len()].into(),
        };
        session = session
            .apply(event, ctx)
            .session
            .expect("a message keeps the session open");
    }
    session
}

fn bench(c: &mut Criterion) {
    let bank = Bank::builtin();
    let config = InterviewConfig::default();
    let ctx = Context {
        bank: &bank,
        config: &config,
        now: start(),
    };

    let mut group = c.benchmark_group("session");
    group.throughput(Throughput::Elements(1));
    for collected in [0usize, 5, 20] {
        let session = session_with(&bank, &ctx, collected);
        group.bench_with_input(
            BenchmarkId::new("apply_message", collected),
            &session,
            |b, session| {
                b.iter(|| {
                    let event = Event::Message {
                        id: 10_000,
                        text: LINES[2].into(),
                    };
                    black_box(session.clone().apply(event, &ctx))
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("encode_for_store", collected),
            &session,
            |b, session| b.iter(|| black_box(serde_json::to_value(black_box(session)))),
        );
    }
    let answered = session_with(&bank, &ctx, 6);
    group.bench_function("done_with_6_messages", |b| {
        b.iter(|| black_box(answered.clone().apply(Event::Done, &ctx)))
    });

    let question = bank.questions().first();
    let text = LINES.join("\n");
    let report = analyze(&text, question.map(|q| q.hints()).as_ref()).expect("analysable");
    group.bench_function("feedback_embeds", |b| {
        b.iter(|| black_box(feedback_messages(black_box(&report), question)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
