//! Every advertised version of every API answers a well-formed request with a response that
//! encodes and decodes at that version. This catches fields set on versions that lack them,
//! which the protocol crate refuses to encode (and which would otherwise close connections).

mod common;

use std::net::SocketAddr;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use arus_broker::dispatch::{handle, ConnectionContext, Reply};

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

/// A representative request of each implemented API, naming topic "t" where it can.
fn request(key: ApiKey, version: i16, topic_id: uuid::Uuid) -> RequestKind {
    match key {
        ApiKey::Produce => {
            RequestKind::Produce(ProduceRequest::default().with_acks(1).with_topic_data(vec![
                produce_request::TopicProduceData::default()
                    .with_name(name("t"))
                    .with_topic_id(if version >= 13 { topic_id } else { Default::default() })
                    .with_partition_data(vec![produce_request::PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(Bytes::new()))]),
            ]))
        }
        ApiKey::Fetch => RequestKind::Fetch(
            FetchRequest::default()
                .with_max_bytes(1 << 20)
                .with_session_epoch(if version >= 7 { 0 } else { -1 })
                .with_topics(vec![fetch_request::FetchTopic::default()
                    .with_topic(if version < 13 {
                        name("t")
                    } else {
                        Default::default()
                    })
                    .with_topic_id(if version >= 13 {
                        topic_id
                    } else {
                        Default::default()
                    })
                    .with_partitions(vec![fetch_request::FetchPartition::default()
                        .with_partition(0)
                        .with_partition_max_bytes(1 << 20)])]),
        ),
        ApiKey::ListOffsets => RequestKind::ListOffsets(ListOffsetsRequest::default().with_topics(
            vec![list_offsets_request::ListOffsetsTopic::default()
                .with_name(name("t"))
                .with_partitions(vec![list_offsets_request::ListOffsetsPartition::default()
                    .with_partition_index(0)
                    .with_timestamp(-2)])],
        )),
        ApiKey::Metadata => {
            RequestKind::Metadata(MetadataRequest::default().with_topics(Some(vec![
                metadata_request::MetadataRequestTopic::default().with_name(Some(name("t"))),
                metadata_request::MetadataRequestTopic::default()
                    .with_name(Some(name("missing.topic"))),
            ])))
        }
        ApiKey::ApiVersions => RequestKind::ApiVersions(ApiVersionsRequest::default()),
        ApiKey::FindCoordinator => RequestKind::FindCoordinator(if version >= 4 {
            FindCoordinatorRequest::default().with_coordinator_keys(vec![
                StrBytes::from_static_str("g"),
                StrBytes::from_static_str("h"),
            ])
        } else {
            FindCoordinatorRequest::default().with_key(StrBytes::from_static_str("g"))
        }),
        ApiKey::CreateTopics => {
            RequestKind::CreateTopics(CreateTopicsRequest::default().with_topics(vec![
            create_topics_request::CreatableTopic::default()
                .with_name(name(&format!("created-v{version}")))
                .with_num_partitions(1)
                .with_replication_factor(1),
        ]))
        }
        ApiKey::DeleteTopics => {
            let r = DeleteTopicsRequest::default();
            RequestKind::DeleteTopics(if version >= 6 {
                r.with_topics(vec![delete_topics_request::DeleteTopicState::default()
                    .with_name(Some(name("nope")))])
            } else {
                r.with_topic_names(vec![name("nope")])
            })
        }
        ApiKey::DeleteRecords => {
            RequestKind::DeleteRecords(DeleteRecordsRequest::default().with_topics(vec![
            delete_records_request::DeleteRecordsTopic::default()
                .with_name(name("t"))
                .with_partitions(vec![delete_records_request::DeleteRecordsPartition::default()
                    .with_partition_index(1)
                    .with_offset(0)]),
        ]))
        }
        ApiKey::InitProducerId => RequestKind::InitProducerId(InitProducerIdRequest::default()),
        ApiKey::DescribeConfigs => {
            RequestKind::DescribeConfigs(DescribeConfigsRequest::default().with_resources(vec![
            describe_configs_request::DescribeConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("t")),
            describe_configs_request::DescribeConfigsResource::default()
                .with_resource_type(4)
                .with_resource_name(StrBytes::from_static_str("1")),
        ]))
        }
        ApiKey::AlterConfigs => {
            RequestKind::AlterConfigs(AlterConfigsRequest::default().with_resources(vec![
            alter_configs_request::AlterConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("t")),
        ]))
        }
        ApiKey::DescribeLogDirs => RequestKind::DescribeLogDirs(DescribeLogDirsRequest::default()),
        ApiKey::CreatePartitions => {
            RequestKind::CreatePartitions(CreatePartitionsRequest::default().with_topics(vec![
            create_partitions_request::CreatePartitionsTopic::default()
                .with_name(name("t"))
                .with_count(1),
        ]))
        }
        ApiKey::IncrementalAlterConfigs => RequestKind::IncrementalAlterConfigs(
            IncrementalAlterConfigsRequest::default().with_resources(vec![
                incremental_alter_configs_request::AlterConfigsResource::default()
                    .with_resource_type(2)
                    .with_resource_name(StrBytes::from_static_str("t")),
            ]),
        ),
        ApiKey::DescribeCluster => RequestKind::DescribeCluster(DescribeClusterRequest::default()),
        ApiKey::JoinGroup => RequestKind::JoinGroup(
            JoinGroupRequest::default()
                .with_group_id(GroupId(StrBytes::from_string(format!("join-v{version}"))))
                .with_session_timeout_ms(10_000)
                .with_rebalance_timeout_ms(10_000)
                .with_protocol_type(StrBytes::from_static_str("consumer"))
                .with_protocols(vec![join_group_request::JoinGroupRequestProtocol::default(
                )
                .with_name(StrBytes::from_static_str("range"))
                .with_metadata(Bytes::from_static(b"\0\0"))]),
        ),
        ApiKey::SyncGroup => RequestKind::SyncGroup(
            SyncGroupRequest::default()
                .with_group_id(GroupId(StrBytes::from_static_str("g")))
                .with_member_id(StrBytes::from_static_str("stranger"))
                .with_generation_id(1),
        ),
        ApiKey::Heartbeat => RequestKind::Heartbeat(
            HeartbeatRequest::default()
                .with_group_id(GroupId(StrBytes::from_static_str("g")))
                .with_member_id(StrBytes::from_static_str("stranger"))
                .with_generation_id(1),
        ),
        ApiKey::LeaveGroup => {
            let r =
                LeaveGroupRequest::default().with_group_id(GroupId(StrBytes::from_static_str("g")));
            RequestKind::LeaveGroup(if version >= 3 {
                r.with_members(vec![leave_group_request::MemberIdentity::default()
                    .with_member_id(StrBytes::from_static_str("stranger"))])
            } else {
                r.with_member_id(StrBytes::from_static_str("stranger"))
            })
        }
        ApiKey::OffsetCommit => RequestKind::OffsetCommit(
            OffsetCommitRequest::default()
                .with_group_id(GroupId(StrBytes::from_static_str("simple")))
                .with_generation_id_or_member_epoch(-1)
                .with_topics(vec![
                    offset_commit_request::OffsetCommitRequestTopic::default()
                        .with_name(name("t"))
                        .with_partitions(vec![
                            offset_commit_request::OffsetCommitRequestPartition::default()
                                .with_partition_index(0)
                                .with_committed_offset(0),
                        ]),
                ]),
        ),
        ApiKey::OffsetFetch => {
            let r = OffsetFetchRequest::default().with_require_stable(version >= 7);
            RequestKind::OffsetFetch(if version >= 8 {
                r.with_groups(vec![
                    offset_fetch_request::OffsetFetchRequestGroup::default()
                        .with_group_id(GroupId(StrBytes::from_static_str("simple")))
                        .with_topics(None),
                ])
            } else {
                r.with_group_id(GroupId(StrBytes::from_static_str("simple")))
                    .with_topics(if version >= 2 { None } else { Some(vec![]) })
            })
        }
        ApiKey::OffsetDelete => RequestKind::OffsetDelete(
            OffsetDeleteRequest::default()
                .with_group_id(GroupId(StrBytes::from_static_str("nope"))),
        ),
        ApiKey::ListGroups => RequestKind::ListGroups(ListGroupsRequest::default()),
        ApiKey::DescribeGroups => RequestKind::DescribeGroups(
            DescribeGroupsRequest::default()
                .with_groups(vec![GroupId(StrBytes::from_static_str("simple"))]),
        ),
        ApiKey::DeleteGroups => RequestKind::DeleteGroups(
            DeleteGroupsRequest::default()
                .with_groups_names(vec![GroupId(StrBytes::from_static_str("nope"))]),
        ),
        ApiKey::ConsumerGroupHeartbeat => RequestKind::ConsumerGroupHeartbeat(
            ConsumerGroupHeartbeatRequest::default()
                .with_group_id(GroupId(StrBytes::from_string(format!("cg-v{version}"))))
                .with_member_id(StrBytes::from_string(format!("member-v{version}")))
                .with_member_epoch(0)
                .with_rebalance_timeout_ms(30_000)
                .with_subscribed_topic_names(Some(vec![name("t")]))
                .with_topic_partitions(Some(vec![])),
        ),
        ApiKey::ConsumerGroupDescribe => RequestKind::ConsumerGroupDescribe(
            ConsumerGroupDescribeRequest::default()
                .with_group_ids(vec![GroupId(StrBytes::from_static_str("cg-v0"))]),
        ),
        // Transaction APIs for a transactional ID nobody initialised: refused with
        // INVALID_PRODUCER_ID_MAPPING (or the version's fencing error), encoded at every
        // version.
        ApiKey::AddPartitionsToTxn => RequestKind::AddPartitionsToTxn(if version <= 3 {
            AddPartitionsToTxnRequest::default()
                .with_v3_and_below_transactional_id(TransactionalId(StrBytes::from_static_str(
                    "tx",
                )))
                .with_v3_and_below_producer_id(ProducerId(5))
                .with_v3_and_below_topics(vec![
                    add_partitions_to_txn_request::AddPartitionsToTxnTopic::default()
                        .with_name(name("t"))
                        .with_partitions(vec![0]),
                ])
        } else {
            AddPartitionsToTxnRequest::default().with_transactions(vec![
                add_partitions_to_txn_request::AddPartitionsToTxnTransaction::default()
                    .with_transactional_id(TransactionalId(StrBytes::from_static_str("tx")))
                    .with_producer_id(ProducerId(5))
                    .with_verify_only(true)
                    .with_topics(vec![
                        add_partitions_to_txn_request::AddPartitionsToTxnTopic::default()
                            .with_name(name("t"))
                            .with_partitions(vec![0]),
                    ]),
            ])
        }),
        ApiKey::AddOffsetsToTxn => RequestKind::AddOffsetsToTxn(
            AddOffsetsToTxnRequest::default()
                .with_transactional_id(TransactionalId(StrBytes::from_static_str("tx")))
                .with_producer_id(ProducerId(5))
                .with_group_id(GroupId(StrBytes::from_static_str("g"))),
        ),
        ApiKey::EndTxn => RequestKind::EndTxn(
            EndTxnRequest::default()
                .with_transactional_id(TransactionalId(StrBytes::from_static_str("tx")))
                .with_producer_id(ProducerId(5))
                .with_committed(true),
        ),
        ApiKey::TxnOffsetCommit => RequestKind::TxnOffsetCommit(
            TxnOffsetCommitRequest::default()
                .with_transactional_id(TransactionalId(StrBytes::from_static_str("tx")))
                .with_group_id(GroupId(StrBytes::from_static_str("txn-group")))
                .with_producer_id(ProducerId(5))
                .with_generation_id(-1)
                .with_topics(vec![
                    txn_offset_commit_request::TxnOffsetCommitRequestTopic::default()
                        .with_name(name("t"))
                        .with_partitions(vec![
                            txn_offset_commit_request::TxnOffsetCommitRequestPartition::default()
                                .with_partition_index(0)
                                .with_committed_offset(0),
                        ]),
                ]),
        ),
        ApiKey::DescribeProducers => {
            RequestKind::DescribeProducers(DescribeProducersRequest::default().with_topics(vec![
                describe_producers_request::TopicRequest::default()
                    .with_name(name("t"))
                    .with_partition_indexes(vec![0, 7]),
            ]))
        }
        ApiKey::DescribeTransactions => RequestKind::DescribeTransactions(
            DescribeTransactionsRequest::default()
                .with_transactional_ids(vec![TransactionalId(StrBytes::from_static_str("tx"))]),
        ),
        ApiKey::ListTransactions => RequestKind::ListTransactions(
            ListTransactionsRequest::default()
                .with_state_filters(vec![StrBytes::from_static_str("Ongoing")])
                .with_duration_filter(-1),
        ),
        other => panic!("no sample request for {other:?}"),
    }
}

#[tokio::test]
async fn every_advertised_version_answers() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker(dir.path());
    arus_broker::groups::Groups::spawn_timers(broker.clone());
    let topic_id = broker.catalog.topic("t").unwrap().id;
    let ctx = ConnectionContext {
        peer: "127.0.0.1:1".parse::<SocketAddr>().unwrap(),
        listener: "PLAINTEXT".into(),
    };
    let advertised = arus_broker::handlers::api_versions::handle(ApiVersionsRequest::default());
    let mut checked = 0;
    for api in &advertised.api_keys {
        let key = ApiKey::try_from(api.api_key).unwrap();
        for version in api.min_version..=api.max_version {
            let header = RequestHeader::default()
                .with_request_api_key(api.api_key)
                .with_request_api_version(version)
                .with_correlation_id(7)
                .with_client_id(Some(StrBytes::from_static_str("test")));
            let mut frame = BytesMut::new();
            header
                .encode(&mut frame, key.request_header_version(version))
                .unwrap();
            request(key, version, topic_id)
                .encode(&mut frame, version)
                .unwrap_or_else(|e| panic!("{key:?} v{version} request: {e}"));
            let reply = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                handle(&broker, &ctx, frame.freeze()),
            )
            .await
            .unwrap_or_else(|_| panic!("{key:?} v{version}: no answer within 10 s"));
            let Reply::Send(parts) = reply else {
                panic!("{key:?} v{version}: no response");
            };
            let mut bytes = Bytes::from(arus_broker::response_buf::flatten(&parts).unwrap());
            let size = bytes.get_i32() as usize;
            assert_eq!(size, bytes.len(), "{key:?} v{version}: size prefix");
            let header =
                ResponseHeader::decode(&mut bytes, key.response_header_version(version)).unwrap();
            assert_eq!(header.correlation_id, 7);
            ResponseKind::decode(key, &mut bytes, version)
                .unwrap_or_else(|e| panic!("{key:?} v{version} response does not decode: {e}"));
            assert_eq!(bytes.remaining(), 0, "{key:?} v{version}: trailing bytes");
            checked += 1;
        }
    }
    assert!(checked >= 90, "only {checked} API versions checked");
}

#[tokio::test]
async fn unsupported_api_versions_request_gets_v0_error_35() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker(dir.path());
    let ctx = ConnectionContext {
        peer: "127.0.0.1:1".parse::<SocketAddr>().unwrap(),
        listener: "PLAINTEXT".into(),
    };
    let mut frame = BytesMut::new();
    frame.put_i16(18);
    frame.put_i16(99);
    frame.put_i32(42);
    frame.put_i16(-1);
    let Reply::Send(parts) = handle(&broker, &ctx, frame.freeze()).await else {
        panic!("expected an answer");
    };
    let mut bytes = Bytes::from(arus_broker::response_buf::flatten(&parts).unwrap());
    bytes.get_i32();
    assert_eq!(
        bytes.get_i32(),
        42,
        "correlation id, no tagged fields in the header"
    );
    let body = ApiVersionsResponse::decode(&mut bytes, 0).unwrap();
    assert_eq!(body.error_code, 35);
    assert!(body
        .api_keys
        .iter()
        .any(|k| k.api_key == 0 && k.max_version == 13));
}

#[tokio::test]
async fn metadata_v0_empty_list_means_all_topics() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker(dir.path());
    let ctx = ConnectionContext {
        peer: "127.0.0.1:1".parse::<SocketAddr>().unwrap(),
        listener: "PLAINTEXT".into(),
    };
    for (version, expected) in [(0, vec!["t"]), (1, vec![])] {
        let resp = arus_broker::handlers::metadata::handle(
            &broker,
            &ctx,
            version,
            MetadataRequest::default().with_topics(Some(vec![])),
        );
        let names: Vec<String> = resp
            .topics
            .iter()
            .map(|t| t.name.as_ref().unwrap().0.to_string())
            .collect();
        assert_eq!(
            names, expected,
            "Metadata v{version} with an empty topic list"
        );
        assert_eq!(resp.brokers.len(), 1);
        assert_eq!(resp.brokers[0].port, 9092);
    }
}

#[tokio::test]
async fn groups_and_transactions_are_coordinated_here() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker(dir.path());
    let ctx = ConnectionContext {
        peer: "127.0.0.1:1".parse::<SocketAddr>().unwrap(),
        listener: "PLAINTEXT".into(),
    };
    let group = arus_broker::handlers::find_coordinator::handle(
        &broker,
        &ctx,
        3,
        FindCoordinatorRequest::default().with_key(StrBytes::from_static_str("g")),
    );
    assert_eq!(
        (group.error_code, group.node_id.0, group.port),
        (0, 1, 9092)
    );
    assert_eq!(group.host.as_str(), "127.0.0.1");
    let txn = arus_broker::handlers::find_coordinator::handle(
        &broker,
        &ctx,
        4,
        FindCoordinatorRequest::default()
            .with_key_type(1)
            .with_coordinator_keys(vec![StrBytes::from_static_str("tx")]),
    );
    assert_eq!(txn.coordinators.len(), 1);
    let c = &txn.coordinators[0];
    assert_eq!(c.key.as_str(), "tx");
    assert_eq!((c.error_code, c.node_id.0, c.port), (0, 1, 9092));
}

fn broker(dir: &std::path::Path) -> std::sync::Arc<arus_broker::broker::Broker> {
    common::broker(
        dir,
        &[("group.initial.rebalance.delay.ms", "0")],
        &[("t", 2)],
    )
}
