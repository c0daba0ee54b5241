//! A static member (KIP-345) rejoining without its member id: it takes over
//! its old place under a new member id and the old id is fenced.

use kafka_protocol::error::ResponseError;
use tracing::info;

use super::answers::{send_sync_error, JoinAnswer};
use super::join::Join;
use super::persist::persist_group;
use super::rebalance::{apply_update, maybe_prepare_rebalance, prepare_rebalance, touch_session};
use super::Env;
use crate::group::{Group, Phase};

/// Replaces `old_id` by `new_id` for the joining instance. In a stable group
/// whose protocol would not change this needs no rebalance: the member gets
/// the current generation back (and SyncGroup returns its old assignment).
pub(crate) fn replace_static_member(
    g: &mut Group,
    env: &mut Env<'_>,
    old_id: &str,
    new_id: &str,
    join: &Join<'_>,
) {
    let previous_leader = g.leader.clone();
    if let Some(old) = g.members.get_mut(old_id) {
        if let Some(p) = old.awaiting_join.take() {
            JoinAnswer::error(old_id, ResponseError::FencedInstanceId).send(p, env.out);
        }
        if let Some(p) = old.awaiting_sync.take() {
            send_sync_error(p, ResponseError::FencedInstanceId, env.out);
        }
    }
    info!(group = %g.id, old = %old_id, new = %new_id, "static member rejoined with a new member id");
    let Some(m) = g.rename_member(old_id, new_id) else {
        return;
    };
    touch_session(m, env.now);
    apply_update(m, join.update(), env);
    match g.phase {
        Phase::Stable => {
            if g.select_protocol() == g.protocol_name {
                persist_group(g, env.out);
                answer_without_rebalance(g, env, new_id, previous_leader, join.reply.version);
            } else {
                maybe_prepare_rebalance(g, env, "static member changed the group's protocol");
            }
        }
        Phase::CompletingRebalance => {
            // The leader may be assigning to the old id: start over.
            prepare_rebalance(
                g,
                env,
                "static member rejoined while completing a rebalance",
            );
        }
        Phase::PreparingRebalance(_) | Phase::Empty => {}
    }
}

/// The current generation for a replaced static member. From JoinGroup v9 a
/// leader learns it leads but is told to skip the assignment; before v9 the
/// answer names the previous leader id, so the member never thinks it leads.
fn answer_without_rebalance(
    g: &mut Group,
    env: &mut Env<'_>,
    new_id: &str,
    previous_leader: Option<String>,
    version: i16,
) {
    let Some(reply) = g
        .members
        .get_mut(new_id)
        .and_then(|m| m.awaiting_join.take())
    else {
        return;
    };
    let answer = if version >= 9 {
        let leads = g.is_leader(new_id);
        let mut a = JoinAnswer::current(g, new_id, leads);
        a.skip_assignment = leads;
        a
    } else {
        let mut a = JoinAnswer::current(g, new_id, false);
        a.leader = previous_leader.unwrap_or_default();
        a
    };
    answer.send(reply, env.out);
}
