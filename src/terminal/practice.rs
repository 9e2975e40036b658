//! `bar-raiser practice`: the solo interview in a terminal, driven by the same state machine as
//! the Discord bot. Generic over input and output so tests can type into it.

use std::io::{BufRead, Write};

use crate::bank::Bank;
use crate::clock::Clock;
use crate::config::InterviewConfig;
use crate::interview::record;
use crate::interview::solo::{is_done_command, CloseReason, Context, Effect, Event, SoloSession};
use crate::store::{Mode, Store, StoreError, UserKey};

#[derive(Debug, thiserror::Error)]
pub enum PracticeError {
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
    #[error("could not save your attempt: {0}")]
    Store(#[from] StoreError),
}

/// Everything a practice run needs.
pub struct Practice<'a> {
    pub bank: &'a Bank,
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    pub config: &'a InterviewConfig,
    pub user: UserKey,
}

/// Lines that are commands rather than answer text.
fn command(line: &str) -> Option<Event> {
    if is_done_command(line) || line.trim() == "/done" {
        return Some(Event::Done);
    }
    match line.trim() {
        "/hint" => Some(Event::Hint),
        "/cancel" => Some(Event::Cancel),
        _ => None,
    }
}

impl Practice<'_> {
    /// Runs one interview on `question_id`: shows the question, collects lines until `done` (or
    /// end of input), prints feedback and follow-ups, and stores the attempt.
    /// Returns how the interview ended.
    pub fn run(
        &self,
        question_id: &str,
        input: &mut impl BufRead,
        out: &mut impl Write,
    ) -> Result<CloseReason, PracticeError> {
        let Some(question) = self.bank.question(question_id) else {
            writeln!(out, "Unknown question id {question_id}.")?;
            return Ok(CloseReason::Cancelled);
        };
        let started = self.clock.now();
        let mut session = SoloSession::start(
            format!("practice-{}-{}", self.user, started.as_millisecond()),
            self.user.0.clone(),
            question.id.clone(),
            started,
        );
        let lps = self.bank.principle_names(question);
        writeln!(out, "\n{}  [{}]\n", question.text, lps)?;
        writeln!(
            out,
            "Answer over as many lines as you like. `done` on its own line (or Ctrl-D) gets \
             feedback; /hint shows what the question tests; /cancel stops.\n"
        )?;
        let mut next_id: u64 = 1;
        let mut line = String::new();
        loop {
            line.clear();
            let read = input.read_line(&mut line)?;
            let text = line.trim_end_matches(['\n', '\r']).to_string();
            let event = if read == 0 {
                Event::Done
            } else if let Some(event) = command(&text) {
                event
            } else if text.trim().is_empty() {
                continue;
            } else {
                next_id += 1;
                Event::Message { id: next_id, text }
            };
            let ctx = Context {
                bank: self.bank,
                config: self.config,
                now: self.clock.now(),
            };
            let step = session.clone().apply(event, &ctx);
            let mut closed = None;
            for effect in step.effects {
                match effect {
                    Effect::Collected { words, .. } => {
                        let elapsed = ctx.now.duration_since(session.started_at).as_secs();
                        writeln!(
                            out,
                            "  · {words} words · {}:{:02} elapsed",
                            elapsed / 60,
                            elapsed % 60
                        )?;
                    }
                    Effect::TooLong { limit, .. } => writeln!(
                        out,
                        "  ! That line was not added: the answer would pass {limit} characters."
                    )?,
                    Effect::NothingToAnalyse => {
                        writeln!(out, "Nothing to analyse yet: type your answer first.")?;
                        if read == 0 {
                            closed = Some(CloseReason::Cancelled);
                        }
                    }
                    Effect::Record(draft) => {
                        let attempt = record::attempt(&draft, Mode::Practice, None);
                        self.store.record_attempt(&attempt)?;
                    }
                    Effect::Feedback { report, follow_up } => {
                        writeln!(out, "\n{}", crate::terminal::report::render(&report))?;
                        if let Some(follow_up) = follow_up {
                            writeln!(
                                out,
                                "\nBar-raiser follow-up: {follow_up}\n(answer it the same way; \
                                 `done` again to finish)\n"
                            )?;
                        }
                    }
                    Effect::Hint { question_id } => {
                        if let Some(q) = self.bank.question(&question_id) {
                            writeln!(out, "\nWhat they are really testing: {}", q.tests)?;
                            for tip in &q.tips {
                                writeln!(out, "  • {tip}")?;
                            }
                            writeln!(out)?;
                        }
                    }
                    Effect::Reminder { .. } | Effect::Ask { .. } => {}
                    Effect::Edited { .. } | Effect::Removed { .. } => {}
                    Effect::Closed(reason) => closed = Some(reason),
                }
            }
            match step.session {
                Some(next) => session = next,
                None => {
                    let reason = closed.unwrap_or(CloseReason::Finished);
                    match reason {
                        CloseReason::Cancelled if !session.attempt_recorded => {
                            writeln!(out, "Cancelled; nothing was saved.")?
                        }
                        _ => writeln!(
                            out,
                            "Saved. `bar-raiser history` and `bar-raiser stats` show your progress."
                        )?,
                    }
                    return Ok(reason);
                }
            }
            if let Some(reason) = closed {
                return Ok(reason);
            }
            if read == 0 {
                // End of input after feedback with a follow-up pending: the attempt is saved.
                writeln!(out, "Saved. `bar-raiser history` shows your progress.")?;
                return Ok(CloseReason::Finished);
            }
        }
    }
}
