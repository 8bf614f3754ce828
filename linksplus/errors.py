"""The errors the Links+ client raises, with the facts of each failure.

Every error keeps what happened: the HTTP status, Omise's error code, the service's own
message, the field to blame and the request id, when known. Its ``message`` is a plain
English sentence for library users, logs and the command line; the app decides what a
person reads in `linksplus.ui.messages`. No message, repr or log line contains the API key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


class LinksPlusError(Exception):
    """Base of every error raised by `linksplus`.

    `status` is the HTTP status (None when no response arrived), `code` the Omise error
    code (``bad_request``, ``authentication_failure``, ...), `message` a readable sentence.
    `server_message` is the service's own wording, `field` the parameter to blame,
    `request_id` the id the service gave the request (its ``X-Request-Id`` header) and
    `location` the error object's ``location`` (Omise's link to its documentation); each
    is None when the answer had none. ``str()`` is the message, after the request id.
    """

    default_code = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        server_message: str | None = None,
        field: str | None = None,
        request_id: str | None = None,
        location: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or self.default_code
        self.server_message = server_message
        self.field = field
        self.request_id = request_id
        self.location = location

    def __str__(self) -> str:
        # As stripe-python does: the id to quote when asking the service about a failure.
        return f"Request {self.request_id}: {self.message}" if self.request_id else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"field={self.field!r}, request_id={self.request_id!r}, message={self.message!r})"
        )


class BadRequestError(LinksPlusError):
    """400: the request was refused because a parameter is missing or invalid."""

    default_code = "bad_request"


class ValidationError(BadRequestError):
    """A parameter was refused before anything was sent; `field` names it."""

    default_code = "invalid_parameter"

    def __init__(self, field: str, message: str):
        super().__init__(message, status=None, field=field)


class AuthenticationError(LinksPlusError):
    """401: the API key is missing, wrong or revoked."""

    default_code = "authentication_failure"


class NotFoundError(LinksPlusError):
    """404: no such link or template for this key."""

    default_code = "not_found"


class RateLimitError(LinksPlusError):
    """429: too many requests; `retry_after` is the wait in seconds the service asked for
    (None when it named none). Nothing was done, so the same request may be sent again."""

    default_code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(LinksPlusError):
    """5xx: Links+ failed; the request may be retried later."""

    default_code = "internal_error"


class APIConnectionError(LinksPlusError):
    """No answer: network failure, refused connection or timeout.

    `request_sent` is False only when the request certainly never reached the service
    (the connection could not be opened), so a create can be sent again without a check.
    """

    default_code = "connection_error"

    def __init__(self, message: str, *, request_sent: bool = True, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.request_sent = request_sent


class CreateUnconfirmedError(LinksPlusError):
    """A create got no clear answer and the check for the link failed too: the link may
    exist. Look for it before creating it again."""

    default_code = "create_unconfirmed"


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (a number of seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


REQUEST_ID_HEADER = "X-Request-Id"


def request_id_from(headers: Mapping[str, str] | None) -> str | None:
    """The request id in a response's headers (``X-Request-Id``, in any case), or None."""
    for name, value in (headers or {}).items():
        if name.lower() == REQUEST_ID_HEADER.lower() and isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return None


def error_from_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> LinksPlusError:
    """Build the error for an HTTP error answer, using the Omise error object if present.

    The service's own message, the field it names, the error's ``location`` and the
    request id are kept on the error; a 429's ``Retry-After`` header becomes
    `RateLimitError.retry_after`.
    """
    detail = ""
    code = location = field = None
    if isinstance(body, dict):
        detail = str(body.get("message") or "").strip()
        code = body.get("code") if isinstance(body.get("code"), str) else None
        location = body.get("location") if isinstance(body.get("location"), str) else None
        field = body.get("field") if isinstance(body.get("field"), str) else None
    kept = {
        "status": status,
        "code": code,
        "server_message": detail or None,
        "field": field,
        "request_id": request_id_from(headers),
        "location": location,
    }
    if status == 400:
        text = detail or "a parameter is missing or invalid"
        return BadRequestError(f"Links+ refused the request: {text}.".replace("..", "."), **kept)
    if status == 401:
        return AuthenticationError(
            "Links+ did not accept the API key. Ask an admin to check the key in Settings.", **kept
        )
    if status == 404:
        return NotFoundError(
            "That link or template was not found. It may have been removed or belong to "
            "another team.",
            **kept,
        )
    if status == 429:
        wait = retry_after_seconds((headers or {}).get("Retry-After"))
        seconds = round(wait) if wait is not None else None
        when = (
            "in a minute"
            if seconds is None
            else f"in {seconds} second{'' if seconds == 1 else 's'}"
        )
        return RateLimitError(
            f"Links+ is receiving too many requests right now. Please try again {when}.",
            retry_after=wait,
            **kept,
        )
    if status >= 500:
        return ServerError(
            f"Links+ is having trouble right now (error {status}). Please try again in a minute.",
            **kept,
        )
    text = detail or "unexpected answer"
    return LinksPlusError(
        f"Links+ answered with error {status}: {text}.".replace("..", "."), **kept
    )
