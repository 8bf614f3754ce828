"""The Payments page's data: per-currency tiles, chart frames and Altair charts.

Totals are always per currency; nothing here adds two currencies together. Amounts stay
integers of minor units until they become text (`format_amount`) or a chart value
(major units as float, per currency: a chart only needs to look right, not add up).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import altair as alt
import pandas as pd
from babel.numbers import format_compact_decimal, format_decimal, get_currency_name

from linksplus.console.chart_text import LINE_BREAK, amount_axis, wrapped, wrapped_axis
from linksplus.console.csv_export import frame_csv
from linksplus.console.links_table import decimal_amount
from linksplus.console.timezones import local_iso, zone
from linksplus.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    _,
    babel_locale,
    current_language,
    date_cells,
    format_date,
    format_number,
    format_share,
    vega_date_label,
)
from linksplus.money import AmountError, display_amount, get_currency, to_decimal

# The longest volume a tile shows as it is: "999,999,999.99". A metric's digits are about
# 18 px wide, and the volume's column is about 330 px on a phone (390 px, the columns
# stacked) and 400 px on a desktop (1400 px, the widest of four): 14 fit either with room.
SHORT_CHARS = 14


@dataclass(frozen=True)
class CurrencyTile:
    """The headline numbers of one currency."""

    currency: str
    volume: int  # successful amount, minor units
    successful: int
    failed: int
    payments: int
    success_rate: float | None

    @property
    def title(self) -> str:
        """The tile's heading: the currency, named ("THB · Thai Baht")."""
        try:
            get_currency(self.currency)
        except AmountError:
            return self.currency.upper()
        name = get_currency_name(self.currency.upper(), locale=babel_locale())
        return f"{self.currency.upper()} · {name}"

    @property
    def volume_text(self) -> str:
        """The successful volume without its code (the tile's heading names the currency)."""
        return display_amount(self.volume, self.currency)

    @property
    def volume_short(self) -> str:
        """The volume as the tile shows it: exact while it fits a phone's tile (up to
        `SHORT_CHARS` characters), else compact ("407.9M"; `volume_exact` says it all)."""
        exact = self.volume_text
        if len(exact) <= SHORT_CHARS:
            return exact
        try:
            major = float(to_decimal(self.volume, self.currency))
        except AmountError:
            major = float(self.volume)
        return format_compact_decimal(major, locale=babel_locale(), fraction_digits=1)

    @property
    def volume_exact(self) -> str | None:
        """The exact volume with its code when the tile shows it compact, else None."""
        if self.volume_short == self.volume_text:
            return None
        return display_amount(self.volume, self.currency, code=True)

    @property
    def rate_text(self) -> str:
        return "—" if self.success_rate is None else format_share(self.success_rate)


def currency_tiles(totals_by_currency: pd.DataFrame) -> list[CurrencyTile]:
    """One tile per currency from the event log's `totals_by_currency`, busiest first."""
    tiles = []
    if totals_by_currency is None or totals_by_currency.empty:
        return tiles
    for row in totals_by_currency.itertuples(index=False):
        successful = int(row.successful_count)
        failed = int(row.failed_count)
        payments = int(getattr(row, "payments", successful + failed) or 0)
        decided = successful + failed
        tiles.append(
            CurrencyTile(
                currency=str(row.currency).lower(),
                volume=int(row.successful_amount),
                successful=successful,
                failed=failed,
                payments=payments,
                success_rate=(successful / decided) if decided else None,
            )
        )
    return sorted(tiles, key=lambda t: (-t.payments, t.currency))


def _major(minor: pd.Series, currency: pd.Series) -> list[float]:
    """Minor units as major-unit floats for charts, each by its own currency."""
    out = []
    for amount, cur in zip(minor, currency, strict=True):
        try:
            out.append(int(amount) / get_currency(cur).factor)
        except AmountError:
            out.append(float(amount))
    return out


# Longer periods are charted a week to a bar: a day's bar of a year at a phone's width
# would be a fraction of a pixel and draw nothing.
WEEKLY_AFTER_DAYS = 92


def daily_volume_frame(
    daily_totals: pd.DataFrame, first: date | None = None, last: date | None = None
) -> pd.DataFrame:
    """Per day and currency (per week, from Monday, when ``first`` to ``last`` is longer than
    `WEEKLY_AFTER_DAYS`): the successful volume in major units, and the count; ``day`` is
    the bar's first day and ``days`` how many days it spans."""
    columns = ["day", "currency", "volume", "count", "days"]
    if daily_totals is None or daily_totals.empty:
        return pd.DataFrame(columns=columns)
    df = daily_totals.copy()
    df["currency"] = df["currency"].astype(str).str.upper()
    df["volume"] = _major(daily_totals["amount"], daily_totals["currency"].astype(str))
    df["day"] = pd.to_datetime(df["day"])
    df["days"] = 1
    if first is not None and last is not None and (last - first).days + 1 > WEEKLY_AFTER_DAYS:
        df["day"] = df["day"] - pd.to_timedelta(df["day"].dt.day_of_week, unit="D")
        df = df.groupby(["day", "currency"], as_index=False).agg(
            volume=("volume", "sum"), count=("count", "sum")
        )
        df["days"] = 7
    return df[columns]


def status_mix_frame(totals_by_status: pd.DataFrame) -> pd.DataFrame:
    """Payment counts per currency and status."""
    if totals_by_status is None or totals_by_status.empty:
        return pd.DataFrame(columns=["currency", "status", "count"])
    df = totals_by_status[["currency", "status", "count"]].copy()
    df["currency"] = df["currency"].astype(str).str.upper()
    return df


def top_links_frame(
    totals_by_link: pd.DataFrame, links: pd.DataFrame | None = None, n: int = 10
) -> pd.DataFrame:
    """The `n` links with the largest paid volume in each currency, named when known."""
    cols = ["link_id", "label", "currency", "paid_count", "paid_amount", "paid_text", "volume"]
    if totals_by_link is None or totals_by_link.empty:
        return pd.DataFrame(columns=cols)
    df = totals_by_link[totals_by_link["paid_count"] > 0].copy()
    names = (
        {} if links is None or links.empty else dict(zip(links["id"], links["name"], strict=True))
    )
    df["label"] = [f"#{int(i)} {names.get(int(i), '')}".strip() for i in df["link_id"]]
    df = (
        df.sort_values(["currency", "paid_amount"], ascending=[True, False])
        .groupby("currency", sort=True)
        .head(n)
    )
    return _finish(df, cols)


def top_templates_frame(
    totals_by_link: pd.DataFrame, links: pd.DataFrame | None, n: int = 10
) -> pd.DataFrame:
    """Paid volume per template and currency (link -> template through the links list)."""
    cols = ["label", "currency", "paid_count", "paid_amount", "paid_text", "volume"]
    if totals_by_link is None or totals_by_link.empty:
        return pd.DataFrame(columns=cols)
    templates = (
        {}
        if links is None or links.empty
        else dict(zip(links["id"], links["template"], strict=True))
    )
    df = totals_by_link[totals_by_link["paid_count"] > 0].copy()
    df["label"] = [templates.get(int(i)) or _("Other links") for i in df["link_id"]]
    df = (
        df.groupby(["label", "currency"], as_index=False)[["paid_count", "paid_amount"]]
        .sum()
        .sort_values(["currency", "paid_amount"], ascending=[True, False])
        .groupby("currency", sort=True)
        .head(n)
    )
    return _finish(df, cols)


def _finish(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    cur = df["currency"].astype(str).str.lower()
    df = df.assign(
        paid_text=[display_amount(int(a), c) for a, c in zip(df["paid_amount"], cur, strict=True)],
        volume=_major(df["paid_amount"], cur),
        currency=cur.str.upper(),
    )
    return df[cols].reset_index(drop=True)


def payments_table(
    events: pd.DataFrame, links: pd.DataFrame | None = None, tz: str | None = None
) -> pd.DataFrame:
    """The event log's payments for people: newest first, local time, formatted amounts."""
    cols = ["occurred", "link_id", "link", "payment_id", "status", "amount_text", "currency"]
    if events is None or events.empty:
        return pd.DataFrame(columns=cols)
    names = (
        {} if links is None or links.empty else dict(zip(links["id"], links["name"], strict=True))
    )
    df = events.sort_values("occurred_at", ascending=False)
    cur = df["currency"].astype(str).str.lower()
    return pd.DataFrame(
        {
            "occurred": pd.to_datetime(df["occurred_at"], utc=True)
            .dt.tz_convert(zone(tz))
            .dt.tz_localize(None),
            "link_id": df["link_id"],
            "link": [names.get(int(i), "") if pd.notna(i) else "" for i in df["link_id"]],
            "payment_id": df["payment_id"],
            "status": df["status"].map(status_word),
            "amount_text": [
                display_amount(int(a), c) for a, c in zip(df["amount"], cur, strict=True)
            ],
            "currency": cur.str.upper(),
        },
        columns=cols,
    ).reset_index(drop=True)


# A payment's statuses as Links+ names them; shown translated (English keeps the names).
PAYMENT_STATUSES = (
    N_("successful"),
    N_("failed"),
    N_("pending"),
    N_("reversed"),
    N_("expired"),
)


def status_word(status: object) -> object:
    """A payment status in the current language ("successful", "สำเร็จ")."""
    return _(status) if status in PAYMENT_STATUSES else status


_CSV_COLUMNS = [
    "occurred_at",
    "link_id",
    "link_name",
    "payment_id",
    "status",
    "currency",
    "amount",
]


def _csv_frame(
    events: pd.DataFrame, tz: str | None, names: Mapping[int, str] | None = None
) -> pd.DataFrame:
    if events is None or events.empty:
        return pd.DataFrame(columns=_CSV_COLUMNS)
    df = events.sort_values("occurred_at", ascending=False, kind="stable")
    cur = df["currency"].astype(str).str.lower()
    return pd.DataFrame(
        {
            "occurred_at": local_iso(df["occurred_at"], tz),
            "link_id": df["link_id"],
            "link_name": df["link_id"].map(dict(names or {})),  # empty when not known
            "payment_id": df["payment_id"],
            "status": df["status"],
            "currency": cur.str.upper(),
            "amount": [decimal_amount(a, c) for a, c in zip(df["amount"], cur, strict=True)],
        },
        columns=_CSV_COLUMNS,
    )


def payments_csv(
    events: pd.DataFrame,
    tz: str | None = None,
    language: str | None = None,
    names: Mapping[int, str] | None = None,
) -> bytes:
    """The payments as CSV with each link's name (`names`: link id -> name), amounts as
    exact decimals of their currency; names, payment ids and other text neutralised
    against spreadsheet formulas (`csv_export.frame_csv`); headers in `language` (default
    English)."""
    return frame_csv(_csv_frame(events, tz, names), language)


def payments_csv_chunks(
    chunks: Iterable[pd.DataFrame],
    tz: str | None = None,
    language: str | None = None,
    names: Mapping[int, str] | None = None,
) -> Iterator[bytes]:
    """The same CSV as `payments_csv` of all `chunks` together (each newest first, in
    order), one piece per chunk: the header once, then each chunk's rows."""
    header = True
    for chunk in chunks:
        if chunk.empty:
            continue
        text = payments_csv(chunk, tz, language, names)
        yield text if header else text.split(b"\r\n", 1)[1]
        header = False
    if header:
        yield payments_csv(None, tz, language)


# -- charts ---------------------------------------------------------------------------------

_STATUS_DOMAIN = ["successful", "failed", "pending", "reversed", "expired"]
_STATUS_RANGE = ["#2e9e6b", "#d9534f", "#f0ad4e", "#8e7cc3", "#9aa5b1"]


def by_currency(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(currency, its rows) for each currency of a chart frame, alphabetically: each
    currency gets a chart of its own, with its own scale, never a shared axis."""
    if frame is None or frame.empty:
        return []
    return [(str(c), part) for c, part in frame.groupby("currency", sort=True)]


# Charts are single views (no facets) so that they can stretch to their column's width.
_PADDING = {"left": 4, "right": 16, "top": 4, "bottom": 4}


def _day_point(day: date, hours: int = 0) -> alt.DateTime:
    """`day` at `hours` o'clock, as the chart's data is read: local time in the browser."""
    return alt.DateTime(year=day.year, month=day.month, date=day.day, hours=hours)


def _day_ticks(first: date, last: date, most: int = 6) -> list[date]:
    """At most `most` evenly spaced days from `first` to `last`: the axis labels, never a
    day outside the period nor one twice."""
    span = (last - first).days
    step = max(1, -(-span // (most - 1))) if most > 1 else span + 1
    return [first + timedelta(days=d) for d in range(0, span + 1, step)]


def daily_volume_chart(
    frame: pd.DataFrame, first: date | None = None, last: date | None = None
) -> alt.Chart:
    """Successful volume per day (or week) of ONE currency (see `by_currency`), on an axis
    that spans the period `first` to `last`, labelled only with days inside it."""
    currency = str(frame["currency"].iloc[0]) if len(frame) else ""
    if first is None or last is None:
        days = pd.to_datetime(frame["day"])
        first, last = days.min().date(), days.max().date()
    days = frame["days"] if "days" in frame else pd.Series(1, index=frame.index)
    # Each bar spans its days less a gap at each end, so that bars never touch or vanish.
    frame = frame.assign(
        start=pd.to_datetime(frame["day"]) + pd.Timedelta(hours=2),
        stop=pd.to_datetime(frame["day"]) + pd.to_timedelta(days * 24 - 2, unit="h"),
    )
    axis = {"format": "%-d %b", "labelOverlap": True}
    tip = alt.Tooltip("day:T", format="%-d %b %Y", title=_("Day"))
    if current_language() != DEFAULT_LANGUAGE:
        # Vega writes month names in English only: the axis and the tooltip get the
        # language's own (and the Buddhist-era year when that setting is on).
        axis = {"labelExpr": vega_date_label(), "labelOverlap": True}
        frame = frame.assign(day_text=date_cells(frame["day"], time=None).to_numpy())
        tip = alt.Tooltip("day_text:N", title=_("Day"))
    ticks = [_day_point(d, 12) for d in _day_ticks(first, last)]
    domain = [_day_point(first), _day_point(last + timedelta(days=1))]
    thin = (last - first).days + 1 > 31  # rounded corners would eat a thin bar whole
    corners = {} if thin else {"cornerRadiusTopLeft": 2, "cornerRadiusTopRight": 2}
    return (
        alt.Chart(frame)
        .mark_bar(**corners)
        .encode(
            x=alt.X(
                "start:T",
                title=None,
                scale=alt.Scale(domain=domain),
                axis=alt.Axis(values=ticks, **axis),
            ),
            x2="stop:T",
            y=alt.Y(
                "volume:Q",
                title=_("Volume ({currency})").format(currency=currency),
                axis=alt.Axis(format="~s"),
            ),
            y2=alt.datum(0),  # x and x2 alone would make a horizontal bar
            tooltip=[
                tip,
                alt.Tooltip("currency:N", title=_("Currency")),
                alt.Tooltip("volume:Q", format=",.2f", title=_("Volume")),
                alt.Tooltip("count:Q", title=_("Paid")),
            ],
        )
        .properties(height=160, padding=_PADDING)
    )


def status_mix_chart(frame: pd.DataFrame) -> alt.Chart:
    """How many payments ended in each status, per currency (shares, so comparable); the
    statuses in the current language, each in its own colour."""
    frame = frame.assign(status=frame["status"].map(status_word))
    colors = alt.Scale(domain=[status_word(s) for s in _STATUS_DOMAIN], range=_STATUS_RANGE)
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("count:Q", title=_("Payments"), stack="normalize", axis=alt.Axis(format="%")),
            y=alt.Y("currency:N", title=None),
            color=alt.Color(
                "status:N",
                scale=colors,
                title=None,
                legend=alt.Legend(
                    orient="bottom", direction="horizontal", columns=3, symbolType="square"
                ),
            ),
            tooltip=[
                alt.Tooltip("currency:N", title=_("Currency")),
                alt.Tooltip("status:N", title=_("Status")),
                alt.Tooltip("count:Q", title=_("Payments")),
            ],
        )
        .properties(height=alt.Step(36), padding=_PADDING)
    )


def top_chart(frame: pd.DataFrame, title: str) -> alt.Chart:
    """Horizontal bars of paid volume per label, for ONE currency (see `by_currency`); long
    labels wrap onto lines (`chart_text.wrapped`), never cut, and the tooltip names them."""
    currency = str(frame["currency"].iloc[0]) if len(frame) else ""
    frame = frame.assign(axis_label=[wrapped(t) for t in frame["label"]])
    lines = max((t.count(LINE_BREAK) + 1 for t in frame["axis_label"]), default=1)
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "volume:Q",
                title=_("Paid volume ({currency})").format(currency=currency),
                axis=amount_axis(labelFlush=True, tickCount=4),
            ),
            y=alt.Y("axis_label:N", sort="-x", title=None, axis=wrapped_axis()),
            tooltip=[
                alt.Tooltip("label:N", title=title),
                alt.Tooltip("currency:N", title=_("Currency")),
                alt.Tooltip("paid_text:N", title=_("Paid")),
                alt.Tooltip("paid_count:Q", title=_("Payments")),
            ],
        )
        .properties(height=alt.Step(max(28, 14 * lines + 10)), padding=_PADDING)
    )


def top_summary(frame: pd.DataFrame) -> str:
    """A top chart of ONE currency in words: the first label and its paid amount."""
    if frame is None or frame.empty:
        return ""
    first = frame.sort_values("volume", ascending=False).iloc[0]
    return _(
        "{count} shown; the most paid: {label}, {amount} {currency} ({payments} payments)."
    ).format(
        count=format_number(len(frame)),
        label=first["label"],
        amount=first["paid_text"],
        currency=first["currency"],
        payments=format_number(int(first["paid_count"])),
    )


def status_summary(frame: pd.DataFrame) -> str:
    """The status mix in words: per currency, each status's share of the payments."""
    parts = []
    for currency, rows in by_currency(frame):
        total = int(rows["count"].sum())
        if not total:
            continue
        shares = ", ".join(
            f"{format_share(int(r['count']) / total)} {status_word(r['status'])}"
            for _i, r in rows.sort_values("count", ascending=False).iterrows()
        )
        parts.append(
            _("{currency}: {shares} of {total} payments.").format(
                currency=currency, shares=shares, total=format_number(total)
            )
        )
    return " ".join(parts)


def daily_summary(frame: pd.DataFrame) -> str:
    """A volume-per-day chart of ONE currency (`daily_volume_frame`'s rows) in words: the
    total, the payments and the busiest day (or week)."""
    if frame is None or frame.empty:
        return ""
    currency = str(frame["currency"].iloc[0])
    top = frame.sort_values("volume", ascending=False).iloc[0]
    weekly = int(top.get("days", 1)) > 1
    return (
        _("{currency} {total} from {count} payments; the busiest week began {day}: {amount}.")
        if weekly
        else _("{currency} {total} from {count} payments; the busiest day was {day}: {amount}.")
    ).format(
        currency=currency,
        total=format_decimal(float(frame["volume"].sum()), "#,##0.##", locale=babel_locale()),
        count=format_number(int(frame["count"].sum())),
        day=format_date(pd.Timestamp(top["day"]).date(), "d MMM y"),
        amount=format_decimal(float(top["volume"]), "#,##0.##", locale=babel_locale()),
    )
