//! Idempotent producer state of one partition: per producer ID its epoch and the metadata of
//! its last few batches, so a retried batch is recognised as a duplicate (and answered with
//! its original offsets) and a gap or reordering in sequence numbers is refused.
//!
//! The rules are Kafka's (`ProducerStateManager`): a producer the partition has never seen
//! (or has expired) may start at any sequence; a known producer must continue its sequence
//! within an epoch, start again at 0 in a newer epoch, and is fenced with an older epoch.
//!
//! Transactions (KIP-98): a producer's first transactional batch opens its transaction in
//! the partition; a marker (control batch) ends it. Open transactions are also kept ordered
//! by first offset, so the last stable offset (the first offset of the earliest one) is a
//! map lookup.
//!
//! State is rebuilt on open from the newest snapshot (`<offset>.snapshot`, Kafka's format)
//! plus the batches after it, so de-duplication and open transactions survive restarts and
//! crashes.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::AppendError;
use crate::txn_marker::TxnMarker;

/// Sequence of a producer with no batch yet.
pub const NO_SEQUENCE: i32 = -1;
/// Batches remembered per producer: a client has at most 5 requests in flight per
/// connection with idempotence on, so a retry always matches one of these.
pub const BATCHES_RETAINED: usize = 5;
/// Snapshot file suffix, as Kafka names them.
pub const SNAPSHOT_SUFFIX: &str = ".snapshot";
/// Snapshots kept per partition: the newest, and the one before it in case the newest
/// is beyond the log end after an unclean shutdown.
const SNAPSHOTS_KEPT: usize = 2;

/// One appended batch of a producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMetadata {
    /// Sequence number of its first record.
    pub first_seq: i32,
    /// Sequence number of its last record.
    pub last_seq: i32,
    /// Offset of its first record.
    pub first_offset: i64,
    /// Offset of its last record.
    pub last_offset: i64,
    /// Its max timestamp.
    pub timestamp: i64,
}

/// What the partition remembers of one producer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerEntry {
    /// The producer's current epoch.
    pub epoch: i16,
    /// Its last batches in this epoch, oldest first (at most [`BATCHES_RETAINED`]).
    pub batches: VecDeque<BatchMetadata>,
    /// Epoch of the transaction coordinator that wrote its last marker here (-1: none), to
    /// fence markers from an older coordinator.
    pub coordinator_epoch: i32,
    /// First offset of its open transaction in this partition, if one is open.
    pub current_txn_first_offset: Option<i64>,
    /// Timestamp of its last batch or marker (producer expiry counts from it).
    pub last_timestamp: i64,
}

impl ProducerEntry {
    /// A producer with no batch yet.
    pub fn new(epoch: i16) -> Self {
        ProducerEntry {
            epoch,
            batches: VecDeque::with_capacity(1),
            coordinator_epoch: -1,
            current_txn_first_offset: None,
            last_timestamp: -1,
        }
    }

    /// Records an appended batch of this producer (a newer epoch forgets the old batches);
    /// a transactional batch opens a transaction unless one is open.
    pub fn record(&mut self, batch: &ProducerBatch, first_offset: i64, timestamp: i64) {
        self.set_epoch(batch.epoch);
        self.last_timestamp = timestamp;
        if batch.transactional && self.current_txn_first_offset.is_none() {
            self.current_txn_first_offset = Some(first_offset);
        }
        if self.batches.len() == BATCHES_RETAINED {
            self.batches.pop_front();
        }
        self.batches.push_back(BatchMetadata {
            first_seq: batch.first_seq,
            last_seq: batch.last_seq(),
            first_offset,
            last_offset: first_offset + i64::from(batch.last_offset_delta),
            timestamp,
        });
    }

    /// Moves to `epoch`; batches of another epoch are forgotten (sequences restart at 0).
    fn set_epoch(&mut self, epoch: i16) {
        if epoch != self.epoch {
            self.epoch = epoch;
            self.batches.clear();
        }
    }

    /// The sequence number of its last batch (-1 without batches).
    pub fn last_seq(&self) -> i32 {
        self.batches.back().map_or(NO_SEQUENCE, |b| b.last_seq)
    }

    fn last_offset(&self) -> i64 {
        self.batches.back().map_or(-1, |b| b.last_offset)
    }

    fn find_duplicate(&self, first_seq: i32, last_seq: i32) -> Option<BatchMetadata> {
        self.batches
            .iter()
            .find(|b| b.first_seq == first_seq && b.last_seq == last_seq)
            .copied()
    }
}

/// The identity of a producer batch, as read from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerBatch {
    /// Producer ID (>= 0).
    pub producer_id: i64,
    /// Producer epoch.
    pub epoch: i16,
    /// Sequence of the first record.
    pub first_seq: i32,
    /// lastOffsetDelta of the batch.
    pub last_offset_delta: i32,
    /// Part of a transaction (attributes bit 4).
    pub transactional: bool,
}

impl ProducerBatch {
    /// The sequence number of the batch's last record (sequences wrap at i32::MAX).
    pub fn last_seq(&self) -> i32 {
        let delta = self.last_offset_delta;
        if self.first_seq > i32::MAX - delta {
            delta - (i32::MAX - self.first_seq) - 1
        } else {
            self.first_seq + delta
        }
    }
}

/// Result of checking an incoming batch against the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCheck {
    /// The batch continues the producer's sequence (or starts a new producer or epoch).
    Append,
    /// The batch was appended before (a retry): answer with its original offsets.
    Duplicate(BatchMetadata),
}

fn in_sequence(last_seq: i32, next_seq: i32) -> bool {
    next_seq == last_seq.wrapping_add(1) || (next_seq == 0 && last_seq == i32::MAX)
}

/// A transaction a marker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CompletedTxn {
    /// The producer.
    pub(crate) producer_id: i64,
    /// Offset of the transaction's first record.
    pub(crate) first_offset: i64,
    /// Offset of the marker.
    pub(crate) last_offset: i64,
    /// Last stable offset right after: the first offset of the earliest transaction still
    /// open, else the offset after the marker (Kafka's value for the `.txnindex`).
    pub(crate) last_stable_offset: i64,
    /// Whether it was aborted (only aborts go into the `.txnindex`).
    pub(crate) aborted: bool,
}

/// Producer state of one partition.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProducerStateManager {
    producers: HashMap<i64, ProducerEntry>,
    /// Open transactions: first offset -> producer ID (first offsets are distinct: each is
    /// the base offset of a different batch).
    ongoing: BTreeMap<i64, i64>,
}

impl ProducerStateManager {
    /// The entry of a producer, if the partition knows it.
    pub fn entry(&self, producer_id: i64) -> Option<&ProducerEntry> {
        self.producers.get(&producer_id)
    }

    /// Every known producer, sorted by ID (DescribeProducers).
    pub fn producers(&self) -> Vec<(i64, &ProducerEntry)> {
        let mut v: Vec<(i64, &ProducerEntry)> =
            self.producers.iter().map(|(id, e)| (*id, e)).collect();
        v.sort_by_key(|(id, _)| *id);
        v
    }

    /// Number of producers known.
    pub fn len(&self) -> usize {
        self.producers.len()
    }

    /// Whether no producer is known.
    pub fn is_empty(&self) -> bool {
        self.producers.is_empty()
    }

    /// Checks `batch` against `entry` (the producer's current entry, including batches of
    /// the same append that precede it).
    pub fn check(
        entry: Option<&ProducerEntry>,
        batch: &ProducerBatch,
    ) -> Result<SequenceCheck, AppendError> {
        let pid = batch.producer_id;
        let Some(entry) = entry else {
            return Ok(SequenceCheck::Append);
        };
        if batch.epoch < entry.epoch {
            return Err(AppendError::InvalidProducerEpoch(format!(
                "epoch {} of producer {pid} is older than its current epoch {}",
                batch.epoch, entry.epoch
            )));
        }
        if batch.epoch > entry.epoch {
            if batch.first_seq != 0 {
                return Err(AppendError::OutOfOrderSequence(format!(
                    "invalid sequence number for new epoch of producer {pid}: {} (request epoch), {} (seq. number), {} (current producer epoch)",
                    batch.epoch, batch.first_seq, entry.epoch
                )));
            }
        } else {
            if let Some(original) = entry.find_duplicate(batch.first_seq, batch.last_seq()) {
                return Ok(SequenceCheck::Duplicate(original));
            }
            let last = entry.last_seq();
            if last != NO_SEQUENCE && !in_sequence(last, batch.first_seq) {
                return Err(AppendError::OutOfOrderSequence(format!(
                    "out of order sequence number for producer {pid}: {} (incoming seq. number), {last} (current end sequence number)",
                    batch.first_seq
                )));
            }
        }
        // Kafka's rule: while a transaction is open, everything the producer writes here
        // belongs to it.
        if !batch.transactional {
            if let Some(first) = entry.current_txn_first_offset {
                return Err(AppendError::InvalidTxnState(format!(
                    "producer {pid} wrote a non-transactional batch while its transaction from offset {first} is open"
                )));
            }
        }
        Ok(SequenceCheck::Append)
    }

    /// Checks a transaction marker against the producer's entry: an older producer epoch
    /// is INVALID_PRODUCER_EPOCH, an older coordinator epoch TRANSACTION_COORDINATOR_FENCED.
    /// A producer the partition does not know may get a marker (it completes nothing).
    pub fn check_marker(
        entry: Option<&ProducerEntry>,
        marker: &TxnMarker,
    ) -> Result<(), AppendError> {
        let Some(entry) = entry else { return Ok(()) };
        let pid = marker.producer_id;
        if marker.producer_epoch < entry.epoch {
            return Err(AppendError::InvalidProducerEpoch(format!(
                "marker epoch {} of producer {pid} is older than its current epoch {}",
                marker.producer_epoch, entry.epoch
            )));
        }
        if marker.coordinator_epoch < entry.coordinator_epoch {
            return Err(AppendError::TransactionCoordinatorFenced(format!(
                "marker for producer {pid} from coordinator epoch {}, but epoch {} already wrote one",
                marker.coordinator_epoch, entry.coordinator_epoch
            )));
        }
        Ok(())
    }

    /// Changes a producer's entry (created at `epoch` if new) through `change`, keeping
    /// the open-transaction map in step with its `current_txn_first_offset`.
    fn modify(&mut self, producer_id: i64, epoch: i16, change: impl FnOnce(&mut ProducerEntry)) {
        let entry = self
            .producers
            .entry(producer_id)
            .or_insert_with(|| ProducerEntry::new(epoch));
        let before = entry.current_txn_first_offset;
        change(entry);
        let after = entry.current_txn_first_offset;
        self.move_txn(producer_id, before, after);
    }

    fn move_txn(&mut self, producer_id: i64, before: Option<i64>, after: Option<i64>) {
        if before == after {
            return;
        }
        if let Some(b) = before {
            self.ongoing.remove(&b);
        }
        if let Some(a) = after {
            self.ongoing.insert(a, producer_id);
        }
    }

    /// Records an appended batch.
    pub fn update(&mut self, batch: &ProducerBatch, first_offset: i64, timestamp: i64) {
        self.modify(batch.producer_id, batch.epoch, |e| {
            e.record(batch, first_offset, timestamp)
        });
    }

    /// Replaces a producer's entry (used to apply the entries an append built up).
    pub fn put(&mut self, producer_id: i64, entry: ProducerEntry) {
        let after = entry.current_txn_first_offset;
        let before = self
            .producers
            .insert(producer_id, entry)
            .and_then(|old| old.current_txn_first_offset);
        self.move_txn(producer_id, before, after);
    }

    /// Applies a marker written at `offset`: the producer moves to the marker's epoch
    /// (forgetting batches of another epoch, as Kafka does) and coordinator epoch, and its
    /// open transaction, if any, ends. Returns that transaction.
    pub(crate) fn complete_txn(
        &mut self,
        marker: &TxnMarker,
        offset: i64,
        timestamp: i64,
    ) -> Option<CompletedTxn> {
        let mut first = None;
        self.modify(marker.producer_id, marker.producer_epoch, |e| {
            first = e.current_txn_first_offset.take();
            e.set_epoch(marker.producer_epoch);
            e.coordinator_epoch = marker.coordinator_epoch;
            e.last_timestamp = timestamp;
        });
        let first_offset = first?;
        Some(CompletedTxn {
            producer_id: marker.producer_id,
            first_offset,
            last_offset: offset,
            last_stable_offset: self.first_open_txn_offset().unwrap_or(offset + 1),
            aborted: !marker.commit,
        })
    }

    /// First offset of the earliest open transaction.
    pub fn first_open_txn_offset(&self) -> Option<i64> {
        self.ongoing.keys().next().copied()
    }

    /// Open transactions as (producer ID, first offset), earliest first.
    pub fn open_transactions(&self) -> Vec<(i64, i64)> {
        self.ongoing
            .iter()
            .map(|(&first, &pid)| (pid, first))
            .collect()
    }

    /// Forgets producers idle (no batch, no marker) for `expiration_ms`
    /// (`producer.id.expiration.ms`); returns how many. A producer with an open transaction
    /// is never forgotten: its transaction still holds back the last stable offset.
    pub fn remove_expired(&mut self, now_ms: i64, expiration_ms: i64) -> usize {
        let before = self.producers.len();
        self.producers.retain(|_, e| {
            e.current_txn_first_offset.is_some()
                || now_ms.saturating_sub(e.last_timestamp) < expiration_ms
        });
        before - self.producers.len()
    }

    /// Forgets producers whose last batch is below the log start (deleted by retention or
    /// DeleteRecords), as Kafka does, except those with an open transaction.
    pub fn truncate_head(&mut self, log_start: i64) {
        self.producers
            .retain(|_, e| e.current_txn_first_offset.is_some() || e.last_offset() >= log_start);
    }

    // ------------------------------------------------------------ snapshots

    /// Writes `<dir>/<offset>.snapshot` (Kafka's layout: version 1, CRC-32C, then per
    /// producer its ID, epoch, last batch (sequence -1 and offset -1 without one), last
    /// timestamp, coordinator epoch and open transaction's first offset (-1 if none))
    /// atomically, and deletes older snapshots beyond the newest [`SNAPSHOTS_KEPT`].
    ///
    /// Nothing is fsynced: a snapshot is only a shortcut. One lost or torn by a power failure
    /// fails its CRC (or is missing) and the state is rebuilt from an older snapshot or the
    /// log itself, so durability costs nothing here — while an fsync per partition made
    /// stopping a broker with 10,000 partitions take seconds.
    pub fn write_snapshot(&self, dir: &Path, offset: i64) -> io::Result<()> {
        let mut body = Vec::with_capacity(4 + self.producers.len() * 46);
        body.extend_from_slice(&(self.producers.len() as i32).to_be_bytes());
        let mut ids: Vec<&i64> = self.producers.keys().collect();
        ids.sort();
        for id in ids {
            let e = &self.producers[id];
            let (last_seq, last_offset, delta) = match e.batches.back() {
                Some(b) => (
                    b.last_seq,
                    b.last_offset,
                    (b.last_offset - b.first_offset) as i32,
                ),
                None => (NO_SEQUENCE, -1, 0),
            };
            body.extend_from_slice(&id.to_be_bytes());
            body.extend_from_slice(&e.epoch.to_be_bytes());
            body.extend_from_slice(&last_seq.to_be_bytes());
            body.extend_from_slice(&last_offset.to_be_bytes());
            body.extend_from_slice(&delta.to_be_bytes());
            body.extend_from_slice(&e.last_timestamp.to_be_bytes());
            body.extend_from_slice(&e.coordinator_epoch.to_be_bytes());
            body.extend_from_slice(&e.current_txn_first_offset.unwrap_or(-1).to_be_bytes());
        }
        let mut file = Vec::with_capacity(6 + body.len());
        file.extend_from_slice(&1i16.to_be_bytes());
        file.extend_from_slice(&crc32c::crc32c(&body).to_be_bytes());
        file.extend_from_slice(&body);
        let path = snapshot_path(dir, offset);
        let tmp = path.with_extension("snapshot.tmp");
        fs::File::create(&tmp)?.write_all(&file)?;
        fs::rename(&tmp, &path)?;
        let mut snapshots = list_snapshots(dir)?;
        snapshots.retain(|(o, _)| *o < offset);
        let excess = (snapshots.len() + 1).saturating_sub(SNAPSHOTS_KEPT);
        for (_, old) in snapshots.into_iter().take(excess) {
            fs::remove_file(old)?;
        }
        Ok(())
    }

    /// Loads the newest snapshot at or below `max_offset`, deleting any beyond it (they
    /// describe data lost in a crash). Returns the state and the offset it covers up to
    /// (None without a usable snapshot). A corrupt snapshot is deleted and an older one
    /// tried.
    pub fn load_snapshot(dir: &Path, max_offset: i64) -> io::Result<(Self, Option<i64>)> {
        let mut snapshots = list_snapshots(dir)?;
        while let Some((offset, path)) = snapshots.pop() {
            if offset > max_offset {
                fs::remove_file(&path)?;
                continue;
            }
            match read_snapshot(&path) {
                Ok(state) => return Ok((state, Some(offset))),
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "deleting unreadable producer snapshot");
                    fs::remove_file(&path)?;
                }
            }
        }
        Ok((Self::default(), None))
    }

    /// Deletes snapshots above `offset` (after a truncation).
    pub fn delete_snapshots_above(dir: &Path, offset: i64) -> io::Result<()> {
        for (o, path) in list_snapshots(dir)? {
            if o > offset {
                fs::remove_file(path)?;
            }
        }
        Ok(())
    }
}

fn snapshot_path(dir: &Path, offset: i64) -> PathBuf {
    dir.join(format!("{offset:020}{SNAPSHOT_SUFFIX}"))
}

/// Snapshot files of `dir`, oldest first.
fn list_snapshots(dir: &Path) -> io::Result<Vec<(i64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(offset) = name
            .strip_suffix(SNAPSHOT_SUFFIX)
            .and_then(|n| n.parse::<i64>().ok())
        {
            out.push((offset, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

fn read_snapshot(path: &Path) -> io::Result<ProducerStateManager> {
    let bytes = fs::read(path)?;
    let bad = |why: &str| io::Error::new(io::ErrorKind::InvalidData, why.to_string());
    if bytes.len() < 10 {
        return Err(bad("snapshot too short"));
    }
    let version = i16::from_be_bytes([bytes[0], bytes[1]]);
    if version != 1 {
        return Err(bad("unknown snapshot version"));
    }
    let crc = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
    let body = &bytes[6..];
    if crc32c::crc32c(body) != crc {
        return Err(bad("snapshot CRC mismatch"));
    }
    let count = i32::from_be_bytes([body[0], body[1], body[2], body[3]]);
    const ENTRY: usize = 46;
    if count < 0 || body.len() != 4 + count as usize * ENTRY {
        return Err(bad("snapshot size does not match its entry count"));
    }
    let mut state = ProducerStateManager::default();
    for e in body[4..].chunks_exact(ENTRY) {
        let i64_at = |at: usize| i64::from_be_bytes(e[at..at + 8].try_into().expect("8 bytes"));
        let i32_at = |at: usize| i32::from_be_bytes(e[at..at + 4].try_into().expect("4 bytes"));
        let producer_id = i64_at(0);
        let epoch = i16::from_be_bytes([e[8], e[9]]);
        let last_seq = i32_at(10);
        let last_offset = i64_at(14);
        let delta = i32_at(22);
        let timestamp = i64_at(26);
        let coordinator_epoch = i32_at(34);
        let txn_first_offset = i64_at(38);
        let mut batches = VecDeque::with_capacity(1);
        // An entry without a batch (only markers seen) is written with offset -1.
        if last_offset >= 0 {
            let first_seq = if last_seq >= delta {
                last_seq - delta
            } else {
                i32::MAX - (delta - last_seq) + 1
            };
            batches.push_back(BatchMetadata {
                first_seq,
                last_seq,
                first_offset: last_offset - i64::from(delta),
                last_offset,
                timestamp,
            });
        }
        state.put(
            producer_id,
            ProducerEntry {
                epoch,
                batches,
                coordinator_epoch,
                current_txn_first_offset: (txn_first_offset >= 0).then_some(txn_first_offset),
                last_timestamp: timestamp,
            },
        );
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(pid: i64, epoch: i16, first_seq: i32, records: i32) -> ProducerBatch {
        ProducerBatch {
            producer_id: pid,
            epoch,
            first_seq,
            last_offset_delta: records - 1,
            transactional: false,
        }
    }

    fn txn_batch(pid: i64, epoch: i16, first_seq: i32, records: i32) -> ProducerBatch {
        ProducerBatch {
            transactional: true,
            ..batch(pid, epoch, first_seq, records)
        }
    }

    fn marker(pid: i64, epoch: i16, commit: bool, coordinator_epoch: i32) -> TxnMarker {
        TxnMarker {
            producer_id: pid,
            producer_epoch: epoch,
            commit,
            coordinator_epoch,
        }
    }

    /// Checks and, when new, applies a batch at `offset`; returns the check.
    fn append(
        s: &mut ProducerStateManager,
        b: ProducerBatch,
        offset: i64,
    ) -> Result<SequenceCheck, AppendError> {
        let c = ProducerStateManager::check(s.entry(b.producer_id), &b)?;
        if c == SequenceCheck::Append {
            s.update(&b, offset, 1000 + offset);
        }
        Ok(c)
    }

    #[test]
    fn sequences_duplicates_gaps_and_epochs() {
        let mut s = ProducerStateManager::default();
        // An unknown producer may start anywhere (its earlier data may have expired).
        assert_eq!(
            append(&mut s, batch(7, 0, 10, 3), 0).unwrap(),
            SequenceCheck::Append
        );
        assert_eq!(
            append(&mut s, batch(7, 0, 13, 2), 3).unwrap(),
            SequenceCheck::Append
        );
        // A retry of either batch is a duplicate pointing at the original offsets.
        let dup = append(&mut s, batch(7, 0, 10, 3), 99).unwrap();
        assert_eq!(
            dup,
            SequenceCheck::Duplicate(BatchMetadata {
                first_seq: 10,
                last_seq: 12,
                first_offset: 0,
                last_offset: 2,
                timestamp: 1000
            })
        );
        // A gap or a rewind is out of order.
        assert!(matches!(
            append(&mut s, batch(7, 0, 16, 1), 5),
            Err(AppendError::OutOfOrderSequence(_))
        ));
        assert!(matches!(
            append(&mut s, batch(7, 0, 11, 1), 5),
            Err(AppendError::OutOfOrderSequence(_))
        ));
        // A new epoch must start at 0; an old epoch is fenced.
        assert!(matches!(
            append(&mut s, batch(7, 1, 15, 1), 5),
            Err(AppendError::OutOfOrderSequence(_))
        ));
        assert_eq!(
            append(&mut s, batch(7, 1, 0, 1), 5).unwrap(),
            SequenceCheck::Append
        );
        assert!(matches!(
            append(&mut s, batch(7, 0, 15, 1), 6),
            Err(AppendError::InvalidProducerEpoch(_))
        ));
        // Only the last five batches are remembered.
        for i in 1..=6 {
            append(&mut s, batch(7, 1, i, 1), 5 + i as i64).unwrap();
        }
        assert!(matches!(
            append(&mut s, batch(7, 1, 1, 1), 20),
            Err(AppendError::OutOfOrderSequence(_))
        ));
        assert!(matches!(
            append(&mut s, batch(7, 1, 2, 1), 20).unwrap(),
            SequenceCheck::Duplicate(_)
        ));
    }

    #[test]
    fn sequences_wrap_at_i32_max() {
        let b = batch(1, 0, i32::MAX - 1, 4);
        assert_eq!(b.last_seq(), 1);
        let mut s = ProducerStateManager::default();
        append(&mut s, batch(1, 0, i32::MAX, 1), 0).unwrap();
        assert_eq!(
            append(&mut s, batch(1, 0, 0, 1), 1).unwrap(),
            SequenceCheck::Append
        );
    }

    #[test]
    fn snapshots_round_trip_and_skip_offsets_beyond_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ProducerStateManager::default();
        append(&mut s, batch(3, 2, 0, 5), 0).unwrap();
        append(&mut s, batch(4, 0, i32::MAX - 1, 4), 5).unwrap();
        s.write_snapshot(dir.path(), 9).unwrap();
        append(&mut s, batch(3, 2, 5, 1), 9).unwrap();
        s.write_snapshot(dir.path(), 10).unwrap();
        s.write_snapshot(dir.path(), 11).unwrap();
        // Only two snapshots are kept.
        assert_eq!(list_snapshots(dir.path()).unwrap().len(), 2);

        // A log that ends at 10 ignores (and deletes) the snapshot at 11.
        let (loaded, at) = ProducerStateManager::load_snapshot(dir.path(), 10).unwrap();
        assert_eq!(at, Some(10));
        assert_eq!(list_snapshots(dir.path()).unwrap().len(), 1);
        // The last batch of each producer survives: its retry is still a duplicate.
        let retry = ProducerStateManager::check(loaded.entry(3), &batch(3, 2, 5, 1)).unwrap();
        assert!(matches!(retry, SequenceCheck::Duplicate(m) if m.first_offset == 9));
        let wrapped = ProducerStateManager::check(loaded.entry(4), &batch(4, 0, i32::MAX - 1, 4));
        assert!(
            matches!(wrapped, Ok(SequenceCheck::Duplicate(m)) if m.first_offset == 5 && m.last_seq == 1)
        );
        assert_eq!(loaded.len(), 2);

        // A corrupt snapshot is dropped rather than trusted.
        let path = snapshot_path(dir.path(), 10);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, bytes).unwrap();
        let (empty, at) = ProducerStateManager::load_snapshot(dir.path(), 10).unwrap();
        assert_eq!((empty.len(), at), (0, None));
    }

    #[test]
    fn expiry_and_head_truncation() {
        let mut s = ProducerStateManager::default();
        append(&mut s, batch(1, 0, 0, 1), 0).unwrap(); // timestamp 1000
        append(&mut s, batch(2, 0, 0, 1), 50).unwrap(); // timestamp 1050
        assert_eq!(s.remove_expired(1060, 50), 1);
        assert!(s.entry(1).is_none() && s.entry(2).is_some());
        s.truncate_head(51);
        assert!(s.is_empty());
    }

    #[test]
    fn transactions_open_and_complete() {
        let mut s = ProducerStateManager::default();
        append(&mut s, txn_batch(1, 0, 0, 2), 10).unwrap(); // opens at 10
        append(&mut s, batch(2, 0, 0, 1), 12).unwrap(); // idempotent only
        append(&mut s, txn_batch(3, 0, 0, 1), 13).unwrap(); // opens at 13
        append(&mut s, txn_batch(1, 0, 2, 1), 14).unwrap(); // same transaction
        assert_eq!(s.open_transactions(), vec![(1, 10), (3, 13)]);
        assert_eq!(s.first_open_txn_offset(), Some(10));
        // A non-transactional batch inside an open transaction is INVALID_TXN_STATE.
        assert!(matches!(
            append(&mut s, batch(1, 0, 3, 1), 15),
            Err(AppendError::InvalidTxnState(_))
        ));
        // Aborting producer 1 at 15: producer 3's transaction is the new LSO.
        let done = s.complete_txn(&marker(1, 0, false, 4), 15, 2000).unwrap();
        assert_eq!(
            done,
            CompletedTxn {
                producer_id: 1,
                first_offset: 10,
                last_offset: 15,
                last_stable_offset: 13,
                aborted: true
            }
        );
        let e = s.entry(1).unwrap();
        assert_eq!(
            (
                e.coordinator_epoch,
                e.current_txn_first_offset,
                e.last_timestamp
            ),
            (4, None, 2000)
        );
        // Committing producer 3 at 16 leaves nothing open: LSO = marker + 1.
        let done = s.complete_txn(&marker(3, 0, true, 4), 16, 2001).unwrap();
        assert_eq!((done.last_stable_offset, done.aborted), (17, false));
        assert_eq!(s.first_open_txn_offset(), None);
        // A marker with nothing open completes nothing but still records the epochs.
        assert_eq!(s.complete_txn(&marker(9, 2, true, 5), 17, 2002), None);
        assert_eq!(s.entry(9).unwrap().epoch, 2);
        // Fencing: older producer epoch, older coordinator epoch.
        assert!(matches!(
            ProducerStateManager::check_marker(s.entry(9), &marker(9, 1, true, 5)),
            Err(AppendError::InvalidProducerEpoch(_))
        ));
        assert!(matches!(
            ProducerStateManager::check_marker(s.entry(9), &marker(9, 2, true, 4)),
            Err(AppendError::TransactionCoordinatorFenced(_))
        ));
        assert!(ProducerStateManager::check_marker(s.entry(9), &marker(9, 3, false, 5)).is_ok());
        assert!(ProducerStateManager::check_marker(None, &marker(42, 0, false, 0)).is_ok());
        // An old-epoch transactional batch is fenced too.
        append(&mut s, txn_batch(1, 1, 0, 1), 18).unwrap();
        assert!(matches!(
            append(&mut s, txn_batch(1, 0, 4, 1), 19),
            Err(AppendError::InvalidProducerEpoch(_))
        ));
        // A bumped-epoch marker ends the transaction and forgets the old epoch's batches.
        let done = s.complete_txn(&marker(1, 2, false, 5), 19, 2003).unwrap();
        assert_eq!(done.first_offset, 18);
        assert_eq!(s.entry(1).unwrap().epoch, 2);
        assert!(s.entry(1).unwrap().batches.is_empty());
    }

    #[test]
    fn open_transactions_survive_expiry_head_truncation_and_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ProducerStateManager::default();
        append(&mut s, txn_batch(1, 0, 0, 1), 0).unwrap(); // timestamp 1000, open
        append(&mut s, batch(2, 0, 0, 1), 1).unwrap(); // timestamp 1001
        s.complete_txn(&marker(3, 4, true, 7), 2, 1002); // marker only, no batch
                                                         // Everything is idle for long: only the open transaction's producer stays.
        assert_eq!(s.clone().remove_expired(10_000, 100), 2);
        let mut kept = s.clone();
        kept.remove_expired(10_000, 100);
        assert_eq!(kept.open_transactions(), vec![(1, 0)]);
        // Data below the log start: the open transaction's producer stays.
        let mut head = s.clone();
        head.truncate_head(5);
        assert!(head.entry(1).is_some() && head.entry(2).is_none());

        s.write_snapshot(dir.path(), 3).unwrap();
        let (loaded, at) = ProducerStateManager::load_snapshot(dir.path(), 3).unwrap();
        assert_eq!(at, Some(3));
        assert_eq!(loaded, s);
        assert_eq!(loaded.open_transactions(), vec![(1, 0)]);
        let marker_only = loaded.entry(3).unwrap();
        assert_eq!(
            (
                marker_only.epoch,
                marker_only.coordinator_epoch,
                marker_only.batches.len(),
                marker_only.last_timestamp
            ),
            (4, 7, 0, 1002)
        );
        // An open transaction with no batch left (not reachable through appends, but the
        // snapshot layout allows it) survives a round trip too.
        let mut odd = ProducerStateManager::default();
        odd.put(
            8,
            ProducerEntry {
                current_txn_first_offset: Some(40),
                ..ProducerEntry::new(1)
            },
        );
        odd.write_snapshot(dir.path(), 50).unwrap();
        let (loaded, _) = ProducerStateManager::load_snapshot(dir.path(), 50).unwrap();
        assert_eq!(loaded.open_transactions(), vec![(8, 40)]);
        assert_eq!(loaded, odd);
    }
}
