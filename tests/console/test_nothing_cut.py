"""What keeps numbers and labels whole (issue 20, items 4, 5, 10): a huge volume's tile,
wrapped chart labels, bands thick enough for a bar, a summary under every chart, table
columns as wide as their headers, and who made each link in the manager's CSV. The browser
check (tests/e2e/test_screen_browser.py) measures the same on screen."""

from __future__ import annotations

import io

import pandas as pd

from linksplus.console import payments_report as r
from linksplus.console import performance as perf
from linksplus.console.chart_text import LABEL_CHARS, LINE_BREAK, column_px, text_chars, wrapped
from linksplus.console.links_table import links_csv, links_frame
from linksplus.i18n import use_language
from linksplus.models import Link

LONG = "Kittipong Wongsawat-Charoenrat (Corporate Accounts)"
THAI = "ณัฐวุฒิ ศรีสุวรรณวงศ์ (ฝ่ายขายองค์กร)"


def _tile(volume: int) -> r.CurrencyTile:
    return r.CurrencyTile("thb", volume, 3, 1, 4, 0.75)


def test_a_huge_volume_shows_compact_with_the_exact_figure_beside():
    small = _tile(40_786_436_012)  # 407,864,360.12: fits a tile as it is
    assert small.volume_short == "407,864,360.12" and small.volume_exact is None
    huge = _tile(1_109_053_487_960_8)  # 110,905,348,796.08
    assert huge.volume_short == "110.9B"
    assert huge.volume_exact == "110,905,348,796.08 THB"
    assert len(huge.volume_short) <= r.SHORT_CHARS


def test_labels_wrap_into_lines_never_cut():
    for name in (LONG, THAI, "#1381 Deposit for order 1042 — Sukhumvit showroom"):
        lines = wrapped(name).split(LINE_BREAK)
        assert " ".join(lines) == name  # every word kept
        assert all(text_chars(line) <= LABEL_CHARS + 4 for line in lines), lines
    assert wrapped("Somchai") == "Somchai"


def _volume():
    return pd.DataFrame(
        {
            "made_by": ["a", "b", "c"],
            "name": [LONG, THAI, "Somchai"],
            "currency": ["thb"] * 3,
            "amount": [1_234_567_890_123, 617_283_945_061, 100],
        }
    )


def test_the_per_salesperson_chart_has_a_band_per_row_and_whole_labels():
    spec = perf.volume_chart(_volume(), "thb").to_dict()
    assert spec["height"] == {"step": 52}  # three lines of the longest name, and a bar
    y = spec["encoding"]["y"]
    assert y["field"] == "label" and "split(datum.value" in y["axis"]["labelExpr"]
    assert y["axis"]["labelOverlap"] is False
    short = perf.volume_chart(_volume().tail(1), "thb").to_dict()
    assert short["height"] == {"step": 32}  # one person: still a thick bar


def test_top_chart_wraps_link_names_and_its_tooltip_names_them_whole():
    frame = pd.DataFrame(
        {
            "link_id": [1381],
            "label": ["#1381 Deposit for order 1042 — Sukhumvit showroom"],
            "currency": ["THB"],
            "paid_count": [2],
            "paid_amount": [100],
            "paid_text": ["1.00"],
            "volume": [1.0],
        }
    )
    spec = r.top_chart(frame, "Link").to_dict()
    assert spec["encoding"]["y"]["field"] == "axis_label"
    assert spec["encoding"]["tooltip"][0]["field"] == "label"
    assert "G', 'B'" in spec["encoding"]["x"]["axis"]["labelExpr"]  # 10B, not 10G


def test_every_chart_has_a_summary_in_both_languages():
    volume = _volume()
    for language in ("en", "th"):
        use_language(language)
        try:
            summary = perf.volume_summary(volume, "thb")
            assert LONG in summary and "12,345,678,901.23 THB" in summary
            times = pd.DataFrame({"made_by": ["a", "b"], "hours": [1.0, 30.0]})
            assert perf.time_to_pay_summary(times)
            templates = pd.DataFrame(
                {"template": ["Shop"], "made": [4], "paid": [3], "conversion": [0.75]}
            )
            assert "Shop" in perf.template_summary(templates)
            mix = pd.DataFrame(
                {"currency": ["THB", "THB"], "status": ["successful", "failed"], "count": [3, 1]}
            )
            assert "75%" in r.status_summary(mix)
        finally:
            use_language("en")


def test_table_columns_are_as_wide_as_their_headers():
    table = pd.DataFrame(
        {
            "username": ["a"],
            "name": [THAI],
            "made": [1],
            "paid": [1],
            "conversion": [1.0],
            "median_hours": [1.0],
            "p90_hours": [2.0],
            "paid_thb": [1_234_567_890_123],
        }
    )
    for language in ("en", "th"):
        use_language(language)
        try:
            shown = perf.shown_table(table, ("thb",))
            widths = perf.shown_widths(shown)
            for header in shown.columns:
                assert widths[header]["width"] >= column_px(header)
            # "Paid (THB)" holds the whole amount too.
            paid = shown.columns[-1]
            assert widths[paid]["width"] >= 7 * len("12,345,678,901.23")
        finally:
            use_language("en")


def test_the_managers_links_csv_names_who_made_each_link():
    links = links_frame(
        [
            Link(id=1, name="A", template_id=None, currency="thb", amount=100),
            Link(id=2, name="B", template_id=None, currency="thb", amount=200),
        ]
    )
    text = links_csv(links, "Asia/Bangkok", None, ["Somchai (Sales)", "made outside the console"])
    frame = pd.read_csv(io.BytesIO(text), dtype=str)
    assert list(frame.columns[:3]) == ["link_id", "name", "made_by"]
    assert frame["made_by"].tolist() == ["Somchai (Sales)", "made outside the console"]
    thai = pd.read_csv(io.BytesIO(links_csv(links, None, "th", ["x", "y"])), dtype=str)
    assert "ผู้สร้าง" in thai.columns
    assert "made_by" not in pd.read_csv(io.BytesIO(links_csv(links)), dtype=str).columns
