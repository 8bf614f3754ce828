"""The Audit log page (admins): who did what in the console, when and from where, with
filters by person, kind and period, and its CSV. The rows are written by
`linksplus.ui.audit_trail` into the workspace's activity log (`linksplus.workspace.activity`);
this is not the Webhook log's delivery audit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from linksplus.console.csv_export import frame_csv
from linksplus.console.timezones import day_bounds, local_iso, zone
from linksplus.i18n import _, current_language, date_cells, format_number, translations
from linksplus.ui import audit_trail
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import labels, period_picker
from linksplus.ui.workspace_data import workspace
from linksplus.workspace import activity

SHOWN = 500  # rows on the page at first; Show more adds as many again
CSV_MAX = 100_000  # rows in one download at most
_LIMIT = "audit_limit"


def render(ctx: PageContext) -> None:
    """The page: filters, the newest matching rows, and Download CSV."""
    st.title(_("Audit log"))
    days = ctx.settings.audit_keep_days or activity.DEFAULT_KEEP_DAYS
    st.caption(
        _(
            "Who did what in the console, when and from which address: logins, links made, "
            "uploads, settings, reconciliations and downloads. Rows are kept {days} days "
            "(the audit_days setting). Never a password or a key."
        ).format(days=format_number(days))
    )
    try:
        engine = workspace(ctx.settings).engine
        people = activity.people(engine)
    except Exception as exc:  # the records cannot be opened: said, not raised
        st.error(_("The audit log could not be read ({error}).").format(error=type(exc).__name__))
        return
    filters = _filters(ctx, people)
    limit = st.session_state.get(_LIMIT, SHOWN)
    entries = activity.query(engine, **filters, limit=limit + 1)
    if not entries:
        st.info(_("Nothing recorded matches these filters."), icon=":material/manage_search:")
        return
    _download(engine, filters, ctx.tz)
    more = len(entries) > limit
    entries = entries[:limit]
    st.container(key="audit_table").dataframe(
        display_frame(entries, ctx.tz), hide_index=True, use_container_width=True
    )
    if more:
        st.caption(_("The newest {n} rows are shown.").format(n=format_number(limit)))
        if st.button(_("Show more"), key="audit_more"):
            st.session_state[_LIMIT] = limit + SHOWN
            st.rerun()


def _filters(ctx: PageContext, people: Sequence[str]) -> dict[str, Any]:
    """The filters' widgets, as `activity.query`'s keyword arguments."""
    left, right = st.columns(2)
    person = left.selectbox(
        _("Person"),
        ["", *people],
        key="audit_person",
        format_func=lambda p: p or _("Everyone"),
    )
    kinds = right.multiselect(
        _("Kind"),
        list(activity.KINDS),
        key="audit_kinds",
        format_func=labels(activity.KINDS, lambda k: _(activity.LABELS[k])),
        placeholder=_("Every kind"),
    )
    first, last = period_picker(ctx.tz, key="audit_period", dates_key="audit_dates")
    since, until = day_bounds(first, last, ctx.tz)
    return {
        "usernames": [person] if person else None,
        "actions": kinds or None,
        "since": since,
        "until": until,
    }


def detail_text(detail: dict[str, Any]) -> str:
    """A row's detail as one line: "link: 123 · team: 101 · how: form"."""
    parts = []
    for name, value in sorted(detail.items()):
        shown = " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(f"{name}: {shown}")
    return " · ".join(parts)


def display_frame(entries: Sequence[activity.Entry], tz: str) -> pd.DataFrame:
    """The page's table: time in the viewer's timezone, person, kind, address, detail."""
    moments = pd.Series([e.at for e in entries], dtype="datetime64[ns, UTC]")
    local = moments.dt.tz_convert(zone(tz)).dt.tz_localize(None)
    return pd.DataFrame(
        {
            _("Time"): date_cells(local, time="HH:mm:ss"),
            _("Person"): [e.username for e in entries],
            _("Kind"): [_(activity.LABELS.get(e.action, e.action)) for e in entries],
            _("Address"): [e.address or "" for e in entries],
            _("Details"): [detail_text(e.detail) for e in entries],
        }
    )


def csv_bytes(engine: Engine, filters: dict[str, Any], tz: str, language: str) -> bytes:
    """Every row that matches `filters` (up to CSV_MAX) as a neutralised CSV, times in ISO
    8601 in `tz`, headers and kinds in `language` (written when clicked, outside the run)."""
    words = translations(language)
    entries = activity.query(engine, **filters, limit=CSV_MAX)
    frame = pd.DataFrame(
        {
            words.gettext("Time"): local_iso(pd.Series([e.at for e in entries], dtype=object), tz),
            words.gettext("Person"): [e.username for e in entries],
            words.gettext("Kind"): [
                words.gettext(activity.LABELS.get(e.action, e.action)) for e in entries
            ],
            "action": [e.action for e in entries],
            words.gettext("Address"): [e.address or "" for e in entries],
            words.gettext("Details"): [detail_text(e.detail) for e in entries],
        }
    )
    return frame_csv(frame)


def _download(engine: Engine, filters: dict[str, Any], tz: str) -> None:
    language = current_language()
    st.download_button(
        _("Download CSV"),
        # Made with the page, as every other CSV of the console: a deferred file (a callable)
        # left Chromium's button disabled now and then in the browser test.
        data=csv_bytes(engine, filters, tz, language),
        on_click=audit_trail.exported("audit log"),
        file_name="audit-log.csv",
        mime="text/csv",
        icon=":material/download:",
        key="audit_csv",
    )
