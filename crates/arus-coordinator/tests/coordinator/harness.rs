//! A driver for the coordinator with explicit time: every call checks that
//! each response encodes at its request's version and keeps the records.

use std::collections::HashMap;

use arus_coordinator::records::{GroupMetadataValue, OffsetCommitValue, RecordKey};
use arus_coordinator::{
    CoordinatorConfig, GroupCoordinator, GroupRecord, GroupState, Output, RequestContext,
    RequestToken, Response,
};
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Encodable, StrBytes};

pub const GROUP: &str = "g";

/// Consumer subscription metadata (ConsumerProtocolSubscription v0).
pub fn subscription(topics: &[&str]) -> Bytes {
    let mut b = BytesMut::new();
    b.put_i16(0);
    b.put_i32(topics.len() as i32);
    for t in topics {
        b.put_i16(t.len() as i16);
        b.put_slice(t.as_bytes());
    }
    b.put_i32(-1);
    b.freeze()
}

pub fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_owned())
}

/// A JoinGroup's variable parts.
#[derive(Clone)]
pub struct JoinArgs {
    pub group: String,
    pub member: String,
    pub instance: Option<String>,
    pub session_ms: i32,
    pub rebalance_ms: i32,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
    pub client: String,
}

impl JoinArgs {
    pub fn new(member: &str) -> Self {
        Self {
            group: GROUP.into(),
            member: member.into(),
            instance: None,
            session_ms: 10_000,
            rebalance_ms: 30_000,
            protocol_type: "consumer".into(),
            protocols: vec![("range".into(), subscription(&["t"]))],
            client: "client".into(),
        }
    }

    pub fn instance(mut self, instance: &str) -> Self {
        self.instance = Some(instance.into());
        self
    }

    pub fn rebalance(mut self, ms: i32) -> Self {
        self.rebalance_ms = ms;
        self
    }

    pub fn protocols(mut self, protocols: &[(&str, Bytes)]) -> Self {
        self.protocols = protocols
            .iter()
            .map(|(n, m)| (n.to_string(), m.clone()))
            .collect();
        self
    }

    pub fn protocol_type(mut self, t: &str) -> Self {
        self.protocol_type = t.into();
        self
    }
}

pub struct H {
    pub c: GroupCoordinator,
    pub now: i64,
    next: u64,
    versions: HashMap<RequestToken, i16>,
    /// Every record emitted, in order.
    pub records: Vec<GroupRecord>,
}

impl H {
    pub fn new() -> Self {
        Self::with(CoordinatorConfig::default())
    }

    pub fn with(config: CoordinatorConfig) -> Self {
        Self {
            c: GroupCoordinator::new(config),
            now: 0,
            next: 0,
            versions: HashMap::new(),
            records: Vec::new(),
        }
    }

    fn token(&mut self, version: i16) -> RequestToken {
        self.next += 1;
        let t = RequestToken(self.next);
        self.versions.insert(t, version);
        t
    }

    fn check(&mut self, out: Output) -> Output {
        for (token, r) in &out.responses {
            let v = *self.versions.get(token).expect("token was issued");
            let mut buf = BytesMut::new();
            let res = match r {
                Response::JoinGroup(x) => x.encode(&mut buf, v),
                Response::SyncGroup(x) => x.encode(&mut buf, v),
                Response::Heartbeat(x) => x.encode(&mut buf, v),
                Response::LeaveGroup(x) => x.encode(&mut buf, v),
                Response::OffsetCommit(x) => x.encode(&mut buf, v),
                Response::OffsetFetch(x) => x.encode(&mut buf, v),
                Response::OffsetDelete(x) => x.encode(&mut buf, v),
                Response::ListGroups(x) => x.encode(&mut buf, v),
                Response::DescribeGroups(x) => x.encode(&mut buf, v),
                Response::DeleteGroups(x) => x.encode(&mut buf, v),
                Response::ConsumerGroupHeartbeat(x) => x.encode(&mut buf, v),
                Response::ConsumerGroupDescribe(x) => x.encode(&mut buf, v),
                Response::TxnOffsetCommit(x) => x.encode(&mut buf, v),
            };
            assert!(res.is_ok(), "{r:?} does not encode at v{v}: {res:?}");
        }
        self.records.extend(out.records.iter().cloned());
        out
    }

    fn ctx(token: RequestToken, version: i16, client: &str) -> RequestContext<'_> {
        RequestContext {
            token,
            version,
            client_id: client,
            client_host: "/127.0.0.1",
        }
    }

    pub fn at(&mut self, now: i64) -> &mut Self {
        self.now = now;
        self
    }

    pub fn tick(&mut self, now: i64) -> Output {
        self.now = now;
        let out = self.c.tick(now);
        self.check(out)
    }

    pub fn state(&self) -> Option<GroupState> {
        self.c.group_state(GROUP)
    }

    pub fn join(&mut self, version: i16, args: JoinArgs) -> (RequestToken, Output) {
        let token = self.token(version);
        let mut req = JoinGroupRequest::default();
        req.group_id = GroupId(s(&args.group));
        req.member_id = s(&args.member);
        req.group_instance_id = args.instance.as_deref().map(s);
        req.session_timeout_ms = args.session_ms;
        req.rebalance_timeout_ms = if version == 0 { -1 } else { args.rebalance_ms };
        req.protocol_type = s(&args.protocol_type);
        req.protocols = args
            .protocols
            .iter()
            .map(|(n, m)| {
                let mut p = JoinGroupRequestProtocol::default();
                p.name = s(n);
                p.metadata = m.clone();
                p
            })
            .collect();
        let out = self
            .c
            .join_group(&Self::ctx(token, version, &args.client), &req, self.now);
        (token, self.check(out))
    }

    pub fn sync(
        &mut self,
        version: i16,
        member: &str,
        instance: Option<&str>,
        generation: i32,
        assignments: &[(&str, &[u8])],
    ) -> (RequestToken, Output) {
        let token = self.token(version);
        let mut req = SyncGroupRequest::default();
        req.group_id = GroupId(s(GROUP));
        req.member_id = s(member);
        req.group_instance_id = instance.map(s);
        req.generation_id = generation;
        if version >= 5 {
            req.protocol_type = Some(s("consumer"));
            req.protocol_name = Some(s("range"));
        }
        req.assignments = assignments
            .iter()
            .map(|(m, a)| {
                let mut x = SyncGroupRequestAssignment::default();
                x.member_id = s(m);
                x.assignment = Bytes::copy_from_slice(a);
                x
            })
            .collect();
        let out = self
            .c
            .sync_group(&Self::ctx(token, version, "client"), &req, self.now);
        (token, self.check(out))
    }

    pub fn heartbeat(&mut self, member: &str, instance: Option<&str>, generation: i32) -> i16 {
        let token = self.token(4);
        let mut req = HeartbeatRequest::default();
        req.group_id = GroupId(s(GROUP));
        req.member_id = s(member);
        req.group_instance_id = instance.map(s);
        req.generation_id = generation;
        let out = self
            .c
            .heartbeat(&Self::ctx(token, 4, "client"), &req, self.now);
        let out = self.check(out);
        match out.response(token) {
            Some(Response::Heartbeat(r)) => r.error_code,
            other => panic!("no heartbeat answer: {other:?}"),
        }
    }

    pub fn leave(&mut self, version: i16, members: &[(&str, Option<&str>)]) -> LeaveGroupResponse {
        let token = self.token(version);
        let mut req = LeaveGroupRequest::default();
        req.group_id = GroupId(s(GROUP));
        if version < 3 {
            req.member_id = s(members[0].0);
        } else {
            req.members = members
                .iter()
                .map(|(m, i)| {
                    let mut x = MemberIdentity::default();
                    x.member_id = s(m);
                    x.group_instance_id = i.map(s);
                    x
                })
                .collect();
        }
        let out = self
            .c
            .leave_group(&Self::ctx(token, version, "client"), &req, self.now);
        let out = self.check(out);
        match out.response(token) {
            Some(Response::LeaveGroup(r)) => r.clone(),
            other => panic!("no leave answer: {other:?}"),
        }
    }

    /// Commits `(topic, partition, offset, metadata)`; topic "gone" does not exist.
    pub fn commit(
        &mut self,
        version: i16,
        group: &str,
        member: &str,
        generation: i32,
        offsets: &[(&str, i32, i64, &str)],
    ) -> (OffsetCommitResponse, Output) {
        let token = self.token(version);
        let mut req = OffsetCommitRequest::default();
        req.group_id = GroupId(s(group));
        req.member_id = s(member);
        req.generation_id_or_member_epoch = generation;
        let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
        for (t, p, o, m) in offsets {
            let mut part = OffsetCommitRequestPartition::default();
            part.partition_index = *p;
            part.committed_offset = *o;
            part.committed_leader_epoch = if version >= 6 { 5 } else { -1 };
            part.committed_metadata = Some(s(m));
            match topics.iter_mut().find(|x| x.name.as_str() == *t) {
                Some(x) => x.partitions.push(part),
                None => {
                    let mut x = OffsetCommitRequestTopic::default();
                    x.name = TopicName(s(t));
                    x.partitions.push(part);
                    topics.push(x);
                }
            }
        }
        req.topics = topics;
        let exists = |topic: &str, _p: i32| topic != "gone";
        let out = self.c.offset_commit(
            &Self::ctx(token, version, "client"),
            &req,
            &exists,
            self.now,
        );
        let out = self.check(out);
        match out.response(token) {
            Some(Response::OffsetCommit(r)) => (r.clone(), out),
            other => panic!("no commit answer: {other:?}"),
        }
    }

    /// OffsetFetch (v1-v7 shape) of `topics` (None = all).
    pub fn fetch(
        &mut self,
        version: i16,
        group: &str,
        topics: Option<&[(&str, &[i32])]>,
    ) -> OffsetFetchResponse {
        let token = self.token(version);
        let mut req = OffsetFetchRequest::default();
        req.group_id = GroupId(s(group));
        req.topics = topics.map(|ts| {
            ts.iter()
                .map(|(t, ps)| {
                    let mut x = OffsetFetchRequestTopic::default();
                    x.name = TopicName(s(t));
                    x.partition_indexes = ps.to_vec();
                    x
                })
                .collect()
        });
        self.fetch_req(version, &req, token)
    }

    pub fn fetch_req(
        &mut self,
        version: i16,
        req: &OffsetFetchRequest,
        token: RequestToken,
    ) -> OffsetFetchResponse {
        let out = self
            .c
            .offset_fetch(&Self::ctx(token, version, "client"), req, self.now);
        let out = self.check(out);
        match out.response(token) {
            Some(Response::OffsetFetch(r)) => r.clone(),
            other => panic!("no fetch answer: {other:?}"),
        }
    }

    pub fn new_token(&mut self, version: i16) -> RequestToken {
        self.token(version)
    }

    /// Runs an admin call and returns its answer.
    pub fn admin(
        &mut self,
        version: i16,
        call: impl FnOnce(&mut GroupCoordinator, &RequestContext<'_>, i64) -> Output,
    ) -> (Response, Output) {
        let token = self.token(version);
        let out = call(&mut self.c, &Self::ctx(token, version, "admin"), self.now);
        let out = self.check(out);
        let r = out.response(token).cloned().expect("admin answer");
        (r, out)
    }

    /// Joins one dynamic member (v5, KIP-394 round trip) and returns its id.
    pub fn member_id_for(&mut self, args: JoinArgs) -> String {
        let (t, out) = self.join(5, args);
        let r = join_resp(&out, t);
        assert_eq!(r.error_code, 79);
        r.member_id.to_string()
    }
}

pub fn join_resp(out: &Output, token: RequestToken) -> JoinGroupResponse {
    match out.response(token) {
        Some(Response::JoinGroup(r)) => r.clone(),
        other => panic!("no join answer for {token:?}: {other:?} in {out:?}"),
    }
}

pub fn sync_resp(out: &Output, token: RequestToken) -> SyncGroupResponse {
    match out.response(token) {
        Some(Response::SyncGroup(r)) => r.clone(),
        other => panic!("no sync answer for {token:?}: {other:?}"),
    }
}

pub fn member_ids(r: &JoinGroupResponse) -> Vec<String> {
    r.members.iter().map(|m| m.member_id.to_string()).collect()
}

/// The group metadata records among `records`, decoded.
pub fn group_values(records: &[GroupRecord]) -> Vec<Option<GroupMetadataValue>> {
    records
        .iter()
        .filter(|r| {
            matches!(
                RecordKey::decode(&r.key),
                Ok(RecordKey::GroupMetadata { .. })
            )
        })
        .map(|r| {
            r.value
                .as_ref()
                .map(|v| GroupMetadataValue::decode(v).unwrap())
        })
        .collect()
}

/// The offset records among `records`: (topic, partition, value or tombstone).
pub fn offset_values(records: &[GroupRecord]) -> Vec<(String, i32, Option<OffsetCommitValue>)> {
    records
        .iter()
        .filter_map(|r| match RecordKey::decode(&r.key) {
            Ok(RecordKey::OffsetCommit {
                topic, partition, ..
            }) => Some((
                topic,
                partition,
                r.value
                    .as_ref()
                    .map(|v| OffsetCommitValue::decode(v).unwrap()),
            )),
            _ => None,
        })
        .collect()
}
