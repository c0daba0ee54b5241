use arus_coordinator::records::OffsetCommitValue;
use arus_coordinator::{CoordinatorConfig, GroupState, Response};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{
    GroupId, OffsetCommitRequest, OffsetDeleteRequest, OffsetDeleteResponse, OffsetFetchRequest,
    OffsetFetchResponse, TopicName,
};

use crate::harness::*;
use crate::join_sync::stable_group;

type Row = (String, i32, i64, i32, String, i16);

/// (topic, partition, offset, epoch, metadata, error) of a v1-v7 answer.
fn rows(r: &OffsetFetchResponse) -> Vec<Row> {
    r.topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(move |p| {
                (
                    t.name.to_string(),
                    p.partition_index,
                    p.committed_offset,
                    p.committed_leader_epoch,
                    p.metadata.as_deref().unwrap_or("<null>").to_string(),
                    p.error_code,
                )
            })
        })
        .collect()
}

fn row(t: &str, p: i32, o: i64, e: i32, m: &str) -> Row {
    (t.into(), p, o, e, m.into(), 0)
}

fn commit_errors(r: &kafka_protocol::messages::OffsetCommitResponse) -> Vec<(String, i32, i16)> {
    r.topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(move |p| (t.name.to_string(), p.partition_index, p.error_code))
        })
        .collect()
}

#[test]
fn commit_and_fetch_round_trip_with_metadata() {
    let mut h = H::new();
    let a = stable_group(&mut h, 1).remove(0);
    h.at(5000);
    let (r, out) = h.commit(
        8,
        GROUP,
        &a,
        1,
        &[("t", 0, 42, "meta"), ("t", 1, 7, ""), ("gone", 0, 1, "")],
    );
    assert_eq!(
        commit_errors(&r),
        vec![
            ("t".into(), 0, 0),
            ("t".into(), 1, 0),
            ("gone".into(), 0, 3)
        ]
    );
    let value = |offset, metadata: &str| {
        Some(OffsetCommitValue {
            offset,
            leader_epoch: 5,
            metadata: metadata.into(),
            commit_timestamp: 5000,
            expire_timestamp: None,
        })
    };
    assert_eq!(
        offset_values(&out.records),
        vec![
            ("t".into(), 0, value(42, "meta")),
            ("t".into(), 1, value(7, ""))
        ]
    );
    assert!(out.records.iter().all(|r| r.group_id == GROUP));

    let r = h.fetch(7, GROUP, Some(&[("t", &[0, 1, 2])]));
    assert_eq!(
        rows(&r),
        vec![
            row("t", 0, 42, 5, "meta"),
            row("t", 1, 7, 5, ""),
            row("t", 2, -1, -1, "")
        ]
    );
    let r = h.fetch(1, GROUP, Some(&[("t", &[0])]));
    assert_eq!(
        rows(&r),
        vec![row("t", 0, 42, -1, "meta")],
        "no epochs before v5"
    );
    let r = h.fetch(7, GROUP, None);
    assert_eq!(
        rows(&r),
        vec![row("t", 0, 42, 5, "meta"), row("t", 1, 7, 5, "")]
    );
    let r = h.fetch(3, "unknown-group", Some(&[("t", &[0])]));
    assert_eq!(rows(&r), vec![row("t", 0, -1, -1, "")]);
    assert!(h.fetch(3, "unknown-group", None).topics.is_empty());

    // v8: several groups at once.
    let mut req = OffsetFetchRequest::default();
    let mut g1 = OffsetFetchRequestGroup::default();
    g1.group_id = GroupId(s(GROUP));
    g1.topics = None;
    let mut g2 = OffsetFetchRequestGroup::default();
    g2.group_id = GroupId(s("other"));
    let mut t = OffsetFetchRequestTopics::default();
    t.name = TopicName(s("t"));
    t.partition_indexes = vec![0];
    g2.topics = Some(vec![t]);
    req.groups = vec![g1, g2];
    let token = h.new_token(8);
    let r = h.fetch_req(8, &req, token);
    assert!(r.topics.is_empty());
    assert_eq!(r.groups.len(), 2);
    let g = &r.groups[0];
    assert_eq!(g.group_id.as_str(), GROUP);
    let got: Vec<_> = g.topics[0]
        .partitions
        .iter()
        .map(|p| {
            (
                p.partition_index,
                p.committed_offset,
                p.metadata.as_deref().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![(0, 42, Some("meta".into())), (1, 7, Some(String::new()))]
    );
    assert_eq!(r.groups[1].topics[0].partitions[0].committed_offset, -1);
}

#[test]
fn stale_generation_commit_is_rejected_and_nothing_stored() {
    let mut h = H::new();
    let a = stable_group(&mut h, 1).remove(0);
    let (r, out) = h.commit(8, GROUP, &a, 0, &[("t", 0, 42, "")]);
    assert_eq!(commit_errors(&r), vec![("t".into(), 0, 22)]);
    assert!(out.records.is_empty());
    let (r, out) = h.commit(8, GROUP, "stranger", 1, &[("t", 0, 42, "")]);
    assert_eq!(commit_errors(&r), vec![("t".into(), 0, 25)]);
    assert!(out.records.is_empty());
    assert_eq!(
        rows(&h.fetch(7, GROUP, Some(&[("t", &[0])]))),
        vec![row("t", 0, -1, -1, "")]
    );

    let (r, _) = h.commit(8, "no-such-group", "m", 3, &[("t", 0, 1, "")]);
    assert_eq!(commit_errors(&r), vec![("t".into(), 0, 22)]);
    let (r, _) = h.commit(9, "no-such-group", "m", 3, &[("t", 0, 1, "")]);
    assert_eq!(commit_errors(&r), vec![("t".into(), 0, 69)]);
    assert_eq!(h.c.group_state("no-such-group"), None);
}

#[test]
fn simple_commits_only_while_the_group_is_empty() {
    let mut h = H::new();
    let (r, out) = h.commit(2, "simple", "", -1, &[("t", 0, 10, "x")]);
    assert_eq!(commit_errors(&r), vec![("t".into(), 0, 0)]);
    assert_eq!(offset_values(&out.records).len(), 1);
    assert_eq!(h.c.group_state("simple"), Some(GroupState::Empty));
    assert_eq!(
        rows(&h.fetch(2, "simple", None)),
        vec![row("t", 0, 10, -1, "x")]
    );

    stable_group(&mut h, 1);
    let (r, out) = h.commit(8, GROUP, "", -1, &[("t", 0, 10, "")]);
    assert_eq!(commit_errors(&r), vec![("t".into(), 0, 25)]);
    assert!(out.records.is_empty());
}

#[test]
fn commit_while_completing_rebalance_is_refused() {
    let mut h = H::new();
    let (t, _) = h.join(3, JoinArgs::new(""));
    let out = h.tick(3000);
    let a = join_resp(&out, t).member_id.to_string();
    let (r, out) = h.commit(8, GROUP, &a, 1, &[("t", 0, 1, "")]);
    assert_eq!(commit_errors(&r), vec![("t".into(), 0, 27)]);
    assert!(out.records.is_empty());
}

#[test]
fn oversized_metadata_is_refused_per_partition() {
    let mut h = H::with(CoordinatorConfig {
        offset_metadata_max_bytes: 4,
        ..CoordinatorConfig::default()
    });
    let (r, out) = h.commit(
        8,
        "s",
        "",
        -1,
        &[
            ("t", 0, 1, "12345"),
            ("t", 1, 1, "1234"),
            ("t", 2, 1, "\u{e9}\u{e9}\u{e9}\u{e9}"),
        ],
    );
    assert_eq!(
        commit_errors(&r),
        vec![("t".into(), 0, 12), ("t".into(), 1, 0), ("t".into(), 2, 0)],
        "length counts UTF-16 units, like Kafka"
    );
    assert_eq!(offset_values(&out.records).len(), 2);
}

#[test]
fn old_retention_time_becomes_an_expiry() {
    let mut h = H::new();
    let mut req = OffsetCommitRequest::default();
    req.group_id = GroupId(s("s"));
    req.retention_time_ms = 1000;
    let mut t =
        kafka_protocol::messages::offset_commit_request::OffsetCommitRequestTopic::default();
    t.name = TopicName(s("t"));
    let mut p =
        kafka_protocol::messages::offset_commit_request::OffsetCommitRequestPartition::default();
    p.committed_offset = 3;
    t.partitions.push(p);
    req.topics.push(t);
    let (_, out) = h.at(500).admin(2, |c, ctx, now| {
        c.offset_commit(ctx, &req, &|_: &str, _: i32| true, now)
    });
    let v = offset_values(&out.records)[0].2.clone().unwrap();
    assert_eq!(v.expire_timestamp, Some(1500));
    assert_eq!(v.commit_timestamp, 500);
}

fn delete_offsets(
    h: &mut H,
    group: &str,
    parts: &[(&str, i32)],
) -> (OffsetDeleteResponse, arus_coordinator::Output) {
    let mut req = OffsetDeleteRequest::default();
    req.group_id = GroupId(s(group));
    for (topic, partition) in parts {
        let mut p = OffsetDeleteRequestPartition::default();
        p.partition_index = *partition;
        match req.topics.iter_mut().find(|t| t.name.as_str() == *topic) {
            Some(t) => t.partitions.push(p),
            None => {
                let mut t = OffsetDeleteRequestTopic::default();
                t.name = TopicName(s(topic));
                t.partitions.push(p);
                req.topics.push(t);
            }
        }
    }
    let (r, out) = h.admin(0, |c, ctx, now| {
        c.offset_delete(ctx, &req, &|t: &str, _: i32| t != "gone", now)
    });
    match r {
        Response::OffsetDelete(r) => (r, out),
        other => panic!("{other:?}"),
    }
}

fn delete_errors(r: &OffsetDeleteResponse) -> Vec<(String, i32, i16)> {
    r.topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(move |p| (t.name.to_string(), p.partition_index, p.error_code))
        })
        .collect()
}

#[test]
fn offset_delete_spares_subscribed_topics_of_a_live_consumer_group() {
    let mut h = H::new();
    let a = stable_group(&mut h, 1).remove(0);
    h.commit(8, GROUP, &a, 1, &[("t", 0, 1, ""), ("u", 0, 2, "")]);
    let (r, out) = delete_offsets(&mut h, GROUP, &[("t", 0), ("u", 0), ("gone", 0)]);
    assert_eq!(r.error_code, 0);
    assert_eq!(
        delete_errors(&r),
        vec![
            ("t".into(), 0, 86),
            ("u".into(), 0, 0),
            ("gone".into(), 0, 3)
        ]
    );
    assert_eq!(offset_values(&out.records), vec![("u".into(), 0, None)]);
    assert_eq!(rows(&h.fetch(7, GROUP, None)), vec![row("t", 0, 1, 5, "")]);

    // Once the group is empty every offset may go.
    h.leave(3, &[(&a, None)]);
    let (r, out) = delete_offsets(&mut h, GROUP, &[("t", 0), ("t", 9)]);
    assert_eq!(
        delete_errors(&r),
        vec![("t".into(), 0, 0), ("t".into(), 9, 0)]
    );
    assert_eq!(offset_values(&out.records), vec![("t".into(), 0, None)]);

    let (r, _) = delete_offsets(&mut h, "nope", &[("t", 0)]);
    assert_eq!(r.error_code, 69);
    assert!(r.topics.is_empty());
}

#[test]
fn offset_delete_refuses_non_consumer_groups_with_members() {
    let mut h = H::new();
    let (t, _) = h.join(3, JoinArgs::new("").protocol_type("connect"));
    let out = h.tick(3000);
    let a = join_resp(&out, t).member_id.to_string();
    h.sync(3, &a, None, 1, &[]);
    let (r, _) = delete_offsets(&mut h, GROUP, &[("t", 0)]);
    assert_eq!(r.error_code, 68);
    assert!(r.topics.is_empty());
}

fn retention_config() -> CoordinatorConfig {
    CoordinatorConfig {
        offsets_retention_minutes: 1,
        offsets_retention_check_interval_ms: 1000,
        ..CoordinatorConfig::default()
    }
}

#[test]
fn simple_group_offsets_expire_after_the_retention_then_the_group_goes() {
    let mut h = H::with(retention_config());
    h.commit(8, "s", "", -1, &[("t", 0, 10, "")]);
    let before = h.records.len();
    h.tick(59_000);
    assert_eq!(rows(&h.fetch(7, "s", None)), vec![row("t", 0, 10, 5, "")]);
    assert_eq!(h.c.next_deadline(), Some(60_000));
    h.tick(60_000);
    assert_eq!(h.c.group_state("s"), None);
    let new = &h.records[before..];
    assert_eq!(offset_values(new), vec![("t".into(), 0, None)]);
    assert_eq!(group_values(new), vec![None]);
}

#[test]
fn offsets_of_an_emptied_group_expire_from_when_it_emptied() {
    let mut h = H::with(retention_config());
    let a = stable_group(&mut h, 1).remove(0);
    h.at(5000).commit(8, GROUP, &a, 1, &[("t", 0, 10, "")]);
    h.at(10_000).leave(3, &[(&a, None)]);
    assert_eq!(h.state(), Some(GroupState::Empty));
    h.tick(69_000);
    assert_eq!(rows(&h.fetch(7, GROUP, None)).len(), 1);
    h.tick(70_000);
    assert_eq!(h.state(), None);
}

#[test]
fn stable_consumer_group_keeps_subscribed_offsets_past_retention() {
    let mut h = H::with(retention_config());
    let a = stable_group(&mut h, 1).remove(0);
    h.at(5000)
        .commit(8, GROUP, &a, 1, &[("t", 0, 1, ""), ("u", 0, 2, "")]);
    for now in (8000..=68_000).step_by(4000) {
        h.at(now);
        assert_eq!(h.heartbeat(&a, None, 1), 0);
    }
    assert_eq!(rows(&h.fetch(7, GROUP, None)), vec![row("t", 0, 1, 5, "")]);
    assert_eq!(
        offset_values(&h.records).last().cloned(),
        Some(("u".into(), 0, None))
    );
}

#[test]
fn deleted_topics_lose_their_offsets() {
    let mut h = H::new();
    h.commit(
        8,
        "s",
        "",
        -1,
        &[("t", 0, 1, ""), ("t", 1, 1, ""), ("u", 0, 1, "")],
    );
    let out = h.c.remove_topic_offsets(&["t"], 100);
    assert_eq!(
        offset_values(&out.records),
        vec![("t".into(), 0, None), ("t".into(), 1, None)]
    );
    assert_eq!(rows(&h.fetch(7, "s", None)), vec![row("u", 0, 1, 5, "")]);
}
