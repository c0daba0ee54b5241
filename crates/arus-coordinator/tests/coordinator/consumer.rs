//! KIP-848 consumer groups: joining, assignment, reconciliation, fencing.

use arus_coordinator::CoordinatorConfig;

use crate::consumer_harness::*;
use crate::harness::*;

fn owned(c: &Client) -> Vec<(String, i32)> {
    c.owned.iter().cloned().collect()
}

/// Heartbeats every client in turn until nothing changes, checking after
/// every step that no partition is owned twice.
fn settle(h: &mut H, meta: &Meta, clients: &mut [&mut Client]) {
    for _ in 0..20 {
        let before: Vec<_> = clients.iter().map(|c| (c.epoch, c.owned.clone())).collect();
        for i in 0..clients.len() {
            assert_eq!(
                clients[i].beat(h, meta),
                0,
                "heartbeat of {}",
                clients[i].id
            );
            let view: Vec<&Client> = clients.iter().map(|c| &**c).collect();
            assert_disjoint(&view);
        }
        let after: Vec<_> = clients.iter().map(|c| (c.epoch, c.owned.clone())).collect();
        if before == after {
            return;
        }
    }
    panic!("group did not settle");
}

#[test]
fn two_members_split_four_partitions_two_and_two() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 4)]);
    let (mut a, mut b) = (Client::new("a", &["t"]), Client::new("b", &["t"]));
    assert_eq!(a.beat(&mut h, &meta), 0);
    assert_eq!(a.epoch, 1);
    assert_eq!(a.owned.len(), 4, "alone, a gets everything");
    assert_eq!(b.beat(&mut h, &meta), 0);
    assert_eq!(b.epoch, 2);
    assert!(b.owned.is_empty(), "a still owns every partition");
    // a must revoke two first; its epoch stays until it confirms.
    assert_eq!(a.beat(&mut h, &meta), 0);
    assert_eq!((a.epoch, a.owned.len()), (1, 2));
    assert_eq!(a.beat(&mut h, &meta), 0);
    assert_eq!((a.epoch, a.owned.len()), (2, 2));
    assert_eq!(b.beat(&mut h, &meta), 0);
    assert_eq!((b.epoch, b.owned.len()), (2, 2));
    assert_disjoint(&[&a, &b]);
    let d = h.cg_describe(1);
    let g = &d.groups[0];
    assert_eq!(
        (
            g.error_code,
            g.group_state.as_str(),
            g.group_epoch,
            g.assignment_epoch
        ),
        (0, "Stable", 2, 2)
    );
    assert_eq!(g.assignor_name.as_str(), "uniform");
}

#[test]
fn a_third_member_gets_partitions_only_after_they_are_revoked() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 4)]);
    let (mut a, mut b) = (Client::new("a", &["t"]), Client::new("b", &["t"]));
    settle(&mut h, &meta, &mut [&mut a, &mut b]);
    let mut c = Client::new("c", &["t"]);
    assert_eq!(c.beat(&mut h, &meta), 0);
    assert!(c.owned.is_empty(), "nothing is free yet");
    // Target says c gets one of a's or b's; c must not get it before the
    // owner has confirmed the revocation.
    let d = h.cg_describe(1);
    for m in &d.groups[0].members {
        let current: Vec<i32> = m
            .assignment
            .topic_partitions
            .iter()
            .flat_map(|t| t.partitions.clone())
            .collect();
        for other in d.groups[0]
            .members
            .iter()
            .filter(|o| o.member_id != m.member_id)
        {
            for t in &other.assignment.topic_partitions {
                assert!(t.partitions.iter().all(|p| !current.contains(p)));
            }
        }
    }
    settle(&mut h, &meta, &mut [&mut a, &mut b, &mut c]);
    let mut counts = vec![a.owned.len(), b.owned.len(), c.owned.len()];
    counts.sort();
    assert_eq!(counts, vec![1, 1, 2]);
    assert_eq!((a.epoch, b.epoch, c.epoch), (3, 3, 3));
}

#[test]
fn a_member_that_stops_heartbeating_is_fenced() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 4)]);
    let (mut a, mut b) = (Client::new("a", &["t"]), Client::new("b", &["t"]));
    settle(&mut h, &meta, &mut [&mut a, &mut b]);
    // Only a heartbeats, every 5 s; b's 45 s session lapses.
    for step in 1..=10 {
        h.at(step * 5_000);
        assert_eq!(a.beat(&mut h, &meta), 0);
    }
    assert_eq!(a.owned.len(), 4, "b's partitions went to a");
    assert_eq!(b.beat(&mut h, &meta), 25, "UNKNOWN_MEMBER_ID");
}

#[test]
fn range_assignor_gives_contiguous_ranges() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 3), ("u", 2)]);
    let mut a = Client::new("a", &["t", "u"]);
    let mut b = Client::new("b", &["t", "u"]);
    a.assignor = Some("range".into());
    b.assignor = Some("range".into());
    settle(&mut h, &meta, &mut [&mut a, &mut b]);
    let tp = |t: &str, p: i32| (t.to_owned(), p);
    assert_eq!(owned(&a), vec![tp("t", 0), tp("t", 1), tp("u", 0)]);
    assert_eq!(owned(&b), vec![tp("t", 2), tp("u", 1)]);
    assert_eq!(h.cg_describe(0).groups[0].assignor_name.as_str(), "range");
}

#[test]
fn leaving_with_epoch_minus_one_hands_partitions_over() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 4)]);
    let (mut a, mut b) = (Client::new("a", &["t"]), Client::new("b", &["t"]));
    settle(&mut h, &meta, &mut [&mut a, &mut b]);
    let r = h.cg_heartbeat(1, &meta, &hb_req(&meta, "b", -1, None, None));
    assert_eq!((r.error_code, r.member_epoch), (0, -1));
    assert_eq!(r.member_id.as_deref(), Some("b"));
    assert_eq!(a.beat(&mut h, &meta), 0);
    assert_eq!((a.epoch, a.owned.len()), (3, 4));
    let again = h.cg_heartbeat(1, &meta, &hb_req(&meta, "b", -1, None, None));
    assert_eq!(again.error_code, 25, "UNKNOWN_MEMBER_ID");
}

#[test]
fn a_member_that_does_not_revoke_in_time_is_fenced() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 4)]);
    let mut a = Client::new("a", &["t"]);
    a.beat(&mut h, &meta);
    let mut b = Client::new("b", &["t"]);
    b.beat(&mut h, &meta);
    // a is told to revoke but keeps reporting all four partitions.
    let all = a.owned.clone();
    let r = h.cg_heartbeat(1, &meta, &hb_req(&meta, "a", 1, None, Some(&all)));
    assert_eq!(assignment_of(&meta, &r).map(|x| x.len()), Some(2));
    h.at(20_000);
    let r = h.cg_heartbeat(1, &meta, &hb_req(&meta, "a", 1, None, Some(&all)));
    assert_eq!((r.error_code, r.member_epoch), (0, 1), "still revoking");
    h.tick(30_001);
    let r = h.cg_heartbeat(1, &meta, &hb_req(&meta, "a", 1, None, Some(&all)));
    assert_eq!(r.error_code, 25, "fenced after the rebalance timeout");
}

#[test]
fn epochs_ahead_or_stale_are_fenced() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 2)]);
    let mut a = Client::new("a", &["t"]);
    a.beat(&mut h, &meta);
    let r = h.cg_heartbeat(1, &meta, &hb_req(&meta, "a", 7, None, Some(&a.owned)));
    assert_eq!(r.error_code, 110, "FENCED_MEMBER_EPOCH");
    assert!(r
        .error_message
        .as_deref()
        .is_some_and(|m| m.contains("greater member epoch (7)")));
    let mut b = Client::new("b", &["t"]);
    b.beat(&mut h, &meta);
    settle(&mut h, &meta, &mut [&mut a, &mut b]);
    let r = h.cg_heartbeat(1, &meta, &hb_req(&meta, "a", 1, None, Some(&Owned::new())));
    assert_eq!(r.error_code, 0, "previous epoch with a subset is accepted");
    let unknown = h.cg_heartbeat(1, &meta, &hb_req(&meta, "zz", 2, None, None));
    assert_eq!(unknown.error_code, 25);
}

#[test]
fn the_group_max_size_is_enforced() {
    let mut h = H::with(CoordinatorConfig {
        consumer_max_size: 1,
        ..CoordinatorConfig::default()
    });
    let meta = Meta::new(&[("t", 2)]);
    assert_eq!(Client::new("a", &["t"]).beat(&mut h, &meta), 0);
    assert_eq!(Client::new("b", &["t"]).beat(&mut h, &meta), 81);
}

#[test]
fn static_members_keep_their_place_across_a_temporary_leave() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 2)]);
    let join = |h: &mut H, member: &str| {
        let mut r = hb_req(&meta, member, 0, Some(&["t"]), None);
        r.topic_partitions = Some(vec![]);
        r.instance_id = Some(s("i1"));
        h.cg_heartbeat(1, &meta, &r)
    };
    let first = join(&mut h, "a");
    assert_eq!((first.error_code, first.member_epoch), (0, 1));
    let dup = join(&mut h, "b");
    assert_eq!(dup.error_code, 111, "UNRELEASED_INSTANCE_ID");
    let mut leave = hb_req(&meta, "a", -2, None, None);
    leave.instance_id = Some(s("i1"));
    let r = h.cg_heartbeat(1, &meta, &leave);
    assert_eq!((r.error_code, r.member_epoch), (0, -2));
    let back = join(&mut h, "b");
    assert_eq!((back.error_code, back.member_epoch), (0, 1), "no new epoch");
    assert_eq!(assignment_of(&meta, &back).map(|a| a.len()), Some(2));
}

#[test]
fn requests_are_validated_as_kafka_does() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 2)]);
    let mut no_id = hb_req(&meta, "", 0, Some(&["t"]), None);
    no_id.topic_partitions = Some(vec![]);
    let r = h.cg_heartbeat(1, &meta, &no_id);
    assert_eq!(r.error_code, 42);
    assert_eq!(r.error_message.as_deref(), Some("MemberId can't be empty."));
    // v0: the coordinator picks the member id.
    let r = h.cg_heartbeat(0, &meta, &no_id);
    assert_eq!(r.error_code, 0);
    assert!(r.member_id.is_some_and(|m| !m.is_empty()));

    let mut bad = hb_req(&meta, "x", 0, Some(&["t"]), None);
    bad.topic_partitions = Some(vec![]);
    bad.server_assignor = Some(s("sticky"));
    let r = h.cg_heartbeat(1, &meta, &bad);
    assert_eq!(r.error_code, 112, "UNSUPPORTED_ASSIGNOR");
    assert_eq!(
        r.error_message.as_deref(),
        Some("ServerAssignor sticky is not supported. Supported assignors: uniform, range.")
    );
    bad.server_assignor = None;
    bad.subscribed_topic_regex = Some(s("t.*"));
    assert_eq!(h.cg_heartbeat(1, &meta, &bad).error_code, 42);
    let r = h.cg_heartbeat(1, &meta, &hb_req(&meta, "x", 0, Some(&["t"]), None));
    assert_eq!(
        r.error_message.as_deref(),
        Some("TopicPartitions must be empty when (re-)joining.")
    );
}

#[test]
fn a_live_classic_group_is_not_a_consumer_group() {
    let mut h = H::new();
    crate::join_sync::stable_group(&mut h, 1);
    let meta = Meta::new(&[("t", 2)]);
    let mut join = hb_req(&meta, "x", 0, Some(&["t"]), None);
    join.topic_partitions = Some(vec![]);
    let r = h.cg_heartbeat(1, &meta, &join);
    assert_eq!(r.error_code, 69, "GROUP_ID_NOT_FOUND");
    assert_eq!(
        r.error_message.as_deref(),
        Some("Group g is not a consumer group.")
    );
}
