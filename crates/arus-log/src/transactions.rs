//! Transactions at the log (KIP-98): writing the markers that end them, the last stable
//! offset a read_committed fetch may not pass, and the aborted transactions it must list.
//! Which transactions are open lives in the producer state; aborts are kept in each
//! segment's `.txnindex`.

use crate::batch::validate_batches;
use crate::error::{AppendError, LogError};
use crate::log::{AppendInfo, Log};
use crate::producer_state::ProducerStateManager;
use crate::txn_index::{AbortedTxn, AbortedTxnEntry};
use crate::txn_marker::{build_marker_batch, TxnMarker};

impl Log {
    /// Writes a transaction marker (a control batch) ending `marker.producer_id`'s ongoing
    /// transaction in this partition. A marker whose producer epoch is older than the
    /// producer's current one is INVALID_PRODUCER_EPOCH, one from an older coordinator
    /// epoch TRANSACTION_COORDINATOR_FENCED; nothing is written then. A marker for a
    /// producer with no open transaction here is still written (as Kafka does) and
    /// completes nothing. An abort is recorded in the `.txnindex` of the segment the marker
    /// lands in.
    pub fn append_marker(
        &mut self,
        marker: TxnMarker,
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo, AppendError> {
        ProducerStateManager::check_marker(self.producers.entry(marker.producer_id), &marker)?;
        let batch = build_marker_batch(&marker, now_ms);
        // Cheap (one ~78-byte batch) and keeps one path: offsets, roll, index, epochs.
        let validated = validate_batches(&batch, usize::MAX)?;
        let info = self.write_batches(&batch, &validated, leader_epoch, now_ms)?;
        let done = self
            .producers
            .complete_txn(&marker, info.base_offset, info.max_timestamp);
        if let Some(txn) = done.filter(|t| t.aborted) {
            // write_batches rolled first if it had to, so the marker is in the active segment.
            self.active
                .txn_index_mut()
                .insert(AbortedTxnEntry::from(txn))?;
        }
        Ok(info)
    }

    /// The last stable offset: the first offset of the earliest open transaction, else the
    /// high watermark (never above it, never below the log start).
    pub fn last_stable_offset(&self) -> i64 {
        match self.producers.first_open_txn_offset() {
            Some(first) => first.max(self.log_start_offset).min(self.high_watermark),
            None => self.high_watermark,
        }
    }

    /// Aborted transactions that overlap offsets [start, upper): those with last_offset >=
    /// start and first_offset < upper, in first_offset order.
    ///
    /// Reads (once; they stay in memory) the `.txnindex` of the segment holding `start`
    /// and of later segments until an entry's last stable offset reaches `upper` (Kafka's
    /// rule: then every transaction starting below `upper` had ended, so no later abort can
    /// overlap). An abort marker may land segments after its transaction's first offset,
    /// which is why the walk is not bounded by `upper`.
    pub fn aborted_transactions(
        &self,
        start: i64,
        upper: i64,
    ) -> Result<Vec<AbortedTxn>, LogError> {
        let mut out = Vec::new();
        let mut i = self.segment_index_for(start);
        while let Some(seg) = self.segment(i) {
            if seg.txn_index().collect(start, upper, &mut out)? {
                break;
            }
            i += 1;
        }
        out.sort_by_key(|t| t.first_offset);
        Ok(out)
    }

    /// Producer IDs with an open transaction in this partition and the offset it started
    /// at, earliest first (DescribeProducers, tests).
    pub fn open_transactions(&self) -> Vec<(i64, i64)> {
        self.producers.open_transactions()
    }
}
