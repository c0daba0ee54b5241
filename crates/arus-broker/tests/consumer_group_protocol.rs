//! KIP-848 through the broker shell: assignments name the catalog's topic ids,
//! and two members end up with two partitions each, revoke before assign.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

use arus_broker::broker::{now_ms, Broker, Endpoint};
use arus_broker::catalog::Catalog;
use arus_broker::config::BrokerConfig;
use arus_broker::groups::Caller;
use arus_broker::producer_ids::ProducerIdAllocator;

fn broker(dir: &std::path::Path) -> Arc<Broker> {
    let config = BrokerConfig::from_pairs(vec![(
        "log.dirs".to_string(),
        dir.to_string_lossy().to_string(),
    )])
    .unwrap();
    let config = Arc::new(config);
    let catalog = Catalog::open(config.clone(), now_ms()).unwrap();
    catalog
        .create_topic("t", 4, BTreeMap::new(), now_ms())
        .unwrap();
    let ids = ProducerIdAllocator::open(&dir.join("arus-metadata")).unwrap();
    let endpoints = vec![Endpoint {
        listener: "PLAINTEXT".into(),
        host: "127.0.0.1".into(),
        port: 9092,
    }];
    Arc::new(Broker::new(
        config,
        catalog,
        "cluster".into(),
        endpoints,
        ids,
    ))
}

/// Sends one heartbeat; `owned` None means joining.
async fn beat(
    broker: &Broker,
    member: &str,
    epoch: i32,
    owned: Option<Vec<i32>>,
) -> ConsumerGroupHeartbeatResponse {
    let topic_id = broker.catalog.topic("t").unwrap().id;
    let mut req = ConsumerGroupHeartbeatRequest::default()
        .with_group_id(GroupId(StrBytes::from_static_str("g")))
        .with_member_id(StrBytes::from_string(member.to_owned()))
        .with_member_epoch(epoch);
    req = match owned {
        None => req
            .with_rebalance_timeout_ms(30_000)
            .with_subscribed_topic_names(Some(vec![TopicName(StrBytes::from_static_str("t"))]))
            .with_topic_partitions(Some(vec![])),
        Some(ps) => req
            .with_rebalance_timeout_ms(-1)
            .with_topic_partitions(Some(vec![TopicPartitions::default()
                .with_topic_id(topic_id)
                .with_partitions(ps)])),
    };
    let caller = Caller {
        version: 1,
        client_id: "test",
        client_host: "/127.0.0.1",
    };
    match arus_broker::handlers::group_apis::handle(
        broker,
        &caller,
        RequestKind::ConsumerGroupHeartbeat(req),
    )
    .await
    .unwrap()
    {
        ResponseKind::ConsumerGroupHeartbeat(r) => r,
        other => panic!("{other:?}"),
    }
}

fn partitions(r: &ConsumerGroupHeartbeatResponse, broker: &Broker) -> Option<Vec<i32>> {
    let topic_id = broker.catalog.topic("t").unwrap().id;
    let a = r.assignment.as_ref()?;
    Some(
        a.topic_partitions
            .iter()
            .inspect(|tp| assert_eq!(tp.topic_id, topic_id))
            .flat_map(|tp| tp.partitions.clone())
            .collect(),
    )
}

#[tokio::test]
async fn two_members_share_four_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker(dir.path());
    let a = beat(&broker, "a", 0, None).await;
    assert_eq!(
        (a.error_code, a.member_epoch, a.heartbeat_interval_ms),
        (0, 1, 5_000)
    );
    assert_eq!(partitions(&a, &broker), Some(vec![0, 1, 2, 3]));
    let b = beat(&broker, "b", 0, None).await;
    assert_eq!((b.error_code, b.member_epoch), (0, 2));
    assert_eq!(partitions(&b, &broker), Some(vec![]));
    let a = beat(&broker, "a", 1, Some(vec![0, 1, 2, 3])).await;
    let kept = partitions(&a, &broker).unwrap();
    assert_eq!((a.member_epoch, kept.len()), (1, 2), "revoke first");
    let a = beat(&broker, "a", 1, Some(kept.clone())).await;
    assert_eq!(a.member_epoch, 2);
    let b = beat(&broker, "b", 2, Some(vec![])).await;
    let got = partitions(&b, &broker).unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|p| !kept.contains(p)));
}
