"""In Chromium, with the users in the console's database (no users file): an admin adds a
salesperson on the Users page and reads the one-time password; the salesperson logs in
with it, is made to choose a new password first, and then reaches the Links page.

The app runs alone here, against the suite's sandbox, with a database of its own: the
person added does not join the shared demo's team.
"""

from __future__ import annotations

import sys
from pathlib import Path

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
