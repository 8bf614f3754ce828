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
    assert settings.environment == "sandbox"
    assert Settings(api_key=KEY).environment == "test"
    assert Settings(api_key="skey_" + "x" * 20).environment == "live"


def test_missing_key_is_a_sentence_saying_what_to_set():
    problems = Settings.load({}, environ={}).problems()
    assert any("LINKSPLUS_API_KEY" in p for p in problems)
