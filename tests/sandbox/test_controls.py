"""The /_sandbox test controls: reset, teams, templates, seeding, payments and the payer page."""

from __future__ import annotations

import time

import requests
from sandbox_helpers import api


def post(sandbox, path: str, **kwargs) -> requests.Response:
    return requests.post(f"{sandbox.url}/_sandbox{path}", timeout=30, **kwargs)


def test_reset_forgets_everything(sandbox):
    sandbox.seed_links(7301, 5)
    sandbox.faults(fail_next=3)
    answer = sandbox.control("POST", "/reset", json={"data": "empty"}).json()
    assert answer["links"] == answer["teams"] == 0
    assert sandbox.control("GET", "/teams").json() == []
    assert api(sandbox, "GET", "/external/links").json()["total"] == 0  # no fault left


def test_reset_to_demo_and_back(sandbox):
    sandbox.reset("demo")
    assert api(sandbox, "GET", "/external/links").json()["total"] > 100
    sandbox.reset("empty")
    assert api(sandbox, "GET", "/external/links").json()["total"] == 0
    resp = post(sandbox, "/reset", json={"data": "everything"})
    assert resp.status_code == 400 and resp.json()["code"] == "bad_request"


def test_teams_and_templates_can_be_made_for_a_test(sandbox):
    team = sandbox.control("POST", "/teams", json={"id": 555, "name": "Pop-up store"}).json()
    assert team == {"id": 555, "name": "Pop-up store"}
    auto = sandbox.control("POST", "/teams", json={"name": "Next"}).json()
    assert auto["id"] != 555
    template = sandbox.control(
        "POST",
        "/teams/555/templates",
        json={"name": "ตั๋วเข้างาน", "currency": "JPY", "amount": 3000, "language": "th"},
    ).json()
    assert (template["team_id"], template["currency"], template["amount"]) == (555, "jpy", 3000)
    assert template["language"] == "th" and template["status"] == "active"
    fetched = api(sandbox, "GET", f"/external/templates/{template['id']}").json()
    assert fetched == template
    assert {"id": 555, "name": "Pop-up store"} in sandbox.control("GET", "/teams").json()


def test_bad_templates_are_refused(sandbox):
    assert (
        post(sandbox, "/teams/556/templates", json={"name": "X", "currency": "xyz"}).status_code
        == 400
    )
    resp = post(
        sandbox, "/teams/556/templates", json={"name": "X", "currency": "thb", "amount": 10}
    )
    assert resp.status_code == 400 and "at least" in resp.json()["message"]


def test_seeding_makes_the_team_a_template_and_the_links(sandbox):
    answer = sandbox.seed_links(7302, 25)
    assert answer["team_id"] == 7302 and answer["created"] == 25 and answer["total"] == 25
    again = sandbox.seed_links(7302, 5, currency="sgd")
    assert again["template_id"] == answer["template_id"] and again["total"] == 30
    links = api(sandbox, "GET", "/external/7302/links", params={"limit": 100}).json()["data"]
    assert {link["currency"] for link in links} == {"thb", "sgd"}
    assert all(link["status"] == "active" for link in links)
    assert links[-1]["name"] == "Seeded link 30"


def test_seeding_into_a_given_template(sandbox):
    template = sandbox.control(
        "POST", "/teams/7303/templates", json={"name": "Yen", "currency": "jpy", "amount": 800}
    ).json()
    answer = sandbox.seed_links(7303, 3, template_id=template["id"])
    assert answer["template_id"] == template["id"]
    link = api(sandbox, "GET", "/external/7303/links").json()["data"][0]
    assert (link["currency"], link["amount"]) == ("jpy", 800)
    other = post(
        sandbox, "/teams/7304/links/seed", json={"count": 1, "template_id": template["id"]}
    )
    assert other.status_code == 400


def test_seeding_a_hundred_thousand_links_is_quick(sandbox):
    started = time.monotonic()
    answer = sandbox.seed_links(7305, 100_000)
    assert answer["created"] == 100_000
    assert time.monotonic() - started < 10
    assert api(sandbox, "GET", "/external/7305/links").json()["total"] == 100_000


def test_a_payment_uses_up_a_single_use_link(sandbox):
    sandbox.seed_links(7306, 1)
    link = api(sandbox, "GET", "/external/7306/links").json()["data"][0]
    resp = post(sandbox, f"/links/{link['id']}/payments", json={"status": "successful"})
    assert resp.status_code == 201
    payment = resp.json()
    assert payment["object"] == "payment" and payment["id"].startswith("chrg_test_")
    assert (payment["link_id"], payment["team_id"]) == (link["id"], 7306)
    assert (payment["amount"], payment["currency"]) == (link["amount"], link["currency"])
    assert payment["status"] == "successful" and payment["created_at"].endswith("Z")
    assert api(sandbox, "GET", f"/external/links/{link['id']}").json()["status"] == "used"
    again = post(sandbox, f"/links/{link['id']}/payments", json={"status": "successful"})
    assert again.status_code == 400 and "already paid" in again.json()["message"]


def test_failed_payments_leave_the_link_open_and_multi_use_links_stay_active(sandbox):
    sandbox.seed_links(7307, 1)
    link = api(sandbox, "GET", "/external/7307/links").json()["data"][0]
    assert (
        post(sandbox, f"/links/{link['id']}/payments", json={"status": "failed"}).status_code == 201
    )
    assert api(sandbox, "GET", f"/external/links/{link['id']}").json()["status"] == "active"
    template = api(sandbox, "GET", "/external/7307/templates").json()["data"][0]
    multi = api(
        sandbox,
        "POST",
        "/external/links",
        json={
            "template_id": template["id"],
            "team_id": 7307,
            "name": "Membership",
            "amount": 59000,
            "multiple_usage": True,
        },
    ).json()
    for amount in (59000, 70000):
        post(sandbox, f"/links/{multi['id']}/payments", json={"amount": amount})
    assert api(sandbox, "GET", f"/external/links/{multi['id']}").json()["status"] == "active"
    payments = sandbox.control("GET", "/payments", params={"link_id": multi["id"]}).json()
    assert [p["amount"] for p in payments] == [59000, 70000]
    assert len(sandbox.control("GET", "/payments", params={"team_id": 7307}).json()) == 3


def test_expired_and_disabled_links_take_no_payment(sandbox):
    sandbox.seed_links(7308, 2)
    links = api(sandbox, "GET", "/external/7308/links").json()["data"]
    for link, status in zip(links, ("expired", "disabled"), strict=True):
        sandbox.control("POST", f"/links/{link['id']}/status", json={"status": status})
        resp = post(sandbox, f"/links/{link['id']}/payments", json={})
        assert resp.status_code == 400 and status in resp.json()["message"]
        assert api(sandbox, "GET", f"/external/links/{link['id']}").json()["status"] == status


def test_paying_an_unknown_link_is_404_and_a_bad_status_400(sandbox):
    assert post(sandbox, "/links/999999/payments", json={}).status_code == 404
    sandbox.seed_links(7309, 1)
    link = api(sandbox, "GET", "/external/7309/links").json()["data"][0]
    resp = post(sandbox, f"/links/{link['id']}/payments", json={"status": "pending"})
    assert resp.status_code == 400 and resp.json()["code"] == "bad_request"


def test_the_payer_page_shows_the_link_and_pays_it(sandbox):
    sandbox.seed_links(7310, 1)
    link = api(sandbox, "GET", "/external/7310/links").json()["data"][0]
    page = requests.get(link["payment_url"], timeout=10)
    assert page.status_code == 200
    assert link["name"] in page.text and "฿500.00 THB" in page.text and "Pay" in page.text
    paid = requests.post(link["payment_url"], timeout=10)
    assert paid.status_code == 200 and "Paid" in paid.text
    assert api(sandbox, "GET", f"/external/links/{link['id']}").json()["status"] == "used"
    assert "takes no payment" in requests.get(link["payment_url"], timeout=10).text
    assert requests.get(f"{sandbox.url}/pay/nothing-here", timeout=10).status_code == 404
