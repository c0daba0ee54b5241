//! The time-driven part: each group's timers, fired in deadline order.

use tracing::{info, warn};

use super::rebalance::{
    answer_removed, complete_join, prepare_rebalance, remove_member_and_update, try_complete_join,
};
use super::{Env, GroupCoordinator};
use crate::group::{Group, JoinTimer, Phase};
use crate::output::Output;

/// Upper bound on timer firings per group per pass (each firing changes
/// state, so this only guards against a logic error looping forever).
const MAX_FIRINGS: usize = 100_000;

/// A group timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Timer {
    /// A member id handed out with MEMBER_ID_REQUIRED was not used in time.
    PendingMember(String),
    /// A member's session deadline.
    Session(String),
    /// The end of the join phase.
    Join,
    /// Members that have not sent SyncGroup by now are removed.
    PendingSync,
}

/// The group's earliest timer.
pub(crate) fn next_timer(g: &Group) -> Option<(i64, Timer)> {
    let mut best: Option<(i64, Timer)> = None;
    let mut consider = |at: i64, t: Timer| {
        if best.as_ref().is_none_or(|(b, _)| at < *b) {
            best = Some((at, t));
        }
    };
    if let Phase::PreparingRebalance(timer) = g.phase {
        consider(timer.deadline(), Timer::Join);
    }
    if let Some(p) = &g.pending_sync {
        consider(p.deadline, Timer::PendingSync);
    }
    for (id, at) in &g.pending_members {
        consider(*at, Timer::PendingMember(id.clone()));
    }
    for m in g.members.values() {
        if let Some(at) = m.session_deadline {
            consider(at, Timer::Session(m.id.clone()));
        }
    }
    best
}

impl GroupCoordinator {
    /// Fires everything due at `now`.
    pub(crate) fn fire_timers(&mut self, now: i64, out: &mut Output) {
        if self.replay_pending {
            self.schedule_loaded_members(now);
        }
        self.run_retention(now, out);
        let Self { groups, config, .. } = self;
        let mut env = Env { config, now, out };
        for g in groups.values_mut() {
            fire_group(g, &mut env);
            super::consumer_timers::fire_consumer_timers(g, now);
        }
    }
}

fn fire_group(g: &mut Group, env: &mut Env<'_>) {
    for _ in 0..MAX_FIRINGS {
        match next_timer(g) {
            Some((at, timer)) if at <= env.now => fire(g, env, timer),
            _ => return,
        }
    }
    warn!(group = %g.id, "timer firing limit reached");
}

fn fire(g: &mut Group, env: &mut Env<'_>, timer: Timer) {
    match timer {
        Timer::PendingMember(id) => {
            info!(group = %g.id, member = %id, "pending member id lapsed");
            g.pending_members.remove(&id);
            try_complete_join(g, env);
        }
        Timer::Session(id) => session_expired(g, env, &id),
        Timer::Join => join_timer(g, env),
        Timer::PendingSync => pending_sync_expired(g, env),
    }
}

/// A session deadline passed. Members with a JoinGroup or SyncGroup parked
/// count as alive (the rebalance deals with them) unless they joined during
/// this rebalance; the others are removed.
fn session_expired(g: &mut Group, env: &mut Env<'_>, id: &str) {
    let Some(m) = g.members.get_mut(id) else {
        return;
    };
    if !m.is_new && m.is_waiting() {
        m.session_deadline = None;
        return;
    }
    remove_member_and_update(g, env, id, "session timeout expired");
}

/// The join phase's deadline: the initial delay is extended while members
/// keep joining (Kafka's InitialDelayedJoin); otherwise the phase ends.
fn join_timer(g: &mut Group, env: &mut Env<'_>) {
    let Phase::PreparingRebalance(timer) = g.phase else {
        return;
    };
    if let JoinTimer::InitialDelay {
        delay_ms,
        remaining_ms,
        ..
    } = timer
    {
        if g.new_member_added && remaining_ms != 0 {
            g.new_member_added = false;
            let delay = env
                .config
                .initial_rebalance_delay_ms
                .max(0)
                .min(remaining_ms);
            g.phase = Phase::PreparingRebalance(JoinTimer::InitialDelay {
                deadline: env.now.saturating_add(delay),
                delay_ms: delay,
                remaining_ms: (remaining_ms - delay_ms).max(0),
            });
            return;
        }
    }
    complete_join(g, env);
}

/// Members that never sent SyncGroup after the join phase are removed and
/// the group rebalances.
fn pending_sync_expired(g: &mut Group, env: &mut Env<'_>) {
    let Some(pending) = g.pending_sync.take() else {
        return;
    };
    let still_syncing = matches!(g.phase, Phase::CompletingRebalance | Phase::Stable);
    if pending.generation != g.generation || !still_syncing || pending.members.is_empty() {
        return;
    }
    for id in &pending.members {
        info!(group = %g.id, member = %id, "removing member that did not sync");
        if let Some(m) = g.remove_member(id) {
            answer_removed(m, env);
        }
    }
    prepare_rebalance(g, env, "members did not send SyncGroup in time");
}
