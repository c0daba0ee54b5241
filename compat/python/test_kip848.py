"""KIP-848 consumer groups (`group.protocol=consumer`) with librdkafka: the broker assigns
partitions (uniform assignor), a second member gets half of them only after the first gave
them up, and together they read every record; commits are shared with the offsets store."""

import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

TOPIC, GROUP = "kip848", "kip848-group"


def consumer(broker, name, events):
    c = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": GROUP,
            "group.protocol": "consumer",
            "client.id": name,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    c.subscribe(
        [TOPIC],
        on_assign=lambda _, parts: events.append((time.monotonic(), name, "+", sorted(p.partition for p in parts))),
        on_revoke=lambda _, parts: events.append((time.monotonic(), name, "-", sorted(p.partition for p in parts))),
    )
    return c


def produce(broker, first, last):
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(first, last):
        p.produce(TOPIC, value=b"m%d" % i, partition=i % 4)
    assert p.flush(10) == 0


def owners_never_overlap(events):
    """Replays assign/revoke events: no partition may be owned by two members at once."""
    owned = {}
    for _, name, sign, parts in sorted(events):
        for p in parts:
            if sign == "+":
                assert p not in owned or owned[p] == name, "partition %d owned by %s and %s" % (p, owned[p], name)
                owned[p] = name
            else:
                owned.pop(p, None)


def test_two_members_split_and_read_everything(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(TOPIC, num_partitions=4, replication_factor=1)])[TOPIC].result()
    produce(broker, 0, 400)
    events = []
    c1 = consumer(broker, "c1", events)
    first = set()
    deadline = time.monotonic() + 30
    while len(first) < 400 and time.monotonic() < deadline:
        m = c1.poll(0.2)
        if m is not None and m.error() is None:
            first.add((m.partition(), m.offset()))
    assert len(first) == 400
    c1.commit(asynchronous=False)

    c2 = consumer(broker, "c2", events)
    produce(broker, 400, 800)
    second = set()
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        for c in (c1, c2):
            m = c.poll(0.1)
            if m is not None and m.error() is None:
                second.add((m.partition(), m.offset()))
        a1 = {p.partition for p in c1.assignment()}
        a2 = {p.partition for p in c2.assignment()}
        if len(second) == 400 and len(a1) == 2 and len(a2) == 2:
            break
    assert second == {(p, o) for p in range(4) for o in range(100, 200)}
    assert (len(a1), len(a2), a1 & a2, a1 | a2) == (2, 2, set(), {0, 1, 2, 3})
    owners_never_overlap(events)
    c1.commit(asynchronous=False)
    c2.commit(asynchronous=False)
    committed = c2.committed([TopicPartition(TOPIC, p) for p in range(4)], timeout=10)
    assert sorted((t.partition, t.offset) for t in committed) == [(p, 200) for p in range(4)]
    c2.close()
    c1.close()
