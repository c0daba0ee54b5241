//! Append/read round trips, fetch positioning and limits, LogAppendTime.

use arus_log::{compute_crc, parse_header, validate_batches, LogConfig, LogError, TimestampType};

use crate::common::*;

#[test]
fn round_trip_with_exact_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), LogConfig::default());
    let mut sent = Vec::new();
    for (n, epoch) in [(3usize, 5), (1, 5), (5, 6)] {
        let mut b = batch(n, 1000 + n as i64, 10);
        let info = append_in_place(&mut log, &mut b, epoch, 42).unwrap();
        sent.push((info, b));
    }
    let offsets: Vec<(i64, i64, u64)> = sent
        .iter()
        .map(|(i, _)| (i.base_offset, i.last_offset, i.record_count))
        .collect();
    assert_eq!(offsets, vec![(0, 2, 3), (3, 3, 1), (4, 8, 5)]);
    assert_eq!(sent[0].0.log_append_time, -1);
    assert_eq!(sent[2].0.max_timestamp, 1005);
    assert_eq!(log.log_end_offset(), 9);
    let all = read_all(&log);
    let expected: Vec<u8> = sent.iter().flat_map(|(_, b)| b.clone()).collect();
    assert_eq!(
        all, expected,
        "stored bytes are the rewritten request bytes"
    );
    let hs = headers(&all);
    assert_eq!(
        hs.iter()
            .map(|h| (h.base_offset, h.partition_leader_epoch))
            .collect::<Vec<_>>(),
        vec![(0, 5), (3, 5), (4, 6)]
    );
    let records = decode(&all);
    assert_eq!(
        records.iter().map(|r| r.offset).collect::<Vec<_>>(),
        (0..9).collect::<Vec<_>>()
    );
    assert_eq!(records[4].value.as_deref(), Some(&value(0, 10)[..]));
    let epochs: Vec<(i32, i64)> = log
        .leader_epoch_cache()
        .entries()
        .iter()
        .map(|e| (e.epoch, e.start_offset))
        .collect();
    assert_eq!(epochs, vec![(5, 0), (6, 4)]);
    assert_eq!(log.end_offset_for_epoch(5), Some((5, 4)));
}

#[test]
fn fetch_mid_batch_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), LogConfig::default());
    for n in [3usize, 1, 5] {
        append_in_place(&mut log, &mut batch(n, 7, 10), 0, 0).unwrap();
    }
    let first_base = |offset: i64, max: i64| {
        let bytes = log.read(offset, max).unwrap().read(1 << 20, false).unwrap();
        headers(&bytes).first().map(|h| h.base_offset)
    };
    assert_eq!(first_base(0, 9), Some(0));
    assert_eq!(first_base(2, 9), Some(0));
    assert_eq!(first_base(3, 9), Some(3));
    assert_eq!(first_base(6, 9), Some(4));
    assert_eq!(first_base(8, 9), Some(4));
    // max_offset (high watermark) excludes the batch holding it.
    let bytes = log.read(0, 4).unwrap().read(1 << 20, false).unwrap();
    assert_eq!(
        headers(&bytes)
            .iter()
            .map(|h| h.base_offset)
            .collect::<Vec<_>>(),
        vec![0, 3]
    );
    let bytes = log.read(0, 6).unwrap().read(1 << 20, false).unwrap();
    assert_eq!(headers(&bytes).len(), 2);
    assert!(log.read(4, 6).unwrap().is_empty());
    assert!(log.read(9, 9).unwrap().is_empty());
    assert!(log.read(5, 3).unwrap().is_empty());
    assert!(matches!(
        log.read(10, 10),
        Err(LogError::OffsetOutOfRange {
            offset: 10,
            log_start: 0,
            log_end: 9
        })
    ));
    assert!(matches!(
        log.read(-1, 9),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    assert_eq!(log.read(10, 10).unwrap_err().kafka_error_code(), 1);
    // max_bytes cuts at whole batches; min_one_batch returns an oversize first batch.
    let slice = log.read(0, 9).unwrap();
    let first_size = headers(&slice.read(1 << 20, false).unwrap())[0]
        .total_size()
        .unwrap();
    assert_eq!(
        slice.read(first_size + 10, false).unwrap().len(),
        first_size
    );
    assert_eq!(slice.read(first_size - 1, false).unwrap().len(), 0);
    assert_eq!(slice.read(first_size - 1, true).unwrap().len(), first_size);
    assert_eq!(slice.len(), log.size_bytes());
}

#[test]
fn several_batches_in_one_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), LogConfig::default());
    append_in_place(&mut log, &mut batch(2, 1, 4), 0, 0).unwrap();
    let mut buf = batch(3, 10, 4);
    buf.extend(batch(4, 30, 4));
    buf.extend(batch(1, 20, 4));
    let info = append_in_place(&mut log, &mut buf, 0, 0).unwrap();
    assert_eq!(
        (info.base_offset, info.last_offset, info.record_count),
        (2, 9, 8)
    );
    assert_eq!(info.max_timestamp, 30);
    let hs = headers(&buf);
    assert_eq!(
        hs.iter().map(|h| h.base_offset).collect::<Vec<_>>(),
        vec![2, 5, 9]
    );
    let bytes = log.read(6, 10).unwrap().read(1 << 20, false).unwrap();
    assert_eq!(headers(&bytes)[0].base_offset, 5);
}

#[test]
fn log_append_time_stamps_and_keeps_crc_valid() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        timestamp_type: TimestampType::LogAppendTime,
        ..LogConfig::default()
    };
    let mut log = open_unclean(dir.path(), config);
    let now = 1_700_000_000_123;
    let mut b = batch(3, 5, 10);
    let info = append_in_place(&mut log, &mut b, 2, now).unwrap();
    assert_eq!(info.log_append_time, now);
    assert_eq!(info.max_timestamp, now);
    let stored = read_all(&log);
    let h = parse_header(&stored).unwrap();
    assert_eq!(h.timestamp_type(), TimestampType::LogAppendTime);
    assert_eq!(h.max_timestamp, now);
    assert_eq!(h.crc, compute_crc(&stored));
    assert!(validate_batches(&stored, usize::MAX).is_ok());
    assert_eq!(decode(&stored).len(), 3, "the decoder verifies the CRC too");
    assert_eq!(log.offset_for_timestamp(now).unwrap(), Some((0, now)));
    assert_eq!(log.offset_for_timestamp(now + 1).unwrap(), None);
    assert_eq!(log.max_timestamp_offset().unwrap(), Some((0, now)));
}

#[test]
fn high_watermark_is_clamped() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(dir.path(), LogConfig::default());
    append_in_place(&mut log, &mut batch(5, 1, 1), 0, 0).unwrap();
    assert_eq!(
        log.high_watermark(),
        0,
        "append does not move the high watermark"
    );
    log.set_high_watermark(3);
    assert_eq!(log.high_watermark(), 3);
    log.set_high_watermark(100);
    assert_eq!(log.high_watermark(), 5);
    log.set_high_watermark(-4);
    assert_eq!(log.high_watermark(), 0);
}

#[test]
fn fetch_survives_segment_deletion() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open_unclean(
        dir.path(),
        LogConfig {
            segment_bytes: 200,
            ..small_config()
        },
    );
    let b0 = batch(2, 1, 100);
    append_in_place(&mut log, &mut b0.clone(), 0, 0).unwrap();
    append_in_place(&mut log, &mut batch(2, 1, 100), 0, 0).unwrap();
    assert_eq!(log.segment_count(), 2);
    log.set_high_watermark(4);
    let slice = log.read(0, 4).unwrap();
    assert_eq!(log.delete_records_before(2).unwrap(), 2);
    assert_eq!(log.segment_count(), 1);
    assert!(!seg_file(dir.path(), 0, ".log").exists());
    let mut expected = b0;
    expected[12..16].copy_from_slice(&0i32.to_be_bytes());
    assert_eq!(&slice.read(1 << 20, false).unwrap()[..], &expected[..]);
}

#[test]
fn log_and_fetch_slice_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<arus_log::Log>();
    assert_send_sync::<arus_log::FetchSlice>();
}
