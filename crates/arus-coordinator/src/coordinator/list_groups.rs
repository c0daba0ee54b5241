//! ListGroups (v0-5): state filter from v4, type filter from v5.

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use super::GroupCoordinator;
use crate::output::{Output, RequestContext, Response};

/// The only group type this coordinator runs.
const CLASSIC: &str = "classic";

impl GroupCoordinator {
    /// ListGroups v0-5. Filters match case-insensitively; an empty filter
    /// matches everything. Every group here is a "classic" group.
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
        if !(types.is_empty() || types.iter().any(|t| t == CLASSIC)) {
            return r;
        }
        r.groups = self
            .groups
            .values()
            .filter(|g| {
                let state = g.state().name().to_lowercase();
                states.is_empty() || states.contains(&state)
            })
            .map(|g| {
                let mut l = ListedGroup::default();
                l.group_id = GroupId(StrBytes::from_string(g.id.clone()));
                l.protocol_type =
                    StrBytes::from_string(g.protocol_type.clone().unwrap_or_default());
                if version >= 4 {
                    l.group_state = StrBytes::from_static_str(g.state().name());
                }
                if version >= 5 {
                    l.group_type = StrBytes::from_static_str(CLASSIC);
                }
                l
            })
            .collect();
        r
    }
}
