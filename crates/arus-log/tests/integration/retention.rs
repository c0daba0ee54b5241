//! Time and size retention, DeleteRecords, and the high watermark guard.

use arus_log::{LogConfig, LogError};

use crate::common::*;

/// One batch per segment, timestamps 1000, 2000, ...; returns batch size.
fn one_batch_per_segment(log: &mut arus_log::Log, count: i64) -> u64 {
    let mut size = 0;
    for i in 1..=count {
        let b = batch(2, i * 1000, 40);
        size = b.len() as u64;
        log.append(&b, 0, 0).unwrap();
    }
    size
}

fn config(segment_bytes: u64) -> LogConfig {
    LogConfig {
        segment_bytes,
        ..small_config()
    }
}

#[test]
fn time_retention_deletes_expired_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), config(100));
    one_batch_per_segment(&mut log, 5);
    assert_eq!(log.segment_base_offsets(), vec![0, 2, 4, 6, 8]);
    log.set_high_watermark(10);
    log.update_config(LogConfig {
        retention_ms: 2500,
        ..config(100)
    });
    // now - 1000 and now - 2000 exceed 2500; now - 3000 = 2500 does not.
    assert_eq!(log.apply_retention(5500).unwrap(), 2);
    assert_eq!(log.segment_base_offsets(), vec![4, 6, 8]);
    assert_eq!(log.log_start_offset(), 4);
    assert!(!seg_file(dir.path(), 0, ".log").exists());
    assert!(!seg_file(dir.path(), 2, ".index").exists());
    assert!(matches!(
        log.read(3, 10),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    assert_eq!(headers(&read_all(&log))[0].base_offset, 4);
    assert_eq!(log.apply_retention(5500).unwrap(), 0);
}

#[test]
fn time_retention_rolls_an_expired_active_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(
        dir.path(),
        LogConfig {
            retention_ms: 1000,
            ..config(100)
        },
    );
    one_batch_per_segment(&mut log, 3);
    // The high watermark guards unreplicated data.
    assert_eq!(log.apply_retention(1_000_000).unwrap(), 0);
    log.set_high_watermark(4);
    assert_eq!(log.apply_retention(1_000_000).unwrap(), 2);
    assert_eq!(log.log_start_offset(), 4);
    log.set_high_watermark(6);
    assert_eq!(log.apply_retention(1_000_000).unwrap(), 1);
    assert_eq!(log.segment_base_offsets(), vec![6]);
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (6, 6));
    assert_eq!(log.size_bytes(), 0);
    assert!(log.read(6, 6).unwrap().is_empty());
    // An empty active segment is never deleted, and appends continue.
    assert_eq!(log.apply_retention(1_000_000).unwrap(), 0);
    assert_eq!(log.append(&batch(1, 1, 1), 0, 0).unwrap().base_offset, 6);
}

#[test]
fn size_retention_keeps_at_most_retention_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), config(100));
    let size = one_batch_per_segment(&mut log, 6);
    log.set_high_watermark(12);
    log.update_config(LogConfig {
        retention_bytes: (size * 2 + size / 2) as i64,
        ..config(100)
    });
    // Deletes while what remains is still >= retention.bytes: 6 -> 3 segments.
    assert_eq!(log.apply_retention(0).unwrap(), 3);
    assert_eq!(log.segment_base_offsets(), vec![6, 8, 10]);
    assert_eq!(log.size_bytes(), size * 3);
    assert_eq!(log.log_start_offset(), 6);
    log.update_config(LogConfig {
        retention_bytes: 0,
        ..config(100)
    });
    assert_eq!(log.apply_retention(0).unwrap(), 3);
    assert_eq!(
        (
            log.log_start_offset(),
            log.log_end_offset(),
            log.size_bytes()
        ),
        (12, 12, 0)
    );
}

#[test]
fn retention_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), config(100));
    one_batch_per_segment(&mut log, 4);
    log.close().unwrap();
    // After a clean restart closed segments' max timestamps come from their
    // time index files.
    let mut log = open_clean(
        dir.path(),
        LogConfig {
            retention_ms: 1500,
            ..config(100)
        },
        0,
    );
    assert_eq!(log.apply_retention(4000).unwrap(), 2);
    assert_eq!(log.log_start_offset(), 4);
}

#[test]
fn delete_records_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), config(100));
    one_batch_per_segment(&mut log, 4);
    log.set_high_watermark(6);
    let err = log.delete_records_before(7).unwrap_err();
    assert!(matches!(
        err,
        LogError::OffsetOutOfRange {
            offset: 7,
            log_start: 0,
            log_end: 6
        }
    ));
    assert_eq!(log.delete_records_before(1).unwrap(), 1);
    assert_eq!(log.segment_count(), 4, "segment 0 still holds offset 1");
    assert!(matches!(
        log.read(0, 6),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    let first = log.read(1, 6).unwrap().read(1 << 20, false).unwrap();
    assert_eq!(
        headers(&first)[0].base_offset,
        0,
        "fetch returns the whole batch"
    );
    assert_eq!(log.delete_records_before(5).unwrap(), 5);
    assert_eq!(log.segment_base_offsets(), vec![4, 6]);
    assert_eq!(
        log.delete_records_before(3).unwrap(),
        5,
        "never moves backwards"
    );
    assert_eq!(log.delete_records_before(6).unwrap(), 6);
    assert_eq!(
        log.segment_base_offsets(),
        vec![6],
        "the active segment stays"
    );
    assert_eq!(log.log_start_offset(), 6);
    log.close().unwrap();
    let log = open_clean(dir.path(), config(100), 6);
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (6, 8));
}
