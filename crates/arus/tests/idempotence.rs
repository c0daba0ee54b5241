//! Idempotent producers against the real broker: retries after a crash never duplicate or
//! reorder.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;

use common::{
    assign, build_batch, parse_produce_v3, poll_n, produce_v3_body, read_partition, watermarks,
    RawConn, RawRecord, TestBroker,
};

const PARTITIONS: i32 = 3;
const TOTAL: usize = 200_000;

/// 200k records from librdkafka's idempotent producer while the broker first stalls (SIGSTOP
/// longer than the client's request timeout, so the client times out and retries) and later
/// is SIGKILLed and restarted. Catches loss and reordering within a partition, and any
/// duplicate the client's retries produce. (A crash rarely lands between an append and its
/// answer, so de-duplication itself is pinned down by the raw-protocol test below.)
#[test]
fn crash_mid_stream_neither_duplicates_nor_reorders() {
    let mut broker = TestBroker::start();
    broker.create_topic("ledger", PARTITIONS, &[("segment.bytes", "1048576")]);
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("broker.address.family", "v4")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("message.timeout.ms", "120000")
        .set("request.timeout.ms", "1000")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("producer");
    let mut sent = 0usize;
    let mut stalled = false;
    let mut crashed = false;
    while sent < TOTAL {
        let key = (sent % 97).to_string();
        let value = sent.to_string();
        let record = BaseRecord::<str, str>::to("ledger")
            .partition((sent % PARTITIONS as usize) as i32)
            .key(&key)
            .payload(&value);
        match producer.send(record) {
            Ok(()) => sent += 1,
            Err((e, _)) => {
                assert!(e.to_string().contains("Queue full"), "send failed: {e}");
                producer.poll(Duration::from_millis(10));
            }
        }
        producer.poll(Duration::ZERO);
        if sent == TOTAL / 3 && !stalled {
            // Requests in flight time out on the client while the broker is frozen; when it
            // resumes it appends them, and the client's retries must be recognised.
            producer.poll(Duration::from_millis(20));
            let pid = broker.pid() as libc::pid_t;
            // SAFETY: signalling our own child process.
            unsafe { libc::kill(pid, libc::SIGSTOP) };
            std::thread::sleep(Duration::from_millis(2500));
            unsafe { libc::kill(pid, libc::SIGCONT) };
            stalled = true;
        }
        if sent == 2 * TOTAL / 3 && !crashed {
            producer.poll(Duration::from_millis(20));
            broker.kill();
            broker.restart();
            crashed = true;
        }
    }
    producer.flush(Duration::from_secs(120)).expect("flush");
    assert!(crashed);

    let consumer = broker.consumer();
    let mut seen = HashMap::new();
    for p in 0..PARTITIONS {
        // Exactly this partition's values, each once, in the order they were sent.
        let expected: Vec<usize> = (0..TOTAL)
            .filter(|i| i % PARTITIONS as usize == p as usize)
            .collect();
        let per_partition = expected.len();
        let (_, high) = watermarks(&broker, "ledger", p);
        assign(&consumer, "ledger", &[(p, rdkafka::Offset::Beginning)]);
        let msgs = poll_n(
            &consumer,
            per_partition.min(high as usize),
            Duration::from_secs(60),
        );
        let values: Vec<usize> = msgs
            .iter()
            .map(|m| m.value_str().parse().unwrap())
            .collect();
        if let Some(i) =
            (0..values.len().max(expected.len())).find(|&i| values.get(i) != expected.get(i))
        {
            let window = |v: &[usize]| v[i.saturating_sub(3)..(i + 4).min(v.len())].to_vec();
            panic!(
                "partition {p} holds a duplicate, a gap or a reordering at offset {i}: got {:?}, expected {:?} ({} records, {} expected)",
                window(&values),
                window(&expected),
                values.len(),
                expected.len()
            );
        }
        for (i, m) in msgs.iter().enumerate() {
            assert_eq!(m.offset, i as i64, "partition {p} offsets are dense");
        }
        // Nothing beyond the expected records.
        assert_eq!(high, per_partition as i64, "partition {p} log end");
        seen.insert(p, values.len());
    }
    assert_eq!(seen.values().sum::<usize>(), TOTAL);
}

/// `batch` as written by producer `pid` at `epoch` from sequence `seq` (CRC recomputed).
fn with_producer(mut batch: Vec<u8>, pid: i64, epoch: i16, seq: i32) -> Vec<u8> {
    batch[43..51].copy_from_slice(&pid.to_be_bytes());
    batch[51..53].copy_from_slice(&epoch.to_be_bytes());
    batch[53..57].copy_from_slice(&seq.to_be_bytes());
    let crc = common::crc32c(&batch[21..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
    batch
}

/// Retried batches are answered with their first offsets and stored once, before and
/// after a SIGKILL (state rebuilt from the log) and a clean restart (from the snapshot);
/// gaps and stale epochs get Kafka's errors. Catches lost de-duplication across restarts.
#[test]
fn retries_are_answered_with_original_offsets_across_crash_and_restart() {
    let mut broker = TestBroker::start();
    let topic = "payments";
    broker.create_topic(topic, 1, &[]);
    let now = rdkafka::message::Timestamp::now().to_millis().unwrap();
    let batch = |pid: i64, epoch: i16, seq: i32, values: &[&'static [u8]]| {
        let records: Vec<RawRecord> = values
            .iter()
            .map(|v| RawRecord {
                key: None,
                value: Some(v),
                headers: vec![],
            })
            .collect();
        with_producer(build_batch(&records, now), pid, epoch, seq)
    };
    let produce = |broker: &TestBroker, records: &[u8]| {
        let mut conn = RawConn::connect(broker);
        let c = conn.send_v1(0, 3, &produce_v3_body(topic, 0, -1, records));
        let answer = parse_produce_v3(&conn.read_response(c));
        (answer[0].2, answer[0].3) // (error code, base offset)
    };
    let first = batch(4242, 0, 0, &[b"a", b"b", b"c"]);
    assert_eq!(produce(&broker, &first), (0, 0));
    assert_eq!(
        produce(&broker, &first),
        (0, 0),
        "a retry gets the original offset"
    );
    assert_eq!(watermarks(&broker, topic, 0), (0, 3));
    let gap = batch(4242, 0, 5, &[b"x"]);
    assert_eq!(
        produce(&broker, &gap),
        (45, -1),
        "OUT_OF_ORDER_SEQUENCE_NUMBER"
    );

    broker.kill();
    broker.restart();
    assert_eq!(
        produce(&broker, &first),
        (0, 0),
        "de-duplication survives a crash"
    );
    let second = batch(4242, 0, 3, &[b"d", b"e"]);
    assert_eq!(produce(&broker, &second), (0, 3));
    assert_eq!(watermarks(&broker, topic, 0), (0, 5));

    broker.stop();
    broker.restart();
    assert_eq!(
        produce(&broker, &second),
        (0, 3),
        "de-duplication survives a clean restart"
    );
    let bumped = batch(4242, 1, 0, &[b"f"]);
    assert_eq!(produce(&broker, &bumped), (0, 5));
    assert_eq!(
        produce(&broker, &batch(4242, 0, 5, &[b"g"])),
        (47, -1),
        "INVALID_PRODUCER_EPOCH"
    );
    let values: Vec<String> = read_partition(&broker, topic, 0, 6)
        .iter()
        .map(|m| m.value_str().to_string())
        .collect();
    assert_eq!(values, ["a", "b", "c", "d", "e", "f"]);
    assert_eq!(watermarks(&broker, topic, 0), (0, 6));
}
