//! `arus topics`: kafka-topics.sh (create, list, describe, alter, delete).

use std::collections::{HashMap, HashSet};
use std::ffi::{CStr, CString};
use std::time::Duration;

use clap::Args;
use rdkafka::admin::{
    AdminClient, AdminOptions, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::metadata::Metadata;

use super::{
    apply_client_properties, client_config, fail, load_properties_file, runtime,
    warn_ignored_configs, ToolError, ToolResult, CONNECT_TIMEOUT,
};
use regex::Regex;

/// Prefix Kafka puts before every topic command failure.
const ERR_PREFIX: &str = "Error while executing topic command : ";

#[derive(Args, Debug)]
pub struct TopicsArgs {
    /// REQUIRED: the Kafka server to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: Option<String>,
    /// Create a new topic.
    #[arg(long)]
    pub create: bool,
    /// List all available topics.
    #[arg(long)]
    pub list: bool,
    /// List details for the given topics.
    #[arg(long)]
    pub describe: bool,
    /// Alter the number of partitions of a topic.
    #[arg(long)]
    pub alter: bool,
    /// Delete a topic.
    #[arg(long)]
    pub delete: bool,
    /// The topic to create, alter, describe or delete. Also accepts a regular expression,
    /// except for --create.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// The number of partitions for the topic being created or altered.
    #[arg(long, value_name = "N")]
    pub partitions: Option<i32>,
    /// The replication factor for each partition in the topic being created.
    #[arg(long = "replication-factor", value_name = "R")]
    pub replication_factor: Option<i32>,
    /// A topic configuration override for the topic being created (repeatable).
    #[arg(long = "config", value_name = "NAME=VALUE")]
    pub config: Vec<String>,
    /// If set when creating topics, the action will only execute if the topic does not
    /// already exist.
    #[arg(long = "if-not-exists")]
    pub if_not_exists: bool,
    /// If set when altering, describing or deleting topics, the action will only execute if
    /// the topic exists.
    #[arg(long = "if-exists")]
    pub if_exists: bool,
    /// Exclude internal topics when listing or describing.
    #[arg(long = "exclude-internal")]
    pub exclude_internal: bool,
    /// Property file containing configs to be passed to the admin client.
    #[arg(long = "command-config", value_name = "FILE")]
    pub command_config: Option<String>,
    /// If set when describing topics, only show under-replicated partitions.
    #[arg(long = "under-replicated-partitions")]
    pub under_replicated_partitions: bool,
    /// If set when describing topics, only show partitions whose leader is not available.
    #[arg(long = "unavailable-partitions")]
    pub unavailable_partitions: bool,
    /// If set when describing topics, only show partitions whose isr count is less than the
    /// configured minimum.
    #[arg(long = "under-min-isr-partitions")]
    pub under_min_isr_partitions: bool,
    /// If set when describing topics, only show partitions whose isr count is equal to the
    /// configured minimum.
    #[arg(long = "at-min-isr-partitions")]
    pub at_min_isr_partitions: bool,
    /// If set when describing topics, only show topics that have overridden configs.
    #[arg(long = "topics-with-overrides")]
    pub topics_with_overrides: bool,
}

impl TopicsArgs {
    /// Whether one of the partition reports (--under-replicated-partitions, ...) is asked for.
    fn any_partition_report(&self) -> bool {
        self.under_replicated_partitions
            || self.unavailable_partitions
            || self.under_min_isr_partitions
            || self.at_min_isr_partitions
    }
}

/// Runs the command; prints what Kafka prints and returns the process exit code.
pub fn run(args: TopicsArgs) -> i32 {
    if let Some(usage) = invalid_combination(&args) {
        eprintln!("{usage}");
        return 1;
    }
    match execute(&args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{ERR_PREFIX}{e}");
            1
        }
    }
}

/// Kafka's `checkInvalidArgs` for the describe-only reports: each is valid only with
/// `--describe`, and `--topics-with-overrides` excludes the partition reports.
fn invalid_combination(args: &TopicsArgs) -> Option<String> {
    let actions = [
        ("alter", args.alter),
        ("create", args.create),
        ("delete", args.delete),
        ("list", args.list),
    ];
    let reports = [
        (
            "under-replicated-partitions",
            args.under_replicated_partitions,
        ),
        ("under-min-isr-partitions", args.under_min_isr_partitions),
        ("at-min-isr-partitions", args.at_min_isr_partitions),
        ("unavailable-partitions", args.unavailable_partitions),
    ];
    let clash = |used: &str, other: &str| {
        format!("Option \"[{used}]\" can't be used with option \"[{other}]\"")
    };
    for (used, present) in reports {
        if !present {
            continue;
        }
        if let Some((other, _)) = actions.iter().find(|(_, on)| *on) {
            return Some(clash(used, other));
        }
        if args.topics_with_overrides {
            return Some(clash(used, "topics-with-overrides"));
        }
    }
    if args.topics_with_overrides {
        if let Some((other, _)) = actions.iter().find(|(_, on)| *on) {
            return Some(clash("topics-with-overrides", other));
        }
    }
    None
}

fn execute(args: &TopicsArgs) -> ToolResult<()> {
    let actions = [
        args.create,
        args.list,
        args.describe,
        args.alter,
        args.delete,
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if actions != 1 {
        return fail(
            "Command must include exactly one action: --list, --describe, --create, --alter or --delete",
        );
    }
    let Some(bootstrap) = args.bootstrap_server.as_deref() else {
        return fail("Missing required argument \"[bootstrap-server]\"");
    };
    if (args.create || args.alter || args.delete) && args.topic.is_none() {
        return fail("Missing required argument \"[topic]\"");
    }
    let mut config = client_config(bootstrap);
    if let Some(path) = &args.command_config {
        let mut props = load_properties_file(path)?;
        // --bootstrap-server wins over a bootstrap.servers line, as in Kafka.
        props.retain(|(k, _)| k != "bootstrap.servers");
        warn_ignored_configs(&apply_client_properties(&mut config, &props)?);
    }
    let admin: AdminClient<DefaultClientContext> = config
        .create()
        .map_err(|e| ToolError(format!("cannot create client: {e}")))?;
    let metadata = admin
        .inner()
        .fetch_metadata(None, CONNECT_TIMEOUT)
        .map_err(|_| super::unreachable(bootstrap))?;
    let rt = runtime();
    if args.create {
        create(&rt, &admin, args)
    } else if args.list {
        for t in matching(&metadata, args)? {
            println!("{t}");
        }
        Ok(())
    } else if args.describe {
        describe(&rt, &admin, &metadata, args)
    } else if args.alter {
        alter(&rt, &admin, &metadata, args)
    } else {
        delete(&rt, &admin, &metadata, args)
    }
}

fn opts() -> AdminOptions {
    AdminOptions::new()
        .request_timeout(Some(Duration::from_secs(30)))
        .operation_timeout(Some(Duration::from_secs(30)))
}

fn is_internal(name: &str) -> bool {
    name == "__consumer_offsets" || name == "__transaction_state"
}

/// The sorted topic names selected by `--topic` (a regex matching whole names) and
/// `--exclude-internal`.
fn matching(metadata: &Metadata, args: &TopicsArgs) -> ToolResult<Vec<String>> {
    let pattern = match &args.topic {
        // Kafka matches the whole topic name against a Java regex.
        Some(p) => Some(
            Regex::new(&format!("^(?:{p})$"))
                .map_err(|e| ToolError(format!("invalid --topic pattern {p:?}: {e}")))?,
        ),
        None => None,
    };
    let mut names: Vec<String> = metadata
        .topics()
        .iter()
        .filter(|t| t.error().is_none())
        .map(|t| t.name().to_string())
        .filter(|n| !(args.exclude_internal && is_internal(n)))
        .filter(|n| pattern.as_ref().is_none_or(|p| p.is_match(n)))
        .collect();
    names.sort();
    Ok(names)
}

/// Topics `--topic` selects; an empty selection is an error unless `--if-exists`.
fn existing(metadata: &Metadata, args: &TopicsArgs) -> ToolResult<Vec<String>> {
    let names = matching(metadata, args)?;
    if names.is_empty() && !args.if_exists {
        if let Some(t) = &args.topic {
            return fail(format!("Topic '{t}' does not exist as expected"));
        }
    }
    Ok(names)
}

fn create(
    rt: &tokio::runtime::Runtime,
    admin: &AdminClient<DefaultClientContext>,
    args: &TopicsArgs,
) -> ToolResult<()> {
    let topic = args.topic.as_deref().unwrap();
    let mut configs = Vec::new();
    for c in &args.config {
        match c.split_once('=') {
            Some((k, v)) => configs.push((k.trim().to_string(), v.trim().to_string())),
            None => {
                return fail(format!(
                    "Invalid topic config: all configs to be added must be in the format \"key=val\"; got '{c}'"
                ))
            }
        }
    }
    // -1 asks the broker for its defaults (num.partitions, default.replication.factor).
    let partitions = args.partitions.unwrap_or(-1);
    let replication = args.replication_factor.unwrap_or(-1);
    if args.partitions.is_some_and(|p| p < 1) {
        return fail("The partitions must be greater than 0");
    }
    if args.replication_factor.is_some_and(|r| r < 1) {
        return fail("The replication factor must be greater than 0");
    }
    let mut new = NewTopic::new(topic, partitions, TopicReplication::Fixed(replication));
    for (k, v) in &configs {
        new = new.set(k, v);
    }
    let results = rt
        .block_on(admin.create_topics([&new], &opts()))
        .map_err(|e| ToolError(e.to_string()))?;
    for r in results {
        match r {
            Ok(_) => println!("Created topic {topic}."),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) if args.if_not_exists => {}
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {
                return fail(format!("Topic '{topic}' already exists."))
            }
            Err((_, code)) => return fail(describe_code(code)),
        }
    }
    Ok(())
}

fn describe_code(code: RDKafkaErrorCode) -> String {
    match code {
        RDKafkaErrorCode::InvalidTopic => "The request attempted to perform an operation on an invalid topic.".into(),
        RDKafkaErrorCode::InvalidReplicationFactor => "Replication factor must be larger than 0, and no larger than the number of brokers (1).".into(),
        RDKafkaErrorCode::InvalidPartitions => "Number of partitions is below 1.".into(),
        RDKafkaErrorCode::InvalidConfig => "Invalid topic configuration.".into(),
        RDKafkaErrorCode::UnknownTopicOrPartition => "This server does not host this topic-partition.".into(),
        other => other.to_string(),
    }
}

fn alter(
    rt: &tokio::runtime::Runtime,
    admin: &AdminClient<DefaultClientContext>,
    metadata: &Metadata,
    args: &TopicsArgs,
) -> ToolResult<()> {
    let Some(n) = args.partitions else {
        return fail(
            "--partitions is required with --alter (Arus can alter the partition count only)",
        );
    };
    for name in existing(metadata, args)? {
        let current = metadata
            .topics()
            .iter()
            .find(|t| t.name() == name)
            .map(|t| t.partitions().len())
            .unwrap_or(0) as i32;
        if n < current {
            return fail(format!(
                "The topic {name} currently has {current} partition(s); {n} would not be an increase."
            ));
        }
        if n == current {
            return fail(format!("Topic already has {current} partitions."));
        }
        let np = NewPartitions::new(&name, n as usize);
        let results = rt
            .block_on(admin.create_partitions([&np], &opts()))
            .map_err(|e| ToolError(e.to_string()))?;
        first_error(results)?;
    }
    Ok(())
}

fn delete(
    rt: &tokio::runtime::Runtime,
    admin: &AdminClient<DefaultClientContext>,
    metadata: &Metadata,
    args: &TopicsArgs,
) -> ToolResult<()> {
    let names = existing(metadata, args)?;
    if names.is_empty() {
        return Ok(());
    }
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let results = rt
        .block_on(admin.delete_topics(&refs, &opts()))
        .map_err(|e| ToolError(e.to_string()))?;
    first_error(results)
}

/// Fails with Kafka's wording for the first per-topic error of an admin call.
fn first_error<T>(results: Vec<Result<T, (String, RDKafkaErrorCode)>>) -> ToolResult<()> {
    match results.into_iter().find_map(Result::err) {
        Some((_, code)) => fail(describe_code(code)),
        None => Ok(()),
    }
}

fn describe(
    rt: &tokio::runtime::Runtime,
    admin: &AdminClient<DefaultClientContext>,
    metadata: &Metadata,
    args: &TopicsArgs,
) -> ToolResult<()> {
    let names = existing(metadata, args)?;
    if names.is_empty() {
        return Ok(());
    }
    let ids = topic_ids(admin, &names);
    let specs: Vec<ResourceSpecifier> = names.iter().map(|n| ResourceSpecifier::Topic(n)).collect();
    let configs = rt
        .block_on(admin.describe_configs(&specs, &opts()))
        .map_err(|e| ToolError(e.to_string()))?;
    let live: HashSet<i32> = metadata.brokers().iter().map(|b| b.id()).collect();
    // As Kafka's DescribeOptions: a partition report hides the topic lines, and
    // --topics-with-overrides hides the partition lines.
    let describe_configs = !args.any_partition_report();
    let describe_partitions = !args.topics_with_overrides;
    for (i, name) in names.iter().enumerate() {
        let Some(topic) = metadata.topics().iter().find(|t| t.name() == name) else {
            continue;
        };
        let mut partitions: Vec<_> = topic.partitions().iter().collect();
        partitions.sort_by_key(|p| p.id());
        let rf = partitions.first().map(|p| p.replicas().len()).unwrap_or(0);
        let entries = match configs.get(i) {
            Some(Ok(resource)) => resource.entries.as_slice(),
            _ => &[],
        };
        let overrides: Vec<String> = entries
            .iter()
            .filter(|e| !e.is_default)
            .map(|e| format!("{}={}", e.name, e.value.as_deref().unwrap_or("")))
            .collect();
        let min_isr: usize = entries
            .iter()
            .find(|e| e.name == "min.insync.replicas")
            .and_then(|e| e.value.as_deref())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(1);
        if describe_configs && (!args.topics_with_overrides || !overrides.is_empty()) {
            let id = ids.get(name).map(String::as_str).unwrap_or("");
            println!(
                "Topic: {name}\tTopicId: {id}\tPartitionCount: {}\tReplicationFactor: {rf}\tConfigs: {}",
                partitions.len(),
                overrides.join(",")
            );
        }
        if !describe_partitions {
            continue;
        }
        for p in partitions {
            let has_leader = p.leader() >= 0;
            let isr = p.isr().len();
            let selected = describe_configs
                || (args.under_replicated_partitions && p.replicas().len() > isr)
                || (args.unavailable_partitions && (!has_leader || !live.contains(&p.leader())))
                || (args.under_min_isr_partitions && (!has_leader || isr < min_isr))
                || (args.at_min_isr_partitions && isr == min_isr);
            if !selected {
                continue;
            }
            let join = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
            let leader = if has_leader {
                p.leader().to_string()
            } else {
                "none".to_string()
            };
            println!(
                "\tTopic: {name}\tPartition: {}\tLeader: {leader}\tReplicas: {}\tIsr: {}\tElr: \tLastKnownElr: ",
                p.id(),
                join(p.replicas()),
                join(p.isr())
            );
        }
    }
    Ok(())
}

/// Topic ids (Kafka's URL-safe, unpadded base64 form) through librdkafka's DescribeTopics,
/// which the rdkafka crate does not wrap. Topics it cannot describe are left out.
fn topic_ids(
    admin: &AdminClient<DefaultClientContext>,
    names: &[String],
) -> HashMap<String, String> {
    use rdkafka::bindings as rd;
    let mut out = HashMap::new();
    let cnames: Vec<CString> = names
        .iter()
        .filter_map(|n| CString::new(n.as_str()).ok())
        .collect();
    let mut ptrs: Vec<*const std::os::raw::c_char> = cnames.iter().map(|c| c.as_ptr()).collect();
    // SAFETY: every pointer handed to librdkafka outlives the call that uses it; the
    // collection, queue and event are destroyed exactly once; result data is read before
    // the event that owns it is destroyed.
    unsafe {
        let rk = admin.inner().native_ptr();
        let collection = rd::rd_kafka_TopicCollection_of_topic_names(ptrs.as_mut_ptr(), ptrs.len());
        let queue = rd::rd_kafka_queue_new(rk);
        rd::rd_kafka_DescribeTopics(rk, collection, std::ptr::null(), queue);
        let event = rd::rd_kafka_queue_poll(queue, CONNECT_TIMEOUT.as_millis() as i32);
        if !event.is_null() {
            let result = rd::rd_kafka_event_DescribeTopics_result(event);
            if !result.is_null() {
                let mut n = 0usize;
                let descs = rd::rd_kafka_DescribeTopics_result_topics(result, &mut n);
                for i in 0..n {
                    let d = *descs.add(i);
                    if !rd::rd_kafka_TopicDescription_error(d).is_null() {
                        continue;
                    }
                    let name = CStr::from_ptr(rd::rd_kafka_TopicDescription_name(d))
                        .to_string_lossy()
                        .into_owned();
                    let uuid = rd::rd_kafka_TopicDescription_topic_id(d);
                    if uuid.is_null() {
                        continue;
                    }
                    let hi = rd::rd_kafka_Uuid_most_significant_bits(uuid) as u64;
                    let lo = rd::rd_kafka_Uuid_least_significant_bits(uuid) as u64;
                    let mut bytes = [0u8; 16];
                    bytes[..8].copy_from_slice(&hi.to_be_bytes());
                    bytes[8..].copy_from_slice(&lo.to_be_bytes());
                    out.insert(name, base64_url(&bytes));
                }
            }
            rd::rd_kafka_event_destroy(event);
        }
        rd::rd_kafka_queue_destroy(queue);
        rd::rd_kafka_TopicCollection_destroy(collection);
    }
    out
}

/// URL-safe base64 without padding, as Kafka prints a `Uuid`.
fn base64_url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_url_matches_kafka() {
        assert_eq!(super::base64_url(&[0u8; 16]), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(super::base64_url(&[0xfb, 0xff]), "-_8");
    }
}
