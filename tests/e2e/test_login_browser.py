"""Logins in Chromium on a freshly started app: a shared link opened while logged out (with
a forged cookie), one submit, the login cookie (signed, with its configured lifetime), a
reload, a new tab, a logout that sticks, and a logged-out link to another page and team.

The app runs alone here (against the suite's sandbox), started for this module, so that the
first page it ever serves is a deep link: Streamlit runs a page opened by URL by itself in
the first session after a start (it treats pages/ as an old-style pages folder until
`st.navigation` has run once), and that case must log in and land on the page too.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import jwt
import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import (
    TIMEOUT_MS,
    assert_page_healthy,
    main,
    new_page,
    shoot,
    submit_login,
    wait_idle,
)

from linksplus.console.throttle import LoginThrottle
from linksplus.console.users import UserRecord, hash_password, save_users
from linksplus.devserver import ServerProcess, free_port

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "e2e-login-password-7"
COOKIE_KEY = "e2e-login-cookie-key-0123456789abcdef"
COOKIE_DAYS = 2


@pytest.fixture(scope="module")
def app_folder(tmp_path_factory) -> Path:
    """The fresh app's folder: its users file and its database (events.db)."""
    return tmp_path_factory.mktemp("login-app")


@pytest.fixture(scope="module")
def fresh_app(chromium_path, sandbox_server, app_folder):
    """app.py alone in a new process (no page served yet), against the sandbox."""
    folder = app_folder
    users_file = folder / "users.yaml"
    pw = hash_password(PASSWORD)
    save_users(
        users_file,
        [
            UserRecord("sales", "Sales", "s@example.com", ["sales"], [101], pw),
            UserRecord("manager", "Manager", "m@example.com", ["manager"], [101, 102], pw),
        ],
    )
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
            "LINKSPLUS_EVENTLOG_URL": f"sqlite:///{folder}/events.db",
            "LINKSPLUS_USERS_FILE": str(users_file),
            "LINKSPLUS_COOKIE_KEY": COOKIE_KEY,
            "LINKSPLUS_COOKIE_EXPIRY_DAYS": str(COOKIE_DAYS),
        },
        log_path=REPO / "test-artifacts" / "logs" / "e2e-login-app.log",
        timeout=60,
    )
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def login_form_shown(page: Page) -> None:
    expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_role("textbox", name="Username")).to_be_visible()
    expect(page.locator("[data-testid='stSidebarNavLink']")).to_have_count(0)


def heading(page: Page, name: str) -> None:
    expect(main(page).get_by_role("heading", name=name, exact=True)).to_be_visible()
    wait_idle(page)


def login_cookie(page: Page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == "linksplus_console"), None)


def test_shared_link_login_cookie_reload_new_tab_and_logout(
    browser: Browser, fresh_app: str, sandbox, screenshots: Path
) -> None:
    sandbox.seed_links(101, 3)
    sandbox.seed_links(102, 2)
    page = new_page(browser)
    try:
        # A cookie signed with another key logs nobody in.
        forged = jwt.encode(
            {"username": "sales", "exp_date": time.time() + 3600},
            "not-the-cookie-key-0123456789abcdef",
            algorithm="HS256",
        )
        page.context.add_cookies([{"name": "linksplus_console", "value": forged, "url": fresh_app}])
        # A shared Links URL with filters, as the first page the app ever serves.
        page.goto(f"{fresh_app}/links?q=zebra&status=active")
        login_form_shown(page)
        submit_login(page, "sales", PASSWORD)
        heading(page, "Links")
        expect(main(page).get_by_role("textbox", name="Name contains")).to_have_value("zebra")
        assert "q=zebra" in page.url and "status=active" in page.url, page.url
        assert_page_healthy(page)

        # The cookie: streamlit-authenticator's token, signed with our key, for 2 days.
        for _ in range(50):
            cookie = login_cookie(page)
            if cookie:
                break
            page.wait_for_timeout(100)
        assert cookie, "the login cookie was not set"
        token = jwt.decode(cookie["value"], COOKIE_KEY, algorithms=["HS256"])
        assert token["username"] == "sales"
        lifetime_days = (cookie["expires"] - time.time()) / 86400
        assert COOKIE_DAYS - 0.01 < lifetime_days <= COOKIE_DAYS, lifetime_days
        assert cookie["sameSite"] == "Strict"

        # A reload keeps the user logged in, on the same page and filters.
        page.reload()
        heading(page, "Links")
        expect(page.get_by_role("textbox", name="Username")).to_have_count(0)
        expect(main(page).get_by_role("textbox", name="Name contains")).to_have_value("zebra")

        # A new session from the cookie draws its page once: a shared URL's one-run note
        # (an unreadable date) is not wiped by the cookie manager's first report.
        page.goto(f"{fresh_app}/links?q=zebra&from=someday")
        heading(page, "Links")
        page.wait_for_timeout(500)
        wait_idle(page)
        expect(
            main(page).get_by_text("The date “someday” in the address is not a date.")
        ).to_be_visible()

        # A new tab with the same cookie is logged in, on the page of its URL.
        tab = page.context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        tab.goto(f"{fresh_app}/payments")
        heading(tab, "Payments")
        expect(tab.get_by_role("textbox", name="Username")).to_have_count(0)
        shoot(tab, screenshots, "login-new-tab")

        # Logging out deletes the cookie: a reload shows the form again.
        tab.get_by_role("button", name="Log out").click()
        login_form_shown(tab)
        for _ in range(50):
            if login_cookie(tab) is None:
                break
            tab.wait_for_timeout(100)
        assert login_cookie(tab) is None, "the login cookie outlived the logout"
        tab.reload()
        login_form_shown(tab)

        # Logged out, a link to another page and team: after the login, that page and team.
        tab.goto(f"{fresh_app}/payments?team=102")
        login_form_shown(tab)
        submit_login(tab, "manager", PASSWORD)
        heading(tab, "Payments")
        assert re.search(r"[?&]team=102\b", tab.url), tab.url
        assert_page_healthy(tab)
    except BaseException:
        shoot(page, screenshots, "failed-login")
        raise
    finally:
        page.context.close()


def _written_cookie(page: Page, replacing: str | None = None) -> dict:
    """The login cookie once the app has written it (in place of `replacing`)."""
    for _ in range(50):
        cookie = login_cookie(page)
        if cookie and cookie["value"] != replacing:
            return cookie
        page.wait_for_timeout(100)
    raise AssertionError("the login cookie was not set")


def test_a_cookie_copied_before_logout_gets_the_login_form(
    browser: Browser, fresh_app: str, sandbox, screenshots: Path
) -> None:
    """Issue 23, item 2: log in, copy the cookie, log out; the copy in a fresh browser (and
    in the same one) gets the login form."""
    sandbox.seed_links(101, 1)
    page = new_page(browser)
    thief = None
    try:
        page.goto(f"{fresh_app}/links")
        login_form_shown(page)
        submit_login(page, "sales", PASSWORD)
        heading(page, "Links")
        copied = _written_cookie(page)
        page.get_by_role("button", name="Log out").click()
        login_form_shown(page)

        thief = new_page(browser)
        thief.context.add_cookies(
            [{"name": copied["name"], "value": copied["value"], "url": fresh_app}]
        )
        thief.goto(f"{fresh_app}/links")
        login_form_shown(thief)
        thief.wait_for_timeout(1000)  # a cookie login would have drawn the page by now
        login_form_shown(thief)
        expect(main(thief).get_by_role("heading", name="Links", exact=True)).to_have_count(0)
        # The refused cookie is deleted from that browser.
        for _ in range(50):
            if login_cookie(thief) is None:
                break
            thief.wait_for_timeout(100)
        assert login_cookie(thief) is None, "the refused cookie was kept"
        assert_page_healthy(thief)
    except BaseException:
        shoot(page, screenshots, "failed-cookie-after-logout")
        if thief is not None:
            shoot(thief, screenshots, "failed-cookie-after-logout-copy")
        raise
    finally:
        page.context.close()
        if thief is not None:
            thief.context.close()


def test_an_alg_none_cookie_gets_the_login_form_then_a_login_works(
    browser: Browser, fresh_app: str, sandbox, screenshots: Path
) -> None:
    """Issue 23, item 3: an unsigned (``alg: none``) cookie naming a user: no traceback, the
    login form; the cookie is dropped and the form logs in."""
    sandbox.seed_links(101, 1)
    page = new_page(browser)
    try:
        unsigned = jwt.encode(
            {"username": "sales", "exp_date": time.time() + 3600, "gen": 0, "pwd": "x"},
            None,
            algorithm="none",
        )
        page.context.add_cookies(
            [{"name": "linksplus_console", "value": unsigned, "url": fresh_app}]
        )
        page.goto(f"{fresh_app}/links")
        login_form_shown(page)
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        expect(page.get_by_text("InvalidAlgorithmError")).to_have_count(0)
        submit_login(page, "sales", PASSWORD)
        heading(page, "Links")
        assert_page_healthy(page)
        cookie = _written_cookie(page, replacing=unsigned)
        assert jwt.decode(cookie["value"], COOKIE_KEY, algorithms=["HS256"])["username"] == "sales"
        page.reload()  # the new cookie logs in
        heading(page, "Links")
        expect(page.get_by_role("textbox", name="Username")).to_have_count(0)
    except BaseException:
        shoot(page, screenshots, "failed-alg-none-cookie")
        raise
    finally:
        page.context.close()


def test_forwarded_addresses_from_this_machine_are_not_believed(
    browser: Browser, fresh_app: str, app_folder: Path, screenshots: Path
) -> None:
    """Issue 23, item 6, through Streamlit's real web server: wrong passwords sent from
    this machine with a different X-Forwarded-For each count as this machine's (no
    `trusted_proxies`), not as four strangers'."""
    throttle = LoginThrottle(f"sqlite:///{app_folder}/events.db")
    forged = [f"203.0.113.{n}" for n in range(1, 5)]
    for address in forged:
        context = browser.new_context(extra_http_headers={"X-Forwarded-For": address})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        try:
            page.goto(fresh_app)
            login_form_shown(page)
            page.get_by_role("textbox", name="Username").fill("manager")
            page.get_by_role("textbox", name="Password").fill("not-the-password")
            page.get_by_role("button", name="Log in").click()
            expect(main(page).get_by_text("do not match")).to_be_visible()
        except BaseException:
            shoot(page, screenshots, "failed-forwarded-for")
            raise
        finally:
            context.close()
    try:
        assert throttle.failures("manager", None) == 4  # one address: this machine
        assert all(throttle.failures("manager", a) == 0 for a in forged)
        assert throttle.wait_seconds("manager", None) > 0  # and its fourth failure waits
    finally:
        throttle.engine.dispose()
