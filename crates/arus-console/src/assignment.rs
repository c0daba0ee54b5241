//! Decoding a classic consumer's assignment (ConsumerProtocolAssignment, versioned by its
//! first two bytes) from DescribeGroups member data.

use bytes::{Buf, Bytes};
use kafka_protocol::messages::ConsumerProtocolAssignment;
use kafka_protocol::protocol::{Decodable, Message};

/// The (topic, partition) pairs of an assignment, sorted; empty when absent or unreadable
/// (a non-consumer protocol, or garbage from a client).
pub fn decode(mut bytes: Bytes) -> Vec<(String, i32)> {
    if bytes.len() < 2 {
        return Vec::new();
    }
    let version = bytes.get_i16();
    if version < 0 {
        return Vec::new();
    }
    let version = version.min(ConsumerProtocolAssignment::VERSIONS.max);
    if !arrays_fit(&bytes) {
        return Vec::new();
    }
    match ConsumerProtocolAssignment::decode(&mut bytes, version) {
        Ok(a) => {
            let mut v: Vec<(String, i32)> = a
                .assigned_partitions
                .iter()
                .flat_map(|t| t.partitions.iter().map(|p| (t.topic.0.to_string(), *p)))
                .collect();
            v.sort();
            v.dedup();
            v
        }
        Err(_) => Vec::new(),
    }
}

/// Whether the assignment's array lengths fit its bytes. kafka-protocol's decoder reserves room
/// for a claimed length before reading the elements, and these bytes come from whichever
/// client led the group: a claim of 2^31 partitions would abort the process. Walks only the
/// framing (versions 0-3 share it): [topic: string, partitions: [int32]], then user data.
fn arrays_fit(mut b: &[u8]) -> bool {
    fn len16(b: &mut &[u8]) -> Option<usize> {
        let (n, rest) = b.split_first_chunk::<2>()?;
        *b = rest;
        usize::try_from(i16::from_be_bytes(*n)).ok()
    }
    fn len32(b: &mut &[u8]) -> Option<usize> {
        let (n, rest) = b.split_first_chunk::<4>()?;
        *b = rest;
        usize::try_from(i32::from_be_bytes(*n)).ok()
    }
    let Some(topics) = len32(&mut b).filter(|n| *n <= b.len() / 6) else {
        return false;
    };
    for _ in 0..topics {
        let Some(rest) = len16(&mut b).and_then(|n| b.get(n..)) else {
            return false;
        };
        b = rest;
        let Some(rest) = len32(&mut b).and_then(|n| b.get(n.checked_mul(4)?..)) else {
            return false;
        };
        b = rest;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_empty_assignment() {
        assert!(decode(Bytes::new()).is_empty());
        assert!(decode(Bytes::from_static(&[0, 1, 0xff, 0xff, 0xff, 0x7f])).is_empty());
        assert!(decode(Bytes::from_static(&[0xff, 0xff, 1, 2])).is_empty());
    }

    #[test]
    fn a_huge_claimed_array_is_an_empty_assignment_not_an_abort() {
        // Version 0, 1 topic "t", 2^31 - 1 partitions (none there).
        let huge = [0, 0, 0, 0, 0, 1, 0, 1, b't', 0x7f, 0xff, 0xff, 0xff];
        assert!(decode(Bytes::copy_from_slice(&huge)).is_empty());
        // Version 0, 2^31 - 1 topics.
        assert!(decode(Bytes::from_static(&[0, 0, 0x7f, 0xff, 0xff, 0xff])).is_empty());
        // The same shape with what it claims: t-0, t-5 (then empty user data).
        let ok = [
            0, 0, 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0,
        ];
        assert_eq!(
            decode(Bytes::copy_from_slice(&ok)),
            vec![("t".to_string(), 0), ("t".to_string(), 5)]
        );
    }
}
