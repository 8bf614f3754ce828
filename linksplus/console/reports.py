"""The Payments page's data: per-currency tiles, chart frames and Altair charts.

Totals are always per currency; nothing here adds two currencies together. Amounts stay
integers of minor units until they become text (`format_amount`) or a chart value
(major units as float, per currency: a chart only needs to look right, not add up).
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from linksplus.console.links_table import _decimal_text, zone
from linksplus.money import AmountError, format_amount, get_currency


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
    def volume_text(self) -> str:
        try:
            return format_amount(self.volume, self.currency, code=True)
        except AmountError:
            return f"{self.volume} {self.currency.upper()}"

    @property
    def rate_text(self) -> str:
        return "—" if self.success_rate is None else f"{self.success_rate:.0%}"


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
        tiles.append(CurrencyTile(
            currency=str(row.currency).lower(), volume=int(row.successful_amount),
            successful=successful, failed=failed, payments=payments,
            success_rate=(successful / decided) if decided else None))
    return sorted(tiles, key=lambda t: (-t.payments, t.currency))


def team_events(events: pd.DataFrame, link_ids) -> pd.DataFrame:
    """The payment events of one team (its link ids), one row per payment: when a payment
    was reported more than once, its latest report counts."""
    if events is None or events.empty:
        return events if events is not None else pd.DataFrame()
    df = events[events["link_id"].isin(set(link_ids))]
    if "payment_id" in df and df["payment_id"].notna().any():
        df = df.sort_values("occurred_at").drop_duplicates("payment_id", keep="last")
    df = df.assign(currency=df["currency"].astype(str).str.lower())
    return df


def totals_by_currency(events: pd.DataFrame) -> pd.DataFrame:
    """Per currency: successful amount and count, failed count, payments (the event log's
    `totals_by_currency` shape, computed on a team's events)."""
    cols = ["currency", "successful_amount", "successful_count", "failed_count", "payments",
            "success_rate"]
    if events is None or events.empty:
        return pd.DataFrame(columns=cols)
    ok = events["status"] == "successful"
    df = pd.DataFrame({"currency": events["currency"],
                       "successful_amount": events["amount"].where(ok, 0).astype("int64"),
                       "successful_count": ok.astype("int64"),
                       "failed_count": (events["status"] == "failed").astype("int64"),
                       "payments": 1})
    out = df.groupby("currency", as_index=False).sum()
    decided = out["successful_count"] + out["failed_count"]
    out["success_rate"] = (out["successful_count"] / decided.where(decided > 0)).astype(float)
    return out[cols]


def totals_by_status(events: pd.DataFrame) -> pd.DataFrame:
    """Per currency and status: count and amount."""
    cols = ["currency", "status", "count", "amount"]
    if events is None or events.empty:
        return pd.DataFrame(columns=cols)
    return (events.groupby(["currency", "status"], as_index=False)
            .agg(count=("amount", "size"), amount=("amount", "sum")))[cols]


def daily_totals(events: pd.DataFrame, tz: str | None = None) -> pd.DataFrame:
    """Successful payments per local day and currency: amount and count."""
    cols = ["day", "currency", "amount", "count"]
    if events is None or events.empty:
        return pd.DataFrame(columns=cols)
    ok = events[events["status"] == "successful"]
    day = pd.to_datetime(ok["occurred_at"], utc=True).dt.tz_convert(zone(tz)).dt.date
    return (ok.assign(day=day).groupby(["day", "currency"], as_index=False)
            .agg(amount=("amount", "sum"), count=("amount", "size")))[cols]


def totals_by_link(events: pd.DataFrame) -> pd.DataFrame:
    """Per link and currency: paid count and amount, failed count."""
    cols = ["link_id", "currency", "paid_count", "paid_amount", "failed_count"]
    if events is None or events.empty:
        return pd.DataFrame(columns=cols)
    ok = events["status"] == "successful"
    df = pd.DataFrame({"link_id": events["link_id"].astype("int64"),
                       "currency": events["currency"].astype(str).str.lower(),
                       "paid_count": ok.astype("int64"),
                       "paid_amount": events["amount"].where(ok, 0).astype("int64"),
                       "failed_count": (events["status"] == "failed").astype("int64")})
    return df.groupby(["link_id", "currency"], as_index=False).sum()[cols]


def _major(minor: pd.Series, currency: pd.Series) -> list[float]:
    """Minor units as major-unit floats for charts, each by its own currency."""
    out = []
    for amount, cur in zip(minor, currency, strict=True):
        try:
            out.append(int(amount) / get_currency(cur).factor)
        except AmountError:
            out.append(float(amount))
    return out


def daily_volume_frame(daily_totals: pd.DataFrame) -> pd.DataFrame:
    """Per day and currency: the successful volume in major units, and the count."""
    if daily_totals is None or daily_totals.empty:
        return pd.DataFrame(columns=["day", "currency", "volume", "count"])
    df = daily_totals.copy()
    df["currency"] = df["currency"].astype(str).str.upper()
    df["volume"] = _major(daily_totals["amount"], daily_totals["currency"].astype(str))
    df["day"] = pd.to_datetime(df["day"])
    return df[["day", "currency", "volume", "count"]]


def status_mix_frame(totals_by_status: pd.DataFrame) -> pd.DataFrame:
    """Payment counts per currency and status."""
    if totals_by_status is None or totals_by_status.empty:
        return pd.DataFrame(columns=["currency", "status", "count"])
    df = totals_by_status[["currency", "status", "count"]].copy()
    df["currency"] = df["currency"].astype(str).str.upper()
    return df


def top_links_frame(totals_by_link: pd.DataFrame, links: pd.DataFrame | None = None,
                    n: int = 10) -> pd.DataFrame:
    """The `n` links with the largest paid volume in each currency, named when known."""
    cols = ["link_id", "label", "currency", "paid_count", "paid_amount", "paid_text", "volume"]
    if totals_by_link is None or totals_by_link.empty:
        return pd.DataFrame(columns=cols)
    df = totals_by_link[totals_by_link["paid_count"] > 0].copy()
    names = {} if links is None or links.empty else dict(zip(links["id"], links["name"],
                                                              strict=True))
    df["label"] = [f"#{int(i)} {names.get(int(i), '')}".strip() for i in df["link_id"]]
    df = (df.sort_values(["currency", "paid_amount"], ascending=[True, False])
          .groupby("currency", sort=True).head(n))
    return _finish(df, cols)


def top_templates_frame(totals_by_link: pd.DataFrame, links: pd.DataFrame | None,
                        n: int = 10) -> pd.DataFrame:
    """Paid volume per template and currency (link -> template through the links list)."""
    cols = ["label", "currency", "paid_count", "paid_amount", "paid_text", "volume"]
    if totals_by_link is None or totals_by_link.empty:
        return pd.DataFrame(columns=cols)
    templates = {} if links is None or links.empty else dict(
        zip(links["id"], links["template"], strict=True))
    df = totals_by_link[totals_by_link["paid_count"] > 0].copy()
    df["label"] = [templates.get(int(i)) or "Other links" for i in df["link_id"]]
    df = (df.groupby(["label", "currency"], as_index=False)[["paid_count", "paid_amount"]].sum()
          .sort_values(["currency", "paid_amount"], ascending=[True, False])
          .groupby("currency", sort=True).head(n))
    return _finish(df, cols)


def _finish(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    cur = df["currency"].astype(str).str.lower()
    df = df.assign(
        paid_text=[format_amount(int(a), c) for a, c in zip(df["paid_amount"], cur,
                                                              strict=True)],
        volume=_major(df["paid_amount"], cur),
        currency=cur.str.upper())
    return df[cols].reset_index(drop=True)


def payments_table(events: pd.DataFrame, links: pd.DataFrame | None = None,
                   tz: str | None = None) -> pd.DataFrame:
    """The event log's payments for people: newest first, local time, formatted amounts."""
    cols = ["occurred", "link_id", "link", "payment_id", "status", "amount_text", "currency"]
    if events is None or events.empty:
        return pd.DataFrame(columns=cols)
    names = {} if links is None or links.empty else dict(zip(links["id"], links["name"],
                                                              strict=True))
    df = events.sort_values("occurred_at", ascending=False)
    cur = df["currency"].astype(str).str.lower()
    return pd.DataFrame({
        "occurred": pd.to_datetime(df["occurred_at"], utc=True).dt.tz_convert(zone(tz))
        .dt.tz_localize(None),
        "link_id": df["link_id"],
        "link": [names.get(int(i), "") if pd.notna(i) else "" for i in df["link_id"]],
        "payment_id": df["payment_id"],
        "status": df["status"],
        "amount_text": [format_amount(int(a), c) for a, c in zip(df["amount"], cur,
                                                                  strict=True)],
        "currency": cur.str.upper(),
    }, columns=cols).reset_index(drop=True)


def payments_csv(events: pd.DataFrame, tz: str | None = None) -> bytes:
    """The payments as CSV, amounts as exact decimals of their currency."""
    cols = ["occurred_at", "link_id", "payment_id", "status", "currency", "amount"]
    if events is None or events.empty:
        return (",".join(cols) + "\n").encode()
    df = events.sort_values("occurred_at", ascending=False)
    cur = df["currency"].astype(str).str.lower()
    out = pd.DataFrame({
        "occurred_at": pd.to_datetime(df["occurred_at"], utc=True).dt.tz_convert(zone(tz))
        .map(lambda t: t.isoformat()),
        "link_id": df["link_id"], "payment_id": df["payment_id"], "status": df["status"],
        "currency": cur.str.upper(),
        "amount": [_decimal_text(a, c) for a, c in zip(df["amount"], cur, strict=True)],
    }, columns=cols)
    return out.to_csv(index=False).encode("utf-8")


# -- charts ---------------------------------------------------------------------------------

_STATUS_COLORS = alt.Scale(domain=["successful", "failed", "pending", "reversed", "expired"],
                           range=["#2e9e6b", "#d9534f", "#f0ad4e", "#8e7cc3", "#9aa5b1"])


def daily_volume_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """Successful volume per day, one row per currency, each with its own scale."""
    base = alt.Chart(frame).mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3).encode(
        x=alt.X("yearmonthdate(day):T", title=None),
        y=alt.Y("volume:Q", title="Volume"),
        color=alt.Color("currency:N", legend=None),
        tooltip=[alt.Tooltip("yearmonthdate(day):T", title="Day"), "currency:N",
                 alt.Tooltip("volume:Q", format=",.2f"), alt.Tooltip("count:Q", title="Paid")],
    ).properties(height=140)
    return base.facet(row=alt.Row("currency:N", title=None)).resolve_scale(y="independent")


def status_mix_chart(frame: pd.DataFrame) -> alt.Chart:
    """How many payments ended in each status, per currency."""
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("count:Q", title="Payments", stack="normalize", axis=alt.Axis(format="%")),
        y=alt.Y("currency:N", title=None),
        color=alt.Color("status:N", scale=_STATUS_COLORS, title="Status"),
        tooltip=["currency:N", "status:N", "count:Q"],
    ).properties(height=alt.Step(36))


def top_chart(frame: pd.DataFrame, title: str) -> alt.FacetChart:
    """Horizontal bars of paid volume per label, one row per currency."""
    base = alt.Chart(frame).mark_bar().encode(
        x=alt.X("volume:Q", title="Paid volume"),
        y=alt.Y("label:N", sort="-x", title=None),
        color=alt.Color("currency:N", legend=None),
        tooltip=[alt.Tooltip("label:N", title=title), "currency:N",
                 alt.Tooltip("paid_text:N", title="Paid"),
                 alt.Tooltip("paid_count:Q", title="Payments")],
    )
    return base.facet(row=alt.Row("currency:N", title=None)).resolve_scale(
        y="independent", x="independent")
