//! The rebalance protocol: starting a rebalance, ending the join phase,
//! adding, updating and removing members.

use kafka_protocol::error::ResponseError;
use tracing::info;

use super::answers::{send_sync_error, JoinAnswer};
use super::persist::persist_group;
use super::Env;
use crate::group::{Group, JoinTimer, Member, Parked, PendingSync, Phase, Protocol};

/// How long a member that has just joined may wait in the join phase
/// without rejoining before it is dropped (Kafka's NewMemberJoinTimeoutMs).
pub(crate) const NEW_MEMBER_JOIN_TIMEOUT_MS: i64 = 300_000;

/// Starts a rebalance unless one is already running.
pub(crate) fn maybe_prepare_rebalance(g: &mut Group, env: &mut Env<'_>, reason: &str) {
    if !matches!(g.phase, Phase::PreparingRebalance(_)) {
        prepare_rebalance(g, env, reason);
    }
}

/// Enters PreparingRebalance: members waiting for an assignment are told to
/// rejoin; an empty group waits the initial delay, others the rebalance timeout.
pub(crate) fn prepare_rebalance(g: &mut Group, env: &mut Env<'_>, reason: &str) {
    if g.phase == Phase::CompletingRebalance {
        reset_assignments(g, env, ResponseError::RebalanceInProgress);
    }
    g.pending_sync = None;
    let now = env.now;
    let rebalance_timeout = g.rebalance_timeout_ms().max(0);
    let timer = if g.phase == Phase::Empty {
        let delay = env.config.initial_rebalance_delay_ms.max(0);
        JoinTimer::InitialDelay {
            deadline: now.saturating_add(delay),
            delay_ms: delay,
            remaining_ms: (rebalance_timeout - delay).max(0),
        }
    } else {
        JoinTimer::RebalanceTimeout {
            deadline: now.saturating_add(rebalance_timeout),
        }
    };
    info!(
        group = %g.id,
        generation = g.generation,
        from = g.state().name(),
        "preparing to rebalance: {reason}"
    );
    g.transition(Phase::PreparingRebalance(timer), now);
    try_complete_join(g, env);
}

/// Clears every assignment and answers waiting SyncGroups with `error`.
fn reset_assignments(g: &mut Group, env: &mut Env<'_>, error: ResponseError) {
    for m in g.members.values_mut() {
        m.assignment = Default::default();
        if let Some(p) = m.awaiting_sync.take() {
            send_sync_error(p, error, env.out);
            m.session_deadline = Some(env.now.saturating_add(i64::from(m.session_timeout_ms)));
        }
    }
}

/// Ends a regular join phase early once every member has rejoined.
pub(crate) fn try_complete_join(g: &mut Group, env: &mut Env<'_>) {
    if let Phase::PreparingRebalance(JoinTimer::RebalanceTimeout { .. }) = g.phase {
        if g.all_members_joined() {
            complete_join(g, env);
        }
    }
}

/// Ends the join phase: dynamic members that did not rejoin are dropped, the
/// generation advances, the protocol is chosen and every waiting JoinGroup
/// is answered (the leader with the member list).
pub(crate) fn complete_join(g: &mut Group, env: &mut Env<'_>) {
    let dropped: Vec<String> = g
        .members
        .values()
        .filter(|m| m.awaiting_join.is_none() && m.instance_id.is_none())
        .map(|m| m.id.clone())
        .collect();
    for id in dropped {
        info!(group = %g.id, member = %id, "removing member that did not rejoin");
        if let Some(m) = g.remove_member(&id) {
            answer_removed(m, env);
        }
    }
    let now = env.now;
    if !elect_joined_leader(g) && !g.members.is_empty() {
        // Nobody rejoined: wait another rebalance timeout (sessions expire meanwhile).
        let wait = g.rebalance_timeout_ms().max(1);
        g.phase = Phase::PreparingRebalance(JoinTimer::RebalanceTimeout {
            deadline: now.saturating_add(wait),
        });
        return;
    }
    g.generation += 1;
    g.pending_sync = None;
    if g.members.is_empty() {
        g.protocol_name = None;
        g.compute_subscribed_topics();
        g.transition(Phase::Empty, now);
        info!(group = %g.id, generation = g.generation, "group is now empty");
        persist_group(g, env.out);
        return;
    }
    g.protocol_name = g.select_protocol();
    g.compute_subscribed_topics();
    g.transition(Phase::CompletingRebalance, now);
    info!(group = %g.id, generation = g.generation, members = g.members.len(), "join phase complete");
    let ids: Vec<String> = g.members_in_order().iter().map(|m| m.id.clone()).collect();
    for id in &ids {
        let parked = g.members.get_mut(id).and_then(|m| m.awaiting_join.take());
        if let Some(p) = parked {
            JoinAnswer::current(g, id, g.is_leader(id)).send(p, env.out);
        }
        if let Some(m) = g.members.get_mut(id) {
            m.session_deadline = Some(now.saturating_add(i64::from(m.session_timeout_ms)));
            m.is_new = false;
        }
    }
    g.pending_sync = Some(PendingSync {
        generation: g.generation,
        deadline: now.saturating_add(g.rebalance_timeout_ms().max(0)),
        members: ids.into_iter().collect(),
    });
}

/// Keeps the leader if it rejoined, else picks the earliest member that
/// did; false if nobody did (or there is no leader).
fn elect_joined_leader(g: &mut Group) -> bool {
    let Some(leader) = g.leader.clone() else {
        return false;
    };
    if g.members
        .get(&leader)
        .is_some_and(|m| m.awaiting_join.is_some())
    {
        return true;
    }
    let joined = g
        .members_in_order()
        .into_iter()
        .find(|m| m.awaiting_join.is_some())
        .map(|m| m.id.clone());
    match joined {
        Some(id) => {
            info!(group = %g.id, old = %leader, new = %id, "leader did not rejoin; new leader elected");
            g.leader = Some(id);
            true
        }
        None => false,
    }
}

/// A member with its JoinGroup parked, as first added.
pub(crate) struct NewMember<'a> {
    pub(crate) id: String,
    pub(crate) instance_id: Option<&'a str>,
    pub(crate) client_id: &'a str,
    pub(crate) client_host: &'a str,
    pub(crate) rebalance_timeout_ms: i32,
    pub(crate) session_timeout_ms: i32,
    pub(crate) protocol_type: &'a str,
    pub(crate) protocols: Vec<Protocol>,
    pub(crate) reply: Parked,
}

/// Adds a member (its JoinGroup waits for the join phase) and starts a
/// rebalance if none is running.
pub(crate) fn add_member_and_rebalance(g: &mut Group, env: &mut Env<'_>, new: NewMember<'_>) {
    if matches!(g.phase, Phase::PreparingRebalance(_)) && g.generation == 0 {
        g.new_member_added = true;
    }
    let member = Member {
        id: new.id.clone(),
        instance_id: new.instance_id.map(str::to_owned),
        client_id: new.client_id.to_owned(),
        client_host: new.client_host.to_owned(),
        rebalance_timeout_ms: new.rebalance_timeout_ms,
        session_timeout_ms: new.session_timeout_ms,
        protocols: new.protocols,
        assignment: Default::default(),
        awaiting_join: Some(new.reply),
        awaiting_sync: None,
        is_new: true,
        session_deadline: Some(env.now.saturating_add(NEW_MEMBER_JOIN_TIMEOUT_MS)),
        seq: 0,
    };
    g.add_member(member, new.protocol_type);
    maybe_prepare_rebalance(g, env, &format!("adding new member {}", new.id));
}

/// What a rejoining member may change.
pub(crate) struct MemberUpdate {
    pub(crate) protocols: Vec<Protocol>,
    pub(crate) rebalance_timeout_ms: i32,
    pub(crate) session_timeout_ms: i32,
    pub(crate) reply: Parked,
}

/// Records a rejoin (its JoinGroup waits) and starts a rebalance if none is running.
pub(crate) fn update_member_and_rebalance(
    g: &mut Group,
    env: &mut Env<'_>,
    member_id: &str,
    update: MemberUpdate,
) {
    if let Some(m) = g.members.get_mut(member_id) {
        apply_update(m, update, env);
    }
    maybe_prepare_rebalance(g, env, &format!("member {member_id} rejoining"));
}

/// Applies a rejoin to `m`; an older parked JoinGroup of the same member
/// (its client gave up on it) is answered REBALANCE_IN_PROGRESS.
pub(crate) fn apply_update(m: &mut Member, update: MemberUpdate, env: &mut Env<'_>) {
    m.protocols = update.protocols;
    m.rebalance_timeout_ms = update.rebalance_timeout_ms;
    m.session_timeout_ms = update.session_timeout_ms;
    if let Some(old) = m.awaiting_join.replace(update.reply) {
        JoinAnswer::error(&m.id, ResponseError::RebalanceInProgress).send(old, env.out);
    }
}

/// Removes a member (left, expired) and rebalances the rest.
pub(crate) fn remove_member_and_update(
    g: &mut Group,
    env: &mut Env<'_>,
    member_id: &str,
    reason: &str,
) {
    let Some(m) = g.remove_member(member_id) else {
        return;
    };
    info!(group = %g.id, member = %member_id, "removing member: {reason}");
    answer_removed(m, env);
    match g.phase {
        Phase::Empty => {}
        Phase::Stable | Phase::CompletingRebalance => maybe_prepare_rebalance(g, env, reason),
        Phase::PreparingRebalance(_) => try_complete_join(g, env),
    }
}

/// Answers whatever a removed member still had parked with UNKNOWN_MEMBER_ID.
pub(crate) fn answer_removed(m: Member, env: &mut Env<'_>) {
    if let Some(p) = m.awaiting_join {
        JoinAnswer::error("", ResponseError::UnknownMemberId).send(p, env.out);
    }
    if let Some(p) = m.awaiting_sync {
        send_sync_error(p, ResponseError::UnknownMemberId, env.out);
    }
}

/// Pushes a member's session deadline out by its session timeout.
pub(crate) fn touch_session(m: &mut Member, now: i64) {
    m.session_deadline = Some(now.saturating_add(i64::from(m.session_timeout_ms)));
}
