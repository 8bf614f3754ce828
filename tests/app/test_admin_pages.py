"""Webhook log and Settings (admin only)."""

from __future__ import annotations

from app_helpers import no_exception, table_rows, texts

from linksplus.eventlog import EventLog


def test_webhook_log_counts_outcomes(make_app, sandbox, secrets):
    log = EventLog(secrets["eventlog_url"])
    payload = {
        "event": "payment.completed",
        "link_id": 1,
        "payment": {"id": "chrg_a", "amount": 5000, "currency": "thb", "status": "successful"},
        "timestamp": "2026-02-14T10:35:00Z",
    }
    log.record(payload, remote="10.0.0.1")
    log.record(payload, remote="10.0.0.2")  # the same payment again: a duplicate
    log.record_delivery("rejected", "bad signature")
    at = make_app("admin").run().switch_page("pages/webhook_log.py").run()
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accepted"] == "1" and metrics["Duplicate"] == "1"
    assert metrics["Rejected"] == "1" and metrics["Deliveries"] == "3"
    table = table_rows(at, "deliveries_table")
    assert "bad signature" in list(table["reason"])
    assert set(table.loc[table["outcome"] != "rejected", "reason"]) == {""}  # blank, not None


def test_settings_checks_the_connection_and_masks_the_key(make_app, sandbox):
    sandbox.seed_links(101, 1)
    at = make_app("admin").run().switch_page("pages/settings.py").run()
    no_exception(at)
    page = texts(at)
    assert sandbox.api_key not in page and "••••" in page
    assert "Sandbox" in page
    next(b for b in at.button if b.label == "Check the connection").click().run()
    assert "Links+ answered in" in texts(at)
    assert "Healthy" in texts(at)
