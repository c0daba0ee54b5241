//! A buffer kafka-protocol encodes responses into that keeps large shared byte runs — the
//! record batches a fetch read from segment files — as references instead of copying them
//! into the response; the connection then writes the pieces with vectored writes.
//!
//! The encoder writes a bytes field with `put_slice`; a slice that is exactly one of the
//! registered runs (same address and length) becomes its own piece. Anything else is copied
//! as usual, so a run that is not recognised costs a copy, never correctness.

use std::collections::HashMap;
use std::ops::Range;

use bytes::buf::UninitSlice;
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::protocol::buf::ByteBufMut;

/// Runs shorter than this are copied: an extra piece costs more than copying them.
const SHARE_AT_LEAST: usize = 4096;

/// An encoded response as pieces in write order.
pub struct ResponseBuf {
    /// Finished pieces.
    done: Vec<Bytes>,
    done_len: usize,
    /// The piece being written.
    current: BytesMut,
    /// Runs to keep by reference, by (address, length).
    shared: HashMap<(usize, usize), Bytes>,
}

impl ResponseBuf {
    /// A buffer that will keep `runs` (those worth it) by reference when they are written.
    pub fn new(runs: impl IntoIterator<Item = Bytes>) -> Self {
        let shared = runs
            .into_iter()
            .filter(|b| b.len() >= SHARE_AT_LEAST)
            .map(|b| ((b.as_ptr() as usize, b.len()), b))
            .collect();
        ResponseBuf {
            done: Vec::new(),
            done_len: 0,
            current: BytesMut::with_capacity(256),
            shared,
        }
    }

    /// Total bytes written.
    pub fn len(&self) -> usize {
        self.done_len + self.current.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pieces, in order.
    pub fn into_parts(mut self) -> Vec<Bytes> {
        if !self.current.is_empty() {
            self.done.push(self.current.freeze());
        }
        self.done
    }

    /// Copies the finished pieces back into one buffer, for the rare random access (gaps)
    /// that reaches before the current piece. Messages never do this; records encoding does.
    fn flatten(&mut self) {
        if self.done.is_empty() {
            return;
        }
        let mut all = BytesMut::with_capacity(self.len());
        for piece in self.done.drain(..) {
            all.extend_from_slice(&piece);
        }
        all.extend_from_slice(&self.current);
        self.current = all;
        self.done_len = 0;
    }
}

// SAFETY: every method delegates to the current BytesMut, which upholds BufMut's contract.
unsafe impl BufMut for ResponseBuf {
    fn remaining_mut(&self) -> usize {
        self.current.remaining_mut()
    }

    unsafe fn advance_mut(&mut self, cnt: usize) {
        // SAFETY: the caller initialised `cnt` bytes of the current piece's chunk.
        unsafe { self.current.advance_mut(cnt) }
    }

    fn chunk_mut(&mut self) -> &mut UninitSlice {
        self.current.chunk_mut()
    }

    fn put_slice(&mut self, src: &[u8]) {
        if src.len() >= SHARE_AT_LEAST {
            if let Some(run) = self.shared.get(&(src.as_ptr() as usize, src.len())) {
                let run = run.clone();
                if !self.current.is_empty() {
                    let piece = self.current.split().freeze();
                    self.done_len += piece.len();
                    self.done.push(piece);
                }
                self.done_len += run.len();
                self.done.push(run);
                return;
            }
        }
        self.current.extend_from_slice(src);
    }
}

impl ByteBufMut for ResponseBuf {
    fn offset(&self) -> usize {
        self.len()
    }

    fn seek(&mut self, offset: usize) {
        if offset < self.done_len {
            self.flatten();
        }
        self.current.resize(offset - self.done_len, 0);
    }

    fn range(&mut self, r: Range<usize>) -> &mut [u8] {
        if r.start < self.done_len {
            self.flatten();
        }
        let start = r.start - self.done_len;
        let end = r.end - self.done_len;
        &mut self.current[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_runs_are_kept_by_reference_and_the_bytes_are_unchanged() {
        let run = Bytes::from(vec![7u8; 10_000]);
        let small = Bytes::from(vec![1u8; 100]);
        let other = vec![9u8; 5000]; // not registered: copied
        let mut buf = ResponseBuf::new([run.clone(), small.clone()]);
        buf.put_i32(42);
        buf.put_slice(&run);
        buf.put_slice(&small);
        buf.put_slice(&other);
        buf.put_u8(3);
        let mut expected = 42i32.to_be_bytes().to_vec();
        expected.extend_from_slice(&run);
        expected.extend_from_slice(&small);
        expected.extend_from_slice(&other);
        expected.push(3);
        assert_eq!(buf.len(), expected.len());
        let parts = buf.into_parts();
        assert_eq!(parts.len(), 3, "before, the run itself, after");
        assert_eq!(parts[1].as_ptr(), run.as_ptr(), "the run is not copied");
        assert_eq!(parts.concat(), expected);
    }

    #[test]
    fn gaps_before_a_shared_run_still_work() {
        let run = Bytes::from(vec![5u8; 8192]);
        let mut buf = ResponseBuf::new([run.clone()]);
        let gap = buf.put_gap(4);
        buf.put_slice(&run);
        buf.gap_buf(gap).copy_from_slice(&[1, 2, 3, 4]);
        let parts = buf.into_parts();
        let mut expected = vec![1, 2, 3, 4];
        expected.extend_from_slice(&run);
        assert_eq!(parts.concat(), expected);
    }
}
