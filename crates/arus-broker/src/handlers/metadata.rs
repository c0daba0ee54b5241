//! Metadata: brokers, the cluster ID, topics and their partitions; creates topics on first
//! use when `auto.create.topics.enable` allows.

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::ResponseError;
use tracing::info;
use uuid::Uuid;

use super::str_bytes;
use crate::broker::{now_ms, Broker};
use crate::catalog::{CatalogError, Topic};
use crate::dispatch::ConnectionContext;
use crate::topic_name;

/// "Not requested" value of authorized-operations fields.
const OPS_NOT_REQUESTED: i32 = i32::MIN;
/// Without authorization every topic operation is allowed: READ, WRITE, CREATE, DELETE,
/// ALTER, DESCRIBE, DESCRIBE_CONFIGS and ALTER_CONFIGS, as Kafka's bit field.
pub const ALL_TOPIC_OPERATIONS: i32 =
    (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);

/// Answers Metadata.
pub fn handle(
    broker: &Broker,
    ctx: &ConnectionContext,
    version: i16,
    request: MetadataRequest,
) -> MetadataResponse {
    let include_ops = request.include_topic_authorized_operations;
    // Before v4 the request could not say, and brokers auto-created.
    let may_create = (version < 4 || request.allow_auto_topic_creation)
        && broker.config.auto_create_topics_enable();
    // In v0 an empty list (null did not exist yet) means every topic.
    let all_topics = match &request.topics {
        None => true,
        Some(list) => version == 0 && list.is_empty(),
    };
    let topics = match request.topics.filter(|_| !all_topics) {
        None => broker
            .catalog
            .topics()
            .iter()
            .map(|t| describe_topic(broker, t, include_ops))
            .collect(),
        Some(wanted) => wanted
            .into_iter()
            .map(|t| match t.name {
                Some(name) => by_name(broker, &name.0, may_create, include_ops),
                None => by_id(broker, t.topic_id, include_ops),
            })
            .collect(),
    };
    let brokers = broker
        .endpoint_for(&ctx.listener)
        .map(|e| {
            vec![MetadataResponseBroker::default()
                .with_node_id(BrokerId(broker.node_id))
                .with_host(str_bytes(&e.host))
                .with_port(i32::from(e.port))]
        })
        .unwrap_or_default();
    MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(str_bytes(&broker.cluster_id)))
        .with_controller_id(BrokerId(broker.node_id))
        .with_topics(topics)
        .with_cluster_authorized_operations(OPS_NOT_REQUESTED)
}

fn by_name(
    broker: &Broker,
    name: &str,
    may_create: bool,
    include_ops: bool,
) -> MetadataResponseTopic {
    if let Some(topic) = broker.catalog.topic(name) {
        return describe_topic(broker, &topic, include_ops);
    }
    if let Err(reason) = topic_name::validate(name) {
        info!(topic = name.escape_default().to_string(), %reason, "metadata request for an invalid topic name");
        return error_topic(
            Some(name),
            Uuid::nil(),
            ResponseError::InvalidTopicException,
        );
    }
    if may_create && !topic_name::is_internal(name) {
        let partitions = broker.config.num_partitions();
        match broker
            .catalog
            .create_topic(name, partitions, Default::default(), now_ms())
        {
            Ok(topic) => return describe_topic(broker, &topic, include_ops),
            // Another request created it first.
            Err(CatalogError::TopicExists(_)) => {
                if let Some(topic) = broker.catalog.topic(name) {
                    return describe_topic(broker, &topic, include_ops);
                }
            }
            Err(e) => return error_topic(Some(name), Uuid::nil(), e.kafka_error()),
        }
    }
    error_topic(
        Some(name),
        Uuid::nil(),
        ResponseError::UnknownTopicOrPartition,
    )
}

fn by_id(broker: &Broker, id: Uuid, include_ops: bool) -> MetadataResponseTopic {
    match broker.catalog.topic_by_id(&id) {
        Some(topic) => describe_topic(broker, &topic, include_ops),
        None => error_topic(None, id, ResponseError::UnknownTopicId),
    }
}

fn error_topic(name: Option<&str>, id: Uuid, error: ResponseError) -> MetadataResponseTopic {
    MetadataResponseTopic::default()
        .with_error_code(error.code())
        .with_name(name.map(|n| TopicName(str_bytes(n))))
        .with_topic_id(id)
        .with_topic_authorized_operations(OPS_NOT_REQUESTED)
}

/// A topic's metadata: this broker leads every partition and is its only replica.
pub fn describe_topic(broker: &Broker, topic: &Topic, include_ops: bool) -> MetadataResponseTopic {
    let me = BrokerId(broker.node_id);
    let partitions = topic
        .partitions
        .iter()
        .map(|p| {
            MetadataResponsePartition::default()
                .with_partition_index(p.index)
                .with_leader_id(me)
                .with_leader_epoch(crate::partition::LEADER_EPOCH)
                .with_replica_nodes(vec![me])
                .with_isr_nodes(vec![me])
        })
        .collect();
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(str_bytes(&topic.name))))
        .with_topic_id(topic.id)
        .with_is_internal(topic.is_internal())
        .with_partitions(partitions)
        .with_topic_authorized_operations(if include_ops {
            ALL_TOPIC_OPERATIONS
        } else {
            OPS_NOT_REQUESTED
        })
}
