//! The one question the coordinator asks the broker: does a partition exist?

/// Tells the coordinator which topic-partitions exist, so OffsetCommit and
/// OffsetDelete can answer `UNKNOWN_TOPIC_OR_PARTITION` for the others.
pub trait TopicExists {
    /// True if `topic` exists and has a partition numbered `partition`.
    fn partition_exists(&self, topic: &str, partition: i32) -> bool;
}

impl<F> TopicExists for F
where
    F: Fn(&str, i32) -> bool,
{
    fn partition_exists(&self, topic: &str, partition: i32) -> bool {
        self(topic, partition)
    }
}
