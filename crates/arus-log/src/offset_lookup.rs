//! ListOffsets support on a whole log: by timestamp, and the record with
//! the largest timestamp (KIP-734).

use crate::error::LogError;
use crate::log::Log;

impl Log {
    /// ListOffsets by timestamp: the first offset (at or after the log
    /// start) whose record timestamp is at least `timestamp`, with that
    /// record's timestamp; `None` if there is no such record. Only one batch
    /// is decoded. Kafka's special values (-1 latest, -2 earliest, -3 max)
    /// and filtering by high watermark are the caller's business.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Result<Option<(i64, i64)>, LogError> {
        for seg in self.segments() {
            if seg.size() == 0 || seg.max_timestamp()?.timestamp < timestamp {
                continue;
            }
            if let Some(found) = seg.find_by_timestamp(timestamp, self.log_start_offset)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Offset and timestamp of the record with the largest timestamp (the
    /// earliest one if several share it); `None` if the log is empty or no
    /// record has a timestamp. Like Kafka, records below the log start
    /// offset in the first segment are not excluded.
    pub fn max_timestamp_offset(&self) -> Result<Option<(i64, i64)>, LogError> {
        let mut best = None;
        let mut best_ts = -1;
        for seg in self.segments() {
            let ts = seg.max_timestamp()?.timestamp;
            if ts > best_ts {
                best_ts = ts;
                best = Some(seg);
            }
        }
        match best {
            Some(seg) => seg.max_timestamp_record(),
            None => Ok(None),
        }
    }
}
