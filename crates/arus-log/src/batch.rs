//! Kafka v2 record batch headers: parsing, produce-time validation, and the
//! in-place rewrite done at append (offsets, leader epoch, LogAppendTime).
//!
//! Layout (all big-endian): baseOffset i64 @0, batchLength i32 @8 (bytes
//! after this field), partitionLeaderEpoch i32 @12, magic i8 @16, crc u32 @17
//! (CRC-32C over bytes @21..end), attributes i16 @21, lastOffsetDelta i32
//! @23, baseTimestamp i64 @27, maxTimestamp i64 @35, producerId i64 @43,
//! producerEpoch i16 @51, baseSequence i32 @53, recordsCount i32 @57,
//! records @61.

use crate::config::TimestampType;
use crate::error::AppendError;
use crate::producer_state::ProducerBatch;

/// Size of the fixed v2 batch header (Kafka's RECORD_BATCH_OVERHEAD).
pub const BATCH_HEADER_SIZE: usize = 61;
/// Bytes before the part counted by batchLength: baseOffset + batchLength.
pub const LOG_OVERHEAD: usize = 12;
/// Smallest legal batchLength: a header with no records.
pub const MIN_BATCH_LENGTH: i32 = (BATCH_HEADER_SIZE - LOG_OVERHEAD) as i32;
/// The only record format Arus accepts.
pub const MAGIC_V2: i8 = 2;
/// Highest known compression codec (zstd).
pub const MAX_COMPRESSION_CODEC: u8 = 4;

const BASE_OFFSET_AT: usize = 0;
const LENGTH_AT: usize = 8;
const LEADER_EPOCH_AT: usize = 12;
const MAGIC_AT: usize = 16;
const CRC_AT: usize = 17;
const ATTRIBUTES_AT: usize = 21;
const LAST_OFFSET_DELTA_AT: usize = 23;
const BASE_TIMESTAMP_AT: usize = 27;
const MAX_TIMESTAMP_AT: usize = 35;
const PRODUCER_ID_AT: usize = 43;
const PRODUCER_EPOCH_AT: usize = 51;
const BASE_SEQUENCE_AT: usize = 53;
const RECORDS_COUNT_AT: usize = 57;

const TIMESTAMP_TYPE_BIT: i16 = 1 << 3;
const TRANSACTIONAL_BIT: i16 = 1 << 4;
const CONTROL_BIT: i16 = 1 << 5;

/// The decoded fixed header of one v2 record batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    /// Offset of the first record.
    pub base_offset: i64,
    /// Bytes following the batchLength field.
    pub batch_length: i32,
    /// Leader epoch of the leader that appended the batch.
    pub partition_leader_epoch: i32,
    /// Record format version (2).
    pub magic: i8,
    /// Stored CRC-32C of bytes 21..end.
    pub crc: u32,
    /// Codec, timestamp type, transactional and control bits.
    pub attributes: i16,
    /// lastOffset - baseOffset.
    pub last_offset_delta: i32,
    /// Timestamp of the first record (CreateTime) .
    pub base_timestamp: i64,
    /// Largest record timestamp, or the append time for LogAppendTime.
    pub max_timestamp: i64,
    /// Idempotent/transactional producer id, -1 if none.
    pub producer_id: i64,
    /// Producer epoch, -1 if none.
    pub producer_epoch: i16,
    /// Sequence number of the first record, -1 if none.
    pub base_sequence: i32,
    /// Number of records in the batch.
    pub records_count: i32,
}

impl BatchHeader {
    /// Whole batch size in bytes (12 + batchLength), `None` if batchLength is
    /// below the legal minimum.
    pub fn total_size(&self) -> Option<usize> {
        if self.batch_length < MIN_BATCH_LENGTH {
            return None;
        }
        usize::try_from(self.batch_length)
            .ok()
            .map(|len| len + LOG_OVERHEAD)
    }

    /// Offset of the last record (base + lastOffsetDelta).
    pub fn last_offset(&self) -> i64 {
        self.base_offset
            .saturating_add(i64::from(self.last_offset_delta))
    }

    /// The offset after this batch.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().saturating_add(1)
    }

    /// Compression codec id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd).
    pub fn compression_codec(&self) -> u8 {
        (self.attributes & 0x7) as u8
    }

    /// Whether records carry the producer's or the broker's timestamp.
    pub fn timestamp_type(&self) -> TimestampType {
        if self.attributes & TIMESTAMP_TYPE_BIT != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    /// Part of a transaction.
    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_BIT != 0
    }

    /// Holds a control record (transaction marker).
    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_BIT != 0
    }

    /// The producer identity of a data batch written by an idempotent producer.
    pub fn producer_batch(&self) -> Option<ProducerBatch> {
        (self.producer_id >= 0 && !self.is_control() && self.base_sequence >= 0).then_some(
            ProducerBatch {
                producer_id: self.producer_id,
                epoch: self.producer_epoch,
                first_seq: self.base_sequence,
                last_offset_delta: self.last_offset_delta,
                transactional: self.is_transactional(),
            },
        )
    }
}

fn read_array<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn read_i64(buf: &[u8], at: usize) -> Option<i64> {
    read_array::<8>(buf, at).map(i64::from_be_bytes)
}

fn read_i32(buf: &[u8], at: usize) -> Option<i32> {
    read_array::<4>(buf, at).map(i32::from_be_bytes)
}

fn read_i16(buf: &[u8], at: usize) -> Option<i16> {
    read_array::<2>(buf, at).map(i16::from_be_bytes)
}

fn write_bytes(buf: &mut [u8], at: usize, bytes: &[u8]) -> bool {
    match buf.get_mut(at..at.saturating_add(bytes.len())) {
        Some(dst) => {
            dst.copy_from_slice(bytes);
            true
        }
        None => false,
    }
}

/// Reads the batchLength field of a batch starting at `buf[0]`, if present.
pub fn peek_batch_length(buf: &[u8]) -> Option<i32> {
    read_i32(buf, LENGTH_AT)
}

/// Parses the 61-byte header at the start of `buf`. Checks only that enough
/// bytes are present; callers decide which field values they accept.
pub fn parse_header(buf: &[u8]) -> Result<BatchHeader, AppendError> {
    parse_header_opt(buf).ok_or_else(|| {
        AppendError::CorruptMessage(format!(
            "record batch header needs {BATCH_HEADER_SIZE} bytes, got {}",
            buf.len()
        ))
    })
}

fn parse_header_opt(buf: &[u8]) -> Option<BatchHeader> {
    Some(BatchHeader {
        base_offset: read_i64(buf, BASE_OFFSET_AT)?,
        batch_length: read_i32(buf, LENGTH_AT)?,
        partition_leader_epoch: read_i32(buf, LEADER_EPOCH_AT)?,
        magic: read_array::<1>(buf, MAGIC_AT).map(|b| b[0] as i8)?,
        crc: read_array::<4>(buf, CRC_AT).map(u32::from_be_bytes)?,
        attributes: read_i16(buf, ATTRIBUTES_AT)?,
        last_offset_delta: read_i32(buf, LAST_OFFSET_DELTA_AT)?,
        base_timestamp: read_i64(buf, BASE_TIMESTAMP_AT)?,
        max_timestamp: read_i64(buf, MAX_TIMESTAMP_AT)?,
        producer_id: read_i64(buf, PRODUCER_ID_AT)?,
        producer_epoch: read_i16(buf, PRODUCER_EPOCH_AT)?,
        base_sequence: read_i32(buf, BASE_SEQUENCE_AT)?,
        records_count: read_i32(buf, RECORDS_COUNT_AT)?,
    })
}

/// CRC-32C of a whole batch's CRC-covered part (bytes 21..end).
pub fn compute_crc(batch: &[u8]) -> u32 {
    crc32c::crc32c(batch.get(ATTRIBUTES_AT..).unwrap_or(&[]))
}

/// Facts about one batch of a validated produce buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchInfo {
    /// Byte position of the batch inside the validated buffer.
    pub position: usize,
    /// Whole batch size in bytes.
    pub size: usize,
    /// Records in the batch (= lastOffsetDelta + 1).
    pub record_count: u32,
    /// lastOffsetDelta as sent by the producer.
    pub last_offset_delta: u32,
    /// The batch's maxTimestamp as sent by the producer.
    pub max_timestamp: i64,
    /// The idempotent producer that wrote it, if any (control batches have none here:
    /// they carry no sequence).
    pub producer: Option<ProducerBatch>,
    /// A control batch (transaction marker): only the broker may write these.
    pub control: bool,
}

/// Result of [`validate_batches`]: per-batch facts and totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedBatches {
    /// One entry per batch, in buffer order.
    pub batches: Vec<BatchInfo>,
    /// Sum of record counts; the number of offsets the append consumes.
    pub record_count: u64,
    /// Total bytes (the whole buffer).
    pub total_bytes: usize,
    /// Largest maxTimestamp of all batches.
    pub max_timestamp: i64,
}

/// Checks that `buf` is exactly a non-empty sequence of valid v2 batches, as
/// a produce request must be. Reads headers and computes one CRC per batch;
/// records are not decoded.
pub fn validate_batches(
    buf: &[u8],
    max_message_bytes: usize,
) -> Result<ValidatedBatches, AppendError> {
    if buf.is_empty() {
        return Err(AppendError::CorruptMessage(
            "produce data contains no record batch".to_string(),
        ));
    }
    let mut batches = Vec::with_capacity(1);
    let mut record_count: u64 = 0;
    let mut max_timestamp = -1i64;
    let mut pos = 0usize;
    while let Some(rest) = buf.get(pos..).filter(|r| !r.is_empty()) {
        let info = validate_one(rest, pos, max_message_bytes)?;
        record_count += u64::from(info.record_count);
        max_timestamp = max_timestamp.max(info.max_timestamp);
        pos += info.size;
        batches.push(info);
    }
    Ok(ValidatedBatches {
        batches,
        record_count,
        total_bytes: buf.len(),
        max_timestamp,
    })
}

fn validate_one(
    rest: &[u8],
    pos: usize,
    max_message_bytes: usize,
) -> Result<BatchInfo, AppendError> {
    let corrupt = |msg: String| AppendError::CorruptMessage(msg);
    let Some(length) = peek_batch_length(rest) else {
        return Err(corrupt(format!(
            "{} trailing bytes at position {pos} are not a whole record batch",
            rest.len()
        )));
    };
    if let Some(&magic) = rest.get(MAGIC_AT) {
        let magic = magic as i8;
        if magic != MAGIC_V2 {
            return Err(AppendError::InvalidRecord(format!(
                "magic v{magic} not supported; produce requests need magic 2"
            )));
        }
    }
    if length < MIN_BATCH_LENGTH {
        return Err(corrupt(format!(
            "record batch at position {pos} has length {length}, below the minimum {MIN_BATCH_LENGTH}"
        )));
    }
    let size = length as usize + LOG_OVERHEAD;
    let Some(batch) = rest.get(..size) else {
        return Err(corrupt(format!(
            "record batch at position {pos} claims {size} bytes but only {} remain",
            rest.len()
        )));
    };
    if size > max_message_bytes {
        return Err(AppendError::MessageTooLarge(format!(
            "record batch of {size} bytes exceeds max.message.bytes {max_message_bytes}"
        )));
    }
    let header = parse_header(batch)?;
    let actual_crc = compute_crc(batch);
    if actual_crc != header.crc {
        return Err(corrupt(format!(
            "record batch at position {pos} fails its CRC: stored {:#010x}, computed {actual_crc:#010x}",
            header.crc
        )));
    }
    let codec = header.compression_codec();
    if codec > MAX_COMPRESSION_CODEC {
        return Err(AppendError::InvalidRecord(format!(
            "unknown compression codec {codec}"
        )));
    }
    if header.records_count < 1
        || i64::from(header.last_offset_delta) + 1 != i64::from(header.records_count)
    {
        return Err(AppendError::InvalidRecord(format!(
            "record batch at position {pos} has {} records but lastOffsetDelta {}",
            header.records_count, header.last_offset_delta
        )));
    }
    Ok(BatchInfo {
        position: pos,
        size,
        record_count: header.records_count as u32,
        last_offset_delta: header.last_offset_delta as u32,
        max_timestamp: header.max_timestamp,
        producer: header.producer_batch(),
        control: header.is_control(),
    })
}

/// Rewrites one batch in place at append: sets baseOffset and
/// partitionLeaderEpoch (not covered by the CRC). With `log_append_time`
/// set, marks the batch LogAppendTime with maxTimestamp = that time; without
/// it, clears a stray LogAppendTime bit. The CRC is recomputed only when a
/// covered byte changed.
pub fn rewrite_batch(
    batch: &mut [u8],
    base_offset: i64,
    leader_epoch: i32,
    log_append_time: Option<i64>,
) -> Result<(), AppendError> {
    let header = parse_header(batch)?;
    let size = header
        .total_size()
        .filter(|&s| s <= batch.len())
        .ok_or_else(|| AppendError::CorruptMessage("record batch length out of range".into()))?;
    let batch = batch
        .get_mut(..size)
        .ok_or_else(|| AppendError::CorruptMessage("record batch length out of range".into()))?;
    write_bytes(batch, BASE_OFFSET_AT, &base_offset.to_be_bytes());
    write_bytes(batch, LEADER_EPOCH_AT, &leader_epoch.to_be_bytes());
    if let Some(attributes) = covered_change(&header, log_append_time) {
        write_bytes(batch, ATTRIBUTES_AT, &attributes.to_be_bytes());
        if let Some(now) = log_append_time {
            write_bytes(batch, MAX_TIMESTAMP_AT, &now.to_be_bytes());
        }
        let crc = compute_crc(batch);
        write_bytes(batch, CRC_AT, &crc.to_be_bytes());
    }
    Ok(())
}

/// The new attributes when the timestamp type must change a field the CRC covers
/// (LogAppendTime stamps the broker's time; CreateTime clears a client's LogAppendTime bit),
/// `None` when only the fields before the CRC change.
fn covered_change(header: &BatchHeader, log_append_time: Option<i64>) -> Option<i16> {
    match log_append_time {
        Some(now) => {
            let attributes = header.attributes | TIMESTAMP_TYPE_BIT;
            (attributes != header.attributes || header.max_timestamp != now).then_some(attributes)
        }
        None => (header.attributes & TIMESTAMP_TYPE_BIT != 0)
            .then_some(header.attributes & !TIMESTAMP_TYPE_BIT),
    }
}

/// Bytes at the start of a batch that an append rewrites without touching the CRC: base
/// offset, batch length (unchanged) and partition leader epoch.
pub const PATCHED_PREFIX: usize = MAGIC_AT;

/// A validated batch as it goes to disk.
#[derive(Debug)]
pub enum StoredBatch<'a> {
    /// The usual case: a new first 16 bytes, then the client's bytes as they came (written
    /// with one vectored write, so the records are never copied in memory).
    Patched {
        /// Base offset, length and leader epoch.
        prefix: [u8; PATCHED_PREFIX],
        /// Everything from the magic byte on, unchanged.
        rest: &'a [u8],
    },
    /// A copy with CRC-covered fields rewritten (LogAppendTime topics).
    Rewritten(Vec<u8>),
}

impl StoredBatch<'_> {
    /// The pieces to write, in order.
    pub fn parts(&self) -> [&[u8]; 2] {
        match self {
            StoredBatch::Patched { prefix, rest } => [prefix, rest],
            StoredBatch::Rewritten(bytes) => [bytes, &[]],
        }
    }
}

/// Prepares one validated batch for an append at `base_offset` without copying it, unless
/// its timestamp type forces a CRC-covered change (then it is copied and rewritten as by
/// [`rewrite_batch`]).
pub fn prepare_batch(
    batch: &[u8],
    base_offset: i64,
    leader_epoch: i32,
    log_append_time: Option<i64>,
) -> Result<StoredBatch<'_>, AppendError> {
    let header = parse_header(batch)?;
    let size = header
        .total_size()
        .filter(|&s| s <= batch.len() && s >= PATCHED_PREFIX)
        .ok_or_else(|| AppendError::CorruptMessage("record batch length out of range".into()))?;
    if covered_change(&header, log_append_time).is_some() {
        let mut copy = batch[..size].to_vec();
        rewrite_batch(&mut copy, base_offset, leader_epoch, log_append_time)?;
        return Ok(StoredBatch::Rewritten(copy));
    }
    let mut prefix = [0u8; PATCHED_PREFIX];
    prefix.copy_from_slice(&batch[..PATCHED_PREFIX]);
    write_bytes(&mut prefix, BASE_OFFSET_AT, &base_offset.to_be_bytes());
    write_bytes(&mut prefix, LEADER_EPOCH_AT, &leader_epoch.to_be_bytes());
    Ok(StoredBatch::Patched {
        prefix,
        rest: &batch[PATCHED_PREFIX..size],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal uncompressed batch with `n` empty-ish records built by hand.
    fn raw_batch(n: i32, max_ts: i64) -> Vec<u8> {
        let mut records = Vec::new();
        for i in 0..n {
            // length, attributes, tsDelta, offsetDelta, keyLen(-1), valueLen(0), headers(0)
            let body = [0u8, 0, (i as u8) << 1, 1, 0, 0];
            records.push(body.len() as u8 * 2);
            records.extend_from_slice(&body);
        }
        let mut b = Vec::new();
        b.extend_from_slice(&0i64.to_be_bytes());
        b.extend_from_slice(&((49 + records.len()) as i32).to_be_bytes());
        b.extend_from_slice(&(-1i32).to_be_bytes());
        b.push(2);
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&0i16.to_be_bytes());
        b.extend_from_slice(&(n - 1).to_be_bytes());
        b.extend_from_slice(&max_ts.to_be_bytes());
        b.extend_from_slice(&max_ts.to_be_bytes());
        b.extend_from_slice(&(-1i64).to_be_bytes());
        b.extend_from_slice(&(-1i16).to_be_bytes());
        b.extend_from_slice(&(-1i32).to_be_bytes());
        b.extend_from_slice(&n.to_be_bytes());
        b.extend_from_slice(&records);
        let crc = compute_crc(&b);
        b[17..21].copy_from_slice(&crc.to_be_bytes());
        b
    }

    #[test]
    fn parses_header_fields() {
        let b = raw_batch(3, 77);
        let h = parse_header(&b).unwrap();
        assert_eq!(h.base_offset, 0);
        assert_eq!(h.magic, 2);
        assert_eq!(h.records_count, 3);
        assert_eq!(h.last_offset_delta, 2);
        assert_eq!(h.max_timestamp, 77);
        assert_eq!(h.total_size(), Some(b.len()));
        assert_eq!(h.crc, compute_crc(&b));
        assert!(parse_header(&b[..60]).is_err());
    }

    #[test]
    fn validates_concatenated_batches() {
        let mut buf = raw_batch(2, 5);
        let first = buf.len();
        buf.extend_from_slice(&raw_batch(3, 9));
        let v = validate_batches(&buf, 1 << 20).unwrap();
        assert_eq!(v.batches.len(), 2);
        assert_eq!(v.record_count, 5);
        assert_eq!(v.batches[1].position, first);
        assert_eq!(v.max_timestamp, 9);
        assert_eq!(v.total_bytes, buf.len());
    }

    #[test]
    fn error_kinds() {
        let b = raw_batch(2, 5);
        assert!(matches!(
            validate_batches(&[], 100),
            Err(AppendError::CorruptMessage(_))
        ));
        let mut flipped = b.clone();
        *flipped.last_mut().unwrap() ^= 0xff;
        assert!(matches!(
            validate_batches(&flipped, 1 << 20),
            Err(AppendError::CorruptMessage(_))
        ));
        let mut magic1 = b.clone();
        magic1[16] = 1;
        let err = validate_batches(&magic1, 1 << 20).unwrap_err();
        assert_eq!(err.kafka_error_code(), 87);
        assert_eq!(
            err.to_string(),
            "invalid record: magic v1 not supported; produce requests need magic 2"
        );
        assert!(matches!(
            validate_batches(&b, b.len() - 1),
            Err(AppendError::MessageTooLarge(_))
        ));
        assert!(validate_batches(&b, b.len()).is_ok());
        assert!(matches!(
            validate_batches(&b[..b.len() - 1], 1 << 20),
            Err(AppendError::CorruptMessage(_))
        ));
        let mut trailing = b.clone();
        trailing.extend_from_slice(&[0, 0, 0]);
        assert!(matches!(
            validate_batches(&trailing, 1 << 20),
            Err(AppendError::CorruptMessage(_))
        ));
        let mut short_len = b.clone();
        short_len[8..12].copy_from_slice(&48i32.to_be_bytes());
        assert!(matches!(
            validate_batches(&short_len, 1 << 20),
            Err(AppendError::CorruptMessage(_))
        ));
        let mut bad_count = b.clone();
        bad_count[57..61].copy_from_slice(&5i32.to_be_bytes());
        let crc = compute_crc(&bad_count);
        bad_count[17..21].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            validate_batches(&bad_count, 1 << 20),
            Err(AppendError::InvalidRecord(_))
        ));
        let mut bad_codec = b.clone();
        bad_codec[22] |= 7;
        let crc = compute_crc(&bad_codec);
        bad_codec[17..21].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            validate_batches(&bad_codec, 1 << 20),
            Err(AppendError::InvalidRecord(_))
        ));
    }

    #[test]
    fn rewrite_sets_offsets_and_log_append_time() {
        let mut b = raw_batch(2, 5);
        let crc_before = parse_header(&b).unwrap().crc;
        rewrite_batch(&mut b, 1000, 7, None).unwrap();
        let h = parse_header(&b).unwrap();
        assert_eq!(
            (h.base_offset, h.partition_leader_epoch, h.crc),
            (1000, 7, crc_before)
        );
        rewrite_batch(&mut b, 1000, 7, Some(123_456)).unwrap();
        let h = parse_header(&b).unwrap();
        assert_eq!(h.timestamp_type(), TimestampType::LogAppendTime);
        assert_eq!(h.max_timestamp, 123_456);
        assert_eq!(h.crc, compute_crc(&b));
        assert!(validate_batches(&b, 1 << 20).is_ok());
        rewrite_batch(&mut b, 1000, 7, None).unwrap();
        let h = parse_header(&b).unwrap();
        assert_eq!(h.timestamp_type(), TimestampType::CreateTime);
        assert_eq!(h.crc, compute_crc(&b));
    }

    /// The pieces a vectored append writes are byte for byte what an in-place rewrite gives,
    /// and only a CRC-covered change copies the batch.
    #[test]
    fn prepared_batches_write_what_a_rewrite_would() {
        let mut with_bit = raw_batch(3, 4);
        rewrite_batch(&mut with_bit, 0, 0, Some(99)).unwrap();
        let cases = [
            (raw_batch(2, 5), None, false),
            (raw_batch(2, 5), Some(123_456), true),
            (with_bit.clone(), None, true),
            (with_bit, Some(99), false),
        ];
        for (i, (original, append_time, copies)) in cases.into_iter().enumerate() {
            let mut expected = original.clone();
            rewrite_batch(&mut expected, 1000, 7, append_time).unwrap();
            let stored = prepare_batch(&original, 1000, 7, append_time).unwrap();
            assert_eq!(stored.parts().concat(), expected, "case {i}");
            assert_eq!(
                matches!(stored, StoredBatch::Rewritten(_)),
                copies,
                "case {i}"
            );
        }
        assert!(prepare_batch(&[0u8; 10], 0, 0, None).is_err());
    }
}
