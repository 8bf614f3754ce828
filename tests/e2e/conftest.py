"""Fixtures for the browser test: the whole product (`linksplus demo`) and Chromium.

The demo runs on free ports with a data folder of its own; its log and its children's logs
are copied to test-artifacts/logs/ when it stops. Chromium is Debian's, at /usr/bin/chromium:
without it the test is skipped locally and fails in CI.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from linksplus.devserver import ServerProcess, free_port

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Demo:
    """A running `linksplus demo`: where its parts listen and the demo users' password."""

    app_url: str
    api_url: str
    webhook_url: str
    password: str
    data_dir: Path


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium; skip (locally) or fail (in CI) when it is not installed."""
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def demo(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """`python -m linksplus demo` on three free ports, stopped (SIGTERM) at the end."""
    app_port, api_port, webhook_port = free_port(), free_port(), free_port()
    data_dir = tmp_path_factory.mktemp("linksplus-demo")
    password = "e2e-" + secrets.token_urlsafe(12)
    log_path = ARTIFACTS / "logs" / "e2e-demo.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.unlink(missing_ok=True)
    server = ServerProcess(
        [
            "demo",
            "--app-port",
            str(app_port),
            "--api-port",
            str(api_port),
            "--webhook-port",
            str(webhook_port),
            "--data-dir",
            str(data_dir),
        ],
        health_url=f"http://127.0.0.1:{app_port}/_stcore/health",
        log_path=log_path,
        timeout=120,
        env={"LINKSPLUS_DEMO_PASSWORD": password},
    )
    server.start()
    try:
        yield Demo(
            app_url=f"http://127.0.0.1:{app_port}",
            api_url=f"http://127.0.0.1:{api_port}",
            webhook_url=f"http://127.0.0.1:{webhook_port}",
            password=password,
            data_dir=data_dir,
        )
    finally:
        server.stop()
        for log in sorted((data_dir / "logs").glob("*.log")):
            shutil.copyfile(log, log_path.parent / f"e2e-demo-{log.name}")


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in the main
# thread while it is open, which would break later tests that start their own loop.
@pytest.fixture(scope="module")
def browser(chromium_path: Path):
    """One headless Chromium for the module (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder the test saves its page screenshots to."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SCREENSHOTS.glob("failed-*.png"):
        stale.unlink()
    return SCREENSHOTS
