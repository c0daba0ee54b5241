//! DeleteTopics: by name (v1-5) or by name or ID (v6).

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use kafka_protocol::ResponseError;
use uuid::Uuid;

use super::str_bytes;
use crate::broker::Broker;

/// Answers DeleteTopics.
pub fn handle(broker: &Broker, version: i16, request: DeleteTopicsRequest) -> DeleteTopicsResponse {
    let targets: Vec<(Option<String>, Uuid)> = if version >= 6 {
        request
            .topics
            .into_iter()
            .map(|t| (t.name.map(|n| n.0.to_string()), t.topic_id))
            .collect()
    } else {
        request
            .topic_names
            .into_iter()
            .map(|n| (Some(n.0.to_string()), Uuid::nil()))
            .collect()
    };
    let responses = targets
        .into_iter()
        .map(|(name, id)| {
            let topic = match &name {
                Some(n) => broker.catalog.topic(n),
                None => broker.catalog.topic_by_id(&id),
            };
            let base = DeletableTopicResult::default()
                .with_name(name.as_deref().map(|n| TopicName(str_bytes(n))))
                .with_topic_id(id);
            let Some(topic) = topic else {
                let error = if name.is_some() {
                    ResponseError::UnknownTopicOrPartition
                } else {
                    ResponseError::UnknownTopicId
                };
                return base.with_error_code(error.code());
            };
            let base = base
                .with_name(Some(TopicName(str_bytes(&topic.name))))
                .with_topic_id(topic.id);
            if !broker.config.delete_topic_enable() {
                return base.with_error_code(ResponseError::TopicDeletionDisabled.code());
            }
            match broker.catalog.delete_topic(&topic.name) {
                Ok(()) => {
                    broker.metrics.forget_topic(&topic.name);
                    // Like Kafka, committed offsets of a deleted topic go with it.
                    broker.groups.apply(broker, |c, now| {
                        c.remove_topic_offsets(&[topic.name.as_str()], now)
                    });
                    base
                }
                Err(e) => base
                    .with_error_code(e.kafka_error().code())
                    .with_error_message(Some(str_bytes(&e.to_string()))),
            }
        })
        .collect();
    DeleteTopicsResponse::default().with_responses(responses)
}
