//! Produce-time validation through `Log::append`: every error kind, and
//! that nothing is written when any batch is bad.

use arus_log::{compute_crc, AppendError, LogConfig};

use crate::common::*;

fn assert_nothing_written(log: &arus_log::Log) {
    assert_eq!(log.log_end_offset(), 0);
    assert_eq!(log.size_bytes(), 0);
    assert_eq!(log.segment_count(), 1);
}

#[test]
fn flipped_byte_is_corrupt_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), LogConfig::default());
    let mut b = batch(3, 1000, 20);
    let last = b.len() - 1;
    b[last] ^= 0x01;
    let err = log.append(&b, 0, 0).unwrap_err();
    assert!(matches!(err, AppendError::CorruptMessage(_)), "{err}");
    assert_eq!(err.kafka_error_code(), 2);
    assert_nothing_written(&log);
}

#[test]
fn magic_1_is_invalid_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), LogConfig::default());
    let mut b = batch(1, 1000, 5);
    b[16] = 1;
    let err = log.append(&b, 0, 0).unwrap_err();
    assert!(
        matches!(err, AppendError::InvalidRecord(ref m) if m == "magic v1 not supported; produce requests need magic 2")
    );
    assert_eq!(err.kafka_error_code(), 87);
    assert_nothing_written(&log);
}

#[test]
fn oversize_is_message_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let b = batch(4, 1000, 100);
    let config = LogConfig {
        max_message_bytes: b.len() - 1,
        ..LogConfig::default()
    };
    let mut log = open_unclean(dir.path(), config.clone());
    let err = log.append(&b, 0, 0).unwrap_err();
    assert!(matches!(err, AppendError::MessageTooLarge(_)), "{err}");
    assert_eq!(err.kafka_error_code(), 10);
    assert_nothing_written(&log);
    log.update_config(LogConfig {
        max_message_bytes: b.len(),
        ..config
    });
    assert_eq!(log.append(&b, 0, 0).unwrap().last_offset, 3);
}

#[test]
fn truncated_is_corrupt_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), LogConfig::default());
    let b = batch(2, 1000, 10);
    for cut in [1, 11, 12, 40, 61, b.len() - 1] {
        let part = b[..cut].to_vec();
        let err = log.append(&part, 0, 0).unwrap_err();
        assert!(
            matches!(err, AppendError::CorruptMessage(_)),
            "cut {cut}: {err}"
        );
    }
    let empty: Vec<u8> = Vec::new();
    assert!(matches!(
        log.append(&empty, 0, 0),
        Err(AppendError::CorruptMessage(_))
    ));
    assert_nothing_written(&log);
}

#[test]
fn bad_second_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), LogConfig::default());
    let first = batch(2, 1000, 10);
    let mut buf = first.clone();
    let mut second = batch(2, 1000, 10);
    // records count 5 with lastOffsetDelta 1, CRC fixed up: InvalidRecord.
    second[57..61].copy_from_slice(&5i32.to_be_bytes());
    let crc = compute_crc(&second);
    second[17..21].copy_from_slice(&crc.to_be_bytes());
    buf.extend_from_slice(&second);
    let err = log.append(&buf, 3, 0).unwrap_err();
    assert!(matches!(err, AppendError::InvalidRecord(_)), "{err}");
    assert_nothing_written(&log);
    assert_eq!(
        &buf[..first.len()],
        &first[..],
        "the first batch was not rewritten"
    );
    assert!(log.leader_epoch_cache().entries().is_empty());
}

#[test]
fn unknown_codec_is_invalid_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), LogConfig::default());
    let mut b = batch(1, 1000, 10);
    b[22] = (b[22] & !0x07) | 0x05;
    let crc = compute_crc(&b);
    b[17..21].copy_from_slice(&crc.to_be_bytes());
    assert!(matches!(
        log.append(&b, 0, 0),
        Err(AppendError::InvalidRecord(_))
    ));
    assert_nothing_written(&log);
}
