//! Transaction markers: the control batch that ends a producer's transaction in one
//! partition (KIP-98), built here byte for byte as Kafka writes it, and read back when
//! producer state is rebuilt from the log.
//!
//! A marker is a v2 batch with attributes transactional|control, the producer's ID and
//! epoch, baseSequence -1 and one record: key = [i16 version 0][i16 type: 0 abort,
//! 1 commit], value = [i16 version 0][i32 coordinator epoch], no headers.

use crate::batch::{compute_crc, parse_header, BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_V2};

/// A transaction marker the transaction coordinator asks a partition leader to write
/// (WriteTxnMarkers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnMarker {
    /// The transactional producer whose transaction ends.
    pub producer_id: i64,
    /// Its epoch (the coordinator's view, possibly bumped).
    pub producer_epoch: i16,
    /// Commit (true) or abort (false).
    pub commit: bool,
    /// Epoch of the coordinator writing the marker; older coordinators are fenced.
    pub coordinator_epoch: i32,
}

/// Control record type of an abort marker.
const ABORT_TYPE: i16 = 0;
/// Control record type of a commit marker.
const COMMIT_TYPE: i16 = 1;
/// transactional (bit 4) | control (bit 5).
const MARKER_ATTRIBUTES: i16 = 0x30;

/// What a control batch's record says, when it is a transaction marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MarkerRecord {
    /// Commit (true) or abort (false).
    pub(crate) commit: bool,
    /// The coordinator epoch in the record's value.
    pub(crate) coordinator_epoch: i32,
}

/// Appends `v` zigzag-encoded as a varint (the record format's integers).
pub(crate) fn put_varint(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// Reads a zigzag varint at `*pos`, advancing it; `None` if truncated or too long.
pub(crate) fn get_varint(buf: &[u8], pos: &mut usize) -> Option<i64> {
    let mut z: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        z |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some((z >> 1) as i64 ^ -((z & 1) as i64));
        }
    }
    None
}

/// The complete control batch for `marker`, stamped `timestamp`, base offset 0 and leader
/// epoch -1 (the append rewrites both, outside the CRC), CRC-32C filled in.
pub(crate) fn build_marker_batch(marker: &TxnMarker, timestamp: i64) -> Vec<u8> {
    let kind = if marker.commit {
        COMMIT_TYPE
    } else {
        ABORT_TYPE
    };
    let mut key = Vec::with_capacity(4);
    key.extend_from_slice(&0i16.to_be_bytes());
    key.extend_from_slice(&kind.to_be_bytes());
    let mut value = Vec::with_capacity(6);
    value.extend_from_slice(&0i16.to_be_bytes());
    value.extend_from_slice(&marker.coordinator_epoch.to_be_bytes());

    let mut body = Vec::with_capacity(16);
    body.push(0); // record attributes (unused)
    put_varint(&mut body, 0); // timestampDelta
    put_varint(&mut body, 0); // offsetDelta
    put_varint(&mut body, key.len() as i64);
    body.extend_from_slice(&key);
    put_varint(&mut body, value.len() as i64);
    body.extend_from_slice(&value);
    put_varint(&mut body, 0); // no headers
    let mut record = Vec::with_capacity(body.len() + 1);
    put_varint(&mut record, body.len() as i64);
    record.extend_from_slice(&body);

    let total = BATCH_HEADER_SIZE + record.len();
    let mut b = Vec::with_capacity(total);
    b.extend_from_slice(&0i64.to_be_bytes()); // baseOffset
    b.extend_from_slice(&((total - LOG_OVERHEAD) as i32).to_be_bytes()); // batchLength
    b.extend_from_slice(&(-1i32).to_be_bytes()); // partitionLeaderEpoch
    b.push(MAGIC_V2 as u8);
    b.extend_from_slice(&0u32.to_be_bytes()); // crc, below
    b.extend_from_slice(&MARKER_ATTRIBUTES.to_be_bytes());
    b.extend_from_slice(&0i32.to_be_bytes()); // lastOffsetDelta
    b.extend_from_slice(&timestamp.to_be_bytes()); // baseTimestamp
    b.extend_from_slice(&timestamp.to_be_bytes()); // maxTimestamp
    b.extend_from_slice(&marker.producer_id.to_be_bytes());
    b.extend_from_slice(&marker.producer_epoch.to_be_bytes());
    b.extend_from_slice(&(-1i32).to_be_bytes()); // baseSequence
    b.extend_from_slice(&1i32.to_be_bytes()); // recordsCount
    b.extend_from_slice(&record);
    let crc = compute_crc(&b);
    b[17..21].copy_from_slice(&crc.to_be_bytes());
    b
}

/// Reads the marker out of a whole control batch (`batch` starts at its header). `None`
/// for anything else: a data batch, a compressed or malformed one, or another control
/// record type (KRaft's leader-change and snapshot records use types >= 2).
pub(crate) fn parse_marker(batch: &[u8]) -> Option<MarkerRecord> {
    let header = parse_header(batch).ok()?;
    if !header.is_control() || header.compression_codec() != 0 || header.records_count < 1 {
        return None;
    }
    let mut pos = BATCH_HEADER_SIZE;
    let _length = get_varint(batch, &mut pos)?;
    pos += 1; // record attributes
    let _timestamp_delta = get_varint(batch, &mut pos)?;
    let _offset_delta = get_varint(batch, &mut pos)?;
    let key_len = usize::try_from(get_varint(batch, &mut pos)?).ok()?;
    let key = batch.get(pos..pos.checked_add(key_len)?)?;
    pos += key_len;
    let kind = i16::from_be_bytes(key.get(2..4)?.try_into().ok()?);
    let commit = match kind {
        COMMIT_TYPE => true,
        ABORT_TYPE => false,
        _ => return None,
    };
    let value_len = usize::try_from(get_varint(batch, &mut pos)?).ok()?;
    let value = batch.get(pos..pos.checked_add(value_len)?)?;
    // Newer value versions only append fields: the coordinator epoch stays at bytes 2..6.
    let coordinator_epoch = i32::from_be_bytes(value.get(2..6)?.try_into().ok()?);
    Some(MarkerRecord {
        commit,
        coordinator_epoch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::validate_batches;

    #[test]
    fn marker_batches_are_valid_and_round_trip() {
        let marker = TxnMarker {
            producer_id: 77,
            producer_epoch: 3,
            commit: false,
            coordinator_epoch: 9,
        };
        let b = build_marker_batch(&marker, 1234);
        // 61-byte header + 1-byte length + 16-byte record.
        assert_eq!(b.len(), 78);
        let v = validate_batches(&b, usize::MAX).unwrap();
        assert_eq!(v.record_count, 1);
        assert_eq!(v.batches[0].producer, None, "markers carry no sequence");
        let h = parse_header(&b).unwrap();
        assert_eq!(h.attributes, 0x30);
        assert!(h.is_control() && h.is_transactional());
        assert_eq!(
            (h.producer_id, h.producer_epoch, h.base_sequence),
            (77, 3, -1)
        );
        assert_eq!((h.base_timestamp, h.max_timestamp), (1234, 1234));
        // Record: length 16, attrs, tsDelta, offsetDelta, keyLen 4, key, valueLen 6, value, 0 headers.
        assert_eq!(
            &b[61..],
            &[32, 0, 0, 0, 8, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 9, 0]
        );
        assert_eq!(
            parse_marker(&b),
            Some(MarkerRecord {
                commit: false,
                coordinator_epoch: 9
            })
        );
        let commit = build_marker_batch(
            &TxnMarker {
                commit: true,
                coordinator_epoch: -1,
                ..marker
            },
            5,
        );
        assert_eq!(
            parse_marker(&commit),
            Some(MarkerRecord {
                commit: true,
                coordinator_epoch: -1
            })
        );
    }

    #[test]
    fn other_batches_are_not_markers() {
        let mut b = build_marker_batch(
            &TxnMarker {
                producer_id: 1,
                producer_epoch: 0,
                commit: true,
                coordinator_epoch: 0,
            },
            0,
        );
        // A control record of another type (KRaft leader change = 2).
        let mut leader_change = b.clone();
        leader_change[69] = 2;
        assert_eq!(parse_marker(&leader_change), None);
        // Truncated bytes are rejected, not panicked on.
        assert_eq!(parse_marker(&b[..70]), None);
        // Not a control batch.
        b[22] = 0x10;
        assert_eq!(parse_marker(&b), None);
    }

    #[test]
    fn varints_round_trip() {
        for v in [
            0i64,
            1,
            -1,
            63,
            -64,
            64,
            300,
            i32::MAX as i64,
            i64::MIN,
            i64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut pos = 0;
            assert_eq!(get_varint(&out, &mut pos), Some(v));
            assert_eq!(pos, out.len());
        }
    }
}
