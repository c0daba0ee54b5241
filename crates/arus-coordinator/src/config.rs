//! Coordinator settings, named after Kafka's broker configs.

/// Group coordinator settings with Kafka's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordinatorConfig {
    /// `group.initial.rebalance.delay.ms`: how long the first rebalance of an
    /// empty group waits for more members (extended while members keep
    /// joining, up to the rebalance timeout).
    pub initial_rebalance_delay_ms: i64,
    /// `group.min.session.timeout.ms`: smallest session timeout a member may ask for.
    pub min_session_timeout_ms: i32,
    /// `group.max.session.timeout.ms`: largest session timeout a member may ask for.
    pub max_session_timeout_ms: i32,
    /// `group.max.size`: most members a group accepts.
    pub max_group_size: usize,
    /// `offsets.retention.minutes`: how long committed offsets are kept once
    /// the group is empty (or, for groups that never had members, after the commit).
    pub offsets_retention_minutes: i64,
    /// `offsets.retention.check.interval.ms`: how often expired offsets are removed.
    pub offsets_retention_check_interval_ms: i64,
    /// `offset.metadata.max.bytes`: longest commit metadata accepted (counted,
    /// like Kafka, in UTF-16 code units).
    pub offset_metadata_max_bytes: usize,
    /// `group.consumer.heartbeat.interval.ms`: how often KIP-848 consumer
    /// group members are told to heartbeat.
    pub consumer_heartbeat_interval_ms: i32,
    /// `group.consumer.session.timeout.ms`: a consumer group member that has
    /// not heartbeated for this long is fenced.
    pub consumer_session_timeout_ms: i32,
    /// `group.consumer.max.size`: most members a consumer group accepts.
    pub consumer_max_size: usize,
}

impl CoordinatorConfig {
    /// The offset retention period in milliseconds.
    pub fn offsets_retention_ms(&self) -> i64 {
        self.offsets_retention_minutes.saturating_mul(60_000)
    }
}

impl Default for CoordinatorConfig {
    fn default() -> Self {
        Self {
            initial_rebalance_delay_ms: 3_000,
            min_session_timeout_ms: 6_000,
            max_session_timeout_ms: 1_800_000,
            max_group_size: usize::MAX,
            offsets_retention_minutes: 10_080,
            offsets_retention_check_interval_ms: 600_000,
            offset_metadata_max_bytes: 4_096,
            consumer_heartbeat_interval_ms: 5_000,
            consumer_session_timeout_ms: 45_000,
            consumer_max_size: usize::MAX,
        }
    }
}
