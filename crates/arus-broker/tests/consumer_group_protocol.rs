//! KIP-848 through the broker shell: assignments name the catalog's topic ids,
//! and two members end up with two partitions each, revoke before assign.

mod common;

use kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

use arus_broker::broker::Broker;
use arus_broker::groups::Caller;

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

fn broker(dir: &std::path::Path) -> std::sync::Arc<arus_broker::broker::Broker> {
    common::broker(dir, &[], &[("t", 4)])
}
