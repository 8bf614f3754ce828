"""Reconciliation on the Webhook log (admins) and its count on Settings; a link's delivery
history in its detail (admins)."""

from __future__ import annotations

import time

import pytest
from app_helpers import no_exception, table_rows, texts

from linksplus.eventlog import EventLog
from linksplus.eventlog.audit import tag_remote


def _payload(link_id, payment_id, amount, currency="thb", status="successful"):
    return {
        "event": "payment.completed",
        "link_id": link_id,
        "payment": {"id": payment_id, "amount": amount, "currency": currency, "status": status},
        "timestamp": "2026-02-14T10:35:00Z",
    }


def _webhook_log(make_app):
    at = make_app("admin").run().switch_page("pages/webhook_log.py").run()
    no_exception(at)
    return at


def _check_now(at):
    """Press Check now, then wait for the check to end."""
    at.button(key="recon_check").click().run()
    no_exception(at)
    return _check_over(at)


def _check_over(at, timeout=30.0):
    """Rerun (as the fragment's timer would) until the check is over."""
    deadline = time.monotonic() + timeout
    while at.button(key="recon_check").disabled:  # disabled while the check runs
        assert time.monotonic() < deadline, "the check did not finish"
        time.sleep(0.2)
        at.run()
        no_exception(at)
    return at


def test_admin_checks_now_and_sees_each_difference_with_what_to_do(make_app, sandbox, secrets):
    sandbox.seed_links(101, 3)
    links = sandbox.client().list_links(101)
    log = EventLog(secrets["eventlog_url"])
    paid = sandbox.control("POST", f"/links/{links[0].id}/payments", json={}).json()
    log.record(_payload(links[0].id, paid["id"], paid["amount"]))
    sandbox.control("POST", f"/links/{links[1].id}/payments", json={})  # webhook missed
    log.record(_payload(987_654, "chrg_stranger", 5_000))  # a link Links+ does not know
    at = _webhook_log(make_app)
    assert "Do the numbers agree?" in texts(at)
    assert "No reconciliation has been run yet." in texts(at)
    _check_now(at)
    assert "2 differences found at" in texts(at)
    table = table_rows(at, "recon_table").set_index("link_id")
    assert table.loc[links[1].id, "kind"] == "Paid in Links+, no payment in the log"
    assert "retrying the webhook" in table.loc[links[1].id, "what_to_do"]
    assert table.loc[987_654, "payment_id"] == "chrg_stranger"
    assert table.loc[987_654, "event_log"] == "Payment 50.00 THB, successful"
    assert links[0].id not in table.index
    # Settings counts the differences of the last check, and leads to the Webhook log.
    at.switch_page("pages/settings.py").run()
    no_exception(at)
    assert "2 differences found at" in texts(at)
    assert any(link.label == "Open Webhook log" for link in at.get("page_link"))


def test_a_check_that_cannot_read_links_says_so_in_a_sentence(make_app, sandbox):
    sandbox.seed_links(101, 1)
    at = _webhook_log(make_app)
    sandbox.faults(error_rate=1.0)
    try:
        _check_now(at)
    finally:
        sandbox.faults(0, 0)
    assert "could not read the links from Links+" in texts(at)
    assert not at.exception
    assert "No reconciliation has been run yet." in texts(at)  # nothing half-stored


@pytest.mark.parametrize("role", ["sales", "manager"])
def test_sales_and_managers_get_no_check_nor_history(make_app, sandbox, secrets, role):
    sandbox.seed_links(101, 1)
    (link,) = sandbox.client().list_links(101)
    EventLog(secrets["eventlog_url"]).record(_payload(link.id, "chrg_1", link.amount))
    # By URL: the Webhook log is not in their navigation, and refuses when run anyway.
    fresh = make_app(role).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        fresh.switch_page("pages/webhook_log.py")
    # ...and a run of the page file anyway (as a page started without app.py would be).
    at = make_app(role, script="pages/webhook_log.py").run()
    assert "This page is not available to you." in texts(at)
    assert not [b for b in at.button if b.label == "Check now"]
    # A link's detail: payments, but no delivery history.
    at = make_app(role, query={"view": "team", "link": str(link.id)}).run()
    no_exception(at)
    assert "chrg_1" in list(table_rows(at, "link_payments_table")["payment_id"])
    assert "Webhook deliveries" not in texts(at)
    with pytest.raises(KeyError):
        table_rows(at, "delivery_history_table")


def test_admin_sees_a_links_deliveries_with_outcome_reason_and_webhook(make_app, sandbox, secrets):
    sandbox.seed_links(101, 2)
    link, other = sandbox.client().list_links(101)
    log = EventLog(secrets["eventlog_url"])
    payload = _payload(link.id, "chrg_h1", link.amount)
    log.record(payload, remote=tag_remote("10.0.0.1", "system"))
    log.record(payload, remote=tag_remote("10.0.0.2", "custom"))  # the same payment again
    log.record(payload, remote="10.0.0.3")  # from the old path: webhook not known
    log.record_delivery(
        "rejected", "signature: too old", "payment.completed", "chrg_h2", link.id, "10.0.0.4"
    )
    log.record_delivery("rejected", "not JSON", remote="10.0.0.5")  # no link: not listed
    log.record(_payload(other.id, "chrg_other", other.amount))
    at = make_app("admin", query={"view": "team", "link": str(link.id)}).run()
    no_exception(at)
    assert "Webhook deliveries" in texts(at)
    history = table_rows(at, "delivery_history_table")
    rows = sorted(
        zip(
            history["outcome"],
            history["payment_id"],
            history["source"],
            history["address"],
            history["reason"],
            strict=True,
        )
    )
    assert rows == [
        ("Accepted", "chrg_h1", "System", "10.0.0.1", ""),
        ("Duplicate", "chrg_h1", "Custom", "10.0.0.2", ""),
        ("Duplicate", "chrg_h1", "Not known", "10.0.0.3", ""),
        ("Refused", "chrg_h2", "Not known", "10.0.0.4", "signature: too old"),
    ]


def test_the_page_is_drawn_while_a_slow_check_runs(make_app, sandbox):
    sandbox.seed_links(101, 150)  # two pages of links to list, each a second away
    at = _webhook_log(make_app)
    sandbox.faults(latency_ms=1000)
    try:
        at.button(key="recon_check").click().run()
        no_exception(at)
        # The run ended with the check still going: the log's figures are there, the
        # button is off and says why, and no result yet.
        assert at.button(key="recon_check").disabled
        (status,) = at.status
        assert status.icon == "spinner" and "The result appears here by itself." in status.label
        assert {m.label for m in at.metric} >= {"Deliveries", "Accepted"}
        assert "No reconciliation has been run yet." in texts(at)
    finally:
        sandbox.faults(0, 0)
    _check_over(at)
    assert "Nothing differs" in texts(at) and not at.status


def test_check_now_with_the_log_down_says_so_in_a_sentence(make_app, sandbox):
    sandbox.seed_links(101, 1)
    at = make_app("admin", overrides={"eventlog_url": "nosuchdatabase://nowhere"}).run()
    at.switch_page("pages/webhook_log.py").run()
    no_exception(at)
    at.button(key="recon_check").click().run()
    no_exception(at)
    said = [i.value for i in at.info if "event log could not be opened" in i.value]
    assert len(said) == 2  # once by the Webhook log's table, once by the check
    assert not at.button(key="recon_check").disabled  # nothing running: try again later
