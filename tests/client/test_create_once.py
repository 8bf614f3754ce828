"""A create is never made twice: after an answer that leaves it unknown, the client looks
for the link before sending again. Every test runs with the sandbox honouring
Idempotency-Key and with it ignoring the key, as the documented Links+ service may."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
import requests
from requests.adapters import HTTPAdapter

from linksplus import CreateUnconfirmedError, LinksPlusClient, ServerError
from linksplus.client import CreateCheck
from linksplus.ui.markdown import md_escape
from linksplus.ui.messages import error_notice


@pytest.fixture(params=["on", "off"], ids=["idempotency-on", "idempotency-off"])
def strict(request, sandbox):
    """The sandbox with Idempotency-Key honoured (on) or ignored (off)."""
    sandbox.control("POST", "/idempotency", json={"idempotency": request.param})
    assert sandbox.control("GET", "/idempotency").json() == {"idempotency": request.param}
    return sandbox


@pytest.fixture
def team(strict):
    seeded = strict.seed_links(7301, 0)
    return seeded["team_id"], seeded["template_id"]


def form(team, **kw) -> dict:
    team_id, template_id = team
    return {
        "template_id": template_id,
        "team_id": team_id,
        "name": "Deposit 1042",
        "amount": 125050,
        "currency": "thb",
        **kw,
    }


def links(sandbox, team) -> list:
    return sandbox.client().list_links(team[0])


def test_a_500_after_the_link_was_made_gives_that_link(strict, team):
    strict.faults(fail_next=1, fail_after_create=True)
    heard: list[CreateCheck] = []
    link = strict.client(max_retries=3).create_link(**form(team), on_check=heard.append)
    assert [x.id for x in links(strict, team)] == [link.id]
    assert heard == [CreateCheck.CHECKING, CreateCheck.FOUND]


def test_a_dropped_connection_after_the_link_was_made_gives_that_link(strict, team):
    strict.faults(fail_next=1, fail_after_create=True, drop_after_create=True)
    heard: list[CreateCheck] = []
    link = strict.client(max_retries=3).create_link(**form(team), on_check=heard.append)
    made = links(strict, team)
    assert [x.id for x in made] == [link.id]
    assert (made[0].name, made[0].amount) == ("Deposit 1042", 125050)
    assert heard == [CreateCheck.CHECKING, CreateCheck.FOUND]


def test_a_500_before_anything_was_made_creates_once_more(strict, team):
    strict.faults(fail_next=1)
    heard: list[CreateCheck] = []
    link = strict.client(max_retries=3).create_link(**form(team), on_check=heard.append)
    assert [x.id for x in links(strict, team)] == [link.id]
    assert heard == [CreateCheck.CHECKING, CreateCheck.NOT_FOUND]


def test_when_the_last_attempt_made_nothing_the_error_is_raised(strict, team):
    strict.faults(fail_next=1)
    heard: list[CreateCheck] = []
    with pytest.raises(ServerError):
        strict.client(max_retries=0).create_link(**form(team), on_check=heard.append)
    assert links(strict, team) == []
    assert heard == [CreateCheck.CHECKING, CreateCheck.NOT_FOUND]


def test_random_faults_still_make_exactly_one_link_per_form(strict, team):
    strict.faults(error_rate=0.4, seed=11)
    client = strict.client(max_retries=10)
    made = [client.create_link(**form(team, name=f"Form {n}")) for n in range(8)]
    strict.faults(0, 0)
    names = sorted(x.name for x in links(strict, team))
    assert names == sorted(f"Form {n}" for n in range(8))
    assert len({x.id for x in made}) == 8


def test_a_check_that_fails_says_so_and_the_next_submit_finds_the_link(strict, team):
    # The link is made, then the answer and the three GETs of the check all fail.
    strict.faults(fail_next=4, fail_after_create=True)
    started = datetime.now(UTC)
    client = strict.client(max_retries=2)
    with pytest.raises(CreateUnconfirmedError) as info:
        client.create_link(**form(team))
    # The cause is kept; the person is told where to look before pressing again.
    assert isinstance(info.value.__cause__, ServerError) and info.value.status == 500
    assert md_escape("Look for it on the Links page") in error_notice(info.value).text
    strict.faults(0, 0)
    # The user presses Create link again: the client looks before sending.
    heard: list[CreateCheck] = []
    again = client.create_link(**form(team), made_since=started, on_check=heard.append)
    assert [x.id for x in links(strict, team)] == [again.id]
    assert heard == [CreateCheck.CHECKING, CreateCheck.FOUND]


def test_an_omitted_currency_is_matched_as_the_templates(strict, team):
    # A look-alike in another currency, made just before, is not the link being made.
    client = strict.client(max_retries=3)
    other = client.create_link(**form(team, currency="usd"))
    strict.faults(fail_next=1)  # the create fails before making anything
    link = client.create_link(**form(team, currency=None))
    assert link.id != other.id and link.currency == "thb"
    assert sorted(x.id for x in links(strict, team)) == sorted([other.id, link.id])


def test_a_lost_answer_with_the_currency_omitted_is_found(strict, team):
    strict.faults(fail_next=1, fail_after_create=True, drop_after_create=True)
    link = strict.client(max_retries=3).create_link(**form(team, currency=None))
    assert [x.id for x in links(strict, team)] == [link.id]
    assert link.currency == "thb"


def test_a_different_note_or_usage_is_another_link(strict, team):
    client = strict.client(max_retries=3)
    noted = client.create_link(**form(team, additional="table 4"))
    multi = client.create_link(**form(team, multiple_usage=True))
    strict.faults(fail_next=1)
    plain = client.create_link(**form(team))
    assert len({noted.id, multi.id, plain.id}) == 3
    assert len(links(strict, team)) == 3


class GarblingAdapter(HTTPAdapter):
    """Lets the request through, then garbles the body of a create's 200 answer: the link
    is made, the answer cannot be read."""

    def send(self, request, *args, **kwargs):
        resp = super().send(request, *args, **kwargs)
        if request.method == "POST" and resp.status_code == 200:
            resp._content = b"<html>proxy error</html>"
        return resp


def test_an_unreadable_success_is_checked_not_repeated(strict, team):
    session = requests.Session()
    session.mount("http://", GarblingAdapter())
    client = LinksPlusClient(
        strict.api_key, base_url=strict.url, session=session, backoff=0.01, max_retries=3
    )
    heard: list[CreateCheck] = []
    link = client.create_link(**form(team), on_check=heard.append)
    assert [x.id for x in links(strict, team)] == [link.id]
    assert heard == [CreateCheck.CHECKING, CreateCheck.FOUND]


def test_a_429_on_a_create_is_resent_after_the_wait(strict, team):
    strict.faults(rate_limit_next=1, retry_after=1)
    heard: list[CreateCheck] = []
    link = strict.client(max_retries=2).create_link(**form(team), on_check=heard.append)
    assert [x.id for x in links(strict, team)] == [link.id]
    assert heard == []  # a 429 made nothing: no check needed


def client_over(sandbox, adapter: HTTPAdapter) -> LinksPlusClient:
    session = requests.Session()
    session.mount("http://", adapter)
    return LinksPlusClient(
        sandbox.api_key, base_url=sandbox.url, session=session, backoff=0.01, max_retries=3
    )


def test_the_check_reads_past_links_made_by_others_meanwhile(strict, team):
    class BusyTeam(GarblingAdapter):
        """After the create is made, 250 other links are made before the check runs."""

        def send(self, request, *args, **kwargs):
            resp = super().send(request, *args, **kwargs)
            if request.method == "POST":
                strict.seed_links(team[0], 250)
            return resp

    link = client_over(strict, BusyTeam()).create_link(**form(team))
    mine = [x for x in links(strict, team) if x.name == "Deposit 1042"]
    assert [x.id for x in mine] == [link.id]


def test_a_look_alike_made_before_the_attempt_is_not_taken_for_it(strict, team):
    class Aged(HTTPAdapter):
        """Lists show every link already there as made long ago."""

        def __init__(self, old_ids):
            super().__init__()
            self.old_ids = old_ids

        def send(self, request, *args, **kwargs):
            resp = super().send(request, *args, **kwargs)
            if request.method == "GET" and b'"object":"list"' in resp.content:
                body = orjson.loads(resp.content)
                for item in body["data"]:
                    if item["id"] in self.old_ids:
                        item["created_at"] = "2020-01-01T00:00:00Z"
                resp._content = orjson.dumps(body)
            return resp

    earlier = strict.client().create_link(**form(team))  # the same sale, made last week
    strict.faults(fail_next=1)  # this create fails before making anything
    link = client_over(strict, Aged({earlier.id})).create_link(**form(team))
    assert link.id != earlier.id
    assert sorted(x.id for x in links(strict, team)) == sorted([earlier.id, link.id])
