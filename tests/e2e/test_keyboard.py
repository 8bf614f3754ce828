"""Keyboard only (Tab, Enter, typing; no mouse): a salesperson logs in, opens Create link,
fills the form, creates the link and reaches the share panel's LINE button and the
message's box. Each step asserts where the focus landed."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
MAX_TABS = 60
# What has the focus: its tag, accessible label, text and the keyed Streamlit block it is in.
FOCUS_JS = """() => {
  const e = document.activeElement;
  if (!e) return null;
  const keyed = e.closest("[class*='st-key-']");
  return {
    tag: e.tagName,
    label: e.getAttribute("aria-label") || "",
    text: (e.innerText || "").trim().slice(0, 80),
    href: e.getAttribute("href") || "",
    key: keyed ? [...keyed.classList].find((c) => c.startsWith("st-key-")) : "",
    testid: e.getAttribute("data-testid") || "",
    code: !!e.closest("[data-testid='stCode']"),
    inside: [...new Set([...document.querySelectorAll("[class*='st-key-']")]
      .filter((k) => k.contains(e))
      .flatMap((k) => [...k.classList].filter((c) => c.startsWith("st-key-"))))],
  };
}"""


def focus(page: Page) -> dict:
    return page.evaluate(FOCUS_JS) or {}


def tab_to(page: Page, wanted, what: str) -> dict:
    """Press Tab until the focused element satisfies `wanted` (a test on `focus`); fails
    when it is not reached within MAX_TABS presses."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = focus(page)
        if wanted(now):
            return now
        seen.append(f"{now.get('tag')} {now.get('label') or now.get('text')!r}")
    raise AssertionError(f"Tab never reached {what}; focus went: " + " → ".join(seen))


def settle(page: Page) -> None:
    for _ in range(2):
        page.wait_for_timeout(500)
        page.wait_for_selector(IDLE)


def test_create_and_share_a_link_with_the_keyboard_only(browser: Browser, demo, screenshots: Path):
    name = f"Keyboard link {uuid.uuid4().hex[:10]}"
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(demo.app_url)
        expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=60_000)
        settle(page)
        tab_to(page, lambda f: f["label"] == "Username", "the Username field")
        page.keyboard.type("sales")
        page.keyboard.press("Tab")
        assert focus(page)["label"] == "Password"
        page.keyboard.type(demo.password)
        tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"].endswith("Log in"), "Log in")
        page.keyboard.press("Enter")
        page.locator("[data-testid='stSidebarNav']").wait_for(state="attached")
        settle(page)

        tab_to(page, lambda f: f["tag"] == "A" and f["text"].endswith("Create link"), "Create link")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Create a payment link")).to_be_visible()
        settle(page)

        tab_to(
            page,
            lambda f: f["tag"] == "INPUT" and f["label"] == "Template",
            "the Template box",
        )
        page.keyboard.type("Workshop")
        expect(page.get_by_role("option", name="Workshop ticket")).to_be_visible()
        page.keyboard.press("ArrowDown")  # the filtered list's first option, then choose it
        page.keyboard.press("Enter")
        settle(page)
        expect(page.get_by_role("combobox", name="Template")).to_have_value("Workshop ticket")
        tab_to(page, lambda f: "st-key-cl_name" in f["inside"] and f["tag"] == "INPUT", "Link name")
        page.keyboard.type(name)
        tab_to(page, lambda f: "st-key-cl_amount" in f["inside"] and f["tag"] == "INPUT", "Amount")
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type("1,250.50")
        tab_to(
            page,
            lambda f: f["tag"] == "BUTTON" and f["text"].endswith("Create link"),
            "the Create link button",
        )
        page.keyboard.press("Enter")
        created = page.locator(".st-key-created_link")
        expect(created).to_contain_text(f"“{name}” is ready: 1,250.50 THB.")
        settle(page)

        line = tab_to(
            page,
            lambda f: f["tag"] == "A" and f["text"].endswith("LINE"),
            "the share panel's LINE button",
        )
        assert "st-key-created_share" in line["inside"], line
        assert re.match(r"https://line\.me/", line["href"]), line
        # The message's box: focused, it scrolls with the arrow keys. Its copy icon shows
        # only under the pointer and takes no focus (Streamlit's; docs/accessibility.md):
        # the Message field above it (Tab back, Ctrl+A, Ctrl+C) is the keyboard's copy.
        box = tab_to(page, lambda f: f["code"], "the message's copy box")
        assert "st-key-created_share" in box["inside"], box
        assert name in box["text"], box
        page.screenshot(path=str(screenshots / "keyboard-share.png"))
    finally:
        context.close()
