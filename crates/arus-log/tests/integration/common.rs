//! Helpers: building real v2 batches with kafka-protocol's encoder, reading
//! a whole log back, a tiny PRNG.

use std::path::Path;

use arus_log::{parse_header, BatchHeader, Log, LogConfig, RecoveryHint};
use bytes::{Bytes, BytesMut};
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions,
    TimestampType as WireTimestampType,
};

/// Value bytes of record `i` (recognisable, compressible).
pub fn value(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| b'a' + ((i + j / 7) % 26) as u8).collect()
}

/// One v2 batch whose records have the given timestamps.
pub fn batch_ts(timestamps: &[i64], value_len: usize, compression: Compression) -> Vec<u8> {
    let records: Vec<Record> = timestamps
        .iter()
        .enumerate()
        .map(|(i, &ts)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: WireTimestampType::Creation,
            offset: i as i64,
            sequence: i as i32,
            timestamp: ts,
            key: None,
            value: Some(Bytes::from(value(i, value_len))),
            headers: Default::default(),
        })
        .collect();
    encode(&records, compression)
}

/// An uncompressed batch of `n` records all stamped `ts`, values `value_len` long.
pub fn batch(n: usize, ts: i64, value_len: usize) -> Vec<u8> {
    batch_ts(&vec![ts; n], value_len, Compression::None)
}

/// Config with tiny segments and a dense index, retention off.
pub fn small_config() -> LogConfig {
    LogConfig {
        segment_bytes: 4096,
        index_interval_bytes: 256,
        retention_ms: -1,
        ..LogConfig::default()
    }
}

/// Opens after a crash with recovery point 0.
pub fn open_unclean(dir: &Path, config: LogConfig) -> Log {
    Log::open(dir, config, RecoveryHint::default(), 0).unwrap()
}

/// Opens after a clean shutdown.
pub fn open_clean(dir: &Path, config: LogConfig, log_start_offset: i64) -> Log {
    Log::open(
        dir,
        config,
        RecoveryHint {
            clean_shutdown: true,
            recovery_point: i64::MAX,
            log_start_offset,
        },
        0,
    )
    .unwrap()
}

/// Headers of the whole batches in `bytes`.
pub fn headers(bytes: &[u8]) -> Vec<BatchHeader> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let h = parse_header(&bytes[pos..]).unwrap();
        pos += h.total_size().unwrap();
        out.push(h);
    }
    assert_eq!(pos, bytes.len(), "fetch returned a partial batch");
    out
}

/// Decodes every record of `bytes` (CRC-checked by the decoder).
pub fn decode(bytes: &[u8]) -> Vec<Record> {
    let mut buf = Bytes::copy_from_slice(bytes);
    RecordBatchDecoder::decode_all(&mut buf)
        .unwrap()
        .into_iter()
        .flat_map(|set| set.records)
        .collect()
}

/// Every byte from the log start to the log end, read fetch by fetch.
pub fn read_all(log: &Log) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offset = log.log_start_offset();
    while offset < log.log_end_offset() {
        let slice = log.read(offset, log.log_end_offset()).unwrap();
        let bytes = slice.read(1 << 30, true).unwrap();
        let hs = headers(&bytes);
        let last = hs.last().expect("non-empty fetch below the log end");
        assert!(last.last_offset() >= offset);
        offset = last.next_offset();
        out.extend_from_slice(&bytes);
    }
    out
}

/// Path of a segment file.
pub fn seg_file(dir: &Path, base: i64, suffix: &str) -> std::path::PathBuf {
    dir.join(format!("{base:020}{suffix}"))
}

/// xorshift64* PRNG, seeded, for reproducible randomized tests.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in [lo, hi] (inclusive).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// Appends `buf` and then rewrites it the way it was stored (base offsets, leader epoch,
/// LogAppendTime), so tests can compare what they read back with what they sent. The log
/// itself never changes the caller's buffer.
pub fn append_in_place(
    log: &mut Log,
    buf: &mut [u8],
    leader_epoch: i32,
    now_ms: i64,
) -> Result<arus_log::AppendInfo, arus_log::AppendError> {
    let info = log.append(buf, leader_epoch, now_ms)?;
    let append_time = (info.log_append_time != -1).then_some(info.log_append_time);
    let mut next = info.base_offset;
    let mut at = 0;
    while at < buf.len() {
        let h = parse_header(&buf[at..]).expect("appended batches parse");
        let size = h.total_size().expect("appended batches have a size");
        arus_log::rewrite_batch(&mut buf[at..at + size], next, leader_epoch, append_time)
            .expect("appended batches rewrite");
        next += i64::from(h.last_offset_delta) + 1;
        at += size;
    }
    Ok(info)
}

/// One v2 batch holding `records`, encoded by kafka-protocol.
pub fn encode(records: &[Record], compression: Compression) -> Vec<u8> {
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        records,
        &RecordEncodeOptions {
            version: 2,
            compression,
        },
    )
    .unwrap();
    buf.to_vec()
}

/// A batch of `n` records from producer `pid` at `epoch`, sequences from `first_seq`,
/// timestamps from 1000, optionally transactional or a control batch.
pub fn producer_records(
    pid: i64,
    epoch: i16,
    first_seq: i32,
    n: usize,
    transactional: bool,
    control: bool,
) -> Vec<u8> {
    let records: Vec<Record> = (0..n)
        .map(|i| Record {
            transactional,
            control,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: pid,
            producer_epoch: epoch,
            timestamp_type: WireTimestampType::Creation,
            offset: i as i64,
            sequence: first_seq + i as i32,
            timestamp: 1_000 + i as i64,
            key: None,
            value: Some(Bytes::from(value(i, 40))),
            headers: Default::default(),
        })
        .collect();
    encode(&records, Compression::None)
}
