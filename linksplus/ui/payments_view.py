"""The Payments page: per-currency tiles, charts and a page of the payments, refreshed as
webhooks arrive. Every few seconds a small fragment asks the event log for the team's
change marker (a few primary-key reads) and reruns the page only when it moved; the
figures are cached under that marker, so viewers of one team share one computation."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from linksplus.console import payments_report
from linksplus.console.timezones import day_bounds
from linksplus.errors import LinksPlusError
from linksplus.i18n import _, current_language, format_date, format_number, ngettext
from linksplus.ui import audit_trail, cached_reads, customer_view
from linksplus.ui.charts import chart
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import (
    date_column,
    eventlog_problem,
    md_escape,
    period_picker,
    show_error,
)
from linksplus.workspace.customers import PAID_AFTER_VOID, paid_after_void

REFRESH_SECONDS = 5
PAGE_ROWS = 50


def render(ctx: PageContext) -> None:
    """The whole Payments page."""
    st.title(_("Payments"))
    st.caption(
        _(
            "Payments on **{team}**'s links, as reported by Links+ webhooks. Days are in {tz}. "
            "Each currency is counted on its own."
        ).format(team=md_escape(ctx.team_name), tz=ctx.tz)
    )
    try:
        with st.spinner(_("Loading links…")):
            links = cached_reads.links_table(ctx.team_id)
    except LinksPlusError as exc:
        show_error(exc, what=_("The team's links could not be loaded."))
        st.stop()
    first, last = period_picker(ctx.tz, key="pay_period", dates_key="pay_dates")
    start, end = day_bounds(first, last, ctx.tz)
    try:
        marker = cached_reads.team_changes(ctx.team_id)
        # Each figure is one SQL aggregate over the team's links, cached under the marker.
        report = cached_reads.team_report(ctx.team_id, start, end, ctx.tz, marker)
    except Exception as exc:
        marker, report = None, None
        problem = exc
    st.session_state["pay_watch_armed"] = False
    watch(ctx.team_id, marker, first, last)
    if report is None:
        eventlog_problem(problem, what=_("Payments"), retrying=True)
        return
    tiles = payments_report.currency_tiles(report["by_currency"])
    if not tiles:
        st.info(
            _("No payment in this period yet. Payments appear here within seconds of being made."),
            icon=":material/hourglass_empty:",
        )
        return
    currency_tiles(tiles)
    volume_and_status_charts(report, first, last)
    top_charts(report["by_link"], links)
    count = int(report["by_status"]["count"].sum())
    payments_list(ctx, links, (first, last), (start, end), marker, count)


@st.fragment(run_every=REFRESH_SECONDS)
def watch(team_id: int, shown: int | None, first: date, last: date) -> None:
    """Reruns the page once the team's change marker moved from `shown`, the one the page
    was drawn with (None: the event log could not be read then); else costs one read."""
    st.caption(
        ":material/autorenew: "
        + _("Updates every {n} s").format(n=REFRESH_SECONDS)
        + f" · {format_date(first, 'd MMM y')} – {format_date(last, 'd MMM y')}"
    )
    if not st.session_state.get("pay_watch_armed"):
        # Drawn with the page: its marker was just read. Compare from the next tick on,
        # else a busy team's page would rerun itself without end.
        st.session_state["pay_watch_armed"] = True
        return
    try:
        now = cached_reads.team_changes(team_id)
    except Exception:
        now = None  # still down: the page says so already
    if now != shown:
        st.rerun()


def currency_tiles(tiles: list[payments_report.CurrencyTile]) -> None:
    """One bordered tile of headline numbers per currency."""
    for tile in tiles:
        with st.container(border=True, key=f"tile_{tile.currency}"):
            # The currency is the tile's heading, so the amounts fit without their code.
            st.markdown(f"#### {md_escape(tile.title)}")  # the currency came in a webhook
            # The volume gets the widest column: a busy team's is a long number.
            c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
            exact = tile.volume_exact
            c1.metric(_("Successful volume"), tile.volume_short, help=exact)
            if exact:  # shown compact ("407.9M"): the exact figure, readable on a phone too
                c1.caption(_("Exactly {amount}").format(amount=exact))
            c2.metric(_("Successful payments"), format_number(tile.successful))
            c3.metric(_("Failed"), format_number(tile.failed))
            c4.metric(_("Success rate"), tile.rate_text)


def volume_and_status_charts(report: dict[str, pd.DataFrame], first: date, last: date) -> None:
    """Volume per day from `first` to `last` (a chart per currency) beside the mix of
    payment statuses."""
    left, right = st.columns(2)
    with left:
        st.markdown("##### " + _("Volume per day"))
        daily = payments_report.daily_volume_frame(report["daily"], first, last)
        if daily.empty:
            st.caption(_("No successful payment yet."))
        for _currency, part in payments_report.by_currency(daily):
            chart(
                payments_report.daily_volume_chart(part, first, last),
                payments_report.daily_summary(part),
            )
    with right:
        st.markdown("##### " + _("Status mix"))
        mix = payments_report.status_mix_frame(report["by_status"])
        chart(payments_report.status_mix_chart(mix), payments_report.status_summary(mix))


def top_charts(by_link: pd.DataFrame, links: pd.DataFrame) -> None:
    """The best-paid links and templates side by side, a chart per currency."""
    for column, (title, frame, label, none) in zip(
        st.columns(2),
        (
            (
                _("Top links"),
                payments_report.top_links_frame(by_link, links, n=5),
                _("Link"),
                _("No paid link yet."),
            ),
            (
                _("Top templates"),
                payments_report.top_templates_frame(by_link, links, n=5),
                _("Template"),
                _("No paid template yet."),
            ),
        ),
        strict=True,
    ):
        with column:
            st.markdown(f"##### {title}")
            if frame.empty:
                st.caption(none)
            for _currency, part in payments_report.by_currency(frame):
                chart(payments_report.top_chart(part, label), payments_report.top_summary(part))


def _page_cursor(key: str) -> list:
    """The keyset cursors of the pages before the one shown (one list per period)."""
    if st.session_state.get("pay_page_key") != key:
        st.session_state["pay_page_key"] = key
        st.session_state["pay_cursors"] = []
    return st.session_state["pay_cursors"]


def payments_list(
    ctx: PageContext,
    links: pd.DataFrame,
    days: tuple[date, date],
    bounds: tuple,
    marker: int,
    count: int,
) -> None:
    """A page of the period's payments, newest first, with paging; the whole period as a
    CSV download, written only when asked for."""
    (first, last), (start, end) = days, bounds
    st.markdown("##### " + _("All payments"))
    cursors = _page_cursor(f"{ctx.team_id}/{start.isoformat()}/{end.isoformat()}")
    before = cursors[-1] if cursors else None
    try:
        page = cached_reads.payments_page(ctx.team_id, start, end, marker, PAGE_ROWS, before)
    except Exception as exc:
        eventlog_problem(exc, what=_("Payments"), retrying=True)
        return
    team, tz, language = ctx.team_id, ctx.tz, current_language()
    st.download_button(
        _("Download CSV"),
        data=lambda: cached_reads.payments_csv(team, start, end, tz, language),
        on_click=audit_trail.exported(
            "payments", team=ctx.team_id, first=str(first), last=str(last)
        ),
        file_name=f"payments-team-{ctx.team_id}-{first:%Y%m%d}-{last:%Y%m%d}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    table = payments_report.payments_table(page, links, ctx.tz)
    table = _flag_void(table, paid_after_void(page, customer_view.team_voids(ctx.team_id)))
    # A display-only table has no key of its own in Streamlit: its container names it.
    table, occurred = date_column(table, "occurred", _("When"))
    st.container(key="payments_table").dataframe(
        table,
        hide_index=True,
        column_config={
            "occurred": occurred,
            "link_id": st.column_config.NumberColumn(_("Link"), format="%d"),
            "link": _("Link name"),
            "payment_id": _("Payment"),
            "status": _("Status"),
            "amount_text": _("Amount"),
            "currency": _("Cur."),
            "flag": _("Note"),
        },
    )
    _pager(page, cursors, count)


def _flag_void(table: pd.DataFrame, flagged: set[str]) -> pd.DataFrame:
    """The payments table with a Note column for the payments of `flagged` (made on a link
    after it was voided), and a warning above it saying what to do."""
    if not flagged:
        return table
    hit = table["payment_id"].astype(str).isin(flagged)
    st.warning(
        ngettext(
            "{n} payment on this page was made on a void link.",
            "{n} payments on this page were made on void links.",
            int(hit.sum()),
        ).format(n=int(hit.sum()))
        + " "
        + _(PAID_AFTER_VOID),
        icon=":material/block:",
    )
    return table.assign(flag=[_("Paid after void") if h else "" for h in hit])


def _pager(page: pd.DataFrame, cursors: list, count: int) -> None:
    """Which payments of `count` are shown, and the Newer and Older buttons (`cursors`: the
    keyset cursors of the pages before this one)."""
    shown_from = len(cursors) * PAGE_ROWS + 1
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="center")
    c1.caption(
        _("Payments {first}–{last} of {total}, newest first").format(
            first=format_number(shown_from),
            last=format_number(shown_from + len(page) - 1),
            total=format_number(count),
        )
    )
    if c2.button(_("Newer"), key="pay_newer", disabled=not cursors, icon=":material/chevron_left:"):
        cursors.pop()
        st.rerun()
    older = len(page) == PAGE_ROWS and shown_from + len(page) - 1 < count
    if c3.button(_("Older"), key="pay_older", disabled=not older, icon=":material/chevron_right:"):
        last_row = page.iloc[-1]
        cursors.append((last_row.occurred_at.to_pydatetime(), str(last_row.payment_id)))
        st.rerun()
