#!/usr/bin/env bash
# The project's test command: builds the workspace, runs every Rust test (unit, storage and
# the end-to-end tests that drive the real `arus` binary with librdkafka), then the Python
# client compatibility tests (kafka-python, confluent-kafka) against the built broker.
# It installs what it needs itself (a .venv with compat/python/requirements.txt), so it runs
# the same on a fresh machine (CI runs it through .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
stage() { printf '\n==> %s\n' "$*"; }

stage "cargo build --workspace --all-targets"
cargo build --workspace --all-targets

# Both test stages run even if the first fails, so one run shows everything that is broken.
stage "cargo test --workspace --no-fail-fast"
if cargo test --workspace --no-fail-fast; then rust_tests=ok; else rust_tests=FAILED; fi

stage "Python client compatibility tests (compat/python)"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r compat/python/requirements.txt
if ARUS_BIN="$PWD/target/debug/arus" .venv/bin/python -m pytest -q -p no:cacheprovider compat/python; then
    python_tests=ok
else
    python_tests=FAILED
fi

elapsed=$(( $(date +%s) - started ))
stage "Summary (${elapsed}s)"
echo "  build:                    ok"
echo "  Rust tests:               ${rust_tests}"
echo "  Python compatibility:     ${python_tests}"
if [ "$rust_tests" != ok ] || [ "$python_tests" != ok ]; then
    echo "RESULT: FAILED"
    exit 1
fi
echo "RESULT: all test stages passed"
