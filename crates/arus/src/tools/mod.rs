//! Kafka-style command-line tools (`arus topics`, `arus console-producer`,
//! `arus console-consumer`, `arus consumer-groups`, `arus configs`): the same flags, defaults
//! and output as Kafka's `bin/*.sh` scripts. Topics and the console tools are built on
//! librdkafka (rdkafka); consumer-groups and configs speak the protocol through [`wire`],
//! because librdkafka wraps neither OffsetDelete nor IncrementalAlterConfigs with synonyms.

pub mod configs;
pub mod consumer;
pub mod groups;
pub mod producer;
pub mod scripts;
pub mod topics;
pub mod wire;

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::config::ClientConfig;

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
