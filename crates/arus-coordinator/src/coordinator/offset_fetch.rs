//! OffsetFetch (v1-9; several groups per request from v8).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::GroupCoordinator;
use crate::output::{Output, RequestContext, Response};

/// One partition's answer.
struct Fetched {
    partition: i32,
    /// UNSTABLE_OFFSET_COMMIT when `require_stable` and a transaction has an offset
    /// pending for the partition.
    error: i16,
    offset: i64,
    leader_epoch: i32,
    metadata: String,
}

/// Partitions asked for, per topic; `None` = every committed partition.
type Wanted = Option<Vec<(TopicName, Vec<i32>)>>;

impl GroupCoordinator {
    /// OffsetFetch v1-9. Partitions without a committed offset answer -1
    /// with empty metadata, as Kafka does; unknown groups answer the same
    /// for the partitions asked (and nothing when all were asked).
    /// With `require_stable` (v7+), partitions with an offset pending in an
    /// open transaction answer UNSTABLE_OFFSET_COMMIT. From v9 a consumer group member
    /// names itself and its epoch, which are checked.
    pub fn offset_fetch(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &OffsetFetchRequest,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| {
            let r = c.answer_fetch(ctx.version, req);
            out.respond(ctx.token, Response::OffsetFetch(r));
        })
    }

    fn answer_fetch(&self, version: i16, req: &OffsetFetchRequest) -> OffsetFetchResponse {
        let mut r = OffsetFetchResponse::default();
        if version >= 8 {
            r.groups = req
                .groups
                .iter()
                .map(|g| {
                    let wanted = g.topics.as_ref().map(|ts| {
                        ts.iter()
                            .map(|t| (t.name.clone(), t.partition_indexes.clone()))
                            .collect()
                    });
                    let mut rg = OffsetFetchResponseGroup::default();
                    rg.group_id = g.group_id.clone();
                    let member = g.member_id.as_ref().map(|m| m.as_str());
                    if let Err(e) = self.validate_fetch(&g.group_id, member, g.member_epoch) {
                        rg.error_code = e.code();
                        return rg;
                    }
                    rg.topics = self
                        .fetch(&g.group_id, wanted, req.require_stable)
                        .into_iter()
                        .map(|(name, parts)| group_topic(name, parts))
                        .collect();
                    rg
                })
                .collect();
        } else {
            let wanted = req.topics.as_ref().map(|ts| {
                ts.iter()
                    .map(|t| (t.name.clone(), t.partition_indexes.clone()))
                    .collect()
            });
            r.topics = self
                .fetch(&req.group_id, wanted, version >= 7 && req.require_stable)
                .into_iter()
                .map(|(name, parts)| single_topic(version, name, parts))
                .collect();
        }
        r
    }

    /// Kafka's `ConsumerGroup.validateOffsetFetch` (v9 names the member):
    /// without a member id and with a negative epoch anyone may fetch;
    /// otherwise the member must exist (UNKNOWN_MEMBER_ID) and send its
    /// current epoch (STALE_MEMBER_EPOCH). Classic groups check nothing.
    fn validate_fetch(
        &self,
        group_id: &str,
        member_id: Option<&str>,
        epoch: i32,
    ) -> Result<(), ResponseError> {
        let Some(cg) = self.groups.get(group_id).and_then(|g| g.consumer.as_ref()) else {
            return Ok(());
        };
        if member_id.is_none() && epoch < 0 {
            return Ok(());
        }
        let m = cg
            .members
            .get(member_id.unwrap_or(""))
            .ok_or(ResponseError::UnknownMemberId)?;
        if m.epoch != epoch {
            return Err(ResponseError::StaleMemberEpoch);
        }
        Ok(())
    }

    fn fetch(
        &self,
        group_id: &str,
        wanted: Wanted,
        require_stable: bool,
    ) -> Vec<(TopicName, Vec<Fetched>)> {
        let group = self.groups.get(group_id);
        let wanted: Vec<(TopicName, Vec<i32>)> = match wanted {
            Some(w) => w,
            None => {
                let mut all: Vec<(TopicName, Vec<i32>)> = Vec::new();
                for (topic, partitions) in group.map(|g| &g.offsets).into_iter().flatten() {
                    let name = TopicName(StrBytes::from_string(topic.clone()));
                    all.push((name, partitions.keys().copied().collect()));
                }
                all
            }
        };
        wanted
            .into_iter()
            .map(|(name, partitions)| {
                let answers = partitions
                    .into_iter()
                    .map(|p| match group.and_then(|g| g.offset(&name, p)) {
                        _ if require_stable && self.has_pending_offset(group_id, &name, p) => {
                            Fetched {
                                partition: p,
                                error: ResponseError::UnstableOffsetCommit.code(),
                                offset: -1,
                                leader_epoch: -1,
                                metadata: String::new(),
                            }
                        }
                        Some(o) => Fetched {
                            partition: p,
                            error: 0,
                            offset: o.offset,
                            leader_epoch: o.leader_epoch,
                            metadata: o.metadata.clone(),
                        },
                        None => Fetched {
                            partition: p,
                            error: 0,
                            offset: -1,
                            leader_epoch: -1,
                            metadata: String::new(),
                        },
                    })
                    .collect();
                (name, answers)
            })
            .collect()
    }
}

/// A topic of a v1-v7 answer (leader epochs from v5).
fn single_topic(version: i16, name: TopicName, parts: Vec<Fetched>) -> OffsetFetchResponseTopic {
    let mut t = OffsetFetchResponseTopic::default();
    t.name = name;
    t.partitions = parts
        .into_iter()
        .map(|f| {
            let mut p = OffsetFetchResponsePartition::default();
            p.partition_index = f.partition;
            p.error_code = f.error;
            p.committed_offset = f.offset;
            p.committed_leader_epoch = if version >= 5 { f.leader_epoch } else { -1 };
            p.metadata = Some(StrBytes::from_string(f.metadata));
            p
        })
        .collect();
    t
}

/// A topic of a v8+ answer.
fn group_topic(name: TopicName, parts: Vec<Fetched>) -> OffsetFetchResponseTopics {
    let mut t = OffsetFetchResponseTopics::default();
    t.name = name;
    t.partitions = parts
        .into_iter()
        .map(|f| {
            let mut p = OffsetFetchResponsePartitions::default();
            p.partition_index = f.partition;
            p.error_code = f.error;
            p.committed_offset = f.offset;
            p.committed_leader_epoch = f.leader_epoch;
            p.metadata = Some(StrBytes::from_string(f.metadata));
            p
        })
        .collect();
    t
}
