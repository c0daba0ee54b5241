//! Broker and topic configuration.
//!
//! Arus reads the same configuration files and uses the same configuration names as
//! Apache Kafka (the reference is the Kafka 4.0 documentation of broker configs and
//! topic-level configs):
//!
//! * [`properties`] parses Java `.properties` text such as `server.properties`, and
//!   `--override key=value` command-line flags.
//! * [`broker`] turns those key/value pairs into a validated [`BrokerConfig`] with
//!   Arus's defaults, typed accessors and DescribeConfigs entries for the broker resource.
//! * [`topic`] holds the table of every topic-level config, validates topic overrides and
//!   resolves the effective value of each topic config ([`TopicConfigs`]) through
//!   topic override, dynamic broker default, static broker config and default, the way
//!   Kafka reports it in DescribeConfigs.
//! * [`types`] holds the value types shared by both: [`ConfigType`], [`ConfigSource`],
//!   [`ConfigEntry`], [`ConfigSynonym`], [`ConfigValue`] and [`Validator`].

pub mod broker;
pub mod properties;
pub mod topic;
pub mod types;

use std::path::PathBuf;

use kafka_protocol::ResponseError;

pub use broker::{
    broker_config_key, broker_config_keys, is_kafka_broker_config, BrokerConfig, BrokerConfigKey,
    Listener, SecurityProtocol, UpdateMode,
};
pub use properties::{parse_override, parse_properties};
pub use topic::{
    describe_topic, is_list_config, is_topic_config, topic_config_default, topic_config_key,
    topic_config_keys, topic_config_names, validate_topic_config, validate_topic_configs, TimeUnit,
    TopicConfigKey, TopicConfigs, TopicSynonym,
};
pub use types::{
    ConfigEntry, ConfigKey, ConfigSource, ConfigSynonym, ConfigType, ConfigValue, Validator,
};

/// An error in configuration: a malformed file or flag, an unknown topic config, a value
/// of the wrong type or out of range, or a setting Arus does not support.
///
/// The messages follow Kafka's wording where Kafka has one (for example
/// `Invalid value X for configuration Y: Value must be at least 14`), so that tools and
/// people who know Kafka recognise them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A `.properties` file could not be parsed (for example a malformed `\uXXXX` escape).
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line number where the logical line starts.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A `--override` argument that is not of the form `key=value`.
    #[error("Invalid override {arg:?}: expected key=value")]
    InvalidOverride {
        /// The argument as given.
        arg: String,
    },
    /// A topic config name that Kafka does not define.
    #[error("Unknown topic config name: {name}")]
    UnknownTopicConfig {
        /// The unknown name.
        name: String,
    },
    /// A value that does not parse as the config's type or fails its validator.
    #[error("Invalid value {value} for configuration {name}: {reason}")]
    InvalidValue {
        /// The configuration name.
        name: String,
        /// The offending value as supplied (trimmed).
        value: String,
        /// What is allowed.
        reason: String,
    },
    /// A combination of values that is invalid (for example
    /// `min.compaction.lag.ms` greater than `max.compaction.lag.ms`).
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
    },
    /// A valid Kafka setting that Arus does not implement yet (for example an SSL listener).
    #[error("{message}")]
    Unsupported {
        /// What is not supported.
        message: String,
    },
    /// A broker config that cannot be set as a dynamic cluster-wide default.
    #[error("Cannot update these configs dynamically: {name}")]
    NotDynamic {
        /// The configuration name.
        name: String,
    },
    /// A configuration file could not be read.
    #[error("Could not read {}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error message.
        message: String,
    },
}

impl ConfigError {
    /// The Kafka error to answer with when this error is caused by a request
    /// (CreateTopics, AlterConfigs, IncrementalAlterConfigs): `INVALID_CONFIG` (40).
    pub fn response_error(&self) -> ResponseError {
        ResponseError::InvalidConfig
    }

    /// The Kafka error code for [`ConfigError::response_error`] (40, `INVALID_CONFIG`).
    pub fn error_code(&self) -> i16 {
        self.response_error().code()
    }

    /// Shorthand for [`ConfigError::InvalidValue`].
    pub(crate) fn invalid_value(
        name: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        ConfigError::InvalidValue {
            name: name.into(),
            value: value.into(),
            reason: reason.into(),
        }
    }
}
