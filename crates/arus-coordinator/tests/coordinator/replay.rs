use arus_coordinator::{CoordinatorConfig, GroupCoordinator, GroupState, RecordError, Response};
use kafka_protocol::messages::{DeleteGroupsRequest, GroupId};

use crate::harness::*;
use crate::join_sync::stable_group;

/// A fresh coordinator fed every record `h` emitted.
fn replayed(h: &H) -> H {
    let mut fresh = H::with(CoordinatorConfig::default());
    for r in &h.records {
        fresh.c.replay(&r.key, r.value.as_deref()).unwrap();
    }
    fresh
}

#[test]
fn replay_rebuilds_offsets_and_groups() {
    let mut h = H::new();
    let a = stable_group(&mut h, 1).remove(0);
    h.at(4000)
        .commit(8, GROUP, &a, 1, &[("t", 0, 42, "meta"), ("t", 1, 7, "")]);
    h.commit(8, GROUP, &a, 1, &[("t", 0, 43, "newer")]);
    h.commit(8, "simple", "", -1, &[("u", 0, 5, "")]);
    h.commit(8, "doomed", "", -1, &[("u", 0, 5, "")]);
    let mut req = DeleteGroupsRequest::default();
    req.groups_names = vec![GroupId(s("doomed"))];
    h.admin(0, |c, ctx, now| c.delete_groups(ctx, &req, now));

    let mut r = replayed(&h);
    assert_eq!(r.c.group_ids(), vec!["g".to_string(), "simple".to_string()]);
    assert_eq!(r.state(), Some(GroupState::Stable));
    assert_eq!(r.c.group_state("simple"), Some(GroupState::Empty));
    assert_eq!(
        r.c.next_deadline(),
        Some(0),
        "loaded sessions wait for a first tick"
    );
    r.c.finish_replay(100_000);
    r.at(100_000);
    let f = r.fetch(7, GROUP, None);
    let got: Vec<_> = f.topics[0]
        .partitions
        .iter()
        .map(|p| {
            (
                p.partition_index,
                p.committed_offset,
                p.committed_leader_epoch,
                p.metadata.as_deref().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (0, 43, 5, Some("newer".into())),
            (1, 7, 5, Some(String::new()))
        ]
    );

    // The member is back, in generation 1, with its assignment.
    let (t, out) = r.sync(3, &a, None, 1, &[]);
    assert_eq!(sync_resp(&out, t).assignment.as_ref(), b"a0");
    assert_eq!(r.heartbeat(&a, None, 1), 0);
    // ...and expires like any member once it stops heartbeating.
    r.tick(109_999);
    assert_eq!(r.state(), Some(GroupState::Stable));
    r.tick(110_000);
    assert_eq!(r.state(), Some(GroupState::Empty));
    let (t, out) = r.join(5, JoinArgs::new(""));
    assert_eq!(join_resp(&out, t).error_code, 79);
}

#[test]
fn replayed_members_expire_from_the_first_call_without_finish_replay() {
    let mut h = H::new();
    stable_group(&mut h, 1);
    let mut r = replayed(&h);
    r.tick(50_000);
    assert_eq!(r.state(), Some(GroupState::Stable));
    assert_eq!(r.c.next_deadline(), Some(60_000));
    r.tick(60_000);
    assert_eq!(r.state(), Some(GroupState::Empty));
}

#[test]
fn replay_of_an_emptied_group_keeps_generation_and_protocol_type() {
    let mut h = H::new();
    let a = stable_group(&mut h, 1).remove(0);
    h.leave(3, &[(&a, None)]);
    let mut r = replayed(&h);
    assert_eq!(r.state(), Some(GroupState::Empty));
    let mut req = kafka_protocol::messages::DescribeGroupsRequest::default();
    req.groups = vec![GroupId(s(GROUP))];
    let (resp, _) = r.admin(5, |c, ctx, now| c.describe_groups(ctx, &req, now));
    let Response::DescribeGroups(d) = resp else {
        panic!()
    };
    assert_eq!(d.groups[0].protocol_type.as_str(), "consumer");
    // The next generation continues from the persisted one.
    let (t, _) = r.join(3, JoinArgs::new(""));
    let out = r.tick(3000);
    assert_eq!(join_resp(&out, t).generation_id, 3);
}

#[test]
fn replay_refuses_garbage_and_reports_foreign_keys() {
    let mut c = GroupCoordinator::new(CoordinatorConfig::default());
    assert_eq!(
        c.replay(&[0, 5, 0, 0], None),
        Err(RecordError::UnsupportedKeyVersion(5))
    );
    assert_eq!(c.replay(&[0, 1, 0], Some(&[])), Err(RecordError::Truncated));
    assert_eq!(
        c.replay(&[0, 2, 0, 1, b'g'], Some(&[0, 3, 0])),
        Err(RecordError::Truncated)
    );
    assert!(c.group_ids().is_empty());
}
