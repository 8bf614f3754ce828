"""In Chromium, in Thai, for every role: the text the browser draws (not the element tree)
has no English left but data (names, ids, amounts, codes) — by the rules of the AppTest
walk (tests/app/thai_walk.py), applied to every visible text node, the values and
placeholders of the fields, and the words our CSS draws in Streamlit's place. The sidebar
is included, and the widgets people open: a selectbox's options list, the date picker's
fields, the file uploader's drop zone. Also: right after switching from English to ไทย in
the sidebar, the Links filters and Team performance's "Sort by" show their choices in Thai.
Desktop (1400 px) and phone (390 px) widths; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from linksplus.demo import demo_users
from linksplus.sandbox.demo_data import NOTES, TEAMS, TEMPLATES
from linksplus.workspace import Workspace
from linksplus.workspace.store import UserPrefs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from thai_walk import english_msgid_fragments, untranslated_texts

pytestmark = pytest.mark.browser

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
PASSES = 2  # a page drawn by fragments settles after its first run

# Every text the page draws and a person can see: text nodes of visible elements (icons'
# ligature names, code blocks and visually hidden ones left out), field values and
# placeholders (not when our CSS made them transparent), and CSS-generated words.
VISIBLE_TEXT_JS = """
() => {
  const out = [];
  const skipped = "[data-testid='stIconMaterial'], [translate='no'], style, script, noscript,"
    + " [data-testid='stCode'], [data-testid='stFileUploaderDropzoneInput']";
  const shown = (el) => {
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && parseFloat(cs.fontSize) > 0
      && cs.color !== "rgba(0, 0, 0, 0)" && cs.color !== "transparent";
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || el.closest(skipped) || !shown(el)) continue;
    out.push(["text", text]);
  }
  for (const el of document.querySelectorAll("input, textarea")) {
    if (["hidden", "file", "checkbox", "radio"].includes(el.type) || !shown(el)) continue;
    if (el.value && el.type !== "password") out.push(["field value", el.value]);
    const ph = getComputedStyle(el, "::placeholder").color;
    if (el.placeholder && !el.value && ph !== "rgba(0, 0, 0, 0)") {
      out.push(["placeholder", el.placeholder]);
    }
  }
  for (const el of document.querySelectorAll("body *")) {
    for (const pseudo of ["::before", "::after"]) {
      const c = getComputedStyle(el, pseudo).content;
      if (c && c.startsWith('"') && c.length > 2 && shown(el)) {
        out.push(["css " + pseudo, JSON.parse(c)]);
      }
    }
  }
  return out;
}
"""


def demo_data() -> list[str]:
    """What the demo's pages show that is data, not the app's words: teams, templates,
    link names, notes, people's names, usernames; and names other browser tests gave the
    links they made."""
    names = [*TEAMS.values(), *NOTES]
    for spec in TEMPLATES:
        names += [spec.name, *spec.link_names]
    names += [u.name for u in demo_users("$2b$12$" + "a" * 53)]
    names += ["sales", "manager", "admin", "UTC", "Asia/Bangkok"]
    # A chart label wraps a long name over lines, each drawn as its own text: every run of
    # a name's words is data too ("Thai cooking" / "class").
    return [*names, *(run for name in names for run in _word_runs(name))]


def _word_runs(name: str) -> list[str]:
    words = name.split()
    return [" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)]


MADE_BY_TESTS = re.compile(r"(E2E|Keyboard|Bulk|Phone|Toast)[\w -]* [0-9a-f]{6,}")


def english_left(page: Page, fragments: set[str]) -> list[str]:
    texts = [(kind, MADE_BY_TESTS.sub(" ", text)) for kind, text in page.evaluate(VISIBLE_TEXT_JS)]
    return untranslated_texts(texts, demo_data(), fragments)


def wait_idle(page: Page) -> None:
    page.wait_for_selector(IDLE)


def log_in_thai(browser: Browser, app_url: str, role: str, password: str, width: int) -> Page:
    """A Thai browser (th-TH) at `width` px, logged in as `role` through the Thai form."""
    context = browser.new_context(
        locale="th-TH", viewport={"width": width, "height": 1100}, timezone_id="Asia/Bangkok"
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(app_url)
    expect(page.get_by_role("textbox", name="ชื่อผู้ใช้")).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.get_by_role("textbox", name="ชื่อผู้ใช้").fill(role)
    page.get_by_role("textbox", name="รหัสผ่าน").fill(password)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.locator("[data-testid='stSidebarNav']").wait_for(state="attached", timeout=30_000)
    wait_idle(page)
    # The pages are opened by address (new sessions): they log in from the cookie, which
    # the browser has only once the cookie component's round trip is over.
    for _ in range(50):
        if any(c["name"] == "linksplus_console" for c in context.cookies()):
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError(f"{role}: no login cookie after logging in")
    return page


def page_paths(page: Page) -> list[str]:
    """The URL path of every page in the navigation (the sidebar's links)."""
    hrefs = page.locator("[data-testid='stSidebarNavLink']").evaluate_all(
        "els => els.map(e => new URL(e.href).pathname)"
    )
    return list(dict.fromkeys(hrefs))


def settle(page: Page) -> None:
    for _ in range(PASSES):
        page.wait_for_timeout(700)
        wait_idle(page)


def opened_widgets(page: Page, fragments: set[str]) -> list[str]:
    """Open what a person opens on this page and read it too: the Links filters, the
    first selectboxes' options lists and the date picker's calendar (in Chromium it
    follows the browser's language: a Thai browser here)."""
    problems = []
    main = page.locator("[data-testid='stMain']")
    folded = main.locator("[data-testid='stExpander'] summary")
    if folded.count():
        folded.first.click()
        settle(page)
        problems += english_left(page, fragments)
    boxes = main.locator("[data-testid='stSelectbox']")
    for i in range(min(boxes.count(), 3)):
        box = boxes.nth(i)
        if not box.is_visible():
            continue
        box.locator("[role='combobox']").click()
        page.wait_for_timeout(600)
        problems += [f"options list: {p}" for p in english_left(page, fragments)]
        page.keyboard.press("Escape")
        wait_idle(page)
    calendars = main.locator("[data-testid='stDateInputCalendarButton']")
    if calendars.count() and calendars.first.is_visible():
        calendars.first.click()
        expect(page.get_by_role("dialog").last).to_be_visible()
        problems += [f"date picker: {p}" for p in english_left(page, fragments)]
        page.keyboard.press("Escape")
        wait_idle(page)
    return problems


@pytest.mark.parametrize(
    ("role", "width"), [("sales", 1400), ("manager", 1400), ("admin", 1400), ("manager", 390)]
)
def test_every_page_draws_no_english_in_thai(
    browser: Browser, demo, screenshots: Path, role, width
):
    fragments = english_msgid_fragments()
    # After login a user's stored language wins over the login form's: another browser
    # test may have left this one English. Thai for this walk, English again after it.
    _stored_language(demo, role, "th")
    page = log_in_thai(browser, demo.app_url, role, demo.password, width)
    problems = []
    try:
        for path in page_paths(page) if width > 640 else ["/", "/bulk_create", "/team_performance"]:
            page.goto(demo.app_url + path)
            expect(page.locator("[data-testid='stMain'] h1").first).to_be_visible(timeout=30_000)
            # Logged in (the cookie worked), not the login page drawn again.
            expect(page.locator("[data-testid='stSidebarNav']")).to_be_attached()
            settle(page)
            found = english_left(page, fragments) + opened_widgets(page, fragments)
            problems += [f"{role} {path}: {p}" for p in dict.fromkeys(found)]
            name = path.strip("/") or "links"
            page.screenshot(
                path=str(screenshots / f"th-screen-{role}-{width}-{name}.png"), full_page=True
            )
    finally:
        page.context.close()
        _stored_language(demo, role, "en")  # the shared demo's user, as the others expect
    assert not problems, "\n".join(problems)


def _stored_language(demo, username: str, language: str) -> None:
    ws = Workspace(f"sqlite:///{demo.data_dir / 'events.db'}")
    try:
        ws.set_user_prefs(username, UserPrefs(language))
    finally:
        ws.close()


def _choice(page: Page, label: str) -> str:
    """The option a selectbox shows as chosen (its field's text)."""
    box = page.locator("[data-testid='stSelectbox']").filter(
        has=page.get_by_text(label, exact=True)
    )
    return box.locator("[role='combobox']").input_value() or box.inner_text()


def test_choices_follow_a_language_switch_at_once(browser: Browser, demo, screenshots):
    """An English session switches to ไทย in the sidebar with the Links filters open: they
    show Thai choices ("ทุกสกุลเงิน", not "Any currency") in that very run; they kept the
    English words until changed. Back to English on Team performance: "Sort by" says
    "Links made" at once."""
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(30_000)
    sidebar = page.locator("[data-testid='stSidebar']")
    try:
        page.goto(demo.app_url)
        expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
        wait_idle(page)
        page.get_by_role("textbox", name="Username").fill("manager")
        page.get_by_role("textbox", name="Password").fill(demo.password)
        page.get_by_role("button", name="Log in").click()
        page.locator("[data-testid='stSidebarNav']").wait_for(state="attached")
        settle(page)
        page.locator(".st-key-lf_folded summary").click()
        expect(
            page.get_by_text("Any age", exact=True).or_(page.get_by_text("Use", exact=True)).first
        ).to_be_visible()
        settle(page)
        assert _choice(page, "Use") == "Single or multiple"
        sidebar.get_by_text("ไทย", exact=True).click()
        expect(page.get_by_role("heading", name="ลิงก์", exact=True)).to_be_visible()
        settle(page)
        shown = {_choice(page, label) for label in ("การใช้", "สกุลเงิน", "ค้างชำระ สร้างมาแล้ว")}
        page.screenshot(path=str(screenshots / "th-after-switch-links.png"))
        assert shown == {"ครั้งเดียวหรือหลายครั้ง", "ทุกสกุลเงิน", "ทุกช่วงอายุ"}, shown
        page.goto(demo.app_url + "/team_performance")
        expect(page.get_by_role("heading", name="ผลงานของทีม").first).to_be_visible()
        settle(page)
        assert _choice(page, "เรียงตาม") == "ลิงก์ที่สร้าง"
        sidebar.get_by_text("English", exact=True).click()
        expect(page.get_by_role("heading", name="Team performance").first).to_be_visible()
        settle(page)
        assert _choice(page, "Sort by") == "Links made"
    finally:
        context.close()
