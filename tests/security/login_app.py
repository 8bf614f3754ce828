"""The app under AppTest with what a browser's request carries: its cookies, its headers
and the address the web server saw (AppTest itself has none of them).

`Request` stands in for Streamlit's per-connection client context, read by
`st.context.cookies`, `.headers` and `.ip_address` exactly as in a served app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime import context as st_context
from streamlit.testing.v1 import AppTest

from linksplus.console.users import UserRecord, hash_password, save_users

APP = Path(__file__).resolve().parents[2] / "app.py"
PASSWORD = "login-security-password-1"
COOKIE_KEY = "login-security-cookie-key-0123456789abcdef"
COOKIE = "linksplus_console"


@dataclass
class Request:
    """What the next AppTest session's "browser" sends (change it between sessions)."""

    cookies: dict[str, str] = field(default_factory=dict)
    headers: list[tuple[str, str]] = field(default_factory=list)
    remote_ip: str | None = "127.0.0.1"


@pytest.fixture
def request_from_browser(monkeypatch) -> Request:
    """The request every session of this test sees, until changed."""
    sent = Request()
    monkeypatch.setattr(st_context, "_get_client_context", lambda: sent)
    return sent


@pytest.fixture
def users_file(tmp_path) -> Path:
    path = tmp_path / "users.yaml"
    write_users(path, hash_password(PASSWORD))
    return path


def write_users(path: Path, password_hash: str) -> None:
    save_users(
        path,
        [
            UserRecord("sales", "Sales", "s@example.com", ["sales"], [101], password_hash),
            UserRecord("manager", "Manager", "m@example.com", ["manager"], [101], password_hash),
        ],
    )


@pytest.fixture
def app_secrets(sandbox, users_file, tmp_path, monkeypatch) -> dict:
    """The [linksplus] secrets of an app on the test sandbox, with a fresh database."""
    for name in ("EVENTLOG_URL", "USERS_FILE", "COOKIE_KEY", "TRUSTED_PROXIES"):
        monkeypatch.delenv(f"LINKSPLUS_{name}", raising=False)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    return {
        "api_base_url": sandbox.url,
        "api_key": sandbox.api_key,
        "eventlog_url": f"sqlite:///{tmp_path}/events.db",
        "sandbox_url": sandbox.url,
        "users_file": str(users_file),
        "cookie_key": COOKIE_KEY,
    }


@pytest.fixture
def new_session(app_secrets):
    """``new_session(**overrides)``: an AppTest session (a browser tab) of app.py."""

    def make(**overrides) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=30)
        at.secrets["linksplus"] = {**app_secrets, **overrides}
        return at

    return make


def login_form(at: AppTest) -> bool:
    """Whether the page is the login form (and nobody is logged in)."""
    assert not at.exception, [e.value for e in at.exception]
    keys = {t.key for t in at.text_input}
    return "login_username" in keys and not at.session_state["authentication_status"]


def log_in(at: AppTest, username: str = "sales", password: str = PASSWORD) -> AppTest:
    """Submit the login form once."""
    at.text_input(key="login_username").set_value(username)
    at.text_input(key="login_password").set_value(password)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def log_out_in_another_tab(new_session, username: str = "sales") -> AppTest:
    """Log `username` in in a new tab and click Log out there. (Without a cookie to write
    the page, its sidebar's Log out included, is drawn in the login's own run; AppTest
    loses the app's sidebar from its tree on later runs.)"""
    tab = log_in(new_session(cookie_expiry_days="0").run(), username)
    tab.button(key="console_logout").click().run()
    assert login_form(tab)
    return tab


def cookie_written(at: AppTest) -> str:
    """The login cookie this session asked the browser to write."""
    token, _expires = at.session_state["_login_cookie_token"]
    return token


def cookie_deleted(at: AppTest) -> bool:
    """Whether this session is having the browser delete the login cookie."""
    return "_login_cookie_pending" in at.session_state and (
        at.session_state["_login_cookie_pending"] == "delete"
    )
