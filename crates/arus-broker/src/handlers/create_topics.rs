//! CreateTopics: new topics with partition count, replication factor 1 and config overrides;
//! `validate_only` checks everything and creates nothing.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::ResponseError;

use super::{repeated, str_bytes};
use crate::broker::{now_ms, Broker};

/// Answers CreateTopics.
pub fn handle(broker: &Broker, version: i16, request: CreateTopicsRequest) -> CreateTopicsResponse {
    let duplicates = repeated(request.topics.iter().map(|t| t.name.0.to_string()));
    let results = request
        .topics
        .into_iter()
        .map(|t| {
            let name = t.name.0.to_string();
            let result = CreatableTopicResult::default().with_name(t.name.clone());
            let fail = |error: ResponseError, message: String| {
                result
                    .clone()
                    .with_error_code(error.code())
                    .with_error_message(Some(str_bytes(&message)))
                    .with_num_partitions(-1)
                    .with_replication_factor(-1)
            };
            if duplicates.contains(&name) {
                return fail(
                    ResponseError::InvalidRequest,
                    format!("Create topics request from client contains a duplicate topic {name}"),
                );
            }
            let manual = !t.assignments.is_empty();
            let partitions = if manual {
                if t.num_partitions != -1 || t.replication_factor != -1 {
                    return fail(
                        ResponseError::InvalidRequest,
                        "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.".into(),
                    );
                }
                if let Err(msg) = check_assignment(broker, &t.assignments) {
                    return fail(ResponseError::InvalidReplicaAssignment, msg);
                }
                t.assignments.len() as i32
            } else if t.num_partitions == -1 {
                broker.config.num_partitions()
            } else {
                t.num_partitions
            };
            let rf = if manual {
                1
            } else if t.replication_factor == -1 {
                broker.config.default_replication_factor()
            } else {
                i32::from(t.replication_factor)
            };
            if rf < 1 {
                return fail(
                    ResponseError::InvalidReplicationFactor,
                    "Replication factor must be larger than 0, or -1 to use the default value.".into(),
                );
            }
            if rf > 1 {
                return fail(
                    ResponseError::InvalidReplicationFactor,
                    format!("Unable to replicate the partition {rf} time(s): The target replication factor of {rf} cannot be reached because only 1 broker(s) are registered."),
                );
            }
            let mut configs = BTreeMap::new();
            for c in &t.configs {
                match &c.value {
                    Some(v) => {
                        configs.insert(c.name.to_string(), v.to_string());
                    }
                    None => {
                        return fail(
                            ResponseError::InvalidConfig,
                            format!("Null value not supported for topic configs: {}", c.name.as_str()),
                        )
                    }
                }
            }
            let outcome = if request.validate_only {
                broker
                    .catalog
                    .validate_new_topic(&name, partitions, &configs)
                    .map(|_| None)
            } else {
                broker
                    .catalog
                    .create_topic(&name, partitions, configs.clone(), now_ms())
                    .map(Some)
            };
            match outcome {
                Ok(created) => {
                    let mut ok = result
                        .with_num_partitions(partitions)
                        .with_replication_factor(rf as i16);
                    if let Some(topic) = created {
                        ok = ok.with_topic_id(topic.id);
                    }
                    if version >= 5 {
                        ok = ok.with_configs(Some(described_configs(broker, &configs)));
                    }
                    ok
                }
                Err(e) => fail(e.kafka_error(), e.to_string()),
            }
        })
        .collect();
    CreateTopicsResponse::default().with_topics(results)
}

fn check_assignment(
    broker: &Broker,
    assignments: &[kafka_protocol::messages::create_topics_request::CreatableReplicaAssignment],
) -> Result<(), String> {
    for (i, a) in assignments.iter().enumerate() {
        if a.partition_index != i as i32 {
            return Err("Partitions should be a consecutive 0-based integer sequence".into());
        }
        if a.broker_ids.len() != 1 || a.broker_ids[0].0 != broker.node_id {
            return Err(format!(
                "Replica assignment {:?} for partition {} is not possible: the only broker is {}.",
                a.broker_ids.iter().map(|b| b.0).collect::<Vec<_>>(),
                a.partition_index,
                broker.node_id
            ));
        }
    }
    Ok(())
}

/// The configs a CreateTopics v5+ response reports for the new topic.
fn described_configs(
    broker: &Broker,
    overrides: &BTreeMap<String, String>,
) -> Vec<CreatableTopicConfigs> {
    crate::config::describe_topic(&broker.config, overrides)
        .into_iter()
        .map(|e| {
            CreatableTopicConfigs::default()
                .with_name(str_bytes(&e.name))
                .with_value(if e.sensitive {
                    None
                } else {
                    e.value.as_deref().map(str_bytes)
                })
                .with_read_only(e.read_only)
                .with_config_source(e.source as i8)
                .with_is_sensitive(e.sensitive)
        })
        .collect()
}
