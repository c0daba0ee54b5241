//! KIP-848 consumer groups and the other group APIs: offsets, listing,
//! describing, deleting, and conversion from an empty classic group.

use arus_coordinator::Response;
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::{
    DeleteGroupsRequest, DescribeGroupsRequest, GroupId, ListGroupsRequest, OffsetFetchRequest,
};

use crate::consumer_harness::*;
use crate::harness::*;

fn group_with_one_member(h: &mut H, meta: &Meta) -> Client {
    let mut a = Client::new("a", &["t"]);
    assert_eq!(a.beat(h, meta), 0);
    a
}

fn commit_error(h: &mut H, version: i16, member: &str, epoch: i32) -> i16 {
    h.commit(version, GROUP, member, epoch, &[("t", 0, 10, "")])
        .0
        .topics[0]
        .partitions[0]
        .error_code
}

#[test]
fn offset_commits_check_the_member_epoch() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 2)]);
    let a = group_with_one_member(&mut h, &meta);
    assert_eq!(commit_error(&mut h, 9, "a", a.epoch), 0);
    assert_eq!(
        commit_error(&mut h, 9, "a", a.epoch - 1),
        113,
        "STALE_MEMBER_EPOCH"
    );
    assert_eq!(
        commit_error(&mut h, 9, "zz", a.epoch),
        25,
        "UNKNOWN_MEMBER_ID"
    );
    assert_eq!(commit_error(&mut h, 9, "", -1), 25, "members present");
    assert_eq!(
        commit_error(&mut h, 8, "a", a.epoch),
        35,
        "UNSUPPORTED_VERSION"
    );
    assert_eq!(
        h.fetch(7, GROUP, Some(&[("t", &[0])])).topics[0].partitions[0].committed_offset,
        10
    );
}

#[test]
fn offset_fetch_v9_checks_the_member() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 2)]);
    let a = group_with_one_member(&mut h, &meta);
    let fetch = |h: &mut H, member: Option<&str>, epoch: i32| {
        let mut g = OffsetFetchRequestGroup::default();
        g.group_id = GroupId(s(GROUP));
        g.member_id = member.map(s);
        g.member_epoch = epoch;
        g.topics = None;
        let mut req = OffsetFetchRequest::default();
        req.groups = vec![g];
        let t = h.new_token(9);
        h.fetch_req(9, &req, t).groups[0].error_code
    };
    assert_eq!(fetch(&mut h, Some("a"), a.epoch), 0);
    assert_eq!(fetch(&mut h, Some("a"), a.epoch + 1), 113);
    assert_eq!(fetch(&mut h, Some("zz"), a.epoch), 25);
    assert_eq!(fetch(&mut h, None, -1), 0, "admin fetch");
}

#[test]
fn list_describe_and_delete_know_consumer_groups() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 2)]);
    group_with_one_member(&mut h, &meta);
    let mut list = ListGroupsRequest::default();
    list.types_filter = vec![s("consumer")];
    let Response::ListGroups(r) = h.admin(5, |c, ctx, now| c.list_groups(ctx, &list, now)).0 else {
        panic!()
    };
    let g = &r.groups[0];
    assert_eq!(
        (
            g.group_id.as_str(),
            g.protocol_type.as_str(),
            g.group_state.as_str(),
            g.group_type.as_str()
        ),
        ("g", "consumer", "Stable", "consumer")
    );
    list.types_filter = vec![s("classic")];
    let Response::ListGroups(r) = h.admin(5, |c, ctx, now| c.list_groups(ctx, &list, now)).0 else {
        panic!()
    };
    assert!(r.groups.is_empty());

    let mut describe = DescribeGroupsRequest::default();
    describe.groups = vec![GroupId(s(GROUP))];
    let Response::DescribeGroups(r) = h
        .admin(6, |c, ctx, now| c.describe_groups(ctx, &describe, now))
        .0
    else {
        panic!()
    };
    assert_eq!(r.groups[0].error_code, 69);
    assert_eq!(r.groups[0].group_state.as_str(), "Dead");
    assert_eq!(
        r.groups[0].error_message.as_deref(),
        Some("Group g is not a classic group.")
    );

    let mut delete = DeleteGroupsRequest::default();
    delete.groups_names = vec![GroupId(s(GROUP))];
    let Response::DeleteGroups(r) = h
        .admin(2, |c, ctx, now| c.delete_groups(ctx, &delete, now))
        .0
    else {
        panic!()
    };
    assert_eq!(r.results[0].error_code, 68, "NON_EMPTY_GROUP");
    h.cg_heartbeat(1, &meta, &hb_req(&meta, "a", -1, None, None));
    let Response::DeleteGroups(r) = h
        .admin(2, |c, ctx, now| c.delete_groups(ctx, &delete, now))
        .0
    else {
        panic!()
    };
    assert_eq!(r.results[0].error_code, 0);
    assert_eq!(h.cg_describe(0).groups[0].error_code, 69);
}

#[test]
fn an_empty_classic_group_with_offsets_becomes_a_consumer_group() {
    let mut h = H::new();
    let meta = Meta::new(&[("t", 2)]);
    assert_eq!(commit_error(&mut h, 8, "", -1), 0);
    let a = group_with_one_member(&mut h, &meta);
    assert_eq!(a.epoch, 1);
    let f = h.fetch(7, GROUP, Some(&[("t", &[0])]));
    assert_eq!(
        f.topics[0].partitions[0].committed_offset, 10,
        "offsets kept"
    );
    // And classic members cannot join while it has members.
    let (t, out) = h.join(5, JoinArgs::new(""));
    assert_eq!(
        join_resp(&out, t).error_code,
        23,
        "INCONSISTENT_GROUP_PROTOCOL"
    );
}
