//! The cleaner's offset map: record key -> offset of its latest occurrence in the dirty
//! part of a log, bounded in memory like Kafka's `SkimpyOffsetMap`.
//!
//! Keys are stored as a 16-byte hash (two independent 64-bit SipHashes), so an entry costs
//! the same 24 bytes (hash + offset) whatever the key length, and the map's capacity is
//! known before a pass starts: `dedupe_buffer_bytes / 24` slots filled to Kafka's load
//! factor of 0.9. A collision between two keys would make the older key's records look
//! superseded; with 128 bits that is as unlikely as with Kafka's MD5.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Bytes one entry is charged: 16-byte key hash + 8-byte offset (Kafka's accounting).
pub(crate) const BYTES_PER_ENTRY: usize = 24;
/// Share of the slots the map fills before it reports full (Kafka's
/// `log.cleaner.io.buffer.load.factor`).
const LOAD_FACTOR: f64 = 0.9;

/// A 16-byte digest of a record key.
type KeyHash = [u8; 16];

fn hash_key(key: &[u8]) -> KeyHash {
    // Two SipHash instances told apart by a different first byte are independent enough
    // for a dedupe map; std's hasher has fixed keys, so the digest is stable in-process.
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        key.hash(&mut h);
        h.finish().to_be_bytes()
    };
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&half(0x5a));
    out[8..].copy_from_slice(&half(0xa5));
    out
}

/// Key hash -> latest offset, with a fixed maximum number of entries.
#[derive(Debug)]
pub(crate) struct OffsetMap {
    entries: HashMap<KeyHash, i64>,
    max_entries: usize,
}

impl OffsetMap {
    /// A map that may use about `buffer_bytes` (`log.cleaner.dedupe.buffer.size`).
    pub(crate) fn with_buffer(buffer_bytes: usize) -> Self {
        let slots = buffer_bytes / BYTES_PER_ENTRY;
        let max_entries = ((slots as f64) * LOAD_FACTOR) as usize;
        OffsetMap {
            entries: HashMap::new(),
            max_entries,
        }
    }

    /// Whether `more` new keys could still be added without passing the limit (counting
    /// them all as new, since the caller does not know yet).
    pub(crate) fn has_room_for(&self, more: usize) -> bool {
        self.entries.len().saturating_add(more) <= self.max_entries
    }

    /// Records that `key` occurs at `offset` (offsets are put in increasing order, so the
    /// last put wins).
    pub(crate) fn put(&mut self, key: &[u8], offset: i64) {
        self.entries.insert(hash_key(key), offset);
    }

    /// The latest offset of `key`, if mapped.
    pub(crate) fn get(&self, key: &[u8]) -> Option<i64> {
        self.entries.get(&hash_key(key)).copied()
    }

    /// Keys mapped.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_offset_wins_and_capacity_follows_kafkas_accounting() {
        // 10 slots of 24 bytes at load factor 0.9: 9 entries.
        let mut m = OffsetMap::with_buffer(240);
        assert!(m.has_room_for(9));
        assert!(!m.has_room_for(10));
        m.put(b"a", 1);
        m.put(b"b", 2);
        m.put(b"a", 7);
        assert_eq!(m.get(b"a"), Some(7));
        assert_eq!(m.get(b"b"), Some(2));
        assert_eq!(m.get(b"c"), None);
        assert_eq!(m.len(), 2);
        assert!(m.has_room_for(7));
        assert!(!m.has_room_for(8));
        // A buffer too small for one slot holds nothing.
        assert!(!OffsetMap::with_buffer(23).has_room_for(1));
        // Keys differing only in length or order hash apart.
        assert_ne!(hash_key(b"ab"), hash_key(b"ba"));
        assert_ne!(hash_key(b""), hash_key(b"\0"));
    }
}
