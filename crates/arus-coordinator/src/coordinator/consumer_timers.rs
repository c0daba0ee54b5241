//! Consumer group timers: members whose session lapsed, or that did not
//! revoke partitions within their rebalance timeout, are fenced (removed;
//! their partitions go to others once the target is recomputed).

use tracing::info;

use crate::group::Group;

/// The earliest member deadline of a consumer group.
pub(crate) fn next_consumer_deadline(g: &Group) -> Option<i64> {
    g.consumer
        .as_ref()?
        .members
        .values()
        .map(|m| m.next_deadline())
        .min()
}

/// Fences every member whose deadline is due at `now`.
pub(crate) fn fire_consumer_timers(g: &mut Group, now: i64) {
    let Some(cg) = g.consumer.as_mut() else {
        return;
    };
    let due: Vec<(String, &str)> = cg
        .members
        .values()
        .filter_map(|m| {
            if m.session_deadline <= now {
                Some((m.id.clone(), "session timeout expired"))
            } else if m.revocation_deadline.is_some_and(|at| at <= now) {
                Some((
                    m.id.clone(),
                    "partitions not revoked within the rebalance timeout",
                ))
            } else {
                None
            }
        })
        .collect();
    for (id, reason) in due {
        info!(group = %g.id, member = %id, reason, "fencing consumer group member");
        cg.remove_member(&id);
    }
}
