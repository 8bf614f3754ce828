"""The customer and the void mark in a link's detail, in Chromium on the demo, at desktop
and phone width: a salesperson's link noted for Khun Somsak and voided shows both, readable
and inside the screen's width. Screens: test-artifacts/screenshots/customer-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import assert_page_healthy, log_in, main, run_in_new_context, shoot, wait_idle
from test_phone_browser import PHONE, phone_log_in, phone_page

from linksplus.sandbox.controls_client import SandboxControls
from linksplus.workspace import Workspace
from linksplus.workspace import customers as cust

pytestmark = pytest.mark.browser

TEAM = 101
SOMSAK = cust.Customer(name="Khun Somsak", phone="+66 81 234 5678", email="somsak@example.com")


def _voided_link_of_sales(demo) -> int:
    """One of the team's links outside the console, recorded as sales's, noted for Khun
    Somsak and voided; its id."""
    workspace = Workspace(f"sqlite:///{demo.data_dir / 'events.db'}")
    payments = SandboxControls(demo.api_url).call("GET", "/payments", params={"team_id": TEAM})
    for link_id in dict.fromkeys(int(p["link_id"]) for p in payments.json()):
        if workspace.owner(link_id) is None and cust.void_of(workspace, link_id) is None:
            workspace.record_link(link_id, TEAM, "sales", "form")
            cust.save_customer(workspace, link_id, TEAM, SOMSAK, "sales")
            cust.void_link(workspace, link_id, TEAM, "sales", "wrong amount")
            workspace.close()
            return link_id
    raise AssertionError(f"no link of team {TEAM} outside the console")


def _detail_shows_customer_and_void(page: Page, demo, link_id: int, width: int) -> None:
    page.goto(f"{demo.app_url}/?team={TEAM}&view=team&link={link_id}")
    detail = page.locator(".st-key-link_detail")
    customer = detail.locator(".st-key-link_customer")
    expect(customer).to_contain_text("Khun Somsak", timeout=30_000)  # all links load first
    # (The address is escaped against autolinking: a word joiner after its "@".)
    expect(customer).to_contain_text("Email: somsak@")
    expect(customer).to_contain_text("+66 81 234 5678")
    void = detail.locator(".st-key-link_void")
    expect(void).to_contain_text("Void: marked by sales")
    expect(void).to_contain_text("wrong amount")
    expect(detail.get_by_role("button", name="Un-void this link")).to_be_visible()
    wait_idle(page)
    assert_page_healthy(page)
    for part in (customer, void):
        box = part.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    void.scroll_into_view_if_needed()


def test_the_detail_shows_the_customer_and_void_on_desktop_and_phone(
    browser: Browser, demo, screenshots: Path
) -> None:
    link_id = _voided_link_of_sales(demo)

    def desktop(page: Page, demo, shots: Path) -> None:
        log_in(page, demo, "sales")
        _detail_shows_customer_and_void(page, demo, link_id, page.viewport_size["width"])
        expect(main(page).get_by_text("Page not found")).to_have_count(0)
        shoot(page, shots, "customer-desktop")

    run_in_new_context(browser, screenshots, "customer-desktop", desktop, demo)
    page = phone_page(browser)
    try:
        phone_log_in(page, demo, "sales")
        _detail_shows_customer_and_void(page, demo, link_id, PHONE["width"])
        shoot(page, screenshots, "customer-phone")
    except BaseException:
        shoot(page, screenshots, "failed-customer-phone")
        raise
    finally:
        page.context.close()
