//! OffsetCommitValue: versions 0-3 read, 3 written (1 when the commit carries
//! an explicit expiry, as Kafka does for OffsetCommit v2-v4 retention times).

use bytes::Bytes;

use super::wire::{Reader, Writer};
use super::RecordError;

/// A committed offset as stored in `__consumer_offsets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommitValue {
    /// The committed offset.
    pub offset: i64,
    /// The leader epoch of the committed record, -1 if unknown.
    pub leader_epoch: i32,
    /// Client metadata ("" when none).
    pub metadata: String,
    /// When the commit was made (ms).
    pub commit_timestamp: i64,
    /// Explicit expiry from an old client's retention time (value version 1 only).
    pub expire_timestamp: Option<i64>,
}

impl OffsetCommitValue {
    /// Value bytes: version 3 (offset, leader_epoch, metadata, commit_timestamp),
    /// or version 1 (offset, metadata, commit_timestamp, expire_timestamp)
    /// when an expiry is set.
    pub fn encode(&self) -> Result<Bytes, RecordError> {
        let mut w = Writer::default();
        match self.expire_timestamp {
            Some(expire) => {
                w.i16(1)
                    .i64(self.offset)
                    .string(&self.metadata)?
                    .i64(self.commit_timestamp)
                    .i64(expire);
            }
            None => {
                w.i16(3)
                    .i64(self.offset)
                    .i32(self.leader_epoch)
                    .string(&self.metadata)?
                    .i64(self.commit_timestamp);
            }
        }
        Ok(w.finish())
    }

    /// Reads value versions 0 to 3.
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let mut r = Reader::new(bytes);
        let version = r.i16()?;
        if !(0..=3).contains(&version) {
            return Err(RecordError::UnsupportedValueVersion(version));
        }
        let offset = r.i64()?;
        let leader_epoch = if version >= 3 { r.i32()? } else { -1 };
        let metadata = r.string()?;
        let commit_timestamp = r.i64()?;
        let expire_timestamp = if version == 1 { Some(r.i64()?) } else { None };
        Ok(Self {
            offset,
            leader_epoch,
            metadata,
            commit_timestamp,
            expire_timestamp,
        })
    }
}
