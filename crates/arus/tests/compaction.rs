//! Compacted topics with real clients: records without a key are refused.

mod common;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::FutureRecord;

use common::{block_on, watermarks, TestBroker, CLIENT_TIMEOUT};

/// A compacted topic keeps the latest value per key, so Kafka refuses keyless records
/// (INVALID_RECORD) and writes nothing of the batch; other topics accept them.
#[test]
fn keyless_records_are_refused_on_compacted_topics() {
    let broker = TestBroker::start();
    broker.create_topic("users", 1, &[("cleanup.policy", "compact")]);
    broker.create_topic("users-history", 1, &[("cleanup.policy", "compact,delete")]);
    broker.create_topic("events", 1, &[]);
    let producer = broker.producer_with(&[("retries", "0")]);
    for topic in ["users", "users-history"] {
        let refused = block_on(
            producer.send(
                FutureRecord::<[u8], [u8]>::to(topic)
                    .partition(0)
                    .payload(b"no key"),
                CLIENT_TIMEOUT,
            ),
        );
        match refused {
            Err((KafkaError::MessageProduction(code), _)) => {
                assert_eq!(code, RDKafkaErrorCode::InvalidRecord, "{topic}")
            }
            other => panic!("{topic}: keyless record was not refused: {other:?}"),
        }
        let kept = block_on(
            producer.send(
                FutureRecord::<[u8], [u8]>::to(topic)
                    .partition(0)
                    .key(b"u1")
                    .payload(b"alice"),
                CLIENT_TIMEOUT,
            ),
        )
        .unwrap_or_else(|(e, _)| panic!("{topic}: keyed record refused: {e}"));
        assert_eq!(
            kept.offset, 0,
            "{topic}: nothing of the refused batch was written"
        );
        assert_eq!(watermarks(&broker, topic, 0), (0, 1));
    }
    let plain = block_on(
        producer.send(
            FutureRecord::<[u8], [u8]>::to("events")
                .partition(0)
                .payload(b"no key"),
            CLIENT_TIMEOUT,
        ),
    );
    assert!(plain.is_ok(), "a delete-policy topic takes keyless records");
    assert!(broker
        .stderr()
        .contains("Compacted topic cannot accept message without key in topic partition users-0."));
}

/// The highest segment base offset in a partition directory: the active segment, which the
/// cleaner never touches.
fn active_segment_base(broker: &TestBroker, topic: &str, partition: i32) -> i64 {
    std::fs::read_dir(broker.partition_dir(topic, partition))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().ok()?;
            name.strip_suffix(".log")?.parse::<i64>().ok()
        })
        .max()
        .unwrap()
}

/// 100k updates over 1k keys to a compacted topic with small segments: once the cleaner has
/// run, reading from the beginning gives exactly one record — the latest value — per key
/// below the active segment, and the latest value of every key overall; tombstoned keys are
/// gone once delete.retention.ms has passed. Catches lost latest values, duplicates left
/// behind, and tombstones kept forever (or dropped too early).
#[test]
fn compaction_keeps_the_latest_value_per_key() {
    let broker = TestBroker::start_with(&["log.cleaner.backoff.ms=100"]);
    broker.create_topic(
        "accounts",
        1,
        &[
            ("cleanup.policy", "compact"),
            ("segment.bytes", "65536"),
            ("min.cleanable.dirty.ratio", "0.01"),
            ("delete.retention.ms", "0"),
        ],
    );
    let producer = broker.producer_with(&[("linger.ms", "20"), ("batch.size", "16384")]);
    let mut latest: std::collections::BTreeMap<String, Option<String>> = Default::default();
    let mut pending = Vec::new();
    for i in 0..100_000u32 {
        let key = format!("acct-{:04}", (i * 7919) % 1000);
        let value = format!("balance-{i}");
        latest.insert(key.clone(), Some(value.clone()));
        pending.push(
            producer
                .send_result(
                    FutureRecord::to("accounts")
                        .partition(0)
                        .key(&key)
                        .payload(&value),
                )
                .expect("enqueue"),
        );
        if pending.len() == 5000 {
            for f in pending.drain(..) {
                block_on(f).expect("delivery").expect("produced");
            }
        }
    }
    // Tombstones for the first 100 keys, then enough filler (new keys) to roll them out of
    // the active segment, so the cleaner reaches them.
    for k in 0..100 {
        let key = format!("acct-{k:04}");
        latest.insert(key.clone(), None);
        pending.push(
            producer
                .send_result(
                    FutureRecord::<String, [u8]>::to("accounts")
                        .partition(0)
                        .key(&key),
                )
                .expect("enqueue"),
        );
    }
    for i in 0..5000 {
        let key = format!("filler-{i:04}");
        latest.insert(key.clone(), Some("x".to_string()));
        pending.push(
            producer
                .send_result(
                    FutureRecord::to("accounts")
                        .partition(0)
                        .key(&key)
                        .payload("x"),
                )
                .expect("enqueue"),
        );
    }
    for f in pending.drain(..) {
        block_on(f).expect("delivery").expect("produced");
    }
    let end = watermarks(&broker, "accounts", 0).1;
    assert_eq!(end, 105_100);

    // Wait until the cleaner has cleaned everything below the active segment.
    let read_all = || common::read_partition_until_end(&broker, "accounts", 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let active = active_segment_base(&broker, "accounts", 0);
        let msgs = read_all();
        let below: Vec<_> = msgs.iter().filter(|m| m.offset < active).collect();
        let mut keys: Vec<&str> = below.iter().map(|m| m.key_str()).collect();
        keys.sort();
        keys.dedup();
        if keys.len() == below.len() && below.iter().all(|m| m.value.is_some()) {
            // One record per key below the active segment, no tombstones left there; every
            // key's last record is its latest value.
            let mut last: std::collections::BTreeMap<String, Option<String>> = Default::default();
            for m in &msgs {
                last.insert(
                    m.key_str().to_string(),
                    m.value
                        .as_ref()
                        .map(|v| String::from_utf8_lossy(v).into_owned()),
                );
            }
            for (k, v) in &latest {
                match (v, last.get(k)) {
                    (Some(v), Some(Some(got))) => assert_eq!(got, v, "{k}"),
                    (None, None) => {}
                    (expected, got) => panic!("{k}: expected {expected:?}, read {got:?}"),
                }
            }
            assert!(
                msgs.len() < 20_000,
                "compaction removed old values ({} left)",
                msgs.len()
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not compacted within 60 s: {} records below {active}",
            below.len()
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// `__consumer_offsets` is compacted too: 100k commits of one group leave a small log, and
/// after a restart the group's offset is the last one committed. Catches an offsets topic
/// that grows without bound and compaction that loses the latest commit.
#[test]
fn consumer_offsets_stay_small_under_100k_commits() {
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use kafka_protocol::messages::{GroupId, OffsetCommitRequest, TopicName};
    use kafka_protocol::protocol::{Encodable, StrBytes};

    let mut broker = TestBroker::start_with(&[
        "log.cleaner.backoff.ms=100",
        "offsets.topic.num.partitions=1",
        "offsets.topic.segment.bytes=262144",
    ]);
    broker.create_topic("work", 1, &[]);
    let mut conn = common::RawConn::connect(&broker);
    const COMMITS: i64 = 100_000;
    const WINDOW: i64 = 500;
    let body = |offset: i64| {
        let mut req = OffsetCommitRequest::default();
        req.group_id = GroupId(StrBytes::from_static_str("workers"));
        req.generation_id_or_member_epoch = -1;
        req.retention_time_ms = -1;
        let mut p = OffsetCommitRequestPartition::default();
        p.committed_offset = offset;
        let mut t = OffsetCommitRequestTopic::default();
        t.name = TopicName(StrBytes::from_static_str("work"));
        t.partitions = vec![p];
        req.topics = vec![t];
        let mut buf = bytes::BytesMut::new();
        req.encode(&mut buf, 2).unwrap();
        buf.to_vec()
    };
    // Pipelined: a window of requests in flight, answers read in order.
    let mut sent = Vec::new();
    for offset in 1..=COMMITS {
        sent.push(conn.send_v1(8, 2, &body(offset)));
        if sent.len() as i64 == WINDOW || offset == COMMITS {
            for c in sent.drain(..) {
                conn.read_response(c);
            }
        }
    }
    let offsets_dir = broker.partition_dir("__consumer_offsets", 0);
    let log_bytes = || -> u64 {
        std::fs::read_dir(&offsets_dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
            .map(|e| e.metadata().unwrap().len())
            .sum()
    };
    // 100k commit records take over 6 MB; only compaction keeps the log far smaller.
    assert!(watermarks(&broker, "__consumer_offsets", 0).1 >= COMMITS);
    common::wait_until(
        "__consumer_offsets compacted",
        std::time::Duration::from_secs(60),
        || log_bytes() < 600_000,
    );

    broker.stop();
    broker.restart();
    let consumer = broker.consumer_with(&[("group.id", "workers")]);
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition("work", 0);
    let committed =
        rdkafka::consumer::Consumer::committed_offsets(&consumer, tpl, CLIENT_TIMEOUT).unwrap();
    assert_eq!(
        committed.find_partition("work", 0).unwrap().offset(),
        rdkafka::Offset::Offset(COMMITS)
    );
}
