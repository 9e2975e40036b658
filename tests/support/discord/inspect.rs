//! Inspecting what the bot did (calls, messages, interactions, violations, leaks, rates), fault
//! injection, and the waits that fail a test loudly with the call log.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{
    Core, DispatchRecord, FakeDiscord, Fault, FaultRule, InteractionView, MentionLeak, MessageView,
    RecordedCall, Violation,
};

/// How often a wait looks again when nothing changed in the emulator.
const RECHECK_EVERY: Duration = Duration::from_millis(20);

impl FakeDiscord {
    // ----- inspection -----------------------------------------------------------------------

    /// The current length of the call log: pass it to `wait_for_call_after` to wait only for
    /// calls made after this point.
    pub fn mark(&self) -> usize {
        let core = self.shared.core();
        core.calls_base + core.calls.len()
    }

    /// The interaction's original response and followups that still exist, oldest first.
    pub fn replies_to(&self, interaction: u64) -> Vec<MessageView> {
        let core = self.shared.core();
        let w = &core.world;
        let Some(i) = w.interactions.get(&interaction) else {
            return Vec::new();
        };
        i.original_message_id
            .into_iter()
            .chain(i.followup_ids.iter().copied())
            .filter_map(|id| w.messages.get(&id))
            .filter(|m| !m.deleted && m.interaction_id == Some(interaction))
            .map(MessageView::of)
            .collect()
    }

    /// Drops the recorded calls (violations and leaks stay); for long load runs. Indices and
    /// `mark()` keep counting.
    pub fn forget_calls(&self) {
        let mut core = self.shared.core();
        core.calls_base += core.calls.len();
        core.calls.clear();
    }

    pub fn calls(&self) -> Vec<RecordedCall> {
        self.shared.core().calls.clone()
    }

    /// The calls from `mark()` position `from` on (those still kept): lets a load driver
    /// follow the log without copying all of it on every poll.
    pub fn calls_since(&self, from: usize) -> Vec<RecordedCall> {
        let core = self.shared.core();
        let start = from.saturating_sub(core.calls_base);
        core.calls
            .get(start..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    pub fn calls_matching(&self, pred: impl Fn(&RecordedCall) -> bool) -> Vec<RecordedCall> {
        self.shared
            .core()
            .calls
            .iter()
            .filter(|c| pred(c))
            .cloned()
            .collect()
    }

    /// The most calls matching `pred` within any `window` (sliding).
    pub fn max_calls_in_window(
        &self,
        window: Duration,
        pred: impl Fn(&RecordedCall) -> bool,
    ) -> usize {
        let core = self.shared.core();
        let times: Vec<Instant> = core
            .calls
            .iter()
            .filter(|c| pred(c))
            .map(|c| c.at)
            .collect();
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end].duration_since(times[start]) >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    /// The most REST calls bound to Discord's global limit (50) in any one second: interaction
    /// endpoints (callbacks, followups, original responses) are exempt and not counted.
    pub fn max_calls_per_second(&self) -> usize {
        self.max_calls_in_window(Duration::from_secs(1), |c| c.bound_to_global_limit)
    }

    /// The most calls to exempt interaction endpoints in any one second (reported apart).
    pub fn max_exempt_calls_per_second(&self) -> usize {
        self.max_calls_in_window(Duration::from_secs(1), |c| !c.bound_to_global_limit)
    }

    pub fn violations(&self) -> Vec<Violation> {
        self.shared.core().violations.clone()
    }

    pub fn mention_leaks(&self) -> Vec<MentionLeak> {
        self.shared.core().leaks.clone()
    }

    /// Leaks that allowed_mentions did not name explicitly.
    pub fn unintended_mention_leaks(&self) -> Vec<MentionLeak> {
        self.mention_leaks()
            .into_iter()
            .filter(|l| !l.explicitly_allowed)
            .collect()
    }

    pub fn unknown_routes(&self) -> Vec<String> {
        self.shared.core().unknown_routes.clone()
    }

    /// Problems in the emulator itself (a payload serenity would not parse...).
    pub fn emulator_errors(&self) -> Vec<String> {
        self.shared.core().emulator_errors.clone()
    }

    pub fn dispatches(&self) -> Vec<DispatchRecord> {
        self.shared.gateway().dispatch_log.clone()
    }

    pub fn identify_count(&self) -> usize {
        self.shared.gateway().identifies
    }

    pub fn resume_count(&self) -> usize {
        self.shared.gateway().resumes
    }

    /// The intents the bot identified with (0 before IDENTIFY).
    pub fn bot_intents(&self) -> u64 {
        self.shared.gateway().intents
    }

    /// Commands the bot registered (global and per guild), with the ids the emulator gave them.
    pub fn registered_commands(&self) -> Vec<Value> {
        self.shared
            .core()
            .world
            .commands
            .iter()
            .map(|c| c.json.clone())
            .collect()
    }

    pub fn command(&self, name: &str) -> Option<Value> {
        self.shared
            .core()
            .world
            .commands
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.json.clone())
    }

    pub fn messages_in(&self, channel: u64) -> Vec<MessageView> {
        self.shared
            .core()
            .world
            .messages_in(channel)
            .into_iter()
            .map(MessageView::of)
            .collect()
    }

    /// Every message in every channel (not deleted), oldest first.
    pub fn all_messages(&self) -> Vec<MessageView> {
        let core = self.shared.core();
        core.world
            .messages
            .values()
            .filter(|m| !m.deleted)
            .map(MessageView::of)
            .collect()
    }

    /// A message, also when deleted.
    pub fn message(&self, id: u64) -> Option<MessageView> {
        self.shared
            .core()
            .world
            .messages
            .get(&id)
            .map(MessageView::of)
    }

    /// A channel's JSON as `GET /channels/{id}` answers it.
    pub fn channel(&self, id: u64) -> Option<Value> {
        let core = self.shared.core();
        core.world
            .channels
            .contains_key(&id)
            .then(|| core.world.channel_json(id))
    }

    /// Threads under `parent`, oldest first.
    pub fn threads_of(&self, parent: u64) -> Vec<u64> {
        let core = self.shared.core();
        core.world
            .channels
            .values()
            .filter(|c| c.parent_id == Some(parent) && !c.deleted)
            .map(|c| c.id)
            .collect()
    }

    pub fn thread_members(&self, thread: u64) -> BTreeSet<u64> {
        self.shared
            .core()
            .world
            .channels
            .get(&thread)
            .map(|c| c.thread_members.clone())
            .unwrap_or_default()
    }

    pub fn interaction(&self, id: u64) -> Option<InteractionView> {
        self.shared
            .core()
            .world
            .interactions
            .get(&id)
            .map(|i| InteractionView {
                id: i.id,
                token: i.token.clone(),
                kind: i.kind,
                user_id: i.user_id,
                channel_id: i.channel_id,
                ack_type: i.ack.map(|(t, _)| t),
                ack_data: i.ack_data.clone(),
                original_message_id: i.original_message_id,
                followup_ids: i.followup_ids.clone(),
                dispatched_at: i.dispatched_at,
                acked_at: i.ack.map(|(_, at)| at),
            })
    }

    /// Panics (with the call log) if any rule was broken, any unintended mention leaked, any
    /// route was unknown or the emulator hit an internal problem.
    pub fn assert_clean(&self) {
        let core = self.shared.core();
        let leaks: Vec<_> = core
            .leaks
            .iter()
            .filter(|l| !l.explicitly_allowed)
            .collect();
        if core.violations.is_empty()
            && leaks.is_empty()
            && core.unknown_routes.is_empty()
            && core.emulator_errors.is_empty()
        {
            return;
        }
        let report = report(&core);
        drop(core);
        panic!("emulator: the bot broke Discord's rules\n{report}");
    }

    /// The call log, violations and leaks as text (what failing waits print).
    pub fn report(&self) -> String {
        report(&self.shared.core())
    }

    // ----- faults ---------------------------------------------------------------------------

    /// Apply `fault` to the next `times` calls matching `method` and `route` ("*" = any).
    pub fn inject_fault(&self, method: &str, route: &str, times: usize, fault: Fault) {
        self.shared.core().faults.push(FaultRule {
            method: method.to_string(),
            route: route.to_string(),
            remaining: times,
            fault,
        });
    }

    pub fn clear_faults(&self) {
        self.shared.core().faults.clear();
    }

    // ----- waiting --------------------------------------------------------------------------

    /// Waits until `check` returns Some; panics with `what` and the call log after the timeout.
    pub async fn wait_until<T>(
        &self,
        what: &str,
        check: impl FnMut(&FakeDiscord) -> Option<T>,
    ) -> T {
        let timeout = self.shared.core().options.wait_timeout;
        match self.try_wait_until(timeout, check).await {
            Some(found) => found,
            None => panic!(
                "emulator: timed out after {timeout:?} waiting for {what}; \
                 the bot never did it.\n{}",
                self.report()
            ),
        }
    }

    /// Like `wait_until` with its own timeout, but None instead of a panic (to show that
    /// something does NOT happen, or to retry).
    ///
    /// `check` runs again on every change in the emulator and at least every
    /// [`RECHECK_EVERY`]: a condition may also read what the emulator does not see (the bot's
    /// store), which the bot may write after its last call to Discord.
    pub async fn try_wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&FakeDiscord) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.shared.version.subscribe();
        loop {
            rx.borrow_and_update();
            if let Some(found) = check(self) {
                return Some(found);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return None;
            }
            let wake = deadline.min(now + RECHECK_EVERY);
            // A timeout here only means nothing changed in the emulator: look again.
            let _ = tokio::time::timeout_at(wake, rx.changed()).await;
        }
    }

    /// The bot identified and READY was sent on the current session.
    pub async fn wait_ready(&self) {
        self.wait_until("the bot to IDENTIFY and receive READY", |d| {
            d.shared.gateway().ready().then_some(())
        })
        .await
    }

    /// The first call (in log order) matching `pred`, waiting for it if needed.
    pub async fn wait_for_call(&self, pred: impl Fn(&RecordedCall) -> bool) -> RecordedCall {
        self.wait_until("a REST call matching the predicate", |d| {
            d.shared.core().calls.iter().find(|c| pred(c)).cloned()
        })
        .await
    }

    /// The first call at or after log position `from` matching `pred` (use `calls().len()` taken
    /// before an action to wait only for calls caused by it).
    pub async fn wait_for_call_after(
        &self,
        from: usize,
        pred: impl Fn(&RecordedCall) -> bool,
    ) -> RecordedCall {
        self.wait_until("a new REST call matching the predicate", |d| {
            d.shared
                .core()
                .calls
                .iter()
                .skip_while(|c| c.index < from)
                .find(|c| pred(c))
                .cloned()
        })
        .await
    }

    /// Waits until `n` calls match, returns them.
    pub async fn wait_for_calls(
        &self,
        n: usize,
        pred: impl Fn(&RecordedCall) -> bool,
    ) -> Vec<RecordedCall> {
        self.wait_until(&format!("{n} REST calls matching the predicate"), |d| {
            let found: Vec<_> = d
                .shared
                .core()
                .calls
                .iter()
                .filter(|c| pred(c))
                .cloned()
                .collect();
            (found.len() >= n).then_some(found)
        })
        .await
    }

    /// The callback that acknowledged `interaction` (status 204), or the first rejected one.
    pub async fn wait_for_interaction_response(&self, interaction: u64) -> RecordedCall {
        let prefix = format!("/interactions/{interaction}/");
        self.wait_until(&format!("a callback for interaction {interaction}"), |d| {
            d.shared
                .core()
                .calls
                .iter()
                .find(|c| {
                    c.method == "POST"
                        && c.path.starts_with(&prefix)
                        && c.path.ends_with("/callback")
                })
                .cloned()
        })
        .await
    }

    /// The interaction's first visible reply: the original response once it has content or
    /// embeds (a deferred reply counts once edited), or else a followup.
    pub async fn wait_for_reply(&self, interaction: u64) -> MessageView {
        self.wait_until(&format!("a reply to interaction {interaction}"), |d| {
            d.replies_to(interaction).into_iter().find(|m| {
                m.flags & 128 == 0
                    && (!m.content.is_empty() || !m.embeds.is_empty() || !m.attachments.is_empty())
            })
        })
        .await
    }

    /// The first message in any channel (not deleted) matching `pred`, e.g. the question the
    /// bot posted in a thread it just created.
    pub async fn wait_for_message_anywhere(
        &self,
        pred: impl Fn(&MessageView) -> bool,
    ) -> MessageView {
        self.wait_until("a message anywhere matching the predicate", |d| {
            let core = d.shared.core();
            core.world
                .messages
                .values()
                .filter(|m| !m.deleted)
                .map(MessageView::of)
                .find(|m| pred(m))
        })
        .await
    }

    /// The first message in `channel` (not deleted) matching `pred`.
    pub async fn wait_for_message(
        &self,
        channel: u64,
        pred: impl Fn(&MessageView) -> bool,
    ) -> MessageView {
        self.wait_until(
            &format!("a message in channel {channel} matching the predicate"),
            |d| d.messages_in(channel).into_iter().find(|m| pred(m)),
        )
        .await
    }
}

pub(crate) fn report(core: &Core) -> String {
    let mut out = String::new();
    let skip = core.calls.len().saturating_sub(60);
    out.push_str(&format!(
        "REST calls ({} total, last {} shown):\n",
        core.calls.len(),
        core.calls.len() - skip
    ));
    for c in core.calls.iter().skip(skip) {
        out.push_str("  ");
        out.push_str(&c.summary());
        out.push('\n');
    }
    if !core.violations.is_empty() {
        out.push_str("Violations:\n");
        for v in &core.violations {
            out.push_str(&format!(
                "  {:?} (code {}) at #{} {} {}: {}\n",
                v.rule, v.code, v.call_index, v.method, v.path, v.detail
            ));
        }
    }
    if !core.leaks.is_empty() {
        out.push_str("Mention leaks:\n");
        for l in &core.leaks {
            out.push_str(&format!(
                "  {:?} in {} at #{} {} {}{}\n",
                l.ping,
                l.field,
                l.call_index,
                l.method,
                l.path,
                if l.explicitly_allowed {
                    " (explicitly allowed)"
                } else {
                    ""
                }
            ));
        }
    }
    if !core.unknown_routes.is_empty() {
        out.push_str(&format!("Unknown routes: {:?}\n", core.unknown_routes));
    }
    if !core.emulator_errors.is_empty() {
        out.push_str(&format!("Emulator errors: {:?}\n", core.emulator_errors));
    }
    out
}
