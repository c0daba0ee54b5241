//! Transactional offset commits: pending until the marker, visible after a commit, dropped
//! after an abort, reported as unstable to `require_stable` fetches, and rebuilt by replay.

use arus_coordinator::{GroupCoordinator, Response};
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    GroupId, OffsetFetchRequest, ProducerId, TopicName, TransactionalId, TxnOffsetCommitRequest,
};

use crate::harness::*;

fn txn_commit(h: &mut H, pid: i64, group: &str, offsets: &[(&str, i32, i64)]) -> Vec<i16> {
    let mut req = TxnOffsetCommitRequest::default();
    req.transactional_id = TransactionalId(s("tx"));
    req.group_id = GroupId(s(group));
    req.producer_id = ProducerId(pid);
    req.producer_epoch = 3;
    req.generation_id = -1;
    for (t, p, o) in offsets {
        let mut tp = TxnOffsetCommitRequestTopic::default();
        tp.name = TopicName(s(t));
        let mut pp = TxnOffsetCommitRequestPartition::default();
        pp.partition_index = *p;
        pp.committed_offset = *o;
        pp.committed_leader_epoch = -1;
        tp.partitions.push(pp);
        req.topics.push(tp);
    }
    let (r, _) = h.admin(3, |c, ctx, now| {
        c.txn_offset_commit(ctx, &req, &|_: &str, _: i32| true, now)
    });
    match r {
        Response::TxnOffsetCommit(r) => r
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
            .collect(),
        other => panic!("{other:?}"),
    }
}

/// (offset, error) of `orders` partition `p` for `group`, optionally with require_stable.
fn fetched(h: &mut H, group: &str, p: i32, require_stable: bool) -> (i64, i16) {
    let mut req = OffsetFetchRequest::default();
    req.group_id = GroupId(s(group));
    let mut t = kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic::default();
    t.name = TopicName(s("orders"));
    t.partition_indexes = vec![p];
    req.topics = Some(vec![t]);
    req.require_stable = require_stable;
    let token = h.new_token(7);
    let r = h.fetch_req(7, &req, token);
    let part = &r.topics[0].partitions[0];
    (part.committed_offset, part.error_code)
}

#[test]
fn pending_until_the_marker_then_committed_or_dropped() {
    let mut h = H::new();
    assert_eq!(
        txn_commit(&mut h, 7, "g", &[("orders", 0, 42), ("orders", 1, 9)]),
        vec![0, 0]
    );
    // Persisted at once, under the producer, for a transactional batch.
    assert_eq!(h.records.len(), 2);
    assert!(h.records.iter().all(|r| r.producer == Some((7, 3))));
    // Invisible until committed; unstable for require_stable readers.
    assert_eq!(fetched(&mut h, "g", 0, false), (-1, 0));
    assert_eq!(fetched(&mut h, "g", 0, true), (-1, 88));
    h.c.complete_transaction(7, true);
    assert_eq!(fetched(&mut h, "g", 0, true), (42, 0));
    assert_eq!(fetched(&mut h, "g", 1, false), (9, 0));

    // An aborted transaction's offsets never show.
    assert_eq!(txn_commit(&mut h, 8, "g", &[("orders", 0, 99)]), vec![0]);
    h.c.complete_transaction(8, false);
    assert_eq!(fetched(&mut h, "g", 0, true), (42, 0));

    // Replay: records of transactional batches are pending until their marker.
    let mut r = GroupCoordinator::new(Default::default());
    for rec in &h.records {
        match rec.producer {
            Some((pid, _)) => r
                .replay_transactional(pid, &rec.key, rec.value.as_deref())
                .unwrap(),
            None => r.replay(&rec.key, rec.value.as_deref()).unwrap(),
        }
    }
    r.replay_marker(7, true);
    r.replay_marker(8, false);
    let mut h2 = H::new();
    h2.c = r;
    assert_eq!(fetched(&mut h2, "g", 0, true), (42, 0));
    assert_eq!(fetched(&mut h2, "g", 1, true), (9, 0));
}

#[test]
fn named_members_must_belong_to_the_group() {
    let mut h = H::new();
    let mut req = TxnOffsetCommitRequest::default();
    req.group_id = GroupId(s("g"));
    req.producer_id = ProducerId(1);
    req.member_id = s("ghost");
    req.generation_id = 4;
    let mut tp = TxnOffsetCommitRequestTopic::default();
    tp.name = TopicName(s("orders"));
    tp.partitions
        .push(TxnOffsetCommitRequestPartition::default());
    req.topics.push(tp);
    let (r, out) = h.admin(3, |c, ctx, now| {
        c.txn_offset_commit(ctx, &req, &|_: &str, _: i32| true, now)
    });
    let Response::TxnOffsetCommit(r) = r else {
        panic!()
    };
    assert_eq!(
        r.topics[0].partitions[0].error_code, 25,
        "UNKNOWN_MEMBER_ID"
    );
    assert!(out.records.is_empty());
}
