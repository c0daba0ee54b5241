//! Idempotent producer state of one partition: per producer ID its epoch and the metadata of
//! its last few batches, so a retried batch is recognised as a duplicate (and answered with
//! its original offsets) and a gap or reordering in sequence numbers is refused.
//!
//! The rules are Kafka's (`ProducerStateManager`): a producer the partition has never seen
//! (or has expired) may start at any sequence; a known producer must continue its sequence
//! within an epoch, start again at 0 in a newer epoch, and is fenced with an older epoch.
//!
//! State is rebuilt on open from the newest snapshot (`<offset>.snapshot`, Kafka's format)
//! plus the batches after it, so de-duplication survives restarts and crashes.

use std::collections::{HashMap, VecDeque};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::AppendError;
use crate::io_util::sync_dir;

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
}

impl ProducerEntry {
    /// A producer with no batch yet.
    pub fn new(epoch: i16) -> Self {
        ProducerEntry {
            epoch,
            batches: VecDeque::with_capacity(1),
        }
    }

    /// Records an appended batch of this producer (a newer epoch forgets the old batches).
    pub fn record(&mut self, batch: &ProducerBatch, first_offset: i64, timestamp: i64) {
        if batch.epoch != self.epoch {
            self.epoch = batch.epoch;
            self.batches.clear();
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

    fn last_seq(&self) -> i32 {
        self.batches.back().map_or(NO_SEQUENCE, |b| b.last_seq)
    }

    fn last_offset(&self) -> i64 {
        self.batches.back().map_or(-1, |b| b.last_offset)
    }

    fn last_timestamp(&self) -> i64 {
        self.batches.back().map_or(-1, |b| b.timestamp)
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

/// Producer state of one partition.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProducerStateManager {
    producers: HashMap<i64, ProducerEntry>,
}

impl ProducerStateManager {
    /// The entry of a producer, if the partition knows it.
    pub fn entry(&self, producer_id: i64) -> Option<&ProducerEntry> {
        self.producers.get(&producer_id)
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
            return Ok(SequenceCheck::Append);
        }
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
        Ok(SequenceCheck::Append)
    }

    /// Records an appended batch.
    pub fn update(&mut self, batch: &ProducerBatch, first_offset: i64, timestamp: i64) {
        self.producers
            .entry(batch.producer_id)
            .or_insert_with(|| ProducerEntry::new(batch.epoch))
            .record(batch, first_offset, timestamp);
    }

    /// Replaces a producer's entry (used to apply the entries an append built up).
    pub fn put(&mut self, producer_id: i64, entry: ProducerEntry) {
        self.producers.insert(producer_id, entry);
    }

    /// Forgets producers whose last batch is older than `expiration_ms`
    /// (`producer.id.expiration.ms`); returns how many.
    pub fn remove_expired(&mut self, now_ms: i64, expiration_ms: i64) -> usize {
        let before = self.producers.len();
        self.producers
            .retain(|_, e| now_ms.saturating_sub(e.last_timestamp()) < expiration_ms);
        before - self.producers.len()
    }

    /// Forgets producers whose last batch is below the log start (deleted by retention or
    /// DeleteRecords), as Kafka does.
    pub fn truncate_head(&mut self, log_start: i64) {
        self.producers.retain(|_, e| e.last_offset() >= log_start);
    }

    // ------------------------------------------------------------ snapshots

    /// Writes `<dir>/<offset>.snapshot` (Kafka's layout: version 1, CRC-32C, then per
    /// producer its ID, epoch and last batch) atomically, and deletes older snapshots beyond
    /// the newest [`SNAPSHOTS_KEPT`].
    pub fn write_snapshot(&self, dir: &Path, offset: i64) -> io::Result<()> {
        let mut body = Vec::with_capacity(4 + self.producers.len() * 46);
        body.extend_from_slice(&(self.producers.len() as i32).to_be_bytes());
        let mut ids: Vec<&i64> = self.producers.keys().collect();
        ids.sort();
        for id in ids {
            let e = &self.producers[id];
            let Some(last) = e.batches.back() else {
                continue;
            };
            let delta = (last.last_offset - last.first_offset) as i32;
            body.extend_from_slice(&id.to_be_bytes());
            body.extend_from_slice(&e.epoch.to_be_bytes());
            body.extend_from_slice(&last.last_seq.to_be_bytes());
            body.extend_from_slice(&last.last_offset.to_be_bytes());
            body.extend_from_slice(&delta.to_be_bytes());
            body.extend_from_slice(&last.timestamp.to_be_bytes());
            body.extend_from_slice(&(-1i32).to_be_bytes()); // coordinator epoch
            body.extend_from_slice(&(-1i64).to_be_bytes()); // current txn first offset
        }
        let mut file = Vec::with_capacity(6 + body.len());
        file.extend_from_slice(&1i16.to_be_bytes());
        file.extend_from_slice(&crc32c::crc32c(&body).to_be_bytes());
        file.extend_from_slice(&body);
        let path = snapshot_path(dir, offset);
        let tmp = path.with_extension("snapshot.tmp");
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&file)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &path)?;
        let mut snapshots = list_snapshots(dir)?;
        snapshots.retain(|(o, _)| *o < offset);
        let excess = (snapshots.len() + 1).saturating_sub(SNAPSHOTS_KEPT);
        for (_, old) in snapshots.into_iter().take(excess) {
            fs::remove_file(old)?;
        }
        sync_dir(dir)
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
        let first_seq = if last_seq >= delta {
            last_seq - delta
        } else {
            i32::MAX - (delta - last_seq) + 1
        };
        let mut batches = VecDeque::with_capacity(1);
        batches.push_back(BatchMetadata {
            first_seq,
            last_seq,
            first_offset: last_offset - i64::from(delta),
            last_offset,
            timestamp,
        });
        state
            .producers
            .insert(producer_id, ProducerEntry { epoch, batches });
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
}
