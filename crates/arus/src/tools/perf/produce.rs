//! `arus perf produce`: kafka-producer-perf-test.sh. K librdkafka producers in parallel
//! threads send N records of a given size at an overall rate (or flat out); the latency of a
//! record is its acknowledgement time minus its send time, taken in the delivery callback.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::util::Timeout;

use super::{
    acks_value, build_config, check_reachable, ensure_topic, ms, per_sec, stderr_is_tty, Histogram,
    Json, Payload, ToolError, ToolResult, MB,
};

#[derive(Args, Debug)]
pub struct ProduceArgs {
    /// The server(s) to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: String,
    /// The topic to produce to.
    #[arg(long, value_name = "TOPIC")]
    pub topic: String,
    /// The number of records to produce.
    #[arg(long = "num-records", value_name = "N")]
    pub num_records: u64,
    /// The size of each record's value, in bytes.
    #[arg(long = "record-size", value_name = "BYTES")]
    pub record_size: usize,
    /// The overall rate to pace sends to, in records/sec; -1 (or any value <= 0) for no limit.
    #[arg(long, value_name = "RECORDS/SEC", allow_negative_numbers = true)]
    pub throughput: f64,
    /// The acknowledgements the broker must give: all (-1), 1 or 0.
    #[arg(long, value_name = "ACKS", default_value = "all")]
    pub acks: String,
    /// How long a record may wait for its batch to fill (`linger.ms`; librdkafka's default
    /// when absent).
    #[arg(long = "linger-ms", value_name = "MS")]
    pub linger_ms: Option<u64>,
    /// The largest batch in bytes (`batch.size`).
    #[arg(long = "batch-size", value_name = "BYTES")]
    pub batch_size: Option<u64>,
    /// Compression codec (`compression.type`).
    #[arg(long, value_name = "CODEC", value_parser = ["none", "gzip", "snappy", "lz4", "zstd"])]
    pub compression: Option<String>,
    /// Use the idempotent producer (`enable.idempotence=true`; needs --acks all).
    #[arg(long)]
    pub idempotence: bool,
    /// Create the topic with this many partitions if it does not exist.
    #[arg(long, value_name = "P", value_parser = clap::value_parser!(i32).range(1..))]
    pub partitions: Option<i32>,
    /// Producer instances, each in its own thread sending its share of the records.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub producers: u32,
    /// Producer configs (key=value ...); the flags above win over them.
    #[arg(long = "producer-props", value_name = "PROP=VALUE", num_args = 1..)]
    pub producer_props: Vec<String>,
    /// A producer config properties file; --producer-props win over it.
    #[arg(long = "producer.config", value_name = "FILE")]
    pub producer_config: Option<String>,
    /// Print one JSON object with the results instead of Kafka's summary line.
    #[arg(long)]
    pub json: bool,
}

/// Counters of the current progress window (reset on each progress line).
#[derive(Default)]
struct Window {
    count: AtomicU64,
    latency_sum_us: AtomicU64,
    latency_max_us: AtomicU64,
}

struct Shared {
    origin: Instant,
    window: Window,
    errors: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Shared {
    fn error(&self, e: &dyn std::fmt::Display) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
        if first.is_none() {
            *first = Some(e.to_string());
        }
    }
}

/// One producer's context: its delivery callback records latencies.
struct PerfContext {
    shared: Arc<Shared>,
    histogram: Arc<Mutex<Histogram>>,
}

impl ClientContext for PerfContext {}

impl ProducerContext for PerfContext {
    /// The send time, in nanoseconds since `Shared::origin`.
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, sent: usize) {
        let now = self.shared.origin.elapsed().as_nanos() as u64;
        match result {
            Ok(_) => {
                let us = now.saturating_sub(sent as u64) / 1000;
                self.histogram
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .record(us);
                let w = &self.shared.window;
                w.count.fetch_add(1, Ordering::Relaxed);
                w.latency_sum_us.fetch_add(us, Ordering::Relaxed);
                w.latency_max_us.fetch_max(us, Ordering::Relaxed);
            }
            Err((e, _)) => self.shared.error(e),
        }
    }
}

type PerfProducer = ThreadedProducer<PerfContext>;

/// Records sent between two reads of the clock when the rate is unlimited.
const CLOCK_EVERY: u64 = 16;

pub fn execute(args: ProduceArgs) -> ToolResult<i32> {
    let bootstrap = args.bootstrap_server.as_str();
    let mut flags = vec![("acks".to_string(), acks_value(&args.acks)?)];
    let optional = [
        ("linger.ms", args.linger_ms.map(|v| v.to_string())),
        ("batch.size", args.batch_size.map(|v| v.to_string())),
        ("compression.type", args.compression.clone()),
        (
            "enable.idempotence",
            args.idempotence.then(|| "true".into()),
        ),
    ];
    flags.extend(
        optional
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v))),
    );
    let config = build_config(
        bootstrap,
        &[("client.id", "perf-producer")],
        args.producer_config.as_deref(),
        &args.producer_props,
        flags,
    )?;
    let shared = Arc::new(Shared {
        origin: Instant::now(),
        window: Window::default(),
        errors: AtomicU64::new(0),
        first_error: Mutex::new(None),
    });
    let mut producers: Vec<PerfProducer> = Vec::new();
    let mut histograms = Vec::new();
    for _ in 0..args.producers {
        let histogram = Arc::new(Mutex::new(Histogram::new()));
        let context = PerfContext {
            shared: Arc::clone(&shared),
            histogram: Arc::clone(&histogram),
        };
        let producer = config
            .create_with_context(context)
            .map_err(|e| ToolError(format!("cannot create producer: {e}")))?;
        producers.push(producer);
        histograms.push(histogram);
    }
    let client = producers[0].client();
    check_reachable(client, bootstrap)?;
    if let Some(p) = args.partitions {
        ensure_topic(client, bootstrap, &args.topic, p)?;
    }

    let payload = Payload::new(args.record_size);
    let n = args.num_records;
    let k = u64::from(args.producers);
    let rate = (args.throughput > 0.0).then_some(args.throughput);
    let start = Instant::now();
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        if stderr_is_tty() {
            let shared = &shared;
            let size = args.record_size;
            s.spawn(move || progress(shared, size, stopped));
        }
        let mut senders = Vec::new();
        let mut first = 0;
        for (i, producer) in producers.iter().enumerate() {
            // The first n % k producers send one record more.
            let share = n / k + u64::from((i as u64) < n % k);
            let shard = Shard {
                producer,
                topic: &args.topic,
                payload: &payload,
                shared: &shared,
                first,
                count: share,
                rate: rate.map(|r| r * share as f64 / n.max(1) as f64),
                record_size: args.record_size,
                start,
            };
            first += share;
            senders.push(s.spawn(move || shard.run()));
        }
        for h in senders {
            let _ = h.join();
        }
        drop(stop);
    });
    let elapsed = start.elapsed().as_secs_f64();
    // Dropping the producers joins their polling threads: every callback has returned.
    drop(producers);
    let mut hist = Histogram::new();
    for h in &histograms {
        hist.merge(&h.lock().unwrap_or_else(|p| p.into_inner()));
    }
    let records = hist.count();
    let errors = shared.errors.load(Ordering::Relaxed);
    let rps = per_sec(records as f64, elapsed);
    let mbps = per_sec(records as f64 * args.record_size as f64 / MB, elapsed);
    let q = |x| hist.quantile(x);
    if args.json {
        let line = Json::new()
            .int("records", records)
            .int("errors", errors)
            .num("elapsed_s", elapsed)
            .num("records_per_sec", rps)
            .num("mb_per_sec", mbps)
            .num("avg_latency_ms", hist.mean() / 1000.0)
            .num("max_latency_ms", ms(hist.max()))
            .num("p50_ms", ms(q(0.5)))
            .num("p95_ms", ms(q(0.95)))
            .num("p99_ms", ms(q(0.99)))
            .num("p999_ms", ms(q(0.999)))
            .finish();
        println!("{line}");
    } else {
        println!(
            "{records} records sent, {rps:.6} records/sec ({mbps:.2} MB/sec), {:.2} ms avg latency, {:.2} ms max latency, {} ms 50th, {} ms 95th, {} ms 99th, {} ms 99.9th.",
            hist.mean() / 1000.0,
            ms(hist.max()),
            q(0.5) / 1000,
            q(0.95) / 1000,
            q(0.99) / 1000,
            q(0.999) / 1000,
        );
    }
    if errors > 0 {
        let first = shared
            .first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_default();
        eprintln!("ERROR {errors} of {n} records failed; the first error: {first}");
        return Ok(1);
    }
    Ok(0)
}

/// One producer's part of the run.
struct Shard<'a> {
    producer: &'a PerfProducer,
    topic: &'a str,
    payload: &'a Payload,
    shared: &'a Shared,
    /// The index of this shard's first record overall.
    first: u64,
    count: u64,
    /// This shard's share of the overall rate.
    rate: Option<f64>,
    record_size: usize,
    start: Instant,
}

impl Shard<'_> {
    fn run(self) {
        let mut buf = vec![0u8; self.record_size];
        let mut sent = 0usize;
        for j in 0..self.count {
            if let Some(rate) = self.rate {
                let due = self.start + Duration::from_secs_f64(j as f64 / rate);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
            }
            self.payload.fill(&mut buf, self.first + j);
            // The clock is read every few records when sending flat out: the records between
            // are sent within microseconds (Kafka's tool stamps sends with a millisecond clock),
            // and a read per record cost the producer a tenth of its time.
            if self.rate.is_some() || j % CLOCK_EVERY == 0 {
                sent = self.shared.origin.elapsed().as_nanos() as usize;
            }
            let mut record = BaseRecord::<[u8], [u8], usize>::with_opaque_to(self.topic, sent)
                .payload(buf.as_slice());
            loop {
                match self.producer.send(record) {
                    Ok(()) => break,
                    // librdkafka's queue is full: the send blocks until deliveries make room,
                    // as Java's send() does, and that wait counts in the latency.
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                        record = r;
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    Err((e, _)) => {
                        self.shared.error(&e);
                        break;
                    }
                }
            }
        }
        if let Err(e) = self.producer.flush(Timeout::Never) {
            self.shared.error(&e);
        }
    }
}

/// Kafka's progress line on a terminal's stderr every five seconds, for the window since the
/// previous one.
fn progress(shared: &Shared, record_size: usize, stopped: mpsc::Receiver<()>) {
    let mut last = Instant::now();
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_secs(5)) {
        let w = &shared.window;
        let count = w.count.swap(0, Ordering::Relaxed);
        let sum = w.latency_sum_us.swap(0, Ordering::Relaxed);
        let max = w.latency_max_us.swap(0, Ordering::Relaxed);
        let secs = last.elapsed().as_secs_f64();
        last = Instant::now();
        let avg = if count > 0 {
            sum as f64 / count as f64 / 1000.0
        } else {
            0.0
        };
        let _ = writeln!(
            std::io::stderr().lock(),
            "{count} records sent, {:.1} records/sec ({:.2} MB/sec), {avg:.1} ms avg latency, {:.1} ms max latency.",
            per_sec(count as f64, secs),
            per_sec(count as f64 * record_size as f64 / MB, secs),
            ms(max),
        );
    }
}
