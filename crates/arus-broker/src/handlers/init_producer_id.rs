//! InitProducerId: idempotent producers get a fresh producer ID with epoch 0; transactional
//! producers get their transactional ID's producer ID with a bumped epoch from the
//! transaction coordinator, which fences older instances.

use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};
use kafka_protocol::ResponseError;

use crate::broker::Broker;

/// Answers InitProducerId.
pub fn handle(
    broker: &Broker,
    version: i16,
    request: InitProducerIdRequest,
) -> InitProducerIdResponse {
    let refused = |e: ResponseError| {
        InitProducerIdResponse::default()
            .with_error_code(e.code())
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1)
    };
    if let Some(id) = request.transactional_id.as_ref().map(|t| t.0.to_string()) {
        let expected =
            (request.producer_id.0 >= 0).then_some((request.producer_id.0, request.producer_epoch));
        let mut allocate = || broker.producer_ids.next_id().ok();
        let result = broker.transactions.apply(broker, |c, now| {
            c.init_producer_id(
                &id,
                request.transaction_timeout_ms,
                expected,
                now,
                &mut allocate,
            )
        });
        return match result {
            Ok((pid, epoch)) => InitProducerIdResponse::default()
                .with_producer_id(ProducerId(pid))
                .with_producer_epoch(epoch),
            // PRODUCER_FENCED exists from v4 (KIP-588); older clients know the epoch error.
            Err(ResponseError::ProducerFenced) if version < 4 => {
                refused(ResponseError::InvalidProducerEpoch)
            }
            Err(e) => refused(e),
        };
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
