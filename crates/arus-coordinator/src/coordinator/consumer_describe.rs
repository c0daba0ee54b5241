//! ConsumerGroupDescribe (v0-1).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::consumer_group_describe_response::{
    Assignment, DescribedGroup, Member, TopicPartitions,
};
use kafka_protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, GroupId, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::GroupCoordinator;
use crate::consumer_group::{ConsumerGroup, ConsumerMember, Partitions};
use crate::output::{Output, RequestContext, Response};

/// ConsumerGroupDescribe's member type of members using this protocol.
const CONSUMER_MEMBER_TYPE: i8 = 1;

impl GroupCoordinator {
    /// ConsumerGroupDescribe v0-1: epochs, assignor, and each member's
    /// current and target assignment. Unknown groups and classic groups
    /// answer GROUP_ID_NOT_FOUND. Authorized operations are left for the
    /// caller to fill in.
    pub fn consumer_group_describe(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &ConsumerGroupDescribeRequest,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| {
            let mut r = ConsumerGroupDescribeResponse::default();
            r.groups = req
                .group_ids
                .iter()
                .map(|id| c.describe_consumer_group(ctx.version, id))
                .collect();
            out.respond(ctx.token, Response::ConsumerGroupDescribe(r));
        })
    }

    fn describe_consumer_group(&self, version: i16, id: &GroupId) -> DescribedGroup {
        let mut d = DescribedGroup::default();
        d.group_id = id.clone();
        let group = self.groups.get(id.as_str());
        let Some(cg) = group.and_then(|g| g.consumer.as_ref()) else {
            d.error_code = ResponseError::GroupIdNotFound.code();
            let message = if group.is_some() {
                format!("Group {} is not a consumer group.", id.as_str())
            } else {
                format!("Group {} not found.", id.as_str())
            };
            d.error_message = Some(StrBytes::from_string(message));
            return d;
        };
        d.group_state = StrBytes::from_static_str(cg.state_name());
        d.group_epoch = cg.group_epoch;
        d.assignment_epoch = cg.assignment_epoch;
        d.assignor_name = StrBytes::from_static_str(cg.assignor());
        d.members = cg
            .members
            .values()
            .map(|m| describe_member(cg, m, version))
            .collect();
        d
    }
}

fn describe_member(cg: &ConsumerGroup, m: &ConsumerMember, version: i16) -> Member {
    let mut dm = Member::default();
    dm.member_id = StrBytes::from_string(m.id.clone());
    dm.instance_id = m.instance_id.clone().map(StrBytes::from_string);
    dm.rack_id = m.rack_id.clone().map(StrBytes::from_string);
    dm.member_epoch = m.epoch;
    dm.client_id = StrBytes::from_string(m.client_id.clone());
    dm.client_host = StrBytes::from_string(m.client_host.clone());
    dm.subscribed_topic_names = m
        .subscribed
        .iter()
        .map(|t| TopicName(StrBytes::from_string(t.clone())))
        .collect();
    dm.assignment = assignment(cg, &m.assigned);
    dm.target_assignment = assignment(cg, &cg.target.get(&m.id).cloned().unwrap_or_default());
    if version >= 1 {
        dm.member_type = CONSUMER_MEMBER_TYPE;
    }
    dm
}

fn assignment(cg: &ConsumerGroup, partitions: &Partitions) -> Assignment {
    let mut a = Assignment::default();
    a.topic_partitions = partitions
        .topics()
        .filter_map(|(topic, ps)| {
            let info = cg.topics.get(topic)?;
            let mut tp = TopicPartitions::default();
            tp.topic_id = info.id;
            tp.topic_name = TopicName(StrBytes::from_string(topic.to_owned()));
            tp.partitions = ps.iter().copied().collect();
            Some(tp)
        })
        .collect();
    a
}
