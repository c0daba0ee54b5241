use arus_coordinator::{CoordinatorConfig, GroupState};
use bytes::Bytes;

use crate::harness::*;

/// `n` dynamic members joined with v3 at time 0, synced at 6000 (or 3000
/// for one member); returns their ids, leader first. Generation 1.
pub fn stable_group(h: &mut H, n: usize) -> Vec<String> {
    h.at(0);
    let tokens: Vec<_> = (0..n).map(|_| h.join(3, JoinArgs::new("")).0).collect();
    let mut out = h.tick(3000);
    if n > 1 {
        out = h.tick(6000);
    }
    let ids: Vec<String> = tokens
        .iter()
        .map(|t| join_resp(&out, *t).member_id.to_string())
        .collect();
    let assignments: Vec<(String, Vec<u8>)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), format!("a{i}").into_bytes()))
        .collect();
    let refs: Vec<(&str, &[u8])> = assignments
        .iter()
        .map(|(id, a)| (id.as_str(), a.as_slice()))
        .collect();
    h.sync(3, &ids[0], None, 1, &refs);
    for id in &ids[1..] {
        h.sync(3, id, None, 1, &[]);
    }
    assert_eq!(h.state(), Some(GroupState::Stable));
    ids
}

#[test]
fn one_member_member_id_required_join_sync_heartbeat() {
    let mut h = H::new();
    let (t1, out) = h.join(5, JoinArgs::new(""));
    let r = join_resp(&out, t1);
    assert_eq!(r.error_code, 79);
    assert_eq!(r.generation_id, -1);
    assert!(r.member_id.starts_with("client-"), "{:?}", r.member_id);
    assert_eq!(h.state(), Some(GroupState::Empty));
    let id = r.member_id.to_string();

    let (t2, out) = h.join(5, JoinArgs::new(&id));
    assert!(out.response(t2).is_none());
    assert_eq!(h.state(), Some(GroupState::PreparingRebalance));
    assert_eq!(h.c.next_deadline(), Some(3000));
    assert!(h.tick(2999).responses.is_empty());

    let out = h.tick(3000);
    let r = join_resp(&out, t2);
    assert_eq!(r.error_code, 0);
    assert_eq!(r.generation_id, 1);
    assert_eq!(r.leader.as_str(), id);
    assert_eq!(r.member_id.as_str(), id);
    assert_eq!(member_ids(&r), vec![id.clone()]);
    assert_eq!(r.members[0].metadata, subscription(&["t"]));
    assert_eq!(r.protocol_name.as_deref(), Some("range"));
    assert_eq!(r.protocol_type, None, "protocol_type exists from v7");
    assert_eq!(h.state(), Some(GroupState::CompletingRebalance));

    let (t3, out) = h.at(3100).sync(5, &id, None, 1, &[(&id, b"A")]);
    let r = sync_resp(&out, t3);
    assert_eq!(r.error_code, 0);
    assert_eq!(r.assignment.as_ref(), b"A");
    assert_eq!(r.protocol_type.as_deref(), Some("consumer"));
    assert_eq!(r.protocol_name.as_deref(), Some("range"));
    assert_eq!(h.state(), Some(GroupState::Stable));
    let values = group_values(&out.records);
    assert_eq!(values.len(), 1);
    let v = values[0].clone().unwrap();
    assert_eq!(v.generation, 1);
    assert_eq!(v.protocol_type, "consumer");
    assert_eq!(v.protocol.as_deref(), Some("range"));
    assert_eq!(v.leader.as_deref(), Some(id.as_str()));
    assert_eq!(v.current_state_timestamp, 3000);
    assert_eq!(v.members.len(), 1);
    assert_eq!(v.members[0].member_id, id);
    assert_eq!(v.members[0].client_id, "client");
    assert_eq!(v.members[0].client_host, "/127.0.0.1");
    assert_eq!(v.members[0].session_timeout, 10_000);
    assert_eq!(v.members[0].rebalance_timeout, 30_000);
    assert_eq!(v.members[0].subscription, subscription(&["t"]));
    assert_eq!(v.members[0].assignment.as_ref(), b"A");

    assert_eq!(h.heartbeat(&id, None, 1), 0);
    assert_eq!(h.heartbeat(&id, None, 0), 22);
    assert_eq!(h.heartbeat("nobody", None, 1), 25);
}

#[test]
fn two_members_leader_gets_members_and_assignments_are_delivered() {
    let mut h = H::new();
    let (ta, out) = h.join(3, JoinArgs::new(""));
    assert!(out.responses.is_empty(), "v3 needs no member id round trip");
    let (tb, out) = h.at(1000).join(3, JoinArgs::new(""));
    assert!(out.responses.is_empty());
    // The initial delay (3000) is extended once because B joined meanwhile.
    assert!(h.tick(3000).responses.is_empty());
    assert_eq!(h.c.next_deadline(), Some(6000));
    assert!(h.tick(5999).responses.is_empty());
    let out = h.tick(6000);
    let ra = join_resp(&out, ta);
    let rb = join_resp(&out, tb);
    let (a, b) = (ra.member_id.to_string(), rb.member_id.to_string());
    assert_ne!(a, b);
    assert_eq!(ra.leader.as_str(), a);
    assert_eq!(rb.leader.as_str(), a);
    assert_eq!(member_ids(&ra), vec![a.clone(), b.clone()]);
    assert!(rb.members.is_empty());
    assert_eq!((ra.generation_id, rb.generation_id), (1, 1));

    let (sb, out) = h.at(6100).sync(3, &b, None, 1, &[]);
    assert!(out.response(sb).is_none(), "followers wait for the leader");
    assert_eq!(
        h.heartbeat(&a, None, 1),
        0,
        "heartbeats are fine while completing"
    );
    let (sa, out) = h.sync(3, &a, None, 1, &[(&a, b"pa"), (&b, b"pb")]);
    assert_eq!(sync_resp(&out, sa).assignment.as_ref(), b"pa");
    assert_eq!(sync_resp(&out, sb).assignment.as_ref(), b"pb");
    assert_eq!(h.state(), Some(GroupState::Stable));
    let v = group_values(&out.records)[0].clone().unwrap();
    assert_eq!(v.members.len(), 2);
    assert_eq!(v.members[1].assignment.as_ref(), b"pb");

    // A late SyncGroup in a stable group gets the current assignment.
    let (sb2, out) = h.sync(3, &b, None, 1, &[]);
    assert_eq!(sync_resp(&out, sb2).assignment.as_ref(), b"pb");
}

#[test]
fn initial_delay_is_extended_up_to_the_rebalance_timeout() {
    let mut h = H::new();
    let (ta, _) = h.join(3, JoinArgs::new("").rebalance(5000));
    let (tb, _) = h.at(2000).join(3, JoinArgs::new("").rebalance(5000));
    // At 3000: 2000 ms of the 5000 ms rebalance timeout remain, so one more
    // delay of 2000 and then no further extension.
    assert!(h.tick(3000).responses.is_empty());
    assert_eq!(h.c.next_deadline(), Some(5000));
    let (tc, _) = h.at(4000).join(3, JoinArgs::new("").rebalance(5000));
    assert!(h.tick(4999).responses.is_empty());
    let out = h.tick(5000);
    for t in [ta, tb, tc] {
        assert_eq!(join_resp(&out, t).generation_id, 1);
    }
}

#[test]
fn member_joining_a_stable_group_starts_a_rebalance() {
    let mut h = H::new();
    let ids = stable_group(&mut h, 1);
    let a = &ids[0];
    let (tb, out) = h.at(10_000).join(3, JoinArgs::new(""));
    assert!(out.response(tb).is_none());
    assert_eq!(h.state(), Some(GroupState::PreparingRebalance));
    assert_eq!(h.heartbeat(a, None, 1), 27);
    let (ta, out) = h.join(3, JoinArgs::new(a));
    let ra = join_resp(&out, ta);
    let rb = join_resp(&out, tb);
    assert_eq!(ra.generation_id, 2);
    assert_eq!(ra.leader.as_str(), a);
    assert_eq!(member_ids(&ra), vec![a.clone(), rb.member_id.to_string()]);
    assert!(rb.members.is_empty());
}

#[test]
fn follower_rejoin_without_change_keeps_generation_leader_rejoin_rebalances() {
    let mut h = H::new();
    let ids = stable_group(&mut h, 2);
    let (tb, out) = h.at(7000).join(3, JoinArgs::new(&ids[1]));
    let rb = join_resp(&out, tb);
    assert_eq!(rb.generation_id, 1);
    assert_eq!(rb.leader.as_str(), ids[0]);
    assert_eq!(h.state(), Some(GroupState::Stable));

    // Changed metadata (a cooperative member after revoking) rebalances.
    let changed = JoinArgs::new(&ids[1]).protocols(&[("range", subscription(&["t", "u"]))]);
    let (tb, out) = h.join(3, changed);
    assert!(out.response(tb).is_none());
    assert_eq!(h.state(), Some(GroupState::PreparingRebalance));
    let (ta, out) = h.join(3, JoinArgs::new(&ids[0]));
    assert_eq!(join_resp(&out, ta).generation_id, 2);
    assert_eq!(join_resp(&out, tb).generation_id, 2);
    h.sync(3, &ids[0], None, 2, &[]);
    assert_eq!(h.state(), Some(GroupState::Stable));

    // The leader rejoining always rebalances.
    let (ta, out) = h.join(3, JoinArgs::new(&ids[0]));
    assert!(out.response(ta).is_none());
    assert_eq!(h.state(), Some(GroupState::PreparingRebalance));
}

#[test]
fn leader_leaving_mid_sync_makes_the_others_rejoin_and_elects_a_new_leader() {
    let mut h = H::new();
    let (ta, _) = h.join(3, JoinArgs::new(""));
    let (tb, _) = h.join(3, JoinArgs::new(""));
    h.tick(3000);
    let out = h.tick(6000);
    let a = join_resp(&out, ta).member_id.to_string();
    let b = join_resp(&out, tb).member_id.to_string();
    let (sb, out) = h.at(6100).sync(3, &b, None, 1, &[]);
    assert!(out.response(sb).is_none());

    let r = h.leave(0, &[(&a, None)]);
    assert_eq!(r.error_code, 0);
    // The follower's pending SyncGroup is told to rejoin.
    let out_records = h.records.len();
    assert_eq!(h.state(), Some(GroupState::PreparingRebalance));
    assert_eq!(h.heartbeat(&b, None, 1), 27);
    let (tb2, out) = h.join(3, JoinArgs::new(&b));
    let r = join_resp(&out, tb2);
    assert_eq!(r.generation_id, 2);
    assert_eq!(r.leader.as_str(), b);
    assert_eq!(member_ids(&r), vec![b.clone()]);
    assert_eq!(
        h.records.len(),
        out_records,
        "no record until the leader syncs"
    );
}

#[test]
fn leaving_leader_answers_the_waiting_follower_sync_with_rebalance_in_progress() {
    let mut h = H::new();
    let (ta, _) = h.join(3, JoinArgs::new(""));
    let (tb, _) = h.join(3, JoinArgs::new(""));
    h.tick(3000);
    let out = h.tick(6000);
    let a = join_resp(&out, ta).member_id.to_string();
    let b = join_resp(&out, tb).member_id.to_string();
    let (sb, _) = h.sync(3, &b, None, 1, &[]);
    let token = h.new_token(0);
    let mut req = kafka_protocol::messages::LeaveGroupRequest::default();
    req.group_id = kafka_protocol::messages::GroupId(s(GROUP));
    req.member_id = s(&a);
    let ctx = arus_coordinator::RequestContext {
        token,
        version: 0,
        client_id: "c",
        client_host: "/h",
    };
    let out = h.c.leave_group(&ctx, &req, 6200);
    assert_eq!(sync_resp(&out, sb).error_code, 27);
}

#[test]
fn session_expiry_removes_the_member_and_rebalances() {
    let mut h = H::new();
    let ids = stable_group(&mut h, 2);
    let (a, b) = (&ids[0], &ids[1]);
    // Both synced at 6000: sessions (10 s) end at 16000. A keeps heartbeating.
    h.at(15_000);
    assert_eq!(h.heartbeat(a, None, 1), 0);
    h.tick(15_999);
    assert_eq!(h.state(), Some(GroupState::Stable));
    h.tick(16_000);
    assert_eq!(h.state(), Some(GroupState::PreparingRebalance));
    assert_eq!(h.heartbeat(b, None, 1), 25);
    assert_eq!(h.heartbeat(a, None, 1), 27);
    let (ta, out) = h.join(3, JoinArgs::new(a));
    let r = join_resp(&out, ta);
    assert_eq!(r.generation_id, 2);
    assert_eq!(member_ids(&r), vec![a.clone()]);
}

#[test]
fn last_member_expiring_empties_the_group_with_a_record() {
    let mut h = H::new();
    stable_group(&mut h, 1);
    let before = h.records.len();
    h.tick(13_000);
    assert_eq!(h.state(), Some(GroupState::Empty));
    let values = group_values(&h.records[before..]);
    assert_eq!(values.len(), 1);
    let v = values[0].clone().unwrap();
    assert_eq!(v.generation, 2);
    assert!(v.members.is_empty());
    assert_eq!(v.protocol, None);
    assert_eq!(v.leader, None);
}

#[test]
fn member_that_never_syncs_is_removed_after_the_rebalance_timeout() {
    let mut h = H::new();
    let (ta, _) = h.join(3, JoinArgs::new(""));
    let (tb, _) = h.join(3, JoinArgs::new(""));
    h.tick(3000);
    let out = h.tick(6000);
    let a = join_resp(&out, ta).member_id.to_string();
    let b = join_resp(&out, tb).member_id.to_string();
    h.at(6000).sync(3, &a, None, 1, &[(&a, b"x")]);
    assert_eq!(h.state(), Some(GroupState::Stable));
    for t in (10_000..36_000).step_by(5000) {
        h.at(t);
        assert_eq!(h.heartbeat(&a, None, 1), 0);
        assert_eq!(h.heartbeat(&b, None, 1), 0);
    }
    h.tick(35_999);
    assert_eq!(h.state(), Some(GroupState::Stable));
    h.tick(36_000);
    assert_eq!(h.state(), Some(GroupState::PreparingRebalance));
    assert_eq!(h.heartbeat(&b, None, 1), 25);
}

#[test]
fn unused_member_id_lapses_after_the_session_timeout() {
    let mut h = H::new();
    let (t, out) = h.join(4, JoinArgs::new(""));
    let id = join_resp(&out, t).member_id.to_string();
    h.tick(10_000);
    let (t, out) = h.join(4, JoinArgs::new(&id));
    assert_eq!(join_resp(&out, t).error_code, 25);
}

#[test]
fn pending_member_holds_a_rebalance_until_it_joins() {
    let mut h = H::new();
    let ids = stable_group(&mut h, 1);
    let a = &ids[0];
    h.at(7000);
    let c = h.member_id_for(JoinArgs::new(""));
    assert_eq!(
        h.state(),
        Some(GroupState::Stable),
        "an id alone changes nothing"
    );
    // A rejoins (as leader): the join waits for the pending member too.
    let (ta, out) = h.join(3, JoinArgs::new(a));
    assert!(out.response(ta).is_none());
    let (tc, out) = h.join(5, JoinArgs::new(&c));
    assert_eq!(join_resp(&out, ta).generation_id, 2);
    assert_eq!(member_ids(&join_resp(&out, ta)), vec![a.clone(), c.clone()]);
    assert_eq!(join_resp(&out, tc).leader.as_str(), a);
}

#[test]
fn join_errors() {
    let mut h = H::new();
    let mut args = JoinArgs::new("");
    args.group = String::new();
    let (t, out) = h.join(5, args);
    assert_eq!(join_resp(&out, t).error_code, 24);

    for session in [5_999, 1_800_001] {
        let mut args = JoinArgs::new("");
        args.session_ms = session;
        let (t, out) = h.join(5, args);
        assert_eq!(join_resp(&out, t).error_code, 26);
    }

    let (t, out) = h.join(5, JoinArgs::new("made-up"));
    assert_eq!(join_resp(&out, t).error_code, 25);
    assert_eq!(h.state(), None, "no group for an unknown member");

    let (t, out) = h.join(5, JoinArgs::new("").protocol_type(""));
    assert_eq!(join_resp(&out, t).error_code, 23);
    assert_eq!(h.state(), None);

    stable_group(&mut h, 1);
    let (t, out) = h.join(3, JoinArgs::new("").protocol_type("connect"));
    assert_eq!(join_resp(&out, t).error_code, 23);
    let (t, out) = h.join(3, JoinArgs::new("").protocols(&[("other", Bytes::new())]));
    assert_eq!(join_resp(&out, t).error_code, 23);
}

#[test]
fn group_max_size_is_enforced() {
    let mut h = H::with(CoordinatorConfig {
        max_group_size: 1,
        ..CoordinatorConfig::default()
    });
    stable_group(&mut h, 1);
    let (t, out) = h.join(3, JoinArgs::new(""));
    let r = join_resp(&out, t);
    assert_eq!(r.error_code, 81);
    assert_eq!(r.member_id.as_str(), "");
    assert_eq!(h.state(), Some(GroupState::Stable));
}

#[test]
fn protocol_is_chosen_by_vote_among_common_protocols() {
    let mut h = H::new();
    let meta = subscription(&["t"]);
    let (ta, _) = h.join(
        3,
        JoinArgs::new("").protocols(&[
            ("x", meta.clone()),
            ("y", meta.clone()),
            ("z", meta.clone()),
        ]),
    );
    let (tb, _) = h.join(
        3,
        JoinArgs::new("").protocols(&[("y", meta.clone()), ("x", meta.clone())]),
    );
    let (tc, _) = h.join(
        3,
        JoinArgs::new("").protocols(&[("y", meta.clone()), ("x", meta.clone())]),
    );
    h.tick(3000);
    let out = h.tick(6000);
    for t in [ta, tb, tc] {
        assert_eq!(join_resp(&out, t).protocol_name.as_deref(), Some("y"));
    }
}

#[test]
fn every_join_and_sync_version_encodes() {
    for version in 0..=9i16 {
        let mut h = H::new();
        let (t, out) = h.join(version, JoinArgs::new(""));
        let id = if version >= 4 {
            let id = join_resp(&out, t).member_id.to_string();
            let (t2, _) = h.join(version, JoinArgs::new(&id));
            let out = h.tick(3000);
            let r = join_resp(&out, t2);
            assert_eq!(r.generation_id, 1);
            id
        } else {
            let out = h.tick(3000);
            join_resp(&out, t).member_id.to_string()
        };
        let sync_version = version.min(5);
        let (st, out) = h.sync(sync_version, &id, None, 1, &[(&id, b"z")]);
        assert_eq!(sync_resp(&out, st).assignment.as_ref(), b"z");
        if version == 0 {
            let v = group_values(&out.records)[0].clone().unwrap();
            assert_eq!(
                v.members[0].rebalance_timeout, 10_000,
                "v0: session timeout"
            );
        }
    }
}

#[test]
fn new_member_while_completing_sends_waiting_followers_back_to_join() {
    let mut h = H::new();
    let (ta, _) = h.join(3, JoinArgs::new(""));
    let (tb, _) = h.join(3, JoinArgs::new(""));
    h.tick(3000);
    let out = h.tick(6000);
    let a = join_resp(&out, ta).member_id.to_string();
    let b = join_resp(&out, tb).member_id.to_string();
    let (sb, _) = h.at(6100).sync(3, &b, None, 1, &[]);
    let (tc, out) = h.join(3, JoinArgs::new(""));
    assert_eq!(sync_resp(&out, sb).error_code, 27);
    assert!(out.response(tc).is_none());
    assert_eq!(h.state(), Some(GroupState::PreparingRebalance));
    // The old leader's stale SyncGroup is refused too.
    let (sa, out) = h.sync(3, &a, None, 1, &[(&a, b"x")]);
    assert_eq!(sync_resp(&out, sa).error_code, 27);
    assert!(out.records.is_empty());
}

#[test]
fn heartbeat_errors_without_a_group() {
    let mut h = H::new();
    assert_eq!(h.heartbeat("m", None, 1), 25);
    let (t, out) = h.sync(3, "m", None, 1, &[]);
    assert_eq!(sync_resp(&out, t).error_code, 25);
}
