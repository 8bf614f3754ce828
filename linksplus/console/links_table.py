"""The Links page's data: links as a DataFrame, the filters (and their URL form), and CSV.

Amounts stay integers of minor units in the frame (`amount`, `paid_amount`); the
``*_text`` columns are the same amounts formatted for people. Times are UTC in the frame
and converted to the reader's timezone only for display and export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa

from linksplus.console.aging import BUCKETS, bucket_mask, parse_bucket
from linksplus.console.csv_export import frame_csv
from linksplus.console.timezones import day_bounds, zone
from linksplus.i18n import DEFAULT_LANGUAGE, N_, _, translations
from linksplus.models import Link, Template
from linksplus.money import (
    CURRENCIES,
    AmountError,
    display_amount,
    parse_amount,
    to_decimal,
)

# Links+'s statuses, and "void": marked void in the console (`workspace.customers`), which
# stands in for the link's own status wherever the console shows it.
STATUSES = ("active", "used", "expired", "disabled", "void")
VOID = "void"
USAGES = ("any", "single", "multiple")

COLUMNS = [
    "id",
    "name",
    "status",
    "template_id",
    "template",
    "currency",
    "amount",
    "amount_text",
    "multiple_usage",
    "created_at",
    "payment_url",
    "additional",
]
PAYMENT_COLUMNS = ["paid_count", "paid_amount", "paid_text", "failed_count"]


def links_frame(links: Iterable[Link], templates: Iterable[Template] = ()) -> pd.DataFrame:
    """One row per link, newest first, with its template's name and formatted amount."""
    names = {t.id: t.name for t in templates}
    rows = [
        (
            ln.id,
            ln.name,
            ln.status,
            ln.template_id,
            names.get(ln.template_id, f"Template {ln.template_id}" if ln.template_id else ""),
            ln.currency,
            int(ln.amount),
            display_amount(ln.amount, ln.currency),
            bool(ln.multiple_usage),
            ln.created_at,
            ln.payment_url or "",
            ln.additional or "",
        )
        for ln in links
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["id"] = frame["id"].astype("int64")
    frame["amount"] = frame["amount"].astype("int64")
    frame["multiple_usage"] = frame["multiple_usage"].astype(bool)
    frame["template_id"] = pd.array(frame["template_id"], dtype="Int64")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame.sort_values(["created_at", "id"], ascending=False, ignore_index=True)


def with_payments(frame: pd.DataFrame, totals_by_link: pd.DataFrame | None) -> pd.DataFrame:
    """`frame` plus paid count and amount per link from the event log's `totals_by_link`.

    Only totals in the link's own currency are joined, so amounts are never mixed.
    """
    out = frame.copy()
    if totals_by_link is None or totals_by_link.empty:
        out["paid_count"] = 0
        out["paid_amount"] = 0
        out["failed_count"] = 0
    else:
        totals = totals_by_link[
            ["link_id", "currency", "paid_count", "paid_amount", "failed_count"]
        ].rename(columns={"link_id": "id"})
        totals = totals.assign(
            id=totals["id"].astype("int64"), currency=totals["currency"].astype(str).str.lower()
        )
        out = out.merge(totals, on=["id", "currency"], how="left")
        for col in ("paid_count", "paid_amount", "failed_count"):
            out[col] = out[col].fillna(0).astype("int64")
    out["paid_text"] = ""
    paid = out["paid_count"] > 0  # format only the paid rows: most links have none
    if paid.any():
        out.loc[paid, "paid_text"] = [
            display_amount(a, c)
            for a, c in zip(out.loc[paid, "paid_amount"], out.loc[paid, "currency"], strict=True)
        ]
    return out


@dataclass(frozen=True)
class LinkFilters:
    """What the Links table shows. Amount bounds are minor units of `currency` and apply
    only when a currency is chosen; dates are days in the reader's timezone, inclusive."""

    text: str = ""
    statuses: tuple[str, ...] = ()
    template_ids: tuple[int, ...] = ()
    currency: str | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    usage: str = "any"
    # Still owed (single-use, active, unpaid) and made this many days ago: a key of
    # `aging.BUCKETS`, as on the Team performance page.
    age: str | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)

    # -- URL form ------------------------------------------------------------------------

    def to_query_params(self) -> dict[str, str]:
        """The filters as short query parameters; defaults are left out."""
        out: dict[str, str] = {}
        if self.text.strip():
            out["q"] = self.text.strip()
        if self.statuses:
            out["status"] = ",".join(self.statuses)
        if self.template_ids:
            out["template"] = ",".join(str(t) for t in self.template_ids)
        if self.currency:
            out["cur"] = self.currency
            if self.amount_min is not None:
                out["min"] = str(to_decimal(self.amount_min, self.currency))
            if self.amount_max is not None:
                out["max"] = str(to_decimal(self.amount_max, self.currency))
        if self.created_from:
            out["from"] = self.created_from.isoformat()
        if self.created_to:
            out["to"] = self.created_to.isoformat()
        if self.usage != "any":
            out["use"] = self.usage
        if self.age:
            out["age"] = self.age
        return out

    @classmethod
    def from_query_params(cls, params: Mapping[str, str]) -> LinkFilters:
        """Filters from query parameters. Anything unreadable is dropped and noted in
        `problems`, so a mistyped shared URL still opens."""
        problems: list[str] = []
        statuses = tuple(s for s in _split(params.get("status")) if s in STATUSES)
        template_ids = []
        for t in _split(params.get("template")):
            if t.isdigit():
                template_ids.append(int(t))
        currency = (params.get("cur") or "").strip().lower() or None
        if currency and currency not in CURRENCIES:
            problems.append(f"The currency “{currency}” in the address is not supported.")
            currency = None
        bounds: dict[str, int | None] = {"min": None, "max": None}
        for key in bounds:
            raw = params.get(key)
            if raw and currency:
                try:
                    bounds[key] = parse_amount(raw, currency)
                except AmountError as exc:
                    problems.append(f"Amount filter ignored: {exc}")
        dates: dict[str, date | None] = {"from": None, "to": None}
        for key in dates:
            raw = params.get(key)
            if raw:
                try:
                    dates[key] = date.fromisoformat(raw)
                except ValueError:
                    problems.append(f"The date “{raw}” in the address is not a date.")
        usage = params.get("use") or "any"
        age = parse_bucket(params.get("age"))
        if params.get("age") and age is None:
            problems.append(
                _("The age “{age}” in the address is not one of {buckets}; all are shown.").format(
                    age=params.get("age"), buckets=", ".join(BUCKETS)
                )
            )
            age = None
        return cls(
            text=(params.get("q") or "").strip(),
            statuses=statuses,
            template_ids=tuple(template_ids),
            currency=currency,
            amount_min=bounds["min"],
            amount_max=bounds["max"],
            created_from=dates["from"],
            created_to=dates["to"],
            usage=usage if usage in USAGES else "any",
            age=age,
            problems=tuple(problems),
        )

    @property
    def active(self) -> bool:
        return bool(self.to_query_params())


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


@dataclass(frozen=True, eq=False)
class LinkExtras:
    """What the console itself knows of each row of a links frame (same order): the
    customer's name in lower case ("" when none) and whether the link is void."""

    customer_lower: pd.Series
    void: np.ndarray

    @classmethod
    def of(
        cls, frame: pd.DataFrame, customers: pd.DataFrame | None, void_ids: Iterable[int] = ()
    ) -> LinkExtras:
        """For `frame`'s rows: `customers` (link_id, name, ...) and the void links' ids."""
        names = pd.Series(dtype=object)
        if customers is not None and not customers.empty:
            names = pd.Series(
                customers["name"].fillna("").str.lower().to_numpy(),
                index=customers["link_id"].to_numpy(),
            )
        lower = frame["id"].map(names).astype(object).fillna("").reset_index(drop=True)
        void = frame["id"].isin(list(void_ids)).to_numpy(bool)
        return cls(customer_lower=lower, void=void)


def live_statuses(frame: pd.DataFrame, extras: LinkExtras | None = None) -> np.ndarray:
    """Each row's status as the console shows it: "void" for a void link, else Links+'s."""
    status = frame["status"].to_numpy(dtype=object)
    if extras is None or not extras.void.any():
        return status
    return np.where(extras.void, VOID, status)


def filter_mask(
    frame: pd.DataFrame,
    filters: LinkFilters,
    tz: str | None = None,
    *,
    names_lower: pd.Series | None = None,
    now: datetime | None = None,
    extras: LinkExtras | None = None,
) -> np.ndarray | None:
    """Which rows of `frame` pass `filters` (dates judged in timezone `tz`, ages at `now`,
    default the current time), as a boolean array; None when no filter is set (every row
    passes). `names_lower` (the names in lower case, precomputed) makes the text filter
    cheaper. With `extras`, the text matches the customer's name too, a void link's status
    is "void" and it is owed to nobody."""
    masks: list[np.ndarray] = []
    text = filters.text.strip()
    if text:
        if names_lower is None:
            names_lower = frame["name"].fillna("").str.lower()
        found = names_lower.str.contains(text.lower(), regex=False).to_numpy(bool)
        if extras is not None:
            customer = extras.customer_lower.str.contains(text.lower(), regex=False)
            found = found | customer.to_numpy(bool)
        masks.append(found)
    if filters.statuses:
        masks.append(np.isin(live_statuses(frame, extras), list(filters.statuses)))
    if filters.template_ids:
        masks.append(
            frame["template_id"].isin(filters.template_ids).to_numpy(dtype=bool, na_value=False)
        )
    if filters.currency:
        masks.append((frame["currency"] == filters.currency).to_numpy(bool))
        amount = frame["amount"].to_numpy()
        if filters.amount_min is not None:
            masks.append(amount >= filters.amount_min)
        if filters.amount_max is not None:
            masks.append(amount <= filters.amount_max)
    start, end = day_bounds(filters.created_from, filters.created_to, tz)
    if start is not None:
        masks.append((frame["created_at"] >= start).to_numpy(bool))
    if end is not None:
        masks.append((frame["created_at"] < end).to_numpy(bool))
    if filters.usage in ("single", "multiple"):
        multiple = frame["multiple_usage"].to_numpy(bool)
        masks.append(multiple if filters.usage == "multiple" else ~multiple)
    if filters.age in BUCKETS:
        masks.append(bucket_mask(frame, filters.age, now))
        if extras is not None:
            masks.append(~extras.void)
    if not masks:
        return None
    mask = masks[0].copy()
    for more in masks[1:]:
        mask &= more
    return mask


def apply_filters(frame: pd.DataFrame, filters: LinkFilters, tz: str | None = None) -> pd.DataFrame:
    """The rows of `frame` that pass `filters` (dates judged in timezone `tz`)."""
    mask = filter_mask(frame, filters, tz)
    return frame if mask is None else frame[mask]


def display_frame(frame: pd.DataFrame, tz: str | None = None) -> pd.DataFrame:
    """The columns people see, with local creation times and upper-case currencies."""
    z = zone(tz)
    out = pd.DataFrame(
        {
            "id": frame["id"],
            "name": frame["name"],
            "status": frame["status"],
            "template": frame["template"],
            "amount_text": frame["amount_text"],
            "currency": frame["currency"].str.upper(),
            "use": np.where(frame["multiple_usage"].to_numpy(dtype=bool), "Multiple", "Single"),
            "created": frame["created_at"].dt.tz_convert(z).dt.tz_localize(None),
            "payment_url": frame["payment_url"],
            "paid_count": frame.get("paid_count", 0),
            "paid_text": frame.get("paid_text", ""),
        }
    )
    return out.reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class PreparedLinks:
    """A team's links made ready once for many filter changes: `frame` (links with paid
    totals, minor units, UTC) and `display` (what the table shows: formatted, local time,
    already in Arrow form, which is what a table is sent to the browser as) share their row
    order, so one boolean mask selects the same rows of both. Read-only: shared between
    reruns and sessions."""

    frame: pd.DataFrame
    display: pa.Table
    names_lower: pd.Series
    currencies: tuple[str, ...]
    template_names: dict[int, str]
    tz: str

    def mask(self, filters: LinkFilters, extras: LinkExtras | None = None) -> np.ndarray | None:
        """The rows passing `filters` (with the console's `extras`), or None for all."""
        return filter_mask(
            self.frame, filters, self.tz, names_lower=self.names_lower, extras=extras
        )

    def rows(self, mask: np.ndarray | None) -> pd.DataFrame:
        """The links (full columns) selected by `mask`."""
        return self.frame if mask is None else self.frame[mask]

    def shown(self, mask: np.ndarray | None) -> pa.Table:
        """The display rows selected by `mask` (the table itself when None: no copy)."""
        return self.display if mask is None else self.display.filter(mask)


def prepare_links(
    frame: pd.DataFrame, totals_by_link: pd.DataFrame | None, tz: str | None = None
) -> PreparedLinks:
    """Everything the Links page needs that does not depend on the filters, computed once:
    paid totals joined, display columns formatted and converted to `tz`."""
    full = with_payments(frame, totals_by_link).reset_index(drop=True)
    display = pa.Table.from_pandas(display_frame(full, tz), preserve_index=False)
    names = {
        int(t): n for t, n in zip(full["template_id"], full["template"], strict=True) if pd.notna(t)
    }
    return PreparedLinks(
        frame=full,
        display=display,
        names_lower=full["name"].fillna("").str.lower(),
        currencies=tuple(sorted(set(full["currency"].dropna()))),
        template_names=dict(sorted(names.items(), key=lambda kv: kv[1])),
        tz=zone(tz).key,
    )


# The Links table's columns, left to right: what a row is and what it brought in first, so
# that a phone shows a link's amount beside its name, and a desktop its Paid amount and Made
# by, without scrolling sideways; and the least each needs for its cells, in px (a header
# may ask for more: `chart_text.column_px`). "made_by" is shown to managers only.
TABLE_MIN_PX = {
    "id": 60,
    "name": 150,
    "amount_text": 92,
    "currency": 52,
    "status": 76,
    "paid_count": 52,
    "paid_text": 100,
    "made_by": 150,
    "created": 140,
    "template": 110,
    "use": 96,
    "payment_url": 0,
}

CSV_COLUMNS = [
    "link_id",
    "name",
    "status",
    "template",
    "currency",
    "amount",
    "multiple_usage",
    "created_at",
    "payment_url",
    "paid_count",
    "paid_amount",
]


# The CSV's column of who made each link (a manager's download), by the person's name.
MADE_BY_HEADER = N_("made_by")
# The CSV's customer columns (`customers` of `links_csv`), after the links' own.
CUSTOMER_HEADERS = {
    "name": N_("customer_name"),
    "phone": N_("customer_phone"),
    "email": N_("customer_email"),
    "line": N_("customer_line"),
}


def links_csv(
    frame: pd.DataFrame,
    tz: str | None = None,
    language: str | None = None,
    made_by: Sequence[str] | None = None,
    *,
    customers: pd.DataFrame | None = None,
    void_ids: Iterable[int] = (),
) -> bytes:
    """Exactly the rows of `frame` as UTF-8 CSV; amounts as exact decimals of the currency,
    times in ISO 8601 with the reader's offset. Names and other text are neutralised against
    spreadsheet formulas (`csv_export.frame_csv`); headers in `language` (default English).
    `made_by`: who made each row's link, as people read it (their names), in a ``made_by``
    column after the name; left out when None. `customers` (link_id, name, phone, email,
    line: the team's) adds a column per customer field; a link of `void_ids` has status
    "void"."""
    out = _csv_frame(frame, tz)
    words = translations(language or DEFAULT_LANGUAGE)
    void = frame["id"].isin(list(void_ids)).to_numpy(bool)
    if void.any():
        out["status"] = np.where(void, VOID, out["status"].to_numpy(dtype=object))
    if made_by is not None:
        out.insert(2, words.gettext(MADE_BY_HEADER), list(made_by))
    if customers is not None:
        by_link = customers.set_index("link_id")
        for field_name, header in CUSTOMER_HEADERS.items():
            column = frame["id"].map(by_link[field_name]) if len(by_link) else None
            values = [] if column is None else column.astype(object).where(column.notna(), "")
            out[words.gettext(header)] = list(values) if column is not None else ""
    return frame_csv(out, language)


def _csv_frame(frame: pd.DataFrame, tz: str | None) -> pd.DataFrame:
    z = zone(tz)
    paid = frame.get("paid_amount", pd.Series(0, index=frame.index))
    paid_count = frame.get("paid_count", pd.Series(0, index=frame.index))
    out = pd.DataFrame(
        {
            "link_id": frame["id"],
            "name": frame["name"],
            "status": frame["status"],
            "template": frame["template"],
            "currency": frame["currency"].str.upper(),
            "amount": [
                decimal_amount(a, c)
                for a, c in zip(frame["amount"], frame["currency"], strict=True)
            ],
            "multiple_usage": frame["multiple_usage"].astype(bool),
            "created_at": frame["created_at"]
            .dt.tz_convert(z)
            .map(lambda t: t.isoformat() if not pd.isna(t) else ""),
            "payment_url": frame["payment_url"],
            "paid_count": paid_count,
            "paid_amount": [
                decimal_amount(a, c) for a, c in zip(paid, frame["currency"], strict=True)
            ],
        },
        columns=CSV_COLUMNS,
    )
    return out.reset_index(drop=True)


def decimal_amount(minor: int, currency: str) -> Decimal | int:
    """Minor units as an exact decimal of `currency` for a CSV (a number, not text, so it is
    written as it is); the bare int when the currency is unknown."""
    try:
        return to_decimal(int(minor), currency)
    except AmountError:
        return int(minor)


def link_row(frame: pd.DataFrame, link_id: int) -> dict | None:
    """One link's row of `frame` as a dict, or None when it is not there."""
    rows = frame[frame["id"] == int(link_id)]
    return None if rows.empty else rows.iloc[0].to_dict()
