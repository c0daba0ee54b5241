//! The consumer-group APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
//! OffsetFetch, OffsetDelete, ListGroups, DescribeGroups, DeleteGroups, and KIP-848's
//! ConsumerGroupHeartbeat and ConsumerGroupDescribe, and TxnOffsetCommit). Each is the same thin
//! step: hand the request to the group coordinator and wait for its answer; the coordinator
//! (crate `arus-coordinator`) holds all of the logic.

use kafka_protocol::messages::{RequestKind, ResponseKind};

use crate::broker::Broker;
use crate::groups::Caller;
use arus_coordinator::{Response, TopicInfo, TopicMetadata};
use uuid::Uuid;

/// Topic ids and partition counts from the catalog, for KIP-848 assignments.
struct CatalogTopics<'a>(&'a Broker);

impl TopicMetadata for CatalogTopics<'_> {
    fn topic(&self, name: &str) -> Option<TopicInfo> {
        let t = self.0.catalog.topic(name)?;
        Some(TopicInfo {
            id: t.id,
            partitions: i32::try_from(t.partitions.len()).unwrap_or(i32::MAX),
        })
    }

    fn topic_name(&self, id: Uuid) -> Option<String> {
        self.0.catalog.topic_by_id(&id).map(|t| t.name.clone())
    }
}

/// Whether a topic partition exists, for offset commits and deletes.
fn partition_exists(broker: &Broker) -> impl Fn(&str, i32) -> bool + '_ {
    move |topic, partition| {
        broker
            .catalog
            .topic(topic)
            .is_some_and(|t| t.partition(partition).is_some())
    }
}

/// Answers a group API request; `Err` if the request is not a group API or the
/// coordinator dropped it (the connection is then closed, as for any internal failure).
pub async fn handle(
    broker: &Broker,
    caller: &Caller<'_>,
    request: RequestKind,
) -> Result<ResponseKind, String> {
    let groups = &broker.groups;
    let response = match request {
        RequestKind::JoinGroup(r) => {
            groups
                .call(broker, caller, |c, ctx, now| c.join_group(ctx, &r, now))
                .await
        }
        RequestKind::SyncGroup(r) => {
            groups
                .call(broker, caller, |c, ctx, now| c.sync_group(ctx, &r, now))
                .await
        }
        RequestKind::Heartbeat(r) => {
            groups
                .call(broker, caller, |c, ctx, now| c.heartbeat(ctx, &r, now))
                .await
        }
        RequestKind::LeaveGroup(r) => {
            groups
                .call(broker, caller, |c, ctx, now| c.leave_group(ctx, &r, now))
                .await
        }
        RequestKind::OffsetCommit(r) => {
            let exists = partition_exists(broker);
            groups
                .call(broker, caller, |c, ctx, now| {
                    c.offset_commit(ctx, &r, &exists, now)
                })
                .await
        }
        RequestKind::OffsetFetch(r) => {
            groups
                .call(broker, caller, |c, ctx, now| c.offset_fetch(ctx, &r, now))
                .await
        }
        RequestKind::OffsetDelete(r) => {
            let exists = partition_exists(broker);
            groups
                .call(broker, caller, |c, ctx, now| {
                    c.offset_delete(ctx, &r, &exists, now)
                })
                .await
        }
        RequestKind::ListGroups(r) => {
            groups
                .call(broker, caller, |c, ctx, now| c.list_groups(ctx, &r, now))
                .await
        }
        RequestKind::DescribeGroups(r) => {
            groups
                .call(broker, caller, |c, ctx, now| {
                    c.describe_groups(ctx, &r, now)
                })
                .await
        }
        RequestKind::DeleteGroups(r) => {
            groups
                .call(broker, caller, |c, ctx, now| c.delete_groups(ctx, &r, now))
                .await
        }
        RequestKind::ConsumerGroupHeartbeat(r) => {
            let topics = CatalogTopics(broker);
            groups
                .call(broker, caller, |c, ctx, now| {
                    c.consumer_group_heartbeat(ctx, &r, &topics, now)
                })
                .await
        }
        RequestKind::ConsumerGroupDescribe(r) => {
            groups
                .call(broker, caller, |c, ctx, now| {
                    c.consumer_group_describe(ctx, &r, now)
                })
                .await
        }
        RequestKind::TxnOffsetCommit(r) => {
            let exists = partition_exists(broker);
            groups
                .call(broker, caller, |c, ctx, now| {
                    c.txn_offset_commit(ctx, &r, &exists, now)
                })
                .await
        }
        _ => return Err("not a group API".into()),
    };
    Ok(
        match response.ok_or("the group coordinator dropped the request")? {
            Response::JoinGroup(r) => ResponseKind::JoinGroup(r),
            Response::SyncGroup(r) => ResponseKind::SyncGroup(r),
            Response::Heartbeat(r) => ResponseKind::Heartbeat(r),
            Response::LeaveGroup(r) => ResponseKind::LeaveGroup(r),
            Response::OffsetCommit(r) => ResponseKind::OffsetCommit(r),
            Response::OffsetFetch(r) => ResponseKind::OffsetFetch(r),
            Response::OffsetDelete(r) => ResponseKind::OffsetDelete(r),
            Response::ListGroups(r) => ResponseKind::ListGroups(r),
            Response::DescribeGroups(r) => ResponseKind::DescribeGroups(r),
            Response::DeleteGroups(r) => ResponseKind::DeleteGroups(r),
            Response::ConsumerGroupHeartbeat(r) => ResponseKind::ConsumerGroupHeartbeat(r),
            Response::ConsumerGroupDescribe(r) => ResponseKind::ConsumerGroupDescribe(r),
            Response::TxnOffsetCommit(r) => ResponseKind::TxnOffsetCommit(r),
        },
    )
}
