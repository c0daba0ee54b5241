//! The shell around the sans-IO transaction coordinator: one coordinator behind a mutex,
//! its records persisted to `__transaction_state` before answers go out, transaction markers
//! written to every partition of a completing transaction (on a single node all of them are
//! local, so this happens before EndTxn is answered), a timer task for transaction timeouts,
//! and replay at start-up, which finishes transactions a crash left half-committed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use arus_coordinator::{partition_for, MarkerWork, TxnConfig, TxnCoordinator, TxnOutput};
use arus_log::TxnMarker;
use tokio::sync::Notify;
use tracing::{error, info, warn};

use crate::broker::{now_ms, Broker};
use crate::config::BrokerConfig;
use crate::internal_topic::{self, CONSUMER_OFFSETS, TRANSACTION_STATE};

/// The coordinator epoch markers carry; a single node never changes coordinator.
const COORDINATOR_EPOCH: i32 = 0;

/// The transaction service of a broker.
pub struct Transactions {
    coordinator: Mutex<TxnCoordinator>,
    deadline_changed: Notify,
}

impl Transactions {
    /// A coordinator configured from the broker's transaction settings.
    pub fn new(config: &BrokerConfig) -> Transactions {
        Transactions {
            coordinator: Mutex::new(TxnCoordinator::new(TxnConfig {
                max_timeout_ms: config.transaction_max_timeout_ms(),
                id_expiration_ms: i64::from(config.transactional_id_expiration_ms()),
            })),
            deadline_changed: Notify::new(),
        }
    }

    fn coordinator(&self) -> MutexGuard<'_, TxnCoordinator> {
        self.coordinator.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Rebuilds transaction state from `__transaction_state`, if it exists, and completes
    /// transactions that were committing or aborting when the broker stopped.
    pub fn load(&self, broker: &Broker) -> Result<(), String> {
        let Some(topic) = broker.catalog.topic(TRANSACTION_STATE) else {
            return Ok(());
        };
        let mut coordinator = self.coordinator();
        let mut records = 0usize;
        for partition in &topic.partitions {
            for (key, value) in internal_topic::read_all(partition)? {
                records += 1;
                if let Err(e) = coordinator.replay(&key, value.as_deref()) {
                    warn!(partition = partition.index, error = %e, "skipping unreadable transaction record");
                }
            }
        }
        let output = coordinator.finish_replay();
        let pending = output.markers.len();
        self.execute(broker, &mut coordinator, output);
        info!(
            records,
            transactional_ids = coordinator.all().len(),
            completed = pending,
            "loaded transactions"
        );
        Ok(())
    }

    /// Runs one coordinator step and carries out its output (records, then markers, then
    /// the records completing the transactions) before returning the step's answer.
    pub fn apply<R>(
        &self,
        broker: &Broker,
        f: impl FnOnce(&mut TxnCoordinator, i64) -> (R, TxnOutput),
    ) -> R {
        let mut coordinator = self.coordinator();
        let (answer, output) = f(&mut coordinator, now_ms());
        self.execute(broker, &mut coordinator, output);
        drop(coordinator);
        self.deadline_changed.notify_one();
        answer
    }

    /// Whether a transactional write of `producer_id` to `topic`-`partition` belongs to its
    /// ongoing transaction (KIP-890's defence against hanging transactions).
    pub fn partition_in_transaction(
        &self,
        producer_id: i64,
        epoch: i16,
        topic: &str,
        partition: i32,
    ) -> bool {
        self.coordinator()
            .partition_in_transaction(producer_id, epoch, topic, partition)
    }

    /// Reads the coordinator (admin APIs).
    pub fn with<R>(&self, f: impl FnOnce(&TxnCoordinator) -> R) -> R {
        f(&self.coordinator())
    }

    fn execute(&self, broker: &Broker, coordinator: &mut TxnCoordinator, output: TxnOutput) {
        let mut work = output.markers;
        persist(broker, &output.records);
        while let Some(w) = work.pop() {
            match write_markers(broker, &w) {
                Ok(()) => {
                    let done = coordinator.markers_written(&w, now_ms());
                    persist(broker, &done.records);
                    work.extend(done.markers);
                }
                // The transaction stays in its Prepare state; the next start-up (or a
                // retried EndTxn after the client sees the error) completes it.
                Err(e) => {
                    error!(transactional_id = %w.transactional_id, error = %e, "writing transaction markers failed")
                }
            }
        }
    }

    /// Aborts timed-out transactions until the broker stops.
    pub fn spawn_timers(broker: Arc<Broker>) {
        tokio::spawn(async move {
            loop {
                if broker.is_shutting_down() {
                    return;
                }
                let txns = &broker.transactions;
                let next = txns.coordinator().next_deadline();
                let wait = match next {
                    Some(deadline) => {
                        Duration::from_millis(deadline.saturating_sub(now_ms()).max(0) as u64)
                    }
                    // Transactional-ID expiry needs no precision.
                    None => Duration::from_secs(60),
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = txns.deadline_changed.notified() => continue,
                }
                let b = broker.clone();
                let pass = tokio::task::spawn_blocking(move || {
                    b.transactions.apply(&b, |c, now| ((), c.tick(now)))
                });
                if let Err(e) = pass.await {
                    error!(error = %e, "transaction timer pass failed");
                }
            }
        });
    }
}

/// Appends coordinator records to their `__transaction_state` partitions.
fn persist(broker: &Broker, records: &[arus_coordinator::TxnRecord]) {
    if records.is_empty() {
        return;
    }
    let topic = match internal_topic::transaction_state(&broker.catalog, &broker.config) {
        Ok(t) => t,
        Err(e) => {
            error!(error = %e, "cannot create {TRANSACTION_STATE}; transaction records lost");
            return;
        }
    };
    let count = topic.partitions.len() as i32;
    let mut by_partition: HashMap<i32, Vec<internal_topic::KeyValue>> = HashMap::new();
    for r in records {
        by_partition
            .entry(partition_for(&r.transactional_id, count))
            .or_default()
            .push((r.key.clone(), r.value.clone()));
    }
    for (index, kvs) in by_partition {
        if let Some(partition) = topic.partition(index) {
            if let Err(e) = internal_topic::append(partition, &kvs) {
                error!(partition = index, error = %e, "writing transaction records failed");
            }
        }
    }
}

/// Writes the commit or abort marker of `work` to each of its partitions; for
/// `__consumer_offsets` partitions the group coordinator then settles the transaction's
/// pending offsets. Partitions deleted meanwhile are skipped.
fn write_markers(broker: &Broker, work: &MarkerWork) -> Result<(), String> {
    let marker = TxnMarker {
        producer_id: work.producer_id,
        producer_epoch: work.producer_epoch,
        commit: work.commit,
        coordinator_epoch: COORDINATOR_EPOCH,
    };
    let now = now_ms();
    let mut offsets_touched = false;
    for (topic, index) in &work.partitions {
        let Some(partition) = broker
            .catalog
            .topic(topic)
            .and_then(|t| t.partition(*index).cloned())
        else {
            continue;
        };
        partition
            .append_marker(marker, now)
            .map_err(|e| format!("{topic}-{index}: {e}"))?;
        offsets_touched |= topic == CONSUMER_OFFSETS;
    }
    if offsets_touched {
        broker.groups.apply(broker, |c, _| {
            c.complete_transaction(work.producer_id, work.commit);
            arus_coordinator::Output::default()
        });
    }
    Ok(())
}
