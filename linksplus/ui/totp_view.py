"""Two-step login on screen: setting it up (QR code, first code, recovery codes shown once)
on My settings or, when admins must have it, right after login; and the code asked for at
login. The rules live in `linksplus.console.second_factor`."""

from __future__ import annotations

import math

import streamlit as st

from linksplus.config import Settings
from linksplus.console import second_factor
from linksplus.console.users import UserRecord
from linksplus.i18n import _
from linksplus.ui import auth
from linksplus.ui.widgets import md_escape

_SETUP = "_totp_setup"  # (secret, QR png) of a setup in progress


def _refused(exc: Exception) -> None:
    st.error(md_escape(str(exc)), icon=":material/error:")


def _recovery_codes(codes: list[str]) -> None:
    st.success(_("Two-step login is on."), icon=":material/check_circle:")
    st.write(
        _(
            "Recovery codes, shown this once: keep them somewhere safe. Each one lets you "
            "in once without the app."
        )
    )
    st.code("\n".join(codes), language=None)


def _setup(settings: Settings, user: UserRecord) -> bool:
    """The setup: scan, type the first code; then the recovery codes. Whether it is on."""
    if _SETUP not in st.session_state:
        st.session_state[_SETUP] = second_factor.begin(settings, user.username)
    secret, png = st.session_state[_SETUP]
    st.write(_("Scan this code with an authenticator app, or type the key into it:"))
    st.image(png, width=200)
    st.code(secret, language=None)
    with st.form("totp_confirm", clear_on_submit=True):
        code = st.text_input(_("Code from the app"), max_chars=6, key="totp_first_code")
        submitted = st.form_submit_button(_("Turn on"), type="primary")
    if not submitted:
        return False
    try:
        codes = second_factor.confirm(settings, user.username, code)
    except second_factor.UserChangeRefused as exc:
        _refused(exc)
        return False
    st.session_state.pop(_SETUP, None)
    auth.second_factor_passed(settings)  # this session has just shown a code
    _recovery_codes(codes)
    return True


def own_section(settings: Settings, user: UserRecord) -> None:
    """My settings' section: turn two-step login on or off."""
    st.subheader(":material/phonelink_lock: " + _("Two-step login"))
    if second_factor.is_on(settings, user.username):
        st.write(_("Two-step login is on: after your password you type a code from your app."))
        with st.form("totp_off", clear_on_submit=True):
            code = st.text_input(_("Code from the app"), key="totp_off_code")
            submitted = st.form_submit_button(_("Turn off"))
        if submitted:
            try:
                second_factor.turn_off(settings, user, code)
                st.rerun()
            except second_factor.UserChangeRefused as exc:
                _refused(exc)
        return
    if _SETUP in st.session_state or st.button(_("Set up two-step login"), key="totp_start"):
        _setup(settings, user)


def setup_page(settings: Settings, user: UserRecord) -> None:
    """The only page of an admin who must set up two-step login first."""
    st.title(":material/phonelink_lock: " + _("Set up two-step login"))
    st.write(
        _("Admins of this console log in with a code from an app as well. Set it up to go on.")
    )
    if _setup(settings, user):
        st.button(_("Go on"), type="primary", key="totp_go_on")  # its click reruns


def code_page(settings: Settings, user: UserRecord) -> None:
    """The second step of a login: the app's code, or a recovery code."""
    st.title(":material/phonelink_lock: " + _("Two-step login"))
    st.write(_("Type the code your authenticator app shows, or one of your recovery codes."))
    with st.form("totp_login", clear_on_submit=True):
        code = st.text_input(_("Code"), key="totp_login_code", autocomplete="one-time-code")
        submitted = st.form_submit_button(_("Go on"), type="primary")
    if not submitted:
        return
    # Guessing codes is held back like guessing passwords (its own counter per user).
    counter, address = f"{user.username}#code", auth.client_address(settings)
    verdict = auth.throttle(settings).attempt(counter, address)
    if not verdict.allowed:
        st.error(
            _(
                "Too many failed attempts for this username. Please wait {n} seconds and try again."
            ).format(n=math.ceil(verdict.wait)),
            icon=":material/timer:",
        )
        return
    if not second_factor.check(settings, user.username, code):
        st.error(_("That code does not let you in. Try the newest one."), icon=":material/lock:")
        return
    auth.throttle(settings).success(counter, address)
    auth.second_factor_passed(settings)
    st.rerun()
