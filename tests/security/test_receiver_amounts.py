"""Amounts and events that used to break or skew reports, on SQLite and PostgreSQL.

An absurd amount is refused at the door; sums stay exact past 2**63 (SQLite's sum()
raised "integer overflow" and took a team's whole Payments page down); and what is not
surely a payment (another event, an unknown currency, a zero amount, a date in year 9999)
is stored but not counted, with the reason on the Webhook log.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from webhooks.conftest import db_url, pg_server, pg_url, sqlite_url  # noqa: F401
from webhooks.webhook_helpers import payment_event

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's TestClient hint about httpx
    from starlette.testclient import TestClient

from linksplus.console.payments_report import currency_tiles
from linksplus.eventlog import NOT_COUNTED, EventLog
from linksplus.eventlog.counting import counted
from linksplus.eventlog.ingest import EventWrite
from linksplus.eventlog.schema import events
from linksplus.webhooks.payload import MAX_AMOUNT
from linksplus.webhooks.receiver import WEBHOOK_PATH, create_app

WHEN = datetime(2026, 2, 14, 10, 35, tzinfo=UTC)


@pytest.fixture
def log(db_url):  # noqa: F811
    with EventLog(db_url) as event_log:
        yield event_log


def stored_as_is(log: EventLog, rows: list[tuple[str, int, str]]) -> None:
    """(payment id, amount, currency) rows written as an older release would have: past
    today's checks at the door, so the reports meet what is already in databases."""
    writes = [
        EventWrite(
            ("payment.completed", 7, pid, amount, currency, "successful", WHEN, WHEN, "{}", None)
        )
        for pid, amount, currency in rows
    ]
    results = log._writer.submit_many(writes).result()
    assert results == [True] * len(rows)


@pytest.mark.parametrize("amount", [2**63 - 1, MAX_AMOUNT + 1])
def test_an_amount_above_the_ceiling_is_refused_at_the_door(log, amount):
    with TestClient(create_app(log)) as client:
        resp = client.post(WEBHOOK_PATH, json=payment_event("chrg_huge", amount=amount))
        ok = client.post(WEBHOOK_PATH, json=payment_event("chrg_top", amount=MAX_AMOUNT))
    assert resp.status_code == 400
    assert resp.json()["field"] == "payment.amount"
    assert f"{MAX_AMOUNT}" in resp.json()["reason"]
    assert ok.json() == {"status": "accepted"}
    assert log.events().payment_id.tolist() == ["chrg_top"]


def test_one_absurd_stored_amount_does_not_break_the_reports(log):
    stored_as_is(log, [("chrg_absurd", 2**63 - 1, "thb"), ("chrg_real", 100_000, "thb")])
    totals = log.totals_by_currency()
    assert totals.successful_amount.tolist() == [100_000]  # the absurd one is not counted
    (tile,) = currency_tiles(totals)
    assert tile.volume_text == "1,000.00"
    reasons = dict(zip(log.deliveries().payment_id, log.deliveries().reason, strict=True))
    assert reasons["chrg_absurd"].startswith(NOT_COUNTED + "the amount is above the ceiling")
    assert reasons["chrg_real"] is None


def test_every_total_is_exact_past_two_to_the_63(log):
    # 10,000 payments at the ceiling: 10**19, above the largest 64-bit integer.
    count = 10_000
    stored_as_is(log, [(f"chrg_{i:05d}", MAX_AMOUNT, "jpy") for i in range(count)])
    total = count * MAX_AMOUNT
    assert total > 2**63
    by_currency = log.totals_by_currency()
    assert by_currency.successful_amount.tolist() == [total]
    assert by_currency.successful_count.tolist() == [count]
    assert log.totals_by_status().amount.tolist() == [total]
    assert log.daily_totals().amount.tolist() == [total]
    assert log.totals_by_link().paid_amount.tolist() == [total]
    (tile,) = currency_tiles(by_currency)
    assert tile.volume_text == f"{total:,}"


def test_what_is_not_surely_a_payment_is_stored_but_not_counted(log):
    arrived = datetime.now(UTC)
    soon = (arrived + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")  # clock drift
    deliveries = {
        "chrg_ok": payment_event("chrg_ok", timestamp=soon),
        "chrg_zero": payment_event("chrg_zero", amount=0),
        "chrg_xyz": payment_event("chrg_xyz", currency="xyz"),
        "chrg_event": payment_event("chrg_event", event="payment.mystery"),
        "chrg_9999": payment_event("chrg_9999", timestamp="9999-12-31T23:59:59Z"),
    }
    with TestClient(create_app(log)) as client:
        for payload in deliveries.values():
            resp = client.post(WEBHOOK_PATH, json=payload)
            assert resp.json() == {"status": "accepted"}  # every one is stored
    assert log.count() == len(deliveries)

    assert log.payments().payment_id.tolist() == ["chrg_ok"]
    totals = log.totals_by_currency()
    assert (totals.currency.tolist(), totals.payments.tolist()) == (["thb"], [1])
    assert log.totals_by_link().paid_count.tolist() == [1]
    assert log.not_counted() == 4

    frame = log.deliveries()
    reasons = dict(zip(frame.payment_id, frame.reason, strict=True))
    assert reasons == {
        "chrg_ok": None,
        "chrg_zero": NOT_COUNTED + "the amount is zero",
        "chrg_xyz": NOT_COUNTED + "XYZ is not a currency Links+ takes",
        "chrg_event": NOT_COUNTED + "the event is 'payment.mystery', not 'payment.completed'",
        "chrg_9999": NOT_COUNTED
        + "its time, 9999-12-31 23:59 UTC, is more than a day after it arrived",
    }
    # The rule in SQL (reports) and in Python (the log's reason) agree, row by row.
    with log.engine.connect() as conn:
        in_sql = set(conn.scalars(select(events.c.payment_id).where(counted())))
    assert in_sql == {pid for pid, why in reasons.items() if why is None}
