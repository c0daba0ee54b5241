//! Timestamp lookups inside one segment (ListOffsets by timestamp and
//! MAX_TIMESTAMP). Uses the time index to find where to start, walks batch
//! headers, and decodes only a batch that must contain the answer.

use std::fs::File;

use bytes::Bytes;
use kafka_protocol::records::{Record, RecordBatchDecoder};

use crate::config::TimestampType;
use crate::error::LogError;
use crate::io_util::read_exact_vec;
use crate::scan::{BatchScanner, ScanStep};
use crate::segment::Segment;

/// Reads and decodes (decompressing if needed) the batch at `position`.
fn decode_batch(file: &File, position: u64, size: u64) -> Result<Vec<Record>, LogError> {
    let size = usize::try_from(size).map_err(|_| LogError::Corrupt("batch too large".into()))?;
    let mut bytes = Bytes::from(read_exact_vec(file, position, size)?);
    RecordBatchDecoder::decode(&mut bytes)
        .map(|set| set.records)
        .map_err(|e| LogError::Corrupt(format!("cannot decode batch at position {position}: {e}")))
}

impl Segment {
    /// First record at or after `start_offset` whose timestamp is >=
    /// `timestamp`, as (offset, timestamp).
    pub(crate) fn find_by_timestamp(
        &self,
        timestamp: i64,
        start_offset: i64,
    ) -> Result<Option<(i64, i64)>, LogError> {
        let idx = self.index()?;
        let from_offset = idx
            .times
            .lookup(timestamp)
            .map_or(self.base_offset(), |(_, offset)| offset)
            .max(start_offset);
        let start = idx
            .offsets
            .lookup(from_offset)
            .map_or(0, |(_, pos)| pos)
            .min(self.size());
        let mut scanner = BatchScanner::new(self.file(), start, self.size(), false);
        loop {
            let (position, header, size) = match scanner.next_step()? {
                ScanStep::Batch {
                    position,
                    header,
                    size,
                } => (position, header, size),
                ScanStep::End | ScanStep::Invalid { .. } => return Ok(None),
            };
            if header.last_offset() < start_offset || header.max_timestamp < timestamp {
                continue;
            }
            if header.timestamp_type() == TimestampType::LogAppendTime {
                return Ok(Some((
                    header.base_offset.max(start_offset),
                    header.max_timestamp,
                )));
            }
            let found = decode_batch(self.file(), position, size)?
                .into_iter()
                .find(|r| r.timestamp >= timestamp && r.offset >= start_offset);
            if let Some(r) = found {
                return Ok(Some((r.offset, r.timestamp)));
            }
        }
    }

    /// The record with the segment's largest timestamp (the first one, if
    /// several share it), as (offset, timestamp); `None` if no record has a
    /// timestamp.
    pub(crate) fn max_timestamp_record(&self) -> Result<Option<(i64, i64)>, LogError> {
        let max = self.max_timestamp()?;
        if max.timestamp < 0 {
            return Ok(None);
        }
        let Some((position, header)) = self.translate_offset(max.offset)? else {
            return Ok(None);
        };
        if header.timestamp_type() == TimestampType::LogAppendTime {
            return Ok(Some((header.base_offset, header.max_timestamp)));
        }
        let size = header.total_size().unwrap_or(0) as u64;
        let records = decode_batch(self.file(), position, size)?;
        let exact = records.iter().find(|r| r.timestamp == max.timestamp);
        // A producer may claim a maxTimestamp no record has; fall back to the
        // batch's real maximum.
        let best = exact.or_else(|| records.iter().rev().max_by_key(|r| r.timestamp));
        Ok(best.map(|r| (r.offset, r.timestamp)))
    }
}
