"""A login ends when it should (issue 23, item 2): a login cookie copied before a logout
logs nobody in afterwards, from any browser; a logout, a changed password and
`end_logins` (password change or reset, a disabled user) end every earlier login of the
user, the sessions already open included, in every app process sharing the database."""

from __future__ import annotations

import threading

import pytest
from login_app import (
    COOKIE,
    cookie_deleted,
    cookie_written,
    log_in,
    log_out_in_another_tab,
    login_form,
    write_users,
)
from webhooks.conftest import db_url, pg_server, pg_url, sqlite_url  # noqa: F401

from linksplus.console import login_cookie
from linksplus.console.users import hash_password
from linksplus.ui import auth
from linksplus.workspace import Workspace


def _logged_in_from(new_session, request_from_browser, cookie: str):
    """A new browser that sends `cookie`: its first run."""
    request_from_browser.cookies = {COOKIE: cookie}
    return new_session().run()


def test_a_cookie_copied_before_logout_logs_nobody_in(new_session, request_from_browser):
    first = log_in(new_session().run())
    copied = cookie_written(first)
    # Before the logout the copy logs in (the test can tell a login from a form).
    assert not login_form(_logged_in_from(new_session, request_from_browser, copied))
    request_from_browser.cookies = {}
    log_out_in_another_tab(new_session)
    assert login_form(first.run())  # the browser the cookie came from is logged out too
    # Another browser with the copy gets the form, and drops the cookie.
    other = _logged_in_from(new_session, request_from_browser, copied)
    assert login_form(other)
    assert cookie_deleted(other)


def test_a_logout_ends_the_users_sessions_in_other_browsers(new_session, request_from_browser):
    laptop = log_in(new_session().run())
    manager = log_in(new_session().run(), "manager")
    log_out_in_another_tab(new_session)
    assert login_form(laptop.run())
    assert not login_form(manager.run())  # other users' logins stand


def test_end_logins_in_another_app_process_ends_this_ones_within_seconds(
    new_session, request_from_browser, app_secrets, monkeypatch
):
    at = log_in(new_session().run())
    cookie = cookie_written(at)
    Workspace(app_secrets["eventlog_url"]).end_logins("Sales")  # another process's store
    # This process believes its last read for GENERATION_TTL seconds (5): make them pass.
    assert auth.GENERATION_TTL <= 5
    monkeypatch.setattr(auth, "GENERATION_TTL", 0.0)
    assert login_form(at.run())
    assert cookie_deleted(at)
    assert login_form(_logged_in_from(new_session, request_from_browser, cookie))


def test_a_changed_password_ends_logins_made_with_the_old_one(
    new_session, request_from_browser, users_file
):
    at = log_in(new_session().run())
    cookie = cookie_written(at)
    write_users(users_file, hash_password("a-new-password-2"))
    assert login_form(at.run())
    assert login_form(_logged_in_from(new_session, request_from_browser, cookie))
    log_in(at, password="a-new-password-2")
    assert not login_form(at)


def test_the_cookie_carries_no_password_and_only_signed_claims(new_session):
    at = log_in(new_session().run())
    claims = login_cookie.decode(cookie_written(at), at.secrets["linksplus"]["cookie_key"])
    assert claims is not None and claims.username == "sales" and claims.generation == 0
    assert "$2b$" not in cookie_written(at) and len(claims.password) == 32


@pytest.fixture
def store_url(db_url):  # noqa: F811 - an SQLite file, then PostgreSQL
    return db_url


def test_end_logins_counts_every_call_in_every_process(store_url):
    first, second = Workspace(store_url), Workspace(store_url)
    assert first.login_generation("sales") == 0
    assert first.end_logins("Sales") == 1
    assert second.login_generation("SALES") == 1
    assert second.login_generation("manager") == 0
    start = threading.Barrier(8)

    def end(ws: Workspace) -> None:
        start.wait()
        ws.end_logins("sales")

    threads = [threading.Thread(target=end, args=(ws,)) for ws in [first, second] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert first.login_generation("sales") == 9


def test_a_session_without_a_cookie_ends_too(new_session, request_from_browser):
    at = log_in(new_session(cookie_expiry_days="0").run())
    log_out_in_another_tab(new_session)
    assert login_form(at.run())
