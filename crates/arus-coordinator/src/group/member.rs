//! One member of a classic group.

use bytes::Bytes;

use crate::output::RequestToken;

/// A protocol a member supports (an assignor name for consumers) with its
/// metadata (the consumer's subscription).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Protocol {
    pub(crate) name: String,
    pub(crate) metadata: Bytes,
}

/// A request waiting for the group: its token and the version to answer at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parked {
    pub(crate) token: RequestToken,
    pub(crate) version: i16,
}

/// A group member.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) instance_id: Option<String>,
    pub(crate) client_id: String,
    pub(crate) client_host: String,
    pub(crate) rebalance_timeout_ms: i32,
    pub(crate) session_timeout_ms: i32,
    pub(crate) protocols: Vec<Protocol>,
    pub(crate) assignment: Bytes,
    /// A JoinGroup waiting for the join phase to end.
    pub(crate) awaiting_join: Option<Parked>,
    /// A SyncGroup waiting for the leader's assignment.
    pub(crate) awaiting_sync: Option<Parked>,
    /// Joined during the current rebalance; expires on the new-member join
    /// timeout even while its JoinGroup waits.
    pub(crate) is_new: bool,
    /// When the member expires unless it heartbeats; `None` while not watched.
    pub(crate) session_deadline: Option<i64>,
    /// Join order within the group (leader choice, listing order).
    pub(crate) seq: u64,
}

impl Member {
    /// The member's metadata for `protocol`, empty if it does not support it.
    pub(crate) fn metadata_for(&self, protocol: Option<&str>) -> Bytes {
        protocol
            .and_then(|p| self.protocols.iter().find(|x| x.name == p))
            .map(|x| x.metadata.clone())
            .unwrap_or_default()
    }

    /// True if the member lists `protocol`.
    pub(crate) fn supports(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|p| p.name == protocol)
    }

    /// True if `protocols` is exactly what the member sent last time.
    pub(crate) fn matches(&self, protocols: &[Protocol]) -> bool {
        self.protocols == protocols
    }

    /// The member's most preferred protocol among `candidates`.
    pub(crate) fn vote<'a>(&'a self, candidates: &[&str]) -> Option<&'a str> {
        self.protocols
            .iter()
            .map(|p| p.name.as_str())
            .find(|name| candidates.contains(name))
    }

    /// True if the member has a JoinGroup or SyncGroup parked: such members
    /// are not expired by their session timeout (the rebalance handles them).
    pub(crate) fn is_waiting(&self) -> bool {
        self.awaiting_join.is_some() || self.awaiting_sync.is_some()
    }
}
