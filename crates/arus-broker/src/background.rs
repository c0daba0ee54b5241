//! Periodic housekeeping: retention, time-based flushing, offset checkpoints and producer
//! id expiry.
//! Each pass runs on a blocking thread so file deletions and fsyncs never stall request
//! handling.

use std::sync::Arc;
use std::time::Duration;

use tracing::{error, info};

use crate::broker::{now_ms, Broker};

/// How often logs are checked for a due `flush.ms` flush.
const FLUSH_CHECK: Duration = Duration::from_millis(1000);

/// Starts the housekeeping tasks; they stop when the runtime does.
pub fn spawn(broker: Arc<Broker>) {
    let retention =
        Duration::from_millis(broker.config.log_retention_check_interval_ms().max(1) as u64);
    let checkpoint = Duration::from_millis(
        broker
            .config
            .log_flush_offset_checkpoint_interval_ms()
            .max(1) as u64,
    );
    every(broker.clone(), retention, apply_retention);
    let producer_expiry = Duration::from_millis(
        broker
            .config
            .producer_id_expiration_check_interval_ms()
            .max(1) as u64,
    );
    every(broker.clone(), FLUSH_CHECK, flush_due_logs);
    every(broker.clone(), producer_expiry, expire_producers);
    every(broker, checkpoint, write_checkpoints);
}

fn every(broker: Arc<Broker>, period: Duration, pass: fn(&Broker)) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await; // the first tick is immediate
        loop {
            ticker.tick().await;
            if broker.is_shutting_down() {
                return;
            }
            let b = broker.clone();
            if let Err(e) = tokio::task::spawn_blocking(move || pass(&b)).await {
                error!(error = %e, "housekeeping pass failed");
            }
        }
    });
}

/// Deletes segments past `retention.ms` / `retention.bytes` in every partition.
pub fn apply_retention(broker: &Broker) {
    let now = now_ms();
    for p in broker.catalog.partitions() {
        let mut log = p.log();
        let before = log.log_start_offset();
        match log.apply_retention(now) {
            Ok(0) => {}
            Ok(deleted) => info!(
                topic = %p.topic,
                partition = p.index,
                deleted,
                log_start_from = before,
                log_start_to = log.log_start_offset(),
                "retention deleted segments"
            ),
            Err(e) => error!(topic = %p.topic, partition = p.index, error = %e, "retention failed"),
        }
    }
}

/// Forgets idempotent producers idle past `producer.id.expiration.ms`, as Kafka does; a
/// forgotten producer may continue at any sequence.
fn expire_producers(broker: &Broker) {
    let now = now_ms();
    let expiration = i64::from(broker.config.producer_id_expiration_ms());
    for p in broker.catalog.partitions() {
        let expired = p.log().expire_producers(now, expiration);
        if expired > 0 {
            info!(topic = %p.topic, partition = p.index, expired, "expired idle producer ids");
        }
    }
}

fn flush_due_logs(broker: &Broker) {
    let now = now_ms();
    for p in broker.catalog.partitions() {
        if let Err(e) = p.log().flush_if_due(now) {
            error!(topic = %p.topic, partition = p.index, error = %e, "flush failed");
        }
    }
}

fn write_checkpoints(broker: &Broker) {
    if let Err(e) = broker.catalog.write_checkpoints() {
        error!(error = %e, "writing checkpoints failed");
    }
}
