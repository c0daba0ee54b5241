//! Durability: a clean restart keeps everything; a SIGKILL keeps every acknowledged message;
//! a corrupted tail batch is cut off on recovery and the log carries on from there.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use rdkafka::producer::FutureRecord;

#[test]
fn clean_restart_keeps_every_message() {
    let mut broker = TestBroker::start();
    let topic = "dur-clean";
    broker.create_topic(topic, 2, &[]);
    let producer = broker.producer_with(&[("linger.ms", "20")]);
    const PER_PARTITION: i64 = 300;
    let futures: Vec<_> = (0..PER_PARTITION * 2)
        .map(|i| {
            let p = (i % 2) as i32;
            let key = format!("k{i}");
            let value = format!("clean-{p}-{}", i / 2);
            producer
                .send_result(
                    FutureRecord::to(topic)
                        .partition(p)
                        .key(key.as_bytes())
                        .payload(value.as_bytes()),
                )
                .unwrap_or_else(|(e, _)| panic!("enqueue: {e}"))
        })
        .collect();
    block_on(async {
        for (i, f) in futures.into_iter().enumerate() {
            let d = f
                .await
                .unwrap()
                .unwrap_or_else(|(e, _)| panic!("delivery {i}: {e}"));
            assert_eq!((d.partition, d.offset), ((i % 2) as i32, (i / 2) as i64));
        }
    });
    drop(producer);

    broker.stop();
    broker.restart();

    for p in 0..2 {
        assert_eq!(watermarks(&broker, topic, p), (0, PER_PARTITION));
        let got = read_partition(&broker, topic, p, PER_PARTITION as usize);
        for (i, m) in got.iter().enumerate() {
            assert_eq!(m.offset, i as i64);
            assert_eq!(m.value_str(), format!("clean-{p}-{i}"));
            assert_eq!(m.key_str(), format!("k{}", i as i32 * 2 + p));
        }
    }
    // Writing continues where it stopped.
    let producer = broker.producer();
    assert_eq!(
        send_kv(&producer, topic, 0, "after", "after-restart"),
        PER_PARTITION
    );
    assert_eq!(
        send_kv(&producer, topic, 1, "after", "after-restart"),
        PER_PARTITION
    );

    // A second clean cycle, right after writing.
    broker.stop();
    broker.restart();
    for p in 0..2 {
        assert_eq!(watermarks(&broker, topic, p), (0, PER_PARTITION + 1));
        let got = read_partition(&broker, topic, p, PER_PARTITION as usize + 1);
        assert_eq!(got.last().unwrap().value_str(), "after-restart");
    }
}

#[test]
fn sigkill_keeps_every_acknowledged_message() {
    let mut broker = TestBroker::start();
    let topic = "dur-kill";
    broker.create_topic(topic, 1, &[]);

    // Sequence number -> acknowledged offset, recorded by the streaming producer.
    let acked: Arc<Mutex<Vec<(u64, i64)>>> = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(Mutex::new(0u64));
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(Mutex::new(0u64));
    let producer = broker.producer_with(&[
        ("acks", "all"),
        ("linger.ms", "2"),
        ("message.timeout.ms", "5000"),
        ("retries", "0"),
    ]);
    let streamer = {
        let (acked, failed, stop, sent) =
            (acked.clone(), failed.clone(), stop.clone(), sent.clone());
        std::thread::spawn(move || {
            block_on(async {
                let mut in_flight = std::collections::VecDeque::new();
                let mut seq = 0u64;
                let started = Instant::now();
                // Bounded: at most 60 s or 2 million messages, whichever comes first.
                while !stop.load(Ordering::Relaxed)
                    && seq < 2_000_000
                    && started.elapsed() < Duration::from_secs(60)
                {
                    let value = format!("seq-{seq:08}");
                    match producer.send_result(
                        FutureRecord::<[u8], [u8]>::to(topic)
                            .partition(0)
                            .payload(value.as_bytes()),
                    ) {
                        Ok(f) => {
                            in_flight.push_back((seq, f));
                            seq += 1;
                            *sent.lock().unwrap() = seq;
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                    while in_flight.len() >= 200 {
                        let (s, f) = in_flight.pop_front().unwrap();
                        record(s, f.await, &acked, &failed);
                    }
                }
                for (s, f) in in_flight {
                    record(s, f.await, &acked, &failed);
                }
            });
            drop(producer);
        })
    };
    fn record<E>(
        seq: u64,
        result: Result<rdkafka::producer::future_producer::OwnedDeliveryResult, E>,
        acked: &Mutex<Vec<(u64, i64)>>,
        failed: &Mutex<u64>,
    ) {
        match result {
            Ok(Ok(d)) => acked.lock().unwrap().push((seq, d.offset)),
            _ => *failed.lock().unwrap() += 1,
        }
    }

    // Let the stream run, then crash the broker in the middle of it.
    wait_until(
        "3000 acknowledged messages",
        Duration::from_secs(60),
        || acked.lock().unwrap().len() >= 3000,
    );
    assert!(broker.is_running());
    broker.kill();
    let acked_at_kill = acked.lock().unwrap().len();
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    streamer.join().expect("producer thread");
    let acked = acked.lock().unwrap().clone();
    let total_sent = *sent.lock().unwrap();
    let failed = *failed.lock().unwrap();
    assert!(acked.len() >= acked_at_kill);
    assert_eq!(
        acked.len() as u64 + failed,
        total_sent,
        "every send was resolved"
    );
    assert!(
        failed > 0,
        "the producer was still streaming when the broker died"
    );

    // Acknowledgements came for the sequence prefix 0..k at offsets 0..k.
    let k = acked.len();
    for (i, (seq, offset)) in acked.iter().enumerate() {
        assert_eq!((*seq, *offset), (i as u64, i as i64), "acknowledgement {i}");
    }

    broker.restart();
    let (low, high) = watermarks(&broker, topic, 0);
    assert_eq!(low, 0);
    assert!(
        high >= k as i64 && high as u64 <= total_sent,
        "high watermark {high} after the crash; {k} acknowledged, {total_sent} sent"
    );
    // Everything acknowledged is there, in order, at contiguous offsets; anything more is the
    // next unacknowledged messages, in the order they were sent.
    let got = read_partition(&broker, topic, 0, high as usize);
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m.offset, i as i64, "offsets are contiguous from 0");
        assert_eq!(
            m.value_str(),
            format!("seq-{i:08}"),
            "message at offset {i}"
        );
    }
    eprintln!("acknowledged {k}, sent {total_sent}, present after the crash {high}");

    // New writes go right after what survived.
    let producer = broker.producer();
    assert_eq!(send_kv(&producer, topic, 0, "k", "after-crash"), high);
}

#[test]
fn corrupt_last_batch_is_truncated_on_recovery() {
    let mut broker = TestBroker::start();
    let topic = "dur-corrupt";
    broker.create_topic(topic, 1, &[]);
    let producer = broker.producer_with(&[("linger.ms", "30")]);
    // Ten rounds of three concurrent sends: a handful of batches of various sizes.
    let mut next = 0i64;
    for round in 0..10 {
        let futures: Vec<_> = (0..3)
            .map(|j| {
                let value = format!("round-{round}-msg-{j}");
                producer
                    .send_result(
                        FutureRecord::<[u8], [u8]>::to(topic)
                            .partition(0)
                            .key(b"k")
                            .payload(value.as_bytes()),
                    )
                    .unwrap_or_else(|(e, _)| panic!("enqueue: {e}"))
            })
            .collect();
        block_on(async {
            for f in futures {
                let d = f
                    .await
                    .unwrap()
                    .unwrap_or_else(|(e, _)| panic!("delivery: {e}"));
                assert_eq!(d.offset, next);
                next += 1;
            }
        });
    }
    drop(producer);
    let expected_value = |offset: i64| format!("round-{}-msg-{}", offset / 3, offset % 3);

    broker.kill();

    let path = broker.first_segment(topic, 0);
    let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let batches = walk_batches(&bytes);
    assert!(
        batches.len() >= 2,
        "need at least two batches, found {}",
        batches.len()
    );
    let covered: usize = batches.iter().map(|b| b.size).sum();
    assert_eq!(
        covered,
        bytes.len(),
        "the segment holds exactly the written batches"
    );
    let mut expect_base = 0;
    for b in &batches {
        assert_eq!(b.base_offset, expect_base, "batches are contiguous");
        assert!(
            batch_crc_ok(&bytes[b.position..b.position + b.size]),
            "CRC of batch {}",
            b.base_offset
        );
        expect_base = b.base_offset + b.record_count as i64;
    }
    assert_eq!(expect_base, 30);

    // Flip one byte in the middle of the last batch's records.
    let last = *batches.last().unwrap();
    let at = last.position + BATCH_HEADER + (last.size - BATCH_HEADER) / 2;
    bytes[at] ^= 0x5a;
    std::fs::write(&path, &bytes).expect("write corrupted segment");
    assert!(!batch_crc_ok(
        &bytes[last.position..last.position + last.size]
    ));

    broker.restart();
    let survivors = last.base_offset;
    assert_eq!(
        watermarks(&broker, topic, 0),
        (0, survivors),
        "log ends before the corrupt batch"
    );
    let got = read_partition(&broker, topic, 0, survivors as usize);
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m.offset, i as i64);
        assert_eq!(m.value_str(), expected_value(i as i64));
    }

    // Produce continues at the first offset of the dropped batch.
    let producer = broker.producer();
    assert_eq!(
        send_kv(&producer, topic, 0, "k", "after-repair-1"),
        survivors
    );
    assert_eq!(
        send_kv(&producer, topic, 0, "k", "after-repair-2"),
        survivors + 1
    );
    let got = read_partition(&broker, topic, 0, survivors as usize + 2);
    assert_eq!(got[survivors as usize].value_str(), "after-repair-1");
    assert_eq!(got[survivors as usize + 1].value_str(), "after-repair-2");

    // And the file on disk is whole again: valid, contiguous batches only.
    drop(producer);
    broker.stop();
    let bytes = std::fs::read(&path).unwrap();
    let batches = walk_batches(&bytes);
    let covered: usize = batches.iter().map(|b| b.size).sum();
    assert_eq!(
        covered,
        bytes.len(),
        "segment holds only whole batches after recovery"
    );
    let mut expect_base = 0;
    for b in &batches {
        assert_eq!(b.base_offset, expect_base);
        assert!(
            batch_crc_ok(&bytes[b.position..b.position + b.size]),
            "CRC of batch {}",
            b.base_offset
        );
        expect_base = b.base_offset + b.record_count as i64;
    }
    assert_eq!(expect_base, survivors + 2);
}

/// SIGTERM right after the ready line is a clean shutdown: the signal handlers are installed
/// before the broker announces itself (a signal in between used to kill the process with the
/// default action, leaving no clean-shutdown marker and a full recovery on the next start).
#[test]
fn sigterm_right_after_ready_is_a_clean_stop() {
    let mut broker = TestBroker::start();
    for _ in 0..5 {
        broker.stop(); // asserts exit status 0
        assert!(
            broker.log_dir().join(".kafka_cleanshutdown").exists(),
            "no clean-shutdown marker after SIGTERM"
        );
        broker.restart();
    }
}
