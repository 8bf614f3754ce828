"""On a phone (390 x 844, touch): the links come first, and a link is created and shared.

As `sales` on the demo: the Links page shows the links table within the first screen (the
count and search above it, the other filters folded away), Create link works with one
thumb, its share buttons carry the message to LINE, WhatsApp, email and SMS, and the link's
detail opens by the table. Screens are saved to test-artifacts/screenshots/phone-*.png.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from test_browser import (
    TIMEOUT_MS,
    assert_page_healthy,
    main,
    shoot,
    wait_idle,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def phone_page(browser: Browser) -> Page:
    """A fresh phone-sized touch browser (no cookies)."""
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        timezone_id="Asia/Bangkok",
        locale="en-US",
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def phone_log_in(page: Page, demo, username: str) -> None:
    """Log in through the form; a phone keeps the sidebar folded, so the Links page's heading
    (not the navigation) tells that it worked."""
    page.goto(demo.app_url)
    expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(demo.password)
    page.get_by_role("button", name="Log in").click()
    expect(main(page).get_by_role("heading", name="Links", exact=True)).to_be_visible()
    wait_idle(page)
    assert_page_healthy(page)


def open_on_phone(page: Page, title: str, heading: str) -> None:
    """Open a page from the sidebar, which a phone keeps folded until asked."""
    nav_link = page.locator("[data-testid='stSidebarNavLink']").filter(
        has=page.get_by_text(title, exact=True)
    )
    if not nav_link.is_visible() or not _on_screen(page, nav_link):
        page.locator("[data-testid='stExpandSidebarButton']").click()
    nav_link.click()
    expect(main(page).get_by_role("heading", name=heading, exact=True)).to_be_attached()
    # A phone's sidebar covers the page and stays open after the tap: fold it again.
    page.locator("[data-testid='stSidebarCollapseButton'] button").click()
    expect(page.locator("[data-testid='stSidebar']")).to_have_attribute("data-collapsed", "true")
    expect(main(page).get_by_role("heading", name=heading, exact=True)).to_be_visible()
    wait_idle(page)
    assert_page_healthy(page)


def _on_screen(page: Page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["x"] < PHONE["width"]


def test_phone_links_first_then_create_and_share(browser: Browser, demo, screenshots: Path):
    page = phone_page(browser)
    try:
        phone_log_in(page, demo, "sales")
        # The Links page (the default): count, search and the table on the first screen.
        count = main(page).get_by_text(re.compile(r"^[\d,]+ of [\d,]+ links\.$"))
        expect(count).to_be_visible()
        search = main(page).get_by_role("textbox", name="Name contains")
        expect(search).to_be_visible()
        table = main(page).locator("[data-testid='stDataFrame']").first
        expect(table).to_be_visible()
        wait_idle(page)
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, screenshots, "phone-links")
        top = table.bounding_box()["y"]
        print(f"phone: the links table's top is at {top:.0f} px of {PHONE['height']}")
        assert top < PHONE["height"] - 3 * 35, f"the table starts at {top:.0f} px, off screen"
        # No blank band above the page: the heading starts just under Streamlit's header
        # (60 px; it started at 179 px, below a 6rem padding and two invisible components).
        heading = main(page).get_by_role("heading", name="Links", exact=True)
        assert heading.bounding_box()["y"] < 90, heading.bounding_box()
        for above in (count, search):
            assert above.bounding_box()["y"] < top
        # The other filters are folded away, and one tap shows them.
        filters = main(page).locator("[data-testid='stExpander']").filter(has_text="Filters")
        status = main(page).get_by_role("combobox", name="Status")
        expect(status).to_be_hidden()
        filters.locator("summary").click()
        expect(status).to_be_visible()
        wait_idle(page)  # opening the expander reruns the page (it has a key)
        active = page.get_by_role("option", name="Active", exact=True)
        for attempt in range(2):  # a rerun that lands on the tap closes the options list
            status.click()
            try:
                active.wait_for(timeout=5_000)
                break
            except PlaywrightTimeout:
                if attempt == 1:
                    raise
                wait_idle(page)
        active.click()
        # The folded filters' label says how many are set.
        expect(filters.locator("summary")).to_have_text(re.compile(r"Filters \(1 active\)"))
        expect(main(page).get_by_text(re.compile(r"links match the filters\.$"))).to_be_visible()
        page.keyboard.press("Escape")  # close the options list
        wait_idle(page)
        expect(main(page).get_by_role("button", name="Clear filters")).to_be_visible()
        shoot(page, screenshots, "phone-links-filters")

        # Create link: one column, a link made, its share buttons carry the message.
        open_on_phone(page, "Create link", "Create a payment link")
        name = f"Phone link {uuid.uuid4().hex[:8]}"
        link_name = main(page).get_by_role("textbox", name="Link name")
        amount = main(page).get_by_role("textbox", name="Amount", exact=True)
        link_name.fill(name)
        amount.fill("990")
        for box in (link_name, amount):  # full width: nothing squeezed beside them
            assert box.bounding_box()["width"] > PHONE["width"] * 0.6
        shoot(page, screenshots, "phone-create")
        main(page).get_by_role("button", name="Create link").click()
        expect(page.locator(".st-key-created_link")).to_contain_text(f"“{name}” is ready")
        wait_idle(page)
        assert_page_healthy(page)
        message = (
            main(page)
            .get_by_role("textbox", name="Message (you can edit it before sending)")
            .input_value()
        )
        assert name in message, message
        line = main(page).get_by_role("link", name="LINE")
        line.scroll_into_view_if_needed()
        expect(line).to_be_visible()
        href = line.get_attribute("href")
        assert href.startswith("https://line.me/R/share?text="), href
        assert parse_qs(urlsplit(href).query)["text"] == [message]
        for app, prefix in (("WhatsApp", "https://wa.me/?text="), ("SMS", "sms:")):
            assert main(page).get_by_role("link", name=app).get_attribute("href").startswith(prefix)
        shoot(page, screenshots, "phone-share")

        # Its detail on the Links page opens by the table, above the follow-up panels (it
        # was below them, a long scroll from the row tapped).
        link_id = re.search(r"Link #(\d+) “", page.locator(".st-key-created_link").inner_text())
        assert link_id, page.locator(".st-key-created_link").inner_text()
        page.goto(f"{demo.app_url}/?link={link_id.group(1)}")
        detail = page.locator(".st-key-link_detail")
        expect(detail.get_by_role("heading", level=3)).to_contain_text(name)
        wait_idle(page)
        assert_page_healthy(page)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        table = main(page).locator("[data-testid='stDataFrame']").first.bounding_box()
        panel = main(page).locator("[data-testid='stExpander']").filter(has_text="Needs follow-up")
        top = detail.bounding_box()["y"]
        assert table["y"] + table["height"] <= top < panel.bounding_box()["y"], (table, top)
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, screenshots, "phone-link-detail")
    except BaseException:
        shoot(page, screenshots, "failed-phone")
        raise
    finally:
        page.context.close()
