//! The console's protocol client: every read and change of the broker goes through
//! [`arus_broker::dispatch::call`] with the same Kafka requests a network client would send,
//! at fixed versions the broker advertises (checked by a test). Nothing here touches storage
//! or the catalog directly.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use arus_broker::broker::Broker;
use arus_broker::dispatch::{self, ConnectionContext};
use bytes::{Bytes, BytesMut};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use kafka_protocol::ResponseError;

/// The request versions the console speaks (each inside the broker's advertised range).
pub const VERSIONS: &[(ApiKey, i16)] = &[
    (ApiKey::Metadata, 12),
    (ApiKey::ListOffsets, 7),
    (ApiKey::Fetch, 12),
    (ApiKey::Produce, 9),
    (ApiKey::CreateTopics, 7),
    (ApiKey::CreatePartitions, 3),
    (ApiKey::DeleteTopics, 5),
    (ApiKey::DescribeConfigs, 4),
    (ApiKey::IncrementalAlterConfigs, 1),
    (ApiKey::ListGroups, 4),
    (ApiKey::DescribeGroups, 5),
    (ApiKey::OffsetFetch, 8),
    (ApiKey::OffsetCommit, 8),
    (ApiKey::DescribeLogDirs, 4),
    (ApiKey::ConsumerGroupDescribe, 0),
];

fn version_of(key: ApiKey) -> i16 {
    VERSIONS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .unwrap_or(0)
}

/// A topic-partition.
pub type Tp = (String, i32);

/// Kafka's name for an error code ("NONE" for 0).
pub fn error_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        None => "NONE".to_string(),
        Some(e) => e.to_string(),
    }
}

fn check(code: i16, message: Option<&StrBytes>, what: &str) -> Result<()> {
    if code == 0 {
        return Ok(());
    }
    match message.map(|m| m.as_str()).filter(|m| !m.is_empty()) {
        Some(m) => bail!("{what}: {} ({m})", error_name(code)),
        None => bail!("{what}: {}", error_name(code)),
    }
}

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

fn topic_name(v: &str) -> TopicName {
    TopicName(s(v))
}

/// Kafka's capitalised state names (KIP-848 groups report them in lower case).
pub fn canonical_state(state: &str) -> String {
    const STATES: &[&str] = &[
        "Empty",
        "PreparingRebalance",
        "CompletingRebalance",
        "Stable",
        "Dead",
        "Assigning",
        "Reconciling",
    ];
    STATES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(state))
        .map(|k| k.to_string())
        .unwrap_or_else(|| state.to_string())
}

/// One partition's slice of a Fetch answer.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub topic: String,
    pub partition: i32,
    pub error_code: i16,
    pub high_watermark: i64,
    pub log_start_offset: i64,
    pub records: Bytes,
}

/// A topic as Metadata describes it.
#[derive(Debug, Clone)]
pub struct TopicInfo {
    pub name: String,
    pub internal: bool,
    /// (partition, leader, replicas)
    pub partitions: Vec<(i32, i32, usize)>,
}

/// A config entry of a topic.
#[derive(Debug, Clone)]
pub struct ConfigRow {
    pub name: String,
    pub value: Option<String>,
    pub is_override: bool,
    pub read_only: bool,
    pub sensitive: bool,
}

/// A listed consumer group.
#[derive(Debug, Clone)]
pub struct GroupListing {
    pub id: String,
    pub state: String,
    pub protocol_type: String,
}

/// A group member and its assignment.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub client_id: String,
    pub host: String,
    pub assignment: Vec<Tp>,
}

/// A described group.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    pub state: String,
    pub protocol_type: String,
    pub protocol: String,
    pub members: Vec<Member>,
}

/// A handle on the broker that speaks Kafka requests in process.
#[derive(Clone)]
pub struct Client {
    broker: Arc<Broker>,
}

impl Client {
    pub fn new(broker: Arc<Broker>) -> Client {
        Client { broker }
    }

    /// The broker, for facts that are not behind a request (uptime, endpoints, metrics).
    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    async fn call(&self, key: ApiKey, request: RequestKind) -> Result<ResponseKind> {
        // Once the broker is stopping, the console sends nothing more (logs are being closed).
        if self.broker.is_shutting_down() {
            bail!("the broker is shutting down");
        }
        let header = RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version_of(key))
            .with_client_id(Some(StrBytes::from_static_str("arus-console")));
        let listener = self
            .broker
            .endpoints
            .first()
            .map(|e| e.listener.clone())
            .unwrap_or_else(|| "PLAINTEXT".to_string());
        let ctx = ConnectionContext {
            peer: SocketAddr::from(([127, 0, 0, 1], 0)),
            listener,
        };
        match dispatch::call(&self.broker, &ctx, &header, request).await {
            Ok(Some(r)) => Ok(r),
            Ok(None) => bail!("{key:?}: no response"),
            Err(e) => bail!("{key:?}: {e}"),
        }
    }

    /// Every topic (or the named ones), sorted by name.
    pub async fn topics(&self, names: Option<&[String]>) -> Result<Vec<TopicInfo>> {
        let mut req = MetadataRequest::default();
        req.allow_auto_topic_creation = false;
        req.topics = names.map(|ns| {
            ns.iter()
                .map(|n| {
                    let mut t = MetadataRequestTopic::default();
                    t.name = Some(topic_name(n));
                    t
                })
                .collect()
        });
        let ResponseKind::Metadata(resp) = self.call(ApiKey::Metadata, req.into()).await? else {
            bail!("Metadata: unexpected response");
        };
        let mut out = Vec::new();
        for t in resp.topics {
            if t.error_code != 0 {
                continue;
            }
            let Some(name) = t.name else { continue };
            let mut partitions: Vec<(i32, i32, usize)> = t
                .partitions
                .iter()
                .map(|p| (p.partition_index, p.leader_id.0, p.replica_nodes.len()))
                .collect();
            partitions.sort();
            out.push(TopicInfo {
                name: name.0.to_string(),
                internal: t.is_internal,
                partitions,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// One topic, or None when it does not exist.
    pub async fn topic(&self, name: &str) -> Result<Option<TopicInfo>> {
        Ok(self
            .topics(Some(&[name.to_string()]))
            .await?
            .into_iter()
            .find(|t| t.name == name))
    }

    /// ListOffsets for each partition with `timestamp` (-2 earliest, -1 latest, or a time in
    /// ms). Partitions with an error or no answer (-1 for a time past the end) are left out.
    pub async fn offsets(&self, tps: &[Tp], timestamp: i64) -> Result<BTreeMap<Tp, i64>> {
        if tps.is_empty() {
            return Ok(BTreeMap::new());
        }
        let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for (t, p) in tps {
            by_topic.entry(t.as_str()).or_default().push(*p);
        }
        let mut req = ListOffsetsRequest::default();
        req.replica_id = BrokerId(-1);
        req.topics = by_topic
            .into_iter()
            .map(|(name, ps)| {
                let mut t = ListOffsetsTopic::default();
                t.name = topic_name(name);
                t.partitions = ps
                    .into_iter()
                    .map(|p| {
                        let mut lp = ListOffsetsPartition::default();
                        lp.partition_index = p;
                        lp.current_leader_epoch = -1;
                        lp.timestamp = timestamp;
                        lp
                    })
                    .collect();
                t
            })
            .collect();
        let ResponseKind::ListOffsets(resp) = self.call(ApiKey::ListOffsets, req.into()).await?
        else {
            bail!("ListOffsets: unexpected response");
        };
        let mut out = BTreeMap::new();
        for t in resp.topics {
            for p in t.partitions {
                if p.error_code == 0 && p.offset >= 0 {
                    out.insert((t.name.0.to_string(), p.partition_index), p.offset);
                }
            }
        }
        Ok(out)
    }

    /// One sessionless Fetch of several partitions of a topic from the given offsets.
    /// `max_wait_ms` > 0 long-polls until at least one byte is there.
    pub async fn fetch(
        &self,
        topic: &str,
        from: &[(i32, i64)],
        max_wait_ms: i32,
        partition_max_bytes: i32,
    ) -> Result<Vec<Fetched>> {
        let mut req = FetchRequest::default();
        req.replica_id = BrokerId(-1);
        req.max_wait_ms = max_wait_ms;
        req.min_bytes = 1;
        req.max_bytes = partition_max_bytes.saturating_mul(4);
        req.isolation_level = 0;
        req.session_id = 0;
        req.session_epoch = -1;
        let mut ft = FetchTopic::default();
        ft.topic = topic_name(topic);
        ft.partitions = from
            .iter()
            .map(|(p, o)| {
                let mut fp = FetchPartition::default();
                fp.partition = *p;
                fp.current_leader_epoch = -1;
                fp.fetch_offset = *o;
                fp.last_fetched_epoch = -1;
                fp.log_start_offset = -1;
                fp.partition_max_bytes = partition_max_bytes;
                fp
            })
            .collect();
        req.topics = vec![ft];
        let ResponseKind::Fetch(resp) = self.call(ApiKey::Fetch, req.into()).await? else {
            bail!("Fetch: unexpected response");
        };
        check(resp.error_code, None, "Fetch")?;
        let mut out = Vec::new();
        for t in resp.responses {
            for p in t.partitions {
                out.push(Fetched {
                    topic: t.topic.0.to_string(),
                    partition: p.partition_index,
                    error_code: p.error_code,
                    high_watermark: p.high_watermark,
                    log_start_offset: p.log_start_offset,
                    records: p.records.unwrap_or_default(),
                });
            }
        }
        Ok(out)
    }

    /// Produces one record (acks=all) and returns its offset.
    pub async fn produce(
        &self,
        topic: &str,
        partition: i32,
        key: Option<Bytes>,
        value: Option<Bytes>,
        headers: Vec<(String, Bytes)>,
        timestamp: i64,
    ) -> Result<i64> {
        let mut hs = IndexMap::new();
        for (k, v) in headers {
            hs.insert(s(&k), Some(v));
        }
        let record = Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: 0,
            sequence: -1,
            timestamp,
            key,
            value,
            headers: hs,
        };
        let mut buf = BytesMut::new();
        let options = RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        };
        RecordBatchEncoder::encode(&mut buf, [&record], &options)
            .map_err(|e| anyhow!("encoding the record: {e}"))?;
        let mut req = ProduceRequest::default();
        req.acks = -1;
        req.timeout_ms = 30_000;
        let mut td = TopicProduceData::default();
        td.name = topic_name(topic);
        let mut pd = PartitionProduceData::default();
        pd.index = partition;
        pd.records = Some(buf.freeze());
        td.partition_data = vec![pd];
        req.topic_data = vec![td];
        let ResponseKind::Produce(resp) = self.call(ApiKey::Produce, req.into()).await? else {
            bail!("Produce: unexpected response");
        };
        let p = resp
            .responses
            .into_iter()
            .flat_map(|t| t.partition_responses)
            .next()
            .ok_or_else(|| anyhow!("Produce: empty answer"))?;
        check(p.error_code, p.error_message.as_ref(), "Produce")?;
        Ok(p.base_offset)
    }

    /// Creates a topic with these configs.
    pub async fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication: i16,
        configs: &[(String, String)],
    ) -> Result<()> {
        let mut t = CreatableTopic::default();
        t.name = topic_name(name);
        t.num_partitions = partitions;
        t.replication_factor = replication;
        t.configs = configs
            .iter()
            .map(|(k, v)| {
                let mut c = CreatableTopicConfig::default();
                c.name = s(k);
                c.value = Some(s(v));
                c
            })
            .collect();
        let mut req = CreateTopicsRequest::default();
        req.topics = vec![t];
        req.timeout_ms = 30_000;
        let ResponseKind::CreateTopics(resp) = self.call(ApiKey::CreateTopics, req.into()).await?
        else {
            bail!("CreateTopics: unexpected response");
        };
        for r in resp.topics {
            check(
                r.error_code,
                r.error_message.as_ref(),
                "cannot create the topic",
            )?;
        }
        Ok(())
    }

    /// Raises a topic's partition count to `count`.
    pub async fn create_partitions(&self, name: &str, count: i32) -> Result<()> {
        let mut t = CreatePartitionsTopic::default();
        t.name = topic_name(name);
        t.count = count;
        let mut req = CreatePartitionsRequest::default();
        req.topics = vec![t];
        req.timeout_ms = 30_000;
        let ResponseKind::CreatePartitions(resp) =
            self.call(ApiKey::CreatePartitions, req.into()).await?
        else {
            bail!("CreatePartitions: unexpected response");
        };
        for r in resp.results {
            check(
                r.error_code,
                r.error_message.as_ref(),
                "cannot add partitions",
            )?;
        }
        Ok(())
    }

    /// Deletes a topic.
    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        let mut req = DeleteTopicsRequest::default();
        req.topic_names = vec![topic_name(name)];
        req.timeout_ms = 30_000;
        let ResponseKind::DeleteTopics(resp) = self.call(ApiKey::DeleteTopics, req.into()).await?
        else {
            bail!("DeleteTopics: unexpected response");
        };
        for r in resp.responses {
            check(
                r.error_code,
                r.error_message.as_ref(),
                "cannot delete the topic",
            )?;
        }
        Ok(())
    }

    /// A topic's configs (sorted by name), each marked whether it is a topic override.
    pub async fn topic_configs(&self, name: &str) -> Result<Vec<ConfigRow>> {
        let mut r = DescribeConfigsResource::default();
        r.resource_type = 2;
        r.resource_name = s(name);
        r.configuration_keys = None;
        let mut req = DescribeConfigsRequest::default();
        req.resources = vec![r];
        let ResponseKind::DescribeConfigs(resp) =
            self.call(ApiKey::DescribeConfigs, req.into()).await?
        else {
            bail!("DescribeConfigs: unexpected response");
        };
        let mut out = Vec::new();
        for res in resp.results {
            check(
                res.error_code,
                res.error_message.as_ref(),
                "cannot describe configs",
            )?;
            for c in res.configs {
                out.push(ConfigRow {
                    name: c.name.to_string(),
                    value: c.value.map(|v| v.to_string()),
                    // 1 = DYNAMIC_TOPIC_CONFIG: set on this topic.
                    is_override: c.config_source == 1,
                    read_only: c.read_only,
                    sensitive: c.is_sensitive,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Sets (`Some`) or removes (`None`) one topic config override.
    pub async fn alter_topic_config(
        &self,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<()> {
        let mut c = AlterableConfig::default();
        c.name = s(key);
        c.config_operation = if value.is_some() { 0 } else { 1 };
        c.value = value.map(s);
        let mut r = AlterConfigsResource::default();
        r.resource_type = 2;
        r.resource_name = s(name);
        r.configs = vec![c];
        let mut req = IncrementalAlterConfigsRequest::default();
        req.resources = vec![r];
        let ResponseKind::IncrementalAlterConfigs(resp) = self
            .call(ApiKey::IncrementalAlterConfigs, req.into())
            .await?
        else {
            bail!("IncrementalAlterConfigs: unexpected response");
        };
        for r in resp.responses {
            check(
                r.error_code,
                r.error_message.as_ref(),
                "cannot change the config",
            )?;
        }
        Ok(())
    }

    /// Size on disk of every partition.
    pub async fn partition_sizes(&self) -> Result<BTreeMap<Tp, i64>> {
        let mut req = DescribeLogDirsRequest::default();
        req.topics = None; // null: every partition (the default is an empty list)
        let ResponseKind::DescribeLogDirs(resp) =
            self.call(ApiKey::DescribeLogDirs, req.into()).await?
        else {
            bail!("DescribeLogDirs: unexpected response");
        };
        let mut out = BTreeMap::new();
        for dir in resp.results {
            for t in dir.topics {
                for p in t.partitions {
                    *out.entry((t.name.0.to_string(), p.partition_index))
                        .or_insert(0) += p.partition_size;
                }
            }
        }
        Ok(out)
    }

    /// Every consumer group, sorted by ID.
    pub async fn groups(&self) -> Result<Vec<GroupListing>> {
        let req = ListGroupsRequest::default();
        let ResponseKind::ListGroups(resp) = self.call(ApiKey::ListGroups, req.into()).await?
        else {
            bail!("ListGroups: unexpected response");
        };
        check(resp.error_code, None, "ListGroups")?;
        let mut out: Vec<GroupListing> = resp
            .groups
            .into_iter()
            .map(|g| GroupListing {
                id: g.group_id.0.to_string(),
                state: canonical_state(g.group_state.as_str()),
                protocol_type: g.protocol_type.to_string(),
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Describes a group (a KIP-848 consumer group through ConsumerGroupDescribe, a classic
    /// one through DescribeGroups); None when it does not exist.
    pub async fn describe_group(&self, id: &str) -> Result<Option<GroupInfo>> {
        let mut req = ConsumerGroupDescribeRequest::default();
        req.group_ids = vec![GroupId(s(id))];
        if let ResponseKind::ConsumerGroupDescribe(resp) =
            self.call(ApiKey::ConsumerGroupDescribe, req.into()).await?
        {
            if let Some(g) = resp.groups.into_iter().find(|g| g.error_code == 0) {
                let members = g
                    .members
                    .into_iter()
                    .map(|m| {
                        let mut assignment: Vec<Tp> = m
                            .assignment
                            .topic_partitions
                            .iter()
                            .flat_map(|t| {
                                t.partitions
                                    .iter()
                                    .map(|p| (t.topic_name.0.to_string(), *p))
                            })
                            .collect();
                        assignment.sort();
                        Member {
                            id: m.member_id.to_string(),
                            client_id: m.client_id.to_string(),
                            host: m.client_host.to_string(),
                            assignment,
                        }
                    })
                    .collect();
                return Ok(Some(GroupInfo {
                    state: canonical_state(g.group_state.as_str()),
                    protocol_type: "consumer".to_string(),
                    protocol: g.assignor_name.to_string(),
                    members,
                }));
            }
        }
        let mut req = DescribeGroupsRequest::default();
        req.groups = vec![GroupId(s(id))];
        let ResponseKind::DescribeGroups(resp) =
            self.call(ApiKey::DescribeGroups, req.into()).await?
        else {
            bail!("DescribeGroups: unexpected response");
        };
        let Some(g) = resp.groups.into_iter().next() else {
            return Ok(None);
        };
        // 69 = GROUP_ID_NOT_FOUND
        if g.error_code == 69 || g.group_state.as_str() == "Dead" {
            return Ok(None);
        }
        check(
            g.error_code,
            g.error_message.as_ref(),
            "cannot describe the group",
        )?;
        let members = g
            .members
            .into_iter()
            .map(|m| Member {
                id: m.member_id.to_string(),
                client_id: m.client_id.to_string(),
                host: m.client_host.to_string(),
                assignment: crate::assignment::decode(m.member_assignment),
            })
            .collect();
        Ok(Some(GroupInfo {
            state: canonical_state(g.group_state.as_str()),
            protocol_type: g.protocol_type.to_string(),
            protocol: g.protocol_data.to_string(),
            members,
        }))
    }

    /// A group's committed offsets (partitions without one are left out).
    pub async fn committed(&self, group: &str) -> Result<BTreeMap<Tp, i64>> {
        let mut g = OffsetFetchRequestGroup::default();
        g.group_id = GroupId(s(group));
        g.topics = None;
        let mut req = OffsetFetchRequest::default();
        req.groups = vec![g];
        let ResponseKind::OffsetFetch(resp) = self.call(ApiKey::OffsetFetch, req.into()).await?
        else {
            bail!("OffsetFetch: unexpected response");
        };
        let mut out = BTreeMap::new();
        for g in resp.groups {
            check(g.error_code, None, "cannot fetch the group's offsets")?;
            for t in g.topics {
                for p in t.partitions {
                    if p.error_code == 0 && p.committed_offset >= 0 {
                        out.insert(
                            (t.name.0.to_string(), p.partition_index),
                            p.committed_offset,
                        );
                    }
                }
            }
        }
        Ok(out)
    }

    /// Commits offsets for a group as an admin would (generation -1, no member): the group
    /// coordinator accepts this only while the group has no active members.
    pub async fn commit(&self, group: &str, offsets: &BTreeMap<Tp, i64>) -> Result<()> {
        let mut by_topic: BTreeMap<&str, Vec<(i32, i64)>> = BTreeMap::new();
        for ((t, p), o) in offsets {
            by_topic.entry(t.as_str()).or_default().push((*p, *o));
        }
        let mut req = OffsetCommitRequest::default();
        req.group_id = GroupId(s(group));
        req.generation_id_or_member_epoch = -1;
        req.retention_time_ms = -1;
        req.topics = by_topic
            .into_iter()
            .map(|(name, ps)| {
                let mut t = OffsetCommitRequestTopic::default();
                t.name = topic_name(name);
                t.partitions = ps
                    .into_iter()
                    .map(|(p, o)| {
                        let mut cp = OffsetCommitRequestPartition::default();
                        cp.partition_index = p;
                        cp.committed_offset = o;
                        cp.committed_leader_epoch = -1;
                        cp.committed_metadata = Some(StrBytes::from_static_str(""));
                        cp
                    })
                    .collect();
                t
            })
            .collect();
        let ResponseKind::OffsetCommit(resp) = self.call(ApiKey::OffsetCommit, req.into()).await?
        else {
            bail!("OffsetCommit: unexpected response");
        };
        for t in resp.topics {
            for p in t.partitions {
                check(
                    p.error_code,
                    None,
                    &format!("cannot commit {}-{}", t.name.0.as_str(), p.partition_index),
                )?;
            }
        }
        Ok(())
    }

    /// Per-partition lag of a group: (committed, end offset) for every partition it has an
    /// offset for.
    pub async fn group_lag(&self, group: &str) -> Result<BTreeMap<Tp, (i64, i64)>> {
        let committed = self.committed(group).await?;
        let tps: Vec<Tp> = committed.keys().cloned().collect();
        let ends = self.offsets(&tps, -1).await?;
        Ok(committed
            .into_iter()
            .filter_map(|(tp, c)| ends.get(&tp).map(|e| (tp, (c, *e))))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_is_advertised_by_the_broker() {
        for (key, v) in VERSIONS {
            let range = arus_broker::handlers::api_versions::supported(*key)
                .unwrap_or_else(|| panic!("{key:?} is not implemented"));
            assert!(
                range.min <= *v && *v <= range.max,
                "{key:?} v{v} outside {range:?}"
            );
        }
    }

    #[test]
    fn error_names() {
        assert_eq!(error_name(0), "NONE");
        assert_eq!(error_name(3), "UnknownTopicOrPartition");
    }

    #[test]
    fn states_are_capitalised() {
        assert_eq!(canonical_state("stable"), "Stable");
        assert_eq!(canonical_state("Empty"), "Empty");
        assert_eq!(canonical_state("reconciling"), "Reconciling");
        assert_eq!(canonical_state("odd"), "odd");
    }
}
