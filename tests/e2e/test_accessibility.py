"""axe-core (axe-playwright-python) on every page, for each role, in English and Thai: no
critical or serious violation caused by our content. The ones Streamlit's own markup
causes are listed in `STREAMLIT_OWN` (and in docs/accessibility.md, with the upstream
issue); any other fails the test. Per-page counts go to
test-artifacts/accessibility-<role>-<language>.json for the document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SERIOUS = {"critical", "serious"}
# Rule -> the Streamlit part whose markup breaks it (a node inside it is Streamlit's).
STREAMLIT_OWN = {
    # The sidebar navigation's <ul> holds the section headers beside its <li>s, and each
    # section's pages are <li>s in a <div> (st.navigation with sections).
    "list": "[data-testid='stSidebarNav']",
    "listitem": "[data-testid='stSidebarNav']",
}
LOGIN = {"en": ("Username", "Password", "Log in"), "th": ("ชื่อผู้ใช้", "รหัสผ่าน", "เข้าสู่ระบบ")}


def _inside(page: Page, target: list, container: str) -> bool:
    selector = target[0] if target and isinstance(target[0], str) else None
    if selector is None:
        return False
    return page.evaluate(
        "([s, c]) => { const el = document.querySelector(s); return !!(el && el.closest(c)); }",
        [selector, container],
    )


def serious_violations(page: Page, axe: Axe) -> tuple[list[str], list[str]]:
    """(ours, Streamlit's): the critical and serious violations on the page, one line per
    failing node."""
    ours, streamlit = [], []
    for violation in axe.run(page).response["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        for node in violation["nodes"]:
            line = f"{violation['id']} ({violation['impact']}): {node['html'][:160]}"
            own = STREAMLIT_OWN.get(violation["id"])
            if own and _inside(page, node["target"], own):
                streamlit.append(line)
            else:
                ours.append(line)
    return ours, streamlit


def settle(page: Page) -> None:
    for _ in range(2):
        page.wait_for_timeout(700)
        page.wait_for_selector(IDLE)


@pytest.mark.parametrize("language", ["en", "th"])
@pytest.mark.parametrize("role", ["sales", "manager", "admin"])
def test_no_serious_accessibility_violation_of_ours(browser: Browser, demo, role, language):
    axe = Axe()
    context = browser.new_context(
        locale="th-TH" if language == "th" else "en-US",
        viewport={"width": 1400, "height": 1100},
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    user, password, submit = LOGIN[language]
    counts: dict[str, dict[str, int]] = {}
    problems: list[str] = []
    try:
        page.goto(demo.app_url)
        expect(page.get_by_role("textbox", name=user)).to_be_visible(timeout=60_000)
        settle(page)
        ours, streamlit = serious_violations(page, axe)
        counts["login"] = {"ours": len(ours), "streamlit": len(streamlit)}
        problems += [f"login: {p}" for p in ours]
        page.get_by_role("textbox", name=user).fill(role)
        page.get_by_role("textbox", name=password).fill(demo.password)
        page.get_by_role("button", name=submit).click()
        page.locator("[data-testid='stSidebarNav']").wait_for(state="attached")
        settle(page)
        for _ in range(50):  # the pages are opened by address: they need the cookie
            if any(c["name"] == "linksplus_console" for c in context.cookies()):
                break
            page.wait_for_timeout(200)
        paths = page.locator("[data-testid='stSidebarNavLink']").evaluate_all(
            "els => els.map(e => new URL(e.href).pathname)"
        )
        for path in dict.fromkeys(paths):
            page.goto(demo.app_url + path)
            expect(page.locator("[data-testid='stMain'] h1").first).to_be_visible()
            # Logged in from the cookie (a new session), not the login page drawn again.
            expect(page.locator("[data-testid='stSidebarNav']")).to_be_attached()
            settle(page)
            ours, streamlit = serious_violations(page, axe)
            counts[path] = {"ours": len(ours), "streamlit": len(streamlit)}
            problems += [f"{path}: {p}" for p in ours]
    finally:
        context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    report = ARTIFACTS / f"accessibility-{role}-{language}.json"
    report.write_text(json.dumps(counts, indent=2))
    assert len(counts) > 5, counts  # the login page and every page of the role were checked
    assert not problems, "\n".join(problems)
