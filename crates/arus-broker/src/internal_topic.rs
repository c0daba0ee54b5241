//! Internal compacted topics (`__consumer_offsets`, `__transaction_state`) used as the
//! coordinators' durable state: creating them on first use, appending key/value records
//! (transactional ones for offsets committed inside a transaction), and reading them back,
//! transaction markers included, at start-up.

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
/// The topic holding the transaction coordinator's state.
pub const TRANSACTION_STATE: &str = "__transaction_state";

/// A record of an internal topic; a `None` value is a tombstone.
pub type KeyValue = (Bytes, Option<Bytes>);

/// What reading an internal partition back yields, in log order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A keyed record; `producer` is set for records of a transactional batch.
    Record {
        /// The key.
        key: Bytes,
        /// The value; `None` is a tombstone.
        value: Option<Bytes>,
        /// The producer of a transactional batch.
        producer: Option<i64>,
    },
    /// A transaction marker ending `producer_id`'s transaction.
    Marker {
        /// The producer whose transaction ends.
        producer_id: i64,
        /// Commit (true) or abort.
        commit: bool,
    },
}

/// Returns `__consumer_offsets`, creating it (compacted, `offsets.topic.num.partitions`
/// partitions) if this is the first time any group is used, as Kafka does.
pub fn consumer_offsets(
    catalog: &Catalog,
    config: &BrokerConfig,
) -> Result<Arc<Topic>, CatalogError> {
    internal(
        catalog,
        CONSUMER_OFFSETS,
        config.offsets_topic_num_partitions(),
        config.offsets_topic_segment_bytes(),
    )
}

/// Returns `__transaction_state`, creating it (compacted,
/// `transaction.state.log.num.partitions` partitions) on the first transactional use.
pub fn transaction_state(
    catalog: &Catalog,
    config: &BrokerConfig,
) -> Result<Arc<Topic>, CatalogError> {
    internal(
        catalog,
        TRANSACTION_STATE,
        config.transaction_state_log_num_partitions(),
        config.transaction_state_log_segment_bytes(),
    )
}

fn internal(
    catalog: &Catalog,
    name: &str,
    partitions: i32,
    segment_bytes: i32,
) -> Result<Arc<Topic>, CatalogError> {
    if let Some(topic) = catalog.topic(name) {
        return Ok(topic);
    }
    let mut configs = BTreeMap::new();
    configs.insert("cleanup.policy".to_string(), "compact".to_string());
    configs.insert("segment.bytes".to_string(), segment_bytes.to_string());
    configs.insert("compression.type".to_string(), "producer".to_string());
    match catalog.create_topic(name, partitions, configs, now_ms()) {
        Ok(topic) => Ok(topic),
        Err(CatalogError::TopicExists(_)) => catalog
            .topic(name)
            .ok_or_else(|| CatalogError::UnknownTopic(name.into())),
        Err(e) => Err(e),
    }
}

/// Appends records as one uncompressed batch, stamped with the current time.
pub fn append(partition: &Partition, records: &[KeyValue]) -> Result<(), String> {
    append_as(partition, records, None)
}

/// Appends records as one batch; with `producer` (ID, epoch) the batch is transactional,
/// written on the producer's behalf by a coordinator (no sequence number: coordinator
/// writes are not de-duplicated), and its transaction's marker decides its fate.
pub fn append_as(
    partition: &Partition,
    records: &[KeyValue],
    producer: Option<(i64, i16)>,
) -> Result<(), String> {
    if records.is_empty() {
        return Ok(());
    }
    let (producer_id, producer_epoch) = producer.unwrap_or((-1, -1));
    let now = now_ms();
    let batch: Vec<Record> = records
        .iter()
        .enumerate()
        .map(|(i, (key, value))| Record {
            transactional: producer.is_some(),
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id,
            producer_epoch,
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
        .append(&buf, now)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Every keyed record of a partition from its log start up to its high watermark, in order.
pub fn read_all(partition: &Partition) -> Result<Vec<KeyValue>, String> {
    Ok(read_entries(partition)?
        .into_iter()
        .filter_map(|e| match e {
            Entry::Record { key, value, .. } => Some((key, value)),
            Entry::Marker { .. } => None,
        })
        .collect())
}

/// Every record and transaction marker of a partition up to its high watermark, in order.
pub fn read_entries(partition: &Partition) -> Result<Vec<Entry>, String> {
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
        // Progress is measured by batch headers, not records: compaction leaves batches
        // with no records (kept for their producer's sequence) and gaps between offsets.
        let mut next = offset;
        let mut pos = 0;
        while let Some(header) = bytes
            .get(pos..)
            .and_then(|b| arus_log::parse_header(b).ok())
        {
            next = next.max(header.next_offset());
            let Some(size) = header.total_size() else {
                break;
            };
            pos += size;
        }
        let sets = RecordBatchDecoder::decode_all(&mut bytes).map_err(|e| e.to_string())?;
        for set in sets {
            for r in set.records {
                next = next.max(r.offset + 1);
                if r.offset < offset {
                    continue; // the fetch began at a batch holding earlier offsets
                }
                if r.control {
                    // A control record's key is (version i16, type i16): 0 abort, 1 commit.
                    if let Some(key) = r.key.filter(|k| k.len() >= 4) {
                        out.push(Entry::Marker {
                            producer_id: r.producer_id,
                            commit: i16::from_be_bytes([key[2], key[3]]) == 1,
                        });
                    }
                } else if let Some(key) = r.key {
                    out.push(Entry::Record {
                        key,
                        value: r.value,
                        producer: r.transactional.then_some(r.producer_id),
                    });
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
