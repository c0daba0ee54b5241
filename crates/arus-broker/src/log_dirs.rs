//! One entry of `log.dirs`: what it held at start-up (clean-shutdown marker, recovery-point
//! and log-start checkpoints, partition directories) and writing those files back.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use arus_log::{read_checkpoint, write_checkpoint, RecoveryHint};

/// Kafka's file naming the offset up to which each partition's log is known flushed.
pub const RECOVERY_POINT_FILE: &str = "recovery-point-offset-checkpoint";
/// Kafka's file holding each partition's log start offset.
pub const LOG_START_FILE: &str = "log-start-offset-checkpoint";
/// Kafka's per-log-dir file of how far each compacted partition has been cleaned.
pub const CLEANER_OFFSET_FILE: &str = "cleaner-offset-checkpoint";

/// The directory name of a partition: `<topic>-<partition>`.
pub fn partition_dir_name(topic: &str, partition: i32) -> String {
    format!("{topic}-{partition}")
}

/// Splits a partition directory name back into topic and partition.
pub fn parse_partition_dir_name(name: &str) -> Option<(String, i32)> {
    let (topic, partition) = name.rsplit_once('-')?;
    if topic.is_empty() || !partition.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    crate::topic_name::validate(topic).ok()?;
    Some((topic.to_string(), partition.parse().ok()?))
}

/// A log directory and what start-up learned about it.
pub struct LogDirState {
    /// The directory.
    pub path: PathBuf,
    /// Whether the previous run shut down cleanly (its marker was present).
    pub clean_shutdown: bool,
    recovery_points: HashMap<(String, i32), i64>,
    log_starts: HashMap<(String, i32), i64>,
    clean_offsets: HashMap<(String, i32), i64>,
    partitions: AtomicUsize,
}

impl LogDirState {
    /// Creates the directory if needed and reads its marker and checkpoints.
    pub fn open(path: &Path) -> std::io::Result<LogDirState> {
        fs::create_dir_all(path)?;
        let clean_shutdown = arus_log::has_clean_shutdown(path);
        let to_map = |entries: Vec<(String, i32, i64)>| {
            entries
                .into_iter()
                .map(|(t, p, o)| ((t, p), o))
                .collect::<HashMap<_, _>>()
        };
        let recovery_points = to_map(read_checkpoint(&path.join(RECOVERY_POINT_FILE))?);
        let log_starts = to_map(read_checkpoint(&path.join(LOG_START_FILE))?);
        let clean_offsets = to_map(read_checkpoint(&path.join(CLEANER_OFFSET_FILE))?);
        Ok(LogDirState {
            path: path.to_path_buf(),
            clean_shutdown,
            recovery_points,
            log_starts,
            clean_offsets,
            partitions: AtomicUsize::new(0),
        })
    }

    /// Partition directories found here.
    pub fn partition_dirs(&self) -> std::io::Result<Vec<(String, i32)>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.path)? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            if let Some(name) = entry.file_name().to_str() {
                if let Some(tp) = parse_partition_dir_name(name) {
                    out.push(tp);
                }
            }
        }
        Ok(out)
    }

    /// How to open a partition's log: skip the scan after a clean shutdown, otherwise recover
    /// from its last checkpointed recovery point.
    pub fn recovery_hint(&self, topic: &str, partition: i32) -> RecoveryHint {
        let key = (topic.to_string(), partition);
        RecoveryHint {
            clean_shutdown: self.clean_shutdown,
            recovery_point: self.recovery_points.get(&key).copied().unwrap_or(0),
            log_start_offset: self.log_starts.get(&key).copied().unwrap_or(0),
        }
    }

    /// How far the cleaner got in a partition before the last checkpoint (0: never cleaned).
    pub fn clean_offset(&self, topic: &str, partition: i32) -> i64 {
        self.clean_offsets
            .get(&(topic.to_string(), partition))
            .copied()
            .unwrap_or(0)
    }

    /// Records that one more partition lives here (for placing new partitions).
    pub fn count_partition(&self) {
        self.partitions.fetch_add(1, Ordering::Relaxed);
    }

    /// Number of partitions placed here.
    pub fn partition_count(&self) -> usize {
        self.partitions.load(Ordering::Relaxed)
    }

    /// Writes the checkpoint files atomically.
    pub fn write_checkpoints(
        &self,
        recovery: &[(String, i32, i64)],
        starts: &[(String, i32, i64)],
        cleaned: &[(String, i32, i64)],
    ) -> std::io::Result<()> {
        write_checkpoint(&self.path.join(RECOVERY_POINT_FILE), recovery)?;
        write_checkpoint(&self.path.join(LOG_START_FILE), starts)?;
        write_checkpoint(&self.path.join(CLEANER_OFFSET_FILE), cleaned)
    }

    /// Removes the marker once logs are open, so a crash from now on is seen as unclean.
    pub fn clear_clean_shutdown(&self) -> std::io::Result<()> {
        arus_log::clear_clean_shutdown(&self.path)
    }

    /// Writes the marker after every log here was flushed and closed.
    pub fn mark_clean_shutdown(&self) -> std::io::Result<()> {
        arus_log::mark_clean_shutdown(&self.path)
    }

    /// Total and free bytes of the file system holding this directory.
    pub fn disk_space(&self) -> Option<(i64, i64)> {
        disk_space(&self.path)
    }
}

#[allow(unsafe_code)]
fn disk_space(path: &Path) -> Option<(i64, i64)> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs only writes into the zeroed struct we own; the path is NUL-terminated.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
    if rc != 0 {
        return None;
    }
    let block = stat.f_frsize as i64;
    Some((stat.f_blocks as i64 * block, stat.f_bavail as i64 * block))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_dir_names_round_trip() {
        assert_eq!(partition_dir_name("tes", 0), "tes-0");
        assert_eq!(
            parse_partition_dir_name("my-topic-12"),
            Some(("my-topic".to_string(), 12))
        );
        assert_eq!(parse_partition_dir_name("arus-metadata"), None);
        assert_eq!(parse_partition_dir_name("-1"), None);
        assert_eq!(parse_partition_dir_name("t-1.abc-delete"), None);
    }
}
