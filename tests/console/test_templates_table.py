"""Templates -> DataFrame with link counts, and the Templates page's filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from linksplus.console.links_table import links_frame
from linksplus.console.templates_table import (
    TemplateFilters,
    choices,
    filter_templates,
    templates_frame,
)
from linksplus.models import Link, Template


@pytest.fixture
def frame() -> pd.DataFrame:
    templates = [
        Template(id=1, name="Coffee shop", status="active", currency="thb", amount=1_250_50),
        Template(id=2, name="Tea (Events)", status="inactive", currency="JPY", amount=1500),
        Template(id=3, name="Iced COFFEE", status="active", currency="thb"),
        Template(id=4, name="Blank", created_at=datetime(2026, 2, 14, tzinfo=UTC)),
    ]
    links = links_frame(
        [
            Link(id=i, name=f"L{i}", template_id=t, currency="thb", amount=100)
            for i, t in enumerate([1, 1, 1, 2], start=1)
        ]
    )
    return templates_frame(templates, links)


def test_one_row_per_template_with_its_links(frame):
    assert list(frame["id"]) == [1, 2, 3, 4]
    assert list(frame["links"]) == [3, 1, 0, 0]
    assert list(frame["currency"]) == ["THB", "JPY", "THB", ""]
    assert list(frame["default_amount"]) == ["1,250.50", "1,500", "", ""]
    assert frame.loc[3, "created"] == pd.Timestamp("2026-02-14", tz="UTC")
    assert pd.isna(frame.loc[0, "created"])
    assert templates_frame([], None).empty and list(templates_frame([], None).columns) == list(
        frame.columns
    )


def test_filters_offer_the_values_present(frame):
    assert choices(frame, "status") == ["active", "inactive"]  # no empty choice
    assert choices(frame, "currency") == ["JPY", "THB"]


def test_text_matches_any_case_literally(frame):
    assert list(filter_templates(frame, TemplateFilters(text="coffee"))["id"]) == [1, 3]
    assert list(filter_templates(frame, TemplateFilters(text="(events)"))["id"]) == [2]
    assert filter_templates(frame, TemplateFilters(text=".*")).empty  # not a pattern


def test_filters_combine(frame):
    assert filter_templates(frame, TemplateFilters()) is frame
    both = TemplateFilters(text="coffee", statuses=("active",), currencies=("THB",))
    assert list(filter_templates(frame, both)["id"]) == [1, 3]
    assert list(filter_templates(frame, TemplateFilters(currencies=("JPY",)))["id"]) == [2]
    assert filter_templates(frame, TemplateFilters(statuses=("active",), currencies=("JPY",))).empty
