//! The transaction coordinator (KIP-98) as a sans-IO state machine.
//!
//! One [`TxnMetadata`] per transactional ID moves through Kafka's states:
//!
//! ```text
//! Empty ──AddPartitions──▶ Ongoing ──EndTxn(commit)──▶ PrepareCommit ──markers──▶ CompleteCommit
//!   ▲                        │  └────EndTxn(abort) / timeout / fencing──▶ PrepareAbort ──markers──▶ CompleteAbort
//!   └────────── InitProducerId (epoch bump) ◀───────────────────────────────────────────────┘
//! ```
//!
//! Every call returns a [`TxnOutput`]: records for `__transaction_state` that the shell
//! persists before answering, and [`MarkerWork`]: transactions whose commit or abort markers
//! the shell must now write to each of their partitions, reporting back with
//! [`TxnCoordinator::markers_written`]. Time is passed in; nothing here blocks or does IO.

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use kafka_protocol::ResponseError;

use crate::records::{decode_transaction_key, transaction_key, TransactionLogValue};

#[cfg(test)]
mod tests;

/// Kafka's transaction states, with their `__transaction_state` status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxnState {
    /// No transaction in progress.
    Empty,
    /// Partitions have been added; the producer is writing.
    Ongoing,
    /// EndTxn(commit) accepted; commit markers are being written.
    PrepareCommit,
    /// EndTxn(abort), a timeout or fencing; abort markers are being written.
    PrepareAbort,
    /// The last transaction committed.
    CompleteCommit,
    /// The last transaction aborted.
    CompleteAbort,
    /// The transactional ID expired.
    Dead,
    /// Kafka's intermediate state while fencing; Arus reads it (as PrepareAbort) but never
    /// writes it.
    PrepareEpochFence,
}

impl TxnState {
    /// The status code Kafka stores.
    pub fn code(self) -> i8 {
        match self {
            TxnState::Empty => 0,
            TxnState::Ongoing => 1,
            TxnState::PrepareCommit => 2,
            TxnState::PrepareAbort => 3,
            TxnState::CompleteCommit => 4,
            TxnState::CompleteAbort => 5,
            TxnState::Dead => 6,
            TxnState::PrepareEpochFence => 7,
        }
    }

    fn from_code(code: i8) -> Option<TxnState> {
        Some(match code {
            0 => TxnState::Empty,
            1 => TxnState::Ongoing,
            2 => TxnState::PrepareCommit,
            3 => TxnState::PrepareAbort,
            4 => TxnState::CompleteCommit,
            5 => TxnState::CompleteAbort,
            6 => TxnState::Dead,
            7 => TxnState::PrepareEpochFence,
            _ => return None,
        })
    }

    /// The name DescribeTransactions and ListTransactions report.
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Empty => "Empty",
            TxnState::Ongoing => "Ongoing",
            TxnState::PrepareCommit => "PrepareCommit",
            TxnState::PrepareAbort => "PrepareAbort",
            TxnState::CompleteCommit => "CompleteCommit",
            TxnState::CompleteAbort => "CompleteAbort",
            TxnState::Dead => "Dead",
            TxnState::PrepareEpochFence => "PrepareEpochFence",
        }
    }

    fn is_preparing(self) -> bool {
        matches!(
            self,
            TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::PrepareEpochFence
        )
    }
}

/// What the coordinator knows of one transactional ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnMetadata {
    /// The transactional ID.
    pub transactional_id: String,
    /// Its current producer ID.
    pub producer_id: i64,
    /// Its current epoch; older epochs are fenced.
    pub producer_epoch: i16,
    /// The epoch before the last bump (-1 if none), so a retried InitProducerId of the same
    /// producer is recognised (KIP-360).
    pub last_producer_epoch: i16,
    /// The producer's transaction timeout.
    pub timeout_ms: i32,
    /// The state.
    pub state: TxnState,
    /// Partitions of the ongoing (or completing) transaction.
    pub partitions: BTreeSet<(String, i32)>,
    /// When the ongoing transaction started (-1 when none).
    pub start_ms: i64,
    /// When the state last changed.
    pub last_update_ms: i64,
}

impl TxnMetadata {
    fn record(&self) -> TxnRecord {
        let mut grouped: Vec<(String, Vec<i32>)> = Vec::new();
        for (topic, p) in &self.partitions {
            match grouped.last_mut() {
                Some((t, ps)) if t == topic => ps.push(*p),
                _ => grouped.push((topic.clone(), vec![*p])),
            }
        }
        let value = TransactionLogValue {
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            timeout_ms: self.timeout_ms,
            status: self.state.code(),
            partitions: grouped,
            last_update_ms: self.last_update_ms,
            start_ms: self.start_ms,
        };
        TxnRecord {
            transactional_id: self.transactional_id.clone(),
            // Transactional IDs longer than an int16 string are refused at InitProducerId.
            key: transaction_key(&self.transactional_id).unwrap_or_default(),
            value: value.encode().ok(),
        }
    }

    fn work(&self, commit: bool) -> MarkerWork {
        MarkerWork {
            transactional_id: self.transactional_id.clone(),
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            commit,
            partitions: self.partitions.iter().cloned().collect(),
        }
    }
}

/// One record for `__transaction_state` (partition: `partition_for(transactional_id)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnRecord {
    /// The transactional ID (selects the partition; not part of the bytes).
    pub transactional_id: String,
    /// TransactionLogKey.
    pub key: Bytes,
    /// TransactionLogValue; `None` is a tombstone.
    pub value: Option<Bytes>,
}

/// A transaction whose markers must be written now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerWork {
    /// The transactional ID, for [`TxnCoordinator::markers_written`].
    pub transactional_id: String,
    /// The producer the markers end the transaction of.
    pub producer_id: i64,
    /// The epoch the markers carry (bumped when the transaction was fenced).
    pub producer_epoch: i16,
    /// Commit or abort.
    pub commit: bool,
    /// Every partition of the transaction, `__consumer_offsets` ones included.
    pub partitions: Vec<(String, i32)>,
}

/// What the shell must do after a call, in order: persist `records`, write `markers`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TxnOutput {
    /// Records for `__transaction_state`.
    pub records: Vec<TxnRecord>,
    /// Marker writes to perform.
    pub markers: Vec<MarkerWork>,
}

/// Settings of the transaction coordinator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnConfig {
    /// `transaction.max.timeout.ms`: the largest timeout a producer may ask for.
    pub max_timeout_ms: i32,
    /// `transactional.id.expiration.ms`: idle transactional IDs are forgotten after this.
    pub id_expiration_ms: i64,
}

/// The transaction coordinator of a broker.
#[derive(Debug)]
pub struct TxnCoordinator {
    config: TxnConfig,
    txns: HashMap<String, TxnMetadata>,
    /// Producer ID → transactional ID, for produce-time checks.
    by_producer: HashMap<i64, String>,
}

type Answer<T> = (Result<T, ResponseError>, TxnOutput);

impl TxnCoordinator {
    /// An empty coordinator.
    pub fn new(config: TxnConfig) -> Self {
        TxnCoordinator {
            config,
            txns: HashMap::new(),
            by_producer: HashMap::new(),
        }
    }

    /// The metadata of a transactional ID.
    pub fn get(&self, transactional_id: &str) -> Option<&TxnMetadata> {
        self.txns.get(transactional_id)
    }

    /// Every transactional ID's metadata, sorted by ID.
    pub fn all(&self) -> Vec<&TxnMetadata> {
        let mut v: Vec<&TxnMetadata> = self.txns.values().collect();
        v.sort_by(|a, b| a.transactional_id.cmp(&b.transactional_id));
        v
    }

    /// Whether `producer_id` at `epoch` has `(topic, partition)` in its ongoing
    /// transaction: a transactional write anywhere else is refused (KIP-890's defence
    /// against hanging transactions).
    pub fn partition_in_transaction(
        &self,
        producer_id: i64,
        epoch: i16,
        topic: &str,
        partition: i32,
    ) -> bool {
        self.by_producer
            .get(&producer_id)
            .and_then(|id| self.txns.get(id))
            .is_some_and(|m| {
                m.producer_id == producer_id
                    && m.producer_epoch == epoch
                    && m.state == TxnState::Ongoing
                    && m.partitions.contains(&(topic.to_string(), partition))
            })
    }

    fn put(&mut self, meta: TxnMetadata, out: &mut TxnOutput) {
        out.records.push(meta.record());
        self.by_producer
            .insert(meta.producer_id, meta.transactional_id.clone());
        self.txns.insert(meta.transactional_id.clone(), meta);
    }

    /// InitProducerId for a transactional producer: a producer ID and a bumped epoch that
    /// fences every older instance. An ongoing transaction of an older instance is aborted
    /// first (the caller answers CONCURRENT_TRANSACTIONS and the client retries). `expected`
    /// is the producer's current ID and epoch when it re-initialises (KIP-360).
    pub fn init_producer_id(
        &mut self,
        transactional_id: &str,
        timeout_ms: i32,
        expected: Option<(i64, i16)>,
        now_ms: i64,
        allocate_id: &mut dyn FnMut() -> Option<i64>,
    ) -> Answer<(i64, i16)> {
        let mut out = TxnOutput::default();
        if timeout_ms <= 0 || timeout_ms > self.config.max_timeout_ms {
            return (Err(ResponseError::InvalidTransactionTimeout), out);
        }
        if transaction_key(transactional_id).is_err() {
            return (Err(ResponseError::InvalidRequest), out);
        }
        let existing = self
            .txns
            .get(transactional_id)
            .filter(|m| m.state != TxnState::Dead)
            .cloned();
        let Some(mut m) = existing else {
            let Some(pid) = allocate_id() else {
                return (Err(ResponseError::CoordinatorNotAvailable), out);
            };
            let meta = TxnMetadata {
                transactional_id: transactional_id.to_string(),
                producer_id: pid,
                producer_epoch: 0,
                last_producer_epoch: -1,
                timeout_ms,
                state: TxnState::Empty,
                partitions: BTreeSet::new(),
                start_ms: -1,
                last_update_ms: now_ms,
            };
            self.put(meta, &mut out);
            return (Ok((pid, 0)), out);
        };
        if let Some((pid, epoch)) = expected.filter(|(pid, _)| *pid >= 0) {
            // A retry of the call that already bumped this producer gets the same answer.
            if pid == m.producer_id && epoch == m.last_producer_epoch && !m.state.is_preparing() {
                return (Ok((m.producer_id, m.producer_epoch)), out);
            }
            if pid != m.producer_id || epoch != m.producer_epoch {
                return (Err(ResponseError::ProducerFenced), out);
            }
        }
        match m.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::PrepareEpochFence => {
                (Err(ResponseError::ConcurrentTransactions), out)
            }
            TxnState::Ongoing => {
                // Fence the old instance: abort its transaction under a bumped epoch.
                self.bump_and_abort(&mut m, now_ms, &mut out);
                (Err(ResponseError::ConcurrentTransactions), out)
            }
            TxnState::Empty
            | TxnState::CompleteCommit
            | TxnState::CompleteAbort
            | TxnState::Dead => {
                if m.producer_epoch >= i16::MAX - 1 {
                    // Epochs are exhausted: continue under a new producer ID.
                    let Some(pid) = allocate_id() else {
                        return (Err(ResponseError::CoordinatorNotAvailable), out);
                    };
                    self.by_producer.remove(&m.producer_id);
                    m.producer_id = pid;
                    m.producer_epoch = 0;
                    m.last_producer_epoch = -1;
                } else {
                    m.last_producer_epoch = m.producer_epoch;
                    m.producer_epoch += 1;
                }
                m.timeout_ms = timeout_ms;
                m.state = TxnState::Empty;
                m.partitions.clear();
                m.start_ms = -1;
                m.last_update_ms = now_ms;
                let answer = (m.producer_id, m.producer_epoch);
                self.put(m, &mut out);
                (Ok(answer), out)
            }
        }
    }

    /// Bumps the epoch (fencing the current producer) and starts aborting the ongoing
    /// transaction under the new epoch.
    fn bump_and_abort(&mut self, m: &mut TxnMetadata, now_ms: i64, out: &mut TxnOutput) {
        m.last_producer_epoch = m.producer_epoch;
        m.producer_epoch = m.producer_epoch.saturating_add(1);
        m.state = TxnState::PrepareAbort;
        m.last_update_ms = now_ms;
        out.markers.push(m.work(false));
        self.put(m.clone(), out);
    }

    /// Checks that a request comes from the transactional ID's current producer.
    fn current(
        &self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
    ) -> Result<TxnMetadata, ResponseError> {
        let m = self
            .txns
            .get(transactional_id)
            .filter(|m| m.state != TxnState::Dead)
            .ok_or(ResponseError::InvalidProducerIdMapping)?;
        if m.producer_id != producer_id {
            return Err(ResponseError::InvalidProducerIdMapping);
        }
        if m.producer_epoch != epoch {
            return Err(ResponseError::ProducerFenced);
        }
        Ok(m.clone())
    }

    /// AddPartitionsToTxn / AddOffsetsToTxn: adds partitions to the producer's transaction,
    /// starting one if none is ongoing.
    pub fn add_partitions(
        &mut self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        partitions: &[(String, i32)],
        now_ms: i64,
    ) -> Answer<()> {
        let mut out = TxnOutput::default();
        let mut m = match self.current(transactional_id, producer_id, epoch) {
            Ok(m) => m,
            Err(e) => return (Err(e), out),
        };
        if m.state.is_preparing() {
            return (Err(ResponseError::ConcurrentTransactions), out);
        }
        let known = partitions.iter().all(|p| m.partitions.contains(p));
        if m.state == TxnState::Ongoing && known {
            return (Ok(()), out);
        }
        if m.state != TxnState::Ongoing {
            m.partitions.clear();
            m.start_ms = now_ms;
            m.state = TxnState::Ongoing;
        }
        m.partitions.extend(partitions.iter().cloned());
        m.last_update_ms = now_ms;
        self.put(m, &mut out);
        (Ok(()), out)
    }

    /// EndTxn: starts committing or aborting the ongoing transaction. A retry of an
    /// EndTxn that already completed succeeds again.
    pub fn end_txn(
        &mut self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        commit: bool,
        now_ms: i64,
    ) -> Answer<()> {
        let mut out = TxnOutput::default();
        let mut m = match self.current(transactional_id, producer_id, epoch) {
            Ok(m) => m,
            Err(e) => return (Err(e), out),
        };
        match (m.state, commit) {
            (TxnState::Ongoing, _) => {
                m.state = if commit {
                    TxnState::PrepareCommit
                } else {
                    TxnState::PrepareAbort
                };
                m.last_update_ms = now_ms;
                out.markers.push(m.work(commit));
                self.put(m, &mut out);
                (Ok(()), out)
            }
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => (Ok(()), out),
            (TxnState::PrepareCommit, true) | (TxnState::PrepareAbort, false) => {
                (Err(ResponseError::ConcurrentTransactions), out)
            }
            _ => (Err(ResponseError::InvalidTxnState), out),
        }
    }

    /// The shell wrote every marker of `work`: the transaction is complete.
    pub fn markers_written(&mut self, work: &MarkerWork, now_ms: i64) -> TxnOutput {
        let mut out = TxnOutput::default();
        let Some(mut m) = self.txns.get(&work.transactional_id).cloned() else {
            return out;
        };
        let expected = if work.commit {
            TxnState::PrepareCommit
        } else {
            TxnState::PrepareAbort
        };
        if m.producer_id != work.producer_id
            || m.producer_epoch != work.producer_epoch
            || (m.state != expected && m.state != TxnState::PrepareEpochFence)
        {
            return out;
        }
        m.state = if work.commit {
            TxnState::CompleteCommit
        } else {
            TxnState::CompleteAbort
        };
        m.partitions.clear();
        m.start_ms = -1;
        m.last_update_ms = now_ms;
        self.put(m, &mut out);
        out
    }

    /// The earliest time [`tick`](Self::tick) has work: an ongoing transaction's timeout.
    pub fn next_deadline(&self) -> Option<i64> {
        self.txns
            .values()
            .filter(|m| m.state == TxnState::Ongoing)
            .map(|m| m.start_ms.saturating_add(i64::from(m.timeout_ms)))
            .min()
    }

    /// Aborts transactions past their timeout (fencing their producers with a bumped
    /// epoch) and forgets transactional IDs idle past `transactional.id.expiration.ms`.
    pub fn tick(&mut self, now_ms: i64) -> TxnOutput {
        let mut out = TxnOutput::default();
        let mut timed_out: Vec<TxnMetadata> = self
            .txns
            .values()
            .filter(|m| {
                m.state == TxnState::Ongoing
                    && now_ms >= m.start_ms.saturating_add(i64::from(m.timeout_ms))
            })
            .cloned()
            .collect();
        timed_out.sort_by(|a, b| a.transactional_id.cmp(&b.transactional_id));
        for mut m in timed_out {
            tracing::info!(transactional_id = %m.transactional_id, timeout_ms = m.timeout_ms, "aborting timed-out transaction");
            self.bump_and_abort(&mut m, now_ms, &mut out);
        }
        let mut expired: Vec<String> = self
            .txns
            .values()
            .filter(|m| {
                matches!(
                    m.state,
                    TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort
                ) && now_ms.saturating_sub(m.last_update_ms) >= self.config.id_expiration_ms
            })
            .map(|m| m.transactional_id.clone())
            .collect();
        expired.sort();
        for id in expired {
            if let Some(m) = self.txns.remove(&id) {
                self.by_producer.remove(&m.producer_id);
                out.records.push(TxnRecord {
                    key: transaction_key(&id).unwrap_or_default(),
                    transactional_id: id,
                    value: None,
                });
            }
        }
        out
    }

    /// Loads one `__transaction_state` record at start-up (later records win).
    pub fn replay(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), crate::RecordError> {
        let id = decode_transaction_key(key)?;
        let Some(value) = value else {
            if let Some(m) = self.txns.remove(&id) {
                self.by_producer.remove(&m.producer_id);
            }
            return Ok(());
        };
        let v = TransactionLogValue::decode(value)?;
        let state = TxnState::from_code(v.status)
            .ok_or(crate::RecordError::UnsupportedValueVersion(v.status.into()))?;
        let meta = TxnMetadata {
            transactional_id: id.clone(),
            producer_id: v.producer_id,
            producer_epoch: v.producer_epoch,
            last_producer_epoch: -1,
            timeout_ms: v.timeout_ms,
            state,
            partitions: v
                .partitions
                .into_iter()
                .flat_map(|(t, ps)| ps.into_iter().map(move |p| (t.clone(), p)))
                .collect(),
            start_ms: v.start_ms,
            last_update_ms: v.last_update_ms,
        };
        if let Some(old) = self.txns.get(&id) {
            self.by_producer.remove(&old.producer_id);
        }
        self.by_producer.insert(meta.producer_id, id.clone());
        self.txns.insert(id, meta);
        Ok(())
    }

    /// After replay: transactions that were committing or aborting when the broker stopped
    /// get their markers written (again; a repeated marker is harmless). Ongoing ones keep
    /// running and time out as usual.
    pub fn finish_replay(&mut self) -> TxnOutput {
        let mut out = TxnOutput::default();
        let mut ids: Vec<&String> = self.txns.keys().collect();
        ids.sort();
        for id in ids {
            let m = &self.txns[id];
            match m.state {
                TxnState::PrepareCommit => out.markers.push(m.work(true)),
                TxnState::PrepareAbort | TxnState::PrepareEpochFence => {
                    out.markers.push(m.work(false))
                }
                _ => {}
            }
        }
        out
    }
}
