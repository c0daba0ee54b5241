//! The GroupMetadata record of a group as it stands.

use crate::group::Group;
use crate::output::Output;
use crate::records::{GroupMetadataValue, GroupRecord, MemberMetadataValue};

/// Emits the group's metadata record (generation, protocol, leader, members
/// with their metadata for the selected protocol and their assignments).
pub(crate) fn persist_group(group: &Group, out: &mut Output) {
    let protocol = group.protocol_name.as_deref();
    let members = group
        .members_in_order()
        .into_iter()
        .map(|m| MemberMetadataValue {
            member_id: m.id.clone(),
            group_instance_id: m.instance_id.clone(),
            client_id: m.client_id.clone(),
            client_host: m.client_host.clone(),
            rebalance_timeout: m.rebalance_timeout_ms,
            session_timeout: m.session_timeout_ms,
            subscription: m.metadata_for(protocol),
            assignment: m.assignment.clone(),
        })
        .collect();
    let value = GroupMetadataValue {
        protocol_type: group.protocol_type.clone().unwrap_or_default(),
        generation: group.generation,
        protocol: group.protocol_name.clone(),
        leader: group.leader.clone(),
        current_state_timestamp: group.state_timestamp.unwrap_or(-1),
        members,
    };
    out.record(GroupRecord::group_metadata(&group.id, &value));
}
