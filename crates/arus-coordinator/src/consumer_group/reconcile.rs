//! Moving one member towards its target assignment (Kafka's
//! `CurrentAssignmentBuilder`): revoke first, then assign what is free.

use super::{ConsumerGroup, ConsumerMember, MemberState, Partitions};

impl ConsumerGroup {
    /// Advances `member_id` as far as it can go now. `owned` is what the
    /// member reported owning in this heartbeat (`None`: not reported).
    pub(crate) fn reconcile(&mut self, member_id: &str, owned: Option<&Partitions>, now: i64) {
        let others = self.owned_by_others(member_id);
        let target_epoch = self.assignment_epoch;
        let target = self.target.get(member_id).cloned().unwrap_or_default();
        let Some(m) = self.members.get_mut(member_id) else {
            return;
        };
        match m.state {
            MemberState::Stable if m.epoch == target_epoch => {}
            MemberState::UnrevokedPartitions => {
                // Without a report, the member may still hold them.
                let still_owns = owned.is_none_or(|o| o.overlaps(&m.pending_revocation));
                if !still_owns {
                    next_assignment(m, &target, &others, target_epoch, now);
                }
            }
            _ => next_assignment(m, &target, &others, target_epoch, now),
        }
    }
}

/// One reconciliation step: if the member holds partitions outside its
/// target, it keeps the rest and must revoke those (its epoch stays);
/// otherwise it gets the target partitions nobody else owns and moves to the
/// target epoch.
fn next_assignment(
    m: &mut ConsumerMember,
    target: &Partitions,
    others: &Partitions,
    target_epoch: i32,
    now: i64,
) {
    let keep = m.assigned.intersect(target);
    let revoke = m.assigned.minus(target);
    if !revoke.is_empty() {
        m.assigned = keep;
        m.pending_revocation = revoke;
        m.state = MemberState::UnrevokedPartitions;
        m.revocation_deadline = Some(now.saturating_add(i64::from(m.rebalance_timeout_ms)));
        return;
    }
    let wanted = target.minus(&m.assigned);
    let free = wanted.filter(|t, p| !others.contains(t, p));
    let unreleased = free.len() < wanted.len();
    let mut assigned = keep;
    assigned.extend(&free);
    m.assigned = assigned;
    m.pending_revocation = Partitions::default();
    m.revocation_deadline = None;
    if m.epoch != target_epoch {
        m.previous_epoch = m.epoch;
        m.epoch = target_epoch;
    }
    m.state = if unreleased {
        MemberState::UnreleasedPartitions
    } else {
        MemberState::Stable
    };
}
