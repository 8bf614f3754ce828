"""The demo data: what a salesperson sees when the demo starts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sandbox_helpers import api

from linksplus.models import parse_timestamp
from linksplus.money import check_amount
from linksplus.sandbox.demo_data import seed_demo
from linksplus.sandbox.state import Store


def every(demo_sandbox, path: str) -> list[dict]:
    items, offset = [], 0
    while True:
        page = api(demo_sandbox, "GET", path, params={"limit": 100, "offset": offset}).json()
        items += page["data"]
        offset += 100
        if offset >= page["total"]:
            return items


@pytest.fixture(scope="module")
def demo(demo_sandbox):
    links = every(demo_sandbox, "/external/links")
    teams = demo_sandbox.control("GET", "/teams").json()
    templates = [
        t for team in teams for t in every(demo_sandbox, f"/external/{team['id']}/templates")
    ]
    payments = demo_sandbox.control("GET", "/payments").json()
    return teams, templates, links, payments


def test_three_named_teams(demo):
    teams = demo[0]
    assert teams == [
        {"id": 101, "name": "Bangkok Retail"},
        {"id": 102, "name": "Online Sales"},
        {"id": 103, "name": "Corporate Events"},
    ]


def test_templates_in_thai_and_english_with_default_currencies(demo):
    templates = demo[1]
    names = {t["name"] for t in templates}
    assert {"คอร์สเรียนออนไลน์", "Workshop ticket", "ค่าสมาชิกรายเดือน"} <= names
    assert {t["language"] for t in templates} == {"th", "en"}
    assert {"thb", "jpy", "sgd", "myr", "usd"} <= {t["currency"] for t in templates}
    assert Counter(t["team_id"] for t in templates).keys() == {101, 102, 103}
    for template in templates:
        if template["amount"] is not None:
            assert check_amount(template["amount"], template["currency"]) is None


def test_a_few_hundred_believable_links_over_90_days(demo):
    links = demo[2]
    assert 300 <= len(links) <= 450
    now = datetime.now(UTC)
    for link in links:
        assert check_amount(link["amount"], link["currency"]) is None, link
        assert 0 < len(link["name"]) <= 45
        created = parse_timestamp(link["created_at"])
        assert now - timedelta(days=91) < created <= now
    assert {"active", "used", "expired", "disabled"} == {link["status"] for link in links}
    assert len({link["currency"] for link in links}) >= 4
    assert any(link["multiple_usage"] for link in links)
    assert [link["id"] for link in links] == sorted(link["id"] for link in links)


def test_payments_follow_their_links(demo):
    links = {link["id"]: link for link in demo[2]}
    payments = demo[3]
    statuses = Counter(p["status"] for p in payments)
    assert statuses["successful"] > 3 * statuses["failed"] > 0
    for payment in payments:
        link = links[payment["link_id"]]
        assert payment["created_at"] > link["created_at"]
        assert (payment["currency"], payment["team_id"]) == (link["currency"], link["team_id"])
    paid = Counter(p["link_id"] for p in payments if p["status"] == "successful")
    for link_id, count in paid.items():
        if not links[link_id]["multiple_usage"]:
            assert count == 1 and links[link_id]["status"] == "used"
    assert any(count > 1 for link_id, count in paid.items())


def test_the_demo_is_the_same_every_time():
    now = datetime(2026, 2, 14, 10, 35, tzinfo=UTC)
    first, second = Store(), Store()
    seed_demo(first, now=now)
    seed_demo(second, now=now)
    assert [link.json for link in first.all_links.items] == [
        link.json for link in second.all_links.items
    ]
    assert [(p["link_id"], p["amount"], p["created_at"]) for p in first.payments] == [
        (p["link_id"], p["amount"], p["created_at"]) for p in second.payments
    ]
