//! Reads the topic list out of a consumer's subscription metadata.
//!
//! ConsumerProtocolSubscription starts, in every version, with an int16
//! version and an array of int16-length topic names; only that prefix is
//! read, as Kafka does, so later versions parse too.

use std::collections::BTreeSet;

/// The subscribed topics, or `None` if the metadata is not a consumer subscription.
pub(crate) fn topics(metadata: &[u8]) -> Option<BTreeSet<String>> {
    let mut buf = metadata;
    let version = i16::from_be_bytes(take(&mut buf)?);
    if version < 0 {
        return None;
    }
    let count = i32::from_be_bytes(take(&mut buf)?);
    let count = usize::try_from(count).ok()?;
    let mut out = BTreeSet::new();
    for _ in 0..count {
        let len = i16::from_be_bytes(take(&mut buf)?);
        let len = usize::try_from(len).ok()?;
        if buf.len() < len {
            return None;
        }
        let (name, rest) = buf.split_at(len);
        buf = rest;
        out.insert(std::str::from_utf8(name).ok()?.to_owned());
    }
    Some(out)
}

fn take<const N: usize>(buf: &mut &[u8]) -> Option<[u8; N]> {
    if buf.len() < N {
        return None;
    }
    let (head, rest) = buf.split_at(N);
    *buf = rest;
    let mut out = [0u8; N];
    out.copy_from_slice(head);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_topics_and_ignores_the_rest() {
        let mut raw = vec![0, 1, 0, 0, 0, 2, 0, 1, b'a', 0, 2, b'b', b'c'];
        raw.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]); // null user data
        let t = topics(&raw).unwrap();
        assert_eq!(t.into_iter().collect::<Vec<_>>(), vec!["a", "bc"]);
    }

    #[test]
    fn refuses_garbage() {
        assert_eq!(topics(&[]), None);
        assert_eq!(topics(&[0xff, 0xff, 0, 0, 0, 0]), None);
        assert_eq!(topics(&[0, 0, 0, 0, 0, 1, 0, 5, b'a']), None);
    }
}
