//! DescribeConfigs: topic and broker configs with value, source, synonyms and (v3+) type
//! and documentation, as Kafka reports them.

use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::ResponseError;

use super::str_bytes;
use crate::broker::Broker;
use crate::config::ConfigEntry;

/// Kafka's ConfigResource types.
pub const RESOURCE_TOPIC: i8 = 2;
/// Broker resource type.
pub const RESOURCE_BROKER: i8 = 4;
/// Broker logger resource type.
pub const RESOURCE_BROKER_LOGGER: i8 = 8;

/// Answers DescribeConfigs.
pub fn handle(
    broker: &Broker,
    version: i16,
    request: DescribeConfigsRequest,
) -> DescribeConfigsResponse {
    let results = request
        .resources
        .into_iter()
        .map(|r| {
            let result = DescribeConfigsResult::default()
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone());
            let entries = match lookup(broker, r.resource_type, r.resource_name.as_str()) {
                Ok(entries) => entries,
                Err((error, msg)) => {
                    return result
                        .with_error_code(error.code())
                        .with_error_message(Some(str_bytes(&msg)))
                }
            };
            let keys = r.configuration_keys;
            let configs = entries
                .into_iter()
                .filter(|e| {
                    keys.as_ref()
                        .is_none_or(|k| k.iter().any(|k| k.as_str() == e.name))
                })
                .map(|e| {
                    entry(
                        e,
                        request.include_synonyms,
                        version >= 3 && request.include_documentation,
                    )
                })
                .collect();
            result.with_configs(configs)
        })
        .collect();
    DescribeConfigsResponse::default().with_results(results)
}

fn lookup(
    broker: &Broker,
    resource_type: i8,
    name: &str,
) -> Result<Vec<ConfigEntry>, (ResponseError, String)> {
    match resource_type {
        RESOURCE_TOPIC => {
            let topic = broker.catalog.topic(name).ok_or_else(|| {
                (
                    ResponseError::UnknownTopicOrPartition,
                    format!("Topic '{name}' does not exist."),
                )
            })?;
            Ok(crate::config::describe_topic(
                &broker.catalog.broker_config(),
                &topic.configs,
            ))
        }
        RESOURCE_BROKER => {
            let config = broker.catalog.broker_config();
            if name.is_empty() {
                // The cluster-wide dynamic defaults, as Kafka lists them for `<default>`.
                return Ok(config
                    .describe()
                    .into_iter()
                    .filter(|e| e.source == crate::config::ConfigSource::DynamicDefaultBrokerConfig)
                    .collect());
            }
            if name.parse::<i32>().ok() != Some(broker.node_id) {
                return Err((
                    ResponseError::InvalidRequest,
                    format!(
                        "Unexpected broker id, expected {} or empty string, but received {name}",
                        broker.node_id
                    ),
                ));
            }
            Ok(config.describe())
        }
        RESOURCE_BROKER_LOGGER => Ok(Vec::new()),
        other => Err((
            ResponseError::InvalidRequest,
            format!("Unsupported resource type {other}"),
        )),
    }
}

fn entry(e: ConfigEntry, synonyms: bool, documentation: bool) -> DescribeConfigsResourceResult {
    let value = if e.sensitive { None } else { e.value.clone() };
    DescribeConfigsResourceResult::default()
        .with_name(str_bytes(&e.name))
        .with_value(value.as_deref().map(str_bytes))
        .with_read_only(e.read_only)
        .with_config_source(e.source as i8)
        .with_is_sensitive(e.sensitive)
        .with_config_type(e.config_type as i8)
        .with_documentation(if documentation {
            e.documentation.as_deref().map(str_bytes)
        } else {
            None
        })
        .with_synonyms(if synonyms {
            e.synonyms
                .iter()
                .map(|s| {
                    DescribeConfigsSynonym::default()
                        .with_name(str_bytes(&s.name))
                        .with_value(if e.sensitive {
                            None
                        } else {
                            s.value.as_deref().map(str_bytes)
                        })
                        .with_source(s.source as i8)
                })
                .collect()
        } else {
            Vec::new()
        })
}
