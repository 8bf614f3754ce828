"""The Users page (admins): everyone who may log in, add a person, reset a password,
disable and re-enable, change role and teams. The rules live in
`linksplus.console.user_admin`; every refusal is shown as its sentence."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from linksplus.console import second_factor, user_admin
from linksplus.console.users import (
    ALL_TEAMS,
    ROLES,
    UserRecord,
    UsersFileError,
    effective_role,
    uses_store,
)
from linksplus.i18n import _
from linksplus.ui import audit_trail, auth, nav
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import labels, md_escape
from linksplus.workspace import activity

_SHOWN = "_users_page_message"  # (kind, text, one-time password or None) for the next run


def users_page(ctx: PageContext) -> None:
    """The whole page."""
    st.title(":material/group: " + _("Users"))
    try:
        everyone = sorted(auth.users(ctx.settings).values(), key=lambda u: u.username)
    except UsersFileError as exc:
        st.error(md_escape(str(exc)), icon=":material/group_off:")
        return
    _message()
    st.dataframe(_table(everyone), hide_index=True, use_container_width=True)
    if not uses_store(ctx.settings):
        _two_step(ctx, everyone)
        st.info(
            md_escape(
                _(
                    "Users are read from the users file {path}, so they are changed there. To "
                    "manage them here, import it (linksplus users import) and unset users_file."
                ).format(path=ctx.settings.users_file)
            )
        )
        return
    _add_form(ctx)
    _change(ctx, everyone)
    _two_step(ctx, everyone)


def teams_label(teams) -> str:
    """How a user's teams read in the table: every team, or their numbers."""
    if teams == ALL_TEAMS:
        return _("every team")
    return ", ".join(str(t) for t in teams)


def _table(everyone: list[UserRecord]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Name"): [u.name for u in everyone],
            _("Username"): [u.username for u in everyone],
            _("Email"): [u.email for u in everyone],
            _("Role"): [nav.role_title(effective_role(u.roles)) for u in everyone],
            _("Teams"): [teams_label(u.teams) for u in everyone],
            _("Active"): [u.active for u in everyone],
            _("Must change password"): [u.must_change_password for u in everyone],
        }
    )


def _message() -> None:
    shown = st.session_state.pop(_SHOWN, None)
    if not shown:
        return
    kind, text, once = shown
    (st.success if kind == "ok" else st.error)(md_escape(text))
    if once:
        st.write(_("One-time password, shown this once (they choose their own at next login):"))
        st.code(once, language=None)


def _done(text: str, once: str | None = None) -> None:
    auth.forget_users()
    st.session_state[_SHOWN] = ("ok", text, once)
    st.rerun()


def _attempt(change: Callable[[], None]) -> None:
    """Run `change`; a refusal is shown as its sentence."""
    try:
        change()
    except user_admin.UserChangeRefused as exc:
        st.error(md_escape(str(exc)), icon=":material/block:")


def _role_picker(key: str, current: str = "sales") -> str:
    return st.selectbox(
        _("Role"),
        ROLES,
        index=ROLES.index(current),
        format_func=labels(ROLES, nav.role_title),
        key=key,
    )


def _add_form(ctx: PageContext) -> None:
    st.subheader(":material/person_add: " + _("Add a person"))
    with st.form("add_user", clear_on_submit=False):
        username = st.text_input(_("Username"), key="new_username")
        name = st.text_input(_("Name"), key="new_name")
        email = st.text_input(_("Email"), key="new_email")
        role = _role_picker("new_role")
        teams = st.text_input(
            _("Teams"), key="new_teams", help=_("Team numbers like 101,102, or * for every team.")
        )
        submitted = st.form_submit_button(_("Add"), type="primary")
    if not submitted:
        return

    def add() -> None:
        user, once = user_admin.add_user(
            ctx.settings, username=username, name=name, email=email, role=role, teams=teams
        )
        audit_trail.note(activity.USER_ADDED, user=user.username, role=role, teams=teams)
        for key in ("new_username", "new_name", "new_email", "new_teams"):
            st.session_state.pop(key, None)  # an empty form for the next person
        said = _("{name} ({username}) was added.").format(name=user.name, username=user.username)
        _done(said, once)

    _attempt(add)


def _change(ctx: PageContext, everyone: list[UserRecord]) -> None:
    st.subheader(":material/manage_accounts: " + _("Change a person"))
    names = [u.username for u in everyone]
    if not names:
        return
    chosen = st.selectbox(_("Person"), names, key="chosen_user")
    user = next(u for u in everyone if u.username == chosen)
    left, right = st.columns(2)
    with left:
        if st.button(_("Reset password"), key="reset_password"):
            _attempt(lambda: _reset(ctx, user))
        if user.active and st.button(_("Disable"), key="disable_user"):
            _attempt(lambda: _active(ctx, user, False))
        if not user.active and st.button(_("Enable again"), key="enable_user"):
            _attempt(lambda: _active(ctx, user, True))
    with right:
        _access_form(ctx, user)


def _reset(ctx: PageContext, user: UserRecord) -> None:
    once = user_admin.reset_password(ctx.settings, user.username)
    audit_trail.note(activity.PASSWORD_RESET, user=user.username)
    _done(_("{username} has a new one-time password.").format(username=user.username), once)


def _active(ctx: PageContext, user: UserRecord, active: bool) -> None:
    user_admin.set_active(ctx.settings, user.username, active)
    kind = activity.USER_ENABLED if active else activity.USER_DISABLED
    audit_trail.note(kind, user=user.username)
    if active:
        _done(_("{username} can log in again.").format(username=user.username))
    _done(_("{username} is disabled and logged out everywhere.").format(username=user.username))


def _access_form(ctx: PageContext, user: UserRecord) -> None:
    with st.form(f"access_{user.username}"):
        role = _role_picker(f"role_{user.username}", effective_role(user.roles) or "sales")
        teams = st.text_input(
            _("Teams"),
            value=ALL_TEAMS if user.teams == ALL_TEAMS else ",".join(str(t) for t in user.teams),
            key=f"teams_{user.username}",
        )
        submitted = st.form_submit_button(_("Save role and teams"))
    if submitted:

        def save() -> None:
            user_admin.change_access(ctx.settings, user.username, role=role, teams=teams)
            audit_trail.note(activity.USER_CHANGED, user=user.username, role=role, teams=teams)
            _done(_("{username}'s role and teams were saved.").format(username=user.username))

        _attempt(save)


def _two_step(ctx: PageContext, everyone: list[UserRecord]) -> None:
    st.subheader(":material/phonelink_lock: " + _("Two-step login"))
    required = second_factor.admins_must(ctx.settings)
    wanted = st.toggle(
        _("Admins must use two-step login"),
        value=required,
        key="admins_need_totp",
        help=_("An admin without it is asked to set it up at their next login."),
    )
    if wanted != required:
        second_factor.set_admins_must(ctx.settings, wanted)
        audit_trail.note(activity.SETTINGS_CHANGED, what="admins_two_step", on=wanted)
    using = [u for u in everyone if second_factor.is_on(ctx.settings, u.username)]
    if not using:
        return
    chosen = st.selectbox(_("Uses two-step login"), [u.username for u in using], key="totp_user")
    if st.button(_("Turn off two-step login"), key="totp_reset"):  # a lost phone
        user = next(u for u in using if u.username == chosen)
        second_factor.turn_off(ctx.settings, user, None)
        _done(_("{username} logs in with a password only now.").format(username=chosen))
