#!/usr/bin/env python3
"""Arus's standard benchmark suite.

Starts a fresh release-build `arus server` on a temporary directory, runs the steps of the
performance issue with `arus perf` (librdkafka, so it measures what real clients see), records
the broker's CPU seconds and peak RSS from /proc for each step, and appends a dated result
table to bench/RESULTS.md.

    cargo build --release -p arus && python3 bench/suite.py [--quick]

--quick runs every step with a tenth of the records (a smoke test of the suite itself).
Everything binds to 127.0.0.1 only.
"""

import argparse
import datetime
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARUS = Path(os.environ.get("ARUS_BIN", REPO / "target" / "release" / "arus"))
READY = re.compile(r"^arus: listening on PLAINTEXT://127\.0\.0\.1:(\d+)$")
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Broker:
    """A running `arus server` on its own data directory."""

    def __init__(self, data_dir, overrides=()):
        self.data_dir = Path(data_dir)
        self.overrides = list(overrides)
        self.proc = None
        self.port = 0

    def start(self, port=0):
        args = [
            str(ARUS), "server",
            "--override", "listeners=PLAINTEXT://127.0.0.1:%d" % port,
            "--override", "log.dirs=%s" % (self.data_dir / "data"),
            # The console runs as it does by default, on a free port so the suite never
            # collides with a broker already serving 9991.
            "--override", "console.listener=127.0.0.1:0",
        ]
        for o in self.overrides:
            args += ["--override", o]
        started = time.monotonic()
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=open(self.data_dir / "broker.log", "ab"), text=True
        )
        line = self.proc.stdout.readline().strip()
        m = READY.match(line)
        if not m:
            raise RuntimeError("broker did not start: %r (see %s)" % (line, self.data_dir / "broker.log"))
        self.port = int(m.group(1))
        return time.monotonic() - started

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def cpu_seconds(self):
        fields = Path("/proc/%d/stat" % self.proc.pid).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def status_kb(self, key):
        for line in Path("/proc/%d/status" % self.proc.pid).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def rss_mb(self):
        return self.status_kb("VmRSS") / 1024

    def peak_rss_mb(self):
        return self.status_kb("VmHWM") / 1024

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        self.proc.wait(60)


def perf(broker, *args):
    """Runs `arus perf ... --json` and returns its JSON summary."""
    out = subprocess.run(
        [str(ARUS), "perf", *args, "--bootstrap-server", broker.bootstrap, "--json"],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


def measured(broker, fn):
    """(result, broker CPU seconds spent) of running fn."""
    before = broker.cpu_seconds()
    result = fn()
    return result, broker.cpu_seconds() - before


def arus(broker, *args):
    subprocess.run([str(ARUS), *args, "--bootstrap-server", broker.bootstrap], check=True,
                   capture_output=True)


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "%d cores (%s), %.0f GiB RAM, %s" % (os.cpu_count(), cpu, mem_gb, platform.platform())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a tenth of the records")
    ap.add_argument("--results", default=str(REPO / "bench" / "RESULTS.md"))
    opts = ap.parse_args()
    scale = 10 if opts.quick else 1
    if not ARUS.exists():
        sys.exit("build the release binary first: cargo build --release -p arus")

    rows = []
    with tempfile.TemporaryDirectory(prefix="arus-bench-") as tmp:
        broker = Broker(tmp)
        broker.start()
        idle_rss = broker.rss_mb()
        rows.append(("idle broker", "", "RSS %.1f MB" % idle_rss))

        n = 2_000_000 // scale
        r, cpu = measured(broker, lambda: perf(
            broker, "produce", "--topic", "bench-a", "--partitions", "1", "--num-records", str(n),
            "--record-size", "100", "--throughput", "-1", "--acks", "1", "--linger-ms", "5"))
        rows.append(("(a) produce %d × 100 B, acks=1, 1 partition" % n,
                     "%.0f msgs/s, p99 %.1f ms" % (r["records_per_sec"], r["p99_ms"]),
                     "broker %.2f CPU-s" % cpu))

        n = 1_000_000 // scale
        r, cpu = measured(broker, lambda: perf(
            broker, "produce", "--topic", "bench-b", "--partitions", "6", "--num-records", str(n),
            "--record-size", "1024", "--throughput", "-1", "--acks", "all"))
        rows.append(("(b) produce %d × 1 KiB, acks=all, 6 partitions" % n,
                     "%.1f MiB/s, p99 %.1f ms" % (r["mb_per_sec"], r["p99_ms"]),
                     "broker %.2f CPU-s" % cpu))

        r, cpu = measured(broker, lambda: perf(broker, "consume", "--topic", "bench-b", "--messages", str(n)))
        rows.append(("(c) consume (b) by assign", "%.1f MiB/s, start-up %.0f ms" % (r["mb_per_sec"], r["startup_ms"]),
                     "broker %.2f CPU-s" % cpu))
        r, cpu = measured(broker, lambda: perf(broker, "consume", "--topic", "bench-b", "--messages", str(n),
                                                "--group", "bench-group"))
        rows.append(("(c) consume (b) by a new group", "%.1f MiB/s, start-up %.0f ms" % (r["mb_per_sec"], r["startup_ms"]),
                     "broker %.2f CPU-s" % cpu))

        seconds = 20 // (5 if opts.quick else 1)
        r, cpu = measured(broker, lambda: perf(
            broker, "e2e", "--topic", "bench-e2e", "--rate", "1000", "--duration-s", str(seconds),
            "--record-size", "1024", "--acks", "all", "--linger-ms", "0"))
        rows.append(("(d) e2e 1 KiB at 1,000 msg/s for %d s, acks=all" % seconds,
                     "p99 %.2f ms, p99.9 %.2f ms, lost %d" % (r["p99_ms"], r["p999_ms"], r["lost"]),
                     "broker %.2f CPU-s" % cpu))

        n = 1_000_000 // scale
        r, cpu = measured(broker, lambda: perf(
            broker, "produce", "--topic", "bench-e", "--partitions", "6", "--num-records", str(n),
            "--record-size", "100", "--throughput", "-1", "--acks", "all", "--producers", "64",
            "--linger-ms", "0"))
        rows.append(("(e) 64 producers, small batches, acks=all", "%.0f msgs/s" % r["records_per_sec"],
                     "broker %.2f CPU-s" % cpu))

        # (g) 1,000 idle connections.
        before = broker.rss_mb()
        sockets = [socket.create_connection(("127.0.0.1", broker.port)) for _ in range(1000)]
        time.sleep(1)
        after = broker.rss_mb()
        for s in sockets:
            s.close()
        rows.append(("(g) 1,000 idle connections", "", "RSS +%.1f MB" % (after - before)))
        rows.append(("peak RSS over the suite", "", "%.1f MB" % broker.peak_rss_mb()))
        broker.stop()

    # (f) restart with 10,000 partitions, after a clean stop and after SIGKILL.
    with tempfile.TemporaryDirectory(prefix="arus-bench-") as tmp:
        broker = Broker(tmp)
        broker.start()
        topics = 100 // scale
        for i in range(topics):
            arus(broker, "topics", "--create", "--topic", "many-%03d" % i, "--partitions", "100")
        port = broker.port
        broker.stop()
        clean = broker.start(port)
        broker.stop(signal.SIGKILL)
        killed = broker.start(port)
        rows.append(("(f) restart with %d partitions" % (topics * 100), "",
                     "%.2f s after a clean stop, %.2f s after SIGKILL" % (clean, killed)))
        broker.stop()

    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    table = ["", "## %s — commit %s%s" % (datetime.date.today().isoformat(), commit,
                                          " (quick run)" if opts.quick else ""),
             "", "Machine: %s." % machine(), "", "| step | client sees | broker |", "|---|---|---|"]
    table += ["| %s | %s | %s |" % row for row in rows]
    text = "\n".join(table) + "\n"
    results = Path(opts.results)
    if not results.exists():
        results.write_text("# Benchmark results\n\nWritten by `bench/suite.py`; newest last.\n")
    with results.open("a") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
