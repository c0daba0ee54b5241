use arus_coordinator::Response;
use kafka_protocol::messages::{
    DeleteGroupsRequest, DescribeGroupsRequest, DescribeGroupsResponse, GroupId, ListGroupsRequest,
    ListGroupsResponse,
};

use crate::harness::*;
use crate::join_sync::stable_group;

fn list(h: &mut H, version: i16, states: &[&str], types: &[&str]) -> ListGroupsResponse {
    let mut req = ListGroupsRequest::default();
    req.states_filter = states.iter().map(|x| s(x)).collect();
    req.types_filter = types.iter().map(|x| s(x)).collect();
    match h
        .admin(version, |c, ctx, now| c.list_groups(ctx, &req, now))
        .0
    {
        Response::ListGroups(r) => r,
        other => panic!("{other:?}"),
    }
}

fn listed(r: &ListGroupsResponse) -> Vec<(String, String, String, String)> {
    r.groups
        .iter()
        .map(|g| {
            (
                g.group_id.to_string(),
                g.protocol_type.to_string(),
                g.group_state.to_string(),
                g.group_type.to_string(),
            )
        })
        .collect()
}

fn describe(h: &mut H, version: i16, groups: &[&str]) -> DescribeGroupsResponse {
    let mut req = DescribeGroupsRequest::default();
    req.groups = groups.iter().map(|g| GroupId(s(g))).collect();
    match h
        .admin(version, |c, ctx, now| c.describe_groups(ctx, &req, now))
        .0
    {
        Response::DescribeGroups(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn list_groups_filters_by_state_and_type() {
    let mut h = H::new();
    stable_group(&mut h, 1);
    h.commit(8, "simple", "", -1, &[("t", 0, 1, "")]);
    let both = vec![
        (
            "g".to_string(),
            "consumer".to_string(),
            "Stable".to_string(),
            "classic".to_string(),
        ),
        (
            "simple".into(),
            String::new(),
            "Empty".into(),
            "classic".into(),
        ),
    ];
    assert_eq!(listed(&list(&mut h, 5, &[], &[])), both);
    assert_eq!(listed(&list(&mut h, 5, &[], &["Classic"])), both);
    assert!(list(&mut h, 5, &[], &["consumer"]).groups.is_empty());
    assert_eq!(
        listed(&list(&mut h, 4, &["stable"], &[])),
        vec![(
            "g".into(),
            "consumer".into(),
            "Stable".into(),
            String::new()
        )]
    );
    assert_eq!(
        listed(&list(&mut h, 4, &["EMPTY", "Dead"], &[])),
        vec![(
            "simple".into(),
            String::new(),
            "Empty".into(),
            String::new()
        )]
    );
    assert_eq!(
        listed(&list(&mut h, 0, &[], &[])),
        vec![
            ("g".into(), "consumer".into(), String::new(), String::new()),
            ("simple".into(), String::new(), String::new(), String::new()),
        ]
    );
}

#[test]
fn describe_shows_members_of_a_stable_group_and_dead_for_unknown() {
    let mut h = H::new();
    let a = stable_group(&mut h, 1).remove(0);
    let r = describe(&mut h, 5, &[GROUP, "nope"]);
    let g = &r.groups[0];
    assert_eq!(g.error_code, 0);
    assert_eq!(g.group_state.as_str(), "Stable");
    assert_eq!(g.protocol_type.as_str(), "consumer");
    assert_eq!(g.protocol_data.as_str(), "range");
    assert_eq!(g.members.len(), 1);
    let m = &g.members[0];
    assert_eq!(m.member_id.as_str(), a);
    assert_eq!(m.client_id.as_str(), "client");
    assert_eq!(m.client_host.as_str(), "/127.0.0.1");
    assert_eq!(m.member_metadata, subscription(&["t"]));
    assert_eq!(m.member_assignment.as_ref(), b"a0");
    let dead = &r.groups[1];
    assert_eq!((dead.error_code, dead.group_state.as_str()), (0, "Dead"));
    assert_eq!(dead.error_message, None);

    let r = describe(&mut h, 6, &["nope"]);
    assert_eq!(r.groups[0].error_code, 69);
    assert_eq!(r.groups[0].group_state.as_str(), "Dead");
    assert_eq!(
        r.groups[0].error_message.as_deref(),
        Some("Group nope not found.")
    );

    // While rebalancing: members without metadata, no protocol.
    h.join(3, JoinArgs::new(""));
    let r = describe(&mut h, 0, &[GROUP]);
    let g = &r.groups[0];
    assert_eq!(g.group_state.as_str(), "PreparingRebalance");
    assert_eq!(g.protocol_data.as_str(), "");
    assert_eq!(g.members.len(), 2);
    assert!(g.members.iter().all(|m| m.member_metadata.is_empty()));
}

#[test]
fn delete_groups_only_deletes_empty_groups() {
    let mut h = H::new();
    stable_group(&mut h, 1);
    h.commit(8, "simple", "", -1, &[("t", 0, 1, ""), ("t", 1, 2, "")]);
    let mut req = DeleteGroupsRequest::default();
    req.groups_names = vec![GroupId(s(GROUP)), GroupId(s("nope")), GroupId(s("simple"))];
    let (r, out) = h.admin(2, |c, ctx, now| c.delete_groups(ctx, &req, now));
    let Response::DeleteGroups(r) = r else {
        panic!("{r:?}")
    };
    let got: Vec<_> = r
        .results
        .iter()
        .map(|x| (x.group_id.to_string(), x.error_code))
        .collect();
    assert_eq!(
        got,
        vec![("g".into(), 68), ("nope".into(), 69), ("simple".into(), 0)]
    );
    assert_eq!(
        offset_values(&out.records),
        vec![("t".into(), 0, None), ("t".into(), 1, None)]
    );
    assert_eq!(group_values(&out.records), vec![None]);
    assert!(out.records.iter().all(|r| r.group_id == "simple"));
    assert_eq!(h.c.group_state("simple"), None);
    assert!(h.c.group_state(GROUP).is_some());
}
