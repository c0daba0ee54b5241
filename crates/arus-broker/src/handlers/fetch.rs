//! Fetch: read batches from partition logs, long-polling until `min_bytes` are available or
//! `max_wait_ms` passes; fetch sessions (KIP-227) trim what is sent.
//!
//! For a client socket the batches are not read at all: each partition's whole batches are
//! chosen as a segment file range, the response carries a stand-in of the same length, and
//! the connection sends the range with `sendfile` in its place (see `response_buf.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::fetch_response::{
    AbortedTransaction, FetchableTopicResponse, PartitionData,
};
use kafka_protocol::messages::{BrokerId, FetchRequest, FetchResponse, ProducerId, TopicName};
use kafka_protocol::ResponseError;
use tokio::sync::Notify;

use crate::broker::Broker;
use crate::catalog::Topic;
use crate::fetch_session::{FetchPlan, SentOffsets, TopicKey, WantedPartition};
use crate::partition::{PartitionOffsets, LEADER_EPOCH};

/// isolation_level value of read_committed consumers.
const READ_COMMITTED: i8 = 1;

/// Bytes of address space stand-ins are cut from: a fetch response larger than this reads
/// the rest of its batches instead.
const STAND_IN_SPACE: usize = 64 << 20;

/// Stand-ins for batches still in segment files: distinct ranges of one read-only anonymous
/// mapping that is never written (address space, not memory). A response's stand-ins start at
/// different addresses, which is how the response buffer tells them apart. Empty if the
/// mapping cannot be made: every fetch then reads its batches.
#[allow(unsafe_code)]
fn stand_in_space() -> &'static [u8] {
    static SPACE: std::sync::OnceLock<&'static [u8]> = std::sync::OnceLock::new();
    SPACE.get_or_init(|| {
        // SAFETY: a fresh private anonymous read-only mapping, never unmapped, so the slice
        // over it stays valid (and zero) for the life of the process.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                STAND_IN_SPACE,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                &[]
            } else {
                std::slice::from_raw_parts(p.cast::<u8>(), STAND_IN_SPACE)
            }
        }
    })
}

/// How a fetch delivers the chosen batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// Read into memory (in-process callers such as the web console).
    Read,
    /// Left in the segment files for `sendfile` (client sockets).
    FileRanges,
}

/// The outcome of reading one partition.
struct PartitionRead {
    wanted: WantedPartition,
    error: Option<ResponseError>,
    offsets: Option<PartitionOffsets>,
    /// The batches, or a stand-in of their length when `file` holds them.
    records: Bytes,
    /// The batches in their segment file (FileRanges delivery).
    file: Option<arus_log::FileRange>,
    /// Aborted transactions the records overlap (read_committed only).
    aborted: Vec<arus_log::AbortedTxn>,
}

/// Answers Fetch with the records in memory, waiting for data as the request allows.
pub async fn handle(broker: &Broker, version: i16, request: FetchRequest) -> FetchResponse {
    fetch(broker, version, request, Delivery::Read).await.0
}

/// Answers Fetch for a client socket: the response's records fields hold stand-ins, each
/// returned with the segment file range to send in its place.
pub async fn handle_for_socket(
    broker: &Broker,
    version: i16,
    request: FetchRequest,
) -> (FetchResponse, Vec<(Bytes, arus_log::FileRange)>) {
    fetch(broker, version, request, Delivery::FileRanges).await
}

async fn fetch(
    broker: &Broker,
    version: i16,
    request: FetchRequest,
    delivery: Delivery,
) -> (FetchResponse, Vec<(Bytes, arus_log::FileRange)>) {
    let by_id = version >= 13;
    let key_of = |name: &TopicName, id: uuid::Uuid| {
        if by_id {
            TopicKey::Id(id)
        } else {
            TopicKey::Name(name.0.clone())
        }
    };
    let mut wanted = Vec::new();
    let mut epoch_errors = Vec::new();
    for topic in &request.topics {
        for p in &topic.partitions {
            let w = WantedPartition {
                topic: key_of(&topic.topic, topic.topic_id),
                partition: p.partition,
                fetch_offset: p.fetch_offset,
                max_bytes: p.partition_max_bytes,
            };
            if p.current_leader_epoch > LEADER_EPOCH {
                epoch_errors.push((w.topic.clone(), w.partition));
            }
            wanted.push(w);
        }
    }
    let forgotten: Vec<(TopicKey, i32)> = request
        .forgotten_topics_data
        .iter()
        .flat_map(|t| {
            let key = key_of(&t.topic, t.topic_id);
            t.partitions.iter().map(move |p| (key.clone(), *p))
        })
        .collect();
    let plan = broker.fetch_sessions().plan(
        request.session_id,
        request.session_epoch,
        wanted,
        &forgotten,
        Instant::now(),
    );
    let plan = match plan {
        Ok(plan) => plan,
        Err(error) => {
            let response = FetchResponse::default()
                .with_error_code(error.code())
                .with_session_id(0);
            return (response, Vec::new());
        }
    };
    let (session_id, to_read, previously_sent, incremental) = match plan {
        FetchPlan::Full {
            session_id,
            partitions,
        } => {
            let n = partitions.len();
            (session_id, partitions, vec![None; n], false)
        }
        FetchPlan::Incremental {
            session_id,
            partitions,
        } => {
            let (w, s): (Vec<_>, Vec<_>) = partitions.into_iter().unzip();
            (session_id, w, s, true)
        }
    };
    let read_committed = request.isolation_level == READ_COMMITTED;
    let deadline = Instant::now() + Duration::from_millis(request.max_wait_ms.max(0) as u64);
    // Woken by an append to one of the partitions read (each registers it before reading).
    let data_arrived = Arc::new(Notify::new());
    let reads = loop {
        let reads = read_all(
            broker,
            &to_read,
            &epoch_errors,
            request.max_bytes,
            read_committed,
            &data_arrived,
            delivery,
        );
        let bytes: usize = reads.iter().map(|r| r.records.len()).sum();
        let has_error = reads.iter().any(|r| r.error.is_some());
        if bytes as i64 >= i64::from(request.min_bytes)
            || has_error
            || Instant::now() >= deadline
            || broker.is_shutting_down()
        {
            break reads;
        }
        tokio::select! {
            _ = data_arrived.notified() => {}
            _ = tokio::time::sleep_until(deadline.into()) => {}
        }
    };

    let mut topics: Vec<FetchableTopicResponse> = Vec::new();
    let mut files = Vec::new();
    for (read, sent_before) in reads.into_iter().zip(previously_sent) {
        let sent_now = read.offsets.map(|o| SentOffsets {
            high_watermark: o.high_watermark,
            last_stable: o.last_stable,
            log_start: o.log_start,
        });
        if incremental && read.error.is_none() && read.records.is_empty() && sent_now == sent_before
        {
            continue;
        }
        if session_id != 0 {
            if let Some(sent) = sent_now {
                broker.fetch_sessions().record_sent(
                    session_id,
                    &read.wanted.topic,
                    read.wanted.partition,
                    sent,
                );
            }
        }
        let data = partition_data(&read, read_committed);
        if let Some(range) = read.file {
            files.push((read.records, range));
        }
        let same_topic = topics.last().is_some_and(|t| match &read.wanted.topic {
            TopicKey::Id(id) => t.topic_id == *id,
            TopicKey::Name(name) => t.topic.0 == *name,
        });
        if same_topic {
            if let Some(t) = topics.last_mut() {
                t.partitions.push(data);
            }
        } else {
            let t = match &read.wanted.topic {
                TopicKey::Id(id) => FetchableTopicResponse::default().with_topic_id(*id),
                TopicKey::Name(name) => {
                    FetchableTopicResponse::default().with_topic(TopicName(name.clone()))
                }
            };
            topics.push(t.with_partitions(vec![data]));
        }
    }
    let response = FetchResponse::default()
        .with_session_id(session_id)
        .with_responses(topics);
    (response, files)
}

fn partition_data(read: &PartitionRead, read_committed: bool) -> PartitionData {
    let (hw, lso, start) = read
        .offsets
        .map(|o| (o.high_watermark, o.last_stable, o.log_start))
        .unwrap_or((-1, -1, -1));
    PartitionData::default()
        .with_partition_index(read.wanted.partition)
        .with_error_code(read.error.map(|e| e.code()).unwrap_or(0))
        .with_high_watermark(hw)
        .with_last_stable_offset(lso)
        .with_log_start_offset(start)
        .with_aborted_transactions(read_committed.then(|| {
            read.aborted
                .iter()
                .map(|a| {
                    AbortedTransaction::default()
                        .with_producer_id(ProducerId(a.producer_id))
                        .with_first_offset(a.first_offset)
                })
                .collect()
        }))
        .with_preferred_read_replica(BrokerId(-1))
        // Never null: clients expect empty bytes for a partition without data.
        .with_records(Some(read.records.clone()))
}

fn read_all(
    broker: &Broker,
    to_read: &[WantedPartition],
    epoch_errors: &[(TopicKey, i32)],
    max_bytes: i32,
    read_committed: bool,
    data_arrived: &Arc<Notify>,
    delivery: Delivery,
) -> Vec<PartitionRead> {
    let mut stand_in_at = 0usize;
    let mut budget = max_bytes.max(0) as usize;
    let mut returned_any = false;
    let mut cached: Option<(TopicKey, Option<Arc<Topic>>)> = None;
    to_read
        .iter()
        .map(|w| {
            let topic = match &cached {
                Some((key, topic)) if *key == w.topic => topic.clone(),
                _ => {
                    let topic = match &w.topic {
                        TopicKey::Id(id) => broker.catalog.topic_by_id(id),
                        TopicKey::Name(name) => broker.catalog.topic(name),
                    };
                    cached = Some((w.topic.clone(), topic.clone()));
                    topic
                }
            };
            let mut read = PartitionRead {
                wanted: w.clone(),
                error: None,
                offsets: None,
                records: Bytes::new(),
                file: None,
                aborted: Vec::new(),
            };
            let unknown = match w.topic {
                TopicKey::Id(_) => ResponseError::UnknownTopicId,
                TopicKey::Name(_) => ResponseError::UnknownTopicOrPartition,
            };
            let Some(partition) = topic.as_ref().and_then(|t| t.partition(w.partition)) else {
                read.error = Some(if topic.is_some() {
                    ResponseError::UnknownTopicOrPartition
                } else {
                    unknown
                });
                return read;
            };
            if epoch_errors.iter().any(|(t, p)| *t == w.topic && *p == w.partition) {
                read.error = Some(ResponseError::UnknownLeaderEpoch);
                return read;
            }
            partition.wake_on_append(data_arrived);
            // read_committed readers stop at the last stable offset and learn which
            // transactions in the data were aborted.
            let planned = if read_committed {
                partition.read_committed(w.fetch_offset)
            } else {
                partition
                    .read(w.fetch_offset)
                    .map(|(slice, offsets)| (slice, offsets, Vec::new()))
            };
            match planned {
                Err(arus_log::LogError::OffsetOutOfRange { .. }) => {
                    read.offsets = Some(partition.offsets());
                    read.error = Some(ResponseError::OffsetOutOfRange);
                }
                Err(e) => {
                    tracing::error!(topic = %partition.topic, partition = partition.index, error = %e, "fetch failed");
                    read.error = Some(ResponseError::KafkaStorageError);
                }
                Ok((slice, offsets, aborted)) => {
                    read.offsets = Some(offsets);
                    read.aborted = aborted;
                    let limit = budget.min(w.max_bytes.max(0) as usize);
                    if !slice.is_empty() && (limit > 0 || !returned_any) {
                        let delivered = slice.plan(limit, !returned_any).and_then(|range| {
                            let counts = (range.records, range.len as u64);
                            deliver(range, delivery, &mut stand_in_at).map(|d| (d, counts))
                        });
                        match delivered {
                            Ok(((records, file), (count, bytes))) => {
                                broker.metrics.record_fetched(&partition.topic, count, bytes);
                                budget = budget.saturating_sub(records.len());
                                returned_any |= !records.is_empty();
                                read.records = records;
                                read.file = file;
                            }
                            Err(e) => {
                                tracing::error!(topic = %partition.topic, partition = partition.index, error = %e, "fetch read failed");
                                read.error = Some(ResponseError::KafkaStorageError);
                            }
                        }
                    }
                }
            }
            read
        })
        .collect()
}

/// The records field for a planned range, with the range itself when it is to be sent from
/// the file (the field is then a stand-in). A range too large for the stand-ins is read.
fn deliver(
    range: arus_log::FileRange,
    delivery: Delivery,
    stand_in_at: &mut usize,
) -> std::io::Result<(Bytes, Option<arus_log::FileRange>)> {
    if range.len == 0 {
        return Ok((Bytes::new(), None));
    }
    // Planning already read a small fetch whole: one write of the response beats a sendfile
    // between two writes.
    if let Some(bytes) = range.bytes {
        return Ok((bytes, None));
    }
    if delivery == Delivery::FileRanges {
        if let Some(stand_in) = stand_in_space().get(*stand_in_at..*stand_in_at + range.len) {
            *stand_in_at += 1;
            return Ok((Bytes::from_static(stand_in), Some(range)));
        }
    }
    Ok((range.read()?, None))
}
