//! The buffer a socket's fetch response is encoded into: the record batches stay in their
//! segment files and become file ranges the connection sends with `sendfile`, between the
//! encoded bytes around them.
//!
//! The fetch handler puts a stand-in of the right length in each records field; the encoder
//! writes a bytes field with `put_slice`, and a slice that is exactly a registered stand-in
//! (same address and length) becomes its file range. A stand-in that is not recognised fails
//! the response instead of being sent.

use std::collections::HashMap;
use std::io;
use std::ops::Range;

use arus_log::FileRange;
use bytes::buf::UninitSlice;
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::protocol::buf::ByteBufMut;

/// A piece of an encoded response.
#[derive(Debug, Clone)]
pub enum Piece {
    /// Bytes in memory.
    Bytes(Bytes),
    /// Whole record batches in a segment file.
    File(FileRange),
}

impl Piece {
    /// Bytes the piece puts on the wire.
    pub fn len(&self) -> usize {
        match self {
            Piece::Bytes(b) => b.len(),
            Piece::File(f) => f.len,
        }
    }

    /// Whether the piece is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The bytes of `pieces` in one buffer, file ranges read (tests and tools; connections send
/// the pieces as they are).
pub fn flatten(pieces: &[Piece]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(pieces.iter().map(Piece::len).sum());
    for piece in pieces {
        match piece {
            Piece::Bytes(b) => out.extend_from_slice(b),
            Piece::File(f) => out.extend_from_slice(&f.read()?),
        }
    }
    Ok(out)
}

/// An encoded response as pieces in write order.
pub struct ResponseBuf {
    /// Finished pieces.
    done: Vec<Piece>,
    done_len: usize,
    /// The piece being written.
    current: BytesMut,
    /// File ranges by their stand-in's (address, length).
    runs: HashMap<(usize, usize), FileRange>,
    /// File runs registered and not yet written.
    files_pending: usize,
    /// Set when random access reached back into a file piece (cannot happen for messages).
    broken: bool,
}

impl ResponseBuf {
    /// A buffer that sends each `(stand_in, range)` file range where the encoder writes its
    /// stand-in.
    pub fn new(files: impl IntoIterator<Item = (Bytes, FileRange)>) -> Self {
        let runs: HashMap<(usize, usize), FileRange> = files
            .into_iter()
            .map(|(stand_in, range)| ((stand_in.as_ptr() as usize, stand_in.len()), range))
            .collect();
        let files_pending = runs.len();
        ResponseBuf {
            done: Vec::new(),
            done_len: 0,
            current: BytesMut::with_capacity(256),
            runs,
            files_pending,
            broken: false,
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

    /// The pieces, in order; an error if a file run's stand-in was not recognised.
    pub fn into_pieces(mut self) -> Result<Vec<Piece>, String> {
        if self.files_pending != 0 || self.broken {
            return Err(format!(
                "{} fetched file ranges were not placed in the response",
                self.files_pending
            ));
        }
        if !self.current.is_empty() {
            self.done.push(Piece::Bytes(self.current.freeze()));
        }
        Ok(self.done)
    }

    /// Copies the finished pieces back into one buffer, for random access (gaps) that reaches
    /// before the current piece. Messages never do this (records encoding does); a file range
    /// cannot be copied back, so the response is then refused.
    fn merge_into_current(&mut self) {
        if self.done.is_empty() {
            return;
        }
        let mut all = BytesMut::with_capacity(self.len());
        for piece in self.done.drain(..) {
            match piece {
                Piece::Bytes(b) => all.extend_from_slice(&b),
                Piece::File(f) => {
                    self.broken = true;
                    all.resize(all.len() + f.len, 0);
                }
            }
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
        let run = if self.runs.is_empty() {
            None
        } else {
            self.runs.remove(&(src.as_ptr() as usize, src.len()))
        };
        if let Some(range) = run {
            self.files_pending -= 1;
            if !self.current.is_empty() {
                let piece = self.current.split().freeze();
                self.done_len += piece.len();
                self.done.push(Piece::Bytes(piece));
            }
            self.done_len += range.len;
            self.done.push(Piece::File(range));
            return;
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
            self.merge_into_current();
        }
        self.current.resize(offset - self.done_len, 0);
    }

    fn range(&mut self, r: Range<usize>) -> &mut [u8] {
        if r.start < self.done_len {
            self.merge_into_current();
        }
        let start = r.start - self.done_len;
        let end = r.end - self.done_len;
        &mut self.current[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn bytes_of(pieces: &[Piece]) -> Vec<u8> {
        flatten(pieces).unwrap()
    }

    #[test]
    fn file_runs_are_sent_from_the_file_in_place_of_their_stand_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("segment");
        let content: Vec<u8> = (0..50_000u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let range = FileRange {
            file: Arc::new(std::fs::File::open(&path).unwrap()),
            position: 1000,
            len: 30_000,
            records: 1,
            bytes: None,
        };
        let stand_in = Bytes::from(vec![0u8; 30_000]);
        let mut buf = ResponseBuf::new([(stand_in.clone(), range)]);
        buf.put_u8(1);
        buf.put_slice(&stand_in);
        buf.put_u8(2);
        let pieces = buf.into_pieces().unwrap();
        assert!(matches!(pieces[1], Piece::File(_)));
        let mut expected = vec![1u8];
        expected.extend_from_slice(&content[1000..31_000]);
        expected.push(2);
        assert_eq!(bytes_of(&pieces), expected);

        // A stand-in the encoder never wrote fails the response instead of sending zeros.
        let unused = FileRange {
            file: Arc::new(std::fs::File::open(&path).unwrap()),
            position: 0,
            len: 10,
            records: 1,
            bytes: None,
        };
        let buf = ResponseBuf::new([(Bytes::from(vec![0u8; 10]), unused)]);
        assert!(buf.into_pieces().is_err());
    }

    #[test]
    fn gaps_in_the_encoded_bytes_work_and_gaps_across_a_file_range_refuse_the_response() {
        let mut buf = ResponseBuf::new([]);
        buf.put_u8(9);
        let gap = buf.put_gap(4);
        buf.put_u8(8);
        buf.gap_buf(gap).copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(
            bytes_of(&buf.into_pieces().unwrap()),
            vec![9, 1, 2, 3, 4, 8]
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("segment");
        std::fs::write(&path, [7u8; 100]).unwrap();
        let range = FileRange {
            file: Arc::new(std::fs::File::open(&path).unwrap()),
            position: 0,
            len: 100,
            records: 1,
            bytes: None,
        };
        let stand_in = Bytes::from(vec![0u8; 100]);
        let mut buf = ResponseBuf::new([(stand_in.clone(), range)]);
        let gap = buf.put_gap(4);
        buf.put_slice(&stand_in);
        buf.gap_buf(gap).copy_from_slice(&[1, 2, 3, 4]);
        assert!(buf.into_pieces().is_err());
    }
}
