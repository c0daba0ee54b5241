//! Admin API end to end, through librdkafka's admin client: CreateTopics (and its errors),
//! Metadata, DescribeConfigs, AlterConfigs, CreatePartitions, DeleteTopics and topic
//! auto-creation.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use rdkafka::admin::{
    AlterConfig, ConfigResource, ConfigSource, NewPartitions, NewTopic, OwnedResourceSpecifier,
    ResourceSpecifier, TopicReplication,
};
use rdkafka::consumer::Consumer;
use rdkafka::producer::FutureRecord;
use rdkafka::types::RDKafkaErrorCode;

fn create(
    broker: &TestBroker,
    name: &str,
    partitions: i32,
    replication: i32,
    configs: &[(&str, &str)],
) -> Result<String, (String, RDKafkaErrorCode)> {
    let admin = broker.admin();
    let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(replication));
    for (k, v) in configs {
        topic = topic.set(k, v);
    }
    let mut results = block_on(admin.create_topics([&topic], &admin_opts()))
        .unwrap_or_else(|e| panic!("CreateTopics request for {name:?} failed: {e}"));
    assert_eq!(results.len(), 1);
    results.remove(0)
}

fn describe_topic(broker: &TestBroker, name: &str) -> ConfigResource {
    let admin = broker.admin();
    let mut results =
        block_on(admin.describe_configs([&ResourceSpecifier::Topic(name)], &admin_opts()))
            .unwrap_or_else(|e| panic!("DescribeConfigs {name}: {e}"));
    assert_eq!(results.len(), 1);
    let resource = results
        .remove(0)
        .unwrap_or_else(|e| panic!("DescribeConfigs {name}: {e:?}"));
    assert_eq!(
        resource.specifier,
        OwnedResourceSpecifier::Topic(name.to_string())
    );
    resource
}

/// (value, source, is_default) of one config entry, which must be present.
fn entry(resource: &ConfigResource, name: &str) -> (Option<String>, ConfigSource, bool) {
    let e = resource
        .get(name)
        .unwrap_or_else(|| panic!("config {name} missing from DescribeConfigs"));
    // rdkafka's ConfigSource is neither Copy nor Clone: the match is the copy.
    #[allow(clippy::needless_match)]
    let source = match e.source {
        ConfigSource::Unknown => ConfigSource::Unknown,
        ConfigSource::DynamicTopic => ConfigSource::DynamicTopic,
        ConfigSource::DynamicBroker => ConfigSource::DynamicBroker,
        ConfigSource::DynamicDefaultBroker => ConfigSource::DynamicDefaultBroker,
        ConfigSource::StaticBroker => ConfigSource::StaticBroker,
        ConfigSource::Default => ConfigSource::Default,
    };
    (e.value.clone(), source, e.is_default)
}

/// AlterConfigs v0 for one topic over a raw connection: (error code, error message).
fn raw_alter_topic_configs(
    broker: &TestBroker,
    topic: &str,
    configs: &[(&str, &str)],
) -> (i16, Option<String>) {
    let mut body = Enc::new();
    body.i32(1).i8(2).string(topic).i32(configs.len() as i32);
    for (k, v) in configs {
        body.string(k).string(v);
    }
    body.i8(0); // validate_only = false
    let mut conn = RawConn::connect(broker);
    let c = conn.send_v1(33, 0, &body.0);
    let resp = conn.read_response(c);
    let mut d = Dec::new(&resp);
    let _throttle = d.i32();
    assert_eq!(d.i32(), 1, "one resource in the AlterConfigs response");
    let code = d.i16();
    let message = match d.i16() {
        n if n < 0 => None,
        n => {
            let start = d.pos;
            d.pos += n as usize;
            Some(String::from_utf8_lossy(&d.buf[start..d.pos]).into_owned())
        }
    };
    assert_eq!(d.i8(), 2, "resource type");
    assert_eq!(d.string(), topic, "resource name");
    (code, message)
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn create_topic_shows_in_metadata_and_rejects_bad_requests() {
    let broker = TestBroker::start();
    let name = "admin-orders";
    assert_eq!(
        create(&broker, name, 3, 1, &[("retention.ms", "1000")]),
        Ok(name.to_string())
    );

    // Metadata: one broker (us), three partitions led by it.
    let md = broker
        .consumer()
        .fetch_metadata(Some(name), CLIENT_TIMEOUT)
        .expect("metadata");
    assert_eq!(md.brokers().len(), 1, "exactly one broker in the cluster");
    let me = &md.brokers()[0];
    assert_eq!(me.host(), "127.0.0.1");
    assert_eq!(me.port(), broker.port() as i32);
    assert_eq!(md.topics().len(), 1);
    let topic = &md.topics()[0];
    assert_eq!(topic.name(), name);
    assert_eq!(topic.error(), None);
    let mut ids: Vec<i32> = topic.partitions().iter().map(|p| p.id()).collect();
    ids.sort();
    assert_eq!(ids, vec![0, 1, 2]);
    for p in topic.partitions() {
        assert_eq!(p.error(), None, "partition {}", p.id());
        assert_eq!(p.leader(), me.id(), "leader of partition {}", p.id());
        assert_eq!(p.replicas(), &[me.id()], "replicas of partition {}", p.id());
        assert_eq!(p.isr(), &[me.id()], "ISR of partition {}", p.id());
    }

    // Creating it again fails, whatever the partition count.
    assert_eq!(
        create(&broker, name, 3, 1, &[]),
        Err((name.to_string(), RDKafkaErrorCode::TopicAlreadyExists))
    );
    assert_eq!(
        create(&broker, name, 1, 1, &[]),
        Err((name.to_string(), RDKafkaErrorCode::TopicAlreadyExists))
    );

    // A single broker cannot hold three replicas.
    assert_eq!(
        create(&broker, "admin-rf3", 1, 3, &[]),
        Err((
            "admin-rf3".to_string(),
            RDKafkaErrorCode::InvalidReplicationFactor
        ))
    );

    // Names Kafka refuses.
    let long = "x".repeat(250);
    for bad in [
        "bad/name",
        "..",
        ".",
        "spaces are bad",
        "caf\u{e9}",
        long.as_str(),
    ] {
        assert_eq!(
            create(&broker, bad, 1, 1, &[]),
            Err((bad.to_string(), RDKafkaErrorCode::InvalidTopic)),
            "topic name {bad:?}"
        );
    }

    // An unknown topic config, and a malformed value of a known one.
    assert_eq!(
        create(&broker, "admin-badcfg", 1, 1, &[("no.such.config", "1")]),
        Err(("admin-badcfg".to_string(), RDKafkaErrorCode::InvalidConfig))
    );
    assert_eq!(
        create(&broker, "admin-badcfg", 1, 1, &[("retention.ms", "soon")]),
        Err(("admin-badcfg".to_string(), RDKafkaErrorCode::InvalidConfig))
    );

    // None of the refused creations left a topic behind; the good one is intact.
    let topics = list_topics(&broker);
    let expected: HashMap<String, usize> = [(name.to_string(), 3)].into_iter().collect();
    assert_eq!(topics, expected, "topics after the refused creations");
}

#[test]
fn describe_and_alter_topic_configs() {
    let broker = TestBroker::start();
    let name = "admin-configs";
    broker.create_topic(
        name,
        1,
        &[("retention.ms", "1000"), ("max.message.bytes", "2000000")],
    );

    let r = describe_topic(&broker, name);
    assert_eq!(
        entry(&r, "retention.ms"),
        (some("1000"), ConfigSource::DynamicTopic, false)
    );
    assert_eq!(
        entry(&r, "max.message.bytes"),
        (some("2000000"), ConfigSource::DynamicTopic, false)
    );
    // Untouched configs report Kafka's defaults.
    assert_eq!(
        entry(&r, "cleanup.policy"),
        (some("delete"), ConfigSource::Default, true)
    );
    assert_eq!(
        entry(&r, "retention.bytes"),
        (some("-1"), ConfigSource::Default, true)
    );
    assert_eq!(
        entry(&r, "segment.bytes"),
        (some("1073741824"), ConfigSource::Default, true)
    );
    assert_eq!(
        entry(&r, "min.insync.replicas"),
        (some("1"), ConfigSource::Default, true)
    );
    // Exactly the two overrides are dynamic topic configs.
    let mut dynamic: Vec<&str> = r
        .entries
        .iter()
        .filter(|e| e.source == ConfigSource::DynamicTopic)
        .map(|e| e.name.as_str())
        .collect();
    dynamic.sort();
    assert_eq!(dynamic, vec!["max.message.bytes", "retention.ms"]);

    // AlterConfigs replaces the whole set of overrides: max.message.bytes goes back to its
    // default.
    let admin = broker.admin();
    let alter = AlterConfig::new(ResourceSpecifier::Topic(name))
        .set("retention.ms", "86400000")
        .set("cleanup.policy", "compact");
    let results = block_on(admin.alter_configs([&alter], &admin_opts())).expect("AlterConfigs");
    assert_eq!(
        results,
        vec![Ok(OwnedResourceSpecifier::Topic(name.to_string()))]
    );
    let r = describe_topic(&broker, name);
    assert_eq!(
        entry(&r, "retention.ms"),
        (some("86400000"), ConfigSource::DynamicTopic, false)
    );
    assert_eq!(
        entry(&r, "cleanup.policy"),
        (some("compact"), ConfigSource::DynamicTopic, false)
    );
    assert_eq!(
        entry(&r, "max.message.bytes"),
        (some("1048588"), ConfigSource::Default, true)
    );

    // An invalid value is refused and changes nothing. (rdkafka's alter_configs drops
    // per-resource errors, so these go over raw AlterConfigs v0 requests.)
    let (code, message) = raw_alter_topic_configs(&broker, name, &[("retention.ms", "forever")]);
    assert_eq!(
        code, 40,
        "INVALID_CONFIG for retention.ms=forever ({message:?})"
    );
    let (code, message) = raw_alter_topic_configs(&broker, name, &[("no.such.config", "1")]);
    assert_eq!(
        code, 40,
        "INVALID_CONFIG for an unknown config ({message:?})"
    );
    let r = describe_topic(&broker, name);
    assert_eq!(
        entry(&r, "retention.ms"),
        (some("86400000"), ConfigSource::DynamicTopic, false)
    );
    assert_eq!(
        entry(&r, "cleanup.policy"),
        (some("compact"), ConfigSource::DynamicTopic, false)
    );

    // Altering a topic that does not exist.
    let (code, message) = raw_alter_topic_configs(&broker, "admin-nope", &[("retention.ms", "1")]);
    assert_eq!(code, 3, "UNKNOWN_TOPIC_OR_PARTITION ({message:?})");

    // Topic overrides survive a restart.
    let mut broker = broker;
    broker.stop();
    broker.restart();
    let r = describe_topic(&broker, name);
    assert_eq!(
        entry(&r, "retention.ms"),
        (some("86400000"), ConfigSource::DynamicTopic, false)
    );
    assert_eq!(
        entry(&r, "cleanup.policy"),
        (some("compact"), ConfigSource::DynamicTopic, false)
    );
    assert_eq!(
        entry(&r, "max.message.bytes"),
        (some("1048588"), ConfigSource::Default, true)
    );
}

#[test]
fn describe_broker_configs() {
    let broker = TestBroker::start_with(&["num.partitions=4"]);
    let admin = broker.admin();
    let md = broker
        .consumer()
        .fetch_metadata(None, CLIENT_TIMEOUT)
        .expect("metadata");
    let id = md.brokers()[0].id();
    let mut results =
        block_on(admin.describe_configs([&ResourceSpecifier::Broker(id)], &admin_opts()))
            .expect("DescribeConfigs broker");
    let r = results.remove(0).expect("broker resource");
    assert_eq!(r.specifier, OwnedResourceSpecifier::Broker(id));
    // Settings given on the command line are static broker configs.
    assert_eq!(
        entry(&r, "num.partitions"),
        (some("4"), ConfigSource::StaticBroker, false)
    );
    assert_eq!(
        entry(&r, "log.dirs"),
        (
            Some(broker.log_dir().display().to_string()),
            ConfigSource::StaticBroker,
            false
        )
    );
    assert_eq!(
        entry(&r, "auto.create.topics.enable"),
        (some("true"), ConfigSource::Default, true)
    );
}

#[test]
fn create_partitions_then_delete_topic() {
    let broker = TestBroker::start();
    let admin = broker.admin();
    let name = "admin-grow";
    broker.create_topic(name, 3, &[]);
    let producer = broker.producer();
    assert_eq!(send_kv(&producer, name, 0, "k", "before"), 0);

    // 3 -> 5 works.
    let grow = NewPartitions::new(name, 5);
    let results =
        block_on(admin.create_partitions([&grow], &admin_opts())).expect("CreatePartitions");
    assert_eq!(results, vec![Ok(name.to_string())]);
    let md = broker
        .consumer()
        .fetch_metadata(Some(name), CLIENT_TIMEOUT)
        .expect("metadata");
    let me = md.brokers()[0].id();
    let topic = &md.topics()[0];
    let mut ids: Vec<i32> = topic.partitions().iter().map(|p| p.id()).collect();
    ids.sort();
    assert_eq!(ids, vec![0, 1, 2, 3, 4]);
    assert!(topic.partitions().iter().all(|p| p.leader() == me));

    // The new partitions take writes, each starting at offset 0. (A new producer: the old
    // one's cached metadata still says 3 partitions.)
    let producer = broker.producer();
    assert_eq!(send_kv(&producer, name, 3, "k", "p3"), 0);
    assert_eq!(send_kv(&producer, name, 4, "k", "p4"), 0);
    assert_eq!(send_kv(&producer, name, 4, "k", "p4b"), 1);
    let p4 = read_partition(&broker, name, 4, 2);
    assert_eq!(
        p4.iter()
            .map(|m| (m.offset, m.value_str().to_string()))
            .collect::<Vec<_>>(),
        vec![(0, "p4".to_string()), (1, "p4b".to_string())]
    );

    // 5 -> 4 is refused: partitions can only be added.
    let shrink = NewPartitions::new(name, 4);
    let results =
        block_on(admin.create_partitions([&shrink], &admin_opts())).expect("CreatePartitions");
    assert_eq!(
        results,
        vec![Err((name.to_string(), RDKafkaErrorCode::InvalidPartitions))]
    );
    // So is 5 -> 5.
    let same = NewPartitions::new(name, 5);
    let results =
        block_on(admin.create_partitions([&same], &admin_opts())).expect("CreatePartitions");
    assert_eq!(
        results,
        vec![Err((name.to_string(), RDKafkaErrorCode::InvalidPartitions))]
    );
    assert_eq!(list_topics(&broker).get(name), Some(&5));
    // And a missing topic cannot grow.
    let missing = NewPartitions::new("admin-missing", 2);
    let results =
        block_on(admin.create_partitions([&missing], &admin_opts())).expect("CreatePartitions");
    assert_eq!(
        results,
        vec![Err((
            "admin-missing".to_string(),
            RDKafkaErrorCode::UnknownTopicOrPartition
        ))]
    );

    // Delete: gone from metadata and from disk.
    let results = block_on(admin.delete_topics(&[name], &admin_opts())).expect("DeleteTopics");
    assert_eq!(results, vec![Ok(name.to_string())]);
    assert_eq!(
        list_topics(&broker).get(name),
        None,
        "deleted topic still listed"
    );
    wait_until(
        "the deleted topic's partition directories to go",
        Duration::from_secs(15),
        || (0..5).all(|p| !broker.partition_dir(name, p).exists()),
    );
    let results = block_on(admin.delete_topics(&[name], &admin_opts())).expect("DeleteTopics");
    assert_eq!(
        results,
        vec![Err((
            name.to_string(),
            RDKafkaErrorCode::UnknownTopicOrPartition
        ))]
    );

    // The name can be used again, and the new topic starts empty.
    broker.create_topic(name, 1, &[]);
    assert_eq!(watermarks(&broker, name, 0), (0, 0));
    assert_eq!(list_topics(&broker).get(name), Some(&1));
}

#[test]
fn produce_auto_creates_topic_with_num_partitions() {
    let broker = TestBroker::start_with(&["num.partitions=2"]);
    let producer = broker.producer();
    let name = "admin-auto";
    let d = send(
        &producer,
        FutureRecord::to(name)
            .partition(1)
            .key(&b"k"[..])
            .payload(&b"v"[..]),
    );
    assert_eq!((d.partition, d.offset), (1, 0));
    assert_eq!(list_topics(&broker).get(name), Some(&2));
    let r = describe_topic(&broker, name);
    // An auto-created topic has no overrides.
    assert!(
        r.entries
            .iter()
            .all(|e| e.source != ConfigSource::DynamicTopic),
        "auto-created topic has dynamic configs: {:?}",
        r.entries
            .iter()
            .filter(|e| e.source == ConfigSource::DynamicTopic)
            .collect::<Vec<_>>()
    );
    let msgs = read_partition(&broker, name, 1, 1);
    assert_eq!(msgs[0].value.as_deref(), Some(&b"v"[..]));
}

#[test]
fn auto_create_can_be_disabled() {
    let broker = TestBroker::start_with(&["auto.create.topics.enable=false"]);
    // A Metadata request naming a missing topic reports it unknown and creates nothing.
    let md = broker
        .consumer()
        .fetch_metadata(Some("admin-never"), CLIENT_TIMEOUT)
        .expect("metadata");
    assert_eq!(md.topics().len(), 1);
    assert_eq!(md.topics()[0].name(), "admin-never");
    assert_eq!(
        md.topics()[0].error(),
        Some(rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    );
    // A producer cannot make it exist either.
    let producer = broker.producer_with(&[("message.timeout.ms", "3000")]);
    let result = block_on(
        producer.send(
            FutureRecord::to("admin-never")
                .key(&b"k"[..])
                .payload(&b"v"[..]),
            Duration::from_secs(5),
        ),
    );
    assert!(
        result.is_err(),
        "produce to a missing topic succeeded without auto-create: {result:?}"
    );
    assert_eq!(list_topics(&broker).get("admin-never"), None);
}
