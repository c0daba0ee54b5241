//! One partition this broker leads: its log behind a lock, and the offsets clients see.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use arus_log::{
    AbortedTxn, AppendError, AppendInfo, FetchSlice, Log, LogConfig, LogError, TxnMarker,
};
use tokio::sync::Notify;
use tracing::error;

/// The leader epoch of every partition while Arus runs as a single node.
pub const LEADER_EPOCH: i32 = 0;

/// Offsets of a partition at one moment, as Fetch and ListOffsets report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionOffsets {
    /// First offset still in the log.
    pub log_start: i64,
    /// Offset up to which data is committed (visible to consumers).
    pub high_watermark: i64,
    /// Last stable offset: where the earliest open transaction starts, else the high
    /// watermark. read_committed consumers read up to here.
    pub last_stable: i64,
    /// Offset the next appended record gets.
    pub log_end: i64,
}

/// A partition hosted here: the topic name, its index, the log directory root it lives in,
/// and its log. The lock is per partition, so a slow disk write on one partition never
/// holds up another; reads take the lock only to plan a file range.
pub struct Partition {
    /// Topic this partition belongs to.
    pub topic: String,
    /// Partition index within the topic.
    pub index: i32,
    /// The `log.dirs` entry holding this partition's directory.
    pub log_dir: PathBuf,
    log: Mutex<Log>,
    /// Long-polling fetches waiting for this partition's next append. Only they are woken,
    /// so consumers waiting on quiet partitions cost nothing while others are busy.
    waiters: Mutex<Vec<Arc<Notify>>>,
}

impl Partition {
    /// Wraps an opened log.
    pub fn new(topic: String, index: i32, log_dir: PathBuf, log: Log) -> Self {
        Partition {
            topic,
            index,
            log_dir,
            log: Mutex::new(log),
            waiters: Mutex::new(Vec::new()),
        }
    }

    /// Registers a fetch to be woken (once) by the next append here. A fetch registers before
    /// it reads, so an append between its read and its wait leaves a permit and is not missed.
    /// Registrations of fetches that have finished (no one else holds their `Notify`) are
    /// dropped here, so a partition that never gets data does not collect them.
    pub fn wake_on_append(&self, waiter: &Arc<Notify>) {
        let mut waiters = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        waiters.retain(|w| Arc::strong_count(w) > 1);
        if !waiters.iter().any(|w| Arc::ptr_eq(w, waiter)) {
            waiters.push(waiter.clone());
        }
    }

    fn wake_waiters(&self) {
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap_or_else(|p| p.into_inner()));
        for w in waiters {
            w.notify_one();
        }
    }

    /// The partition's log, locked. A panic while holding the lock elsewhere must not take
    /// the partition down with it, so a poisoned lock is recovered.
    pub fn log(&self) -> MutexGuard<'_, Log> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends validated record batches. As the only replica, the leader advances the high
    /// watermark right away; flushes when `flush.messages`/`flush.ms` say so.
    pub fn append(&self, records: &[u8], now_ms: i64) -> Result<AppendInfo, AppendError> {
        self.write(now_ms, |log| log.append(records, LEADER_EPOCH, now_ms))
    }

    /// Writes a transaction marker (commit or abort) for a producer's transaction. A marker
    /// moves the last stable offset, so read_committed fetches waiting here are woken too.
    pub fn append_marker(&self, marker: TxnMarker, now_ms: i64) -> Result<AppendInfo, AppendError> {
        self.write(now_ms, |log| {
            log.append_marker(marker, LEADER_EPOCH, now_ms)
        })
    }

    /// Runs one append under the lock, then what follows every append: the high watermark
    /// moves to the log end, a due flush runs, and (lock released) waiting fetches are woken.
    fn write(
        &self,
        now_ms: i64,
        append: impl FnOnce(&mut Log) -> Result<AppendInfo, AppendError>,
    ) -> Result<AppendInfo, AppendError> {
        let mut log = self.log();
        let info = append(&mut log)?;
        let leo = log.log_end_offset();
        log.set_high_watermark(leo);
        if let Err(e) = log.flush_if_due(now_ms) {
            error!(topic = %self.topic, partition = self.index, error = %e, "flush failed");
        }
        drop(log);
        self.wake_waiters();
        Ok(info)
    }

    /// Plans a read_committed fetch at `offset`: up to the last stable offset, with the
    /// aborted transactions the returned data overlaps.
    pub fn read_committed(
        &self,
        offset: i64,
    ) -> Result<(FetchSlice, PartitionOffsets, Vec<AbortedTxn>), LogError> {
        let log = self.log();
        let offsets = offsets_of(&log);
        let slice = log.read(offset, offsets.last_stable)?;
        let aborted = log.aborted_transactions(offset, offsets.last_stable)?;
        Ok((slice, offsets, aborted))
    }

    /// The current offsets.
    pub fn offsets(&self) -> PartitionOffsets {
        offsets_of(&self.log())
    }

    /// Plans a fetch at `offset` up to the high watermark; the returned slice is read after
    /// the lock is released.
    pub fn read(&self, offset: i64) -> Result<(FetchSlice, PartitionOffsets), LogError> {
        let log = self.log();
        let offsets = offsets_of(&log);
        let slice = log.read(offset, offsets.high_watermark)?;
        Ok((slice, offsets))
    }

    /// Applies a changed topic configuration to the live log.
    pub fn update_config(&self, config: LogConfig) {
        self.log().update_config(config);
    }

    /// Size of the partition's log on disk in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.log().size_bytes()
    }
}

fn offsets_of(log: &Log) -> PartitionOffsets {
    let hw = log.high_watermark();
    PartitionOffsets {
        log_start: log.log_start_offset(),
        high_watermark: hw,
        last_stable: log.last_stable_offset().min(hw),
        log_end: log.log_end_offset(),
    }
}
