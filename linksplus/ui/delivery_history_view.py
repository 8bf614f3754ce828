"""A link's delivery history, for admins, in the link's detail on the Links page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from linksplus.console.users import effective_role
from linksplus.eventlog import EventLog, audit
from linksplus.i18n import _
from linksplus.ui import cached_reads
from linksplus.ui.cached import cached_loader
from linksplus.ui.context import PageContext
from linksplus.ui.deliveries_table import deliveries_table
from linksplus.ui.widgets import eventlog_problem

HISTORY_TTL = 5


def _outcomes() -> dict[str, str]:
    return {"accepted": _("Accepted"), "duplicate": _("Duplicate"), "rejected": _("Refused")}


def _sources() -> dict[str | None, str]:
    return {
        "system": _("System"),
        "dashboard": _("Dashboard"),
        "custom": _("Custom"),
        None: _("Not known"),
    }


@cached_loader(ttl=HISTORY_TTL, max_entries=32, depends_on=(cached_reads.EVENTLOG,))
def _history(link_id: int, *, eventlog_url: str, _log: EventLog) -> list[audit.Delivery]:
    return audit.link_deliveries(_log, link_id)


def delivery_history(ctx: PageContext, row: dict) -> None:
    """Every delivery of this link's payments (admins only): accepted, duplicate or refused
    with the reason, and which webhook it came from where that is known."""
    if effective_role(ctx.user.roles) != "admin":
        return
    st.markdown("##### " + _("Webhook deliveries"))
    try:
        rows = _history(int(row["id"]))
    except Exception as exc:
        eventlog_problem(exc, what=_("The delivery history"))
        return
    st.caption(
        _(
            "Which webhook a delivery came from is known when each webhook is pointed at "
            "its own address on the receiver (/webhooks/linksplus/system, /dashboard or "
            "/custom). A refused delivery whose link could not be read belongs to no link: "
            "it is only in the Webhook log."
        )
    )
    if not rows:
        st.caption(_("No webhook delivery for this link yet."))
        return
    outcomes, sources = _outcomes(), _sources()
    frame = pd.DataFrame(
        [
            {
                "received_at": r.received_at,
                "outcome": outcomes.get(r.outcome, r.outcome),
                "reason": r.reason or "",
                "payment_id": r.payment_id or "",
                "source": sources[r.source],
                "address": r.address or "",
            }
            for r in rows
        ]
    )
    deliveries_table(frame, key="delivery_history_table", tz=ctx.tz)
