//! SyncGroup (v0-5).

use std::collections::BTreeMap;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::SyncGroupRequest;
use tracing::info;

use super::answers::{send_sync_error, sync_response};
use super::persist::persist_group;
use super::rebalance::touch_session;
use super::validate::{valid_group_id, validate_current_member};
use super::{Env, GroupCoordinator};
use crate::group::{Group, Parked, Phase};
use crate::output::{Output, RequestContext, Response};

impl GroupCoordinator {
    /// SyncGroup v0-5. While the group completes a rebalance, followers wait
    /// for the leader; the leader's assignment is persisted (a GroupMetadata
    /// record), everyone waiting is answered and the group becomes Stable.
    /// In a stable group a member gets its current assignment.
    pub fn sync_group(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &SyncGroupRequest,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| c.handle_sync(ctx, req, now_ms, out))
    }

    fn handle_sync(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &SyncGroupRequest,
        now: i64,
        out: &mut Output,
    ) {
        let reply = Parked {
            token: ctx.token,
            version: ctx.version,
        };
        let group_id = req.group_id.as_str();
        if !valid_group_id(group_id, false) {
            return send_sync_error(reply, ResponseError::InvalidGroupId, out);
        }
        let Self { groups, config, .. } = self;
        let Some(g) = groups.get_mut(group_id) else {
            return send_sync_error(reply, ResponseError::UnknownMemberId, out);
        };
        if let Err(e) = check_sync(g, req) {
            return send_sync_error(reply, e, out);
        }
        let member_id = req.member_id.as_str();
        let mut env = Env { config, now, out };
        match g.phase {
            Phase::Empty => send_sync_error(reply, ResponseError::UnknownMemberId, env.out),
            Phase::PreparingRebalance(_) => {
                send_sync_error(reply, ResponseError::RebalanceInProgress, env.out)
            }
            Phase::CompletingRebalance => {
                if let Some(m) = g.members.get_mut(member_id) {
                    if let Some(old) = m.awaiting_sync.replace(reply) {
                        send_sync_error(old, ResponseError::RebalanceInProgress, env.out);
                    }
                }
                synced(g, member_id);
                if g.is_leader(member_id) {
                    complete_sync(g, &mut env, req);
                }
            }
            Phase::Stable => {
                synced(g, member_id);
                let Some(m) = g.members.get_mut(member_id) else {
                    return;
                };
                touch_session(m, now);
                let assignment = m.assignment.clone();
                let protocol = Some((&g.protocol_type, &g.protocol_name));
                let r = sync_response(reply.version, 0, protocol, assignment);
                env.out.respond(reply.token, Response::SyncGroup(r));
            }
        }
    }
}

/// Member, generation and (v5) protocol checks.
fn check_sync(g: &Group, req: &SyncGroupRequest) -> Result<(), ResponseError> {
    validate_current_member(g, &req.member_id, req.group_instance_id.as_deref())?;
    if req.generation_id != g.generation {
        return Err(ResponseError::IllegalGeneration);
    }
    if let Some(t) = &req.protocol_type {
        if g.protocol_type.as_deref() != Some(t.as_str()) {
            return Err(ResponseError::InconsistentGroupProtocol);
        }
    }
    if let Some(n) = &req.protocol_name {
        if g.protocol_name.as_deref() != Some(n.as_str()) {
            return Err(ResponseError::InconsistentGroupProtocol);
        }
    }
    Ok(())
}

/// The member has sent its SyncGroup for this generation.
fn synced(g: &mut Group, member_id: &str) {
    if let Some(p) = &mut g.pending_sync {
        p.members.remove(member_id);
        if p.members.is_empty() {
            g.pending_sync = None;
        }
    }
}

/// The leader's assignment: store it (members it left out get an empty
/// one), persist the group, answer every waiting member, become Stable.
fn complete_sync(g: &mut Group, env: &mut Env<'_>, req: &SyncGroupRequest) {
    let mut assignments: BTreeMap<&str, &Bytes> = BTreeMap::new();
    for a in &req.assignments {
        assignments.insert(a.member_id.as_str(), &a.assignment);
    }
    for m in g.members.values_mut() {
        m.assignment = assignments
            .get(m.id.as_str())
            .map(|b| (*b).clone())
            .unwrap_or_default();
    }
    info!(group = %g.id, generation = g.generation, "assignment received from the leader");
    persist_group(g, env.out);
    let protocol_type = g.protocol_type.clone();
    let protocol_name = g.protocol_name.clone();
    let ids: Vec<String> = g.members_in_order().iter().map(|m| m.id.clone()).collect();
    for id in ids {
        let Some(m) = g.members.get_mut(&id) else {
            continue;
        };
        if let Some(p) = m.awaiting_sync.take() {
            let protocol = Some((&protocol_type, &protocol_name));
            let r = sync_response(p.version, 0, protocol, m.assignment.clone());
            env.out.respond(p.token, Response::SyncGroup(r));
            touch_session(m, env.now);
        }
    }
    g.transition(Phase::Stable, env.now);
}
