"""In Chromium, as the demo's manager: Team performance shows the team's table and charts,
and clicking a Still owed age bucket lists its links (and puts the bucket in the address).
Screenshots: test-artifacts/screenshots/team-performance*.png."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect
from test_browser import assert_page_healthy, log_in, main, new_page, open_page, shoot, wait_idle

pytestmark = pytest.mark.browser

BUCKET = re.compile(r"^(0–3|4–7|8–14|15\+) days \((\d[\d,]*)\)$")


def test_manager_opens_team_performance_and_clicks_a_bucket(
    browser: Browser, demo, screenshots: Path
) -> None:
    page = new_page(browser)
    try:
        log_in(page, demo, "manager")
        open_page(page, "Team performance", "Team performance")
        body = main(page)
        expect(body.locator(".st-key-perf_table")).to_be_visible()
        expect(body.get_by_role("heading", name="Still owed")).to_be_visible()
        expect(body.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
        page.screenshot(path=str(screenshots / "team-performance.png"), full_page=True)
        # The demo's 90 days of links leave some unpaid: click the first bucket holding any.
        # A segmented control: its options are toggle buttons in a button group.
        buttons = body.locator("[data-testid='stButtonGroup']").get_by_text(BUCKET)
        expect(buttons).to_have_count(4)
        labels = [b.inner_text().strip() for b in buttons.all()]
        held = [label for label in labels if BUCKET.match(label).group(2) != "0"]
        assert held, labels
        buttons.filter(has_text=held[0]).click()
        listed = body.locator(".st-key-owed_links")
        expect(listed).to_be_visible()
        wait_idle(page)
        assert_page_healthy(page)
        bucket = BUCKET.match(held[0]).group(1).replace("–", "-")
        # "15+" is escaped in the address (a bare plus would read as a space).
        assert parse_qs(urlsplit(page.url).query)["owed"] == [bucket]
        expect(body.get_by_role("link", name="Open them on the Links page")).to_be_visible()
        listed.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "team-performance-owed.png"), full_page=True)
    except BaseException:
        shoot(page, screenshots, "failed-team-performance")
        raise
    finally:
        page.context.close()
