use arus_coordinator::GroupState;

use crate::harness::*;

/// Static members "ia" (leader) and "ib" joined with `version`, synced with
/// assignments "pa"/"pb" at 6000. Generation 1.
fn static_pair(h: &mut H, version: i16) -> (String, String) {
    let (ta, out) = h.join(version, JoinArgs::new("").instance("ia"));
    assert!(
        out.response(ta).is_none(),
        "static members need no member id round trip"
    );
    let (tb, _) = h.join(version, JoinArgs::new("").instance("ib"));
    h.tick(3000);
    let out = h.tick(6000);
    let ra = join_resp(&out, ta);
    let a = ra.member_id.to_string();
    let b = join_resp(&out, tb).member_id.to_string();
    assert!(a.starts_with("ia-"), "{a}");
    assert_eq!(ra.members[0].group_instance_id.as_deref(), Some("ia"));
    let sv = version.min(5);
    h.sync(sv, &a, Some("ia"), 1, &[(&a, b"pa"), (&b, b"pb")]);
    h.sync(sv, &b, Some("ib"), 1, &[]);
    assert_eq!(h.state(), Some(GroupState::Stable));
    (a, b)
}

#[test]
fn static_member_restart_gets_its_assignment_back_and_fences_the_old_id() {
    let mut h = H::new();
    let (old_a, b) = static_pair(&mut h, 5);
    let before = h.records.len();
    let (t, out) = h.at(8000).join(5, JoinArgs::new("").instance("ia"));
    let r = join_resp(&out, t);
    let new_a = r.member_id.to_string();
    assert_eq!(r.error_code, 0);
    assert_ne!(new_a, old_a);
    assert!(new_a.starts_with("ia-"));
    assert_eq!(r.generation_id, 1, "no generation bump");
    assert_eq!(
        r.leader.as_str(),
        old_a,
        "before v9 the old leader id is returned"
    );
    assert!(r.members.is_empty());
    assert_eq!(r.protocol_name.as_deref(), Some("range"));
    assert_eq!(h.state(), Some(GroupState::Stable));

    let values = group_values(&h.records[before..]);
    assert_eq!(values.len(), 1, "the new member id is persisted");
    let v = values[0].clone().unwrap();
    assert_eq!(v.generation, 1);
    assert_eq!(v.leader.as_deref(), Some(new_a.as_str()));
    let ids: Vec<_> = v.members.iter().map(|m| m.member_id.clone()).collect();
    assert_eq!(ids, vec![new_a.clone(), b.clone()]);
    assert_eq!(v.members[0].assignment.as_ref(), b"pa");

    let (st, out) = h.sync(5, &new_a, Some("ia"), 1, &[]);
    let sr = sync_resp(&out, st);
    assert_eq!(sr.error_code, 0);
    assert_eq!(sr.assignment.as_ref(), b"pa");

    assert_eq!(h.heartbeat(&old_a, Some("ia"), 1), 82);
    assert_eq!(h.heartbeat(&new_a, Some("ia"), 1), 0);
    assert_eq!(h.heartbeat(&b, Some("ib"), 1), 0);
    let (t, out) = h.join(5, JoinArgs::new(&old_a).instance("ia"));
    assert_eq!(join_resp(&out, t).error_code, 82);
    let (st, out) = h.sync(5, &old_a, Some("ia"), 1, &[]);
    assert_eq!(sync_resp(&out, st).error_code, 82);
    assert_eq!(h.state(), Some(GroupState::Stable));
}

#[test]
fn static_follower_restart_names_the_current_leader() {
    let mut h = H::new();
    let (a, _) = static_pair(&mut h, 5);
    let (t, out) = h.at(8000).join(5, JoinArgs::new("").instance("ib"));
    let r = join_resp(&out, t);
    assert_eq!(r.leader.as_str(), a);
    assert_eq!(r.generation_id, 1);
    let (st, out) = h.sync(5, r.member_id.as_str(), Some("ib"), 1, &[]);
    assert_eq!(sync_resp(&out, st).assignment.as_ref(), b"pb");
}

#[test]
fn static_leader_restart_at_v9_is_told_to_skip_the_assignment() {
    let mut h = H::new();
    let (_, b) = static_pair(&mut h, 9);
    let (t, out) = h.at(8000).join(9, JoinArgs::new("").instance("ia"));
    let r = join_resp(&out, t);
    assert_eq!(r.error_code, 0);
    assert!(r.skip_assignment);
    assert_eq!(r.leader, r.member_id);
    assert_eq!(member_ids(&r), vec![r.member_id.to_string(), b]);
    assert_eq!(r.members[1].group_instance_id.as_deref(), Some("ib"));
    assert_eq!(r.protocol_type.as_deref(), Some("consumer"));
    assert_eq!(r.generation_id, 1);
}

#[test]
fn static_member_session_expiry_removes_it() {
    let mut h = H::new();
    let (a, b) = static_pair(&mut h, 5);
    h.at(12_000);
    assert_eq!(h.heartbeat(&a, Some("ia"), 1), 0);
    h.tick(16_000);
    assert_eq!(h.state(), Some(GroupState::PreparingRebalance));
    assert_eq!(h.heartbeat(&b, Some("ib"), 1), 25);
    // Its instance id is free again: rejoining makes a new member.
    let (tb, _) = h.join(5, JoinArgs::new("").instance("ib"));
    let (ta, out) = h.join(5, JoinArgs::new(&a).instance("ia"));
    assert_eq!(join_resp(&out, ta).generation_id, 2);
    assert_eq!(join_resp(&out, tb).generation_id, 2);
}

#[test]
fn static_member_that_does_not_rejoin_stays_through_the_join_phase() {
    let mut h = H::new();
    let (a, b) = static_pair(&mut h, 5);
    // A new dynamic member triggers a rebalance; only A rejoins. At the
    // rebalance timeout the static B is kept (dynamic ones would be dropped).
    let (tc, _) = h.at(7000).join(3, JoinArgs::new(""));
    let (ta, _) = h.join(5, JoinArgs::new(&a).instance("ia"));
    // B only heartbeats (it keeps its session alive but never rejoins).
    for now in (7000..37_000).step_by(5000) {
        h.at(now);
        assert_eq!(h.heartbeat(&b, Some("ib"), 1), 27);
    }
    let out = h.tick(37_000);
    let ra = join_resp(&out, ta);
    assert_eq!(ra.generation_id, 2);
    assert_eq!(
        member_ids(&ra),
        vec![
            a.clone(),
            b.clone(),
            join_resp(&out, tc).member_id.to_string()
        ]
    );
}
