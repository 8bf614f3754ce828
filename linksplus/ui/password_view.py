"""A user's own password: the change on My settings (current password required), and the
form a user with a one-time password must fill in right after login."""

from __future__ import annotations

import streamlit as st

from linksplus.config import Settings
from linksplus.console import user_admin
from linksplus.console.password_rules import MIN_LENGTH
from linksplus.console.users import UserRecord, uses_store
from linksplus.i18n import _
from linksplus.ui import auth
from linksplus.ui.widgets import md_escape

_DONE = "_password_changed"


def _rules() -> str:
    return _(
        "At least {n} characters, not your username, and not one of the common passwords."
    ).format(n=MIN_LENGTH)


def forced_change(settings: Settings, user: UserRecord) -> None:
    """The only page of a user whose password is a one-time one, until they choose theirs."""
    st.title(":material/password: " + _("Choose a new password"))
    st.write(
        _("You logged in with a one-time password. Choose your own to go on.") + " " + _rules()
    )
    with st.form("forced_password"):
        new = st.text_input(_("New password"), type="password", autocomplete="new-password")
        again = st.text_input(
            _("New password, again"), type="password", autocomplete="new-password"
        )
        submitted = st.form_submit_button(_("Save my password"), type="primary")
    if not submitted:
        return
    try:
        changed = user_admin.choose_own_password(settings, user.username, new, again)
    except user_admin.UserChangeRefused as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")
        return
    auth.renew_login(settings, changed)
    st.session_state[_DONE] = True
    st.rerun()


def own_password(settings: Settings, user: UserRecord) -> None:
    """My settings' section: change my password (the current one required)."""
    st.subheader(":material/password: " + _("Password"))
    if st.session_state.pop(_DONE, None):
        st.success(_("Your password was changed."), icon=":material/check_circle:")
    if not uses_store(settings):
        st.info(_("Passwords are kept in the users file: ask an admin to change yours."))
        return
    with st.form("own_password", clear_on_submit=True):
        current = st.text_input(
            _("Current password"), type="password", autocomplete="current-password"
        )
        new = st.text_input(_("New password"), type="password", autocomplete="new-password")
        again = st.text_input(
            _("New password, again"), type="password", autocomplete="new-password"
        )
        st.caption(_rules())
        submitted = st.form_submit_button(_("Change my password"))
    if not submitted:
        return
    try:
        if new != again:
            raise user_admin.UserChangeRefused(_("The two new passwords differ. Type them again."))
        changed = user_admin.change_own_password(settings, user.username, current, new)
    except user_admin.UserChangeRefused as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")
        return
    auth.renew_login(settings, changed)
    st.session_state[_DONE] = True
    st.rerun()
