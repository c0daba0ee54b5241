//! A planned fetch: a byte range of one segment file that a reader copies
//! out without holding the log's lock.

use std::fs::File;
use std::io;
use std::sync::Arc;

use bytes::Bytes;

use crate::batch::{peek_batch_length, LOG_OVERHEAD, MIN_BATCH_LENGTH};
use crate::io_util::{read_at_most, read_exact_vec};

/// A byte range `[start, end)` of one segment file, starting at a batch
/// boundary and ending at one. Holding it keeps the file readable even if
/// retention deletes the segment meanwhile.
#[derive(Debug, Clone)]
pub struct FetchSlice {
    file: Arc<File>,
    start: u64,
    end: u64,
}

/// Size of the whole batch starting at `buf[0]`, if its length field is
/// present and plausible.
fn batch_size_at(buf: &[u8]) -> Option<usize> {
    let len = peek_batch_length(buf)?;
    if len < MIN_BATCH_LENGTH {
        return None;
    }
    usize::try_from(len).ok().map(|l| l + LOG_OVERHEAD)
}

/// Length of the longest prefix of `buf` made of whole batches.
fn whole_batches_prefix(buf: &[u8]) -> usize {
    let mut pos = 0;
    while let Some(size) = buf.get(pos..).and_then(batch_size_at) {
        if pos + size > buf.len() {
            break;
        }
        pos += size;
    }
    pos
}

impl FetchSlice {
    /// A slice of `file` from `start` to `end` (both batch boundaries).
    pub(crate) fn new(file: Arc<File>, start: u64, end: u64) -> Self {
        FetchSlice {
            file,
            start,
            end: end.max(start),
        }
    }

    /// File position where the slice starts.
    pub fn start_position(&self) -> u64 {
        self.start
    }

    /// Bytes in the slice.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// True when there is nothing to read.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Reads whole batches from the start of the slice, at most `max_bytes`
    /// of them; if even the first batch is larger and `min_one_batch` is
    /// set, returns that whole batch anyway (Kafka's fetch rule). Never
    /// returns a partial batch. One pread in the common case.
    pub fn read(&self, max_bytes: usize, min_one_batch: bool) -> io::Result<Bytes> {
        let avail = self.len();
        if avail == 0 {
            return Ok(Bytes::new());
        }
        let want = usize::try_from(avail).unwrap_or(usize::MAX).min(max_bytes);
        let mut buf = read_at_most(&self.file, self.start, want)?;
        let whole = whole_batches_prefix(&buf);
        if whole > 0 || !min_one_batch {
            buf.truncate(whole);
            return Ok(Bytes::from(buf));
        }
        let size = match batch_size_at(&buf) {
            Some(size) => size,
            None => {
                let head = read_exact_vec(&self.file, self.start, LOG_OVERHEAD)?;
                batch_size_at(&head).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, "bad batch length in segment")
                })?
            }
        };
        if size as u64 > avail {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("batch of {size} bytes runs past the fetchable range ({avail} bytes)"),
            ));
        }
        Ok(Bytes::from(read_exact_vec(&self.file, self.start, size)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_batch(size: usize, fill: u8) -> Vec<u8> {
        let mut b = vec![fill; size];
        b[8..12].copy_from_slice(&((size - 12) as i32).to_be_bytes());
        b
    }

    #[test]
    fn cuts_at_batch_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut data = fake_batch(100, 1);
        data.extend(fake_batch(200, 2));
        data.extend(fake_batch(61, 3));
        std::fs::write(&path, &data).unwrap();
        let file = Arc::new(File::open(&path).unwrap());
        let slice = FetchSlice::new(file.clone(), 0, data.len() as u64);
        assert_eq!(slice.len(), 361);
        assert_eq!(slice.read(1000, false).unwrap().len(), 361);
        assert_eq!(slice.read(299, false).unwrap().len(), 100);
        assert_eq!(slice.read(300, false).unwrap().len(), 300);
        assert_eq!(slice.read(99, false).unwrap().len(), 0);
        assert_eq!(slice.read(99, true).unwrap().len(), 100);
        assert_eq!(slice.read(5, true).unwrap().len(), 100);
        assert_eq!(slice.read(0, true).unwrap().len(), 100);
        let tail = FetchSlice::new(file.clone(), 100, 300);
        let got = tail.read(50, true).unwrap();
        assert_eq!(got.len(), 200);
        assert!(got.iter().skip(12).all(|&b| b == 2));
        let empty = FetchSlice::new(file, 300, 300);
        assert!(empty.is_empty());
        assert_eq!(empty.read(100, true).unwrap().len(), 0);
    }
}
