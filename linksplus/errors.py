"""The errors the Links+ client raises.

Every message is a complete sentence a salesperson can read as it is: it says what went
wrong and what to do next. No message, repr or log line ever contains the API key.
"""

from __future__ import annotations

from typing import Any


class LinksPlusError(Exception):
    """Base of every error raised by `linksplus`.

    `status` is the HTTP status (None when no response arrived), `code` the Omise error
    code (``bad_request``, ``authentication_failure``, ...), `message` the readable sentence.
    """

    default_code = "error"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or self.default_code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )


class BadRequestError(LinksPlusError):
    """400: the request was refused because a parameter is missing or invalid."""

    default_code = "bad_request"


class ValidationError(BadRequestError):
    """A parameter was refused before anything was sent; `field` names it."""

    default_code = "invalid_parameter"

    def __init__(self, field: str, message: str):
        super().__init__(message, status=None)
        self.field = field


class AuthenticationError(LinksPlusError):
    """401: the API key is missing, wrong or revoked."""

    default_code = "authentication_failure"


class NotFoundError(LinksPlusError):
    """404: no such link or template for this key."""

    default_code = "not_found"


class ServerError(LinksPlusError):
    """5xx: Links+ failed; the request may be retried later."""

    default_code = "internal_error"


class APIConnectionError(LinksPlusError):
    """No answer: network failure, refused connection or timeout."""

    default_code = "connection_error"


def error_from_response(status: int, body: Any) -> LinksPlusError:
    """Build the error for an HTTP error answer, using the Omise error object if present."""
    detail = ""
    code = None
    if isinstance(body, dict):
        detail = str(body.get("message") or "").strip()
        code = body.get("code")
    if status == 400:
        text = detail or "a parameter is missing or invalid"
        return BadRequestError(
            f"Links+ refused the request: {text}.".replace("..", "."), status=status, code=code
        )
    if status == 401:
        return AuthenticationError(
            "Links+ did not accept the API key. Ask an admin to check the key in Settings.",
            status=status,
            code=code,
        )
    if status == 404:
        return NotFoundError(
            "That link or template was not found. It may have been removed or belong to "
            "another team.",
            status=status,
            code=code,
        )
    if status >= 500:
        return ServerError(
            f"Links+ is having trouble right now (error {status}). Please try again in a minute.",
            status=status,
            code=code,
        )
    text = detail or "unexpected answer"
    return LinksPlusError(
        f"Links+ answered with error {status}: {text}.".replace("..", "."), status=status, code=code
    )
