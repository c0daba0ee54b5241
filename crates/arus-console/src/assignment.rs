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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_empty_assignment() {
        assert!(decode(Bytes::new()).is_empty());
        assert!(decode(Bytes::from_static(&[0, 1, 0xff, 0xff, 0xff, 0x7f])).is_empty());
        assert!(decode(Bytes::from_static(&[0xff, 0xff, 1, 2])).is_empty());
    }
}
