"""The real Links+ API's paths under ``/external``: links and templates, behind the key.

Every route first passes `gate`: injected latency and faults (see `faults`), then the API
key. Answers are written from the store's cached JSON, never through response models.
Route order matters: the fixed paths (``/external/links``, ``/external/links/{id}``,
``/external/templates/...``) are declared before the ``/external/{team_id}/...`` ones.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import Response

from linksplus.sandbox.auth import is_authorized
from linksplus.sandbox.context import get_sandbox
from linksplus.sandbox.create import create_link
from linksplus.sandbox.drop import mark_dropped
from linksplus.sandbox.errors import ApiError, bad_request
from linksplus.sandbox.faults import Fault
from linksplus.sandbox.paging import PageParams, page_params, page_response
from linksplus.sandbox.state import Store

LINK_EXAMPLE = {
    "object": "link",
    "id": 1001,
    "team_id": 101,
    "template_id": 3650,
    "name": "Workshop ticket",
    "amount": 150000,
    "currency": "thb",
    "multiple_usage": False,
    "additional": None,
    "custom_webhook": "https://example.com/hooks/links",
    "payment_url": "http://127.0.0.1:8765/pay/V1bq3Qx0fFq2mKkC",
    "status": "active",
    "created_at": "2026-02-14T10:30:00Z",
    "updated_at": "2026-02-14T10:30:00Z",
}
TEMPLATE_EXAMPLE = {
    "object": "template",
    "id": 3650,
    "team_id": 101,
    "created_by": 1,
    "name": "Workshop ticket",
    "language": "en",
    "status": "active",
    "features": ["card", "promptpay"],
    "currency": "thb",
    "amount": 150000,
    "created_at": "2026-01-05T03:00:00Z",
    "updated_at": "2026-01-05T03:00:00Z",
}
CREATE_SCHEMA = {
    "type": "object",
    "required": ["template_id", "team_id", "name", "amount"],
    "properties": {
        "template_id": {"type": "integer", "description": "A template of the team."},
        "team_id": {"type": "integer"},
        "name": {"type": "string", "maxLength": 45, "description": "Shown to the payer."},
        "amount": {"type": "integer", "description": "Minor units (satang, cents, yen)."},
        "currency": {"type": "string", "description": "Defaults to the template's."},
        "multiple_usage": {"type": "boolean", "default": False},
        "additional": {"type": "string", "maxLength": 255, "nullable": True},
        "custom_webhook": {
            "type": "string",
            "description": "HTTPS URL for this link's payment events.",
        },
    },
    "example": {
        "template_id": 3650,
        "team_id": 101,
        "name": "Workshop ticket",
        "amount": 150000,
        "currency": "thb",
    },
}


def _error(code: str, message: str) -> dict[str, Any]:
    return {
        "content": {
            "application/json": {"example": {"object": "error", "code": code, "message": message}}
        }
    }


ERRORS = {
    400: {
        "description": "Invalid parameters",
        **_error("bad_request", '"link_id" must be a number'),
    },
    401: {
        "description": "Missing or wrong API key",
        **_error("authentication_failure", "The API key is missing or wrong."),
    },
    404: {"description": "No such object", **_error("not_found", "No link 5 is visible.")},
    500: {
        "description": "Server error, retry later",
        **_error("internal_error", "Links+ failed; please retry later."),
    },
}


def _ok(example: dict[str, Any], description: str = "Success") -> dict[int, Any]:
    return {
        200: {"description": description, "content": {"application/json": {"example": example}}},
        **ERRORS,
    }


def _list_of(example: dict[str, Any], location: str) -> dict[int, Any]:
    return _ok(
        {
            "object": "list",
            "data": [example],
            "total": 1,
            "limit": 20,
            "offset": 0,
            "order": "chronological",
            "from": "1970-01-01T00:00:00Z",
            "to": "2026-02-14T10:35:00Z",
            "location": location,
        },
        "One page of the list",
    )


async def gate(request: Request) -> None:
    """Injected latency and faults, then the API key check."""
    sandbox = get_sandbox(request)
    is_create = request.method == "POST"
    fault = sandbox.faults.draw(is_create=is_create)
    if sandbox.faults.latency_ms > 0:
        await asyncio.sleep(sandbox.faults.latency_ms / 1000)
    if fault is Fault.RATE_LIMIT:
        wait = sandbox.faults.retry_after
        raise ApiError(
            429,
            f"Too many requests (injected fault); retry after {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )
    if fault is Fault.BEFORE:
        raise ApiError(500, "Links+ failed (injected fault); please retry later.")
    request.state.fault_after_create = fault
    if not is_authorized(request.headers.get("authorization"), sandbox.api_key):
        raise ApiError(
            401,
            "The API key is missing or wrong. Send your secret key as the "
            "HTTP Basic user (curl -u skey_test_xxx:), as a Bearer token, or "
            "as the Authorization header.",
            headers={"WWW-Authenticate": 'Basic realm="Links+"'},
        )


router = APIRouter(prefix="/external", dependencies=[Depends(gate)])

LinkId = Annotated[int, Path(description="The link's id.")]
TemplateId = Annotated[int, Path(description="The template's id.")]
TeamId = Annotated[int, Path(description="The team's id.")]
Page = Annotated[PageParams, Depends(page_params)]


def _page(request: Request, page: PageParams, items: Callable[[Store], list]) -> Response:
    """One page of a list, read under the store's lock (a create may be appending to it);
    `items` may raise the 404 of an unknown team."""
    store = get_sandbox(request).store
    with store.lock:
        return page_response(items(store), page, request.url.path)


def _json(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        text.encode(), status_code=status, media_type="application/json", headers=headers
    )


@router.post(
    "/links",
    tags=["Links"],
    summary="Create a payment link",
    responses=_ok(LINK_EXAMPLE, "The new link"),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CREATE_SCHEMA}},
        }
    },
)
async def create(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(description="Send the same key again to get the same link instead of a second one."),
    ] = None,
) -> Response:
    """Create a link from a template of the team. `amount` is in minor units; `currency`
    defaults to the template's; `custom_webhook` must be HTTPS. With an Idempotency-Key,
    a repeat of the same request answers the first result, and the same key with other
    parameters is refused, unless the sandbox runs with idempotency off (as Links+ is
    documented: no Idempotency-Key), when every request makes a new link."""
    sandbox = get_sandbox(request)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        raise bad_request("The request body is not valid JSON.") from None
    fingerprint = json.dumps(body, sort_keys=True, separators=(",", ":"))
    store = sandbox.store
    replayed = False
    # One lock around look-up and create: concurrent duplicates make one link.
    if not sandbox.idempotency:
        idempotency_key = None
    with store.lock:
        prior = store.idempotency.get(idempotency_key) if idempotency_key else None
        if prior is not None:
            if prior.fingerprint != fingerprint:
                raise bad_request(
                    f'The Idempotency-Key "{idempotency_key}" was already used '
                    "with different parameters; use a new key for a new link."
                )
            status, text, replayed = prior.status, prior.body, True
        else:
            link = create_link(store, body)
            status, text = 200, link.json
            if idempotency_key:
                store.remember(idempotency_key, fingerprint, status, text)
    if request.state.fault_after_create is Fault.AFTER:
        raise ApiError(
            500, "Links+ failed (injected fault, after the link was created); please retry later."
        )
    if request.state.fault_after_create is Fault.DROP:
        mark_dropped(request)
    return _json(text, status, {"Idempotent-Replayed": "true"} if replayed else None)


@router.get(
    "/links",
    tags=["Links"],
    summary="List the links of every team",
    responses=_list_of(LINK_EXAMPLE, "/external/links"),
)
async def list_all_links(request: Request, page: Page) -> Response:
    """Every link the key can see, across teams, one page at a time."""
    return _page(request, page, lambda store: store.all_links)


@router.get(
    "/links/{link_id}",
    tags=["Links"],
    summary="Retrieve a payment link",
    responses=_ok(LINK_EXAMPLE),
)
async def get_link(request: Request, link_id: LinkId) -> Response:
    """One link by id."""
    return _json(get_sandbox(request).store.link(link_id).json)


@router.get(
    "/templates",
    tags=["Templates"],
    summary="List the templates of every team",
    responses=_list_of(TEMPLATE_EXAMPLE, "/external/templates"),
)
async def list_all_templates(request: Request, page: Page) -> Response:
    """Every template the key can see (a sandbox convenience mirroring ``/external/links``)."""
    return _page(request, page, lambda store: store.all_templates)


@router.get(
    "/templates/{template_id}",
    tags=["Templates"],
    summary="Retrieve a template",
    responses=_ok(TEMPLATE_EXAMPLE),
)
async def get_template(request: Request, template_id: TemplateId) -> Response:
    """One template by id; `currency` and `amount` are the defaults for its links."""
    return _json(get_sandbox(request).store.template(template_id).json)


@router.get(
    "/{team_id}/links",
    tags=["Links"],
    summary="List all payment links of a team",
    responses=_list_of(LINK_EXAMPLE, "/external/101/links"),
)
async def list_team_links(request: Request, team_id: TeamId, page: Page) -> Response:
    """The team's links, oldest first unless `order=reverse_chronological`."""
    return _page(request, page, lambda store: store.team(team_id).links)


@router.get(
    "/{team_id}/templates",
    tags=["Templates"],
    summary="List all templates of a team",
    responses=_list_of(TEMPLATE_EXAMPLE, "/external/101/templates"),
)
async def list_team_templates(request: Request, team_id: TeamId, page: Page) -> Response:
    """The team's templates."""
    return _page(request, page, lambda store: store.team(team_id).templates)
