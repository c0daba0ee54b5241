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
use regex::Regex;

use super::{
    apply_client_properties, client_config, fail, load_properties_file, parse_properties,
    prop_bool, transient, warn_ignored_configs, ToolError, ToolResult, CONNECT_TIMEOUT,
};

#[derive(Args, Debug)]
pub struct ConsumerArgs {
    /// REQUIRED: the server(s) to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: Option<String>,
    /// The topic to consume from.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// Regular expression specifying the topics to include for consumption (matched against
    /// whole topic names, like Kafka).
    #[arg(long, value_name = "REGEX")]
    pub include: Option<String>,
    /// Start with the earliest message present instead of the latest.
    #[arg(long = "from-beginning")]
    pub from_beginning: bool,
    /// The consumer group id (default: a random console-consumer-NNNNN).
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// The partition to consume from (consumes without a group subscription).
    #[arg(long, value_name = "P")]
    pub partition: Option<i32>,
    /// The offset to start from with --partition: a number, earliest or latest
    /// (default latest).
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    pub offset: Option<String>,
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
    /// Consumer config properties file; --consumer-property takes precedence.
    #[arg(long = "consumer.config", value_name = "FILE")]
    pub consumer_config: Option<String>,
    /// read_committed filters out records of transactions that are open or aborted;
    /// read_uncommitted (the default) reads all records.
    #[arg(long = "isolation-level", value_name = "LEVEL")]
    pub isolation_level: Option<String>,
    /// If a message cannot be processed (e.g. it fails its CRC check), report it on stderr
    /// and skip it instead of stopping.
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
    let plan = match Plan::new(&args) {
        Ok(plan) => plan,
        Err(usage) => {
            // Argument errors end the tool before it consumes anything, like Kafka's
            // printUsageAndExit.
            eprintln!("{usage}");
            return 1;
        }
    };
    let mut count = 0u64;
    let result = execute(&args, plan, &mut count);
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

/// What the arguments ask for, checked in the order Kafka's ConsoleConsumerOptions checks
/// them.
struct Plan {
    bootstrap: String,
    /// A topic name, or for --include the librdkafka pattern (`^...$`).
    subscription: Source,
    /// The client properties: the --consumer.config file, then --consumer-property.
    props: Vec<(String, String)>,
    group: Option<String>,
    offset: Option<Offset>,
    isolation_level: Option<String>,
}

enum Source {
    Topic(String),
    Pattern(String),
}

impl Plan {
    fn new(args: &ConsumerArgs) -> Result<Plan, String> {
        let subscription = match (&args.topic, &args.include) {
            (Some(t), None) => Source::Topic(t.clone()),
            (None, Some(p)) => Source::Pattern(include_pattern(p)?),
            _ => return Err("Exactly one of --include/--topic is required.".into()),
        };
        if args.partition.is_some() {
            if args.topic.is_none() {
                return Err("The topic is required when partition is specified.".into());
            }
            if args.from_beginning && args.offset.is_some() {
                return Err(
                    "Options from-beginning and offset cannot be specified together.".into(),
                );
            }
        } else if args.offset.is_some() {
            return Err("The partition is required when offset is specified.".into());
        }
        let Some(bootstrap) = args.bootstrap_server.clone() else {
            return Err("Missing required argument \"[bootstrap-server]\"".into());
        };
        let mut props = match &args.consumer_config {
            Some(path) => load_properties_file(path).map_err(|e| e.0)?,
            None => Vec::new(),
        };
        props.extend(parse_properties(&args.consumer_property).map_err(|e| e.0)?);
        props.retain(|(k, _)| k != "bootstrap.servers");
        // One group id, however many places name it.
        let mut groups: Vec<String> = Vec::new();
        let named = args.group.iter().chain(
            props
                .iter()
                .filter(|(k, _)| k == "group.id")
                .map(|(_, v)| v),
        );
        for g in named {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        if groups.len() > 1 {
            let list: Vec<String> = groups.iter().map(|g| format!("'{g}'")).collect();
            return Err(format!(
                "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: {}",
                list.join(", ")
            ));
        }
        if !groups.is_empty() && args.partition.is_some() {
            return Err("Options group and partition cannot be specified together.".into());
        }
        if let Some((_, reset)) = props.iter().rev().find(|(k, _)| k == "auto.offset.reset") {
            if args.from_beginning && reset != "earliest" {
                return Err(format!(
                    "Can't simultaneously specify --from-beginning and 'auto.offset.reset={reset}', please remove one option"
                ));
            }
        }
        let offset = match args.offset.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => None,
            Some("earliest") => Some(Offset::Beginning),
            Some("latest") => Some(Offset::End),
            Some(n) => match n.parse::<i64>() {
                Ok(o) if o >= 0 => Some(Offset::Offset(o)),
                _ => {
                    return Err(format!(
                        "The provided offset value '{}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.",
                        args.offset.as_deref().unwrap_or_default()
                    ))
                }
            },
        };
        if let Some(level) = &args.isolation_level {
            if level != "read_committed" && level != "read_uncommitted" {
                return Err(format!(
                    "Invalid value {level} for configuration isolation.level: String must be one of: read_committed, read_uncommitted"
                ));
            }
        }
        Ok(Plan {
            bootstrap,
            subscription,
            props,
            group: groups.pop(),
            offset,
            isolation_level: args.isolation_level.clone(),
        })
    }
}

/// The librdkafka subscription pattern for `--include`: librdkafka treats a topic starting
/// with `^` as a (POSIX extended) regular expression; anchoring both ends makes it match
/// whole names as Java's `Pattern.matcher(topic).matches()` does. Java's `\d`/`\D`, which
/// POSIX lacks, are spelled out.
fn include_pattern(p: &str) -> Result<String, String> {
    Regex::new(p).map_err(|e| format!("Invalid --include regular expression '{p}': {e}"))?;
    let mut out = String::with_capacity(p.len() + 4);
    let mut chars = p.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d') if !in_class => out.push_str("[0-9]"),
                Some('D') if !in_class => out.push_str("[^0-9]"),
                Some('d') => out.push_str("0-9"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Ok(format!("^({out})$"))
}

/// Moves past the offset that failed, when it is unambiguous which one did. librdkafka
/// reports a record it cannot deliver (say, a batch failing its CRC check) without naming the
/// partition and fetches it again and again; with a single assigned partition, the failing
/// offset is that partition's position, so seeking one past it skips exactly that record.
/// With several partitions nothing is skipped (the error is still reported each time).
fn skip_one(consumer: &BaseConsumer) {
    let Ok(position) = consumer.position() else {
        return;
    };
    let elements = position.elements();
    let [only] = elements.as_slice() else {
        return;
    };
    if let Offset::Offset(o) = only.offset() {
        let _ = consumer.seek(
            only.topic(),
            only.partition(),
            Offset::Offset(o + 1),
            Duration::from_secs(5),
        );
    }
}

fn execute(args: &ConsumerArgs, plan: Plan, count: &mut u64) -> ToolResult<()> {
    let bootstrap = plan.bootstrap.as_str();
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
    let generated_group = plan.group.is_none();
    let group = plan.group.clone().unwrap_or_else(|| {
        let n = std::process::id() as u64
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
        format!("console-consumer-{}", n % 100_000)
    });
    // Lowest precedence first: the tool's defaults, then the properties (file, then
    // --consumer-property), then explicit flags.
    let mut config = client_config(bootstrap);
    config
        .set("client.id", "console-consumer")
        .set(
            "auto.offset.reset",
            if args.from_beginning {
                "earliest"
            } else {
                "latest"
            },
        )
        // Kafka's console consumer reads uncommitted records unless told otherwise;
        // librdkafka's own default is read_committed.
        .set("isolation.level", "read_uncommitted")
        .set("enable.partition.eof", "false")
        // A generated group is not meant to be used again: no commits unless asked for
        // (as Kafka). With --partition nothing is committed either.
        .set(
            "enable.auto.commit",
            if generated_group || args.partition.is_some() {
                "false"
            } else {
                "true"
            },
        );
    warn_ignored_configs(&apply_client_properties(&mut config, &plan.props)?);
    config
        .set("group.id", &group)
        // Offsets are stored only for printed records: librdkafka hands prefetched records
        // to the final poll while closing, and those must not be committed.
        .set("enable.auto.offset.store", "false");
    if let Some(level) = &plan.isolation_level {
        config.set("isolation.level", level);
    }
    let commits = args.partition.is_none()
        && config
            .get("enable.auto.commit")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let consumer: BaseConsumer = config
        .create()
        .map_err(|e| ToolError(format!("cannot create consumer: {e}")))?;
    let probe = match &plan.subscription {
        Source::Topic(t) => Some(t.as_str()),
        Source::Pattern(_) => None,
    };
    consumer
        .fetch_metadata(probe, CONNECT_TIMEOUT)
        .map_err(|_| super::unreachable(bootstrap))?;
    match (args.partition, &plan.subscription) {
        (Some(p), Source::Topic(topic)) => {
            let offset = match plan.offset {
                Some(o) => o,
                None if args.from_beginning => Offset::Beginning,
                None => Offset::End,
            };
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(topic, p, offset)
                .map_err(|e| ToolError(e.to_string()))?;
            consumer
                .assign(&tpl)
                .map_err(|e| ToolError(e.to_string()))?;
        }
        (_, Source::Topic(name) | Source::Pattern(name)) => {
            consumer
                .subscribe(&[name.as_str()])
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
            Some(Err(e)) if transient(&e) => continue,
            Some(Err(e)) => {
                if args.skip_message_on_error {
                    eprintln!("ERROR Error processing message, skipping this message: {e}");
                    skip_one(&consumer);
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
                if commits {
                    let _ = consumer.store_offset_from_message(&m);
                }
            }
        }
    }
    if commits {
        let _ = consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Sync);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn include_patterns_are_anchored_posix_expressions() {
        let p = |s: &str| super::include_pattern(s).unwrap();
        assert_eq!(p("metrics-.*"), "^(metrics-.*)$");
        assert_eq!(p(r"m-\d+|x"), "^(m-[0-9]+|x)$");
        assert_eq!(p(r"m[\d_]\D"), "^(m[0-9_][^0-9])$");
        assert!(super::include_pattern("m(").is_err());
    }
}
