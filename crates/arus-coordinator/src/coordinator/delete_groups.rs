//! DeleteGroups (v0-2).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};
use tracing::info;

use super::GroupCoordinator;
use crate::group::Phase;
use crate::output::{Output, RequestContext, Response};
use crate::records::GroupRecord;

impl GroupCoordinator {
    /// DeleteGroups v0-2: only empty groups are deleted (NON_EMPTY_GROUP
    /// otherwise, GROUP_ID_NOT_FOUND for unknown ones); a deleted group's
    /// offsets and metadata get tombstones.
    pub fn delete_groups(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &DeleteGroupsRequest,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| {
            let mut r = DeleteGroupsResponse::default();
            r.results = req
                .groups_names
                .iter()
                .map(|id| {
                    let mut d = DeletableGroupResult::default();
                    d.group_id = id.clone();
                    d.error_code = c
                        .delete_group(id.as_str(), out)
                        .err()
                        .map_or(0, |e| e.code());
                    d
                })
                .collect();
            out.respond(ctx.token, Response::DeleteGroups(r));
        })
    }

    fn delete_group(&mut self, group_id: &str, out: &mut Output) -> Result<(), ResponseError> {
        let g = self
            .groups
            .get(group_id)
            .ok_or(ResponseError::GroupIdNotFound)?;
        if g.phase != Phase::Empty || g.has_members() {
            return Err(ResponseError::NonEmptyGroup);
        }
        for (topic, partition) in g.offset_keys() {
            out.record(GroupRecord::offset_tombstone(group_id, &topic, partition));
        }
        out.record(GroupRecord::group_tombstone(group_id));
        self.groups.remove(group_id);
        info!(group = %group_id, "group deleted");
        Ok(())
    }
}
