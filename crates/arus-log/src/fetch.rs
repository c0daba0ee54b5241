//! A planned fetch: a byte range of one segment file that a reader sends or copies out
//! without holding the log's lock.

use std::fs::File;
use std::io;
use std::sync::Arc;

use bytes::Bytes;

use crate::batch::{peek_batch_length, LOG_OVERHEAD, MIN_BATCH_LENGTH};
use crate::io_util::read_at_most;

/// Bytes read at a time while walking batch headers to find where a fetch ends.
const HEADER_WINDOW: usize = 4096;
/// The first read is larger: a fetch at the tail of a busy log (a consumer keeping up) is
/// usually smaller than this and is then planned and read with one `pread`.
const FIRST_WINDOW: usize = 16 * 1024;
/// Record count field of a v2 batch header, and the header's size.
const RECORDS_COUNT_AT: usize = 57;
const HEADER_SIZE: usize = 61;

/// A byte range `[start, end)` of one segment file, starting at a batch
/// boundary and ending at one. Holding it keeps the file readable even if
/// retention deletes the segment meanwhile.
#[derive(Debug, Clone)]
pub struct FetchSlice {
    file: Arc<File>,
    start: u64,
    end: u64,
}

/// Whole batches of one segment file chosen for a fetch, not yet read: the broker sends
/// them to the socket straight from the page cache (`sendfile`) or reads them.
#[derive(Debug, Clone)]
pub struct FileRange {
    /// The segment file (kept open, so deleting the segment meanwhile is harmless).
    pub file: Arc<File>,
    /// Where the first batch starts.
    pub position: u64,
    /// Bytes of whole batches.
    pub len: usize,
    /// Records in those batches, from their headers.
    pub records: u64,
    /// The batches themselves when planning already read them all (small fetches).
    pub bytes: Option<Bytes>,
}

impl FileRange {
    /// Reads the range into memory (unless planning already did).
    pub fn read(&self) -> io::Result<Bytes> {
        if let Some(bytes) = &self.bytes {
            return Ok(bytes.clone());
        }
        let bytes = read_at_most(&self.file, self.position, self.len)?;
        if bytes.len() != self.len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "segment ended {} bytes into a {}-byte fetch",
                    bytes.len(),
                    self.len
                ),
            ));
        }
        Ok(Bytes::from(bytes))
    }
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

fn bad_length() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "bad batch length in segment")
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

    /// Chooses whole batches from the start of the slice, at most `max_bytes`
    /// of them; if even the first batch is larger and `min_one_batch` is set,
    /// that whole batch anyway (Kafka's fetch rule). Never a partial batch.
    /// Only batch headers are read (a few KiB at a time), not the records.
    pub fn plan(&self, max_bytes: usize, min_one_batch: bool) -> io::Result<FileRange> {
        let mut range = FileRange {
            file: self.file.clone(),
            position: self.start,
            len: 0,
            records: 0,
            bytes: None,
        };
        let mut window: Vec<u8> = Vec::new();
        let mut window_at = self.start;
        let mut pos = self.start;
        while pos < self.end {
            let in_window = (pos - window_at) as usize;
            let header = match window.get(in_window..) {
                Some(h) if h.len() >= HEADER_SIZE => h,
                _ => {
                    let window_size = if pos == self.start {
                        FIRST_WINDOW
                    } else {
                        HEADER_WINDOW
                    };
                    let want = usize::try_from(self.end - pos)
                        .unwrap_or(usize::MAX)
                        .min(window_size);
                    window = read_at_most(&self.file, pos, want)?;
                    window_at = pos;
                    &window[..]
                }
            };
            let size = batch_size_at(header).ok_or_else(bad_length)?;
            if pos + size as u64 > self.end {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "batch of {size} bytes runs past the fetchable range ({} bytes)",
                        self.len()
                    ),
                ));
            }
            let taken = range.len + size;
            if taken > max_bytes && !(range.len == 0 && min_one_batch) {
                break;
            }
            let count = header
                .get(RECORDS_COUNT_AT..HEADER_SIZE)
                .map_or(0, |c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]));
            range.records += u64::try_from(count).unwrap_or(0);
            range.len = taken;
            pos += size as u64;
        }
        if window_at == self.start && range.len > 0 && range.len <= window.len() {
            range.bytes = Some(Bytes::from(window).slice(..range.len));
        }
        Ok(range)
    }

    /// Reads what [`FetchSlice::plan`] chooses into memory.
    pub fn read(&self, max_bytes: usize, min_one_batch: bool) -> io::Result<Bytes> {
        let range = self.plan(max_bytes, min_one_batch)?;
        if range.len == 0 {
            return Ok(Bytes::new());
        }
        range.read()
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

    fn counted_batch(size: usize, records: i32) -> Vec<u8> {
        let mut b = vec![0u8; size];
        b[8..12].copy_from_slice(&((size - 12) as i32).to_be_bytes());
        b[57..61].copy_from_slice(&records.to_be_bytes());
        b
    }

    /// The plan walks headers across several read windows (small batches) and jumps over
    /// batches larger than a window, cutting at the last whole batch and counting records.
    #[test]
    fn plans_cut_at_batch_boundaries_across_header_windows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut data = Vec::new();
        let mut ends = Vec::new();
        for i in 0..200 {
            data.extend(counted_batch(61 + (i % 50), 1 + (i % 3) as i32));
            ends.push(data.len());
        }
        data.extend(counted_batch(20_000, 500));
        ends.push(data.len());
        data.extend(counted_batch(100, 2));
        ends.push(data.len());
        std::fs::write(&path, &data).unwrap();
        let file = Arc::new(File::open(&path).unwrap());
        let slice = FetchSlice::new(file, 0, data.len() as u64);
        let records_before = |n: usize| -> u64 { (0..n).map(|i| 1 + (i % 3) as u64).sum() };

        let all = slice.plan(usize::MAX, false).unwrap();
        assert_eq!((all.position, all.len), (0, data.len()));
        assert_eq!(all.records, records_before(200) + 500 + 2);
        assert_eq!(&all.read().unwrap()[..], &data[..]);

        // A limit in the middle of the small batches (past the first 4 KiB window).
        let limit = ends[150] + 10;
        let cut = slice.plan(limit, false).unwrap();
        assert_eq!(cut.len, ends[150]);
        assert_eq!(cut.records, records_before(151));
        // Small enough for the first read: planning kept the bytes, no second read needed.
        assert_eq!(cut.bytes.as_deref(), Some(&data[..ends[150]]));
        assert_eq!(&slice.read(limit, false).unwrap()[..], &data[..ends[150]]);
        assert!(all.bytes.is_none(), "larger than the first read");

        // Just short of the big batch's end, and exactly at it.
        assert_eq!(slice.plan(ends[200] - 1, false).unwrap().len, ends[199]);
        assert_eq!(slice.plan(ends[200], false).unwrap().len, ends[200]);

        // The big batch alone, when it is first: only with min_one_batch.
        let from_big = FetchSlice::new(slice.file.clone(), ends[199] as u64, data.len() as u64);
        assert_eq!(from_big.plan(1000, false).unwrap().len, 0);
        let one = from_big.plan(1000, true).unwrap();
        assert_eq!(
            (one.position, one.len, one.records),
            (ends[199] as u64, 20_000, 500)
        );

        // A length that runs past the slice is an error, not a short read.
        let short = FetchSlice::new(slice.file.clone(), 0, (ends[199] + 100) as u64);
        assert!(short.plan(usize::MAX, false).is_err());
    }
}
