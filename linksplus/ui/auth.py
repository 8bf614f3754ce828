"""Login with streamlit-authenticator: the form, the back-off, the re-login cookie, and the
current user.

The form is ours; the password check and the session state it sets are
streamlit-authenticator's. The re-login cookie is ours (linksplus/console/login_cookie.py),
written by the library's cookie manager; every login is checked on every run against the
user's login generation, which a logout ends everywhere. Why it is built this way under
`st.navigation` (the library's issues #184 and #179): docs/architecture.md, "Login".
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import math
import os
import runpy
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy.exc import SQLAlchemyError

from linksplus.config import Settings
from linksplus.console import forwarded, login_cookie
from linksplus.console.login_cookie import LoginClaims
from linksplus.console.throttle import LoginThrottle
from linksplus.console.users import (
    UserRecord,
    UsersFileError,
    credentials_for_authenticator,
    hash_password,
    load_users,
)
from linksplus.i18n import _
from linksplus.schema_history import SchemaError
from linksplus.ui import audit_trail, language, nav
from linksplus.ui.cached import cached_loader
from linksplus.ui.widgets import only_page
from linksplus.ui.workspace_data import workspace
from linksplus.workspace import activity

COOKIE_NAME = "linksplus_console"
_PENDING = "_login_cookie_pending"  # "set" or "delete" until the browser has done it
_PENDING_SINCE = "_login_cookie_pending_since"
_TOKEN = "_login_cookie_token"
_SET_KEY, _DELETE_KEY = "login_cookie_set", "login_cookie_delete"  # component keys
_MESSAGE = "_login_message"
_CHECKED = "_login_checked"  # a keyed digest of the last username and password checked
_SALT = "_login_salt"
_COOKIES_SEEN = "init"  # the library's cookie manager's key: its value once it has reported
_LOGIN = "_login_claims"  # this session's login: the LoginClaims its cookie carries
_REJECTED = "_login_cookie_rejected"  # a digest of the cookie value found not to log in
# How long one app process believes a user's login generation: a login ended in another
# process is over here within this time (in this process at once).
GENERATION_TTL = 5.0
log = logging.getLogger(__name__)
APP_FILE = Path(__file__).resolve().parents[2] / "app.py"


def _mtime(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


@cached_loader(resource=True)
def _users(path: str, mtime: float) -> dict[str, UserRecord]:
    return {u.username: u for u in load_users(path)}


def users(settings: Settings) -> dict[str, UserRecord]:
    """The users file, re-read when it changes; `UsersFileError` when it cannot be read."""
    path = str(settings.users_file)
    return _users(path, _mtime(path))


@cached_loader(resource=True)
def _credentials(path: str, mtime: float) -> dict:
    # One dict per file version for the whole process: streamlit-authenticator keeps its
    # login bookkeeping in it, which must outlive a session.
    return credentials_for_authenticator(_users(path, mtime).values())


@cached_loader(resource=True)
def _throttle(url: str) -> LoginThrottle:
    return LoginThrottle(url)


def throttle(settings: Settings) -> LoginThrottle:
    """The failed-login back-off, kept in the event log's database (shared by every app
    process and every browser session)."""
    return _throttle(settings.eventlog_url)


@cached_loader(resource=True)
def _dummy_hash() -> str:
    return hash_password("not a real password")


def cookie_days(settings: Settings) -> float:
    """The login cookie's lifetime in days (0: no cookie); `cookie_expiry_days`, 1 unless
    set. The setup page reports a value that is not a number."""
    try:
        return max(0.0, float(settings.cookie_expiry_days))
    except (TypeError, ValueError):
        return 1.0


def client_address(settings: Settings) -> str | None:
    """The browser's address for the login throttle (None from this machine): the
    connection's peer, or behind a proxy listed in `trusted_proxies` the right-most
    X-Forwarded-For hop that is not one of them (see linksplus/console/forwarded.py)."""
    try:
        seen = st.context.ip_address
        hops = st.context.headers.get_all("X-Forwarded-For")
    except Exception:  # no browser connection (bare mode)
        return None
    if not isinstance(seen, str):  # AppTest has no address
        seen = None
    return forwarded.client_address(
        seen, hops, settings.proxy_networks, os.environ.get("FORWARDED_ALLOW_IPS")
    )


def _authenticator(settings: Settings) -> stauth.Authenticate:
    path = str(settings.users_file)
    return stauth.Authenticate(
        _credentials(path, _mtime(path)),
        COOKIE_NAME,
        settings.cookie_key,
        cookie_days(settings),
        auto_hash=False,
    )


def current_user(settings: Settings) -> UserRecord | None:
    """The logged-in user's record, or None. A login that was ended (by a log-out anywhere,
    a changed password, `end_logins`) is logged out here: checked on every run."""
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username")
    try:
        user = users(settings).get(str(username or "").lower())
    except UsersFileError:
        return None
    if user is not None and not _login_stands(settings, user):
        _end_session()
        return None
    return user


def logged_in_username() -> str | None:
    """The username of this session's login so far (None before login)."""
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username")
    return str(username).lower() if username else None


def require_login(settings: Settings) -> UserRecord:
    """The logged-in user (by the form or the re-login cookie); otherwise renders the login
    page and stops the run."""
    try:
        users(settings)
    except UsersFileError as exc:
        message = str(exc)
        only_page(
            lambda: st.error(message, icon=":material/group_off:"), _("Links+ Console"), "problem"
        )
        st.stop()
    authenticator = _authenticator(settings)
    st.session_state["_authenticator"] = authenticator
    current_user(settings)  # a login ended since the last run is logged out here
    if not st.session_state.get("authentication_status") and _unchecked_submit():
        _submit(settings)  # the click's own run was interrupted before its check finished
    if (
        not st.session_state.get("authentication_status")
        and _cookie_login(authenticator, settings)
        and not st.session_state.get(_COOKIES_SEEN)
        and (user := current_user(settings)) is not None
    ):
        # The cookie manager reports the browser's cookies once it is on the page, and
        # that report reruns the script: resolve the page now but draw it in that run, so
        # that the page's first run is not cut short or repeated.
        st.navigation(nav.pages_for_user(user))
        st.stop()
    # One place for the cookie component, kept (empty) once it has gone: the page's elements
    # keep their positions, so the run after it does not draw the page below the previous
    # run's copy (a second heading until that run ends).
    with st.empty():
        _sync_cookie(authenticator, settings)
    if st.session_state.get("authentication_status"):
        user = current_user(settings)
        if user is not None and _cookie_being_set():
            # Likewise after the form: the cookie component's report follows at once.
            st.navigation(nav.pages_for_user(user))
            st.stop()
        if user is not None:
            return user

        def gone() -> None:
            st.error(_("Your account is no longer in the users file. Ask an admin."))
            logout_button()

        only_page(gone, _("Links+ Console"), "account")
        st.stop()

    def login_page() -> None:
        _login_form(settings)

    # The form is the only page: no navigation, so no page names before login. A page
    # opened by URL gets the form at its own path (see the module docstring).
    pages = [st.Page(login_page, title=_("Log in"), url_path="login", default=True)]
    asked = requested_page()
    if asked:
        pages.append(st.Page(login_page, title=_("Log in"), url_path=asked))
    st.navigation(pages, position="hidden").run()
    st.stop()


def requested_page() -> str | None:
    """The URL path of the app page the browser asks for, when it is one of ours."""
    name = urlsplit(_safe_url() or "").path.rstrip("/").rsplit("/", 1)[-1]
    return name if name in nav.page_url_paths() else None


def run_app_instead() -> None:
    """Run app.py (login, then the page asked for) from a page that Streamlit started by
    itself: in the first session after a start, a page opened by URL runs without app.py,
    because Streamlit treats pages/ as an old-style pages folder until `st.navigation` has
    run once in the process."""
    runpy.run_path(str(APP_FILE), run_name="__main__")


@cached_loader(resource=True)
def _generations() -> dict[str, tuple[int, float]]:
    """This process's recent reads of login generations: username -> (generation, when)."""
    return {}


def _generation(username: str, fresh: bool = False, stale_ok: bool = False) -> int:
    """`username`'s login generation: read from the workspace at most every GENERATION_TTL
    seconds per process (`fresh`: now). Raises when the workspace cannot be read, unless
    `stale_ok` and a value was read before (then that one, again for GENERATION_TTL)."""
    known, now = _generations(), time.monotonic()
    cached = known.get(username)
    if not fresh and cached is not None and now - cached[1] < GENERATION_TTL:
        return cached[0]
    try:
        value = workspace().login_generation(username)
    except Exception:
        if not stale_ok or cached is None:
            raise
        value = cached[0]  # an open session stands; the next try comes after the TTL
    # Generations only grow: a read that started before an end_logins here keeps its value.
    latest = known.get(username)
    value = max(value, latest[0]) if latest is not None else value
    known[username] = (value, now)
    return value


def end_logins(username: str) -> None:
    """End every login of `username` so far, in every browser and app process (this
    process at once, the others within GENERATION_TTL seconds)."""
    value = workspace().end_logins(username)
    _generations()[username] = (value, time.monotonic())


def _new_claims(settings: Settings, user: UserRecord) -> LoginClaims:
    """The claims of a login of `user` made now (the generation read afresh)."""
    days = cookie_days(settings) or 1.0
    return LoginClaims(
        user.username,
        time.time() + days * 86400,
        _generation(user.username, fresh=True),
        login_cookie.password_fingerprint(user.password_hash, settings.cookie_key),
    )


def _still_valid(
    settings: Settings, user: UserRecord, claims: LoginClaims, stale_ok: bool = False
) -> bool:
    """Whether a login with `claims` still stands: not ended since, and made with the
    user's present password."""
    fingerprint = login_cookie.password_fingerprint(user.password_hash, settings.cookie_key)
    if not hmac.compare_digest(claims.password, fingerprint):
        return False
    return claims.generation == _generation(user.username, stale_ok=stale_ok)


def _login_stands(settings: Settings, user: UserRecord) -> bool:
    """Whether this session's login of `user` was not ended since (a log-out in another
    browser, a changed password). A session logged in without claims (tests seed one)
    stands from now; so does one whose records cannot be read (the pages say so)."""
    claims = st.session_state.get(_LOGIN)
    try:
        if not isinstance(claims, LoginClaims) or claims.username != user.username:
            st.session_state[_LOGIN] = _new_claims(settings, user)
            return True
        return _still_valid(settings, user, claims, stale_ok=True)
    except Exception as exc:
        log.warning("login generation unreadable (%s); the session stands", type(exc).__name__)
        return True


def _end_session() -> None:
    """Log this session out and delete its login cookie."""
    authenticator = st.session_state.get("_authenticator")
    if authenticator is not None and st.session_state.get("authentication_status"):
        authenticator.authentication_controller.logout()
    st.session_state[_PENDING] = "delete"
    for key in (_TOKEN, _LOGIN):
        st.session_state.pop(key, None)


def _cookie_login(authenticator: stauth.Authenticate, settings: Settings) -> bool:
    """Log in from the login cookie the browser sent, if it verifies and its login still
    stands; a cookie that does not is deleted. Answers whether it logged in."""
    # The cookie comes with the page request (st.context.cookies): no component round trip.
    # After a logout in this session it is not read again.
    try:
        sent = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # no browser connection (bare mode)
        sent = None
    if not isinstance(sent, str) or st.session_state.get("logout"):
        return False  # no cookie (AppTest has none either)
    digest = hashlib.sha256(sent.encode("utf-8", "replace")).hexdigest()
    if st.session_state.get(_REJECTED) == digest:
        return False  # refused already; its deletion is under way or done
    claims = login_cookie.decode(sent, settings.cookie_key)
    user = users(settings).get(claims.username) if claims else None
    try:
        valid = user is not None and _still_valid(settings, user, claims)
    except Exception as exc:  # cannot tell now: no login, but the cookie may serve later
        log.warning("login cookie not checked (%s)", type(exc).__name__)
        return False
    if valid:
        try:
            authenticator.authentication_controller.login(token={"username": user.username})
        except stauth.LoginError:
            valid = False
    if not valid:
        st.session_state[_REJECTED] = digest
        st.session_state[_PENDING] = "delete"
        return False
    st.session_state[_LOGIN] = claims
    return bool(st.session_state.get("authentication_status"))


def _sync_cookie(authenticator: stauth.Authenticate, settings: Settings) -> None:
    """Keep the cookie component on the page until the browser has set (or deleted) the
    login cookie: it reports back with a value, which ends the wait."""
    pending = st.session_state.get(_PENDING)
    model = authenticator.cookie_controller.cookie_model
    manager = model.cookie_manager
    if pending == "set" and st.session_state.get("authentication_status"):
        days = cookie_days(settings)
        if days <= 0:
            st.session_state.pop(_PENDING, None)
            return
        claims = st.session_state.get(_LOGIN)
        if _TOKEN not in st.session_state and isinstance(claims, LoginClaims):
            # This login's claims, signed with the cookie key (linksplus/console/login_cookie).
            expires = datetime.now(UTC) + timedelta(days=days)
            claims = claims._replace(expires=expires.timestamp())
            st.session_state[_LOGIN] = claims
            token = login_cookie.encode(claims, settings.cookie_key)
            st.session_state[_TOKEN] = (token, expires.isoformat())
        if _TOKEN not in st.session_state:
            st.session_state.pop(_PENDING, None)
            return
        token, expires = st.session_state[_TOKEN]
        https = (_safe_url() or "").startswith("https:")
        manager.set(
            COOKIE_NAME,
            token,
            key=_SET_KEY,
            # An aware time: the browser reads it right in any timezone (the library's
            # own set_cookie writes local server time without a zone).
            expires_at=datetime.fromisoformat(expires),
            max_age=days * 86400,
            secure=True if https else None,
            same_site="strict",
        )
        if st.session_state.get(_SET_KEY) is True:
            st.session_state.pop(_PENDING, None)
            st.session_state.pop(_TOKEN, None)
    elif pending == "delete":
        # KeyError: the browser had no such cookie (the component is on the page anyway).
        with contextlib.suppress(KeyError):
            manager.delete(COOKIE_NAME, key=_DELETE_KEY)
        if st.session_state.get(_DELETE_KEY) is True:
            st.session_state.pop(_PENDING, None)


def cookie_settled() -> bool:
    """Whether no login cookie write or delete is waiting for the browser's report. Timed
    reruns (`st.fragment(run_every=...)`) may start only then: one that came during the
    cookie component's round trip lost the first login's cookie."""
    return st.session_state.get(_PENDING) is None


def _cookie_being_set() -> bool:
    """Whether the browser is writing the login cookie right now: until the cookie
    component reports it written, which reruns the script (for 3 s at most, so that a
    browser that never reports holds the page back only until its next click)."""
    since = st.session_state.get(_PENDING_SINCE)
    pending = st.session_state.get(_PENDING) == "set"
    if pending and since is not None and time.monotonic() - since < 3.0:
        return True
    st.session_state.pop(_PENDING_SINCE, None)
    return False


def _safe_url() -> str | None:
    try:
        url = st.context.url
    except Exception:  # no browser connection (bare mode)
        return None
    return url if isinstance(url, str) else None  # AppTest has no URL


def _login_form(settings: Settings) -> None:
    _left, middle, _right = st.columns([1, 2, 1])
    with middle:
        st.title(":material/link: Links+ Console")  # bundled icon font: no download
        st.caption(_("Payment links for your team: create, share, and see who paid."))
        with st.form("login", border=True):
            st.text_input(_("Username"), key="login_username", autocomplete="username")
            st.text_input(
                _("Password"),
                type="password",
                key="login_password",
                autocomplete="current-password",
            )
            st.form_submit_button(
                _("Log in"),
                type="primary",
                use_container_width=True,
                on_click=_submit,
                args=(settings,),
            )
        message = st.session_state.pop(_MESSAGE, None)
        if message:
            kind, text = message
            icon = {"wait": ":material/timer:", "wrong": ":material/lock:"}.get(kind)
            (st.warning if kind == "empty" else st.error)(text, icon=icon)
        language.login_switch()


def _submitted() -> tuple[str, str]:
    username = (st.session_state.get("login_username") or "").strip().lower()
    return username, st.session_state.get("login_password") or ""


def _digest(username: str, password: str) -> str:
    # Keyed with a random salt of this session's: the password itself is not kept.
    salt = st.session_state.setdefault(_SALT, secrets.token_bytes(16))
    return hmac.new(salt, f"{username}\0{password}".encode(), hashlib.sha256).hexdigest()


def _unchecked_submit() -> bool:
    """Whether the form holds a username and password that were submitted but that no check
    has finished with: the run of the click was interrupted (see the module docstring). A
    form sends its values only once submitted, so this is never a form being typed in."""
    username, password = _submitted()
    return bool(username and password) and st.session_state.get(_CHECKED) != _digest(
        username, password
    )


def _submit(settings: Settings) -> None:
    """The form's callback (which runs before the script), and the retry of a check that a
    rerun cut short: checks the submitted username and password and logs in."""
    username, password = _submitted()
    if not username or not password:
        st.session_state[_MESSAGE] = ("empty", _("Enter your username and password."))
        return
    _check(settings, username, password)
    # Only a check that got this far is done with: one cut short is retried by the next run.
    st.session_state[_CHECKED] = _digest(username, password)


def _unreachable() -> str:
    return _(
        "Logging in is not possible right now: the database that counts login "
        "attempts cannot be reached. Please try again in a minute, or tell an admin."
    )


def _check(settings: Settings, username: str, password: str) -> None:
    authenticator = st.session_state.get("_authenticator")
    try:
        verdict = throttle(settings).attempt(username, client_address(settings))
    except SQLAlchemyError:
        st.session_state[_MESSAGE] = ("wait", _unreachable())
        return
    except SchemaError:  # a newer release made the database: never a traceback at login
        st.session_state[_MESSAGE] = (
            "wait",
            _(
                "Logging in is not possible right now: the console's database was made by a "
                "newer release of Links+ Console. Tell an admin to upgrade this one."
            ),
        )
        return
    if not verdict.allowed:
        st.session_state[_MESSAGE] = (
            "wait",
            _(
                "Too many failed attempts for this username. Please wait {n} seconds and try again."
            ).format(n=math.ceil(verdict.wait)),
        )
        audit_trail.note(activity.LOGIN_FAILED, username=username, reason="wait")
        return
    if username not in users(settings) or authenticator is None:
        # Spend the same bcrypt time as for a real user, so timing does not tell
        # whether a username exists.
        stauth.Hasher.check_pw(password, _dummy_hash())
        ok = False
    else:
        ok = bool(authenticator.authentication_controller.login(username, password))
    if ok:
        try:
            st.session_state[_LOGIN] = _new_claims(settings, users(settings)[username])
        except Exception as exc:  # the records cannot be read: no login without them
            log.warning("login generation unreadable (%s)", type(exc).__name__)
            _end_session()
            st.session_state[_MESSAGE] = ("wait", _unreachable())
            return
        throttle(settings).success(username, client_address(settings))
        audit_trail.note(activity.LOGIN, username=username)
        st.session_state["login_password"] = ""
        st.session_state.pop(_TOKEN, None)
        if cookie_days(settings) > 0:
            st.session_state[_PENDING] = "set"
            st.session_state[_PENDING_SINCE] = time.monotonic()
        return
    st.session_state["authentication_status"] = None
    audit_trail.note(activity.LOGIN_FAILED, username=username, reason="password")
    message = _("That username and password do not match. Check them and try again.")
    if verdict.wait:
        message += " " + _("Too many failed attempts: wait {n} seconds first.").format(
            n=math.ceil(verdict.wait)
        )
    st.session_state[_MESSAGE] = ("wrong", message)


def _log_out() -> None:
    username = logged_in_username()
    if username:
        audit_trail.note(activity.LOGOUT, username=username)
        try:
            end_logins(username)  # this login and every other one of the user's, everywhere
        except Exception as exc:
            log.warning("logins not ended (%s)", type(exc).__name__)
    _end_session()


def logout_button() -> None:
    """The sidebar's Log out button: ends the session and deletes the login cookie."""
    st.sidebar.button(_("Log out"), key="console_logout", on_click=_log_out)
