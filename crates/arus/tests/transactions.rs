//! Transactions with librdkafka's transactional producer against the real broker: commit
//! and abort across partitions as read_committed and read_uncommitted consumers see them,
//! consume-transform-produce that survives a crashed transformer exactly once, zombie
//! fencing, and the transaction timeout.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use common::{assign, poll_for, TestBroker};

const T: Duration = Duration::from_secs(30);

fn txn_producer(broker: &TestBroker, id: &str, extra: &[(&str, &str)]) -> BaseProducer {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", broker.bootstrap())
        .set("broker.address.family", "v4")
        .set("transactional.id", id)
        .set("linger.ms", "2");
    for (k, v) in extra {
        c.set(*k, *v);
    }
    let p: BaseProducer = c.create().expect("transactional producer");
    p.init_transactions(T).expect("init_transactions");
    p
}

fn send(p: &BaseProducer, topic: &str, partition: i32, value: &str) {
    p.send(
        BaseRecord::<str, str>::to(topic)
            .partition(partition)
            .key(value)
            .payload(value),
    )
    .expect("enqueue");
    p.poll(Duration::ZERO);
}

/// Values of every record `isolation` lets a fresh consumer read from all of `topic`'s
/// partitions, per partition, once nothing more arrives.
fn read(
    broker: &TestBroker,
    topic: &str,
    partitions: i32,
    isolation: &str,
) -> BTreeMap<i32, Vec<String>> {
    let consumer = broker.consumer_with(&[("isolation.level", isolation)]);
    let all: Vec<(i32, Offset)> = (0..partitions).map(|p| (p, Offset::Beginning)).collect();
    assign(&consumer, topic, &all);
    let mut out: BTreeMap<i32, Vec<String>> = (0..partitions).map(|p| (p, Vec::new())).collect();
    for m in poll_for(&consumer, Duration::from_secs(3)) {
        out.get_mut(&m.partition)
            .unwrap()
            .push(m.value_str().to_string());
    }
    out
}

fn map(entries: &[(i32, &[&str])]) -> BTreeMap<i32, Vec<String>> {
    entries
        .iter()
        .map(|(p, vs)| (*p, vs.iter().map(|v| v.to_string()).collect()))
        .collect()
}

/// A committed and an aborted transaction across 3 partitions, between plain writes.
/// Catches aborted reads (read_committed seeing aborted data), lost commits, and control
/// records leaking to applications.
#[test]
fn committed_and_aborted_across_partitions() {
    let broker = TestBroker::start();
    broker.create_topic("ledger", 3, &[]);
    let p = txn_producer(&broker, "ledger-writer", &[]);

    p.begin_transaction().unwrap();
    for part in 0..3 {
        send(&p, "ledger", part, &format!("commit-{part}"));
    }
    p.commit_transaction(T).expect("commit");

    p.begin_transaction().unwrap();
    for part in 0..3 {
        send(&p, "ledger", part, &format!("abort-{part}"));
    }
    p.flush(T).unwrap();
    p.abort_transaction(T).expect("abort");

    p.begin_transaction().unwrap();
    send(&p, "ledger", 1, "commit-again");
    p.commit_transaction(T).expect("second commit");

    assert_eq!(
        read(&broker, "ledger", 3, "read_committed"),
        map(&[
            (0, &["commit-0"]),
            (1, &["commit-1", "commit-again"]),
            (2, &["commit-2"])
        ])
    );
    assert_eq!(
        read(&broker, "ledger", 3, "read_uncommitted"),
        map(&[
            (0, &["commit-0", "abort-0"]),
            (1, &["commit-1", "abort-1", "commit-again"]),
            (2, &["commit-2", "abort-2"])
        ])
    );
    // Markers take offsets: partition 1 holds 3 records and 3 markers.
    assert_eq!(common::watermarks(&broker, "ledger", 1), (0, 6));
}

/// An open transaction holds read_committed readers at its first offset; a second
/// instance with the same transactional.id fences the first and aborts its transaction.
#[test]
fn open_transactions_block_read_committed_until_fenced() {
    let broker = TestBroker::start();
    broker.create_topic("orders", 1, &[]);
    let zombie = txn_producer(&broker, "order-writer", &[]);
    zombie.begin_transaction().unwrap();
    send(&zombie, "orders", 0, "maybe");
    zombie.flush(T).unwrap();

    // Non-transactional data after the open transaction is not readable either.
    let plain: BaseProducer = broker.client_config().create().unwrap();
    plain
        .send(
            BaseRecord::<str, str>::to("orders")
                .partition(0)
                .payload("plain"),
        )
        .unwrap();
    plain.flush(T).unwrap();
    assert_eq!(
        read(&broker, "orders", 1, "read_committed"),
        map(&[(0, &[])])
    );
    assert_eq!(
        read(&broker, "orders", 1, "read_uncommitted"),
        map(&[(0, &["maybe", "plain"])])
    );

    let successor = txn_producer(&broker, "order-writer", &[]);
    assert_eq!(
        read(&broker, "orders", 1, "read_committed"),
        map(&[(0, &["plain"])])
    );
    // The zombie can no longer commit.
    let err = zombie
        .commit_transaction(T)
        .expect_err("the zombie must be fenced");
    assert!(
        matches!(&err, KafkaError::Transaction(e) if e.is_fatal()),
        "expected a fatal fencing error, got {err:?}"
    );
    successor.begin_transaction().unwrap();
    send(&successor, "orders", 0, "sure");
    successor.commit_transaction(T).unwrap();
    assert_eq!(
        read(&broker, "orders", 1, "read_committed"),
        map(&[(0, &["plain", "sure"])])
    );
}

/// A transaction left open past transaction.timeout.ms is aborted by the broker.
#[test]
fn timed_out_transactions_are_aborted() {
    let broker = TestBroker::start();
    broker.create_topic("slow", 1, &[]);
    let p = txn_producer(
        &broker,
        "slow-writer",
        &[("transaction.timeout.ms", "1500")],
    );
    p.begin_transaction().unwrap();
    send(&p, "slow", 0, "late");
    p.flush(T).unwrap();
    let consumer = broker.consumer_with(&[("isolation.level", "read_committed")]);
    let deadline = Instant::now() + Duration::from_secs(15);
    // The LSO moves past the aborted data once the coordinator aborts it.
    loop {
        let lso = broker_lso(&consumer, "slow");
        if lso == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "transaction was not aborted (LSO {lso})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(read(&broker, "slow", 1, "read_committed"), map(&[(0, &[])]));
    assert!(
        p.commit_transaction(T).is_err(),
        "a timed-out transaction cannot commit"
    );
}

/// The read_committed end offset of partition 0 (ListOffsets latest under read_committed).
fn broker_lso(consumer: &BaseConsumer, topic: &str) -> i64 {
    consumer
        .fetch_watermarks(topic, 0, T)
        .map(|(_, high)| high)
        .unwrap_or(-1)
}

/// Consume-transform-produce with send_offsets_to_transaction: a transformer crashes in the
/// middle of a transaction (its output and offsets never committed), a new instance with the
/// same transactional.id fences it and resumes from the committed offsets. The output holds
/// each input exactly once. Catches duplicates from reprocessing and lost or torn
/// transactions (output committed without its offsets or the reverse).
#[test]
fn consume_transform_produce_is_exactly_once_across_a_crash() {
    let broker = TestBroker::start();
    broker.create_topic("in", 2, &[]);
    broker.create_topic("out", 2, &[]);
    let plain: BaseProducer = broker.client_config().create().unwrap();
    for i in 0..100 {
        plain
            .send(
                BaseRecord::<str, str>::to("in")
                    .partition(i % 2)
                    .payload(&i.to_string()),
            )
            .unwrap();
    }
    plain.flush(T).unwrap();

    // Processes up to `limit` records in transactions of 10; with `crash`, stops in the
    // middle of the last transaction without committing or closing anything.
    let run = |limit: usize, crash: bool| {
        let consumer: BaseConsumer = broker
            .client_config()
            .set("group.id", "transformers")
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("isolation.level", "read_committed")
            .create()
            .unwrap();
        consumer.subscribe(&["in"]).unwrap();
        let producer = txn_producer(&broker, "transformer", &[]);
        let mut done = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        while done < limit {
            assert!(Instant::now() < deadline, "transformer stalled at {done}");
            producer.begin_transaction().unwrap();
            let mut batch = 0;
            let mut next: BTreeMap<i32, i64> = BTreeMap::new();
            while batch < 10 && done + batch < limit && Instant::now() < deadline {
                let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) else {
                    continue;
                };
                let doubled = m
                    .payload_view::<str>()
                    .unwrap()
                    .unwrap()
                    .parse::<i64>()
                    .unwrap()
                    * 2;
                send(&producer, "out", m.partition(), &doubled.to_string());
                next.insert(m.partition(), m.offset() + 1);
                batch += 1;
            }
            if crash && done + batch >= limit {
                producer.flush(T).unwrap();
                // The transformer dies here: its transaction is neither committed nor
                // aborted, and its producer never talks to the broker again.
                std::mem::forget(producer);
                return;
            }
            let mut offsets = TopicPartitionList::new();
            for (partition, offset) in next {
                offsets
                    .add_partition_offset("in", partition, Offset::Offset(offset))
                    .unwrap();
            }
            producer
                .send_offsets_to_transaction(&offsets, &consumer.group_metadata().unwrap(), T)
                .unwrap();
            producer.commit_transaction(T).unwrap();
            done += batch;
        }
    };
    run(45, true);
    run(100 - 40, false);

    let out = read(&broker, "out", 2, "read_committed");
    let mut values: Vec<i64> = out.values().flatten().map(|v| v.parse().unwrap()).collect();
    values.sort();
    let expected: Vec<i64> = (0..100).map(|i| i * 2).collect();
    assert_eq!(
        values, expected,
        "each input exactly once in the committed output"
    );
}

/// The broker is SIGKILLed with a transaction open and another committed: after the
/// restart the committed data stays readable, the open transaction (rebuilt from
/// `__transaction_state` and the partition's producer state) still holds read_committed
/// readers, and a new instance of the producer aborts it. Catches lost commits and
/// transactions that hang or leak after a crash.
#[test]
fn transactions_survive_a_broker_crash() {
    let mut broker = TestBroker::start();
    broker.create_topic("events", 2, &[]);
    let done = txn_producer(&broker, "done-writer", &[]);
    done.begin_transaction().unwrap();
    send(&done, "events", 0, "kept");
    done.commit_transaction(T).unwrap();
    let open = txn_producer(&broker, "open-writer", &[]);
    open.begin_transaction().unwrap();
    send(&open, "events", 1, "in-flight");
    open.flush(T).unwrap();
    std::mem::forget(open);
    drop(done);

    broker.kill();
    broker.restart();
    assert_eq!(
        read(&broker, "events", 2, "read_committed"),
        map(&[(0, &["kept"]), (1, &[])])
    );
    assert_eq!(
        read(&broker, "events", 2, "read_uncommitted"),
        map(&[(0, &["kept"]), (1, &["in-flight"])])
    );
    let successor = txn_producer(&broker, "open-writer", &[]);
    successor.begin_transaction().unwrap();
    send(&successor, "events", 1, "after");
    successor.commit_transaction(T).unwrap();
    assert_eq!(
        read(&broker, "events", 2, "read_committed"),
        map(&[(0, &["kept"]), (1, &["after"])])
    );
}

/// DescribeProducers, ListTransactions and DescribeTransactions show an open transaction
/// and its producer, as kafka-transactions.sh reads them.
#[test]
fn admin_apis_show_open_transactions() {
    use kafka_protocol::messages::{
        describe_producers_request::TopicRequest, DescribeProducersRequest,
        DescribeTransactionsRequest, ListTransactionsRequest, TopicName, TransactionalId,
    };
    use kafka_protocol::protocol::StrBytes;

    let broker = TestBroker::start();
    broker.create_topic("audit", 2, &[]);
    let p = txn_producer(&broker, "auditor", &[("transaction.timeout.ms", "60000")]);
    p.begin_transaction().unwrap();
    send(&p, "audit", 1, "a");
    send(&p, "audit", 1, "b");
    p.flush(T).unwrap();

    let mut conn = common::RawConn::connect(&broker);
    let listed = conn.call(
        &ListTransactionsRequest::default()
            .with_state_filters(vec![StrBytes::from_static_str("Ongoing")])
            .with_duration_filter(-1),
        1,
    );
    assert_eq!(listed.error_code, 0);
    assert_eq!(listed.transaction_states.len(), 1);
    let t = &listed.transaction_states[0];
    assert_eq!(
        (t.transactional_id.as_str(), t.transaction_state.as_str()),
        ("auditor", "Ongoing")
    );
    let pid = t.producer_id;

    let described = conn.call(
        &DescribeTransactionsRequest::default().with_transactional_ids(vec![
            TransactionalId(StrBytes::from_static_str("auditor")),
            TransactionalId(StrBytes::from_static_str("nobody")),
        ]),
        0,
    );
    let (a, b) = (
        &described.transaction_states[0],
        &described.transaction_states[1],
    );
    assert_eq!(
        (
            a.error_code,
            a.transaction_state.as_str(),
            a.transaction_timeout_ms
        ),
        (0, "Ongoing", 60000)
    );
    assert_eq!((a.producer_id, a.producer_epoch), (pid, 0));
    assert_eq!(a.topics.len(), 1);
    assert_eq!(
        (
            a.topics[0].topic.as_str(),
            a.topics[0].partitions.as_slice()
        ),
        ("audit", &[1][..])
    );
    assert_eq!(b.error_code, 105, "TRANSACTIONAL_ID_NOT_FOUND");

    let producers = conn.call(
        &DescribeProducersRequest::default().with_topics(vec![TopicRequest::default()
            .with_name(TopicName(StrBytes::from_static_str("audit")))
            .with_partition_indexes(vec![0, 1, 9])]),
        0,
    );
    let parts = &producers.topics[0].partitions;
    assert_eq!(parts[0].active_producers.len(), 0);
    assert_eq!(parts[1].active_producers.len(), 1);
    let s = &parts[1].active_producers[0];
    assert_eq!(
        (
            s.producer_id,
            s.producer_epoch,
            s.last_sequence,
            s.current_txn_start_offset
        ),
        (pid, 0, 1, 0)
    );
    assert_eq!(parts[2].error_code, 3, "UNKNOWN_TOPIC_OR_PARTITION");

    p.commit_transaction(T).unwrap();
    let described = conn.call(
        &DescribeTransactionsRequest::default()
            .with_transactional_ids(vec![TransactionalId(StrBytes::from_static_str("auditor"))]),
        0,
    );
    assert_eq!(
        described.transaction_states[0].transaction_state.as_str(),
        "CompleteCommit"
    );
    assert!(described.transaction_states[0].topics.is_empty());
}
