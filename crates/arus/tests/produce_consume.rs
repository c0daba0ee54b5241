//! Produce and consume through librdkafka: keys, headers, every compression codec, key
//! partitioning, ListOffsets by timestamp, watermarks and DeleteRecords.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use rdkafka::admin::AdminOptions;
use rdkafka::consumer::Consumer;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use rdkafka::{Offset, TopicPartitionList};

const PER_CODEC: usize = 40;

struct Sent {
    key: Option<Vec<u8>>,
    value: Vec<u8>,
    headers: Vec<(String, Option<Vec<u8>>)>,
    timestamp: i64,
}

fn sent_messages(codec: &str, base_ts: i64) -> Vec<Sent> {
    (0..PER_CODEC)
        .map(|i| {
            // Values repeat a pattern so every codec really shrinks them.
            let value =
                format!("{codec} message {i}: {}", "compressible text ".repeat(20)).into_bytes();
            let key = if i % 7 == 3 {
                None
            } else {
                Some(format!("key-{i}").into_bytes())
            };
            let mut headers = vec![
                ("index".to_string(), Some(i.to_string().into_bytes())),
                ("codec".to_string(), Some(codec.as_bytes().to_vec())),
            ];
            if i % 5 == 0 {
                headers.push(("empty".to_string(), Some(Vec::new())));
                headers.push(("null".to_string(), None));
            }
            Sent {
                key,
                value,
                headers,
                timestamp: base_ts + i as i64,
            }
        })
        .collect()
}

fn check_consumed(topic: &str, got: &[Msg], sent: &[Sent]) {
    assert_eq!(got.len(), sent.len(), "{topic}: message count");
    for (i, (m, s)) in got.iter().zip(sent).enumerate() {
        assert_eq!(m.topic, topic);
        assert_eq!(m.partition, 0);
        assert_eq!(m.offset, i as i64, "{topic}: offset of message {i}");
        assert_eq!(m.key, s.key, "{topic}: key of message {i}");
        assert_eq!(
            m.value.as_deref(),
            Some(&s.value[..]),
            "{topic}: value of message {i}"
        );
        assert_eq!(m.headers, s.headers, "{topic}: headers of message {i}");
        assert_eq!(
            m.timestamp,
            Some(s.timestamp),
            "{topic}: timestamp of message {i}"
        );
    }
}

/// Produces keyed messages with headers using one codec, reads them back exactly, then checks
/// on disk (after a clean stop) that the batches were stored as the producer compressed them,
/// and reads them again after the restart.
fn codec_round_trip(codec: &str, code: i16) {
    let mut broker = TestBroker::start();
    let base_ts = rdkafka::message::Timestamp::now().to_millis().unwrap() - 60_000;
    let topic = format!("pc-codec-{codec}");
    broker.create_topic(&topic, 1, &[]);
    // A long linger so the messages travel in a few multi-record batches.
    let producer = broker.producer_with(&[("compression.type", codec), ("linger.ms", "200")]);
    let sent = sent_messages(codec, base_ts);
    let futures: Vec<_> = sent
        .iter()
        .map(|s| {
            let mut headers = OwnedHeaders::new();
            for (k, v) in &s.headers {
                headers = headers.insert(Header {
                    key: k.as_str(),
                    value: v.as_deref(),
                });
            }
            let mut record = FutureRecord::<[u8], [u8]>::to(&topic)
                .payload(&s.value[..])
                .headers(headers)
                .timestamp(s.timestamp)
                .partition(0);
            if let Some(k) = &s.key {
                record = record.key(&k[..]);
            }
            producer
                .send_result(record)
                .unwrap_or_else(|(e, _)| panic!("enqueue: {e}"))
        })
        .collect();
    let offsets: Vec<i64> = block_on(async {
        let mut out = Vec::new();
        for f in futures {
            let d = f
                .await
                .expect("delivery future")
                .unwrap_or_else(|(e, _)| panic!("{codec}: {e}"));
            assert_eq!(d.partition, 0);
            out.push(d.offset);
        }
        out
    });
    drop(producer);
    assert_eq!(
        offsets,
        (0..PER_CODEC as i64).collect::<Vec<_>>(),
        "{codec}: acknowledged offsets"
    );
    assert_eq!(
        watermarks(&broker, &topic, 0),
        (0, PER_CODEC as i64),
        "{codec}: watermarks"
    );
    let got = read_partition(&broker, &topic, 0, PER_CODEC);
    check_consumed(&topic, &got, &sent);

    // On disk (after a clean stop flushed everything): v2 batches stored as the producer
    // compressed them, with valid CRCs, covering offsets 0..PER_CODEC without gaps.
    broker.stop();
    let path = broker.first_segment(&topic, 0);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let batches = walk_batches(&bytes);
    let covered: usize = batches.iter().map(|b| b.size).sum();
    assert_eq!(
        covered,
        bytes.len(),
        "{codec}: segment holds only whole batches"
    );
    let mut next = 0i64;
    for b in &batches {
        assert_eq!(b.magic, 2, "{codec}: magic");
        assert_eq!(b.base_offset, next, "{codec}: batches are contiguous");
        assert_eq!(
            b.record_count,
            b.last_offset_delta + 1,
            "{codec}: record count"
        );
        assert!(
            batch_crc_ok(&bytes[b.position..b.position + b.size]),
            "{codec}: CRC of batch {}",
            b.base_offset
        );
        next = b.base_offset + b.record_count as i64;
    }
    assert_eq!(next, PER_CODEC as i64, "{codec}: records on disk");
    assert!(
        batches.len() < PER_CODEC,
        "{codec}: expected multi-record batches, got {} batches",
        batches.len()
    );
    let codecs: Vec<i16> = batches.iter().map(|b| b.codec()).collect();
    assert_eq!(
        codecs,
        vec![code; batches.len()],
        "{codec}: compression codec of each stored batch (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)"
    );

    // And everything reads back the same after the restart.
    broker.restart();
    let got = read_partition(&broker, &topic, 0, PER_CODEC);
    check_consumed(&topic, &got, &sent);
}

#[test]
fn codec_none_round_trip() {
    codec_round_trip("none", 0);
}

#[test]
fn codec_gzip_round_trip() {
    codec_round_trip("gzip", 1);
}

#[test]
fn codec_snappy_round_trip() {
    codec_round_trip("snappy", 2);
}

/// librdkafka compresses with lz4 only when the broker advertises FindCoordinator (its marker
/// for Kafka >= 0.8.2, LZ4 in rdkafka_feature.c); otherwise it silently sends the batch
/// uncompressed, which this test would catch (codec 0 on disk instead of 3).
#[test]
fn codec_lz4_round_trip() {
    codec_round_trip("lz4", 3);
}

#[test]
fn codec_zstd_round_trip() {
    codec_round_trip("zstd", 4);
}

#[test]
fn same_key_same_partition_and_exact_watermarks() {
    let broker = TestBroker::start();
    let topic = "pc-keyed";
    broker.create_topic(topic, 3, &[]);
    let producer = broker.producer();
    let users: Vec<String> = (0..12).map(|u| format!("user-{u}")).collect();
    // Deliveries per partition, in order: (offset, key, value).
    let mut by_partition: HashMap<i32, Vec<(i64, String, String)>> = HashMap::new();
    let mut partition_of: HashMap<String, i32> = HashMap::new();
    for round in 0..5 {
        for user in &users {
            let value = format!("{{\"user\":\"{user}\",\"round\":{round}}}");
            let d = send(
                &producer,
                FutureRecord::to(topic)
                    .key(user.as_bytes())
                    .payload(value.as_bytes()),
            );
            let p = *partition_of.entry(user.clone()).or_insert(d.partition);
            assert_eq!(
                d.partition, p,
                "key {user} moved from partition {p} to {}",
                d.partition
            );
            by_partition
                .entry(d.partition)
                .or_default()
                .push((d.offset, user.clone(), value));
        }
    }
    let total: usize = by_partition.values().map(|v| v.len()).sum();
    assert_eq!(total, 60);
    for p in 0..3 {
        let expected = by_partition.remove(&p).unwrap_or_default();
        // Offsets handed out per partition are 0, 1, 2, ...
        let offsets: Vec<i64> = expected.iter().map(|e| e.0).collect();
        assert_eq!(
            offsets,
            (0..expected.len() as i64).collect::<Vec<_>>(),
            "partition {p} offsets"
        );
        assert_eq!(
            watermarks(&broker, topic, p),
            (0, expected.len() as i64),
            "partition {p} watermarks"
        );
        let got = read_partition(&broker, topic, p, expected.len());
        let got: Vec<(i64, String, String)> = got
            .iter()
            .map(|m| (m.offset, m.key_str().to_string(), m.value_str().to_string()))
            .collect();
        assert_eq!(got, expected, "partition {p} contents");
    }
}

#[test]
fn offsets_for_times_watermarks_and_delete_records() {
    let broker = TestBroker::start();
    let topic = "pc-times";
    broker.create_topic(topic, 1, &[]);
    let producer = broker.producer();
    let t0 = rdkafka::message::Timestamp::now().to_millis().unwrap() - 3_600_000;
    for i in 0..10i64 {
        let d = send(
            &producer,
            FutureRecord::to(topic)
                .partition(0)
                .key(format!("k{i}").as_bytes())
                .payload(format!("v{i}").as_bytes())
                .timestamp(t0 + i * 1000),
        );
        assert_eq!(d.offset, i);
    }
    assert_eq!(watermarks(&broker, topic, 0), (0, 10));

    let consumer = broker.consumer();
    let lookup = |ts: i64| -> Offset {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, 0, Offset::Offset(ts))
            .unwrap();
        let res = consumer
            .offsets_for_times(tpl, CLIENT_TIMEOUT)
            .expect("offsets_for_times");
        let e = res.find_partition(topic, 0).expect("partition in result");
        e.error().expect("no per-partition error");
        e.offset()
    };
    // The earliest offset whose timestamp is >= the one asked for.
    assert_eq!(lookup(t0 - 100_000), Offset::Offset(0));
    assert_eq!(lookup(t0), Offset::Offset(0));
    assert_eq!(lookup(t0 + 1), Offset::Offset(1));
    assert_eq!(lookup(t0 + 4_500), Offset::Offset(5));
    assert_eq!(lookup(t0 + 5_000), Offset::Offset(5));
    assert_eq!(lookup(t0 + 9_000), Offset::Offset(9));
    // Past the newest record: no offset (-1).
    assert_eq!(lookup(t0 + 9_001), Offset::End);

    // DeleteRecords moves the log start; reads and lookups start there.
    let admin = broker.admin();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Offset(4))
        .unwrap();
    let res = block_on(admin.delete_records(
        &tpl,
        &AdminOptions::new().request_timeout(Some(CLIENT_TIMEOUT)),
    ))
    .expect("DeleteRecords");
    let e = res.find_partition(topic, 0).expect("partition in result");
    e.error().expect("DeleteRecords partition error");
    assert_eq!(e.offset(), Offset::Offset(4), "new low watermark");
    assert_eq!(watermarks(&broker, topic, 0), (4, 10));
    assert_eq!(lookup(t0), Offset::Offset(4));
    assert_eq!(lookup(t0 + 6_000), Offset::Offset(6));
    let got = read_partition(&broker, topic, 0, 6);
    let got: Vec<(i64, String)> = got
        .iter()
        .map(|m| (m.offset, m.value_str().to_string()))
        .collect();
    let expected: Vec<(i64, String)> = (4..10).map(|i| (i, format!("v{i}"))).collect();
    assert_eq!(got, expected);

    // New records continue after the old high watermark.
    assert_eq!(send_kv(&producer, topic, 0, "k10", "v10"), 10);
    assert_eq!(watermarks(&broker, topic, 0), (4, 11));
}

#[test]
fn consumer_at_end_waits_for_new_message() {
    let broker = TestBroker::start();
    let topic = "pc-longpoll";
    broker.create_topic(topic, 1, &[]);
    let producer = broker.producer();
    for i in 0..3 {
        assert_eq!(send_kv(&producer, topic, 0, "old", &format!("old-{i}")), i);
    }
    let consumer = broker.consumer();
    assign(&consumer, topic, &[(0, Offset::End)]);
    // Nothing is delivered while nothing new is produced.
    let early = poll_for(&consumer, Duration::from_millis(1500));
    assert!(
        early.is_empty(),
        "consumer at the end received old messages: {early:?}"
    );

    let bootstrap = broker.bootstrap();
    let topic_owned = topic.to_string();
    let late_producer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        let producer: rdkafka::producer::FutureProducer = rdkafka::config::ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("broker.address.family", "v4")
            .create()
            .unwrap();
        let d = block_on(
            producer.send(
                FutureRecord::to(&topic_owned)
                    .partition(0)
                    .key(&b"late"[..])
                    .payload(&b"hello later"[..]),
                CLIENT_TIMEOUT,
            ),
        )
        .unwrap_or_else(|(e, _)| panic!("late produce: {e}"));
        d.offset
    });
    let got = poll_n(&consumer, 1, CLIENT_TIMEOUT);
    let produced_at = late_producer.join().unwrap();
    assert_eq!(produced_at, 3);
    assert_eq!(got[0].offset, 3);
    assert_eq!(got[0].key.as_deref(), Some(&b"late"[..]));
    assert_eq!(got[0].value.as_deref(), Some(&b"hello later"[..]));
    assert!(poll_for(&consumer, Duration::from_millis(500)).is_empty());
}

#[test]
fn raw_fetch_long_poll_returns_when_data_arrives() {
    let broker = TestBroker::start();
    let topic = "pc-rawpoll";
    broker.create_topic(topic, 1, &[]);
    let producer = broker.producer();
    assert_eq!(send_kv(&producer, topic, 0, "a", "first"), 0);

    // With no new data the broker holds the fetch for max_wait and answers empty.
    let mut conn = RawConn::connect(&broker);
    let started = std::time::Instant::now();
    let c = conn.send_v1(1, 4, &fetch_v4_body(topic, 0, 1, 1500, 1));
    let parts = parse_fetch_v4(&conn.read_response(c));
    let waited = started.elapsed();
    assert_eq!(parts.len(), 1);
    assert_eq!(
        (parts[0].topic.as_str(), parts[0].partition, parts[0].error),
        (topic, 0, 0)
    );
    assert_eq!(parts[0].high_watermark, 1);
    assert!(parts[0].records.is_empty(), "empty fetch returned records");
    assert!(
        waited >= Duration::from_millis(1000),
        "fetch with max_wait 1500 ms returned after {waited:?}"
    );

    // With a long max_wait, a record produced a second later ends the wait.
    let started = std::time::Instant::now();
    let c = conn.send_v1(1, 4, &fetch_v4_body(topic, 0, 1, 20_000, 1));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(send_kv(&producer, topic, 0, "b", "second"), 1);
    let parts = parse_fetch_v4(&conn.read_response(c));
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(15),
        "long poll was not woken by new data ({waited:?})"
    );
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].error, 0);
    assert_eq!(parts[0].high_watermark, 2);
    let records = decode_batches(&parts[0].records);
    assert_eq!(
        records,
        vec![DecodedRecord {
            offset: 1,
            key: Some(b"b".to_vec()),
            value: Some(b"second".to_vec())
        }]
    );
}

/// A fetch response far larger than the socket's buffer, with several partitions, arrives
/// byte for byte as the segment files hold the batches (they are sent with sendfile, the
/// broker waiting each time the socket is full), and the records decode to what was sent.
#[test]
fn large_fetches_arrive_byte_for_byte_as_stored() {
    use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    use kafka_protocol::messages::{FetchRequest, TopicName};
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::RecordBatchDecoder;

    const PARTITIONS: i32 = 3;
    const PER_PARTITION: usize = 3000;
    let broker = TestBroker::start();
    broker.create_topic("big", PARTITIONS, &[]);
    let producer = broker.producer_with(&[
        ("linger.ms", "20"),
        ("compression.type", "none"),
        ("batch.size", "1000000"),
    ]);
    let value = |p: i32, i: usize| format!("p{p} record {i:05} {}", "x".repeat(1000 + i % 17));
    let mut pending = Vec::new();
    for p in 0..PARTITIONS {
        for i in 0..PER_PARTITION {
            let v = value(p, i);
            let queued = producer
                .send_result(
                    FutureRecord::<[u8], [u8]>::to("big")
                        .partition(p)
                        .payload(v.as_bytes()),
                )
                .map_err(|(e, _)| e);
            pending.push(queued);
        }
    }
    for f in pending {
        block_on(f.expect("queued"))
            .expect("delivered")
            .expect("acknowledged");
    }

    let request = FetchRequest::default()
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(64 << 20)
        .with_topics(vec![FetchTopic::default()
            .with_topic(TopicName(StrBytes::from_static_str("big")))
            .with_partitions(
                (0..PARTITIONS)
                    .map(|p| {
                        FetchPartition::default()
                            .with_partition(p)
                            .with_fetch_offset(0)
                            .with_partition_max_bytes(16 << 20)
                    })
                    .collect(),
            )]);
    let mut conn = RawConn::connect(&broker);
    let response = conn.call(&request, 12);
    let partitions = &response.responses[0].partitions;
    assert_eq!(partitions.len(), PARTITIONS as usize);
    let mut total = 0;
    for data in partitions {
        let p = data.partition_index;
        assert_eq!(data.error_code, 0, "partition {p}");
        assert_eq!(data.high_watermark, PER_PARTITION as i64);
        let records = data.records.clone().expect("records");
        let stored = std::fs::read(broker.first_segment("big", p)).unwrap();
        assert_eq!(
            records.len(),
            stored.len(),
            "partition {p}: every batch, whole"
        );
        assert!(records[..] == stored[..], "partition {p}: bytes as stored");
        total += records.len();
        let mut buf = records;
        let values: Vec<String> = RecordBatchDecoder::decode_all(&mut buf)
            .unwrap()
            .into_iter()
            .flat_map(|set| set.records)
            .map(|r| String::from_utf8(r.value.unwrap().to_vec()).unwrap())
            .collect();
        let expected: Vec<String> = (0..PER_PARTITION).map(|i| value(p, i)).collect();
        assert_eq!(values, expected, "partition {p}");
    }
    assert!(
        total > 8 << 20,
        "the response ({total} bytes) outgrows socket buffers"
    );
}
