"""The connection check tells which auth style Links+ accepts, trying each at most once."""

from __future__ import annotations

import pytest
from auth_proxy import AuthProxy

from linksplus.config import AUTH_STYLES
from linksplus.connection import TRY_ORDER, Attempt, ConnectionReport, check_connection
from linksplus.devserver import free_port
from linksplus.errors import APIConnectionError, AuthenticationError, ServerError
from linksplus.ui.messages import connection_advice

TEAM = 4401
PATH = f"/external/{TEAM}/templates"


@pytest.fixture
def seeded(sandbox):
    sandbox.seed_links(TEAM, 1)  # makes the team and one template
    return sandbox


def test_every_style_is_tried_documented_one_first():
    assert sorted(TRY_ORDER) == sorted(AUTH_STYLES) and TRY_ORDER[0] == "raw"


def test_the_configured_style_accepted_takes_one_call(seeded):
    with AuthProxy(seeded.url, "raw") as proxy:
        report = check_connection(seeded.api_key, base_url=proxy.url, auth="raw", path=PATH)
    assert proxy.seen == ["raw"]
    assert report.ok and report.accepted == "raw"
    assert report.answer.items == 1
    assert connection_advice(report).startswith("Links+ accepts the key sent as raw")


@pytest.mark.parametrize(
    ("configured", "accepts", "calls"),
    [
        ("raw", "bearer", ["raw", "basic", "bearer"]),
        ("raw", "basic", ["raw", "basic"]),
        ("basic", "raw", ["basic", "raw"]),
        ("bearer", "basic", ["bearer", "raw", "basic"]),
    ],
)
def test_on_401_the_other_styles_are_tried_once_each(seeded, configured, accepts, calls):
    with AuthProxy(seeded.url, accepts) as proxy:
        report = check_connection(seeded.api_key, base_url=proxy.url, auth=configured, path=PATH)
    assert proxy.seen == calls
    assert not report.ok and report.accepted == accepts
    assert report.answer.items == 1
    advice = connection_advice(report)
    assert f"refused the key sent as {configured} but accepts it sent as {accepts}" in advice
    assert f'`api_auth = "{accepts}"`' in advice and f"LINKSPLUS_API_AUTH={accepts}" in advice
    assert seeded.api_key not in advice


def test_a_wrong_key_is_refused_in_every_style_and_said_so(seeded):
    report = check_connection("lpk_not_the_key_0000", base_url=seeded.url, auth="raw", path=PATH)
    assert [a.auth for a in report.attempts] == ["raw", "basic", "bearer"]
    assert report.accepted is None
    advice = connection_advice(report)
    assert "refused the key in every style (raw, basic, bearer)" in advice
    assert "Links+ dashboard" in advice


def test_no_answer_is_not_blamed_on_the_auth_style():
    nobody = f"http://127.0.0.1:{free_port()}"
    report = check_connection("lpk_some_key_1234", base_url=nobody, auth="raw", path=PATH)
    assert len(report.attempts) == 1  # no other style is tried: it could not help
    assert isinstance(report.attempts[0].error, APIConnectionError)
    assert report.accepted is None and "api_auth" not in connection_advice(report)


def test_a_failure_after_a_refusal_says_the_style_is_not_known_yet():
    refused = AuthenticationError("401 authentication_failure.", status=401)
    failed = ServerError("503 internal_error.", status=503)
    report = ConnectionReport("raw", (Attempt("raw", 5, refused), Attempt("basic", 5, failed)))
    assert report.accepted is None and report.answer is None
    advice = connection_advice(report)
    assert advice.startswith(
        "Links+ refused the key sent as raw. Sent as basic: Links\\+ is having trouble right "
        "now \\(error 503\\)\\. Please try again in a minute\\. So the check could not tell"
    )
    assert "api_auth" not in advice
