"""The Templates page's data: one row per template with its link count, and its filters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from linksplus.models import Template
from linksplus.money import display_amount

COLUMNS = ["id", "name", "status", "language", "currency", "default_amount", "links", "created"]


def templates_frame(templates: Iterable[Template], links: pd.DataFrame | None) -> pd.DataFrame:
    """One row per template with its default amount and how many links use it."""
    counts = {} if links is None or links.empty else links.groupby("template_id").size().to_dict()
    rows = []
    for t in templates:
        cur = (t.currency or "").lower()
        rows.append(
            {
                "id": t.id,
                "name": t.name,
                "status": t.status or "",
                "language": t.language or "",
                "currency": cur.upper(),
                "default_amount": (display_amount(t.amount, cur) if t.amount is not None else ""),
                "links": int(counts.get(t.id, 0)),
                "created": (pd.Timestamp(t.created_at) if t.created_at else pd.NaT),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def choices(frame: pd.DataFrame, column: str) -> list[str]:
    """The values a filter on `column` can offer: those present, sorted, none empty."""
    return sorted(v for v in frame[column].unique() if v)


@dataclass(frozen=True)
class TemplateFilters:
    """What the Templates table shows: names containing `text` (any case), and any of
    `statuses` and `currencies` (upper case, as in the frame) when given."""

    text: str = ""
    statuses: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()


def filter_templates(frame: pd.DataFrame, filters: TemplateFilters) -> pd.DataFrame:
    """The rows of `frame` that pass `filters`."""
    view = frame
    if filters.text:
        view = view[view["name"].str.contains(filters.text, case=False, regex=False)]
    if filters.statuses:
        view = view[view["status"].isin(filters.statuses)]
    if filters.currencies:
        view = view[view["currency"].isin(filters.currencies)]
    return view
