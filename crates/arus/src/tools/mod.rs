//! Kafka-style command-line tools (`arus topics`, `arus console-producer`,
//! `arus console-consumer`, `arus consumer-groups`, `arus configs`): the same flags, defaults
//! and output as Kafka's `bin/*.sh` scripts. Topics and the console tools are built on
//! librdkafka (rdkafka); consumer-groups and configs speak the protocol through [`wire`],
//! because librdkafka wraps neither OffsetDelete nor IncrementalAlterConfigs with synonyms.

pub mod configs;
pub mod consumer;
pub mod datetime;
pub mod groups;
pub mod perf;
pub mod producer;
pub mod scripts;
pub mod topics;
pub mod wire;

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// How long a tool waits for an unreachable broker before giving up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A tool failure: the one-line reason printed on stderr before exiting with status 1.
#[derive(Debug)]
pub struct ToolError(pub String);

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ToolError {}

pub type ToolResult<T> = Result<T, ToolError>;

pub fn fail<T>(msg: impl Into<String>) -> ToolResult<T> {
    Err(ToolError(msg.into()))
}

/// The client configuration every tool starts from.
pub fn client_config(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("socket.connection.setup.timeout.ms", "10000")
        .set("log_level", "0");
    c
}

/// Parses repeated `--property key=value` arguments.
pub fn parse_properties(props: &[String]) -> ToolResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    for p in props {
        match p.split_once('=') {
            Some((k, v)) => {
                out.insert(k.trim().to_string(), v.to_string());
            }
            None => return fail(format!("Invalid property '{p}': expected key=value")),
        }
    }
    Ok(out)
}

/// A boolean property, `false` when absent.
pub fn prop_bool(props: &HashMap<String, String>, key: &str) -> bool {
    props
        .get(key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Checks that the broker answers within [`CONNECT_TIMEOUT`].
pub fn unreachable(bootstrap: &str) -> ToolError {
    ToolError(format!(
        "Timed out waiting for a node assignment: could not connect to the broker at {bootstrap} within {}s",
        CONNECT_TIMEOUT.as_secs()
    ))
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Reads a Java `.properties` file (`--command-config`, `--producer.config`,
/// `--consumer.config`) as Kafka's `Utils.loadProps` does: `#`/`!` comment lines, `key=value`,
/// `key: value` or `key value`, backslash line continuations and escapes; keys and values
/// trimmed. Later duplicates win when the pairs are applied in order.
pub fn load_properties_file(path: &str) -> ToolResult<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let reason = match e.kind() {
            std::io::ErrorKind::NotFound => "No such file or directory".to_string(),
            _ => e.to_string(),
        };
        ToolError(format!("{path} ({reason})"))
    })?;
    let mut out = Vec::new();
    let mut logical = String::new();
    for raw in text.lines() {
        let line = raw.trim_start();
        if logical.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with('!'))
        {
            continue;
        }
        // An odd number of trailing backslashes continues the line on the next one.
        let trailing = line.chars().rev().take_while(|c| *c == '\\').count();
        if trailing % 2 == 1 {
            logical.push_str(&line[..line.len() - 1]);
            continue;
        }
        logical.push_str(line);
        let entry = std::mem::take(&mut logical);
        out.push(split_property(&entry));
    }
    if !logical.is_empty() {
        out.push(split_property(&logical));
    }
    Ok(out)
}

/// Splits one logical properties line at the first unescaped `=`, `:` or whitespace.
fn split_property(line: &str) -> (String, String) {
    let mut key_end = line.len();
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' || c.is_whitespace() {
            key_end = i;
            break;
        }
    }
    let key = &line[..key_end];
    let mut rest = line[key_end..].trim_start();
    if let Some(r) = rest.strip_prefix(['=', ':']) {
        rest = r;
    }
    (
        unescape_property(key).trim().to_string(),
        unescape_property(rest).trim().to_string(),
    )
}

/// Resolves the `.properties` escapes: `\t`, `\n`, `\r`, `\f`, `\uXXXX`, `\x` for any other x.
fn unescape_property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.clone().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => {
                        out.push(ch);
                        for _ in 0..4 {
                            chars.next();
                        }
                    }
                    _ => out.push('u'),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Applies client properties (from a properties file or repeated `--*-property` flags) to a
/// librdkafka configuration. Keys librdkafka does not know — Java-only settings such as
/// `key.serializer` or `sasl.jaas.config` — are skipped and returned so the caller can warn
/// once; a known key with a value librdkafka rejects is an error.
pub fn apply_client_properties(
    config: &mut ClientConfig,
    props: &[(String, String)],
) -> ToolResult<Vec<String>> {
    use rdkafka::bindings as rd;
    use std::ffi::{CStr, CString};
    let mut ignored = Vec::new();
    // SAFETY: a scratch configuration object, used only to ask librdkafka whether it knows
    // each key, destroyed exactly once; every C string outlives the call that reads it.
    unsafe {
        let scratch = rd::rd_kafka_conf_new();
        for (k, v) in props {
            let (Ok(ck), Ok(cv)) = (CString::new(k.as_str()), CString::new(v.as_str())) else {
                ignored.push(k.clone());
                continue;
            };
            let mut err = [0 as std::os::raw::c_char; 512];
            let res = rd::rd_kafka_conf_set(
                scratch,
                ck.as_ptr(),
                cv.as_ptr(),
                err.as_mut_ptr(),
                err.len(),
            );
            match res {
                rd::rd_kafka_conf_res_t::RD_KAFKA_CONF_OK => {
                    // librdkafka knows some settings under two names; keep only the newest
                    // spelling so the later source wins whatever the map's order.
                    for (a, b) in CONFIG_ALIASES {
                        if k == a {
                            config.remove(b);
                        } else if k == b {
                            config.remove(a);
                        }
                    }
                    config.set(k, v);
                }
                rd::rd_kafka_conf_res_t::RD_KAFKA_CONF_UNKNOWN => ignored.push(k.clone()),
                rd::rd_kafka_conf_res_t::RD_KAFKA_CONF_INVALID => {
                    let msg = CStr::from_ptr(err.as_ptr()).to_string_lossy().into_owned();
                    rd::rd_kafka_conf_destroy(scratch);
                    return fail(msg);
                }
            }
        }
        rd::rd_kafka_conf_destroy(scratch);
    }
    Ok(ignored)
}

/// Pairs of names librdkafka accepts for one setting (Java's name first).
const CONFIG_ALIASES: [(&str, &str); 6] = [
    ("acks", "request.required.acks"),
    ("linger.ms", "queue.buffering.max.ms"),
    ("retries", "message.send.max.retries"),
    ("compression.type", "compression.codec"),
    ("sasl.mechanism", "sasl.mechanisms"),
    ("bootstrap.servers", "metadata.broker.list"),
];

/// Warns once on stderr about configuration keys this client does not support.
pub fn warn_ignored_configs(ignored: &[String]) {
    if !ignored.is_empty() {
        eprintln!(
            "WARN These configurations '[{}]' were supplied but are not known to this client and were ignored.",
            ignored.join(", ")
        );
    }
}

/// Consumer errors librdkafka recovers from by itself (connections, resolution, timeouts):
/// the Java console consumer keeps polling through them, and so does this one.
pub fn transient(e: &KafkaError) -> bool {
    matches!(
        e,
        KafkaError::MessageConsumption(
            RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::Resolve
                | RDKafkaErrorCode::OperationTimedOut
                | RDKafkaErrorCode::RequestTimedOut
                | RDKafkaErrorCode::PartitionEOF
                | RDKafkaErrorCode::NetworkException
        )
    )
}
