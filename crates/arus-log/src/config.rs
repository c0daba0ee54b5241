//! Per-partition log configuration (Kafka's topic-level log settings).

/// Which timestamp a topic's records carry (Kafka `message.timestamp.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    /// Keep the producer's timestamps.
    #[default]
    CreateTime,
    /// Stamp every batch with the broker's clock at append.
    LogAppendTime,
}

/// What happens to old data (Kafka `cleanup.policy`: `delete`, `compact` or both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupPolicy {
    /// Time and size retention delete whole old segments (`delete`).
    pub delete: bool,
    /// The cleaner keeps only the latest record of each key (`compact`).
    pub compact: bool,
}

impl CleanupPolicy {
    /// `cleanup.policy=delete`, Kafka's default.
    pub const DELETE: CleanupPolicy = CleanupPolicy {
        delete: true,
        compact: false,
    };
    /// `cleanup.policy=compact`.
    pub const COMPACT: CleanupPolicy = CleanupPolicy {
        delete: false,
        compact: true,
    };
    /// `cleanup.policy=compact,delete`.
    pub const COMPACT_DELETE: CleanupPolicy = CleanupPolicy {
        delete: true,
        compact: true,
    };
}

impl Default for CleanupPolicy {
    fn default() -> Self {
        CleanupPolicy::DELETE
    }
}

/// Settings of one partition log; defaults match Kafka's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    /// Roll to a new segment when the active one would exceed this many bytes
    /// (`segment.bytes`, default 1 GiB; capped at `i32::MAX` like Kafka).
    pub segment_bytes: u64,
    /// Roll when this long has passed since the active segment's first
    /// append (`segment.ms`, default 7 days).
    pub segment_ms: i64,
    /// Roll when the offset index would exceed this many bytes
    /// (`segment.index.bytes`, default 10 MiB).
    pub segment_index_bytes: u64,
    /// Add an index entry once at least this many bytes were appended since
    /// the last one (`index.interval.bytes`, default 4096).
    pub index_interval_bytes: u64,
    /// Delete segments whose newest record is older than this
    /// (`retention.ms`, default 7 days, -1 = keep forever).
    pub retention_ms: i64,
    /// Delete oldest segments while the log is bigger than this
    /// (`retention.bytes`, default -1 = no limit).
    pub retention_bytes: i64,
    /// Largest accepted record batch (`max.message.bytes`, default 1048588).
    pub max_message_bytes: usize,
    /// CreateTime or LogAppendTime (`message.timestamp.type`).
    pub timestamp_type: TimestampType,
    /// fsync after this many unflushed messages (`flush.messages`,
    /// default `u64::MAX` = never).
    pub flush_messages: u64,
    /// fsync when this long has passed since the last flush (`flush.ms`,
    /// default `i64::MAX` = never).
    pub flush_ms: i64,
    /// Delete and/or compact (`cleanup.policy`, default `delete`).
    pub cleanup_policy: CleanupPolicy,
    /// The cleaner picks a log only when its dirty part is at least this share of its
    /// cleanable bytes (`min.cleanable.dirty.ratio`, default 0.5).
    pub min_cleanable_dirty_ratio: f64,
    /// Records stay uncompacted for at least this long: segments holding a newer record
    /// are not cleaned (`min.compaction.lag.ms`, default 0).
    pub min_compaction_lag_ms: i64,
    /// A record stays uncompacted for at most about this long: past it the log is cleaned
    /// whatever its dirty ratio, and the active segment of a compacted log rolls at this
    /// age (`max.compaction.lag.ms`, default `i64::MAX`).
    pub max_compaction_lag_ms: i64,
    /// How long a tombstone survives once cleaned, so that consumers reading from the
    /// start see deletions (`delete.retention.ms`, default 1 day).
    pub delete_retention_ms: i64,
}

impl Default for LogConfig {
    fn default() -> Self {
        const DAY_MS: i64 = 24 * 60 * 60 * 1000;
        LogConfig {
            segment_bytes: 1024 * 1024 * 1024,
            segment_ms: 7 * DAY_MS,
            segment_index_bytes: 10 * 1024 * 1024,
            index_interval_bytes: 4096,
            retention_ms: 7 * DAY_MS,
            retention_bytes: -1,
            max_message_bytes: 1_048_588,
            timestamp_type: TimestampType::CreateTime,
            flush_messages: u64::MAX,
            flush_ms: i64::MAX,
            cleanup_policy: CleanupPolicy::DELETE,
            min_cleanable_dirty_ratio: 0.5,
            min_compaction_lag_ms: 0,
            max_compaction_lag_ms: i64::MAX,
            delete_retention_ms: DAY_MS,
        }
    }
}

impl LogConfig {
    /// Segment size limit actually applied: positions in the index are
    /// 32-bit, so like Kafka we never let a segment pass `i32::MAX` bytes.
    pub(crate) fn effective_segment_bytes(&self) -> u64 {
        self.segment_bytes.clamp(1, i32::MAX as u64)
    }

    /// Age at which the active segment rolls: `segment.ms`, and for a compacted log no
    /// later than `max.compaction.lag.ms` (KIP-354), since the cleaner never touches the
    /// active segment.
    pub(crate) fn effective_segment_ms(&self) -> i64 {
        if self.cleanup_policy.compact {
            self.segment_ms.min(self.max_compaction_lag_ms.max(0))
        } else {
            self.segment_ms
        }
    }

    /// How many 8-byte entries the offset index may hold before a roll.
    pub(crate) fn max_offset_index_entries(&self) -> usize {
        usize::try_from(self.segment_index_bytes / 8)
            .unwrap_or(usize::MAX)
            .max(1)
    }

    /// How many 12-byte entries the time index may hold before a roll.
    pub(crate) fn max_time_index_entries(&self) -> usize {
        usize::try_from(self.segment_index_bytes / 12)
            .unwrap_or(usize::MAX)
            .max(1)
    }
}
