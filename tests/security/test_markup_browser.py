"""In Chromium: names, notes and URL parameters that are Markdown stay text on every page.

The app runs against the session's sandbox, where a team, a template and links carry
hostile names (a Markdown link, an image of a foreign address, a spreadsheet formula) and
the event log has their payments and a rejected delivery with such text. As admin (every
page), the test opens Links with the hostile link's detail, Templates, Create link,
Payments, Webhook log and Settings, and the hostile ?team=, ?from=/?cur= and ?min= URLs.
On each page: no <a> leads off the app except the links' own payment pages, no <img> or
request goes anywhere but this machine, and the hostile text reads literally. The Links CSV
downloaded through the page starts the formula name with a quote, and the tables offer no
export of their own. Screenshots land in test-artifacts/screenshots/markup-*.png.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from linksplus.console.users import UserRecord, hash_password, save_users
from linksplus.devserver import ServerProcess, free_port
from linksplus.eventlog import EventLog

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
PASSWORD = "markup-test-password"

EVIL_LINK = "[Refund here](https://evil.example/pay)"
EVIL_IMAGE = "![t](http://evil.example/name.png)"
EVIL_FORMULA = '=HYPERLINK("http://evil.test","Invoice")'
EVIL_NOTE = (
    "![t](http://evil.example/note.png) www.evil.example ceo@evil.example https://evil.example/n"
    " <img src=http://evil.example/h.png> :red[x] :material/home: $x^2$ **b** `c` &#58; <x@y.z>"
)
EVIL_TEAM = "Sales [log in](https://evil.example/t)"
EVIL_TEMPLATE = "![t](http://evil.example/tpl.png) :red[x]"
EVIL_USER = "Admin [help](https://evil.example/u)"
EVIL_URL = "[Session expired - log in here](https://evil.example/login)"


@dataclass(frozen=True)
class MarkupStack:
    """The app on a free port, wired to the sandbox holding the hostile data."""

    app_url: str
    link_id: int
    payment_urls: frozenset[str]


@pytest.fixture(scope="module")
def markup_stack(sandbox_server, tmp_path_factory) -> Iterator[MarkupStack]:
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    sandbox = sandbox_server
    sandbox.reset("empty")
    sandbox.faults(0, 0)
    sandbox.control("POST", "/teams", json={"id": 101, "name": EVIL_TEAM})
    template = sandbox.control("POST", "/teams/101/templates", json={"name": EVIL_TEMPLATE})
    client = sandbox.client()
    links = [
        client.create_link(
            template_id=template.json()["id"],
            team_id=101,
            name=name,
            amount=1_250_50,
            currency="thb",
            additional=EVIL_NOTE,
        )
        for name in (EVIL_FORMULA, EVIL_IMAGE, EVIL_LINK)
    ]
    folder = tmp_path_factory.mktemp("markup")
    eventlog_url = f"sqlite:///{folder}/events.db"
    log = EventLog(eventlog_url)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for i, link in enumerate(links):
        payment = {"id": f"chrg_markup_{i}", "amount": link.amount, "currency": "thb"}
        log.record(
            {
                "event": "payment.completed",
                "link_id": link.id,
                "payment": {**payment, "status": "successful"},
                "timestamp": now,
            }
        )
    log.record_delivery("rejected", reason=EVIL_URL, event=EVIL_LINK, payment_id=EVIL_IMAGE)
    users_file = folder / "users.yaml"
    save_users(
        users_file,
        [UserRecord("admin", EVIL_USER, "a@example.com", ["admin"], "*", hash_password(PASSWORD))],
    )
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    env = {
        "LINKSPLUS_API_BASE_URL": sandbox.url,
        "LINKSPLUS_API_KEY": sandbox.api_key,
        "LINKSPLUS_EVENTLOG_URL": eventlog_url,
        "LINKSPLUS_SANDBOX_URL": sandbox.url,
        "LINKSPLUS_USERS_FILE": str(users_file),
        "LINKSPLUS_COOKIE_KEY": "markup-test-cookie-key-0123456789",
    }
    app = ServerProcess(
        [
            *(sys.executable, "-m", "streamlit", "run", str(REPO / "app.py")),
            *("--server.port", str(port)),
            *("--server.address", "127.0.0.1", "--server.headless", "true"),
            *("--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"),
        ],
        python_module=False,
        health_url=f"{app_url}/_stcore/health",
        env=env,
        log_path=ARTIFACTS / "logs" / f"markup-app-{port}.log",
        timeout=60,
    )
    app.start()
    try:
        yield MarkupStack(
            app_url=app_url,
            link_id=links[-1].id,
            payment_urls=frozenset(ln.payment_url for ln in links if ln.payment_url),
        )
    finally:
        app.stop()


# --- the browser -----------------------------------------------------------------------------


def test_no_page_renders_what_users_typed_as_markup(markup_stack: MarkupStack) -> None:
    from playwright.sync_api import sync_playwright

    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(
                viewport={"width": 1400, "height": 1100}, accept_downloads=True
            )
            page = context.new_page()
            page.set_default_timeout(20_000)
            outside: list[str] = []  # requests to anywhere but this machine

            def on_request(request) -> None:
                url = urlsplit(request.url)
                if url.scheme not in ("data", "blob") and url.hostname != "127.0.0.1":
                    outside.append(request.url)

            page.on("request", on_request)
            try:
                _every_page(page, markup_stack, shots, outside)
            except BaseException:
                page.screenshot(path=str(shots / "markup-failed.png"))
                raise
        finally:
            browser.close()


def _every_page(page, stack: MarkupStack, shots: Path, outside: list[str]) -> None:
    from playwright.sync_api import expect

    def check(name: str) -> None:
        """No foreign link, image or request on the page as it is now; then a screenshot."""
        page.wait_for_selector(IDLE)
        found = page.evaluate(
            """() => ({
                links: [...document.querySelectorAll('a[href]')].map(a => a.href),
                images: [...document.querySelectorAll('img[src]')].map(i => i.src),
            })"""
        )
        own = (stack.app_url + "/", "data:", "blob:")
        # The share buttons' addresses are the console's own (linksplus.console.sharing).
        share = ("https://line.me/R/share?text=", "https://wa.me/?text=", "mailto:?", "sms:?")
        foreign = [h for h in found["links"] if not h.startswith(own + share)]
        assert set(foreign) <= stack.payment_urls, (name, foreign)
        assert [s for s in found["images"] if not s.startswith(own)] == [], name
        assert outside == [], (name, outside)
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        page.screenshot(path=str(shots / f"markup-{name}.png"), full_page=True)

    def shown(locator) -> str:
        """The text as people read it (without the invisible word joiners)."""
        return locator.inner_text().replace("\u2060", "")

    main = page.locator("[data-testid='stMain']")

    # Links, with the hostile link's detail (by URL: the first load logs in).
    _open(page, stack, {"team": "101", "link": str(stack.link_id)})
    detail = page.locator(".st-key-link_detail")
    expect(detail.get_by_role("heading", level=3)).to_contain_text("Refund here")
    check("links-detail")
    assert EVIL_LINK in shown(detail.get_by_role("heading", level=3))
    assert EVIL_NOTE in shown(detail)
    assert f"Payment links of {EVIL_TEAM}" in shown(main)
    assert EVIL_USER in shown(page.locator("[data-testid='stSidebar']"))

    # The Links CSV, downloaded as a person would: the formula is text in a spreadsheet.
    with page.expect_download() as download:
        main.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert {r["name"] for r in rows} == {"'" + EVIL_FORMULA, EVIL_IMAGE, EVIL_LINK}
    # The table's own toolbar offers no export (it would write the formula as it is).
    main.locator("[data-testid='stDataFrame']").first.hover()
    expect(main.locator("[data-testid='stElementToolbar']").first).to_be_visible()
    expect(page.get_by_role("button", name="Download as CSV")).to_have_count(0)

    for title, heading, literal in (
        ("Templates", "Templates", f"Link templates of {EVIL_TEAM}"),
        ("Create link", "Create a payment link", EVIL_TEMPLATE),
        ("Payments", "Payments", f"Payments on {EVIL_TEAM}'s links"),
        ("Webhook log", "Webhook log", None),
        ("Settings", "Settings", None),
    ):
        page.locator("[data-testid='stSidebarNavLink']").filter(
            has=page.get_by_text(title, exact=True)
        ).click()
        expect(main.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        check(title.lower().replace(" ", "-"))
        if literal:
            assert literal in shown(main), title

    # What URLs carry: a team that is not the user's, a date, a currency, an amount.
    _open(page, stack, {"team": EVIL_URL})
    expect(main.get_by_text("You do not have access to team")).to_be_visible()
    check("url-team")
    assert f"You do not have access to team {EVIL_URL}." in shown(main)
    _open(page, stack, {"team": "101", "from": EVIL_URL, "cur": EVIL_URL})
    expect(main.get_by_text("in the address is not a date")).to_be_visible()
    check("url-from-cur")
    assert f"The date “{EVIL_URL}” in the address is not a date." in shown(main)
    assert f"The currency “{EVIL_URL.lower()}” in the address" in shown(main)
    _open(page, stack, {"team": "101", "cur": "thb", "min": EVIL_URL})
    expect(main.get_by_text("Amount filter ignored")).to_be_visible()
    check("url-min")
    # The amount's message says why without repeating what the address carried.
    assert "evil.example/login" not in shown(main)


def _open(page, stack: MarkupStack, query: dict[str, str]) -> None:
    """Open the app at `?query` (a new session) and log in as admin if it asks."""
    page.goto(f"{stack.app_url}/?{urlencode(query)}")
    nav = page.locator("[data-testid='stSidebarNav']")
    user_box = page.get_by_role("textbox", name="Username")
    nav.or_(user_box).first.wait_for(timeout=60_000)  # the first load compiles the app
    page.wait_for_selector(IDLE)
    if nav.count():
        return
    user_box.fill("admin")  # one submit logs in (streamlit-authenticator's #184 is fixed)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Under 2 s on a busy 2-core machine; a lost submit never lands (see LOGIN_WITHIN_MS in
    # tests/e2e/test_browser.py).
    nav.wait_for(timeout=15_000)
    page.wait_for_selector(IDLE)
