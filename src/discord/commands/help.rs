//! `/help`.

use super::super::data::{no_pings, Context, Error};
use super::super::reply;

/// How bar-raiser works and what you can ask it.
#[poise::command(slash_command)]
pub async fn help(ctx: Context<'_>) -> Result<(), Error> {
    let text = "**bar-raiser** is a mock interviewer for Amazon-style behavioral interviews \
(the 16 Leadership Principles).\n\n\
**Practise**\n\
• `/interview start [lp] [question]` — I ask a question in a private thread (or here, in a DM).\n\
• Answer in as many messages as you like. Edits and deletes are followed.\n\
• Press **Done** (or send `done`, or `/interview done`) for feedback: STAR checklist, \"I\" vs \"we\", \
numbers in the result, length, a score from 1 to 5, the one next step, and a bar-raiser follow-up.\n\
• **Answer** opens a form with one box per STAR section. **Hint** shows what the question really \
tests. **Skip** gives another question. **Cancel** stops.\n\n\
**Group mock interviews**\n\
• `/group start [rounds] [lp] [mode] [answer_minutes]` — a lobby here and a thread for the session. \
Join, then the host presses **Begin**. *everyone*: all answer each question, then vote for the best \
answer. *hot seat*: one candidate per round, the others rate the answer.\n\n\
**Daily question**\n\
• Answer the day's question in its thread, then press **Get feedback**: private coaching, saved \
in your history, and your daily streak grows.\n\
• Admins: `/daily set channel time timezone [lp] [role]`, `/daily show`, `/daily off`, `/daily now`.\n\n\
**Your data**\n\
• `/history [count]` — your recent attempts. `/stats` — per-principle progress with a chart.\n\
• `/export` — everything I keep about you, as a JSON file. `/forget` — delete all of it.\n\n\
Tips from real bar raisers: say \"I\", not \"we\"; name the tools, dates and numbers; \
keep it to 2–3 minutes; and tell a real story, never \"I would…\".";
    reply::send(
        ctx,
        poise::CreateReply::default()
            .content(text)
            .ephemeral(true)
            .allowed_mentions(no_pings()),
    )
    .await?;
    Ok(())
}
