//! Start-up: rebuilding groups and offsets from `__consumer_offsets`.

use super::rebalance::touch_session;
use super::GroupCoordinator;
use crate::group::CommittedOffset;
use crate::group::{Group, Member, Phase, Protocol};
use crate::output::Output;
use crate::records::{GroupMetadataValue, OffsetCommitValue, RecordError, RecordKey};

impl GroupCoordinator {
    /// Applies one record read back from `__consumer_offsets`, in log order
    /// (later records win; a `None` value is a tombstone). Groups with
    /// members come back Stable, as in Kafka: their members must heartbeat
    /// within their session timeout (counted from
    /// [`GroupCoordinator::finish_replay`]) or are removed. Offsets of a
    /// group without metadata make an empty "simple" group.
    ///
    /// Only for start-up, before any request. A record that cannot be read
    /// leaves the state unchanged; [`RecordError::UnsupportedKeyVersion`]
    /// marks records of other coordinators (transactions, KIP-848), which
    /// the caller may skip.
    pub fn replay(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), RecordError> {
        match RecordKey::decode(key)? {
            RecordKey::OffsetCommit {
                group,
                topic,
                partition,
            } => match value {
                Some(v) => {
                    let v = OffsetCommitValue::decode(v)?;
                    self.groups
                        .entry(group.clone())
                        .or_insert_with(|| Group::new(&group))
                        .put_offset(&topic, partition, CommittedOffset::from_value(v));
                }
                None => {
                    if let Some(g) = self.groups.get_mut(&group) {
                        g.remove_offset(&topic, partition);
                        if g.is_vacant() {
                            self.groups.remove(&group);
                        }
                    }
                }
            },
            RecordKey::GroupMetadata { group } => match value {
                Some(v) => {
                    let v = GroupMetadataValue::decode(v)?;
                    self.replay_pending |= !v.members.is_empty();
                    let g = self
                        .groups
                        .entry(group.clone())
                        .or_insert_with(|| Group::new(&group));
                    load_metadata(g, v);
                }
                None => {
                    if let Some(g) = self.groups.remove(&group) {
                        if !g.offsets.is_empty() {
                            let mut fresh = Group::new(&group);
                            fresh.offsets = g.offsets;
                            self.groups.insert(group, fresh);
                        }
                    }
                }
            },
        }
        Ok(())
    }

    /// Ends the replay: loaded members' sessions start now (Kafka's
    /// `onGroupLoaded`), and the retention clock starts. Any request or tick
    /// does this too if it was not called.
    pub fn finish_replay(&mut self, now_ms: i64) -> Output {
        self.run(now_ms, |_, _| {})
    }

    /// Gives every member without a session deadline one (`now` + its session timeout).
    pub(crate) fn schedule_loaded_members(&mut self, now: i64) {
        for g in self.groups.values_mut() {
            for m in g.members.values_mut() {
                if m.session_deadline.is_none() && !m.is_waiting() {
                    touch_session(m, now);
                }
            }
        }
        self.replay_pending = false;
    }
}

/// Replaces a group's generation, protocol and members by a record's.
fn load_metadata(g: &mut Group, v: GroupMetadataValue) {
    g.clear_members();
    g.protocol_type = (!v.protocol_type.is_empty()).then_some(v.protocol_type);
    g.generation = v.generation;
    g.protocol_name = v.protocol.clone();
    g.leader = v.leader;
    g.state_timestamp = (v.current_state_timestamp >= 0).then_some(v.current_state_timestamp);
    g.phase = if v.members.is_empty() {
        Phase::Empty
    } else {
        Phase::Stable
    };
    let protocol = v.protocol.unwrap_or_default();
    for m in v.members {
        g.load_member(Member {
            id: m.member_id,
            instance_id: m.group_instance_id,
            client_id: m.client_id,
            client_host: m.client_host,
            rebalance_timeout_ms: m.rebalance_timeout,
            session_timeout_ms: m.session_timeout,
            protocols: vec![Protocol {
                name: protocol.clone(),
                metadata: m.subscription,
            }],
            assignment: m.assignment,
            awaiting_join: None,
            awaiting_sync: None,
            is_new: false,
            session_deadline: None,
            seq: 0,
        });
    }
    if g.leader
        .as_ref()
        .is_some_and(|l| !g.members.contains_key(l))
    {
        g.leader = g.members_in_order().first().map(|m| m.id.clone());
    }
    g.compute_subscribed_topics();
}
