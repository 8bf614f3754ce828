"""Team performance's per-link figures (first successful payment, paid count and volume per
currency) kept by the event log as payments are moved (``payment_links``): equal to
grouping every payment, on SQLite and PostgreSQL, moved or in the tail; and after a new
payment only the tail is read."""

from __future__ import annotations

import re
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import event
from test_eventlog_read_shape import START, TEAM, generated_events, write

from linksplus.console.performance import paid_by_link, paid_by_link_query, paid_frame
from linksplus.eventlog import EventLog, ingest
from linksplus.eventlog.ingest import EventWrite


def grouped_from_every_payment(log: EventLog, ids) -> pd.DataFrame:
    """Today's figures: one GROUP BY over every payment of the links."""
    rows = log.read_at_mark(lambda upto: paid_by_link_query(ids, log.backend, upto))
    return _sorted(paid_frame(rows))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["link_id", "currency"], ignore_index=True)


@pytest.mark.parametrize("tail", [50, 150, 100_000])
def test_the_kept_figures_equal_grouping_every_payment(db_url, monkeypatch, tail):
    monkeypatch.setattr(ingest, "TAIL_MAX", tail)
    with EventLog(db_url) as log:
        writes = generated_events(seed=7, payments=900)
        write(log, writes[:500])
        ids = list(range(1, 31))
        for link_ids in (ids, TEAM, [404]):
            expected = grouped_from_every_payment(log, link_ids)
            pd.testing.assert_frame_equal(_sorted(paid_by_link(log, link_ids)), expected)
        write(log, writes[500:])  # more moves (with a small tail), the kept part replaced
        expected = grouped_from_every_payment(log, ids)
        assert len(expected) > 30 and expected["paid_count"].sum() > 500
        pd.testing.assert_frame_equal(_sorted(paid_by_link(log, ids)), expected)
        with log.engine.connect() as conn:
            moved = conn.exec_driver_sql("SELECT COUNT(*) FROM payment_links").scalar_one()
        assert (moved > 0) == (tail < 900)


def _payment(i: int, link: int, amount: int, when) -> EventWrite:
    row = ("payment.completed", link, f"new_{i}", amount, "thb", "successful")
    return EventWrite((*row, when, when, "{}", None))


def test_after_a_new_payment_only_the_tail_is_read(db_url, monkeypatch):
    monkeypatch.setattr(ingest, "TAIL_MAX", 100)
    with EventLog(db_url) as log:
        write(log, generated_events(seed=9, payments=600))
        ids = list(range(1, 31))
        before = paid_by_link(log, [*ids, 31])  # the team's links: link 31 is not paid yet
        assert 31 not in set(before["link_id"])
        statements: list[str] = []
        event.listen(
            log.engine, "before_cursor_execute", lambda *a: statements.append(a[2].lower())
        )
        # A first payment of link 31: one event, which stays in the tail.
        when = START + timedelta(days=61)
        write(log, [_payment(1, 31, 12_345, when)])
        statements.clear()
        after = _sorted(paid_by_link(log, [*ids, 31]))
        read = " ".join(statements)
        # The mark, then the tail's events: neither the kept figures nor every payment.
        assert "from payment_links" not in read and not re.search(r"from payments\b", read)
        assert "from events" in read
        row = after[after["link_id"] == 31].iloc[0]
        assert (row["paid_count"], row["paid_amount"], row["currency"]) == (1, 12_345, "thb")
        assert row["first_paid_at"] == pd.Timestamp(when)
        pd.testing.assert_frame_equal(
            after[after["link_id"] != 31].reset_index(drop=True), _sorted(before)
        )
        pd.testing.assert_frame_equal(after, grouped_from_every_payment(log, [*ids, 31]))
