"""Webhooks from the sandbox to real local receivers: destinations, signatures, retries, replay."""

from __future__ import annotations

import pytest
import requests
from polling import wait_for
from sandbox_helpers import api

from linksplus.webhooks.signing import SignatureError, verify


def make_link(hooks, **params) -> dict:
    seeded = hooks.control("POST", "/teams/7401/links/seed", json={"count": 0}).json()
    body = {
        "template_id": seeded["template_id"],
        "team_id": 7401,
        "name": "Tasting menu",
        "amount": 250000,
        **params,
    }
    resp = api(hooks, "POST", "/external/links", json=body)
    resp.raise_for_status()
    return resp.json()


def pay(hooks, link: dict, **body) -> dict:
    return hooks.control("POST", f"/links/{link['id']}/payments", json=body).json()


def deliveries(hooks, payment_id: str | None = None) -> list[dict]:
    params = {"payment_id": payment_id} if payment_id else {}
    return hooks.control("GET", "/deliveries", params=params).json()


def test_a_payment_reaches_all_three_destinations_signed(hooks):
    link = make_link(hooks, custom_webhook=f"{hooks.tls.url}/custom")
    payment = pay(hooks, link)
    expected = {
        "event": "payment.completed",
        "link_id": link["id"],
        "payment": {
            "id": payment["id"],
            "amount": 250000,
            "currency": "thb",
            "status": "successful",
        },
        "timestamp": payment["created_at"],
    }
    system = wait_for(lambda: hooks.plain.at("/system"), message="system webhook")
    dashboard = wait_for(lambda: hooks.plain.at("/dashboard"), message="dashboard webhook")
    custom = wait_for(lambda: hooks.tls.at("/custom"), message="custom https webhook")
    for got in (system[0], dashboard[0], custom[0]):
        assert got.payload == expected
        assert verify(got.body, got.headers, hooks.secret)
        with pytest.raises(SignatureError):
            verify(got.body, got.headers, "d3Jvbmcgc2VjcmV0")  # base64 of "wrong secret"
    attempts = wait_for(
        lambda: len(deliveries(hooks, payment["id"])) == 3 and deliveries(hooks, payment["id"])
    )
    assert {(d["destination"], d["outcome"], d["attempt"], d["status_code"]) for d in attempts} == {
        ("system", "delivered", 1, 200),
        ("dashboard", "delivered", 1, 200),
        ("custom", "delivered", 1, 200),
    }


def test_the_payment_answer_does_not_wait_for_slow_destinations(hooks):
    hooks.plain.failures["/system"] = 2  # the first two attempts fail, with pauses between
    link = make_link(hooks)
    resp = requests.post(f"{hooks.url}/_sandbox/links/{link['id']}/payments", json={}, timeout=10)
    assert resp.status_code == 201
    assert resp.elapsed.total_seconds() < 0.4
    # Let its retries finish here: they would otherwise spend the next test's failures.
    wait_for(
        lambda: len(hooks.plain.at("/system")) == 3,
        timeout=10,
        message="the third attempt to reach the system webhook",
    )


def test_a_failing_destination_is_retried_until_it_accepts(hooks):
    hooks.plain.failures["/system"] = 2
    link = make_link(hooks)
    payment = pay(hooks, link, status="failed")
    wait_for(
        lambda: any(
            d["outcome"] == "delivered" and d["destination"] == "system"
            for d in deliveries(hooks, payment["id"])
        ),
        timeout=10,
        message="the third attempt to succeed",
    )
    system = [d for d in deliveries(hooks, payment["id"]) if d["destination"] == "system"]
    assert [(d["attempt"], d["status_code"], d["outcome"]) for d in system] == [
        (1, 500, "retrying"),
        (2, 500, "retrying"),
        (3, 200, "delivered"),
    ]
    assert system[0]["error"] == "HTTP 500" and system[-1]["error"] is None
    received = hooks.plain.at("/system")
    assert len(received) == 3
    assert {r.payload["payment"]["status"] for r in received} == {"failed"}
    for got in received:
        verify(got.body, got.headers, hooks.secret)


def test_an_unreachable_destination_is_recorded_as_an_error(hooks):
    link = make_link(hooks, custom_webhook="https://127.0.0.1:9/nothing-listens")
    payment = pay(hooks, link)
    first = wait_for(
        lambda: [d for d in deliveries(hooks, payment["id"]) if d["destination"] == "custom"],
        message="custom attempt",
    )
    assert first[0]["status_code"] is None and first[0]["outcome"] == "retrying"
    assert first[0]["error"]


def test_replay_resends_every_payment_to_the_system_webhook(hooks):
    link = make_link(hooks, multiple_usage=True)
    payments = [pay(hooks, link, amount=amount) for amount in (250000, 300000, 350000)]
    wait_for(lambda: len(hooks.plain.at("/system")) == 3, message="live deliveries")
    hooks.plain.clear()
    answer = hooks.control("POST", "/webhooks/replay").json()
    assert answer == {"sent": 3, "failed": 0}
    replayed = hooks.plain.at("/system")
    assert sorted(r.payload["payment"]["id"] for r in replayed) == sorted(p["id"] for p in payments)
    by_id = {p["id"]: p for p in payments}
    for got in replayed:
        assert got.payload["timestamp"] == by_id[got.payload["payment"]["id"]]["created_at"]
        verify(got.body, got.headers, hooks.secret)
    assert hooks.plain.at("/dashboard") == []  # replay is for the system webhook only


def test_replay_counts_what_could_not_be_delivered(hooks):
    link = make_link(hooks)
    pay(hooks, link)
    wait_for(lambda: hooks.plain.at("/system"), message="live delivery")
    hooks.plain.failures["/system"] = 100
    assert hooks.control("POST", "/webhooks/replay").json() == {"sent": 0, "failed": 1}
    replays = [d for d in deliveries(hooks) if d["replay"]]
    assert [d["outcome"] for d in replays] == ["retrying", "retrying", "failed"]


def test_no_webhooks_without_destinations(sandbox):
    sandbox.seed_links(7402, 1)
    link = api(sandbox, "GET", "/external/7402/links").json()["data"][0]
    sandbox.control("POST", f"/links/{link['id']}/payments", json={})
    assert sandbox.control("GET", "/deliveries").json() == []
    resp = requests.post(f"{sandbox.url}/_sandbox/webhooks/replay", timeout=10)
    assert resp.status_code == 400 and "--webhook-url" in resp.json()["message"]
