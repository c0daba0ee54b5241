//! InitProducerId for idempotent producers: a fresh producer ID with epoch 0.
//!
//! Transactional IDs need the transaction coordinator, which Arus does not have yet; such
//! requests are refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED (clients also find no
//! transaction coordinator, since FindCoordinator is not advertised).

use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};
use kafka_protocol::ResponseError;

use crate::broker::Broker;

/// Answers InitProducerId.
pub fn handle(broker: &Broker, request: InitProducerIdRequest) -> InitProducerIdResponse {
    let refused = |e: ResponseError| {
        InitProducerIdResponse::default()
            .with_error_code(e.code())
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1)
    };
    if request.transactional_id.is_some() {
        return refused(ResponseError::TransactionalIdAuthorizationFailed);
    }
    match broker.producer_ids.next_id() {
        Ok(id) => InitProducerIdResponse::default()
            .with_producer_id(ProducerId(id))
            .with_producer_epoch(0),
        Err(e) => {
            tracing::error!(error = %e, "could not allocate a producer id");
            refused(ResponseError::KafkaStorageError)
        }
    }
}
