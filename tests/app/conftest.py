"""AppTest helpers: a users file with the three roles, and apps wired to the test sandbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from linksplus.console.users import UserRecord, hash_password, save_users

APP = Path(__file__).resolve().parents[2] / "app.py"
from app_helpers import PASSWORD  # noqa: E402 - shared with the tests

COOKIE_KEY = "test-cookie-key-0123456789abcdef"
ROLES = {"sales": [101], "manager": [101, 102], "admin": "*"}


@pytest.fixture(scope="session")
def users_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.yaml"
    pw = hash_password(PASSWORD)
    save_users(
        path,
        [
            UserRecord(name, name.title(), f"{name}@example.com", [name], teams, pw)
            for name, teams in ROLES.items()
        ],
    )
    return path


@pytest.fixture
def secrets(sandbox, users_file, tmp_path, monkeypatch) -> dict:
    """The [linksplus] secrets of an app talking to the test sandbox."""
    for name in (
        "API_BASE_URL",
        "API_KEY",
        "API_AUTH",
        "ACCOUNT_COUNTRY",
        "EVENTLOG_URL",
        "SANDBOX_URL",
        "USERS_FILE",
        "COOKIE_KEY",
    ):
        monkeypatch.delenv(f"LINKSPLUS_{name}", raising=False)
    # Each test has its own sandbox state and event log: forget what earlier tests cached.
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
def make_app(secrets) -> Callable[..., AppTest]:
    """``make_app(role, query={...})``: an AppTest of app.py, logged in as `role` (None:
    not logged in); ``script="pages/x.py"`` runs that page file alone instead, as a page
    run without app.py (Streamlit's old-style pages) would."""

    def make(
        role: str | None = "sales",
        *,
        query: dict | None = None,
        overrides: dict | None = None,
        script: str | None = None,
    ) -> AppTest:
        at = AppTest.from_file(str(APP.parent / script if script else APP), default_timeout=30)
        at.secrets["linksplus"] = {**secrets, **(overrides or {})}
        if role:
            at.session_state["authentication_status"] = True
            at.session_state["username"] = role
            at.session_state["name"] = role.title()
            at.session_state["roles"] = [role]
        for key, value in (query or {}).items():
            at.query_params[key] = value
        return at

    return make
