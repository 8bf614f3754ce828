"""Payments page data: tiles per currency, chart frames, charts."""

from __future__ import annotations

import io

import pandas as pd

from linksplus.console import reports as r
from linksplus.console.links_table import links_frame
from linksplus.models import Link, Template

TOTALS = pd.DataFrame({"currency": ["thb", "jpy"], "successful_amount": [1_250_50, 3000],
                       "successful_count": [3, 2], "failed_count": [1, 0],
                       "payments": [4, 2], "success_rate": [0.75, 1.0]})
BY_LINK = pd.DataFrame({"link_id": [1, 2, 3, 4], "currency": ["thb", "thb", "jpy", "thb"],
                        "paid_count": [2, 1, 2, 0], "paid_amount": [1_000_00, 250_50, 3000, 0],
                        "failed_count": [0, 1, 0, 3]})


def _links():
    return links_frame(
        [Link(id=1, name="A", template_id=10, currency="thb", amount=500_00),
         Link(id=2, name="B", template_id=10, currency="thb", amount=250_50),
         Link(id=3, name="C", template_id=11, currency="jpy", amount=1500)],
        [Template(id=10, name="Shop"), Template(id=11, name="Tokyo")])


def test_tiles_per_currency():
    tiles = r.currency_tiles(TOTALS)
    assert [t.currency for t in tiles] == ["thb", "jpy"]
    thb = tiles[0]
    assert thb.volume == 125050 and thb.volume_text == "1,250.50 THB"
    assert (thb.successful, thb.failed, thb.payments, thb.rate_text) == (3, 1, 4, "75%")
    assert tiles[1].volume_text == "3,000 JPY"
    assert r.currency_tiles(TOTALS.iloc[0:0]) == []


def test_daily_volume_in_major_units_per_currency():
    daily = pd.DataFrame({"day": ["2026-02-14", "2026-02-14"], "currency": ["thb", "jpy"],
                          "amount": [1_250_50, 3000], "count": [3, 2]})
    df = r.daily_volume_frame(daily)
    assert dict(zip(df["currency"], df["volume"], strict=True)) == {"THB": 1250.5, "JPY": 3000}
    spec = r.daily_volume_chart(df).to_dict()
    assert spec["resolve"]["scale"]["y"] == "independent"
    assert r.daily_volume_frame(daily.iloc[0:0]).empty


def test_top_links_and_templates():
    links = _links()
    top = r.top_links_frame(BY_LINK, links, n=1)
    assert list(top["label"]) == ["#3 C", "#1 A"]
    tpl = r.top_templates_frame(BY_LINK, links)
    shop = tpl[tpl["label"] == "Shop"].iloc[0]
    assert shop["paid_amount"] == 1_250_50 and shop["paid_text"] == "1,250.50"
    assert shop["currency"] == "THB" and shop["paid_count"] == 3
    assert set(tpl["label"]) == {"Shop", "Tokyo"}
    r.top_chart(tpl, "Template").to_dict()
    assert r.top_templates_frame(BY_LINK.iloc[0:0], links).empty


def test_status_mix_and_payments_table():
    status = pd.DataFrame({"currency": ["thb", "thb"], "status": ["successful", "failed"],
                           "count": [3, 1], "amount": [1, 2]})
    r.status_mix_chart(r.status_mix_frame(status)).to_dict()
    events = pd.DataFrame({
        "event": ["payment.completed"] * 2, "link_id": [1, 3], "payment_id": ["p1", "p2"],
        "amount": [1_250_50, 3000], "currency": ["thb", "jpy"],
        "status": ["successful", "failed"],
        "occurred_at": pd.to_datetime(["2026-02-14T10:00:00Z", "2026-02-14T11:00:00Z"]),
        "received_at": pd.to_datetime(["2026-02-14T10:00:01Z", "2026-02-14T11:00:01Z"])})
    table = r.payments_table(events, _links(), "Asia/Bangkok")
    assert list(table["payment_id"]) == ["p2", "p1"]
    assert list(table["amount_text"]) == ["3,000", "1,250.50"] and table.loc[1, "link"] == "A"
    assert table.loc[0, "occurred"].hour == 18
    csv = pd.read_csv(io.BytesIO(r.payments_csv(events, "UTC")), dtype=str)
    assert list(csv["amount"]) == ["3000", "1250.50"]
    assert r.payments_table(events.iloc[0:0]).empty


def _events():
    return pd.DataFrame({
        "event": ["payment.completed"] * 5,
        "link_id": [1, 1, 3, 2, 99],
        "payment_id": ["p1", "p2", "p3", "p1", "p9"],  # p1 reported twice: latest wins
        "amount": [100_00, 250_50, 3000, 100_00, 5],
        "currency": ["THB", "thb", "jpy", "thb", "thb"],
        "status": ["failed", "successful", "successful", "successful", "successful"],
        "occurred_at": pd.to_datetime(["2026-02-14T10:00Z", "2026-02-14T18:00Z",
                                       "2026-02-15T01:00Z", "2026-02-15T02:00Z",
                                       "2026-02-15T03:00Z"]),
        "received_at": pd.NaT})


def test_team_scoped_totals():
    ev = r.team_events(_events(), [1, 2, 3])
    assert sorted(ev["payment_id"]) == ["p1", "p2", "p3"]  # p9 is another team's
    tot = r.totals_by_currency(ev).set_index("currency")
    assert tot.loc["thb", "successful_amount"] == 350_50
    assert tot.loc["thb", "successful_count"] == 2 and tot.loc["thb", "failed_count"] == 0
    assert tot.loc["jpy", "payments"] == 1
    daily = r.daily_totals(ev, "Asia/Bangkok")
    assert len(daily) == 2  # 18:00Z Feb 14 is Feb 15 in Bangkok, with the rest
    by_link = r.totals_by_link(ev).set_index("link_id")
    assert by_link.loc[1, "paid_amount"] == 250_50 and by_link.loc[2, "paid_count"] == 1
    assert set(r.totals_by_status(ev)["status"]) == {"successful"}
    assert r.totals_by_currency(ev.iloc[0:0]).empty
