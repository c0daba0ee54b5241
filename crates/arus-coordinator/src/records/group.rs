//! GroupMetadataValue: versions 0-3 read, 3 written.

use bytes::Bytes;

use super::wire::{Reader, Writer};
use super::RecordError;

/// Version of GroupMetadataValue written.
const VALUE_VERSION: i16 = 3;

/// A group's generation, protocol and members as stored in `__consumer_offsets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMetadataValue {
    /// The protocol type ("consumer", "connect", ...).
    pub protocol_type: String,
    /// The generation.
    pub generation: i32,
    /// The selected protocol (assignor), if any.
    pub protocol: Option<String>,
    /// The leader's member id, if any.
    pub leader: Option<String>,
    /// When the group entered its current state (ms), -1 if unknown.
    pub current_state_timestamp: i64,
    /// The members.
    pub members: Vec<MemberMetadataValue>,
}

/// One member inside [`GroupMetadataValue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberMetadataValue {
    /// The member id.
    pub member_id: String,
    /// The static instance id, if any.
    pub group_instance_id: Option<String>,
    /// The client id.
    pub client_id: String,
    /// The client host.
    pub client_host: String,
    /// The rebalance timeout (ms).
    pub rebalance_timeout: i32,
    /// The session timeout (ms).
    pub session_timeout: i32,
    /// The member's metadata for the selected protocol.
    pub subscription: Bytes,
    /// The member's assignment.
    pub assignment: Bytes,
}

impl GroupMetadataValue {
    /// Value bytes, version 3.
    pub fn encode(&self) -> Result<Bytes, RecordError> {
        let mut w = Writer::default();
        let count = i32::try_from(self.members.len())
            .map_err(|_| RecordError::TooLong(self.members.len()))?;
        w.i16(VALUE_VERSION)
            .string(&self.protocol_type)?
            .i32(self.generation)
            .nullable_string(self.protocol.as_deref())?
            .nullable_string(self.leader.as_deref())?
            .i64(self.current_state_timestamp)
            .i32(count);
        for m in &self.members {
            w.string(&m.member_id)?
                .nullable_string(m.group_instance_id.as_deref())?
                .string(&m.client_id)?
                .string(&m.client_host)?
                .i32(m.rebalance_timeout)
                .i32(m.session_timeout)
                .bytes(&m.subscription)?
                .bytes(&m.assignment)?;
        }
        Ok(w.finish())
    }

    /// Reads value versions 0 to 3 (version 0 has no rebalance timeout: the
    /// session timeout stands in, as in Kafka).
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let mut r = Reader::new(bytes);
        let version = r.i16()?;
        if !(0..=3).contains(&version) {
            return Err(RecordError::UnsupportedValueVersion(version));
        }
        let protocol_type = r.string()?;
        let generation = r.i32()?;
        let protocol = r.nullable_string()?;
        let leader = r.nullable_string()?;
        let current_state_timestamp = if version >= 2 { r.i64()? } else { -1 };
        let count = r.count()?;
        let mut members = Vec::new();
        for _ in 0..count {
            members.push(read_member(&mut r, version)?);
        }
        Ok(Self {
            protocol_type,
            generation,
            protocol,
            leader,
            current_state_timestamp,
            members,
        })
    }
}

fn read_member(r: &mut Reader<'_>, version: i16) -> Result<MemberMetadataValue, RecordError> {
    let member_id = r.string()?;
    let group_instance_id = if version >= 3 {
        r.nullable_string()?
    } else {
        None
    };
    let client_id = r.string()?;
    let client_host = r.string()?;
    let rebalance_timeout = if version >= 1 { Some(r.i32()?) } else { None };
    let session_timeout = r.i32()?;
    Ok(MemberMetadataValue {
        member_id,
        group_instance_id,
        client_id,
        client_host,
        rebalance_timeout: rebalance_timeout.unwrap_or(session_timeout),
        session_timeout,
        subscription: r.bytes()?,
        assignment: r.bytes()?,
    })
}
