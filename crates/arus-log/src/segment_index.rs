//! A segment's two indexes plus the bookkeeping that decides when to add
//! entries, and the replay that (re)builds them from the `.log` file.
//!
//! Entry rule (applied per batch, at append and at rebuild alike): if at
//! least `index_interval_bytes` were appended since the last offset-index
//! entry, index this batch (its base offset and position) and add a
//! time-index entry if the segment's max timestamp grew. Because the rule is
//! deterministic, replaying from the last offset-index entry reproduces the
//! in-memory state after a clean restart.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::filenames::{segment_path, INDEX_SUFFIX, TIME_INDEX_SUFFIX};
use crate::offset_index::OffsetIndex;
use crate::scan::{BatchScanner, ScanStep};
use crate::time_index::TimeIndex;

/// A timestamp and the offset where it was first reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimestampOffset {
    /// The timestamp (-1 = none).
    pub(crate) timestamp: i64,
    /// Base offset of the batch that first reached it.
    pub(crate) offset: i64,
}

/// Both indexes of a segment plus append-time state.
#[derive(Debug)]
pub(crate) struct SegmentIndex {
    base_offset: i64,
    pub(crate) offsets: OffsetIndex,
    pub(crate) times: TimeIndex,
    bytes_since_last_entry: u64,
    max: TimestampOffset,
}

/// What a replay over the log file found.
#[derive(Debug)]
pub(crate) struct ReplayOutcome {
    /// Position just after the last good batch.
    pub(crate) valid_end: u64,
    /// Offset after the last good batch seen, `None` if no batch was seen.
    pub(crate) next_offset: Option<i64>,
    /// Why the scan stopped early, if it did.
    pub(crate) invalid: Option<String>,
}

impl SegmentIndex {
    /// Empty indexes whose files will be rewritten at the next persist.
    pub(crate) fn fresh(dir: &Path, base_offset: i64) -> Self {
        SegmentIndex {
            base_offset,
            offsets: OffsetIndex::fresh(segment_path(dir, base_offset, INDEX_SUFFIX), base_offset),
            times: TimeIndex::fresh(
                segment_path(dir, base_offset, TIME_INDEX_SUFFIX),
                base_offset,
            ),
            bytes_since_last_entry: 0,
            max: TimestampOffset {
                timestamp: -1,
                offset: base_offset,
            },
        }
    }

    /// Empty indexes written to the given paths (the cleaner's `.cleaned` files).
    pub(crate) fn fresh_at(
        index_path: std::path::PathBuf,
        time_index_path: std::path::PathBuf,
        base_offset: i64,
    ) -> Self {
        SegmentIndex {
            base_offset,
            offsets: OffsetIndex::fresh(index_path, base_offset),
            times: TimeIndex::fresh(time_index_path, base_offset),
            bytes_since_last_entry: 0,
            max: TimestampOffset {
                timestamp: -1,
                offset: base_offset,
            },
        }
    }

    /// Loads both index files; `Ok(Err(reason))` if either is unusable.
    pub(crate) fn load(
        dir: &Path,
        base_offset: i64,
        log_size: u64,
    ) -> io::Result<Result<Self, String>> {
        let offsets = match OffsetIndex::load(
            segment_path(dir, base_offset, INDEX_SUFFIX),
            base_offset,
            log_size,
        )? {
            Ok(o) => o,
            Err(reason) => return Ok(Err(reason)),
        };
        let times = match TimeIndex::load(
            segment_path(dir, base_offset, TIME_INDEX_SUFFIX),
            base_offset,
        )? {
            Ok(t) => t,
            Err(reason) => return Ok(Err(reason)),
        };
        if log_size == 0 && (offsets.len() > 0 || times.len() > 0) {
            return Ok(Err("index has entries but the log is empty".to_string()));
        }
        let mut idx = SegmentIndex {
            base_offset,
            offsets,
            times,
            bytes_since_last_entry: 0,
            max: TimestampOffset {
                timestamp: -1,
                offset: base_offset,
            },
        };
        idx.reset_max_from_time_index();
        Ok(Ok(idx))
    }

    fn reset_max_from_time_index(&mut self) {
        self.max = match self.times.last() {
            Some((timestamp, offset)) => TimestampOffset { timestamp, offset },
            None => TimestampOffset {
                timestamp: -1,
                offset: self.base_offset,
            },
        };
    }

    /// Largest timestamp in the segment and the batch that first reached it.
    pub(crate) fn max_timestamp(&self) -> TimestampOffset {
        self.max
    }

    /// Applies the entry rule for one appended batch.
    pub(crate) fn record_batch(
        &mut self,
        base_offset: i64,
        max_timestamp: i64,
        position: u64,
        size: u64,
        index_interval_bytes: u64,
    ) {
        if max_timestamp > self.max.timestamp {
            self.max = TimestampOffset {
                timestamp: max_timestamp,
                offset: base_offset,
            };
        }
        if self.bytes_since_last_entry >= index_interval_bytes
            && self.offsets.append(base_offset, position)
        {
            self.times.maybe_append(self.max.timestamp, self.max.offset);
            self.bytes_since_last_entry = 0;
        }
        self.bytes_since_last_entry = self.bytes_since_last_entry.saturating_add(size);
    }

    /// Records the final max timestamp in the time index, as Kafka does when
    /// a segment stops being active, so closed segments know their max.
    pub(crate) fn seal(&mut self) {
        self.times.maybe_append(self.max.timestamp, self.max.offset);
    }

    /// Drops entries for offsets >= `offset` (all batches from there on were
    /// cut from the log) and resets the state for a tail replay.
    pub(crate) fn truncate_to(&mut self, offset: i64) {
        self.offsets.truncate_to(offset);
        self.times.truncate_to(offset);
        self.prepare_tail_replay();
    }

    /// Resets append state so that a replay from the returned position (the
    /// last offset-index entry, or 0) reproduces it. Returns (position,
    /// smallest acceptable base offset of the first replayed batch).
    pub(crate) fn prepare_tail_replay(&mut self) -> (u64, i64) {
        self.bytes_since_last_entry = 0;
        self.reset_max_from_time_index();
        match self.offsets.last() {
            Some((offset, position)) => (position, offset),
            None => (0, self.base_offset),
        }
    }

    /// Writes pending entries of both files; fsyncs with `sync`.
    pub(crate) fn persist(&mut self, sync: bool) -> io::Result<()> {
        self.offsets.persist(sync)?;
        self.times.persist(sync)
    }
}

/// Limits a replay applies to the batches it accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReplayBounds {
    /// File position to start at.
    pub(crate) start: u64,
    /// File position to stop at (the segment's size).
    pub(crate) end: u64,
    /// The first batch's base offset must be at least this.
    pub(crate) min_offset: i64,
    /// Every batch's last offset must be below this (next segment's base).
    pub(crate) offset_limit: Option<i64>,
    /// Check every batch's CRC (crash recovery) or only headers.
    pub(crate) verify_crc: bool,
}

/// Feeds the batches of `file` within `bounds` through the entry rule,
/// stopping at the first invalid or out-of-order batch.
pub(crate) fn replay(
    file: &File,
    idx: &mut SegmentIndex,
    bounds: ReplayBounds,
    index_interval_bytes: u64,
) -> io::Result<ReplayOutcome> {
    let mut scanner = BatchScanner::new(file, bounds.start, bounds.end, bounds.verify_crc);
    let mut min_offset = bounds.min_offset;
    let mut next_offset = None;
    let mut valid_end = bounds.start;
    loop {
        match scanner.next_step()? {
            ScanStep::End => break,
            ScanStep::Invalid { position, reason } => {
                return Ok(ReplayOutcome {
                    valid_end: position,
                    next_offset,
                    invalid: Some(format!("at position {position}: {reason}")),
                })
            }
            ScanStep::Batch {
                position,
                header,
                size,
            } => {
                let out_of_order = header.base_offset < min_offset
                    || bounds
                        .offset_limit
                        .is_some_and(|limit| header.last_offset() >= limit);
                if out_of_order {
                    return Ok(ReplayOutcome {
                        valid_end: position,
                        next_offset,
                        invalid: Some(format!(
                            "at position {position}: batch offsets {}..={} out of order (expected >= {min_offset})",
                            header.base_offset,
                            header.last_offset()
                        )),
                    });
                }
                idx.record_batch(
                    header.base_offset,
                    header.max_timestamp,
                    position,
                    size,
                    index_interval_bytes,
                );
                min_offset = header.next_offset();
                next_offset = Some(header.next_offset());
                valid_end = position + size;
            }
        }
    }
    Ok(ReplayOutcome {
        valid_end,
        next_offset,
        invalid: None,
    })
}
