"""SandboxControls, the one client of the sandbox's test controls, against a running sandbox:
what the app, the demo and `linksplus simulate` get from it, and the sentence when it fails."""

from __future__ import annotations

import pytest
from sandbox_helpers import api

from linksplus.devserver import free_port
from linksplus.errors import APIConnectionError, BadRequestError, NotFoundError
from linksplus.sandbox.controls_client import SandboxControls
from linksplus.simulate import simulate_payment


def test_a_simulated_payment_is_the_sandboxs_payment_object(sandbox):
    sandbox.seed_links(7501, 1, currency="thb")
    link_id = sandbox.client().list_links(7501)[0].id
    # An amount below the minimum is refused with the sandbox's own reason.
    with pytest.raises(BadRequestError) as info:
        simulate_payment(sandbox.url, link_id, amount=5)
    assert info.value.status == 400 and info.value.server_message
    payment = simulate_payment(sandbox.url, link_id, amount=12345)
    assert (payment["amount"], payment["currency"], payment["status"]) == (
        12345,
        "thb",
        "successful",
    )
    recorded = sandbox.control("GET", "/payments").json()
    assert [p["id"] for p in recorded] == [payment["id"]]


def test_an_unknown_link_and_an_absent_sandbox_are_errors_with_a_sentence(sandbox):
    with pytest.raises(NotFoundError):
        SandboxControls(sandbox.url).pay(987654321, status="successful")
    gone = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(APIConnectionError) as info:
        simulate_payment(gone, 1, timeout=2)
    assert str(info.value) == f"Could not reach the sandbox at {gone}. Is it running?"


def test_team_names_and_the_webhook_replay(sandbox):
    sandbox.control("POST", "/teams", json={"id": 556, "name": "Pop-up store"})
    controls = SandboxControls(sandbox.url)
    names = controls.team_names()
    assert names[556] == "Pop-up store"
    assert SandboxControls(f"http://127.0.0.1:{free_port()}", timeout=2).health_url.endswith(
        "/_sandbox/health"
    )


def test_the_replay_sends_each_payment_again_and_needs_a_webhook(hooks, sandbox):
    hooks.control("POST", "/teams/7502/links/seed", json={"count": 1})
    link = api(hooks, "GET", "/external/7502/links").json()["data"][0]
    SandboxControls(hooks.url).pay(link["id"], status="successful")
    assert SandboxControls(hooks.url).replay_webhooks() == 1
    # A sandbox started without --webhook-url says so.
    with pytest.raises(BadRequestError) as info:
        SandboxControls(sandbox.url).replay_webhooks()
    assert "--webhook-url" in info.value.message
