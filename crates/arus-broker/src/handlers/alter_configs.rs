//! AlterConfigs (replace a topic's overrides) and IncrementalAlterConfigs (set, delete,
//! append, subtract individual keys). Changes are validated, persisted, and applied live.

use std::collections::BTreeMap;

use kafka_protocol::messages::{
    alter_configs_response, incremental_alter_configs_response, AlterConfigsRequest,
    AlterConfigsResponse, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};
use kafka_protocol::ResponseError;

use super::describe_configs::{RESOURCE_BROKER, RESOURCE_TOPIC};
use super::{repeated, str_bytes};
use crate::broker::Broker;
use crate::catalog::CatalogError;

type Outcome = Result<(), (ResponseError, String)>;

/// Answers AlterConfigs: the given configs replace all of a topic's overrides.
pub fn handle_alter(broker: &Broker, request: AlterConfigsRequest) -> AlterConfigsResponse {
    let duplicates = repeated(
        request
            .resources
            .iter()
            .map(|r| (r.resource_type, r.resource_name.to_string())),
    );
    let responses = request
        .resources
        .into_iter()
        .map(|r| {
            let name = r.resource_name.to_string();
            let outcome = if duplicates.contains(&(r.resource_type, name.clone())) {
                Err(duplicate_error(&name))
            } else {
                let mut configs = BTreeMap::new();
                let mut outcome = Ok(());
                for c in &r.configs {
                    match &c.value {
                        Some(v) => {
                            configs.insert(c.name.to_string(), v.to_string());
                        }
                        None => {
                            outcome = Err((
                                ResponseError::InvalidRequest,
                                format!("Null value not supported for : {}", c.name.as_str()),
                            ))
                        }
                    }
                }
                outcome.and_then(|_| {
                    apply(
                        broker,
                        r.resource_type,
                        &name,
                        request.validate_only,
                        |_| Ok(configs),
                    )
                })
            };
            let (code, msg) = split(outcome);
            alter_configs_response::AlterConfigsResourceResponse::default()
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name)
                .with_error_code(code)
                .with_error_message(msg)
        })
        .collect();
    AlterConfigsResponse::default().with_responses(responses)
}

/// IncrementalAlterConfigs operations.
const OP_SET: i8 = 0;
const OP_DELETE: i8 = 1;
const OP_APPEND: i8 = 2;
const OP_SUBTRACT: i8 = 3;

/// Answers IncrementalAlterConfigs.
pub fn handle_incremental(
    broker: &Broker,
    request: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let duplicates = repeated(
        request
            .resources
            .iter()
            .map(|r| (r.resource_type, r.resource_name.to_string())),
    );
    let responses = request
        .resources
        .into_iter()
        .map(|r| {
            let name = r.resource_name.to_string();
            let outcome = if duplicates.contains(&(r.resource_type, name.clone())) {
                Err(duplicate_error(&name))
            } else {
                let ops: Vec<(String, i8, Option<String>)> = r
                    .configs
                    .iter()
                    .map(|c| {
                        (
                            c.name.to_string(),
                            c.config_operation,
                            c.value.as_ref().map(|v| v.to_string()),
                        )
                    })
                    .collect();
                apply(
                    broker,
                    r.resource_type,
                    &name,
                    request.validate_only,
                    |current| incremental(current, &ops),
                )
            };
            let (code, msg) = split(outcome);
            incremental_alter_configs_response::AlterConfigsResourceResponse::default()
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name)
                .with_error_code(code)
                .with_error_message(msg)
        })
        .collect();
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

/// Computes a topic's new overrides from its current ones and the operations.
fn incremental(
    current: &BTreeMap<String, String>,
    ops: &[(String, i8, Option<String>)],
) -> Result<BTreeMap<String, String>, (ResponseError, String)> {
    let mut next = current.clone();
    for (key, op, value) in ops {
        match *op {
            OP_SET => {
                let v = value.clone().ok_or((
                    ResponseError::InvalidRequest,
                    format!("Null value not supported for : {key}"),
                ))?;
                next.insert(key.clone(), v);
            }
            OP_DELETE => {
                next.remove(key);
            }
            OP_APPEND | OP_SUBTRACT => {
                if !crate::config::is_list_config(key) {
                    let verb = if *op == OP_APPEND {
                        "append"
                    } else {
                        "subtract"
                    };
                    return Err((
                        ResponseError::InvalidConfig,
                        format!("Config value {verb} is not allowed for config key: {key}"),
                    ));
                }
                let effective = next
                    .get(key)
                    .cloned()
                    .or_else(|| crate::config::topic_config_default(key))
                    .unwrap_or_default();
                let mut items: Vec<String> = effective
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                let given: Vec<String> = value
                    .as_deref()
                    .unwrap_or("")
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                if *op == OP_APPEND {
                    for g in given {
                        if !items.contains(&g) {
                            items.push(g);
                        }
                    }
                } else {
                    items.retain(|i| !given.contains(i));
                }
                next.insert(key.clone(), items.join(","));
            }
            other => {
                return Err((
                    ResponseError::InvalidRequest,
                    format!("Unknown config operation {other} for {key}"),
                ))
            }
        }
    }
    Ok(next)
}

fn apply(
    broker: &Broker,
    resource_type: i8,
    name: &str,
    validate_only: bool,
    compute: impl FnOnce(
        &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, (ResponseError, String)>,
) -> Outcome {
    match resource_type {
        RESOURCE_TOPIC => {
            let topic = broker.catalog.topic(name).ok_or_else(|| {
                (
                    ResponseError::UnknownTopicOrPartition,
                    format!("Topic '{name}' does not exist."),
                )
            })?;
            let next = compute(&topic.configs)?;
            for (k, v) in &next {
                crate::config::validate_topic_config(k, v)
                    .map_err(|e| (ResponseError::InvalidConfig, e.to_string()))?;
            }
            if validate_only {
                return Ok(());
            }
            broker
                .catalog
                .set_topic_configs(name, next)
                .map_err(|e: CatalogError| (e.kafka_error(), e.to_string()))
        }
        RESOURCE_BROKER if name.is_empty() => {
            let config = broker.catalog.broker_config();
            let next = compute(&config.dynamic_defaults())?;
            // Validate against a scratch copy first, so a refused change touches nothing.
            crate::catalog::dynamic_defaults_applied(&config, &next).map_err(|e| match e {
                crate::config::ConfigError::NotDynamic { .. } => {
                    (ResponseError::InvalidRequest, e.to_string())
                }
                other => (ResponseError::InvalidConfig, other.to_string()),
            })?;
            if validate_only {
                return Ok(());
            }
            broker
                .catalog
                .set_dynamic_defaults(&next)
                .map_err(|e| (ResponseError::KafkaStorageError, e.to_string()))
        }
        RESOURCE_BROKER => Err((
            ResponseError::InvalidRequest,
            format!(
                "Arus supports cluster-wide dynamic broker defaults only (resource name \"\", \
                 --entity-default), not per-broker ones (\"{name}\"); set per-broker configs in \
                 server.properties"
            ),
        )),
        other => Err((
            ResponseError::InvalidRequest,
            format!("Unsupported resource type {other}"),
        )),
    }
}

fn duplicate_error(name: &str) -> (ResponseError, String) {
    (
        ResponseError::InvalidRequest,
        format!("Error due to duplicate config keys or resources: {name}"),
    )
}

fn split(outcome: Outcome) -> (i16, Option<kafka_protocol::protocol::StrBytes>) {
    match outcome {
        Ok(()) => (0, None),
        Err((e, msg)) => (e.code(), Some(str_bytes(&msg))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_operations_compose() {
        let mut current = BTreeMap::new();
        current.insert("retention.ms".to_string(), "1000".to_string());
        let ops = vec![
            ("retention.ms".to_string(), OP_DELETE, None),
            (
                "segment.bytes".to_string(),
                OP_SET,
                Some("1048576".to_string()),
            ),
            (
                "cleanup.policy".to_string(),
                OP_APPEND,
                Some("compact".to_string()),
            ),
        ];
        let next = incremental(&current, &ops).unwrap();
        assert_eq!(next.get("retention.ms"), None);
        assert_eq!(
            next.get("segment.bytes").map(String::as_str),
            Some("1048576")
        );
        assert_eq!(
            next.get("cleanup.policy").map(String::as_str),
            Some("delete,compact")
        );
        let sub = vec![(
            "cleanup.policy".to_string(),
            OP_SUBTRACT,
            Some("delete".to_string()),
        )];
        let next = incremental(&next, &sub).unwrap();
        assert_eq!(
            next.get("cleanup.policy").map(String::as_str),
            Some("compact")
        );
        let bad = vec![("retention.ms".to_string(), OP_APPEND, Some("1".to_string()))];
        assert_eq!(
            incremental(&next, &bad).unwrap_err().0,
            ResponseError::InvalidConfig
        );
    }
}
