//! A segment's `.txnindex`: the aborted transactions whose abort marker landed in the
//! segment, so a read_committed fetch can list them and the consumer can drop their
//! records (KIP-98). Commits need no entry: committed records are simply delivered.
//!
//! Kafka's on-disk format: back-to-back 34-byte big-endian entries `[i16 version 0]
//! [i64 producer id][i64 first offset][i64 last offset (the marker)][i64 last stable offset
//! after the abort]`, in marker order. The file exists only once a segment has an abort.
//! Entries are written through to the file at once (an abort is rare and a fetch may need
//! it right away) and fsynced with the segment. In memory they load lazily, on first use,
//! like the other indexes of closed segments.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tracing::warn;

use crate::producer_state::CompletedTxn;

/// An aborted transaction as a read_committed Fetch response lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortedTxn {
    /// The producer whose transaction was aborted.
    pub producer_id: i64,
    /// Offset of the transaction's first record in this partition.
    pub first_offset: i64,
}

/// One entry of a `.txnindex`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AbortedTxnEntry {
    /// The producer whose transaction was aborted.
    pub(crate) producer_id: i64,
    /// Offset of the transaction's first record.
    pub(crate) first_offset: i64,
    /// Offset of the abort marker.
    pub(crate) last_offset: i64,
    /// The partition's last stable offset right after the abort (unbounded by the high
    /// watermark): once an entry's LSO reaches a fetch's upper bound, no later entry can
    /// concern that fetch, so the search stops there.
    pub(crate) last_stable_offset: i64,
}

const ENTRY_SIZE: usize = 34;
const VERSION: i16 = 0;

impl From<CompletedTxn> for AbortedTxnEntry {
    fn from(t: CompletedTxn) -> Self {
        AbortedTxnEntry {
            producer_id: t.producer_id,
            first_offset: t.first_offset,
            last_offset: t.last_offset,
            last_stable_offset: t.last_stable_offset,
        }
    }
}

impl AbortedTxnEntry {
    fn encode(&self) -> [u8; ENTRY_SIZE] {
        let mut b = [0u8; ENTRY_SIZE];
        b[0..2].copy_from_slice(&VERSION.to_be_bytes());
        b[2..10].copy_from_slice(&self.producer_id.to_be_bytes());
        b[10..18].copy_from_slice(&self.first_offset.to_be_bytes());
        b[18..26].copy_from_slice(&self.last_offset.to_be_bytes());
        b[26..34].copy_from_slice(&self.last_stable_offset.to_be_bytes());
        b
    }

    /// Decodes one entry; `None` for an unknown version.
    fn decode(b: &[u8]) -> Option<Self> {
        let i64_at = |at: usize| -> Option<i64> {
            Some(i64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
        };
        let version = i16::from_be_bytes(b.get(0..2)?.try_into().ok()?);
        if version != VERSION {
            return None;
        }
        Some(AbortedTxnEntry {
            producer_id: i64_at(2)?,
            first_offset: i64_at(10)?,
            last_offset: i64_at(18)?,
            last_stable_offset: i64_at(26)?,
        })
    }

    /// Whether the transaction overlaps the offsets `[start, upper)`.
    fn overlaps(&self, start: i64, upper: i64) -> bool {
        self.last_offset >= start && self.first_offset < upper
    }
}

/// The transaction index of one segment.
#[derive(Debug)]
pub(crate) struct TxnIndex {
    path: PathBuf,
    entries: OnceLock<Vec<AbortedTxnEntry>>,
    unsynced: bool,
}

impl TxnIndex {
    /// The index of a brand-new segment: empty, and any stale file of that name removed.
    pub(crate) fn create(path: PathBuf) -> io::Result<Self> {
        crate::io_util::remove_if_exists(&path)?;
        Ok(TxnIndex {
            path,
            entries: OnceLock::from(Vec::new()),
            unsynced: false,
        })
    }

    /// The index of an existing segment, read on first use.
    pub(crate) fn open(path: PathBuf) -> Self {
        TxnIndex {
            path,
            entries: OnceLock::new(),
            unsynced: false,
        }
    }

    /// The entries, reading the file on first use.
    pub(crate) fn entries(&self) -> io::Result<&[AbortedTxnEntry]> {
        if let Some(e) = self.entries.get() {
            return Ok(e);
        }
        // Two concurrent first readers both load the same file; the loser's copy is dropped.
        let loaded = load(&self.path)?;
        let _ = self.entries.set(loaded);
        self.entries
            .get()
            .map(Vec::as_slice)
            .ok_or_else(|| io::Error::other("transaction index unavailable"))
    }

    fn entries_mut(&mut self) -> io::Result<&mut Vec<AbortedTxnEntry>> {
        self.entries()?;
        self.entries
            .get_mut()
            .ok_or_else(|| io::Error::other("transaction index unavailable"))
    }

    /// Adds an entry unless one for the same marker is already there (a rebuild after a
    /// crash replays markers whose entry may or may not have reached the file). Returns
    /// whether it was added.
    pub(crate) fn insert(&mut self, entry: AbortedTxnEntry) -> io::Result<bool> {
        let entries = self.entries_mut()?;
        let at = entries.partition_point(|e| e.last_offset < entry.last_offset);
        if entries
            .get(at)
            .is_some_and(|e| e.last_offset == entry.last_offset)
        {
            return Ok(false);
        }
        entries.insert(at, entry);
        if at + 1 == entries.len() {
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            f.write_all(&entry.encode())?;
        } else {
            // Out of marker order: cannot happen through appends; rewrite the file whole.
            let bytes: Vec<u8> = entries.iter().flat_map(|e| e.encode()).collect();
            write_atomically(&self.path, &bytes)?;
        }
        self.unsynced = true;
        Ok(true)
    }

    /// Drops entries whose marker is at or after `offset` (the segment was truncated).
    pub(crate) fn truncate_to(&mut self, offset: i64) -> io::Result<()> {
        let entries = self.entries_mut()?;
        let keep = entries.partition_point(|e| e.last_offset < offset);
        if keep == entries.len() {
            return Ok(());
        }
        entries.truncate(keep);
        let f = OpenOptions::new().write(true).open(&self.path)?;
        f.set_len((keep * ENTRY_SIZE) as u64)?;
        self.unsynced = true;
        Ok(())
    }

    /// Appends to `out` the transactions overlapping `[start, upper)`; returns true when
    /// an entry shows that no later segment can hold another (Kafka's search rule: the LSO
    /// after an abort is past every transaction still open then, so once it reaches
    /// `upper` every transaction starting below `upper` has ended).
    pub(crate) fn collect(
        &self,
        start: i64,
        upper: i64,
        out: &mut Vec<AbortedTxn>,
    ) -> io::Result<bool> {
        for e in self.entries()? {
            if e.overlaps(start, upper) {
                out.push(AbortedTxn {
                    producer_id: e.producer_id,
                    first_offset: e.first_offset,
                });
            }
            if e.last_stable_offset >= upper {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// fsyncs the file if it changed since the last flush.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        if !self.unsynced {
            return Ok(());
        }
        match File::open(&self.path) {
            Ok(f) => f.sync_all()?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        self.unsynced = false;
        Ok(())
    }

    /// Removes the file.
    pub(crate) fn delete(&self) -> io::Result<()> {
        crate::io_util::remove_if_exists(&self.path)
    }
}

/// Reads a `.txnindex` (missing = empty). A torn tail, an unknown version or an entry out
/// of marker order ends the usable part; the file is cut there (a rebuild from the log
/// re-adds what it can), as a torn `.log` is.
fn load(path: &Path) -> io::Result<Vec<AbortedTxnEntry>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut entries: Vec<AbortedTxnEntry> = Vec::with_capacity(bytes.len() / ENTRY_SIZE);
    for chunk in bytes.chunks_exact(ENTRY_SIZE) {
        match AbortedTxnEntry::decode(chunk) {
            Some(e) if entries.last().is_none_or(|l| l.last_offset < e.last_offset) => {
                entries.push(e)
            }
            _ => break,
        }
    }
    let valid = entries.len() * ENTRY_SIZE;
    if valid != bytes.len() {
        warn!(file = %path.display(), valid, size = bytes.len(), "cutting unusable tail of transaction index");
        OpenOptions::new()
            .write(true)
            .open(path)?
            .set_len(valid as u64)?;
    }
    Ok(entries)
}

/// Writes `entries` as a complete `.txnindex`-format file at `path` and fsyncs it (the
/// cleaner's output for a merged segment; the file exists even when empty so that a crash
/// mid-swap never leaves the replaced segment's index looking like the new one's).
pub(crate) fn write_entries(path: &Path, entries: &[AbortedTxnEntry]) -> io::Result<()> {
    let bytes: Vec<u8> = entries.iter().flat_map(|e| e.encode()).collect();
    let mut f = File::create(path)?;
    f.write_all(&bytes)?;
    f.sync_all()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("txnindex.tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(pid: i64, first: i64, last: i64, lso: i64) -> AbortedTxnEntry {
        AbortedTxnEntry {
            producer_id: pid,
            first_offset: first,
            last_offset: last,
            last_stable_offset: lso,
        }
    }

    #[test]
    fn kafka_layout_dedup_truncation_and_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("00000000000000000000.txnindex");
        let mut idx = TxnIndex::create(path.clone()).unwrap();
        assert!(!path.exists(), "no file until the first abort");
        assert!(idx.insert(entry(5, 2, 10, 4)).unwrap());
        assert!(idx.insert(entry(6, 4, 12, 13)).unwrap());
        assert!(
            !idx.insert(entry(6, 4, 12, 13)).unwrap(),
            "same marker twice"
        );
        let bytes = fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 68);
        let mut expected = vec![0u8, 0];
        for v in [5i64, 2, 10, 4] {
            expected.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(&bytes[..34], &expected[..]);

        // Reloaded from disk: same entries; the overlap rule and the stop rule.
        let reopened = TxnIndex::open(path.clone());
        assert_eq!(
            reopened.entries().unwrap(),
            &[entry(5, 2, 10, 4), entry(6, 4, 12, 13)]
        );
        let mut out = Vec::new();
        // [11, 20): only the second overlaps; no entry has LSO >= 20, so not complete.
        assert!(!reopened.collect(11, 20, &mut out).unwrap());
        assert_eq!(
            out,
            vec![AbortedTxn {
                producer_id: 6,
                first_offset: 4
            }]
        );
        // [0, 3): the first overlaps and its LSO 4 >= 3 ends the search.
        out.clear();
        assert!(reopened.collect(0, 3, &mut out).unwrap());
        assert_eq!(out.len(), 1);

        // Truncation drops markers at or after the new end, in the file too.
        idx.truncate_to(12).unwrap();
        assert_eq!(fs::read(&path).unwrap().len(), 34);
        // A torn tail is cut on load.
        let mut torn = fs::read(&path).unwrap();
        torn.extend_from_slice(&[0, 0, 1]);
        fs::write(&path, torn).unwrap();
        let reopened = TxnIndex::open(path.clone());
        assert_eq!(reopened.entries().unwrap(), &[entry(5, 2, 10, 4)]);
        assert_eq!(fs::read(&path).unwrap().len(), 34);
        idx.delete().unwrap();
        assert!(!path.exists());
    }
}
