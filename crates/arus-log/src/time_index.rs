//! The `.timeindex` file: sparse map from timestamp to offset, Kafka format
//! (12-byte entries: timestamp i64 BE, relative offset u32 BE).
//!
//! An entry (T, O) means: T is the largest timestamp in the segment up to
//! the batch starting at offset O, and that batch is the first to reach T.
//! Timestamps strictly increase from entry to entry.

use std::path::PathBuf;

use crate::index_file::IndexFile;

/// Size of one `.timeindex` entry.
pub(crate) const TIME_ENTRY_SIZE: usize = 12;

/// A time index held in memory and appended to its file.
#[derive(Debug)]
pub(crate) struct TimeIndex {
    base_offset: i64,
    entries: Vec<(i64, u32)>,
    file: IndexFile,
}

impl TimeIndex {
    /// An empty index whose file will be rewritten at the next persist.
    pub(crate) fn fresh(path: PathBuf, base_offset: i64) -> Self {
        TimeIndex {
            base_offset,
            entries: Vec::new(),
            file: IndexFile::fresh(path, TIME_ENTRY_SIZE),
        }
    }

    /// Loads and checks the file: `Ok(Err(reason))` when it is missing, its
    /// size is not a multiple of 12, or entries go backwards.
    pub(crate) fn load(path: PathBuf, base_offset: i64) -> std::io::Result<Result<Self, String>> {
        let Some(bytes) = IndexFile::read(&path)? else {
            return Ok(Err(format!("{} is missing", path.display())));
        };
        match decode(&bytes) {
            Some(entries) => {
                let count = entries.len();
                Ok(Ok(TimeIndex {
                    base_offset,
                    entries,
                    file: IndexFile::loaded(path, TIME_ENTRY_SIZE, count),
                }))
            }
            None => Ok(Err(format!("{} is corrupt", path.display()))),
        }
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The newest entry as (timestamp, offset).
    pub(crate) fn last(&self) -> Option<(i64, i64)> {
        self.entries
            .last()
            .map(|&(ts, rel)| (ts, self.base_offset.saturating_add(i64::from(rel))))
    }

    /// Entry with the largest timestamp <= `timestamp`, as (timestamp, offset).
    pub(crate) fn lookup(&self, timestamp: i64) -> Option<(i64, i64)> {
        let idx = self.entries.partition_point(|&(ts, _)| ts <= timestamp);
        idx.checked_sub(1)
            .and_then(|i| self.entries.get(i))
            .map(|&(ts, rel)| (ts, self.base_offset.saturating_add(i64::from(rel))))
    }

    /// Adds (timestamp, offset) if the timestamp is larger than the last one
    /// (and than -1, "no timestamp") and the offset does not go backwards.
    pub(crate) fn maybe_append(&mut self, timestamp: i64, offset: i64) -> bool {
        let Ok(rel) = u32::try_from(offset.saturating_sub(self.base_offset)) else {
            return false;
        };
        let (last_ts, last_rel) = self.entries.last().copied().unwrap_or((-1, 0));
        if timestamp <= last_ts || rel < last_rel {
            return false;
        }
        self.entries.push((timestamp, rel));
        true
    }

    /// Drops entries whose offset is >= `offset`.
    pub(crate) fn truncate_to(&mut self, offset: i64) {
        let keep = self
            .entries
            .partition_point(|&(_, rel)| self.base_offset.saturating_add(i64::from(rel)) < offset);
        self.entries.truncate(keep);
        self.file.truncated_to(keep);
    }

    /// Writes entries not yet in the file; fsyncs with `sync`.
    pub(crate) fn persist(&mut self, sync: bool) -> std::io::Result<()> {
        let from = self.file.persisted_entries().min(self.entries.len());
        let mut pending = Vec::with_capacity((self.entries.len() - from) * TIME_ENTRY_SIZE);
        for &(ts, rel) in self.entries.get(from..).unwrap_or(&[]) {
            pending.extend_from_slice(&ts.to_be_bytes());
            pending.extend_from_slice(&rel.to_be_bytes());
        }
        self.file.persist(&pending, sync)
    }
}

/// Decodes entries, `None` if the size or the ordering is wrong.
fn decode(bytes: &[u8]) -> Option<Vec<(i64, u32)>> {
    if bytes.len() % TIME_ENTRY_SIZE != 0 {
        return None;
    }
    let mut entries: Vec<(i64, u32)> = Vec::with_capacity(bytes.len() / TIME_ENTRY_SIZE);
    for chunk in bytes.chunks_exact(TIME_ENTRY_SIZE) {
        let (ts, rel) = chunk.split_at(8);
        let ts = i64::from_be_bytes(ts.try_into().ok()?);
        let rel = u32::from_be_bytes(rel.try_into().ok()?);
        if let Some(&(last_ts, last_rel)) = entries.last() {
            if ts < last_ts || rel < last_rel {
                return None;
            }
        }
        entries.push((ts, rel));
    }
    Some(entries)
}

/// Reads only the last entry of a time index file, as (timestamp, offset):
/// `Ok(Some(None))` for an empty file, `Ok(None)` if the file is missing or
/// its size is wrong (the caller then loads and, if needed, rebuilds).
pub(crate) fn peek_last_entry(
    path: &std::path::Path,
    base_offset: i64,
) -> std::io::Result<Option<Option<(i64, i64)>>> {
    use std::os::unix::fs::FileExt;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    if len % TIME_ENTRY_SIZE as u64 != 0 {
        return Ok(None);
    }
    if len == 0 {
        return Ok(Some(None));
    }
    let mut buf = [0u8; TIME_ENTRY_SIZE];
    file.read_exact_at(&mut buf, len - TIME_ENTRY_SIZE as u64)?;
    let (ts, rel) = buf.split_at(8);
    let ts = i64::from_be_bytes(ts.try_into().unwrap_or_default());
    let rel = u32::from_be_bytes(rel.try_into().unwrap_or_default());
    Ok(Some(Some((ts, base_offset.saturating_add(i64::from(rel))))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_append_truncate_persist_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("00000000000000000010.timeindex");
        let mut idx = TimeIndex::fresh(path.clone(), 10);
        assert!(!idx.maybe_append(-1, 10), "no-timestamp is never indexed");
        assert!(idx.maybe_append(100, 10));
        assert!(!idx.maybe_append(100, 12), "timestamp must grow");
        assert!(idx.maybe_append(200, 15));
        assert!(!idx.maybe_append(300, 14), "offset must not go back");
        assert!(idx.maybe_append(300, 20));
        assert_eq!(idx.lookup(50), None);
        assert_eq!(idx.lookup(100), Some((100, 10)));
        assert_eq!(idx.lookup(250), Some((200, 15)));
        assert_eq!(idx.lookup(i64::MAX), Some((300, 20)));
        idx.persist(true).unwrap();
        assert_eq!(peek_last_entry(&path, 10).unwrap(), Some(Some((300, 20))));
        idx.truncate_to(20);
        idx.persist(false).unwrap();
        assert_eq!(peek_last_entry(&path, 10).unwrap(), Some(Some((200, 15))));
        let loaded = TimeIndex::load(path.clone(), 10).unwrap().unwrap();
        assert_eq!(loaded.last(), Some((200, 15)));
        assert_eq!(loaded.len(), 2);
        std::fs::write(&path, [0u8; 13]).unwrap();
        assert!(TimeIndex::load(path.clone(), 10).unwrap().is_err());
        assert_eq!(peek_last_entry(&path, 10).unwrap(), None);
    }
}
