"""The Payments page: per-currency tiles, charts and the payments table, refreshing itself
while webhooks arrive (only the fragment reruns, not the page)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from linksplus.console import payments_report
from linksplus.console.timezones import day_bounds
from linksplus.errors import LinksPlusError
from linksplus.ui import data
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import eventlog_problem, md_escape, show_error

REFRESH_SECONDS = 5


def _date_range(ctx: PageContext) -> tuple[date, date]:
    today = pd.Timestamp.now(tz=ctx.tz).date()
    presets = {"Today": 0, "Last 7 days": 6, "Last 30 days": 29, "Last 90 days": 89, "Custom": None}
    # A row of its own: in a narrow column the last options ("Custom") were cut off.
    choice = (
        st.segmented_control("Period", list(presets), default="Last 30 days", key="pay_period")
        or "Last 30 days"
    )
    days = presets[choice]
    if days is None:
        c1, _ = st.columns([2, 3])
        picked = c1.date_input(
            "Dates", value=(today - timedelta(days=6), today), key="pay_dates", format="YYYY-MM-DD"
        )
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            return picked[0], picked[1]
        start = picked[0] if isinstance(picked, (tuple, list)) and picked else today
        return start, start
    return today - timedelta(days=days), today


def render(ctx: PageContext) -> None:
    """The whole Payments page."""
    st.title("Payments")
    st.caption(
        f"Payments on **{md_escape(ctx.team_name)}**'s links, as reported by Links+ webhooks. "
        f"Days are in {ctx.tz}. Each currency is counted on its own."
    )
    try:
        with st.spinner("Loading links…"):
            links = data.links_table(ctx.team_id)
    except LinksPlusError as exc:
        show_error(exc, what="The team's links could not be loaded.")
        st.stop()
    first, last = _date_range(ctx)
    live(ctx, links, first, last)


@st.fragment(run_every=REFRESH_SECONDS)
def live(ctx: PageContext, links: pd.DataFrame, first: date, last: date) -> None:
    """Everything that changes as payments arrive; reruns on its own every few seconds."""
    start, end = day_bounds(first, last, ctx.tz)
    try:
        # Each figure is one SQL aggregate over the team's links (cached a few seconds).
        report = data.team_report(ctx.team_id, start, end, ctx.tz)
    except Exception as exc:
        eventlog_problem(exc, what="Payments", retrying=True)
        return
    st.caption(
        f":material/autorenew: Updates every {REFRESH_SECONDS} s · "
        f"{first:%d %b %Y} – {last:%d %b %Y}"
    )
    tiles = payments_report.currency_tiles(report["by_currency"])
    if not tiles:
        st.info(
            "No payment in this period yet. Payments appear here within seconds of being made.",
            icon=":material/hourglass_empty:",
        )
        return
    currency_tiles(tiles)
    volume_and_status_charts(report)
    top_charts(report["by_link"], links)
    payments_list(ctx, report["payments"], links, first, last)


def currency_tiles(tiles: list[payments_report.CurrencyTile]) -> None:
    """One bordered tile of headline numbers per currency."""
    for tile in tiles:
        with st.container(border=True, key=f"tile_{tile.currency}"):
            # The currency is the tile's heading, so the amounts fit without their code.
            st.markdown(f"#### {md_escape(tile.title)}")  # the currency came in a webhook
            c1, c2, c3, c4 = st.columns(4)
            c1.metric("Successful volume", tile.volume_text)
            c2.metric("Successful payments", f"{tile.successful:,}")
            c3.metric("Failed", f"{tile.failed:,}")
            c4.metric("Success rate", tile.rate_text)


def volume_and_status_charts(report: dict[str, pd.DataFrame]) -> None:
    """Volume per day (a chart per currency) beside the mix of payment statuses."""
    left, right = st.columns(2)
    with left:
        st.markdown("##### Volume per day")
        daily = payments_report.daily_volume_frame(report["daily"])
        if daily.empty:
            st.caption("No successful payment yet.")
        for _, part in payments_report.by_currency(daily):
            st.altair_chart(payments_report.daily_volume_chart(part), width="stretch")
    with right:
        st.markdown("##### Status mix")
        st.altair_chart(
            payments_report.status_mix_chart(payments_report.status_mix_frame(report["by_status"])),
            width="stretch",
        )


def top_charts(by_link: pd.DataFrame, links: pd.DataFrame) -> None:
    """The best-paid links and templates side by side, a chart per currency."""
    for column, (title, frame, label, none) in zip(
        st.columns(2),
        (
            (
                "Top links",
                payments_report.top_links_frame(by_link, links, n=5),
                "Link",
                "No paid link yet.",
            ),
            (
                "Top templates",
                payments_report.top_templates_frame(by_link, links, n=5),
                "Template",
                "No paid template yet.",
            ),
        ),
        strict=True,
    ):
        with column:
            st.markdown(f"##### {title}")
            if frame.empty:
                st.caption(none)
            for _, part in payments_report.by_currency(frame):
                st.altair_chart(payments_report.top_chart(part, label), width="stretch")


def payments_list(
    ctx: PageContext, payments: pd.DataFrame, links: pd.DataFrame, first: date, last: date
) -> None:
    """Every payment of the period as a table, and as a CSV download."""
    st.markdown("##### All payments")
    table = payments_report.payments_table(payments, links, ctx.tz)
    tz = ctx.tz
    st.download_button(
        "Download CSV",
        data=lambda: payments_report.payments_csv(payments, tz),
        on_click="ignore",
        file_name=f"payments-team-{ctx.team_id}-{first:%Y%m%d}-{last:%Y%m%d}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    # A display-only table has no key of its own in Streamlit: its container names it.
    st.container(key="payments_table").dataframe(
        table,
        hide_index=True,
        column_config={
            "occurred": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm"),
            "link_id": st.column_config.NumberColumn("Link", format="%d"),
            "link": "Link name",
            "payment_id": "Payment",
            "status": "Status",
            "amount_text": "Amount",
            "currency": "Cur.",
        },
    )
