//! KIP-848 consumer groups (`group.protocol=consumer`): members heartbeat
//! with ConsumerGroupHeartbeat, the coordinator computes every member's
//! target assignment with a server-side assignor, and each member is moved
//! towards its target one step per heartbeat: partitions it must give up are
//! revoked first, and it only gets partitions no other member still owns.
//!
//! Membership is kept in memory only: no ConsumerGroupMetadata, member or
//! target-assignment records are written. After a broker restart a consumer
//! group comes back with its committed offsets alone (those are persisted
//! exactly as for classic groups); its members are answered
//! UNKNOWN_MEMBER_ID or FENCED_MEMBER_EPOCH and rejoin with epoch 0.

mod assignor;
mod member;
mod partitions;
mod reconcile;

use std::collections::{BTreeMap, BTreeSet};

pub(crate) use assignor::ASSIGNORS;
pub(crate) use member::{ConsumerMember, MemberState, STATIC_LEFT_EPOCH};
pub(crate) use partitions::Partitions;

use crate::topics::{TopicInfo, TopicMetadata};

/// The membership and assignment side of one consumer group (its committed
/// offsets live in the enclosing [`crate::group::Group`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct ConsumerGroup {
    /// Bumped whenever membership, subscriptions or subscribed topics change.
    pub(crate) group_epoch: i32,
    /// The group epoch the target assignment was computed for.
    pub(crate) assignment_epoch: i32,
    pub(crate) members: BTreeMap<String, ConsumerMember>,
    /// instance id → member id of static members.
    pub(crate) static_members: BTreeMap<String, String>,
    /// member id → target assignment.
    pub(crate) target: BTreeMap<String, Partitions>,
    /// The subscribed topics that exist, as last seen.
    pub(crate) topics: BTreeMap<String, TopicInfo>,
}

impl ConsumerGroup {
    /// Kafka's name for the group's state (ConsumerGroupDescribe, ListGroups).
    pub(crate) fn state_name(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else if self.group_epoch != self.assignment_epoch {
            "Assigning"
        } else if self.members.values().any(|m| {
            m.epoch != STATIC_LEFT_EPOCH
                && (m.epoch != self.assignment_epoch || m.state != MemberState::Stable)
        }) {
            "Reconciling"
        } else {
            "Stable"
        }
    }

    /// The topics any member subscribes to.
    pub(crate) fn subscribed_topics(&self) -> BTreeSet<String> {
        self.members
            .values()
            .flat_map(|m| m.subscribed.iter().cloned())
            .collect()
    }

    /// True if a member subscribes to `topic`.
    pub(crate) fn is_subscribed_to(&self, topic: &str) -> bool {
        self.members.values().any(|m| m.subscribed.contains(topic))
    }

    /// The assignor most members ask for, else the default (Kafka's
    /// `computePreferredServerAssignor`).
    pub(crate) fn assignor(&self) -> &'static str {
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some(a) = &m.server_assignor {
                *votes.entry(a.as_str()).or_default() += 1;
            }
        }
        ASSIGNORS
            .iter()
            .copied()
            .max_by_key(|a| {
                let first = ASSIGNORS.first() == Some(a);
                (votes.get(a).copied().unwrap_or(0), first)
            })
            .unwrap_or("uniform")
    }

    /// Re-reads the subscribed topics; true if a topic appeared, disappeared,
    /// was re-created or grew (the group epoch must then be bumped).
    pub(crate) fn refresh_topics(&mut self, meta: &dyn TopicMetadata) -> bool {
        let now: BTreeMap<String, TopicInfo> = self
            .subscribed_topics()
            .into_iter()
            .filter_map(|t| meta.topic(&t).map(|info| (t, info)))
            .collect();
        if now == self.topics {
            return false;
        }
        self.topics = now;
        true
    }

    /// Computes the target assignment for the current group epoch.
    pub(crate) fn compute_target(&mut self) {
        let counts: BTreeMap<String, i32> = self
            .topics
            .iter()
            .map(|(t, info)| (t.clone(), info.partitions))
            .collect();
        let members = self
            .members
            .iter()
            .map(|(id, m)| (id.as_str(), &m.subscribed))
            .collect();
        let input = assignor::AssignorInput {
            members,
            topics: &counts,
            previous: &self.target,
        };
        let target = assignor::assign(self.assignor(), &input);
        self.target = target;
        self.assignment_epoch = self.group_epoch;
    }

    /// Adds (or replaces) a member.
    pub(crate) fn put_member(&mut self, member: ConsumerMember) {
        if let Some(instance) = &member.instance_id {
            self.static_members
                .insert(instance.clone(), member.id.clone());
        }
        self.members.insert(member.id.clone(), member);
    }

    /// Removes a member, releasing its partitions; the group epoch is bumped.
    pub(crate) fn remove_member(&mut self, member_id: &str) -> Option<ConsumerMember> {
        let m = self.members.remove(member_id)?;
        if let Some(instance) = &m.instance_id {
            if self.static_members.get(instance).map(String::as_str) == Some(member_id) {
                self.static_members.remove(instance);
            }
        }
        self.target.remove(member_id);
        self.group_epoch += 1;
        Some(m)
    }

    /// The member of a static instance id.
    pub(crate) fn static_member(&self, instance_id: &str) -> Option<&ConsumerMember> {
        self.static_members
            .get(instance_id)
            .and_then(|id| self.members.get(id))
    }

    /// Partitions owned (assigned or not yet revoked) by members other than `member_id`.
    pub(crate) fn owned_by_others(&self, member_id: &str) -> Partitions {
        let mut all = Partitions::default();
        for m in self.members.values().filter(|m| m.id != member_id) {
            all.extend(&m.owned());
        }
        all
    }
}
