//! The transaction coordinator's state machine with explicit time: a full commit and
//! abort, retries, zombie fencing, timeouts, recovery from every persisted state.

use super::*;

const CONFIG: TxnConfig = TxnConfig {
    max_timeout_ms: 900_000,
    id_expiration_ms: 604_800_000,
};

fn ids() -> impl FnMut() -> Option<i64> {
    let mut next = 100;
    move || {
        next += 1;
        Some(next)
    }
}

fn tp(t: &str, p: i32) -> (String, i32) {
    (t.to_string(), p)
}

fn status(out: &TxnOutput) -> Vec<i8> {
    out.records
        .iter()
        .map(|r| {
            TransactionLogValue::decode(r.value.as_ref().unwrap())
                .unwrap()
                .status
        })
        .collect()
}

/// A coordinator that has seen every record of `outputs`, as a restarted broker would.
fn replayed(outputs: &[&TxnOutput]) -> TxnCoordinator {
    let mut c = TxnCoordinator::new(CONFIG);
    for out in outputs {
        for r in &out.records {
            c.replay(&r.key, r.value.as_deref()).unwrap();
        }
    }
    c
}

#[test]
fn commit_and_abort_round_trip() {
    let mut c = TxnCoordinator::new(CONFIG);
    let mut alloc = ids();
    let (r, o1) = c.init_producer_id("tx", 60_000, None, 0, &mut alloc);
    assert_eq!(r, Ok((101, 0)));
    assert_eq!(status(&o1), vec![0]);

    let parts = [tp("orders", 0), tp("orders", 1), tp("audit", 0)];
    let (r, o2) = c.add_partitions("tx", 101, 0, &parts, 10);
    assert_eq!(r, Ok(()));
    assert_eq!(status(&o2), vec![1]);
    assert!(c.partition_in_transaction(101, 0, "orders", 1));
    assert!(!c.partition_in_transaction(101, 0, "orders", 2));
    // Adding known partitions again changes nothing.
    let (r, o) = c.add_partitions("tx", 101, 0, &parts[..1], 11);
    assert_eq!((r, o.records.len()), (Ok(()), 0));

    let (r, o3) = c.end_txn("tx", 101, 0, true, 20);
    assert_eq!(r, Ok(()));
    assert_eq!(status(&o3), vec![2]);
    assert_eq!(
        o3.markers,
        vec![MarkerWork {
            transactional_id: "tx".into(),
            producer_id: 101,
            producer_epoch: 0,
            commit: true,
            partitions: vec![tp("audit", 0), tp("orders", 0), tp("orders", 1)],
        }]
    );
    // While markers are being written, another EndTxn must wait.
    assert_eq!(
        c.end_txn("tx", 101, 0, true, 21).0,
        Err(ResponseError::ConcurrentTransactions)
    );
    let o4 = c.markers_written(&o3.markers[0], 22);
    assert_eq!(status(&o4), vec![4]);
    assert!(!c.partition_in_transaction(101, 0, "orders", 1));
    // A retried EndTxn(commit) succeeds again; abort now is a state error.
    assert_eq!(c.end_txn("tx", 101, 0, true, 23).0, Ok(()));
    assert_eq!(
        c.end_txn("tx", 101, 0, false, 23).0,
        Err(ResponseError::InvalidTxnState)
    );

    // The next transaction aborts.
    c.add_partitions("tx", 101, 0, &parts[..1], 30).0.unwrap();
    let (r, o5) = c.end_txn("tx", 101, 0, false, 31);
    assert_eq!(r, Ok(()));
    assert!(!o5.markers[0].commit);
    assert_eq!(o5.markers[0].partitions, vec![tp("orders", 0)]);
    assert_eq!(status(&c.markers_written(&o5.markers[0], 32)), vec![5]);
    assert_eq!(c.get("tx").unwrap().state, TxnState::CompleteAbort);
}

#[test]
fn new_instances_fence_zombies() {
    let mut c = TxnCoordinator::new(CONFIG);
    let mut alloc = ids();
    c.init_producer_id("tx", 60_000, None, 0, &mut alloc)
        .0
        .unwrap();
    c.add_partitions("tx", 101, 0, &[tp("t", 0)], 1).0.unwrap();

    // A second instance starts while the first has a transaction open: that transaction
    // is aborted under a bumped epoch and the newcomer is asked to retry.
    let (r, o) = c.init_producer_id("tx", 60_000, None, 2, &mut alloc);
    assert_eq!(r, Err(ResponseError::ConcurrentTransactions));
    assert_eq!(o.markers.len(), 1);
    assert_eq!(
        (o.markers[0].producer_epoch, o.markers[0].commit),
        (1, false)
    );
    assert_eq!(
        c.init_producer_id("tx", 60_000, None, 3, &mut alloc).0,
        Err(ResponseError::ConcurrentTransactions),
        "still aborting"
    );
    c.markers_written(&o.markers[0], 4);
    assert_eq!(
        c.init_producer_id("tx", 60_000, None, 5, &mut alloc).0,
        Ok((101, 2))
    );

    // The zombie (epoch 0) can do nothing any more.
    assert_eq!(
        c.add_partitions("tx", 101, 0, &[tp("t", 0)], 6).0,
        Err(ResponseError::ProducerFenced)
    );
    assert_eq!(
        c.end_txn("tx", 101, 0, true, 6).0,
        Err(ResponseError::ProducerFenced)
    );
    assert!(!c.partition_in_transaction(101, 0, "t", 0));
    // Nor can a stranger with another producer ID.
    assert_eq!(
        c.add_partitions("tx", 999, 2, &[tp("t", 0)], 6).0,
        Err(ResponseError::InvalidProducerIdMapping)
    );
    // KIP-360: re-initialising with the current ID and epoch bumps; a retry of that call
    // (the old epoch) gets the same answer; anything older is fenced.
    assert_eq!(
        c.init_producer_id("tx", 60_000, Some((101, 2)), 7, &mut alloc)
            .0,
        Ok((101, 3))
    );
    assert_eq!(
        c.init_producer_id("tx", 60_000, Some((101, 2)), 8, &mut alloc)
            .0,
        Ok((101, 3))
    );
    assert_eq!(
        c.init_producer_id("tx", 60_000, Some((101, 1)), 9, &mut alloc)
            .0,
        Err(ResponseError::ProducerFenced)
    );
}

#[test]
fn timeouts_abort_and_fence() {
    let mut c = TxnCoordinator::new(CONFIG);
    let mut alloc = ids();
    assert_eq!(
        c.init_producer_id("tx", 900_001, None, 0, &mut alloc).0,
        Err(ResponseError::InvalidTransactionTimeout)
    );
    c.init_producer_id("tx", 1_000, None, 0, &mut alloc)
        .0
        .unwrap();
    assert_eq!(c.next_deadline(), None);
    c.add_partitions("tx", 101, 0, &[tp("t", 3)], 100)
        .0
        .unwrap();
    assert_eq!(c.next_deadline(), Some(1_100));
    assert_eq!(c.tick(1_099), TxnOutput::default());
    let o = c.tick(1_100);
    assert_eq!(status(&o), vec![3]);
    assert_eq!(
        o.markers,
        vec![MarkerWork {
            transactional_id: "tx".into(),
            producer_id: 101,
            producer_epoch: 1,
            commit: false,
            partitions: vec![tp("t", 3)],
        }]
    );
    c.markers_written(&o.markers[0], 1_101);
    // The timed-out producer learns it was fenced when it tries to commit.
    assert_eq!(
        c.end_txn("tx", 101, 0, true, 1_200).0,
        Err(ResponseError::ProducerFenced)
    );
    assert_eq!(c.next_deadline(), None);

    // Idle transactional IDs are forgotten after transactional.id.expiration.ms.
    let o = c.tick(1_101 + CONFIG.id_expiration_ms);
    assert_eq!(o.records.len(), 1);
    assert_eq!(o.records[0].value, None);
    assert!(c.get("tx").is_none());
}

#[test]
fn recovery_from_each_persisted_state() {
    let mut c = TxnCoordinator::new(CONFIG);
    let mut alloc = ids();
    let (_, a) = c.init_producer_id("empty", 60_000, None, 0, &mut alloc);
    let (_, b1) = c.init_producer_id("ongoing", 60_000, None, 0, &mut alloc);
    let (_, b2) = c.add_partitions("ongoing", 102, 0, &[tp("t", 0)], 5);
    let (_, c1) = c.init_producer_id("committing", 60_000, None, 0, &mut alloc);
    let (_, c2) = c.add_partitions("committing", 103, 0, &[tp("t", 1), tp("u", 0)], 5);
    let (_, c3) = c.end_txn("committing", 103, 0, true, 6);
    let (_, d1) = c.init_producer_id("aborting", 60_000, None, 0, &mut alloc);
    let (_, d2) = c.add_partitions("aborting", 104, 0, &[tp("t", 2)], 5);
    let (_, d3) = c.end_txn("aborting", 104, 0, false, 6);
    let (_, e1) = c.init_producer_id("done", 60_000, None, 0, &mut alloc);
    let (_, e2) = c.add_partitions("done", 105, 0, &[tp("t", 3)], 5);
    let (_, e3) = c.end_txn("done", 105, 0, true, 6);
    let e4 = c.markers_written(&e3.markers[0], 7);

    let mut r = replayed(&[
        &a, &b1, &b2, &c1, &c2, &c3, &d1, &d2, &d3, &e1, &e2, &e3, &e4,
    ]);
    for id in ["empty", "ongoing", "committing", "aborting", "done"] {
        let (before, after) = (c.get(id).unwrap(), r.get(id).unwrap());
        assert_eq!(
            (
                before.producer_id,
                before.producer_epoch,
                before.state,
                &before.partitions,
                before.start_ms
            ),
            (
                after.producer_id,
                after.producer_epoch,
                after.state,
                &after.partitions,
                after.start_ms
            ),
            "{id}"
        );
    }
    // Committing and aborting transactions get their markers written again.
    let o = r.finish_replay();
    assert_eq!(
        o.markers,
        vec![d3.markers[0].clone(), c3.markers[0].clone()]
    );
    for w in &o.markers {
        r.markers_written(w, 10);
    }
    assert_eq!(r.get("committing").unwrap().state, TxnState::CompleteCommit);
    assert_eq!(r.get("aborting").unwrap().state, TxnState::CompleteAbort);
    // The ongoing one still times out from its original start.
    assert_eq!(r.next_deadline(), Some(60_005));
    assert!(r.partition_in_transaction(102, 0, "t", 0));
    // A tombstone removes the ID.
    r.replay(&transaction_key("done").unwrap(), None).unwrap();
    assert!(r.get("done").is_none());
}
