//! Arbitrary bytes as a produce request's records: validation never panics, and whatever it
//! accepts is appended and read back unchanged apart from the rewritten header fields.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(validated) = arus_log::validate_batches(data, 1 << 20) else {
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
    let mut copy = data.to_vec();
    let info = log.append(&mut copy, 0, 0).expect("validated batches append");
    assert_eq!(info.base_offset, 0);
    let end = log.log_end_offset();
    log.set_high_watermark(end);
    let bytes = log.read(0, end).expect("read").read(usize::MAX, true).expect("pread");
    assert_eq!(bytes.len(), data.len());
    // Everything after the base offset and leader epoch is as produced.
    for b in &validated.batches {
        assert_eq!(bytes[b.position + 16..b.position + b.size], data[b.position + 16..b.position + b.size]);
    }
});
