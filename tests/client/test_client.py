"""LinksPlusClient against a real sandbox process, over HTTP."""

from __future__ import annotations

import logging

import pytest

from linksplus import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    CreateUnconfirmedError,
    LinksPlusClient,
    NotFoundError,
    ServerError,
    ValidationError,
)
from linksplus.devserver import free_port
from linksplus.models import Link, Template
from linksplus.ui.markdown import md_escape
from linksplus.ui.messages import error_notice


@pytest.fixture
def team(sandbox):
    """A team with one template (THB, 500.00 default) and no links."""
    seeded = sandbox.seed_links(7001, 0)
    return seeded["team_id"], seeded["template_id"]


def make_link(client: LinksPlusClient, team, **kw) -> Link:
    team_id, template_id = team
    params = {
        "template_id": template_id,
        "team_id": team_id,
        "name": "Cooking class",
        "amount": 150000,
        "currency": "thb",
    }
    params.update(kw)
    return client.create_link(**params)


def test_create_then_get_link(sandbox, team):
    client = sandbox.client()
    link = make_link(
        client,
        team,
        additional="Bring an apron",
        multiple_usage=True,
        custom_webhook="https://hooks.example.com/x",
    )
    assert isinstance(link, Link)
    assert (link.name, link.amount, link.currency) == ("Cooking class", 150000, "thb")
    assert link.multiple_usage is True and link.additional == "Bring an apron"
    assert link.payment_url and link.payment_url.startswith("http")
    assert link.created_at is not None and link.created_at.tzinfo is not None
    fetched = client.get_link(link.id)
    assert fetched.id == link.id and fetched.payment_url == link.payment_url
    assert fetched.team_id == team[0] and fetched.template_id == team[1]


def test_currency_defaults_to_the_template(sandbox, team):
    link = make_link(sandbox.client(), team, currency=None, amount=25000)
    template = sandbox.client().get_template(team[1])
    assert link.currency == template.currency


def test_templates(sandbox, team):
    client = sandbox.client()
    template = client.get_template(team[1])
    assert isinstance(template, Template) and template.team_id == team[0]
    listed = client.list_templates(team[0])
    assert [t.id for t in listed] == [team[1]]


def test_list_links_follows_every_page_in_order(sandbox):
    seeded = sandbox.seed_links(7002, 250)
    client = sandbox.client()
    links = client.list_links(seeded["team_id"])
    assert len(links) == 250
    assert len({link.id for link in links}) == 250
    assert [link.id for link in links] == sorted(link.id for link in links)
    newest_first = client.list_links(seeded["team_id"], order="reverse_chronological")
    assert [link.id for link in newest_first] == [link.id for link in reversed(links)]


def test_list_all_links_spans_teams(sandbox):
    sandbox.seed_links(7003, 3)
    sandbox.seed_links(7004, 2)
    teams = {link.team_id for link in sandbox.client().list_all_links()}
    assert {7003, 7004} <= teams


def test_empty_team_lists_nothing(sandbox, team):
    assert sandbox.client().list_links(team[0]) == []


@pytest.mark.parametrize("auth", ["basic", "bearer", "raw"])
def test_every_auth_style_is_accepted(sandbox, team, auth):
    client = sandbox.client(auth=auth)
    assert client.list_templates(team[0])[0].id == team[1]


@pytest.mark.parametrize("auth", ["basic", "bearer", "raw"])
def test_wrong_key_is_an_authentication_error_without_the_key(sandbox, auth):
    secret = "skey_test_wrongwrongwrong123"
    client = LinksPlusClient(secret, base_url=sandbox.url, auth=auth)
    with pytest.raises(AuthenticationError) as info:
        client.list_templates(1)
    assert info.value.status == 401
    assert secret not in str(info.value) and secret not in repr(info.value)
    assert info.value.code == "authentication_failure" and info.value.server_message
    assert md_escape("Ask an admin to check the key in Settings.") in error_notice(info.value).text


def test_unknown_link_and_template_are_not_found(sandbox):
    client = sandbox.client()
    with pytest.raises(NotFoundError) as info:
        client.get_link(987654)
    assert info.value.status == 404
    with pytest.raises(NotFoundError):
        client.get_template(987654)


def test_template_of_another_team_is_a_bad_request(sandbox, team):
    other = sandbox.seed_links(7005, 0)
    with pytest.raises(BadRequestError) as info:
        make_link(sandbox.client(), (team[0], other["template_id"]))
    assert info.value.status == 400
    assert sandbox.client().list_links(team[0]) == []


def test_invalid_params_are_refused_before_sending(sandbox, team):
    client = sandbox.client()
    with pytest.raises(ValidationError) as info:
        make_link(client, team, name="x" * 46)
    assert info.value.field == "name" and "45" in str(info.value)
    with pytest.raises(ValidationError) as info:
        make_link(client, team, custom_webhook="http://insecure.example.com/h")
    assert info.value.field == "custom_webhook"
    with pytest.raises(ValidationError) as info:
        make_link(client, team, amount=99)
    assert info.value.field == "amount"
    with pytest.raises(ValidationError):
        client.get_link("abc")
    assert client.list_links(team[0]) == []


def test_server_errors_beyond_the_retries_raise(sandbox, team):
    sandbox.faults(fail_next=5)
    with pytest.raises(ServerError) as info:
        sandbox.client(max_retries=2).get_template(team[1])
    assert (info.value.status, info.value.code) == (500, "internal_error")
    assert md_escape("Please try again in a minute.") in error_notice(info.value).text


def test_gets_retry_through_injected_500s(sandbox, team, caplog):
    sandbox.faults(fail_next=2)
    with caplog.at_level(logging.INFO, logger="linksplus.client"):
        assert sandbox.client(max_retries=2).get_template(team[1]).id == team[1]
    assert sum("retry" in r.getMessage() for r in caplog.records) == 2
    assert sandbox.api_key not in caplog.text


def test_listing_survives_a_share_of_failing_requests(sandbox):
    seeded = sandbox.seed_links(7006, 450)
    sandbox.faults(error_rate=0.3, seed=7)
    links = sandbox.client(max_retries=8).list_links(seeded["team_id"])
    assert len({link.id for link in links}) == 450


def test_a_retried_create_makes_one_link(sandbox, team):
    # The sandbox creates the link and then answers 500, as if the answer were lost.
    sandbox.faults(fail_next=1, fail_after_create=True)
    client = sandbox.client(max_retries=3)
    link = make_link(client, team)
    links = client.list_links(team[0])
    assert [x.id for x in links] == [link.id]


def test_same_idempotency_key_gives_the_same_link(sandbox, team):
    client = sandbox.client()
    first = make_link(client, team, idempotency_key="form-123")
    again = make_link(client, team, idempotency_key="form-123")
    assert again.id == first.id
    with pytest.raises(BadRequestError):
        make_link(client, team, idempotency_key="form-123", name="Another name")
    assert len(client.list_links(team[0])) == 1


def test_a_create_that_cannot_be_checked_is_not_sent_again(sandbox, team):
    sandbox.faults(fail_next=10)
    with pytest.raises(CreateUnconfirmedError) as info:
        make_link(sandbox.client(max_retries=2), team)
    assert "could not be checked" in error_notice(info.value).text
    sandbox.faults(0, 0)
    assert len(sandbox.client().list_links(team[0])) <= 1


def test_unreachable_service_is_a_connection_error():
    client = LinksPlusClient(
        "skey_test_x" * 2,
        base_url=f"http://127.0.0.1:{free_port()}",
        max_retries=1,
        backoff=0.01,
        timeout=2,
    )
    with pytest.raises(APIConnectionError) as info:
        client.get_link(1)
    error = info.value
    assert error.status is None and error.url == client.base_url
    assert error.reason == "connection failed" and error.request_sent is False
    assert error_notice(error).text.startswith(
        md_escape(f"Could not reach Links+ at {client.base_url}")
    )


def test_slow_service_times_out_as_a_connection_error(sandbox, team):
    sandbox.faults(latency_ms=1500)
    with pytest.raises(APIConnectionError, match="timed out") as info:
        sandbox.client(timeout=0.3, max_retries=0).get_template(team[1])
    assert info.value.reason == "timed out" and info.value.request_sent


def test_list_all_links_with_max_links_asks_only_for_the_pages_it_needs(sandbox, monkeypatch):
    sandbox.seed_links(7005, 250)
    newest = sandbox.seed_links(7006, 3)
    client = sandbox.client()
    pages: list[int] = []
    page = client._page
    monkeypatch.setattr(
        client, "_page", lambda path, offset, *a: pages.append(offset) or page(path, offset, *a)
    )
    links = client.list_all_links(order="reverse_chronological", max_links=150)
    assert len(links) == 150
    assert links[0].team_id == 7006 and newest["team_id"] == 7006
    assert sorted(pages) == [0, 100]  # of 253 links or more: two pages, not every one
