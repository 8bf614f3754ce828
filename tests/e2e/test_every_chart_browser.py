"""In Chromium: every chart on Payments and Team performance draws marks where the reader
sees them, at a desktop's width and a phone's, in English and in Thai. AppTest reads only a
chart's spec, so a chart that draws nothing (empty axes, a 30 px strip, bars of a hairline)
passes there. The volume chart's periods are walked in test_charts_browser.py; this covers
the others (payment status mix, top links and templates, paid volume per salesperson, time
to pay, templates). Screens: test-artifacts/screenshots/every-chart-*.png.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect
from test_browser import TIMEOUT_MS, log_in, main, new_page, shoot, wait_idle

from linksplus.i18n import translations

pytestmark = pytest.mark.browser

TEAM = 101  # the demo manager's first team
WIDTHS = {"desktop": 1400, "phone": 390}
PAGES = {"payments": "Payments", "team_performance": "Team performance"}
# Each page's charts, as many as the demo's team shows (one per currency where split).
AT_LEAST = {"payments": 3, "team_performance": 3}


def coloured_pixels(chart: Locator, path: Path) -> tuple[int, int]:
    """The chart's drawn height and how many of its pixels are coloured (marks): axes,
    grid lines and labels are grey or black, every mark the theme draws has a hue."""
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=str(path))
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
    saturation = pixels.max(axis=2) - pixels.min(axis=2)
    return pixels.shape[0], int((saturation > 60).sum())


def check_page(page: Page, demo, key: str, language: str, width: str, folder: Path) -> None:
    words = translations(language)
    page.goto(f"{demo.app_url}/{key}?team={TEAM}")
    heading = words.gettext(PAGES[key])
    expect(main(page).get_by_role("heading", name=heading, exact=True)).to_be_visible(
        timeout=TIMEOUT_MS
    )
    charts = main(page).locator("[data-testid='stVegaLiteChart']")
    expect(charts.nth(AT_LEAST[key] - 1)).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)
    # Vega draws after the element appears: wait until each has its canvas or svg.
    expect(charts.locator("canvas, svg").first).to_be_visible(timeout=TIMEOUT_MS)
    for n in range(charts.count()):
        name = f"every-chart-{key}-{language}-{width}-{n}"
        height, drawn = coloured_pixels(charts.nth(n), folder / f"{name}.png")
        # One salesperson's bar with its axis is about 100 px; the defect was a 30 px strip.
        assert height >= 80, f"{name}: the chart is {height} px tall"
        # 100 coloured pixels is a single bar 1 px wide and 100 px tall; an empty plot has none.
        assert drawn >= 100, f"{name}: the chart drew {drawn} coloured pixels"


def set_language(page: Page, label: str) -> None:
    sidebar = page.locator("[data-testid='stSidebar']")
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 1100})
    if sidebar.get_by_text(label, exact=True).count():
        sidebar.get_by_text(label, exact=True).click()
        wait_idle(page)


def test_every_chart_draws_on_both_pages_at_both_widths_in_both_languages(
    browser: Browser, demo, screenshots: Path
):
    page = new_page(browser)
    try:
        log_in(page, demo, "manager")
        for language, label in (("en", "English"), ("th", "ไทย")):
            set_language(page, label)
            for width, pixels in WIDTHS.items():
                page.set_viewport_size({"width": pixels, "height": 1100})
                for key in PAGES:
                    check_page(page, demo, key, language, width, screenshots)
    except BaseException:
        shoot(page, screenshots, "failed-every-chart")
        raise
    finally:
        try:  # leave the shared demo's manager in English
            set_language(page, "English")
        finally:
            page.context.close()
