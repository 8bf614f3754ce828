"""In Chromium: share buttons carry the message, and a bulk upload of 50 rows (4 bad, one
of them fixed in the preview table) survives the app being killed mid-run: after Resume
there are exactly 47 new links.

The app runs here as its own Streamlit process (so it can be killed with SIGKILL) against
the suite's sandbox, set to the strict case: Idempotency-Key ignored, and slow enough
(1.5 s a request) that the kill lands while creates are in flight.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect
from test_browser import TIMEOUT_MS, assert_page_healthy, log_in, main, open_page, shoot, wait_idle

from linksplus.console.users import UserRecord, hash_password, save_users
from linksplus.devserver import ServerProcess, free_port
from linksplus.workspace import Workspace

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "bulk-e2e-password"
ROWS, BAD = 50, (11, 27, 40)  # spreadsheet rows (header = row 1) with a problem
FIXED = 19  # a fourth bad row, fixed in the preview table


def _csv() -> bytes:
    lines = ["name,amount,currency,template,multiple use,note"]
    for n in range(2, ROWS + 2):
        amount = "10.505" if n in BAD else "abc" if n == FIXED else f"{100 + n}.00"
        lines.append(f"E2E bulk {n},{amount},thb,Shop,no,row {n}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def app(sandbox, tmp_path):
    """Start and restart the app on one port and one database; stopped at the end."""
    users = tmp_path / "users.yaml"
    save_users(
        users,
        [UserRecord("sales", "Sales", "s@example.com", ["sales"], [101], hash_password(PASSWORD))],
    )
    port = free_port()
    db = f"sqlite:///{tmp_path}/events.db"
    env = {
        "LINKSPLUS_API_BASE_URL": sandbox.url,
        "LINKSPLUS_API_KEY": sandbox.api_key,
        "LINKSPLUS_SANDBOX_URL": sandbox.url,
        "LINKSPLUS_EVENTLOG_URL": db,
        "LINKSPLUS_USERS_FILE": str(users),
        "LINKSPLUS_COOKIE_KEY": "bulk-e2e-cookie-key-0123456789abcdef",
        "PYTHONPATH": str(REPO),
    }
    procs: list[ServerProcess] = []

    def start() -> ServerProcess:
        proc = ServerProcess(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(REPO / "app.py"),
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            python_module=False,
            health_url=f"http://127.0.0.1:{port}/_stcore/health",
            env=env,
            log_path=REPO / "test-artifacts" / "logs" / f"bulk-e2e-app-{port}.log",
            timeout=60,
        )
        procs.append(proc.start())
        return proc

    yield SimpleNamespace(
        start=start,
        url=f"http://127.0.0.1:{port}",
        app_url=f"http://127.0.0.1:{port}",
        password=PASSWORD,
        db=db,
    )
    for proc in procs:
        proc.stop()


def test_share_buttons_and_a_bulk_upload_killed_midway_ends_with_47_links(
    browser: Browser, sandbox, app, screenshots
):
    sandbox.control("POST", "/idempotency", json={"idempotency": "off"})
    sandbox.control("POST", "/teams/101/templates", json={"name": "Shop"})
    server = app.start()
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    log_in(page, app, "sales")

    # -- Create a link; the share buttons open LINE, WhatsApp, mail and SMS with the message.
    open_page(page, "Create link", "Create a payment link")
    page.get_by_role("textbox", name="Link name").fill("E2E share me")
    page.get_by_role("textbox", name="Amount").fill("1,250.50")
    page.get_by_role("button", name="Create link").click()
    expect(main(page).get_by_text("is ready")).to_be_visible()
    wait_idle(page)
    link = next(ln for ln in sandbox.client().list_links(101) if ln.name == "E2E share me")
    message = page.get_by_role(
        "textbox", name="Message (you can edit it before sending)"
    ).input_value()
    assert "E2E share me" in message and "1,250.50 THB" in message
    assert link.payment_url in message
    hrefs = {
        name: main(page).get_by_role("link", name=name).get_attribute("href")
        for name in ("LINE", "WhatsApp", "Email", "SMS")
    }
    assert hrefs["LINE"].startswith("https://line.me/R/share?text=")
    assert hrefs["WhatsApp"].startswith("https://wa.me/?text=")
    assert hrefs["Email"].startswith("mailto:?subject=")
    assert hrefs["SMS"].startswith("sms:?&body=")
    for name, field in (("LINE", "text"), ("WhatsApp", "text"), ("Email", "body"), ("SMS", "body")):
        assert parse_qs(urlsplit(hrefs[name]).query)[field] == [message], name
    shoot(page, screenshots, "share-after-create")
    assert_page_healthy(page)

    # -- Bulk: 50 rows, 3 with problems; the good 47 start, slowly.
    open_page(page, "Bulk create", "Bulk create from a spreadsheet")
    page.locator("input[type='file']").set_input_files(
        files=[{"name": "e2e-bulk.csv", "mimeType": "text/csv", "buffer": _csv()}]
    )
    summary = main(page).get_by_text(re.compile(r"rows are ready; \d+ have problems"))
    expect(summary).to_have_text(re.compile(r"^46 rows are ready; 4 have problems"))
    expect(main(page).get_by_text(f"Row {FIXED}:", exact=False)).to_be_visible()
    wait_idle(page)
    table = main(page).locator("[data-testid='stDataFrameResizable']")
    expect(table).to_be_visible()
    page.wait_for_timeout(1000)  # the table draws its canvas after the run
    shoot(page, screenshots, "bulk-preview")
    # Fix row 19's amount in place: select the first cell, walk to (row 19, amount), type.
    box = table.bounding_box()
    page.mouse.click(box["x"] + 20, box["y"] + 52)
    for key in ["ArrowRight"] * 3 + ["ArrowDown"] * (FIXED - 2):
        page.keyboard.press(key)
    page.keyboard.press("Enter")  # opens the cell's editor
    editor = page.locator(".gdg-input")
    expect(editor).to_have_value("abc")
    editor.fill("119.00")
    page.keyboard.press("Enter")
    # The table sends its edits a moment after the cell closes; then the page reruns.
    expect(summary).to_have_text(
        re.compile(r"^47 rows are ready; 3 have problems"), timeout=TIMEOUT_MS
    )
    shoot(page, screenshots, "bulk-preview-fixed")
    expect(main(page).get_by_text(f"Row {FIXED}:", exact=False)).to_have_count(0)
    wait_idle(page)
    sandbox.faults(latency_ms=1500)
    page.get_by_role("button", name="Create 47 links").click()
    ws = Workspace(app.db)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        uploads = ws.uploads_of("sales")
        if uploads and ws.upload_counts(uploads[0].upload_id).get("done", 0) >= 8:
            break
        time.sleep(0.2)
    shoot(page, screenshots, "bulk-progress")
    server.kill()  # mid-run: some rows done, some sent with no outcome, the rest waiting
    upload = ws.uploads_of("sales")[0]
    counts = ws.upload_counts(upload.upload_id)
    assert 8 <= counts.get("done", 0) < 47, counts
    context.close()

    # -- A new app process, a new browser: Your uploads → Resume → exactly 47.
    sandbox.faults(0, 0)
    app.start()
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    log_in(page, app, "sales")
    open_page(page, "Bulk create", "Bulk create from a spreadsheet")
    page.get_by_role("button", name="Open to resume").click()
    resume = main(page).get_by_role("button", name="Resume", exact=True)
    expect(resume).to_be_visible()
    wait_idle(page)
    shoot(page, screenshots, "bulk-waiting-for-resume")
    resume.click()
    expect(main(page).get_by_text("All 47 links are made.")).to_be_visible(timeout=60_000)
    wait_idle(page)
    shoot(page, screenshots, "bulk-resumed")
    assert_page_healthy(page)
    names = [ln.name for ln in sandbox.client().list_links(101) if ln.name.startswith("E2E bulk")]
    assert len(names) == 47 and len(set(names)) == 47
    assert sorted(int(n.split()[-1]) for n in names) == [
        n for n in range(2, ROWS + 2) if n not in BAD
    ]
    context.close()
