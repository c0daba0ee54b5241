//! `arus console-producer`: kafka-console-producer.sh. Reads stdin, one record per line,
//! with Kafka's LineMessageReader properties (parse.key, key.separator, parse.headers,
//! headers.delimiter, headers.separator, headers.key.separator, null.marker).

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::Duration;

use clap::Args;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};

use super::{client_config, fail, parse_properties, prop_bool, runtime, ToolError, ToolResult};

#[derive(Args, Debug)]
pub struct ProducerArgs {
    /// REQUIRED: the server(s) to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: Option<String>,
    /// REQUIRED: the topic to produce messages to.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// Reader properties: parse.key, key.separator, parse.headers, headers.delimiter,
    /// headers.separator, headers.key.separator, null.marker (repeatable key=value).
    #[arg(long = "property", value_name = "PROP")]
    pub property: Vec<String>,
    /// Producer config overrides (repeatable key=value), e.g. acks=1.
    #[arg(long = "producer-property", value_name = "PROP")]
    pub producer_property: Vec<String>,
    /// The required acks of the producer requests: all, -1, 0 or 1.
    #[arg(
        long = "request-required-acks",
        value_name = "ACKS",
        default_value = "-1"
    )]
    pub acks: String,
    /// Compression codec: none, gzip, snappy, lz4 or zstd.
    #[arg(long = "compression-codec", value_name = "CODEC", num_args = 0..=1, default_missing_value = "gzip")]
    pub compression_codec: Option<String>,
}

pub fn run(args: ProducerArgs) -> i32 {
    match execute(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("ERROR {e}");
            1
        }
    }
}

/// How one stdin line becomes a record.
struct LineReader {
    parse_key: bool,
    key_separator: String,
    parse_headers: bool,
    headers_delimiter: String,
    headers_separator: String,
    headers_key_separator: String,
    null_marker: Option<String>,
}

type Parsed = (
    Option<String>,
    Option<String>,
    Vec<(String, Option<String>)>,
);

impl LineReader {
    fn new(props: &HashMap<String, String>) -> LineReader {
        let get = |k: &str, d: &str| props.get(k).cloned().unwrap_or_else(|| d.to_string());
        LineReader {
            parse_key: prop_bool(props, "parse.key"),
            key_separator: get("key.separator", "\t"),
            parse_headers: prop_bool(props, "parse.headers"),
            headers_delimiter: get("headers.delimiter", "\t"),
            headers_separator: get("headers.separator", ","),
            headers_key_separator: get("headers.key.separator", ":"),
            null_marker: props.get("null.marker").cloned(),
        }
    }

    fn nullable(&self, s: &str) -> Option<String> {
        match &self.null_marker {
            Some(m) if m == s => None,
            _ => Some(s.to_string()),
        }
    }

    fn parse(&self, line: &str, n: usize) -> ToolResult<Parsed> {
        let mut rest = line;
        let mut headers = Vec::new();
        if self.parse_headers {
            let Some((h, r)) = rest.split_once(self.headers_delimiter.as_str()) else {
                return fail(format!(
                    "No headers delimiter found on line number {n}: '{line}'"
                ));
            };
            rest = r;
            if self.null_marker.as_deref() != Some(h) {
                for part in h.split(self.headers_separator.as_str()) {
                    match part.split_once(self.headers_key_separator.as_str()) {
                        Some((k, v)) => headers.push((k.to_string(), self.nullable(v))),
                        None => headers.push((part.to_string(), None)),
                    }
                }
            }
        }
        let mut key = None;
        if self.parse_key {
            let Some((k, r)) = rest.split_once(self.key_separator.as_str()) else {
                return fail(format!(
                    "No key separator found on line number {n}: '{line}'"
                ));
            };
            key = self.nullable(k);
            rest = r;
        }
        Ok((key, self.nullable(rest), headers))
    }
}

fn execute(args: ProducerArgs) -> ToolResult<()> {
    let Some(bootstrap) = args.bootstrap_server.as_deref() else {
        return fail("Missing required argument \"[bootstrap-server]\"");
    };
    let Some(topic) = args.topic.as_deref() else {
        return fail("Missing required argument \"[topic]\"");
    };
    let props = parse_properties(&args.property)?;
    let reader = LineReader::new(&props);
    let mut config = client_config(bootstrap);
    let acks = if args.acks == "all" {
        "-1"
    } else {
        args.acks.as_str()
    };
    config
        .set("acks", acks)
        .set("linger.ms", "1000")
        .set("message.timeout.ms", "30000")
        .set("enable.idempotence", "false");
    if let Some(codec) = &args.compression_codec {
        config.set("compression.codec", codec);
    }
    for (k, v) in parse_properties(&args.producer_property)? {
        config.set(k, v);
    }
    let producer: FutureProducer = config
        .create()
        .map_err(|e| ToolError(format!("cannot create producer: {e}")))?;
    // Fail within a bounded time, naming the address, when no broker answers (all-topics
    // metadata, so nothing is auto-created by the check).
    producer
        .client()
        .fetch_metadata(None, super::CONNECT_TIMEOUT)
        .map_err(|_| super::unreachable(bootstrap))?;
    let rt = runtime();
    let interactive = unsafe { libc::isatty(0) } == 1;
    let prompt = || {
        if interactive {
            print!(">");
            let _ = std::io::stdout().flush();
        }
    };
    let mut pending = Vec::new();
    let stdin = std::io::stdin();
    let mut n = 0;
    prompt();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| ToolError(format!("cannot read stdin: {e}")))?;
        n += 1;
        let (key, value, headers) = reader.parse(&line, n)?;
        let mut record: FutureRecord<'_, str, str> = FutureRecord::to(topic);
        if let Some(k) = &key {
            record = record.key(k.as_str());
        }
        if let Some(v) = &value {
            record = record.payload(v.as_str());
        }
        if !headers.is_empty() {
            let mut h = OwnedHeaders::new_with_capacity(headers.len());
            for (k, v) in &headers {
                h = h.insert(Header {
                    key: k,
                    value: v.as_deref(),
                });
            }
            record = record.headers(h);
        }
        match producer.send_result(record) {
            Ok(fut) => pending.push(fut),
            Err((e, _)) => {
                return fail(format!("Error when sending message to topic {topic}: {e}"))
            }
        }
        prompt();
    }
    let _ = producer.flush(Duration::from_secs(30));
    for fut in pending {
        match rt.block_on(fut) {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => {
                return fail(format!("Error when sending message to topic {topic}: {e}"))
            }
            Err(_) => {
                return fail(format!(
                    "Error when sending message to topic {topic}: delivery cancelled"
                ))
            }
        }
    }
    Ok(())
}
