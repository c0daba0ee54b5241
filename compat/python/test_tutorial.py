"""The paper's kafka-python producer and consumer programs, run unchanged (but for the broker
address) against Arus.

The programs run under $TUTORIAL_PYTHON: an interpreter with kafka-python 2.0.2, the release the
tutorial's readers installed (scripts/test.sh makes one). kafka-python 3.x changed
`bootstrap_connected()` to be true only while bootstrapping is still in progress, so under 3.x
the programs print "failed to connect" against any broker, Apache Kafka included.
"""

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic

TUTORIAL = Path(__file__).resolve().parent / "tutorial"
PAPER_ADDRESS = "192.168.43.123:9092"
TUTORIAL_PYTHON = os.environ.get("TUTORIAL_PYTHON", sys.executable)


def program(name, broker, tmp_path):
    """The tutorial program with the paper's broker address replaced by the test broker's."""
    text = (TUTORIAL / name).read_text()
    assert text.count(PAPER_ADDRESS) == 1, "%s should name %s once" % (name, PAPER_ADDRESS)
    path = tmp_path / name
    path.write_text(text.replace(PAPER_ADDRESS, broker.bootstrap))
    return path


def create_tes(broker):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=30000)
    try:
        admin.create_topics([NewTopic(name="tes", num_partitions=1, replication_factor=1)])
    finally:
        admin.close()


class LineReader:
    """Reads a child's stdout lines on a thread so the test can wait with a timeout."""

    def __init__(self, stream):
        self.lines = queue.Queue()
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream):
        for raw in iter(stream.readline, b""):
            self.lines.put(raw.decode(errors="replace").rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return None


def run_producer(path, tmp_path):
    stderr_path = tmp_path / "producer.stderr"
    with open(stderr_path, "wb") as err:
        try:
            done = subprocess.run(
                [TUTORIAL_PYTHON, "-u", str(path)],
                stdout=subprocess.PIPE,
                stderr=err,
                timeout=90,
            )
        except subprocess.TimeoutExpired as e:
            raise AssertionError(
                "producer.py did not finish within 90 s; stdout so far: %r\nstderr:\n%s"
                % (e.stdout, stderr_path.read_text(errors="replace")[-6000:])
            )
    return done, stderr_path.read_text(errors="replace")


EXPECTED_PRODUCER_OUTPUT = ["kafka connected", "sending message"] + ["message sent"] * 10


def test_tutorial_producer_and_consumer(broker, tmp_path):
    create_tes(broker)
    consumer_path = program("consumer.py", broker, tmp_path)
    producer_path = program("producer.py", broker, tmp_path)

    consumer_err = open(tmp_path / "consumer.stderr", "wb")
    consumer = subprocess.Popen(
        [TUTORIAL_PYTHON, "-u", str(consumer_path)],
        stdout=subprocess.PIPE,
        stderr=consumer_err,
    )
    try:
        reader = LineReader(consumer.stdout)
        seen = []
        deadline = time.monotonic() + 60
        while "listening to kafka" not in seen and time.monotonic() < deadline:
            line = reader.next_line(timeout=1)
            if line is not None:
                seen.append(line)
            elif consumer.poll() is not None:
                break
        # The consumer starts at the latest offset; give it time to look that up before any
        # message exists.
        time.sleep(5)

        done, producer_stderr = run_producer(producer_path, tmp_path)
        out = done.stdout.decode(errors="replace").splitlines()

        received = []
        deadline = time.monotonic() + 60
        while received.count("new message received") < 10 or len(received) < 20:
            remaining = deadline - time.monotonic()
            line = reader.next_line(timeout=max(remaining, 0.1))
            if line is None:
                break
            received.append(line)
        expected_records = []
        for i in range(10):
            expected_records += ["new message received", "tes:0:%d: key=None value=b'raw_bytes'" % i]
        # One comparison of everything the two programs printed, so a failure shows all of it.
        assert {
            "consumer.py start-up": seen,
            "producer.py": out,
            "producer.py exit code": done.returncode,
            "consumer.py records": received,
        } == {
            "consumer.py start-up": ["connected", "listening to kafka"],
            "producer.py": EXPECTED_PRODUCER_OUTPUT,
            "producer.py exit code": 0,
            "consumer.py records": expected_records,
        }, "producer.py stderr:\n%s\nconsumer.py stderr:\n%s" % (
            producer_stderr[-4000:],
            (tmp_path / "consumer.stderr").read_text(errors="replace")[-4000:],
        )
        # Nothing else arrives.
        assert reader.next_line(timeout=2) is None
    finally:
        consumer.kill()
        consumer.wait()
        consumer_err.close()


def test_tutorial_messages_read_from_earliest(broker, tmp_path):
    """The producer alone, then a consumer built with the paper's alternative options
    (auto_offset_reset='earliest', enable_auto_commit=False, consumer_timeout_ms)."""
    create_tes(broker)
    done, producer_stderr = run_producer(program("producer.py", broker, tmp_path), tmp_path)

    consumer = KafkaConsumer(
        "tes",
        bootstrap_servers=broker.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    try:
        got = [(m.topic, m.partition, m.offset, m.key, m.value) for m in consumer]
    finally:
        consumer.close()
    assert {
        "producer.py": done.stdout.decode(errors="replace").splitlines(),
        "producer.py exit code": done.returncode,
        "consumed": got,
    } == {
        "producer.py": EXPECTED_PRODUCER_OUTPUT,
        "producer.py exit code": 0,
        "consumed": [("tes", 0, i, None, b"raw_bytes") for i in range(10)],
    }, "producer.py stderr:\n%s" % producer_stderr[-4000:]
