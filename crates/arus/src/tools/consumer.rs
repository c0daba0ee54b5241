//! `arus console-consumer`: kafka-console-consumer.sh. Prints records with Kafka's
//! DefaultMessageFormatter properties and reports `Processed a total of N messages` on
//! stderr when it exits.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

use super::{
    client_config, fail, parse_properties, prop_bool, ToolError, ToolResult, CONNECT_TIMEOUT,
};

#[derive(Args, Debug)]
pub struct ConsumerArgs {
    /// REQUIRED: the server(s) to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: Option<String>,
    /// The topic to consume from.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// Start with the earliest message present instead of the latest.
    #[arg(long = "from-beginning")]
    pub from_beginning: bool,
    /// The consumer group id (default: a random console-consumer-NNNNN).
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// The partition to consume from (consumes without a group subscription).
    #[arg(long, value_name = "P")]
    pub partition: Option<i32>,
    /// The offset to start from with --partition: a number, earliest or latest.
    #[arg(long, value_name = "OFFSET", default_value = "latest")]
    pub offset: String,
    /// Exit after consuming this many messages.
    #[arg(long = "max-messages", value_name = "N")]
    pub max_messages: Option<u64>,
    /// Exit if no message is available for this many milliseconds.
    #[arg(long = "timeout-ms", value_name = "MS")]
    pub timeout_ms: Option<u64>,
    /// Formatter properties: print.key, print.value, print.partition, print.offset,
    /// print.timestamp, print.headers, key.separator, line.separator, headers.separator,
    /// headers.key.separator, null.literal (repeatable key=value).
    #[arg(long = "property", value_name = "PROP")]
    pub property: Vec<String>,
    /// Consumer config overrides (repeatable key=value).
    #[arg(long = "consumer-property", value_name = "PROP")]
    pub consumer_property: Vec<String>,
    /// Skip messages the consumer cannot print instead of stopping.
    #[arg(long = "skip-message-on-error")]
    pub skip_message_on_error: bool,
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

pub fn run(args: ConsumerArgs) -> i32 {
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    let mut count = 0u64;
    let result = execute(args, &mut count);
    let _ = std::io::stdout().flush();
    let code = match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("ERROR {e}");
            1
        }
    };
    eprintln!("Processed a total of {count} messages");
    code
}

struct Formatter {
    print_key: bool,
    print_value: bool,
    print_partition: bool,
    print_offset: bool,
    print_timestamp: bool,
    print_headers: bool,
    key_separator: String,
    line_separator: String,
    headers_separator: String,
    headers_key_separator: String,
    null_literal: String,
}

impl Formatter {
    fn format(&self, m: &impl Message, out: &mut Vec<u8>) {
        let mut fields: Vec<Vec<u8>> = Vec::new();
        if self.print_timestamp {
            fields.push(match m.timestamp() {
                rdkafka::Timestamp::CreateTime(t) => format!("CreateTime:{t}").into_bytes(),
                rdkafka::Timestamp::LogAppendTime(t) => format!("LogAppendTime:{t}").into_bytes(),
                rdkafka::Timestamp::NotAvailable => b"NO_TIMESTAMP".to_vec(),
            });
        }
        if self.print_partition {
            fields.push(format!("Partition:{}", m.partition()).into_bytes());
        }
        if self.print_offset {
            fields.push(format!("Offset:{}", m.offset()).into_bytes());
        }
        if self.print_headers {
            let mut h = Vec::new();
            if let Some(headers) = m.headers() {
                for (i, header) in headers.iter().enumerate() {
                    if i > 0 {
                        h.extend_from_slice(self.headers_separator.as_bytes());
                    }
                    h.extend_from_slice(header.key.as_bytes());
                    h.extend_from_slice(self.headers_key_separator.as_bytes());
                    h.extend_from_slice(header.value.unwrap_or(self.null_literal.as_bytes()));
                }
            }
            if h.is_empty() {
                h = b"NO_HEADERS".to_vec();
            }
            fields.push(h);
        }
        if self.print_key {
            fields.push(m.key().unwrap_or(self.null_literal.as_bytes()).to_vec());
        }
        if self.print_value {
            fields.push(m.payload().unwrap_or(self.null_literal.as_bytes()).to_vec());
        }
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(self.key_separator.as_bytes());
            }
            out.extend_from_slice(f);
        }
        out.extend_from_slice(self.line_separator.as_bytes());
    }
}

fn execute(args: ConsumerArgs, count: &mut u64) -> ToolResult<()> {
    let Some(bootstrap) = args.bootstrap_server.as_deref() else {
        return fail("Missing required argument \"[bootstrap-server]\"");
    };
    let Some(topic) = args.topic.as_deref() else {
        return fail("Exactly one of whitelist/topic is required.");
    };
    if args.partition.is_some() && args.group.is_some() {
        return fail("Options group and partition cannot be specified together.");
    }
    let props = parse_properties(&args.property)?;
    let get = |k: &str, d: &str| props.get(k).cloned().unwrap_or_else(|| d.to_string());
    let formatter = Formatter {
        print_key: prop_bool(&props, "print.key"),
        print_value: props.get("print.value").is_none_or(|v| v.trim() == "true"),
        print_partition: prop_bool(&props, "print.partition"),
        print_offset: prop_bool(&props, "print.offset"),
        print_timestamp: prop_bool(&props, "print.timestamp"),
        print_headers: prop_bool(&props, "print.headers"),
        key_separator: get("key.separator", "\t"),
        line_separator: get("line.separator", "\n"),
        headers_separator: get("headers.separator", ","),
        headers_key_separator: get("headers.key.separator", ":"),
        null_literal: get("null.literal", "null"),
    };
    let group = args.group.clone().unwrap_or_else(|| {
        let n = std::process::id() as u64
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
        format!("console-consumer-{}", n % 100_000)
    });
    let mut config = client_config(bootstrap);
    config
        .set("group.id", &group)
        .set(
            "auto.offset.reset",
            if args.from_beginning {
                "earliest"
            } else {
                "latest"
            },
        )
        .set("enable.partition.eof", "false")
        // Offsets are stored only for printed records: librdkafka hands prefetched records
        // to the final poll while closing, and those must not be committed.
        .set("enable.auto.offset.store", "false")
        .set(
            "enable.auto.commit",
            if args.partition.is_some() {
                "false"
            } else {
                "true"
            },
        );
    for (k, v) in parse_properties(&args.consumer_property)? {
        config.set(k, v);
    }
    let consumer: BaseConsumer = config
        .create()
        .map_err(|e| ToolError(format!("cannot create consumer: {e}")))?;
    consumer
        .fetch_metadata(Some(topic), CONNECT_TIMEOUT)
        .map_err(|_| super::unreachable(bootstrap))?;
    match args.partition {
        Some(p) => {
            let offset = match args.offset.as_str() {
                "earliest" => Offset::Beginning,
                "latest" if args.from_beginning => Offset::Beginning,
                "latest" => Offset::End,
                n => match n.parse::<i64>() {
                    Ok(o) if o >= 0 => Offset::Offset(o),
                    _ => {
                        return fail(format!(
                            "The provided offset value '{n}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."
                        ))
                    }
                },
            };
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(topic, p, offset)
                .map_err(|e| ToolError(e.to_string()))?;
            consumer
                .assign(&tpl)
                .map_err(|e| ToolError(e.to_string()))?;
        }
        None => {
            if args.offset != "latest" {
                return fail("The partition is required when offset is specified.");
            }
            consumer
                .subscribe(&[topic])
                .map_err(|e| ToolError(e.to_string()))?;
        }
    }
    let timeout = args.timeout_ms.map(Duration::from_millis);
    let mut last = Instant::now();
    let stdout = std::io::stdout();
    let mut buf = Vec::new();
    while !STOP.load(Ordering::SeqCst) {
        if args.max_messages.is_some_and(|max| *count >= max) {
            break;
        }
        if timeout.is_some_and(|t| last.elapsed() >= t) {
            break;
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => continue,
            Some(Err(e)) => {
                if args.skip_message_on_error {
                    continue;
                }
                return fail(format!(
                    "Error processing message, terminating consumer process: {e}"
                ));
            }
            Some(Ok(m)) => {
                last = Instant::now();
                buf.clear();
                formatter.format(&m, &mut buf);
                let mut out = stdout.lock();
                if out.write_all(&buf).and_then(|_| out.flush()).is_err() {
                    // stdout closed (e.g. piped into head): stop like Kafka does.
                    break;
                }
                *count += 1;
                if args.partition.is_none() {
                    let _ = consumer.store_offset_from_message(&m);
                }
            }
        }
    }
    if args.partition.is_none() {
        let _ = consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Sync);
    }
    Ok(())
}
