#!/usr/bin/env bash
# The project's test command: builds the workspace, runs every Rust test (unit, storage and
# the end-to-end tests that drive the real `arus` binary with librdkafka), then the Python
# client compatibility tests (kafka-python, confluent-kafka, aiokafka, kcat), the web console
# in headless Chromium, and the KafkaJS scenario against the built broker.
# It installs what it needs itself (Python venvs with the pinned clients and Playwright, kcat
# and chromium via apt-get, KafkaJS via npm), so it runs the same on a fresh machine (CI runs
# it through .ci/run).
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
# Current clients in .venv; the tutorial's programs run under the kafka-python its readers
# installed (2.0.2), in .venv-tutorial.
for venv in .venv .venv-tutorial; do
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
done
.venv/bin/python -m pip install -q --disable-pip-version-check -r compat/python/requirements.txt
.venv-tutorial/bin/python -m pip install -q --disable-pip-version-check -r compat/python/requirements-tutorial.txt
# kcat (Debian's, built on an older librdkafka) is one of the clients the tests drive.
if ! command -v kcat >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null
    fi
fi
if ARUS_BIN="$PWD/target/debug/arus" TUTORIAL_PYTHON="$PWD/.venv-tutorial/bin/python" \
    .venv/bin/python -m pytest -q -p no:cacheprovider compat/python; then
    python_tests=ok
else
    python_tests=FAILED
fi

stage "Web console in headless Chromium (compat/browser)"
# Debian's chromium, driven by Playwright (pinned in compat/python/requirements.txt, installed
# into .venv above); Playwright's own browser download is never used.
if [ ! -x /usr/bin/chromium ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
fi
browser_started=$(date +%s)
if ARUS_BIN="$PWD/target/debug/arus" .venv/bin/python -m pytest -q -p no:cacheprovider compat/browser; then
    browser_tests=ok
else
    browser_tests=FAILED
fi
browser_elapsed=$(( $(date +%s) - browser_started ))

stage "KafkaJS compatibility tests (compat/node)"
if (cd compat/node && npm ci --no-audit --no-fund --silent && ARUS_BIN="$PWD/../../target/debug/arus" node --test); then
    node_tests=ok
else
    node_tests=FAILED
fi

elapsed=$(( $(date +%s) - started ))
stage "Summary (${elapsed}s)"
echo "  build:                    ok"
echo "  Rust tests:               ${rust_tests}"
echo "  Python compatibility:     ${python_tests}"
echo "  Web console (Chromium):   ${browser_tests} (${browser_elapsed}s; screenshots in target/console-screenshots)"
echo "  KafkaJS compatibility:    ${node_tests}"
failed=0
for r in "$rust_tests" "$python_tests" "$browser_tests" "$node_tests"; do [ "$r" = ok ] || failed=$((failed + 1)); done
# The last line is a plain count, which CI reads as the run's result.
echo "stages: $((4 - failed)) passed, ${failed} failed"
[ "$failed" = 0 ]
