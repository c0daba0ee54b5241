//! The `.index` file: sparse map from offset to file position, Kafka format
//! (8-byte entries: relative offset u32 BE, position u32 BE).
//!
//! Arus stores the *base* offset of the indexed batch (Kafka stores its last
//! offset). Both are correct starting points for "largest entry <= target,
//! then scan forward", so either reader understands the other's files.

use std::path::PathBuf;

use crate::index_file::IndexFile;

/// Size of one `.index` entry.
pub(crate) const OFFSET_ENTRY_SIZE: usize = 8;

/// An offset index held in memory and appended to its file.
#[derive(Debug)]
pub(crate) struct OffsetIndex {
    base_offset: i64,
    entries: Vec<(u32, u32)>,
    file: IndexFile,
}

impl OffsetIndex {
    /// An empty index whose file will be rewritten at the next persist.
    pub(crate) fn fresh(path: PathBuf, base_offset: i64) -> Self {
        OffsetIndex {
            base_offset,
            entries: Vec::new(),
            file: IndexFile::fresh(path, OFFSET_ENTRY_SIZE),
        }
    }

    /// Loads and checks the file: `Ok(Err(reason))` when it is missing or
    /// unusable (size not a multiple of 8, offsets or positions not
    /// increasing, positions past the log's `log_size`).
    pub(crate) fn load(
        path: PathBuf,
        base_offset: i64,
        log_size: u64,
    ) -> std::io::Result<Result<Self, String>> {
        let Some(bytes) = IndexFile::read(&path)? else {
            return Ok(Err(format!("{} is missing", path.display())));
        };
        if bytes.len() % OFFSET_ENTRY_SIZE != 0 {
            return Ok(Err(format!(
                "{} has size {}, not a multiple of {OFFSET_ENTRY_SIZE}",
                path.display(),
                bytes.len()
            )));
        }
        let mut entries = Vec::with_capacity(bytes.len() / OFFSET_ENTRY_SIZE);
        for chunk in bytes.chunks_exact(OFFSET_ENTRY_SIZE) {
            let (rel, pos) = chunk.split_at(4);
            let rel = u32::from_be_bytes(rel.try_into().unwrap_or_default());
            let pos = u32::from_be_bytes(pos.try_into().unwrap_or_default());
            if let Some(&(last_rel, last_pos)) = entries.last() {
                if rel <= last_rel || pos <= last_pos {
                    return Ok(Err(format!(
                        "{} entries are not increasing",
                        path.display()
                    )));
                }
            }
            if u64::from(pos) >= log_size {
                return Ok(Err(format!(
                    "{} points at position {pos}, past the log's {log_size} bytes",
                    path.display()
                )));
            }
            entries.push((rel, pos));
        }
        let count = entries.len();
        Ok(Ok(OffsetIndex {
            base_offset,
            entries,
            file: IndexFile::loaded(path, OFFSET_ENTRY_SIZE, count),
        }))
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn absolute(&self, entry: (u32, u32)) -> (i64, u64) {
        (
            self.base_offset.saturating_add(i64::from(entry.0)),
            u64::from(entry.1),
        )
    }

    /// The newest entry as (offset, position).
    pub(crate) fn last(&self) -> Option<(i64, u64)> {
        self.entries.last().map(|&e| self.absolute(e))
    }

    /// Largest entry with offset <= `target`, as (offset, position).
    pub(crate) fn lookup(&self, target: i64) -> Option<(i64, u64)> {
        if target < self.base_offset {
            return None;
        }
        let rel = u32::try_from(target - self.base_offset).unwrap_or(u32::MAX);
        let idx = self.entries.partition_point(|&(r, _)| r <= rel);
        idx.checked_sub(1)
            .and_then(|i| self.entries.get(i))
            .map(|&e| self.absolute(e))
    }

    /// Adds an entry; refused (false) unless offset and position increase
    /// and both fit in 32 bits relative to the segment.
    pub(crate) fn append(&mut self, offset: i64, position: u64) -> bool {
        let (Ok(rel), Ok(pos)) = (
            u32::try_from(offset.saturating_sub(self.base_offset)),
            u32::try_from(position),
        ) else {
            return false;
        };
        if let Some(&(last_rel, last_pos)) = self.entries.last() {
            if rel <= last_rel || pos <= last_pos {
                return false;
            }
        }
        self.entries.push((rel, pos));
        true
    }

    /// Drops entries whose offset is >= `offset`.
    pub(crate) fn truncate_to(&mut self, offset: i64) {
        let keep = match u32::try_from(offset.saturating_sub(self.base_offset)) {
            Ok(rel) => self.entries.partition_point(|&(r, _)| r < rel),
            Err(_) if offset < self.base_offset => 0,
            Err(_) => self.entries.len(),
        };
        self.entries.truncate(keep);
        self.file.truncated_to(keep);
    }

    /// Writes entries not yet in the file; fsyncs with `sync`.
    pub(crate) fn persist(&mut self, sync: bool) -> std::io::Result<()> {
        let from = self.file.persisted_entries().min(self.entries.len());
        let mut pending = Vec::with_capacity((self.entries.len() - from) * OFFSET_ENTRY_SIZE);
        for &(rel, pos) in self.entries.get(from..).unwrap_or(&[]) {
            pending.extend_from_slice(&rel.to_be_bytes());
            pending.extend_from_slice(&pos.to_be_bytes());
        }
        self.file.persist(&pending, sync)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_append_truncate_persist_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("00000000000000000100.index");
        let mut idx = OffsetIndex::fresh(path.clone(), 100);
        assert_eq!(idx.lookup(150), None);
        assert!(idx.append(100, 0));
        assert!(idx.append(110, 500));
        assert!(idx.append(120, 900));
        assert!(!idx.append(120, 1000), "offsets must increase");
        assert!(!idx.append(130, 900), "positions must increase");
        assert!(!idx.append(99, 1000), "below base");
        assert_eq!(idx.lookup(99), None);
        assert_eq!(idx.lookup(100), Some((100, 0)));
        assert_eq!(idx.lookup(115), Some((110, 500)));
        assert_eq!(idx.lookup(1_000_000), Some((120, 900)));
        idx.persist(true).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 24);
        idx.truncate_to(111);
        assert_eq!(idx.last(), Some((110, 500)));
        idx.persist(false).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 16);
        let loaded = OffsetIndex::load(path.clone(), 100, 1000).unwrap().unwrap();
        assert_eq!(loaded.last(), Some((110, 500)));
        assert!(OffsetIndex::load(path.clone(), 100, 500).unwrap().is_err());
        std::fs::write(&path, [0u8; 12]).unwrap();
        assert!(OffsetIndex::load(path.clone(), 100, 1000).unwrap().is_err());
        std::fs::remove_file(&path).unwrap();
        assert!(OffsetIndex::load(path, 100, 1000).unwrap().is_err());
    }
}
