//! Driving KIP-848 members: topic metadata, heartbeats, and simulated
//! clients that do what the coordinator tells them.

use std::collections::{BTreeMap, BTreeSet};

use arus_coordinator::{Response, TopicInfo, TopicMetadata};
use kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions;
use kafka_protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse, GroupId, TopicName,
};
use uuid::Uuid;

use crate::harness::*;

/// Topics by name, ids made from their names.
pub struct Meta(pub BTreeMap<String, TopicInfo>);

impl Meta {
    pub fn new(topics: &[(&str, i32)]) -> Self {
        Meta(
            topics
                .iter()
                .map(|(t, n)| {
                    let mut id = [0u8; 16];
                    id[..t.len().min(16)].copy_from_slice(&t.as_bytes()[..t.len().min(16)]);
                    let info = TopicInfo {
                        id: Uuid::from_bytes(id),
                        partitions: *n,
                    };
                    ((*t).to_owned(), info)
                })
                .collect(),
        )
    }

    pub fn id(&self, topic: &str) -> Uuid {
        self.0[topic].id
    }
}

impl TopicMetadata for Meta {
    fn topic(&self, name: &str) -> Option<TopicInfo> {
        self.0.get(name).copied()
    }
    fn topic_name(&self, id: Uuid) -> Option<String> {
        self.0
            .iter()
            .find(|(_, i)| i.id == id)
            .map(|(n, _)| n.clone())
    }
}

pub type Owned = BTreeSet<(String, i32)>;

/// A heartbeat request; `owned` None leaves topic_partitions null.
pub fn hb_req(
    meta: &Meta,
    member: &str,
    epoch: i32,
    topics: Option<&[&str]>,
    owned: Option<&Owned>,
) -> ConsumerGroupHeartbeatRequest {
    let mut r = ConsumerGroupHeartbeatRequest::default();
    r.group_id = GroupId(s(GROUP));
    r.member_id = s(member);
    r.member_epoch = epoch;
    r.rebalance_timeout_ms = if epoch == 0 { 30_000 } else { -1 };
    r.subscribed_topic_names = topics.map(|ts| ts.iter().map(|t| TopicName(s(t))).collect());
    r.topic_partitions = owned.map(|o| {
        let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for (t, p) in o {
            by_topic.entry(t.as_str()).or_default().push(*p);
        }
        by_topic
            .into_iter()
            .map(|(t, ps)| {
                let mut x = TopicPartitions::default();
                x.topic_id = meta.id(t);
                x.partitions = ps;
                x
            })
            .collect()
    });
    r
}

impl H {
    pub fn cg_heartbeat(
        &mut self,
        version: i16,
        meta: &Meta,
        req: &ConsumerGroupHeartbeatRequest,
    ) -> ConsumerGroupHeartbeatResponse {
        match self
            .admin(version, |c, ctx, now| {
                c.consumer_group_heartbeat(ctx, req, meta, now)
            })
            .0
        {
            Response::ConsumerGroupHeartbeat(r) => r,
            other => panic!("{other:?}"),
        }
    }

    pub fn cg_describe(&mut self, version: i16) -> ConsumerGroupDescribeResponse {
        let mut req = ConsumerGroupDescribeRequest::default();
        req.group_ids = vec![GroupId(s(GROUP))];
        match self
            .admin(version, |c, ctx, now| {
                c.consumer_group_describe(ctx, &req, now)
            })
            .0
        {
            Response::ConsumerGroupDescribe(r) => r,
            other => panic!("{other:?}"),
        }
    }
}

/// The partitions of a heartbeat answer, by topic name.
pub fn assignment_of(meta: &Meta, r: &ConsumerGroupHeartbeatResponse) -> Option<Owned> {
    let a = r.assignment.as_ref()?;
    Some(
        a.topic_partitions
            .iter()
            .flat_map(|tp| {
                let name = meta.topic_name(tp.topic_id).expect("known topic id");
                tp.partitions.iter().map(move |p| (name.clone(), *p))
            })
            .collect(),
    )
}

/// A well-behaved client: owns what it was last given, reports it.
pub struct Client {
    pub id: String,
    pub epoch: i32,
    pub owned: Owned,
    pub topics: Vec<String>,
    pub assignor: Option<String>,
}

impl Client {
    pub fn new(id: &str, topics: &[&str]) -> Self {
        Self {
            id: id.into(),
            epoch: 0,
            owned: Owned::new(),
            topics: topics.iter().map(|t| (*t).to_owned()).collect(),
            assignor: None,
        }
    }

    /// One heartbeat (a join at epoch 0); applies the answer; returns the error code.
    pub fn beat(&mut self, h: &mut H, meta: &Meta) -> i16 {
        let topics: Vec<&str> = self.topics.iter().map(String::as_str).collect();
        let joining = self.epoch == 0;
        let mut req = hb_req(
            meta,
            &self.id,
            self.epoch,
            joining.then_some(topics.as_slice()),
            Some(&self.owned).filter(|_| !joining),
        );
        if joining {
            req.topic_partitions = Some(vec![]);
            req.server_assignor = self.assignor.as_deref().map(s);
        }
        let r = h.cg_heartbeat(1, meta, &req);
        if r.error_code == 0 {
            self.epoch = r.member_epoch;
            if let Some(a) = assignment_of(meta, &r) {
                self.owned = a;
            }
        }
        r.error_code
    }
}

/// Panics if two clients own the same partition.
pub fn assert_disjoint(clients: &[&Client]) {
    let mut seen: BTreeMap<&(String, i32), &str> = BTreeMap::new();
    for c in clients {
        for tp in &c.owned {
            if let Some(other) = seen.insert(tp, &c.id) {
                panic!("{tp:?} owned by both {other} and {}", c.id);
            }
        }
    }
}
