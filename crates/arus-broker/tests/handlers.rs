//! Handlers driven in-process with exact expectations: validate-only topic creation, fetch
//! size limits, incremental fetch sessions, timestamp lookups, log dir sizes, cluster info.

mod common;

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use arus_broker::broker::{now_ms, Broker};
use arus_broker::handlers;

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

/// One v2 batch of `values`, all with timestamp `ts`.
fn batch(values: &[&str], ts: i64) -> Bytes {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder keeps records in one batch while offset - sequence stays constant;
            // the batch's base sequence is still -1 (no producer).
            sequence: i as i32 - 1,
            timestamp: ts + i as i64,
            key: None,
            value: Some(Bytes::from(v.to_string())),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    buf.freeze()
}

fn produce(broker: &Broker, topic: &str, partition: i32, records: Bytes) -> i64 {
    let resp = handlers::produce::handle(
        broker,
        9,
        ProduceRequest::default()
            .with_acks(-1)
            .with_topic_data(vec![produce_request::TopicProduceData::default()
                .with_name(name(topic))
                .with_partition_data(vec![
                    produce_request::PartitionProduceData::default()
                        .with_index(partition)
                        .with_records(Some(records)),
                ])]),
    )
    .unwrap();
    let p = &resp.responses[0].partition_responses[0];
    assert_eq!(p.error_code, 0, "{:?}", p.error_message);
    p.base_offset
}

fn fetch_request(
    topic: &str,
    partitions: &[(i32, i64, i32)],
    max_bytes: i32,
    session: (i32, i32),
) -> FetchRequest {
    FetchRequest::default()
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(max_bytes)
        .with_session_id(session.0)
        .with_session_epoch(session.1)
        .with_topics(if partitions.is_empty() {
            vec![]
        } else {
            vec![fetch_request::FetchTopic::default()
                .with_topic(name(topic))
                .with_partitions(
                    partitions
                        .iter()
                        .map(|(p, offset, max)| {
                            fetch_request::FetchPartition::default()
                                .with_partition(*p)
                                .with_fetch_offset(*offset)
                                .with_partition_max_bytes(*max)
                        })
                        .collect(),
                )]
        })
}

/// (partition, bytes returned, high watermark) of each partition in a fetch response.
fn summary(resp: &FetchResponse) -> Vec<(i32, usize, i64)> {
    resp.responses
        .iter()
        .flat_map(|t| t.partitions.iter())
        .map(|p| {
            assert_eq!(p.error_code, 0);
            (
                p.partition_index,
                p.records.as_ref().expect("never null").len(),
                p.high_watermark,
            )
        })
        .collect()
}

#[tokio::test]
async fn validate_only_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    let req = |validate_only| {
        CreateTopicsRequest::default()
            .with_validate_only(validate_only)
            .with_topics(vec![create_topics_request::CreatableTopic::default()
                .with_name(name("v"))
                .with_num_partitions(4)
                .with_replication_factor(1)])
    };
    let resp = handlers::create_topics::handle(&b, 7, req(true));
    assert_eq!(resp.topics[0].error_code, 0);
    assert_eq!(resp.topics[0].num_partitions, 4);
    assert!(b.catalog.topic("v").is_none());
    let resp = handlers::create_topics::handle(&b, 7, req(false));
    assert_eq!(resp.topics[0].error_code, 0);
    assert_eq!(b.catalog.topic("v").unwrap().partitions.len(), 4);
    assert_eq!(resp.topics[0].topic_id, b.catalog.topic("v").unwrap().id);
    let resp = handlers::create_topics::handle(&b, 7, req(true));
    assert_eq!(
        resp.topics[0].error_code, 36,
        "TOPIC_ALREADY_EXISTS even when validating"
    );
}

#[tokio::test]
async fn fetch_limits_return_whole_batches_and_at_least_one() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    b.catalog
        .create_topic("f", 2, BTreeMap::new(), now_ms())
        .unwrap();
    let b1 = batch(&["a", "b", "c"], 1000);
    let b2 = batch(&["d"], 2000);
    let (l1, l2) = (b1.len(), b2.len());
    assert_eq!(produce(&b, "f", 0, b1), 0);
    assert_eq!(produce(&b, "f", 0, b2), 3);
    assert_eq!(produce(&b, "f", 1, batch(&["x"], 3000)), 0);

    // Plenty of room: both batches of partition 0 and the one of partition 1.
    let all = handlers::fetch::handle(
        &b,
        12,
        fetch_request("f", &[(0, 0, 1 << 20), (1, 0, 1 << 20)], 1 << 20, (0, -1)),
    )
    .await;
    assert_eq!(
        summary(&all),
        vec![(0, l1 + l2, 4), (1, all_len(&all, 1), 1)]
    );
    // A limit smaller than the first batch still returns that whole batch, and nothing more.
    let one = handlers::fetch::handle(
        &b,
        12,
        fetch_request("f", &[(0, 0, 10), (1, 0, 10)], 10, (0, -1)),
    )
    .await;
    assert_eq!(summary(&one), vec![(0, l1, 4), (1, 0, 1)]);
    // An offset inside the first batch starts at that batch.
    let mid = handlers::fetch::handle(
        &b,
        12,
        fetch_request("f", &[(0, 1, 1 << 20)], 1 << 20, (0, -1)),
    )
    .await;
    assert_eq!(summary(&mid), vec![(0, l1 + l2, 4)]);
    // partition_max_bytes between the two batch boundaries: only the first batch.
    let part = handlers::fetch::handle(
        &b,
        12,
        fetch_request("f", &[(0, 0, (l1 + 1) as i32)], 1 << 20, (0, -1)),
    )
    .await;
    assert_eq!(summary(&part), vec![(0, l1, 4)]);
    // Past the end: OFFSET_OUT_OF_RANGE.
    let oor =
        handlers::fetch::handle(&b, 12, fetch_request("f", &[(0, 5, 1024)], 1024, (0, -1))).await;
    assert_eq!(oor.responses[0].partitions[0].error_code, 1);
}

fn all_len(resp: &FetchResponse, partition: i32) -> usize {
    resp.responses[0]
        .partitions
        .iter()
        .find(|p| p.partition_index == partition)
        .and_then(|p| p.records.as_ref())
        .map(|r| r.len())
        .unwrap_or(0)
}

#[tokio::test]
async fn incremental_fetch_sessions_send_only_changes() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    b.catalog
        .create_topic("s", 2, BTreeMap::new(), now_ms())
        .unwrap();
    let full = handlers::fetch::handle(
        &b,
        12,
        fetch_request("s", &[(0, 0, 1024), (1, 0, 1024)], 1 << 20, (0, 0)),
    )
    .await;
    let session = full.session_id;
    assert_ne!(session, 0, "a new session");
    assert_eq!(summary(&full), vec![(0, 0, 0), (1, 0, 0)]);

    let x = batch(&["x"], 5);
    let len = x.len();
    produce(&b, "s", 1, x);
    let inc = handlers::fetch::handle(&b, 12, fetch_request("s", &[], 1 << 20, (session, 1))).await;
    assert_eq!(inc.session_id, session);
    assert_eq!(
        summary(&inc),
        vec![(1, len, 1)],
        "only the partition that changed"
    );

    // The client moves its offset for partition 1; nothing else changed.
    let quiet = handlers::fetch::handle(
        &b,
        12,
        fetch_request("s", &[(1, 1, 1024)], 1 << 20, (session, 2)),
    )
    .await;
    assert_eq!(summary(&quiet), vec![]);
    // A stale epoch is refused.
    let stale =
        handlers::fetch::handle(&b, 12, fetch_request("s", &[], 1 << 20, (session, 2))).await;
    assert_eq!(stale.error_code, 71, "INVALID_FETCH_SESSION_EPOCH");
    let unknown = handlers::fetch::handle(
        &b,
        12,
        fetch_request("s", &[], 1 << 20, (session + 1000, 1)),
    )
    .await;
    assert_eq!(unknown.error_code, 70, "FETCH_SESSION_ID_NOT_FOUND");
}

#[tokio::test]
async fn list_offsets_by_timestamp_and_max_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    b.catalog
        .create_topic("l", 1, BTreeMap::new(), now_ms())
        .unwrap();
    produce(&b, "l", 0, batch(&["a", "b", "c"], 1000)); // offsets 0-2, ts 1000-1002
    produce(&b, "l", 0, batch(&["d", "e"], 5000)); // offsets 3-4, ts 5000-5001
    produce(&b, "l", 0, batch(&["f"], 2000)); // offset 5, ts 2000
    let query = |ts: i64| {
        let resp = handlers::list_offsets::handle(
            &b,
            7,
            ListOffsetsRequest::default().with_topics(vec![
                list_offsets_request::ListOffsetsTopic::default()
                    .with_name(name("l"))
                    .with_partitions(vec![list_offsets_request::ListOffsetsPartition::default()
                        .with_partition_index(0)
                        .with_timestamp(ts)]),
            ]),
        );
        let p = &resp.topics[0].partitions[0];
        assert_eq!(p.error_code, 0);
        (p.offset, p.timestamp)
    };
    assert_eq!(query(-2), (0, -1), "earliest");
    assert_eq!(query(-1), (6, -1), "latest");
    assert_eq!(query(1001), (1, 1001));
    assert_eq!(query(1003), (3, 5000), "first record at or after the time");
    assert_eq!(query(9999), (-1, -1), "none that late");
    assert_eq!(
        query(-3),
        (4, 5001),
        "the record with the largest timestamp"
    );
}

#[tokio::test]
async fn log_dirs_and_cluster_describe_what_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    b.catalog
        .create_topic("d", 2, BTreeMap::new(), now_ms())
        .unwrap();
    let x = batch(&["hello", "world"], 1);
    let len = x.len() as i64;
    produce(&b, "d", 1, x);
    let dirs = handlers::describe_log_dirs::handle(
        &b,
        DescribeLogDirsRequest::default().with_topics(None),
    );
    assert_eq!(dirs.results.len(), 1);
    let r = &dirs.results[0];
    assert_eq!(r.log_dir.as_str(), dir.path().to_string_lossy());
    let sizes: Vec<(String, i32, i64)> = r
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(move |p| (t.name.0.to_string(), p.partition_index, p.partition_size))
        })
        .collect();
    assert_eq!(
        sizes,
        vec![("d".to_string(), 0, 0), ("d".to_string(), 1, len)]
    );
    assert!(r.total_bytes > 0 && r.usable_bytes > 0 && r.usable_bytes <= r.total_bytes);
    // An empty topic list asks for no partitions (null asks for all).
    let none = handlers::describe_log_dirs::handle(
        &b,
        DescribeLogDirsRequest::default().with_topics(Some(vec![])),
    );
    assert!(none.results[0].topics.is_empty());

    let cluster = handlers::describe_cluster::handle(&b, &ctx(), DescribeClusterRequest::default());
    assert_eq!(cluster.error_code, 0);
    assert_eq!(cluster.cluster_id.as_str(), "the-cluster");
    assert_eq!(cluster.controller_id.0, 1);
    let brokers: Vec<(i32, String, i32)> = cluster
        .brokers
        .iter()
        .map(|x| (x.broker_id.0, x.host.to_string(), x.port))
        .collect();
    assert_eq!(brokers, vec![(1, "127.0.0.1".to_string(), 9092)]);
}

#[tokio::test]
async fn clients_cannot_write_internal_topics() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    let offsets = arus_broker::internal_topic::consumer_offsets(&b.catalog, &b.config).unwrap();
    let resp = handlers::produce::handle(
        &b,
        9,
        ProduceRequest::default().with_acks(1).with_topic_data(vec![
            produce_request::TopicProduceData::default()
                .with_name(name("__consumer_offsets"))
                .with_partition_data(vec![produce_request::PartitionProduceData::default()
                    .with_index(0)
                    .with_records(Some(batch(&["x"], 1)))]),
        ]),
    )
    .unwrap();
    assert_eq!(resp.responses[0].partition_responses[0].error_code, 17);
    assert_eq!(
        offsets.partitions[0].offsets().log_end,
        0,
        "nothing written"
    );
}

/// An append wakes only the fetches waiting on its own partition, and a waiting fetch is
/// answered as soon as its partition gets data, long before its max wait.
#[tokio::test]
async fn appends_wake_only_fetches_of_their_partition() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use tokio::sync::Notify;

    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    b.catalog
        .create_topic("w", 2, BTreeMap::new(), now_ms())
        .unwrap();
    let topic = b.catalog.topic("w").unwrap();
    let waiter = Arc::new(Notify::new());
    topic.partitions[0].wake_on_append(&waiter);
    produce(&b, "w", 1, batch(&["elsewhere"], 1000));
    assert!(
        tokio::time::timeout(Duration::from_millis(100), waiter.notified())
            .await
            .is_err(),
        "an append to partition 1 woke a fetch waiting on partition 0"
    );
    produce(&b, "w", 0, batch(&["here"], 1000));
    tokio::time::timeout(Duration::from_secs(5), waiter.notified())
        .await
        .expect("an append to partition 0 wakes its waiting fetch");

    // Through the handler: a fetch at the log end waits, and returns with the next record.
    let started = Instant::now();
    let fetch = tokio::spawn({
        let b = b.clone();
        async move {
            let request =
                fetch_request("w", &[(0, 1, 1 << 20)], 1 << 20, (0, -1)).with_max_wait_ms(10_000);
            handlers::fetch::handle(&b, 12, request).await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    produce(&b, "w", 1, batch(&["still elsewhere"], 2000));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!fetch.is_finished(), "no data for partition 0 yet");
    let next = batch(&["next"], 3000);
    let next_len = next.len();
    assert_eq!(produce(&b, "w", 0, next), 1);
    let resp = fetch.await.unwrap();
    assert_eq!(summary(&resp), vec![(0, next_len, 2)]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered on the append, not at max wait"
    );
}

fn broker(dir: &std::path::Path) -> std::sync::Arc<arus_broker::broker::Broker> {
    common::broker(dir, &[], &[])
}

fn ctx() -> arus_broker::dispatch::ConnectionContext {
    common::ctx()
}
