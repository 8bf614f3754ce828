"""The Links page's SQL over the links mirror means what its pandas filters mean: for many
filter combinations, the same links, counted and paged, on SQLite and PostgreSQL; the CSV
comes in chunks with every link once."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

import linksplus.console.aging as aging
from linksplus.console.links_query import LinksQuery
from linksplus.console.links_table import (
    LinkExtras,
    LinkFilters,
    apply_filters,
    filter_mask,
    links_frame,
    with_payments,
)
from linksplus.eventlog import EventLog, ingest
from linksplus.eventlog.ingest import EventWrite
from linksplus.models import Link
from linksplus.workspace import Workspace
from linksplus.workspace.customers import (
    Customer,
    customers_frame,
    save_customer,
    void_link,
    voided_ids,
)
from linksplus.workspace.links_mirror import LinksMirror
from linksplus.workspace.schema import ensure_schema

TEAM = 7
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TZ = "Asia/Bangkok"
NAMES = ["Deposit", "Ümlaut Ärger", "ค่าเรียน", "Rent 50%", "under_score", "Tuition"]
CUSTOMERS = ["Somsak Jaidee", "ÉLODIE Brun", "สมหญิง", "Acme_Co"]


def generated_links(n: int = 400) -> list[Link]:
    rnd = random.Random(3)
    out = []
    for i in range(1, n + 1):
        currency = rnd.choice(["thb", "thb", "usd", "jpy"])
        out.append(
            Link(
                i,
                TEAM,
                rnd.choice([11, 12, None]),
                f"{rnd.choice(NAMES)} {i}",
                rnd.randrange(100, 100_000),
                currency,
                rnd.random() < 0.2,
                payment_url=f"https://pay.example/{i}",
                status=rnd.choice(["active", "active", "active", "used", "expired"]),
                created_at=NOW - timedelta(hours=rnd.randrange(24 * 30)),
            )
        )
    return out


def payments(links: list[Link]) -> list[EventWrite]:
    rnd = random.Random(5)
    out = []
    for n, link in enumerate(rnd.sample(links, 120)):
        status = "failed" if n % 7 == 0 else "successful"
        currency = link.currency if n % 11 else "usd"  # some in another currency
        when = NOW - timedelta(hours=1)
        row = ("payment.completed", link.id, f"p{n}", 1000, currency, status)
        out.append(EventWrite((*row, when, when, "{}", None)))
    return out


FILTERS = [
    LinkFilters(),
    LinkFilters(text="deposit"),
    LinkFilters(text="ümlaut ärger"),
    LinkFilters(text="ÄRGER"),
    LinkFilters(text="ค่า"),
    LinkFilters(text="50%"),
    LinkFilters(text="r_s"),
    LinkFilters(statuses=("used", "expired")),
    LinkFilters(template_ids=(11,)),
    LinkFilters(currency="thb", amount_min=5_000, amount_max=50_000),
    LinkFilters(created_from=date(2026, 11, 20), created_to=date(2026, 11, 30)),
    LinkFilters(usage="multiple"),
    LinkFilters(usage="single", statuses=("active",)),
    *(LinkFilters(age=key) for key in ("0-3", "4-7", "8-14", "15+")),
    LinkFilters(text="t", currency="usd", usage="single", age="8-14"),
    LinkFilters(text="somsak"),
    LinkFilters(text="élodie"),
    LinkFilters(text="สมหญิง"),
    LinkFilters(text="e_c"),
    LinkFilters(statuses=("void",)),
    LinkFilters(statuses=("void", "active")),
    LinkFilters(statuses=("active",), text="jaidee"),
]


@pytest.fixture(params=[50, 100_000], ids=["some moved", "all in the tail"])
def team(db_url, request, monkeypatch):
    monkeypatch.setattr(ingest, "TAIL_MAX", request.param)
    links = generated_links()
    log = EventLog(db_url)
    log._writer.submit_many(payments(links)).result()
    ensure_schema(log.engine)
    mirror = LinksMirror(log.engine)
    mirror.record(links, TEAM)
    ws = Workspace(db_url)
    for i in range(3, 400, 9):  # some links for a customer, some void
        save_customer(ws, i, TEAM, Customer.of(name=CUSTOMERS[i % len(CUSTOMERS)]), "sales")
    for i in range(5, 400, 13):
        void_link(ws, i, TEAM, "sales", "made twice")
    frame = with_payments(links_frame(links), log.totals_by_link(None, None, range(1, 401)))
    extras = LinkExtras.of(frame, customers_frame(ws, TEAM), voided_ids(ws, TEAM))
    yield log, frame, extras
    ws.close()
    log.close()


def test_sql_filters_select_what_the_frame_filters_select(team, monkeypatch):
    log, frame, extras = team
    monkeypatch.setattr(aging, "_now", lambda now: pd.Timestamp(now or NOW))
    for filters in FILTERS:
        mask = filter_mask(frame, filters, TZ, extras=extras)
        expected = (frame if mask is None else frame[mask])["id"].tolist()
        assert expected, filters  # each filter finds something
        query = LinksQuery(log.engine, TEAM, filters, TZ, now=NOW)
        got = pd.concat([query.page(n) for n in range(1, 10)], ignore_index=True)
        assert (query.count(), got["id"].tolist()) == (len(expected), expected), filters
        assert len(query.page(1)) == min(50, len(expected))
    assert 0 < len(apply_filters(frame, LinkFilters(age="8-14"), TZ)) < len(frame)
    assert int(extras.void.sum()) == 31 and (extras.customer_lower != "").sum() == 45


def test_pages_and_sorts(team):
    log, frame, _extras = team
    query = LinksQuery(log.engine, TEAM, LinkFilters(), TZ, sort="amount_high")
    first, second = query.page(1), query.page(2)
    amounts = frame.sort_values(["amount", "id"], ascending=False)["id"].tolist()
    assert first["id"].tolist() + second["id"].tolist() == amounts[:100]
    assert query.page(9).empty  # past the end: nothing, not an error
    by_name = LinksQuery(log.engine, TEAM, LinkFilters(), TZ, sort="name").page(1)
    assert by_name["name"].str.lower().tolist() == sorted(by_name["name"].str.lower())


def test_the_csv_comes_in_chunks_each_link_once(team):
    log, frame, _extras = team
    query = LinksQuery(log.engine, TEAM, LinkFilters(), TZ)
    chunks = list(query.chunks(size=64))
    assert [len(c) for c in chunks] == [64] * 6 + [16]
    ids = pd.concat(chunks)["id"].tolist()
    assert ids == frame["id"].tolist()  # newest first, like the page
    row = chunks[0].iloc[0]
    assert row["payment_url"] == f"https://pay.example/{row['id']}"
