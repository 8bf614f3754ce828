"""Reconciliation for admins: *Check now* on the Webhook log page, its count on Settings.

The check runs in a background thread (it lists every link of every team through the API):
the page stays usable, and a fragment that reruns every few seconds shows that it is
running, then its result. The result is kept in the event log's database
(`linksplus.eventlog.audit`), so Settings and every admin see the last one.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import pandas as pd
import streamlit as st

from linksplus.console import reconcile
from linksplus.console.users import WEBHOOKS
from linksplus.errors import LinksPlusError
from linksplus.i18n import _, format_number, ngettext
from linksplus.ui import audit_trail, cached_reads
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import eventlog_problem, nav_page, show_error
from linksplus.workspace import activity

# One check at a time per app process: each lists every team's links.
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reconcile")
_JOB = "recon_job"
_DONE = "recon_done"
TICK_SECONDS = 2


def _start(ctx: PageContext) -> None:
    """Start a check of every team the admin sees, in the background."""
    st.session_state.pop(_DONE, None)
    try:
        client, log = cached_reads.client(ctx.settings), cached_reads.eventlog()
    except Exception as exc:  # the log cannot be opened: said in the panel, not raised
        st.session_state[_DONE] = exc
        return
    teams, who = list(ctx.teams), ctx.user.username
    st.session_state[_JOB] = _POOL.submit(reconcile.reconcile, client, log, teams, checked_by=who)
    audit_trail.note(activity.RECONCILIATION_RUN, teams=teams)


def reconcile_panel(ctx: PageContext) -> None:
    """The Webhook log's reconciliation: Check now, then each difference with what to do."""
    st.subheader(_("Do the numbers agree?"))
    st.caption(
        _(
            "Check now compares what Links+ says with what the webhooks said, for every "
            "team you see: links Links+ marks paid with no successful payment in the log "
            "(a missed webhook), payments in the log for links Links+ does not know, and "
            "payments whose amount or currency is not the link's. It runs in the background; "
            "the rest of the page stays usable."
        )
    )
    _panel(ctx)


@st.fragment(run_every=TICK_SECONDS)
def _panel(ctx: PageContext) -> None:
    job: Future | None = st.session_state.get(_JOB)
    if job is not None and job.done():
        del st.session_state[_JOB]
        st.session_state[_DONE] = job.exception()
        job = None
    running = job is not None
    # A callback: it runs before the fragment draws again, so the button is off at once.
    st.button(
        _("Check now"),
        key="recon_check",
        icon=":material/fact_check:",
        disabled=running or not ctx.teams,
        on_click=_start,
        args=(ctx,),
    )
    if not ctx.teams:
        st.info(_("There is no team to check."), icon=":material/group_off:")
        return
    if running:
        st.status(
            ngettext(
                "Checking {count} team's links against the event log. The result appears "
                "here by itself.",
                "Checking {count} teams' links against the event log. The result appears "
                "here by itself.",
                len(ctx.teams),
            ).format(count=format_number(len(ctx.teams))),
            state="running",
        )
    failed = st.session_state.get(_DONE)
    if isinstance(failed, LinksPlusError):
        show_error(failed, what=_("The check could not read the links from Links+."))
    elif failed is not None:  # the event log's trouble: the last check cannot be read either
        eventlog_problem(failed, what=_("The check"))
        return
    try:
        last = reconcile.last_check(cached_reads.eventlog())
    except Exception as exc:
        eventlog_problem(exc, what=_("The last check"), retrying=True)
        return
    show_result(last, ctx)


def show_result(result: reconcile.Reconciliation | None, ctx: PageContext) -> None:
    """A check's summary and its differences, one row each with what to do."""
    if result is None:
        st.caption(reconcile.summary(None))
        return
    box = st.warning if result.total else st.success
    box(reconcile.summary(result, ctx.tz), icon=":material/fact_check:")
    st.caption(
        _("{links} links of {teams} teams and {payments} payments compared.").format(
            links=format_number(result.links),
            teams=format_number(len(result.teams)),
            payments=format_number(result.payments),
        )
    )
    if result.unconfirmed:
        st.caption(
            ngettext(
                "{count} link id in the log is in no team checked and could not be looked "
                "up in Links+: it is not listed as unknown. Check again later.",
                "{count} link ids in the log are in no team checked and could not be looked "
                "up in Links+: they are not listed as unknown. Check again later.",
                result.unconfirmed,
            ).format(count=format_number(result.unconfirmed))
        )
    if not result.differences:
        return
    if result.more:
        st.caption(
            _("The table lists the first {shown} of {total} differences.").format(
                shown=format_number(len(result.differences)), total=format_number(result.total)
            )
        )
    frame = pd.DataFrame(
        [
            {
                "kind": reconcile.kind_label(d.kind),
                "team": ctx.teams.get(d.team_id, "—") if d.team_id is not None else "—",
                "link_id": d.link_id,
                "payment_id": d.payment_id or "",
                "links_plus": reconcile.links_plus_side(d),
                "event_log": reconcile.log_side(d),
                "what_to_do": reconcile.what_to_do(d),
            }
            for d in result.differences
        ]
    )
    # A display-only table has no key of its own in Streamlit: its container names it.
    st.container(key="recon_table").dataframe(
        frame,
        hide_index=True,
        column_config={
            "kind": _("Difference"),
            "team": _("Team"),
            "link_id": st.column_config.NumberColumn(_("Link"), format="%d"),
            "payment_id": _("Payment"),
            "links_plus": _("Links+ says"),
            "event_log": _("Event log says"),
            "what_to_do": st.column_config.TextColumn(_("What to do"), width="large"),
        },
    )


def settings_summary(ctx: PageContext) -> None:
    """Settings' line about the last check: how many differences, when, and a link to the
    Webhook log where they are listed."""
    st.subheader(_("Reconciliation"))
    try:
        last = reconcile.last_check(cached_reads.eventlog())
    except Exception as exc:
        eventlog_problem(exc, what=_("The last reconciliation"))
        return
    text = reconcile.summary(last, ctx.tz)
    if last is not None and last.total:
        st.warning(text, icon=":material/fact_check:")
    else:
        st.info(text, icon=":material/fact_check:")
    st.page_link(nav_page(WEBHOOKS), label=_("Open Webhook log"), icon=":material/webhook:")
