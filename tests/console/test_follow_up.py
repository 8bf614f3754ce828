"""Needs follow-up and Paid since you last looked, on frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from linksplus.console.follow_up import made_by, needs_follow_up, paid_since
from linksplus.workspace import OUTSIDE

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def _links(rows):
    frame = pd.DataFrame(
        rows, columns=["id", "status", "multiple_usage", "paid_count", "created_at"]
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def _owners(rows):
    frame = pd.DataFrame(rows, columns=["link_id", "made_by", "reminded_at"])
    frame["reminded_at"] = pd.to_datetime(frame["reminded_at"], utc=True)
    return frame


def test_only_my_open_unpaid_single_use_links_older_than_n_days_oldest_first():
    day = timedelta(days=1)
    links = _links(
        [
            (1, "active", False, 0, NOW - 5 * day),  # due
            (2, "active", False, 0, NOW - 9 * day),  # due, older
            (3, "active", False, 0, NOW - 2 * day),  # too fresh
            (4, "active", True, 0, NOW - 9 * day),  # multiple use
            (5, "used", False, 0, NOW - 9 * day),  # paid (Links+ says used)
            (6, "active", False, 1, NOW - 9 * day),  # paid (a webhook said so)
            (7, "active", False, 0, NOW - 9 * day),  # someone else's
            (8, "active", False, 0, NOW - 9 * day),  # reminded yesterday
            (9, "active", False, 0, NOW - 9 * day),  # reminded 4 days ago: due again
            (10, "active", False, 0, NOW - 9 * day),  # made outside the console
        ]
    )
    owners = _owners(
        [(i, "sales", None) for i in (1, 2, 3, 4, 5, 6)]
        + [(7, "manager", None), (8, "sales", NOW - day), (9, "sales", NOW - 4 * day)]
    )
    due = needs_follow_up(links, owners, "Sales", 3, NOW)
    assert due["id"].tolist() == [2, 9, 1]
    # A void link is followed up no more.
    assert needs_follow_up(links, owners, "Sales", 3, NOW, void_ids=[9])["id"].tolist() == [2, 1]
    assert due["age_days"].tolist() == [9, 9, 5]
    assert made_by(links["id"], owners).tolist()[-4:] == ["manager", "sales", "sales", OUTSIDE]


def test_paid_since_keeps_successful_payments_after_the_last_look():
    payments = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime([NOW - timedelta(hours=h) for h in (1, 2, 5)], utc=True),
            "link_id": [1, 2, 3],
            "payment_id": ["a", "b", "c"],
            "status": ["successful", "failed", "successful"],
        }
    )
    assert paid_since(payments, NOW - timedelta(hours=3))["payment_id"].tolist() == ["a"]
    assert paid_since(payments, None)["payment_id"].tolist() == ["a", "c"]
