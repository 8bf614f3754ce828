"""In Chromium, with the users in the console's database (no users file): an admin adds a
salesperson on the Users page and reads the one-time password; the salesperson logs in
with it, is made to choose a new password first, and then reaches the Links page.

The app runs alone here, against the suite's sandbox, with a database of its own: the
person added does not join the shared demo's team.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, expect
from test_browser import assert_page_healthy, main, new_page, shoot, submit_login, wait_idle

from linksplus.console.users import UserRecord, check_password, hash_password, to_stored
from linksplus.devserver import ServerProcess, free_port
from linksplus.eventlog.engine import make_engine
from linksplus.workspace.users import UserStore

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "e2e-users-admin-phrase"
NEW_PASSWORD = "niran's own phrase 42"


@pytest.fixture(scope="module")
def store_app(chromium_path, sandbox_server, tmp_path_factory):
    """app.py in a new process whose users live in its database: one admin, "boss"."""
    folder = tmp_path_factory.mktemp("users-app")
    url = f"sqlite:///{folder}/events.db"
    store = UserStore(make_engine(url))
    boss = UserRecord("boss", "Boss", "", ("admin",), "*", hash_password(ADMIN_PASSWORD))
    store.add(to_stored(boss))
    port = free_port()
    options = {
        "server.address": "127.0.0.1",
        "server.port": port,
        "server.headless": "true",
        "browser.gatherUsageStats": "false",
        "server.fileWatcherType": "none",
    }
    server = ServerProcess(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py")]
        + [f"--{name}={value}" for name, value in options.items()],
        python_module=False,
        health_url=f"http://127.0.0.1:{port}/_stcore/health",
        env={
            "LINKSPLUS_API_BASE_URL": sandbox_server.url,
            "LINKSPLUS_API_KEY": sandbox_server.api_key,
            "LINKSPLUS_SANDBOX_URL": sandbox_server.url,
            "LINKSPLUS_EVENTLOG_URL": url,
            "LINKSPLUS_COOKIE_KEY": "e2e-users-cookie-key-0123456789abcdef",
        },
        log_path=REPO / "test-artifacts" / "logs" / "e2e-users-app.log",
        timeout=60,
    )
    server.start()
    try:
        yield f"http://127.0.0.1:{port}", store
    finally:
        server.stop()
        store.engine.dispose()


def test_an_admin_adds_a_salesperson_who_chooses_a_password_and_reaches_links(
    browser: Browser, store_app, sandbox, screenshots: Path
) -> None:
    app_url, store = store_app
    sandbox.seed_links(101, 2)
    admin = new_page(browser)
    try:
        admin.goto(app_url)
        submit_login(admin, "boss", ADMIN_PASSWORD)
        admin.get_by_role("link", name="Users").click()
        body = main(admin)
        expect(body.get_by_role("heading", name="Add a person")).to_be_visible()
        wait_idle(admin)
        form = body.get_by_test_id("stForm").first
        form.get_by_role("textbox", name="Username", exact=True).fill("niran")
        form.get_by_role("textbox", name="Name", exact=True).fill("Niran S.")
        form.get_by_role("textbox", name="Email", exact=True).fill("niran@example.com")
        form.get_by_role("textbox", name="Teams", exact=True).fill("101")
        form.get_by_role("button", name="Add").click()
        code = body.get_by_test_id("stCode")
        expect(code).to_be_visible()
        once = code.inner_text().strip()
        wait_idle(admin)
        assert_page_healthy(admin)
        shoot(admin, screenshots, "users-added")
    finally:
        admin.context.close()
    niran = store.get("niran")
    assert niran is not None and niran.must_change and check_password(once, niran.password_hash)

    sales = new_page(browser)
    try:
        sales.goto(app_url)
        sales.get_by_role("textbox", name="Username").fill("niran")
        sales.get_by_role("textbox", name="Password").fill(once)
        sales.get_by_role("button", name="Log in").click()
        body = main(sales)
        expect(body.get_by_role("heading", name="Choose a new password")).to_be_visible()
        wait_idle(sales)
        expect(sales.locator("[data-testid='stSidebarNavLink']")).to_have_count(0)
        body.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        body.get_by_label("New password, again").fill(NEW_PASSWORD)
        body.get_by_role("button", name="Save my password").click()
        expect(body.get_by_role("heading", name="Links")).to_be_visible()
        wait_idle(sales)
        assert_page_healthy(sales)
        shoot(sales, screenshots, "users-new-password-links")
    finally:
        sales.context.close()
    assert check_password(NEW_PASSWORD, store.get("niran").password_hash)
    assert not store.get("niran").must_change


def test_two_step_login_is_asked_once_per_login_and_survives_a_reload(
    browser: Browser, store_app, screenshots: Path
) -> None:
    app_url, store = store_app
    if store.get("malee") is None:
        sales = UserRecord("malee", "Malee", "", ("sales",), (101,), hash_password(ADMIN_PASSWORD))
        store.add(to_stored(sales))
        # Added by another process (this test): the app asks the database whether its
        # users changed at most every 3 s (ui/auth.py: _store_stamp), so it knows malee then.
        time.sleep(3.5)
    page = new_page(browser)
    try:
        page.goto(app_url)
        submit_login(page, "malee", ADMIN_PASSWORD)
        page.get_by_role("link", name="My settings").click()
        body = main(page)
        body.get_by_role("button", name="Set up two-step login").click()
        expect(body.get_by_test_id("stImage")).to_be_visible()
        secret = body.get_by_test_id("stCode").first.inner_text().strip()
        wait_idle(page)
        body.get_by_role("textbox", name="Code from the app").fill(pyotp.TOTP(secret).now())
        body.get_by_role("button", name="Turn on").click()
        expect(body.get_by_text("Recovery codes, shown this once")).to_be_visible()
        wait_idle(page)
        shoot(page, screenshots, "two-step-on")
    finally:
        page.context.close()

    page = new_page(browser)
    try:
        page.goto(app_url)
        page.get_by_role("textbox", name="Username").fill("malee")
        page.get_by_role("textbox", name="Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        body = main(page)
        expect(body.get_by_role("heading", name="Two-step login")).to_be_visible()
        wait_idle(page)
        expect(page.locator("[data-testid='stSidebarNavLink']")).to_have_count(0)
        code = pyotp.TOTP(secret).at(time.time() + 30)  # the setup's own code is used up
        body.get_by_role("textbox", name="Code").fill(code)
        body.get_by_role("button", name="Go on").click()
        expect(body.get_by_role("heading", name="Links")).to_be_visible()
        wait_idle(page)
        page.reload()  # the login cookie says the code was given: not asked again
        expect(main(page).get_by_role("heading", name="Links")).to_be_visible()
        wait_idle(page)
        expect(main(page).get_by_role("heading", name="Two-step login")).to_have_count(0)
        assert_page_healthy(page)
    finally:
        page.context.close()
