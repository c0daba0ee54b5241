//! Transactional offset commits (TxnOffsetCommit v0-5): offsets committed inside a
//! producer's transaction stay pending, invisible to OffsetFetch, until the transaction's
//! marker commits them (or an abort drops them).
//!
//! They are persisted at once, as offset records in a transactional batch under the
//! producer's ID, so a restart finds them; [`GroupCoordinator::replay_transactional`] and
//! [`GroupCoordinator::replay_marker`] rebuild the pending set from the log.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafka_protocol::messages::{TxnOffsetCommitRequest, TxnOffsetCommitResponse};

use super::validate::valid_group_id;
use super::GroupCoordinator;
use crate::group::{CommittedOffset, Group};
use crate::output::{Output, RequestContext, Response};
use crate::records::{GroupRecord, OffsetCommitValue, RecordError, RecordKey};
use crate::topics::TopicExists;

/// A group's pending offset for one partition, keyed (group, topic, partition).
pub(crate) type PendingKey = (String, String, i32);

impl GroupCoordinator {
    /// TxnOffsetCommit v0-5: stores the offsets as pending for the producer (one record
    /// each, marked with the producer so the shell writes them transactionally).
    pub fn txn_offset_commit(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &TxnOffsetCommitRequest,
        topics: &dyn TopicExists,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| {
            let r = c.handle_txn_commit(req, topics, now_ms, out);
            out.respond(ctx.token, Response::TxnOffsetCommit(r));
        })
    }

    fn handle_txn_commit(
        &mut self,
        req: &TxnOffsetCommitRequest,
        topics: &dyn TopicExists,
        now: i64,
        out: &mut Output,
    ) -> TxnOffsetCommitResponse {
        let group_id = req.group_id.as_str();
        let group_error = self.validate_txn_commit(req).err();
        let producer = (req.producer_id.0, req.producer_epoch);
        let max_metadata = self.config.offset_metadata_max_bytes;
        let mut r = TxnOffsetCommitResponse::default();
        for t in &req.topics {
            let mut rt = TxnOffsetCommitResponseTopic::default();
            rt.name = t.name.clone();
            for p in &t.partitions {
                let metadata = p.committed_metadata.as_deref().unwrap_or("");
                let error = if !topics.partition_exists(&t.name, p.partition_index) {
                    Some(ResponseError::UnknownTopicOrPartition)
                } else if let Some(e) = group_error {
                    Some(e)
                } else if metadata.encode_utf16().count() > max_metadata
                    || metadata.len() > i16::MAX as usize
                {
                    Some(ResponseError::OffsetMetadataTooLarge)
                } else {
                    None
                };
                if error.is_none() {
                    let offset = CommittedOffset {
                        offset: p.committed_offset,
                        leader_epoch: p.committed_leader_epoch,
                        metadata: metadata.to_owned(),
                        commit_timestamp: now,
                        expire_timestamp: None,
                    };
                    let record = GroupRecord::offset_commit(
                        group_id,
                        &t.name,
                        p.partition_index,
                        &offset.to_value(),
                    )
                    .map(|mut rec| {
                        rec.producer = Some(producer);
                        rec
                    });
                    out.record(record);
                    self.pending_txn_offsets
                        .entry(producer.0)
                        .or_default()
                        .insert(
                            (group_id.to_owned(), t.name.to_string(), p.partition_index),
                            offset,
                        );
                }
                let mut rp = TxnOffsetCommitResponsePartition::default();
                rp.partition_index = p.partition_index;
                rp.error_code = error.map_or(0, |e| e.code());
                rt.partitions.push(rp);
            }
            r.topics.push(rt);
        }
        r
    }

    /// Kafka's checks for a transactional commit: a named member must be in the group and
    /// a given generation (member epoch) must be the current one. Anonymous commits
    /// (generation -1, no member) are accepted, creating the group if needed.
    fn validate_txn_commit(&mut self, req: &TxnOffsetCommitRequest) -> Result<(), ResponseError> {
        let group_id = req.group_id.as_str();
        if !valid_group_id(group_id, true) {
            return Err(ResponseError::InvalidGroupId);
        }
        let member_id = req.member_id.as_str();
        let generation = req.generation_id;
        let g = self
            .groups
            .entry(group_id.to_owned())
            .or_insert_with(|| Group::new(group_id));
        if let Some(cg) = &g.consumer {
            if member_id.is_empty() && generation < 0 {
                return Ok(());
            }
            let m = cg
                .members
                .get(member_id)
                .ok_or(ResponseError::UnknownMemberId)?;
            if generation >= 0 && generation != m.epoch {
                return Err(ResponseError::IllegalGeneration);
            }
            return Ok(());
        }
        if let Some(instance) = req.group_instance_id.as_deref() {
            if g.static_members
                .get(instance)
                .is_some_and(|current| current != member_id)
            {
                return Err(ResponseError::FencedInstanceId);
            }
        }
        if !member_id.is_empty() && !g.members.contains_key(member_id) {
            return Err(ResponseError::UnknownMemberId);
        }
        if generation >= 0 && generation != g.generation {
            return Err(ResponseError::IllegalGeneration);
        }
        Ok(())
    }

    /// A transaction marker for `producer_id` reached the group's offsets partition:
    /// commit makes its pending offsets the committed ones, abort drops them.
    pub fn complete_transaction(&mut self, producer_id: i64, commit: bool) {
        let Some(pending) = self.pending_txn_offsets.remove(&producer_id) else {
            return;
        };
        if !commit {
            return;
        }
        for ((group, topic, partition), offset) in pending {
            self.groups
                .entry(group.clone())
                .or_insert_with(|| Group::new(&group))
                .put_offset(&topic, partition, offset);
        }
    }

    /// Whether a transaction has an offset pending for the group's partition (OffsetFetch
    /// with `require_stable` answers UNSTABLE_OFFSET_COMMIT then).
    pub(crate) fn has_pending_offset(&self, group: &str, topic: &str, partition: i32) -> bool {
        let key = (group.to_owned(), topic.to_owned(), partition);
        self.pending_txn_offsets
            .values()
            .any(|offsets| offsets.contains_key(&key))
    }

    /// Start-up: a record read from a transactional batch of `producer_id`.
    pub fn replay_transactional(
        &mut self,
        producer_id: i64,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), RecordError> {
        if let (
            RecordKey::OffsetCommit {
                group,
                topic,
                partition,
            },
            Some(v),
        ) = (RecordKey::decode(key)?, value)
        {
            let offset = CommittedOffset::from_value(OffsetCommitValue::decode(v)?);
            self.pending_txn_offsets
                .entry(producer_id)
                .or_default()
                .insert((group, topic, partition), offset);
        }
        Ok(())
    }

    /// Start-up: a commit or abort marker of `producer_id` read from the log.
    pub fn replay_marker(&mut self, producer_id: i64, commit: bool) {
        self.complete_transaction(producer_id, commit);
    }
}
