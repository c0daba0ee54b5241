//! Kafka's file names inside a partition directory: segments are named by
//! their base offset, zero-padded to 20 digits.

use std::path::{Path, PathBuf};

/// Suffix of segment data files.
pub const LOG_SUFFIX: &str = ".log";
/// Suffix of offset index files.
pub const INDEX_SUFFIX: &str = ".index";
/// Suffix of time index files.
pub const TIME_INDEX_SUFFIX: &str = ".timeindex";
/// Suffix of transaction index files (aborted transactions whose marker is in the segment).
pub const TXN_INDEX_SUFFIX: &str = ".txnindex";

/// The kind of a segment-related file, derived from its suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SegmentFileKind {
    /// `.log`
    Log,
    /// `.index`
    Index,
    /// `.timeindex`
    TimeIndex,
    /// `.txnindex`
    TxnIndex,
}

/// `00000000000000000042` for base offset 42.
pub(crate) fn base_name(base_offset: i64) -> String {
    format!("{base_offset:020}")
}

/// Full path of a segment file, e.g. `<dir>/00000000000000000042.index`.
pub(crate) fn segment_path(dir: &Path, base_offset: i64, suffix: &str) -> PathBuf {
    dir.join(format!("{}{suffix}", base_name(base_offset)))
}

/// Parses `<20 digits>.log|.index|.timeindex|.txnindex`; anything else is `None`.
pub(crate) fn parse_segment_file(name: &str) -> Option<(i64, SegmentFileKind)> {
    let (stem, kind) = if let Some(stem) = name.strip_suffix(LOG_SUFFIX) {
        (stem, SegmentFileKind::Log)
    } else if let Some(stem) = name.strip_suffix(TIME_INDEX_SUFFIX) {
        (stem, SegmentFileKind::TimeIndex)
    } else if let Some(stem) = name.strip_suffix(TXN_INDEX_SUFFIX) {
        (stem, SegmentFileKind::TxnIndex)
    } else if let Some(stem) = name.strip_suffix(INDEX_SUFFIX) {
        (stem, SegmentFileKind::Index)
    } else {
        return None;
    };
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse::<i64>().ok().map(|base| (base, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(base_name(42), "00000000000000000042");
        assert_eq!(
            parse_segment_file("00000000000000000042.log"),
            Some((42, SegmentFileKind::Log))
        );
        assert_eq!(
            parse_segment_file("00000000000000001000.timeindex"),
            Some((1000, SegmentFileKind::TimeIndex))
        );
        assert_eq!(
            parse_segment_file("00000000000000001000.index"),
            Some((1000, SegmentFileKind::Index))
        );
        assert_eq!(
            parse_segment_file("00000000000000000007.txnindex"),
            Some((7, SegmentFileKind::TxnIndex))
        );
        assert_eq!(parse_segment_file("00000000000000000042.log.deleted"), None);
        assert_eq!(parse_segment_file("42.log"), None);
        assert_eq!(parse_segment_file("leader-epoch-checkpoint"), None);
        assert_eq!(parse_segment_file("99999999999999999999.log"), None);
    }
}
