"""Paid-link alerts end to end, in Chromium on the demo: a salesperson turns email alerts
off and on again in My settings, a payment of one of their links arrives through the
sandbox and the receiver, and the demo's own SMTP server receives exactly one alert for it,
naming the link (from Links+) and its customer (noted in the console), and linking back to
the console."""

from __future__ import annotations

import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import log_in, main, open_page, run_in_new_context, shoot

from linksplus.errors import LinksPlusError
from linksplus.sandbox.controls_client import SandboxControls
from linksplus.workspace import AlertPrefs, Workspace
from linksplus.workspace.customers import Customer, save_customer

pytestmark = pytest.mark.browser

TEAM = 101
CUSTOMER = "Khun Somsak Jaidee"
EMAIL_SWITCH = "Email me when a link of mine is paid"


def test_a_salesperson_switches_email_alerts_and_gets_one_per_payment(
    browser: Browser, demo, screenshots: Path
) -> None:
    run_in_new_context(browser, screenshots, "alerts", alerts_flow, demo)


def save_switch(page: Page, workspace: Workspace, on: bool) -> None:
    """Set the email switch to `on`, click Save, and wait until it is stored."""
    switch = main(page).get_by_role("switch", name=EMAIL_SWITCH)
    if switch.is_checked() != on:
        main(page).get_by_text(EMAIL_SWITCH, exact=True).click()
    expect(switch).to_be_checked(checked=on)
    main(page).get_by_role("button", name="Save").click()
    deadline = time.monotonic() + 15
    while workspace.alert_prefs("sales").email_on is not on and time.monotonic() < deadline:
        time.sleep(0.1)
    expect(main(page).get_by_text("Saved.", exact=False)).to_be_visible()


def alerts_flow(page: Page, demo, shots: Path) -> None:
    workspace = Workspace(f"sqlite:///{demo.data_dir / 'events.db'}")
    log_in(page, demo, "sales")
    open_page(page, "My settings", "My settings")
    # (The address is escaped against autolinking: a word joiner after its "@".)
    expect(main(page).get_by_text("Email alerts go to sales@")).to_be_visible()
    save_switch(page, workspace, on=False)
    assert workspace.alert_prefs("sales").email_on is False
    save_switch(page, workspace, on=True)
    assert workspace.alert_prefs("sales") == AlertPrefs(email_on=True)
    shoot(page, shots, "my-settings-alerts")

    mail = demo.data_dir / "mail"
    before = set(mail.glob("*.eml"))
    link_id = pay_a_new_link_of("sales", workspace, demo.api_url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not alerts_for(mail, before, link_id):
        time.sleep(0.2)
    time.sleep(2)  # a second copy would have come by now
    found = alerts_for(mail, before, link_id)
    assert len(found) == 1, f"alerts for link {link_id}: {found}; folder {sorted(mail.iterdir())}"
    message = found[0]
    assert message["Subject"].startswith("Paid: ")
    assert not message["Subject"].startswith(f"Paid: Link #{link_id}")  # named from Links+
    assert f"link={link_id}" in message.get_content()
    assert CUSTOMER in message.get_content()  # who paid, as the salesperson noted them


def alerts_for(mail: Path, before: set[Path], link_id: int) -> list:
    found = []
    for path in sorted(set(mail.glob("*.eml")) - before):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == "sales@example.com" and f"link={link_id}" in message.get_content():
            found.append(message)
    return found


def pay_a_new_link_of(username: str, workspace: Workspace, api_url: str) -> int:
    """Record one of the team's multi-use links as `username`'s, then pay it; its id."""
    controls = SandboxControls(api_url)
    paid = Counter(
        p["link_id"]
        for p in controls.call("GET", "/payments", params={"team_id": TEAM}).json()
        if p["status"] == "successful"
    )
    for link_id, times in reversed(paid.most_common(20)):
        if times < 2 or workspace.owner(link_id) is not None:
            continue
        workspace.record_link(link_id, TEAM, username, "form")  # before the payment
        save_customer(workspace, link_id, TEAM, Customer(name=CUSTOMER), username)
        try:
            controls.pay(link_id, status="successful")
        except LinksPlusError:
            continue
        return link_id
    raise AssertionError(f"no payable multi-use link in team {TEAM}")
