"""The cheat sheet's Python client code (confluent-kafka and kafka-python) against Arus:
keyed JSON orders with headers into a 3-partition topic, read back exactly."""

import json
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer

HEADERS = [("event_type", b"created"), ("source", b"api")]
ORDERS = 30


def create_orders(broker, partitions=3):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    futures = admin.create_topics(
        [NewTopic("orders", num_partitions=partitions, replication_factor=1)], request_timeout=30
    )
    for f in futures.values():
        f.result(timeout=30)


def produce_orders(broker):
    """Produces the orders; returns {partition: [(offset, key, value_dict)]} from the delivery
    reports."""
    producer = Producer({"bootstrap.servers": broker.bootstrap, "client.id": "order-service"})
    delivered = []
    errors = []

    def delivery_report(err, msg):
        """Callback dipanggil saat Kafka confirm delivery."""
        if err is not None:
            errors.append(err)
        else:
            delivered.append((msg.partition(), msg.offset(), msg.key().decode("utf-8"), json.loads(msg.value())))

    for order_id in range(ORDERS):
        user = "user-%d" % (order_id % 7)
        producer.produce(
            "orders",
            key=user,
            value=json.dumps({"order_id": order_id, "product": "laptop", "price": 999 + order_id}).encode("utf-8"),
            headers=HEADERS,
            callback=delivery_report,
        )
    remaining = producer.flush(30)
    assert remaining == 0, "%d messages not delivered" % remaining
    assert errors == []
    assert len(delivered) == ORDERS

    by_partition = {}
    partition_of_key = {}
    for partition, offset, key, value in delivered:
        # Pesan dengan key yang sama selalu ke partition yang sama.
        assert partition_of_key.setdefault(key, partition) == partition, key
        by_partition.setdefault(partition, []).append((offset, key, value))
    for partition, entries in by_partition.items():
        entries.sort()
        assert [e[0] for e in entries] == list(range(len(entries))), "offsets of partition %d" % partition
    return by_partition


def test_confluent_round_trip(broker):
    create_orders(broker)
    expected = produce_orders(broker)
    assert set(expected) <= {0, 1, 2}
    assert len(expected) >= 2, "7 keys over 3 partitions should use more than one partition"

    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "order-processors",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    try:
        consumer.assign([TopicPartition("orders", p, OFFSET_BEGINNING) for p in range(3)])
        got = {}
        count = 0
        errors = []
        deadline = time.monotonic() + 30
        while count < ORDERS and time.monotonic() < deadline:
            msg = consumer.poll(timeout=1.0)
            if msg is None:
                continue
            if msg.error():
                errors.append(str(msg.error()))
                continue
            assert msg.topic() == "orders"
            assert msg.headers() == HEADERS
            got.setdefault(msg.partition(), []).append(
                (msg.offset(), msg.key().decode("utf-8"), json.loads(msg.value().decode("utf-8")))
            )
            count += 1
        assert count == ORDERS, "consumed %d of %d; errors %r" % (count, ORDERS, errors)
        # Nothing beyond what was produced.
        extra = consumer.poll(timeout=1.0)
        assert extra is None or extra.error() is not None, "unexpected extra message"
    finally:
        consumer.close()
    assert got == expected


def test_kafka_python_consumer_reads_everything(broker):
    create_orders(broker)
    expected = produce_orders(broker)

    # The cheat sheet's consumer, without a group: Arus has no consumer groups yet.
    consumer = KafkaConsumer(
        "orders",
        bootstrap_servers=[broker.bootstrap],
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        value_deserializer=lambda x: json.loads(x.decode("utf-8")),
        consumer_timeout_ms=5000,
    )
    got = {}
    try:
        for message in consumer:
            assert message.topic == "orders"
            assert message.headers == HEADERS
            got.setdefault(message.partition, []).append((message.offset, message.key.decode("utf-8"), message.value))
    finally:
        consumer.close()
    assert got == expected
