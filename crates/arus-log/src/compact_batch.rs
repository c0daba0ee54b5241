//! Compaction of one record batch: which of its records the cleaner keeps, and the bytes of
//! the batch that holds them (the original bytes when nothing changes).
//!
//! Rules (Kafka's `LogCleaner` / `MemoryRecords.filterTo`, KIP-534):
//! - a record survives when it has a key and no later record of that key was mapped
//!   (`offset >= map[key]`, or the key is not in the map);
//! - a tombstone (null value) also needs its batch's delete horizon not yet reached: the
//!   first cleaning that keeps a tombstone stamps its batch with `delete_horizon` (attribute
//!   bit 6) and baseTimestamp = now + `delete.retention.ms`; a later cleaning at or after
//!   that time drops it. Consumers reading from the start thus see every delete for at least
//!   `delete.retention.ms` after it was first cleaned;
//! - records of aborted transactions are dropped;
//! - a rewritten batch keeps its base offset, lastOffsetDelta, producer ID/epoch, base
//!   sequence, partition leader epoch, timestamp type and codec, so offsets and sequence
//!   numbers mean what they meant; records keep their own offsets and timestamps;
//! - an emptied batch disappears, unless it is the last batch of a producer the partition
//!   still tracks: then an empty batch (header only) keeps that producer's last sequence
//!   and epoch in the log, as Kafka's `RETAIN_EMPTY` does.
//!
//! Records are parsed here rather than through `kafka_protocol`'s decoder so that their
//! bytes (headers included, duplicate header keys and all) are copied exactly.

use std::io;

use bytes::{Bytes, BytesMut};
use kafka_protocol::compression::{self as codec, Compressor, Decompressor};

use crate::batch::{compute_crc, BatchHeader, BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_V2};
use crate::config::TimestampType;
use crate::offset_map::OffsetMap;
use crate::txn_marker::{get_varint, put_varint};

/// Attribute bit 6: baseTimestamp holds the delete horizon (KIP-534).
pub(crate) const DELETE_HORIZON_BIT: i16 = 1 << 6;
const CODEC_MASK: i16 = 0x7;

/// One record of a batch, as parsed from its (decompressed) bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawRecord<'a> {
    /// Absolute offset.
    pub(crate) offset: i64,
    /// Absolute timestamp (baseTimestamp + delta).
    pub(crate) timestamp: i64,
    /// The key, `None` when null.
    pub(crate) key: Option<&'a [u8]>,
    /// False for a tombstone (null value).
    pub(crate) has_value: bool,
    /// The record attributes byte.
    attributes: u8,
    /// Everything after the timestamp delta: offset delta, key, value, headers.
    rest: &'a [u8],
}

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// The records section of `batch`, decompressed.
fn records_bytes(batch: &[u8], h: &BatchHeader) -> io::Result<Vec<u8>> {
    let data = batch
        .get(BATCH_HEADER_SIZE..)
        .ok_or_else(|| invalid("batch shorter than its header"))?;
    let copy = |b: &mut Bytes| Ok(b.to_vec());
    let mut input = Bytes::copy_from_slice(data);
    let out = match h.compression_codec() {
        0 => return Ok(data.to_vec()),
        1 => codec::Gzip::decompress(&mut input, copy),
        2 => codec::Snappy::decompress(&mut input, copy),
        3 => codec::Lz4::decompress(&mut input, copy),
        4 => codec::Zstd::decompress(&mut input, copy),
        c => return Err(invalid(format!("unknown compression codec {c}"))),
    };
    out.map_err(|e| invalid(format!("cannot decompress batch: {e}")))
}

/// `raw` compressed with codec `c`.
fn compress(c: u8, raw: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = BytesMut::new();
    let fill = |b: &mut BytesMut| {
        b.extend_from_slice(raw);
        Ok(())
    };
    let done = match c {
        0 => return Ok(raw.to_vec()),
        1 => codec::Gzip::compress(&mut out, fill),
        2 => codec::Snappy::compress(&mut out, fill),
        3 => codec::Lz4::compress(&mut out, fill),
        4 => codec::Zstd::compress(&mut out, fill),
        c => return Err(invalid(format!("unknown compression codec {c}"))),
    };
    done.map_err(|e| invalid(format!("cannot compress batch: {e}")))?;
    Ok(out.to_vec())
}

/// Parses the `count` records of a decompressed records section.
pub(crate) fn parse_records<'a>(raw: &'a [u8], h: &BatchHeader) -> io::Result<Vec<RawRecord<'a>>> {
    let bad = || invalid("malformed record in batch");
    let count = usize::try_from(h.records_count).map_err(|_| bad())?;
    let mut out = Vec::with_capacity(count.min(raw.len()));
    let mut pos = 0usize;
    for _ in 0..count {
        let len = usize::try_from(get_varint(raw, &mut pos).ok_or_else(bad)?).map_err(|_| bad())?;
        let body = raw
            .get(pos..pos.checked_add(len).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        pos += len;
        let attributes = *body.first().ok_or_else(bad)?;
        let mut p = 1;
        let ts_delta = get_varint(body, &mut p).ok_or_else(bad)?;
        let rest = body.get(p..).ok_or_else(bad)?;
        let offset_delta = get_varint(body, &mut p).ok_or_else(bad)?;
        let key_len = get_varint(body, &mut p).ok_or_else(bad)?;
        let key = if key_len < 0 {
            None
        } else {
            let k = usize::try_from(key_len).map_err(|_| bad())?;
            let key = body
                .get(p..p.checked_add(k).ok_or_else(bad)?)
                .ok_or_else(bad)?;
            p += k;
            Some(key)
        };
        let value_len = get_varint(body, &mut p).ok_or_else(bad)?;
        out.push(RawRecord {
            offset: h.base_offset.saturating_add(offset_delta),
            timestamp: h.base_timestamp.saturating_add(ts_delta),
            key,
            has_value: value_len >= 0,
            attributes,
            rest,
        });
    }
    Ok(out)
}

/// The keys of a data batch's records (`None` for keyless ones), for building the map.
pub(crate) fn record_keys(
    batch: &[u8],
    h: &BatchHeader,
) -> io::Result<Vec<(i64, Option<Vec<u8>>)>> {
    let raw = records_bytes(batch, h)?;
    Ok(parse_records(&raw, h)?
        .into_iter()
        .map(|r| (r.offset, r.key.map(<[u8]>::to_vec)))
        .collect())
}

/// The delete horizon a batch carries, if stamped.
pub(crate) fn delete_horizon(h: &BatchHeader) -> Option<i64> {
    (h.attributes & DELETE_HORIZON_BIT != 0).then_some(h.base_timestamp)
}

/// What the cleaner knows when it filters one data batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FilterContext<'a> {
    /// Latest offsets of the keys of the mapped range.
    pub(crate) map: &'a OffsetMap,
    /// The cleaning's clock.
    pub(crate) now_ms: i64,
    /// `delete.retention.ms`.
    pub(crate) delete_retention_ms: i64,
}

/// The result of filtering one batch.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Filtered {
    /// Every record stays and nothing needs stamping: copy the batch as it is.
    Unchanged,
    /// These bytes replace the batch (fewer records, or a new delete horizon, or an empty
    /// batch kept for its producer).
    Rewritten(Vec<u8>),
    /// Nothing of the batch stays.
    Dropped,
}

/// Outcome of [`filter_batch`] with the accounting the cleaner reports.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FilterOutcome {
    /// What to write.
    pub(crate) result: Filtered,
    /// Records removed.
    pub(crate) removed: u64,
    /// The delete horizon of the written batch when it still holds tombstones (when a
    /// later pass could remove something without new data).
    pub(crate) tombstone_horizon: Option<i64>,
}

/// Filters the data batch `batch` (header `h`). `aborted`: it belongs to an aborted
/// transaction. `retain_empty`: it is its producer's last batch, kept (empty) even if
/// every record goes.
pub(crate) fn filter_batch(
    batch: &[u8],
    h: &BatchHeader,
    cx: &FilterContext<'_>,
    aborted: bool,
    retain_empty: bool,
) -> io::Result<FilterOutcome> {
    let raw = records_bytes(batch, h)?;
    let records = parse_records(&raw, h)?;
    let horizon = delete_horizon(h);
    let horizon_passed = horizon.is_some_and(|t| t <= cx.now_ms);
    let keep = |r: &RawRecord<'_>| {
        let Some(key) = r.key else { return false };
        let latest = cx.map.get(key).is_none_or(|o| r.offset >= o);
        latest && (r.has_value || !horizon_passed)
    };
    let kept: Vec<&RawRecord<'_>> = if aborted {
        Vec::new()
    } else {
        records.iter().filter(|r| keep(r)).collect()
    };
    let removed = (records.len() - kept.len()) as u64;
    let has_tombstone = kept.iter().any(|r| !r.has_value);
    let new_horizon = match horizon {
        Some(t) => Some(t),
        None if has_tombstone => Some(cx.now_ms.saturating_add(cx.delete_retention_ms)),
        None => None,
    };
    let tombstone_horizon = new_horizon.filter(|_| has_tombstone);
    let result = if kept.is_empty() {
        if retain_empty {
            Filtered::Rewritten(empty_batch(h))
        } else {
            Filtered::Dropped
        }
    } else if removed == 0 && new_horizon == horizon {
        Filtered::Unchanged
    } else {
        Filtered::Rewritten(rebuild(h, &kept, new_horizon)?)
    };
    Ok(FilterOutcome {
        result,
        removed,
        tombstone_horizon,
    })
}

/// Writes the 61-byte header of a v2 batch into `b` (CRC left zero).
#[allow(clippy::too_many_arguments)]
fn put_header(
    b: &mut Vec<u8>,
    h: &BatchHeader,
    attributes: i16,
    base_timestamp: i64,
    max_timestamp: i64,
    records_count: i32,
) {
    b.extend_from_slice(&h.base_offset.to_be_bytes());
    b.extend_from_slice(&0i32.to_be_bytes()); // batchLength, set once the size is known
    b.extend_from_slice(&h.partition_leader_epoch.to_be_bytes());
    b.push(MAGIC_V2 as u8);
    b.extend_from_slice(&0u32.to_be_bytes()); // crc
    b.extend_from_slice(&attributes.to_be_bytes());
    b.extend_from_slice(&h.last_offset_delta.to_be_bytes());
    b.extend_from_slice(&base_timestamp.to_be_bytes());
    b.extend_from_slice(&max_timestamp.to_be_bytes());
    b.extend_from_slice(&h.producer_id.to_be_bytes());
    b.extend_from_slice(&h.producer_epoch.to_be_bytes());
    b.extend_from_slice(&h.base_sequence.to_be_bytes());
    b.extend_from_slice(&records_count.to_be_bytes());
}

/// Fills in batchLength and the CRC of a finished batch.
fn finish(mut b: Vec<u8>) -> Vec<u8> {
    let len = (b.len() - LOG_OVERHEAD) as i32;
    b[8..12].copy_from_slice(&len.to_be_bytes());
    let crc = compute_crc(&b);
    b[17..21].copy_from_slice(&crc.to_be_bytes());
    b
}

/// A header-only batch standing for `h` (same offsets and producer fields, no records,
/// uncompressed), as Kafka writes for a producer's emptied last batch.
fn empty_batch(h: &BatchHeader) -> Vec<u8> {
    let attributes = h.attributes & !(CODEC_MASK | DELETE_HORIZON_BIT);
    let mut b = Vec::with_capacity(BATCH_HEADER_SIZE);
    put_header(&mut b, h, attributes, h.max_timestamp, h.max_timestamp, 0);
    finish(b)
}

/// The batch `h` re-encoded with only `kept` records (in their order), stamped with
/// `horizon` when given.
fn rebuild(h: &BatchHeader, kept: &[&RawRecord<'_>], horizon: Option<i64>) -> io::Result<Vec<u8>> {
    // With a horizon, baseTimestamp is the horizon and record timestamps are deltas from it
    // (possibly negative), exactly as Kafka's MemoryRecordsBuilder writes them.
    let base_timestamp = horizon.unwrap_or(h.base_timestamp);
    let mut raw = Vec::new();
    let mut body = Vec::new();
    for r in kept {
        body.clear();
        body.push(r.attributes);
        put_varint(&mut body, r.timestamp.saturating_sub(base_timestamp));
        body.extend_from_slice(r.rest);
        put_varint(&mut raw, body.len() as i64);
        raw.extend_from_slice(&body);
    }
    let max_timestamp = match h.timestamp_type() {
        // LogAppendTime: the broker's stamp in the header is the records' timestamp.
        TimestampType::LogAppendTime => h.max_timestamp,
        TimestampType::CreateTime => kept.iter().map(|r| r.timestamp).max().unwrap_or(-1),
    };
    let mut attributes = h.attributes;
    if horizon.is_some() {
        attributes |= DELETE_HORIZON_BIT;
    }
    let records = compress(h.compression_codec(), &raw)?;
    let mut b = Vec::with_capacity(BATCH_HEADER_SIZE + records.len());
    put_header(
        &mut b,
        h,
        attributes,
        base_timestamp,
        max_timestamp,
        kept.len() as i32,
    );
    b.extend_from_slice(&records);
    Ok(finish(b))
}

/// An empty data batch at `offset` with no producer: the cleaner's marker that a cleaned
/// segment covers offsets up to there (see `Log::write_cleaned`).
pub(crate) fn placeholder_batch(offset: i64) -> Vec<u8> {
    let h = BatchHeader {
        base_offset: offset,
        batch_length: 0,
        partition_leader_epoch: -1,
        magic: MAGIC_V2,
        crc: 0,
        attributes: 0,
        last_offset_delta: 0,
        base_timestamp: -1,
        max_timestamp: -1,
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
        records_count: 0,
    };
    empty_batch(&h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::parse_header;

    /// Length field and CRC-32C of a whole batch are right.
    fn check_crc(b: &[u8]) {
        let h = parse_header(b).unwrap();
        assert_eq!(h.total_size(), Some(b.len()));
        assert_eq!(h.crc, compute_crc(b));
    }
    use kafka_protocol::records::{
        Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions,
        TimestampType as WireTimestampType,
    };

    /// A batch at `base` of (key, value) records with timestamps 100, 101, ...
    fn batch(
        base: i64,
        recs: &[(Option<&str>, Option<&str>)],
        compression: Compression,
    ) -> Vec<u8> {
        let records: Vec<Record> = recs
            .iter()
            .enumerate()
            .map(|(i, (k, v))| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: 3,
                producer_id: 9,
                producer_epoch: 1,
                timestamp_type: WireTimestampType::Creation,
                offset: base + i as i64,
                sequence: 20 + i as i32,
                timestamp: 100 + i as i64,
                key: k.map(|k| Bytes::copy_from_slice(k.as_bytes())),
                value: v.map(|v| Bytes::copy_from_slice(v.as_bytes())),
                headers: Default::default(),
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression,
            },
        )
        .unwrap();
        buf.to_vec()
    }

    /// (offset, timestamp, key, value) of every record.
    fn decoded(b: &[u8]) -> Vec<(i64, i64, Option<String>, Option<String>)> {
        let mut buf = Bytes::copy_from_slice(b);
        let s = |x: &Option<Bytes>| x.as_ref().map(|b| String::from_utf8(b.to_vec()).unwrap());
        RecordBatchDecoder::decode(&mut buf)
            .unwrap()
            .records
            .iter()
            .map(|r| (r.offset, r.timestamp, s(&r.key), s(&r.value)))
            .collect()
    }

    fn run(
        b: &[u8],
        map: &OffsetMap,
        now: i64,
        aborted: bool,
        retain_empty: bool,
    ) -> FilterOutcome {
        let h = parse_header(b).unwrap();
        let cx = FilterContext {
            map,
            now_ms: now,
            delete_retention_ms: 1000,
        };
        filter_batch(b, &h, &cx, aborted, retain_empty).unwrap()
    }

    #[test]
    fn superseded_and_keyless_records_go_offsets_and_producer_fields_stay() {
        for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
            let b = batch(
                50,
                &[
                    (Some("a"), Some("1")),
                    (None, Some("x")),
                    (Some("b"), Some("2")),
                    (Some("a"), Some("3")),
                ],
                compression,
            );
            let mut map = OffsetMap::with_buffer(1 << 10);
            map.put(b"a", 53);
            map.put(b"b", 60); // superseded by a later batch
            let out = run(&b, &map, 0, false, false);
            assert_eq!(out.removed, 3);
            assert_eq!(out.tombstone_horizon, None);
            let Filtered::Rewritten(nb) = out.result else {
                panic!("expected a rewrite")
            };
            check_crc(&nb);
            let (old, new) = (parse_header(&b).unwrap(), parse_header(&nb).unwrap());
            assert_eq!(new.base_offset, 50);
            assert_eq!(new.last_offset_delta, 3);
            assert_eq!(new.records_count, 1);
            assert_eq!(new.compression_codec(), old.compression_codec());
            assert_eq!(
                (
                    new.producer_id,
                    new.producer_epoch,
                    new.base_sequence,
                    new.partition_leader_epoch
                ),
                (9, 1, 20, 3)
            );
            assert_eq!(new.max_timestamp, 103);
            assert_eq!(
                decoded(&nb),
                vec![(53, 103, Some("a".into()), Some("3".into()))]
            );
        }
    }

    #[test]
    fn unchanged_batches_are_copied_and_unmapped_keys_stay() {
        let b = batch(
            0,
            &[(Some("a"), Some("1")), (Some("b"), Some("2"))],
            Compression::None,
        );
        let mut map = OffsetMap::with_buffer(1 << 10);
        map.put(b"a", 0);
        let out = run(&b, &map, 0, false, false);
        assert_eq!((out.result, out.removed), (Filtered::Unchanged, 0));
    }

    #[test]
    fn tombstones_get_a_delete_horizon_then_go_once_it_passes() {
        let b = batch(
            10,
            &[(Some("k"), None), (Some("v"), Some("live"))],
            Compression::Snappy,
        );
        let map = OffsetMap::with_buffer(1 << 10);
        // First cleaning at 5000 keeps the tombstone and stamps horizon 6000.
        let out = run(&b, &map, 5_000, false, false);
        assert_eq!(out.removed, 0);
        assert_eq!(out.tombstone_horizon, Some(6_000));
        let Filtered::Rewritten(stamped) = out.result else {
            panic!("expected a rewrite")
        };
        let h = parse_header(&stamped).unwrap();
        assert_eq!(h.attributes & DELETE_HORIZON_BIT, DELETE_HORIZON_BIT);
        assert_eq!(h.base_timestamp, 6_000);
        assert_eq!(delete_horizon(&h), Some(6_000));
        // Record timestamps are unchanged (deltas are now relative to the horizon).
        assert_eq!(
            decoded(&stamped),
            vec![
                (10, 100, Some("k".into()), None),
                (11, 101, Some("v".into()), Some("live".into()))
            ]
        );
        // Before the horizon: nothing to do, the stamp is not moved.
        let out = run(&stamped, &map, 5_999, false, false);
        assert_eq!(out.result, Filtered::Unchanged);
        assert_eq!(out.tombstone_horizon, Some(6_000));
        // At the horizon: the tombstone goes, the live record stays.
        let out = run(&stamped, &map, 6_000, false, false);
        assert_eq!((out.removed, out.tombstone_horizon), (1, None));
        let Filtered::Rewritten(after) = out.result else {
            panic!("expected a rewrite")
        };
        assert_eq!(
            decoded(&after),
            vec![(11, 101, Some("v".into()), Some("live".into()))]
        );
        assert_eq!(parse_header(&after).unwrap().last_offset_delta, 1);
        // A tombstone superseded by a later record goes at once.
        let mut newer = OffsetMap::with_buffer(1 << 10);
        newer.put(b"k", 99);
        let out = run(&b, &newer, 0, false, false);
        assert_eq!((out.removed, out.tombstone_horizon), (1, None));
    }

    #[test]
    fn aborted_batches_go_or_leave_an_empty_batch_for_their_producer() {
        let b = batch(
            7,
            &[(Some("a"), Some("1")), (Some("b"), Some("2"))],
            Compression::Lz4,
        );
        let map = OffsetMap::with_buffer(1 << 10);
        let out = run(&b, &map, 0, true, false);
        assert_eq!((out.result, out.removed), (Filtered::Dropped, 2));
        let out = run(&b, &map, 0, true, true);
        let Filtered::Rewritten(empty) = out.result else {
            panic!("expected an empty batch")
        };
        assert_eq!(empty.len(), BATCH_HEADER_SIZE);
        check_crc(&empty);
        let h = parse_header(&empty).unwrap();
        assert_eq!(
            (
                h.base_offset,
                h.last_offset_delta,
                h.records_count,
                h.producer_id,
                h.base_sequence
            ),
            (7, 1, 0, 9, 20)
        );
        assert_eq!(h.compression_codec(), 0);
        let p = placeholder_batch(40);
        let h = parse_header(&p).unwrap();
        assert_eq!(
            (
                h.base_offset,
                h.next_offset(),
                h.records_count,
                h.producer_id
            ),
            (40, 41, 0, -1)
        );
        check_crc(&p);
    }
}
