//! The shell around the sans-IO group coordinator: one coordinator behind a mutex, requests
//! parked until their (often delayed) answers arrive, records persisted to
//! `__consumer_offsets` before answers go out, a timer task for session and rebalance
//! deadlines, and replay of the offsets topic at start-up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use arus_coordinator::{
    partition_for, CoordinatorConfig, GroupCoordinator, Output, RequestContext, RequestToken,
    Response,
};
use tokio::sync::{oneshot, Notify};
use tracing::{error, info, warn};

use crate::broker::{now_ms, Broker};
use crate::config::BrokerConfig;
use crate::internal_topic::{self, Entry, CONSUMER_OFFSETS};

/// Who sent a group request, as DescribeGroups reports members.
pub struct Caller<'a> {
    /// The request's API version.
    pub version: i16,
    /// The client's `client.id`.
    pub client_id: &'a str,
    /// The client's address, as Kafka reports it (`/127.0.0.1`).
    pub client_host: &'a str,
}

/// Where a group record batch goes: the `__consumer_offsets` partition, and the transactional
/// producer (ID, epoch) whose batch it is, if any.
type BatchTarget = (i32, Option<(i64, i16)>);

/// The consumer-group service of a broker.
pub struct Groups {
    coordinator: Mutex<GroupCoordinator>,
    waiting: Mutex<HashMap<RequestToken, oneshot::Sender<Response>>>,
    next_token: AtomicU64,
    deadline_changed: Notify,
}

impl Groups {
    /// A coordinator configured from the broker's group settings.
    pub fn new(config: &BrokerConfig) -> Groups {
        let coordinator = GroupCoordinator::new(CoordinatorConfig {
            initial_rebalance_delay_ms: i64::from(config.group_initial_rebalance_delay_ms()),
            min_session_timeout_ms: config.group_min_session_timeout_ms(),
            max_session_timeout_ms: config.group_max_session_timeout_ms(),
            max_group_size: usize::try_from(config.group_max_size()).unwrap_or(usize::MAX),
            offsets_retention_minutes: i64::from(config.offsets_retention_minutes()),
            offsets_retention_check_interval_ms: config.offsets_retention_check_interval_ms(),
            offset_metadata_max_bytes: usize::try_from(config.offset_metadata_max_bytes())
                .unwrap_or(4096),
            consumer_heartbeat_interval_ms: config.group_consumer_heartbeat_interval_ms(),
            consumer_session_timeout_ms: config.group_consumer_session_timeout_ms(),
            consumer_max_size: usize::try_from(config.group_consumer_max_size())
                .unwrap_or(usize::MAX),
        });
        Groups {
            coordinator: Mutex::new(coordinator),
            waiting: Mutex::new(HashMap::new()),
            next_token: AtomicU64::new(1),
            deadline_changed: Notify::new(),
        }
    }

    fn coordinator(&self) -> MutexGuard<'_, GroupCoordinator> {
        self.coordinator.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Rebuilds group state from `__consumer_offsets`, if it exists.
    pub fn load(&self, broker: &Broker) -> Result<(), String> {
        let Some(topic) = broker.catalog.topic(CONSUMER_OFFSETS) else {
            return Ok(());
        };
        let mut coordinator = self.coordinator();
        let mut records = 0usize;
        for partition in &topic.partitions {
            for entry in internal_topic::read_entries(partition)? {
                records += 1;
                let replayed = match entry {
                    Entry::Record {
                        key,
                        value,
                        producer: None,
                    } => coordinator.replay(&key, value.as_deref()),
                    Entry::Record {
                        key,
                        value,
                        producer: Some(pid),
                    } => coordinator.replay_transactional(pid, &key, value.as_deref()),
                    Entry::Marker {
                        producer_id,
                        commit,
                    } => {
                        coordinator.replay_marker(producer_id, commit);
                        Ok(())
                    }
                };
                if let Err(e) = replayed {
                    warn!(partition = partition.index, error = %e, "skipping unreadable group record");
                }
            }
        }
        // Expiries that fell due while the broker was down are applied now.
        let output = coordinator.finish_replay(now_ms());
        self.persist(broker, &output);
        info!(
            records,
            groups = coordinator.group_ids().len(),
            "loaded consumer groups"
        );
        drop(coordinator);
        self.deliver(output);
        Ok(())
    }

    /// Runs one coordinator call for a request and waits for its answer, which may come from
    /// a later step (another member's request or a timer).
    pub async fn call(
        &self,
        broker: &Broker,
        caller: &Caller<'_>,
        f: impl FnOnce(&mut GroupCoordinator, &RequestContext<'_>, i64) -> Output,
    ) -> Option<Response> {
        let token = RequestToken(self.next_token.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        self.waiting_lock().insert(token, tx);
        let ctx = RequestContext {
            token,
            version: caller.version,
            client_id: caller.client_id,
            client_host: caller.client_host,
        };
        self.apply(broker, |c, now| f(c, &ctx, now));
        self.deadline_changed.notify_one();
        rx.await.ok()
    }

    /// Runs one coordinator step: persists the records it produced (under the coordinator
    /// lock, so the log keeps the coordinator's order), then releases its answers. Also used
    /// directly for changes no request waits on (e.g. forgetting a deleted topic's offsets).
    pub fn apply(&self, broker: &Broker, f: impl FnOnce(&mut GroupCoordinator, i64) -> Output) {
        let output = {
            let mut coordinator = self.coordinator();
            let output = f(&mut coordinator, now_ms());
            self.persist(broker, &output);
            output
        };
        self.deliver(output);
    }

    fn waiting_lock(&self) -> MutexGuard<'_, HashMap<RequestToken, oneshot::Sender<Response>>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn persist(&self, broker: &Broker, output: &Output) {
        if output.records.is_empty() {
            return;
        }
        let topic = match internal_topic::consumer_offsets(&broker.catalog, &broker.config) {
            Ok(t) => t,
            Err(e) => {
                error!(error = %e, "cannot create {CONSUMER_OFFSETS}; group records lost");
                return;
            }
        };
        let count = topic.partitions.len() as i32;
        // One batch per partition and writer: offsets committed inside a transaction go in
        // a transactional batch of their producer.
        let mut batches: Vec<(BatchTarget, Vec<internal_topic::KeyValue>)> = Vec::new();
        for r in &output.records {
            let target = (partition_for(&r.group_id, count), r.producer);
            let kv = (r.key.clone(), r.value.clone());
            match batches.iter_mut().find(|(t, _)| *t == target) {
                Some((_, records)) => records.push(kv),
                None => batches.push((target, vec![kv])),
            }
        }
        for ((index, producer), records) in batches {
            let Some(partition) = topic.partition(index) else {
                continue;
            };
            if let Err(e) = internal_topic::append_as(partition, &records, producer) {
                error!(partition = index, error = %e, "writing group records failed");
            }
        }
    }

    fn deliver(&self, output: Output) {
        let mut waiting = self.waiting_lock();
        for (token, response) in output.responses {
            if let Some(tx) = waiting.remove(&token) {
                // The client may have gone away; its answer is then dropped.
                let _ = tx.send(response);
            }
        }
    }

    /// Fires due timers (session expiry, rebalance deadlines, retention) until the broker stops.
    pub fn spawn_timers(broker: Arc<Broker>) {
        tokio::spawn(async move {
            loop {
                if broker.is_shutting_down() {
                    return;
                }
                let groups = &broker.groups;
                let wait = {
                    let next = groups.coordinator().next_deadline();
                    match next {
                        Some(deadline) => {
                            Duration::from_millis(deadline.saturating_sub(now_ms()).max(0) as u64)
                        }
                        None => Duration::from_secs(60),
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = groups.deadline_changed.notified() => continue,
                }
                groups.apply(&broker, |c, now| c.tick(now));
            }
        });
    }
}
