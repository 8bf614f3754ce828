"""Benchmark: each page's time to a settled screen in Chromium, beside a bare Streamlit page.

Starts the whole product (`linksplus demo`, its 90 days of payments) and a bare Streamlit
page that draws one table of the same size as the demo's Links page (bench/bare_table_page.py),
then, in Debian's Chromium at 1400 px and at 390 px, alternating, for each of --rounds
rounds in a fresh browser context:
  * the bare page, opened by address,
  * login (the form's submit until the Links page is drawn),
  * the first page change after login, from the sidebar (on a phone: unfold it, tap),
  * every page of the manager by address, Payments for each period choice,
  * a link's detail (a row ticked on the Links page).
"Settled" is: the page's heading is visible, Streamlit says its script is not running, and
every chart on it has drawn. Prints the medians and each one's ratio to the bare page.

    .venv/bin/python bench/browser_pages.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from harness import ROOT
from playwright.sync_api import Page, expect, sync_playwright

from linksplus.devserver import ServerProcess, free_port

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTHS = {"desktop": 1400, "phone": 390}
PAGES = {  # address: heading
    "links": "Links",
    "templates": "Templates",
    "create_link": "Create a payment link",
    "bulk_create": "Bulk create from a spreadsheet",
    "payments": "Payments",
    "team_performance": "Team performance",
    "my_settings": "My settings",
}
PERIODS = ("Today", "Last 7 days", "Last 90 days", "Last 30 days")


def settled(page: Page, heading: str) -> None:
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    page.wait_for_selector(IDLE)
    charts = main.locator("[data-testid='stVegaLiteChart']")
    for n in range(charts.count()):
        expect(charts.nth(n).locator("canvas, svg").first).to_be_attached()


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def log_in(page: Page, app_url: str, password: str) -> float:
    page.goto(app_url)
    expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
    page.wait_for_selector(IDLE)
    page.get_by_role("textbox", name="Username").fill("manager")
    page.get_by_role("textbox", name="Password").fill(password)
    return timed(
        lambda: (page.get_by_role("button", name="Log in").click(), settled(page, "Links"))
    )


def first_navigation(page: Page, phone: bool) -> float:
    """From the sidebar to a settled Payments page (a phone unfolds the sidebar first)."""

    def go() -> None:
        if phone:
            page.locator("[data-testid='stExpandSidebarButton']").click()
        page.locator("[data-testid='stSidebarNavLink']").filter(
            has=page.get_by_text("Payments", exact=True)
        ).click()
        settled(page, "Payments")

    took = timed(go)
    if phone:  # a phone's sidebar stays open over the page after the tap: fold it again
        page.locator("[data-testid='stSidebarCollapseButton'] button").click()
        expect(page.locator("[data-testid='stSidebar']")).to_have_attribute(
            "data-collapsed", "true"
        )
    return took


def periods(page: Page, app_url: str, figures: dict[str, list[float]], width: str) -> None:
    page.goto(f"{app_url}/payments")
    settled(page, "Payments")
    group = page.locator("[data-testid='stMain'] [data-testid='stButtonGroup']")
    for period in PERIODS:
        dates = page.locator("[data-testid='stCaptionContainer']").filter(has_text="·").first
        before = dates.inner_text()

        figures[f"{width}: Payments, {period}"].append(
            timed(lambda p=period, d=dates, b=before: pick(page, group.get_by_text(p), d, b))
        )


def pick(page: Page, choice, dates, before: str) -> None:
    """Click a period choice and wait until the page shows that period, settled."""
    choice.click()
    expect(dates).not_to_have_text(before)
    settled(page, "Payments")


def link_detail(page: Page, app_url: str) -> float:
    page.goto(f"{app_url}/links")
    settled(page, "Links")
    table = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']").first
    table.hover()  # the grid draws its row markers on hover
    box = table.bounding_box()

    def tick() -> None:
        page.mouse.click(box["x"] + 17, box["y"] + 35 + 17)  # the first row's marker
        expect(page.get_by_role("heading", name="Send it to your customer")).to_be_visible()
        page.wait_for_selector(IDLE)

    return timed(tick)


def one_round(browser, urls: dict[str, str], password: str, width: str, figures) -> None:
    phone = width == "phone"
    context = browser.new_context(
        viewport={"width": WIDTHS[width], "height": 1000}, timezone_id="Asia/Bangkok"
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        figures[f"{width}: bare page (one table)"].append(
            timed(lambda: (page.goto(urls["bare"]), settled(page, "Bare table")))
        )
        figures[f"{width}: login"].append(log_in(page, urls["app"], password))
        figures[f"{width}: first page change after login"].append(first_navigation(page, phone))
        for path, heading in PAGES.items():
            address = f"{urls['app']}/{path}"
            figures[f"{width}: {heading} by address"].append(
                timed(lambda a=address, h=heading: (page.goto(a), settled(page, h)))
            )
        periods(page, urls["app"], figures, width)
        figures[f"{width}: a link's detail"].append(link_detail(page, urls["app"]))
    finally:
        context.close()


def start(tmp: Path, password: str) -> tuple[list[ServerProcess], dict[str, str]]:
    app, api, hooks, bare = free_port(), free_port(), free_port(), free_port()
    demo = ServerProcess(
        [
            *("demo", "--app-port", str(app), "--api-port", str(api)),
            *("--webhook-port", str(hooks), "--data-dir", str(tmp / "demo")),
        ],
        health_url=f"http://127.0.0.1:{app}/_stcore/health",
        log_path=tmp / "demo.log",
        timeout=180,
        env={"LINKSPLUS_DEMO_PASSWORD": password},
    ).start()
    options = ["--server.headless", "true", "--server.port", str(bare)]
    options += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    plain = ServerProcess(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "bench" / "bare_table_page.py"),
            *options,
        ],
        python_module=False,
        health_url=f"http://127.0.0.1:{bare}/_stcore/health",
        log_path=tmp / "bare.log",
        timeout=60,
    )
    plain.start()
    return [demo, plain], {"app": f"http://127.0.0.1:{app}", "bare": f"http://127.0.0.1:{bare}"}


def report(figures: dict[str, list[float]]) -> None:
    print(f"\n{'what (median of each round)':58} {'seconds':>8} {'x bare':>7}")
    for width in WIDTHS:
        bare = statistics.median(figures[f"{width}: bare page (one table)"])
        for name, times in figures.items():
            if name.startswith(width):
                median = statistics.median(times)
                print(f"{name:58} {median:8.2f} {median / bare:7.1f}")
    rounds = len(next(iter(figures.values())))
    print(f"\n{rounds} rounds at each width, alternating; Chromium {CHROMIUM}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    password = "bench-" + secrets.token_urlsafe(12)
    figures: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        servers, urls = start(Path(tmp), password)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for _ in range(args.rounds):
                    for width in WIDTHS:  # alternating, so drift hits both alike
                        one_round(browser, urls, password, width, figures)
                browser.close()
        finally:
            for server in reversed(servers):
                server.stop()
    report(figures)


if __name__ == "__main__":
    main()
