"""In Chromium, a team whose volumes reach 10^10 THB: nothing on Payments, Team performance
and Links is cut (metric values, chart labels, table headers) at a desktop's width (1400 px)
and a phone's (390 px), in English and Thai; every chart has a text alternative (its
summary as a caption); the per-salesperson bars are thick and their names apart; the Links
table shows amounts and Made by (names) without sideways scrolling. AppTest reads element
trees, so a value cut to "…" passes there; this measures what is drawn.
Screens: test-artifacts/screenshots/screen-*.png."""

from __future__ import annotations

import csv
import io
import itertools
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from big_team import SALESPEOPLE, seed_big_team
from playwright.sync_api import Browser, Page, expect
from test_browser import TIMEOUT_MS, assert_page_healthy, main, submit_login, wait_idle

from linksplus.console.chart_text import column_px
from linksplus.console.links_table import TABLE_MIN_PX
from linksplus.devserver import ServerProcess, free_port
from linksplus.i18n import translations

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "screen-e2e-password"
WIDTHS = {"desktop": 1400, "phone": 390}


@pytest.fixture(scope="module")
def big_app(sandbox_server, tmp_path_factory):
    """The app on a team of six salespeople with 10^10 THB volumes; stopped at the end."""
    sandbox_server.reset("empty")
    sandbox_server.faults(0, 0)
    tmp = tmp_path_factory.mktemp("big-team")
    users, db = tmp / "users.yaml", f"sqlite:///{tmp}/events.db"
    people = seed_big_team(sandbox_server, db, users, PASSWORD)
    port = free_port()
    env = {
        "LINKSPLUS_API_BASE_URL": sandbox_server.url,
        "LINKSPLUS_API_KEY": sandbox_server.api_key,
        "LINKSPLUS_SANDBOX_URL": sandbox_server.url,
        "LINKSPLUS_EVENTLOG_URL": db,
        "LINKSPLUS_USERS_FILE": str(users),
        "LINKSPLUS_COOKIE_KEY": "screen-e2e-cookie-key-0123456789abcdef",
        "PYTHONPATH": str(REPO),
    }
    options = {
        "--server.address": "127.0.0.1",
        "--server.port": str(port),
        "--server.headless": "true",
        "--browser.gatherUsageStats": "false",
        "--server.fileWatcherType": "none",
    }
    proc = ServerProcess(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py")]
        + [part for option in options.items() for part in option],
        python_module=False,
        health_url=f"http://127.0.0.1:{port}/_stcore/health",
        env=env,
        log_path=REPO / "test-artifacts" / "logs" / f"screen-e2e-app-{port}.log",
        timeout=60,
    ).start()
    try:
        yield SimpleNamespace(app_url=f"http://127.0.0.1:{port}", people=people)
    finally:
        proc.stop()


# What is cut, measured in the page: an element whose text overflows it, or text ending in
# an ellipsis (Vega's labelLimit cuts that way).
CUT_JS = """(root) => {
  const out = [];
  const cut = (el) =>
    el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible';
  for (const v of root.querySelectorAll("[data-testid='stMetricValue']")) {
    for (const el of [v, ...v.querySelectorAll('*')]) {
      if (cut(el) || /…$/.test(el.textContent.trim())) {
        out.push('metric: ' + v.textContent);
        break;
      }
    }
  }
  for (const t of root.querySelectorAll("[data-testid='stVegaLiteChart'] svg text")) {
    if (/…$/.test(t.textContent.trim())) out.push('chart label: ' + t.textContent);
  }
  return out;
}"""

# Each chart: whether it drew as SVG (text nodes to read), its accessible name, and the
# caption right after it (its text alternative).
CHARTS_JS = """(root) => [...root.querySelectorAll("[data-testid='stVegaLiteChart']")].map(c => {
  const box = c.closest("[data-testid='stElementContainer']");
  const next = box && box.nextElementSibling;
  const caption = next && next.querySelector("[data-testid='stCaptionContainer']");
  return {svg: !!c.querySelector('svg text'), caption: caption ? caption.textContent.trim() : ''};
})"""

# The dataframes: their scroller's widths (wider content than box: sideways scrolling).
TABLES_JS = """(root) => [...root.querySelectorAll("[data-testid='stDataFrame']")].map(t => {
  const s = t.querySelector('.dvn-scroller');
  return {key: t.closest('[class*=st-key-]')?.className.match(/st-key-[\\w-]+/)?.[0] || '',
          scroll: s ? s.scrollWidth : 0, client: s ? s.clientWidth : 0};
})"""

# The tables' headers, in their order (glide-data-grid keeps an accessible copy of them).
HEADERS_JS = """(table) => [...table.querySelectorAll("[role='columnheader']")]
  .sort((a, b) => a.getAttribute('aria-colindex') - b.getAttribute('aria-colindex'))
  .map(h => h.textContent)"""
# Text widths at the tables' header font.
MEASURE_JS = """(texts) => { const c = document.createElement('canvas').getContext('2d');
  c.font = "400 14px 'Source Sans', sans-serif"; return texts.map(t => c.measureText(t).width) }"""
# A chart's bars and its y axis' labels (boxes in px).
BARS_JS = """(chart) => ({
  bars: [...chart.querySelectorAll('.mark-rect path')].map(p => p.getBoundingClientRect().height),
  labels: [...chart.querySelectorAll('.role-axis-label text')]
    .map(t => {
      const r = t.getBoundingClientRect();
      return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    })
})"""
PAGES = (("Payments", "Payments"), ("Team performance", "Team performance"), ("Links", "Links"))


def nav(page: Page, language: str, title: str) -> None:
    """Open `title` from the sidebar (at a desktop's width) and wait for it to draw."""
    words = translations(language)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 1100})
    page.locator("[data-testid='stSidebarNavLink']").filter(
        has=page.get_by_text(words.gettext(title), exact=True)
    ).click()
    expect(main(page).get_by_role("heading", name=words.gettext(title), exact=True)).to_be_visible()
    wait_idle(page)
    page.wait_for_timeout(1500)  # charts and tables draw after the run


# The Links table's headers (English) by column, and the row-selection column's width.
LINKS_HEADERS = {
    "id": "Link",
    "name": "Name",
    "amount_text": "Amount",
    "currency": "Cur.",
    "status": "Status",
    "paid_count": "Paid",
    "paid_text": "Paid amount",
    "made_by": "Made by",
    "created": "Created",
    "template": "Template",
    "use": "Use",
    "payment_url": "Payment URL",
}
ROW_MARKER_PX = 34


def table_problems(page: Page, key: str, width: str, language: str) -> list[str]:
    """Cut headers and, for the Links table, the columns that need sideways scrolling."""
    table = main(page).locator(f".st-key-{key} [data-testid='stDataFrame']")
    if not table.count():
        return [f"{key}: no table"]
    handle = table.element_handle()
    headers = page.evaluate(HEADERS_JS, handle)
    measured = page.evaluate(MEASURE_JS, headers)
    problems = [
        f"{key}: header {h!r} needs {m + 16:.0f} px, has {column_px(h)}"
        for h, m in zip(headers, measured, strict=True)
        if column_px(h) < m + 16
    ]
    if key != "links_table":
        return problems
    # The grid puts in its accessible copy only the columns it draws (on screen, if only
    # in part): the column a reader needs must be one of them, and end inside the box.
    words = translations(language)
    keys = {words.gettext(label): key for key, label in LINKS_HEADERS.items()}
    last = words.gettext(LINKS_HEADERS["amount_text" if width == "phone" else "made_by"])
    if last not in headers:
        return [*problems, f"{key}: {last} is off screen (columns shown: {headers})"]
    upto = headers[: headers.index(last) + 1]
    sizes = next(
        t
        for t in page.evaluate(TABLES_JS, main(page).element_handle())
        if t["key"] == f"st-key-{key}"
    )
    end = ROW_MARKER_PX + sum(column_px(h, TABLE_MIN_PX[keys[h]]) for h in upto)
    if end > sizes["client"]:
        problems.append(f"{key}: {last} ends at {end} px of {sizes['client']}: scroll needed")
    return problems


def chart_problems(page: Page, title: str) -> list[str]:
    problems = []
    charts = page.evaluate(CHARTS_JS, main(page).element_handle())
    expected = {"Payments": 4, "Team performance": 3}.get(title, 0)
    if len(charts) < expected:
        problems.append(f"{title}: {len(charts)} charts drawn, {expected} expected")
    for n, c in enumerate(charts):
        if not c["caption"]:
            problems.append(f"{title}: chart {n} has no caption summarising it")
        if not c["svg"]:
            problems.append(f"{title}: chart {n} drew no text to check")
    if title == "Team performance":
        volume = main(page).locator("[data-testid='stVegaLiteChart']").first
        drawn = page.evaluate(BARS_JS, volume.element_handle())
        thin = [h for h in drawn["bars"] if h < 20]
        if len(drawn["bars"]) < len(SALESPEOPLE) or thin:
            problems.append(f"per-salesperson bars: {len(drawn['bars'])}, thin ones {thin}")
        for a, b in itertools.combinations(drawn["labels"], 2):
            apart = a["bottom"] <= b["top"] + 1 or b["bottom"] <= a["top"] + 1
            if not apart and not (a["right"] <= b["left"] + 1 or b["right"] <= a["left"] + 1):
                problems.append(f"labels overlap: {a['text']!r} and {b['text']!r}")
    return problems


def csv_problems(page: Page, people: dict[str, str]) -> list[str]:
    """The manager's Links CSV names who made each link, as Team performance does."""
    nav(page, "en", "Links")
    with page.expect_download() as download:
        main(page).get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    made = {row.get("made_by") for row in rows}
    return [] if made == set(SALESPEOPLE.values()) else [f"Links CSV made_by: {made}"]


def test_nothing_cut_and_every_chart_has_a_text_alternative(
    browser: Browser, big_app, screenshots: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 1400, "height": 1100}, timezone_id="Asia/Bangkok", locale="en-US"
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    try:
        page.goto(big_app.app_url)
        expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
        wait_idle(page)
        submit_login(page, "manager", PASSWORD)
        problems += csv_problems(page, big_app.people)
        for language in ("en", "th"):
            if language == "th":
                page.set_viewport_size({"width": WIDTHS["desktop"], "height": 1100})
                page.locator("[data-testid='stSidebar']").get_by_text("ไทย", exact=True).click()
                wait_idle(page)
            for title, _heading in PAGES:
                nav(page, language, title)
                assert_page_healthy(page)
                for width, pixels in WIDTHS.items():
                    # Tall enough to show the whole page in one screenshot (the app scrolls
                    # inside its own container, which a full-page shot does not unroll).
                    page.set_viewport_size({"width": pixels, "height": 2600})
                    page.wait_for_timeout(800)  # charts redraw at the new width
                    name = f"screen-{title.replace(' ', '_').lower()}-{language}-{width}"
                    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
                    found = page.evaluate(CUT_JS, main(page).element_handle())
                    found += chart_problems(page, title)
                    for key in {"Team performance": ["perf_table"], "Links": ["links_table"]}.get(
                        title, []
                    ):
                        found += table_problems(page, key, width, language)
                    problems += [f"{name}: {p}" for p in found]
    finally:
        context.close()
    assert not problems, "\n".join(problems)
