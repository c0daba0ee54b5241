//! Reopening: clean (no scan, lazy indexes), after a crash (torn tail,
//! flipped byte), rebuilt indexes, stray files, log start hints.

use std::fs::OpenOptions;
use std::path::Path;

use arus_log::{Log, LogConfig, RecoveryHint, INDEX_SUFFIX, TIME_INDEX_SUFFIX};

use crate::common::*;

/// Appends `count` batches of 1-3 records; returns (base, last, bytes) per batch.
fn fill(log: &mut Log, count: usize, seed: u64) -> Vec<(i64, i64, Vec<u8>)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for i in 0..count {
        let mut b = batch(
            rng.range(1, 3) as usize,
            1000 + i as i64,
            rng.range(10, 150) as usize,
        );
        let info = append_in_place(log, &mut b, 0, 0).unwrap();
        out.push((info.base_offset, info.last_offset, b));
    }
    out
}

fn concat(batches: &[(i64, i64, Vec<u8>)]) -> Vec<u8> {
    batches.iter().flat_map(|(_, _, b)| b.clone()).collect()
}

fn flip_byte(path: &Path, position: u64) {
    let mut data = std::fs::read(path).unwrap();
    data[position as usize] ^= 0x40;
    std::fs::write(path, data).unwrap();
}

fn unclean_hint(recovery_point: i64) -> RecoveryHint {
    RecoveryHint {
        clean_shutdown: false,
        recovery_point,
        log_start_offset: 0,
    }
}

#[test]
fn clean_reopen_keeps_leo_without_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    let batches = fill(&mut log, 200, 1);
    let leo = log.log_end_offset();
    let bases = log.segment_base_offsets();
    assert!(bases.len() > 4);
    log.close().unwrap();
    // Damage a record payload (not a header) in a closed segment: a scan with
    // CRC checks would truncate there; a clean open must not notice.
    let second = bases[1];
    let log_path = seg_file(dir.path(), second, ".log");
    let original_index = std::fs::read(seg_file(dir.path(), second, INDEX_SUFFIX)).unwrap();
    let original_time_index =
        std::fs::read(seg_file(dir.path(), second, TIME_INDEX_SUFFIX)).unwrap();
    flip_byte(&log_path, 70);
    std::fs::remove_file(seg_file(dir.path(), second, INDEX_SUFFIX)).unwrap();
    std::fs::remove_file(seg_file(dir.path(), second, TIME_INDEX_SUFFIX)).unwrap();

    let log = open_clean(dir.path(), small_config(), 0);
    assert_eq!(log.log_end_offset(), leo);
    assert_eq!(log.segment_base_offsets(), bases);
    assert_eq!(log.recovery_point(), leo);
    assert!(
        !seg_file(dir.path(), second, INDEX_SUFFIX).exists(),
        "closed segment indexes are loaded lazily"
    );
    // First lookup in that segment rebuilds its indexes, byte for byte.
    let target = batches
        .iter()
        .find(|(base, _, _)| *base > second && *base < bases[2])
        .unwrap();
    let bytes = log
        .read(target.0, leo)
        .unwrap()
        .read(1 << 20, false)
        .unwrap();
    assert_eq!(headers(&bytes)[0].base_offset, target.0);
    assert_eq!(
        std::fs::read(seg_file(dir.path(), second, INDEX_SUFFIX)).unwrap(),
        original_index
    );
    assert_eq!(
        std::fs::read(seg_file(dir.path(), second, TIME_INDEX_SUFFIX)).unwrap(),
        original_time_index
    );
}

#[test]
fn unclean_reopen_truncates_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    let batches = fill(&mut log, 60, 2);
    let rp = log.recovery_point();
    let active = *log.segment_base_offsets().last().unwrap();
    drop(log); // crash: nothing flushed since the last roll
    let (last_base, _, last_bytes) = batches.last().unwrap();
    assert!(*last_base >= active);
    let path = seg_file(dir.path(), active, ".log");
    let len = std::fs::metadata(&path).unwrap().len();
    let torn = len - last_bytes.len() as u64 / 2;
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(torn)
        .unwrap();

    let log = Log::open(dir.path(), small_config(), unclean_hint(rp), 0).unwrap();
    assert_eq!(log.log_end_offset(), *last_base);
    assert_eq!(read_all(&log), concat(&batches[..batches.len() - 1]));
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        len - last_bytes.len() as u64
    );
    // Indexes were rebuilt: every offset is found.
    for (base, last, _) in &batches[..batches.len() - 1] {
        for offset in [*base, *last] {
            let bytes = log
                .read(offset, *last_base)
                .unwrap()
                .read(1 << 20, false)
                .unwrap();
            assert_eq!(headers(&bytes)[0].base_offset, *base);
        }
    }
    // And the log keeps working at the right offset.
    let mut log = log;
    assert_eq!(
        append_in_place(&mut log, &mut batch(1, 5, 5), 0, 0)
            .unwrap()
            .base_offset,
        *last_base
    );
}

#[test]
fn unclean_reopen_truncates_at_flipped_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    let batches = fill(&mut log, 60, 3);
    let rp = log.recovery_point();
    let active = *log.segment_base_offsets().last().unwrap();
    drop(log);
    let path = seg_file(dir.path(), active, ".log");
    let len = std::fs::metadata(&path).unwrap().len();
    flip_byte(&path, len - 1);

    let log = Log::open(dir.path(), small_config(), unclean_hint(rp), 0).unwrap();
    let (last_base, _, _) = batches.last().unwrap();
    assert_eq!(log.log_end_offset(), *last_base);
    assert_eq!(read_all(&log), concat(&batches[..batches.len() - 1]));
}

#[test]
fn corruption_mid_segment_drops_everything_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    let batches = fill(&mut log, 100, 4);
    let bases = log.segment_base_offsets();
    drop(log);
    // Corrupt the 2nd batch of the 2nd segment and recover from offset 0:
    // the rest of that segment and all later segments go.
    let second = bases[1];
    let idx = batches.iter().position(|(b, _, _)| *b == second).unwrap() + 1;
    let pos_in_segment: usize = batches[idx - 1].2.len() + 30;
    flip_byte(&seg_file(dir.path(), second, ".log"), pos_in_segment as u64);
    let log = Log::open(dir.path(), small_config(), unclean_hint(0), 0).unwrap();
    assert_eq!(log.log_end_offset(), batches[idx].0);
    assert_eq!(log.segment_base_offsets(), vec![0, second]);
    assert!(!seg_file(dir.path(), bases[2], ".log").exists());
    assert_eq!(read_all(&log), concat(&batches[..idx]));
}

#[test]
fn segments_below_recovery_point_are_not_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    fill(&mut log, 100, 5);
    let leo = log.log_end_offset();
    let bases = log.segment_base_offsets();
    let rp = log.recovery_point();
    assert_eq!(rp, *bases.last().unwrap());
    drop(log);
    flip_byte(&seg_file(dir.path(), bases[0], ".log"), 70);
    let log = Log::open(dir.path(), small_config(), unclean_hint(rp), 0).unwrap();
    assert_eq!(log.log_end_offset(), leo);
    assert_eq!(log.segment_base_offsets(), bases);
}

#[test]
fn corrupt_active_index_is_rebuilt_on_clean_open() {
    for corruption in ["odd_size", "past_end", "not_increasing", "missing"] {
        let dir = tempfile::tempdir().unwrap();
        let config = LogConfig {
            segment_bytes: 1 << 20,
            ..small_config()
        };
        let mut log = open_unclean(dir.path(), config.clone());
        let batches = fill(&mut log, 50, 6);
        let leo = log.log_end_offset();
        log.close().unwrap();
        let index = seg_file(dir.path(), 0, INDEX_SUFFIX);
        let good = std::fs::read(&index).unwrap();
        assert!(good.len() >= 16);
        match corruption {
            "odd_size" => std::fs::write(&index, &good[..good.len() - 3]).unwrap(),
            "past_end" => {
                let mut bad = good.clone();
                let n = bad.len();
                bad[n - 4..].copy_from_slice(&u32::MAX.to_be_bytes());
                std::fs::write(&index, bad).unwrap();
            }
            "not_increasing" => {
                let mut bad = good.clone();
                bad.extend_from_slice(&good[..8]);
                std::fs::write(&index, bad).unwrap();
            }
            _ => std::fs::remove_file(&index).unwrap(),
        }
        let log = open_clean(dir.path(), config.clone(), 0);
        assert_eq!(log.log_end_offset(), leo, "{corruption}");
        assert_eq!(read_all(&log), concat(&batches), "{corruption}");
        log.close().unwrap();
        assert_eq!(
            std::fs::read(&index).unwrap(),
            good,
            "{corruption}: rebuilt index differs"
        );
    }
}

#[test]
fn stray_files_are_cleaned_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    fill(&mut log, 5, 7);
    log.close().unwrap();
    let p = |name: &str| dir.path().join(name);
    for name in [
        "00000000000000000000.log.deleted",
        "00000000000000000000.index.cleaned",
        "leader-epoch-checkpoint.tmp",
        "00000000000000099999.index",
        "00000000000000099999.timeindex",
        "partition.metadata",
        "00000000000000000000.log.swap",
    ] {
        std::fs::write(p(name), b"junk").unwrap();
    }
    let log = open_clean(dir.path(), small_config(), 0);
    assert_eq!(log.segment_base_offsets(), vec![0]);
    for gone in [
        "00000000000000000000.log.deleted",
        "00000000000000000000.index.cleaned",
        "leader-epoch-checkpoint.tmp",
        "00000000000000099999.index",
        "00000000000000099999.timeindex",
    ] {
        assert!(!p(gone).exists(), "{gone} should be removed");
    }
    assert!(p("partition.metadata").exists());
    assert!(p("00000000000000000000.log.swap").exists());
}

#[test]
fn empty_dir_starts_at_hinted_log_start() {
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("topic-3");
    let hint = RecoveryHint {
        clean_shutdown: false,
        recovery_point: 0,
        log_start_offset: 100,
    };
    let mut log = Log::open(&part, LogConfig::default(), hint, 0).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (100, 100));
    assert!(seg_file(&part, 100, ".log").exists());
    assert_eq!(
        append_in_place(&mut log, &mut batch(2, 1, 1), 0, 0)
            .unwrap()
            .base_offset,
        100
    );
    log.close().unwrap();
    // A log start hint beyond the data empties the log and restarts there.
    let hint = RecoveryHint {
        clean_shutdown: true,
        recovery_point: 102,
        log_start_offset: 500,
    };
    let log = Log::open(&part, LogConfig::default(), hint, 0).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (500, 500));
    assert_eq!(log.segment_base_offsets(), vec![500]);
    assert!(!seg_file(&part, 100, ".log").exists());
    log.delete().unwrap();
    assert!(!part.exists());
}

#[test]
fn truncate_to_then_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), small_config());
    let batches = fill(&mut log, 80, 8);
    let bases = log.segment_base_offsets();
    // Cut inside a batch of the second segment: that whole batch goes.
    let idx = batches
        .iter()
        .position(|(b, l, _)| *b > bases[1] && *b < bases[2] && l > b)
        .unwrap();
    let (base, _, _) = batches[idx];
    log.truncate_to(base + 1).unwrap();
    assert_eq!(log.log_end_offset(), base);
    assert_eq!(log.segment_base_offsets(), vec![bases[0], bases[1]]);
    assert_eq!(read_all(&log), concat(&batches[..idx]));
    let info = append_in_place(&mut log, &mut batch(2, 9, 9), 0, 0).unwrap();
    assert_eq!(info.base_offset, base);
    let leo = log.log_end_offset();
    log.close().unwrap();
    let log = open_clean(dir.path(), small_config(), 0);
    assert_eq!(log.log_end_offset(), leo);
    // Truncating to the first segment's base empties the log.
    let mut log = log;
    log.truncate_to(0).unwrap();
    assert_eq!(
        (
            log.log_start_offset(),
            log.log_end_offset(),
            log.segment_count()
        ),
        (0, 0, 1)
    );
    assert_eq!(log.size_bytes(), 0);
}

#[test]
fn read_skips_an_offset_gap_between_segments() {
    // Segment 0 holds offsets 0..4, segment 10 holds 10..: an offset in the
    // gap is served from the next segment.
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut log_a = open_unclean(a.path(), small_config());
    log_a.append(&batch(4, 1, 5), 0, 0).unwrap();
    log_a.close().unwrap();
    let hint = RecoveryHint {
        clean_shutdown: false,
        recovery_point: 0,
        log_start_offset: 10,
    };
    let mut log_b = Log::open(b.path(), small_config(), hint, 0).unwrap();
    log_b.append(&batch(3, 1, 5), 0, 0).unwrap();
    log_b.close().unwrap();
    for suffix in [".log", INDEX_SUFFIX, TIME_INDEX_SUFFIX] {
        std::fs::copy(
            seg_file(b.path(), 10, suffix),
            seg_file(a.path(), 10, suffix),
        )
        .unwrap();
    }
    let log = open_unclean(a.path(), small_config());
    assert_eq!(log.segment_base_offsets(), vec![0, 10]);
    assert_eq!(log.log_end_offset(), 13);
    let bytes = log.read(6, 13).unwrap().read(1 << 20, false).unwrap();
    assert_eq!(headers(&bytes)[0].base_offset, 10);
    assert!(log.read(6, 10).unwrap().is_empty());
    let bytes = log.read(3, 13).unwrap().read(1 << 20, false).unwrap();
    assert_eq!(
        headers(&bytes)
            .iter()
            .map(|h| h.base_offset)
            .collect::<Vec<_>>(),
        vec![0]
    );
}
