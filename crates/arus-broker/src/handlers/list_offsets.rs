//! ListOffsets: earliest, latest, by timestamp, and the record with the largest timestamp.

use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
use kafka_protocol::ResponseError;

use crate::broker::Broker;
use crate::partition::{Partition, LEADER_EPOCH};

/// Special timestamps of ListOffsets.
const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;
const READ_COMMITTED: i8 = 1;

/// Answers ListOffsets.
pub fn handle(broker: &Broker, version: i16, request: ListOffsetsRequest) -> ListOffsetsResponse {
    let read_committed = request.isolation_level == READ_COMMITTED;
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            let found = broker.catalog.topic(&topic.name.0);
            let partitions = topic
                .partitions
                .into_iter()
                .map(|p| {
                    let base = ListOffsetsPartitionResponse::default()
                        .with_partition_index(p.partition_index)
                        .with_timestamp(-1)
                        .with_offset(-1)
                        .with_leader_epoch(-1);
                    let Some(partition) =
                        found.as_ref().and_then(|t| t.partition(p.partition_index))
                    else {
                        return base.with_error_code(ResponseError::UnknownTopicOrPartition.code());
                    };
                    if p.current_leader_epoch > LEADER_EPOCH {
                        return base.with_error_code(ResponseError::UnknownLeaderEpoch.code());
                    }
                    match lookup(partition, p.timestamp, read_committed) {
                        Ok(Some((offset, timestamp))) => base
                            .with_offset(offset)
                            .with_timestamp(timestamp)
                            // The field exists from v4 on.
                            .with_leader_epoch(if version >= 4 { LEADER_EPOCH } else { -1 }),
                        Ok(None) => base,
                        Err(e) => base.with_error_code(e.code()),
                    }
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    ListOffsetsResponse::default().with_topics(topics)
}

/// (offset, timestamp) for a ListOffsets query, None when no record matches.
fn lookup(
    partition: &Partition,
    timestamp: i64,
    read_committed: bool,
) -> Result<Option<(i64, i64)>, ResponseError> {
    let offsets = partition.offsets();
    let storage = |e: arus_log::LogError| {
        tracing::error!(topic = %partition.topic, partition = partition.index, error = %e, "offset lookup failed");
        ResponseError::KafkaStorageError
    };
    match timestamp {
        LATEST => Ok(Some((
            if read_committed {
                offsets.last_stable
            } else {
                offsets.high_watermark
            },
            -1,
        ))),
        EARLIEST | EARLIEST_LOCAL => Ok(Some((offsets.log_start, -1))),
        // No tiered storage: nothing has been tiered.
        LATEST_TIERED => Ok(Some((-1, -1))),
        MAX_TIMESTAMP => partition.log().max_timestamp_offset().map_err(storage),
        ts if ts >= 0 => {
            let found = partition.log().offset_for_timestamp(ts).map_err(storage)?;
            // Only committed records are visible.
            Ok(found.filter(|(offset, _)| *offset < offsets.high_watermark))
        }
        _ => Err(ResponseError::InvalidRequest),
    }
}
