//! The topics this broker hosts: creation, deletion, partition growth and config changes,
//! each persisted before it is acknowledged, and the logs opened for them at start-up.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use arus_log::{Log, LogConfig, RecoveryHint};
use kafka_protocol::ResponseError;
use tracing::{info, warn};
use uuid::Uuid;

use crate::config::BrokerConfig;
use crate::log_dirs::{partition_dir_name, LogDirState};
use crate::partition::Partition;
use crate::topic_name;
use crate::topic_store::{TopicRecord, TopicStore};

/// Most partitions one topic may have; a guard against requests that would exhaust the host.
pub const MAX_PARTITIONS_PER_TOPIC: i32 = 100_000;

/// A topic and its partitions.
pub struct Topic {
    /// Topic name.
    pub name: String,
    /// Topic ID (KIP-516).
    pub id: Uuid,
    /// Partitions, indexed by partition number.
    pub partitions: Vec<Arc<Partition>>,
    /// Topic-level config overrides.
    pub configs: BTreeMap<String, String>,
}

impl Topic {
    /// Whether Kafka would list this topic as internal.
    pub fn is_internal(&self) -> bool {
        topic_name::is_internal(&self.name)
    }

    /// Partition by index, if it exists.
    pub fn partition(&self, index: i32) -> Option<&Arc<Partition>> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.partitions.get(i))
    }

    fn record(&self) -> TopicRecord {
        TopicRecord {
            name: self.name.clone(),
            id: self.id,
            partitions: self.partitions.len() as i32,
            configs: self.configs.clone(),
        }
    }
}

/// Why a catalog change was refused, with the Kafka error it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// TOPIC_ALREADY_EXISTS
    #[error("Topic '{0}' already exists.")]
    TopicExists(String),
    /// UNKNOWN_TOPIC_OR_PARTITION
    #[error("This server does not host this topic: {0}")]
    UnknownTopic(String),
    /// INVALID_TOPIC_EXCEPTION
    #[error("{0}")]
    InvalidTopic(String),
    /// INVALID_PARTITIONS
    #[error("{0}")]
    InvalidPartitions(String),
    /// INVALID_CONFIG
    #[error("{0}")]
    InvalidConfig(String),
    /// KAFKA_STORAGE_ERROR
    #[error("storage error: {0}")]
    Storage(String),
}

impl CatalogError {
    /// The Kafka error for this refusal.
    pub fn kafka_error(&self) -> ResponseError {
        match self {
            CatalogError::TopicExists(_) => ResponseError::TopicAlreadyExists,
            CatalogError::UnknownTopic(_) => ResponseError::UnknownTopicOrPartition,
            CatalogError::InvalidTopic(_) => ResponseError::InvalidTopicException,
            CatalogError::InvalidPartitions(_) => ResponseError::InvalidPartitions,
            CatalogError::InvalidConfig(_) => ResponseError::InvalidConfig,
            CatalogError::Storage(_) => ResponseError::KafkaStorageError,
        }
    }
}

impl From<std::io::Error> for CatalogError {
    fn from(e: std::io::Error) -> Self {
        CatalogError::Storage(e.to_string())
    }
}

impl From<arus_log::LogError> for CatalogError {
    fn from(e: arus_log::LogError) -> Self {
        CatalogError::Storage(e.to_string())
    }
}

#[derive(Default)]
struct Topics {
    by_name: BTreeMap<String, Arc<Topic>>,
    by_id: HashMap<Uuid, String>,
}

/// File (in the metadata directory) holding the dynamic cluster-wide broker defaults.
const DYNAMIC_DEFAULTS_FILE: &str = "dynamic-broker-defaults.properties";

/// The registry of hosted topics.
pub struct Catalog {
    /// The broker configuration with its dynamic cluster-wide defaults; replaced whole when
    /// a default changes.
    config: RwLock<Arc<BrokerConfig>>,
    /// Whether `log.cleanup.policy` (the default of topics without an override) includes
    /// compaction: read on every produce, so kept apart from the config lock.
    default_compacted: std::sync::atomic::AtomicBool,
    dynamic_defaults_path: PathBuf,
    store: TopicStore,
    log_dirs: Vec<LogDirState>,
    topics: RwLock<Topics>,
}

impl Catalog {
    /// Opens every log dir, loads persisted topics and opens (recovering if needed) their logs.
    pub fn open(config: Arc<BrokerConfig>, now_ms: i64) -> Result<Catalog, CatalogError> {
        let mut log_dirs = Vec::new();
        for dir in config.log_dirs() {
            log_dirs.push(LogDirState::open(dir)?);
        }
        let first = log_dirs
            .first()
            .map(|d| d.path.clone())
            .ok_or_else(|| CatalogError::Storage("log.dirs is empty".into()))?;
        let metadata = first.join("arus-metadata");
        let store = TopicStore::open(&metadata)?;
        let dynamic_defaults_path = metadata.join(DYNAMIC_DEFAULTS_FILE);
        let config = with_stored_dynamic_defaults(config, &dynamic_defaults_path)?;
        let catalog = Catalog {
            default_compacted: std::sync::atomic::AtomicBool::new(compacts(&config)),
            config: RwLock::new(config),
            dynamic_defaults_path,
            store,
            log_dirs,
            topics: RwLock::new(Topics::default()),
        };
        let mut existing: HashMap<(String, i32), PathBuf> = HashMap::new();
        for state in &catalog.log_dirs {
            for (topic, partition) in state.partition_dirs()? {
                existing.insert((topic, partition), state.path.clone());
            }
        }
        let mut opened = 0usize;
        for record in catalog.store.load_all()? {
            // Resolved once per topic: resolving a topic's configs costs more than opening
            // a partition whose shutdown was clean.
            let log_config = catalog.log_config(&record.configs);
            let mut partitions = Vec::with_capacity(record.partitions.max(0) as usize);
            for index in 0..record.partitions {
                let root = existing
                    .remove(&(record.name.clone(), index))
                    .unwrap_or_else(|| catalog.least_loaded_dir());
                partitions.push(catalog.open_partition(
                    &record.name,
                    index,
                    &root,
                    &log_config,
                    now_ms,
                )?);
                opened += 1;
            }
            let topic = Topic {
                name: record.name.clone(),
                id: record.id,
                partitions,
                configs: record.configs,
            };
            catalog.insert(Arc::new(topic));
        }
        for ((topic, partition), root) in existing {
            let dir = root.join(partition_dir_name(&topic, partition));
            warn!(dir = %dir.display(), "partition directory belongs to no known topic; leaving it alone");
        }
        for state in &catalog.log_dirs {
            state.clear_clean_shutdown()?;
        }
        info!(
            topics = catalog.read().by_name.len(),
            partitions = opened,
            "loaded logs"
        );
        Ok(catalog)
    }

    /// The log directories.
    pub fn log_dirs(&self) -> &[LogDirState] {
        &self.log_dirs
    }

    /// The broker configuration topics are resolved against, dynamic defaults included.
    pub fn broker_config(&self) -> Arc<BrokerConfig> {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the dynamic cluster-wide broker defaults (`kafka-configs --entity-type brokers
    /// --entity-default`): validated, persisted, and applied live to every topic that does not
    /// override them.
    pub fn set_dynamic_defaults(
        &self,
        defaults: &BTreeMap<String, String>,
    ) -> Result<(), crate::config::ConfigError> {
        let _guard = CREATE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let next = Arc::new(dynamic_defaults_applied(&self.broker_config(), defaults)?);
        let text: String = defaults.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        write_atomically(&self.dynamic_defaults_path, &text).map_err(|e| {
            crate::config::ConfigError::Io {
                path: self.dynamic_defaults_path.clone(),
                message: e.to_string(),
            }
        })?;
        self.default_compacted
            .store(compacts(&next), std::sync::atomic::Ordering::Relaxed);
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = next;
        for topic in self.read().by_name.values() {
            let log_config = self.log_config(&topic.configs);
            for p in &topic.partitions {
                p.update_config(log_config.clone());
            }
        }
        info!(defaults = ?defaults, "dynamic broker defaults changed");
        Ok(())
    }

    fn read(&self) -> RwLockReadGuard<'_, Topics> {
        self.topics.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Topics> {
        self.topics.write().unwrap_or_else(|p| p.into_inner())
    }

    fn insert(&self, topic: Arc<Topic>) {
        let mut topics = self.write();
        topics.by_id.insert(topic.id, topic.name.clone());
        topics.by_name.insert(topic.name.clone(), topic);
    }

    /// A topic by name.
    pub fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        self.read().by_name.get(name).cloned()
    }

    /// A topic by ID.
    pub fn topic_by_id(&self, id: &Uuid) -> Option<Arc<Topic>> {
        let topics = self.read();
        topics
            .by_id
            .get(id)
            .and_then(|name| topics.by_name.get(name))
            .cloned()
    }

    /// All topics, ordered by name.
    pub fn topics(&self) -> Vec<Arc<Topic>> {
        self.read().by_name.values().cloned().collect()
    }

    /// Every hosted partition.
    pub fn partitions(&self) -> Vec<Arc<Partition>> {
        self.read()
            .by_name
            .values()
            .flat_map(|t| t.partitions.iter().cloned())
            .collect()
    }

    /// Checks a new topic's name, partition count and configs without creating it.
    pub fn validate_new_topic(
        &self,
        name: &str,
        partitions: i32,
        configs: &BTreeMap<String, String>,
    ) -> Result<(), CatalogError> {
        topic_name::validate(name).map_err(CatalogError::InvalidTopic)?;
        let topics = self.read();
        if topics.by_name.contains_key(name) {
            return Err(CatalogError::TopicExists(name.to_string()));
        }
        let key = topic_name::collision_key(name);
        if let Some(other) = topics
            .by_name
            .keys()
            .find(|n| topic_name::collision_key(n) == key)
        {
            return Err(CatalogError::InvalidTopic(format!(
                "Topic '{name}' collides with existing topic: {other}"
            )));
        }
        drop(topics);
        check_partition_count(partitions)?;
        for (k, v) in configs {
            crate::config::validate_topic_config(k, v)
                .map_err(|e| CatalogError::InvalidConfig(e.to_string()))?;
        }
        Ok(())
    }

    /// Creates a topic: validates, opens its partition logs, persists its record.
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        configs: BTreeMap<String, String>,
        now_ms: i64,
    ) -> Result<Arc<Topic>, CatalogError> {
        // One creation at a time, so two racing requests cannot both pass validation.
        let _guard = CREATE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        self.validate_new_topic(name, partitions, &configs)?;
        let mut parts = Vec::with_capacity(partitions as usize);
        let log_config = self.log_config(&configs);
        for index in 0..partitions {
            let root = self.least_loaded_dir();
            parts.push(self.open_partition(name, index, &root, &log_config, now_ms)?);
        }
        let topic = Arc::new(Topic {
            name: name.to_string(),
            id: Uuid::new_v4(),
            partitions: parts,
            configs,
        });
        self.store.save(&topic.record())?;
        self.insert(topic.clone());
        info!(topic = name, partitions, id = %topic.id, "created topic");
        Ok(topic)
    }

    /// Deletes a topic: forgets it, removes its record, then its partition directories.
    pub fn delete_topic(&self, name: &str) -> Result<(), CatalogError> {
        let topic = {
            let mut topics = self.write();
            let topic = topics
                .by_name
                .remove(name)
                .ok_or_else(|| CatalogError::UnknownTopic(name.to_string()))?;
            topics.by_id.remove(&topic.id);
            topic
        };
        self.store.remove(name)?;
        for p in &topic.partitions {
            let dir = p.log_dir.join(partition_dir_name(name, p.index));
            if let Err(e) = fs::remove_dir_all(&dir) {
                warn!(dir = %dir.display(), error = %e, "could not remove partition directory");
            }
        }
        info!(topic = name, "deleted topic");
        Ok(())
    }

    /// Grows a topic to `count` partitions (Kafka never shrinks a topic).
    pub fn add_partitions(
        &self,
        name: &str,
        count: i32,
        validate_only: bool,
        now_ms: i64,
    ) -> Result<(), CatalogError> {
        let _guard = CREATE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let topic = self
            .topic(name)
            .ok_or_else(|| CatalogError::UnknownTopic(name.to_string()))?;
        let current = topic.partitions.len() as i32;
        if count < current {
            return Err(CatalogError::InvalidPartitions(format!(
                "Topic currently has {current} partitions, which is higher than the requested {count}."
            )));
        }
        if count == current {
            return Err(CatalogError::InvalidPartitions(format!(
                "Topic already has {current} partitions."
            )));
        }
        check_partition_count(count)?;
        if validate_only {
            return Ok(());
        }
        let mut partitions = topic.partitions.clone();
        let log_config = self.log_config(&topic.configs);
        for index in current..count {
            let root = self.least_loaded_dir();
            partitions.push(self.open_partition(name, index, &root, &log_config, now_ms)?);
        }
        let grown = Arc::new(Topic {
            name: topic.name.clone(),
            id: topic.id,
            partitions,
            configs: topic.configs.clone(),
        });
        self.store.save(&grown.record())?;
        self.insert(grown);
        info!(topic = name, from = current, to = count, "added partitions");
        Ok(())
    }

    /// Replaces a topic's config overrides (validated), persists them and applies them live.
    pub fn set_topic_configs(
        &self,
        name: &str,
        configs: BTreeMap<String, String>,
    ) -> Result<(), CatalogError> {
        for (k, v) in &configs {
            crate::config::validate_topic_config(k, v)
                .map_err(|e| CatalogError::InvalidConfig(e.to_string()))?;
        }
        let _guard = CREATE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let topic = self
            .topic(name)
            .ok_or_else(|| CatalogError::UnknownTopic(name.to_string()))?;
        let changed = Arc::new(Topic {
            name: topic.name.clone(),
            id: topic.id,
            partitions: topic.partitions.clone(),
            configs,
        });
        self.store.save(&changed.record())?;
        let log_config = self.log_config(&changed.configs);
        for p in &changed.partitions {
            p.update_config(log_config.clone());
        }
        self.insert(changed);
        Ok(())
    }

    /// Whether the topic's cleanup.policy (its override, else `log.cleanup.policy`) includes
    /// compaction.
    pub fn is_compacted(&self, topic: &Topic) -> bool {
        match topic.configs.get("cleanup.policy") {
            Some(policy) => policy.split(',').any(|p| p.trim() == "compact"),
            None => self
                .default_compacted
                .load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The storage settings for a topic with these overrides.
    pub fn log_config(&self, overrides: &BTreeMap<String, String>) -> LogConfig {
        crate::log_config::for_topic(&self.broker_config(), overrides)
    }

    fn open_partition(
        &self,
        topic: &str,
        index: i32,
        root: &Path,
        log_config: &LogConfig,
        now_ms: i64,
    ) -> Result<Arc<Partition>, CatalogError> {
        let state = self
            .log_dirs
            .iter()
            .find(|d| d.path == root)
            .ok_or_else(|| CatalogError::Storage(format!("unknown log dir {}", root.display())))?;
        let hint: RecoveryHint = state.recovery_hint(topic, index);
        let dir = root.join(partition_dir_name(topic, index));
        let mut log = Log::open(&dir, log_config.clone(), hint, now_ms)?;
        log.set_clean_offset(state.clean_offset(topic, index));
        state.count_partition();
        Ok(Arc::new(Partition::new(
            topic.to_string(),
            index,
            root.to_path_buf(),
            log,
        )))
    }

    fn least_loaded_dir(&self) -> PathBuf {
        self.log_dirs
            .iter()
            .min_by_key(|d| d.partition_count())
            .map(|d| d.path.clone())
            .unwrap_or_default()
    }

    /// Writes each log dir's recovery-point, log-start and cleaner-offset checkpoints.
    pub fn write_checkpoints(&self) -> Result<(), CatalogError> {
        let partitions = self.partitions();
        for state in &self.log_dirs {
            let mine: Vec<&Arc<Partition>> = partitions
                .iter()
                .filter(|p| p.log_dir == state.path)
                .collect();
            let mut recovery = Vec::with_capacity(mine.len());
            let mut starts = Vec::with_capacity(mine.len());
            let mut cleaned = Vec::new();
            for p in mine {
                let log = p.log();
                recovery.push((p.topic.clone(), p.index, log.recovery_point()));
                starts.push((p.topic.clone(), p.index, log.log_start_offset()));
                if log.clean_offset() > 0 {
                    cleaned.push((p.topic.clone(), p.index, log.clean_offset()));
                }
            }
            state.write_checkpoints(&recovery, &starts, &cleaned)?;
        }
        Ok(())
    }

    /// Flushes and closes every log, writes checkpoints and the clean-shutdown markers.
    pub fn shutdown(&self) -> Result<(), CatalogError> {
        for p in self.partitions() {
            p.log().flush_for_shutdown()?;
        }
        self.write_checkpoints()?;
        for state in &self.log_dirs {
            state.mark_clean_shutdown()?;
        }
        Ok(())
    }
}

static CREATE_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn compacts(config: &BrokerConfig) -> bool {
    config.log_cleanup_policy().iter().any(|p| p == "compact")
}

/// `base` with exactly `defaults` as its dynamic cluster-wide defaults.
pub fn dynamic_defaults_applied(
    base: &BrokerConfig,
    defaults: &BTreeMap<String, String>,
) -> Result<BrokerConfig, crate::config::ConfigError> {
    let mut next = base.clone();
    for name in base.dynamic_defaults().keys() {
        next.remove_dynamic_default(name);
    }
    for (k, v) in defaults {
        next.set_dynamic_default(k, v)?;
    }
    Ok(next)
}

/// The configuration with the dynamic defaults stored by an earlier run; a stored default
/// that no longer validates is skipped with a warning rather than stopping the broker.
fn with_stored_dynamic_defaults(
    config: Arc<BrokerConfig>,
    path: &Path,
) -> Result<Arc<BrokerConfig>, CatalogError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(config),
        Err(e) => return Err(CatalogError::Storage(format!("{}: {e}", path.display()))),
    };
    let pairs = crate::config::parse_properties(&text)
        .map_err(|e| CatalogError::Storage(format!("{}: {e}", path.display())))?;
    let mut next = (*config).clone();
    for (k, v) in pairs {
        if let Err(e) = next.set_dynamic_default(&k, &v) {
            warn!(key = %k, error = %e, "ignoring a stored dynamic broker default");
        }
    }
    Ok(Arc::new(next))
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        crate::topic_store::sync_dir(dir)?;
    }
    Ok(())
}

fn check_partition_count(partitions: i32) -> Result<(), CatalogError> {
    if partitions < 1 {
        return Err(CatalogError::InvalidPartitions(
            "Number of partitions must be larger than 0.".into(),
        ));
    }
    if partitions > MAX_PARTITIONS_PER_TOPIC {
        return Err(CatalogError::InvalidPartitions(format!(
            "Number of partitions {partitions} is more than Arus allows for one topic ({MAX_PARTITIONS_PER_TOPIC})."
        )));
    }
    Ok(())
}
