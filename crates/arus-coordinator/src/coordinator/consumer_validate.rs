//! ConsumerGroupHeartbeat checks, with Kafka's error messages.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::ConsumerGroupHeartbeatRequest;

use crate::consumer_group::{ConsumerMember, Partitions, ASSIGNORS};

/// Epoch -1: the member leaves.
pub(crate) const LEAVE_EPOCH: i32 = -1;
/// Epoch -2: a static member leaves for now (it keeps its assignment).
pub(crate) const STATIC_LEAVE_EPOCH: i32 = -2;
/// From this version, members generate their own member ids.
const CLIENT_MEMBER_ID_VERSION: i16 = 1;

/// An error answer: the code and Kafka's message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeartbeatError {
    pub(crate) error: ResponseError,
    pub(crate) message: String,
}

impl HeartbeatError {
    pub(crate) fn new(error: ResponseError, message: impl Into<String>) -> Self {
        Self {
            error,
            message: message.into(),
        }
    }

    fn invalid(message: &str) -> Self {
        Self::new(ResponseError::InvalidRequest, message)
    }
}

/// Kafka's `throwIfConsumerGroupHeartbeatRequestIsInvalid`, plus the
/// rejection of topic regexes, which this coordinator does not resolve.
pub(crate) fn validate_request(
    req: &ConsumerGroupHeartbeatRequest,
    version: i16,
) -> Result<(), HeartbeatError> {
    let epoch = req.member_epoch;
    if (version >= CLIENT_MEMBER_ID_VERSION || epoch > 0 || epoch == LEAVE_EPOCH)
        && req.member_id.is_empty()
    {
        return Err(HeartbeatError::invalid("MemberId can't be empty."));
    }
    if req.group_id.is_empty() {
        return Err(HeartbeatError::invalid("GroupId can't be empty."));
    }
    if req.instance_id.as_ref().is_some_and(|s| s.is_empty()) {
        return Err(HeartbeatError::invalid("InstanceId can't be empty."));
    }
    if req.rack_id.as_ref().is_some_and(|s| s.is_empty()) {
        return Err(HeartbeatError::invalid("RackId can't be empty."));
    }
    if req
        .subscribed_topic_regex
        .as_ref()
        .is_some_and(|r| !r.is_empty())
    {
        return Err(HeartbeatError::invalid(
            "SubscribedTopicRegex is not supported by this broker.",
        ));
    }
    if epoch == 0 {
        if req.rebalance_timeout_ms == -1 {
            return Err(HeartbeatError::invalid(
                "RebalanceTimeoutMs must be provided in first request.",
            ));
        }
        if req.topic_partitions.as_ref().is_none_or(|t| !t.is_empty()) {
            return Err(HeartbeatError::invalid(
                "TopicPartitions must be empty when (re-)joining.",
            ));
        }
        if req.subscribed_topic_names.is_none() && req.subscribed_topic_regex.is_none() {
            return Err(HeartbeatError::invalid(
                "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.",
            ));
        }
    } else if epoch == STATIC_LEAVE_EPOCH {
        if req.instance_id.is_none() {
            return Err(HeartbeatError::invalid("InstanceId can't be null."));
        }
    } else if epoch < STATIC_LEAVE_EPOCH {
        return Err(HeartbeatError::invalid("MemberEpoch is invalid."));
    }
    if let Some(assignor) = &req.server_assignor {
        if !ASSIGNORS.contains(&assignor.as_str()) {
            return Err(HeartbeatError::new(
                ResponseError::UnsupportedAssignor,
                format!(
                    "ServerAssignor {} is not supported. Supported assignors: {}.",
                    assignor.as_str(),
                    ASSIGNORS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Kafka's `throwIfConsumerGroupMemberEpochIsInvalid`: an epoch ahead of the
/// member's is fenced; one behind is accepted only if it is the previous
/// epoch and the member owns nothing beyond its assignment (the answer that
/// bumped the epoch may have been lost).
pub(crate) fn validate_member_epoch(
    m: &ConsumerMember,
    received: i32,
    owned: Option<&Partitions>,
) -> Result<(), HeartbeatError> {
    let fenced = |relation: &str| {
        HeartbeatError::new(
            ResponseError::FencedMemberEpoch,
            format!(
                "The consumer group member has a {relation} member epoch ({received}) than the one known by the group coordinator ({}). The member must abandon all its partitions and rejoin.",
                m.epoch
            ),
        )
    };
    if received > m.epoch {
        return Err(fenced("greater"));
    }
    if received < m.epoch
        && (received != m.previous_epoch || !owned.is_some_and(|o| o.is_subset(&m.assigned)))
    {
        return Err(fenced("smaller"));
    }
    Ok(())
}

/// UNKNOWN_MEMBER_ID for a member id the group does not know.
pub(crate) fn unknown_member(member_id: &str, group_id: &str) -> HeartbeatError {
    HeartbeatError::new(
        ResponseError::UnknownMemberId,
        format!("Member {member_id} is not a member of group {group_id}."),
    )
}

/// UNKNOWN_MEMBER_ID for an instance id the group does not know.
pub(crate) fn unknown_instance(instance_id: &str) -> HeartbeatError {
    HeartbeatError::new(
        ResponseError::UnknownMemberId,
        format!("Instance id {instance_id} is unknown."),
    )
}

/// FENCED_INSTANCE_ID: the instance id belongs to another member id.
pub(crate) fn fenced_instance(member_id: &str, instance_id: &str, owner: &str) -> HeartbeatError {
    HeartbeatError::new(
        ResponseError::FencedInstanceId,
        format!(
            "Static member {member_id} with instance id {instance_id} was fenced by member {owner}."
        ),
    )
}
