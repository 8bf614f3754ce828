"""End to end: the sandbox pays a link and delivers its webhooks to the real receiver.

The link's custom webhook (HTTPS, the receiver serving a test certificate the sandbox trusts
through --webhook-ca-file) and the sandbox's system webhook both point at one receiver: the
payment arrives twice and must be stored once.
"""

from __future__ import annotations

import pytest
import requests
import trustme
from polling import wait_for
from webhook_helpers import SECRET

from linksplus import LinksPlusClient
from linksplus.devserver import ServerProcess, free_port
from linksplus.eventlog import EventLog

API_KEY = "skey_test_webhooks_e2e"


@pytest.fixture
def tls_files(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = {name: tmp_path / f"{name}.pem" for name in ("cert", "key", "ca")}
    cert.private_key_and_cert_chain_pem.write_to_path(str(paths["cert"]))
    cert.private_key_pem.write_to_path(str(paths["key"]))
    ca.cert_pem.write_to_path(str(paths["ca"]))
    return {name: str(path) for name, path in paths.items()}


def test_a_payment_sent_to_two_webhooks_is_stored_once(
    start_receiver, sqlite_url, tls_files, tmp_path
):
    receiver = start_receiver(
        sqlite_url,
        secret=SECRET,
        certfile=tls_files["cert"],
        keyfile=tls_files["key"],
        ca=tls_files["ca"],
    )
    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    sandbox = ServerProcess(
        [
            "sandbox",
            "--port",
            str(port),
            "--api-key",
            API_KEY,
            "--data",
            "empty",
            "--webhook-url",
            receiver.url,
            "--webhook-secret",
            SECRET,
            "--webhook-ca-file",
            tls_files["ca"],
        ],
        health_url=f"{sandbox_url}/_sandbox/health",
        log_path=tmp_path / "sandbox.log",
    )
    with sandbox:
        seeded = requests.post(
            f"{sandbox_url}/_sandbox/teams/7/links/seed", json={"count": 1}, timeout=10
        ).json()
        client = LinksPlusClient(API_KEY, base_url=sandbox_url)
        link = client.create_link(
            template_id=seeded["template_id"],
            team_id=seeded["team_id"],
            name="Webhook end to end",
            amount=123_400,
            currency="thb",
            custom_webhook=receiver.url,
        )
        paid = requests.post(
            f"{sandbox_url}/_sandbox/links/{link.id}/payments",
            json={"status": "successful"},
            timeout=10,
        )
        assert paid.status_code == 201, paid.text
        payment = paid.json()

        def delivered() -> set[str]:
            attempts = requests.get(
                f"{sandbox_url}/_sandbox/deliveries",
                params={"payment_id": payment["id"]},
                timeout=10,
            ).json()
            assert not [a for a in attempts if a["outcome"] == "failed"], attempts
            return {a["destination"] for a in attempts if a["outcome"] == "delivered"}

        wait_for(
            lambda: delivered() == {"system", "custom"},
            timeout=20,
            message="the system and custom webhooks to be delivered",
        )

    with EventLog(sqlite_url) as log:
        events = log.events()
        assert events.payment_id.tolist() == [payment["id"]]
        assert (events.link_id[0], events.amount[0], events.currency[0], events.status[0]) == (
            link.id,
            123_400,
            "thb",
            "successful",
        )
        outcomes = sorted(log.deliveries().outcome)
    assert outcomes == ["accepted", "duplicate"]
