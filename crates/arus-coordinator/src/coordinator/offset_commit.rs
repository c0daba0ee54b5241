//! OffsetCommit (v2-9).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_commit_request::OffsetCommitRequestPartition;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};

use super::rebalance::touch_session;
use super::validate::{valid_group_id, validate_current_member};
use super::GroupCoordinator;
use crate::consumer_group::ConsumerGroup;
use crate::group::{CommittedOffset, Group, Phase};
use crate::output::{Output, RequestContext, Response};
use crate::records::GroupRecord;
use crate::topics::TopicExists;

impl GroupCoordinator {
    /// OffsetCommit v2-9. Members commit for their generation (members of a
    /// consumer group: their member epoch); a commit with
    /// generation -1 and no member id ("simple" commit from `assign()`
    /// consumers) is accepted only while the group is empty, and creates the
    /// group if needed. Each stored offset emits an OffsetCommit record.
    pub fn offset_commit(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &OffsetCommitRequest,
        topics: &dyn TopicExists,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| {
            let r = c.handle_commit(ctx.version, req, topics, now_ms, out);
            out.respond(ctx.token, Response::OffsetCommit(r));
        })
    }

    fn handle_commit(
        &mut self,
        version: i16,
        req: &OffsetCommitRequest,
        topics: &dyn TopicExists,
        now: i64,
        out: &mut Output,
    ) -> OffsetCommitResponse {
        // Per partition: Some(error) once decided.
        let mut decided: Vec<Vec<Option<i16>>> = req
            .topics
            .iter()
            .map(|t| {
                t.partitions
                    .iter()
                    .map(|p| {
                        (!topics.partition_exists(&t.name, p.partition_index))
                            .then_some(ResponseError::UnknownTopicOrPartition.code())
                    })
                    .collect()
            })
            .collect();
        if decided.iter().flatten().any(Option::is_none) {
            let group_error = self.validate_commit(version, req).err();
            if let Some(g) = self.groups.get_mut(req.group_id.as_str()) {
                let commit = Commit {
                    version,
                    req,
                    now,
                    max_metadata: self.config.offset_metadata_max_bytes,
                };
                commit.apply(g, &mut decided, group_error, out);
                if g.is_vacant() {
                    self.groups.remove(req.group_id.as_str());
                }
            } else {
                let code = group_error.map_or(0, |e| e.code());
                decided.iter_mut().flatten().for_each(|d| {
                    d.get_or_insert(code);
                });
            }
        }
        let mut r = OffsetCommitResponse::default();
        r.topics = req
            .topics
            .iter()
            .zip(decided)
            .map(|(t, errors)| {
                let mut rt = OffsetCommitResponseTopic::default();
                rt.name = t.name.clone();
                rt.partitions = t
                    .partitions
                    .iter()
                    .zip(errors)
                    .map(|(p, e)| {
                        let mut rp = OffsetCommitResponsePartition::default();
                        rp.partition_index = p.partition_index;
                        rp.error_code = e.unwrap_or(0);
                        rp
                    })
                    .collect();
                rt
            })
            .collect();
        r
    }

    /// Group-level checks (Kafka's `validateOffsetCommit`); creates the group
    /// for a simple commit to a group that does not exist.
    fn validate_commit(
        &mut self,
        version: i16,
        req: &OffsetCommitRequest,
    ) -> Result<(), ResponseError> {
        let group_id = req.group_id.as_str();
        if !valid_group_id(group_id, true) {
            return Err(ResponseError::InvalidGroupId);
        }
        let generation = req.generation_id_or_member_epoch;
        let Some(g) = self.groups.get(group_id) else {
            if generation < 0 {
                self.groups
                    .insert(group_id.to_owned(), Group::new(group_id));
                return Ok(());
            }
            return Err(if version >= 9 {
                ResponseError::GroupIdNotFound
            } else {
                ResponseError::IllegalGeneration
            });
        };
        let member_id = req.member_id.as_str();
        if let Some(cg) = &g.consumer {
            return validate_consumer_commit(cg, version, member_id, generation);
        }
        let instance_id = req.group_instance_id.as_deref();
        if generation < 0 && g.phase == Phase::Empty {
            return Ok(());
        }
        if generation >= 0 || !member_id.is_empty() || instance_id.is_some() {
            validate_current_member(g, member_id, instance_id)?;
            if generation != g.generation {
                return Err(ResponseError::IllegalGeneration);
            }
        } else if g.phase != Phase::Empty {
            return Err(ResponseError::UnknownMemberId);
        }
        if g.phase == Phase::CompletingRebalance {
            return Err(ResponseError::RebalanceInProgress);
        }
        Ok(())
    }
}

/// Kafka's `ConsumerGroup.validateOffsetCommit`: epoch -1 commits are
/// accepted while the group has no members; otherwise the member must exist
/// (UNKNOWN_MEMBER_ID), use v9+ (UNSUPPORTED_VERSION: members of this
/// protocol always do) and send its current member epoch (STALE_MEMBER_EPOCH).
fn validate_consumer_commit(
    cg: &ConsumerGroup,
    version: i16,
    member_id: &str,
    epoch: i32,
) -> Result<(), ResponseError> {
    if epoch < 0 && cg.members.is_empty() {
        return Ok(());
    }
    let member = cg
        .members
        .get(member_id)
        .ok_or(ResponseError::UnknownMemberId)?;
    if version < 9 {
        return Err(ResponseError::UnsupportedVersion);
    }
    if epoch != member.epoch {
        return Err(ResponseError::StaleMemberEpoch);
    }
    Ok(())
}

/// One OffsetCommit request being applied to its group.
struct Commit<'a> {
    version: i16,
    req: &'a OffsetCommitRequest,
    now: i64,
    max_metadata: usize,
}

impl Commit<'_> {
    /// Decides the undecided partitions: the group error, metadata too
    /// large, or stored (with a record).
    fn apply(
        &self,
        g: &mut Group,
        decided: &mut [Vec<Option<i16>>],
        group_error: Option<ResponseError>,
        out: &mut Output,
    ) {
        let mut stored_any = false;
        for (t, errors) in self.req.topics.iter().zip(decided.iter_mut()) {
            for (p, slot) in t.partitions.iter().zip(errors.iter_mut()) {
                if slot.is_some() {
                    continue;
                }
                let error = group_error.or_else(|| self.check_metadata(p));
                if let Some(e) = error {
                    *slot = Some(e.code());
                    continue;
                }
                let offset = self.committed(p);
                out.record(GroupRecord::offset_commit(
                    &g.id,
                    &t.name,
                    p.partition_index,
                    &offset.to_value(),
                ));
                g.put_offset(&t.name, p.partition_index, offset);
                *slot = Some(0);
                stored_any = true;
            }
        }
        let active = matches!(g.phase, Phase::Stable | Phase::PreparingRebalance(_));
        if stored_any && active {
            if let Some(m) = g.members.get_mut(self.req.member_id.as_str()) {
                touch_session(m, self.now);
            }
        }
    }

    /// Kafka measures metadata in UTF-16 units; the record's int16 length
    /// prefix bounds the bytes too.
    fn check_metadata(&self, p: &OffsetCommitRequestPartition) -> Option<ResponseError> {
        let metadata = p.committed_metadata.as_deref().unwrap_or("");
        let too_long = metadata.encode_utf16().count() > self.max_metadata
            || metadata.len() > i16::MAX as usize;
        too_long.then_some(ResponseError::OffsetMetadataTooLarge)
    }

    /// The offset to store; v2-v4 retention times become explicit expiries.
    fn committed(&self, p: &OffsetCommitRequestPartition) -> CommittedOffset {
        let retention = self.req.retention_time_ms;
        CommittedOffset {
            offset: p.committed_offset,
            leader_epoch: if self.version >= 6 {
                p.committed_leader_epoch
            } else {
                -1
            },
            metadata: p.committed_metadata.as_deref().unwrap_or("").to_owned(),
            commit_timestamp: self.now,
            expire_timestamp: (self.version <= 4 && retention != -1)
                .then(|| self.now.saturating_add(retention)),
        }
    }
}
