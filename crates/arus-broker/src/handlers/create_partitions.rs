//! CreatePartitions: grow a topic's partition count (never shrink it).

use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::ResponseError;

use super::{repeated, str_bytes};
use crate::broker::{now_ms, Broker};

/// Answers CreatePartitions.
pub fn handle(broker: &Broker, request: CreatePartitionsRequest) -> CreatePartitionsResponse {
    let duplicates = repeated(request.topics.iter().map(|t| t.name.0.to_string()));
    let results = request
        .topics
        .into_iter()
        .map(|t| {
            let name = t.name.0.to_string();
            let base = CreatePartitionsTopicResult::default().with_name(t.name.clone());
            let fail = |error: ResponseError, msg: String| {
                base.clone()
                    .with_error_code(error.code())
                    .with_error_message(Some(str_bytes(&msg)))
            };
            if duplicates.contains(&name) {
                return fail(
                    ResponseError::InvalidRequest,
                    "Duplicate topic in request.".into(),
                );
            }
            if let Some(assignments) = &t.assignments {
                let bad = assignments
                    .iter()
                    .any(|a| a.broker_ids.len() != 1 || a.broker_ids[0].0 != broker.node_id);
                if bad {
                    return fail(
                        ResponseError::InvalidReplicaAssignment,
                        format!(
                            "Replica assignments may only name broker {}, the only broker.",
                            broker.node_id
                        ),
                    );
                }
            }
            match broker
                .catalog
                .add_partitions(&name, t.count, request.validate_only, now_ms())
            {
                Ok(()) => base,
                Err(e) => fail(e.kafka_error(), e.to_string()),
            }
        })
        .collect();
    CreatePartitionsResponse::default().with_results(results)
}
