//! Checks shared by several requests.

use kafka_protocol::error::ResponseError;

use crate::group::Group;

/// Group ids must fit an int16-length string; `allow_empty` for the APIs
/// where Kafka accepts "" (offset commit/fetch, describe, delete).
pub(crate) fn valid_group_id(group_id: &str, allow_empty: bool) -> bool {
    (allow_empty || !group_id.is_empty()) && group_id.len() <= i16::MAX as usize
}

/// Kafka's `validateCurrentMember`: with an instance id, it must map to
/// `member_id` (else FENCED_INSTANCE_ID, or UNKNOWN_MEMBER_ID if unknown);
/// the member id must belong to the group.
pub(crate) fn validate_current_member(
    group: &Group,
    member_id: &str,
    instance_id: Option<&str>,
) -> Result<(), ResponseError> {
    if let Some(instance) = instance_id {
        match group.static_members.get(instance) {
            Some(current) if current != member_id => return Err(ResponseError::FencedInstanceId),
            Some(_) => {}
            None => return Err(ResponseError::UnknownMemberId),
        }
    }
    if group.members.contains_key(member_id) {
        Ok(())
    } else {
        Err(ResponseError::UnknownMemberId)
    }
}
