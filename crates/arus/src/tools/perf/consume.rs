//! `arus perf consume`: kafka-consumer-perf-test.sh. One librdkafka consumer reads N records,
//! in a group (subscribe) or, without one, assigned every partition from the beginning. The
//! time to the first record (fetch start-up: connecting, joining, the first fetch) is reported
//! apart from the time from the first record to the N-th.

use std::time::{Duration, Instant, SystemTime};

use clap::Args;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::tools::transient;

use super::{build_config, check_reachable, fail, per_sec, Json, ToolError, ToolResult, MB};

#[derive(Args, Debug)]
pub struct ConsumeArgs {
    /// The server(s) to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: String,
    /// The topic to consume from.
    #[arg(long, value_name = "TOPIC")]
    pub topic: String,
    /// The number of records to consume.
    #[arg(long, value_name = "N")]
    pub messages: u64,
    /// Consume in this group (subscribe, from the committed offsets or else the beginning).
    /// Without a group every partition is assigned from the beginning.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Consumer configs (key=value ...); the flags above win over them.
    #[arg(long = "consumer-props", value_name = "PROP=VALUE", num_args = 1..)]
    pub consumer_props: Vec<String>,
    /// A consumer config properties file; --consumer-props win over it.
    #[arg(long = "consumer.config", value_name = "FILE")]
    pub consumer_config: Option<String>,
    /// Give up when no record arrives for this long, in ms.
    #[arg(
        long = "timeout-ms",
        alias = "timeout",
        value_name = "MS",
        default_value_t = 10_000
    )]
    pub timeout_ms: u64,
    /// Leave out the header line of the text report.
    #[arg(long = "hide-header")]
    pub hide_header: bool,
    /// Print one JSON object with the results instead of Kafka's report.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(args: ConsumeArgs) -> ToolResult<i32> {
    let bootstrap = args.bootstrap_server.as_str();
    let generated;
    let group = match &args.group {
        Some(g) => g.as_str(),
        None => {
            generated = format!("perf-consumer-{}", std::process::id());
            generated.as_str()
        }
    };
    let config = build_config(
        bootstrap,
        &[
            ("client.id", "perf-consumer"),
            ("auto.offset.reset", "earliest"),
            ("enable.partition.eof", "false"),
            ("enable.auto.commit", "false"),
        ],
        args.consumer_config.as_deref(),
        &args.consumer_props,
        vec![("group.id".to_string(), group.to_string())],
    )?;
    let consumer: BaseConsumer = config
        .create()
        .map_err(|e| ToolError(format!("cannot create consumer: {e}")))?;
    check_reachable(consumer.client(), bootstrap)?;
    let md = consumer
        .fetch_metadata(Some(&args.topic), super::CONNECT_TIMEOUT)
        .map_err(|e| ToolError(format!("cannot fetch metadata: {e}")))?;
    let partitions: Vec<i32> = md
        .topics()
        .iter()
        .filter(|t| t.name() == args.topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        return fail(format!("Topic {} does not exist", args.topic));
    }

    let wall_start = SystemTime::now();
    let start = Instant::now();
    if args.group.is_some() {
        consumer
            .subscribe(&[args.topic.as_str()])
            .map_err(|e| ToolError(e.to_string()))?;
    } else {
        let mut tpl = TopicPartitionList::new();
        for p in &partitions {
            tpl.add_partition_offset(&args.topic, *p, Offset::Beginning)
                .map_err(|e| ToolError(e.to_string()))?;
        }
        consumer
            .assign(&tpl)
            .map_err(|e| ToolError(e.to_string()))?;
    }
    let timeout = Duration::from_millis(args.timeout_ms);
    let mut records = 0u64;
    let mut bytes = 0u64;
    let mut first: Option<Instant> = None;
    let mut last = start;
    while records < args.messages && last.elapsed() < timeout {
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(e)) if transient(&e) => {}
            Some(Err(e)) => return fail(format!("Error while consuming: {e}")),
            Some(Ok(m)) => {
                last = Instant::now();
                first.get_or_insert(last);
                records += 1;
                bytes += (m.key_len() + m.payload_len()) as u64;
            }
        }
    }
    let end = if records > 0 { last } else { Instant::now() };
    if args.group.is_some() && records > 0 {
        let _ = consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Sync);
    }
    let first = first.unwrap_or(end);
    let startup = first - start;
    let fetch = (end - first).as_secs_f64();
    let total = (end - start).as_secs_f64();
    let mb = bytes as f64 / MB;
    if args.json {
        let line = Json::new()
            .int("records", records)
            .int("bytes", bytes)
            .num("startup_ms", startup.as_secs_f64() * 1000.0)
            .num("elapsed_s", fetch)
            .num("records_per_sec", per_sec(records as f64, fetch))
            .num("mb_per_sec", per_sec(mb, fetch))
            .finish();
        println!("{line}");
    } else {
        if !args.hide_header {
            println!("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec");
        }
        let wall_end = wall_start + (end - start);
        println!(
            "{}, {}, {mb:.4}, {:.4}, {records}, {:.4}, {}, {}, {:.4}, {:.4}",
            local_time(wall_start),
            local_time(wall_end),
            per_sec(mb, total),
            per_sec(records as f64, total),
            startup.as_millis(),
            (end - first).as_millis(),
            per_sec(mb, fetch),
            per_sec(records as f64, fetch),
        );
    }
    if records < args.messages {
        eprintln!(
            "ERROR Exiting before consuming the expected number of messages: timeout ({} ms) exceeded after {records} of {} records. You can use the --timeout-ms option to increase the timeout.",
            args.timeout_ms, args.messages
        );
        return Ok(1);
    }
    Ok(0)
}

/// A time as Kafka's consumer-perf-test prints it: `yyyy-MM-dd HH:mm:ss:SSS`, local time.
fn local_time(t: SystemTime) -> String {
    let since = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let secs = since.as_secs() as libc::time_t;
    // SAFETY: localtime_r writes only into the tm we pass it.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            return format!("{}", since.as_millis());
        }
        tm
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}:{:03}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        since.subsec_millis()
    )
}
