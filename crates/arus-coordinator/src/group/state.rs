//! Group states: the public names and the internal phases with their timers.

/// A classic group's state, as DescribeGroups and ListGroups name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupState {
    /// No members; may still hold committed offsets.
    Empty,
    /// Waiting for members to (re)join.
    PreparingRebalance,
    /// Joined; waiting for the leader's assignment.
    CompletingRebalance,
    /// Assignment handed out; members heartbeat.
    Stable,
    /// Gone (only reported for groups that do not exist).
    Dead,
}

impl GroupState {
    /// Kafka's name for the state.
    pub fn name(self) -> &'static str {
        match self {
            Self::Empty => "Empty",
            Self::PreparingRebalance => "PreparingRebalance",
            Self::CompletingRebalance => "CompletingRebalance",
            Self::Stable => "Stable",
            Self::Dead => "Dead",
        }
    }
}

/// Where a live group is, with the timer each phase runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Empty,
    PreparingRebalance(JoinTimer),
    CompletingRebalance,
    Stable,
}

impl Phase {
    pub(crate) fn state(self) -> GroupState {
        match self {
            Self::Empty => GroupState::Empty,
            Self::PreparingRebalance(_) => GroupState::PreparingRebalance,
            Self::CompletingRebalance => GroupState::CompletingRebalance,
            Self::Stable => GroupState::Stable,
        }
    }
}

/// How the join phase of a rebalance ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinTimer {
    /// The first rebalance of an empty group (Kafka's InitialDelayedJoin): it
    /// ends only at `deadline`, which moves on by up to `delay_ms` each time
    /// members joined meanwhile, for at most `remaining_ms` more in total.
    InitialDelay {
        deadline: i64,
        delay_ms: i64,
        remaining_ms: i64,
    },
    /// A regular rebalance (DelayedJoin): ends when every member rejoined, or
    /// at `deadline` (the rebalance timeout).
    RebalanceTimeout { deadline: i64 },
}

impl JoinTimer {
    pub(crate) fn deadline(self) -> i64 {
        match self {
            Self::InitialDelay { deadline, .. } | Self::RebalanceTimeout { deadline } => deadline,
        }
    }
}

/// Members that must send SyncGroup before `deadline` (the rebalance timeout
/// after the join phase ended) or be removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingSync {
    pub(crate) generation: i32,
    pub(crate) deadline: i64,
    pub(crate) members: std::collections::BTreeSet<String>,
}
