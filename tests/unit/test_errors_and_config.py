"""Errors read as sentences; the key never shows."""

import pytest

from linksplus import LinksPlusClient
from linksplus.config import Settings, mask_key
from linksplus.errors import (
    AuthenticationError,
    BadRequestError,
    LinksPlusError,
    NotFoundError,
    ServerError,
    error_from_response,
)

KEY = "skey_test_5xuy4w91xqz7d1w9u0t"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (404, NotFoundError),
        (500, ServerError),
        (503, ServerError),
        (418, LinksPlusError),
    ],
)
def test_error_classes_by_status(status, cls):
    err = error_from_response(status, {"object": "error", "code": "x", "message": "m"})
    assert type(err) is cls
    assert err.status == status
    assert err.message.endswith(".")


def test_bad_request_carries_the_service_reason():
    body = {"code": "bad_request", "message": '"template_id" must be a number'}
    err = error_from_response(400, body)
    assert '"template_id" must be a number' in str(err)
    assert err.code == "bad_request"


def test_key_is_masked_everywhere():
    client = LinksPlusClient(KEY, base_url="http://127.0.0.1:1")
    assert KEY not in repr(client)
    settings = Settings(api_key=KEY)
    assert KEY not in repr(settings) and KEY not in str(settings)
    assert mask_key(KEY) == "skey_test_••••9u0t"


def test_settings_from_secrets_then_environment():
    settings = Settings.load(
        {"linksplus": {"api_key": "a" * 20, "api_auth": "Bearer"}},
        environ={"LINKSPLUS_API_BASE_URL": "http://127.0.0.1:9"},
    )
    assert settings.api_auth == "bearer"
    assert settings.api_base_url == "http://127.0.0.1:9"


def test_the_default_auth_is_the_bare_key_as_omise_documents_it():
    assert Settings().api_auth == "raw"
    assert Settings.load({"linksplus": {"api_key": "k" * 20}}, environ={}).api_auth == "raw"
    for style in ("basic", "bearer"):  # still selectable, by secret or variable
        assert Settings.load({}, environ={"LINKSPLUS_API_AUTH": style}).api_auth == style
    problems = Settings(api_key="k" * 20, api_auth="token").problems()
    assert any("raw, basic, bearer" in p and "connection check" in p for p in problems)


DASHBOARD_KEY = "lpk_9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # a Links+ key: no skey_ prefix


@pytest.mark.parametrize(
    ("settings", "environment"),
    [
        # Omise's address is live whatever the key looks like: a test key cannot be told.
        (Settings(api_key=DASHBOARD_KEY), "live"),
        (Settings(api_key=KEY), "live"),
        (Settings(api_base_url="https://linksplus-api.omise.co/", api_key=KEY), "live"),
        # Another address with the sandbox's controls set: the sandbox.
        (
            Settings(api_base_url="http://127.0.0.1:8765", sandbox_url="http://127.0.0.1:8765"),
            "sandbox",
        ),
        # Another address without them (a proxy, say): not known, so not claimed.
        (Settings(api_base_url="https://links-proxy.example.com", api_key=KEY), None),
        (Settings(api_base_url="https://omise.co.example.com", api_key=KEY), None),
    ],
)
def test_the_environment_is_said_only_where_known(settings, environment):
    assert settings.environment == environment


def test_a_links_plus_key_without_a_prefix_shows_only_its_last_four():
    shown = mask_key(DASHBOARD_KEY)
    assert shown == "••••b1a0"
    assert DASHBOARD_KEY not in repr(Settings(api_key=DASHBOARD_KEY))
    assert mask_key("abcdefgh") == "••••••••"  # short keys show nothing


def test_the_account_country_is_a_setting_thailand_by_default():
    assert Settings().account_country == "th"
    assert Settings.load({}, environ={"LINKSPLUS_ACCOUNT_COUNTRY": "JP"}).account_country == "jp"
    assert Settings.load({"account_country": "Singapore"}, environ={}).account_country == "sg"
    wrong = Settings.load({}, environ={"LINKSPLUS_ACCOUNT_COUNTRY": "vn", "LINKSPLUS_API_KEY": "k"})
    (problem,) = wrong.problems()
    assert "'vn'" in problem and "th (Thailand)" in problem
    assert "LINKSPLUS_ACCOUNT_COUNTRY" in problem


def test_missing_key_is_a_sentence_saying_what_to_set():
    problems = Settings.load({}, environ={}).problems()
    assert any("LINKSPLUS_API_KEY" in p for p in problems)
