//! `arus perf e2e`: end-to-end latency, like Kafka's EndToEndLatency tool but at a fixed rate.
//! One producer sends R records/s for D seconds, round-robin over the partitions; one consumer
//! in the same process, assigned every partition at its end offset before the first send,
//! reads them back. Each record carries its per-partition sequence number and its send time
//! (monotonic nanoseconds since the process's origin instant) in its first 16 bytes, so the
//! latency is receive time minus send time and the consumer can check, per partition, that
//! sequences arrive in order with none lost or duplicated.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::Args;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Message};
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::util::Timeout;
use rdkafka::{Offset, TopicPartitionList};

use super::{
    acks_value, build_config, check_reachable, ensure_topic, fail, ms, Histogram, Json, Payload,
    ToolError, ToolResult, CONNECT_TIMEOUT,
};

#[derive(Args, Debug)]
pub struct E2eArgs {
    /// The server(s) to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: String,
    /// The topic to produce to and consume from (created if missing).
    #[arg(long, value_name = "TOPIC")]
    pub topic: String,
    /// Records per second to send.
    #[arg(long, value_name = "RECORDS/SEC")]
    pub rate: f64,
    /// How long to send, in seconds.
    #[arg(long = "duration-s", value_name = "SECONDS")]
    pub duration_s: f64,
    /// The size of each record's value, in bytes (at least 16).
    #[arg(long = "record-size", value_name = "BYTES", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(16..))]
    pub record_size: u32,
    /// The acknowledgements the broker must give: all (-1), 1 or 0.
    #[arg(long, value_name = "ACKS", default_value = "all")]
    pub acks: String,
    /// How long a record may wait for its batch to fill (`linger.ms`).
    #[arg(long = "linger-ms", value_name = "MS", default_value_t = 0)]
    pub linger_ms: u64,
    /// Create the topic with this many partitions if it does not exist.
    #[arg(long, value_name = "P", value_parser = clap::value_parser!(i32).range(1..))]
    pub partitions: Option<i32>,
    /// Producer configs (key=value ...); the flags above win over them.
    #[arg(long = "producer-props", value_name = "PROP=VALUE", num_args = 1..)]
    pub producer_props: Vec<String>,
    /// Consumer configs (key=value ...).
    #[arg(long = "consumer-props", value_name = "PROP=VALUE", num_args = 1..)]
    pub consumer_props: Vec<String>,
    /// Print one JSON object with the results instead of the text report.
    #[arg(long)]
    pub json: bool,
}

/// How long the consumer waits for the last records once the producer is done.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

struct DeliveryErrors {
    count: AtomicU64,
    first: Mutex<Option<String>>,
}

impl ClientContext for DeliveryErrors {}

impl ProducerContext for DeliveryErrors {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.count.fetch_add(1, Ordering::Relaxed);
            let mut first = self.first.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert_with(|| e.to_string());
        }
    }
}

/// What the consumer saw of one partition.
#[derive(Default)]
struct PartitionCheck {
    seen: Vec<bool>,
    /// The highest sequence received so far, plus one.
    next: u64,
    distinct: u64,
}

/// What the consumer thread hands back.
#[derive(Default)]
struct Received {
    histogram: Histogram,
    partitions: Vec<PartitionCheck>,
    duplicated: u64,
    reordered: u64,
    foreign: u64,
}

impl Received {
    fn distinct(&self) -> u64 {
        self.partitions.iter().map(|p| p.distinct).sum()
    }

    /// Checks one record: `seq` on partition `p`, its latency in µs. `bound` caps the sequence
    /// numbers that can be ours.
    fn check(&mut self, p: usize, seq: u64, latency_us: u64, bound: u64) {
        let Some(part) = self.partitions.get_mut(p) else {
            self.foreign += 1;
            return;
        };
        if seq >= bound {
            self.foreign += 1;
            return;
        }
        let i = seq as usize;
        if part.seen.len() <= i {
            part.seen.resize(i + 1, false);
        }
        if part.seen[i] {
            self.duplicated += 1;
            return;
        }
        part.seen[i] = true;
        part.distinct += 1;
        self.histogram.record(latency_us);
        if seq + 1 < part.next {
            self.reordered += 1;
        }
        part.next = part.next.max(seq + 1);
    }
}

pub fn execute(args: E2eArgs) -> ToolResult<i32> {
    let bootstrap = args.bootstrap_server.as_str();
    if !(args.rate > 0.0 && args.rate.is_finite()) {
        return fail("--rate must be a positive number of records per second");
    }
    if !(args.duration_s > 0.0 && args.duration_s.is_finite()) {
        return fail("--duration-s must be a positive number of seconds");
    }
    let total = (args.rate * args.duration_s).round() as u64;
    let origin = Instant::now();

    let producer_config = build_config(
        bootstrap,
        &[("client.id", "perf-e2e-producer")],
        None,
        &args.producer_props,
        vec![
            ("acks".into(), acks_value(&args.acks)?),
            ("linger.ms".into(), args.linger_ms.to_string()),
        ],
    )?;
    let context = DeliveryErrors {
        count: AtomicU64::new(0),
        first: Mutex::new(None),
    };
    let producer: ThreadedProducer<DeliveryErrors> =
        producer_config
            .create_with_context(context)
            .map_err(|e| ToolError(format!("cannot create producer: {e}")))?;
    check_reachable(producer.client(), bootstrap)?;
    let partitions = ensure_topic(
        producer.client(),
        bootstrap,
        &args.topic,
        args.partitions.unwrap_or(-1),
    )?;

    let consumer_config = build_config(
        bootstrap,
        &[
            ("client.id", "perf-e2e-consumer"),
            ("enable.partition.eof", "false"),
            ("enable.auto.commit", "false"),
            ("isolation.level", "read_uncommitted"),
        ],
        None,
        &args.consumer_props,
        vec![(
            "group.id".into(),
            format!("perf-e2e-{}", std::process::id()),
        )],
    )?;
    let consumer: BaseConsumer = consumer_config
        .create()
        .map_err(|e| ToolError(format!("cannot create consumer: {e}")))?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        let (_, high) = consumer
            .fetch_watermarks(&args.topic, p, CONNECT_TIMEOUT)
            .map_err(|e| ToolError(format!("cannot read the end offsets: {e}")))?;
        tpl.add_partition_offset(&args.topic, p, Offset::Offset(high))
            .map_err(|e| ToolError(e.to_string()))?;
    }
    consumer
        .assign(&tpl)
        .map_err(|e| ToolError(e.to_string()))?;

    let sent: Vec<AtomicU64> = (0..partitions).map(|_| AtomicU64::new(0)).collect();
    let done = AtomicBool::new(false);
    let bound = total / partitions as u64 + 1;
    let mut send_errors = 0u64;
    let received = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut r = Received {
                partitions: (0..partitions).map(|_| PartitionCheck::default()).collect(),
                ..Received::default()
            };
            // The last record received, or the end of sending if later.
            let mut last = Instant::now();
            let mut draining = false;
            loop {
                if done.load(Ordering::Acquire) {
                    if !draining {
                        draining = true;
                        last = Instant::now();
                    }
                    let expected: u64 = sent.iter().map(|n| n.load(Ordering::Relaxed)).sum();
                    if r.distinct() >= expected || last.elapsed() >= DRAIN_TIMEOUT {
                        break;
                    }
                }
                if let Some(Ok(m)) = consumer.poll(Duration::from_millis(50)) {
                    let now = origin.elapsed().as_nanos() as u64;
                    last = Instant::now();
                    let Some(body) = m.payload().filter(|b| b.len() >= 16) else {
                        r.foreign += 1;
                        continue;
                    };
                    let word = |i: usize| {
                        let mut w = [0u8; 8];
                        w.copy_from_slice(&body[i..i + 8]);
                        u64::from_be_bytes(w)
                    };
                    let latency = now.saturating_sub(word(8)) / 1000;
                    r.check(m.partition() as usize, word(0), latency, bound);
                }
            }
            r
        });

        let payload = Payload::new(args.record_size as usize);
        let mut buf = vec![0u8; args.record_size as usize];
        let start = Instant::now();
        for i in 0..total {
            let due = start + Duration::from_secs_f64(i as f64 / args.rate);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let p = (i % partitions as u64) as usize;
            let seq = sent[p].load(Ordering::Relaxed);
            payload.fill(&mut buf, i);
            buf[..8].copy_from_slice(&seq.to_be_bytes());
            loop {
                let stamp = origin.elapsed().as_nanos() as u64;
                buf[8..16].copy_from_slice(&stamp.to_be_bytes());
                let record = BaseRecord::<[u8], [u8], ()>::to(&args.topic)
                    .partition(p as i32)
                    .payload(buf.as_slice());
                match producer.send(record) {
                    Ok(()) => {
                        sent[p].store(seq + 1, Ordering::Relaxed);
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    Err((e, _)) => {
                        send_errors += 1;
                        eprintln!("ERROR cannot send to {}-{p}: {e}", args.topic);
                        break;
                    }
                }
            }
        }
        let _ = producer.flush(Timeout::Never);
        done.store(true, Ordering::Release);
        reader.join().unwrap_or_default()
    });

    let delivery_errors = producer.context().count.load(Ordering::Relaxed);
    let sent: Vec<u64> = sent.iter().map(|n| n.load(Ordering::Relaxed)).collect();
    let lost: u64 = sent
        .iter()
        .zip(&received.partitions)
        .map(|(n, part)| n - part.seen.iter().take(*n as usize).filter(|s| **s).count() as u64)
        .sum();
    let h = &received.histogram;
    let records = received.distinct();
    let (dup, reord) = (received.duplicated, received.reordered);
    let q = |x| ms(h.quantile(x));
    if args.json {
        let line = Json::new()
            .int("records", records)
            .int("lost", lost)
            .int("duplicated", dup)
            .int("reordered", reord)
            .num("p50_ms", q(0.5))
            .num("p95_ms", q(0.95))
            .num("p99_ms", q(0.99))
            .num("p999_ms", q(0.999))
            .num("max_ms", ms(h.max()))
            .finish();
        println!("{line}");
    } else {
        println!(
            "{records} records received of {} sent, {lost} lost, {dup} duplicated, {reord} reordered.",
            sent.iter().sum::<u64>()
        );
        println!("Avg latency: {:.4} ms", h.mean() / 1000.0);
        println!(
            "Percentiles: 50th = {:.3} ms, 95th = {:.3} ms, 99th = {:.3} ms, 99.9th = {:.3} ms, max = {:.3} ms",
            q(0.5),
            q(0.95),
            q(0.99),
            q(0.999),
            ms(h.max())
        );
    }
    let mut code = 0;
    if delivery_errors + send_errors > 0 {
        let first = producer
            .context()
            .first
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_default();
        eprintln!(
            "ERROR {} records failed to send; the first error: {first}",
            delivery_errors + send_errors
        );
        code = 1;
    }
    if received.foreign > 0 {
        eprintln!(
            "WARN {} records on {} were not written by this run and were ignored",
            received.foreign, args.topic
        );
    }
    if lost + dup + reord > 0 {
        eprintln!("ERROR {lost} records lost, {dup} duplicated, {reord} reordered");
        code = 1;
    }
    Ok(code)
}
