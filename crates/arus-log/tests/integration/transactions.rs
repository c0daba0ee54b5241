//! Transactions at the log: markers written as real control batches, the last stable
//! offset, the aborted-transaction lists a read_committed fetch needs, fencing, and open
//! transactions and `.txnindex` files that survive clean and unclean restarts,
//! truncation, retention and producer expiry.

use std::collections::BTreeMap;
use std::path::Path;

use arus_log::{AbortedTxn, AppendError, Log, RecoveryHint, TxnMarker, TXN_INDEX_SUFFIX};

use crate::common::*;

/// Appends a transactional batch; returns (base offset, last offset).
fn txn(
    log: &mut Log,
    pid: i64,
    epoch: i16,
    first_seq: i32,
    n: usize,
) -> Result<(i64, i64), AppendError> {
    let b = producer_records(pid, epoch, first_seq, n, true, false);
    log.append(&b, 0, 0).map(|i| (i.base_offset, i.last_offset))
}

/// Appends `n` records without a producer; returns (base offset, last offset).
fn plain(log: &mut Log, n: usize) -> (i64, i64) {
    let b = batch(n, 1_000, 40);
    let info = log.append(&b, 0, 0).unwrap();
    (info.base_offset, info.last_offset)
}

/// Writes a marker at time 5000; returns its offset.
fn marker(
    log: &mut Log,
    pid: i64,
    epoch: i16,
    commit: bool,
    coordinator_epoch: i32,
) -> Result<i64, AppendError> {
    let info = log.append_marker(
        TxnMarker {
            producer_id: pid,
            producer_epoch: epoch,
            commit,
            coordinator_epoch,
        },
        0,
        5_000,
    )?;
    assert_eq!(info.base_offset, info.last_offset);
    assert_eq!(info.record_count, 1);
    Ok(info.base_offset)
}

/// Marks everything replicated: high watermark = log end.
fn replicate(log: &mut Log) {
    log.set_high_watermark(log.log_end_offset());
}

/// The aborted list as (producer ID, first offset) pairs.
fn aborted(log: &Log, start: i64, upper: i64) -> Vec<(i64, i64)> {
    log.aborted_transactions(start, upper)
        .unwrap()
        .into_iter()
        .map(
            |AbortedTxn {
                 producer_id,
                 first_offset,
             }| (producer_id, first_offset),
        )
        .collect()
}

/// Entries of a `.txnindex` file, decoded by hand from Kafka's 34-byte layout:
/// (producer ID, first offset, last offset, last stable offset).
fn txnindex(dir: &Path, base: i64) -> Vec<(i64, i64, i64, i64)> {
    let path = seg_file(dir, base, TXN_INDEX_SUFFIX);
    let bytes = std::fs::read(path).unwrap_or_default();
    assert_eq!(bytes.len() % 34, 0, "whole entries only");
    bytes
        .chunks(34)
        .map(|e| {
            assert_eq!(&e[..2], &[0, 0], "version 0");
            let at = |i: usize| i64::from_be_bytes(e[i..i + 8].try_into().unwrap());
            (at(2), at(10), at(18), at(26))
        })
        .collect()
}

/// Every `.txnindex` in the directory: base offset -> raw bytes.
fn all_txnindexes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(TXN_INDEX_SUFFIX))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn remove_files_ending(dir: &Path, suffix: &str) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(suffix) {
            std::fs::remove_file(p).unwrap();
        }
    }
}

fn unclean_open(dir: &Path) -> Log {
    Log::open(
        dir,
        small_config(),
        RecoveryHint {
            clean_shutdown: false,
            recovery_point: 0,
            log_start_offset: 0,
        },
        0,
    )
    .unwrap()
}

#[test]
fn committed_and_aborted_transactions_interleaved_with_plain_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    assert_eq!(plain(&mut log, 2), (0, 1));
    // Nothing replicated yet: the LSO never passes the high watermark.
    assert_eq!(log.last_stable_offset(), 0);
    replicate(&mut log);
    assert_eq!(log.last_stable_offset(), 2);

    assert_eq!(txn(&mut log, 10, 0, 0, 3).unwrap(), (2, 4));
    assert_eq!(log.last_stable_offset(), 2);
    replicate(&mut log);
    assert_eq!(log.open_transactions(), vec![(10, 2)]);
    assert_eq!(log.last_stable_offset(), 2);
    assert_eq!(plain(&mut log, 1), (5, 5));
    assert_eq!(txn(&mut log, 20, 0, 0, 2).unwrap(), (6, 7));
    assert_eq!(txn(&mut log, 10, 0, 3, 1).unwrap(), (8, 8));
    replicate(&mut log);
    assert_eq!(log.open_transactions(), vec![(10, 2), (20, 6)]);
    assert_eq!(log.last_stable_offset(), 2);

    // Commit producer 10: producer 20's transaction now holds the LSO.
    assert_eq!(marker(&mut log, 10, 0, true, 1).unwrap(), 9);
    replicate(&mut log);
    assert_eq!(log.open_transactions(), vec![(20, 6)]);
    assert_eq!(log.last_stable_offset(), 6);
    assert!(aborted(&log, 0, 10).is_empty(), "a commit lists nothing");

    // Abort producer 20: nothing open, LSO = high watermark.
    assert_eq!(marker(&mut log, 20, 0, false, 1).unwrap(), 10);
    assert_eq!(
        log.last_stable_offset(),
        10,
        "bounded by the high watermark"
    );
    replicate(&mut log);
    assert_eq!(log.last_stable_offset(), 11);
    assert!(log.open_transactions().is_empty());

    // Producer 10 starts a second transaction and aborts it.
    assert_eq!(txn(&mut log, 10, 0, 4, 2).unwrap(), (11, 12));
    replicate(&mut log);
    assert_eq!(log.last_stable_offset(), 11);
    assert_eq!(marker(&mut log, 10, 0, false, 1).unwrap(), 13);
    assert_eq!(plain(&mut log, 1), (14, 14));
    replicate(&mut log);
    assert_eq!(log.last_stable_offset(), 15);

    // Kafka's .txnindex: (pid, first, last = marker, LSO right after the abort).
    assert_eq!(
        txnindex(dir.path(), 0),
        vec![(20, 6, 10, 11), (10, 11, 13, 14)]
    );
    assert_eq!(aborted(&log, 0, 6), vec![]);
    assert_eq!(aborted(&log, 0, 7), vec![(20, 6)]);
    assert_eq!(aborted(&log, 0, 15), vec![(20, 6), (10, 11)]);
    assert_eq!(aborted(&log, 10, 12), vec![(20, 6), (10, 11)]);
    assert_eq!(aborted(&log, 11, 15), vec![(10, 11)]);
    assert_eq!(aborted(&log, 14, 15), vec![]);
}

#[test]
fn markers_are_real_control_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    txn(&mut log, 7, 3, 0, 2).unwrap(); // 0-1
    let info = log
        .append_marker(
            TxnMarker {
                producer_id: 7,
                producer_epoch: 3,
                commit: true,
                coordinator_epoch: 12,
            },
            4,
            6_000,
        )
        .unwrap();
    assert_eq!((info.base_offset, info.last_offset), (2, 2));
    assert_eq!((info.max_timestamp, info.log_append_time), (6_000, -1));
    txn(&mut log, 7, 3, 2, 1).unwrap(); // 3
    marker(&mut log, 7, 3, false, 12).unwrap(); // 4

    let bytes = read_all(&log);
    let hs = headers(&bytes);
    assert_eq!(hs.len(), 4);
    let (data, commit, abort) = (hs[0], hs[1], hs[3]);
    assert!(data.is_transactional() && !data.is_control());
    for (h, offset) in [(commit, 2), (abort, 4)] {
        assert_eq!(h.attributes, 0x30);
        assert_eq!(h.base_offset, offset);
        assert_eq!((h.producer_id, h.producer_epoch), (7, 3));
        assert_eq!(
            (h.base_sequence, h.records_count, h.last_offset_delta),
            (-1, 1, 0)
        );
    }
    assert_eq!(commit.partition_leader_epoch, 4);
    assert_eq!(
        (commit.base_timestamp, commit.max_timestamp),
        (6_000, 6_000)
    );

    // The decoder (which checks CRCs) sees control records with Kafka's key and value.
    let records = decode(&bytes);
    assert_eq!(records.len(), 5);
    let controls: Vec<_> = records.iter().filter(|r| r.control).collect();
    assert_eq!(controls.len(), 2);
    let (c, a) = (controls[0], controls[1]);
    assert!(c.transactional && a.transactional);
    assert_eq!((c.offset, a.offset), (2, 4));
    assert_eq!((c.timestamp, a.timestamp), (6_000, 5_000));
    assert_eq!(c.key.as_deref(), Some(&[0u8, 0, 0, 1][..]), "commit");
    assert_eq!(a.key.as_deref(), Some(&[0u8, 0, 0, 0][..]), "abort");
    assert_eq!(c.value.as_deref(), Some(&[0u8, 0, 0, 0, 0, 12][..]));
    assert_eq!(a.value.as_deref(), Some(&[0u8, 0, 0, 0, 0, 12][..]));
    assert!(c.headers.is_empty());
    assert!(records
        .iter()
        .filter(|r| !r.control)
        .all(|r| r.transactional));

    // A client may not write a control batch itself.
    let forged = producer_records(7, 3, 3, 1, true, true);
    let err = log.append(&forged, 0, 0).unwrap_err();
    assert!(matches!(err, AppendError::InvalidRecord(_)));
    assert_eq!(log.log_end_offset(), 5);
}

#[test]
fn old_epochs_and_coordinators_are_fenced() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    assert_eq!(txn(&mut log, 1, 1, 0, 2).unwrap(), (0, 1));
    // An old-epoch marker writes nothing and leaves the transaction open.
    let err = marker(&mut log, 1, 0, false, 3).unwrap_err();
    assert!(matches!(err, AppendError::InvalidProducerEpoch(_)));
    assert_eq!(err.kafka_error_code(), 47);
    // So does an old-epoch transactional batch.
    let err = txn(&mut log, 1, 0, 2, 1).unwrap_err();
    assert!(matches!(err, AppendError::InvalidProducerEpoch(_)));
    assert_eq!(log.log_end_offset(), 2);
    assert_eq!(log.open_transactions(), vec![(1, 0)]);
    // A non-transactional batch inside an open transaction is INVALID_TXN_STATE.
    let idem = producer_records(1, 1, 2, 1, false, false);
    let err = log.append(&idem, 0, 0).unwrap_err();
    assert!(matches!(err, AppendError::InvalidTxnState(_)));
    assert_eq!(err.kafka_error_code(), 48);

    assert_eq!(marker(&mut log, 1, 1, true, 3).unwrap(), 2);
    // A marker from an older coordinator epoch is fenced.
    let err = marker(&mut log, 1, 1, true, 2).unwrap_err();
    assert!(matches!(err, AppendError::TransactionCoordinatorFenced(_)));
    assert_eq!(err.kafka_error_code(), 52);
    assert_eq!(log.log_end_offset(), 3);

    // A marker for a producer with nothing open here is written and completes nothing.
    assert_eq!(marker(&mut log, 99, 0, false, 3).unwrap(), 3);
    assert_eq!(log.log_end_offset(), 4);
    assert!(txnindex(dir.path(), 0).is_empty());
    assert!(!seg_file(dir.path(), 0, TXN_INDEX_SUFFIX).exists());

    // A bumped-epoch abort (the coordinator fencing a zombie) ends the epoch-1
    // transaction; epoch 1 is then fenced, epoch 2 starts afresh at sequence 0.
    assert_eq!(txn(&mut log, 1, 1, 2, 1).unwrap(), (4, 4));
    assert_eq!(marker(&mut log, 1, 2, false, 3).unwrap(), 5);
    assert!(log.open_transactions().is_empty());
    assert_eq!(txnindex(dir.path(), 0), vec![(1, 4, 5, 6)]);
    assert!(matches!(
        txn(&mut log, 1, 1, 3, 1),
        Err(AppendError::InvalidProducerEpoch(_))
    ));
    assert_eq!(txn(&mut log, 1, 2, 0, 1).unwrap(), (6, 6));
    assert_eq!(log.open_transactions(), vec![(1, 6)]);
}

/// Offsets of the multi-segment log built by [`spanning_log`].
struct Spanning {
    /// Marker offsets: P1 abort, P2 commit, P4 abort.
    p1_abort: i64,
    p2_commit: i64,
    p4_first: i64,
    p4_abort: i64,
}

/// A log over several 4 KiB segments: P1's transaction starts at 0 and is aborted
/// segments later; P2 (from 85) commits; P3 (from 169) stays open; P4 aborts in the last
/// segment. High watermark at the log end.
fn spanning_log(dir: &Path) -> (Log, Spanning) {
    let mut log = open_unclean(dir, small_config());
    assert_eq!(txn(&mut log, 1, 0, 0, 5).unwrap(), (0, 4));
    for _ in 0..8 {
        plain(&mut log, 10);
    }
    assert_eq!(txn(&mut log, 2, 0, 0, 3).unwrap(), (85, 87));
    for _ in 0..8 {
        plain(&mut log, 10);
    }
    let p1_abort = marker(&mut log, 1, 0, false, 1).unwrap();
    assert_eq!(p1_abort, 168);
    assert_eq!(txn(&mut log, 3, 0, 0, 2).unwrap(), (169, 170));
    let p2_commit = marker(&mut log, 2, 0, true, 1).unwrap();
    assert_eq!(p2_commit, 171);
    for _ in 0..8 {
        plain(&mut log, 10);
    }
    let (p4_first, _) = txn(&mut log, 4, 0, 0, 2).unwrap();
    assert_eq!(p4_first, 252);
    let p4_abort = marker(&mut log, 4, 0, false, 1).unwrap();
    assert_eq!(p4_abort, 254);
    replicate(&mut log);
    (
        log,
        Spanning {
            p1_abort,
            p2_commit,
            p4_first,
            p4_abort,
        },
    )
}

/// Base offset of the segment holding `offset`.
fn segment_of(log: &Log, offset: i64) -> i64 {
    *log.segment_base_offsets()
        .iter()
        .rev()
        .find(|&&b| b <= offset)
        .unwrap()
}

/// What a fetcher sees of the spanning log: open transactions, LSO and several windows.
fn assert_spanning_state(log: &Log) {
    assert_eq!(log.log_end_offset(), 255);
    assert_eq!(log.open_transactions(), vec![(3, 169)]);
    assert_eq!(log.last_stable_offset(), 169);
    // P1's abort entry sits segments after offset 0: found all the same.
    assert_eq!(aborted(log, 0, 5), vec![(1, 0)]);
    assert_eq!(aborted(log, 100, 200), vec![(1, 0)]);
    assert_eq!(aborted(log, 0, 255), vec![(1, 0), (4, 252)]);
    assert_eq!(aborted(log, 169, 260), vec![(4, 252)]);
    assert_eq!(aborted(log, 250, 252), vec![]);
}

#[test]
fn open_transactions_and_aborts_survive_clean_and_crash_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (log, s) = spanning_log(dir.path());
    let p1_seg = segment_of(&log, s.p1_abort);
    let p4_seg = segment_of(&log, s.p4_abort);
    assert!(
        p1_seg > 0,
        "the abort lands in a later segment than its first offset"
    );
    assert!(p4_seg > p1_seg);
    assert_eq!(
        *log.segment_base_offsets().last().unwrap(),
        p4_seg,
        "P4's abort is in the active segment, after the last roll's snapshot"
    );
    assert_eq!(segment_of(&log, s.p2_commit), p1_seg);
    assert_eq!(txnindex(dir.path(), p1_seg), vec![(1, 0, 168, 85)]);
    assert_eq!(
        txnindex(dir.path(), p4_seg),
        vec![(4, s.p4_first, s.p4_abort, 169)]
    );
    assert_spanning_state(&log);
    let files = all_txnindexes(dir.path());
    assert_eq!(files.len(), 2);

    // Clean restart: the shutdown snapshot carries the open transaction.
    log.close().unwrap();
    let log = open_clean(dir.path(), small_config(), 0);
    assert_spanning_state(&log);
    assert_eq!(all_txnindexes(dir.path()), files);

    // Crash (no close), full recovery from offset 0.
    drop(log);
    let log = unclean_open(dir.path());
    assert_spanning_state(&log);
    assert_eq!(all_txnindexes(dir.path()), files);

    // Crash that lost every .txnindex and snapshot: all rebuilt from the markers, byte for
    // byte (same LSO-after-abort values), and a second rebuild adds no duplicates.
    drop(log);
    remove_files_ending(dir.path(), TXN_INDEX_SUFFIX);
    remove_files_ending(dir.path(), ".snapshot");
    let log = unclean_open(dir.path());
    assert_spanning_state(&log);
    assert_eq!(all_txnindexes(dir.path()), files);
    drop(log);
    let mut log = unclean_open(dir.path());
    assert_eq!(all_txnindexes(dir.path()), files);

    // The reopened log keeps working: P3 commits, nothing is open.
    assert_eq!(marker(&mut log, 3, 0, true, 1).unwrap(), 255);
    replicate(&mut log);
    assert_eq!(log.last_stable_offset(), 256);
    assert!(log.open_transactions().is_empty());
}

#[test]
fn abort_entry_lost_in_a_crash_is_rewritten_from_the_active_segment() {
    let dir = tempfile::tempdir().unwrap();
    let (log, s) = spanning_log(dir.path());
    let p4_seg = segment_of(&log, s.p4_abort);
    let expected = txnindex(dir.path(), p4_seg);
    drop(log);
    // The marker reached the .log but its index entry did not; the roll snapshot before
    // it is kept, so only the active segment is replayed.
    std::fs::remove_file(seg_file(dir.path(), p4_seg, TXN_INDEX_SUFFIX)).unwrap();
    let log = Log::open(
        dir.path(),
        small_config(),
        RecoveryHint {
            clean_shutdown: false,
            recovery_point: p4_seg,
            log_start_offset: 0,
        },
        0,
    )
    .unwrap();
    assert_eq!(txnindex(dir.path(), p4_seg), expected);
    assert_spanning_state(&log);
}

#[test]
fn truncation_reopens_transactions_and_drops_later_aborts() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    assert_eq!(txn(&mut log, 1, 0, 0, 2).unwrap(), (0, 1));
    plain(&mut log, 1); // 2
    assert_eq!(txn(&mut log, 1, 0, 2, 1).unwrap(), (3, 3));
    assert_eq!(marker(&mut log, 1, 0, false, 1).unwrap(), 4);
    assert_eq!(txn(&mut log, 2, 0, 0, 2).unwrap(), (5, 6));
    plain(&mut log, 1); // 7
    replicate(&mut log);
    assert_eq!(log.open_transactions(), vec![(2, 5)]);
    assert_eq!(txnindex(dir.path(), 0), vec![(1, 0, 4, 5)]);

    // Into the middle of producer 2's transaction (6 is inside batch 5-6): it is gone.
    log.truncate_to(6).unwrap();
    assert_eq!(log.log_end_offset(), 5);
    assert!(log.open_transactions().is_empty());
    assert_eq!(log.last_stable_offset(), 5);
    assert_eq!(txnindex(dir.path(), 0), vec![(1, 0, 4, 5)]);
    assert_eq!(aborted(&log, 0, 5), vec![(1, 0)]);

    // Below the abort marker: its entry goes and producer 1's transaction is open again.
    log.truncate_to(4).unwrap();
    assert_eq!(log.log_end_offset(), 4);
    assert_eq!(log.open_transactions(), vec![(1, 0)]);
    assert_eq!(log.last_stable_offset(), 0);
    assert!(txnindex(dir.path(), 0).is_empty());
    assert!(aborted(&log, 0, 4).is_empty());
    // Producer 1 can go on inside that transaction, and abort it again.
    assert_eq!(txn(&mut log, 1, 0, 3, 1).unwrap(), (4, 4));
    assert_eq!(marker(&mut log, 1, 0, false, 1).unwrap(), 5);
    replicate(&mut log);
    assert_eq!(txnindex(dir.path(), 0), vec![(1, 0, 5, 6)]);
    assert_eq!(log.last_stable_offset(), 6);

    // Across segments: truncating inside P3's transaction (169-170) of the spanning log
    // also removes P2's commit (171) and everything of P4, so P2 is open again.
    let dir = tempfile::tempdir().unwrap();
    let (mut log, s) = spanning_log(dir.path());
    let p4_seg = segment_of(&log, s.p4_abort);
    log.truncate_to(170).unwrap();
    assert_eq!(log.log_end_offset(), 169);
    assert_eq!(log.open_transactions(), vec![(2, 85)]);
    assert_eq!(log.last_stable_offset(), 85);
    assert_eq!(aborted(&log, 0, 169), vec![(1, 0)]);
    assert!(
        !seg_file(dir.path(), p4_seg, TXN_INDEX_SUFFIX).exists(),
        "a deleted segment's .txnindex goes with it"
    );
    // And the rebuilt state is what a restart sees.
    log.close().unwrap();
    let log = open_clean(dir.path(), small_config(), 0);
    assert_eq!(log.open_transactions(), vec![(2, 85)]);
    assert_eq!(aborted(&log, 0, 169), vec![(1, 0)]);
}

#[test]
fn retention_removes_txnindexes_with_their_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, s) = spanning_log(dir.path());
    let p1_seg = segment_of(&log, s.p1_abort);
    let p4_seg = segment_of(&log, s.p4_abort);
    assert!(seg_file(dir.path(), p1_seg, TXN_INDEX_SUFFIX).exists());
    // Keep only the active segment.
    let mut config = small_config();
    config.retention_bytes = 1;
    log.update_config(config);
    let deleted = log.apply_retention(0).unwrap();
    assert!(deleted >= 2);
    assert_eq!(log.segment_base_offsets(), vec![p4_seg]);
    assert_eq!(log.log_start_offset(), p4_seg);
    for suffix in [".log", ".index", ".timeindex", TXN_INDEX_SUFFIX] {
        assert!(!seg_file(dir.path(), p1_seg, suffix).exists(), "{suffix}");
    }
    assert_eq!(all_txnindexes(dir.path()).len(), 1);
    // P3's transaction (from 169) is still open though its data is gone: the LSO is held
    // at the log start.
    assert!(p4_seg > 169);
    assert_eq!(log.open_transactions(), vec![(3, 169)]);
    assert_eq!(log.last_stable_offset(), p4_seg);
    assert_eq!(aborted(&log, p4_seg, 255), vec![(4, 252)]);

    // A .txnindex without its .log is removed on open, like the other index files.
    log.close().unwrap();
    let stray = seg_file(dir.path(), 7, TXN_INDEX_SUFFIX);
    std::fs::write(&stray, [0u8; 34]).unwrap();
    let log = open_clean(dir.path(), small_config(), p4_seg);
    assert!(!stray.exists());
    assert_eq!(log.open_transactions(), vec![(3, 169)]);
}

#[test]
fn expiry_keeps_producers_with_open_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    txn(&mut log, 1, 0, 0, 1).unwrap(); // open, last timestamp 1000
    let idem = producer_records(2, 0, 0, 1, false, false);
    log.append(&idem, 0, 0).unwrap(); // idempotent only, 1000
    txn(&mut log, 3, 0, 0, 1).unwrap();
    marker(&mut log, 3, 0, true, 0).unwrap(); // committed at 5000
    replicate(&mut log);
    assert_eq!(log.producer_state().len(), 3);

    // Long idle: 2 and 3 expire, 1 keeps its open transaction and the LSO.
    assert_eq!(log.expire_producers(100_000, 1_000), 2);
    assert!(log.producer_state().entry(1).is_some());
    assert_eq!(log.open_transactions(), vec![(1, 0)]);
    assert_eq!(log.last_stable_offset(), 0);

    // Once committed (at 5000) it may expire like any producer.
    marker(&mut log, 1, 0, true, 0).unwrap();
    assert_eq!(log.expire_producers(5_500, 1_000), 0);
    assert_eq!(log.expire_producers(6_000, 1_000), 1);
    assert!(log.producer_state().is_empty());
}
