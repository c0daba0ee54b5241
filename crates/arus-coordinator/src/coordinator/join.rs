//! JoinGroup (v0-9).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::JoinGroupRequest;

use super::answers::JoinAnswer;
use super::rebalance::{
    add_member_and_rebalance, try_complete_join, update_member_and_rebalance, MemberUpdate,
    NewMember,
};
use super::static_member::replace_static_member;
use super::validate::{valid_group_id, validate_current_member};
use super::{Env, GroupCoordinator};
use crate::group::{Group, Parked, Phase, Protocol};
use crate::member_id::MemberIdGenerator;
use crate::output::{Output, RequestContext};

/// A JoinGroup, decoded once.
pub(crate) struct Join<'a> {
    pub(crate) member_id: &'a str,
    pub(crate) instance_id: Option<&'a str>,
    pub(crate) client_id: &'a str,
    pub(crate) client_host: &'a str,
    pub(crate) session_timeout_ms: i32,
    pub(crate) rebalance_timeout_ms: i32,
    pub(crate) protocol_type: &'a str,
    pub(crate) protocols: Vec<Protocol>,
    pub(crate) reply: Parked,
}

impl Join<'_> {
    fn protocol_names(&self) -> Vec<&str> {
        self.protocols.iter().map(|p| p.name.as_str()).collect()
    }

    fn fail(&self, member_id: &str, error: ResponseError, out: &mut Output) {
        JoinAnswer::error(member_id, error).send(self.reply, out);
    }

    fn new_member(&self, id: String) -> NewMember<'_> {
        NewMember {
            id,
            instance_id: self.instance_id,
            client_id: self.client_id,
            client_host: self.client_host,
            rebalance_timeout_ms: self.rebalance_timeout_ms,
            session_timeout_ms: self.session_timeout_ms,
            protocol_type: self.protocol_type,
            protocols: self.protocols.clone(),
            reply: self.reply,
        }
    }

    pub(crate) fn update(&self) -> MemberUpdate {
        MemberUpdate {
            protocols: self.protocols.clone(),
            rebalance_timeout_ms: self.rebalance_timeout_ms,
            session_timeout_ms: self.session_timeout_ms,
            reply: self.reply,
        }
    }
}

impl GroupCoordinator {
    /// JoinGroup v0-9. The answer usually comes later (when the join phase
    /// of the rebalance ends); v4+ dynamic members joining without a member
    /// id get MEMBER_ID_REQUIRED with an id to rejoin with (KIP-394); static
    /// members (v5+) rejoining a stable group get their place back (KIP-345).
    pub fn join_group(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &JoinGroupRequest,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| c.handle_join(ctx, req, now_ms, out))
    }

    fn handle_join(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &JoinGroupRequest,
        now: i64,
        out: &mut Output,
    ) {
        let join = Join {
            member_id: req.member_id.as_str(),
            instance_id: req.group_instance_id.as_deref(),
            client_id: ctx.client_id,
            client_host: ctx.client_host,
            session_timeout_ms: req.session_timeout_ms,
            // v0 has no rebalance timeout: the session timeout stands in.
            rebalance_timeout_ms: if ctx.version == 0 {
                req.session_timeout_ms
            } else {
                req.rebalance_timeout_ms
            },
            protocol_type: req.protocol_type.as_str(),
            protocols: req
                .protocols
                .iter()
                .map(|p| Protocol {
                    name: p.name.to_string(),
                    metadata: p.metadata.clone(),
                })
                .collect(),
            reply: Parked {
                token: ctx.token,
                version: ctx.version,
            },
        };
        let group_id = req.group_id.as_str();
        if !valid_group_id(group_id, false) {
            return join.fail(join.member_id, ResponseError::InvalidGroupId, out);
        }
        let session = join.session_timeout_ms;
        if session < self.config.min_session_timeout_ms
            || session > self.config.max_session_timeout_ms
        {
            return join.fail(join.member_id, ResponseError::InvalidSessionTimeout, out);
        }
        if let Some(g) = self.groups.get_mut(group_id) {
            if let Some(cg) = &g.consumer {
                // Classic members cannot join a live KIP-848 group; an empty one
                // (offsets only) becomes a classic group again.
                if !cg.members.is_empty() {
                    return join.fail(
                        join.member_id,
                        ResponseError::InconsistentGroupProtocol,
                        out,
                    );
                }
                g.consumer = None;
            }
        }
        let created = !self.groups.contains_key(group_id);
        if created {
            if !join.member_id.is_empty() {
                return join.fail(join.member_id, ResponseError::UnknownMemberId, out);
            }
            self.groups
                .insert(group_id.to_owned(), Group::new(group_id));
        }
        let Self {
            groups,
            config,
            ids,
            ..
        } = self;
        let Some(g) = groups.get_mut(group_id) else {
            return;
        };
        let mut env = Env { config, now, out };
        if !accepts_joining_member(g, join.member_id, config.max_group_size) {
            g.remove_member(join.member_id);
            join.fail("", ResponseError::GroupMaxSizeReached, env.out);
        } else if join.member_id.is_empty() {
            join_new_member(g, &mut env, ids, &join);
        } else {
            join_current_member(g, &mut env, &join);
        }
        if matches!(g.phase, Phase::PreparingRebalance(_)) {
            try_complete_join(g, &mut env);
        }
        if created && g.is_vacant() {
            groups.remove(group_id);
        }
    }
}

/// Kafka's `acceptJoiningMember`: room is counted in rejoined members while
/// preparing a rebalance, in members otherwise.
fn accepts_joining_member(g: &Group, member_id: &str, max_size: usize) -> bool {
    match g.phase {
        Phase::Empty => true,
        Phase::PreparingRebalance(_) => {
            g.members
                .get(member_id)
                .is_some_and(|m| m.awaiting_join.is_some())
                || g.num_awaiting_join() < max_size
        }
        Phase::CompletingRebalance | Phase::Stable => {
            g.members.contains_key(member_id) || g.members.len() < max_size
        }
    }
}

/// A member id not yet used in `g`.
fn fresh_member_id(g: &Group, ids: &mut MemberIdGenerator, prefix: &str, now: i64) -> String {
    loop {
        let id = ids.next(prefix, now);
        if !g.members.contains_key(&id) && !g.pending_members.contains_key(&id) {
            return id;
        }
    }
}

/// A member without a member id.
fn join_new_member(g: &mut Group, env: &mut Env<'_>, ids: &mut MemberIdGenerator, join: &Join<'_>) {
    if !g.supports_protocols(join.protocol_type, &join.protocol_names()) {
        return join.fail("", ResponseError::InconsistentGroupProtocol, env.out);
    }
    let prefix = join.instance_id.unwrap_or(join.client_id);
    let new_id = fresh_member_id(g, ids, prefix, env.now);
    match join.instance_id {
        Some(instance) => match g.static_members.get(instance).cloned() {
            Some(old_id) => replace_static_member(g, env, &old_id, &new_id, join),
            None => add_member_and_rebalance(g, env, join.new_member(new_id)),
        },
        None if join.reply.version >= 4 => {
            let lapse = env.now.saturating_add(i64::from(join.session_timeout_ms));
            g.pending_members.insert(new_id.clone(), lapse);
            join.fail(&new_id, ResponseError::MemberIdRequired, env.out);
        }
        None => add_member_and_rebalance(g, env, join.new_member(new_id)),
    }
}

/// A member that sent a member id: a pending one becomes a member; a known
/// one rejoins (a rebalance unless nothing changed for a follower).
fn join_current_member(g: &mut Group, env: &mut Env<'_>, join: &Join<'_>) {
    let member_id = join.member_id;
    if !g.supports_protocols(join.protocol_type, &join.protocol_names()) {
        return join.fail(member_id, ResponseError::InconsistentGroupProtocol, env.out);
    }
    if g.pending_members.contains_key(member_id) {
        if join.instance_id.is_some() {
            // Pending ids are only handed to dynamic members.
            return join.fail(member_id, ResponseError::UnknownMemberId, env.out);
        }
        return add_member_and_rebalance(g, env, join.new_member(member_id.to_owned()));
    }
    if let Err(e) = validate_current_member(g, member_id, join.instance_id) {
        return join.fail(member_id, e, env.out);
    }
    let unchanged = g
        .members
        .get(member_id)
        .is_some_and(|m| m.matches(&join.protocols));
    match g.phase {
        Phase::PreparingRebalance(_) => {
            update_member_and_rebalance(g, env, member_id, join.update())
        }
        Phase::CompletingRebalance if unchanged => {
            // Probably lost the first answer: repeat it.
            JoinAnswer::current(g, member_id, g.is_leader(member_id)).send(join.reply, env.out);
        }
        Phase::Stable if unchanged && !g.is_leader(member_id) => {
            JoinAnswer::current(g, member_id, false).send(join.reply, env.out);
        }
        Phase::CompletingRebalance | Phase::Stable => {
            update_member_and_rebalance(g, env, member_id, join.update())
        }
        Phase::Empty => join.fail(member_id, ResponseError::UnknownMemberId, env.out),
    }
}
