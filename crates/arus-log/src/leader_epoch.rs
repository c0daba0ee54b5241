//! The `leader-epoch-checkpoint` file of a partition and its in-memory
//! cache: which leader epoch started at which offset. Same text format as
//! offset checkpoints, with `<epoch> <start_offset>` lines. Persisted
//! atomically on every change (changes are rare: once per leader election).

use std::io;
use std::path::{Path, PathBuf};

use crate::checkpoint::{read_entry_lines, write_entry_lines};

/// File name inside the partition directory.
pub const LEADER_EPOCH_CHECKPOINT_FILE: &str = "leader-epoch-checkpoint";

/// One epoch and the first offset written in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    /// Leader epoch.
    pub epoch: i32,
    /// First offset appended under that epoch.
    pub start_offset: i64,
}

/// Leader epoch history of a partition, kept sorted by epoch and offset.
#[derive(Debug)]
pub struct LeaderEpochCache {
    path: PathBuf,
    entries: Vec<EpochEntry>,
}

impl LeaderEpochCache {
    /// Loads `path` (a missing file is an empty history).
    pub fn load(path: &Path) -> io::Result<LeaderEpochCache> {
        let mut entries: Vec<EpochEntry> = Vec::new();
        for parts in read_entry_lines(path, 2)? {
            let bad = || {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad entry in {}", path.display()),
                )
            };
            let [epoch, start_offset] = <[String; 2]>::try_from(parts).map_err(|_| bad())?;
            let epoch: i32 = epoch.parse().map_err(|_| bad())?;
            let start_offset: i64 = start_offset.parse().map_err(|_| bad())?;
            if let Some(last) = entries.last() {
                if epoch <= last.epoch || start_offset < last.start_offset {
                    return Err(bad());
                }
            }
            entries.push(EpochEntry {
                epoch,
                start_offset,
            });
        }
        Ok(LeaderEpochCache {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// All entries, oldest first.
    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    /// Newest epoch, if any.
    pub fn latest_epoch(&self) -> Option<i32> {
        self.entries.last().map(|e| e.epoch)
    }

    /// Records that `epoch` starts at `start_offset`. Entries that conflict
    /// (same or newer epoch, or starting at or after that offset) are
    /// replaced, as in Kafka. Returns whether anything changed.
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> io::Result<bool> {
        if epoch < 0 || start_offset < 0 {
            return Ok(false);
        }
        if let Some(last) = self.entries.last() {
            if last.epoch == epoch && last.start_offset <= start_offset {
                return Ok(false);
            }
        }
        self.entries
            .retain(|e| e.epoch < epoch && e.start_offset < start_offset);
        self.entries.push(EpochEntry {
            epoch,
            start_offset,
        });
        self.persist()?;
        Ok(true)
    }

    /// OffsetsForLeaderEpoch: the largest epoch <= `epoch` and the offset
    /// where the next epoch starts (`log_end_offset` for the latest epoch).
    /// `None` if `epoch` is newer than every known epoch or nothing is known.
    pub fn end_offset_for(&self, epoch: i32, log_end_offset: i64) -> Option<(i32, i64)> {
        let last = self.entries.last()?;
        if epoch == last.epoch {
            return Some((epoch, log_end_offset));
        }
        let higher = self.entries.partition_point(|e| e.epoch <= epoch);
        let next = self.entries.get(higher)?;
        match higher.checked_sub(1).and_then(|i| self.entries.get(i)) {
            Some(floor) => Some((floor.epoch, next.start_offset)),
            None => Some((epoch, next.start_offset)),
        }
    }

    /// Forgets every epoch (the log was emptied and restarted elsewhere).
    pub fn clear(&mut self) -> io::Result<()> {
        if !self.entries.is_empty() {
            self.entries.clear();
            self.persist()?;
        }
        Ok(())
    }

    /// Forgets epochs that start at or after `end_offset` (log truncation).
    pub fn truncate_from_end(&mut self, end_offset: i64) -> io::Result<()> {
        let before = self.entries.len();
        self.entries.retain(|e| e.start_offset < end_offset);
        if self.entries.len() != before {
            self.persist()?;
        }
        Ok(())
    }

    /// Forgets epochs entirely below `start_offset` (log start moved); the
    /// epoch covering `start_offset` is kept, starting there.
    pub fn truncate_from_start(&mut self, start_offset: i64) -> io::Result<()> {
        let covering = self
            .entries
            .partition_point(|e| e.start_offset <= start_offset);
        let Some(keep_from) = covering.checked_sub(1) else {
            return Ok(());
        };
        let changed = keep_from > 0
            || self
                .entries
                .get(keep_from)
                .is_some_and(|e| e.start_offset < start_offset);
        if changed {
            self.entries.drain(..keep_from);
            if let Some(first) = self.entries.first_mut() {
                first.start_offset = start_offset;
            }
            self.persist()?;
        }
        Ok(())
    }

    fn persist(&self) -> io::Result<()> {
        let lines: Vec<String> = self
            .entries
            .iter()
            .map(|e| format!("{} {}", e.epoch, e.start_offset))
            .collect();
        write_entry_lines(&self.path, &lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(c: &LeaderEpochCache) -> Vec<(i32, i64)> {
        c.entries()
            .iter()
            .map(|e| (e.epoch, e.start_offset))
            .collect()
    }

    #[test]
    fn assign_lookup_truncate_persist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEADER_EPOCH_CHECKPOINT_FILE);
        let mut c = LeaderEpochCache::load(&path).unwrap();
        assert_eq!(c.latest_epoch(), None);
        assert_eq!(c.end_offset_for(0, 10), None);
        assert!(c.assign(1, 0).unwrap());
        assert!(!c.assign(1, 5).unwrap());
        assert!(c.assign(3, 10).unwrap());
        assert!(c.assign(5, 20).unwrap());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "0\n3\n1 0\n3 10\n5 20\n"
        );
        assert_eq!(c.end_offset_for(5, 30), Some((5, 30)));
        assert_eq!(c.end_offset_for(4, 30), Some((3, 20)));
        assert_eq!(c.end_offset_for(3, 30), Some((3, 20)));
        assert_eq!(c.end_offset_for(1, 30), Some((1, 10)));
        assert_eq!(c.end_offset_for(0, 30), Some((0, 0)));
        assert_eq!(c.end_offset_for(6, 30), None);
        c.truncate_from_end(15).unwrap();
        assert_eq!(pairs(&c), vec![(1, 0), (3, 10)]);
        c.truncate_from_start(12).unwrap();
        assert_eq!(pairs(&c), vec![(3, 12)]);
        let reloaded = LeaderEpochCache::load(&path).unwrap();
        assert_eq!(pairs(&reloaded), vec![(3, 12)]);
        // A new epoch starting below existing entries replaces them.
        assert!(c.assign(7, 11).unwrap());
        assert_eq!(pairs(&c), vec![(7, 11)]);
    }
}
