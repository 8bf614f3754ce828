"""Two app processes and two webhook receivers on one PostgreSQL behave as one: failed
logins on app A slow the same username down on app B, and payments received by either
receiver (one of them sent to both) show once on app B's Payments page. In Chromium."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect
from polling import wait_for
from test_browser import (
    assert_page_healthy,
    main,
    metric_value,
    new_page,
    open_page,
    submit_login,
    wait_idle,
)
from webhooks.conftest import pg_server, pg_url, start_receiver  # noqa: F401

from linksplus.console.throttle import LoginThrottle
from linksplus.console.users import UserRecord, hash_password, save_users
from linksplus.devserver import ServerProcess, free_port

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "two-instances-password-3"


def _app(
    sandbox, db_url: str, users_file: Path, name: str, cookie_days: str = "0"
) -> ServerProcess:
    port = free_port()
    server = ServerProcess(
        [
            *(sys.executable, "-m", "streamlit", "run", str(REPO / "app.py")),
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--server.headless=true",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ],
        python_module=False,
        health_url=f"http://127.0.0.1:{port}/_stcore/health",
        env={
            "LINKSPLUS_API_BASE_URL": sandbox.url,
            "LINKSPLUS_API_KEY": sandbox.api_key,
            "LINKSPLUS_SANDBOX_URL": sandbox.url,
            "LINKSPLUS_EVENTLOG_URL": db_url,
            "LINKSPLUS_USERS_FILE": str(users_file),
            "LINKSPLUS_COOKIE_KEY": "two-instances-cookie-key-0123456789",
            "LINKSPLUS_COOKIE_EXPIRY_DAYS": cookie_days,
        },
        log_path=REPO / "test-artifacts" / "logs" / f"e2e-two-instances-{name}.log",
        timeout=60,
    )
    server.start()
    server.app_url = f"http://127.0.0.1:{port}"
    return server


def _login_page(browser: Browser, app: ServerProcess) -> Page:
    """A new browser at `app`'s login form (its first load compiles the app)."""
    page = new_page(browser)
    page.goto(app.app_url)
    expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
    wait_idle(page)
    return page


def _fail_login(page: Page, throttle: LoginThrottle, attempt: int) -> None:
    """A wrong password for "sales" until the database counts `attempt` failures. A click
    that lands while the form is being redrawn submits nothing; it is made again (a count
    past `attempt` only locks the username longer, which the test wants anyway)."""
    for _ in range(3):
        # The fourth failure locks the username for 5 s: an attempt within them is refused.
        wait_for(lambda: throttle.wait_seconds("sales", None) == 0, timeout=30)
        page.get_by_role("textbox", name="Username").fill("sales")
        page.get_by_role("textbox", name="Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
        try:
            # (From this machine the app sees no address.)
            wait_for(lambda: throttle.failures("sales", None) >= attempt, timeout=15)
        except pytest.fail.Exception:
            continue
        finally:
            wait_idle(page)
        return
    pytest.fail(f"failed login {attempt} on app A was never counted")


def _payment(link_id: int, payment_id: str, amount: int) -> dict:
    return {
        "event": "payment.completed",
        "link_id": link_id,
        "payment": {"id": payment_id, "amount": amount, "currency": "thb", "status": "successful"},
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_two_apps_and_two_receivers_on_one_postgresql(browser: Browser, sandbox, request, tmp_path):
    # The event log tests' fixtures (a fresh PostgreSQL database, receivers), by name.
    db_url, start = request.getfixturevalue("pg_url"), request.getfixturevalue("start_receiver")
    pw = hash_password(PASSWORD)
    users_file = tmp_path / "users.yaml"
    save_users(
        users_file,
        [
            UserRecord("sales", "Sales", "", ["sales"], [101], pw),
            UserRecord("manager", "Manager", "", ["manager"], [101], pw),
        ],
    )
    sandbox.seed_links(101, 1)
    (link,) = sandbox.client().list_links(101)
    receivers = [start(db_url), start(db_url)]
    first, second = _payment(link.id, "chrg_two_1", 12_300), _payment(link.id, "chrg_two_2", 4_500)
    answers = [requests.post(receivers[0].url, json=first, timeout=10).json()["status"]]
    answers += [requests.post(r.url, json=second, timeout=10).json()["status"] for r in receivers]
    assert answers == ["accepted", "accepted", "duplicate"]  # one event, stored once

    app_a = _app(sandbox, db_url, users_file, "a")
    app_b = _app(sandbox, db_url, users_file, "b")
    try:
        # Five wrong passwords for "sales" on app A (the fifth locks the username for
        # 10 s: app B's form is open already, so that its attempt comes within them)...
        on_b = _login_page(browser, app_b)
        page = _login_page(browser, app_a)
        throttle = LoginThrottle(db_url)
        for attempt in range(1, 6):
            _fail_login(page, throttle, attempt)
        throttle.engine.dispose()
        # ...and app B makes the right one wait: the count is the database's.
        page = on_b
        page.get_by_role("textbox", name="Username").fill("sales")
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(main(page).get_by_text("Too many failed attempts for this username")).to_be_visible(
            timeout=20_000
        )
        expect(page.locator("[data-testid='stSidebarNav']")).to_have_count(0)
        page.context.close()

        # App B's Payments page counts both payments, each once, whichever receiver got it.
        page = _login_page(browser, app_b)
        submit_login(page, "manager", PASSWORD)
        open_page(page, "Payments", "Payments")
        tile = page.locator(".st-key-tile_thb")
        expect(metric_value(tile, "Successful payments")).to_have_text("2", timeout=20_000)
        expect(metric_value(tile, "Successful volume")).to_have_text("168.00")
        assert_page_healthy(page)
        page.context.close()
    finally:
        app_a.stop()
        app_b.stop()


def test_a_logout_on_one_app_ends_the_login_on_the_other(
    browser: Browser, sandbox, request, tmp_path
):
    """Issue 23, item 2: one login cookie (a browser sends it to both apps: cookies do not
    depend on the port); a logout on app A ends the login on app B, its open page included,
    within seconds (auth.GENERATION_TTL)."""
    db_url = request.getfixturevalue("pg_url")
    users_file = tmp_path / "users.yaml"
    save_users(
        users_file, [UserRecord("sales", "Sales", "", ["sales"], [101], hash_password(PASSWORD))]
    )
    sandbox.seed_links(101, 1)
    app_a = _app(sandbox, db_url, users_file, "cookie-a", cookie_days="1")
    app_b = _app(sandbox, db_url, users_file, "cookie-b", cookie_days="1")
    try:
        page = _login_page(browser, app_a)
        submit_login(page, "sales", PASSWORD)
        wait_for(
            lambda: any(c["name"] == "linksplus_console" for c in page.context.cookies()),
            timeout=10,
        )
        on_b = page.context.new_page()
        on_b.goto(app_b.app_url)  # logged in on B by the cookie
        expect(main(on_b).get_by_role("heading", name="Links", exact=True)).to_be_visible(
            timeout=60_000
        )
        wait_idle(on_b)
        copied = next(c for c in page.context.cookies() if c["name"] == "linksplus_console")
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=20_000)
        # B's open page: its next run (a click) after a few seconds is the login form.
        on_b.wait_for_timeout(6_000)
        on_b.get_by_role("button", name="Refresh").click()
        expect(on_b.get_by_role("textbox", name="Username")).to_be_visible(timeout=20_000)
        # A fresh browser with the copied cookie on B: the form.
        other = new_page(browser)
        other.context.add_cookies(
            [{"name": copied["name"], "value": copied["value"], "url": app_b.app_url}]
        )
        other.goto(app_b.app_url)
        expect(other.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
        wait_idle(other)
        expect(other.get_by_role("textbox", name="Username")).to_be_visible()
        expect(other.locator("[data-testid='stSidebarNav']")).to_have_count(0)
        other.context.close()
        page.context.close()
    finally:
        app_a.stop()
        app_b.stop()
