//! `__transaction_state` records in Kafka's schemas (TransactionLogKey v0,
//! TransactionLogValue v0), so Kafka's tools can read what Arus writes.

use bytes::Bytes;

use super::wire::{Reader, Writer};
use super::RecordError;

/// Key schema version of TransactionLogKey.
const KEY_VERSION: i16 = 0;
/// Value schema version written (v0, the non-flexible one every Kafka reads).
const VALUE_VERSION: i16 = 0;

/// The state of a transactional ID as Kafka stores it (TransactionLogValue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionLogValue {
    /// Current producer ID.
    pub producer_id: i64,
    /// Current producer epoch.
    pub producer_epoch: i16,
    /// The producer's transaction timeout.
    pub timeout_ms: i32,
    /// Kafka's status code: 0 Empty, 1 Ongoing, 2 PrepareCommit, 3 PrepareAbort,
    /// 4 CompleteCommit, 5 CompleteAbort, 6 Dead, 7 PrepareEpochFence.
    pub status: i8,
    /// Partitions in the transaction, grouped by topic.
    pub partitions: Vec<(String, Vec<i32>)>,
    /// When the state last changed.
    pub last_update_ms: i64,
    /// When the ongoing transaction started (-1 when none).
    pub start_ms: i64,
}

/// The key of a transactional ID's record.
pub fn transaction_key(transactional_id: &str) -> Result<Bytes, RecordError> {
    let mut w = Writer::default();
    w.i16(KEY_VERSION).string(transactional_id)?;
    Ok(w.finish())
}

/// The transactional ID a key names.
pub fn decode_transaction_key(key: &[u8]) -> Result<String, RecordError> {
    let mut r = Reader::new(key);
    match r.i16()? {
        KEY_VERSION => r.string(),
        v => Err(RecordError::UnsupportedKeyVersion(v)),
    }
}

impl TransactionLogValue {
    /// Encodes the value (v0).
    pub fn encode(&self) -> Result<Bytes, RecordError> {
        let mut w = Writer::default();
        w.i16(VALUE_VERSION)
            .i64(self.producer_id)
            .i16(self.producer_epoch)
            .i32(self.timeout_ms)
            .i8(self.status);
        w.i32(
            i32::try_from(self.partitions.len())
                .map_err(|_| RecordError::TooLong(self.partitions.len()))?,
        );
        for (topic, partitions) in &self.partitions {
            w.string(topic)?;
            w.i32(partitions.len() as i32);
            for p in partitions {
                w.i32(*p);
            }
        }
        w.i64(self.last_update_ms).i64(self.start_ms);
        Ok(w.finish())
    }

    /// Decodes a v0 value (v1 values are refused: Arus never writes them).
    pub fn decode(value: &[u8]) -> Result<Self, RecordError> {
        let mut r = Reader::new(value);
        let version = r.i16()?;
        if version != VALUE_VERSION {
            return Err(RecordError::UnsupportedValueVersion(version));
        }
        let producer_id = r.i64()?;
        let producer_epoch = r.i16()?;
        let timeout_ms = r.i32()?;
        let status = r.i8()?;
        let topics = r.i32()?;
        let mut partitions = Vec::new();
        for _ in 0..topics.max(0) {
            let topic = r.string()?;
            let n = r.count()?;
            let mut ids = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                ids.push(r.i32()?);
            }
            partitions.push((topic, ids));
        }
        Ok(TransactionLogValue {
            producer_id,
            producer_epoch,
            timeout_ms,
            status,
            partitions,
            last_update_ms: r.i64()?,
            start_ms: r.i64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_kafkas_layout() {
        let key = transaction_key("tx-1").unwrap();
        assert_eq!(&key[..], &[0, 0, 0, 4, b't', b'x', b'-', b'1']);
        assert_eq!(decode_transaction_key(&key).unwrap(), "tx-1");
        let v = TransactionLogValue {
            producer_id: 7,
            producer_epoch: 2,
            timeout_ms: 60_000,
            status: 1,
            partitions: vec![("orders".into(), vec![0, 2])],
            last_update_ms: 1_000,
            start_ms: 900,
        };
        let bytes = v.encode().unwrap();
        // version, pid, epoch, timeout, status, 1 topic, "orders", 2 partitions, 0, 2, times
        assert_eq!(bytes.len(), 2 + 8 + 2 + 4 + 1 + 4 + 8 + 4 + 8 + 8 + 8);
        assert_eq!(TransactionLogValue::decode(&bytes).unwrap(), v);
        assert!(TransactionLogValue::decode(&bytes[..10]).is_err());
    }
}
