//! Kafka's offset checkpoint text files (`recovery-point-offset-checkpoint`,
//! `log-start-offset-checkpoint`, `replication-offset-checkpoint`):
//!
//! ```text
//! 0
//! <count>
//! <topic> <partition> <offset>
//! ```
//!
//! Written atomically: temp file, fsync, rename, fsync of the directory.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::io_util::sync_dir;

/// File name of the recovery point checkpoint in a log dir.
pub const RECOVERY_POINT_CHECKPOINT_FILE: &str = "recovery-point-offset-checkpoint";
/// File name of the log start offset checkpoint in a log dir.
pub const LOG_START_OFFSET_CHECKPOINT_FILE: &str = "log-start-offset-checkpoint";
/// File name of the high watermark checkpoint in a log dir.
pub const REPLICATION_OFFSET_CHECKPOINT_FILE: &str = "replication-offset-checkpoint";

const VERSION: u32 = 0;

fn invalid(path: &Path, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("malformed checkpoint {}: {what}", path.display()),
    )
}

/// Reads a versioned checkpoint and returns its entry lines, each split on
/// spaces into exactly `fields` parts. A missing file has no entries.
pub(crate) fn read_entry_lines(path: &Path, fields: usize) -> io::Result<Vec<Vec<String>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut lines = text.lines();
    let version = lines.next().map(str::trim);
    if version != Some("0") {
        return Err(invalid(
            path,
            format!("expected version {VERSION}, got {version:?}"),
        ));
    }
    let count: usize = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| invalid(path, "bad entry count"))?;
    let mut entries = Vec::with_capacity(count.min(1 << 16));
    for line in lines.by_ref().take(count) {
        let parts: Vec<String> = line.split(' ').map(str::to_string).collect();
        if parts.len() != fields || parts.iter().any(String::is_empty) {
            return Err(invalid(path, format!("bad line {line:?}")));
        }
        entries.push(parts);
    }
    if entries.len() != count {
        return Err(invalid(
            path,
            format!("expected {count} entries, found {}", entries.len()),
        ));
    }
    if lines.any(|l| !l.trim().is_empty()) {
        return Err(invalid(path, "more lines than the entry count"));
    }
    Ok(entries)
}

/// Atomically replaces `path` with a version-0 checkpoint of `lines`.
pub(crate) fn write_entry_lines(path: &Path, lines: &[String]) -> io::Result<()> {
    let mut text = format!("{VERSION}\n{}\n", lines.len());
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    let mut tmp = PathBuf::from(path);
    tmp.as_mut_os_string().push(".tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir),
        _ => sync_dir(Path::new(".")),
    }
}

fn parse_num<T: std::str::FromStr>(path: &Path, s: &str) -> io::Result<T> {
    s.parse()
        .map_err(|_| invalid(path, format!("bad number {s:?}")))
}

/// Reads a (topic, partition, offset) checkpoint; a missing file is empty.
pub fn read_checkpoint(path: &Path) -> io::Result<Vec<(String, i32, i64)>> {
    read_entry_lines(path, 3)?
        .into_iter()
        .map(|parts| match <[String; 3]>::try_from(parts) {
            Ok([topic, partition, offset]) => Ok((
                topic,
                parse_num(path, &partition)?,
                parse_num(path, &offset)?,
            )),
            Err(_) => Err(invalid(path, "wrong number of fields")),
        })
        .collect()
}

/// Atomically writes a (topic, partition, offset) checkpoint. Topic names
/// must not contain whitespace (Kafka topic names never do).
pub fn write_checkpoint<S: AsRef<str>>(path: &Path, entries: &[(S, i32, i64)]) -> io::Result<()> {
    let mut lines = Vec::with_capacity(entries.len());
    for (topic, partition, offset) in entries {
        let topic = topic.as_ref();
        if topic.is_empty() || topic.chars().any(char::is_whitespace) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("topic name {topic:?} cannot be checkpointed"),
            ));
        }
        lines.push(format!("{topic} {partition} {offset}"));
    }
    write_entry_lines(path, &lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RECOVERY_POINT_CHECKPOINT_FILE);
        assert_eq!(read_checkpoint(&path).unwrap(), vec![]);
        let entries = vec![
            ("orders".to_string(), 0, 42i64),
            ("a.b-c_d".to_string(), 17, 0),
        ];
        write_checkpoint(&path, &entries).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "0\n2\norders 0 42\na.b-c_d 17 0\n"
        );
        assert_eq!(read_checkpoint(&path).unwrap(), entries);
        assert!(!dir
            .path()
            .join("recovery-point-offset-checkpoint.tmp")
            .exists());
        write_checkpoint::<&str>(&path, &[]).unwrap();
        assert_eq!(read_checkpoint(&path).unwrap(), vec![]);
        assert!(write_checkpoint(&path, &[("bad topic", 0, 1)]).is_err());
    }

    #[test]
    fn rejects_malformed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp");
        for text in [
            "1\n0\n",
            "0\n2\nt 0 1\n",
            "0\n1\nt 0\n",
            "0\n1\nt x 1\n",
            "0\n1\nt 0 1\nu 0 2\n",
            "",
        ] {
            std::fs::write(&path, text).unwrap();
            assert!(
                read_checkpoint(&path).is_err(),
                "{text:?} should be rejected"
            );
        }
        std::fs::write(&path, "0\n1\nt 3 -1\n").unwrap();
        assert_eq!(
            read_checkpoint(&path).unwrap(),
            vec![("t".to_string(), 3, -1)]
        );
    }
}
