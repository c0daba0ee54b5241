//! Records for the message browser: decoding fetched batches (kafka-protocol's
//! RecordBatchDecoder, every codec the workspace enables), the server-side substring filter,
//! the JSON shape the page's script renders (as text, never as markup), and the paging cursor.

use std::collections::BTreeMap;

use bytes::Bytes;
use kafka_protocol::records::RecordBatchDecoder;
use serde::Serialize;

/// Values longer than this are cut in the browser's JSON (the flag says so).
pub const MAX_SHOWN: usize = 64 * 1024;

/// One record as the browser shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Shown {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub key: Option<Payload>,
    pub value: Option<Payload>,
    pub headers: Vec<(String, Option<Payload>)>,
}

/// Bytes shown three ways: text (lossy UTF-8), whether that text is exact UTF-8, and hex.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Payload {
    pub text: String,
    pub utf8: bool,
    pub hex: String,
    pub size: usize,
    pub truncated: bool,
}

impl Payload {
    pub fn of(bytes: &[u8]) -> Payload {
        let truncated = bytes.len() > MAX_SHOWN;
        let shown = &bytes[..bytes.len().min(MAX_SHOWN)];
        let utf8 = std::str::from_utf8(shown).is_ok();
        Payload {
            text: String::from_utf8_lossy(shown).into_owned(),
            utf8,
            hex: hex(shown),
            size: bytes.len(),
            truncated,
        }
    }
}

/// Lower-case hex, bytes separated by spaces.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A decoded data record (control records are left out).
#[derive(Debug, Clone)]
pub struct Decoded {
    pub offset: i64,
    pub timestamp: i64,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
}

/// Decodes the record batches of one Fetch answer. Fetch serves whole batches, so a decode
/// error means a bad batch: it is reported, not skipped silently.
pub fn decode(mut records: Bytes) -> Result<Vec<Decoded>, String> {
    let sets = RecordBatchDecoder::decode_all(&mut records)
        .map_err(|e| format!("cannot decode records: {e}"))?;
    let mut out = Vec::new();
    for set in sets {
        for r in set.records {
            if r.control {
                continue;
            }
            out.push(Decoded {
                offset: r.offset,
                timestamp: r.timestamp,
                key: r.key,
                value: r.value,
                headers: r
                    .headers
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            });
        }
    }
    Ok(out)
}

/// The offset after the last whole v2 batch in `bytes` (base offset + lastOffsetDelta + 1),
/// read from the batch headers: a reader advances past batches whose records were all
/// compacted away or are control records. None when there is no whole batch.
pub fn batches_end(bytes: &[u8]) -> Option<i64> {
    let mut pos = 0usize;
    let mut end = None;
    while let Some(header) = bytes.get(pos..pos + 27) {
        let base = i64::from_be_bytes(header[0..8].try_into().ok()?);
        let len = i32::from_be_bytes(header[8..12].try_into().ok()?);
        let delta = i32::from_be_bytes(header[23..27].try_into().ok()?);
        let Ok(len) = usize::try_from(len) else { break };
        let next = pos.checked_add(12)?.checked_add(len)?;
        if next > bytes.len() || len < 15 {
            break;
        }
        end = Some(
            base.saturating_add(i64::from(delta.max(0)))
                .saturating_add(1),
        );
        pos = next;
    }
    end
}

/// Whether `needle` occurs in the record's key, value, a header name or a header value.
/// An empty needle matches everything.
pub fn matches(r: &Decoded, needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    let hit = |b: &[u8]| contains(b, needle);
    r.key.as_deref().is_some_and(hit)
        || r.value.as_deref().is_some_and(hit)
        || r.headers
            .iter()
            .any(|(k, v)| hit(k.as_bytes()) || v.as_deref().is_some_and(hit))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| w == needle)
}

impl Decoded {
    pub fn shown(&self, partition: i32) -> Shown {
        Shown {
            partition,
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key.as_deref().map(Payload::of),
            value: self.value.as_deref().map(Payload::of),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.as_deref().map(Payload::of)))
                .collect(),
        }
    }
}

/// The browser's position: the next offset to read per partition, as `p:offset,p:offset`.
pub fn encode_cursor(c: &BTreeMap<i32, i64>) -> String {
    c.iter()
        .map(|(p, o)| format!("{p}:{o}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses a cursor; None if any part is malformed.
pub fn parse_cursor(s: &str) -> Option<BTreeMap<i32, i64>> {
    let mut out = BTreeMap::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        let (p, o) = part.split_once(':')?;
        out.insert(p.trim().parse().ok()?, o.trim().parse().ok()?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::indexmap::IndexMap;
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::*;

    fn batch(compression: Compression) -> Bytes {
        let mut headers = IndexMap::new();
        headers.insert(
            StrBytes::from_static_str("trace"),
            Some(Bytes::from_static(b"abc")),
        );
        let recs: Vec<Record> = (0..3)
            .map(|i| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: 0,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: 10 + i,
                sequence: -1,
                timestamp: 1000 + i,
                key: Some(Bytes::from(format!("k{i}"))),
                value: if i == 2 {
                    None
                } else {
                    Some(Bytes::from(format!("<v{i}>")))
                },
                headers: if i == 1 {
                    headers.clone()
                } else {
                    IndexMap::new()
                },
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            recs.iter(),
            &RecordEncodeOptions {
                version: 2,
                compression,
            },
        )
        .expect("encode");
        buf.freeze()
    }

    #[test]
    fn decodes_every_codec() {
        for c in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let rs = decode(batch(c)).expect("decode");
            assert_eq!(rs.len(), 3);
            assert_eq!(rs[0].offset, 10);
            assert_eq!(rs[1].key.as_deref(), Some(&b"k1"[..]));
            assert_eq!(
                rs[1].headers,
                vec![("trace".to_string(), Some(Bytes::from_static(b"abc")))]
            );
            assert_eq!(rs[2].value, None);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(Bytes::from_static(&[
            0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 2, 1
        ]))
        .is_err());
        let mut b = batch(Compression::None).to_vec();
        b.truncate(b.len() - 3);
        assert!(decode(Bytes::from(b)).is_err());
    }

    #[test]
    fn filter_looks_at_key_value_and_headers() {
        let rs = decode(batch(Compression::None)).expect("decode");
        assert!(matches(&rs[0], b""));
        assert!(matches(&rs[0], b"k0"));
        assert!(matches(&rs[0], b"<v0"));
        assert!(!matches(&rs[0], b"trace"));
        assert!(matches(&rs[1], b"trace"));
        assert!(matches(&rs[1], b"bc"));
        assert!(!matches(&rs[2], b"<v"));
        assert!(!matches(&rs[2], b"k2-longer-than-key"));
    }

    #[test]
    fn payload_views() {
        let p = Payload::of(b"\xffA");
        assert!(!p.utf8);
        assert_eq!(p.hex, "ff 41");
        assert_eq!(p.text, "\u{fffd}A");
        let big = vec![b'x'; MAX_SHOWN + 1];
        let p = Payload::of(&big);
        assert!(p.truncated);
        assert_eq!(p.size, MAX_SHOWN + 1);
        assert_eq!(p.text.len(), MAX_SHOWN);
    }

    #[test]
    fn end_of_batches() {
        let b = batch(Compression::None);
        // Encoded with base offset 10 and three records.
        assert_eq!(batches_end(&b), Some(13));
        let mut two = b.to_vec();
        two.extend_from_slice(&b);
        assert_eq!(batches_end(&two), Some(13));
        // A torn last batch does not count.
        assert_ne!(batches_end(&b[..b.len() - 1]), Some(13));
        assert_eq!(batches_end(&b[..20]), None);
        assert_eq!(batches_end(&[]), None);
        assert_eq!(batches_end(&[0xff; 40]), None);
    }

    #[test]
    fn cursor_round_trip() {
        let c: BTreeMap<i32, i64> = [(0, 5), (2, 17)].into_iter().collect();
        assert_eq!(encode_cursor(&c), "0:5,2:17");
        assert_eq!(parse_cursor("0:5,2:17"), Some(c));
        assert_eq!(parse_cursor(""), Some(BTreeMap::new()));
        assert_eq!(parse_cursor("0:x"), None);
        assert_eq!(parse_cursor("05"), None);
    }
}
