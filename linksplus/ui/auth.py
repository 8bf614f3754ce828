"""Login with streamlit-authenticator, the per-username back-off, and the current user.

The login form is ours (so a failed attempt can be counted per username); the password
check, the session state it sets and the re-login cookie are streamlit-authenticator's.
"""

from __future__ import annotations

import math
from pathlib import Path

import streamlit as st
import streamlit_authenticator as stauth

from linksplus.config import Settings
from linksplus.console.throttle import LoginThrottle
from linksplus.console.users import (
    UserRecord,
    UsersFileError,
    credentials_for_authenticator,
    hash_password,
    load_users,
)
from linksplus.ui.widgets import only_page

COOKIE_NAME = "linksplus_console"
COOKIE_DAYS = 7


def _mtime(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


@st.cache_resource(show_spinner=False)
def _users(path: str, mtime: float) -> dict[str, UserRecord]:
    return {u.username: u for u in load_users(path)}


def users(settings: Settings) -> dict[str, UserRecord]:
    """The users file, re-read when it changes; `UsersFileError` when it cannot be read."""
    path = str(settings.users_file)
    return _users(path, _mtime(path))


@st.cache_resource(show_spinner=False)
def _credentials(path: str, mtime: float) -> dict:
    # One dict per file version for the whole process: streamlit-authenticator keeps its
    # login bookkeeping in it, which must outlive a session.
    return credentials_for_authenticator(_users(path, mtime).values())


@st.cache_resource(show_spinner=False)
def throttle() -> LoginThrottle:
    """The process-wide failed-login back-off (outside any session, so a new tab does not
    reset it)."""
    return LoginThrottle()


@st.cache_resource(show_spinner=False)
def _dummy_hash() -> str:
    return hash_password("not a real password")


def _authenticator(settings: Settings) -> stauth.Authenticate:
    path = str(settings.users_file)
    return stauth.Authenticate(
        _credentials(path, _mtime(path)),
        COOKIE_NAME,
        settings.cookie_key,
        COOKIE_DAYS,
        auto_hash=False,
        login_sleep_time=0.5,
    )


def current_user(settings: Settings) -> UserRecord | None:
    """The logged-in user's record, or None."""
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username")
    try:
        return users(settings).get(str(username or "").lower())
    except UsersFileError:
        return None


def require_login(settings: Settings) -> UserRecord:
    """The logged-in user; otherwise renders the login page and stops the run."""
    try:
        users(settings)
    except UsersFileError as exc:
        message = str(exc)
        only_page(
            lambda: st.error(message, icon=":material/group_off:"), "Links+ Console", "problem"
        )
        st.stop()
    authenticator = _authenticator(settings)
    st.session_state["_authenticator"] = authenticator
    if not st.session_state.get("authentication_status"):
        # Cookie re-login (streamlit-authenticator reads its signed cookie).
        authenticator.login(location="unrendered")
    if st.session_state.get("authentication_status"):
        user = current_user(settings)
        if user is not None:
            return user

        def gone() -> None:
            st.error("Your account is no longer in the users file. Ask an admin.")
            _logout_button()

        only_page(gone, "Links+ Console", "account")
        st.stop()

    def login_page() -> None:
        _login_form(authenticator, settings)

    # The login form as the only page: no navigation, so no page names before login.
    only_page(login_page, "Log in", "login")
    st.stop()


def _login_form(authenticator: stauth.Authenticate, settings: Settings) -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(":material/link: Links+ Console")  # bundled icon font: no download
        st.caption("Payment links for your team: create, share, and see who paid.")
        with st.form("login", border=True):
            username = st.text_input("Username", key="login_username", autocomplete="username")
            password = st.text_input(
                "Password", type="password", key="login_password", autocomplete="current-password"
            )
            submitted = st.form_submit_button("Log in", type="primary", use_container_width=True)
        if not submitted:
            return
        username = (username or "").strip().lower()
        if not username or not password:
            st.warning("Enter your username and password.")
            return
        wait = throttle().wait_seconds(username)
        if wait > 0:
            st.error(
                f"Too many failed attempts for this username. Please wait "
                f"{math.ceil(wait)} seconds and try again.",
                icon=":material/timer:",
            )
            return
        known = username in users(settings)
        if not known:
            # Spend the same bcrypt time as for a real user, so timing does not tell
            # whether a username exists.
            stauth.Hasher.check_pw(password, _dummy_hash())
            ok = False
        else:
            ok = bool(authenticator.authentication_controller.login(username, password))
        if ok:
            throttle().success(username)
            authenticator.cookie_controller.set_cookie()
            st.rerun()
        st.session_state["authentication_status"] = None
        delay = throttle().failure(username)
        message = "That username and password do not match. Check them and try again."
        if delay:
            message += f" Too many failed attempts: wait {math.ceil(delay)} seconds first."
        st.error(message, icon=":material/lock:")


def _logout_button() -> None:
    authenticator = st.session_state.get("_authenticator")
    if authenticator is not None and st.session_state.get("authentication_status"):
        authenticator.logout("Log out", location="sidebar", key="console_logout")


def logout_button() -> None:
    """The sidebar's Log out button."""
    _logout_button()
