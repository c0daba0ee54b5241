//! Append-only persistence of an in-memory index to its file. Entries are
//! kept in memory; only the entries not yet on disk are written, and the
//! file is cut back after the in-memory index was truncated.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Tracks how much of an index is already in its file.
#[derive(Debug)]
pub(crate) struct IndexFile {
    path: PathBuf,
    entry_size: usize,
    persisted: usize,
    truncate_pending: bool,
    unsynced: bool,
}

impl IndexFile {
    /// An index whose file must be (re)written from scratch at next persist.
    pub(crate) fn fresh(path: PathBuf, entry_size: usize) -> Self {
        IndexFile {
            path,
            entry_size,
            persisted: 0,
            truncate_pending: true,
            unsynced: true,
        }
    }

    /// An index loaded from its file, which already holds `entries` entries.
    pub(crate) fn loaded(path: PathBuf, entry_size: usize, entries: usize) -> Self {
        IndexFile {
            path,
            entry_size,
            persisted: entries,
            truncate_pending: false,
            unsynced: false,
        }
    }

    /// Reads the whole file; `None` if it does not exist.
    pub(crate) fn read(path: &Path) -> io::Result<Option<Vec<u8>>> {
        match File::open(path) {
            Ok(mut f) => {
                let mut buf = Vec::new();
                f.read_to_end(&mut buf)?;
                Ok(Some(buf))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Entries already written to the file.
    pub(crate) fn persisted_entries(&self) -> usize {
        self.persisted
    }

    /// Notes that the in-memory index now has only `remaining` entries.
    pub(crate) fn truncated_to(&mut self, remaining: usize) {
        if remaining < self.persisted {
            self.persisted = remaining;
            self.truncate_pending = true;
        }
    }

    /// Writes `pending` (the encoded entries after the persisted ones) and,
    /// with `sync`, fsyncs the file.
    pub(crate) fn persist(&mut self, pending: &[u8], sync: bool) -> io::Result<()> {
        if pending.is_empty() && !self.truncate_pending && !(sync && self.unsynced) {
            return Ok(());
        }
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.path)?;
        let at = (self.persisted * self.entry_size) as u64;
        if self.truncate_pending {
            file.set_len(at)?;
        }
        file.write_all_at(pending, at)?;
        self.persisted += pending.len() / self.entry_size;
        self.truncate_pending = false;
        self.unsynced = true;
        if sync {
            file.sync_all()?;
            self.unsynced = false;
        }
        Ok(())
    }
}
