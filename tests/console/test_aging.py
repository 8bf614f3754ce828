"""What is still owed: unpaid single-use links by age bucket, per salesperson and currency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from linksplus.console.aging import (
    bucket_mask,
    matrix,
    owed_links,
    parse_bucket,
    unpaid_by_age,
    with_paid_counts,
)
from linksplus.workspace import OUTSIDE

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def _links(rows):
    """rows: (id, status, multiple_usage, paid_count, currency, amount, age)."""
    frame = pd.DataFrame(
        rows,
        columns=["id", "status", "multiple_usage", "paid_count", "currency", "amount", "age"],
    )
    frame["created_at"] = pd.to_datetime([NOW - a for a in frame.pop("age")], utc=True)
    return frame


LINKS = _links(
    [
        (1, "active", False, 0, "thb", 10_000, 0 * DAY),  # 0-3
        (2, "active", False, 0, "thb", 20_000, 3 * DAY + 23 * timedelta(hours=1)),  # 3 days: 0-3
        (3, "active", False, 0, "thb", 5_000, 4 * DAY),  # 4-7
        (4, "active", False, 0, "usd", 700, 6 * DAY),  # 4-7, other currency
        (5, "active", False, 0, "thb", 1_000, 8 * DAY),  # 8-14
        (6, "active", False, 0, "thb", 1_000, 14 * DAY + timedelta(hours=5)),  # 8-14
        (7, "active", False, 0, "jpy", 300, 15 * DAY),  # 15+
        (8, "active", True, 0, "thb", 1_000, 20 * DAY),  # multiple use: not owed
        (9, "active", False, 1, "thb", 1_000, 20 * DAY),  # paid
        (10, "expired", False, 0, "thb", 1_000, 20 * DAY),  # expired: not owed
        (11, "active", False, 0, "thb", 2_500, 9 * DAY),  # made outside the console
    ]
)
OWNERS = pd.DataFrame(
    [(i, "bob" if i in (5, 7) else "alice") for i in range(1, 11)],
    columns=["link_id", "made_by"],
)


def test_buckets_count_whole_days_and_only_owed_links():
    owed = owed_links(LINKS, OWNERS, NOW)
    assert dict(zip(owed["id"], owed["bucket"], strict=True)) == {
        1: "0-3",
        2: "0-3",
        3: "4-7",
        4: "4-7",
        5: "8-14",
        6: "8-14",
        7: "15+",
        11: "8-14",
    }
    assert owed["id"].tolist()[0] == 7  # oldest first


def test_outstanding_per_salesperson_bucket_and_currency_never_summed_across():
    by_age = unpaid_by_age(owed_links(LINKS, OWNERS, NOW), {"alice": "Alice", "carol": "Carol"})
    got = {
        (r.made_by, r.bucket, r.currency): (r.links, r.outstanding)
        for r in by_age.itertuples(index=False)
    }
    assert got == {
        ("alice", "0-3", "thb"): (2, 30_000),
        ("alice", "4-7", "thb"): (1, 5_000),
        ("alice", "4-7", "usd"): (1, 700),
        ("alice", "8-14", "thb"): (1, 1_000),
        ("bob", "8-14", "thb"): (1, 1_000),
        ("bob", "15+", "jpy"): (1, 300),
        (OUTSIDE, "8-14", "thb"): (1, 2_500),
        ("carol", "", ""): (0, 0),  # on the team, owed nothing: a row of zeros
    }


def test_the_matrix_lists_each_currency_apart():
    by_age = unpaid_by_age(owed_links(LINKS, OWNERS, NOW), {"alice": "Alice", "carol": "Carol"})
    rows = matrix(by_age, {"alice": "Alice", "carol": "Carol"}).set_index("username")
    assert rows.loc["alice", "4–7 days"] == "2 links: 50.00 THB · 7.00 USD"
    assert rows.loc["alice", "15+ days"] == "—"
    assert rows.loc["bob", "15+ days"] == "1 link: 300 JPY"
    assert rows.loc[OUTSIDE, "Salesperson"] == "Made outside the console"
    assert rows.loc["carol"].tolist() == ["Carol", "—", "—", "—", "—"]


def test_bucket_mask_is_the_links_page_filter():
    assert LINKS.loc[bucket_mask(LINKS, "8-14", NOW), "id"].tolist() == [5, 6, 11]
    assert LINKS.loc[bucket_mask(LINKS, "15+", NOW), "id"].tolist() == [7]


def test_a_bucket_from_an_address_with_or_without_its_plus_escaped():
    assert [parse_bucket(v) for v in ("8-14", " 4-7 ", "15+", "15 ", "15", "9-99", "", None)] == [
        "8-14",
        "4-7",
        "15+",
        "15+",
        "15+",
        None,
        None,
        None,
    ]


def test_a_payment_counts_only_in_the_links_own_currency_as_on_the_links_page():
    links = LINKS[LINKS["id"].isin([1, 3, 4])].drop(columns="paid_count")
    paid = pd.DataFrame(
        {"link_id": [1, 3, 3], "currency": ["thb", "usd", "usd"], "paid_count": [2, 1, 1]}
    )
    counted = with_paid_counts(links, paid)
    assert dict(zip(counted["id"], counted["paid_count"], strict=True)) == {1: 2, 3: 0, 4: 0}
    assert owed_links(counted, OWNERS, NOW)["id"].tolist() == [4, 3]


def test_a_void_link_is_owed_by_nobody():
    owed = owed_links(LINKS, OWNERS, NOW, void_ids=[3, 7])
    assert 3 not in set(owed["id"]) and 7 not in set(owed["id"])
    assert set(owed["id"]) == {1, 2, 4, 5, 6, 11}
