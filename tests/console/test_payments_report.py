"""Payments page data: tiles per currency, chart frames, charts."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd

from linksplus.console import payments_report as r
from linksplus.console.links_table import links_frame
from linksplus.models import Link, Template

TOTALS = pd.DataFrame(
    {
        "currency": ["thb", "jpy"],
        "successful_amount": [1_250_50, 3000],
        "successful_count": [3, 2],
        "failed_count": [1, 0],
        "payments": [4, 2],
        "success_rate": [0.75, 1.0],
    }
)
BY_LINK = pd.DataFrame(
    {
        "link_id": [1, 2, 3, 4],
        "currency": ["thb", "thb", "jpy", "thb"],
        "paid_count": [2, 1, 2, 0],
        "paid_amount": [1_000_00, 250_50, 3000, 0],
        "failed_count": [0, 1, 0, 3],
    }
)


def _links():
    return links_frame(
        [
            Link(id=1, name="A", template_id=10, currency="thb", amount=500_00),
            Link(id=2, name="B", template_id=10, currency="thb", amount=250_50),
            Link(id=3, name="C", template_id=11, currency="jpy", amount=1500),
        ],
        [Template(id=10, name="Shop"), Template(id=11, name="Tokyo")],
    )


def test_tiles_per_currency():
    tiles = r.currency_tiles(TOTALS)
    assert [t.currency for t in tiles] == ["thb", "jpy"]
    thb = tiles[0]
    # The heading names the currency; the volume fits its tile without the code.
    assert thb.title == "THB · Thai Baht"
    assert thb.volume == 125050 and thb.volume_text == "1,250.50"
    assert (thb.successful, thb.failed, thb.payments, thb.rate_text) == (3, 1, 4, "75%")
    assert tiles[1].volume_text == "3,000" and tiles[1].title == "JPY · Japanese Yen"
    assert r.currency_tiles(TOTALS.iloc[0:0]) == []


def test_daily_volume_in_major_units_per_currency():
    daily = pd.DataFrame(
        {
            "day": ["2026-02-14", "2026-02-14"],
            "currency": ["thb", "jpy"],
            "amount": [1_250_50, 3000],
            "count": [3, 2],
        }
    )
    df = r.daily_volume_frame(daily)
    assert dict(zip(df["currency"], df["volume"], strict=True)) == {"THB": 1250.5, "JPY": 3000}
    # One chart per currency, each on its own scale: two currencies never share an axis.
    parts = r.by_currency(df)
    assert [c for c, _ in parts] == ["JPY", "THB"]
    for currency, part in parts:
        spec = r.daily_volume_chart(part).to_dict()
        assert spec["encoding"]["y"]["title"] == f"Volume ({currency})"
        assert "facet" not in spec  # a single view stretches to its column
    assert r.daily_volume_frame(daily.iloc[0:0]).empty
    assert r.by_currency(r.daily_volume_frame(daily.iloc[0:0])) == []


def test_top_links_and_templates():
    links = _links()
    top = r.top_links_frame(BY_LINK, links, n=1)
    assert list(top["label"]) == ["#3 C", "#1 A"]
    tpl = r.top_templates_frame(BY_LINK, links)
    shop = tpl[tpl["label"] == "Shop"].iloc[0]
    assert shop["paid_amount"] == 1_250_50 and shop["paid_text"] == "1,250.50"
    assert shop["currency"] == "THB" and shop["paid_count"] == 3
    assert set(tpl["label"]) == {"Shop", "Tokyo"}
    for currency, part in r.by_currency(tpl):
        assert r.top_chart(part, "Template").to_dict()["encoding"]["x"]["title"] == (
            f"Paid volume ({currency})"
        )
    assert r.top_templates_frame(BY_LINK.iloc[0:0], links).empty


def test_status_mix_and_payments_table():
    status = pd.DataFrame(
        {
            "currency": ["thb", "thb"],
            "status": ["successful", "failed"],
            "count": [3, 1],
            "amount": [1, 2],
        }
    )
    spec = r.status_mix_chart(r.status_mix_frame(status)).to_dict()
    assert spec["encoding"]["color"]["legend"]["orient"] == "bottom"  # not cut at the side
    events = pd.DataFrame(
        {
            "event": ["payment.completed"] * 2,
            "link_id": [1, 3],
            "payment_id": ["p1", "p2"],
            "amount": [1_250_50, 3000],
            "currency": ["thb", "jpy"],
            "status": ["successful", "failed"],
            "occurred_at": pd.to_datetime(["2026-02-14T10:00:00Z", "2026-02-14T11:00:00Z"]),
            "received_at": pd.to_datetime(["2026-02-14T10:00:01Z", "2026-02-14T11:00:01Z"]),
        }
    )
    table = r.payments_table(events, _links(), "Asia/Bangkok")
    assert list(table["payment_id"]) == ["p2", "p1"]
    assert list(table["amount_text"]) == ["3,000", "1,250.50"] and table.loc[1, "link"] == "A"
    assert table.loc[0, "occurred"].hour == 18
    csv = pd.read_csv(io.BytesIO(r.payments_csv(events, "UTC")), dtype=str)
    assert list(csv["amount"]) == ["3000", "1250.50"]
    assert r.payments_table(events.iloc[0:0]).empty


def test_the_volume_axis_spans_the_chosen_period_and_names_only_its_days():
    daily = pd.DataFrame(
        {"day": ["2026-11-20", "2026-11-21"], "currency": ["thb", "thb"], "amount": [500, 700]}
    ).assign(count=1)
    first, last = date(2026, 11, 8), date(2026, 12, 7)
    ((_c, part),) = r.by_currency(r.daily_volume_frame(daily, first, last))
    x = r.daily_volume_chart(part, first, last).to_dict()["encoding"]["x"]
    start, stop = x["scale"]["domain"]
    assert (start["year"], start["month"], start["date"]) == (2026, 11, 8)  # not the data's
    assert (stop["year"], stop["month"], stop["date"]) == (2026, 12, 8)  # the last day's end
    ticks = [date(v["year"], v["month"], v["date"]) for v in x["axis"]["values"]]
    assert ticks == sorted(set(ticks)) and ticks[0] == first and ticks[-1] <= last
    # Today: one day, one label (not the hours of one day written as dates, nor tomorrow).
    today = r.daily_volume_chart(part, last, last).to_dict()["encoding"]["x"]["axis"]
    assert [(v["month"], v["date"]) for v in today["values"]] == [(12, 7)]


def test_bars_are_upright_and_a_long_period_is_charted_by_week():
    days = pd.date_range("2026-01-01", "2026-12-31", freq="D")
    daily = pd.DataFrame(
        {"day": days.strftime("%Y-%m-%d"), "currency": "thb", "amount": 100, "count": 1}
    )
    frame = r.daily_volume_frame(daily, date(2026, 1, 1), date(2026, 12, 31))
    assert len(frame) == 53 and set(frame["days"]) == {7}  # Mondays, from 29 Dec 2025
    assert frame["volume"].sum() == 365 and frame["count"].sum() == 365
    spec = r.daily_volume_chart(frame, date(2026, 1, 1), date(2026, 12, 31)).to_dict()
    # A bar from x to x2 and from 0 to y: drawn upright, however thin.
    assert spec["encoding"]["x2"]["field"] == "stop" and spec["encoding"]["y2"] == {"datum": 0}
    assert "cornerRadiusTopLeft" not in spec["mark"]  # would eat a bar a pixel or two wide
    short = r.daily_volume_frame(daily.head(90), date(2026, 1, 1), date(2026, 3, 31))
    assert len(short) == 90 and set(short["days"]) == {1}
