//! The `.kafka_cleanshutdown` marker in a log directory: present means every
//! log in it was closed cleanly, so the next open may skip recovery scans.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::io_util::{remove_if_exists, sync_dir};

/// Name of the marker file, as Kafka names it.
pub const CLEAN_SHUTDOWN_FILE: &str = ".kafka_cleanshutdown";

/// Whether `log_dir` holds the clean shutdown marker.
pub fn has_clean_shutdown(log_dir: &Path) -> bool {
    log_dir.join(CLEAN_SHUTDOWN_FILE).is_file()
}

/// Creates the marker durably; call after all logs were closed.
pub fn mark_clean_shutdown(log_dir: &Path) -> io::Result<()> {
    File::create(log_dir.join(CLEAN_SHUTDOWN_FILE))?.sync_all()?;
    sync_dir(log_dir)
}

/// Removes the marker durably; call once logs are opened, before writing.
pub fn clear_clean_shutdown(log_dir: &Path) -> io::Result<()> {
    remove_if_exists(&log_dir.join(CLEAN_SHUTDOWN_FILE))?;
    sync_dir(log_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_lifecycle() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_clean_shutdown(dir.path()));
        mark_clean_shutdown(dir.path()).unwrap();
        assert!(has_clean_shutdown(dir.path()));
        clear_clean_shutdown(dir.path()).unwrap();
        assert!(!has_clean_shutdown(dir.path()));
        clear_clean_shutdown(dir.path()).unwrap();
    }
}
