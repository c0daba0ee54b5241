//! Sequential walk over the batches of a segment file, reading through a
//! window buffer so that small batches cost no syscall each. Used to rebuild
//! indexes, to recover after a crash, and to find a batch after an index
//! lookup.

use std::fs::File;
use std::io;

use crate::batch::{compute_crc, parse_header, BatchHeader, BATCH_HEADER_SIZE, MAGIC_V2};
use crate::io_util::read_full_at;

const WINDOW: usize = 64 * 1024;

/// One step of a scan.
#[derive(Debug)]
pub(crate) enum ScanStep {
    /// A plausible batch (and, when verifying, with a matching CRC).
    Batch {
        /// File position of the batch.
        position: u64,
        /// Its header.
        header: BatchHeader,
        /// Whole size in bytes.
        size: u64,
    },
    /// The scan reached its end exactly at a batch boundary.
    End,
    /// Bytes at `position` are not a valid batch (torn write or corruption).
    Invalid {
        /// Where the bad batch starts; everything before it is good.
        position: u64,
        /// Human-readable cause, for logs.
        reason: String,
    },
}

/// Walks batches of `file` from `start` up to `end` (exclusive).
pub(crate) struct BatchScanner<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
    verify_crc: bool,
    window: Vec<u8>,
    window_start: u64,
}

impl<'a> BatchScanner<'a> {
    /// A scanner starting at `start`; with `verify_crc` every batch is read
    /// whole and its CRC checked, otherwise only headers are read.
    pub(crate) fn new(file: &'a File, start: u64, end: u64, verify_crc: bool) -> Self {
        BatchScanner {
            file,
            pos: start,
            end,
            verify_crc,
            window: Vec::new(),
            window_start: start,
        }
    }

    /// Returns the next batch, `End`, or `Invalid` (after which the scanner
    /// stays put).
    pub(crate) fn next_step(&mut self) -> io::Result<ScanStep> {
        let position = self.pos;
        if position >= self.end {
            return Ok(ScanStep::End);
        }
        let remaining = self.end - position;
        let invalid = |reason: String| Ok(ScanStep::Invalid { position, reason });
        if remaining < BATCH_HEADER_SIZE as u64 {
            return invalid(format!("{remaining} trailing bytes are not a whole batch"));
        }
        let header = match parse_header(self.bytes(position, BATCH_HEADER_SIZE)?) {
            Ok(h) => h,
            Err(_) => return invalid("file ended inside a batch header".to_string()),
        };
        if header.magic != MAGIC_V2 {
            return invalid(format!("batch has magic {}", header.magic));
        }
        let Some(size) = header.total_size() else {
            return invalid(format!(
                "batch has impossible length {}",
                header.batch_length
            ));
        };
        let size = size as u64;
        if size > remaining {
            return invalid(format!(
                "batch of {size} bytes runs past the end ({remaining} bytes left)"
            ));
        }
        if header.last_offset_delta < 0 {
            return invalid(format!(
                "batch has negative lastOffsetDelta {}",
                header.last_offset_delta
            ));
        }
        if self.verify_crc {
            let bytes = self.bytes(position, size as usize)?;
            if bytes.len() as u64 != size {
                return invalid("file ended inside a batch".to_string());
            }
            let crc = compute_crc(bytes);
            if crc != header.crc {
                return invalid(format!(
                    "CRC mismatch: stored {:#010x}, computed {crc:#010x}",
                    header.crc
                ));
            }
        }
        self.pos = position + size;
        Ok(ScanStep::Batch {
            position,
            header,
            size,
        })
    }

    /// Bytes `[at, at+len)` from the window, refilling it when needed. The
    /// slice is shorter than `len` only if the file is shorter.
    fn bytes(&mut self, at: u64, len: usize) -> io::Result<&[u8]> {
        let covered = at >= self.window_start
            && at + len as u64 <= self.window_start + self.window.len() as u64;
        if !covered {
            let want = len.max(WINDOW).min(
                usize::try_from(self.end.saturating_sub(at))
                    .unwrap_or(usize::MAX)
                    .max(len),
            );
            self.window.resize(want, 0);
            let n = read_full_at(self.file, &mut self.window, at)?;
            self.window.truncate(n);
            self.window_start = at;
        }
        let from = (at - self.window_start) as usize;
        let to = (from + len).min(self.window.len());
        Ok(self.window.get(from..to).unwrap_or(&[]))
    }
}
