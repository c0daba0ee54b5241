//! End-to-end tests of the Kafka-style tools (`arus topics`, `arus console-producer`,
//! `arus console-consumer`): the real binary against a real broker, with Kafka's flags and
//! exact output lines.

mod common;

use std::time::{Duration, Instant};

use common::cli::{arus, ok};
use common::TestBroker;

#[test]
fn paper_sequence_create_produce_consume() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    let out = ok(
        &[
            "topics",
            "--create",
            "--partitions",
            "1",
            "--replication-factor",
            "1",
            "--topic",
            "tes",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.stdout, "Created topic tes.\n");
    let out = ok(
        &[
            "console-producer",
            "--topic",
            "tes",
            "--bootstrap-server",
            &b,
        ],
        "This is my first data\nThis is my second data\n",
    );
    assert_eq!(out.stdout, "");
    let out = ok(
        &[
            "console-consumer",
            "--topic",
            "tes",
            "--from-beginning",
            "--bootstrap-server",
            &b,
            "--max-messages",
            "2",
        ],
        "",
    );
    assert_eq!(
        out.lines(),
        ["This is my first data", "This is my second data"]
    );
    assert_eq!(out.stderr, "Processed a total of 2 messages\n");
}

#[test]
fn topics_create_list_describe_alter_delete() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    let create = |t: &str, extra: &[&str]| {
        let mut args = vec!["topics", "--bootstrap-server", &b, "--create", "--topic", t];
        args.extend_from_slice(extra);
        arus(&args, "")
    };
    let out = create(
        "orders",
        &["--partitions", "3", "--replication-factor", "1"],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "Created topic orders.\n")
    );
    let out = create(
        "audit",
        &[
            "--config",
            "retention.ms=1000",
            "--config",
            "cleanup.policy=compact",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "Created topic audit.\n")
    );

    // Duplicate: Kafka's message, exit 1; --if-not-exists: silent success.
    let out = create("orders", &[]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "Error while executing topic command : Topic 'orders' already exists.\n"
    );
    let out = create("orders", &["--if-not-exists"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );

    let out = ok(&["topics", "--list", "--bootstrap-server", &b], "");
    assert_eq!(out.lines(), ["audit", "orders"]);
    let out = ok(
        &[
            "topics",
            "--list",
            "--topic",
            "ord.*",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.lines(), ["orders"]);
    let out = ok(
        &[
            "topics",
            "--list",
            "--exclude-internal",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.lines(), ["audit", "orders"]);

    let out = ok(
        &[
            "topics",
            "--describe",
            "--topic",
            "orders",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    let lines = out.lines();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    let id = lines[0]
        .strip_prefix("Topic: orders\tTopicId: ")
        .and_then(|rest| rest.split('\t').next())
        .unwrap_or_else(|| panic!("header line: {:?}", lines[0]));
    assert_eq!(id.len(), 22, "base64 topic id: {id}");
    assert!(id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    assert_eq!(
        lines[0],
        format!("Topic: orders\tTopicId: {id}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: ")
    );
    for p in 0..3 {
        assert_eq!(
            lines[1 + p],
            format!("\tTopic: orders\tPartition: {p}\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: ")
        );
    }
    // Only non-default configs are listed.
    let out = ok(
        &[
            "topics",
            "--describe",
            "--topic",
            "audit",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    let header = out.lines()[0].to_string();
    let configs = header.split("\tConfigs: ").nth(1).unwrap();
    let mut configs: Vec<&str> = configs.split(',').collect();
    configs.sort();
    assert_eq!(configs, ["cleanup.policy=compact", "retention.ms=1000"]);
    // --describe without --topic describes every topic, sorted.
    let out = ok(&["topics", "--describe", "--bootstrap-server", &b], "");
    let headers: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("Topic: "))
        .collect();
    assert_eq!(headers.len(), 2);
    assert!(headers[0].starts_with("Topic: audit\t") && headers[1].starts_with("Topic: orders\t"));

    // Alter: increase works, decrease is refused with Kafka's reason.
    let out = ok(
        &[
            "topics",
            "--alter",
            "--topic",
            "orders",
            "--partitions",
            "6",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.stdout, "");
    let out = ok(
        &[
            "topics",
            "--describe",
            "--topic",
            "orders",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert!(
        out.lines()[0].contains("\tPartitionCount: 6\t"),
        "{}",
        out.stdout
    );
    assert_eq!(out.lines().len(), 7);
    let out = arus(
        &[
            "topics",
            "--alter",
            "--topic",
            "orders",
            "--partitions",
            "2",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "Error while executing topic command : The topic orders currently has 6 partition(s); 2 would not be an increase.\n"
    );

    // Delete, then the topic is gone.
    let out = ok(
        &[
            "topics",
            "--delete",
            "--topic",
            "orders",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.stdout, "");
    let out = ok(&["topics", "--list", "--bootstrap-server", &b], "");
    assert_eq!(out.lines(), ["audit"]);
    let out = arus(
        &[
            "topics",
            "--describe",
            "--topic",
            "orders",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "Error while executing topic command : Topic 'orders' does not exist as expected\n"
    );
    let out = arus(
        &[
            "topics",
            "--delete",
            "--topic",
            "orders",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.code, 1);
}

#[test]
fn keys_round_trip_like_the_cheat_sheet() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    ok(
        &[
            "topics",
            "--create",
            "--topic",
            "orders",
            "--bootstrap-server",
            &b,
            "--partitions",
            "1",
        ],
        "",
    );
    ok(
        &[
            "console-producer",
            "--topic",
            "orders",
            "--bootstrap-server",
            &b,
            "--property",
            "key.separator=:",
            "--property",
            "parse.key=true",
        ],
        "order-123:{\"product\": \"laptop\", \"price\": 999}\norder-124:second\n",
    );
    let out = ok(
        &[
            "console-consumer",
            "--topic",
            "orders",
            "--property",
            "print.key=true",
            "--property",
            "key.separator= - ",
            "--from-beginning",
            "--bootstrap-server",
            &b,
            "--max-messages",
            "2",
        ],
        "",
    );
    assert_eq!(
        out.lines(),
        [
            "order-123 - {\"product\": \"laptop\", \"price\": 999}",
            "order-124 - second"
        ]
    );
    assert_eq!(out.stderr, "Processed a total of 2 messages\n");

    // A line without the separator is refused with a one-line reason.
    let out = arus(
        &[
            "console-producer",
            "--topic",
            "orders",
            "--bootstrap-server",
            &b,
            "--property",
            "parse.key=true",
        ],
        "no separator here\n",
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "ERROR No key separator found on line number 1: 'no separator here'\n"
    );
}

#[test]
fn headers_partition_offset_round_trip() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    ok(
        &[
            "topics",
            "--create",
            "--topic",
            "events",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    ok(
        &[
            "console-producer",
            "--topic",
            "events",
            "--bootstrap-server",
            &b,
            "--property",
            "parse.headers=true",
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
            "--property",
            "ignore.error=true",
        ],
        "event_type:created,source:api\tk1:v1\nflag\tk2:v2\n",
    );
    // Without ignore.error a header pair lacking its key separator is refused, as in Kafka.
    let out = arus(
        &[
            "console-producer",
            "--topic",
            "events",
            "--bootstrap-server",
            &b,
            "--property",
            "parse.headers=true",
        ],
        "flag\tv3\n",
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "ERROR No header key separator found in pair 'flag' on line number 1\n"
    );
    let out = ok(
        &[
            "console-consumer",
            "--topic",
            "events",
            "--bootstrap-server",
            &b,
            "--partition",
            "0",
            "--offset",
            "earliest",
            "--max-messages",
            "2",
            "--property",
            "print.headers=true",
            "--property",
            "print.key=true",
            "--property",
            "print.partition=true",
            "--property",
            "print.offset=true",
        ],
        "",
    );
    assert_eq!(
        out.lines(),
        [
            "Partition:0\tOffset:0\tevent_type:created,source:api\tk1\tv1",
            "Partition:0\tOffset:1\tflag:null\tk2\tv2",
        ]
    );
    // Offset 1 only, and a timestamp prefix.
    let out = ok(
        &[
            "console-consumer",
            "--topic",
            "events",
            "--bootstrap-server",
            &b,
            "--partition",
            "0",
            "--offset",
            "1",
            "--max-messages",
            "1",
            "--property",
            "print.timestamp=true",
        ],
        "",
    );
    let line = out.lines()[0].to_string();
    let (ts, value) = line.split_once('\t').unwrap();
    assert!(ts.starts_with("CreateTime:"), "{line}");
    assert_eq!(value, "v2");
}

#[test]
fn consumer_group_resumes_and_timeout_ends_the_run() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    ok(
        &[
            "topics",
            "--create",
            "--topic",
            "jobs",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    ok(
        &[
            "console-producer",
            "--topic",
            "jobs",
            "--bootstrap-server",
            &b,
        ],
        "a\nb\nc\n",
    );
    let consume = |max: &str| {
        ok(
            &[
                "console-consumer",
                "--topic",
                "jobs",
                "--group",
                "workers",
                "--from-beginning",
                "--bootstrap-server",
                &b,
                "--max-messages",
                max,
                "--timeout-ms",
                "15000",
            ],
            "",
        )
    };
    assert_eq!(consume("2").lines(), ["a", "b"]);
    // The group committed its position: the next run continues after "b", then times out.
    let out = consume("5");
    assert_eq!(out.lines(), ["c"]);
    assert_eq!(out.stderr, "Processed a total of 1 messages\n");
}

#[test]
fn unreachable_broker_fails_fast_naming_the_address() {
    // Port 1 on loopback: nothing listens there.
    let started = Instant::now();
    let out = arus(
        &["topics", "--list", "--bootstrap-server", "127.0.0.1:1"],
        "",
    );
    assert_eq!(out.code, 1);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("127.0.0.1:1"), "{}", out.stderr);

    // The producer and consumer give up the same way.
    for args in [
        &[
            "console-producer",
            "--topic",
            "t",
            "--bootstrap-server",
            "127.0.0.1:1",
        ][..],
        &[
            "console-consumer",
            "--topic",
            "t",
            "--bootstrap-server",
            "127.0.0.1:1",
        ][..],
    ] {
        let started = Instant::now();
        let out = arus(args, "x\n");
        assert_eq!(out.code, 1, "{args:?}");
        assert!(started.elapsed() < Duration::from_secs(20), "{args:?}");
        assert!(
            out.stderr
                .lines()
                .next()
                .unwrap_or("")
                .contains("127.0.0.1:1"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn refused_write_fails_the_producer() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    ok(
        &[
            "topics",
            "--create",
            "--topic",
            "small",
            "--config",
            "max.message.bytes=200",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    let big = format!("{}\n", "x".repeat(500));
    let out = arus(
        &[
            "console-producer",
            "--topic",
            "small",
            "--bootstrap-server",
            &b,
            "--compression-codec",
            "none",
        ],
        &big,
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("MessageSizeTooLarge"), "{}", out.stderr);
}
