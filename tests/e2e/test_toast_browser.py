"""Paid since you last looked, while idle: a payment of one of my links is announced by a
toast on the open page within the refresh interval, with no click, and the first login's
cookie survives the page's timed checks (a reload stays logged in).

As `sales` on the demo, in a fresh browser (a first login): the payment is made through the
sandbox's test controls, reaches the app as a signed webhook through the receiver, and the
page is not touched between the login and the toast.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import (
    PAYMENT_TIMEOUT_MS,
    assert_page_healthy,
    log_in,
    main,
    run_in_new_context,
    shoot,
    wait_idle,
)

from linksplus.errors import LinksPlusError
from linksplus.eventlog import EventLog
from linksplus.sandbox.controls_client import SandboxControls
from linksplus.workspace import Workspace

pytestmark = pytest.mark.browser

TEAM = 101  # the demo's sales user's team


def pay_a_link_of(username: str, demo) -> int:
    """Record one of the team's multi-use links (it was paid more than once) as made by
    `username`, and have the sandbox take a payment on it; its id."""
    controls = SandboxControls(demo.api_url)
    paid = Counter(
        p["link_id"]
        for p in controls.call("GET", "/payments", params={"team_id": TEAM}).json()
        if p["status"] == "successful"
    )
    workspace = Workspace(f"sqlite:///{demo.data_dir / 'events.db'}")
    for link_id, times in paid.most_common(10):
        if times < 2:
            break
        try:
            controls.pay(link_id, status="successful")
        except LinksPlusError:  # expired or disabled since: the next one
            continue
        workspace.record_link(link_id, TEAM, username, "form")
        return link_id
    raise AssertionError(f"no payable multi-use link in team {TEAM}: {paid.most_common(10)}")


def trail(demo, link_id: int) -> str:
    """Where the payment got to: the sandbox's webhook deliveries and the event log."""
    deliveries = (
        SandboxControls(demo.api_url).call("GET", "/deliveries", params={"link_id": link_id}).json()
    )
    log = EventLog(f"sqlite:///{demo.data_dir / 'events.db'}")
    stored = log.payments(link_ids=[link_id], limit=3)
    return f"deliveries {deliveries[-3:]}; newest stored {stored.to_dict('records')}"


def payment_toast(page: Page, link_id: int):
    return page.locator("[data-testid='stToast']").filter(has_text=f"for your link #{link_id}.")


def test_a_payment_toasts_on_an_idle_page_and_the_login_survives(
    browser: Browser, demo, screenshots: Path
) -> None:
    # A fresh context, no cookies: the first login of this browser.
    run_in_new_context(browser, screenshots, "paid-toast", idle_toast_flow, demo)


def idle_toast_flow(page: Page, demo, shots: Path) -> None:
    log_in(page, demo, "sales")
    expect(main(page).get_by_role("heading", name="Links", exact=True)).to_be_visible()
    # Idle from here on: no click, no key, no scroll until the toast shows.
    link_id = pay_a_link_of("sales", demo)
    # .first: an earlier payment of the same link, made by another test before it was
    # recorded as this user's, is new to them too and toasts beside it.
    toast = payment_toast(page, link_id).first
    try:
        expect(toast).to_be_visible(timeout=PAYMENT_TIMEOUT_MS)
    except AssertionError as exc:
        raise AssertionError(f"no toast for link #{link_id}: {trail(demo, link_id)}") from exc
    expect(toast).to_contain_text("Payment received:")
    shoot(page, shots, "paid-toast")
    assert_page_healthy(page)

    # The login cookie was written despite the timed checks: a reload stays logged in.
    page.reload()
    expect(main(page).get_by_role("heading", name="Links", exact=True)).to_be_visible()
    expect(page.get_by_role("textbox", name="Username")).to_have_count(0)
    expect(page.locator("[data-testid='stSidebarNav']")).to_be_visible()
    assert_page_healthy(page)
    # A new session: the payment was announced once, to this person, and is not again.
    wait_idle(page)
    page.wait_for_timeout(1500)  # a toast would come with the page's first run
    expect(payment_toast(page, link_id)).to_have_count(0)
