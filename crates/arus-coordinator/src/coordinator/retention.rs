//! Offset retention: every `offsets.retention.check.interval.ms`, expired
//! offsets are deleted (tombstones) and empty groups left without offsets
//! are removed (a GroupMetadata tombstone).

use tracing::info;

use super::GroupCoordinator;
use crate::group::Phase;
use crate::output::Output;
use crate::records::GroupRecord;

impl GroupCoordinator {
    /// Runs the retention pass if it is due; the first call only starts the clock.
    pub(crate) fn run_retention(&mut self, now: i64, out: &mut Output) {
        let interval = self.config.offsets_retention_check_interval_ms.max(1);
        match self.next_cleanup_ms {
            None => {
                self.next_cleanup_ms = Some(now.saturating_add(interval));
                return;
            }
            Some(due) if now < due => return,
            Some(_) => {}
        }
        self.next_cleanup_ms = Some(now.saturating_add(interval));
        self.expire_offsets(now, out);
    }

    fn expire_offsets(&mut self, now: i64, out: &mut Output) {
        let retention = self.config.offsets_retention_ms();
        let mut dead = Vec::new();
        for g in self.groups.values_mut() {
            for (topic, partition) in g.expired_offsets(now, retention) {
                g.remove_offset(&topic, partition);
                out.record(GroupRecord::offset_tombstone(&g.id, &topic, partition));
            }
            if g.phase == Phase::Empty
                && g.offsets.is_empty()
                && g.pending_members.is_empty()
                && !g.has_members()
            {
                dead.push(g.id.clone());
            }
        }
        for id in dead {
            info!(group = %id, "removing empty group without offsets");
            self.groups.remove(&id);
            out.record(GroupRecord::group_tombstone(&id));
        }
    }
}
