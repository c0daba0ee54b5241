//! One segment: a `.log` file holding whole batches back to back, plus its
//! `.index` and `.timeindex`, and the `.txnindex` of aborted transactions.
//! Indexes of closed segments load lazily, on first lookup; the offset and
//! time indexes are rebuilt from the log if missing or corrupt.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::UNIX_EPOCH;

use tracing::warn;

use crate::batch::BatchHeader;
use crate::filenames::{
    segment_path, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX,
};
use crate::io_util::{remove_if_exists, write_all_vectored_at};
use crate::scan::{BatchScanner, ScanStep};
use crate::segment_index::{replay, ReplayBounds, SegmentIndex, TimestampOffset};
use crate::time_index::peek_last_entry;
use crate::txn_index::TxnIndex;

/// Where one batch of an append buffer goes and what the index needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppendedBatch {
    /// Offset assigned to the batch's first record.
    pub(crate) base_offset: i64,
    /// The batch's max timestamp after any LogAppendTime stamping.
    pub(crate) max_timestamp: i64,
    /// Position of the batch inside the append buffer.
    pub(crate) position: u64,
    /// Whole batch size.
    pub(crate) size: u64,
}

/// Result of crash recovery of one segment.
#[derive(Debug)]
pub(crate) struct RecoverOutcome {
    /// Offset after the last good batch, `None` if the segment is empty.
    pub(crate) next_offset: Option<i64>,
    /// Whether bad bytes were cut off the end.
    pub(crate) truncated: bool,
}

/// A segment of a partition log.
pub(crate) struct Segment {
    dir: PathBuf,
    base_offset: i64,
    file: Arc<File>,
    size: u64,
    index: OnceLock<SegmentIndex>,
    load_lock: Mutex<()>,
    index_interval_bytes: u64,
    rolling_base_ms: Option<i64>,
    txn_index: TxnIndex,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("base_offset", &self.base_offset)
            .field("size", &self.size)
            .field("index_loaded", &self.index.get().is_some())
            .finish()
    }
}

fn system_time_ms(t: std::time::SystemTime) -> Option<i64> {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
}

impl Segment {
    /// Creates a new empty segment (truncating any stale file of that name)
    /// with empty index files.
    pub(crate) fn create(
        dir: &Path,
        base_offset: i64,
        index_interval_bytes: u64,
    ) -> io::Result<Segment> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(segment_path(dir, base_offset, LOG_SUFFIX))?;
        let mut idx = SegmentIndex::fresh(dir, base_offset);
        idx.persist(false)?;
        Ok(Segment {
            dir: dir.to_path_buf(),
            base_offset,
            file: Arc::new(file),
            size: 0,
            index: OnceLock::from(idx),
            load_lock: Mutex::new(()),
            index_interval_bytes,
            rolling_base_ms: None,
            txn_index: TxnIndex::create(segment_path(dir, base_offset, TXN_INDEX_SUFFIX))?,
        })
    }

    /// Opens an existing segment's `.log` without touching its indexes.
    pub(crate) fn open(
        dir: &Path,
        base_offset: i64,
        index_interval_bytes: u64,
    ) -> io::Result<Segment> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(segment_path(dir, base_offset, LOG_SUFFIX))?;
        let meta = file.metadata()?;
        let size = meta.len();
        let rolling_base_ms = if size > 0 {
            meta.created()
                .or_else(|_| meta.modified())
                .ok()
                .and_then(system_time_ms)
        } else {
            None
        };
        Ok(Segment {
            dir: dir.to_path_buf(),
            base_offset,
            file: Arc::new(file),
            size,
            index: OnceLock::new(),
            load_lock: Mutex::new(()),
            index_interval_bytes,
            rolling_base_ms,
            txn_index: TxnIndex::open(segment_path(dir, base_offset, TXN_INDEX_SUFFIX)),
        })
    }

    /// First offset this segment may hold; also its file name.
    pub(crate) fn base_offset(&self) -> i64 {
        self.base_offset
    }

    /// Bytes of valid batches in the `.log`.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The `.log` file, shared with in-flight fetches.
    pub(crate) fn file(&self) -> &Arc<File> {
        &self.file
    }

    /// When the first append into this segment happened (or, after a
    /// restart, when its file was created); `None` while empty.
    pub(crate) fn rolling_base_ms(&self) -> Option<i64> {
        self.rolling_base_ms
    }

    /// The aborted transactions whose marker is in this segment.
    pub(crate) fn txn_index(&self) -> &TxnIndex {
        &self.txn_index
    }

    /// The transaction index, for recording an abort.
    pub(crate) fn txn_index_mut(&mut self) -> &mut TxnIndex {
        &mut self.txn_index
    }

    /// Applies a new `index.interval.bytes`.
    pub(crate) fn set_index_interval(&mut self, bytes: u64) {
        self.index_interval_bytes = bytes;
    }

    /// The indexes, loading (or rebuilding) them on first use.
    pub(crate) fn index(&self) -> io::Result<&SegmentIndex> {
        if let Some(idx) = self.index.get() {
            return Ok(idx);
        }
        let _guard = self.load_lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.index.get().is_none() {
            let idx = self.load_or_rebuild()?;
            let _ = self.index.set(idx);
        }
        self.index
            .get()
            .ok_or_else(|| io::Error::other("segment index unavailable"))
    }

    fn index_mut(&mut self) -> io::Result<&mut SegmentIndex> {
        self.index()?;
        self.index
            .get_mut()
            .ok_or_else(|| io::Error::other("segment index unavailable"))
    }

    fn load_or_rebuild(&self) -> io::Result<SegmentIndex> {
        let reason = match SegmentIndex::load(&self.dir, self.base_offset, self.size)? {
            Ok(idx) => return Ok(idx),
            Err(reason) => reason,
        };
        warn!(segment = %self.log_path().display(), %reason, "rebuilding segment index");
        let mut idx = SegmentIndex::fresh(&self.dir, self.base_offset);
        let bounds = ReplayBounds {
            start: 0,
            end: self.size,
            min_offset: self.base_offset,
            offset_limit: None,
            verify_crc: false,
        };
        let outcome = replay(&self.file, &mut idx, bounds, self.index_interval_bytes)?;
        if let Some(reason) = outcome.invalid {
            warn!(segment = %self.log_path().display(), %reason, "index rebuild stopped at a bad batch");
        }
        idx.seal();
        idx.persist(true)?;
        Ok(idx)
    }

    /// Path of the `.log` file.
    pub(crate) fn log_path(&self) -> PathBuf {
        segment_path(&self.dir, self.base_offset, LOG_SUFFIX)
    }

    /// Number of offset-index and time-index entries (roll decisions).
    pub(crate) fn index_entries(&self) -> io::Result<(usize, usize)> {
        let idx = self.index()?;
        Ok((idx.offsets.len(), idx.times.len()))
    }

    /// Writes `parts` (together: whole batches with their final headers) at
    /// the end of the file with vectored writes and indexes its batches.
    pub(crate) fn append(
        &mut self,
        parts: &[&[u8]],
        batches: &[AppendedBatch],
        now_ms: i64,
    ) -> io::Result<()> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len == 0 {
            return Ok(());
        }
        self.index_mut()?;
        let start = self.size;
        if let Err(e) = write_all_vectored_at(&self.file, parts, start) {
            let _ = self.file.set_len(start);
            return Err(e);
        }
        self.size = start + len as u64;
        if let Some(idx) = self.index.get_mut() {
            for b in batches {
                idx.record_batch(
                    b.base_offset,
                    b.max_timestamp,
                    start + b.position,
                    b.size,
                    self.index_interval_bytes,
                );
            }
        }
        if self.rolling_base_ms.is_none() {
            self.rolling_base_ms = Some(now_ms);
        }
        Ok(())
    }

    /// Position and header of the first batch whose last offset is >=
    /// `target`, `None` if every batch here ends before it.
    pub(crate) fn translate_offset(&self, target: i64) -> io::Result<Option<(u64, BatchHeader)>> {
        let end = self.size;
        let start = self
            .index()?
            .offsets
            .lookup(target)
            .map_or(0, |(_, pos)| pos)
            .min(end);
        let mut scanner = BatchScanner::new(&self.file, start, end, false);
        loop {
            match scanner.next_step()? {
                ScanStep::Batch {
                    position, header, ..
                } => {
                    if header.last_offset() >= target {
                        return Ok(Some((position, header)));
                    }
                }
                ScanStep::End => return Ok(None),
                ScanStep::Invalid { position, reason } => {
                    warn!(segment = %self.log_path().display(), position, %reason, "bad batch while looking up an offset");
                    return Ok(None);
                }
            }
        }
    }

    /// Largest timestamp in the segment and the batch that first reached
    /// it. For a closed segment whose index is not loaded this reads only
    /// the last time-index entry.
    pub(crate) fn max_timestamp(&self) -> io::Result<TimestampOffset> {
        if let Some(idx) = self.index.get() {
            return Ok(idx.max_timestamp());
        }
        let path = segment_path(&self.dir, self.base_offset, TIME_INDEX_SUFFIX);
        match peek_last_entry(&path, self.base_offset)? {
            Some(Some((timestamp, offset))) if offset >= self.base_offset => {
                Ok(TimestampOffset { timestamp, offset })
            }
            Some(None) if self.size == 0 => Ok(TimestampOffset {
                timestamp: -1,
                offset: self.base_offset,
            }),
            _ => Ok(self.index()?.max_timestamp()),
        }
    }

    /// The time retention compares against: the max timestamp, or the
    /// file's modification time when no record has a timestamp.
    pub(crate) fn retention_timestamp(&self) -> io::Result<i64> {
        let max = self.max_timestamp()?.timestamp;
        if max >= 0 {
            return Ok(max);
        }
        Ok(self
            .file
            .metadata()?
            .modified()
            .ok()
            .and_then(system_time_ms)
            .unwrap_or(0))
    }

    /// Crash recovery: validates every batch (CRC included), cuts the file
    /// at the first bad one, and rebuilds both indexes from scratch.
    /// `offset_limit` is the next segment's base offset, if any.
    pub(crate) fn recover(&mut self, offset_limit: Option<i64>) -> io::Result<RecoverOutcome> {
        let mut idx = SegmentIndex::fresh(&self.dir, self.base_offset);
        let bounds = ReplayBounds {
            start: 0,
            end: self.size,
            min_offset: self.base_offset,
            offset_limit,
            verify_crc: true,
        };
        let outcome = replay(&self.file, &mut idx, bounds, self.index_interval_bytes)?;
        let truncated = outcome.invalid.is_some() || outcome.valid_end < self.size;
        if let Some(reason) = &outcome.invalid {
            warn!(segment = %self.log_path().display(), %reason, "truncating segment at bad batch");
        }
        if truncated {
            self.file.set_len(outcome.valid_end)?;
            self.size = outcome.valid_end;
        }
        idx.seal();
        idx.persist(true)?;
        self.file.sync_all()?;
        if self.size == 0 {
            self.rolling_base_ms = None;
        }
        self.index = OnceLock::from(idx);
        // Aborts whose marker did not survive go; missing ones are re-added by the producer
        // state rebuild, which replays the markers.
        self.txn_index
            .truncate_to(outcome.next_offset.unwrap_or(self.base_offset))?;
        self.txn_index.flush()?;
        Ok(RecoverOutcome {
            next_offset: outcome.next_offset,
            truncated,
        })
    }

    /// After a clean shutdown: loads the indexes (rebuilding them if
    /// unusable) and replays batch headers after the last index entry to
    /// learn the end offset. Falls back to [`Segment::recover`] if the tail
    /// holds a bad batch. Returns the offset after the last batch.
    pub(crate) fn load_tail(&mut self) -> io::Result<Option<i64>> {
        let size = self.size;
        let interval = self.index_interval_bytes;
        self.index_mut()?;
        let file = Arc::clone(&self.file);
        let Some(idx) = self.index.get_mut() else {
            return Err(io::Error::other("segment index unavailable"));
        };
        let (start, min_offset) = idx.prepare_tail_replay();
        let bounds = ReplayBounds {
            start,
            end: size,
            min_offset,
            offset_limit: None,
            verify_crc: false,
        };
        let outcome = replay(&file, idx, bounds, interval)?;
        if outcome.invalid.is_some() {
            warn!(segment = %self.log_path().display(), "bad batch after clean shutdown; recovering segment");
            return Ok(self.recover(None)?.next_offset);
        }
        Ok(outcome.next_offset)
    }

    /// Removes every batch whose last offset is >= `offset`. Returns the
    /// base offset of the first removed batch (the new end), or `None` if
    /// nothing was removed.
    pub(crate) fn truncate_to(&mut self, offset: i64) -> io::Result<Option<i64>> {
        let Some((position, header)) = self.translate_offset(offset)? else {
            return Ok(None);
        };
        self.file.set_len(position)?;
        self.size = position;
        let interval = self.index_interval_bytes;
        let file = Arc::clone(&self.file);
        let idx = self.index_mut()?;
        idx.truncate_to(header.base_offset);
        let (start, min_offset) = idx.prepare_tail_replay();
        let bounds = ReplayBounds {
            start,
            end: position,
            min_offset,
            offset_limit: None,
            verify_crc: false,
        };
        replay(&file, idx, bounds, interval)?;
        idx.persist(false)?;
        self.txn_index.truncate_to(header.base_offset)?;
        if position == 0 {
            self.rolling_base_ms = None;
        }
        Ok(Some(header.base_offset))
    }

    /// Called when the segment stops being active: records its final max
    /// timestamp in the time index and fsyncs log and indexes.
    pub(crate) fn seal_and_flush(&mut self) -> io::Result<()> {
        self.index_mut()?.seal();
        self.flush()
    }

    /// Writes pending index entries and fsyncs the log and index files.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.file.sync_data()?;
        if let Some(idx) = self.index.get_mut() {
            idx.persist(true)?;
        }
        self.txn_index.flush()
    }

    /// Removes the segment's files. Open fetches keep reading their data.
    pub(crate) fn delete(self) -> io::Result<()> {
        remove_if_exists(&segment_path(&self.dir, self.base_offset, LOG_SUFFIX))?;
        remove_if_exists(&segment_path(&self.dir, self.base_offset, INDEX_SUFFIX))?;
        remove_if_exists(&segment_path(
            &self.dir,
            self.base_offset,
            TIME_INDEX_SUFFIX,
        ))?;
        self.txn_index.delete()
    }
}
