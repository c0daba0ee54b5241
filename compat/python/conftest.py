"""Fixtures for the Python client compatibility tests: a real `arus` broker per test.

The broker binary is taken from $ARUS_BIN (default: target/debug/arus under the repository
root). Each test gets its own broker on an ephemeral 127.0.0.1 port with a fresh data
directory; it is stopped with SIGTERM afterwards and must exit cleanly.
"""

import os
import re
import selectors
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"^arus: listening on PLAINTEXT://127\.0\.0\.1:(\d+)$")
CONSOLE_READY = re.compile(r"^arus: console on (http://127\.0\.0\.1:\d+)$", re.M)
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


def arus_bin():
    return Path(os.environ.get("ARUS_BIN", REPO_ROOT / "target" / "debug" / "arus"))


class Broker:
    """A running `arus server` child process."""

    def __init__(self, data_dir, extra_args=()):
        self.data_dir = Path(data_dir)
        self.extra_args = extra_args
        self.log_dir = self.data_dir / "data"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.stderr_path = self.data_dir / "broker.stderr"
        self.proc = None
        self.port = None

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    @property
    def console_url(self):
        """The web console's base URL, from its ready line on stderr."""
        m = CONSOLE_READY.search(self.stderr_path.read_text(errors="replace"))
        if not m:
            raise AssertionError("no console ready line on stderr:\n" + self.stderr_tail())
        return m.group(1)

    def stderr_tail(self, limit=8000):
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return "(no stderr)"
        return text[-limit:]

    def start(self):
        binary = arus_bin()
        if not binary.exists():
            pytest.fail("broker binary %s not found (build it, or set ARUS_BIN)" % binary)
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "info")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [
                str(binary),
                "server",
                "--override",
                "listeners=PLAINTEXT://127.0.0.1:0",
                "--override",
                "log.dirs=%s" % self.log_dir,
                # Each broker gets its own console port, so parallel brokers never collide.
                "--override",
                "console.listener=127.0.0.1:0",
            ]
            + list(self.extra_args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=str(self.data_dir),
            env=env,
        )
        line = self._read_ready_line()
        m = READY.match(line or "")
        if not m:
            self.kill()
            pytest.fail(
                "broker did not print its ready line (got %r)\n--- broker stderr ---\n%s"
                % (line, self.stderr_tail())
            )
        self.port = int(m.group(1))
        return self

    def _read_ready_line(self):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + READY_TIMEOUT
        buf = b""
        while time.monotonic() < deadline:
            if not sel.select(timeout=0.2):
                if self.proc.poll() is not None:
                    return None
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                return None
            buf += chunk
            if b"\n" in buf:
                return buf.split(b"\n", 1)[0].decode(errors="replace")
        return None

    def stop(self):
        """SIGTERM and wait; returns the exit code (None if it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        finally:
            self._close()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()

    def _close(self):
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "_stderr", None):
            self._stderr.close()
            self._stderr = None


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path).start()
    try:
        yield b
    finally:
        code = b.stop()
    if code != 0:
        pytest.fail(
            "broker did not shut down cleanly on SIGTERM (exit %r)\n--- broker stderr ---\n%s"
            % (code, b.stderr_tail())
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the broker's stderr to failing tests' reports."""
    report = yield
    if report.failed and "broker" in getattr(item, "funcargs", {}):
        b = item.funcargs["broker"]
        report.sections.append(("broker stderr (tail)", b.stderr_tail()))
    return report
