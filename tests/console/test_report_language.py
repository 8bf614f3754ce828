"""Reports in the reader's language: CSV downloads with Thai headers for a Thai reader (the
column names as they are in English; the data and the formula guard the same in both),
chart titles and status words in Thai."""

from __future__ import annotations

import codecs
import io
from datetime import UTC, datetime

import pandas as pd

from linksplus.console.csv_export import HEADERS, frame_csv
from linksplus.console.links_table import links_csv, links_frame, with_payments
from linksplus.console.payments_report import payments_csv, status_mix_chart
from linksplus.i18n import format_date, is_translated, use_language
from linksplus.models import Link


def _links() -> pd.DataFrame:
    link = Link.from_api(
        {
            "id": 7,
            "name": "=HYPERLINK(1)",
            "amount": 125050,
            "currency": "thb",
            "status": "active",
            "payment_url": "https://pay.example/7",
            "created_at": "2026-03-01T10:00:00Z",
        }
    )
    return with_payments(links_frame([link]), None)


def test_a_thai_links_csv_has_thai_headers_and_the_same_rows():
    english = pd.read_csv(io.BytesIO(links_csv(_links(), "Asia/Bangkok")), dtype=str)
    thai = pd.read_csv(io.BytesIO(links_csv(_links(), "Asia/Bangkok", "th")), dtype=str)
    assert list(english.columns)[:3] == ["link_id", "name", "status"]
    assert list(thai.columns)[:3] == ["รหัสลิงก์", "ชื่อ", "สถานะ"]
    assert english.values.tolist() == thai.values.tolist()
    assert thai.iloc[0, 1] == "'=HYPERLINK(1)"  # still neutralised


def test_a_thai_payments_csv_has_thai_headers():
    events = pd.DataFrame(
        {
            "occurred_at": [datetime(2026, 3, 1, 10, tzinfo=UTC)],
            "link_id": [7],
            "payment_id": ["chrg_1"],
            "status": ["successful"],
            "currency": ["thb"],
            "amount": [125050],
        }
    )
    header = payments_csv(events, "Asia/Bangkok", "th").decode("utf-8-sig").split("\r\n")[0]
    assert header == "เวลาที่ชำระ,รหัสลิงก์,ชื่อลิงก์,รหัสการชำระเงิน,สถานะ,สกุลเงิน,จำนวนเงิน"
    assert (
        payments_csv(events, "Asia/Bangkok").decode("utf-8-sig").startswith("occurred_at,link_id,")
    )


def test_every_csv_header_has_a_thai_word():
    assert all(is_translated(h, "th") for h in HEADERS)
    assert frame_csv(pd.DataFrame({"unknown": [1]}), "th").startswith(codecs.BOM_UTF8 + b"unknown")


def test_the_status_chart_speaks_the_language_of_the_run():
    frame = pd.DataFrame(
        {"currency": ["THB", "THB"], "status": ["successful", "failed"], "count": [3, 1]}
    )
    english = status_mix_chart(frame).to_dict()
    use_language("th")
    try:
        thai = status_mix_chart(frame).to_dict()
    finally:
        use_language("en")
    assert english["encoding"]["x"]["title"] == "Payments"
    assert thai["encoding"]["x"]["title"] == "การชำระเงิน"
    assert thai["encoding"]["color"]["scale"]["domain"][:2] == ["สำเร็จ", "ไม่สำเร็จ"]
    rows = next(iter(thai["datasets"].values()))
    assert {r["status"] for r in rows} == {"สำเร็จ", "ไม่สำเร็จ"}
    assert english["encoding"]["color"]["scale"]["domain"][:2] == ["successful", "failed"]


def test_a_date_reads_day_month_year_everywhere_in_both_languages():
    # Babel's English "medium" is "Nov 25, 2026"; the tables write "25 Nov 2026".
    day = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    try:
        assert format_date(day) == "25 Nov 2026"
        use_language("th", buddhist_era=True)
        assert format_date(day) == "25 พ.ย. 2569"
    finally:
        use_language("en")
