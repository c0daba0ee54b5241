"""Consumer groups with the Python clients against Arus (classic group protocol):

- kafka-python 3 KafkaConsumers in one group split a topic (range and roundrobin assignors)
  and each reads exactly the records of its own partitions;
- confluent-kafka with the cheat sheet's manual `commit(msg)`: after a broker restart a new
  consumer of the group resumes right after the last commit;
- aiokafka: a group consumer reads everything, commits, and the next member of the group
  reads only what is new;
- kcat's balanced consumer (`-G`) commits on exit and resumes;
- the tutorial's consumer with `group_id=..., enable_auto_commit=False` and `commit()`, under
  kafka-python 2.0.2 ($TUTORIAL_PYTHON) and 3.x: consume some, commit, restart the broker,
  consume again: it resumes right after the commit.

The brokers run with the default group.initial.rebalance.delay.ms (3 s), as a user's would.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka import TopicPartition as AioTopicPartition
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor

from test_cheatsheet import create_orders, produce_orders

REPO_ROOT = Path(__file__).resolve().parents[2]
# The interpreter with kafka-python 2.0.2 (scripts/test.sh makes it and sets $TUTORIAL_PYTHON).
TUTORIAL_PYTHON = os.environ.get("TUTORIAL_PYTHON", str(REPO_ROOT / ".venv-tutorial" / "bin" / "python"))
OFFSET_INVALID = -1001  # librdkafka's "no committed offset"


def create_topic(broker, name, partitions):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1)], request_timeout=30
    )
    for f in futures.values():
        f.result(timeout=30)


def produce(broker, topic, records):
    """Produces (partition, value) records; returns [(partition, offset, value)] as acknowledged."""
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    acked, errors = [], []

    def report(err, msg):
        if err is not None:
            errors.append(err)
        else:
            acked.append((msg.partition(), msg.offset(), msg.value()))

    for partition, value in records:
        producer.produce(topic, key=b"k", value=value, partition=partition, callback=report)
    assert producer.flush(30) == 0
    assert errors == []
    return sorted(acked)


def committed(broker, group, topic, partitions):
    """{partition: committed offset} of a group as a fresh client reads it (OffsetFetch)."""
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    try:
        got = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=30)
    finally:
        c.close()
    return {tp.partition: tp.offset for tp in got}


def describe(broker, group):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    return admin.describe_consumer_groups([group], request_timeout=30)[group].result(timeout=30)


def restart(broker):
    """SIGTERM, check the clean exit, start again on the same data directory (a new port)."""
    code = broker.stop()
    assert code == 0, "broker exit %r on SIGTERM\n%s" % (code, broker.stderr_tail())
    shutil.copy(broker.stderr_path, broker.data_dir / ("broker.stderr.before-restart-%d" % time.time_ns()))
    broker.start()


def wait_for(what, predicate, timeout=45.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# kafka-python: two members split a topic.
# ---------------------------------------------------------------------------------------------


class KafkaPythonMember:
    """A kafka-python KafkaConsumer polling on its own thread."""

    def __init__(self, broker, group, topic, client_id, assignor):
        self.lock = threading.Lock()
        self.records = []
        self.assignment = set()
        self.errors = []
        self.stop_event = threading.Event()
        self.consumer = KafkaConsumer(
            topic,
            bootstrap_servers=broker.bootstrap,
            group_id=group,
            client_id=client_id,
            partition_assignment_strategy=[assignor],
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            session_timeout_ms=10000,
            heartbeat_interval_ms=500,
        )
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while not self.stop_event.is_set():
                batches = self.consumer.poll(timeout_ms=200)
                with self.lock:
                    for tp, msgs in batches.items():
                        self.records += [(m.partition, m.offset, m.value) for m in msgs]
                    self.assignment = {tp.partition for tp in self.consumer.assignment()}
            self.consumer.commit()
        except Exception as e:  # reported by the test
            self.errors.append(repr(e))
        finally:
            self.consumer.close()

    def snapshot(self):
        with self.lock:
            return set(self.assignment), list(self.records)

    def close(self):
        self.stop_event.set()
        self.thread.join(60)
        assert not self.thread.is_alive(), "consumer thread did not stop"


@pytest.mark.parametrize(
    "assignor, split",
    [
        (RangePartitionAssignor, [{0, 1}, {2, 3}]),
        (RoundRobinPartitionAssignor, [{0, 2}, {1, 3}]),
        # The sticky assignors promise balance, not a particular split.
        (StickyPartitionAssignor, None),
        (CooperativeStickyAssignor, None),
    ],
    ids=["range", "roundrobin", "sticky", "cooperative-sticky"],
)
def test_kafka_python_group_splits_topic(broker, assignor, split):
    topic = "kp-split"
    group = "kp-" + assignor.name
    create_topic(broker, topic, 4)
    members = [
        KafkaPythonMember(broker, group, topic, "kp-a", assignor),
        KafkaPythonMember(broker, group, topic, "kp-b", assignor),
    ]
    try:
        def split_done():
            a, b = (m.snapshot()[0] for m in members)
            return len(a) == 2 and len(b) == 2 and a | b == {0, 1, 2, 3}

        wait_for("two members with two partitions each", split_done)
        assignments = [m.snapshot()[0] for m in members]
        if split is not None:
            assert sorted(assignments, key=min) == split, "%s assignment" % assignor.name
        assert assignments[0] & assignments[1] == set()

        d = describe(broker, group)
        assert (d.state.name, d.partition_assignor) == ("STABLE", assignor.name)
        assert sorted(m.client_id for m in d.members) == ["kp-a", "kp-b"]
        described = {
            m.client_id: {tp.partition for tp in m.assignment.topic_partitions} for m in d.members
        }
        assert described == {"kp-a": assignments[0], "kp-b": assignments[1]}

        produced = produce(broker, topic, [(i % 4, b"v-%d" % i) for i in range(40)])
        wait_for("40 records consumed", lambda: sum(len(m.snapshot()[1]) for m in members) >= 40)
        time.sleep(1)
        for m, owned in zip(members, assignments):
            _, records = m.snapshot()
            assert sorted(records) == [r for r in produced if r[0] in owned], "records of %s" % sorted(owned)
        assert [m.errors for m in members] == [[], []]
    finally:
        for m in members:
            m.close()
    assert [m.errors for m in members] == [[], []]
    assert committed(broker, group, topic, 4) == {0: 10, 1: 10, 2: 10, 3: 10}


# ---------------------------------------------------------------------------------------------
# confluent-kafka: the cheat sheet's manual commit(msg), then a broker restart.
# ---------------------------------------------------------------------------------------------


def test_confluent_manual_commit_resumes_after_restart(broker):
    create_orders(broker)
    expected = produce_orders(broker)
    all_orders = {(p, o, k, v["order_id"]) for p, entries in expected.items() for o, k, v in entries}
    assert len(all_orders) == 30

    def consumer():
        # The cheat sheet's manual-commit consumer configuration.
        return Consumer(
            {
                "bootstrap.servers": broker.bootstrap,
                "group.id": "order-processors",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )

    processed = []
    c = consumer()
    try:
        c.subscribe(["orders"])
        errors = []
        deadline = time.monotonic() + 60
        while len(processed) < 12 and time.monotonic() < deadline:
            msg = c.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                errors.append(str(msg.error()))
                continue
            # Process message, then commit it (asynchronously, as the cheat sheet does).
            value = json.loads(msg.value())
            processed.append((msg.partition(), msg.offset(), msg.key().decode(), value["order_id"]))
            c.commit(msg)
        assert len(processed) == 12, "processed %d; errors %r" % (len(processed), errors)
        # Each partition's records come in order: its last processed record decides.
        want = {p: OFFSET_INVALID for p in range(3)}
        for p, o, _, _ in processed:
            want[p] = o + 1

        def commits_arrived():
            got = c.committed([TopicPartition("orders", p) for p in range(3)], timeout=10)
            return {tp.partition: tp.offset for tp in got} == want

        wait_for("the asynchronous commits to reach the broker", commits_arrived, timeout=30, interval=0.5)
    finally:
        c.close()

    restart(broker)
    assert committed(broker, "order-processors", "orders", 3) == want, "committed offsets after restart"

    rest = []
    c = consumer()
    try:
        c.subscribe(["orders"])
        deadline = time.monotonic() + 60
        while len(rest) < 30 - 12 and time.monotonic() < deadline:
            msg = c.poll(1.0)
            if msg is None or msg.error():
                continue
            value = json.loads(msg.value())
            rest.append((msg.partition(), msg.offset(), msg.key().decode(), value["order_id"]))
        extra = c.poll(2.0)
        assert extra is None or extra.error() is not None, "unexpected record after the rest"
    finally:
        c.close()
    first = {}
    for p, o, _, _ in rest:
        first.setdefault(p, o)
    resume_at = {p: max(o, 0) for p, o in want.items()}
    assert first == {p: o for p, o in resume_at.items() if o < len(expected.get(p, []))}, (
        "first offsets consumed after the restart (committed: %r)" % want
    )
    assert set(processed).isdisjoint(rest), "records processed and committed came again"
    assert set(processed) | set(rest) == all_orders
    assert len(rest) == 18


# ---------------------------------------------------------------------------------------------
# aiokafka group consumer.
# ---------------------------------------------------------------------------------------------


def test_aiokafka_group_consumer_commits_and_next_member_resumes(broker):
    topic = "aio-group"
    create_topic(broker, topic, 2)
    produced = produce(broker, topic, [(i % 2, b"a-%d" % i) for i in range(10)])
    tps = [AioTopicPartition(topic, p) for p in range(2)]

    async def member(want, produce_after_join=None):
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=broker.bootstrap,
            group_id="aio-readers",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            heartbeat_interval_ms=500,
            session_timeout_ms=10000,
        )
        await consumer.start()
        got = []
        try:
            deadline = time.monotonic() + 45
            while consumer.assignment() != set(tps) and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=200)
                got += [(m.partition, m.offset, m.value) for msgs in batch.values() for m in msgs]
            assert consumer.assignment() == set(tps)
            if produce_after_join is not None:
                # Nothing old comes to this member within a few seconds...
                for _ in range(10):
                    batch = await consumer.getmany(timeout_ms=300)
                    got += [(m.partition, m.offset, m.value) for msgs in batch.values() for m in msgs]
                assert got == [], "a member of a group that committed everything got %r" % got
                # ...but what is produced now does.
                producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
                await producer.start()
                try:
                    for p, v in produce_after_join:
                        await producer.send_and_wait(topic, v, key=b"k", partition=p)
                finally:
                    await producer.stop()
            while len(got) < want and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=200)
                got += [(m.partition, m.offset, m.value) for msgs in batch.values() for m in msgs]
            batch = await consumer.getmany(timeout_ms=1000)
            got += [(m.partition, m.offset, m.value) for msgs in batch.values() for m in msgs]
            await consumer.commit()
            commits = {tp.partition: await consumer.committed(tp) for tp in tps}
        finally:
            await consumer.stop()
        return sorted(got), commits

    got, commits = asyncio.run(member(10))
    assert got == produced
    assert commits == {0: 5, 1: 5}
    assert committed(broker, "aio-readers", topic, 2) == {0: 5, 1: 5}

    got, commits = asyncio.run(member(2, produce_after_join=[(0, b"new-0"), (1, b"new-1")]))
    assert got == [(0, 5, b"new-0"), (1, 5, b"new-1")]
    assert commits == {0: 6, 1: 6}


# ---------------------------------------------------------------------------------------------
# kcat -G: the balanced consumer.
# ---------------------------------------------------------------------------------------------


def kcat_group(broker, group, topic, count):
    path = shutil.which("kcat")
    if path is None:
        pytest.fail("kcat is not installed (scripts/test.sh installs it with apt-get)")
    done = subprocess.run(
        [path, "-b", broker.bootstrap, "-G", group, "-c", str(count), "-f", "%p:%o:%s\\n",
         "-X", "auto.offset.reset=earliest", "-q", topic],
        capture_output=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return sorted(done.stdout.decode().splitlines())


def test_kcat_balanced_consumer_commits_and_resumes(broker):
    topic = "kc-group"
    create_topic(broker, topic, 2)
    produce(broker, topic, [(i % 2, b"first-%d" % i) for i in range(6)])
    assert kcat_group(broker, "kcat-readers", topic, 6) == sorted(
        "%d:%d:first-%d" % (i % 2, i // 2, i) for i in range(6)
    )
    assert committed(broker, "kcat-readers", topic, 2) == {0: 3, 1: 3}
    produce(broker, topic, [(0, b"second-0"), (1, b"second-1")])
    assert kcat_group(broker, "kcat-readers", topic, 2) == ["0:3:second-0", "1:3:second-1"]
    assert committed(broker, "kcat-readers", topic, 2) == {0: 4, 1: 4}


# ---------------------------------------------------------------------------------------------
# The tutorial's consumer with a group and manual commit, across a broker restart.
# ---------------------------------------------------------------------------------------------

TUTORIAL_GROUP_CONSUMER = r'''
import sys
import kafka
from kafka import KafkaConsumer

bootstrap, count, timeout_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print("kafka-python", kafka.__version__, flush=True)
consumer = KafkaConsumer('tes',
                         bootstrap_servers=bootstrap,
                         group_id='tutorial-group',
                         auto_offset_reset='earliest',
                         enable_auto_commit=False,
                         consumer_timeout_ms=timeout_ms)
n = 0
for message in consumer:
    print("%s:%d:%d: key=%s value=%s" % (message.topic, message.partition,
                                          message.offset, message.key,
                                          message.value), flush=True)
    n += 1
    if n == count:
        break
consumer.commit()
consumer.close()
print("committed", flush=True)
'''


@pytest.mark.parametrize(
    "python, version",
    [(TUTORIAL_PYTHON, "2.0.2"), (sys.executable, "3.0.12")],
    ids=["kafka-python-2.0.2", "kafka-python-3.0.12"],
)
def test_tutorial_consumer_commit_resumes_after_restart(broker, tmp_path, python, version):
    create_topic(broker, "tes", 1)
    produce(broker, "tes", [(0, b"msg-%d" % i) for i in range(10)])
    script = tmp_path / "group_consumer.py"
    script.write_text(TUTORIAL_GROUP_CONSUMER)

    def run(count, timeout_ms):
        done = subprocess.run(
            [python, "-u", str(script), broker.bootstrap, str(count), str(timeout_ms)],
            capture_output=True,
            timeout=120,
        )
        out = done.stdout.decode(errors="replace").splitlines()
        assert done.returncode == 0, "exit %d, stdout %r\nstderr:\n%s" % (
            done.returncode, out, done.stderr.decode(errors="replace")[-6000:])
        return out

    line = "tes:0:%d: key=b'k' value=b'msg-%d'"
    first = run(4, 20000)
    assert first == ["kafka-python %s" % version] + [line % (i, i) for i in range(4)] + ["committed"]
    assert committed(broker, "tutorial-group", "tes", 1) == {0: 4}

    restart(broker)
    assert committed(broker, "tutorial-group", "tes", 1) == {0: 4}, "committed offset after restart"
    # Until nothing more comes for 8 s.
    second = run(-1, 8000)
    assert second == ["kafka-python %s" % version] + [line % (i, i) for i in range(4, 10)] + ["committed"]
    assert committed(broker, "tutorial-group", "tes", 1) == {0: 10}
