//! ListOffsets by timestamp and MAX_TIMESTAMP against brute force, with
//! compressed batches and across segments and restarts.

use arus_log::{Log, LogConfig};
use kafka_protocol::records::Compression;

use crate::common::*;

/// (offset, timestamp) of every record appended.
type Truth = Vec<(i64, i64)>;

fn build(dir: &std::path::Path, config: LogConfig) -> (Log, Truth) {
    let mut log = open_unclean(dir, config);
    let mut rng = Rng::new(11);
    let mut truth = Vec::new();
    let codecs = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];
    for i in 0..120 {
        let n = rng.range(1, 6) as usize;
        // Mostly increasing, with jitter so that timestamps inside a batch
        // and across batches go backwards sometimes.
        let timestamps: Vec<i64> = (0..n)
            .map(|_| 10_000 + (i * 100) as i64 + rng.range(0, 400) as i64 - 200)
            .collect();
        let codec = codecs[i % codecs.len()];
        let b = batch_ts(&timestamps, rng.range(5, 200) as usize, codec);
        let info = log.append(&b, 0, 0).unwrap();
        for (k, ts) in timestamps.iter().enumerate() {
            truth.push((info.base_offset + k as i64, *ts));
        }
    }
    (log, truth)
}

fn expected_for(truth: &Truth, target: i64, log_start: i64) -> Option<(i64, i64)> {
    truth
        .iter()
        .find(|(o, ts)| *o >= log_start && *ts >= target)
        .copied()
}

fn expected_max(truth: &Truth) -> Option<(i64, i64)> {
    let max = truth.iter().map(|(_, ts)| *ts).max()?;
    truth.iter().find(|(_, ts)| *ts == max).copied()
}

fn check_all(log: &Log, truth: &Truth) {
    let start = log.log_start_offset();
    for target in (9_000..23_000)
        .step_by(37)
        .chain([i64::MIN, -1, 0, 22_000, 100_000])
    {
        assert_eq!(
            log.offset_for_timestamp(target).unwrap(),
            expected_for(truth, target, start),
            "target {target}"
        );
    }
    for &(_, ts) in truth.iter().step_by(3) {
        assert_eq!(
            log.offset_for_timestamp(ts).unwrap(),
            expected_for(truth, ts, start)
        );
    }
    assert_eq!(log.max_timestamp_offset().unwrap(), expected_max(truth));
}

#[test]
fn offset_for_timestamp_matches_brute_force() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_bytes: 3000,
        index_interval_bytes: 200,
        ..small_config()
    };
    let (log, truth) = build(dir.path(), config.clone());
    assert!(log.segment_count() > 5);
    check_all(&log, &truth);
    // After a clean restart, closed segments answer from lazily read indexes.
    log.close().unwrap();
    let log = open_clean(dir.path(), config.clone(), 0);
    check_all(&log, &truth);
    // And after a crash with all indexes rebuilt.
    drop(log);
    let mut log = open_unclean(dir.path(), config);
    check_all(&log, &truth);
    // Records below the log start are not returned.
    log.set_high_watermark(i64::MAX);
    let start = truth[truth.len() / 3].0;
    log.delete_records_before(start).unwrap();
    check_all(&log, &truth);
}

#[test]
fn empty_log_has_no_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_unclean(dir.path(), LogConfig::default());
    assert_eq!(log.offset_for_timestamp(0).unwrap(), None);
    assert_eq!(log.max_timestamp_offset().unwrap(), None);
}

#[test]
fn max_timestamp_picks_earliest_record_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    log.append(&batch_ts(&[5, 9, 7], 3, Compression::Gzip), 0, 0)
        .unwrap();
    log.append(&batch_ts(&[9, 1], 3, Compression::None), 0, 0)
        .unwrap();
    log.append(&batch_ts(&[3, 12, 12], 3, Compression::Zstd), 0, 0)
        .unwrap();
    log.append(&batch_ts(&[12], 3, Compression::None), 0, 0)
        .unwrap();
    assert_eq!(log.max_timestamp_offset().unwrap(), Some((6, 12)));
    assert_eq!(log.offset_for_timestamp(8).unwrap(), Some((1, 9)));
    assert_eq!(log.offset_for_timestamp(10).unwrap(), Some((6, 12)));
    assert_eq!(log.offset_for_timestamp(13).unwrap(), None);
}
