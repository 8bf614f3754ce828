"""The Webhook log page (admins): every delivery the receiver saw, and the reconciliation."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from linksplus.console.csv_export import frame_csv
from linksplus.console.timezones import local_iso
from linksplus.eventlog import NOT_COUNTED, OUTCOMES, audit
from linksplus.i18n import N_, _, current_language, format_number
from linksplus.ui import audit_trail, cached_reads, reconcile_view
from linksplus.ui.context import PageContext
from linksplus.ui.deliveries_table import deliveries_table
from linksplus.ui.widgets import eventlog_problem, labels

SHOWN = 500
NOT_COUNTED_LABEL = N_("Not counted")
# The outcome filter's values stay English (the code compares them); shown translated.
OUTCOME_WORDS = (N_("All"), N_("Accepted"), N_("Duplicate"), N_("Rejected"))


def webhook_log(ctx: PageContext) -> None:
    """Every webhook delivery the receiver saw: accepted, duplicate or rejected, and why."""
    st.title(_("Webhook log"))
    st.caption(
        _(
            "Each delivery Links+ made to our receiver. A payment reaches us up to three "
            "times (system, dashboard and custom webhooks); it is counted once, the rest "
            "are marked duplicate. Every well-formed delivery is kept; one that is not surely "
            "a payment (another event, an unknown currency, a zero amount, a date in the "
            'future) is marked "stored, not counted" with the reason, and reports leave it out.'
        )
    )
    _deliveries(ctx)
    reconcile_view.reconcile_panel(ctx)


@st.fragment(run_every=5)
def _deliveries(ctx: PageContext) -> None:
    try:
        counts = cached_reads.delivery_counts()  # over the whole log, counted in SQL
        frame = cached_reads.deliveries(SHOWN)
    except Exception as exc:
        eventlog_problem(exc, what=_("The webhook log"), retrying=True)
        return
    total = sum(counts.values())
    _outcome_metrics(counts, total)
    if frame.empty:
        st.info(_("No webhook has arrived yet."), icon=":material/webhook:")
        return
    pick = _outcome_picker()
    if total > len(frame):
        st.caption(
            _("The table lists the latest {shown} of {total} deliveries.").format(
                shown=format_number(len(frame)), total=format_number(total)
            )
        )
    # No reason (accepted, duplicate) is an empty cell, not "None".
    frame = frame.assign(reason=frame["reason"].fillna(""))
    view = _outcome_rows(frame, pick)
    language, tz = current_language(), ctx.tz
    st.download_button(
        _("Download CSV"),
        # Payment ids, events and reasons came from outside: neutralised.
        data=lambda: frame_csv(
            view.assign(received_at=local_iso(view["received_at"], tz)), language
        ),
        on_click=audit_trail.exported("webhook deliveries"),
        file_name="webhook-deliveries.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    deliveries_table(worded_deliveries(view), key="deliveries_table", tz=ctx.tz)


def worded_deliveries(frame: pd.DataFrame) -> pd.DataFrame:
    """The deliveries as the table shows them: the outcome in the reader's language, and
    the stored ``remote`` ("203.0.113.9 via system") as the address and the webhook it came
    through, that one worded too (the CSV keeps the stored values)."""
    outcomes = {o: _(o.title()) for o in OUTCOMES}
    sources = {"system": _("System"), "dashboard": _("Dashboard"), "custom": _("Custom")}
    out = frame.assign(outcome=frame["outcome"].map(lambda o: outcomes.get(o, o)))
    if "remote" in out.columns:
        split = [audit.split_remote(r) for r in out["remote"]]
        out = out.drop(columns="remote").assign(
            address=[a or "" for a, _s in split],
            source=[sources.get(s, "") if s else "" for _a, s in split],
        )
    return out


def _outcome_metrics(counts: dict[str, int], total: int) -> None:
    cols = st.columns(len(OUTCOMES) + 1)
    cols[0].metric(_("Deliveries"), format_number(total))
    for col, outcome in zip(cols[1:], OUTCOMES, strict=True):
        col.metric(_(outcome.title()), format_number(counts.get(outcome, 0)))


def _outcome_picker() -> str:
    """The outcome the table shows: "All", an outcome's title, or NOT_COUNTED_LABEL."""
    options = ["All", *[o.title() for o in OUTCOMES], NOT_COUNTED_LABEL]
    pick = st.segmented_control(
        _("Show"), options, default="All", key="wh_outcome", format_func=labels(options)
    )
    return pick or "All"


def _outcome_rows(frame: pd.DataFrame, pick: str) -> pd.DataFrame:
    """The rows of `frame` with the outcome `pick`; says how many were stored, not counted."""
    not_counted = (frame["outcome"] == "accepted") & frame["reason"].str.startswith(NOT_COUNTED)
    if not_counted.any():
        st.caption(
            _(
                "{n} of the deliveries listed were stored, not counted: the Payments page "
                "leaves them out."
            ).format(n=format_number(int(not_counted.sum())))
        )
    if pick == "All":
        return frame
    if pick == NOT_COUNTED_LABEL:
        return frame[not_counted]
    return frame[frame["outcome"] == pick.lower()]
