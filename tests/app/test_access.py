"""Login, roles and teams: who sees what, and what cannot be reached."""

from __future__ import annotations

import pytest
import streamlit as st
from app_helpers import PASSWORD, no_exception, texts
from sqlalchemy import create_engine, text

from linksplus.workspace import Workspace

SALES_PAGES = [
    "pages/links.py",
    "pages/templates.py",
    "pages/create_link.py",
    "pages/bulk_create.py",
    "pages/payments.py",
    "pages/team_performance.py",
]
ADMIN_PAGES = ["pages/webhook_log.py", "pages/settings.py", "pages/audit_log.py"]


@pytest.mark.parametrize("role", ["sales", "manager"])
def test_sales_and_manager_get_the_four_pages_only(make_app, sandbox, role):
    sandbox.seed_links(101, 3)
    at = make_app(role).run()
    no_exception(at)
    for page in SALES_PAGES:
        at.switch_page(page).run()
        no_exception(at)
        assert at.title, page
    # Not in this role's navigation: AppTest refuses to switch right after a run...
    for page in ADMIN_PAGES:
        fresh = make_app(role).run()
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            fresh.switch_page(page)
    # ...and a page run anyway (AppTest forgets the navigation registry after a switch and
    # runs the file) refuses by itself.
    for page in ADMIN_PAGES:
        at.switch_page(page).run()
        no_exception(at)
        assert "This page is not available to you." in texts(at), page
        assert not at.metric and not at.dataframe, page


def test_admin_gets_every_page(make_app, sandbox):
    sandbox.seed_links(101, 3)
    at = make_app("admin").run()
    for page in SALES_PAGES + ADMIN_PAGES:
        at.switch_page(page).run()
        no_exception(at)
        assert at.title


def test_a_team_in_the_url_that_is_not_yours_is_refused(make_app, sandbox):
    sandbox.seed_links(102, 3)
    for page in SALES_PAGES:
        at = make_app("sales", query={"team": "102"})
        at.run()
        if page != "pages/links.py":
            at.switch_page(page).run()
            at.query_params["team"] = "102"
            at.run()
        no_exception(at)
        assert "You do not have access to team 102" in texts(at), page
        assert not at.dataframe, page


def test_manager_may_open_both_teams(make_app, sandbox):
    sandbox.seed_links(102, 2)
    at = make_app("manager", query={"team": "102"}).run()
    no_exception(at)
    assert "do not have access" not in texts(at)
    assert len(at.dataframe[0].value) == 2
    assert at.selectbox(key="team_picker").value == 102
    assert make_app("manager", query={"team": "103"}).run().error


def test_login_form_then_wrong_and_right_password(make_app):
    at = make_app(None).run()
    no_exception(at)
    assert at.text_input(key="login_username")
    at.text_input(key="login_username").set_value("sales")
    at.text_input(key="login_password").set_value("wrong password")
    at.button[0].click().run()
    assert "do not match" in texts(at)
    assert not at.session_state["authentication_status"]
    at.text_input(key="login_password").set_value(PASSWORD)
    at.button[0].click().run()
    no_exception(at)
    assert at.session_state["authentication_status"] is True
    assert at.session_state["roles"] == ["sales"]


def submit(at, username: str, password: str) -> None:
    at.text_input(key="login_username").set_value(username)
    at.text_input(key="login_password").set_value(password)
    at.button[0].click().run()


@pytest.mark.parametrize("new_process", [False, True])
def test_repeated_failures_are_slowed_down(make_app, new_process):
    at = make_app(None).run()
    for _ in range(4):
        submit(at, "manager", "nope")
    if new_process:
        # Another app process: nothing kept in memory, the same event-log database.
        st.cache_resource.clear()
        at = make_app(None).run()
    submit(at, "manager", PASSWORD)
    assert "Too many failed attempts" in texts(at)
    assert not at.session_state["authentication_status"]


def test_missing_cookie_key_shows_the_setup_page(make_app):
    at = make_app("sales", overrides={"cookie_key": ""}).run()
    no_exception(at)
    assert "needs setting up" in texts(at)
    assert "cookie_key" in texts(at) and "LINKSPLUS_COOKIE_KEY" in texts(at)


def test_a_cookie_lifetime_that_is_not_a_number_shows_the_setup_page(make_app):
    at = make_app("sales", overrides={"cookie_expiry_days": "a week"}).run()
    no_exception(at)
    assert "needs setting up" in texts(at)
    assert "`cookie_expiry_days` is 'a week'" in texts(at)


def test_a_rejected_key_says_what_to_do(make_app, sandbox):
    at = make_app("sales", overrides={"api_key": "skey_test_wrong_key_1234"}).run()
    no_exception(at)
    page = texts(at)
    assert "did not accept the API key" in page and "LINKSPLUS_API_KEY" in page
    assert "skey_test_wrong_key_1234" not in page


def test_a_database_from_a_newer_release_refuses_login_with_a_sentence(make_app, secrets):
    at = make_app(None).run()
    engine = create_engine(secrets["eventlog_url"])
    with engine.begin() as conn:  # the login throttle's table is the workspace's
        Workspace(secrets["eventlog_url"])
        conn.execute(text("UPDATE ws_schema_version SET version = 99"))
    engine.dispose()
    st.cache_resource.clear()  # a new process: the schema is checked again
    at = make_app(None).run()
    submit(at, "sales", PASSWORD)
    no_exception(at)
    assert "made by a newer release of Links+ Console" in texts(at)
    assert not at.session_state["authentication_status"]
