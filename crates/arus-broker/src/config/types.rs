//! Types shared by broker and topic configuration: value types with Kafka's
//! DescribeConfigs codes, config sources, DescribeConfigs entries, parsed values and
//! validators.

use std::fmt;

use super::ConfigError;

/// The data type of a configuration. [`ConfigType::code`] gives the `config_type` code
/// Kafka puts in DescribeConfigs responses (v3+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigType {
    /// Type not known (code 0). Kafka uses it for supplied keys it does not define.
    Unknown,
    /// `true` or `false` (code 1).
    Boolean,
    /// A string (code 2).
    String,
    /// A 32-bit signed integer (code 3).
    Int,
    /// A 16-bit signed integer (code 4).
    Short,
    /// A 64-bit signed integer (code 5).
    Long,
    /// A double-precision float (code 6).
    Double,
    /// A comma-separated list of strings (code 7).
    List,
    /// A Java class name (code 8).
    Class,
    /// A secret; never reported in DescribeConfigs (code 9).
    Password,
}

impl ConfigType {
    /// Kafka's DescribeConfigs `config_type` code.
    pub fn code(self) -> i8 {
        match self {
            ConfigType::Unknown => 0,
            ConfigType::Boolean => 1,
            ConfigType::String => 2,
            ConfigType::Int => 3,
            ConfigType::Short => 4,
            ConfigType::Long => 5,
            ConfigType::Double => 6,
            ConfigType::List => 7,
            ConfigType::Class => 8,
            ConfigType::Password => 9,
        }
    }

    /// The type for a DescribeConfigs `config_type` code; unknown codes give
    /// [`ConfigType::Unknown`].
    pub fn from_code(code: i8) -> Self {
        match code {
            1 => ConfigType::Boolean,
            2 => ConfigType::String,
            3 => ConfigType::Int,
            4 => ConfigType::Short,
            5 => ConfigType::Long,
            6 => ConfigType::Double,
            7 => ConfigType::List,
            8 => ConfigType::Class,
            9 => ConfigType::Password,
            _ => ConfigType::Unknown,
        }
    }

    /// The lower-case name Kafka's documentation uses (`int`, `long`, `list`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ConfigType::Unknown => "unknown",
            ConfigType::Boolean => "boolean",
            ConfigType::String => "string",
            ConfigType::Int => "int",
            ConfigType::Short => "short",
            ConfigType::Long => "long",
            ConfigType::Double => "double",
            ConfigType::List => "list",
            ConfigType::Class => "class",
            ConfigType::Password => "password",
        }
    }

    /// Whether values of this type are secret (Kafka reports them with a null value).
    pub fn is_sensitive(self) -> bool {
        matches!(self, ConfigType::Password)
    }
}

impl fmt::Display for ConfigType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a configuration value comes from. [`ConfigSource::code`] gives the
/// `config_source` code of DescribeConfigs responses (v1+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConfigSource {
    /// Source unknown (code 0).
    Unknown,
    /// A topic-level override (code 1; Kafka's `TOPIC_CONFIG`, shown by the admin
    /// client as `DYNAMIC_TOPIC_CONFIG`).
    DynamicTopicConfig,
    /// A dynamic per-broker config (code 2).
    DynamicBrokerConfig,
    /// A dynamic cluster-wide default broker config (code 3).
    DynamicDefaultBrokerConfig,
    /// Set in `server.properties` or with `--override` (code 4).
    StaticBrokerConfig,
    /// The built-in default (code 5).
    DefaultConfig,
    /// A dynamic broker logger level (code 6).
    DynamicBrokerLoggerConfig,
    /// A client metrics subscription config (code 7).
    ClientMetricsConfig,
    /// A group config (code 8).
    GroupConfig,
}

impl ConfigSource {
    /// Kafka's DescribeConfigs `config_source` code.
    pub fn code(self) -> i8 {
        match self {
            ConfigSource::Unknown => 0,
            ConfigSource::DynamicTopicConfig => 1,
            ConfigSource::DynamicBrokerConfig => 2,
            ConfigSource::DynamicDefaultBrokerConfig => 3,
            ConfigSource::StaticBrokerConfig => 4,
            ConfigSource::DefaultConfig => 5,
            ConfigSource::DynamicBrokerLoggerConfig => 6,
            ConfigSource::ClientMetricsConfig => 7,
            ConfigSource::GroupConfig => 8,
        }
    }

    /// The source for a `config_source` code; unknown codes give [`ConfigSource::Unknown`].
    pub fn from_code(code: i8) -> Self {
        match code {
            1 => ConfigSource::DynamicTopicConfig,
            2 => ConfigSource::DynamicBrokerConfig,
            3 => ConfigSource::DynamicDefaultBrokerConfig,
            4 => ConfigSource::StaticBrokerConfig,
            5 => ConfigSource::DefaultConfig,
            6 => ConfigSource::DynamicBrokerLoggerConfig,
            7 => ConfigSource::ClientMetricsConfig,
            8 => ConfigSource::GroupConfig,
            _ => ConfigSource::Unknown,
        }
    }

    /// The name Kafka's admin tools print (`DYNAMIC_TOPIC_CONFIG`, `DEFAULT_CONFIG`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ConfigSource::Unknown => "UNKNOWN",
            ConfigSource::DynamicTopicConfig => "DYNAMIC_TOPIC_CONFIG",
            ConfigSource::DynamicBrokerConfig => "DYNAMIC_BROKER_CONFIG",
            ConfigSource::DynamicDefaultBrokerConfig => "DYNAMIC_DEFAULT_BROKER_CONFIG",
            ConfigSource::StaticBrokerConfig => "STATIC_BROKER_CONFIG",
            ConfigSource::DefaultConfig => "DEFAULT_CONFIG",
            ConfigSource::DynamicBrokerLoggerConfig => "DYNAMIC_BROKER_LOGGER_CONFIG",
            ConfigSource::ClientMetricsConfig => "CLIENT_METRICS_CONFIG",
            ConfigSource::GroupConfig => "GROUP_CONFIG",
        }
    }
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One synonym of a configuration as reported by DescribeConfigs: a config (possibly
/// with another name, such as `log.retention.hours` for `retention.ms`) that supplies or
/// could supply the value, with its own value and source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSynonym {
    /// The synonym's name.
    pub name: String,
    /// Its value as set (in its own unit: `log.retention.hours=168` stays `168`);
    /// `None` for sensitive values.
    pub value: Option<String>,
    /// Where that value is set.
    pub source: ConfigSource,
}

/// One configuration in a DescribeConfigs response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// Configuration name.
    pub name: String,
    /// Effective value in Kafka's string form; `None` if null or sensitive.
    pub value: Option<String>,
    /// Where the effective value comes from.
    pub source: ConfigSource,
    /// Whether it cannot be changed with (Incremental)AlterConfigs.
    pub read_only: bool,
    /// Whether the value is secret (then `value` is `None`).
    pub sensitive: bool,
    /// Synonyms in precedence order, highest first.
    pub synonyms: Vec<ConfigSynonym>,
    /// The data type.
    pub config_type: ConfigType,
    /// Human-readable description.
    pub documentation: Option<String>,
}

/// A parsed configuration value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// A boolean.
    Boolean(bool),
    /// A string (trimmed).
    String(String),
    /// A 32-bit integer.
    Int(i32),
    /// A 16-bit integer.
    Short(i16),
    /// A 64-bit integer.
    Long(i64),
    /// A double.
    Double(f64),
    /// A list of strings.
    List(Vec<String>),
    /// A class name.
    Class(String),
    /// A secret.
    Password(String),
}

impl ConfigValue {
    /// Parse `raw` as a value of type `ty` the way Kafka's `ConfigDef` does: surrounding
    /// whitespace is ignored, booleans are case-insensitive, lists are split on commas
    /// (an empty string is an empty list). `name` is used in the error message.
    pub fn parse(name: &str, ty: ConfigType, raw: &str) -> Result<ConfigValue, ConfigError> {
        let trimmed = raw.trim();
        let not_a_number = || {
            ConfigError::invalid_value(
                name,
                trimmed,
                format!("Not a number of type {}", ty.name().to_ascii_uppercase()),
            )
        };
        Ok(match ty {
            ConfigType::Boolean => {
                if trimmed.eq_ignore_ascii_case("true") {
                    ConfigValue::Boolean(true)
                } else if trimmed.eq_ignore_ascii_case("false") {
                    ConfigValue::Boolean(false)
                } else {
                    return Err(ConfigError::invalid_value(
                        name,
                        trimmed,
                        "Expected value to be either true or false",
                    ));
                }
            }
            ConfigType::Int => ConfigValue::Int(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Short => ConfigValue::Short(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Long => ConfigValue::Long(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Double => {
                let v: f64 = trimmed.parse().map_err(|_| not_a_number())?;
                ConfigValue::Double(v)
            }
            ConfigType::List => ConfigValue::List(split_list(trimmed)),
            ConfigType::Class => ConfigValue::Class(trimmed.to_string()),
            ConfigType::Password => ConfigValue::Password(trimmed.to_string()),
            ConfigType::String | ConfigType::Unknown => ConfigValue::String(trimmed.to_string()),
        })
    }

    /// The value's type.
    pub fn config_type(&self) -> ConfigType {
        match self {
            ConfigValue::Boolean(_) => ConfigType::Boolean,
            ConfigValue::String(_) => ConfigType::String,
            ConfigValue::Int(_) => ConfigType::Int,
            ConfigValue::Short(_) => ConfigType::Short,
            ConfigValue::Long(_) => ConfigType::Long,
            ConfigValue::Double(_) => ConfigType::Double,
            ConfigValue::List(_) => ConfigType::List,
            ConfigValue::Class(_) => ConfigType::Class,
            ConfigValue::Password(_) => ConfigType::Password,
        }
    }

    /// The value in the string form Kafka reports (`true`, `604800000`, `0.5`,
    /// `compact,delete`). Passwords are rendered as `[hidden]`; DescribeConfigs never
    /// reports them.
    pub fn to_kafka_string(&self) -> String {
        match self {
            ConfigValue::Boolean(b) => b.to_string(),
            ConfigValue::String(s) | ConfigValue::Class(s) => s.clone(),
            ConfigValue::Int(v) => v.to_string(),
            ConfigValue::Short(v) => v.to_string(),
            ConfigValue::Long(v) => v.to_string(),
            ConfigValue::Double(v) => java_double_string(*v),
            ConfigValue::List(items) => items.join(","),
            ConfigValue::Password(_) => "[hidden]".to_string(),
        }
    }

    /// The value as an `i64` if it is an integer of any width.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ConfigValue::Int(v) => Some(i64::from(*v)),
            ConfigValue::Short(v) => Some(i64::from(*v)),
            ConfigValue::Long(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as an `i32` if it is an `int` or `short`.
    pub fn as_i32(&self) -> Option<i32> {
        match self {
            ConfigValue::Int(v) => Some(*v),
            ConfigValue::Short(v) => Some(i32::from(*v)),
            _ => None,
        }
    }

    /// The value as an `i16` if it is a `short`, or an `int` that fits.
    pub fn as_i16(&self) -> Option<i16> {
        match self {
            ConfigValue::Short(v) => Some(*v),
            ConfigValue::Int(v) => i16::try_from(*v).ok(),
            _ => None,
        }
    }

    /// The value as an `f64` if it is a double (or an integer).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ConfigValue::Double(v) => Some(*v),
            other => other.as_i64().map(|v| v as f64),
        }
    }

    /// The value as a `bool` if it is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            ConfigValue::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The value as a string slice if it is a string, class name or password.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ConfigValue::String(s) | ConfigValue::Class(s) | ConfigValue::Password(s) => {
                Some(s.as_str())
            }
            _ => None,
        }
    }

    /// The value as a list if it is a list.
    pub fn as_list(&self) -> Option<&[String]> {
        match self {
            ConfigValue::List(items) => Some(items.as_slice()),
            _ => None,
        }
    }
}

/// Split a comma-separated list the way Kafka does: surrounding whitespace of each item
/// is removed, an empty (or blank) string is the empty list, and empty items are kept
/// (so that validators can reject them).
pub(crate) fn split_list(raw: &str) -> Vec<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed.split(',').map(|s| s.trim().to_string()).collect()
}

/// Format a double the way Java's `Double.toString` does for the values configs use:
/// `0.5`, `1.0`, `1.7976931348623157E308`.
pub(crate) fn java_double_string(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let abs = v.abs();
    if v == 0.0 || (1e-3..1e7).contains(&abs) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let s = format!("{v:e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((s.as_str(), "0"));
        if mantissa.contains('.') {
            format!("{mantissa}E{exponent}")
        } else {
            format!("{mantissa}.0E{exponent}")
        }
    }
}

/// The valid values of a configuration, checked after the value has been parsed.
/// [`fmt::Display`] renders them the way Kafka's documentation does (`[14,...]`,
/// `[0,...,1]`, `[compact, delete]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Validator {
    /// Any value of the type.
    Any,
    /// An integer at least this value.
    AtLeast(i64),
    /// An integer in this inclusive range.
    Between(i64, i64),
    /// A double in this inclusive range.
    DoubleBetween(f64, f64),
    /// One of these strings (case-sensitive).
    OneOf(&'static [&'static str]),
    /// A list whose items are each one of these strings (case-sensitive); may be empty.
    ListOf(&'static [&'static str]),
    /// A gzip compression level: 1 to 9, or -1 for the codec default.
    GzipLevel,
    /// `*`, or a list of `partitionId:brokerId` pairs (replication throttling).
    ThrottledReplicas,
    /// A list with at least one item, none of them empty.
    NonEmptyList,
}

impl Validator {
    /// Check a parsed value; `name` and `raw` are used in the error message.
    pub fn check(&self, name: &str, raw: &str, value: &ConfigValue) -> Result<(), ConfigError> {
        let raw = raw.trim();
        let fail = |reason: String| Err(ConfigError::invalid_value(name, raw, reason));
        match *self {
            Validator::Any => Ok(()),
            Validator::AtLeast(min) => match value.as_i64() {
                Some(v) if v < min => fail(format!("Value must be at least {min}")),
                _ => Ok(()),
            },
            Validator::Between(min, max) => match value.as_i64() {
                Some(v) if v < min => fail(format!("Value must be at least {min}")),
                Some(v) if v > max => fail(format!("Value must be no more than {max}")),
                _ => Ok(()),
            },
            Validator::DoubleBetween(min, max) => match value.as_f64() {
                Some(v) if v.is_nan() => fail(format!(
                    "Value must be between {} and {}",
                    trim_float(min),
                    trim_float(max)
                )),
                Some(v) if v < min => fail(format!("Value must be at least {}", trim_float(min))),
                Some(v) if v > max => {
                    fail(format!("Value must be no more than {}", trim_float(max)))
                }
                _ => Ok(()),
            },
            Validator::OneOf(allowed) => match value.as_str() {
                Some(s) if !allowed.contains(&s) => {
                    fail(format!("String must be one of: {}", allowed.join(", ")))
                }
                _ => Ok(()),
            },
            Validator::ListOf(allowed) => {
                for item in value.as_list().unwrap_or(&[]) {
                    if !allowed.contains(&item.as_str()) {
                        return Err(ConfigError::invalid_value(
                            name,
                            item.as_str(),
                            format!("String must be one of: {}", allowed.join(", ")),
                        ));
                    }
                }
                Ok(())
            }
            Validator::GzipLevel => match value.as_i64() {
                Some(v) if v != -1 && !(1..=9).contains(&v) => {
                    fail("Value must be between 1 and 9, or -1".to_string())
                }
                _ => Ok(()),
            },
            Validator::ThrottledReplicas => {
                let items = value.as_list().unwrap_or(&[]);
                let wildcard = items.len() == 1 && items[0] == "*";
                let pairs_ok = items.iter().all(|item| {
                    item.split_once(':').is_some_and(|(p, b)| {
                        p.trim().parse::<i32>().is_ok() && b.trim().parse::<i32>().is_ok()
                    })
                });
                if wildcard || pairs_ok {
                    Ok(())
                } else {
                    fail(
                        "must be the literal '*' or a list of replicas in the following format: \
                         [partitionId]:[brokerId],[partitionId]:[brokerId],..."
                            .to_string(),
                    )
                }
            }
            Validator::NonEmptyList => {
                let items = value.as_list().unwrap_or(&[]);
                if items.is_empty() || items.iter().any(|s| s.is_empty()) {
                    fail("Value must be a non-empty list with no empty items".to_string())
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Render a float bound without a useless fraction (`0`, `1`, `0.5`).
fn trim_float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

impl fmt::Display for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Validator::Any => Ok(()),
            Validator::AtLeast(min) => write!(f, "[{min},...]"),
            Validator::Between(min, max) => write!(f, "[{min},...,{max}]"),
            Validator::DoubleBetween(min, max) => {
                write!(f, "[{},...,{}]", trim_float(min), trim_float(max))
            }
            Validator::OneOf(allowed) | Validator::ListOf(allowed) => {
                write!(f, "[{}]", allowed.join(", "))
            }
            Validator::GzipLevel => f.write_str("[1,...,9] or -1"),
            Validator::ThrottledReplicas => {
                f.write_str("[partitionId]:[brokerId],[partitionId]:[brokerId],...")
            }
            Validator::NonEmptyList => f.write_str("non-empty list"),
        }
    }
}

/// The definition of one configuration: name, type, default and valid values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfigKey {
    /// Configuration name.
    pub name: &'static str,
    /// Data type.
    pub config_type: ConfigType,
    /// Default value in Kafka's string form; `None` means null (not set).
    pub default: Option<&'static str>,
    /// Valid values.
    pub validator: Validator,
    /// Human-readable description.
    pub doc: &'static str,
}

impl ConfigKey {
    /// Parse and validate a supplied value.
    pub fn parse(&self, raw: &str) -> Result<ConfigValue, ConfigError> {
        let value = ConfigValue::parse(self.name, self.config_type, raw)?;
        self.validator.check(self.name, raw, &value)?;
        Ok(value)
    }

    /// The parsed default, or `None` if the default is null.
    pub fn default_value(&self) -> Option<ConfigValue> {
        self.default
            .and_then(|d| ConfigValue::parse(self.name, self.config_type, d).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_and_source_codes_match_kafka() {
        let types = [
            (ConfigType::Unknown, 0),
            (ConfigType::Boolean, 1),
            (ConfigType::String, 2),
            (ConfigType::Int, 3),
            (ConfigType::Short, 4),
            (ConfigType::Long, 5),
            (ConfigType::Double, 6),
            (ConfigType::List, 7),
            (ConfigType::Class, 8),
            (ConfigType::Password, 9),
        ];
        for (t, code) in types {
            assert_eq!(t.code(), code);
            assert_eq!(ConfigType::from_code(code), t);
        }
        let sources = [
            (ConfigSource::Unknown, 0),
            (ConfigSource::DynamicTopicConfig, 1),
            (ConfigSource::DynamicBrokerConfig, 2),
            (ConfigSource::DynamicDefaultBrokerConfig, 3),
            (ConfigSource::StaticBrokerConfig, 4),
            (ConfigSource::DefaultConfig, 5),
            (ConfigSource::DynamicBrokerLoggerConfig, 6),
            (ConfigSource::ClientMetricsConfig, 7),
            (ConfigSource::GroupConfig, 8),
        ];
        for (s, code) in sources {
            assert_eq!(s.code(), code);
            assert_eq!(ConfigSource::from_code(code), s);
        }
        assert_eq!(ConfigSource::from_code(42), ConfigSource::Unknown);
    }

    #[test]
    fn parse_values_like_kafka() {
        assert_eq!(
            ConfigValue::parse("x", ConfigType::Boolean, " TRUE "),
            Ok(ConfigValue::Boolean(true))
        );
        assert_eq!(
            ConfigValue::parse("x", ConfigType::List, " compact , delete "),
            Ok(ConfigValue::List(vec!["compact".into(), "delete".into()]))
        );
        assert_eq!(
            ConfigValue::parse("x", ConfigType::List, "  "),
            Ok(ConfigValue::List(vec![]))
        );
        assert_eq!(
            ConfigValue::parse("segment.bytes", ConfigType::Int, "12x")
                .unwrap_err()
                .to_string(),
            "Invalid value 12x for configuration segment.bytes: Not a number of type INT"
        );
        assert_eq!(
            ConfigValue::parse("preallocate", ConfigType::Boolean, "yes")
                .unwrap_err()
                .to_string(),
            "Invalid value yes for configuration preallocate: Expected value to be either true or false"
        );
        assert!(ConfigValue::parse("x", ConfigType::Int, "2147483648").is_err());
        assert!(ConfigValue::parse("x", ConfigType::Short, "40000").is_err());
    }

    #[test]
    fn java_style_double_strings() {
        assert_eq!(java_double_string(0.5), "0.5");
        assert_eq!(java_double_string(1.0), "1.0");
        assert_eq!(java_double_string(0.0), "0.0");
        assert_eq!(java_double_string(f64::MAX), "1.7976931348623157E308");
        assert_eq!(java_double_string(1e7), "1.0E7");
    }

    #[test]
    fn validators_render_and_check() {
        assert_eq!(Validator::AtLeast(14).to_string(), "[14,...]");
        assert_eq!(Validator::DoubleBetween(0.0, 1.0).to_string(), "[0,...,1]");
        assert_eq!(
            Validator::ListOf(&["compact", "delete"]).to_string(),
            "[compact, delete]"
        );
        let ratio = ConfigValue::Double(1.5);
        assert_eq!(
            Validator::DoubleBetween(0.0, 1.0)
                .check("min.cleanable.dirty.ratio", "1.5", &ratio)
                .unwrap_err()
                .to_string(),
            "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"
        );
        let throttled = ConfigValue::List(vec!["0:1".into(), "1:2".into()]);
        assert!(Validator::ThrottledReplicas
            .check("x", "0:1,1:2", &throttled)
            .is_ok());
        let star = ConfigValue::List(vec!["*".into()]);
        assert!(Validator::ThrottledReplicas.check("x", "*", &star).is_ok());
        let bad = ConfigValue::List(vec!["a:b".into()]);
        assert!(Validator::ThrottledReplicas
            .check("x", "a:b", &bad)
            .is_err());
        assert!(Validator::GzipLevel
            .check("x", "-1", &ConfigValue::Int(-1))
            .is_ok());
        assert!(Validator::GzipLevel
            .check("x", "0", &ConfigValue::Int(0))
            .is_err());
    }
}
