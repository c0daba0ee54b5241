//! JoinGroup and SyncGroup answers, shaped for the version asked: fields a
//! version lacks stay at their defaults (the codec refuses them otherwise).

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{JoinGroupResponse, SyncGroupResponse};
use kafka_protocol::protocol::StrBytes;

use crate::group::{Group, Parked};
use crate::output::{Output, Response};

/// Everything a JoinGroup answer says, before version shaping.
#[derive(Debug, Clone, Default)]
pub(crate) struct JoinAnswer {
    pub(crate) error: i16,
    pub(crate) member_id: String,
    pub(crate) generation: i32,
    pub(crate) protocol_type: Option<String>,
    pub(crate) protocol_name: Option<String>,
    pub(crate) leader: String,
    pub(crate) skip_assignment: bool,
    /// (member id, instance id, metadata); only the leader gets them.
    pub(crate) members: Vec<(String, Option<String>, Bytes)>,
}

impl JoinAnswer {
    /// An error answer: generation -1, no leader, no protocol.
    pub(crate) fn error(member_id: &str, error: ResponseError) -> Self {
        Self {
            error: error.code(),
            member_id: member_id.to_owned(),
            generation: -1,
            ..Self::default()
        }
    }

    /// The current generation as `member_id` should see it; the member list
    /// only if `with_members`.
    pub(crate) fn current(group: &Group, member_id: &str, with_members: bool) -> Self {
        let members = if with_members {
            group
                .members_in_order()
                .into_iter()
                .map(|m| {
                    (
                        m.id.clone(),
                        m.instance_id.clone(),
                        m.metadata_for(group.protocol_name.as_deref()),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        Self {
            error: 0,
            member_id: member_id.to_owned(),
            generation: group.generation,
            protocol_type: group.protocol_type.clone(),
            protocol_name: group.protocol_name.clone(),
            leader: group.leader.clone().unwrap_or_default(),
            skip_assignment: false,
            members,
        }
    }

    /// The response at `version`. Before v7 the protocol name is not
    /// nullable, so a missing one is sent as "" (as Kafka does).
    pub(crate) fn to_response(&self, version: i16) -> JoinGroupResponse {
        let mut r = JoinGroupResponse::default();
        r.error_code = self.error;
        r.generation_id = self.generation;
        if version >= 7 {
            r.protocol_type = self.protocol_type.clone().map(StrBytes::from_string);
            r.protocol_name = self.protocol_name.clone().map(StrBytes::from_string);
        } else {
            r.protocol_name = Some(StrBytes::from_string(
                self.protocol_name.clone().unwrap_or_default(),
            ));
        }
        r.leader = StrBytes::from_string(self.leader.clone());
        r.skip_assignment = version >= 9 && self.skip_assignment;
        r.member_id = StrBytes::from_string(self.member_id.clone());
        r.members = self
            .members
            .iter()
            .map(|(id, instance, metadata)| {
                let mut m = JoinGroupResponseMember::default();
                m.member_id = StrBytes::from_string(id.clone());
                if version >= 5 {
                    m.group_instance_id = instance.clone().map(StrBytes::from_string);
                }
                m.metadata = metadata.clone();
                m
            })
            .collect();
        r
    }

    /// Sends this answer to a parked (or just received) JoinGroup.
    pub(crate) fn send(&self, to: Parked, out: &mut Output) {
        out.respond(to.token, Response::JoinGroup(self.to_response(to.version)));
    }
}

/// A SyncGroup answer at `version`; protocol type and name exist from v5.
pub(crate) fn sync_response(
    version: i16,
    error: i16,
    protocol: Option<(&Option<String>, &Option<String>)>,
    assignment: Bytes,
) -> SyncGroupResponse {
    let mut r = SyncGroupResponse::default();
    r.error_code = error;
    if version >= 5 {
        if let Some((protocol_type, protocol_name)) = protocol {
            r.protocol_type = protocol_type.clone().map(StrBytes::from_string);
            r.protocol_name = protocol_name.clone().map(StrBytes::from_string);
        }
    }
    r.assignment = assignment;
    r
}

/// Sends a SyncGroup error.
pub(crate) fn send_sync_error(to: Parked, error: ResponseError, out: &mut Output) {
    out.respond(
        to.token,
        Response::SyncGroup(sync_response(to.version, error.code(), None, Bytes::new())),
    );
}
