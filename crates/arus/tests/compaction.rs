//! Compacted topics with real clients: records without a key are refused.

mod common;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::FutureRecord;

use common::{block_on, watermarks, TestBroker, CLIENT_TIMEOUT};

/// A compacted topic keeps the latest value per key, so Kafka refuses keyless records
/// (INVALID_RECORD) and writes nothing of the batch; other topics accept them.
#[test]
fn keyless_records_are_refused_on_compacted_topics() {
    let broker = TestBroker::start();
    broker.create_topic("users", 1, &[("cleanup.policy", "compact")]);
    broker.create_topic("users-history", 1, &[("cleanup.policy", "compact,delete")]);
    broker.create_topic("events", 1, &[]);
    let producer = broker.producer_with(&[("retries", "0")]);
    for topic in ["users", "users-history"] {
        let refused = block_on(
            producer.send(
                FutureRecord::<[u8], [u8]>::to(topic)
                    .partition(0)
                    .payload(b"no key"),
                CLIENT_TIMEOUT,
            ),
        );
        match refused {
            Err((KafkaError::MessageProduction(code), _)) => {
                assert_eq!(code, RDKafkaErrorCode::InvalidRecord, "{topic}")
            }
            other => panic!("{topic}: keyless record was not refused: {other:?}"),
        }
        let kept = block_on(
            producer.send(
                FutureRecord::<[u8], [u8]>::to(topic)
                    .partition(0)
                    .key(b"u1")
                    .payload(b"alice"),
                CLIENT_TIMEOUT,
            ),
        )
        .unwrap_or_else(|(e, _)| panic!("{topic}: keyed record refused: {e}"));
        assert_eq!(
            kept.offset, 0,
            "{topic}: nothing of the refused batch was written"
        );
        assert_eq!(watermarks(&broker, topic, 0), (0, 1));
    }
    let plain = block_on(
        producer.send(
            FutureRecord::<[u8], [u8]>::to("events")
                .partition(0)
                .payload(b"no key"),
            CLIENT_TIMEOUT,
        ),
    );
    assert!(plain.is_ok(), "a delete-policy topic takes keyless records");
    assert!(broker
        .stderr()
        .contains("Compacted topic cannot accept message without key in topic partition users-0."));
}
