"""Which webhook a delivery came from: one receiver path per webhook (system, dashboard,
custom), recorded with the sender's address and read back in a link's delivery history."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's TestClient hint about httpx: noise
    from starlette.testclient import TestClient
from polling import wait_for
from webhook_helpers import SECRET, body_of, payment_event, signed_headers

from linksplus.eventlog import EventLog
from linksplus.eventlog.audit import link_deliveries, split_remote, tag_remote
from linksplus.webhooks.receiver import WEBHOOK_PATH, create_app


@pytest.fixture
def event_log(sqlite_url):
    with EventLog(sqlite_url) as log:
        yield log


def _post(client, path, payload):
    body = body_of(payload)
    return client.post(path, content=body, headers=signed_headers(body, SECRET))


def test_each_webhook_path_is_recorded_with_its_source(event_log):
    with TestClient(create_app(event_log, secret=SECRET)) as client:
        first = _post(client, WEBHOOK_PATH + "/system", payment_event("chrg_s", link_id=55))
        again = _post(client, WEBHOOK_PATH + "/custom", payment_event("chrg_s", link_id=55))
        plain = _post(client, WEBHOOK_PATH, payment_event("chrg_s", link_id=55))
        wrong = _post(client, WEBHOOK_PATH + "/nonsense", payment_event("chrg_x", link_id=55))
    assert [r.json()["status"] for r in (first, again, plain)] == [
        "accepted",
        "duplicate",
        "duplicate",
    ]
    assert wrong.status_code == 404 and "system, dashboard, custom" in wrong.json()["reason"]
    wait_for(lambda: len(link_deliveries(event_log, 55)) == 3, message="3 deliveries of link 55")
    seen = sorted((d.outcome, d.source or "-", d.address) for d in link_deliveries(event_log, 55))
    assert seen == [
        ("accepted", "system", "testclient"),
        ("duplicate", "-", "testclient"),
        ("duplicate", "custom", "testclient"),
    ]
    assert event_log.count() == 1  # stored once, whichever path it came by


def test_a_remote_without_a_known_source_reads_as_not_known():
    assert split_remote(tag_remote("203.0.113.9", "dashboard")) == ("203.0.113.9", "dashboard")
    assert split_remote("203.0.113.9 via somewhere") == ("203.0.113.9 via somewhere", None)
    assert split_remote(tag_remote("203.0.113.9", "bogus")) == ("203.0.113.9", None)
    assert split_remote(None) == (None, None)


def test_audit_reads_and_keeps_checks_on_both_databases(db_url, monkeypatch):
    from linksplus.eventlog import audit

    with EventLog(db_url) as log:
        log.record(payment_event("chrg_a", link_id=1, amount=500))
        log.record(payment_event("chrg_b", link_id=2, amount=700, status="failed"))
        log.record(payment_event("chrg_c", link_id=3, currency="xyz"))  # stored, not counted
        log.record_delivery("rejected", "bad amount", "payment.completed", "chrg_d", 3, "10.0.0.9")
        got = {
            (p.link_id, p.payment_id, p.status, p.amount) for p in audit.link_payments(log, [1, 2])
        }
        assert got == {(1, "chrg_a", "successful", 500), (2, "chrg_b", "failed", 700)}
        assert audit.logged_link_ids(log) == {1, 2}
        history = audit.link_deliveries(log, 3)
        assert sorted((d.outcome, d.payment_id) for d in history) == [
            ("accepted", "chrg_c"),
            ("rejected", "chrg_d"),
        ]
        accepted = next(d for d in history if d.outcome == "accepted")
        assert accepted.reason.startswith("stored, not counted")
        monkeypatch.setattr(audit, "CHECKS_KEPT", 2)
        assert audit.last_check(log) is None
        for n in range(3):
            audit.save_check(log, datetime.now(UTC), "admin", n, f'{{"n": {n}}}')
        assert audit.last_check(log) == '{"n": 2}'
        with log.engine.connect() as conn:
            kept = conn.execute(select(func.count()).select_from(audit.checks)).scalar_one()
        assert kept == 2
