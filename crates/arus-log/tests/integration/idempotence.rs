//! Idempotent producers at the log: duplicates answered with their original offsets and
//! never written twice, gaps and stale epochs refused, and de-duplication that survives a
//! clean restart (snapshot), a crash (rebuilt from the batches), truncation and retention.

use arus_log::{AppendError, Log, RecoveryHint};

use crate::common::*;

/// A batch of `n` records from producer `pid` at `epoch`, sequences from `first_seq`.
fn producer_batch(pid: i64, epoch: i16, first_seq: i32, n: usize) -> Vec<u8> {
    producer_records(pid, epoch, first_seq, n, false, false)
}

/// Appends and returns (base offset, last offset).
fn append(
    log: &mut Log,
    pid: i64,
    epoch: i16,
    first_seq: i32,
    n: usize,
) -> Result<(i64, i64), AppendError> {
    let b = producer_batch(pid, epoch, first_seq, n);
    log.append(&b, 0, 0).map(|i| (i.base_offset, i.last_offset))
}

#[test]
fn duplicates_gaps_and_fenced_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    assert_eq!(append(&mut log, 5, 0, 0, 3).unwrap(), (0, 2));
    assert_eq!(append(&mut log, 6, 0, 0, 1).unwrap(), (3, 3));
    assert_eq!(append(&mut log, 5, 0, 3, 2).unwrap(), (4, 5));
    // Retries of either batch of producer 5 get their original offsets, nothing written.
    assert_eq!(append(&mut log, 5, 0, 0, 3).unwrap(), (0, 2));
    assert_eq!(append(&mut log, 5, 0, 3, 2).unwrap(), (4, 5));
    assert_eq!(log.log_end_offset(), 6);
    // A gap is refused and writes nothing.
    assert!(matches!(
        append(&mut log, 5, 0, 7, 1),
        Err(AppendError::OutOfOrderSequence(_))
    ));
    // A newer epoch starts again at 0; the old epoch is then fenced.
    assert_eq!(append(&mut log, 5, 1, 0, 1).unwrap(), (6, 6));
    let fenced = append(&mut log, 5, 0, 5, 1);
    assert!(matches!(fenced, Err(AppendError::InvalidProducerEpoch(_))));
    assert_eq!(fenced.unwrap_err().kafka_error_code(), 47);
    assert_eq!(log.log_end_offset(), 7);
    assert_eq!(decode(&read_all(&log)).len(), 7);
    // Data without a producer is never de-duplicated.
    let plain = batch(2, 5, 10);
    assert_eq!(log.append(&plain.clone(), 0, 0).unwrap().base_offset, 7);
    assert_eq!(log.append(&plain, 0, 0).unwrap().base_offset, 9);
}

#[test]
fn deduplication_survives_clean_restart_and_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    // Enough data for several segments (4 KiB each), so snapshots are taken at rolls.
    let mut seq = 0;
    for _ in 0..150 {
        append(&mut log, 9, 0, seq, 2).unwrap();
        seq += 2;
    }
    assert!(log.segment_count() > 3);
    let last = (log.log_end_offset() - 2, log.log_end_offset() - 1);

    // Clean shutdown: the snapshot at the log end is enough.
    log.close().unwrap();
    let mut log = open_clean(dir.path(), small_config(), 0);
    assert_eq!(append(&mut log, 9, 0, seq - 2, 2).unwrap(), last);
    assert_eq!(log.log_end_offset(), 300);

    // Crash: no snapshot at the log end; state is rebuilt from the batches after the last
    // roll's snapshot, and the whole retained window still de-duplicates.
    append(&mut log, 9, 0, seq, 2).unwrap();
    seq += 2;
    drop(log);
    let mut log = Log::open(
        dir.path(),
        small_config(),
        RecoveryHint {
            clean_shutdown: false,
            recovery_point: 0,
            log_start_offset: 0,
        },
        0,
    )
    .unwrap();
    assert_eq!(log.log_end_offset(), 302);
    assert_eq!(append(&mut log, 9, 0, seq - 2, 2).unwrap(), (300, 301));
    assert!(matches!(
        append(&mut log, 9, 0, seq + 1, 1),
        Err(AppendError::OutOfOrderSequence(_))
    ));
    assert_eq!(append(&mut log, 9, 0, seq, 1).unwrap(), (302, 302));

    // Without any snapshot the state is rebuilt from the whole log.
    drop(log);
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".snapshot") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let mut log = open_unclean(dir.path(), small_config());
    assert_eq!(append(&mut log, 9, 0, seq, 1).unwrap(), (302, 302));
}

#[test]
fn truncation_and_retention_forget_what_they_remove() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    append(&mut log, 1, 0, 0, 2).unwrap(); // 0-1
    append(&mut log, 1, 0, 2, 2).unwrap(); // 2-3
    log.truncate_to(2).unwrap();
    // The truncated batch is no longer a duplicate: the retry is written again.
    assert_eq!(append(&mut log, 1, 0, 2, 2).unwrap(), (2, 3));
    assert_eq!(log.log_end_offset(), 4);

    // Records of producer 2 deleted below the log start: it may start afresh.
    append(&mut log, 2, 0, 0, 1).unwrap(); // 4
    log.set_high_watermark(log.log_end_offset());
    log.delete_records_before(5).unwrap();
    assert!(log.producer_state().entry(2).is_none());
    assert_eq!(append(&mut log, 2, 0, 40, 1).unwrap(), (5, 5));
}
