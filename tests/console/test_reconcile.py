"""Reconciliation against a real sandbox (links read through the client) and a SQLite log:
each kind of difference, nothing when all agrees, and the strict cases of what Omise's
docs do not promise (a paid link's status; ids Links+ may know in another team)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from linksplus.console import reconcile
from linksplus.eventlog import EventLog
from linksplus.i18n import use_language

TEAM, OTHER = 7401, 7402


@pytest.fixture
def log(tmp_path):
    with EventLog(f"sqlite:///{tmp_path}/events.db") as event_log:
        yield event_log


@pytest.fixture
def links(sandbox):
    """Four single-use 500.00 THB links on TEAM (ids in order)."""
    sandbox.seed_links(TEAM, 4, currency="thb")
    return sandbox.client().list_links(TEAM)


def record(log, link_id, payment_id, amount, currency="thb", status="successful"):
    log.record(
        {
            "event": "payment.completed",
            "link_id": link_id,
            "payment": {"id": payment_id, "amount": amount, "currency": currency, "status": status},
            "timestamp": "2026-02-14T10:35:00Z",
        }
    )


def pay(sandbox, link, log=None, **kw):
    """The payer pays `link` in the sandbox; with `log`, its webhook reached us."""
    payment = sandbox.control("POST", f"/links/{link.id}/payments", json=kw).json()
    if log is not None:
        record(log, link.id, payment["id"], payment["amount"], payment["currency"])
    return payment


def check(sandbox, log, teams=(TEAM,)):
    return reconcile.reconcile(sandbox.client(), log, list(teams), checked_by="admin")


def test_nothing_differs_when_every_paid_link_has_its_payment(sandbox, log, links):
    pay(sandbox, links[0], log)
    pay(sandbox, links[1], log)
    result = check(sandbox, log)
    assert result.differences == () and result.total == 0
    assert (result.links, result.payments) == (4, 2)
    use_language("en")
    assert reconcile.summary(result, "UTC").startswith("Nothing differs")


def test_a_paid_link_without_a_payment_in_the_log_is_a_missed_webhook(sandbox, log, links):
    pay(sandbox, links[0], log)
    pay(sandbox, links[1])  # its webhook never arrived
    (diff,) = check(sandbox, log).differences
    assert (diff.kind, diff.team_id, diff.link_id) == (reconcile.MISSED_WEBHOOK, TEAM, links[1].id)
    assert diff.api_status == "used" and diff.log_status is None
    use_language("en")
    assert reconcile.log_side(diff) == "No payment at all"
    assert "Links+ may still be retrying" in reconcile.what_to_do(diff)


def test_a_failed_payment_does_not_hide_a_missed_successful_one(sandbox, log, links):
    pay(sandbox, links[2])
    record(log, links[2].id, "chrg_failed_first", links[2].amount, status="failed")
    (diff,) = check(sandbox, log).differences
    assert diff.kind == reconcile.MISSED_WEBHOOK and diff.log_status == "failed"


def test_strict_links_plus_that_never_marks_a_link_used_reports_nothing_false(sandbox, log, links):
    # Omise's docs do not say a paid link's status changes: with a service that leaves
    # it active, a missed webhook cannot be seen, and nothing false is reported.
    pay(sandbox, links[0])
    sandbox.control("POST", f"/links/{links[0].id}/status", json={"status": "active"})
    assert check(sandbox, log).differences == ()


def test_a_payment_for_a_link_links_plus_does_not_know(sandbox, log, links):
    record(log, 999_999, "chrg_stranger", 12_300)
    result = check(sandbox, log)
    (diff,) = result.differences
    assert (diff.kind, diff.link_id, diff.payment_id) == (
        reconcile.UNKNOWN_LINK,
        999_999,
        "chrg_stranger",
    )
    assert (diff.team_id, diff.log_amount, diff.log_currency) == (None, 12_300, "thb")
    use_language("en")
    assert reconcile.log_side(diff) == "Payment 123.00 THB, successful"
    assert reconcile.links_plus_side(diff) == "No such link (not found)"


def test_a_link_of_a_team_not_checked_is_not_unknown(sandbox, log, links):
    # The log has no team: a payment of another team's link is no difference for this one,
    # because Links+ is asked about the id before it is called unknown.
    sandbox.seed_links(OTHER, 1)
    (theirs,) = sandbox.client().list_links(OTHER)
    pay(sandbox, theirs, log)
    result = check(sandbox, log)
    assert result.differences == ()
    assert result.elsewhere == 1 and result.unconfirmed == 0


def test_links_plus_failing_the_lookup_leaves_the_id_unconfirmed_not_unknown(sandbox, log, links):
    record(log, 999_998, "chrg_maybe", 12_300)
    client = sandbox.client(max_retries=0)
    real_get = client.get_link

    def failing(link_id):  # Links+ answering 500 for the lookups only
        sandbox.faults(fail_next=1)
        return real_get(link_id)

    client.get_link = failing
    result = reconcile.reconcile(client, log, [TEAM])
    assert result.differences == () and result.unconfirmed == 1


def test_an_amount_or_currency_not_the_links(sandbox, log, links):
    paid = pay(sandbox, links[0], amount=links[0].amount - 100)  # Links+ took less
    record(log, links[0].id, paid["id"], paid["amount"])
    paid = pay(sandbox, links[1])
    record(log, links[1].id, paid["id"], paid["amount"], currency="usd")
    found = {d.link_id: d for d in check(sandbox, log).differences}
    assert found[links[0].id].kind == reconcile.AMOUNT_DIFFERS
    assert (found[links[0].id].api_amount, found[links[0].id].log_amount) == (
        links[0].amount,
        links[0].amount - 100,
    )
    assert found[links[1].id].kind == reconcile.CURRENCY_DIFFERS
    assert (found[links[1].id].api_currency, found[links[1].id].log_currency) == ("thb", "usd")
    assert len(found) == 2


def test_the_last_check_is_kept_and_read_back_in_thai_too(sandbox, log, links):
    pay(sandbox, links[3])
    first = check(sandbox, log)
    kept = reconcile.last_check(log)
    assert kept == first
    assert kept.checked_by == "admin" and kept.counts == {reconcile.MISSED_WEBHOOK: 1}
    use_language("th")
    try:
        assert reconcile.summary(kept, "Asia/Bangkok") != reconcile.summary(None)
    finally:
        use_language("en")
    assert reconcile.summary(kept, "UTC").startswith("1 difference found at")


def test_no_check_yet_says_so(log):
    use_language("en")
    assert reconcile.last_check(log) is None
    assert reconcile.summary(None) == "No reconciliation has been run yet."


def test_marked_paid_reads_a_used_flag_among_unknown_fields():
    from linksplus.models import Link

    assert reconcile.marked_paid(Link.from_api({"id": 1, "status": "active", "used": "true"}))
    assert not reconcile.marked_paid(Link.from_api({"id": 1, "status": "active"}))
    assert reconcile.marked_paid(Link.from_api({"id": 1, "status": "USED"}))


def test_many_differences_are_counted_beyond_those_listed(monkeypatch, sandbox, log, links):
    monkeypatch.setattr(reconcile, "LISTED_MAX", 1)
    for link in links[:3]:
        pay(sandbox, link)
    result = check(sandbox, log)
    assert len(result.differences) == 1 and result.more == 2 and result.total == 3
    assert reconcile.Reconciliation.from_json(result.to_json()).total == 3
    assert result.checked_at <= datetime.now(UTC)
