//! `arus console-producer`: kafka-console-producer.sh. Reads stdin, one record per line,
//! with Kafka's LineMessageReader properties (parse.key, key.separator, parse.headers,
//! headers.delimiter, headers.separator, headers.key.separator, ignore.error, null.marker).

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use clap::Args;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use regex::Regex;

use super::{
    apply_client_properties, client_config, fail, load_properties_file, parse_properties,
    prop_bool, runtime, warn_ignored_configs, ToolError, ToolResult,
};

#[derive(Args, Debug)]
pub struct ProducerArgs {
    /// REQUIRED: the server(s) to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: Option<String>,
    /// REQUIRED: the topic to produce messages to.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// Reader properties: parse.key, key.separator, parse.headers, headers.delimiter,
    /// headers.separator, headers.key.separator, ignore.error, null.marker (repeatable
    /// key=value). Unknown properties are ignored, as Kafka does.
    #[arg(long = "property", value_name = "PROP")]
    pub property: Vec<String>,
    /// Config properties file for the message reader; --property takes precedence.
    #[arg(long = "reader-config", value_name = "FILE")]
    pub reader_config: Option<String>,
    /// Producer config overrides (repeatable key=value), e.g. acks=1.
    #[arg(long = "producer-property", value_name = "PROP")]
    pub producer_property: Vec<String>,
    /// Producer config properties file; --producer-property takes precedence.
    #[arg(long = "producer.config", value_name = "FILE")]
    pub producer_config: Option<String>,
    /// Send each record synchronously: wait for its acknowledgement before the next line.
    #[arg(long)]
    pub sync: bool,
    /// The required acks of the producer requests: all, -1, 0 or 1 (default -1).
    #[arg(long = "request-required-acks", value_name = "ACKS")]
    pub acks: Option<String>,
    /// Compression codec: none, gzip, snappy, lz4 or zstd.
    #[arg(long = "compression-codec", value_name = "CODEC", num_args = 0..=1, default_missing_value = "gzip")]
    pub compression_codec: Option<String>,
    /// Batch size in bytes (`batch.size`).
    #[arg(long = "batch-size", value_name = "SIZE")]
    pub batch_size: Option<u32>,
    /// The buffer size allocated for a partition (`batch.size`); wins over --batch-size.
    #[arg(long = "max-partition-memory-bytes", value_name = "BYTES")]
    pub max_partition_memory_bytes: Option<u32>,
    /// How long a record may wait for a batch to fill, in ms (`linger.ms`, default 1000).
    #[arg(long = "timeout", alias = "linger-ms", value_name = "MS")]
    pub timeout: Option<u64>,
    /// Retries before the producer gives up on a record (`retries`).
    #[arg(long = "message-send-max-retries", value_name = "N")]
    pub message_send_max_retries: Option<u32>,
    /// Wait before each retry, in ms (`retry.backoff.ms`).
    #[arg(long = "retry-backoff-ms", value_name = "MS")]
    pub retry_backoff_ms: Option<u64>,
    /// The ack timeout of the producer requests, in ms (`request.timeout.ms`).
    #[arg(long = "request-timeout-ms", value_name = "MS")]
    pub request_timeout_ms: Option<u64>,
    /// Force a metadata refresh after this many ms (`metadata.max.age.ms`).
    #[arg(long = "metadata-expiry-ms", value_name = "MS")]
    pub metadata_expiry_ms: Option<u64>,
    /// Memory for records waiting to be sent, in bytes (`queue.buffering.max.kbytes`).
    #[arg(long = "max-memory-bytes", value_name = "BYTES")]
    pub max_memory_bytes: Option<u64>,
    /// The TCP send buffer size (`socket.send.buffer.bytes`).
    #[arg(long = "socket-buffer-size", value_name = "SIZE")]
    pub socket_buffer_size: Option<u32>,
    /// Accepted for compatibility: librdkafka never blocks a send on metadata.
    #[arg(long = "max-block-ms", value_name = "MS")]
    pub max_block_ms: Option<u64>,
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

/// How one stdin line becomes a record: Kafka's LineMessageReader.
struct LineReader {
    parse_key: bool,
    key_separator: String,
    parse_headers: bool,
    headers_delimiter: String,
    /// A regular expression, as in Kafka (`Pattern.compile(headers.separator)`).
    headers_separator: Regex,
    headers_key_separator: String,
    ignore_error: bool,
    null_marker: Option<String>,
}

type Parsed = (
    Option<String>,
    Option<String>,
    Vec<(String, Option<String>)>,
);

impl LineReader {
    fn new(props: &HashMap<String, String>) -> ToolResult<LineReader> {
        let get = |k: &str, d: &str| props.get(k).cloned().unwrap_or_else(|| d.to_string());
        let headers_delimiter = get("headers.delimiter", "\t");
        let headers_separator = get("headers.separator", ",");
        let headers_key_separator = get("headers.key.separator", ":");
        let key_separator = get("key.separator", "\t");
        let null_marker = props.get("null.marker").cloned();
        let must_differ = [
            (
                "headers.delimiter",
                &headers_delimiter,
                "headers.separator",
                &headers_separator,
            ),
            (
                "headers.delimiter",
                &headers_delimiter,
                "headers.key.separator",
                &headers_key_separator,
            ),
            (
                "headers.separator",
                &headers_separator,
                "headers.key.separator",
                &headers_key_separator,
            ),
        ];
        for (a, va, b, vb) in must_differ {
            if va == vb {
                return fail(format!("{a} and {b} may not be equal"));
            }
        }
        if let Some(m) = &null_marker {
            for (name, v) in [
                ("key.separator", &key_separator),
                ("headers.separator", &headers_separator),
                ("headers.delimiter", &headers_delimiter),
                ("headers.key.separator", &headers_key_separator),
            ] {
                if m == v {
                    return fail(format!("null.marker and {name} may not be equal"));
                }
            }
        }
        let separator = Regex::new(&headers_separator).map_err(|e| {
            ToolError(format!(
                "Invalid headers.separator '{headers_separator}': {e}"
            ))
        })?;
        Ok(LineReader {
            parse_key: prop_bool(props, "parse.key"),
            key_separator,
            parse_headers: prop_bool(props, "parse.headers"),
            headers_delimiter,
            headers_separator: separator,
            headers_key_separator,
            ignore_error: prop_bool(props, "ignore.error"),
            null_marker,
        })
    }

    fn nullable(&self, s: &str) -> Option<String> {
        match &self.null_marker {
            Some(m) if m == s => None,
            _ => Some(s.to_string()),
        }
    }

    /// The text from `start` up to `demarcation`; `None` when parsing is off, or when the
    /// demarcation is missing and ignore.error is set (Kafka then treats the line as if the
    /// part were absent).
    fn part<'a>(
        &self,
        enabled: bool,
        line: &'a str,
        start: usize,
        demarcation: &str,
        name: &str,
        n: usize,
    ) -> ToolResult<Option<&'a str>> {
        if !enabled {
            return Ok(None);
        }
        match line[start..].find(demarcation) {
            Some(i) => Ok(Some(&line[start..start + i])),
            None if self.ignore_error => Ok(None),
            None => fail(format!("No {name} found on line number {n}: '{line}'")),
        }
    }

    fn parse(&self, line: &str, n: usize) -> ToolResult<Parsed> {
        let headers = self.part(
            self.parse_headers,
            line,
            0,
            &self.headers_delimiter,
            "headers delimiter",
            n,
        )?;
        let header_offset = headers.map_or(0, |h| h.len() + self.headers_delimiter.len());
        let key = self.part(
            self.parse_key,
            line,
            header_offset,
            &self.key_separator,
            "key separator",
            n,
        )?;
        let key_offset = key.map_or(0, |k| k.len() + self.key_separator.len());
        let value = &line[header_offset + key_offset..];
        let mut out = Vec::new();
        if let Some(h) = headers {
            if self.null_marker.as_deref() != Some(h) {
                for pair in java_split(&self.headers_separator, h) {
                    // As in Kafka, a pair without the key separator is refused unless
                    // ignore.error, which keeps it as a header with a null value.
                    let Some((k, v)) = pair.split_once(self.headers_key_separator.as_str()) else {
                        if !self.ignore_error {
                            return fail(format!(
                                "No header key separator found in pair '{pair}' on line number {n}"
                            ));
                        }
                        out.push((pair.to_string(), None));
                        continue;
                    };
                    if let Some(m) = self.null_marker.as_deref().filter(|m| *m == k) {
                        return fail(format!(
                            "Header keys should not be equal to the null marker '{m}' as they can't be null"
                        ));
                    }
                    out.push((k.to_string(), self.nullable(v)));
                }
            }
        }
        Ok((
            key.and_then(|k| self.nullable(k)),
            self.nullable(value),
            out,
        ))
    }
}

/// `String.split(regex)` as Java does it: no match gives the whole input; otherwise
/// trailing empty strings are removed.
fn java_split<'a>(re: &Regex, s: &'a str) -> Vec<&'a str> {
    if !re.is_match(s) {
        return vec![s];
    }
    let mut parts: Vec<&str> = re.split(s).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// Records produced before a progress line may appear on a terminal's stderr.
const PROGRESS_AFTER: u64 = 5000;

fn execute(args: ProducerArgs) -> ToolResult<()> {
    let Some(bootstrap) = args.bootstrap_server.as_deref() else {
        return fail("Missing required argument \"[bootstrap-server]\"");
    };
    let Some(topic) = args.topic.as_deref() else {
        return fail("Missing required argument \"[topic]\"");
    };
    // Reader properties: the --reader-config file, then --property (which wins).
    let mut props: HashMap<String, String> = match &args.reader_config {
        Some(path) => load_properties_file(path)?.into_iter().collect(),
        None => HashMap::new(),
    };
    props.extend(parse_properties(&args.property)?);
    let reader = LineReader::new(&props)?;

    // Producer properties, lowest precedence first: the tool's defaults, the
    // --producer.config file, --producer-property, then explicit flags (Kafka's
    // maybeMergeOptions: a flag given on the command line beats a property).
    let mut config = client_config(bootstrap);
    config
        .set("client.id", "console-producer")
        .set("acks", "-1")
        .set("linger.ms", "1000")
        .set("message.timeout.ms", "30000")
        .set("enable.idempotence", "false");
    let mut producer_props = match &args.producer_config {
        Some(path) => load_properties_file(path)?,
        None => Vec::new(),
    };
    producer_props.extend(parse_properties(&args.producer_property)?);
    producer_props.retain(|(k, _)| k != "bootstrap.servers");
    warn_ignored_configs(&apply_client_properties(&mut config, &producer_props)?);
    let acks = args.acks.as_deref().map(|a| {
        if a == "all" {
            "-1".to_string()
        } else {
            a.to_string()
        }
    });
    let flags: [(&str, Option<String>); 10] = [
        ("acks", acks),
        ("compression.type", args.compression_codec.clone()),
        ("linger.ms", args.timeout.map(|v| v.to_string())),
        (
            "retries",
            args.message_send_max_retries.map(|v| v.to_string()),
        ),
        (
            "retry.backoff.ms",
            args.retry_backoff_ms.map(|v| v.to_string()),
        ),
        (
            "request.timeout.ms",
            args.request_timeout_ms.map(|v| v.to_string()),
        ),
        (
            "metadata.max.age.ms",
            args.metadata_expiry_ms.map(|v| v.to_string()),
        ),
        (
            "socket.send.buffer.bytes",
            args.socket_buffer_size.map(|v| v.to_string()),
        ),
        (
            "queue.buffering.max.kbytes",
            args.max_memory_bytes.map(|v| (v / 1024).max(1).to_string()),
        ),
        (
            "batch.size",
            args.max_partition_memory_bytes
                .or(args.batch_size)
                .map(|v| v.to_string()),
        ),
    ];
    let flags: Vec<(String, String)> = flags
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect();
    apply_client_properties(&mut config, &flags)?;
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
    // SAFETY: isatty only inspects the descriptors.
    let (stdin_tty, stderr_tty) = unsafe { (libc::isatty(0) == 1, libc::isatty(2) == 1) };
    let prompt = || {
        if stdin_tty {
            print!(">");
            let _ = std::io::stdout().flush();
        }
    };
    let mut progress = Progress {
        enabled: !stdin_tty && stderr_tty,
        shown: false,
        last: Instant::now(),
    };
    let send_error = |e: &dyn std::fmt::Display| {
        ToolError(format!("Error when sending message to topic {topic}: {e}"))
    };
    let mut pending = Vec::new();
    let stdin = std::io::stdin();
    let mut n = 0;
    let mut sent = 0u64;
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
        let fut = loop {
            match producer.send_result(record) {
                Ok(fut) => break fut,
                // librdkafka's queue is full: let deliveries drain, then try again.
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err((e, _)) => return Err(send_error(&e)),
            }
        };
        if args.sync {
            // flush sends at once instead of waiting out linger.ms for a batch to fill.
            let _ = producer.flush(Duration::from_secs(30));
            match rt.block_on(fut) {
                Ok(Ok(_)) => {}
                Ok(Err((e, _))) => return Err(send_error(&e)),
                Err(_) => return Err(send_error(&"delivery cancelled")),
            }
        } else {
            pending.push(fut);
        }
        sent += 1;
        progress.tick(sent);
        prompt();
    }
    let _ = producer.flush(Duration::from_secs(30));
    for fut in pending {
        match rt.block_on(fut) {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => return Err(send_error(&e)),
            Err(_) => return Err(send_error(&"delivery cancelled")),
        }
    }
    progress.finish(sent);
    Ok(())
}

/// The `\rN records sent` line shown on a terminal's stderr while a file or pipe is produced.
struct Progress {
    enabled: bool,
    shown: bool,
    last: Instant,
}

impl Progress {
    fn tick(&mut self, sent: u64) {
        if !self.enabled || sent < PROGRESS_AFTER {
            return;
        }
        if !self.shown || self.last.elapsed() >= Duration::from_secs(1) {
            self.show(sent, "");
        }
    }

    fn finish(&mut self, sent: u64) {
        if self.shown {
            self.show(sent, "\n");
        }
    }

    fn show(&mut self, sent: u64, end: &str) {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{sent} records sent{end}");
        let _ = err.flush();
        self.shown = true;
        self.last = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(props: &[(&str, &str)]) -> LineReader {
        let map = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LineReader::new(&map).unwrap()
    }

    #[test]
    fn headers_separator_splits_like_java() {
        let re = Regex::new(",").unwrap();
        assert_eq!(java_split(&re, "a:1,b:2,,"), ["a:1", "b:2"]);
        assert_eq!(java_split(&re, "a:1"), ["a:1"]);
        assert_eq!(java_split(&re, ""), [""]);
    }

    #[test]
    fn ignore_error_treats_missing_parts_as_absent() {
        let r = reader(&[
            ("parse.headers", "true"),
            ("parse.key", "true"),
            ("key.separator", ":"),
            ("ignore.error", "true"),
        ]);
        let kv = |k: Option<&str>, v: &str| (k.map(String::from), Some(v.to_string()));
        let (k, v, h) = r.parse("h:1\tk:v", 1).unwrap();
        assert_eq!(
            ((k, v), h),
            (kv(Some("k"), "v"), vec![("h".into(), Some("1".into()))])
        );
        let (k, v, h) = r.parse("k:v", 2).unwrap();
        assert_eq!(((k, v), h.len()), (kv(Some("k"), "v"), 0));
        let (k, v, h) = r.parse("h:1\tplain", 3).unwrap();
        assert_eq!(((k, v), h.len()), (kv(None, "plain"), 1));
    }
}
