//! Swapping a cleaned segment in for the segments it replaces, crash-safely, and finishing
//! an interrupted swap when a log is opened (Kafka's `replaceSegments` and the `.swap`
//! handling of its log loader).
//!
//! Steps, each durable before the next (fsync of the files, then of the directory):
//! 1. `<base>.log.cleaned` and its `.index/.timeindex/.txnindex.cleaned` are written
//!    (`cleaner.rs`); a crash now leaves only `.cleaned` files, deleted on open.
//! 2. The index files are renamed `.cleaned` -> `.swap`, then the log file: the
//!    `<base>.log.swap` rename is the commit point. `.swap` index files without a
//!    `.log.swap` are leftovers of an uncommitted swap, deleted on open.
//! 3. The replaced segments' files are renamed to `.deleted`, then removed.
//! 4. The index files are renamed `.swap` -> final (overwriting any left of the replaced
//!    segment with the same base), the log file last; the directory is fsynced.
//!
//! On open, a `<base>.log.swap` means steps 3-4 must be finished: every segment file whose
//! base offset lies in `(base, next offset of the swap segment)` is deleted (the cleaner
//! guarantees that range reaches into the last replaced segment; an empty swap segment
//! covers only its base), each `.swap` index file
//! of `base` replaces its final-named namesake, and the log is renamed last. A final-named
//! index file of `base` without a `.swap` twin is the new one (the swap always writes all
//! three), so it is kept.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tracing::{info, warn};

use crate::cleaner::CLEANED_SUFFIX;
use crate::error::LogError;
use crate::filenames::{
    parse_segment_file, segment_path, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX,
};
use crate::io_util::{remove_if_exists, sync_dir};
use crate::log::Log;
use crate::scan::{BatchScanner, ScanStep};
use crate::segment::Segment;

/// Suffix of a committed, not yet finished swap.
pub(crate) const SWAP_SUFFIX: &str = ".swap";
/// Suffix of a replaced segment's file about to be removed.
const DELETED_SUFFIX: &str = ".deleted";
/// The index files of a segment, renamed before its log file.
const INDEX_SUFFIXES: [&str; 3] = [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX];
/// Every file of a segment.
const SEGMENT_SUFFIXES: [&str; 4] = [
    LOG_SUFFIX,
    INDEX_SUFFIX,
    TIME_INDEX_SUFFIX,
    TXN_INDEX_SUFFIX,
];

fn with_suffix(path: PathBuf, suffix: &str) -> PathBuf {
    let mut p = path;
    p.as_mut_os_string().push(suffix);
    p
}

fn exists(path: &Path) -> io::Result<bool> {
    path.try_exists()
}

impl Log {
    /// Steps 2-4 for the cleaned segment replacing closed segments `first..first+len`,
    /// then the same change in memory.
    pub(crate) fn swap_in_cleaned(&mut self, first: usize, len: usize) -> Result<(), LogError> {
        let dir = self.dir.clone();
        let base = self.closed[first].base_offset();
        let at = |suffix: &str| segment_path(&dir, base, suffix);
        // 2. .cleaned -> .swap, the log last (commit).
        for suffix in INDEX_SUFFIXES {
            self.fail_point("rename index to .swap")?;
            fs::rename(
                with_suffix(at(suffix), CLEANED_SUFFIX),
                with_suffix(at(suffix), SWAP_SUFFIX),
            )?;
        }
        self.fail_point("sync dir")?;
        sync_dir(&dir)?;
        self.fail_point("rename log to .swap")?;
        fs::rename(
            with_suffix(at(LOG_SUFFIX), CLEANED_SUFFIX),
            with_suffix(at(LOG_SUFFIX), SWAP_SUFFIX),
        )?;
        self.fail_point("sync dir")?;
        sync_dir(&dir)?;
        // 3. The replaced segments go: renamed away first, so that a crash never leaves a
        // half-deleted segment under its real name, then removed.
        let bases: Vec<i64> = self.closed[first..first + len]
            .iter()
            .map(Segment::base_offset)
            .collect();
        let mut doomed = Vec::new();
        for &b in &bases {
            for suffix in SEGMENT_SUFFIXES {
                let path = segment_path(&dir, b, suffix);
                if exists(&path)? {
                    self.fail_point("rename to .deleted")?;
                    let gone = with_suffix(path.clone(), DELETED_SUFFIX);
                    fs::rename(&path, &gone)?;
                    doomed.push(gone);
                }
            }
        }
        for path in doomed {
            self.fail_point("remove .deleted")?;
            remove_if_exists(&path)?;
        }
        // 4. .swap -> final, the log last.
        for suffix in INDEX_SUFFIXES {
            self.fail_point("rename index from .swap")?;
            fs::rename(with_suffix(at(suffix), SWAP_SUFFIX), at(suffix))?;
        }
        self.fail_point("rename log from .swap")?;
        fs::rename(with_suffix(at(LOG_SUFFIX), SWAP_SUFFIX), at(LOG_SUFFIX))?;
        self.fail_point("sync dir")?;
        sync_dir(&dir)?;
        // In memory: readers of the old segments keep their open files.
        let cleaned = Segment::open(&dir, base, self.config.index_interval_bytes)?;
        self.closed
            .splice(first..first + len, std::iter::once(cleaned));
        Ok(())
    }
}

/// Offset after the last batch of the log file at `path`, if it is a whole, valid
/// segment (CRCs checked) with at least one batch: the cleaner fsyncs a swap segment
/// before committing it, so anything else was not written by a swap and is not trusted.
/// An empty file (a single replaced segment that kept nothing) covers just its base.
fn next_offset_of(path: &Path, base: i64) -> io::Result<Option<i64>> {
    let file = fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size == 0 {
        return Ok(Some(base + 1));
    }
    let mut scanner = BatchScanner::new(&file, 0, size, true);
    let mut next = None;
    loop {
        match scanner.next_step()? {
            ScanStep::Batch { header, .. } => next = Some(header.next_offset()),
            ScanStep::End => return Ok(next),
            ScanStep::Invalid { .. } => return Ok(None),
        }
    }
}

/// Finishes interrupted swaps in `dir` (see the module docs). Call after `.cleaned` and
/// `.deleted` leftovers were removed and before segments are listed.
pub(crate) fn complete_swaps(dir: &Path) -> io::Result<()> {
    let mut log_swaps = Vec::new();
    let mut index_swaps = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(SWAP_SUFFIX) else {
            continue;
        };
        match parse_segment_file(stem) {
            Some((base, crate::filenames::SegmentFileKind::Log)) => log_swaps.push(base),
            Some((base, _)) => index_swaps.push((base, entry.path())),
            None => {}
        }
    }
    log_swaps.sort_unstable();
    for (base, path) in index_swaps {
        if log_swaps.binary_search(&base).is_err() {
            info!(file = %path.display(), "removing index of an uncommitted swap");
            remove_if_exists(&path)?;
        }
    }
    for &base in &log_swaps {
        let swap_log = with_suffix(segment_path(dir, base, LOG_SUFFIX), SWAP_SUFFIX);
        let Some(next) = next_offset_of(&swap_log, base)? else {
            warn!(file = %swap_log.display(), "ignoring a swap file that is not a valid segment");
            continue;
        };
        info!(file = %swap_log.display(), next, "completing an interrupted segment swap");
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some((b, _)) = parse_segment_file(name) {
                if b > base && b < next {
                    remove_if_exists(&entry.path())?;
                }
            }
        }
        for suffix in INDEX_SUFFIXES {
            let swap = with_suffix(segment_path(dir, base, suffix), SWAP_SUFFIX);
            if exists(&swap)? {
                fs::rename(&swap, segment_path(dir, base, suffix))?;
            }
        }
        fs::rename(&swap_log, segment_path(dir, base, LOG_SUFFIX))?;
    }
    if !log_swaps.is_empty() {
        sync_dir(dir)?;
    }
    Ok(())
}
