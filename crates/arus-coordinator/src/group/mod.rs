//! A classic group: members, generation, protocol and committed offsets.

mod member;
mod offsets;
mod protocol;
mod state;
mod subscription;

use std::collections::{BTreeMap, BTreeSet};

use crate::consumer_group::ConsumerGroup;

pub(crate) use member::{Member, Parked, Protocol};
pub(crate) use offsets::CommittedOffset;
pub use state::GroupState;
pub(crate) use state::{JoinTimer, PendingSync, Phase};

/// The protocol type of Java consumers; only such groups have known subscriptions.
pub(crate) const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

/// One classic group.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) phase: Phase,
    pub(crate) generation: i32,
    /// Set by the first member; kept while the group is empty. `None` for
    /// groups that only ever stored offsets ("simple" groups).
    pub(crate) protocol_type: Option<String>,
    /// The protocol selected for the current generation.
    pub(crate) protocol_name: Option<String>,
    pub(crate) leader: Option<String>,
    pub(crate) members: BTreeMap<String, Member>,
    /// group.instance.id → member id of the static members.
    pub(crate) static_members: BTreeMap<String, String>,
    /// Member ids handed out with MEMBER_ID_REQUIRED → when they lapse.
    pub(crate) pending_members: BTreeMap<String, i64>,
    pub(crate) pending_sync: Option<PendingSync>,
    /// A member joined during the initial delay (extends it).
    pub(crate) new_member_added: bool,
    /// When the group entered its current state.
    pub(crate) state_timestamp: Option<i64>,
    /// Topics the members subscribe to (consumer groups whose metadata parsed).
    pub(crate) subscribed_topics: Option<BTreeSet<String>>,
    /// topic → partition → committed offset.
    pub(crate) offsets: BTreeMap<String, BTreeMap<i32, CommittedOffset>>,
    /// `Some` for a KIP-848 consumer group: its members live there and the
    /// classic fields above stay those of an empty group.
    pub(crate) consumer: Option<ConsumerGroup>,
    next_seq: u64,
}

impl Group {
    /// A new empty group.
    pub(crate) fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            phase: Phase::Empty,
            generation: 0,
            protocol_type: None,
            protocol_name: None,
            leader: None,
            members: BTreeMap::new(),
            static_members: BTreeMap::new(),
            pending_members: BTreeMap::new(),
            pending_sync: None,
            new_member_added: false,
            state_timestamp: None,
            subscribed_topics: None,
            offsets: BTreeMap::new(),
            consumer: None,
            next_seq: 0,
        }
    }

    pub(crate) fn state(&self) -> GroupState {
        self.phase.state()
    }

    pub(crate) fn transition(&mut self, phase: Phase, now: i64) {
        self.phase = phase;
        self.state_timestamp = Some(now);
    }

    pub(crate) fn is_leader(&self, member_id: &str) -> bool {
        self.leader.as_deref() == Some(member_id)
    }

    /// True for a group with nothing worth keeping: no members, no pending
    /// members, no offsets, never rebalanced.
    pub(crate) fn is_vacant(&self) -> bool {
        self.phase == Phase::Empty
            && self.members.is_empty()
            && self.pending_members.is_empty()
            && self.offsets.is_empty()
            && self.generation == 0
            && self.protocol_type.is_none()
            && self.consumer.is_none()
    }

    /// True if the group has members of either protocol.
    pub(crate) fn has_members(&self) -> bool {
        !self.members.is_empty()
            || self
                .consumer
                .as_ref()
                .is_some_and(|c| !c.members.is_empty())
    }

    /// Members in join order.
    pub(crate) fn members_in_order(&self) -> Vec<&Member> {
        let mut v: Vec<&Member> = self.members.values().collect();
        v.sort_by_key(|m| m.seq);
        v
    }

    /// Largest rebalance timeout among the members.
    pub(crate) fn rebalance_timeout_ms(&self) -> i64 {
        self.members
            .values()
            .map(|m| i64::from(m.rebalance_timeout_ms))
            .max()
            .unwrap_or(0)
    }

    /// Number of members with a parked JoinGroup.
    pub(crate) fn num_awaiting_join(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.awaiting_join.is_some())
            .count()
    }

    /// Every member rejoined and no member id handed out is still unused.
    pub(crate) fn all_members_joined(&self) -> bool {
        self.pending_members.is_empty() && self.members.values().all(|m| m.awaiting_join.is_some())
    }

    /// Adds a member: the first sets the protocol type, and becomes leader if
    /// there is none.
    pub(crate) fn add_member(&mut self, mut member: Member, protocol_type: &str) {
        if self.members.is_empty() {
            self.protocol_type = Some(protocol_type.to_owned());
        }
        if self.leader.is_none() {
            self.leader = Some(member.id.clone());
        }
        if let Some(instance) = &member.instance_id {
            self.static_members
                .insert(instance.clone(), member.id.clone());
        }
        member.seq = self.next_seq;
        self.next_seq += 1;
        self.pending_members.remove(&member.id);
        self.members.insert(member.id.clone(), member);
    }

    /// Removes a member; a removed leader is replaced by the earliest
    /// remaining member.
    pub(crate) fn remove_member(&mut self, member_id: &str) -> Option<Member> {
        let removed = self.members.remove(member_id);
        if let Some(m) = &removed {
            if let Some(instance) = &m.instance_id {
                if self.static_members.get(instance).map(String::as_str) == Some(member_id) {
                    self.static_members.remove(instance);
                }
            }
        }
        if self.is_leader(member_id) {
            self.leader = self.members_in_order().first().map(|m| m.id.clone());
        }
        self.pending_members.remove(member_id);
        if let Some(p) = &mut self.pending_sync {
            p.members.remove(member_id);
        }
        removed
    }

    /// Gives a static member a new member id, keeping everything else.
    pub(crate) fn rename_member(&mut self, old_id: &str, new_id: &str) -> Option<&mut Member> {
        let mut member = self.members.remove(old_id)?;
        member.id = new_id.to_owned();
        if let Some(instance) = &member.instance_id {
            self.static_members
                .insert(instance.clone(), new_id.to_owned());
        }
        if self.is_leader(old_id) {
            self.leader = Some(new_id.to_owned());
        }
        if let Some(p) = &mut self.pending_sync {
            if p.members.remove(old_id) {
                p.members.insert(new_id.to_owned());
            }
        }
        self.members.insert(new_id.to_owned(), member);
        self.members.get_mut(new_id)
    }

    /// Inserts a member loaded from a record, in record order (the record
    /// names the leader and the protocol type).
    pub(crate) fn load_member(&mut self, mut member: Member) {
        if let Some(instance) = &member.instance_id {
            self.static_members
                .insert(instance.clone(), member.id.clone());
        }
        member.seq = self.next_seq;
        self.next_seq += 1;
        self.members.insert(member.id.clone(), member);
    }

    /// Forgets all members (a reloaded metadata record replaces them).
    pub(crate) fn clear_members(&mut self) {
        self.members.clear();
        self.static_members.clear();
        self.leader = None;
        self.pending_sync = None;
    }
}
