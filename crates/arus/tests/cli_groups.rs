//! End-to-end tests of `arus consumer-groups`, `arus configs` and `arus install-scripts`:
//! the real binary against a real broker, exact output lines and exit codes, and the
//! committed offsets checked with a real client afterwards.

mod common;

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use common::cli::{arus, fails, ok};
use common::{send_kv, TestBroker};

const TIMEOUT: Duration = Duration::from_secs(15);

/// A topic `orders` with 3 partitions holding 10 records each.
fn broker_with_orders() -> TestBroker {
    let broker = TestBroker::start();
    broker.create_topic("orders", 3, &[]);
    let producer = broker.producer();
    for p in 0..3 {
        for i in 0..10 {
            send_kv(
                &producer,
                "orders",
                p,
                &format!("k{i}"),
                &format!("v{p}-{i}"),
            );
        }
    }
    broker
}

/// Commits offsets for `group` as a client outside the group would.
fn commit(broker: &TestBroker, group: &str, offsets: &[(i32, i64)]) {
    let consumer = broker.consumer_with(&[("group.id", group)]);
    let mut tpl = TopicPartitionList::new();
    for (p, o) in offsets {
        tpl.add_partition_offset("orders", *p, Offset::Offset(*o))
            .unwrap();
    }
    consumer.commit(&tpl, CommitMode::Sync).expect("commit");
}

/// The group's committed offset per partition of `orders` (None where there is none).
fn committed(broker: &TestBroker, group: &str) -> Vec<Option<i64>> {
    let consumer = broker.consumer_with(&[("group.id", group)]);
    let mut tpl = TopicPartitionList::new();
    for p in 0..3 {
        tpl.add_partition("orders", p);
    }
    let got = consumer.committed_offsets(tpl, TIMEOUT).expect("committed");
    (0..3)
        .map(
            |p| match got.find_partition("orders", p).unwrap().offset() {
                Offset::Offset(o) => Some(o),
                _ => None,
            },
        )
        .collect()
}

/// A group member that owns every partition of `orders` until dropped.
fn active_member(broker: &TestBroker, group: &str) -> BaseConsumer {
    let consumer = broker.consumer_with(&[("group.id", group), ("client.id", "lag-watcher")]);
    consumer.subscribe(&["orders"]).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while consumer.assignment().map(|a| a.count()).unwrap_or(0) < 3 {
        assert!(
            Instant::now() < deadline,
            "no assignment within {TIMEOUT:?}"
        );
        let _ = consumer.poll(Duration::from_millis(100));
    }
    consumer
}

#[test]
fn describe_shows_offsets_lag_and_members() {
    let broker = broker_with_orders();
    let b = broker.bootstrap();
    commit(&broker, "order-processors", &[(0, 4), (1, 10)]);

    let out = ok(&["consumer-groups", "--list", "--bootstrap-server", &b], "");
    assert_eq!(out.lines(), vec!["order-processors"]);

    let out = ok(
        &[
            "consumer-groups",
            "--describe",
            "--group",
            "order-processors",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(
        out.lines(),
        vec![
            "",
            "GROUP            TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID",
            "order-processors orders          0          4               10              6               -               -               -",
            "order-processors orders          1          10              10              0               -               -               -",
        ]
    );
    assert_eq!(
        out.stderr,
        "\nConsumer group 'order-processors' has no active members.\n"
    );

    // The cheat sheet's lag one-liner: `--describe --all-groups | awk '{print $1, $2, $5, $6}'`.
    let out = ok(
        &[
            "consumer-groups",
            "--bootstrap-server",
            &b,
            "--describe",
            "--all-groups",
        ],
        "",
    );
    let picked: Vec<String> = out
        .lines()
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {} {} {}", f[0], f[1], f[4], f[5])
        })
        .collect();
    assert_eq!(
        picked,
        vec![
            "GROUP TOPIC LOG-END-OFFSET LAG",
            "order-processors orders 10 6",
            "order-processors orders 10 0",
        ]
    );

    // With a live member every partition is listed against it, lag included.
    let member = active_member(&broker, "order-processors");
    let out = ok(
        &[
            "consumer-groups",
            "--describe",
            "--group",
            "order-processors",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    let rows: Vec<Vec<&str>> = out.lines()[2..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 3, "{}", out.stdout);
    let expected = [("0", "4", "6"), ("1", "10", "0"), ("2", "-", "-")];
    for (row, (p, current, lag)) in rows.iter().zip(expected) {
        assert_eq!(
            &row[..6],
            &["order-processors", "orders", p, current, "10", lag]
        );
        assert!(row[6].starts_with("lag-watcher-"), "consumer id {}", row[6]);
        assert_eq!(&row[7..], &["/127.0.0.1", "lag-watcher"]);
    }
    assert_eq!(out.stderr, "");

    let out = ok(
        &[
            "consumer-groups",
            "--describe",
            "--group",
            "order-processors",
            "--members",
            "--verbose",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    let lines = out.lines();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        vec![
            "GROUP",
            "CONSUMER-ID",
            "HOST",
            "CLIENT-ID",
            "#PARTITIONS",
            "ASSIGNMENT"
        ]
    );
    let member_row: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(member_row[0], "order-processors");
    assert_eq!(
        &member_row[2..],
        &["/127.0.0.1", "lag-watcher", "3", "orders(0,1,2)"]
    );

    let out = ok(
        &[
            "consumer-groups",
            "--describe",
            "--group",
            "order-processors",
            "--state",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    let coordinator = format!("127.0.0.1:{}  (1)", broker.port());
    assert_eq!(
        out.lines(),
        vec![
            "".to_string(),
            format!(
                "{:<25} {:<25} {:<20} {:<15} {}",
                "GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"
            ),
            format!(
                "{:<25} {:<25} {:<20} {:<15} {}",
                "order-processors", coordinator, "range", "Stable", "1"
            ),
        ]
    );
    let out = ok(
        &[
            "consumer-groups",
            "--list",
            "--state",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(
        out.lines(),
        vec![
            "GROUP                      STATE               ",
            "order-processors           Stable              ",
        ]
    );
    let out = ok(
        &[
            "consumer-groups",
            "--list",
            "--state",
            "Empty",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(
        out.lines(),
        vec!["GROUP                     STATE               "]
    );
    drop(member);

    let out = fails(&[
        "consumer-groups",
        "--describe",
        "--group",
        "nobody",
        "--bootstrap-server",
        &b,
    ]);
    assert_eq!(
        out.stderr,
        "Error: Consumer group 'nobody' does not exist.\n"
    );
    assert_eq!(out.stdout, "");
}

/// `--reset-offsets --execute` with each scenario, checked against the offsets a real
/// client then reads back.
#[test]
fn reset_offsets_in_every_mode() {
    let broker = broker_with_orders();
    let b = broker.bootstrap();
    let g = "order-processors";
    commit(&broker, g, &[(0, 4), (1, 10), (2, 7)]);
    let reset = |extra: &[&str]| {
        let mut args = vec![
            "consumer-groups",
            "--reset-offsets",
            "--group",
            g,
            "--bootstrap-server",
            &b,
        ];
        args.extend_from_slice(extra);
        ok(&args, "")
    };

    // A dry run (the default) prints the plan and changes nothing.
    let out = reset(&["--topic", "orders", "--to-earliest"]);
    assert_eq!(
        out.lines(),
        vec![
            "",
            "GROUP                          TOPIC                          PARTITION  NEW-OFFSET     ",
            "order-processors               orders                         0          0              ",
            "order-processors               orders                         1          0              ",
            "order-processors               orders                         2          0              ",
        ]
    );
    assert_eq!(committed(&broker, g), vec![Some(4), Some(10), Some(7)]);

    reset(&["--topic", "orders", "--to-earliest", "--execute"]);
    assert_eq!(committed(&broker, g), vec![Some(0), Some(0), Some(0)]);

    reset(&["--topic", "orders", "--to-latest", "--execute"]);
    assert_eq!(committed(&broker, g), vec![Some(10), Some(10), Some(10)]);

    reset(&["--topic", "orders", "--shift-by", "-2", "--execute"]);
    assert_eq!(committed(&broker, g), vec![Some(8), Some(8), Some(8)]);

    reset(&["--topic", "orders:1", "--to-offset", "3", "--execute"]);
    assert_eq!(committed(&broker, g), vec![Some(8), Some(3), Some(8)]);

    // Out-of-range targets are clamped to the log, with Kafka's warning.
    let out = reset(&["--topic", "orders:2", "--to-offset", "99", "--execute"]);
    assert_eq!(
        out.stderr,
        "WARN New offset (99) is higher than latest offset for topic partition orders-2. Value will be set to 10\n"
    );
    assert_eq!(committed(&broker, g), vec![Some(8), Some(3), Some(10)]);

    reset(&["--all-topics", "--shift-by", "-100", "--execute"]);
    assert_eq!(committed(&broker, g), vec![Some(0), Some(0), Some(0)]);

    reset(&["--topic", "orders:0", "--to-current", "--execute"]);
    assert_eq!(committed(&broker, g), vec![Some(0), Some(0), Some(0)]);

    // Every record was written just now: a time before them all resets to 0, one after
    // them all falls back to the log end.
    reset(&["--topic", "orders", "--to-latest", "--execute"]);
    reset(&[
        "--topic",
        "orders",
        "--to-datetime",
        "2026-06-21T00:00:00.000",
        "--execute",
    ]);
    assert_eq!(committed(&broker, g), vec![Some(0), Some(0), Some(0)]);
    let out = reset(&[
        "--topic",
        "orders:0",
        "--to-datetime",
        "2999-01-01T00:00:00.000Z",
        "--execute",
    ]);
    assert!(
        out.stdout.contains(
            "Warn: Partition 0 from topic orders is empty. Falling back to latest known offset."
        ),
        "{}",
        out.stdout
    );
    assert_eq!(committed(&broker, g), vec![Some(10), Some(0), Some(0)]);
    reset(&["--topic", "orders", "--by-duration", "PT1H", "--execute"]);
    assert_eq!(committed(&broker, g), vec![Some(0), Some(0), Some(0)]);

    // --export writes a plan --from-file applies.
    let out = reset(&["--topic", "orders:0,2", "--to-offset", "5", "--export"]);
    assert_eq!(out.stdout, "orders,0,5\norders,2,5\n");
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.csv");
    std::fs::write(&plan, &out.stdout).unwrap();
    reset(&["--from-file", plan.to_str().unwrap(), "--execute"]);
    assert_eq!(committed(&broker, g), vec![Some(5), Some(0), Some(5)]);

    // A group with a live member is refused with Kafka's message; nothing changes.
    let member = active_member(&broker, g);
    let out = arus(
        &[
            "consumer-groups",
            "--reset-offsets",
            "--group",
            g,
            "--topic",
            "orders",
            "--to-earliest",
            "--execute",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "Error: Assignments can only be reset if the group 'order-processors' is inactive, but the current state is Stable.\n"
    );
    drop(member);

    let out = fails(&[
        "consumer-groups",
        "--reset-offsets",
        "--group",
        g,
        "--topic",
        "orders",
        "--bootstrap-server",
        &b,
    ]);
    assert_eq!(out.stderr, "Error: Option '[reset-offsets]' requires one of the following scenarios: [to-datetime], [by-duration], [to-earliest], [to-latest], [shift-by], [from-file], [to-current], [to-offset]\n");
    let out = fails(&[
        "consumer-groups",
        "--reset-offsets",
        "--group",
        g,
        "--to-latest",
        "--bootstrap-server",
        &b,
    ]);
    assert_eq!(
        out.stderr,
        "Error: One of the reset scopes should be defined: --all-topics, --topic.\n"
    );
}

#[test]
fn delete_offsets_and_groups() {
    let broker = broker_with_orders();
    let b = broker.bootstrap();
    commit(&broker, "g1", &[(0, 1), (1, 2), (2, 3)]);
    commit(&broker, "g2", &[(0, 5)]);

    let out = ok(
        &[
            "consumer-groups",
            "--delete-offsets",
            "--group",
            "g1",
            "--topic",
            "orders:0,2",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(
        out.lines(),
        vec![
            "Request succeed for deleting offsets with topic orders:0,2 group g1",
            "",
            "TOPIC                          PARTITION       STATUS         ",
            "orders                         0               Successful     ",
            "orders                         2               Successful     ",
        ]
    );
    assert_eq!(committed(&broker, "g1"), vec![None, Some(2), None]);

    let out = ok(
        &[
            "consumer-groups",
            "--delete",
            "--group",
            "g1",
            "--group",
            "g2",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(
        out.stdout,
        "Deletion of requested consumer groups ('g1', 'g2') was successful.\n"
    );
    assert_eq!(committed(&broker, "g2"), vec![None, None, None]);
    let out = ok(&["consumer-groups", "--list", "--bootstrap-server", &b], "");
    assert_eq!(out.stdout, "");

    // A group with a member cannot be deleted.
    let member = active_member(&broker, "busy");
    let out = fails(&[
        "consumer-groups",
        "--delete",
        "--group",
        "busy",
        "--bootstrap-server",
        &b,
    ]);
    assert_eq!(
        out.stdout,
        "* Group 'busy' could not be deleted due to: The group is not empty.\n"
    );
    assert_eq!(
        out.stderr,
        "Error: Deletion of some consumer groups failed:\n"
    );
    drop(member);
}

/// The cheat sheet's retention and compaction commands, then deleting the overrides.
#[test]
fn configs_alter_describe_and_delete() {
    let broker = broker_with_orders();
    let b = broker.bootstrap();
    let alter = |extra: &[&str]| {
        let mut args = vec!["configs", "--alter", "--bootstrap-server", &b];
        args.extend_from_slice(extra);
        ok(&args, "")
    };
    let out = alter(&[
        "--topic",
        "orders",
        "--add-config",
        "retention.ms=604800000",
    ]);
    assert_eq!(out.stdout, "Completed updating config for topic orders.\n");
    alter(&[
        "--topic",
        "orders",
        "--add-config",
        "retention.bytes=1073741824",
    ]);
    alter(&[
        "--entity-type",
        "topics",
        "--entity-name",
        "orders",
        "--add-config",
        "cleanup.policy=[compact,delete]",
    ]);

    let out = ok(
        &[
            "configs",
            "--describe",
            "--topic",
            "orders",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(
        out.lines(),
        vec![
            "Dynamic configs for topic orders are:",
            "  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}",
            "  retention.bytes=1073741824 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.bytes=1073741824, DEFAULT_CONFIG:log.retention.bytes=-1}",
            "  retention.ms=604800000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=604800000, DEFAULT_CONFIG:log.retention.hours=168}",
        ]
    );
    // The overrides show in `topics --describe` too.
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
        out.lines()[0].ends_with("Configs: cleanup.policy=compact,delete,retention.bytes=1073741824,retention.ms=604800000"),
        "{}",
        out.stdout
    );

    alter(&[
        "--topic",
        "orders",
        "--delete-config",
        "retention.bytes,cleanup.policy",
    ]);
    let out = ok(
        &[
            "configs",
            "--describe",
            "--entity-type",
            "topics",
            "--entity-name",
            "orders",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(
        out.lines(),
        vec![
            "Dynamic configs for topic orders are:",
            "  retention.ms=604800000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=604800000, DEFAULT_CONFIG:log.retention.hours=168}",
        ]
    );
    let out = ok(
        &[
            "configs",
            "--describe",
            "--topic",
            "orders",
            "--all",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.lines()[0], "All configs for topic orders are:");
    assert!(out.lines().contains(
        &"  retention.bytes=-1 sensitive=false synonyms={DEFAULT_CONFIG:log.retention.bytes=-1}"
    ), "{}", out.stdout);

    let cfg = |extra: &[&str]| {
        let mut args = vec!["configs", "--bootstrap-server", &b];
        args.extend_from_slice(extra);
        fails(&args).stderr
    };
    assert_eq!(
        cfg(&[
            "--alter",
            "--topic",
            "orders",
            "--delete-config",
            "retention.bytes"
        ]),
        "Error while executing config command: Invalid config(s): retention.bytes\n"
    );
    assert_eq!(
        cfg(&["--alter", "--topic", "orders", "--add-config", "retention.ms=soon"]),
        "Error while executing config command: Invalid value soon for configuration retention.ms: Not a number of type LONG\n"
    );
    assert_eq!(
        cfg(&[
            "--alter",
            "--topic",
            "orders",
            "--add-config",
            "no.such.config=1"
        ]),
        "Error while executing config command: Unknown topic config name: no.such.config\n"
    );
    assert_eq!(
        cfg(&["--describe", "--topic", "missing"]),
        "Error while executing config command: The topic 'missing' does not exist.\n"
    );
    // Nothing above changed the topic.
    let out = ok(
        &[
            "configs",
            "--describe",
            "--topic",
            "orders",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.lines().len(), 2, "{}", out.stdout);
}

/// Kafka's script names call the matching subcommand.
#[test]
fn installed_scripts_and_completions() {
    let broker = broker_with_orders();
    let b = broker.bootstrap();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    let out = ok(&["install-scripts", bin.to_str().unwrap()], "");
    assert_eq!(out.lines().len(), 6, "{}", out.stdout);
    let run = |script: &str, args: &[&str]| {
        let out = std::process::Command::new(bin.join(script))
            .args(args)
            .output()
            .expect("run script");
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        run("kafka-topics.sh", &["--list", "--bootstrap-server", &b]),
        "orders\n"
    );
    assert_eq!(
        run(
            "kafka-configs.sh",
            &["--describe", "--topic", "orders", "--bootstrap-server", &b]
        ),
        "Dynamic configs for topic orders are:\n"
    );
    assert_eq!(
        run(
            "kafka-consumer-groups.sh",
            &["--list", "--bootstrap-server", &b]
        ),
        ""
    );
    assert_eq!(
        run(
            "kafka-console-consumer.sh",
            &[
                "--topic",
                "orders",
                "--partition",
                "1",
                "--offset",
                "8",
                "--max-messages",
                "2",
                "--bootstrap-server",
                &b
            ]
        ),
        "v1-8\nv1-9\n"
    );

    for shell in ["bash", "zsh", "fish"] {
        let out = ok(&["completions", shell], "");
        assert!(
            out.stdout.contains("consumer-groups"),
            "{shell}: {}",
            out.stdout
        );
        assert!(out.stdout.contains("bootstrap-server"), "{shell}");
    }
    let out = fails(&["completions", "tcsh"]);
    assert!(
        out.stderr.contains("invalid value 'tcsh'"),
        "{}",
        out.stderr
    );
}

/// `--entity-default` broker configs: set and listed with their source, inherited by topics
/// without an override, applied live (retention removes old segments at once), kept across
/// a restart, and refused for configs Kafka does not update dynamically.
#[test]
fn dynamic_broker_defaults_apply_live_and_persist() {
    let mut broker = TestBroker::start_with(&["log.retention.check.interval.ms=200"]);
    broker.create_topic("metrics", 1, &[("segment.bytes", "1024")]);
    let producer = broker.producer();
    for i in 0..40 {
        send_kv(&producer, "metrics", 0, &format!("k{i}"), &"x".repeat(100));
    }
    assert_eq!(common::watermarks(&broker, "metrics", 0).0, 0);
    let b = broker.bootstrap();

    let out = ok(
        &[
            "configs",
            "--alter",
            "--entity-type",
            "brokers",
            "--entity-default",
            "--add-config",
            "log.retention.ms=1",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(
        out.stdout,
        "Completed updating default config for brokers in the cluster.\n"
    );
    let out = ok(
        &[
            "configs",
            "--describe",
            "--entity-type",
            "brokers",
            "--entity-default",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(
        out.lines(),
        vec![
            "Default configs for brokers in the cluster are:",
            "  log.retention.ms=1 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1, DEFAULT_CONFIG:log.retention.hours=168}",
        ]
    );
    // The topic inherits it and retention applies it without a restart.
    let out = ok(
        &[
            "configs",
            "--describe",
            "--topic",
            "metrics",
            "--all",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert!(
        out.lines().contains(&"  retention.ms=1 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1, DEFAULT_CONFIG:log.retention.hours=168}"),
        "{}",
        out.stdout
    );
    common::wait_until(
        "retention under the dynamic default",
        Duration::from_secs(15),
        || common::watermarks(&broker, "metrics", 0).0 > 0,
    );

    // Kept across a restart; removed with --delete-config.
    broker.stop();
    broker.restart();
    let b = broker.bootstrap();
    let out = ok(
        &[
            "configs",
            "--describe",
            "--broker-defaults",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(out.lines().len(), 2, "{}", out.stdout);
    ok(
        &[
            "configs",
            "--alter",
            "--broker-defaults",
            "--delete-config",
            "log.retention.ms",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    let out = ok(
        &[
            "configs",
            "--describe",
            "--broker-defaults",
            "--bootstrap-server",
            &b,
        ],
        "",
    );
    assert_eq!(
        out.lines(),
        vec!["Default configs for brokers in the cluster are:"]
    );

    let out = fails(&[
        "configs",
        "--alter",
        "--broker-defaults",
        "--add-config",
        "log.dirs=/tmp/x",
        "--bootstrap-server",
        &b,
    ]);
    assert_eq!(
        out.stderr,
        "Error while executing config command: Cannot update these configs dynamically: log.dirs\n"
    );
    let out = fails(&[
        "configs",
        "--alter",
        "--broker-defaults",
        "--add-config",
        "log.retention.ms=soon",
        "--bootstrap-server",
        &b,
    ]);
    assert!(out.stderr.starts_with("Error while executing config command: Invalid value soon for configuration log.retention.ms"), "{}", out.stderr);
}
