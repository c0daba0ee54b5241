//! OffsetDelete (v0) and the removal of offsets of deleted topics.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};

use super::validate::valid_group_id;
use super::GroupCoordinator;
use crate::group::{Group, Phase, CONSUMER_PROTOCOL_TYPE};
use crate::output::{Output, RequestContext, Response};
use crate::records::GroupRecord;
use crate::topics::TopicExists;

impl GroupCoordinator {
    /// OffsetDelete v0: an empty group may delete any of its offsets; a
    /// consumer group with members only those of topics it does not
    /// subscribe to (GROUP_SUBSCRIBED_TO_TOPIC otherwise); other non-empty
    /// groups none (NON_EMPTY_GROUP). Deleted offsets emit tombstones.
    pub fn offset_delete(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &OffsetDeleteRequest,
        topics: &dyn TopicExists,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| {
            let r = c.handle_offset_delete(req, topics, out);
            out.respond(ctx.token, Response::OffsetDelete(r));
        })
    }

    fn handle_offset_delete(
        &mut self,
        req: &OffsetDeleteRequest,
        topics: &dyn TopicExists,
        out: &mut Output,
    ) -> OffsetDeleteResponse {
        let mut r = OffsetDeleteResponse::default();
        let group_id = req.group_id.as_str();
        if !valid_group_id(group_id, false) {
            r.error_code = ResponseError::InvalidGroupId.code();
            return r;
        }
        let Some(g) = self.groups.get_mut(group_id) else {
            r.error_code = ResponseError::GroupIdNotFound.code();
            return r;
        };
        let empty = g.phase == Phase::Empty && !g.has_members();
        let consumer =
            g.consumer.is_some() || g.protocol_type.as_deref() == Some(CONSUMER_PROTOCOL_TYPE);
        if !empty && !consumer {
            r.error_code = ResponseError::NonEmptyGroup.code();
            return r;
        }
        r.topics = req
            .topics
            .iter()
            .map(|t| {
                let mut rt = OffsetDeleteResponseTopic::default();
                rt.name = t.name.clone();
                rt.partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let mut rp = OffsetDeleteResponsePartition::default();
                        rp.partition_index = p.partition_index;
                        rp.error_code = if !topics.partition_exists(&t.name, p.partition_index) {
                            ResponseError::UnknownTopicOrPartition.code()
                        } else if !empty && g.is_subscribed_to(&t.name) {
                            ResponseError::GroupSubscribedToTopic.code()
                        } else {
                            delete_offset(g, &t.name, p.partition_index, out);
                            0
                        };
                        rp
                    })
                    .collect();
                rt
            })
            .collect();
        r
    }

    /// Deletes every group's offsets of `topics` (call when topics are
    /// deleted, as Kafka does), emitting tombstones.
    pub fn remove_topic_offsets(&mut self, topics: &[&str], now_ms: i64) -> Output {
        self.run(now_ms, |c, out| {
            for g in c.groups.values_mut() {
                for topic in topics {
                    let partitions: Vec<i32> = g
                        .offsets
                        .get(*topic)
                        .map(|ps| ps.keys().copied().collect())
                        .unwrap_or_default();
                    for p in partitions {
                        delete_offset(g, topic, p, out);
                    }
                }
            }
        })
    }
}

/// Removes one offset; a tombstone if there was one.
fn delete_offset(g: &mut Group, topic: &str, partition: i32, out: &mut Output) {
    if g.remove_offset(topic, partition) {
        out.record(GroupRecord::offset_tombstone(&g.id, topic, partition));
    }
}
