//! ConsumerGroupHeartbeat (KIP-848): joining, heartbeating with the owned
//! partitions, and getting the next step of the assignment.

use std::collections::BTreeSet;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::consumer_group_heartbeat_response::{
    Assignment, TopicPartitions as ResponseTopicPartitions,
};
use kafka_protocol::messages::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse};
use kafka_protocol::protocol::StrBytes;
use tracing::info;

use super::consumer_validate::{
    fenced_instance, unknown_instance, unknown_member, validate_member_epoch, validate_request,
    HeartbeatError, LEAVE_EPOCH, STATIC_LEAVE_EPOCH,
};
use super::validate::valid_group_id;
use super::GroupCoordinator;
use crate::config::CoordinatorConfig;
use crate::consumer_group::{
    ConsumerGroup, ConsumerMember, MemberState, Partitions, STATIC_LEFT_EPOCH,
};
use crate::group::{Group, Phase};
use crate::member_id::MemberIdGenerator;
use crate::output::{Output, RequestContext, Response};
use crate::topics::TopicMetadata;

impl GroupCoordinator {
    /// ConsumerGroupHeartbeat v0-1. Epoch 0 joins (v0 members may leave the
    /// member id empty for the coordinator to choose), -1 leaves, -2 leaves
    /// a static member's place open; any other epoch is a heartbeat carrying
    /// the partitions the member owns. `topics` gives partition counts and
    /// topic ids. Topic regexes are rejected with INVALID_REQUEST.
    pub fn consumer_group_heartbeat(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &ConsumerGroupHeartbeatRequest,
        topics: &dyn TopicMetadata,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| {
            let r = c
                .handle_consumer_heartbeat(ctx, req, topics, now_ms)
                .unwrap_or_else(|e| error_response(&e));
            out.respond(ctx.token, Response::ConsumerGroupHeartbeat(r));
        })
    }

    fn handle_consumer_heartbeat(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &ConsumerGroupHeartbeatRequest,
        topics: &dyn TopicMetadata,
        now: i64,
    ) -> Result<ConsumerGroupHeartbeatResponse, HeartbeatError> {
        validate_request(req, ctx.version)?;
        let group_id = req.group_id.as_str();
        if !valid_group_id(group_id, false) {
            return Err(HeartbeatError::new(ResponseError::InvalidGroupId, ""));
        }
        if req.member_epoch == LEAVE_EPOCH || req.member_epoch == STATIC_LEAVE_EPOCH {
            return self.consumer_leave(req);
        }
        let created = self.consumer_group_for(group_id, req.member_epoch == 0)?;
        let Self {
            groups,
            config,
            ids,
            ..
        } = self;
        let Some(g) = groups.get_mut(group_id) else {
            return Err(not_found(group_id));
        };
        let Some(cg) = g.consumer.as_mut() else {
            return Err(not_consumer(group_id));
        };
        let hb = Heartbeat {
            ctx,
            req,
            topics,
            config,
            now,
        };
        let result = hb.apply(cg, ids);
        if created && !g.has_members() && g.offsets.is_empty() {
            groups.remove(group_id);
        }
        result
    }

    /// Makes sure `group_id` is a consumer group: created if missing (when
    /// joining), converted if it is a classic group with no members (its
    /// offsets are kept). True if it was created now.
    fn consumer_group_for(
        &mut self,
        group_id: &str,
        joining: bool,
    ) -> Result<bool, HeartbeatError> {
        match self.groups.get_mut(group_id) {
            None if joining => {
                let mut g = Group::new(group_id);
                g.consumer = Some(ConsumerGroup::default());
                self.groups.insert(group_id.to_owned(), g);
                Ok(true)
            }
            None => Err(not_found(group_id)),
            Some(g) if g.consumer.is_some() => Ok(false),
            Some(g) => {
                let convertible =
                    g.phase == Phase::Empty && g.members.is_empty() && g.pending_members.is_empty();
                if !(joining && convertible) {
                    return Err(not_consumer(group_id));
                }
                info!(group = %group_id, "empty classic group becomes a consumer group");
                g.consumer = Some(ConsumerGroup::default());
                Ok(false)
            }
        }
    }

    /// Epoch -1 (leave) and -2 (a static member leaves for now).
    fn consumer_leave(
        &mut self,
        req: &ConsumerGroupHeartbeatRequest,
    ) -> Result<ConsumerGroupHeartbeatResponse, HeartbeatError> {
        let group_id = req.group_id.as_str();
        let g = self
            .groups
            .get_mut(group_id)
            .ok_or_else(|| not_found(group_id))?;
        let cg = g.consumer.as_mut().ok_or_else(|| not_consumer(group_id))?;
        let member_id = req.member_id.as_str();
        if let Some(instance) = req.instance_id.as_deref() {
            let owner = cg
                .static_member(instance)
                .map(|m| m.id.clone())
                .ok_or_else(|| unknown_instance(instance))?;
            if owner != member_id {
                return Err(fenced_instance(member_id, instance, &owner));
            }
        }
        if !cg.members.contains_key(member_id) {
            return Err(unknown_member(member_id, group_id));
        }
        if req.member_epoch == STATIC_LEAVE_EPOCH {
            if let Some(m) = cg.members.get_mut(member_id) {
                info!(group = %group_id, member = %member_id, "static member left for now");
                m.epoch = STATIC_LEFT_EPOCH;
            }
        } else {
            info!(group = %group_id, member = %member_id, "member left");
            cg.remove_member(member_id);
        }
        let mut r = ConsumerGroupHeartbeatResponse::default();
        r.member_id = Some(req.member_id.clone());
        r.member_epoch = req.member_epoch;
        Ok(r)
    }
}

/// One heartbeat (epoch 0 or above) being applied to its group.
struct Heartbeat<'a> {
    ctx: &'a RequestContext<'a>,
    req: &'a ConsumerGroupHeartbeatRequest,
    topics: &'a dyn TopicMetadata,
    config: &'a CoordinatorConfig,
    now: i64,
}

impl Heartbeat<'_> {
    fn apply(
        &self,
        cg: &mut ConsumerGroup,
        ids: &mut MemberIdGenerator,
    ) -> Result<ConsumerGroupHeartbeatResponse, HeartbeatError> {
        let req = self.req;
        let owned = self.owned();
        let (member_id, is_new) = self.resolve_member(cg, ids, owned.as_ref())?;
        let changed = self.update_member(cg, &member_id) || is_new;
        let topics_changed = cg.refresh_topics(self.topics);
        if changed || topics_changed {
            cg.group_epoch += 1;
        }
        if cg.group_epoch > cg.assignment_epoch {
            cg.compute_target();
        }
        let before = cg.members.get(&member_id).map(|m| m.assigned.clone());
        cg.reconcile(&member_id, owned.as_ref(), self.now);
        let m = cg
            .members
            .get(&member_id)
            .ok_or_else(|| unknown_member(&member_id, req.group_id.as_str()))?;
        let full = req.member_epoch == 0
            || (req.rebalance_timeout_ms != -1
                && req.subscribed_topic_names.is_some()
                && req.topic_partitions.is_some());
        let mut r = ConsumerGroupHeartbeatResponse::default();
        r.member_id = Some(StrBytes::from_string(member_id.clone()));
        r.member_epoch = m.epoch;
        r.heartbeat_interval_ms = self.config.consumer_heartbeat_interval_ms;
        if full || before.as_ref() != Some(&m.assigned) {
            r.assignment = Some(response_assignment(cg, &m.assigned));
        }
        Ok(r)
    }

    /// What the member says it owns, by topic name (unknown topic ids are dropped).
    fn owned(&self) -> Option<Partitions> {
        let list = self.req.topic_partitions.as_ref()?;
        let mut owned = Partitions::default();
        for t in list {
            if let Some(name) = self.topics.topic_name(t.topic_id) {
                for p in &t.partitions {
                    owned.insert(&name, *p);
                }
            }
        }
        Some(owned)
    }

    /// Finds (or, when joining, adds) the member; checks its epoch. Returns
    /// its id and whether it is new.
    fn resolve_member(
        &self,
        cg: &mut ConsumerGroup,
        ids: &mut MemberIdGenerator,
        owned: Option<&Partitions>,
    ) -> Result<(String, bool), HeartbeatError> {
        let req = self.req;
        let group_id = req.group_id.as_str();
        let epoch = req.member_epoch;
        let member_id = if req.member_id.is_empty() {
            ids.next(self.ctx.client_id, self.now)
        } else {
            req.member_id.to_string()
        };
        match req.instance_id.as_deref() {
            None if epoch == 0 => {
                if cg.members.contains_key(&member_id) {
                    return Ok((member_id, false));
                }
                self.check_room(cg)?;
                let m = ConsumerMember::new(&member_id, self.now, self.session_timeout());
                cg.put_member(m);
                Ok((member_id, true))
            }
            None => {
                let m = cg
                    .members
                    .get(&member_id)
                    .ok_or_else(|| unknown_member(&member_id, group_id))?;
                validate_member_epoch(m, epoch, owned)?;
                Ok((member_id, false))
            }
            Some(instance) if epoch == 0 => {
                let existing = cg.static_member(instance).map(|m| (m.id.clone(), m.epoch));
                match existing {
                    Some((old, old_epoch)) if old_epoch != STATIC_LEFT_EPOCH => {
                        Err(HeartbeatError::new(
                            ResponseError::UnreleasedInstanceId,
                            format!(
                                "Static member {member_id} with instance id {instance} cannot join the group because the instance id is owned by {old} member."
                            ),
                        ))
                    }
                    Some((old, _)) => {
                        self.replace_static_member(cg, &old, &member_id);
                        Ok((member_id, false))
                    }
                    None => {
                        self.check_room(cg)?;
                        let mut m =
                            ConsumerMember::new(&member_id, self.now, self.session_timeout());
                        m.instance_id = Some(instance.to_owned());
                        cg.put_member(m);
                        Ok((member_id, true))
                    }
                }
            }
            Some(instance) => {
                let owner = cg
                    .static_member(instance)
                    .map(|m| m.id.clone())
                    .ok_or_else(|| unknown_instance(instance))?;
                if owner != member_id {
                    return Err(fenced_instance(&member_id, instance, &owner));
                }
                if let Some(m) = cg.members.get(&member_id) {
                    validate_member_epoch(m, epoch, owned)?;
                }
                Ok((member_id, false))
            }
        }
    }

    /// A static member that left with epoch -2 rejoins under a new member id:
    /// it takes over the old member's assignment (Kafka's static member replacement).
    fn replace_static_member(&self, cg: &mut ConsumerGroup, old: &str, new: &str) {
        let Some(mut m) = cg.members.remove(old) else {
            return;
        };
        info!(member = %new, replaces = %old, "static member rejoined");
        m.id = new.to_owned();
        m.epoch = 0;
        m.previous_epoch = 0;
        m.state = MemberState::Stable;
        if let Some(target) = cg.target.remove(old) {
            cg.target.insert(new.to_owned(), target);
        }
        cg.put_member(m);
    }

    fn check_room(&self, cg: &ConsumerGroup) -> Result<(), HeartbeatError> {
        let max = self.config.consumer_max_size;
        if cg.members.len() >= max {
            return Err(HeartbeatError::new(
                ResponseError::GroupMaxSizeReached,
                format!("The consumer group has reached its maximum capacity of {max} members."),
            ));
        }
        Ok(())
    }

    fn session_timeout(&self) -> i32 {
        self.config.consumer_session_timeout_ms
    }

    /// Applies the request's fields to the member and restarts its session;
    /// true if its subscription or assignor changed (the group epoch must be bumped).
    fn update_member(&self, cg: &mut ConsumerGroup, member_id: &str) -> bool {
        let req = self.req;
        let Some(m) = cg.members.get_mut(member_id) else {
            return false;
        };
        let mut changed = false;
        if let Some(names) = &req.subscribed_topic_names {
            let subscribed: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
            if subscribed != m.subscribed {
                m.subscribed = subscribed;
                changed = true;
            }
        }
        if let Some(assignor) = &req.server_assignor {
            if m.server_assignor.as_deref() != Some(assignor.as_str()) {
                m.server_assignor = Some(assignor.to_string());
                changed = true;
            }
        }
        if req.rebalance_timeout_ms != -1 {
            m.rebalance_timeout_ms = req.rebalance_timeout_ms;
        }
        if let Some(rack) = &req.rack_id {
            m.rack_id = Some(rack.to_string());
        }
        m.client_id = self.ctx.client_id.to_owned();
        m.client_host = self.ctx.client_host.to_owned();
        m.session_deadline = self
            .now
            .saturating_add(i64::from(self.config.consumer_session_timeout_ms));
        changed
    }
}

/// An assignment by topic id (topics that no longer exist are left out).
fn response_assignment(cg: &ConsumerGroup, assigned: &Partitions) -> Assignment {
    let mut a = Assignment::default();
    a.topic_partitions = assigned
        .topics()
        .filter_map(|(topic, partitions)| {
            let info = cg.topics.get(topic)?;
            let mut tp = ResponseTopicPartitions::default();
            tp.topic_id = info.id;
            tp.partitions = partitions.iter().copied().collect();
            Some(tp)
        })
        .collect();
    a
}

fn error_response(e: &HeartbeatError) -> ConsumerGroupHeartbeatResponse {
    let mut r = ConsumerGroupHeartbeatResponse::default();
    r.error_code = e.error.code();
    r.error_message = (!e.message.is_empty()).then(|| StrBytes::from_string(e.message.clone()));
    r
}

fn not_found(group_id: &str) -> HeartbeatError {
    HeartbeatError::new(
        ResponseError::GroupIdNotFound,
        format!("Consumer group {group_id} not found."),
    )
}

fn not_consumer(group_id: &str) -> HeartbeatError {
    HeartbeatError::new(
        ResponseError::GroupIdNotFound,
        format!("Group {group_id} is not a consumer group."),
    )
}
