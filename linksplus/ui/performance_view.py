"""The Team performance page: per salesperson for a period (table, CSV, charts), time to pay,
conversion by template, and Still owed (unpaid single-use links by age).

Managers and admins see everyone of the team; sales staff only their own row and links:
their figures are computed from their own links alone, whatever the address asks for.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st

from linksplus.console import aging
from linksplus.console import performance as perf
from linksplus.console import users as u
from linksplus.console.timezones import day_bounds
from linksplus.errors import LinksPlusError
from linksplus.eventlog import EventLog
from linksplus.i18n import _, format_date, format_number
from linksplus.money import CURRENCIES, format_amount
from linksplus.ui import audit_trail, cached_reads, customer_view
from linksplus.ui.auth import users as users_file
from linksplus.ui.cached import cached_loader
from linksplus.ui.charts import chart
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import (
    eventlog_problem,
    labels,
    md_escape,
    nav_page,
    period_picker,
    show_error,
)
from linksplus.ui.workspace_data import WorkspaceUnavailable
from linksplus.ui.workspace_data import owners as owners_of
from linksplus.workspace import OUTSIDE

# Links made in the last 7, 30 or 90 days, or between two dates.
PERIODS = ("7", "30", "90", "custom")
EVERYONE = ""
OWED_SHOWN = 200


def _is_manager(ctx: PageContext) -> bool:
    return u.effective_role(ctx.user.roles) in ("manager", "admin")


# -- loaders -------------------------------------------------------------------------------


# The ids' digest in the key says which links; the ids themselves go unhashed.
@cached_loader(ttl=cached_reads.REPORT_TTL, max_entries=32, depends_on=(cached_reads.EVENTLOG,))
def _paid(
    team_id: int,
    marker: int,
    ids_key: str,
    _ids: tuple[int, ...],
    *,
    eventlog_url: str,
    _log: EventLog,
) -> pd.DataFrame:
    return perf.paid_by_link(_log, _ids)


def paid_by_link(team_id: int, ids) -> pd.DataFrame:
    """Per link of the team: successful payments, amount and first time (one SQL GROUP BY,
    computed again only once one of the team's payments changed)."""
    ids = tuple(int(i) for i in ids)
    key = hashlib.sha1(repr(ids).encode()).hexdigest()
    marker = cached_reads.team_changes(team_id)
    return _paid(int(team_id), marker, key, ids)


def _people(ctx: PageContext) -> tuple[dict[str, str], dict[str, str]]:
    """The team's salespeople and every user's name, both username -> name."""
    try:
        everyone = list(users_file(ctx.settings).values())
    except Exception:  # the users file is read at login; a names list is a nicety here
        return {}, {}
    return perf.team_members(everyone, ctx.team_id), {p.username: p.name for p in everyone}


def _owners(ctx: PageContext) -> pd.DataFrame:
    try:
        return owners_of(ctx.team_id)
    except WorkspaceUnavailable as exc:
        st.caption(f":material/info: {md_escape(exc)}")  # may quote a database error
        return pd.DataFrame({"link_id": pd.Series(dtype="int64"), "made_by": []})


# -- the page ------------------------------------------------------------------------------


def render(ctx: PageContext) -> None:
    """The whole page for `ctx.team_id`."""
    st.title(_("Team performance"))
    manager = _is_manager(ctx)
    only = None if manager else ctx.user.username
    st.caption(
        (
            _("Payment links of **{team}** made in the period, per salesperson.")
            if manager
            else _("Your payment links in **{team}** made in the period.")
        ).format(team=md_escape(ctx.team_name))
        + " "
        + _(
            "A link counts as paid once it has a successful payment, even one after the "
            "period; each currency is counted on its own."
        )
    )
    _own_rows_only(ctx)
    try:
        links = cached_reads.links_table(ctx.team_id)
    except LinksPlusError as exc:
        show_error(exc, what=_("The team's links could not be loaded."))
        st.stop()
    owners = _owners(ctx)
    members, names = _people(ctx)
    first, last = period_picker(ctx.tz, key="perf_period", dates_key="perf_dates", options=PERIODS)
    start, end = day_bounds(first, last, ctx.tz)
    try:
        paid = paid_by_link(ctx.team_id, links["id"])
    except Exception as exc:
        eventlog_problem(exc, what=_("Payments"))
        return
    figures = perf.team_performance(
        links, owners, paid, start, end, members, only=only, names=names
    )
    if figures.empty:
        st.info(
            _("No link was made between {first} and {last}.").format(
                first=format_date(first), last=format_date(last)
            ),
            icon=":material/event_busy:",
        )
    _table(ctx, figures, first, last)
    if not figures.empty:
        _charts(figures)
    st.divider()
    still_owed(ctx, links, paid, owners, members, names, only)


def _own_rows_only(ctx: PageContext) -> None:
    """Sales staff asking the address for someone else's links are told they see theirs."""
    wanted = st.query_params.get("who")
    if not _is_manager(ctx) and wanted and wanted != ctx.user.username:
        st.info(
            _("You can see only your own links here."),
            icon=":material/lock_person:",
        )
        del st.query_params["who"]


def _table(ctx: PageContext, figures: perf.Performance, first: date, last: date) -> None:
    options = perf.sort_options(figures.currencies)
    if st.session_state.get("perf_sort") not in options:
        st.session_state["perf_sort"] = "made"
    c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    by = c1.selectbox(_("Sort by"), list(options), format_func=options.get, key="perf_sort")
    table = perf.sort_table(figures.table, by)
    c2.download_button(
        _("Download CSV"),
        data=perf.table_csv(table, figures.currencies),
        on_click=audit_trail.exported(
            "team performance", team=ctx.team_id, first=str(first), last=str(last)
        ),
        file_name=f"team-performance-{ctx.team_id}-{first:%Y%m%d}-{last:%Y%m%d}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    # A display-only table has no key of its own in Streamlit: its container names it.
    shown = perf.shown_table(table, figures.currencies)
    st.container(key="perf_table").dataframe(
        shown, hide_index=True, column_config=perf.shown_widths(shown)
    )


def _charts(figures: perf.Performance) -> None:
    if figures.currencies:
        st.markdown("##### " + _("Paid volume per salesperson"))
        cols = st.columns(min(len(figures.currencies), 3))
        for i, cur in enumerate(figures.currencies):
            with cols[i % len(cols)]:
                chart(
                    perf.volume_chart(figures.volume, cur), perf.volume_summary(figures.volume, cur)
                )
    left, right = st.columns(2)
    with left:
        st.markdown("##### " + _("Time to pay"))
        if figures.times.empty:
            st.caption(_("No link made in this period is paid yet."))
        else:
            chart(perf.time_to_pay_chart(figures.times), perf.time_to_pay_summary(figures.times))
    with right:
        st.markdown("##### " + _("Conversion by template"))
        chart(perf.template_chart(figures.templates), perf.template_summary(figures.templates))


# -- Still owed ----------------------------------------------------------------------------


def still_owed(
    ctx: PageContext,
    links: pd.DataFrame,
    paid: pd.DataFrame,
    owners: pd.DataFrame,
    members: dict[str, str],
    names: dict[str, str],
    only: str | None,
) -> None:
    """Unpaid single-use links by age bucket and salesperson, amounts per currency; a
    bucket chosen lists its links. `paid`: `paid_by_link` of the team's `links`."""
    st.subheader(_("Still owed"))
    st.caption(
        _(
            "Single-use links still active and not paid, by days since they were made. "
            "Amounts are listed per currency, never added together."
        )
    )
    now = datetime.now(UTC)
    void = customer_view.team_voided(ctx.team_id)  # a void link is owed to nobody
    owed = aging.owed_links(aging.with_paid_counts(links, paid), owners, now, void)
    if only is not None:
        owed = owed[owed["made_by"] == only]
        members = {only: ctx.user.name}
    names = {**names, **members, OUTSIDE: _("Made outside the console")}
    grid = aging.matrix(aging.unpaid_by_age(owed, members), names)
    st.container(key="owed_table").dataframe(
        grid, hide_index=True, column_order=[c for c in grid.columns if c != "username"]
    )
    if owed.empty:
        st.info(
            _("Nothing is owed: every single-use link is paid, expired or disabled."),
            icon=":material/task_alt:",
        )
        return
    _owed_links(ctx, owed, names, only)


def _owed_links(
    ctx: PageContext, owed: pd.DataFrame, names: dict[str, str], only: str | None
) -> None:
    bucket, who = _owed_choice(owed, names, only)
    if not bucket:
        st.caption(":material/touch_app: " + _("Choose an age to see its links."))
        return
    rows = owed[owed["bucket"] == bucket]
    if who:
        rows = rows[rows["made_by"] == who]
    if rows.empty:
        st.caption(_("No link is owed in this bucket."))
        return
    _owed_table(ctx, rows, names)
    query = {"team": str(ctx.team_id), "view": "team" if only is None else "mine", "age": bucket}
    if who and only is None:
        query["by"] = who
    st.page_link(
        nav_page(u.LINKS),
        label=_("Open them on the Links page"),
        icon=":material/link:",
        query_params=query,
    )


def _owed_choice(
    owed: pd.DataFrame, names: dict[str, str], only: str | None
) -> tuple[str | None, str | None]:
    """The age bucket and the salesperson (None: everyone) whose owed links to list, as
    picked (first from the address), and kept in the address."""
    s = st.session_state
    if "owed_bucket" not in s:  # once per visit: the address
        s["owed_bucket"] = aging.parse_bucket(st.query_params.get("owed"))
        who = st.query_params.get("who") or EVERYONE
        s["owed_who"] = who if only is None else only
    counts = owed["bucket"].value_counts()
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    bucket = c1.segmented_control(
        _("Show the links made"),
        list(aging.BUCKETS),
        key="owed_bucket",
        format_func=labels(
            aging.BUCKETS,
            lambda k: f"{aging.bucket_label(k)} ({format_number(int(counts.get(k, 0)))})",
        ),
    )
    who = only
    if only is None:
        people = [EVERYONE, *dict.fromkeys(owed["made_by"])]
        if s.get("owed_who") not in people:
            s["owed_who"] = EVERYONE
        who = (
            c2.selectbox(
                _("Salesperson"),
                people,
                key="owed_who",
                format_func=labels(
                    people, lambda p: _("Everyone") if p == EVERYONE else names.get(p, p)
                ),
            )
            or None
        )
    _sync_url(bucket, who if only is None else None)
    return bucket, who


def _owed_table(ctx: PageContext, rows: pd.DataFrame, names: dict[str, str]) -> None:
    """The oldest OWED_SHOWN of the owed links `rows`."""
    shown = pd.DataFrame(
        {
            _("Link"): rows["id"],
            _("Name"): rows["name"],
            _("Made by"): [names.get(m, m) for m in rows["made_by"]],
            _("Amount"): [
                format_amount(int(a), c, code=True) if c in CURRENCIES else str(a)
                for a, c in zip(rows["amount"], rows["currency"], strict=True)
            ],
            _("Days"): rows["age_days"],
            _("Made on"): [format_date(t.tz_convert(ctx.tz)) for t in rows["created_at"]],
            _("Payment URL"): rows["payment_url"],
        }
    ).head(OWED_SHOWN)
    st.container(key="owed_links").dataframe(
        shown,
        hide_index=True,
        column_config={
            _("Link"): st.column_config.NumberColumn(format="%d", width="small"),
            _("Payment URL"): st.column_config.LinkColumn(display_text="Open ↗"),
        },
    )
    if len(rows) > OWED_SHOWN:
        st.caption(
            _("The oldest {shown} of {count} links.").format(
                shown=OWED_SHOWN, count=format_number(len(rows))
            )
        )


def _sync_url(bucket: str | None, who: str | None) -> None:
    params = st.query_params
    for key, value in (("owed", bucket), ("who", who)):
        if value and params.get(key) != value:
            params[key] = value
        elif not value and key in params:
            del params[key]
