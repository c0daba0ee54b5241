//! Removing old data: DeleteRecords and time/size retention. Only a prefix
//! of segments is ever deleted, and only data below the high watermark.

use crate::error::LogError;
use crate::log::Log;
use crate::segment::Segment;

impl Log {
    /// DeleteRecords: moves the log start offset up to `offset` (which must
    /// not exceed the high watermark) and deletes segments wholly below it.
    /// Returns the new log start offset.
    pub fn delete_records_before(&mut self, offset: i64) -> Result<i64, LogError> {
        if offset > self.high_watermark || offset < 0 {
            return Err(LogError::OffsetOutOfRange {
                offset,
                log_start: self.log_start_offset,
                log_end: self.high_watermark,
            });
        }
        if offset > self.log_start_offset {
            self.log_start_offset = offset;
            self.delete_segments_below_log_start()?;
            self.epochs.truncate_from_start(offset)?;
            self.producers.truncate_head(self.log_start_offset);
        }
        Ok(self.log_start_offset)
    }

    /// Deletes closed segments whose every offset is below the log start.
    pub(crate) fn delete_segments_below_log_start(&mut self) -> Result<usize, LogError> {
        let mut count = 0;
        while let Some(next_base) = self.segment(count + 1).map(Segment::base_offset) {
            if next_base > self.log_start_offset {
                break;
            }
            count += 1;
        }
        self.delete_oldest(count)
    }

    /// Time then size retention. A segment goes when its newest timestamp
    /// is more than `retention_ms` old, or while the log minus that segment
    /// is still at least `retention_bytes`. Only segments wholly below the
    /// high watermark qualify; if the non-empty active segment qualifies too
    /// the log rolls first so it can go (log start becomes the log end).
    /// Returns how many segments were deleted.
    ///
    /// Only under `cleanup.policy` `delete` (alone or with `compact`): a compact-only log
    /// keeps every segment and is bounded by the cleaner instead, as in Kafka.
    pub fn apply_retention(&mut self, now_ms: i64) -> Result<usize, LogError> {
        let mut deleted = 0;
        if !self.config.cleanup_policy.delete {
            return Ok(0);
        }
        let retention_ms = self.config.retention_ms;
        if retention_ms >= 0 {
            let mut expired = Vec::new();
            for seg in self.segments() {
                expired.push(now_ms.saturating_sub(seg.retention_timestamp()?) > retention_ms);
            }
            let count = self.deletable_prefix(|i, _| expired.get(i).copied().unwrap_or(false));
            deleted += self.delete_oldest(count)?;
        }
        let retention_bytes = self.config.retention_bytes;
        if retention_bytes >= 0 {
            let mut excess = i64::try_from(self.size_bytes()).unwrap_or(i64::MAX) - retention_bytes;
            let count = self.deletable_prefix(|_, seg| {
                let size = i64::try_from(seg.size()).unwrap_or(i64::MAX);
                if excess - size >= 0 {
                    excess -= size;
                    true
                } else {
                    false
                }
            });
            deleted += self.delete_oldest(count)?;
        }
        Ok(deleted)
    }

    /// Length of the oldest-first run of segments that `pred` accepts and
    /// that lie wholly below the high watermark (an empty active segment
    /// never counts).
    fn deletable_prefix(&self, mut pred: impl FnMut(usize, &Segment) -> bool) -> usize {
        let mut count = 0;
        while let Some(seg) = self.segment(count) {
            let upper = self
                .segment(count + 1)
                .map_or(self.log_end_offset, Segment::base_offset);
            let is_active = count == self.closed.len();
            if self.high_watermark < upper || (is_active && seg.size() == 0) || !pred(count, seg) {
                break;
            }
            count += 1;
        }
        count
    }

    /// Deletes the `count` oldest segments (rolling first if that includes
    /// the active one) and advances the log start offset past them.
    fn delete_oldest(&mut self, count: usize) -> Result<usize, LogError> {
        if count == 0 {
            return Ok(0);
        }
        if count > self.closed.len() {
            self.roll()?;
        }
        let count = count.min(self.closed.len());
        for seg in self.closed.drain(..count) {
            seg.delete()?;
        }
        self.dir_needs_sync = true;
        let first_base = self
            .closed
            .first()
            .map_or(self.active.base_offset(), Segment::base_offset);
        if first_base > self.log_start_offset {
            self.log_start_offset = first_base;
            self.epochs.truncate_from_start(first_base)?;
            self.producers.truncate_head(first_base);
        }
        self.high_watermark = self.high_watermark.max(self.log_start_offset);
        self.recovery_point = self.recovery_point.max(self.log_start_offset);
        Ok(count)
    }
}
