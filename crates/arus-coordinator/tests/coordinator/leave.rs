use arus_coordinator::GroupState;

use crate::harness::*;

#[test]
fn batched_leave_reports_each_member() {
    let mut h = H::new();
    let (ta, _) = h.join(3, JoinArgs::new(""));
    let (tb, _) = h.join(5, JoinArgs::new("").instance("ib"));
    let (tc, _) = h.join(3, JoinArgs::new(""));
    h.tick(3000);
    let out = h.tick(6000);
    let a = join_resp(&out, ta).member_id.to_string();
    let b = join_resp(&out, tb).member_id.to_string();
    let c = join_resp(&out, tc).member_id.to_string();
    h.sync(3, &a, None, 1, &[]);
    h.sync(3, &b, Some("ib"), 1, &[]);
    h.sync(3, &c, None, 1, &[]);

    let r = h.leave(
        5,
        &[
            (&a, None),
            ("", Some("ib")),
            ("zzz", None),
            (&c, Some("wrong")),
        ],
    );
    assert_eq!(r.error_code, 0);
    let got: Vec<(String, Option<String>, i16)> = r
        .members
        .iter()
        .map(|m| {
            (
                m.member_id.to_string(),
                m.group_instance_id.as_ref().map(|s| s.to_string()),
                m.error_code,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (a.clone(), None, 0),
            (String::new(), Some("ib".into()), 0),
            ("zzz".into(), None, 25),
            (c.clone(), Some("wrong".into()), 25),
        ]
    );
    assert_eq!(h.state(), Some(GroupState::PreparingRebalance));
    assert_eq!(h.heartbeat(&c, None, 1), 27);
    let (t, out) = h.join(3, JoinArgs::new(&c));
    let r = join_resp(&out, t);
    assert_eq!(r.generation_id, 2);
    assert_eq!(member_ids(&r), vec![c]);
}

#[test]
fn leave_before_v3_reports_the_single_error_at_top_level() {
    let mut h = H::new();
    assert_eq!(h.leave(0, &[("nobody", None)]).error_code, 25);
    let r = h.leave(3, &[("nobody", None)]);
    assert_eq!(r.error_code, 0);
    assert_eq!(r.members[0].error_code, 25);
}

#[test]
fn last_member_leaving_empties_the_group() {
    let mut h = H::new();
    let (t, out) = h.join(3, JoinArgs::new(""));
    assert!(out.response(t).is_none());
    let out = h.tick(3000);
    let a = join_resp(&out, t).member_id.to_string();
    h.sync(3, &a, None, 1, &[(&a, b"x")]);
    let before = h.records.len();
    assert_eq!(h.leave(1, &[(&a, None)]).error_code, 0);
    assert_eq!(h.state(), Some(GroupState::Empty));
    let v = group_values(&h.records[before..])[0].clone().unwrap();
    assert_eq!(v.generation, 2);
    assert!(v.members.is_empty());
}

#[test]
fn a_pending_member_id_can_leave() {
    let mut h = H::new();
    let id = h.member_id_for(JoinArgs::new(""));
    let r = h.leave(4, &[(&id, None)]);
    assert_eq!(r.members[0].error_code, 0);
    let (t, out) = h.join(5, JoinArgs::new(&id));
    assert_eq!(join_resp(&out, t).error_code, 25);
}

#[test]
fn leaving_during_the_join_phase_answers_its_parked_join() {
    let mut h = H::new();
    let (ta, _) = h.join(3, JoinArgs::new(""));
    let (tb, _) = h.join(3, JoinArgs::new(""));
    h.tick(3000);
    let out = h.tick(6000);
    let a = join_resp(&out, ta).member_id.to_string();
    let b = join_resp(&out, tb).member_id.to_string();
    h.sync(3, &a, None, 1, &[]);
    h.sync(3, &b, None, 1, &[]);
    // A rejoins (parked), then leaves from elsewhere: its join gets
    // UNKNOWN_MEMBER_ID; B's rejoin then completes the rebalance alone.
    let (ta2, out) = h.join(3, JoinArgs::new(&a));
    assert!(out.response(ta2).is_none());
    let token = h.new_token(3);
    let mut req = kafka_protocol::messages::LeaveGroupRequest::default();
    req.group_id = kafka_protocol::messages::GroupId(s(GROUP));
    let mut m = kafka_protocol::messages::leave_group_request::MemberIdentity::default();
    m.member_id = s(&a);
    req.members.push(m);
    let ctx = arus_coordinator::RequestContext {
        token,
        version: 3,
        client_id: "c",
        client_host: "/h",
    };
    let out = h.c.leave_group(&ctx, &req, 6500);
    assert_eq!(join_resp(&out, ta2).error_code, 25);
    let (tb2, out) = h.join(3, JoinArgs::new(&b));
    let r = join_resp(&out, tb2);
    assert_eq!(r.generation_id, 2);
    assert_eq!(r.leader.as_str(), b);
}
