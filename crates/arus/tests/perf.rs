//! End-to-end tests of `arus perf` (produce, consume, e2e): the real binary against a real
//! broker, small sizes, results read from the `--json` output.

mod common;

use common::cli::{arus, fails, ok};
use common::{watermarks, TestBroker};

/// A number field of the one-line JSON object the tool prints.
fn field(json: &str, key: &str) -> f64 {
    let pat = format!("\"{key}\":");
    let at = json
        .find(&pat)
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + pat.len();
    let rest = &json[at..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end]
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{key} in {json}: {e}"))
}

/// The single JSON line of a run's stdout.
fn json_line(stdout: &str) -> String {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "expected one JSON line, got:\n{stdout}");
    let line = lines[0].to_string();
    assert!(line.starts_with('{') && line.ends_with('}'), "{line}");
    line
}

fn assert_ordered(json: &str, keys: &[&str]) {
    let values: Vec<f64> = keys.iter().map(|k| field(json, k)).collect();
    assert!(
        values.windows(2).all(|w| w[0] <= w[1]) && values[0] >= 0.0,
        "{keys:?} not ordered in {json}"
    );
}

#[test]
fn produce_then_consume_twenty_thousand_records() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    let out = ok(
        &[
            "perf",
            "produce",
            "--bootstrap-server",
            &b,
            "--topic",
            "bench",
            "--num-records",
            "20000",
            "--record-size",
            "100",
            "--throughput",
            "-1",
            "--partitions",
            "3",
            "--json",
        ],
        "",
    );
    let json = json_line(&out.stdout);
    assert_eq!(field(&json, "records"), 20000.0, "{json}");
    assert_eq!(field(&json, "errors"), 0.0, "{json}");
    assert!(field(&json, "elapsed_s") > 0.0, "{json}");
    assert!(field(&json, "records_per_sec") > 0.0, "{json}");
    assert!(field(&json, "mb_per_sec") > 0.0, "{json}");
    assert_ordered(
        &json,
        &["p50_ms", "p95_ms", "p99_ms", "p999_ms", "max_latency_ms"],
    );
    assert!(field(&json, "avg_latency_ms") <= field(&json, "max_latency_ms"));
    let stored: i64 = (0..3)
        .map(|p| {
            let (low, high) = watermarks(&broker, "bench", p);
            high - low
        })
        .sum();
    assert_eq!(stored, 20000, "records in the topic");

    let out = ok(
        &[
            "perf",
            "consume",
            "--bootstrap-server",
            &b,
            "--topic",
            "bench",
            "--messages",
            "20000",
            "--json",
        ],
        "",
    );
    let json = json_line(&out.stdout);
    assert_eq!(field(&json, "records"), 20000.0, "{json}");
    assert_eq!(field(&json, "bytes"), 2_000_000.0, "{json}");
    assert!(field(&json, "startup_ms") >= 0.0, "{json}");
    assert!(field(&json, "records_per_sec") > 0.0, "{json}");

    // In a group, with Kafka's header and report line.
    let out = ok(
        &[
            "perf",
            "consume",
            "--bootstrap-server",
            &b,
            "--topic",
            "bench",
            "--messages",
            "20000",
            "--group",
            "perf-group",
        ],
        "",
    );
    let lines = out.lines();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert_eq!(
        lines[0],
        "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
    );
    let report = regex::Regex::new(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, 1\.9073, \d+\.\d{4}, 20000, \d+\.\d{4}, \d+, \d+, \d+\.\d{4}, \d+\.\d{4}$",
    )
    .unwrap();
    assert!(report.is_match(lines[1]), "{}", lines[1]);

    // Fewer records than asked for: the report, then a non-zero exit after the timeout.
    let out = arus(
        &[
            "perf",
            "consume",
            "--bootstrap-server",
            &b,
            "--topic",
            "bench",
            "--messages",
            "20001",
            "--timeout-ms",
            "1000",
            "--json",
        ],
        "",
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(field(&json_line(&out.stdout), "records"), 20000.0);
    assert!(
        out.stderr.contains("timeout (1000 ms) exceeded"),
        "{}",
        out.stderr
    );
}

#[test]
fn produce_summary_line_has_kafkas_format() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    let out = ok(
        &[
            "perf",
            "produce",
            "--bootstrap-server",
            &b,
            "--topic",
            "summary",
            "--num-records",
            "5000",
            "--record-size",
            "200",
            "--throughput",
            "-1",
            "--acks",
            "1",
            "--linger-ms",
            "2",
            "--batch-size",
            "65536",
            "--compression",
            "lz4",
            "--producers",
            "2",
            "--producer-props",
            "client.id=perf-test",
            "retries=3",
        ],
        "",
    );
    // Not a terminal: no progress lines, only the summary.
    let lines = out.lines();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    let summary = regex::Regex::new(
        r"^5000 records sent, \d+\.\d{6} records/sec \(\d+\.\d{2} MB/sec\), \d+\.\d{2} ms avg latency, \d+\.\d{2} ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$",
    )
    .unwrap();
    assert!(summary.is_match(lines[0]), "{}", lines[0]);
    assert_eq!(watermarks(&broker, "summary", 0).1, 5000);
}

#[test]
fn throughput_cap_paces_the_sends() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    let out = ok(
        &[
            "perf",
            "produce",
            "--bootstrap-server",
            &b,
            "--topic",
            "paced",
            "--num-records",
            "2000",
            "--record-size",
            "50",
            "--throughput",
            "1000",
            "--json",
        ],
        "",
    );
    let json = json_line(&out.stdout);
    assert_eq!(field(&json, "records"), 2000.0, "{json}");
    let elapsed = field(&json, "elapsed_s");
    assert!(elapsed >= 1.8, "2000 records at 1000/s took {elapsed} s");
    assert!(
        field(&json, "records_per_sec") <= 1100.0,
        "rate above the cap: {json}"
    );
}

#[test]
fn e2e_at_a_fixed_rate_loses_nothing() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    broker.create_topic("e2e", 3, &[]);
    let out = ok(
        &[
            "perf",
            "e2e",
            "--bootstrap-server",
            &b,
            "--topic",
            "e2e",
            "--rate",
            "500",
            "--duration-s",
            "2",
            "--json",
        ],
        "",
    );
    let json = json_line(&out.stdout);
    assert_eq!(field(&json, "records"), 1000.0, "{json}");
    assert_eq!(field(&json, "lost"), 0.0, "{json}");
    assert_eq!(field(&json, "duplicated"), 0.0, "{json}");
    assert_eq!(field(&json, "reordered"), 0.0, "{json}");
    assert_ordered(&json, &["p50_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms"]);
    assert!(field(&json, "p50_ms") > 0.0, "{json}");
    let stored: i64 = (0..3).map(|p| watermarks(&broker, "e2e", p).1).sum();
    assert_eq!(stored, 1000);
}

#[test]
fn bad_flags_print_usage() {
    let out = fails(&[
        "perf",
        "produce",
        "--topic",
        "t",
        "--num-records",
        "1",
        "--record-size",
        "1",
        "--throughput",
        "-1",
        "--bootstrap-server",
        "127.0.0.1:9",
        "--bogus",
    ]);
    assert!(
        out.stderr.contains("unexpected argument '--bogus'"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Usage: arus perf produce"),
        "{}",
        out.stderr
    );
    let out = fails(&["perf", "consume", "--topic", "t"]);
    assert!(
        out.stderr.contains("Usage: arus perf consume"),
        "{}",
        out.stderr
    );
    let out = fails(&["perf", "e2e", "--topic", "t", "--rate", "fast"]);
    assert!(
        out.stderr.contains("invalid value 'fast' for '--rate"),
        "{}",
        out.stderr
    );
    let out = fails(&["perf", "bench"]);
    assert!(out.stderr.contains("Usage: arus perf"), "{}", out.stderr);
}

#[test]
fn unreachable_broker_fails_naming_the_address() {
    // Bind a port and close it again: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let out = fails(&[
        "perf",
        "produce",
        "--bootstrap-server",
        &addr,
        "--topic",
        "t",
        "--num-records",
        "10",
        "--record-size",
        "10",
        "--throughput",
        "-1",
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(out.stderr.contains(&addr), "{}", out.stderr);
    assert_eq!(out.stdout, "");
}
