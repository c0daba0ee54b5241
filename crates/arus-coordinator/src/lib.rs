//! Arus coordinators (sans-IO): consumer groups and committed offsets, and transactions
//! ([`TxnCoordinator`], see its module).
//!
//! [`GroupCoordinator`] is Kafka's classic group coordinator as a plain state
//! machine: no sockets, no clocks, no threads. The broker shell owns one
//! (behind a mutex), calls it once per request with the decoded
//! `kafka-protocol` request, a caller-chosen [`RequestToken`] and the current
//! time, and gets back an [`Output`]:
//!
//! - `responses`: answers that are ready now. JoinGroup and SyncGroup answers
//!   are often delayed until a rebalance completes, so an output may answer
//!   earlier tokens (from other connections) and not the one just passed in.
//! - `records`: [`GroupRecord`]s for the group's `__consumer_offsets`
//!   partition ([`partition_for`]), in Kafka's key/value schemas. The shell
//!   appends them *before* sending the responses of the same output.
//!
//! Timers (session timeouts, rebalance timeouts, the delayed initial
//! rebalance, offset retention) fire from [`GroupCoordinator::tick`]; the
//! shell sleeps until [`GroupCoordinator::next_deadline`]. Every request call
//! also fires whatever timers are already due.
//!
//! At start-up the shell feeds the records it reads back from the offsets
//! topic to [`GroupCoordinator::replay`], then calls
//! [`GroupCoordinator::finish_replay`].

#![warn(missing_docs)]

mod config;
mod consumer_group;
mod coordinator;
mod group;
mod member_id;
mod output;
mod partition;
pub mod records;
mod topics;
mod transactions;

pub use config::CoordinatorConfig;
pub use coordinator::GroupCoordinator;
pub use group::GroupState;
pub use output::{Output, RequestContext, RequestToken, Response};
pub use partition::{java_string_hash, partition_for};
pub use records::{GroupRecord, RecordError};
pub use topics::{TopicExists, TopicInfo, TopicMetadata};
pub use transactions::{
    MarkerWork, TxnConfig, TxnCoordinator, TxnMetadata, TxnOutput, TxnRecord, TxnState,
};
