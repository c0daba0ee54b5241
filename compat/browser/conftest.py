"""Fixtures for the web console's browser tests: one real `arus` broker (with its console on
an ephemeral 127.0.0.1 port) shared by the module, and headless Chromium (Debian's
/usr/bin/chromium) driven by Playwright. Playwright's own browser downloads are never used.
"""

import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach Google services,
# which on a closed network makes every launch slow.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _load_python_fixtures():
    spec = importlib.util.spec_from_file_location(
        "arus_python_fixtures", REPO_ROOT / "compat" / "python" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fixtures = _load_python_fixtures()


def screenshot_dir():
    d = Path(os.environ.get("ARUS_SCREENSHOTS", REPO_ROOT / "target" / "console-screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def arus(*args, input=None, check=True, timeout=60):
    """Runs an `arus` CLI command; returns its stdout."""
    proc = subprocess.run(
        [str(fixtures.arus_bin()), *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            "arus %s failed (%d):\n%s\n%s" % (" ".join(args), proc.returncode, proc.stdout, proc.stderr)
        )
    return proc.stdout


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = fixtures.Broker(tmp_path_factory.mktemp("console")).start()
    try:
        yield b
    finally:
        code = b.stop()
    if code != 0:
        pytest.fail(
            "broker did not shut down cleanly on SIGTERM (exit %r)\n%s" % (code, b.stderr_tail())
        )


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("%s not found: install Debian's chromium package" % CHROMIUM)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, broker):
    context = browser.new_context(base_url=broker.console_url, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert errors == [], "JavaScript errors on the page: %r" % errors
