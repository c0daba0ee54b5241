//! Arbitrary bytes as a produce request's records: validation never panics, and whatever it
//! accepts is appended and read back unchanged apart from the rewritten header fields.
//!
//! A random CRC almost never matches, so when the first input byte is odd the rest of the
//! input gets correct CRC-32Cs for every batch it frames; the fuzzer then reaches the append
//! and read paths instead of stopping at the checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn fix_crcs(buf: &mut [u8]) {
    let mut pos = 0usize;
    while pos + 21 <= buf.len() {
        let len = i32::from_be_bytes([buf[pos + 8], buf[pos + 9], buf[pos + 10], buf[pos + 11]]);
        let Ok(len) = usize::try_from(len) else { return };
        let end = pos + 12 + len;
        if len < 9 || end > buf.len() {
            return;
        }
        let crc = arus_log::compute_crc(&buf[pos..end]);
        buf[pos + 17..pos + 21].copy_from_slice(&crc.to_be_bytes());
        pos = end;
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let mut data = rest.to_vec();
    if mode & 1 == 1 {
        fix_crcs(&mut data);
    }
    let Ok(validated) = arus_log::validate_batches(&data, 1 << 20) else {
        return;
    };
    assert_eq!(validated.total_bytes, data.len());
    let dir = tempfile::tempdir().expect("tempdir");
    let mut log = arus_log::Log::open(
        dir.path(),
        arus_log::LogConfig::default(),
        arus_log::RecoveryHint::default(),
        0,
    )
    .expect("open");
    let mut copy = data.clone();
    let info = log.append(&mut copy, 0, 0).expect("validated batches append");
    assert_eq!(info.base_offset, 0);
    let end = log.log_end_offset();
    log.set_high_watermark(end);
    let bytes = log
        .read(0, end)
        .expect("read")
        .read(usize::MAX, true)
        .expect("pread");
    assert_eq!(bytes.len(), data.len());
    // Records are stored as produced. Only the base offset, leader epoch, and (like Kafka,
    // for a CreateTime topic) the timestamp-type attribute bit may change, with the CRC
    // recomputed to match.
    for b in &validated.batches {
        let stored = &bytes[b.position..b.position + b.size];
        let produced = &data[b.position..b.position + b.size];
        assert_eq!(stored[23..], produced[23..]);
        assert_eq!(stored[21], produced[21]);
        assert_eq!(stored[22] & !0x08, produced[22] & !0x08);
        assert_eq!(stored[16], 2);
        let crc = u32::from_be_bytes([stored[17], stored[18], stored[19], stored[20]]);
        assert_eq!(crc, arus_log::compute_crc(stored));
    }
});
