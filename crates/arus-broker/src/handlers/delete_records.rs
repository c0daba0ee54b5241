//! DeleteRecords: advance partitions' log start offsets, dropping whole segments below them.

use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};
use kafka_protocol::ResponseError;

use crate::broker::Broker;

/// "Up to the high watermark" in a DeleteRecords request.
const HIGH_WATERMARK: i64 = -1;

/// Answers DeleteRecords.
pub fn handle(broker: &Broker, request: DeleteRecordsRequest) -> DeleteRecordsResponse {
    let topics = request
        .topics
        .into_iter()
        .map(|t| {
            let topic = broker.catalog.topic(&t.name.0);
            let partitions = t
                .partitions
                .into_iter()
                .map(|p| {
                    let base = DeleteRecordsPartitionResult::default()
                        .with_partition_index(p.partition_index)
                        .with_low_watermark(-1);
                    let Some(partition) = topic.as_ref().and_then(|t| t.partition(p.partition_index)) else {
                        return base.with_error_code(ResponseError::UnknownTopicOrPartition.code());
                    };
                    let mut log = partition.log();
                    let hw = log.high_watermark();
                    let target = if p.offset == HIGH_WATERMARK { hw } else { p.offset };
                    if target < 0 || target > hw {
                        return base.with_error_code(ResponseError::OffsetOutOfRange.code());
                    }
                    match log.delete_records_before(target) {
                        Ok(start) => base.with_low_watermark(start),
                        Err(arus_log::LogError::OffsetOutOfRange { .. }) => {
                            base.with_error_code(ResponseError::OffsetOutOfRange.code())
                        }
                        Err(e) => {
                            tracing::error!(topic = %partition.topic, partition = partition.index, error = %e, "delete records failed");
                            base.with_error_code(ResponseError::KafkaStorageError.code())
                        }
                    }
                })
                .collect();
            DeleteRecordsTopicResult::default()
                .with_name(t.name)
                .with_partitions(partitions)
        })
        .collect();
    DeleteRecordsResponse::default().with_topics(topics)
}
