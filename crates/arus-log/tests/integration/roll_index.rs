//! Segment rolling (size, time, index full) and index lookups across many
//! segments.

use arus_log::{LogConfig, INDEX_SUFFIX, TIME_INDEX_SUFFIX};

use crate::common::*;

#[test]
fn rolls_by_segment_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let b = batch(2, 10, 50);
    let size = b.len() as u64;
    // Room for exactly three batches per segment.
    let config = LogConfig {
        segment_bytes: size * 3 + size / 2,
        ..small_config()
    };
    let mut log = open_unclean(dir.path(), config);
    for _ in 0..10 {
        log.append(&b.clone(), 0, 0).unwrap();
    }
    assert_eq!(log.segment_base_offsets(), vec![0, 6, 12, 18]);
    assert_eq!(log.size_bytes(), size * 10);
    assert_eq!(log.log_end_offset(), 20);
    for base in [0, 6, 12, 18] {
        assert!(seg_file(dir.path(), base, ".log").exists());
        assert!(seg_file(dir.path(), base, INDEX_SUFFIX).exists());
        assert!(seg_file(dir.path(), base, TIME_INDEX_SUFFIX).exists());
    }
    assert_eq!(
        std::fs::metadata(seg_file(dir.path(), 6, ".log"))
            .unwrap()
            .len(),
        size * 3
    );
    // Rolling flushed the closed segments: the recovery point is the active base.
    assert_eq!(log.recovery_point(), 18);
    assert_eq!(read_all(&log).len() as u64, size * 10);
}

#[test]
fn rolls_by_segment_ms() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_ms: 100,
        ..LogConfig::default()
    };
    let mut log = open_unclean(dir.path(), config);
    log.append(&batch(1, 0, 1), 0, 1_000).unwrap();
    log.append(&batch(1, 0, 1), 0, 1_050).unwrap();
    log.append(&batch(1, 0, 1), 0, 1_100).unwrap();
    assert_eq!(
        log.segment_count(),
        1,
        "exactly segment.ms elapsed is not enough"
    );
    log.append(&batch(1, 0, 1), 0, 1_101).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0, 3]);
    // The new segment's clock starts at its first append.
    log.append(&batch(1, 0, 1), 0, 1_150).unwrap();
    log.append(&batch(1, 0, 1), 0, 1_202).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0, 3, 5]);
}

#[test]
fn rolls_when_index_is_full() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        index_interval_bytes: 0,
        segment_index_bytes: 8 * 4,
        ..LogConfig::default()
    };
    let mut log = open_unclean(dir.path(), config);
    for ts in 0..10 {
        log.append(&batch(1, ts, 1), 0, 0).unwrap();
    }
    // With interval 0 every batch is indexed; 32 bytes hold 2 time entries
    // (12 bytes each), so segments hold 2 batches.
    assert_eq!(log.segment_base_offsets(), vec![0, 2, 4, 6, 8]);
    let dir2 = tempfile::tempdir().unwrap();
    let mut log2 = open_unclean(
        dir2.path(),
        LogConfig {
            index_interval_bytes: 0,
            segment_index_bytes: 8 * 4,
            ..LogConfig::default()
        },
    );
    for _ in 0..10 {
        // Same timestamp: only one time entry per segment, offset index fills at 4.
        log2.append(&batch(1, 5, 1), 0, 0).unwrap();
    }
    assert_eq!(log2.segment_base_offsets(), vec![0, 4, 8]);
}

#[test]
fn index_lookups_across_many_segments() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    let mut rng = Rng::new(7);
    let mut batches = Vec::new(); // (base, last)
    for _ in 0..600 {
        let n = rng.range(1, 4) as usize;
        let info = log
            .append(&batch(n, 1, rng.range(0, 120) as usize), 0, 0)
            .unwrap();
        batches.push((info.base_offset, info.last_offset));
    }
    assert!(log.segment_count() > 20, "{} segments", log.segment_count());
    let leo = log.log_end_offset();
    let check = |log: &arus_log::Log| {
        for offset in 0..leo {
            let bytes = log.read(offset, leo).unwrap().read(1 << 20, false).unwrap();
            let first = headers(&bytes)[0];
            let expected = batches.iter().find(|(_, last)| *last >= offset).unwrap();
            assert_eq!(
                (first.base_offset, first.last_offset()),
                *expected,
                "offset {offset}"
            );
        }
    };
    check(&log);
    // Same answers from indexes loaded from disk after a clean restart.
    log.close().unwrap();
    let log = open_clean(dir.path(), small_config(), 0);
    assert_eq!(log.log_end_offset(), leo);
    check(&log);
    // Each closed segment's offset index is sparse: about one entry per 256 bytes.
    let index_len = std::fs::metadata(seg_file(dir.path(), 0, INDEX_SUFFIX))
        .unwrap()
        .len();
    assert!(
        index_len >= 8 * 4 && index_len % 8 == 0,
        "index of {index_len} bytes"
    );
}
