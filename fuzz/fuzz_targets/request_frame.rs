//! Arbitrary bytes as one request frame (after the size prefix): the broker answers or asks to
//! close the connection, and never panics or aborts.
#![no_main]

use std::sync::{Arc, OnceLock};

use arus_broker::broker::{now_ms, Broker, Endpoint};
use arus_broker::catalog::Catalog;
use arus_broker::config::BrokerConfig;
use arus_broker::dispatch::{handle, ConnectionContext};
use arus_broker::producer_ids::ProducerIdAllocator;
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOCATOR: arus_broker::alloc_guard::GuardedAlloc = arus_broker::alloc_guard::GuardedAlloc;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    broker: Arc<Broker>,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = BrokerConfig::from_pairs(vec![
            ("log.dirs".to_string(), dir.path().to_string_lossy().to_string()),
            // Keep the fuzzer from filling the disk through auto-created topics.
            ("auto.create.topics.enable".to_string(), "false".to_string()),
        ])
        .expect("config");
        let config = Arc::new(config);
        let catalog = Catalog::open(config.clone(), now_ms()).expect("catalog");
        catalog
            .create_topic("t", 2, Default::default(), now_ms())
            .expect("topic");
        let ids = ProducerIdAllocator::open(&dir.path().join("arus-metadata")).expect("ids");
        let endpoints = vec![Endpoint {
            listener: "PLAINTEXT".into(),
            host: "127.0.0.1".into(),
            port: 9092,
        }];
        let broker = Arc::new(Broker::new(config, catalog, "fuzz".into(), endpoints, ids));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        Fixture {
            runtime,
            broker,
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    // The connection rejects frames shorter than a request header before dispatching.
    if data.len() < 8 {
        return;
    }
    let f = fixture();
    let ctx = ConnectionContext {
        peer: "127.0.0.1:1".parse().expect("addr"),
        listener: "PLAINTEXT".into(),
    };
    let frame = bytes::Bytes::copy_from_slice(data);
    // Bound long-poll fetches so an input cannot stall the fuzzer.
    let _ = f.runtime.block_on(async {
        tokio::time::timeout(std::time::Duration::from_millis(50), handle(&f.broker, &ctx, frame)).await
    });
});
