"""A receiver that is down for a while still gets every payment: the sandbox retries on a
real sender's schedule (minutes to hours; the sandbox used to give up after 7.5 s), which
a test compresses with --webhook-time-scale."""

from __future__ import annotations

from pathlib import Path

import requests
from polling import wait_for
from webhooks.conftest import sqlite_url, start_receiver  # noqa: F401

from linksplus.devserver import ServerProcess, free_port
from linksplus.eventlog import EventLog
from linksplus.sandbox.delivery import RETRY_DELAYS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
KEY = "skey_test_outage"
SCALE = 0.004  # 1 minute is 0.24 s, 5 minutes 1.2 s, 15 minutes 3.6 s


def test_a_payment_made_while_the_receiver_is_down_arrives_once_it_is_back(
    start_receiver,  # noqa: F811
    sqlite_url,  # noqa: F811
):
    # The default schedule keeps trying for more than a day, as payment providers do.
    assert sum(RETRY_DELAYS) > 24 * 3600
    receiver_port, port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = ServerProcess(
        [
            "sandbox",
            "--port",
            str(port),
            "--api-key",
            KEY,
            "--data",
            "empty",
            "--webhook-url",
            f"http://127.0.0.1:{receiver_port}/webhooks/linksplus",
            "--webhook-time-scale",
            str(SCALE),
        ],
        health_url=f"{url}/_sandbox/health",
        log_path=ARTIFACTS / "logs" / f"outage-sandbox-{port}.log",
    )
    with sandbox:
        requests.post(f"{url}/_sandbox/teams/7/links/seed", json={"count": 1}, timeout=10)
        (link,) = requests.get(f"{url}/external/7/links", auth=(KEY, ""), timeout=10).json()["data"]
        payment = requests.post(
            f"{url}/_sandbox/links/{link['id']}/payments", json={}, timeout=10
        ).json()

        def attempts() -> list[dict]:
            answer = requests.get(f"{url}/_sandbox/deliveries", timeout=10).json()
            return [d for d in answer if d["payment_id"] == payment["id"]]

        wait_for(lambda: len(attempts()) >= 2, message="two failed attempts")
        start_receiver(sqlite_url, port=receiver_port)  # back after "a few minutes"
        delivered = wait_for(
            lambda: [d for d in attempts() if d["outcome"] == "delivered"],
            timeout=15,
            message="the delivery once the receiver is back",
        )
        tried = attempts()

    assert [d["outcome"] for d in tried[:2]] == ["retrying", "retrying"]
    assert all(d["status_code"] is None for d in tried[:2])  # nothing listened
    assert delivered[0]["attempt"] >= 3 and tried[-1] == delivered[0]
    with EventLog(sqlite_url) as log:
        assert log.events().payment_id.tolist() == [payment["id"]]
