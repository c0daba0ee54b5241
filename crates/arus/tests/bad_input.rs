//! Hostile and broken input over raw TCP: each bad request closes (only) its own connection or
//! gets a precise error, the broker keeps running, and other clients are not disturbed.

mod common;

use std::net::Shutdown;
use std::time::Duration;

use common::*;
use rdkafka::consumer::BaseConsumer;
use rdkafka::producer::FutureProducer;
use rdkafka::Offset;

const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// APIs the contract says Arus implements, by key.
const IMPLEMENTED: &[(i16, &str)] = &[
    (0, "Produce"),
    (1, "Fetch"),
    (2, "ListOffsets"),
    (3, "Metadata"),
    (18, "ApiVersions"),
    (19, "CreateTopics"),
    (20, "DeleteTopics"),
    (21, "DeleteRecords"),
    (32, "DescribeConfigs"),
    (33, "AlterConfigs"),
    (35, "DescribeLogDirs"),
    (37, "CreatePartitions"),
    (44, "IncrementalAlterConfigs"),
    (60, "DescribeCluster"),
];

/// A well-behaved client pair kept open across the bad requests.
struct Bystander {
    topic: String,
    producer: FutureProducer,
    consumer: BaseConsumer,
    next: i64,
}

impl Bystander {
    fn new(broker: &TestBroker) -> Bystander {
        let topic = "bad-bystander".to_string();
        broker.create_topic(&topic, 1, &[]);
        let producer = broker.producer();
        let consumer = broker.consumer();
        assign(&consumer, &topic, &[(0, Offset::Beginning)]);
        let mut b = Bystander {
            topic,
            producer,
            consumer,
            next: 0,
        };
        b.check("warm-up", broker);
        b
    }

    /// The broker is alive, a fresh raw connection is answered, and the long-lived clients
    /// still produce and consume exactly.
    fn check(&mut self, after: &str, broker: &TestBroker) {
        let value = format!("still fine after {after}");
        let offset = send_kv(&self.producer, &self.topic, 0, "bystander", &value);
        assert_eq!(offset, self.next, "bystander offset after {after}");
        let got = poll_n(&self.consumer, 1, CLIENT_TIMEOUT);
        assert_eq!(
            got[0].offset, self.next,
            "bystander consumed offset after {after}"
        );
        assert_eq!(got[0].value_str(), value);
        self.next += 1;
        let mut conn = RawConn::connect(broker);
        let c = conn.send_v1(18, 0, &[]);
        let body = conn.read_response(c);
        assert_eq!(
            i16::from_be_bytes([body[0], body[1]]),
            0,
            "ApiVersions v0 after {after}"
        );
    }
}

fn assert_closed(conn: &mut RawConn, what: &str, broker: &TestBroker) {
    if let Err(e) = conn.expect_closed(CLOSE_TIMEOUT) {
        panic!("{what}: {e}\n{}", broker.stderr_tail(4000));
    }
}

/// A request frame with a v1 header and the given body, as bytes.
fn frame(api_key: i16, version: i16, correlation: i32, body: &[u8]) -> Vec<u8> {
    let mut f = Enc::new();
    f.i32(0)
        .i16(api_key)
        .i16(version)
        .i32(correlation)
        .string("arus-e2e-bad")
        .raw(body);
    let mut bytes = f.0;
    let size = (bytes.len() - 4) as i32;
    bytes[..4].copy_from_slice(&size.to_be_bytes());
    bytes
}

#[test]
fn malformed_frames_close_only_their_connection() {
    let mut broker = TestBroker::start();
    let mut bystander = Bystander::new(&broker);

    // A length prefix far beyond socket.request.max.bytes.
    let mut conn = RawConn::connect(&broker);
    conn.write_raw(&0x7fff_ffffi32.to_be_bytes()).unwrap();
    assert_closed(&mut conn, "oversize length prefix", &broker);
    bystander.check("an oversize length prefix", &broker);

    // A negative length prefix.
    let mut conn = RawConn::connect(&broker);
    conn.write_raw(&(-1i32).to_be_bytes()).unwrap();
    assert_closed(&mut conn, "negative length prefix", &broker);
    bystander.check("a negative length prefix", &broker);

    // A frame too short to hold a request header.
    let mut conn = RawConn::connect(&broker);
    conn.write_raw(&[0, 0, 0, 4, 0, 18, 0, 0]).unwrap();
    assert_closed(&mut conn, "4-byte frame", &broker);
    bystander.check("a 4-byte frame", &broker);

    // A truncated frame, then the client hangs up.
    let mut conn = RawConn::connect(&broker);
    let full = frame(3, 1, 7, &[0, 0, 0, 0]);
    let mut partial = full.clone();
    partial[..4].copy_from_slice(&100i32.to_be_bytes());
    partial.truncate(20.min(partial.len()));
    conn.write_raw(&partial).unwrap();
    conn.stream.shutdown(Shutdown::Write).unwrap();
    assert_closed(&mut conn, "truncated frame", &broker);
    bystander.check("a truncated frame", &broker);

    // An API key that does not exist.
    let mut conn = RawConn::connect(&broker);
    conn.write_raw(&frame(9999, 0, 1, &[])).unwrap();
    assert_closed(&mut conn, "unknown API key", &broker);
    bystander.check("an unknown API key", &broker);

    // A version of Metadata that does not exist.
    let mut conn = RawConn::connect(&broker);
    conn.write_raw(&frame(3, 999, 1, &[0, 0, 0, 0])).unwrap();
    assert_closed(&mut conn, "unsupported Metadata version", &broker);
    bystander.check("an unsupported Metadata version", &broker);

    // Metadata v1 whose topic array claims 5 entries but holds 3 bytes.
    let mut conn = RawConn::connect(&broker);
    conn.write_raw(&frame(3, 1, 1, &[0, 0, 0, 5, 0, 1, b'x']))
        .unwrap();
    assert_closed(&mut conn, "truncated Metadata body", &broker);
    bystander.check("a truncated Metadata body", &broker);

    // Metadata v1 whose topic array claims two billion entries: must not allocate for them.
    let mut conn = RawConn::connect(&broker);
    conn.write_raw(&frame(3, 1, 1, &[0x7f, 0xff, 0xff, 0xf0, 0, 1, b'x']))
        .unwrap();
    assert_closed(&mut conn, "Metadata with a huge array count", &broker);
    bystander.check("a Metadata body with a huge array count", &broker);

    // Produce v3 whose topic name length runs past the end of the frame.
    let mut conn = RawConn::connect(&broker);
    let mut body = Enc::new();
    body.null_string()
        .i16(1)
        .i32(1000)
        .i32(1)
        .i16(300)
        .raw(b"short");
    conn.write_raw(&frame(0, 3, 1, &body.0)).unwrap();
    assert_closed(&mut conn, "truncated Produce body", &broker);
    bystander.check("a truncated Produce body", &broker);

    // Pure garbage.
    let mut conn = RawConn::connect(&broker);
    let mut garbage = vec![0u8; 4 + 512];
    garbage[..4].copy_from_slice(&512i32.to_be_bytes());
    let mut x: u32 = 0x1234_5678;
    for b in &mut garbage[4..] {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    garbage[4..6].copy_from_slice(&0x7f7fi16.to_be_bytes()); // no such API
    conn.write_raw(&garbage).unwrap();
    assert_closed(&mut conn, "garbage frame", &broker);
    bystander.check("a garbage frame", &broker);

    assert!(
        broker.is_running(),
        "broker died\n{}",
        broker.stderr_tail(8000)
    );
}

fn parse_api_versions_v0(body: &[u8]) -> (i16, Vec<(i16, i16, i16)>) {
    let mut d = Dec::new(body);
    let error = d.i16();
    let n = d.i32();
    assert!(n >= 0, "null api list");
    let apis = (0..n).map(|_| (d.i16(), d.i16(), d.i16())).collect();
    assert_eq!(d.remaining(), 0, "trailing bytes in ApiVersions v0 body");
    (error, apis)
}

#[test]
fn api_versions_of_unknown_version_answers_unsupported_with_v0_body() {
    let broker = TestBroker::start();
    let mut conn = RawConn::connect(&broker);
    // ApiVersions v99 (as a newer client would send it: flexible header with tag buffer).
    let c = conn.send_v1(18, 99, &[0]);
    let body = conn.read_response(c);
    let (error, apis) = parse_api_versions_v0(&body);
    assert_eq!(error, 35, "UNSUPPORTED_VERSION");
    assert!(!apis.is_empty());
    for (key, name) in IMPLEMENTED {
        let entry = apis.iter().find(|a| a.0 == *key);
        let Some((_, min, max)) = entry else {
            panic!("ApiVersions does not list {name} ({key}): {apis:?}");
        };
        assert!(min <= max, "{name}: min {min} > max {max}");
    }
    let versions = |key: i16| {
        apis.iter()
            .find(|a| a.0 == key)
            .map(|a| (a.1, a.2))
            .unwrap()
    };
    let (min, max) = versions(18);
    assert_eq!(min, 0, "ApiVersions v0 must stay supported");
    assert!(max >= 3, "ApiVersions max {max}");
    assert!(
        versions(0).0 <= 3 && versions(0).1 >= 3,
        "Produce v3 supported: {:?}",
        versions(0)
    );
    assert!(
        versions(1).0 <= 4 && versions(1).1 >= 4,
        "Fetch v4 supported: {:?}",
        versions(1)
    );
    // No duplicates.
    let mut keys: Vec<i16> = apis.iter().map(|a| a.0).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), apis.len(), "duplicate API keys in {apis:?}");

    // The connection stays usable, and pipelined requests are answered in order.
    let c1 = conn.send_v1(18, 0, &[]);
    let c2 = conn.send_v1(3, 1, &[0, 0, 0, 0]); // Metadata v1, no topics
    let c3 = conn.send_v1(18, 1, &[]);
    let b1 = conn.read_response(c1);
    let (error, apis_v0) = parse_api_versions_v0(&b1);
    assert_eq!(error, 0);
    assert_eq!(apis_v0, apis, "ApiVersions v0 lists the same APIs");
    let b2 = conn.read_response(c2);
    let mut d = Dec::new(&b2);
    let brokers = d.i32();
    assert_eq!(brokers, 1, "Metadata v1 lists one broker");
    let _node = d.i32();
    assert_eq!(d.string(), "127.0.0.1");
    assert_eq!(d.i32(), broker.port() as i32);
    let b3 = conn.read_response(c3);
    assert_eq!(
        i16::from_be_bytes([b3[0], b3[1]]),
        0,
        "ApiVersions v1 error code"
    );
}

#[test]
fn produce_with_corrupt_crc_is_refused_and_not_stored() {
    let broker = TestBroker::start();
    let topic = "bad-crc";
    broker.create_topic(topic, 1, &[]);
    let now = rdkafka::message::Timestamp::now().to_millis().unwrap();
    let rec = |v: &'static [u8]| RawRecord {
        key: Some(b"key"),
        value: Some(v),
        headers: vec![("h", Some(&b"1"[..]))],
    };
    let mut conn = RawConn::connect(&broker);

    // A valid hand-built batch is accepted (this validates the test's own encoder).
    let good = build_batch(&[rec(b"good-0"), rec(b"good-1"), rec(b"good-2")], now);
    let c = conn.send_v1(0, 3, &produce_v3_body(topic, 0, -1, &good));
    assert_eq!(
        parse_produce_v3(&conn.read_response(c)),
        vec![(topic.to_string(), 0, 0, 0)]
    );
    assert_eq!(watermarks(&broker, topic, 0), (0, 3));

    // The same batch with one record byte changed after the CRC was computed.
    let mut bad = build_batch(&[rec(b"evil-0"), rec(b"evil-1"), rec(b"evil-2")], now);
    let n = bad.len();
    bad[n - 5] ^= 0x01;
    assert!(!batch_crc_ok(&bad));
    let c = conn.send_v1(0, 3, &produce_v3_body(topic, 0, -1, &bad));
    assert_eq!(
        parse_produce_v3(&conn.read_response(c)),
        vec![(topic.to_string(), 0, 2, -1)],
        "CORRUPT_MESSAGE"
    );
    assert_eq!(
        watermarks(&broker, topic, 0),
        (0, 3),
        "a corrupt batch must not move the high watermark"
    );

    // A wrong CRC in the header (records intact) is refused the same way.
    let mut bad_header = build_batch(&[rec(b"evil-3")], now);
    bad_header[17] ^= 0xff;
    let c = conn.send_v1(0, 3, &produce_v3_body(topic, 0, -1, &bad_header));
    assert_eq!(
        parse_produce_v3(&conn.read_response(c)),
        vec![(topic.to_string(), 0, 2, -1)]
    );

    // A partition that does not exist.
    let c = conn.send_v1(0, 3, &produce_v3_body(topic, 7, -1, &good));
    assert_eq!(
        parse_produce_v3(&conn.read_response(c)),
        vec![(topic.to_string(), 7, 3, -1)]
    );
    assert_eq!(watermarks(&broker, topic, 0), (0, 3));

    // The connection is still good for valid batches, which land right after the first.
    let good2 = build_batch(&[rec(b"good-3"), rec(b"good-4")], now + 1);
    let c = conn.send_v1(0, 3, &produce_v3_body(topic, 0, 1, &good2));
    assert_eq!(
        parse_produce_v3(&conn.read_response(c)),
        vec![(topic.to_string(), 0, 0, 3)]
    );
    assert_eq!(watermarks(&broker, topic, 0), (0, 5));

    let got = read_partition(&broker, topic, 0, 5);
    type Headers = Vec<(String, Option<Vec<u8>>)>;
    let got: Vec<(i64, String, Headers)> = got
        .iter()
        .map(|m| (m.offset, m.value_str().to_string(), m.headers.clone()))
        .collect();
    let h = vec![("h".to_string(), Some(b"1".to_vec()))];
    assert_eq!(
        got,
        (0..5)
            .map(|i| (i as i64, format!("good-{i}"), h.clone()))
            .collect::<Vec<_>>()
    );
}
