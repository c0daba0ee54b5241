//! ListGroups (v0-5): state filter from v4, type filter from v5.

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use super::GroupCoordinator;
use crate::output::{Output, RequestContext, Response};

/// Group types, as ListGroups v5 names them.
const CLASSIC: &str = "classic";
const CONSUMER: &str = "consumer";

impl GroupCoordinator {
    /// ListGroups v0-5. Filters match case-insensitively; an empty filter
    /// matches everything. Groups are "classic" or (KIP-848) "consumer"; a
    /// consumer group's protocol type is "consumer".
    pub fn list_groups(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &ListGroupsRequest,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| {
            let r = c.answer_list(ctx.version, req);
            out.respond(ctx.token, Response::ListGroups(r));
        })
    }

    fn answer_list(&self, version: i16, req: &ListGroupsRequest) -> ListGroupsResponse {
        let states: Vec<String> = req.states_filter.iter().map(|s| s.to_lowercase()).collect();
        let types: Vec<String> = req.types_filter.iter().map(|s| s.to_lowercase()).collect();
        let mut r = ListGroupsResponse::default();
        r.groups = self
            .groups
            .values()
            .map(|g| match &g.consumer {
                Some(cg) => (g, CONSUMER, cg.state_name(), CONSUMER.to_owned()),
                None => (
                    g,
                    CLASSIC,
                    g.state().name(),
                    g.protocol_type.clone().unwrap_or_default(),
                ),
            })
            .filter(|(_, kind, state, _)| {
                (types.is_empty() || types.iter().any(|t| t == kind))
                    && (states.is_empty() || states.contains(&state.to_lowercase()))
            })
            .map(|(g, kind, state, protocol_type)| {
                let mut l = ListedGroup::default();
                l.group_id = GroupId(StrBytes::from_string(g.id.clone()));
                l.protocol_type = StrBytes::from_string(protocol_type);
                if version >= 4 {
                    l.group_state = StrBytes::from_static_str(state);
                }
                if version >= 5 {
                    l.group_type = StrBytes::from_static_str(kind);
                }
                l
            })
            .collect();
        r
    }
}
