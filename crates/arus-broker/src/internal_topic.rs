//! Internal compacted topics (`__consumer_offsets`) used as the coordinators' durable state:
//! creating them on first use, appending key/value records, and reading them back at start-up.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use crate::broker::now_ms;
use crate::catalog::{Catalog, CatalogError, Topic};
use crate::config::BrokerConfig;
use crate::partition::Partition;

/// The topic holding committed offsets and group metadata.
pub const CONSUMER_OFFSETS: &str = "__consumer_offsets";

/// A record of an internal topic; a `None` value is a tombstone.
pub type KeyValue = (Bytes, Option<Bytes>);

/// Returns `__consumer_offsets`, creating it (compacted, `offsets.topic.num.partitions`
/// partitions) if this is the first time any group is used, as Kafka does.
pub fn consumer_offsets(
    catalog: &Catalog,
    config: &BrokerConfig,
) -> Result<Arc<Topic>, CatalogError> {
    if let Some(topic) = catalog.topic(CONSUMER_OFFSETS) {
        return Ok(topic);
    }
    let mut configs = BTreeMap::new();
    configs.insert("cleanup.policy".to_string(), "compact".to_string());
    configs.insert(
        "segment.bytes".to_string(),
        config.offsets_topic_segment_bytes().to_string(),
    );
    configs.insert("compression.type".to_string(), "producer".to_string());
    match catalog.create_topic(
        CONSUMER_OFFSETS,
        config.offsets_topic_num_partitions(),
        configs,
        now_ms(),
    ) {
        Ok(topic) => Ok(topic),
        Err(CatalogError::TopicExists(_)) => catalog
            .topic(CONSUMER_OFFSETS)
            .ok_or_else(|| CatalogError::UnknownTopic(CONSUMER_OFFSETS.into())),
        Err(e) => Err(e),
    }
}

/// Appends records as one uncompressed batch, stamped with the current time.
pub fn append(partition: &Partition, records: &[KeyValue]) -> Result<(), String> {
    if records.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let batch: Vec<Record> = records
        .iter()
        .enumerate()
        .map(|(i, (key, value))| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder keeps records in one batch while offset - sequence is constant.
            sequence: i as i32 - 1,
            timestamp: now,
            key: Some(key.clone()),
            value: value.clone(),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &batch,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .map_err(|e| e.to_string())?;
    partition
        .append(&mut buf, now)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Every keyed record of a partition from its log start up to its high watermark, in order.
pub fn read_all(partition: &Partition) -> Result<Vec<KeyValue>, String> {
    let mut out = Vec::new();
    let mut offset = partition.offsets().log_start;
    loop {
        let (slice, offsets) = partition.read(offset).map_err(|e| e.to_string())?;
        if offset >= offsets.high_watermark || slice.is_empty() {
            return Ok(out);
        }
        let mut bytes = slice.read(8 << 20, true).map_err(|e| e.to_string())?;
        if bytes.is_empty() {
            return Ok(out);
        }
        let sets = RecordBatchDecoder::decode_all(&mut bytes).map_err(|e| e.to_string())?;
        let mut next = offset;
        for set in sets {
            for r in set.records {
                next = next.max(r.offset + 1);
                if r.offset < offset {
                    continue; // the fetch began at a batch holding earlier offsets
                }
                if let Some(key) = r.key {
                    out.push((key, r.value));
                }
            }
        }
        if next <= offset {
            return Err(format!(
                "no progress reading {}-{} at offset {offset}",
                partition.topic, partition.index
            ));
        }
        offset = next;
    }
}
