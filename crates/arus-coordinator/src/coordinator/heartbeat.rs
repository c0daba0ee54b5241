//! Heartbeat (v0-4).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};

use super::rebalance::touch_session;
use super::validate::{valid_group_id, validate_current_member};
use super::GroupCoordinator;
use crate::group::Phase;
use crate::output::{Output, RequestContext, Response};

impl GroupCoordinator {
    /// Heartbeat v0-4: keeps the member's session alive; REBALANCE_IN_PROGRESS
    /// while the group is preparing a rebalance tells the member to rejoin.
    pub fn heartbeat(
        &mut self,
        ctx: &RequestContext<'_>,
        req: &HeartbeatRequest,
        now_ms: i64,
    ) -> Output {
        self.run(now_ms, |c, out| {
            let error = c
                .handle_heartbeat(req, now_ms)
                .err()
                .map_or(0, |e| e.code());
            let mut r = HeartbeatResponse::default();
            r.error_code = error;
            out.respond(ctx.token, Response::Heartbeat(r));
        })
    }

    fn handle_heartbeat(&mut self, req: &HeartbeatRequest, now: i64) -> Result<(), ResponseError> {
        let group_id = req.group_id.as_str();
        if !valid_group_id(group_id, false) {
            return Err(ResponseError::InvalidGroupId);
        }
        let g = self
            .groups
            .get_mut(group_id)
            .ok_or(ResponseError::UnknownMemberId)?;
        let member_id = req.member_id.as_str();
        validate_current_member(g, member_id, req.group_instance_id.as_deref())?;
        if req.generation_id != g.generation {
            return Err(ResponseError::IllegalGeneration);
        }
        let phase = g.phase;
        if phase == Phase::Empty {
            return Err(ResponseError::UnknownMemberId);
        }
        if let Some(m) = g.members.get_mut(member_id) {
            touch_session(m, now);
        }
        match phase {
            Phase::PreparingRebalance(_) => Err(ResponseError::RebalanceInProgress),
            _ => Ok(()),
        }
    }
}
