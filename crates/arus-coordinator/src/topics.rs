//! What the coordinator asks the broker about topics: does a partition
//! exist, and (for KIP-848 consumer groups) a topic's id and partition count.

use uuid::Uuid;

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

/// A topic as the consumer-group protocol sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicInfo {
    /// The topic id (KIP-516); ConsumerGroupHeartbeat assignments name topics by id.
    pub id: Uuid,
    /// How many partitions the topic has.
    pub partitions: i32,
}

/// Topic metadata for the server-side assignors of KIP-848 consumer groups.
pub trait TopicMetadata {
    /// The id and partition count of `name`, if the topic exists.
    fn topic(&self, name: &str) -> Option<TopicInfo>;
    /// The name of the topic with `id`, if it exists.
    fn topic_name(&self, id: Uuid) -> Option<String>;
}
