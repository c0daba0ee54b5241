//! FindCoordinator: on a single node this broker coordinates every consumer group and every
//! transactional ID.
//!
//! Arus has no share groups yet, so that key type is answered COORDINATOR_NOT_AVAILABLE, as
//! Kafka answers while such a coordinator is not ready.

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::str_bytes;
use crate::broker::Broker;
use crate::dispatch::ConnectionContext;

/// Coordinator key type of consumer groups.
const KEY_TYPE_GROUP: i8 = 0;
/// Coordinator key type of transactional IDs.
const KEY_TYPE_TRANSACTION: i8 = 1;

/// Answers FindCoordinator, one key (v0-3) or a batch of keys (v4+).
pub fn handle(
    broker: &Broker,
    ctx: &ConnectionContext,
    version: i16,
    request: FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    let endpoint = broker.endpoint_for(&ctx.listener);
    let answer = |key: StrBytes| -> Coordinator {
        let base = Coordinator::default().with_key(key);
        match endpoint {
            Some(e) if matches!(request.key_type, KEY_TYPE_GROUP | KEY_TYPE_TRANSACTION) => base
                .with_node_id(BrokerId(broker.node_id))
                .with_host(str_bytes(&e.host))
                .with_port(i32::from(e.port)),
            _ => base
                .with_node_id(BrokerId(-1))
                .with_port(-1)
                .with_error_code(ResponseError::CoordinatorNotAvailable.code())
                .with_error_message(Some(str_bytes("Arus has no coordinator of this kind yet"))),
        }
    };
    if version >= 4 {
        let coordinators = request.coordinator_keys.into_iter().map(answer).collect();
        return FindCoordinatorResponse::default().with_coordinators(coordinators);
    }
    let c = answer(request.key);
    let response = FindCoordinatorResponse::default()
        .with_error_code(c.error_code)
        .with_node_id(c.node_id)
        .with_host(c.host)
        .with_port(c.port);
    if version >= 1 {
        response.with_error_message(c.error_message)
    } else {
        response
    }
}
