"""Dates inside tables and on chart axes read in the reader's language (Thai month names,
Buddhist-era years when set), English keeps its look; the links spinner is worded too."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import streamlit as st
from app_helpers import no_exception, table_rows
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.delta_generator import DeltaGenerator
from test_thai import busy_team  # noqa: F401  (the fixture: a team with links and payments)

THAI_MONTHS = "ม.ค.|ก.พ.|มี.ค.|เม.ย.|พ.ค.|มิ.ย.|ก.ค.|ส.ค.|ก.ย.|ต.ค.|พ.ย.|ธ.ค."
YEAR = datetime.now(UTC).year


def _thai(make_app, era: bool, query: dict):
    at = make_app("sales", query=query)
    at.session_state["ui_language"] = "th"
    at.session_state["ui_buddhist_era"] = era
    return at.run()


@pytest.mark.parametrize("era", [True, False])
def test_the_links_table_writes_its_dates_in_thai(make_app, busy_team, era):  # noqa: F811
    at = _thai(make_app, era, {"team": "101"})
    no_exception(at)
    created = table_rows(at, "links_table")["created"]
    year = YEAR + 543 if era else YEAR
    pattern = rf"\d{{1,2}} ({THAI_MONTHS}) {year}, \d\d:\d\d"
    assert all(re.fullmatch(pattern, c) for c in created), list(created)
    english = make_app("sales", query={"team": "101"}).run()
    moments = table_rows(english, "links_table")["created"]
    assert str(moments.dtype).startswith("datetime64"), moments.dtype  # sortable by time
    column = json.loads(english.dataframe(key="links_table").proto.columns)["created"]
    assert column["type_config"]["format"] == "D MMM YYYY, HH:mm", column


def _payments(at):
    at.switch_page("pages/payments.py").run()
    no_exception(at)
    return at


def _daily_chart(at) -> dict:
    """The spec of the page's daily chart, its data rows under "rows"."""
    charts = at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")
    (daily,) = [
        c for c in charts if json.loads(c.proto.spec)["encoding"]["x"].get("type") == "temporal"
    ]
    spec = json.loads(daily.proto.spec)
    frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in daily.proto.datasets]
    if daily.proto.data.data:
        frames.append(convert_arrow_bytes_to_pandas_df(daily.proto.data.data))
    spec["rows"] = [row for frame in frames for row in frame.to_dict("records")]
    return spec


def test_the_payments_page_writes_table_dates_and_chart_days_in_thai(make_app, busy_team):  # noqa: F811
    at = _payments(_thai(make_app, True, {"team": "101"}))
    occurred = table_rows(at, "payments_table")["occurred"]
    pattern = rf"\d{{1,2}} ({THAI_MONTHS}) {YEAR + 543}, \d\d:\d\d"
    assert all(re.fullmatch(pattern, c) for c in occurred), list(occurred)
    daily = _daily_chart(at)
    label = daily["encoding"]["x"]["axis"]["labelExpr"]
    assert "พ.ย." in label and "ม.ค." in label and "+ 543" in label, label
    tips = {t["title"]: t for t in daily["encoding"]["tooltip"]}
    assert tips["วัน"]["field"] == "day_text", tips
    rows = daily["rows"]
    assert rows and all(
        re.fullmatch(rf"\d{{1,2}} ({THAI_MONTHS}) {YEAR + 543}", r["day_text"]) for r in rows
    )
    english = _payments(make_app("sales", query={"team": "101"}).run())
    axis = _daily_chart(english)["encoding"]["x"]["axis"]
    assert "labelExpr" not in axis, axis  # Vega's own English dates
    assert str(table_rows(english, "payments_table")["occurred"].dtype).startswith("datetime64")


def test_the_links_spinner_is_worded_in_the_reader_language(
    make_app,
    busy_team,  # noqa: F811
    sandbox,
    monkeypatch,
):
    # A page that needs all the team's links (Payments) waits for their load with a
    # spinner; Links+ a little slow, so the load is still running when the page asks.
    sandbox.faults(latency_ms=300)
    said: list[str] = []
    plain, method = st.spinner, DeltaGenerator.spinner

    def heard(text="", *args, **kwargs):
        said.append(text)
        return plain(text, *args, **kwargs)

    def heard_method(self, text="", *args, **kwargs):
        said.append(text)
        return method(self, text, *args, **kwargs)

    monkeypatch.setattr(st, "spinner", heard)
    monkeypatch.setattr(DeltaGenerator, "spinner", heard_method)
    at = make_app("sales", query={"team": "101"})
    at.session_state["ui_language"] = "th"
    at.switch_page("pages/payments.py").run(timeout=30)
    no_exception(at)
    assert "กำลังโหลดลิงก์จาก Links+…" in said, said
    assert not [s for s in said if "Loading" in s], said


def test_the_templates_and_link_payments_tables_write_their_dates_in_thai(make_app, busy_team):  # noqa: F811
    at = _thai(make_app, True, {"team": "101", "link": str(busy_team["link"])})
    no_exception(at)
    occurred = table_rows(at, "link_payments_table")["occurred"]
    assert all(
        re.fullmatch(rf"\d{{1,2}} ({THAI_MONTHS}) {YEAR + 543}, \d\d:\d\d", c) for c in occurred
    )
    assert len(occurred)
    at.switch_page("pages/templates.py").run()
    no_exception(at)
    created = table_rows(at, "templates_table")["created"]
    assert len(created) and all(
        re.fullmatch(rf"\d{{1,2}} ({THAI_MONTHS}) 25\d\d", c) for c in created
    ), list(created)
