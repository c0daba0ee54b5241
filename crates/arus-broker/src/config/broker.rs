//! Broker configuration: `server.properties` plus `--override` flags, validated against
//! Kafka's broker config names, types and valid values, with Arus's defaults.
//!
//! Every key is classified:
//!
//! * **modeled** — a broker config Arus knows (the table in this file): its value is
//!   parsed and validated (a bad value is an error), it has a typed accessor and it
//!   appears in [`BrokerConfig::describe`];
//! * **ignored** — a config Kafka knows (today or in 3.x, such as `zookeeper.connect`)
//!   that Arus does not act on: accepted, listed by [`BrokerConfig::ignored_keys`] so the
//!   server can warn;
//! * **unknown** — a key Kafka does not know either: accepted with a warning like Kafka's
//!   ("The configuration X was supplied but isn't a known config"), listed by
//!   [`BrokerConfig::unknown_keys`].
//!
//! Defaults are Kafka 4.0's, except where a single-node development broker needs
//! something else: `node.id` defaults to 1, `listeners` to
//! `PLAINTEXT://127.0.0.1:9092`, `log.dir` to `./arus-data`, and the replication factor /
//! min ISR of the internal topics to 1.
//!
//! Values are resolved in layers, highest first: dynamic cluster-wide defaults (the seam
//! for `kafka-configs --entity-default` / IncrementalAlterConfigs on broker resource
//! `""`, held in memory only), static config (`server.properties` and overrides), and the
//! built-in default.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::properties::{parse_override, parse_properties};
use super::topic::{topic_config_key, TopicConfigKey};
use super::types::{
    split_list, ConfigEntry, ConfigKey, ConfigSource, ConfigSynonym, ConfigType, ConfigValue,
    Validator,
};
use super::ConfigError;

/// Whether and how a broker config can be changed at runtime in Kafka (its documented
/// "Update Mode").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateMode {
    /// Only in `server.properties`; needs a restart.
    ReadOnly,
    /// Dynamically, per broker.
    PerBroker,
    /// Dynamically, per broker or as a cluster-wide default.
    ClusterWide,
}

/// The definition of one broker config Arus knows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BrokerConfigKey {
    /// Name, type, default (Arus's) and valid values.
    pub key: ConfigKey,
    /// Kafka's update mode.
    pub update_mode: UpdateMode,
}

const LONG_MAX: &str = "9223372036854775807";
const INT_MAX: &str = "2147483647";

use ConfigType::{Boolean, Double, Int, List, Long, Short, String as Str};
use UpdateMode::{ClusterWide, PerBroker, ReadOnly};

const fn cfg(
    name: &'static str,
    config_type: ConfigType,
    default: Option<&'static str>,
    validator: Validator,
    update_mode: UpdateMode,
    doc: &'static str,
) -> BrokerConfigKey {
    BrokerConfigKey {
        key: ConfigKey {
            name,
            config_type,
            default,
            validator,
            doc,
        },
        update_mode,
    }
}

/// Valid `process.roles` items.
const PROCESS_ROLES: &[&str] = &["broker", "controller"];

/// Every broker config Arus models, sorted by name.
static BROKER_CONFIGS: &[BrokerConfigKey] = &[
    cfg(
        "advertised.listeners",
        Str,
        None,
        Validator::Any,
        ReadOnly,
        "Listener addresses advertised to clients, as NAME://host:port,... If not set, \
         the (non-controller) listeners are advertised. 0.0.0.0 cannot be advertised.",
    ),
    cfg(
        "auto.create.topics.enable",
        Boolean,
        Some("true"),
        Validator::Any,
        ReadOnly,
        "Create topics automatically when a client asks for metadata of, or produces to, \
         a topic that does not exist.",
    ),
    cfg(
        "broker.id",
        Int,
        Some("1"),
        Validator::Any,
        ReadOnly,
        "Legacy name of node.id; if both are set they must be equal.",
    ),
    cfg(
        "broker.rack",
        Str,
        None,
        Validator::Any,
        ReadOnly,
        "Rack of the broker, reported in metadata.",
    ),
    cfg(
        "cluster.id",
        Str,
        None,
        Validator::Any,
        ReadOnly,
        "Arus extension: fixed cluster id to report. If not set, the server chooses and \
         persists one (Kafka keeps it in meta.properties).",
    ),
    cfg(
        "compression.gzip.level",
        Int,
        Some("-1"),
        Validator::GzipLevel,
        ClusterWide,
        "Default gzip compression level (topic config compression.gzip.level).",
    ),
    cfg(
        "compression.lz4.level",
        Int,
        Some("9"),
        Validator::Between(1, 17),
        ClusterWide,
        "Default lz4 compression level (topic config compression.lz4.level).",
    ),
    cfg(
        "compression.type",
        Str,
        Some("producer"),
        Validator::OneOf(super::topic::COMPRESSION_TYPES),
        ClusterWide,
        "Default final compression codec of topics: gzip, snappy, lz4, zstd, \
         uncompressed, or producer to keep the producer's codec.",
    ),
    cfg(
        "compression.zstd.level",
        Int,
        Some("3"),
        Validator::Between(-131072, 22),
        ClusterWide,
        "Default zstd compression level (topic config compression.zstd.level).",
    ),
    cfg(
        "connections.max.idle.ms",
        Long,
        Some("600000"),
        Validator::Any,
        ReadOnly,
        "Close connections idle for longer than this.",
    ),
    cfg(
        "console.enabled",
        Boolean,
        Some("true"),
        Validator::Any,
        ReadOnly,
        "Arus extension: serve the web console and the Prometheus endpoint (/metrics) on \
         console.listener.",
    ),
    cfg(
        "console.listener",
        Str,
        Some("127.0.0.1:9991"),
        Validator::Any,
        ReadOnly,
        "Arus extension: host:port (an IP address or localhost; port 0 picks a free port) \
         the web console and /metrics are served on, over plain HTTP. If it cannot be \
         bound the broker does not start.",
    ),
    cfg(
        "controller.listener.names",
        Str,
        None,
        Validator::Any,
        ReadOnly,
        "Names of the KRaft controller listeners. Arus has no separate controller \
         quorum: these listeners are accepted but not served.",
    ),
    cfg(
        "controller.quorum.bootstrap.servers",
        List,
        Some(""),
        Validator::Any,
        ReadOnly,
        "KRaft controller endpoints. Accepted; Arus runs its own metadata and does not \
         contact a controller quorum.",
    ),
    cfg(
        "controller.quorum.voters",
        List,
        Some(""),
        Validator::Any,
        ReadOnly,
        "KRaft voters as id@host:port,... Accepted; Arus runs its own metadata and does \
         not contact a controller quorum.",
    ),
    cfg(
        "default.replication.factor",
        Int,
        Some("1"),
        Validator::Any,
        ReadOnly,
        "Replication factor of automatically created topics and of topics created with \
         -1 as the replication factor.",
    ),
    cfg(
        "delete.topic.enable",
        Boolean,
        Some("true"),
        Validator::Any,
        ReadOnly,
        "Allow topics to be deleted.",
    ),
    cfg(
        "fetch.max.bytes",
        Int,
        Some("57671680"),
        Validator::AtLeast(1024),
        ReadOnly,
        "Maximum number of bytes returned for a fetch request.",
    ),
    cfg(
        "group.consumer.heartbeat.interval.ms",
        Int,
        Some("5000"),
        Validator::AtLeast(1),
        ReadOnly,
        "How often members of KIP-848 consumer groups heartbeat.",
    ),
    cfg(
        "group.consumer.max.size",
        Int,
        Some(INT_MAX),
        Validator::AtLeast(1),
        ReadOnly,
        "Maximum number of members of a KIP-848 consumer group.",
    ),
    cfg(
        "group.consumer.session.timeout.ms",
        Int,
        Some("45000"),
        Validator::AtLeast(1),
        ReadOnly,
        "How long a KIP-848 consumer group member may go without a heartbeat.",
    ),
    cfg(
        "group.initial.rebalance.delay.ms",
        Int,
        Some("3000"),
        Validator::Any,
        ReadOnly,
        "How long the group coordinator waits for more members to join a new group \
         before the first rebalance.",
    ),
    cfg(
        "group.max.session.timeout.ms",
        Int,
        Some("1800000"),
        Validator::Any,
        ReadOnly,
        "Largest session timeout a consumer group member may ask for.",
    ),
    cfg(
        "group.max.size",
        Int,
        Some(INT_MAX),
        Validator::AtLeast(1),
        ReadOnly,
        "Maximum number of members of a consumer group.",
    ),
    cfg(
        "group.min.session.timeout.ms",
        Int,
        Some("6000"),
        Validator::Any,
        ReadOnly,
        "Smallest session timeout a consumer group member may ask for.",
    ),
    cfg(
        "inter.broker.listener.name",
        Str,
        None,
        Validator::Any,
        ReadOnly,
        "Listener used between brokers. Accepted; a single Arus node has no peers.",
    ),
    cfg(
        "listener.security.protocol.map",
        Str,
        Some("SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT"),
        Validator::Any,
        PerBroker,
        "Security protocol of each listener name, as NAME:PROTOCOL,... Arus supports \
         PLAINTEXT listeners only.",
    ),
    cfg(
        "listeners",
        Str,
        Some("PLAINTEXT://127.0.0.1:9092"),
        Validator::Any,
        PerBroker,
        "Addresses to listen on, as NAME://host:port,... An empty host binds all \
         interfaces (like 0.0.0.0); port 0 picks a free port. Arus default: \
         PLAINTEXT://127.0.0.1:9092 (Kafka's is PLAINTEXT://:9092).",
    ),
    cfg(
        "log.cleaner.backoff.ms",
        Long,
        Some("15000"),
        Validator::AtLeast(0),
        ClusterWide,
        "How long the log cleaner sleeps when there is nothing to clean.",
    ),
    cfg(
        "log.cleaner.dedupe.buffer.size",
        Long,
        Some("134217728"),
        Validator::AtLeast(0),
        ClusterWide,
        "Memory for the cleaners' key → offset maps, shared by all cleaner threads; a log \
         with more keys than fit is cleaned in several passes.",
    ),
    cfg(
        "log.cleaner.delete.retention.ms",
        Long,
        Some("86400000"),
        Validator::AtLeast(0),
        ClusterWide,
        "Default of topic config delete.retention.ms.",
    ),
    cfg(
        "log.cleaner.enable",
        Boolean,
        Some("true"),
        Validator::Any,
        ReadOnly,
        "Run the log cleaner, which compacts topics with cleanup.policy=compact.",
    ),
    cfg(
        "log.cleaner.io.buffer.size",
        Int,
        Some("524288"),
        Validator::AtLeast(0),
        ClusterWide,
        "Buffer the cleaner reads and writes segments through.",
    ),
    cfg(
        "log.cleaner.max.compaction.lag.ms",
        Long,
        Some(LONG_MAX),
        Validator::AtLeast(1),
        ClusterWide,
        "Default of topic config max.compaction.lag.ms.",
    ),
    cfg(
        "log.cleaner.min.cleanable.ratio",
        Double,
        Some("0.5"),
        Validator::DoubleBetween(0.0, 1.0),
        ClusterWide,
        "Default of topic config min.cleanable.dirty.ratio.",
    ),
    cfg(
        "log.cleaner.min.compaction.lag.ms",
        Long,
        Some("0"),
        Validator::AtLeast(0),
        ClusterWide,
        "Default of topic config min.compaction.lag.ms.",
    ),
    cfg(
        "log.cleaner.threads",
        Int,
        Some("1"),
        Validator::AtLeast(0),
        ClusterWide,
        "Number of log cleaner threads.",
    ),
    cfg(
        "log.cleanup.policy",
        List,
        Some("delete"),
        Validator::ListOf(super::topic::CLEANUP_POLICIES),
        ClusterWide,
        "Default of topic config cleanup.policy: delete, compact, or both.",
    ),
    cfg(
        "log.dir",
        Str,
        Some("./arus-data"),
        Validator::Any,
        ReadOnly,
        "Data directory, used if log.dirs is not set. Arus default: ./arus-data \
         (Kafka's is /tmp/kafka-logs).",
    ),
    cfg(
        "log.dirs",
        Str,
        None,
        Validator::Any,
        ReadOnly,
        "Comma-separated data directories. If not set, log.dir is used.",
    ),
    cfg(
        "log.flush.interval.messages",
        Long,
        Some(LONG_MAX),
        Validator::AtLeast(1),
        ClusterWide,
        "Default of topic config flush.messages.",
    ),
    cfg(
        "log.flush.interval.ms",
        Long,
        None,
        Validator::Any,
        ClusterWide,
        "Default of topic config flush.ms. If not set, log.flush.scheduler.interval.ms \
         is used.",
    ),
    cfg(
        "log.flush.offset.checkpoint.interval.ms",
        Int,
        Some("60000"),
        Validator::AtLeast(0),
        ReadOnly,
        "How often the recovery point of each log is checkpointed.",
    ),
    cfg(
        "log.flush.scheduler.interval.ms",
        Long,
        Some(LONG_MAX),
        Validator::Any,
        ReadOnly,
        "How often the log flusher checks whether any log needs flushing.",
    ),
    cfg(
        "log.flush.start.offset.checkpoint.interval.ms",
        Int,
        Some("60000"),
        Validator::AtLeast(0),
        ReadOnly,
        "How often the log start offset of each log is checkpointed.",
    ),
    cfg(
        "log.index.interval.bytes",
        Int,
        Some("4096"),
        Validator::AtLeast(0),
        ClusterWide,
        "Default of topic config index.interval.bytes.",
    ),
    cfg(
        "log.index.size.max.bytes",
        Int,
        Some("10485760"),
        Validator::AtLeast(4),
        ClusterWide,
        "Default of topic config segment.index.bytes.",
    ),
    cfg(
        "log.local.retention.bytes",
        Long,
        Some("-2"),
        Validator::AtLeast(-2),
        ClusterWide,
        "Default of topic config local.retention.bytes (tiered storage).",
    ),
    cfg(
        "log.local.retention.ms",
        Long,
        Some("-2"),
        Validator::AtLeast(-2),
        ClusterWide,
        "Default of topic config local.retention.ms (tiered storage).",
    ),
    cfg(
        "log.message.timestamp.after.max.ms",
        Long,
        Some("3600000"),
        Validator::AtLeast(0),
        ClusterWide,
        "Default of topic config message.timestamp.after.max.ms.",
    ),
    cfg(
        "log.message.timestamp.before.max.ms",
        Long,
        Some(LONG_MAX),
        Validator::AtLeast(0),
        ClusterWide,
        "Default of topic config message.timestamp.before.max.ms.",
    ),
    cfg(
        "log.message.timestamp.type",
        Str,
        Some("CreateTime"),
        Validator::OneOf(super::topic::TIMESTAMP_TYPES),
        ClusterWide,
        "Default of topic config message.timestamp.type.",
    ),
    cfg(
        "log.preallocate",
        Boolean,
        Some("false"),
        Validator::Any,
        ClusterWide,
        "Default of topic config preallocate.",
    ),
    cfg(
        "log.retention.bytes",
        Long,
        Some("-1"),
        Validator::Any,
        ClusterWide,
        "Default of topic config retention.bytes; -1 means no size limit.",
    ),
    cfg(
        "log.retention.check.interval.ms",
        Long,
        Some("300000"),
        Validator::AtLeast(1),
        ReadOnly,
        "How often logs are checked for segments to delete.",
    ),
    cfg(
        "log.retention.hours",
        Int,
        Some("168"),
        Validator::Any,
        ReadOnly,
        "Default retention in hours; used if log.retention.ms and log.retention.minutes \
         are not set.",
    ),
    cfg(
        "log.retention.minutes",
        Int,
        None,
        Validator::Any,
        ReadOnly,
        "Default retention in minutes; used if log.retention.ms is not set.",
    ),
    cfg(
        "log.retention.ms",
        Long,
        None,
        Validator::Any,
        ClusterWide,
        "Default of topic config retention.ms; -1 means no time limit. If not set, \
         log.retention.minutes, then log.retention.hours, is used.",
    ),
    cfg(
        "log.roll.hours",
        Int,
        Some("168"),
        Validator::AtLeast(1),
        ReadOnly,
        "Default segment roll time in hours; used if log.roll.ms is not set.",
    ),
    cfg(
        "log.roll.jitter.hours",
        Int,
        Some("0"),
        Validator::AtLeast(0),
        ReadOnly,
        "Default segment roll jitter in hours; used if log.roll.jitter.ms is not set.",
    ),
    cfg(
        "log.roll.jitter.ms",
        Long,
        None,
        Validator::Any,
        ClusterWide,
        "Default of topic config segment.jitter.ms.",
    ),
    cfg(
        "log.roll.ms",
        Long,
        None,
        Validator::Any,
        ClusterWide,
        "Default of topic config segment.ms. If not set, log.roll.hours is used.",
    ),
    cfg(
        "log.segment.bytes",
        Int,
        Some("1073741824"),
        Validator::AtLeast(1_048_576),
        ClusterWide,
        "Default of topic config segment.bytes.",
    ),
    cfg(
        "log.segment.delete.delay.ms",
        Long,
        Some("60000"),
        Validator::AtLeast(0),
        ClusterWide,
        "Default of topic config file.delete.delay.ms.",
    ),
    cfg(
        "max.incremental.fetch.session.cache.slots",
        Int,
        Some("1000"),
        Validator::AtLeast(0),
        ReadOnly,
        "Maximum number of incremental fetch sessions kept.",
    ),
    cfg(
        "message.max.bytes",
        Int,
        Some("1048588"),
        Validator::AtLeast(0),
        ClusterWide,
        "Largest record batch accepted (after compression); default of topic config \
         max.message.bytes.",
    ),
    cfg(
        "min.insync.replicas",
        Int,
        Some("1"),
        Validator::AtLeast(1),
        ClusterWide,
        "Default of topic config min.insync.replicas.",
    ),
    cfg(
        "node.id",
        Int,
        Some("1"),
        Validator::AtLeast(0),
        ReadOnly,
        "Id of this node. Arus default: 1 (Kafka requires it to be set). broker.id is \
         accepted as an alias.",
    ),
    cfg(
        "num.io.threads",
        Int,
        Some("8"),
        Validator::AtLeast(1),
        ClusterWide,
        "Number of threads processing requests.",
    ),
    cfg(
        "num.network.threads",
        Int,
        Some("3"),
        Validator::AtLeast(1),
        ClusterWide,
        "Number of threads handling network I/O.",
    ),
    cfg(
        "num.partitions",
        Int,
        Some("1"),
        Validator::AtLeast(1),
        ReadOnly,
        "Default number of partitions of new topics.",
    ),
    cfg(
        "num.recovery.threads.per.data.dir",
        Int,
        Some("2"),
        Validator::AtLeast(1),
        ClusterWide,
        "Threads per data directory for log recovery at startup and flushing \
         at shutdown.",
    ),
    cfg(
        "offset.metadata.max.bytes",
        Int,
        Some("4096"),
        Validator::Any,
        ReadOnly,
        "Maximum size of the metadata string of an offset commit.",
    ),
    cfg(
        "offsets.retention.check.interval.ms",
        Long,
        Some("600000"),
        Validator::AtLeast(1),
        ReadOnly,
        "How often expired committed offsets are looked for.",
    ),
    cfg(
        "offsets.retention.minutes",
        Int,
        Some("10080"),
        Validator::AtLeast(1),
        ReadOnly,
        "How long committed offsets of an empty group are kept.",
    ),
    cfg(
        "offsets.topic.num.partitions",
        Int,
        Some("50"),
        Validator::AtLeast(1),
        ReadOnly,
        "Number of partitions of the __consumer_offsets topic.",
    ),
    cfg(
        "offsets.topic.replication.factor",
        Short,
        Some("1"),
        Validator::AtLeast(1),
        ReadOnly,
        "Replication factor of the __consumer_offsets topic. Arus default: 1 (Kafka's is \
         3).",
    ),
    cfg(
        "offsets.topic.segment.bytes",
        Int,
        Some("104857600"),
        Validator::AtLeast(1),
        ReadOnly,
        "Segment size of the __consumer_offsets topic.",
    ),
    cfg(
        "process.roles",
        List,
        Some(""),
        Validator::ListOf(PROCESS_ROLES),
        ReadOnly,
        "KRaft roles of this process (broker, controller). Accepted; an Arus node is \
         always both.",
    ),
    cfg(
        "producer.id.expiration.check.interval.ms",
        Int,
        Some("600000"),
        Validator::AtLeast(1),
        ReadOnly,
        "How often partitions look for producer ids idle past producer.id.expiration.ms.",
    ),
    cfg(
        "producer.id.expiration.ms",
        Int,
        Some("86400000"),
        Validator::AtLeast(1),
        ClusterWide,
        "How long a partition leader keeps the state of an idle producer id.",
    ),
    cfg(
        "queued.max.requests",
        Int,
        Some("500"),
        Validator::AtLeast(1),
        ReadOnly,
        "Number of queued requests allowed before network threads stop reading.",
    ),
    cfg(
        "socket.receive.buffer.bytes",
        Int,
        Some("102400"),
        Validator::Any,
        ReadOnly,
        "SO_RCVBUF of server sockets; -1 for the OS default.",
    ),
    cfg(
        "socket.request.max.bytes",
        Int,
        Some("104857600"),
        Validator::AtLeast(1),
        ReadOnly,
        "Largest request accepted.",
    ),
    cfg(
        "socket.send.buffer.bytes",
        Int,
        Some("102400"),
        Validator::Any,
        ReadOnly,
        "SO_SNDBUF of server sockets; -1 for the OS default.",
    ),
    cfg(
        "transaction.max.timeout.ms",
        Int,
        Some("900000"),
        Validator::AtLeast(1),
        ReadOnly,
        "Largest transaction timeout a producer may ask for.",
    ),
    cfg(
        "transaction.state.log.min.isr",
        Int,
        Some("1"),
        Validator::AtLeast(1),
        ReadOnly,
        "min.insync.replicas of the __transaction_state topic. Arus default: 1 (Kafka's \
         is 2).",
    ),
    cfg(
        "transaction.state.log.num.partitions",
        Int,
        Some("50"),
        Validator::AtLeast(1),
        ReadOnly,
        "Number of partitions of the __transaction_state topic.",
    ),
    cfg(
        "transaction.state.log.replication.factor",
        Short,
        Some("1"),
        Validator::AtLeast(1),
        ReadOnly,
        "Replication factor of the __transaction_state topic. Arus default: 1 \
         (Kafka's is 3).",
    ),
    cfg(
        "transaction.state.log.segment.bytes",
        Int,
        Some("104857600"),
        Validator::AtLeast(1),
        ReadOnly,
        "Segment size of the __transaction_state topic.",
    ),
    cfg(
        "transactional.id.expiration.ms",
        Int,
        Some("604800000"),
        Validator::AtLeast(1),
        ReadOnly,
        "How long the transaction coordinator keeps an idle transactional id.",
    ),
    cfg(
        "unclean.leader.election.enable",
        Boolean,
        Some("false"),
        Validator::Any,
        ClusterWide,
        "Default of topic config unclean.leader.election.enable.",
    ),
];

/// Broker configs Kafka 4.0 documents that Arus does not act on.
static KAFKA_ONLY_CONFIGS: &[&str] = &[
    "add.partitions.to.txn.retry.backoff.max.ms",
    "add.partitions.to.txn.retry.backoff.ms",
    "alter.config.policy.class.name",
    "alter.log.dirs.replication.quota.window.num",
    "alter.log.dirs.replication.quota.window.size.seconds",
    "authorizer.class.name",
    "auto.leader.rebalance.enable",
    "background.threads",
    "broker.heartbeat.interval.ms",
    "broker.session.timeout.ms",
    "client.quota.callback.class",
    "connection.failed.authentication.delay.ms",
    "connections.max.reauth.ms",
    "controlled.shutdown.enable",
    "controller.quorum.append.linger.ms",
    "controller.quorum.election.backoff.max.ms",
    "controller.quorum.election.timeout.ms",
    "controller.quorum.fetch.timeout.ms",
    "controller.quorum.request.timeout.ms",
    "controller.quorum.retry.backoff.ms",
    "controller.quota.window.num",
    "controller.quota.window.size.seconds",
    "controller.socket.timeout.ms",
    "create.topic.policy.class.name",
    "delegation.token.expiry.check.interval.ms",
    "delegation.token.expiry.time.ms",
    "delegation.token.max.lifetime.ms",
    "delegation.token.secret.key",
    "delete.records.purgatory.purge.interval.requests",
    "early.start.listeners",
    "fetch.purgatory.purge.interval.requests",
    "group.consumer.assignors",
    "group.consumer.max.heartbeat.interval.ms",
    "group.consumer.max.session.timeout.ms",
    "group.consumer.migration.policy",
    "group.consumer.min.heartbeat.interval.ms",
    "group.consumer.min.session.timeout.ms",
    "group.coordinator.append.linger.ms",
    "group.coordinator.rebalance.protocols",
    "group.coordinator.threads",
    "group.share.delivery.count.limit",
    "group.share.heartbeat.interval.ms",
    "group.share.max.groups",
    "group.share.max.heartbeat.interval.ms",
    "group.share.max.record.lock.duration.ms",
    "group.share.max.session.timeout.ms",
    "group.share.max.size",
    "group.share.min.heartbeat.interval.ms",
    "group.share.min.record.lock.duration.ms",
    "group.share.min.session.timeout.ms",
    "group.share.partition.max.record.locks",
    "group.share.record.lock.duration.ms",
    "group.share.session.timeout.ms",
    "initial.broker.registration.timeout.ms",
    "kafka.metrics.polling.interval.secs",
    "kafka.metrics.reporters",
    "leader.imbalance.check.interval.seconds",
    "log.cleaner.io.buffer.load.factor",
    "log.cleaner.io.max.bytes.per.second",
    "log.dir.failure.timeout.ms",
    "max.connection.creation.rate",
    "max.connections",
    "max.connections.per.ip",
    "max.connections.per.ip.overrides",
    "max.request.partition.size.limit",
    "metadata.log.dir",
    "metadata.log.max.record.bytes.between.snapshots",
    "metadata.log.max.snapshot.interval.ms",
    "metadata.log.segment.bytes",
    "metadata.log.segment.ms",
    "metadata.max.idle.interval.ms",
    "metadata.max.retention.bytes",
    "metadata.max.retention.ms",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.recording.level",
    "metrics.sample.window.ms",
    "num.replica.alter.log.dirs.threads",
    "num.replica.fetchers",
    "offsets.commit.timeout.ms",
    "offsets.load.buffer.size",
    "offsets.topic.compression.codec",
    "principal.builder.class",
    "producer.purgatory.purge.interval.requests",
    "queued.max.request.bytes",
    "quota.window.num",
    "quota.window.size.seconds",
    "remote.fetch.max.wait.ms",
    "remote.list.offsets.request.timeout.ms",
    "remote.log.index.file.cache.total.size.bytes",
    "remote.log.manager.copier.thread.pool.size",
    "remote.log.manager.copy.max.bytes.per.second",
    "remote.log.manager.copy.quota.window.num",
    "remote.log.manager.copy.quota.window.size.seconds",
    "remote.log.manager.expiration.thread.pool.size",
    "remote.log.manager.fetch.max.bytes.per.second",
    "remote.log.manager.fetch.quota.window.num",
    "remote.log.manager.fetch.quota.window.size.seconds",
    "remote.log.manager.task.interval.ms",
    "remote.log.manager.thread.pool.size",
    "remote.log.metadata.custom.metadata.max.bytes",
    "remote.log.metadata.manager.class.name",
    "remote.log.metadata.manager.class.path",
    "remote.log.metadata.manager.impl.prefix",
    "remote.log.metadata.manager.listener.name",
    "remote.log.reader.max.pending.tasks",
    "remote.log.reader.threads",
    "remote.log.storage.manager.class.name",
    "remote.log.storage.manager.class.path",
    "remote.log.storage.manager.impl.prefix",
    "remote.log.storage.system.enable",
    "replica.fetch.backoff.ms",
    "replica.fetch.max.bytes",
    "replica.fetch.min.bytes",
    "replica.fetch.response.max.bytes",
    "replica.fetch.wait.max.ms",
    "replica.high.watermark.checkpoint.interval.ms",
    "replica.lag.time.max.ms",
    "replica.selector.class",
    "replica.socket.receive.buffer.bytes",
    "replica.socket.timeout.ms",
    "replication.quota.window.num",
    "replication.quota.window.size.seconds",
    "request.timeout.ms",
    "sasl.client.callback.handler.class",
    "sasl.enabled.mechanisms",
    "sasl.jaas.config",
    "sasl.kerberos.kinit.cmd",
    "sasl.kerberos.min.time.before.relogin",
    "sasl.kerberos.principal.to.local.rules",
    "sasl.kerberos.service.name",
    "sasl.kerberos.ticket.renew.jitter",
    "sasl.kerberos.ticket.renew.window.factor",
    "sasl.login.callback.handler.class",
    "sasl.login.class",
    "sasl.login.connect.timeout.ms",
    "sasl.login.read.timeout.ms",
    "sasl.login.refresh.buffer.seconds",
    "sasl.login.refresh.min.period.seconds",
    "sasl.login.refresh.window.factor",
    "sasl.login.refresh.window.jitter",
    "sasl.login.retry.backoff.max.ms",
    "sasl.login.retry.backoff.ms",
    "sasl.mechanism.controller.protocol",
    "sasl.mechanism.inter.broker.protocol",
    "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience",
    "sasl.oauthbearer.expected.issuer",
    "sasl.oauthbearer.jwks.endpoint.refresh.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
    "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.scope.claim.name",
    "sasl.oauthbearer.sub.claim.name",
    "sasl.oauthbearer.token.endpoint.url",
    "sasl.server.callback.handler.class",
    "sasl.server.max.receive.size",
    "security.inter.broker.protocol",
    "security.providers",
    "share.coordinator.append.linger.ms",
    "share.coordinator.load.buffer.size",
    "share.coordinator.snapshot.update.records.per.snapshot",
    "share.coordinator.state.topic.compression.codec",
    "share.coordinator.state.topic.min.isr",
    "share.coordinator.state.topic.num.partitions",
    "share.coordinator.state.topic.replication.factor",
    "share.coordinator.state.topic.segment.bytes",
    "share.coordinator.threads",
    "share.coordinator.write.timeout.ms",
    "share.fetch.purgatory.purge.interval.requests",
    "socket.connection.setup.timeout.max.ms",
    "socket.connection.setup.timeout.ms",
    "socket.listen.backlog.size",
    "ssl.allow.dn.changes",
    "ssl.allow.san.changes",
    "ssl.cipher.suites",
    "ssl.client.auth",
    "ssl.enabled.protocols",
    "ssl.endpoint.identification.algorithm",
    "ssl.engine.factory.class",
    "ssl.key.password",
    "ssl.keymanager.algorithm",
    "ssl.keystore.certificate.chain",
    "ssl.keystore.key",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.keystore.type",
    "ssl.principal.mapping.rules",
    "ssl.protocol",
    "ssl.provider",
    "ssl.secure.random.implementation",
    "ssl.trustmanager.algorithm",
    "ssl.truststore.certificates",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.type",
    "telemetry.max.bytes",
    "transaction.abort.timed.out.transaction.cleanup.interval.ms",
    "transaction.partition.verification.enable",
    "transaction.remove.expired.transaction.cleanup.interval.ms",
    "transaction.state.log.load.buffer.size",
];

/// Broker configs of Kafka 3.x and earlier, removed since, still found in tutorials'
/// `server.properties` files.
static LEGACY_KAFKA_CONFIGS: &[&str] = &[
    "advertised.host.name",
    "advertised.port",
    "broker.id.generation.enable",
    "control.plane.listener.name",
    "delegation.token.master.key",
    "host.name",
    "inter.broker.protocol.version",
    "log.message.downconversion.enable",
    "log.message.format.version",
    "log.message.timestamp.difference.max.ms",
    "offsets.commit.required.acks",
    "port",
    "quota.consumer.default",
    "quota.producer.default",
    "reserved.broker.max.id",
];

/// Prefixes of Kafka config families: per-listener overrides and ZooKeeper settings.
static KAFKA_CONFIG_PREFIXES: &[&str] = &["listener.name.", "zookeeper."];

/// Groups of broker configs that are synonyms of each other (same setting, different
/// units), most specific first, as Kafka reports them in DescribeConfigs.
static BROKER_SYNONYM_GROUPS: &[&[&str]] = &[
    &[
        "log.retention.ms",
        "log.retention.minutes",
        "log.retention.hours",
    ],
    &["log.roll.ms", "log.roll.hours"],
    &["log.roll.jitter.ms", "log.roll.jitter.hours"],
];

/// The definition of a broker config Arus models, or `None`.
pub fn broker_config_key(name: &str) -> Option<&'static BrokerConfigKey> {
    BROKER_CONFIGS.iter().find(|k| k.key.name == name)
}

/// Parses `console.listener`: `IP:port`, `[IPv6]:port` or `localhost:port`.
fn parse_console_listener(raw: &str) -> Result<std::net::SocketAddr, String> {
    let raw = raw.trim();
    if let Some(port) = raw.strip_prefix("localhost:") {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("port {port:?} is not a number from 0 to 65535"))?;
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    raw.parse().map_err(|_| {
        "must be host:port with an IP address or localhost as host, e.g. 127.0.0.1:9991".to_string()
    })
}

/// All broker config definitions Arus models, sorted by name.
pub fn broker_config_keys() -> &'static [BrokerConfigKey] {
    BROKER_CONFIGS
}

/// Whether Kafka knows `name` as a broker config (in 4.0, or in 3.x and since removed),
/// whether or not Arus acts on it.
pub fn is_kafka_broker_config(name: &str) -> bool {
    broker_config_key(name).is_some()
        || KAFKA_ONLY_CONFIGS.contains(&name)
        || LEGACY_KAFKA_CONFIGS.contains(&name)
        || KAFKA_CONFIG_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The broker configs Kafka lists as synonyms of `name` in DescribeConfigs.
fn broker_synonyms(name: &str) -> Vec<&'static str> {
    if name == "log.flush.interval.ms" {
        return vec!["log.flush.interval.ms", "log.flush.scheduler.interval.ms"];
    }
    for group in BROKER_SYNONYM_GROUPS {
        if group.contains(&name) {
            return group.to_vec();
        }
    }
    broker_config_key(name)
        .map(|k| vec![k.key.name])
        .unwrap_or_default()
}

/// Parsed defaults of every modeled broker config (null defaults are absent).
fn defaults() -> &'static BTreeMap<&'static str, ConfigValue> {
    static DEFAULTS: OnceLock<BTreeMap<&'static str, ConfigValue>> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        BROKER_CONFIGS
            .iter()
            .filter_map(|k| k.key.default_value().map(|v| (k.key.name, v)))
            .collect()
    })
}

/// A Kafka security protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityProtocol {
    /// Unauthenticated, unencrypted.
    Plaintext,
    /// TLS.
    Ssl,
    /// SASL authentication without TLS.
    SaslPlaintext,
    /// SASL authentication over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Kafka's name (`PLAINTEXT`, `SSL`, `SASL_PLAINTEXT`, `SASL_SSL`).
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Parse a protocol name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Some(SecurityProtocol::Plaintext),
            "SSL" => Some(SecurityProtocol::Ssl),
            "SASL_PLAINTEXT" => Some(SecurityProtocol::SaslPlaintext),
            "SASL_SSL" => Some(SecurityProtocol::SaslSsl),
            _ => None,
        }
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One listener endpoint from `listeners` or `advertised.listeners`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// Listener name, upper-cased as Kafka normalises it (e.g. `PLAINTEXT`).
    pub name: String,
    /// Host as written, without IPv6 brackets. Empty means all interfaces.
    pub host: String,
    /// Port; 0 asks for an ephemeral port (the server must advertise the bound one).
    pub port: u16,
    /// Security protocol from `listener.security.protocol.map`.
    pub security_protocol: SecurityProtocol,
    /// Whether it is named in `controller.listener.names` (not served by Arus).
    pub is_controller: bool,
}

impl Listener {
    /// Whether the host means "all interfaces" (empty, `0.0.0.0` or `::`); such an address
    /// cannot be advertised as is.
    pub fn is_wildcard_host(&self) -> bool {
        self.host.is_empty() || self.host == "0.0.0.0" || self.host == "::"
    }

    /// The host to bind: `0.0.0.0` for an empty host, otherwise the host.
    pub fn bind_host(&self) -> &str {
        if self.host.is_empty() {
            "0.0.0.0"
        } else {
            &self.host
        }
    }

    /// `host:port` for binding, with brackets around IPv6 addresses.
    pub fn bind_address(&self) -> String {
        let host = self.bind_host();
        if host.contains(':') {
            format!("[{host}]:{}", self.port)
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}://[{}]:{}", self.name, self.host, self.port)
        } else {
            write!(f, "{}://{}:{}", self.name, self.host, self.port)
        }
    }
}

/// The broker configuration: validated `server.properties` plus overrides, with Arus's
/// defaults and an in-memory layer of dynamic cluster-wide defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerConfig {
    statics: BTreeMap<String, ConfigValue>,
    dynamic_defaults: BTreeMap<String, ConfigValue>,
    other_supplied: BTreeMap<String, String>,
    ignored: Vec<String>,
    unknown: Vec<String>,
    node_id: i32,
    listeners: Vec<Listener>,
    advertised_listeners: Vec<Listener>,
    protocol_map: BTreeMap<String, SecurityProtocol>,
    controller_listener_names: Vec<String>,
    log_dirs: Vec<PathBuf>,
    console_listener: Option<std::net::SocketAddr>,
}

impl Default for BrokerConfig {
    /// The configuration of `arus server` with no file and no overrides.
    fn default() -> Self {
        let protocol_map = [
            SecurityProtocol::SaslSsl,
            SecurityProtocol::Plaintext,
            SecurityProtocol::Ssl,
            SecurityProtocol::SaslPlaintext,
        ]
        .into_iter()
        .map(|p| (p.name().to_string(), p))
        .collect();
        let listener = Listener {
            name: "PLAINTEXT".to_string(),
            host: "127.0.0.1".to_string(),
            port: 9092,
            security_protocol: SecurityProtocol::Plaintext,
            is_controller: false,
        };
        BrokerConfig {
            statics: BTreeMap::new(),
            dynamic_defaults: BTreeMap::new(),
            other_supplied: BTreeMap::new(),
            ignored: Vec::new(),
            unknown: Vec::new(),
            node_id: 1,
            listeners: vec![listener.clone()],
            advertised_listeners: vec![listener],
            protocol_map,
            controller_listener_names: Vec::new(),
            log_dirs: vec![PathBuf::from("./arus-data")],
            console_listener: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 9991))),
        }
    }
}

impl BrokerConfig {
    /// Build from `(key, value)` pairs, e.g. those of [`parse_properties`] followed by
    /// those of [`parse_override`] (a later pair for the same key wins).
    ///
    /// Fails on a bad value for a config Arus models, on inconsistent listeners, or on a
    /// listener using a security protocol other than PLAINTEXT. Keys Arus does not model
    /// are accepted and reported by [`BrokerConfig::ignored_keys`] and
    /// [`BrokerConfig::unknown_keys`].
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, ConfigError> {
        let mut config = BrokerConfig::default();
        let mut raw: BTreeMap<String, String> = BTreeMap::new();
        for (key, value) in pairs {
            raw.insert(key, value);
        }
        for (key, value) in raw {
            if let Some(def) = broker_config_key(&key) {
                let parsed = def.key.parse(&value)?;
                config.statics.insert(key, parsed);
            } else {
                if is_kafka_broker_config(&key) {
                    config.ignored.push(key.clone());
                } else {
                    config.unknown.push(key.clone());
                }
                config.other_supplied.insert(key, value);
            }
        }
        config.resolve_node_id()?;
        config.resolve_listeners()?;
        config.resolve_log_dirs()?;
        config.resolve_console()?;
        Ok(config)
    }

    /// Build from the text of a `server.properties` file and `--override key=value`
    /// arguments (which win over the file).
    pub fn from_properties(text: &str, overrides: &[String]) -> Result<Self, ConfigError> {
        let mut pairs = parse_properties(text)?;
        for arg in overrides {
            pairs.push(parse_override(arg)?);
        }
        Self::from_pairs(pairs)
    }

    /// Read `path` (if given) and apply `--override` arguments. With no path, the
    /// configuration is Arus's defaults plus the overrides.
    pub fn load(path: Option<&Path>, overrides: &[String]) -> Result<Self, ConfigError> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).map_err(|e| ConfigError::Io {
                path: p.to_path_buf(),
                message: e.to_string(),
            })?,
            None => String::new(),
        };
        Self::from_properties(&text, overrides)
    }

    fn resolve_node_id(&mut self) -> Result<(), ConfigError> {
        let node = self.statics.get("node.id").and_then(ConfigValue::as_i32);
        let broker = self
            .statics
            .get("broker.id")
            .and_then(ConfigValue::as_i32)
            .filter(|id| *id >= 0);
        let id = match (node, broker) {
            (Some(n), Some(b)) if n != b => {
                return Err(ConfigError::Invalid {
                    message: format!(
                        "node.id ({n}) and broker.id ({b}) are both set and differ; they \
                         must be equal"
                    ),
                })
            }
            (Some(n), _) => n,
            (None, Some(b)) => b,
            (None, None) => 1,
        };
        // Like Kafka, a value given under one name is visible under both.
        if node.is_some() || broker.is_some() {
            self.statics
                .insert("node.id".to_string(), ConfigValue::Int(id));
            self.statics
                .insert("broker.id".to_string(), ConfigValue::Int(id));
        } else {
            self.statics.remove("broker.id");
        }
        self.node_id = id;
        Ok(())
    }

    fn resolve_listeners(&mut self) -> Result<(), ConfigError> {
        let map_raw = self.string("listener.security.protocol.map");
        self.protocol_map = parse_protocol_map(&map_raw)?;
        self.controller_listener_names = self
            .value("controller.listener.names")
            .and_then(ConfigValue::as_str)
            .map(split_list)
            .unwrap_or_default()
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.to_ascii_uppercase())
            .collect();

        let listeners_raw = self.string("listeners");
        let endpoints = parse_endpoints("listeners", &listeners_raw)?;
        check_unique_names("listeners", &listeners_raw, &endpoints)?;
        check_unique_ports(&listeners_raw, &endpoints)?;
        let mut listeners = Vec::with_capacity(endpoints.len());
        for (name, host, port) in endpoints {
            let is_controller = self.controller_listener_names.contains(&name);
            let protocol = self.protocol_for(&name, is_controller)?;
            if !is_controller && protocol != SecurityProtocol::Plaintext {
                return Err(ConfigError::Unsupported {
                    message: format!(
                        "listener {name} uses {protocol}, which Arus does not support yet"
                    ),
                });
            }
            listeners.push(Listener {
                name,
                host,
                port,
                security_protocol: protocol,
                is_controller,
            });
        }
        if !listeners.iter().any(|l| !l.is_controller) {
            return Err(ConfigError::Invalid {
                message: format!(
                    "listeners ({listeners_raw}) must contain at least one listener that is \
                     not a controller listener"
                ),
            });
        }

        let advertised = match self
            .statics
            .get("advertised.listeners")
            .and_then(ConfigValue::as_str)
        {
            Some(raw) => {
                let endpoints = parse_endpoints("advertised.listeners", raw)?;
                check_unique_names("advertised.listeners", raw, &endpoints)?;
                let mut advertised = Vec::new();
                for (name, host, port) in endpoints {
                    let Some(listener) = listeners.iter().find(|l| l.name == name) else {
                        return Err(ConfigError::Invalid {
                            message: format!(
                                "advertised.listeners listener names must be equal to or a \
                                 subset of the ones defined in listeners; {name} is not in \
                                 listeners ({listeners_raw})"
                            ),
                        });
                    };
                    if host == "0.0.0.0" {
                        return Err(ConfigError::Invalid {
                            message: "advertised.listeners cannot use the nonroutable \
                                      meta-address 0.0.0.0. Use a routable IP address."
                                .to_string(),
                        });
                    }
                    if listener.is_controller {
                        continue;
                    }
                    advertised.push(Listener {
                        name,
                        host,
                        port,
                        security_protocol: listener.security_protocol,
                        is_controller: false,
                    });
                }
                if advertised.is_empty() {
                    return Err(ConfigError::Invalid {
                        message: format!(
                            "advertised.listeners ({raw}) must contain at least one listener \
                             that is not a controller listener"
                        ),
                    });
                }
                advertised
            }
            None => listeners
                .iter()
                .filter(|l| !l.is_controller)
                .cloned()
                .collect(),
        };
        self.listeners = listeners;
        self.advertised_listeners = advertised;
        Ok(())
    }

    fn protocol_for(
        &self,
        name: &str,
        is_controller: bool,
    ) -> Result<SecurityProtocol, ConfigError> {
        match self.protocol_map.get(name) {
            Some(p) => Ok(*p),
            // KRaft assumes PLAINTEXT for controller listeners missing from the map.
            None if is_controller => Ok(SecurityProtocol::Plaintext),
            None => Err(ConfigError::Invalid {
                message: format!(
                    "No security protocol defined for listener {name}; add it to \
                     listener.security.protocol.map"
                ),
            }),
        }
    }

    fn resolve_log_dirs(&mut self) -> Result<(), ConfigError> {
        let (name, raw) = match self.statics.get("log.dirs").and_then(ConfigValue::as_str) {
            Some(raw) => ("log.dirs", raw.to_string()),
            None => ("log.dir", self.string("log.dir")),
        };
        let items = split_list(&raw);
        if items.is_empty() || items.iter().any(String::is_empty) {
            return Err(ConfigError::invalid_value(
                name,
                raw.as_str(),
                "must be a non-empty comma-separated list of directories",
            ));
        }
        let mut seen = BTreeSet::new();
        for item in &items {
            if !seen.insert(item.as_str()) {
                return Err(ConfigError::invalid_value(
                    name,
                    raw.as_str(),
                    format!("directory {item} is listed more than once"),
                ));
            }
        }
        self.log_dirs = items.into_iter().map(PathBuf::from).collect();
        Ok(())
    }

    fn resolve_console(&mut self) -> Result<(), ConfigError> {
        let raw = self.string("console.listener");
        let addr = parse_console_listener(&raw).map_err(|reason| {
            ConfigError::invalid_value("console.listener", raw.as_str(), reason)
        })?;
        self.console_listener = self.boolean("console.enabled").then_some(addr);
        Ok(())
    }

    // ----- layered lookup -------------------------------------------------------------

    /// The effective parsed value of a modeled config and its source.
    fn effective(&self, name: &str) -> Option<(&ConfigValue, ConfigSource)> {
        if let Some(v) = self.dynamic_defaults.get(name) {
            return Some((v, ConfigSource::DynamicDefaultBrokerConfig));
        }
        if let Some(v) = self.statics.get(name) {
            return Some((v, ConfigSource::StaticBrokerConfig));
        }
        defaults()
            .get(name)
            .map(|v| (v, ConfigSource::DefaultConfig))
    }

    fn value(&self, name: &str) -> Option<&ConfigValue> {
        self.effective(name).map(|(v, _)| v)
    }

    /// Value set explicitly (dynamic default or static), ignoring built-in defaults.
    fn explicit(&self, name: &str) -> Option<(&ConfigValue, ConfigSource)> {
        match self.effective(name) {
            Some((_, ConfigSource::DefaultConfig)) | None => None,
            found => found,
        }
    }

    fn int(&self, name: &str) -> i32 {
        self.value(name).and_then(ConfigValue::as_i32).unwrap_or(0)
    }

    fn short(&self, name: &str) -> i16 {
        self.value(name).and_then(ConfigValue::as_i16).unwrap_or(1)
    }

    fn long(&self, name: &str) -> i64 {
        self.value(name).and_then(ConfigValue::as_i64).unwrap_or(0)
    }

    fn double(&self, name: &str) -> f64 {
        self.value(name)
            .and_then(ConfigValue::as_f64)
            .unwrap_or(0.0)
    }

    fn boolean(&self, name: &str) -> bool {
        self.value(name)
            .and_then(ConfigValue::as_bool)
            .unwrap_or(false)
    }

    fn string(&self, name: &str) -> String {
        self.value(name)
            .and_then(ConfigValue::as_str)
            .unwrap_or("")
            .to_string()
    }

    fn optional_string(&self, name: &str) -> Option<String> {
        self.value(name)
            .and_then(ConfigValue::as_str)
            .map(str::to_string)
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.value(name)
            .and_then(ConfigValue::as_list)
            .map(<[String]>::to_vec)
            .unwrap_or_default()
    }

    /// The effective value of any modeled broker config in Kafka's string form, or
    /// `None` if it is null or not a modeled config.
    pub fn get(&self, name: &str) -> Option<String> {
        self.value(name).map(ConfigValue::to_kafka_string)
    }

    // ----- topic defaults ---------------------------------------------------------------

    /// The broker-level default of a topic config: its value (in the topic config's
    /// unit, e.g. milliseconds for `retention.ms`), where it comes from, and the broker
    /// synonyms Kafka would report for it (dynamic defaults, then static configs, then
    /// built-in defaults, each in synonym order). `None` if `topic_config` is not a topic
    /// config.
    pub fn topic_default(
        &self,
        topic_config: &str,
    ) -> Option<(String, ConfigSource, Vec<ConfigSynonym>)> {
        let key = topic_config_key(topic_config)?;
        let (value, source, synonyms) = self.topic_default_value(key);
        Some((value.to_kafka_string(), source, synonyms))
    }

    pub(crate) fn topic_default_value(
        &self,
        key: &TopicConfigKey,
    ) -> (ConfigValue, ConfigSource, Vec<ConfigSynonym>) {
        let mut synonyms = Vec::new();
        for layer in [
            ConfigSource::DynamicDefaultBrokerConfig,
            ConfigSource::StaticBrokerConfig,
        ] {
            for syn in key.synonyms {
                let map = match layer {
                    ConfigSource::DynamicDefaultBrokerConfig => &self.dynamic_defaults,
                    _ => &self.statics,
                };
                if let Some(v) = map.get(syn.name) {
                    synonyms.push(synonym(syn.name, v, layer));
                }
            }
        }
        for syn in key.synonyms {
            if let Some(v) = defaults().get(syn.name) {
                synonyms.push(synonym(syn.name, v, ConfigSource::DefaultConfig));
            }
        }

        // The first synonym that is set (in the merged dynamic-over-static view) wins;
        // otherwise the first one with a built-in default; otherwise the topic default.
        let chosen = key
            .synonyms
            .iter()
            .find_map(|s| self.explicit(s.name).map(|(v, src)| (s, v, src)))
            .or_else(|| {
                key.synonyms.iter().find_map(|s| {
                    defaults()
                        .get(s.name)
                        .map(|v| (s, v, ConfigSource::DefaultConfig))
                })
            });
        let topic_default = || key.key.default_value();
        let (value, source) = match chosen {
            Some((syn, v, src)) => match convert_to_topic(key, syn.unit, v) {
                Some(converted) => (converted, src),
                None => match topic_default() {
                    Some(d) => (d, ConfigSource::DefaultConfig),
                    None => (v.clone(), src),
                },
            },
            None => match topic_default() {
                Some(d) => (d, ConfigSource::DefaultConfig),
                None => (
                    ConfigValue::String(String::new()),
                    ConfigSource::DefaultConfig,
                ),
            },
        };
        (value, source, synonyms)
    }

    // ----- dynamic defaults ---------------------------------------------------------------

    /// Set a dynamic cluster-wide default (`kafka-configs --entity-type brokers
    /// --entity-default`, or IncrementalAlterConfigs on broker resource `""`). Only
    /// configs whose Kafka update mode is cluster-wide can be set; the value is validated.
    /// Held in memory only.
    pub fn set_dynamic_default(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        let def = broker_config_key(name)
            .filter(|d| d.update_mode == UpdateMode::ClusterWide)
            .ok_or_else(|| ConfigError::NotDynamic {
                name: name.to_string(),
            })?;
        let parsed = def.key.parse(value)?;
        self.dynamic_defaults.insert(name.to_string(), parsed);
        Ok(())
    }

    /// Remove a dynamic cluster-wide default; returns whether one was set.
    pub fn remove_dynamic_default(&mut self, name: &str) -> bool {
        self.dynamic_defaults.remove(name).is_some()
    }

    /// The dynamic cluster-wide defaults currently set, in Kafka's string form.
    pub fn dynamic_defaults(&self) -> BTreeMap<String, String> {
        self.dynamic_defaults
            .iter()
            .map(|(k, v)| (k.clone(), v.to_kafka_string()))
            .collect()
    }

    // ----- warnings -------------------------------------------------------------------

    /// Supplied keys that Kafka knows but Arus ignores (e.g. `zookeeper.connect`,
    /// `ssl.keystore.location`), sorted.
    pub fn ignored_keys(&self) -> &[String] {
        &self.ignored
    }

    /// Supplied keys that are not Kafka broker configs, sorted.
    pub fn unknown_keys(&self) -> &[String] {
        &self.unknown
    }

    /// Whether ZooKeeper settings were supplied (Arus has no ZooKeeper; they are
    /// ignored).
    pub fn zookeeper_configured(&self) -> bool {
        self.ignored.iter().any(|k| k.starts_with("zookeeper."))
    }

    /// One human-readable warning per ignored or unknown key, for the server to log.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for key in &self.ignored {
            if key.starts_with("zookeeper.") {
                out.push(format!(
                    "The configuration '{key}' was supplied but Arus does not use ZooKeeper; \
                     ignoring it"
                ));
            } else {
                out.push(format!(
                    "The configuration '{key}' is a Kafka setting that Arus does not \
                     implement; ignoring it"
                ));
            }
        }
        for key in &self.unknown {
            out.push(format!(
                "The configuration '{key}' was supplied but isn't a known config."
            ));
        }
        out
    }

    // ----- DescribeConfigs ---------------------------------------------------------------

    /// DescribeConfigs entries for this broker: every broker config Arus models (sorted
    /// by name) with its effective value, source (`STATIC_BROKER_CONFIG` if supplied,
    /// `DEFAULT_CONFIG` otherwise, `DYNAMIC_DEFAULT_BROKER_CONFIG` for dynamic defaults)
    /// and synonyms, followed by the supplied keys Arus does not model, which Kafka
    /// reports with an unknown type and, to be safe, as sensitive (value hidden).
    pub fn describe(&self) -> Vec<ConfigEntry> {
        let mut entries = Vec::with_capacity(BROKER_CONFIGS.len() + self.other_supplied.len());
        for def in BROKER_CONFIGS {
            let name = def.key.name;
            let sensitive = def.key.config_type.is_sensitive();
            let group = broker_synonyms(name);
            let mut all = Vec::new();
            for layer in [
                ConfigSource::DynamicDefaultBrokerConfig,
                ConfigSource::StaticBrokerConfig,
                ConfigSource::DefaultConfig,
            ] {
                for syn in &group {
                    let v = match layer {
                        ConfigSource::DynamicDefaultBrokerConfig => self.dynamic_defaults.get(*syn),
                        ConfigSource::StaticBrokerConfig => self.statics.get(*syn),
                        _ => defaults().get(*syn),
                    };
                    if let Some(v) = v {
                        let mut s = synonym(syn, v, layer);
                        if sensitive {
                            s.value = None;
                        }
                        all.push(s);
                    }
                }
            }
            // As Kafka does, list this config's own entries first and drop more specific
            // synonyms that precede it.
            let synonyms: Vec<ConfigSynonym> =
                all.into_iter().skip_while(|s| s.name != name).collect();
            let source = synonyms
                .first()
                .map(|s| s.source)
                .unwrap_or(ConfigSource::DefaultConfig);
            let value = if sensitive { None } else { self.get(name) };
            entries.push(ConfigEntry {
                name: name.to_string(),
                value,
                source,
                read_only: def.update_mode == UpdateMode::ReadOnly,
                sensitive,
                synonyms,
                config_type: def.key.config_type,
                documentation: Some(def.key.doc.to_string()),
            });
        }
        for name in self.other_supplied.keys() {
            entries.push(ConfigEntry {
                name: name.clone(),
                value: None,
                source: ConfigSource::StaticBrokerConfig,
                read_only: true,
                sensitive: true,
                synonyms: vec![ConfigSynonym {
                    name: name.clone(),
                    value: None,
                    source: ConfigSource::StaticBrokerConfig,
                }],
                config_type: ConfigType::Unknown,
                documentation: None,
            });
        }
        entries
    }

    // ----- typed accessors ---------------------------------------------------------------

    /// `node.id` (alias `broker.id`); Arus default 1.
    pub fn node_id(&self) -> i32 {
        self.node_id
    }

    /// All listeners of `listeners`, including controller listeners (which Arus does
    /// not serve).
    pub fn listeners(&self) -> &[Listener] {
        &self.listeners
    }

    /// The listeners Arus serves: those of `listeners` that are not controller listeners.
    pub fn broker_listeners(&self) -> Vec<&Listener> {
        self.listeners.iter().filter(|l| !l.is_controller).collect()
    }

    /// The endpoints advertised to clients (`advertised.listeners`, or the broker
    /// listeners if not set). An advertised listener with a wildcard host (possible only
    /// when derived from `listeners`) or port 0 must be completed by the server with the
    /// local host name or the bound port.
    pub fn advertised_listeners(&self) -> &[Listener] {
        &self.advertised_listeners
    }

    /// `listener.security.protocol.map`, keyed by upper-cased listener name.
    pub fn listener_security_protocol_map(&self) -> &BTreeMap<String, SecurityProtocol> {
        &self.protocol_map
    }

    /// `controller.listener.names`, upper-cased.
    pub fn controller_listener_names(&self) -> &[String] {
        &self.controller_listener_names
    }

    /// `inter.broker.listener.name` if set.
    pub fn inter_broker_listener_name(&self) -> Option<String> {
        self.optional_string("inter.broker.listener.name")
    }

    /// `process.roles` (empty if not set).
    pub fn process_roles(&self) -> Vec<String> {
        self.list("process.roles")
    }

    /// `controller.quorum.voters` (empty if not set).
    pub fn controller_quorum_voters(&self) -> Vec<String> {
        self.list("controller.quorum.voters")
    }

    /// `controller.quorum.bootstrap.servers` (empty if not set).
    pub fn controller_quorum_bootstrap_servers(&self) -> Vec<String> {
        self.list("controller.quorum.bootstrap.servers")
    }

    /// `cluster.id` (Arus extension) if set.
    pub fn cluster_id(&self) -> Option<String> {
        self.optional_string("cluster.id").filter(|s| !s.is_empty())
    }

    /// `broker.rack` if set.
    pub fn broker_rack(&self) -> Option<String> {
        self.optional_string("broker.rack")
            .filter(|s| !s.is_empty())
    }

    /// Data directories: `log.dirs`, else `log.dir`; Arus default `./arus-data`.
    pub fn log_dirs(&self) -> &[PathBuf] {
        &self.log_dirs
    }

    /// `num.partitions`.
    pub fn num_partitions(&self) -> i32 {
        self.int("num.partitions")
    }

    /// `default.replication.factor`.
    pub fn default_replication_factor(&self) -> i32 {
        self.int("default.replication.factor")
    }

    /// `auto.create.topics.enable`.
    pub fn auto_create_topics_enable(&self) -> bool {
        self.boolean("auto.create.topics.enable")
    }

    /// `delete.topic.enable`.
    pub fn delete_topic_enable(&self) -> bool {
        self.boolean("delete.topic.enable")
    }

    /// `message.max.bytes`.
    pub fn message_max_bytes(&self) -> i32 {
        self.int("message.max.bytes")
    }

    /// The address the web console serves on (`console.listener`), or None when
    /// `console.enabled=false`.
    pub fn console_listener(&self) -> Option<std::net::SocketAddr> {
        self.console_listener
    }

    /// `socket.request.max.bytes`.
    pub fn socket_request_max_bytes(&self) -> i32 {
        self.int("socket.request.max.bytes")
    }

    /// `socket.send.buffer.bytes` (-1 for the OS default).
    pub fn socket_send_buffer_bytes(&self) -> i32 {
        self.int("socket.send.buffer.bytes")
    }

    /// `socket.receive.buffer.bytes` (-1 for the OS default).
    pub fn socket_receive_buffer_bytes(&self) -> i32 {
        self.int("socket.receive.buffer.bytes")
    }

    /// `num.network.threads`.
    pub fn num_network_threads(&self) -> i32 {
        self.int("num.network.threads")
    }

    /// `num.io.threads`.
    pub fn num_io_threads(&self) -> i32 {
        self.int("num.io.threads")
    }

    /// `num.recovery.threads.per.data.dir`.
    pub fn num_recovery_threads_per_data_dir(&self) -> i32 {
        self.int("num.recovery.threads.per.data.dir")
    }

    /// `queued.max.requests`.
    pub fn queued_max_requests(&self) -> i32 {
        self.int("queued.max.requests")
    }

    /// `connections.max.idle.ms`.
    pub fn connections_max_idle_ms(&self) -> i64 {
        self.long("connections.max.idle.ms")
    }

    /// `fetch.max.bytes`.
    pub fn fetch_max_bytes(&self) -> i32 {
        self.int("fetch.max.bytes")
    }

    /// `max.incremental.fetch.session.cache.slots`.
    pub fn max_incremental_fetch_session_cache_slots(&self) -> i32 {
        self.int("max.incremental.fetch.session.cache.slots")
    }

    fn topic_default_i64(&self, topic_config: &str, fallback: i64) -> i64 {
        topic_config_key(topic_config)
            .and_then(|k| self.topic_default_value(k).0.as_i64())
            .unwrap_or(fallback)
    }

    /// Default retention in ms from `log.retention.ms`, else `log.retention.minutes`,
    /// else `log.retention.hours` (168 h); -1 (unlimited) if negative.
    pub fn log_retention_ms(&self) -> i64 {
        self.topic_default_i64("retention.ms", 604_800_000)
    }

    /// `log.retention.bytes` (-1 for unlimited).
    pub fn log_retention_bytes(&self) -> i64 {
        self.long("log.retention.bytes")
    }

    /// `producer.id.expiration.check.interval.ms`.
    pub fn producer_id_expiration_check_interval_ms(&self) -> i64 {
        i64::from(self.int("producer.id.expiration.check.interval.ms"))
    }

    /// `log.retention.check.interval.ms`.
    pub fn log_retention_check_interval_ms(&self) -> i64 {
        self.long("log.retention.check.interval.ms")
    }

    /// `log.segment.bytes`.
    pub fn log_segment_bytes(&self) -> i32 {
        self.int("log.segment.bytes")
    }

    /// Default segment roll time in ms from `log.roll.ms`, else `log.roll.hours`.
    pub fn log_roll_ms(&self) -> i64 {
        self.topic_default_i64("segment.ms", 604_800_000)
    }

    /// Default segment roll jitter in ms from `log.roll.jitter.ms`, else
    /// `log.roll.jitter.hours`.
    pub fn log_roll_jitter_ms(&self) -> i64 {
        self.topic_default_i64("segment.jitter.ms", 0)
    }

    /// `log.index.interval.bytes`.
    pub fn log_index_interval_bytes(&self) -> i32 {
        self.int("log.index.interval.bytes")
    }

    /// `log.index.size.max.bytes`.
    pub fn log_index_size_max_bytes(&self) -> i32 {
        self.int("log.index.size.max.bytes")
    }

    /// `log.flush.interval.messages`.
    pub fn log_flush_interval_messages(&self) -> i64 {
        self.long("log.flush.interval.messages")
    }

    /// Default flush interval in ms: `log.flush.interval.ms`, else
    /// `log.flush.scheduler.interval.ms`.
    pub fn log_flush_interval_ms(&self) -> i64 {
        self.topic_default_i64("flush.ms", i64::MAX)
    }

    /// `log.flush.scheduler.interval.ms`.
    pub fn log_flush_scheduler_interval_ms(&self) -> i64 {
        self.long("log.flush.scheduler.interval.ms")
    }

    /// `log.flush.offset.checkpoint.interval.ms`.
    pub fn log_flush_offset_checkpoint_interval_ms(&self) -> i32 {
        self.int("log.flush.offset.checkpoint.interval.ms")
    }

    /// `log.flush.start.offset.checkpoint.interval.ms`.
    pub fn log_flush_start_offset_checkpoint_interval_ms(&self) -> i32 {
        self.int("log.flush.start.offset.checkpoint.interval.ms")
    }

    /// `log.segment.delete.delay.ms`.
    pub fn log_segment_delete_delay_ms(&self) -> i64 {
        self.long("log.segment.delete.delay.ms")
    }

    /// `log.message.timestamp.type` (`CreateTime` or `LogAppendTime`).
    pub fn log_message_timestamp_type(&self) -> String {
        self.string("log.message.timestamp.type")
    }

    /// `log.message.timestamp.before.max.ms`.
    pub fn log_message_timestamp_before_max_ms(&self) -> i64 {
        self.long("log.message.timestamp.before.max.ms")
    }

    /// `log.message.timestamp.after.max.ms`.
    pub fn log_message_timestamp_after_max_ms(&self) -> i64 {
        self.long("log.message.timestamp.after.max.ms")
    }

    /// `log.cleanup.policy`.
    pub fn log_cleanup_policy(&self) -> Vec<String> {
        self.list("log.cleanup.policy")
    }

    /// `log.cleaner.enable`.
    pub fn log_cleaner_enable(&self) -> bool {
        self.boolean("log.cleaner.enable")
    }

    /// `log.cleaner.threads`.
    pub fn log_cleaner_threads(&self) -> i32 {
        self.int("log.cleaner.threads")
    }

    /// `log.cleaner.backoff.ms`.
    pub fn log_cleaner_backoff_ms(&self) -> i64 {
        self.long("log.cleaner.backoff.ms")
    }

    /// `log.cleaner.dedupe.buffer.size`.
    pub fn log_cleaner_dedupe_buffer_size(&self) -> i64 {
        self.long("log.cleaner.dedupe.buffer.size")
    }

    /// `log.cleaner.io.buffer.size`.
    pub fn log_cleaner_io_buffer_size(&self) -> i64 {
        i64::from(self.int("log.cleaner.io.buffer.size"))
    }

    /// `log.cleaner.delete.retention.ms`.
    pub fn log_cleaner_delete_retention_ms(&self) -> i64 {
        self.long("log.cleaner.delete.retention.ms")
    }

    /// `log.cleaner.min.compaction.lag.ms`.
    pub fn log_cleaner_min_compaction_lag_ms(&self) -> i64 {
        self.long("log.cleaner.min.compaction.lag.ms")
    }

    /// `log.cleaner.max.compaction.lag.ms`.
    pub fn log_cleaner_max_compaction_lag_ms(&self) -> i64 {
        self.long("log.cleaner.max.compaction.lag.ms")
    }

    /// `log.cleaner.min.cleanable.ratio`.
    pub fn log_cleaner_min_cleanable_ratio(&self) -> f64 {
        self.double("log.cleaner.min.cleanable.ratio")
    }

    /// `log.preallocate`.
    pub fn log_preallocate(&self) -> bool {
        self.boolean("log.preallocate")
    }

    /// `compression.type`.
    pub fn compression_type(&self) -> String {
        self.string("compression.type")
    }

    /// `min.insync.replicas`.
    pub fn min_insync_replicas(&self) -> i32 {
        self.int("min.insync.replicas")
    }

    /// `unclean.leader.election.enable`.
    pub fn unclean_leader_election_enable(&self) -> bool {
        self.boolean("unclean.leader.election.enable")
    }

    /// `offsets.topic.replication.factor`; Arus default 1.
    pub fn offsets_topic_replication_factor(&self) -> i16 {
        self.short("offsets.topic.replication.factor")
    }

    /// `offsets.topic.num.partitions`.
    pub fn offsets_topic_num_partitions(&self) -> i32 {
        self.int("offsets.topic.num.partitions")
    }

    /// `offsets.topic.segment.bytes`.
    pub fn offsets_topic_segment_bytes(&self) -> i32 {
        self.int("offsets.topic.segment.bytes")
    }

    /// `offsets.retention.minutes`.
    pub fn offsets_retention_minutes(&self) -> i32 {
        self.int("offsets.retention.minutes")
    }

    /// `offsets.retention.minutes` in milliseconds.
    pub fn offsets_retention_ms(&self) -> i64 {
        i64::from(self.offsets_retention_minutes()).saturating_mul(60_000)
    }

    /// `offsets.retention.check.interval.ms`.
    pub fn offsets_retention_check_interval_ms(&self) -> i64 {
        self.long("offsets.retention.check.interval.ms")
    }

    /// `offset.metadata.max.bytes`.
    pub fn offset_metadata_max_bytes(&self) -> i32 {
        self.int("offset.metadata.max.bytes")
    }

    /// `group.initial.rebalance.delay.ms`.
    pub fn group_initial_rebalance_delay_ms(&self) -> i32 {
        self.int("group.initial.rebalance.delay.ms")
    }

    /// `group.min.session.timeout.ms`.
    pub fn group_min_session_timeout_ms(&self) -> i32 {
        self.int("group.min.session.timeout.ms")
    }

    /// `group.max.session.timeout.ms`.
    pub fn group_max_session_timeout_ms(&self) -> i32 {
        self.int("group.max.session.timeout.ms")
    }

    /// `group.max.size`.
    pub fn group_max_size(&self) -> i32 {
        self.int("group.max.size")
    }

    /// `group.consumer.heartbeat.interval.ms` (KIP-848 groups).
    pub fn group_consumer_heartbeat_interval_ms(&self) -> i32 {
        self.int("group.consumer.heartbeat.interval.ms")
    }

    /// `group.consumer.session.timeout.ms` (KIP-848 groups).
    pub fn group_consumer_session_timeout_ms(&self) -> i32 {
        self.int("group.consumer.session.timeout.ms")
    }

    /// `group.consumer.max.size` (KIP-848 groups).
    pub fn group_consumer_max_size(&self) -> i32 {
        self.int("group.consumer.max.size")
    }

    /// `transaction.state.log.replication.factor`; Arus default 1.
    pub fn transaction_state_log_replication_factor(&self) -> i16 {
        self.short("transaction.state.log.replication.factor")
    }

    /// `transaction.state.log.num.partitions`.
    pub fn transaction_state_log_num_partitions(&self) -> i32 {
        self.int("transaction.state.log.num.partitions")
    }

    /// `transaction.state.log.min.isr`; Arus default 1.
    pub fn transaction_state_log_min_isr(&self) -> i32 {
        self.int("transaction.state.log.min.isr")
    }

    /// `transaction.state.log.segment.bytes`.
    pub fn transaction_state_log_segment_bytes(&self) -> i32 {
        self.int("transaction.state.log.segment.bytes")
    }

    /// `transaction.max.timeout.ms`.
    pub fn transaction_max_timeout_ms(&self) -> i32 {
        self.int("transaction.max.timeout.ms")
    }

    /// `transactional.id.expiration.ms`.
    pub fn transactional_id_expiration_ms(&self) -> i32 {
        self.int("transactional.id.expiration.ms")
    }

    /// `producer.id.expiration.ms`.
    pub fn producer_id_expiration_ms(&self) -> i32 {
        self.int("producer.id.expiration.ms")
    }
}

fn synonym(name: &str, value: &ConfigValue, source: ConfigSource) -> ConfigSynonym {
    ConfigSynonym {
        name: name.to_string(),
        value: Some(value.to_kafka_string()),
        source,
    }
}

/// Convert a broker synonym's value to the topic config's type and unit.
fn convert_to_topic(
    key: &TopicConfigKey,
    unit: super::topic::TimeUnit,
    value: &ConfigValue,
) -> Option<ConfigValue> {
    let target = key.key.config_type;
    let converted = match target {
        ConfigType::Long => {
            let mut v = unit.to_millis(value.as_i64()?);
            // Kafka treats any negative broker retention as "unlimited".
            if key.key.name == "retention.ms" && v < 0 {
                v = -1;
            }
            ConfigValue::Long(v)
        }
        ConfigType::Int => ConfigValue::Int(i32::try_from(unit.to_millis(value.as_i64()?)).ok()?),
        ConfigType::Short => {
            ConfigValue::Short(i16::try_from(unit.to_millis(value.as_i64()?)).ok()?)
        }
        _ if value.config_type() == target => value.clone(),
        _ => return None,
    };
    Some(converted)
}

/// Parse a `NAME:PROTOCOL,...` map.
fn parse_protocol_map(raw: &str) -> Result<BTreeMap<String, SecurityProtocol>, ConfigError> {
    const KEY: &str = "listener.security.protocol.map";
    let mut map = BTreeMap::new();
    for item in split_list(raw) {
        let bad = |reason: String| ConfigError::invalid_value(KEY, raw, reason);
        let Some((name, protocol)) = item.split_once(':') else {
            return Err(bad(format!(
                "entry '{item}' is not of the form NAME:PROTOCOL"
            )));
        };
        let name = name.trim().to_ascii_uppercase();
        if name.is_empty() {
            return Err(bad(format!("entry '{item}' has an empty listener name")));
        }
        let protocol = SecurityProtocol::from_name(protocol).ok_or_else(|| {
            bad(format!(
                "unknown security protocol '{}' (valid: PLAINTEXT, SSL, SASL_PLAINTEXT, \
                 SASL_SSL)",
                protocol.trim()
            ))
        })?;
        if map.insert(name.clone(), protocol).is_some() {
            return Err(bad(format!("listener name {name} appears more than once")));
        }
    }
    Ok(map)
}

/// Parse a `NAME://host:port,...` list into (upper-cased name, host, port).
fn parse_endpoints(config: &str, raw: &str) -> Result<Vec<(String, String, u16)>, ConfigError> {
    let mut out = Vec::new();
    for item in split_list(raw) {
        if item.is_empty() {
            continue;
        }
        let bad = || {
            ConfigError::invalid_value(
                config,
                raw,
                format!("Unable to parse {item} to a broker endpoint (expected NAME://host:port)"),
            )
        };
        let (name, rest) = item.split_once("://").ok_or_else(bad)?;
        if name.is_empty() {
            return Err(bad());
        }
        let (host, port) = match rest.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed.split_once(']').ok_or_else(bad)?;
                (host, after.strip_prefix(':').ok_or_else(bad)?)
            }
            None => rest.rsplit_once(':').ok_or_else(bad)?,
        };
        let host_ok = host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '%' | '.' | '_' | ':'));
        let port: u16 = port.parse().map_err(|_| bad())?;
        if !host_ok {
            return Err(bad());
        }
        out.push((name.to_ascii_uppercase(), host.to_string(), port));
    }
    if out.is_empty() {
        return Err(ConfigError::invalid_value(
            config,
            raw,
            "must contain at least one listener",
        ));
    }
    Ok(out)
}

fn check_unique_names(
    config: &str,
    raw: &str,
    endpoints: &[(String, String, u16)],
) -> Result<(), ConfigError> {
    let mut seen = BTreeSet::new();
    for (name, _, _) in endpoints {
        if !seen.insert(name.as_str()) {
            return Err(ConfigError::Invalid {
                message: format!(
                    "Each listener must have a different name; {name} appears more than once \
                     in {config} ({raw})"
                ),
            });
        }
    }
    Ok(())
}

fn check_unique_ports(raw: &str, endpoints: &[(String, String, u16)]) -> Result<(), ConfigError> {
    for (i, (_, host_a, port_a)) in endpoints.iter().enumerate() {
        for (_, host_b, port_b) in &endpoints[i + 1..] {
            let same_family = host_a.contains(':') == host_b.contains(':');
            if *port_a != 0 && port_a == port_b && same_family {
                return Err(ConfigError::Invalid {
                    message: format!(
                        "Each listener must have a different port unless exactly one listener \
                         has an IPv4 address and the other an IPv6 address; port {port_a} is \
                         used twice in listeners ({raw})"
                    ),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn build(items: &[(&str, &str)]) -> Result<BrokerConfig, ConfigError> {
        BrokerConfig::from_pairs(pairs(items))
    }

    fn entry<'a>(entries: &'a [ConfigEntry], name: &str) -> &'a ConfigEntry {
        entries
            .iter()
            .find(|e| e.name == name)
            .expect("entry present")
    }

    /// The `server.properties` of the tutorial our users follow (Kafka 2.x layout, ZooKeeper
    /// mode), with its addresses.
    const TUTORIAL: &str = "\
# Licensed to the Apache Software Foundation (ASF) ...
# see kafka.server.KafkaConfig for additional details and defaults

############################# Server Basics #############################

# The id of the broker. This must be set to a unique integer for each broker.
broker.id=0

############################# Socket Server Settings #############################

#     listeners = listener_name://host_name:port
#   EXAMPLE:
#     listeners = PLAINTEXT://your.host.name:9092
listeners=PLAINTEXT://192.168.43.123:9092

#advertised.listeners=PLAINTEXT://your.host.name:9092
#listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL

num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600

############################# Log Basics #############################

log.dirs=/home/kafka/kafka-logs
num.partitions=1
num.recovery.threads.per.data.dir=1

############################# Internal Topic Settings  #############################
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1

############################# Log Retention Policy #############################

log.retention.hours=168
#log.retention.bytes=1073741824
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000

############################# Zookeeper #############################

zookeeper.connect=192.168.43.123:2181
zookeeper.connection.timeout.ms=18000

############################# Group Coordinator Settings #############################

group.initial.rebalance.delay.ms=0
";

    /// Kafka 4.0's single-node KRaft `server.properties`.
    const KRAFT: &str = "\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
";

    #[test]
    fn defaults_match_what_arus_users_expect() {
        let c = BrokerConfig::default();
        assert_eq!(c, build(&[]).expect("defaults are valid"));
        assert_eq!(c.node_id(), 1);
        assert_eq!(c.listeners().len(), 1);
        assert_eq!(c.listeners()[0].to_string(), "PLAINTEXT://127.0.0.1:9092");
        assert_eq!(c.listeners()[0].bind_address(), "127.0.0.1:9092");
        assert_eq!(c.advertised_listeners(), c.listeners());
        assert_eq!(c.log_dirs(), &[PathBuf::from("./arus-data")]);
        assert_eq!(c.num_partitions(), 1);
        assert_eq!(c.default_replication_factor(), 1);
        assert!(c.auto_create_topics_enable());
        assert!(c.delete_topic_enable());
        assert_eq!(c.message_max_bytes(), 1_048_588);
        assert_eq!(c.socket_request_max_bytes(), 104_857_600);
        assert_eq!(c.log_retention_ms(), 604_800_000);
        assert_eq!(c.log_retention_bytes(), -1);
        assert_eq!(c.log_retention_check_interval_ms(), 300_000);
        assert_eq!(c.log_segment_bytes(), 1_073_741_824);
        assert_eq!(c.log_roll_ms(), 604_800_000);
        assert_eq!(c.log_roll_jitter_ms(), 0);
        assert_eq!(c.log_index_interval_bytes(), 4096);
        assert_eq!(c.log_index_size_max_bytes(), 10_485_760);
        assert_eq!(c.log_flush_interval_messages(), i64::MAX);
        assert_eq!(c.log_flush_interval_ms(), i64::MAX);
        assert_eq!(c.log_flush_scheduler_interval_ms(), i64::MAX);
        assert_eq!(c.log_flush_offset_checkpoint_interval_ms(), 60_000);
        assert_eq!(c.log_message_timestamp_type(), "CreateTime");
        assert_eq!(c.log_message_timestamp_after_max_ms(), 3_600_000);
        assert_eq!(c.log_cleanup_policy(), vec!["delete".to_string()]);
        assert_eq!(c.compression_type(), "producer");
        assert_eq!(c.min_insync_replicas(), 1);
        assert_eq!(c.offsets_topic_replication_factor(), 1);
        assert_eq!(c.offsets_topic_num_partitions(), 50);
        assert_eq!(c.offsets_retention_minutes(), 10_080);
        assert_eq!(c.group_initial_rebalance_delay_ms(), 3000);
        assert_eq!(c.transaction_state_log_replication_factor(), 1);
        assert_eq!(c.transaction_state_log_min_isr(), 1);
        assert_eq!(c.num_network_threads(), 3);
        assert_eq!(c.num_io_threads(), 8);
        assert_eq!(c.num_recovery_threads_per_data_dir(), 2);
        assert_eq!(c.socket_send_buffer_bytes(), 102_400);
        assert!(c.ignored_keys().is_empty() && c.unknown_keys().is_empty());
        assert!(!c.zookeeper_configured());
        assert_eq!(c.cluster_id(), None);
    }

    #[test]
    fn every_default_is_valid() {
        for def in broker_config_keys() {
            if let Some(d) = def.key.default {
                assert!(def.key.parse(d).is_ok(), "{}", def.key.name);
            }
        }
        let names: Vec<&str> = broker_config_keys().iter().map(|k| k.key.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for name in KAFKA_ONLY_CONFIGS.iter().chain(LEGACY_KAFKA_CONFIGS) {
            assert!(broker_config_key(name).is_none(), "{name} is modeled");
        }
    }

    #[test]
    fn tutorial_server_properties_parse() {
        let c = BrokerConfig::from_properties(TUTORIAL, &[]).expect("tutorial file is valid");
        assert_eq!(c.node_id(), 0);
        assert_eq!(c.log_dirs(), &[PathBuf::from("/home/kafka/kafka-logs")]);
        assert_eq!(
            c.listeners(),
            &[Listener {
                name: "PLAINTEXT".to_string(),
                host: "192.168.43.123".to_string(),
                port: 9092,
                security_protocol: SecurityProtocol::Plaintext,
                is_controller: false,
            }]
        );
        assert_eq!(c.advertised_listeners(), c.listeners());
        assert_eq!(
            c.ignored_keys(),
            &[
                "zookeeper.connect".to_string(),
                "zookeeper.connection.timeout.ms".to_string()
            ]
        );
        assert!(c.zookeeper_configured());
        assert!(c.unknown_keys().is_empty());
        assert_eq!(c.group_initial_rebalance_delay_ms(), 0);
        assert_eq!(c.num_recovery_threads_per_data_dir(), 1);
        assert_eq!(c.log_retention_ms(), 604_800_000);
        let warnings = c.warnings();
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].contains("zookeeper.connect"));
        assert!(warnings[0].contains("ZooKeeper"));
    }

    #[test]
    fn kraft_quickstart_properties_parse() {
        let c = BrokerConfig::from_properties(KRAFT, &[]).expect("KRaft file is valid");
        assert_eq!(c.node_id(), 1);
        assert_eq!(c.listeners().len(), 2);
        let brokers = c.broker_listeners();
        assert_eq!(brokers.len(), 1);
        assert_eq!(brokers[0].name, "PLAINTEXT");
        assert_eq!(brokers[0].host, "");
        assert!(brokers[0].is_wildcard_host());
        assert_eq!(brokers[0].bind_address(), "0.0.0.0:9092");
        assert!(c.listeners()[1].is_controller);
        assert_eq!(c.advertised_listeners().len(), 1);
        assert_eq!(
            c.advertised_listeners()[0].to_string(),
            "PLAINTEXT://localhost:9092"
        );
        assert_eq!(c.process_roles(), vec!["broker", "controller"]);
        assert_eq!(c.controller_listener_names(), &["CONTROLLER".to_string()]);
        assert_eq!(c.inter_broker_listener_name().as_deref(), Some("PLAINTEXT"));
        assert_eq!(
            c.ignored_keys(),
            &[
                "share.coordinator.state.topic.min.isr".to_string(),
                "share.coordinator.state.topic.replication.factor".to_string()
            ]
        );
        assert!(c.unknown_keys().is_empty());
    }

    #[test]
    fn console_listener_default_override_and_disable() {
        let c = build(&[]).expect("valid");
        assert_eq!(
            c.console_listener(),
            Some("127.0.0.1:9991".parse().expect("addr"))
        );
        let c = build(&[("console.listener", "localhost:0")]).expect("valid");
        assert_eq!(
            c.console_listener(),
            Some("127.0.0.1:0".parse().expect("addr"))
        );
        let c = build(&[("console.listener", "[::1]:8080")]).expect("valid");
        assert_eq!(
            c.console_listener(),
            Some("[::1]:8080".parse().expect("addr"))
        );
        let c = build(&[("console.enabled", "false")]).expect("valid");
        assert_eq!(c.console_listener(), None);
        for bad in ["9991", "example.com:80", "127.0.0.1:99999", "localhost:x"] {
            let err = build(&[("console.listener", bad)]).unwrap_err().to_string();
            assert!(err.contains("console.listener"), "{bad}: {err}");
        }
        // Even a disabled console's listener must be well-formed.
        assert!(build(&[("console.enabled", "false"), ("console.listener", "x")]).is_err());
        assert!(build(&[("console.enabled", "yes please")]).is_err());
    }

    #[test]
    fn overrides_win_over_the_file() {
        let c = BrokerConfig::from_properties(
            "num.partitions=3\nlog.retention.hours=1\n",
            &[
                "num.partitions=6".to_string(),
                "listeners=PLAINTEXT://:0".to_string(),
            ],
        )
        .expect("valid");
        assert_eq!(c.num_partitions(), 6);
        assert_eq!(c.log_retention_ms(), 3_600_000);
        assert_eq!(c.listeners()[0].port, 0);
        let err = BrokerConfig::from_properties("", &["oops".to_string()]).unwrap_err();
        assert!(matches!(err, ConfigError::InvalidOverride { .. }));
    }

    #[test]
    fn bad_values_name_key_and_value() {
        let err = build(&[("num.partitions", "zero")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value zero for configuration num.partitions: Not a number of type INT"
        );
        let err = build(&[("num.partitions", "0")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value 0 for configuration num.partitions: Value must be at least 1"
        );
        let err = build(&[("log.segment.bytes", "1024")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value 1024 for configuration log.segment.bytes: Value must be at least 1048576"
        );
        let err = build(&[("auto.create.topics.enable", "maybe")]).unwrap_err();
        assert!(err.to_string().contains("auto.create.topics.enable"));
        let err = build(&[("log.cleanup.policy", "purge")]).unwrap_err();
        assert!(err.to_string().contains("purge"));
        let err = build(&[("process.roles", "broker,observer")]).unwrap_err();
        assert!(err.to_string().contains("observer"));
    }

    #[test]
    fn unknown_and_ignored_keys_are_accepted() {
        let c = build(&[
            ("ssl.keystore.location", "/etc/ks.jks"),
            ("listener.name.internal.ssl.keystore.type", "PKCS12"),
            ("log.message.format.version", "2.8"),
            ("retention.ms", "1000"),
            ("my.custom.thing", "x"),
        ])
        .expect("accepted");
        assert_eq!(
            c.ignored_keys(),
            &[
                "listener.name.internal.ssl.keystore.type".to_string(),
                "log.message.format.version".to_string(),
                "ssl.keystore.location".to_string(),
            ]
        );
        assert_eq!(
            c.unknown_keys(),
            &["my.custom.thing".to_string(), "retention.ms".to_string()]
        );
        assert!(c.warnings().contains(
            &"The configuration 'my.custom.thing' was supplied but isn't a known config."
                .to_string()
        ));
        // A topic-level name in server.properties does not change topic defaults.
        assert_eq!(c.log_retention_ms(), 604_800_000);
        let entries = c.describe();
        let custom = entry(&entries, "my.custom.thing");
        assert_eq!(custom.value, None);
        assert!(custom.sensitive && custom.read_only);
        assert_eq!(custom.config_type, ConfigType::Unknown);
        assert_eq!(custom.source, ConfigSource::StaticBrokerConfig);
    }

    #[test]
    fn node_id_and_broker_id() {
        assert_eq!(build(&[("broker.id", "7")]).expect("valid").node_id(), 7);
        assert_eq!(build(&[("node.id", "3")]).expect("valid").node_id(), 3);
        assert_eq!(
            build(&[("node.id", "3"), ("broker.id", "3")])
                .expect("valid")
                .node_id(),
            3
        );
        assert!(build(&[("node.id", "3"), ("broker.id", "4")]).is_err());
        assert!(build(&[("node.id", "-1")]).is_err());
        assert_eq!(build(&[("broker.id", "-1")]).expect("valid").node_id(), 1);
        let c = build(&[("broker.id", "7")]).expect("valid");
        let entries = c.describe();
        assert_eq!(entry(&entries, "node.id").value.as_deref(), Some("7"));
        assert_eq!(
            entry(&entries, "node.id").source,
            ConfigSource::StaticBrokerConfig
        );
        assert_eq!(entry(&entries, "broker.id").value.as_deref(), Some("7"));
    }

    #[test]
    fn listener_parsing() {
        let c = build(&[
            (
                "listeners",
                "plaintext://[::1]:9092, INTERNAL://host.example:19092",
            ),
            (
                "listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
            ),
        ])
        .expect("valid");
        assert_eq!(c.listeners()[0].name, "PLAINTEXT");
        assert_eq!(c.listeners()[0].host, "::1");
        assert_eq!(c.listeners()[0].bind_address(), "[::1]:9092");
        assert_eq!(c.listeners()[0].to_string(), "PLAINTEXT://[::1]:9092");
        assert_eq!(c.listeners()[1].name, "INTERNAL");
        assert_eq!(c.listeners()[1].port, 19092);

        for bad in [
            "localhost:9092",
            "PLAINTEXT://host",
            "PLAINTEXT://host:99999",
            "://h:1",
            "",
        ] {
            assert!(build(&[("listeners", bad)]).is_err(), "{bad}");
        }
        let err = build(&[("listeners", "PLAINTEXT://:9092,PLAINTEXT://:9093")]).unwrap_err();
        assert!(err.to_string().contains("different name"));
        let err = build(&[("listeners", "PLAINTEXT://:9092,SASL_PLAINTEXT://:9092")]).unwrap_err();
        assert!(err.to_string().contains("different port"));
        let err = build(&[("listeners", "CLIENT://:9092")]).unwrap_err();
        assert!(err
            .to_string()
            .contains("No security protocol defined for listener CLIENT"));
    }

    #[test]
    fn non_plaintext_listeners_are_rejected_clearly() {
        let err = build(&[("listeners", "SSL://:9093")]).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Unsupported {
                message: "listener SSL uses SSL, which Arus does not support yet".to_string()
            }
        );
        let err = build(&[
            ("listeners", "PLAINTEXT://:9092,EXTERNAL://:9094"),
            (
                "listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,EXTERNAL:SASL_SSL",
            ),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "listener EXTERNAL uses SASL_SSL, which Arus does not support yet"
        );
        // SSL in the map alone (not used by a listener) is fine.
        assert!(build(&[(
            "listener.security.protocol.map",
            "PLAINTEXT:PLAINTEXT,SSL:SSL"
        )])
        .is_ok());
        assert!(build(&[("listener.security.protocol.map", "PLAINTEXT:TLS")]).is_err());
    }

    #[test]
    fn advertised_listeners() {
        let c = build(&[
            ("listeners", "PLAINTEXT://0.0.0.0:9092"),
            ("advertised.listeners", "PLAINTEXT://broker.example:9092"),
        ])
        .expect("valid");
        assert_eq!(c.advertised_listeners()[0].host, "broker.example");
        let err = build(&[("advertised.listeners", "PLAINTEXT://0.0.0.0:9092")]).unwrap_err();
        assert!(err.to_string().contains("0.0.0.0"));
        let err = build(&[("advertised.listeners", "OTHER://h:9092")]).unwrap_err();
        assert!(err.to_string().contains("subset"));
        // Derived from listeners when not set, wildcard host included.
        let c = build(&[("listeners", "PLAINTEXT://:9092")]).expect("valid");
        assert!(c.advertised_listeners()[0].is_wildcard_host());
    }

    #[test]
    fn log_dirs() {
        let c = build(&[("log.dirs", "/a, /b"), ("log.dir", "/ignored")]).expect("valid");
        assert_eq!(c.log_dirs(), &[PathBuf::from("/a"), PathBuf::from("/b")]);
        let c = build(&[("log.dir", "/only")]).expect("valid");
        assert_eq!(c.log_dirs(), &[PathBuf::from("/only")]);
        assert!(build(&[("log.dirs", "")]).is_err());
        assert!(build(&[("log.dirs", "/a,,/b")]).is_err());
        assert!(build(&[("log.dirs", "/a,/a")]).is_err());
    }

    #[test]
    fn retention_precedence_at_broker_level() {
        let c = build(&[("log.retention.hours", "2")]).expect("valid");
        assert_eq!(c.log_retention_ms(), 7_200_000);
        let c =
            build(&[("log.retention.hours", "2"), ("log.retention.minutes", "3")]).expect("valid");
        assert_eq!(c.log_retention_ms(), 180_000);
        let c = build(&[
            ("log.retention.minutes", "3"),
            ("log.retention.ms", "42"),
            ("log.retention.hours", "2"),
        ])
        .expect("valid");
        assert_eq!(c.log_retention_ms(), 42);
        assert_eq!(
            c.topic_default("retention.ms"),
            Some((
                "42".to_string(),
                ConfigSource::StaticBrokerConfig,
                vec![
                    synonym(
                        "log.retention.ms",
                        &ConfigValue::Long(42),
                        ConfigSource::StaticBrokerConfig
                    ),
                    synonym(
                        "log.retention.minutes",
                        &ConfigValue::Int(3),
                        ConfigSource::StaticBrokerConfig
                    ),
                    synonym(
                        "log.retention.hours",
                        &ConfigValue::Int(2),
                        ConfigSource::StaticBrokerConfig
                    ),
                    synonym(
                        "log.retention.hours",
                        &ConfigValue::Int(168),
                        ConfigSource::DefaultConfig
                    ),
                ]
            ))
        );
        assert_eq!(c.topic_default("no.such.config"), None);
        let c = build(&[("log.flush.interval.ms", "1000")]).expect("valid");
        assert_eq!(c.log_flush_interval_ms(), 1000);
        let c = build(&[("log.roll.jitter.hours", "1")]).expect("valid");
        assert_eq!(c.log_roll_jitter_ms(), 3_600_000);
    }

    #[test]
    fn describe_broker_sources_and_synonyms() {
        let c = build(&[("log.retention.hours", "24"), ("num.partitions", "3")]).expect("valid");
        let entries = c.describe();
        assert!(entries.len() >= broker_config_keys().len());

        let partitions = entry(&entries, "num.partitions");
        assert_eq!(partitions.value.as_deref(), Some("3"));
        assert_eq!(partitions.source, ConfigSource::StaticBrokerConfig);
        assert!(partitions.read_only);
        assert_eq!(partitions.config_type, ConfigType::Int);
        assert_eq!(
            partitions.synonyms,
            vec![
                synonym(
                    "num.partitions",
                    &ConfigValue::Int(3),
                    ConfigSource::StaticBrokerConfig
                ),
                synonym(
                    "num.partitions",
                    &ConfigValue::Int(1),
                    ConfigSource::DefaultConfig
                ),
            ]
        );

        let hours = entry(&entries, "log.retention.hours");
        assert_eq!(hours.value.as_deref(), Some("24"));
        assert_eq!(hours.source, ConfigSource::StaticBrokerConfig);
        assert_eq!(
            hours.synonyms,
            vec![
                synonym(
                    "log.retention.hours",
                    &ConfigValue::Int(24),
                    ConfigSource::StaticBrokerConfig
                ),
                synonym(
                    "log.retention.hours",
                    &ConfigValue::Int(168),
                    ConfigSource::DefaultConfig
                ),
            ]
        );

        let ms = entry(&entries, "log.retention.ms");
        assert_eq!(ms.value, None);
        assert_eq!(ms.source, ConfigSource::DefaultConfig);
        assert!(ms.synonyms.is_empty());
        assert!(!ms.read_only);

        let segment = entry(&entries, "log.segment.bytes");
        assert_eq!(segment.value.as_deref(), Some("1073741824"));
        assert_eq!(segment.source, ConfigSource::DefaultConfig);

        let listeners = entry(&entries, "listeners");
        assert_eq!(
            listeners.value.as_deref(),
            Some("PLAINTEXT://127.0.0.1:9092")
        );
    }

    #[test]
    fn dynamic_defaults_layer() {
        let mut c = build(&[("log.retention.hours", "24")]).expect("valid");
        c.set_dynamic_default("log.retention.ms", "1000")
            .expect("cluster-wide");
        assert_eq!(c.log_retention_ms(), 1000);
        assert_eq!(
            c.dynamic_defaults(),
            BTreeMap::from([("log.retention.ms".to_string(), "1000".to_string())])
        );
        let entries = c.describe();
        let ms = entry(&entries, "log.retention.ms");
        assert_eq!(ms.value.as_deref(), Some("1000"));
        assert_eq!(ms.source, ConfigSource::DynamicDefaultBrokerConfig);
        assert_eq!(
            c.set_dynamic_default("num.partitions", "3"),
            Err(ConfigError::NotDynamic {
                name: "num.partitions".to_string()
            })
        );
        assert!(c.set_dynamic_default("log.segment.bytes", "5").is_err());
        assert!(c.set_dynamic_default("zookeeper.connect", "x").is_err());
        assert!(c.remove_dynamic_default("log.retention.ms"));
        assert!(!c.remove_dynamic_default("log.retention.ms"));
        assert_eq!(c.log_retention_ms(), 86_400_000);
    }

    #[test]
    fn load_from_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server.properties");
        std::fs::write(&path, "num.partitions=4\n").expect("write");
        let c = BrokerConfig::load(Some(&path), &["node.id=9".to_string()]).expect("valid");
        assert_eq!(c.num_partitions(), 4);
        assert_eq!(c.node_id(), 9);
        let missing = dir.path().join("missing.properties");
        let err = BrokerConfig::load(Some(&missing), &[]).unwrap_err();
        assert!(matches!(err, ConfigError::Io { .. }));
        assert_eq!(
            BrokerConfig::load(None, &[]).expect("defaults"),
            BrokerConfig::default()
        );
    }
}
