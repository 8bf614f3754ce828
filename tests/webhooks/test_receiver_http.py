"""The receiver as users run it (``linksplus webhooks``), over real HTTP and HTTPS."""

from __future__ import annotations

import random
import ssl
from collections import Counter

import pytest
import requests
import trustme
from polling import wait_for
from webhook_helpers import SECRET, children, payment_event, running, send_all

from linksplus.eventlog import EventLog


def test_start_message_and_unsigned_warning(start_receiver, sqlite_url):
    server = start_receiver(sqlite_url)
    text = server.log_path.read_text()
    assert f"listening on http://127.0.0.1:{server.port}/webhooks/linksplus" in text
    assert "WARNING" in text and "UNSIGNED events are accepted" in text


def test_50_concurrent_senders_store_each_unique_event_once(start_receiver, db_url):
    server = start_receiver(db_url, secret=SECRET)
    unique = [payment_event(f"chrg_{i:05d}", amount=1000 + i, link_id=i % 7) for i in range(1600)]
    payloads = unique + random.Random(1).sample(unique, 400)  # 2,000 with 20% duplicates
    random.Random(2).shuffle(payloads)

    outcomes = send_all(server.url, payloads, concurrency=50)

    assert Counter(o.status for o in outcomes) == {200: 2000}
    assert Counter(o.answer["status"] for o in outcomes) == {"accepted": 1600, "duplicate": 400}
    with EventLog(db_url) as log:
        assert log.count() == 1600
        totals = log.totals_by_currency()
        assert totals.successful_amount.tolist() == [sum(1000 + i for i in range(1600))]
        assert Counter(log.deliveries(limit=5000).outcome) == {"accepted": 1600, "duplicate": 400}


def test_every_acknowledged_event_survives_a_sigkill(start_receiver, db_url):
    server = start_receiver(db_url, secret=SECRET)
    writers = children(server.proc.pid)  # its worker process
    assert writers, "the receiver should check and write in a worker process"
    payloads = [payment_event(f"chrg_{i:05d}") for i in range(1200)]
    acked: list[str] = []

    def kill_midway(outcome):
        if outcome.status == 200:
            acked.append(outcome.payment_id)
            if len(acked) == 300:
                server.kill()  # SIGKILL: no shutdown, no flush, mid-load

    outcomes = send_all(server.url, payloads, concurrency=20, timeout=5, on_answer=kill_midway)
    lost_answers = [o.payment_id for o in outcomes if o.status != 200]
    assert len(acked) >= 300 and lost_answers, "the kill should interrupt the load"
    # Its writer goes with it, so a restarted receiver is the only writer left.
    wait_for(
        lambda: not any(running(pid) for pid in writers),
        message="the killed receiver's worker to exit",
    )

    restarted = start_receiver(db_url, port=server.port, secret=SECRET)
    with EventLog(db_url) as log:
        stored = set(log.events().payment_id)
    assert set(acked) <= stored

    # The sender retries what got no answer: the log ends with each event exactly once.
    retry = [p for p in payloads if p["payment"]["id"] in set(lost_answers)]
    assert {o.status for o in send_all(restarted.url, retry, concurrency=20)} == {200}
    with EventLog(db_url) as log:
        assert log.count() == 1200


def test_https_with_a_test_certificate(start_receiver, sqlite_url, tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, cafile = (tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem")
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(cafile))

    server = start_receiver(
        sqlite_url, secret=SECRET, certfile=str(certfile), keyfile=str(keyfile), ca=str(cafile)
    )
    assert server.url.startswith("https://")
    context = ssl.create_default_context(cafile=str(cafile))
    outcomes = send_all(server.url, [payment_event("chrg_tls")], verify=context)
    assert outcomes[0].answer == {"status": "accepted"}
    with pytest.raises(requests.exceptions.SSLError):  # not trusted without the CA
        requests.get(server.url.replace("/webhooks/linksplus", "/healthz"), timeout=5)
