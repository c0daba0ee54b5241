//! Opening a partition log: directory listing, stray-file cleanup, and
//! either the cheap clean-shutdown load or crash recovery.
//!
//! Clean shutdown: only the active segment is touched (index loaded, batch
//! headers after its last index entry scanned to find the log end offset).
//! Crash: every segment from the one holding the recovery point onwards is
//! validated batch by batch (length, magic, CRC, offset order), cut at the
//! first bad batch (later segments deleted), and its indexes rebuilt.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tracing::{info, warn};

use crate::config::LogConfig;
use crate::error::LogError;
use crate::filenames::{parse_segment_file, SegmentFileKind};
use crate::io_util::{remove_if_exists, sync_dir};
use crate::leader_epoch::{LeaderEpochCache, LEADER_EPOCH_CHECKPOINT_FILE};
use crate::log::Log;
use crate::segment::Segment;
use crate::swap::complete_swaps;

/// What the broker knows about the previous run of a partition log, from
/// the clean-shutdown marker and the log dir's checkpoint files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecoveryHint {
    /// The previous run closed the log cleanly (marker file present).
    pub clean_shutdown: bool,
    /// Offset below which data was known fsynced (recovery-point checkpoint).
    pub recovery_point: i64,
    /// Checkpointed log start offset (log-start-offset checkpoint).
    pub log_start_offset: i64,
}

/// Lists segment base offsets in `dir` after removing leftovers of interrupted deletes
/// and cleanings (`.deleted`, `.cleaned`, `.tmp`), finishing an interrupted cleaner swap
/// (`.swap`, see `swap.rs`), and removing index files (`.index`, `.timeindex`,
/// `.txnindex`) whose `.log` is gone. Unknown files are ignored.
fn scan_dir(dir: &Path) -> io::Result<Vec<i64>> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(".deleted") || name.ends_with(".cleaned") || name.ends_with(".tmp") {
            info!(file = %entry.path().display(), "removing leftover file");
            remove_if_exists(&entry.path())?;
        }
    }
    complete_swaps(dir)?;
    let mut logs = BTreeSet::new();
    let mut indexes: Vec<(i64, PathBuf)> = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        match parse_segment_file(name) {
            Some((base, SegmentFileKind::Log)) => {
                logs.insert(base);
            }
            Some((base, _)) => indexes.push((base, path)),
            None => {}
        }
    }
    for (base, path) in indexes {
        if !logs.contains(&base) {
            info!(file = %path.display(), "removing index without a log file");
            remove_if_exists(&path)?;
        }
    }
    Ok(logs.into_iter().collect())
}

/// Crash recovery from the segment holding `recovery_point`; returns the
/// log end offset.
fn recover_unclean(segments: &mut Vec<Segment>, recovery_point: i64) -> io::Result<i64> {
    let mut i = segments
        .partition_point(|s| s.base_offset() <= recovery_point)
        .saturating_sub(1);
    let mut end = segments.last().map_or(0, Segment::base_offset);
    while i < segments.len() {
        let limit = segments.get(i + 1).map(Segment::base_offset);
        let Some(seg) = segments.get_mut(i) else {
            break;
        };
        let outcome = seg.recover(limit)?;
        end = outcome.next_offset.unwrap_or(seg.base_offset());
        if outcome.truncated && i + 1 < segments.len() {
            for later in segments.drain(i + 1..) {
                warn!(segment = %later.log_path().display(), "deleting segment after a corrupt one");
                later.delete()?;
            }
        }
        i += 1;
    }
    Ok(end)
}

impl Log {
    /// Opens the partition log in `dir` (creating the directory if
    /// missing), recovering as `recovery` says. An empty directory gets a
    /// fresh segment at the hinted log start offset.
    pub fn open(
        dir: &Path,
        config: LogConfig,
        recovery: RecoveryHint,
        now_ms: i64,
    ) -> Result<Log, LogError> {
        fs::create_dir_all(dir)?;
        let interval = config.index_interval_bytes;
        let mut segments = Vec::new();
        for base in scan_dir(dir)? {
            segments.push(Segment::open(dir, base, interval)?);
        }
        let mut dir_needs_sync = false;
        if segments.is_empty() {
            segments.push(Segment::create(
                dir,
                recovery.log_start_offset.max(0),
                interval,
            )?);
            dir_needs_sync = true;
        }
        let log_end_offset = if recovery.clean_shutdown {
            match segments.last_mut() {
                Some(active) => {
                    let base = active.base_offset();
                    active.load_tail()?.unwrap_or(base)
                }
                None => 0,
            }
        } else {
            recover_unclean(&mut segments, recovery.recovery_point)?
        };
        let Some(active) = segments.pop() else {
            return Err(io::Error::other("partition has no segment").into());
        };
        let first_base = segments
            .first()
            .map_or(active.base_offset(), Segment::base_offset);
        let epochs = LeaderEpochCache::load(&dir.join(LEADER_EPOCH_CHECKPOINT_FILE))?;
        let mut log = Log {
            dir: dir.to_path_buf(),
            config,
            closed: segments,
            active,
            log_start_offset: first_base,
            log_end_offset,
            high_watermark: log_end_offset,
            recovery_point: log_end_offset,
            unflushed_messages: 0,
            last_flush_ms: now_ms,
            dir_needs_sync,
            epochs,
            producers: Default::default(),
            clean_offset: first_base,
            pending_delete_horizon: None,
            cleaner_fail_after: None,
        };
        let log_start = recovery.log_start_offset.max(first_base);
        if log_start > log_end_offset {
            warn!(dir = %dir.display(), log_start, log_end_offset, "log start beyond log end; starting empty");
            log.truncate_fully_and_start_at(log_start)?;
        } else {
            log.log_start_offset = log_start;
            log.delete_segments_below_log_start()?;
        }
        log.epochs.truncate_from_end(log.log_end_offset)?;
        log.epochs.truncate_from_start(log.log_start_offset)?;
        // An abort entry is written right after its marker; if the marker did not survive,
        // neither may the entry. (Recovered segments were trimmed in `Segment::recover`.)
        let end = log.log_end_offset;
        log.active.txn_index_mut().truncate_to(end)?;
        log.rebuild_producer_state()?;
        if log.dir_needs_sync {
            sync_dir(dir)?;
            log.dir_needs_sync = false;
        }
        Ok(log)
    }
}
