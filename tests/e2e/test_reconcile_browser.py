"""Reconciliation in Chromium: an admin presses Check now on the Webhook log of the running
demo, the result appears by itself (the check runs in the background), and Settings counts
it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from test_browser import assert_page_healthy, log_in, main, new_page, open_page, shoot, wait_idle

pytestmark = pytest.mark.browser

RESULT = re.compile(r"(\d[\d,]* differences? found at|Nothing differs: checked at)")


def test_admin_checks_now_and_settings_counts_it(browser: Browser, demo, screenshots: Path) -> None:
    page = new_page(browser)
    try:
        log_in(page, demo, "admin")
        open_page(page, "Webhook log", "Webhook log")
        expect(main(page).get_by_text("No reconciliation has been run yet.")).to_be_visible()
        check = main(page).get_by_role("button", name="Check now")
        check.click()
        found = main(page).get_by_text(RESULT)
        expect(found).to_be_visible(timeout=60_000)  # by itself: the fragment's timer
        expect(check).to_be_enabled(timeout=30_000)  # and the check is over
        wait_idle(page)
        assert_page_healthy(page)
        sentence = RESULT.search(found.inner_text()).group(1)
        shoot(page, screenshots, "webhook-log-reconciliation")
        open_page(page, "Settings", "Settings")
        expect(main(page).get_by_text(sentence)).to_be_visible()
        expect(main(page).get_by_role("link", name="Open Webhook log")).to_be_visible()
    except Exception:
        shoot(page, screenshots, "failed-reconciliation")
        raise
    finally:
        page.context.close()
