"""In Chromium: every page answers at its own address, the Links page at "/links" as well
as at "/", with the query it carried ("/links?view=mine" opens My links)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect
from test_browser import assert_page_healthy, main, new_page, submit_login, wait_idle

pytestmark = pytest.mark.browser


def test_the_links_page_answers_at_its_own_name_with_its_query(browser: Browser, demo):
    page = new_page(browser)
    try:
        page.goto(demo.app_url)
        expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
        wait_idle(page)
        submit_login(page, "manager", demo.password)  # managers open on the team's links
        page.goto(f"{demo.app_url}/links?view=mine")
        expect(main(page).get_by_role("heading", name="Links", exact=True)).to_be_visible()
        wait_idle(page)
        assert_page_healthy(page)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        shown = main(page).locator("[data-testid='stButtonGroup']").filter(has_text="My links")
        expect(shown.locator("[aria-checked='true'], [aria-pressed='true']")).to_have_text(
            "My links"
        )
        page.goto(f"{demo.app_url}/payments")
        expect(main(page).get_by_role("heading", name="Payments", exact=True)).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
    finally:
        page.context.close()


def test_settings_shows_the_keys_last_four_whole_on_desktop_and_phone(browser: Browser, demo):
    page = new_page(browser)
    try:
        page.goto(demo.app_url)
        expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
        wait_idle(page)
        submit_login(page, "admin", demo.password)
        page.goto(f"{demo.app_url}/settings")
        expect(main(page).get_by_role("heading", name="Settings", exact=True)).to_be_visible()
        wait_idle(page)
        tile = main(page).locator("[data-testid='stMetric']").filter(has_text="API key")
        value = tile.locator("[data-testid='stMetricValue']")
        for width in (1400, 390):
            page.set_viewport_size({"width": width, "height": 1000})
            value.scroll_into_view_if_needed()
            text = value.inner_text().strip()
            # "••••" and the last four: what tells this key from another, never cut.
            assert re.fullmatch(r"••••\S{4}", text), (width, text)
            cut = value.evaluate(
                "e => [e, ...e.querySelectorAll('*')].some(n => n.scrollWidth > n.clientWidth)"
            )
            assert not cut, (width, text)
    finally:
        page.context.close()
