//! One member of a consumer group and where its reconciliation stands.

use std::collections::BTreeSet;

use super::partitions::Partitions;

/// Where a member is in reaching its target assignment (Kafka's `MemberState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemberState {
    /// The member owns what it was given at its epoch.
    Stable,
    /// The member must give up `pending_revocation` before going further.
    UnrevokedPartitions,
    /// Partitions of its target are still owned by others; they follow once released.
    UnreleasedPartitions,
}

/// A member epoch of -2 marks a static member that left temporarily.
pub(crate) const STATIC_LEFT_EPOCH: i32 = -2;

/// A consumer group member.
#[derive(Debug, Clone)]
pub(crate) struct ConsumerMember {
    pub(crate) id: String,
    pub(crate) instance_id: Option<String>,
    pub(crate) rack_id: Option<String>,
    pub(crate) client_id: String,
    pub(crate) client_host: String,
    pub(crate) rebalance_timeout_ms: i32,
    pub(crate) subscribed: BTreeSet<String>,
    pub(crate) server_assignor: Option<String>,
    pub(crate) epoch: i32,
    pub(crate) previous_epoch: i32,
    pub(crate) state: MemberState,
    /// What the member may use now.
    pub(crate) assigned: Partitions,
    /// What the member was asked to give up and has not yet confirmed.
    pub(crate) pending_revocation: Partitions,
    /// When the member is fenced unless it heartbeats again.
    pub(crate) session_deadline: i64,
    /// When a member that has not revoked its partitions is fenced.
    pub(crate) revocation_deadline: Option<i64>,
}

impl ConsumerMember {
    /// A member that just joined: epoch 0, nothing assigned.
    pub(crate) fn new(id: &str, now: i64, session_timeout_ms: i32) -> Self {
        Self {
            id: id.to_owned(),
            instance_id: None,
            rack_id: None,
            client_id: String::new(),
            client_host: String::new(),
            rebalance_timeout_ms: 0,
            subscribed: BTreeSet::new(),
            server_assignor: None,
            epoch: 0,
            previous_epoch: 0,
            state: MemberState::Stable,
            assigned: Partitions::default(),
            pending_revocation: Partitions::default(),
            session_deadline: now.saturating_add(i64::from(session_timeout_ms)),
            revocation_deadline: None,
        }
    }

    /// Everything the member may still be consuming.
    pub(crate) fn owned(&self) -> Partitions {
        let mut all = self.assigned.clone();
        all.extend(&self.pending_revocation);
        all
    }

    /// The member's earliest deadline.
    pub(crate) fn next_deadline(&self) -> i64 {
        self.revocation_deadline
            .map_or(self.session_deadline, |r| r.min(self.session_deadline))
    }
}
