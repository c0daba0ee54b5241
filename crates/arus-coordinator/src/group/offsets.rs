//! Committed offsets of a group and when they expire.

use super::{Group, Phase, CONSUMER_PROTOCOL_TYPE};
use crate::records::OffsetCommitValue;

/// One committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommittedOffset {
    pub(crate) offset: i64,
    pub(crate) leader_epoch: i32,
    pub(crate) metadata: String,
    pub(crate) commit_timestamp: i64,
    /// Explicit expiry from an OffsetCommit v2-v4 retention time.
    pub(crate) expire_timestamp: Option<i64>,
}

impl CommittedOffset {
    pub(crate) fn to_value(&self) -> OffsetCommitValue {
        OffsetCommitValue {
            offset: self.offset,
            leader_epoch: self.leader_epoch,
            metadata: self.metadata.clone(),
            commit_timestamp: self.commit_timestamp,
            expire_timestamp: self.expire_timestamp,
        }
    }

    pub(crate) fn from_value(v: OffsetCommitValue) -> Self {
        Self {
            offset: v.offset,
            leader_epoch: v.leader_epoch,
            metadata: v.metadata,
            commit_timestamp: v.commit_timestamp,
            expire_timestamp: v.expire_timestamp,
        }
    }
}

/// What an offset's age is measured from.
enum ExpiryBase {
    /// Since the group became empty (commit time if that is unknown).
    GroupEmptied(Option<i64>),
    /// Since the commit; subscribed topics of a stable consumer group are kept.
    Commit,
}

impl Group {
    fn expiry_base(&self) -> Option<ExpiryBase> {
        if self.consumer.is_some() {
            // Kafka's ConsumerGroup: always measured from the commit.
            return Some(ExpiryBase::Commit);
        }
        match (&self.protocol_type, self.phase) {
            (None, _) => Some(ExpiryBase::Commit),
            (Some(_), Phase::Empty) => Some(ExpiryBase::GroupEmptied(self.state_timestamp)),
            (Some(t), Phase::Stable)
                if t == CONSUMER_PROTOCOL_TYPE && self.subscribed_topics.is_some() =>
            {
                Some(ExpiryBase::Commit)
            }
            _ => None,
        }
    }

    /// Committed offsets that have outlived `retention_ms` at `now`, by
    /// Kafka's rules: all offsets of an empty group once it has been empty
    /// that long; offsets of a simple group, and of topics a stable consumer
    /// group no longer subscribes to, that long after their commit; an
    /// explicit expiry timestamp wins.
    pub(crate) fn expired_offsets(&self, now: i64, retention_ms: i64) -> Vec<(String, i32)> {
        let Some(base) = self.expiry_base() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (topic, partitions) in &self.offsets {
            if matches!(base, ExpiryBase::Commit)
                && (self.protocol_type.is_some() || self.consumer.is_some())
                && self.is_subscribed_to(topic)
            {
                continue;
            }
            for (partition, o) in partitions {
                let expired = match o.expire_timestamp {
                    Some(at) => now >= at,
                    None => {
                        let since = match base {
                            ExpiryBase::GroupEmptied(t) => t.unwrap_or(o.commit_timestamp),
                            ExpiryBase::Commit => o.commit_timestamp,
                        };
                        now.saturating_sub(since) >= retention_ms
                    }
                };
                if expired {
                    out.push((topic.clone(), *partition));
                }
            }
        }
        out
    }

    /// Removes one committed offset; true if there was one.
    pub(crate) fn remove_offset(&mut self, topic: &str, partition: i32) -> bool {
        let Some(partitions) = self.offsets.get_mut(topic) else {
            return false;
        };
        let removed = partitions.remove(&partition).is_some();
        if partitions.is_empty() {
            self.offsets.remove(topic);
        }
        removed
    }

    /// Stores one committed offset.
    pub(crate) fn put_offset(&mut self, topic: &str, partition: i32, offset: CommittedOffset) {
        self.offsets
            .entry(topic.to_owned())
            .or_default()
            .insert(partition, offset);
    }

    /// The committed offset of `topic`-`partition`, if any.
    pub(crate) fn offset(&self, topic: &str, partition: i32) -> Option<&CommittedOffset> {
        self.offsets.get(topic)?.get(&partition)
    }

    /// Every committed (topic, partition), sorted.
    pub(crate) fn offset_keys(&self) -> Vec<(String, i32)> {
        self.offsets
            .iter()
            .flat_map(|(t, ps)| ps.keys().map(move |p| (t.clone(), *p)))
            .collect()
    }
}
