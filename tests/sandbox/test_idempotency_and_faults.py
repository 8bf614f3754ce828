"""Idempotent creates and injected faults: the retry behaviour a client depends on."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sandbox_helpers import api


@pytest.fixture
def team(sandbox):
    seeded = sandbox.seed_links(7201, 0)
    return seeded["team_id"], seeded["template_id"]


def create(sandbox, team, key: str | None = None, **params) -> requests.Response:
    body = {
        "template_id": team[1],
        "team_id": team[0],
        "name": "Pottery workshop",
        "amount": 120000,
        **params,
    }
    headers = {"Idempotency-Key": key} if key else {}
    return api(sandbox, "POST", "/external/links", json=body, headers=headers)


def link_count(sandbox, team) -> int:
    return api(sandbox, "GET", f"/external/{team[0]}/links").json()["total"]


def test_a_replayed_key_answers_the_first_link(sandbox, team):
    first = create(sandbox, team, "order-1")
    again = create(sandbox, team, "order-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert link_count(sandbox, team) == 1


def test_a_key_reused_with_other_params_is_refused(sandbox, team):
    create(sandbox, team, "order-2").raise_for_status()
    resp = create(sandbox, team, "order-2", name="Something else")
    assert resp.status_code == 400
    assert resp.json()["code"] == "bad_request"
    assert "different parameters" in resp.json()["message"]
    assert link_count(sandbox, team) == 1


def test_without_a_key_every_create_is_a_new_link(sandbox, team):
    ids = {create(sandbox, team).json()["id"] for _ in range(3)}
    assert len(ids) == 3 and link_count(sandbox, team) == 3


def test_concurrent_duplicates_make_one_link(sandbox, team):
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: create(sandbox, team, "double-click"), range(16)))
    assert {resp.status_code for resp in answers} == {200}
    assert len({resp.json()["id"] for resp in answers}) == 1
    assert link_count(sandbox, team) == 1


def test_a_refused_create_does_not_burn_the_key(sandbox, team):
    assert create(sandbox, team, "fix-me", amount=5).status_code == 400
    assert create(sandbox, team, "fix-me").status_code == 200


def test_fail_next_answers_500_then_recovers(sandbox, team):
    sandbox.faults(fail_next=2)
    path = f"/external/templates/{team[1]}"
    statuses = [api(sandbox, "GET", path).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    error = sandbox.control("GET", "/faults").json()
    assert error["fail_next"] == 0


def test_an_injected_500_is_an_omise_internal_error(sandbox, team):
    sandbox.faults(fail_next=1)
    resp = api(sandbox, "GET", f"/external/{team[0]}/links")
    assert resp.status_code == 500
    assert resp.json()["object"] == "error" and resp.json()["code"] == "internal_error"


def test_faults_leave_the_controls_alone(sandbox):
    sandbox.faults(error_rate=1.0)
    assert requests.get(f"{sandbox.url}/_sandbox/health", timeout=10).status_code == 200
    assert sandbox.seed_links(7202, 1)["created"] == 1


def test_a_create_whose_answer_is_lost_is_made_once_by_a_keyed_retry(sandbox, team):
    sandbox.faults(fail_next=1, fail_after_create=True)
    lost = create(sandbox, team, "retry-me")
    assert lost.status_code == 500
    assert link_count(sandbox, team) == 1  # made, though the answer said otherwise
    retried = create(sandbox, team, "retry-me")
    assert retried.status_code == 200
    listed = api(sandbox, "GET", f"/external/{team[0]}/links").json()["data"]
    assert [link["id"] for link in listed] == [retried.json()["id"]]


def test_random_faults_with_a_seed_repeat_exactly(sandbox, team):
    def run() -> list[int]:
        sandbox.faults(error_rate=0.5, seed=42)
        return [
            api(sandbox, "GET", f"/external/templates/{team[1]}").status_code for _ in range(20)
        ]

    first = run()
    assert first == run()
    assert 500 in first and 200 in first


def test_keyed_retries_through_random_faults_make_one_link_each(sandbox, team):
    sandbox.faults(error_rate=0.5, seed=3)
    for n in range(10):
        for _ in range(50):
            resp = create(sandbox, team, f"loop-{n}", name=f"Link {n}")
            if resp.status_code == 200:
                break
        assert resp.status_code == 200
    sandbox.faults(0, 0)
    names = [
        link["name"]
        for link in api(sandbox, "GET", f"/external/{team[0]}/links", params={"limit": 100}).json()[
            "data"
        ]
    ]
    assert sorted(names) == sorted(f"Link {n}" for n in range(10))


def test_latency_delays_every_api_request(sandbox, team):
    sandbox.faults(latency_ms=300)
    started = time.monotonic()
    assert api(sandbox, "GET", f"/external/templates/{team[1]}").status_code == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.Timeout):
        api(sandbox, "GET", f"/external/templates/{team[1]}", timeout=0.1)
    sandbox.control("DELETE", "/faults")
    assert sandbox.control("GET", "/faults").json()["latency_ms"] == 0


def test_bad_fault_settings_are_400(sandbox):
    resp = requests.post(f"{sandbox.url}/_sandbox/faults", json={"error_rate": 1.5}, timeout=10)
    assert resp.status_code == 400 and resp.json()["code"] == "bad_request"
    assert "error_rate" in resp.json()["message"]


def set_idempotency(sandbox, value: str) -> None:
    sandbox.control("POST", "/idempotency", json={"idempotency": value})


def test_with_idempotency_off_a_repeated_key_makes_another_link(sandbox, team):
    set_idempotency(sandbox, "off")
    first = create(sandbox, team, "order-9")
    again = create(sandbox, team, "order-9")
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] != again.json()["id"]
    assert "Idempotent-Replayed" not in again.headers
    assert link_count(sandbox, team) == 2
    sandbox.reset()  # a reset goes back to the setting the sandbox started with
    assert sandbox.control("GET", "/idempotency").json() == {"idempotency": "on"}


def test_a_bad_idempotency_setting_is_400(sandbox):
    resp = requests.post(
        f"{sandbox.url}/_sandbox/idempotency", json={"idempotency": "maybe"}, timeout=10
    )
    assert resp.status_code == 400 and resp.json()["code"] == "bad_request"


def test_a_dropped_create_makes_the_link_and_answers_nothing(sandbox, team):
    sandbox.faults(fail_next=1, fail_after_create=True, drop_after_create=True)
    with pytest.raises(requests.ConnectionError):
        create(sandbox, team, "dropped")
    assert link_count(sandbox, team) == 1
    assert create(sandbox, team, "next").status_code == 200  # the sandbox is fine after


def test_an_injected_429_names_its_wait_and_does_nothing(sandbox, team):
    sandbox.faults(rate_limit_next=2, retry_after=5)
    for resp in (create(sandbox, team, "busy"), api(sandbox, "GET", f"/external/{team[0]}/links")):
        assert resp.status_code == 429
        assert resp.headers["Retry-After"] == "5"
        assert resp.json()["object"] == "error" and resp.json()["code"] == "too_many_requests"
    assert link_count(sandbox, team) == 0
    assert sandbox.control("GET", "/faults").json()["rate_limit_next"] == 0
