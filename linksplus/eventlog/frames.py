"""Query results as pandas DataFrames with fixed columns and dtypes, even when empty."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd

# Column kinds: "int" (never null), "Int64" (nullable int), "str", "time" (UTC), "float",
# "date" (python date objects).
EVENT_COLUMNS = {
    "event": "str",
    "link_id": "int",
    "payment_id": "str",
    "amount": "int",
    "currency": "str",
    "status": "str",
    "occurred_at": "time",
    "received_at": "time",
}
EXPORT_COLUMNS = {**EVENT_COLUMNS, "payload": "str"}
PAYMENT_COLUMNS = {
    "occurred_at": "time",
    "link_id": "int",
    "payment_id": "str",
    "status": "str",
    "amount": "int",
    "currency": "str",
}
CURRENCY_COLUMNS = {
    "currency": "str",
    "successful_amount": "int",
    "successful_count": "int",
    "failed_count": "int",
    "payments": "int",
    "success_rate": "float",
}
STATUS_COLUMNS = {"currency": "str", "status": "str", "count": "int", "amount": "int"}
DAILY_COLUMNS = {"day": "date", "currency": "str", "amount": "int", "count": "int"}
LINK_COLUMNS = {
    "link_id": "int",
    "currency": "str",
    "paid_count": "int",
    "paid_amount": "int",
    "failed_count": "int",
}
DELIVERY_COLUMNS = {
    "received_at": "time",
    "outcome": "str",
    "reason": "str",
    "event": "str",
    "payment_id": "str",
    "link_id": "Int64",
    "remote": "str",
}
DELIVERY_COUNT_COLUMNS = {"outcome": "str", "count": "int"}


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite's date() answers text


def _column(values: list, kind: str) -> pd.Series:
    if kind == "time":
        return pd.Series(pd.to_datetime(values, utc=True), dtype="datetime64[us, UTC]")
    if kind == "int":
        # int(): PostgreSQL answers SUM() of bigint as Decimal.
        ints = [int(v) for v in values]
        try:
            return pd.Series(ints, dtype="int64")
        except OverflowError:  # a total past 2**63: Python ints, exact, in an object column
            return pd.Series(ints, dtype="object")
    if kind == "Int64":
        return pd.Series([None if v is None else int(v) for v in values], dtype="Int64")
    if kind == "float":
        return pd.Series(values, dtype="float64")
    if kind == "date":
        return pd.Series([_as_date(v) for v in values], dtype="object")
    return pd.Series(values, dtype="object")


def to_frame(rows: Iterable[Sequence], columns: dict[str, str]) -> pd.DataFrame:
    """A DataFrame of `rows` (tuples in `columns` order) with each column's kind applied."""
    rows = list(rows)
    data = {
        name: _column([row[i] for row in rows], kind)
        for i, (name, kind) in enumerate(columns.items())
    }
    return pd.DataFrame(data, columns=list(columns))
