"""Automatic reminders in the app: the option on Create link, a link's reminders in its
detail (with on/off), the team's defaults beside the follow-up days, and the page an
unsubscribe address opens."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from linksplus.config import Settings
from linksplus.console.sharing import LANGUAGES
from linksplus.console.users import effective_role
from linksplus.i18n import _, current_language, format_datetime
from linksplus.models import Link
from linksplus.notify.reminders import read_optout_token
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import md_escape
from linksplus.ui.workspace_data import WorkspaceUnavailable, workspace
from linksplus.workspace import customers as cust
from linksplus.workspace import reminders as rem

TEAM_ROLES = ("manager", "admin")


def _lang() -> str:
    lang = current_language()
    return lang if lang in LANGUAGES else "en"


# -- Create link --------------------------------------------------------------------------


def create_fields(ctx: PageContext) -> None:
    """Inside the Create link form: remind the customer after N unpaid days, up to K times
    (the team's defaults until changed)."""
    s = st.session_state
    if "cl_remind_days" not in s:
        try:
            team = rem.team_reminder_settings(workspace(), ctx.team_id)
        except WorkspaceUnavailable:
            team = rem.ReminderSettings()
        s["cl_remind_days"], s["cl_remind_max"] = team.after_days, team.max_count
    st.checkbox(
        _("Remind the customer by email while it is unpaid"),
        key="cl_remind",
        help=_("Needs the customer's email. Reminders stop once the link is paid or void."),
    )
    days, most = st.columns(2)
    days.number_input(
        _("Remind after (days unpaid)"), *rem.AFTER_DAYS_RANGE, step=1, key="cl_remind_days"
    )
    most.number_input(_("Reminders at most"), *rem.MAX_COUNT_RANGE, step=1, key="cl_remind_max")


def form_error(customer: cust.Customer) -> str | None:
    """One sentence when reminders are asked for a customer without an email."""
    if st.session_state.get("cl_remind") and not customer.email:
        return _("Reminders go by email: add the customer's email, or untick the reminder.")
    return None


def after_create(ctx: PageContext, link: Link) -> str | None:
    """Turn the new link's reminders on when the form asked for them; a sentence when they
    could not be saved (the link is made all the same)."""
    s = st.session_state
    if not s.get("cl_remind"):
        return None
    reminder = rem.LinkReminder(
        link_id=int(link.id),
        team_id=int(ctx.team_id),
        after_days=int(s.get("cl_remind_days") or rem.DEFAULT_AFTER_DAYS),
        max_count=int(s.get("cl_remind_max") or rem.DEFAULT_MAX_COUNT),
        language=_lang(),
        name=link.name,
        amount=int(link.amount),
        currency=link.currency,
        payment_url=link.payment_url or "",
    )
    try:
        rem.set_link_reminder(workspace(), reminder, ctx.user.username)
    except (WorkspaceUnavailable, SQLAlchemyError):
        return _(
            "The link is made, but its reminders could not be saved: turn them on from "
            "the link's detail."
        )
    s["cl_remind"] = False
    return None


# -- a link's detail ----------------------------------------------------------------------


def detail_section(ctx: PageContext, row: dict, customer: cust.Customer | None, may: bool) -> None:
    """The link's automatic reminders: on or off, each one sent with its time; on/off for
    those who may (`may`: the link's maker, a manager, an admin)."""
    link_id = int(row["id"])
    ws = workspace()
    chosen = rem.link_reminder(ws, link_id, ctx.team_id)
    sent = rem.reminders_sent_of(ws, link_id, ctx.team_id)
    with st.container(key="link_reminders"):
        if chosen is not None:
            st.caption(
                ":material/schedule_send: "
                + _("Automatic reminders: after every {days} unpaid days, at most {n}.").format(
                    days=chosen.after_days, n=chosen.max_count
                )
            )
        for number, at in sent:
            when = format_datetime(pd.Timestamp(at).to_pydatetime(), ctx.tz)
            st.caption(
                ":material/outgoing_mail: "
                + _("Reminder {n} emailed to the customer on {when}").format(n=number, when=when)
            )
    if may and customer is not None and customer.email:
        _switch(ctx, row, chosen)


def _switch(ctx: PageContext, row: dict, chosen: rem.LinkReminder | None) -> None:
    link_id = int(row["id"])
    if chosen is not None:
        if st.button(_("Stop automatic reminders"), key=f"rem_off_{link_id}"):
            rem.stop_link_reminder(workspace(), link_id, ctx.team_id)
            st.rerun()
        return
    if st.button(_("Remind the customer automatically"), key=f"rem_on_{link_id}"):
        team = rem.team_reminder_settings(workspace(), ctx.team_id)
        reminder = rem.LinkReminder(
            link_id=link_id,
            team_id=int(ctx.team_id),
            after_days=team.after_days,
            max_count=team.max_count,
            language=_lang(),
            name=str(row["name"]),
            amount=int(row["amount"]),
            currency=str(row["currency"]),
            payment_url=str(row["payment_url"] or ""),
        )
        rem.set_link_reminder(workspace(), reminder, ctx.user.username)
        st.rerun()


# -- team settings ------------------------------------------------------------------------


def team_settings(ctx: PageContext) -> None:
    """For a manager or admin: the team's reminder defaults (days and how many)."""
    if effective_role(ctx.user.roles) not in TEAM_ROLES:
        return
    ws = workspace()
    current = rem.team_reminder_settings(ws, ctx.team_id)
    days, most = st.columns(2)
    new_days = days.number_input(
        _("Automatic reminders after (days unpaid, team default)"),
        *rem.AFTER_DAYS_RANGE,
        value=current.after_days,
        step=1,
        key=f"rem_days_{ctx.team_id}",
    )
    new_max = most.number_input(
        _("Automatic reminders at most (team default)"),
        *rem.MAX_COUNT_RANGE,
        value=current.max_count,
        step=1,
        key=f"rem_max_{ctx.team_id}",
    )
    wanted = rem.ReminderSettings(int(new_days), int(new_max))
    if wanted != current:
        rem.set_team_reminder_settings(ws, ctx.team_id, wanted)
        st.rerun()


# -- unsubscribe --------------------------------------------------------------------------


def unsubscribe_page(settings: Settings) -> None:
    """The page a reminder's unsubscribe address opens: one button records the opt-out
    (a button, so a mail scanner fetching the address does not opt anyone out)."""
    st.title(":material/unsubscribe: " + _("No more payment reminders"))
    found = read_optout_token(settings.cookie_key, st.query_params.get("unsubscribe", ""))
    if found is None:
        st.error(_("This address is not valid. Open the one in the reminder you received."))
        return
    team_id, email = found
    if st.session_state.get("unsubscribed") == found:
        st.success(
            _("Done: {email} gets no more reminders from us.").format(email=md_escape(email))
        )
        return
    st.write(_("Stop the payment reminders to {email}?").format(email=md_escape(email)))
    if st.button(_("Stop reminders"), type="primary", key="unsubscribe_confirm"):
        try:
            rem.opt_out(workspace(settings), team_id, email)
        except WorkspaceUnavailable:
            st.error(_("This could not be saved just now. Please try again later."))
            return
        st.session_state["unsubscribed"] = found
        st.rerun()
