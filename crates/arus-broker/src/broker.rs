//! The state every request handler shares: configuration, hosted topics, fetch sessions, the
//! endpoints this broker advertises, and its metrics.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::catalog::Catalog;
use crate::config::BrokerConfig;
use crate::fetch_session::FetchSessionCache;
use crate::groups::Groups;
use crate::metrics::Metrics;
use crate::producer_ids::ProducerIdAllocator;
use crate::transactions::Transactions;

/// An endpoint clients are told to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Listener name, e.g. `PLAINTEXT`.
    pub listener: String,
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
}

/// Shared broker state.
pub struct Broker {
    /// Static configuration.
    pub config: Arc<BrokerConfig>,
    /// Hosted topics and their logs.
    pub catalog: Catalog,
    /// This broker's node ID.
    pub node_id: i32,
    /// The cluster ID, created on first start and kept in `meta.properties`.
    pub cluster_id: String,
    /// Advertised endpoints, in listener order.
    pub endpoints: Vec<Endpoint>,
    /// Consumer groups and their committed offsets.
    pub groups: Groups,
    /// Transactional producers and their transactions.
    pub transactions: Transactions,
    /// Allocates producer IDs for InitProducerId.
    pub producer_ids: ProducerIdAllocator,
    /// When the broker started (for uptime).
    pub started: Instant,
    /// Request, traffic and connection counters (`/metrics`, the console's charts).
    pub metrics: Arc<Metrics>,
    fetch_sessions: Mutex<FetchSessionCache>,
    shutting_down: AtomicBool,
}

impl Broker {
    /// Assembles the broker state once logs are open and listeners bound.
    pub fn new(
        config: Arc<BrokerConfig>,
        catalog: Catalog,
        cluster_id: String,
        endpoints: Vec<Endpoint>,
        producer_ids: ProducerIdAllocator,
    ) -> Broker {
        Broker {
            node_id: config.node_id(),
            groups: Groups::new(&config),
            transactions: Transactions::new(&config),
            config,
            catalog,
            cluster_id,
            endpoints,
            producer_ids,
            started: Instant::now(),
            metrics: Arc::new(Metrics::default()),
            fetch_sessions: Mutex::new(FetchSessionCache::new(1000)),
            shutting_down: AtomicBool::new(false),
        }
    }

    /// The endpoint advertised to clients that connected to `listener` (the first one if
    /// that listener is unknown).
    pub fn endpoint_for(&self, listener: &str) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.listener == listener)
            .or_else(|| self.endpoints.first())
    }

    /// The fetch session cache (KIP-227).
    pub fn fetch_sessions(&self) -> MutexGuard<'_, FetchSessionCache> {
        self.fetch_sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Marks the broker as stopping: no more appends are accepted.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// Whether the broker is stopping.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}

/// Milliseconds since the Unix epoch, the time unit of Kafka's protocol and configs.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Reads the cluster ID from `meta.properties` in `log_dir`, or creates one (Kafka's form:
/// a random UUID in URL-safe base64 without padding) and writes the file.
pub fn load_or_create_cluster_id(log_dir: &Path, node_id: i32) -> std::io::Result<String> {
    let path = log_dir.join("meta.properties");
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let Ok(pairs) = crate::config::parse_properties(&text) {
            if let Some((_, id)) = pairs.into_iter().find(|(k, _)| k == "cluster.id") {
                return Ok(id);
            }
        }
    }
    let id = base64_url(uuid::Uuid::new_v4().as_bytes());
    let text = format!("#Written by Arus\nversion=1\ncluster.id={id}\nnode.id={node_id}\n");
    let tmp = path.with_extension("properties.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    crate::topic_store::sync_dir(log_dir)?;
    Ok(id)
}

/// URL-safe base64 without padding, as Kafka prints cluster and topic IDs.
pub fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_kafka_ids() {
        // A UUID of all zeros is "AAAAAAAAAAAAAAAAAAAAAA" in Kafka (Uuid.ZERO_UUID).
        assert_eq!(base64_url(&[0u8; 16]), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(base64_url(b"\xfb\xff"), "-_8");
        assert_eq!(base64_url(b"Man"), "TWFu");
    }

    #[test]
    fn cluster_id_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_cluster_id(dir.path(), 1).unwrap();
        let b = load_or_create_cluster_id(dir.path(), 1).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 22);
    }
}
