//! Topic-level configs: the table of every config Kafka 4.0 documents under
//! "Topic-Level Configs", validation of topic overrides, and resolution of the effective
//! value of each topic config for a topic.
//!
//! Resolution follows Kafka: a topic override wins; otherwise the value comes from the
//! topic config's broker-level synonyms (dynamic cluster-wide defaults first, then
//! `server.properties`), where the first synonym that is set wins (so `log.retention.ms`
//! beats `log.retention.minutes`, which beats `log.retention.hours`), converting hours
//! and minutes to milliseconds; otherwise the broker synonym's default; otherwise the
//! topic config's own default.
//!
//! Three configs that Kafka 3.x accepted and 4.0 removed (`message.format.version`,
//! `message.timestamp.difference.max.ms`, `message.downconversion.enable`) are accepted
//! as overrides for compatibility with older tools, validated, and otherwise ignored:
//! they have no effect and appear in DescribeConfigs only for topics that set them.

use std::collections::BTreeMap;

use super::broker::BrokerConfig;
use super::types::{
    ConfigEntry, ConfigKey, ConfigSource, ConfigSynonym, ConfigType, ConfigValue, Validator,
};
use super::ConfigError;

/// How a broker synonym's value converts to the topic config's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Same unit as the topic config (milliseconds, bytes, or not a quantity).
    Same,
    /// The broker value is in minutes; the topic config is in milliseconds.
    Minutes,
    /// The broker value is in hours; the topic config is in milliseconds.
    Hours,
}

impl TimeUnit {
    /// Convert a broker value in this unit to the topic config's unit.
    pub fn to_millis(self, value: i64) -> i64 {
        match self {
            TimeUnit::Same => value,
            TimeUnit::Minutes => value.saturating_mul(60_000),
            TimeUnit::Hours => value.saturating_mul(3_600_000),
        }
    }
}

/// A broker-level config that supplies the default of a topic config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicSynonym {
    /// Broker config name, e.g. `log.retention.hours`.
    pub name: &'static str,
    /// Unit of the broker config's value.
    pub unit: TimeUnit,
}

/// The definition of one topic-level config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopicConfigKey {
    /// Name, type, default and valid values.
    pub key: ConfigKey,
    /// Broker-level synonyms in Kafka's precedence order (most specific first).
    pub synonyms: &'static [TopicSynonym],
    /// Accepted for compatibility with Kafka 3.x but removed in Kafka 4.0; ignored.
    pub legacy: bool,
}

const LONG_MAX: &str = "9223372036854775807";

const fn same(name: &'static str) -> TopicSynonym {
    TopicSynonym {
        name,
        unit: TimeUnit::Same,
    }
}

const fn topic(
    name: &'static str,
    config_type: ConfigType,
    default: &'static str,
    validator: Validator,
    synonyms: &'static [TopicSynonym],
    doc: &'static str,
) -> TopicConfigKey {
    TopicConfigKey {
        key: ConfigKey {
            name,
            config_type,
            default: Some(default),
            validator,
            doc,
        },
        synonyms,
        legacy: false,
    }
}

const fn legacy(
    name: &'static str,
    config_type: ConfigType,
    default: &'static str,
    validator: Validator,
    doc: &'static str,
) -> TopicConfigKey {
    TopicConfigKey {
        key: ConfigKey {
            name,
            config_type,
            default: Some(default),
            validator,
            doc,
        },
        synonyms: &[],
        legacy: true,
    }
}

/// Valid `compression.type` values, in Kafka's documented order.
pub const COMPRESSION_TYPES: &[&str] =
    &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
/// Valid `cleanup.policy` items.
pub const CLEANUP_POLICIES: &[&str] = &["compact", "delete"];
/// Valid `message.timestamp.type` values.
pub const TIMESTAMP_TYPES: &[&str] = &["CreateTime", "LogAppendTime"];

use ConfigType::{Boolean, Double, Int, List, Long, String as Str};

/// Every topic-level config, sorted by name (legacy ones last).
static TOPIC_CONFIGS: &[TopicConfigKey] = &[
    topic(
        "cleanup.policy",
        List,
        "delete",
        Validator::ListOf(CLEANUP_POLICIES),
        &[same("log.cleanup.policy")],
        "Retention policy for old log segments: \"delete\" discards segments once their \
         retention time or size limit is reached, \"compact\" keeps the latest value for \
         each key. Both may be given as a comma-separated list.",
    ),
    topic(
        "compression.gzip.level",
        Int,
        "-1",
        Validator::GzipLevel,
        &[same("compression.gzip.level")],
        "Compression level used when compression.type is gzip.",
    ),
    topic(
        "compression.lz4.level",
        Int,
        "9",
        Validator::Between(1, 17),
        &[same("compression.lz4.level")],
        "Compression level used when compression.type is lz4.",
    ),
    topic(
        "compression.type",
        Str,
        "producer",
        Validator::OneOf(COMPRESSION_TYPES),
        &[same("compression.type")],
        "Final compression codec for the topic: gzip, snappy, lz4 or zstd; \"uncompressed\" \
         for none; \"producer\" to keep whatever codec the producer used.",
    ),
    topic(
        "compression.zstd.level",
        Int,
        "3",
        Validator::Between(-131072, 22),
        &[same("compression.zstd.level")],
        "Compression level used when compression.type is zstd.",
    ),
    topic(
        "delete.retention.ms",
        Long,
        "86400000",
        Validator::AtLeast(0),
        &[same("log.cleaner.delete.retention.ms")],
        "How long delete tombstones are kept in compacted topics; also bounds how long a \
         consumer reading from offset 0 has to see a consistent snapshot.",
    ),
    topic(
        "file.delete.delay.ms",
        Long,
        "60000",
        Validator::AtLeast(0),
        &[same("log.segment.delete.delay.ms")],
        "How long to wait before deleting a file from the filesystem.",
    ),
    topic(
        "flush.messages",
        Long,
        LONG_MAX,
        Validator::AtLeast(1),
        &[same("log.flush.interval.messages")],
        "Force an fsync of the log after this many messages. Replication is the \
         recommended way to get durability; leave unset to let the OS flush.",
    ),
    topic(
        "flush.ms",
        Long,
        LONG_MAX,
        Validator::AtLeast(0),
        &[
            same("log.flush.interval.ms"),
            same("log.flush.scheduler.interval.ms"),
        ],
        "Force an fsync of the log after this many milliseconds. Replication is the \
         recommended way to get durability; leave unset to let the OS flush.",
    ),
    topic(
        "follower.replication.throttled.replicas",
        List,
        "",
        Validator::ThrottledReplicas,
        &[],
        "Replicas whose replication is throttled on the follower side, as \
         [PartitionId]:[BrokerId],... or the wildcard '*' for all replicas of the topic.",
    ),
    topic(
        "index.interval.bytes",
        Int,
        "4096",
        Validator::AtLeast(0),
        &[same("log.index.interval.bytes")],
        "How often (in bytes of log) an entry is added to the offset index.",
    ),
    topic(
        "leader.replication.throttled.replicas",
        List,
        "",
        Validator::ThrottledReplicas,
        &[],
        "Replicas whose replication is throttled on the leader side, as \
         [PartitionId]:[BrokerId],... or the wildcard '*' for all replicas of the topic.",
    ),
    topic(
        "local.retention.bytes",
        Long,
        "-2",
        Validator::AtLeast(-2),
        &[same("log.local.retention.bytes")],
        "With tiered storage, the maximum size of local log segments per partition; -2 \
         means use retention.bytes.",
    ),
    topic(
        "local.retention.ms",
        Long,
        "-2",
        Validator::AtLeast(-2),
        &[same("log.local.retention.ms")],
        "With tiered storage, how long local log segments are kept; -2 means use \
         retention.ms.",
    ),
    topic(
        "max.compaction.lag.ms",
        Long,
        LONG_MAX,
        Validator::AtLeast(1),
        &[same("log.cleaner.max.compaction.lag.ms")],
        "Maximum time a message stays ineligible for compaction (compacted topics only).",
    ),
    topic(
        "max.message.bytes",
        Int,
        "1048588",
        Validator::AtLeast(0),
        &[same("message.max.bytes")],
        "Largest record batch size accepted for the topic, after compression.",
    ),
    topic(
        "message.timestamp.after.max.ms",
        Long,
        "3600000",
        Validator::AtLeast(0),
        &[same("log.message.timestamp.after.max.ms")],
        "How far in the future (relative to the broker clock) a message timestamp may be \
         when message.timestamp.type is CreateTime.",
    ),
    topic(
        "message.timestamp.before.max.ms",
        Long,
        LONG_MAX,
        Validator::AtLeast(0),
        &[same("log.message.timestamp.before.max.ms")],
        "How far in the past (relative to the broker clock) a message timestamp may be \
         when message.timestamp.type is CreateTime.",
    ),
    topic(
        "message.timestamp.type",
        Str,
        "CreateTime",
        Validator::OneOf(TIMESTAMP_TYPES),
        &[same("log.message.timestamp.type")],
        "Whether record timestamps are the producer's create time or the broker's log \
         append time.",
    ),
    topic(
        "min.cleanable.dirty.ratio",
        Double,
        "0.5",
        Validator::DoubleBetween(0.0, 1.0),
        &[same("log.cleaner.min.cleanable.ratio")],
        "Minimum ratio of uncompacted to total log before the log is compacted.",
    ),
    topic(
        "min.compaction.lag.ms",
        Long,
        "0",
        Validator::AtLeast(0),
        &[same("log.cleaner.min.compaction.lag.ms")],
        "Minimum time a message stays uncompacted (compacted topics only).",
    ),
    topic(
        "min.insync.replicas",
        Int,
        "1",
        Validator::AtLeast(1),
        &[same("min.insync.replicas")],
        "With acks=all, the minimum number of in-sync replicas that must acknowledge a \
         write for it to succeed.",
    ),
    topic(
        "preallocate",
        Boolean,
        "false",
        Validator::Any,
        &[same("log.preallocate")],
        "Whether to preallocate the file on disk when creating a new log segment.",
    ),
    topic(
        "remote.log.copy.disable",
        Boolean,
        "false",
        Validator::Any,
        &[],
        "With tiered storage, stop copying segments to remote storage (remote data \
         becomes read-only).",
    ),
    topic(
        "remote.log.delete.on.disable",
        Boolean,
        "false",
        Validator::Any,
        &[],
        "With tiered storage, delete remote data when tiered storage is disabled for the \
         topic.",
    ),
    topic(
        "remote.storage.enable",
        Boolean,
        "false",
        Validator::Any,
        &[],
        "Enable tiered storage for the topic (not supported by Arus).",
    ),
    topic(
        "retention.bytes",
        Long,
        "-1",
        Validator::Any,
        &[same("log.retention.bytes")],
        "Maximum size of a partition before old segments are deleted under the \"delete\" \
         policy; -1 means no size limit.",
    ),
    topic(
        "retention.ms",
        Long,
        "604800000",
        Validator::AtLeast(-1),
        &[
            same("log.retention.ms"),
            TopicSynonym {
                name: "log.retention.minutes",
                unit: TimeUnit::Minutes,
            },
            TopicSynonym {
                name: "log.retention.hours",
                unit: TimeUnit::Hours,
            },
        ],
        "Maximum time a log is retained before old segments are deleted under the \
         \"delete\" policy; -1 means no time limit.",
    ),
    topic(
        "segment.bytes",
        Int,
        "1073741824",
        Validator::AtLeast(14),
        &[same("log.segment.bytes")],
        "Size of a log segment file; retention and compaction work a segment at a time.",
    ),
    topic(
        "segment.index.bytes",
        Int,
        "10485760",
        Validator::AtLeast(4),
        &[same("log.index.size.max.bytes")],
        "Size of the offset index of a segment, preallocated and shrunk when the segment \
         rolls.",
    ),
    topic(
        "segment.jitter.ms",
        Long,
        "0",
        Validator::AtLeast(0),
        &[
            same("log.roll.jitter.ms"),
            TopicSynonym {
                name: "log.roll.jitter.hours",
                unit: TimeUnit::Hours,
            },
        ],
        "Maximum random jitter subtracted from the scheduled segment roll time.",
    ),
    topic(
        "segment.ms",
        Long,
        "604800000",
        Validator::AtLeast(1),
        &[
            same("log.roll.ms"),
            TopicSynonym {
                name: "log.roll.hours",
                unit: TimeUnit::Hours,
            },
        ],
        "Time after which the active segment is rolled even if it is not full.",
    ),
    topic(
        "unclean.leader.election.enable",
        Boolean,
        "false",
        Validator::Any,
        &[same("unclean.leader.election.enable")],
        "Whether replicas outside the ISR may be elected leader as a last resort, at the \
         risk of data loss.",
    ),
    legacy(
        "message.downconversion.enable",
        Boolean,
        "true",
        Validator::Any,
        "Removed in Kafka 4.0 (down-conversion no longer exists); accepted and ignored.",
    ),
    legacy(
        "message.format.version",
        Str,
        "3.0-IV1",
        Validator::Any,
        "Removed in Kafka 4.0 (message format v2 is always used); accepted and ignored.",
    ),
    legacy(
        "message.timestamp.difference.max.ms",
        Long,
        LONG_MAX,
        Validator::AtLeast(0),
        "Removed in Kafka 4.0 in favour of message.timestamp.before.max.ms and \
         message.timestamp.after.max.ms; accepted and ignored.",
    ),
];

/// The definition of a topic config (including the accepted legacy ones), or `None` if
/// Kafka does not define a topic config with that name.
pub fn topic_config_key(name: &str) -> Option<&'static TopicConfigKey> {
    TOPIC_CONFIGS.iter().find(|k| k.key.name == name)
}

/// Whether `name` is an accepted topic config name.
pub fn is_topic_config(name: &str) -> bool {
    topic_config_key(name).is_some()
}

/// The names of all current (non-legacy) topic configs, sorted.
pub fn topic_config_names() -> impl Iterator<Item = &'static str> {
    TOPIC_CONFIGS
        .iter()
        .filter(|k| !k.legacy)
        .map(|k| k.key.name)
}

/// All topic config definitions, current ones sorted by name followed by legacy ones.
pub fn topic_config_keys() -> &'static [TopicConfigKey] {
    TOPIC_CONFIGS
}

/// Whether `name` is a topic config of type `list` (the only kind IncrementalAlterConfigs
/// may APPEND to or SUBTRACT from).
pub fn is_list_config(name: &str) -> bool {
    topic_config_key(name).is_some_and(|k| k.key.config_type == ConfigType::List)
}

/// Kafka's documented default of topic config `name` (ignoring the broker
/// configuration; see [`BrokerConfig::topic_default`] for the broker-level default).
pub fn topic_config_default(name: &str) -> Option<String> {
    topic_config_key(name).and_then(|k| k.key.default.map(str::to_string))
}

/// DescribeConfigs entries for a topic with the given stored overrides (see
/// [`TopicConfigs::describe`]). Overrides that are no longer valid are left out.
pub fn describe_topic(
    broker: &BrokerConfig,
    overrides: &BTreeMap<String, String>,
) -> Vec<ConfigEntry> {
    TopicConfigs::resolve_lenient(broker, overrides)
        .0
        .describe()
}

/// Validate one topic config override: the name must be a topic config and the value
/// must parse as its type and satisfy its validator.
///
/// Errors map to Kafka's `INVALID_CONFIG` (40), see [`ConfigError::error_code`].
pub fn validate_topic_config(name: &str, value: &str) -> Result<(), ConfigError> {
    parse_override(name, value).map(|_| ())
}

/// Validate a complete set of topic overrides against a broker configuration: each
/// override as in [`validate_topic_config`], plus the checks Kafka makes on the combined
/// values (`min.compaction.lag.ms` must not exceed `max.compaction.lag.ms`; tiered
/// storage cannot be enabled because Arus has none).
pub fn validate_topic_configs(
    broker: &BrokerConfig,
    overrides: &BTreeMap<String, String>,
) -> Result<(), ConfigError> {
    TopicConfigs::resolve(broker, overrides).map(|_| ())
}

fn parse_override(
    name: &str,
    value: &str,
) -> Result<(&'static TopicConfigKey, ConfigValue), ConfigError> {
    let key = topic_config_key(name).ok_or_else(|| ConfigError::UnknownTopicConfig {
        name: name.to_string(),
    })?;
    let parsed = key.key.parse(value)?;
    Ok((key, parsed))
}

/// The effective value of one topic config and where it comes from.
#[derive(Debug, Clone, PartialEq)]
struct Resolved {
    key: &'static TopicConfigKey,
    value: ConfigValue,
    source: ConfigSource,
    synonyms: Vec<ConfigSynonym>,
}

/// The effective topic configs of one topic: every topic config resolved through the
/// topic's overrides and the broker configuration.
///
/// Values are validated on the way in, so the typed getters never fail for a config of
/// the matching type; they return `None` only for unknown names or a type mismatch.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicConfigs {
    resolved: BTreeMap<&'static str, Resolved>,
}

impl TopicConfigs {
    /// Resolve every topic config for a topic with the given overrides. Fails if an
    /// override is unknown or invalid, or the combination is invalid (see
    /// [`validate_topic_configs`]).
    pub fn resolve(
        broker: &BrokerConfig,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let mut parsed = BTreeMap::new();
        for (name, value) in overrides {
            let (key, value) = parse_override(name, value)?;
            parsed.insert(key.key.name, value);
        }
        let configs = Self::build(broker, parsed);
        configs.check_combination()?;
        Ok(configs)
    }

    /// Like [`TopicConfigs::resolve`], but skips invalid overrides instead of failing
    /// and returns the problems found, for loading topics whose stored overrides may no
    /// longer be valid.
    pub fn resolve_lenient(
        broker: &BrokerConfig,
        overrides: &BTreeMap<String, String>,
    ) -> (Self, Vec<ConfigError>) {
        let mut errors = Vec::new();
        let mut parsed = BTreeMap::new();
        for (name, value) in overrides {
            match parse_override(name, value) {
                Ok((key, value)) => {
                    parsed.insert(key.key.name, value);
                }
                Err(e) => errors.push(e),
            }
        }
        let configs = Self::build(broker, parsed);
        if let Err(e) = configs.check_combination() {
            errors.push(e);
        }
        (configs, errors)
    }

    fn build(broker: &BrokerConfig, overrides: BTreeMap<&'static str, ConfigValue>) -> Self {
        let mut resolved = BTreeMap::new();
        for key in TOPIC_CONFIGS {
            let name = key.key.name;
            let (default_value, default_source, broker_synonyms) = broker.topic_default_value(key);
            let entry = match overrides.get(name) {
                Some(value) => {
                    let mut synonyms = Vec::with_capacity(broker_synonyms.len() + 1);
                    synonyms.push(ConfigSynonym {
                        name: name.to_string(),
                        value: Some(value.to_kafka_string()),
                        source: ConfigSource::DynamicTopicConfig,
                    });
                    synonyms.extend(broker_synonyms);
                    Resolved {
                        key,
                        value: value.clone(),
                        source: ConfigSource::DynamicTopicConfig,
                        synonyms,
                    }
                }
                None if key.legacy => continue,
                None => Resolved {
                    key,
                    value: default_value,
                    source: default_source,
                    synonyms: broker_synonyms,
                },
            };
            resolved.insert(name, entry);
        }
        TopicConfigs { resolved }
    }

    fn check_combination(&self) -> Result<(), ConfigError> {
        let min_lag = self.min_compaction_lag_ms();
        let max_lag = self.max_compaction_lag_ms();
        if min_lag > max_lag {
            return Err(ConfigError::Invalid {
                message: format!(
                    "conflict topic config setting min.compaction.lag.ms ({min_lag}) > \
                     max.compaction.lag.ms ({max_lag})"
                ),
            });
        }
        if self.get_bool("remote.storage.enable") == Some(true) {
            return Err(ConfigError::Invalid {
                message: "Tiered Storage functionality is disabled in the broker. Topic \
                          cannot be configured with remote log storage."
                    .to_string(),
            });
        }
        Ok(())
    }

    /// The parsed effective value of a config.
    pub fn get(&self, name: &str) -> Option<&ConfigValue> {
        self.resolved.get(name).map(|r| &r.value)
    }

    /// The effective value in Kafka's string form (`604800000`, `compact,delete`).
    pub fn value_string(&self, name: &str) -> Option<String> {
        self.get(name).map(ConfigValue::to_kafka_string)
    }

    /// Where the effective value of a config comes from.
    pub fn source(&self, name: &str) -> Option<ConfigSource> {
        self.resolved.get(name).map(|r| r.source)
    }

    /// The effective value of a `long` (or narrower integer) config.
    pub fn get_i64(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(ConfigValue::as_i64)
    }

    /// The effective value of an `int` (or `short`) config.
    pub fn get_i32(&self, name: &str) -> Option<i32> {
        self.get(name).and_then(ConfigValue::as_i32)
    }

    /// The effective value of a `boolean` config.
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(ConfigValue::as_bool)
    }

    /// The effective value of a `double` config.
    pub fn get_f64(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(ConfigValue::as_f64)
    }

    /// The effective value of a `string` config.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(ConfigValue::as_str)
    }

    /// The effective value of a `list` config.
    pub fn get_list(&self, name: &str) -> Option<&[String]> {
        self.get(name).and_then(ConfigValue::as_list)
    }

    /// The topic's overrides (validated, in Kafka's string form).
    pub fn overrides(&self) -> BTreeMap<String, String> {
        self.resolved
            .iter()
            .filter(|(_, r)| r.source == ConfigSource::DynamicTopicConfig)
            .map(|(name, r)| (name.to_string(), r.value.to_kafka_string()))
            .collect()
    }

    /// DescribeConfigs entries for the topic: every topic config (sorted by name; legacy
    /// configs only if the topic overrides them) with its effective value, source,
    /// synonyms (topic override first, then broker synonyms that are set, then broker
    /// defaults), type and documentation.
    pub fn describe(&self) -> Vec<ConfigEntry> {
        self.resolved
            .values()
            .map(|r| {
                let sensitive = r.key.key.config_type.is_sensitive();
                ConfigEntry {
                    name: r.key.key.name.to_string(),
                    value: if sensitive {
                        None
                    } else {
                        Some(r.value.to_kafka_string())
                    },
                    source: r.source,
                    read_only: false,
                    sensitive,
                    synonyms: r.synonyms.clone(),
                    config_type: r.key.key.config_type,
                    documentation: Some(r.key.key.doc.to_string()),
                }
            })
            .collect()
    }

    fn long_or(&self, name: &str, fallback: i64) -> i64 {
        self.get_i64(name).unwrap_or(fallback)
    }

    fn int_or(&self, name: &str, fallback: i32) -> i32 {
        self.get_i32(name).unwrap_or(fallback)
    }

    /// `retention.ms`: maximum age of a segment under the delete policy, -1 for none.
    pub fn retention_ms(&self) -> i64 {
        self.long_or("retention.ms", 604_800_000)
    }

    /// `retention.bytes`: maximum partition size under the delete policy, -1 for none.
    pub fn retention_bytes(&self) -> i64 {
        self.long_or("retention.bytes", -1)
    }

    /// `segment.bytes`: segment file size.
    pub fn segment_bytes(&self) -> i32 {
        self.int_or("segment.bytes", 1_073_741_824)
    }

    /// `segment.ms`: time after which the active segment rolls.
    pub fn segment_ms(&self) -> i64 {
        self.long_or("segment.ms", 604_800_000)
    }

    /// `segment.jitter.ms`: maximum jitter subtracted from the roll time.
    pub fn segment_jitter_ms(&self) -> i64 {
        self.long_or("segment.jitter.ms", 0)
    }

    /// `segment.index.bytes`: offset index size.
    pub fn segment_index_bytes(&self) -> i32 {
        self.int_or("segment.index.bytes", 10_485_760)
    }

    /// `index.interval.bytes`: bytes of log between offset index entries.
    pub fn index_interval_bytes(&self) -> i32 {
        self.int_or("index.interval.bytes", 4096)
    }

    /// `max.message.bytes`: largest record batch accepted.
    pub fn max_message_bytes(&self) -> i32 {
        self.int_or("max.message.bytes", 1_048_588)
    }

    /// `cleanup.policy` as a list (`delete`, `compact`, both, or empty).
    pub fn cleanup_policy(&self) -> Vec<String> {
        self.get_list("cleanup.policy")
            .map(<[String]>::to_vec)
            .unwrap_or_else(|| vec!["delete".to_string()])
    }

    /// Whether `cleanup.policy` includes `compact`.
    pub fn compact(&self) -> bool {
        self.cleanup_policy().iter().any(|p| p == "compact")
    }

    /// Whether `cleanup.policy` includes `delete`.
    pub fn delete(&self) -> bool {
        self.cleanup_policy().iter().any(|p| p == "delete")
    }

    /// `compression.type`: `producer`, `uncompressed`, `gzip`, `snappy`, `lz4` or `zstd`.
    pub fn compression_type(&self) -> &str {
        self.get_str("compression.type").unwrap_or("producer")
    }

    /// `message.timestamp.type`: `CreateTime` or `LogAppendTime`.
    pub fn message_timestamp_type(&self) -> &str {
        self.get_str("message.timestamp.type")
            .unwrap_or("CreateTime")
    }

    /// Whether `message.timestamp.type` is `LogAppendTime`.
    pub fn log_append_time(&self) -> bool {
        self.message_timestamp_type() == "LogAppendTime"
    }

    /// `message.timestamp.before.max.ms`.
    pub fn message_timestamp_before_max_ms(&self) -> i64 {
        self.long_or("message.timestamp.before.max.ms", i64::MAX)
    }

    /// `message.timestamp.after.max.ms`.
    pub fn message_timestamp_after_max_ms(&self) -> i64 {
        self.long_or("message.timestamp.after.max.ms", 3_600_000)
    }

    /// `min.insync.replicas`.
    pub fn min_insync_replicas(&self) -> i32 {
        self.int_or("min.insync.replicas", 1)
    }

    /// `delete.retention.ms`: how long tombstones are kept in compacted topics.
    pub fn delete_retention_ms(&self) -> i64 {
        self.long_or("delete.retention.ms", 86_400_000)
    }

    /// `min.compaction.lag.ms`.
    pub fn min_compaction_lag_ms(&self) -> i64 {
        self.long_or("min.compaction.lag.ms", 0)
    }

    /// `max.compaction.lag.ms`.
    pub fn max_compaction_lag_ms(&self) -> i64 {
        self.long_or("max.compaction.lag.ms", i64::MAX)
    }

    /// `min.cleanable.dirty.ratio`.
    pub fn min_cleanable_dirty_ratio(&self) -> f64 {
        self.get_f64("min.cleanable.dirty.ratio").unwrap_or(0.5)
    }

    /// `file.delete.delay.ms`.
    pub fn file_delete_delay_ms(&self) -> i64 {
        self.long_or("file.delete.delay.ms", 60_000)
    }

    /// `flush.messages`.
    pub fn flush_messages(&self) -> i64 {
        self.long_or("flush.messages", i64::MAX)
    }

    /// `flush.ms`.
    pub fn flush_ms(&self) -> i64 {
        self.long_or("flush.ms", i64::MAX)
    }

    /// `preallocate`.
    pub fn preallocate(&self) -> bool {
        self.get_bool("preallocate").unwrap_or(false)
    }

    /// `unclean.leader.election.enable`.
    pub fn unclean_leader_election_enable(&self) -> bool {
        self.get_bool("unclean.leader.election.enable")
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::broker::BrokerConfig;

    fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn broker(pairs: &[(&str, &str)]) -> BrokerConfig {
        BrokerConfig::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .expect("valid broker config")
    }

    fn entry<'a>(entries: &'a [ConfigEntry], name: &str) -> &'a ConfigEntry {
        entries
            .iter()
            .find(|e| e.name == name)
            .expect("entry present")
    }

    fn syn(name: &str, value: &str, source: ConfigSource) -> ConfigSynonym {
        ConfigSynonym {
            name: name.to_string(),
            value: Some(value.to_string()),
            source,
        }
    }

    #[test]
    fn table_is_complete_and_sorted() {
        let names: Vec<&str> = topic_config_names().collect();
        assert_eq!(
            names,
            vec![
                "cleanup.policy",
                "compression.gzip.level",
                "compression.lz4.level",
                "compression.type",
                "compression.zstd.level",
                "delete.retention.ms",
                "file.delete.delay.ms",
                "flush.messages",
                "flush.ms",
                "follower.replication.throttled.replicas",
                "index.interval.bytes",
                "leader.replication.throttled.replicas",
                "local.retention.bytes",
                "local.retention.ms",
                "max.compaction.lag.ms",
                "max.message.bytes",
                "message.timestamp.after.max.ms",
                "message.timestamp.before.max.ms",
                "message.timestamp.type",
                "min.cleanable.dirty.ratio",
                "min.compaction.lag.ms",
                "min.insync.replicas",
                "preallocate",
                "remote.log.copy.disable",
                "remote.log.delete.on.disable",
                "remote.storage.enable",
                "retention.bytes",
                "retention.ms",
                "segment.bytes",
                "segment.index.bytes",
                "segment.jitter.ms",
                "segment.ms",
                "unclean.leader.election.enable",
            ]
        );
        // Every default parses and passes its own validator.
        for key in topic_config_keys() {
            let default = key.key.default.expect("topic configs have defaults");
            assert!(key.key.parse(default).is_ok(), "{}", key.key.name);
        }
    }

    #[test]
    fn every_synonym_is_a_broker_config_of_a_compatible_type() {
        for key in topic_config_keys() {
            for synonym in key.synonyms {
                let broker_key = crate::config::broker::broker_config_key(synonym.name)
                    .unwrap_or_else(|| panic!("{} missing from broker table", synonym.name));
                let topic_type = key.key.config_type;
                let broker_type = broker_key.key.config_type;
                let compatible = topic_type == broker_type
                    || (topic_type == ConfigType::Long && broker_type == ConfigType::Int);
                assert!(compatible, "{} vs {}", key.key.name, synonym.name);
            }
        }
    }

    #[test]
    fn unknown_topic_config_is_rejected_with_its_name() {
        let err = validate_topic_config("retention.msx", "1000").unwrap_err();
        assert_eq!(
            err,
            ConfigError::UnknownTopicConfig {
                name: "retention.msx".to_string()
            }
        );
        assert_eq!(err.to_string(), "Unknown topic config name: retention.msx");
        assert_eq!(err.error_code(), 40);
        // Broker-level names are not topic configs.
        assert!(validate_topic_config("log.retention.hours", "1").is_err());
    }

    #[test]
    fn bad_enum_values_are_rejected() {
        let err = validate_topic_config("cleanup.policy", "compact,remove").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value remove for configuration cleanup.policy: String must be one of: compact, delete"
        );
        let err = validate_topic_config("compression.type", "brotli").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value brotli for configuration compression.type: String must be one of: \
             uncompressed, zstd, lz4, snappy, gzip, producer"
        );
        let err = validate_topic_config("message.timestamp.type", "createtime").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value createtime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime"
        );
        assert!(validate_topic_config("cleanup.policy", "delete,compact").is_ok());
        assert!(validate_topic_config("cleanup.policy", "").is_ok());
    }

    #[test]
    fn out_of_range_and_wrong_type_values_are_rejected() {
        let err = validate_topic_config("segment.bytes", "10").unwrap_err();
        assert_eq!(
            err,
            ConfigError::InvalidValue {
                name: "segment.bytes".to_string(),
                value: "10".to_string(),
                reason: "Value must be at least 14".to_string(),
            }
        );
        assert_eq!(
            err.to_string(),
            "Invalid value 10 for configuration segment.bytes: Value must be at least 14"
        );
        assert_eq!(
            validate_topic_config("min.cleanable.dirty.ratio", "1.01")
                .unwrap_err()
                .to_string(),
            "Invalid value 1.01 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"
        );
        assert_eq!(
            validate_topic_config("retention.ms", "-2")
                .unwrap_err()
                .to_string(),
            "Invalid value -2 for configuration retention.ms: Value must be at least -1"
        );
        assert_eq!(
            validate_topic_config("retention.ms", "forever")
                .unwrap_err()
                .to_string(),
            "Invalid value forever for configuration retention.ms: Not a number of type LONG"
        );
        assert_eq!(
            validate_topic_config("compression.lz4.level", "18")
                .unwrap_err()
                .to_string(),
            "Invalid value 18 for configuration compression.lz4.level: Value must be no more than 17"
        );
        assert!(validate_topic_config("segment.bytes", "14").is_ok());
        assert!(validate_topic_config("retention.ms", "-1").is_ok());
        assert!(validate_topic_config("min.cleanable.dirty.ratio", "0").is_ok());
        assert!(validate_topic_config("segment.bytes", "2147483648").is_err());
    }

    #[test]
    fn combined_checks() {
        let b = BrokerConfig::default();
        let err = validate_topic_configs(
            &b,
            &overrides(&[
                ("min.compaction.lag.ms", "10"),
                ("max.compaction.lag.ms", "5"),
            ]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"
        );
        assert!(
            validate_topic_configs(&b, &overrides(&[("remote.storage.enable", "true")])).is_err()
        );
        assert!(
            validate_topic_configs(&b, &overrides(&[("remote.storage.enable", "false")])).is_ok()
        );
    }

    #[test]
    fn untouched_topic_reports_defaults() {
        let configs = TopicConfigs::resolve(&BrokerConfig::default(), &BTreeMap::new())
            .expect("no overrides");
        assert_eq!(configs.retention_ms(), 604_800_000);
        assert_eq!(configs.segment_bytes(), 1_073_741_824);
        assert_eq!(configs.max_message_bytes(), 1_048_588);
        assert!(configs.delete() && !configs.compact());
        let entries = configs.describe();
        assert_eq!(entries.len(), 33);

        let retention = entry(&entries, "retention.ms");
        assert_eq!(retention.value.as_deref(), Some("604800000"));
        assert_eq!(retention.source, ConfigSource::DefaultConfig);
        assert_eq!(retention.config_type, ConfigType::Long);
        assert!(!retention.read_only && !retention.sensitive);
        assert_eq!(
            retention.synonyms,
            vec![syn(
                "log.retention.hours",
                "168",
                ConfigSource::DefaultConfig
            )]
        );

        let cleanup = entry(&entries, "cleanup.policy");
        assert_eq!(cleanup.value.as_deref(), Some("delete"));
        assert_eq!(cleanup.config_type, ConfigType::List);
        assert_eq!(
            cleanup.synonyms,
            vec![syn(
                "log.cleanup.policy",
                "delete",
                ConfigSource::DefaultConfig
            )]
        );

        let flush = entry(&entries, "flush.ms");
        assert_eq!(flush.value.as_deref(), Some("9223372036854775807"));
        assert_eq!(
            flush.synonyms,
            vec![syn(
                "log.flush.scheduler.interval.ms",
                "9223372036854775807",
                ConfigSource::DefaultConfig
            )]
        );

        let remote = entry(&entries, "remote.storage.enable");
        assert_eq!(remote.value.as_deref(), Some("false"));
        assert_eq!(remote.source, ConfigSource::DefaultConfig);
        assert!(remote.synonyms.is_empty());

        let throttled = entry(&entries, "leader.replication.throttled.replicas");
        assert_eq!(throttled.value.as_deref(), Some(""));

        let ratio = entry(&entries, "min.cleanable.dirty.ratio");
        assert_eq!(ratio.value.as_deref(), Some("0.5"));
        assert_eq!(ratio.config_type, ConfigType::Double);

        // Legacy configs are hidden unless set.
        assert!(entries.iter().all(|e| e.name != "message.format.version"));
    }

    #[test]
    fn static_broker_config_is_reported_as_such() {
        let b = broker(&[
            ("log.retention.hours", "24"),
            ("log.cleanup.policy", "compact"),
        ]);
        let configs = TopicConfigs::resolve(&b, &BTreeMap::new()).expect("valid");
        assert_eq!(configs.retention_ms(), 86_400_000);
        let entries = configs.describe();
        let retention = entry(&entries, "retention.ms");
        assert_eq!(retention.value.as_deref(), Some("86400000"));
        assert_eq!(retention.source, ConfigSource::StaticBrokerConfig);
        assert_eq!(
            retention.synonyms,
            vec![
                syn(
                    "log.retention.hours",
                    "24",
                    ConfigSource::StaticBrokerConfig
                ),
                syn("log.retention.hours", "168", ConfigSource::DefaultConfig),
            ]
        );
        let cleanup = entry(&entries, "cleanup.policy");
        assert_eq!(cleanup.value.as_deref(), Some("compact"));
        assert_eq!(cleanup.source, ConfigSource::StaticBrokerConfig);
        assert!(configs.compact());
    }

    #[test]
    fn topic_override_is_reported_with_synonyms() {
        let b = broker(&[("log.retention.hours", "24")]);
        let configs = TopicConfigs::resolve(
            &b,
            &overrides(&[
                ("retention.ms", "3600000"),
                ("cleanup.policy", "compact, delete"),
            ]),
        )
        .expect("valid");
        assert_eq!(configs.retention_ms(), 3_600_000);
        let entries = configs.describe();
        let retention = entry(&entries, "retention.ms");
        assert_eq!(retention.value.as_deref(), Some("3600000"));
        assert_eq!(retention.source, ConfigSource::DynamicTopicConfig);
        assert_eq!(
            retention.synonyms,
            vec![
                syn("retention.ms", "3600000", ConfigSource::DynamicTopicConfig),
                syn(
                    "log.retention.hours",
                    "24",
                    ConfigSource::StaticBrokerConfig
                ),
                syn("log.retention.hours", "168", ConfigSource::DefaultConfig),
            ]
        );
        let cleanup = entry(&entries, "cleanup.policy");
        assert_eq!(cleanup.value.as_deref(), Some("compact,delete"));
        assert_eq!(cleanup.source, ConfigSource::DynamicTopicConfig);
        assert_eq!(
            cleanup.synonyms,
            vec![
                syn(
                    "cleanup.policy",
                    "compact,delete",
                    ConfigSource::DynamicTopicConfig
                ),
                syn("log.cleanup.policy", "delete", ConfigSource::DefaultConfig),
            ]
        );
        assert_eq!(
            configs.overrides(),
            overrides(&[
                ("cleanup.policy", "compact,delete"),
                ("retention.ms", "3600000")
            ])
        );
    }

    #[test]
    fn retention_synonym_precedence() {
        // hours only
        let c = TopicConfigs::resolve(&broker(&[("log.retention.hours", "1")]), &BTreeMap::new())
            .expect("valid");
        assert_eq!(c.retention_ms(), 3_600_000);
        // minutes beat hours
        let b = broker(&[("log.retention.hours", "1"), ("log.retention.minutes", "5")]);
        let c = TopicConfigs::resolve(&b, &BTreeMap::new()).expect("valid");
        assert_eq!(c.retention_ms(), 300_000);
        assert_eq!(
            c.describe()
                .into_iter()
                .find(|e| e.name == "retention.ms")
                .map(|e| e.synonyms),
            Some(vec![
                syn(
                    "log.retention.minutes",
                    "5",
                    ConfigSource::StaticBrokerConfig
                ),
                syn("log.retention.hours", "1", ConfigSource::StaticBrokerConfig),
                syn("log.retention.hours", "168", ConfigSource::DefaultConfig),
            ])
        );
        // ms beats minutes and hours, regardless of order in the file
        let b = broker(&[
            ("log.retention.ms", "1234"),
            ("log.retention.hours", "1"),
            ("log.retention.minutes", "5"),
        ]);
        let c = TopicConfigs::resolve(&b, &BTreeMap::new()).expect("valid");
        assert_eq!(c.retention_ms(), 1234);
        assert_eq!(b.log_retention_ms(), 1234);
        // negative broker retention means unlimited
        let b = broker(&[("log.retention.hours", "-1")]);
        assert_eq!(b.log_retention_ms(), -1);
        let c = TopicConfigs::resolve(&b, &BTreeMap::new()).expect("valid");
        assert_eq!(c.retention_ms(), -1);
        // topic override beats everything
        let b = broker(&[("log.retention.ms", "1234")]);
        let c = TopicConfigs::resolve(&b, &overrides(&[("retention.ms", "99")])).expect("valid");
        assert_eq!(c.retention_ms(), 99);
    }

    #[test]
    fn roll_and_flush_synonyms() {
        let b = broker(&[
            ("log.roll.hours", "2"),
            ("log.flush.scheduler.interval.ms", "5000"),
        ]);
        let c = TopicConfigs::resolve(&b, &BTreeMap::new()).expect("valid");
        assert_eq!(c.segment_ms(), 7_200_000);
        assert_eq!(c.flush_ms(), 5000);
        assert_eq!(c.source("flush.ms"), Some(ConfigSource::StaticBrokerConfig));
        let b = broker(&[("log.roll.ms", "60000"), ("log.roll.hours", "2")]);
        let c = TopicConfigs::resolve(&b, &BTreeMap::new()).expect("valid");
        assert_eq!(c.segment_ms(), 60_000);
    }

    #[test]
    fn dynamic_defaults_sit_between_static_and_topic() {
        let mut b = broker(&[("log.retention.ms", "5000"), ("compression.type", "gzip")]);
        b.set_dynamic_default("compression.type", "lz4")
            .expect("cluster-wide config");
        let c = TopicConfigs::resolve(&b, &BTreeMap::new()).expect("valid");
        assert_eq!(c.compression_type(), "lz4");
        let e = c
            .describe()
            .into_iter()
            .find(|e| e.name == "compression.type")
            .expect("present");
        assert_eq!(e.source, ConfigSource::DynamicDefaultBrokerConfig);
        assert_eq!(
            e.synonyms,
            vec![
                syn(
                    "compression.type",
                    "lz4",
                    ConfigSource::DynamicDefaultBrokerConfig
                ),
                syn("compression.type", "gzip", ConfigSource::StaticBrokerConfig),
                syn("compression.type", "producer", ConfigSource::DefaultConfig),
            ]
        );
        let c =
            TopicConfigs::resolve(&b, &overrides(&[("compression.type", "zstd")])).expect("valid");
        assert_eq!(c.compression_type(), "zstd");
        assert!(b.remove_dynamic_default("compression.type"));
        let c = TopicConfigs::resolve(&b, &BTreeMap::new()).expect("valid");
        assert_eq!(c.compression_type(), "gzip");
    }

    #[test]
    fn typed_getters() {
        let c = TopicConfigs::resolve(
            &BrokerConfig::default(),
            &overrides(&[
                ("preallocate", "TRUE"),
                ("min.cleanable.dirty.ratio", "0.25"),
                ("segment.bytes", "1048576"),
            ]),
        )
        .expect("valid");
        assert_eq!(c.get_bool("preallocate"), Some(true));
        assert_eq!(c.get_f64("min.cleanable.dirty.ratio"), Some(0.25));
        assert_eq!(c.get_i32("segment.bytes"), Some(1_048_576));
        assert_eq!(c.get_i64("segment.bytes"), Some(1_048_576));
        assert_eq!(c.get_str("compression.type"), Some("producer"));
        assert_eq!(
            c.get_list("cleanup.policy"),
            Some(&["delete".to_string()][..])
        );
        assert_eq!(c.get_i32("retention.ms"), None);
        assert_eq!(c.get_i64("no.such.config"), None);
        assert_eq!(c.value_string("preallocate").as_deref(), Some("true"));
    }

    #[test]
    fn legacy_configs_are_accepted_and_ignored() {
        let c = TopicConfigs::resolve(
            &BrokerConfig::default(),
            &overrides(&[
                ("message.format.version", "2.8"),
                ("message.downconversion.enable", "false"),
            ]),
        )
        .expect("accepted");
        let names: Vec<String> = c.describe().into_iter().map(|e| e.name).collect();
        assert!(names.contains(&"message.format.version".to_string()));
        assert!(!names.contains(&"message.timestamp.difference.max.ms".to_string()));
        assert!(validate_topic_config("message.timestamp.difference.max.ms", "-5").is_err());
    }

    #[test]
    fn lenient_resolution_skips_bad_overrides() {
        let (c, errors) = TopicConfigs::resolve_lenient(
            &BrokerConfig::default(),
            &overrides(&[
                ("retention.ms", "abc"),
                ("bogus", "1"),
                ("segment.ms", "1000"),
            ]),
        );
        assert_eq!(errors.len(), 2);
        assert_eq!(c.retention_ms(), 604_800_000);
        assert_eq!(c.segment_ms(), 1000);
    }
}
