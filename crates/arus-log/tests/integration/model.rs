//! Randomized test: appends, reads, clean and unclean reopens, torn tails,
//! truncation, DeleteRecords and retention, checked after every step
//! against a plain in-memory model (a list of batches with offsets).

use std::fs::OpenOptions;

use arus_log::{Log, LogConfig, RecoveryHint};
use kafka_protocol::records::Compression;

use crate::common::*;

#[derive(Clone)]
struct MBatch {
    base: i64,
    last: i64,
    timestamps: Vec<i64>,
    bytes: Vec<u8>,
}

#[derive(Default)]
struct Model {
    batches: Vec<MBatch>,
    leo: i64,
    start: i64,
}

impl Model {
    /// Bytes a full read from the log start must return.
    fn visible_bytes(&self) -> Vec<u8> {
        self.batches
            .iter()
            .filter(|b| b.last >= self.start)
            .flat_map(|b| b.bytes.clone())
            .collect()
    }

    fn batch_holding(&self, offset: i64) -> Option<usize> {
        self.batches.iter().position(|b| b.last >= offset)
    }

    fn offset_for_timestamp(&self, target: i64) -> Option<(i64, i64)> {
        self.batches
            .iter()
            .flat_map(|b| {
                b.timestamps
                    .iter()
                    .enumerate()
                    .map(move |(k, ts)| (b.base + k as i64, *ts))
            })
            .find(|(o, ts)| *o >= self.start && *ts >= target)
    }

    fn drop_from(&mut self, offset: i64) {
        if let Some(i) = self.batch_holding(offset) {
            self.leo = self.batches[i].base;
            self.batches.truncate(i);
        }
        self.start = self.start.min(self.leo);
    }
}

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 2048,
        segment_ms: 1000,
        segment_index_bytes: 64,
        index_interval_bytes: 128,
        retention_ms: -1,
        flush_messages: 10,
        ..LogConfig::default()
    }
}

fn reopen(log: Log, model: &Model, clean: bool, now: i64) -> Log {
    let dir = log.dir().to_path_buf();
    let recovery_point = log.recovery_point();
    if clean {
        log.close().unwrap();
    } else {
        drop(log);
    }
    let hint = RecoveryHint {
        clean_shutdown: clean,
        recovery_point,
        log_start_offset: model.start,
    };
    Log::open(&dir, config(), hint, now).unwrap()
}

fn append_step(log: &mut Log, model: &mut Model, rng: &mut Rng, now: i64) {
    let batch_count = if rng.range(0, 4) == 0 {
        rng.range(2, 3)
    } else {
        1
    };
    let mut buf = Vec::new();
    let mut stamps = Vec::new();
    for _ in 0..batch_count {
        let n = rng.range(1, 5) as usize;
        let ts: Vec<i64> = (0..n)
            .map(|_| now + rng.range(0, 2000) as i64 - 1000)
            .collect();
        let codec = if rng.range(0, 5) == 0 {
            Compression::Gzip
        } else {
            Compression::None
        };
        buf.extend(batch_ts(&ts, rng.range(0, 300) as usize, codec));
        stamps.push(ts);
    }
    let info = append_in_place(log, &mut buf, 1, now).unwrap();
    assert_eq!(info.base_offset, model.leo);
    let mut pos = 0;
    for (h, ts) in headers(&buf).into_iter().zip(stamps) {
        let size = h.total_size().unwrap();
        model.batches.push(MBatch {
            base: h.base_offset,
            last: h.last_offset(),
            timestamps: ts,
            bytes: buf[pos..pos + size].to_vec(),
        });
        pos += size;
    }
    model.leo = info.last_offset + 1;
}

fn read_step(log: &Log, model: &Model, rng: &mut Rng) {
    let offset = rng.range(model.start as u64, model.leo as u64) as i64;
    let max_offset = if rng.range(0, 2) == 0 {
        model.leo
    } else {
        rng.range(offset as u64, model.leo as u64) as i64
    };
    let max_bytes = rng.range(0, 6000) as usize;
    let min_one = rng.range(0, 1) == 1;
    let bytes = log
        .read(offset, max_offset)
        .unwrap()
        .read(max_bytes, min_one)
        .unwrap();
    let hs = headers(&bytes);
    let Some(i) = model.batch_holding(offset).filter(|_| offset < max_offset) else {
        assert!(
            bytes.is_empty(),
            "read at {offset} max {max_offset} should be empty"
        );
        return;
    };
    if model.batches[i].last >= max_offset {
        assert!(
            bytes.is_empty(),
            "batch holding the max offset is not served"
        );
        return;
    }
    if bytes.is_empty() {
        assert!(!min_one && model.batches[i].bytes.len() > max_bytes);
        return;
    }
    assert!(bytes.len() <= max_bytes || hs.len() == 1);
    let mut expected = Vec::new();
    for (k, h) in hs.iter().enumerate() {
        let mb = &model.batches[i + k];
        assert_eq!((h.base_offset, h.last_offset()), (mb.base, mb.last));
        assert!(h.last_offset() < max_offset);
        expected.extend_from_slice(&mb.bytes);
    }
    assert_eq!(&bytes[..], &expected[..]);
}

/// Tears or corrupts the last batch on disk, then recovers from a crash.
fn corrupt_tail_step(log: Log, model: &mut Model, rng: &mut Rng, now: i64) -> Log {
    let active = *log.segment_base_offsets().last().unwrap();
    let Some(last) = model.batches.last().filter(|b| b.base >= active).cloned() else {
        return log;
    };
    let path = seg_file(log.dir(), active, ".log");
    let dir = log.dir().to_path_buf();
    let recovery_point = log.recovery_point();
    drop(log);
    let len = std::fs::metadata(&path).unwrap().len();
    if rng.range(0, 1) == 0 {
        let cut = rng.range(1, last.bytes.len() as u64 - 1);
        OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(len - cut)
            .unwrap();
    } else {
        let mut data = std::fs::read(&path).unwrap();
        let at = data.len() - 1 - rng.range(0, last.bytes.len() as u64 - 62) as usize;
        data[at] ^= 0x10;
        std::fs::write(&path, data).unwrap();
    }
    model.batches.pop();
    model.leo = last.base;
    if model.start > model.leo {
        // The checkpointed log start is past the surviving data.
        model.batches.clear();
        model.leo = model.start;
    }
    let hint = RecoveryHint {
        clean_shutdown: false,
        recovery_point,
        log_start_offset: model.start,
    };
    Log::open(&dir, config(), hint, now).unwrap()
}

fn check(log: &Log, model: &Model, rng: &mut Rng, full: bool) {
    assert_eq!(log.log_end_offset(), model.leo, "log end offset");
    assert_eq!(log.log_start_offset(), model.start, "log start offset");
    if full {
        assert_eq!(read_all(log), model.visible_bytes(), "full read");
        for _ in 0..3 {
            let target = rng.range(0, 60_000) as i64;
            assert_eq!(
                log.offset_for_timestamp(target).unwrap(),
                model.offset_for_timestamp(target),
                "timestamp {target}"
            );
        }
    }
}

fn run(seed: u64, steps: usize) {
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("t-0");
    let mut rng = Rng::new(seed);
    let mut now = 10_000i64;
    let mut log = Log::open(&part, config(), RecoveryHint::default(), now).unwrap();
    let mut model = Model::default();
    for step in 0..steps {
        now += rng.range(0, 150) as i64;
        let roll = rng.range(0, 99);
        let mut full = step % 10 == 0;
        match roll {
            0..=49 => append_step(&mut log, &mut model, &mut rng, now),
            50..=64 => read_step(&log, &model, &mut rng),
            65..=69 => {
                log = reopen(log, &model, true, now);
                full = true;
            }
            70..=74 => {
                log = reopen(log, &model, false, now);
                full = true;
            }
            75..=79 => {
                log = corrupt_tail_step(log, &mut model, &mut rng, now);
                full = true;
            }
            80..=83 => {
                let offset = rng.range(model.start as u64, model.leo as u64) as i64;
                let first_base = log.segment_base_offsets()[0];
                log.truncate_to(offset).unwrap();
                if offset < model.leo {
                    if offset <= first_base {
                        model.batches.clear();
                        model.leo = offset;
                        model.start = offset;
                    } else {
                        model.drop_from(offset);
                    }
                }
                full = true;
            }
            84..=95 => {
                log.set_high_watermark(model.leo);
                let offset = rng.range(model.start as u64, model.leo as u64) as i64;
                assert_eq!(
                    log.delete_records_before(offset).unwrap(),
                    offset.max(model.start)
                );
                model.start = model.start.max(offset);
            }
            _ => {
                log.set_high_watermark(model.leo);
                let keep = rng.range(0, 6000) as i64;
                log.update_config(LogConfig {
                    retention_bytes: keep,
                    ..config()
                });
                let before = log.segment_count();
                let deleted = log.apply_retention(now).unwrap();
                assert_eq!(
                    log.segment_count(),
                    before - deleted + usize::from(deleted == before)
                );
                assert!(log.size_bytes() as i64 <= keep.max(0) || deleted < before);
                model.start = model.start.max(log.log_start_offset());
                log.update_config(config());
                full = true;
            }
        }
        log.flush_if_due(now).unwrap();
        assert!(log.recovery_point() <= log.log_end_offset());
        check(&log, &model, &mut rng, full);
    }
    log.close().unwrap();
}

#[test]
fn randomized_against_model_seed_1() {
    run(0x9e37_79b9_7f4a_7c15, 400);
}

#[test]
fn randomized_against_model_seed_2() {
    run(12345, 400);
}

#[test]
fn randomized_against_model_seed_3() {
    run(0xdead_beef, 400);
}
