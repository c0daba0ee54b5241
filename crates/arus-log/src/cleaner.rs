//! Log compaction (`cleanup.policy=compact`), one pass at a time, as Kafka's `LogCleaner`
//! does it:
//!
//! 1. The cleanable range is `[first dirty offset, first uncleanable offset)`: from the
//!    cleaner checkpoint ([`Log::clean_offset`]) up to the first of the active segment, the
//!    last stable offset (no open transaction and nothing above the high watermark is
//!    touched) and the first segment holding a record younger than `min.compaction.lag.ms`.
//! 2. An [`OffsetMap`] records the latest offset of every key in that range, up to the
//!    memory the caller grants (`dedupe_buffer_bytes`). When it fills, the pass ends at the
//!    last wholly mapped segment (or batch, if not even the first segment fits) and reports
//!    `complete: false`; the next pass continues from there.
//! 3. Every closed segment from the log start to the end of the mapped range is rewritten
//!    (`compact_batch.rs` decides record by record), in groups of consecutive segments that
//!    fit one segment, each group swapped in crash-safely (`swap.rs`).
//! 4. The checkpoint moves to the end of the mapped range.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::time::Instant;

use tracing::info;

use crate::batch::BatchHeader;
use crate::compact_batch::{filter_batch, record_keys, FilterContext, Filtered};
use crate::error::LogError;
use crate::filenames::{
    segment_path, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX,
};
use crate::io_util::{read_exact_vec, sync_dir};
use crate::log::Log;
use crate::offset_map::OffsetMap;
use crate::scan::{BatchScanner, ScanStep};
use crate::segment::Segment;
use crate::segment_index::{replay, ReplayBounds, SegmentIndex};
use crate::txn_index::{write_entries, AbortedTxnEntry};

/// Suffix of a cleaned segment's files while they are being written.
pub(crate) const CLEANED_SUFFIX: &str = ".cleaned";

/// Resources a cleaning pass may use (Kafka's `log.cleaner.*` broker settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanerConfig {
    /// Memory for the offset map (`log.cleaner.dedupe.buffer.size` divided among cleaner
    /// threads); 24 bytes per distinct key, filled to 90%.
    pub dedupe_buffer_bytes: usize,
    /// Write buffer for the cleaned segment (`log.cleaner.io.buffer.size`).
    pub io_buffer_bytes: usize,
}

impl Default for CleanerConfig {
    /// Kafka's defaults: 128 MiB dedupe buffer, 512 KiB I/O buffer.
    fn default() -> Self {
        CleanerConfig {
            dedupe_buffer_bytes: 128 * 1024 * 1024,
            io_buffer_bytes: 512 * 1024,
        }
    }
}

/// What one cleaning pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanStats {
    /// First dirty offset the pass started from.
    pub first_offset: i64,
    /// Offset up to which the log is now clean (the new [`Log::clean_offset`]).
    pub end_offset: i64,
    /// Segments rewritten.
    pub segments_before: usize,
    /// Segments they became.
    pub segments_after: usize,
    /// Bytes of the rewritten segments before.
    pub bytes_before: u64,
    /// Bytes of the segments they became.
    pub bytes_after: u64,
    /// Records removed (superseded, expired tombstones, aborted, keyless).
    pub records_removed: u64,
    /// Wall-clock time of the pass.
    pub duration_ms: u64,
    /// False when the offset map filled before the cleanable range ended: another pass is
    /// needed.
    pub complete: bool,
}

/// Aborted transactions by producer: (first offset, marker offset) ranges.
type Aborts = HashMap<i64, Vec<(i64, i64)>>;

fn is_aborted(aborts: &Aborts, h: &BatchHeader) -> bool {
    h.is_transactional()
        && !h.is_control()
        && aborts.get(&h.producer_id).is_some_and(|ranges| {
            ranges
                .iter()
                .any(|&(first, last)| first <= h.base_offset && h.base_offset <= last)
        })
}

/// How far the offset map got.
struct Mapped {
    /// Offsets below this are covered by the map.
    end: i64,
    /// The whole cleanable range was mapped.
    complete: bool,
}

impl Log {
    /// The first offset not yet cleaned (Kafka's cleaner checkpoint for this partition).
    pub fn clean_offset(&self) -> i64 {
        self.clean_offset
    }

    /// Sets the cleaner checkpoint, e.g. from the broker's `cleaner-offset-checkpoint` at
    /// open. An offset outside the log is treated as the log start when cleaning (as Kafka
    /// resets an invalid checkpoint).
    pub fn set_clean_offset(&mut self, offset: i64) {
        self.clean_offset = offset;
    }

    /// The clean offset actually used: the log start when the checkpoint is out of range.
    fn first_dirty_offset(&self) -> i64 {
        let c = self.clean_offset;
        if c < self.log_start_offset || c > self.log_end_offset {
            self.log_start_offset
        } else {
            c
        }
    }

    /// Base offset of the segment after closed segment `i`.
    fn next_base(&self, i: usize) -> i64 {
        self.segment(i + 1)
            .map_or(self.log_end_offset, Segment::base_offset)
    }

    /// `[first dirty, first uncleanable)` at `now_ms` (empty when they are equal).
    fn cleanable_bounds(&self, now_ms: i64) -> io::Result<(i64, i64)> {
        let start = self.first_dirty_offset();
        let mut end = self.active.base_offset().min(self.last_stable_offset());
        if self.config.min_compaction_lag_ms > 0 {
            let cutoff = now_ms.saturating_sub(self.config.min_compaction_lag_ms);
            for (i, seg) in self.closed.iter().enumerate() {
                if self.next_base(i) <= start {
                    continue;
                }
                if seg.max_timestamp()?.timestamp > cutoff {
                    end = end.min(seg.base_offset());
                    break;
                }
            }
        }
        Ok((start, end.max(start)))
    }

    /// Kafka's dirty ratio: bytes of the closed segments in the cleanable dirty range over
    /// those plus the bytes already clean. `None` when the log is not compacted or has
    /// nothing cleanable. The cleaner should pick the log with the highest ratio among
    /// those at or above `min.cleanable.dirty.ratio` (or [`Log::compaction_overdue`]).
    pub fn cleanable_ratio(&self, now_ms: i64) -> Option<f64> {
        if !self.config.cleanup_policy.compact {
            return None;
        }
        let (start, end) = self.cleanable_bounds(now_ms).ok()?;
        let (mut clean, mut dirty) = (0u64, 0u64);
        for (i, seg) in self.closed.iter().enumerate() {
            if self.next_base(i) <= start {
                clean += seg.size();
            } else if seg.base_offset() < end {
                dirty += seg.size();
            }
        }
        (dirty > 0).then(|| dirty as f64 / (clean + dirty) as f64)
    }

    /// Whether the log must be cleaned now whatever its ratio: its first dirty batch is
    /// older than `max.compaction.lag.ms` (KIP-354), or a cleaned tombstone reached its
    /// delete horizon (KIP-534) and a pass would remove it.
    pub fn compaction_overdue(&self, now_ms: i64) -> bool {
        if !self.config.cleanup_policy.compact {
            return false;
        }
        if self.pending_delete_horizon.is_some_and(|t| t <= now_ms) {
            return true;
        }
        let Ok((start, end)) = self.cleanable_bounds(now_ms) else {
            return false;
        };
        if end <= start || self.config.max_compaction_lag_ms == i64::MAX {
            return false;
        }
        let i = self.segment_index_for(start);
        let first_batch_ts = match self.segment(i).map(|s| s.translate_offset(start)) {
            Some(Ok(Some((_, header)))) => header.max_timestamp,
            _ => return false,
        };
        first_batch_ts < now_ms.saturating_sub(self.config.max_compaction_lag_ms.max(0))
    }

    /// One cleaning pass (see the module docs); `Ok(None)` when there is nothing to do.
    /// On an I/O error the log on disk stays consistent (an interrupted swap is completed
    /// by the next open), but this `Log` should be reopened before further cleaning.
    pub fn clean(
        &mut self,
        now_ms: i64,
        config: &CleanerConfig,
    ) -> Result<Option<CleanStats>, LogError> {
        let started = Instant::now();
        if !self.config.cleanup_policy.compact {
            return Ok(None);
        }
        let (start, uncleanable) = self.cleanable_bounds(now_ms)?;
        let horizon_due = self.pending_delete_horizon.is_some_and(|t| t <= now_ms);
        if uncleanable <= start && !horizon_due {
            return Ok(None);
        }
        let aborts = self.aborted_ranges()?;
        let mut map = OffsetMap::with_buffer(config.dedupe_buffer_bytes);
        let mapped = self.build_offset_map(start, uncleanable, &mut map, &aborts)?;
        let count = self
            .closed
            .partition_point(|s| s.base_offset() < mapped.end);
        if count == 0 {
            return Ok(None);
        }
        let groups = self.group_segments(count);
        let cx = FilterContext {
            map: &map,
            now_ms,
            delete_retention_ms: self.config.delete_retention_ms,
        };
        let mut stats = CleanStats {
            first_offset: start,
            end_offset: mapped.end,
            segments_before: count,
            segments_after: groups.len(),
            bytes_before: 0,
            bytes_after: 0,
            records_removed: 0,
            duration_ms: 0,
            complete: mapped.complete,
        };
        let mut pending_horizon: Option<i64> = None;
        // Each swapped group becomes one segment, so group i starts at closed segment i.
        for (first, len) in groups.into_iter().enumerate() {
            let written = self.write_cleaned(first, len, &cx, &aborts, config)?;
            stats.bytes_before += self.closed[first..first + len]
                .iter()
                .map(Segment::size)
                .sum::<u64>();
            stats.bytes_after += written.size;
            stats.records_removed += written.removed;
            if let Some(t) = written.tombstone_horizon {
                pending_horizon = Some(pending_horizon.map_or(t, |p| p.min(t)));
            }
            self.swap_in_cleaned(first, len)?;
        }
        self.pending_delete_horizon = pending_horizon;
        self.clean_offset = mapped.end.max(start);
        stats.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        info!(
            dir = %self.dir.display(),
            first_offset = stats.first_offset,
            end_offset = stats.end_offset,
            segments_before = stats.segments_before,
            segments_after = stats.segments_after,
            bytes_before = stats.bytes_before,
            bytes_after = stats.bytes_after,
            records_removed = stats.records_removed,
            duration_ms = stats.duration_ms,
            complete = stats.complete,
            "cleaned log"
        );
        Ok(Some(stats))
    }

    /// Every aborted transaction the log's `.txnindex` files know, by producer.
    fn aborted_ranges(&self) -> io::Result<Aborts> {
        let mut aborts: Aborts = HashMap::new();
        for seg in self.segments() {
            for e in seg.txn_index().entries()? {
                aborts
                    .entry(e.producer_id)
                    .or_default()
                    .push((e.first_offset, e.last_offset));
            }
        }
        Ok(aborts)
    }

    /// Maps the keys of the data batches in `[start, uncleanable)` (aborted ones excepted:
    /// a later aborted value must not hide a committed earlier one) until the map fills.
    fn build_offset_map(
        &self,
        start: i64,
        uncleanable: i64,
        map: &mut OffsetMap,
        aborts: &Aborts,
    ) -> io::Result<Mapped> {
        let mut end = start;
        let mut whole_segment_mapped = false;
        let first = self.segment_index_for(start);
        for i in first..self.closed.len() {
            let seg = &self.closed[i];
            if seg.base_offset() >= uncleanable {
                break;
            }
            let segment_start = end;
            let mut scanner = BatchScanner::new(seg.file(), 0, seg.size(), false);
            while let ScanStep::Batch {
                header,
                position,
                size,
            } = scanner.next_step()?
            {
                if header.base_offset < start {
                    continue;
                }
                if header.last_offset() >= uncleanable {
                    return Ok(Mapped {
                        end: end.max(header.base_offset.min(uncleanable)),
                        complete: true,
                    });
                }
                if header.is_control() || is_aborted(aborts, &header) {
                    end = header.next_offset();
                    continue;
                }
                let bytes = read_exact_vec(seg.file(), position, size as usize)?;
                let keys = record_keys(&bytes, &header)?;
                let keyed = keys.iter().filter(|(_, k)| k.is_some()).count();
                if !map.has_room_for(keyed) {
                    if whole_segment_mapped {
                        // Entries of this partly mapped segment may stay in the map: they
                        // are newer than everything below `segment_start`, and this
                        // segment is not rewritten in this pass.
                        return Ok(Mapped {
                            end: segment_start,
                            complete: false,
                        });
                    }
                    if end > start {
                        return Ok(Mapped {
                            end,
                            complete: false,
                        });
                    }
                    // Not even one batch fits: map it anyway so that every pass
                    // progresses.
                    for (offset, key) in &keys {
                        if let Some(key) = key {
                            map.put(key, *offset);
                        }
                    }
                    return Ok(Mapped {
                        end: header.next_offset(),
                        complete: false,
                    });
                }
                for (offset, key) in &keys {
                    if let Some(key) = key {
                        map.put(key, *offset);
                    }
                }
                end = header.next_offset();
            }
            whole_segment_mapped = true;
            end = end.max(self.next_base(i).min(uncleanable));
        }
        Ok(Mapped {
            end: end.max(uncleanable.min(self.active.base_offset())),
            complete: true,
        })
    }

    /// Splits the first `count` closed segments into runs of consecutive segments whose
    /// total size fits `segment.bytes` and whose offsets fit 32-bit relative offsets;
    /// returns the run lengths.
    fn group_segments(&self, count: usize) -> Vec<usize> {
        let max_bytes = self.config.effective_segment_bytes();
        let mut groups = Vec::new();
        let mut i = 0;
        while i < count {
            let base = self.closed[i].base_offset();
            let mut size = self.closed[i].size();
            let mut len = 1;
            while i + len < count {
                let next = &self.closed[i + len];
                let last_possible_offset = self.next_base(i + len) - 1;
                if size + next.size() > max_bytes
                    || last_possible_offset - base > i64::from(i32::MAX)
                {
                    break;
                }
                size += next.size();
                len += 1;
            }
            groups.push(len);
            i += len;
        }
        groups
    }

    /// Writes the cleaned version of closed segments `first..first+len` as
    /// `<base>.log.cleaned` plus its `.index`, `.timeindex` and `.txnindex` (`.cleaned`
    /// too), all fsynced.
    fn write_cleaned(
        &mut self,
        first: usize,
        len: usize,
        cx: &FilterContext<'_>,
        aborts: &Aborts,
        config: &CleanerConfig,
    ) -> Result<Written, LogError> {
        self.fail_point("write cleaned segment")?;
        let base = self.closed[first].base_offset();
        let cleaned = |suffix: &str| {
            let mut p = segment_path(&self.dir, base, suffix);
            p.as_mut_os_string().push(CLEANED_SUFFIX);
            p
        };
        let log_path = cleaned(LOG_SUFFIX);
        let mut out = BufWriter::with_capacity(
            config.io_buffer_bytes.max(1),
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&log_path)?,
        );
        let mut written = Written::default();
        let mut next_out = base;
        let mut txn_entries: Vec<AbortedTxnEntry> = Vec::new();
        for seg in &self.closed[first..first + len] {
            txn_entries.extend_from_slice(seg.txn_index().entries()?);
            let mut scanner = BatchScanner::new(seg.file(), 0, seg.size(), false);
            while let ScanStep::Batch {
                header,
                position,
                size,
            } = scanner.next_step()?
            {
                let bytes = read_exact_vec(seg.file(), position, size as usize)?;
                let result = if header.is_control() {
                    // Markers stay: they end transactions for producer state and
                    // read_committed consumers.
                    Filtered::Unchanged
                } else {
                    let retain_empty = header.producer_id >= 0
                        && self
                            .producers
                            .entry(header.producer_id)
                            .and_then(|e| e.batches.back())
                            .is_some_and(|b| b.last_offset == header.last_offset());
                    let outcome = filter_batch(
                        &bytes,
                        &header,
                        cx,
                        is_aborted(aborts, &header),
                        retain_empty,
                    )?;
                    written.removed += outcome.removed;
                    if let Some(t) = outcome.tombstone_horizon {
                        written.tombstone_horizon =
                            Some(written.tombstone_horizon.map_or(t, |p| p.min(t)));
                    }
                    outcome.result
                };
                let out_bytes: &[u8] = match &result {
                    Filtered::Unchanged => &bytes,
                    Filtered::Rewritten(b) => b,
                    Filtered::Dropped => continue,
                };
                out.write_all(out_bytes)?;
                written.size += out_bytes.len() as u64;
                next_out = header.next_offset();
            }
        }
        // Recovery of an interrupted swap replaces the segments whose base lies below the
        // cleaned segment's next offset; if the last of several source segments kept nothing,
        // an empty batch at its base keeps it inside that range.
        if let Some(last) = self.closed.get(first + len - 1).filter(|_| len > 1) {
            if next_out <= last.base_offset() {
                let placeholder = crate::compact_batch::placeholder_batch(last.base_offset());
                out.write_all(&placeholder)?;
                written.size += placeholder.len() as u64;
            }
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        let mut idx =
            SegmentIndex::fresh_at(cleaned(INDEX_SUFFIX), cleaned(TIME_INDEX_SUFFIX), base);
        let bounds = ReplayBounds {
            start: 0,
            end: written.size,
            min_offset: base,
            offset_limit: None,
            verify_crc: false,
        };
        let outcome = replay(&file, &mut idx, bounds, self.config.index_interval_bytes)?;
        if let Some(reason) = outcome.invalid {
            return Err(
                io::Error::other(format!("cleaned segment does not read back: {reason}")).into(),
            );
        }
        idx.seal();
        idx.persist(true)?;
        write_entries(&cleaned(TXN_INDEX_SUFFIX), &txn_entries)?;
        sync_dir(&self.dir)?;
        Ok(written)
    }

    /// Test hook: counts down the file operations a cleaning may still do.
    pub(crate) fn fail_point(&mut self, what: &str) -> io::Result<()> {
        match self.cleaner_fail_after {
            Some(0) => Err(io::Error::other(format!("injected failure before: {what}"))),
            Some(n) => {
                self.cleaner_fail_after = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Test hook (not part of the API): make the next cleaning fail before its `n`-th file
    /// operation (0 = the first), to simulate a crash at every step of the swap; `None`
    /// disables it.
    #[doc(hidden)]
    pub fn inject_cleaner_failure(&mut self, n: Option<usize>) {
        self.cleaner_fail_after = n;
    }
}

/// What writing one cleaned segment produced.
#[derive(Debug, Default)]
struct Written {
    size: u64,
    removed: u64,
    tombstone_horizon: Option<i64>,
}
