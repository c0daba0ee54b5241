//! Produce: validate each partition's record batches and append them; acks=0 gets no answer.
//!
//! As the only replica, the leader's append is also the in-sync replicas' append, so acks=1
//! and acks=-1 are answered as soon as the batches are in the log.

use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::ResponseError;
use tracing::warn;

use super::str_bytes;
use crate::broker::{now_ms, Broker};
use crate::catalog::Topic;
use std::sync::Arc;

/// Answers Produce; None when the client asked for no answer (acks=0).
pub fn handle(broker: &Broker, version: i16, request: ProduceRequest) -> Option<ProduceResponse> {
    let acks = request.acks;
    let acks_valid = (-1..=1).contains(&acks);
    let now = now_ms();
    let mut responses = Vec::with_capacity(request.topic_data.len());
    for topic_data in request.topic_data {
        let topic: Option<Arc<Topic>> = if version >= 13 {
            broker.catalog.topic_by_id(&topic_data.topic_id)
        } else {
            broker.catalog.topic(&topic_data.name.0)
        };
        let missing = if version >= 13 {
            ResponseError::UnknownTopicId
        } else {
            ResponseError::UnknownTopicOrPartition
        };
        let mut partitions = Vec::with_capacity(topic_data.partition_data.len());
        for data in topic_data.partition_data {
            let result = if !acks_valid {
                Err((ResponseError::InvalidRequiredAcks, None))
            } else if broker.is_shutting_down() {
                Err((ResponseError::NotLeaderOrFollower, None))
            } else {
                match topic.as_ref() {
                    None => Err((missing, None)),
                    // Only the broker itself writes internal topics, as in Kafka.
                    Some(t) if t.is_internal() => Err((
                        ResponseError::InvalidTopicException,
                        Some(format!("Cannot append to internal topic {}", t.name)),
                    )),
                    Some(t) => match t.partition(data.index) {
                        None => Err((ResponseError::UnknownTopicOrPartition, None)),
                        Some(p) => check_transactional(broker, p, data.records.as_deref())
                            .and_then(|_| {
                                if broker.catalog.is_compacted(t) {
                                    check_keys(p, data.records.as_deref())
                                } else {
                                    Ok(())
                                }
                            })
                            .and_then(|_| append(p, data.records.as_deref(), now)),
                    },
                }
            };
            partitions.push(match result {
                Ok(info) => {
                    if let Some(t) = &topic {
                        let bytes = data.records.as_ref().map_or(0, |r| r.len() as u64);
                        broker.metrics.record_produced(&t.name, info.record_count, bytes);
                    }
                    PartitionProduceResponse::default()
                        .with_index(data.index)
                        .with_base_offset(info.base_offset)
                        .with_log_append_time_ms(info.log_append_time)
                        .with_log_start_offset(info.log_start_offset)
                }
                Err((error, message)) => {
                    if let (Some(msg), Some(t)) = (&message, topic.as_ref()) {
                        warn!(topic = %t.name, partition = data.index, error = ?error, reason = %msg, "refused produce");
                    }
                    PartitionProduceResponse::default()
                        .with_index(data.index)
                        .with_error_code(error.code())
                        .with_error_message(message.map(|m| str_bytes(&m)))
                        .with_base_offset(-1)
                        .with_log_append_time_ms(-1)
                        .with_log_start_offset(-1)
                }
            });
        }
        responses.push(
            TopicProduceResponse::default()
                .with_name(topic_data.name)
                .with_topic_id(topic_data.topic_id)
                .with_partition_responses(partitions),
        );
    }
    (acks != 0).then(|| ProduceResponse::default().with_responses(responses))
}

type AppendResult = Result<arus_log::AppendInfo, (ResponseError, Option<String>)>;

/// A compacted topic keeps the latest value per key, so a record without a key could never
/// be compacted: Kafka refuses the whole batch. This decodes (and decompresses) the records,
/// which only compacted topics pay for.
fn check_keys(
    partition: &crate::partition::Partition,
    records: Option<&[u8]>,
) -> Result<(), (ResponseError, Option<String>)> {
    let Some(records) = records else {
        return Ok(()); // refused by the append
    };
    let mut buf = bytes::Bytes::copy_from_slice(records);
    // Undecodable input is left to the append, which refuses it with the precise error.
    let Ok(sets) = kafka_protocol::records::RecordBatchDecoder::decode_all(&mut buf) else {
        return Ok(());
    };
    let keyless = sets
        .iter()
        .flat_map(|s| s.records.iter())
        .any(|r| !r.control && r.key.is_none());
    if keyless {
        return Err((
            ResponseError::InvalidRecord,
            Some(format!(
                "Compacted topic cannot accept message without key in topic partition {}-{}.",
                partition.topic, partition.index
            )),
        ));
    }
    Ok(())
}

/// Clients may not write transaction markers, and a transactional batch must belong to its
/// producer's ongoing transaction in this partition: a write the coordinator does not know
/// about could never be committed or aborted and would hold back read_committed readers
/// forever (the hanging transactions KIP-890 closes).
fn check_transactional(
    broker: &Broker,
    partition: &crate::partition::Partition,
    records: Option<&[u8]>,
) -> Result<(), (ResponseError, Option<String>)> {
    let Some(header) = records.and_then(|r| arus_log::parse_header(r).ok()) else {
        return Ok(()); // malformed input is refused by the append with its own error
    };
    if header.is_control() {
        return Err((
            ResponseError::InvalidRecord,
            Some("clients may not write control batches".into()),
        ));
    }
    if header.is_transactional()
        && !broker.transactions.partition_in_transaction(
            header.producer_id,
            header.producer_epoch,
            &partition.topic,
            partition.index,
        )
    {
        return Err((
            ResponseError::InvalidTxnState,
            Some(format!(
                "producer {} (epoch {}) has not added {}-{} to an ongoing transaction",
                header.producer_id, header.producer_epoch, partition.topic, partition.index
            )),
        ));
    }
    Ok(())
}

fn append(
    partition: &crate::partition::Partition,
    records: Option<&[u8]>,
    now: i64,
) -> AppendResult {
    let Some(records) = records else {
        return Err((
            ResponseError::InvalidRecord,
            Some("produce request has null records".into()),
        ));
    };
    partition.append(records, now).map_err(|e| {
        let code = ResponseError::try_from_code(e.kafka_error_code())
            .unwrap_or(ResponseError::UnknownServerError);
        (code, Some(e.to_string()))
    })
}
