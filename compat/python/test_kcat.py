"""kcat (Debian's build, with its older librdkafka) lists metadata, produces and consumes."""

import shutil
import subprocess

import pytest


def kcat(*args, stdin=None):
    path = shutil.which("kcat")
    if path is None:
        pytest.fail("kcat is not installed (scripts/test.sh installs it with apt-get)")
    done = subprocess.run(
        [path, *args], input=stdin, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode()


def test_kcat_list_produce_consume(broker):
    kcat("-b", broker.bootstrap, "-P", "-t", "kc", "-K:", stdin=b"k1:hello\nk2:world\n")
    listing = kcat("-b", broker.bootstrap, "-L")
    assert "1 brokers:\n  broker 1 at %s (controller)" % broker.bootstrap in listing
    assert '  topic "kc" with 1 partitions:\n    partition 0, leader 1, replicas: 1, isrs: 1' in listing
    out = kcat("-b", broker.bootstrap, "-C", "-t", "kc", "-e", "-q", "-f", "%k=%s@%o\n")
    assert out == "k1=hello@0\nk2=world@1\n"
