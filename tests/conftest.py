"""Fixtures shared by the whole suite: a real sandbox server over HTTP, on a free port."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from linksplus import LinksPlusClient
from linksplus.devserver import ServerProcess, free_port
from linksplus.sandbox.controls_client import SandboxControls

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SANDBOX_KEY = "skey_test_suite_sandbox_key"


@dataclass
class Sandbox:
    """A running sandbox: its URL, its key and its test controls."""

    url: str
    api_key: str
    process: ServerProcess

    def client(self, **kwargs) -> LinksPlusClient:
        kwargs.setdefault("backoff", 0.01)
        return LinksPlusClient(self.api_key, base_url=self.url, **kwargs)

    def control(self, method: str, path: str, **kwargs) -> requests.Response:
        return SandboxControls(self.url).call(method, path, **kwargs)

    def reset(self, data: str = "empty") -> None:
        self.control("POST", "/reset", json={"data": data})

    def seed_links(self, team_id: int, count: int, **extra) -> dict:
        return self.control(
            "POST", f"/teams/{team_id}/links/seed", json={"count": count, **extra}
        ).json()

    def faults(self, error_rate: float = 0.0, latency_ms: int = 0, **extra) -> None:
        self.control(
            "POST", "/faults", json={"error_rate": error_rate, "latency_ms": latency_ms, **extra}
        )


def start_sandbox(*extra_args: str, log_name: str = "sandbox") -> tuple[ServerProcess, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = ServerProcess(
        ["sandbox", "--port", str(port), "--api-key", SANDBOX_KEY, *extra_args],
        health_url=SandboxControls(url).health_url,
        log_path=ARTIFACTS / "logs" / f"{log_name}-{port}.log",
    )
    return proc.start(), url


@pytest.fixture(scope="session")
def sandbox_server():
    """One sandbox process for the session, started with no data."""
    proc, url = start_sandbox("--data", "empty")
    try:
        yield Sandbox(url=url, api_key=SANDBOX_KEY, process=proc)
    finally:
        proc.stop()


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    """The session's sandbox, reset to empty with no faults, for one test."""
    sandbox_server.reset("empty")
    sandbox_server.faults(0, 0)
    return sandbox_server


@pytest.fixture(scope="session")
def demo_sandbox():
    """A sandbox seeded with the demo data, for tests that only read it."""
    proc, url = start_sandbox("--data", "demo", log_name="demo-sandbox")
    try:
        yield Sandbox(url=url, api_key=SANDBOX_KEY, process=proc)
    finally:
        proc.stop()
