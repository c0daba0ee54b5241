//! DescribeGroups (v0-6).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse, GroupId};
use kafka_protocol::protocol::StrBytes;

use super::GroupCoordinator;
use crate::group::{Group, GroupState, Phase};
use crate::output::{Output, RequestContext, Response};

impl GroupCoordinator {
    /// DescribeGroups v0-6. Member metadata and assignments, and the
    /// protocol, are shown only for Stable groups (as Kafka does). A group
    /// that does not exist is "Dead": with no error before v6, with
    /// GROUP_ID_NOT_FOUND from v6; so is a consumer group, as in Kafka 4
    /// ("Group … is not a classic group."). Authorized operations are left for the
    /// caller to fill in.
    pub fn describe_groups(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &DescribeGroupsRequest,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| {
            let mut r = DescribeGroupsResponse::default();
            r.groups = req
                .groups
                .iter()
                .map(|id| c.describe(ctx.version, id))
                .collect();
            out.respond(ctx.token, Response::DescribeGroups(r));
        })
    }

    fn describe(&self, version: i16, id: &GroupId) -> DescribedGroup {
        let mut d = DescribedGroup::default();
        d.group_id = id.clone();
        let group = self.groups.get(id.as_str());
        let Some(g) = group.filter(|g| g.consumer.is_none()) else {
            d.group_state = StrBytes::from_static_str(GroupState::Dead.name());
            if version >= 6 {
                let message = if group.is_some() {
                    format!("Group {} is not a classic group.", id.as_str())
                } else {
                    format!("Group {} not found.", id.as_str())
                };
                d.error_code = ResponseError::GroupIdNotFound.code();
                d.error_message = Some(StrBytes::from_string(message));
            }
            return d;
        };
        let stable = g.phase == Phase::Stable;
        d.group_state = StrBytes::from_static_str(g.state().name());
        d.protocol_type = StrBytes::from_string(g.protocol_type.clone().unwrap_or_default());
        if stable {
            d.protocol_data = StrBytes::from_string(g.protocol_name.clone().unwrap_or_default());
        }
        d.members = describe_members(g, version, stable);
        d
    }
}

fn describe_members(g: &Group, version: i16, stable: bool) -> Vec<DescribedGroupMember> {
    g.members_in_order()
        .into_iter()
        .map(|m| {
            let mut dm = DescribedGroupMember::default();
            dm.member_id = StrBytes::from_string(m.id.clone());
            if version >= 4 {
                dm.group_instance_id = m.instance_id.clone().map(StrBytes::from_string);
            }
            dm.client_id = StrBytes::from_string(m.client_id.clone());
            dm.client_host = StrBytes::from_string(m.client_host.clone());
            if stable {
                dm.member_metadata = m.metadata_for(g.protocol_name.as_deref());
                dm.member_assignment = m.assignment.clone();
            }
            dm
        })
        .collect()
}
