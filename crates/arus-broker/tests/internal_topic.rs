//! `__consumer_offsets` is created on first use with Kafka's settings, and records written to
//! it read back in order, tombstones included, after a restart.

use std::sync::Arc;

use bytes::Bytes;

use arus_broker::broker::now_ms;
use arus_broker::catalog::Catalog;
use arus_broker::config::BrokerConfig;
use arus_broker::internal_topic::{append, consumer_offsets, read_all, CONSUMER_OFFSETS};

fn open(dir: &std::path::Path) -> (Arc<BrokerConfig>, Catalog) {
    let config = Arc::new(
        BrokerConfig::from_pairs(vec![
            ("log.dirs".to_string(), dir.to_string_lossy().to_string()),
            ("offsets.topic.num.partitions".to_string(), "3".to_string()),
        ])
        .unwrap(),
    );
    let catalog = Catalog::open(config.clone(), now_ms()).unwrap();
    (config, catalog)
}

#[test]
fn records_survive_a_restart_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (config, catalog) = open(dir.path());
    assert!(catalog.topic(CONSUMER_OFFSETS).is_none(), "created lazily");
    let topic = consumer_offsets(&catalog, &config).unwrap();
    assert_eq!(topic.partitions.len(), 3);
    assert!(topic.is_internal());
    assert_eq!(
        topic.configs.get("cleanup.policy").map(String::as_str),
        Some("compact")
    );
    let kv = |k: &str, v: Option<&str>| {
        (
            Bytes::from(k.to_string()),
            v.map(|v| Bytes::from(v.to_string())),
        )
    };
    append(
        &topic.partitions[1],
        &[kv("a", Some("1")), kv("b", Some("2"))],
    )
    .unwrap();
    append(&topic.partitions[1], &[kv("a", None)]).unwrap();
    append(&topic.partitions[1], &[]).unwrap();
    catalog.shutdown().unwrap();
    drop(catalog);

    let (config, catalog) = open(dir.path());
    let topic = consumer_offsets(&catalog, &config).unwrap();
    assert_eq!(
        read_all(&topic.partitions[1]).unwrap(),
        vec![kv("a", Some("1")), kv("b", Some("2")), kv("a", None)]
    );
    assert_eq!(read_all(&topic.partitions[0]).unwrap(), vec![]);
}
