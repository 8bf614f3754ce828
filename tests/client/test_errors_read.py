"""Errors keep what the service said: its own message, the error's location, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from linksplus import LinksPlusError, RateLimitError
from linksplus.errors import error_from_response, retry_after_seconds
from linksplus.ui.markdown import md_escape
from linksplus.ui.messages import error_notice


def test_the_servers_message_and_location_are_kept():
    body = {
        "object": "error",
        "location": "https://www.omise.co/api-errors#bad-request",
        "code": "bad_request",
        "message": '"template_id" must be a number',
    }
    error = error_from_response(400, body)
    assert error.server_message == '"template_id" must be a number'
    assert error.location == "https://www.omise.co/api-errors#bad-request"
    assert error.code == "bad_request"


@pytest.mark.parametrize("status", [401, 404, 500])
def test_every_error_keeps_them(status):
    error = error_from_response(status, {"message": "said so", "location": "/docs"})
    assert (error.server_message, error.location) == ("said so", "/docs")


def test_a_429_is_a_rate_limit_error_with_its_wait():
    error = error_from_response(429, {"code": "too_many_requests"}, {"Retry-After": "12"})
    assert isinstance(error, RateLimitError) and isinstance(error, LinksPlusError)
    assert (error.status, error.code, error.retry_after) == (429, "too_many_requests", 12)
    assert md_escape("Please try again in 12 seconds.") in error_notice(error).text
    unnamed = error_from_response(429, None, {})
    assert unnamed.retry_after is None and unnamed.code == "too_many_requests"
    assert md_escape("Please try again in a minute.") in error_notice(unnamed).text


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("3") == 3
    assert retry_after_seconds("-4") == 0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after_seconds(later) <= 31
