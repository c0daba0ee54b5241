//! `arus perf`: the benchmark tool — Kafka's kafka-producer-perf-test.sh (`perf produce`),
//! kafka-consumer-perf-test.sh (`perf consume`) and end-to-end latency tool (`perf e2e`).
//! Built on librdkafka, so it measures what real clients see, against any Kafka broker.

mod consume;
mod e2e;
mod histogram;
mod produce;

use std::time::Duration;

use clap::{Args, Subcommand};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{Client, ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::error::RDKafkaErrorCode;

pub use histogram::Histogram;

use super::{
    apply_client_properties, client_config, fail, load_properties_file, warn_ignored_configs,
    ToolError, ToolResult, CONNECT_TIMEOUT,
};

#[derive(Args, Debug)]
pub struct PerfArgs {
    #[command(subcommand)]
    pub command: PerfCommand,
}

#[derive(Subcommand, Debug)]
pub enum PerfCommand {
    /// Producer throughput and latency (like kafka-producer-perf-test.sh).
    Produce(produce::ProduceArgs),
    /// Consumer throughput (like kafka-consumer-perf-test.sh).
    Consume(consume::ConsumeArgs),
    /// End-to-end latency at a fixed rate, with loss, duplicate and order checks.
    E2e(e2e::E2eArgs),
}

pub fn run(args: PerfArgs) -> i32 {
    let result = match args.command {
        PerfCommand::Produce(a) => produce::execute(a),
        PerfCommand::Consume(a) => consume::execute(a),
        PerfCommand::E2e(a) => e2e::execute(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ERROR {e}");
            1
        }
    }
}

/// The client configuration: the tool's defaults, then a properties file, then `k=v` pairs,
/// then the explicit flags (which win). Unknown keys are warned about once.
fn build_config(
    bootstrap: &str,
    defaults: &[(&str, &str)],
    file: Option<&str>,
    props: &[String],
    flags: Vec<(String, String)>,
) -> ToolResult<ClientConfig> {
    let mut config = client_config(bootstrap);
    for (k, v) in defaults {
        config.set(*k, *v);
    }
    let mut pairs = match file {
        Some(path) => load_properties_file(path)?,
        None => Vec::new(),
    };
    for p in props {
        let Some((k, v)) = p.split_once('=') else {
            return fail(format!("Invalid property '{p}': expected key=value"));
        };
        pairs.push((k.trim().to_string(), v.to_string()));
    }
    pairs.retain(|(k, _)| k != "bootstrap.servers");
    warn_ignored_configs(&apply_client_properties(&mut config, &pairs)?);
    apply_client_properties(&mut config, &flags)?;
    Ok(config)
}

/// `--acks` as librdkafka spells it.
fn acks_value(acks: &str) -> ToolResult<String> {
    match acks.trim() {
        "all" | "-1" => Ok("-1".into()),
        "0" | "1" => Ok(acks.trim().into()),
        other => fail(format!(
            "Invalid value {other} for --acks: expected all, -1, 0 or 1"
        )),
    }
}

/// Fails within [`CONNECT_TIMEOUT`], naming the address, when no broker answers
/// (all-topics metadata, so nothing is auto-created by the check).
fn check_reachable<C: ClientContext>(client: &Client<C>, bootstrap: &str) -> ToolResult<()> {
    client
        .fetch_metadata(None, CONNECT_TIMEOUT)
        .map(|_| ())
        .map_err(|_| super::unreachable(bootstrap))
}

/// The partition count of `topic`, `None` when the broker does not know it.
fn partition_count<C: ClientContext>(client: &Client<C>, topic: &str) -> ToolResult<Option<i32>> {
    let md = client
        .fetch_metadata(None, CONNECT_TIMEOUT)
        .map_err(|e| ToolError(format!("cannot fetch metadata: {e}")))?;
    Ok(md
        .topics()
        .iter()
        .find(|t| t.name() == topic && t.error().is_none())
        .map(|t| t.partitions().len() as i32)
        .filter(|n| *n > 0))
}

/// Creates `topic` with `partitions` (-1: the broker's default) unless it exists; returns its
/// partition count once the metadata shows it.
fn ensure_topic<C: ClientContext>(
    client: &Client<C>,
    bootstrap: &str,
    topic: &str,
    partitions: i32,
) -> ToolResult<i32> {
    if let Some(n) = partition_count(client, topic)? {
        return Ok(n);
    }
    let admin: AdminClient<DefaultClientContext> = client_config(bootstrap)
        .create()
        .map_err(|e| ToolError(format!("cannot create admin client: {e}")))?;
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(-1));
    let opts = AdminOptions::new()
        .request_timeout(Some(Duration::from_secs(30)))
        .operation_timeout(Some(Duration::from_secs(30)));
    let results = super::runtime()
        .block_on(admin.create_topics([&new], &opts))
        .map_err(|e| ToolError(format!("cannot create topic {topic}: {e}")))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => return fail(format!("cannot create topic {topic}: {code}")),
        }
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(n) = partition_count(client, topic)? {
            return Ok(n);
        }
        if std::time::Instant::now() >= deadline {
            return fail(format!("topic {topic} did not appear in the metadata"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether stderr is a terminal (progress lines go there only then).
fn stderr_is_tty() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(2) == 1 }
}

/// `x / secs`, 0 when no time passed (JSON has no infinity).
fn per_sec(x: f64, secs: f64) -> f64 {
    if secs > 0.0 {
        x / secs
    } else {
        0.0
    }
}

const MB: f64 = 1024.0 * 1024.0;

/// Pseudo-random payload bytes: a pool filled once from a fixed-seed PRNG, from which each
/// record takes the next window, so records neither compress well alone nor repeat each
/// other within a batch.
struct Payload {
    pool: Vec<u8>,
    span: u64,
}

/// splitmix64: a fast, well-mixed PRNG step.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl Payload {
    const SPAN: usize = 4 << 20;

    fn new(record_size: usize) -> Payload {
        let len = Self::SPAN + record_size;
        let mut pool = Vec::with_capacity(len + 8);
        let mut state = 0x5EED_u64;
        while pool.len() < len {
            state = splitmix(state);
            pool.extend_from_slice(&state.to_le_bytes());
        }
        pool.truncate(len);
        Payload {
            pool,
            span: Self::SPAN as u64,
        }
    }

    /// Fills `buf` with record `i`'s bytes: its index as a prefix, then pool bytes. Records
    /// take the pool's windows in order (a stride a little longer than a record, so windows
    /// never overlap until the pool wraps): as incompressible as random offsets, but the
    /// reads stream through the cache instead of missing it for every record (random offsets
    /// cost the producer 14% of its time).
    fn fill(&self, buf: &mut [u8], i: u64) {
        let stride = buf.len() as u64 + 13;
        let off = (i.wrapping_mul(stride) % self.span) as usize;
        buf.copy_from_slice(&self.pool[off..off + buf.len()]);
        let prefix = i.to_le_bytes();
        let n = buf.len().min(prefix.len());
        buf[..n].copy_from_slice(&prefix[..n]);
    }
}

/// A one-line JSON object of numbers.
struct Json(String);

impl Json {
    fn new() -> Json {
        Json(String::from("{"))
    }

    fn key(&mut self, k: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(k);
        self.0.push_str("\":");
    }

    fn int(mut self, k: &str, v: u64) -> Json {
        self.key(k);
        self.0.push_str(&v.to_string());
        self
    }

    fn num(mut self, k: &str, v: f64) -> Json {
        self.key(k);
        let v = if v.is_finite() { v } else { 0.0 };
        // Microsecond precision is all the measurements have.
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        self.0
            .push_str(if s.is_empty() || s == "-0" { "0" } else { s });
        self
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// Microseconds to milliseconds.
fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers() {
        let j = Json::new()
            .int("records", 3)
            .num("a", 1.5)
            .num("b", 2.0)
            .num("c", f64::NAN)
            .num("d", -0.0000004)
            .finish();
        assert_eq!(j, r#"{"records":3,"a":1.5,"b":2,"c":0,"d":0}"#);
    }

    #[test]
    fn payload_is_incompressible_and_varies() {
        let p = Payload::new(100);
        let mut a = vec![0; 100];
        let mut b = vec![0; 100];
        p.fill(&mut a, 1);
        p.fill(&mut b, 2);
        assert_ne!(a[8..], b[8..]);
        assert_eq!(a[..8], 1u64.to_le_bytes());
        let distinct: std::collections::HashSet<u8> = p.pool[..4096].iter().copied().collect();
        assert!(distinct.len() > 250);
        let mut tiny = vec![0; 3];
        p.fill(&mut tiny, 7);
        assert_eq!(tiny, [7, 0, 0]);
    }

    #[test]
    fn acks_values() {
        assert_eq!(acks_value("all").unwrap(), "-1");
        assert_eq!(acks_value("1").unwrap(), "1");
        assert!(acks_value("2").is_err());
    }
}
