"""Fixtures of the sandbox tests: a sandbox whose webhooks go to local receivers."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from sandbox_helpers import WebhookSandbox, start_receiver

from linksplus.devserver import ServerProcess, free_port
from linksplus.sandbox.controls_client import SandboxControls
from linksplus.webhooks.signing import generate_secret

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WEBHOOK_KEY = "skey_test_webhook_sandbox_key"


@pytest.fixture(scope="module")
def webhook_sandbox(tmp_path_factory):
    """A sandbox with system and dashboard webhooks on a local receiver, signing with a
    secret, and trusting a local CA so that https custom webhooks can be received."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    plain, tls = start_receiver(), start_receiver(server_context)
    secret = generate_secret()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = ServerProcess(
        [
            "sandbox",
            "--port",
            str(port),
            "--data",
            "empty",
            "--webhook-url",
            f"{plain.url}/system",
            "--dashboard-webhook-url",
            f"{plain.url}/dashboard",
            "--webhook-ca-file",
            str(ca_file),
            # The real schedule (minutes to hours), a thousand times faster.
            "--webhook-time-scale",
            "0.001",
        ],
        env={"LINKSPLUS_SANDBOX_API_KEY": WEBHOOK_KEY, "LINKSPLUS_WEBHOOK_SECRET": secret},
        health_url=SandboxControls(url).health_url,
        log_path=ARTIFACTS / "logs" / f"webhook-sandbox-{port}.log",
    ).start()
    try:
        yield WebhookSandbox(url, WEBHOOK_KEY, secret, plain, tls)
    finally:
        proc.stop()
        plain.server.shutdown()
        tls.server.shutdown()


@pytest.fixture
def hooks(webhook_sandbox: WebhookSandbox) -> WebhookSandbox:
    """The webhook sandbox reset to empty, with receivers that forgot everything."""
    webhook_sandbox.control("POST", "/reset", json={"data": "empty"})
    webhook_sandbox.plain.clear()
    webhook_sandbox.tls.clear()
    return webhook_sandbox
