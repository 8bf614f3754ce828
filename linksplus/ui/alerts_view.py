"""My settings: each user's own alerts when their links are paid (email, LINE, the team)."""

from __future__ import annotations

from datetime import time
from zoneinfo import available_timezones

import streamlit as st

from linksplus.console.users import effective_role
from linksplus.i18n import _
from linksplus.notify.digest import (
    DigestPrefs,
    DigestPrefsError,
    digest_prefs_of,
    save_digest_prefs,
)
from linksplus.notify.people import TEAM_ROLES
from linksplus.notify.prefs import PrefsError, save_alert_prefs
from linksplus.ui import audit_trail
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import md_escape
from linksplus.ui.workspace_data import WorkspaceUnavailable, workspace
from linksplus.workspace import activity


def render(ctx: PageContext) -> None:
    """The page: the user's alert switches in one form, saved together."""
    st.title(_("My settings"))
    st.subheader(_("Alerts when my links are paid"))
    try:
        ws = workspace()
        prefs = ws.alert_prefs(ctx.user.username)
    except WorkspaceUnavailable as exc:
        st.error(md_escape(str(exc)))
        return
    except Exception as exc:  # the database went away
        st.error(
            _("Your alert settings could not be read ({error}).").format(error=type(exc).__name__)
        )
        return
    email, settings = ctx.user.email, ctx.settings
    _channel_notes(email, bool(settings.smtp_url), bool(settings.line_channel_token))
    manager = effective_role(ctx.user.roles) in TEAM_ROLES
    # The widgets take their first values from the stored choices once per session, by
    # key: a `value=` that changed after a save would make them new widgets, whose
    # submitted values Streamlit then drops.
    state = st.session_state
    state.setdefault("alerts_email", prefs.email_on is not False)
    state.setdefault("alerts_line", prefs.line_user_id or "")
    state.setdefault("alerts_team", prefs.team_alerts)
    with st.form("alerts"):
        email_on = st.toggle(
            _("Email me when a link of mine is paid"), key="alerts_email", disabled=not email
        )
        line_id = st.text_input(
            _("My LINE user id (alerts by LINE)"),
            key="alerts_line",
            placeholder="U0123456789abcdef0123456789abcdef",
            help=_("Leave it empty for no LINE alerts."),
        )
        team = False
        if manager:
            team = st.toggle(_("Also alert me of every payment in my teams"), key="alerts_team")
        saved = st.form_submit_button(_("Save"), type="primary")
    if saved:
        try:
            save_alert_prefs(
                ws,
                ctx.user.username,
                email_on=email_on,
                line_user_id=line_id,
                team_alerts=team,
                roles=ctx.user.roles,
            )
        except PrefsError as exc:
            st.error(md_escape(str(exc)))
        else:
            audit_trail.note(activity.SETTINGS_CHANGED, what="my alerts")
            st.success(_("Saved. Alerts follow these settings from the next payment."))
    if manager:
        _digest(ctx, ws)


def _digest(ctx: PageContext, ws) -> None:
    """A manager's daily digest: on or off, the time of day and the timezone."""
    st.subheader(_("Daily digest by email"))
    st.caption(
        _(
            "Yesterday's payments per currency, links paid per salesperson, what is still "
            "owed and the last reconciliation, every morning."
        )
    )
    chosen = digest_prefs_of(ws, ctx.user.username)
    state = st.session_state
    state.setdefault("digest_on", chosen is not None)
    hours, minutes = (int(x) for x in (chosen.send_at if chosen else "08:00").split(":"))
    state.setdefault("digest_time", time(hours, minutes))
    state.setdefault("digest_tz", chosen.timezone if chosen else ctx.tz)
    zones = sorted(available_timezones() | {state["digest_tz"]})
    with st.form("digest"):
        on = st.toggle(_("Email me a daily digest"), key="digest_on", disabled=not ctx.user.email)
        at = st.time_input(_("At"), key="digest_time", step=900)
        tz = st.selectbox(_("In the timezone"), zones, key="digest_tz")
        saved = st.form_submit_button(_("Save the digest"))
    if saved:
        prefs = DigestPrefs(at.strftime("%H:%M"), tz) if on else None
        try:
            save_digest_prefs(ws, ctx.user.username, prefs)
        except DigestPrefsError as exc:
            st.error(md_escape(str(exc)))
        else:
            st.success(_("Saved.") if on else _("Saved: no digest."))


def _channel_notes(email: str, smtp: bool, line: bool) -> None:
    if not smtp:
        st.info(_("Email alerts are not set up yet: an admin must set `smtp_url`."))
    elif email:
        st.caption(_("Email alerts go to {email}.").format(email=md_escape(email)))
    else:
        st.info(_("You have no email address in the console. Ask an admin to add one."))
    if not line:
        # A box, like the email one: a setting's name in a grey caption was too faint to read
        # (axe-core: colour contrast).
        st.info(_("LINE alerts are not set up yet: an admin must set `line_channel_token`."))
