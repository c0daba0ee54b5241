//! End-to-end tests of the Kafka tool flags beyond the basics in `cli.rs`: client property
//! files (`--command-config`, `--producer.config`, `--consumer.config`), the describe reports
//! of `arus topics`, `--sync` and `ignore.error` in the console producer, and `--include`,
//! `--isolation-level`, `--skip-message-on-error` and the offset rules of the console
//! consumer. The real binary against a real broker, exact output lines and exit codes.

mod common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::FromRawFd;
use std::process::{Command, Stdio};

use common::cli::{arus, ok, Out};
use common::{segment_batches, TestBroker};

/// A properties file with `text` in a fresh temporary directory.
fn props_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write properties file");
    path.to_string_lossy().into_owned()
}

fn create(b: &str, topic: &str, extra: &[&str]) {
    let mut args = vec![
        "topics",
        "--bootstrap-server",
        b,
        "--create",
        "--topic",
        topic,
    ];
    args.extend_from_slice(extra);
    let out = ok(&args, "");
    assert_eq!(out.stdout, format!("Created topic {topic}.\n"));
}

fn produce(b: &str, topic: &str, extra: &[&str], stdin: &str) -> Out {
    let mut args = vec![
        "console-producer",
        "--bootstrap-server",
        b,
        "--topic",
        topic,
    ];
    args.extend_from_slice(extra);
    arus(&args, stdin)
}

fn consume(b: &str, extra: &[&str]) -> Out {
    let mut args = vec!["console-consumer", "--bootstrap-server", b];
    args.extend_from_slice(extra);
    arus(&args, "")
}

const IGNORED_SERIALIZER: &str = "WARN These configurations '[key.serializer]' were supplied but are not known to this client and were ignored.\n";

#[test]
fn topics_command_config_is_applied_and_java_only_keys_are_skipped() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    let dir = tempfile::tempdir().unwrap();
    create(&b, "alpha", &[]);

    let good = props_file(
        &dir,
        "admin.properties",
        "# an admin client config\n! another comment\n\nclient.id = arus-admin\nkey.serializer: org.apache.kafka.common.serialization.StringSerializer\nrequest.timeout.ms 30000\n",
    );
    let out = ok(
        &[
            "topics",
            "--bootstrap-server",
            &b,
            "--list",
            "--command-config",
            &good,
        ],
        "",
    );
    assert_eq!(out.lines(), ["alpha"]);
    assert_eq!(out.stderr, IGNORED_SERIALIZER);

    // A known key with a value librdkafka refuses shows the file really is applied.
    let bad = props_file(
        &dir,
        "bad.properties",
        "socket.connection.setup.timeout.ms=soon\n",
    );
    let out = arus(
        &[
            "topics",
            "--bootstrap-server",
            &b,
            "--list",
            "--command-config",
            &bad,
        ],
        "",
    );
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert_eq!(
        out.stderr,
        "Error while executing topic command : Invalid value for configuration property \"socket.connection.setup.timeout.ms\"\n"
    );

    let missing = dir.path().join("missing.properties");
    let missing = missing.to_string_lossy();
    let out = arus(
        &[
            "topics",
            "--bootstrap-server",
            &b,
            "--list",
            "--command-config",
            &missing,
        ],
        "",
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        format!("Error while executing topic command : {missing} (No such file or directory)\n")
    );
}

#[test]
fn topics_describe_reports() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    create(&b, "plain", &["--partitions", "2"]);
    create(&b, "tuned", &["--config", "retention.ms=1000"]);
    let describe = |extra: &[&str]| {
        let mut args = vec![
            "topics",
            "--bootstrap-server",
            &b,
            "--describe",
            "--topic",
            "plain|tuned",
        ];
        args.extend_from_slice(extra);
        ok(&args, "")
    };
    let full = describe(&[]);
    assert_eq!(full.lines().len(), 5, "{}", full.stdout);
    let tuned_header = full.lines()[3].to_string();
    assert!(
        tuned_header.starts_with("Topic: tuned\tTopicId: ")
            && tuned_header
                .ends_with("\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: retention.ms=1000"),
        "{tuned_header}"
    );

    // Only topics with overrides, and only their topic line.
    let out = describe(&["--topics-with-overrides"]);
    assert_eq!(out.lines(), [tuned_header.as_str()]);
    assert_eq!(out.stderr, "");

    // One node: every replica is in sync and every partition has its leader.
    for report in [
        "--under-replicated-partitions",
        "--unavailable-partitions",
        "--under-min-isr-partitions",
    ] {
        let out = describe(&[report]);
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            ("", ""),
            "{report}"
        );
    }
    // min.insync.replicas=1 and one replica in sync: every partition is at the minimum, and
    // a partition report prints no topic lines.
    let out = describe(&["--at-min-isr-partitions"]);
    assert_eq!(
        out.lines(),
        [
            "\tTopic: plain\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: ",
            "\tTopic: plain\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: ",
            "\tTopic: tuned\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: ",
        ]
    );

    // The reports belong to --describe, and overrides exclude partition reports.
    let out = arus(
        &[
            "topics",
            "--bootstrap-server",
            &b,
            "--list",
            "--under-replicated-partitions",
        ],
        "",
    );
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert_eq!(
        out.stderr,
        "Option \"[under-replicated-partitions]\" can't be used with option \"[list]\"\n"
    );
    let out = arus(
        &[
            "topics",
            "--bootstrap-server",
            &b,
            "--describe",
            "--unavailable-partitions",
            "--topics-with-overrides",
        ],
        "",
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "Option \"[unavailable-partitions]\" can't be used with option \"[topics-with-overrides]\"\n"
    );
}

#[test]
fn producer_sync_sends_one_record_at_a_time() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    create(&b, "synced", &[]);
    create(&b, "batched", &[]);
    let out = produce(&b, "synced", &["--sync"], "a\nb\nc\n");
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    // Each record was acknowledged before the next was sent: one batch per record.
    let batches = segment_batches(&broker.first_segment("synced", 0));
    let counts: Vec<(i64, i32)> = batches
        .iter()
        .map(|b| (b.base_offset, b.record_count))
        .collect();
    assert_eq!(counts, [(0, 1), (1, 1), (2, 1)]);
    // Without --sync the lines wait out linger.ms together in one batch.
    ok(
        &[
            "console-producer",
            "--bootstrap-server",
            &b,
            "--topic",
            "batched",
        ],
        "a\nb\nc\n",
    );
    let batches = segment_batches(&broker.first_segment("batched", 0));
    let counts: Vec<(i64, i32)> = batches
        .iter()
        .map(|b| (b.base_offset, b.record_count))
        .collect();
    assert_eq!(counts, [(0, 3)]);

    // A refused record stops a synchronous run at once: the line after it is never sent.
    create(&b, "small", &["--config", "max.message.bytes=200"]);
    let input = format!("first\n{}\nlast\n", "x".repeat(500));
    let out = produce(
        &b,
        "small",
        &["--sync", "--compression-codec", "none"],
        &input,
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("ERROR Error when sending message to topic small: ")
            && out.stderr.contains("MessageSizeTooLarge"),
        "{}",
        out.stderr
    );
    assert_eq!(common::watermarks(&broker, "small", 0), (0, 1));
    let out = consume(
        &b,
        &[
            "--topic",
            "small",
            "--partition",
            "0",
            "--offset",
            "earliest",
            "--max-messages",
            "1",
        ],
    );
    assert_eq!(out.lines(), ["first"]);
}

#[test]
fn producer_config_file_then_producer_property_then_flags() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    let dir = tempfile::tempdir().unwrap();
    let file = props_file(
        &dir,
        "producer.properties",
        "compression.type=gzip\nkey.serializer=org.apache.kafka.common.serialization.StringSerializer\nlinger.ms=5\n",
    );
    // (topic, extra flags, expected codec of the written batch)
    let cases: [(&str, Vec<&str>, i16); 3] = [
        ("from-file", vec!["--producer.config", &file], 1),
        (
            "property-wins",
            vec![
                "--producer.config",
                &file,
                "--producer-property",
                "compression.type=lz4",
            ],
            3,
        ),
        (
            "flag-wins",
            vec![
                "--producer.config",
                &file,
                "--producer-property",
                "compression.type=lz4",
                "--compression-codec",
                "zstd",
            ],
            4,
        ),
    ];
    for (topic, extra, codec) in cases {
        create(&b, topic, &[]);
        let mut flags = extra.clone();
        flags.extend(["--batch-size", "16384", "--message-send-max-retries", "3"]);
        flags.extend(["--request-timeout-ms", "30000", "--timeout", "5"]);
        // Compressible values: librdkafka sends a batch uncompressed when compression
        // would not make it smaller.
        let (one, two) = ("1".repeat(2000), "2".repeat(2000));
        let out = produce(&b, topic, &flags, &format!("{one}\n{two}\n"));
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, ""),
            "{topic}: {}",
            out.stderr
        );
        assert_eq!(out.stderr, IGNORED_SERIALIZER, "{topic}");
        let batches = segment_batches(&broker.first_segment(topic, 0));
        let codecs: Vec<i16> = batches.iter().map(|b| b.codec()).collect();
        assert!(!codecs.is_empty(), "{topic}: nothing written");
        assert!(codecs.iter().all(|c| *c == codec), "{topic}: {codecs:?}");
        let out = consume(
            &b,
            &[
                "--topic",
                topic,
                "--partition",
                "0",
                "--offset",
                "earliest",
                "--max-messages",
                "2",
            ],
        );
        assert_eq!(out.lines(), [one.as_str(), two.as_str()], "{topic}");
    }
}

#[test]
fn producer_ignore_error_sends_the_whole_line_as_value() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    create(&b, "lenient", &[]);
    // `headers=...` is no reader property: ignored, as Kafka ignores unknown properties.
    let out = produce(
        &b,
        "lenient",
        &[
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
            "--property",
            "ignore.error=true",
            "--property",
            "headers=ignored",
        ],
        "k1:v1\nno separator here\n",
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    // Headers and key: a line without the headers delimiter has no headers and its key is
    // parsed from the start; a line with neither is all value.
    let out = produce(
        &b,
        "lenient",
        &[
            "--property",
            "parse.headers=true",
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
            "--property",
            "ignore.error=true",
        ],
        "h1:x\tk2:v2\nk3:v3\nplain\n",
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let out = consume(
        &b,
        &[
            "--topic",
            "lenient",
            "--partition",
            "0",
            "--offset",
            "earliest",
            "--max-messages",
            "5",
            "--property",
            "print.key=true",
            "--property",
            "print.headers=true",
        ],
    );
    assert_eq!(
        out.lines(),
        [
            "NO_HEADERS\tk1\tv1",
            "NO_HEADERS\tnull\tno separator here",
            "h1:x\tk2\tv2",
            "NO_HEADERS\tk3\tv3",
            "NO_HEADERS\tnull\tplain",
        ]
    );
    assert_eq!(out.stderr, "Processed a total of 5 messages\n");

    // Without ignore.error the same line is refused with Kafka's reason.
    let out = produce(
        &b,
        "lenient",
        &[
            "--property",
            "parse.headers=true",
            "--property",
            "parse.key=true",
        ],
        "k3:v3\n",
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "ERROR No headers delimiter found on line number 1: 'k3:v3'\n"
    );
    // Reader properties that would make lines ambiguous are refused up front.
    let out = produce(&b, "lenient", &["--property", "null.marker=\t"], "x\n");
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "ERROR null.marker and key.separator may not be equal\n"
    );
}

#[test]
fn consumer_include_matches_whole_topic_names() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    for (topic, value) in [
        ("metrics-1", "m1"),
        ("metrics-2", "m2"),
        ("xmetrics-3", "x3"),
        ("metrics-a", "ma"),
    ] {
        create(&b, topic, &[]);
        ok(
            &[
                "console-producer",
                "--bootstrap-server",
                &b,
                "--topic",
                topic,
            ],
            &format!("{value}\n"),
        );
    }
    // `metrics-\d` must match whole names: not xmetrics-3 (a partial match), not metrics-a.
    let out = consume(
        &b,
        &[
            "--include",
            r"metrics-\d",
            "--from-beginning",
            "--max-messages",
            "3",
            "--timeout-ms",
            "10000",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut lines = out.lines();
    lines.sort();
    assert_eq!(lines, ["m1", "m2"]);
    assert_eq!(out.stderr, "Processed a total of 2 messages\n");

    // Exactly one of --include and --topic.
    for extra in [
        &["--include", "metrics-.*", "--topic", "metrics-1"][..],
        &[][..],
    ] {
        let out = consume(&b, extra);
        assert_eq!((out.code, out.stdout.as_str()), (1, ""), "{extra:?}");
        assert_eq!(
            out.stderr,
            "Exactly one of --include/--topic is required.\n"
        );
    }
    let out = consume(&b, &["--include", "metrics-(", "--from-beginning"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .starts_with("Invalid --include regular expression 'metrics-(': "),
        "{}",
        out.stderr
    );
    let out = consume(&b, &["--include", "metrics-.*", "--partition", "0"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "The topic is required when partition is specified.\n"
    );
}

#[test]
fn consumer_config_file_group_and_reset_policy() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    let dir = tempfile::tempdir().unwrap();
    create(&b, "cfg", &[]);
    ok(
        &[
            "console-producer",
            "--bootstrap-server",
            &b,
            "--topic",
            "cfg",
        ],
        "x\ny\n",
    );
    let file = props_file(
        &dir,
        "consumer.properties",
        "group.id=from-file\nauto.offset.reset=earliest\nkey.serializer=org.apache.kafka.common.serialization.StringSerializer\n",
    );
    // auto.offset.reset from the file: the existing records without --from-beginning.
    let out = consume(
        &b,
        &[
            "--topic",
            "cfg",
            "--consumer.config",
            &file,
            "--max-messages",
            "2",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.lines(), ["x", "y"]);
    assert_eq!(
        out.stderr,
        format!("{IGNORED_SERIALIZER}Processed a total of 2 messages\n")
    );
    // The group from the file committed its position: --group from-file resumes after y.
    ok(
        &[
            "console-producer",
            "--bootstrap-server",
            &b,
            "--topic",
            "cfg",
        ],
        "z\n",
    );
    let out = consume(
        &b,
        &[
            "--topic",
            "cfg",
            "--group",
            "from-file",
            "--max-messages",
            "1",
            "--timeout-ms",
            "20000",
        ],
    );
    assert_eq!(out.lines(), ["z"]);
    assert_eq!(out.stderr, "Processed a total of 1 messages\n");

    // Conflicting group ids and reset policies are refused as Kafka refuses them.
    let out = consume(
        &b,
        &[
            "--topic",
            "cfg",
            "--consumer.config",
            &file,
            "--group",
            "other",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: 'other', 'from-file'\n"
    );
    let out = consume(
        &b,
        &[
            "--topic",
            "cfg",
            "--consumer.config",
            &file,
            "--partition",
            "0",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "Options group and partition cannot be specified together.\n"
    );
    let out = consume(
        &b,
        &[
            "--topic",
            "cfg",
            "--from-beginning",
            "--consumer-property",
            "auto.offset.reset=latest",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', please remove one option\n"
    );
}

#[test]
fn consumer_isolation_level() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    create(&b, "iso", &[]);
    ok(
        &[
            "console-producer",
            "--bootstrap-server",
            &b,
            "--topic",
            "iso",
        ],
        "p\nq\n",
    );
    // Arus has no transactions yet, so every record is committed: both levels read all.
    for level in ["read_committed", "read_uncommitted"] {
        let out = consume(
            &b,
            &[
                "--topic",
                "iso",
                "--isolation-level",
                level,
                "--partition",
                "0",
                "--offset",
                "earliest",
                "--max-messages",
                "2",
            ],
        );
        assert_eq!(out.lines(), ["p", "q"], "{level}: {}", out.stderr);
        assert_eq!(out.stderr, "Processed a total of 2 messages\n", "{level}");
    }
    let out = consume(&b, &["--topic", "iso", "--isolation-level", "dirty"]);
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert_eq!(
        out.stderr,
        "Invalid value dirty for configuration isolation.level: String must be one of: read_committed, read_uncommitted\n"
    );
}

#[test]
fn consumer_partition_offset_rules() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    create(&b, "offsets", &[]);
    ok(
        &[
            "console-producer",
            "--bootstrap-server",
            &b,
            "--topic",
            "offsets",
        ],
        "o0\no1\no2\n",
    );
    let out = consume(
        &b,
        &[
            "--topic",
            "offsets",
            "--partition",
            "0",
            "--offset",
            "1",
            "--max-messages",
            "2",
        ],
    );
    assert_eq!(out.lines(), ["o1", "o2"]);
    // --partition with --from-beginning and no --offset starts at the beginning.
    let out = consume(
        &b,
        &[
            "--topic",
            "offsets",
            "--partition",
            "0",
            "--from-beginning",
            "--max-messages",
            "1",
        ],
    );
    assert_eq!(out.lines(), ["o0"]);

    let out = consume(
        &b,
        &[
            "--topic",
            "offsets",
            "--partition",
            "0",
            "--offset",
            "1",
            "--from-beginning",
        ],
    );
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert_eq!(
        out.stderr,
        "Options from-beginning and offset cannot be specified together.\n"
    );
    let out = consume(&b, &["--topic", "offsets", "--offset", "1"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "The partition is required when offset is specified.\n"
    );
    let out = consume(
        &b,
        &["--topic", "offsets", "--partition", "0", "--offset", "-3"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "The provided offset value '-3' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.\n"
    );
}

#[test]
fn consumer_skip_message_on_error_skips_a_corrupt_batch() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    create(&b, "fragile", &[]);
    ok(
        &[
            "console-producer",
            "--bootstrap-server",
            &b,
            "--topic",
            "fragile",
            "--sync",
        ],
        "good-0\nbad-1\ngood-2\n",
    );
    // Flip the last byte of the middle batch (inside its record): its CRC no longer matches.
    let segment = broker.first_segment("fragile", 0);
    let batches = segment_batches(&segment);
    assert_eq!(batches.len(), 3);
    let at = (batches[1].position + batches[1].size - 1) as u64;
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&segment)
        .unwrap();
    let mut byte = [0u8; 1];
    f.seek(SeekFrom::Start(at)).unwrap();
    f.read_exact(&mut byte).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(&[byte[0] ^ 0xff]).unwrap();
    f.sync_all().unwrap();
    drop(f);

    let run = |extra: &[&str]| {
        let mut args = vec![
            "--topic",
            "fragile",
            "--partition",
            "0",
            "--offset",
            "earliest",
            "--consumer-property",
            "check.crcs=true",
            "--timeout-ms",
            "10000",
        ];
        args.extend_from_slice(extra);
        consume(&b, &args)
    };
    let out = run(&["--skip-message-on-error", "--max-messages", "2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.lines(), ["good-0", "good-2"], "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "ERROR Error processing message, skipping this message: Message consumption error: BadMessage (Local: Bad message format)\nProcessed a total of 2 messages\n"
    );
    let out = run(&["--max-messages", "2"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.lines(), ["good-0"]);
    assert_eq!(
        out.stderr,
        "ERROR Error processing message, terminating consumer process: Message consumption error: BadMessage (Local: Bad message format)\nProcessed a total of 1 messages\n"
    );
}

#[test]
fn producer_progress_only_on_a_terminal() {
    let broker = TestBroker::start();
    let b = broker.bootstrap();
    create(&b, "bulk", &[]);
    let input: String = (0..6000).map(|i| format!("r{i}\n")).collect();

    // stderr piped (not a terminal): silent.
    let out = produce(&b, "bulk", &[], &input);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));

    // stderr on a pseudo-terminal: `\rN records sent` lines, the first at 5000 records,
    // the last with the final count.
    let (mut master, slave) = open_pty();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arus"));
    cmd.args([
        "console-producer",
        "--bootstrap-server",
        &b,
        "--topic",
        "bulk",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::from(slave));
    let mut child = cmd.spawn().expect("spawn arus");
    drop(cmd); // closes our copy of the terminal's slave side
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        // Reading the master fails (EIO) once the child has closed the slave side.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    });
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let shown = reader.join().unwrap();
    assert!(status.success(), "{shown}");
    // The terminal turns "\n" into "\r\n".
    assert!(shown.starts_with("\r5000 records sent"), "{shown:?}");
    assert!(shown.ends_with("\r6000 records sent\r\n"), "{shown:?}");
    for part in shown.trim_end().split('\r').filter(|p| !p.is_empty()) {
        let n = part
            .strip_suffix(" records sent")
            .unwrap_or_else(|| panic!("{shown:?}"));
        assert!(
            (5000..=6000).contains(&n.parse::<u32>().unwrap()),
            "{shown:?}"
        );
    }
    assert_eq!(common::watermarks(&broker, "bulk", 0), (0, 12000));
}

/// A pseudo-terminal pair: the master side to read, the slave side for a child's stderr.
fn open_pty() -> (std::fs::File, std::fs::File) {
    let mut master = 0;
    let mut slave = 0;
    // SAFETY: openpty writes two descriptors we then own; null name/termios/winsize are
    // allowed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors are open and owned by nothing else.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        )
    }
}
