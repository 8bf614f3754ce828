"""The sandbox's Links+ API over HTTP: auth, objects, errors and lists, as a client sees them."""

from __future__ import annotations

import base64
import json
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sandbox_helpers import api

from linksplus.models import parse_timestamp

LINK_FIELDS = {
    "object",
    "id",
    "team_id",
    "template_id",
    "name",
    "amount",
    "currency",
    "multiple_usage",
    "additional",
    "custom_webhook",
    "payment_url",
    "status",
    "created_at",
    "updated_at",
}
TEMPLATE_FIELDS = {
    "object",
    "id",
    "team_id",
    "created_by",
    "name",
    "language",
    "status",
    "features",
    "currency",
    "amount",
    "created_at",
    "updated_at",
}


@pytest.fixture
def team(sandbox):
    """A team with one template (THB, 500.00 by default) and no links: (team, template)."""
    seeded = sandbox.seed_links(7101, 0)
    return seeded["team_id"], seeded["template_id"]


def new_link(sandbox, team, **params) -> requests.Response:
    body = {
        "template_id": team[1],
        "team_id": team[0],
        "name": "Cooking class",
        "amount": 150000,
        "currency": "thb",
        **params,
    }
    return api(sandbox, "POST", "/external/links", json=body)


def curl(*args: str) -> tuple[int, dict]:
    """Run the real curl; (HTTP status, decoded JSON body)."""
    out = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    body, _, status = out.rpartition("\n")
    return int(status), json.loads(body)


# -- the brief's curl calls -----------------------------------------------------------------


def test_the_briefs_curl_calls_work_as_written(sandbox, team):
    new_link(sandbox, team).raise_for_status()
    key = sandbox.api_key
    basic = curl(f"{sandbox.url}/external/links", "-u", f"{key}:")
    bearer = curl(f"{sandbox.url}/external/links", "-H", f"Authorization: Bearer {key}")
    raw = curl(f"{sandbox.url}/external/links", "-H", f"Authorization: {key}")
    for status, body in (basic, bearer, raw):
        assert status == 200
        assert body["object"] == "list" and body["total"] == 1
        assert body["data"][0]["name"] == "Cooking class"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer skey_test_wrong",
        "skey_test_wrong",
        "Basic " + base64.b64encode(b"skey_test_wrong:").decode(),
        "Basic not-base64!",
        "Bearer ",
    ],
)
def test_missing_or_wrong_key_is_401_with_an_omise_error(sandbox, team, header):
    headers = {"Authorization": header} if header else {}
    for path in (
        "/external/links",
        f"/external/{team[0]}/links",
        "/external/links/1",
        f"/external/templates/{team[1]}",
    ):
        resp = requests.get(sandbox.url + path, headers=headers, timeout=10)
        assert resp.status_code == 401
        body = resp.json()
        assert body["object"] == "error" and body["code"] == "authentication_failure"
        assert "skey_test_wrong" not in body["message"]


def test_curl_with_a_wrong_key_is_refused(sandbox):
    status, body = curl(f"{sandbox.url}/external/links", "-u", "skey_test_nope:")
    assert (status, body["code"]) == (401, "authentication_failure")


def test_controls_need_no_key_but_the_api_does(sandbox):
    assert requests.get(f"{sandbox.url}/_sandbox/health", timeout=10).json() == {"ok": True}
    assert requests.get(f"{sandbox.url}/external/links", timeout=10).status_code == 401


# -- links ----------------------------------------------------------------------------------


def test_create_answers_the_link_and_get_finds_it(sandbox, team):
    resp = new_link(
        sandbox,
        team,
        multiple_usage=True,
        additional="Bring an apron",
        custom_webhook="https://hooks.example.com/x",
    )
    assert resp.status_code == 200
    link = resp.json()
    assert set(link) == LINK_FIELDS
    assert link["object"] == "link" and isinstance(link["id"], int)
    assert (link["team_id"], link["template_id"]) == team
    assert (link["name"], link["amount"], link["currency"]) == ("Cooking class", 150000, "thb")
    assert link["multiple_usage"] is True and link["additional"] == "Bring an apron"
    assert link["custom_webhook"] == "https://hooks.example.com/x"
    assert link["status"] == "active"
    assert link["payment_url"].startswith(f"{sandbox.url}/pay/")
    assert link["created_at"].endswith("Z") and parse_timestamp(link["created_at"])
    assert api(sandbox, "GET", f"/external/links/{link['id']}").json() == link


def test_currency_defaults_to_the_templates_and_is_lower_case(sandbox, team):
    body = {"template_id": team[1], "team_id": team[0], "name": "No currency", "amount": 9900}
    link = api(sandbox, "POST", "/external/links", json=body).json()
    template = api(sandbox, "GET", f"/external/templates/{team[1]}").json()
    assert link["currency"] == template["currency"] == "thb"
    upper = new_link(sandbox, team, currency="JPY", amount=500).json()
    assert upper["currency"] == "jpy"


def test_numeric_string_ids_are_accepted(sandbox, team):
    resp = new_link(sandbox, team, template_id=str(team[1]), team_id=str(team[0]))
    assert resp.status_code == 200 and resp.json()["template_id"] == team[1]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"template_id": "abc"}, '"template_id" must be a number'),
        ({"team_id": 1.5}, '"team_id" must be a number'),
        ({"team_id": True}, '"team_id" must be a number'),
        ({"template_id": None}, '"template_id" is required'),
        ({"name": ""}, "name"),
        ({"name": "x" * 46}, "45"),
        ({"amount": 99}, "at least 1.00 THB"),
        ({"amount": "1500"}, "whole number"),
        ({"amount": None}, "amount"),
        ({"currency": "xyz"}, "XYZ is not a supported currency"),
        ({"custom_webhook": "http://insecure.example.com/h"}, "https://"),
        ({"multiple_usage": "yes"}, "multiple_usage"),
        ({"additional": "n" * 256}, "255"),
    ],
)
def test_bad_create_params_are_400_with_a_message_naming_the_problem(sandbox, team, params, words):
    resp = new_link(sandbox, team, **params)
    assert resp.status_code == 400
    body = resp.json()
    assert body["object"] == "error" and body["code"] == "bad_request"
    assert words in body["message"]
    assert api(sandbox, "GET", f"/external/{team[0]}/links").json()["total"] == 0


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b""])
def test_a_body_that_is_not_a_json_object_is_400(sandbox, raw):
    resp = api(
        sandbox, "POST", "/external/links", data=raw, headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400 and resp.json()["code"] == "bad_request"


def test_unknown_team_or_template_is_404_and_another_teams_template_400(sandbox, team):
    other = sandbox.seed_links(7102, 0)
    resp = new_link(sandbox, team, template_id=987654)
    assert (resp.status_code, resp.json()["code"]) == (404, "not_found")
    resp = new_link(sandbox, team, team_id=987654)
    assert (resp.status_code, resp.json()["code"]) == (404, "not_found")
    resp = new_link(sandbox, team, template_id=other["template_id"])
    assert resp.status_code == 400 and "another team" in resp.json()["message"]


def test_inactive_template_takes_no_new_links(sandbox, team):
    template = sandbox.control(
        "POST",
        f"/teams/{team[0]}/templates",
        json={"name": "Old", "currency": "thb", "status": "inactive"},
    ).json()
    resp = new_link(sandbox, team, template_id=template["id"])
    assert resp.status_code == 400 and "inactive" in resp.json()["message"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/external/links/abc", '"link_id" must be a number'),
        ("/external/templates/x1", '"template_id" must be a number'),
        ("/external/abc/links", '"team_id" must be a number'),
        ("/external/abc/templates", '"team_id" must be a number'),
    ],
)
def test_non_numeric_path_ids_are_400(sandbox, path, message):
    resp = api(sandbox, "GET", path)
    assert resp.status_code == 400
    assert resp.json() == {"object": "error", "code": "bad_request", "message": message}


@pytest.mark.parametrize(
    "path",
    [
        "/external/links/424242",
        "/external/templates/424242",
        "/external/424242/links",
        "/external/424242/templates",
        "/external/no/such/path",
    ],
)
def test_unknown_ids_and_paths_are_404(sandbox, path):
    resp = api(sandbox, "GET", path)
    assert resp.status_code == 404
    assert resp.json()["object"] == "error" and resp.json()["code"] == "not_found"


# -- templates ------------------------------------------------------------------------------


def test_templates_have_the_documented_fields(sandbox, team):
    template = api(sandbox, "GET", f"/external/templates/{team[1]}").json()
    assert set(template) == TEMPLATE_FIELDS
    assert template["object"] == "template" and template["team_id"] == team[0]
    assert (template["currency"], template["amount"]) == ("thb", 50000)
    assert template["language"] in ("th", "en") and template["status"] == "active"
    listed = api(sandbox, "GET", f"/external/{team[0]}/templates").json()
    assert [t["id"] for t in listed["data"]] == [team[1]] and listed["total"] == 1


# -- lists ----------------------------------------------------------------------------------


def test_list_envelope_defaults_and_limit_cap(sandbox):
    seeded = sandbox.seed_links(7103, 130)
    page = api(sandbox, "GET", f"/external/{seeded['team_id']}/links").json()
    assert page["object"] == "list" and page["total"] == 130
    assert (page["limit"], page["offset"], page["order"]) == (20, 0, "chronological")
    assert len(page["data"]) == 20
    capped = api(
        sandbox, "GET", f"/external/{seeded['team_id']}/links", params={"limit": 500}
    ).json()
    assert capped["limit"] == 100 and len(capped["data"]) == 100
    last = api(
        sandbox, "GET", f"/external/{seeded['team_id']}/links", params={"limit": 100, "offset": 100}
    ).json()
    assert len(last["data"]) == 30
    beyond = api(
        sandbox, "GET", f"/external/{seeded['team_id']}/links", params={"offset": 1000}
    ).json()
    assert beyond["data"] == [] and beyond["total"] == 130


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "abc"}, '"limit" must be a number'),
        ({"limit": 0}, '"limit" must be at least 1'),
        ({"limit": -5}, '"limit" must be at least 1'),
        ({"offset": -1}, '"offset" must be at least 0'),
        ({"offset": "x"}, '"offset" must be a number'),
        ({"order": "random"}, '"order" must be chronological or reverse_chronological'),
        ({"from": "yesterday"}, '"from" must be an ISO 8601'),
    ],
)
def test_bad_list_params_are_400(sandbox, params, message):
    sandbox.seed_links(7104, 1)
    resp = api(sandbox, "GET", "/external/7104/links", params=params)
    assert resp.status_code == 400 and resp.json()["message"].startswith(message)


def test_pages_follow_creation_order_both_ways(sandbox):
    seeded = sandbox.seed_links(7105, 250)
    path = f"/external/{seeded['team_id']}/links"

    def every(order: str) -> list[int]:
        ids = []
        for offset in range(0, 250, 100):
            page = api(
                sandbox, "GET", path, params={"limit": 100, "offset": offset, "order": order}
            ).json()
            ids += [link["id"] for link in page["data"]]
        return ids

    oldest_first = every("chronological")
    assert len(set(oldest_first)) == 250 and oldest_first == sorted(oldest_first)
    assert every("reverse_chronological") == oldest_first[::-1]


def test_all_links_spans_teams_and_team_lists_do_not(sandbox):
    sandbox.seed_links(7106, 3)
    sandbox.seed_links(7107, 2)
    everything = api(sandbox, "GET", "/external/links", params={"limit": 100}).json()
    assert everything["total"] == 5
    assert {link["team_id"] for link in everything["data"]} == {7106, 7107}
    only = api(sandbox, "GET", "/external/7107/links").json()
    assert only["total"] == 2 and {link["team_id"] for link in only["data"]} == {7107}


def test_from_and_to_filter_by_creation_time(sandbox):
    sandbox.seed_links(7108, 3)
    stamp = api(sandbox, "GET", "/external/7108/links").json()["data"][0]["created_at"]
    within = api(sandbox, "GET", "/external/7108/links", params={"from": stamp, "to": stamp}).json()
    assert within["total"] == 3 and within["from"] == stamp
    later = api(
        sandbox, "GET", "/external/7108/links", params={"from": "2999-01-01T00:00:00Z"}
    ).json()
    assert later["total"] == 0 and later["data"] == []


def test_paging_ten_thousand_links_is_fast(sandbox):
    seeded = sandbox.seed_links(7109, 10_000)
    assert seeded["created"] == 10_000 and seeded["total"] == 10_000
    ids: list[int] = []
    elapsed: list[float] = []
    started = time.monotonic()
    with requests.Session() as session:
        session.auth = (sandbox.api_key, "")
        for offset in range(0, 10_000, 100):
            page = session.get(
                f"{sandbox.url}/external/7109/links",
                params={"limit": 100, "offset": offset},
                timeout=10,
            )
            ids += [link["id"] for link in page.json()["data"]]
            elapsed.append(page.elapsed.total_seconds())
    assert len(set(ids)) == 10_000
    # About 1 ms a page here; the bounds leave room for a busy shared machine.
    assert statistics.median(elapsed) < 0.02
    assert time.monotonic() - started < 5


def test_concurrent_page_requests_each_get_their_own_page(sandbox):
    sandbox.seed_links(7110, 2_000)

    def fetch(offset: int) -> list[int]:
        page = api(
            sandbox,
            "GET",
            "/external/7110/links",
            params={"limit": 100, "offset": offset, "order": "reverse_chronological"},
        )
        return [link["id"] for link in page.json()["data"]]

    with ThreadPoolExecutor(8) as pool:
        pages = list(pool.map(fetch, range(0, 2_000, 100)))
    ids = [link_id for page in pages for link_id in page]
    assert len(set(ids)) == 2_000 and ids == sorted(ids, reverse=True)


def test_openapi_is_published_with_the_brief_paths(sandbox):
    schema = requests.get(f"{sandbox.url}/openapi.json", timeout=10).json()
    paths = schema["paths"]
    for path in (
        "/external/links",
        "/external/links/{link_id}",
        "/external/{team_id}/links",
        "/external/templates/{template_id}",
        "/external/{team_id}/templates",
    ):
        assert path in paths
        for operation in paths[path].values():
            assert operation["summary"] and operation.get("security")
    assert "post" in paths["/external/links"]
    assert {"basicAuth", "bearerAuth"} <= set(schema["components"]["securitySchemes"])
    docs = requests.get(f"{sandbox.url}/docs", timeout=10)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
