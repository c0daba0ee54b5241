//! `__consumer_offsets` records in Kafka's own key/value schemas, so Kafka's
//! tools (`kafka-console-consumer --formatter ...OffsetsMessageFormatter`,
//! `kafka-dump-log --offsets-decoder`) can read what Arus writes.
//!
//! A key starts with an int16 version that names the record type
//! (0 or 1: offset commit, 2: group metadata); a value starts with its own
//! schema version. A tombstone is a key with a null value.

mod group;
mod offset;
mod transaction;
mod wire;

use bytes::Bytes;

pub use group::{GroupMetadataValue, MemberMetadataValue};
pub use offset::OffsetCommitValue;
pub use transaction::{decode_transaction_key, transaction_key, TransactionLogValue};
use wire::{Reader, Writer};

/// Key version written for offset commits (OffsetCommitKey).
const OFFSET_KEY_VERSION: i16 = 1;
/// Key version of group metadata (GroupMetadataKey).
const GROUP_KEY_VERSION: i16 = 2;

/// Why a record could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The input ended inside a field.
    #[error("record truncated")]
    Truncated,
    /// A string was not UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// A null where the schema has no null.
    #[error("unexpected null field")]
    UnexpectedNull,
    /// A field too long for its length prefix.
    #[error("field of {0} bytes is too long for its length prefix")]
    TooLong(usize),
    /// A key version this coordinator does not handle (transaction or
    /// KIP-848 consumer-group records); the caller may skip the record.
    #[error("unsupported key version {0}")]
    UnsupportedKeyVersion(i16),
    /// A value schema version this coordinator does not read.
    #[error("unsupported value version {0}")]
    UnsupportedValueVersion(i16),
}

/// One record for a group's `__consumer_offsets` partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// The group the record belongs to (selects the partition, see
    /// [`crate::partition_for`]); not part of the bytes.
    pub group_id: String,
    /// The record key.
    pub key: Bytes,
    /// The record value; `None` is a tombstone.
    pub value: Option<Bytes>,
    /// For a transactional offset commit: the producer ID and epoch the record is written
    /// under, in a transactional batch that the transaction's marker later commits or aborts.
    pub producer: Option<(i64, i16)>,
}

impl GroupRecord {
    /// A committed offset of `group` for `topic`-`partition`.
    pub fn offset_commit(
        group: &str,
        topic: &str,
        partition: i32,
        value: &OffsetCommitValue,
    ) -> Result<Self, RecordError> {
        Ok(Self {
            group_id: group.to_owned(),
            key: RecordKey::offset(group, topic, partition).encode()?,
            value: Some(value.encode()?),
            producer: None,
        })
    }

    /// Deletes the committed offset of `group` for `topic`-`partition`.
    pub fn offset_tombstone(group: &str, topic: &str, partition: i32) -> Result<Self, RecordError> {
        Ok(Self {
            group_id: group.to_owned(),
            key: RecordKey::offset(group, topic, partition).encode()?,
            value: None,
            producer: None,
        })
    }

    /// The membership and assignment of `group` at a generation.
    pub fn group_metadata(group: &str, value: &GroupMetadataValue) -> Result<Self, RecordError> {
        Ok(Self {
            group_id: group.to_owned(),
            key: RecordKey::group(group).encode()?,
            value: Some(value.encode()?),
            producer: None,
        })
    }

    /// Deletes the metadata of `group`.
    pub fn group_tombstone(group: &str) -> Result<Self, RecordError> {
        Ok(Self {
            group_id: group.to_owned(),
            key: RecordKey::group(group).encode()?,
            value: None,
            producer: None,
        })
    }
}

/// A decoded record key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKey {
    /// OffsetCommitKey: a group's committed offset for one partition.
    OffsetCommit {
        /// The group id.
        group: String,
        /// The topic name.
        topic: String,
        /// The partition index.
        partition: i32,
    },
    /// GroupMetadataKey: a group's membership.
    GroupMetadata {
        /// The group id.
        group: String,
    },
}

impl RecordKey {
    fn offset(group: &str, topic: &str, partition: i32) -> Self {
        Self::OffsetCommit {
            group: group.to_owned(),
            topic: topic.to_owned(),
            partition,
        }
    }

    fn group(group: &str) -> Self {
        Self::GroupMetadata {
            group: group.to_owned(),
        }
    }

    /// The group the key belongs to.
    pub fn group_id(&self) -> &str {
        match self {
            Self::OffsetCommit { group, .. } | Self::GroupMetadata { group } => group,
        }
    }

    /// Key bytes: int16 key version, then the fields.
    pub fn encode(&self) -> Result<Bytes, RecordError> {
        let mut w = Writer::default();
        match self {
            Self::OffsetCommit {
                group,
                topic,
                partition,
            } => {
                w.i16(OFFSET_KEY_VERSION)
                    .string(group)?
                    .string(topic)?
                    .i32(*partition);
            }
            Self::GroupMetadata { group } => {
                w.i16(GROUP_KEY_VERSION).string(group)?;
            }
        }
        Ok(w.finish())
    }

    /// Reads key bytes written by Kafka or by [`RecordKey::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let mut r = Reader::new(bytes);
        match r.i16()? {
            0 | 1 => Ok(Self::OffsetCommit {
                group: r.string()?,
                topic: r.string()?,
                partition: r.i32()?,
            }),
            2 => Ok(Self::GroupMetadata { group: r.string()? }),
            v => Err(RecordError::UnsupportedKeyVersion(v)),
        }
    }
}

#[cfg(test)]
mod tests;
