//! What the coordinator hands back: responses (now or for parked requests) and records.

use kafka_protocol::messages::{
    ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatResponse, DeleteGroupsResponse,
    DescribeGroupsResponse, HeartbeatResponse, JoinGroupResponse, LeaveGroupResponse,
    ListGroupsResponse, OffsetCommitResponse, OffsetDeleteResponse, OffsetFetchResponse,
    SyncGroupResponse, TxnOffsetCommitResponse,
};

use crate::records::GroupRecord;

/// Names one request for the caller: the coordinator returns it with the
/// answer, possibly much later (JoinGroup and SyncGroup wait for rebalances).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestToken(pub u64);

/// Per-request facts the coordinator needs besides the request body.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// The caller's name for this request; its answer carries it back.
    pub token: RequestToken,
    /// The request's API version; the answer is shaped for it.
    pub version: i16,
    /// The client id from the request header (stored for DescribeGroups).
    pub client_id: &'a str,
    /// The client's address as Kafka prints it (`/127.0.0.1`), for DescribeGroups.
    pub client_host: &'a str,
}

/// An answer to one request, at that request's version.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// JoinGroup.
    JoinGroup(JoinGroupResponse),
    /// SyncGroup.
    SyncGroup(SyncGroupResponse),
    /// Heartbeat.
    Heartbeat(HeartbeatResponse),
    /// LeaveGroup.
    LeaveGroup(LeaveGroupResponse),
    /// OffsetCommit.
    OffsetCommit(OffsetCommitResponse),
    /// OffsetFetch.
    OffsetFetch(OffsetFetchResponse),
    /// OffsetDelete.
    OffsetDelete(OffsetDeleteResponse),
    /// ListGroups.
    ListGroups(ListGroupsResponse),
    /// DescribeGroups.
    DescribeGroups(DescribeGroupsResponse),
    /// DeleteGroups.
    DeleteGroups(DeleteGroupsResponse),
    /// ConsumerGroupHeartbeat (KIP-848).
    ConsumerGroupHeartbeat(ConsumerGroupHeartbeatResponse),
    /// ConsumerGroupDescribe (KIP-848).
    ConsumerGroupDescribe(ConsumerGroupDescribeResponse),
    /// TxnOffsetCommit.
    TxnOffsetCommit(TxnOffsetCommitResponse),
}

/// The result of one call: answers ready now and records to persist.
///
/// Append `records` to the offsets topic before sending `responses`: an
/// acknowledged commit must survive a restart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    /// Answers ready now, for this or earlier (delayed) requests, in order.
    pub responses: Vec<(RequestToken, Response)>,
    /// Records for the `__consumer_offsets` partitions of the groups concerned.
    pub records: Vec<GroupRecord>,
}

impl Output {
    /// True when there is nothing to send and nothing to persist.
    pub fn is_empty(&self) -> bool {
        self.responses.is_empty() && self.records.is_empty()
    }

    /// The answer for `token`, if this output carries one.
    pub fn response(&self, token: RequestToken) -> Option<&Response> {
        self.responses
            .iter()
            .find(|(t, _)| *t == token)
            .map(|(_, r)| r)
    }

    /// Appends everything in `other` after what is already here.
    pub fn extend(&mut self, other: Output) {
        self.responses.extend(other.responses);
        self.records.extend(other.records);
    }

    pub(crate) fn respond(&mut self, token: RequestToken, response: Response) {
        self.responses.push((token, response));
    }

    pub(crate) fn record(&mut self, record: Result<GroupRecord, crate::records::RecordError>) {
        match record {
            Ok(r) => self.records.push(r),
            Err(e) => tracing::error!("group record not written: {e}"),
        }
    }
}
