//! Log compaction: the cleaner against a model, tombstone horizons, the compaction lag,
//! crashes at every step of the segment swap, transactions, and retention under
//! `compact,delete`.

use std::collections::HashMap;
use std::path::Path;

use arus_log::{CleanerConfig, CleanupPolicy, Log, LogConfig, RecoveryHint, TxnMarker};
use bytes::Bytes;
use kafka_protocol::records::{Compression, Record, TimestampType as WireTimestampType};

use crate::common::*;

/// (key, value) of one record; `None` value is a tombstone.
type Kv = (String, Option<String>);

/// One batch of keyed records, timestamps `ts`, optionally from producer `pid`.
fn kv_batch(
    recs: &[Kv],
    ts: i64,
    compression: Compression,
    producer: Option<(i64, i32, bool)>,
) -> Vec<u8> {
    let (pid, seq, transactional) = producer.unwrap_or((-1, -1, false));
    let records: Vec<Record> = recs
        .iter()
        .enumerate()
        .map(|(i, (k, v))| Record {
            transactional,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: pid,
            producer_epoch: if pid >= 0 { 0 } else { -1 },
            timestamp_type: WireTimestampType::Creation,
            offset: i as i64,
            sequence: if pid >= 0 { seq + i as i32 } else { -1 },
            timestamp: ts,
            key: Some(Bytes::from(k.clone())),
            value: v.clone().map(Bytes::from),
            headers: Default::default(),
        })
        .collect();
    encode(&records, compression)
}

fn kv(k: &str, v: Option<&str>) -> Kv {
    (k.to_string(), v.map(str::to_string))
}

/// Appends plain keyed records at time `ts`; returns their first offset.
fn put(log: &mut Log, recs: &[Kv], ts: i64) -> i64 {
    let b = kv_batch(recs, ts, Compression::None, None);
    let info = log.append(&b, 0, ts).unwrap();
    log.set_high_watermark(log.log_end_offset());
    info.base_offset
}

/// Compacted, no retention, one batch per segment unless told otherwise.
fn compact_config(segment_bytes: u64) -> LogConfig {
    LogConfig {
        segment_bytes,
        index_interval_bytes: 128,
        retention_ms: -1,
        cleanup_policy: CleanupPolicy::COMPACT,
        delete_retention_ms: 1_000,
        ..LogConfig::default()
    }
}

/// Every data record in the log: (offset, key, value); control records left out.
fn records(log: &Log) -> Vec<(i64, String, Option<String>)> {
    let out: Vec<_> = decode(&read_all(log))
        .into_iter()
        .filter(|r| !r.control)
        .map(|r| {
            let s = |b: Option<Bytes>| b.map(|b| String::from_utf8(b.to_vec()).unwrap());
            (r.offset, s(r.key).unwrap(), s(r.value))
        })
        .collect();
    assert!(
        out.windows(2).all(|w| w[0].0 < w[1].0),
        "offsets strictly increase"
    );
    out
}

/// What cleaning everything below `clean_end` must leave of `appended`: the latest record
/// of each key among those below `clean_end` (tombstones too unless `drop_tombstones`),
/// and every record from `clean_end` on.
fn expected(
    appended: &[(i64, String, Option<String>)],
    clean_end: i64,
    drop_tombstones: bool,
) -> Vec<(i64, String, Option<String>)> {
    let mut latest: HashMap<&str, i64> = HashMap::new();
    for (o, k, _) in appended.iter().filter(|(o, _, _)| *o < clean_end) {
        latest.insert(k, *o);
    }
    appended
        .iter()
        .filter(|(o, k, v)| {
            *o >= clean_end || (latest[k.as_str()] == *o && (v.is_some() || !drop_tombstones))
        })
        .cloned()
        .collect()
}

/// Cleans until a pass reports complete; returns the number of passes that did work.
fn clean_fully(log: &mut Log, now: i64, cfg: &CleanerConfig) -> usize {
    let mut passes = 0;
    while let Some(stats) = log.clean(now, cfg).unwrap() {
        passes += 1;
        assert_eq!(stats.end_offset, log.clean_offset());
        if stats.complete {
            break;
        }
        assert!(passes < 1000, "cleaning does not converge");
    }
    passes
}

fn clean_hint() -> RecoveryHint {
    RecoveryHint {
        clean_shutdown: true,
        recovery_point: i64::MAX,
        log_start_offset: 0,
    }
}

/// A log of random keys, values and tombstones over many small segments, as appended.
fn random_log(dir: &Path, seed: u64, batches: usize) -> (Log, Vec<(i64, String, Option<String>)>) {
    let mut log = Log::open(dir, compact_config(600), RecoveryHint::default(), 0).unwrap();
    let mut rng = Rng::new(seed);
    let mut appended = Vec::new();
    for i in 0..batches {
        let n = rng.range(1, 4) as usize;
        let recs: Vec<Kv> = (0..n)
            .map(|j| {
                let key = format!("key-{}", rng.range(0, 29));
                let value = (rng.range(0, 9) > 1)
                    .then(|| format!("v{i}.{j}-{}", "x".repeat(rng.range(0, 20) as usize)));
                (key, value)
            })
            .collect();
        let compression = if i % 3 == 0 {
            Compression::Gzip
        } else {
            Compression::None
        };
        let b = kv_batch(&recs, 1_000 + i as i64, compression, None);
        let info = log.append(&b, 0, 1_000).unwrap();
        for (j, (k, v)) in recs.into_iter().enumerate() {
            appended.push((info.base_offset + j as i64, k, v));
        }
    }
    log.set_high_watermark(log.log_end_offset());
    (log, appended)
}

#[test]
fn cleaning_matches_a_model_over_several_passes() {
    for (seed, dedupe) in [(7u64, 24 * 12), (99, 24 * 3), (1234, 1 << 20)] {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, appended) = random_log(dir.path(), seed, 300);
        let segments_before = log.segment_count();
        let bytes_before = log.size_bytes();
        assert!(segments_before > 20);
        let active_base = *log.segment_base_offsets().last().unwrap();
        assert!(
            log.cleanable_ratio(2_000).unwrap() > 0.99,
            "nothing was clean yet"
        );
        let cfg = CleanerConfig {
            dedupe_buffer_bytes: dedupe,
            io_buffer_bytes: 256,
        };
        // Tombstones are young (horizon 2000 + 1000): they stay.
        let passes = clean_fully(&mut log, 2_000, &cfg);
        if dedupe < 1 << 10 {
            assert!(passes > 1, "a tiny map needs several passes (seed {seed})");
        } else {
            assert_eq!(passes, 1);
        }
        assert_eq!(log.clean_offset(), active_base);
        // Groups are formed by the source sizes (as in Kafka), so full segments shrink in
        // place and merge on a later pass.
        assert!(log.segment_count() <= segments_before);
        assert!(log.size_bytes() < bytes_before);
        let want = expected(&appended, active_base, false);
        assert_eq!(records(&log), want, "seed {seed}");
        assert_eq!(log.cleanable_ratio(2_000), None);
        assert!(
            log.clean(2_000, &cfg).unwrap().is_none(),
            "nothing left to do"
        );
        // Past the horizon, the cleaned tombstones go.
        assert!(!log.compaction_overdue(2_999));
        assert!(log.compaction_overdue(3_000), "tombstone horizon reached");
        let stats = log.clean(3_000, &cfg).unwrap().unwrap();
        assert!(stats.complete);
        let want = expected(&appended, active_base, true);
        assert!(want.len() < records_len_with_tombstones(&appended, active_base));
        assert_eq!(records(&log), want, "seed {seed}");
        assert!(!log.compaction_overdue(3_000));
        assert!(
            log.segment_count() < segments_before,
            "cleaned segments merge"
        );
        // The same after a clean and after an unclean restart.
        log.close().unwrap();
        let log = Log::open(dir.path(), compact_config(600), clean_hint(), 0).unwrap();
        assert_eq!(records(&log), want);
        drop(log);
        let log = open_unclean(dir.path(), compact_config(600));
        assert_eq!(records(&log), want);
    }
}

fn records_len_with_tombstones(appended: &[(i64, String, Option<String>)], end: i64) -> usize {
    expected(appended, end, false).len()
}

#[test]
fn tombstones_go_only_after_delete_retention() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = compact_config(1);
    config.delete_retention_ms = 5_000;
    let mut log = Log::open(dir.path(), config, RecoveryHint::default(), 0).unwrap();
    put(&mut log, &[kv("gone", Some("v1"))], 100);
    put(&mut log, &[kv("kept", Some("k1"))], 100);
    let tomb = put(&mut log, &[kv("gone", None)], 100);
    put(&mut log, &[kv("kept", Some("k2"))], 100); // active segment
    let cfg = CleanerConfig::default();
    // First cleaning at 10_000: the tombstone stays, with horizon 15_000.
    let stats = log.clean(10_000, &cfg).unwrap().unwrap();
    assert_eq!(stats.records_removed, 1);
    let tombstoned = vec![
        (1, "kept".to_string(), Some("k1".to_string())),
        (tomb, "gone".to_string(), None),
        (3, "kept".to_string(), Some("k2".to_string())),
    ];
    assert_eq!(records(&log), tombstoned);
    assert!(!log.compaction_overdue(14_999));
    assert!(log.clean(14_999, &cfg).unwrap().is_none());
    assert_eq!(records(&log), tombstoned);
    // At the horizon it goes, without any new data.
    assert!(log.compaction_overdue(15_000));
    let stats = log.clean(15_000, &cfg).unwrap().unwrap();
    assert_eq!(stats.records_removed, 1);
    assert_eq!(
        records(&log),
        vec![
            (1, "kept".to_string(), Some("k1".to_string())),
            (3, "kept".to_string(), Some("k2".to_string()))
        ]
    );
    // A read at the tombstone's offset (now a gap) starts at the next batch.
    let bytes = log
        .read(tomb, log.high_watermark())
        .unwrap()
        .read(1 << 20, true)
        .unwrap();
    assert_eq!(headers(&bytes)[0].base_offset, 3);
}

#[test]
fn min_compaction_lag_keeps_recent_segments_dirty() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = compact_config(1);
    config.min_compaction_lag_ms = 1_000;
    let mut log = Log::open(dir.path(), config, RecoveryHint::default(), 0).unwrap();
    put(&mut log, &[kv("a", Some("old1"))], 1_000);
    put(&mut log, &[kv("a", Some("old2"))], 2_000);
    let recent = put(&mut log, &[kv("a", Some("new1"))], 5_000);
    put(&mut log, &[kv("a", Some("new2"))], 5_100);
    put(&mut log, &[kv("b", Some("active"))], 5_200);
    let cfg = CleanerConfig::default();
    // At 5_500 only segments whose newest record is older than 4_500 may be cleaned.
    let ratio = log.cleanable_ratio(5_500).unwrap();
    assert!((ratio - 1.0).abs() < 1e-9);
    let stats = log.clean(5_500, &cfg).unwrap().unwrap();
    assert_eq!(
        (stats.first_offset, stats.end_offset, stats.records_removed),
        (0, recent, 1)
    );
    assert_eq!(log.clean_offset(), recent);
    let values: Vec<_> = records(&log)
        .into_iter()
        .map(|(o, _, v)| (o, v.unwrap()))
        .collect();
    assert_eq!(
        values,
        vec![
            (1, "old2".to_string()),
            (2, "new1".to_string()),
            (3, "new2".to_string()),
            (4, "active".to_string())
        ]
    );
    assert!(log.clean(5_500, &cfg).unwrap().is_none());
    // Later the lag has passed: the older values of "a" go.
    log.clean(7_000, &cfg).unwrap().unwrap();
    let values: Vec<_> = records(&log)
        .into_iter()
        .map(|(o, _, v)| (o, v.unwrap()))
        .collect();
    assert_eq!(
        values,
        vec![(3, "new2".to_string()), (4, "active".to_string())]
    );
    // max.compaction.lag.ms makes a log overdue whatever its ratio.
    let mut config = log.config().clone();
    config.max_compaction_lag_ms = 10_000;
    log.update_config(config);
    put(&mut log, &[kv("c", Some("1"))], 6_000);
    put(&mut log, &[kv("c", Some("2"))], 6_000);
    assert!(!log.compaction_overdue(15_000));
    assert!(log.compaction_overdue(16_000));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_crash_at_any_step_of_the_swap_loses_and_duplicates_nothing() {
    let base = tempfile::tempdir().unwrap();
    let original = base.path().join("original");
    let (mut log, appended) = random_log(&original, 42, 14);
    let active_base = *log.segment_base_offsets().last().unwrap();
    let before = records(&log);
    log.flush_for_shutdown().unwrap();
    drop(log);
    // A small map gives several groups and passes; segments of 600 bytes merge in twos.
    let cfg = CleanerConfig {
        dedupe_buffer_bytes: 24 * 12,
        io_buffer_bytes: 1024,
    };
    let after = expected(&appended, active_base, false);
    let mut latest: HashMap<String, Option<String>> = HashMap::new();
    for (_, k, v) in &appended {
        latest.insert(k.clone(), v.clone());
    }
    // The uninterrupted run covers several passes and groups that merge segments.
    let probe = base.path().join("probe");
    copy_dir(&original, &probe);
    let mut log = Log::open(&probe, compact_config(600), clean_hint(), 0).unwrap();
    log.set_high_watermark(log.log_end_offset());
    let mut passes = Vec::new();
    while let Some(s) = log.clean(2_000, &cfg).unwrap() {
        passes.push(s.clone());
        if s.complete {
            break;
        }
    }
    assert!(passes.len() > 1, "{passes:?}");
    assert!(
        passes.iter().any(|s| s.segments_before > s.segments_after),
        "{passes:?}"
    );
    assert_eq!(records(&log), after);
    drop(log);
    let mut n = 0;
    loop {
        let run = base.path().join(format!("run-{n}"));
        copy_dir(&original, &run);
        let mut log = Log::open(&run, compact_config(600), clean_hint(), 0).unwrap();
        log.set_high_watermark(log.log_end_offset());
        log.inject_cleaner_failure(Some(n));
        let mut failed = false;
        loop {
            match log.clean(2_000, &cfg) {
                Ok(Some(s)) if !s.complete => continue,
                Ok(_) => break,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if !failed {
            assert_eq!(records(&log), after);
            break;
        }
        let clean_offset = log.clean_offset();
        drop(log); // the crash
        for (i, hint) in [clean_hint(), RecoveryHint::default()]
            .into_iter()
            .enumerate()
        {
            let reopened = base.path().join(format!("run-{n}-{i}"));
            copy_dir(&run, &reopened);
            let mut log = Log::open(&reopened, compact_config(600), hint, 0).unwrap();
            let got = records(&log);
            // Every key's latest value is there, and no key twice among cleaned offsets
            // below the checkpoint.
            let mut seen: HashMap<String, Option<String>> = HashMap::new();
            for (_, k, v) in &got {
                seen.insert(k.clone(), v.clone());
            }
            assert_eq!(seen, latest, "crash before operation {n}");
            let mut below: Vec<&String> = got
                .iter()
                .filter(|(o, _, _)| *o < clean_offset)
                .map(|(_, k, _)| k)
                .collect();
            let total = below.len();
            below.sort();
            below.dedup();
            assert_eq!(
                below.len(),
                total,
                "a key twice below the checkpoint after a crash before operation {n}"
            );
            assert!(got.len() <= before.len());
            let names = dir_names(&reopened);
            assert!(
                names.iter().all(|f| !f.ends_with(".swap")
                    && !f.ends_with(".cleaned")
                    && !f.ends_with(".deleted")),
                "{names:?}"
            );
            // Cleaning on from the checkpoint ends exactly where an uninterrupted run does.
            log.set_high_watermark(log.log_end_offset());
            log.set_clean_offset(clean_offset);
            clean_fully(&mut log, 2_000, &cfg);
            assert_eq!(records(&log), after, "crash before operation {n}");
        }
        n += 1;
        assert!(n < 10_000);
    }
    assert!(n > 20, "the swap has many steps; got {n}");
}

/// A transactional batch of keyed records from `pid`.
fn txn_put(log: &mut Log, pid: i64, seq: i32, recs: &[Kv]) -> (i64, i64) {
    let b = kv_batch(recs, 100, Compression::None, Some((pid, seq, true)));
    let info = log.append(&b, 0, 100).unwrap();
    (info.base_offset, info.last_offset)
}

fn end_txn(log: &mut Log, pid: i64, commit: bool) -> i64 {
    log.append_marker(
        TxnMarker {
            producer_id: pid,
            producer_epoch: 0,
            commit,
            coordinator_epoch: 0,
        },
        0,
        100,
    )
    .unwrap()
    .base_offset
}

#[test]
fn aborted_records_go_markers_stay_and_gaps_read_as_the_next_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), compact_config(1), RecoveryHint::default(), 0).unwrap();
    put(&mut log, &[kv("a", Some("committed-a"))], 100); // 0
    let superseded = put(&mut log, &[kv("b", Some("old-b"))], 100); // 1
    let (aborted_first, aborted_last) = txn_put(
        &mut log,
        7,
        0,
        &[kv("a", Some("aborted-a")), kv("c", Some("aborted-c"))],
    ); // 2..3
    let abort_marker = end_txn(&mut log, 7, false); // 4
    txn_put(&mut log, 8, 0, &[kv("b", Some("new-b"))]); // 5
    let commit_marker = end_txn(&mut log, 8, true); // 6
    put(&mut log, &[kv("z", Some("active"))], 100); // 7, active
    log.set_high_watermark(log.log_end_offset());
    assert_eq!(log.aborted_transactions(0, 8).unwrap().len(), 1);
    let stats = log
        .clean(1_000, &CleanerConfig::default())
        .unwrap()
        .unwrap();
    assert_eq!(stats.records_removed, 3);
    assert_eq!(
        records(&log),
        vec![
            (0, "a".to_string(), Some("committed-a".to_string())),
            (5, "b".to_string(), Some("new-b".to_string())),
            (7, "z".to_string(), Some("active".to_string()))
        ]
    );
    // Batch by batch: the aborted batch is kept empty (it is producer 7's last batch, so
    // its sequence stays in the log), both markers stay.
    let all = headers(&read_all(&log));
    let summary: Vec<(i64, i64, i32, bool)> = all
        .iter()
        .map(|h| {
            (
                h.base_offset,
                h.last_offset(),
                h.records_count,
                h.is_control(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (0, 0, 1, false),
            (aborted_first, aborted_last, 0, false),
            (abort_marker, abort_marker, 1, true),
            (5, 5, 1, false),
            (commit_marker, commit_marker, 1, true),
            (7, 7, 1, false)
        ]
    );
    // A read in the gap left by "old-b" starts at the next batch.
    let bytes = log
        .read(superseded, log.high_watermark())
        .unwrap()
        .read(1 << 20, true)
        .unwrap();
    assert_eq!(headers(&bytes)[0].base_offset, aborted_first);
    // The abort is still listed for read_committed fetches; producer state is intact
    // across a reopen that rebuilds it from the log.
    assert_eq!(log.aborted_transactions(0, 8).unwrap().len(), 1);
    log.close().unwrap();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".snapshot") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let log = open_unclean(dir.path(), compact_config(1));
    assert_eq!(log.aborted_transactions(0, 8).unwrap().len(), 1);
    assert_eq!(log.producer_state().entry(7).unwrap().last_seq(), 1);
    assert_eq!(log.producer_state().entry(8).unwrap().last_seq(), 0);
    assert!(log.open_transactions().is_empty());
}

#[test]
fn open_transactions_are_not_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), compact_config(1), RecoveryHint::default(), 0).unwrap();
    put(&mut log, &[kv("a", Some("1"))], 100);
    let (open_at, _) = txn_put(&mut log, 9, 0, &[kv("a", Some("in-txn"))]);
    put(&mut log, &[kv("a", Some("3"))], 100);
    put(&mut log, &[kv("z", Some("active"))], 100);
    log.set_high_watermark(log.log_end_offset());
    assert_eq!(log.last_stable_offset(), open_at);
    // Only [0, LSO) is cleanable: the first record has nothing newer there.
    let stats = log
        .clean(1_000, &CleanerConfig::default())
        .unwrap()
        .unwrap();
    assert_eq!((stats.end_offset, stats.records_removed), (open_at, 0));
    assert_eq!(records(&log).len(), 4);
}

#[test]
fn compact_delete_applies_retention_compact_alone_does_not() {
    for (policy, expect_deleted) in [
        (CleanupPolicy::COMPACT_DELETE, true),
        (CleanupPolicy::COMPACT, false),
        (CleanupPolicy::DELETE, true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = LogConfig {
            retention_ms: 10_000,
            cleanup_policy: policy,
            ..compact_config(1)
        };
        let mut log = Log::open(dir.path(), config, RecoveryHint::default(), 0).unwrap();
        put(&mut log, &[kv("a", Some("1"))], 1_000);
        put(&mut log, &[kv("b", Some("2"))], 1_000);
        put(&mut log, &[kv("c", Some("3"))], 50_000);
        let deleted = log.apply_retention(20_000).unwrap();
        if expect_deleted {
            assert_eq!((deleted, log.log_start_offset()), (2, 2), "{policy:?}");
            assert_eq!(
                records(&log),
                vec![(2, "c".to_string(), Some("3".to_string()))]
            );
        } else {
            assert_eq!((deleted, log.log_start_offset()), (0, 0), "{policy:?}");
            assert_eq!(records(&log).len(), 3);
        }
        // Cleaning is for compacted logs only.
        let cleaned = log.clean(20_000, &CleanerConfig::default()).unwrap();
        if !policy.compact {
            assert!(cleaned.is_none());
        }
    }
}
