//! LeaveGroup (v0-5): one member before v3, a batch (by member id or by
//! group instance id) from v3.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};
use kafka_protocol::protocol::StrBytes;

use super::rebalance::{remove_member_and_update, try_complete_join};
use super::validate::{valid_group_id, validate_current_member};
use super::{Env, GroupCoordinator};
use crate::group::{Group, Phase};
use crate::output::{Output, RequestContext, Response};

impl GroupCoordinator {
    /// LeaveGroup v0-5: removes the members (each gets its own error from
    /// v3) and rebalances the rest.
    pub fn leave_group(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &LeaveGroupRequest,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| {
            let r = c.handle_leave(ctx.version, req, now_ms, out);
            out.respond(ctx.token, Response::LeaveGroup(r));
        })
    }

    fn handle_leave(
        &mut self,
        version: i16,
        req: &LeaveGroupRequest,
        now: i64,
        out: &mut Output,
    ) -> LeaveGroupResponse {
        let leaving: Vec<(StrBytes, Option<StrBytes>)> = if version < 3 {
            vec![(req.member_id.clone(), None)]
        } else {
            req.members
                .iter()
                .map(|m| (m.member_id.clone(), m.group_instance_id.clone()))
                .collect()
        };
        let mut r = LeaveGroupResponse::default();
        let group_id = req.group_id.as_str();
        if !valid_group_id(group_id, false) {
            r.error_code = ResponseError::InvalidGroupId.code();
            return r;
        }
        let Self { groups, config, .. } = self;
        let mut env = Env { config, now, out };
        let errors: Vec<i16> = match groups.get_mut(group_id) {
            None => vec![ResponseError::UnknownMemberId.code(); leaving.len()],
            Some(g) => leaving
                .iter()
                .map(|(id, instance)| {
                    leave_one(g, &mut env, id, instance.as_deref())
                        .err()
                        .map_or(0, |e| e.code())
                })
                .collect(),
        };
        if version < 3 {
            r.error_code = errors.iter().copied().find(|e| *e != 0).unwrap_or(0);
        } else {
            r.members = leaving
                .into_iter()
                .zip(errors)
                .map(|((id, instance), error)| {
                    let mut m = MemberResponse::default();
                    m.member_id = id;
                    m.group_instance_id = instance;
                    m.error_code = error;
                    m
                })
                .collect();
        }
        r
    }
}

/// Removes one member: by instance id when the member id is empty (admin
/// removal of a static member), a pending member id, or a current member.
fn leave_one(
    g: &mut Group,
    env: &mut Env<'_>,
    member_id: &str,
    instance_id: Option<&str>,
) -> Result<(), ResponseError> {
    if member_id.is_empty() {
        let current = instance_id
            .and_then(|i| g.static_members.get(i))
            .cloned()
            .ok_or(ResponseError::UnknownMemberId)?;
        remove_member_and_update(g, env, &current, "static member removed by LeaveGroup");
        return Ok(());
    }
    if g.pending_members.remove(member_id).is_some() {
        if matches!(g.phase, Phase::PreparingRebalance(_)) {
            try_complete_join(g, env);
        }
        return Ok(());
    }
    validate_current_member(g, member_id, instance_id)?;
    remove_member_and_update(g, env, member_id, "member left the group");
    Ok(())
}
