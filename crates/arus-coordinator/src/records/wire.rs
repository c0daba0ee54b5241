//! Big-endian primitives of Kafka's non-flexible schemas: int16-length
//! strings (-1 = null) and int32-length bytes.

use bytes::{BufMut, Bytes, BytesMut};

use super::RecordError;

/// Appends fields to a record key or value.
#[derive(Default)]
pub(crate) struct Writer {
    buf: BytesMut,
}

impl Writer {
    pub(crate) fn i8(&mut self, v: i8) -> &mut Self {
        self.buf.put_i8(v);
        self
    }

    pub(crate) fn i16(&mut self, v: i16) -> &mut Self {
        self.buf.put_i16(v);
        self
    }

    pub(crate) fn i32(&mut self, v: i32) -> &mut Self {
        self.buf.put_i32(v);
        self
    }

    pub(crate) fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.put_i64(v);
        self
    }

    pub(crate) fn string(&mut self, s: &str) -> Result<&mut Self, RecordError> {
        let len = i16::try_from(s.len()).map_err(|_| RecordError::TooLong(s.len()))?;
        self.buf.put_i16(len);
        self.buf.put_slice(s.as_bytes());
        Ok(self)
    }

    pub(crate) fn nullable_string(&mut self, s: Option<&str>) -> Result<&mut Self, RecordError> {
        match s {
            Some(s) => self.string(s),
            None => Ok(self.i16(-1)),
        }
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) -> Result<&mut Self, RecordError> {
        let len = i32::try_from(b.len()).map_err(|_| RecordError::TooLong(b.len()))?;
        self.buf.put_i32(len);
        self.buf.put_slice(b);
        Ok(self)
    }

    pub(crate) fn finish(self) -> Bytes {
        self.buf.freeze()
    }
}

/// Reads fields back, refusing truncated input.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        if self.buf.len() < n {
            return Err(RecordError::Truncated);
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn i8(&mut self) -> Result<i8, RecordError> {
        Ok(self.array::<1>()?[0] as i8)
    }

    pub(crate) fn i16(&mut self) -> Result<i16, RecordError> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, RecordError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, RecordError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    pub(crate) fn nullable_string(&mut self) -> Result<Option<String>, RecordError> {
        let len = self.i16()?;
        if len < 0 {
            return Ok(None);
        }
        let raw = self.take(len as usize)?;
        let s = std::str::from_utf8(raw).map_err(|_| RecordError::InvalidUtf8)?;
        Ok(Some(s.to_owned()))
    }

    pub(crate) fn string(&mut self) -> Result<String, RecordError> {
        self.nullable_string()?.ok_or(RecordError::UnexpectedNull)
    }

    pub(crate) fn bytes(&mut self) -> Result<Bytes, RecordError> {
        let len = self.i32()?;
        if len < 0 {
            return Err(RecordError::UnexpectedNull);
        }
        Ok(Bytes::copy_from_slice(self.take(len as usize)?))
    }

    /// Array element count; negative (null) counts are refused.
    pub(crate) fn count(&mut self) -> Result<usize, RecordError> {
        let n = self.i32()?;
        usize::try_from(n).map_err(|_| RecordError::UnexpectedNull)
    }
}
