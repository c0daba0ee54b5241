//! The broker's own counters — requests and their latency per API, messages and bytes in and
//! out per topic, open connections — and their rendering in Prometheus' text format.
//!
//! Everything is a relaxed atomic so the produce and fetch paths pay a few additions per
//! partition, never a lock shared with other requests (the per-topic map is read-locked; it is
//! written only the first time a topic is seen).

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use kafka_protocol::messages::ApiKey;

use crate::broker::Broker;

/// Upper bounds (seconds) of the request latency histogram's buckets; `+Inf` is implied.
const LATENCY_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// API keys are small numbers; one slot per possible key keeps the lookup an index.
const API_SLOTS: usize = 128;

/// Messages and bytes through the broker, monotonic since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Records appended by producers.
    pub produced_records: u64,
    /// Bytes of record batches appended by producers.
    pub produced_bytes: u64,
    /// Records sent to fetchers (counted from batch headers).
    pub fetched_records: u64,
    /// Bytes of record batches sent to fetchers.
    pub fetched_bytes: u64,
}

#[derive(Default)]
struct TrafficCounters {
    produced_records: AtomicU64,
    produced_bytes: AtomicU64,
    fetched_records: AtomicU64,
    fetched_bytes: AtomicU64,
}

impl TrafficCounters {
    fn get(&self) -> Traffic {
        Traffic {
            produced_records: self.produced_records.load(Relaxed),
            produced_bytes: self.produced_bytes.load(Relaxed),
            fetched_records: self.fetched_records.load(Relaxed),
            fetched_bytes: self.fetched_bytes.load(Relaxed),
        }
    }
}

struct ApiCounters {
    requests: AtomicU64,
    /// Sum of latencies in microseconds.
    latency_us: AtomicU64,
    /// Requests per bucket (not cumulative; summed when rendered), the last one `+Inf`.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
}

impl Default for ApiCounters {
    fn default() -> Self {
        ApiCounters {
            requests: AtomicU64::new(0),
            latency_us: AtomicU64::new(0),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// The broker's counters. One instance lives in [`Broker::metrics`].
pub struct Metrics {
    total: TrafficCounters,
    topics: RwLock<HashMap<String, Arc<TrafficCounters>>>,
    apis: Box<[ApiCounters]>,
    connections: AtomicI64,
    connections_accepted: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            total: TrafficCounters::default(),
            topics: RwLock::new(HashMap::new()),
            apis: (0..API_SLOTS).map(|_| ApiCounters::default()).collect(),
            connections: AtomicI64::new(0),
            connections_accepted: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// Broker-wide totals.
    pub fn traffic(&self) -> Traffic {
        self.total.get()
    }

    /// Totals per topic that has seen traffic since the broker started (deleted topics are
    /// forgotten).
    pub fn topic_traffic(&self) -> Vec<(String, Traffic)> {
        let topics = self.topics.read().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<_> = topics.iter().map(|(n, c)| (n.clone(), c.get())).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Counts an append of `records` records in `bytes` bytes of batches to `topic`.
    pub fn record_produced(&self, topic: &str, records: u64, bytes: u64) {
        let t = self.topic(topic);
        for c in [&self.total, &*t] {
            c.produced_records.fetch_add(records, Relaxed);
            c.produced_bytes.fetch_add(bytes, Relaxed);
        }
    }

    /// Counts `records` records in `bytes` bytes of batches sent to a fetcher of `topic`.
    pub fn record_fetched(&self, topic: &str, records: u64, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let t = self.topic(topic);
        for c in [&self.total, &*t] {
            c.fetched_records.fetch_add(records, Relaxed);
            c.fetched_bytes.fetch_add(bytes, Relaxed);
        }
    }

    /// Drops a deleted topic's counters, so it leaves the metrics.
    pub fn forget_topic(&self, topic: &str) {
        self.topics
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(topic);
    }

    /// Counts one request of API `api_key` that took `elapsed` (a long-polling fetch
    /// includes its wait, as Kafka's total request time does).
    pub fn record_request(&self, api_key: i16, elapsed: Duration) {
        let Some(api) = usize::try_from(api_key).ok().and_then(|k| self.apis.get(k)) else {
            return;
        };
        let secs = elapsed.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|bound| secs <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        api.requests.fetch_add(1, Relaxed);
        api.latency_us.fetch_add(
            elapsed.as_micros().min(u128::from(u64::MAX)) as u64,
            Relaxed,
        );
        api.buckets[bucket].fetch_add(1, Relaxed);
    }

    /// Marks a client connection opened; the returned guard marks it closed when dropped.
    pub fn connection_opened(self: &Arc<Self>) -> ConnectionGuard {
        self.connections.fetch_add(1, Relaxed);
        self.connections_accepted.fetch_add(1, Relaxed);
        ConnectionGuard(self.clone())
    }

    /// Client connections open now.
    pub fn open_connections(&self) -> i64 {
        self.connections.load(Relaxed)
    }

    fn topic(&self, topic: &str) -> Arc<TrafficCounters> {
        if let Some(t) = self
            .topics
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(topic)
        {
            return t.clone();
        }
        self.topics
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(topic.to_string())
            .or_default()
            .clone()
    }

    /// Writes every broker-side metric family in Prometheus' text format (version 0.0.4).
    pub fn render_prometheus(&self, broker: &Broker, out: &mut String) {
        family(
            out,
            "arus_uptime_seconds",
            "gauge",
            "Seconds since the broker started.",
        );
        let _ = writeln!(
            out,
            "arus_uptime_seconds {}",
            broker.started.elapsed().as_secs_f64()
        );

        family(
            out,
            "arus_connections",
            "gauge",
            "Client connections open now.",
        );
        let _ = writeln!(out, "arus_connections {}", self.open_connections());
        family(
            out,
            "arus_connections_accepted_total",
            "counter",
            "Client connections accepted.",
        );
        let _ = writeln!(
            out,
            "arus_connections_accepted_total {}",
            self.connections_accepted.load(Relaxed)
        );

        self.render_requests(out);

        let topics = broker.catalog.topics();
        let partitions: usize = topics.iter().map(|t| t.partitions.len()).sum();
        family(
            out,
            "arus_topics",
            "gauge",
            "Topics hosted, internal ones included.",
        );
        let _ = writeln!(out, "arus_topics {}", topics.len());
        family(
            out,
            "arus_partitions",
            "gauge",
            "Partitions hosted, internal ones included.",
        );
        let _ = writeln!(out, "arus_partitions {partitions}");
        family(
            out,
            "arus_under_replicated_partitions",
            "gauge",
            "Partitions with fewer in-sync replicas than replicas (always 0 on a single node).",
        );
        let _ = writeln!(out, "arus_under_replicated_partitions 0");

        let total = self.traffic();
        let per_topic: HashMap<String, Traffic> = self.topic_traffic().into_iter().collect();
        for (name, help, of) in TRAFFIC_FAMILIES {
            family(out, &format!("arus_{name}_total"), "counter", help);
            let _ = writeln!(out, "arus_{name}_total {}", of(&total));
            let topic_name = format!("arus_topic_{name}_total");
            family(out, &topic_name, "counter", &format!("{help} Per topic."));
            for t in &topics {
                let value = per_topic.get(&t.name).map(of).unwrap_or(0);
                let _ = writeln!(out, "{topic_name}{{topic=\"{}\"}} {value}", label(&t.name));
            }
        }

        let logs = [
            (
                "arus_log_size_bytes",
                "Size of the partition's log on disk.",
            ),
            (
                "arus_log_start_offset",
                "First offset still in the partition's log.",
            ),
            (
                "arus_log_end_offset",
                "Offset the partition's next record gets.",
            ),
        ];
        let mut rows = Vec::with_capacity(partitions);
        for t in &topics {
            for p in &t.partitions {
                let offsets = p.offsets();
                let labels = format!("topic=\"{}\",partition=\"{}\"", label(&t.name), p.index);
                rows.push((
                    labels,
                    [p.size_bytes() as i64, offsets.log_start, offsets.log_end],
                ));
            }
        }
        for (i, (name, help)) in logs.iter().enumerate() {
            family(out, name, "gauge", help);
            for (labels, values) in &rows {
                let _ = writeln!(out, "{name}{{{labels}}} {}", values[i]);
            }
        }
    }

    fn render_requests(&self, out: &mut String) {
        let seen: Vec<(String, &ApiCounters)> = self
            .apis
            .iter()
            .enumerate()
            .filter(|(_, c)| c.requests.load(Relaxed) > 0)
            .map(|(key, c)| (api_name(key as i16), c))
            .collect();
        family(
            out,
            "arus_requests_total",
            "counter",
            "Requests handled, per API.",
        );
        for (api, c) in &seen {
            let _ = writeln!(
                out,
                "arus_requests_total{{api=\"{api}\"}} {}",
                c.requests.load(Relaxed)
            );
        }
        let name = "arus_request_duration_seconds";
        family(
            out,
            name,
            "histogram",
            "Time from a request's arrival to its response, per API (fetches include their wait).",
        );
        for (api, c) in &seen {
            let mut cumulative = 0;
            for (i, count) in c.buckets.iter().enumerate() {
                cumulative += count.load(Relaxed);
                let le = LATENCY_BUCKETS
                    .get(i)
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "+Inf".into());
                let _ = writeln!(
                    out,
                    "{name}_bucket{{api=\"{api}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let sum = c.latency_us.load(Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "{name}_sum{{api=\"{api}\"}} {sum}");
            let _ = writeln!(out, "{name}_count{{api=\"{api}\"}} {cumulative}");
        }
    }
}

/// Name stem, help and value of each traffic counter family.
type TrafficFamily = (&'static str, &'static str, fn(&Traffic) -> u64);
const TRAFFIC_FAMILIES: [TrafficFamily; 4] = [
    ("messages_in", "Records appended by producers.", |t| {
        t.produced_records
    }),
    (
        "bytes_in",
        "Bytes of record batches appended by producers.",
        |t| t.produced_bytes,
    ),
    ("messages_out", "Records sent to fetchers.", |t| {
        t.fetched_records
    }),
    (
        "bytes_out",
        "Bytes of record batches sent to fetchers.",
        |t| t.fetched_bytes,
    ),
];

/// Decrements the open-connection gauge when a connection ends.
pub struct ConnectionGuard(Arc<Metrics>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Relaxed);
    }
}

fn api_name(key: i16) -> String {
    match ApiKey::try_from(key) {
        Ok(api) => format!("{api:?}"),
        Err(_) => key.to_string(),
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Escapes a label value as the text format requires (backslash, quote, newline).
pub fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_is_kept_per_topic_and_in_total() {
        let m = Metrics::default();
        m.record_produced("a", 3, 300);
        m.record_produced("b", 1, 50);
        m.record_fetched("a", 2, 61);
        let total = m.traffic();
        assert_eq!(
            total,
            Traffic {
                produced_records: 4,
                produced_bytes: 350,
                fetched_records: 2,
                fetched_bytes: 61
            }
        );
        let topics = m.topic_traffic();
        assert_eq!(topics.len(), 2);
        assert_eq!(topics[0].0, "a");
        assert_eq!(topics[0].1.produced_records, 3);
        assert_eq!(topics[0].1.fetched_records, 2);
        m.forget_topic("a");
        assert_eq!(m.topic_traffic().len(), 1);
        // Totals stay monotonic when a topic goes.
        assert_eq!(m.traffic().produced_records, 4);
    }

    #[test]
    fn request_latencies_fall_in_their_buckets() {
        let m = Metrics::default();
        m.record_request(0, Duration::from_micros(80));
        m.record_request(0, Duration::from_millis(3));
        m.record_request(0, Duration::from_secs(30));
        let mut out = String::new();
        m.render_requests(&mut out);
        assert!(
            out.contains("arus_requests_total{api=\"Produce\"} 3\n"),
            "{out}"
        );
        assert!(
            out.contains("arus_request_duration_seconds_bucket{api=\"Produce\",le=\"0.0001\"} 1\n")
        );
        assert!(
            out.contains("arus_request_duration_seconds_bucket{api=\"Produce\",le=\"0.005\"} 2\n")
        );
        assert!(out.contains("arus_request_duration_seconds_bucket{api=\"Produce\",le=\"10\"} 2\n"));
        assert!(
            out.contains("arus_request_duration_seconds_bucket{api=\"Produce\",le=\"+Inf\"} 3\n")
        );
        assert!(out.contains("arus_request_duration_seconds_count{api=\"Produce\"} 3\n"));
        assert!(!out.contains("Fetch"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
