"""Omise error objects: the `ApiError` the sandbox raises and the handlers that answer them.

Every refusal, from the real API's paths and from the test controls alike, answers
``{"object": "error", "code": ..., "message": ...}`` with one of the codes Links+ uses:
``bad_request`` (400), ``authentication_failure`` (401), ``not_found`` (404) and
``too_many_requests`` (429, injected by the fault controls) and ``internal_error`` (500).
FastAPI's own 422 validation answer is replaced by a 400.
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("linksplus.sandbox")

CODES = {
    400: "bad_request",
    401: "authentication_failure",
    404: "not_found",
    429: "too_many_requests",
    500: "internal_error",
}


class ApiError(Exception):
    """A refusal to answer as an Omise error object with HTTP `status`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "bad_request")
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    """A 400 ``bad_request`` refusal."""
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    """A 404 ``not_found`` refusal."""
    return ApiError(404, message)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The JSON answer for one error."""
    body = json.dumps({"object": "error", "code": code, "message": message}, ensure_ascii=False)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def validation_message(exc: RequestValidationError) -> str:
    """One sentence for FastAPI's first validation problem, in Omise's style."""
    errors = exc.errors()
    if not errors:
        return "The request is not valid."
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ()) if part != "body"]
    name = loc[-1] if loc else "body"
    kind = first.get("type", "")
    if kind == "json_invalid":
        return "The request body is not valid JSON."
    if kind == "missing":
        return f'"{name}" is required'
    if kind in ("int_parsing", "int_type", "int_from_float", "float_parsing", "float_type"):
        return f'"{name}" must be a number'
    if kind in ("model_attributes_type", "dict_type") and name == "body":
        return "The request body must be a JSON object."
    return f'"{name}": {first.get("msg", "is not valid")}'


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the app answers an Omise error object."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(400, "bad_request", validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            message = f"There is nothing at {request.url.path}."
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
        else:
            message = str(exc.detail)
        code = CODES.get(exc.status_code, "bad_request")
        return error_response(exc.status_code, code, message, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # A bug in the sandbox still answers like the service would, and is logged.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "The sandbox failed unexpectedly.")
