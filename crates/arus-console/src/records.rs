//! Records for the message browser: decoding fetched batches (kafka-protocol's
//! RecordBatchDecoder, every codec the workspace enables), the server-side substring filter,
//! the JSON shape the page's script renders (as text, never as markup), and the paging cursor.

use std::collections::BTreeMap;

use bytes::Bytes;
use kafka_protocol::records::{Compression, RecordBatchDecoder};
use serde::Serialize;

/// Values longer than this are cut in the browser's JSON (the flag says so).
pub const MAX_SHOWN: usize = 64 * 1024;
/// Headers shown per record (the rest are counted in `headers_omitted`).
pub const MAX_HEADERS_SHOWN: usize = 100;

/// One record as the browser shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Shown {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub key: Option<Payload>,
    pub value: Option<Payload>,
    pub headers: Vec<(String, Option<Payload>)>,
    pub headers_omitted: usize,
}

impl Shown {
    /// Roughly the bytes this record adds to a page (its shown text and hex).
    pub fn cost(&self) -> usize {
        let payload = |p: &Option<Payload>| p.as_ref().map_or(0, |p| p.text.len() + p.hex.len());
        64 + payload(&self.key)
            + payload(&self.value)
            + self
                .headers
                .iter()
                .map(|(k, v)| 16 + k.len() + payload(v))
                .sum::<usize>()
    }
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
        let mut shown = &bytes[..bytes.len().min(MAX_SHOWN)];
        let utf8 = match std::str::from_utf8(shown) {
            Ok(_) => true,
            // Text cut inside a character is still text: shown up to the cut.
            Err(e) if truncated && e.error_len().is_none() => {
                shown = &shown[..e.valid_up_to()];
                true
            }
            Err(_) => false,
        };
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
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
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

/// Decompressed bytes of records one batch may hold: a larger batch (a decompression bomb,
/// or just too big to show) is reported, not decoded.
pub const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;
/// Decompressed bytes one [`decode`] call reads before it stops after a whole batch.
pub const MAX_DECODE_BYTES: usize = 16 * 1024 * 1024;
/// The smallest v2 record: length, attributes, timestamp delta, offset delta, key length,
/// value length and header count, one byte each.
const MIN_RECORD_BYTES: usize = 7;
/// The v2 batch header: baseOffset .. recordsCount.
const BATCH_HEADER_BYTES: usize = 61;

/// The records decoded from one Fetch answer.
#[derive(Debug, Default)]
pub struct Batches {
    pub records: Vec<Decoded>,
    /// The offset after the last decoded batch (base offset + lastOffsetDelta + 1): a reader
    /// goes on from there, past records compacted away and control batches. None when no
    /// batch was decoded.
    pub end: Option<i64>,
    /// Decompressed bytes of the decoded batches.
    pub bytes: usize,
}

/// Decodes the whole record batches of one Fetch answer (kafka-protocol's decoder). It stops
/// after the batch that brings the decompressed total past [`MAX_DECODE_BYTES`] (the caller
/// goes on from [`Batches::end`]). A batch whose header claims more records than its bytes can
/// hold, or that decompresses past [`MAX_BATCH_BYTES`], is an error: the decoder would reserve
/// room for the claimed count (a header claiming 2^31 records would abort the process).
/// Fetch serves whole batches, so an error means a bad batch: reported, never skipped silently.
pub fn decode(records: Bytes) -> Result<Batches, String> {
    let mut out = Batches::default();
    let mut pos = 0usize;
    while let Some(header) = records.get(pos..pos + BATCH_HEADER_BYTES) {
        let int = |at: usize| {
            i32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let base = i64::from_be_bytes(header[0..8].try_into().map_err(|_| "short header")?);
        let (len, delta, count) = (int(8), int(23), int(57));
        let next = usize::try_from(len)
            .ok()
            .and_then(|l| pos.checked_add(12)?.checked_add(l))
            .filter(|n| *n <= records.len() && *n >= pos + BATCH_HEADER_BYTES)
            .ok_or_else(|| format!("cannot decode records: torn batch at offset {base}"))?;
        let count = usize::try_from(count).map_err(|_| {
            format!("cannot decode records: batch at offset {base} claims {count} records")
        })?;
        let mut batch = records.slice(pos..next);
        let decompressed = std::cell::Cell::new(0usize);
        let set = RecordBatchDecoder::decode_with_custom_compression(
            &mut batch,
            Some(|buf: &mut Bytes, c: Compression| {
                let plain = decompress(buf, c)?;
                if plain.len() > MAX_BATCH_BYTES {
                    anyhow::bail!("its records decompress to more than {MAX_BATCH_BYTES} bytes");
                }
                if count > plain.len() / MIN_RECORD_BYTES {
                    anyhow::bail!("it claims {count} records in {} bytes", plain.len());
                }
                check_header_counts(&plain, count)?;
                decompressed.set(plain.len());
                Ok(plain)
            }),
        )
        .map_err(|e| format!("cannot decode records: batch at offset {base}: {e}"))?;
        for r in set.records.into_iter().filter(|r| !r.control) {
            out.records.push(Decoded {
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
        out.end = Some(
            base.saturating_add(i64::from(delta.max(0)))
                .saturating_add(1),
        );
        out.bytes += decompressed.get();
        pos = next;
        if out.bytes >= MAX_DECODE_BYTES {
            return Ok(out);
        }
    }
    if pos < records.len() {
        return Err(format!(
            "cannot decode records: {} bytes after the last whole batch",
            records.len() - pos
        ));
    }
    Ok(out)
}

/// Checks the one other count kafka-protocol's record decoder reserves room for before
/// reading: each record's header count must fit the record's remaining bytes (two per header
/// at least). A record claiming 2^31 headers would otherwise abort the process. Only walks
/// the records' framing; the decoder reads them.
fn check_header_counts(mut records: &[u8], count: usize) -> anyhow::Result<()> {
    let torn = || anyhow::anyhow!("a record is torn");
    for _ in 0..count {
        let size = usize::try_from(varint(&mut records)?).map_err(|_| torn())?;
        let (record, rest) = records.split_at_checked(size).ok_or_else(torn)?;
        records = rest;
        let mut body = record.get(1..).ok_or_else(torn)?; // attributes
        varint(&mut body)?; // timestamp delta
        varint(&mut body)?; // offset delta
        for _ in 0..2 {
            // key, value (-1: null)
            if let Ok(len) = usize::try_from(varint(&mut body)?) {
                body = body.get(len..).ok_or_else(torn)?;
            }
        }
        let headers = varint(&mut body)?;
        if headers > (body.len() / 2) as i64 {
            anyhow::bail!("a record claims {headers} headers in {} bytes", body.len());
        }
    }
    Ok(())
}

/// A zigzag varint (Kafka's varint and varlong).
fn varint(buf: &mut &[u8]) -> anyhow::Result<i64> {
    let mut v = 0u64;
    for i in 0..10 {
        let (&b, rest) = buf
            .split_first()
            .ok_or_else(|| anyhow::anyhow!("a record is torn"))?;
        *buf = rest;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((v >> 1) as i64 ^ -((v & 1) as i64));
        }
    }
    anyhow::bail!("a varint is longer than 10 bytes")
}

/// A batch's records section, decompressed (Kafka's codecs, as kafka-protocol reads them)
/// without ever holding more than [`MAX_BATCH_BYTES`] + 1 bytes of output: a 1 MiB zstd or
/// gzip batch can expand to gigabytes.
fn decompress(buf: &mut Bytes, c: Compression) -> anyhow::Result<Bytes> {
    use std::io::Read;
    let input = buf.split_off(0);
    let cap = MAX_BATCH_BYTES as u64 + 1;
    let mut out = Vec::new();
    match c {
        Compression::None => return Ok(input),
        Compression::Snappy => return snappy(&input),
        Compression::Gzip => flate2::read::GzDecoder::new(&input[..])
            .take(cap)
            .read_to_end(&mut out)?,
        Compression::Lz4 => lz4::Decoder::new(&input[..])?
            .take(cap)
            .read_to_end(&mut out)?,
        Compression::Zstd => zstd::stream::read::Decoder::new(&input[..])?
            .take(cap)
            .read_to_end(&mut out)?,
    };
    Ok(Bytes::from(out))
}

/// Snappy as Kafka writes it (xerial framing: a magic header, then length-prefixed raw
/// blocks) or raw; each block's claimed length is checked before room is made for it.
fn snappy(input: &[u8]) -> anyhow::Result<Bytes> {
    const MAGIC: &[u8; 16] = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01";
    let blocks: Vec<&[u8]> = match input.strip_prefix(MAGIC) {
        None => vec![input],
        Some(mut rest) => {
            let mut blocks = Vec::new();
            while !rest.is_empty() {
                let (len, tail) = rest
                    .split_first_chunk::<4>()
                    .ok_or_else(|| anyhow::anyhow!("torn snappy block length"))?;
                let len = u32::from_be_bytes(*len) as usize;
                let block = tail
                    .get(..len)
                    .ok_or_else(|| anyhow::anyhow!("torn snappy block"))?;
                blocks.push(block);
                rest = &tail[len..];
            }
            blocks
        }
    };
    let mut out = Vec::new();
    for block in blocks {
        let len = snap::raw::decompress_len(block)?;
        if out.len().saturating_add(len) > MAX_BATCH_BYTES {
            anyhow::bail!("its records decompress to more than {MAX_BATCH_BYTES} bytes");
        }
        let start = out.len();
        out.resize(start + len, 0);
        snap::raw::Decoder::new().decompress(block, &mut out[start..])?;
    }
    Ok(Bytes::from(out))
}

/// What is left of a page: records, and bytes of shown text (see [`Shown::cost`]).
#[derive(Debug, Clone, Copy)]
pub struct Room {
    pub records: usize,
    pub bytes: usize,
}

/// What [`scan`] found in one partition's fetched batches.
#[derive(Debug, Default)]
pub struct Scan {
    /// The matching records, as many as fit the room.
    pub shown: Vec<Shown>,
    /// Their [`Shown::cost`].
    pub shown_bytes: usize,
    /// Records looked at.
    pub scanned: usize,
    /// Where the partition's reading goes on.
    pub next: i64,
    /// Decompressed bytes decoded (at least the fetched bytes).
    pub bytes: usize,
}

/// Decodes one partition's fetched batches and looks at its records from offset `from`,
/// keeping those that match `needle` until the room is full. `next` is after the last record
/// looked at, or past the decoded batches when the page did not fill (so compacted-away
/// records and control batches are skipped).
pub fn scan(
    fetched: Bytes,
    from: i64,
    needle: &[u8],
    room: Room,
    partition: i32,
) -> Result<Scan, String> {
    let full = |s: &Scan| s.shown.len() >= room.records || s.shown_bytes >= room.bytes;
    let decoded = decode(fetched.clone())?;
    let mut out = Scan {
        next: from,
        bytes: decoded.bytes.max(fetched.len()),
        ..Scan::default()
    };
    for r in decoded.records.iter().filter(|r| r.offset >= from) {
        if full(&out) {
            return Ok(out);
        }
        out.scanned += 1;
        if matches(r, needle) {
            let shown = r.shown(partition);
            out.shown_bytes += shown.cost();
            out.shown.push(shown);
        }
        out.next = r.offset + 1;
    }
    if !full(&out) {
        if let Some(end) = decoded.end {
            out.next = out.next.max(end);
        }
    }
    Ok(out)
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
                .take(MAX_HEADERS_SHOWN)
                .map(|(k, v)| (cut(k).to_string(), v.as_deref().map(Payload::of)))
                .collect(),
            headers_omitted: self.headers.len().saturating_sub(MAX_HEADERS_SHOWN),
        }
    }
}

/// At most [`MAX_SHOWN`] bytes of `text`, cut at a character boundary.
fn cut(text: &str) -> &str {
    let mut end = text.len().min(MAX_SHOWN);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
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
            let rs = decode(batch(c)).expect("decode").records;
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
        let rs = decode(batch(Compression::None)).expect("decode").records;
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
        // Long text cut inside a character is still text (JSON/text views, not hex).
        let mut long = "x".repeat(MAX_SHOWN - 1);
        long.push('é');
        let p = Payload::of(long.as_bytes());
        assert!(p.utf8 && p.truncated);
        assert_eq!(p.text, "x".repeat(MAX_SHOWN - 1));
        assert_eq!(hex(&[0, 0x0f, 0xa0, 0xff]), "00 0f a0 ff");
    }

    #[test]
    fn end_of_batches() {
        let b = batch(Compression::None);
        // Encoded with base offset 10 and three records.
        let d = decode(b.clone()).expect("decode");
        assert_eq!((d.end, d.records.len()), (Some(13), 3));
        assert!(d.bytes > 0);
        let mut two = b.to_vec();
        two.extend_from_slice(&b);
        assert_eq!(decode(Bytes::from(two)).expect("decode").end, Some(13));
        // A torn batch is an error.
        assert!(decode(b.slice(..b.len() - 1)).is_err());
        assert!(decode(b.slice(..20)).is_err());
        assert!(decode(Bytes::from_static(&[0xff; 40])).is_err());
        let empty = decode(Bytes::new()).expect("empty");
        assert_eq!((empty.end, empty.records.len()), (None, 0));
    }

    /// The first batch of `b` with its lastOffsetDelta and recordsCount (and CRC) rewritten
    /// as a hostile producer could: the broker checks only that the two agree.
    fn claim_records(b: &Bytes, count: i32) -> Bytes {
        let len = i32::from_be_bytes([b[8], b[9], b[10], b[11]]) as usize;
        let mut v = b[..len + 12].to_vec();
        v[23..27].copy_from_slice(&(count - 1).to_be_bytes());
        v[57..61].copy_from_slice(&count.to_be_bytes());
        let crc = crc32c::crc32c(&v[21..]);
        v[17..21].copy_from_slice(&crc.to_be_bytes());
        Bytes::from(v)
    }

    #[test]
    fn a_batch_claiming_more_records_than_it_holds_is_an_error_not_an_abort() {
        for c in [Compression::None, Compression::Zstd, Compression::Gzip] {
            let b = claim_records(&batch(c), i32::MAX);
            let e = decode(b).expect_err("refused");
            assert!(e.contains("claims 2147483647 records"), "{c:?}: {e}");
        }
        // A claim its bytes could hold is left to the decoder (which finds it short).
        assert!(decode(claim_records(&batch(Compression::None), 4)).is_err());
    }

    #[test]
    fn a_record_claiming_more_headers_than_it_holds_is_an_error_not_an_abort() {
        let record = Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: 0,
            sequence: -1,
            timestamp: 0,
            key: None,
            value: Some(Bytes::from_static(b"AAAA")),
            headers: IndexMap::new(),
        };
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            [&record],
            &RecordEncodeOptions {
                version: 2,
                compression: Compression::None,
            },
        )
        .expect("encode");
        // The record ends with value length 4, "AAAA", 0 headers; make that value length 0
        // and 2^31 - 1 headers in the same six bytes.
        let mut v = buf.to_vec();
        let n = v.len();
        assert_eq!(v[n - 6..], [0x08, b'A', b'A', b'A', b'A', 0x00]);
        v[n - 6..].copy_from_slice(&[0x00, 0xfe, 0xff, 0xff, 0xff, 0x0f]);
        let crc = crc32c::crc32c(&v[21..]);
        v[17..21].copy_from_slice(&crc.to_be_bytes());
        let e = decode(Bytes::from(v)).expect_err("refused");
        assert!(e.contains("claims 2147483647 headers"), "{e}");
    }

    #[test]
    fn a_decompression_bomb_is_refused() {
        for c in [
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            bomb(c);
        }
    }

    #[test]
    fn decompression_stops_past_the_cap() {
        use std::io::Read;
        let zeros = || std::io::repeat(0).take(MAX_BATCH_BYTES as u64 + 8 * 1024 * 1024);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::copy(&mut zeros(), &mut gz).expect("gzip");
        let mut zs = Vec::new();
        zstd::stream::copy_encode(zeros(), &mut zs, 1).expect("zstd");
        let mut lz = lz4::EncoderBuilder::new().build(Vec::new()).expect("lz4");
        std::io::copy(&mut zeros(), &mut lz).expect("lz4");
        let (lz, r) = lz.finish();
        r.expect("lz4 finish");
        for (c, bytes) in [
            (Compression::Gzip, gz.finish().expect("gzip")),
            (Compression::Zstd, zs),
            (Compression::Lz4, lz),
        ] {
            let out = decompress(&mut Bytes::from(bytes), c).expect("decompress");
            assert_eq!(out.len(), MAX_BATCH_BYTES + 1, "{c:?}");
        }
        // A snappy block that claims 4 GiB is refused before room is made for it.
        let mut framed = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01".to_vec();
        framed.extend_from_slice(&5u32.to_be_bytes());
        framed.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        let e = decompress(&mut Bytes::from(framed), Compression::Snappy).expect_err("refused");
        assert!(e.to_string().contains("more than"), "{e}");
    }

    fn bomb(compression: Compression) {
        let record = Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: 0,
            sequence: -1,
            timestamp: 0,
            key: None,
            value: Some(Bytes::from(vec![0u8; MAX_BATCH_BYTES + 1])),
            headers: IndexMap::new(),
        };
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            [&record],
            &RecordEncodeOptions {
                version: 2,
                compression,
            },
        )
        .expect("encode");
        let e = decode(buf.freeze()).expect_err("refused");
        assert!(
            e.contains("decompress to more than"),
            "{compression:?}: {e}"
        );
    }

    #[test]
    fn scan_fills_the_room_then_stops() {
        // Offsets 10, 11, 12 (keys k0..k2); the batch ends at 13.
        let b = batch(Compression::None);
        let room = |records| Room {
            records,
            bytes: usize::MAX,
        };
        let s = scan(b.clone(), 0, b"", room(2), 7).expect("scan");
        assert_eq!(
            s.shown.iter().map(|r| r.offset).collect::<Vec<_>>(),
            [10, 11]
        );
        assert_eq!(s.shown[0].partition, 7);
        assert_eq!((s.scanned, s.next), (2, 12));
        // Room left: to the batch's end.
        let s = scan(b.clone(), 11, b"", room(5), 0).expect("scan");
        assert_eq!((s.shown.len(), s.scanned, s.next), (2, 2, 13));
        // Filtered: everything looked at, one kept.
        let s = scan(b.clone(), 0, b"trace", room(5), 0).expect("scan");
        assert_eq!(s.shown.iter().map(|r| r.offset).collect::<Vec<_>>(), [11]);
        assert_eq!((s.scanned, s.next), (3, 13));
        assert!(scan(b.slice(..30), 0, b"", room(5), 0).is_err());
        // A byte budget stops the page after the record that reaches it.
        let one = scan(b.clone(), 0, b"", room(5), 0).expect("scan").shown[0].cost();
        let s = scan(
            b.clone(),
            0,
            b"",
            Room {
                records: 5,
                bytes: one,
            },
            0,
        )
        .expect("scan");
        assert_eq!((s.shown.len(), s.shown_bytes, s.next), (1, one, 11));
    }

    #[test]
    fn headers_shown_are_capped() {
        let mut d = decode(batch(Compression::None))
            .expect("decode")
            .records
            .remove(0);
        d.headers = (0..MAX_HEADERS_SHOWN + 5)
            .map(|i| (format!("h{i}"), None))
            .collect();
        d.headers[0].0 = "é".repeat(MAX_SHOWN);
        let s = d.shown(0);
        assert_eq!(s.headers.len(), MAX_HEADERS_SHOWN);
        assert_eq!(s.headers_omitted, 5);
        assert_eq!(s.headers[0].0.len(), MAX_SHOWN);
        assert!(s.cost() >= MAX_SHOWN);
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
