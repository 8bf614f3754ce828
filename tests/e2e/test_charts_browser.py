"""In Chromium: the Payments page's volume chart draws bars for every period choice, at a
desktop's width and a phone's, in English and in Thai, and its axis names days of the
period only. AppTest reads the chart's spec, so a chart that draws nothing (bars thinner
than their rounded corners, a ranged bar drawn sideways) passes there; this counts the
bars' pixels where the reader sees them. Screens: test-artifacts/screenshots/chart-*.png.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect
from test_browser import TIMEOUT_MS, main, new_page, shoot, submit_login, wait_idle

from linksplus.errors import LinksPlusError
from linksplus.i18n import translations
from linksplus.sandbox.controls_client import SandboxControls

pytestmark = pytest.mark.browser

TEAM = 101  # the demo manager's first team
PERIODS = ("Today", "Last 7 days", "Last 30 days", "Last 90 days")
WIDTHS = {"desktop": 1400, "phone": 390}
# The theme's primary colour (.streamlit/config.toml), which Altair's bars take.
BAR = (0x1A, 0x56, 0xDB)


def pay_today(demo) -> None:
    """One more successful payment on a multi-use link of the team, so "Today" has a bar
    whenever the test runs."""
    controls = SandboxControls(demo.api_url)
    paid = Counter(
        p["link_id"]
        for p in controls.call("GET", "/payments", params={"team_id": TEAM}).json()
        if p["status"] == "successful"
    )
    for link_id, times in paid.most_common(10):
        if times < 2:
            break
        try:
            controls.pay(link_id, status="successful")
            return
        except LinksPlusError:  # expired or disabled since: the next one
            continue
    raise AssertionError(f"no payable multi-use link in team {TEAM}")


def bar_pixels(chart: Locator, path: Path) -> int:
    """How many pixels of `chart`'s screenshot have the bars' colour."""
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=str(path))
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
    return int((np.abs(pixels - np.array(BAR)).max(axis=2) < 40).sum())


def volume_charts(page: Page, heading: str) -> Locator:
    column = page.locator("[data-testid='stColumn']").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )
    return column.locator("[data-testid='stVegaLiteChart']")


def check_periods(page: Page, language: str, width: str, screenshots: Path) -> None:
    words = translations(language)
    for period in PERIODS:
        label = words.gettext(period)
        # The refresh line names the period's dates: once it changed, the rerun is under way.
        dates = main(page).locator("[data-testid='stCaptionContainer']").filter(has_text="·")
        before = dates.first.inner_text()
        main(page).locator("[data-testid='stButtonGroup']").get_by_text(label, exact=True).click()
        # (The page opens on the last 30 days; PERIODS never picks the one shown.)
        expect(dates.first).not_to_have_text(before, timeout=TIMEOUT_MS)
        wait_idle(page)
        charts = volume_charts(page, words.gettext("Volume per day"))
        expect(charts.first).to_be_visible(timeout=TIMEOUT_MS)
        for n in range(charts.count()):
            name = f"chart-{language}-{width}-{period.replace(' ', '_').lower()}-{n}"
            drawn = bar_pixels(charts.nth(n), screenshots / f"{name}.png")
            # One bar at least is full height (each chart has its own scale): 100+ pixels
            # even one pixel wide. An empty plot has none of the bars' colour.
            assert drawn >= 100, f"{name}: the volume chart drew {drawn} bar pixels"


def test_the_volume_chart_draws_for_every_period_width_and_language(
    browser: Browser, demo, screenshots: Path
):
    pay_today(demo)
    page = new_page(browser)
    try:
        page.goto(demo.app_url)
        expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
        wait_idle(page)
        submit_login(page, "manager", demo.password)
        page.goto(f"{demo.app_url}/payments?team={TEAM}")
        expect(main(page).get_by_role("heading", name="Payments", exact=True)).to_be_visible()
        wait_idle(page)
        for language in ("en", "th"):
            if language == "th":
                page.set_viewport_size({"width": WIDTHS["desktop"], "height": 1100})
                page.locator("[data-testid='stSidebar']").get_by_text("ไทย", exact=True).click()
                wait_idle(page)
            for width, pixels in WIDTHS.items():
                page.set_viewport_size({"width": pixels, "height": 1100})
                check_periods(page, language, width, screenshots)
    except BaseException:
        shoot(page, screenshots, "failed-charts")
        raise
    finally:
        try:  # leave the shared demo's manager in English
            page.set_viewport_size({"width": WIDTHS["desktop"], "height": 1100})
            sidebar = page.locator("[data-testid='stSidebar']")
            if sidebar.get_by_text("English", exact=True).count():
                sidebar.get_by_text("English", exact=True).click()
                wait_idle(page)
        finally:
            page.context.close()
