"""The Audit log in a real browser, at phone width (issue 19 §3): after a failed login and
the admin's own login, the page opens from the folded sidebar and its Download CSV holds
both rows. (The table is drawn on a canvas: its rows are read from the download.)"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from test_browser import main, wait_idle
from test_phone_browser import open_on_phone, phone_log_in, phone_page

pytestmark = pytest.mark.browser


def download_csv(page) -> str:
    """The page's "Download CSV" file. A click that lands while the page reruns (the
    button's own callback reruns it) may be lost on a busy machine: one more click then."""
    wait_idle(page)
    for attempt in range(2):
        try:
            button = main(page).get_by_role("button", name="Download CSV")
            expect(button).to_be_enabled()
            with page.expect_download(timeout=15_000) as download:
                button.click()
            return Path(download.value.path()).read_text("utf-8-sig")
        except PlaywrightTimeout:
            if attempt == 1:
                raise
            wait_idle(page)
    raise AssertionError("unreachable")


def test_the_audit_log_shows_a_login_at_phone_width(browser: Browser, demo) -> None:
    page = phone_page(browser)
    try:
        page.goto(demo.app_url)
        expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
        wait_idle(page)
        page.get_by_role("textbox", name="Username").fill("manager")
        page.get_by_role("textbox", name="Password").fill("not-the-password")
        refused = page.get_by_text("do not match")
        for attempt in range(2):  # a fresh app's first submit may do nothing (#184)
            page.get_by_role("button", name="Log in").click()
            try:
                refused.wait_for(timeout=10_000)
                break
            except PlaywrightTimeout:
                if attempt == 1:
                    raise
        wait_idle(page)
        phone_log_in(page, demo, "admin")
        open_on_phone(page, "Audit log", "Audit log")
        expect(main(page).locator("[data-testid='stDataFrame']")).to_be_visible()
        text = download_csv(page)
        rows = [(r["Person"], r["action"]) for r in csv.DictReader(io.StringIO(text))]
        assert ("manager", "login_failed") in rows and ("admin", "login") in rows, rows
    finally:
        page.context.close()
