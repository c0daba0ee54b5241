use bytes::Bytes;

use super::*;

#[test]
fn offset_key_bytes_follow_kafka_schema() {
    let key = RecordKey::OffsetCommit {
        group: "g".into(),
        topic: "t".into(),
        partition: 3,
    };
    let bytes = key.encode().unwrap();
    assert_eq!(
        bytes.as_ref(),
        &[0, 1, 0, 1, b'g', 0, 1, b't', 0, 0, 0, 3][..]
    );
    assert_eq!(RecordKey::decode(&bytes).unwrap(), key);
    // Version 0 keys have the same fields.
    let v0 = [0, 0, 0, 1, b'g', 0, 1, b't', 0, 0, 0, 3];
    assert_eq!(RecordKey::decode(&v0).unwrap(), key);
}

#[test]
fn group_key_bytes_follow_kafka_schema() {
    let key = RecordKey::GroupMetadata { group: "ab".into() };
    let bytes = key.encode().unwrap();
    assert_eq!(bytes.as_ref(), &[0, 2, 0, 2, b'a', b'b'][..]);
    assert_eq!(RecordKey::decode(&bytes).unwrap(), key);
    assert_eq!(key.group_id(), "ab");
}

#[test]
fn unknown_key_versions_are_reported() {
    assert_eq!(
        RecordKey::decode(&[0, 3, 0, 0]),
        Err(RecordError::UnsupportedKeyVersion(3))
    );
    assert_eq!(RecordKey::decode(&[0]), Err(RecordError::Truncated));
    assert_eq!(
        RecordKey::decode(&[0, 2, 0, 5, b'a']),
        Err(RecordError::Truncated)
    );
}

#[test]
fn offset_value_v3_bytes_and_round_trip() {
    let v = OffsetCommitValue {
        offset: 42,
        leader_epoch: 7,
        metadata: "m".into(),
        commit_timestamp: 1000,
        expire_timestamp: None,
    };
    let bytes = v.encode().unwrap();
    let mut expected = vec![0, 3];
    expected.extend_from_slice(&42i64.to_be_bytes());
    expected.extend_from_slice(&7i32.to_be_bytes());
    expected.extend_from_slice(&[0, 1, b'm']);
    expected.extend_from_slice(&1000i64.to_be_bytes());
    assert_eq!(bytes.as_ref(), expected.as_slice());
    assert_eq!(OffsetCommitValue::decode(&bytes).unwrap(), v);
}

#[test]
fn offset_value_with_expiry_is_version_1() {
    let v = OffsetCommitValue {
        offset: 5,
        leader_epoch: -1,
        metadata: String::new(),
        commit_timestamp: 10,
        expire_timestamp: Some(20),
    };
    let bytes = v.encode().unwrap();
    assert_eq!(&bytes[..2], &[0, 1]);
    assert_eq!(bytes.len(), 2 + 8 + 2 + 8 + 8);
    assert_eq!(OffsetCommitValue::decode(&bytes).unwrap(), v);
}

#[test]
fn offset_value_v0_and_v2_decode_without_epoch() {
    for version in [0u8, 2] {
        let mut raw = vec![0, version];
        raw.extend_from_slice(&9i64.to_be_bytes());
        raw.extend_from_slice(&[0, 0]);
        raw.extend_from_slice(&77i64.to_be_bytes());
        let v = OffsetCommitValue::decode(&raw).unwrap();
        assert_eq!(v.offset, 9);
        assert_eq!(v.leader_epoch, -1);
        assert_eq!(v.metadata, "");
        assert_eq!(v.commit_timestamp, 77);
        assert_eq!(v.expire_timestamp, None);
    }
    assert_eq!(
        OffsetCommitValue::decode(&[0, 4]),
        Err(RecordError::UnsupportedValueVersion(4))
    );
}

fn sample_group() -> GroupMetadataValue {
    GroupMetadataValue {
        protocol_type: "consumer".into(),
        generation: 3,
        protocol: Some("range".into()),
        leader: Some("m-1".into()),
        current_state_timestamp: 1234,
        members: vec![
            MemberMetadataValue {
                member_id: "m-1".into(),
                group_instance_id: Some("i-1".into()),
                client_id: "c".into(),
                client_host: "/127.0.0.1".into(),
                rebalance_timeout: 30_000,
                session_timeout: 10_000,
                subscription: Bytes::from_static(b"sub"),
                assignment: Bytes::from_static(b"asg"),
            },
            MemberMetadataValue {
                member_id: "m-2".into(),
                group_instance_id: None,
                client_id: "d".into(),
                client_host: "/10.0.0.1".into(),
                rebalance_timeout: 20_000,
                session_timeout: 6_000,
                subscription: Bytes::new(),
                assignment: Bytes::new(),
            },
        ],
    }
}

#[test]
fn group_value_round_trips() {
    let v = sample_group();
    let bytes = v.encode().unwrap();
    assert_eq!(&bytes[..2], &[0, 3]);
    assert_eq!(GroupMetadataValue::decode(&bytes).unwrap(), v);
}

#[test]
fn empty_group_value_has_null_protocol_and_leader() {
    let v = GroupMetadataValue {
        protocol_type: "consumer".into(),
        generation: 2,
        protocol: None,
        leader: None,
        current_state_timestamp: 5,
        members: vec![],
    };
    let bytes = v.encode().unwrap();
    let mut expected = vec![0, 3, 0, 8];
    expected.extend_from_slice(b"consumer");
    expected.extend_from_slice(&2i32.to_be_bytes());
    expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
    expected.extend_from_slice(&5i64.to_be_bytes());
    expected.extend_from_slice(&0i32.to_be_bytes());
    assert_eq!(bytes.as_ref(), expected.as_slice());
    assert_eq!(GroupMetadataValue::decode(&bytes).unwrap(), v);
}

#[test]
fn group_value_v0_uses_session_timeout_for_rebalance() {
    let mut raw = vec![0, 0, 0, 1, b'x'];
    raw.extend_from_slice(&1i32.to_be_bytes());
    raw.extend_from_slice(&[0, 1, b'p', 0, 1, b'l']);
    raw.extend_from_slice(&1i32.to_be_bytes());
    raw.extend_from_slice(&[0, 1, b'l', 0, 1, b'c', 0, 1, b'h']);
    raw.extend_from_slice(&9_000i32.to_be_bytes());
    raw.extend_from_slice(&[0, 0, 0, 1, b's', 0, 0, 0, 0]);
    let v = GroupMetadataValue::decode(&raw).unwrap();
    assert_eq!(v.current_state_timestamp, -1);
    assert_eq!(v.members.len(), 1);
    assert_eq!(v.members[0].rebalance_timeout, 9_000);
    assert_eq!(v.members[0].session_timeout, 9_000);
    assert_eq!(v.members[0].group_instance_id, None);
    assert_eq!(v.members[0].subscription.as_ref(), b"s");
}

#[test]
fn record_constructors_make_keys_and_tombstones() {
    let value = OffsetCommitValue {
        offset: 1,
        leader_epoch: -1,
        metadata: String::new(),
        commit_timestamp: 0,
        expire_timestamp: None,
    };
    let r = GroupRecord::offset_commit("g", "t", 0, &value).unwrap();
    assert_eq!(r.group_id, "g");
    assert!(r.value.is_some());
    let t = GroupRecord::offset_tombstone("g", "t", 0).unwrap();
    assert_eq!(t.key, r.key);
    assert_eq!(t.value, None);
    let g = GroupRecord::group_tombstone("g").unwrap();
    assert_eq!(g.key.as_ref(), &[0, 2, 0, 1, b'g'][..]);
    assert_eq!(g.value, None);
    let long = "x".repeat(40_000);
    assert_eq!(
        GroupRecord::group_tombstone(&long),
        Err(RecordError::TooLong(40_000))
    );
}
