//! The web console's wiring in the real binary: its ready line, `/metrics` over HTTP, a
//! console port that cannot be bound failing the start with the keys to change, and
//! `console.enabled=false`. (The pages themselves are tested in Chromium: compat/browser.)

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{block_on, TestBroker};
use rdkafka::producer::FutureRecord;

const CONSOLE_PREFIX: &str = "arus: console on http://";

/// The console address from the broker's stderr ready line.
fn console_addr(broker: &TestBroker) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stderr = broker.stderr();
        if let Some(line) = stderr.lines().find(|l| l.starts_with(CONSOLE_PREFIX)) {
            return line.trim_start_matches(CONSOLE_PREFIX).to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no console ready line:\n{stderr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A plain HTTP/1.1 GET: (status line, body).
fn get(addr: &str, path: &str) -> (String, String) {
    get_as(addr, addr, path)
}

/// A GET with the given Host header.
fn get_as(addr: &str, host: &str, path: &str) -> (String, String) {
    let (head, body) = get_head(addr, host, path);
    (head.lines().next().unwrap_or("").to_string(), body)
}

/// A GET with the given Host header: (status line and headers, body).
fn get_head(addr: &str, host: &str, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).expect("connect to console");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_string(), body.to_string())
}

#[test]
fn console_serves_pages_and_metrics_on_its_own_port() {
    let mut broker = TestBroker::start();
    let addr = console_addr(&broker);
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );
    let (status, body) = get(&addr, "/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("<h1>Overview</h1>"), "{body}");
    let (status, body) = get(&addr, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        body.contains("# TYPE arus_consumer_group_max_lag gauge\n"),
        "{body}"
    );
    assert!(
        body.contains("# TYPE arus_requests_total counter\n"),
        "{body}"
    );
    let (status, _) = get(&addr, "/topics/no-such-topic");
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    // No other site may frame a console page (clickjacking its forms).
    for path in ["/", "/topics/no-such-topic", "/api/overview"] {
        let (head, _) = get_head(&addr, &addr, path);
        let head = head.to_ascii_lowercase();
        assert!(
            head.contains("\r\nx-frame-options: deny\r\n"),
            "{path}: {head}"
        );
        assert!(
            head.contains("\r\ncontent-security-policy: frame-ancestors 'none'\r\n"),
            "{path}: {head}"
        );
        assert!(
            head.contains("\r\nx-content-type-options: nosniff\r\n"),
            "{path}: {head}"
        );
    }
    // DNS rebinding: a loopback console answers only requests addressed to loopback.
    let (status, body) = get_as(&addr, "evil.example:9991", "/metrics");
    assert_eq!(status, "HTTP/1.1 421 Misdirected Request");
    assert!(!body.contains("arus_"), "{body}");
    let port = addr.rsplit(':').next().unwrap_or("");
    let (status, _) = get_as(&addr, &format!("localhost:{port}"), "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    broker.stop();
}

#[test]
fn console_disabled() {
    let mut broker = TestBroker::start_with(&["console.enabled=false"]);
    broker.stop();
    assert!(
        !broker.stderr().contains(CONSOLE_PREFIX),
        "{}",
        broker.stderr()
    );
}

#[test]
fn console_port_taken_fails_the_start_naming_the_keys() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_arus"))
        .args([
            "server",
            "--override",
            "listeners=PLAINTEXT://127.0.0.1:0",
            "--override",
        ])
        .arg(format!("log.dirs={}", dir.path().join("data").display()))
        .arg("--override")
        .arg(format!("console.listener=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .output()
        .expect("run arus");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "", "no ready line");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with(&format!(
            "arus: cannot bind the web console on 127.0.0.1:{port}"
        )) && last.contains("console.listener")
            && last.contains("console.enabled=false"),
        "{stderr}"
    );
    drop(taken);
}

#[test]
fn bad_console_listener_is_a_config_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_arus"))
        .args([
            "server",
            "--override",
            "listeners=PLAINTEXT://127.0.0.1:0",
            "--override",
        ])
        .arg(format!("log.dirs={}", dir.path().join("data").display()))
        .args(["--override", "console.listener=nowhere"])
        .stdin(Stdio::null())
        .output()
        .expect("run arus");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("console.listener"), "{stderr}");
}

/// A field of the browser's JSON answer (a number, boolean or string), found by regex.
fn field(json: &str, name: &str) -> String {
    let re = regex::Regex::new(&format!(r#""{name}":("[^"]*"|[a-z0-9]+)"#)).expect("regex");
    re.captures(json)
        .map(|c| c[1].trim_matches('"').to_string())
        .unwrap_or_else(|| panic!("no {name} in {json}"))
}

#[test]
fn a_filter_scan_is_bounded_and_continues_from_its_cursor() {
    let mut broker = TestBroker::start();
    let addr = console_addr(&broker);
    broker.create_topic("big", 1, &[]);
    let producer = broker.producer_with(&[("linger.ms", "50"), ("batch.num.messages", "10000")]);
    let total = 60_000;
    let pending: Vec<_> = (0..total)
        .map(|i| {
            let value = format!("value-{i}");
            producer
                .send_result(FutureRecord::<[u8], [u8]>::to("big").payload(value.as_bytes()))
                .unwrap_or_else(|(e, _)| panic!("queue: {e}"))
        })
        .collect();
    for p in pending {
        block_on(p).expect("delivery").expect("produced");
    }

    // Nothing matches: the first page stops at the scan budget with a cursor to go on.
    let (status, body) = get(&addr, "/api/topics/big/messages?filter=no-such-value");
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert!(body.starts_with(r#"{"records":[]"#), "{body}");
    assert_eq!(field(&body, "truncated"), "true");
    assert_eq!(field(&body, "end"), "false");
    let scanned: i64 = field(&body, "scanned").parse().expect("number");
    assert!((50_000..total).contains(&scanned), "{body}");
    let cursor = field(&body, "cursor");
    assert_eq!(cursor, format!("0:{scanned}"));

    // The next page scans the rest and finds the one match past the budget.
    let (_, body) = get(
        &addr,
        &format!("/api/topics/big/messages?filter=value-59999&cursor={cursor}"),
    );
    assert_eq!(field(&body, "end"), "true", "{body}");
    assert_eq!(field(&body, "truncated"), "false");
    assert_eq!(
        field(&body, "scanned").parse::<i64>().expect("n"),
        total - scanned
    );
    assert_eq!(field(&body, "offset"), "59999");
    assert_eq!(field(&body, "cursor"), "0:60000");
    broker.stop();
}
