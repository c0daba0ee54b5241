//! Translates a topic's resolved configuration into the storage engine's [`LogConfig`].

use std::collections::BTreeMap;

use arus_log::{CleanupPolicy, LogConfig, TimestampType};

use crate::config::{BrokerConfig, TopicConfigs};

/// The storage settings of a topic with these overrides on this broker. Overrides were
/// validated when set; one that no longer validates falls back to the broker default.
pub fn for_topic(broker: &BrokerConfig, overrides: &BTreeMap<String, String>) -> LogConfig {
    let (topic, problems) = TopicConfigs::resolve_lenient(broker, overrides);
    for p in problems {
        tracing::warn!(problem = %p, "ignoring an invalid stored topic config");
    }
    // Kafka spells "never" Long.MAX_VALUE; the log spells it u64::MAX.
    let flush_messages = match topic.flush_messages() {
        i64::MAX => u64::MAX,
        n => u64::try_from(n).unwrap_or(u64::MAX),
    };
    LogConfig {
        segment_bytes: u64::try_from(topic.segment_bytes()).unwrap_or(1),
        segment_ms: topic.segment_ms(),
        segment_index_bytes: u64::try_from(topic.segment_index_bytes()).unwrap_or(1),
        index_interval_bytes: u64::try_from(topic.index_interval_bytes()).unwrap_or(0),
        // The log applies retention only under cleanup.policy=delete.
        retention_ms: topic.retention_ms(),
        retention_bytes: topic.retention_bytes(),
        max_message_bytes: usize::try_from(topic.max_message_bytes()).unwrap_or(0),
        timestamp_type: if topic.log_append_time() {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        },
        flush_messages,
        flush_ms: topic.flush_ms(),
        cleanup_policy: CleanupPolicy {
            delete: topic.delete(),
            compact: topic.compact(),
        },
        min_cleanable_dirty_ratio: topic.min_cleanable_dirty_ratio(),
        min_compaction_lag_ms: topic.min_compaction_lag_ms(),
        max_compaction_lag_ms: topic.max_compaction_lag_ms(),
        delete_retention_ms: topic.delete_retention_ms(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides_reach_the_log() {
        let broker = BrokerConfig::default();
        let default = for_topic(&broker, &BTreeMap::new());
        assert_eq!(default, LogConfig::default());
        let mut o = BTreeMap::new();
        o.insert("retention.ms".to_string(), "1000".to_string());
        o.insert("segment.bytes".to_string(), "1048576".to_string());
        o.insert(
            "message.timestamp.type".to_string(),
            "LogAppendTime".to_string(),
        );
        o.insert("flush.messages".to_string(), "1".to_string());
        let c = for_topic(&broker, &o);
        assert_eq!(c.retention_ms, 1000);
        assert_eq!(c.segment_bytes, 1_048_576);
        assert_eq!(c.timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(c.flush_messages, 1);
    }

    #[test]
    fn cleanup_policy_and_cleaner_settings_reach_the_log() {
        let broker = BrokerConfig::default();
        let mut o = BTreeMap::new();
        o.insert("cleanup.policy".to_string(), "compact".to_string());
        o.insert("retention.ms".to_string(), "1000".to_string());
        let c = for_topic(&broker, &o);
        assert_eq!(c.cleanup_policy, CleanupPolicy::COMPACT);
        o.insert("cleanup.policy".to_string(), "compact,delete".to_string());
        o.insert("min.cleanable.dirty.ratio".to_string(), "0.1".to_string());
        let c = for_topic(&broker, &o);
        assert_eq!(c.cleanup_policy, CleanupPolicy::COMPACT_DELETE);
        assert_eq!((c.retention_ms, c.min_cleanable_dirty_ratio), (1000, 0.1));
    }
}
