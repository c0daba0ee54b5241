//! A broker assembled in-process on a temporary directory, for tests that call handlers and
//! the dispatcher directly (no sockets).

#![allow(dead_code)] // each test file uses a different part

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use arus_broker::broker::{now_ms, Broker, Endpoint};
use arus_broker::catalog::Catalog;
use arus_broker::config::BrokerConfig;
use arus_broker::dispatch::ConnectionContext;
use arus_broker::producer_ids::ProducerIdAllocator;

/// A broker with data in `dir`, extra config `overrides`, and `topics` (name, partitions)
/// created up front. It advertises 127.0.0.1:9092 and its cluster ID is "the-cluster".
pub fn broker(dir: &Path, overrides: &[(&str, &str)], topics: &[(&str, i32)]) -> Arc<Broker> {
    let mut pairs = vec![("log.dirs".to_string(), dir.to_string_lossy().to_string())];
    pairs.extend(
        overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let config = Arc::new(BrokerConfig::from_pairs(pairs).unwrap());
    let catalog = Catalog::open(config.clone(), now_ms()).unwrap();
    for (name, partitions) in topics {
        catalog
            .create_topic(name, *partitions, BTreeMap::new(), now_ms())
            .unwrap();
    }
    let ids = ProducerIdAllocator::open(&dir.join("arus-metadata")).unwrap();
    let endpoints = vec![Endpoint {
        listener: "PLAINTEXT".into(),
        host: "127.0.0.1".into(),
        port: 9092,
    }];
    Arc::new(Broker::new(
        config,
        catalog,
        "the-cluster".into(),
        endpoints,
        ids,
    ))
}

/// The connection a test request pretends to come in on.
pub fn ctx() -> ConnectionContext {
    ConnectionContext {
        peer: "127.0.0.1:1".parse::<SocketAddr>().unwrap(),
        listener: "PLAINTEXT".into(),
    }
}
