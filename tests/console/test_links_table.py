"""Links -> DataFrame, filters and their URL form, CSV."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from linksplus.console.links_table import (
    LinkFilters,
    apply_filters,
    display_frame,
    filter_mask,
    link_row,
    links_csv,
    links_frame,
    prepare_links,
    with_payments,
)
from linksplus.models import Link, Template


def _link(i, **kw):
    base = dict(
        id=i,
        team_id=101,
        template_id=1,
        name=f"Link {i}",
        amount=100_00,
        currency="thb",
        status="active",
        payment_url=f"https://pay.test/{i}",
        created_at=datetime(2026, 2, 10, 12, 0, tzinfo=UTC),
    )
    base.update(kw)
    return Link(**base)


@pytest.fixture
def frame():
    links = [
        _link(1, name="Coffee beans", amount=1_250_50),
        _link(2, name="Tea set", amount=5_000_00, status="used", template_id=2),
        _link(3, name="Coffee mug", currency="jpy", amount=1500, multiple_usage=True),
        # 2026-02-14 18:30 UTC is already Feb 15 in Bangkok (UTC+7)
        _link(4, name="Late order", created_at=datetime(2026, 2, 14, 18, 30, tzinfo=UTC)),
        _link(5, name="Mystery", template_id=99, currency="xxx", amount=777),
    ]
    templates = [Template(id=1, name="Shop"), Template(id=2, name="Events")]
    return links_frame(links, templates)


def test_frame_shape(frame):
    assert list(frame["id"]) == [4, 5, 3, 2, 1]  # newest first, then by id
    row = link_row(frame, 1)
    assert row["template"] == "Shop" and row["amount"] == 125050
    assert row["amount_text"] == "1,250.50"
    assert link_row(frame, 5)["template"] == "Template 99"
    assert link_row(frame, 5)["amount_text"] == "777"  # unknown currency: raw units
    assert link_row(frame, 42) is None
    assert frame["amount"].dtype == "int64"


def test_empty_frame():
    empty = links_frame([], [])
    assert empty.empty
    assert apply_filters(empty, LinkFilters(text="x")).empty
    assert links_csv(with_payments(empty, None)).decode("utf-8-sig").startswith("link_id,")


def test_filters(frame):
    ids = lambda f, tz=None: sorted(apply_filters(frame, f, tz)["id"])  # noqa: E731
    assert ids(LinkFilters(text="coffee")) == [1, 3]
    assert ids(LinkFilters(statuses=("used",))) == [2]
    assert ids(LinkFilters(template_ids=(2,))) == [2]
    assert ids(LinkFilters(currency="jpy")) == [3]
    assert ids(LinkFilters(currency="thb", amount_min=1_000_00, amount_max=2_000_00)) == [1]
    assert ids(LinkFilters(usage="multiple")) == [3]
    assert ids(LinkFilters(usage="single")) == [1, 2, 4, 5]
    # the date range is judged in the reader's timezone
    assert ids(LinkFilters(created_from=date(2026, 2, 15)), "Asia/Bangkok") == [4]
    assert ids(LinkFilters(created_to=date(2026, 2, 14)), "UTC") == [1, 2, 3, 4, 5]
    assert ids(LinkFilters(created_to=date(2026, 2, 14)), "Asia/Bangkok") == [1, 2, 3, 5]


def test_query_params_round_trip():
    f = LinkFilters(
        text="coffee",
        statuses=("active", "used"),
        template_ids=(1, 2),
        currency="thb",
        amount_min=1_000_50,
        amount_max=2_000_00,
        created_from=date(2026, 2, 1),
        created_to=date(2026, 2, 28),
        usage="single",
    )
    params = f.to_query_params()
    assert params["min"] == "1000.50" and params["cur"] == "thb"
    assert LinkFilters.from_query_params(params) == f
    assert LinkFilters().to_query_params() == {}
    assert not LinkFilters().active and f.active


def test_bad_query_params_are_dropped_with_a_note():
    f = LinkFilters.from_query_params(
        {
            "status": "active,bogus",
            "template": "1,x",
            "cur": "zzz",
            "from": "yesterday",
            "use": "both",
            "min": "12",
        }
    )
    assert f.statuses == ("active",) and f.template_ids == (1,)
    assert f.currency is None and f.amount_min is None and f.created_from is None
    assert f.usage == "any" and len(f.problems) == 2
    g = LinkFilters.from_query_params({"cur": "jpy", "min": "10.5"})
    assert g.amount_min is None and "no decimals" in g.problems[0]
    h = LinkFilters.from_query_params({"cur": "THB", "min": "1,250.50"})
    assert h.currency == "thb" and h.amount_min == 125050


def test_payments_join_never_mixes_currencies(frame):
    totals = pd.DataFrame(
        {
            "link_id": [1, 1, 3],
            "currency": ["thb", "usd", "jpy"],
            "paid_count": [2, 9, 1],
            "paid_amount": [250100, 999, 1500],
            "failed_count": [1, 0, 0],
        }
    )
    out = with_payments(frame, totals)
    assert len(out) == len(frame)
    one = link_row(out, 1)
    assert (one["paid_count"], one["paid_amount"], one["paid_text"]) == (2, 250100, "2,501.00")
    assert link_row(out, 2)["paid_count"] == 0 and link_row(out, 2)["paid_text"] == ""
    assert link_row(out, 3)["paid_text"] == "1,500"


def test_display_and_csv_are_the_filtered_rows(frame):
    full = with_payments(frame, None)
    view = apply_filters(full, LinkFilters(text="coffee"))
    shown = display_frame(view, "Asia/Bangkok")
    assert list(shown["id"]) == list(view["id"])
    assert set(shown["use"]) == {"Single", "Multiple"}
    assert shown.loc[0, "created"].hour == 19  # 12:00 UTC in Bangkok
    csv = pd.read_csv(io.BytesIO(links_csv(view, "Asia/Bangkok")), dtype=str)
    assert list(csv["link_id"].astype(int)) == list(view["id"])
    assert set(csv["amount"]) == {"1250.50", "1500"}
    assert csv["created_at"].str.endswith("+07:00").all()


@pytest.mark.parametrize(
    "filters",
    [
        LinkFilters(),
        LinkFilters(text="COFFEE"),
        LinkFilters(statuses=("used",)),
        LinkFilters(template_ids=(2,)),
        LinkFilters(currency="thb", amount_min=1_000_00),
        LinkFilters(created_from=date(2026, 2, 15)),
        LinkFilters(usage="single", text="o"),
    ],
)
def test_prepared_links_show_and_export_the_filtered_rows(frame, filters):
    totals = pd.DataFrame(
        {
            "link_id": [1],
            "currency": ["thb"],
            "paid_count": [2],
            "paid_amount": [250100],
            "failed_count": [0],
        }
    )
    links = prepare_links(frame, totals, "Asia/Bangkok")
    expected = list(apply_filters(with_payments(frame, totals), filters, "Asia/Bangkok")["id"])
    mask = links.mask(filters)
    shown = links.shown(mask).to_pandas()
    assert list(shown["id"]) == expected
    assert list(links.rows(mask)["id"]) == expected
    csv = pd.read_csv(io.BytesIO(links_csv(links.rows(mask), "Asia/Bangkok")))
    assert list(csv["link_id"]) == expected
    if 1 in expected:
        assert shown.set_index("id").loc[1, "paid_text"] == "2,501.00"


def test_prepared_links_offer_what_the_filters_need(frame):
    links = prepare_links(frame, None, "Asia/Bangkok")
    assert links.template_names == {2: "Events", 1: "Shop", 99: "Template 99"}
    assert links.currencies == ("jpy", "thb", "xxx")
    assert links.mask(LinkFilters()) is None  # no filter: the table as it is, no copy
    assert links.shown(None) is links.display


def test_the_age_filter_keeps_owed_links_of_that_age_and_goes_to_the_url():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    links = [
        _link(1, created_at=datetime(2026, 2, 20, 12, tzinfo=UTC)),  # 9 days, owed
        _link(2, created_at=datetime(2026, 2, 20, 12, tzinfo=UTC), status="used"),  # paid
        _link(3, created_at=datetime(2026, 2, 20, 12, tzinfo=UTC), multiple_usage=True),
        _link(4, created_at=datetime(2026, 2, 27, 12, tzinfo=UTC)),  # 2 days
        _link(5, created_at=datetime(2026, 2, 10, 12, tzinfo=UTC)),  # 19 days
        _link(6, created_at=datetime(2026, 2, 16, 11, tzinfo=UTC)),  # 14 days and 1 hour
    ]
    frame = with_payments(links_frame(links), None)
    filters = LinkFilters.from_query_params({"age": "8-14"})
    assert filters.age == "8-14" and filters.to_query_params() == {"age": "8-14"}
    mask = filter_mask(frame, filters, now=now)
    assert sorted(frame.loc[mask, "id"]) == [1, 6]
    paid = pd.DataFrame(
        {
            "link_id": [6],
            "currency": ["thb"],
            "paid_count": [1],
            "paid_amount": [1],
            "failed_count": [0],
        }
    )
    mask = filter_mask(with_payments(links_frame(links), paid), filters, now=now)
    assert sorted(frame.loc[mask, "id"]) == [1]  # a webhook said 6 is paid
    assert sorted(frame.loc[filter_mask(frame, LinkFilters(age="15+"), now=now), "id"]) == [5]
    wrong = LinkFilters.from_query_params({"age": "9-99"})
    assert wrong.age is None and "9-99" in wrong.problems[0]


def test_the_name_search_finds_the_customer_and_a_void_link_has_status_void():
    from linksplus.console.links_table import LinkExtras, filter_mask

    frame = pd.DataFrame(
        {
            "id": [3, 2, 1],
            "name": ["Deposit", "Balance", "Somsak's table"],
            "status": ["active", "active", "active"],
            "multiple_usage": [False, False, False],
            "paid_count": [0, 0, 0],
            "currency": ["thb"] * 3,
            "amount": [100, 200, 300],
            "created_at": pd.to_datetime(["2026-01-01"] * 3, utc=True),
        }
    )
    columns = ["link_id", "name", "phone", "email", "line"]
    customers = pd.DataFrame([(2, "Khun Somsak", None, None, None)], columns=columns)
    extras = LinkExtras.of(frame, customers, void_ids=[3])
    by_text = filter_mask(frame, LinkFilters(text="somsak"), "UTC", extras=extras)
    assert frame["id"][by_text].tolist() == [2, 1]  # the customer's and the link's own name
    assert frame["id"][filter_mask(frame, LinkFilters(text="somsak"), "UTC")].tolist() == [1]
    void = filter_mask(frame, LinkFilters(statuses=("void",)), "UTC", extras=extras)
    assert frame["id"][void].tolist() == [3]
    active = filter_mask(frame, LinkFilters(statuses=("active",)), "UTC", extras=extras)
    assert frame["id"][active].tolist() == [2, 1]
    owed = filter_mask(
        frame, LinkFilters(age="15+"), "UTC", extras=extras, now=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert frame["id"][owed].tolist() == [2, 1]  # a void link is owed by nobody
    assert LinkFilters.from_query_params({"status": "void"}).statuses == ("void",)
