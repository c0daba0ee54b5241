"""Transactions with the Python clients against Arus:

- confluent-kafka: a committed and an aborted transaction across 3 partitions; a
  read_committed consumer sees exactly the committed records, a read_uncommitted one sees
  both (never the markers);
- confluent-kafka consume-transform-produce with send_offsets_to_transaction: the output
  holds each input once and the group's committed offsets moved with it;
- kafka-python 3's transactional KafkaProducer commits and aborts, and its read_committed
  KafkaConsumer sees only the commits.
"""

import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KpTopicPartition


def create_topic(broker, name, partitions):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1)], request_timeout=30
    )
    for f in futures.values():
        f.result(30)


def read_all(broker, topic, partitions, isolation, idle=3.0):
    """Values per partition that a fresh consumer with `isolation` reads."""
    c = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "reader-%s-%f" % (isolation, time.time()),
            "isolation.level": isolation,
            "enable.auto.commit": False,
        }
    )
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out = {p: [] for p in range(partitions)}
    last = time.time()
    while time.time() - last < idle:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        out[m.partition()].append(m.value().decode())
        last = time.time()
    c.close()
    return out


def test_confluent_commit_and_abort_across_partitions(broker):
    create_topic(broker, "payments", 3)
    p = Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": "payments-tx"})
    p.init_transactions(30)
    p.begin_transaction()
    for part in range(3):
        p.produce("payments", value=b"ok-%d" % part, partition=part)
    p.commit_transaction(30)
    p.begin_transaction()
    for part in range(3):
        p.produce("payments", value=b"no-%d" % part, partition=part)
    p.flush(30)
    p.abort_transaction(30)

    assert read_all(broker, "payments", 3, "read_committed") == {0: ["ok-0"], 1: ["ok-1"], 2: ["ok-2"]}
    assert read_all(broker, "payments", 3, "read_uncommitted") == {
        0: ["ok-0", "no-0"],
        1: ["ok-1", "no-1"],
        2: ["ok-2", "no-2"],
    }


def test_confluent_consume_transform_produce(broker):
    create_topic(broker, "raw", 1)
    create_topic(broker, "clean", 1)
    plain = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(20):
        plain.produce("raw", value=str(i).encode())
    plain.flush(30)

    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "cleaners",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe(["raw"])
    producer = Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": "cleaner"})
    producer.init_transactions(30)
    done = 0
    deadline = time.time() + 60
    while done < 20 and time.time() < deadline:
        msgs = consumer.consume(num_messages=5, timeout=1.0)
        msgs = [m for m in msgs if not m.error()]
        if not msgs:
            continue
        producer.begin_transaction()
        for m in msgs:
            producer.produce("clean", value=b"clean-" + m.value())
        last = msgs[-1]
        producer.send_offsets_to_transaction(
            [TopicPartition("raw", last.partition(), last.offset() + 1)],
            consumer.consumer_group_metadata(),
            30,
        )
        producer.commit_transaction(30)
        done += len(msgs)
    consumer.close()
    assert done == 20
    assert read_all(broker, "clean", 1, "read_committed") == {0: ["clean-%d" % i for i in range(20)]}

    check = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "cleaners"})
    committed = check.committed([TopicPartition("raw", 0)], timeout=30)
    check.close()
    assert committed[0].offset == 20


def test_kafka_python_transactional_producer(broker):
    create_topic(broker, "kp-tx", 1)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, transactional_id="kp-writer")
    producer.init_transactions()
    producer.begin_transaction()
    producer.send("kp-tx", b"kept", partition=0)
    producer.commit_transaction()
    producer.begin_transaction()
    producer.send("kp-tx", b"dropped", partition=0)
    producer.flush()
    producer.abort_transaction()
    producer.close()

    consumer = KafkaConsumer(
        bootstrap_servers=broker.bootstrap,
        isolation_level="read_committed",
        consumer_timeout_ms=3000,
        auto_offset_reset="earliest",
    )
    consumer.assign([KpTopicPartition("kp-tx", 0)])
    consumer.seek_to_beginning()
    assert [m.value for m in consumer] == [b"kept"]
    consumer.close()
