"""In Chromium, in Thai: a Thai browser gets the login page in Thai; an admin logs in from
an English browser, switches to ไทย in the sidebar, and every page draws in Thai (a Thai
heading and Thai navigation visible), each saved as test-artifacts/screenshots/th-<page>.png.
The fonts are the system's (.ci/run installs fonts-thai-tlwg / Noto); one browser context
for all of it, to keep CI time down. The admin's choice is set back to English at the end
(the demo, and its stored choices, are shared with the other browser tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import assert_page_healthy, main, new_page, shoot, submit_login, wait_idle

pytestmark = pytest.mark.browser

# (file name, navigation title, heading) of every page an admin has, in Thai.
PAGES = [
    ("links", "ลิงก์", "ลิงก์"),
    ("templates", "เทมเพลต", "เทมเพลต"),
    ("create_link", "สร้างลิงก์", "สร้างลิงก์ชำระเงิน"),
    ("bulk_create", "สร้างหลายลิงก์", "สร้างหลายลิงก์จากสเปรดชีต"),
    ("payments", "การชำระเงิน", "การชำระเงิน"),
    ("webhook_log", "บันทึกเว็บฮุก", "บันทึกเว็บฮุก"),
    ("settings", "การตั้งค่า", "การตั้งค่า"),
]


def _language(page: Page, label: str) -> None:
    page.locator("[data-testid='stSidebar']").get_by_text(label, exact=True).click()


def test_every_page_in_thai_with_a_screenshot(browser: Browser, demo, screenshots: Path):
    thai_browser = browser.new_context(locale="th-TH", viewport={"width": 1400, "height": 1100})
    try:
        login = thai_browser.new_page()
        login.goto(demo.app_url)
        expect(login.get_by_role("textbox", name="ชื่อผู้ใช้")).to_be_visible(timeout=60_000)
        expect(login.get_by_role("button", name="เข้าสู่ระบบ")).to_be_visible()
        wait_idle(login)
        shoot(login, screenshots, "th-login")
    finally:
        thai_browser.close()

    page = new_page(browser)  # an English browser: the switch makes it Thai
    try:
        page.goto(demo.app_url)
        expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
        wait_idle(page)
        submit_login(page, "admin", demo.password)
        _language(page, "ไทย")
        nav = page.locator("[data-testid='stSidebarNav']")
        expect(nav.get_by_text("บันทึกเว็บฮุก", exact=True)).to_be_visible()
        for name, title, heading in PAGES:
            page.locator("[data-testid='stSidebarNavLink']").filter(
                has=page.get_by_text(title, exact=True)
            ).click()
            expect(main(page).get_by_role("heading", name=heading, exact=True)).to_be_visible()
            wait_idle(page)
            assert_page_healthy(page)
            expect(page.get_by_role("button", name="ออกจากระบบ")).to_be_visible()
            shoot(page, screenshots, f"th-{name}")
    except BaseException:
        shoot(page, screenshots, "failed-thai")
        raise
    finally:
        try:
            _language(page, "English")  # leave the shared demo's admin in English
            expect(page.get_by_role("button", name="Log out")).to_be_visible()
        finally:
            page.context.close()
