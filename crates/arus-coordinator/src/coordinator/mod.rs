//! The coordinator: the groups, the entry points, and the time-driven part.

mod answers;
mod consumer_describe;
mod consumer_heartbeat;
mod consumer_timers;
mod consumer_validate;
mod delete_groups;
mod describe_groups;
mod heartbeat;
mod join;
mod leave;
mod list_groups;
mod offset_commit;
mod offset_delete;
mod offset_fetch;
mod persist;
mod rebalance;
mod replay;
mod retention;
mod static_member;
mod sync;
mod timers;
mod txn_offsets;
mod validate;

use std::collections::{BTreeMap, HashMap};

use crate::config::CoordinatorConfig;
use crate::group::{CommittedOffset, Group, GroupState};
use crate::member_id::MemberIdGenerator;
use crate::output::Output;

/// Kafka's group coordinator as a sans-IO state machine: classic groups and
/// KIP-848 consumer groups (see [`GroupCoordinator::consumer_group_heartbeat`]).
///
/// Every request method takes the request's [`crate::RequestContext`] and
/// the current time, fires whatever timers are already due, handles the
/// request, and returns an [`Output`]. Between requests, call
/// [`GroupCoordinator::tick`] at [`GroupCoordinator::next_deadline`].
#[derive(Debug)]
pub struct GroupCoordinator {
    config: CoordinatorConfig,
    groups: BTreeMap<String, Group>,
    ids: MemberIdGenerator,
    /// When expired offsets are next removed; set on the first call.
    next_cleanup_ms: Option<i64>,
    /// Members loaded by `replay` have no session deadline yet.
    replay_pending: bool,
    /// Offsets committed inside open transactions, by producer ID.
    pending_txn_offsets: HashMap<i64, BTreeMap<txn_offsets::PendingKey, CommittedOffset>>,
}

/// What group-level operations need besides the group: settings, the time,
/// and where answers and records go.
pub(crate) struct Env<'a> {
    pub(crate) config: &'a CoordinatorConfig,
    pub(crate) now: i64,
    pub(crate) out: &'a mut Output,
}

impl GroupCoordinator {
    /// A coordinator with no groups.
    pub fn new(config: CoordinatorConfig) -> Self {
        Self {
            config,
            groups: BTreeMap::new(),
            ids: MemberIdGenerator::default(),
            next_cleanup_ms: None,
            replay_pending: false,
            pending_txn_offsets: HashMap::new(),
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &CoordinatorConfig {
        &self.config
    }

    /// The state of `group_id`, or `None` if the group does not exist
    /// (Kafka reports such groups as Dead).
    pub fn group_state(&self, group_id: &str) -> Option<GroupState> {
        self.groups.get(group_id).map(Group::state)
    }

    /// The ids of all groups, sorted.
    pub fn group_ids(&self) -> Vec<String> {
        self.groups.keys().cloned().collect()
    }

    /// The earliest time at which [`GroupCoordinator::tick`] has work, if
    /// any. A time already past means "now": after a replay, until
    /// [`GroupCoordinator::finish_replay`] or a first tick, this is `Some(0)`.
    pub fn next_deadline(&self) -> Option<i64> {
        if self.replay_pending {
            return Some(0);
        }
        let groups = self
            .groups
            .values()
            .filter_map(|g| timers::next_timer(g).map(|(at, _)| at));
        let consumers = self
            .groups
            .values()
            .filter_map(consumer_timers::next_consumer_deadline);
        groups.chain(consumers).chain(self.next_cleanup_ms).min()
    }

    /// Fires every timer due at `now_ms`: session and rebalance timeouts,
    /// the delayed initial rebalance, lapsed member ids, offset retention.
    pub fn tick(&mut self, now_ms: i64) -> Output {
        let mut out = Output::default();
        self.fire_timers(now_ms, &mut out);
        out
    }

    /// Runs `handle` between two passes over the due timers.
    fn run(&mut self, now: i64, handle: impl FnOnce(&mut Self, &mut Output)) -> Output {
        let mut out = Output::default();
        self.fire_timers(now, &mut out);
        handle(self, &mut out);
        self.fire_timers(now, &mut out);
        out
    }
}
