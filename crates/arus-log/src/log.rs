//! `Log`: all segments of one partition (`<topic>-<partition>` directory),
//! with the append, read, flush and truncation paths. Opening and crash
//! recovery live in `recovery.rs`, retention in `retention.rs`, timestamp
//! lookups in `offset_lookup.rs`, transaction markers and the last stable
//! offset in `transactions.rs`.

use std::io;
use std::path::{Path, PathBuf};

use crate::batch::{prepare_batch, validate_batches, ValidatedBatches};
use crate::config::{LogConfig, TimestampType};
use crate::error::{AppendError, LogError};
use crate::fetch::FetchSlice;
use crate::io_util::{read_exact_vec, sync_dir};
use crate::leader_epoch::LeaderEpochCache;
use crate::producer_state::{ProducerEntry, ProducerStateManager, SequenceCheck};
use crate::scan::{BatchScanner, ScanStep};
use crate::segment::{AppendedBatch, Segment};
use crate::txn_index::AbortedTxnEntry;
use crate::txn_marker::{parse_marker, TxnMarker};

/// Outcome of a successful append, as a produce response needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendInfo {
    /// Offset given to the first record.
    pub base_offset: i64,
    /// Offset given to the last record.
    pub last_offset: i64,
    /// Records appended.
    pub record_count: u64,
    /// The broker time stamped on the batches for LogAppendTime topics, -1
    /// for CreateTime.
    pub log_append_time: i64,
    /// Largest timestamp among the appended batches.
    pub max_timestamp: i64,
    /// Log start offset after the append.
    pub log_start_offset: i64,
}

/// The log of one partition: ordered segments, the last one active.
#[derive(Debug)]
pub struct Log {
    pub(crate) dir: PathBuf,
    pub(crate) config: LogConfig,
    pub(crate) closed: Vec<Segment>,
    pub(crate) active: Segment,
    pub(crate) log_start_offset: i64,
    pub(crate) log_end_offset: i64,
    pub(crate) high_watermark: i64,
    pub(crate) recovery_point: i64,
    pub(crate) unflushed_messages: u64,
    pub(crate) last_flush_ms: i64,
    pub(crate) dir_needs_sync: bool,
    pub(crate) epochs: LeaderEpochCache,
    pub(crate) producers: ProducerStateManager,
    /// The cleaner's checkpoint: the first offset not yet cleaned (Kafka's
    /// `cleaner-offset-checkpoint` entry for this partition).
    pub(crate) clean_offset: i64,
    /// Earliest delete horizon of a cleaned batch that still holds tombstones: from then
    /// on a cleaning removes something even without new data.
    pub(crate) pending_delete_horizon: Option<i64>,
    /// Test hook: the cleaner's swap fails before its n-th next file operation.
    pub(crate) cleaner_fail_after: Option<usize>,
}

impl Log {
    /// Validates all batches (nothing is written if any is invalid), gives
    /// them offsets from the log end offset, rewrites their headers in place
    /// (base offset, leader epoch, LogAppendTime stamping), rolls the active
    /// segment if needed, writes the batches with patched headers in one
    /// vectored write (the records are not copied) and indexes them.
    /// Advances the log end offset, not the high watermark.
    ///
    /// Control batches are refused (INVALID_RECORD): transaction markers are written only
    /// by [`Log::append_marker`], which keeps producer state in step with them.
    pub fn append(
        &mut self,
        records: &[u8],
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo, AppendError> {
        let validated = validate_batches(records, self.config.max_message_bytes)?;
        if validated.batches.iter().any(|b| b.control) {
            return Err(AppendError::InvalidRecord(
                "clients are not allowed to write control records".into(),
            ));
        }
        let base_offset = self.log_end_offset;
        // Idempotent producers: every batch must continue its producer's sequence, counting
        // earlier batches of this same append; a lone retried batch is answered with the
        // offsets it got the first time.
        let mut producer_updates: Vec<(i64, ProducerEntry)> = Vec::new();
        let mut next = base_offset;
        for b in &validated.batches {
            if let Some(pb) = &b.producer {
                let pending = producer_updates
                    .iter()
                    .rev()
                    .find(|(id, _)| *id == pb.producer_id)
                    .map(|(_, e)| e);
                let entry = pending.or_else(|| self.producers.entry(pb.producer_id));
                match ProducerStateManager::check(entry, pb)? {
                    SequenceCheck::Duplicate(original) if validated.batches.len() == 1 => {
                        return Ok(AppendInfo {
                            base_offset: original.first_offset,
                            last_offset: original.last_offset,
                            record_count: 0,
                            log_append_time: -1,
                            max_timestamp: original.timestamp,
                            log_start_offset: self.log_start_offset,
                        });
                    }
                    SequenceCheck::Duplicate(_) => {
                        return Err(AppendError::InvalidRecord(
                            "a retried batch may only come alone".into(),
                        ))
                    }
                    SequenceCheck::Append => {
                        let timestamp = match self.config.timestamp_type {
                            TimestampType::LogAppendTime => now_ms,
                            TimestampType::CreateTime => b.max_timestamp,
                        };
                        let mut updated = entry
                            .cloned()
                            .unwrap_or_else(|| ProducerEntry::new(pb.epoch));
                        updated.record(pb, next, timestamp);
                        producer_updates.push((pb.producer_id, updated));
                    }
                }
            }
            next += i64::from(b.last_offset_delta) + 1;
        }
        let info = self.write_batches(records, &validated, leader_epoch, now_ms)?;
        for (id, entry) in producer_updates {
            self.producers.put(id, entry);
        }
        Ok(info)
    }

    /// The write half of an append, shared with markers: gives the validated batches
    /// offsets from the log end, rolls if needed, rewrites their headers, writes and
    /// indexes them. Producer state is the caller's business.
    pub(crate) fn write_batches(
        &mut self,
        records: &[u8],
        validated: &ValidatedBatches,
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo, AppendError> {
        let base_offset = self.log_end_offset;
        let count = i64::try_from(validated.record_count)
            .map_err(|_| AppendError::InvalidRecord("too many records".into()))?;
        let last_offset = base_offset
            .checked_add(count - 1)
            .ok_or_else(|| AppendError::InvalidRecord("offsets would overflow".into()))?;
        self.maybe_roll(records.len() as u64, last_offset, now_ms)?;
        if leader_epoch >= 0 && self.epochs.latest_epoch().is_none_or(|e| leader_epoch > e) {
            self.epochs.assign(leader_epoch, base_offset)?;
        }
        let append_time = match self.config.timestamp_type {
            TimestampType::LogAppendTime => Some(now_ms),
            TimestampType::CreateTime => None,
        };
        let mut batches = Vec::with_capacity(validated.batches.len());
        let mut stored = Vec::with_capacity(validated.batches.len());
        let mut next = base_offset;
        let mut max_timestamp = -1i64;
        for b in &validated.batches {
            let batch = records
                .get(b.position..b.position + b.size)
                .ok_or_else(|| AppendError::CorruptMessage("batch outside buffer".into()))?;
            stored.push(prepare_batch(batch, next, leader_epoch, append_time)?);
            let batch_max = append_time.unwrap_or(b.max_timestamp);
            batches.push(AppendedBatch {
                base_offset: next,
                max_timestamp: batch_max,
                position: b.position as u64,
                size: b.size as u64,
            });
            max_timestamp = max_timestamp.max(batch_max);
            next += i64::from(b.last_offset_delta) + 1;
        }
        let parts: Vec<&[u8]> = stored.iter().flat_map(|s| s.parts()).collect();
        self.active.append(&parts, &batches, now_ms)?;
        self.log_end_offset = next;
        self.unflushed_messages = self
            .unflushed_messages
            .saturating_add(validated.record_count);
        Ok(AppendInfo {
            base_offset,
            last_offset,
            record_count: validated.record_count,
            log_append_time: append_time.unwrap_or(-1),
            max_timestamp,
            log_start_offset: self.log_start_offset,
        })
    }

    /// Rolls before an append of `incoming` bytes ending at `last_offset`
    /// when the active segment is non-empty and would be too big, is too
    /// old, has a full index, or could not hold the offsets.
    fn maybe_roll(&mut self, incoming: u64, last_offset: i64, now_ms: i64) -> io::Result<()> {
        let seg = &self.active;
        if seg.size() == 0 {
            return Ok(());
        }
        let too_big = seg.size().saturating_add(incoming) > self.config.effective_segment_bytes();
        let too_old = seg
            .rolling_base_ms()
            .is_some_and(|t| now_ms.saturating_sub(t) > self.config.effective_segment_ms());
        let (offset_entries, time_entries) = seg.index_entries()?;
        let index_full = offset_entries >= self.config.max_offset_index_entries()
            || time_entries >= self.config.max_time_index_entries();
        let offsets_overflow = last_offset.saturating_sub(seg.base_offset()) > i64::from(i32::MAX);
        if too_big || too_old || index_full || offsets_overflow {
            self.roll()?;
        }
        Ok(())
    }

    /// Closes the active segment (final time-index entry, fsync) and starts
    /// a new one at the log end offset. Like Kafka's post-roll flush, this
    /// moves the recovery point to the new segment's base. No-op when the
    /// active segment is empty.
    pub(crate) fn roll(&mut self) -> io::Result<()> {
        if self.active.size() == 0 {
            return Ok(());
        }
        let new_base = self.log_end_offset;
        self.active.seal_and_flush()?;
        // As Kafka does at each roll: recovery replays producer state from here, not from
        // the start of the log.
        self.producers.write_snapshot(&self.dir, new_base)?;
        let segment = Segment::create(&self.dir, new_base, self.config.index_interval_bytes)?;
        let old = std::mem::replace(&mut self.active, segment);
        self.closed.push(old);
        self.recovery_point = self.recovery_point.max(new_base);
        self.unflushed_messages = 0;
        self.dir_needs_sync = true;
        Ok(())
    }

    /// Segment `i` in offset order (closed ones, then the active one).
    pub(crate) fn segment(&self, i: usize) -> Option<&Segment> {
        if i == self.closed.len() {
            Some(&self.active)
        } else {
            self.closed.get(i)
        }
    }

    /// Segment `i`, mutably.
    pub(crate) fn segment_mut(&mut self, i: usize) -> Option<&mut Segment> {
        if i == self.closed.len() {
            Some(&mut self.active)
        } else {
            self.closed.get_mut(i)
        }
    }

    /// Index of the last segment whose base offset is <= `offset` (0 if
    /// `offset` precedes every segment).
    pub(crate) fn segment_index_for(&self, offset: i64) -> usize {
        if self.active.base_offset() <= offset {
            return self.closed.len();
        }
        self.closed
            .partition_point(|s| s.base_offset() <= offset)
            .saturating_sub(1)
    }

    /// All segments, oldest first.
    pub(crate) fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.closed.iter().chain(std::iter::once(&self.active))
    }

    fn empty_slice(&self) -> FetchSlice {
        let end = self.active.size();
        FetchSlice::new(self.active.file().clone(), end, end)
    }

    /// Plans a fetch at `offset`, never past `max_offset` (exclusive; pass
    /// the high watermark). The slice starts at the batch holding `offset`
    /// and covers one segment. `offset` outside [log start, log end] is
    /// OffsetOutOfRange; `offset >= max_offset` gives an empty slice.
    pub fn read(&self, offset: i64, max_offset: i64) -> Result<FetchSlice, LogError> {
        if offset < self.log_start_offset || offset > self.log_end_offset {
            return Err(LogError::OffsetOutOfRange {
                offset,
                log_start: self.log_start_offset,
                log_end: self.log_end_offset,
            });
        }
        let max_offset = max_offset.min(self.log_end_offset);
        if offset >= max_offset {
            return Ok(self.empty_slice());
        }
        let mut i = self.segment_index_for(offset);
        while let Some(seg) = self.segment(i) {
            if let Some((start, _)) = seg.translate_offset(offset)? {
                let limit_here = max_offset < self.log_end_offset
                    && self
                        .segment(i + 1)
                        .is_none_or(|next| max_offset < next.base_offset());
                let end = if limit_here {
                    seg.translate_offset(max_offset)?
                        .map_or(seg.size(), |(pos, _)| pos)
                } else {
                    seg.size()
                };
                return Ok(FetchSlice::new(seg.file().clone(), start, end));
            }
            i += 1;
        }
        Ok(self.empty_slice())
    }

    /// First offset still readable.
    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// Offset the next appended record will get.
    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }

    /// Offset up to which (exclusive) records are committed.
    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }

    /// Sets the high watermark, clamped to [log start, log end].
    pub fn set_high_watermark(&mut self, hw: i64) {
        self.high_watermark = hw.min(self.log_end_offset).max(self.log_start_offset);
    }

    /// Bytes in all segment files.
    pub fn size_bytes(&self) -> u64 {
        self.segments().map(Segment::size).sum()
    }

    /// Number of segments, the active one included.
    pub fn segment_count(&self) -> usize {
        self.closed.len() + 1
    }

    /// Base offsets of all segments, oldest first.
    pub fn segment_base_offsets(&self) -> Vec<i64> {
        self.segments().map(Segment::base_offset).collect()
    }

    /// Offset below which everything is known to be fsynced.
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point
    }

    /// The partition directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Current configuration.
    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// Replaces the configuration; size and time limits apply from the next
    /// append or retention pass.
    pub fn update_config(&mut self, config: LogConfig) {
        for seg in self.closed.iter_mut() {
            seg.set_index_interval(config.index_interval_bytes);
        }
        self.active.set_index_interval(config.index_interval_bytes);
        self.config = config;
    }

    /// The partition's leader epoch history.
    pub fn leader_epoch_cache(&self) -> &LeaderEpochCache {
        &self.epochs
    }

    /// Records that `epoch` starts at the current log end offset (call on
    /// becoming leader). Appends also do this for a newer epoch.
    pub fn assign_leader_epoch(&mut self, epoch: i32) -> Result<(), LogError> {
        self.epochs.assign(epoch, self.log_end_offset)?;
        Ok(())
    }

    /// OffsetsForLeaderEpoch answer for `epoch`: (largest known epoch <= it,
    /// its end offset).
    pub fn end_offset_for_epoch(&self, epoch: i32) -> Option<(i32, i64)> {
        self.epochs.end_offset_for(epoch, self.log_end_offset)
    }

    /// fsyncs when `flush_messages` messages are unflushed or `flush_ms`
    /// passed since the last flush; returns whether it flushed.
    pub fn flush_if_due(&mut self, now_ms: i64) -> Result<bool, LogError> {
        if self.unflushed_messages == 0 {
            self.last_flush_ms = now_ms;
            return Ok(false);
        }
        let due = self.unflushed_messages >= self.config.flush_messages
            || now_ms.saturating_sub(self.last_flush_ms) >= self.config.flush_ms;
        if !due {
            return Ok(false);
        }
        self.flush()?;
        self.last_flush_ms = now_ms;
        Ok(true)
    }

    /// fsyncs every segment that may hold unflushed data (and its indexes),
    /// then moves the recovery point to the log end offset.
    pub fn flush(&mut self) -> Result<(), LogError> {
        let rp = self.recovery_point;
        let mut next_bases: Vec<i64> = self
            .closed
            .iter()
            .skip(1)
            .map(Segment::base_offset)
            .collect();
        next_bases.push(self.active.base_offset());
        for (seg, next_base) in self.closed.iter_mut().zip(next_bases) {
            if next_base > rp {
                seg.flush()?;
            }
        }
        self.active.flush()?;
        if self.dir_needs_sync {
            sync_dir(&self.dir)?;
            self.dir_needs_sync = false;
        }
        self.recovery_point = self.log_end_offset;
        self.unflushed_messages = 0;
        Ok(())
    }

    /// Removes all records at offsets >= `offset` (whole batches: if
    /// `offset` falls inside a batch, that batch goes too and the log end
    /// offset becomes its base). If `offset` is at or below the first
    /// segment, the log is emptied and restarts at `offset`. Negative
    /// offsets are OffsetOutOfRange.
    pub fn truncate_to(&mut self, offset: i64) -> Result<(), LogError> {
        if offset < 0 {
            return Err(LogError::OffsetOutOfRange {
                offset,
                log_start: self.log_start_offset,
                log_end: self.log_end_offset,
            });
        }
        if offset >= self.log_end_offset {
            return Ok(());
        }
        let first_base = self
            .closed
            .first()
            .map_or(self.active.base_offset(), Segment::base_offset);
        if offset <= first_base {
            return self.truncate_fully_and_start_at(offset);
        }
        let mut end = self.log_end_offset;
        while self.active.base_offset() >= offset {
            let Some(prev) = self.closed.pop() else { break };
            let removed = std::mem::replace(&mut self.active, prev);
            end = removed.base_offset();
            removed.delete()?;
            self.dir_needs_sync = true;
        }
        let new_end = self.active.truncate_to(offset)?.unwrap_or(end);
        self.log_end_offset = new_end;
        self.log_start_offset = self.log_start_offset.min(new_end);
        self.high_watermark = self.high_watermark.min(new_end);
        self.recovery_point = self.recovery_point.min(new_end);
        self.unflushed_messages = u64::try_from(new_end - self.recovery_point).unwrap_or(0);
        self.epochs.truncate_from_end(new_end)?;
        ProducerStateManager::delete_snapshots_above(&self.dir, new_end)?;
        self.rebuild_producer_state()?;
        Ok(())
    }

    /// Deletes every segment and starts an empty log at `offset`.
    pub(crate) fn truncate_fully_and_start_at(&mut self, offset: i64) -> Result<(), LogError> {
        for seg in self.closed.drain(..) {
            seg.delete()?;
        }
        let fresh = Segment::create(&self.dir, offset, self.config.index_interval_bytes)?;
        let old = std::mem::replace(&mut self.active, fresh);
        if old.base_offset() != offset {
            old.delete()?;
        }
        self.log_start_offset = offset;
        self.log_end_offset = offset;
        self.high_watermark = offset;
        self.recovery_point = offset;
        self.unflushed_messages = 0;
        self.producers = ProducerStateManager::default();
        ProducerStateManager::delete_snapshots_above(&self.dir, offset)?;
        self.dir_needs_sync = true;
        self.epochs.clear()?;
        Ok(())
    }

    /// Flushes everything, index files included, so that reopening with
    /// `clean_shutdown = true` needs no scan.
    pub fn close(mut self) -> Result<(), LogError> {
        self.flush_for_shutdown()
    }

    /// Flushes everything and snapshots producer state at the log end, so that the next
    /// open neither scans segments nor loses de-duplication.
    pub fn flush_for_shutdown(&mut self) -> Result<(), LogError> {
        self.flush()?;
        self.producers
            .write_snapshot(&self.dir, self.log_end_offset)?;
        Ok(())
    }

    /// The idempotent producers this partition knows.
    pub fn producer_state(&self) -> &ProducerStateManager {
        &self.producers
    }

    /// Forgets producers idle for `expiration_ms` (`producer.id.expiration.ms`); returns
    /// how many.
    pub fn expire_producers(&mut self, now_ms: i64, expiration_ms: i64) -> usize {
        self.producers.remove_expired(now_ms, expiration_ms)
    }

    /// Rebuilds producer state from the newest snapshot at or below the log end plus the
    /// batches after it (all of the log without a snapshot). Markers in those batches end
    /// transactions; each abort is (re-)recorded in its segment's `.txnindex` unless its
    /// entry is already there (it may not have reached the file before a crash).
    pub(crate) fn rebuild_producer_state(&mut self) -> Result<(), LogError> {
        let (mut state, covered) =
            ProducerStateManager::load_snapshot(&self.dir, self.log_end_offset)?;
        let from = covered
            .unwrap_or(self.log_start_offset)
            .max(self.log_start_offset);
        if covered.is_none() || from < self.log_start_offset {
            state = ProducerStateManager::default();
        }
        let first = self.segment_index_for(from);
        let mut aborts: Vec<(usize, AbortedTxnEntry)> = Vec::new();
        for i in first..=self.closed.len() {
            let Some(seg) = self.segment(i) else { break };
            let start = if i == first {
                match seg.translate_offset(from)? {
                    Some((pos, _)) => pos,
                    None => continue,
                }
            } else {
                0
            };
            let mut scanner = BatchScanner::new(seg.file(), start, seg.size(), false);
            while let ScanStep::Batch {
                header,
                position,
                size,
            } = scanner.next_step()?
            {
                if header.base_offset < from {
                    continue;
                }
                if header.is_control() && header.producer_id >= 0 {
                    // Only the (tiny, rare) marker batches are read beyond their header.
                    let bytes = read_exact_vec(seg.file(), position, size as usize)?;
                    let Some(record) = parse_marker(&bytes) else {
                        continue;
                    };
                    let marker = TxnMarker {
                        producer_id: header.producer_id,
                        producer_epoch: header.producer_epoch,
                        commit: record.commit,
                        coordinator_epoch: record.coordinator_epoch,
                    };
                    let done =
                        state.complete_txn(&marker, header.base_offset, header.max_timestamp);
                    if let Some(txn) = done.filter(|t| t.aborted) {
                        aborts.push((i, AbortedTxnEntry::from(txn)));
                    }
                } else if let Some(pb) = header.producer_batch() {
                    state.update(&pb, header.base_offset, header.max_timestamp);
                }
            }
        }
        for (i, entry) in aborts {
            if let Some(seg) = self.segment_mut(i) {
                seg.txn_index_mut().insert(entry)?;
            }
        }
        state.truncate_head(self.log_start_offset);
        self.producers = state;
        Ok(())
    }

    /// Removes the partition directory and every file in it.
    pub fn delete(self) -> Result<(), LogError> {
        let dir = self.dir.clone();
        drop(self);
        std::fs::remove_dir_all(&dir)?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        Ok(())
    }
}
